//! Stage 3: voxel-grid downsampling. Each occupied voxel becomes one point, the centroid of
//! its points (x, y, z and intensity averaged): a centroid keeps a thin surface where it is,
//! where the voxel centre would move it by up to half a voxel.
//!
//! Method: a key per point (each axis index in as many bits as the crop box needs, at most
//! 21, which `LidarParams::validate` ensures), a parallel sort by (key, index), one pass over
//! runs of equal keys. Sorting instead of hashing makes the output order deterministic
//! (voxels in key order) whatever the thread count.

use crate::points::Point;
use rayon::prelude::*;

/// The centroids of the occupied voxels of edge `size` (m) of the box `origin..end` (the crop
/// box, which holds every point). `size` 0 returns the points unchanged.
pub fn downsample(points: Vec<Point>, size: f32, origin: [f32; 3], end: [f32; 3]) -> Vec<Point> {
    if size <= 0.0 || points.len() < 2 {
        return points;
    }
    let inverse = 1.0 / size;
    // Bits per axis index: enough for the box (at most 21, LidarParams::validate).
    let bits: [u32; 3] = std::array::from_fn(|a| {
        let cells = ((end[a] - origin[a]) * inverse).ceil().max(1.0) as u64 + 1;
        cells.next_power_of_two().trailing_zeros().min(21)
    });
    let index = |p: &Point, a: usize| -> u64 {
        // Points are inside the box, so each index fits its bits (clamped anyway).
        (((p[a] - origin[a]) * inverse).max(0.0) as u64).min((1 << bits[a]) - 1)
    };
    let key =
        |p: &Point| (index(p, 0) << (bits[1] + bits[2])) | (index(p, 1) << bits[2]) | index(p, 2);
    let key_bits = bits.iter().sum::<u32>();
    // One u64 per point, key above index, when both fit (the usual case: 26 key bits for
    // 100 x 100 x 6 m at 0.1 m): half the bytes to sort of (key, index) pairs. Sorting by
    // key then index keeps the order, hence the sums, the same on any thread count.
    let index_bits = 64 - key_bits;
    let order: Vec<(u64, u32)> = if index_bits < 64 && (points.len() as u64) < (1u64 << index_bits)
    {
        let mask = (1u64 << index_bits) - 1;
        let mut packed: Vec<u64> =
            points.par_iter().enumerate().map(|(i, p)| (key(p) << index_bits) | i as u64).collect();
        packed.par_sort_unstable();
        packed.into_iter().map(|v| (v >> index_bits, (v & mask) as u32)).collect()
    } else {
        let mut keyed: Vec<(u64, u32)> =
            points.par_iter().enumerate().map(|(i, p)| (key(p), i as u32)).collect();
        keyed.par_sort_unstable();
        keyed
    };
    let mut out = Vec::with_capacity(points.len() / 2);
    for run in order.chunk_by(|a, b| a.0 == b.0) {
        let mut sum = [0.0f64; 4];
        for &(_, i) in run {
            for (s, v) in sum.iter_mut().zip(&points[i as usize]) {
                *s += f64::from(*v);
            }
        }
        let n = run.len() as f64;
        out.push(sum.map(|s| (s / n) as f32));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_of_one_voxel_become_their_centroid() {
        let pts = vec![
            [0.01, 0.01, 0.01, 1.0],
            [0.09, 0.05, 0.03, 3.0],
            [0.15, 0.0, 0.0, 7.0], // next voxel along x
        ];
        let out = downsample(pts.clone(), 0.1, [0.0; 3], [1.0; 3]);
        assert_eq!(out.len(), 2);
        assert!((out[0][0] - 0.05).abs() < 1e-6 && (out[0][3] - 2.0).abs() < 1e-6, "{out:?}");
        assert_eq!(out[1], pts[2]);
        assert_eq!(downsample(pts.clone(), 0.0, [0.0; 3], [1.0; 3]), pts);
    }

    #[test]
    fn negative_coordinates_use_the_crop_corner() {
        let pts =
            vec![[-5.04, -3.0, -1.0, 0.0], [-5.01, -3.0, -1.0, 0.0], [-4.99, -3.0, -1.0, 0.0]];
        // With the corner at -10, -5.04 and -5.01 share voxel 49; -4.99 is voxel 50.
        let out = downsample(pts, 0.1, [-10.0; 3], [0.0; 3]);
        assert_eq!(out.len(), 2);
    }

    /// A crop box too large for key and index in one u64 takes the (key, index) path; both
    /// give the same voxels.
    #[test]
    fn both_sort_paths_agree() {
        let pts: Vec<Point> = (0..5000)
            .map(|i| {
                let t = i as f32 * 0.37;
                [t.sin() * 20.0 + 20.0, t.cos() * 20.0 + 20.0, (t * 0.1).sin() + 1.0, t]
            })
            .collect();
        let small = downsample(pts.clone(), 0.5, [0.0; 3], [50.0; 3]);
        let huge = downsample(pts, 0.5, [0.0; 3], [500_000.0; 3]);
        assert!(small.len() > 100 && small.len() < 5000, "{}", small.len());
        let sorted = |mut v: Vec<Point>| {
            v.sort_by(|a, b| a.partial_cmp(b).unwrap());
            v
        };
        assert_eq!(sorted(small), sorted(huge));
    }
}
