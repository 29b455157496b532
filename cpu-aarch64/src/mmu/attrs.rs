//! Memory attributes: MAIR decoding, stage-2 MemAttr, and the combination of stage-1 and
//! stage-2 attributes (Arm ARM D5.5, the ASL CombineS1S2Desc).
//!
//! Attributes are carried in the MAIR_ELx one-byte format (what PAR_EL1.ATTR reports):
//! 0b0000ddxx is Device (dd = nGnRnE, nGnRE, nGRE, GRE), anything else Normal with the
//! outer attributes in bits 7:4 and the inner ones in bits 3:0.

use super::MemType;

/// Device-nGnRnE in MAIR format.
pub const DEVICE_NGNRNE: u8 = 0x00;
/// Normal, Inner/Outer Write-Back Read/Write-Allocate non-transient.
pub const NORMAL_WB: u8 = 0xff;
/// Normal, Inner/Outer Non-cacheable.
pub const NORMAL_NC: u8 = 0x44;
/// Normal, Inner/Outer Write-Through Read-Allocate no Write-Allocate.
pub const NORMAL_WT: u8 = 0xaa;

/// Shareability field values (descriptor SH[1:0], PAR_EL1.SH).
pub const SH_NON: u8 = 0b00;
pub const SH_OUTER: u8 = 0b10;
pub const SH_INNER: u8 = 0b11;

/// The MAIR attribute byte for `AttrIndx`.
#[inline]
pub fn mair_attr(mair: u64, idx: u64) -> u8 {
    (mair >> ((idx & 7) * 8)) as u8
}

#[inline]
pub fn is_device(attr: u8) -> bool {
    attr & 0xf0 == 0
}

#[inline]
pub fn mem_type(attr: u8) -> MemType {
    if is_device(attr) { MemType::Device } else { MemType::Normal }
}

/// Cacheability of one MAIR nibble: 1 = Non-cacheable, 2 = Write-Through, 3 = Write-Back.
/// 0b0000 (UNPREDICTABLE as a Normal nibble) is taken as Non-cacheable.
fn nibble_cacheability(n: u8) -> u8 {
    match n & 0xf {
        0b0100 | 0b0000 => 1,
        0b0001..=0b0011 => 2, // Write-Through transient
        0b0101..=0b0111 => 3, // Write-Back transient
        0b1000..=0b1011 => 2,
        _ => 3,
    }
}

/// Whether `attr` is Normal Non-cacheable (inner and outer).
fn is_normal_nc(attr: u8) -> bool {
    !is_device(attr) && nibble_cacheability(attr >> 4) == 1 && nibble_cacheability(attr) == 1
}

/// The stage-2 MemAttr[3:0] field (descriptor bits 5:2) as a MAIR-format byte (for
/// stage-2-only reporting). Stage 2 carries no allocation hints: report Read/Write-Allocate.
pub fn s2_attr_to_mair(memattr: u8) -> u8 {
    let outer = (memattr >> 2) & 3;
    let inner = memattr & 3;
    if outer == 0 {
        return inner << 2;
    }
    let nib = |c: u8| match c {
        1 => 0x4,
        2 => 0xb,
        _ => 0xf,
    };
    // Inner 0b00 with a Normal outer is UNPREDICTABLE: taken as Non-cacheable.
    let inner = if inner == 0 { 1 } else { inner };
    nib(outer) << 4 | nib(inner)
}

/// Combines stage-1 attributes (MAIR format) with stage-2 MemAttr[3:0]: the stronger
/// memory type and the weaker cacheability win; stage-1 allocation hints are kept.
pub fn combine(s1: u8, s2: u8) -> u8 {
    let s2_outer = (s2 >> 2) & 3;
    let s2_inner = s2 & 3;
    let s1_dev = is_device(s1);
    if s1_dev || s2_outer == 0 {
        // Device: nGnRnE (0) is the strongest, GRE (3) the weakest; Normal counts as GRE.
        let d1 = if s1_dev { (s1 >> 2) & 3 } else { 3 };
        let d2 = if s2_outer == 0 { s2_inner } else { 3 };
        return d1.min(d2) << 2;
    }
    let comb = |n1: u8, c2: u8| -> u8 {
        let c2 = if c2 == 0 { 1 } else { c2 };
        let c1 = nibble_cacheability(n1);
        if c1 <= c2 {
            n1 & 0xf
        } else if c2 == 1 {
            0x4
        } else {
            // Write-Back weakened to Write-Through: clear bit 2 (11RW -> 10RW, 01RW -> 00RW).
            n1 & 0xb
        }
    };
    comb(s1 >> 4, s2_outer) << 4 | comb(s1, s2_inner)
}

fn sh_rank(sh: u8) -> u8 {
    match sh & 3 {
        SH_INNER => 1,
        SH_OUTER => 2,
        // 0b01 is reserved (CONSTRAINED UNPREDICTABLE): taken as Non-shareable.
        _ => 0,
    }
}

/// The more shareable of two SH values.
pub fn combine_sh(a: u8, b: u8) -> u8 {
    if sh_rank(a) >= sh_rank(b) { a & 3 } else { b & 3 }
}

/// Shareability as reported: Device and Normal Non-cacheable memory is always Outer
/// Shareable (Arm ARM B2.7.1; PAR_EL1.SH reports 0b10 for them).
pub fn effective_sh(attr: u8, sh: u8) -> u8 {
    if is_device(attr) || is_normal_nc(attr) {
        SH_OUTER
    } else if sh & 3 == 0b01 {
        SH_NON
    } else {
        sh & 3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mair_decoding() {
        // MAIR = attr0 0x00 (Device-nGnRnE), attr1 0x04 (nGnRE), attr2 0xff, attr3 0x44.
        let mair = 0x44ff_0400u64;
        assert_eq!(mair_attr(mair, 0), 0x00);
        assert_eq!(mair_attr(mair, 1), 0x04);
        assert_eq!(mair_attr(mair, 2), 0xff);
        assert_eq!(mair_attr(mair, 3), 0x44);
        assert_eq!(mair_attr(mair, 7), 0x00);
        assert_eq!(mem_type(0x0c), MemType::Device);
        assert_eq!(mem_type(0x44), MemType::Normal);
        assert_eq!(mem_type(0xff), MemType::Normal);
    }

    #[test]
    fn s1_s2_combination() {
        // Normal WB (0xff) + stage-2 Normal WB (MemAttr 0b1111): stays 0xff.
        assert_eq!(combine(0xff, 0b1111), 0xff);
        // Normal WB + stage-2 Normal NC (0b0101): Non-cacheable.
        assert_eq!(combine(0xff, 0b0101), 0x44);
        // Normal WB + stage-2 Write-Through (0b1010): WT with the stage-1 hints (0xbb).
        assert_eq!(combine(0xff, 0b1010), 0xbb);
        // Normal WB + stage-2 Device-nGnRE (0b0001): Device-nGnRE (0x04).
        assert_eq!(combine(0xff, 0b0001), 0x04);
        // Device-GRE (0x0c) + stage-2 Device-nGnRnE (0b0000): nGnRnE.
        assert_eq!(combine(0x0c, 0b0000), 0x00);
        // Device-nGnRE + stage-2 Normal: stage-1 Device type stays.
        assert_eq!(combine(0x04, 0b1111), 0x04);
        assert_eq!(combine_sh(SH_NON, SH_INNER), SH_INNER);
        assert_eq!(combine_sh(SH_OUTER, SH_INNER), SH_OUTER);
        assert_eq!(effective_sh(0x00, SH_NON), SH_OUTER);
        assert_eq!(effective_sh(0xff, SH_INNER), SH_INNER);
    }
}
