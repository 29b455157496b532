//! PCIe: Debian's Linux 6.1 drives the LS2088A's first PCIe controller (pci-layerscape /
//! DesignWare host, built in) and the NVMe function `lsemu boot --nvme FILE` puts behind
//! it (Debian's nvme module, from the corpus kernel's package: test-suites/pcie-nvme/
//! fetch.sh). Oracles: the unmodified kernel's messages (link up, enumeration with the
//! IDs and class the model reports, BAR assignment, IOMMU group, nvme probe, MSI-X
//! vectors through the ITS), busybox reading a file that the host's GNU tar wrote to the
//! image, and the host reading back, after the run, the block the guest wrote. And
//! vfio-pci: Debian's vfio modules hand the function to a userspace NVMe driver
//! (test-suites/pcie-nvme/vfio_nvme.c) whose DMA and MSI-X go through VFIO's SMMU domain.
//! And vfio-pci into a KVM guest: Debian's qemu-system-aarch64 (test-suites/kvm-nested/
//! fetch.sh) gives the function to an L2 Linux that probes it and reads the same file.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Debian's modules, in load order (dependencies first, as `modinfo -F depends` lists them).
const MODULES: [&str; 7] = ["crc64", "crc64-rocksoft", "crct10dif_common", "crc-t10dif", "t10-pi", "nvme-core", "nvme"];
/// The vfio-pci stack, in load order.
const VFIO_MODULES: [&str; 5] = ["vfio", "vfio_iommu_type1", "vfio_virqfd", "vfio-pci-core", "vfio-pci"];

const MARKER: &str = "lsemu-pcie: known.txt, a file on the NVMe disk";
const GUEST_DATA: &str = "lsemu-pcie: written by the guest through nvme";
/// The block the guest writes (well after the tar archive).
const WRITE_LBA: u64 = 1024;

fn script() -> String {
    format!(
        r#"for m in {mods}; do insmod /lib/$m.ko || echo "lsemu-test: insmod $m failed"; done
for d in /sys/bus/pci/devices/*; do echo "lsemu-test: pci $(basename $d) $(cat $d/vendor) $(cat $d/device) $(cat $d/class) driver $(basename $(readlink $d/driver))"; done
i=0; while [ ! -b /dev/nvme0n1 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
echo "lsemu-test: size $(cat /sys/block/nvme0n1/size) ro $(cat /sys/block/nvme0n1/ro)"
echo "lsemu-test: disk $(tar -xOf /dev/nvme0n1 lsemu/known.txt)"
echo "{GUEST_DATA}" | dd of=/dev/nvme0n1 bs=512 seek={WRITE_LBA} conv=sync,fsync 2>/dev/null && echo "lsemu-test: write ok" || echo "lsemu-test: write failed"
grep nvme0q /proc/interrupts | while read n c0 c1 chip rest; do echo "lsemu-test: irq" $chip $rest "fired $((c0 + c1 > 0))"; done
echo "lsemu-test: done"
"#,
        mods = MODULES.join(" ")
    )
}

fn modules_dir() -> Option<PathBuf> {
    std::env::var_os("LSEMU_NVME_MODULES")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/lsemu/nvme-modules")))
        .filter(|d| MODULES.iter().chain(&VFIO_MODULES).all(|m| d.join(format!("{m}.ko")).is_file()))
}

/// A 1 MiB image: a ustar archive (host GNU tar) holding lsemu/known.txt, then zeros.
fn make_image(tmp: &Path) -> PathBuf {
    std::fs::create_dir_all(tmp.join("disk/lsemu")).unwrap();
    std::fs::write(tmp.join("disk/lsemu/known.txt"), format!("{MARKER}\n")).unwrap();
    let img = tmp.join("disk.img");
    let st = Command::new("tar").arg("-cf").arg(&img).args(["--format=ustar", "-C"]).arg(tmp.join("disk")).arg("lsemu/known.txt").status().expect("run tar");
    assert!(st.success());
    let mut disk = std::fs::read(&img).unwrap();
    assert!(disk.len() <= 64 << 10);
    disk.resize(1 << 20, 0);
    std::fs::write(&img, disk).unwrap();
    img
}

fn boot(dir: &Path, tmp: &Path, img: &Path, extra: &[&str]) -> (i32, String) {
    boot_with(dir, tmp, img, extra, &script(), &MODULES, &[])
}

/// Boots with `script`, the modules `mods` in /lib and `files` (DEST, host path).
fn boot_with(dir: &Path, tmp: &Path, img: &Path, extra: &[&str], script: &str, modules: &[&str], files: &[(&str, &Path)]) -> (i32, String) {
    let mods = modules_dir().expect("checked");
    let script_path = tmp.join("init.sh");
    std::fs::write(&script_path, script).unwrap();
    let mut cmd = common::boot_cmd(dir, 2, 20_000_000_000, &script_path);
    cmd.arg("--nvme").arg(img).args(extra);
    common::add_modules(&mut cmd, &mods, modules);
    for (dest, f) in files {
        cmd.arg("--add-file").arg(format!("{dest}={}", f.display()));
    }
    let out = cmd.stdin(Stdio::null()).output().expect("run lsemu");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

fn setup(tag: &str) -> Option<(PathBuf, PathBuf)> {
    let dir = common::corpus_or_skip(&[])?;
    if modules_dir().is_none() {
        assert!(std::env::var_os("CI").is_none(), "NVMe modules missing: run test-suites/pcie-nvme/fetch.sh");
        eprintln!("skipped: NVMe modules missing (run test-suites/pcie-nvme/fetch.sh)");
        return None;
    }
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(tag);
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    Some((dir, tmp))
}

fn check_common(log: &str, msi: bool) {
    for bad in ["Oops", "BUG:", "WARNING:", "Kernel panic", "Phy link never came up", "insmod", "No iATU", "timeout", "failed to"] {
        assert!(!log.contains(bad), "console shows {bad:?}");
    }
    for want in [
        // DesignWare host: viewport iATU with the DT's 6 regions, 4 KiB granule.
        "layerscape-pcie 3400000.pcie: iATU unroll: disabled",
        "layerscape-pcie 3400000.pcie: iATU regions: 6 ob, 6 ib, align 4K, limit 4G",
        // Link status register of the root port's PCIe capability: 8 GT/s x4.
        "layerscape-pcie 3400000.pcie: PCIe Gen.3 x4 link up",
        "pci 0000:00:00.0: [1957:80c0] type 01 class 0x060400",
        "pci 0000:01:00.0: [1957:0e01] type 00 class 0x010802",
        // BAR0: 16 KiB, 64-bit, placed at the start of the DT's memory window.
        "pci 0000:01:00.0: BAR 0 [mem 0x2040000000-0x2040003fff 64bit]: assigned",
        "nvme 0000:01:00.0: Adding to iommu group",
        "nvme nvme0: pci function 0000:01:00.0",
        "lsemu-test: pci 0000:00:00.0 0x1957 0x80c0 0x060400 driver pcieport",
        "lsemu-test: pci 0000:01:00.0 0x1957 0x0e01 0x010802 driver nvme",
        &format!("lsemu-test: disk {MARKER}"),
        "lsemu-test: done",
    ] {
        assert!(log.contains(want), "console lacks {want:?}");
    }
    let irqs: &[&str] = if msi {
        // MSI-X vectors 0 (admin queue) and 1 (I/O queue 1) in the ITS MSI domain, which
        // numbers PCI MSIs (requester ID << 11) | vector: 0x100 << 11 = 524288; the
        // admin queue's has fired (the admin commands completed by interrupt).
        &["lsemu-test: irq ITS-MSI 524288 Edge nvme0q0 fired 1", "lsemu-test: irq ITS-MSI 524289 Edge nvme0q1 fired", "nvme nvme0: 2/0/0 default/read/poll queues"]
    } else {
        // pci=nomsi: INTA, which the DT's interrupt-map routes to SPI 109 = INTID 141,
        // level-triggered, shared by the port's PME service and the admin and only
        // I/O queue.
        &["lsemu-test: irq GICv3 141 Level PCIe PME, nvme0q0, nvme0q1 fired 1", "nvme nvme0: 1/0/0 default/read/poll queues"]
    };
    for want in irqs {
        assert!(log.contains(want), "console lacks {want:?}");
    }
}

/// Linux enumerates the controller and the NVMe function, the nvme driver binds, the
/// guest reads a file from the tar archive on the disk and writes a block the host then
/// finds in the image file.
#[test]
fn nvme_disk_read_and_written_by_linux() {
    let Some((dir, tmp)) = setup("pcie_nvme_rw") else {
        return;
    };
    let img = make_image(&tmp);
    let before = std::fs::read(&img).unwrap();
    let (code, log) = boot(&dir, &tmp, &img, &[]);
    println!("{log}");
    assert_eq!(code, 0, "lsemu exit code");
    check_common(&log, true);
    // 1 MiB = 2048 sectors of 512 bytes.
    assert!(log.contains("lsemu-test: size 2048 ro 0"));
    assert!(log.contains("lsemu-test: write ok"));
    let after = std::fs::read(&img).unwrap();
    assert_eq!(after.len(), before.len());
    let at = (WRITE_LBA * 512) as usize;
    // dd conv=sync pads the block with NULs; echo adds a newline.
    let mut want = format!("{GUEST_DATA}\n").into_bytes();
    want.resize(512, 0);
    assert_eq!(&after[at..at + 512], &want[..], "the guest's block in the image");
    // Nothing else changed.
    assert_eq!(&after[..at], &before[..at]);
    assert_eq!(&after[at + 512..], &before[at + 512..]);
}

/// With --nvme-read-only the namespace is write protected: Linux marks the disk
/// read-only, the guest's write fails, and the image is unchanged. This boot also runs
/// with `pci=nomsi`: the driver falls back to the pin-based interrupt (INTA).
#[test]
fn nvme_read_only_image_is_not_written() {
    let Some((dir, tmp)) = setup("pcie_nvme_ro") else {
        return;
    };
    let img = make_image(&tmp);
    let before = std::fs::read(&img).unwrap();
    let (code, log) = boot(&dir, &tmp, &img, &["--nvme-read-only", "--append", "console=ttyS1,115200 earlycon pci=nomsi"]);
    println!("{log}");
    assert_eq!(code, 0, "lsemu exit code");
    check_common(&log, false);
    assert!(log.contains("lsemu-test: size 2048 ro 1"));
    assert!(log.contains("lsemu-test: write failed"));
    assert_eq!(std::fs::read(&img).unwrap(), before);
}

/// A bad image: one error line naming it, exit code 2, before anything boots.
#[test]
fn bad_nvme_images_are_refused() {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pcie_bad_image");
    std::fs::create_dir_all(&tmp).unwrap();
    let odd = tmp.join("odd.img");
    std::fs::write(&odd, vec![0u8; 1000]).unwrap();
    let empty = tmp.join("empty.img");
    std::fs::write(&empty, b"").unwrap();
    let missing = tmp.join("missing.img");
    for (img, what) in [(&odd, "size 1000 bytes is not a non-zero multiple of 512"), (&empty, "size 0 bytes"), (&missing, "cannot open the disk image"), (&tmp, "")] {
        let out = Command::new(env!("CARGO_BIN_EXE_lsemu"))
            .arg("boot")
            .arg("--kernel")
            .arg(tmp.join("no-kernel"))
            .arg("--nvme")
            .arg(img)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("lsemu: error: --nvme "), "{err}");
        assert!(err.contains(what), "{err}");
    }
    assert_eq!(std::fs::read(&odd).unwrap(), vec![0u8; 1000]);
}

const VFIO_SCRIPT: &str = r#"for m in vfio vfio_iommu_type1 vfio_virqfd vfio-pci-core vfio-pci; do insmod /lib/$m.ko || echo "lsemu-test: insmod $m failed"; done
echo vfio-pci > /sys/bus/pci/devices/0000:01:00.0/driver_override
echo 0000:01:00.0 > /sys/bus/pci/drivers_probe
d=/sys/bus/pci/devices/0000:01:00.0
g=$(basename $(readlink $d/iommu_group))
echo "lsemu-test: driver $(basename $(readlink $d/driver)) group members $(ls $d/iommu_group/devices | tr '\n' ' ')"
/bin/vfio_nvme $g 0000:01:00.0
echo "lsemu-test: done"
"#;

/// vfio-pci: the NVMe function is handed to userspace (its IOMMU group holds it and the
/// root port, which pcieport leaves to VFIO: driver_managed_dma), and vfio_nvme.c drives
/// it as SPDK would: config space and BAR0 through the VFIO regions, queues and data in a
/// VFIO_IOMMU_MAP_DMA mapping at IOVA 0x100000 (the SMMU translates the function's stream
/// ID 8 in VFIO's domain), completions signalled by MSI-X vector 0 on an eventfd (the ITS
/// doorbell mapped into that domain by the kernel). Oracles: the unmodified kernel's VFIO
/// and SMMU drivers (every step is an ioctl that fails otherwise), the model string and
/// IDs from the spec-defined Identify layout, and LBA 0 = the ustar header host GNU tar
/// wrote (member name, "ustar" magic at offset 257).
#[test]
fn vfio_pci_hands_the_nvme_function_to_userspace() {
    let Some((dir, tmp)) = setup("pcie_vfio") else {
        return;
    };
    let Some(prog) = common::cross_compile_static("pcie-nvme/vfio_nvme.c", &tmp.join("vfio_nvme")) else {
        assert!(std::env::var_os("CI").is_none(), "aarch64-linux-gnu-gcc missing");
        eprintln!("skipped: aarch64-linux-gnu-gcc missing");
        return;
    };
    let img = make_image(&tmp);
    let before = std::fs::read(&img).unwrap();
    let (code, log) = boot_with(&dir, &tmp, &img, &[], VFIO_SCRIPT, &VFIO_MODULES, &[("/bin/vfio_nvme", &prog)]);
    println!("{log}");
    assert_eq!(code, 0, "lsemu exit code");
    for bad in ["Oops", "BUG:", "WARNING:", "Kernel panic", "insmod", "FAIL", "Unhandled context fault"] {
        assert!(!log.contains(bad), "console shows {bad:?}");
    }
    for want in [
        "vfio-pci 0000:01:00.0: Adding to iommu group",
        "lsemu-test: driver vfio-pci group members 0000:00:00.0 0000:01:00.0 ",
        "vfio-nvme: vendor 0x1957 device 0x0e01 class 0x010802",
        "vfio-nvme: BAR0 size 0x4000",
        "vfio-nvme: VS 0x00010400",
        "vfio-nvme: identify status 0 vid 0x1957 model 'lsemu NVMe disk'",
        "vfio-nvme: create I/O queues status 0",
        "vfio-nvme: read LBA 0 status 0: tar member 'lsemu/known.txt', magic 'ustar'",
        "vfio-nvme: done",
        "lsemu-test: done",
    ] {
        assert!(log.contains(want), "console lacks {want:?}");
    }
    assert_eq!(std::fs::read(&img).unwrap(), before, "the image is only read");
}

/// Issue 7's SMMU test through PCIe: vfio_nvme (VFIO_NVME_SMMU_FAULT=1) reads LBA 0 with
/// PRP1 = IOVA P + 0x200, where P is the physical address of a page of its own RAM and
/// IOVA P is not mapped in VFIO's domain (canary pages are mapped at P ± 4 KiB).
/// Oracles: the unmodified arm-smmu driver's context-fault message (arm-smmu.c
/// arm_smmu_context_fault; VFIO installs no fault handler): fsr 0x402 = FSR.TF (bit 1) |
/// FORMAT [10:9] 0b10 (AArch64 bank); iova = FAR = the faulting input address; fsynr 0x13
/// = FSYNR0.WNR (bit 4: the data write of a Read command) | PLVL 3 (the canaries make P's
/// level-3 table exist); cbfrsynra 0x8 = the endpoint's stream ID from the `iommu-map`
/// U-Boot's PCIe fix-up gives RID 0x100 (board.rs PCIE1_EP_STREAM_ID, the Chassis-3
/// plan). NVMe 1.4 figure 128: a transfer that had an error completes with Data Transfer
/// Error, generic status 04h (status field 0x4, no DNR). The page at P and the canaries
/// keep their fill bytes (read back by the program), and the next read to the mapping
/// returns the tar header again: the function and the context go on.
#[test]
fn vfio_nvme_read_to_an_unmapped_iova_faults_in_the_smmu() {
    let Some((dir, tmp)) = setup("pcie_vfio_fault") else {
        return;
    };
    let Some(prog) = common::cross_compile_static("pcie-nvme/vfio_nvme.c", &tmp.join("vfio_nvme")) else {
        assert!(std::env::var_os("CI").is_none(), "aarch64-linux-gnu-gcc missing");
        eprintln!("skipped: aarch64-linux-gnu-gcc missing");
        return;
    };
    let img = make_image(&tmp);
    let before = std::fs::read(&img).unwrap();
    let script = VFIO_SCRIPT.replace("/bin/vfio_nvme", "VFIO_NVME_SMMU_FAULT=1 /bin/vfio_nvme").replace(
        "echo \"lsemu-test: done\"",
        "dmesg | grep \"Unhandled context fault\" | sed 's/^\\[[^]]*\\] /lsemu-test: dmesg /'\necho \"lsemu-test: done\"",
    );
    assert!(script.contains("VFIO_NVME_SMMU_FAULT=1") && script.contains("lsemu-test: dmesg"), "script edit");
    let (code, log) = boot_with(&dir, &tmp, &img, &[], &script, &VFIO_MODULES, &[("/bin/vfio_nvme", &prog)]);
    println!("{log}");
    assert_eq!(code, 0, "lsemu exit code");
    for bad in ["Oops", "BUG:", "WARNING:", "Kernel panic", "insmod", "FAIL"] {
        assert!(!log.contains(bad), "console shows {bad:?}");
    }
    for want in [
        "vfio-nvme: read LBA 0 status 0: tar member 'lsemu/known.txt', magic 'ustar'",
        "vfio-nvme: after the fault: ram at the iova untouched 1, canaries untouched 1",
        "vfio-nvme: read LBA 0 again status 0: tar member 'lsemu/known.txt', magic 'ustar'",
        "vfio-nvme: done",
        "lsemu-test: done",
    ] {
        assert!(log.contains(want), "console lacks {want:?}");
    }
    let line = log.lines().find_map(|l| l.strip_prefix("vfio-nvme: read LBA 0 to unmapped iova 0x")).expect("the faulting read");
    let (hex, status) = line.split_once(' ').expect("iova and status");
    let iova = u64::from_str_radix(hex, 16).expect("hex iova");
    assert_eq!(iova & 0xfff, 0x200, "P + 0x200");
    assert_eq!(status, "status 0x4", "Data Transfer Error");
    let faults: Vec<&str> = log.lines().filter_map(|l| l.strip_prefix("lsemu-test: dmesg ")).collect();
    assert_eq!(faults.len(), 1, "one context fault: {faults:?}");
    let want = format!("arm-smmu 5000000.iommu: Unhandled context fault: fsr=0x402, iova={iova:#010x}, fsynr=0x13, cbfrsynra=0x8, cb=");
    let cb = faults[0].strip_prefix(&want).unwrap_or_else(|| panic!("dmesg line {:?}, expected {want:?}N", faults[0]));
    assert!(cb.parse::<u32>().is_ok(), "cb number {cb:?}");
    assert_eq!(std::fs::read(&img).unwrap(), before, "the image is only read");
}

/// Debian's arm64 qemu-system-aarch64 and its libraries (test-suites/kvm-nested/fetch.sh).
fn qemu_arm64() -> Option<PathBuf> {
    let dir = std::env::var_os("LSEMU_QEMU_ARM64")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/lsemu/qemu-arm64")))?;
    dir.join(".done").is_file().then_some(dir)
}

/// The KVM host: binds the NVMe function to vfio-pci and hands it to QEMU/KVM.
const VFIO_KVM_HOST_SCRIPT: &str = r#"for m in vfio vfio_iommu_type1 vfio_virqfd vfio-pci-core vfio-pci; do insmod /lib/$m.ko || echo "lsemu-test: insmod $m failed"; done
echo vfio-pci > /sys/bus/pci/devices/0000:01:00.0/driver_override
echo 0000:01:00.0 > /sys/bus/pci/drivers_probe
d=/sys/bus/pci/devices/0000:01:00.0
echo "lsemu-test: driver $(basename $(readlink $d/driver)) group $(basename $(readlink $d/iommu_group)) members $(ls $d/iommu_group/devices | tr '\n' ' ')"
qemu-system-aarch64 -M virt,gic-version=3 -cpu host -enable-kvm -smp 1 -m 128M \
    -kernel /guest/Image -initrd /guest/initrd.gz -append "console=ttyAMA0 panic=-1" \
    -device vfio-pci,host=0000:01:00.0 \
    -display none -no-reboot -monitor none -serial stdio -nodefaults < /dev/null
echo "lsemu-test: qemu exit $?"
"#;

/// The L2 guest: Debian's nvme modules, then the file from the tar archive on the disk,
/// and a block written.
fn vfio_kvm_guest_script() -> String {
    format!(
        r#"for m in {mods}; do insmod /lib/modules/$m.ko || echo "l2-guest: insmod $m failed"; done
for d in /sys/bus/pci/devices/*; do echo "l2-guest: pci $(basename $d) $(cat $d/vendor) $(cat $d/device) $(cat $d/class)"; done
i=0; while [ ! -b /dev/nvme0n1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
echo "l2-guest: size $(cat /sys/block/nvme0n1/size)"
echo "l2-guest: disk $(tar -xOf /dev/nvme0n1 lsemu/known.txt)"
echo "{L2_DATA}" | dd of=/dev/nvme0n1 bs=512 seek={WRITE_LBA} conv=sync,fsync 2>/dev/null && echo "l2-guest: write ok" || echo "l2-guest: write failed"
grep nvme0q /proc/interrupts | while read n c0 chip rest; do echo "l2-guest: irq" $chip $rest "fired $((c0 > 0))"; done
echo "l2-guest: done"
"#,
        mods = MODULES.join(" ")
    )
}

/// What the L2 guest writes at WRITE_LBA (the device reads it from the L2's RAM by DMA).
const L2_DATA: &str = "lsemu-pcie: written by the KVM guest through vfio-pci";

/// vfio-pci + KVM: the lsemu-booted host binds the NVMe function to vfio-pci and the
/// unmodified Debian qemu-system-aarch64 (`-enable-kvm -device vfio-pci`) hands it to an
/// L2 guest running the same Debian kernel. QEMU maps BAR0 into the guest (stage 2 of
/// lsemu's EL2 pointing at the host PA of the BAR), emulates the MSI-X table, and routes
/// the function's MSI-X (physical ITS -> vfio eventfd -> KVM irqfd -> KVM's vITS); the
/// disk's DMA goes through the SMMU with VFIO's domain mapping the guest's RAM.
/// Oracles: the unmodified L2 kernel (PCI enumeration on QEMU's virt ECAM with the IDs
/// and class the function reports, nvme probe, MSI-X vectors in its ITS domain), busybox
/// tar reading the file host GNU tar wrote into the image, and the host reading back,
/// after the run, the block the L2 guest wrote.
#[test]
fn vfio_pci_nvme_in_a_kvm_guest() {
    let Some((dir, tmp)) = setup("pcie_vfio_kvm") else {
        return;
    };
    let Some(q) = qemu_arm64() else {
        assert!(std::env::var_os("CI").is_none(), "arm64 QEMU missing: run test-suites/kvm-nested/fetch.sh");
        eprintln!("skipped: arm64 QEMU missing (run test-suites/kvm-nested/fetch.sh)");
        return;
    };
    let lsemu = env!("CARGO_BIN_EXE_lsemu");
    let mods = modules_dir().expect("checked");
    std::fs::write(tmp.join("guest.sh"), vfio_kvm_guest_script()).unwrap();
    let mut cmd = Command::new(lsemu);
    cmd.arg("initramfs").arg("--busybox").arg(dir.join("busybox")).arg("--init-script").arg(tmp.join("guest.sh"));
    for m in MODULES {
        cmd.arg("--add-file").arg(format!("lib/modules/{m}.ko={}", mods.join(format!("{m}.ko")).display()));
    }
    let st = cmd.arg("-o").arg(tmp.join("guest-initrd.gz")).status().expect("run lsemu initramfs");
    assert!(st.success());
    let mut files: Vec<(String, PathBuf)> = vec![
        ("/usr/bin/qemu-system-aarch64".into(), q.join("usr/bin/qemu-system-aarch64")),
        ("/lib/ld-linux-aarch64.so.1".into(), q.join("lib/ld-linux-aarch64.so.1")),
        ("/guest/Image".into(), dir.join("Image")),
        ("/guest/initrd.gz".into(), tmp.join("guest-initrd.gz")),
    ];
    let mut libs: Vec<_> = std::fs::read_dir(q.join("lib/aarch64-linux-gnu")).expect("qemu libraries").map(|e| e.unwrap().file_name()).collect();
    libs.sort();
    for l in libs {
        let l = l.to_string_lossy().into_owned();
        files.push((format!("/lib/aarch64-linux-gnu/{l}"), q.join("lib/aarch64-linux-gnu").join(&l)));
    }
    let files: Vec<(&str, &Path)> = files.iter().map(|(d, s)| (d.as_str(), s.as_path())).collect();
    let img = make_image(&tmp);
    let before = std::fs::read(&img).unwrap();
    let (code, log) = boot_with(&dir, &tmp, &img, &[], VFIO_KVM_HOST_SCRIPT, &VFIO_MODULES, &files);
    println!("{log}");
    assert_eq!(code, 0, "lsemu exit code");
    for bad in ["Oops", "BUG:", "WARNING:", "Internal error", "Kernel panic", "insmod", "Unhandled context fault", "timeout", "rcu: INFO"] {
        assert!(!log.contains(bad), "console shows {bad:?}");
    }
    let mut at = 0;
    for want in [
        "lsemu-test: driver vfio-pci group 2 members 0000:00:00.0 0000:01:00.0 ",
        "Machine model: linux,dummy-virt",
        // QEMU's virt board with KVM's in-kernel ITS (vgic-its) at QEMU's address.
        "ITS [mem 0x08080000-0x0809ffff]",
        // The function as QEMU presents it on its ECAM bus: device 1 behind QEMU's host
        // bridge, IDs and class read from the real (emulated) config space through VFIO.
        "pci 0000:00:01.0: [1957:0e01] type 00 class 0x010802",
        "nvme nvme0: pci function 0000:00:01.0",
        // -smp 1: one I/O queue.
        "nvme nvme0: 1/0/0 default/read/poll queues",
        "l2-guest: pci 0000:00:01.0 0x1957 0x0e01 0x010802",
        // 1 MiB = 2048 sectors of 512 bytes (Identify Namespace, read by DMA).
        "l2-guest: size 2048",
        &format!("l2-guest: disk {MARKER}"),
        // MSI-X vectors 0 and 1 in the L2's ITS MSI domain: (requester ID 0x08 << 11) |
        // vector; both fired (physical ITS -> vfio eventfd -> KVM irqfd -> vITS).
        "l2-guest: write ok",
        "l2-guest: irq ITS-MSI 16384 Edge nvme0q0 fired 1",
        "l2-guest: irq ITS-MSI 16385 Edge nvme0q1 fired 1",
        "l2-guest: done",
        "reboot: Power down",
        "lsemu-test: qemu exit 0",
    ] {
        match log[at..].find(want) {
            Some(i) => at += i + want.len(),
            None => panic!("console lacks {want:?} (in order)"),
        }
    }
    // The L2's block is in the image (dd conv=sync pads with NULs; echo adds a newline),
    // nothing else changed.
    let after = std::fs::read(&img).unwrap();
    assert_eq!(after.len(), before.len());
    let at = (WRITE_LBA * 512) as usize;
    let mut want = format!("{L2_DATA}\n").into_bytes();
    want.resize(512, 0);
    assert_eq!(&after[at..at + 512], &want[..], "the L2 guest's block in the image");
    assert_eq!(&after[..at], &before[..at]);
    assert_eq!(&after[at + 512..], &before[at + 512..]);
}
