//! Native emitters for the frequent integer/system call-outs of the Linux boot
//! (`LSEMU_JIT_PROFILE`): Load/Store-Exclusive (LDXR*, LDAXR*, LDXP, LDAXP, STXR*, STLXR*,
//! STXP, STLXP), DC ZVA, the cache maintenance instructions that have no effect in lsemu
//! but their traps and faults (IC IVAU, DC CVAU/CVAC/CIVAC), and STNP/LDNP.
//!
//! Each one is exact with respect to the interpreter (`interp::ldst::excl`,
//! `interp::system::sys`): the inline path is taken only when the interpreter would take
//! its own fast path without side effects other than the ones reproduced here; otherwise
//! (a `FastMem` miss, an unaligned address, a trap enable set, a Device page) the
//! interpreter runs the whole instruction (a call-out, reported as a slow path by the
//! profile). None of them changes interrupt state: the interrupt sample that the
//! interpreter's run loop makes after a cache maintenance instruction
//! (`interp::keeps_fast_state`) finds what the last one found, since interrupt lines and
//! masks have not changed since (`FastMem::irq_check` is clear in translated code).
//!
//! A child module of `emit`.

use std::mem::offset_of;

use cpu_aarch64::decode::{Insn, Ldst, System};
use cpu_aarch64::sysreg::{HCR_TDZ, HCR_TID2, HCR_TPC, HCR_TPU, HCR_VM, SCTLR_DZE, SCTLR_UCI, SCTLR_UCT, SCTLR_UMA};
use cpu_aarch64::Cpu;
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};

use super::{load_n, probe, store_n, Em, OFF_PC, R10, R11, R13, R14, R8, RAX, RDI, RDX};
use crate::{exit, Ctx};

const OFF_SCTLR1: i32 = (offset_of!(Cpu, sys.sctlr) + 8) as i32;
const OFF_HCR: i32 = offset_of!(Cpu, sys.hcr_el2) as i32;
const OFF_DAIF: i32 = offset_of!(Cpu, st.pstate.daif) as i32;
const OFF_ELR1: i32 = (offset_of!(Cpu, st.elr) + 8) as i32;
const OFF_SPSR1: i32 = (offset_of!(Cpu, st.spsr) + 8) as i32;

/// Emits `insn` natively if this module covers it.
pub(super) fn native(e: &mut Em<'_, '_>, pc: u64, insn: &Insn) -> bool {
    match *insn {
        Insn::Ldst(l) => excl(e, pc, l) || nontemporal(e, pc, l),
        Insn::System(System::Sys { op1, crn: 7, crm, op2, rt }) => cache_op(e, pc, op1, crm, op2, rt),
        Insn::System(s) => sysreg(e, pc, s),
        _ => false,
    }
}

/// STNP/LDNP: the interpreter runs them as STP/LDP with a signed offset (the
/// non-temporal hint has no effect), so they are `emit::mem_access` as LDP/STP.
fn nontemporal(e: &mut Em<'_, '_>, pc: u64, l: Ldst) -> bool {
    let (load, sf, imm7, rt2, rn, rt) = match l {
        Ldst::Stnp { sf, imm7, rt2, rn, rt } => (false, sf, imm7, rt2, rn, rt),
        Ldst::Ldnp { sf, imm7, rt2, rn, rt } => (true, sf, imm7, rt2, rn, rt),
        _ => return false,
    };
    if load && rt == rt2 {
        return false;
    }
    let off = (cpu_aarch64::semantics::alu::sign_extend(imm7 as u64, 7) << (2 + sf)) as i64 as i32;
    let raw = e.raw;
    super::mem_access(e, pc, raw, load, 4 << sf, rt, Some(rt2), rn, super::Addr::Imm(off), super::Ix::Off)
}

// ---- Load/Store-Exclusive ----------------------------------------------------------------

/// `ExclusiveMonitor::mark` for translated code: an LDXR of `size` bytes at `va` read
/// physical address `pa` (what `excl::load_excl` does after its read).
extern "sysv64" fn excl_mark(cpu: *mut Cpu, pa: u64, size: u64, va: u64) {
    // SAFETY: translated code passes its `Cpu` (rbx), live and otherwise unborrowed while
    // the block runs.
    let cpu = unsafe { &mut *cpu };
    cpu.monitor.mark(pa, size as u8, va);
}

/// The monitor check of `excl::store_excl` for a Store-Exclusive of `size` bytes at `va`
/// that translates (aligned, no fault) to `pa`: passes (0) if the monitor is in the
/// Exclusive Access state for that VA and exactly (`pa`, `size`), else fails (1); the
/// monitor is left open either way.
extern "sysv64" fn excl_check(cpu: *mut Cpu, va: u64, pa: u64, size: u64) -> u32 {
    // SAFETY: as in `excl_mark`.
    let cpu = unsafe { &mut *cpu };
    let m = &mut cpu.monitor;
    let pass = m.reserved.is_some() && m.va == va && m.is_exclusive(pa, size as u8);
    m.clear();
    (!pass) as u32
}

/// Loads the base register into r10 (SP: only when 16-byte aligned, so that the SP
/// alignment check passes whatever SCTLR.SA says; else jumps to `slow`).
fn base_r10(e: &mut Em<'_, '_>, rn: u32, slow: dynasmrt::DynamicLabel) {
    e.load(RAX, rn, true);
    if rn == 31 {
        dynasm!(e.ops ; .arch x64 ; test al, 0xf ; jnz =>slow);
    }
    dynasm!(e.ops ; .arch x64 ; mov r10, rax);
}

/// Load/Store-Exclusive, inline when `FastMem` has the page for the access (the
/// interpreter's `read_mem`/`write_mem` fast path, with a translation that is then a TLB
/// hit or the flat MMU-off mapping, side-effect free):
/// - LDXR/LDXP: the naturally aligned read of the whole access (`esize` or 2 x `esize`
///   bytes), the registers written (LDXP Rt == Rt2: Rt2, the high element, last) and the
///   monitor marked with the PA, size and VA (`excl_mark`);
/// - STXR/STXP: the monitor check (`excl_check`) on the PA of the aligned write, then the
///   store with the data read before the status is written (Rs == Rt: Constraint_NONE, as
///   the interpreter), and Ws = status (no store report: a write entry exists only for
///   a page whose stores need none, see the crate documentation).
///   When the monitor fails on a VA other than the marked one the interpreter makes no
///   access at all; the inline path does none either (the probe only reads `FastMem`),
///   and when the probe misses the interpreter decides.
fn excl(e: &mut Em<'_, '_>, pc: u64, l: Ldst) -> bool {
    // (store, element bytes, pair, rs, rt, rt2, rn)
    let (store, esize, pair, rs, rt, rt2, rn) = match l {
        Ldst::Ldxrb { rn, rt } | Ldst::Ldaxrb { rn, rt } => (false, 1, false, 31, rt, 31, rn),
        Ldst::Ldxrh { rn, rt } | Ldst::Ldaxrh { rn, rt } => (false, 2, false, 31, rt, 31, rn),
        Ldst::Ldxr { sz, rn, rt } | Ldst::Ldaxr { sz, rn, rt } => (false, 4 << sz, false, 31, rt, 31, rn),
        Ldst::Ldxp { sz, rt2, rn, rt } | Ldst::Ldaxp { sz, rt2, rn, rt } => (false, 4 << sz, true, 31, rt, rt2, rn),
        Ldst::Stxrb { rs, rn, rt } | Ldst::Stlxrb { rs, rn, rt } => (true, 1, false, rs, rt, 31, rn),
        Ldst::Stxrh { rs, rn, rt } | Ldst::Stlxrh { rs, rn, rt } => (true, 2, false, rs, rt, 31, rn),
        Ldst::Stxr { sz, rs, rn, rt } | Ldst::Stlxr { sz, rs, rn, rt } => (true, 4 << sz, false, rs, rt, 31, rn),
        Ldst::Stxp { sz, rs, rt2, rn, rt } | Ldst::Stlxp { sz, rs, rt2, rn, rt } => (true, 4 << sz, true, rs, rt, rt2, rn),
        _ => return false,
    };
    let dbytes: u32 = if pair { 2 * esize } else { esize };
    e.flush_count();
    let slow = e.ops.new_dynamic_label();
    let done = e.ops.new_dynamic_label();
    base_r10(e, rn, slow);
    if !store {
        probe(e, R10, dbytes, 1, R8, Some(R13), slow);
        match (pair, esize) {
            (false, n) => load_n(e, RDI, R8, n),
            (true, 4) => dynasm!(e.ops ; .arch x64 ; mov edi, DWORD [r8] ; mov edx, DWORD [r8 + 4]),
            _ => dynasm!(e.ops ; .arch x64 ; mov rdi, QWORD [r8] ; mov rdx, QWORD [r8 + 8]),
        }
        e.store(RDI, rt, false, true);
        if pair {
            e.store(RDX, rt2, false, true);
        }
        let f = excl_mark as extern "sysv64" fn(*mut Cpu, u64, u64, u64) as usize as i64;
        dynasm!(e.ops
            ; .arch x64
            ; mov rdi, rbx
            ; mov rsi, r13
            ; mov edx, dbytes as i32
            ; mov rcx, r10
            ; mov rax, QWORD f
            ; call rax
        );
        retire_to(e, done);
    } else {
        // r14 = host address, r13 = PA (both callee-saved: they survive the call).
        probe(e, R10, dbytes, super::STORE, R14, Some(R13), slow);
        let f = excl_check as extern "sysv64" fn(*mut Cpu, u64, u64, u64) -> u32 as usize as i64;
        let fail = e.ops.new_dynamic_label();
        dynasm!(e.ops
            ; .arch x64
            ; mov rdi, rbx
            ; mov rsi, r10
            ; mov rdx, r13
            ; mov ecx, dbytes as i32
            ; mov rax, QWORD f
            ; call rax
            ; test eax, eax
            ; jnz =>fail
        );
        // Passed: the data (read before Ws is written), then the status.
        e.load(RDI, rt, false);
        match (pair, esize) {
            (false, n) => store_n(e, RDI, R14, n),
            (true, 4) => {
                e.load(RDX, rt2, false);
                dynasm!(e.ops
                    ; .arch x64
                    ; mov DWORD [r14], edi
                    ; mov DWORD [r14 + 4], edx
                );
            }
            _ => {
                e.load(RDX, rt2, false);
                dynasm!(e.ops
                    ; .arch x64
                    ; mov QWORD [r14], rdi
                    ; mov QWORD [r14 + 8], rdx
                );
            }
        }
        if rs != 31 {
            let off = e.cx.reg_off(rs);
            dynasm!(e.ops ; .arch x64 ; mov QWORD [rbx + off], 0);
        }
        retire_to(e, done);
        dynasm!(e.ops ; .arch x64 ; =>fail);
        if rs != 31 {
            let off = e.cx.reg_off(rs);
            dynasm!(e.ops ; .arch x64 ; mov QWORD [rbx + off], 1);
        }
        retire_to(e, done);
    }
    fallback(e, pc, slow, done)
}

/// The fast path of the instruction being emitted is complete: it is counted and jumps
/// to `done`.
fn retire_to(e: &mut Em<'_, '_>, done: dynasmrt::DynamicLabel) {
    e.pending = 1;
    e.flush_count();
    dynasm!(e.ops ; .arch x64 ; jmp =>done);
}

/// The instruction's fallback at `slow` (the interpreter runs it, counted by the
/// call-out), then `done`, where both paths continue with nothing pending. Returns true:
/// the instruction is emitted.
fn fallback(e: &mut Em<'_, '_>, pc: u64, slow: dynasmrt::DynamicLabel, done: dynasmrt::DynamicLabel) -> bool {
    dynasm!(e.ops ; .arch x64 ; =>slow);
    e.slow_path = true;
    let raw = e.raw;
    e.callout(pc, raw);
    dynasm!(e.ops ; .arch x64 ; =>done);
    e.pending = 0;
    true
}

// ---- Cache maintenance ---------------------------------------------------------------------

/// Jumps to `slow` if the SCTLR_EL1 bit `sctlr_bit` is clear at EL0 (an EL0 enable).
fn el0_check(e: &mut Em<'_, '_>, sctlr_bit: u64, slow: dynasmrt::DynamicLabel) {
    if e.cx.el == 0 {
        dynasm!(e.ops
            ; .arch x64
            ; mov rax, QWORD [rbx + OFF_SCTLR1]
            ; bt rax, sctlr_bit.trailing_zeros() as i8
            ; jnc =>slow
        );
    }
}

/// Jumps to `slow` at EL0/EL1 if the HCR_EL2 bit `hcr_bit` is set (whether EL2 is enabled
/// or not: with EL2 disabled the interpreter decides).
fn hcr_check(e: &mut Em<'_, '_>, hcr_bit: u64, slow: dynasmrt::DynamicLabel) {
    if e.cx.el <= 1 {
        dynasm!(e.ops
            ; .arch x64
            ; mov rax, QWORD [rbx + OFF_HCR]
            ; bt rax, hcr_bit.trailing_zeros() as i8
            ; jc =>slow
        );
    }
}

/// Jumps to `slow` if the EL0 enable `sctlr_bit` (SCTLR_EL1) is clear at EL0, or (at EL0/EL1)
/// if the HCR_EL2 trap bit `hcr_bit` is set: `interp::system::sys_traps` for these
/// operations, except that HCR_EL2 is read whether EL2 is enabled or not (a set bit with
/// EL2 disabled only sends the instruction to the interpreter, which decides).
fn trap_checks(e: &mut Em<'_, '_>, sctlr_bit: u64, hcr_bit: u64, slow: dynasmrt::DynamicLabel) {
    el0_check(e, sctlr_bit, slow);
    hcr_check(e, hcr_bit, slow);
}

/// Whether the 16-byte write at `base` (a DC ZVA block), which `FastMem` holds at PA `pa`,
/// translates to Normal memory: `dc_zva`'s Device check (an Alignment fault), which
/// `FastMem` cannot answer. The translation is the one `FastMem`'s entry came from (a TLB
/// hit or the flat mapping: no side effect). Returns 0 if so.
extern "sysv64" fn zva_normal(ctx: *mut Ctx, base: u64, pa: u64) -> u32 {
    // SAFETY: as in `emit::call_insn`.
    let ctx = unsafe { &mut *ctx };
    let cpu = unsafe { &mut *ctx.cpu };
    let p = unsafe { &mut *ctx.plat };
    match cpu_aarch64::mmu::translate(cpu, p, base, cpu_aarch64::mmu::Access::write(16)) {
        Ok(t) if t.mem != cpu_aarch64::mmu::MemType::Device && t.pa == pa => 0,
        _ => 1,
    }
}

/// SYS #op1, C7, Cm, #op2 (cache maintenance):
/// - DC ZVA (3, C4, 1): zeroes the 64-byte block (DCZID_EL0.BS = 4) holding X[t] with the
///   four 16-byte stores of `dc_zva` (which need no report: see `excl`), when the block's page is in
///   `FastMem`'s write table (the translation `dc_zva` makes of the block's base then
///   succeeds, and the stores take `write_mem`'s fast path) and is Normal memory
///   (`zva_normal`); traps as `sys_traps` (SCTLR_EL1.DZE at EL0, HCR_EL2.TDZ);
/// - IC IVAU (3, C5, 1): nothing but its traps (SCTLR_EL1.UCI at EL0, HCR_EL2.TPU): the
///   JIT sees code changes through stores, not through IC;
/// - DC CVAU (3, C11, 1), DC CVAC (3, C10, 1), DC CIVAC (3, C14, 1): traps (UCI; TPU for
///   CVAU, TPC for the others), then a read translation for its faults only: none when
///   `FastMem`'s read table has the page (a read at this EL translated there; alignment
///   does not apply to cache maintenance), or its write table and stage 2 is off.
fn cache_op(e: &mut Em<'_, '_>, pc: u64, op1: u32, crm: u32, op2: u32, rt: u32) -> bool {
    if op1 != 3 || op2 != 1 {
        return false;
    }
    let (sctlr_bit, hcr_bit) = match crm {
        4 => (SCTLR_DZE, HCR_TDZ),
        5 | 11 => (SCTLR_UCI, HCR_TPU),
        10 | 14 => (SCTLR_UCI, HCR_TPC),
        _ => return false,
    };
    e.flush_count();
    let slow = e.ops.new_dynamic_label();
    let done = e.ops.new_dynamic_label();
    trap_checks(e, sctlr_bit, hcr_bit, slow);
    match crm {
        5 => {}
        4 => {
            const BLOCK: i32 = cpu_aarch64::sysreg::id::DCZVA_BYTES as i32;
            e.load(RAX, rt, false);
            dynasm!(e.ops ; .arch x64 ; and rax, -BLOCK ; mov r11, rax);
            probe(e, R11, 16, super::STORE, R14, Some(R13), slow);
            // The probe hit the quiet tag of write entry (`mem::QUIET`: the write entry's
            // own tag), at rsi's table index as the probe left it. A write entry with
            // `FAST_UNALIGNED` was made from a translation to Normal memory, which the
            // TLB entry behind it still gives: `zva_normal` would return 0.
            let l = cpu_aarch64::mem::fast_layout();
            let flags = (2 * l.entries * l.entry_size + l.e_flags) as i32;
            let unal = cpu_aarch64::mem::FAST_UNALIGNED as i8;
            let f = zva_normal as extern "sysv64" fn(*mut Ctx, u64, u64) -> u32 as usize as i64;
            dynasm!(e.ops
                ; .arch x64
                ; test BYTE [rsi + flags], unal
                ; jnz >normal
                ; mov rdi, r12
                ; mov rsi, r11
                ; mov rdx, r13
                ; mov rax, QWORD f
                ; call rax
                ; test eax, eax
                ; jnz =>slow
                ; normal:
                ; xor eax, eax
            );
            for q in 0..BLOCK / 8 {
                dynasm!(e.ops ; .arch x64 ; mov QWORD [r14 + 8 * q], rax);
            }
            retire_to(e, done);
            return fallback(e, pc, slow, done);
        }
        _ => {
            e.load(RAX, rt, false);
            dynasm!(e.ops ; .arch x64 ; mov r10, rax);
            let hit = e.ops.new_dynamic_label();
            let try_write = e.ops.new_dynamic_label();
            probe(e, R10, 1, 1, R8, None, try_write);
            dynasm!(e.ops ; .arch x64 ; jmp =>hit ; =>try_write);
            // A write translated at this EL implies that a read would (stage 1 has no
            // write-only permission); stage 2 has one (S2AP = 0b10): only without it.
            hcr_check(e, HCR_VM, slow);
            probe(e, R10, 1, 2, R8, None, slow);
            dynasm!(e.ops ; .arch x64 ; =>hit);
        }
    }
    retire_to(e, done);
    fallback(e, pc, slow, done)
}

// ---- System registers ----------------------------------------------------------------------

/// After a write that may unmask interrupts (MSR DAIF, MSR DAIFClr), with PC already at
/// the next instruction: the interrupt sample the interpreter makes before that
/// instruction (`interp::keeps_fast_state`: `irq_check` is set, as `emit::call_insn` then
/// handles it): returns `exit::STOP` if the budget is used up, an interrupt was taken
/// (PC = its vector) or per-instruction checks are needed, else 0.
extern "sysv64" fn irq_sample(ctx: *mut Ctx) -> u32 {
    // SAFETY: as in `emit::call_insn`.
    let ctx = unsafe { &mut *ctx };
    let cpu = unsafe { &mut *ctx.cpu };
    let p = unsafe { &mut *ctx.plat };
    if cpu.icount >= ctx.end || cpu_aarch64::interp::irq_check_step(cpu, p) || crate::must_interpret(cpu) {
        return exit::STOP;
    }
    0
}

/// MRS CNTPCT_EL0 / CNTVCT_EL0 (the word `raw`) for translated code: `sysreg::table::mrs`
/// (its traps, and the count at the instruction's own `icount`, which `exec_fetched`
/// counts before running it) and Xt written. Returns 0, or 1 with nothing changed when
/// the read is refused (the interpreter then runs the instruction and takes the trap).
extern "sysv64" fn counter_read(ctx: *mut Ctx, raw: u64) -> u32 {
    // SAFETY: as in `emit::call_insn`.
    let ctx = unsafe { &mut *ctx };
    let cpu = unsafe { &mut *ctx.cpu };
    let p = unsafe { &mut *ctx.plat };
    let raw = raw as u32;
    let enc = cpu_aarch64::sysreg::SysRegEnc::from_mrs_field(raw >> 5 & 0x7fff);
    cpu.icount = cpu.icount.wrapping_add(1);
    let r = cpu_aarch64::sysreg::table::mrs(cpu, p, enc, raw);
    cpu.icount = cpu.icount.wrapping_sub(1);
    match r {
        Ok(v) => {
            cpu.st.set_xr(raw & 31, v);
            0
        }
        Err(_) => 1,
    }
}

/// The frequent system register accesses of the Linux boot, as `interp::system` and
/// `sysreg::table` do them when no trap applies (otherwise the interpreter runs them):
/// - MRS ELR_EL1, SPSR_EL1 (EL1 and up: no trap in ARMv8.0), MRS CNTPCT_EL0/CNTVCT_EL0
///   (`counter_read`);
/// - MRS DAIF (EL0: SCTLR_EL1.UMA), MRS CTR_EL0 (EL0: SCTLR_EL1.UCT; HCR_EL2.TID2), MRS
///   DCZID_EL0 (HCR_EL2.TDZ; at EL0 DZP = NOT SCTLR_EL1.DZE): plain reads. The interpreter
///   samples interrupts after an MRS; nothing it reads here changes them, so that sample
///   finds what the last one found;
/// - MSR DAIFSet (EL0: UMA): masks only, so no interrupt becomes takeable;
/// - MSR DAIF, MSR DAIFClr (EL0: UMA): then the interrupt sample (`irq_sample`).
fn sysreg(e: &mut Em<'_, '_>, pc: u64, s: System) -> bool {
    let (kind, rt) = match s {
        System::Mrs { o0: 1, op1: 3, crn: 4, crm: 2, op2: 1, rt } => (0, rt),
        System::Mrs { o0: 1, op1: 3, crn: 0, crm: 0, op2: 1, rt } => (1, rt),
        System::Mrs { o0: 1, op1: 3, crn: 0, crm: 0, op2: 7, rt } => (2, rt),
        System::MsrReg { o0: 1, op1: 3, crn: 4, crm: 2, op2: 1, rt } => (3, rt),
        System::Mrs { o0: 1, op1: 0, crn: 4, crm: 0, op2: 1, rt } if e.cx.el >= 1 => (6, rt),
        System::Mrs { o0: 1, op1: 0, crn: 4, crm: 0, op2: 0, rt } if e.cx.el >= 1 => (7, rt),
        System::Mrs { o0: 1, op1: 3, crn: 14, crm: 0, op2: 1 | 2, rt } => (8, rt),
        System::MsrDaifset { crm } => (4, crm),
        System::MsrDaifclr { crm } => (5, crm),
        _ => return false,
    };
    e.flush_count();
    let slow = e.ops.new_dynamic_label();
    let done = e.ops.new_dynamic_label();
    let mut sample = false;
    match kind {
        0 => {
            el0_check(e, SCTLR_UMA, slow);
            dynasm!(e.ops ; .arch x64 ; mov eax, DWORD [rbx + OFF_DAIF]);
            e.store(RAX, rt, false, true);
        }
        1 => {
            el0_check(e, SCTLR_UCT, slow);
            hcr_check(e, HCR_TID2, slow);
            e.store_imm(cpu_aarch64::sysreg::id::CTR_EL0, rt);
        }
        2 => {
            hcr_check(e, HCR_TDZ, slow);
            let bs = cpu_aarch64::sysreg::id::DCZID_BS as i32;
            if e.cx.el == 0 {
                // DZP (bit 4) = NOT SCTLR_EL1.DZE.
                dynasm!(e.ops
                    ; .arch x64
                    ; mov rax, QWORD [rbx + OFF_SCTLR1]
                    ; shr rax, SCTLR_DZE.trailing_zeros() as i8
                    ; and eax, 1
                    ; xor eax, 1
                    ; shl eax, 4
                    ; or eax, bs
                );
            } else {
                dynasm!(e.ops ; .arch x64 ; mov eax, bs);
            }
            e.store(RAX, rt, false, true);
        }
        6 | 7 => {
            let off = if kind == 6 { OFF_ELR1 } else { OFF_SPSR1 };
            dynasm!(e.ops ; .arch x64 ; mov rax, QWORD [rbx + off]);
            e.store(RAX, rt, false, true);
        }
        8 => {
            // The count is read with this instruction counted (`exec_fetched` counts
            // first): the helper does so itself, so that a refused read can still go to
            // the interpreter.
            let raw = e.raw;
            let f = counter_read as extern "sysv64" fn(*mut Ctx, u64) -> u32 as usize as i64;
            dynasm!(e.ops
                ; .arch x64
                ; mov rdi, r12
                ; mov esi, raw as i32
                ; mov rax, QWORD f
                ; call rax
                ; test eax, eax
                ; jnz =>slow
            );
        }
        3 => {
            el0_check(e, SCTLR_UMA, slow);
            e.load(RAX, rt, false);
            dynasm!(e.ops
                ; .arch x64
                ; and eax, 0x3c0
                ; mov DWORD [rbx + OFF_DAIF], eax
            );
            sample = true;
        }
        _ => {
            el0_check(e, SCTLR_UMA, slow);
            let bits = ((rt & 0xf) << 6) as i32;
            if kind == 4 {
                dynasm!(e.ops ; .arch x64 ; or DWORD [rbx + OFF_DAIF], bits);
            } else {
                dynasm!(e.ops ; .arch x64 ; and DWORD [rbx + OFF_DAIF], !bits);
                sample = true;
            }
        }
    }
    e.pending = 1;
    e.flush_count();
    if sample {
        let next = pc.wrapping_add(4);
        let f = irq_sample as extern "sysv64" fn(*mut Ctx) -> u32 as usize as i64;
        dynasm!(e.ops
            ; .arch x64
            ; mov rax, QWORD next as i64
            ; mov QWORD [rbx + OFF_PC], rax
            ; mov rdi, r12
            ; mov rax, QWORD f
            ; call rax
            ; test eax, eax
            ; jz =>done
        );
        // PC is the next instruction, or the vector of the interrupt taken.
        e.leave();
    } else {
        dynasm!(e.ops ; .arch x64 ; jmp =>done);
    }
    fallback(e, pc, slow, done)
}
