//! Constant-velocity Kalman filter over (x, y, z, vx, vy, vz) with position measurements.
//!
//! Why constant velocity and not CTRV: the detector gives a position per frame and a heading
//! that is often only a prior (camera-only boxes carry σ_yaw = π/2, see the fusion node's
//! covariance model), so a turn-rate state would be fed mostly by noise; the CV model is linear
//! (an exact Kalman filter, no linearisation as an EKF/UKF would need), cheap enough for
//! hundreds of objects, and at a 10 Hz lidar rate the lag it has in turns is covered by its
//! process noise. It is the model of the common 3D MOT baselines (AB3DMOT, SORT).
//!
//! Process noise: white-noise acceleration per axis (spectral densities `q_horizontal`,
//! `q_vertical` in m²/s³), the discretised form Q = q [[dt³/3, dt²/2], [dt²/2, dt]].

use nalgebra::{Matrix3, Matrix6, SMatrix, Vector3, Vector6};

/// State estimate and covariance.
#[derive(Debug, Clone, PartialEq)]
pub struct CvFilter {
    pub x: Vector6<f64>,
    pub p: Matrix6<f64>,
}

/// An innovation of one measurement against the predicted state.
#[derive(Debug, Clone, Copy)]
pub struct Innovation {
    pub y: Vector3<f64>,
    /// S = H P Hᵀ + R.
    pub s: Matrix3<f64>,
    /// Squared Mahalanobis distance yᵀ S⁻¹ y.
    pub d2: f64,
}

impl CvFilter {
    /// A new filter at `position` (covariance `r`) with zero velocity of variance `velocity_var`.
    pub fn new(position: Vector3<f64>, r: &Matrix3<f64>, velocity_var: f64) -> Self {
        let mut x = Vector6::zeros();
        x.fixed_rows_mut::<3>(0).copy_from(&position);
        let mut p = Matrix6::zeros();
        p.fixed_view_mut::<3, 3>(0, 0).copy_from(r);
        p.fixed_view_mut::<3, 3>(3, 3).copy_from(&(Matrix3::identity() * velocity_var));
        Self { x, p }
    }

    pub fn position(&self) -> Vector3<f64> {
        self.x.fixed_rows::<3>(0).into_owned()
    }

    pub fn velocity(&self) -> Vector3<f64> {
        self.x.fixed_rows::<3>(3).into_owned()
    }

    pub fn position_cov(&self) -> Matrix3<f64> {
        self.p.fixed_view::<3, 3>(0, 0).into_owned()
    }

    pub fn velocity_cov(&self) -> Matrix3<f64> {
        self.p.fixed_view::<3, 3>(3, 3).into_owned()
    }

    /// Moves the estimate `dt` seconds ahead (dt >= 0).
    pub fn predict(&mut self, dt: f64, q_horizontal: f64, q_vertical: f64) {
        if dt <= 0.0 {
            return;
        }
        let mut f = Matrix6::identity();
        f.fixed_view_mut::<3, 3>(0, 3).copy_from(&(Matrix3::identity() * dt));
        self.x = f * self.x;
        let mut q = Matrix6::zeros();
        for (axis, density) in [(0, q_horizontal), (1, q_horizontal), (2, q_vertical)] {
            q[(axis, axis)] = density * dt.powi(3) / 3.0;
            q[(axis, axis + 3)] = density * dt.powi(2) / 2.0;
            q[(axis + 3, axis)] = density * dt.powi(2) / 2.0;
            q[(axis + 3, axis + 3)] = density * dt;
        }
        self.p = f * self.p * f.transpose() + q;
    }

    /// Innovation of a position measurement `z` with covariance `r`; None when S is not
    /// positive definite (cannot be gated).
    pub fn innovation(&self, z: &Vector3<f64>, r: &Matrix3<f64>) -> Option<Innovation> {
        let y = z - self.position();
        let s = self.position_cov() + r;
        let chol = s.cholesky()?;
        let d2 = y.dot(&chol.solve(&y));
        d2.is_finite().then_some(Innovation { y, s, d2 })
    }

    /// Kalman update with a position measurement (Joseph form: stays symmetric and PSD).
    pub fn update(&mut self, innovation: &Innovation, r: &Matrix3<f64>) -> bool {
        let Some(chol) = innovation.s.cholesky() else { return false };
        // K = P Hᵀ S⁻¹, with P Hᵀ = the first three columns of P.
        let pht: SMatrix<f64, 6, 3> = self.p.fixed_columns::<3>(0).into_owned();
        let k: SMatrix<f64, 6, 3> = chol.solve(&pht.transpose()).transpose();
        let mut i_kh = Matrix6::identity();
        let mut first_columns = i_kh.fixed_columns_mut::<3>(0);
        first_columns -= &k;
        self.x += k * innovation.y;
        self.p = i_kh * self.p * i_kh.transpose() + k * r * k.transpose();
        self.p = (self.p + self.p.transpose()) * 0.5;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predict_moves_by_velocity_and_grows_covariance() {
        let mut f = CvFilter::new(Vector3::new(1.0, 2.0, 0.0), &Matrix3::identity(), 4.0);
        f.x[3] = 10.0;
        let before = f.p[(0, 0)];
        f.predict(0.5, 1.0, 0.1);
        assert!((f.x[0] - 6.0).abs() < 1e-12 && (f.x[1] - 2.0).abs() < 1e-12);
        // P_xx = 1 + dt² 4 + q dt³/3.
        assert!((f.p[(0, 0)] - (before + 0.25 * 4.0 + 0.125 / 3.0)).abs() < 1e-12);
    }

    #[test]
    fn update_pulls_towards_measurement_by_the_variance_ratio() {
        let mut f = CvFilter::new(Vector3::zeros(), &(Matrix3::identity() * 3.0), 1.0);
        let r = Matrix3::identity();
        let inn = f.innovation(&Vector3::new(4.0, 0.0, 0.0), &r).unwrap();
        assert!((inn.d2 - 4.0).abs() < 1e-12); // 16 / (3 + 1)
        assert!(f.update(&inn, &r));
        // Gain 3 / (3 + 1): x = 3, P_xx = 3·1/(3+1).
        assert!((f.x[0] - 3.0).abs() < 1e-12);
        assert!((f.p[(0, 0)] - 0.75).abs() < 1e-12);
    }
}
