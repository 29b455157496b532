//! Native AdvSIMD integer instructions (a child module of `emit`): the modified
//! immediates (MOVI, MVNI, ORR, BIC), the bitwise three-register forms (AND, BIC, ORR,
//! ORN, EOR, BSL, BIT, BIF), ADD, SUB and CMEQ (register and zero) on vectors.
//!
//! Each is a pure function of V registers (no flags, no rounding, no exception other
//! than the FP-enabled trap): SSE2 computes the same lanes (PADDx/PSUBx wrap modulo
//! 2^esize as Arm's ADD/SUB do; PCMPEQx gives all-ones or zero per lane as CMEQ does).
//! A 64-bit (Q = 0) form zeroes bits 127:64 of the result (the interpreter's `set_vec`);
//! operands are read in full, the result's upper half is cleared on the store.
//! The FP-enabled check and the fallback (the interpreter runs the instruction when
//! FP/SIMD is disabled, raising the trap) are those of the scalar FP instructions
//! (`fp::guarded`).

use super::*;
use cpu_aarch64::decode::Simd;

const OFF_V: i32 = offset_of!(Cpu, st.v) as i32;

fn vo(r: u32) -> i32 {
    OFF_V + 16 * (r & 31) as i32
}

#[derive(Clone, Copy)]
enum Bitw {
    And,
    Bic,
    Orr,
    Orn,
    Eor,
    Bsl,
    Bit,
    Bif,
}

/// V[rd] = xmm0, the upper half zeroed when `q` = 0.
fn store_vec(e: &mut Em<'_, '_>, rd: u32, q: u32) {
    let o = vo(rd);
    if q == 1 {
        dynasm!(e.ops ; .arch x64 ; movdqu [rbx + o], xmm0);
    } else {
        dynasm!(e.ops ; .arch x64 ; movq QWORD [rbx + o], xmm0 ; mov QWORD [rbx + o + 8], 0);
    }
}

/// AdvSIMD integer instructions emitted natively (see the module documentation);
/// `false`: call the interpreter.
pub(super) fn native_simd(e: &mut Em<'_, '_>, pc: u64, raw: u32, i: Simd) -> bool {
    use Simd as S;
    match i {
        S::Movi32 { q, rd, .. }
        | S::Movi16 { q, rd, .. }
        | S::MoviMsl { q, rd, .. }
        | S::Movi8 { q, rd, .. }
        | S::Movi64 { q, rd, .. }
        | S::Mvni32 { q, rd, .. }
        | S::Mvni16 { q, rd, .. }
        | S::MvniMsl { q, rd, .. }
        | S::OrrVi32 { q, rd, .. }
        | S::OrrVi16 { q, rd, .. }
        | S::BicVi32 { q, rd, .. }
        | S::BicVi16 { q, rd, .. } => {
            // The immediate as the interpreter expands it (op, cmode, imm8 from the word).
            let cmode = (raw >> 12) & 15;
            let op = (raw >> 29) & 1;
            let imm8 = (((raw >> 16) & 7) << 5) | ((raw >> 5) & 31);
            let imm = cpu_aarch64::semantics::simd::expand_imm(op, cmode, imm8);
            let o = vo(rd);
            let halves: &[i32] = if q == 1 { &[0, 8] } else { &[0] };
            fp::guarded(e, pc, 0, |e, _| {
                match i {
                    S::Movi32 { .. } | S::Movi16 { .. } | S::MoviMsl { .. } | S::Movi8 { .. } | S::Movi64 { .. } => {
                        mov_imm(e, RAX, imm);
                        for &h in halves {
                            dynasm!(e.ops ; .arch x64 ; mov QWORD [rbx + o + h], rax);
                        }
                    }
                    S::Mvni32 { .. } | S::Mvni16 { .. } | S::MvniMsl { .. } => {
                        mov_imm(e, RAX, !imm);
                        for &h in halves {
                            dynasm!(e.ops ; .arch x64 ; mov QWORD [rbx + o + h], rax);
                        }
                    }
                    S::OrrVi32 { .. } | S::OrrVi16 { .. } => {
                        mov_imm(e, RAX, imm);
                        for &h in halves {
                            dynasm!(e.ops ; .arch x64 ; or QWORD [rbx + o + h], rax);
                        }
                    }
                    _ => {
                        mov_imm(e, RAX, !imm);
                        for &h in halves {
                            dynasm!(e.ops ; .arch x64 ; and QWORD [rbx + o + h], rax);
                        }
                    }
                }
                if q == 0 {
                    dynasm!(e.ops ; .arch x64 ; mov QWORD [rbx + o + 8], 0);
                }
            })
        }
        S::AndV { q, rm, rn, rd } => bitwise(e, pc, Bitw::And, q, rm, rn, rd),
        S::BicV { q, rm, rn, rd } => bitwise(e, pc, Bitw::Bic, q, rm, rn, rd),
        S::OrrV { q, rm, rn, rd } => bitwise(e, pc, Bitw::Orr, q, rm, rn, rd),
        S::OrnV { q, rm, rn, rd } => bitwise(e, pc, Bitw::Orn, q, rm, rn, rd),
        S::EorV { q, rm, rn, rd } => bitwise(e, pc, Bitw::Eor, q, rm, rn, rd),
        S::Bsl { q, rm, rn, rd } => bitwise(e, pc, Bitw::Bsl, q, rm, rn, rd),
        S::Bit { q, rm, rn, rd } => bitwise(e, pc, Bitw::Bit, q, rm, rn, rd),
        S::Bif { q, rm, rn, rd } => bitwise(e, pc, Bitw::Bif, q, rm, rn, rd),
        S::AddV { q, size, rm, rn, rd } | S::SubV { q, size, rm, rn, rd } | S::CmeqV { q, size, rm, rn, rd } => {
            // size 3 with Q = 0 is reserved (not decoded as these).
            let kind = match i {
                S::AddV { .. } => 0,
                S::SubV { .. } => 1,
                _ => 2,
            };
            fp::guarded(e, pc, 0, |e, _| {
                let (on, om) = (vo(rn), vo(rm));
                dynasm!(e.ops ; .arch x64 ; movdqu xmm0, [rbx + on] ; movdqu xmm1, [rbx + om]);
                lanes(e, kind, size);
                store_vec(e, rd, q);
            })
        }
        S::CmeqZV { q, size, rn, rd } => fp::guarded(e, pc, 0, |e, _| {
            let on = vo(rn);
            dynasm!(e.ops ; .arch x64 ; movdqu xmm0, [rbx + on] ; pxor xmm1, xmm1);
            lanes(e, 2, size);
            store_vec(e, rd, q);
        }),
        _ => false,
    }
}

/// xmm0 = xmm0 OP xmm1 per lane of `8 << size` bits: `kind` 0 ADD, 1 SUB, 2 CMEQ.
fn lanes(e: &mut Em<'_, '_>, kind: u8, size: u32) {
    match (kind, size) {
        (0, 0) => dynasm!(e.ops ; .arch x64 ; paddb xmm0, xmm1),
        (0, 1) => dynasm!(e.ops ; .arch x64 ; paddw xmm0, xmm1),
        (0, 2) => dynasm!(e.ops ; .arch x64 ; paddd xmm0, xmm1),
        (0, _) => dynasm!(e.ops ; .arch x64 ; paddq xmm0, xmm1),
        (1, 0) => dynasm!(e.ops ; .arch x64 ; psubb xmm0, xmm1),
        (1, 1) => dynasm!(e.ops ; .arch x64 ; psubw xmm0, xmm1),
        (1, 2) => dynasm!(e.ops ; .arch x64 ; psubd xmm0, xmm1),
        (1, _) => dynasm!(e.ops ; .arch x64 ; psubq xmm0, xmm1),
        (_, 0) => dynasm!(e.ops ; .arch x64 ; pcmpeqb xmm0, xmm1),
        (_, 1) => dynasm!(e.ops ; .arch x64 ; pcmpeqw xmm0, xmm1),
        (_, 2) => dynasm!(e.ops ; .arch x64 ; pcmpeqd xmm0, xmm1),
        // 64-bit lanes: both 32-bit halves equal (SSE2 has no PCMPEQQ).
        (_, _) => dynasm!(e.ops
            ; .arch x64
            ; pcmpeqd xmm0, xmm1
            ; pshufd xmm1, xmm0, 0xb1u8 as i8
            ; pand xmm0, xmm1
        ),
    }
}

/// The bitwise three-register forms. BSL: d = (d & n) | (!d & m); BIT: d = (m & n) |
/// (!m & d); BIF: d = (!m & n) | (m & d), i.e. d ^ ((d ^ n) & sel) with sel = d, m, !m.
#[allow(clippy::too_many_arguments)]
fn bitwise(e: &mut Em<'_, '_>, pc: u64, op: Bitw, q: u32, rm: u32, rn: u32, rd: u32) -> bool {
    fp::guarded(e, pc, 0, |e, _| {
        let (on, om, od) = (vo(rn), vo(rm), vo(rd));
        dynasm!(e.ops ; .arch x64 ; movdqu xmm0, [rbx + on] ; movdqu xmm1, [rbx + om]);
        match op {
            Bitw::And => dynasm!(e.ops ; .arch x64 ; pand xmm0, xmm1),
            Bitw::Orr => dynasm!(e.ops ; .arch x64 ; por xmm0, xmm1),
            Bitw::Eor => dynasm!(e.ops ; .arch x64 ; pxor xmm0, xmm1),
            // PANDN: xmm1 = !xmm1 & xmm0.
            Bitw::Bic => dynasm!(e.ops ; .arch x64 ; pandn xmm1, xmm0 ; movdqa xmm0, xmm1),
            Bitw::Orn => dynasm!(e.ops
                ; .arch x64
                ; pcmpeqd xmm2, xmm2
                ; pxor xmm1, xmm2
                ; por xmm0, xmm1
            ),
            Bitw::Bsl => dynasm!(e.ops
                ; .arch x64
                ; movdqu xmm2, [rbx + od]
                // m ^ ((m ^ n) & d)
                ; pxor xmm0, xmm1
                ; pand xmm0, xmm2
                ; pxor xmm0, xmm1
            ),
            Bitw::Bit => dynasm!(e.ops
                ; .arch x64
                ; movdqu xmm2, [rbx + od]
                // d ^ ((d ^ n) & m)
                ; pxor xmm0, xmm2
                ; pand xmm0, xmm1
                ; pxor xmm0, xmm2
            ),
            Bitw::Bif => dynasm!(e.ops
                ; .arch x64
                ; movdqu xmm2, [rbx + od]
                // d ^ ((d ^ n) & !m)
                ; pxor xmm0, xmm2
                ; pandn xmm1, xmm0
                ; movdqa xmm0, xmm1
                ; pxor xmm0, xmm2
            ),
        }
        store_vec(e, rd, q);
    })
}
