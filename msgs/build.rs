//! Embeds every `.msg` file (ours in `msg/`, the standard ones in `interfaces/`) as a table of
//! (type name, text), so the definitions exist in one place: the `.msg` files themselves.

use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut entries = Vec::new();
    collect(&root.join("msg"), "edgefusion_msgs", &mut entries);
    let interfaces = root.join("interfaces");
    println!("cargo:rerun-if-changed={}", interfaces.display());
    println!("cargo:rerun-if-changed={}", root.join("msg").display());
    for pkg in read_dir_sorted(&interfaces) {
        if pkg.is_dir() {
            let name = pkg.file_name().unwrap().to_string_lossy().into_owned();
            collect(&pkg.join("msg"), &name, &mut entries);
        }
    }
    let mut code = String::from("pub(crate) static MSG_FILES: &[(&str, &str)] = &[\n");
    for (type_name, path) in entries {
        println!("cargo:rerun-if-changed={}", path);
        code.push_str(&format!("    ({type_name:?}, include_str!({path:?})),\n"));
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("msg_files.rs");
    std::fs::write(out, code).unwrap();
}

fn collect(dir: &Path, package: &str, entries: &mut Vec<(String, String)>) {
    for path in read_dir_sorted(dir) {
        if path.extension().is_some_and(|e| e == "msg") {
            let stem = path.file_stem().unwrap().to_string_lossy();
            entries.push((format!("{package}/msg/{stem}"), path.display().to_string()));
        }
    }
}

fn read_dir_sorted(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
}
