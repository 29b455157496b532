//! Executor for the `simd_fp` encoding group: the floating-point encodings of the AdvSIMD
//! classes (Arm ARM C4.1.6 / C7.2), vector and AdvSIMD scalar forms, for ARMv8.0-A
//! (single and double precision lanes; half precision only in FCVTN/FCVTL).
//!
//! The arithmetic is `semantics::fp` (FPCR-driven, pure software). In AArch64 every AdvSIMD
//! FP operation uses FPCR (the "standard FPSCR value" only applies to AArch32), and the
//! cumulative flags are ORed into FPSR; lanes are processed in element order as the ASL does.

use super::{ExecResult, Flow};
use crate::decode::SimdFp;
use crate::platform::Platform;
use crate::semantics::fp::{self, FpSize, Rounding};
use crate::Cpu;

// ---------------------------------------------------------------------------------------
// Lane helpers

fn fsz(sz: u32) -> FpSize {
    if sz == 0 {
        FpSize::S
    } else {
        FpSize::D
    }
}

fn lane_mask(esize: u32) -> u64 {
    if esize >= 64 {
        u64::MAX
    } else {
        (1u64 << esize) - 1
    }
}

fn elem(v: u128, e: u32, esize: u32) -> u64 {
    ((v >> (e * esize)) as u64) & lane_mask(esize)
}

fn set_elem(v: &mut u128, e: u32, esize: u32, x: u64) {
    let sh = e * esize;
    let m = lane_mask(esize) as u128;
    *v = (*v & !(m << sh)) | (((x as u128) & m) << sh);
}

/// All ones in an `esize`-bit lane when `b`, else zero (the FCM* results).
fn ones_if(b: bool, esize: u32) -> u64 {
    if b {
        lane_mask(esize)
    } else {
        0
    }
}

/// Writes a vector result: Q=0 clears bits 127:64.
fn write_vec(cpu: &mut Cpu, d: u32, val: u128, q: u32) {
    let v = if q == 0 { val & (u64::MAX as u128) } else { val };
    cpu.st.v[d as usize & 31] = v;
}

/// Writes a scalar result: everything above `esize` bits is cleared.
fn write_scalar(cpu: &mut Cpu, d: u32, x: u64, esize: u32) {
    cpu.st.v[d as usize & 31] = (x & lane_mask(esize)) as u128;
}

fn vreg(cpu: &Cpu, n: u32) -> u128 {
    cpu.st.v[n as usize & 31]
}

// ---------------------------------------------------------------------------------------
// Operations

/// Two-operand element operations (three same, pairwise, across lanes, by element).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op2 {
    Add,
    Sub,
    Mul,
    Mulx,
    Div,
    Max,
    Min,
    MaxNm,
    MinNm,
    Abd,
    Recps,
    Rsqrts,
    Cmeq,
    Cmge,
    Cmgt,
    Acge,
    Acgt,
}

fn op2(op: Op2, s: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 {
    let es = s.bits();
    match op {
        Op2::Add => fp::add(s, a, b, fpcr, fpsr),
        Op2::Sub => fp::sub(s, a, b, fpcr, fpsr),
        Op2::Mul => fp::mul(s, a, b, fpcr, fpsr),
        Op2::Mulx => fp::mulx(s, a, b, fpcr, fpsr),
        Op2::Div => fp::div(s, a, b, fpcr, fpsr),
        Op2::Max => fp::max(s, a, b, fpcr, fpsr),
        Op2::Min => fp::min(s, a, b, fpcr, fpsr),
        Op2::MaxNm => fp::maxnm(s, a, b, fpcr, fpsr),
        Op2::MinNm => fp::minnm(s, a, b, fpcr, fpsr),
        Op2::Abd => fp::abs(s, fp::sub(s, a, b, fpcr, fpsr)),
        Op2::Recps => fp::recip_step(s, a, b, fpcr, fpsr),
        Op2::Rsqrts => fp::rsqrt_step(s, a, b, fpcr, fpsr),
        Op2::Cmeq => ones_if(fp::compare_eq(s, a, b, fpcr, fpsr), es),
        Op2::Cmge => ones_if(fp::compare_ge(s, a, b, fpcr, fpsr), es),
        Op2::Cmgt => ones_if(fp::compare_gt(s, a, b, fpcr, fpsr), es),
        Op2::Acge => ones_if(fp::compare_ge(s, fp::abs(s, a), fp::abs(s, b), fpcr, fpsr), es),
        Op2::Acgt => ones_if(fp::compare_gt(s, fp::abs(s, a), fp::abs(s, b), fpcr, fpsr), es),
    }
}

/// Comparisons against zero (two-register misc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpZ {
    Gt,
    Eq,
    Lt,
    Ge,
    Le,
}

/// One-operand element operations (two-register misc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op1 {
    /// FRINT*: `None` = FPCR rounding; `bool` = exact (FRINTX).
    RoundInt(Option<Rounding>, bool),
    /// FCVT[NMAPZ][SU] (integer): `None` = FPCR rounding (never used: all have a mode).
    ToInt(Rounding, bool),
    /// SCVTF/UCVTF (integer): `bool` = unsigned.
    FromInt(bool),
    CmpZero(CmpZ),
    Abs,
    Neg,
    Sqrt,
    Recpe,
    Rsqrte,
    Recpx,
}

fn op1(op: Op1, s: FpSize, a: u64, fpcr: u32, fpsr: &mut u32) -> u64 {
    let es = s.bits();
    match op {
        Op1::RoundInt(r, exact) => {
            let r = r.unwrap_or_else(|| fp::fpcr_rounding(fpcr));
            fp::round_int(s, a, r, exact, fpcr, fpsr)
        }
        Op1::ToInt(r, unsigned) => fp::to_fixed(s, a, 0, unsigned, es, r, fpcr, fpsr),
        Op1::FromInt(unsigned) => fp::from_fixed(s, a, 0, unsigned, es, fp::fpcr_rounding(fpcr), fpcr, fpsr),
        Op1::CmpZero(c) => {
            let z = 0u64;
            let t = match c {
                CmpZ::Gt => fp::compare_gt(s, a, z, fpcr, fpsr),
                CmpZ::Eq => fp::compare_eq(s, a, z, fpcr, fpsr),
                CmpZ::Lt => fp::compare_gt(s, z, a, fpcr, fpsr),
                CmpZ::Ge => fp::compare_ge(s, a, z, fpcr, fpsr),
                CmpZ::Le => fp::compare_ge(s, z, a, fpcr, fpsr),
            };
            ones_if(t, es)
        }
        Op1::Abs => fp::abs(s, a),
        Op1::Neg => fp::neg(s, a),
        Op1::Sqrt => fp::sqrt(s, a, fpcr, fpsr),
        Op1::Recpe => fp::recip_estimate(s, a, fpcr, fpsr),
        Op1::Rsqrte => fp::rsqrt_estimate(s, a, fpcr, fpsr),
        Op1::Recpx => fp::recpx(s, a, fpcr, fpsr),
    }
}

// ---------------------------------------------------------------------------------------
// Instruction shapes

fn elements(q: u32, esize: u32) -> u32 {
    (64 << q) / esize
}

/// Vector three same: Vd = op(Vn, Vm) lane by lane.
fn vec_op2(cpu: &mut Cpu, op: Op2, q: u32, sz: u32, rm: u32, rn: u32, rd: u32) -> ExecResult {
    cpu.check_fp_enabled()?;
    let s = fsz(sz);
    let es = s.bits();
    let (n, m) = (vreg(cpu, rn), vreg(cpu, rm));
    let fpcr = cpu.st.fpcr;
    let mut r = 0u128;
    for e in 0..elements(q, es) {
        let x = op2(op, s, elem(n, e, es), elem(m, e, es), fpcr, &mut cpu.st.fpsr);
        set_elem(&mut r, e, es, x);
    }
    write_vec(cpu, rd, r, q);
    Ok(Flow::Next)
}

/// Vector pairwise: concatenation Vm:Vn, result e = op(concat[2e], concat[2e+1]).
fn vec_pairwise(cpu: &mut Cpu, op: Op2, q: u32, sz: u32, rm: u32, rn: u32, rd: u32) -> ExecResult {
    cpu.check_fp_enabled()?;
    let s = fsz(sz);
    let es = s.bits();
    let (n, m) = (vreg(cpu, rn), vreg(cpu, rm));
    let fpcr = cpu.st.fpcr;
    let ne = elements(q, es);
    let lane = |i: u32| if i < ne { elem(n, i, es) } else { elem(m, i - ne, es) };
    let mut r = 0u128;
    for e in 0..ne {
        let x = op2(op, s, lane(2 * e), lane(2 * e + 1), fpcr, &mut cpu.st.fpsr);
        set_elem(&mut r, e, es, x);
    }
    write_vec(cpu, rd, r, q);
    Ok(Flow::Next)
}

/// Vector FMLA/FMLS: Vd = Vd + (±Vn) * Vm with a single rounding.
fn vec_fmla(cpu: &mut Cpu, sub: bool, q: u32, sz: u32, rm: u32, rn: u32, rd: u32) -> ExecResult {
    cpu.check_fp_enabled()?;
    let s = fsz(sz);
    let es = s.bits();
    let (n, m, d) = (vreg(cpu, rn), vreg(cpu, rm), vreg(cpu, rd));
    let fpcr = cpu.st.fpcr;
    let mut r = 0u128;
    for e in 0..elements(q, es) {
        let mut a = elem(n, e, es);
        if sub {
            a = fp::neg(s, a);
        }
        let x = fp::muladd(s, elem(d, e, es), a, elem(m, e, es), fpcr, &mut cpu.st.fpsr);
        set_elem(&mut r, e, es, x);
    }
    write_vec(cpu, rd, r, q);
    Ok(Flow::Next)
}

/// AdvSIMD scalar three same: one lane, result zero-extended.
fn scalar_op2(cpu: &mut Cpu, op: Op2, sz: u32, rm: u32, rn: u32, rd: u32) -> ExecResult {
    cpu.check_fp_enabled()?;
    let s = fsz(sz);
    let es = s.bits();
    let (n, m) = (vreg(cpu, rn), vreg(cpu, rm));
    let fpcr = cpu.st.fpcr;
    let x = op2(op, s, elem(n, 0, es), elem(m, 0, es), fpcr, &mut cpu.st.fpsr);
    write_scalar(cpu, rd, x, es);
    Ok(Flow::Next)
}

/// AdvSIMD scalar pairwise: op(Vn[0], Vn[1]).
fn scalar_pairwise(cpu: &mut Cpu, op: Op2, sz: u32, rn: u32, rd: u32) -> ExecResult {
    cpu.check_fp_enabled()?;
    let s = fsz(sz);
    let es = s.bits();
    let n = vreg(cpu, rn);
    let fpcr = cpu.st.fpcr;
    let x = op2(op, s, elem(n, 0, es), elem(n, 1, es), fpcr, &mut cpu.st.fpsr);
    write_scalar(cpu, rd, x, es);
    Ok(Flow::Next)
}

/// Vector two-register misc.
fn vec_op1(cpu: &mut Cpu, op: Op1, q: u32, sz: u32, rn: u32, rd: u32) -> ExecResult {
    cpu.check_fp_enabled()?;
    let s = fsz(sz);
    let es = s.bits();
    let n = vreg(cpu, rn);
    let fpcr = cpu.st.fpcr;
    let mut r = 0u128;
    for e in 0..elements(q, es) {
        let x = op1(op, s, elem(n, e, es), fpcr, &mut cpu.st.fpsr);
        set_elem(&mut r, e, es, x);
    }
    write_vec(cpu, rd, r, q);
    Ok(Flow::Next)
}

/// AdvSIMD scalar two-register misc.
fn scalar_op1(cpu: &mut Cpu, op: Op1, sz: u32, rn: u32, rd: u32) -> ExecResult {
    cpu.check_fp_enabled()?;
    let s = fsz(sz);
    let es = s.bits();
    let n = vreg(cpu, rn);
    let fpcr = cpu.st.fpcr;
    let x = op1(op, s, elem(n, 0, es), fpcr, &mut cpu.st.fpsr);
    write_scalar(cpu, rd, x, es);
    Ok(Flow::Next)
}

/// FCVTN/FCVTN2/FCVTXN/FCVTXN2: narrow each 2*esize lane of Vn into Vpart[d, Q].
fn vec_narrow(cpu: &mut Cpu, q: u32, from: FpSize, to: FpSize, odd: bool, rn: u32, rd: u32) -> ExecResult {
    cpu.check_fp_enabled()?;
    let (fe, te) = (from.bits(), to.bits());
    let n = vreg(cpu, rn);
    let fpcr = cpu.st.fpcr;
    let rmode = if odd { Rounding::Odd } else { fp::fpcr_rounding(fpcr) };
    let mut r = 0u128;
    for e in 0..(128 / fe) {
        let x = fp::convert(from, to, elem(n, e, fe), rmode, fpcr, &mut cpu.st.fpsr);
        set_elem(&mut r, e, te, x);
    }
    // Vpart[d, part] = result: part 0 writes the low half and clears the high half;
    // part 1 writes the high half and keeps the low half.
    let d = vreg(cpu, rd);
    let v = if q == 0 { r & (u64::MAX as u128) } else { (d & (u64::MAX as u128)) | (r << 64) };
    cpu.st.v[rd as usize & 31] = v;
    Ok(Flow::Next)
}

/// FCVTL/FCVTL2: widen the lanes of Vpart[n, Q].
fn vec_widen(cpu: &mut Cpu, q: u32, from: FpSize, to: FpSize, rn: u32, rd: u32) -> ExecResult {
    cpu.check_fp_enabled()?;
    let (fe, te) = (from.bits(), to.bits());
    let n = vreg(cpu, rn) >> (64 * q);
    let fpcr = cpu.st.fpcr;
    let rmode = fp::fpcr_rounding(fpcr);
    let mut r = 0u128;
    for e in 0..(64 / fe) {
        let x = fp::convert(from, to, elem(n, e, fe), rmode, fpcr, &mut cpu.st.fpsr);
        set_elem(&mut r, e, te, x);
    }
    cpu.st.v[rd as usize & 31] = r;
    Ok(Flow::Next)
}

/// FMAXNMV/FMAXV/FMINNMV/FMINV (4S): Reduce splits in halves, op(lo, hi) at each level.
fn across(cpu: &mut Cpu, op: Op2, rn: u32, rd: u32) -> ExecResult {
    cpu.check_fp_enabled()?;
    let s = FpSize::S;
    let n = vreg(cpu, rn);
    let fpcr = cpu.st.fpcr;
    let fpsr = &mut cpu.st.fpsr;
    // The ASL evaluates the upper half before the lower one; flags are ORed, so the
    // order has no visible effect.
    let hi = op2(op, s, elem(n, 2, 32), elem(n, 3, 32), fpcr, fpsr);
    let lo = op2(op, s, elem(n, 0, 32), elem(n, 1, 32), fpcr, fpsr);
    let x = op2(op, s, lo, hi, fpcr, fpsr);
    write_scalar(cpu, rd, x, 32);
    Ok(Flow::Next)
}

/// What a by-element instruction does with (Vd lane, Vn lane, Vm[index]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ElemOp {
    Fmla,
    Fmls,
    Fmul,
    Fmulx,
}

fn elem_index(sz: u32, l: u32, h: u32) -> u32 {
    if sz == 0 {
        (h << 1) | l
    } else {
        h
    }
}

fn elem_lane(op: ElemOp, s: FpSize, d: u64, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 {
    match op {
        ElemOp::Fmla => fp::muladd(s, d, a, b, fpcr, fpsr),
        ElemOp::Fmls => fp::muladd(s, d, fp::neg(s, a), b, fpcr, fpsr),
        ElemOp::Fmul => fp::mul(s, a, b, fpcr, fpsr),
        ElemOp::Fmulx => fp::mulx(s, a, b, fpcr, fpsr),
    }
}

/// Vector x indexed element. `scalar` selects the AdvSIMD scalar form (one lane).
#[allow(clippy::too_many_arguments)]
fn by_elem(cpu: &mut Cpu, op: ElemOp, scalar: bool, q: u32, sz: u32, l: u32, h: u32, rm: u32, rn: u32, rd: u32) -> ExecResult {
    cpu.check_fp_enabled()?;
    let s = fsz(sz);
    let es = s.bits();
    let (n, m, d) = (vreg(cpu, rn), vreg(cpu, rm), vreg(cpu, rd));
    let b = elem(m, elem_index(sz, l, h), es);
    let fpcr = cpu.st.fpcr;
    let count = if scalar { 1 } else { elements(q, es) };
    let mut r = 0u128;
    for e in 0..count {
        let x = elem_lane(op, s, elem(d, e, es), elem(n, e, es), b, fpcr, &mut cpu.st.fpsr);
        set_elem(&mut r, e, es, x);
    }
    if scalar {
        cpu.st.v[rd as usize & 31] = r;
    } else {
        write_vec(cpu, rd, r, q);
    }
    Ok(Flow::Next)
}

/// Fixed-point conversions (shift by immediate). `to_fp` = SCVTF/UCVTF, else FCVTZS/FCVTZU.
/// `fbits` = 2 * esize - UInt(immh:immb), in 1..=esize.
#[allow(clippy::too_many_arguments)]
fn fixed(cpu: &mut Cpu, to_fp: bool, unsigned: bool, scalar: bool, q: u32, sz: u32, fbits: u32, rn: u32, rd: u32) -> ExecResult {
    cpu.check_fp_enabled()?;
    let s = fsz(sz);
    let es = s.bits();
    let n = vreg(cpu, rn);
    let fpcr = cpu.st.fpcr;
    let count = if scalar { 1 } else { elements(q, es) };
    let mut r = 0u128;
    for e in 0..count {
        let a = elem(n, e, es);
        let x = if to_fp {
            fp::from_fixed(s, a, fbits, unsigned, es, fp::fpcr_rounding(fpcr), fpcr, &mut cpu.st.fpsr)
        } else {
            fp::to_fixed(s, a, fbits, unsigned, es, Rounding::Zero, fpcr, &mut cpu.st.fpsr)
        };
        set_elem(&mut r, e, es, x);
    }
    if scalar {
        cpu.st.v[rd as usize & 31] = r;
    } else {
        write_vec(cpu, rd, r, q);
    }
    Ok(Flow::Next)
}

/// AdvSIMDExpandImm for cmode=1111: op=0 single (replicated twice in 64 bits), op=1 double.
fn fmov_imm64(imm8: u32, double: bool) -> u64 {
    let a = ((imm8 >> 7) & 1) as u64;
    let b = ((imm8 >> 6) & 1) as u64;
    let cdefgh = (imm8 & 0x3f) as u64;
    if double {
        let exp = ((b ^ 1) << 10) | if b == 1 { 0xff << 2 } else { 0 };
        // a : NOT(b) : b x8 : cdefgh : Zeros(48)
        (a << 63) | (exp << 52) | (cdefgh << 48)
    } else {
        let exp = ((b ^ 1) << 7) | if b == 1 { 0x1f << 2 } else { 0 };
        let w = ((a << 31) | (exp << 23) | (cdefgh << 19)) & 0xffff_ffff;
        (w << 32) | w
    }
}

// ---------------------------------------------------------------------------------------

pub fn exec(cpu: &mut Cpu, _p: &mut dyn Platform, i: &SimdFp, _raw: u32) -> ExecResult {
    use Op2::*;
    use SimdFp as I;
    match *i {
        // ---- three same (vector)
        I::FmaxnmVec { q, sz, rm, rn, rd } => vec_op2(cpu, MaxNm, q, sz, rm, rn, rd),
        I::FmlaVec { q, sz, rm, rn, rd } => vec_fmla(cpu, false, q, sz, rm, rn, rd),
        I::FaddVec { q, sz, rm, rn, rd } => vec_op2(cpu, Add, q, sz, rm, rn, rd),
        I::FmulxVec { q, sz, rm, rn, rd } => vec_op2(cpu, Mulx, q, sz, rm, rn, rd),
        I::FcmeqVec { q, sz, rm, rn, rd } => vec_op2(cpu, Cmeq, q, sz, rm, rn, rd),
        I::FmaxVec { q, sz, rm, rn, rd } => vec_op2(cpu, Max, q, sz, rm, rn, rd),
        I::FrecpsVec { q, sz, rm, rn, rd } => vec_op2(cpu, Recps, q, sz, rm, rn, rd),
        I::FminnmVec { q, sz, rm, rn, rd } => vec_op2(cpu, MinNm, q, sz, rm, rn, rd),
        I::FmlsVec { q, sz, rm, rn, rd } => vec_fmla(cpu, true, q, sz, rm, rn, rd),
        I::FsubVec { q, sz, rm, rn, rd } => vec_op2(cpu, Sub, q, sz, rm, rn, rd),
        I::FminVec { q, sz, rm, rn, rd } => vec_op2(cpu, Min, q, sz, rm, rn, rd),
        I::FrsqrtsVec { q, sz, rm, rn, rd } => vec_op2(cpu, Rsqrts, q, sz, rm, rn, rd),
        I::FmaxnmpVec { q, sz, rm, rn, rd } => vec_pairwise(cpu, MaxNm, q, sz, rm, rn, rd),
        I::FaddpVec { q, sz, rm, rn, rd } => vec_pairwise(cpu, Add, q, sz, rm, rn, rd),
        I::FmulVec { q, sz, rm, rn, rd } => vec_op2(cpu, Mul, q, sz, rm, rn, rd),
        I::FcmgeVec { q, sz, rm, rn, rd } => vec_op2(cpu, Cmge, q, sz, rm, rn, rd),
        I::FacgeVec { q, sz, rm, rn, rd } => vec_op2(cpu, Acge, q, sz, rm, rn, rd),
        I::FmaxpVec { q, sz, rm, rn, rd } => vec_pairwise(cpu, Max, q, sz, rm, rn, rd),
        I::FdivVec { q, sz, rm, rn, rd } => vec_op2(cpu, Div, q, sz, rm, rn, rd),
        I::FminnmpVec { q, sz, rm, rn, rd } => vec_pairwise(cpu, MinNm, q, sz, rm, rn, rd),
        I::FabdVec { q, sz, rm, rn, rd } => vec_op2(cpu, Abd, q, sz, rm, rn, rd),
        I::FcmgtVec { q, sz, rm, rn, rd } => vec_op2(cpu, Cmgt, q, sz, rm, rn, rd),
        I::FacgtVec { q, sz, rm, rn, rd } => vec_op2(cpu, Acgt, q, sz, rm, rn, rd),
        I::FminpVec { q, sz, rm, rn, rd } => vec_pairwise(cpu, Min, q, sz, rm, rn, rd),

        // ---- scalar three same
        I::FmulxAsisd { sz, rm, rn, rd } => scalar_op2(cpu, Mulx, sz, rm, rn, rd),
        I::FcmeqAsisd { sz, rm, rn, rd } => scalar_op2(cpu, Cmeq, sz, rm, rn, rd),
        I::FrecpsAsisd { sz, rm, rn, rd } => scalar_op2(cpu, Recps, sz, rm, rn, rd),
        I::FrsqrtsAsisd { sz, rm, rn, rd } => scalar_op2(cpu, Rsqrts, sz, rm, rn, rd),
        I::FcmgeAsisd { sz, rm, rn, rd } => scalar_op2(cpu, Cmge, sz, rm, rn, rd),
        I::FacgeAsisd { sz, rm, rn, rd } => scalar_op2(cpu, Acge, sz, rm, rn, rd),
        I::FabdAsisd { sz, rm, rn, rd } => scalar_op2(cpu, Abd, sz, rm, rn, rd),
        I::FcmgtAsisd { sz, rm, rn, rd } => scalar_op2(cpu, Cmgt, sz, rm, rn, rd),
        I::FacgtAsisd { sz, rm, rn, rd } => scalar_op2(cpu, Acgt, sz, rm, rn, rd),

        // ---- scalar pairwise
        I::FmaxnmpAsisd { sz, rn, rd } => scalar_pairwise(cpu, MaxNm, sz, rn, rd),
        I::FaddpAsisd { sz, rn, rd } => scalar_pairwise(cpu, Add, sz, rn, rd),
        I::FmaxpAsisd { sz, rn, rd } => scalar_pairwise(cpu, Max, sz, rn, rd),
        I::FminnmpAsisd { sz, rn, rd } => scalar_pairwise(cpu, MinNm, sz, rn, rd),
        I::FminpAsisd { sz, rn, rd } => scalar_pairwise(cpu, Min, sz, rn, rd),

        // ---- two-register misc (vector)
        I::FcvtnVec { q, sz, rn, rd } => {
            let (from, to) = if sz == 0 { (FpSize::S, FpSize::H) } else { (FpSize::D, FpSize::S) };
            vec_narrow(cpu, q, from, to, false, rn, rd)
        }
        I::FcvtxnVec { q, rn, rd } => vec_narrow(cpu, q, FpSize::D, FpSize::S, true, rn, rd),
        I::FcvtlVec { q, sz, rn, rd } => {
            let (from, to) = if sz == 0 { (FpSize::H, FpSize::S) } else { (FpSize::S, FpSize::D) };
            vec_widen(cpu, q, from, to, rn, rd)
        }
        I::FrintnVec { q, sz, rn, rd } => vec_op1(cpu, Op1::RoundInt(Some(Rounding::TieEven), false), q, sz, rn, rd),
        I::FrintmVec { q, sz, rn, rd } => vec_op1(cpu, Op1::RoundInt(Some(Rounding::NegInf), false), q, sz, rn, rd),
        I::FrintpVec { q, sz, rn, rd } => vec_op1(cpu, Op1::RoundInt(Some(Rounding::PosInf), false), q, sz, rn, rd),
        I::FrintzVec { q, sz, rn, rd } => vec_op1(cpu, Op1::RoundInt(Some(Rounding::Zero), false), q, sz, rn, rd),
        I::FrintaVec { q, sz, rn, rd } => vec_op1(cpu, Op1::RoundInt(Some(Rounding::TieAway), false), q, sz, rn, rd),
        I::FrintxVec { q, sz, rn, rd } => vec_op1(cpu, Op1::RoundInt(None, true), q, sz, rn, rd),
        I::FrintiVec { q, sz, rn, rd } => vec_op1(cpu, Op1::RoundInt(None, false), q, sz, rn, rd),
        I::FcvtnsVec { q, sz, rn, rd } => vec_op1(cpu, Op1::ToInt(Rounding::TieEven, false), q, sz, rn, rd),
        I::FcvtmsVec { q, sz, rn, rd } => vec_op1(cpu, Op1::ToInt(Rounding::NegInf, false), q, sz, rn, rd),
        I::FcvtasVec { q, sz, rn, rd } => vec_op1(cpu, Op1::ToInt(Rounding::TieAway, false), q, sz, rn, rd),
        I::FcvtpsVec { q, sz, rn, rd } => vec_op1(cpu, Op1::ToInt(Rounding::PosInf, false), q, sz, rn, rd),
        I::FcvtzsVec { q, sz, rn, rd } => vec_op1(cpu, Op1::ToInt(Rounding::Zero, false), q, sz, rn, rd),
        I::FcvtnuVec { q, sz, rn, rd } => vec_op1(cpu, Op1::ToInt(Rounding::TieEven, true), q, sz, rn, rd),
        I::FcvtmuVec { q, sz, rn, rd } => vec_op1(cpu, Op1::ToInt(Rounding::NegInf, true), q, sz, rn, rd),
        I::FcvtauVec { q, sz, rn, rd } => vec_op1(cpu, Op1::ToInt(Rounding::TieAway, true), q, sz, rn, rd),
        I::FcvtpuVec { q, sz, rn, rd } => vec_op1(cpu, Op1::ToInt(Rounding::PosInf, true), q, sz, rn, rd),
        I::FcvtzuVec { q, sz, rn, rd } => vec_op1(cpu, Op1::ToInt(Rounding::Zero, true), q, sz, rn, rd),
        I::ScvtfVec { q, sz, rn, rd } => vec_op1(cpu, Op1::FromInt(false), q, sz, rn, rd),
        I::UcvtfVec { q, sz, rn, rd } => vec_op1(cpu, Op1::FromInt(true), q, sz, rn, rd),
        I::FcmgtZeroVec { q, sz, rn, rd } => vec_op1(cpu, Op1::CmpZero(CmpZ::Gt), q, sz, rn, rd),
        I::FcmeqZeroVec { q, sz, rn, rd } => vec_op1(cpu, Op1::CmpZero(CmpZ::Eq), q, sz, rn, rd),
        I::FcmltZeroVec { q, sz, rn, rd } => vec_op1(cpu, Op1::CmpZero(CmpZ::Lt), q, sz, rn, rd),
        I::FcmgeZeroVec { q, sz, rn, rd } => vec_op1(cpu, Op1::CmpZero(CmpZ::Ge), q, sz, rn, rd),
        I::FcmleZeroVec { q, sz, rn, rd } => vec_op1(cpu, Op1::CmpZero(CmpZ::Le), q, sz, rn, rd),
        I::FabsVec { q, sz, rn, rd } => vec_op1(cpu, Op1::Abs, q, sz, rn, rd),
        I::FnegVec { q, sz, rn, rd } => vec_op1(cpu, Op1::Neg, q, sz, rn, rd),
        I::FsqrtVec { q, sz, rn, rd } => vec_op1(cpu, Op1::Sqrt, q, sz, rn, rd),
        I::FrecpeVec { q, sz, rn, rd } => vec_op1(cpu, Op1::Recpe, q, sz, rn, rd),
        I::FrsqrteVec { q, sz, rn, rd } => vec_op1(cpu, Op1::Rsqrte, q, sz, rn, rd),

        // ---- scalar two-register misc
        I::FcvtnsAsisd { sz, rn, rd } => scalar_op1(cpu, Op1::ToInt(Rounding::TieEven, false), sz, rn, rd),
        I::FcvtmsAsisd { sz, rn, rd } => scalar_op1(cpu, Op1::ToInt(Rounding::NegInf, false), sz, rn, rd),
        I::FcvtasAsisd { sz, rn, rd } => scalar_op1(cpu, Op1::ToInt(Rounding::TieAway, false), sz, rn, rd),
        I::FcvtpsAsisd { sz, rn, rd } => scalar_op1(cpu, Op1::ToInt(Rounding::PosInf, false), sz, rn, rd),
        I::FcvtzsAsisd { sz, rn, rd } => scalar_op1(cpu, Op1::ToInt(Rounding::Zero, false), sz, rn, rd),
        I::FcvtnuAsisd { sz, rn, rd } => scalar_op1(cpu, Op1::ToInt(Rounding::TieEven, true), sz, rn, rd),
        I::FcvtmuAsisd { sz, rn, rd } => scalar_op1(cpu, Op1::ToInt(Rounding::NegInf, true), sz, rn, rd),
        I::FcvtauAsisd { sz, rn, rd } => scalar_op1(cpu, Op1::ToInt(Rounding::TieAway, true), sz, rn, rd),
        I::FcvtpuAsisd { sz, rn, rd } => scalar_op1(cpu, Op1::ToInt(Rounding::PosInf, true), sz, rn, rd),
        I::FcvtzuAsisd { sz, rn, rd } => scalar_op1(cpu, Op1::ToInt(Rounding::Zero, true), sz, rn, rd),
        I::ScvtfAsisd { sz, rn, rd } => scalar_op1(cpu, Op1::FromInt(false), sz, rn, rd),
        I::UcvtfAsisd { sz, rn, rd } => scalar_op1(cpu, Op1::FromInt(true), sz, rn, rd),
        I::FcmgtZeroAsisd { sz, rn, rd } => scalar_op1(cpu, Op1::CmpZero(CmpZ::Gt), sz, rn, rd),
        I::FcmeqZeroAsisd { sz, rn, rd } => scalar_op1(cpu, Op1::CmpZero(CmpZ::Eq), sz, rn, rd),
        I::FcmltZeroAsisd { sz, rn, rd } => scalar_op1(cpu, Op1::CmpZero(CmpZ::Lt), sz, rn, rd),
        I::FcmgeZeroAsisd { sz, rn, rd } => scalar_op1(cpu, Op1::CmpZero(CmpZ::Ge), sz, rn, rd),
        I::FcmleZeroAsisd { sz, rn, rd } => scalar_op1(cpu, Op1::CmpZero(CmpZ::Le), sz, rn, rd),
        I::FrecpeAsisd { sz, rn, rd } => scalar_op1(cpu, Op1::Recpe, sz, rn, rd),
        I::FrsqrteAsisd { sz, rn, rd } => scalar_op1(cpu, Op1::Rsqrte, sz, rn, rd),
        I::FrecpxAsisd { sz, rn, rd } => scalar_op1(cpu, Op1::Recpx, sz, rn, rd),
        I::FcvtxnAsisd { rn, rd } => {
            cpu.check_fp_enabled()?;
            let fpcr = cpu.st.fpcr;
            let a = elem(vreg(cpu, rn), 0, 64);
            let x = fp::convert(FpSize::D, FpSize::S, a, Rounding::Odd, fpcr, &mut cpu.st.fpsr);
            write_scalar(cpu, rd, x, 32);
            Ok(Flow::Next)
        }

        // ---- across lanes
        I::FmaxnmvVec { rn, rd } => across(cpu, MaxNm, rn, rd),
        I::FmaxvVec { rn, rd } => across(cpu, Max, rn, rd),
        I::FminnmvVec { rn, rd } => across(cpu, MinNm, rn, rd),
        I::FminvVec { rn, rd } => across(cpu, Min, rn, rd),

        // ---- by element
        I::FmlaElemVec { q, sz, l, rm, h, rn, rd } => by_elem(cpu, ElemOp::Fmla, false, q, sz, l, h, rm, rn, rd),
        I::FmlsElemVec { q, sz, l, rm, h, rn, rd } => by_elem(cpu, ElemOp::Fmls, false, q, sz, l, h, rm, rn, rd),
        I::FmulElemVec { q, sz, l, rm, h, rn, rd } => by_elem(cpu, ElemOp::Fmul, false, q, sz, l, h, rm, rn, rd),
        I::FmulxElemVec { q, sz, l, rm, h, rn, rd } => by_elem(cpu, ElemOp::Fmulx, false, q, sz, l, h, rm, rn, rd),
        I::FmlaElemAsisd { sz, l, rm, h, rn, rd } => by_elem(cpu, ElemOp::Fmla, true, 0, sz, l, h, rm, rn, rd),
        I::FmlsElemAsisd { sz, l, rm, h, rn, rd } => by_elem(cpu, ElemOp::Fmls, true, 0, sz, l, h, rm, rn, rd),
        I::FmulElemAsisd { sz, l, rm, h, rn, rd } => by_elem(cpu, ElemOp::Fmul, true, 0, sz, l, h, rm, rn, rd),
        I::FmulxElemAsisd { sz, l, rm, h, rn, rd } => by_elem(cpu, ElemOp::Fmulx, true, 0, sz, l, h, rm, rn, rd),

        // ---- fixed-point conversions (shift by immediate)
        I::ScvtfFixVecS { q, immhb, rn, rd } => fixed(cpu, true, false, false, q, 0, 32 - immhb, rn, rd),
        I::ScvtfFixVecD { immhb, rn, rd } => fixed(cpu, true, false, false, 1, 1, 64 - immhb, rn, rd),
        I::ScvtfFixAsisdS { immhb, rn, rd } => fixed(cpu, true, false, true, 0, 0, 32 - immhb, rn, rd),
        I::ScvtfFixAsisdD { immhb, rn, rd } => fixed(cpu, true, false, true, 0, 1, 64 - immhb, rn, rd),
        I::UcvtfFixVecS { q, immhb, rn, rd } => fixed(cpu, true, true, false, q, 0, 32 - immhb, rn, rd),
        I::UcvtfFixVecD { immhb, rn, rd } => fixed(cpu, true, true, false, 1, 1, 64 - immhb, rn, rd),
        I::UcvtfFixAsisdS { immhb, rn, rd } => fixed(cpu, true, true, true, 0, 0, 32 - immhb, rn, rd),
        I::UcvtfFixAsisdD { immhb, rn, rd } => fixed(cpu, true, true, true, 0, 1, 64 - immhb, rn, rd),
        I::FcvtzsFixVecS { q, immhb, rn, rd } => fixed(cpu, false, false, false, q, 0, 32 - immhb, rn, rd),
        I::FcvtzsFixVecD { immhb, rn, rd } => fixed(cpu, false, false, false, 1, 1, 64 - immhb, rn, rd),
        I::FcvtzsFixAsisdS { immhb, rn, rd } => fixed(cpu, false, false, true, 0, 0, 32 - immhb, rn, rd),
        I::FcvtzsFixAsisdD { immhb, rn, rd } => fixed(cpu, false, false, true, 0, 1, 64 - immhb, rn, rd),
        I::FcvtzuFixVecS { q, immhb, rn, rd } => fixed(cpu, false, true, false, q, 0, 32 - immhb, rn, rd),
        I::FcvtzuFixVecD { immhb, rn, rd } => fixed(cpu, false, true, false, 1, 1, 64 - immhb, rn, rd),
        I::FcvtzuFixAsisdS { immhb, rn, rd } => fixed(cpu, false, true, true, 0, 0, 32 - immhb, rn, rd),
        I::FcvtzuFixAsisdD { immhb, rn, rd } => fixed(cpu, false, true, true, 0, 1, 64 - immhb, rn, rd),

        // ---- FMOV (vector, immediate)
        I::FmovImmVecS { q, imm8, rd } => {
            cpu.check_fp_enabled()?;
            let x = fmov_imm64(imm8, false) as u128;
            write_vec(cpu, rd, (x << 64) | x, q);
            Ok(Flow::Next)
        }
        I::FmovImmVecD { imm8, rd } => {
            cpu.check_fp_enabled()?;
            let x = fmov_imm64(imm8, true) as u128;
            cpu.st.v[rd as usize & 31] = (x << 64) | x;
            Ok(Flow::Next)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmov_imm_expansion() {
        // Values worked out from VFPExpandImm by hand: imm8 0x70 = 1.0, 0x00 = 2.0,
        // 0xf0 = -1.0, 0x7f = 1.9375, 0x10 = 4.0 (b=0 cd=01: 2^2), 0xff = -1.9375.
        assert_eq!(fmov_imm64(0x70, true), 0x3ff0_0000_0000_0000);
        assert_eq!(fmov_imm64(0x00, true), 0x4000_0000_0000_0000);
        assert_eq!(fmov_imm64(0xf0, true), 0xbff0_0000_0000_0000);
        assert_eq!(fmov_imm64(0x7f, true), 0x3fff_0000_0000_0000);
        assert_eq!(fmov_imm64(0x70, false), 0x3f80_0000_3f80_0000);
        assert_eq!(fmov_imm64(0x00, false), 0x4000_0000_4000_0000);
        assert_eq!(fmov_imm64(0x10, false), 0x4080_0000_4080_0000);
        assert_eq!(fmov_imm64(0xff, false), 0xbff8_0000_bff8_0000);
    }
}
