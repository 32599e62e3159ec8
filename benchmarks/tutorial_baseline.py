r"""The baseline: the compute pattern of PyTorch's tutorial "Neural Transfer Using PyTorch".

Written here from the tutorial's description (it shares no code with ``nst_teach``):

- loss modules inserted into an ``nn.Sequential`` copy of VGG-19's ``features`` after the
  chosen convolutions, the ReLUs replaced by out-of-place ones, the model cut after the
  last loss module;
- the VGG parameters left trainable (``requires_grad=True``, as the tutorial had it until
  2023), so every backward pass also computes, and accumulates, the weight gradients;
- the Gram matrix divided by ``a*b*c*d`` and mean-squared-error losses (``F.mse_loss``);
- ``torch.optim.LBFGS`` with its default settings (``max_iter=20``: up to 20 evaluations per
  ``step``), the input initialised from the content image and clamped to [0, 1] at the
  start of each closure, content weight 1 and style weight 1e6.

The tutorial names convolutions ``conv_1``, ``conv_2``, ... counting convolutions only; its
content layer ``conv_4`` is the paper's ``conv2_2`` and its style layers ``conv_1`` to
``conv_5`` are ``conv1_1, conv1_2, conv2_1, conv2_2, conv3_1``. This module takes paper
names.

Examples:
    >>> import torch
    >>> cnn = vgg19_features()[:7]  # the same modules as torchvision's vgg19().features
    >>> content, style = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    >>> model, style_losses, content_losses = build_model(
    ...     cnn, style, content, style_layers=["conv1_1", "conv2_1"], content_layers=["conv1_2"])
    >>> len(style_losses), len(content_losses)
    (2, 1)
    >>> run = run_style_transfer(model, style_losses, content_losses, content.clone(), evals=5)
    >>> len(run.losses), run.losses[-1] < run.losses[0]
    (5, True)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

#: ImageNet normalisation, as in the tutorial.
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
#: The tutorial's loss weights.
STYLE_WEIGHT = 1e6
CONTENT_WEIGHT = 1.0


def gram_matrix(input: Tensor) -> Tensor:
    """The tutorial's Gram matrix: ``F F^T / (a*b*c*d)`` with ``F`` the ``(a*b, c*d)`` view."""
    a, b, c, d = input.size()
    features = input.view(a * b, c * d)
    G = torch.mm(features, features.t())
    return G.div(a * b * c * d)


class ContentLoss(nn.Module):
    """Passes its input through and stores ``mse_loss(input, target)`` in ``self.loss``."""

    def __init__(self, target: Tensor) -> None:
        super().__init__()
        self.target = target.detach()
        self.loss = torch.zeros(())

    def forward(self, input: Tensor) -> Tensor:
        self.loss = F.mse_loss(input, self.target)
        return input


class StyleLoss(nn.Module):
    """Passes its input through and stores ``mse_loss(gram(input), gram(target))``."""

    def __init__(self, target_feature: Tensor) -> None:
        super().__init__()
        self.target = gram_matrix(target_feature).detach()
        self.loss = torch.zeros(())

    def forward(self, input: Tensor) -> Tensor:
        G = gram_matrix(input)
        self.loss = F.mse_loss(G, self.target)
        return input


class Normalization(nn.Module):
    def __init__(self, mean: Sequence[float] = MEAN, std: Sequence[float] = STD) -> None:
        super().__init__()
        self.mean = torch.tensor(mean).view(-1, 1, 1)
        self.std = torch.tensor(std).view(-1, 1, 1)

    def forward(self, img: Tensor) -> Tensor:
        return (img - self.mean) / self.std


#: VGG-19's convolutional part, as torchvision's ``cfgs["E"]``: channels, or "M" for max-pooling.
VGG19_CFG: tuple[int | str, ...] = (
    *(64, 64, "M", 128, 128, "M"),
    *(256, 256, 256, 256, "M"),
    *(512, 512, 512, 512, "M"),
    *(512, 512, 512, 512, "M"),
)


def vgg19_features() -> nn.Sequential:
    """The same ``nn.Sequential`` as ``torchvision.models.vgg19().features`` (same module
    indices and state-dict keys), built without torchvision's classifier (whose 120 M
    parameters the tutorial loads and never uses) and left for the caller to fill."""
    layers: list[nn.Module] = []
    in_channels = 3
    for v in VGG19_CFG:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(in_channels, int(v), kernel_size=3, padding=1), nn.ReLU(True)]
            in_channels = int(v)
    return nn.Sequential(*layers)


def paper_name(block: int, conv: int) -> str:
    return f"conv{block}_{conv}"


def build_model(
    cnn: nn.Sequential,
    style_img: Tensor,
    content_img: Tensor,
    *,
    style_layers: Sequence[str],
    content_layers: Sequence[str],
) -> tuple[nn.Sequential, list[StyleLoss], list[ContentLoss]]:
    """The tutorial's ``get_style_model_and_losses``, with layers named as in the paper.

    ``cnn`` is ``vgg19().features`` (or a prefix of it); its modules are shared, so its
    parameters keep ``requires_grad=True``.
    """
    model = nn.Sequential(Normalization())
    content_losses: list[ContentLoss] = []
    style_losses: list[StyleLoss] = []
    block, conv = 1, 0
    for layer in cnn.children():
        if isinstance(layer, nn.Conv2d):
            conv += 1
            name = paper_name(block, conv)
        elif isinstance(layer, nn.ReLU):
            name = f"relu{block}_{conv}"
            layer = nn.ReLU(inplace=False)
        elif isinstance(layer, nn.MaxPool2d | nn.AvgPool2d):
            name = f"pool{block}"
            block, conv = block + 1, 0
        else:
            raise RuntimeError(f"unrecognised layer {layer.__class__.__name__}")
        model.add_module(name, layer)
        if name in content_layers:
            target = model(content_img).detach()
            content_loss = ContentLoss(target)
            model.add_module(f"content_loss_{name}", content_loss)
            content_losses.append(content_loss)
        if name in style_layers:
            target_feature = model(style_img).detach()
            style_loss = StyleLoss(target_feature)
            model.add_module(f"style_loss_{name}", style_loss)
            style_losses.append(style_loss)
    # trim off the layers after the last content and style losses
    last = max(i for i, m in enumerate(model) if isinstance(m, ContentLoss | StyleLoss))
    return model[: last + 1], style_losses, content_losses


@dataclass
class BaselineRun:
    """What :func:`run_style_transfer` returns.

    Attributes:
        image: the final image, clamped to [0, 1].
        losses: the total loss at each evaluation (the value the closure returns).
        times: seconds since the start of the loop at the end of each evaluation.
    """

    image: Tensor
    losses: list[float] = field(default_factory=list)
    times: list[float] = field(default_factory=list)

    @property
    def evals(self) -> int:
        return len(self.losses)

    @property
    def seconds(self) -> float:
        return self.times[-1] if self.times else 0.0


def run_style_transfer(
    model: nn.Sequential,
    style_losses: Sequence[StyleLoss],
    content_losses: Sequence[ContentLoss],
    input_img: Tensor,
    *,
    evals: int = 300,
    style_weight: float = STYLE_WEIGHT,
    content_weight: float = CONTENT_WEIGHT,
) -> BaselineRun:
    """The tutorial's ``run_style_transfer`` loop, stopped after exactly ``evals`` evaluations.

    The tutorial loops ``while run[0] <= num_steps: optimizer.step(closure)``; here the
    closure counts evaluations and the loop ends as soon as ``evals`` have been made (even in
    the middle of an L-BFGS ``step``), so that both programs make the same number.
    """
    input_img.requires_grad_(True)
    model.eval()
    optimizer = torch.optim.LBFGS([input_img])
    run = BaselineRun(input_img)

    class _Done(Exception):
        pass

    start = time.perf_counter()

    def closure() -> Tensor:
        if run.evals >= evals:
            raise _Done
        with torch.no_grad():
            input_img.clamp_(0, 1)
        optimizer.zero_grad()
        model(input_img)
        style_score = sum(sl.loss for sl in style_losses) * style_weight
        content_score = sum(cl.loss for cl in content_losses) * content_weight
        loss = style_score + content_score
        loss.backward()
        run.losses.append(float(loss.detach()))
        run.times.append(time.perf_counter() - start)
        return loss

    try:
        while run.evals < evals:
            optimizer.step(closure)
    except _Done:
        pass
    with torch.no_grad():
        input_img.clamp_(0, 1)
    run.image = input_img.detach()
    return run


def tutorial_loss(
    model: nn.Sequential,
    style_losses: Sequence[StyleLoss],
    content_losses: Sequence[ContentLoss],
    image: Tensor,
    *,
    style_weight: float = STYLE_WEIGHT,
    content_weight: float = CONTENT_WEIGHT,
) -> float:
    """The tutorial's total loss of ``image`` (clamped to [0, 1]), without gradients."""
    with torch.no_grad():
        model(image.clamp(0, 1))
        style = sum(float(sl.loss) for sl in style_losses)
        content = sum(float(cl.loss) for cl in content_losses)
    return style_weight * style + content_weight * content
