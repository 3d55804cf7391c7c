//! The uncertainty published with each box (`DetectedObject.pose_covariance`).
//!
//! A model of the error sources, not a calibration: numbers are standard deviations of the
//! sort reported for lidar-supported camera detections (centre from the points inside the
//! frustum) and for monocular estimates (depth from a class height prior).
//!
//! Position, in the lidar frame, split along the viewing ray (range r = horizontal distance)
//! and across it:
//!
//! | source | σ along ray | σ across ray | σ z |
//! | --- | --- | --- | --- |
//! | lidar-supported (`num_points > 0`) | 0.2 + 0.01 r | 0.1 + 0.005 r | 0.1 + 0.005 r |
//! | camera-only | 0.5 + 0.1 r | 0.2 + 0.01 r | 0.3 + 0.02 r |
//!
//! (camera-only depth error grows ~10 % of range: a 10 % error on the height prior is a 10 %
//! error on depth). The 3x3 block is rotated into the output frame. Yaw σ: 0.3 rad with lidar
//! support, π/2 camera-only (the heading is then a prior). Roll and pitch: σ 0.02 rad (boxes are
//! upright by construction). Cross terms between position and angles are 0.

use nalgebra::{Matrix3, Rotation3, Vector3};
use std::f64::consts::FRAC_PI_2;

/// Row-major 6x6 over (x, y, z, roll, pitch, yaw) in the output frame, for a box centred at
/// `centre` (lidar frame) and an output frame whose rotation from the lidar frame is `rotation`.
pub fn pose_covariance(
    centre: [f64; 3],
    lidar_supported: bool,
    rotation: &Rotation3<f64>,
) -> [f64; 36] {
    let range = centre[0].hypot(centre[1]);
    let (along, across, vertical, yaw) = if lidar_supported {
        (0.2 + 0.01 * range, 0.1 + 0.005 * range, 0.1 + 0.005 * range, 0.3)
    } else {
        (0.5 + 0.1 * range, 0.2 + 0.01 * range, 0.3 + 0.02 * range, FRAC_PI_2)
    };
    // Unit vector along the horizontal ray (x when the box sits at the sensor).
    let ray = if range > 1e-6 {
        Vector3::new(centre[0] / range, centre[1] / range, 0.0)
    } else {
        Vector3::x()
    };
    let z = Vector3::z();
    let side = z.cross(&ray);
    let lidar = ray * ray.transpose() * along.powi(2)
        + side * side.transpose() * across.powi(2)
        + z * z.transpose() * vertical.powi(2);
    let r = rotation.matrix();
    let out: Matrix3<f64> = r * lidar * r.transpose();
    let mut cov = [0.0; 36];
    for i in 0..3 {
        for j in 0..3 {
            cov[6 * i + j] = out[(i, j)];
        }
    }
    cov[6 * 3 + 3] = 0.02f64.powi(2);
    cov[6 * 4 + 4] = 0.02f64.powi(2);
    cov[6 * 5 + 5] = yaw * yaw;
    cov
}

/// No velocity is estimated (it is published as 0): σ 10 m/s per axis says "unknown" to a
/// tracker without special cases.
pub const VELOCITY_COVARIANCE: [f64; 9] = [100.0, 0.0, 0.0, 0.0, 100.0, 0.0, 0.0, 0.0, 100.0];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variance_is_largest_along_the_ray_and_rotates_with_the_frame() {
        // A camera-only box 20 m along lidar y: range error along y.
        let c = pose_covariance([0.0, 20.0, 0.0], false, &Rotation3::identity());
        assert!((c[7] - 2.5f64.powi(2)).abs() < 1e-9, "{}", c[7]);
        assert!((c[0] - 0.4f64.powi(2)).abs() < 1e-9);
        // Output frame rotated by 90° about z: the ray is now along x.
        let r = Rotation3::from_axis_angle(&Vector3::z_axis(), FRAC_PI_2);
        let c2 = pose_covariance([0.0, 20.0, 0.0], false, &r);
        assert!((c2[0] - c[7]).abs() < 1e-9 && (c2[7] - c[0]).abs() < 1e-9);
        // Lidar support shrinks everything.
        let l = pose_covariance([0.0, 20.0, 0.0], true, &Rotation3::identity());
        assert!(l[7] < c[7] && l[14] < c[14] && l[35] < c[35]);
    }
}
