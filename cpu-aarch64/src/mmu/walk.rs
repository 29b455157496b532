//! Translation table walks (Arm ARM D5.2-D5.4, the ASL AArch64.TranslationTableWalk) for
//! stage 1 (VMSAv8-64, 4K/16K/64K granules, 48-bit VA max) and stage 2 (with
//! concatenated starting tables).
//!
//! Descriptors are read little-endian: SCTLR_ELx.EE = 1 (big-endian walks) is not
//! supported and is treated as EE = 0.

use super::fault::{Fault, FaultKind};
use super::PA_MAX_BITS;

/// Translation granule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granule {
    K4,
    K16,
    K64,
}

/// Whether this PE implements the 16KB granule. The Cortex-A72 does not
/// (ID_AA64MMFR0_EL1.TGran16 = 0); TG encodings selecting it then select 4KB, the
/// IMPLEMENTATION DEFINED choice "as if an implemented size" the Arm ARM allows.
pub const TGRAN16_IMPLEMENTED: bool = false;

impl Granule {
    /// log2 of the granule size in bytes.
    #[inline]
    pub fn bits(self) -> u32 {
        match self {
            Granule::K4 => 12,
            Granule::K16 => 14,
            Granule::K64 => 16,
        }
    }
    /// Address bits resolved per level.
    #[inline]
    pub fn stride(self) -> u32 {
        self.bits() - 3
    }
    /// The first level at which a block descriptor is allowed (ARMv8.0, no 52-bit PA).
    #[inline]
    pub fn first_block_level(self) -> i32 {
        match self {
            Granule::K4 => 1,
            _ => 2,
        }
    }
    /// TCR_ELx.TG0 / VTCR_EL2.TG0 encoding: 00 4KB, 01 64KB, 10 16KB (11 reserved).
    pub fn from_tg0(tg: u64) -> Self {
        match tg & 3 {
            0b01 => Granule::K64,
            0b10 if TGRAN16_IMPLEMENTED => Granule::K16,
            // Reserved (11) or unimplemented: treated as 4KB (IMPLEMENTATION DEFINED).
            _ => Granule::K4,
        }
    }
    /// TCR_EL1.TG1 encoding: 01 16KB, 10 4KB, 11 64KB (00 reserved).
    pub fn from_tg1(tg: u64) -> Self {
        match tg & 3 {
            0b11 => Granule::K64,
            0b01 if TGRAN16_IMPLEMENTED => Granule::K16,
            _ => Granule::K4,
        }
    }
    /// Starting level of a stage-1 walk for an input address size (ASL:
    /// `4 - RoundUp((inputsize - grainsize) / stride)`).
    pub fn s1_start_level(self, inputsize: u32) -> i32 {
        let s = self.stride();
        let n = inputsize.saturating_sub(self.bits()).div_ceil(s);
        4 - n as i32
    }
}

/// Decodes a TCR IPS/PS or VTCR PS field to an output address size in bits, limited to
/// the implemented PA size. Reserved values (0b110, 0b111) are taken as the maximum.
pub fn decode_ps(ps: u64) -> u32 {
    let bits = match ps & 7 {
        0 => 32,
        1 => 36,
        2 => 40,
        3 => 42,
        4 => 44,
        _ => 48,
    };
    bits.min(PA_MAX_BITS)
}

/// Bits `hi..=lo` of `v`, in place (not shifted).
#[inline]
pub fn field(v: u64, hi: u32, lo: u32) -> u64 {
    if lo > hi || lo >= 64 {
        return 0;
    }
    let m = if hi >= 63 { u64::MAX } else { (1u64 << (hi + 1)) - 1 };
    v & m & !((1u64 << lo) - 1)
}

/// Whether bits 47..outputsize of `v` are all zero (the output address fits).
#[inline]
fn oa_fits(v: u64, outputsize: u32) -> bool {
    outputsize >= 48 || field(v, 47, outputsize) == 0
}

/// Everything a walk needs, already decoded from the control registers.
#[derive(Debug, Clone, Copy)]
pub struct WalkParams {
    pub granule: Granule,
    /// Input address size in bits (64 - TxSZ).
    pub inputsize: u32,
    pub start_level: i32,
    /// The TTBRx/VTTBR register value (BADDR in bits 47:1).
    pub ttbr: u64,
    /// Output address size in bits.
    pub outputsize: u32,
    pub stage2: bool,
    /// EL2 or EL3 regime: APTable[0] and PXNTable are ignored.
    pub single_priv: bool,
    /// The walk starts in Secure state (table reads Secure until NSTable is seen).
    pub secure: bool,
}

/// The leaf of a successful walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leaf {
    /// The output address of the input address (block/page base + offset).
    pub oa: u64,
    pub level: u8,
    /// log2 of the block or page size.
    pub block_log2: u8,
    /// The block or page descriptor.
    pub desc: u64,
    /// Output is Non-secure (stage 1).
    pub ns: bool,
    /// Hierarchical APTable[1:0] accumulated.
    pub ap_table: u8,
    /// UXNTable (XNTable in EL2/EL3) accumulated.
    pub xn_table: bool,
    pub pxn_table: bool,
}

/// Reads one descriptor: (table address, Non-secure, level) -> descriptor. For a stage-1
/// walk under stage 2 this translates the table address first.
pub type ReadDesc<'a> = dyn FnMut(u64, bool, u8) -> Result<u64, Fault> + 'a;

fn fault(p: &WalkParams, kind: FaultKind, level: i32, ia: u64) -> Fault {
    let level = level.clamp(0, 3) as u8;
    if p.stage2 { Fault::s2(kind, level, ia, false) } else { Fault::s1(kind, level) }
}

/// Walks the tables for input address `ia` (already checked to be inside the input
/// range). Faults are stage-1 or stage-2 faults as `p.stage2` says; `read` produces its own.
pub fn walk(p: &WalkParams, ia: u64, read: &mut ReadDesc) -> Result<Leaf, Fault> {
    let grain = p.granule.bits();
    let stride = p.granule.stride();
    let mut level = p.start_level;
    if !(0..=3).contains(&level) {
        return Err(fault(p, FaultKind::Translation, 0, ia));
    }
    // Index bits resolved at the starting level (may exceed `stride` for concatenated
    // stage-2 tables), and the alignment of the starting table.
    let first_bits = p.inputsize as i32 - ((3 - level) * stride as i32 + grain as i32);
    if first_bits < 1 {
        return Err(fault(p, FaultKind::Translation, 0, ia));
    }
    if !oa_fits(p.ttbr, p.outputsize) {
        return Err(fault(p, FaultKind::AddressSize, 0, ia));
    }
    let baselowerbound = 3 + first_bits as u32;
    let mut base = field(p.ttbr, 47, baselowerbound);
    let mut top = p.inputsize - 1;
    let mut ns_table = !p.secure;
    let mut ap_table = 0u8;
    let mut xn_table = false;
    let mut pxn_table = false;
    let (desc, bottom) = loop {
        let bottom = (3 - level) as u32 * stride + grain;
        let index = field(ia, top, bottom) >> bottom;
        let desc = read(base | index << 3, ns_table, level as u8)?;
        if desc & 1 == 0 || (desc & 3 == 1 && level == 3) {
            // Invalid (x0), or block encoding at level 3 (reserved).
            return Err(fault(p, FaultKind::Translation, level, ia));
        }
        if desc & 3 == 1 || level == 3 {
            break (desc, bottom);
        }
        // Table descriptor.
        if !oa_fits(desc, p.outputsize) {
            return Err(fault(p, FaultKind::AddressSize, level, ia));
        }
        base = field(desc, 47, grain);
        if !p.stage2 {
            ns_table |= desc >> 63 & 1 == 1;
            ap_table |= ((desc >> 62) & 1) as u8 * 2;
            xn_table |= desc >> 60 & 1 == 1;
            if !p.single_priv {
                pxn_table |= desc >> 59 & 1 == 1;
                ap_table |= ((desc >> 61) & 1) as u8;
            }
        }
        level += 1;
        top = bottom - 1;
    };
    if level < p.granule.first_block_level() {
        return Err(fault(p, FaultKind::Translation, level, ia));
    }
    if !oa_fits(desc, p.outputsize) {
        return Err(fault(p, FaultKind::AddressSize, level, ia));
    }
    if desc >> 10 & 1 == 0 {
        // ARMv8.0 has no hardware Access flag management.
        return Err(fault(p, FaultKind::AccessFlag, level, ia));
    }
    let oa = field(desc, 47, bottom) | (ia & ((1u64 << bottom) - 1));
    let ns = if p.secure { ns_table || desc >> 5 & 1 == 1 } else { true };
    Ok(Leaf { oa, level: level as u8, block_log2: bottom as u8, desc, ns, ap_table, xn_table, pxn_table })
}

/// Stage-2 walk parameters from VTCR_EL2/VTTBR_EL2, or the level-0 stage-2 translation
/// fault a misprogrammed VTCR_EL2 gives.
pub fn s2_params(vtcr: u64, vttbr: u64, ipa: u64) -> Result<WalkParams, Fault> {
    let granule = Granule::from_tg0(vtcr >> 14);
    let t0sz = (vtcr & 63) as u32;
    let fail = Err(Fault::s2(FaultKind::Translation, 0, ipa, false));
    // T0SZ above 39 is CONSTRAINED UNPREDICTABLE: treated as 39 (FORCE).
    let inputsize = 64 - t0sz.min(39);
    // An input size above the implemented PA size (44 bits) is CONSTRAINED
    // UNPREDICTABLE: lsemu chooses the translation fault.
    if inputsize > PA_MAX_BITS {
        return fail;
    }
    let sl0 = ((vtcr >> 6) & 3) as i32;
    let level = match granule {
        Granule::K4 => 2 - sl0,
        _ => 3 - sl0,
    };
    // Level 0 is only for the 4KB granule and for PA sizes above 42 bits (ours is 44).
    let min_level = if granule == Granule::K4 { 0 } else { 1 };
    if level < min_level {
        return fail;
    }
    let stride = granule.stride() as i32;
    let startsize = inputsize as i32 - ((3 - level) * stride + granule.bits() as i32);
    // The starting level must have at least 2 entries and at most 16 concatenated tables.
    if startsize < 1 || startsize > stride + 4 {
        return fail;
    }
    if field(ipa, 63, inputsize) != 0 {
        return fail;
    }
    Ok(WalkParams {
        granule,
        inputsize,
        start_level: level,
        ttbr: vttbr,
        outputsize: decode_ps(vtcr >> 16),
        stage2: true,
        single_priv: true,
        secure: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_levels() {
        // 4KB: 48-bit -> level 0, 39-bit -> 1, 30-bit -> 2, 25-bit -> 2 (13 bits: 2 levels).
        assert_eq!(Granule::K4.s1_start_level(48), 0);
        assert_eq!(Granule::K4.s1_start_level(40), 0);
        assert_eq!(Granule::K4.s1_start_level(39), 1);
        assert_eq!(Granule::K4.s1_start_level(30), 2);
        assert_eq!(Granule::K4.s1_start_level(25), 2);
        // 16KB: 48 -> 0 (one bit at level 0), 47 -> 1, 36 -> 2.
        assert_eq!(Granule::K16.s1_start_level(48), 0);
        assert_eq!(Granule::K16.s1_start_level(47), 1);
        assert_eq!(Granule::K16.s1_start_level(36), 2);
        // 64KB: 48 -> 1, 42 -> 2, 29 -> 3.
        assert_eq!(Granule::K64.s1_start_level(48), 1);
        assert_eq!(Granule::K64.s1_start_level(42), 2);
        assert_eq!(Granule::K64.s1_start_level(29), 3);
    }

    #[test]
    fn tg_encodings() {
        assert_eq!(Granule::from_tg0(0), Granule::K4);
        assert_eq!(Granule::from_tg0(1), Granule::K64);
        assert_eq!(Granule::from_tg1(2), Granule::K4);
        assert_eq!(Granule::from_tg1(3), Granule::K64);
        assert_eq!(decode_ps(2), 40);
        assert_eq!(decode_ps(5), 44);
    }

    #[test]
    fn s2_start_level_checks() {
        // 4KB, T0SZ = 24 (40-bit IPA), SL0 = 1 (level 1): 40 - (2*9+12) = 10 bits = 2
        // concatenated tables: valid.
        assert!(s2_params(24 | 1 << 6, 0, 0).is_ok());
        // Same with SL0 = 0 (level 2): 40 - (9+12) = 19 bits > 9+4: invalid.
        assert!(s2_params(24, 0, 0).is_err());
        // 4KB, SL0 = 3: reserved.
        assert!(s2_params(24 | 3 << 6, 0, 0).is_err());
        // T0SZ = 16 (48-bit IPA) > 44-bit PA: fault (lsemu's choice).
        assert!(s2_params(16 | 2 << 6, 0, 0).is_err());
        // 64KB (TG0 = 01), T0SZ = 22 (42 bits), SL0 = 1 (level 2): 42 - (13+16) = 13 bits.
        assert!(s2_params(22 | 1 << 6 | 1 << 14, 0, 0).is_ok());
        // IPA above the input range: level-0 translation fault.
        assert_eq!(
            s2_params(24 | 1 << 6, 0, 1 << 40).unwrap_err(),
            Fault::s2(FaultKind::Translation, 0, 1 << 40, false)
        );
    }
}
