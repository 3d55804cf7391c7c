//! Topic names and QoS are the node runtime's (`edgefusion_node::topics`); this module adds how
//! the command line declares a topic in a bag.

pub use edgefusion_node::topics::*;

/// How a topic is declared in a bag: type, the QoS it is offered with, the full `ros2msg`
/// schema so that other tools can decode it without our code, and the RIHS01 type hash that
/// Jazzy and later tools compare (empty for a type we have no definition of, as rosbag2 does).
pub fn bag_topic(topic: &str, type_name: &str) -> edgefusion_bag::TopicInfo {
    let text = edgefusion_msgs::definitions::full_definition(type_name).unwrap_or_default();
    edgefusion_bag::TopicInfo {
        type_description_hash: edgefusion_msgs::type_hash::rihs01(type_name).unwrap_or_default(),
        offered_qos_profiles: QosProfile::for_topic(topic).rosbag2_yaml(),
        message_definition: edgefusion_bag::MessageDefinition {
            encoding: if text.is_empty() { String::new() } else { "ros2msg".to_string() },
            text,
        },
        ..edgefusion_bag::TopicInfo::new(topic, type_name)
    }
}
