r"""The paper's normalised VGG-19: every filter's mean activation over images and positions is 1.

Gatys, Ecker and Bethge (2016, Sec. 2): "We normalized the network by scaling the weights such
that the mean activation of each convolutional filter over images and positions is equal to
one. Such re-scaling can be done for the VGG network without changing its output, because it
contains only rectifying linear activation functions and no normalization or pooling over
feature maps."

Let :math:`c^l_k > 0` be the mean of the rectified output of filter :math:`k` of convolution
:math:`l` over the calibration images and their positions (computed with the original
weights), and :math:`c^0_j = 1` for the three input channels. The normalised convolution is

.. math::

    \tilde W^l_{kj} = W^l_{kj} \, \frac{c^{l-1}_j}{c^l_k}, \qquad
    \tilde b^l_k = \frac{b^l_k}{c^l_k},

so its input, already divided by :math:`c^{l-1}_j` channel by channel, is multiplied back
(the next layer "sees" the previous rescaling) and its output is divided by :math:`c^l_k`.
Because :math:`\mathrm{relu}(x / c) = \mathrm{relu}(x) / c` and max or average pooling commute
with a positive factor per channel, every feature map of the normalised network is the
original one divided by :math:`c^l_k`:

.. math::

    \tilde F^l_{k\cdot} = F^l_{k\cdot} / c^l_k, \qquad
    \frac{1}{|I|} \sum_{x \in I} \frac{1}{M_l} \sum_{m} \tilde F^l_{km}(x) = 1,

the same ReLU pattern, a mean activation of one per filter on the calibration images
:math:`I`, and Gram matrices :math:`\tilde G^l_{kk'} = G^l_{kk'} / (c^l_k c^l_{k'})`. A filter
that never fires on the calibration images (:math:`c^l_k = 0`) is left as it is.

The calibration images are the pictures shipped in ``nst_teach/data/art`` (paintings, photos
and textures), scaled to a longer side of :data:`CALIBRATION_SIZE` pixels. The means are
computed once per set of weights and kept in memory and, when it can be written, in a file
under torch.hub's directory (``$TORCH_HOME/hub/nst_teach``) named by a sha256 of the weights,
the pooling and the calibration images.

Examples:
    >>> import torch
    >>> from torch import nn
    >>> _ = torch.manual_seed(0)
    >>> features = nn.Sequential(nn.Conv2d(3, 4, 1), nn.ReLU(), nn.Conv2d(4, 3, 1), nn.ReLU())
    >>> x = torch.rand(4, 3, 5, 5)
    >>> means = conv_mean_activations(features, [x])
    >>> before = features(x)
    >>> normalize_features_(features, means)
    >>> after = features[:2](x).mean(dim=(0, 2, 3))  # 1 for every filter that fires
    >>> fires = means[0] > 0
    >>> bool(torch.allclose(after[fires], torch.ones_like(after[fires])))
    True
    >>> c = means[2].float().where(means[2] > 0, torch.tensor(1.0))  # silent filters: kept
    >>> bool(torch.allclose(features(x), before / c.view(1, -1, 1, 1), atol=1e-5))
    True
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch
from torch import Tensor, nn

from .atomic import atomic_torch_save

#: Longer side, in pixels, of the calibration images.
CALIBRATION_SIZE = 256
#: Bump when the way the means are computed changes (it is part of the cache key).
_VERSION = "1"

_MEMORY: dict[str, Tensor] = {}  # chain key of a convolution -> its filters' mean activations


def calibration_images(size: int = CALIBRATION_SIZE) -> list[Tensor]:
    """The shipped pictures, each :math:`(1, 3, H, W)` in [0, 1], longer side ``size``."""
    from .samples import PAINTINGS, PHOTOS, TEXTURES, sample_image

    return [sample_image(name, size=size) for name in (*PAINTINGS, *PHOTOS, *TEXTURES)]


def _calibration_id(size: int) -> str:
    from .samples import art_manifest

    digests = ",".join(str(entry["sha256"]) for entry in art_manifest().values())
    return f"v{_VERSION};size={size};images={digests}"


def _convs(features: nn.Sequential) -> list[int]:
    return [i for i, m in enumerate(features) if isinstance(m, nn.Conv2d)]


def conv_mean_activations(
    features: nn.Sequential, images: Iterable[Tensor], preprocess=None
) -> dict[int, Tensor]:
    r"""Mean rectified activation :math:`c^l_k` of every filter, over images and positions.

    ``features`` is a VGG-like ``nn.Sequential`` (convolutions each followed by a ReLU);
    ``images`` are batches :math:`(B, 3, H, W)` (of any sizes) and ``preprocess``, if given,
    is applied to each first. Each image counts equally, whatever its size. Returns
    ``{index of the convolution in features: tensor (N_l,)}`` in float64.
    """
    convs = _convs(features)
    sums = {i: torch.zeros(features[i].out_channels, dtype=torch.float64) for i in convs}
    count = 0
    with torch.no_grad():
        for image in images:
            x = preprocess(image) if preprocess is not None else image
            for i, module in enumerate(features):
                x = module(x)
                if i - 1 in sums and isinstance(module, nn.ReLU):
                    sums[i - 1] += x.double().mean(dim=(2, 3)).sum(dim=0).cpu()
            count += image.shape[0]
    return {i: s / count for i, s in sums.items()}


def normalize_features_(features: nn.Sequential, means: dict[int, Tensor]) -> None:
    r"""Rescale the convolutions of ``features`` in place so that filter :math:`k` of layer
    :math:`l` has mean activation one: :math:`\tilde W^l_{kj} = W^l_{kj} c^{l-1}_j / c^l_k`,
    :math:`\tilde b^l_k = b^l_k / c^l_k` (``means`` as :func:`conv_mean_activations` gives)."""
    previous: Tensor | None = None
    for i in _convs(features):
        conv = features[i]
        c = means[i].to(torch.float64).clone()
        c[c <= 0] = 1.0  # a filter that never fires is left as it is
        with torch.no_grad():
            w = conv.weight.double() / c.view(-1, 1, 1, 1)
            if previous is not None:
                w = w * previous.view(1, -1, 1, 1)
            conv.weight.copy_(w.to(conv.weight.dtype))
            if conv.bias is not None:
                conv.bias.copy_((conv.bias.double() / c).to(conv.bias.dtype))
        previous = c


def _chain_keys(features: nn.Sequential, salt: str) -> dict[int, str]:
    """A sha256 per convolution over the salt and every weight up to and including it."""
    digest = hashlib.sha256(salt.encode())
    keys: dict[int, str] = {}
    for i in _convs(features):
        conv = features[i]
        for t in (conv.weight, conv.bias):
            if t is not None:
                digest.update(t.detach().float().contiguous().cpu().numpy().tobytes())
        keys[i] = digest.copy().hexdigest()
    return keys


def cache_dir() -> Path:
    """Where the means are kept on disk: ``<torch.hub dir>/nst_teach``."""
    return Path(torch.hub.get_dir()) / "nst_teach"


def _read_disk(path: Path) -> dict[str, Tensor]:
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # missing, unreadable or damaged: computed again
        return {}
    return data if isinstance(data, dict) else {}


def _write_disk(path: Path, entries: dict[str, Tensor]) -> None:
    """Store the means whole or not at all (:func:`~nst_teach.atomic.atomic_torch_save`): a
    read-only shared folder, a full disk or a quota (torch raises ``RuntimeError``) leave
    the means in memory only, and no temporary file."""
    atomic_torch_save(entries, path)


def calibrated_means(
    features: nn.Sequential,
    preprocess,
    pooling: str,
    *,
    size: int = CALIBRATION_SIZE,
    images: Sequence[Tensor] | None = None,
    use_disk: bool = True,
) -> dict[int, Tensor]:
    """:func:`conv_mean_activations` on the calibration images, cached by the weights' sha256.

    ``images`` replaces the shipped pictures (then nothing is cached).
    """
    if images is not None:
        return conv_mean_activations(features, images, preprocess)
    keys = _chain_keys(features, f"{_calibration_id(size)};pooling={pooling}")
    if not keys:
        return {}
    if all(k in _MEMORY for k in keys.values()):
        return {i: _MEMORY[k] for i, k in keys.items()}
    path = cache_dir() / f"vgg19-means-{keys[max(keys)][:32]}.pt"
    if use_disk:
        stored = _read_disk(path)
        if all(k in stored for k in keys.values()):
            _MEMORY.update({k: stored[k] for k in keys.values()})
            return {i: stored[k] for i, k in keys.items()}
    means = conv_mean_activations(features, calibration_images(size), preprocess)
    entries = {keys[i]: m for i, m in means.items()}
    _MEMORY.update(entries)
    if use_disk:
        _write_disk(path, entries)
    return means


def clear_memory_cache() -> None:
    """Forget the means computed in this process (for tests)."""
    _MEMORY.clear()


__all__ = [
    "CALIBRATION_SIZE",
    "cache_dir",
    "calibrated_means",
    "calibration_images",
    "clear_memory_cache",
    "conv_mean_activations",
    "normalize_features_",
]
