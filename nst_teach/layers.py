r"""Names of the VGG-19 layers, as Gatys et al. write them, mapped onto torchvision.

torchvision's ``vgg19().features`` is an ``nn.Sequential`` of 37 modules. The paper names
them by block and position: ``conv3_1`` is the first convolution of the third block,
``relu3_1`` the rectifier after it, ``pool3`` the max-pooling that ends the block.

Examples:
    >>> LAYER_INDEX["conv1_1"], LAYER_INDEX["conv4_2"], LAYER_INDEX["pool5"]
    (0, 21, 36)
    >>> LAYER_NAMES[:5]
    ('conv1_1', 'relu1_1', 'conv1_2', 'relu1_2', 'pool1')
    >>> layer_channels("conv3_1"), layer_downsampling("conv3_1")
    (256, 4)
    >>> PAPER_CONTENT_LAYERS, LAYER_INDEX["relu4_2"]  # conv4_2 is index 21, its ReLU 22
    (('relu4_2',), 22)
"""

from __future__ import annotations

from collections.abc import Iterable

#: Number of convolutions in each of VGG-19's five blocks.
BLOCK_SIZES: tuple[int, ...] = (2, 2, 4, 4, 4)
#: Output channels (filters, :math:`N_l`) of the convolutions in each block.
BLOCK_CHANNELS: tuple[int, ...] = (64, 128, 256, 512, 512)


def _build_names() -> tuple[str, ...]:
    names: list[str] = []
    for block, n_convs in enumerate(BLOCK_SIZES, start=1):
        for i in range(1, n_convs + 1):
            names += [f"conv{block}_{i}", f"relu{block}_{i}"]
        names.append(f"pool{block}")
    return tuple(names)


#: All 37 layer names in the order of ``torchvision.models.vgg19().features``.
LAYER_NAMES: tuple[str, ...] = _build_names()
#: Layer name -> index into ``vgg19().features``.
LAYER_INDEX: dict[str, int] = {name: i for i, name in enumerate(LAYER_NAMES)}

#: The paper's style layers (Gatys et al. 2016, Sec. 3) and its content layer. The paper's
#: features are *rectified*: Caffe's ReLUs work in place, so the blob the paper calls
#: ``conv4_2`` holds the output of ``relu4_2`` (Gatys' own code names them r11 ... r51, r42).
PAPER_STYLE_LAYERS: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
PAPER_CONTENT_LAYERS: tuple[str, ...] = ("relu4_2",)
#: The PyTorch tutorial's layers: its ``conv_1`` ... ``conv_5`` and ``conv_4`` in paper names.
#: The tutorial taps the convolutions' outputs *before* their ReLUs, so these stay ``conv``.
TUTORIAL_STYLE_LAYERS: tuple[str, ...] = ("conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1")
TUTORIAL_CONTENT_LAYERS: tuple[str, ...] = ("conv2_2",)


def validate_layers(layers: Iterable[str], what: str = "layer") -> tuple[str, ...]:
    """Return ``layers`` as a tuple, raising ``ValueError`` that lists the valid names.

    Examples:
        >>> validate_layers(["conv4_2"])
        ('conv4_2',)
        >>> validate_layers(["conv6_1"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: unknown layer 'conv6_1'; valid layers are conv1_1, relu1_1, ...
    """
    if isinstance(layers, str):
        layers = [layers]
    out = tuple(layers)
    if not out:
        raise ValueError(f"no {what}s given; valid layers are {', '.join(LAYER_NAMES)}")
    for name in out:
        if name not in LAYER_INDEX:
            raise ValueError(f"unknown {what} {name!r}; valid layers are {', '.join(LAYER_NAMES)}")
    if len(set(out)) != len(out):
        raise ValueError(f"{what}s repeat a name: {', '.join(out)}")
    return out


def deepest_index(layers: Iterable[str]) -> int:
    """Index in ``vgg19().features`` of the deepest of ``layers``."""
    return max(LAYER_INDEX[name] for name in layers)


def layer_block(name: str) -> int:
    """The block (1 to 5) a layer belongs to."""
    return int(name.removeprefix("conv").removeprefix("relu").removeprefix("pool")[0])


def layer_channels(name: str) -> int:
    """Number of channels :math:`N_l` of a layer's output."""
    return BLOCK_CHANNELS[layer_block(name) - 1]


def layer_downsampling(name: str) -> int:
    """Factor by which a layer's output is smaller than the image (2 per pooling before it)."""
    n_pools = sum(1 for n in LAYER_NAMES[: LAYER_INDEX[name] + 1] if n.startswith("pool"))
    return 2**n_pools


def min_image_side(layers: Iterable[str]) -> int:
    """Smallest image side for which every layer in ``layers`` has at least one position.

    Examples:
        >>> min_image_side(["conv5_1"]), min_image_side(["conv1_1"])
        (16, 1)
    """
    return max(layer_downsampling(name) for name in layers)


__all__ = [
    "BLOCK_CHANNELS",
    "BLOCK_SIZES",
    "LAYER_INDEX",
    "LAYER_NAMES",
    "PAPER_CONTENT_LAYERS",
    "PAPER_STYLE_LAYERS",
    "TUTORIAL_CONTENT_LAYERS",
    "TUTORIAL_STYLE_LAYERS",
    "deepest_index",
    "layer_block",
    "layer_channels",
    "layer_downsampling",
    "min_image_side",
    "validate_layers",
]
