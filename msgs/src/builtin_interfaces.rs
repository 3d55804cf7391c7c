use crate::message::ros_messages;
use serde::{Deserialize, Serialize};

#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash,
)]
pub struct Time {
    pub sec: i32,
    pub nanosec: u32,
}

#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash,
)]
pub struct Duration {
    pub sec: i32,
    pub nanosec: u32,
}

ros_messages!("builtin_interfaces"; Time, Duration);

impl Time {
    /// From nanoseconds since the epoch (or since start, in sim time). Negative times floor.
    pub fn from_nanos(ns: i64) -> Self {
        Self {
            sec: ns.div_euclid(1_000_000_000) as i32,
            nanosec: ns.rem_euclid(1_000_000_000) as u32,
        }
    }

    pub fn as_nanos(&self) -> i64 {
        i64::from(self.sec) * 1_000_000_000 + i64::from(self.nanosec)
    }
}

impl Duration {
    pub fn from_nanos(ns: i64) -> Self {
        let t = Time::from_nanos(ns);
        Self { sec: t.sec, nanosec: t.nanosec }
    }

    pub fn as_nanos(&self) -> i64 {
        i64::from(self.sec) * 1_000_000_000 + i64::from(self.nanosec)
    }
}
