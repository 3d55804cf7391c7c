//! Where tests find third-party data: `../shared/fixtures` beside the repository (never
//! copied into it). `EDGEFUSION_FIXTURES` overrides the location.
//!
//! Absent fixtures skip a test with a message on a developer's machine, and fail it in CI
//! (`CI` set): a CI run that silently skipped the real-data tests would prove nothing.

use std::path::PathBuf;

/// The fixtures directory, or None (after saying so) when it is absent outside CI.
pub fn fixtures() -> Option<PathBuf> {
    let dir = match std::env::var_os("EDGEFUSION_FIXTURES") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures")),
    };
    if dir.is_dir() {
        return Some(dir.canonicalize().unwrap_or(dir));
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "fixtures not found at {} (CI must run with ../shared beside the repository)",
            dir.display()
        );
    }
    eprintln!(
        "SKIPPED: fixtures not found at {} (put ../shared beside the repository)",
        dir.display()
    );
    None
}

/// A path inside the fixtures directory, e.g. `fixture("kitti/000008")`.
pub fn fixture(relative: &str) -> Option<PathBuf> {
    fixtures().map(|dir| dir.join(relative))
}
