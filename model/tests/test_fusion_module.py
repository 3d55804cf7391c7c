"""The exported fusion modules (target/models/fusion_<variant>.pt, loaded with torch.jit.load as
the Rust runner loads them) against KITTI's labels of frame 000008 and the contract in
docs/MODEL.md."""
import numpy as np
import pytest
import torch

CONTRACT = "edgefusion.fusion.v1"
INFO_KEYS = {"variant", "network", "weights_sha256", "input_size", "score_threshold", "nms_iou",
             "torch_version", "classes"}
CAR = 1


def iou(a, b):
    """IoU matrix of x1, y1, x2, y2 boxes [n, 4] x [m, 4]."""
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    wh = (torch.minimum(a[:, None, 2:], b[None, :, 2:]) - torch.maximum(a[:, None, :2], b[None, :, :2])).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    area = lambda z: (z[:, 2] - z[:, 0]) * (z[:, 3] - z[:, 1])  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None, :] - inter)


def run(module, frame, encoding="rgb8"):
    image, points, projection = frame
    with torch.no_grad():
        return module(image, encoding, points, projection)


def matches(boxes_2d, classes, cars):
    """For each labelled car, the index of the best car detection with IoU >= 0.5, or None."""
    car_rows = (classes == CAR).nonzero().squeeze(1)
    overlaps = iou([c["box_2d"] for c in cars], boxes_2d[car_rows])
    found = []
    for row in overlaps:
        best = int(row.argmax()) if len(row) else -1
        found.append(int(car_rows[best]) if best >= 0 and row[best] >= 0.5 else None)
    return found


@pytest.mark.parametrize("variant", ["fp32", "int8"])
def test_finds_labelled_cars_in_2d_and_3d(exported, frame, labelled_cars, variant):
    boxes_3d, boxes_2d, classes, scores, num_points = run(exported(variant), frame)
    found = matches(boxes_2d, classes, labelled_cars)
    assert sum(f is not None for f in found) >= 5, f"{variant}: cars matched {found}"
    for car, det in zip(labelled_cars, found):
        if det is None or np.linalg.norm(car["centre"][:2]) >= 30.0:
            continue
        error = np.linalg.norm(boxes_3d[det, :3].numpy() - car["centre"])
        assert error <= 1.5, f"{variant}: car at {car['centre']} estimated at {boxes_3d[det, :3]}"
        assert num_points[det] > 0


@pytest.mark.parametrize("variant", ["fp32", "int8", "fp16"])
def test_outputs_follow_the_contract(exported, frame, variant):
    module = exported(variant)
    assert module.contract() == CONTRACT
    info = module.info()
    assert INFO_KEYS <= set(info) and info["variant"] == variant
    assert float(info["score_threshold"]) == 0.3 and float(info["nms_iou"]) == 0.45
    boxes_3d, boxes_2d, classes, scores, num_points = run(module, frame)
    m = len(scores)
    assert m > 0
    assert (boxes_3d.dtype, boxes_3d.shape) == (torch.float32, (m, 7))
    assert (boxes_2d.dtype, boxes_2d.shape) == (torch.float32, (m, 4))
    assert (classes.dtype, scores.dtype, num_points.dtype) == (torch.int64, torch.float32, torch.int64)
    assert bool((scores[:-1] >= scores[1:]).all()) and float(scores.min()) > 0.3
    assert set(classes.tolist()) <= {1, 2, 3, 4, 5, 6}
    height, width = frame[0].shape[:2]
    assert bool((boxes_2d >= 0).all()) and bool((boxes_2d[:, [0, 2]] <= width).all())
    assert bool((boxes_2d[:, [1, 3]] <= height).all())


@pytest.mark.parametrize("variant", ["fp32", "int8"])
def test_forward_is_detect_2d_then_lift(exported, frame, variant):
    module = exported(variant)
    image, points, projection = frame
    with torch.no_grad():
        outputs = module(image, "rgb8", points, projection)
        boxes_2d, classes, scores = module.detect_2d(image, "rgb8")
        boxes_3d, num_points = module.lift(boxes_2d, classes, points, projection)
    for got, want in zip(outputs, (boxes_3d, boxes_2d, classes, scores, num_points)):
        assert torch.equal(got, want)


def test_int8_network_stays_int8_from_input_to_head(exported):
    """The int8 network is quantized once, at its input, and dequantized only at the end of the
    head (docs/MODEL.md): every other round trip would cost a dequantize and a quantize per
    frame."""
    graph = exported("int8").detector.network.inlined_graph
    kinds = [node.kind() for node in graph.nodes()]
    assert kinds.count("aten::quantize_per_tensor") == 1
    assert kinds.count("aten::dequantize") == 2  # features into the float scores 1x1; the box
    # No channel split left before the head: ShuffleNet's strided slices run only in float.
    assert "aten::slice" not in kinds[:kinds.index("aten::dequantize")]


def test_unsupported_encoding_is_named_in_the_error(exported, frame):
    """A RuntimeError raised in TorchScript reaches Python as torch.jit.Error (and Rust as a
    TchError), its message naming the original exception type."""
    image, points, projection = frame
    with pytest.raises(torch.jit.Error, match="RuntimeError: unsupported image encoding 'yuv422'"):
        exported("fp32")(image, "yuv422", points, projection)


def test_bgr8_and_mono8_inputs(exported, frame, labelled_cars):
    """The same scene as bgr8 gives the same detections; as mono8 (no colour) cars are still
    found, if fewer."""
    module = exported("fp32")
    image, points, projection = frame
    rgb = run(module, frame)
    bgr = run(module, (image.flip(2).contiguous(), points, projection), "bgr8")
    for a, b in zip(rgb, bgr):
        assert torch.equal(a, b)
    grey = (image.double() @ torch.tensor([0.299, 0.587, 0.114], dtype=torch.float64)).round()
    mono = run(module, (grey.to(torch.uint8)[:, :, None].contiguous(), points, projection), "mono8")
    assert sum(f is not None for f in matches(mono[1], mono[2], labelled_cars)) >= 3


def test_without_lidar_points_every_box_is_camera_only(exported, frame):
    image, _, projection = frame
    boxes_3d, boxes_2d, classes, scores, num_points = run(
        exported("fp32"), (image, torch.zeros((0, 4)), projection))
    assert len(scores) > 0 and boxes_3d.shape == (len(scores), 7)
    assert num_points.tolist() == [0] * len(scores)
    assert bool(torch.isfinite(boxes_3d).all())


def test_fp16_runs_on_cpu_and_agrees_with_fp32(exported, frame):
    """As fusion.py documents: the fp16 variant is meant for CUDA, but torch 2.11 runs half
    convolutions on the CPU, so there it works (slowly) and detects what fp32 detects."""
    fp32 = run(exported("fp32"), frame)
    fp16 = run(exported("fp16"), frame)
    confident32, confident16 = fp32[3] > 0.5, fp16[3] > 0.5
    assert torch.equal(fp16[2][confident16], fp32[2][confident32])
    assert bool((iou(fp16[1][confident16], fp32[1][confident32]).diagonal() > 0.95).all())
    np.testing.assert_allclose(fp16[3][confident16].numpy(), fp32[3][confident32].numpy(), atol=0.01)
