"""Shared fixtures for the model tests: the third-party fixtures (FastestDet files, KITTI
000008) and the exported fusion modules in <repo>/target/models (or $EDGEFUSION_MODELS).

Absent fixtures or exports skip with a message, except under CI, where they fail. Exports that
do not match the current sources (stale stamp) always fail: testing them would test old code."""
import json
import os
import pathlib
import sys

import numpy as np
import pytest
import torch

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "model"))
from edgefusion_model import kitti  # noqa: E402
from edgefusion_model.export import stamp_of  # noqa: E402
from edgefusion_model.weights import fixtures_dir  # noqa: E402

FIXTURES = fixtures_dir(ROOT)
MODELS = pathlib.Path(os.environ.get("EDGEFUSION_MODELS", ROOT / "target" / "models"))


def missing(what):
    if os.environ.get("CI"):
        pytest.fail(what)
    pytest.skip(what)


@pytest.fixture(scope="session")
def fixtures():
    if not FIXTURES.is_dir():
        missing(f"fixtures not found at {FIXTURES} (CI must run with ../shared beside the repo)")
    return FIXTURES


@pytest.fixture(scope="session")
def fastestdet_dir(fixtures):
    return fixtures / "models" / "fastestdet"


@pytest.fixture(scope="session")
def frame_dir(fixtures):
    return fixtures / "kitti" / "000008"


@pytest.fixture(scope="session")
def frame(frame_dir):
    """(image uint8 [H, W, 3] RGB, points [N, 4], lidar_to_image [3, 4]) of KITTI 000008."""
    return kitti.load_frame(frame_dir)


@pytest.fixture(scope="session")
def labelled_cars(frame_dir):
    """KITTI's labelled cars of 000008: 2D box (px) and 3D box centre in the lidar frame."""
    to_lidar = np.linalg.inv(kitti.velo_to_rect(kitti.read_calib(frame_dir / "calib.txt")))
    cars = []
    for line in (frame_dir / "label.txt").read_text().splitlines():
        f = line.split()
        if f[0] != "Car":
            continue
        height = float(f[8])
        # `location` is the bottom centre in the rectified camera frame, whose y points down.
        centre = to_lidar @ np.array([float(f[11]), float(f[12]) - height / 2, float(f[13]), 1.0])
        cars.append({"box_2d": [float(v) for v in f[4:8]], "centre": centre[:3]})
    return cars


@pytest.fixture(scope="session")
def exported(fixtures, frame_dir):
    """variant -> torch.jit.load of target/models/fusion_<variant>.pt (checked up to date)."""
    stamp_path = MODELS / "fusion.stamp.json"
    if not stamp_path.is_file():
        missing(f"no exported fusion models in {MODELS} (run model/export)")
    weights_sha = json.loads(stamp_path.read_text())["weights_sha256"]
    if json.loads(stamp_path.read_text()) != stamp_of(weights_sha, frame_dir):
        pytest.fail(f"exported fusion models in {MODELS} are stale (run model/export)")
    modules = {}

    def load(variant):
        if variant not in modules:
            modules[variant] = torch.jit.load(str(MODELS / f"fusion_{variant}.pt"))
        return modules[variant]

    return load
