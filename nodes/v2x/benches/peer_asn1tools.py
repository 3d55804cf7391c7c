#!/usr/bin/env python3
"""Peer for benches/decode.rs: the same inputs decoded by asn1tools (pure Python UPER) with the
ETSI ASN.1 modules of the fixtures. Needs `pip install asn1tools` (not in the project's
requirements). Usage:
    cargo bench -p edgefusion-v2x -- --write-inputs /tmp/v2x-inputs
    python3 nodes/v2x/benches/peer_asn1tools.py /tmp/v2x-inputs ../shared/fixtures/v2x/asn1
Prints messages/s and p50/p99 per message, like the Rust bench. CAM v1.4.1 + CDD v1.3.1 and
the TS 103 324 CPM + CDD v2.4.1 compile; the TR 103 562 CPM needs the ISO DSRC module, which
is not in the fixtures, so the v1 CPM case is skipped. BSM: no J2735 ASN.1 here, skipped.
"""
import glob
import os
import sys
import time

import asn1tools


def decode(codec, type_name, data):
    message = codec.decode(type_name, data)
    if type_name == "CollectivePerceptionMessage":
        # Open types stay bytes in asn1tools: decode the perceived objects as our decoder does.
        for container in message["payload"]["cpmContainers"]:
            if container["containerId"] == 5:
                container["containerData"] = codec.decode("PerceivedObjectContainer", container["containerData"])
    return message


def bench(name, codec, type_name, data, seconds):
    decode(codec, type_name, data)
    samples = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        t = time.perf_counter()
        decode(codec, type_name, data)
        samples.append(time.perf_counter() - t)
    total = time.perf_counter() - start
    samples.sort()
    p = lambda q: samples[int((len(samples) - 1) * q)] * 1e6
    print(f"{name:<34} {len(data):>6} {len(samples) / total:>12.0f} {p(0.5):>10.2f} {p(0.99):>10.2f}")


def main():
    inputs, asn1 = sys.argv[1], sys.argv[2]
    seconds = float(os.environ.get("EDGEFUSION_BENCH_SECONDS", "2"))
    cam = asn1tools.compile_files(
        [f"{asn1}/EN302637-2v141-CAM.asn", f"{asn1}/TS102894-2v131-CDD.asn"], "uper")
    cpm2 = asn1tools.compile_files(
        sorted(glob.glob(f"{asn1}/release2/TS103324v211/*.asn"))
        + [f"{asn1}/release2/TS102894-2v241-CDD.asn"], "uper")
    print(f"{'case (asn1tools ' + asn1tools.__version__ + ')':<34} {'bytes':>6} {'messages/s':>12} {'p50 us':>10} {'p99 us':>10}")
    cases = [
        ("cpm_v2_64_objects", cpm2, "CollectivePerceptionMessage"),
        ("cpm_v2_1_object", cpm2, "CollectivePerceptionMessage"),
        ("cam", cam, "CAM"),
    ]
    for name, codec, type_name in cases:
        with open(f"{inputs}/{name}.uper", "rb") as f:
            bench(name, codec, type_name, f.read(), seconds)


if __name__ == "__main__":
    main()
