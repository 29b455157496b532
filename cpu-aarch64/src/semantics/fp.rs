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

// ---------------------------------------------------------------------------------------
// Formats, unpacking, NaN handling
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
struct Fmt {
    n: u32,
    e: u32,
    f: u32,
    bias: i32,
    /// Exponent of the smallest normal number.
    min_exp: i32,
}

fn fmt(sz: FpSize) -> Fmt {
    match sz {
        FpSize::H => Fmt { n: 16, e: 5, f: 10, bias: 15, min_exp: -14 },
        FpSize::S => Fmt { n: 32, e: 8, f: 23, bias: 127, min_exp: -126 },
        FpSize::D => Fmt { n: 64, e: 11, f: 52, bias: 1023, min_exp: -1022 },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Zero,
    Nonzero,
    Inf,
    QNaN,
    SNaN,
}

/// An unpacked operand: for `Nonzero`, value = (-1)^sign * mant * 2^exp exactly.
#[derive(Debug, Clone, Copy)]
struct Unp {
    ty: Ty,
    sign: bool,
    mant: u64,
    exp: i32,
}

impl Unp {
    fn is_nan(&self) -> bool {
        matches!(self.ty, Ty::QNaN | Ty::SNaN)
    }
}

fn mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

fn sign_bit(sz: FpSize) -> u64 {
    1u64 << (sz.bits() - 1)
}

fn zero(sz: FpSize, sign: bool) -> u64 {
    if sign {
        sign_bit(sz)
    } else {
        0
    }
}

fn infinity(sz: FpSize, sign: bool) -> u64 {
    let f = fmt(sz);
    zero(sz, sign) | (mask(f.e) << f.f)
}

fn max_normal(sz: FpSize, sign: bool) -> u64 {
    let f = fmt(sz);
    zero(sz, sign) | ((mask(f.e) - 1) << f.f) | mask(f.f)
}

fn default_nan(sz: FpSize) -> u64 {
    let f = fmt(sz);
    (mask(f.e) << f.f) | (1u64 << (f.f - 1))
}

/// FPTwo / FPOnePointFive style constants: 1.frac * 2^exp_unbiased.
fn constant(sz: FpSize, sign: bool, exp_unbiased: i32, top_frac: bool) -> u64 {
    let f = fmt(sz);
    let e = (exp_unbiased + f.bias) as u64;
    zero(sz, sign) | (e << f.f) | if top_frac { 1u64 << (f.f - 1) } else { 0 }
}

/// FPUnpack. `ahp` selects the alternative half-precision format (only FPConvert passes
/// FPCR.AHP; all other operations unpack with AHP = 0). FZ flushes single and double
/// denormal inputs to zero (IDC); half precision is never flushed (no FZ16 in ARMv8.0).
fn unpack(sz: FpSize, x: u64, fpcr: u32, ahp: bool, fpsr: &mut u32) -> Unp {
    let f = fmt(sz);
    let x = x & mask(f.n);
    let sign = (x >> (f.n - 1)) & 1 != 0;
    let e = ((x >> f.f) & mask(f.e)) as i32;
    let frac = x & mask(f.f);
    if e == 0 {
        if frac == 0 {
            Unp { ty: Ty::Zero, sign, mant: 0, exp: 0 }
        } else if fpcr & FPCR_FZ != 0 && sz != FpSize::H {
            *fpsr |= FPSR_IDC;
            Unp { ty: Ty::Zero, sign, mant: 0, exp: 0 }
        } else {
            Unp { ty: Ty::Nonzero, sign, mant: frac, exp: 1 - f.bias - f.f as i32 }
        }
    } else if e as u64 == mask(f.e) && !(sz == FpSize::H && ahp) {
        let ty = if frac == 0 {
            Ty::Inf
        } else if frac >> (f.f - 1) & 1 != 0 {
            Ty::QNaN
        } else {
            Ty::SNaN
        };
        Unp { ty, sign, mant: 0, exp: 0 }
    } else {
        Unp { ty: Ty::Nonzero, sign, mant: frac | (1u64 << f.f), exp: e - f.bias - f.f as i32 }
    }
}

fn unp(sz: FpSize, x: u64, fpcr: u32, fpsr: &mut u32) -> Unp {
    unpack(sz, x, fpcr, false, fpsr)
}

/// FPProcessNaN.
fn process_nan(sz: FpSize, u: &Unp, x: u64, fpcr: u32, fpsr: &mut u32) -> u64 {
    let f = fmt(sz);
    let mut r = x & mask(f.n);
    if u.ty == Ty::SNaN {
        r |= 1u64 << (f.f - 1);
        *fpsr |= FPSR_IOC;
    }
    if fpcr & FPCR_DN != 0 {
        r = default_nan(sz);
    }
    r
}

/// FPProcessNaNs: signalling NaNs first (in operand order), then quiet NaNs.
fn process_nans(sz: FpSize, ops: &[(Unp, u64)], fpcr: u32, fpsr: &mut u32) -> Option<u64> {
    for want in [Ty::SNaN, Ty::QNaN] {
        for (u, x) in ops {
            if u.ty == want {
                return Some(process_nan(sz, u, *x, fpcr, fpsr));
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------------------
// FPRound
// ---------------------------------------------------------------------------------------

/// FPRound of the exact value (-1)^sign * (mant + s) * 2^exp, where `sticky` says that
/// `s` is some value strictly between 0 and 1 (otherwise s = 0). `mant` must be nonzero.
/// `fpcr.AHP` is honoured for half precision (callers other than FPConvert clear it).
fn round(sz: FpSize, sign: bool, mant: u128, exp: i32, sticky: bool, fpcr: u32, rm: Rounding, fpsr: &mut u32) -> u64 {
    let f = fmt(sz);
    if mant == 0 {
        return zero(sz, sign);
    }
    let (mut mant, mut exp, mut sticky) = (mant, exp as i64, sticky);
    // Normalise so that the most significant bit is bit 125.
    let msb = 127 - mant.leading_zeros() as i64;
    if msb > 125 {
        let s = msb - 125;
        sticky |= mant & ((1u128 << s) - 1) != 0;
        mant >>= s;
        exp += s;
    } else {
        mant <<= 125 - msb;
        exp -= 125 - msb;
    }
    let exponent = exp + 125; // floor(log2(value))
    let min_exp = f.min_exp as i64;
    if fpcr & FPCR_FZ != 0 && sz != FpSize::H && exponent < min_exp {
        // Flush-to-zero of the output: UFC, no IXC.
        *fpsr |= FPSR_UFC;
        return zero(sz, sign);
    }
    let mut biased = (exponent - min_exp + 1).max(0);
    let e_eff = if biased == 0 { min_exp } else { exponent };
    // int_mant = floor(value * 2^(F - e_eff)); the right shift is at least 125 - 52.
    let s = e_eff - f.f as i64 - exp;
    let (mut int_mant, err_nz, gt_half, eq_half) = if s >= 127 {
        (0u128, true, false, false)
    } else {
        let s = s as u32;
        let rem = mant & ((1u128 << s) - 1);
        let half = 1u128 << (s - 1);
        (mant >> s, rem != 0 || sticky, rem > half || (rem == half && sticky), rem == half && !sticky)
    };
    let mut err_nz = err_nz;
    if biased == 0 && err_nz {
        *fpsr |= FPSR_UFC;
    }
    let (round_up, overflow_to_inf) = match rm {
        Rounding::TieEven => (gt_half || (eq_half && int_mant & 1 != 0), true),
        Rounding::PosInf => (err_nz && !sign, !sign),
        Rounding::NegInf => (err_nz && sign, sign),
        Rounding::Zero | Rounding::Odd => (false, false),
        Rounding::TieAway => (gt_half || eq_half, true),
    };
    if round_up {
        int_mant += 1;
        if int_mant == 1u128 << f.f {
            biased = 1;
        }
        if int_mant == 1u128 << (f.f + 1) {
            biased += 1;
            int_mant >>= 1;
        }
    }
    if err_nz && rm == Rounding::Odd {
        int_mant |= 1;
    }
    let result;
    if sz != FpSize::H || fpcr & FPCR_AHP == 0 {
        if biased >= mask(f.e) as i64 {
            result = if overflow_to_inf { infinity(sz, sign) } else { max_normal(sz, sign) };
            *fpsr |= FPSR_OFC;
            err_nz = true;
        } else {
            result = zero(sz, sign) | ((biased as u64) << f.f) | (int_mant as u64 & mask(f.f));
        }
    } else if biased >= 1i64 << f.e {
        result = zero(sz, sign) | mask(f.n - 1);
        *fpsr |= FPSR_IOC;
        err_nz = false;
    } else {
        result = zero(sz, sign) | ((biased as u64) << f.f) | (int_mant as u64 & mask(f.f));
    }
    if err_nz {
        *fpsr |= FPSR_IXC;
    }
    result
}

/// Rounds an exact sum/product (see `round`) with the FPCR rounding mode, producing the
/// rounding-mode-dependent signed zero when the exact value is zero.
fn round_or_zero(sz: FpSize, r: (bool, u128, i32, bool), fpcr: u32, fpsr: &mut u32) -> u64 {
    let rm = fpcr_rounding(fpcr);
    let (sign, mant, exp, sticky) = r;
    if mant == 0 && !sticky {
        zero(sz, rm == Rounding::NegInf)
    } else {
        round(sz, sign, mant, exp, sticky, fpcr & !FPCR_AHP, rm, fpsr)
    }
}

/// Exact sum of two values (-1)^s * m * 2^e with m < 2^107. Returns (sign, mant, exp,
/// sticky) in the form `round` takes; an exact zero has mant = 0 and sticky = false.
fn exact_add(x: (bool, u128, i32), y: (bool, u128, i32)) -> (bool, u128, i32, bool) {
    if x.1 == 0 {
        return (y.0, y.1, y.2, false);
    }
    if y.1 == 0 {
        return (x.0, x.1, x.2, false);
    }
    let norm = |(s, m, e): (bool, u128, i32)| {
        let sh = 106 - (127 - m.leading_zeros() as i32);
        (s, m << sh, e - sh)
    };
    let (mut x, mut y) = (norm(x), norm(y));
    if x.2 < y.2 {
        std::mem::swap(&mut x, &mut y);
    }
    let d = (x.2 as i64) - (y.2 as i64);
    let big = x.1 << 20;
    let e = x.2 - 20;
    let (small, st) = if d <= 20 {
        (y.1 << (20 - d), false)
    } else {
        let sh = d - 20;
        if sh >= 120 {
            (0, true)
        } else {
            (y.1 >> sh, y.1 & ((1u128 << sh) - 1) != 0)
        }
    };
    if x.0 == y.0 {
        (x.0, big + small, e, st)
    } else if st {
        // big - (small + frac) = (big - small - 1) + (1 - frac)
        (x.0, big - small - 1, e, true)
    } else if big >= small {
        (x.0, big - small, e, false)
    } else {
        (y.0, small - big, e, false)
    }
}

// ---------------------------------------------------------------------------------------
// Arithmetic
// ---------------------------------------------------------------------------------------

fn add_sub(sz: FpSize, a: u64, b: u64, negate_b: bool, fpcr: u32, fpsr: &mut u32) -> u64 {
    let ua = unp(sz, a, fpcr, fpsr);
    let mut ub = unp(sz, b, fpcr, fpsr);
    if let Some(r) = process_nans(sz, &[(ua, a), (ub, b)], fpcr, fpsr) {
        return r;
    }
    ub.sign ^= negate_b;
    let (i1, i2) = (ua.ty == Ty::Inf, ub.ty == Ty::Inf);
    if i1 && i2 && ua.sign != ub.sign {
        *fpsr |= FPSR_IOC;
        default_nan(sz)
    } else if (i1 && !ua.sign) || (i2 && !ub.sign) {
        infinity(sz, false)
    } else if i1 || i2 {
        infinity(sz, true)
    } else if ua.ty == Ty::Zero && ub.ty == Ty::Zero && ua.sign == ub.sign {
        zero(sz, ua.sign)
    } else {
        let r = exact_add((ua.sign, ua.mant as u128, ua.exp), (ub.sign, ub.mant as u128, ub.exp));
        round_or_zero(sz, r, fpcr, fpsr)
    }
}

pub fn add(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 {
    add_sub(sz, a, b, false, fpcr, fpsr)
}

pub fn sub(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 {
    add_sub(sz, a, b, true, fpcr, fpsr)
}

fn mul_common(sz: FpSize, a: u64, b: u64, x: bool, fpcr: u32, fpsr: &mut u32) -> u64 {
    let ua = unp(sz, a, fpcr, fpsr);
    let ub = unp(sz, b, fpcr, fpsr);
    if let Some(r) = process_nans(sz, &[(ua, a), (ub, b)], fpcr, fpsr) {
        return r;
    }
    let sign = ua.sign ^ ub.sign;
    let (i1, i2, z1, z2) = (ua.ty == Ty::Inf, ub.ty == Ty::Inf, ua.ty == Ty::Zero, ub.ty == Ty::Zero);
    if (i1 && z2) || (z1 && i2) {
        if x {
            constant(sz, sign, 1, false)
        } else {
            *fpsr |= FPSR_IOC;
            default_nan(sz)
        }
    } else if i1 || i2 {
        infinity(sz, sign)
    } else if z1 || z2 {
        zero(sz, sign)
    } else {
        let m = ua.mant as u128 * ub.mant as u128;
        round(sz, sign, m, ua.exp + ub.exp, false, fpcr & !FPCR_AHP, fpcr_rounding(fpcr), fpsr)
    }
}

pub fn mul(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 {
    mul_common(sz, a, b, false, fpcr, fpsr)
}

/// FPMulX: as FPMul, but infinity * zero gives 2.0 with the product's sign.
pub fn mulx(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 {
    mul_common(sz, a, b, true, fpcr, fpsr)
}

pub fn div(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 {
    let ua = unp(sz, a, fpcr, fpsr);
    let ub = unp(sz, b, fpcr, fpsr);
    if let Some(r) = process_nans(sz, &[(ua, a), (ub, b)], fpcr, fpsr) {
        return r;
    }
    let sign = ua.sign ^ ub.sign;
    let (i1, i2, z1, z2) = (ua.ty == Ty::Inf, ub.ty == Ty::Inf, ua.ty == Ty::Zero, ub.ty == Ty::Zero);
    if (i1 && i2) || (z1 && z2) {
        *fpsr |= FPSR_IOC;
        default_nan(sz)
    } else if i1 || z2 {
        if !i1 {
            *fpsr |= FPSR_DZC;
        }
        infinity(sz, sign)
    } else if z1 || i2 {
        zero(sz, sign)
    } else {
        let sa = 125 - (63 - ua.mant.leading_zeros() as i32);
        let sb = 52 - (63 - ub.mant.leading_zeros() as i32);
        let na = (ua.mant as u128) << sa;
        let nb = (ub.mant as u128) << sb;
        let q = na / nb;
        let r = na % nb;
        let exp = (ua.exp - sa) - (ub.exp - sb);
        round(sz, sign, q, exp, r != 0, fpcr & !FPCR_AHP, fpcr_rounding(fpcr), fpsr)
    }
}

/// Integer square root: (floor(sqrt(n)), remainder != 0).
fn isqrt(n: u128) -> (u128, bool) {
    let mut x = n;
    let mut res = 0u128;
    let mut bit = 1u128 << 126;
    while bit > n {
        bit >>= 2;
    }
    while bit != 0 {
        if x >= res + bit {
            x -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    (res, x != 0)
}

pub fn sqrt(sz: FpSize, a: u64, fpcr: u32, fpsr: &mut u32) -> u64 {
    let u = unp(sz, a, fpcr, fpsr);
    match u.ty {
        Ty::QNaN | Ty::SNaN => process_nan(sz, &u, a, fpcr, fpsr),
        Ty::Zero => zero(sz, u.sign),
        Ty::Inf if !u.sign => infinity(sz, false),
        _ if u.sign => {
            *fpsr |= FPSR_IOC;
            default_nan(sz)
        }
        _ => {
            let msb = 63 - u.mant.leading_zeros() as i32;
            let mut sh = 124 - msb;
            if (u.exp - sh) & 1 != 0 {
                sh += 1;
            }
            let n = (u.mant as u128) << sh;
            let (root, inexact) = isqrt(n);
            round(sz, false, root, (u.exp - sh) / 2, inexact, fpcr & !FPCR_AHP, fpcr_rounding(fpcr), fpsr)
        }
    }
}

pub fn neg(sz: FpSize, a: u64) -> u64 {
    (a ^ sign_bit(sz)) & mask(sz.bits())
}

pub fn abs(sz: FpSize, a: u64) -> u64 {
    a & !sign_bit(sz) & mask(sz.bits())
}

/// The fused core of FPMulAdd / FPRecipStepFused / FPRSqrtStepFused for finite, non-NaN
/// operands: addend + op1 * op2, the exact value before rounding.
fn fused(add: (bool, u128, i32), p1: &Unp, p2: &Unp) -> (bool, u128, i32, bool) {
    let pm = if p1.ty == Ty::Zero || p2.ty == Ty::Zero { 0 } else { p1.mant as u128 * p2.mant as u128 };
    exact_add(add, (p1.sign ^ p2.sign, pm, p1.exp + p2.exp))
}

/// FPMulAdd: addend + op1 * op2 with a single rounding.
pub fn muladd(sz: FpSize, addend: u64, op1: u64, op2: u64, fpcr: u32, fpsr: &mut u32) -> u64 {
    let ua = unp(sz, addend, fpcr, fpsr);
    let u1 = unp(sz, op1, fpcr, fpsr);
    let u2 = unp(sz, op2, fpcr, fpsr);
    let (i1, i2, z1, z2) = (u1.ty == Ty::Inf, u2.ty == Ty::Inf, u1.ty == Ty::Zero, u2.ty == Ty::Zero);
    let nan = process_nans(sz, &[(ua, addend), (u1, op1), (u2, op2)], fpcr, fpsr);
    if ua.ty == Ty::QNaN && ((i1 && z2) || (z1 && i2)) {
        *fpsr |= FPSR_IOC;
        return default_nan(sz);
    }
    if let Some(r) = nan {
        return r;
    }
    let ia = ua.ty == Ty::Inf;
    let za = ua.ty == Ty::Zero;
    let sp = u1.sign ^ u2.sign;
    let ip = i1 || i2;
    let zp = z1 || z2;
    if (i1 && z2) || (z1 && i2) || (ia && ip && ua.sign != sp) {
        *fpsr |= FPSR_IOC;
        default_nan(sz)
    } else if (ia && !ua.sign) || (ip && !sp) {
        infinity(sz, false)
    } else if ia || ip {
        infinity(sz, true)
    } else if za && zp && ua.sign == sp {
        zero(sz, ua.sign)
    } else {
        let r = fused((ua.sign, ua.mant as u128, ua.exp), &u1, &u2);
        round_or_zero(sz, r, fpcr, fpsr)
    }
}

// ---------------------------------------------------------------------------------------
// Maximum / minimum
// ---------------------------------------------------------------------------------------

/// A total order key for non-NaN operands (flushed denormals are zero).
fn key(sz: FpSize, u: &Unp, x: u64) -> i128 {
    if u.ty == Ty::Zero {
        return 0;
    }
    let mag = (x & mask(sz.bits() - 1)) as i128;
    if u.sign {
        -mag
    } else {
        mag
    }
}

fn maxmin(sz: FpSize, a: u64, b: u64, is_max: bool, fpcr: u32, fpsr: &mut u32) -> u64 {
    let ua = unp(sz, a, fpcr, fpsr);
    let ub = unp(sz, b, fpcr, fpsr);
    if let Some(r) = process_nans(sz, &[(ua, a), (ub, b)], fpcr, fpsr) {
        return r;
    }
    let (ka, kb) = (key(sz, &ua, a), key(sz, &ub, b));
    let pick_a = if is_max { ka > kb } else { ka < kb };
    let (u, x) = if pick_a { (ua, a) } else { (ub, b) };
    match u.ty {
        Ty::Inf => infinity(sz, u.sign),
        Ty::Zero => zero(sz, if is_max { ua.sign && ub.sign } else { ua.sign || ub.sign }),
        // FPRound of a value already representable: the operand itself, no flags.
        _ => x & mask(sz.bits()),
    }
}

pub fn max(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 {
    maxmin(sz, a, b, true, fpcr, fpsr)
}

pub fn min(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 {
    maxmin(sz, a, b, false, fpcr, fpsr)
}

fn maxmin_num(sz: FpSize, a: u64, b: u64, is_max: bool, fpcr: u32, fpsr: &mut u32) -> u64 {
    let ta = unp(sz, a, fpcr, fpsr).ty;
    let tb = unp(sz, b, fpcr, fpsr).ty;
    // A single quiet NaN is replaced by the infinity that loses the comparison.
    let inf = infinity(sz, is_max);
    let (mut a, mut b) = (a, b);
    if ta == Ty::QNaN && tb != Ty::QNaN {
        a = inf;
    } else if ta != Ty::QNaN && tb == Ty::QNaN {
        b = inf;
    }
    maxmin(sz, a, b, is_max, fpcr, fpsr)
}

pub fn maxnm(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 {
    maxmin_num(sz, a, b, true, fpcr, fpsr)
}

pub fn minnm(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 {
    maxmin_num(sz, a, b, false, fpcr, fpsr)
}

// ---------------------------------------------------------------------------------------
// Estimates and Newton-Raphson steps
// ---------------------------------------------------------------------------------------

/// RecipEstimate: `a` in 256..512 is a fixed-point value in [0.5, 1.0).
fn recip_estimate_int(a: u64) -> u64 {
    let a = a * 2 + 1;
    let b = (1u64 << 19) / a;
    b.div_ceil(2) // round to nearest
}

/// RecipSqrtEstimate: `a` in 128..512 is a fixed-point value in [0.25, 1.0).
fn rsqrt_estimate_int(a: u64) -> u64 {
    let a = if a < 256 {
        a * 2 + 1 // in units of 1/512, rounded to nearest
    } else {
        (((a >> 1) << 1) + 1) * 2 // bottom bit discarded, in units of 1/256 rounded to nearest
    };
    let mut b = 512u64;
    while a * (b + 1) * (b + 1) < (1u64 << 28) {
        b += 1;
    }
    b.div_ceil(2) // round to nearest
}

/// FPRecipEstimate (FRECPE).
pub fn recip_estimate(sz: FpSize, a: u64, fpcr: u32, fpsr: &mut u32) -> u64 {
    let f = fmt(sz);
    let u = unp(sz, a, fpcr, fpsr);
    let a = a & mask(f.n);
    match u.ty {
        Ty::QNaN | Ty::SNaN => return process_nan(sz, &u, a, fpcr, fpsr),
        Ty::Inf => return zero(sz, u.sign),
        Ty::Zero => {
            *fpsr |= FPSR_DZC;
            return infinity(sz, u.sign);
        }
        Ty::Nonzero => {}
    }
    // |value| < 2^-(bias+1): the reciprocal overflows.
    let exp_field = ((a >> f.f) & mask(f.e)) as i64;
    let frac_field = a & mask(f.f);
    let tiny = exp_field == 0 && frac_field >> (f.f - 2) == 0;
    if tiny {
        let to_inf = match fpcr_rounding(fpcr) {
            Rounding::PosInf => !u.sign,
            Rounding::NegInf => u.sign,
            Rounding::Zero => false,
            _ => true,
        };
        *fpsr |= FPSR_OFC | FPSR_IXC;
        return if to_inf { infinity(sz, u.sign) } else { max_normal(sz, u.sign) };
    }
    // |value| >= 2^(bias-1): the result is denormal, flushed when FZ (never for half).
    if fpcr & FPCR_FZ != 0 && sz != FpSize::H && exp_field >= f.bias as i64 * 2 - 1 {
        // |value| >= 2^(bias-1)  <=>  biased exponent field >= 2*bias - 1
        *fpsr |= FPSR_UFC;
        return zero(sz, u.sign);
    }
    // Scale to a 52-bit fraction as the ASL does.
    let mut fraction = frac_field << (52 - f.f);
    let mut exp = exp_field;
    if exp == 0 {
        if fraction >> 51 & 1 == 0 {
            exp = -1;
            fraction = (fraction << 2) & mask(52);
        } else {
            fraction = (fraction << 1) & mask(52);
        }
    }
    let scaled = 256 | (fraction >> 44);
    let mut result_exp = match sz {
        FpSize::H => 29 - exp,
        FpSize::S => 253 - exp,
        FpSize::D => 2045 - exp,
    };
    let estimate = recip_estimate_int(scaled);
    let mut fraction = (estimate & 0xff) << 44;
    if result_exp == 0 {
        fraction = (1u64 << 51) | (fraction >> 1);
    } else if result_exp == -1 {
        fraction = (1u64 << 50) | (fraction >> 2);
        result_exp = 0;
    }
    zero(sz, u.sign) | ((result_exp as u64) << f.f) | (fraction >> (52 - f.f))
}

/// FPRSqrtEstimate (FRSQRTE).
pub fn rsqrt_estimate(sz: FpSize, a: u64, fpcr: u32, fpsr: &mut u32) -> u64 {
    let f = fmt(sz);
    let u = unp(sz, a, fpcr, fpsr);
    let a = a & mask(f.n);
    match u.ty {
        Ty::QNaN | Ty::SNaN => return process_nan(sz, &u, a, fpcr, fpsr),
        Ty::Zero => {
            *fpsr |= FPSR_DZC;
            return infinity(sz, u.sign);
        }
        _ if u.sign => {
            *fpsr |= FPSR_IOC;
            return default_nan(sz);
        }
        Ty::Inf => return zero(sz, false),
        Ty::Nonzero => {}
    }
    let mut fraction = (a & mask(f.f)) << (52 - f.f);
    let mut exp = ((a >> f.f) & mask(f.e)) as i64;
    if exp == 0 {
        while fraction >> 51 & 1 == 0 {
            fraction = (fraction << 1) & mask(52);
            exp -= 1;
        }
        fraction = (fraction << 1) & mask(52);
    }
    let scaled = if exp & 1 == 0 { 256 | (fraction >> 44) } else { 128 | (fraction >> 45) };
    let result_exp = match sz {
        FpSize::H => (44 - exp).div_euclid(2),
        FpSize::S => (380 - exp).div_euclid(2),
        FpSize::D => (3068 - exp).div_euclid(2),
    };
    let estimate = rsqrt_estimate_int(scaled);
    ((result_exp as u64) << f.f) | ((estimate & 0xff) << (f.f - 8))
}

/// UnsignedRecipEstimate (URECPE, one 32-bit element).
pub fn urecpe(a: u32) -> u32 {
    if a >> 31 == 0 {
        u32::MAX
    } else {
        (recip_estimate_int((a >> 23) as u64) as u32) << 23
    }
}

/// UnsignedRSqrtEstimate (URSQRTE, one 32-bit element).
pub fn ursqrte(a: u32) -> u32 {
    if a >> 30 == 0 {
        u32::MAX
    } else {
        (rsqrt_estimate_int((a >> 23) as u64) as u32) << 23
    }
}

/// FPRecpX (FRECPX).
pub fn recpx(sz: FpSize, a: u64, fpcr: u32, fpsr: &mut u32) -> u64 {
    let f = fmt(sz);
    let u = unp(sz, a, fpcr, fpsr);
    if u.is_nan() {
        return process_nan(sz, &u, a, fpcr, fpsr);
    }
    let exp = (a >> f.f) & mask(f.e);
    let e = if exp == 0 { mask(f.e) - 1 } else { !exp & mask(f.e) };
    zero(sz, u.sign) | (e << f.f)
}

fn step_common(sz: FpSize, a: u64, b: u64, rsqrt: bool, fpcr: u32, fpsr: &mut u32) -> u64 {
    let a = neg(sz, a);
    let u1 = unp(sz, a, fpcr, fpsr);
    let u2 = unp(sz, b, fpcr, fpsr);
    if let Some(r) = process_nans(sz, &[(u1, a), (u2, b)], fpcr, fpsr) {
        return r;
    }
    let (i1, i2, z1, z2) = (u1.ty == Ty::Inf, u2.ty == Ty::Inf, u1.ty == Ty::Zero, u2.ty == Ty::Zero);
    if (i1 && z2) || (z1 && i2) {
        if rsqrt {
            constant(sz, false, 0, true)
        } else {
            constant(sz, false, 1, false)
        }
    } else if i1 || i2 {
        infinity(sz, u1.sign ^ u2.sign)
    } else {
        let (s, m, e, st) = if rsqrt {
            fused((false, 3, 0), &u1, &u2)
        } else {
            fused((false, 1, 1), &u1, &u2)
        };
        let e = if rsqrt { e - 1 } else { e };
        round_or_zero(sz, (s, m, e, st), fpcr, fpsr)
    }
}

/// FPRecipStepFused (FRECPS): 2.0 - op1 * op2.
pub fn recip_step(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 {
    step_common(sz, a, b, false, fpcr, fpsr)
}

/// FPRSqrtStepFused (FRSQRTS): (3.0 - op1 * op2) / 2.
pub fn rsqrt_step(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> u64 {
    step_common(sz, a, b, true, fpcr, fpsr)
}

// ---------------------------------------------------------------------------------------
// Comparisons
// ---------------------------------------------------------------------------------------

/// FPCompare: returns NZCV in bits 31..28. `signal_nans` = FCMPE (any NaN raises IOC).
pub fn compare(sz: FpSize, a: u64, b: u64, signal_nans: bool, fpcr: u32, fpsr: &mut u32) -> u32 {
    let ua = unp(sz, a, fpcr, fpsr);
    let ub = unp(sz, b, fpcr, fpsr);
    if ua.is_nan() || ub.is_nan() {
        if ua.ty == Ty::SNaN || ub.ty == Ty::SNaN || signal_nans {
            *fpsr |= FPSR_IOC;
        }
        return 0b0011 << 28;
    }
    let (ka, kb) = (key(sz, &ua, a), key(sz, &ub, b));
    if ka == kb {
        0b0110 << 28
    } else if ka < kb {
        0b1000 << 28
    } else {
        0b0010 << 28
    }
}

/// FPCompareEQ (FCMEQ): NaNs compare false; only signalling NaNs raise IOC.
pub fn compare_eq(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> bool {
    let ua = unp(sz, a, fpcr, fpsr);
    let ub = unp(sz, b, fpcr, fpsr);
    if ua.is_nan() || ub.is_nan() {
        if ua.ty == Ty::SNaN || ub.ty == Ty::SNaN {
            *fpsr |= FPSR_IOC;
        }
        return false;
    }
    key(sz, &ua, a) == key(sz, &ub, b)
}

fn compare_ord(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> Option<(i128, i128)> {
    let ua = unp(sz, a, fpcr, fpsr);
    let ub = unp(sz, b, fpcr, fpsr);
    if ua.is_nan() || ub.is_nan() {
        *fpsr |= FPSR_IOC;
        return None;
    }
    Some((key(sz, &ua, a), key(sz, &ub, b)))
}

/// FPCompareGE (FCMGE): NaNs compare false and raise IOC.
pub fn compare_ge(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> bool {
    compare_ord(sz, a, b, fpcr, fpsr).is_some_and(|(x, y)| x >= y)
}

/// FPCompareGT (FCMGT): NaNs compare false and raise IOC.
pub fn compare_gt(sz: FpSize, a: u64, b: u64, fpcr: u32, fpsr: &mut u32) -> bool {
    compare_ord(sz, a, b, fpcr, fpsr).is_some_and(|(x, y)| x > y)
}

// ---------------------------------------------------------------------------------------
// Rounding to integral, conversions
// ---------------------------------------------------------------------------------------

/// Splits |value| = mant * 2^exp into (integer part, error != 0, error > 1/2, error == 1/2)
/// and rounds the magnitude per `rm` (sign-magnitude form of the ASL's RoundDown + error
/// logic). Returns (rounded magnitude, inexact), or None when the magnitude is >= 2^80.
fn round_magnitude(mant: u64, exp: i32, sign: bool, rm: Rounding) -> Option<(u128, bool)> {
    let mant = mant as u128;
    let (int, nz, gt, eq) = if exp >= 0 {
        if 127 - mant.leading_zeros() as i32 + exp >= 80 {
            return None;
        }
        (mant << exp, false, false, false)
    } else {
        let s = -exp;
        if s >= 100 {
            (0, true, false, false)
        } else {
            let rem = mant & ((1u128 << s) - 1);
            let half = 1u128 << (s - 1);
            (mant >> s, rem != 0, rem > half, rem == half)
        }
    };
    let up = match rm {
        Rounding::TieEven => gt || (eq && int & 1 != 0),
        Rounding::PosInf => nz && !sign,
        Rounding::NegInf => nz && sign,
        Rounding::Zero | Rounding::Odd => false,
        Rounding::TieAway => gt || eq,
    };
    Some((int + up as u128, nz))
}

/// FPRoundInt (FRINTN/P/M/Z/A/I/X): `exact` = raise IXC when the result differs (FRINTX).
pub fn round_int(sz: FpSize, a: u64, rmode: Rounding, exact: bool, fpcr: u32, fpsr: &mut u32) -> u64 {
    let u = unp(sz, a, fpcr, fpsr);
    match u.ty {
        Ty::QNaN | Ty::SNaN => process_nan(sz, &u, a, fpcr, fpsr),
        Ty::Inf => infinity(sz, u.sign),
        Ty::Zero => zero(sz, u.sign),
        Ty::Nonzero => {
            if u.exp >= 0 {
                // Already an integer.
                return a & mask(sz.bits());
            }
            // exp < 0 so the magnitude is < 2^53 and never None.
            let (int, nz) = round_magnitude(u.mant, u.exp, u.sign, rmode).unwrap_or((0, false));
            let r = if int == 0 {
                zero(sz, u.sign)
            } else {
                round(sz, u.sign, int, 0, false, fpcr & !FPCR_AHP, Rounding::Zero, fpsr)
            };
            if nz && exact {
                *fpsr |= FPSR_IXC;
            }
            r
        }
    }
}

/// FPToFixed: to a signed/unsigned integer of `int_bits` (16, 32 or 64) with `fbits`
/// fraction bits, saturating, IOC on NaN/overflow; result zero-extended to u64 (the low
/// `int_bits` bits hold the two's complement value).
pub fn to_fixed(sz: FpSize, a: u64, fbits: u32, unsigned: bool, int_bits: u32, rmode: Rounding, fpcr: u32, fpsr: &mut u32) -> u64 {
    let u = unp(sz, a, fpcr, fpsr);
    let ib = int_bits.clamp(1, 64);
    let (lo, hi): (i128, i128) = if unsigned { (0, (1i128 << ib) - 1) } else { (-(1i128 << (ib - 1)), (1i128 << (ib - 1)) - 1) };
    let sat = |v: i128, fpsr: &mut u32| -> u64 {
        *fpsr |= FPSR_IOC;
        (v as u64) & mask(ib)
    };
    match u.ty {
        Ty::QNaN | Ty::SNaN => {
            *fpsr |= FPSR_IOC;
            0
        }
        Ty::Zero => 0,
        Ty::Inf => sat(if u.sign { lo } else { hi }, fpsr),
        Ty::Nonzero => {
            let exp = u.exp.saturating_add(fbits.min(1000) as i32);
            let Some((mag, nz)) = round_magnitude(u.mant, exp, u.sign, rmode) else {
                return sat(if u.sign { lo } else { hi }, fpsr);
            };
            let v = if u.sign { -(mag as i128) } else { mag as i128 };
            if v < lo {
                sat(lo, fpsr)
            } else if v > hi {
                sat(hi, fpsr)
            } else {
                if nz {
                    *fpsr |= FPSR_IXC;
                }
                (v as u64) & mask(ib)
            }
        }
    }
}

/// FixedToFP: the low `int_bits` of `v` as signed/unsigned with `fbits` fraction bits,
/// rounded per `rmode`.
pub fn from_fixed(sz: FpSize, v: u64, fbits: u32, unsigned: bool, int_bits: u32, rmode: Rounding, fpcr: u32, fpsr: &mut u32) -> u64 {
    let ib = int_bits.clamp(1, 64);
    let v = v & mask(ib);
    // For the most negative value the two's complement negation wraps to itself, which
    // read as unsigned is the right magnitude 2^(ib-1).
    let (neg, mag) = if !unsigned && (v >> (ib - 1)) & 1 != 0 {
        (true, ((!v).wrapping_add(1) & mask(ib)) as u128)
    } else {
        (false, v as u128)
    };
    if mag == 0 {
        return zero(sz, false);
    }
    round(sz, neg, mag, -(fbits.min(1000) as i32), false, fpcr & !FPCR_AHP, rmode, fpsr)
}

/// FPConvertNaN: quiet the NaN and move its payload to the new width.
fn convert_nan(from: FpSize, to: FpSize, a: u64) -> u64 {
    let (ff, ft) = (fmt(from), fmt(to));
    let sign = (a >> (ff.n - 1)) & 1 != 0;
    let payload = a & mask(ff.f - 1);
    let payload = if ft.f >= ff.f { payload << (ft.f - ff.f) } else { payload >> (ff.f - ft.f) };
    zero(to, sign) | (mask(ft.e) << ft.f) | (1u64 << (ft.f - 1)) | payload
}

/// FPConvert between sizes (FCVT, FCVTL, FCVTN; FCVTXN uses Rounding::Odd); half
/// precision honours FPCR.AHP. Rounding per `rmode` (FPCR's for FCVT).
pub fn convert(from: FpSize, to: FpSize, a: u64, rmode: Rounding, fpcr: u32, fpsr: &mut u32) -> u64 {
    let ahp = fpcr & FPCR_AHP != 0;
    let u = unpack(from, a, fpcr, ahp, fpsr);
    let alt_hp = to == FpSize::H && ahp;
    match u.ty {
        Ty::QNaN | Ty::SNaN => {
            let r = if alt_hp {
                zero(to, u.sign)
            } else if fpcr & FPCR_DN != 0 {
                default_nan(to)
            } else {
                convert_nan(from, to, a)
            };
            if u.ty == Ty::SNaN || alt_hp {
                *fpsr |= FPSR_IOC;
            }
            r
        }
        Ty::Inf => {
            if alt_hp {
                *fpsr |= FPSR_IOC;
                zero(to, u.sign) | mask(15)
            } else {
                infinity(to, u.sign)
            }
        }
        Ty::Zero => zero(to, u.sign),
        Ty::Nonzero => round(to, u.sign, u.mant as u128, u.exp, false, fpcr, rmode, fpsr),
    }
}

#[cfg(test)]
mod tests {
    //! Hand-worked values from the Arm ARM pseudo-code (the broad check against QEMU is in
    //! tests/fp_semantics_qemu.rs).
    use super::*;
    use FpSize::*;

    #[test]
    fn basic_arithmetic() {
        let mut s = 0;
        assert_eq!(add(S, 0x3f80_0000, 0x4000_0000, 0, &mut s), 0x4040_0000); // 1 + 2 = 3
        assert_eq!(s, 0);
        // 1 + 2^-24 (a tie) rounds to even (1.0) with IXC; to +inf gives 1 + 2^-23.
        assert_eq!(add(S, 0x3f80_0000, 0x3380_0000, 0, &mut s), 0x3f80_0000);
        assert_eq!(s, FPSR_IXC);
        assert_eq!(add(S, 0x3f80_0000, 0x3380_0000, 1 << 22, &mut 0), 0x3f80_0001);
        // x - x = +0, or -0 when rounding towards minus infinity.
        assert_eq!(sub(D, 0x4000_0000_0000_0000, 0x4000_0000_0000_0000, 0, &mut 0), 0);
        assert_eq!(sub(D, 0x4000_0000_0000_0000, 0x4000_0000_0000_0000, 2 << 22, &mut 0), 1 << 63);
        // 1 / 0 = +inf with DZC; 0 / 0 = default NaN with IOC.
        let mut s = 0;
        assert_eq!(div(S, 0x3f80_0000, 0, 0, &mut s), 0x7f80_0000);
        assert_eq!(s, FPSR_DZC);
        let mut s = 0;
        assert_eq!(div(S, 0, 0, 0, &mut s), 0x7fc0_0000);
        assert_eq!(s, FPSR_IOC);
        // sqrt(4) = 2 exactly; sqrt(2) single = 0x3fb504f3 inexact.
        assert_eq!(sqrt(D, 0x4010_0000_0000_0000, 0, &mut 0), 0x4000_0000_0000_0000);
        let mut s = 0;
        assert_eq!(sqrt(S, 0x4000_0000, 0, &mut s), 0x3fb5_04f3);
        assert_eq!(s, FPSR_IXC);
    }

    #[test]
    fn nans() {
        // The first signalling NaN wins over an earlier quiet NaN, and is quietened.
        let mut s = 0;
        assert_eq!(add(S, 0x7fc0_0001, 0x7f80_0002, 0, &mut s), 0x7fc0_0002);
        assert_eq!(s, FPSR_IOC);
        // DN gives the default NaN.
        assert_eq!(mul(D, 0xfff0_0000_0000_0001, 0, FPCR_DN, &mut 0), 0x7ff8_0000_0000_0000);
        // FPMulAdd: quiet NaN addend with inf * 0 is the default NaN plus IOC.
        let mut s = 0;
        assert_eq!(muladd(S, 0x7fc0_1234, 0x7f80_0000, 0, 0, &mut s), 0x7fc0_0000);
        assert_eq!(s, FPSR_IOC);
        // FMAXNM: a quiet NaN loses to a number; FMAX propagates it.
        assert_eq!(maxnm(S, 0x7fc0_0000, 0xbf80_0000, 0, &mut 0), 0xbf80_0000);
        assert_eq!(max(S, 0x7fc0_0000, 0xbf80_0000, 0, &mut 0), 0x7fc0_0000);
    }

    #[test]
    fn flush_to_zero() {
        // A denormal input is flushed (IDC) when FZ=1: denormal + 0 = +0.
        let mut s = 0;
        assert_eq!(add(S, 0x0000_0001, 0, FPCR_FZ, &mut s), 0);
        assert_eq!(s, FPSR_IDC);
        // A denormal result is flushed with UFC (and no IXC): 2^-126 * 0.5.
        let mut s = 0;
        assert_eq!(mul(S, 0x0080_0000, 0x3f00_0000, FPCR_FZ, &mut s), 0);
        assert_eq!(s, FPSR_UFC);
        // Without FZ the same product is the exact denormal 2^-127, no UFC (exact).
        let mut s = 0;
        assert_eq!(mul(S, 0x0080_0000, 0x3f00_0000, 0, &mut s), 0x0040_0000);
        assert_eq!(s, 0);
        // Half precision is never flushed (no FZ16 in ARMv8.0).
        let mut s = 0;
        assert_eq!(add(H, 0x0001, 0, FPCR_FZ, &mut s), 0x0001);
        assert_eq!(s, 0);
    }

    #[test]
    fn overflow_by_rounding_mode() {
        // max * 2 overflows: +inf under RN, max normal under RZ; both OFC|IXC.
        let mut s = 0;
        assert_eq!(mul(S, 0x7f7f_ffff, 0x4000_0000, 0, &mut s), 0x7f80_0000);
        assert_eq!(s, FPSR_OFC | FPSR_IXC);
        assert_eq!(mul(S, 0x7f7f_ffff, 0x4000_0000, 3 << 22, &mut 0), 0x7f7f_ffff);
        assert_eq!(mul(S, 0xff7f_ffff, 0x4000_0000, 1 << 22, &mut 0), 0xff7f_ffff);
    }

    #[test]
    fn estimates() {
        // RecipEstimate(256) = 511 and RecipSqrtEstimate(128) = 511 (see the ASL): both
        // FRECPE(1.0) and FRSQRTE(1.0) are 0x3f7f8000.
        assert_eq!(recip_estimate(S, 0x3f80_0000, 0, &mut 0), 0x3f7f_8000);
        assert_eq!(rsqrt_estimate(S, 0x3f80_0000, 0, &mut 0), 0x3f7f_8000);
        // FRECPX(1.0): exponent bits inverted, fraction cleared.
        assert_eq!(recpx(S, 0x3f80_0000, 0, &mut 0), 0x4000_0000);
        // FRECPS(2, 0.5) = 2 - 1 = 1; FRSQRTS(1, 1) = (3 - 1) / 2 = 1.
        assert_eq!(recip_step(S, 0x4000_0000, 0x3f00_0000, 0, &mut 0), 0x3f80_0000);
        assert_eq!(rsqrt_step(S, 0x3f80_0000, 0x3f80_0000, 0, &mut 0), 0x3f80_0000);
    }

    #[test]
    fn conversions() {
        // 2.5 to integer: ties-to-even 2, ties-away 3, toward +inf 3; IXC.
        let mut s = 0;
        assert_eq!(to_fixed(S, 0x4020_0000, 0, false, 32, Rounding::TieEven, 0, &mut s), 2);
        assert_eq!(s, FPSR_IXC);
        assert_eq!(to_fixed(S, 0x4020_0000, 0, false, 32, Rounding::TieAway, 0, &mut 0), 3);
        // -1.0 to unsigned saturates to 0 with IOC; NaN gives 0 with IOC.
        let mut s = 0;
        assert_eq!(to_fixed(D, 0xbff0_0000_0000_0000, 0, true, 64, Rounding::Zero, 0, &mut s), 0);
        assert_eq!(s, FPSR_IOC);
        // 2^31 to signed 32-bit saturates to 0x7fffffff.
        assert_eq!(to_fixed(S, 0x4f00_0000, 0, false, 32, Rounding::Zero, 0, &mut 0), 0x7fff_ffff);
        // 1.5 with 4 fraction bits = 24.
        assert_eq!(to_fixed(S, 0x3fc0_0000, 4, false, 32, Rounding::Zero, 0, &mut 0), 24);
        // i32 -1 to single = -1.0; 24 with fbits 4 = 1.5.
        assert_eq!(from_fixed(S, 0xffff_ffff, 0, false, 32, Rounding::TieEven, 0, &mut 0), 0xbf80_0000);
        assert_eq!(from_fixed(S, 24, 4, false, 32, Rounding::TieEven, 0, &mut 0), 0x3fc0_0000);
        // i64 min to double = -2^63.
        assert_eq!(from_fixed(D, 1 << 63, 0, false, 64, Rounding::TieEven, 0, &mut 0), 0xc3e0_0000_0000_0000);
        // 1.0 single -> half 0x3c00 -> double.
        assert_eq!(convert(S, H, 0x3f80_0000, Rounding::TieEven, 0, &mut 0), 0x3c00);
        assert_eq!(convert(H, D, 0x3c00, Rounding::TieEven, 0, &mut 0), 0x3ff0_0000_0000_0000);
        // Alternative half precision: 65536.0 is 0x7c00 (exponent 31 is a number), and
        // +inf converts to 0x7fff with IOC.
        assert_eq!(convert(S, H, 0x4780_0000, Rounding::TieEven, FPCR_AHP, &mut 0), 0x7c00);
        let mut s = 0;
        assert_eq!(convert(S, H, 0x7f80_0000, Rounding::TieEven, FPCR_AHP, &mut s), 0x7fff);
        assert_eq!(s, FPSR_IOC);
        // NaN payload narrowing: double qNaN payload top bits move to the single.
        assert_eq!(convert(D, S, 0x7ff8_0000_2000_0000, Rounding::TieEven, 0, &mut 0), 0x7fc0_0001);
        // FCVTXN: 1 + 2^-52 rounds to odd: 1 + 2^-23.
        assert_eq!(convert(D, S, 0x3ff0_0000_0000_0001, Rounding::Odd, 0, &mut 0), 0x3f80_0001);
        // FRINTA(-2.5) = -3; FRINTN(0.5) = +0; FRINTM(-0.5) = -1.
        assert_eq!(round_int(S, 0xc020_0000, Rounding::TieAway, false, 0, &mut 0), 0xc040_0000);
        assert_eq!(round_int(S, 0x3f00_0000, Rounding::TieEven, false, 0, &mut 0), 0);
        assert_eq!(round_int(S, 0xbf00_0000, Rounding::NegInf, false, 0, &mut 0), 0xbf80_0000);
    }

    #[test]
    fn compares() {
        assert_eq!(compare(S, 0, 0x8000_0000, false, 0, &mut 0), 0b0110 << 28); // +0 == -0
        assert_eq!(compare(S, 0xbf80_0000, 0, false, 0, &mut 0), 0b1000 << 28);
        let mut s = 0;
        assert_eq!(compare(S, 0x7fc0_0000, 0, false, 0, &mut s), 0b0011 << 28);
        assert_eq!(s, 0);
        compare(S, 0x7fc0_0000, 0, true, 0, &mut s);
        assert_eq!(s, FPSR_IOC);
        assert!(compare_ge(D, 0, 1 << 63, 0, &mut 0));
        assert!(!compare_gt(D, 0, 1 << 63, 0, &mut 0));
    }
}

#[cfg(test)]
mod robustness {
    use super::*;

    /// Every function on arbitrary 64-bit inputs (garbage above the format's width, every
    /// FPCR mode bit): no panic, results confined to the format's width.
    #[test]
    fn garbage_inputs_do_not_panic() {
        let mut x: u64 = 0x1234_5678_9abc_def1;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..20000 {
            for sz in [FpSize::H, FpSize::S, FpSize::D] {
                let m = if sz == FpSize::D { u64::MAX } else { (1u64 << sz.bits()) - 1 };
                let (a, b, c) = (next(), next(), next());
                let fpcr = next() as u32 & (FPCR_AHP | FPCR_DN | FPCR_FZ | (3 << 22));
                let fs = &mut 0u32;
                for r in [
                    add(sz, a, b, fpcr, fs),
                    sub(sz, a, b, fpcr, fs),
                    mul(sz, a, b, fpcr, fs),
                    mulx(sz, a, b, fpcr, fs),
                    div(sz, a, b, fpcr, fs),
                    max(sz, a, b, fpcr, fs),
                    min(sz, a, b, fpcr, fs),
                    maxnm(sz, a, b, fpcr, fs),
                    minnm(sz, a, b, fpcr, fs),
                    muladd(sz, a, b, c, fpcr, fs),
                    sqrt(sz, a, fpcr, fs),
                    neg(sz, a),
                    abs(sz, a),
                    recip_estimate(sz, a, fpcr, fs),
                    rsqrt_estimate(sz, a, fpcr, fs),
                    recpx(sz, a, fpcr, fs),
                    recip_step(sz, a, b, fpcr, fs),
                    rsqrt_step(sz, a, b, fpcr, fs),
                    round_int(sz, a, fpcr_rounding(fpcr), c & 1 != 0, fpcr, fs),
                ] {
                    assert_eq!(r & !m, 0, "{sz:?} {a:x} {b:x} {c:x} -> {r:x}");
                }
                compare(sz, a, b, c & 1 != 0, fpcr, fs);
                compare_eq(sz, a, b, fpcr, fs);
                compare_ge(sz, a, b, fpcr, fs);
                compare_gt(sz, a, b, fpcr, fs);
                for ib in [16, 32, 64] {
                    let im = if ib == 64 { u64::MAX } else { (1u64 << ib) - 1 };
                    let fb = (c % (ib as u64 + 1)) as u32;
                    let r = to_fixed(sz, a, fb, b & 1 != 0, ib, fpcr_rounding(fpcr), fpcr, fs);
                    assert_eq!(r & !im, 0);
                    let r = from_fixed(sz, b, fb, a & 1 != 0, ib, fpcr_rounding(fpcr), fpcr, fs);
                    assert_eq!(r & !m, 0);
                }
                for to in [FpSize::H, FpSize::S, FpSize::D] {
                    let tm = if to == FpSize::D { u64::MAX } else { (1u64 << to.bits()) - 1 };
                    let r = convert(sz, to, a, Rounding::Odd, fpcr, fs);
                    assert_eq!(r & !tm, 0);
                }
            }
        }
    }
}
