r"""VGG-19's architecture in numbers: shapes, receptive fields, parameters and FLOPs.

Everything here is computed by walking the modules of the network that
:class:`~nst_teach.VGG19Features` runs (kernel sizes, strides, paddings and channel counts are
read from the ``nn.Conv2d`` and pooling modules, built on PyTorch's ``meta`` device so that no
weights are allocated); nothing is copied from a table.

Examples:
    >>> rows = layer_table(224, 224, ["conv1_1", "pool1", "conv2_1", "conv5_1"])
    >>> [(r["name"], r["out_shape"], r["receptive_field"], r["params"]) for r in rows]
    [('conv1_1', (64, 224, 224), 3, 1792), ('pool1', (64, 112, 112), 6, 0),
     ('conv2_1', (128, 112, 112), 10, 73856), ('conv5_1', (512, 14, 14), 156, 2359808)]
    >>> sum(r["params"] for r in layer_table(224, 224))
    20024384
"""

from __future__ import annotations

import functools
import html
from collections.abc import Iterable, Sequence
from typing import Any

import torch
from torch import nn

from ..layers import LAYER_INDEX, LAYER_NAMES, min_image_side, validate_layers
from ..vgg import build_vgg19_features

#: Columns of :func:`format_layer_table`: key, header, and how to write the value.
TABLE_COLUMNS: dict[str, str] = {
    "name": "layer",
    "kind": "kind",
    "out_shape": "output (C, H, W)",
    "receptive_field": "receptive field",
    "params": "parameters",
    "macs": "MACs",
}


def _pair(value: int | tuple[int, ...]) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    return int(value[0]), int(value[1])


@functools.lru_cache(maxsize=2)
def _modules(pooling: str) -> tuple[nn.Module, ...]:
    """VGG-19's 37 feature modules, on the meta device (shapes only, no weights in memory)."""
    with torch.device("meta"):
        return tuple(build_vgg19_features(len(LAYER_NAMES), pooling))


def _kind(module: nn.Module) -> str:
    if isinstance(module, nn.Conv2d):
        return "conv"
    if isinstance(module, nn.ReLU):
        return "relu"
    if isinstance(module, nn.MaxPool2d | nn.AvgPool2d):
        return "pool"
    raise TypeError(f"unexpected module {module!r} in VGG-19's features")


def _all_rows(
    height: int, width: int, pooling: str, depth: int = len(LAYER_NAMES)
) -> list[dict[str, Any]]:
    """One row per module of ``vgg19().features`` (the first ``depth``), in network order."""
    for what, value in (("height", height), ("width", width)):
        if isinstance(value, bool) or int(value) != value or value < 1:
            raise ValueError(f"{what} must be a whole number of pixels >= 1, got {value!r}")
    c, h, w = 3, int(height), int(width)
    rf, jump = 1, 1  # receptive field and distance (in input pixels) between adjacent outputs
    rows: list[dict[str, Any]] = []
    for index, (name, module) in enumerate(zip(LAYER_NAMES[:depth], _modules(pooling))):
        kind = _kind(module)
        macs = 0
        if kind in ("conv", "pool"):
            (kh, kw), (sh, sw) = _pair(module.kernel_size), _pair(module.stride)
            ph, pw = _pair(module.padding)
            h, w = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
            if h < 1 or w < 1:
                raise ValueError(
                    f"a {height}x{width} image is too small for {name}: it would have no "
                    f"positions left (each pooling halves the size)"
                )
            if kh != kw or sh != sw:
                raise ValueError(f"{name}: non-square kernels or strides are not supported")
            rf += (kh - 1) * jump
            jump *= sh
            if kind == "conv":
                macs = h * w * module.out_channels * (module.in_channels // module.groups) * kh * kw
                c = module.out_channels
        params = sum(p.numel() for p in module.parameters())
        rows.append(
            {
                "name": name,
                "index": index,
                "kind": kind,
                "out_shape": (c, h, w),
                "receptive_field": rf,
                "jump": jump,
                "params": params,
                "macs": macs,
            }
        )
    return rows


def layer_table(
    height: int, width: int, layers: Iterable[str] | None = None, pooling: str = "max"
) -> list[dict[str, Any]]:
    r"""VGG-19's layers for an image of ``height`` x ``width`` pixels, one dict per layer.

    Each row has:

    - ``name``: the paper's name (``"conv3_1"``), ``index``: its index in ``vgg19().features``;
    - ``kind``: ``"conv"``, ``"relu"`` or ``"pool"``;
    - ``out_shape``: the output :math:`(C, H, W)` (:math:`N_l = C`, :math:`M_l = H W`);
    - ``receptive_field``: the side, in input pixels, of the square patch one output position
      sees, from the exact recursion over layers with kernel :math:`k` and stride :math:`s`

      .. math::

          r \leftarrow r + (k - 1)\, j, \qquad j \leftarrow j\, s, \qquad r_0 = j_0 = 1

      (``jump`` is :math:`j`, the distance in input pixels between neighbouring outputs; the
      padding does not change :math:`r`, it only lets patches hang over the border);
    - ``params``: weights and biases, :math:`C_\text{out} C_\text{in} k^2 + C_\text{out}` for
      a convolution, 0 otherwise;
    - ``macs``: multiply-accumulates of the forward pass, :math:`H_\text{out} W_\text{out}
      C_\text{out} C_\text{in} k^2` for a convolution (:math:`k = 3`), 0 for ReLU and pooling
      (comparisons or additions, :math:`O(C H W)`, not counted).

    Args:
        height, width: the input image's size in pixels.
        layers: paper names of the rows wanted, in the order given; ``None`` for all 37.
        pooling: ``"max"`` or ``"avg"`` (same shapes and counts; the choice of
            :class:`~nst_teach.VGG19Features`).

    Raises:
        ValueError: for an unknown layer name, or an image too small for the layers asked for.

    Examples:
        >>> row = layer_table(32, 32, ["conv1_2"])[0]
        >>> row["out_shape"], row["receptive_field"], row["params"], row["macs"]
        ((64, 32, 32), 5, 36928, 37748736)
        >>> [r["out_shape"] for r in layer_table(64, 48, ["pool1", "pool5"])]
        [(64, 32, 24), (512, 2, 1)]
    """
    if layers is None:
        return _all_rows(height, width, pooling)
    names = validate_layers(layers)
    side = min_image_side(names)
    if min(height, width) < side:
        deepest = max(names, key=LAYER_INDEX.__getitem__)
        raise ValueError(
            f"a {height}x{width} image is too small for {deepest}: it needs at least "
            f"{side}x{side} pixels (each pooling before it halves the size)"
        )
    rows = _all_rows(height, width, pooling, max(LAYER_INDEX[n] for n in names) + 1)
    return [rows[LAYER_INDEX[n]] for n in names]


def format_layer_table(
    rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None, html_table: bool = False
) -> str:
    """The rows of :func:`layer_table` as an aligned plain-text table (or an HTML table).

    Args:
        rows: as :func:`layer_table` returns them.
        columns: keys to show (default: all of :data:`TABLE_COLUMNS`).
        html_table: return ``<table>`` markup, for ``IPython.display.HTML``.

    Examples:
        >>> print(format_layer_table(layer_table(32, 32, ["conv1_1", "pool1"]),
        ...                          ["name", "out_shape", "receptive_field", "params"]))
        layer  output (C, H, W)  receptive field  parameters
        conv1_1    64 x 32 x 32                3       1,792
        pool1      64 x 16 x 16                6           0
    """
    columns = list(columns or TABLE_COLUMNS)

    def cell(row: dict[str, Any], key: str) -> str:
        value = row[key]
        if key == "out_shape":
            return " x ".join(str(v) for v in value)
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    headers = [TABLE_COLUMNS.get(k, k) for k in columns]
    body = [[cell(r, k) for k in columns] for r in rows]
    left = {"name", "kind"}
    if html_table:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
        lines = [
            "<tr>"
            + "".join(
                f'<td style="text-align:{"left" if k in left else "right"}">{html.escape(v)}</td>'
                for k, v in zip(columns, values)
            )
            + "</tr>"
            for values in body
        ]
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.ljust(wd) if k in left else v.rjust(wd) for k, v, wd in zip(columns, values, widths)
        ).rstrip()

    return "\n".join([line(headers), *(line(b) for b in body)])


def evaluation_flops(
    height: int,
    width: int,
    style_layers: Iterable[str],
    content_layers: Iterable[str],
    weight_grads: bool = False,
    pooling: str = "max",
) -> dict[str, int]:
    r"""Floating-point operations of ONE evaluation of the style-transfer objective.

    One evaluation (one call of the closure in :func:`~nst_teach.optimize_pixels`) runs the
    image through VGG-19 up to the deepest layer needed, forms the losses, and back-propagates
    to the pixels. With :math:`\mathrm{MAC}_c` the forward multiply-accumulates of convolution
    :math:`c` (see :func:`layer_table`) and one MAC counted as 2 FLOPs:

    .. math::

        \text{forward} &= \sum_c 2\, \mathrm{MAC}_c \\
        \text{backward\_input} &= \sum_c 2\, \mathrm{MAC}_c
            \quad \text{(gradient w.r.t. each convolution's input: a transposed convolution)} \\
        \text{gram\_forward} &= \sum_{l \in \text{style}} 2 N_l^2 M_l
            \quad (G^l = F^l {F^l}^\top) \\
        \text{gram\_backward} &= \sum_{l \in \text{style}} 4 N_l^2 M_l
            \quad (\partial G / \partial F \text{ through both factors of } F F^\top) \\
        \text{weight\_grads} &= \sum_c 2\, \mathrm{MAC}_c
            \quad \text{(only if the weights require gradients)}

    where :math:`c` runs over every convolution up to the deepest style or content layer.
    The weights of :class:`~nst_teach.VGG19Features` are frozen, so back-propagation
    computes only input gradients: roughly twice the forward cost in all. A loop whose VGG
    parameters still require gradients (as the PyTorch tutorial's, which never calls
    ``requires_grad_(False)``) also pays ``weight_grads``: the gradient of every weight, the
    same number of MACs again. ``backward_input`` includes ``conv1_1``, whose input gradient is
    the gradient on the pixels. ReLU, pooling, the normalisation, the content loss, the
    difference :math:`G - A` and the sums of squares cost :math:`O(N_l M_l)` or
    :math:`O(N_l^2)` and are not counted (well under 1% at any usual size). Batch size is 1.

    Args:
        height, width: the image size in pixels.
        style_layers, content_layers: paper layer names (either may be empty, not both).
        weight_grads: add the FLOPs of weight gradients.
        pooling: ``"max"`` or ``"avg"`` (same counts).

    Returns:
        ``{"forward", "backward_input", "weight_grads", "gram_forward", "gram_backward",
        "total"}`` in FLOPs, plus ``"deepest_index"`` (index in ``vgg19().features`` of the
        last module run) and ``"convs"`` (how many convolutions run).

    Examples:
        One convolution (conv1_1: 64 filters of 3 x 3 x 3) on a 16 x 16 image, used as
        both style and content layer: :math:`\mathrm{MAC} = 16 \cdot 16 \cdot 64 \cdot 3
        \cdot 9 = 442368`; :math:`N = 64`, :math:`M = 256`.

        >>> f = evaluation_flops(16, 16, ["conv1_1"], ["conv1_1"])
        >>> f["forward"], f["backward_input"], f["gram_forward"], f["gram_backward"]
        (884736, 884736, 2097152, 4194304)
        >>> f["total"], f["convs"]
        (8060928, 1)
        >>> evaluation_flops(16, 16, ["conv1_1"], ["conv1_1"], weight_grads=True)["total"]
        8945664

        The paper's layers at 256 x 256 pixels, in GFLOPs:

        >>> g = evaluation_flops(256, 256, ["conv1_1", "conv2_1", "conv3_1", "conv4_1",
        ...                                 "conv5_1"], ["conv4_2"])
        >>> round(g["forward"] / 1e9, 1), round(g["total"] / 1e9, 1), g["convs"]
        (47.3, 101.5, 13)
    """
    style = tuple(style_layers)
    content = tuple(content_layers)
    if not style and not content:
        raise ValueError("give at least one style or content layer")
    names = validate_layers(tuple(dict.fromkeys(style + content)))
    deepest = max(LAYER_INDEX[n] for n in names)
    rows = layer_table(height, width, LAYER_NAMES[: deepest + 1], pooling)
    conv_macs = sum(r["macs"] for r in rows if r["kind"] == "conv")
    convs = sum(1 for r in rows if r["kind"] == "conv")
    gram_fwd = 0
    for name in style:
        n, h, w = rows[LAYER_INDEX[name]]["out_shape"]
        gram_fwd += 2 * n * n * h * w
    out = {
        "forward": 2 * conv_macs,
        "backward_input": 2 * conv_macs,
        "weight_grads": 2 * conv_macs if weight_grads else 0,
        "gram_forward": gram_fwd,
        "gram_backward": 2 * gram_fwd,
    }
    out["total"] = sum(out.values())
    out["deepest_index"] = deepest
    out["convs"] = convs
    return out


__all__ = ["TABLE_COLUMNS", "evaluation_flops", "format_layer_table", "layer_table"]
