use crate::message::ros_messages;
use crate::std_msgs::Header;
use serde::{Deserialize, Serialize};
use serde_big_array::BigArray;

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub z: f64,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
pub struct Vector3 {
    pub x: f64,
    pub y: f64,
    pub z: f64,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct Quaternion {
    pub x: f64,
    pub y: f64,
    pub z: f64,
    pub w: f64,
}

/// The identity rotation, as ROS 2 initialises a Quaternion (`float64 w 1`).
impl Default for Quaternion {
    fn default() -> Self {
        Self { x: 0.0, y: 0.0, z: 0.0, w: 1.0 }
    }
}

impl Quaternion {
    /// Rotation by `yaw` radians about z.
    pub fn from_yaw(yaw: f64) -> Self {
        let (s, c) = (yaw / 2.0).sin_cos();
        Self { x: 0.0, y: 0.0, z: s, w: c }
    }
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
pub struct Pose {
    pub position: Point,
    pub orientation: Quaternion,
}

/// A row-major 6x6 covariance over (x, y, z, rotation about x, y, z), as ROS defines it.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct Covariance(#[serde(with = "BigArray")] pub [f64; 36]);

impl Default for Covariance {
    fn default() -> Self {
        Self([0.0; 36])
    }
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
pub struct PoseWithCovariance {
    pub pose: Pose,
    pub covariance: Covariance,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
pub struct Twist {
    pub linear: Vector3,
    pub angular: Vector3,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
pub struct TwistWithCovariance {
    pub twist: Twist,
    pub covariance: Covariance,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
pub struct Transform {
    pub translation: Vector3,
    pub rotation: Quaternion,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct TransformStamped {
    pub header: Header,
    pub child_frame_id: String,
    pub transform: Transform,
}

ros_messages!("geometry_msgs";
    Point, Vector3, Quaternion, Pose, PoseWithCovariance, Twist, TwistWithCovariance,
    Transform, TransformStamped);
