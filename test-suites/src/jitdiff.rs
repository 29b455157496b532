//! Differential testing of an execution engine (the JIT) against the reference
//! interpreter: a small EL1/EL0 machine (RAM, one MMIO page with an interrupt doorbell,
//! exception vectors that log and skip faulting instructions), programs built from the
//! random sequences of [`crate::gen`] plus directed templates (self-modifying code,
//! interrupts, WFI, loops, remapping), run through `Engine::run` with various budgets,
//! and a comparison of the full architectural state and every platform effect.
//!
//! Memory map (physical; with the MMU on every page is mapped at VA = PA - `VA_OFF`, so
//! translation is never the identity):
//!
//! | PA | size | contents | stage 1 (MMU on) |
//! |---|---|---|---|
//! | `VEC_PA` | 4 KiB | vectors: sync handler logs ESR/FAR/ELR/SPSR and skips the instruction; IRQ handler logs and acks the doorbell | EL1 RX |
//! | `CODE_PA` | 32 KiB | the program (may start near a page end) | executable at the program's EL, RW; also at `alias_va` (RW, EL0 too, never executable) |
//! | `DATA_PA` | 16 KiB | data; the last page is read-only when the MMU is on | RW (page 3 RO), EL0 too |
//! | `LOG_PA` | 16 KiB | the handlers' stack/log (SP_EL1 starts at its end) | EL1 RW |
//! | `PT_PA` | 32 KiB | page tables (mapped so programs can change them; a second tree at `PT_ALT`) | EL1 RW |
//! | `MMIO_PA` | 4 KiB | device: reads return a deterministic sequence, writes are logged; a write to `DOORBELL` sets the IRQ line to bit 0 of its first byte, a write to `ACK` clears it | Device-nGnRnE, EL0 too |
//!
//! Anything else is unmapped (translation fault with the MMU on, external abort off).

use cpu_aarch64::engine::Engine;
use cpu_aarch64::interp::Exit;
use cpu_aarch64::platform::{Bus, BusAttrs, BusError, Hooked, IrqLevels, PhysAddr, Platform, RamSpan};
use cpu_aarch64::{Cpu, CpuConfig};

use crate::diff::{Regs, BASE_REG, EXCL_BASE_REG, SCRATCH_BASE, SCRATCH_SIZE, SCTLR_EL1_LINUX};
use crate::gen::{candidates, random_case, GenOpts, Rng};

pub const VEC_PA: u64 = 0x8000_0000;
pub const CODE_PA: u64 = 0x8001_0000;
pub const CODE_SIZE: usize = 0x8000;
pub const DATA_PA: u64 = 0x8002_0000;
pub const DATA_SIZE: usize = 0x4000;
pub const LOG_PA: u64 = 0x8003_0000;
pub const LOG_SIZE: usize = 0x4000;
pub const PT_PA: u64 = 0x8004_0000;
pub const PT_SIZE: usize = 0x8000;
/// The second stage 1 tree (`build_page_tables`): code pages 5 and 6 swapped.
pub const PT_ALT: u64 = PT_PA + 0x4000;
pub const MMIO_PA: u64 = 0x9000_0000;
/// VA = PA - VA_OFF when the MMU is on.
pub const VA_OFF: u64 = 0x4000_0000;
/// MMIO register offsets.
pub const DOORBELL: u64 = 0x900;
pub const ACK: u64 = 0x908;
/// `HLT #END_HLT` at the end of a program stops the run (only at the program's end PC).
pub const END_HLT: u32 = 0x5a5a;

// ---------------------------------------------------------------------------------------
// Instruction encodings used by the handlers and templates (Arm ARM C6; checked against
// the GNU assembler in `encodings_match_gnu_as`).

pub mod enc {
    pub const NOP: u32 = 0xd503_201f;
    pub const ERET: u32 = 0xd69f_03e0;
    pub const ISB: u32 = 0xd503_3fdf;
    pub const DSB_ISH: u32 = 0xd503_3b9f;
    pub const WFI: u32 = 0xd503_207f;
    pub const TLBI_VMALLE1: u32 = 0xd508_871f;
    pub const RET: u32 = 0xd65f_03c0;
    /// System register (op0, op1, CRn, CRm, op2).
    pub type Sr = (u32, u32, u32, u32, u32);
    pub const ESR_EL1: Sr = (3, 0, 5, 2, 0);
    pub const FAR_EL1: Sr = (3, 0, 6, 0, 0);
    pub const ELR_EL1: Sr = (3, 0, 4, 0, 1);
    pub const SPSR_EL1: Sr = (3, 0, 4, 0, 0);
    pub const CNTVCT_EL0: Sr = (3, 3, 14, 0, 2);
    pub const TTBR0_EL1: Sr = (3, 0, 2, 0, 0);
    fn sr((op0, op1, crn, crm, op2): Sr) -> u32 {
        op0 << 19 | op1 << 16 | crn << 12 | crm << 8 | op2 << 5
    }
    pub fn mrs(rt: u32, r: Sr) -> u32 {
        0xd520_0000 | sr(r) | rt
    }
    pub fn msr(r: Sr, rt: u32) -> u32 {
        0xd500_0000 | sr(r) | rt
    }
    /// STP Xt, Xt2, [Xn, #imm]! (imm a multiple of 8 in -512..=504)
    pub fn stp_pre(rt: u32, rt2: u32, rn: u32, imm: i32) -> u32 {
        0xa980_0000 | (((imm / 8) as u32) & 0x7f) << 15 | rt2 << 10 | rn << 5 | rt
    }
    /// LDP Xt, Xt2, [Xn, #imm]
    pub fn ldp(rt: u32, rt2: u32, rn: u32, imm: i32) -> u32 {
        0xa940_0000 | (((imm / 8) as u32) & 0x7f) << 15 | rt2 << 10 | rn << 5 | rt
    }
    /// STP Xt, Xt2, [Xn, #imm]
    pub fn stp(rt: u32, rt2: u32, rn: u32, imm: i32) -> u32 {
        0xa900_0000 | (((imm / 8) as u32) & 0x7f) << 15 | rt2 << 10 | rn << 5 | rt
    }
    /// LDP Wt, Wt2, [Xn, #imm] (imm a multiple of 4 in -256..=252)
    pub fn ldp_w(rt: u32, rt2: u32, rn: u32, imm: i32) -> u32 {
        0x2940_0000 | (((imm / 4) as u32) & 0x7f) << 15 | rt2 << 10 | rn << 5 | rt
    }
    /// STP Wt, Wt2, [Xn, #imm]
    pub fn stp_w(rt: u32, rt2: u32, rn: u32, imm: i32) -> u32 {
        0x2900_0000 | (((imm / 4) as u32) & 0x7f) << 15 | rt2 << 10 | rn << 5 | rt
    }
    /// STUR Xt, [Xn, #imm] (imm in -256..=255)
    pub fn stur_x(rt: u32, rn: u32, imm: i32) -> u32 {
        0xf800_0000 | ((imm as u32) & 0x1ff) << 12 | rn << 5 | rt
    }
    /// LDUR Xt, [Xn, #imm]
    pub fn ldur_x(rt: u32, rn: u32, imm: i32) -> u32 {
        0xf840_0000 | ((imm as u32) & 0x1ff) << 12 | rn << 5 | rt
    }
    /// ADD Xd, Xn, #imm12
    pub fn add_imm(rd: u32, rn: u32, imm: u32) -> u32 {
        0x9100_0000 | (imm & 0xfff) << 10 | rn << 5 | rd
    }
    /// SUBS Xd, Xn, #imm12
    pub fn subs_imm(rd: u32, rn: u32, imm: u32) -> u32 {
        0xf100_0000 | (imm & 0xfff) << 10 | rn << 5 | rd
    }
    /// MOVZ Xd, #imm16, LSL #(16*hw)
    pub fn movz(rd: u32, imm: u32, hw: u32) -> u32 {
        0xd280_0000 | hw << 21 | (imm & 0xffff) << 5 | rd
    }
    /// MOVK Xd, #imm16, LSL #(16*hw)
    pub fn movk(rd: u32, imm: u32, hw: u32) -> u32 {
        0xf280_0000 | hw << 21 | (imm & 0xffff) << 5 | rd
    }
    /// Xd = a 32-bit value (MOVZ + MOVK).
    pub fn mov32(rd: u32, v: u32) -> [u32; 2] {
        [movz(rd, v & 0xffff, 0), movk(rd, v >> 16, 1)]
    }
    /// STR Wt, [Xn]
    pub fn str_w(rt: u32, rn: u32) -> u32 {
        0xb900_0000 | rn << 5 | rt
    }
    /// STR Xt, [Xn]
    pub fn str_x(rt: u32, rn: u32) -> u32 {
        0xf900_0000 | rn << 5 | rt
    }
    /// LDR Xt, [Xn]
    pub fn ldr_x(rt: u32, rn: u32) -> u32 {
        0xf940_0000 | rn << 5 | rt
    }
    /// EOR Xd, Xn, #0x3000 (N=1, immr=52, imms=1: two ones rotated to bits 13:12)
    pub fn eor_0x3000(rd: u32, rn: u32) -> u32 {
        0xd240_0000 | 1 << 22 | 52 << 16 | 1 << 10 | rn << 5 | rd
    }
    /// EOR Xd, Xn, #(1 << bit) (N=1, imms=0: one 1, rotated right by immr = (64 - bit) % 64)
    pub fn eor_bit(rd: u32, rn: u32, bit: u32) -> u32 {
        0xd240_0000 | 1 << 22 | ((64 - bit) % 64) << 16 | rn << 5 | rd
    }
    /// ORR Xd, XZR, Xm (MOV)
    pub fn mov(rd: u32, rm: u32) -> u32 {
        0xaa00_03e0 | rm << 16 | rd
    }
    /// ADR Xd, #off (bytes)
    pub fn adr(rd: u32, off: i64) -> u32 {
        let o = off as u32;
        0x1000_0000 | (o & 3) << 29 | ((o >> 2) & 0x7ffff) << 5 | rd
    }
    pub fn hlt(imm: u32) -> u32 {
        0xd440_0000 | (imm & 0xffff) << 5
    }
    /// B #off (bytes)
    pub fn b(off: i64) -> u32 {
        0x1400_0000 | ((off >> 2) as u32 & 0x03ff_ffff)
    }
    /// BL #off (bytes)
    pub fn bl(off: i64) -> u32 {
        0x9400_0000 | ((off >> 2) as u32 & 0x03ff_ffff)
    }
    /// B.NE #off (bytes)
    pub fn b_ne(off: i64) -> u32 {
        0x5400_0001 | ((off >> 2) as u32 & 0x7ffff) << 5
    }
    /// DC CVAU, Xt
    pub fn dc_cvau(rt: u32) -> u32 {
        0xd50b_7b20 | rt
    }
    /// IC IVAU, Xt
    pub fn ic_ivau(rt: u32) -> u32 {
        0xd50b_7520 | rt
    }
    /// BLR Xn
    pub fn blr(rn: u32) -> u32 {
        0xd63f_0000 | rn << 5
    }
    /// BR Xn
    pub fn br(rn: u32) -> u32 {
        0xd61f_0000 | rn << 5
    }
    /// RET Xn
    pub fn ret(rn: u32) -> u32 {
        0xd65f_0000 | rn << 5
    }
    /// AND Xd, Xn, #3 (N=1, immr=0, imms=1: two ones)
    pub fn and_3(rd: u32, rn: u32) -> u32 {
        0x9240_0400 | rn << 5 | rd
    }
    /// ADD Xd, Xn, Xm, LSL #sh
    pub fn add_lsl(rd: u32, rn: u32, rm: u32, sh: u32) -> u32 {
        0x8b00_0000 | rm << 16 | (sh & 63) << 10 | rn << 5 | rd
    }
    /// TLBI VAE1, Xt
    pub fn tlbi_vae1(rt: u32) -> u32 {
        0xd508_8720 | rt
    }
    /// DC ZVA, Xt
    pub fn dc_zva(rt: u32) -> u32 {
        0xd50b_7420 | rt
    }
    /// LDP Xt, Xt2, [Xn], #imm (post-index; imm a multiple of 8 in -512..=504)
    pub fn ldp_post(rt: u32, rt2: u32, rn: u32, imm: i32) -> u32 {
        0xa8c0_0000 | (((imm / 8) as u32) & 0x7f) << 15 | rt2 << 10 | rn << 5 | rt
    }
    /// B.EQ #off (bytes)
    pub fn b_eq(off: i64) -> u32 {
        0x5400_0000 | ((off >> 2) as u32 & 0x7ffff) << 5
    }
    /// B.GT #off (bytes)
    pub fn b_gt(off: i64) -> u32 {
        0x5400_000c | ((off >> 2) as u32 & 0x7ffff) << 5
    }
    /// TBZ Xt, #bit, #off (bit < 32, off in bytes)
    pub fn tbz(rt: u32, bit: u32, off: i64) -> u32 {
        0x3600_0000 | (bit & 31) << 19 | ((off >> 2) as u32 & 0x3fff) << 5 | rt
    }
    /// SVC #imm
    pub fn svc(imm: u32) -> u32 {
        0xd400_0001 | (imm & 0xffff) << 5
    }
    /// MSR SPSel, #imm (0 or 1)
    pub fn msr_spsel(imm: u32) -> u32 {
        0xd500_40bf | (imm & 15) << 8
    }
}

// ---------------------------------------------------------------------------------------
// The platform

/// One logged MMIO access: (is write, pa, size, value).
pub type MmioAccess = (bool, u64, u8, u128);

/// The test platform. Regions are allocated once and never move (an engine may keep host
/// pointers from `ram_span` while the platform lives, as with the real machine's RAM).
pub struct TestPlat {
    pub regions: Vec<(u64, Vec<u8>)>,
    pub irq: bool,
    pub mmio_log: Vec<MmioAccess>,
    mmio_reads: u64,
    /// `store_notify` calls: count and a running hash of (pa, len).
    pub notify_count: u64,
    pub notify_hash: u64,
    /// `Some(ranges)`: `store_watch` answers these ranges, and only `store_notify` calls
    /// overlapping one of them are counted (the others may be left out by an engine, as
    /// the contract of `Platform::store_watch` allows). `None`: every store must be
    /// reported, and every call is counted.
    pub watch: Option<Vec<(u64, u64)>>,
    /// The PC (VA) of the program's final `HLT #END_HLT`.
    pub halt_pc: u64,
    /// "Stale code" model: instruction fetches of this PA see this word, whatever memory
    /// holds (and `ram_span` is off so every fetch goes through `read`).
    pub stale: Option<(u64, u32)>,
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Default for TestPlat {
    fn default() -> Self {
        Self::new()
    }
}

impl TestPlat {
    pub fn new() -> TestPlat {
        TestPlat {
            regions: vec![
                (VEC_PA, vec![0; 0x1000]),
                (CODE_PA, vec![0; CODE_SIZE]),
                (DATA_PA, vec![0; DATA_SIZE]),
                (LOG_PA, vec![0; LOG_SIZE]),
                (PT_PA, vec![0; PT_SIZE]),
            ],
            irq: false,
            mmio_log: Vec::new(),
            mmio_reads: 0,
            notify_count: 0,
            notify_hash: 0,
            watch: None,
            halt_pc: 0,
            stale: None,
        }
    }
    fn find(&mut self, pa: u64, len: usize) -> Option<&mut [u8]> {
        for (base, mem) in self.regions.iter_mut() {
            if pa >= *base && pa - *base + len as u64 <= mem.len() as u64 {
                let off = (pa - *base) as usize;
                return Some(&mut mem[off..off + len]);
            }
        }
        None
    }
    pub fn region(&self, base: u64) -> &[u8] {
        &self.regions.iter().find(|r| r.0 == base).expect("region").1
    }
    pub fn write_bytes(&mut self, pa: u64, b: &[u8]) {
        self.find(pa, b.len()).expect("write inside a region").copy_from_slice(b);
    }
    pub fn write_words(&mut self, pa: u64, w: &[u32]) {
        for (i, w) in w.iter().enumerate() {
            self.write_bytes(pa + 4 * i as u64, &w.to_le_bytes());
        }
    }
    fn write_u64(&mut self, pa: u64, v: u64) {
        self.write_bytes(pa, &v.to_le_bytes());
    }
    /// Back to the power-on state: zero memory, no interrupt, empty logs (in place).
    pub fn clear(&mut self) {
        for (_, m) in self.regions.iter_mut() {
            m.fill(0);
        }
        self.irq = false;
        self.mmio_log.clear();
        self.mmio_reads = 0;
        self.notify_count = 0;
        self.notify_hash = 0;
        self.halt_pc = 0;
        self.stale = None;
    }
}

impl TestPlat {
    fn store_watch_ranges(&self, out: &mut Vec<(u64, u64)>) -> bool {
        match &self.watch {
            Some(w) => {
                out.extend_from_slice(w);
                true
            }
            None => false,
        }
    }
}

impl Bus for TestPlat {
    fn read(&mut self, pa: PhysAddr, buf: &mut [u8], a: BusAttrs) -> Result<(), BusError> {
        if let Some((spa, w)) = self.stale {
            if a.instruction && pa.0 == spa && buf.len() == 4 {
                buf.copy_from_slice(&w.to_le_bytes());
                return Ok(());
            }
        }
        if let Some(m) = self.find(pa.0, buf.len()) {
            buf.copy_from_slice(m);
            return Ok(());
        }
        if pa.0 >= MMIO_PA && pa.0 - MMIO_PA + buf.len() as u64 <= 0x1000 {
            self.mmio_reads += 1;
            let lo = mix(pa.0 ^ self.mmio_reads << 32);
            let v = lo as u128 | (mix(lo) as u128) << 64;
            buf.copy_from_slice(&v.to_le_bytes()[..buf.len()]);
            self.mmio_log.push((false, pa.0, buf.len() as u8, v & (u128::MAX >> (128 - 8 * buf.len()))));
            return Ok(());
        }
        Err(BusError::Unmapped)
    }
    fn write(&mut self, pa: PhysAddr, buf: &[u8], _a: BusAttrs) -> Result<(), BusError> {
        if let Some(m) = self.find(pa.0, buf.len()) {
            m.copy_from_slice(buf);
            return Ok(());
        }
        if pa.0 >= MMIO_PA && pa.0 - MMIO_PA + buf.len() as u64 <= 0x1000 {
            let mut b = [0u8; 16];
            b[..buf.len()].copy_from_slice(buf);
            self.mmio_log.push((true, pa.0, buf.len() as u8, u128::from_le_bytes(b)));
            match pa.0 - MMIO_PA {
                DOORBELL => self.irq = buf[0] & 1 == 1,
                ACK => self.irq = false,
                _ => {}
            }
            return Ok(());
        }
        Err(BusError::Unmapped)
    }
    fn ram_span(&self, pa: PhysAddr) -> Option<RamSpan> {
        if self.stale.is_some() {
            return None;
        }
        let (base, mem) = self.regions.iter().find(|(b, m)| pa.0 >= *b && pa.0 - *b < m.len() as u64)?;
        Some(RamSpan { base: PhysAddr(*base), len: mem.len() as u64, host: mem.as_ptr() as *mut u8 })
    }
}

impl Platform for TestPlat {
    fn counter(&self) -> u64 {
        1000
    }
    /// A function of the instruction count, so an engine that lets `icount` lag behind
    /// at a counter read is caught.
    fn counter_at(&self, icount: u64) -> u64 {
        1000 + 3 * icount
    }
    fn irq_levels(&self, _cpu: u8) -> IrqLevels {
        IrqLevels { irq: self.irq, ..Default::default() }
    }
    fn hlt(&mut self, cpu: &mut Cpu, imm: u16) -> Hooked {
        if imm as u32 == END_HLT && cpu.st.pc == self.halt_pc {
            Hooked::Halt(0)
        } else {
            Hooked::No
        }
    }
    fn store_watch(&self, out: &mut Vec<(u64, u64)>) -> bool {
        self.store_watch_ranges(out)
    }
    fn store_notify(&mut self, _cpu: u8, pa: PhysAddr, len: usize) {
        if let Some(w) = &self.watch {
            let end = pa.0.wrapping_add(len as u64);
            if !w.iter().any(|&(b, l)| pa.0 < b.wrapping_add(l) && end > b) {
                return;
            }
        }
        self.notify_count += 1;
        self.notify_hash = mix(self.notify_hash ^ pa.0 ^ (len as u64) << 56);
    }
}

// ---------------------------------------------------------------------------------------
// Programs

/// How `Engine::run` calls are sized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunks {
    /// Every call gets this budget (1, 7, 1000, ...).
    Fixed(u64),
    /// Budgets drawn from 1..=50 with this seed.
    Random(u64),
}

/// A program and its machine settings.
#[derive(Debug, Clone)]
pub struct Prog {
    pub id: u64,
    pub kind: &'static str,
    /// EL the program runs at (0 or 1; EL1 with SP_EL0, "EL1t").
    pub el: u8,
    pub mmu: bool,
    /// SCTLR_EL1.A (alignment checks on every access).
    pub align_check: bool,
    /// CPACR_EL1.FPEN = 0b11 (else FP/AdvSIMD instructions trap to EL1).
    pub fp: bool,
    /// Byte offset of the program in the code region.
    pub code_off: u64,
    /// The program words (the last one is `HLT #END_HLT`).
    pub code: Vec<u32>,
    /// Other code: (byte offset in the code region, words).
    pub extra_code: Vec<(u64, Vec<u32>)>,
    pub regs: Regs,
    /// Initial contents of the data region.
    pub data: Vec<u8>,
    /// Instruction limit (per phase).
    pub limit: u64,
    /// The IRQ line is raised (between `run` calls) once `icount` reaches this.
    pub irq_at: Option<u64>,
    /// Self-modifying code without maintenance: (code offset of the slot, the word it
    /// held). Either the old or the new word may be executed there.
    pub smc_either: Option<(u64, u32)>,
    /// After the first phase the host writes this word at this code offset (calling
    /// `Engine::invalidate_phys`) and runs the program again from its start.
    pub host_patch: Option<(u64, u32)>,
    /// SCTLR_EL1 bits cleared at setup (e.g. UCI, DZE: EL0 cache maintenance traps).
    pub sctlr_clear: u64,
}

impl Prog {
    pub fn va(&self, pa: u64) -> u64 {
        if self.mmu { pa - VA_OFF } else { pa }
    }
    pub fn start_va(&self) -> u64 {
        self.va(CODE_PA + self.code_off)
    }
    pub fn describe(&self) -> String {
        let mut s = format!(
            "case {} ({}): EL{} MMU {} SCTLR.A {} FP {} code at {:#x}, limit {}, irq_at {:?}, smc_either {:?}, host_patch {:?}\n",
            self.id,
            self.kind,
            self.el,
            if self.mmu { "on" } else { "off" },
            self.align_check as u8,
            if self.fp { "on" } else { "trapped" },
            self.start_va(),
            self.limit,
            self.irq_at,
            self.smc_either,
            self.host_patch
        );
        let show = |s: &mut String, va: u64, words: &[u32]| {
            for (k, w) in words.iter().enumerate() {
                let pc = va + 4 * k as u64;
                s.push_str(&format!("    {pc:#010x}: {w:08x}  {}\n", cpu_aarch64::decode::disasm::disasm(*w, pc)));
            }
        };
        show(&mut s, self.start_va(), &self.code);
        for (off, w) in &self.extra_code {
            s.push_str("  extra code:\n");
            show(&mut s, self.va(CODE_PA + off), w);
        }
        s
    }
}

/// The exception vectors: every synchronous/SError/FIQ slot logs (X0, X1), (ESR, FAR),
/// (ELR, SPSR) on SP_EL1 and returns to ELR + 4; the IRQ slots log (X0, X1), (ELR,
/// SPSR), write the doorbell's ACK register and return to ELR.
fn vectors(mmu: bool) -> Vec<u32> {
    use enc::*;
    let mut v = vec![NOP; 0x800 / 4];
    let sync = [
        stp_pre(0, 1, 31, -16),
        mrs(0, ESR_EL1),
        mrs(1, FAR_EL1),
        stp_pre(0, 1, 31, -16),
        mrs(0, ELR_EL1),
        mrs(1, SPSR_EL1),
        stp_pre(0, 1, 31, -16),
        add_imm(0, 0, 4),
        msr(ELR_EL1, 0),
        ldp(0, 1, 31, 32),
        ERET,
    ];
    let ack = if mmu { MMIO_PA - VA_OFF } else { MMIO_PA } + ACK;
    let [m0, m1] = mov32(0, ack as u32);
    let irq = [
        stp_pre(0, 1, 31, -16),
        mrs(0, ELR_EL1),
        mrs(1, SPSR_EL1),
        stp_pre(0, 1, 31, -16),
        m0,
        m1,
        str_w(31, 0),
        ldp(0, 1, 31, 16),
        ERET,
    ];
    for slot in 0..16 {
        let words: &[u32] = if slot % 4 == 1 { &irq } else { &sync };
        v[slot * 32..slot * 32 + words.len()].copy_from_slice(words);
    }
    v
}

/// Stage 1 tables (4 KiB granule, T0SZ = 25: the walk starts at level 1) mapping every
/// region at VA = PA - VA_OFF. Code is executable only at the program's EL. Two trees:
/// TTBR0 = `PT_PA` (the one programs start with) and `PT_ALT`, the same but for code
/// pages 5 and 6, whose PAs are swapped; those two pages are non-global (nG) in both, so
/// that a TTBR0 write switching tree and ASID (0 <-> 1) changes their translation without
/// a TLBI (the `ttbr` call variant).
fn build_page_tables(p: &mut TestPlat, el: u8) {
    let l3m = PT_PA + 0x3000;
    let table = |a: u64| a | 0b11;
    // Page: bits 1:0 = 0b11, AttrIndx, AP[2:1], SH = Inner Shareable, AF = 1, PXN, UXN.
    let page = |pa: u64, attr: u64, ap: u64, pxn: bool, uxn: bool| {
        pa | 0b11 | attr << 2 | ap << 6 | 0b11 << 8 | 1 << 10 | (pxn as u64) << 53 | (uxn as u64) << 54
    };
    let va = |pa: u64| pa - VA_OFF;
    for (l1, alt) in [(PT_PA, false), (PT_ALT, true)] {
        let (l2, l3) = (l1 + 0x1000, l1 + 0x2000);
        p.write_u64(l1 + 8 * (va(VEC_PA) >> 30), table(l2));
        p.write_u64(l2 + 8 * ((va(VEC_PA) >> 21) & 511), table(l3));
        p.write_u64(l2 + 8 * ((va(MMIO_PA) >> 21) & 511), table(l3m));
        let map = |p: &mut TestPlat, pa: u64, size: usize, f: &dyn Fn(u64) -> u64| {
            for a in (pa..pa + size as u64).step_by(0x1000) {
                p.write_u64(l3 + 8 * ((va(a) >> 12) & 511), f(a));
            }
        };
        map(p, VEC_PA, 0x1000, &|a| page(a, 0, 0b00, false, true));
        // AP = 0b01 (EL0 RW) makes a page PXN for EL1 implicitly, so EL1 code is EL1-only.
        let code_ap = if el == 0 { 0b01 } else { 0b00 };
        map(p, CODE_PA, CODE_SIZE, &|a| {
            let pg = (a - CODE_PA) >> 12;
            let swapped = if alt && (pg == 5 || pg == 6) { a ^ 0x3000 } else { a };
            let ng = if pg == 5 || pg == 6 { 1 << 11 } else { 0 };
            page(swapped, 0, code_ap, el == 0, el != 0) | ng
        });
        // The code's second mapping (`alias_va`), right after it (a gap before the data).
        for a in (CODE_PA..CODE_PA + CODE_SIZE as u64).step_by(0x1000) {
            p.write_u64(l3 + 8 * ((alias_va(a) >> 12) & 511), page(a, 0, 0b01, true, true));
        }
        map(p, DATA_PA, DATA_SIZE, &|a| page(a, 0, if a >= DATA_PA + 0x3000 { 0b11 } else { 0b01 }, true, true));
        map(p, LOG_PA, LOG_SIZE, &|a| page(a, 0, 0b00, true, true));
        map(p, PT_PA, PT_SIZE, &|a| page(a, 0, 0b00, true, true));
    }
    p.write_u64(l3m + 8 * ((va(MMIO_PA) >> 12) & 511), page(MMIO_PA, 1, 0b01, true, true));
}

/// The second VA of code-region PA `pa` with the MMU on: a read-write mapping (EL0 too)
/// that is never executable, for stores into code through an alias.
pub fn alias_va(pa: u64) -> u64 {
    pa - VA_OFF + CODE_SIZE as u64
}

/// The VA of the level 3 descriptor that maps code-region page `page` (MMU on).
pub fn code_pte_va(page: u64) -> u64 {
    let va = CODE_PA + 0x1000 * page - VA_OFF;
    PT_PA + 0x2000 + 8 * ((va >> 12) & 511) - VA_OFF
}

/// Loads `prog` into `p` and returns the CPU in its initial state.
pub fn setup(prog: &Prog, p: &mut TestPlat) -> Cpu {
    p.clear();
    p.write_words(VEC_PA, &vectors(prog.mmu));
    build_page_tables(p, prog.el);
    p.write_words(CODE_PA + prog.code_off, &prog.code);
    for (off, w) in &prog.extra_code {
        p.write_words(CODE_PA + off, w);
    }
    p.write_bytes(DATA_PA, &prog.data);
    p.halt_pc = prog.start_va() + 4 * (prog.code.len() as u64 - 1);
    let mut cpu = Cpu::new(CpuConfig { index: 0, mpidr: 0, has_el2: false, has_el3: false });
    let s = &mut cpu.sys;
    s.vbar[1] = prog.va(VEC_PA);
    s.cpacr_el1 = if prog.fp { 0b11 << 20 } else { 0 };
    s.mair[1] = 0x00ff; // Attr0 = Normal write-back, Attr1 = Device-nGnRnE
    // TCR_EL1: T0SZ = 25, IRGN0 = ORGN0 = WB WA, SH0 = Inner, TG0 = 4K, EPD1 = 1, IPS = 40 bits.
    s.tcr[1] = 25 | 0b01 << 8 | 0b01 << 10 | 0b11 << 12 | 1 << 23 | 0b010 << 32;
    s.ttbr0[1] = PT_PA;
    let mut sctlr = SCTLR_EL1_LINUX;
    if !prog.mmu {
        sctlr &= !1;
    }
    if prog.align_check {
        sctlr |= cpu_aarch64::sysreg::SCTLR_A;
    }
    s.sctlr[1] = sctlr & !prog.sctlr_clear;
    s.cntkctl_el1 = 0b11; // EL0PCTEN, EL0VCTEN
    let st = &mut cpu.st;
    st.x = prog.regs.x;
    st.sp_el[0] = prog.regs.sp;
    st.sp_el[1] = prog.va(LOG_PA + LOG_SIZE as u64);
    st.pstate.nzcv = prog.regs.nzcv as u32 & 0xf000_0000;
    st.pstate.el = prog.el;
    st.pstate.sp = 0;
    st.pstate.daif = 0;
    st.fpcr = prog.regs.fpcr as u32;
    st.fpsr = prog.regs.fpsr as u32;
    st.v = prog.regs.v;
    st.pc = prog.start_va();
    cpu
}

/// What a run left behind.
pub struct Outcome {
    pub cpu: Cpu,
    pub plat: TestPlat,
    pub exits: Vec<Exit>,
}

/// Runs `prog` on `engine` with `chunks`, in `p` (reused: cleared and reloaded). Returns
/// the final CPU and the exits of every `run` call. `stale` selects the stale-code model
/// for `Prog::smc_either`.
pub fn run_prog(prog: &Prog, engine: &mut dyn Engine, p: &mut TestPlat, chunks: Chunks, stale: bool) -> (Cpu, Vec<Exit>) {
    let mut cpu = setup(prog, p);
    // Everything executable was rewritten behind the engine's back.
    engine.invalidate_phys(VEC_PA, 0x1000);
    engine.invalidate_phys(CODE_PA, CODE_SIZE as u64);
    if stale {
        p.stale = prog.smc_either.map(|(off, w)| (CODE_PA + off, w));
    }
    let mut exits = Vec::new();
    let mut rng = Rng::new(match chunks {
        Chunks::Random(s) => s,
        Chunks::Fixed(_) => 0,
    });
    let phases = if prog.host_patch.is_some() { 2 } else { 1 };
    let mut irq_at = prog.irq_at;
    for phase in 0..phases {
        if phase == 1 {
            let (off, w) = prog.host_patch.expect("phase 2 has a patch");
            p.write_words(CODE_PA + off, &[w]);
            engine.invalidate_phys(CODE_PA + off, 4);
            cpu.st.pc = prog.start_va();
            cpu.st.pstate.el = prog.el;
            cpu.st.pstate.sp = 0;
            cpu.st.pstate.daif = 0;
        }
        let end = cpu.icount + prog.limit;
        // A bound on calls, so an engine that makes no progress cannot hang the test.
        let mut calls = 0;
        while cpu.icount < end && calls < 2 * prog.limit + 16 {
            calls += 1;
            if irq_at.is_some_and(|t| cpu.icount >= t) {
                p.irq = true;
                irq_at = None;
            }
            let mut b = match chunks {
                Chunks::Fixed(n) => n,
                Chunks::Random(_) => 1 + rng.below(50),
            }
            .min(end - cpu.icount);
            if let Some(t) = irq_at {
                b = b.min(t - cpu.icount);
            }
            let x = engine.run(&mut cpu, p, b);
            exits.push(x);
            match x {
                Exit::Budget => {}
                Exit::Wait => {
                    // Nothing else will happen until the scheduled interrupt: raise it now.
                    if irq_at.is_some() {
                        p.irq = true;
                        irq_at = None;
                    } else {
                        break;
                    }
                }
                // A debugger stop (breakpoint/watchpoint) ends the run like a halt.
                Exit::Halt(_) | Exit::Off | Exit::Debug => break,
            }
        }
    }
    p.stale = None;
    (cpu, exits)
}

// ---------------------------------------------------------------------------------------
// Comparison

fn cpu_lines(c: &Cpu) -> Vec<String> {
    let mut l = Vec::new();
    let st = &c.st;
    for i in 0..31 {
        l.push(format!("x{i} = {:#018x}", st.x[i]));
    }
    for i in 0..4 {
        l.push(format!("sp_el{i} = {:#018x}", st.sp_el[i]));
    }
    l.push(format!("pc = {:#018x}", st.pc));
    l.push(format!("pstate = {:?}", st.pstate));
    for i in 0..32 {
        l.push(format!("v{i} = {:#034x}", st.v[i]));
    }
    l.push(format!("fpcr = {:#x}", st.fpcr));
    l.push(format!("fpsr = {:#x}", st.fpsr));
    for i in 1..4 {
        l.push(format!("elr_el{i} = {:#x}", st.elr[i]));
        l.push(format!("spsr_el{i} = {:#x}", st.spsr[i]));
    }
    l.push(format!("icount = {}", c.icount));
    l.push(format!("monitor = {:?}", c.monitor));
    l.push(format!("waiting = {:?} event = {} off = {} step_ex = {}", c.waiting, c.event, c.off, c.step_ex));
    l.push(format!("stats = {:?}", c.stats));
    // Every system register (ESR/FAR/ELR/SPSR, SCTLR, timers, PMU, ...), one per line.
    let sys = format!("{:#?}", c.sys);
    let mut label = String::new();
    for s in sys.lines() {
        let t = s.trim();
        if let Some(name) = t.strip_suffix(": [") {
            label = name.to_string();
            continue;
        }
        if t.contains(": ") {
            l.push(format!("sys.{t}"));
        } else {
            l.push(format!("sys.{label}[] {t}"));
        }
    }
    l
}

/// The differences between two outcomes, one line each (empty: identical).
/// With `all_exits` false (runs with different budgets) only the last `run` result is
/// compared.
pub fn compare(a: &Outcome, b: &Outcome, na: &str, nb: &str, all_exits: bool) -> Vec<String> {
    let mut d = Vec::new();
    if !all_exits {
        if a.exits.last() != b.exits.last() {
            d.push(format!("last run() exit: {na} {:?} / {nb} {:?}", a.exits.last(), b.exits.last()));
        }
    } else if a.exits != b.exits {
        let k = a.exits.iter().zip(&b.exits).position(|(x, y)| x != y).unwrap_or(a.exits.len().min(b.exits.len()));
        d.push(format!(
            "run() exits differ at call {k}: {na} {:?} / {nb} {:?} ({} / {} calls)",
            a.exits.get(k),
            b.exits.get(k),
            a.exits.len(),
            b.exits.len()
        ));
    }
    let (ca, cb) = (&a.cpu, &b.cpu);
    let same_cpu = ca.st == cb.st
        && ca.sys == cb.sys
        && ca.icount == cb.icount
        && ca.monitor == cb.monitor
        && (ca.waiting, ca.event, ca.off, ca.step_ex) == (cb.waiting, cb.event, cb.off, cb.step_ex)
        && ca.stats == cb.stats;
    if !same_cpu {
        let (la, lb) = (cpu_lines(ca), cpu_lines(cb));
        // Lines can only misalign in `sys.other` (a BTreeMap); report them as they come.
        for (x, y) in la.iter().zip(&lb) {
            if x != y {
                d.push(format!("{na}: {x}  /  {nb}: {y}"));
            }
        }
        if la.len() != lb.len() {
            d.push(format!("system register dump lengths differ: {} / {}", la.len(), lb.len()));
        }
    }
    for ((base, ma), (_, mb)) in a.plat.regions.iter().zip(&b.plat.regions) {
        if ma == mb {
            continue;
        }
        let mut n = 0;
        for (i, (x, y)) in ma.iter().zip(mb).enumerate() {
            if x != y {
                n += 1;
                if n <= 8 {
                    d.push(format!("mem[pa {:#x}]: {na} {x:#04x} / {nb} {y:#04x}", base + i as u64));
                }
            }
        }
        if n > 8 {
            d.push(format!("... {n} bytes differ in the region at {base:#x}"));
        }
    }
    if a.plat.mmio_log != b.plat.mmio_log {
        let k = a.plat.mmio_log.iter().zip(&b.plat.mmio_log).position(|(x, y)| x != y);
        let k = k.unwrap_or(a.plat.mmio_log.len().min(b.plat.mmio_log.len()));
        d.push(format!(
            "MMIO accesses (write?, pa, size, value) differ at #{k}: {na} {:x?} / {nb} {:x?} ({} / {} accesses)",
            a.plat.mmio_log.get(k),
            b.plat.mmio_log.get(k),
            a.plat.mmio_log.len(),
            b.plat.mmio_log.len()
        ));
    }
    if (a.plat.notify_count, a.plat.notify_hash) != (b.plat.notify_count, b.plat.notify_hash) {
        d.push(format!(
            "store_notify calls differ: {na} {} (hash {:#x}) / {nb} {} (hash {:#x})",
            a.plat.notify_count, a.plat.notify_hash, b.plat.notify_count, b.plat.notify_hash
        ));
    }
    if a.plat.irq != b.plat.irq {
        d.push(format!("IRQ line: {na} {} / {nb} {}", a.plat.irq, b.plat.irq));
    }
    d
}

// ---------------------------------------------------------------------------------------
// Program generation

/// Which program families [`make_prog`] draws from.
pub const KINDS: &[&str] = &[
    "random", "loop", "smc_maint", "smc_either", "smc_loop", "doorbell", "wfi", "remap", "host_patch", "indirect", "remap_loop", "smc_alias",
    "pair_cross",
];

fn filler(r: &mut Rng, cands: &[usize], max_len: usize, aligned: bool) -> Vec<u32> {
    let o = GenOpts { groups: vec![], aligned, max_len };
    random_case(r, cands, &o).insns
}

/// Makes program number `id` (deterministic in `seed` and `id`).
pub fn make_prog(seed: u64, id: u64, cands: &[usize]) -> Prog {
    use enc::*;
    let mut r = Rng::new(seed ^ id.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let kind = KINDS[(r.below(100) as usize).min(99) * KINDS.len() / 100];
    // Random sequences dominate; directed templates share the rest.
    let kind = if r.chance(1, 2) { "random" } else { kind };
    let el = r.below(2) as u8;
    let mmu = matches!(kind, "remap" | "remap_loop" | "smc_alias" | "pair_cross") || r.chance(2, 3);
    let aligned = !mmu || r.chance(1, 8);
    let base = random_case(&mut r, cands, &GenOpts { groups: vec![], aligned, max_len: 48 });
    let mut regs = base.regs.clone();
    // Relocate the generator's buffer (SCRATCH_BASE) to data page 1; X28 (the moving base)
    // sometimes near a page boundary, into the read-only page, or into the MMIO page.
    let va = |pa: u64| if mmu { pa - VA_OFF } else { pa };
    let page1 = va(DATA_PA + 0x1000);
    let reloc = |v: u64| v.wrapping_sub(SCRATCH_BASE).wrapping_add(page1);
    regs.x[EXCL_BASE_REG as usize] = reloc(regs.x[EXCL_BASE_REG as usize]);
    regs.x[BASE_REG as usize] = match r.below(8) {
        0 => page1 + (r.below(128) as i64 - 64) as u64,
        1 => page1 + 0x1000 + (r.below(128) as i64 - 64) as u64,
        2 => page1 + 0x2000 - (r.below(64)) * 8,
        3 => va(MMIO_PA) + 0x800,
        _ => reloc(regs.x[BASE_REG as usize]),
    };
    if regs.sp >= SCRATCH_BASE && regs.sp < SCRATCH_BASE + SCRATCH_SIZE as u64 {
        regs.sp = reloc(regs.sp);
    }
    let mut data = vec![0u8; DATA_SIZE];
    for (i, c) in data.chunks_mut(8).enumerate() {
        c.copy_from_slice(&mix(seed ^ id << 20 ^ i as u64).to_le_bytes());
    }
    data[0x1000..0x2000].copy_from_slice(&base.scratch);
    let mut prog = Prog {
        id,
        kind,
        el,
        mmu,
        align_check: r.chance(1, 8),
        fp: !r.chance(1, 16),
        code_off: if r.chance(1, 2) { 0x1000 - 4 * (1 + r.below(24)) } else { 0x100 },
        code: Vec::new(),
        extra_code: Vec::new(),
        regs,
        data,
        limit: 0,
        irq_at: None,
        smc_either: None,
        host_patch: None,
        sctlr_clear: 0,
    };
    let mut code: Vec<u32> = Vec::new();
    match kind {
        "random" | "host_patch" => {
            code = base.insns.clone();
            // A few counter reads: they expose an instruction count that lags.
            for _ in 0..r.below(3) {
                if !code.is_empty() {
                    let k = r.below(code.len() as u64) as usize;
                    code[k] = mrs(r.below(26) as u32, CNTVCT_EL0);
                }
            }
            if kind == "host_patch" && !code.is_empty() {
                let k = r.below(code.len() as u64);
                let w = filler(&mut r, cands, 1, aligned).first().copied().unwrap_or(NOP);
                prog.host_patch = Some((prog.code_off + 4 * k, w));
            }
            if r.chance(1, 3) {
                prog.irq_at = Some(r.below(code.len() as u64 + 4));
            }
        }
        "loop" => {
            // body; SUBS X26, X26, #1; B.NE body. X26 (the generator's index register,
            // which nothing else writes) counts the iterations.
            code = filler(&mut r, cands, 24, aligned);
            let n = code.len() as i64;
            code.push(subs_imm(26, 26, 1));
            code.push(b_ne(-4 * (n + 1)));
            prog.regs.x[26] = 1 + r.below(20);
            if r.chance(1, 3) {
                prog.irq_at = Some(r.below(200));
            }
        }
        "smc_maint" | "smc_either" => {
            // filler; X24 = &T; W23 = new word; STR W23, [X24]; [DC CVAU; DSB; IC IVAU;
            // DSB; ISB]; filler; T: old word; filler
            code = filler(&mut r, cands, 8, aligned);
            let f2 = filler(&mut r, cands, 6, aligned);
            let old = filler(&mut r, cands, 1, aligned).first().copied().unwrap_or(NOP);
            let new = if r.chance(1, 2) { movz(2, r.below(0x10000) as u32, 0) } else { filler(&mut r, cands, 1, aligned).first().copied().unwrap_or(NOP) };
            let maint = kind == "smc_maint";
            let at = code.len();
            let t = at + 4 + if maint { 5 } else { 0 } + f2.len();
            code.push(adr(24, 4 * (t - at) as i64));
            code.extend(mov32(23, new));
            code.push(str_w(23, 24));
            if maint {
                code.extend([dc_cvau(24), DSB_ISH, ic_ivau(24), DSB_ISH, ISB]);
            }
            code.extend(f2);
            assert_eq!(code.len(), t);
            code.push(old);
            code.extend(filler(&mut r, cands, 6, aligned));
            if !maint {
                prog.smc_either = Some((prog.code_off + 4 * t as u64, old));
            }
        }
        "smc_loop" => {
            // X22 = 2; L: T: old; filler; X24 = &T; W23 = new; STR; DC CVAU; DSB; IC IVAU;
            // DSB; ISB; SUBS X22, X22, #1; B.NE L. The second pass must run the new word.
            let old = movz(3, r.below(0x10000) as u32, 0);
            let new = filler(&mut r, cands, 1, aligned).first().copied().unwrap_or(NOP);
            code.push(movz(22, 2, 0));
            let t = code.len();
            code.push(old);
            code.extend(filler(&mut r, cands, 6, aligned));
            let at = code.len();
            code.push(adr(24, -4 * (at - t) as i64));
            code.extend(mov32(23, new));
            code.push(str_w(23, 24));
            code.extend([dc_cvau(24), DSB_ISH, ic_ivau(24), DSB_ISH, ISB]);
            code.push(subs_imm(22, 22, 1));
            let here = code.len();
            code.push(b_ne(-4 * (here - t) as i64));
        }
        "doorbell" => {
            // filler; X24 = doorbell; W23 = 1; STR W23, [X24]; filler: the IRQ is taken
            // right after the store (the handler acks it).
            code = filler(&mut r, cands, 8, aligned);
            code.extend(mov32(24, (va(MMIO_PA) + DOORBELL) as u32));
            code.push(movz(23, 1, 0));
            code.push(str_w(23, 24));
            code.extend(filler(&mut r, cands, 8, aligned));
        }
        "wfi" => {
            code = filler(&mut r, cands, 8, aligned);
            code.push(WFI);
            code.extend(filler(&mut r, cands, 8, aligned));
            if r.chance(3, 4) {
                prog.irq_at = Some(r.below(40));
            }
        }
        "remap" => {
            // EL1, MMU on: BL f; X19 = X0; move f's page to the other physical page (EOR of
            // PA bits 13:12 in its descriptor); DSB; TLBI VMALLE1; DSB; ISB; BL f; HLT.
            prog.el = 1;
            let (pa_a, pa_b) = (5u64, 6u64); // code pages; 5 ^ 6 = 3 (bits 13:12 of the PA)
            let f = |r: &mut Rng| vec![movz(0, r.below(0x10000) as u32, 0), add_imm(0, 0, r.below(4096) as u32), RET];
            prog.extra_code.push((0x1000 * pa_a, f(&mut r)));
            prog.extra_code.push((0x1000 * pa_b, f(&mut r)));
            prog.code_off = 0x100;
            let fva = CODE_PA + 0x1000 * pa_a - VA_OFF;
            let here = |code: &Vec<u32>| CODE_PA + prog.code_off - VA_OFF + 4 * code.len() as u64;
            code.push(bl(fva as i64 - here(&code) as i64));
            code.push(mov(19, 0));
            code.extend(mov32(24, code_pte_va(pa_a) as u32));
            code.push(ldr_x(23, 24));
            code.push(eor_0x3000(23, 23));
            code.push(str_x(23, 24));
            code.extend([DSB_ISH, TLBI_VMALLE1, DSB_ISH, ISB]);
            code.push(bl(fva as i64 - here(&code) as i64));
        }
        "indirect" => {
            // Calls and jumps through registers to several targets on other pages, in a
            // loop (so translated code finds its targets without the dispatcher): four
            // functions F_j at code offsets 0xff8 + 0x800 * j (F_0 and F_2 straddle a
            // page boundary), each X20 += j + 1; X21 ^= X20; F_1 and F_3 also call G
            // (page 3) through BLR, saving X30 in X23; return by RET or RET X22.
            //   L: filler; X24 = X26 & 3; X25 = F_0 + X24 << 11;
            //      [X23' = new ADD word; STR W23, [X25]; DC CVAU; DSB; IC IVAU; DSB; ISB]
            //      BLR X25 | (ADR X30, back; BR X25) | (ADR X22, back; BR X25 into RET X22)
            //      [BL F_0]; SUBS X26, X26, #1; B.NE L
            // The patched variant rewrites the function's first instruction before each
            // call: the new code must run.
            const F0: u64 = 0xff8;
            const G: u64 = 0x3800;
            prog.code_off = 0x100;
            let ret_x22 = r.chance(1, 3);
            let patch = r.chance(1, 3);
            for j in 0..4u32 {
                let mut f = vec![add_imm(20, 20, j + 1), 0xca14_02b5 /* eor x21, x21, x20 */];
                if j % 2 == 1 {
                    let here = F0 + 0x800 * j as u64 + 4 * (f.len() as u64 + 1);
                    f.push(mov(23, 30));
                    f.push(adr(25, G as i64 - here as i64));
                    f.push(blr(25));
                    f.push(mov(30, 23));
                }
                f.push(if ret_x22 { ret(22) } else { RET });
                prog.extra_code.push((F0 + 0x800 * j as u64, f));
            }
            prog.extra_code.push((G, vec![add_imm(19, 19, 1), RET]));
            let here = |code: &Vec<u32>| prog.code_off + 4 * code.len() as u64;
            let top = code.len();
            code.extend(filler(&mut r, cands, 6, aligned));
            code.push(and_3(24, 26));
            code.push(adr(25, F0 as i64 - here(&code) as i64));
            code.push(add_lsl(25, 25, 24, 11));
            if patch {
                code.extend(mov32(23, add_imm(20, 20, r.below(4096) as u32)));
                code.push(str_w(23, 25));
                code.extend([dc_cvau(25), DSB_ISH, ic_ivau(25), DSB_ISH, ISB]);
            }
            let link = if ret_x22 { 22 } else { 30 };
            if ret_x22 || r.chance(1, 2) {
                // ADR Xlink, back; BR X25; back:
                code.push(adr(link, 8));
                code.push(br(25));
            } else {
                code.push(blr(25));
            }
            if !ret_x22 && r.chance(1, 2) {
                code.push(bl(F0 as i64 - here(&code) as i64));
            }
            code.push(subs_imm(26, 26, 1));
            let back = top as i64 - code.len() as i64;
            code.push(b_ne(4 * back));
            prog.regs.x[26] = 1 + r.below(24);
            if r.chance(1, 3) {
                prog.irq_at = Some(r.below(300));
            }
        }
        "remap_loop" => {
            // EL1, MMU on. The same VA (F, page 5) maps in turn to two physical pages with
            // different code; both translations stay cached while the loop runs:
            //   X24 = &PTE(F); [X21 = F >> 12]
            //   L: 2 x (X25 = F; BLR X25 | BL F; ADD X19, X0, X19 LSL #1 (order-sensitive));
            //      [2 x (LDR D0, [X22, #0 | #8]; FMOV X0, D0; ADD X19, X0, X19 LSL #1)
            //      (X22 = F)];
            //      LDR X23, [X24]; EOR X23, X23, #0x3000; STR X23, [X24];
            //      DSB; TLBI VMALLE1 | TLBI VAE1, X21; DSB; ISB; SUBS X26, X26, #1; B.NE L
            // After each TLBI the call must run the other page's code, and the SIMD&FP
            // load read the other page (the JIT's page memo of SIMD&FP accesses must not
            // outlive the TLBI).
            prog.el = 1;
            prog.code_off = 0x100;
            let (pa_a, pa_b) = (5u64, 6u64);
            let f = |r: &mut Rng| {
                let mut w = vec![movz(0, r.below(0x10000) as u32, 0)];
                for _ in 0..r.below(3) {
                    w.push(add_imm(0, 0, r.below(4096) as u32));
                }
                w.push(RET);
                w
            };
            prog.extra_code.push((0x1000 * pa_a, f(&mut r)));
            prog.extra_code.push((0x1000 * pa_b, f(&mut r)));
            let fva = CODE_PA + 0x1000 * pa_a - VA_OFF;
            let here = |code: &Vec<u32>| CODE_PA + prog.code_off - VA_OFF + 4 * code.len() as u64;
            code.extend(mov32(24, code_pte_va(pa_a) as u32));
            let by_va = r.chance(1, 2);
            if by_va {
                code.extend(mov32(21, (fva >> 12) as u32));
            }
            let fp_load = r.chance(1, 2);
            if fp_load {
                code.extend(mov32(22, fva as u32));
            }
            let top = code.len();
            // Two calls per mapping: the first one after a TLBI walks the tables, the
            // second one finds F's translation cached (the block for this PA, made in an
            // earlier iteration, must not be confused with the other PA's).
            let indirect = r.chance(2, 3);
            for _ in 0..2 {
                if indirect {
                    code.push(adr(25, fva as i64 - here(&code) as i64));
                    code.push(blr(25));
                } else {
                    code.push(bl(fva as i64 - here(&code) as i64));
                }
                code.push(add_lsl(19, 0, 19, 1));
            }
            if fp_load {
                // LDR D0, [X22]; FMOV X0, D0; ADD; LDR D0, [X22, #8]; FMOV X0, D0; ADD:
                // the first load after a TLBI fills the PE's TLB, the second finds it.
                for w in [0xfd40_02c0, 0xfd40_06c0] {
                    code.extend([w, 0x9e66_0000]);
                    code.push(add_lsl(19, 0, 19, 1));
                }
            }
            // Cold remap (with the SIMD&FP load): the loop runs without remapping, then
            // the remap runs once, from a block the dispatcher meets for the first time
            // (so it interprets the TLBI itself: no call-out), and the loop runs again:
            //   L: ...; SUBS X26, X26, #1; B.NE L
            //   SUBS X27, X27, #1; B.NE R; B E
            //   R: LDR/EOR/STR X23; DSB; TLBI; DSB; ISB; MOVZ X26, #n; B L
            //   E:
            // The second round's loads must read the other page: a page memo filled in
            // the first round must not survive the dispatcher's TLBI (X27 = 2).
            let cold = fp_load && r.chance(1, 3);
            let remap = [ldr_x(23, 24), eor_0x3000(23, 23), str_x(23, 24), DSB_ISH, if by_va { tlbi_vae1(21) } else { TLBI_VMALLE1 }, DSB_ISH, ISB];
            if !cold {
                code.extend(remap);
            }
            code.push(subs_imm(26, 26, 1));
            let back = top as i64 - code.len() as i64;
            code.push(b_ne(4 * back));
            prog.regs.x[26] = 2 + r.below(5);
            if cold {
                let rounds = 3 + r.below(4) as u32;
                prog.regs.x[26] = rounds as u64;
                prog.regs.x[27] = 2;
                code.push(subs_imm(27, 27, 1));
                code.push(b_ne(8));
                code.push(b(4 * (remap.len() as i64 + 3)));
                code.extend(remap);
                code.push(movz(26, rounds, 0));
                let back = top as i64 - code.len() as i64;
                code.push(b(4 * back));
            }
        }
        "smc_alias" => {
            // MMU on. F (page 5: MOVZ X0, #imm; RET) is rewritten between calls, through
            // its alias (`alias_va`) or its own VA, and the page also gets data stores
            // (another 64-byte line) before F is first run, so the PE has a write entry
            // for it from before the page held translated code:
            //   X24 = store VA of F; X25 = X24 + 0x800; W23 = MOVZ X0, #new
            //   L: STR X19, [X25] | DC ZVA, X25; BL F; ADD X19, X0, X19 LSL #1;
            //      STR W23, [X24]; DC CVAU, X24; DSB; IC IVAU, X24; DSB; ISB;
            //      ADD X23, X23, #32 (the immediate + 1); SUBS X26, X26, #1; B.NE L
            // Each call must run the word stored last.
            prog.code_off = 0x100;
            let fpa = CODE_PA + 0x5000 + 4 * r.below(16);
            prog.extra_code.push((fpa - CODE_PA, vec![movz(0, r.below(0x8000) as u32, 0), RET]));
            let fva = fpa - VA_OFF;
            let sva = if r.chance(3, 4) { alias_va(fpa) } else { fva };
            let here = |code: &Vec<u32>| CODE_PA + prog.code_off - VA_OFF + 4 * code.len() as u64;
            code.extend(mov32(24, sva as u32));
            code.push(add_imm(25, 24, 0x800));
            code.extend(mov32(23, movz(0, r.below(0x8000) as u32, 0)));
            let top = code.len();
            code.push(if r.chance(1, 3) { dc_zva(25) } else { str_x(19, 25) });
            code.push(bl(fva as i64 - here(&code) as i64));
            code.push(add_lsl(19, 0, 19, 1));
            code.push(str_w(23, 24));
            code.extend([dc_cvau(24), DSB_ISH, ic_ivau(24), DSB_ISH, ISB]);
            code.push(add_imm(23, 23, 32));
            code.push(subs_imm(26, 26, 1));
            let back = top as i64 - code.len() as i64;
            code.push(b_ne(4 * back));
            prog.regs.x[26] = 2 + r.below(4);
        }
        "pair_cross" => {
            // MMU on. Pairs whose second element is on the next page, run in a loop so
            // that the second pass finds the first page in `FastMem`: from the last alias
            // page (`alias_va`) into data page 0 (not the next physical page, nor the next
            // host page), from data page 2 into the read-only page 3 (a store faults,
            // writing nothing), next to single accesses that fill both pages' entries:
            //   X24 = end of the alias window - 8; X23 = X24 + 4; X25 = end of page 2 - 8
            //   L: STUR X11, [X24, #-8]; LDUR X12, [X25, #-16]; STUR X11, [X25, #-8]...
            //      (a shuffled list of those and the crossing LDP/STP, X and W)
            //      ADD X11, X11, #1; SUBS X26, X26, #1; B.NE L
            let x24 = alias_va(CODE_PA + CODE_SIZE as u64) - 8;
            let x25 = va(DATA_PA + 0x3000) - 8;
            code.extend(mov32(24, x24 as u32));
            code.push(add_imm(23, 24, 4));
            code.extend(mov32(25, x25 as u32));
            code.push(add_imm(22, 25, 4));
            let top = code.len();
            let mut body = vec![
                stur_x(11, 24, -8),
                ldur_x(12, 24, -16),
                stur_x(11, 25, -8),
                ldur_x(13, 25, -16),
                ldp(1, 2, 24, 0),
                stp(3, 4, 24, 0),
                ldp_w(5, 6, 23, 0),
                stp_w(7, 8, 23, 0),
                stp(9, 10, 25, 0),
                ldp(14, 15, 25, 0),
                stp_w(16, 17, 22, 0),
                ldp_w(18, 19, 22, 0),
            ];
            for i in (1..body.len()).rev() {
                body.swap(i, r.below(i as u64 + 1) as usize);
            }
            code.extend(body);
            code.push(add_imm(11, 11, 1));
            code.push(subs_imm(26, 26, 1));
            let back = top as i64 - code.len() as i64;
            code.push(b_ne(4 * back));
            prog.regs.x[26] = 2 + r.below(3);
        }
        _ => unreachable!(),
    }
    code.push(hlt(END_HLT));
    prog.limit = match kind {
        "loop" => 40 * code.len() as u64 + 400,
        "indirect" | "remap_loop" | "smc_alias" | "pair_cross" => 30 * (code.len() as u64 + 12) + 400,
        _ => 4 * code.len() as u64 + 200,
    };
    prog.code = code;
    prog
}

/// Call/return programs for the JIT's return-address prediction (its return stack):
/// calls (BL, BLR) and returns (RET) between code pages in a loop of X26 iterations, with
/// random filler at the loop's top, mixing (each picked at random, in a random order):
/// - `plain`: BL or BLR to a function on another page, which returns (in a third of the
///   programs the host rewrites that function after a first run, and the program runs
///   again: `Prog::host_patch`);
/// - `x30`: the callee moves X30 on by 4 (ADD X30, X30, #4; RET): the return skips a
///   word after the call and misses the prediction;
/// - `skip`: a callee calls a function that returns straight to the first caller (MOV X30,
///   saved; RET), leaving its own entry on the return stack (later returns mismatch);
/// - `rewrite`: on odd iterations the callee calls H, which rewrites the word at the
///   return address (ADD X19, X19, #imm, a new immediate each time; DC CVAU, DSB, IC
///   IVAU, DSB, ISB): the return must run the new word. Even iterations (the first when
///   X26 starts even) return there without a rewrite, so the prediction is filled first;
/// - `recurse`: a recursive function of depth 1..=70 saving X29/X30 on a stack in data page
///   2 (deeper than the return stack: it wraps);
/// - `svc`: the callee takes an SVC (EL0: to EL1 and back by ERET; EL1: EL1 to EL1) before
///   returning;
/// - `page_end`: a BL in the last word of a page (its return address on the next page);
/// - `spsel` (EL1 only): on odd iterations the callee selects SP_ELx (MSR SPSel, #1) before
///   returning; the code after the call reads SP and selects SP_EL0 again: a return into a
///   different SPSel context than the call's;
/// - `far_smc`: BL or BLR to W on page 4 (a direct branch to another page, or a register
///   branch: records the JIT enters without probing the fetch while nothing changed the
///   translations, `jit/src/ras.rs`), after, on odd iterations, the caller rewrote W's
///   first word (ADD X19, X19, #imm, a new immediate each time; DC CVAU, DSB, IC IVAU,
///   DSB, ISB: no translation changes, the block of W is replaced): the call must run
///   the new word;
/// - `ttbr` (EL1, MMU on): the callee K3 (K + 0x400, on page 5, at both PAs) calls S,
///   which on odd iterations writes TTBR0 to switch to the other tree and ASID
///   (`build_page_tables`: page 5 then maps to the other PA) and returns into K3: the
///   return must run the other page's code;
/// - `remap` (EL1, MMU on): the callee K is on page 5, mapped in turn to two physical
///   pages holding K with different constants; K calls R, which on odd iterations swaps
///   the mapping (EOR of PA bits 13:12 in the descriptor, DSB, TLBI VMALLE1 or TLBI VAE1,
///   DSB, ISB) and then (in two programs of three) calls K2 on K's page (so the fetch of
///   that page is cached again, with the new PA) before returning into K: the return must
///   run the other page's code.
///
/// Functions: `CALL_TARGETS` (code offsets; H 0x1100 called by G, Q 0x30c0 by P, K2 at
/// K + 0x800 and R 0x3200 by K, K also at 0x6000 for the remapping, W 0x4000, S 0x3300
/// by K3). X19 collects
/// order-sensitive results (X19 = X19 * 2 + value).
pub fn make_call_prog(seed: u64, id: u64, cands: &[usize]) -> Prog {
    use enc::*;
    let mut r = Rng::new(seed ^ id.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0xca11);
    let mut prog = make_prog(seed, id, cands);
    // (EL, MMU and the registers as `make_prog` chose them: X28 and X27 point to data
    // for that MMU setting.)
    prog.kind = "calls";
    prog.code_off = 0x100;
    prog.irq_at = if r.chance(1, 3) { Some(r.below(600)) } else { None };
    prog.smc_either = None;
    // A third of the programs run again after the host rewrote F_plain's first word (a
    // block that direct branches from other pages have entered, `Engine::invalidate_phys`).
    prog.host_patch = if r.chance(1, 3) { Some((0x3000, add_imm(19, 19, 200 + r.below(100) as u32))) } else { None };
    let aligned = !prog.mmu || r.chance(1, 8);
    let el1 = prog.el == 1;
    let remap_ok = el1 && prog.mmu;
    let va = |pa: u64| if prog.mmu { pa - VA_OFF } else { pa };
    let cva = |off: u64| va(CODE_PA + off);
    // X19 = X19 * 2 + Xn (order-sensitive).
    let acc = |n: u32| add_lsl(19, n, 19, 1);
    let f = |name: &str| CALL_TARGETS.iter().find(|t| t.0 == name).map_or(0, |t| t.1);
    let (f_plain, f_x30, p_fn, f_svc, f_sp, g_fn, rec_fn, t_fn, k_fn, w_fn, k3_fn) =
        (f("plain"), f("x30"), f("skip"), f("svc"), f("spsel"), f("rewrite"), f("recurse"), f("page_end"), f("remap"), f("far_smc"), f("ttbr"));
    const F_PLAIN: u64 = 0x3000;
    const F_X30: u64 = 0x3040;
    const P: u64 = 0x3080;
    const Q: u64 = 0x30c0;
    const F_SVC: u64 = 0x3100;
    const F_SP: u64 = 0x3140;
    const R: u64 = 0x3200;
    const G: u64 = 0x1000;
    const H: u64 = 0x1100;
    const REC: u64 = 0x2000;
    const T: u64 = 0x6ff8;
    const K: u64 = 0x5000;
    const K2: u64 = 0x800;
    const W: u64 = 0x4000;
    const K3: u64 = 0x5400;
    const S: u64 = 0x3300;
    assert_eq!([f_plain, f_x30, p_fn, f_svc, f_sp, g_fn, rec_fn, t_fn, k_fn, w_fn, k3_fn], [F_PLAIN, F_X30, P, F_SVC, F_SP, G, REC, T, K, W, K3]);
    let rel = |from: u64, to: u64| to as i64 - from as i64;
    let mut extra: Vec<(u64, Vec<u32>)> = Vec::new();
    extra.push((F_PLAIN, vec![add_imm(19, 19, 1 + r.below(100) as u32), RET]));
    extra.push((F_X30, vec![add_imm(30, 30, 4), RET]));
    let w_base = 100 + r.below(1000) as u32;
    extra.push((W, vec![add_imm(19, 19, w_base), RET]));
    // P: X21 = X30; BL Q; (never reached: Q returns to P's caller) X19 += 77; X30 = X21; RET
    extra.push((P, vec![mov(21, 30), bl(rel(P + 4, Q)), add_imm(19, 19, 77), mov(30, 21), RET]));
    extra.push((Q, vec![add_imm(19, 19, 5), mov(30, 21), RET]));
    extra.push((F_SVC, vec![svc(r.below(0x100) as u32), NOP, acc(0), RET]));
    // F_sp: on odd iterations SPSel = 1 (EL1 only: the program's other variants never get here at EL0).
    extra.push((F_SP, vec![tbz(26, 0, 8), msr_spsel(1), RET]));
    // G: X22 = X30; on odd iterations BL H; X30 = X22; RET.
    extra.push((G, vec![mov(22, 30), tbz(26, 0, 8), bl(rel(G + 8, H)), mov(30, 22), RET]));
    // H: W23 = the word ADD X19, X19, #(base + X26); STR W23, [X24]; maintenance; RET.
    let base = 100 + r.below(1000) as u32;
    let mut h = mov32(23, add_imm(19, 19, base)).to_vec();
    h.push(add_lsl(23, 23, 26, 10));
    h.extend([str_w(23, 24), dc_cvau(24), DSB_ISH, ic_ivau(24), DSB_ISH, ISB, RET]);
    extra.push((H, h));
    // REC: STP X29, X30, [SP, #-16]!; X19 = X19 * 2 + X25; SUBS X25, X25, #1; B.EQ out;
    // BL REC; out: LDP X29, X30, [SP], #16; X19 += 1; RET
    extra.push((REC, vec![stp_pre(29, 30, 31, -16), acc(25), subs_imm(25, 25, 1), b_eq(8), bl(-16), ldp_post(29, 30, 31, 16), add_imm(19, 19, 1), RET]));
    // T (across the end of page 6): X21 = X30; BL F_plain (last word); X19 += 3; X30 = X21; RET
    extra.push((T, vec![mov(21, 30), bl(rel(T + 4, F_PLAIN)), add_imm(19, 19, 3), mov(30, 21), RET]));
    if remap_ok {
        // K at PA page 5 and 6 (same VA): X20' = X30; BL R; X19 = X19 * 2 + X0; X19 += k; X30 = X20'; RET
        // K2 (+0x800): MOVZ X0, #k2; RET
        for pg in [0x5000u64, 0x6000] {
            let k = vec![mov(20, 30), bl(rel(K + 4, R)), acc(0), add_imm(19, 19, 1 + r.below(4000) as u32), mov(30, 20), RET];
            extra.push((pg, k));
            extra.push((pg + K2, vec![movz(0, r.below(0x10000) as u32, 0), RET]));
        }
        // R: X18 = X30; on odd iterations swap K's page and invalidate; BL K2; X30 = X18; RET
        let by_va = r.chance(1, 2);
        let mut rr = vec![mov(18, 30), tbz(26, 0, 4 * 12)];
        rr.extend(mov32(24, code_pte_va(5) as u32));
        rr.push(ldr_x(23, 24));
        rr.push(eor_0x3000(23, 23));
        rr.push(str_x(23, 24));
        rr.extend(mov32(21, (cva(K) >> 12) as u32));
        rr.extend([DSB_ISH, if by_va { tlbi_vae1(21) } else { TLBI_VMALLE1 }, DSB_ISH, ISB]);
        assert_eq!(rr.len(), 13);
        let at = R + 4 * rr.len() as u64;
        // (Or not: then the return finds no fetch entry for K's page in the new epoch.)
        rr.push(if r.chance(2, 3) { bl(rel(cva(at), cva(K + K2))) } else { movz(0, 7, 0) });
        rr.push(mov(30, 18));
        rr.push(RET);
        extra.push((R, rr));
        // K3 at PA page 5 and 6 (+0x400): X20' = X30; BL S; X19 = X19 * 2 + X26; X19 += k; X30 = X20'; RET
        for pg in [0x5000u64, 0x6000] {
            let k = vec![mov(20, 30), bl(rel(K3 + 4, S)), acc(26), add_imm(19, 19, 1 + r.below(4000) as u32), mov(30, 20), RET];
            extra.push((pg + (K3 - K), k));
        }
        // S: on odd iterations TTBR0 ^= the other tree's address | ASID 1; ISB; RET
        extra.push((S, vec![tbz(26, 0, 4 * 6), mrs(23, TTBR0_EL1), eor_bit(23, 23, 14), eor_bit(23, 23, 48), msr(TTBR0_EL1, 23), ISB, RET]));
        assert_eq!(PT_ALT ^ PT_PA, 1 << 14);
    }
    let mut kinds = vec!["plain", "x30", "skip", "rewrite", "recurse", "svc", "page_end", "far_smc"];
    // (The two variants that need EL1 or EL1 and the MMU weigh more where allowed.)
    if el1 {
        kinds.extend(["spsel"; 2]);
    }
    if remap_ok {
        kinds.extend(["remap"; 3]);
        kinds.extend(["ttbr"; 2]);
    }
    let mut code: Vec<u32> = Vec::new();
    let here = |code: &Vec<u32>| 0x100 + 4 * code.len() as u64;
    let top = code.len();
    code.extend(filler(&mut r, cands, 6, aligned));
    for _ in 0..2 + r.below(6) {
        let k = *r.pick(&kinds);
        let call = |code: &mut Vec<u32>, r: &mut Rng, to: u64| {
            if r.chance(1, 3) {
                code.push(adr(25, rel(here(code), to)));
                code.push(blr(25));
            } else {
                code.push(bl(rel(here(code), to)));
            }
        };
        match k {
            "plain" => call(&mut code, &mut r, F_PLAIN),
            "x30" => {
                call(&mut code, &mut r, F_X30);
                code.push(movz(19, 0xdead, 0));
            }
            "skip" => call(&mut code, &mut r, P),
            "rewrite" => {
                code.push(adr(24, 8));
                code.push(bl(rel(here(&code), G)));
                code.push(add_imm(19, 19, 1));
            }
            "recurse" => {
                code.extend(mov32(17, va(DATA_PA + 0x3000) as u32));
                code.push(add_imm(31, 17, 0));
                code.push(movz(25, 1 + r.below(70) as u32, 0));
                call(&mut code, &mut r, REC);
            }
            "svc" => call(&mut code, &mut r, F_SVC),
            "page_end" => call(&mut code, &mut r, T),
            "far_smc" => {
                // On odd iterations: W23 = ADD X19, X19, #(w_base + 1 + X26); STR W23, [W];
                // maintenance. Then call W.
                let mut rw = vec![adr(24, 0)];
                rw.extend(mov32(23, add_imm(19, 19, w_base + 1)));
                rw.extend([add_lsl(23, 23, 26, 10), str_w(23, 24), dc_cvau(24), DSB_ISH, ic_ivau(24), DSB_ISH, ISB]);
                code.push(tbz(26, 0, 4 * (rw.len() as i64 + 1)));
                rw[0] = adr(24, rel(here(&code), W));
                code.extend(rw);
                call(&mut code, &mut r, W);
            }
            "spsel" => {
                call(&mut code, &mut r, F_SP);
                code.push(add_imm(18, 31, 0));
                code.push(acc(18));
                code.push(msr_spsel(0));
            }
            _ => {
                // remap: BL/BLR K (VA of page 5); ttbr: BL/BLR K3.
                let t = cva(if k == "ttbr" { K3 } else { K });
                if r.chance(1, 3) {
                    code.push(adr(25, t as i64 - cva(here(&code)) as i64));
                    code.push(blr(25));
                } else {
                    code.push(bl(t as i64 - cva(here(&code)) as i64));
                }
            }
        }
    }
    // (B.GT: a second phase, `host_patch`, starts with X26 = 0 and runs the loop once.)
    code.push(subs_imm(26, 26, 1));
    let back = top as i64 - code.len() as i64;
    code.push(b_gt(4 * back));
    code.push(hlt(END_HLT));
    prog.regs.x[26] = 2 + r.below(6);
    prog.limit = 8 * prog.regs.x[26] * (code.len() as u64 + 800) + 400;
    prog.code = code;
    prog.extra_code = extra;
    prog
}

/// The functions `make_call_prog`'s main loop calls, by variant: (variant, code offset).
pub const CALL_TARGETS: &[(&str, u64)] = &[
    ("plain", 0x3000),
    ("x30", 0x3040),
    ("skip", 0x3080),
    ("svc", 0x3100),
    ("spsel", 0x3140),
    ("rewrite", 0x1000),
    ("recurse", 0x2000),
    ("page_end", 0x6ff8),
    ("remap", 0x5000),
    ("far_smc", 0x4000),
    ("ttbr", 0x5400),
];

/// The variants of `make_call_prog` that program `p`'s main code calls (BL, or ADR X25 +
/// BLR X25, to a `CALL_TARGETS` function).
pub fn call_variants(p: &Prog) -> Vec<&'static str> {
    let mut v = Vec::new();
    for (i, &w) in p.code.iter().enumerate() {
        let pc = p.code_off + 4 * i as u64;
        let t = if w & 0xfc00_0000 == 0x9400_0000 {
            Some(pc.wrapping_add((((w & 0x03ff_ffff) as i64) << 38 >> 36) as u64))
        } else if w == enc::blr(25) && i > 0 && p.code[i - 1] & 0x9f00_001f == 0x1000_0019 {
            // ADR X25, #imm (immhi:immlo) right before.
            let a = p.code[i - 1];
            let imm = ((a >> 5 & 0x7ffff) << 2 | (a >> 29 & 3)) as i64;
            Some((pc - 4).wrapping_add((imm << 43 >> 43) as u64))
        } else {
            None
        };
        if let Some(t) = t.and_then(|t| CALL_TARGETS.iter().find(|c| c.1 == t)) {
            if !v.contains(&t.0) {
                v.push(t.0);
            }
        }
    }
    v
}

/// Every generator candidate (all groups).
pub fn all_candidates() -> Vec<usize> {
    candidates(&[])
}

// ---------------------------------------------------------------------------------------
// Floating-point programs (the JIT's native FP paths, `jit/src/fp.rs`)

/// The candidates of FP programs: the scalar floating-point group, the SIMD&FP loads
/// and stores (single register and pair, LD1R), vector FADD/FSUB/FMUL/FDIV, and, for NZCV producers and branches around
/// them, one in ten drawn from the whole table.
pub fn fp_candidates() -> Vec<usize> {
    use cpu_aarch64::decode::ENCODINGS;
    let all = all_candidates();
    let fp: Vec<usize> = all
        .iter()
        .copied()
        .filter(|&i| {
            let e = &ENCODINGS[i];
            e.group == "fp"
                || (e.group == "ldst" && e.name.contains("simd") && matches!(e.asm, "ldr" | "str" | "ldur" | "stur" | "ldp" | "stp" | "ldnp" | "stnp"))
                || matches!(e.name, "FADD_vec" | "FSUB_vec" | "FMUL_vec" | "FDIV_vec" | "LD1R" | "LD1R_post")
        })
        .collect();
    // Weighted: each FP encoding nine times, then the whole table once.
    let mut c = Vec::with_capacity(9 * fp.len() + all.len());
    for _ in 0..9 {
        c.extend(&fp);
    }
    c.extend(all);
    c
}

/// An FP value for a register lane (`d`: double, else single): ordinary numbers (the
/// host-FPU fast path: inexact results), numbers whose products or sums overflow or
/// underflow, denormals, and the generator's special values (NaNs, infinities, zeros).
pub fn fp_value(r: &mut Rng, d: bool) -> u64 {
    let (ebits, fbits) = if d { (11u32, 52u32) } else { (8, 23) };
    let bias = (1u64 << (ebits - 1)) - 1;
    let emax = (1u64 << ebits) - 2;
    let frac = r.next() & ((1u64 << fbits) - 1);
    let sign = r.below(2) << (ebits + fbits);
    let exp = match r.below(10) {
        // Ordinary magnitudes around 1.
        0..=4 => bias - 8 + r.below(17),
        // Near the top (products and sums overflow).
        5 => emax - r.below(4),
        // Near the bottom (products and quotients underflow; results round to the
        // smallest normal).
        6 => 1 + r.below(4),
        // Denormals.
        7 => 0,
        // Exactly representable small integers and halves (exact results, exact zeros).
        8 => return sign | ((bias + r.below(4)) << fbits) | (frac & (0xf << (fbits - 4))),
        _ => {
            return if d {
                *r.pick(crate::gen::F64)
            } else {
                *r.pick(crate::gen::F32)
            }
        }
    };
    sign | exp << fbits | frac
}

/// Rewrites the register fields (rd, rn, rm, ra) of the scalar FP and vector FADD/FSUB/
/// FMUL/FDIV instructions in `code` to their value & `mask` (V0-V3 at most, or X0-X3 for
/// the conversions' and moves' general-purpose operands, which nothing reserves).
pub fn fold_fp_regs(code: &mut [u32], mask: u32) {
    use cpu_aarch64::decode::ENCODINGS;
    for w in code.iter_mut() {
        let Some(i) = cpu_aarch64::decode::lookup(*w) else { continue };
        let e = &ENCODINGS[i as usize];
        if !(e.group == "fp" || matches!(e.name, "FADD_vec" | "FSUB_vec" | "FMUL_vec" | "FDIV_vec")) {
            continue;
        }
        for name in ["rd", "rn", "rm", "ra"] {
            if let Some(f) = e.field(name) {
                *w = crate::gen::insert(f, *w, f.extract(*w) & mask);
            }
        }
    }
}

/// FP program number `id`: a program of `make_prog` built from `fp_candidates`, with V
/// registers and the data page filled from `fp_value`, and the default FPCR (the fast
/// path's) in half of the programs, FZ / DN / a rounding mode in the others.
pub fn make_fp_prog(seed: u64, id: u64, cands: &[usize]) -> Prog {
    let mut prog = make_prog(seed, id, cands);
    let mut r = Rng::new(seed ^ 0xf10a7 ^ id.wrapping_mul(0xd134_2543_de82_ef95));
    for v in prog.regs.v.iter_mut() {
        let lane = |r: &mut Rng| if r.chance(1, 2) { fp_value(r, true) } else { fp_value(r, false) | fp_value(r, false) << 32 };
        *v = lane(&mut r) as u128 | (lane(&mut r) as u128) << 64;
    }
    for c in prog.data[0x1000..0x2000].chunks_mut(8) {
        let v = if r.chance(1, 2) { fp_value(&mut r, true) } else { fp_value(&mut r, false) | fp_value(&mut r, false) << 32 };
        c.copy_from_slice(&v.to_le_bytes());
    }
    // Half the programs use only V0-V1 or V0-V3 in their FP data-processing instructions: chains
    // of dependent operations, whose operands the JIT takes from the previous result
    // (xmm0) or its register cache, in either operand position.
    if r.chance(1, 2) {
        fold_fp_regs(&mut prog.code, if r.chance(1, 2) { 1 } else { 3 });
    }
    prog.regs.fpcr = if r.chance(1, 2) {
        0
    } else {
        let mut f = r.below(4) << 22;
        if r.chance(1, 2) {
            f |= 1 << 24;
        }
        if r.chance(1, 3) {
            f |= 1 << 25;
        }
        f
    };
    prog.regs.fpsr = if r.chance(1, 2) { 0 } else { r.next() & 0x0800_009f };
    prog
}
