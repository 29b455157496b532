//! ALU instructions that take their second operand where the guest register is: the
//! host register caching it (`regcache`) or its `Cpu` slot as an x86 memory operand, in
//! place of a load into rcx and a register-register operation (one instruction less).

use dynasmrt::{dynasm, DynasmApi};

use super::{Alu, Em};

/// Rd = Rn OP Rm (as `rax_op_reg`) computed in the host register that is to cache Rd
/// (`regcache`): MOV Cd, Rn; OP Cd, Rm (no MOV when Rd = Rn is cached already; Cd
/// dirty), two or three instructions fewer than through rax. Returns Cd (holding the
/// result, with the host flags of OP), or None with nothing emitted (cache off, XZR
/// operands, Rd = Rm != Rn: the caller emits the general form).
pub(super) fn op_in_cache(e: &mut Em<'_, '_>, op: Option<Alu>, sf: bool, rd: u32, rn: u32, rm: u32) -> Option<u8> {
    // Rd = Rm != Rn of a commutative operation (MUL, ADD: the same value and flags):
    // as Rd = Rm OP Rn, in place.
    let (rn, rm) = if rd == rm && rd != rn && matches!(op, None | Some(Alu::Add)) { (rm, rn) } else { (rn, rm) };
    if !e.rc.on || rd == 31 || rn == 31 || rm == 31 || (rd == rm && rd != rn) {
        return None;
    }
    let (offd, offn, offm) = (e.cx.reg_off(rd), e.cx.reg_off(rn), e.cx.reg_off(rm));
    let cn = e.rc.find(offn);
    let cm = e.rc.find(offm);
    let cd = if rd == rn && cn.is_some() {
        cn?
    } else {
        let (avoid, n) = super::regcache::regs([cn, cm, None]);
        let cd = e.rc.bind_avoiding(&mut e.ops, offd, &avoid[..n])?;
        match cn {
            Some(c) => dynasm!(e.ops ; .arch x64 ; mov Rq(cd), Rq(c)),
            None => super::ld_cpu(&mut e.ops, cd, offn),
        }
        cd
    };
    // (Rm = Rn = Rd: Cd holds it, `cm` too.)
    let cm = if rm == rn { Some(cd) } else { cm };
    match cm {
        Some(c) => match (op, sf) {
            (None, _) => dynasm!(e.ops ; .arch x64 ; imul Rq(cd), Rq(c)),
            (Some(Alu::Add), true) => dynasm!(e.ops ; .arch x64 ; add Rq(cd), Rq(c)),
            (Some(Alu::Add), false) => dynasm!(e.ops ; .arch x64 ; add Rd(cd), Rd(c)),
            (Some(Alu::Sub), true) => dynasm!(e.ops ; .arch x64 ; sub Rq(cd), Rq(c)),
            (Some(Alu::Sub), false) => dynasm!(e.ops ; .arch x64 ; sub Rd(cd), Rd(c)),
            (Some(Alu::And), true) => dynasm!(e.ops ; .arch x64 ; and Rq(cd), Rq(c)),
            (Some(Alu::And), false) => dynasm!(e.ops ; .arch x64 ; and Rd(cd), Rd(c)),
            (Some(Alu::Or), true) => dynasm!(e.ops ; .arch x64 ; or Rq(cd), Rq(c)),
            (Some(Alu::Or), false) => dynasm!(e.ops ; .arch x64 ; or Rd(cd), Rd(c)),
            (Some(Alu::Xor), true) => dynasm!(e.ops ; .arch x64 ; xor Rq(cd), Rq(c)),
            (Some(Alu::Xor), false) => dynasm!(e.ops ; .arch x64 ; xor Rd(cd), Rd(c)),
        },
        None => match (op, sf) {
            (None, _) => dynasm!(e.ops ; .arch x64 ; imul Rq(cd), QWORD [rbx + offm]),
            (Some(Alu::Add), true) => dynasm!(e.ops ; .arch x64 ; add Rq(cd), QWORD [rbx + offm]),
            (Some(Alu::Add), false) => dynasm!(e.ops ; .arch x64 ; add Rd(cd), DWORD [rbx + offm]),
            (Some(Alu::Sub), true) => dynasm!(e.ops ; .arch x64 ; sub Rq(cd), QWORD [rbx + offm]),
            (Some(Alu::Sub), false) => dynasm!(e.ops ; .arch x64 ; sub Rd(cd), DWORD [rbx + offm]),
            (Some(Alu::And), true) => dynasm!(e.ops ; .arch x64 ; and Rq(cd), QWORD [rbx + offm]),
            (Some(Alu::And), false) => dynasm!(e.ops ; .arch x64 ; and Rd(cd), DWORD [rbx + offm]),
            (Some(Alu::Or), true) => dynasm!(e.ops ; .arch x64 ; or Rq(cd), QWORD [rbx + offm]),
            (Some(Alu::Or), false) => dynasm!(e.ops ; .arch x64 ; or Rd(cd), DWORD [rbx + offm]),
            (Some(Alu::Xor), true) => dynasm!(e.ops ; .arch x64 ; xor Rq(cd), QWORD [rbx + offm]),
            (Some(Alu::Xor), false) => dynasm!(e.ops ; .arch x64 ; xor Rd(cd), DWORD [rbx + offm]),
        },
    }
    if op.is_none() && !sf {
        // (The 64-bit product's low half: zero-extend the W result.)
        dynasm!(e.ops ; .arch x64 ; mov Rd(cd), Rd(cd));
    }
    write_back(e, rd, cd);
    Some(cd)
}

/// rax = rax OP Xr / Wr (OP: an `Alu` operation, or with `mul` the low half of the
/// product; a 32-bit operation zero-extends, as `alu_rr`); false (nothing emitted) for
/// r = 31 (XZR, which the caller materializes).
pub(super) fn rax_op_reg(e: &mut Em<'_, '_>, op: Option<Alu>, sf: bool, r: u32) -> bool {
    if r == 31 {
        return false;
    }
    let off = e.cx.reg_off(r);
    // (The low 64 bits of a product, hence the low 32, do not depend on the upper
    // halves: IMUL is 64-bit for both widths, as in `native_dp_reg`.)
    match e.rc.find(off) {
        Some(c) => match (op, sf) {
            (None, _) => dynasm!(e.ops ; .arch x64 ; imul rax, Rq(c)),
            (Some(Alu::Add), true) => dynasm!(e.ops ; .arch x64 ; add rax, Rq(c)),
            (Some(Alu::Add), false) => dynasm!(e.ops ; .arch x64 ; add eax, Rd(c)),
            (Some(Alu::Sub), true) => dynasm!(e.ops ; .arch x64 ; sub rax, Rq(c)),
            (Some(Alu::Sub), false) => dynasm!(e.ops ; .arch x64 ; sub eax, Rd(c)),
            (Some(Alu::And), true) => dynasm!(e.ops ; .arch x64 ; and rax, Rq(c)),
            (Some(Alu::And), false) => dynasm!(e.ops ; .arch x64 ; and eax, Rd(c)),
            (Some(Alu::Or), true) => dynasm!(e.ops ; .arch x64 ; or rax, Rq(c)),
            (Some(Alu::Or), false) => dynasm!(e.ops ; .arch x64 ; or eax, Rd(c)),
            (Some(Alu::Xor), true) => dynasm!(e.ops ; .arch x64 ; xor rax, Rq(c)),
            (Some(Alu::Xor), false) => dynasm!(e.ops ; .arch x64 ; xor eax, Rd(c)),
        },
        None => match (op, sf) {
            (None, _) => dynasm!(e.ops ; .arch x64 ; imul rax, QWORD [rbx + off]),
            (Some(Alu::Add), true) => dynasm!(e.ops ; .arch x64 ; add rax, QWORD [rbx + off]),
            (Some(Alu::Add), false) => dynasm!(e.ops ; .arch x64 ; add eax, DWORD [rbx + off]),
            (Some(Alu::Sub), true) => dynasm!(e.ops ; .arch x64 ; sub rax, QWORD [rbx + off]),
            (Some(Alu::Sub), false) => dynasm!(e.ops ; .arch x64 ; sub eax, DWORD [rbx + off]),
            (Some(Alu::And), true) => dynasm!(e.ops ; .arch x64 ; and rax, QWORD [rbx + off]),
            (Some(Alu::And), false) => dynasm!(e.ops ; .arch x64 ; and eax, DWORD [rbx + off]),
            (Some(Alu::Or), true) => dynasm!(e.ops ; .arch x64 ; or rax, QWORD [rbx + off]),
            (Some(Alu::Or), false) => dynasm!(e.ops ; .arch x64 ; or eax, DWORD [rbx + off]),
            (Some(Alu::Xor), true) => dynasm!(e.ops ; .arch x64 ; xor rax, QWORD [rbx + off]),
            (Some(Alu::Xor), false) => dynasm!(e.ops ; .arch x64 ; xor eax, DWORD [rbx + off]),
        },
    }
    true
}

/// The host register holding guest register `r` (`regcache`), if cached (not XZR).
pub(super) fn cached(e: &mut Em<'_, '_>, r: u32) -> Option<u8> {
    if r == 31 {
        return None;
    }
    let off = e.cx.reg_off(r);
    e.rc.find(off)
}

/// rdx = host register `s` if x86 condition `cc` holds (CMOVcc rdx, s: REX.W [+B] 0F 40+cc
/// /r, register direct; the flags are unchanged).
pub(super) fn cmov_rdx_from(e: &mut Em<'_, '_>, cc: u8, s: u8) {
    e.ops.extend([0x48 | (s >> 3), 0x0f, 0x40 | (cc & 0xf), 0xc0 | (2 << 3) | (s & 7)]);
}

/// The destination's cache register for Rd = f(Rn) (`op_in_cache`): Rn's own when Rd = Rn
/// is cached, else a register bound to Rd and loaded with Rn. None when the cache is
/// off (`r31_sp`: register 31 is SP, else XZR, which is left to the caller).
pub(super) fn dest_from(e: &mut Em<'_, '_>, rd: u32, rn: u32, r31_sp: bool) -> Option<u8> {
    if !e.rc.on || (!r31_sp && (rd == 31 || rn == 31)) {
        return None;
    }
    let (offd, offn) = (e.cx.reg_off(rd), e.cx.reg_off(rn));
    let cn = e.rc.find(offn);
    if rd == rn && cn.is_some() {
        return cn;
    }
    let (avoid, n) = super::regcache::regs([cn, None, None]);
    let cd = e.rc.bind_avoiding(&mut e.ops, offd, &avoid[..n])?;
    match cn {
        Some(c) => dynasm!(e.ops ; .arch x64 ; mov Rq(cd), Rq(c)),
        None => super::ld_cpu(&mut e.ops, cd, offn),
    }
    Some(cd)
}

/// ADD/SUB/ADDS/SUBS (immediate `imm`, already shifted) computed in Rd's cache register
/// (as `op_in_cache`; Rd and Rn 31 are SP, except the flag-setting forms' Rd, XZR: CMP
/// with a cached Rn is one CMP). Returns false with nothing emitted otherwise (the
/// caller then sets NZCV from the host flags left by this code when it returns true).
pub(super) fn imm_in_cache(e: &mut Em<'_, '_>, sub: bool, flags: bool, sf: bool, imm: i32, rd: u32, rn: u32) -> bool {
    if !e.rc.on {
        return false;
    }
    if flags && rd == 31 {
        // CMP / CMN: only CMP, and only from a cached Rn.
        let offn = e.cx.reg_off(rn);
        let Some(c) = e.rc.find(offn).filter(|_| sub) else { return false };
        if sf {
            dynasm!(e.ops ; .arch x64 ; cmp Rq(c), imm);
        } else {
            dynasm!(e.ops ; .arch x64 ; cmp Rd(c), imm);
        }
        return true;
    }
    let Some(cd) = dest_from(e, rd, rn, true) else { return false };
    match (sub, sf) {
        _ if imm == 0 && !flags => {
            if !sf {
                dynasm!(e.ops ; .arch x64 ; mov Rd(cd), Rd(cd));
            }
        }
        (false, true) => dynasm!(e.ops ; .arch x64 ; add Rq(cd), imm),
        (false, false) => dynasm!(e.ops ; .arch x64 ; add Rd(cd), imm),
        (true, true) => dynasm!(e.ops ; .arch x64 ; sub Rq(cd), imm),
        (true, false) => dynasm!(e.ops ; .arch x64 ; sub Rd(cd), imm),
    }
    write_back(e, rd, cd);
    true
}

/// LSL/LSR/ASR (immediate, the UBFM/SBFM aliases, `flagfree::bitfield_shift`) computed
/// in Rd's cache register; false with nothing emitted otherwise (XZR operands, shift by
/// 0, cache off).
pub(super) fn shift_in_cache(e: &mut Em<'_, '_>, d: &cpu_aarch64::decode::DpImm) -> bool {
    let Some((s, rn, rd)) = super::flagfree::bitfield_shift(d) else { return false };
    if s.amount == 0 {
        return false;
    }
    let Some(cd) = dest_from(e, rd, rn, false) else { return false };
    let a = s.amount as i8;
    match (s.kind, s.sf) {
        (0, true) => dynasm!(e.ops ; .arch x64 ; shl Rq(cd), a),
        (0, false) => dynasm!(e.ops ; .arch x64 ; shl Rd(cd), a),
        (1, true) => dynasm!(e.ops ; .arch x64 ; shr Rq(cd), a),
        (1, false) => dynasm!(e.ops ; .arch x64 ; shr Rd(cd), a),
        (_, true) => dynasm!(e.ops ; .arch x64 ; sar Rq(cd), a),
        (_, false) => dynasm!(e.ops ; .arch x64 ; sar Rd(cd), a),
    }
    write_back(e, rd, cd);
    true
}

/// Rd = Rn AND/ORR/EOR `v` (a logical immediate at width `sf`, already truncated) in Rd's
/// cache register when `v` is 0xffff_ffff (AND: a 32-bit move) or an imm32 form; returns
/// the register (for ANDS's flags) or None with nothing emitted (XZR/SP operands, other
/// immediates, cache off).
pub(super) fn logic_imm_in_cache(e: &mut Em<'_, '_>, op: Alu, sf: bool, v: u64, rd: u32, rn: u32) -> Option<u8> {
    let uxtw = matches!(op, Alu::And) && sf && v == 0xffff_ffff;
    if !(uxtw || !sf || v as i64 == v as i32 as i64) || matches!(op, Alu::Add | Alu::Sub) {
        return None;
    }
    let cd = dest_from(e, rd, rn, false)?;
    let i = v as i32;
    match (op, sf) {
        _ if uxtw => dynasm!(e.ops ; .arch x64 ; mov Rd(cd), Rd(cd)),
        (Alu::Or, true) => dynasm!(e.ops ; .arch x64 ; or Rq(cd), i),
        (Alu::Or, false) => dynasm!(e.ops ; .arch x64 ; or Rd(cd), i),
        (Alu::Xor, true) => dynasm!(e.ops ; .arch x64 ; xor Rq(cd), i),
        (Alu::Xor, false) => dynasm!(e.ops ; .arch x64 ; xor Rd(cd), i),
        (_, true) => dynasm!(e.ops ; .arch x64 ; and Rq(cd), i),
        (_, false) => dynasm!(e.ops ; .arch x64 ; and Rd(cd), i),
    }
    write_back(e, rd, cd);
    Some(cd)
}

/// MADD Rd = Ra + Rn * Rm in Rd's cache register (MOV Cd, Rn; IMUL Cd, Rm; ADD Cd, Ra;
/// store); false with nothing emitted for XZR operands, Rd = Ra, Rd = Rm != Rn, or the
/// cache off.
pub(super) fn madd_in_cache(e: &mut Em<'_, '_>, sf: bool, rd: u32, rn: u32, rm: u32, ra: u32) -> bool {
    if !e.rc.on || [rd, rn, rm, ra].contains(&31) || rd == ra || (rd == rm && rd != rn) {
        return false;
    }
    let (offd, offn, offm, offa) = (e.cx.reg_off(rd), e.cx.reg_off(rn), e.cx.reg_off(rm), e.cx.reg_off(ra));
    let cn = e.rc.find(offn);
    let cm = e.rc.find(offm);
    let ca = e.rc.find(offa);
    let cd = if rd == rn && cn.is_some() {
        match cn {
            Some(c) => c,
            None => return false,
        }
    } else {
        let (avoid, n) = super::regcache::regs([cn, cm, ca]);
        let Some(cd) = e.rc.bind_avoiding(&mut e.ops, offd, &avoid[..n]) else { return false };
        match cn {
            Some(c) => dynasm!(e.ops ; .arch x64 ; mov Rq(cd), Rq(c)),
            None => super::ld_cpu(&mut e.ops, cd, offn),
        }
        cd
    };
    // (Rm = Rn: Cd holds it. Ra is neither Rd nor, once overwritten, read from Cd: Ra =
    // Rn with Rd != Rn reads Rn's own register or memory, both unchanged.)
    match if rm == rn { Some(cd) } else { cm } {
        Some(c) => dynasm!(e.ops ; .arch x64 ; imul Rq(cd), Rq(c)),
        None => dynasm!(e.ops ; .arch x64 ; imul Rq(cd), QWORD [rbx + offm]),
    }
    match ca {
        Some(c) => dynasm!(e.ops ; .arch x64 ; add Rq(cd), Rq(c)),
        None => dynasm!(e.ops ; .arch x64 ; add Rq(cd), QWORD [rbx + offa]),
    }
    if !sf {
        dynasm!(e.ops ; .arch x64 ; mov Rd(cd), Rd(cd));
    }
    write_back(e, rd, cd);
    true
}

/// ADD/SUB(S) (extended register) with a W or X Rm (UXTW, SXTW, UXTX, SXTX; shift
/// `imm3` <= 4) computed in Rd's cache register: the extended Rm into rcx first (so that
/// Rd = Rm reads it before Cd changes), then as `dest_from` (Rd and Rn 31 are SP; the
/// flag-setting forms' Rd 31, XZR, is left to the caller, as are the other options).
/// False with nothing emitted otherwise.
#[allow(clippy::too_many_arguments)]
pub(super) fn ext_in_cache(e: &mut Em<'_, '_>, sub: bool, flags: bool, sf: bool, option: u32, imm3: u32, rd: u32, rn: u32, rm: u32) -> bool {
    if !e.rc.on || !matches!(option, 2 | 3 | 6 | 7) || imm3 > 4 || (flags && rd == 31) {
        return false;
    }
    let offm = e.cx.reg_off(rm);
    let cm = if rm == 31 { None } else { e.rc.find(offm) };
    match (option, cm) {
        _ if rm == 31 => dynasm!(e.ops ; .arch x64 ; xor ecx, ecx),
        (2, Some(c)) => dynasm!(e.ops ; .arch x64 ; mov ecx, Rd(c)),
        (2, None) => dynasm!(e.ops ; .arch x64 ; mov ecx, DWORD [rbx + offm]),
        (6, Some(c)) => dynasm!(e.ops ; .arch x64 ; movsxd rcx, Rd(c)),
        (6, None) => dynasm!(e.ops ; .arch x64 ; movsxd rcx, DWORD [rbx + offm]),
        (_, Some(c)) => dynasm!(e.ops ; .arch x64 ; mov rcx, Rq(c)),
        (_, None) => dynasm!(e.ops ; .arch x64 ; mov rcx, QWORD [rbx + offm]),
    }
    if imm3 > 0 {
        dynasm!(e.ops ; .arch x64 ; shl rcx, imm3 as i8);
    }
    let Some(cd) = dest_from(e, rd, rn, true) else {
        // (Only with the cache off, excluded above: rcx is simply dropped.)
        return false;
    };
    match (sub, sf) {
        (false, true) => dynasm!(e.ops ; .arch x64 ; add Rq(cd), rcx),
        (false, false) => dynasm!(e.ops ; .arch x64 ; add Rd(cd), ecx),
        (true, true) => dynasm!(e.ops ; .arch x64 ; sub Rq(cd), rcx),
        (true, false) => dynasm!(e.ops ; .arch x64 ; sub Rd(cd), ecx),
    }
    write_back(e, rd, cd);
    true
}

/// Rd's cache register `cd` now holds its result: marked dirty (stored to `Cpu` later,
/// `regcache`). The rax of an earlier store may no longer hold what `Em::avail` says:
/// forgotten.
fn write_back(e: &mut Em<'_, '_>, _rd: u32, cd: u8) {
    e.rc.set_dirty(cd);
    e.avail = None;
}
