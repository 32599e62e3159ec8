"""nst-teach: the mathematics of neural style transfer, to learn and to teach.

The public names below are the ones the lessons use; each lives in a small module of its own.
"""

from .device import float64_device, pick_device, synchronize, to_float64
from .images import OutputExistsError, load_image, save_image
from .lab.settings import fast_mode, lesson_settings
from .layers import (
    LAYER_INDEX,
    LAYER_NAMES,
    PAPER_CONTENT_LAYERS,
    PAPER_STYLE_LAYERS,
    TUTORIAL_CONTENT_LAYERS,
    TUTORIAL_STYLE_LAYERS,
)
from .losses import (
    content_loss,
    content_loss_grad,
    gram_matrix,
    style_layer_loss,
    style_layer_loss_grad,
    style_loss,
    total_loss,
    total_variation_loss,
)
from .objective import StyleObjective
from .optimize import NonFiniteLossError, OptimizationRun, optimize_pixels
from .samples import PAINTINGS, PHOTOS, SAMPLE_NAMES, TEXTURES, sample_credit, sample_image
from .stylize import StyleResult, stylize
from .vgg import VGG19Features

__version__ = "0.1.0"

__all__ = [
    "LAYER_INDEX",
    "LAYER_NAMES",
    "PAINTINGS",
    "PAPER_CONTENT_LAYERS",
    "PAPER_STYLE_LAYERS",
    "PHOTOS",
    "SAMPLE_NAMES",
    "TEXTURES",
    "TUTORIAL_CONTENT_LAYERS",
    "TUTORIAL_STYLE_LAYERS",
    "NonFiniteLossError",
    "OptimizationRun",
    "OutputExistsError",
    "StyleObjective",
    "StyleResult",
    "VGG19Features",
    "content_loss",
    "content_loss_grad",
    "fast_mode",
    "float64_device",
    "gram_matrix",
    "lesson_settings",
    "load_image",
    "optimize_pixels",
    "pick_device",
    "sample_credit",
    "sample_image",
    "save_image",
    "style_layer_loss",
    "style_layer_loss_grad",
    "style_loss",
    "stylize",
    "synchronize",
    "to_float64",
    "total_loss",
    "total_variation_loss",
]
