"""The camera node's image paths against OpenCV, the reference every ROS driver stack uses
(image_proc rectifies with cv2.initUndistortRectifyMap + cv2.remap, cv_bridge demosaics with
cv2.cvtColor). Our side runs through the node core via `nodes/camera/examples/rectify.rs`
(built by CI with the workspace's release targets; this test never builds it).

Input: the real KITTI image (fixture kitti/000008/image.png) under
  * a plumb_bob and a rational_polynomial calibration with realistic coefficients and a slightly
    rotated R: the maps must agree to a thousandth of a pixel, the rectified images to within
    rounding (mean abs diff < 1 grey level, bilinear and nearest);
  * the committed calib/camera/kitti_000008.yaml (image_2 is already rectified): unchanged;
  * its Bayer mosaics: our demosaicing equals OpenCV's COLOR_Bayer*2RGB away from the border.
"""

import os
import pathlib
import subprocess

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
RECTIFY = TARGET / "release/examples/rectify"
KITTI_YAML = ROOT / "calib/camera/kitti_000008.yaml"
WIDTH, HEIGHT = 1242, 375


def _missing(message):
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def cv2():
    try:
        import cv2 as module
    except ImportError:
        _missing("OpenCV (opencv-python-headless) is not installed in this Python")
    return module


@pytest.fixture(scope="module")
def rectify_bin():
    if not RECTIFY.is_file():
        _missing(f"{RECTIFY} not built (cargo build --release -p edgefusion-camera --examples)")
    return RECTIFY


@pytest.fixture(scope="module")
def kitti_png(fixtures):
    path = fixtures / "kitti/000008/image.png"
    assert path.is_file(), path
    return path


def run(rectify_bin, *args):
    proc = subprocess.run([str(rectify_bin), *map(str, args)], capture_output=True, text=True)
    assert proc.returncode == 0, f"rectify {' '.join(map(str, args))} failed:\n{proc.stderr}"


def read_rgb(cv2, path):
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert image is not None, path
    return image[:, :, ::-1] if image.ndim == 3 else image


def calibration_yaml(model, d, k, r, p):
    rows = lambda values: ", ".join(repr(float(v)) for v in np.ravel(values))  # noqa: E731
    return (
        f"image_width: {WIDTH}\nimage_height: {HEIGHT}\ncamera_name: test\n"
        f"camera_matrix:\n  rows: 3\n  cols: 3\n  data: [{rows(k)}]\n"
        f"distortion_model: {model}\n"
        f"distortion_coefficients:\n  rows: 1\n  cols: {len(d)}\n  data: [{rows(d)}]\n"
        f"rectification_matrix:\n  rows: 3\n  cols: 3\n  data: [{rows(r)}]\n"
        f"projection_matrix:\n  rows: 3\n  cols: 4\n  data: [{rows(p)}]\n"
    )


def rotation(rx, ry, rz):
    """A small rotation (radians about x, then y, then z), as a stereo rectification gives."""
    cx, sx, cy, sy, cz, sz = np.cos(rx), np.sin(rx), np.cos(ry), np.sin(ry), np.cos(rz), np.sin(rz)
    x = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    y = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    z = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return z @ y @ x


# KITTI's focal length and centre, a lens with strong barrel distortion (wide-angle automotive
# camera), rectified into a slightly narrower virtual camera.
K = np.array([[721.5377, 0.0, 609.5593], [0.0, 721.5377, 172.854], [0.0, 0.0, 1.0]])
P = np.array([[650.0, 0.0, 615.0, 0.0], [0.0, 650.0, 180.0, 0.0], [0.0, 0.0, 1.0, 0.0]])
R = rotation(0.004, -0.006, 0.002)
CALIBRATIONS = {
    "plumb_bob": [-0.37, 0.2, 1e-3, -2e-4, -0.07],
    # k1, k2, p1, p2, k3, k4, k5, k6
    "rational_polynomial": [-0.37, 0.2, 1e-3, -2e-4, -0.07, 0.05, -0.01, 0.002],
}


@pytest.mark.parametrize("model", sorted(CALIBRATIONS))
def test_rectified_kitti_image_matches_opencv(cv2, rectify_bin, kitti_png, tmp_path, model):
    d = np.array(CALIBRATIONS[model])
    yaml = tmp_path / f"{model}.yaml"
    yaml.write_text(calibration_yaml(model, d, K, R, P))
    ours_png, ours_map = tmp_path / "ours.png", tmp_path / "map.f32"
    run(rectify_bin, "--calibration", yaml, "--map", ours_map, kitti_png, ours_png)

    map_x, map_y = cv2.initUndistortRectifyMap(K, d, R, P, (WIDTH, HEIGHT), cv2.CV_32FC1)
    ours = np.fromfile(ours_map, dtype="<f4").reshape(HEIGHT, WIDTH, 2)
    map_error = max(np.abs(ours[..., 0] - map_x).max(), np.abs(ours[..., 1] - map_y).max())
    assert map_error < 1e-3, f"{model}: maps differ by up to {map_error} px"
    # The distortion is real: pixels move by tens of pixels at the corners.
    grid_x, grid_y = np.meshgrid(np.arange(WIDTH), np.arange(HEIGHT))
    assert np.hypot(map_x - grid_x, map_y - grid_y).max() > 20

    raw = read_rgb(cv2, kitti_png)
    expected = cv2.remap(raw, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    ours_image = read_rgb(cv2, ours_png)
    assert ours_image.shape == expected.shape == (HEIGHT, WIDTH, 3)
    diff = np.abs(ours_image.astype(int) - expected.astype(int))
    # Same fixed point as OpenCV (1/32 px, 15-bit weights, ties to even): bit-exact with
    # OpenCV 4.13; the margin is for other OpenCV builds' float rounding of the maps.
    assert diff.mean() < 0.1, f"{model}: mean abs diff {diff.mean():.3f}"
    assert (diff > 1).mean() < 0.001, f"{model}: {(diff > 1).mean():.3%} of samples differ by > 1"
    # Not trivially equal to the input: rectification changed the image.
    assert np.abs(ours_image.astype(int) - raw.astype(int)).mean() > 10

    nearest_png = tmp_path / "nearest.png"
    run(rectify_bin, "--calibration", yaml, "--interpolation", "nearest", kitti_png, nearest_png)
    expected = cv2.remap(raw, map_x, map_y, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT)
    diff = np.abs(read_rgb(cv2, nearest_png).astype(int) - expected.astype(int))
    assert (diff > 0).any(axis=2).mean() < 0.001, f"{model} nearest: {(diff > 0).mean():.3%} differ"


def test_kitti_calibration_leaves_image_2_unchanged(cv2, rectify_bin, kitti_png, tmp_path):
    out = tmp_path / "out.png"
    run(rectify_bin, "--calibration", KITTI_YAML, kitti_png, out)
    assert np.array_equal(read_rgb(cv2, out), read_rgb(cv2, kitti_png))


# ROS encodings and the OpenCV conversion cv_bridge uses for each (OpenCV names Bayer patterns
# by the second row's two pixels, hence the swap).
BAYER = {
    "bayer_rggb8": ("COLOR_BayerBG2RGB", [[0, 1], [1, 2]]),
    "bayer_bggr8": ("COLOR_BayerRG2RGB", [[2, 1], [1, 0]]),
    "bayer_gbrg8": ("COLOR_BayerGR2RGB", [[1, 2], [0, 1]]),
    "bayer_grbg8": ("COLOR_BayerGB2RGB", [[1, 0], [2, 1]]),
}


@pytest.mark.parametrize("encoding", sorted(BAYER))
def test_demosaicing_matches_opencv(cv2, rectify_bin, kitti_png, tmp_path, encoding):
    code, channels = BAYER[encoding]
    rgb = read_rgb(cv2, kitti_png)
    mosaic = np.zeros((HEIGHT, WIDTH), np.uint8)
    for a in range(2):
        for b in range(2):
            mosaic[a::2, b::2] = rgb[a::2, b::2, channels[a][b]]
    mosaic_png, out = tmp_path / "mosaic.png", tmp_path / "out.png"
    assert cv2.imwrite(str(mosaic_png), mosaic)
    run(rectify_bin, "--calibration", KITTI_YAML, "--encoding", encoding, mosaic_png, out)
    expected = cv2.cvtColor(mosaic, getattr(cv2, code))
    ours = read_rgb(cv2, out)
    # OpenCV fills the outermost rows and columns its own way; compare inside them.
    inner = (slice(1, -1), slice(1, -1))
    diff = np.abs(ours[inner].astype(int) - expected[inner].astype(int))
    assert diff.mean() < 0.5, f"{encoding}: mean abs diff {diff.mean():.3f}"
    assert diff.max() <= 1, f"{encoding}: max diff {diff.max()}"
