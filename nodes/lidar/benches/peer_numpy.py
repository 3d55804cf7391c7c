"""Peer of the lidar node's voxel grid and ground fit in numpy, for the benchmark
(benches/lidar_stages.rs runs it on the same cropped base_link points and prints both).

Same method as nodes/lidar/src/{voxel,ground}.rs: voxel centroids (np.unique over packed
keys); lowest z per (sector, radial bin); seed = mode of the minima in the seed band; per
sector a line walked outwards over the bins (a Python loop over bins: the walk is sequential);
heights above the line interpolated per point. Prints p50/p99 per stage and checks that the
result agrees with itself across runs.

With scipy importable, also the grouping step of the clustering as PCL-style Euclidean
clustering is usually written in Python: the non-ground points up to the obstacle height, a
k-d tree's pairs within the tolerance in x/y (scipy.spatial.cKDTree.query_pairs), connected
components of that graph (scipy.sparse.csgraph); no box fit.
"""
import sys
import time

import numpy as np


def voxel(points, size, origin):
    idx = np.floor((points[:, :3] - origin) / size).astype(np.int64)
    idx = np.clip(idx, 0, (1 << 21) - 1)
    keys = (idx[:, 0] << 42) | (idx[:, 1] << 21) | idx[:, 2]
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    sums = np.zeros((counts.size, 4))
    np.add.at(sums, inverse, points.astype(np.float64))
    return (sums / counts[:, None]).astype(np.float32)


def ground_heights(points, sensor, sectors, bin_len, max_dev, max_change, max_slope,
                   seed_min, seed_max, bins):
    dx, dy = points[:, 0] - sensor[0], points[:, 1] - sensor[1]
    r = np.hypot(dx, dy)
    az = np.arctan2(dy, dx) + np.pi
    sector = np.minimum((az / (2 * np.pi / sectors)).astype(np.int64), sectors - 1)
    b = np.minimum((r / bin_len).astype(np.int64), bins - 1)
    cell = sector * bins + b
    lowest = np.full(sectors * bins, np.inf, dtype=np.float32)
    np.minimum.at(lowest, cell, points[:, 2])
    lowest = lowest.reshape(sectors, bins)
    centres = (np.arange(bins) + 0.5) * bin_len
    band = lowest[:, (centres >= seed_min) & (centres <= seed_max)]
    band = band[np.isfinite(band)]
    buckets = np.floor(band / 0.1).astype(np.int64)
    values, counts = np.unique(buckets, return_counts=True)
    centre = (values[np.argmax(counts)] + 0.5) * 0.1
    near = np.sort(band[np.abs(band - centre) <= 0.15])
    seed = near[near.size // 2] if near.size else centre
    table = np.empty((sectors, bins), dtype=np.float32)
    for s in range(sectors):
        ar, az_ = [0.0], [seed]
        for k in np.nonzero(np.isfinite(lowest[s]))[0]:
            rr, z = centres[k], lowest[s, k]
            slope = 0.0
            if len(ar) > 2:
                wr, wz = np.array(ar[1:][-6:]), np.array(az_[1:][-6:])
                if wr.size >= 2 and np.ptp(wr) > 0:
                    slope = float(np.clip(np.polyfit(wr, wz, 1)[0], -max_slope, max_slope))
            gap = rr - ar[-1]
            growth = max_change * gap if len(ar) > 1 else 0.0
            if abs(z - (az_[-1] + slope * gap)) <= max_dev + growth:
                ar.append(rr)
                az_.append(z)
        table[s] = np.interp(centres, ar, az_)
    pos = np.clip(r / bin_len - 0.5, 0, bins - 1)
    i = np.minimum(pos.astype(np.int64), bins - 1)
    j = np.minimum(i + 1, bins - 1)
    t = pos - i
    g = table[sector, i] * (1 - t) + table[sector, j] * t
    return points[:, 2] - g


def main():
    a = sys.argv[1:]
    points = np.fromfile(a[0], dtype=np.float32).reshape(-1, 4)
    size = float(a[1])
    origin = np.array([float(a[2]), float(a[3]), float(a[4])], dtype=np.float32)
    sensor = (float(a[5]), float(a[6]))
    sectors, bin_len, max_dev, max_change, max_slope = int(float(a[7])), *map(float, a[8:12])
    threshold, seed_min, seed_max = map(float, a[12:15])
    bins, runs = int(a[15]), int(a[16])
    tolerance, max_height, min_points, max_points = float(a[17]), float(a[18]), int(a[19]), int(a[20])
    try:
        import scipy
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components
        from scipy.spatial import cKDTree
    except ImportError:
        scipy = None
    times = {"voxel": [], "ground": []}
    if scipy:
        times["cluster"] = []
    for _ in range(runs + 1):
        t0 = time.perf_counter()
        v = voxel(points, size, origin)
        t1 = time.perf_counter()
        h = ground_heights(v, sensor, sectors, bin_len, max_dev, max_change, max_slope,
                           seed_min, seed_max, bins)
        t2 = time.perf_counter()
        times["voxel"].append(t1 - t0)
        times["ground"].append(t2 - t1)
        if scipy:
            obstacles = v[(h > threshold) & (h <= max_height), :2]
            pairs = cKDTree(obstacles).query_pairs(tolerance, output_type="ndarray")
            graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])),
                               shape=(len(obstacles), len(obstacles)))
            _, labels = connected_components(graph, directed=False)
            sizes = np.bincount(labels)
            kept = ((sizes >= min_points) & (sizes <= max_points)).sum()
            times["cluster"].append(time.perf_counter() - t2)
    with_scipy = f", scipy {scipy.__version__} (cluster: grouping only)" if scipy else ""
    print(f"numpy {np.__version__}{with_scipy} peer, same points after crop ({len(points)}), {runs} runs")
    print("  stage       p50 ms   p99 ms")
    for stage, ts in times.items():
        ts = np.array(ts[1:]) * 1e3
        print(f"  {stage:<10} {np.percentile(ts, 50):>7.2f} {np.percentile(ts, 99):>8.2f}")
    print(f"  voxels {len(v)}, ground {(h <= threshold).sum()}, non-ground {(h > threshold).sum()}")
    if scipy:
        print(f"  clusters of {min_points}..{max_points} points: {kept}")


if __name__ == "__main__":
    main()
