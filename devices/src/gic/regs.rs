//! Register offsets of the GIC-500 frames (Arm IHI 0069, GICv3/v4 architecture
//! specification, chapter 12 "Programmers' model"; Arm DDI 0516, GIC-500 TRM, chapter 3).
//! Offsets are relative to the start of each frame.

/// Distributor (GICD), 64 KiB. IHI 0069 §12.9.
pub mod gicd {
    #[doc(alias = "GICD_CTLR")]
    pub const CTLR: u64 = 0x0000;
    #[doc(alias = "GICD_TYPER")]
    pub const TYPER: u64 = 0x0004;
    #[doc(alias = "GICD_IIDR")]
    pub const IIDR: u64 = 0x0008;
    #[doc(alias = "GICD_STATUSR")]
    pub const STATUSR: u64 = 0x0010;
    #[doc(alias = "GICD_IGROUPR")]
    pub const IGROUPR: u64 = 0x0080;
    #[doc(alias = "GICD_ISENABLER")]
    pub const ISENABLER: u64 = 0x0100;
    #[doc(alias = "GICD_ICENABLER")]
    pub const ICENABLER: u64 = 0x0180;
    #[doc(alias = "GICD_ISPENDR")]
    pub const ISPENDR: u64 = 0x0200;
    #[doc(alias = "GICD_ICPENDR")]
    pub const ICPENDR: u64 = 0x0280;
    #[doc(alias = "GICD_ISACTIVER")]
    pub const ISACTIVER: u64 = 0x0300;
    #[doc(alias = "GICD_ICACTIVER")]
    pub const ICACTIVER: u64 = 0x0380;
    #[doc(alias = "GICD_IPRIORITYR")]
    pub const IPRIORITYR: u64 = 0x0400;
    #[doc(alias = "GICD_ITARGETSR")]
    pub const ITARGETSR: u64 = 0x0800;
    #[doc(alias = "GICD_ICFGR")]
    pub const ICFGR: u64 = 0x0C00;
    #[doc(alias = "GICD_IGRPMODR")]
    pub const IGRPMODR: u64 = 0x0D00;
    #[doc(alias = "GICD_NSACR")]
    pub const NSACR: u64 = 0x0E00;
    #[doc(alias = "GICD_SGIR")]
    pub const SGIR: u64 = 0x0F00;
    #[doc(alias = "GICD_CPENDSGIR")]
    pub const CPENDSGIR: u64 = 0x0F10;
    #[doc(alias = "GICD_SPENDSGIR")]
    pub const SPENDSGIR: u64 = 0x0F20;
    /// `GICD_IROUTER<n>` at 0x6000 + 8n, n = 32..1019.
    #[doc(alias = "GICD_IROUTER")]
    pub const IROUTER: u64 = 0x6000;
    #[doc(alias = "GICD_PIDR4")]
    pub const PIDR4: u64 = 0xFFD0;
    #[doc(alias = "GICD_PIDR2")]
    pub const PIDR2: u64 = 0xFFE8;
    #[doc(alias = "GICD_CIDR3")]
    pub const CIDR3: u64 = 0xFFFC;

    pub const CTLR_RWP: u32 = 1 << 31;
    pub const CTLR_E1NWF: u32 = 1 << 7;
    pub const CTLR_DS: u32 = 1 << 6;
    pub const CTLR_ARE_NS: u32 = 1 << 5;
    pub const CTLR_ARE_S: u32 = 1 << 4;
    pub const CTLR_ENABLE_GRP1S: u32 = 1 << 2;
    pub const CTLR_ENABLE_GRP1NS: u32 = 1 << 1;
    pub const CTLR_ENABLE_GRP0: u32 = 1 << 0;
    /// Non-secure view (DS = 0): ARE_NS at bit 4, EnableGrp1A at bit 1.
    pub const CTLR_NS_ARE_NS: u32 = 1 << 4;
    pub const CTLR_NS_ENABLE_GRP1A: u32 = 1 << 1;
}

/// Redistributor RD_base frame (first 64 KiB of each redistributor). IHI 0069 §12.10.
pub mod gicr {
    #[doc(alias = "GICR_CTLR")]
    pub const CTLR: u64 = 0x0000;
    #[doc(alias = "GICR_IIDR")]
    pub const IIDR: u64 = 0x0004;
    #[doc(alias = "GICR_TYPER")]
    pub const TYPER: u64 = 0x0008;
    #[doc(alias = "GICR_STATUSR")]
    pub const STATUSR: u64 = 0x0010;
    #[doc(alias = "GICR_WAKER")]
    pub const WAKER: u64 = 0x0014;
    #[doc(alias = "GICR_PROPBASER")]
    pub const PROPBASER: u64 = 0x0070;
    #[doc(alias = "GICR_PENDBASER")]
    pub const PENDBASER: u64 = 0x0078;
    #[doc(alias = "GICR_INVLPIR")]
    pub const INVLPIR: u64 = 0x00A0;
    #[doc(alias = "GICR_INVALLR")]
    pub const INVALLR: u64 = 0x00B0;
    #[doc(alias = "GICR_SYNCR")]
    pub const SYNCR: u64 = 0x00C0;
    #[doc(alias = "GICR_PIDR2")]
    pub const PIDR2: u64 = 0xFFE8;

    pub const CTLR_ENABLE_LPIS: u32 = 1 << 0;
    pub const WAKER_PROCESSOR_SLEEP: u32 = 1 << 1;
    pub const WAKER_CHILDREN_ASLEEP: u32 = 1 << 2;
    pub const TYPER_PLPIS: u64 = 1 << 0;
    pub const TYPER_LAST: u64 = 1 << 4;
}

/// Redistributor SGI_base frame (second 64 KiB). IHI 0069 §12.10.
pub mod gicr_sgi {
    #[doc(alias = "GICR_IGROUPR0")]
    pub const IGROUPR0: u64 = 0x0080;
    #[doc(alias = "GICR_ISENABLER0")]
    pub const ISENABLER0: u64 = 0x0100;
    #[doc(alias = "GICR_ICENABLER0")]
    pub const ICENABLER0: u64 = 0x0180;
    #[doc(alias = "GICR_ISPENDR0")]
    pub const ISPENDR0: u64 = 0x0200;
    #[doc(alias = "GICR_ICPENDR0")]
    pub const ICPENDR0: u64 = 0x0280;
    #[doc(alias = "GICR_ISACTIVER0")]
    pub const ISACTIVER0: u64 = 0x0300;
    #[doc(alias = "GICR_ICACTIVER0")]
    pub const ICACTIVER0: u64 = 0x0380;
    /// GICR_IPRIORITYR0..7.
    #[doc(alias = "GICR_IPRIORITYR")]
    pub const IPRIORITYR: u64 = 0x0400;
    #[doc(alias = "GICR_ICFGR0")]
    pub const ICFGR0: u64 = 0x0C00;
    #[doc(alias = "GICR_ICFGR1")]
    pub const ICFGR1: u64 = 0x0C04;
    #[doc(alias = "GICR_IGRPMODR0")]
    pub const IGRPMODR0: u64 = 0x0D00;
    #[doc(alias = "GICR_NSACR")]
    pub const NSACR: u64 = 0x0E00;
}

/// Identification registers common to the frames (CoreSight layout, IHI 0069 §12.1.?,
/// GIC-500 TRM "Identification registers"): PIDR4..7 at 0xFFD0, PIDR0..3 at 0xFFE0,
/// CIDR0..3 at 0xFFF0. `part0` is the low byte of the part number (GICD 0x92, GICR 0x93,
/// ITS 0x94 on the GIC-500).
pub fn id_reg(off: u64, part0: u8) -> Option<u32> {
    Some(match off {
        0xFFD0 => 0x44, // PIDR4: 4KB count = 4 (64 KiB), JEP106 continuation 4 (Arm)
        0xFFD4..=0xFFDC => 0,
        0xFFE0 => part0 as u32,
        0xFFE4 => 0xB4, // PIDR1: JEP106 id bits[3:0] = 0xB (Arm 0x43B), part_1 = 4
        0xFFE8 => 0x3B, // PIDR2: ArchRev = 3 (GICv3), JEDEC = 1, JEP106 id bits[6:4] = 3
        0xFFEC => 0x00, // PIDR3
        0xFFF0 => 0x0D,
        0xFFF4 => 0xF0,
        0xFFF8 => 0x05,
        0xFFFC => 0xB1,
        _ => return None,
    })
}
