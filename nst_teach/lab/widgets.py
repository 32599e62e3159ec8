r"""Interactive widgets for the classroom: a style transfer explorer, a feature-map browser
and a live view of the image as it forms.

Every callback is a plain method (``run``, ``update_preview``, ``redraw``, ...), so that a
notebook cell or a test can set a control's ``.value`` or call the method and check what
changed, without a browser. Pictures are ``ipywidgets.Image`` widgets holding PNG bytes, so
their content (``.value``) can be inspected in the kernel.

Examples:
    >>> import torch
    >>> live = LiveImage(every=2)
    >>> live(1, torch.rand(1, 3, 8, 8), {"total": 1.0}) is None, live.frames
    (True, 1)
    >>> live(2, torch.rand(1, 3, 8, 8), {"total": 0.5}), live.frames
    (None, 2)
    >>> live(3, torch.rand(1, 3, 8, 8), {"total": 0.4}), live.frames  # not every evaluation
    (None, 2)
"""

from __future__ import annotations

import html
import io
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as PILImage
from torch import Tensor

from ..images import OutputExistsError, load_image, resize_long_side, save_image
from ..layers import LAYER_NAMES, PAPER_CONTENT_LAYERS, PAPER_STYLE_LAYERS
from ..samples import SAMPLE_NAMES, sample_image
from ..stylize import DEFAULT_BETA, INITS, StyleResult, cached_extractor, stylize
from .plotting import COLORS, STYLE, _prepare_fonts, to_numpy_image
from .plotting import label as figure_label
from .settings import lesson_settings


def _upload_file_name(name: str) -> str:
    """A safe file name for an upload: ``upload`` plus its suffix when that is plain (the
    student's name may be ``..``, ``/`` or hold anything).

    Examples:
        >>> _upload_file_name("holiday.JPG"), _upload_file_name(".."), _upload_file_name("a.<b>")
        ('upload.jpg', 'upload', 'upload')
    """
    suffix = Path(name.replace("\\", "/")).suffix.lower()
    return "upload" + suffix if suffix[1:].isalnum() and len(suffix) <= 6 else "upload"


#: The content dropdown's entry for a photo the student uploaded.
OWN_PHOTO = "your photo"
#: The convolution layers a student can pick (the paper's names).
CONV_LAYERS: tuple[str, ...] = tuple(n for n in LAYER_NAMES if n.startswith("conv"))
#: Convolutions and their rectifiers, in network order: the layers a content loss can use
#: (the paper's own are rectified, ``relu4_2``; the PyTorch tutorial's are not).
FEATURE_LAYERS: tuple[str, ...] = tuple(n for n in LAYER_NAMES if not n.startswith("pool"))


def png_bytes(image: Tensor | np.ndarray, scale: int = 1) -> bytes:
    """An image (a tensor :math:`(1, 3, H, W)` or an array :math:`(H, W, 3)` in [0, 1]) as PNG
    bytes, enlarged ``scale`` times with nearest-neighbour pixels (crisp on a projector)."""
    arr = to_numpy_image(image) if isinstance(image, Tensor) else np.asarray(image)
    arr8 = (np.clip(arr, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    pil = PILImage.fromarray(arr8)
    if scale > 1:
        pil = pil.resize((pil.width * scale, pil.height * scale), PILImage.NEAREST)
    buf = io.BytesIO()
    pil.save(buf, format="png")
    return buf.getvalue()


def figure_png(fig: Figure) -> bytes:
    """Render a matplotlib figure (made with ``Figure()``, not pyplot) to PNG bytes."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=STYLE["figure.dpi"])
    return buf.getvalue()


def feature_map_image(activation: Tensor, channel: int) -> Tensor:
    r"""One channel of an activation :math:`(1, N, H, W)`, scaled to :math:`[0, 1]` by its
    own minimum and maximum: :math:`(x - \min x) / (\max x - \min x)`; a constant map gives
    zeros. Returns :math:`(1, 1, H, W)`.

    Examples:
        >>> feature_map_image(torch.tensor([[[[1.0, 3.0], [2.0, 5.0]]]]), 0)
        tensor([[[[0.0000, 0.5000],
                  [0.2500, 1.0000]]]])
    """
    if activation.dim() != 4:
        raise ValueError(f"expected an activation (1, N, H, W), got {tuple(activation.shape)}")
    if not 0 <= channel < activation.shape[1]:
        raise ValueError(f"channel {channel} out of range 0..{activation.shape[1] - 1}")
    fmap = activation[:1, channel : channel + 1].detach().float()
    lo, hi = fmap.min(), fmap.max()
    if float(hi - lo) == 0.0:
        return torch.zeros_like(fmap)
    return (fmap - lo) / (hi - lo)


def _colormap_rgb(fmap: Tensor, cmap: str = "viridis") -> np.ndarray:
    return colormaps[cmap](fmap[0, 0].cpu().numpy())[..., :3]


def _scale_for(height: int, width: int, target: int = 256) -> int:
    return max(1, target // max(height, width))


class LiveImage:
    """Watch an optimisation: a callback for :func:`~nst_teach.stylize.stylize` or
    :func:`~nst_teach.optimize.optimize_pixels` that redraws an ``ipywidgets.Image`` every
    ``every`` evaluations and keeps those frames in :attr:`snapshots` (for a filmstrip that
    also shows in a static copy of the notebook).

    Display :attr:`widget` in a cell, then run the optimisation with ``callback=live``.
    """

    def __init__(self, every: int = 5, width: int = 256, keep: bool = True) -> None:
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        self.every = every
        self.keep = keep
        self.frames = 0
        self.snapshots: list[tuple[int, Tensor]] = []
        self.image = widgets.Image(format="png", layout=widgets.Layout(width=f"{width}px"))
        self.label = widgets.Label(value="waiting for the first evaluation")
        self.widget = widgets.VBox([self.label, self.image])

    def __call__(self, evals: int, image: Tensor, losses: Mapping[str, float]) -> None:
        if evals == 1 or evals % self.every == 0:
            self.show(evals, image, losses)
        return None

    def show(self, evals: int, image: Tensor, losses: Mapping[str, float]) -> None:
        """Draw ``image`` now, with the evaluation count and total loss above it."""
        img = image.detach().cpu().clamp(0, 1)
        self.image.value = png_bytes(img, _scale_for(*img.shape[-2:]))
        total = losses.get("total", float("nan"))
        self.label.value = f"evaluation {evals}: total loss {total:.4g}"
        self.frames += 1
        if self.keep:
            self.snapshots.append((evals, img.clone()))


class Flipbook:
    """A reference run's frames behind a slider (:class:`nst_teach.lab.references.Reference`):
    move the slider to see the image at evaluation 5, 20, 50, ... and at the end.

    Examples:
        >>> import torch
        >>> class Fake:  # what Flipbook reads of a reference
        ...     def frames(self): return [(5, torch.zeros(1, 3, 4, 4)), (9, torch.ones(1, 3, 4, 4))]
        ...     def caption(self): return "reference: 4x4 px"
        >>> book = Flipbook(Fake())
        >>> book.slider.max, book.label.value
        (1, 'evaluation 9 (final) · reference: 4x4 px')
        >>> book.slider.value = 0  # what a student's drag does
        >>> book.label.value
        'evaluation 5 · reference: 4x4 px'
    """

    def __init__(self, reference: object, width: int = 256) -> None:
        self.frames = reference.frames()  # type: ignore[attr-defined]
        self.caption = str(reference.caption())  # type: ignore[attr-defined]
        last = len(self.frames) - 1
        self.slider = widgets.IntSlider(
            value=last, min=0, max=last, description="frame", continuous_update=True
        )
        self.image = widgets.Image(format="png", layout=widgets.Layout(width=f"{width}px"))
        self.label = widgets.Label()
        self.slider.observe(lambda change: self.show(change["new"]), names="value")
        self.widget = widgets.VBox([self.label, self.image, self.slider])
        self.show(last)

    def show(self, index: int) -> None:
        """Draw frame ``index`` with its evaluation number."""
        evals, image = self.frames[index]
        self.image.value = png_bytes(image, _scale_for(*image.shape[-2:]))
        final = " (final)" if index == len(self.frames) - 1 else ""
        self.label.value = f"evaluation {evals}{final} · {self.caption}"


class StyleExplorer:
    """Pick content, style, layers and weights; press Run; see the result and loss curves.

    Controls (all ``ipywidgets``): :attr:`content` and :attr:`style` dropdowns of sample
    names, :attr:`layer_boxes` (one checkbox per style layer), :attr:`content_layer`,
    :attr:`alpha` and :attr:`beta` (log sliders; :attr:`beta_auto`, on until the beta slider
    is moved, lets :func:`~nst_teach.stylize.stylize` choose beta: its default with trained
    weights, the random-weight calibration with random ones), :attr:`steps`, :attr:`size`, :attr:`init`,
    :attr:`optimizer` and the :attr:`run_button`; :attr:`upload` takes the student's own
    photo (it becomes the content, ``"your photo"`` in the dropdown) and :attr:`save_button`
    writes the result as a PNG in :attr:`save_dir` (a new name each time, nothing
    overwritten). Outputs: :attr:`preview` (content and style), :attr:`result_image`
    (updated live while optimising), :attr:`loss_image` (loss curves of this run and the
    previous ones) and :attr:`status`.

    Everything the buttons do is :meth:`run` and :meth:`save`; changing content or style calls
    :meth:`update_preview`, an upload :meth:`use_upload`. Display :attr:`widget`. ``keep_curves`` is how many runs' loss
    curves the plot shows, this run's included (0: none).
    """

    def __init__(
        self,
        content: str = "hopper",
        style: str = "swirls",
        *,
        size: int | None = None,
        steps: int | None = None,
        style_layers: Sequence[str] = PAPER_STYLE_LAYERS,
        weights: str = "imagenet",
        live_every: int = 5,
        keep_curves: int = 3,
        save_dir: str | os.PathLike[str] = ".",
    ) -> None:
        settings = lesson_settings()
        size = size or settings["size"]
        steps = steps or settings["steps"]
        self.weights = weights
        self.live_every = live_every
        if isinstance(keep_curves, bool) or not isinstance(keep_curves, int) or keep_curves < 0:
            raise ValueError(f"keep_curves must be a whole number >= 0, got {keep_curves!r}")
        self.keep_curves = keep_curves
        self.runs = 0
        self.result: StyleResult | None = None
        self.past: list[tuple[str, dict[str, list[float]]]] = []
        self.own_photo: Tensor | None = None
        self.save_dir = Path(save_dir)
        self.saved: list[Path] = []

        self.content = widgets.Dropdown(options=SAMPLE_NAMES, value=content, description="content")
        self.style = widgets.Dropdown(options=SAMPLE_NAMES, value=style, description="style")
        choices = tuple(dict.fromkeys((*PAPER_STYLE_LAYERS, *style_layers)))
        self.layer_boxes = {
            name: widgets.Checkbox(
                value=name in style_layers,
                description=name,
                indent=False,
                layout=widgets.Layout(width="90px"),
            )
            for name in choices
        }
        self.content_layer = widgets.Dropdown(
            options=FEATURE_LAYERS, value=PAPER_CONTENT_LAYERS[0], description="content layer"
        )
        self.alpha = widgets.FloatLogSlider(
            value=1.0, base=10, min=-4, max=4, step=0.25, description="alpha", readout_format=".1e"
        )
        self.beta = widgets.FloatLogSlider(
            value=DEFAULT_BETA,
            base=10,
            min=0,
            max=10,
            step=0.25,
            description="beta",
            readout_format=".1e",
        )
        self.beta_auto = widgets.Checkbox(
            value=True,
            description="auto beta (calibrated when the weights are random)",
            indent=False,
        )
        self.steps = widgets.IntSlider(
            value=steps, min=1, max=max(500, 2 * steps), description="steps"
        )
        sizes = sorted({64, 128, 192, 256, 384, 512, size})
        self.size = widgets.Dropdown(options=sizes, value=size, description="size")
        self.init = widgets.Dropdown(options=INITS, value="content", description="start from")
        self.optimizer = widgets.Dropdown(
            options=("lbfgs", "adam", "gd"), value="lbfgs", description="optimiser"
        )
        self.run_button = widgets.Button(description="Run", button_style="primary", icon="play")
        self.upload = widgets.FileUpload(accept="image/*", multiple=False, description="your photo")
        self.save_button = widgets.Button(description="Save PNG", icon="download", disabled=True)
        self.status = widgets.HTML(value="Press <b>Run</b>.")
        self.preview = widgets.Image(format="png", layout=widgets.Layout(width="300px"))
        self.result_image = widgets.Image(format="png", layout=widgets.Layout(width="300px"))
        self.loss_image = widgets.Image(format="png", layout=widgets.Layout(width="420px"))

        self.run_button.on_click(self.run)
        self.save_button.on_click(self.save)
        self.upload.observe(self.use_upload, names="value")
        self.content.observe(self.update_preview, names="value")
        self.beta.observe(self._beta_moved, names="value")
        self.style.observe(self.update_preview, names="value")
        self.update_preview()

        boxes = widgets.HBox(list(self.layer_boxes.values()))
        controls = widgets.VBox(
            [
                widgets.HBox([self.content, self.style, self.upload]),
                widgets.HTML("<b>style layers</b>"),
                boxes,
                widgets.HBox([self.content_layer, self.init]),
                self.alpha,
                widgets.HBox([self.beta, self.beta_auto]),
                widgets.HBox([self.steps, self.size]),
                widgets.HBox([self.optimizer, self.run_button, self.save_button]),
                self.status,
            ]
        )
        pictures = widgets.HBox([self.preview, self.result_image, self.loss_image])
        self.widget = widgets.VBox([controls, pictures])

    # ---- what the controls say -------------------------------------------------------------
    def selected_layers(self) -> tuple[str, ...]:
        """The style layers whose boxes are ticked."""
        return tuple(name for name, box in self.layer_boxes.items() if box.value)

    def settings(self) -> dict[str, object]:
        """The keyword arguments :meth:`run` passes to :func:`~nst_teach.stylize.stylize`."""
        return {
            "size": int(self.size.value),
            "steps": int(self.steps.value),
            "alpha": float(self.alpha.value),
            "beta": None if self.beta_auto.value else float(self.beta.value),
            "style_layers": self.selected_layers(),
            "content_layers": (self.content_layer.value,),
            "init": self.init.value,
            "optimizer": self.optimizer.value,
            "weights": self.weights,
        }

    def _beta_moved(self, change: object = None) -> None:
        """Moving the slider (or setting ``beta.value``) means: use this beta."""
        self.beta_auto.value = False

    def content_image(self) -> Tensor | str:
        """What :meth:`run` passes as content: a sample name, or the uploaded photo."""
        if self.content.value == OWN_PHOTO and self.own_photo is not None:
            return self.own_photo
        return self.content.value

    # ---- callbacks ---------------------------------------------------------------------------
    def use_upload(self, change: object = None) -> Tensor | None:
        """Read the uploaded file (``upload.value``: ipywidgets 8's tuple of dicts with
        ``name`` and ``content``) as the content image; the status says so, or why not."""
        files = self.upload.value
        if not files:
            return None
        upload = files[-1]
        name = str(upload.get("name", "upload"))
        shown = html.escape(name)  # the name is the student's: never markup in the status
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / _upload_file_name(name)
            try:
                path.write_bytes(bytes(upload["content"]))
                photo = load_image(path)
            except (ValueError, OSError) as exc:
                self.status.value = f"<b>Cannot use {shown}:</b> {html.escape(str(exc))}"
                return None
        if max(photo.shape[-2:]) > 512:  # a phone's photo: the largest size the dropdown offers
            photo = resize_long_side(photo, 512)
        self.own_photo = photo
        if OWN_PHOTO not in self.content.options:
            self.content.options = (OWN_PHOTO, *SAMPLE_NAMES)
        if self.content.value == OWN_PHOTO:
            self.update_preview()
        else:
            self.content.value = OWN_PHOTO  # the observer redraws the preview
        height, width = photo.shape[-2:]
        self.status.value = f"Content: your photo {shown} ({width}x{height}). Press <b>Run</b>."
        return photo

    def save(self, button: object = None) -> Path | None:
        """Write the last result as a PNG in :attr:`save_dir` under a name not yet taken
        (``nst-result-1.png``, ``nst-result-2.png``, ...); return the path."""
        if self.result is None:
            self.status.value = "Nothing to save yet: press <b>Run</b> first."
            return None
        self.save_dir.mkdir(parents=True, exist_ok=True)
        n = 1
        while True:
            while (self.save_dir / f"nst-result-{n}.png").exists():
                n += 1
            try:  # never replaces: a name another kernel took meanwhile moves on to the next
                path = save_image(self.result.image, self.save_dir / f"nst-result-{n}.png")
                break
            except OutputExistsError:
                n += 1
        self.saved.append(path)
        self.status.value = f"Saved {html.escape(str(path))}"
        return path

    def update_preview(self, change: object = None) -> None:
        """Show the chosen content and style images side by side."""
        size = 128
        own = self.content_image()
        c = resize_long_side(own, size) if isinstance(own, Tensor) else sample_image(own, size)
        s = sample_image(self.style.value, size)
        h = max(c.shape[-2], s.shape[-2])
        pad = np.ones((h, c.shape[-1] + 4 + s.shape[-1], 3))
        pad[: c.shape[-2], : c.shape[-1]] = to_numpy_image(c)
        pad[: s.shape[-2], c.shape[-1] + 4 :] = to_numpy_image(s)
        self.preview.value = png_bytes(pad, 2)

    def _live(self, evals: int, image: Tensor, losses: Mapping[str, float]) -> None:
        if evals == 1 or evals % self.live_every == 0:
            self.result_image.value = png_bytes(image.cpu(), _scale_for(*image.shape[-2:], 300))
            self.status.value = f"evaluation {evals}/{self.steps.value}: loss {losses['total']:.4g}"

    def run(self, button: object = None) -> StyleResult | None:
        """Stylise with the current settings, drawing the image as it forms, then the result
        and the loss curves. Returns the :class:`~nst_teach.stylize.StyleResult` (also kept
        in :attr:`result`), or ``None`` if the settings are invalid (the status says why)."""
        kwargs = self.settings()
        if not kwargs["style_layers"]:
            self.status.value = "<b>Tick at least one style layer.</b>"
            return None
        self.run_button.disabled = True
        self.status.value = "optimising..."
        try:
            result = stylize(
                self.content_image(),
                self.style.value,
                callback=self._live,
                progress=False,
                **kwargs,  # type: ignore[arg-type]
            )
        except ValueError as exc:
            self.status.value = f"<b>Cannot run:</b> {html.escape(str(exc))}"
            return None
        finally:
            self.run_button.disabled = False
        self.runs += 1
        self.result = result
        self.save_button.disabled = False
        self.result_image.value = png_bytes(result.image, _scale_for(*result.image.shape[-2:], 300))
        beta = float(result.settings["beta"])  # type: ignore[arg-type]
        if kwargs["beta"] is None:  # show the beta that was used
            self.beta.unobserve(self._beta_moved, names="value")
            self.beta.value = beta
            self.beta.observe(self._beta_moved, names="value")
        label = (
            f"#{self.runs} {self.style.value} a={kwargs['alpha']:.0e} b={beta:.0e} "
            f"{kwargs['optimizer']}"
        )
        past = [*self.past, (label, result.history)]
        self.past = past[-self.keep_curves :] if self.keep_curves else []
        self.loss_image.value = figure_png(self.loss_figure())
        self.status.value = (
            f"run {self.runs}: {result.evals} evaluations in {result.seconds:.1f} s "
            f"({1000 * result.seconds_per_eval:.0f} ms each); weights: {result.weights}"
        )
        return result

    def loss_figure(self) -> Figure:
        """Total loss of the last runs (solid) and the current run's content and style parts."""
        _prepare_fonts()
        fig = Figure(figsize=(5.6, 3.6))
        ax = fig.add_subplot()
        for i, (name, hist) in enumerate(self.past):
            last = i == len(self.past) - 1
            x = range(1, len(hist["total"]) + 1)
            ax.plot(
                x,
                hist["total"],
                label=figure_label(name),
                lw=2 if last else 1,
                alpha=1 if last else 0.5,
            )
        if self.past:
            used = self.result.settings if self.result is not None else {}
            alpha = float(used.get("alpha", self.alpha.value))  # type: ignore[arg-type]
            beta = float(used.get("beta", self.beta.value))  # type: ignore[arg-type]
            hist = self.past[-1][1]
            x = range(1, len(hist["total"]) + 1)
            ax.plot(
                x,
                [alpha * v for v in hist["content"]],
                "--",
                color=COLORS["content"],
                label=figure_label("alpha * content"),
            )
            ax.plot(
                x,
                [beta * v for v in hist["style"]],
                "--",
                color=COLORS["style"],
                label=figure_label("beta * style"),
            )
        ax.set_yscale("log")
        if self.past:  # a content loss of 0 at the start would stretch the axis to 1e-30
            lowest = min(min(h["total"]) for _, h in self.past)
            ax.set_ylim(bottom=max(lowest * 1e-4, ax.get_ylim()[0]))
        ax.set_xlabel(figure_label("objective evaluations"))
        ax.set_ylabel(figure_label("loss"))
        ax.set_title(figure_label("Loss curves"), fontweight="bold")
        ax.grid(True, alpha=0.3)
        if self.past:
            ax.legend(fontsize=7, frameon=False)
        fig.tight_layout()
        return fig


class FeatureMapBrowser:
    """Browse VGG-19's feature maps: an image dropdown, a layer slider and a channel slider.

    :attr:`layer` is a ``SelectionSlider`` over the convolution layers, :attr:`channel` an
    ``IntSlider`` whose maximum follows the layer's :math:`N_l - 1`. :attr:`view` shows the
    input image next to the chosen feature map (scaled to its own min and max by
    :func:`feature_map_image`); :attr:`info` gives the map's size and value range.
    The callbacks are :meth:`set_image`, :meth:`set_layer` and :meth:`redraw`.
    """

    def __init__(
        self,
        image: str = "hopper",
        *,
        layers: Sequence[str] = CONV_LAYERS,
        size: int | None = None,
        weights: str = "imagenet",
        cmap: str = "viridis",
    ) -> None:
        self.size = size or lesson_settings()["size"]
        self.cmap = cmap
        self.extractor = cached_extractor(layers, weights=weights)
        self.features: dict[str, Tensor] = {}
        self.input: Tensor | None = None
        self.image_choice = widgets.Dropdown(options=SAMPLE_NAMES, value=image, description="image")
        self.layer = widgets.SelectionSlider(
            options=list(layers), value=layers[0], description="layer", continuous_update=False
        )
        self.channel = widgets.IntSlider(value=0, min=0, max=1, description="channel")
        self.view = widgets.Image(format="png", layout=widgets.Layout(width="520px"))
        self.info = widgets.HTML()
        self.image_choice.observe(self.set_image, names="value")
        self.layer.observe(self.set_layer, names="value")
        self.channel.observe(self.redraw, names="value")
        self.set_image()
        self.widget = widgets.VBox(
            [widgets.HBox([self.image_choice, self.layer, self.channel]), self.view, self.info]
        )

    def set_image(self, change: object = None) -> None:
        """Run VGG once on the chosen image (all layers), then redraw."""
        self.input = sample_image(self.image_choice.value, self.size)
        with torch.no_grad():
            self.features = self.extractor(self.input)
        self.set_layer()

    def set_layer(self, change: object = None) -> None:
        """Fit the channel slider to the layer's number of channels, then redraw."""
        n = self.features[self.layer.value].shape[1]
        if self.channel.value > n - 1:
            self.channel.value = n - 1  # triggers redraw through the observer
        self.channel.max = n - 1
        self.redraw()

    def redraw(self, change: object = None) -> None:
        """Draw the input image and feature map ``channel`` of ``layer``, side by side."""
        act = self.features[self.layer.value]
        fmap = feature_map_image(act, int(self.channel.value))
        assert self.input is not None
        h, w = self.input.shape[-2:]
        big = torch.nn.functional.interpolate(fmap, size=(h, w), mode="nearest")
        rgb = _colormap_rgb(big, self.cmap)
        canvas = np.ones((h, 2 * w + 6, 3))
        canvas[:, :w] = to_numpy_image(self.input)
        canvas[:, w + 6 :] = rgb
        self.view.value = png_bytes(canvas, _scale_for(h, 2 * w, 520))
        raw = act[0, int(self.channel.value)]
        self.info.value = (
            f"{self.layer.value}: {act.shape[1]} channels of {act.shape[2]}x{act.shape[3]} "
            f"positions; channel {int(self.channel.value)} ranges from {float(raw.min()):.3g} "
            f"to {float(raw.max()):.3g} (weights: {self.extractor.weights_source})"
        )


__all__ = [
    "CONV_LAYERS",
    "FEATURE_LAYERS",
    "FeatureMapBrowser",
    "Flipbook",
    "LiveImage",
    "StyleExplorer",
    "feature_map_image",
    "figure_png",
    "png_bytes",
]
