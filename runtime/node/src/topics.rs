//! The stack's topic names and the QoS each is offered with (DESIGN.md): sensor data
//! best-effort keep-last (REP-2003), perception and planning reliable, static transforms
//! latched (transient local). One table, used by every publisher and by the bag writer.

pub const LIDAR_POINTS: &str = "/sensing/lidar/points";
pub const CAMERA_IMAGE: &str = "/sensing/camera/front/image_raw";
pub const CAMERA_IMAGE_COMPRESSED: &str = "/sensing/camera/front/image_raw/compressed";
pub const CAMERA_INFO: &str = "/sensing/camera/front/camera_info";
/// The camera node's output: the image decoded to rgb8 and rectified, the one the fusion node
/// consumes, with the CameraInfo that describes it (no distortion left; P unchanged).
pub const CAMERA_IMAGE_RECT: &str = "/sensing/camera/front/image_rect";
pub const CAMERA_INFO_RECT: &str = "/sensing/camera/front/image_rect/camera_info";
/// The lidar node's cleaned cloud: non-ground points in base_link.
pub const LIDAR_NO_GROUND: &str = "/sensing/lidar/no_ground/points";
/// The lidar node's BEV occupancy grid (free space).
pub const OCCUPANCY_GRID: &str = "/perception/occupancy_grid";
/// The lidar node's clusters of non-ground points as objects of unknown class (base_link): what
/// the fusion node tracks where the camera sees nothing (outside its view, or no camera).
pub const LIDAR_OBJECTS: &str = "/perception/lidar/objects";
pub const V2X_PACKETS: &str = "/v2x/packets";
pub const V2X_OBJECTS: &str = "/v2x/objects";
pub const PERCEPTION_OBJECTS: &str = "/perception/objects";
/// The fusion node's tracks, fused with V2X: the object list a planner uses.
pub const TRACKED_OBJECTS: &str = "/perception/tracked_objects";
pub const GROUND_TRUTH: &str = "/perception/ground_truth";
pub const SCENE: &str = "/perception/scene";
pub const TRAJECTORY: &str = "/planning/trajectory";
pub const ODOMETRY: &str = "/localization/odometry";
pub const TF_STATIC: &str = "/tf_static";
pub const CLOCK: &str = "/clock";
pub const DIAGNOSTICS: &str = "/diagnostics";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reliability {
    BestEffort,
    Reliable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    Volatile,
    /// Late joiners get the last messages (latched), as /tf_static needs.
    TransientLocal,
}

/// The part of a ROS 2 QoS profile the stack sets; the rest stays at ROS defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QosProfile {
    pub reliability: Reliability,
    pub durability: Durability,
    pub depth: usize,
}

impl QosProfile {
    /// rclcpp's SensorDataQoS: best effort, keep last 5.
    pub const SENSOR_DATA: Self =
        Self { reliability: Reliability::BestEffort, durability: Durability::Volatile, depth: 5 };
    pub const RELIABLE: Self =
        Self { reliability: Reliability::Reliable, durability: Durability::Volatile, depth: 10 };
    /// tf2_ros' StaticTransformBroadcaster profile.
    pub const LATCHED: Self = Self {
        reliability: Reliability::Reliable,
        durability: Durability::TransientLocal,
        depth: 1,
    };

    /// The profile a topic of the stack is offered with; unknown topics get reliable.
    pub fn for_topic(topic: &str) -> Self {
        match topic {
            LIDAR_POINTS
            | CAMERA_IMAGE
            | CAMERA_IMAGE_COMPRESSED
            | CAMERA_INFO
            | CAMERA_IMAGE_RECT
            | CAMERA_INFO_RECT
            | V2X_PACKETS
            | ODOMETRY => Self::SENSOR_DATA,
            TF_STATIC => Self::LATCHED,
            _ => Self::RELIABLE,
        }
    }

    /// `offered_qos_profiles` as rosbag2 (Jazzy and later) writes it into metadata.yaml,
    /// MCAP channel metadata and the sqlite3 topics table.
    pub fn rosbag2_yaml(&self) -> String {
        let reliability = match self.reliability {
            Reliability::BestEffort => "best_effort",
            Reliability::Reliable => "reliable",
        };
        let durability = match self.durability {
            Durability::Volatile => "volatile",
            Durability::TransientLocal => "transient_local",
        };
        // rmw's "infinite" duration, as rosbag2 spells it.
        let infinite = "\n    sec: 9223372036\n    nsec: 854775807";
        format!(
            "- history: keep_last\n  depth: {}\n  reliability: {reliability}\n  durability: {durability}\n  \
             deadline:{infinite}\n  lifespan:{infinite}\n  liveliness: automatic\n  \
             liveliness_lease_duration:{infinite}\n  avoid_ros_namespace_conventions: false",
            self.depth
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensor_topics_are_best_effort_and_tf_static_is_latched() {
        assert_eq!(QosProfile::for_topic(LIDAR_POINTS).reliability, Reliability::BestEffort);
        assert_eq!(QosProfile::for_topic(TRAJECTORY).reliability, Reliability::Reliable);
        assert_eq!(QosProfile::for_topic(TF_STATIC).durability, Durability::TransientLocal);
        let yaml = QosProfile::LATCHED.rosbag2_yaml();
        assert!(yaml.starts_with("- history: keep_last\n  depth: 1\n  reliability: reliable\n"));
        assert!(yaml.contains("durability: transient_local"));
    }
}
