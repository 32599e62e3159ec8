r"""The weights of Eq. (7) that every objective starts from, defined once.

.. math::

    \mathcal{L}_\text{total} = \alpha \mathcal{L}_\text{content} + \beta \mathcal{L}_\text{style}

with :math:`\alpha` = :data:`DEFAULT_ALPHA` = 1 and :math:`\beta` = :data:`DEFAULT_BETA` =
:math:`10^6`: the weights for trained (ImageNet) weights with the paper's losses (Eqs. 1, 4, 5
and 7, :math:`w_l = 1/5`) and rectified layers, for torchvision's VGG-19 as its users feed it
(pixels in [0, 1], ImageNet mean and deviation). The paper's own ratios
(:math:`\alpha / \beta = 10^{-3} \dots 10^{-4}`) assume its normalised Caffe network and 0-255
pixels, whose features have other magnitudes; lesson 08 converts between conventions.
:func:`~nst_teach.losses.total_loss`, :class:`~nst_teach.objective.LayerObjective`,
:class:`~nst_teach.objective.StyleObjective`, :func:`~nst_teach.stylize.stylize`,
:class:`~nst_teach.extras.spatial.MaskedStyleObjective` and
:class:`~nst_teach.extras.feedforward.PerceptualLoss` default to them.

Examples:
    >>> DEFAULT_BETA / DEFAULT_ALPHA
    1000000.0
"""

#: :math:`\alpha`, the content weight of Eq. (7).
DEFAULT_ALPHA = 1.0
#: :math:`\beta`, the style weight of Eq. (7) (with trained weights; :func:`~nst_teach.stylize.stylize`
#: calibrates it for random ones).
DEFAULT_BETA = 1e6

__all__ = ["DEFAULT_ALPHA", "DEFAULT_BETA"]
