//! Quality of service: what happens when a subscriber's queue is full.
//! Mirrors the two ROS 2 reliability policies with a keep-last history.

/// Per-subscription queue policy, chosen by the subscriber.
///
/// A depth of 0 is treated as 1: a rendezvous queue cannot keep the last
/// message, and would make a best-effort publisher spin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qos {
    /// Best effort (REP-2003 sensor data): when the queue is full the
    /// publisher evicts the *oldest* queued message and counts it as dropped,
    /// so a slow subscriber always sees the freshest frames and never slows
    /// the driver down.
    KeepLast { depth: usize },
    /// Reliable with backpressure (recording, perception, planning): when the
    /// queue is full the publisher blocks until the subscriber makes room or
    /// the bus shuts down. Nothing is dropped.
    Reliable { depth: usize },
}

impl Qos {
    /// `KeepLast { depth: 5 }`: the ROS 2 sensor-data profile
    /// (`rmw_qos_profile_sensor_data`, best effort, depth 5).
    pub const fn sensor_data() -> Self {
        Qos::KeepLast { depth: 5 }
    }

    /// `Reliable { depth: 10 }`: the ROS 2 default profile's depth. Kept small
    /// on purpose: a queue of large messages (2 MB clouds) is memory, and
    /// backpressure is the point of reliability. A recorder that must absorb
    /// disk hiccups should ask for a deeper queue explicitly.
    pub const fn reliable() -> Self {
        Qos::Reliable { depth: 10 }
    }

    /// Queue capacity actually used (at least 1).
    pub const fn depth(&self) -> usize {
        let depth = match *self {
            Qos::KeepLast { depth } | Qos::Reliable { depth } => depth,
        };
        if depth == 0 {
            1
        } else {
            depth
        }
    }

    pub const fn is_reliable(&self) -> bool {
        matches!(self, Qos::Reliable { .. })
    }
}
