//! Shared by the integration tests: where the fixtures are.
// Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]

use std::path::PathBuf;

/// The shared fixtures (skips outside CI when absent; fails in CI).
pub fn fixtures() -> Option<PathBuf> {
    edgefusion_testdata::fixtures()
}

/// Puts `src` at `dst`: a symlink where the platform has them, else a copy (always inside a
/// temporary directory; fixtures are never copied into the repository).
pub fn link(src: &std::path::Path, dst: &std::path::Path) {
    if let Some(parent) = dst.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    #[cfg(unix)]
    std::os::unix::fs::symlink(src, dst).unwrap();
    #[cfg(not(unix))]
    std::fs::copy(src, dst).map(|_| ()).unwrap();
}
