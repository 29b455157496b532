//! AdvSIMD integer lane arithmetic (Arm ARM shared pseudo-code: SatQ, Elem, the shift,
//! halving, absolute-difference, doubling-multiply, narrowing and estimate functions).
//! Pure functions on raw lane values: an element of `esize` bits (8, 16, 32, 64) is held in
//! the low bits of a `u64`; signed views are taken with `sext`. Functions that saturate
//! return `(value, saturated)`; the caller sets FPSR.QC when `saturated` is true.

/// All ones in the low `esize` bits.
#[inline]
pub fn ones(esize: u32) -> u64 {
    if esize >= 64 { u64::MAX } else { (1u64 << esize) - 1 }
}

/// Sign-extends the low `esize` bits of `x`.
#[inline]
pub fn sext(x: u64, esize: u32) -> i64 {
    let s = 64 - esize.clamp(1, 64);
    ((x << s) as i64) >> s
}

/// Zero- or sign-extends the low `esize` bits of `x` to an integer (ASL `Int(x, unsigned)`).
#[inline]
pub fn int(x: u64, esize: u32, unsigned: bool) -> i128 {
    if unsigned { (x & ones(esize)) as i128 } else { sext(x, esize) as i128 }
}

/// Element `i` of `esize` bits of a 128-bit register value.
#[inline]
pub fn elem(v: u128, i: u32, esize: u32) -> u64 {
    ((v >> ((i * esize) & 127)) as u64) & ones(esize)
}

/// Sets element `i` of `esize` bits of `v` to the low bits of `x`.
#[inline]
pub fn set_elem(v: &mut u128, i: u32, esize: u32, x: u64) {
    let sh = (i * esize) & 127;
    let m = (ones(esize) as u128) << sh;
    *v = (*v & !m) | (((x & ones(esize)) as u128) << sh);
}

#[inline(always)]
fn unpack_n<const ES: u32>(v: u128) -> [u64; 16] {
    let mut out = [0u64; 16];
    for (i, o) in out.iter_mut().take((128 / ES) as usize).enumerate() {
        *o = (v >> (i as u32 * ES)) as u64 & ones(ES);
    }
    out
}

#[inline(always)]
fn pack_n<const ES: u32>(l: &[u64; 16]) -> u128 {
    let mut r = 0u128;
    for (i, x) in l.iter().take((128 / ES) as usize).enumerate() {
        r |= ((x & ones(ES)) as u128) << (i as u32 * ES);
    }
    r
}

/// All elements of `esize` bits of a 128-bit value (element 0 first; unused entries 0).
#[inline]
pub fn unpack(v: u128, esize: u32) -> [u64; 16] {
    match esize {
        8 => unpack_n::<8>(v),
        16 => unpack_n::<16>(v),
        32 => unpack_n::<32>(v),
        _ => unpack_n::<64>(v),
    }
}

/// The inverse of `unpack`: packs the low `esize` bits of each entry.
#[inline]
pub fn pack(l: &[u64; 16], esize: u32) -> u128 {
    match esize {
        8 => pack_n::<8>(l),
        16 => pack_n::<16>(l),
        32 => pack_n::<32>(l),
        _ => pack_n::<64>(l),
    }
}

/// SignedSatQ / UnsignedSatQ: saturates `x` to `n` bits.
#[inline]
pub fn sat_q(x: i128, n: u32, unsigned: bool) -> (u64, bool) {
    if unsigned {
        let max = ones(n) as i128;
        if x > max {
            (ones(n), true)
        } else if x < 0 {
            (0, true)
        } else {
            (x as u64, false)
        }
    } else {
        let max = (1i128 << (n - 1)) - 1;
        let min = -(1i128 << (n - 1));
        if x > max {
            (max as u64 & ones(n), true)
        } else if x < min {
            (min as u64 & ones(n), true)
        } else {
            (x as u64 & ones(n), false)
        }
    }
}

/// The integer three-same operations (and the ones reused by the by-element, pairwise and
/// scalar forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op3 {
    Shadd,
    Uhadd,
    Srhadd,
    Urhadd,
    Shsub,
    Uhsub,
    Sqadd,
    Uqadd,
    Sqsub,
    Uqsub,
    Cmgt,
    Cmhi,
    Cmge,
    Cmhs,
    Cmtst,
    Cmeq,
    Sshl,
    Ushl,
    Sqshl,
    Uqshl,
    Srshl,
    Urshl,
    Sqrshl,
    Uqrshl,
    Smax,
    Umax,
    Smin,
    Umin,
    Sabd,
    Uabd,
    Saba,
    Uaba,
    Add,
    Sub,
    Mla,
    Mls,
    Mul,
    Pmul,
    Sqdmulh,
    Sqrdmulh,
}

/// 8-bit polynomial multiply, low 8 bits of the product (PMUL).
#[inline]
pub fn pmul8(a: u64, b: u64) -> u64 {
    let mut r = 0u64;
    for i in 0..8 {
        if (b >> i) & 1 == 1 {
            r ^= a << i;
        }
    }
    r & 0xff
}

/// Shift by a signed register amount (SSHL, USHL, SRSHL, URSHL, SQSHL, UQSHL, SQRSHL,
/// UQRSHL): `shift` is the signed low byte of the second operand. Returns the exact
/// integer result, or `None` when a non-zero value is shifted left by 64 or more (the
/// result then saturates, or truncates to zero).
pub fn shift_reg(x: i128, shift: i32, rounding: bool) -> Option<i128> {
    if shift >= 0 {
        if x == 0 {
            Some(0)
        } else if shift >= 64 {
            None
        } else {
            Some(x << shift)
        }
    } else {
        let n = (-shift).min(127) as u32;
        let rc = if rounding { 1i128 << (n - 1) } else { 0 };
        Some((x + rc) >> n)
    }
}

/// One lane of a three-same operation. `d` is the destination lane (accumulating forms).
#[inline]
pub fn op3(op: Op3, esize: u32, a: u64, b: u64, d: u64) -> (u64, bool) {
    let m = ones(esize);
    let sa = int(a, esize, false);
    let sb = int(b, esize, false);
    let ua = int(a, esize, true);
    let ub = int(b, esize, true);
    let t = |c: bool| if c { m } else { 0 };
    let r = |x: i128| (x as u64) & m;
    let sh = |unsigned: bool, rounding: bool, sat: bool| {
        let x = if unsigned { ua } else { sa };
        let shift = (b & 0xff) as u8 as i8 as i32;
        match shift_reg(x, shift, rounding) {
            Some(v) => {
                if sat {
                    sat_q(v, esize, unsigned)
                } else {
                    (r(v), false)
                }
            }
            None => {
                if sat {
                    sat_q(if x < 0 { i128::MIN } else { i128::MAX }, esize, unsigned)
                } else {
                    (0, false)
                }
            }
        }
    };
    match op {
        Op3::Shadd => (r((sa + sb) >> 1), false),
        Op3::Uhadd => (r((ua + ub) >> 1), false),
        Op3::Srhadd => (r((sa + sb + 1) >> 1), false),
        Op3::Urhadd => (r((ua + ub + 1) >> 1), false),
        Op3::Shsub => (r((sa - sb) >> 1), false),
        Op3::Uhsub => (r((ua - ub) >> 1), false),
        Op3::Sqadd => sat_q(sa + sb, esize, false),
        Op3::Uqadd => sat_q(ua + ub, esize, true),
        Op3::Sqsub => sat_q(sa - sb, esize, false),
        Op3::Uqsub => sat_q(ua - ub, esize, true),
        Op3::Cmgt => (t(sa > sb), false),
        Op3::Cmhi => (t(ua > ub), false),
        Op3::Cmge => (t(sa >= sb), false),
        Op3::Cmhs => (t(ua >= ub), false),
        Op3::Cmtst => (t(a & b & m != 0), false),
        Op3::Cmeq => (t(a & m == b & m), false),
        Op3::Sshl => sh(false, false, false),
        Op3::Ushl => sh(true, false, false),
        Op3::Sqshl => sh(false, false, true),
        Op3::Uqshl => sh(true, false, true),
        Op3::Srshl => sh(false, true, false),
        Op3::Urshl => sh(true, true, false),
        Op3::Sqrshl => sh(false, true, true),
        Op3::Uqrshl => sh(true, true, true),
        Op3::Smax => (r(sa.max(sb)), false),
        Op3::Umax => (r(ua.max(ub)), false),
        Op3::Smin => (r(sa.min(sb)), false),
        Op3::Umin => (r(ua.min(ub)), false),
        Op3::Sabd => (r((sa - sb).abs()), false),
        Op3::Uabd => (r((ua - ub).abs()), false),
        Op3::Saba => (r((d as i128).wrapping_add((sa - sb).abs())), false),
        Op3::Uaba => (r((d as i128).wrapping_add((ua - ub).abs())), false),
        Op3::Add => (a.wrapping_add(b) & m, false),
        Op3::Sub => (a.wrapping_sub(b) & m, false),
        Op3::Mla => (d.wrapping_add(a.wrapping_mul(b)) & m, false),
        Op3::Mls => (d.wrapping_sub(a.wrapping_mul(b)) & m, false),
        Op3::Mul => (a.wrapping_mul(b) & m, false),
        Op3::Pmul => (pmul8(a, b), false),
        // architecturally esize is 16 or 32; saturating_mul keeps other sizes panic-free
        Op3::Sqdmulh => sat_q(sa.saturating_mul(sb).saturating_mul(2) >> esize, esize, false),
        Op3::Sqrdmulh => {
            sat_q(sa.saturating_mul(sb).saturating_mul(2).saturating_add(1i128 << (esize - 1)) >> esize, esize, false)
        }
    }
}

/// The "three different" (long, wide, narrow) operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpLong {
    /// SADDL/UADDL and SADDW/UADDW (the wide form passes an already wide first operand).
    Add,
    Sub,
    Abal,
    Abdl,
    Mlal,
    Mlsl,
    Mull,
    Sqdmlal,
    Sqdmlsl,
    Sqdmull,
}

/// One lane of a long operation: `a`, `b` are the source values as integers (already
/// extended), `d` is the 2*esize destination lane. Returns the 2*esize result.
pub fn op_long(op: OpLong, esize: u32, a: i128, b: i128, d: u64) -> (u64, bool) {
    let w = 2 * esize;
    let m = ones(w);
    let r = |x: i128| (x as u64) & m;
    let sd = int(d, w, false);
    match op {
        OpLong::Add => (r(a + b), false),
        OpLong::Sub => (r(a - b), false),
        OpLong::Abal => (r((d as i128) + (a - b).abs()), false),
        OpLong::Abdl => (r((a - b).abs()), false),
        OpLong::Mlal => (r((d as i128).wrapping_add(a.wrapping_mul(b))), false),
        OpLong::Mlsl => (r((d as i128).wrapping_sub(a.wrapping_mul(b))), false),
        OpLong::Mull => (r(a.wrapping_mul(b)), false),
        OpLong::Sqdmull => sat_q(a.saturating_mul(b).saturating_mul(2), w, false),
        OpLong::Sqdmlal | OpLong::Sqdmlsl => {
            let (p, s1) = sat_q(a.saturating_mul(b).saturating_mul(2), w, false);
            let p = int(p, w, false);
            let acc = if op == OpLong::Sqdmlal { sd + p } else { sd - p };
            let (v, s2) = sat_q(acc, w, false);
            (v, s1 || s2)
        }
    }
}

/// ADDHN/RADDHN/SUBHN/RSUBHN: the high half of a 2*esize sum or difference.
pub fn op_high_narrow(sub: bool, round: bool, esize: u32, a: u64, b: u64) -> u64 {
    let w = 2 * esize;
    let m = ones(w);
    let mut x = if sub { a.wrapping_sub(b) } else { a.wrapping_add(b) } & m;
    if round {
        x = x.wrapping_add(1u64 << (esize - 1)) & m;
    }
    (x >> esize) & ones(esize)
}

/// Counts leading sign bits (CLS) of an `esize`-bit value.
pub fn cls(x: u64, esize: u32) -> u64 {
    let s = sext(x, esize);
    let v = (s ^ (s >> 1)) as u64 & ones(esize);
    // leading zeros of v within esize-1 bits
    clz(v, esize).saturating_sub(1)
}

/// Counts leading zero bits (CLZ) of an `esize`-bit value.
pub fn clz(x: u64, esize: u32) -> u64 {
    let x = x & ones(esize);
    (x.leading_zeros() - (64 - esize)) as u64
}

/// Reverses the bits of an `esize`-bit value.
pub fn rbit(x: u64, esize: u32) -> u64 {
    x.reverse_bits() >> (64 - esize)
}

/// Two-register miscellaneous per-lane operations (those that map one lane to one lane).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpMisc {
    Cls,
    Clz,
    Cnt,
    Not,
    Rbit,
    Sqabs,
    Sqneg,
    Abs,
    Neg,
    CmgtZ,
    CmgeZ,
    CmeqZ,
    CmleZ,
    CmltZ,
    /// SUQADD: `d` is the signed accumulator, the lane is unsigned.
    Suqadd,
    /// USQADD: `d` is the unsigned accumulator, the lane is signed.
    Usqadd,
    Urecpe,
    Ursqrte,
}

#[inline]
pub fn op_misc(op: OpMisc, esize: u32, a: u64, d: u64) -> (u64, bool) {
    let m = ones(esize);
    let sa = int(a, esize, false);
    let t = |c: bool| if c { m } else { 0 };
    match op {
        OpMisc::Cls => (cls(a, esize), false),
        OpMisc::Clz => (clz(a, esize), false),
        OpMisc::Cnt => ((a & m).count_ones() as u64, false),
        OpMisc::Not => (!a & m, false),
        OpMisc::Rbit => (rbit(a, esize), false),
        OpMisc::Sqabs => sat_q(sa.abs(), esize, false),
        OpMisc::Sqneg => sat_q(-sa, esize, false),
        OpMisc::Abs => ((sa.unsigned_abs() as u64) & m, false),
        OpMisc::Neg => ((-sa as u64) & m, false),
        OpMisc::CmgtZ => (t(sa > 0), false),
        OpMisc::CmgeZ => (t(sa >= 0), false),
        OpMisc::CmeqZ => (t(sa == 0), false),
        OpMisc::CmleZ => (t(sa <= 0), false),
        OpMisc::CmltZ => (t(sa < 0), false),
        OpMisc::Suqadd => sat_q(int(d, esize, false) + int(a, esize, true), esize, false),
        OpMisc::Usqadd => sat_q(int(d, esize, true) + sa, esize, true),
        OpMisc::Urecpe => (urecpe(a as u32) as u64, false),
        OpMisc::Ursqrte => (ursqrte(a as u32) as u64, false),
    }
}

/// RecipEstimate (ARMv8.0 table-free definition): `a` in [256, 511], result in [256, 511].
pub fn recip_estimate(a: u32) -> u32 {
    let a = a * 2 + 1;
    let b = (1u32 << 19) / a;
    b.div_ceil(2)
}

/// RecipSqrtEstimate: `a` in [128, 511], result in [256, 511].
pub fn recip_sqrt_estimate(a: u32) -> u32 {
    // a < 256: units of 1/512 rounded to nearest; else drop the bottom bit, units of 1/256
    let a = if a < 256 { a * 2 + 1 } else { (((a >> 1) << 1) + 1) * 2 } as u64;
    let mut b = 512u64;
    while a * (b + 1) * (b + 1) < (1u64 << 28) {
        b += 1;
    }
    b.div_ceil(2) as u32
}

/// UnsignedRecipEstimate (URECPE), 32-bit lanes.
pub fn urecpe(x: u32) -> u32 {
    if x >> 31 == 0 {
        u32::MAX
    } else {
        recip_estimate(x >> 23) << 23
    }
}

/// UnsignedRSqrtEstimate (URSQRTE), 32-bit lanes.
pub fn ursqrte(x: u32) -> u32 {
    if x >> 30 == 0 {
        u32::MAX
    } else {
        recip_sqrt_estimate(x >> 23) << 23
    }
}

/// Shift-right by immediate family (SSHR .. SRSRA): `shift` in 1..=esize.
pub fn shr_imm(x: u64, esize: u32, shift: u32, unsigned: bool, round: bool) -> i128 {
    let v = int(x, esize, unsigned);
    if shift == 0 {
        return v;
    }
    let shift = shift.min(127);
    let rc = if round { 1i128 << (shift - 1) } else { 0 };
    (v + rc) >> shift
}

/// AdvSIMDExpandImm(op, cmode, imm8).
pub fn expand_imm(op: u32, cmode: u32, imm8: u32) -> u64 {
    let i = imm8 as u64 & 0xff;
    let rep32 = |x: u64| x | (x << 32);
    let rep16 = |x: u64| x | (x << 16) | (x << 32) | (x << 48);
    match cmode >> 1 {
        0 => rep32(i),
        1 => rep32(i << 8),
        2 => rep32(i << 16),
        3 => rep32(i << 24),
        4 => rep16(i),
        5 => rep16(i << 8),
        6 => {
            if cmode & 1 == 0 {
                rep32((i << 8) | 0xff)
            } else {
                rep32((i << 16) | 0xffff)
            }
        }
        _ => {
            if cmode & 1 == 0 && op == 1 {
                let mut r = 0u64;
                for b in 0..8 {
                    if (i >> b) & 1 == 1 {
                        r |= 0xffu64 << (8 * b);
                    }
                }
                r
            } else {
                // cmode=1110, op=0: 8-bit replicated (FMOV cases are not in this group)
                i * 0x0101_0101_0101_0101
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values worked out by hand from the Arm ARM pseudo-code.
    #[test]
    fn saturation() {
        assert_eq!(sat_q(200, 8, false), (0x7f, true));
        assert_eq!(sat_q(-129, 8, false), (0x80, true));
        assert_eq!(sat_q(-1, 8, true), (0, true));
        assert_eq!(sat_q(255, 8, true), (0xff, false));
        assert_eq!(sat_q(-5, 64, false), (0xffff_ffff_ffff_fffb, false));
    }

    #[test]
    fn shifts_by_register() {
        // SSHL of 0x80 (-128) by -1 (0xff) = -64 = 0xc0
        assert_eq!(op3(Op3::Sshl, 8, 0x80, 0xff, 0), (0xc0, false));
        // URSHL of 3 by -1: (3 + 1) >> 1 = 2
        assert_eq!(op3(Op3::Urshl, 8, 3, 0xff, 0), (2, false));
        // UQSHL of 1 by 64 in a 64-bit lane saturates
        assert_eq!(op3(Op3::Uqshl, 64, 1, 64, 0), (u64::MAX, true));
        // SSHL by 127 of non-zero gives 0 (no saturation)
        assert_eq!(op3(Op3::Sshl, 16, 1, 127, 0), (0, false));
        // SQRSHL by -128 of -1: (-1 + 2^127) >> 128 -> clamped -> 0
        assert_eq!(op3(Op3::Sqrshl, 32, 0xffff_ffff, 0x80, 0), (0, false));
    }

    #[test]
    fn doubling_multiply_high() {
        // SQDMULH 0x8000 * 0x8000 (16-bit) saturates to 0x7fff
        assert_eq!(op3(Op3::Sqdmulh, 16, 0x8000, 0x8000, 0), (0x7fff, true));
        // SQRDMULH 0x4000 * 0x0001: (2*0x4000 + 0x8000) >> 16 = 0x10000 >> 16 = 1
        assert_eq!(op3(Op3::Sqrdmulh, 16, 0x4000, 1, 0), (1, false));
    }

    #[test]
    fn estimates() {
        // URECPE of 0x80000000 (0.5): RecipEstimate(256) = ceil((2^19/513)/2) = 511 -> 0xff800000
        assert_eq!(urecpe(0x8000_0000), 0xff80_0000);
        assert_eq!(urecpe(0x7fff_ffff), 0xffff_ffff);
        assert_eq!(ursqrte(0x3fff_ffff), 0xffff_ffff);
    }

    #[test]
    fn expand() {
        assert_eq!(expand_imm(1, 0b1110, 0b1000_0001), 0xff00_0000_0000_00ff);
        assert_eq!(expand_imm(0, 0b1101, 0x12), 0x0012_ffff_0012_ffff);
        assert_eq!(expand_imm(0, 0b1010, 0x12), 0x1200_1200_1200_1200);
    }
}
