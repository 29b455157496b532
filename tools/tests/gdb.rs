//! The gdb stub driven by Debian's real `gdb-multiarch` in batch mode.
//!
//! Oracles:
//! - bare metal (test-suites/baremetal/gdbtarget.c): gdb reads the program's ELF symbols
//!   and DWARF itself; register and memory values gdb shows are compared with what the
//!   program prints about itself over semihosting; the single-step PC path is the
//!   hand-written instruction sequence `stepseq` (offsets in its source); watchpoint old
//!   and new values are the program's arithmetic; the exit code is the value gdb wrote
//!   into `exit_status`; the program's output with gdb attached must equal its output
//!   without it; SCTLR_EL3's reset value 0x30c50830 is its RES1 bits (Arm ARM D13.2.118:
//!   bits 4, 5, 11, 16, 18, 22, 23, 28, 29; the program does not write it); MIDR_EL1 is
//!   the Cortex-A72 r0p3 value of the A72 TRM.
//! - Linux: the addresses of `start_kernel` and `secondary_start_kernel` come from the
//!   kernel's own /proc/kallsyms, printed by the same Image booted with `nokaslr` under
//!   qemu-system-aarch64 -M virt (recorded below for the Image with the recorded SHA-256;
//!   for any other Image the test boots it under qemu and reads kallsyms itself). At
//!   start_kernel the arm64 boot protocol and head.S have the kernel at EL1 (EL1h; the
//!   A72 has no VHE) with the MMU on (SCTLR_EL1.M).
//!
//! Engines: the bare-metal scenario runs with `--engine interp` and `--engine jit`.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn have_gdb() -> bool {
    let ok = Command::new("gdb-multiarch").arg("--version").stdout(Stdio::null()).status().is_ok_and(|s| s.success());
    assert!(ok || std::env::var_os("CI").is_none(), "gdb-multiarch is needed (Debian package gdb-multiarch): see README");
    ok
}

/// Extra arguments selecting each engine to test.
fn engines() -> Vec<Vec<&'static str>> {
    vec![vec!["--engine", "interp"], vec!["--engine", "jit"]]
}

/// A running `lsemu ... --gdb tcp:127.0.0.1:0 --wait-gdb`, with its port.
struct Emu {
    child: Child,
    port: u16,
    stderr: mpsc::Receiver<String>,
}

impl Emu {
    fn start(args: &[&std::ffi::OsStr], stdout: Stdio) -> Emu {
        let mut child = Command::new("timeout")
            .arg("900")
            .arg(env!("CARGO_BIN_EXE_lsemu"))
            .args(args)
            .args(["--gdb", "tcp:127.0.0.1:0", "--wait-gdb"])
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .expect("start lsemu");
        let err = child.stderr.take().unwrap();
        let (port_tx, port_rx) = mpsc::channel();
        let (all_tx, all_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut all = String::new();
            let mut r = BufReader::new(err);
            let mut line = String::new();
            while r.read_line(&mut line).unwrap_or(0) > 0 {
                if let Some(rest) = line.split("listening on tcp:127.0.0.1:").nth(1) {
                    let p: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
                    let _ = port_tx.send(p.parse::<u16>().unwrap_or(0));
                }
                all.push_str(&line);
                line.clear();
            }
            let _ = all_tx.send(all);
        });
        let port = port_rx.recv_timeout(Duration::from_secs(120)).expect("lsemu printed its gdb port");
        Emu { child, port, stderr: all_rx }
    }

    /// Waits for lsemu to end: exit code and stderr.
    fn wait(mut self) -> (i32, String) {
        let st = self.child.wait().expect("wait for lsemu");
        let err = self.stderr.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
        (st.code().unwrap_or(-1), err)
    }
}

/// Runs gdb-multiarch in batch mode on `script` (after connecting to `port`).
fn gdb(port: u16, elf: Option<&Path>, script: &str, tmp: &Path) -> String {
    let path = tmp.join("script.gdb");
    let full = format!("set pagination off\nset confirm off\nset width 0\ntarget remote 127.0.0.1:{port}\n{script}");
    std::fs::write(&path, full).unwrap();
    let mut c = Command::new("timeout");
    c.args(["600", "gdb-multiarch", "-nx", "-q", "-batch", "-x"]).arg(&path);
    if let Some(e) = elf {
        c.arg(e);
    }
    let o = c.stdin(Stdio::null()).output().expect("run gdb-multiarch");
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    println!("--- gdb\n{text}");
    text
}

/// The value after `tag` (hex) on the line starting with `tag` in gdb's output.
fn hex_after(out: &str, tag: &str) -> Vec<u64> {
    let line = out.lines().find(|l| l.starts_with(tag)).unwrap_or_else(|| panic!("no `{tag}` line in gdb output"));
    line[tag.len()..].split_whitespace().map(|w| u64::from_str_radix(w.trim_start_matches("0x"), 16).unwrap()).collect()
}

fn build_baremetal() -> PathBuf {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("baremetal-gdb");
    let st = Command::new("make")
        .args(["-s", "-C"])
        .arg(repo().join("test-suites/baremetal"))
        .arg(format!("OUT={}", out.display()))
        .arg(out.join("gdbtarget.elf"))
        .status()
        .expect("run make (needs gcc-aarch64-linux-gnu: see README)");
    assert!(st.success());
    out.join("gdbtarget.elf")
}

const BAREMETAL_SCRIPT: &str = r#"printf "PC0 %lx %lx\n", $pc, &_start
info threads
break checkpoint
continue
printf "CP1 %lx %lx\n", $x0, $x1
continue
printf "CP2 %lx %lx\n", $x0, $x1
x/8gx &table
delete
break *stepseq
continue
printf "LR %lx\n", $x30
printf "S0 %lx\n", $pc - (long)&stepseq
stepi
printf "S1 %lx\n", $pc - (long)&stepseq
stepi
printf "S2 %lx\n", $pc - (long)&stepseq
stepi
printf "S3 %lx\n", $pc - (long)&stepseq
stepi
printf "S4 %lx\n", $pc - (long)&stepseq
stepi
printf "S5 %lx %lx\n", $pc, $x0
delete
watch watched
continue
continue
delete
monitor el
printf "SCTLR3 %lx\n", $SCTLR_EL3
printf "MIDR %lx\n", $MIDR_EL1
info registers system
monitor sysreg SCTLR_EL3
monitor translate 0x80000000
monitor mc
monitor smmu
monitor qbman
monitor net
set var exit_status = 7
thread 2
printf "T2 %lx\n", $pc
thread 1
detach
"#;

#[test]
fn gdb_debugs_a_baremetal_program() {
    if !have_gdb() {
        eprintln!("skipped: gdb-multiarch missing");
        return;
    }
    let elf = build_baremetal();
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gdb-baremetal");
    std::fs::create_dir_all(&tmp).unwrap();
    // The program's own output without a debugger.
    let plain = Command::new(env!("CARGO_BIN_EXE_lsemu")).args(["run", "--semihosting", "--bios"]).arg(&elf).output().unwrap();
    assert_eq!(plain.status.code(), Some(0));
    let plain_out = String::from_utf8_lossy(&plain.stdout).into_owned();
    let printed = |prefix: &str| -> u64 {
        let l = plain_out.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("program printed no `{prefix}`"));
        u64::from_str_radix(l.rsplit(' ').next().unwrap(), 16).unwrap()
    };
    for engine in engines() {
        let out_file = tmp.join("stdout.txt");
        let mut args: Vec<&std::ffi::OsStr> = vec!["run".as_ref(), "--semihosting".as_ref(), "--smp".as_ref(), "2".as_ref()];
        args.extend(engine.iter().map(|s| std::ffi::OsStr::new(s)));
        args.extend(["--bios".as_ref(), elf.as_os_str()]);
        args.extend([std::ffi::OsStr::new("--net"), std::ffi::OsStr::new("dpmac.2=none")]);
        let emu = Emu::start(&args, Stdio::from(std::fs::File::create(&out_file).unwrap()));
        let g = gdb(emu.port, Some(&elf), BAREMETAL_SCRIPT, &tmp);
        let (code, err) = emu.wait();
        println!("--- lsemu {engine:?} stderr\n{err}");
        let mut out = String::new();
        std::fs::File::open(&out_file).unwrap().read_to_string(&mut out).unwrap();

        // Stopped at the first instruction, the ELF entry.
        let pc0 = hex_after(&g, "PC0 ");
        assert_eq!(pc0[0], pc0[1], "--wait-gdb stops at _start");
        assert!(g.contains("Thread 1.2"), "the second PE is gdb thread 2");
        // Breakpoint on a symbol, registers = the arguments the program printed.
        assert_eq!(hex_after(&g, "CP1 "), vec![1, printed("checkpoint 1 value")]);
        assert_eq!(hex_after(&g, "CP2 "), vec![2, printed("checkpoint 2 value")]);
        // Memory through the MMU view: the table the program prints after the stop.
        let mem: Vec<u64> = g
            .lines()
            .filter(|l| l.starts_with("0x") && l.contains("<table"))
            .flat_map(|l| l.split(':').nth(1).unwrap().split_whitespace().map(|w| u64::from_str_radix(&w[2..], 16).unwrap()).collect::<Vec<_>>())
            .collect();
        let want: Vec<u64> = (0..8).map(|i| printed(&format!("table[{i}] ="))).collect();
        assert_eq!(mem, want, "x/8gx &table");
        // Single steps: mov, add, b (skips the nop), lsl, ret.
        for (tag, off) in [("S0 ", 0), ("S1 ", 4), ("S2 ", 8), ("S3 ", 16), ("S4 ", 20)] {
            assert_eq!(hex_after(&g, tag), vec![off], "{tag}");
        }
        let lr = hex_after(&g, "LR ")[0];
        assert_eq!(hex_after(&g, "S5 "), vec![lr, (1 + 2) << 3], "ret to the caller with x0 = 24");
        // Watchpoint on the store in bump(): 0 -> 5, then 5 -> 12.
        let w1 = g.find("Old value = 0\nNew value = 5").expect("first watchpoint hit");
        let w2 = g.find("Old value = 5\nNew value = 12").expect("second watchpoint hit");
        assert!(w1 < w2);
        assert!(g.contains("Hardware watchpoint") && g[w1..].lines().nth(2).unwrap().contains("in bump"), "stops in bump");
        // Monitor commands and a system register through the target description.
        assert!(g.contains("cpu0: EL3h secure"), "monitor el");
        assert_eq!(hex_after(&g, "SCTLR3 "), vec![0x30c5_0830]);
        // Cortex-A72 r0p3 (A72 TRM, MIDR_EL1), read through the system-register feature.
        assert_eq!(hex_after(&g, "MIDR "), vec![0x410f_d083]);
        assert!(g.contains("\nCTR_EL0 "), "info registers system");
        assert!(g.contains("cpu0 SCTLR_EL3 = 0x0000000030c50830"), "monitor sysreg");
        assert!(g.contains("VA 0x80000000 -> PA 0x80000000"), "monitor translate with the MMU off");
        // `monitor mc`: the default DPL (devices/src/fslmc/dpl.rs DEFAULT_DPL): root dprc.1
        // holding dpio.0..7, dpbp.0..3, …, and child dprc.2 holding dpio.8. Its container
        // lines carry the ICID and MC portal the layout assigns, so only the names and the
        // DPL's object-to-container placement are checked.
        assert!(g.contains("\ndprc.1 (icid "), "monitor mc: root container dprc.1");
        assert!(g.contains("\n  dpio.0 (qbman portal ") && g.contains("\n  dpni.1 "), "monitor mc: dprc.1's objects");
        assert!(g.contains("\n  dprc.2 (icid ") && g.contains("\n    dpio.8 (qbman portal "), "monitor mc: child dprc.2 and its dpio.8");
        // `monitor smmu`: nothing has programmed the SMMU in a bare-metal run, so sCR0 holds
        // its reset value: MMU-500 TRM sCR0 reset = 0x00200001 (SMCFCFG bit 21, CLIENTPD bit 0).
        assert!(g.contains("MMU-500: sCR0 0x00200001 (client port disabled: all bypass"), "monitor smmu");
        // `monitor qbman`: the MC gives each DPIO's portal its container's ICID (default
        // DPL: dpio.0 in the root dprc.1, ICID 23; dpio.8 in the child dprc.2, the next ICID
        // 24, see `monitor mc` above); the program never initialises a portal, so SWP_CFG is
        // still 0 (qbman_swp_init has not run).
        assert!(g.contains("qbman portal 0: SWP_CFG 0x00000000 ") && g.contains("\nqbman portal 8: SWP_CFG 0x00000000 "), "monitor qbman: portals");
        let icid = |p: &str| g.lines().find(|l| l.starts_with(&format!("qbman portal {p}:"))).and_then(|l| l.split(" icid ").nth(1)).and_then(|r| r.split(' ').next()).map(str::to_string);
        assert_eq!((icid("0").as_deref(), icid("8").as_deref()), (Some("23"), Some("24")), "monitor qbman: portal ICIDs");
        // `monitor net`: the --net backend given above; the program has no network driver,
        // so no frame has passed.
        assert!(g.contains("dpmac.2: none (frames dropped); tx 0 frames 0 bytes, 0 dropped; rx 0 frames 0 bytes, 0 dropped"), "monitor net");
        assert!(g.contains("Switching to thread 2"), "thread 2");
        assert!(g.contains("detached"));
        // After detach the program runs to its end; gdb's write decides the exit code.
        assert_eq!(code, 7, "exit code written by gdb");
        assert_eq!(out, plain_out, "program output with and without gdb");
        assert!(!err.contains("panicked"));
    }
}

/// kallsyms of Debian's linux-image-6.1.0-56-arm64 (6.1.192-2) Image, decompressed, SHA-256
/// below, booted with `nokaslr` under qemu-system-aarch64 -M virt -cpu cortex-a72
/// (`grep -w -e start_kernel -e secondary_start_kernel /proc/kallsyms`).
const KNOWN_IMAGE_SHA256: &str = "01cdadc9c4ae4a89dccadba1245af64d8f723d49528b55514e1eefc539c1622d";
const KNOWN_START_KERNEL: u64 = 0xffff_8000_0966_09f4;
const KNOWN_SECONDARY_START_KERNEL: u64 = 0xffff_8000_0802_73a0;

/// (start_kernel, secondary_start_kernel) of the corpus Image: recorded, or read from
/// /proc/kallsyms of a qemu-system-aarch64 boot.
fn kernel_symbols(dir: &Path, tmp: &Path) -> (u64, u64) {
    use sha2::Digest;
    let img = std::fs::read(dir.join("Image")).unwrap();
    let sha: String = sha2::Sha256::digest(&img).iter().map(|b| format!("{b:02x}")).collect();
    if sha == KNOWN_IMAGE_SHA256 {
        return (KNOWN_START_KERNEL, KNOWN_SECONDARY_START_KERNEL);
    }
    println!("corpus Image {sha} is not the recorded one: reading kallsyms under qemu-system-aarch64");
    let script = tmp.join("kallsyms.sh");
    std::fs::write(&script, "echo 0 > /proc/sys/kernel/kptr_restrict\ngrep -w -e start_kernel -e secondary_start_kernel /proc/kallsyms\n").unwrap();
    let initrd = tmp.join("kallsyms.cpio.gz");
    let st = Command::new(env!("CARGO_BIN_EXE_lsemu"))
        .args(["initramfs", "--busybox"])
        .arg(dir.join("busybox"))
        .arg("--init-script")
        .arg(&script)
        .arg("-o")
        .arg(&initrd)
        .status()
        .unwrap();
    assert!(st.success());
    let o = Command::new("timeout")
        .args(["600", "qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a72", "-m", "1G", "-display", "none", "-serial", "stdio", "-monitor", "none"])
        .arg("-kernel")
        .arg(dir.join("Image"))
        .arg("-initrd")
        .arg(&initrd)
        .args(["-append", "console=ttyAMA0 nokaslr"])
        .stdin(Stdio::null())
        .output()
        .expect("qemu-system-aarch64 (Debian package qemu-system-arm)");
    let text = String::from_utf8_lossy(&o.stdout);
    let sym = |name: &str| -> u64 {
        let l = text.lines().find(|l| l.trim_end().ends_with(&format!(" {name}"))).unwrap_or_else(|| panic!("no {name} in kallsyms:\n{text}"));
        u64::from_str_radix(l.split_whitespace().next().unwrap(), 16).unwrap()
    };
    (sym("start_kernel"), sym("secondary_start_kernel"))
}

#[test]
fn gdb_breaks_in_linux_start_kernel_and_on_a_secondary_cpu() {
    let Some(dir) = common::corpus_or_skip(&[]) else {
        return;
    };
    if !have_gdb() {
        eprintln!("skipped: gdb-multiarch missing");
        return;
    }
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gdb-linux");
    std::fs::create_dir_all(&tmp).unwrap();
    let (start_kernel, secondary) = kernel_symbols(&dir, &tmp);
    let script = tmp.join("init.sh");
    std::fs::write(&script, "echo \"gdb-test: shell reached on $(grep -c ^processor /proc/cpuinfo) cpus\"\n").unwrap();
    let (image, dtb, busybox) = (dir.join("Image"), dir.join("fsl-ls2088a-rdb.dtb"), dir.join("busybox"));
    // One engine is enough here: the bare-metal test covers both.
    let args: Vec<&std::ffi::OsStr> = vec![
        "boot".as_ref(),
        "--kernel".as_ref(),
        image.as_os_str(),
        "--dtb".as_ref(),
        dtb.as_os_str(),
        "--busybox".as_ref(),
        busybox.as_os_str(),
        "--init-script".as_ref(),
        script.as_os_str(),
        "--append".as_ref(),
        "console=ttyS1,115200 earlycon nokaslr".as_ref(),
        "--smp".as_ref(),
        "2".as_ref(),
        "--max-insns".as_ref(),
        "20000000000".as_ref(),
    ];
    let out_file = tmp.join("console.txt");
    let emu = Emu::start(&args, Stdio::from(std::fs::File::create(&out_file).unwrap()));
    let g = gdb(
        emu.port,
        None,
        &format!(
            r#"hbreak *{start_kernel:#x}
continue
printf "PC %lx\n", $pc
printf "CPSR %x\n", $cpsr
printf "SCTLR1 %lx\n", $SCTLR_EL1
monitor el
delete
break *{secondary:#x}
continue
printf "PC2 %lx\n", $pc
info threads
thread 1
printf "PC1 %lx\n", $pc
delete
detach
"#
        ),
        &tmp,
    );
    let (code, err) = emu.wait();
    let console = std::fs::read_to_string(&out_file).unwrap();
    println!("--- lsemu stderr\n{err}\n--- console (tail)\n{}", console.lines().rev().take(20).collect::<Vec<_>>().join("\n"));
    assert_eq!(hex_after(&g, "PC "), vec![start_kernel]);
    let cpsr = hex_after(&g, "CPSR ")[0];
    assert_eq!(cpsr & 0xf, 0b0101, "EL1h at start_kernel (CPSR {cpsr:#x})");
    assert_eq!(hex_after(&g, "SCTLR1 ")[0] & 1, 1, "SCTLR_EL1.M: MMU on");
    assert!(g.contains("cpu0: EL1h non-secure") && g.contains("(MMU on)"), "monitor el");
    assert!(g.contains("Thread 2 hit Breakpoint 2"), "the secondary PE (thread 2) reaches secondary_start_kernel");
    assert_eq!(hex_after(&g, "PC2 "), vec![secondary]);
    assert_ne!(hex_after(&g, "PC1 "), vec![secondary], "thread 1 is another PE");
    assert!(g.contains("detached"));
    assert_eq!(code, 0, "lsemu exit code after detach");
    assert!(console.contains("gdb-test: shell reached on 2 cpus"), "the boot continues to the shell after detach");
    for bad in ["Oops", "BUG:", "Kernel panic"] {
        assert!(!console.contains(bad), "{bad} in the console log");
    }
}

#[test]
fn bad_gdb_option_is_one_clear_error() {
    let o = Command::new(env!("CARGO_BIN_EXE_lsemu")).args(["run", "--bios", "/nonexistent", "--gdb", "1234"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("expected tcp::PORT"), "{err}");
}

/// Ctrl-C (the 0x03 byte) stops a running guest and `k` ends the run, spoken in the
/// remote serial protocol directly (oracle: the protocol as gdb's manual defines it —
/// "Interrupts": the stub answers 0x03 with a stop reply, SIGINT being signal 2; "Packets":
/// `k` kills the target).
#[test]
fn ctrl_c_interrupts_a_running_guest_and_kill_ends_the_run() {
    use std::io::Write;
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gdb-ctrlc");
    std::fs::create_dir_all(&tmp).unwrap();
    let bin = tmp.join("loop.bin");
    // 0: add x0, x0, #1; 4: b 0 (aarch64-linux-gnu-as encodings)
    std::fs::write(&bin, [0x9100_0400u32, 0x17ff_ffff].iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>()).unwrap();
    let args: Vec<&std::ffi::OsStr> = vec!["run".as_ref(), "--bios".as_ref(), bin.as_os_str()];
    let emu = Emu::start(&args, Stdio::null());
    let mut s = std::net::TcpStream::connect(("127.0.0.1", emu.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let send = |s: &mut std::net::TcpStream, body: &str| {
        let sum = body.bytes().fold(0u8, |a, b| a.wrapping_add(b));
        s.write_all(format!("${body}#{sum:02x}").as_bytes()).unwrap();
    };
    // Reads one packet (skipping acks) and acknowledges it.
    let recv = |s: &mut std::net::TcpStream| -> String {
        let mut b = [0u8; 1];
        loop {
            s.read_exact(&mut b).unwrap();
            if b[0] == b'$' {
                break;
            }
        }
        let mut body = Vec::new();
        loop {
            s.read_exact(&mut b).unwrap();
            if b[0] == b'#' {
                break;
            }
            body.push(b[0]);
        }
        let mut cs = [0u8; 2];
        s.read_exact(&mut cs).unwrap();
        s.write_all(b"+").unwrap();
        // Run-length encoding: `c*n` is c followed by n - 29 more copies.
        let mut out = Vec::new();
        let mut i = 0;
        while i < body.len() {
            if body[i] == b'*' && i + 1 < body.len() {
                let last = *out.last().unwrap();
                out.extend(std::iter::repeat(last).take(body[i + 1] as usize - 29));
                i += 2;
            } else {
                out.push(body[i]);
                i += 1;
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    send(&mut s, "?");
    let first = recv(&mut s);
    assert!(first.starts_with('T') || first.starts_with('S'), "stop reply to `?`: {first}");
    send(&mut s, "vCont;c");
    std::thread::sleep(Duration::from_millis(300));
    s.write_all(&[0x03]).unwrap();
    let stop = recv(&mut s);
    assert!(stop.starts_with("T02") || stop.starts_with("S02"), "SIGINT stop reply: {stop}");
    // The guest ran: x0 (register 0, little-endian hex) counted up, PC is in the loop.
    send(&mut s, "p0");
    let x0 = recv(&mut s);
    let x0 = u64::from_str_radix(&x0, 16).map(u64::swap_bytes).unwrap();
    assert!(x0 > 1000, "x0 = {x0}");
    send(&mut s, "p20");
    let pc = recv(&mut s);
    assert!(pc == "0000008000000000" || pc == "0400008000000000", "pc (register 32): {pc}");
    send(&mut s, "k");
    let (code, err) = emu.wait();
    assert_eq!(code, 5, "exit code after kill: {err}");
    assert!(err.contains("killed by gdb"));
}

/// `--gdb unix:PATH`: gdb connects to the socket path (`target remote PATH`); the socket
/// file is removed when lsemu ends.
#[test]
fn gdb_over_a_unix_socket() {
    if !have_gdb() {
        eprintln!("skipped: gdb-multiarch missing");
        return;
    }
    let elf = build_baremetal();
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gdb-unix");
    std::fs::create_dir_all(&tmp).unwrap();
    let sock = tmp.join("gdb.sock");
    let _ = std::fs::remove_file(&sock);
    let mut child = Command::new(env!("CARGO_BIN_EXE_lsemu"))
        .args(["run", "--semihosting", "--bios"])
        .arg(&elf)
        .arg("--gdb")
        .arg(format!("unix:{}", sock.display()))
        .arg("--wait-gdb")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..600 {
        if sock.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let o = Command::new("timeout")
        .args(["120", "gdb-multiarch", "-nx", "-q", "-batch", "-ex"])
        .arg(format!("target remote {}", sock.display()))
        .args(["-ex", "printf \"PC %lx %lx\\n\", $pc, &_start", "-ex", "detach"])
        .arg(&elf)
        .output()
        .unwrap();
    let g = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    println!("{g}");
    let pc = hex_after(&g, "PC ");
    assert_eq!(pc[0], pc[1]);
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert!(!sock.exists(), "socket removed");
}
