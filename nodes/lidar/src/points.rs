//! Stage 1 and 2: any PointCloud2 layout to points in the output frame, then the crop box.

use crate::params::Box3;
use edgefusion_msgs::sensor_msgs::PointCloudReader;
use nalgebra::{Isometry3, Point3};
use rayon::prelude::*;

/// x, y, z (output frame, m) and intensity (as the cloud gives it).
pub type Point = [f32; 4];

/// Every finite point of the cloud, moved by `transform` (sensor frame to output frame).
/// Returns the points and how many were skipped for a NaN or infinite x, y or z.
pub fn read_transformed(
    reader: &PointCloudReader<'_>,
    transform: &Isometry3<f32>,
) -> (Vec<Point>, u64) {
    // Decode (the reader's fast path for the packed layout), then transform in parallel.
    let mut flat = Vec::new();
    reader.read_xyzi_into(&mut flat);
    let moved: Vec<Option<Point>> = flat
        .par_chunks_exact(4)
        .map(|p| {
            let (x, y, z) = (p[0], p[1], p[2]);
            (x.is_finite() && y.is_finite() && z.is_finite()).then(|| {
                let q = transform * Point3::new(x, y, z);
                [q.x, q.y, q.z, p[3]]
            })
        })
        .collect();
    let total = moved.len();
    let out: Vec<Point> = moved.into_iter().flatten().collect();
    let non_finite = (total - out.len()) as u64;
    (out, non_finite)
}

/// Keeps the points inside `crop` and outside `ego`; returns (outside crop, inside ego).
pub fn crop(points: &mut Vec<Point>, crop: &Box3, ego: &Box3) -> (u64, u64) {
    let (mut outside, mut in_ego) = (0u64, 0u64);
    points.retain(|p| {
        let xyz = [p[0], p[1], p[2]];
        if !crop.contains(xyz) {
            outside += 1;
            false
        } else if ego.contains(xyz) {
            in_ego += 1;
            false
        } else {
            true
        }
    });
    (outside, in_ego)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_counts_each_reason() {
        let crop_box = Box3 { min: [-10.0; 3], max: [10.0; 3] };
        let ego = Box3 { min: [-1.0; 3], max: [1.0; 3] };
        let mut pts = vec![[0.0, 0.0, 0.0, 1.0], [5.0, 0.0, 0.0, 2.0], [11.0, 0.0, 0.0, 3.0]];
        assert_eq!(crop(&mut pts, &crop_box, &ego), (1, 1));
        assert_eq!(pts, vec![[5.0, 0.0, 0.0, 2.0]]);
        // An inverted (empty) ego box drops nothing.
        let none = Box3 { min: [1.0; 3], max: [-1.0; 3] };
        let mut pts = vec![[0.0, 0.0, 0.0, 1.0]];
        assert_eq!(crop(&mut pts, &crop_box, &none), (0, 0));
        assert_eq!(pts.len(), 1);
    }
}
