use crate::geometry_msgs::TransformStamped;
use crate::message::ros_messages;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct TFMessage {
    pub transforms: Vec<TransformStamped>,
}

ros_messages!("tf2_msgs"; TFMessage);
