//! The ITS in the machine: the GIC window at 0x0600_0000 programmed through the bus, the
//! command queue and LPI tables in guest RAM (the machine's DMA space), an MSI delivered
//! with `SysBus::its_translate`. Expected values follow IHI 0069 §5.3 (command layouts)
//! and §12.19 (GITS_*), written by hand.

mod common;
use common::w32;

use cpu_aarch64::platform::{BusAttrs, PhysAddr};
use cpu_aarch64::Bus;
use devices::gic::{CpuCtx, SysRegId};
use soc_ls2088::machine::Firmware;
use soc_ls2088::Machine;

const GIC: u64 = 0x0600_0000;
const ITS: u64 = GIC + 0x2_0000;
const RAM: u64 = 0x8000_0000;

fn w64(m: &mut Machine, pa: u64, v: u64) {
    m.bus.write(PhysAddr(pa), &v.to_le_bytes(), BusAttrs::default()).unwrap();
}
fn r64(m: &mut Machine, pa: u64) -> u64 {
    let mut b = [0u8; 8];
    m.bus.read(PhysAddr(pa), &mut b, BusAttrs::default()).unwrap();
    u64::from_le_bytes(b)
}

#[test]
fn its_msi_through_guest_ram() {
    let mut m = common::machine(Firmware::Builtin, 1);
    let (cmdq, dev_tab, coll_tab, prop, pend) = (RAM + 0x10_0000, RAM + 0x20_0000, RAM + 0x30_0000, RAM + 0x40_0000, RAM + 0x50_0000);
    // Tables: BASER0 (devices, 8 x 64 KiB), BASER1 (collections, 64 KiB), the queue.
    w64(&mut m, ITS + 0x100, 1 << 63 | dev_tab | 2 << 8 | 7);
    w64(&mut m, ITS + 0x108, 1 << 63 | coll_tab | 2 << 8);
    w64(&mut m, ITS + 0x80, 1 << 63 | cmdq | 15);
    w64(&mut m, ITS + 0x88, 0);
    w32(&mut m, ITS, 1);
    // CPU 0's redistributor: PROPBASER (16 bits), PENDBASER, EnableLPIs.
    w64(&mut m, GIC + 0x10_0070, prop | 15);
    w64(&mut m, GIC + 0x10_0078, pend);
    w32(&mut m, GIC + 0x10_0000, 1);
    // LPI 8192 + 7: priority 0xA0, enabled.
    m.bus.write(PhysAddr(prop + 7), &[0xA1], BusAttrs::default()).unwrap();
    // MAPD(dev 0x42, Size 4, ITT), MAPC(ICID 0 -> PE 0), MAPTI(dev 0x42, event 3 -> 8199, ICID 0).
    let cmds: [[u64; 4]; 3] = [
        [0x08 | 0x42 << 32, 4, (RAM + 0x60_0000) | 1 << 63, 0],
        [0x09, 0, 1 << 63, 0],
        [0x0A | 0x42 << 32, 3 | 8199 << 32, 0, 0],
    ];
    for (i, c) in cmds.iter().enumerate() {
        for (k, d) in c.iter().enumerate() {
            w64(&mut m, cmdq + 32 * i as u64 + 8 * k as u64, *d);
        }
    }
    w64(&mut m, ITS + 0x88, 96);
    assert_eq!(r64(&mut m, ITS + 0x90), 96, "GITS_CREADR caught up with CWRITER");
    // The CPU interface of PE 0 (as Linux: PMR 0xF0, Group 1 enabled).
    let ns = CpuCtx::NS_EL1;
    m.bus.gic.icc_access(0, ns, SysRegId::new(3, 0, 4, 6, 0), Some(0xf0)).unwrap();
    m.bus.gic.icc_access(0, ns, SysRegId::new(3, 0, 12, 12, 7), Some(1)).unwrap();
    m.bus.its_translate(0x42, 3).unwrap();
    assert_eq!(m.bus.gic.irq_levels(0), (true, false));
    assert_eq!(m.bus.gic.icc_access(0, ns, SysRegId::new(3, 0, 12, 12, 0), None), Some(8199));
}
