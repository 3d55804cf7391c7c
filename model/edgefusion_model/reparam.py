"""FastestDet rewritten as plain chains of convolutions for int8: the same function in float,
a form that LibTorch's quantized kernels run without leaving int8.

Why. A quantized convolution here costs a roughly fixed ~17 us per call, whatever its size, so
an int8 network is as fast as its operator count allows, and every operator that cannot take a
quantized tensor costs a dequantize / quantize round trip. FastestDet's ShuffleNetV2 blocks
split channels with strided slices (`x[:, 0::2]`), which FX quantization can only run in float,
and join branches with concatenations: the straight int8 conversion spent about as much time on
those round trips and copies as on its convolutions (docs/MODEL.md).

How (structural re-parameterisation; every rewrite is exact in real arithmetic):
- The stem convolution gets 8 all-zero output channels (24 -> 32) that the first block ignores:
  torch 2.11's NHWC int8 max pool vectorizes whole groups of 32 channels only, and runs 12x
  faster on 32 channels than on 24 (0.05 vs 0.60 ms here; the float pool takes 0.20 ms).
- A ShuffleNet unit becomes 1x1 conv + ReLU, depthwise 3x3, 1x1 conv + ReLU over the union of
  both branches. The pass-through channels ride along as identity weights: a 1x1 identity
  row, a depthwise kernel with a single centre 1, and ReLU, which leaves them unchanged because
  every block input is itself a ReLU output (>= 0). The even/odd channel split is folded into the
  first 1x1's weight columns, the concatenation into the order of output rows.
- The neck's `nn.Upsample` becomes the `F.interpolate` it calls, which FX quantizes (it leaves
  the module in float).
- The detect head's three branches (objectness, box, class) become one 1x1 replicated three
  times and one depthwise 5x5 over the 3 x 96 channels, then two 1x1s: objectness + class
  logits, and box, so that int8 gives the box its own scale (one shared scale cost it ~2x the
  rounding error). The sigmoid / softmax /
  concatenation are split off (`HeadActivation`) so they can stay in float.
Convolutions are built with BatchNorm folded (inference statistics).

Not rewritten, because measured slower quantized: the SPP towers (a depthwise conv with a
channel multiplier runs ~13x slower than plain depthwise in torch 2.11's int8 kernels) and the
fp32 variant (mkldnn runs the original form faster: the identity channels are extra work).
"""
import copy

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from .fastestdet import DetectHead, FastestDet, ShuffleBlock


def _folded(seq: nn.Sequential, conv_index: int) -> nn.Conv2d:
    """The convolution at `conv_index` of `seq` with the BatchNorm that follows it folded in."""
    return fuse_conv_bn_eval(seq[conv_index], seq[conv_index + 1])


def _zero_conv(inp: int, out: int, k: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    conv = nn.Conv2d(inp, out, k, stride, k // 2, groups=groups, bias=True)
    nn.init.zeros_(conv.weight)
    nn.init.zeros_(conv.bias)
    return conv


@torch.no_grad()
def chain_block(block: ShuffleBlock) -> nn.Sequential:
    """One ShuffleNet unit as [1x1, ReLU, depthwise 3x3, 1x1, ReLU] with the same output."""
    main = block.branch_main
    reduce, depthwise, expand = _folded(main, 0), _folded(main, 3), _folded(main, 5)
    mid = reduce.out_channels
    if block.stride == 1:
        # Channels [0, keep) carry x[:, 0::2] through; [keep, keep + mid) are the main branch.
        keep = reduce.in_channels
        first = _zero_conv(2 * keep, keep + mid, 1)
        first.weight[torch.arange(keep), 2 * torch.arange(keep)] = 1.0
        first.weight[keep:, 1::2] = reduce.weight
        middle = _zero_conv(keep + mid, keep + mid, 3, 1, groups=keep + mid)
        middle.weight[:keep, 0, 1, 1] = 1.0
    else:
        # Channels [0, keep) are the projection branch (depthwise 3x3 s2, 1x1), its input
        # passed through the first 1x1 unchanged.
        project_dw, project = _folded(block.branch_proj, 0), _folded(block.branch_proj, 2)
        keep = reduce.in_channels
        first = _zero_conv(keep, keep + mid, 1)
        first.weight[torch.arange(keep), torch.arange(keep)] = 1.0
        first.weight[keep:] = reduce.weight
        middle = _zero_conv(keep + mid, keep + mid, 3, 2, groups=keep + mid)
        middle.weight[:keep] = project_dw.weight
        middle.bias[:keep] = project_dw.bias
    first.bias[keep:] = reduce.bias
    middle.weight[keep:] = depthwise.weight
    middle.bias[keep:] = depthwise.bias
    last = _zero_conv(keep + mid, keep + expand.out_channels, 1)
    if block.stride == 1:
        last.weight[torch.arange(keep), torch.arange(keep)] = 1.0
    else:
        last.weight[:keep, :keep] = project.weight
        last.bias[:keep] = project.bias
    last.weight[keep:, keep:] = expand.weight
    last.bias[keep:] = expand.bias
    return nn.Sequential(first, nn.ReLU(), middle, last, nn.ReLU())


class HeadActivation(nn.Module):
    """Raw scores [N, 81, ...] (objectness, then classes) and raw box [N, 4, ...] -> the network's
    output: sigmoid objectness, raw box, softmax class probabilities."""

    def forward(self, scores: Tensor, box: Tensor) -> Tensor:
        return torch.cat((torch.sigmoid(scores[:, :1]), box, torch.softmax(scores[:, 1:], dim=1)), 1)


class MergedHead(nn.Module):
    def __init__(self, features: nn.Sequential, predict_scores: nn.Conv2d, predict_box: nn.Conv2d):
        super().__init__()
        self.features = features
        self.predict_scores = predict_scores
        self.predict_box = predict_box
        self.activate = HeadActivation()

    def forward(self, x: Tensor) -> Tensor:
        x = self.features(x)
        return self.activate(self.predict_scores(x), self.predict_box(x))


@torch.no_grad()
def merged_head(head: DetectHead) -> MergedHead:
    """DetectHead as [1x1 x3, ReLU, depthwise 5x5, ReLU], then a 1x1 each to the scores and the
    box, then the activation: the same output."""
    shared = _folded(head.conv1x1.conv1x1, 0)
    branches = (head.obj_layers, head.reg_layers, head.cls_layers)
    depthwise = [_folded(b.conv5x5, 0) for b in branches]
    predict = [_folded(b.conv5x5, 3) for b in branches]
    c = shared.out_channels
    copies = len(branches)
    first = _zero_conv(shared.in_channels, copies * c, 1)
    first.weight.copy_(shared.weight.repeat(copies, 1, 1, 1))
    first.bias.copy_(shared.bias.repeat(copies))
    middle = _zero_conv(copies * c, copies * c, 5, groups=copies * c)
    obj, box, cls = predict
    scores = _zero_conv(copies * c, obj.out_channels + cls.out_channels, 1)
    box_out = _zero_conv(copies * c, box.out_channels, 1)
    for k, dw in enumerate(depthwise):
        middle.weight[k * c:(k + 1) * c] = dw.weight
        middle.bias[k * c:(k + 1) * c] = dw.bias
    scores.weight[:1, :c] = obj.weight
    scores.bias[:1] = obj.bias
    box_out.weight[:, c:2 * c] = box.weight
    box_out.bias.copy_(box.bias)
    scores.weight[1:, 2 * c:] = cls.weight
    scores.bias[1:] = cls.bias
    return MergedHead(nn.Sequential(first, nn.ReLU(), middle, nn.ReLU()), scores, box_out)


class NearestUpsample(nn.Module):
    def __init__(self, scale: float):
        super().__init__()
        self.scale = scale

    def forward(self, x: Tensor) -> Tensor:
        return F.interpolate(x, scale_factor=self.scale, mode="nearest")


STEM_CHANNELS = 32


@torch.no_grad()
def padded_stem(first_conv: nn.Sequential, first_block: nn.Sequential) -> nn.Sequential:
    """The stem [conv, BN, ReLU] as conv + ReLU with STEM_CHANNELS outputs, the extra ones zero
    (ReLU(0) = 0, and max pooling keeps them 0); `first_block` (a chain block) is widened in
    place to take them, with zero weights."""
    conv = _folded(first_conv, 0)
    padded = _zero_conv(conv.in_channels, STEM_CHANNELS, conv.kernel_size[0], conv.stride[0])
    padded.weight[:conv.out_channels] = conv.weight
    padded.bias[:conv.out_channels] = conv.bias
    reads = first_block[0]
    wide = _zero_conv(STEM_CHANNELS, reads.out_channels, 1)
    wide.weight[:, :reads.in_channels] = reads.weight
    wide.bias.copy_(reads.bias)
    first_block[0] = wide
    return nn.Sequential(padded, nn.ReLU())


def for_int8(network: FastestDet) -> FastestDet:
    """A copy of `network` (eval) with its stem, ShuffleNet units and head rewritten; same
    output."""
    net = copy.deepcopy(network).eval()
    for stage in (net.backbone.stage2, net.backbone.stage3, net.backbone.stage4):
        for i, block in enumerate(stage):
            stage[i] = chain_block(block)
    net.backbone.first_conv = padded_stem(net.backbone.first_conv, net.backbone.stage2[0])
    net.upsample = NearestUpsample(net.upsample.scale_factor)
    net.detect_head = merged_head(net.detect_head)
    return net
