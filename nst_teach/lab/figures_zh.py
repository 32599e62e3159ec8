"""Chinese text of the figures' titles, axis labels, legend entries and suptitles.

:func:`nst_teach.lab.plotting.label` looks a figure text up here when the language is ``"zh"``
(see :func:`nst_teach.lab.language.get_language`) and matplotlib has a font for Chinese.
The pieces a template's fields match are looked up too (``"from noise, seed 0"`` ->
``"从 噪声，种子 0 出发"``).

Keys are the English texts exactly as drawn. A key with ``{fields}`` is a template: it matches
a text made of the key's fixed parts in the same order with anything non-empty where the fields
are, and the matched pieces fill the same fields of the Chinese text (no regular expressions;
see :func:`nst_teach.lab.plotting.label`). Each field appears once in a key, and a key never has two
fields side by side. ``tests/test_figures_zh.py`` checks the glossary's terms
(``notebooks/zh/GLOSSARY.tsv``) and that each Chinese text has its key's fields.
"""

from __future__ import annotations

ZH_FIGURES: dict[str, str] = {
    # ------------------------------------------------ nst_teach.lab.plotting, nst_teach.lab.widgets
    "Loss during optimisation": "优化过程中的损失",
    "objective evaluations": "目标函数求值次数",
    "loss": "损失",
    "total": "总损失",
    "content": "内容",
    "style": "风格",
    "tv": "全变分",
    "{run} ({component})": "{run}（{component}）",
    "ch {channel}": "通道 {channel}",
    "value": "值",
    "pixels": "像素数",
    "parameters per convolution": "每个卷积层的参数量",
    "millions": "百万",
    "forward cost per convolution": "每个卷积层的前向计算量",
    "forward cost per convolution {size}": "每个卷积层的前向计算量（{size}）",
    "layer": "层",
    "Receptive field of one position": "一个位置的感受野",
    "x (pixels)": "x（像素）",
    "y (pixels)": "y（像素）",
    "frame {number}": "第 {number} 帧",
    "style loss (without beta)": "风格损失（不含 beta）",
    "The style part alone": "单看风格部分",
    "full size only": "只用原尺寸",
    "full size, after {count} coarse evaluations": "原尺寸，在 {count} 次粗尺度求值之后",
    "objective evaluations (coarse ones cost about 1/4)": "目标函数求值次数（粗尺度的约花 1/4）",
    "Loss curves": "损失曲线",
    "alpha * content": "alpha * 内容",
    "beta * style": "beta * 风格",
    # ------------------------------------------------ texts the lessons pass to nst_teach.lab.plotting
    # lesson 00
    "paintings (style)": "绘画（风格）",
    "photos (content)": "照片（内容）",
    "textures, and generated patterns (controlled inputs)": "纹理，以及生成的图案（受控输入）",
    # lesson 01
    "the photo (1, 3, H, W)": "照片 (1, 3, H, W)",
    "One image, three channels (each shown in grey)": "一张图像，三个通道（各以灰度显示）",
    "pixel values as stored, in [0, 1]": "存储时的像素值，在 [0, 1] 内",
    "after ImageNet normalisation (Eq. 1.1)": "ImageNet 归一化之后（式 1.1）",
    "at {width} x {height}": "{width} x {height} 时",
    "{layer}: 16 of {count} feature maps, {height} x {width} each": (
        "{layer}：{count} 张特征图中的 16 张，每张 {height} x {width}"
    ),
    "The 64 filters of conv1_1 (trained weights)": "conv1_1 的 64 个滤波器（训练好的权重）",
    "The 64 filters of conv1_1 (random weights)": "conv1_1 的 64 个滤波器（随机权重）",
    # lesson 02
    "photo": "照片",
    "white noise (start)": "白噪声（起点）",
    "from {start}": "从 {start} 出发",
    "Content reconstructions from white noise ({steps} L-BFGS evaluations, average pooling)": (
        "从白噪声重建内容（{steps} 次 L-BFGS 求值，平均汇聚）"
    ),
    "Content loss relative to its start, per layer": "各层内容损失相对其起始值之比",
    # lesson 03
    "the photo": "照片",
    "pixels shuffled": "像素打乱",
    "a painting (The Starry Night)": "一幅画（《星月夜》）",
    "pixels (3 x 3)": "像素 (3 x 3)",
    "How far is each image's Gram matrix from the photo's?": (
        "每张图像的格拉姆矩阵离照片的有多远？"
    ),
    "{image}: $G/M$ of {layer}, filters 0-63": "{image}：{layer} 的 $G/M$，滤波器 0-63",
    "Starry Night": "星月夜",
    # lesson 04
    "The Starry Night (source)": "星月夜（源图）",
    "Textures from white noise, matching Gram matrices of growing sets of layers "
    "({steps} L-BFGS evaluations)": (
        "从白噪声合成纹理，匹配越来越多层的格拉姆矩阵（{steps} 次 L-BFGS 求值）"
    ),
    r"Style loss $\sum_l w_l E_l$ (1 at the start) during synthesis": (
        r"合成过程中的风格损失 $\sum_l w_l E_l$（起始为 1）"
    ),
    "gravel (source)": "砾石（源图）",
    "texture, relu1_1 ... relu5_1": "纹理，relu1_1 ... relu5_1",
    # lesson 05
    "content p": "内容 p",
    "style a": "风格 a",
    # lesson 06
    "up to {layer}": "直到 {layer}",
    "arXiv Fig. 3 layout: more style to the left, larger-scale style further down": (
        "arXiv 图 3 的布局：越往左风格越重，越往下风格尺度越大"
    ),
    "Same objective, {steps} evaluations each": "同一目标函数，各求值 {steps} 次",
    "Adam (lr 0.05)": "Adam（学习率 0.05）",
    "gradient descent (lr 0.1)": "梯度下降（学习率 0.1）",
    "Starting from the photo or from white noise": "从照片出发，还是从白噪声出发",
    "noise, seed {seed}": "噪声，种子 {seed}",
    "after {evaluations}": "{evaluations} 次之后",
    "The image as it forms (L-BFGS, from the photo)": "图像逐步成形（L-BFGS，从照片出发）",
    # lesson 07
    "lambda_TV = {weight}\nTV = {tv}": "lambda_TV = {weight}\n全变分 = {tv}",
    "artwork": "艺术作品",
    "artwork, {method} match": "艺术作品，{method} 匹配",
    "plain transfer": "普通迁移",
    "luminance-only (grey result)": "仅亮度（灰度结果）",
    "luminance-only + photo's chroma": "仅亮度 + 照片的色度",
    "histogram-matched artwork": "直方图匹配后的艺术作品",
    "Loss at {size} px": "{size} 像素下的损失",
    "coarse-to-fine": "由粗到细",
    # lesson 08
    "Great Wave": "神奈川冲浪里",
    "mask (right half)": "掩码（右半边）",
    "guided: right half styled": "引导：只风格化右半边",
    "naive: paste the plain result": "朴素做法：贴上普通结果",
    "two regions, two styles": "两个区域，两种风格",
    "max pooling (loss {loss})": "最大汇聚（损失 {loss}）",
    "average pooling (loss {loss})": "平均汇聚（损失 {loss}）",
    # lesson 09
    "last explorer result": "探索器的最近结果",
    "The last explorer run: each loss component (unweighted)": (
        "探索器的最近一次运行：各损失分量（未加权）"
    ),
    "conv2_1, channel {channel}": "conv2_1，通道 {channel}",
    "Stopped when the loss fell by less than 2%": "损失下降不到 2% 时停止",
    # lesson 10
    "training crop {number}": "训练裁剪 {number}",
    "Training the transformation network": "训练变换网络",
    "feed-forward net": "前馈网络",
    "optimisation ({evaluations} evaluations)": "优化（{evaluations} 次求值）",
    "the net on another image": "网络用于另一张图像",
    "style image": "风格图像",
    "Gram matrices (Gatys)": "格拉姆矩阵（Gatys）",
    "mean and std": "均值和标准差",
    "AdaIN's loss, on the pixels": "AdaIN 的损失，直接优化像素",
    "relu1_1 only": "只用 relu1_1",
    "Texture synthesis from white noise (style loss only)": "从白噪声进行纹理合成（只用风格损失）",
    # lesson 11
    "input": "输入",
    "per frame": "逐帧",
    "warm start": "热启动",
    "warm + temporal loss": "热启动 + 时序损失",
    "A pan across the photo, stylised three ways": "横扫照片的镜头，用三种方式风格化",
    "|frame 2 - frame 1 moved by the camera's motion|, x4": (
        "|第 2 帧 - 按镜头运动移动后的第 1 帧|，x4"
    ),
}


__all__ = [
    "ZH_FIGURES",
]
