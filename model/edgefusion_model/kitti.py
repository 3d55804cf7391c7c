"""Reading one KITTI object-detection frame (image, Velodyne scan, calibration) as the fusion
module's inputs. Used by the export (reference outputs) and the tests."""
from pathlib import Path
from typing import Dict, Tuple

import numpy as np
import torch
from PIL import Image
from torch import Tensor


def read_calib(path: Path) -> Dict[str, np.ndarray]:
    """calib.txt -> {name: float64 array}: P0..P3 [3, 4], R0_rect [3, 3], Tr_* [3, 4]."""
    calib = {}
    for line in Path(path).read_text().splitlines():
        if ":" not in line:
            continue
        name, values = line.split(":", 1)
        numbers = np.array([float(v) for v in values.split()], dtype=np.float64)
        calib[name.strip()] = numbers.reshape(3, 3) if name.strip() == "R0_rect" else numbers.reshape(3, 4)
    return calib


def homogeneous(m: np.ndarray) -> np.ndarray:
    """[3, 3] or [3, 4] -> [4, 4] with the rows/columns of the identity added."""
    out = np.eye(4)
    out[: m.shape[0], : m.shape[1]] = m
    return out


def velo_to_rect(calib: Dict[str, np.ndarray]) -> np.ndarray:
    """[4, 4] lidar -> rectified camera 0 coordinates: R0_rect . Tr_velo_to_cam."""
    return homogeneous(calib["R0_rect"]) @ homogeneous(calib["Tr_velo_to_cam"])


def lidar_to_image(calib: Dict[str, np.ndarray]) -> np.ndarray:
    """[3, 4] lidar -> left colour image (camera 2) pixels: P2 . R0_rect . Tr_velo_to_cam."""
    return calib["P2"] @ velo_to_rect(calib)


def load_frame(frame_dir: Path) -> Tuple[Tensor, Tensor, Tensor]:
    """(image uint8 [H, W, 3] RGB as PIL decodes it, points float32 [N, 4], lidar_to_image
    float32 [3, 4]) of a frame directory holding image.png, lidar.bin and calib.txt."""
    frame_dir = Path(frame_dir)
    image = np.array(Image.open(frame_dir / "image.png").convert("RGB"))
    points = np.fromfile(frame_dir / "lidar.bin", dtype=np.float32).reshape(-1, 4)
    projection = lidar_to_image(read_calib(frame_dir / "calib.txt")).astype(np.float32)
    return torch.from_numpy(image), torch.from_numpy(points), torch.from_numpy(projection)
