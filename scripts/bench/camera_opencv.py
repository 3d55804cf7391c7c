"""OpenCV as the camera node's peer (nodes/camera/benches/camera_stages.rs runs it): the same
stages on the same 1242x375 KITTI image, p50/p99 ms. OpenCV is what image_proc and cv_bridge
run: cv2.imdecode (libjpeg-turbo), cv2.cvtColor(COLOR_BayerBG2RGB) for bayer_rggb8 (bilinear),
cv2.initUndistortRectifyMap + cv2.remap(INTER_LINEAR) for the plumb_bob calibration of
tests/interop/test_camera_rectify.py. Single-threaded (cv2.setNumThreads(1)) like the node,
then with OpenCV's default threads.

usage: camera_opencv.py [RUNS [JPEG]]   (JPEG: the bytes the Rust bench decodes; without it,
OpenCV's own quality-90 encoding of the image)
"""
import os
import pathlib
import sys
import time

import numpy as np

try:
    import cv2
except ImportError:
    print("  SKIPPED: no cv2 in this Python (pip install opencv-python-headless)")
    sys.exit(0)

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = pathlib.Path(os.environ.get("EDGEFUSION_FIXTURES", ROOT.parent / "shared/fixtures"))
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 50
WARMUP = 3


def timed(label, f):
    for _ in range(WARMUP):
        f()
    ms = []
    for _ in range(RUNS):
        start = time.perf_counter()
        f()
        ms.append((time.perf_counter() - start) * 1e3)
    ms.sort()
    q = lambda q: ms[round((len(ms) - 1) * q)]  # noqa: E731
    print(f"  {label:<28} {q(0.5):>8.2f} {q(0.99):>8.2f}")


def main():
    path = FIXTURES / "kitti/000008/image.png"
    if not path.is_file():
        print(f"  SKIPPED: {path} absent")
        return
    bgr = cv2.imread(str(path))
    h, w = bgr.shape[:2]
    if len(sys.argv) > 2:
        jpeg = np.fromfile(sys.argv[2], dtype=np.uint8)
    else:
        ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
        assert ok
    rgb = bgr[:, :, ::-1].copy()
    mosaic = np.zeros((h, w), np.uint8)
    for a, b, c in [(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 2)]:
        mosaic[a::2, b::2] = rgb[a::2, b::2, c]
    k = np.array([[721.5377, 0, 609.5593], [0, 721.5377, 172.854], [0, 0, 1.0]])
    d = np.array([-0.37, 0.2, 1e-3, -2e-4, -0.07])
    p = np.array([[650.0, 0, 615.0, 0], [0, 650.0, 180.0, 0], [0, 0, 1.0, 0]])
    map_x, map_y = cv2.initUndistortRectifyMap(k, d, np.eye(3), p, (w, h), cv2.CV_32FC1)
    fixed = cv2.convertMaps(map_x, map_y, cv2.CV_16SC2)
    for threads in (1, cv2.getNumberOfCPUs()):
        cv2.setNumThreads(threads)
        print(f"OpenCV {cv2.__version__}, {threads} thread(s), {RUNS} runs after {WARMUP} warm-up")
        print(f"  {'stage':<28} {'p50 ms':>8} {'p99 ms':>8}")
        timed(f"decode JPEG ({len(jpeg) // 1000} kB)", lambda: cv2.imdecode(jpeg, cv2.IMREAD_COLOR))
        timed("demosaic bayer_rggb8", lambda: cv2.cvtColor(mosaic, cv2.COLOR_BayerBG2RGB))
        timed("build rectify map", lambda: cv2.initUndistortRectifyMap(k, d, np.eye(3), p, (w, h), cv2.CV_32FC1))
        timed("remap bilinear (float map)", lambda: cv2.remap(rgb, map_x, map_y, cv2.INTER_LINEAR))
        timed("remap bilinear (fixed map)", lambda: cv2.remap(rgb, fixed[0], fixed[1], cv2.INTER_LINEAR))


if __name__ == "__main__":
    main()
