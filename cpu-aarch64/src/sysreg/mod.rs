//! System registers: storage (`SysRegs`), encodings, and (in `table.rs`) the access table
//! with the trap/UNDEFINED rules per EL. `id.rs` holds the Cortex-A72 identification
//! values, `timer.rs` the generic timers.

pub mod id;
pub mod table;
pub mod timer;

pub use table::{mrs, msr, RegInfo};
pub use timer::TimerLevels;

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
pub const HCR_PTW: u64 = 1 << 2;
pub const HCR_FB: u64 = 1 << 9;
pub const HCR_BSU: u64 = 3 << 10;
pub const HCR_TWI: u64 = 1 << 13;
pub const HCR_TWE: u64 = 1 << 14;
pub const HCR_TID0: u64 = 1 << 15;
pub const HCR_TID1: u64 = 1 << 16;
pub const HCR_TID2: u64 = 1 << 17;
pub const HCR_TID3: u64 = 1 << 18;
pub const HCR_TSC: u64 = 1 << 19;
pub const HCR_TIDCP: u64 = 1 << 20;
pub const HCR_TACR: u64 = 1 << 21;
pub const HCR_TSW: u64 = 1 << 22;
pub const HCR_TPC: u64 = 1 << 23;
pub const HCR_TPU: u64 = 1 << 24;
pub const HCR_TTLB: u64 = 1 << 25;
pub const HCR_TVM: u64 = 1 << 26;
pub const HCR_TGE: u64 = 1 << 27;
pub const HCR_TDZ: u64 = 1 << 28;
pub const HCR_HCD: u64 = 1 << 29;
pub const HCR_TRVM: u64 = 1 << 30;
pub const HCR_RW: u64 = 1 << 31;
pub const HCR_CD: u64 = 1 << 32;
pub const HCR_ID: u64 = 1 << 33;
/// ARMv8.1 VHE: RES0 on a Cortex-A72 (kept for the other modules' checks).
pub const HCR_E2H: u64 = 1 << 34;
/// The HCR_EL2 bits an ARMv8.0 PE implements (bits 33:0).
pub const HCR_V80_MASK: u64 = (1 << 34) - 1;

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
pub const SCR_SIF: u64 = 1 << 9;

pub const CPACR_FPEN: u64 = 3 << 20;
pub const CPACR_TTA: u64 = 1 << 28;
pub const CPTR_TFP: u64 = 1 << 10;
pub const CPTR_TTA: u64 = 1 << 20;
pub const CPTR_TCPAC: u64 = 1 << 31;

pub const MDCR_TPMCR: u64 = 1 << 5;
pub const MDCR_TPM: u64 = 1 << 6;
pub const MDCR_TDE: u64 = 1 << 8;
pub const MDCR_TDA: u64 = 1 << 9;
pub const MDCR_TDOSA: u64 = 1 << 10;
pub const MDCR_TDRA: u64 = 1 << 11;

pub const SCTLR_M: u64 = 1 << 0;
pub const SCTLR_A: u64 = 1 << 1;
pub const SCTLR_C: u64 = 1 << 2;
pub const SCTLR_SA: u64 = 1 << 3;
pub const SCTLR_SA0: u64 = 1 << 4;
pub const SCTLR_UMA: u64 = 1 << 9;
pub const SCTLR_I: u64 = 1 << 12;
pub const SCTLR_DZE: u64 = 1 << 14;
pub const SCTLR_UCT: u64 = 1 << 15;
pub const SCTLR_NTWI: u64 = 1 << 16;
pub const SCTLR_NTWE: u64 = 1 << 18;
pub const SCTLR_WXN: u64 = 1 << 19;
pub const SCTLR_E0E: u64 = 1 << 24;
pub const SCTLR_EE: u64 = 1 << 25;
pub const SCTLR_UCI: u64 = 1 << 26;

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
    /// TPIDR_EL0..EL3 live in `tpidr`; these are the remaining EL1/EL2 registers.
    pub hacr_el2: u64,
    pub mdccint_el1: u64,
    pub osdlr_el1: u64,
    pub dbgprcr_el1: u64,
    pub dbgclaim: u64,
    pub pmevcntr: [u64; 31],
    pub pmevtyper: [u64; 31],
    /// Instruction count at which PMCCNTR_EL0 last took the value in `pmccntr_el0`, while
    /// the cycle counter is enabled (lsemu counts one cycle per retired instruction).
    pub pmccntr_base: Option<u64>,
    /// SPSR_irq, SPSR_abt, SPSR_und, SPSR_fiq (EL2 view of the AArch32 banked SPSRs).
    pub spsr_aarch32: [u64; 4],
    /// Any other register kept as plain storage by the table (implementation defined ones).
    pub other: std::collections::BTreeMap<SysRegEnc, u64>,
}

/// MIDR_EL1 of a Cortex-A72 r0p3.
pub const MIDR_A72_R0P3: u64 = 0x410f_d083;

/// Sets the reset values of the system registers (called by `Cpu::reset`, after the PC
/// is set). Registers whose reset value the architecture leaves UNKNOWN reset to 0 unless
/// noted in `table.rs`, like QEMU does, so bare-metal programs see the same values.
pub fn reset(cpu: &mut crate::Cpu) {
    let pc = cpu.st.pc;
    let s = &mut cpu.sys;
    s.midr = MIDR_A72_R0P3;
    // MPIDR_EL1: bit 31 RES1, U = 0 (multiprocessor), MT = 0, Aff fields from the config.
    s.mpidr = (1 << 31) | (cpu.cfg.mpidr & 0xff_00ff_ffff);
    s.vpidr_el2 = s.midr;
    s.vmpidr_el2 = s.mpidr;
    // SCTLR_ELx reset: MMU, caches and alignment checks off; RES1 bits set.
    s.sctlr[1] = 0x30d0_0800;
    s.sctlr[2] = 0x30c5_0830;
    s.sctlr[3] = 0x30c5_0830;
    // SCR_EL3: bits 5:4 RES1; RW is RAO/WI because no EL below EL3 can use AArch32.
    s.scr_el3 = 0x30 | SCR_RW;
    // HCR_EL2.RW is RAO/WI for the same reason.
    s.hcr_el2 = HCR_RW;
    // CPTR_EL2: bits 13:12 and 9:0 RES1.
    s.cptr_el2 = table::CPTR_EL2_RES1;
    // MDCR_EL2.HPMN resets to PMCR_EL0.N.
    s.mdcr_el2 = id::PMU_COUNTERS as u64;
    // OS Lock locked after a cold reset (OSLSR_EL1.OSLM = 0b10, OSLK = 1).
    s.oslsr_el1 = 0b1010;
    s.pmcr_el0 = id::PMCR_RESET;
    s.cntfrq_el0 = timer::DEFAULT_CNTFRQ;
    // CNTHCTL_EL2: UNKNOWN at reset; EL1PCEN and EL1PCTEN set (no traps).
    s.cnthctl_el2 = 3;
    s.rvbar_el3 = pc;
    table::reset_impdef(s);
}
