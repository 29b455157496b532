//! Linux's arm-smmu driver reads the MMU-500 model's global fault registers and prints
//! them: the kernel is the oracle for the fault recording and the interrupt wiring.
//!
//! Debian's 6.1 kernel boots in-process on one core with the RDB DTB (no initramfs: the
//! test stops long before userspace). Once the driver has probed (it enabled the SMMU with
//! sCR0.USFCFG = 1, CONFIG_ARM_SMMU_DISABLE_BYPASS_BY_DEFAULT=y), a bus master with stream
//! ID 0x2a that no SMR matches reads IOVA 0x1234_5000 through `SysBus::with_dma`. By the
//! SMMUv2 architecture that is an Unidentified Stream Fault: sGFSR = USF (bit 1) =
//! 0x00000002, sGFSYNR0 = 0 (a read: WNR clear), sGFSYNR1 = the stream ID 0x2a,
//! sGFSYNR2 = 0, signalled on the first global fault interrupt (SPI 13). Linux's
//! `arm_smmu_global_fault` must then print "Blocked unknown Stream ID 0x2a" and those
//! four values, and clear sGFSR (write-1-to-clear), dropping the interrupt.

mod common;

use soc_ls2088::machine::{Firmware, RunExit};
use soc_ls2088::{Machine, MachineConfig};
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Runs in chunks until the console shows `want` (or `limit` instructions pass).
fn run_until(m: &mut Machine, con: &Capture, want: &str, limit: u64) -> bool {
    let mut ran = 0;
    while ran < limit {
        let exit = m.run(Some(20_000_000));
        ran += 20_000_000;
        if con.text().contains(want) {
            return true;
        }
        if exit != RunExit::InsnLimit {
            return false;
        }
    }
    false
}

#[test]
fn linux_reports_an_unidentified_stream_fault() {
    let Some(dir) = common::corpus_or_skip(&[]) else {
        return;
    };
    let kernel = std::fs::read(dir.join("Image")).unwrap();
    let dtb = std::fs::read(dir.join("fsl-ls2088a-rdb.dtb")).unwrap();
    let ram = 1u64 << 30;
    let cfg = firmware::linux::LinuxBootConfig {
        ram: vec![(soc_ls2088::board::DRAM0_BASE, ram)],
        bootargs: "console=ttyS1,115200 earlycon".into(),
        unmodelled: soc_ls2088::board::UNMODELLED_COMPATIBLES.iter().map(|s| s.to_string()).collect(),
        mc_iommu_map: true,
        entry_el: 2,
        cpu_mpidrs: Some(vec![soc_ls2088::board::mpidr(0)]),
    };
    let boot = firmware::linux::prepare(&kernel, "Image", &dtb, None, &cfg).unwrap();
    let con = Capture::default();
    let c2 = con.clone();
    let mut m = Machine::new(MachineConfig {
        ram_size: ram,
        smp: 1,
        semihosting: false,
        firmware: Firmware::Builtin,
        console: Box::new(move || Box::new(c2.clone())),
        stderr: Box::new(std::io::sink()),
    })
    .unwrap();
    m.load_linux(&boot).unwrap();
    let probed = "arm-smmu 5000000.iommu: \tpreserved 0 boot mappings";
    assert!(run_until(&mut m, &con, probed, 2_000_000_000), "arm-smmu did not probe:\n{}", con.text());

    let r = m.bus.with_dma(0x2a, |d| d.read_u32(0x1234_5000));
    // sCR0.GFRE = 1 (Linux sets it): the master sees an abort.
    assert_eq!(r, Err(devices::DmaError::Fault));
    assert!(m.bus.spis.level(soc_ls2088::board::SMMU_GLOBAL_SPIS[0]), "global fault interrupt not raised");

    let line = "GFSR 0x00000002, GFSYNR0 0x00000000, GFSYNR1 0x0000002a, GFSYNR2 0x00000000";
    assert!(run_until(&mut m, &con, line, 200_000_000), "no fault report:\n{}", con.text());
    let log = con.text();
    for l in log.lines().filter(|l| l.contains("arm-smmu")) {
        println!("{l}");
    }
    assert!(log.contains("arm-smmu 5000000.iommu: Blocked unknown Stream ID 0x2a; boot with \"arm-smmu.disable_bypass=0\" to allow"), "{log}");
    // The handler cleared sGFSR, so the level-triggered interrupt is down.
    assert!(!m.bus.spis.level(soc_ls2088::board::SMMU_GLOBAL_SPIS[0]));
    assert!(m.bus.smmu.describe().contains("sGFSR 0x0"), "{}", m.bus.smmu.describe());
}
