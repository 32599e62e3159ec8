"""Chinese text of the exercises' messages: English message (or template) -> Chinese.

:func:`nst_teach.exercises.core.tr` looks a message up here when the language is ``"zh"`` and
falls back to the English text. Templates keep their ``{fields}``; exercise names and hints are
looked up by their English text too. ``tests/test_zh.py`` checks that every message of the
modules in :data:`COVERED` has its Chinese text here, with the same fields.
"""

from __future__ import annotations

#: The modules whose messages are all translated (core, and the lessons translated so far).
COVERED = ("core", "lesson00")

ZH: dict[str, str] = {
    # core: check(), hint(), solution()
    "Correct: {name}.": "正确：{name}。",
    "Not yet: {name}: {problem}. (Call .hint() for a hint.)": (
        "还不对：{name}：{problem}。（调用 .hint() 获取提示。）"
    ),
    "Hint: {hint}": "提示：{hint}",
    "Solution:\n{solution}": "答案：\n{solution}",
    "calling your code raised {kind}: {exc}": "调用你的代码时抛出了 {kind}：{exc}",
    # core: diagnoses
    "your function returned None: did you forget `return`?": (
        "你的函数返回了 None：是不是忘了写 `return`？"
    ),
    "expected a tensor, got {kind}": "期望得到一个张量，得到的却是 {kind}",
    "expected a function, got {kind}": "期望得到一个函数，得到的却是 {kind}",
    "shape {got} is the transpose of the expected {want}": "形状 {got} 是期望形状 {want} 的转置",
    "shape {got} should be {want} (same numbers, other layout?)": (
        "形状 {got} 应为 {want}（元素个数相同，是不是排列方式不对？）"
    ),
    "shape {got} should be {want}": "形状 {got} 应为 {want}",
    "your result contains NaN or infinity": "你的结果中含有 NaN 或无穷大",
    "the sign is flipped: your values are the negatives of the expected ones": (
        "符号反了：你的值是期望值的相反数"
    ),
    "your matrix is the transpose of the expected one": "你的矩阵是期望矩阵的转置",
    "off by a constant factor: your values are {factor} times the expected ones": (
        "差了一个常数因子：你的值是期望值的 {factor} 倍"
    ),
    "values differ from the expected ones (largest difference {err})": (
        "数值与期望值不同（最大差为 {err}）"
    ),
    " (for inputs of shape ": "（输入形状为 ",
    ")": "）",
    # lesson00
    "M_l of conv3_1 at 256 x 256": "256 x 256 图像上 conv3_1 的 M_l",
    "Each pooling before a layer halves the side. Which poolings come before conv3_1?": (
        "一层之前的每次汇聚都把边长减半。conv3_1 之前有哪几次汇聚？"
    ),
    "expected a number, got {kind}": "期望得到一个数，得到的却是 {kind}",
    "that is the number of pixels: conv3_1 comes after two poolings": (
        "这是像素的个数：conv3_1 位于两次汇聚之后"
    ),
    "that is N_l * M_l, the number of entries of F; M_l counts positions only": (
        "这是 N_l * M_l，即 F 的元素个数；M_l 只计位置数"
    ),
    "that is the side H_l = W_l; M_l is H_l * W_l": "这是边长 H_l = W_l；M_l 是 H_l * W_l",
    "conv3_1 comes after two poolings (pool1 and pool2), not one": (
        "conv3_1 位于两次汇聚（pool1 和 pool2）之后，而不是一次"
    ),
    "{answer} is not H_l * W_l for conv3_1": "{answer} 不是 conv3_1 的 H_l * W_l",
    "the feature matrix F^l": "特征矩阵 F^l",
    "An activation has shape (1, N, H, W). Take the one image, then merge the last two axes.": (
        "激活值的形状是 (1, N, H, W)。先取出这唯一的一张图像，再把最后两个轴合并。"
    ),
    "your matrix has shape {shape}: that is M x N; the paper's F^l is "
    "N_l x M_l (one row per filter)": (
        "你的矩阵形状是 {shape}：这是 M x N；论文的 F^l 是 N_l x M_l（每个滤波器一行）"
    ),
    "shape {shape}: drop the batch dimension, F^l is 2-D (N_l, M_l)": (
        "形状 {shape}：去掉批量维度，F^l 是二维的 (N_l, M_l)"
    ),
    "the positions are ordered column by column; flatten row by row (H, then W)": (
        "位置是按列排列的；请按行展平（先 H，后 W）"
    ),
}
