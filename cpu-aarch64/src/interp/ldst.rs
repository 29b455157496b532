//! Loads and stores (Arm ARM C4.1.4 for the encodings, C6.2 per-instruction ASL for the
//! semantics): single registers (GPR and SIMD&FP, every addressing form), literal loads,
//! pairs, prefetch hints, exclusives and load-acquire/store-release (`ldst/excl.rs`) and
//! the AdvSIMD structure loads and stores (`ldst/simd.rs`).
//!
//! Rules followed by every form here:
//! - memory goes through `Cpu::read_mem`/`write_mem`, one call per element as the ASL
//!   makes its `Mem[]` accesses (so alignment is checked per element);
//! - a faulting access leaves every register unchanged: destination registers and the
//!   base writeback are written only after all accesses succeeded;
//! - `Rn` = 31 is SP and is checked by [`check_sp_alignment`] (not for prefetches);
//! - single-GPR forms without writeback report a valid data-abort syndrome (ISV = 1).
//!
//! CONSTRAINED UNPREDICTABLE choices (the differential generator must avoid these cases,
//! QEMU picks differently for some of them):
//! - load with writeback and Rt (or Rt2) == Rn, Rn != 31 (WBOVERLAPLD): writeback is
//!   suppressed, the register gets the loaded value (Constraint_WBSUPPRESS);
//! - store with writeback and Rt (or Rt2) == Rn, Rn != 31 (WBOVERLAPST): the value stored
//!   is the register's value before the writeback (Constraint_NONE);
//! - LDP/LDPSW/LDNP/LDXP/LDAXP (and SIMD&FP LDP) with Rt == Rt2 (LDPOVERLAP): the register
//!   gets the second element (Constraint_UNKNOWN, this value);
//! - exclusives: see `ldst/excl.rs`.

use super::{ExecResult, Flow};
use crate::decode::Ldst;
use crate::exception::{ec, SyncExc};
use crate::mmu::Access;
use crate::platform::Platform;
use crate::sysreg::{SCTLR_SA, SCTLR_SA0};
use crate::Cpu;

mod excl;
mod simd;

/// Sign-extends the low `bits` bits of `v`.
#[inline]
pub(crate) fn sext(v: u64, bits: u32) -> u64 {
    if bits >= 64 {
        v
    } else {
        (((v << (64 - bits)) as i64) >> (64 - bits)) as u64
    }
}

/// CheckSPAlignment(): with SCTLR_ELx.SA (SCTLR_EL1.SA0 at EL0; ARMv8.0 has no EL2&0 host
/// regime, so EL0 always uses SCTLR_EL1) set, an SP-based access with SP not 16-byte
/// aligned raises an SP alignment fault (EC 0x26, ISS 0; FAR is not written).
pub fn check_sp_alignment(cpu: &Cpu) -> Result<(), SyncExc> {
    let el = cpu.st.pstate.el as usize;
    let enabled = if el == 0 {
        cpu.sys.sctlr[1] & SCTLR_SA0 != 0
    } else {
        cpu.sys.sctlr[el] & SCTLR_SA != 0
    };
    if enabled && cpu.st.sp() & 0xf != 0 {
        Err(SyncExc::new(ec::SP_ALIGN, 0))
    } else {
        Ok(())
    }
}

/// The base address of an access: Xn, or SP (alignment-checked) when `rn` is 31.
#[inline]
pub(crate) fn base(cpu: &Cpu, rn: u32) -> Result<u64, SyncExc> {
    if rn == 31 {
        check_sp_alignment(cpu)?;
        Ok(cpu.st.sp())
    } else {
        Ok(cpu.st.xr(rn))
    }
}

/// ExtendReg(m, option, shift) for the register-offset forms (option<1> is always 1).
fn extend_reg(cpu: &Cpu, rm: u32, option: u32, shift: u32) -> u64 {
    let v = cpu.st.xr(rm);
    let v = match option {
        0b010 => v & 0xffff_ffff, // UXTW
        0b110 => sext(v, 32),     // SXTW
        _ => v,                   // 011 LSL/UXTX, 111 SXTX
    };
    v << shift
}

/// The ISS bits ISV, SAS, SSE, SRT, SF and AR of a data abort on a single general-purpose
/// register load or store without writeback (Arm ARM D13.2.37, "ISS encoding for an
/// exception from a Data Abort").
pub fn gpr_syndrome(size: u8, signed: bool, rt: u32, sf: bool, ar: bool) -> u32 {
    let sas = (size as u32).trailing_zeros() & 3;
    1 << 24 | sas << 22 | (signed as u32) << 21 | (rt & 31) << 16 | (sf as u32) << 15 | (ar as u32) << 14
}

/// Index mode of an immediate/register addressed access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idx {
    /// Offset added, no writeback.
    Off,
    /// Pre-index: offset added, base written back.
    Pre,
    /// Post-index: access at base, base + offset written back.
    Post,
}

impl Idx {
    fn wback(self) -> bool {
        self != Idx::Off
    }
}

/// Computes the access address and the writeback value for `idx`.
#[inline]
pub(crate) fn addr(b: u64, offset: u64, idx: Idx) -> (u64, u64) {
    let a = b.wrapping_add(offset);
    match idx {
        Idx::Post => (b, a),
        _ => (a, a),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Load,
    Store,
    Prefetch,
}

/// One single-register GPR access: `size` bytes, `signed` (LDRS*), `sf` (X register).
#[derive(Debug, Clone, Copy)]
struct Gpr {
    op: Op,
    size: u8,
    signed: bool,
    sf: bool,
}

const fn ld(size: u8, sf: bool) -> Gpr {
    Gpr { op: Op::Load, size, signed: false, sf }
}
const fn lds(size: u8, sf: bool) -> Gpr {
    Gpr { op: Op::Load, size, signed: true, sf }
}
const fn st(size: u8, sf: bool) -> Gpr {
    Gpr { op: Op::Store, size, signed: false, sf }
}
const PRFM: Gpr = Gpr { op: Op::Prefetch, size: 8, signed: false, sf: true };

/// LDR/STR/LDRS*/PRFM (immediate, register, unscaled, unprivileged) on a GPR.
#[allow(clippy::too_many_arguments)]
fn gpr(cpu: &mut Cpu, p: &mut dyn Platform, g: Gpr, rn: u32, rt: u32, offset: u64, idx: Idx, unpriv: bool) -> ExecResult {
    if g.op == Op::Prefetch {
        // PRFM/PRFUM are hints: no access, never a fault (the ASL skips even the SP check).
        return Ok(Flow::Next);
    }
    let (address, wb) = addr(base(cpu, rn)?, offset, idx);
    let mut acc = if g.op == Op::Load { Access::read(g.size) } else { Access::write(g.size) };
    // LDTR/STTR are unprivileged only when executed at EL1 (ARMv8.0: no EL2&0 host regime).
    acc.unpriv = unpriv && cpu.st.pstate.el == 1;
    if !idx.wback() {
        acc.syndrome = Some(gpr_syndrome(g.size, g.signed, rt, g.sf, false));
    }
    let overlap = idx.wback() && rt == rn && rn != 31;
    if g.op == Op::Store {
        // WBOVERLAPST: Constraint_NONE, the old Rt value is stored.
        let data = cpu.st.xr(rt);
        cpu.write_mem(p, address, data as u128, acc)?;
    } else {
        let d = cpu.read_mem(p, address, acc)? as u64;
        let d = if g.signed { sext(d, g.size as u32 * 8) } else { d };
        cpu.st.set_reg(g.sf, rt, d);
        if overlap {
            // WBOVERLAPLD: Constraint_WBSUPPRESS.
            return Ok(Flow::Next);
        }
    }
    if idx.wback() {
        cpu.st.set_xsp(rn, wb);
    }
    Ok(Flow::Next)
}

/// LDP/STP/LDPSW/LDNP/STNP on GPRs; `size` is the element size (4 or 8).
#[allow(clippy::too_many_arguments)]
fn pair(cpu: &mut Cpu, p: &mut dyn Platform, load: bool, size: u8, signed: bool, imm7: u32, rt2: u32, rn: u32, rt: u32, idx: Idx) -> ExecResult {
    let offset = sext(imm7 as u64, 7) << (size as u64).trailing_zeros();
    let (address, wb) = addr(base(cpu, rn)?, offset, idx);
    let a2 = address.wrapping_add(size as u64);
    let sf = size == 8 || signed;
    let overlap = idx.wback() && (rt == rn || rt2 == rn) && rn != 31;
    if load {
        let d1 = cpu.read_mem(p, address, Access::read(size))? as u64;
        let d2 = cpu.read_mem(p, a2, Access::read(size))? as u64;
        let (d1, d2) = if signed { (sext(d1, 32), sext(d2, 32)) } else { (d1, d2) };
        // LDPOVERLAP (Rt == Rt2): Rt2's value, written last, wins.
        cpu.st.set_reg(sf, rt, d1);
        cpu.st.set_reg(sf, rt2, d2);
        if overlap {
            return Ok(Flow::Next); // WBOVERLAPLD: Constraint_WBSUPPRESS
        }
    } else {
        // WBOVERLAPST: Constraint_NONE (values read before any writeback).
        let (d1, d2) = (cpu.st.xr(rt), cpu.st.xr(rt2));
        cpu.write_mem(p, address, d1 as u128, Access::write(size))?;
        cpu.write_mem(p, a2, d2 as u128, Access::write(size))?;
    }
    if idx.wback() {
        cpu.st.set_xsp(rn, wb);
    }
    Ok(Flow::Next)
}

/// Bytes of a SIMD&FP single-register access: size:opc<1> (00:1 is Q).
#[inline]
fn fp_scale(size: u32, opc1: u32) -> u32 {
    (opc1 << 2 | size) & 7
}

/// LDR/STR/LDUR/STUR (SIMD&FP): `scale` = log2 of the access size (0..=4).
#[allow(clippy::too_many_arguments)]
fn fp_single(cpu: &mut Cpu, p: &mut dyn Platform, load: bool, scale: u32, rn: u32, rt: u32, offset: u64, idx: Idx) -> ExecResult {
    cpu.check_fp_enabled()?;
    let size = 1u8 << scale;
    let (address, wb) = addr(base(cpu, rn)?, offset, idx);
    let t = (rt & 31) as usize;
    if load {
        let d = cpu.read_mem(p, address, Access::read(size))?;
        cpu.st.v[t] = d;
    } else {
        let d = cpu.st.v[t];
        cpu.write_mem(p, address, d, Access::write(size))?;
    }
    if idx.wback() {
        cpu.st.set_xsp(rn, wb);
    }
    Ok(Flow::Next)
}

/// LDP/STP/LDNP/STNP (SIMD&FP); opc 0 = S, 1 = D, 2 = Q.
#[allow(clippy::too_many_arguments)]
fn fp_pair(cpu: &mut Cpu, p: &mut dyn Platform, load: bool, opc: u32, imm7: u32, rt2: u32, rn: u32, rt: u32, idx: Idx) -> ExecResult {
    cpu.check_fp_enabled()?;
    let scale = 2 + (opc & 3);
    let size = 1u8 << scale;
    let offset = sext(imm7 as u64, 7) << scale;
    let (address, wb) = addr(base(cpu, rn)?, offset, idx);
    let a2 = address.wrapping_add(size as u64);
    let (t, t2) = ((rt & 31) as usize, (rt2 & 31) as usize);
    if load {
        let d1 = cpu.read_mem(p, address, Access::read(size))?;
        let d2 = cpu.read_mem(p, a2, Access::read(size))?;
        cpu.st.v[t] = d1;
        cpu.st.v[t2] = d2; // LDPOVERLAP: Rt2's value wins
    } else {
        let (d1, d2) = (cpu.st.v[t], cpu.st.v[t2]);
        cpu.write_mem(p, address, d1, Access::write(size))?;
        cpu.write_mem(p, a2, d2, Access::write(size))?;
    }
    if idx.wback() {
        cpu.st.set_xsp(rn, wb);
    }
    Ok(Flow::Next)
}

/// Literal loads: the address is PC + imm19 * 4.
fn literal(cpu: &Cpu, imm19: u32) -> u64 {
    cpu.st.pc.wrapping_add(sext((imm19 as u64) << 2, 21))
}

#[inline]
fn s9(imm9: u32) -> u64 {
    sext(imm9 as u64, 9)
}

/// Whether `i` is one of the CONSTRAINED UNPREDICTABLE register combinations for which
/// lsemu picks one allowed behaviour (see the module documentation). Differential tests
/// against other implementations must skip these: they may legitimately differ.
pub fn constrained_unpredictable(i: &Ldst) -> Option<&'static str> {
    use Ldst::*;
    const WB: &str = "writeback with Rt/Rt2 == Rn (WBOVERLAPLD/WBOVERLAPST)";
    const LDP: &str = "load pair with Rt == Rt2 (LDPOVERLAP)";
    const STX: &str = "store exclusive with Rs == Rt/Rt2/Rn (DATAOVERLAP/BASEOVERLAP)";
    let wb1 = |rt: u32, rn: u32| (rt == rn && rn != 31).then_some(WB);
    let wb2 = |rt: u32, rt2: u32, rn: u32| ((rt == rn || rt2 == rn) && rn != 31).then_some(WB);
    match *i {
        StrbPost { rn, rt, .. } | StrbPre { rn, rt, .. } | LdrbPost { rn, rt, .. } | LdrbPre { rn, rt, .. }
        | LdrsbPost { rn, rt, .. } | LdrsbPre { rn, rt, .. } | StrhPost { rn, rt, .. } | StrhPre { rn, rt, .. }
        | LdrhPost { rn, rt, .. } | LdrhPre { rn, rt, .. } | LdrshPost { rn, rt, .. } | LdrshPre { rn, rt, .. }
        | StrPost { rn, rt, .. } | StrPre { rn, rt, .. } | LdrPost { rn, rt, .. } | LdrPre { rn, rt, .. }
        | LdrswPost { rn, rt, .. } | LdrswPre { rn, rt, .. } => wb1(rt, rn),
        StpPost { rt, rt2, rn, .. } | StpPre { rt, rt2, rn, .. } => wb2(rt, rt2, rn),
        LdpPost { rt, rt2, rn, .. } | LdpPre { rt, rt2, rn, .. } | LdpswPost { rt, rt2, rn, .. }
        | LdpswPre { rt, rt2, rn, .. } => wb2(rt, rt2, rn).or((rt == rt2).then_some(LDP)),
        LdpOff { rt, rt2, .. } | Ldnp { rt, rt2, .. } | LdpswOff { rt, rt2, .. } | LdpSimdPost { rt, rt2, .. }
        | LdpSimdOff { rt, rt2, .. } | LdpSimdPre { rt, rt2, .. } | LdnpSimd { rt, rt2, .. } | Ldxp { rt, rt2, .. }
        | Ldaxp { rt, rt2, .. } => (rt == rt2).then_some(LDP),
        Stxrb { rs, rn, rt } | Stlxrb { rs, rn, rt } | Stxrh { rs, rn, rt } | Stlxrh { rs, rn, rt }
        | Stxr { rs, rn, rt, .. } | Stlxr { rs, rn, rt, .. } => (rs == rt || (rs == rn && rn != 31)).then_some(STX),
        Stxp { rs, rt2, rn, rt, .. } | Stlxp { rs, rt2, rn, rt, .. } => {
            (rs == rt || rs == rt2 || (rs == rn && rn != 31)).then_some(STX)
        }
        _ => None,
    }
}

pub fn exec(cpu: &mut Cpu, p: &mut dyn Platform, i: &Ldst, _raw: u32) -> ExecResult {
    use Idx::*;
    use Ldst::*;
    match *i {
        // ---- exclusives and ordered
        Stxrb { rs, rn, rt } => excl::store_excl(cpu, p, 1, false, rs, rt, 31, rn),
        Stlxrb { rs, rn, rt } => excl::store_excl(cpu, p, 1, false, rs, rt, 31, rn),
        Stxrh { rs, rn, rt } => excl::store_excl(cpu, p, 2, false, rs, rt, 31, rn),
        Stlxrh { rs, rn, rt } => excl::store_excl(cpu, p, 2, false, rs, rt, 31, rn),
        Stxr { sz, rs, rn, rt } | Stlxr { sz, rs, rn, rt } => excl::store_excl(cpu, p, 4 << sz, false, rs, rt, 31, rn),
        Stxp { sz, rs, rt2, rn, rt } | Stlxp { sz, rs, rt2, rn, rt } => {
            excl::store_excl(cpu, p, 4 << sz, true, rs, rt, rt2, rn)
        }
        Ldxrb { rn, rt } | Ldaxrb { rn, rt } => excl::load_excl(cpu, p, 1, false, rt, 31, rn),
        Ldxrh { rn, rt } | Ldaxrh { rn, rt } => excl::load_excl(cpu, p, 2, false, rt, 31, rn),
        Ldxr { sz, rn, rt } | Ldaxr { sz, rn, rt } => excl::load_excl(cpu, p, 4 << sz, false, rt, 31, rn),
        Ldxp { sz, rt2, rn, rt } | Ldaxp { sz, rt2, rn, rt } => excl::load_excl(cpu, p, 4 << sz, true, rt, rt2, rn),
        Stlrb { rn, rt } => excl::ordered(cpu, p, false, 1, rt, rn),
        Stlrh { rn, rt } => excl::ordered(cpu, p, false, 2, rt, rn),
        Stlr { sz, rn, rt } => excl::ordered(cpu, p, false, 4 << sz, rt, rn),
        Ldarb { rn, rt } => excl::ordered(cpu, p, true, 1, rt, rn),
        Ldarh { rn, rt } => excl::ordered(cpu, p, true, 2, rt, rn),
        Ldar { sz, rn, rt } => excl::ordered(cpu, p, true, 4 << sz, rt, rn),

        // ---- literal
        LdrLit { sz, imm19, rt } => {
            let size = 4u8 << sz;
            let mut acc = Access::read(size);
            acc.syndrome = Some(gpr_syndrome(size, false, rt, sz == 1, false));
            let d = cpu.read_mem(p, literal(cpu, imm19), acc)? as u64;
            cpu.st.set_reg(sz == 1, rt, d);
            Ok(Flow::Next)
        }
        LdrswLit { imm19, rt } => {
            let mut acc = Access::read(4);
            acc.syndrome = Some(gpr_syndrome(4, true, rt, true, false));
            let d = cpu.read_mem(p, literal(cpu, imm19), acc)? as u64;
            cpu.st.set_xr(rt, sext(d, 32));
            Ok(Flow::Next)
        }
        PrfmLit { .. } => Ok(Flow::Next),
        LdrLitSimd { opc, imm19, rt } => {
            cpu.check_fp_enabled()?;
            let d = cpu.read_mem(p, literal(cpu, imm19), Access::read(4 << opc))?;
            cpu.st.v[(rt & 31) as usize] = d;
            Ok(Flow::Next)
        }

        // ---- pairs
        StpPost { sf, imm7, rt2, rn, rt } => pair(cpu, p, false, 4 << sf, false, imm7, rt2, rn, rt, Post),
        StpOff { sf, imm7, rt2, rn, rt } | Stnp { sf, imm7, rt2, rn, rt } => {
            pair(cpu, p, false, 4 << sf, false, imm7, rt2, rn, rt, Off)
        }
        StpPre { sf, imm7, rt2, rn, rt } => pair(cpu, p, false, 4 << sf, false, imm7, rt2, rn, rt, Pre),
        LdpPost { sf, imm7, rt2, rn, rt } => pair(cpu, p, true, 4 << sf, false, imm7, rt2, rn, rt, Post),
        LdpOff { sf, imm7, rt2, rn, rt } | Ldnp { sf, imm7, rt2, rn, rt } => {
            pair(cpu, p, true, 4 << sf, false, imm7, rt2, rn, rt, Off)
        }
        LdpPre { sf, imm7, rt2, rn, rt } => pair(cpu, p, true, 4 << sf, false, imm7, rt2, rn, rt, Pre),
        LdpswPost { imm7, rt2, rn, rt } => pair(cpu, p, true, 4, true, imm7, rt2, rn, rt, Post),
        LdpswOff { imm7, rt2, rn, rt } => pair(cpu, p, true, 4, true, imm7, rt2, rn, rt, Off),
        LdpswPre { imm7, rt2, rn, rt } => pair(cpu, p, true, 4, true, imm7, rt2, rn, rt, Pre),
        StpSimdPost { opc, imm7, rt2, rn, rt } => fp_pair(cpu, p, false, opc, imm7, rt2, rn, rt, Post),
        StpSimdOff { opc, imm7, rt2, rn, rt } | StnpSimd { opc, imm7, rt2, rn, rt } => {
            fp_pair(cpu, p, false, opc, imm7, rt2, rn, rt, Off)
        }
        StpSimdPre { opc, imm7, rt2, rn, rt } => fp_pair(cpu, p, false, opc, imm7, rt2, rn, rt, Pre),
        LdpSimdPost { opc, imm7, rt2, rn, rt } => fp_pair(cpu, p, true, opc, imm7, rt2, rn, rt, Post),
        LdpSimdOff { opc, imm7, rt2, rn, rt } | LdnpSimd { opc, imm7, rt2, rn, rt } => {
            fp_pair(cpu, p, true, opc, imm7, rt2, rn, rt, Off)
        }
        LdpSimdPre { opc, imm7, rt2, rn, rt } => fp_pair(cpu, p, true, opc, imm7, rt2, rn, rt, Pre),

        // ---- single GPR: STRB/LDRB/LDRSB
        StrbUoff { imm12, rn, rt } => gpr(cpu, p, st(1, false), rn, rt, imm12 as u64, Off, false),
        StrbPost { imm9, rn, rt } => gpr(cpu, p, st(1, false), rn, rt, s9(imm9), Post, false),
        StrbPre { imm9, rn, rt } => gpr(cpu, p, st(1, false), rn, rt, s9(imm9), Pre, false),
        StrbReg { rm, option, s: _, rn, rt } => {
            // the shift amount for byte accesses is 0 whether S is set or not
            let off = extend_reg(cpu, rm, option, 0);
            gpr(cpu, p, st(1, false), rn, rt, off, Off, false)
        }
        Sturb { imm9, rn, rt } => gpr(cpu, p, st(1, false), rn, rt, s9(imm9), Off, false),
        Sttrb { imm9, rn, rt } => gpr(cpu, p, st(1, false), rn, rt, s9(imm9), Off, true),
        LdrbUoff { imm12, rn, rt } => gpr(cpu, p, ld(1, false), rn, rt, imm12 as u64, Off, false),
        LdrbPost { imm9, rn, rt } => gpr(cpu, p, ld(1, false), rn, rt, s9(imm9), Post, false),
        LdrbPre { imm9, rn, rt } => gpr(cpu, p, ld(1, false), rn, rt, s9(imm9), Pre, false),
        LdrbReg { rm, option, s: _, rn, rt } => {
            let off = extend_reg(cpu, rm, option, 0);
            gpr(cpu, p, ld(1, false), rn, rt, off, Off, false)
        }
        Ldurb { imm9, rn, rt } => gpr(cpu, p, ld(1, false), rn, rt, s9(imm9), Off, false),
        Ldtrb { imm9, rn, rt } => gpr(cpu, p, ld(1, false), rn, rt, s9(imm9), Off, true),
        LdrsbUoff { opc0, imm12, rn, rt } => gpr(cpu, p, lds(1, opc0 == 0), rn, rt, imm12 as u64, Off, false),
        LdrsbPost { opc0, imm9, rn, rt } => gpr(cpu, p, lds(1, opc0 == 0), rn, rt, s9(imm9), Post, false),
        LdrsbPre { opc0, imm9, rn, rt } => gpr(cpu, p, lds(1, opc0 == 0), rn, rt, s9(imm9), Pre, false),
        LdrsbReg { opc0, rm, option, s: _, rn, rt } => {
            let off = extend_reg(cpu, rm, option, 0);
            gpr(cpu, p, lds(1, opc0 == 0), rn, rt, off, Off, false)
        }
        Ldursb { opc0, imm9, rn, rt } => gpr(cpu, p, lds(1, opc0 == 0), rn, rt, s9(imm9), Off, false),
        Ldtrsb { opc0, imm9, rn, rt } => gpr(cpu, p, lds(1, opc0 == 0), rn, rt, s9(imm9), Off, true),

        // ---- STRH/LDRH/LDRSH
        StrhUoff { imm12, rn, rt } => gpr(cpu, p, st(2, false), rn, rt, (imm12 as u64) << 1, Off, false),
        StrhPost { imm9, rn, rt } => gpr(cpu, p, st(2, false), rn, rt, s9(imm9), Post, false),
        StrhPre { imm9, rn, rt } => gpr(cpu, p, st(2, false), rn, rt, s9(imm9), Pre, false),
        StrhReg { rm, option, s, rn, rt } => {
            let off = extend_reg(cpu, rm, option, s);
            gpr(cpu, p, st(2, false), rn, rt, off, Off, false)
        }
        Sturh { imm9, rn, rt } => gpr(cpu, p, st(2, false), rn, rt, s9(imm9), Off, false),
        Sttrh { imm9, rn, rt } => gpr(cpu, p, st(2, false), rn, rt, s9(imm9), Off, true),
        LdrhUoff { imm12, rn, rt } => gpr(cpu, p, ld(2, false), rn, rt, (imm12 as u64) << 1, Off, false),
        LdrhPost { imm9, rn, rt } => gpr(cpu, p, ld(2, false), rn, rt, s9(imm9), Post, false),
        LdrhPre { imm9, rn, rt } => gpr(cpu, p, ld(2, false), rn, rt, s9(imm9), Pre, false),
        LdrhReg { rm, option, s, rn, rt } => {
            let off = extend_reg(cpu, rm, option, s);
            gpr(cpu, p, ld(2, false), rn, rt, off, Off, false)
        }
        Ldurh { imm9, rn, rt } => gpr(cpu, p, ld(2, false), rn, rt, s9(imm9), Off, false),
        Ldtrh { imm9, rn, rt } => gpr(cpu, p, ld(2, false), rn, rt, s9(imm9), Off, true),
        LdrshUoff { opc0, imm12, rn, rt } => {
            gpr(cpu, p, lds(2, opc0 == 0), rn, rt, (imm12 as u64) << 1, Off, false)
        }
        LdrshPost { opc0, imm9, rn, rt } => gpr(cpu, p, lds(2, opc0 == 0), rn, rt, s9(imm9), Post, false),
        LdrshPre { opc0, imm9, rn, rt } => gpr(cpu, p, lds(2, opc0 == 0), rn, rt, s9(imm9), Pre, false),
        LdrshReg { opc0, rm, option, s, rn, rt } => {
            let off = extend_reg(cpu, rm, option, s);
            gpr(cpu, p, lds(2, opc0 == 0), rn, rt, off, Off, false)
        }
        Ldursh { opc0, imm9, rn, rt } => gpr(cpu, p, lds(2, opc0 == 0), rn, rt, s9(imm9), Off, false),
        Ldtrsh { opc0, imm9, rn, rt } => gpr(cpu, p, lds(2, opc0 == 0), rn, rt, s9(imm9), Off, true),

        // ---- STR/LDR (W, X)
        StrUoff { sz, imm12, rn, rt } => {
            gpr(cpu, p, st(4 << sz, sz == 1), rn, rt, (imm12 as u64) << (2 + sz), Off, false)
        }
        StrPost { sz, imm9, rn, rt } => gpr(cpu, p, st(4 << sz, sz == 1), rn, rt, s9(imm9), Post, false),
        StrPre { sz, imm9, rn, rt } => gpr(cpu, p, st(4 << sz, sz == 1), rn, rt, s9(imm9), Pre, false),
        StrReg { sz, rm, option, s, rn, rt } => {
            let off = extend_reg(cpu, rm, option, s * (2 + sz));
            gpr(cpu, p, st(4 << sz, sz == 1), rn, rt, off, Off, false)
        }
        Stur { sz, imm9, rn, rt } => gpr(cpu, p, st(4 << sz, sz == 1), rn, rt, s9(imm9), Off, false),
        Sttr { sz, imm9, rn, rt } => gpr(cpu, p, st(4 << sz, sz == 1), rn, rt, s9(imm9), Off, true),
        LdrUoff { sz, imm12, rn, rt } => {
            gpr(cpu, p, ld(4 << sz, sz == 1), rn, rt, (imm12 as u64) << (2 + sz), Off, false)
        }
        LdrPost { sz, imm9, rn, rt } => gpr(cpu, p, ld(4 << sz, sz == 1), rn, rt, s9(imm9), Post, false),
        LdrPre { sz, imm9, rn, rt } => gpr(cpu, p, ld(4 << sz, sz == 1), rn, rt, s9(imm9), Pre, false),
        LdrReg { sz, rm, option, s, rn, rt } => {
            let off = extend_reg(cpu, rm, option, s * (2 + sz));
            gpr(cpu, p, ld(4 << sz, sz == 1), rn, rt, off, Off, false)
        }
        Ldur { sz, imm9, rn, rt } => gpr(cpu, p, ld(4 << sz, sz == 1), rn, rt, s9(imm9), Off, false),
        Ldtr { sz, imm9, rn, rt } => gpr(cpu, p, ld(4 << sz, sz == 1), rn, rt, s9(imm9), Off, true),

        // ---- LDRSW
        LdrswUoff { imm12, rn, rt } => gpr(cpu, p, lds(4, true), rn, rt, (imm12 as u64) << 2, Off, false),
        LdrswPost { imm9, rn, rt } => gpr(cpu, p, lds(4, true), rn, rt, s9(imm9), Post, false),
        LdrswPre { imm9, rn, rt } => gpr(cpu, p, lds(4, true), rn, rt, s9(imm9), Pre, false),
        LdrswReg { rm, option, s, rn, rt } => {
            let off = extend_reg(cpu, rm, option, s * 2);
            gpr(cpu, p, lds(4, true), rn, rt, off, Off, false)
        }
        Ldursw { imm9, rn, rt } => gpr(cpu, p, lds(4, true), rn, rt, s9(imm9), Off, false),
        Ldtrsw { imm9, rn, rt } => gpr(cpu, p, lds(4, true), rn, rt, s9(imm9), Off, true),

        // ---- prefetch
        PrfmUoff { .. } | PrfmReg { .. } | Prfum { .. } => gpr(cpu, p, PRFM, 31, 31, 0, Off, false),

        // ---- SIMD&FP single register
        StrSimdUoff { size, opc1, imm12, rn, rt } => {
            let sc = fp_scale(size, opc1);
            fp_single(cpu, p, false, sc, rn, rt, (imm12 as u64) << sc, Off)
        }
        StrSimdPost { size, opc1, imm9, rn, rt } => fp_single(cpu, p, false, fp_scale(size, opc1), rn, rt, s9(imm9), Post),
        StrSimdPre { size, opc1, imm9, rn, rt } => fp_single(cpu, p, false, fp_scale(size, opc1), rn, rt, s9(imm9), Pre),
        StrSimdReg { size, opc1, rm, option, s, rn, rt } => {
            let sc = fp_scale(size, opc1);
            let off = extend_reg(cpu, rm, option, s * sc);
            fp_single(cpu, p, false, sc, rn, rt, off, Off)
        }
        SturSimd { size, opc1, imm9, rn, rt } => fp_single(cpu, p, false, fp_scale(size, opc1), rn, rt, s9(imm9), Off),
        LdrSimdUoff { size, opc1, imm12, rn, rt } => {
            let sc = fp_scale(size, opc1);
            fp_single(cpu, p, true, sc, rn, rt, (imm12 as u64) << sc, Off)
        }
        LdrSimdPost { size, opc1, imm9, rn, rt } => fp_single(cpu, p, true, fp_scale(size, opc1), rn, rt, s9(imm9), Post),
        LdrSimdPre { size, opc1, imm9, rn, rt } => fp_single(cpu, p, true, fp_scale(size, opc1), rn, rt, s9(imm9), Pre),
        LdrSimdReg { size, opc1, rm, option, s, rn, rt } => {
            let sc = fp_scale(size, opc1);
            let off = extend_reg(cpu, rm, option, s * sc);
            fp_single(cpu, p, true, sc, rn, rt, off, Off)
        }
        LdurSimd { size, opc1, imm9, rn, rt } => fp_single(cpu, p, true, fp_scale(size, opc1), rn, rt, s9(imm9), Off),

        // ---- AdvSIMD structures
        St1Mult { q, opcode, size, rn, rt } => simd::multiple(cpu, p, false, q, opcode, size, rn, rt, None),
        St2Mult { q, size, rn, rt } => simd::multiple(cpu, p, false, q, 0b1000, size, rn, rt, None),
        St3Mult { q, size, rn, rt } => simd::multiple(cpu, p, false, q, 0b0100, size, rn, rt, None),
        St4Mult { q, size, rn, rt } => simd::multiple(cpu, p, false, q, 0b0000, size, rn, rt, None),
        St1MultPost { q, rm, opcode, size, rn, rt } => simd::multiple(cpu, p, false, q, opcode, size, rn, rt, Some(rm)),
        St2MultPost { q, rm, size, rn, rt } => simd::multiple(cpu, p, false, q, 0b1000, size, rn, rt, Some(rm)),
        St3MultPost { q, rm, size, rn, rt } => simd::multiple(cpu, p, false, q, 0b0100, size, rn, rt, Some(rm)),
        St4MultPost { q, rm, size, rn, rt } => simd::multiple(cpu, p, false, q, 0b0000, size, rn, rt, Some(rm)),
        Ld1Mult { q, opcode, size, rn, rt } => simd::multiple(cpu, p, true, q, opcode, size, rn, rt, None),
        Ld2Mult { q, size, rn, rt } => simd::multiple(cpu, p, true, q, 0b1000, size, rn, rt, None),
        Ld3Mult { q, size, rn, rt } => simd::multiple(cpu, p, true, q, 0b0100, size, rn, rt, None),
        Ld4Mult { q, size, rn, rt } => simd::multiple(cpu, p, true, q, 0b0000, size, rn, rt, None),
        Ld1MultPost { q, rm, opcode, size, rn, rt } => simd::multiple(cpu, p, true, q, opcode, size, rn, rt, Some(rm)),
        Ld2MultPost { q, rm, size, rn, rt } => simd::multiple(cpu, p, true, q, 0b1000, size, rn, rt, Some(rm)),
        Ld3MultPost { q, rm, size, rn, rt } => simd::multiple(cpu, p, true, q, 0b0100, size, rn, rt, Some(rm)),
        Ld4MultPost { q, rm, size, rn, rt } => simd::multiple(cpu, p, true, q, 0b0000, size, rn, rt, Some(rm)),
        St1Single { q, scale, s, size, rn, rt } => simd::single(cpu, p, false, 1, q, scale, s, size, rn, rt, None),
        St2Single { q, scale, s, size, rn, rt } => simd::single(cpu, p, false, 2, q, scale, s, size, rn, rt, None),
        St3Single { q, scale, s, size, rn, rt } => simd::single(cpu, p, false, 3, q, scale, s, size, rn, rt, None),
        St4Single { q, scale, s, size, rn, rt } => simd::single(cpu, p, false, 4, q, scale, s, size, rn, rt, None),
        St1SinglePost { q, rm, scale, s, size, rn, rt } => simd::single(cpu, p, false, 1, q, scale, s, size, rn, rt, Some(rm)),
        St2SinglePost { q, rm, scale, s, size, rn, rt } => simd::single(cpu, p, false, 2, q, scale, s, size, rn, rt, Some(rm)),
        St3SinglePost { q, rm, scale, s, size, rn, rt } => simd::single(cpu, p, false, 3, q, scale, s, size, rn, rt, Some(rm)),
        St4SinglePost { q, rm, scale, s, size, rn, rt } => simd::single(cpu, p, false, 4, q, scale, s, size, rn, rt, Some(rm)),
        Ld1Single { q, scale, s, size, rn, rt } => simd::single(cpu, p, true, 1, q, scale, s, size, rn, rt, None),
        Ld2Single { q, scale, s, size, rn, rt } => simd::single(cpu, p, true, 2, q, scale, s, size, rn, rt, None),
        Ld3Single { q, scale, s, size, rn, rt } => simd::single(cpu, p, true, 3, q, scale, s, size, rn, rt, None),
        Ld4Single { q, scale, s, size, rn, rt } => simd::single(cpu, p, true, 4, q, scale, s, size, rn, rt, None),
        Ld1SinglePost { q, rm, scale, s, size, rn, rt } => simd::single(cpu, p, true, 1, q, scale, s, size, rn, rt, Some(rm)),
        Ld2SinglePost { q, rm, scale, s, size, rn, rt } => simd::single(cpu, p, true, 2, q, scale, s, size, rn, rt, Some(rm)),
        Ld3SinglePost { q, rm, scale, s, size, rn, rt } => simd::single(cpu, p, true, 3, q, scale, s, size, rn, rt, Some(rm)),
        Ld4SinglePost { q, rm, scale, s, size, rn, rt } => simd::single(cpu, p, true, 4, q, scale, s, size, rn, rt, Some(rm)),
        Ld1r { q, size, rn, rt } => simd::replicate(cpu, p, 1, q, size, rn, rt, None),
        Ld2r { q, size, rn, rt } => simd::replicate(cpu, p, 2, q, size, rn, rt, None),
        Ld3r { q, size, rn, rt } => simd::replicate(cpu, p, 3, q, size, rn, rt, None),
        Ld4r { q, size, rn, rt } => simd::replicate(cpu, p, 4, q, size, rn, rt, None),
        Ld1rPost { q, rm, size, rn, rt } => simd::replicate(cpu, p, 1, q, size, rn, rt, Some(rm)),
        Ld2rPost { q, rm, size, rn, rt } => simd::replicate(cpu, p, 2, q, size, rn, rt, Some(rm)),
        Ld3rPost { q, rm, size, rn, rt } => simd::replicate(cpu, p, 3, q, size, rn, rt, Some(rm)),
        Ld4rPost { q, rm, size, rn, rt } => simd::replicate(cpu, p, 4, q, size, rn, rt, Some(rm)),
    }
}


#[cfg(test)]
mod tests;
