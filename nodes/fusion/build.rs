//! LibTorch for this crate: torch-sys reports its lib directory through its `links = "tch"`
//! metadata. It goes into the rpath, so that tests and benches find LibTorch without
//! LD_LIBRARY_PATH, and its headers (`../include`) build src/qengine.cpp.
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src/qengine.cpp");
    let lib = PathBuf::from(
        std::env::var("DEP_TCH_LIBTORCH_LIB").expect("torch-sys reports the LibTorch lib dir"),
    );
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    let root = lib.parent().expect("the LibTorch lib dir has a parent");
    cc::Build::new()
        .cpp(true)
        .file("src/qengine.cpp")
        .include(root.join("include"))
        .include(root.join("include/torch/csrc/api/include"))
        .flag("-std=c++17")
        // LibTorch 2.11 is built with the C++11 ABI only (as torch-sys builds its own shim).
        .define("_GLIBCXX_USE_CXX11_ABI", "1")
        .warnings(false)
        .compile("edgefusion_qengine");
}
