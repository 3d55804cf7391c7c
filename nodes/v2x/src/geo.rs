//! WGS84 positions to the ego frame.
//!
//! Chain: geodetic (lat, lon, h) -> ECEF -> ENU local tangent plane at the geodetic origin
//! parameter (the REP-103 `map` frame: x east, y north, z up) -> `base_link` through the ego
//! pose (map -> base_link) from `/localization/odometry`. Exact ECEF/ENU formulas, no flat-earth
//! approximation, so the error at a few km from the origin stays far below the message's own
//! accuracy.

use nalgebra::{Matrix3, Rotation3, UnitQuaternion, Vector3};

const WGS84_A: f64 = 6_378_137.0;
const WGS84_F: f64 = 1.0 / 298.257_223_563;
const WGS84_E2: f64 = WGS84_F * (2.0 - WGS84_F);

/// A geodetic position in degrees and metres above the ellipsoid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geodetic {
    pub latitude_deg: f64,
    pub longitude_deg: f64,
    pub altitude_m: f64,
}

fn ecef(p: Geodetic) -> Vector3<f64> {
    let (lat, lon) = (p.latitude_deg.to_radians(), p.longitude_deg.to_radians());
    let n = WGS84_A / (1.0 - WGS84_E2 * lat.sin().powi(2)).sqrt();
    Vector3::new(
        (n + p.altitude_m) * lat.cos() * lon.cos(),
        (n + p.altitude_m) * lat.cos() * lon.sin(),
        (n * (1.0 - WGS84_E2) + p.altitude_m) * lat.sin(),
    )
}

/// The local tangent plane (ENU) at an origin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalTangentPlane {
    origin: Vector3<f64>,
    /// Rows: east, north, up unit vectors in ECEF.
    ecef_to_enu: Matrix3<f64>,
}

impl LocalTangentPlane {
    pub fn new(origin: Geodetic) -> Self {
        let (lat, lon) = (origin.latitude_deg.to_radians(), origin.longitude_deg.to_radians());
        let (sl, cl, so, co) = (lat.sin(), lat.cos(), lon.sin(), lon.cos());
        #[rustfmt::skip]
        let ecef_to_enu = Matrix3::new(
            -so,       co,      0.0,
            -sl * co, -sl * so, cl,
            cl * co,   cl * so, sl,
        );
        Self { origin: ecef(origin), ecef_to_enu }
    }

    /// ENU coordinates (m) of a geodetic position.
    pub fn to_enu(&self, p: Geodetic) -> Vector3<f64> {
        self.ecef_to_enu * (ecef(p) - self.origin)
    }
}

/// ETSI/J2735 heading (clockwise from true north) in degrees -> ENU yaw (counter-clockwise from
/// east) in radians. At the distances V2X covers, grid north of the tangent plane and true
/// north differ by far less than heading accuracies.
pub fn heading_to_enu_yaw(heading_deg: f64) -> f64 {
    (90.0 - heading_deg).to_radians()
}

/// The ego pose in the map frame (map -> base_link).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EgoPose {
    pub translation: Vector3<f64>,
    pub rotation: UnitQuaternion<f64>,
}

impl EgoPose {
    /// A point from map into base_link.
    pub fn point_to_base(&self, p: &Vector3<f64>) -> Vector3<f64> {
        self.rotation.inverse() * (p - self.translation)
    }

    /// A direction (velocity) from map into base_link.
    pub fn vector_to_base(&self, v: &Vector3<f64>) -> Vector3<f64> {
        self.rotation.inverse() * v
    }

    /// An orientation from map into base_link.
    pub fn rotation_to_base(&self, q: &UnitQuaternion<f64>) -> UnitQuaternion<f64> {
        self.rotation.inverse() * q
    }

    /// A 3x3 covariance from map into base_link: R^T Σ R.
    pub fn covariance_to_base(&self, c: &Matrix3<f64>) -> Matrix3<f64> {
        let r: Rotation3<f64> = self.rotation.inverse().to_rotation_matrix();
        r.matrix() * c * r.matrix().transpose()
    }
}

/// A 2-D covariance from a confidence ellipse: semi-axes (m, at the confidence the standard
/// defines, turned into one sigma by `scale`), orientation of the major axis as a heading
/// (degrees clockwise from north). Returns the east/north 2x2 block.
pub fn ellipse_covariance(
    semi_major_m: f64,
    semi_minor_m: f64,
    orientation_heading_deg: f64,
    scale: f64,
) -> [[f64; 2]; 2] {
    let (a, b) = (semi_major_m / scale, semi_minor_m / scale);
    // Major-axis direction in ENU: (sin h, cos h).
    let h = orientation_heading_deg.to_radians();
    let (s, c) = (h.sin(), h.cos());
    let (a2, b2) = (a * a, b * b);
    [[a2 * s * s + b2 * c * c, (a2 - b2) * s * c], [(a2 - b2) * s * c, a2 * c * c + b2 * s * s]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enu_of_points_north_and_east_of_the_origin() {
        let origin = Geodetic { latitude_deg: 52.0, longitude_deg: 10.0, altitude_m: 0.0 };
        let plane = LocalTangentPlane::new(origin);
        // One arc-second of latitude at 52 deg is ~30.9 m (meridian radius of curvature).
        let north = plane.to_enu(Geodetic { latitude_deg: 52.0 + 1.0 / 3600.0, ..origin });
        let m = WGS84_A * (1.0 - WGS84_E2)
            / (1.0 - WGS84_E2 * 52f64.to_radians().sin().powi(2)).powf(1.5);
        assert!((north.y - m * (1.0f64 / 3600.0).to_radians()).abs() < 1e-3, "{north}");
        assert!(north.x.abs() < 1e-6);
        let east = plane.to_enu(Geodetic { longitude_deg: 10.0 + 1.0 / 3600.0, ..origin });
        let n = WGS84_A / (1.0 - WGS84_E2 * 52f64.to_radians().sin().powi(2)).sqrt();
        let expected = n * 52f64.to_radians().cos() * (1.0f64 / 3600.0).to_radians();
        assert!((east.x - expected).abs() < 1e-3, "{east}");
        assert!(plane.to_enu(origin).norm() < 1e-6);
    }

    #[test]
    fn ego_pose_maps_a_point_ahead() {
        // Ego at (10, 5) heading north (yaw 90 deg): a point 20 m further north is 20 m ahead.
        let ego = EgoPose {
            translation: Vector3::new(10.0, 5.0, 0.0),
            rotation: UnitQuaternion::from_euler_angles(0.0, 0.0, std::f64::consts::FRAC_PI_2),
        };
        let p = ego.point_to_base(&Vector3::new(10.0, 25.0, 0.0));
        assert!((p - Vector3::new(20.0, 0.0, 0.0)).norm() < 1e-9, "{p}");
        let west = ego.point_to_base(&Vector3::new(0.0, 5.0, 0.0));
        assert!(
            (west - Vector3::new(0.0, 10.0, 0.0)).norm() < 1e-9,
            "left of a north-facing car is west"
        );
    }

    #[test]
    fn ellipse_along_north_has_variance_in_y() {
        let c = ellipse_covariance(2.0, 1.0, 0.0, 1.0);
        assert!((c[1][1] - 4.0).abs() < 1e-12 && (c[0][0] - 1.0).abs() < 1e-12);
        let c = ellipse_covariance(2.0, 1.0, 90.0, 1.0);
        assert!((c[0][0] - 4.0).abs() < 1e-12 && (c[1][1] - 1.0).abs() < 1e-12);
    }
}
