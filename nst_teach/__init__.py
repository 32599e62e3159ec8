"""nst-teach: the mathematics of neural style transfer, to learn and to teach.

The public names below are the ones the lessons use, in the order the method needs them; each
lives in a small module of its own (see ARCHITECTURE.md). The pipeline is ``nst_teach.*``; the
lessons' extras are in :mod:`nst_teach.extras`, the classroom machinery in :mod:`nst_teach.lab`.
"""

# Imports in module order; __all__ below lists the names by topic.
from .defaults import DEFAULT_ALPHA, DEFAULT_BETA
from .device import float64_device, pick_device, synchronize, to_float64
from .images import OutputExistsError, load_image, resize_cover, save_image
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
    feature_matrix,
    gram_matrix,
    style_layer_loss,
    style_layer_loss_grad,
    style_loss,
    total_loss,
    total_variation_loss,
)
from .machine import matmul_gflops
from .objective import StyleObjective, style_gram_targets
from .optimize import NonFiniteLossError, OptimizationRun, optimize_pixels, record_projected_step
from .samples import PAINTINGS, PHOTOS, SAMPLE_NAMES, TEXTURES, sample_credit, sample_image
from .stylize import StyleResult, cached_extractor, stylize
from .vgg import IMAGENET_MEAN, IMAGENET_STD, VGG19Features
from .weights import imagenet_weights_cached

__version__ = "0.1.0"

# By topic, in the order the lessons meet them (not alphabetically).
__all__ = [  # noqa: RUF022
    # images
    "PAINTINGS",
    "PHOTOS",
    "SAMPLE_NAMES",
    "TEXTURES",
    "OutputExistsError",
    "load_image",
    "resize_cover",
    "sample_credit",
    "sample_image",
    "save_image",
    # the machine
    "float64_device",
    "matmul_gflops",
    "pick_device",
    "synchronize",
    "to_float64",
    # network
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "LAYER_INDEX",
    "LAYER_NAMES",
    "PAPER_CONTENT_LAYERS",
    "PAPER_STYLE_LAYERS",
    "TUTORIAL_CONTENT_LAYERS",
    "TUTORIAL_STYLE_LAYERS",
    "VGG19Features",
    "cached_extractor",
    "imagenet_weights_cached",
    # losses
    "content_loss",
    "content_loss_grad",
    "feature_matrix",
    "gram_matrix",
    "style_layer_loss",
    "style_layer_loss_grad",
    "style_loss",
    "total_loss",
    "total_variation_loss",
    # objective
    "StyleObjective",
    "style_gram_targets",
    # optimisation
    "NonFiniteLossError",
    "OptimizationRun",
    "optimize_pixels",
    "record_projected_step",
    # the whole method
    "DEFAULT_ALPHA",
    "DEFAULT_BETA",
    "StyleResult",
    "stylize",
    # settings
    "fast_mode",
    "lesson_settings",
]
