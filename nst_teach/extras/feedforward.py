r"""Fast style transfer: a small image transformation network trained for one style
(Johnson, Alahi and Fei-Fei 2016, "Perceptual Losses for Real-Time Style Transfer and
Super-Resolution"; instance normalisation from Ulyanov, Vedaldi and Lempitsky 2016).

Gatys et al. optimise the pixels of every new image: hundreds of forward and backward passes
through VGG. Johnson et al. instead train a network :math:`f_W` once per style to minimise
the same kind of loss over a set of content photos :math:`\{x_i\}`,

.. math::

    \min_W \sum_i \alpha \mathcal{L}_\text{content}(f_W(x_i), x_i)
    + \beta \mathcal{L}_\text{style}(f_W(x_i), a) + \lambda_\text{TV}
    \mathcal{L}_\text{TV}(f_W(x_i)),

after which stylising an image is one forward pass of :math:`f_W`. Their network:
down-sampling convolutions, residual blocks, up-sampling, all with instance normalisation.
:class:`TransformNet` keeps that layout with far fewer channels (8-16-32 instead of 32-64-128,
2 residual blocks instead of 5), so that it trains on a laptop CPU in about a minute at small
sizes; its perceptual loss uses the paper's :math:`E_l` and :math:`\mathcal{L}_\text{content}`
from :mod:`nst_teach.losses`.

Examples:
    >>> import torch
    >>> net = TransformNet()
    >>> net(torch.rand(2, 3, 32, 40)).shape
    torch.Size([2, 3, 32, 40])
    >>> sum(p.numel() for p in net.parameters())
    52899
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..defaults import DEFAULT_ALPHA, DEFAULT_BETA
from ..device import synchronize
from ..losses import content_loss, gram_matrix, style_layer_loss
from ..objective import LayerObjective, check_weight
from ..optimize import check_steps
from ..vgg import VGG19Features

#: Johnson et al.'s loss layers (their Sec. 3): style at relu1_2, relu2_2, relu3_3, relu4_3;
#: content at relu2_2.
JOHNSON_STYLE_LAYERS: tuple[str, ...] = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")
JOHNSON_CONTENT_LAYERS: tuple[str, ...] = ("relu2_2",)


class ConvLayer(nn.Sequential):
    """Reflection padding, a convolution, and optionally instance norm and ReLU."""

    def __init__(
        self, c_in: int, c_out: int, kernel: int, stride: int = 1, norm_relu: bool = True
    ) -> None:
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(kernel // 2),
            nn.Conv2d(c_in, c_out, kernel, stride=stride),
        ]
        if norm_relu:
            layers += [nn.InstanceNorm2d(c_out, affine=True), nn.ReLU()]
        super().__init__(*layers)


class ResidualBlock(nn.Module):
    r""":math:`x + \mathrm{IN}(\mathrm{conv}(\mathrm{ReLU}(\mathrm{IN}(\mathrm{conv}(x)))))`,
    Johnson et al.'s residual block (He et al. 2016) with instance norm."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            ConvLayer(channels, channels, 3),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            nn.InstanceNorm2d(channels, affine=True),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class UpsampleConv(nn.Sequential):
    """Nearest-neighbour up-sampling by 2, then a convolution (instead of Johnson et al.'s
    fractionally strided convolution, which leaves checkerboard artefacts; Odena et al. 2016)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__(nn.Upsample(scale_factor=2, mode="nearest"), ConvLayer(c_in, c_out, 3))


class TransformNet(nn.Module):
    r"""A small version of Johnson et al.'s image transformation network.

    ``9x9 conv -> 3x3 conv /2 -> 3x3 conv /2 -> residual blocks -> up x2 -> up x2 -> 9x9 conv``,
    instance norm and ReLU after every convolution but the last.

    Args:
        channels: widths of the three stages (Johnson et al.: 32, 64, 128).
        n_residual: residual blocks (Johnson et al.: 5).
        identity_start: our change, so that a few dozen steps suffice. The last convolution
            starts at zero and its output :math:`y` is added to the input's logit,
            :math:`\sigma(\operatorname{logit}(x) + y)`: the untrained network is the
            identity (content loss 0) and training only has to learn the *change* of style.
            With ``False`` the output is :math:`(\tanh(y) + 1) / 2`, as in Johnson et al.

    Input and output: :math:`(B, 3, H, W)` in :math:`[0, 1]`; sides that are not multiples
    of 4 are handled by resizing the output to the input's size.
    """

    def __init__(
        self,
        channels: Sequence[int] = (8, 16, 32),
        n_residual: int = 2,
        identity_start: bool = True,
    ) -> None:
        super().__init__()
        c1, c2, c3 = channels
        self.identity_start = identity_start
        self.down = nn.Sequential(
            ConvLayer(3, c1, 9), ConvLayer(c1, c2, 3, stride=2), ConvLayer(c2, c3, 3, stride=2)
        )
        self.res = nn.Sequential(*[ResidualBlock(c3) for _ in range(n_residual)])
        self.up = nn.Sequential(
            UpsampleConv(c3, c2), UpsampleConv(c2, c1), ConvLayer(c1, 3, 9, norm_relu=False)
        )
        if identity_start:
            last = self.up[-1][1]
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"expected images (B, 3, H, W), got {tuple(x.shape)}")
        y = self.up(self.res(self.down(x)))
        if y.shape[-2:] != x.shape[-2:]:
            y = F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)
        if self.identity_start:
            return torch.sigmoid(torch.logit(x.clamp(1e-3, 1 - 1e-3)) + y)
        return 0.5 * (torch.tanh(y) + 1.0)


def random_crops(
    image: Tensor, n: int, size: int, scale: tuple[float, float] = (0.4, 1.0), seed: int = 0
) -> Tensor:
    r"""``n`` random square crops of ``image`` :math:`(1, 3, H, W)`, each covering a fraction
    ``scale`` of the shorter side, randomly mirrored, resized to ``size``: a small training
    set :math:`(n, 3, size, size)` made from one photo.

    Examples:
        >>> random_crops(torch.rand(1, 3, 50, 40), n=3, size=16).shape
        torch.Size([3, 3, 16, 16])
    """
    if image.dim() != 4 or image.shape[:2] != (1, 3):
        raise ValueError(f"expected one image (1, 3, H, W), got {tuple(image.shape)}")
    g = torch.Generator().manual_seed(seed)
    h, w = image.shape[-2:]
    out = []
    for _ in range(n):
        frac = scale[0] + (scale[1] - scale[0]) * float(torch.rand((), generator=g))
        side = max(1, round(frac * min(h, w)))
        top = int(torch.randint(0, h - side + 1, (), generator=g))
        left = int(torch.randint(0, w - side + 1, (), generator=g))
        crop = image[..., top : top + side, left : left + side]
        if float(torch.rand((), generator=g)) < 0.5:
            crop = crop.flip(-1)
        out.append(
            F.interpolate(
                crop, size=(size, size), mode="bilinear", antialias=True, align_corners=False
            )
        )
    return torch.cat(out).clamp(0.0, 1.0)


class PerceptualLoss(LayerObjective):
    r"""Johnson et al.'s loss for a batch, with the paper's normalisations:

    .. math::

        \frac{1}{B} \sum_{b=1}^{B} \left( \alpha \mathcal{L}_\text{content}(y_b, x_b)
        + \beta \sum_l w_l E_l(y_b, a) + \lambda_\text{TV} \mathcal{L}_\text{TV}(y_b) \right)

    with :math:`y = f_W(x)` the network's output, :math:`x` its input (the content target),
    :math:`a` the style image (Gram targets computed once).
    """

    def __init__(
        self,
        extractor: VGG19Features,
        style: Tensor,
        *,
        content_layers: Sequence[str] = JOHNSON_CONTENT_LAYERS,
        style_layers: Sequence[str] = JOHNSON_STYLE_LAYERS,
        layer_weights: Mapping[str, float] | Sequence[float] | None = None,
        alpha: float = DEFAULT_ALPHA,
        beta: float = DEFAULT_BETA,
        tv_weight: float = 0.0,
    ) -> None:
        super().__init__(
            extractor,
            content_layers=content_layers,
            style_layers=style_layers,
            layer_weights=layer_weights,
            alpha=alpha,
            beta=beta,
            tv_weight=tv_weight,
        )
        with torch.no_grad():
            feats = extractor(style)
            self.style_grams = {n: gram_matrix(feats[n]).detach() for n in self.style_layers}

    def __call__(self, output: Tensor, inputs: Tensor) -> dict[str, Tensor]:
        b = output.shape[0]
        with torch.no_grad():
            target = self.extractor(inputs)
        feats = self.extractor(output)
        return self.combine(
            output,
            lambda n: content_loss(feats[n], target[n]),
            lambda n: style_layer_loss(feats[n], self.style_grams[n]),
            batch=b,
        )


@dataclass
class TrainingRun:
    """What :func:`train_transform_net` returns: the loss history per step and the time."""

    history: dict[str, list[float]] = field(default_factory=dict)
    steps: int = 0
    seconds: float = 0.0


def train_transform_net(
    net: TransformNet,
    loss_fn: PerceptualLoss,
    images: Tensor,
    *,
    steps: int,
    batch_size: int = 4,
    lr: float = 1e-2,
    seed: int = 0,
    callback: Callable[[int, dict[str, float]], object] | None = None,
    progress: bool = True,
) -> TrainingRun:
    r"""Train ``net`` with Adam on mini-batches drawn from ``images`` :math:`(n, 3, H, W)`.

    Each step takes ``batch_size`` images at random, runs the network and VGG forward and
    backward once, and updates the weights :math:`W`. ``callback(step, losses)`` runs after
    each step; returning ``True`` stops. The network is left in ``eval`` mode.
    """
    steps = check_steps(steps)
    if images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f"expected training images (n, 3, H, W), got {tuple(images.shape)}")
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(net.parameters(), lr=check_weight("lr", lr))
    run = TrainingRun()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, desc="training", unit="step", leave=False)
    net.train()
    start = time.perf_counter()
    try:
        for step in range(1, steps + 1):
            idx = torch.randint(
                0, images.shape[0], (min(batch_size, images.shape[0]),), generator=g
            )
            batch = images[idx]
            opt.zero_grad(set_to_none=True)
            losses = loss_fn(net(batch), batch)
            losses["total"].backward()
            opt.step()
            values = {k: float(v.detach()) for k, v in losses.items()}
            for k, v in values.items():
                run.history.setdefault(k, []).append(v)
            run.steps = step
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{values['total']:.4g}", refresh=False)
            if callback is not None and callback(step, values) is True:
                break
    finally:
        if bar is not None:
            bar.close()
        net.eval()
    run.seconds = time.perf_counter() - start
    return run


@torch.no_grad()
def stylize_fast(net: TransformNet, image: Tensor) -> tuple[Tensor, float]:
    """Stylise ``image`` :math:`(B, 3, H, W)` with a trained network: one forward pass.

    Returns:
        the result :math:`(B, 3, H, W)` and the seconds it took (the device's work
        included: a GPU is waited for before the clock stops).
    """
    net.eval()
    synchronize(image.device)  # work queued before is not this call's
    start = time.perf_counter()
    out = net(image)
    synchronize(image.device)  # CUDA returns before the work is done: wait for it
    return out, time.perf_counter() - start


__all__ = [
    "JOHNSON_CONTENT_LAYERS",
    "JOHNSON_STYLE_LAYERS",
    "PerceptualLoss",
    "ResidualBlock",
    "TrainingRun",
    "TransformNet",
    "random_crops",
    "stylize_fast",
    "train_transform_net",
]
