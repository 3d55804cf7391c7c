#!/usr/bin/env python3
"""Peer for `assign_dense_200` of benches/tracker.rs: scipy's linear_sum_assignment on the same
dense cost matrices (written by `cargo bench -p edgefusion-tracker --bench tracker -- --dump FILE`).

For each matrix: checks that scipy's optimal total cost equals the total of our assignment
(same optimum, an independent solver: the Kuhn-Munkres of `pathfinding` vs scipy's shortest
augmenting path), and times scipy (p50/p99 over the matrices). Timing covers the solver call
only; ours covers `assign()` (clustering + integer weights + Kuhn-Munkres) on Candidate lists.

Usage: assign_peer.py FILE   (needs numpy and scipy)
"""

import sys
import time

import numpy as np
from scipy.optimize import linear_sum_assignment


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    times = []
    worst = 0.0
    with open(sys.argv[1]) as f:
        for number, line in enumerate(f, 1):
            fields = line.split()
            n = int(fields[0])
            ours = float(fields[1])
            costs = np.array(fields[2:], dtype=np.float64)
            if costs.size != n * n:
                print(f"{sys.argv[1]}:{number}: {costs.size} costs, expected {n * n}", file=sys.stderr)
                return 1
            matrix = costs.reshape(n, n)
            start = time.perf_counter()
            rows, cols = linear_sum_assignment(matrix)
            times.append(time.perf_counter() - start)
            total = matrix[rows, cols].sum()
            # Our integer weights resolve gate / 1e9 per pair: n pairs may differ by n * 2e-9.
            worst = max(worst, abs(total - ours))
            if abs(total - ours) > n * 2e-9 + 1e-9:
                print(f"matrix {number}: scipy total {total!r}, ours {ours!r}", file=sys.stderr)
                return 1
    if not times:
        print(f"{sys.argv[1]}: no matrices", file=sys.stderr)
        return 1
    us = np.array(times) * 1e6
    print(
        f"scipy_lsa_dense_{n:<8} p50 {np.percentile(us, 50):>9.1f} us   "
        f"p99 {np.percentile(us, 99):>9.1f} us   ({len(us)} runs); "
        f"same optimum as ours on all (max |diff| {worst:.2e})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
