//! Integer semantics of the A64 base instruction set, written after the Arm ARM pseudo-code
//! (shared/functions/integer, shared/functions/common, aarch64/functions/...). Pure
//! functions on plain integers: values of a 32-bit operation live in the low 32 bits of a
//! `u64` and the upper bits of every result are zero. NZCV values use the register layout
//! (N = bit 31, Z = bit 30, C = bit 29, V = bit 28, as `crate::state::{N, Z, C, V}`).

use crate::state::{C, N, V, Z};

/// All-ones mask of the low `bits` bits (`bits` in 0..=64).
#[inline]
pub const fn ones(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// Width of a register operand: 64 when `sf`, else 32.
#[inline]
pub const fn datasize(sf: bool) -> u32 {
    if sf {
        64
    } else {
        32
    }
}

/// Truncates `v` to the operand width.
#[inline]
pub const fn trunc(sf: bool, v: u64) -> u64 {
    if sf {
        v
    } else {
        v & 0xffff_ffff
    }
}

/// Sign-extends the low `bits` bits of `v` (`bits` in 1..=64).
#[inline]
pub const fn sign_extend(v: u64, bits: u32) -> u64 {
    if bits >= 64 || bits == 0 {
        v
    } else {
        (((v << (64 - bits)) as i64) >> (64 - bits)) as u64
    }
}

/// AddWithCarry(x, y, carry_in) on `sf`-sized operands: the result (truncated) and NZCV.
#[inline]
pub fn add_with_carry(x: u64, y: u64, carry: bool, sf: bool) -> (u64, u32) {
    let c = carry as u64;
    if sf {
        let (r1, c1) = x.overflowing_add(y);
        let (r, c2) = r1.overflowing_add(c);
        let carry_out = c1 || c2;
        let sx = x as i64;
        let sy = y as i64;
        // signed overflow: both operands have the same sign and the result's differs
        let overflow = ((sx ^ r as i64) & (sy ^ r as i64)) < 0;
        let mut nzcv = 0;
        if (r as i64) < 0 {
            nzcv |= N;
        }
        if r == 0 {
            nzcv |= Z;
        }
        if carry_out {
            nzcv |= C;
        }
        if overflow {
            nzcv |= V;
        }
        (r, nzcv)
    } else {
        let x = x & 0xffff_ffff;
        let y = y & 0xffff_ffff;
        let wide = x + y + c; // at most 33 bits, no overflow in u64
        let r = wide & 0xffff_ffff;
        let sx = x as u32 as i32 as i64;
        let sy = y as u32 as i32 as i64;
        let ssum = sx + sy + c as i64;
        let mut nzcv = 0;
        if r & 0x8000_0000 != 0 {
            nzcv |= N;
        }
        if r == 0 {
            nzcv |= Z;
        }
        if wide >> 32 != 0 {
            nzcv |= C;
        }
        if ssum != r as u32 as i32 as i64 {
            nzcv |= V;
        }
        (r, nzcv)
    }
}

/// NZCV after a logical operation with flags (ANDS, BICS, TST): N and Z from the result,
/// C = V = 0.
#[inline]
pub fn logic_flags(r: u64, sf: bool) -> u32 {
    let r = trunc(sf, r);
    let mut nzcv = 0;
    if r >> (datasize(sf) - 1) & 1 == 1 {
        nzcv |= N;
    }
    if r == 0 {
        nzcv |= Z;
    }
    nzcv
}

/// ConditionHolds(cond) for a 4-bit condition code and NZCV in the register layout.
#[inline]
pub fn condition_holds(cond: u32, nzcv: u32) -> bool {
    let n = nzcv & N != 0;
    let z = nzcv & Z != 0;
    let c = nzcv & C != 0;
    let v = nzcv & V != 0;
    let r = match (cond >> 1) & 7 {
        0 => z,              // EQ / NE
        1 => c,              // CS / CC
        2 => n,              // MI / PL
        3 => v,              // VS / VC
        4 => c && !z,        // HI / LS
        5 => n == v,         // GE / LT
        6 => n == v && !z,   // GT / LE
        _ => true,           // AL (and NV, which is also "always")
    };
    if cond & 1 == 1 && cond & 0xf != 0xf {
        !r
    } else {
        r
    }
}

/// DecodeBitMasks(immN, imms, immr, immediate) for a `datasize`-bit (32 or 64) operation.
/// Returns `(wmask, tmask)`, or `None` where the pseudo-code says UNDEFINED (len < 1, the
/// reserved all-ones S of a logical immediate) or the element is wider than `datasize`.
pub fn decode_bit_masks(n: u32, imms: u32, immr: u32, immediate: bool, datasize: u32) -> Option<(u64, u64)> {
    let combined = ((n & 1) << 6) | (!imms & 0x3f);
    if combined == 0 {
        return None;
    }
    let len = 31 - combined.leading_zeros(); // HighestSetBit
    if len < 1 {
        return None;
    }
    let esize = 1u32 << len;
    if esize > datasize {
        return None;
    }
    let levels = ones(len) as u32;
    if immediate && imms & levels == levels {
        return None;
    }
    let s = imms & levels;
    let r = immr & levels;
    let diff = s.wrapping_sub(r) & 0x3f;
    let d = diff & levels;
    let welem = ones(s + 1);
    let telem = ones(d + 1);
    let wmask = replicate(ror(welem, r, esize), esize, datasize);
    let tmask = replicate(telem, esize, datasize);
    Some((wmask, tmask))
}

/// The logical immediate encoded by N:immr:imms for a `sf`-sized operation, if valid.
pub fn logical_imm(sf: bool, n: u32, immr: u32, imms: u32) -> Option<u64> {
    decode_bit_masks(n, imms, immr, true, datasize(sf)).map(|(w, _)| w)
}

/// Replicates an `esize`-bit element to fill `datasize` bits.
pub fn replicate(elem: u64, esize: u32, datasize: u32) -> u64 {
    let elem = elem & ones(esize);
    let mut r = 0u64;
    let mut pos = 0;
    while pos < datasize {
        r |= elem << pos;
        pos += esize;
    }
    r & ones(datasize)
}

/// ROR of a `width`-bit value (`width` in 1..=64) by `amount` (reduced modulo `width`).
pub fn ror(v: u64, amount: u32, width: u32) -> u64 {
    let v = v & ones(width);
    let a = amount % width;
    if a == 0 {
        v
    } else {
        ((v >> a) | (v << (width - a))) & ones(width)
    }
}

/// Shift types of the shifted-register forms (Arm ARM DecodeShift).
pub const SHIFT_LSL: u32 = 0;
pub const SHIFT_LSR: u32 = 1;
pub const SHIFT_ASR: u32 = 2;
pub const SHIFT_ROR: u32 = 3;

/// ShiftReg: shifts a `sf`-sized value by `amount` (0..datasize-1; larger amounts are
/// reduced modulo the width, which is what the variable shifts need).
#[inline]
pub fn shift_reg(v: u64, shift: u32, amount: u32, sf: bool) -> u64 {
    let w = datasize(sf);
    let a = amount % w;
    let v = trunc(sf, v);
    match shift & 3 {
        SHIFT_LSL => trunc(sf, v << a),
        SHIFT_LSR => v >> a,
        SHIFT_ASR => trunc(sf, (sign_extend(v, w) as i64 >> a) as u64),
        _ => ror(v, a, w),
    }
}

/// ExtendReg: extends register value `v` with extend type `option` (UXTB..SXTX) and shifts it
/// left by `shift` (0..=4), for a `sf`-sized operation.
#[inline]
pub fn extend_reg(v: u64, option: u32, shift: u32, sf: bool) -> u64 {
    let signed = option & 4 != 0;
    let len = 8u32 << (option & 3);
    let x = v & ones(len);
    let x = if signed { sign_extend(x, len) } else { x };
    trunc(sf, x << (shift & 7))
}

/// HighestSetBit-based CountLeadingZeroBits of a `width`-bit value.
pub fn count_leading_zeros(v: u64, width: u32) -> u32 {
    let v = v & ones(width);
    v.leading_zeros() - (64 - width)
}

/// CountLeadingSignBits: the number of bits after the sign bit that equal it.
pub fn count_leading_sign_bits(v: u64, width: u32) -> u32 {
    let v = v & ones(width);
    // x<N-1:1> EOR x<N-2:0>, a (width-1)-bit value
    let t = ((v >> 1) ^ v) & ones(width - 1);
    count_leading_zeros(t, width - 1)
}

/// Reverses the order of the low `width` bits of `v`.
pub fn bit_reverse(v: u64, width: u32) -> u64 {
    v.reverse_bits() >> (64 - width)
}

/// REV16/REV32/REV (Arm ARM "Reverse" with a container size): reverses the bytes inside
/// each `container`-bit container (16, 32 or 64) of a `sf`-sized value.
pub fn reverse_bytes(v: u64, container: u32, sf: bool) -> u64 {
    let w = datasize(sf);
    let mut r = 0u64;
    let mut pos = 0;
    while pos < w {
        let c = (v >> pos) & ones(container);
        let rc = c.swap_bytes() >> (64 - container);
        r |= rc << pos;
        pos += container;
    }
    trunc(sf, r)
}

/// UDIV: unsigned division rounding towards zero; division by zero gives 0.
pub fn udiv(n: u64, m: u64, sf: bool) -> u64 {
    let n = trunc(sf, n);
    let m = trunc(sf, m);
    n.checked_div(m).unwrap_or(0)
}

/// SDIV: signed division rounding towards zero; division by zero gives 0 and
/// INT_MIN / -1 gives INT_MIN (the exact quotient truncated to the width).
pub fn sdiv(n: u64, m: u64, sf: bool) -> u64 {
    if sf {
        let (n, m) = (n as i64, m as i64);
        if m == 0 {
            0
        } else {
            n.wrapping_div(m) as u64
        }
    } else {
        let (n, m) = (n as u32 as i32, m as u32 as i32);
        if m == 0 {
            0
        } else {
            n.wrapping_div(m) as u32 as u64
        }
    }
}

/// MADD/MSUB: a +/- n*m truncated to the width.
pub fn mul_add(a: u64, n: u64, m: u64, sub: bool, sf: bool) -> u64 {
    let p = n.wrapping_mul(m);
    trunc(sf, if sub { a.wrapping_sub(p) } else { a.wrapping_add(p) })
}

/// SMADDL/SMSUBL/UMADDL/UMSUBL: a +/- (32-bit n) * (32-bit m), 64-bit result.
pub fn mul_add_long(a: u64, n: u64, m: u64, sub: bool, signed: bool) -> u64 {
    let p = if signed {
        (n as u32 as i32 as i64).wrapping_mul(m as u32 as i32 as i64) as u64
    } else {
        (n & 0xffff_ffff).wrapping_mul(m & 0xffff_ffff)
    };
    if sub {
        a.wrapping_sub(p)
    } else {
        a.wrapping_add(p)
    }
}

/// SMULH: bits 127:64 of the signed 128-bit product.
pub fn smulh(n: u64, m: u64) -> u64 {
    ((n as i64 as i128 * m as i64 as i128) >> 64) as u64
}

/// UMULH: bits 127:64 of the unsigned 128-bit product.
pub fn umulh(n: u64, m: u64) -> u64 {
    ((n as u128 * m as u128) >> 64) as u64
}

/// Bitfield move (SBFM/BFM/UBFM) given the DecodeBitMasks masks: `dst` is the old Rd
/// (used by BFM only), `src` is Rn, `r`/`s` are immr/imms.
#[allow(clippy::too_many_arguments)]
pub fn bitfield(dst: u64, src: u64, r: u32, s: u32, wmask: u64, tmask: u64, inzero: bool, extend: bool, sf: bool) -> u64 {
    let w = datasize(sf);
    let dst = if inzero { 0 } else { trunc(sf, dst) };
    let src = trunc(sf, src);
    let bot = (dst & !wmask) | (ror(src, r, w) & wmask);
    let top = if extend {
        if (src >> (s & (w - 1))) & 1 == 1 {
            ones(w)
        } else {
            0
        }
    } else {
        dst
    };
    trunc(sf, (top & !tmask) | (bot & tmask))
}

/// EXTR: bits lsb+datasize-1:lsb of n:m.
pub fn extr(n: u64, m: u64, lsb: u32, sf: bool) -> u64 {
    let w = datasize(sf);
    let n = trunc(sf, n);
    let m = trunc(sf, m);
    let lsb = lsb % w;
    if lsb == 0 {
        m
    } else {
        trunc(sf, (m >> lsb) | (n << (w - lsb)))
    }
}

/// CRC-32 polynomial 0x04C11DB7 (CRC32B/H/W/X), bit-reflected.
pub const CRC32_POLY_REFLECTED: u32 = 0xEDB8_8320;
/// CRC-32C (Castagnoli) polynomial 0x1EDC6F41 (CRC32CB/H/W/X), bit-reflected.
pub const CRC32C_POLY_REFLECTED: u32 = 0x82F6_3B78;

/// One reflected CRC step over 8 bits, done bit by bit (the definition).
const fn crc_byte_bitwise(mut crc: u32, poly_reflected: u32) -> u32 {
    let mut k = 0;
    while k < 8 {
        let lsb = crc & 1;
        crc >>= 1;
        if lsb != 0 {
            crc ^= poly_reflected;
        }
        k += 1;
    }
    crc
}

const fn crc_table(poly_reflected: u32) -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = crc_byte_bitwise(i as u32, poly_reflected);
        i += 1;
    }
    t
}

static CRC32_TABLE: [u32; 256] = crc_table(CRC32_POLY_REFLECTED);
static CRC32C_TABLE: [u32; 256] = crc_table(CRC32C_POLY_REFLECTED);

/// CRC32*/CRC32C*: updates the accumulator `acc` with the low `bytes` bytes (1, 2, 4 or 8)
/// of `val`, least significant byte first. The Arm ARM computes
/// `BitReverse(Poly32Mod2(BitReverse(acc):Zeros(size) EOR BitReverse(val):Zeros(32), poly))`,
/// which is the bit-reflected CRC update without pre- or post-inversion. `poly_reflected`
/// is `CRC32_POLY_REFLECTED` or `CRC32C_POLY_REFLECTED` (table-driven) or any other
/// reflected polynomial (bitwise).
pub fn crc32(acc: u32, val: u64, bytes: u32, poly_reflected: u32) -> u32 {
    let table = match poly_reflected {
        CRC32_POLY_REFLECTED => Some(&CRC32_TABLE),
        CRC32C_POLY_REFLECTED => Some(&CRC32C_TABLE),
        _ => None,
    };
    let mut crc = acc;
    for i in 0..bytes.min(8) {
        let b = ((val >> (8 * i)) & 0xff) as u32;
        crc = match table {
            Some(t) => t[((crc ^ b) & 0xff) as usize] ^ (crc >> 8),
            None => crc_byte_bitwise(crc ^ b, poly_reflected),
        };
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values below were worked out by hand from the Arm ARM pseudo-code, or are
    // published check values; none is computed by the functions under test.

    #[test]
    fn add_with_carry_flags_64() {
        // 0 + 0: Z
        assert_eq!(add_with_carry(0, 0, false, true), (0, Z));
        // 0x7fff.. + 1: signed overflow, negative result
        assert_eq!(add_with_carry(0x7fff_ffff_ffff_ffff, 1, false, true), (0x8000_0000_0000_0000, N | V));
        // 0xffff.. + 1: carry out, zero
        assert_eq!(add_with_carry(u64::MAX, 1, false, true), (0, Z | C));
        // SUBS x, x: x + NOT(x) + 1 = 0 with carry (no borrow)
        assert_eq!(add_with_carry(5, !5u64, true, true), (0, Z | C));
        // 3 - 5 = -2: borrow (C=0), N
        assert_eq!(add_with_carry(3, !5u64, true, true), (0xffff_ffff_ffff_fffe, N));
        // INT_MIN - 1: overflow, positive, carry set (no borrow)
        assert_eq!(add_with_carry(0x8000_0000_0000_0000, !1u64, true, true), (0x7fff_ffff_ffff_ffff, C | V));
    }

    #[test]
    fn add_with_carry_flags_32() {
        assert_eq!(add_with_carry(0x7fff_ffff, 1, false, false), (0x8000_0000, N | V));
        assert_eq!(add_with_carry(0xffff_ffff, 1, false, false), (0, Z | C));
        // upper input bits are ignored
        assert_eq!(add_with_carry(0xdead_0000_0000_0001, 0xbeef_0000_0000_0001, false, false), (2, 0));
        // 0x80000000 + 0x80000000 = 0 with C and V
        assert_eq!(add_with_carry(0x8000_0000, 0x8000_0000, false, false), (0, Z | C | V));
        // 0xffffffff + 0xffffffff + 1 = 0xffffffff carry, N; signed: -1 + -1 + 1 = -1, no V
        assert_eq!(add_with_carry(0xffff_ffff, 0xffff_ffff, true, false), (0xffff_ffff, N | C));
    }

    #[test]
    fn conditions() {
        // (cond, nzcv, expected)
        let cases = [
            (0x0, Z, true),
            (0x1, Z, false),
            (0x2, C, true),
            (0x3, C, false),
            (0x4, N, true),
            (0x5, 0, true),
            (0x6, V, true),
            (0x7, V, false),
            (0x8, C, true),      // HI: C && !Z
            (0x8, C | Z, false), // HI
            (0x9, C | Z, true),  // LS
            (0xa, N | V, true),  // GE
            (0xb, N, true),      // LT
            (0xc, 0, true),      // GT
            (0xc, Z, false),     // GT
            (0xd, Z, true),      // LE
            (0xe, 0, true),      // AL
            (0xf, 0, true),      // NV behaves as AL
            (0xf, N | Z | C | V, true),
        ];
        for (cond, nzcv, want) in cases {
            assert_eq!(condition_holds(cond, nzcv), want, "cond {cond:#x} nzcv {nzcv:#x}");
        }
    }

    #[test]
    fn bit_masks_known() {
        // N=1 immr=0 imms=0: esize 64, S=0 -> 1
        assert_eq!(logical_imm(true, 1, 0, 0), Some(1));
        // N=0 immr=0 imms=0b111100: esize 2, S=0 -> 01 repeated = 0x5555...
        assert_eq!(logical_imm(true, 0, 0, 0b111100), Some(0x5555_5555_5555_5555));
        assert_eq!(logical_imm(false, 0, 0, 0b111100), Some(0x5555_5555));
        // N=0 immr=1 imms=0b111100: 01 rotated right by 1 -> 10 -> 0xaaaa...
        assert_eq!(logical_imm(true, 0, 1, 0b111100), Some(0xaaaa_aaaa_aaaa_aaaa));
        // N=0 imms=0b000111 (esize 32, S=7), immr=0 -> 0xff in each 32-bit element
        assert_eq!(logical_imm(true, 0, 0, 0b000111), Some(0x0000_00ff_0000_00ff));
        // N=1 imms=0b111110 (S=62), immr=0 -> 63 ones
        assert_eq!(logical_imm(true, 1, 0, 0b111110), Some(0x7fff_ffff_ffff_ffff));
        // N=1 imms=0 immr=1 -> 1 ROR 1 = bit 63
        assert_eq!(logical_imm(true, 1, 1, 0), Some(0x8000_0000_0000_0000));
        // reserved values
        assert_eq!(logical_imm(true, 1, 0, 0b111111), None);
        assert_eq!(logical_imm(true, 0, 0, 0b111110), None);
        assert_eq!(logical_imm(true, 0, 0, 0b111111), None);
        assert_eq!(logical_imm(true, 0, 0, 0b011111), None);
        assert_eq!(logical_imm(false, 1, 0, 0), None);
    }

    #[test]
    fn bit_masks_bitfield() {
        // UBFM X, #8, #15 (= UBFX #8, #8): R=8 S=15: wmask = ones(16) ROR 8 =
        // 0xff000000000000ff, tmask = ones(15-8+1) = 0xff
        assert_eq!(decode_bit_masks(1, 15, 8, false, 64), Some((0xff00_0000_0000_00ff, 0xff)));
        // LSL W, #4 = UBFM W, #28, #27: S=27 R=28: welem = ones(28) ROR 28 in 32 bits =
        // 0xfffffff0; d = (27-28) mod 32 = 31 -> tmask = 0xffffffff
        assert_eq!(decode_bit_masks(0, 27, 28, false, 32), Some((0xffff_fff0, 0xffff_ffff)));
        // imms=111111 is allowed for bitfields: SBFM X, #0, #63 = ASR #0 = all masks ones
        assert_eq!(decode_bit_masks(1, 63, 0, false, 64), Some((u64::MAX, u64::MAX)));
    }

    #[test]
    fn bitfield_ops() {
        // UBFX x, 0x1234_5678_9abc_def0, #8, #8 -> 0xde
        let (w, t) = (0xff00_0000_0000_00ff, 0xff);
        assert_eq!(bitfield(0xffff, 0x1234_5678_9abc_def0, 8, 15, w, t, true, false, true), 0xde);
        // SBFX ... -> sign of 0xde is 1 -> 0xffff_ffff_ffff_ffde
        assert_eq!(bitfield(0, 0x1234_5678_9abc_def0, 8, 15, w, t, true, true, true), 0xffff_ffff_ffff_ffde);
        // BFXIL dst=0x1111_1111_1111_1111: low byte replaced
        assert_eq!(bitfield(0x1111_1111_1111_1111, 0x1234_5678_9abc_def0, 8, 15, w, t, false, false, true), 0x1111_1111_1111_11de);
        // LSL W, #4 (UBFM W, #28, #27) of 0x8765_4321 -> 0x7654_3210
        assert_eq!(bitfield(0, 0x8765_4321, 28, 27, 0xffff_fff0, 0xffff_ffff, true, false, false), 0x7654_3210);
    }

    #[test]
    fn shifts_and_extends() {
        assert_eq!(shift_reg(0x8000_0001, SHIFT_LSL, 1, false), 2);
        assert_eq!(shift_reg(0x8000_0000, SHIFT_ASR, 4, false), 0xf800_0000);
        assert_eq!(shift_reg(0x8000_0000, SHIFT_ASR, 4, true), 0x0800_0000);
        assert_eq!(shift_reg(0x8000_0000_0000_0000, SHIFT_ASR, 63, true), u64::MAX);
        assert_eq!(shift_reg(0x0000_0001, SHIFT_ROR, 1, false), 0x8000_0000);
        assert_eq!(shift_reg(0x1, SHIFT_ROR, 4, true), 0x1000_0000_0000_0000);
        assert_eq!(shift_reg(0xf0, SHIFT_LSR, 4, true), 0xf);
        // variable shifts use amount MOD datasize
        assert_eq!(shift_reg(1, SHIFT_LSL, 33, false), 2);
        assert_eq!(shift_reg(1, SHIFT_LSL, 65, true), 2);
        // SXTB of 0x80 shifted by 4 -> 0xffff_ffff_ffff_f800
        assert_eq!(extend_reg(0x1280, 4, 4, true), 0xffff_ffff_ffff_f800);
        // UXTH
        assert_eq!(extend_reg(0xdead_beef, 1, 0, true), 0xbeef);
        // SXTW to 32-bit op = just the value
        assert_eq!(extend_reg(0x8000_0000, 6, 1, false), 0);
        // UXTX, LSL 3
        assert_eq!(extend_reg(0x1000_0000_0000_0001, 3, 3, true), 0x8000_0000_0000_0008);
    }

    #[test]
    fn counts_and_reverses() {
        assert_eq!(count_leading_zeros(0, 64), 64);
        assert_eq!(count_leading_zeros(0, 32), 32);
        assert_eq!(count_leading_zeros(1, 32), 31);
        assert_eq!(count_leading_zeros(0x8000_0000, 32), 0);
        assert_eq!(count_leading_sign_bits(0, 64), 63);
        assert_eq!(count_leading_sign_bits(u64::MAX, 64), 63);
        assert_eq!(count_leading_sign_bits(0xffff_ffff, 32), 31);
        assert_eq!(count_leading_sign_bits(0x4000_0000, 32), 0);
        assert_eq!(count_leading_sign_bits(0xc000_0000, 32), 1);
        assert_eq!(count_leading_sign_bits(1, 32), 30);
        assert_eq!(bit_reverse(1, 32), 0x8000_0000);
        assert_eq!(bit_reverse(0x1, 64), 0x8000_0000_0000_0000);
        assert_eq!(reverse_bytes(0x1122_3344_5566_7788, 16, true), 0x2211_4433_6655_8877);
        assert_eq!(reverse_bytes(0x1122_3344_5566_7788, 32, true), 0x4433_2211_8877_6655);
        assert_eq!(reverse_bytes(0x1122_3344_5566_7788, 64, true), 0x8877_6655_4433_2211);
        assert_eq!(reverse_bytes(0x5566_7788, 32, false), 0x8877_6655);
        assert_eq!(reverse_bytes(0x5566_7788, 16, false), 0x6655_8877);
    }

    #[test]
    fn division() {
        assert_eq!(udiv(7, 2, true), 3);
        assert_eq!(udiv(7, 0, true), 0);
        assert_eq!(udiv(0x1_0000_0007, 2, false), 3);
        assert_eq!(sdiv(-7i64 as u64, 2, true), -3i64 as u64);
        assert_eq!(sdiv(i64::MIN as u64, -1i64 as u64, true), i64::MIN as u64);
        assert_eq!(sdiv(0x8000_0000, 0xffff_ffff, false), 0x8000_0000);
        assert_eq!(sdiv(5, 0, false), 0);
        assert_eq!(sdiv(0xffff_fff9, 2, false), 0xffff_fffd); // -7/2 = -3
    }

    #[test]
    fn multiplies() {
        assert_eq!(smulh(-1i64 as u64, 1), u64::MAX);
        assert_eq!(umulh(u64::MAX, u64::MAX), 0xffff_ffff_ffff_fffe);
        assert_eq!(smulh(i64::MIN as u64, i64::MIN as u64), 0x4000_0000_0000_0000);
        assert_eq!(mul_add_long(0, 0xffff_ffff, 2, false, true), -2i64 as u64);
        assert_eq!(mul_add_long(0, 0xffff_ffff, 2, false, false), 0x1_ffff_fffe);
        assert_eq!(mul_add_long(10, 3, 4, true, false), -2i64 as u64);
        assert_eq!(mul_add(1, 0x1_0000_0000, 2, false, false), 1);
    }

    #[test]
    fn extract() {
        assert_eq!(extr(0x1, 0x8000_0000_0000_0000, 63, true), 3);
        assert_eq!(extr(0x1234_5678, 0x9abc_def0, 16, false), 0x5678_9abc);
        assert_eq!(extr(0x1234_5678, 0x9abc_def0, 0, false), 0x9abc_def0);
    }

    #[test]
    fn crc_check_values() {
        // The standard check values over "123456789" with initial value and final XOR of
        // 0xffffffff: CRC-32 = 0xCBF43926, CRC-32C = 0xE3069283.
        let data = b"123456789";
        let mut c = 0xffff_ffffu32;
        for &b in data {
            c = crc32(c, b as u64, 1, CRC32_POLY_REFLECTED);
        }
        assert_eq!(!c, 0xCBF4_3926);
        let mut c = 0xffff_ffffu32;
        for &b in data {
            c = crc32(c, b as u64, 1, CRC32C_POLY_REFLECTED);
        }
        assert_eq!(!c, 0xE306_9283);
        // Wider updates are the same as byte-wise ones, little-endian.
        let mut c = 0xffff_ffffu32;
        c = crc32(c, u64::from_le_bytes(*b"12345678"), 8, CRC32_POLY_REFLECTED);
        c = crc32(c, b'9' as u64, 1, CRC32_POLY_REFLECTED);
        assert_eq!(!c, 0xCBF4_3926);
        let mut c = 0xffff_ffffu32;
        c = crc32(c, u32::from_le_bytes(*b"1234") as u64, 4, CRC32C_POLY_REFLECTED);
        c = crc32(c, u16::from_le_bytes(*b"56") as u64, 2, CRC32C_POLY_REFLECTED);
        c = crc32(c, u16::from_le_bytes(*b"78") as u64, 2, CRC32C_POLY_REFLECTED);
        c = crc32(c, b'9' as u64, 1, CRC32C_POLY_REFLECTED);
        assert_eq!(!c, 0xE306_9283);
    }

    #[test]
    fn crc_table_matches_bitwise() {
        // the table-driven update against the bit-by-bit definition
        let mut x = 0x1234_5678_9abc_def0u64;
        for _ in 0..1000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let acc = (x >> 32) as u32;
            for poly in [CRC32_POLY_REFLECTED, CRC32C_POLY_REFLECTED] {
                let mut want = acc;
                for i in 0..8 {
                    want = crc_byte_bitwise(want ^ ((x >> (8 * i)) & 0xff) as u32, poly);
                }
                assert_eq!(crc32(acc, x, 8, poly), want);
            }
        }
    }
}
