//! Executor for the `fp` encoding group: the scalar floating-point instructions (Arm ARM
//! C4.1.6, "Data Processing -- Scalar Floating-Point and Advanced SIMD", floating-point
//! classes; semantics per the C7.2 instruction pages). The arithmetic itself is in
//! `semantics::fp`. A Cortex-A72 does not support FP exception trapping, so FPSR flags are
//! only accumulated.

#![allow(clippy::too_many_arguments)]

use super::{ExecResult, Flow};
use crate::decode::Fp;
use crate::platform::Platform;
use crate::semantics::fp::{self as f, FpSize, Rounding};
use crate::Cpu;

/// ConditionHolds (shared/functions/system/ConditionHolds), arguments in this file's order.
fn condition_holds(nzcv: u32, cond: u32) -> bool {
    crate::semantics::alu::condition_holds(cond, nzcv)
}

/// VFPExpandImm: the 8-bit FMOV immediate as a value of `sz`.
pub fn vfp_expand_imm(sz: FpSize, imm8: u32) -> u64 {
    let (e, fbits) = match sz {
        FpSize::H => (5u32, 10u32),
        FpSize::S => (8, 23),
        FpSize::D => (11, 52),
    };
    let imm8 = imm8 as u64;
    let sign = imm8 >> 7 & 1;
    let b6 = imm8 >> 6 & 1;
    // exp = NOT(imm8<6>) : Replicate(imm8<6>, E-3) : imm8<5:4>
    let rep = if b6 != 0 { (1u64 << (e - 3)) - 1 } else { 0 };
    let exp = ((b6 ^ 1) << (e - 1)) | (rep << 2) | (imm8 >> 4 & 3);
    let frac = (imm8 & 0xf) << (fbits - 4);
    (sign << (sz.bits() - 1)) | (exp << fbits) | frac
}

fn size(ftype: u32) -> FpSize {
    // The decoder only admits the ftypes each instruction allows.
    FpSize::from_ftype(ftype).unwrap_or(FpSize::S)
}

fn vmask(sz: FpSize) -> u64 {
    match sz {
        FpSize::H => 0xffff,
        FpSize::S => 0xffff_ffff,
        FpSize::D => u64::MAX,
    }
}

/// The low `sz` bits of V[n].
fn vread(cpu: &Cpu, n: u32, sz: FpSize) -> u64 {
    (cpu.st.v[n as usize & 31] as u64) & vmask(sz)
}

/// Scalar write: V[d] = value, zeroing the rest of the 128-bit register.
fn vwrite(cpu: &mut Cpu, d: u32, sz: FpSize, v: u64) {
    cpu.st.v[d as usize & 31] = (v & vmask(sz)) as u128;
}

/// Runs a semantics function with the current FPCR, accumulating its FPSR flags.
fn with_fp<T>(cpu: &mut Cpu, g: impl FnOnce(u32, &mut u32) -> T) -> T {
    let fpcr = cpu.st.fpcr;
    let mut fpsr = cpu.st.fpsr;
    let r = g(fpcr, &mut fpsr);
    cpu.st.fpsr = fpsr;
    r
}

type Bin = fn(FpSize, u64, u64, u32, &mut u32) -> u64;

fn binop(cpu: &mut Cpu, ftype: u32, rm: u32, rn: u32, rd: u32, op: Bin, negate: bool) -> ExecResult {
    let sz = size(ftype);
    let a = vread(cpu, rn, sz);
    let b = vread(cpu, rm, sz);
    let mut r = with_fp(cpu, |c, s| op(sz, a, b, c, s));
    if negate {
        r = f::neg(sz, r);
    }
    vwrite(cpu, rd, sz, r);
    Ok(Flow::Next)
}

fn frint(cpu: &mut Cpu, ftype: u32, rn: u32, rd: u32, rm: Option<Rounding>, exact: bool) -> ExecResult {
    let sz = size(ftype);
    let a = vread(cpu, rn, sz);
    let r = with_fp(cpu, |c, s| f::round_int(sz, a, rm.unwrap_or(f::fpcr_rounding(c)), exact, c, s));
    vwrite(cpu, rd, sz, r);
    Ok(Flow::Next)
}

/// FCVT<mode><S|U> (integer) and FCVTZ<S|U> (fixed point, `fbits` > 0).
fn to_int(cpu: &mut Cpu, sf: u32, ftype: u32, rn: u32, rd: u32, fbits: u32, unsigned: bool, rm: Rounding) -> ExecResult {
    let sz = size(ftype);
    let a = vread(cpu, rn, sz);
    let ib = if sf == 1 { 64 } else { 32 };
    let r = with_fp(cpu, |c, s| f::to_fixed(sz, a, fbits, unsigned, ib, rm, c, s));
    cpu.st.set_reg(sf == 1, rd, r);
    Ok(Flow::Next)
}

/// SCVTF / UCVTF (integer and fixed point): rounding per FPCR.
fn from_int(cpu: &mut Cpu, sf: u32, ftype: u32, rn: u32, rd: u32, fbits: u32, unsigned: bool) -> ExecResult {
    let sz = size(ftype);
    let v = cpu.st.reg(sf == 1, rn);
    let ib = if sf == 1 { 64 } else { 32 };
    let r = with_fp(cpu, |c, s| f::from_fixed(sz, v, fbits, unsigned, ib, f::fpcr_rounding(c), c, s));
    vwrite(cpu, rd, sz, r);
    Ok(Flow::Next)
}

fn fmadd(cpu: &mut Cpu, ftype: u32, rm: u32, ra: u32, rn: u32, rd: u32, o1: bool, o0: bool) -> ExecResult {
    let sz = size(ftype);
    let mut a = vread(cpu, ra, sz);
    let mut n = vread(cpu, rn, sz);
    let m = vread(cpu, rm, sz);
    // The ASL negates the operands (NaNs included) before FPMulAdd.
    if o1 {
        a = f::neg(sz, a);
    }
    if o0 != o1 {
        n = f::neg(sz, n);
    }
    let r = with_fp(cpu, |c, s| f::muladd(sz, a, n, m, c, s));
    vwrite(cpu, rd, sz, r);
    Ok(Flow::Next)
}

fn fcmp(cpu: &mut Cpu, ftype: u32, rm: u32, rn: u32, z: u32, signal: bool) -> ExecResult {
    let sz = size(ftype);
    let a = vread(cpu, rn, sz);
    let b = if z == 1 { 0 } else { vread(cpu, rm, sz) };
    let nzcv = with_fp(cpu, |c, s| f::compare(sz, a, b, signal, c, s));
    cpu.st.set_nzcv(nzcv);
    Ok(Flow::Next)
}

fn fccmp(cpu: &mut Cpu, ftype: u32, rm: u32, cond: u32, rn: u32, nzcv: u32, signal: bool) -> ExecResult {
    let sz = size(ftype);
    if condition_holds(cpu.st.nzcv(), cond) {
        let a = vread(cpu, rn, sz);
        let b = vread(cpu, rm, sz);
        let flags = with_fp(cpu, |c, s| f::compare(sz, a, b, signal, c, s));
        cpu.st.set_nzcv(flags);
    } else {
        cpu.st.set_nzcv(nzcv << 28);
    }
    Ok(Flow::Next)
}

pub fn exec(cpu: &mut Cpu, _p: &mut dyn Platform, i: &Fp, _raw: u32) -> ExecResult {
    cpu.check_fp_enabled()?;
    use Rounding::*;
    match *i {
        Fp::ScvtfFix { sf, ftype, scale, rn, rd } => from_int(cpu, sf, ftype, rn, rd, 64 - scale, false),
        Fp::UcvtfFix { sf, ftype, scale, rn, rd } => from_int(cpu, sf, ftype, rn, rd, 64 - scale, true),
        Fp::FcvtzsFix { sf, ftype, scale, rn, rd } => to_int(cpu, sf, ftype, rn, rd, 64 - scale, false, Zero),
        Fp::FcvtzuFix { sf, ftype, scale, rn, rd } => to_int(cpu, sf, ftype, rn, rd, 64 - scale, true, Zero),
        Fp::FcvtnsInt { sf, ftype, rn, rd } => to_int(cpu, sf, ftype, rn, rd, 0, false, TieEven),
        Fp::FcvtnuInt { sf, ftype, rn, rd } => to_int(cpu, sf, ftype, rn, rd, 0, true, TieEven),
        Fp::FcvtasInt { sf, ftype, rn, rd } => to_int(cpu, sf, ftype, rn, rd, 0, false, TieAway),
        Fp::FcvtauInt { sf, ftype, rn, rd } => to_int(cpu, sf, ftype, rn, rd, 0, true, TieAway),
        Fp::FcvtpsInt { sf, ftype, rn, rd } => to_int(cpu, sf, ftype, rn, rd, 0, false, PosInf),
        Fp::FcvtpuInt { sf, ftype, rn, rd } => to_int(cpu, sf, ftype, rn, rd, 0, true, PosInf),
        Fp::FcvtmsInt { sf, ftype, rn, rd } => to_int(cpu, sf, ftype, rn, rd, 0, false, NegInf),
        Fp::FcvtmuInt { sf, ftype, rn, rd } => to_int(cpu, sf, ftype, rn, rd, 0, true, NegInf),
        Fp::FcvtzsInt { sf, ftype, rn, rd } => to_int(cpu, sf, ftype, rn, rd, 0, false, Zero),
        Fp::FcvtzuInt { sf, ftype, rn, rd } => to_int(cpu, sf, ftype, rn, rd, 0, true, Zero),
        Fp::ScvtfInt { sf, ftype, rn, rd } => from_int(cpu, sf, ftype, rn, rd, 0, false),
        Fp::UcvtfInt { sf, ftype, rn, rd } => from_int(cpu, sf, ftype, rn, rd, 0, true),
        Fp::FmovWs { rn, rd } => {
            let v = vread(cpu, rn, FpSize::S);
            cpu.st.set_reg(false, rd, v);
            Ok(Flow::Next)
        }
        Fp::FmovSw { rn, rd } => {
            let v = cpu.st.wr(rn);
            vwrite(cpu, rd, FpSize::S, v);
            Ok(Flow::Next)
        }
        Fp::FmovXd { rn, rd } => {
            let v = vread(cpu, rn, FpSize::D);
            cpu.st.set_xr(rd, v);
            Ok(Flow::Next)
        }
        Fp::FmovDx { rn, rd } => {
            let v = cpu.st.xr(rn);
            vwrite(cpu, rd, FpSize::D, v);
            Ok(Flow::Next)
        }
        Fp::FmovXD1 { rn, rd } => {
            let v = (cpu.st.v[rn as usize] >> 64) as u64;
            cpu.st.set_xr(rd, v);
            Ok(Flow::Next)
        }
        Fp::FmovD1X { rn, rd } => {
            // Writes Vd.D[1]; the low half is preserved.
            let v = cpu.st.xr(rn);
            let q = &mut cpu.st.v[rd as usize];
            *q = (*q & u64::MAX as u128) | ((v as u128) << 64);
            Ok(Flow::Next)
        }
        Fp::FmovReg { ftype, rn, rd } => {
            let sz = size(ftype);
            let v = vread(cpu, rn, sz);
            vwrite(cpu, rd, sz, v);
            Ok(Flow::Next)
        }
        Fp::Fabs { ftype, rn, rd } => {
            let sz = size(ftype);
            let v = f::abs(sz, vread(cpu, rn, sz));
            vwrite(cpu, rd, sz, v);
            Ok(Flow::Next)
        }
        Fp::Fneg { ftype, rn, rd } => {
            let sz = size(ftype);
            let v = f::neg(sz, vread(cpu, rn, sz));
            vwrite(cpu, rd, sz, v);
            Ok(Flow::Next)
        }
        Fp::Fsqrt { ftype, rn, rd } => {
            let sz = size(ftype);
            let a = vread(cpu, rn, sz);
            let r = with_fp(cpu, |c, s| f::sqrt(sz, a, c, s));
            vwrite(cpu, rd, sz, r);
            Ok(Flow::Next)
        }
        Fp::Fcvt { ftype, opc, rn, rd } => {
            let from = size(ftype);
            let to = size(opc);
            let a = vread(cpu, rn, from);
            let r = with_fp(cpu, |c, s| f::convert(from, to, a, f::fpcr_rounding(c), c, s));
            vwrite(cpu, rd, to, r);
            Ok(Flow::Next)
        }
        Fp::Frintn { ftype, rn, rd } => frint(cpu, ftype, rn, rd, Some(TieEven), false),
        Fp::Frintp { ftype, rn, rd } => frint(cpu, ftype, rn, rd, Some(PosInf), false),
        Fp::Frintm { ftype, rn, rd } => frint(cpu, ftype, rn, rd, Some(NegInf), false),
        Fp::Frintz { ftype, rn, rd } => frint(cpu, ftype, rn, rd, Some(Zero), false),
        Fp::Frinta { ftype, rn, rd } => frint(cpu, ftype, rn, rd, Some(TieAway), false),
        Fp::Frintx { ftype, rn, rd } => frint(cpu, ftype, rn, rd, None, true),
        Fp::Frinti { ftype, rn, rd } => frint(cpu, ftype, rn, rd, None, false),
        Fp::Fcmp { ftype, rm, rn, z } => fcmp(cpu, ftype, rm, rn, z, false),
        Fp::Fcmpe { ftype, rm, rn, z } => fcmp(cpu, ftype, rm, rn, z, true),
        Fp::FmovImm { ftype, imm8, rd } => {
            let sz = size(ftype);
            vwrite(cpu, rd, sz, vfp_expand_imm(sz, imm8));
            Ok(Flow::Next)
        }
        Fp::Fccmp { ftype, rm, cond, rn, nzcv } => fccmp(cpu, ftype, rm, cond, rn, nzcv, false),
        Fp::Fccmpe { ftype, rm, cond, rn, nzcv } => fccmp(cpu, ftype, rm, cond, rn, nzcv, true),
        Fp::Fmul { ftype, rm, rn, rd } => binop(cpu, ftype, rm, rn, rd, f::mul, false),
        Fp::Fdiv { ftype, rm, rn, rd } => binop(cpu, ftype, rm, rn, rd, f::div, false),
        Fp::Fadd { ftype, rm, rn, rd } => binop(cpu, ftype, rm, rn, rd, f::add, false),
        Fp::Fsub { ftype, rm, rn, rd } => binop(cpu, ftype, rm, rn, rd, f::sub, false),
        Fp::Fmax { ftype, rm, rn, rd } => binop(cpu, ftype, rm, rn, rd, f::max, false),
        Fp::Fmin { ftype, rm, rn, rd } => binop(cpu, ftype, rm, rn, rd, f::min, false),
        Fp::Fmaxnm { ftype, rm, rn, rd } => binop(cpu, ftype, rm, rn, rd, f::maxnm, false),
        Fp::Fminnm { ftype, rm, rn, rd } => binop(cpu, ftype, rm, rn, rd, f::minnm, false),
        Fp::Fnmul { ftype, rm, rn, rd } => binop(cpu, ftype, rm, rn, rd, f::mul, true),
        Fp::Fcsel { ftype, rm, cond, rn, rd } => {
            let sz = size(ftype);
            let src = if condition_holds(cpu.st.nzcv(), cond) { rn } else { rm };
            let v = vread(cpu, src, sz);
            vwrite(cpu, rd, sz, v);
            Ok(Flow::Next)
        }
        Fp::Fmadd { ftype, rm, ra, rn, rd } => fmadd(cpu, ftype, rm, ra, rn, rd, false, false),
        Fp::Fmsub { ftype, rm, ra, rn, rd } => fmadd(cpu, ftype, rm, ra, rn, rd, false, true),
        Fp::Fnmadd { ftype, rm, ra, rn, rd } => fmadd(cpu, ftype, rm, ra, rn, rd, true, false),
        Fp::Fnmsub { ftype, rm, ra, rn, rd } => fmadd(cpu, ftype, rm, ra, rn, rd, true, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode, Insn};

    #[test]
    fn decode_v80_only() {
        // Words from the GNU assembler.
        assert!(matches!(decode(0x1e222820), Insn::Fp(Fp::Fadd { ftype: 0, rm: 2, rn: 1, rd: 0 }))); // fadd s0, s1, s2
        assert!(matches!(decode(0x1ee22820), Insn::Undefined(_))); // fadd h0, h1, h2 (FP16)
        assert!(matches!(decode(0x1ee24020), Insn::Fp(Fp::Fcvt { ftype: 3, opc: 0, .. }))); // fcvt s0, h1
        assert!(matches!(decode(0x1e63c020), Insn::Fp(Fp::Fcvt { ftype: 1, opc: 3, .. }))); // fcvt h0, d1
        assert!(matches!(decode(0x1ef80020), Insn::Undefined(_))); // fcvtzs w0, h1 (FP16)
        assert!(matches!(decode(0x9eae0020), Insn::Fp(Fp::FmovXD1 { rn: 1, rd: 0 }))); // fmov x0, v1.d[1]
    }

    #[test]
    fn fmov_immediate() {
        // fmov d0, #-1.25 is 0x1e7e9000: imm8 = 0xf4.
        assert_eq!(vfp_expand_imm(FpSize::D, 0xf4), 0xbff4_0000_0000_0000);
        // imm8 = 0x70 is 1.0.
        assert_eq!(vfp_expand_imm(FpSize::S, 0x70), 0x3f80_0000);
        assert_eq!(vfp_expand_imm(FpSize::H, 0x70), 0x3c00);
    }

    #[test]
    fn condition_codes() {
        assert!(condition_holds(0x4000_0000, 0)); // EQ with Z
        assert!(!condition_holds(0x4000_0000, 1)); // NE
        assert!(condition_holds(0, 0xe) && condition_holds(0, 0xf)); // AL, NV
        assert!(condition_holds(0x9000_0000, 0xa)); // GE: N == V
    }
}
