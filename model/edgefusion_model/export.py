"""Exports the fusion module variants: `model/export [--weights PATH] [--out DIR]`.

Writes `fusion_<variant>.pt` (fp32, int8, fp16) and, when the KITTI 000008 fixture is present,
`fusion_<variant>.reference_000008.json`: what the saved module, loaded back with
`torch.jit.load`, returns on that frame (the Rust runner's test compares its own output to it).
Skips all work when the stamp (model sources, weights, torch version, fixture frame) matches.

Exit codes: 0 done (or up to date), 1 error, 3 no weights available (the fusion node then runs
without the camera network).
"""
import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Dict, Optional

import torch

from . import kitti
from .fastestdet import load_fastestdet
from .fusion import VARIANTS, build_fusion
from .quantize import calibration_views
from .weights import WeightsError, fixtures_dir, locate_weights, sha256_of

REPO = Path(__file__).resolve().parents[2]
FRAME = "kitti/000008"
OUTPUT_NAMES = ("boxes_3d", "boxes_2d", "classes", "scores", "num_points")
EXIT_NO_WEIGHTS = 3


def stamp_of(weights_sha: str, frame_dir: Optional[Path]) -> Dict[str, str]:
    """Everything the exported files depend on."""
    sources = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        sources.update(path.name.encode() + b"\0" + path.read_bytes())
    frame = hashlib.sha256()
    if frame_dir is not None:
        for name in ("image.png", "lidar.bin", "calib.txt"):
            frame.update(bytes.fromhex(sha256_of(frame_dir / name)))
    return {"sources": sources.hexdigest(), "weights_sha256": weights_sha, "torch": torch.__version__,
            "frame_000008": frame.hexdigest() if frame_dir is not None else "absent"}


def reference(module_path: Path, frame_dir: Path) -> dict:
    """The saved module's outputs on the frame, with an exact description of the inputs."""
    image, points, projection = kitti.load_frame(frame_dir)
    # The engine the Rust runner sets (nodes/fusion/src/qengine.rs): int8 kernels of different
    # engines round differently, enough to move detections across the score threshold.
    torch.backends.quantized.engine = "x86"
    module = torch.jit.load(str(module_path))
    with torch.no_grad():
        outputs = module(image, "rgb8", points, projection)
    return {
        "module": module_path.name,
        "info": dict(module.info()),
        "inputs": {
            "image": f"{FRAME}/image.png decoded by PIL, RGB, uint8 HWC {list(image.shape)}",
            "encoding": "rgb8",
            "points": f"{FRAME}/lidar.bin as float32 [N, 4] (x, y, z, intensity), N = {points.shape[0]}",
            "lidar_to_image": projection.tolist(),
            "lidar_to_image_from": "P2 . R0_rect . Tr_velo_to_cam of calib.txt, in float64, then float32",
        },
        "outputs": {name: t.tolist() for name, t in zip(OUTPUT_NAMES, outputs)},
    }


def write_atomically(path: Path, write) -> None:
    partial = path.with_name(path.name + ".part")
    write(partial)
    partial.replace(path)


def export(weights: Path, out: Path) -> None:
    frame_dir = fixtures_dir(REPO) / FRAME
    if not frame_dir.is_dir():
        print(f"note: fixture {frame_dir} not found: no int8 variant (its calibration frame) "
              "and no reference outputs")
        frame_dir = None
    weights_sha = sha256_of(weights)
    stamp = stamp_of(weights_sha, frame_dir)
    stamp_path = out / "fusion.stamp.json"
    variants = [v for v in VARIANTS if v != "int8" or frame_dir is not None]
    expected = [out / f"fusion_{v}.pt" for v in variants]
    if frame_dir is not None:
        expected += [out / f"fusion_{v}.reference_000008.json" for v in variants]
    if stamp_path.is_file() and json.loads(stamp_path.read_text()) == stamp and all(p.is_file() for p in expected):
        print(f"fusion models in {out} are up to date")
        return
    out.mkdir(parents=True, exist_ok=True)
    stamp_path.unlink(missing_ok=True)
    net = load_fastestdet(weights)
    calibration = calibration_views(kitti.load_frame(frame_dir)[0]) if frame_dir is not None else None
    for variant in variants:
        path = out / f"fusion_{variant}.pt"
        module = build_fusion(variant, net, weights_sha, calibration)
        write_atomically(path, lambda p: torch.jit.save(module, str(p)))
        print(f"wrote {path}")
        if frame_dir is not None:
            ref = reference(path, frame_dir)
            json_path = out / f"fusion_{variant}.reference_000008.json"
            write_atomically(json_path, lambda p: p.write_text(json.dumps(ref, indent=1)))
            print(f"wrote {json_path} ({len(ref['outputs']['scores'])} objects)")
    stamp_path.write_text(json.dumps(stamp, indent=1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="model/export", description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, help="FastestDet COCO state_dict (.pth)")
    parser.add_argument("--out", type=Path, default=REPO / "target" / "models", help="output directory")
    args = parser.parse_args(argv)
    try:
        weights = locate_weights(args.weights, REPO, args.out)
    except WeightsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if weights is None:
        print("no FastestDet weights: none given with --weights, none in the fixtures "
              f"({fixtures_dir(REPO)}), and the download failed. Fusion models not exported; "
              "the fusion node will run without the camera network.", file=sys.stderr)
        return EXIT_NO_WEIGHTS
    export(weights, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
