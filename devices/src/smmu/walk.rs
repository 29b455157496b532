//! The VMSAv8-64 long-descriptor table walk a context bank performs (SMMUv2 IHI 0062
//! chapter 10 defers to the Arm ARM's AArch64 translation regime: D5.2, "the VMSAv8-64
//! translation table format"), for the two granules the LS2088A's MMU-500 implements
//! (SMMU_IDR2.PTFS_4K and PTFS_64K; no 16K). Written for the SMMU rather than shared with
//! the CPU's walker (cpu-aarch64/src/mmu/walk.rs) because devices must not depend on the
//! CPU crate and the SMMU's output size (48 bits, IDR2.OAS) differs from the A72's.
//!
//! Descriptors are read little-endian (SCTLR.E = 0; Linux sets E only for big-endian
//! kernels).

/// Why a walk stopped. The SMMU reports each as one CB_FSR bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkFault {
    /// FSR.TF: invalid descriptor, address outside the input range, bad configuration.
    Translation,
    /// FSR.AFF: the leaf's AF bit is 0.
    AccessFlag,
    /// FSR.ASF: an output or table address does not fit in the output size.
    AddressSize,
    /// FSR.EF: the descriptor read itself failed (nothing at that address).
    External,
}

/// Granule of a context bank's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granule {
    K4,
    K64,
}

impl Granule {
    pub fn bits(self) -> u32 {
        match self {
            Granule::K4 => 12,
            Granule::K64 => 16,
        }
    }
    fn stride(self) -> u32 {
        self.bits() - 3
    }
    /// First level at which a block descriptor is allowed (48-bit OA, no 52-bit).
    fn first_block_level(self) -> i32 {
        match self {
            Granule::K4 => 1,
            Granule::K64 => 2,
        }
    }
}

/// Everything one walk needs, decoded from the context bank's TCR/TCR2/TTBR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkCfg {
    pub granule: Granule,
    /// Input address size in bits (64 - TxSZ).
    pub inputsize: u32,
    pub start_level: i32,
    /// Table base address (TTBR BADDR, already masked to bits 47:x).
    pub ttbr: u64,
    /// Output address size in bits.
    pub outputsize: u32,
    /// Stage-2 descriptors (no APTable/XNTable hierarchy).
    pub stage2: bool,
}

/// The leaf descriptor a walk found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leaf {
    pub oa: u64,
    pub level: u8,
    pub desc: u64,
    /// Hierarchical APTable bits accumulated on the way (bit 1: no write, bit 0: no
    /// unprivileged access); stage 1 only.
    pub ap_table: u8,
}

/// Bits `hi..=lo` of `v`, not shifted.
pub fn bits(v: u64, hi: u32, lo: u32) -> u64 {
    if lo > hi || lo >= 64 {
        return 0;
    }
    let top = if hi >= 63 { u64::MAX } else { (1u64 << (hi + 1)) - 1 };
    v & top & !((1u64 << lo) - 1)
}

/// IDR2.OAS / TCR2.PASIZE / VTCR.PS encodings (0 32, 1 36, 2 40, 3 42, 4 44, 5 48 bits;
/// larger values are reserved and taken as 48, the implemented maximum).
pub fn size_bits(enc: u64) -> u32 {
    match enc & 7 {
        0 => 32,
        1 => 36,
        2 => 40,
        3 => 42,
        4 => 44,
        _ => 48,
    }
}

/// Starting level of a stage-1 walk: enough levels to resolve `inputsize - granule` bits
/// at `stride` bits per level.
pub fn s1_start_level(g: Granule, inputsize: u32) -> i32 {
    4 - inputsize.saturating_sub(g.bits()).div_ceil(g.stride()) as i32
}

/// Walks the tables for `ia`. `read(pa)` reads one 8-byte descriptor; its error is the
/// fault to report (a stage-2 fault on a nested table read, or `External`). The caller
/// has checked that `ia` is inside the input range. Returns the fault and its level.
pub fn walk<E: From<(WalkFault, u8)>>(c: &WalkCfg, ia: u64, read: &mut dyn FnMut(u64, u8) -> Result<u64, E>) -> Result<Leaf, E> {
    let g = c.granule.bits();
    let stride = c.granule.stride();
    let fail = |f: WalkFault, level: i32| E::from((f, level.clamp(0, 3) as u8));
    let mut level = c.start_level;
    if !(0..=3).contains(&level) {
        return Err(fail(WalkFault::Translation, 0));
    }
    // Bits resolved by the first table (more than `stride` for concatenated stage-2
    // starting tables) and so the alignment of its base.
    let first = c.inputsize as i32 - ((3 - level) * stride as i32 + g as i32);
    if first < 1 {
        return Err(fail(WalkFault::Translation, level));
    }
    if c.outputsize < 48 && bits(c.ttbr, 47, c.outputsize) != 0 {
        return Err(fail(WalkFault::AddressSize, level));
    }
    let mut table = bits(c.ttbr, 47, 3 + first as u32);
    let mut top = c.inputsize - 1;
    let mut ap_table = 0u8;
    loop {
        let shift = (3 - level) as u32 * stride + g;
        let index = bits(ia, top, shift) >> shift;
        let desc = read(table.wrapping_add(index * 8), level as u8)?;
        if desc & 1 == 0 {
            return Err(fail(WalkFault::Translation, level));
        }
        let is_table = desc & 2 != 0 && level < 3;
        if !is_table {
            // Block (levels < 3, bit 1 = 0) or page (level 3, bit 1 must be 1).
            if (level == 3 && desc & 2 == 0) || level < c.granule.first_block_level() {
                return Err(fail(WalkFault::Translation, level));
            }
            if c.outputsize < 48 && bits(desc, 47, c.outputsize) != 0 {
                return Err(fail(WalkFault::AddressSize, level));
            }
            if desc & (1 << 10) == 0 {
                return Err(fail(WalkFault::AccessFlag, level));
            }
            let oa = bits(desc, 47, shift) | (ia & ((1u64 << shift) - 1));
            return Ok(Leaf { oa, level: level as u8, desc, ap_table });
        }
        if c.outputsize < 48 && bits(desc, 47, c.outputsize) != 0 {
            return Err(fail(WalkFault::AddressSize, level));
        }
        if !c.stage2 {
            // APTable[1] (bit 62): no writes below; APTable[0] (bit 61): no EL0 access.
            ap_table |= ((desc >> 61) & 3) as u8;
        }
        table = bits(desc, 47, g);
        top = shift - 1;
        level += 1;
    }
}
