//! Address translation: stage 1 (EL1&0, EL2, EL3 regimes), stage 2, the TLB and fault
//! reporting. `translate` is the only entry point the rest of the CPU uses.

use crate::exception::SyncExc;
use crate::platform::Platform;
use crate::Cpu;

/// What an access is for; decides permission checks and fault syndromes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessType {
    /// Instruction fetch.
    Fetch,
    Read,
    Write,
}

/// One memory access as the instruction makes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub ty: AccessType,
    /// Size in bytes of this element (1, 2, 4, 8, 16).
    pub size: u8,
    /// LDTR/STTR: checked as if at EL0.
    pub unpriv: bool,
    /// Exclusive or acquire/release: must be aligned to `size` whatever SCTLR.A says.
    pub atomic: bool,
    /// DC ZVA, DC CIVAC, … (cache maintenance by VA): reported with CM = 1 in the ISS.
    pub cache_maint: bool,
    /// Syndrome information for a data abort (ISV, SAS, SSE, SRT, SF, AR) when valid.
    pub syndrome: Option<u32>,
}

impl Access {
    pub fn fetch() -> Self {
        Access { ty: AccessType::Fetch, size: 4, unpriv: false, atomic: false, cache_maint: false, syndrome: None }
    }
    pub fn read(size: u8) -> Self {
        Access { ty: AccessType::Read, size, unpriv: false, atomic: false, cache_maint: false, syndrome: None }
    }
    pub fn write(size: u8) -> Self {
        Access { ty: AccessType::Write, size, unpriv: false, atomic: false, cache_maint: false, syndrome: None }
    }
}

/// Memory type of a translated address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemType {
    /// Any Device-* type: unaligned accesses fault.
    Device,
    Normal,
}

/// Result of a successful translation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Translation {
    pub pa: u64,
    pub mem: MemType,
    pub secure: bool,
}

/// Translates `va` for `acc` in the current translation regime.
pub fn translate(cpu: &mut Cpu, _p: &mut dyn Platform, va: u64, acc: Access) -> Result<Translation, SyncExc> {
    // MMU off (the only mode implemented so far): flat mapping; instruction fetches are
    // Normal, data accesses are Device-nGnRnE (Arm ARM D5.2.9).
    let secure = cpu.is_secure();
    let mem = if acc.ty == AccessType::Fetch { MemType::Normal } else { MemType::Device };
    Ok(Translation { pa: va & 0x0000_ffff_ffff_ffff, mem, secure })
}

/// The TLB (translation caching). Empty until the table walker lands.
#[derive(Debug, Clone, Default)]
pub struct Tlb {}
