//! Bare-metal test programs (test-suites/baremetal/*.c, *.S): each runs under lsemu and,
//! unless its source says `LSEMU-ONLY` (it depends on the LS2088A memory map), under
//! qemu-system-aarch64 -M virt at EL3 as well; outputs and exit codes must be identical,
//! and every program must pass (exit 0, no FAIL line).

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn build() -> Vec<(String, PathBuf, bool)> {
    let src = repo().join("test-suites/baremetal");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("baremetal");
    let st = Command::new("make")
        .arg("-s")
        .arg("-C")
        .arg(&src)
        .arg(format!("OUT={}", out.display()))
        .status()
        .expect("run make (install make and gcc-aarch64-linux-gnu: see README)");
    assert!(st.success(), "building bare-metal programs failed (needs gcc-aarch64-linux-gnu: see README)");
    let mut progs = Vec::new();
    for e in std::fs::read_dir(&src).unwrap() {
        let p = e.unwrap().path();
        let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
        if ext != "c" && ext != "S" {
            continue;
        }
        let name = p.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&p).unwrap();
        progs.push((name.clone(), out.join(format!("{name}.elf")), text.contains("LSEMU-ONLY")));
    }
    progs.sort();
    progs
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let o = cmd.output().expect("start emulator");
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn baremetal_programs_pass_and_match_qemu() {
    let progs = build();
    assert!(!progs.is_empty());
    let have_qemu = Command::new("qemu-system-aarch64").arg("--version").output().is_ok();
    let mut failures = Vec::new();
    for (name, elf, lsemu_only) in &progs {
        let (code, out, err) = run(Command::new(env!("CARGO_BIN_EXE_lsemu")).args([
            "run",
            "--bios",
            elf.to_str().unwrap(),
            "--semihosting",
            "--max-insns",
            "500000000",
        ]));
        println!("--- {name}: lsemu exit {code}\n{out}{err}");
        if code != 0 || out.contains("FAIL") || err.contains("panicked") {
            failures.push(format!("{name}: lsemu exit {code}"));
        }
        if *lsemu_only {
            continue;
        }
        assert!(have_qemu, "qemu-system-aarch64 is needed (Debian package qemu-system-arm): see README");
        let (qcode, qout, qerr) = run(Command::new("timeout").stdin(std::process::Stdio::null()).args([
            "120",
            "qemu-system-aarch64",
            "-M",
            "virt,secure=on,virtualization=on",
            "-cpu",
            "cortex-a72",
            "-m",
            "3G",
            "-display",
            "none",
            "-monitor",
            "none",
            "-serial",
            "none",
            "-chardev",
            "stdio,id=sh0",
            "-semihosting-config",
            "enable=on,target=native,chardev=sh0",
            "-kernel",
            elf.to_str().unwrap(),
        ]));
        if (qcode, &qout) != (code, &out) {
            println!("qemu exit {qcode}\n{qout}{qerr}");
            failures.push(format!("{name}: lsemu (exit {code}) and qemu (exit {qcode}) differ"));
        }
    }
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}
