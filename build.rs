//! Link fixups the CLI's binaries and tests need from their dependencies' build scripts:
//! - LibTorch (through the fusion node) found without LD_LIBRARY_PATH: torch-sys reports its lib
//!   directory (`links = "tch"`), we put it in the rpath;
//! - with the `ros2` feature, the library runtime/ros2 names for the PyPI ROS 2 wheels
//!   (libpython, linked with --no-as-needed; see runtime/ros2/build.rs).
fn main() {
    if let Ok(dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
    if let Ok(lib) = std::env::var("DEP_EDGEFUSION_ROS2_LINK_PYTHON") {
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed,{lib},--as-needed");
    }
}
