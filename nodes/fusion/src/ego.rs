//! The ego vehicle's motion from `/localization/odometry`: a short history of poses of the
//! output frame (base_link) in the odometry frame (odom or map), interpolated at sensor stamps.
//!
//! Why: the tracker works in base_link, which moves with the vehicle. Between two frames every
//! track is carried by the ego motion (the pose change of base_link), so that a parked car
//! stays still while the vehicle drives past it, and track velocities are over ground.

use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::nav_msgs::Odometry;
use nalgebra::{Isometry3, Quaternion, Translation3, UnitQuaternion};
use std::collections::VecDeque;

/// Poses kept: 10 s at 100 Hz, far more than a frame's wait.
const HISTORY: usize = 1000;

/// Why an odometry message was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OdometryError {
    #[error("odometry: child_frame_id '{found}' is not the output frame '{expected}'")]
    WrongChildFrame { expected: String, found: String },
    #[error("odometry: pose.pose has a non-finite value or a zero quaternion")]
    InvalidPose,
}

/// The history of ego poses.
#[derive(Debug, Clone)]
pub struct EgoPoses {
    output_frame: String,
    /// The odometry frame (`header.frame_id` of the messages); a change resets the history.
    frame: String,
    /// (stamp ns, odom_from_base) ascending, with the message for the scene's ego state.
    poses: VecDeque<(i64, Isometry3<f64>, Odometry)>,
    max_gap_ns: i64,
}

impl EgoPoses {
    /// `max_gap_ns`: how far a stamp may lie outside the history (or between two poses) and
    /// still get a pose.
    pub fn new(output_frame: &str, max_gap_ns: i64) -> Self {
        Self {
            output_frame: output_frame.to_string(),
            frame: String::new(),
            poses: VecDeque::new(),
            max_gap_ns,
        }
    }

    /// Whether any odometry has been accepted (without it, ego motion is taken as none).
    pub fn has_odometry(&self) -> bool {
        !self.poses.is_empty()
    }

    pub fn on_odometry(&mut self, odometry: &Odometry) -> Result<(), OdometryError> {
        let child = &odometry.child_frame_id;
        if !child.is_empty() && *child != self.output_frame {
            return Err(OdometryError::WrongChildFrame {
                expected: self.output_frame.clone(),
                found: child.clone(),
            });
        }
        let pose = isometry(odometry).ok_or(OdometryError::InvalidPose)?;
        let stamp = odometry.header.stamp.as_nanos();
        let restart = odometry.header.frame_id != self.frame
            || self.poses.back().is_some_and(|(last, _, _)| stamp < *last);
        if restart {
            self.poses.clear();
            self.frame = odometry.header.frame_id.clone();
        }
        self.poses.push_back((stamp, pose, odometry.clone()));
        if self.poses.len() > HISTORY {
            self.poses.pop_front();
        }
        Ok(())
    }

    /// odom_from_base at `stamp`: interpolated between the poses around it, or the nearest
    /// pose when `stamp` lies outside the history by at most `max_gap`.
    pub fn pose_at(&self, stamp: Time) -> Option<Isometry3<f64>> {
        let t = stamp.as_nanos();
        let after = self.poses.partition_point(|(s, _, _)| *s < t);
        let before = after.checked_sub(1).and_then(|i| self.poses.get(i));
        match (before, self.poses.get(after)) {
            (Some((t0, p0, _)), Some((t1, p1, _))) if t1 - t0 <= self.max_gap_ns => {
                let f = if t1 > t0 { (t - t0) as f64 / (t1 - t0) as f64 } else { 0.0 };
                Some(p0.lerp_slerp(p1, f))
            }
            (Some((t0, p0, _)), _) if t - t0 <= self.max_gap_ns => Some(*p0),
            (_, Some((t1, p1, _))) if t1 - t <= self.max_gap_ns => Some(*p1),
            _ => None,
        }
    }

    /// The ego state at `stamp` for the scene: the nearest message's twist and covariances,
    /// its pose interpolated at `stamp`.
    pub fn odometry_at(&self, stamp: Time) -> Option<Odometry> {
        let pose = self.pose_at(stamp)?;
        let t = stamp.as_nanos();
        let (_, _, nearest) = self.poses.iter().min_by_key(|(s, _, _)| (s - t).abs())?;
        let mut odometry = nearest.clone();
        odometry.header.stamp = stamp;
        let (p, q) = (pose.translation.vector, pose.rotation.into_inner());
        odometry.pose.pose.position.x = p.x;
        odometry.pose.pose.position.y = p.y;
        odometry.pose.pose.position.z = p.z;
        odometry.pose.pose.orientation.x = q.i;
        odometry.pose.pose.orientation.y = q.j;
        odometry.pose.pose.orientation.z = q.k;
        odometry.pose.pose.orientation.w = q.w;
        Some(odometry)
    }
}

fn isometry(odometry: &Odometry) -> Option<Isometry3<f64>> {
    let p = &odometry.pose.pose;
    let (t, r) = (&p.position, &p.orientation);
    if ![t.x, t.y, t.z, r.x, r.y, r.z, r.w].iter().all(|v| v.is_finite()) {
        return None;
    }
    let q = Quaternion::new(r.w, r.x, r.y, r.z);
    (q.norm() > 1e-6).then(|| {
        Isometry3::from_parts(Translation3::new(t.x, t.y, t.z), UnitQuaternion::from_quaternion(q))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgefusion_msgs::geometry_msgs::Quaternion as QuaternionMsg;

    const MS: i64 = 1_000_000;

    fn odometry(ms: i64, x: f64, yaw: f64) -> Odometry {
        let mut o = Odometry::default();
        o.header.stamp = Time::from_nanos(ms * MS);
        o.header.frame_id = "odom".into();
        o.child_frame_id = "base_link".into();
        o.pose.pose.position.x = x;
        o.pose.pose.orientation = QuaternionMsg::from_yaw(yaw);
        o
    }

    #[test]
    fn poses_interpolate_between_messages_and_hold_within_the_gap() {
        let mut ego = EgoPoses::new("base_link", 150 * MS);
        ego.on_odometry(&odometry(1000, 0.0, 0.0)).unwrap();
        ego.on_odometry(&odometry(1100, 1.0, 0.2)).unwrap();
        let mid = ego.pose_at(Time::from_nanos(1050 * MS)).unwrap();
        assert!((mid.translation.x - 0.5).abs() < 1e-12);
        assert!((mid.rotation.euler_angles().2 - 0.1).abs() < 1e-12);
        let after = ego.pose_at(Time::from_nanos(1200 * MS)).unwrap();
        assert!((after.translation.x - 1.0).abs() < 1e-12);
        assert!(ego.pose_at(Time::from_nanos(1300 * MS)).is_none());
        assert!(ego.pose_at(Time::from_nanos(800 * MS)).is_none());
        let state = ego.odometry_at(Time::from_nanos(1050 * MS)).unwrap();
        assert_eq!((state.header.stamp.as_nanos(), state.pose.pose.position.x), (1050 * MS, 0.5));
    }

    #[test]
    fn bad_messages_are_refused_and_a_new_frame_restarts() {
        let mut ego = EgoPoses::new("base_link", 150 * MS);
        let mut wrong = odometry(1000, 0.0, 0.0);
        wrong.child_frame_id = "imu".into();
        assert!(matches!(ego.on_odometry(&wrong), Err(OdometryError::WrongChildFrame { .. })));
        let mut nan = odometry(1000, f64::NAN, 0.0);
        assert_eq!(ego.on_odometry(&nan), Err(OdometryError::InvalidPose));
        nan.pose.pose.position.x = 0.0;
        nan.pose.pose.orientation = QuaternionMsg { x: 0.0, y: 0.0, z: 0.0, w: 0.0 };
        assert_eq!(ego.on_odometry(&nan), Err(OdometryError::InvalidPose));
        assert!(!ego.has_odometry());
        ego.on_odometry(&odometry(1000, 5.0, 0.0)).unwrap();
        let mut map = odometry(1010, 100.0, 0.0);
        map.header.frame_id = "map".into();
        ego.on_odometry(&map).unwrap();
        let pose = ego.pose_at(Time::from_nanos(1000 * MS)).unwrap();
        assert_eq!(pose.translation.x, 100.0, "the odom history was dropped");
    }
}
