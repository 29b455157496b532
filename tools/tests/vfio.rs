//! vfio-fsl-mc on lsemu (issue 7, item 5): Debian's arm64 Linux 6.1 boots the kernel's RDB
//! dtb with a DPL that has a child container (dprc.3: dpni.1, dpbp.1, dpmcp.13); the init
//! script loads Debian's vfio, vfio_iommu_type1 and vfio-fsl-mc modules (fetched from the
//! corpus kernel's package by test-suites/vfio-fsl-mc/fetch.sh), rebinds dprc.3 from
//! fsl_mc_dprc to vfio-fsl-mc with driver_override, and a static userspace program
//! (test-suites/vfio-fsl-mc/vfio_mc.c, cross-compiled here with aarch64-linux-gnu-gcc)
//! drives the container through VFIO type1 as DPDK's fslmc bus would.
//!
//! Oracles: the unmodified kernel (its messages, sysfs, /proc/interrupts and the results
//! of the VFIO ioctls, whose values below are worked out from the 6.1 sources named at
//! each check), and the DPL (containers, objects, which object is where). What the test
//! shows about the model: the fixed-up `iommu-map` gives the child container its own
//! IOMMU group (StreamID = ICID), the MC answers through the child's portal (region
//! read/write emulation and an mmap()ed DPMCP portal), and an MC event raised in the
//! child container arrives as the eventfd of VFIO's handler — an MSI with DeviceID = the
//! child's ICID whose doorbell IOVA the SMMU model translated through the context bank of
//! VFIO's own (unmanaged) domain: an untranslated IOVA never reaches the ITS.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;

/// The DPL: a root container and a child container for VFIO (the same layout as
/// linux_boot.rs's fsl-mc test), in NXP's format (nxp-qoriq/mc-utils config/*/dpl-*.dts).
const DPL: &str = r#"/dts-v1/;
/ {
	dpl-version = <10>;
	containers {
		dprc@1 {
			compatible = "fsl,dprc";
			parent = "none";
			options = "DPRC_CFG_OPT_SPAWN_ALLOWED", "DPRC_CFG_OPT_ALLOC_ALLOWED", "DPRC_CFG_OPT_IRQ_CFG_ALLOWED";
			objects {
				obj_set@dpmac { type = "dpmac"; ids = <5>; };
				obj@200 { obj_name = "dpni@0"; };
				obj@300 { obj_name = "dpbp@0"; };
				obj_set@dpio { type = "dpio"; ids = <0 1>; };
				obj_set@dpmcp { type = "dpmcp"; ids = <1 2 3 4 5 6 7 8>; };
			};
		};
		dprc@3 {
			parent = "dprc@1";
			options = "DPRC_CFG_OPT_IRQ_CFG_ALLOWED";
			objects {
				obj@1 { obj_name = "dpni@1"; };
				obj@2 { obj_name = "dpbp@1"; };
				obj@3 { obj_name = "dpmcp@13"; };
			};
		};
	};
	objects {
		dpni@0 { num_queues = <1>; num_tcs = <1>; };
		dpni@1 { num_queues = <1>; num_tcs = <1>; };
		dpbp@0 { };
		dpbp@1 { };
		dpio@0 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpio@1 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpmac@5 { };
		dpmcp@1 { }; dpmcp@2 { }; dpmcp@3 { }; dpmcp@4 { }; dpmcp@5 { }; dpmcp@6 { }; dpmcp@7 { };
		dpmcp@8 { }; dpmcp@13 { };
	};
	connections {
		connection@0 { endpoint1 = "dpni@0"; endpoint2 = "dpmac@5"; };
	};
};
"#;

const SCRIPT: &str = r#"for m in vfio vfio_iommu_type1 vfio-fsl-mc; do insmod /lib/$m.ko || echo "lsemu-test: insmod $m failed"; done
g=$(basename $(readlink /sys/bus/fsl-mc/devices/dprc.3/iommu_group))
echo "lsemu-test: iommu groups dprc.1 $(basename $(readlink /sys/bus/fsl-mc/devices/dprc.1/iommu_group)) dprc.3 $g"
echo dprc.3 > /sys/bus/fsl-mc/drivers/fsl_mc_dprc/unbind
echo vfio-fsl-mc > /sys/bus/fsl-mc/devices/dprc.3/driver_override
echo dprc.3 > /sys/bus/fsl-mc/drivers/vfio-fsl-mc/bind
for d in dprc.3 dpni.1 dpbp.1 dpmcp.13; do echo "lsemu-test: $d driver $(basename $(readlink /sys/bus/fsl-mc/devices/$d/driver)) group $(basename $(readlink /sys/bus/fsl-mc/devices/$d/iommu_group))"; done
echo "lsemu-test: /dev/vfio: $(ls /dev/vfio | tr '\n' ' ')"
@ENV@/bin/vfio_mc dprc.3 $g @OBJS@
echo "lsemu-test: vfio_mc exit $?"
dmesg | grep "Unhandled context fault" | sed 's/^\[[^]]*\] /lsemu-test: dmesg /'
echo dprc.3 > /sys/bus/fsl-mc/drivers/vfio-fsl-mc/unbind
echo > /sys/bus/fsl-mc/devices/dprc.3/driver_override
echo dprc.3 > /sys/bus/fsl-mc/drivers/fsl_mc_dprc/bind
for d in dprc.3 dpbp.1 dpmcp.13; do echo "lsemu-test: back: $d driver $(basename "$(readlink /sys/bus/fsl-mc/devices/$d/driver)") override $(cat /sys/bus/fsl-mc/devices/$d/driver_override)"; done
grep ITS-fMSI /proc/interrupts | sed 's/^ *[0-9]*: *[0-9 ]*ITS-fMSI/lsemu-test: irq ITS-fMSI/'
echo "lsemu-test: done"
"#;

/// The static test program, or None without the cross compiler.
fn build_prog(tmp: &Path) -> Option<PathBuf> {
    common::cross_compile_static("vfio-fsl-mc/vfio_mc.c", &tmp.join("vfio_mc"))
}

/// The modules of test-suites/vfio-fsl-mc/fetch.sh, if there.
fn modules() -> Option<PathBuf> {
    let dir = std::env::var_os("LSEMU_VFIO_MODULES")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/lsemu/vfio-modules")))?;
    ["vfio.ko", "vfio_iommu_type1.ko", "vfio-fsl-mc.ko"].iter().all(|m| dir.join(m).is_file()).then_some(dir)
}

fn has(log: &str, want: &str) {
    assert!(log.lines().any(|l| l == want), "console lacks the line {want:?}");
}

/// Boots with `dpl`, binds dprc.3 to vfio-fsl-mc and runs vfio_mc on it and `objs`;
/// returns the console log after checking the exit code and the error markers, or None
/// (after a note) when the corpus, the modules or the cross compiler are missing.
fn boot_vfio(tag: &str, dpl: &str, objs: &str) -> Option<String> {
    boot_vfio_with(tag, dpl, objs, "", &[])
}

/// [`boot_vfio`] with `env` put before the program's command (`VAR=value `), and the
/// error markers in `expected` (messages the test itself provokes) allowed.
fn boot_vfio_with(tag: &str, dpl: &str, objs: &str, env: &str, expected: &[&str]) -> Option<String> {
    let dir = common::corpus_or_skip(&[])?;
    let Some(mods) = modules() else {
        assert!(std::env::var_os("CI").is_none(), "VFIO modules missing: run test-suites/vfio-fsl-mc/fetch.sh");
        eprintln!("skipped: VFIO modules missing (run test-suites/vfio-fsl-mc/fetch.sh)");
        return None;
    };
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(tag);
    std::fs::create_dir_all(&tmp).unwrap();
    let Some(prog) = build_prog(&tmp) else {
        assert!(std::env::var_os("CI").is_none(), "aarch64-linux-gnu-gcc missing");
        eprintln!("skipped: aarch64-linux-gnu-gcc missing");
        return None;
    };
    std::fs::write(tmp.join("dpl.dts"), dpl).unwrap();
    std::fs::write(tmp.join("init.sh"), SCRIPT.replace("@OBJS@", objs).replace("@ENV@", env)).unwrap();
    let mut cmd = common::boot_cmd(&dir, 2, 20_000_000_000, &tmp.join("init.sh"));
    cmd.arg("--dpl")
        .arg(tmp.join("dpl.dts"))
        .arg("--add-file")
        .arg(format!("/bin/vfio_mc={}", prog.display()));
    common::add_modules(&mut cmd, &mods, &["vfio", "vfio_iommu_type1", "vfio-fsl-mc"]);
    let out = cmd.stdin(Stdio::null()).output().expect("run lsemu");
    let mut log = String::from_utf8_lossy(&out.stdout).into_owned();
    log.push_str(&String::from_utf8_lossy(&out.stderr));
    println!("{log}");
    assert_eq!(out.status.code(), Some(0), "lsemu exit code");

    for bad in [
        "Oops", "BUG:", "WARNING:", "Kernel panic", "insmod", "failed errno", "VFIO_FSL_MC: Failed", "Unhandled context fault", "Blocked unknown Stream ID", "No interrupt remapping support",
        "VFIO_FSL_MC: reset device has failed", "dropped", "not implemented", "QBMan portal model:",
    ] {
        if expected.contains(&bad) {
            continue;
        }
        assert!(!log.contains(bad), "console shows {bad:?}");
    }
    Some(log)
}

#[test]
fn vfio_fsl_mc_drives_a_child_container() {
    let Some(log) = boot_vfio("vfio_fsl_mc", DPL, "dpni.1 dpbp.1 dpmcp.13") else {
        return;
    };

    // Groups: one per container (fsl_mc_device_group), dprc.1's first (probe order).
    has(&log, "lsemu-test: iommu groups dprc.1 0 dprc.3 1");
    // vfio-fsl-mc's bus notifier gives every object the container's override as
    // dprc_scan_container adds it, so all of them bind to it, in the container's group.
    for d in ["dprc.3", "dpni.1", "dpbp.1", "dpmcp.13"] {
        has(&log, &format!("lsemu-test: {d} driver vfio-fsl-mc group 1"));
        if d != "dprc.3" {
            assert!(log.contains(&format!("fsl-mc {d}: VFIO_FSL_MC: Setting driver override for device in dprc dprc.3")), "no override message for {d}");
        }
    }
    has(&log, "lsemu-test: /dev/vfio: 1 vfio ");

    let expected = [
        // VFIO_API_VERSION (uapi vfio.h) and the type1 backend being there.
        "vfio-test: api version 0",
        "vfio-test: type1 extension 1",
        // Viable: every device of group 1 is bound to vfio-fsl-mc.
        "vfio-test: group status 0 viable 1",
        "vfio-test: set container 0",
        // vfio_iommu_type1_attach_group: refuses without MSI isolation ("No interrupt
        // remapping support") — the ITS domain provides it (IRQ_DOMAIN_FLAG_MSI_REMAP).
        "vfio-test: set iommu type1 0",
        // arm-smmu's unmanaged domain uses the CPU's 4 KiB granule: 4K | 2M | 1G.
        "vfio-test: iommu info 0 pgsizes 0x40201000",
        "vfio-test: map dma iova 0x1000000 size 0x10000: 0",
        // vfio_dma_do_map: an overlapping mapping is -EEXIST.
        "vfio-test: map dma again: -17",
        // VFIO_DEVICE_FLAGS_FSL_MC (1<<6) | VFIO_DEVICE_FLAGS_RESET (DPRCs only);
        // one region (the child's MC portal), one IRQ (the DPRC's).
        "vfio-test: dprc.3 info 0 flags 0x41 regions 1 irqs 1",
        // Region index 0 at offset 0 (index << 40); 64 KiB = the portal as DPRC_GET_OBJ_REG
        // v3 reports it (DPRC API >= 6.6, checked below); READ|WRITE, never MMAP for a DPRC.
        "vfio-test: dprc.3 region 0: 0 offset 0x0 size 0x10000 flags 0x3",
        "vfio-test: dprc.3 irq 0: 0 flags 0x1 count 1",
        // vfio_fsl_mc_read: anything but 64 bytes at offset 0 is -EINVAL.
        "vfio-test: dprc.3 read of 8 bytes: -22",
        // The child portal works in the child's context: container id 3 (DPL dprc@3).
        "vfio-test: mc get_cont_id status 0 id 3",
        "vfio-test: mc dprc api version status 0 6.6",
        "vfio-test: mc dprc open status 0 token_nonzero 1",
        // ICID 24: the one the kernel itself derived for dprc.3 (hwirq 240000 below is
        // ICID × 10000 + index, fsl-mc-msi.c).
        "vfio-test: mc dprc attr status 0 id 3 icid 24",
        // The DPL's three objects of dprc@3.
        "vfio-test: mc obj count status 0 count 3",
        // A token not handed out on this portal: MC_CMD_STATUS_AUTH_ERR.
        "vfio-test: mc bad token status 3",
        // Objects: VFIO_DEVICE_FLAGS_FSL_MC only; counts = the kernel's obj_desc.
        "vfio-test: dpni.1 info 0 flags 0x40 regions 0 irqs 1",
        "vfio-test: dpbp.1 info 0 flags 0x40 regions 0 irqs 0",
        "vfio-test: dpmcp.13 info 0 flags 0x40 regions 1 irqs 1",
        // Page-aligned 64 KiB portal: MMAP|READ|WRITE.
        "vfio-test: dpmcp.13 region 0: 0 offset 0x0 size 0x10000 flags 0x7",
        // A command posted by stores into the mmap()ed DPMCP portal: its container is 3.
        "vfio-test: dpmcp.13 mmap portal get_cont_id status 0 id 3",
        "vfio-test: dpni set irqs eventfd 0",
        // fsl_mc_populate_irq_pool(dprc.3) + the ITS: DeviceID = ICID 24, event 0.
        "vfio-test: after set irqs: irq ITS-fMSI hwirq 240000 vfio-irq(dpni.1) count 0",
        "vfio-test: mc dpni open status 0",
        // The MSI address Linux wrote with DPRC_SET_OBJ_IRQ: the doorbell's IOVA in VFIO's
        // domain, MSI_IOVA_BASE 0x8000000 (arm-smmu.c) + GITS_TRANSLATER's offset in its
        // 4 KiB page (0x06030040 & 0xfff), composed by iommu_dma_compose_msi_msg; data =
        // event 0.
        "vfio-test: mc dpni get_irq status 0 addr 0x8000040 data 0",
        "vfio-test: mc dpni set_irq_mask status 0",
        "vfio-test: mc dpni set_irq_enable status 0",
        // Nothing pending yet: the non-blocking eventfd read fails.
        "vfio-test: eventfd before enable -1",
        "vfio-test: mc dpni enable status 0",
        // Link up (fixed link follows DPNI_ENABLE): one event, signalled by VFIO's handler.
        "vfio-test: eventfd after enable poll 1 read 8 count 1",
        // DPNI_IRQ_EVENT_LINK_CHANGED.
        "vfio-test: mc dpni irq status 0 0x1",
        "vfio-test: mc dpni clear_irq_status status 0",
        "vfio-test: mc dpni disable status 0",
        // Link down: a second event.
        "vfio-test: eventfd after disable poll 1 read 8 count 1",
        "vfio-test: mc dpni clear_irq_status status 0",
        "vfio-test: after two events: irq ITS-fMSI hwirq 240000 vfio-irq(dpni.1) count 2",
        // Link up again: a third event.
        "vfio-test: mc dpni enable again status 0",
        "vfio-test: eventfd after enable poll 1 read 8 count 1",
        // The DPRC's own IRQ: the next resource of the child's pool (fsl-mc-allocator.c
        // hands out the free list in order: event 1, hwirq 240001), programmed with
        // DPRC_SET_IRQ through the child's portal at the same doorbell IOVA.
        "vfio-test: dprc.3 set irqs eventfd 0",
        "vfio-test: mc dprc get_irq status 0 addr 0x8000040 data 1",
        "vfio-test: after dprc set irqs: irq ITS-fMSI hwirq 240000 vfio-irq(dpni.1) count 3",
        "vfio-test: after dprc set irqs: irq ITS-fMSI hwirq 240001 vfio-irq(dprc.3) count 0",
        // count 0 + DATA_NONE frees the handler (vfio_set_trigger(-1)): its line goes.
        "vfio-test: dprc.3 release irq 0",
        "vfio-test: after dprc release: irq ITS-fMSI hwirq 240000 vfio-irq(dpni.1) count 3",
        // VFIO_DEVICE_RESET → DPRC_RESET_CONT(dprc.3, NON_RECURSIVE) on its own portal
        // (vfio_fsl_mc_reset_device). By the MC API (dprc_reset_container): the objects
        // are reset and the object handles owned by the container are closed, so the old
        // DPNI token is refused (AUTH_ERR); reopened, the DPNI is disabled with its IRQ
        // disabled, and no event was raised.
        "vfio-test: dprc.3 reset 0",
        "vfio-test: mc dpni old token after reset status 3",
        "vfio-test: mc dpni reopen status 0",
        "vfio-test: mc dpni enabled after reset status 0 en 0",
        "vfio-test: mc dpni irq enable after reset status 0 en 0",
        "vfio-test: mc dpni close status 0",
        "vfio-test: eventfd after reset -1",
        "vfio-test: mc dprc close status 0",
        "vfio-test: unmap dma 0 size 0x10000",
        "vfio-test: done",
    ];
    let is_obj = |l: &str| l.strip_prefix("vfio-test: mc obj ").is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()));
    let got: Vec<&str> = log.lines().filter(|l| l.starts_with("vfio-test:") && !is_obj(l)).collect();
    assert_eq!(got, expected, "vfio_mc's steps");
    // The objects the child portal lists are the DPL's dprc@3 objects (any order), with
    // the IRQ and region counts Linux uses for them (ls2088a-reference.md §4.10).
    let mut objs: Vec<&str> = log.lines().filter(|l| is_obj(l)).map(|l| l.split_once(" status 0 ").map_or(l, |x| x.1)).collect();
    objs.sort_unstable();
    assert_eq!(objs, ["dpbp.1 irqs 0 regions 0", "dpmcp.13 irqs 1 regions 1", "dpni.1 irqs 1 regions 0"]);
    has(&log, "lsemu-test: vfio_mc exit 0");
    // Handed back to the kernel: vfio-fsl-mc's remove takes the objects away, the
    // fsl_mc_dprc probe rescans the container without overrides (sysfs shows a NULL
    // override as "(null)"), dpbp/dpmcp go back to the allocator, and the DPRC's IRQ is
    // event 0 of a fresh pool again (hwirq 240000), now in the kernel's DMA domain.
    for d in ["dprc.3 driver fsl_mc_dprc", "dpbp.1 driver fsl_mc_allocator", "dpmcp.13 driver fsl_mc_allocator"] {
        has(&log, &format!("lsemu-test: back: {d} override (null)"));
    }
    assert_eq!(log.matches("fsl_mc_dprc dprc.3: DPRC device bound to driver").count(), 2, "dprc.3 bound at boot and again");
    // Columns after "lsemu-test: irq ITS-fMSI": hwirq, trigger, name.
    let irqs: Vec<String> = log.lines().filter(|l| l.starts_with("lsemu-test: irq ITS-fMSI")).map(|l| l.split_whitespace().skip(3).collect::<Vec<_>>().join(" ")).collect();
    assert_eq!(irqs, ["230000 Edge dprc.1", "240000 Edge dprc.3"]);
    has(&log, "lsemu-test: done");
}

/// A device of the child container writes into memory that userspace mapped with
/// VFIO_IOMMU_MAP_DMA: with a DPIO in dprc.3, vfio_mc mmap()s its QBMan portal (region 1,
/// the cache-inhibited page) and posts a volatile dequeue with results to memory at the
/// mapping's IOVA (0x1000000). No FQ holds frames, so QBMan writes one empty result
/// there, which the program reads from its own buffer: verb DQ (Linux qbman-portal.h:
/// `(verb & 0x7f) == QBMAN_RESULT_DQ` 0x60), stat VOLATILE|EXPIRED (0x03), its token
/// (0x2a) copied, nothing beyond the one 64-byte result. The write reaches the buffer only
/// if the SMMU model translated StreamID 24 through the page tables of VFIO's domain;
/// otherwise arm-smmu reports a context fault (checked by boot_vfio).
#[test]
fn vfio_dma_from_a_child_dpio_reaches_the_mapping() {
    let dpl = dpl_with_dpio();
    let Some(log) = boot_vfio("vfio_fsl_mc_dma", &dpl, "dpni.1 dpbp.1 dpmcp.13 dpio.2") else {
        return;
    };
    // DPIO: two regions (CENA, CINH: 64 KiB each, page-aligned → MMAP|READ|WRITE), one IRQ.
    for want in [
        "vfio-test: dpio.2 info 0 flags 0x40 regions 2 irqs 1",
        "vfio-test: dpio.2 region 0: 0 offset 0x0 size 0x10000 flags 0x7",
        "vfio-test: dpio.2 region 1: 0 offset 0x10000000000 size 0x10000 flags 0x7",
        "vfio-test: dpio.2 vdq result in the dma buffer: verb&0x7f 0x60 stat 0x3 tok 0x2a, next entry untouched 1",
        "vfio-test: unmap dma 0 size 0x10000",
        "lsemu-test: vfio_mc exit 0",
    ] {
        has(&log, want);
    }
}

/// The test DPL with a DPIO (dpio@2) added to the child container dprc@3.
fn dpl_with_dpio() -> String {
    let dpl = DPL
        .replace("obj@3 { obj_name = \"dpmcp@13\"; };", "obj@3 { obj_name = \"dpmcp@13\"; };\n\t\t\t\tobj@4 { obj_name = \"dpio@2\"; };")
        .replace("dpio@1 { channel_mode", "dpio@2 { channel_mode = \"DPIO_LOCAL_CHANNEL\"; num_priorities = <8>; };\n\t\tdpio@1 { channel_mode");
    assert!(dpl.contains("obj_name = \"dpio@2\"") && dpl.contains("dpio@2 {"), "DPL edit");
    dpl
}


/// Issue 7's SMMU test: a device DMA to an IOVA that is not mapped in its VFIO domain
/// faults, the unmodified arm-smmu driver reports it, and no memory is touched.
///
/// vfio_mc (VFIO_MC_SMMU_FAULT=1) takes a page of its own RAM, finds its physical
/// address P (/proc/self/pagemap), maps two canary pages at the IOVAs P - 4 KiB and
/// P + 4 KiB, and has dpio.2's QBMan portal write a volatile dequeue result to IOVA
/// P + 0x40, which VFIO never mapped; then a result to the mapped buffer; then again to
/// P + 0x80.
///
/// Oracles: the kernel's arm_smmu_context_fault (drivers/iommu/arm/arm-smmu/arm-smmu.c):
/// VFIO type1 installs no fault handler, so report_iommu_fault is -ENOSYS and it prints
/// "Unhandled context fault: fsr=, iova=(FAR), fsynr=(FSYNR0), cbfrsynra=, cb=", then
/// clears FSR by writing it back. The values, from the SMMUv2 architecture (IHI 0062):
/// - fsr 0x402: FSR.TF (bit 1, translation fault) | FSR.FORMAT [10:9] = 0b10 (AArch64
///   descriptors, which arm-smmu programs for its stage-1 io-pgtable on arm64); no SS
///   (bit 30) as arm-smmu leaves SCTLR.CFCFG = 0 (terminate), no MULTI (bit 31): each
///   fault is taken after the driver cleared the previous one.
/// - iova: FAR = the input address of the faulting write, P + 0x40 then P + 0x80.
/// - fsynr 0x13: FSYNR0.WNR (bit 4, a write) | PLVL [1:0] = 3: the canaries make the
///   level-3 table covering P exist (one of P ± 4 KiB is always in P's 2 MiB block), so
///   the walk fails on the invalid level-3 descriptor; an unprivileged data access
///   (PNU, bit 5, and IND, bit 6, clear); not a table-walk fault (PTWF, bit 10, clear).
/// - cbfrsynra 0x18: the stream ID of the faulting transaction = the ICID of dprc.3, 24
///   (the MC's DPRC_GET_ATTR answer checked by vfio_fsl_mc_drives_a_child_container, and
///   the kernel's own ICID × 10000 MSI hwirq 240000 there), the fsl-mc `iommu-map` of the
///   RDB dtb being ICID → StreamID one to one.
/// - cb: both faults in the same context bank (VFIO's domain).
/// Memory: the RAM page at P (what an identity/bypass translation would have hit) and
/// both canary pages keep their fill bytes, read back by the program; the result is not
/// written anywhere (QMan's write was terminated). The context goes on: the mapped DMA
/// in between lands (same line as vfio_dma_from_a_child_dpio_reaches_the_mapping), and
/// the second fault is reported again (FSR was cleared, the interrupt raised afresh).
#[test]
fn vfio_dma_to_an_unmapped_iova_faults_in_the_smmu() {
    let dpl = dpl_with_dpio();
    let Some(log) = boot_vfio_with("vfio_smmu_fault", &dpl, "dpni.1 dpbp.1 dpmcp.13 dpio.2", "VFIO_MC_SMMU_FAULT=1 ", &["Unhandled context fault", "QBMan portal model:"]) else {
        return;
    };
    for want in [
        "vfio-test: fault: ram page found 1",
        "vfio-test: fault: canaries mapped at P-4K and P+4K 1",
        "vfio-test: dpio.2 vdq result in the dma buffer: verb&0x7f 0x60 stat 0x3 tok 0x2a, next entry untouched 1",
        "vfio-test: unmap dma 0 size 0x10000",
        "lsemu-test: vfio_mc exit 0",
    ] {
        has(&log, want);
    }
    let iovas: Vec<u64> = log
        .lines()
        .filter_map(|l| l.strip_prefix("vfio-test: dpio.2 fault vdq iova 0x"))
        .map(|h| u64::from_str_radix(h.trim(), 16).expect("hex iova"))
        .collect();
    assert_eq!(iovas.len(), 2, "two faulting DMAs");
    // P is a page of the program's RAM: page-aligned + 0x40 / + 0x80, in the same page.
    assert_eq!(iovas[0] & 0xfff, 0x40);
    assert_eq!(iovas[1], iovas[0] + 0x40);
    assert_eq!(log.matches("vfio-test: dpio.2 after fault: ram at the iova untouched 1, canaries untouched 1").count(), 2, "memory untouched after each fault");

    let faults: Vec<&str> = log.lines().filter_map(|l| l.strip_prefix("lsemu-test: dmesg ")).collect();
    assert_eq!(faults.len(), 2, "one context fault reported per faulting DMA: {faults:?}");
    let mut cbs = Vec::new();
    for (f, iova) in faults.iter().zip(&iovas) {
        let want = format!("arm-smmu 5000000.iommu: Unhandled context fault: fsr=0x402, iova={iova:#010x}, fsynr=0x13, cbfrsynra=0x18, cb=");
        let cb = f.strip_prefix(&want).unwrap_or_else(|| panic!("dmesg line {f:?}, expected {want:?}N"));
        cbs.push(cb.parse::<u32>().expect("cb number"));
    }
    assert_eq!(cbs[0], cbs[1], "both faults in VFIO's context bank");
}
