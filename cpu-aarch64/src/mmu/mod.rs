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

/// TLB invalidation operations (the `TLBI <op>` names without the IS suffix; the
/// Inner Shareable forms are broadcast through `Platform::tlbi_broadcast` as well).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlbiOp {
    Vmalle1,
    Vae1,
    Aside1,
    Vaae1,
    Vale1,
    Vaale1,
    Alle1,
    Alle2,
    Vae2,
    Vale2,
    Alle3,
    Vae3,
    Vale3,
    Ipas2e1,
    Ipas2le1,
    Vmalls12e1,
}

/// Performs a TLB invalidation on this PE's TLB. `arg` is the Xt operand.
pub fn tlbi(cpu: &mut Cpu, op: TlbiOp, arg: u64) {
    let _ = (cpu, op, arg);
}

/// Address translation instructions (`AT <op>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AtOp {
    S1e1r,
    S1e1w,
    S1e0r,
    S1e0w,
    S12e1r,
    S12e1w,
    S12e0r,
    S12e0w,
    S1e2r,
    S1e2w,
    S1e3r,
    S1e3w,
}

/// Performs an address translation instruction and returns the value for PAR_EL1.
pub fn at(cpu: &mut Cpu, p: &mut dyn Platform, op: AtOp, va: u64) -> u64 {
    let acc = match op {
        AtOp::S1e1w | AtOp::S1e0w | AtOp::S12e1w | AtOp::S12e0w | AtOp::S1e2w | AtOp::S1e3w => Access::write(1),
        _ => Access::read(1),
    };
    match translate(cpu, p, va, acc) {
        Ok(t) => t.pa & 0x0000_ffff_ffff_f000,
        Err(_) => 1,
    }
}
