//! Shared by the JIT's integration tests.

use std::process::Command;

/// Assembles `src` with the GNU assembler (aarch64-linux-gnu-as) into a flat binary of its
/// .text section, working in `CARGO_TARGET_TMPDIR/<dir>` with files named `name`.
pub fn assemble(dir: &str, name: &str, src: &str) -> Vec<u8> {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let s = dir.join(format!("{name}.s"));
    let o = dir.join(format!("{name}.o"));
    let b = dir.join(format!("{name}.bin"));
    std::fs::write(&s, src).unwrap();
    let st = Command::new("aarch64-linux-gnu-as").arg("-o").arg(&o).arg(&s).status().expect("aarch64-linux-gnu-as");
    assert!(st.success(), "assembling {name}");
    let st = Command::new("aarch64-linux-gnu-objcopy").args(["-O", "binary", "-j", ".text"]).arg(&o).arg(&b).status().expect("objcopy");
    assert!(st.success());
    std::fs::read(&b).unwrap()
}
