//! Semantics of the cryptographic extension (AES, SHA-1, SHA-256) and polynomial multiply,
//! after the Arm ARM pseudo-code (AESSubBytes, AESShiftRows, AESMixColumns, SHA1/SHA256
//! helpers, PolynomialMult). Pure functions on `u128` register values (element 0 in the low
//! bits, byte i of the AES state = bits 8i+7:8i, column-major as in FIPS-197).

/// Multiplication by x in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1.
const fn xtime(b: u8) -> u8 {
    (b << 1) ^ if b & 0x80 != 0 { 0x1b } else { 0 }
}

/// Multiplication in GF(2^8) (the AES field).
const fn gmul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            p ^= a;
        }
        a = xtime(a);
        b >>= 1;
    }
    p
}

/// The AES S-box, derived from its definition (FIPS-197 5.1.1): multiplicative inverse in
/// GF(2^8) followed by the affine transformation with constant 0x63.
const fn make_sbox() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0usize;
    while i < 256 {
        // inverse = i^254 (0 maps to 0)
        let x = i as u8;
        let mut inv = 1u8;
        let mut k = 0;
        while k < 254 {
            inv = gmul(inv, x);
            k += 1;
        }
        if x == 0 {
            inv = 0;
        }
        let s = inv ^ inv.rotate_left(1) ^ inv.rotate_left(2) ^ inv.rotate_left(3) ^ inv.rotate_left(4) ^ 0x63;
        t[i] = s;
        i += 1;
    }
    t
}

const fn invert(s: &[u8; 256]) -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0usize;
    while i < 256 {
        t[s[i] as usize] = i as u8;
        i += 1;
    }
    t
}

/// FIPS-197 S-box.
pub static SBOX: [u8; 256] = make_sbox();
/// FIPS-197 inverse S-box.
pub static INV_SBOX: [u8; 256] = invert(&SBOX);

#[inline]
fn to_bytes(v: u128) -> [u8; 16] {
    v.to_le_bytes()
}
#[inline]
fn from_bytes(b: [u8; 16]) -> u128 {
    u128::from_le_bytes(b)
}

/// AESSubBytes.
pub fn aes_sub_bytes(v: u128) -> u128 {
    from_bytes(to_bytes(v).map(|b| SBOX[b as usize]))
}

/// AESInvSubBytes.
pub fn aes_inv_sub_bytes(v: u128) -> u128 {
    from_bytes(to_bytes(v).map(|b| INV_SBOX[b as usize]))
}

/// AESShiftRows: row r (bytes r, r+4, r+8, r+12) rotates left by r columns.
pub fn aes_shift_rows(v: u128) -> u128 {
    let i = to_bytes(v);
    let mut o = [0u8; 16];
    for c in 0..4 {
        for r in 0..4 {
            o[r + 4 * c] = i[r + 4 * ((c + r) % 4)];
        }
    }
    from_bytes(o)
}

/// AESInvShiftRows.
pub fn aes_inv_shift_rows(v: u128) -> u128 {
    let i = to_bytes(v);
    let mut o = [0u8; 16];
    for c in 0..4 {
        for r in 0..4 {
            o[r + 4 * ((c + r) % 4)] = i[r + 4 * c];
        }
    }
    from_bytes(o)
}

fn mix(v: u128, m: [u8; 4]) -> u128 {
    let i = to_bytes(v);
    let mut o = [0u8; 16];
    for c in 0..4 {
        let col = [i[4 * c], i[4 * c + 1], i[4 * c + 2], i[4 * c + 3]];
        for r in 0..4 {
            o[4 * c + r] = gmul(m[0], col[r])
                ^ gmul(m[1], col[(r + 1) % 4])
                ^ gmul(m[2], col[(r + 2) % 4])
                ^ gmul(m[3], col[(r + 3) % 4]);
        }
    }
    from_bytes(o)
}

/// AESMixColumns (FIPS-197 5.1.3).
pub fn aes_mix_columns(v: u128) -> u128 {
    mix(v, [2, 3, 1, 1])
}

/// AESInvMixColumns (FIPS-197 5.3.3).
pub fn aes_inv_mix_columns(v: u128) -> u128 {
    mix(v, [0x0e, 0x0b, 0x0d, 0x09])
}

/// AESE: SubBytes(ShiftRows(d EOR n)).
pub fn aese(d: u128, n: u128) -> u128 {
    aes_sub_bytes(aes_shift_rows(d ^ n))
}

/// AESD: InvSubBytes(InvShiftRows(d EOR n)).
pub fn aesd(d: u128, n: u128) -> u128 {
    aes_inv_sub_bytes(aes_inv_shift_rows(d ^ n))
}

#[inline]
fn elem32(v: u128, e: u32) -> u32 {
    (v >> (32 * e)) as u32
}

#[inline]
fn from_elems32(e: [u32; 4]) -> u128 {
    e[0] as u128 | (e[1] as u128) << 32 | (e[2] as u128) << 64 | (e[3] as u128) << 96
}

/// SHAchoose.
#[inline]
pub fn sha_choose(x: u32, y: u32, z: u32) -> u32 {
    ((y ^ z) & x) ^ z
}
/// SHAmajority.
#[inline]
pub fn sha_majority(x: u32, y: u32, z: u32) -> u32 {
    (x & y) | ((x | y) & z)
}
/// SHAparity.
#[inline]
pub fn sha_parity(x: u32, y: u32, z: u32) -> u32 {
    x ^ y ^ z
}

/// The SHA-1 round function selected by SHA1C/SHA1P/SHA1M.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sha1Fn {
    Choose,
    Parity,
    Majority,
}

/// SHA1C/SHA1P/SHA1M: four SHA-1 rounds. `x` = Qd (a,b,c,d in elements 0..3), `y` = Sn (e),
/// `w` = Vm (four words already added to the round constant). Returns the new Qd.
pub fn sha1_hash_update(x: u128, y: u32, w: u128, f: Sha1Fn) -> u128 {
    let mut x = [elem32(x, 0), elem32(x, 1), elem32(x, 2), elem32(x, 3)];
    let mut y = y;
    for e in 0..4 {
        let t = match f {
            Sha1Fn::Choose => sha_choose(x[1], x[2], x[3]),
            Sha1Fn::Parity => sha_parity(x[1], x[2], x[3]),
            Sha1Fn::Majority => sha_majority(x[1], x[2], x[3]),
        };
        y = y.wrapping_add(x[0].rotate_left(5)).wrapping_add(t).wrapping_add(elem32(w, e));
        x[1] = x[1].rotate_left(30);
        // <Y, X> = ROL(Y : X, 32)
        let top = x[3];
        x = [y, x[0], x[1], x[2]];
        y = top;
    }
    from_elems32(x)
}

/// SHA1H: ROL(Sn, 30).
pub fn sha1h(n: u32) -> u32 {
    n.rotate_left(30)
}

/// SHA1SU0.
pub fn sha1su0(d: u128, n: u128, m: u128) -> u128 {
    let r = (n << 64) | (d >> 64);
    r ^ d ^ m
}

/// SHA1SU1.
pub fn sha1su1(d: u128, n: u128) -> u128 {
    let t = d ^ (n >> 32);
    let t = [elem32(t, 0), elem32(t, 1), elem32(t, 2), elem32(t, 3)];
    from_elems32([
        t[0].rotate_left(1),
        t[1].rotate_left(1),
        t[2].rotate_left(1),
        t[3].rotate_left(1) ^ t[0].rotate_left(2),
    ])
}

fn sigma0_hash(x: u32) -> u32 {
    x.rotate_right(2) ^ x.rotate_right(13) ^ x.rotate_right(22)
}
fn sigma1_hash(x: u32) -> u32 {
    x.rotate_right(6) ^ x.rotate_right(11) ^ x.rotate_right(25)
}

/// SHA256hash(X, Y, W, part1): four SHA-256 rounds. X = a,b,c,d and Y = e,f,g,h (element 0
/// first). Returns X when `part1` (SHA256H), else Y (SHA256H2).
pub fn sha256_hash(x: u128, y: u128, w: u128, part1: bool) -> u128 {
    let mut x = [elem32(x, 0), elem32(x, 1), elem32(x, 2), elem32(x, 3)];
    let mut y = [elem32(y, 0), elem32(y, 1), elem32(y, 2), elem32(y, 3)];
    for e in 0..4 {
        let chs = sha_choose(y[0], y[1], y[2]);
        let maj = sha_majority(x[0], x[1], x[2]);
        let t = y[3].wrapping_add(sigma1_hash(y[0])).wrapping_add(chs).wrapping_add(elem32(w, e));
        x[3] = t.wrapping_add(x[3]);
        y[3] = t.wrapping_add(sigma0_hash(x[0])).wrapping_add(maj);
        // <Y, X> = ROL(Y : X, 32)
        let (x3, y3) = (x[3], y[3]);
        x = [y3, x[0], x[1], x[2]];
        y = [x3, y[0], y[1], y[2]];
    }
    from_elems32(if part1 { x } else { y })
}

/// SHA256H: Qd = SHA256hash(Qd, Qn, Vm, TRUE).
pub fn sha256h(d: u128, n: u128, m: u128) -> u128 {
    sha256_hash(d, n, m, true)
}

/// SHA256H2: Qd = SHA256hash(Qn, Qd, Vm, FALSE).
pub fn sha256h2(d: u128, n: u128, m: u128) -> u128 {
    sha256_hash(n, d, m, false)
}

/// SHA256SU0.
pub fn sha256su0(d: u128, n: u128) -> u128 {
    let t = (n << 96) | (d >> 32);
    let mut r = [0u32; 4];
    for (e, out) in r.iter_mut().enumerate() {
        let elt = elem32(t, e as u32);
        let elt = elt.rotate_right(7) ^ elt.rotate_right(18) ^ (elt >> 3);
        *out = elt.wrapping_add(elem32(d, e as u32));
    }
    from_elems32(r)
}

/// SHA256SU1.
pub fn sha256su1(d: u128, n: u128, m: u128) -> u128 {
    let t0 = (m << 96) | (n >> 32);
    let s1 = |x: u32| x.rotate_right(17) ^ x.rotate_right(19) ^ (x >> 10);
    let mut r = [0u32; 4];
    for e in 0..2u32 {
        let elt = s1(elem32(m, 2 + e));
        r[e as usize] = elt.wrapping_add(elem32(d, e)).wrapping_add(elem32(t0, e));
    }
    for e in 2..4u32 {
        let elt = s1(r[(e - 2) as usize]);
        r[e as usize] = elt.wrapping_add(elem32(d, e)).wrapping_add(elem32(t0, e));
    }
    from_elems32(r)
}

/// PolynomialMult of two `bits`-bit values (bits <= 64): the carry-less product.
pub fn poly_mul(a: u64, b: u64, bits: u32) -> u128 {
    let mut r = 0u128;
    for i in 0..bits.min(64) {
        if (a >> i) & 1 == 1 {
            r ^= (b as u128) << i;
        }
    }
    r
}

/// PMULL/PMULL2 with 8-bit elements: the eight bytes of `n` and `m` (the selected 64-bit
/// halves) multiplied pairwise into eight 16-bit products.
pub fn pmull_8(n: u64, m: u64) -> u128 {
    let mut r = 0u128;
    for e in 0..8 {
        let a = (n >> (8 * e)) & 0xff;
        let b = (m >> (8 * e)) & 0xff;
        r |= (poly_mul(a, b, 8) & 0xffff) << (16 * e);
    }
    r
}

/// PMULL/PMULL2 with 64-bit elements: the 128-bit carry-less product.
pub fn pmull_64(n: u64, m: u64) -> u128 {
    poly_mul(n, m, 64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 16-byte string as FIPS-197 writes it (byte 0 first) -> register value.
    fn st(hex: &str) -> u128 {
        let hex: String = hex.chars().filter(|c| !c.is_whitespace()).collect();
        let mut b = [0u8; 16];
        for (i, out) in b.iter_mut().enumerate() {
            *out = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        u128::from_le_bytes(b)
    }

    #[test]
    fn sbox_entries_from_fips197() {
        // FIPS-197 Figure 7 and Figure 14 spot checks.
        assert_eq!(SBOX[0x00], 0x63);
        assert_eq!(SBOX[0x53], 0xed);
        assert_eq!(SBOX[0xff], 0x16);
        assert_eq!(SBOX[0x10], 0xca);
        assert_eq!(INV_SBOX[0x00], 0x52);
        assert_eq!(INV_SBOX[0xed], 0x53);
    }

    #[test]
    fn fips197_appendix_b_round1() {
        // FIPS-197 Appendix B, round 1: input, round key 0, state after SubBytes+ShiftRows
        // and after MixColumns.
        let input = st("32 43 f6 a8 88 5a 30 8d 31 31 98 a2 e0 37 07 34");
        let k0 = st("2b 7e 15 16 28 ae d2 a6 ab f7 15 88 09 cf 4f 3c");
        let after_sr = st("d4 bf 5d 30 e0 b4 52 ae b8 41 11 f1 1e 27 98 e5");
        let after_mc = st("04 66 81 e5 e0 cb 19 9a 48 f8 d3 7a 28 06 26 4c");
        assert_eq!(aese(input, k0), after_sr);
        assert_eq!(aes_mix_columns(after_sr), after_mc);
        assert_eq!(aes_inv_mix_columns(after_mc), after_sr);
        // AESD undoes AESE's SubBytes/ShiftRows: InvShiftRows(InvSubBytes(x)) ^ k0 = input
        assert_eq!(aesd(after_sr, 0), input ^ k0);
    }

    /// FIPS-197 5.2 key expansion for AES-128 (test helper, uses the S-box checked above).
    fn expand(key: u128) -> [u128; 11] {
        let mut w = [0u32; 44];
        for (i, wi) in w.iter_mut().enumerate().take(4) {
            *wi = (key >> (32 * i)) as u32; // bytes in memory order
        }
        let mut rcon = 1u8;
        for i in 4..44 {
            let mut t = w[i - 1];
            if i % 4 == 0 {
                t = t.rotate_right(8); // RotWord on little-endian byte order
                let b = t.to_le_bytes().map(|x| SBOX[x as usize]);
                t = u32::from_le_bytes(b) ^ rcon as u32;
                rcon = xtime(rcon);
            }
            w[i] = w[i - 4] ^ t;
        }
        let mut rk = [0u128; 11];
        for (r, k) in rk.iter_mut().enumerate() {
            *k = from_elems32([w[4 * r], w[4 * r + 1], w[4 * r + 2], w[4 * r + 3]]);
        }
        rk
    }

    #[test]
    fn fips197_appendix_c1_encrypt_decrypt() {
        // FIPS-197 Appendix C.1 (AES-128), with the A64 instruction sequence
        // AESE+AESMC for rounds 1..9, AESE + EOR for the last round.
        let key = st("00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f");
        let pt = st("00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff");
        let ct = st("69 c4 e0 d8 6a 7b 04 30 d8 cd b7 80 70 b4 c5 5a");
        let rk = expand(key);
        // FIPS-197 A.1: last round key of the example key 2b7e1516...
        assert_eq!(expand(st("2b 7e 15 16 28 ae d2 a6 ab f7 15 88 09 cf 4f 3c"))[10], st("d0 14 f9 a8 c9 ee 25 89 e1 3f 0c c8 b6 63 0c a6"));
        let mut s = pt;
        for k in rk.iter().take(9) {
            s = aes_mix_columns(aese(s, *k));
        }
        s = aese(s, rk[9]) ^ rk[10];
        assert_eq!(s, ct);
        // Equivalent inverse cipher: AESD+AESIMC with InvMixColumns applied to round keys.
        let mut s = ct;
        s = aes_inv_mix_columns(aesd(s, rk[10]));
        for r in (2..10).rev() {
            s = aes_inv_mix_columns(aesd(s, aes_inv_mix_columns(rk[r])));
        }
        s = aesd(s, aes_inv_mix_columns(rk[1])) ^ rk[0];
        assert_eq!(s, pt);
    }

    fn be_words(block: &[u8; 64]) -> [u32; 16] {
        let mut w = [0u32; 16];
        for (i, x) in w.iter_mut().enumerate() {
            *x = u32::from_be_bytes([block[4 * i], block[4 * i + 1], block[4 * i + 2], block[4 * i + 3]]);
        }
        w
    }

    fn padded_abc() -> [u8; 64] {
        let mut b = [0u8; 64];
        b[..3].copy_from_slice(b"abc");
        b[3] = 0x80;
        b[63] = 24; // length in bits
        b
    }

    #[test]
    fn fips180_sha1_abc() {
        // FIPS 180-2 Appendix A.1: SHA-1("abc") = a9993e36 4706816a ba3e2571 7850c26c 9cd0d89d,
        // computed with the A64 instruction sequence (SHA1SU0/SU1 schedule, SHA1H/C/P/M).
        let w = be_words(&padded_abc());
        let mut msg = [
            from_elems32([w[0], w[1], w[2], w[3]]),
            from_elems32([w[4], w[5], w[6], w[7]]),
            from_elems32([w[8], w[9], w[10], w[11]]),
            from_elems32([w[12], w[13], w[14], w[15]]),
        ];
        let h0 = [0x6745_2301u32, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476, 0xc3d2_e1f0];
        let mut abcd = from_elems32([h0[0], h0[1], h0[2], h0[3]]);
        let mut e = h0[4];
        for i in 0..20 {
            if i >= 4 {
                let next = sha1su1(sha1su0(msg[0], msg[1], msg[2]), msg[3]);
                msg = [msg[1], msg[2], msg[3], next];
            }
            let cur = if i >= 4 { msg[3] } else { msg[i] };
            let (k, f) = match i / 5 {
                0 => (0x5a82_7999u32, Sha1Fn::Choose),
                1 => (0x6ed9_eba1, Sha1Fn::Parity),
                2 => (0x8f1b_bcdc, Sha1Fn::Majority),
                _ => (0xca62_c1d6, Sha1Fn::Parity),
            };
            let wk = from_elems32([
                elem32(cur, 0).wrapping_add(k),
                elem32(cur, 1).wrapping_add(k),
                elem32(cur, 2).wrapping_add(k),
                elem32(cur, 3).wrapping_add(k),
            ]);
            let e_next = sha1h(elem32(abcd, 0));
            abcd = sha1_hash_update(abcd, e, wk, f);
            e = e_next;
        }
        let out = [
            elem32(abcd, 0).wrapping_add(h0[0]),
            elem32(abcd, 1).wrapping_add(h0[1]),
            elem32(abcd, 2).wrapping_add(h0[2]),
            elem32(abcd, 3).wrapping_add(h0[3]),
            e.wrapping_add(h0[4]),
        ];
        assert_eq!(out, [0xa999_3e36, 0x4706_816a, 0xba3e_2571, 0x7850_c26c, 0x9cd0_d89d]);
    }

    #[test]
    fn fips180_sha256_abc() {
        // FIPS 180-2 Appendix B.1: SHA-256("abc"), computed with SHA256H/H2/SU0/SU1.
        const K: [u32; 64] = [
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
            0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
            0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
            0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
            0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
            0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
            0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
        ];
        let h0 = [
            0x6a09e667u32, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
        ];
        let w = be_words(&padded_abc());
        let mut msg = [
            from_elems32([w[0], w[1], w[2], w[3]]),
            from_elems32([w[4], w[5], w[6], w[7]]),
            from_elems32([w[8], w[9], w[10], w[11]]),
            from_elems32([w[12], w[13], w[14], w[15]]),
        ];
        let mut abcd = from_elems32([h0[0], h0[1], h0[2], h0[3]]);
        let mut efgh = from_elems32([h0[4], h0[5], h0[6], h0[7]]);
        for i in 0..16 {
            if i >= 4 {
                let next = sha256su1(sha256su0(msg[0], msg[1]), msg[2], msg[3]);
                msg = [msg[1], msg[2], msg[3], next];
            }
            let cur = if i >= 4 { msg[3] } else { msg[i] };
            let wk = from_elems32([
                elem32(cur, 0).wrapping_add(K[4 * i]),
                elem32(cur, 1).wrapping_add(K[4 * i + 1]),
                elem32(cur, 2).wrapping_add(K[4 * i + 2]),
                elem32(cur, 3).wrapping_add(K[4 * i + 3]),
            ]);
            let old = abcd;
            abcd = sha256h(abcd, efgh, wk);
            efgh = sha256h2(efgh, old, wk);
        }
        let mut out = [0u32; 8];
        for e in 0..4 {
            out[e] = elem32(abcd, e as u32).wrapping_add(h0[e]);
            out[4 + e] = elem32(efgh, e as u32).wrapping_add(h0[4 + e]);
        }
        assert_eq!(
            out,
            [0xba7816bf, 0x8f01cfea, 0x414140de, 0x5dae2223, 0xb00361a3, 0x96177a9c, 0xb410ff61, 0xf20015ad]
        );
    }

    #[test]
    fn polynomial_multiply() {
        // (x+1)*(x+1) = x^2+1
        assert_eq!(poly_mul(3, 3, 8), 5);
        // 0xff * 0xff carry-less = 0x5555 (sum over i of 0xff<<i, XORed)
        assert_eq!(pmull_8(0xff, 0xff), 0x5555);
        // lane placement: byte 7 of each operand -> bits 127:112
        assert_eq!(pmull_8(0x0200_0000_0000_0000, 0x0300_0000_0000_0000), 0x0006u128 << 112);
        // x^63 * x^63 = x^126
        assert_eq!(pmull_64(1 << 63, 1 << 63), 1u128 << 126);
        // all-ones * all-ones = 0x5555...5555 (127 bits)
        assert_eq!(pmull_64(u64::MAX, u64::MAX), 0x5555_5555_5555_5555_5555_5555_5555_5555);
    }
}
