"""Read throughput of the Python `rosbags` reader: every message of a bag, raw bytes.

Prints one line per bag in the same form as edgefusion's `bag_read` bench, so the two can be
put side by side: `<path>: N messages, X MB payload in S s (best of 3): R MB/s, M messages/s`.
"""

import pathlib
import sys
import time

from rosbags.highlevel import AnyReader

RUNS = 3


def read_once(path):
    started = time.perf_counter()
    messages = payload = checksum = 0
    with AnyReader([path]) as reader:
        for _conn, _timestamp, raw in reader.messages():
            messages += 1
            payload += len(raw)
            checksum += raw[-1] if raw else 0  # touch the payload, as the Rust bench does
    return messages, payload, time.perf_counter() - started


for arg in sys.argv[1:]:
    path = pathlib.Path(arg)
    messages, payload, seconds = min((read_once(path) for _ in range(RUNS)), key=lambda r: r[2])
    print(f"{path}: {messages} messages, {payload / 1e6:.1f} MB payload in {seconds:.3f} s "
          f"(best of {RUNS}): {payload / 1e6 / seconds:.1f} MB/s, {messages / seconds:.0f} messages/s")
