//! The CLI links LibTorch (through the fusion node); its binaries find it without
//! LD_LIBRARY_PATH: torch-sys reports its lib directory (`links = "tch"`), we put it in the rpath.
fn main() {
    if let Ok(dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
