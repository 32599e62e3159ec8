r"""A VGG-19 feature extractor that returns the paper's named layers.

Examples:
    >>> import torch
    >>> vgg = VGG19Features(["conv1_1", "relu2_1"], weights="random")
    >>> feats = vgg(torch.rand(1, 3, 32, 32))
    >>> {name: tuple(f.shape) for name, f in feats.items()}
    {'conv1_1': (1, 64, 32, 32), 'relu2_1': (1, 128, 16, 16)}
    >>> len(vgg.features)  # runs no deeper than relu2_1, index 6
    7
    >>> vgg.weights_source
    'random (seed 0)'
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import torch
from torch import Tensor, nn

from . import normalize as _normalize
from . import weights as _weights
from .layers import (
    BLOCK_CHANNELS,
    BLOCK_SIZES,
    LAYER_INDEX,
    LAYER_NAMES,
    deepest_index,
    min_image_side,
    validate_layers,
)

#: ImageNet channel means and standard deviations that torchvision's VGG expects.
IMAGENET_MEAN: tuple[float, float, float] = (0.485, 0.456, 0.406)
IMAGENET_STD: tuple[float, float, float] = (0.229, 0.224, 0.225)


def build_vgg19_features(depth: int = len(LAYER_NAMES), pooling: str = "max") -> nn.Sequential:
    """The first ``depth`` modules of VGG-19's convolutional part, indexed as torchvision's.

    No classifier is built (it holds 120 M of VGG-19's 144 M parameters).
    """
    if pooling not in ("max", "avg"):
        raise ValueError(f"pooling must be 'max' or 'avg', got {pooling!r}")
    modules: list[nn.Module] = []
    in_ch = 3
    for n_convs, out_ch in zip(BLOCK_SIZES, BLOCK_CHANNELS):
        for _ in range(n_convs):
            modules += [nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1), nn.ReLU()]
            in_ch = out_ch
        modules.append(nn.MaxPool2d(2, 2) if pooling == "max" else nn.AvgPool2d(2, 2))
    return nn.Sequential(*modules[:depth])


class VGG19Features(nn.Module):
    r"""VGG-19's convolutional layers, returning the activations of the layers asked for.

    The input is an RGB image batch in :math:`[0, 1]` of shape :math:`(B, 3, H, W)`; the
    ImageNet normalisation :math:`(x - \mu) / \sigma` is applied inside. The output is a dict
    ``{layer name: activation of shape (B, N_l, H_l, W_l)}``, in the order of ``layers``.
    The network runs no deeper than the deepest layer asked for, and its parameters are
    frozen (``requires_grad=False``): only the image is optimised.

    Args:
        layers: names such as ``"conv4_2"`` or ``"relu3_1"`` (see :data:`LAYER_NAMES`).
        weights: ``"imagenet"`` (torchvision's trained weights, falling back to random ones
            with a warning when they cannot be had), ``"random"`` (seeded Kaiming-normal
            weights), or the path of a VGG-19 state dict in torchvision's format.
        pooling: ``"max"`` as in VGG, or ``"avg"``, which Gatys et al. found gives slightly
            more appealing images.
        channels_last: keep weights and activations in the channels-last memory layout
            (``torch.channels_last``, "NHWC"), the layout oneDNN's CPU convolutions work in
            natively, which saves a layout conversion before and after every convolution.
            The values are the same (to rounding); only the strides of the returned
            activations differ (use ``.reshape`` rather than ``.view`` to flatten them).
        normalize: the paper's normalised network (Gatys et al. 2016, Sec. 2): the weights
            and biases are rescaled, layer by layer, so that each filter's mean rectified
            activation over the calibration images (the pictures shipped with the package)
            and their positions is one,

            .. math::

                \tilde W^l_{kj} = W^l_{kj} \, c^{l-1}_j / c^l_k, \qquad
                \tilde b^l_k = b^l_k / c^l_k,

            with :math:`c^l_k` filter :math:`k`'s mean activation in the original network.
            Every feature map is then the original one divided by :math:`c^l_k` (same ReLU
            pattern; see :mod:`nst_teach.normalize`). The means are computed once per set of
            weights and cached.

    Attributes:
        weights_source: which weights the extractor holds, in words.
        pretrained: whether they are trained weights (ImageNet or a file).
        normalized: whether the weights are the normalised ones.
    """

    def __init__(
        self,
        layers: Iterable[str],
        weights: str | os.PathLike[str] = "imagenet",
        pooling: str = "max",
        *,
        channels_last: bool = False,
        normalize: bool = False,
    ) -> None:
        super().__init__()
        self.layers = validate_layers(layers)
        self.min_side = min_image_side(self.layers)
        depth = deepest_index(self.layers) + 1
        with torch.device("meta"):  # every weight is filled by _load below: skip nn's init
            features = build_vgg19_features(depth, pooling)
        self.features = features.to_empty(device="cpu")
        self.pooling = pooling
        self._capture = {LAYER_INDEX[name]: name for name in self.layers}
        # A ReLU may overwrite its input in place unless that input (a conv output) was
        # asked for: vgg19().features' in-place ReLUs would corrupt captured activations.
        for i, module in enumerate(self.features):
            if isinstance(module, nn.ReLU):
                module.inplace = (i - 1) not in self._capture
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        self.weights_source, self.pretrained = self._load(weights)
        self.normalized = bool(normalize)
        if self.normalized:
            means = _normalize.calibrated_means(self.features, self._preprocess, pooling)
            _normalize.normalize_features_(self.features, means)
            self.weights_source += ", normalised"
        self.requires_grad_(False)
        self.eval()
        self.channels_last = bool(channels_last)
        if self.channels_last:
            self.features.to(memory_format=torch.channels_last)

    def _load(self, weights: str | os.PathLike[str]) -> tuple[str, bool]:
        if weights == "random":
            _weights.init_random_(self.features)
            return f"random (seed {_weights.RANDOM_SEED})", False
        if weights == "imagenet":
            state, description = _weights.load_imagenet_state_dict()
            if state is None:
                _weights.init_random_(self.features)
                return f"random (seed {_weights.RANDOM_SEED}; ImageNet weights unavailable)", False
            self._load_state(state, "the ImageNet weights file")
            return description, True
        path = Path(weights)
        if path.suffix == "" and not path.exists():
            raise ValueError(
                f"weights must be 'imagenet', 'random' or the path of a VGG-19 state-dict "
                f"file; {str(weights)!r} is neither"
            )
        self._load_state(_weights.load_state_dict_file(path), f"weights file '{path}'")
        return f"file {path}", True

    def _load_state(self, state: dict[str, Tensor], source: str) -> None:
        feats = _weights.features_state_dict(state, source)
        wanted = self.features.state_dict()
        missing = [k for k in wanted if k not in feats]
        if missing:
            raise ValueError(f"{source} lacks {', '.join(missing[:4])}: {_weights.FORMAT_HINT}")
        for key, value in wanted.items():
            if feats[key].shape != value.shape:
                raise ValueError(
                    f"{source}: {key} has shape {tuple(feats[key].shape)}, "
                    f"VGG-19 needs {tuple(value.shape)}"
                )
        self.features.load_state_dict({k: feats[k] for k in wanted})

    def check_size(self, height: int, width: int, what: str = "image") -> None:
        """Raise ``ValueError`` if an image is too small for the deepest layer."""
        if min(height, width) < self.min_side:
            deepest = max(self.layers, key=LAYER_INDEX.__getitem__)
            raise ValueError(
                f"{what} is {width}x{height} pixels; layer {deepest} needs at least "
                f"{self.min_side}x{self.min_side} (it comes after "
                f"{self.min_side.bit_length() - 1} poolings that halve the size)"
            )

    def _preprocess(self, image: Tensor) -> Tensor:
        r"""ImageNet normalisation, :math:`(x - \mu) / \sigma`."""
        return (image - self.mean) / self.std

    def forward(self, image: Tensor) -> dict[str, Tensor]:
        if image.dim() != 4 or image.shape[1] != 3:
            raise ValueError(
                f"expected an image batch of shape (B, 3, H, W), got {tuple(image.shape)}"
            )
        self.check_size(image.shape[-2], image.shape[-1])
        x = self._preprocess(image)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        out: dict[str, Tensor] = {}
        for i, module in enumerate(self.features):
            x = module(x)
            if i in self._capture:
                out[self._capture[i]] = x
        return {name: out[name] for name in self.layers}

    def extra_repr(self) -> str:
        layout = ", channels_last=True" if self.channels_last else ""
        return (
            f"layers={list(self.layers)}, weights={self.weights_source!r}, "
            f"pooling={self.pooling!r}{layout}"
        )


__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "VGG19Features",
    "build_vgg19_features",
]
