"""Plots in one consistent look: images side by side with captions, loss curves, heat maps.

Every function draws into a new (or given) matplotlib figure and returns it; notebooks end
their plotting cells with ``plt.show()``.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from torch import Tensor

#: The kit's look: applied by :func:`use_style`.
STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.facecolor": "white",
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "font.size": 10,
}
#: Colours of the loss components, the same in every plot.
COLORS = {"content": "#1f77b4", "style": "#d62728", "tv": "#2ca02c", "total": "#222222"}


#: Fonts that can draw Chinese, the first one installed is used (see :func:`cjk_font`).
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Hiragino Sans GB",
    "Droid Sans Fallback",
    "Arial Unicode MS",
)


@functools.cache
def cjk_font() -> str | None:
    """The name of an installed font that draws Chinese (one of :data:`CJK_FONTS`, or any font
    named "... CJK ..."), or ``None``. Checked once: the font must have a glyph for "风"."""
    from matplotlib import font_manager, ft2font

    paths = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for name in (*CJK_FONTS, *sorted(n for n in paths if "CJK" in n)):
        if name not in paths:
            continue
        try:
            if ft2font.FT2Font(paths[name]).get_char_index(ord("风")):
                return name
        except Exception:  # an unreadable font file: try the next one
            continue
    return None


def _use_font_fallback(name: str) -> None:
    """Add ``name`` after the families in ``font.family``: matplotlib (3.6 or later) draws each
    character with the first family that has it, so Latin text keeps the kit's font."""
    family = matplotlib.rcParams["font.family"]
    family = [family] if isinstance(family, str) else list(family)
    if name not in family:
        matplotlib.rcParams["font.family"] = [*family, name]


def _prepare_fonts() -> None:
    """Add the Chinese font as a fallback when the language is zh and one is installed.

    Needed before a figure is made: an axes' title and axis labels get their font when the
    axes is created, not when :func:`label`'s text is set.
    """
    from .language import get_language

    if get_language() == "zh" and (font := cjk_font()) is not None:
        _use_font_fallback(font)


def _template_parts(template: str) -> tuple[list[str], list[str]]:
    """The fixed parts and the field names of ``"a {x} b {y}"``: ``["a ", " b ", ""]``, ``["x", "y"]``."""
    fixed, fields = [""], []
    for literal, name, _, _ in string.Formatter().parse(template):
        fixed[-1] += literal
        if name is not None:
            fields.append(name)
            fixed.append("")
    return fixed, fields


def _match(template: str, text: str) -> dict[str, str] | None:
    """The pieces of ``text`` where ``template``'s fields are, or ``None`` if it does not fit.

    The first fixed part must start ``text`` and the last one end it; each one between is
    found leftmost after a non-empty piece. No regular expressions.
    """
    fixed, fields = _template_parts(template)
    end = len(text) - len(fixed[-1])
    if not fields or end < len(fixed[0]):
        return None
    if not (text.startswith(fixed[0]) and text.endswith(fixed[-1])):
        return None
    pos, pieces = len(fixed[0]), {}
    for i, name in enumerate(fields):
        last = i == len(fields) - 1
        stop = end if last else text.find(fixed[i + 1], pos + 1, end)
        if stop <= pos:
            return None
        pieces[name] = text[pos:stop]
        pos = stop + len(fixed[i + 1])
    return pieces


def _chinese(text: str) -> str | None:
    """``text``'s Chinese text from :data:`~nst_teach.lab.figures_zh.ZH_FIGURES`, or ``None``.

    A template whose fixed parts are only punctuation (``"{run} ({component})"``) counts
    only when one of its pieces has a translation, so ``"foo (bar)"`` stays English.
    """
    from .figures_zh import ZH_FIGURES

    if text in ZH_FIGURES:
        return ZH_FIGURES[text]
    best, best_fixed = None, -1
    for key, zh in ZH_FIGURES.items():
        if "{" not in key:
            continue
        pieces = _match(key, text)
        fixed = "".join(_template_parts(key)[0])
        if pieces is None or len(fixed) <= best_fixed:
            continue
        translated = {k: _chinese(v) for k, v in pieces.items()}
        if not any(c.isalpha() for c in fixed) and all(v is None for v in translated.values()):
            continue
        best = zh.format(**{k: translated[k] or v for k, v in pieces.items()})
        best_fixed = len(fixed)
    return best


def label(text: str) -> str:
    r"""A figure's title, axis label, legend entry or suptitle in the lessons' language.

    The Chinese text (from :data:`nst_teach.lab.figures_zh.ZH_FIGURES`) when the language is
    ``"zh"`` (:func:`nst_teach.lab.language.get_language`: ``set_language``,
    ``NST_TEACH_LANG``, or a kernel started in ``notebooks/zh/``), a translation exists and
    matplotlib has a font for Chinese (:func:`cjk_font`, which is then added to
    ``font.family`` as a fallback); otherwise ``text`` unchanged, so English figures and
    machines without a Chinese font (like CI) are not affected.

    Texts with numbers are matched against templates: the key ``"from {start}"`` turns
    ``"from relu4_2"`` into ``"从 relu4_2 出发"``. The pieces the fields match are looked up
    too, and where several templates fit, the one with the most fixed text wins.

    Examples:
        >>> from nst_teach.lab.language import set_language
        >>> label("objective evaluations")  # English lessons: unchanged
        'objective evaluations'
        >>> set_language("zh")
        >>> label("objective evaluations") in ("objective evaluations", "目标函数求值次数")
        True
        >>> cjk_font.cache_clear(); _chinese("noise, seed 1")
        '噪声，种子 1'
        >>> _chinese("lambda_TV = 0.01\nTV = 544")
        'lambda_TV = 0.01\n全变分 = 544'
        >>> _chinese("no such title") is None
        True
        >>> set_language(None)
    """
    if not text:
        return text
    from .language import get_language

    if get_language() != "zh":
        return text
    font = cjk_font()
    if font is None:
        return text
    zh = _chinese(text)
    if zh is None:
        return text
    _use_font_fallback(font)
    return zh


def use_style() -> None:
    """Apply the kit's matplotlib look (PNG figures, titled and labelled axes).

    In the Chinese lessons it also adds the Chinese font, if one is installed, as a fallback
    (see :func:`label`).
    """
    plt.rcParams.update(STYLE)
    _prepare_fonts()
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")
    except Exception:  # outside IPython there is nothing to set
        pass


def to_numpy_image(image: Tensor) -> np.ndarray:
    """A tensor :math:`(1, 3, H, W)`, :math:`(3, H, W)` or :math:`(H, W)` -> array for ``imshow``."""
    t = image.detach().float().cpu()
    if t.dim() == 4:
        t = t[0]
    if t.dim() == 3:
        t = t.permute(1, 2, 0)
        if t.shape[-1] == 1:
            t = t[..., 0]
    return t.clamp(0.0, 1.0).numpy() if t.dim() == 3 else t.numpy()


def show_images(
    images: Sequence[Tensor] | Mapping[str, Tensor],
    titles: Sequence[str] | None = None,
    ncols: int | None = None,
    size: float = 3.0,
    suptitle: str | None = None,
) -> Figure:
    """Images side by side, each with its caption.

    Args:
        images: tensors :math:`(1, 3, H, W)` in :math:`[0, 1]`, or ``{caption: tensor}``.
        titles: captions, when ``images`` is a sequence.
        ncols: images per row (default: all in one row, at most 5).
        size: inches per image.
    """
    if isinstance(images, Mapping):
        titles, images = list(images.keys()), list(images.values())
    images = list(images)
    n = len(images)
    ncols = ncols or min(n, 5)
    nrows = (n + ncols - 1) // ncols
    _prepare_fonts()
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            arr = to_numpy_image(images[i])
            ax.imshow(arr, cmap="gray" if arr.ndim == 2 else None)
            if titles is not None and i < len(titles):
                ax.set_title(label(titles[i]))
    if suptitle:
        fig.suptitle(label(suptitle), fontweight="bold")
    fig.tight_layout()
    return fig


def plot_losses(
    histories: Mapping[str, Mapping[str, Sequence[float]]] | Mapping[str, Sequence[float]],
    components: Sequence[str] = ("total",),
    title: str = "Loss during optimisation",
    logy: bool = True,
    ax: plt.Axes | None = None,
) -> Figure:
    """Loss curves against the number of objective evaluations.

    Args:
        histories: a run's history ``{"total": [...], ...}`` (as in ``StyleResult.history``),
            or several runs ``{label: history}`` to compare on one plot.
        components: which loss components to draw.
    """
    first = next(iter(histories.values()))
    runs = {"": histories} if not isinstance(first, Mapping) else histories
    if ax is None:
        _prepare_fonts()
        fig, ax = plt.subplots(figsize=(7, 4))
    else:
        fig = ax.figure
    for run, history in runs.items():
        for comp in components:
            values = list(history.get(comp, []))  # type: ignore[union-attr]
            if not values:
                continue
            name = f"{run} ({comp})" if run and len(components) > 1 else (run or comp)
            style = {"color": COLORS.get(comp)} if not run else {}
            ax.plot(range(1, len(values) + 1), values, label=label(name), **style)
    ax.set_xlabel(label("objective evaluations"))
    ax.set_ylabel(label("loss"))
    if logy:
        ax.set_yscale("log")
    ax.set_title(label(title))
    ax.legend()
    fig.tight_layout()
    return fig


def show_feature_maps(
    activation: Tensor, channels: Sequence[int] | int = 16, ncols: int = 8, title: str = ""
) -> Figure:
    """A grid of feature maps (channels) of one activation :math:`(1, N, H, W)`."""
    act = activation.detach().float().cpu()[0]
    idx = list(range(min(channels, act.shape[0]))) if isinstance(channels, int) else list(channels)
    nrows = (len(idx) + ncols - 1) // ncols
    _prepare_fonts()
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.6 * ncols, 1.6 * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, c in zip(axes.flat, idx):
        ax.imshow(act[c].numpy(), cmap="viridis")
        ax.set_title(label(f"ch {c}"), fontsize=8, fontweight="normal")
    if title:
        fig.suptitle(label(title), fontweight="bold")
    fig.tight_layout()
    return fig


def show_matrix(
    matrix: Tensor, title: str = "", ax: plt.Axes | None = None, cmap: str = "magma"
) -> Figure:
    """A heat map of a matrix, such as a Gram matrix :math:`(N, N)`, with a colour bar."""
    m = matrix.detach().float().cpu()
    if m.dim() == 3:
        m = m[0]
    if ax is None:
        _prepare_fonts()
        fig, ax = plt.subplots(figsize=(4.5, 4))
    else:
        fig = ax.figure
    im = ax.imshow(m.numpy(), cmap=cmap)
    ax.grid(False)
    ax.set_title(label(title))
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    return fig


# ---------------------------------------------------------------- lessons 01-04


def plot_channel_histograms(panels: Mapping[str, Tensor], bins: int = 50) -> Figure:
    """Histograms of the R, G, B values of images :math:`(1, 3, H, W)`, one panel each.

    ``panels`` maps a panel title to an image (for instance the photo as stored and the same
    photo after the ImageNet normalisation of lesson 01).
    """
    _prepare_fonts()
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.2), squeeze=False)
    for ax, (title, image) in zip(axes[0], panels.items()):
        values = image.detach().float().cpu()
        for c, (name, colour) in enumerate(zip("RGB", ["#d62728", "#2ca02c", "#1f77b4"])):
            ax.hist(
                values[0, c].flatten().numpy(), bins=bins, histtype="step", color=colour, label=name
            )
        ax.set(title=label(title), xlabel=label("value"), ylabel=label("pixels"))
        ax.axvline(0, color="k", lw=0.8)
        ax.legend()
    fig.tight_layout()
    return fig


def plot_layer_costs(rows: Sequence[Mapping], title_size: str = "") -> Figure:
    """Bar charts of parameters (millions) and forward MACs (G) per layer.

    ``rows`` are rows of :func:`nst_teach.extras.architecture.layer_table` (convolutions).
    """
    names = [r["name"] for r in rows]
    _prepare_fonts()
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
    axes[0].bar(names, [r["params"] / 1e6 for r in rows], color="#1f77b4")
    axes[0].set(title=label("parameters per convolution"), ylabel=label("millions"))
    axes[1].bar(names, [r["macs"] / 1e9 for r in rows], color="#d62728")
    cost = label(f"forward cost per convolution {title_size}".strip())
    axes[1].set(title=cost, ylabel="GMACs")
    for ax in axes:
        ax.set_xlabel(label("layer"))
        ax.tick_params(axis="x", rotation=90)
    fig.tight_layout()
    return fig


def show_receptive_fields(image: Tensor, rows: Sequence[Mapping]) -> Figure:
    """The receptive field of the centre position of each layer in ``rows``, drawn on ``image``.

    ``rows`` are rows of :func:`nst_teach.extras.architecture.layer_table` (key ``receptive_field``).
    """
    from matplotlib.patches import Rectangle

    height, width = image.shape[-2:]
    _prepare_fonts()
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.imshow(to_numpy_image(image))
    ax.grid(False)
    cy, cx = height / 2, width / 2
    colours = ["#ffffff", "#ffd92f", "#fc8d62", "#e41a1c", "#984ea3", "#4daf4a", "#377eb8"]
    for row, colour in zip(rows, colours):
        r = row["receptive_field"]
        ax.add_patch(
            Rectangle(
                (cx - r / 2, cy - r / 2),
                r,
                r,
                fill=False,
                lw=2,
                ec=colour,
                label=f"{row['name']}: {r} px",
            )
        )
    ax.set(
        xlim=(0, width),
        ylim=(height, 0),
        title=label("Receptive field of one position"),
        xlabel=label("x (pixels)"),
        ylabel=label("y (pixels)"),
    )
    ax.legend(loc="lower left", fontsize=8, framealpha=0.8, frameon=True)
    return fig


def plot_grouped_bars(
    values: Mapping[str, Sequence[float]], columns: Sequence[str], title: str = "", ylabel: str = ""
) -> Figure:
    """Grouped bars: one group per column, one bar per entry of ``values`` (label -> values)."""
    _prepare_fonts()
    fig, ax = plt.subplots(figsize=(8, 3.4))
    width = 0.8 / max(1, len(values))
    for i, (name, vals) in enumerate(values.items()):
        offset = (i - (len(values) - 1) / 2) * width
        ax.bar([x + offset for x in range(len(columns))], list(vals), width, label=label(name))
    ax.set_xticks(range(len(columns)), [label(c) for c in columns])
    ax.set(title=label(title), xlabel=label("layer"), ylabel=label(ylabel))
    ax.legend()
    fig.tight_layout()
    return fig


__all__ = [
    "CJK_FONTS",
    "COLORS",
    "cjk_font",
    "label",
    "plot_channel_histograms",
    "plot_grouped_bars",
    "plot_layer_costs",
    "plot_losses",
    "show_feature_maps",
    "show_images",
    "show_matrix",
    "show_receptive_fields",
    "to_numpy_image",
    "use_style",
]


# ---------------------------------------------------------------- lesson 11: video frames


def show_frame_rows(
    rows: Mapping[str, Sequence[Tensor]],
    size: float = 2.0,
    suptitle: str | None = None,
) -> Figure:
    """Rows of frames, one row per method (``{row label: [frame 0, frame 1, ...]}``).

    Frames are :math:`(1, 3, H, W)` images in :math:`[0, 1]`; each column is one time step.
    """
    names = list(rows)
    ncols = max(len(frames) for frames in rows.values())
    _prepare_fonts()
    fig, axes = plt.subplots(
        len(names), ncols, figsize=(size * ncols, size * len(names)), squeeze=False
    )
    for i, name in enumerate(names):
        for j, ax in enumerate(axes[i]):
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            if j < len(rows[name]):
                ax.imshow(to_numpy_image(rows[name][j]))
            else:
                ax.axis("off")
            if i == 0:
                ax.set_title(label(f"frame {j}"))
        axes[i, 0].set_ylabel(label(name), fontsize=10)
    if suptitle:
        fig.suptitle(label(suptitle), fontweight="bold")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------- lessons 06-10
# (figures of lessons 06-10 whose code is bookkeeping, not the idea)


def show_image_grid(
    images: Mapping[tuple[Any, Any], Tensor],
    rows: Sequence[Any],
    cols: Sequence[Any],
    row_label: Callable[[Any], str] = str,
    col_label: Callable[[Any], str] = str,
    size: float = 2.3,
    suptitle: str = "",
) -> Figure:
    r"""A grid of images ``images[(row, col)]``, labelled along the top and the left edge.

    Lesson 06 uses it for the layout of arXiv 1508.06576, Fig. 3 (rows: deepest style layer,
    columns: :math:`\alpha/\beta`).

    Examples:
        >>> import torch
        >>> imgs = {(r, c): torch.rand(1, 3, 4, 4) for r in "ab" for c in (1, 2, 3)}
        >>> fig = show_image_grid(imgs, "ab", (1, 2, 3), col_label=lambda c: f"c = {c}")
        >>> len(fig.axes)
        6
        >>> plt.close(fig)
    """
    _prepare_fonts()
    fig, axes = plt.subplots(
        len(rows), len(cols), figsize=(size * len(cols) + 1, size * len(rows)), squeeze=False
    )
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            ax = axes[i, j]
            ax.imshow(to_numpy_image(images[(r, c)]))
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            if i == 0:
                ax.set_title(label(col_label(c)))
            if j == 0:
                ax.set_ylabel(label(row_label(r)), fontsize=10)
    if suptitle:
        fig.suptitle(label(suptitle), fontweight="bold")
    fig.tight_layout()
    return fig


def plot_race(histories: Mapping[str, Mapping[str, Sequence[float]]], title: str = "") -> Figure:
    """Two panels: each run's total loss, and its style part alone, against evaluations.

    Examples:
        >>> fig = plot_race({"a": {"total": [3.0, 2.0, 1.0], "content": [0, 1, 1],
        ...                        "style": [3.0, 1.0, 0.5]}}, title="race")
        >>> [ax.get_yscale() for ax in fig.axes]
        ['log', 'log']
        >>> plt.close(fig)
    """
    _prepare_fonts()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4))
    plot_losses(dict(histories), ax=ax, title=title)
    for name, h in histories.items():
        ax2.plot(range(1, len(h["style"]) + 1), h["style"], label=label(name))
    ax2.set(
        yscale="log",
        xlabel=label("objective evaluations"),
        ylabel=label("style loss (without beta)"),
        title=label("The style part alone"),
    )
    ax2.legend()
    fig.tight_layout()
    return fig


def plot_coarse_to_fine(single: Any, multi: Any, title: str = "") -> Figure:
    """The full-size losses of a single-scale run and of a coarse-to-fine run.

    ``single`` and ``multi`` are :class:`~nst_teach.stylize.StyleResult`-like objects with a
    ``history["total"]``; ``multi.settings["scale_evals"]`` holds its evaluations per scale.
    The coarse evaluations are left out (their losses belong to another image size) and the
    fine ones start where they started.

    Examples:
        >>> from types import SimpleNamespace as NS
        >>> one = NS(history={"total": [4.0, 3.0, 2.0, 1.0]})
        >>> two = NS(history={"total": [9.0, 8.0, 2.5, 1.5]}, settings={"scale_evals": (2, 2)})
        >>> fig = plot_coarse_to_fine(one, two)
        >>> [[int(x) for x in line.get_xdata()] for line in fig.axes[0].lines]
        [[1, 2, 3, 4], [3, 4]]
        >>> plt.close(fig)
    """
    coarse = multi.settings["scale_evals"][0]
    _prepare_fonts()
    fig, ax = plt.subplots(figsize=(7, 4))
    h1 = single.history["total"]
    ax.plot(range(1, len(h1) + 1), h1, label=label("full size only"))
    h2 = multi.history["total"][coarse:]
    ax.plot(
        range(coarse + 1, coarse + len(h2) + 1),
        h2,
        label=label(f"full size, after {coarse} coarse evaluations"),
    )
    ax.set(
        yscale="log",
        xlabel=label("objective evaluations (coarse ones cost about 1/4)"),
        ylabel=label("loss"),
        title=label(title),
    )
    ax.legend()
    fig.tight_layout()
    return fig


__all__ += ["plot_coarse_to_fine", "plot_race", "show_image_grid"]


def show_reference(
    reference: Any, size: float = 2.2, components: Sequence[str] = ("total",)
) -> Figure:
    """A reference run (:class:`nst_teach.lab.references.Reference`): its flipbook of frames, the
    final image last, above its loss curve; the caption gives the size, the evaluations and
    the weights, and marks where the loss stays within 1% of its final value.

    Examples:
        >>> import torch
        >>> class Fake:  # the attributes show_reference reads
        ...     record = {"losses": {"total": [4.0, 2.0, 1.5, 1.4]}, "plateau_eval": 3, "title": "t"}
        ...     def frames(self): return [(2, torch.rand(1, 3, 8, 8)), (4, torch.rand(1, 3, 8, 8))]
        ...     def caption(self): return "reference: 8x8 px"
        >>> fig = show_reference(Fake())
        >>> len(fig.axes)
        3
        >>> plt.close(fig)
    """
    frames = reference.frames()
    n = len(frames)
    _prepare_fonts()
    fig = plt.figure(figsize=(max(size * n, 7.0), size + 2.6))
    grid = fig.add_gridspec(2, n, height_ratios=[size, 2.2])
    for i, (evals, image) in enumerate(frames):
        ax = fig.add_subplot(grid[0, i])
        ax.imshow(to_numpy_image(image))
        ax.axis("off")
        last = i == n - 1
        ax.set_title(label(f"final ({evals})" if last else f"evaluation {evals}"), fontsize=9)
    ax = fig.add_subplot(grid[1, :])
    losses = reference.record["losses"]
    for comp in components:
        values = losses.get(comp, [])
        if values:
            ax.plot(range(1, len(values) + 1), values, label=label(comp), color=COLORS.get(comp))
    plateau = reference.record.get("plateau_eval")
    if plateau:
        ax.axvline(plateau, color="#777777", linestyle="--", linewidth=1)
        ax.annotate(
            label("within 1% of the final loss from here"),
            (plateau, ax.get_ylim()[1]),
            fontsize=8,
            va="top",
            xytext=(4, -4),
            textcoords="offset points",
        )
    ax.set_yscale("log")
    ax.set_xlabel(label("objective evaluations"))
    ax.set_ylabel(label("loss"))
    fig.suptitle(label(reference.caption()), fontsize=10, fontweight="bold")
    fig.tight_layout()
    return fig


__all__ += ["show_reference"]
