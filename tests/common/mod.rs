//! Running the `edgefusion` binary from integration tests.

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
