//! System registers: storage (`SysRegs`), encodings, and (in `table.rs`) the access table
//! with the trap/UNDEFINED rules per EL.

/// op0, op1, CRn, CRm, op2 of an MRS/MSR/SYS encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SysRegEnc {
    pub op0: u8,
    pub op1: u8,
    pub crn: u8,
    pub crm: u8,
    pub op2: u8,
}

impl SysRegEnc {
    pub const fn new(op0: u8, op1: u8, crn: u8, crm: u8, op2: u8) -> Self {
        SysRegEnc { op0, op1, crn, crm, op2 }
    }
    /// From the 16-bit `o0:op1:CRn:CRm:op2` field of MRS/MSR (bits 20:5), op0 = 2 + o0.
    pub const fn from_mrs_field(f: u32) -> Self {
        SysRegEnc {
            op0: 2 + ((f >> 14) & 1) as u8,
            op1: ((f >> 11) & 7) as u8,
            crn: ((f >> 7) & 15) as u8,
            crm: ((f >> 3) & 15) as u8,
            op2: (f & 7) as u8,
        }
    }
}

pub const HCR_VM: u64 = 1 << 0;
pub const HCR_SWIO: u64 = 1 << 1;
pub const HCR_FMO: u64 = 1 << 3;
pub const HCR_IMO: u64 = 1 << 4;
pub const HCR_AMO: u64 = 1 << 5;
pub const HCR_VF: u64 = 1 << 6;
pub const HCR_VI: u64 = 1 << 7;
pub const HCR_VSE: u64 = 1 << 8;
pub const HCR_DC: u64 = 1 << 12;
pub const HCR_TWI: u64 = 1 << 13;
pub const HCR_TWE: u64 = 1 << 14;
pub const HCR_TSC: u64 = 1 << 19;
pub const HCR_TGE: u64 = 1 << 27;
pub const HCR_RW: u64 = 1 << 31;
pub const HCR_E2H: u64 = 1 << 34;

pub const SCR_NS: u64 = 1 << 0;
pub const SCR_IRQ: u64 = 1 << 1;
pub const SCR_FIQ: u64 = 1 << 2;
pub const SCR_EA: u64 = 1 << 3;
pub const SCR_SMD: u64 = 1 << 7;
pub const SCR_HCE: u64 = 1 << 8;
pub const SCR_RW: u64 = 1 << 10;
pub const SCR_ST: u64 = 1 << 11;
pub const SCR_TWI: u64 = 1 << 12;
pub const SCR_TWE: u64 = 1 << 13;

pub const SCTLR_M: u64 = 1 << 0;
pub const SCTLR_A: u64 = 1 << 1;
pub const SCTLR_C: u64 = 1 << 2;
pub const SCTLR_SA: u64 = 1 << 3;
pub const SCTLR_SA0: u64 = 1 << 4;
pub const SCTLR_I: u64 = 1 << 12;
pub const SCTLR_WXN: u64 = 1 << 19;
pub const SCTLR_EE: u64 = 1 << 25;

/// Storage for the system registers of one PE. Registers banked per EL are arrays indexed
/// by EL (index 0 unused where the register has no EL0 instance).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SysRegs {
    pub sctlr: [u64; 4],
    pub tcr: [u64; 4],
    pub ttbr0: [u64; 4],
    /// TTBR1_EL1 only (index 1).
    pub ttbr1_el1: u64,
    pub mair: [u64; 4],
    pub amair: [u64; 4],
    pub vbar: [u64; 4],
    pub esr: [u64; 4],
    pub far: [u64; 4],
    pub afsr0: [u64; 4],
    pub afsr1: [u64; 4],
    pub actlr: [u64; 4],
    pub tpidr: [u64; 4],
    pub tpidrro_el0: u64,
    pub contextidr_el1: u64,
    pub cpacr_el1: u64,
    pub par_el1: u64,
    pub hcr_el2: u64,
    pub hpfar_el2: u64,
    pub vtcr_el2: u64,
    pub vttbr_el2: u64,
    pub cptr_el2: u64,
    pub cptr_el3: u64,
    pub hstr_el2: u64,
    pub mdcr_el2: u64,
    pub mdcr_el3: u64,
    pub vpidr_el2: u64,
    pub vmpidr_el2: u64,
    pub scr_el3: u64,
    pub sder32_el3: u64,
    pub rvbar_el3: u64,
    pub rmr_el3: u64,
    pub cntfrq_el0: u64,
    pub cntkctl_el1: u64,
    pub cnthctl_el2: u64,
    pub cntvoff_el2: u64,
    pub cntp_ctl_el0: u64,
    pub cntp_cval_el0: u64,
    pub cntv_ctl_el0: u64,
    pub cntv_cval_el0: u64,
    pub cnthp_ctl_el2: u64,
    pub cnthp_cval_el2: u64,
    pub cntps_ctl_el1: u64,
    pub cntps_cval_el1: u64,
    pub mdscr_el1: u64,
    pub oslsr_el1: u64,
    pub csselr_el1: u64,
    pub pmcr_el0: u64,
    pub pmuserenr_el0: u64,
    pub pmcntenset_el0: u64,
    pub pmintenset_el1: u64,
    pub pmovsset_el0: u64,
    pub pmselr_el0: u64,
    pub pmccfiltr_el0: u64,
    pub pmccntr_el0: u64,
    pub dbgbvr: [u64; 6],
    pub dbgbcr: [u64; 6],
    pub dbgwvr: [u64; 4],
    pub dbgwcr: [u64; 4],
    pub midr: u64,
    pub mpidr: u64,
    /// Any other register kept as plain storage by the table (implementation defined ones).
    pub other: std::collections::BTreeMap<SysRegEnc, u64>,
}

/// MIDR_EL1 of a Cortex-A72 r0p3.
pub const MIDR_A72_R0P3: u64 = 0x410f_d083;

/// Sets the reset values of the system registers (called by `Cpu::reset`).
pub fn reset(cpu: &mut crate::Cpu) {
    let s = &mut cpu.sys;
    s.midr = MIDR_A72_R0P3;
    // MPIDR_EL1: bit 31 RES1, U = 0 (multiprocessor), MT = 0, Aff fields from the config.
    s.mpidr = (1 << 31) | (cpu.cfg.mpidr & 0xff_00ff_ffff);
    // SCTLR_ELx reset: MMU, caches and alignment checks off; RES1 bits set.
    s.sctlr[1] = 0x30d0_0800;
    s.sctlr[2] = 0x30c5_0830;
    s.sctlr[3] = 0x30c5_0830;
}
