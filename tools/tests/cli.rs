//! Bad user input gets one clear error line and a non-zero exit, never a panic.

use std::process::Command;

fn lsemu(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lsemu")).args(args).output().expect("run lsemu");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn tmp(name: &str, data: &[u8]) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p.display().to_string()
}

/// A minimal valid ELF64 header for `machine`, with no program headers.
fn elf_header(machine: u16, class: u8) -> Vec<u8> {
    let mut h = vec![0u8; 64];
    h[..4].copy_from_slice(b"\x7fELF");
    h[4] = class; // EI_CLASS
    h[5] = 1; // little-endian
    h[6] = 1; // EV_CURRENT
    h[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    h[18..20].copy_from_slice(&machine.to_le_bytes());
    h[20..24].copy_from_slice(&1u32.to_le_bytes());
    h[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
    h[54..56].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
    h
}

fn assert_clean_error(code: i32, stderr: &str, needle: &str) {
    assert_eq!(code, 2, "exit code; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    assert!(stderr.contains(needle), "stderr should mention {needle:?}: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one error line expected: {stderr}");
}

#[test]
fn missing_file() {
    let (code, _, err) = lsemu(&["run", "--bios", "/nonexistent/prog.elf"]);
    assert_clean_error(code, &err, "cannot read /nonexistent/prog.elf");
}

#[test]
fn truncated_elf() {
    let mut h = elf_header(183, 2);
    h.truncate(40);
    let p = tmp("truncated.elf", &h);
    let (code, _, err) = lsemu(&["run", "--bios", &p]);
    assert_clean_error(code, &err, "truncated ELF header");
}

#[test]
fn elf_with_segment_past_end_of_file() {
    let mut h = elf_header(183, 2);
    // one program header at offset 64: PT_LOAD, offset 0, filesz 0x10000 (file is smaller)
    h[32..40].copy_from_slice(&64u64.to_le_bytes());
    h[56..58].copy_from_slice(&1u16.to_le_bytes());
    let mut ph = vec![0u8; 56];
    ph[0..4].copy_from_slice(&1u32.to_le_bytes());
    ph[24..32].copy_from_slice(&0x8000_0000u64.to_le_bytes());
    ph[32..40].copy_from_slice(&0x10000u64.to_le_bytes());
    ph[40..48].copy_from_slice(&0x10000u64.to_le_bytes());
    h.extend_from_slice(&ph);
    let p = tmp("short.elf", &h);
    let (code, _, err) = lsemu(&["run", "--bios", &p]);
    assert_clean_error(code, &err, "extends past the end of the file");
}

#[test]
fn non_aarch64_elf() {
    let p = tmp("x86.elf", &elf_header(62, 2)); // EM_X86_64
    let (code, _, err) = lsemu(&["run", "--bios", &p]);
    assert_clean_error(code, &err, "not AArch64");
}

#[test]
fn elf32_is_rejected() {
    let p = tmp("elf32.elf", &elf_header(183, 1));
    let (code, _, err) = lsemu(&["run", "--bios", &p]);
    assert_clean_error(code, &err, "32-bit ELF");
}

#[test]
fn empty_file() {
    let p = tmp("empty.bin", b"");
    let (code, _, err) = lsemu(&["run", "--bios", &p]);
    assert_clean_error(code, &err, "empty file");
}

#[test]
fn image_outside_ram() {
    let p = tmp("raw.bin", &[0u8; 16]);
    let (code, _, err) = lsemu(&["run", "--bios", &p, "--load-addr", "0x1000"]);
    assert_clean_error(code, &err, "not inside RAM");
}

#[test]
fn unknown_option() {
    let (code, _, err) = lsemu(&["run", "--bios", "x", "--frobnicate"]);
    assert_eq!(code, 2);
    assert!(err.contains("--frobnicate"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_memory_size() {
    let p = tmp("raw2.bin", &[0u8; 16]);
    let (code, _, err) = lsemu(&["run", "--bios", &p, "-m", "12Q"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown size suffix"), "{err}");
    let (code, _, err) = lsemu(&["run", "--bios", &p, "-m", "1M"]);
    assert_clean_error(code, &err, "RAM size");
}

#[test]
fn bad_smp() {
    let p = tmp("raw3.bin", &[0u8; 16]);
    let (code, _, err) = lsemu(&["run", "--bios", &p, "--smp", "9"]);
    assert_clean_error(code, &err, "1 to 8 cores");
}

#[test]
fn load_addr_with_elf_is_rejected() {
    let p = tmp("x.elf", &elf_header(183, 2));
    let (code, _, err) = lsemu(&["run", "--bios", &p, "--load-addr", "0x80000000"]);
    assert_clean_error(code, &err, "--load-addr is for raw binaries");
}

#[test]
fn exception_loop_is_reported() {
    // A raw image of UDF #0 words: every instruction is UNDEFINED, VBAR_EL3 = 0 points at
    // unmapped memory, so the PE can never make progress.
    let p = tmp("udf.bin", &[0u8; 64]);
    let (code, _, err) = lsemu(&["run", "--bios", &p]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("stuck taking exceptions"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// `lsemu boot --dpl` with a DPL lsemu cannot honour: one line naming the file and the
/// node, before anything else is read (the kernel path does not even exist).
#[test]
fn bad_dpl_names_the_node() {
    let p = tmp(
        "bad-dpl.dts",
        b"/dts-v1/;\n/ {\n containers { dprc@1 { parent = \"none\"; objects { obj@1 { obj_name = \"dpni@3\"; }; }; }; };\n objects { dpni@0 { }; };\n};\n",
    );
    let (code, _, err) = lsemu(&["boot", "--kernel", "/nonexistent/Image", "--dpl", &p]);
    assert_clean_error(code, &err, "/containers/dprc@1/objects/obj@1: obj_name = \"dpni@3\" names dpni@3, which /objects does not define");
    assert!(err.contains("bad-dpl.dts"), "{err}");
    let p = tmp("syntax-dpl.dts", b"/dts-v1/;\n/ {\n objects { dpni@0 { num_queues = <1> }; };\n};\n");
    let (code, _, err) = lsemu(&["boot", "--kernel", "/nonexistent/Image", "--dpl", &p]);
    assert_clean_error(code, &err, "line 3: expected ';'");
    let (code, _, err) = lsemu(&["boot", "--kernel", "/nonexistent/Image", "--dpl", "/nonexistent/dpl.dtb"]);
    assert_clean_error(code, &err, "cannot read /nonexistent/dpl.dtb");
}

#[test]
fn engine_option_accepts_interp_and_jit() {
    // `b .` (0x14000000) forever: both engines stop at --max-insns with exit code 4.
    let p = tmp("loop.bin", &0x1400_0000u32.to_le_bytes());
    for e in ["interp", "jit"] {
        let (code, _, err) = lsemu(&["run", "--bios", &p, "--engine", e, "--max-insns", "1000", "--stats"]);
        assert_eq!(code, 4, "--engine {e}: {err}");
        assert!(err.contains("stopped after --max-insns"), "--engine {e}: {err}");
        assert!(err.contains(&format!("lsemu: stats: instructions 1000 (engine {e})")), "--stats names the engine: {err}");
    }
    // `boot` takes the option too (then fails on the missing kernel, not on the option).
    for e in ["interp", "jit"] {
        let (code, _, err) = lsemu(&["boot", "--engine", e, "--kernel", "/nonexistent/Image"]);
        assert_clean_error(code, &err, "cannot read /nonexistent/Image");
    }
}

#[test]
fn unknown_engine_is_rejected() {
    let p = tmp("loop2.bin", &0x1400_0000u32.to_le_bytes());
    let (code, _, err) = lsemu(&["run", "--bios", &p, "--engine", "foo"]);
    assert_clean_error(code, &err, "unknown engine `foo` (expected interp or jit)");
    let (code, _, err) = lsemu(&["boot", "--engine", "foo", "--kernel", "/nonexistent/Image"]);
    assert_clean_error(code, &err, "unknown engine `foo`");
}

/// `--net`: a bad spec, an endpoint the DPL does not have, a capture file in a directory
/// that does not exist: one line each, exit code 2, before the guest starts (for `boot`,
/// before the kernel is even read).
#[test]
fn net_option_errors() {
    let p = tmp("net.bin", &[0u8; 16]);
    let (code, _, err) = lsemu(&["run", "--bios", &p, "--net", "dpmac.1"]);
    assert_clean_error(code, &err, "expected ENDPOINT=BACKEND");
    let (code, _, err) = lsemu(&["run", "--bios", &p, "--net", "dpmac.1=carrier-pigeon:x"]);
    assert_clean_error(code, &err, "unknown backend 'carrier-pigeon'");
    let (code, _, err) = lsemu(&["run", "--bios", &p, "--net", "eth0=none"]);
    assert_clean_error(code, &err, "dpmac.N or dpni.N");
    // The built-in DPL has dpmac.1 and dpmac.2 only.
    let (code, _, err) = lsemu(&["boot", "--kernel", "/nonexistent/Image", "--net", "dpmac.7=none"]);
    assert_clean_error(code, &err, "no dpmac.7 in the data-path layout");
    let (code, _, err) = lsemu(&["boot", "--kernel", "/nonexistent/Image", "--net", "dpmac.1=pcap:/nonexistent-dir/out.pcap"]);
    assert_clean_error(code, &err, "cannot create /nonexistent-dir/out.pcap");
    assert_eq!(err.matches("No such file or directory").count(), 1, "the cause once: {err}");
    let (code, _, err) = lsemu(&["run", "--bios", &p, "--net", "dpni.0=none", "--net", "dpni.0=none"]);
    assert_clean_error(code, &err, "dpni.0 is given a backend twice");
    let (code, _, err) = lsemu(&["run", "--bios", &p, "--net", "dpmac.1=udp:127.0.0.1:notaport,127.0.0.1:1"]);
    assert_clean_error(code, &err, "bad address '127.0.0.1:notaport'");
}

/// A valid `--net` is accepted: the capture file exists from startup with the classic
/// pcap header (values from the libpcap file format: magic a1b2c3d4 little-endian,
/// version 2.4, snaplen 65535, LINKTYPE_ETHERNET = 1), even if the guest never sends.
#[test]
fn net_option_opens_the_backend() {
    let p = tmp("net-udf.bin", &[0u8; 64]);
    let cap = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli").join("net.pcap");
    let _ = std::fs::remove_file(&cap);
    let spec = format!("dpmac.2=none,pcap={}", cap.display());
    let (code, _, err) = lsemu(&["run", "--bios", &p, "--net", &spec]);
    // The program itself is a stuck exception loop (see exception_loop_is_reported).
    assert_eq!(code, 3, "{err}");
    let h = std::fs::read(&cap).expect("capture file created");
    assert_eq!(
        h,
        [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0]
    );
}

/// `--net` endpoints come from the `--dpl` given, not from the built-in DPL.
#[test]
fn net_endpoints_follow_the_dpl() {
    let p = tmp(
        "net-dpl.dts",
        b"/dts-v1/;\n/ {\n containers { dprc@1 { parent = \"none\"; objects {\n  obj_set@dpni { type = \"dpni\"; ids = <0>; };\n  obj_set@dpmac { type = \"dpmac\"; ids = <5>; }; }; }; };\n objects { dpni@0 { }; dpmac@5 { }; };\n connections { connection@0 { endpoint1 = \"dpni@0\"; endpoint2 = \"dpmac@5\"; }; };\n};\n",
    );
    let (code, _, err) = lsemu(&["boot", "--kernel", "/nonexistent/Image", "--dpl", &p, "--net", "dpmac.1=none"]);
    assert_clean_error(code, &err, "no dpmac.1 in the data-path layout (it has: dpni.0, dpmac.5)");
    // dpmac.5 is accepted: the next thing to fail is the missing kernel.
    let (code, _, err) = lsemu(&["boot", "--kernel", "/nonexistent/Image", "--dpl", &p, "--net", "dpmac.5=none", "--net", "dpni.0=null"]);
    assert_clean_error(code, &err, "cannot read /nonexistent/Image");
}
