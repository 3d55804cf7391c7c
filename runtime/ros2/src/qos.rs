//! The stack's QoS table (DESIGN.md) in r2r's terms, and the QoS a recorder subscribes with.

use edgefusion_node::topics::{Durability, QosProfile, Reliability};
use r2r::qos::{DurabilityPolicy, ReliabilityPolicy};

/// The r2r profile of one of the stack's profiles; the rest stays at ROS defaults.
pub fn to_r2r(profile: &QosProfile) -> r2r::QosProfile {
    let base = r2r::QosProfile::default().keep_last(profile.depth);
    let base = match profile.reliability {
        Reliability::BestEffort => base.best_effort(),
        Reliability::Reliable => base.reliable(),
    };
    match profile.durability {
        Durability::Volatile => base.volatile(),
        Durability::TransientLocal => base.transient_local(),
    }
}

/// What a recorder subscribes with, given the publishers' offered profiles (as rosbag2 adapts):
/// reliable only if every publisher is (a reliable reader does not match a best-effort
/// writer), transient local only if every publisher is (to get latched messages such as
/// /tf_static). Without publishers, the stack's profile for the topic.
pub fn for_recording(topic: &str, offered: &[r2r::QosProfile]) -> r2r::QosProfile {
    if offered.is_empty() {
        return to_r2r(&QosProfile::for_topic(topic));
    }
    let reliable = offered.iter().all(|q| q.reliability == ReliabilityPolicy::Reliable);
    let latched = offered.iter().all(|q| q.durability == DurabilityPolicy::TransientLocal);
    let depth = offered.iter().map(|q| q.depth).max().unwrap_or(10).max(10);
    let base = r2r::QosProfile::default().keep_last(depth);
    let base = if reliable { base.reliable() } else { base.best_effort() };
    if latched {
        base.transient_local()
    } else {
        base.volatile()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stacks_profiles_map_onto_rmw_policies() {
        let sensor = to_r2r(&QosProfile::SENSOR_DATA);
        assert_eq!(sensor.reliability, ReliabilityPolicy::BestEffort);
        assert_eq!(sensor.depth, 5);
        let latched = to_r2r(&QosProfile::LATCHED);
        assert_eq!(latched.durability, DurabilityPolicy::TransientLocal);
        assert_eq!(latched.reliability, ReliabilityPolicy::Reliable);
    }

    #[test]
    fn a_recorder_is_best_effort_if_any_publisher_is() {
        let reliable = r2r::QosProfile::default().reliable();
        let best_effort = r2r::QosProfile::sensor_data();
        let q = for_recording("/x", &[reliable.clone(), best_effort]);
        assert_eq!(q.reliability, ReliabilityPolicy::BestEffort);
        let q = for_recording("/x", &[reliable]);
        assert_eq!(q.reliability, ReliabilityPolicy::Reliable);
        assert_eq!(q.durability, DurabilityPolicy::Volatile);
        let latched = r2r::QosProfile::default().reliable().transient_local();
        assert_eq!(for_recording("/x", &[latched]).durability, DurabilityPolicy::TransientLocal);
    }
}
