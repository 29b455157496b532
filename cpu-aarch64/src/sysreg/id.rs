//! Identification register values of the emulated Cortex-A72 r0p3 (Cortex-A72 TRM,
//! chapter 4 "System Control"), adjusted where lsemu's PE differs from the silicon: it
//! implements AArch64 only (no AArch32 at any EL), so the AArch64 EL fields read 0b0001
//! and the AArch32 ID registers read as zero.

/// ID_AA64PFR0_EL1: EL0..EL3 AArch64 only (0b0001 each), FP and AdvSIMD implemented
/// (0b0000), GIC system register interface implemented (bits 27:24 = 0b0001).
pub const ID_AA64PFR0: u64 = 0x0100_1111;
pub const ID_AA64PFR1: u64 = 0;
/// ID_AA64DFR0_EL1 (TRM value 0x10305106): DebugVer v8 (6), TraceVer 0 (no system
/// register trace interface), PMUVer v3 (1), BRPs 6 (5), WRPs 4 (3), CTX_CMPs 2 (1).
pub const ID_AA64DFR0: u64 = 0x1030_5106;
pub const ID_AA64DFR1: u64 = 0;
pub const ID_AA64AFR0: u64 = 0;
pub const ID_AA64AFR1: u64 = 0;
/// ID_AA64ISAR0_EL1: AES + PMULL (2), SHA1 (1), SHA2 (1), CRC32 (1).
pub const ID_AA64ISAR0: u64 = 0x0001_1120;
pub const ID_AA64ISAR1: u64 = 0;
/// ID_AA64MMFR0_EL1 (TRM value 0x00001124): PARange 44 bits (0b0100), 16-bit ASIDs (2),
/// mixed endian (1), Secure/Non-secure memory distinction (1), 4K and 64K granules
/// (TGran4 = TGran64 = 0), no 16K granule (TGran16 = 0).
pub const ID_AA64MMFR0: u64 = 0x0000_1124;
pub const ID_AA64MMFR1: u64 = 0;

/// CTR_EL0 (TRM 0x8444C004): 64-byte I and D minimum lines, ERG/CWG 64 bytes, PIPT L1I.
pub const CTR_EL0: u64 = 0x8444_c004;
/// DCZID_EL0.BS: log2 of the DC ZVA block size in words (4 -> 64 bytes).
pub const DCZID_BS: u64 = 4;
/// DC ZVA block size in bytes.
pub const DCZVA_BYTES: u64 = 4 << DCZID_BS;
/// CLIDR_EL1 (TRM 0x0A200023): L1 separate I/D, L2 unified, LoUU 1, LoC 2, LoUIS 1.
pub const CLIDR: u64 = 0x0a20_0023;
/// CCSIDR_EL1 for L1 D (32 KB, 2-way), L1 I (48 KB, 3-way), L2 (1 MB, 16-way; the
/// LS2088A's L2 size), all with 64-byte lines.
pub const CCSIDR_L1D: u64 = 0x701f_e00a;
pub const CCSIDR_L1I: u64 = 0x201f_e012;
pub const CCSIDR_L2: u64 = 0x707f_e07a;
pub const REVIDR: u64 = 0;
pub const AIDR: u64 = 0;

/// Number of PMU event counters (PMCR_EL0.N).
pub const PMU_COUNTERS: u32 = 6;
/// PMCR_EL0 reset: IMP 0x41 (Arm), IDCODE 0x02 (Cortex-A72), N = 6.
pub const PMCR_RESET: u64 = 0x4102_0000 | (PMU_COUNTERS as u64) << 11;
/// PMCEID0_EL0/PMCEID1_EL0 (TRM): the common events the Cortex-A72 implements.
pub const PMCEID0: u64 = 0x7fff_0f3f;
pub const PMCEID1: u64 = 0;
/// Breakpoints and watchpoints (ID_AA64DFR0_EL1.BRPs + 1, WRPs + 1).
pub const NUM_BRPS: usize = 6;
pub const NUM_WRPS: usize = 4;
/// DBGAUTHSTATUS_EL1: all debug authentication interfaces implemented and enabled.
pub const DBGAUTHSTATUS: u64 = 0xff;

/// Value of an ID register in the ID space `op0=3, op1=0, CRn=0, CRm=1..7`. Encodings the
/// architecture reserves there read as zero (RAZ), as do the AArch32 ID registers of a PE
/// without AArch32.
pub fn id_space(crm: u8, op2: u8) -> u64 {
    match (crm, op2) {
        (4, 0) => ID_AA64PFR0,
        (4, 1) => ID_AA64PFR1,
        (5, 0) => ID_AA64DFR0,
        (5, 1) => ID_AA64DFR1,
        (5, 4) => ID_AA64AFR0,
        (5, 5) => ID_AA64AFR1,
        (6, 0) => ID_AA64ISAR0,
        (6, 1) => ID_AA64ISAR1,
        (7, 0) => ID_AA64MMFR0,
        (7, 1) => ID_AA64MMFR1,
        _ => 0,
    }
}

/// Name of an ID register of the ID space, for the table and traces.
pub fn id_name(crm: u8, op2: u8) -> &'static str {
    match (crm, op2) {
        (1, 0) => "ID_PFR0_EL1",
        (1, 1) => "ID_PFR1_EL1",
        (1, 2) => "ID_DFR0_EL1",
        (1, 3) => "ID_AFR0_EL1",
        (1, 4) => "ID_MMFR0_EL1",
        (1, 5) => "ID_MMFR1_EL1",
        (1, 6) => "ID_MMFR2_EL1",
        (1, 7) => "ID_MMFR3_EL1",
        (2, 0) => "ID_ISAR0_EL1",
        (2, 1) => "ID_ISAR1_EL1",
        (2, 2) => "ID_ISAR2_EL1",
        (2, 3) => "ID_ISAR3_EL1",
        (2, 4) => "ID_ISAR4_EL1",
        (2, 5) => "ID_ISAR5_EL1",
        (3, 0) => "MVFR0_EL1",
        (3, 1) => "MVFR1_EL1",
        (3, 2) => "MVFR2_EL1",
        (4, 0) => "ID_AA64PFR0_EL1",
        (4, 1) => "ID_AA64PFR1_EL1",
        (5, 0) => "ID_AA64DFR0_EL1",
        (5, 1) => "ID_AA64DFR1_EL1",
        (5, 4) => "ID_AA64AFR0_EL1",
        (5, 5) => "ID_AA64AFR1_EL1",
        (6, 0) => "ID_AA64ISAR0_EL1",
        (6, 1) => "ID_AA64ISAR1_EL1",
        (7, 0) => "ID_AA64MMFR0_EL1",
        (7, 1) => "ID_AA64MMFR1_EL1",
        _ => "ID_RESERVED",
    }
}

/// CCSIDR_EL1 for a CSSELR_EL1 value. Unimplemented cache levels read 0 (UNKNOWN).
pub fn ccsidr(csselr: u64) -> u64 {
    match csselr & 0xf {
        0 => CCSIDR_L1D,
        1 => CCSIDR_L1I,
        2 => CCSIDR_L2,
        _ => 0,
    }
}
