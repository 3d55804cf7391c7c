//! Our RIHS01 type hashes against the ones ROS 2 Kilted ships: every `share/<pkg>/msg/*.json`
//! of the Kilted wheels (installed into `.ros` by scripts/setup) that names a type we define.

use edgefusion_msgs::definitions::known_types;
use edgefusion_msgs::type_hash::rihs01;
use std::path::PathBuf;

/// The ROS 2 prefix: `EDGEFUSION_ROS_PREFIX`, else the project's `.ros` venv.
fn ros_prefix() -> Option<PathBuf> {
    let dir = std::env::var_os("EDGEFUSION_ROS_PREFIX")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.ros")));
    if dir.join("share/std_msgs").is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "no ROS 2 prefix at {} (scripts/setup)",
        dir.display()
    );
    eprintln!("SKIPPED: no ROS 2 prefix at {} (run scripts/setup)", dir.display());
    None
}

/// The hash a Kilted `<Type>.json` gives for its own type.
fn published_hash(json: &str) -> String {
    let doc: serde_json::Value = serde_json::from_str(json).expect("type description JSON");
    doc["type_hashes"][0]["hash_string"].as_str().expect("hash_string").to_string()
}

#[test]
fn every_shared_type_hashes_like_kilted() {
    let Some(prefix) = ros_prefix() else { return };
    let mut compared = Vec::new();
    for type_name in known_types() {
        let (package, short) = type_name.split_once("/msg/").expect("pkg/msg/Type");
        let path = prefix.join(format!("share/{package}/msg/{short}.json"));
        let Ok(json) = std::fs::read_to_string(&path) else { continue };
        assert_eq!(rihs01(type_name).unwrap(), published_hash(&json), "{type_name}");
        compared.push(type_name);
    }
    // Everything but tf2_msgs (not on PyPI) and our own package has a Kilted description.
    let expected = known_types()
        .filter(|t| !t.starts_with("tf2_msgs/") && !t.starts_with("edgefusion_msgs/"))
        .count();
    assert_eq!(compared.len(), expected, "compared: {compared:?}");
}
