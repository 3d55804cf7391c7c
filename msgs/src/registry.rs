//! Run-time lookup of message types by ROS name, for code that handles many types without
//! knowing them statically (bag player and recorder, transports): decode CDR into a shared
//! `Arc<dyn Any>` of the right Rust type, and encode it back.

use crate::cdr::CdrErrorKind;
use crate::{CdrError, Message};
use std::any::{Any, TypeId};
use std::sync::Arc;

pub type AnyMessage = Arc<dyn Any + Send + Sync>;

/// The payload of an [`AnyMessage`], borrowed.
pub type AnyPayload = dyn Any + Send + Sync;

/// How to handle one message type at run time.
pub struct TypeEntry {
    pub type_name: &'static str,
    pub type_id: TypeId,
    pub rust_name: &'static str,
    pub decode: fn(&[u8]) -> Result<AnyMessage, CdrError>,
    /// Encodes a value of this type (an error if `msg` is of another type).
    pub encode: fn(&AnyPayload) -> Result<Vec<u8>, CdrError>,
    /// The value as JSON with the ROS field names (`bag echo`); `None` if of another type.
    pub to_json: fn(&AnyPayload) -> Option<serde_json::Value>,
}

fn entry<M: Message>() -> TypeEntry {
    TypeEntry {
        type_name: M::TYPE_NAME,
        type_id: TypeId::of::<M>(),
        rust_name: std::any::type_name::<M>(),
        decode: |bytes| M::decode(bytes).map(|m| Arc::new(m) as AnyMessage),
        encode: |msg| match msg.downcast_ref::<M>() {
            Some(msg) => msg.encode(),
            None => Err(CdrError {
                offset: 0,
                path: String::new(),
                kind: CdrErrorKind::Custom(format!("payload is not a {}", M::TYPE_NAME)),
            }),
        },
        to_json: |msg| serde_json::to_value(msg.downcast_ref::<M>()?).ok(),
    }
}

/// Every message type of this crate that travels on a topic.
pub fn entries() -> &'static [TypeEntry] {
    use crate::*;
    static ENTRIES: std::sync::OnceLock<Vec<TypeEntry>> = std::sync::OnceLock::new();
    ENTRIES.get_or_init(|| {
        vec![
            entry::<std_msgs::String>(),
            entry::<sensor_msgs::Image>(),
            entry::<sensor_msgs::CompressedImage>(),
            entry::<sensor_msgs::CameraInfo>(),
            entry::<sensor_msgs::PointCloud2>(),
            entry::<geometry_msgs::TransformStamped>(),
            entry::<nav_msgs::Odometry>(),
            entry::<nav_msgs::OccupancyGrid>(),
            entry::<tf2_msgs::TFMessage>(),
            entry::<rosgraph_msgs::Clock>(),
            entry::<diagnostic_msgs::DiagnosticArray>(),
            entry::<visualization_msgs::MarkerArray>(),
            entry::<edgefusion::V2xPacket>(),
            entry::<edgefusion::V2xObjectArray>(),
            entry::<edgefusion::DetectedObjectArray>(),
            entry::<edgefusion::Scene>(),
            entry::<edgefusion::Trajectory>(),
        ]
    })
}

/// The entry for a ROS type name such as `sensor_msgs/msg/Image`.
pub fn by_name(type_name: &str) -> Option<&'static TypeEntry> {
    entries().iter().find(|e| e.type_name == type_name)
}

/// The entry for a Rust type.
pub fn by_type_id(type_id: TypeId) -> Option<&'static TypeEntry> {
    entries().iter().find(|e| e.type_id == type_id)
}
