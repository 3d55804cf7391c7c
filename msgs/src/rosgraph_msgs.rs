use crate::builtin_interfaces::Time;
use crate::message::ros_messages;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
pub struct Clock {
    pub clock: Time,
}

ros_messages!("rosgraph_msgs"; Clock);
