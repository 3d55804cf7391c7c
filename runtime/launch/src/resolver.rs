//! `$(find-pkg-share PKG)`: where a package's shared files are.
//!
//! The default, [`AmentResolver`], does what `ros2 launch` does: for each prefix of
//! `AMENT_PREFIX_PATH` (in order) a package exists when the ament index has the marker file
//! `<prefix>/share/ament_index/resource_index/packages/<pkg>`, and its share directory is
//! `<prefix>/share/<pkg>`. When no prefix has package `edgefusion`, it falls back to the source
//! checkout: the nearest directory above the launch file whose `Cargo.toml` is the `edgefusion`
//! package. That works because the install tree mirrors the repository (`share/edgefusion/
//! {launch,calib}` and `launch/`, `calib/` in the repository root), so the same launch file
//! runs from a colcon install and from `cargo run` in a checkout.

use std::path::{Path, PathBuf};

/// Finds a package's share directory; `launch_file` is the file that asks (for fallbacks).
pub trait PackageResolver {
    fn share_dir(&self, package: &str, launch_file: &Path) -> Result<PathBuf, String>;
}

/// Our own package, found in the source checkout when it is not installed.
pub const SOURCE_PACKAGE: &str = "edgefusion";

/// The ament index of `AMENT_PREFIX_PATH`, then the source checkout for `edgefusion`.
#[derive(Debug, Clone, Default)]
pub struct AmentResolver {
    pub prefixes: Vec<PathBuf>,
}

impl AmentResolver {
    /// Prefixes from the environment variable `AMENT_PREFIX_PATH` (`:`-separated).
    pub fn from_env() -> Self {
        let prefixes = std::env::var_os("AMENT_PREFIX_PATH")
            .map(|v| std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()).collect())
            .unwrap_or_default();
        Self { prefixes }
    }

    pub fn new(prefixes: Vec<PathBuf>) -> Self {
        Self { prefixes }
    }
}

impl PackageResolver for AmentResolver {
    fn share_dir(&self, package: &str, launch_file: &Path) -> Result<PathBuf, String> {
        for prefix in &self.prefixes {
            let marker = prefix.join("share/ament_index/resource_index/packages").join(package);
            if marker.is_file() {
                return Ok(prefix.join("share").join(package));
            }
        }
        if package == SOURCE_PACKAGE {
            if let Some(root) = source_checkout(launch_file) {
                return Ok(root);
            }
        }
        let searched: Vec<String> = self.prefixes.iter().map(|p| p.display().to_string()).collect();
        Err(format!(
            "package '{package}' not found in the ament index of AMENT_PREFIX_PATH [{}]{}",
            searched.join(":"),
            if package == SOURCE_PACKAGE {
                " nor in a source checkout above the launch file"
            } else {
                ""
            }
        ))
    }
}

/// The nearest ancestor of `launch_file` whose Cargo.toml declares `name = "edgefusion"`.
pub fn source_checkout(launch_file: &Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(launch_file).ok()?;
    start.ancestors().skip(1).find(|dir| is_source_root(dir)).map(Path::to_path_buf)
}

fn is_source_root(dir: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else { return false };
    let wanted = format!("name = \"{SOURCE_PACKAGE}\"");
    let mut in_package = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package && line == wanted {
            return true;
        }
    }
    false
}
