//! The `edgefusion_msgs` package (see `msg/*.msg` for field documentation).

use crate::builtin_interfaces::{Duration, Time};
use crate::geometry_msgs::{Covariance, Point, Pose, Vector3};
use crate::message::ros_messages;
use crate::nav_msgs::{OccupancyGrid, Odometry};
use crate::std_msgs::Header;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct V2xPacket {
    pub header: Header,
    pub encoding: u8,
    pub source: String,
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

impl V2xPacket {
    pub const ENCODING_GEONETWORKING: u8 = 0;
    pub const ENCODING_BTP: u8 = 1;
    pub const ENCODING_UPER_CAM: u8 = 2;
    pub const ENCODING_UPER_CPM: u8 = 3;
    pub const ENCODING_UPER_BSM: u8 = 4;
    pub const ENCODING_UPER_DENM: u8 = 5;
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct V2xObject {
    pub message_kind: u8,
    pub station_id: u32,
    pub object_id: u32,
    pub station_type: u8,
    pub pose: Pose,
    pub size: Vector3,
    pub velocity: Vector3,
    pub pose_covariance: Covariance,
    pub velocity_covariance: [f64; 9],
    pub generation_time: Time,
    pub age: Duration,
}

impl V2xObject {
    pub const KIND_CAM: u8 = 0;
    pub const KIND_CPM_OBJECT: u8 = 1;
    pub const KIND_BSM: u8 = 2;
    pub const KIND_DENM: u8 = 3;
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct V2xObjectArray {
    pub header: Header,
    pub objects: Vec<V2xObject>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct DetectedObject {
    pub center: Point,
    pub size: Vector3,
    pub yaw: f64,
    pub classification: u8,
    pub label: String,
    pub score: f32,
    pub velocity: Vector3,
    pub pose_covariance: Covariance,
    pub velocity_covariance: [f64; 9],
    pub track_id: u32,
    pub modalities: u8,
    pub num_points: u32,
    pub has_image_box: bool,
    pub image_box: [f32; 4],
}

impl DetectedObject {
    pub const CLASS_UNKNOWN: u8 = 0;
    pub const CLASS_CAR: u8 = 1;
    pub const CLASS_TRUCK: u8 = 2;
    pub const CLASS_BUS: u8 = 3;
    pub const CLASS_PEDESTRIAN: u8 = 4;
    pub const CLASS_CYCLIST: u8 = 5;
    pub const CLASS_MOTORCYCLE: u8 = 6;

    pub const MODALITY_CAMERA: u8 = 1;
    pub const MODALITY_LIDAR: u8 = 2;
    pub const MODALITY_V2X: u8 = 4;
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct DetectedObjectArray {
    pub header: Header,
    pub objects: Vec<DetectedObject>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Scene {
    pub header: Header,
    pub objects: Vec<DetectedObject>,
    pub free_space: OccupancyGrid,
    pub ego: Odometry,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
pub struct TrajectoryPoint {
    pub time_from_start: Duration,
    pub pose: Pose,
    pub longitudinal_velocity: f64,
    pub lateral_velocity: f64,
    pub acceleration: f64,
    pub heading_rate: f64,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Trajectory {
    pub header: Header,
    pub points: Vec<TrajectoryPoint>,
}

ros_messages!("edgefusion_msgs";
    V2xPacket, V2xObject, V2xObjectArray, DetectedObject, DetectedObjectArray, Scene,
    TrajectoryPoint, Trajectory);
