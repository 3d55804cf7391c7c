use crate::builtin_interfaces::Time;
use crate::geometry_msgs::{Pose, PoseWithCovariance, TwistWithCovariance};
use crate::message::ros_messages;
use crate::std_msgs::Header;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
pub struct MapMetaData {
    pub map_load_time: Time,
    /// Metres per cell.
    pub resolution: f32,
    pub width: u32,
    pub height: u32,
    /// Pose of cell (0, 0)'s corner in the grid's frame.
    pub origin: Pose,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct OccupancyGrid {
    pub header: Header,
    pub info: MapMetaData,
    /// Row-major, 0..100 occupancy probability, -1 unknown.
    pub data: Vec<i8>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Odometry {
    pub header: Header,
    pub child_frame_id: String,
    pub pose: PoseWithCovariance,
    pub twist: TwistWithCovariance,
}

ros_messages!("nav_msgs"; MapMetaData, OccupancyGrid, Odometry);
