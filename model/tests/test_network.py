"""Our FastestDet definition, preprocessing and decoding against upstream's own references:
the upstream ONNX export run by onnxruntime, and the reference outputs of the fixture MODEL.md
(produced by onnxruntime on the upstream ONNX file, with OpenCV's INTER_AREA resize)."""
import json

import numpy as np
import onnxruntime
import pytest
import torch

from edgefusion_model.detect2d import decode, nms, to_network_input
from edgefusion_model.fastestdet import load_fastestdet
from edgefusion_model.reparam import for_int8


@pytest.fixture(scope="module")
def network(fastestdet_dir):
    return load_fastestdet(fastestdet_dir / "fastestdet_coco_280e.pth")


@pytest.fixture(scope="module")
def reference_input(fastestdet_dir):
    """The exact network input of the reference run: uint8 [1, 352, 352, 3] BGR -> NCHW / 255."""
    bgr = np.load(fastestdet_dir / "reference_000008_input_bgr352.npy")
    return torch.from_numpy(bgr).permute(0, 3, 1, 2).float() / 255


@pytest.fixture(scope="module")
def our_raw(network, reference_input):
    with torch.no_grad():
        return network(reference_input)


def test_network_matches_onnxruntime_on_upstream_onnx(fastestdet_dir, reference_input, our_raw):
    session = onnxruntime.InferenceSession(str(fastestdet_dir / "FastestDet.onnx"),
                                           providers=["CPUExecutionProvider"])
    (theirs,) = session.run(None, {session.get_inputs()[0].name: reference_input.numpy()})
    assert theirs.shape == (1, 85, 22, 22)
    assert np.abs(our_raw.numpy() - theirs).max() <= 1e-4


def test_network_matches_reference_raw_output(fastestdet_dir, our_raw):
    reference = np.load(fastestdet_dir / "reference_000008_raw.npy")
    assert np.abs(our_raw.numpy() - reference).max() <= 1e-4


def test_int8_form_of_the_network_computes_the_same_function(network, reference_input, our_raw):
    """reparam.py's rewrite (what the int8 variant quantizes) changes the form, not the output:
    only float rounding differs."""
    rewritten = for_int8(network)
    with torch.no_grad():
        assert (rewritten(reference_input) - our_raw).abs().max() <= 1e-4
        # Also where inputs are far from the reference: dark, saturated, and noise.
        for x in (reference_input * 0.1, (reference_input * 3).clamp(max=1), torch.rand(2, 3, 352, 352)):
            assert torch.allclose(rewritten(x), network(x), atol=1e-4, rtol=0)


def test_decoding_and_nms_reproduce_reference_detections(fastestdet_dir, our_raw):
    reference = json.loads((fastestdet_dir / "reference_000008_dets.json").read_text())
    width, height = reference["image_size_wh"]
    boxes, classes, scores = decode(our_raw[0], float(width), float(height), 0.5)
    assert len(scores) == reference["num_candidates_above_threshold"]
    keep = nms(boxes, scores, classes, 0.45)
    expected = reference["detections"]
    assert classes[keep].tolist() == [d["class_id"] for d in expected]
    np.testing.assert_allclose(scores[keep].numpy(), [d["score"] for d in expected], atol=1e-3)
    np.testing.assert_allclose(boxes[keep].numpy(), [d["box_px"] for d in expected], atol=0.5)


def test_nms_is_per_class_and_greedy_by_score():
    boxes = torch.tensor([[0.0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 10], [20, 20, 30, 30]])
    scores = torch.tensor([0.5, 0.9, 0.8, 0.7])
    classes = torch.tensor([1, 1, 2, 1])
    # Box 1 (0.9) suppresses box 0 (IoU 0.68, same class) but not box 2 (other class).
    assert nms(boxes, scores, classes, 0.45).tolist() == [1, 2, 3]
    assert nms(boxes[:0], scores[:0], classes[:0], 0.45).tolist() == []


def test_in_module_resize_reproduces_opencv_inter_area(frame, fastestdet_dir):
    """The reference input is OpenCV's INTER_AREA resize of the BGR image; ours runs in torch
    on the RGB image as PIL decodes it (same pixels: PNG is lossless)."""
    image, _, _ = frame
    ours = to_network_input(image, "rgb8")[0].permute(1, 2, 0) * 255
    opencv = torch.from_numpy(np.load(fastestdet_dir / "reference_000008_input_bgr352.npy")[0]).float()
    diff = (ours - opencv).abs()
    assert diff.max() <= 1.0  # float summation order may flip a rounding
    assert (diff > 0).float().mean() <= 1e-3


@pytest.mark.parametrize("encoding,channels", [("rgb8", 1), ("mono8", 3), ("bgr8", 4)])
def test_image_shape_must_match_encoding(encoding, channels):
    image = torch.zeros((10, 10, channels), dtype=torch.uint8)
    with pytest.raises(RuntimeError, match=encoding):
        to_network_input(image, encoding)


def test_integer_ratio_resize_averages_blocks(frame):
    """At an exact 2x ratio INTER_AREA is the mean of each 2x2 block (rounded half to even)."""
    crop = frame[0][:352, :704].flip(2).contiguous()  # BGR: no channel swap inside
    blocks = crop.numpy().astype(np.float64).reshape(176, 2, 352, 2, 3).mean(axis=(1, 3))
    tall = torch.cat((crop, crop), 0)  # 704 x 704
    ours = to_network_input(tall, "bgr8")[0].permute(1, 2, 0).numpy() * 255
    np.testing.assert_allclose(ours[:176], np.round(blocks), atol=1e-3)


def test_images_smaller_than_the_input_are_upscaled(frame):
    small = frame[0][100:300, 400:700].contiguous()
    x = to_network_input(small, "rgb8")
    assert x.shape == (1, 3, 352, 352) and 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    assert float(x.std()) > 0.05  # an image, not a constant
