//! Small conversions shared by the tracker and the late fusion: covariance blocks, headings,
//! classes.

use edgefusion_msgs::edgefusion::DetectedObject;
use edgefusion_msgs::geometry_msgs::Quaternion;
use nalgebra::{Matrix2, Matrix3};

/// The (x, y, z) block of a row-major 6x6 pose covariance, if it is a usable measurement
/// covariance (finite, symmetric within rounding, positive definite). An all-zero block (ROS:
/// "unknown") is not usable.
pub fn position_block(cov: &[f64; 36]) -> Option<Matrix3<f64>> {
    let m = Matrix3::from_fn(|i, j| cov[6 * i + j]);
    usable(m)
}

/// A row-major 3x3 (velocity covariance), with the same checks.
pub fn matrix3(cov: &[f64; 9]) -> Option<Matrix3<f64>> {
    usable(Matrix3::from_fn(|i, j| cov[3 * i + j]))
}

fn usable(m: Matrix3<f64>) -> Option<Matrix3<f64>> {
    if m.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let scale = m.diagonal().amax().max(f64::MIN_POSITIVE);
    if (m - m.transpose()).amax() > 1e-6 * scale {
        return None;
    }
    let m = (m + m.transpose()) * 0.5;
    m.cholesky().map(|_| m)
}

/// The horizontal 2x2 block of a 3x3.
pub fn xy(m: &Matrix3<f64>) -> Matrix2<f64> {
    m.fixed_view::<2, 2>(0, 0).into_owned()
}

/// Writes a 3x3 into the (x, y, z) block of a row-major 6x6.
pub fn set_position_block(cov: &mut [f64; 36], m: &Matrix3<f64>) {
    for i in 0..3 {
        for j in 0..3 {
            cov[6 * i + j] = m[(i, j)];
        }
    }
}

/// Row-major 3x3.
pub fn to_row_major(m: &Matrix3<f64>) -> [f64; 9] {
    std::array::from_fn(|k| m[(k / 3, k % 3)])
}

/// Yaw (about z) of a quaternion; None when it is not finite or has no length.
pub fn yaw_of(q: &Quaternion) -> Option<f64> {
    let norm = (q.x * q.x + q.y * q.y + q.z * q.z + q.w * q.w).sqrt();
    if !norm.is_finite() || norm < 1e-9 {
        return None;
    }
    let (x, y, z, w) = (q.x / norm, q.y / norm, q.z / norm, q.w / norm);
    Some((2.0 * (w * z + x * y)).atan2(1.0 - 2.0 * (y * y + z * z)))
}

/// Angle wrapped into (-π, π].
pub fn wrap_angle(a: f64) -> f64 {
    let wrapped = a.rem_euclid(std::f64::consts::TAU);
    if wrapped > std::f64::consts::PI {
        wrapped - std::f64::consts::TAU
    } else {
        wrapped
    }
}

/// Whether two classes may be the same physical object: equal, unknown on either side, or
/// within the groups the detector confuses (car/truck/bus; cyclist/motorcycle).
pub fn classes_compatible(a: u8, b: u8) -> bool {
    let group = |c: u8| match c {
        DetectedObject::CLASS_CAR | DetectedObject::CLASS_TRUCK | DetectedObject::CLASS_BUS => 1,
        DetectedObject::CLASS_CYCLIST | DetectedObject::CLASS_MOTORCYCLE => 2,
        DetectedObject::CLASS_PEDESTRIAN => 3,
        _ => 0,
    };
    a == b || group(a) == 0 || group(b) == 0 || group(a) == group(b)
}

/// ETSI ITS StationType (EN 302 637-2: 0 unknown, 1 pedestrian, 2 cyclist, 3 moped,
/// 4 motorcycle, 5 passenger car, 6 bus, 7 light truck, 8 heavy truck, 9 trailer, 10 special
/// vehicle, 11 tram, 15 road side unit) as our class.
pub fn class_of_station_type(station_type: u8) -> u8 {
    match station_type {
        1 => DetectedObject::CLASS_PEDESTRIAN,
        2 => DetectedObject::CLASS_CYCLIST,
        3 | 4 => DetectedObject::CLASS_MOTORCYCLE,
        5 | 10 => DetectedObject::CLASS_CAR,
        6 => DetectedObject::CLASS_BUS,
        7..=9 => DetectedObject::CLASS_TRUCK,
        _ => DetectedObject::CLASS_UNKNOWN,
    }
}

/// A typical box (length, width, height) for a class, for V2X reports that give no size.
pub fn default_size(class: u8) -> [f64; 3] {
    match class {
        DetectedObject::CLASS_PEDESTRIAN => [0.6, 0.6, 1.75],
        DetectedObject::CLASS_CYCLIST | DetectedObject::CLASS_MOTORCYCLE => [1.8, 0.7, 1.6],
        DetectedObject::CLASS_TRUCK => [8.0, 2.5, 3.2],
        DetectedObject::CLASS_BUS => [12.0, 2.55, 3.2],
        _ => [4.5, 1.8, 1.5],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covariance_blocks_reject_unknown_and_broken_matrices() {
        let mut cov = [0.0; 36];
        assert!(position_block(&cov).is_none()); // all zero: unknown
        cov[0] = 1.0;
        cov[7] = 2.0;
        cov[14] = 3.0;
        let m = position_block(&cov).unwrap();
        assert_eq!((m[(0, 0)], m[(1, 1)], m[(2, 2)]), (1.0, 2.0, 3.0));
        cov[1] = 5.0; // asymmetric
        assert!(position_block(&cov).is_none());
        cov[6] = 5.0; // symmetric, not positive definite
        assert!(position_block(&cov).is_none());
        cov[1] = f64::NAN;
        assert!(position_block(&cov).is_none());
    }

    #[test]
    fn yaw_and_classes() {
        let half = std::f64::consts::FRAC_PI_4;
        let q = Quaternion { x: 0.0, y: 0.0, z: half.sin(), w: half.cos() };
        assert!((yaw_of(&q).unwrap() - std::f64::consts::FRAC_PI_2).abs() < 1e-12);
        assert!(yaw_of(&Quaternion { x: 0.0, y: 0.0, z: 0.0, w: 0.0 }).is_none());
        assert!((wrap_angle(3.0 * std::f64::consts::PI) - std::f64::consts::PI).abs() < 1e-12);
        assert!(classes_compatible(DetectedObject::CLASS_CAR, DetectedObject::CLASS_TRUCK));
        assert!(!classes_compatible(DetectedObject::CLASS_CAR, DetectedObject::CLASS_PEDESTRIAN));
        assert!(classes_compatible(
            DetectedObject::CLASS_UNKNOWN,
            DetectedObject::CLASS_PEDESTRIAN
        ));
        assert_eq!(class_of_station_type(5), DetectedObject::CLASS_CAR);
    }
}
