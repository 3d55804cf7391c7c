use crate::builtin_interfaces::Time;
use crate::message::ros_messages;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Header {
    pub stamp: Time,
    pub frame_id: std::string::String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct String {
    pub data: std::string::String,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
pub struct ColorRGBA {
    pub r: f32,
    pub g: f32,
    pub b: f32,
    pub a: f32,
}

ros_messages!("std_msgs"; Header, String, ColorRGBA);

impl Header {
    pub fn new(stamp: Time, frame_id: impl Into<std::string::String>) -> Self {
        Self { stamp, frame_id: frame_id.into() }
    }
}
