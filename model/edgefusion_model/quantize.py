"""Post-training static int8 quantization of the FastestDet network (FX graph mode, "x86"
qconfig mapping: per-channel int8 weights, histogram-calibrated uint8 activations).

Only the network is quantized; preprocessing, decoding, NMS and the lidar geometry stay float32.
It is quantized in the equivalent form of reparam.py (plain conv chains), which int8 kernels run
without dequantizing between operators.

Calibration uses real camera data only. The one real camera frame available to the project is
KITTI 000008 (fixtures `kitti/000008/image.png`, also `reference_000008_input_bgr352.npy`, the
same frame after upstream's resize), so the calibration set is that frame plus real augmented
views of it: a horizontal flip, crops at several scales and positions (objects appear larger,
as nearer ones would), and darker / brighter versions. No synthetic images. With a single scene
the activation ranges are narrower than a fleet's would be, and the int8 checks in model/tests
run on this same frame: they measure quantization error, not generalisation.
"""
import warnings
from typing import List

import torch
from torch import Tensor, nn
from torch.ao.quantization import get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

from .detect2d import to_network_input
from .reparam import for_int8

# (left, top, width, height) as fractions of the image: several scales, left / centre / right.
CROPS = [
    (0.0, 0.0, 0.5, 1.0), (0.25, 0.0, 0.5, 1.0), (0.5, 0.0, 0.5, 1.0),
    (0.1, 0.2, 0.3, 0.8), (0.4, 0.3, 0.3, 0.7), (0.65, 0.25, 0.3, 0.75),
    (0.45, 0.35, 0.15, 0.4), (0.0, 0.4, 0.35, 0.6), (0.7, 0.4, 0.3, 0.6),
]
BRIGHTNESS = [0.6, 0.8, 1.25, 1.5]


def calibration_views(image_rgb: Tensor) -> List[Tensor]:
    """Network inputs [1, 3, 352, 352] from one real uint8 [H, W, 3] RGB frame and views of it."""
    h, w = image_rgb.shape[0], image_rgb.shape[1]
    views = [image_rgb, image_rgb.flip(1)]
    for left, top, cw, ch in CROPS:
        x0, y0 = int(left * w), int(top * h)
        views.append(image_rgb[y0:y0 + int(ch * h), x0:x0 + int(cw * w)])
    for gain in BRIGHTNESS:
        views.append((image_rgb.float() * gain).round().clamp(0, 255).to(torch.uint8))
    return [to_network_input(v.contiguous(), "rgb8") for v in views]


def quantize_network(network: nn.Module, calibration: List[Tensor]) -> torch.jit.ScriptModule:
    """int8 copy of `network` (FastestDet, fp32, eval), calibrated on `calibration`, traced to
    TorchScript. Conv + ReLU are fused by prepare_fx before observation.

    Everything runs in int8 except the end of the head:
    - the sigmoid / softmax / concatenation: quantized, the concatenation would share one scale
      between the sigmoid objectness (fixed 0..1 qparams) and the raw box regression, clipping
      the regression to 0..1 (2 of the 6 labelled cars of 000008 found at IoU >= 0.5);
    - the 1x1 convolution that predicts objectness and class logits: with int8 logits (one
      scale for all 81) the scores moved enough to lose the least certain of 000008's six cars
      (fp32 image IoU 0.54): Car AP 0.83 instead of 1.0. In float it costs ~0.1 ms.
    The box convolution stays int8 (its own scale: reparam.merged_head)."""
    torch.backends.quantized.engine = "x86"
    qconfig = get_default_qconfig_mapping("x86")
    for name in ("detect_head.predict_scores", "detect_head.activate"):
        qconfig = qconfig.set_module_name(name, None)
    model = for_int8(network).to(memory_format=torch.channels_last)
    calibration = [x.contiguous(memory_format=torch.channels_last) for x in calibration]
    example = calibration[0]
    with warnings.catch_warnings(), torch.no_grad():
        # torch 2.11 marks FX quantization deprecated in favour of torchao's pt2e; it still works.
        warnings.simplefilter("ignore")
        prepared = prepare_fx(model, qconfig, (example,))
        for x in calibration:
            prepared(x)
        return torch.jit.trace(convert_fx(prepared), example)
