//! Runs of this crate's tests and benches find LibTorch without LD_LIBRARY_PATH: torch-sys
//! reports its lib directory through its `links = "tch"` metadata; we put it in the rpath.
fn main() {
    if let Ok(dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
