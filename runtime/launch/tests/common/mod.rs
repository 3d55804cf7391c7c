//! Helpers shared by the launch reader's tests: launch files written into a temporary
//! directory, and options with a fixed environment and an ament prefix made on disk.
#![allow(dead_code)]

use edgefusion_launch::{read_launch_file, AmentResolver, LaunchError, LaunchOptions, LaunchPlan};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// Options with the given launch arguments, environment `env`, and an ament prefix `prefix`.
pub fn options(
    args: &[(&str, &str)],
    env: &[(&str, &str)],
    prefixes: Vec<PathBuf>,
) -> LaunchOptions {
    LaunchOptions {
        args: args.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        env: Some(
            env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<HashMap<_, _>>(),
        ),
        resolver: Box::new(AmentResolver::new(prefixes)),
    }
}

/// Writes `text` as `main.launch.xml` into `dir` and reads it.
pub fn read_in(dir: &Path, text: &str, args: &[(&str, &str)]) -> Result<LaunchPlan, LaunchError> {
    let path = write(dir, "main.launch.xml", text);
    read_launch_file(&path, &options(args, &[], Vec::new()))
}

/// Like `read_in` in a fresh temporary directory.
pub fn read(text: &str, args: &[(&str, &str)]) -> Result<LaunchPlan, LaunchError> {
    let dir = tempfile::tempdir().unwrap();
    read_in(dir.path(), text, args)
}

/// An ament prefix holding package `package` (index marker and share directory).
pub fn ament_prefix(root: &Path, package: &str) -> PathBuf {
    let prefix = root.join("install");
    write(&prefix, &format!("share/ament_index/resource_index/packages/{package}"), "");
    std::fs::create_dir_all(prefix.join("share").join(package)).unwrap();
    prefix
}
