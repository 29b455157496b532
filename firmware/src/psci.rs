//! PSCI 1.1 (Arm DEN0022) and the SMCCC 1.1 architecture calls, as the built-in EL3
//! monitor answers them for the LS2088A's eight Cortex-A72s.
//!
//! The model does not own the PEs. The machine calls [`Psci::smc`] from
//! `Platform::smc(cpu, imm)`; it reads the function ID from W0 and the arguments from
//! X1..X3, writes results to X0, and:
//! - acts on the calling PE directly when the call concerns only it (CPU_OFF sets
//!   `cpu.off`; CPU_SUSPEND standby sets `cpu.waiting = Wfi`; a power-down CPU_SUSPEND
//!   resets the PE to its resume entry point and waits),
//! - queues a [`PowerAction`] for what needs another PE or the whole machine (CPU_ON,
//!   SYSTEM_OFF, SYSTEM_RESET[2]); the machine drains them with [`Psci::take_actions`]
//!   and carries them out, for CPU_ON by calling [`Psci::power_on`] on the target PE.
//!
//! Between CPU_ON and `power_on` the target is ON_PENDING, as the spec allows.
//!
//! Decisions that follow TF-A (the firmware the real board runs) where DEN0022 leaves a
//! choice:
//! - MIGRATE_INFO_TYPE: no Trusted OS dispatcher → NOT_SUPPORTED (-1), like TF-A's
//!   `psci_spd_migrate_info` without an SPD; Linux 6.1 prints
//!   "psci: MIGRATE_INFO_TYPE not supported.". (Answering 2, "Trusted OS not present or
//!   does not require migration", which DEN0022 also allows, would print "psci: Trusted
//!   OS migration not required"; set [`PsciConfig::migrate_info_type`] for that.)
//! - A PE started by CPU_ON (or resuming from a power-down suspend) enters the
//!   Non-secure world at the highest Non-secure EL (EL2 when implemented, TF-A's
//!   `psci_get_ns_ep_info`: SCR_EL3.HCE → MODE_EL2), EL2h/EL1h, DAIF all masked,
//!   MMU and caches off (SCTLR_ELx reset values), X0 = context_id, X1..X3 = 0.
//! - CPU_SUSPEND uses the original power_state format (PSCI_FEATURES(CPU_SUSPEND) = 0:
//!   bit 1 = 0 original format, bit 0 = 0 platform-coordinated only).
//! - AFFINITY_INFO supports lowest_affinity_level 0 only (TF-A: `> PSCI_CPU_PWR_LVL` →
//!   INVALID_PARAMETERS), which PSCI 1.0+ permits.

use crate::smccc;
use cpu_aarch64::sysreg::{SCR_HCE, SCR_NS, SCR_RW};
use cpu_aarch64::state::{DAIF_A, DAIF_D, DAIF_F, DAIF_I};
use cpu_aarch64::{Cpu, Hooked, WaitKind};

// Return codes (DEN0022D §5.2.2, Table 6).
pub const SUCCESS: i64 = 0;
pub const NOT_SUPPORTED: i64 = -1;
pub const INVALID_PARAMETERS: i64 = -2;
pub const DENIED: i64 = -3;
pub const ALREADY_ON: i64 = -4;
pub const ON_PENDING: i64 = -5;
pub const INTERNAL_FAILURE: i64 = -6;
pub const NOT_PRESENT: i64 = -7;
pub const DISABLED: i64 = -8;
pub const INVALID_ADDRESS: i64 = -9;

// Function IDs (DEN0022D §5.1, Table 5). `_64` = SMC64 variant.
pub const PSCI_VERSION: u32 = 0x8400_0000;
pub const CPU_SUSPEND: u32 = 0x8400_0001;
pub const CPU_SUSPEND_64: u32 = 0xc400_0001;
pub const CPU_OFF: u32 = 0x8400_0002;
pub const CPU_ON: u32 = 0x8400_0003;
pub const CPU_ON_64: u32 = 0xc400_0003;
pub const AFFINITY_INFO: u32 = 0x8400_0004;
pub const AFFINITY_INFO_64: u32 = 0xc400_0004;
pub const MIGRATE: u32 = 0x8400_0005;
pub const MIGRATE_64: u32 = 0xc400_0005;
pub const MIGRATE_INFO_TYPE: u32 = 0x8400_0006;
pub const MIGRATE_INFO_UP_CPU: u32 = 0x8400_0007;
pub const MIGRATE_INFO_UP_CPU_64: u32 = 0xc400_0007;
pub const SYSTEM_OFF: u32 = 0x8400_0008;
pub const SYSTEM_RESET: u32 = 0x8400_0009;
pub const PSCI_FEATURES: u32 = 0x8400_000a;
pub const SYSTEM_SUSPEND: u32 = 0x8400_000e;
pub const SYSTEM_SUSPEND_64: u32 = 0xc400_000e;
pub const SYSTEM_RESET2: u32 = 0x8400_0012;
pub const SYSTEM_RESET2_64: u32 = 0xc400_0012;

/// PSCI_VERSION answer: major 1, minor 1.
pub const VERSION_1_1: i64 = 0x1_0001;

/// AFFINITY_INFO answers (DEN0022D §5.7).
pub const AFF_ON: i64 = 0;
pub const AFF_OFF: i64 = 1;
pub const AFF_ON_PENDING: i64 = 2;

/// MIGRATE_INFO_TYPE answer "Trusted OS not present or does not require migration".
pub const TOS_NOT_PRESENT_MP: i64 = 2;

/// The affinity fields of an MPIDR (Aff3, Aff2, Aff1, Aff0).
pub const MPIDR_AFF_MASK: u64 = 0xff_00ff_ffff;

/// SYSTEM_RESET2 architectural reset type SYSTEM_WARM_RESET.
pub const SYSTEM_WARM_RESET: u32 = 0;

/// Power state of one PE as PSCI tracks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuPower {
    On,
    Off,
    OnPending,
}

/// What the machine must do after an SMC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerAction {
    /// Start PE `target` (index into the machine's PEs): call [`Psci::power_on`].
    PowerOn { target: usize, target_mpidr: u64, entry: u64, context_id: u64 },
    /// SYSTEM_OFF: stop the machine (the SMC also returned `Hooked::Halt(0)`).
    SystemOff,
    /// SYSTEM_RESET (warm = false) or SYSTEM_RESET2 SYSTEM_WARM_RESET (warm = true):
    /// reset the machine (the SMC returned `Hooked::Halt(0)` so the caller stops).
    SystemReset { warm: bool },
}

/// Static configuration of the model.
#[derive(Debug, Clone)]
pub struct PsciConfig {
    /// MPIDR affinity value of each PE, by machine index (index 0 = boot PE).
    pub mpidrs: Vec<u64>,
    /// Non-secure RAM (base, size): entry points outside it get INVALID_ADDRESS.
    /// Empty = no check.
    pub ns_ram: Vec<(u64, u64)>,
    /// EL at which started PEs enter the Non-secure world: 2 if EL2 is implemented.
    pub ns_entry_el: u8,
    /// MIGRATE_INFO_TYPE answer: NOT_SUPPORTED (TF-A without a Trusted OS) by default.
    pub migrate_info_type: i64,
}

impl PsciConfig {
    /// The LS2088A layout: 4 clusters × 2 cores, MPIDR Aff1 = cluster, Aff0 = core.
    pub fn ls2088a(smp: usize, ns_ram: Vec<(u64, u64)>) -> Self {
        let mpidrs = (0..smp.min(8) as u64).map(|i| ((i / 2) << 8) | (i % 2)).collect();
        PsciConfig { mpidrs, ns_ram, ns_entry_el: 2, migrate_info_type: NOT_SUPPORTED }
    }
}

/// The PSCI/SMCCC state of the machine.
#[derive(Debug, Clone)]
pub struct Psci {
    cfg: PsciConfig,
    power: Vec<CpuPower>,
    actions: Vec<PowerAction>,
}

impl Psci {
    /// PE 0 is on (it boots), the others are off until CPU_ON.
    pub fn new(cfg: PsciConfig) -> Self {
        let power = (0..cfg.mpidrs.len()).map(|i| if i == 0 { CpuPower::On } else { CpuPower::Off }).collect();
        Psci { cfg, power, actions: Vec::new() }
    }

    pub fn config(&self) -> &PsciConfig {
        &self.cfg
    }

    /// Power state of PE `index` (None if out of range).
    pub fn power_state(&self, index: usize) -> Option<CpuPower> {
        self.power.get(index).copied()
    }

    /// Whether SMCs queued actions that `take_actions` would return.
    pub fn has_actions(&self) -> bool {
        !self.actions.is_empty()
    }

    /// The actions queued by SMCs since the last call, oldest first.
    pub fn take_actions(&mut self) -> Vec<PowerAction> {
        std::mem::take(&mut self.actions)
    }

    fn index_of(&self, mpidr: u64) -> Option<usize> {
        let m = mpidr & MPIDR_AFF_MASK;
        self.cfg.mpidrs.iter().position(|&x| x & MPIDR_AFF_MASK == m)
    }

    fn valid_entry(&self, entry: u64) -> bool {
        self.cfg.ns_ram.is_empty()
            || self.cfg.ns_ram.iter().any(|&(b, s)| entry >= b && entry - b < s)
    }

    /// Carries out a queued `PowerOn`: puts `target` in its Non-secure entry state and
    /// marks it on. The machine then schedules it like any running PE.
    pub fn power_on(&mut self, target: &mut Cpu, index: usize, entry: u64, context_id: u64) {
        enter_ns(target, entry, [context_id, 0, 0, 0], self.cfg.ns_entry_el);
        if let Some(p) = self.power.get_mut(index) {
            *p = CpuPower::On;
        }
    }

    /// Handles an SMC from `cpu` (the hook for `Platform::smc`). Always handles it: an
    /// SMC to the built-in monitor that is not a known call gets NOT_SUPPORTED (-1),
    /// like TF-A's `SMC_UNK`; so does any SMC with a non-zero immediate (SMCCC requires
    /// #0 for SMCCC calls).
    pub fn smc(&mut self, cpu: &mut Cpu, imm: u16) -> Hooked {
        if imm != 0 {
            cpu.st.x[0] = smccc::ret(smccc::NOT_SUPPORTED);
            return Hooked::Done;
        }
        let fid = cpu.st.x[0] as u32;
        let caller = cpu.cfg.index as usize;
        // SMC32 calls use W1..W3: the upper halves are ignored (DEN0028 §3.1).
        let (x1, x2, x3) = if smccc::is_smc64(fid) {
            (cpu.st.x[1], cpu.st.x[2], cpu.st.x[3])
        } else {
            (cpu.st.x[1] & 0xffff_ffff, cpu.st.x[2] & 0xffff_ffff, cpu.st.x[3] & 0xffff_ffff)
        };
        if fid & smccc::FAST_CALL == 0 {
            cpu.st.x[0] = smccc::ret(smccc::NOT_SUPPORTED);
            return Hooked::Done;
        }
        match smccc::owning_entity(fid) {
            smccc::OEN_ARM => {
                if let Some(x0) = smccc::arch_call(fid, x1) {
                    cpu.st.x[0] = x0;
                }
                Hooked::Done
            }
            smccc::OEN_STANDARD => self.psci_call(cpu, caller, fid, x1, x2, x3),
            _ => {
                cpu.st.x[0] = smccc::ret(smccc::NOT_SUPPORTED);
                Hooked::Done
            }
        }
    }

    fn psci_call(&mut self, cpu: &mut Cpu, caller: usize, fid: u32, x1: u64, x2: u64, x3: u64) -> Hooked {
        let r = match fid {
            PSCI_VERSION => VERSION_1_1,
            PSCI_FEATURES => self.features(x1 as u32),
            CPU_ON | CPU_ON_64 => self.cpu_on(x1, x2, x3),
            CPU_OFF => {
                // Never returns on success: the PE is off until the next CPU_ON.
                if let Some(p) = self.power.get_mut(caller) {
                    *p = CpuPower::Off;
                }
                cpu.off = true;
                cpu.waiting = None;
                return Hooked::Done;
            }
            CPU_SUSPEND | CPU_SUSPEND_64 => return self.cpu_suspend(cpu, x1 as u32, x2, x3),
            AFFINITY_INFO | AFFINITY_INFO_64 => self.affinity_info(x1, x2),
            MIGRATE | MIGRATE_64 => NOT_SUPPORTED,
            MIGRATE_INFO_TYPE => self.cfg.migrate_info_type,
            // TF-A: INVALID_PARAMETERS unless the Trusted OS is uniprocessor.
            MIGRATE_INFO_UP_CPU | MIGRATE_INFO_UP_CPU_64 => INVALID_PARAMETERS,
            SYSTEM_OFF => {
                self.actions.push(PowerAction::SystemOff);
                return Hooked::Halt(0);
            }
            SYSTEM_RESET => {
                self.actions.push(PowerAction::SystemReset { warm: false });
                return Hooked::Halt(0);
            }
            SYSTEM_RESET2 | SYSTEM_RESET2_64 => {
                // reset_type bit 31 = 0: architectural; only SYSTEM_WARM_RESET (0) is
                // defined. Vendor types (bit 31 = 1): none. Both → INVALID_PARAMETERS.
                if x1 as u32 == SYSTEM_WARM_RESET {
                    self.actions.push(PowerAction::SystemReset { warm: true });
                    return Hooked::Halt(0);
                }
                INVALID_PARAMETERS
            }
            _ => NOT_SUPPORTED,
        };
        cpu.st.x[0] = smccc::ret(r);
        Hooked::Done
    }

    /// PSCI_FEATURES (DEN0022D §5.15): 0 (or the feature flags) for implemented calls.
    pub fn features(&self, queried: u32) -> i64 {
        match queried {
            // CPU_SUSPEND feature flags: original power_state format, no OS-initiated mode.
            CPU_SUSPEND | CPU_SUSPEND_64 => 0,
            PSCI_VERSION | PSCI_FEATURES | CPU_OFF | CPU_ON | CPU_ON_64 | AFFINITY_INFO | AFFINITY_INFO_64
            | SYSTEM_OFF | SYSTEM_RESET | SYSTEM_RESET2 | SYSTEM_RESET2_64 => SUCCESS,
            // PSCI 1.0: PSCI_FEATURES also answers for SMCCC_VERSION (SMCCC ≥ 1.1 present).
            smccc::SMCCC_VERSION => SUCCESS,
            MIGRATE_INFO_TYPE if self.cfg.migrate_info_type != NOT_SUPPORTED => SUCCESS,
            _ => NOT_SUPPORTED,
        }
    }

    fn cpu_on(&mut self, target_mpidr: u64, entry: u64, context_id: u64) -> i64 {
        // TF-A order: target MPIDR, then entry point, then the target's state.
        let Some(target) = self.index_of(target_mpidr) else { return INVALID_PARAMETERS };
        if !self.valid_entry(entry) {
            return INVALID_ADDRESS;
        }
        match self.power[target] {
            CpuPower::On => ALREADY_ON,
            CpuPower::OnPending => ON_PENDING,
            CpuPower::Off => {
                self.power[target] = CpuPower::OnPending;
                self.actions.push(PowerAction::PowerOn { target, target_mpidr: target_mpidr & MPIDR_AFF_MASK, entry, context_id });
                SUCCESS
            }
        }
    }

    fn affinity_info(&self, target: u64, lowest_level: u64) -> i64 {
        if lowest_level != 0 {
            return INVALID_PARAMETERS;
        }
        match self.index_of(target) {
            None => INVALID_PARAMETERS,
            Some(i) => match self.power[i] {
                CpuPower::On => AFF_ON,
                CpuPower::Off => AFF_OFF,
                CpuPower::OnPending => AFF_ON_PENDING,
            },
        }
    }

    /// CPU_SUSPEND, original power_state format (DEN0022D §5.4.2): StateID [15:0],
    /// StateType [16] (0 standby, 1 power-down), PowerLevel [25:24]; other bits zero.
    fn cpu_suspend(&mut self, cpu: &mut Cpu, power_state: u32, entry: u64, context_id: u64) -> Hooked {
        let fail = |cpu: &mut Cpu, r: i64| {
            cpu.st.x[0] = smccc::ret(r);
            Hooked::Done
        };
        if power_state & 0xfcfe_0000 != 0 {
            return fail(cpu, INVALID_PARAMETERS);
        }
        let powerdown = power_state & (1 << 16) != 0;
        let level = (power_state >> 24) & 3;
        if !powerdown {
            // Standby (the RDB's cpu-pw20, arm,psci-suspend-param = 0): the core waits
            // like WFI (woken by any pending interrupt, whatever PSTATE.DAIF says) and
            // CPU_SUSPEND then returns SUCCESS. Standby is a core-level state only.
            if level != 0 {
                return fail(cpu, INVALID_PARAMETERS);
            }
            cpu.st.x[0] = smccc::ret(SUCCESS);
            cpu.waiting = Some(WaitKind::Wfi);
            return Hooked::Done;
        }
        // Power-down (core, cluster or system level): context is lost, so the PE can be
        // put into its resume state now; it waits for a wake-up interrupt and then
        // starts at `entry` with X0 = context_id.
        if level > 2 {
            return fail(cpu, INVALID_PARAMETERS);
        }
        if !self.valid_entry(entry) {
            return fail(cpu, INVALID_ADDRESS);
        }
        enter_ns(cpu, entry, [context_id, 0, 0, 0], self.cfg.ns_entry_el);
        cpu.waiting = Some(WaitKind::Wfi);
        Hooked::Jumped
    }
}

/// Puts `cpu` in the state the EL3 monitor leaves it in when it first enters the
/// Non-secure world (TF-A `psci_get_ns_ep_info` + `cm_prepare_el3_exit`), as if the PE
/// was reset, EL3 ran, and ERET'd to `entry`:
/// - a warm reset of the PE (MMU, caches, alignment checks off; CNTFRQ_EL0 kept, it is
///   programmed by the monitor with the same value on every PE),
/// - SCR_EL3 = NS | RW (| HCE when entering EL2); SMD = 0 so SMC stays available,
/// - PSTATE = ELxh (`el` = 2 or 1) with D, A, I, F masked,
/// - X0..X3 = `args` (Linux boot: DTB, 0, 0, 0; CPU_ON: context_id, 0, 0, 0).
///
/// The machine uses it for the boot PE too (booting.rst: kernel at EL2, MMU off,
/// X0 = DTB). What it must do besides: the GICv3 EL3 setup (ICC_SRE_EL3.{Enable,SRE} =
/// 1, ICC_SRE_EL2.{Enable,SRE} = 1) lives in the GIC model.
pub fn enter_ns(cpu: &mut Cpu, entry: u64, args: [u64; 4], el: u8) {
    let cntfrq = cpu.sys.cntfrq_el0;
    cpu.reset(entry);
    cpu.sys.cntfrq_el0 = cntfrq;
    let el = if el == 2 && cpu.has_el2() { 2 } else { 1 };
    // Bits 5:4 of SCR_EL3 are RES1.
    cpu.sys.scr_el3 = 0x30 | SCR_NS | SCR_RW | if el == 2 { SCR_HCE } else { 0 };
    cpu.st.pstate.el = el;
    cpu.st.pstate.sp = 1;
    cpu.st.pstate.daif = DAIF_D | DAIF_A | DAIF_I | DAIF_F;
    cpu.st.x[..4].copy_from_slice(&args);
    cpu.off = false;
    cpu.waiting = None;
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpu_aarch64::CpuConfig;

    const RAM: (u64, u64) = (0x8000_0000, 0x8000_0000);

    fn setup() -> (Psci, Vec<Cpu>) {
        let psci = Psci::new(PsciConfig::ls2088a(8, vec![RAM]));
        let cpus = (0..8u8)
            .map(|i| {
                let mpidr = psci.config().mpidrs[i as usize];
                let mut c = Cpu::new(CpuConfig { index: i, mpidr, has_el2: true, has_el3: true });
                c.off = i != 0;
                c
            })
            .collect();
        (psci, cpus)
    }

    fn call(psci: &mut Psci, cpu: &mut Cpu, fid: u32, x1: u64, x2: u64, x3: u64) -> (Hooked, u64) {
        cpu.st.x[0] = fid as u64;
        cpu.st.x[1] = x1;
        cpu.st.x[2] = x2;
        cpu.st.x[3] = x3;
        let h = psci.smc(cpu, 0);
        (h, cpu.st.x[0])
    }

    fn r(code: i64) -> u64 {
        code as u64
    }

    // All expected numbers below are from DEN0022D (Tables 5 and 6, §5.x) / DEN0028.
    #[test]
    fn ids_match_den0022() {
        assert_eq!((PSCI_VERSION, CPU_SUSPEND_64, CPU_OFF, CPU_ON_64), (0x8400_0000, 0xC400_0001, 0x8400_0002, 0xC400_0003));
        assert_eq!((AFFINITY_INFO_64, MIGRATE_INFO_TYPE, SYSTEM_OFF, SYSTEM_RESET), (0xC400_0004, 0x8400_0006, 0x8400_0008, 0x8400_0009));
        assert_eq!((PSCI_FEATURES, SYSTEM_RESET2_64), (0x8400_000A, 0xC400_0012));
        assert_eq!((INVALID_PARAMETERS, ALREADY_ON, ON_PENDING, INVALID_ADDRESS), (-2, -4, -5, -9));
    }

    #[test]
    fn version_and_features() {
        let (mut p, mut c) = setup();
        let c0 = &mut c[0];
        assert_eq!(call(&mut p, c0, PSCI_VERSION, 0, 0, 0), (Hooked::Done, 0x1_0001));
        assert_eq!(call(&mut p, c0, PSCI_FEATURES, CPU_ON_64 as u64, 0, 0).1, 0);
        assert_eq!(call(&mut p, c0, PSCI_FEATURES, CPU_SUSPEND as u64, 0, 0).1, 0);
        assert_eq!(call(&mut p, c0, PSCI_FEATURES, smccc::SMCCC_VERSION as u64, 0, 0).1, 0);
        assert_eq!(call(&mut p, c0, PSCI_FEATURES, SYSTEM_SUSPEND as u64, 0, 0).1, r(-1));
        assert_eq!(call(&mut p, c0, PSCI_FEATURES, MIGRATE_INFO_TYPE as u64, 0, 0).1, r(-1));
        assert_eq!(call(&mut p, c0, PSCI_FEATURES, 0x8400_0013, 0, 0).1, r(-1));
        assert_eq!(call(&mut p, c0, MIGRATE_INFO_TYPE, 0, 0, 0).1, r(-1));
        assert_eq!(call(&mut p, c0, smccc::SMCCC_VERSION, 0, 0, 0).1, 0x1_0001);
        // Unknown calls: NOT_SUPPORTED sign-extended.
        assert_eq!(call(&mut p, c0, 0x8400_001f, 0, 0, 0).1, u64::MAX);
        assert_eq!(call(&mut p, c0, 0xc400_0000, 0, 0, 0).1, u64::MAX); // no SMC64 PSCI_VERSION
        assert_eq!(call(&mut p, c0, 0x8400_0050, 0, 0, 0).1, u64::MAX); // TRNG_VERSION
        assert_eq!(call(&mut p, c0, 0x0400_0000, 0, 0, 0).1, u64::MAX); // yielding call
        assert_eq!(call(&mut p, c0, 0xb200_0000, 0, 0, 0).1, u64::MAX); // OEN 50 (trusted OS)
        // A non-zero immediate is not an SMCCC call.
        c0.st.x[0] = PSCI_VERSION as u64;
        assert_eq!(p.smc(c0, 1), Hooked::Done);
        assert_eq!(c0.st.x[0], u64::MAX);
        assert!(p.take_actions().is_empty());
    }

    #[test]
    fn migrate_info_type_configurable() {
        let mut cfg = PsciConfig::ls2088a(2, vec![]);
        cfg.migrate_info_type = TOS_NOT_PRESENT_MP;
        let mut p = Psci::new(cfg);
        let mut c = Cpu::new(CpuConfig::default());
        assert_eq!(call(&mut p, &mut c, MIGRATE_INFO_TYPE, 0, 0, 0).1, 2);
        assert_eq!(call(&mut p, &mut c, PSCI_FEATURES, MIGRATE_INFO_TYPE as u64, 0, 0).1, 0);
    }

    #[test]
    fn cpu_on_lifecycle() {
        let (mut p, mut cpus) = setup();
        let (c0, rest) = cpus.split_at_mut(1);
        let c0 = &mut c0[0];
        // MPIDR 0x101 = cluster 1 core 1 = index 3.
        assert_eq!(call(&mut p, c0, AFFINITY_INFO_64, 0x101, 0, 0).1, r(AFF_OFF));
        let (h, x0) = call(&mut p, c0, CPU_ON_64, 0x101, 0x8008_0000, 0x1234_5678_9abc);
        assert_eq!((h, x0), (Hooked::Done, 0));
        assert_eq!(
            p.take_actions(),
            vec![PowerAction::PowerOn { target: 3, target_mpidr: 0x101, entry: 0x8008_0000, context_id: 0x1234_5678_9abc }]
        );
        assert_eq!(call(&mut p, c0, AFFINITY_INFO_64, 0x101, 0, 0).1, r(AFF_ON_PENDING));
        assert_eq!(call(&mut p, c0, CPU_ON_64, 0x101, 0x8008_0000, 0).1, r(ON_PENDING));
        // The machine starts it.
        let t = &mut rest[2];
        t.st.x[5] = 77;
        t.sys.sctlr[2] |= 1; // as if the MMU had been on
        p.power_on(t, 3, 0x8008_0000, 0x1234_5678_9abc);
        assert!(!t.off);
        assert_eq!(t.st.pc, 0x8008_0000);
        assert_eq!(t.st.x[0], 0x1234_5678_9abc);
        assert_eq!(t.st.x[5], 0);
        assert_eq!(t.st.pstate.el, 2);
        assert_eq!(t.st.pstate.sp, 1);
        assert_eq!(t.st.pstate.daif, 0x3c0);
        assert_eq!(t.sys.sctlr[2] & 0b101, 0, "MMU and D-cache off");
        assert_eq!(t.sys.scr_el3 & (SCR_NS | SCR_RW | SCR_HCE), SCR_NS | SCR_RW | SCR_HCE);
        assert_eq!(call(&mut p, c0, AFFINITY_INFO, 0x101, 0, 0).1, r(AFF_ON));
        assert_eq!(call(&mut p, c0, CPU_ON, 0x101, 0x8008_0000, 0).1, r(ALREADY_ON));
        // Caller itself is on.
        assert_eq!(call(&mut p, c0, CPU_ON_64, 0, 0x8008_0000, 0).1, r(ALREADY_ON));
        // Now PE 3 turns itself off.
        let (h, _) = call(&mut p, t, CPU_OFF, 0, 0, 0);
        assert_eq!(h, Hooked::Done);
        assert!(t.off);
        assert_eq!(call(&mut p, c0, AFFINITY_INFO_64, 0x101, 0, 0).1, r(AFF_OFF));
    }

    #[test]
    fn cpu_on_errors() {
        let (mut p, mut cpus) = setup();
        let c0 = &mut cpus[0];
        // No such MPIDR (cluster 4; core 2 of cluster 0).
        assert_eq!(call(&mut p, c0, CPU_ON_64, 0x400, 0x8000_0000, 0).1, r(INVALID_PARAMETERS));
        assert_eq!(call(&mut p, c0, CPU_ON_64, 0x002, 0x8000_0000, 0).1, r(INVALID_PARAMETERS));
        // Entry outside Non-secure RAM.
        assert_eq!(call(&mut p, c0, CPU_ON_64, 0x1, 0x1000, 0).1, r(INVALID_ADDRESS));
        assert_eq!(call(&mut p, c0, CPU_ON_64, 0x1, 0x1_0000_0000, 0).1, r(INVALID_ADDRESS));
        // SMC32: W2 only, so 0x1_8000_0000 is 0x8000_0000 (valid).
        assert_eq!(call(&mut p, c0, CPU_ON, 0x1, 0x1_8000_0000, 0).1, 0);
        match p.take_actions()[..] {
            [PowerAction::PowerOn { target: 1, entry: 0x8000_0000, .. }] => {}
            ref a => panic!("{a:?}"),
        }
        // MPIDR bit 31 (RES1) and U/MT bits are ignored: only affinity fields count.
        assert_eq!(call(&mut p, c0, AFFINITY_INFO_64, 0x8000_0001, 0, 0).1, r(AFF_ON_PENDING));
        // AFFINITY_INFO: level > 0 and unknown targets.
        assert_eq!(call(&mut p, c0, AFFINITY_INFO_64, 0x100, 1, 0).1, r(INVALID_PARAMETERS));
        assert_eq!(call(&mut p, c0, AFFINITY_INFO_64, 0x500, 0, 0).1, r(INVALID_PARAMETERS));
    }

    #[test]
    fn cpu_suspend_standby_and_powerdown() {
        let (mut p, mut cpus) = setup();
        let c0 = &mut cpus[0];
        c0.st.pc = 0x8010_0000;
        // Standby (power_state 0): SUCCESS and a WFI-like wait; PC untouched by the model.
        let (h, x0) = call(&mut p, c0, CPU_SUSPEND_64, 0, 0, 0);
        assert_eq!((h, x0), (Hooked::Done, 0));
        assert_eq!(c0.waiting, Some(WaitKind::Wfi));
        assert_eq!(c0.st.pc, 0x8010_0000);
        c0.waiting = None;
        // Reserved bits, standby above core level, power level 3.
        assert_eq!(call(&mut p, c0, CPU_SUSPEND, 1 << 30, 0, 0).1, r(INVALID_PARAMETERS));
        assert_eq!(call(&mut p, c0, CPU_SUSPEND, 1 << 24, 0, 0).1, r(INVALID_PARAMETERS));
        assert_eq!(call(&mut p, c0, CPU_SUSPEND, 3 << 24 | 1 << 16, 0x8000_0000, 0).1, r(INVALID_PARAMETERS));
        assert_eq!(call(&mut p, c0, CPU_SUSPEND_64, 1 << 16, 0x10, 0).1, r(INVALID_ADDRESS));
        assert_eq!(c0.waiting, None);
        // Power-down: resumes at entry with X0 = context_id, at EL2, after a wait.
        c0.st.pstate.el = 1;
        let (h, x0) = call(&mut p, c0, CPU_SUSPEND_64, 1 << 16, 0x8020_0000, 0xc0ffee);
        assert_eq!((h, x0), (Hooked::Jumped, 0xc0ffee));
        assert_eq!(c0.st.pc, 0x8020_0000);
        assert_eq!(c0.st.pstate.el, 2);
        assert_eq!(c0.waiting, Some(WaitKind::Wfi));
        assert_eq!(p.power_state(0), Some(CpuPower::On));
    }

    #[test]
    fn system_calls() {
        let (mut p, mut cpus) = setup();
        let c0 = &mut cpus[0];
        assert_eq!(call(&mut p, c0, SYSTEM_OFF, 0, 0, 0).0, Hooked::Halt(0));
        assert_eq!(p.take_actions(), vec![PowerAction::SystemOff]);
        assert_eq!(call(&mut p, c0, SYSTEM_RESET, 0, 0, 0).0, Hooked::Halt(0));
        assert_eq!(p.take_actions(), vec![PowerAction::SystemReset { warm: false }]);
        assert_eq!(call(&mut p, c0, SYSTEM_RESET2_64, 0, 0, 0).0, Hooked::Halt(0));
        assert_eq!(p.take_actions(), vec![PowerAction::SystemReset { warm: true }]);
        assert_eq!(call(&mut p, c0, SYSTEM_RESET2, 1, 0, 0), (Hooked::Done, r(INVALID_PARAMETERS)));
        assert_eq!(call(&mut p, c0, SYSTEM_RESET2, 0x8000_0000, 0, 0), (Hooked::Done, r(INVALID_PARAMETERS)));
        assert_eq!(call(&mut p, c0, MIGRATE_64, 1, 0, 0).1, r(NOT_SUPPORTED));
        assert!(p.take_actions().is_empty());
    }

    #[test]
    fn arch_workaround_1_leaves_registers() {
        let (mut p, mut cpus) = setup();
        let c0 = &mut cpus[0];
        let (h, x0) = call(&mut p, c0, smccc::SMCCC_ARCH_WORKAROUND_1, 5, 6, 7);
        assert_eq!((h, x0), (Hooked::Done, smccc::SMCCC_ARCH_WORKAROUND_1 as u64));
        assert_eq!(c0.st.x[1..4], [5, 6, 7]);
        assert_eq!(call(&mut p, c0, smccc::SMCCC_ARCH_FEATURES, smccc::SMCCC_ARCH_WORKAROUND_2 as u64, 0, 0).1, r(-2));
    }
}
