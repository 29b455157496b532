//! Generates the decoder tables from `isa/*.decode` (see the `a64-meta` crate).
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("isa");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("isa/ directory")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "decode"))
        .collect();
    paths.sort();
    let mut files = Vec::new();
    for p in &paths {
        println!("cargo:rerun-if-changed={}", p.display());
        files.push((p.display().to_string(), std::fs::read_to_string(p).unwrap()));
    }
    let table = match a64_meta::parse_all(&files) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error in A64 encoding table: {e}");
            std::process::exit(1);
        }
    };
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("a64_gen.rs");
    std::fs::write(out, a64_meta::generate(&table)).unwrap();
}
