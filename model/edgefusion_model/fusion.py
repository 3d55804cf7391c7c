"""The exported fusion module (contract `edgefusion.fusion.v1`, docs/MODEL.md) and its variants.

- fp32: the network with BatchNorm folded into the convolutions, traced. Runs on CPU or CUDA.
- int8: the network quantized (quantize.py) and traced; CPU only (FBGEMM / x86 engine).
- fp16: the network in half precision, traced; meant for CUDA. torch 2.11 also runs half
  convolutions on the CPU, so on a CPU the variant works too, as a (slow) check: inputs and
  outputs stay float32 / uint8 exactly as in the other variants.
The rest (resize, decoding, NMS, lifting) is scripted float32 code shared by all variants.
"""
import copy
from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor, nn
from torch.fx.experimental.optimization import fuse

from .detect2d import COCO_TO_EDGEFUSION, NMS_IOU, SCORE_THRESHOLD, Detect2D
from .fastestdet import INPUT_SIZE, FastestDet
from .lifting import Lifter
from .quantize import quantize_network

CONTRACT = "edgefusion.fusion.v1"
VARIANTS = ("fp32", "int8", "fp16")
NETWORK = "FastestDet COCO-80 (github.com/dog-qiuqiu/FastestDet@50473cd), BGR input"
CLASS_NAMES = {1: "car", 2: "truck", 3: "bus", 4: "pedestrian", 5: "cyclist", 6: "motorcycle"}
QUANTIZATION = {
    "fp32": "none",
    "int8": "FX static int8 of the reparameterised network (reparam.py), x86 qconfig mapping, head score conv and activations fp32, calibrated on KITTI 000008 views",
    "fp16": "half-precision network",
}


class FusionModule(nn.Module):
    """Camera detector + lidar lifting behind the `edgefusion.fusion.v1` methods."""

    def __init__(self, detector: Detect2D, metadata: Dict[str, str]):
        super().__init__()
        self.detector = detector
        self.lifter = Lifter()
        self.metadata = metadata

    def forward(self, image: Tensor, encoding: str, points: Tensor, lidar_to_image: Tensor
                ) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        boxes_2d, classes, scores = self.detect_2d(image, encoding)
        boxes_3d, num_points = self.lift(boxes_2d, classes, points, lidar_to_image)
        return boxes_3d, boxes_2d, classes, scores, num_points

    @torch.jit.export
    def detect_2d(self, image: Tensor, encoding: str) -> Tuple[Tensor, Tensor, Tensor]:
        return self.detector(image, encoding)

    @torch.jit.export
    def lift(self, boxes_2d: Tensor, classes: Tensor, points: Tensor, lidar_to_image: Tensor
             ) -> Tuple[Tensor, Tensor]:
        return self.lifter(boxes_2d, classes, points, lidar_to_image)

    @torch.jit.export
    def contract(self) -> str:
        return "edgefusion.fusion.v1"

    @torch.jit.export
    def info(self) -> Dict[str, str]:
        return self.metadata


def traced_network(variant: str, net: FastestDet, calibration: Optional[List[Tensor]]) -> nn.Module:
    """The camera network of one variant as TorchScript ([1, 3, 352, 352] -> [1, 85, 22, 22])."""
    # channels_last (NHWC): PyTorch's CPU kernels for this network are much faster in it (the
    # stem max pool 10x, the depthwise convs too); cuDNN prefers it for half precision as well.
    net = copy.deepcopy(net).eval().requires_grad_(False).to(memory_format=torch.channels_last)
    example = torch.zeros(1, 3, INPUT_SIZE, INPUT_SIZE).contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        if variant == "fp32":
            return torch.jit.trace(fuse(net), example)  # fuse: BatchNorm folded into the convs
        if variant == "int8":
            if not calibration:
                raise ValueError("the int8 variant needs calibration frames (kitti/000008)")
            return quantize_network(net, calibration)
        if variant == "fp16":
            return torch.jit.trace(net.half(), example.half())
    raise ValueError(f"unknown variant {variant!r} (expected one of {', '.join(VARIANTS)})")


def metadata(variant: str, weights_sha256: str) -> Dict[str, str]:
    coco_names = {0: "person", 1: "bicycle", 2: "car", 3: "motorbike", 5: "bus", 7: "truck"}
    from_coco = {ours: coco_names[coco] for coco, ours in COCO_TO_EDGEFUSION.items()}
    return {
        "variant": variant,
        "network": NETWORK,
        "weights_sha256": weights_sha256,
        "input_size": f"{INPUT_SIZE}x{INPUT_SIZE}",
        "score_threshold": str(SCORE_THRESHOLD),
        "nms_iou": str(NMS_IOU),
        "torch_version": torch.__version__,
        "classes": ",".join(f"{c}={CLASS_NAMES[c]}(coco {from_coco[c]})" for c in sorted(CLASS_NAMES)),
        "quantization": QUANTIZATION[variant],
    }


def build_fusion(variant: str, net: FastestDet, weights_sha256: str,
                 calibration: Optional[List[Tensor]] = None) -> torch.jit.ScriptModule:
    """The scripted fusion module of `variant`, ready for `torch.jit.save`."""
    detector = Detect2D(traced_network(variant, net, calibration), half=variant == "fp16")
    return torch.jit.script(FusionModule(detector, metadata(variant, weights_sha256)))
