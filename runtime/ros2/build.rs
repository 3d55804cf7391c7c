//! The PyPI wheels of ROS 2 load rosidl_generator_py libraries with rcl, and those need
//! libpython's symbols at load time. scripts/ros2-setup names the library in
//! EDGEFUSION_ROS2_LINK_PYTHON (empty for an apt ROS 2); it is linked with --no-as-needed, since
//! no symbol of ours uses it. This crate's own tests get the flag here; binaries of crates that
//! depend on it read DEP_EDGEFUSION_ROS2_LINK_PYTHON in their build scripts.

fn main() {
    println!("cargo:rerun-if-env-changed=EDGEFUSION_ROS2_LINK_PYTHON");
    let lib = std::env::var("EDGEFUSION_ROS2_LINK_PYTHON").unwrap_or_default();
    if !lib.is_empty() {
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed,{lib},--as-needed");
        println!("cargo:link_python={lib}");
    }
}
