"""The FastestDet network (COCO, 80 classes), our own definition.

Written from the architecture described in the fixture's MODEL.md (upstream:
github.com/dog-qiuqiu/FastestDet, BSD-3-Clause). Attribute names and `nn.Sequential` layouts
follow upstream's so that its published `state_dict` loads with `strict=True`; the structure
below is otherwise ours.

Input: float32 [N, 3, 352, 352], BGR, values in 0..1. Output: [N, 85, 22, 22] with channel 0 =
objectness (sigmoid), 1..4 = raw box regression, 5..84 = class probabilities (softmax).
"""
from pathlib import Path
from typing import List, Union

import torch
from torch import Tensor, nn

INPUT_SIZE = 352
GRID = 22
NUM_CLASSES = 80
STAGE_REPEATS = (4, 8, 4)
STAGE_WIDTHS = (24, 48, 96, 192)  # stem, stage2, stage3, stage4


def conv_bn(inp: int, out: int, k: int, stride: int = 1, groups: int = 1) -> List[nn.Module]:
    """Convolution without bias + BatchNorm: upstream's recurring pair (padding keeps size)."""
    return [nn.Conv2d(inp, out, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(out)]


class ShuffleBlock(nn.Module):
    """ShuffleNetV2 unit. Stride 2 downsamples both branches and concatenates them; stride 1
    passes the even channels through and transforms the odd ones (the channel shuffle)."""

    def __init__(self, inp: int, out: int, stride: int):
        super().__init__()
        self.stride = stride
        mid = out // 2
        # Stride 1 blocks get half the channels (the odd ones); stride 2 blocks get all `inp`.
        main_out = out - inp if stride == 2 else out // 2
        self.branch_main = nn.Sequential(
            *conv_bn(inp, mid, 1), nn.ReLU(inplace=True),
            *conv_bn(mid, mid, 3, stride, groups=mid),
            *conv_bn(mid, main_out, 1), nn.ReLU(inplace=True),
        )
        if stride == 2:
            self.branch_proj = nn.Sequential(
                *conv_bn(inp, inp, 3, stride, groups=inp),
                *conv_bn(inp, inp, 1), nn.ReLU(inplace=True),
            )

    def forward(self, x: Tensor) -> Tensor:
        if self.stride == 2:
            return torch.cat((self.branch_proj(x), self.branch_main(x)), 1)
        return torch.cat((x[:, 0::2], self.branch_main(x[:, 1::2])), 1)


class Backbone(nn.Module):
    """ShuffleNetV2 backbone; returns the stride 8, 16 and 32 feature maps."""

    def __init__(self):
        super().__init__()
        stem = STAGE_WIDTHS[0]
        self.first_conv = nn.Sequential(*conv_bn(3, stem, 3, 2), nn.ReLU(inplace=True))
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        stages = []
        inp = stem
        for repeats, out in zip(STAGE_REPEATS, STAGE_WIDTHS[1:]):
            blocks = [ShuffleBlock(inp, out, 2)]
            blocks += [ShuffleBlock(out // 2, out, 1) for _ in range(repeats - 1)]
            stages.append(nn.Sequential(*blocks))
            inp = out
        self.stage2, self.stage3, self.stage4 = stages

    def forward(self, x: Tensor):
        x = self.maxpool(self.first_conv(x))
        p1 = self.stage2(x)
        p2 = self.stage3(p1)
        return p1, p2, self.stage4(p2)


class PointwiseConv(nn.Module):
    """1x1 Conv + BN + ReLU (upstream `Conv1x1`)."""

    def __init__(self, inp: int, out: int):
        super().__init__()
        self.conv1x1 = nn.Sequential(*conv_bn(inp, out, 1), nn.ReLU(inplace=True))

    def forward(self, x: Tensor) -> Tensor:
        return self.conv1x1(x)


def depthwise5x5(channels: int, repeats: int) -> nn.Sequential:
    layers: List[nn.Module] = []
    for _ in range(repeats):
        layers += [*conv_bn(channels, channels, 5, groups=channels), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class SPP(nn.Module):
    """Three depthwise 5x5 towers of depth 1, 2, 3 (growing receptive field), fused by a 1x1
    and added residually."""

    def __init__(self, inp: int, out: int):
        super().__init__()
        self.Conv1x1 = PointwiseConv(inp, out)
        self.S1 = depthwise5x5(out, 1)
        self.S2 = depthwise5x5(out, 2)
        self.S3 = depthwise5x5(out, 3)
        self.output = nn.Sequential(*conv_bn(3 * out, out, 1))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        x = self.Conv1x1(x)
        y = torch.cat((self.S1(x), self.S2(x), self.S3(x)), 1)
        return self.relu(x + self.output(y))


class HeadBranch(nn.Module):
    """Depthwise 5x5 + BN + ReLU, then a 1x1 to `out` channels + BN (no activation)."""

    def __init__(self, channels: int, out: int):
        super().__init__()
        self.conv5x5 = nn.Sequential(
            *conv_bn(channels, channels, 5, groups=channels), nn.ReLU(inplace=True),
            *conv_bn(channels, out, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.conv5x5(x)


class DetectHead(nn.Module):
    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.conv1x1 = PointwiseConv(channels, channels)
        self.obj_layers = HeadBranch(channels, 1)
        self.reg_layers = HeadBranch(channels, 4)
        self.cls_layers = HeadBranch(channels, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv1x1(x)
        obj = torch.sigmoid(self.obj_layers(x))
        reg = self.reg_layers(x)
        cls = torch.softmax(self.cls_layers(x), dim=1)
        return torch.cat((obj, reg, cls), 1)


class FastestDet(nn.Module):
    def __init__(self, num_classes: int = NUM_CLASSES):
        super().__init__()
        self.backbone = Backbone()
        self.upsample = nn.Upsample(scale_factor=2.0, mode="nearest")
        self.avg_pool = nn.AvgPool2d(3, 2, 1)
        widths = STAGE_WIDTHS[1:]
        self.SPP = SPP(sum(widths), widths[1])
        self.detect_head = DetectHead(widths[1], num_classes)

    def forward(self, x: Tensor) -> Tensor:
        p1, p2, p3 = self.backbone(x)
        # Everything meets at stride 16: the stride 8 map pooled down, the stride 32 map upsampled.
        x = torch.cat((self.avg_pool(p1), p2, self.upsample(p3)), 1)
        return self.detect_head(self.SPP(x))


def load_fastestdet(weights: Union[str, Path]) -> FastestDet:
    """The network with upstream's COCO weights, in eval mode on the CPU."""
    net = FastestDet()
    state = torch.load(weights, map_location="cpu", weights_only=True)
    net.load_state_dict(state, strict=True)
    return net.eval()
