"""The lesson extras: what the lessons show beyond the method itself.

Each module imports the pipeline (``nst_teach.*``) and nothing from :mod:`nst_teach.lab`:
the layer table and FLOP counts (``architecture``), colour preservation (``color``), spatial
control (``spatial``), other implementations' conventions (``conventions``), AdaIN and
mean/std statistics (``adain``), feed-forward networks (``feedforward``) and video (``video``).
"""

__all__ = ["adain", "architecture", "color", "conventions", "feedforward", "spatial", "video"]
