//! KVM on lsemu (issue 6): Debian's arm64 Linux 6.1, entered at EL2 on one core, must
//! initialise KVM with the GICv3 vGIC, and a small static VMM (test-suites/kvm-vgic/vmm.c,
//! cross-compiled here with aarch64-linux-gnu-gcc) must run a guest (guest.S) through
//! /dev/kvm. The VMM logs every KVM_RUN exit; the test checks the exact sequence.
//!
//! Oracle: the unmodified kernel. Its KVM/arm64 code decides, from what lsemu's EL2 reports
//! (ESR_EL2 ISS, HPFAR_EL2, FAR_EL2, the ICH_* state), what the VMM sees: an MMIO exit
//! carries the IPA from HPFAR_EL2 and the access size, direction and register from the
//! ESR_EL2 data-abort ISS (ISV/SAS/SSE/SRT/WnR), a wrong ISS would give a different exit
//! or none; the INTIDs the guest reports come from ICV_IAR1_EL1 reads of KVM's list
//! registers; SYSTEM_OFF comes from KVM's PSCI handler of the guest's HVC (EC 0x16). The
//! expected values below are what the guest program (guest.S) does, by the architecture
//! (a 32-bit LDR zero-extends) and by KVM's documented API
//! (Documentation/virt/kvm/api.rst: KVM_EXIT_MMIO, KVM_EXIT_SYSTEM_EVENT).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
}

/// Assembles guest.S, turns its raw image into `guest_bin.h` (the `xxd -i` layout the VMM
/// includes) and builds the static VMM. Returns the VMM path, or None without the cross
/// toolchain.
fn build_vmm(tmp: &Path) -> Option<PathBuf> {
    if Command::new("aarch64-linux-gnu-gcc").arg("--version").output().is_err() {
        return None;
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-suites/kvm-vgic");
    run(Command::new("aarch64-linux-gnu-as").arg("-o").arg(tmp.join("guest.o")).arg(src.join("guest.S")));
    run(Command::new("aarch64-linux-gnu-ld").arg("-Ttext=0x40000000").arg("-o").arg(tmp.join("guest.elf")).arg(tmp.join("guest.o")));
    run(Command::new("aarch64-linux-gnu-objcopy").args(["-O", "binary"]).arg(tmp.join("guest.elf")).arg(tmp.join("guest.bin")));
    let bin = std::fs::read(tmp.join("guest.bin")).expect("guest.bin");
    let bytes: Vec<String> = bin.iter().map(|b| format!("0x{b:02x}")).collect();
    let header = format!("unsigned char guest_bin[] = {{\n{}\n}};\nunsigned int guest_bin_len = {};\n", bytes.join(", "), bin.len());
    std::fs::write(tmp.join("guest_bin.h"), header).expect("write guest_bin.h");
    let vmm = tmp.join("vmm");
    run(Command::new("aarch64-linux-gnu-gcc").args(["-O2", "-static", "-Wall", "-Werror"]).arg("-I").arg(tmp).arg("-o").arg(&vmm).arg(src.join("vmm.c")));
    Some(vmm)
}

const SCRIPT: &str = r#"dmesg | grep -E "kvm \[|vgic" | sed 's/^\[[ 0-9.]*\] //; s/^/dmesg: /'
/bin/vmm
echo "lsemu-test: vmm exit $?"
"#;

/// The exact lines the VMM prints (the `kvm-` lines of the console), in order.
const EXPECTED: &[&str] = &[
    "kvm-test: API 12",
    "kvm-test: guest starts",
    // 1. STR X / STR W / STRH / STRB: the data is the register's low `len` bytes.
    "kvm-exit 1: MMIO write addr=0x10000000 len=8 data=0x1122334455667788",
    "kvm-exit 2: MMIO write addr=0x10000010 len=4 data=0xcafef00d",
    "kvm-exit 3: MMIO write addr=0x1000001a len=2 data=0xbeef",
    "kvm-exit 4: MMIO write addr=0x10000018 len=1 data=0xa5",
    // 2. LDR W1 of the answer 0x89abcdef zero-extends into X1 (which held all ones).
    "kvm-exit 5: MMIO read addr=0x10000020 len=4 answer=0x89abcdef",
    "kvm-exit 6: MMIO write addr=0x10000028 len=8 data=0x89abcdef",
    // LDRSH X2 of 0x8001: Linux 6.1's kvm_handle_mmio_return sign-extends from
    // ESR_EL2.ISS.SSE but then vcpu_data_host_to_guest() masks the value to `len` bytes
    // (arch/arm64/include/asm/kvm_emulate.h), so the guest register gets 0x8001, not the
    // architectural 0xffffffffffff8001. The oracle is what this kernel does; the SSE/SF
    // bits themselves are checked by the interpreter's unit tests (ldst/tests.rs).
    "kvm-exit 7: MMIO read addr=0x10000030 len=2 answer=0x8001",
    "kvm-exit 8: MMIO write addr=0x10000038 len=8 data=0x8001",
    // 3. The guest asks for SPI 40, takes it (ICV_IAR1_EL1 = 40), then its virtual timer
    // (PPI 27).
    "kvm-exit 9: MMIO write addr=0x10000040 len=8 data=0x1",
    "kvm-test: pulse SPI 40",
    "kvm-exit 10: MMIO write addr=0x10000048 len=8 data=0x28",
    "kvm-exit 11: MMIO write addr=0x10000048 len=8 data=0x1b",
    "kvm-exit 12: MMIO write addr=0x10000050 len=8 data=0x2",
    // 4. HVC PSCI SYSTEM_OFF.
    "kvm-exit 13: SYSTEM_EVENT type=1 (SHUTDOWN)",
    "kvm-test: done",
];

#[test]
fn kvm_vmm_runs_a_guest_with_mmio_vgic_timer_and_psci() {
    let Some(dir) = common::corpus_or_skip(&[]) else {
        return;
    };
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("kvm");
    std::fs::create_dir_all(&tmp).unwrap();
    let Some(vmm) = build_vmm(&tmp) else {
        assert!(std::env::var_os("CI").is_none(), "aarch64-linux-gnu-gcc missing");
        eprintln!("skipped: aarch64-linux-gnu-gcc missing");
        return;
    };
    let script = tmp.join("init.sh");
    std::fs::write(&script, SCRIPT).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lsemu"))
        .args(["boot", "--smp", "1", "--entry-el", "2", "--max-insns", "10000000000"])
        .arg("--kernel")
        .arg(dir.join("Image"))
        .arg("--dtb")
        .arg(dir.join("fsl-ls2088a-rdb.dtb"))
        .arg("--busybox")
        .arg(dir.join("busybox"))
        .arg("--init-script")
        .arg(&script)
        .arg("--add-file")
        .arg(format!("bin/vmm={}", vmm.display()))
        .stdin(Stdio::null())
        .output()
        .expect("run lsemu");
    let log = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    println!("{log}");
    assert_eq!(out.status.code(), Some(0), "lsemu exit code");
    for bad in ["Oops", "BUG:", "WARNING:", "Internal error", "Kernel panic", "kvm-test: guest exception"] {
        assert!(!log.contains(bad), "console shows {bad:?}");
    }
    // What the kernel's KVM init prints with a GICv3 CPU interface that has the
    // virtualization extension (ICH_VTR_EL2) and the maintenance interrupt from the DT.
    for want in [
        "dmesg: kvm [1]: GIC system register CPU interface enabled",
        "dmesg: kvm [1]: vgic interrupt IRQ",
        "dmesg: kvm [1]: Hyp mode initialized successfully",
    ] {
        assert!(log.lines().any(|l| l.starts_with(want)), "dmesg lacks {want:?}");
    }
    let got: Vec<&str> = log.lines().filter(|l| l.starts_with("kvm-")).collect();
    assert_eq!(got, EXPECTED, "VMM exits");
    assert!(log.contains("lsemu-test: vmm exit 0"), "VMM exit status");
}

/// Debian's arm64 qemu-system-aarch64 and its libraries, from
/// `test-suites/kvm-nested/fetch.sh` (run by scripts/test-all.sh).
fn qemu_arm64() -> Option<PathBuf> {
    let dir = std::env::var_os("LSEMU_QEMU_ARM64")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/lsemu/qemu-arm64")))?;
    (dir.join(".done").is_file() && dir.join("modules/.done").is_file()).then_some(dir)
}

const NESTED_HOST_SCRIPT: &str = r#"echo "nested-host: $(qemu-system-aarch64 --version | head -1)"
qemu-system-aarch64 -M virt,gic-version=3 -cpu host -enable-kvm -smp 2 -m 256M \
    -kernel /guest/Image -initrd /guest/initrd.gz -append "console=ttyAMA0 panic=-1" \
    -drive file=/guest/disk.img,if=none,format=raw,id=d0 -device virtio-blk-device,drive=d0 \
    -netdev user,id=n0 -device virtio-net-device,netdev=n0 \
    -display none -no-reboot -monitor none -serial stdio < /dev/null
echo "nested-host: qemu exit $?"
"#;

/// The L2 guest: Debian builds the virtio transport and drivers as modules, so the guest
/// initramfs carries them (from the corpus kernel's own package, fetch.sh) and loads them.
/// It reads a known file from the virtio-blk disk (a tar archive: busybox tar reads it
/// from the block device) and pings QEMU's user-network (slirp) gateway
/// 10.0.2.2, which answers ICMP echo itself: the request and reply cross the virtio-net link.
const NESTED_GUEST_SCRIPT: &str = r#"echo "nested-guest: $(grep -c ^processor /proc/cpuinfo) cpu(s), $(grep -m1 'CPU part' /proc/cpuinfo | tr -d '\t')"
for m in virtio_mmio virtio_blk failover net_failover virtio_net; do insmod /lib/modules/$m.ko || echo "nested-guest: insmod $m failed"; done
echo "nested-guest: nproc $(nproc)"
i=0; while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
echo "nested-guest: disk $(tar -xOf /dev/vda lsemu/known.txt)"
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0
ping -c 2 -W 5 10.0.2.2 > /tmp/ping.txt && echo "nested-guest: ping ok: $(grep transmitted /tmp/ping.txt)"
echo "nested-guest: done"
"#;

/// The contents of `lsemu/known.txt` in the tar archive (written by the host's GNU tar)
/// that is the nested guest's 64 KiB virtio-blk disk.
const NESTED_DISK_MARKER: &str = "lsemu-nested-disk: known.txt, a file on the virtio-blk disk";

/// Nested Linux: inside the lsemu-booted KVM host (2 cores, JIT engine), the unmodified
/// Debian qemu-system-aarch64 runs `-M virt,gic-version=3 -cpu host -enable-kvm -smp 2`
/// with a virtio-blk disk and a user-network virtio-net NIC, and boots the same Debian
/// kernel with a busybox initramfs, which checks both devices and powers off. Oracle: what
/// the unmodified L2 kernel and busybox report about the machine QEMU/KVM give it (QEMU's
/// virt board, KVM's SMCCC hypervisor services, the GICv3 redistributors at QEMU's
/// addresses, 2 CPUs brought up through KVM's PSCI, the Cortex-A72 part number 0xd08
/// through VPIDR_EL2, the disk's size and first sector as written here, ping replies from
/// slirp's gateway) and that QEMU exits 0 after the guest's PSCI SYSTEM_OFF.
/// Deterministic (virtual time), about 6e9 instructions. The JIT is tested elsewhere to
/// behave as the interpreter; here it keeps the test at about a minute (the interpreter
/// variant below takes about 2.5 min and gives the same console, so CI runs the JIT one).
#[test]
fn nested_linux_in_qemu_with_kvm() {
    nested_linux("jit");
}

/// The same nested boot on the reference interpreter.
#[test]
#[ignore = "slow (about 2.5 min on the interpreter): CI runs the JIT variant; run with --ignored"]
fn nested_linux_in_qemu_with_kvm_interp() {
    nested_linux("interp");
}

/// Runs the nested boot with `lsemu boot --engine ENGINE`.
fn nested_linux(engine: &str) {
    let Some(dir) = common::corpus_or_skip(&[]) else {
        return;
    };
    let Some(q) = qemu_arm64() else {
        assert!(std::env::var_os("CI").is_none(), "arm64 QEMU missing: run test-suites/kvm-nested/fetch.sh");
        eprintln!("skipped: arm64 QEMU missing (run test-suites/kvm-nested/fetch.sh)");
        return;
    };
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("kvm_nested_{engine}"));
    std::fs::create_dir_all(&tmp).unwrap();
    let lsemu = env!("CARGO_BIN_EXE_lsemu");
    std::fs::write(tmp.join("guest.sh"), NESTED_GUEST_SCRIPT).unwrap();
    std::fs::write(tmp.join("host.sh"), NESTED_HOST_SCRIPT).unwrap();
    std::fs::create_dir_all(tmp.join("disk/lsemu")).unwrap();
    std::fs::write(tmp.join("disk/lsemu/known.txt"), format!("{NESTED_DISK_MARKER}\n")).unwrap();
    run(Command::new("tar").arg("-cf").arg(tmp.join("disk.img")).args(["--format=ustar", "-C"]).arg(tmp.join("disk")).arg("lsemu/known.txt"));
    let mut disk = std::fs::read(tmp.join("disk.img")).unwrap();
    assert!(disk.len() <= 64 << 10);
    disk.resize(64 << 10, 0); // zero blocks after a tar archive are its end marker
    std::fs::write(tmp.join("disk.img"), disk).unwrap();
    let mut cmd = Command::new(lsemu);
    cmd.arg("initramfs").arg("--busybox").arg(dir.join("busybox")).arg("--init-script").arg(tmp.join("guest.sh"));
    for m in ["virtio_mmio", "virtio_blk", "failover", "net_failover", "virtio_net"] {
        cmd.arg("--add-file").arg(format!("lib/modules/{m}.ko={}", q.join("modules").join(format!("{m}.ko")).display()));
    }
    run(cmd.arg("-o").arg(tmp.join("guest-initrd.gz")));
    let mut files = vec![
        ("usr/bin/qemu-system-aarch64".to_string(), q.join("usr/bin/qemu-system-aarch64")),
        ("lib/ld-linux-aarch64.so.1".to_string(), q.join("lib/ld-linux-aarch64.so.1")),
        ("guest/Image".to_string(), dir.join("Image")),
        ("guest/initrd.gz".to_string(), tmp.join("guest-initrd.gz")),
        ("guest/disk.img".to_string(), tmp.join("disk.img")),
    ];
    let mut libs: Vec<_> = std::fs::read_dir(q.join("lib/aarch64-linux-gnu")).expect("qemu libraries").map(|e| e.unwrap().file_name()).collect();
    libs.sort();
    for l in libs {
        let l = l.to_string_lossy().into_owned();
        files.push((format!("lib/aarch64-linux-gnu/{l}"), q.join("lib/aarch64-linux-gnu").join(&l)));
    }
    let mut cmd = Command::new(lsemu);
    cmd.arg("initramfs").arg("--no-gzip").arg("--busybox").arg(dir.join("busybox")).arg("--init-script").arg(tmp.join("host.sh"));
    for (dest, src) in &files {
        cmd.arg("--add-file").arg(format!("{dest}={}", src.display()));
    }
    run(cmd.arg("-o").arg(tmp.join("host.cpio")));
    let out = Command::new(lsemu)
        .args(["boot", "--smp", "2", "--engine", engine, "--entry-el", "2", "--max-insns", "30000000000"])
        .arg("--kernel")
        .arg(dir.join("Image"))
        .arg("--dtb")
        .arg(dir.join("fsl-ls2088a-rdb.dtb"))
        .arg("--initrd")
        .arg(tmp.join("host.cpio"))
        .stdin(Stdio::null())
        .output()
        .expect("run lsemu");
    let log = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    println!("{log}");
    assert_eq!(out.status.code(), Some(0), "lsemu exit code");
    for bad in ["Oops", "BUG:", "WARNING:", "Internal error", "Kernel panic", "rcu: INFO", "nested-guest: insmod"] {
        assert!(!log.contains(bad), "console shows {bad:?}");
    }
    // The host, then QEMU's guest, in this order.
    let mut at = 0;
    for want in [
        "kvm [1]: Hyp mode initialized successfully",
        "nested-host: QEMU emulator version 7.2",
        "Machine model: linux,dummy-virt",
        "smccc: KVM: hypervisor services detected",
        "GICv3: CPU0: found redistributor 0 region 0:0x00000000080a0000",
        "GICv3: CPU1: found redistributor 1 region 0:0x00000000080c0000",
        "smp: Brought up 1 node, 2 CPUs",
        "nested-guest: 2 cpu(s), CPU part: 0xd08",
        // virtio_blk: 64 KiB = 128 sectors of 512 bytes.
        "[vda] 128 512-byte logical blocks (65.5 kB/64.0 KiB)",
        "nested-guest: nproc 2",
        &format!("nested-guest: disk {NESTED_DISK_MARKER}"),
        "nested-guest: ping ok: 2 packets transmitted, 2 packets received, 0% packet loss",
        "nested-guest: done",
        "reboot: Power down",
        "nested-host: qemu exit 0",
        "reboot: Power down",
    ] {
        match log[at..].find(want) {
            Some(i) => at += i + want.len(),
            None => panic!("console lacks {want:?} (in order)"),
        }
    }
}
