r"""Colour control: keep the content photo's colours (Gatys, Ecker, Bethge, Hertzmann and
Shechtman 2017, "Controlling Perceptual Factors in Neural Style Transfer", Sec. 5).

Plain style transfer copies the style image's palette along with its brush strokes. The paper
gives two ways to keep the colours of the content image:

1. **Luminance-only transfer** (Sec. 5.1): transfer style between the *luminance* channels
   only, then put the content image's colour (chroma) channels back. In YIQ (or YUV), with
   :math:`Y = 0.299 R + 0.587 G + 0.114 B`, the result is :math:`(Y_\text{out}, I_C, Q_C)`.
2. **Colour histogram matching** (Sec. 5.2): before the transfer, recolour the style image
   with an affine map :math:`x \mapsto A x + b` of its RGB pixels so that their mean and
   covariance equal the content image's, :math:`b = \mu_C - A \mu_S`,
   :math:`A \Sigma_S A^\top = \Sigma_C`.

Images are tensors :math:`(B, 3, H, W)` in :math:`[0, 1]`.

Examples:
    >>> import torch
    >>> img = torch.rand(1, 3, 8, 8)
    >>> torch.allclose(yiq_to_rgb(rgb_to_yiq(img)), img, atol=1e-6)
    True
    >>> rgb_to_yiq(torch.ones(1, 3, 1, 1)).flatten().round(decimals=4) + 0.0  # white: no chroma
    tensor([1., 0., 0.])
"""

from __future__ import annotations

import torch
from torch import Tensor

#: RGB -> YIQ (NTSC 1953, FCC coefficients). Rows: Y, I, Q. Each chroma row sums to 0.
RGB_TO_YIQ = torch.tensor(
    [
        [0.299, 0.587, 0.114],
        [0.5959, -0.2746, -0.3213],
        [0.2115, -0.5227, 0.3112],
    ],
    dtype=torch.float64,
)
#: RGB -> YUV (ITU-R BT.601): :math:`U = 0.492111 (B - Y)`, :math:`V = 0.877283 (R - Y)`.
#: Same Y as YIQ; U, V span the same chroma plane (rotated and scaled).
RGB_TO_YUV = torch.stack(
    [
        RGB_TO_YIQ[0],
        0.492111 * (torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64) - RGB_TO_YIQ[0]),
        0.877283 * (torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64) - RGB_TO_YIQ[0]),
    ]
)
_SPACES = {"yiq": RGB_TO_YIQ, "yuv": RGB_TO_YUV}
#: Ways to choose the matrix A of colour histogram matching.
MATCH_MODES = ("cholesky", "eigen", "monge")


def _check_rgb(image: Tensor, what: str = "image") -> None:
    if image.dim() != 4 or image.shape[1] != 3:
        raise ValueError(f"{what} must have shape (B, 3, H, W), got {tuple(image.shape)}")


def _apply_matrix(matrix: Tensor, image: Tensor) -> Tensor:
    """Multiply every pixel's 3-vector by ``matrix`` (3, 3): :math:`(B, 3, H, W)` -> same."""
    m = matrix.to(dtype=image.dtype, device=image.device)
    return torch.einsum("ij,bjhw->bihw", m, image)


def _space(space: str) -> Tensor:
    if space not in _SPACES:
        raise ValueError(f"space must be one of {', '.join(_SPACES)}, got {space!r}")
    return _SPACES[space]


def rgb_to_yiq(image: Tensor, space: str = "yiq") -> Tensor:
    r"""Convert RGB to a luminance/chroma space, pixel by pixel.

    .. math::

        \begin{pmatrix} Y \\ I \\ Q \end{pmatrix} =
        \begin{pmatrix} 0.299 & 0.587 & 0.114 \\ 0.5959 & -0.2746 & -0.3213 \\
        0.2115 & -0.5227 & 0.3112 \end{pmatrix}
        \begin{pmatrix} R \\ G \\ B \end{pmatrix}

    Args:
        image: :math:`(B, 3, H, W)` RGB.
        space: ``"yiq"`` (as above) or ``"yuv"`` (BT.601); both have the same :math:`Y`.

    Returns:
        :math:`(B, 3, H, W)`: channel 0 is the luminance, channels 1-2 the chroma.

    Examples:
        >>> rgb_to_yiq(torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1)).flatten()
        tensor([0.2990, 0.5959, 0.2115])
    """
    _check_rgb(image)
    return _apply_matrix(_space(space), image)


def yiq_to_rgb(image: Tensor, space: str = "yiq") -> Tensor:
    r"""Inverse of :func:`rgb_to_yiq` (the exact matrix inverse, so a round trip is exact).

    Its first column is :math:`(1, 1, 1)^\top`: changing :math:`Y` by :math:`\delta` adds
    :math:`\delta` to R, G and B alike, because each chroma row of the forward matrix sums to 0.

    Examples:
        >>> yiq_to_rgb(torch.tensor([0.5, 0.0, 0.0]).view(1, 3, 1, 1)).flatten()
        tensor([0.5000, 0.5000, 0.5000])
    """
    _check_rgb(image, "YIQ image")
    return _apply_matrix(torch.linalg.inv(_space(space)), image)


def luminance(image: Tensor) -> Tensor:
    r"""The luminance :math:`Y = 0.299 R + 0.587 G + 0.114 B` of an RGB image.

    Args:
        image: :math:`(B, 3, H, W)`.

    Returns:
        :math:`(B, 1, H, W)`.

    Examples:
        >>> luminance(torch.tensor([0.0, 1.0, 0.0]).view(1, 3, 1, 1)).flatten()
        tensor([0.5870])
    """
    return rgb_to_yiq(image)[:, :1]


def gray_to_rgb(lum: Tensor) -> Tensor:
    r"""A one-channel image :math:`(B, 1, H, W)` as grey RGB :math:`(B, 3, H, W)`, R = G = B,
    so that VGG can look at a luminance channel."""
    if lum.dim() != 4 or lum.shape[1] != 1:
        raise ValueError(f"expected a luminance image (B, 1, H, W), got {tuple(lum.shape)}")
    return lum.expand(-1, 3, -1, -1).contiguous()


def match_luminance(style_lum: Tensor, content_lum: Tensor, eps: float = 1e-8) -> Tensor:
    r"""Shift and scale the style luminance to the content's mean and standard deviation.

    .. math::

        L_S' = \frac{\sigma_C}{\sigma_S} \left(L_S - \mu_S\right) + \mu_C

    as Gatys et al. (2017, Sec. 5.1) do before a luminance-only transfer, so that the style's
    overall brightness and contrast do not leak into the result.

    Args:
        style_lum, content_lum: :math:`(B, 1, H, W)` luminance images (sizes may differ).

    Examples:
        >>> s = torch.tensor([0.0, 1.0]).view(1, 1, 1, 2)
        >>> c = torch.tensor([0.4, 0.6]).view(1, 1, 1, 2)
        >>> match_luminance(s, c).flatten()
        tensor([0.4000, 0.6000])
    """
    mu_s, sd_s = (
        style_lum.mean(dim=(1, 2, 3), keepdim=True),
        style_lum.std(dim=(1, 2, 3), keepdim=True, unbiased=False),
    )
    mu_c, sd_c = (
        content_lum.mean(dim=(1, 2, 3), keepdim=True),
        content_lum.std(dim=(1, 2, 3), keepdim=True, unbiased=False),
    )
    return sd_c / (sd_s + eps) * (style_lum - mu_s) + mu_c


def luminance_only_inputs(content: Tensor, style: Tensor) -> tuple[Tensor, Tensor]:
    r"""The two grey images a luminance-only transfer stylises: the content's luminance and
    the style's luminance matched to it (:func:`match_luminance`), both as grey RGB in
    :math:`[0, 1]`.

    Examples:
        >>> c, s = luminance_only_inputs(torch.rand(1, 3, 4, 4), torch.rand(1, 3, 4, 4))
        >>> c.shape, bool((c[:, 0] == c[:, 1]).all())
        (torch.Size([1, 3, 4, 4]), True)
    """
    _check_rgb(content, "content")
    _check_rgb(style, "style")
    lum_c = luminance(content)
    lum_s = match_luminance(luminance(style), lum_c)
    return gray_to_rgb(lum_c).clamp(0, 1), gray_to_rgb(lum_s).clamp(0, 1)


def combine_luminance(
    stylized: Tensor, content: Tensor, space: str = "yiq", clamp: bool = True
) -> Tensor:
    r"""Luminance of ``stylized`` with the chroma of ``content``: the last step of a
    luminance-only transfer (Gatys et al. 2017, Sec. 5.1).

    .. math::

        \text{out} = \text{RGB}\left(Y_\text{stylized},\ I_\text{content},\ Q_\text{content}\right)
        = \text{content} + \left(Y_\text{stylized} - Y_\text{content}\right) (1, 1, 1)^\top

    Without clamping the chroma of the result equals the content's exactly (in any space that
    shares :math:`Y`, so ``"yiq"`` and ``"yuv"`` give the same image). Clamping to
    :math:`[0, 1]` changes the colours only of pixels that would leave the RGB cube.

    Args:
        stylized: :math:`(B, 3, H, W)`; only its luminance is used (a grey image works).
        content: :math:`(B, 3, H, W)`, the same size.

    Examples:
        >>> content = torch.tensor([0.2, 0.4, 0.6]).view(1, 3, 1, 1)
        >>> grey = torch.full((1, 3, 1, 1), 0.5)
        >>> combine_luminance(grey, content).flatten()  # Y(content) = 0.363
        tensor([0.3370, 0.5370, 0.7370])
    """
    _check_rgb(stylized, "stylized")
    _check_rgb(content, "content")
    if stylized.shape != content.shape:
        raise ValueError(
            f"stylized {tuple(stylized.shape)} and content {tuple(content.shape)} differ in size"
        )
    yiq = rgb_to_yiq(content, space)
    yiq = torch.cat([rgb_to_yiq(stylized, space)[:, :1], yiq[:, 1:]], dim=1)
    out = yiq_to_rgb(yiq, space)
    return out.clamp(0.0, 1.0) if clamp else out


def color_statistics(image: Tensor) -> tuple[Tensor, Tensor]:
    r"""Mean :math:`\mu` (3,) and covariance :math:`\Sigma` (3, 3) of an image's RGB pixels.

    .. math::

        \mu = \frac{1}{M} \sum_k x_k, \qquad
        \Sigma = \frac{1}{M} \sum_k (x_k - \mu)(x_k - \mu)^\top

    over all :math:`M` pixels of all images in the batch.

    Examples:
        >>> mu, cov = color_statistics(torch.zeros(1, 3, 2, 2))
        >>> mu, cov.shape
        (tensor([0., 0., 0.]), torch.Size([3, 3]))
    """
    _check_rgb(image)
    x = image.transpose(0, 1).reshape(3, -1)
    mu = x.mean(dim=1)
    xc = x - mu[:, None]
    return mu, xc @ xc.T / x.shape[1]


def has_float64(device: torch.device | str) -> bool:
    """Whether ``device`` computes in float64 (Apple's MPS does not).

    Examples:
        >>> has_float64("cpu"), has_float64("mps")
        (True, False)
    """
    return torch.device(device).type != "mps"


def _precise_dtype(device: torch.device) -> torch.dtype:
    """float64 for the small colour computations, where the device has it; else float32."""
    return torch.float64 if has_float64(device) else torch.float32


def _sqrtm(cov: Tensor) -> Tensor:
    """Symmetric square root of a symmetric positive definite matrix (eigendecomposition)."""
    evals, evecs = torch.linalg.eigh(cov)
    return evecs @ torch.diag(evals.clamp_min(0).sqrt()) @ evecs.T


def color_transfer_matrix(cov_source: Tensor, cov_target: Tensor, mode: str = "eigen") -> Tensor:
    r"""A matrix :math:`A` with :math:`A \Sigma_S A^\top = \Sigma_C` (source S, target C).

    Any such :math:`A` matches the covariance; they differ by a rotation. Gatys et al. (2017,
    Sec. 5.2) name two:

    - ``"cholesky"``: :math:`A = L_C L_S^{-1}` with :math:`\Sigma = L L^\top` the Cholesky
      factors;
    - ``"eigen"``: :math:`A = \Sigma_C^{1/2} \Sigma_S^{-1/2}`, symmetric square roots from the
      eigendecomposition: the 3-D colour matching of Image Analogies (Hertzmann et al. 2001),
      which the paper uses;

    and ``"monge"`` adds the map that moves colours the least on average (the optimal transport
    map between Gaussians): :math:`A = \Sigma_S^{-1/2} (\Sigma_S^{1/2} \Sigma_C
    \Sigma_S^{1/2})^{1/2} \Sigma_S^{-1/2}`, symmetric.

    Examples:
        >>> cs, cc = torch.diag(torch.tensor([1.0, 4.0, 9.0])), torch.eye(3)
        >>> torch.diag(color_transfer_matrix(cs, cc, "eigen"))
        tensor([1.0000, 0.5000, 0.3333])
    """
    precise = _precise_dtype(cov_source.device)
    cs, cc = cov_source.to(precise), cov_target.to(precise)
    if mode == "cholesky":
        a = torch.linalg.cholesky(cc) @ torch.linalg.inv(torch.linalg.cholesky(cs))
    elif mode == "eigen":
        a = _sqrtm(cc) @ torch.linalg.inv(_sqrtm(cs))
    elif mode == "monge":
        s_half = _sqrtm(cs)
        s_half_inv = torch.linalg.inv(s_half)
        a = s_half_inv @ _sqrtm(s_half @ cc @ s_half) @ s_half_inv
    else:
        raise ValueError(f"mode must be one of {', '.join(MATCH_MODES)}, got {mode!r}")
    return a.to(cov_source.dtype)


def match_color(
    source: Tensor,
    target: Tensor,
    mode: str = "eigen",
    eps: float = 1e-5,
    clamp: bool = True,
) -> Tensor:
    r"""Recolour ``source`` so that its pixels' mean and covariance equal ``target``'s.

    .. math::

        x_S' = A x_S + b, \qquad b = \mu_C - A \mu_S, \qquad A \Sigma_S A^\top = \Sigma_C

    (Gatys et al. 2017, Sec. 5.2: the style image is the source, the content image the target;
    the stylisation then runs on the recoloured style image.) ``eps`` is added to the diagonal
    of both covariances, as in the authors' code, so that an image with few colours (a singular
    :math:`\Sigma`) still works; the match is then exact for :math:`\Sigma + \epsilon I`.

    Args:
        source: :math:`(1, 3, H, W)` the image to recolour (the style image).
        target: :math:`(1, 3, H', W')` the image whose colours to take (the content image).
        mode: how to pick :math:`A`, see :func:`color_transfer_matrix`.
        eps: ridge added to both covariances.
        clamp: clip the result to :math:`[0, 1]` (then the match is no longer exact).

    Examples:
        >>> src, tgt = torch.rand(1, 3, 16, 16), 0.5 * torch.rand(1, 3, 8, 8)
        >>> out = match_color(src, tgt, eps=0.0, clamp=False)
        >>> torch.allclose(color_statistics(out)[0], color_statistics(tgt)[0], atol=1e-5)
        True
    """
    _check_rgb(source, "source")
    _check_rgb(target, "target")
    precise = _precise_dtype(source.device)  # float64 where the device has it (not MPS)
    mu_s, cov_s = color_statistics(source.to(precise))
    mu_c, cov_c = color_statistics(target.to(precise))
    ridge = eps * torch.eye(3, dtype=precise, device=source.device)
    a = color_transfer_matrix(cov_s + ridge, cov_c + ridge, mode)
    b = mu_c - a @ mu_s
    out = _apply_matrix(a, source.to(precise)) + b.view(1, 3, 1, 1)
    out = out.to(source.dtype)
    return out.clamp(0.0, 1.0) if clamp else out


__all__ = [
    "MATCH_MODES",
    "RGB_TO_YIQ",
    "RGB_TO_YUV",
    "color_statistics",
    "color_transfer_matrix",
    "combine_luminance",
    "gray_to_rgb",
    "has_float64",
    "luminance",
    "luminance_only_inputs",
    "match_color",
    "match_luminance",
    "rgb_to_yiq",
    "yiq_to_rgb",
]
