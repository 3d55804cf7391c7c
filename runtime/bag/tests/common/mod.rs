//! Shared by the integration tests: where the rosbag2 fixture bags are, and what
//! EXPECTED.json says about them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The rosbag2 fixture bags (skips outside CI when the shared fixtures are absent; fails in CI).
pub fn rosbags_dir() -> Option<PathBuf> {
    edgefusion_testdata::fixture("rosbags")
}

/// Every fixture bag, as paths relative to `rosbags/` (directories and single files).
pub const FIXTURE_BAGS: &[&str] = &[
    "mcap/talker",
    "sqlite3/talker",
    "mcap/cdr_test",
    "sqlite3/cdr_test",
    "mcap/topics_and_services.mcap",
    "sqlite3/topics_and_services.db3",
    "mcap/wbag",
];

pub fn expected_json(rosbags: &Path) -> Value {
    let text = std::fs::read_to_string(rosbags.join("EXPECTED.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The `decoded` entry for a bag; its keys name one or two bags joined by " and ".
pub fn decoded_for<'a>(expected: &'a Value, bag: &str) -> &'a Value {
    expected["decoded"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(key, _)| key.split(" and ").any(|name| name == bag))
        .map(|(_, value)| value)
        .unwrap_or_else(|| panic!("EXPECTED.json has no decoded entry for {bag}"))
}

/// The string of a CDR-encoded std_msgs/String: u32 length (with NUL) at offset 4, bytes
/// from offset 8.
pub fn cdr_string(data: &[u8]) -> String {
    let length = u32::from_le_bytes(data[4..8].try_into().unwrap()) as usize;
    String::from_utf8(data[8..8 + length - 1].to_vec()).unwrap()
}

/// Copies a bag (directory or single file) into `into`, returning the copy's path.
pub fn copy_bag(source: &Path, into: &Path) -> PathBuf {
    let target = into.join(source.file_name().unwrap());
    if source.is_dir() {
        std::fs::create_dir_all(&target).unwrap();
        for entry in std::fs::read_dir(source).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), target.join(entry.file_name())).unwrap();
        }
    } else {
        std::fs::copy(source, &target).unwrap();
    }
    target
}
