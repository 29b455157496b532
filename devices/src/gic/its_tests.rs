//! Tests of the ITS and LPIs. Expected values are written out by hand from Arm IHI 0069
//! (GICv3 architecture specification: §5.3 ITS command encodings, §12.19 GITS_* registers,
//! §12.11 GICR_PROPBASER/PENDBASER, §5.1 LPIs) and the GIC-500 parameters listed in
//! `its.rs`; the "Linux 6.1 replay" follows drivers/irqchip/irq-gic-v3-its.c (its_probe_one,
//! its_alloc_tables, its_cpu_init_lpis, its_cpu_init_collection, its_send_* builders), read
//! for facts.

#![allow(clippy::identity_op)]

use super::its::{cmd, gits};
use super::*;
use crate::dma::RamDma;

const IAR1: SysRegId = SysRegId::new(3, 0, 12, 12, 0);
const EOIR1: SysRegId = SysRegId::new(3, 0, 12, 12, 1);
const HPPIR1: SysRegId = SysRegId::new(3, 0, 12, 12, 2);
const RPR: SysRegId = SysRegId::new(3, 0, 12, 11, 3);
const PMR: SysRegId = SysRegId::new(3, 0, 4, 6, 0);
const IGRPEN1: SysRegId = SysRegId::new(3, 0, 12, 12, 7);
const NS: CpuCtx = CpuCtx::NS_EL1;

const RAM: u64 = 0x8000_0000;
const CMDQ: u64 = RAM; // 64 KiB
const COLL_TAB: u64 = RAM + 0x2_0000; // 64 KiB
const PROP_TAB: u64 = RAM + 0x3_0000; // 64 KiB: 16 bits of LPI INTIDs
const PEND_TAB: u64 = RAM + 0x4_0000; // + cpu * 64 KiB (8 CPUs)
const DEV_TAB: u64 = RAM + 0x10_0000; // 512 KiB: 65536 devices * 8 bytes
const ITT: u64 = RAM + 0x20_0000;
const ITS: u64 = GITS_OFFSET;

/// The GIC, its memory and a software command queue writer (like Linux's its_send_*).
struct Sys {
    g: Gic,
    m: RamDma,
    cwriter: u64,
}

impl Sys {
    fn new() -> Sys {
        let mut g = Gic::new(&GicConfig::ls2088a(), IrqBank::new(256));
        g.el3_firmware_init();
        Sys { g, m: RamDma::new(RAM, 0x40_0000), cwriter: 0 }
    }
    fn rd32(&mut self, off: u64) -> u64 {
        self.g.read_dma(&mut self.m, off, Size::B4).unwrap()
    }
    fn rd64(&mut self, off: u64) -> u64 {
        self.g.read_dma(&mut self.m, off, Size::B8).unwrap()
    }
    fn wr32(&mut self, off: u64, v: u64) {
        self.g.write_dma(&mut self.m, off, Size::B4, v).unwrap()
    }
    fn wr64(&mut self, off: u64, v: u64) {
        self.g.write_dma(&mut self.m, off, Size::B8, v).unwrap()
    }
    fn rd_base(cpu: u64) -> u64 {
        GICR_OFFSET + cpu * GICR_STRIDE
    }
    fn set_prop(&mut self, intid: u32, byte: u8) {
        self.m.write(PROP_TAB + (intid - 8192) as u64, &[byte]).unwrap();
    }
    /// Queues one 32-byte command and writes CWRITER (as its_send_single_command does).
    fn send(&mut self, dw: [u64; 4]) {
        let mut b = [0u8; 32];
        for (k, d) in dw.iter().enumerate() {
            b[k * 8..k * 8 + 8].copy_from_slice(&d.to_le_bytes());
        }
        self.m.write(CMDQ + self.cwriter, &b).unwrap();
        self.cwriter = (self.cwriter + 32) % 0x1_0000;
        let w = self.cwriter;
        self.wr64(ITS + gits::CWRITER, w);
        // Linux polls CREADR until it passes the command: synchronous here.
        assert_eq!(self.rd64(ITS + gits::CREADR), w, "CREADR == CWRITER after the write");
    }
    fn cpu_if_on(&mut self, cpu: usize) {
        self.g.icc_access(cpu, NS, PMR, Some(0xf0)).unwrap();
        self.g.icc_access(cpu, NS, IGRPEN1, Some(1)).unwrap();
    }
    fn iar1(&mut self, cpu: usize) -> u64 {
        self.g.icc_access(cpu, NS, IAR1, None).unwrap()
    }
    fn eoir1(&mut self, cpu: usize, v: u64) {
        self.g.icc_access(cpu, NS, EOIR1, Some(v)).unwrap();
    }

    /// Linux 6.1 ITS and LPI initialisation, as a replay of the register accesses (see
    /// `test_its_linux61_probe_replay` for the checks done on the way).
    fn linux_init(&mut self) {
        // its_probe_one: PIDR2.ArchRev, its_force_quiescent, TYPER.
        assert_eq!(self.rd32(ITS + gits::PIDR2) & 0xf0, 0x30);
        assert_eq!(self.rd32(ITS + gits::CTLR), 0x8000_0000, "disabled and quiescent");
        // Debian's 6.1 first writes 0 to every GITS_BASER (seen with `--log gic=debug`
        // on the real boot), then probes again and reads GITS_IIDR for its quirks.
        for n in 0..8 {
            self.wr64(ITS + gits::BASER + 8 * n, 0);
        }
        assert_eq!(self.rd32(ITS + gits::PIDR2) & 0xf0, 0x30);
        assert_eq!(self.rd32(ITS + gits::IIDR), 0x0200_043B);
        // its_probe_baser_psz: 64K sticks at the first try (Type/Entry_Size read back).
        self.wr64(ITS + gits::BASER, 0x0107_0000_0000_0200);
        assert_eq!(self.rd64(ITS + gits::BASER), 0x0107_0000_0000_0200);
        // its_parse_indirect_baser: Indirect [62] does not stick, so the table is flat.
        self.wr64(ITS + gits::BASER, 0x7800_0000_0000_0400);
        assert_eq!(self.rd64(ITS + gits::BASER) >> 62 & 1, 0, "no Indirect on the GIC-500");
        // its_alloc_tables: BASER0 = Device table, 8 pages of 64 KiB (65536 * 8 bytes):
        // Valid | RaWaWb InnerCache (7 << 59) | Type/Entry_Size kept | PA | InnerShareable
        // (1 << 10) | Page_Size 64K (2 << 8) | Size 7.
        let b0 = self.rd64(ITS + gits::BASER);
        let v0 = 1 << 63 | 7 << 59 | (b0 & (7 << 56 | 0x1f << 48)) | DEV_TAB | 1 << 10 | 2 << 8 | 7;
        self.wr64(ITS + gits::BASER, v0);
        assert_eq!(self.rd64(ITS + gits::BASER), v0, "BASER0 sticks");
        let b1 = self.rd64(ITS + gits::BASER + 8);
        let v1 = 1 << 63 | 7 << 59 | (b1 & (7 << 56 | 0x1f << 48)) | COLL_TAB | 1 << 10 | 2 << 8 | 0;
        self.wr64(ITS + gits::BASER + 8, v1);
        assert_eq!(self.rd64(ITS + gits::BASER + 8), v1, "BASER1 sticks");
        // CBASER: Valid | RaWaWb | InnerShareable | Size 15 (16 pages = 64 KiB); CWRITER 0.
        let cb = 1 << 63 | 7 << 59 | CMDQ | 1 << 10 | 15;
        self.wr64(ITS + gits::CBASER, cb);
        assert_eq!(self.rd64(ITS + gits::CBASER), cb);
        self.wr64(ITS + gits::CWRITER, 0);
        let ctlr = self.rd32(ITS + gits::CTLR);
        self.wr32(ITS + gits::CTLR, ctlr | 1);
        // its_cpu_init_lpis for each CPU: PROPBASER (IDbits 15 = 16 bits), PENDBASER,
        // EnableLPIs; then its_cpu_init_collection: MAPC(cpu, RDbase = Processor_Number)
        // + SYNC, INVALL + SYNC.
        for cpu in 0..8u64 {
            let rb = Sys::rd_base(cpu);
            let pb = PROP_TAB | 1 << 10 | 7 << 7 | 15;
            self.wr64(rb + 0x70, pb);
            assert_eq!(self.rd64(rb + 0x70), pb, "PROPBASER sticks");
            let pe = (PEND_TAB + cpu * 0x1_0000) | 1 << 10 | 7 << 7;
            self.wr64(rb + 0x78, pe);
            assert_eq!(self.rd64(rb + 0x78), pe, "PENDBASER sticks");
            let c = self.rd32(rb);
            self.wr32(rb, c | 1);
            assert_eq!(self.rd32(rb) & 1, 1, "EnableLPIs");
            let pn = (self.rd64(rb + 0x8) >> 8) & 0xffff;
            assert_eq!(pn, cpu);
            self.send(mapc(cpu as u16, pn, true));
            self.send(sync(pn));
            self.send(invall(cpu as u16));
            self.send(sync(pn));
            self.cpu_if_on(cpu as usize);
        }
    }
}

// Command builders from the field positions of IHI 0069 §5.3 (each command's
// description): DW0 [7:0] command number, [63:32] DeviceID; DW1 [31:0] EventID,
// [63:32] pINTID (MAPTI), [4:0] Size (MAPD); DW2 [15:0] ICID, [51:16] RDbase (MAPC,
// SYNC, MOVALL), [51:8] ITT_addr (MAPD), [63] V; DW3 [51:16] RDbase2 (MOVALL).
fn mapd(dev: u32, itt: u64, size: u64, v: bool) -> [u64; 4] {
    [0x08 | (dev as u64) << 32, size, itt & 0xf_ffff_ffff_ff00 | (v as u64) << 63, 0]
}
fn mapc(icid: u16, rd: u64, v: bool) -> [u64; 4] {
    [0x09, 0, icid as u64 | rd << 16 | (v as u64) << 63, 0]
}
fn mapti(dev: u32, ev: u32, intid: u32, icid: u16) -> [u64; 4] {
    [0x0A | (dev as u64) << 32, ev as u64 | (intid as u64) << 32, icid as u64, 0]
}
fn mapi(dev: u32, ev: u32, icid: u16) -> [u64; 4] {
    [0x0B | (dev as u64) << 32, ev as u64, icid as u64, 0]
}
fn dev_ev(op: u64, dev: u32, ev: u32) -> [u64; 4] {
    [op | (dev as u64) << 32, ev as u64, 0, 0]
}
fn movi(dev: u32, ev: u32, icid: u16) -> [u64; 4] {
    [0x01 | (dev as u64) << 32, ev as u64, icid as u64, 0]
}
fn sync(rd: u64) -> [u64; 4] {
    [0x05, 0, rd << 16, 0]
}
fn invall(icid: u16) -> [u64; 4] {
    [0x0D, 0, icid as u64, 0]
}
fn movall(rd1: u64, rd2: u64) -> [u64; 4] {
    [0x0E, 0, rd1 << 16, rd2 << 16]
}

#[test]
fn test_command_opcodes_match_ihi0069() {
    // IHI 0069 §5.3, table "ITS commands" (command numbers).
    assert_eq!(
        [cmd::MOVI, cmd::INT, cmd::CLEAR, cmd::SYNC, cmd::MAPD, cmd::MAPC, cmd::MAPTI, cmd::MAPI, cmd::INV, cmd::INVALL, cmd::MOVALL, cmd::DISCARD],
        [0x01, 0x03, 0x04, 0x05, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F]
    );
}

#[test]
fn test_gits_typer_gic500() {
    let mut s = Sys::new();
    // Physical [0] = 1, ITT_entry_size [7:4] = 7, IDbits [12:8] = 15, Devbits [17:13] = 15,
    // PTA [19] = 0, HCC [31:24] = 0, CIL [36] = 0: 0x1 + 0x70 + 0xF00 + 0x1E000.
    assert_eq!(s.rd64(ITS + gits::TYPER), 0x1_EF71);
    assert_eq!(s.rd32(ITS + gits::TYPER + 4), 0);
    assert_eq!(s.rd32(ITS + gits::IIDR), 0x0200_043B);
}

#[test]
fn test_gits_pidr2_archrev_and_part_number() {
    let mut s = Sys::new();
    assert_eq!(s.rd32(ITS + 0xFFE8), 0x3B, "ArchRev 3 (GICv3), JEDEC, JEP106 Arm");
    assert_eq!(s.rd32(ITS + 0xFFE0), 0x94, "GIC-500 ITS part number low byte");
}

#[test]
fn test_gits_ctlr_enabled_and_quiescent() {
    let mut s = Sys::new();
    assert_eq!(s.rd32(ITS + gits::CTLR), 0x8000_0000);
    s.wr32(ITS + gits::CTLR, 1);
    assert_eq!(s.rd32(ITS + gits::CTLR), 0x8000_0001);
    s.wr32(ITS + gits::CTLR, 0);
    assert_eq!(s.rd32(ITS + gits::CTLR), 0x8000_0000);
}

#[test]
fn test_gits_baser_types_and_readonly_fields() {
    let mut s = Sys::new();
    // Type [58:56] (1 Devices, 4 Collections), Entry_Size [52:48] = 8 bytes - 1.
    assert_eq!(s.rd64(ITS + 0x100), 0x0107_0000_0000_0000);
    assert_eq!(s.rd64(ITS + 0x108), 0x0407_0000_0000_0000);
    for n in 2..8 {
        assert_eq!(s.rd64(ITS + 0x100 + 8 * n), 0, "BASER{n} unimplemented");
        s.wr64(ITS + 0x100 + 8 * n, !0);
        assert_eq!(s.rd64(ITS + 0x100 + 8 * n), 0, "BASER{n} WI");
    }
    // All ones: Valid 1, Indirect RAZ, InnerCache 7, Type 1 (RO), OuterCache 7,
    // Entry_Size 7 (RO), PA[47:12] all ones, Shareability 3, Page_Size 0b11 reads 64K
    // (0b10), Size 0xFF: worked out by hand = 0xB9E7_FFFF_FFFF_FEFF.
    s.wr64(ITS + 0x100, !0);
    assert_eq!(s.rd64(ITS + 0x100), 0xB9E7_FFFF_FFFF_FEFF);
    // 32-bit halves (Linux uses 64-bit accesses; halves are allowed).
    s.wr32(ITS + 0x108, 0x0000_1234 << 12 | 1 << 8);
    assert_eq!(s.rd32(ITS + 0x108), 0x0123_4100);
    assert_eq!(s.rd32(ITS + 0x10C), 0x0407_0000);
    // Page size probing as its_setup_baser does it: 64K, 16K, 4K all stick.
    for ps in [2u64, 1, 0] {
        s.wr64(ITS + 0x100, ps << 8);
        assert_eq!(s.rd64(ITS + 0x100) >> 8 & 3, ps);
    }
}

#[test]
fn test_gits_cbaser_write_resets_creadr_and_is_ignored_while_enabled() {
    let mut s = Sys::new();
    let cb = 1 << 63 | CMDQ | 15;
    s.wr64(ITS + gits::CBASER, cb);
    assert_eq!(s.rd64(ITS + gits::CBASER), cb);
    s.wr32(ITS + gits::CTLR, 1);
    s.send(sync(0));
    assert_eq!(s.rd64(ITS + gits::CREADR), 32);
    s.wr64(ITS + gits::CBASER, 1 << 63 | (CMDQ + 0x1000) | 15);
    assert_eq!(s.rd64(ITS + gits::CBASER), cb, "RO while enabled (this model's choice)");
    s.wr32(ITS + gits::CTLR, 0);
    s.wr64(ITS + gits::CBASER, cb);
    assert_eq!(s.rd64(ITS + gits::CREADR), 0, "CBASER write resets CREADR (IHI 0069 GITS_CREADR)");
    // CREADR is read-only.
    s.wr64(ITS + gits::CREADR, 0x40);
    assert_eq!(s.rd64(ITS + gits::CREADR), 0);
}

#[test]
fn test_gits_cwriter_offset_field_and_queue_wrap() {
    let mut s = Sys::new();
    // A 4 KiB queue (Size 0): 128 commands; the offset wraps at 4096.
    s.wr64(ITS + gits::BASER + 8, 1 << 63 | COLL_TAB | 2 << 8);
    s.wr64(ITS + gits::CBASER, 1 << 63 | CMDQ);
    s.wr32(ITS + gits::CTLR, 1);
    // Offset [19:5]: the low bits of CWRITER are not kept.
    for i in 0..130u64 {
        let mut b = [0u8; 32];
        b[..8].copy_from_slice(&0x09u64.to_le_bytes());
        b[16..24].copy_from_slice(&((i % 8) | ((i % 8) << 16) | 1 << 63).to_le_bytes());
        s.m.write(CMDQ + (i * 32) % 4096, &b).unwrap();
        let w = ((i + 1) * 32) % 4096;
        s.wr64(ITS + gits::CWRITER, w | 0x1f);
        assert_eq!(s.rd64(ITS + gits::CWRITER), w);
        assert_eq!(s.rd64(ITS + gits::CREADR), w);
    }
    assert_eq!(s.g.its_state().collections.len(), 8);
    assert_eq!(s.g.its_state().collections.get(&5), Some(&5));
}

#[test]
fn test_gits_cwriter_with_queue_not_in_ram_stalls() {
    let mut s = Sys::new();
    s.wr64(ITS + gits::CBASER, 1 << 63 | 0x1000_0000 | 15);
    s.wr32(ITS + gits::CTLR, 1);
    s.wr64(ITS + gits::CWRITER, 32);
    assert_eq!(s.rd64(ITS + gits::CREADR), gits::CREADR_STALLED, "Stalled [0], offset 0");
}

#[test]
fn test_its_commands_wait_until_enabled() {
    let mut s = Sys::new();
    s.wr64(ITS + gits::BASER + 8, 1 << 63 | COLL_TAB | 2 << 8);
    s.wr64(ITS + gits::CBASER, 1 << 63 | CMDQ | 15);
    let b: Vec<u8> = mapc(3, 2, true).iter().flat_map(|d| d.to_le_bytes()).collect();
    s.m.write(CMDQ, &b).unwrap();
    s.wr64(ITS + gits::CWRITER, 32);
    assert_eq!(s.rd64(ITS + gits::CREADR), 0, "disabled: not processed");
    s.wr32(ITS + gits::CTLR, 1);
    assert_eq!(s.rd64(ITS + gits::CREADR), 32);
    assert_eq!(s.g.its_state().collections.get(&3), Some(&2));
}

#[test]
fn test_its_linux61_probe_replay() {
    let mut s = Sys::new();
    s.linux_init();
    assert_eq!(s.g.its_state().collections.len(), 8);
    for c in 0..8u16 {
        assert_eq!(s.g.its_state().collections.get(&c), Some(&(c as usize)));
    }
    assert_eq!(s.rd32(ITS + gits::CTLR), 0x8000_0001);
    // 4 commands per CPU, 32 bytes each.
    assert_eq!(s.rd64(ITS + gits::CREADR), 8 * 4 * 32);
}

/// The full flow: Linux-like init, a device with 32 events (MAPD Size 4), MAPTI, the LPI
/// enabled in the property table + INV, then an MSI → pending → IAR1 → EOIR1.
#[test]
fn test_its_full_flow_msi_to_iar() {
    let mut s = Sys::new();
    s.linux_init();
    let (dev, ev, lpi) = (0x1234u32, 5u32, 8192 + 42);
    s.send(mapd(dev, ITT, 4, true));
    s.send(mapti(dev, ev, lpi, 3));
    s.send(sync(3));
    // Property byte: priority 0xA0, Group1 bit (bit 1, RES1 in GICv3), enable.
    s.set_prop(lpi, 0xA0 | 2 | 1);
    s.send(dev_ev(cmd::INV as u64, dev, ev));
    s.send(sync(3));
    assert_eq!(s.g.irq_levels(3), (false, false));
    s.g.its_translate(&mut s.m, dev, ev).unwrap();
    // DS = 0: the Non-secure priority 0xA0 is 0x80 | 0xA0 >> 1 = 0xD0 (IHI 0069 §4.8.6).
    assert_eq!(s.g.irq_levels(3), (true, false), "IRQ on CPU 3 (collection 3)");
    assert_eq!(s.g.irq_levels(0), (false, false));
    assert_eq!(s.g.icc_access(3, NS, HPPIR1, None), Some(lpi as u64));
    assert_eq!(s.iar1(3), lpi as u64);
    assert_eq!(s.g.icc_access(3, NS, RPR, None), Some(0xD0));
    assert_eq!(s.g.irq_levels(3), (false, false), "no active state, no longer pending");
    // A second MSI while the first is being handled: pending, masked by the running
    // priority (same priority) until EOI.
    s.g.its_translate(&mut s.m, dev, ev).unwrap();
    assert_eq!(s.g.irq_levels(3), (false, false));
    s.eoir1(3, lpi as u64);
    assert_eq!(s.g.icc_access(3, NS, RPR, None), Some(0xFF));
    assert_eq!(s.g.irq_levels(3), (true, false));
    assert_eq!(s.iar1(3), lpi as u64);
    s.eoir1(3, lpi as u64);
    assert_eq!(s.iar1(3), 1023);
}

#[test]
fn test_its_translate_errors() {
    let mut s = Sys::new();
    assert_eq!(s.g.its_translate(&mut s.m, 1, 0), Err(ItsError::Disabled));
    s.linux_init();
    assert_eq!(s.g.its_translate(&mut s.m, 1, 0), Err(ItsError::UnmappedDevice(1)));
    s.send(mapd(1, ITT, 0, true));
    assert_eq!(s.g.its_translate(&mut s.m, 1, 0), Err(ItsError::UnmappedEvent(1, 0)));
    // A PE's write to GITS_TRANSLATER: DeviceID 0.
    s.send(mapd(0, ITT, 1, true));
    s.send(mapti(0, 2, 8200, 0));
    s.set_prop(8200, 0xA3);
    s.send(dev_ev(cmd::INV as u64, 0, 2));
    s.wr32(ITS + gits::TRANSLATER, 2);
    assert_eq!(s.iar1(0), 8200);
}

#[test]
fn test_lpi_disabled_in_property_table_until_inv() {
    let mut s = Sys::new();
    s.linux_init();
    s.send(mapd(7, ITT, 3, true));
    s.send(mapti(7, 0, 9000, 1));
    s.set_prop(9000, 0xA2); // disabled
    s.g.its_translate(&mut s.m, 7, 0).unwrap();
    assert_eq!(s.g.irq_levels(1), (false, false), "pending but disabled");
    s.set_prop(9000, 0xA3);
    assert_eq!(s.g.irq_levels(1), (false, false), "config cached until INV");
    s.send(dev_ev(cmd::INV as u64, 7, 0));
    assert_eq!(s.g.irq_levels(1), (true, false));
    s.set_prop(9000, 0xA2);
    s.send(invall(1));
    assert_eq!(s.g.irq_levels(1), (false, false), "INVALL re-reads the configuration");
}

#[test]
fn test_lpi_priority_order_and_pmr() {
    let mut s = Sys::new();
    s.linux_init();
    s.send(mapd(2, ITT, 3, true));
    s.send(mapti(2, 0, 8192, 0));
    s.send(mapti(2, 1, 8193, 0));
    s.set_prop(8192, 0xA1);
    s.set_prop(8193, 0x21); // higher priority: NS view 0x80 | 0x10 = 0x90
    s.send(invall(0));
    s.g.its_translate(&mut s.m, 2, 0).unwrap();
    s.g.its_translate(&mut s.m, 2, 1).unwrap();
    assert_eq!(s.iar1(0), 8193);
    assert_eq!(s.g.icc_access(0, NS, RPR, None), Some(0x90));
    s.eoir1(0, 8193);
    // PMR 0xC0 masks priority 0xD0.
    s.g.icc_access(0, NS, PMR, Some(0xC0)).unwrap();
    assert_eq!(s.iar1(0), 1023);
    s.g.icc_access(0, NS, PMR, Some(0xF0)).unwrap();
    assert_eq!(s.iar1(0), 8192);
}

#[test]
fn test_its_int_clear_discard() {
    let mut s = Sys::new();
    s.linux_init();
    s.send(mapd(9, ITT, 1, true));
    s.send(mapti(9, 3, 8300, 2));
    s.set_prop(8300, 0xA3);
    s.send(dev_ev(cmd::INT as u64, 9, 3));
    assert_eq!(s.g.irq_levels(2), (true, false), "INT makes it pending");
    s.send(dev_ev(cmd::CLEAR as u64, 9, 3));
    assert_eq!(s.g.irq_levels(2), (false, false), "CLEAR");
    s.send(dev_ev(cmd::INT as u64, 9, 3));
    s.send(dev_ev(cmd::DISCARD as u64, 9, 3));
    assert_eq!(s.g.irq_levels(2), (false, false), "DISCARD clears the pending state");
    assert_eq!(s.g.its_translate(&mut s.m, 9, 3), Err(ItsError::UnmappedEvent(9, 3)));
}

#[test]
fn test_its_mapi_uses_event_id_as_intid() {
    let mut s = Sys::new();
    s.linux_init();
    s.send(mapd(4, ITT, 15, true));
    s.send(mapi(4, 8195, 6));
    s.set_prop(8195, 0xA1);
    s.send(invall(6));
    s.g.its_translate(&mut s.m, 4, 8195).unwrap();
    assert_eq!(s.iar1(6), 8195);
}

#[test]
fn test_its_movi_and_movall_move_pending_state() {
    let mut s = Sys::new();
    s.linux_init();
    s.send(mapd(5, ITT, 1, true));
    s.send(mapti(5, 0, 8500, 1));
    s.set_prop(8500, 0xA1);
    s.g.its_translate(&mut s.m, 5, 0).unwrap();
    assert_eq!(s.g.irq_levels(1), (true, false));
    s.send(movi(5, 0, 4));
    assert_eq!(s.g.irq_levels(1), (false, false));
    assert_eq!(s.g.irq_levels(4), (true, false), "pending state followed the LPI");
    s.send(movall(4, 7));
    assert_eq!(s.g.irq_levels(4), (false, false));
    assert_eq!(s.iar1(7), 8500);
    // Later MSIs go to the new collection (4).
    s.g.its_translate(&mut s.m, 5, 0).unwrap();
    assert_eq!(s.iar1(4), 8500);
}

#[test]
fn test_its_command_errors_are_ignored_and_queue_continues() {
    let mut s = Sys::new();
    s.linux_init();
    s.send(mapti(0x99, 0, 8192, 0)); // device not mapped
    s.send(mapd(0x99, ITT, 1, true));
    s.send(mapti(0x99, 4, 8192, 0)); // EventID beyond 2 bits
    s.send(mapti(0x99, 0, 100, 0)); // pINTID not an LPI
    s.send(mapc(0, 8, true)); // RDbase beyond the 8 redistributors
    s.send(mapc(8192, 0, true)); // ICID beyond the 8192-entry collection table
    s.send(mapd(0x1_0000, ITT, 1, true)); // DeviceID beyond Devbits
    s.send([0x20, 0, 0, 0]); // VMAPP-class / unknown opcode on a GICv3.0 ITS
    assert!(s.g.its_state().devices.get(&0x99).is_some_and(|d| d.events.is_empty()));
    assert_eq!(s.g.its_state().collections.get(&0), Some(&0));
    assert_eq!(s.g.its_state().collections.get(&8192), None);
    assert_eq!(s.rd64(ITS + gits::CREADR) & 1, 0, "not stalled");
    // MAPD V = 0 unmaps the device and its events.
    s.send(mapti(0x99, 0, 8192, 0));
    s.send(mapd(0x99, 0, 0, false));
    assert!(!s.g.its_state().devices.contains_key(&0x99));
}

#[test]
fn test_gicr_enable_lpis_scans_pending_table() {
    let mut s = Sys::new();
    // LPI 8192 + 17 pending in CPU 2's table before EnableLPIs: byte 1024 + 2, bit 1.
    s.set_prop(8192 + 17, 0xA1);
    s.m.write(PEND_TAB + 0x2_0000 + 1024 + 2, &[0b10]).unwrap();
    let rb = Sys::rd_base(2);
    s.wr64(rb + 0x70, PROP_TAB | 15);
    s.wr64(rb + 0x78, PEND_TAB + 0x2_0000);
    s.cpu_if_on(2);
    assert_eq!(s.g.irq_levels(2), (false, false));
    s.wr32(rb, 1);
    assert_eq!(s.iar1(2), 8192 + 17);
}

#[test]
fn test_gicr_propbaser_idbits_limits_lpis() {
    let mut s = Sys::new();
    s.linux_init();
    // IDbits = 13 (14 bits): LPIs 8192..16383 only.
    for cpu in 0..8 {
        let rb = Sys::rd_base(cpu);
        s.wr32(rb, 0);
        s.wr64(rb + 0x70, PROP_TAB | 13);
        s.wr32(rb, 1);
    }
    s.send(mapd(1, ITT, 1, true));
    s.send(mapti(1, 0, 16384, 0));
    s.send(mapti(1, 1, 16383, 0));
    s.set_prop(16384, 0xA1);
    s.set_prop(16383, 0xA1);
    s.g.its_translate(&mut s.m, 1, 0).unwrap();
    assert_eq!(s.iar1(0), 1023, "INTID 16384 beyond PROPBASER.IDbits: ignored");
    s.g.its_translate(&mut s.m, 1, 1).unwrap();
    assert_eq!(s.iar1(0), 16383);
}

#[test]
fn test_lpi_not_forwarded_without_enable_lpis_or_group1() {
    let mut s = Sys::new();
    s.linux_init();
    s.send(mapd(1, ITT, 1, true));
    s.send(mapti(1, 0, 8192, 5));
    s.set_prop(8192, 0xA1);
    s.g.icc_access(5, NS, IGRPEN1, Some(0)).unwrap();
    s.g.its_translate(&mut s.m, 1, 0).unwrap();
    assert_eq!(s.g.irq_levels(5), (false, false), "Group 1 disabled in the CPU interface");
    s.g.icc_access(5, NS, IGRPEN1, Some(1)).unwrap();
    assert_eq!(s.g.irq_levels(5), (true, false));
}

#[test]
fn test_gits_invalid_sizes_and_offsets() {
    let mut s = Sys::new();
    assert_eq!(s.g.read_dma(&mut s.m, ITS + gits::CTLR, Size::B8), Err(MmioError::BadSize));
    assert_eq!(s.g.read_dma(&mut s.m, ITS + gits::TYPER, Size::B2), Err(MmioError::BadSize));
    assert_eq!(s.g.write_dma(&mut s.m, ITS + gits::TRANSLATER, Size::B8, 0), Err(MmioError::BadSize));
    assert_eq!(s.g.read_dma(&mut s.m, ITS + 0x200, Size::B4), Err(MmioError::NoRegister));
    assert_eq!(s.g.read_dma(&mut s.m, ITS + 0x1_0000, Size::B4), Err(MmioError::NoRegister));
    assert_eq!(s.rd32(ITS + gits::TRANSLATER), 0, "write-only: RAZ");
}
