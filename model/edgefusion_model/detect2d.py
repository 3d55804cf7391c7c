"""Camera image -> 2D detections with FastestDet, all in TorchScript-compatible torch.

Preprocessing reproduces upstream's (the ONNX example's `cv2.resize(..., INTER_AREA)` of a BGR
image, /255), decoding follows the fixture MODEL.md, and NMS is plain torch so that LibTorch
alone can run the exported module (no torchvision ops).
"""
import math
from typing import List, Tuple

import torch
from torch import Tensor, nn

from .fastestdet import INPUT_SIZE

SCORE_THRESHOLD = 0.3  # low on purpose: eval needs the whole score range; the node filters more
NMS_IOU = 0.45
# COCO class id -> DetectedObject.CLASS_*; COCO classes not listed are dropped.
COCO_TO_EDGEFUSION = {0: 4, 1: 5, 2: 1, 3: 6, 5: 3, 7: 2}  # person, bicycle, car, motorbike, bus, truck


def area_weights(src: int, dst: int, device: torch.device) -> Tuple[Tensor, Tensor]:
    """Source indices [dst, K] and weights [dst, K] of an area-averaging downscale from `src` to
    `dst` samples: each output averages the source interval [i*s, (i+1)*s), s = src/dst, with
    partially covered pixels weighted by their coverage (OpenCV's INTER_AREA, which also drops
    slivers under 1e-3 px)."""
    scale = src / dst
    taps = int(math.ceil(scale)) + 1
    start = torch.arange(dst, dtype=torch.float64, device=device) * scale
    end = start + scale
    idx = start.floor().long().unsqueeze(1) + torch.arange(taps, device=device).unsqueeze(0)
    lo = torch.maximum(idx.double(), start.unsqueeze(1))
    hi = torch.minimum(idx.double() + 1.0, end.unsqueeze(1))
    cover = (hi - lo).clamp(min=0.0)
    cover = torch.where((cover > 1e-3) & (idx < src), cover, torch.zeros_like(cover))
    return idx.clamp(max=src - 1), (cover / scale).float()


def resize_area(hwc: Tensor, out_h: int, out_w: int) -> Tensor:
    """uint8 [H, W, C] -> float [out_h, out_w, C] rounded like OpenCV's uint8 output (the
    network was validated on such images). Upscaling falls back to bilinear."""
    h, w = hwc.shape[0], hwc.shape[1]
    if h < out_h or w < out_w:
        nchw = hwc.permute(2, 0, 1).unsqueeze(0).float()
        up = nn.functional.interpolate(nchw, size=[out_h, out_w], mode="bilinear", align_corners=False)
        return up[0].permute(1, 2, 0).round().clamp(0.0, 255.0)
    # Separable, one tap at a time (no [out, taps] copy of the image). Gathering whole rows is
    # far faster than gathering 3-byte pixels, so the horizontal pass runs on the transposed
    # image, the vertical one on the smaller result. The image stays uint8 until addcmul_
    # widens each gathered tap (exactly): a quarter of the bytes to transpose and gather. On an
    # idle machine that is no faster (0.9 ms either way); with both cores busy with a build, it
    # was 1.5 against 5.6 ms.
    c = hwc.shape[2]
    columns = hwc.transpose(0, 1).contiguous()  # [W, H, C] uint8
    ix, wx = area_weights(w, out_w, hwc.device)
    narrow = torch.zeros((out_w, h, c), device=hwc.device)
    for k in range(ix.shape[1]):
        narrow.addcmul_(columns.index_select(0, ix[:, k]), wx[:, k, None, None])
    rows = narrow.transpose(0, 1).contiguous()  # [H, out_w, C]
    iy, wy = area_weights(h, out_h, hwc.device)
    out = torch.zeros((out_h, out_w, c), device=hwc.device)
    for k in range(iy.shape[1]):
        out.addcmul_(rows.index_select(0, iy[:, k]), wy[:, k, None, None])
    return out.round()  # half to even, as OpenCV's saturate_cast (lrint)


def to_network_input(image: Tensor, encoding: str, size: int = INPUT_SIZE) -> Tensor:
    """uint8 [H, W, C] camera image -> float32 [1, 3, size, size] BGR in 0..1, channels_last."""
    if encoding not in ("rgb8", "bgr8", "mono8"):
        raise RuntimeError("unsupported image encoding '" + encoding + "' (expected rgb8, bgr8 or mono8)")
    channels = 1 if encoding == "mono8" else 3
    if image.dim() != 3 or image.shape[2] != channels or image.dtype != torch.uint8:
        raise RuntimeError("image for encoding " + encoding + " must be uint8 [H, W, " + str(channels)
                           + "], got " + str(image.dtype) + " " + str(image.shape))
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise RuntimeError("image is empty: " + str(image.shape))
    x = resize_area(image, size, size)
    if encoding == "rgb8":
        x = x.flip(2)  # the network was trained on BGR (cv2.imread)
    elif encoding == "mono8":
        x = x.expand(-1, -1, 3)
    # NHWC memory (channels_last) is what the network runs fastest in, and what HWC already is.
    return (x / 255.0).permute(2, 0, 1).unsqueeze(0).contiguous(memory_format=torch.channels_last)


def decode(raw: Tensor, width: float, height: float, threshold: float) -> Tuple[Tensor, Tensor, Tensor]:
    """Network output [85, G, G] -> boxes [K, 4] (pixels of a width x height image, unclipped),
    COCO classes [K] and scores [K] of the cells with score > threshold, in cell order."""
    grid_h, grid_w = raw.shape[1], raw.shape[2]
    cls_prob, cls = raw[5:].max(0)
    score = raw[0].pow(0.6) * cls_prob.pow(0.4)
    gy, gx = torch.meshgrid(torch.arange(grid_h, device=raw.device, dtype=raw.dtype),
                            torch.arange(grid_w, device=raw.device, dtype=raw.dtype), indexing="ij")
    cx = (torch.tanh(raw[1]) + gx) / grid_w
    cy = (torch.tanh(raw[2]) + gy) / grid_h
    half_w = torch.sigmoid(raw[3]) / 2
    half_h = torch.sigmoid(raw[4]) / 2
    boxes = torch.stack((cx - half_w, cy - half_h, cx + half_w, cy + half_h), -1).reshape(-1, 4)
    scale = torch.tensor([width, height, width, height], dtype=raw.dtype, device=raw.device)
    keep = (score > threshold).flatten().nonzero().squeeze(1)
    return (boxes * scale)[keep], cls.flatten()[keep], score.flatten()[keep]


def nms(boxes: Tensor, scores: Tensor, classes: Tensor, iou_threshold: float) -> Tensor:
    """Greedy per-class NMS (torchvision batched_nms semantics: areas without +1, suppress
    IoU > threshold); indices of the kept boxes, highest score first."""
    order = scores.argsort(descending=True)
    boxes, classes = boxes[order], classes[order]
    area = (boxes[:, 2] - boxes[:, 0]).clamp(min=0.0) * (boxes[:, 3] - boxes[:, 1]).clamp(min=0.0)
    top_left = torch.maximum(boxes[:, None, :2], boxes[None, :, :2])
    bottom_right = torch.minimum(boxes[:, None, 2:], boxes[None, :, 2:])
    wh = (bottom_right - top_left).clamp(min=0.0)
    inter = wh[:, :, 0] * wh[:, :, 1]
    iou = inter / (area[:, None] + area[None, :] - inter).clamp(min=1e-12)
    same_class = classes[:, None] == classes[None, :]
    suppresses: List[List[bool]] = ((iou > iou_threshold) & same_class).tolist()
    removed = [False] * len(suppresses)
    kept: List[int] = []
    for i, row in enumerate(suppresses):  # plain lists: a tensor per step would cost more
        if removed[i]:
            continue
        kept.append(i)
        for j in range(i + 1, len(row)):
            if row[j]:
                removed[j] = True
    return order[torch.tensor(kept, dtype=torch.long, device=order.device)]


class Detect2D(nn.Module):
    """(image, encoding) -> boxes_2d [M, 4] f32 pixels clipped to the image, edgefusion classes
    [M] i64, scores [M] f32 descending. `network` maps [1, 3, 352, 352] -> [1, 85, 22, 22]."""

    def __init__(self, network: nn.Module, half: bool = False,
                 score_threshold: float = SCORE_THRESHOLD, nms_iou: float = NMS_IOU):
        super().__init__()
        self.network = network
        self.half = half
        self.input_size = INPUT_SIZE
        self.score_threshold = score_threshold
        self.nms_iou = nms_iou
        lut = torch.zeros(80, dtype=torch.long)
        for coco, ours in COCO_TO_EDGEFUSION.items():
            lut[coco] = ours
        self.register_buffer("class_lut", lut)

    def forward(self, image: Tensor, encoding: str) -> Tuple[Tensor, Tensor, Tensor]:
        x = to_network_input(image, encoding, self.input_size)
        if self.half:
            x = x.half()
        raw = self.network(x)[0].float()
        height, width = float(image.shape[0]), float(image.shape[1])
        boxes, coco, scores = decode(raw, width, height, self.score_threshold)
        classes = self.class_lut[coco]
        ours = (classes > 0).nonzero().squeeze(1)
        boxes, classes, scores = boxes[ours], classes[ours], scores[ours]
        keep = nms(boxes, scores, classes, self.nms_iou)
        limit = torch.tensor([width, height, width, height], device=boxes.device)
        boxes = torch.minimum(boxes[keep].clamp(min=0.0), limit)
        return boxes, classes[keep], scores[keep]
