//! ALU instructions that take their second operand where the guest register is: the
//! host register caching it (`regcache`) or its `Cpu` slot as an x86 memory operand, in
//! place of a load into rcx and a register-register operation (one instruction less).

use dynasmrt::{dynasm, DynasmApi};

use super::{Alu, Em};

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
