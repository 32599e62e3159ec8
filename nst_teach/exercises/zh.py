"""Chinese text of the exercises' messages: English message (or template) -> Chinese.

:func:`nst_teach.exercises.core.tr` looks a message up here when the language is ``"zh"`` and
falls back to the English text. Templates keep their ``{fields}``; exercise names and hints are
looked up by their English text too. ``tests/test_zh.py`` checks that every message of the
modules in :data:`COVERED` has its Chinese text here, with the same fields.
"""

from __future__ import annotations

#: The modules whose messages are all translated (core, and the lessons translated so far).
COVERED = (
    "core",
    "lesson00",
    "lesson01",
    "lesson02",
    "lesson03",
    "lesson04",
    "lesson05",
    "lesson06",
    "lesson07",
    "lesson08",
    "lesson09",
    "lesson10",
)

ZH: dict[str, str] = {
    # core: check(), hint(), solution()
    "Correct: {name}.": "正确：{name}。",
    "Not yet: {name}: {problem}. (Call .hint() for a hint.)": (
        "还不对：{name}：{problem}。（调用 .hint() 获取提示。）"
    ),
    "Hint: {hint}": "提示：{hint}",
    "Solution:\n{solution}": "答案：\n{solution}",
    "calling your code raised {kind}: {exc}": "调用你的代码时抛出了 {kind}：{exc}",
    "(its message could not be printed)": "（它的消息无法打印）",
    "your function changed its input (argument {n}): compute a new tensor instead of "
    "changing the one you were given (no in-place operations such as mul_, sub_, +=, x[...] =)": (
        "你的函数修改了它的输入（第 {n} 个参数）：请计算一个新的张量，不要修改传给你的张量"
        "（不要用 mul_、sub_、+=、x[...] = 这类原地操作）"
    ),
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
    ": {note}": "：{note}",
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
    # lesson01
    "ImageNet normalisation": "ImageNet 归一化",
    "Eq. (1.1) needs one mean and one std per channel. Which shape must those tensors have "
    "so that PyTorch broadcasts them over the batch, the rows and the columns of (B, 3, H, W)?": (
        "式 (1.1) 对每个通道需要一个均值和一个标准差。这两个张量应该是什么形状，PyTorch 才会把它们"
        "广播到 (B, 3, H, W) 的批量、行和列上？"
    ),
    "you multiplied by the standard deviation; divide by it": "你乘了标准差；应该除以它",
    "subtract the mean first, then divide: (x - mean) / std": "先减去均值，再相除：(x - mean) / std",
    "the channels are in the wrong order: the image is RGB, so are mean and std": (
        "通道顺序不对：图像是 RGB 顺序，均值和标准差也是"
    ),
    "you subtracted the mean but did not divide by the standard deviation": (
        "你减去了均值，但没有除以标准差"
    ),
    " (for an image of shape (1, 3, 4, 5))": "（输入图像的形状为 (1, 3, 4, 5)）",
    "the side after k poolings": "k 次汇聚之后的边长",
    "One 2 x 2 pooling with stride 2 is Eq. (1.2) with kernel size 2, s = 2 and p = 0 (that "
    "kernel size is not this function's k, which counts poolings); try it on an odd side "
    "such as 7, then repeat it k times.": (
        "一次步幅为 2 的 2 x 2 汇聚就是式 (1.2) 取核大小 2、s = 2、p = 0（这个核大小不是本函数的 k，"
        "k 数的是汇聚的次数）；在奇数边长（如 7）上试一试，然后重复 k 次。"
    ),
    "for side={side}, k={k} you gave {got}, expected {expected}": (
        "side={side}、k={k} 时你给出 {got}，期望是 {expected}"
    ),
    ": sides are whole numbers, and a 2 x 2 pooling with stride 2 drops an odd last "
    "row (use //)": "：边长是整数，步幅为 2 的 2 x 2 汇聚会丢掉奇数边长的最后一行（用 //）",
    ": PyTorch pools with ceil_mode=False, so it rounds down": (
        "：PyTorch 汇聚时 ceil_mode=False，所以是向下取整"
    ),
    "parameters of a convolution": "卷积层的参数个数",
    "List every number that ONE filter of the layer learns (it looks at all input channels "
    "over a k x k window); then count the filters.": (
        "列出该层的【一个】滤波器要学习的每一个数（它在 k x k 的窗口上看所有输入通道），再数一数有多少个滤波器。"
    ),
    "for c_in={c_in}, c_out={c_out}, k={k} you gave {got}, expected {expected}": (
        "c_in={c_in}、c_out={c_out}、k={k} 时你给出 {got}，期望是 {expected}"
    ),
    ": you forgot the biases, one per output channel": "：你漏掉了偏置，每个输出通道一个",
    ": there is one bias per OUTPUT channel": "：每个【输出】通道一个偏置",
    ": a kernel is k x k, so k**2 weights per input channel": (
        "：卷积核是 k x k 的，所以每个输入通道有 k**2 个权重"
    ),
    ": each filter spans all c_in input channels": "：每个滤波器覆盖全部 c_in 个输入通道",
    "expected a number of pixels, got {kind}": "期望得到一个像素数，得到的却是 {kind}",
    "you gave {answer}, expected {expected}": "你给出 {answer}，期望是 {expected}",
    ": pool2 doubles the jump, so conv3_1 adds (3 - 1) * 4, not (3 - 1) * 2": (
        "：pool2 使跳距加倍，所以 conv3_1 增加 (3 - 1) * 4，而不是 (3 - 1) * 2"
    ),
    ": you stopped at pool2; conv3_1 adds (3 - 1) * 4": "：你停在了 pool2；conv3_1 还要增加 (3 - 1) * 4",
    ": every step adds (k - 1) * j, with j the jump so far": (
        "：每一步增加 (k - 1) * j，j 是到此为止的跳距"
    ),
    "receptive field of relu3_1, by Eq. (1.3)": "按式 (1.3) 计算 relu3_1 的感受野",
    "Continue the worked example past conv2_1 (r = 10, j = 2): conv2_2, relu2_2 (a ReLU is "
    "k = 1), pool2 (k = 2, s = 2), then conv3_1. Keep track of j.": (
        "从 conv2_1（r = 10，j = 2）接着往下算：conv2_2、relu2_2（ReLU 相当于 k = 1）、"
        "pool2（k = 2，s = 2），然后是 conv3_1。注意记下 j。"
    ),
    # lesson02 (with_notes looks its phrases up too: they must occur in the Chinese diagnoses)
    "you took a mean instead of a half sum: Eq. (1) is (1/2) times the sum over all N*M "
    "entries; a mean (the PyTorch tutorial's F.mse_loss) divides by N*M instead": (
        "你求的是平均值而不是和的一半：式 (1) 是对全部 N*M 个元素求和再乘以 1/2；平均值"
        "（PyTorch 教程中的 F.mse_loss）则是除以 N*M"
    ),
    "2 times": "的 2 倍",
    "1/2 times": "的 1/2 倍",
    "sign": "符号",
    "shape": "形状",
    "did you forget the factor 1/2?": "是不是忘了因子 1/2？",
    "the loss is a single number (a 0-d tensor): sum over all entries": (
        "损失是一个数（0 维张量）：对所有元素求和"
    ),
    "content loss, Eq. (1)": "内容损失，式 (1)",
    "Eq. (1) has a constant in front of the double sum: over which entries does it run, and "
    "is a sum over them the same number as their mean?": (
        "式 (1) 的双重求和前面有一个常数：求和遍历哪些元素？对它们求和与求平均得到的是同一个数吗？"
    ),
    "gradient of the content loss w.r.t. F, Eq. (2)": "内容损失对 F 的梯度，式 (2)",
    "the derivative of (F - P)^2 / 2 with respect to F is +(F - P)": "(F - P)^2 / 2 对 F 的导数是 +(F - P)",
    "the 1/2 cancels the 2 from differentiating the square": "1/2 正好抵消了对平方求导得到的 2",
    "Only one term of the double sum contains F_ij. Differentiate that term; what happens to "
    "the 1/2?": "双重求和中只有一项含有 F_ij。对这一项求导；1/2 会怎样？",
    "you forgot the case split: where Z < 0 the ReLU passes no gradient back": (
        "你漏掉了分情况讨论：在 Z < 0 处，ReLU 不向回传递梯度"
    ),
    "the loss compares F = relu(Z) with P, so the difference is relu(Z) - P, not Z - P": (
        "损失比较的是 F = relu(Z) 与 P，所以差是 relu(Z) - P，而不是 Z - P"
    ),
    "gradient through the ReLU (the case split of Eq. 2)": "穿过 ReLU 的梯度（式 2 的分情况讨论）",
    "Chain rule through F = relu(Z): what is dF/dZ where Z > 0, and where Z < 0? Which "
    "difference does the loss see, Z - P or F - P?": (
        "对 F = relu(Z) 用链式法则：Z > 0 处 dF/dZ 是多少？Z < 0 处呢？损失看到的是哪个差，"
        "Z - P 还是 F - P？"
    ),
    # lesson03
    "factor": "常数因子",
    "4 times": "的 4 倍",
    "1/4 times": "的 1/4 倍",
    "transpose": "转置",
    "your matrix is {shape}, M x M: you computed F^T F (positions x "
    "positions); the Gram matrix is F F^T, N x N (filters x filters)": (
        "你的矩阵是 {shape}，即 M x M：你算的是 F^T F（位置 x 位置）；格拉姆矩阵是 F F^T，"
        "N x N（滤波器 x 滤波器）"
    ),
    "Eq. (3) has no normalisation: G = F F^T, summed over positions": (
        "式 (3) 没有归一化：G = F F^T，对位置求和"
    ),
    "Gram matrix, Eq. (3)": "格拉姆矩阵，式 (3)",
    "Entry (i, j) pairs filter i with filter j and sums over the positions. Which matrix "
    "product of F with itself sums over the position index and leaves an N x N result?": (
        "元素 (i, j) 把滤波器 i 与滤波器 j 配对，并对位置求和。F 与自身的哪种矩阵乘积会对位置下标求和，"
        "并留下一个 N x N 的结果？"
    ),
    "style loss of one layer, Eq. (4)": "单层的风格损失，式 (4)",
    "did you forget the 4 in 1/(4 N^2 M^2)?": "是不是忘了 1/(4 N^2 M^2) 中的 4？",
    "check the normalisation 1/(4 N_l^2 M_l^2): squares of N and M": (
        "检查归一化系数 1/(4 N_l^2 M_l^2)：N 和 M 都要平方"
    ),
    "the loss is a single number: sum over all i, j": "损失是一个数：对所有 i、j 求和",
    "Build G from F as in Exercise 3.1; N and M come from F's shape. Eq. (4) sums over all "
    "N x N entries: mind which quantities are squared in the denominator.": (
        "像练习 3.1 那样由 F 构造 G；N 和 M 取自 F 的形状。式 (4) 对全部 N x N 个元素求和："
        "注意分母中哪些量是平方。"
    ),
    "gradient of E_l w.r.t. F, Eq. (6)": "E_l 对 F 的梯度，式 (6)",
    "G depends on F through both factors of F F^T: the two terms add up to 2": (
        "G 通过 F F^T 的两个因子都依赖于 F：两项加起来是 2"
    ),
    "the 4 cancels against the 2 from the square and the 2 from F F^T": (
        "4 与平方求导得到的 2 以及 F F^T 带来的 2 相抵消"
    ),
    "the gradient of (G - A)^2 points along +(G - A)": "(G - A)^2 的梯度沿 +(G - A) 方向",
    "in the N x M layout the gradient is (G - A) F, not F^T (G - A)": (
        "在 N x M 的布局下，梯度是 (G - A) F，而不是 F^T (G - A)"
    ),
    "the gradient has the shape of F, (N, M)": "梯度的形状与 F 相同，为 (N, M)",
    "Finish the chain rule of the text: sum step 1 times step 2 over i and j. F_ab appears "
    "in row a of BOTH factors of F F^T; G - A is symmetric, so the two terms you get are equal.": (
        "完成正文中的链式法则：把第 1 步乘以第 2 步，再对 i 和 j 求和。F_ab 出现在 F F^T 的【两个】因子"
        "的第 a 行中；G - A 是对称的，所以你得到的两项相等。"
    ),
    # lesson04
    "return a dict layer name -> weight, got {kind}": "应返回一个 层名 -> 权重 的字典，得到的却是 {kind}",
    "the weights' keys {got} should be the layers {want}": "权重的键 {got} 应该是这些层 {want}",
    "every layer has the same share w_l E_l = {share}, but the shares "
    "should add up to 1 (here they add up to {total}): divide by the number of layers": (
        "每一层的份额 w_l E_l 都相同，为 {share}，但各份额之和应为 1（这里之和为 {total}）：请除以层数"
    ),
    "w_l = 1/L is the paper's choice; here the layers' E_l differ by orders of "
    "magnitude, so equal weights do not give equal shares": (
        "w_l = 1/L 是论文的选择；这里各层的 E_l 相差几个数量级，所以相等的权重并不给出相等的份额"
    ),
    "you multiplied by E_l; a layer with a large E_l needs a SMALL weight": (
        "你乘了 E_l；E_l 大的层需要【小】的权重"
    ),
    "for E_l = {e} the shares w_l E_l are {shares}": "E_l = {e} 时，份额 w_l E_l 为 {shares}",
    "equal shares of the style loss at the start": "开始时风格损失的各层份额相等",
    "Write the two conditions as equations: all products w_l E_l(x_0) are equal, and they add "
    "up to 1. How many layers share the 1?": (
        "把两个条件写成方程：所有乘积 w_l E_l(x_0) 都相等，且它们之和为 1。有多少层来分这个 1？"
    ),
    "squared MMD with the kernel (x^T y)^2": "核为 (x^T y)^2 的平方 MMD",
    "the cross term enters with -2": "交叉项带有系数 -2",
    "average each kernel sum over its pairs: 1/M_x^2, 1/M_y^2 and 1/(M_x M_y)": (
        "每个核的和都要对其配对数求平均：1/M_x^2、1/M_y^2 和 1/(M_x M_y)"
    ),
    "The samples are the COLUMNS of X and Y (one feature vector per position). One matrix "
    "product gives all inner products between the columns of two matrices at once; Eq. (4.1) "
    "then needs three averages.": (
        "样本是 X 和 Y 的【列】（每个位置一个特征向量）。一次矩阵乘法就能一次性给出两个矩阵各列之间的"
        "全部内积；然后式 (4.1) 需要三个平均值。"
    ),
    # lesson07
    "total-variation loss": "全变分损失",
    "Slicing one axis twice, once without its first entry and once without its last, "
    "lines every pixel up with its neighbour along that axis. There are two axes.": (
        "对同一个轴切片两次，一次去掉第一个元素，一次去掉最后一个元素，就能让每个像素与它沿该轴的"
        "邻居对齐。一共有两个轴。"
    ),
    "the loss is one number: sum over channels, rows and columns": (
        "损失是一个数：对通道、行和列求和"
    ),
    "square the differences, sum them (do not average), and use both directions": (
        "把差取平方再求和（不要求平均），并且两个方向都要用"
    ),
    "largest difference": "最大差为",
    "use the differences of neighbours down (rows) AND across (columns)": (
        "上下相邻（沿行）的差【和】左右相邻（沿列）的差都要用"
    ),
    "luminance of the result, colours of the photo": "结果的亮度，照片的颜色",
    "In YIQ, which channel carries the brightness and which two the colour? Take each "
    "from the image it should come from, then go back to RGB.": (
        "在 YIQ 中，哪个通道承载亮度，哪两个通道承载颜色？从各自应来自的图像中取出它们，"
        "再转换回 RGB。"
    ),
    "return an RGB image (1, 3, H, W), the size of the inputs": (
        "返回一幅 RGB 图像 (1, 3, H, W)，大小与输入相同"
    ),
    "take Y from the stylised image and I, Q from the content (do not "
    "clip: the check compares the exact values)": (
        "Y 取自风格化后的图像，I、Q 取自内容图像（不要裁剪：检查比较的是精确值）"
    ),
    "TV loss and gradient of a single bright pixel": "单个亮像素的 TV 损失及其梯度",
    "List the neighbour differences that are not zero: which pairs of pixels include the "
    "bright one? Each contributes its difference squared. For (b), differentiate that sum "
    "with respect to h.": (
        "列出不为零的相邻像素之差：哪些像素对包含这个亮像素？每一对贡献它的差的平方。"
        "对于 (b)，把这个和对 h 求导。"
    ),
    "pass a pair of functions: (my_spike_tv, my_spike_grad)": (
        "请传入一对函数：(my_spike_tv, my_spike_grad)"
    ),
    "the loss": "损失",
    "the gradient": "梯度",
    "{what}: your function returned None": "{what}：你的函数返回了 None",
    "{what}: {problem} (how many neighbour differences involve the pixel?)": (
        "{what}：{problem}（有几个相邻像素之差涉及这个像素？）"
    ),
    "{what} at h = {h}: {problem}": "h = {h} 时的{what}：{problem}",
    # lesson10
    "forward FLOPs of a convolution": "一个卷积的前向 FLOPs",
    "The output has c_out x h x w values (stride 1, 'same' padding); each is a dot product "
    "of length c_in * k * k: that many multiplications and additions.": (
        "输出有 c_out x h x w 个值（步幅 1，'same' 填充）；每个值是一个长度为 c_in * k * k 的点积："
        "也就是这么多次乘法和这么多次加法。"
    ),
    ": you counted multiply-accumulates; a MAC is 2 FLOPs": (
        "：你数的是乘加运算（MAC）的次数；一次 MAC 是 2 个 FLOPs"
    ),
    ": each output value needs c_in * k * k multiply-adds": "：每个输出值需要 c_in * k * k 次乘加",
    "{problem} (for c_in={c_in}, c_out={c_out}, k={k}, {h}x{w})": (
        "{problem}（c_in={c_in}、c_out={c_out}、k={k}、{h}x{w} 时）"
    ),
    "channel means and standard deviations": "各通道的均值和标准差",
    "Which two dimensions are the positions? keepdim=True keeps the shape (B, N, 1, 1). "
    "The variance divides by HW here, not HW - 1, and eps goes inside the root.": (
        "哪两个维度是位置？keepdim=True 保持形状 (B, N, 1, 1)。这里的方差除以 HW，而不是 HW - 1，"
        "并且 eps 放在根号里面。"
    ),
    "return two tensors: (mean, std)": "请返回两个张量：(mean, std)",
    "the mean: {problem} (keep the shape (B, N, 1, 1): keepdim=True)": (
        "均值：{problem}（保持形状 (B, N, 1, 1)：keepdim=True）"
    ),
    "the std divides by H W - 1; Huang and Belongie divide by H W (unbiased=False)": (
        "你的标准差除以的是 H W - 1；Huang 和 Belongie 除以的是 H W（unbiased=False）"
    ),
    "the std: {problem} (sqrt of the mean squared deviation + eps, eps = 1e-5)": (
        "标准差：{problem}（偏差平方的均值加上 eps 再开平方，eps = 1e-5）"
    ),
    "AdaIN, Eq. (8) of Huang and Belongie": "AdaIN，Huang 和 Belongie 的式 (8)",
    "First make x's channels zero-mean and unit-variance with its own statistics, then "
    "give them y's: in which order do the scale and the shift have to come?": (
        "先用 x 自己的统计量把它的各通道变为零均值、单位方差，再赋予它们 y 的统计量："
        "缩放和平移必须按什么顺序进行？"
    ),
    "{problem}: normalise x with its own mean and std, then scale by sigma(y), shift by mu(y)": (
        "{problem}：用 x 自己的均值和标准差对它做归一化，然后乘以 sigma(y)，再加上 mu(y)"
    ),
    # lesson06
    "total loss, Eq. (7)": "总损失，式 (7)",
    "Eq. (7) has two sums: over which layers does each run, and which of them carries the "
    "weight w_l = 1/L? The functions of lessons 02 and 03 each compute one layer's term.": (
        "式 (7) 有两个求和：它们各自遍历哪些层？其中哪一个带有权重 w_l = 1/L？第 02 课和第 03 课的"
        "函数各自计算一层的项。"
    ),
    "should be (": "应为 (",
    "differ": "不同",
    "the loss is one number: sum every term": "损失是一个数：把每一项都加起来",
    "both terms are added, with positive weights": "两项是相加的，权重都为正",
    "check the 1/2 of Eq. (1), the 1/(4 N^2 M^2) of Eq. (4) and w_l = 1/L of Eq. (5)": (
        "检查式 (1) 的 1/2、式 (4) 的 1/(4 N^2 M^2) 和式 (5) 的 w_l = 1/L"
    ),
    "is alpha on the content term and beta on the style term? "
    "Does every style layer use its own Gram target?": (
        "alpha 是否乘在内容项上、beta 是否乘在风格项上？每个风格层是否都用了它自己的格拉姆目标？"
    ),
    "one projected gradient-descent step": "投影梯度下降的一步",
    "your function changed x in place; return a new tensor": (
        "你的函数原地修改了 x；请返回一个新的张量"
    ),
    "you stepped uphill: descent subtracts lr * grad": "你朝上坡走了：下降要减去 lr * grad",
    "the pixels leave [0, 1]: clip them after the step": "像素超出了 [0, 1]：走完这一步后要截断它们",
    "Two operations: a step in the direction that lowers the loss, then a projection back "
    "onto the valid pixel values. Which torch method keeps values inside an interval?": (
        "两个操作：先朝使损失降低的方向走一步，再投影回有效的像素值。哪个 torch 方法能把数值限制在"
        "一个区间内？"
    ),
    "L-BFGS two-loop recursion": "L-BFGS 的双循环递归",
    "return the descent direction -H g, not H g": "应返回下降方向 -H g，而不是 H g",
    "the first loop runs newest to oldest, the second oldest to "
    "newest; scale by gamma = s'y / y'y of the newest pair in between": (
        "第一个循环从最新到最旧，第二个从最旧到最新；两个循环之间乘以最新一对的 gamma = s'y / y'y"
    ),
    "Store the a_i of the first loop by index: the second loop runs the other way and "
    "needs each one again. gamma uses the newest pair only. If the secant check fails, "
    "print d(y_newest) + s_newest to see how far off you are.": (
        "按下标保存第一个循环中的 a_i：第二个循环沿相反的方向运行，还要再用到每一个 a_i。gamma 只用"
        "最新的一对。如果割线方程的检查没有通过，打印 d(y_newest) + s_newest，看看差了多少。"
    ),
    "how alpha/beta must change when the features scale by s": (
        "特征缩放为 s 倍时 alpha/beta 必须如何变化"
    ),
    "at s = {s}: that is the inverse: does alpha/beta grow or shrink?": (
        "在 s = {s} 处：你给出的是倒数：alpha/beta 应该变大还是变小？"
    ),
    "at s = {s}: you used one loss's power only; the ratio involves both": (
        "在 s = {s} 处：你只用了一个损失的幂次；比值涉及两个损失"
    ),
    "at s = {s}: {problem}": "在 s = {s} 处：{problem}",
    "The content loss is a sum of squared features; E_l is a sum of squared Gram entries, "
    "each a product of two features. Write the scaled alpha L_content / (beta L_style) "
    "and ask what alpha/beta must do to undo the change.": (
        "内容损失是特征的平方和；E_l 是格拉姆矩阵元素的平方和，而每个元素是两个特征的乘积。写出缩放后的"
        " alpha L_content / (beta L_style)，再想一想：alpha/beta 必须怎样变化才能抵消这一改变？"
    ),
    # lesson08
    "the PyTorch tutorial's style weight as the paper's beta": "把 PyTorch 教程的风格权重换算成论文的 beta",
    "{problem} (for style_weight={sw}, N={n}, L={layers}): the tutorial's "
    "term is 4 E_l / N^2 per layer with no 1/L, the paper's beta E_l / L": (
        "{problem}（style_weight={sw}、N={n}、L={layers} 时）：教程每层的项是 4 E_l / N^2，"
        "不乘 1/L；论文的是 beta E_l / L"
    ),
    "Per layer the tutorial adds style_weight * mse(G/(NM), A/(NM)) = style_weight * 4/N^2 "
    "* E_l; the paper adds beta * E_l / L. Solve for beta.": (
        "教程每层加上 style_weight * mse(G/(NM), A/(NM)) = style_weight * 4/N^2 * E_l；"
        "论文加上 beta * E_l / L。解出 beta。"
    ),
    # lesson05
    "the closure": "闭包",
    "Four things, in an order that matters: forget the old gradient; evaluate the losses "
    "at x; write down each component; back-propagate the total. What must the optimiser "
    "get back?": (
        "四件事，顺序很重要：忘掉旧的梯度；在 x 处计算各个损失；记下每个分量；对总损失反向传播。"
        "优化器需要拿回什么？"
    ),
    "your function should return the closure (a function of no arguments)": (
        "你的函数应当返回闭包（一个没有参数的函数）"
    ),
    "the closure changed the pixels: only opt.step moves them": (
        "闭包改变了像素：只有 opt.step 才能移动它们"
    ),
    "the closure should return the total loss as a tensor (L-BFGS compares its values)": (
        "闭包应当以张量的形式返回总损失（L-BFGS 要比较它的值）"
    ),
    "the returned loss: {problem} (return losses['total'])": (
        "返回的损失：{problem}（应返回 losses['total']）"
    ),
    "x.grad is empty: call backward() on the total loss inside the closure": (
        "x.grad 是空的：请在闭包内部对总损失调用 backward()"
    ),
    "after two calls x.grad is twice the gradient: backward() adds to .grad, "
    "so zero it first (opt.zero_grad())": (
        "调用两次之后，x.grad 是梯度的两倍：backward() 会累加到 .grad 上，所以要先把它清零"
        "（opt.zero_grad()）"
    ),
    "x.grad: {problem}": "x.grad：{problem}",
    "history should have one list per loss component {want}, has {got}": (
        "history 应当为每个损失分量 {want} 各存一个列表，实际是 {got}"
    ),
    "after {call} call(s) history[{name!r}] has {n} entries, should have {call}": (
        "调用 {call} 次之后，history[{name!r}] 有 {n} 项，应当有 {call} 项"
    ),
    "store plain numbers (float(value.detach())): a tensor in the history keeps its "
    "whole graph alive": (
        "请存普通的数（float(value.detach())）：存进 history 的张量会让它的整个计算图一直留在内存中"
    ),
    "history[{name!r}] holds {got}, the loss is {want}": (
        "history[{name!r}] 中存的是 {got}，而损失是 {want}"
    ),
    "L-BFGS on an isotropic quadratic": "各向同性二次函数上的 L-BFGS",
    "Follow the loop by hand on f(x) = lambda/2 |x - t|^2. Evaluation 1 at x0 gives g0; "
    "the first step is short (PyTorch scales it by min(1, 1/|g0|_1)). At x1 you have the "
    "pair s = x1 - x0, y = g1 - g0. Compute y in terms of s, then gamma, then x2.": (
        "在 f(x) = lambda/2 |x - t|^2 上用手跟踪这个循环。在 x0 处的第 1 次求值给出 g0；第一步很短"
        "（PyTorch 把它缩放为 min(1, 1/|g0|_1) 倍）。在 x1 处你得到曲率对 s = x1 - x0，y = g1 - g0。"
        "用 s 表示 y，然后求出 gamma，再求出 x2。"
    ),
    "answer with a whole number of evaluations, got {answer!r}": (
        "请用一个整数（求值次数）作答，得到的却是 {answer!r}"
    ),
    "close: the second point is the minimum, but how does the loop know? Count the "
    "evaluation that sees the loss there": (
        "接近了：第二个点就是最小值，但循环怎么知道这一点？要把在那里看到损失的那次求值也算上"
    ),
    "the first step cannot land on the minimum: its length is set by min(1, 1/|g|_1), "
    "not by the curvature": "第一步不可能落在最小值上：它的长度由 min(1, 1/|g|_1) 决定，而不是由曲率决定",
    "fewer: after one step L-BFGS has one pair (s, y) with y = lambda s exactly; what "
    "does gamma = s'y / y'y make of the next direction -gamma g?": (
        "更少：走了一步之后，L-BFGS 有了一个曲率对 (s, y)，且恰好 y = lambda s；"
        "gamma = s'y / y'y 会让下一个方向 -gamma g 变成什么？"
    ),
    "{n} evaluations cannot be right": "{n} 次求值不可能对",
    "the gradient of the clamp": "截断函数的梯度",
    "Draw clamp(x, 0, 1) as a function of one pixel x: three pieces. What is the slope "
    "of each? Return a tensor of slopes of the same shape as x.": (
        "把 clamp(x, 0, 1) 画成单个像素 x 的函数：它分为三段。每一段的斜率是多少？"
        "返回一个与 x 形状相同的斜率张量。"
    ),
    "the clamp is flat outside [0, 1]: moving a pixel at 1.5 a little changes "
    "nothing": "截断函数在 [0, 1] 之外是平的：把一个位于 1.5 的像素稍微移动一点，什么也不会改变",
    "inside (0, 1) the clamp is the identity, with slope 1; outside it is constant": (
        "在 (0, 1) 内截断函数是恒等函数，斜率为 1；在区间之外它是常数"
    ),
    "that is the clamp itself, not its derivative": "这是截断函数本身，而不是它的导数",
    "the whole loop": "完整的循环",
    "Copy the image and make it require gradients; build the optimiser (L-BFGS with "
    "max_iter=1 so that one step is one evaluation); then, until the history holds "
    "`steps` values: remember x, step with your closure, clamp in place under no_grad, and "
    "for L-BFGS tell it which step was really taken.": (
        "复制图像并让它需要梯度；构造优化器（L-BFGS 取 max_iter=1，使一步就是一次求值）；然后反复执行，"
        "直到 history 存满 `steps` 个值：记下 x，用你的闭包走一步，在 no_grad 下原地截断，"
        "对 L-BFGS 还要告诉它实际走的是哪一步。"
    ),
    "your loop changed the starting image: optimise a copy": "你的循环改变了起始图像：请优化它的副本",
    "return a pair (image, history)": "请返回一个二元组 (image, history)",
    "with {optimizer}": "优化器 {optimizer}",
    "{tag}: history should be a dict with a list per loss component, 'total' among them": (
        "{tag}：history 应当是一个字典，每个损失分量一个列表，其中包括 'total'"
    ),
    "{tag}: {n} evaluations recorded for steps={steps}: stop after "
    "`steps` evaluations of the loss (count them in the closure's history)": (
        "{tag}：steps={steps} 时记录了 {n} 次求值：应在对损失求值 `steps` 次之后停止"
        "（用闭包的 history 来计数）"
    ),
    "{tag}: the loss became NaN or infinite: after the clamp, L-BFGS still "
    "believes it took the step it proposed (record_projected_step)": (
        "{tag}：损失变成了 NaN 或无穷大：截断之后，L-BFGS 仍以为自己走的是它提出的那一步"
        "（record_projected_step）"
    ),
    "{tag}: return the image, shape {shape}": "{tag}：请返回图像，形状为 {shape}",
    "{tag}: pixels outside [0, 1]: clamp them after each step": (
        "{tag}：有像素在 [0, 1] 之外：每一步之后都要截断"
    ),
    ": check LBFGS's settings (lr=1, max_iter=1, history_size=100, no "
    "tolerances) and that the clamp comes after opt.step, followed by "
    "record_projected_step": (
        "：检查 LBFGS 的设置（lr=1、max_iter=1、history_size=100、不设容差），以及截断是否在 "
        "opt.step 之后，并紧接着调用 record_projected_step"
    ),
    "{tag}: your losses first differ from optimize_pixels' at evaluation {k} "
    "({got} against {want}){note}": (
        "{tag}：你的损失从第 {k} 次求值起与 optimize_pixels 的不同（你的是 {got}，它的是 {want}）{note}"
    ),
    "{tag}: the final image: {problem}": "{tag}：最终的图像：{problem}",
    # lesson09
    "a feature map scaled to [0, 1]": "缩放到 [0, 1] 的特征图",
    "Index the channel with a slice (c to c + 1), not a single number, to keep four "
    "dimensions. Which affine map sends the smallest value to 0 and the largest to 1?": (
        "用切片（c 到 c + 1）而不是单个数来索引通道，这样才能保留四个维度。哪个仿射映射把最小值"
        "映到 0、把最大值映到 1？"
    ),
    "{problem}: keep the batch and channel axes, (1, 1, H, W)": (
        "{problem}：保留批量轴和通道轴，即 (1, 1, H, W)"
    ),
    "{problem}: subtract the channel's minimum, divide by its max - min": (
        "{problem}：减去该通道的最小值，再除以它的 max - min"
    ),
    "stop when the loss stops falling": "损失不再下降时停止",
    "The callback must remember something between calls: where can make_early_stop keep "
    "it so that the inner function sees it? What should the very first call return?": (
        "回调必须在两次调用之间记住一些东西：make_early_stop 能把它存在哪里，让内部函数看得到？"
        "第一次调用应当返回什么？"
    ),
    "expected a function that makes a callback, got {kind}": (
        "期望得到一个生成回调的函数，得到的却是 {kind}"
    ),
    "make_early_stop({tol}) should return a function, got {kind}": (
        "make_early_stop({tol}) 应当返回一个函数，得到的却是 {kind}"
    ),
    "with tol={tol} your callback never returned True (it should at evaluation "
    "{want})": "tol={tol} 时你的回调从未返回 True（它应当在第 {want} 次求值时返回 True）",
    "with tol={tol} your callback stopped at evaluation {stopped}, expected {want}: "
    "stop when |previous - current| <= tol * |previous|, and return exactly True": (
        "tol={tol} 时你的回调在第 {stopped} 次求值时停止，期望是第 {want} 次："
        "当 |previous - current| <= tol * |previous| 时停止，并且返回的必须恰好是 True"
    ),
}


__all__ = [
    "COVERED",
    "ZH",
]
