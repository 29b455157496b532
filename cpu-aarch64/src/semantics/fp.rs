//! Software IEEE-754 floating point with Arm semantics (Arm ARM shared/functions/float).
//! Values are raw bit patterns in the low bits of a u64. No host floating point is used.
#![allow(clippy::too_many_arguments)]

pub const FPCR_AHP: u32 = 1 << 26;
pub const FPCR_DN: u32 = 1 << 25;
pub const FPCR_FZ: u32 = 1 << 24;
pub const FPSR_IOC: u32 = 1 << 0;
pub const FPSR_DZC: u32 = 1 << 1;
pub const FPSR_OFC: u32 = 1 << 2;
pub const FPSR_UFC: u32 = 1 << 3;
pub const FPSR_IXC: u32 = 1 << 4;
pub const FPSR_IDC: u32 = 1 << 7;
pub const FPSR_QC: u32 = 1 << 27;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FpSize {
    H,
    S,
    D,
}

impl FpSize {
    pub fn bits(self) -> u32 {
        match self {
            FpSize::H => 16,
            FpSize::S => 32,
            FpSize::D => 64,
        }
    }
    pub fn from_ftype(ftype: u32) -> Option<FpSize> {
        match ftype {
            0 => Some(FpSize::S),
            1 => Some(FpSize::D),
            3 => Some(FpSize::H),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    TieEven,
    PosInf,
    NegInf,
    Zero,
    TieAway,
    Odd,
}

pub fn fpcr_rounding(fpcr: u32) -> Rounding {
    match (fpcr >> 22) & 3 {
        0 => Rounding::TieEven,
        1 => Rounding::PosInf,
        2 => Rounding::NegInf,
        _ => Rounding::Zero,
    }
}

pub fn add(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 { todo!("{sz:?}{a}{b}{fpcr}{fpsr}") }
pub fn sub(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 { todo!("{sz:?}{a}{b}{fpcr}{fpsr}") }
pub fn mul(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 { todo!("{sz:?}{a}{b}{fpcr}{fpsr}") }
pub fn mulx(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 { todo!("{sz:?}{a}{b}{fpcr}{fpsr}") }
pub fn div(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 { todo!("{sz:?}{a}{b}{fpcr}{fpsr}") }
pub fn max(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 { todo!("{sz:?}{a}{b}{fpcr}{fpsr}") }
pub fn min(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 { todo!("{sz:?}{a}{b}{fpcr}{fpsr}") }
pub fn maxnm(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 { todo!("{sz:?}{a}{b}{fpcr}{fpsr}") }
pub fn minnm(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 { todo!("{sz:?}{a}{b}{fpcr}{fpsr}") }
/// FPMulAdd: addend + op1 * op2 with a single rounding. Callers negate operands first
/// (flip the sign bit) for FMSUB/FNMADD/FNMSUB/FMLS as the ASL does.
pub fn muladd(sz: FpSize, addend: u64, op1: u64, op2: u64, fpcr: u32, fpsr: &mut u32) -> u64 { todo!("{sz:?}{addend}{op1}{op2}{fpcr}{fpsr}") }
pub fn sqrt(sz: FpSize, a: u64, fpcr: u32, fpsr: &mut u32) -> u64 { todo!("{sz:?}{a}{fpcr}{fpsr}") }
pub fn neg(sz: FpSize, a: u64) -> u64 { a ^ (1u64 << (sz.bits() - 1)) }
pub fn abs(sz: FpSize, a: u64) -> u64 { a & !(1u64 << (sz.bits() - 1)) }
pub fn recip_estimate(sz: FpSize, a: u64, fpcr: u32, fpsr: &mut u32) -> u64 { todo!("{sz:?}{a}{fpcr}{fpsr}") }
pub fn rsqrt_estimate(sz: FpSize, a: u64, fpcr: u32, fpsr: &mut u32) -> u64 { todo!("{sz:?}{a}{fpcr}{fpsr}") }
pub fn recpx(sz: FpSize, a: u64, fpcr: u32, fpsr: &mut u32) -> u64 { todo!("{sz:?}{a}{fpcr}{fpsr}") }
pub fn recip_step(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 { todo!("{sz:?}{a}{b}{fpcr}{fpsr}") }
pub fn rsqrt_step(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 { todo!("{sz:?}{a}{b}{fpcr}{fpsr}") }
/// FPCompare: returns NZCV in bits 31..28. `signal_nans` = FCMPE (any NaN raises IOC).
pub fn compare(sz: FpSize, a: u64, b: u64, signal_nans: bool, fpcr: u32, fpsr: &mut u32) -> u32 { todo!("{sz:?}{a}{b}{signal_nans}{fpcr}{fpsr}") }
pub fn compare_eq(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> bool { todo!("{sz:?}{a}{b}{fpcr}{fpsr}") }
pub fn compare_ge(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> bool { todo!("{sz:?}{a}{b}{fpcr}{fpsr}") }
pub fn compare_gt(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> bool { todo!("{sz:?}{a}{b}{fpcr}{fpsr}") }
/// FPRoundInt (FRINTN/P/M/Z/A/I/X): `exact` = raise IXC when the result differs (FRINTX).
pub fn round_int(sz: FpSize, a: u64, rmode: Rounding, exact: bool, fpcr: u32, fpsr: &mut u32) -> u64 { todo!("{sz:?}{a}{rmode:?}{exact}{fpcr}{fpsr}") }
/// FPToFixed: to a signed/unsigned integer of `int_bits` (16, 32 or 64) with `fbits`
/// fraction bits, saturating, IOC on NaN/overflow; result zero-extended to u64.
pub fn to_fixed(sz: FpSize, a: u64, fbits: u32, unsigned: bool, int_bits: u32, rmode: Rounding, fpcr: u32, fpsr: &mut u32) -> u64 { todo!("{sz:?}{a}{fbits}{unsigned}{int_bits}{rmode:?}{fpcr}{fpsr}") }
/// FixedToFP: the low `int_bits` of `v` as signed/unsigned with `fbits` fraction bits,
/// rounded per `rmode`.
pub fn from_fixed(sz: FpSize, v: u64, fbits: u32, unsigned: bool, int_bits: u32, rmode: Rounding, fpcr: u32, fpsr: &mut u32) -> u64 { todo!("{sz:?}{v}{fbits}{unsigned}{int_bits}{rmode:?}{fpcr}{fpsr}") }
/// FPConvert between sizes (FCVT, FCVTL, FCVTN; FCVTXN uses Rounding::Odd); half
/// precision honours FPCR.AHP. Rounding per `rmode` (FPCR's for FCVT).
pub fn convert(from: FpSize, to: FpSize, a: u64, rmode: Rounding, fpcr: u32, fpsr: &mut u32) -> u64 { todo!("{from:?}{to:?}{a}{rmode:?}{fpcr}{fpsr}") }
