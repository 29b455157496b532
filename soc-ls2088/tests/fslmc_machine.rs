//! The MC in the machine, end to end: commands written to the root DPRC's MC portal at
//! 0x8_0C00_0000 through the bus (as mc_send_command does: params, then the header with
//! status READY), a DPNI interrupt programmed with DPRC_SET_OBJ_IRQ to GITS_TRANSLATER,
//! and DPNI_ENABLE raising LINK_CHANGED as an MSI that the ITS translates with
//! DeviceID = the container's ICID (23) into an LPI for PE 0. Command layouts:
//! ls2088a-reference.md §4.4/§4.8 (from Linux 6.1's fsl-mc and dpni headers); ITS command
//! layouts: IHI 0069 §5.3, as in its_machine.rs.

mod common;
use common::{w32, r32};

use cpu_aarch64::platform::{BusAttrs, PhysAddr};
use cpu_aarch64::Bus;
use devices::gic::{CpuCtx, SysRegId};
use soc_ls2088::machine::Firmware;
use soc_ls2088::Machine;

const GIC: u64 = 0x0600_0000;
const ITS: u64 = GIC + 0x2_0000;
const RAM: u64 = 0x8000_0000;
const PORTAL0: u64 = 0x8_0C00_0000;
const MC_CCSR: u64 = 0x0834_0000;

fn w64(m: &mut Machine, pa: u64, v: u64) {
    m.bus.write(PhysAddr(pa), &v.to_le_bytes(), BusAttrs::default()).unwrap();
}
fn r64(m: &mut Machine, pa: u64) -> u64 {
    let mut b = [0u8; 8];
    m.bus.read(PhysAddr(pa), &mut b, BusAttrs::default()).unwrap();
    u64::from_le_bytes(b)
}

/// One MC command on portal 0: params[0..7], then the header (cmd id [63:48], token
/// [47:32], status READY [23:16]). Returns (status, token, response params).
fn mc(m: &mut Machine, cmd_id: u16, token: u16, params: [u64; 7]) -> (u8, u16, [u64; 7]) {
    for (i, p) in params.iter().enumerate() {
        w64(m, PORTAL0 + 8 + 8 * i as u64, *p);
    }
    w64(m, PORTAL0, (cmd_id as u64) << 48 | (token as u64) << 32 | 1 << 16);
    let h = r64(m, PORTAL0);
    let mut r = [0u64; 7];
    for (i, x) in r.iter_mut().enumerate() {
        *x = r64(m, PORTAL0 + 8 + 8 * i as u64);
    }
    ((h >> 16) as u8, (h >> 32) as u16, r)
}

fn type_words(s: &str) -> (u64, u64) {
    let mut b = [0u8; 16];
    b[..s.len()].copy_from_slice(s.as_bytes());
    (u64::from_le_bytes(b[..8].try_into().unwrap()), u64::from_le_bytes(b[8..].try_into().unwrap()))
}

#[test]
fn dpni_link_msi_reaches_the_its() {
    let mut m = common::machine(Firmware::Builtin, 1);
    // MC CCSR: GSR BOOT_DONE (fsl_mc_firmware_check), GCR1 stop bits cleared as the
    // probe does.
    assert_eq!(r32(&mut m, MC_CCSR + 0x08), 1);
    w32(&mut m, MC_CCSR, 0);
    // ITS + redistributor as Linux sets them up (see its_machine.rs).
    let (cmdq, dev_tab, coll_tab, prop, pend) = (RAM + 0x10_0000, RAM + 0x20_0000, RAM + 0x30_0000, RAM + 0x40_0000, RAM + 0x50_0000);
    w64(&mut m, ITS + 0x100, 1 << 63 | dev_tab | 2 << 8 | 7);
    w64(&mut m, ITS + 0x108, 1 << 63 | coll_tab | 2 << 8);
    w64(&mut m, ITS + 0x80, 1 << 63 | cmdq | 15);
    w64(&mut m, ITS + 0x88, 0);
    w32(&mut m, ITS, 1);
    w64(&mut m, GIC + 0x10_0070, prop | 15);
    w64(&mut m, GIC + 0x10_0078, pend);
    w32(&mut m, GIC + 0x10_0000, 1);
    m.bus.write(PhysAddr(prop + 9), &[0xA1], BusAttrs::default()).unwrap();
    // MAPD(DeviceID 23 = root ICID, 256 events: Size 7), MAPC(ICID 0 → PE 0),
    // MAPTI(DeviceID 23, event 4 → LPI 8201, collection 0).
    let cmds: [[u64; 4]; 3] = [[0x08 | 23 << 32, 7, (RAM + 0x60_0000) | 1 << 63, 0], [0x09, 0, 1 << 63, 0], [0x0A | 23 << 32, 4 | 8201 << 32, 0, 0]];
    for (i, c) in cmds.iter().enumerate() {
        for (k, d) in c.iter().enumerate() {
            w64(&mut m, cmdq + 32 * i as u64 + 8 * k as u64, *d);
        }
    }
    w64(&mut m, ITS + 0x88, 96);
    assert_eq!(r64(&mut m, ITS + 0x90), 96);
    let ns = CpuCtx::NS_EL1;
    m.bus.gic.icc_access(0, ns, SysRegId::new(3, 0, 4, 6, 0), Some(0xf0)).unwrap();
    m.bus.gic.icc_access(0, ns, SysRegId::new(3, 0, 12, 12, 7), Some(1)).unwrap();

    // DPMNG_GET_VERSION 0x8311 through the portal: MC 10.28.0 (major at bytes 4-7).
    let (st, _, r) = mc(&mut m, 0x8311, 0, [0; 7]);
    assert_eq!((st, r[0] >> 32, r[1] & 0xffff_ffff), (0, 10, 28));
    // DPRC_OPEN(1) 0x8051, then DPRC_SET_OBJ_IRQ 0x15F1 for dpni.0 irq 0: data 4,
    // address GITS_TRANSLATER 0x0603_0040, obj_id in bytes 20-23, type in 24-39.
    let (st, dprc, _) = mc(&mut m, 0x8051, 0, [1, 0, 0, 0, 0, 0, 0]);
    assert_eq!(st, 0);
    let (t0, t1) = type_words("dpni");
    let (st, _, _) = mc(&mut m, 0x15F1, dprc, [4, 0x0603_0040, 0 << 32 | 1, t0, t1, 0, 0]);
    assert_eq!(st, 0);
    // DPNI_OPEN(0) 0x8011, SET_IRQ_MASK 0x0141 (mask 1 = LINK_CHANGED, index 0),
    // SET_IRQ_ENABLE 0x0121 (enable 1): nothing pending yet.
    let (_, dpni, _) = mc(&mut m, 0x8011, 0, [0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(mc(&mut m, 0x0141, dpni, [1, 0, 0, 0, 0, 0, 0]).0, 0);
    assert_eq!(mc(&mut m, 0x0121, dpni, [1, 0, 0, 0, 0, 0, 0]).0, 0);
    assert_eq!(m.bus.gic.irq_levels(0), (false, false));
    // DPNI_ENABLE 0x0021: the fixed link comes up → LINK_CHANGED MSI → LPI 8201 on PE 0.
    assert_eq!(mc(&mut m, 0x0021, dpni, [0; 7]).0, 0);
    assert_eq!(m.bus.gic.irq_levels(0), (true, false));
    assert_eq!(m.bus.gic.icc_access(0, ns, SysRegId::new(3, 0, 12, 12, 0), None), Some(8201));
    // GET_IRQ_STATUS 0x0161 reports the event (bit 0).
    let (_, _, r) = mc(&mut m, 0x0161, dpni, [0xffff_ffff, 0, 0, 0, 0, 0, 0]);
    assert_eq!(r[0] & 0xffff_ffff, 1);
}

/// A DPIO's QBMan portal through the bus, as fsl_mc_dpio's probe reaches it: DPIO_OPEN
/// (0x8031, id in bytes 0-3) and DPIO_GET_ATTR (0x0041) on the root portal give the
/// portal's CINH offset (bytes 16-23) and the QBMan version (bytes 24-27; QMan 4.1 =
/// 0x04010000, reference §4.7); the CINH page is at the fsl-mc `ranges` type 1 base
/// 0x8_1800_0000 + that offset, and qbman_swp_init's SWP_CFG write (0xD00, 0x00807A3C,
/// worked out in devices/src/qbman/tests.rs) reads back non-zero there.
#[test]
fn dpio_qbman_portal_initialises_through_the_bus() {
    let mut m = common::machine(Firmware::Builtin, 1);
    w32(&mut m, MC_CCSR, 0); // GCR1: MC cores run
    let (st, token, _) = mc(&mut m, 0x8031, 0, [1, 0, 0, 0, 0, 0, 0]);
    assert_eq!(st, 0, "DPIO_OPEN dpio.1");
    let (st, _, r) = mc(&mut m, 0x0041, token, [0; 7]);
    assert_eq!(st, 0, "DPIO_GET_ATTR");
    let portal = (r[0] >> 32) & 0xffff;
    assert_eq!(r[3] as u32, 0x0401_0000, "qbman_version");
    let (ce, ci) = (r[1], r[2]);
    // CENA at p × 64 KiB, CINH at 64 MiB + p × 64 KiB within the window (reference §4.1).
    assert_eq!(ce, portal * 0x1_0000);
    assert_eq!(ci, 0x400_0000 + portal * 0x1_0000);
    let cinh = 0x8_1800_0000 + ci;
    assert_eq!(r32(&mut m, cinh + 0xd00), 0, "SWP_CFG before init: not enabled");
    w32(&mut m, cinh + 0xd00, 0x0080_7a3c);
    assert_eq!(r32(&mut m, cinh + 0xd00), 0x0080_7a3c, "SWP_CFG after init");
    // EQCR_PI: producer index 0 in bits 3:0.
    assert_eq!(r32(&mut m, cinh + 0x800) & 0xf, 0);
    // The ring area written through CINH is the same storage seen through CENA.
    w64(&mut m, cinh + 0x608, 0xdead_beef_0bad_cafe);
    assert_eq!(r64(&mut m, 0x8_1800_0000 + ce + 0x608), 0xdead_beef_0bad_cafe);
}
