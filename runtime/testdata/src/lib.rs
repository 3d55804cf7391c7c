//! Where tests find third-party data: `../shared/fixtures` beside the repository (never
//! copied into it). `EDGEFUSION_FIXTURES` overrides the location. Also where they find the
//! fusion modules that `model/export` builds ([`model`]).
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

/// The exported fusion module `fusion_<variant>.pt` (`fp32`, `int8`, `fp16`), made by
/// `model/export`: in `$EDGEFUSION_MODELS` if set, else `<workspace>/target/models`. Absent:
/// None after saying so, or a panic in CI (which builds the models before testing).
pub fn model(variant: &str) -> Option<PathBuf> {
    let dir = models_dir();
    let path = dir.join(format!("fusion_{variant}.pt"));
    if path.is_file() {
        return Some(path);
    }
    if std::env::var_os("CI").is_some() {
        panic!("model {} not found (CI must run model/export before the tests)", path.display());
    }
    eprintln!("SKIPPED: model {} not found (build it with model/export)", path.display());
    None
}

/// Where exported models live: `$EDGEFUSION_MODELS` or `<workspace>/target/models`.
pub fn models_dir() -> PathBuf {
    match std::env::var_os("EDGEFUSION_MODELS") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let workspace = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
            workspace.canonicalize().unwrap_or(workspace).join("target/models")
        }
    }
}
