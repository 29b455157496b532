//! Translation faults and how they are reported: ESR_ELx ISS (DFSC/IFSC, WnR, S1PTW, CM,
//! EA), FAR, HPFAR (through `SyncExc::ipa`), the target EL, and PAR_EL1's fault format.

use super::{Access, AccessType};
use crate::exception::{ec, SyncExc};

/// What went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    AddressSize,
    Translation,
    AccessFlag,
    Permission,
    /// Synchronous external abort on a translation table walk.
    WalkExternal,
    Alignment,
}

/// A fault found by the translation process (AArch64.FaultRecord, reduced).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    /// Lookup level (0..=3); unused for alignment faults.
    pub level: u8,
    /// The fault comes from stage 2 (reported to EL2 with HPFAR_EL2).
    pub stage2: bool,
    /// Stage-2 fault on a stage-1 translation table walk.
    pub s1ptw: bool,
    /// The IPA being translated by stage 2 (valid when `stage2`).
    pub ipa: u64,
    /// External aborts: ESR.EA, the IMPLEMENTATION DEFINED classification. Like Arm's
    /// cores and QEMU: 0 for a decode error (nothing at the address), 1 for a slave error.
    pub ea: bool,
}

impl Fault {
    pub fn s1(kind: FaultKind, level: u8) -> Self {
        Fault { kind, level, stage2: false, s1ptw: false, ipa: 0, ea: false }
    }
    pub fn s2(kind: FaultKind, level: u8, ipa: u64, s1ptw: bool) -> Self {
        Fault { kind, level, stage2: true, s1ptw, ipa, ea: false }
    }

    /// The fault status code (ESR DFSC/IFSC, PAR_EL1.FST).
    pub fn fsc(&self) -> u32 {
        let l = (self.level & 3) as u32;
        match self.kind {
            FaultKind::AddressSize => l,
            FaultKind::Translation => 0b000100 | l,
            FaultKind::AccessFlag => 0b001000 | l,
            FaultKind::Permission => 0b001100 | l,
            FaultKind::WalkExternal => 0b010100 | l,
            FaultKind::Alignment => 0b100001,
        }
    }

    /// The synchronous exception this fault raises for the access `acc` at `va`.
    /// Stage-2 faults go to EL2 (with the IPA for HPFAR_EL2); stage-1 faults take the
    /// default routing (EL1, EL2 for EL0 when HCR_EL2.TGE is set, or the current EL).
    pub fn to_exc(&self, va: u64, acc: &Access) -> SyncExc {
        let fsc = self.fsc();
        let ea = (self.kind == FaultKind::WalkExternal && self.ea) as u32;
        let s1ptw = self.s1ptw as u32;
        let mut e = if acc.ty == AccessType::Fetch {
            SyncExc::new(ec::IABT_SAME, fsc | s1ptw << 7 | ea << 9)
        } else {
            // WnR: 1 for writes and for cache maintenance. For a stage-2 fault on a
            // stage-1 walk it reports the access that caused the walk (as QEMU does; the
            // architecture leaves it UNKNOWN).
            let wnr = (acc.ty == AccessType::Write || acc.cache_maint) as u32;
            let cm = acc.cache_maint as u32;
            let mut iss = fsc | wnr << 6 | s1ptw << 7 | cm << 8 | ea << 9;
            // ISV and the instruction syndrome: "ISV is 0 for all faults reported in
            // ESR_EL1 or ESR_EL3", and in ESR_EL2 "ISV is 0 except for the following stage
            // 2 aborts" (Arm ARM D13, ISS encoding for a Data Abort); not on a stage-1
            // walk. (QEMU 7.2 also sets it for stage-1 faults taken to EL2.)
            if self.stage2 && !self.s1ptw {
                if let Some(s) = acc.syndrome {
                    iss |= s;
                }
            }
            SyncExc::new(ec::DABT_SAME, iss)
        };
        e.far = Some(va);
        if self.stage2 {
            e.target = Some(2);
            e.ipa = Some(self.ipa);
        }
        e
    }

    /// PAR_EL1 in the fault format (F = 1, FST, PTW, S; bit 11 is RES1).
    pub fn par(&self) -> u64 {
        1 | (self.fsc() as u64) << 1 | (self.s1ptw as u64) << 8 | (self.stage2 as u64) << 9 | 1 << 11
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_codes() {
        // Arm ARM ESR_ELx DFSC table.
        assert_eq!(Fault::s1(FaultKind::Translation, 3).fsc(), 0b000111);
        assert_eq!(Fault::s1(FaultKind::AccessFlag, 1).fsc(), 0b001001);
        assert_eq!(Fault::s1(FaultKind::Permission, 2).fsc(), 0b001110);
        assert_eq!(Fault::s1(FaultKind::AddressSize, 0).fsc(), 0b000000);
        assert_eq!(Fault::s1(FaultKind::WalkExternal, 1).fsc(), 0b010101);
        assert_eq!(Fault::s1(FaultKind::Alignment, 0).fsc(), 0b100001);
    }

    #[test]
    fn data_abort_syndrome() {
        let f = Fault::s2(FaultKind::Translation, 1, 0x1234_5000, true);
        let e = f.to_exc(0xdead_0000, &Access::write(8));
        // DFSC 0b000101, WnR, S1PTW.
        assert_eq!(e.iss, 0b000101 | 1 << 6 | 1 << 7);
        assert_eq!(e.ec, ec::DABT_SAME);
        assert_eq!(e.target, Some(2));
        assert_eq!(e.ipa, Some(0x1234_5000));
        assert_eq!(e.far, Some(0xdead_0000));
        // PAR: F, FST = 0b000101, PTW, S, bit 11.
        assert_eq!(f.par(), 1 | 0b000101 << 1 | 1 << 8 | 1 << 9 | 1 << 11);
    }
}
