//! Counters of what the node received, published and dropped, one per reason, for logs and
//! `/diagnostics`.

use std::collections::BTreeMap;

/// Counter names (snake_case, as they appear in diagnostics).
pub mod names {
    // Inputs.
    pub const PACKETS: &str = "packets_received";
    pub const ODOMETRY: &str = "odometry_received";
    pub const CAM: &str = "cam_decoded";
    pub const CPM: &str = "cpm_decoded";
    pub const DENM: &str = "denm_decoded";
    pub const BSM: &str = "bsm_decoded";
    // Outputs.
    pub const OBJECTS_OUT: &str = "objects_out";
    // Packets that could not be used at all.
    pub const UNKNOWN_ENCODING: &str = "unknown_encoding";
    pub const BAD_ODOMETRY: &str = "bad_odometry";
    pub const NO_EGO_POSE: &str = "no_ego_pose";
    // (decode errors count under `decode_<reason>`, see DecodeError::reason)
    // Messages or objects dropped by the plausibility checks.
    pub const STALE: &str = "dropped_stale";
    pub const FUTURE: &str = "dropped_future_dated";
    pub const SPEED: &str = "dropped_implausible_speed";
    pub const JUMP: &str = "dropped_position_jump";
    pub const REPLAY: &str = "dropped_replay";
    pub const DUPLICATE: &str = "dropped_duplicate";
    pub const RANGE: &str = "dropped_out_of_range";
    pub const NO_POSITION: &str = "dropped_no_position";
    pub const NO_TIME: &str = "dropped_no_timestamp";
    pub const UNKNOWN_FRAME: &str = "dropped_unknown_object_frame";
    pub const EXPIRED: &str = "objects_expired";
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    counts: BTreeMap<&'static str, u64>,
}

impl Stats {
    pub fn add(&mut self, name: &'static str, n: u64) {
        *self.counts.entry(name).or_default() += n;
    }

    pub fn count(&mut self, name: &'static str) {
        self.add(name, 1);
    }

    pub fn get(&self, name: &str) -> u64 {
        self.counts.get(name).copied().unwrap_or(0)
    }

    /// Every non-zero counter, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.counts.iter().map(|(k, v)| (*k, *v))
    }
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.iter().map(|(k, v)| format!("{k}={v}")).collect();
        write!(f, "{}", parts.join(" "))
    }
}
