//! Our RIHS01 type hashes against the ones ROS 2 computes itself: the type description files
//! (`share/<pkg>/msg/<Type>.json`) of the Kilted wheels (installed into `.ros` by scripts/setup)
//! for the standard types, and of our own package as colcon built it with the rosidl
//! generators (`target/ros2/install/edgefusion_msgs`, also by scripts/setup).

use edgefusion_msgs::definitions::known_types;
use edgefusion_msgs::type_hash::rihs01;
use std::path::{Path, PathBuf};

/// A ROS 2 prefix (`env` overrides `default`, relative to the repository) holding `package`.
fn prefix(env: &str, default: &str, package: &str) -> Option<PathBuf> {
    let dir = std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join(default));
    if dir.join("share").join(package).is_dir() {
        return Some(dir);
    }
    assert!(std::env::var_os("CI").is_none(), "no {package} in {} (scripts/setup)", dir.display());
    eprintln!("SKIPPED: no {package} in {} (run scripts/setup)", dir.display());
    None
}

/// Compares every type of ours that has a description in `prefix`; returns the types compared.
fn compare(prefix: &Path) -> Vec<&'static str> {
    let mut compared = Vec::new();
    for type_name in known_types() {
        let (package, short) = type_name.split_once("/msg/").expect("pkg/msg/Type");
        let path = prefix.join(format!("share/{package}/msg/{short}.json"));
        let Ok(json) = std::fs::read_to_string(&path) else { continue };
        let doc: serde_json::Value = serde_json::from_str(&json).expect("type description JSON");
        let published = doc["type_hashes"][0]["hash_string"].as_str().expect("hash_string");
        assert_eq!(rihs01(type_name).unwrap(), published, "{type_name} ({})", path.display());
        compared.push(type_name);
    }
    compared
}

#[test]
fn standard_types_hash_like_kilted() {
    let Some(prefix) = prefix("EDGEFUSION_ROS_PREFIX", ".ros", "std_msgs") else { return };
    let compared = compare(&prefix);
    // Everything but tf2_msgs (not on PyPI) and our own package has a Kilted description.
    let expected = known_types()
        .filter(|t| !t.starts_with("tf2_msgs/") && !t.starts_with("edgefusion_msgs/"))
        .count();
    assert_eq!(compared.len(), expected, "compared: {compared:?}");
}

#[test]
fn our_types_hash_like_rosidl_built_them() {
    let install = "target/ros2/install/edgefusion_msgs";
    let Some(prefix) = prefix("EDGEFUSION_MSGS_PREFIX", install, "edgefusion_msgs") else {
        return;
    };
    let compared = compare(&prefix);
    let ours = known_types().filter(|t| t.starts_with("edgefusion_msgs/")).count();
    assert_eq!(compared.len(), ours, "compared: {compared:?}");
}
