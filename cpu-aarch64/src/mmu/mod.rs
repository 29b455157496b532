//! Address translation: stage 1 (EL1&0, EL2, EL3 regimes), stage 2, the TLB and fault
//! reporting (Arm ARM D5, the ASL AArch64.TranslateAddress / FirstStageTranslate /
//! SecondStageTranslate / TranslationTableWalk). `translate` is the only entry point the
//! rest of the CPU uses for memory accesses; `tlbi` and `at`/`at_checked` serve the TLBI
//! and AT instructions.
//!
//! - `walk.rs`: the table walker (4KB/16KB/64KB granules, 48-bit VA, concatenated stage-2
//!   starting tables), stage-2 parameters from VTCR_EL2.
//! - `attrs.rs`: MAIR decoding, stage-2 MemAttr, the stage-1/stage-2 combination.
//! - `tlb.rs`: the bounded direct-mapped TLB of complete translations.
//! - `fault.rs`: faults to ESR ISS / FAR / HPFAR / target EL, and PAR_EL1's fault format.
//!
//! Not modelled: big-endian table walks (SCTLR_ELx.EE = 1 walks little-endian), the
//! Contiguous hint (ignored, allowed), walk caches (so the last-level-only TLBI forms act
//! like the others), HCR_EL2.CD/ID, the 16KB granule (the A72 has none: TG = 16KB selects
//! 4KB; the walker itself supports it).

pub mod attrs;
pub mod fault;
pub mod tlb;
pub mod walk;

#[cfg(test)]
mod tests;

pub use fault::{Fault, FaultKind};
pub use tlb::Tlb;

use crate::exception::SyncExc;
use crate::platform::{BusAttrs, BusError, PhysAddr, Platform};
use crate::sysreg::{HCR_DC, HCR_TGE, HCR_VM, SCR_NS, SCTLR_I, SCTLR_M, SCTLR_WXN};
use crate::Cpu;
use tlb::{Entry, P_R, P_W, P_X, USER_SHIFT};
use walk::{Granule, Leaf, WalkParams};

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
    /// The access is Secure (output NS = 0).
    pub secure: bool,
    /// Memory attributes in MAIR_ELx format (stage 1 and stage 2 combined).
    pub attr: u8,
    /// Shareability as PAR_EL1.SH reports it (SH[1:0] encoding): the descriptor's SH with
    /// stage 1 alone (0b00 with stage 1 off), the combined value with stage 2, where
    /// Device and Normal Non-cacheable memory is Outer Shareable (0b10). As QEMU reports.
    pub sh: u8,
}

/// Implemented physical address size in bits (Cortex-A72: ID_AA64MMFR0_EL1.PARange =
/// 0b0100, 44 bits).
pub const PA_MAX_BITS: u32 = 44;

const TCR_EPD0: u64 = 1 << 7;
const TCR_A1: u64 = 1 << 22;
const TCR_EPD1: u64 = 1 << 23;
const TCR_AS: u64 = 1 << 36;
const TCR_TBI0: u64 = 1 << 37;
const TCR_TBI1: u64 = 1 << 38;
/// TCR_EL2.TBI / TCR_EL3.TBI.
const TCR_TBI: u64 = 1 << 20;
const SCR_SIF: u64 = 1 << 9;
const HCR_PTW: u64 = 1 << 2;

/// A stage-1 translation regime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Regime {
    El10,
    El2,
    El3,
}

/// Everything that selects how an access is translated: the regime, its security state,
/// which stages are on, and the TLB tags (VMID, ASID).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ctx {
    pub regime: Regime,
    /// Security state of the regime (EL1&0: Secure when SCR_EL3.NS = 0; EL2: Non-secure;
    /// EL3: Secure).
    pub secure: bool,
    /// Permissions are checked as for EL0 (EL0, LDTR/STTR at EL1, AT S1E0*).
    pub user: bool,
    /// Stage 1 enabled (SCTLR_ELx.M, and HCR_EL2.{TGE,DC} = 0 for EL1&0).
    pub s1: bool,
    /// Stage 2 enabled (HCR_EL2.VM or DC): stage-1 table addresses are IPAs.
    pub s2: bool,
    /// The output of stage 1 is translated by stage 2 (false for AT S1E0*/S1E1*).
    pub s2_out: bool,
    /// HCR_EL2.DC: stage 1 disabled gives Normal Write-Back memory.
    pub dc: bool,
    pub vmid: u16,
    pub asid: u16,
}

impl Ctx {
    /// The context of `regime` in the given security state, from the system registers.
    pub fn new(cpu: &Cpu, regime: Regime, secure: bool, user: bool) -> Ctx {
        let s = &cpu.sys;
        match regime {
            Regime::El10 => {
                let el2 = cpu.has_el2() && !secure;
                let hcr = if el2 { s.hcr_el2 } else { 0 };
                let dc = hcr & HCR_DC != 0;
                let s2 = hcr & (HCR_VM | HCR_DC) != 0;
                let tcr = s.tcr[1];
                let ttbr = if tcr & TCR_A1 != 0 { s.ttbr1_el1 } else { s.ttbr0[1] };
                let asid = (ttbr >> 48) as u16 & if tcr & TCR_AS != 0 { 0xffff } else { 0xff };
                Ctx {
                    regime,
                    secure,
                    user,
                    s1: s.sctlr[1] & SCTLR_M != 0 && hcr & (HCR_TGE | HCR_DC) == 0,
                    s2,
                    s2_out: s2,
                    dc,
                    // ARMv8.0: 8-bit VMID.
                    vmid: if el2 { (s.vttbr_el2 >> 48) as u16 & 0xff } else { 0 },
                    asid,
                }
            }
            Regime::El2 | Regime::El3 => {
                let el = if regime == Regime::El2 { 2 } else { 3 };
                Ctx {
                    regime,
                    secure: regime == Regime::El3,
                    user: false,
                    s1: s.sctlr[el] & SCTLR_M != 0,
                    s2: false,
                    s2_out: false,
                    dc: false,
                    vmid: 0,
                    asid: 0,
                }
            }
        }
    }

    /// The context of an access made by the current instruction (`unpriv`: LDTR/STTR).
    #[inline]
    pub fn current(cpu: &Cpu, unpriv: bool) -> Ctx {
        match cpu.st.pstate.el {
            0 => Ctx::new(cpu, Regime::El10, cpu.is_secure(), true),
            // LDTR/STTR at EL1 are checked with EL0 permissions; at EL2/EL3 they are
            // ordinary accesses.
            1 => Ctx::new(cpu, Regime::El10, cpu.is_secure(), unpriv),
            2 => Ctx::new(cpu, Regime::El2, false, false),
            _ => Ctx::new(cpu, Regime::El3, true, false),
        }
    }

    /// The EL whose SCTLR/TCR/MAIR control the regime.
    #[inline]
    pub fn el(&self) -> usize {
        match self.regime {
            Regime::El10 => 1,
            Regime::El2 => 2,
            Regime::El3 => 3,
        }
    }

    #[inline]
    fn regime_code(&self) -> u32 {
        match (self.regime, self.secure) {
            (Regime::El10, false) => REGIME_EL10_NS,
            (Regime::El10, true) => REGIME_EL10_S,
            (Regime::El2, _) => REGIME_EL2,
            (Regime::El3, _) => REGIME_EL3,
        }
    }

    /// The TLB context tag (never 0).
    #[inline]
    fn tag(&self) -> u32 {
        self.regime_code()
            | (self.s1 as u32) << 3
            | (self.s2_out as u32) << 4
            | (self.dc as u32) << 5
            | (self.vmid as u32) << tlb::TAG_VMID_SHIFT
    }

    /// Whether the top byte of `va` is ignored (TCR TBI0/TBI1, or TBI for EL2/EL3).
    #[inline]
    fn tbi(&self, cpu: &Cpu, va: u64) -> bool {
        match self.regime {
            Regime::El10 => {
                let t = cpu.sys.tcr[1];
                if va >> 55 & 1 == 1 { t & TCR_TBI1 != 0 } else { t & TCR_TBI0 != 0 }
            }
            Regime::El2 => cpu.sys.tcr[2] & TCR_TBI != 0,
            Regime::El3 => cpu.sys.tcr[3] & TCR_TBI != 0,
        }
    }
}

const REGIME_EL10_NS: u32 = 1;
const REGIME_EL10_S: u32 = 2;
const REGIME_EL2: u32 = 3;
const REGIME_EL3: u32 = 4;

/// Translates `va` for `acc` in the current translation regime.
#[inline]
pub fn translate(cpu: &mut Cpu, p: &mut dyn Platform, va: u64, acc: Access) -> Result<Translation, SyncExc> {
    let ctx = Ctx::current(cpu, acc.unpriv);
    translate_in(cpu, p, &ctx, va, &acc, true).map_err(|f| f.to_exc(va, &acc))
}

/// Translates `va` in context `ctx`, returning the fault rather than an exception.
/// `use_tlb`: look up and fill the TLB (AT instructions walk without it).
pub fn translate_in(
    cpu: &mut Cpu,
    p: &mut dyn Platform,
    ctx: &Ctx,
    va: u64,
    acc: &Access,
    use_tlb: bool,
) -> Result<Translation, Fault> {
    // With TBI the tag byte is replaced by copies of bit 55 (the address the tables see).
    let key = if ctx.tbi(cpu, va) { ((va << 8) as i64 >> 8) as u64 } else { va };
    if !ctx.s1 && !ctx.s2_out {
        return flat(cpu, ctx, key, acc);
    }
    let tag = ctx.tag();
    if use_tlb {
        if let Some(e) = cpu.tlb.lookup(tag, ctx.asid, key >> 12) {
            return check(e, ctx.user, key, acc);
        }
        cpu.tlb.misses = cpu.tlb.misses.wrapping_add(1);
    }
    // A walk reads the tables wherever they are, a device included: interrupt lines may
    // change (see `Cpu::access`), so they are sampled before the next instruction.
    cpu.fast.irq_check = true;
    let e = fill(cpu, p, ctx, key, acc)?;
    if use_tlb {
        let evicted = cpu.tlb.insert(e);
        cpu.fast.tlb_filled(evicted, cpu.tlb.fills);
    }
    check(&e, ctx.user, key, acc)
}

#[inline]
fn unaligned(va: u64, acc: &Access) -> bool {
    acc.ty != AccessType::Fetch && va & (acc.size.max(1) as u64 - 1) != 0
}

/// Attributes with stage 1 disabled (ASL AArch64.TranslateAddressS1Off): HCR_EL2.DC
/// gives Normal Write-Back Non-shareable; otherwise data accesses are Device-nGnRnE and
/// instruction fetches Normal, Write-Through if SCTLR_ELx.I else Non-cacheable (both
/// Outer Shareable in effect). Returns (data attr, fetch attr, sh). The SH value is what
/// PAR_EL1 reports: like QEMU, 0b00 for stage 1 alone (the Arm ARM lets PAR_EL1.SH for
/// Device and Non-cacheable memory be IMPLEMENTATION DEFINED), made Outer Shareable when
/// combined with stage 2.
fn s1_off_attrs(cpu: &Cpu, ctx: &Ctx) -> (u8, u8, u8) {
    if ctx.dc {
        (attrs::NORMAL_WB, attrs::NORMAL_WB, attrs::SH_NON)
    } else {
        let i = cpu.sys.sctlr[ctx.el()] & SCTLR_I != 0;
        (attrs::DEVICE_NGNRNE, if i { attrs::NORMAL_WT } else { attrs::NORMAL_NC }, attrs::SH_NON)
    }
}

/// No stage 1 and no stage 2: PA = VA, which must fit the implemented PA size.
fn flat(cpu: &Cpu, ctx: &Ctx, key: u64, acc: &Access) -> Result<Translation, Fault> {
    if key >> PA_MAX_BITS != 0 {
        return Err(Fault::s1(FaultKind::AddressSize, 0));
    }
    let (a, ax, sh) = s1_off_attrs(cpu, ctx);
    let attr = if acc.ty == AccessType::Fetch { ax } else { a };
    if attrs::is_device(attr) && unaligned(key, acc) {
        return Err(Fault::s1(FaultKind::Alignment, 0));
    }
    Ok(Translation { pa: key, mem: attrs::mem_type(attr), secure: ctx.secure, attr, sh })
}

/// Stage-1 checks of an access against an entry: alignment on Device memory, then
/// permissions (ASL AArch64.FirstStageTranslate order).
#[inline]
fn check_s1(e: &Entry, user: bool, va: u64, acc: &Access) -> Result<(), Fault> {
    if e.s1_device && unaligned(va, acc) {
        return Err(Fault::s1(FaultKind::Alignment, 0));
    }
    let bit = match acc.ty {
        AccessType::Fetch => P_X,
        AccessType::Read => P_R,
        AccessType::Write => P_W,
    };
    let bit = if user { bit << USER_SHIFT } else { bit };
    if e.perms & bit == 0 {
        return Err(Fault::s1(FaultKind::Permission, e.s1_level));
    }
    Ok(())
}

/// All checks of an access against a (cached or new) entry, then the translation.
#[inline]
fn check(e: &Entry, user: bool, va: u64, acc: &Access) -> Result<Translation, Fault> {
    check_s1(e, user, va, acc)?;
    if e.has_s2 {
        let ipa = e.ipa_page << 12 | (va & 0xfff);
        if e.s2_device && unaligned(va, acc) {
            return Err(Fault::s2(FaultKind::Alignment, 0, ipa, false));
        }
        let bit = match acc.ty {
            AccessType::Fetch => P_X,
            AccessType::Read => P_R,
            AccessType::Write => P_W,
        };
        if e.s2perms & bit == 0 {
            return Err(Fault::s2(FaultKind::Permission, e.s2_level, ipa, false));
        }
    }
    let attr = if acc.ty == AccessType::Fetch { e.attr_x } else { e.attr };
    Ok(Translation { pa: e.pa_page << 12 | (va & 0xfff), mem: attrs::mem_type(attr), secure: !e.ns, attr, sh: e.sh })
}

/// Reads a descriptor (little-endian) from physical memory. A bus error is a synchronous
/// external abort on the walk (`base` gives stage, level and IPA).
fn read_desc(p: &mut dyn Platform, pa: u64, secure: bool, cpu: u8, base: Fault) -> Result<u64, Fault> {
    // Tables in RAM (all of them, in practice) are read in place: a RAM read through the
    // bus does the same and has no side effect. (The walker reads 8-byte aligned
    // descriptors: `pa` is a table base plus 8 * index.)
    if let Some(r) = p.ram_span(PhysAddr(pa)) {
        let off = pa.wrapping_sub(r.base.0);
        if pa & 7 == 0 && off.checked_add(8).is_some_and(|end| end <= r.len) {
            // SAFETY: `off + 8 <= r.len`: the 8 bytes are inside the span, which stays
            // allocated while the platform exists; no other thread writes guest RAM
            // during a walk (PEs run in turn).
            let v = unsafe { std::ptr::read_unaligned(r.host.add(off as usize) as *const u64) };
            return Ok(u64::from_le(v));
        }
    }
    let mut b = [0u8; 8];
    match p.read(PhysAddr(pa), &mut b, BusAttrs { secure, privileged: true, instruction: false, cpu }) {
        Ok(()) => Ok(u64::from_le_bytes(b)),
        Err(e) => Err(Fault { ea: e == BusError::Slave, ..base }),
    }
}

/// Stage-1 walk parameters for `key`, or the level-0 translation fault for an address
/// outside both (or the only) input ranges or a range disabled by EPDx.
fn s1_params(cpu: &Cpu, ctx: &Ctx, key: u64) -> Result<WalkParams, Fault> {
    let fault0 = Err(Fault::s1(FaultKind::Translation, 0));
    let el = ctx.el();
    let tcr = cpu.sys.tcr[el];
    // The range is selected by the top bit (bit 55 with TBI: `key` has it copied up).
    let hi = key >> 63 == 1;
    let (txsz, granule, ttbr, disabled) = match ctx.regime {
        Regime::El10 if !hi => (tcr & 63, Granule::from_tg0(tcr >> 14), cpu.sys.ttbr0[1], tcr & TCR_EPD0 != 0),
        Regime::El10 => (tcr >> 16 & 63, Granule::from_tg1(tcr >> 30), cpu.sys.ttbr1_el1, tcr & TCR_EPD1 != 0),
        _ => {
            if hi {
                return fault0;
            }
            (tcr & 63, Granule::from_tg0(tcr >> 14), cpu.sys.ttbr0[el], false)
        }
    };
    // TxSZ outside 16..=39 is CONSTRAINED UNPREDICTABLE: lsemu clamps it (FORCE).
    let inputsize = 64 - (txsz as u32).clamp(16, 39);
    let upper = walk::field(key, 63, inputsize);
    let in_range = if hi { upper == walk::field(u64::MAX, 63, inputsize) } else { upper == 0 };
    if !in_range || disabled {
        return fault0;
    }
    let ps = if ctx.regime == Regime::El10 { tcr >> 32 } else { tcr >> 16 };
    Ok(WalkParams {
        granule,
        inputsize,
        start_level: granule.s1_start_level(inputsize),
        ttbr,
        outputsize: walk::decode_ps(ps),
        stage2: false,
        single_priv: ctx.regime != Regime::El10,
        secure: ctx.secure,
    })
}

/// Stage-2 walk of `ipa` (no permission checks). `s1ptw`: for a stage-1 table address.
fn s2_walk(cpu: &Cpu, p: &mut dyn Platform, ipa: u64, s1ptw: bool) -> Result<Leaf, Fault> {
    let params = walk::s2_params(cpu.sys.vtcr_el2, cpu.sys.vttbr_el2, ipa).map_err(|f| Fault { s1ptw, ..f })?;
    let idx = cpu.cfg.index;
    let mut read =
        |addr: u64, _ns: bool, level: u8| read_desc(p, addr, false, idx, Fault::s2(FaultKind::WalkExternal, level, ipa, s1ptw));
    walk::walk(&params, ipa, &mut read).map_err(|f| Fault { s1ptw, ..f })
}

/// Stage-1 walk of `key`; table addresses go through stage 2 when it is enabled.
fn s1_walk(cpu: &Cpu, p: &mut dyn Platform, ctx: &Ctx, key: u64) -> Result<Leaf, Fault> {
    let params = s1_params(cpu, ctx, key)?;
    let idx = cpu.cfg.index;
    let s2 = ctx.s2;
    let ptw = cpu.sys.hcr_el2 & HCR_PTW != 0;
    let mut read = |addr: u64, ns: bool, level: u8| -> Result<u64, Fault> {
        let pa = if s2 {
            let o = s2_walk(cpu, &mut *p, addr, true)?;
            // The walk reads: stage 2 must allow reads, and with HCR_EL2.PTW the table
            // must not be in stage-2 Device memory.
            let device = o.desc >> 4 & 3 == 0;
            if o.desc >> 6 & 1 == 0 || (ptw && device) {
                return Err(Fault::s2(FaultKind::Permission, o.level, addr, true));
            }
            o.oa
        } else {
            addr
        };
        read_desc(p, pa, !ns, idx, Fault::s1(FaultKind::WalkExternal, level))
    };
    walk::walk(&params, key, &mut read)
}

/// Stage-1 permissions of a leaf (ASL AArch64.CheckPermission), as `P_*` bits.
fn s1_perms(cpu: &Cpu, ctx: &Ctx, leaf: &Leaf) -> u8 {
    let d = leaf.desc;
    let wxn = cpu.sys.sctlr[ctx.el()] & SCTLR_WXN != 0;
    // AP[2] or APTable[1]: read-only.
    let ro = d >> 7 & 1 == 1 || leaf.ap_table & 2 != 0;
    let w = !ro;
    let mut perms = if ctx.regime == Regime::El10 {
        // AP[1] and not APTable[0]: EL0 has data access.
        let el0 = d >> 6 & 1 == 1 && leaf.ap_table & 1 == 0;
        let user_w = el0 && w;
        let user_x = !(d >> 54 & 1 == 1 || leaf.xn_table || (user_w && wxn));
        // Memory writable at EL0 is never executable at EL1.
        let priv_x = !(d >> 53 & 1 == 1 || leaf.pxn_table || (w && wxn) || user_w);
        let privs = P_R | if w { P_W } else { 0 } | if priv_x { P_X } else { 0 };
        let users = if el0 { P_R } else { 0 } | if user_w { P_W } else { 0 } | if user_x { P_X } else { 0 };
        privs | users << USER_SHIFT
    } else {
        // One privilege level: AP[1] is ignored; bit 54 is XN.
        let x = !(d >> 54 & 1 == 1 || leaf.xn_table || (w && wxn));
        P_R | if w { P_W } else { 0 } | if x { P_X } else { 0 }
    };
    // Secure state: instruction fetches from Non-secure memory fault with SCR_EL3.SIF.
    if ctx.secure && leaf.ns && cpu.sys.scr_el3 & SCR_SIF != 0 {
        perms &= !(P_X | P_X << USER_SHIFT);
    }
    perms
}

/// Stage-2 permissions of a leaf: S2AP[1] (bit 7) write, S2AP[0] (bit 6) read, XN (54).
fn s2_perms(leaf: &Leaf) -> u8 {
    let d = leaf.desc;
    (if d >> 6 & 1 == 1 { P_R } else { 0 }) | (if d >> 7 & 1 == 1 { P_W } else { 0 }) | (if d >> 54 & 1 == 0 { P_X } else { 0 })
}

/// Walks both stages for `key` and builds the TLB entry. Stage-1 alignment and permission
/// faults for `acc` are reported before stage 2 translates the output address.
fn fill(cpu: &Cpu, p: &mut dyn Platform, ctx: &Ctx, key: u64, acc: &Access) -> Result<Entry, Fault> {
    let mut e = Entry { ctx: ctx.tag(), asid: ctx.asid, va_page: key >> 12, s2perms: P_R | P_W | P_X, ..Default::default() };
    let ipa = if ctx.s1 {
        let leaf = s1_walk(cpu, p, ctx, key)?;
        let attr = attrs::mair_attr(cpu.sys.mair[ctx.el()], leaf.desc >> 2);
        e.attr = attr;
        e.attr_x = attr;
        e.sh = (leaf.desc >> 8 & 3) as u8;
        e.perms = s1_perms(cpu, ctx, &leaf);
        e.s1_level = leaf.level;
        e.s1_log2 = leaf.block_log2;
        // nG only exists in the EL1&0 regime.
        e.global = ctx.regime != Regime::El10 || leaf.desc >> 11 & 1 == 0;
        e.ns = leaf.ns;
        e.s1_device = attrs::is_device(attr);
        check_s1(&e, ctx.user, key, acc)?;
        leaf.oa
    } else {
        if key >> PA_MAX_BITS != 0 {
            return Err(Fault::s1(FaultKind::AddressSize, 0));
        }
        let (a, ax, sh) = s1_off_attrs(cpu, ctx);
        e.attr = a;
        e.attr_x = ax;
        e.sh = sh;
        e.perms = 0x3f;
        e.s1_log2 = 12;
        e.global = true;
        e.ns = !ctx.secure;
        e.s1_device = attrs::is_device(a);
        check_s1(&e, ctx.user, key, acc)?;
        key
    };
    e.ipa_page = ipa >> 12;
    if ctx.s2_out {
        let o = s2_walk(cpu, p, ipa, false)?;
        let memattr = (o.desc >> 2 & 0xf) as u8;
        e.attr = attrs::combine(e.attr, memattr);
        e.attr_x = attrs::combine(e.attr_x, memattr);
        e.sh = attrs::combine_sh(e.sh, (o.desc >> 8 & 3) as u8);
        e.s2perms = s2_perms(&o);
        e.s2_level = o.level;
        e.s2_log2 = o.block_log2;
        e.s2_device = memattr >> 2 == 0;
        e.has_s2 = true;
        e.pa_page = o.oa >> 12;
        e.ns = true;
        if !ctx.s1 {
            e.s1_log2 = o.block_log2;
        }
        // Combined Device or Non-cacheable memory is Outer Shareable (CombineS1S2Desc).
        e.sh = attrs::effective_sh(e.attr, e.sh);
    } else {
        // Stage 1 alone: PAR_EL1.SH reports the descriptor's SH field (as QEMU does).
        e.pa_page = ipa >> 12;
    }
    Ok(e)
}

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

/// Performs a TLB invalidation on this PE's TLB. `arg` is the Xt operand: VA[55:12] in
/// bits 43:0 and the ASID in bits 63:48 (by-VA forms), IPA[47:12] in bits 35:0
/// (IPAS2*). The EL1&0 forms act on the Security state of EL1 (SCR_EL3.NS when executed
/// at EL3) and, in Non-secure state, on the current VMID (VTTBR_EL2.VMID). Walk caches
/// are not modelled, so the last-level-only forms are the same as the others.
pub fn tlbi(cpu: &mut Cpu, op: TlbiOp, arg: u64) {
    let secure10 = cpu.has_el3() && cpu.sys.scr_el3 & SCR_NS == 0;
    let r10 = if secure10 { REGIME_EL10_S } else { REGIME_EL10_NS };
    let vttbr_vmid = (cpu.sys.vttbr_el2 >> 48) as u16 & 0xff;
    let vmid = if !secure10 && cpu.has_el2() { vttbr_vmid } else { 0 };
    let asid = (arg >> 48) as u16 & if cpu.sys.tcr[1] & TCR_AS != 0 { 0xffff } else { 0xff };
    // VA[55:12] sign-extended from bit 55 (how TLB entries are keyed).
    let va = (((arg << 20) as i64) >> 8) as u64;
    let t = &mut cpu.tlb;
    match op {
        TlbiOp::Vmalle1 | TlbiOp::Vmalls12e1 => t.inv_ctx(r10, Some(vmid), |_| true),
        TlbiOp::Vae1 | TlbiOp::Vale1 => t.inv_va(r10, Some(vmid), Some(asid), va),
        TlbiOp::Aside1 => t.inv_ctx(r10, Some(vmid), |e| !e.global && e.asid == asid),
        TlbiOp::Vaae1 | TlbiOp::Vaale1 => t.inv_va(r10, Some(vmid), None, va),
        TlbiOp::Alle1 => t.inv_ctx(r10, None, |_| true),
        TlbiOp::Ipas2e1 | TlbiOp::Ipas2le1 => t.inv_ipa(REGIME_EL10_NS, Some(vttbr_vmid), (arg & ((1 << 36) - 1)) << 12),
        TlbiOp::Alle2 => t.inv_ctx(REGIME_EL2, None, |_| true),
        TlbiOp::Vae2 | TlbiOp::Vale2 => t.inv_va(REGIME_EL2, None, None, va),
        TlbiOp::Alle3 => t.inv_ctx(REGIME_EL3, None, |_| true),
        TlbiOp::Vae3 | TlbiOp::Vale3 => t.inv_va(REGIME_EL3, None, None, va),
    }
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

/// Applies on this PE a TLBI broadcast by another PE (the Inner Shareable forms, through
/// `Platform::tlbi_broadcast`). The issuer's Security state, VMID and ASID size are not
/// known here (this PE's SCR_EL3/VTTBR_EL2/TCR_EL1 may differ), so the invalidation is
/// widened: both Security states, every VMID, and any ASID for the by-VA forms.
/// Invalidating more than asked is always allowed. The machine calls this, not `tlbi`,
/// for the other PEs.
pub fn tlbi_remote(cpu: &mut Cpu, op: TlbiOp, arg: u64) {
    let va = (((arg << 20) as i64) >> 8) as u64;
    let t = &mut cpu.tlb;
    let el10 = |e: &Entry| matches!(e.ctx & tlb::TAG_REGIME_MASK, REGIME_EL10_NS | REGIME_EL10_S);
    match op {
        TlbiOp::Vmalle1 | TlbiOp::Vmalls12e1 | TlbiOp::Alle1 => t.invalidate_if(el10),
        TlbiOp::Aside1 => {
            // Either ASID size: compare the low 8 bits only (more entries match).
            let asid = (arg >> 48) as u8;
            t.invalidate_if(|e| el10(e) && !e.global && e.asid as u8 == asid)
        }
        TlbiOp::Vae1 | TlbiOp::Vale1 | TlbiOp::Vaae1 | TlbiOp::Vaale1 => {
            t.inv_va(REGIME_EL10_NS, None, None, va);
            t.inv_va(REGIME_EL10_S, None, None, va);
        }
        TlbiOp::Ipas2e1 | TlbiOp::Ipas2le1 => {
            let ipa = (arg & ((1 << 36) - 1)) << 12;
            t.inv_ipa(REGIME_EL10_NS, None, ipa);
        }
        // EL2 and EL3 regimes have neither VMID nor ASID: same as locally.
        _ => tlbi(cpu, op, arg),
    }
}

/// PAR_EL1 in the success format: PA[47:12], SH, NS, ATTR (MAIR format); bit 11 RES1.
fn par_ok(t: &Translation) -> u64 {
    walk::field(t.pa, 47, 12) | (t.sh as u64 & 3) << 7 | (!t.secure as u64) << 9 | 1 << 11 | (t.attr as u64) << 56
}

/// Performs an address translation instruction and returns the value for PAR_EL1.
/// A stage-2 fault on the stage-1 walk of an AT executed at EL1 should be taken to EL2:
/// use `at_checked` to get it as an exception; here it is reported in PAR_EL1.
pub fn at(cpu: &mut Cpu, p: &mut dyn Platform, op: AtOp, va: u64) -> u64 {
    match at_checked(cpu, p, op, va) {
        Ok(par) => par,
        Err(e) => {
            // Fault format, S = 1, PTW = 1, FST = the DFSC.
            1 | ((e.iss & 0x3f) as u64) << 1 | 1 << 8 | 1 << 9 | 1 << 11
        }
    }
}

/// Performs `AT <op>, va`. `Ok(PAR_EL1 value)`, or the exception to take: a stage-2 fault
/// during the stage-1 walk of an AT executed at EL1 is a Data Abort to EL2 (S1PTW = 1,
/// CM = 1, WnR = 1), as QEMU does.
pub fn at_checked(cpu: &mut Cpu, p: &mut dyn Platform, op: AtOp, va: u64) -> Result<u64, SyncExc> {
    use AtOp::*;
    let write = matches!(op, S1e1w | S1e0w | S12e1w | S12e0w | S1e2w | S1e3w);
    let mut acc = if write { Access::write(1) } else { Access::read(1) };
    let el = cpu.st.pstate.el;
    // The EL1&0 regime in the Security state of EL1 (SCR_EL3.NS from EL3).
    let sec10 = if el == 3 { cpu.has_el3() && cpu.sys.scr_el3 & SCR_NS == 0 } else { cpu.is_secure() };
    let ctx = match op {
        S1e1r | S1e1w | S1e0r | S1e0w => {
            let mut c = Ctx::new(cpu, Regime::El10, sec10, matches!(op, S1e0r | S1e0w));
            c.s2_out = false;
            c
        }
        S12e1r | S12e1w => Ctx::new(cpu, Regime::El10, sec10, false),
        S12e0r | S12e0w => Ctx::new(cpu, Regime::El10, sec10, true),
        S1e2r | S1e2w => Ctx::new(cpu, Regime::El2, false, false),
        S1e3r | S1e3w => Ctx::new(cpu, Regime::El3, true, false),
    };
    match translate_in(cpu, p, &ctx, va, &acc, false) {
        Ok(t) => Ok(par_ok(&t)),
        Err(f) if f.stage2 && f.s1ptw && el == 1 => {
            acc.cache_maint = true;
            Err(f.to_exc(va, &acc))
        }
        Err(f) => Ok(f.par()),
    }
}

