"""The classroom machinery: settings, the result cache, plots, widgets and the language.

These modules serve the lessons, not the method: the pipeline (``nst_teach.*``) never imports
them. ``settings`` (fast or default sizes), ``cache`` (sweeps kept on disk), ``plotting`` and
``figures_zh`` (figures, in English or Chinese), ``widgets`` (Jupyter widgets) and
``language`` (the one language setting the exercises and the figures share).
"""

__all__ = ["cache", "figures_zh", "language", "plotting", "settings", "widgets"]
