"""Camera-network latency: onnxruntime on upstream's FastestDet.onnx vs our exported TorchScript
networks (fp32, int8), all on the 352x352 reference input of KITTI 000008, 2 threads each.
Also the whole `detect_2d` (resize from 1242x375, network, decoding, NMS) of each export.
The cases run in interleaved rounds (this VM's speed drifts over minutes), int8 on the X86
engine as in the Rust runner.

    .venv/bin/python scripts/bench/model_onnxruntime.py [--iterations N] [--warmup N] [--json]

Needs the fixtures (../shared/fixtures or $EDGEFUSION_FIXTURES) and model/export's output
(target/models or --models DIR). Prints p50/p99 in ms; --json prints the same as JSON.
"""
import argparse
import json
import pathlib
import sys
import time

import numpy as np
import onnxruntime
import torch

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "model"))
from edgefusion_model import kitti  # noqa: E402
from edgefusion_model.weights import fixtures_dir  # noqa: E402

THREADS = 2


ROUNDS = 10


def timed(run, iterations):
    times = []
    for _ in range(iterations):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1e3)
    return times


def latencies(cases, iterations, warmup):
    """name -> p50 / p99 ms over `iterations` runs, and name -> each round's p50."""
    for run in cases.values():
        timed(run, warmup)
    times = {name: [] for name in cases}
    round_p50 = {name: [] for name in cases}
    for _ in range(ROUNDS):
        for name, run in cases.items():
            t = timed(run, max(1, iterations // ROUNDS))
            times[name] += t
            round_p50[name].append(float(np.percentile(t, 50)))
    results = {name: {"p50_ms": float(np.percentile(t, 50)), "p99_ms": float(np.percentile(t, 99)),
                      "iterations": len(t)} for name, t in times.items()}
    return results, round_p50


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--models", type=pathlib.Path, default=ROOT / "target" / "models")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    fixtures = fixtures_dir(ROOT)
    model_dir = fixtures / "models" / "fastestdet"
    bgr = np.load(model_dir / "reference_000008_input_bgr352.npy")
    x = np.ascontiguousarray(bgr.transpose(0, 3, 1, 2), dtype=np.float32) / 255
    image = kitti.load_frame(fixtures / "kitti" / "000008")[0]

    torch.set_num_threads(THREADS)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(model_dir / "FastestDet.onnx"), options,
                                           providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: x}
    cases = {f"onnxruntime {onnxruntime.__version__} network fp32": lambda: session.run(None, feed)}
    torch.backends.quantized.engine = "x86"  # before loading, as the Rust runner does
    # The layout detect_2d feeds the network (NHWC memory).
    tensor = torch.from_numpy(x).contiguous(memory_format=torch.channels_last)
    for variant in ("fp32", "int8"):
        path = args.models / f"fusion_{variant}.pt"
        if not path.is_file():
            sys.exit(f"{path} not found: run model/export first")
        module = torch.jit.load(str(path))
        cases[f"torch {torch.__version__} network {variant}"] = lambda n=module.detector.network: n(tensor)
        cases[f"torch {torch.__version__} detect_2d {variant} (1242x375 rgb8)"] = (
            lambda m=module: m.detect_2d(image, "rgb8"))
    with torch.no_grad():
        results, round_p50 = latencies(cases, args.iterations, args.warmup)
    speedup = []
    for stage in ("network", "detect_2d"):
        fp32, int8 = (next(v for k, v in round_p50.items() if k.startswith("torch") and f" {stage} {variant}" in k)
                      for variant in ("fp32", "int8"))
        ratios = sorted(f / i for f, i in zip(fp32, int8))
        speedup.append({"stage": stage, "median": ratios[len(ratios) // 2], "min": ratios[0],
                        "max": ratios[-1], "rounds": ROUNDS})
    if args.json:
        print(json.dumps({"threads": THREADS, "input": "kitti/000008, 1x3x352x352", "results": results,
                          "int8_speedup_over_fp32": speedup}, indent=1))
        return
    width = max(map(len, results))
    print(f"{'':{width}}  {'p50 ms':>8}  {'p99 ms':>8}   ({THREADS} threads, {args.iterations} iterations)")
    for name, r in results.items():
        print(f"{name:{width}}  {r['p50_ms']:8.2f}  {r['p99_ms']:8.2f}")
    for r in speedup:
        print(f"torch int8 speed-up over fp32, {r['stage']}: {r['median']:.2f}x (median of {ROUNDS} "
              f"rounds' p50 ratios; {r['min']:.2f}..{r['max']:.2f})")


if __name__ == "__main__":
    main()
