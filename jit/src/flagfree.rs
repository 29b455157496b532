//! Flag-neutral forms of shifts and shifted adds (BMI2 SHLX/SHRX/SARX, which leave the
//! host flags alone, and LEA), so that they may lie between a fused NZCV producer and
//! its consumer (`emit::flag_neutral`, `Em::keep_flags`). Compilers put such an
//! instruction between a compare and the select that uses it, as in the double-word
//! product of the kernel's multi-precision code (`mpihelp_submul_1`: CMP; ADD Xd, Xn,
//! Xm, LSL #32; CSEL): without it the flags are stored and read back from NZCV.
//!
//! Handled (only on hosts with BMI2): ADD/SUB (shifted register, LSL/LSR/ASR, any
//! amount, 32 and 64 bits, XZR operands) and the UBFM/SBFM aliases LSL, LSR, ASR
//! (immediate). SUB is Rn + NOT(shifted Rm) + 1 (NOT and LEA leave the flags alone).

use std::sync::OnceLock;

use cpu_aarch64::decode::{DpImm, DpReg, Insn};
use dynasmrt::{dynasm, DynasmApi};

use super::{Em, RAX, RCX};

fn bmi2() -> bool {
    static BMI2: OnceLock<bool> = OnceLock::new();
    *BMI2.get_or_init(|| std::arch::is_x86_feature_detected!("bmi2"))
}

/// A shift by an immediate: 0 = LSL, 1 = LSR, 2 = ASR.
#[derive(Clone, Copy)]
pub(super) struct Shift {
    pub kind: u32,
    pub amount: u32,
    pub sf: bool,
}

/// UBFM/SBFM as LSL/LSR/ASR #amount (Arm ARM C6.2: the alias conditions), else None.
pub(super) fn bitfield_shift(d: &DpImm) -> Option<(Shift, u32, u32)> {
    let (signed, sf, n, immr, imms, rn, rd) = match *d {
        DpImm::Ubfm { sf, n, immr, imms, rn, rd } => (false, sf, n, immr, imms, rn, rd),
        DpImm::Sbfm { sf, n, immr, imms, rn, rd } => (true, sf, n, immr, imms, rn, rd),
        _ => return None,
    };
    let top = if sf == 1 { 63 } else { 31 };
    if n != sf || immr > top || imms > top {
        return None;
    }
    let sh = |kind, amount| Some((Shift { kind, amount, sf: sf == 1 }, rn, rd));
    if imms == top {
        // LSR / ASR #immr.
        return sh(if signed { 2 } else { 1 }, immr);
    }
    if !signed && imms + 1 == immr {
        // LSL #(width - immr).
        return sh(0, top - imms);
    }
    None
}

/// Whether `emit` handles `insn` (on this host).
pub(super) fn neutral(insn: &Insn) -> bool {
    if !bmi2() {
        return false;
    }
    match insn {
        Insn::DpReg(DpReg::AddReg { sf, shift, imm6, .. } | DpReg::SubReg { sf, shift, imm6, .. }) => *shift < 3 && (*sf == 1 || *imm6 < 32),
        Insn::DpImm(d) => bitfield_shift(d).is_some(),
        _ => false,
    }
}

/// rcx (`h` = RCX) or rax (RAX) = itself shifted by `s` without touching the flags
/// (clobbers rdx).
fn shift_keep_flags(e: &mut Em<'_, '_>, h: u8, s: Shift) {
    if s.amount == 0 {
        return;
    }
    dynasm!(e.ops ; .arch x64 ; mov edx, s.amount as i32);
    match (s.kind, s.sf) {
        (0, true) => dynasm!(e.ops ; .arch x64 ; shlx Rq(h), Rq(h), rdx),
        (0, false) => dynasm!(e.ops ; .arch x64 ; shlx Rd(h), Rd(h), edx),
        (1, true) => dynasm!(e.ops ; .arch x64 ; shrx Rq(h), Rq(h), rdx),
        (1, false) => dynasm!(e.ops ; .arch x64 ; shrx Rd(h), Rd(h), edx),
        (_, true) => dynasm!(e.ops ; .arch x64 ; sarx Rq(h), Rq(h), rdx),
        (_, false) => dynasm!(e.ops ; .arch x64 ; sarx Rd(h), Rd(h), edx),
    }
}

/// Emits `insn` leaving the host flags alone, if `neutral`; false (nothing emitted)
/// otherwise.
pub(super) fn emit(e: &mut Em<'_, '_>, insn: &Insn) -> bool {
    if !neutral(insn) {
        return false;
    }
    if let Insn::DpReg(DpReg::AddReg { shift: 0, rm, imm6, rn, .. }) = *insn {
        if imm6 <= 3 && rm != 31 && rn != 31 {
            // (One LEA with a scaled index: `native_dp_reg`.)
            return false;
        }
    }
    match *insn {
        Insn::DpReg(DpReg::AddReg { sf, shift, rm, imm6, rn, rd } | DpReg::SubReg { sf, shift, rm, imm6, rn, rd }) => {
            let sub = matches!(insn, Insn::DpReg(DpReg::SubReg { .. }));
            let sf = sf == 1;
            e.load_keep_flags(RCX, rm);
            shift_keep_flags(e, RCX, Shift { kind: shift, amount: imm6, sf });
            if let Some(c) = super::operand::cached(e, rn).filter(|_| rd == rn) {
                // Rd = Rn cached: one LEA in place (MOVs and NOT leave the flags alone).
                match (sub, sf) {
                    (false, true) => dynasm!(e.ops ; .arch x64 ; lea Rq(c), [Rq(c) + rcx]),
                    (false, false) => dynasm!(e.ops ; .arch x64 ; lea Rd(c), [Rq(c) + rcx]),
                    (true, true) => dynasm!(e.ops ; .arch x64 ; not rcx ; lea Rq(c), [Rq(c) + rcx + 1]),
                    (true, false) => dynasm!(e.ops ; .arch x64 ; not rcx ; lea Rd(c), [Rq(c) + rcx + 1]),
                }
                e.rc.set_dirty(c);
                e.avail = None;
                e.pending += 1;
                return true;
            }
            e.load_keep_flags(RAX, rn);
            // (A 32-bit LEA keeps the low 32 bits, zero-extended.)
            match (sub, sf) {
                (false, true) => dynasm!(e.ops ; .arch x64 ; lea rax, [rax + rcx]),
                (false, false) => dynasm!(e.ops ; .arch x64 ; lea eax, [rax + rcx]),
                (true, true) => dynasm!(e.ops ; .arch x64 ; not rcx ; lea rax, [rax + rcx + 1]),
                (true, false) => dynasm!(e.ops ; .arch x64 ; not rcx ; lea eax, [rax + rcx + 1]),
            }
            e.store(RAX, rd, false, true);
        }
        Insn::DpImm(d) => {
            let Some((s, rn, rd)) = bitfield_shift(&d) else { return false };
            e.load_keep_flags(RAX, rn);
            if !s.sf && s.amount == 0 {
                // (LSR/ASR #0 of a W register: the low 32 bits.)
                dynasm!(e.ops ; .arch x64 ; mov eax, eax);
            }
            shift_keep_flags(e, RAX, s);
            e.store(RAX, rd, false, true);
        }
        _ => return false,
    }
    e.pending += 1;
    true
}
