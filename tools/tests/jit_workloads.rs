//! The benchmark workloads (bench/workloads/*.c: hashing, memory copying, sorting, a
//! tokenizer state machine, floating point), built with `-DQUICK` (an eighth of the
//! work), run as bare-metal programs under `lsemu run --engine jit` and `--engine interp`.
//! Oracle: the same source compiled natively for x86-64 and run on the host: every
//! checksum line must be identical, and the exit code 0.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

#[test]
fn workloads_match_native_under_both_engines() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-workloads-quick");
    let st = Command::new("make")
        .arg("-s")
        .arg("-C")
        .arg(repo().join("bench/workloads"))
        .arg(format!("OUT={}", out.display()))
        .arg("EXTRA=-DQUICK")
        .status()
        .expect("run make (needs make, gcc and gcc-aarch64-linux-gnu: see README)");
    assert!(st.success(), "building the workloads failed (needs gcc and gcc-aarch64-linux-gnu)");
    let mut names: Vec<String> = std::fs::read_dir(repo().join("bench/workloads"))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "c").then(|| p.file_stem().unwrap().to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    assert!(names.len() >= 5, "{names:?}");
    for name in &names {
        let native = Command::new(out.join("native").join(name)).output().expect("run the native build");
        assert!(native.status.success(), "{name}: native run failed");
        let want = String::from_utf8_lossy(&native.stdout).into_owned();
        assert!(want.lines().count() >= 1 && want.starts_with(name.as_str()), "{name}: native output {want:?}");
        for engine in ["jit", "interp"] {
            let elf = out.join("baremetal").join(format!("{name}.elf"));
            let o = Command::new(env!("CARGO_BIN_EXE_lsemu"))
                .args(["run", "--semihosting", "--engine", engine, "--max-insns", "2000000000", "--bios"])
                .arg(&elf)
                .output()
                .expect("run lsemu");
            let got = String::from_utf8_lossy(&o.stdout);
            assert_eq!(o.status.code(), Some(0), "{name} --engine {engine}: exit code; stderr: {}", String::from_utf8_lossy(&o.stderr));
            assert_eq!(got, want, "{name} --engine {engine}: checksums differ from the native build");
        }
    }
}
