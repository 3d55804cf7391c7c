//! Running the `edgefusion` binary from integration tests.
// Each test crate uses its own subset of these helpers.
#![allow(dead_code)]

use std::process::{Command, Output};

/// Runs the CLI with `args`, quiet logs; returns its exit status and output.
pub fn edgefusion(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edgefusion"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn path(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

/// Converts a KITTI frame or frame folder into `dir/name` with the CLI.
pub fn convert(input: &std::path::Path, dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let bag = dir.join(name);
    let out = edgefusion(&["bag", "convert", "kitti", path(input), "-o", path(&bag)]);
    assert!(out.status.success(), "{}", stderr(&out));
    bag
}
