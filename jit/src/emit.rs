//! x86-64 code generation. Register use in translated code:
//! - rbx: `*mut Cpu`, r12: `*mut Ctx` (both callee-saved, set by the trampoline);
//! - rax, rcx, rdx, rsi, rdi, r8-r11: scratch (guest registers are read from and written
//!   to `Cpu` directly; within a block, integer instructions may also read a copy that
//!   `regcache` keeps in r13, r14, r15, rbp, r9 or r11).
//!
//! The stack is 16-byte aligned inside translated code, so call-outs are plain calls.

use std::mem::offset_of;

use cpu_aarch64::decode::{Branch, DpImm, DpReg, Insn, Ldst, System};
use cpu_aarch64::semantics::alu;
use cpu_aarch64::Cpu;
use dynasmrt::x64::X64Relocation;
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi, VecAssembler};

use crate::{exit, Ctx, JEntry};

#[path = "native2.rs"]
pub(crate) mod native2;
#[path = "native3.rs"]
mod native3;
#[path = "regcache.rs"]
mod regcache;
#[path = "flagfree.rs"]
mod flagfree;
#[path = "operand.rs"]
mod operand;
#[path = "ras.rs"]
pub(crate) mod ras;

/// The assembler. Blocks are assembled at base address 0 and copied to their place in
/// the code buffer: their code must be position-independent (labels only; no `extern`
/// or absolute label addresses), and reaches the shared stubs with `Em::rel32_to`, which
/// knows the block's address. One assembler serves every translation of a `Jit`
/// (`BlockCx::asm`): its buffers are reused.
pub(crate) type Asm = VecAssembler<X64Relocation>;

/// Code bytes the reused assembler keeps room for (a typical block is under 1 KB).
const ASM_ROOM: usize = 4096;

/// `mov Rq(h), [rbx + off]` (a `Cpu` field), with a one-byte displacement when `off` fits
/// (dynasm encodes a run-time displacement as four bytes unless told). Encoded here (the
/// most frequent instruction of translated code): REX.W (+ REX.R for r8-r15), 8B, ModRM
/// (mod 01 or 10, reg = h, rm = rbx), displacement.
#[inline]
pub(crate) fn ld_cpu(ops: &mut Asm, h: u8, off: i32) {
    rbx_mov(ops, 0x8b, h, off);
}

/// `mov [rbx + off], Rq(h)` (a `Cpu` field), as `ld_cpu` (opcode 89).
#[inline]
pub(crate) fn st_cpu(ops: &mut Asm, off: i32, h: u8) {
    rbx_mov(ops, 0x89, h, off);
}

#[inline]
fn rbx_mov(ops: &mut Asm, op: u8, h: u8, off: i32) {
    base_op(ops, op, h, 3, off);
}

/// `op Rq(h)` with the operand [`base` + `d`] (`base` rbx (3) or rsi (6): no SIB byte;
/// not r8-r15), ModRM mod 01 with a one-byte displacement when `d` fits, else mod 10.
#[inline]
fn base_op(ops: &mut Asm, op: u8, h: u8, base: u8, d: i32) {
    debug_assert!(base < 8 && base != 4 && base != 5);
    let rex = 0x48 | (h >> 3 & 1) << 2;
    let reg = (h & 7) << 3 | base;
    if d == d as i8 as i32 {
        ops.extend([rex, op, 0x40 | reg, d as u8]);
    } else {
        let b = d.to_le_bytes();
        ops.extend([rex, op, 0x80 | reg, b[0], b[1], b[2], b[3]]);
    }
}

/// A new assembler for `BlockCx::asm`.
pub(crate) fn assembler() -> Asm {
    Asm::new_with_capacity(0, ASM_ROOM, 16, 0, 16, 64, 16)
}

#[path = "fp.rs"]
mod fp;

#[path = "simd.rs"]
mod simd;

const OFF_X: i32 = offset_of!(Cpu, st.x) as i32;
const OFF_SP: i32 = offset_of!(Cpu, st.sp_el) as i32;
const OFF_PC: i32 = offset_of!(Cpu, st.pc) as i32;
const OFF_TPIDR1: i32 = (offset_of!(Cpu, sys.tpidr) + 8) as i32;
const OFF_NZCV: i32 = offset_of!(Cpu, st.pstate.nzcv) as i32;
const OFF_ICOUNT: i32 = offset_of!(Cpu, icount) as i32;
const CTX_ENDS: i32 = offset_of!(Ctx, ends) as i32;
const CTX_TABS: i32 = offset_of!(Ctx, tabs) as i32;
const CTX_SLOT: i32 = offset_of!(Ctx, slot) as i32;
const CTX_SLOT_PAGE: i32 = offset_of!(Ctx, slot_page) as i32;
const CTX_MEMO: i32 = offset_of!(Ctx, memo) as i32;
const CTX_MEMO_EPOCH: i32 = offset_of!(Ctx, memo_epoch) as i32;
const CTX_RS: i32 = offset_of!(Ctx, rs) as i32;

// Host register numbers (dynasm `Rq(n)`).
const RAX: u8 = 0;
const RCX: u8 = 1;
const RDX: u8 = 2;

/// Addresses of the code every block shares, emitted after the trampoline (`trampoline`).
/// Blocks reach them with rel32 jumps and calls (the code buffer is far below 2 GiB), so
/// that an exit costs a 5-byte JMP instead of a copy of the epilogue, and a call-out a
/// 5-byte CALL instead of the call, test and epilogue.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Stubs {
    /// Returns to the trampoline's caller with eax as the exit code (the epilogue).
    pub epilogue: usize,
    /// `call`ed with esi = instruction word, rdx = its PC: runs it with `call_insn`,
    /// returns to the block if that returned 0, else leaves the block with its exit code.
    pub callout: usize,
    /// As `callout` for a load/store's (or FP operation's) fallback that goes back to the
    /// block (`Em::callout_back`): `call`ed also with ecx = the block's count pending
    /// before the instruction, which it adds to icount first; when the block goes on it
    /// subtracts that count and the instruction again before returning, so that the
    /// fallback and the fast path meet with the same pending count.
    pub callout_back: usize,
    /// `callout` and `callout_back` with their operands after the CALL instead of in
    /// registers: the instruction word (4 bytes), its PC (8) and, for `callout_back_data`,
    /// the count (1); they return past them (`Em::call_insn_stub`).
    pub callout_data: usize,
    pub callout_back_data: usize,
    /// `call`ed with the block's VA in the 8 bytes after the CALL: PC = that VA,
    /// `exit::BUDGET`.
    pub budget: usize,
    /// `call`ed right after `exit_to`'s chain slot (see `Em::exit_to` for the layout):
    /// PC and `Ctx::slot_page` from the 12 bytes after the call, `Ctx::slot` from the
    /// return address, `exit::CHAIN`.
    pub chain: usize,
    /// `Em::chain_lookup`'s code, jumped to with rax = target VA (stored as PC), one per
    /// EL | SPSel << 2 of the block.
    pub lookup: [usize; 8],
    /// As `lookup`, from `Em::branch_ic` with r8 = its inline cache.
    pub lookup_ic: [usize; 8],
    /// As `lookup`, from a RET whose return-stack entry matched (`ras::ret`) with r8 =
    /// the call site's record, which it fills (`ras`).
    pub lookup_ret: [usize; 8],
    /// As `lookup`, from BR/BLR (`ras::reg`) with r8 = its record, which it fills.
    pub lookup_far: [usize; 8],
    /// As `lookup`, from a direct branch to another page (`ras::far`) with r8 = its
    /// record, which it fills (with the block generation in place of the VA).
    pub lookup_gen: [usize; 8],
    /// `call`ed by `ras::far` with rax = target, r8 = record: returns if the record's
    /// block may be entered (`probe_ret`'s checks and the block generation), else leaves
    /// for `lookup_gen` (`ras::probe`).
    pub probe_gen: [usize; 8],
    /// `call`ed by `ras::ret` with rax = target, r8 = record: returns if the record's block
    /// may be entered, else leaves for `lookup_ret` (`ras::probe`); one per EL | SPSel << 2.
    pub probe_ret: [usize; 8],
    /// Jumped to from `chain_lookup` on a lookup cache miss: `exit::LOOKUP_CACHE`.
    pub lookup_cache: usize,
    /// Jumped to from `chain_lookup` when `fetch_miss` must run (rax = target VA), one
    /// per EL | SPSel << 2 (the key bits it is passed).
    pub fetch_miss: [usize; 8],
    /// `call`ed by a plain access's probe whose aligned key missed (`probe_as`), per
    /// [store][log2(bytes) - 1][address in rax rather than r10], with rsi = the entry,
    /// rdx = the key: returns ZF = 1 when the unaligned access hits the entry (see
    /// `unaligned_stub`). Clobbers rdx.
    pub unaligned: [[[usize; 2]; 4]; 2],
}

/// The address registers `Stubs::unaligned` serves.
const UNALIGNED_REGS: [u8; 2] = [10, RAX];

/// `Stubs::unaligned[store][k][r]`'s code (`n` = 2 << k bytes, address in host register
/// `a`): after the aligned key missed, the access hits if the key matches the entry's
/// tag but in bits 3:0 (same page and epoch), the entry allows unaligned accesses
/// (`mem::FAST_UNALIGNED`) and the access stays in the page ((VA & 0xfff) + n <= 0x1000),
/// as `Cpu::read_mem`/`write_mem` decide. Shared (it was ~60 bytes per access inline).
fn unaligned_stub(ops: &mut Asm, store: bool, n: u32, a: u8) {
    let l = cpu_aarch64::mem::fast_layout();
    let (tag_ty, ty) = if store { (cpu_aarch64::mem::QUIET, 2) } else { (1, 1) };
    // (rsi is the entry in the tag's table: `probe_as`.)
    let tag = l.e_tag as i32;
    let flags = (ty as i32 - tag_ty as i32) * (l.entries * l.entry_size) as i32 + l.e_flags as i32;
    let unal = cpu_aarch64::mem::FAST_UNALIGNED as i32;
    dynasm!(ops
        ; .arch x64
        ; xor rdx, QWORD [rsi + tag]
        ; test rdx, -16
        // (ZF = 0: a miss.)
        ; jnz >done
        ; test BYTE [rsi + flags], unal as i8
        ; jz >miss
        ; mov edx, Rd(a)
        ; and edx, 0xfff
        ; cmp edx, (0x1000 - n) as i32
        // (Above: ZF = 0.)
        ; ja >done
        ; cmp edx, edx
        ; done:
        ; ret
        ; miss:
        ; or edx, -1
        ; ret
    );
}

/// Bytes from a chain slot (the rel32 of `exit_to`'s JMP) to the return address of the
/// CALL to `Stubs::chain` that follows it: the rel32 (4), `call rel32` (5). The CALL is
/// followed by the exit's target VA (8 bytes) and PA page (4), which `Stubs::chain` reads
/// there (it never returns).
const CHAIN_TAIL: i32 = 4 + 5;

/// `extern "sysv64" fn(cpu, ctx, entry) -> u32`: saves the callee-saved registers, loads
/// rbx/r12 and jumps to `entry`; translated code returns through `Stubs::epilogue`. The
/// code placed at `base`, then the shared stubs (`Stubs`, addresses from `base`).
/// The page offset of the stack top translated code runs on (`trampoline`).
pub(crate) const STACK_AT: i32 = 0xf00;

pub(crate) fn trampoline(base: usize, jcache: *const JEntry) -> (Vec<u8>, Stubs) {
    let mut ops = Asm::new(base);
    dynasm!(ops
        ; .arch x64
        ; push rbp
        ; push rbx
        ; push r12
        ; push r13
        ; push r14
        ; push r15
        // Translated code runs on a stack whose top is at page offset `STACK_AT`
        // (16-byte aligned, 256 to 4351 bytes below the caller's): the return addresses
        // its calls push then never share page offsets with the hot `Cpu` and `Ctx`
        // fields (see `crate::CtxHome`). The caller's rsp is kept at the new top.
        ; mov rax, rsp
        ; sub rsp, 0x1000
        ; and rsp, -0x1000
        ; add rsp, STACK_AT
        ; mov QWORD [rsp], rax
        ; mov rbx, rdi
        ; mov r12, rsi
        ; jmp rdx
    );
    let at = |ops: &Asm| base + ops.offset().0;
    let epi = ops.new_dynamic_label();
    let mut st = Stubs { epilogue: at(&ops), ..Stubs::default() };
    dynasm!(ops ; .arch x64 ; =>epi);
    epilogue(&mut ops);
    st.callout = at(&ops);
    let f = call_insn as extern "sysv64" fn(*mut Ctx, u32, u64) -> u32 as usize as i64;
    dynasm!(ops
        ; .arch x64
        // Entered by a CALL from a 16-byte aligned rsp: realign for the call.
        ; mov rdi, r12
        ; sub rsp, 8
        ; mov rax, QWORD f
        ; call rax
        ; add rsp, 8
        ; test eax, eax
        ; jnz >stop
        ; ret
        ; stop:
        // Drop the block's return address; eax = the exit code.
        ; add rsp, 8
        ; jmp =>epi
    );
    st.callout_back = at(&ops);
    dynasm!(ops
        ; .arch x64
        ; add QWORD [rbx + OFF_ICOUNT], rcx
        // (Also realigns rsp for the call.)
        ; push rcx
        ; mov rdi, r12
        ; mov rax, QWORD f
        ; call rax
        ; pop rcx
        ; test eax, eax
        ; jnz >stop
        ; lea rcx, [rcx + 1]
        ; sub QWORD [rbx + OFF_ICOUNT], rcx
        ; ret
        ; stop:
        ; add rsp, 8
        ; jmp =>epi
    );
    // The same two with their operands in the 12 bytes after the CALL (instruction word,
    // then PC), and for `callout_back_data` the count in a 13th: for PCs that would need
    // a 10-byte MOV (`Em::call_insn_stub`).
    let data_stub = |ops: &mut Asm, back: bool, target: usize| {
        let start = at(ops);
        dynasm!(ops
            ; .arch x64
            ; mov rax, QWORD [rsp]
            ; mov esi, DWORD [rax]
            ; mov rdx, QWORD [rax + 4]
        );
        if back {
            dynasm!(ops ; .arch x64 ; movzx ecx, BYTE [rax + 12]);
        }
        let skip = 12 + back as i32;
        dynasm!(ops ; .arch x64 ; add QWORD [rsp], BYTE skip);
        let rel = (target.wrapping_sub(at(ops) + 5) as i32).to_le_bytes();
        ops.push(0xe9);
        ops.extend(rel);
        start
    };
    st.callout_data = data_stub(&mut ops, false, st.callout);
    st.callout_back_data = data_stub(&mut ops, true, st.callout_back);
    st.budget = at(&ops);
    dynasm!(ops
        ; .arch x64
        // `call`ed with the block's VA in the 8 bytes after the CALL (it never returns).
        ; pop rax
        ; mov rax, QWORD [rax]
        ; mov QWORD [rbx + OFF_PC], rax
        ; mov eax, exit::BUDGET as i32
        ; jmp =>epi
    );
    st.chain = at(&ops);
    dynasm!(ops
        ; .arch x64
        ; pop rdx
        ; mov rax, QWORD [rdx]
        ; mov ecx, DWORD [rdx + 8]
        ; sub rdx, CHAIN_TAIL
        ; mov QWORD [rbx + OFF_PC], rax
        ; mov QWORD [r12 + CTX_SLOT], rdx
        ; mov QWORD [r12 + CTX_SLOT_PAGE], rcx
        ; mov eax, exit::CHAIN as i32
        ; jmp =>epi
    );
    st.lookup_cache = at(&ops);
    let lc = ops.new_dynamic_label();
    dynasm!(ops
        ; .arch x64
        ; =>lc
        ; mov eax, exit::LOOKUP_CACHE as i32
        ; jmp =>epi
    );
    let f = fetch_miss as extern "sysv64" fn(*mut Ctx, u64, u64) -> u64 as usize as i64;
    let mut fms = Vec::new();
    for (i, s) in st.fetch_miss.iter_mut().enumerate() {
        *s = at(&ops);
        let fm = ops.new_dynamic_label();
        fms.push(fm);
        dynasm!(ops ; .arch x64 ; =>fm);
        let ctx_bits = index_ctx_bits(i) as i64;
        dynasm!(ops
            ; .arch x64
            // The dispatcher's fetch, done by `fetch_miss` (rax = target VA).
            ; mov rdi, r12
            ; mov rsi, rax
            ; mov rdx, QWORD ctx_bits
            ; mov rax, QWORD f
            ; call rax
            ; test rax, rax
            ; jz >gone
            ; jmp rax
            ; gone:
            ; mov eax, exit::LOOKUP_FETCH as i32
            ; jmp =>epi
        );
    }
    for i in 0..8 {
        st.lookup[i] = at(&ops);
        lookup_code(&mut ops, i, jcache, Lk::Plain, fms[i], lc);
        st.lookup_ic[i] = at(&ops);
        lookup_code(&mut ops, i, jcache, Lk::Ic, fms[i], lc);
        let lr = ops.new_dynamic_label();
        st.lookup_ret[i] = at(&ops);
        dynasm!(ops ; .arch x64 ; =>lr);
        lookup_code(&mut ops, i, jcache, Lk::Ret, fms[i], lc);
        st.lookup_far[i] = at(&ops);
        lookup_code(&mut ops, i, jcache, Lk::Far, fms[i], lc);
        let lg = ops.new_dynamic_label();
        st.lookup_gen[i] = at(&ops);
        dynasm!(ops ; .arch x64 ; =>lg);
        lookup_code(&mut ops, i, jcache, Lk::Gen, fms[i], lc);
        st.probe_gen[i] = at(&ops);
        ras::probe(&mut ops, i, true, lg);
        st.probe_ret[i] = at(&ops);
        ras::probe(&mut ops, i, false, lr);
    }
    for (store, by_n) in st.unaligned.iter_mut().enumerate() {
        for (k, by_reg) in by_n.iter_mut().enumerate() {
            for (r, s) in by_reg.iter_mut().enumerate() {
                *s = at(&ops);
                unaligned_stub(&mut ops, store == 1, 2 << k, UNALIGNED_REGS[r]);
            }
        }
    }
    (ops.finalize().unwrap_or_default(), st)
}

/// Index of `Stubs::lookup`, `Stubs::lookup_ic` and `Stubs::fetch_miss` for a block's EL and SPSel.
fn ctx_index(el: u8, spsel: u8) -> usize {
    (el as usize & 3) | (spsel as usize & 1) << 2
}

/// The key bits (`crate::ctx_bits`) of the EL and SPSel whose `ctx_index` is `i`.
fn index_ctx_bits(i: usize) -> u64 {
    crate::ctx_bits(i as u8 & 3, (i >> 2) as u8 & 1)
}

/// Which lookup stub `lookup_code` emits.
#[derive(Clone, Copy, PartialEq)]
enum Lk {
    /// `Stubs::lookup`.
    Plain,
    /// `Stubs::lookup_ic` (r8 = the block's inline cache).
    Ic,
    /// `Stubs::lookup_ret` (r8 = a call site's return record, `ras`).
    Ret,
    /// `Stubs::lookup_far` (r8 = a BR/BLR's record, `ras::reg`).
    Far,
    /// `Stubs::lookup_gen` (r8 = a direct branch's record, `ras::far`).
    Gen,
}

/// The fetch check the lookup stubs and `ras::probe` share, for blocks of EL | SPSel << 2
/// = `i`, with rax = target VA: jumps to `miss` when an interrupt check is pending or the
/// fetch of rax misses `FastMem` (the last-used fetch entry, or table 0's entry, which is
/// then copied to the last-used entry as `Cpu::fetch` does); otherwise falls through with
/// rsi = PA | EL << 56 | SPSel << 58 (the second half of the block key). Clobbers rdx, rdi.
pub(super) fn fetch_probe(ops: &mut Asm, i: usize, miss: dynasmrt::DynamicLabel) {
    let l = cpu_aarch64::mem::fast_layout();
    let (tables, epoch) = (l.tables as i32, l.epoch as i32);
    let (code, irq) = (l.code as i32, l.irq_check as i32);
    let (e_tag, e_pa) = (l.e_tag as i32, l.e_pa_off as i32);
    let shift = l.entry_size.trailing_zeros() as i8;
    let index_mask = ((l.entries - 1) << shift) as i32;
    let ctx_bits = index_ctx_bits(i) as i64;
    let hit = ops.new_dynamic_label();
    debug_assert!(l.entry_size.is_multiple_of(8));
    dynasm!(ops
        ; .arch x64
        ; cmp BYTE [rbx + irq], 0
        ; jne =>miss
        // rdx = the fetch's key: page, 4-byte alignment and epoch in one compare.
        ; mov rdx, rax
        ; and rdx, !0xfff | 3
        ; or rdx, QWORD [rbx + epoch]
        // The last-used fetch entry (what `fetch` checks first).
        ; cmp rdx, QWORD [rbx + code + e_tag]
        ; je =>hit
        // Table 0 (fetch) entry: on a hit `fetch` copies it to the last-used entry.
        ; mov rsi, rax
        ; shr rsi, 12 - shift
        ; and esi, index_mask
        ; add rsi, QWORD [rbx + tables]
        ; cmp rdx, QWORD [rsi + e_tag]
        ; jne =>miss
    );
    for q in 0..(l.entry_size / 8) as i32 {
        dynasm!(ops
            ; .arch x64
            ; mov rdi, QWORD [rsi + 8 * q]
            ; mov QWORD [rbx + code + 8 * q], rdi
        );
    }
    dynasm!(ops
        ; .arch x64
        ; =>hit
        ; mov rsi, QWORD [rbx + code + e_pa]
        ; add rsi, rax
    );
    if ctx_bits != 0 {
        dynasm!(ops ; .arch x64 ; mov rdx, QWORD ctx_bits ; or rsi, rdx);
    }
}

/// The code of `Stubs::lookup` (`Stubs::lookup_ic`, `Stubs::lookup_ret` for the other
/// `Lk`) for blocks of EL | SPSel << 2 = `i`: see `Em::chain_lookup`. `fm`: the
/// `fetch_miss` stub for `i`, `lc`: the lookup cache miss stub.
fn lookup_code(ops: &mut Asm, i: usize, jcache: *const JEntry, mode: Lk, fm: dynasmrt::DynamicLabel, lc: dynasmrt::DynamicLabel) {
    let jc = jcache as i64;
    debug_assert!(std::mem::size_of::<JEntry>() == 32);
    fetch_probe(ops, i, fm);
    dynasm!(ops
        ; .arch x64
        // rcx = &jcache[jc_hash(va, pa_ctx)]
        ; mov rcx, rsi
        ; rol rcx, 32
        ; xor rcx, rax
        ; mov rdx, QWORD crate::JC_MUL as i64
        ; imul rcx, rdx
        ; shr rcx, (64 - crate::JC_BITS) as i8
        ; shl rcx, 5
        ; mov rdx, QWORD jc
        ; add rcx, rdx
        ; cmp rax, QWORD [rcx]
        ; jne =>lc
        ; cmp rsi, QWORD [rcx + 8]
        ; jne =>lc
    );
    if mode == Lk::Ret {
        ras::fill(ops, i);
    } else if mode == Lk::Far || mode == Lk::Gen {
        ras::fill_far(ops, i, mode == Lk::Gen);
    } else if mode == Lk::Ic {
        // Remember a target in the block's VA page (`Em::branch_ic`; r8 = its cache).
        dynasm!(ops
            ; .arch x64
            ; mov rdx, QWORD [rcx + 16]
            ; mov rdi, QWORD [r8 + 16]
            ; xor rdi, rax
            ; test rdi, !0xfff
            ; jnz >far
            ; mov QWORD [r8], rax
            ; mov QWORD [r8 + 8], rdx
            ; far:
            ; jmp rdx
        );
    } else {
        dynasm!(ops ; .arch x64 ; jmp QWORD [rcx + 16]);
    }
}

/// Returns to the trampoline's caller with eax as the exit code (`Stubs::epilogue`; blocks
/// jump there with `Em::leave`).
fn epilogue(ops: &mut Asm) {
    dynasm!(ops
        ; .arch x64
        ; mov rsp, QWORD [rsp]
        ; pop r15
        ; pop r14
        ; pop r13
        ; pop r12
        ; pop rbx
        ; pop rbp
        ; ret
    );
}

/// Runs one instruction through the interpreter (`interp::exec_fetched`, exactly what
/// `step_inner` does after the fetch). Returns 0 to continue with the next instruction
/// of the block, `exit::STOP` when the block must return to the dispatcher.
extern "sysv64" fn call_insn(ctx: *mut Ctx, raw: u32, pc: u64) -> u32 {
    // SAFETY: translated code passes the `Ctx` of the running `Jit::run_inner` (whose
    // `cpu` and `plat` point to live, otherwise unborrowed objects during the call).
    let ctx = unsafe { &mut *ctx };
    let cpu = unsafe { &mut *ctx.cpu };
    let p = unsafe { &mut *ctx.plat };
    cpu.st.pc = pc;
    let (el, sp) = (cpu.st.pstate.el, cpu.st.pstate.sp);
    // (The instruction may change translations, and the block goes on, or the next one is
    // entered without the dispatcher: no page memo holds after it, `fp::memo_probe`.)
    ctx.memo_reset();
    if let Some(x) = cpu_aarch64::interp::exec_fetched(cpu, p, pc, raw, false) {
        ctx.exit = Some(x);
        return exit::STOP;
    }
    let next = pc.wrapping_add(4);
    // Continue only if the instruction went on to the next one in the same context (the
    // block's code depends on EL and SPSel), no translated code was written, and the PE
    // was not powered off or put to sleep by a hook.
    if cpu.st.pc != next || !p.written.is_empty() || cpu.st.pstate.el != el || cpu.st.pstate.sp != sp || cpu.off || cpu.waiting.is_some() {
        return exit::STOP;
    }
    if cpu.fast_irq_check() {
        // The interpreter samples interrupts before the next instruction, if the budget
        // lets it run one (`run_inner`'s loop condition).
        if cpu.icount >= ctx.end || cpu_aarch64::interp::irq_check_step(cpu, p) || crate::must_interpret(cpu) {
            return exit::STOP;
        }
    }
    // ... and the interpreter's next fetch would hit `FastMem`: the fetch entry, or
    // table 0's entry, which it then makes the fetch entry (as `Cpu::fetch` would; the
    // fetch entry need not be this block's page: `ras` enters blocks without a probe).
    if cpu.fetch_would_hit(next).or_else(|| cpu.fetch_refresh(next)).is_none() {
        return exit::STOP;
    }
    0
}

/// What the dispatcher does for a block exit to `va` when `chain_lookup` found an
/// interrupt sample pending or could not prove the fetch to hit `FastMem`, up to running
/// the next block: the interrupt sample (`irq_check_step`, then `must_interpret`, as the
/// dispatcher's loop), `Cpu::fetch` (the slow path:
/// TLB, maybe a walk, `FastMem` fill) and its outcome exactly as in `Jit::run_inner`:
/// - a fault: the instruction abort is taken (PC = vector) and 0 is returned, the block
///   returns to the dispatcher, which goes on from there as after its own failed fetch;
/// - a page `FastMem` cannot hold (not RAM): the instruction is run by the interpreter as
///   the dispatcher would (`exec_fetched`), 0 returned (a RAM page the slow fetch put in
///   `FastMem` is made the fetch entry, `Cpu::fetch_refresh`, as the dispatcher does);
/// - otherwise, the block for (VA, PA, EL, SPSel) from the lookup cache: its code address
///   (the block checks the budget itself), or 0 if it is not there (the dispatcher's
///   own fetch is then a side-effect-free hit of the fetch entry just filled).
///
/// Nothing is translated here (the code buffer must not change under running code).
/// `ctx_bits` is the key's EL | SPSel part of the calling block (a branch changes
/// neither). A bus read of the fetch may report DMA-written code: then 0 (the dispatcher
/// invalidates first).
extern "sysv64" fn fetch_miss(ctx: *mut Ctx, va: u64, ctx_bits: u64) -> u64 {
    // SAFETY: as in `call_insn`; `ctx.jcache` points to the Jit's lookup cache, whose
    // entries only the dispatcher writes (not while translated code runs).
    let ctx = unsafe { &mut *ctx };
    let cpu = unsafe { &mut *ctx.cpu };
    let p = unsafe { &mut *ctx.plat };
    if cpu.icount >= ctx.end {
        return 0;
    }
    if cpu.fast_irq_check() && (cpu_aarch64::interp::irq_check_step(cpu, p) || crate::must_interpret(cpu)) {
        // An interrupt was taken (PC = its vector), or per-instruction checks are on:
        // the dispatcher goes on from here as after its own interrupt sample.
        return 0;
    }
    let raw = match cpu.fetch(p, va) {
        Ok(w) => w,
        Err(e) => {
            cpu.count_failed_fetch();
            cpu.take_sync(e);
            cpu.fast_invalidate();
            return 0;
        }
    };
    let Some(pa) = cpu.fetch_would_hit(va).or_else(|| cpu.fetch_refresh(va)) else {
        if let Some(x) = cpu_aarch64::interp::exec_fetched(cpu, p, va, raw, false) {
            ctx.exit = Some(x);
        }
        return 0;
    };
    if !p.written.is_empty() {
        return 0;
    }
    let pa_ctx = pa | ctx_bits;
    let e = unsafe { &*ctx.jcache.add(crate::jc_hash(va, pa_ctx)) };
    if e.va == va && e.pa_ctx == pa_ctx { e.code } else { 0 }
}

/// The instructions of a block being translated (`block`): (PC, word, decoded), room for
/// a two-block loop (`fp::loop_tail`). One per `Jit`, reused (only the entries a
/// translation writes are read).
pub(crate) type List = [(u64, u32, Insn); 2 * crate::MAX_BLOCK];

/// A new `List`.
pub(crate) fn new_list() -> Box<List> {
    Box::new([(0, 0, Insn::Undefined(0)); 2 * crate::MAX_BLOCK])
}

/// Per-block translation context.
#[allow(clippy::vec_box)] // boxed: translated code holds their addresses
pub(crate) struct BlockCx<'a> {
    pub va: u64,
    /// Guest physical address of the first instruction.
    pub pa: u64,
    pub el: u8,
    pub spsel: u8,
    /// Host address the block's code is placed at, and the shared stubs.
    pub start: usize,
    pub stubs: Stubs,
    /// Inline caches of register branches (`Em::branch_ic`): (target VA, host address).
    pub ics: &'a mut crate::ics::Ics,
    /// The Jit's assembler, empty between translations (see `Asm`).
    pub asm: &'a mut Asm,
    /// Host address of the guest page holding `pa` (RAM, readable as a whole).
    pub page: usize,
    /// A budget-limited prefix (`Jit::tail_block`): exactly the given words, never
    /// extended by `fp::loop_tail`.
    pub prefix: bool,
    /// Address of the return record no return matches (`ras`).
    pub ret_dummy: u64,
    /// `cpu_aarch64::decode` (through the PE's decode cache: the dispatcher has just
    /// interpreted the block, usually).
    pub decode: &'a mut dyn FnMut(u32) -> Insn,
}

impl BlockCx<'_> {
    fn sp_off(&self) -> i32 {
        let i = if self.spsel == 0 { 0 } else { self.el as i32 & 3 };
        OFF_SP + 8 * i
    }
    /// Offset of Xr (r < 31) or, for 31, SP.
    fn reg_off(&self, r: u32) -> i32 {
        if r == 31 { self.sp_off() } else { OFF_X + 8 * r as i32 }
    }
}

/// Emitter state of one block.
struct Em<'a, 'b> {
    ops: Asm,
    cx: &'a mut BlockCx<'b>,
    /// Instructions retired by native code and not yet added to `icount`.
    pending: i32,
    /// The word of the instruction being translated.
    raw: u32,
    /// The next call-out is the slow path of an inline access (for the profile).
    slow_path: bool,
    /// Sign extension of inline loads (`native2::sext`), 0 for none.
    sext: u8,
    /// An FP/SIMD instruction of this block has checked that FP is enabled (`fp.rs`).
    fp_ok: bool,
    /// A rounding FP instruction of this block has found FPCR.RMode = RN, FPCR.FZ = 0
    /// and FPSR.IXC = 1, which hold for the rest of the block (`fp::rounding`).
    fp_fast: bool,
    /// Which V register xmm0 holds between FP instructions (`fp::XmmCache`).
    xmm: fp::XmmCache,
    /// Cold code emitted after the block's end (`fp::defer`).
    cold: fp::Cold,
    /// The instruction being translated sets NZCV (or reads live flags, CSEL...) and a
    /// consumer takes them from the host flags, the next instruction or one after up to
    /// three `flag_neutral` ones (`producer`, `consumer`): `flags_arith`/`flags_logic`
    /// leave them live in `hf`.
    fuse: bool,
    /// NZCV is not stored yet: it is in the host flags, of this kind, until the consumer
    /// stores it on each of its paths (or drops it, `Em::dead`).
    hf: Option<Hf>,
    /// The block's first instruction (its budget check): a branch back to the block's
    /// own start jumps there directly.
    entry: dynasmrt::DynamicLabel,
    /// Loads may reuse a host register that a store of this instruction class left
    /// holding a guest register (`avail`): set only while emitting instruction classes
    /// whose code places no label between a store and a later load (`native`).
    reuse: bool,
    /// (host register, `Cpu` offset of the guest register it holds, code offset at which
    /// that was last known true): valid only while nothing was emitted since.
    avail: Option<(u8, i32, usize)>,
    /// FP loop (`fp::LoopPlan`): the plan this translation follows (second pass), and
    /// what the first pass found at the branch back to the block's start.
    lp: Option<fp::LoopPlan>,
    lp_seen: Option<fp::LoopPlan>,
    /// The loop body's start (after the FP prologue), with `lp`.
    body: dynasmrt::DynamicLabel,
    /// The NZCV this instruction sets is dead (`nzcv_dead`): it need not be stored.
    dead: bool,
    /// This instruction lies between a fused producer and its consumer (`flag_neutral`):
    /// it must leave the host flags alone.
    keep_flags: bool,
    /// Guest registers also held in host registers (`regcache`).
    rc: regcache::RegCache,
    /// A dead NZCV was not stored: NZCV in memory is stale until the next setter. Only
    /// instructions that neither read it nor can leave the block may be emitted then
    /// (checked in `emit_block`, which gives up on the elimination otherwise).
    stale: bool,
    /// The last NZCV producer emitted was a SUBS/CMP (`Hf::Sub` flags with Z = 1 then
    /// mean equal operands: NZCV = 0110, `Em::materialize_z`).
    zsub: bool,
    /// r10 and rsi hold the address and the `FastMem` entry set (`probe_as`) of an
    /// earlier inline access of this block at [Rn + `Addr`] (`mem_access`: offset form,
    /// not a pair, Rn not SP), and neither Rn nor the index register was written since:
    /// a later access to the same address probes with them (`probe_as`, `again`). Kept
    /// across data-processing instructions emitted natively only (whose code uses rax,
    /// rcx, rdx and the cache's registers, and never calls out); the access's fallback
    /// computes both again after its call-out (`finish_access`).
    memo: Option<Memo>,
    /// The current instruction set `memo`.
    memo_new: bool,
    /// The NZCV of this instruction (a `Remat` producer) is read only by conditional
    /// selects, ADC and SBC (`lazy_reader`) before the next setter, with only data processing and simple loads and
    /// stores between (`nzcv_lazy`): it need not be stored (`Em::lazy`).
    lazy_ok: Option<Remat>,
    /// NZCV is stale in memory: it is that of this `Remat` (whose registers the block
    /// leaves alone until the next setter). A conditional select takes the flags computed
    /// again (`Em::remat`), and the fallback of a load or store stores them first
    /// (`finish_access`), where the state must be exact.
    lazy: Option<Remat>,
}

/// The host flags of an ADDS/SUBS (or CMN/CMP) computed again from registers it left:
/// `a` - `b` (or `a` + `b`) when `recover` is false (CMP: the operands), else from
/// its result `a` (Rd, not the register of `b`): the first operand is `a` + `b` (SUBS,
/// or `a` - `b` for ADDS), and the operation on it and `b` sets the same flags.
#[derive(Clone, Copy, Debug)]
struct Remat {
    sub: bool,
    sf: bool,
    a: u32,
    /// A register, or the immediate (`imm`).
    b: Option<u32>,
    imm: i32,
    recover: bool,
}

/// The `Remat` of `insn`, if it is an ADDS/SUBS (immediate, or shifted register with
/// amount 0) whose flags its registers give back.
fn remat_of(insn: &Insn) -> Option<Remat> {
    let (sub, sf, rn, b, imm, rd) = match *insn {
        Insn::DpImm(DpImm::AddsImm { sf, sh, imm12, rn, rd } | DpImm::SubsImm { sf, sh, imm12, rn, rd }) => {
            (matches!(insn, Insn::DpImm(DpImm::SubsImm { .. })), sf == 1, rn, None, ((imm12 as u64) << (12 * sh)) as i32, rd)
        }
        Insn::DpReg(DpReg::AddsReg { sf, shift: _, rm, imm6: 0, rn, rd } | DpReg::SubsReg { sf, shift: _, rm, imm6: 0, rn, rd }) => {
            // (XZR as Rm: 0. Rn 31 is XZR here, SP in the immediate form: not taken.)
            let b = (rm != 31).then_some(rm);
            (matches!(insn, Insn::DpReg(DpReg::SubsReg { .. })), sf == 1, rn, b, 0, rd)
        }
        _ => return None,
    };
    if rd == 31 {
        // CMP/CMN: from the operands.
        return (rn != 31).then_some(Remat { sub, sf, a: rn, b, imm, recover: false });
    }
    // From the result: Rd must not be the register of `b`.
    (b != Some(rd)).then_some(Remat { sub, sf, a: rd, b, imm, recover: true })
}

/// Readers of a lazy NZCV (`Em::lazy`), which compute the flags again: conditional
/// selects, ADC and SBC (not setting flags).
fn lazy_reader(insn: &Insn) -> bool {
    is_csel(insn) || matches!(insn, Insn::DpReg(DpReg::Adc { .. } | DpReg::Sbc { .. }))
}

/// Loads and stores that `nzcv_lazy` lets lie in a lazy window (emitted by `mem_access`,
/// whose fallback stores the flags): single registers, no writeback. Some(true) for a
/// load (it writes Rt).
fn lazy_access(insn: &Insn) -> Option<bool> {
    match insn {
        Insn::Ldst(
            Ldst::LdrReg { .. } | Ldst::LdrbReg { .. } | Ldst::LdrhReg { .. } | Ldst::LdrUoff { .. } | Ldst::LdrbUoff { .. } | Ldst::LdrhUoff { .. } | Ldst::Ldur { .. } | Ldst::Ldurb { .. } | Ldst::Ldurh { .. },
        ) => Some(true),
        Insn::Ldst(
            Ldst::StrReg { .. } | Ldst::StrbReg { .. } | Ldst::StrhReg { .. } | Ldst::StrUoff { .. } | Ldst::StrbUoff { .. } | Ldst::StrhUoff { .. } | Ldst::Stur { .. } | Ldst::Sturb { .. } | Ldst::Sturh { .. },
        ) => Some(false),
        _ => None,
    }
}

/// `lazy[i]`: instruction i is a `Remat` producer whose NZCV, before the next setter
/// (`kills_nzcv`) of the block, is read only by `lazy_reader`s, with only data
/// processing that does not read it and `lazy_access` loads and stores between, none of
/// which writes a register of the `Remat` (Rd in bits 4:0 of every data-processing
/// encoding; Rt of a load). Its NZCV is then never stored on the fast path (`Em::lazy`).
fn nzcv_lazy(list: &[(u64, u32, Insn)]) -> [bool; crate::MAX_BLOCK] {
    let mut lazy = [false; crate::MAX_BLOCK];
    for (i, &(_, _, insn)) in list.iter().enumerate().take(crate::MAX_BLOCK) {
        let Some(r) = remat_of(&insn) else { continue };
        let uses = |x: u32| x == r.a || Some(x) == r.b;
        for &(_, w, next) in &list[i + 1..] {
            if kills_nzcv(&next) {
                lazy[i] = true;
                break;
            }
            let writes = match next {
                Insn::DpImm(_) | Insn::DpReg(_) if !reads_nzcv(&next) || lazy_reader(&next) => Some(w & 31),
                _ => match lazy_access(&next) {
                    Some(load) => load.then_some(w & 31),
                    None => break,
                },
            };
            if writes.is_some_and(uses) {
                break;
            }
        }
    }
    lazy
}

/// How the live host flags encode NZCV: N = SF, Z = ZF, V = OF, and C = CF (`Add`: after
/// ADD/ADC; `Logic`: after TEST, which clears CF and OF, so C = V = 0) or C = NOT CF
/// (`Sub`: SUB/SBB borrow).
/// `Fp`: the flags of UCOMISx on ordered operands after a fused FCMP/FCMPE (`fp.rs`):
/// ZF = equal, CF = less (N = CF, Z = ZF, C = NOT CF, V = 0); that NZCV is already
/// stored, `materialize` stores nothing.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Hf {
    Add,
    Logic,
    Sub,
    Fp,
}

/// The x86 condition code (the low nibble of Jcc/SETcc/CMOVcc) equivalent to A64 `cond`
/// on flags of kind `k`, or None (AL/NV, and HI/LS after an add: C && !Z is CF && !ZF,
/// which no x86 condition tests). x86 codes come in complementary pairs (cc ^ 1), as A64
/// conditions do (cond ^ 1, except 1111).
fn host_cc(k: Hf, cond: u32) -> Option<u8> {
    let base = match (cond >> 1, k) {
        (0, _) => 0x4,        // EQ: E
        (1, Hf::Sub) => 0x3,  // CS: AE (no borrow)
        (1, Hf::Add | Hf::Logic) => 0x2, // CS: B (carry)
        (1, Hf::Fp) => 0x3,   // CS: AE (not less)
        (2, Hf::Fp) => 0x2,   // MI: B (less)
        (4, Hf::Fp) => 0x7,   // HI: A (greater)
        (5, Hf::Fp) => 0x3,   // GE: AE (not less; V = 0)
        (6, Hf::Fp) => 0x7,   // GT: A (greater)
        (2, _) => 0x8,        // MI: S
        (3, _) => 0x0,        // VS: O
        (4, Hf::Sub) => 0x7,  // HI: A (no borrow, not zero)
        (5, _) => 0xd,        // GE: GE (SF == OF)
        (6, _) => 0xf,        // GT: G (!ZF && SF == OF)
        _ => return None,
    };
    Some(if cond & 1 == 1 { base ^ 1 } else { base })
}

/// Arm ARM ConditionHolds(cond) for flags `f` = NZCV as a 4-bit value (N = 8, Z = 4,
/// C = 2, V = 1).
fn cond_holds(cond: u32, f: u32) -> bool {
    alu::condition_holds(cond, f << 28)
}

/// icount += `n` (a negative `n` subtracts): the 8-bit immediate form when it fits.
/// Clobbers the flags.
fn add_icount(ops: &mut Asm, n: i32) {
    if let Ok(b) = i8::try_from(n) {
        // add qword [rbx + disp32], imm8 (dynasm encodes a run-time immediate as imm32).
        ops.extend([0x48, 0x83, 0x83]);
        ops.extend(OFF_ICOUNT.to_le_bytes());
        ops.push(b as u8);
    } else {
        dynasm!(ops ; .arch x64 ; add QWORD [rbx + OFF_ICOUNT], n);
    }
}

/// Jcc to `l` with x86 condition code `cc`.
fn jcc(e: &mut Em<'_, '_>, cc: u8, l: dynasmrt::DynamicLabel) {
    match cc {
        0x0 => dynasm!(e.ops ; .arch x64 ; jo =>l),
        0x1 => dynasm!(e.ops ; .arch x64 ; jno =>l),
        0x2 => dynasm!(e.ops ; .arch x64 ; jb =>l),
        0x3 => dynasm!(e.ops ; .arch x64 ; jae =>l),
        0x4 => dynasm!(e.ops ; .arch x64 ; je =>l),
        0x5 => dynasm!(e.ops ; .arch x64 ; jne =>l),
        0x6 => dynasm!(e.ops ; .arch x64 ; jbe =>l),
        0x7 => dynasm!(e.ops ; .arch x64 ; ja =>l),
        0x8 => dynasm!(e.ops ; .arch x64 ; js =>l),
        0x9 => dynasm!(e.ops ; .arch x64 ; jns =>l),
        0xc => dynasm!(e.ops ; .arch x64 ; jl =>l),
        0xd => dynasm!(e.ops ; .arch x64 ; jge =>l),
        0xe => dynasm!(e.ops ; .arch x64 ; jle =>l),
        _ => dynasm!(e.ops ; .arch x64 ; jg =>l),
    }
}

/// rdx = rax if x86 condition `cc` holds (CMOVcc: the flags are unchanged).
fn cmov_rdx_rax(e: &mut Em<'_, '_>, cc: u8) {
    match cc {
        0x0 => dynasm!(e.ops ; .arch x64 ; cmovo rdx, rax),
        0x1 => dynasm!(e.ops ; .arch x64 ; cmovno rdx, rax),
        0x2 => dynasm!(e.ops ; .arch x64 ; cmovb rdx, rax),
        0x3 => dynasm!(e.ops ; .arch x64 ; cmovae rdx, rax),
        0x4 => dynasm!(e.ops ; .arch x64 ; cmove rdx, rax),
        0x5 => dynasm!(e.ops ; .arch x64 ; cmovne rdx, rax),
        0x6 => dynasm!(e.ops ; .arch x64 ; cmovbe rdx, rax),
        0x7 => dynasm!(e.ops ; .arch x64 ; cmova rdx, rax),
        0x8 => dynasm!(e.ops ; .arch x64 ; cmovs rdx, rax),
        0x9 => dynasm!(e.ops ; .arch x64 ; cmovns rdx, rax),
        0xc => dynasm!(e.ops ; .arch x64 ; cmovl rdx, rax),
        0xd => dynasm!(e.ops ; .arch x64 ; cmovge rdx, rax),
        0xe => dynasm!(e.ops ; .arch x64 ; cmovle rdx, rax),
        _ => dynasm!(e.ops ; .arch x64 ; cmovg rdx, rax),
    }
}

/// Whether `insn` sets NZCV through `flags_arith`/`flags_logic` as the last thing that
/// touches the host flags (its result store is a plain MOV; CCMP/CCMN set the host flags
/// on their other path too when fused): followed by a consumer that takes them live
/// (`consumer`), directly or after up to three `flag_neutral` instructions, the two are
/// fused and NZCV is stored by the consumer.
fn producer(insn: &Insn) -> bool {
    kills_nzcv(insn) || is_ccmp(insn) || matches!(insn, Insn::DpReg(DpReg::Adcs { .. } | DpReg::Sbcs { .. })) || fp::fused_compare(insn)
}

/// CCMP/CCMN (register and immediate forms).
fn is_ccmp(insn: &Insn) -> bool {
    matches!(insn, Insn::DpReg(DpReg::CcmpReg { .. } | DpReg::CcmnReg { .. } | DpReg::CcmpImm { .. } | DpReg::CcmnImm { .. }))
}

/// Instructions whose native code (with `Em::keep_flags`) leaves the host flags alone,
/// so that a producer's live flags survive them: ADD/SUB (immediate, no flags) as LEA,
/// MOVZ/MOVN/ADR/ADRP (a constant store), MOV (ORR with XZR, no shift) and ADD (shifted
/// register, LSL #0..3) as LEA, neither operand XZR (`Em::load` clears with XOR).
fn flag_neutral(insn: &Insn) -> bool {
    match *insn {
        Insn::DpImm(DpImm::AddImm { .. } | DpImm::SubImm { .. } | DpImm::Adr { .. } | DpImm::Adrp { .. }) => true,
        Insn::DpImm(DpImm::Movz { sf, hw, .. } | DpImm::Movn { sf, hw, .. }) => !(sf == 0 && hw >= 2),
        Insn::DpReg(DpReg::OrrReg { rm, imm6: 0, rn: 31, .. }) => rm != 31,
        Insn::DpReg(DpReg::AddReg { shift: 0, rm, imm6, rn, .. }) if imm6 <= 3 && rm != 31 && rn != 31 => true,
        _ => flagfree::neutral(insn),
    }
}

/// Whether `insn` at `pc` takes NZCV from live host flags (`Em::hf`): B.cond with a
/// constant target, CSEL/CSINC/CSINV/CSNEG, CCMP/CCMN.
fn consumer(e: &Em<'_, '_>, pc: u64, insn: &Insn) -> bool {
    match *insn {
        Insn::Branch(Branch::BCond { imm19, .. }) => {
            let t = pc.wrapping_add(alu::sign_extend(imm19 as u64, 19) << 2);
            e.plain_target(t)
        }
        _ => is_csel(insn) || is_ccmp(insn),
    }
}

/// CSEL/CSINC/CSINV/CSNEG: they read live host flags without changing them (CMOV), so a
/// following consumer can take the same flags (`Em::fuse` of a consumer).
fn is_csel(insn: &Insn) -> bool {
    matches!(insn, Insn::DpReg(DpReg::Csel { .. } | DpReg::Csinc { .. } | DpReg::Csinv { .. } | DpReg::Csneg { .. }))
}

/// Native instructions that read NZCV (from memory unless fused): ADC/SBC(S), the
/// conditional selects and compares.
fn reads_nzcv(insn: &Insn) -> bool {
    is_csel(insn) || is_ccmp(insn) || matches!(insn, Insn::DpReg(DpReg::Adc { .. } | DpReg::Adcs { .. } | DpReg::Sbc { .. } | DpReg::Sbcs { .. }))
}

/// Instructions that set all of NZCV without reading it (through `flags_arith` or
/// `flags_logic` when emitted natively).
fn kills_nzcv(insn: &Insn) -> bool {
    matches!(
        insn,
        Insn::DpImm(DpImm::AddsImm { .. } | DpImm::SubsImm { .. } | DpImm::AndsImm { .. })
            | Insn::DpReg(
                DpReg::AndsReg { .. }
                    | DpReg::BicsReg { .. }
                    | DpReg::AddsReg { .. }
                    | DpReg::SubsReg { .. }
                    | DpReg::AddsExt { .. }
                    | DpReg::SubsExt { .. }
            )
    )
}

/// Dead NZCV in a block: `dead[i]` when the NZCV that instruction i leaves is set again
/// by a later instruction of the block (`kills_nzcv`) with only data-processing
/// instructions that do not read it in between (`reads_nzcv`). Those are emitted natively
/// without any call or block exit (so nothing can observe NZCV in memory: no call-out,
/// slow path, exception or exit), except when the emitter falls back to the interpreter
/// for one of them (an encoding it does not handle): `emit_block` detects that and the
/// block is translated again without the elimination.
fn nzcv_dead(insns: &[(u64, u32, Insn)]) -> [bool; crate::MAX_BLOCK] {
    let mut dead = [false; crate::MAX_BLOCK];
    let mut killed = false;
    for i in (0..insns.len().min(crate::MAX_BLOCK)).rev() {
        dead[i] = killed;
        let insn = &insns[i].2;
        killed = if kills_nzcv(insn) {
            true
        } else {
            killed && matches!(insn, Insn::DpImm(_) | Insn::DpReg(_)) && !reads_nzcv(insn)
        };
    }
    dead
}

fn insn_raw(e: &Em<'_, '_>) -> u32 {
    e.raw
}

impl Em<'_, '_> {
    /// Emits `op` (a JMP, CALL or Jcc opcode) with the rel32 reaching host address `t`
    /// (a shared stub: `Stubs`).
    fn rel32_to(&mut self, op: &[u8], t: usize) {
        self.ops.extend(op);
        let next = self.cx.start + self.ops.offset().0 + 4;
        self.ops.extend((t.wrapping_sub(next) as i32).to_le_bytes());
    }

    /// Leaves the block with eax as the exit code (a jump to the shared epilogue).
    fn leave(&mut self) {
        let t = self.cx.stubs.epilogue;
        self.rel32_to(&[0xe9], t);
    }

    fn flush_count(&mut self) {
        if self.pending > 0 {
            let n = self.pending;
            // (Per-EL counts follow from `icount`: `Cpu::icount_el`.)
            add_icount(&mut self.ops, n);
            self.pending = 0;
        }
    }

    /// Host register `h` = guest register `r` (31: zero, or SP when `sp`), 64 bits.
    /// Right after a store of the same guest register (nothing emitted in between, see
    /// `avail`), the stored host register is used instead of reloading from memory.
    fn load(&mut self, h: u8, r: u32, sp: bool) {
        let at = self.ops.offset().0;
        let avail = self.avail.filter(|a| self.reuse && a.2 == at);
        if r == 31 && !sp {
            dynasm!(self.ops ; .arch x64 ; xor Rd(h), Rd(h));
        } else {
            let off = self.cx.reg_off(r);
            match avail {
                Some((a, o, _)) if o == off && a == h => return,
                Some((a, o, _)) if o == off => dynasm!(self.ops ; .arch x64 ; mov Rq(h), Rq(a)),
                _ => match self.rc.find(off) {
                    Some(c) => dynasm!(self.ops ; .arch x64 ; mov Rq(h), Rq(c)),
                    None => ld_cpu(&mut self.ops, h, off),
                },
            }
        }
        // Only `h` was written: what another host register holds is still true.
        self.avail = avail.filter(|a| a.0 != h).map(|a| (a.0, a.1, self.ops.offset().0));
    }

    /// Guest register `r` (31: discarded, or SP when `sp`) = host register `h`; a 32-bit
    /// result is zero-extended first. Into its `regcache` register (dirty: stored later)
    /// when the next instruction may read it from there, else to `Cpu`.
    fn store(&mut self, h: u8, r: u32, sp: bool, sf: bool) {
        if r == 31 && !sp {
            return;
        }
        let off = self.cx.reg_off(r);
        if !sf {
            dynasm!(self.ops ; .arch x64 ; mov Rd(h), Rd(h));
        }
        // (Not cached when the next instruction cannot use the copy.)
        match self.rc.next.then(|| self.rc.bind(&mut self.ops, off)).flatten() {
            Some(c) => {
                dynasm!(self.ops ; .arch x64 ; mov Rq(c), Rq(h));
                self.rc.set_dirty(c);
            }
            None => {
                st_cpu(&mut self.ops, off, h);
                self.rc.forget(off);
            }
        }
        self.avail = self.reuse.then(|| (h, off, self.ops.offset().0));
    }

    /// Guest register `r` (not SP) = `v`: into its `regcache` register (dirty) if the
    /// cache is on, else to `Cpu` through rax. Leaves the host flags alone.
    fn store_imm(&mut self, v: u64, r: u32) {
        if r == 31 {
            return;
        }
        let off = self.cx.reg_off(r);
        if let Some(c) = self.rc.bind(&mut self.ops, off) {
            if v <= u32::MAX as u64 {
                dynasm!(self.ops ; .arch x64 ; mov Rd(c), v as i32);
            } else if v as i64 == v as i32 as i64 {
                dynasm!(self.ops ; .arch x64 ; mov Rq(c), v as i32);
            } else {
                dynasm!(self.ops ; .arch x64 ; mov Rq(c), QWORD v as i64);
            }
            self.rc.set_dirty(c);
            return;
        }
        dynasm!(self.ops ; .arch x64 ; mov rax, QWORD v as i64);
        st_cpu(&mut self.ops, off, RAX);
    }

    /// Stores the dirty `regcache` entries and forgets every entry: before code that
    /// does not use the cache (it may read or write guest registers in `Cpu`).
    fn rc_drop(&mut self) {
        self.rc.flush(&mut self.ops);
        self.rc.clear();
        self.rc.drops += 1;
    }

    /// Stores the dirty `regcache` entries on a path that leaves the block (the cache's
    /// state is unchanged: the emitter goes on with another path).
    fn rc_spill(&mut self) {
        self.rc.spill(&mut self.ops);
    }

    /// Stores NZCV from the host flags of an add (`sub`: of a subtraction, whose carry
    /// is the inverted borrow), or leaves them live for the directly following consumer
    /// (`Em::fuse`, see `producer`). Clobbers rax: the result is stored first.
    fn flags_arith(&mut self, sub: bool) {
        let k = if sub { Hf::Sub } else { Hf::Add };
        if self.fuse {
            self.hf = Some(k);
            self.stale = false;
        } else if self.dead {
            self.stale = true;
        } else if let Some(r) = self.lazy_ok {
            self.lazy = Some(r);
            self.stale = false;
        } else {
            self.materialize(k);
            self.stale = false;
        }
    }

    /// Sets the host flags to those of `r` (`Em::lazy`) from the guest registers (cached
    /// or in `Cpu`), or, `mem`, from `Cpu` only (a fallback's cold code, after the dirty
    /// entries were stored). Clobbers rax, rcx.
    fn remat(&mut self, r: Remat, mem: bool) {
        let get = |e: &mut Self, h: u8, x: u32| {
            if mem {
                let off = e.cx.reg_off(x);
                dynasm!(e.ops ; .arch x64 ; mov Rq(h), QWORD [rbx + off]);
            } else {
                e.load(h, x, false);
            }
        };
        get(self, RAX, r.a);
        // `b` in a host register: its cache register, or rcx.
        let hb = match r.b {
            Some(b) => {
                let cached = if mem { None } else { self.rc.find(self.cx.reg_off(b)) };
                cached.unwrap_or_else(|| {
                    get(self, RCX, b);
                    RCX
                })
            }
            None => {
                // (64 bits: rcx holds `imm` zero-extended; it is at most 24 bits.)
                dynasm!(self.ops ; .arch x64 ; mov ecx, r.imm);
                RCX
            }
        };
        match (r.recover, r.sub, r.sf) {
            (true, true, true) => dynasm!(self.ops ; .arch x64 ; add rax, Rq(hb) ; cmp rax, Rq(hb)),
            (true, true, false) => dynasm!(self.ops ; .arch x64 ; add eax, Rd(hb) ; cmp eax, Rd(hb)),
            (true, false, true) => dynasm!(self.ops ; .arch x64 ; sub rax, Rq(hb) ; add rax, Rq(hb)),
            (true, false, false) => dynasm!(self.ops ; .arch x64 ; sub eax, Rd(hb) ; add eax, Rd(hb)),
            (false, true, true) => dynasm!(self.ops ; .arch x64 ; cmp rax, Rq(hb)),
            (false, true, false) => dynasm!(self.ops ; .arch x64 ; cmp eax, Rd(hb)),
            (false, false, true) => dynasm!(self.ops ; .arch x64 ; add rax, Rq(hb)),
            (false, false, false) => dynasm!(self.ops ; .arch x64 ; add eax, Rd(hb)),
        }
    }
    /// NZCV of a logical operation on host register `h` (C = V = 0: x86 TEST clears CF
    /// and OF, so the host flags read as those of an add). Clobbers rax (after the TEST).
    fn flags_logic(&mut self, h: u8, sf: bool) {
        if self.dead && !self.fuse {
            self.stale = true;
            return;
        }
        if sf {
            dynasm!(self.ops ; .arch x64 ; test Rq(h), Rq(h));
        } else {
            dynasm!(self.ops ; .arch x64 ; test Rd(h), Rd(h));
        }
        if self.fuse {
            self.hf = Some(Hf::Logic);
        } else {
            self.materialize(Hf::Logic);
        }
        self.stale = false;
    }

    /// Stores NZCV from live host flags of kind `k`. LAHF puts CF, ZF, SF in AH bits 0,
    /// 6, 7 (ax bits 8, 14, 15), SETO puts OF in al bit 0; one multiplication (by 2^28 +
    /// 2^21 + 2^16) moves them to bits 29, 30, 31, 28: every other product term lands
    /// below bit 25 (no two on the same bit) or above bit 31, so nothing carries into
    /// 28..31. (LAHF, not PUSHF: PUSHF is microcoded and slow on AMD hosts.)
    /// Clobbers rax and the flags.
    fn materialize(&mut self, k: Hf) {
        if k == Hf::Fp {
            return;
        }
        if k == Hf::Logic {
            // N = SF (AH bit 7, ax bit 15), Z = ZF (bit 14); C = V = 0.
            dynasm!(self.ops
                ; .arch x64
                ; lahf
                ; and eax, 0xc000
                ; shl eax, 16
                ; mov DWORD [rbx + OFF_NZCV], eax
            );
            return;
        }
        dynasm!(self.ops
            ; .arch x64
            ; lahf
            ; seto al
            ; and eax, 0xc101
            ; imul eax, eax, 0x1021_0000
            ; and eax, 0xf000_0000u32 as i32
        );
        if k == Hf::Sub {
            dynasm!(self.ops ; .arch x64 ; xor eax, 1 << 29);
        }
        dynasm!(self.ops ; .arch x64 ; mov DWORD [rbx + OFF_NZCV], eax);
    }

    /// `materialize` on a path where Z = 1 is known (`z`: a B.cond EQ taken, NE not
    /// taken): then flags of a TST/ANDS (`Hf::Logic`) are those of a zero result, NZCV =
    /// 0100, and those of a SUBS/CMP (`Hf::Sub` after `zsub`) of equal operands, NZCV =
    /// 0110 (no borrow, no overflow): a constant store. (Not for ADDS, SBCS or CCMP/CCMN,
    /// whose C and V a zero result leaves open.)
    fn materialize_z(&mut self, k: Hf, z: bool) {
        let v: u32 = match k {
            Hf::Logic if z => 0x4000_0000,
            Hf::Sub if z && self.zsub => 0x6000_0000,
            _ => return self.materialize(k),
        };
        dynasm!(self.ops ; .arch x64 ; mov DWORD [rbx + OFF_NZCV], v as i32);
    }

    /// Stores the NZCV still live in the host flags (`Em::hf`), if any.
    fn settle(&mut self) {
        if let Some(k) = self.hf.take() {
            self.materialize(k);
        }
    }

    /// After a consumer that read live host flags without changing them (CSEL...): they
    /// stay live for the next consumer (`Em::fuse`), are dropped when that NZCV is dead
    /// (`Em::dead`), else stored.
    fn end_consumer(&mut self) {
        if self.hf.is_none() || self.fuse {
            return;
        }
        if self.lazy.is_some() {
            // (Computed again for this consumer: still in `lazy`.)
            self.hf = None;
            return;
        }
        if self.dead {
            self.hf = None;
            self.stale = true;
        } else {
            self.settle();
        }
    }

    /// Sets the host flags from the stored NZCV so that x86 condition code `cc` (the
    /// returned value) holds exactly when A64 `cond` does; None for AL/NV (always).
    /// Clobbers eax, ecx.
    fn cond_test(&mut self, cond: u32) -> Option<u8> {
        // EQ/NE, CS/CC, MI/PL, VS/VC: one flag bit (ZF clear = the bit is set).
        let bit = match cond >> 1 {
            0 => 30,
            1 => 29,
            2 => 31,
            3 => 28,
            4..=6 => {
                // HI, GE, GT (and inverses): CF = bit NZCV of a 16-bit table of
                // ConditionHolds, indexed by the flags.
                let mask = (0..16u32).filter(|&f| cond_holds(cond, f)).fold(0u32, |m, f| m | 1 << f) as i32;
                dynasm!(self.ops
                    ; .arch x64
                    ; mov eax, DWORD [rbx + OFF_NZCV]
                    ; shr eax, 28
                    ; mov ecx, mask
                    ; bt ecx, eax
                );
                return Some(0x2);
            }
            _ => return None,
        };
        let m = (1u32 << bit) as i32;
        dynasm!(self.ops ; .arch x64 ; test DWORD [rbx + OFF_NZCV], m);
        Some(if cond & 1 == 1 { 0x4 } else { 0x5 })
    }

    /// Host register `h` = guest register `r` (31: zero) without changing the host
    /// flags (`Em::load` clears XZR with XOR; a guest register load is a MOV). Fused
    /// consumers and `flag_neutral` instructions rely on `Em::load`/`Em::store` of guest
    /// registers leaving the host flags alone.
    fn load_keep_flags(&mut self, h: u8, r: u32) {
        if r == 31 {
            dynasm!(self.ops ; .arch x64 ; mov Rd(h), 0);
        } else {
            self.load(h, r, false);
        }
    }

    /// Jumps to `l` if `cond` holds: from the live host flags when a fused producer left
    /// them (`Em::hf` stays set: the caller stores NZCV on both paths), else from NZCV.
    fn jump_cond(&mut self, cond: u32, l: dynasmrt::DynamicLabel) {
        if let Some(k) = self.hf {
            if let Some(cc) = host_cc(k, cond) {
                jcc(self, cc, l);
                return;
            }
            self.settle();
        }
        self.jump_if(cond, l);
    }

    /// Jumps to `l` if condition `cond` (Arm ARM ConditionHolds) holds for the stored
    /// NZCV. Clobbers eax, ecx.
    fn jump_if(&mut self, cond: u32, l: dynasmrt::DynamicLabel) {
        match self.cond_test(cond) {
            Some(cc) => jcc(self, cc, l),
            // AL / NV: always.
            None => dynasm!(self.ops ; .arch x64 ; jmp =>l),
        }
    }

    /// Leaves the block for guest address `t` (PC and counts stored), chained to the
    /// block at `t` when it is in the same VA page, else through `chain_lookup`.
    fn exit_to(&mut self, t: u64) {
        self.flush_count();
        if t == self.cx.va {
            // Back to this block's start, what its chain slot would hold (the same block:
            // it is still valid, or the call-out that wrote it would have stopped it).
            // (A loop plan keeps cached registers, `fp::back_edge`; else they are stored.)
            if fp::back_edge(self) {
                return;
            }
            self.rc_spill();
            let l = self.entry;
            dynasm!(self.ops ; .arch x64 ; jmp =>l);
            return;
        }
        if t >> 12 == self.cx.va >> 12 {
            self.rc_spill();
            // PC is stored only when the block returns: a block entered through its slot
            // (like one entered at `entry`) never reads it before storing it on each of
            // its own exits (the budget exit stores its VA, call-outs their own PC).
            // The slot is the rel32 of a direct JMP, first to the next instruction (the
            // miss path); the dispatcher patches it to the target block (`Jit::run`).
            // Then `Stubs::chain` finds the slot from its return address (`CHAIN_TAIL`
            // bytes of fixed-size instructions) and PC and the PA page (PAs have at most
            // 48 bits: the page number fits in 32) in the 12 bytes after its CALL.
            let page = (self.cx.pa >> 12) as u32;
            let at = self.ops.offset().0;
            self.ops.extend([0xe9, 0, 0, 0, 0]);
            let stub = self.cx.stubs.chain;
            self.rel32_to(&[0xe8], stub);
            debug_assert_eq!(self.ops.offset().0 - at, 1 + CHAIN_TAIL as usize);
            self.ops.extend(t.to_le_bytes());
            self.ops.extend(page.to_le_bytes());
        } else {
            self.rc_spill();
            dynasm!(self.ops
                ; .arch x64
                ; mov rax, QWORD t as i64
                ; mov QWORD [rbx + OFF_PC], rax
            );
            ras::far(self, t);
        }
    }

    /// Ends the block with a jump to the translated block for the guest address in rax
    /// (already stored as PC, counts flushed), found inline the way the dispatcher would
    /// find it, else returns `exit::LOOKUP` to the dispatcher. Used after native branches
    /// (to another page or through a register), where nothing since the block's entry can
    /// have changed what the dispatcher checks first: no call-out asked to stop (any one
    /// that wrote translated code, changed EL/SPSel, powered off or sleeps did), so
    /// `JitPlat::written` is empty and `must_interpret` is as it was at entry. What is
    /// checked here, in the dispatcher's order:
    /// 1. `FastMem::irq_check` clear (else `fetch_miss` samples interrupts as the
    ///    dispatcher would, and goes on with 2 if none was taken);
    /// 2. the fetch `Cpu::fetch` would make hits `FastMem` without side effects other
    ///    than refreshing the last-used fetch entry (done here too): PC 4-aligned, the
    ///    fetch entry or table 0's entry whose tag is the fetch's key (page, epoch,
    ///    alignment: `mem::FastLayout`). That gives the PA exactly as the dispatcher's
    ///    fetch would: a TLB invalidation, a System instruction (TLBI, MSR TTBR/SCTLR,
    ///    ERET...) or exception bumps the epoch, a TLB fill drops the pages of the TLB
    ///    entry it evicted (`FastMem::tlb_filled`), so a remapped
    ///    page misses here and goes the dispatcher's way (`fetch_miss`: the slow fetch, a
    ///    table walk if the TLB lost it);
    /// 3. the lookup cache entry for the full key (VA, PA | EL | SPSel): the block for
    ///    exactly this PA, EL and SPSel (EL and SPSel are this block's: a branch changes
    ///    neither). Entries leave the cache with their block (`Jit::invalidate_page`,
    ///    `Jit::flush`), so a block whose page was written is never entered.
    ///
    /// The target block checks the budget at its entry as usual; interrupts are sampled
    /// whenever `irq_check` is set, so latency stays bounded by the budget as with
    /// same-page chains. Clobbers every scratch register.
    fn chain_lookup(&mut self) {
        let t = self.cx.stubs.lookup[ctx_index(self.cx.el, self.cx.spsel)];
        self.rel32_to(&[0xe9], t);
    }

    /// Ends the block after a register branch (BR/BLR/RET: rax = target, stored as PC,
    /// counts flushed) like `chain_lookup`, first trying a one-entry inline cache of the
    /// last target in this block's VA page that `chain_lookup` found. Such a target is
    /// entered directly, as a same-page chain (`exit_to`) would be: while this block runs
    /// its VA page maps to its PA page, so the target's key is the one cached (same EL
    /// and SPSel, PA in the same page), and that block lives as long as this one (a write
    /// to the page or a flush removes both, and the cache with this block's code). The
    /// target must be 4-byte aligned (the cached VA is) and no interrupt check pending
    /// (else `chain_lookup` samples it). The cache is [target VA, host address, this
    /// block's VA]; on a miss r8 points to it for `Stubs::lookup_ic`.
    fn branch_ic(&mut self) {
        self.branch_ic_counted(ras::C_REG_IC_HIT);
    }

    /// `branch_ic`, its hits counted in `ras`'s profile counter `hits`.
    fn branch_ic_counted(&mut self, hits: usize) {
        let addr = self.cx.ics.push([1u64, 0, self.cx.va, 0]) as i64;
        let irq = cpu_aarch64::mem::fast_layout().irq_check as i32;
        let va = self.cx.va as i64;
        let miss = self.cx.stubs.lookup_ic[ctx_index(self.cx.el, self.cx.spsel)];
        dynasm!(self.ops
            ; .arch x64
            ; mov r8, QWORD addr
            ; mov rdx, QWORD va
            ; xor rdx, rax
            ; test rdx, !0xfff | 3
        );
        self.rel32_to(&[0x0f, 0x85], miss);
        dynasm!(self.ops ; .arch x64 ; cmp BYTE [rbx + irq], 0);
        self.rel32_to(&[0x0f, 0x85], miss);
        dynasm!(self.ops ; .arch x64 ; cmp rax, QWORD [r8]);
        self.rel32_to(&[0x0f, 0x85], miss);
        ras::count(&mut self.ops, hits);
        dynasm!(self.ops ; .arch x64 ; jmp QWORD [r8 + 8]);
    }

    fn exit_code(&mut self, code: u32) {
        self.rc_spill();
        self.flush_count();
        dynasm!(self.ops ; .arch x64 ; mov eax, code as i32);
        self.leave();
    }

    fn callout(&mut self, pc: u64, raw: u32) {
        // (The interpreter reads and may write any guest register.)
        self.rc_drop();
        self.flush_count();
        // `Stubs::callout` runs `call_insn(ctx, raw, pc)` and returns here, or leaves.
        let t = self.cx.stubs.callout;
        self.call_insn_stub(pc, raw, t, None);
    }

    /// Calls `stub` (`Stubs::callout` or `Stubs::callout_back`) with esi = `raw`, rdx =
    /// `pc`, counted as a call-out when profiling.
    /// A PC above 4 GiB (a 10-byte MOV) goes after the CALL instead (`Stubs::callout_data`,
    /// `callout_back_data`), with `back`'s count: 17 or 18 bytes instead of 20 to 25.
    fn call_insn_stub(&mut self, pc: u64, raw: u32, stub: usize, back: Option<i32>) {
        native2::count_callout(self, raw, self.slow_path);
        self.slow_path = false;
        if pc > u32::MAX as u64 && back.is_none_or(|n| (0..=255).contains(&n)) {
            let stub = if back.is_some() { self.cx.stubs.callout_back_data } else { self.cx.stubs.callout_data };
            self.rel32_to(&[0xe8], stub);
            self.ops.extend(raw.to_le_bytes());
            self.ops.extend(pc.to_le_bytes());
            if let Some(n) = back {
                self.ops.push(n as u8);
            }
            return;
        }
        match back {
            Some(0) => dynasm!(self.ops ; .arch x64 ; xor ecx, ecx),
            Some(n) => dynasm!(self.ops ; .arch x64 ; mov ecx, n),
            None => {}
        }
        dynasm!(self.ops ; .arch x64 ; mov esi, raw as i32);
        mov_imm(self, RDX, pc);
        self.rel32_to(&[0xe8], stub);
    }

    /// The call-out of an instruction's fallback that comes back to the block with the
    /// count the fast path leaves pending: the pending count plus this instruction
    /// (`Stubs::callout_back` flushes the pending count itself and takes both off again
    /// when the block goes on). On return nothing is pending in the emitter's sense;
    /// the caller sets `pending` to what the fast path has.
    fn callout_back(&mut self, pc: u64, raw: u32) {
        self.rc.clear();
        let n = std::mem::take(&mut self.pending);
        let t = self.cx.stubs.callout_back;
        self.call_insn_stub(pc, raw, t, Some(n));
    }

    /// Whether a branch target computed from PC is its own `BranchAddr` whatever the TBI
    /// settings (so it can be a translation-time constant).
    fn plain_target(&self, t: u64) -> bool {
        if self.cx.el <= 1 {
            ((t << 8) as i64 >> 8) as u64 == t
        } else {
            t >> 56 == 0
        }
    }
}

/// Translates the words of a block starting at `cx.va`: `out` = the code (to be placed at
/// address `start`). Returns the number of guest instructions and the 64-byte lines of
/// the page that hold them (`CodePage::lines`; a two-block loop's two parts are apart).
pub(crate) fn block(cx: &mut BlockCx<'_>, start: usize, words: &[u32], out: &mut Vec<u8>, list: &mut List) -> Option<(u32, u64)> {
    if words.is_empty() {
        return None;
    }
    // The block ends at the first instruction that may branch or change the context.
    // The instructions: (PC, word, decoded), each word decoded once; a two-block FP loop
    // continues at its branch's target (`fp::loop_tail`), the branch becoming a side
    // exit (`side`).
    let mut n = 0;
    for (i, (&w, l)) in words.iter().zip(list.iter_mut()).enumerate() {
        n += 1;
        let d = (cx.decode)(w);
        *l = (cx.va.wrapping_add(4 * i as u64), w, d);
        if ends_block(&d) {
            break;
        }
    }
    let list = &mut list[..];
    let mut len = n;
    let side = if cx.prefix { None } else { fp::loop_tail(cx, list, &mut len) };
    let list = &list[..len];
    let dead = nzcv_dead(list);
    // A block that branches back to its own start with FP state worth keeping across
    // that branch is translated again following the plan the first translation found
    // (`fp::LoopPlan`); the first translation's inline caches are dropped with its code.
    // `Err`: an instruction in a dead-NZCV window fell back to the interpreter.
    let attempt = |cx: &mut BlockCx<'_>, dead: Option<&[bool; crate::MAX_BLOCK]>, out: &mut Vec<u8>| -> Result<Option<()>, ()> {
        let ics = cx.ics.len();
        match emit_block(cx, list, side, dead, None, out)? {
            None => Ok(None),
            Some(None) => Ok(Some(())),
            Some(Some(plan)) => {
                cx.ics.truncate(ics);
                Ok(emit_block(cx, list, side, dead, Some(plan), out)?.map(|_| ()))
            }
        }
    };
    let ics = cx.ics.len();
    let done = match attempt(cx, Some(&dead), out) {
        Ok(r) => r,
        Err(()) => {
            // Again without the elimination (the first attempt's code is dropped, and
            // what it registered; the Jit's assembler with it, replaced by a new one).
            cx.ics.truncate(ics);
            attempt(cx, None, out).ok().flatten()
        }
    };
    done?;
    dump(cx.va, start, out, list);
    // (Every instruction is in the block's page: `words` stops at its end, `loop_tail`
    // reads only in it.)
    let lines = list.iter().fold(0u64, |m, l| m | crate::line_mask(l.0 & 0xfff, 4));
    Some((len as u32, lines))
}

/// Emits the block of the instructions `list` (`block`; the one at index `side` is a
/// B.cond whose target is the next one: a side exit), following `lp` if given, with the
/// dead-NZCV elimination when `dead` is given: `out` = the code. Returns, without `lp`,
/// the plan found for a second translation; `Ok(None)` if the code could not be
/// assembled; `Err` when the elimination does not hold (see `nzcv_dead`).
fn emit_block(cx: &mut BlockCx<'_>, list: &[(u64, u32, Insn)], side: Option<usize>, dead: Option<&[bool; crate::MAX_BLOCK]>, lp: Option<fp::LoopPlan>, out: &mut Vec<u8>) -> Result<Option<Option<fp::LoopPlan>>, ()> {
    let n = list.len();
    let va = cx.va;
    // The Jit's assembler (empty, with room for a typical block: no reallocation while
    // it grows); given back after a successful translation.
    let mut ops = std::mem::replace(cx.asm, Asm::new(0));
    let entry = ops.new_dynamic_label();
    let body = ops.new_dynamic_label();
    let mut e = Em { ops, cx, pending: 0, raw: 0, slow_path: false, sext: 0, fp_ok: false, fp_fast: false, xmm: fp::XmmCache::default(), cold: fp::Cold::default(), fuse: false, hf: None, entry, reuse: false, avail: None, lp, lp_seen: None, body, keep_flags: false, dead: false, stale: false, rc: regcache::RegCache::default(), zsub: false, memo: None, memo_new: false, lazy_ok: None, lazy: None };
    let len = n as i32;
    // (PC is stored here: a branch back to `entry` does not store it.)
    // (The budget exit is placed after the block's code: the check falls through.)
    let over = e.ops.new_dynamic_label();
    dynasm!(e.ops
        ; .arch x64
        ; =>entry
    );
    budget_check(&mut e, n, over);
    if let Some(plan) = lp {
        fp::loop_prologue(&mut e, plan, list[0].1, len);
    }
    dynasm!(e.ops ; .arch x64 ; =>body);
    let mut ended = false;
    let dec = |i: usize| list[i].2;
    // (With the dead-NZCV elimination only: `Err` also undoes this one.)
    let lazy = if dead.is_some() { nzcv_lazy(list) } else { [false; crate::MAX_BLOCK] };
    // Instructions before this index keep the host flags (`Em::keep_flags`).
    let mut keep_until = 0;
    for (i, &(pc, w, insn)) in list.iter().enumerate() {
        e.raw = w;
        e.keep_flags = i < keep_until;
        // A producer (or a conditional select, which leaves them live) hands its flags
        // to a consumer right after it or after a few flag-neutral instructions.
        e.fuse = false;
        if producer(&insn) || is_csel(&insn) {
            let mut j = i + 1;
            while j < n && j <= i + 3 && flag_neutral(&dec(j)) {
                j += 1;
            }
            if j < n && consumer(&e, list[j].0, &dec(j)) {
                e.fuse = true;
                keep_until = j;
            }
        }
        e.dead = dead.is_some_and(|d| d.get(i).copied().unwrap_or(false));
        e.lazy_ok = if lazy.get(i).copied().unwrap_or(false) { remat_of(&insn) } else { None };
        // NZCV stale but computable (`Em::lazy`): the next setter ends that; a
        // conditional select gets the flags computed again; anything but data
        // processing and `lazy_access` loads and stores (`nzcv_lazy`) gives up.
        let was_lazy = e.lazy.is_some();
        if was_lazy {
            if kills_nzcv(&insn) {
                e.lazy = None;
            } else if lazy_reader(&insn) {
                // (The flags are computed again in `native`, with the cache on.)
            } else if !(matches!(insn, Insn::DpImm(_) | Insn::DpReg(_)) && !reads_nzcv(&insn)) && lazy_access(&insn).is_none() || side == Some(i) {
                return Err(());
            }
        }
        e.rc.next = list.get(i + 1).is_some_and(|l| regcache::aware(&l.2) && !matches!(l.2, Insn::Branch(Branch::BCond { .. } | Branch::BUncond { .. })));
        // With NZCV stale in memory only instructions that neither read it nor leave the
        // block may follow until the next setter.
        let stale = e.stale;
        if stale && (!matches!(insn, Insn::DpImm(_) | Insn::DpReg(_)) || reads_nzcv(&insn)) {
            return Err(());
        }
        if side == Some(i) {
            e.memo = None;
            fp::side_exit(&mut e, pc, &insn);
            e.fuse = false;
            e.keep_flags = false;
            continue;
        }
        if producer(&insn) {
            e.zsub = matches!(insn, Insn::DpImm(DpImm::SubsImm { .. }) | Insn::DpReg(DpReg::SubsReg { .. } | DpReg::SubsExt { .. }));
        }
        e.memo_new = false;
        let done = native(&mut e, pc, &insn);
        // `Em::memo` lives on through data processing emitted natively that writes
        // neither register of the address (Rd in bits 4:0 of every such encoding; a
        // form without Rd there only loses the memo).
        let d = w & 31;
        let kept = done && matches!(insn, Insn::DpImm(_) | Insn::DpReg(_)) && e.memo.is_some_and(|m| d != m.rn && !matches!(m.addr, Addr::Reg { rm, .. } if rm == d));
        if !(e.memo_new || kept) {
            e.memo = None;
        }
        e.fuse = false;
        e.keep_flags = false;
        if done {
            if matches!(insn, Insn::Branch(_)) {
                ended = true;
            }
            continue;
        }
        if stale || (was_lazy && e.lazy.is_some()) {
            return Err(());
        }
        // (Unreached with live flags: a fused consumer is always emitted natively.)
        e.settle();
        e.callout(pc, w);
        if ends_block(&insn) {
            // PC was set by the instruction: let the dispatcher find the next block.
            e.exit_code(exit::LOOKUP);
            ended = true;
        }
    }
    if e.stale || e.lazy.is_some() {
        return Err(());
    }
    if !ended {
        e.exit_to(list[n - 1].0.wrapping_add(4));
    }
    // (Cold code is reached from anywhere in the block: no register is cached there.)
    e.rc.clear();
    fp::emit_cold(&mut e);
    let seen = if lp.is_none() { e.lp_seen } else { None };
    dynasm!(e.ops
        ; .arch x64
        ; =>over
    );
    let t = e.cx.stubs.budget;
    e.rel32_to(&[0xe8], t);
    e.ops.extend(va.to_le_bytes());
    let mut ops = std::mem::replace(&mut e.ops, Asm::new(0));
    // (On an error the assembler is dropped: `drain` leaves it reusable, with its
    // buffers, only on success.)
    out.clear();
    let Ok(code) = ops.drain() else { return Ok(None) };
    out.extend(code);
    *e.cx.asm = ops;
    Ok(Some(seen))
}

/// Jumps to `over` when a block of `n` instructions does not fit in the budget (icount +
/// n > `Ctx::end`): icount >= `Ctx::ends[n]`. Clobbers rax.
fn budget_check(e: &mut Em<'_, '_>, n: usize, over: dynasmrt::DynamicLabel) {
    debug_assert!(n < crate::ENDS);
    let at = CTX_ENDS + 8 * n.min(crate::ENDS - 1) as i32;
    dynasm!(e.ops ; .arch x64 ; mov rax, QWORD [rbx + OFF_ICOUNT]);
    if at < 0x80 {
        // cmp rax, [r12 + disp8] (dynasm encodes a run-time displacement as disp32).
        e.ops.extend([0x49, 0x3b, 0x44, 0x24, at as u8]);
    } else {
        dynasm!(e.ops ; .arch x64 ; cmp rax, QWORD [r12 + at]);
    }
    dynasm!(e.ops ; .arch x64 ; jae =>over);
}

/// `LSEMU_JIT_DUMP=LO-HI:DIR` (hexadecimal guest addresses, e.g.
/// `0x80000700-0x80000800:/tmp/d`): every block translated at a guest address in
/// [LO, HI) (the prefix `LO-HI:` omitted: every block) is written to `DIR/<va>-<host address>.bin` (the host code, for
/// `objdump -D -b binary -mi386:x86-64 --adjust-vma=<host address>`) and
/// `DIR/<va>.a64` (the guest words, little-endian). Read once; unset: nothing is done.
fn dump(va: u64, host: usize, code: &[u8], list: &[(u64, u32, Insn)]) {
    use std::sync::OnceLock;
    static CFG: OnceLock<Option<(u64, u64, std::path::PathBuf)>> = OnceLock::new();
    let cfg = CFG.get_or_init(|| {
        let v = std::env::var("LSEMU_JIT_DUMP").ok()?;
        let hex = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok();
        let range = v.split_once(':').and_then(|(r, d)| {
            let (lo, hi) = r.split_once('-')?;
            Some((hex(lo)?, hex(hi)?, d))
        });
        let (lo, hi, dir) = range.unwrap_or((0, u64::MAX, v.as_str()));
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).ok()?;
        Some((lo, hi, dir))
    });
    let Some((lo, hi, dir)) = cfg else { return };
    if va < *lo || va >= *hi {
        return;
    }
    let guest: Vec<u8> = list.iter().flat_map(|l| l.1.to_le_bytes()).collect();
    let _ = std::fs::write(dir.join(format!("{va:x}-{host:x}.bin")), code);
    let _ = std::fs::write(dir.join(format!("{va:x}.a64")), guest);
}

/// Whether a block ends after `insn`: branches, UNDEFINED, and System instructions other
/// than those after which the interpreter keeps its fetch cache (`interp::step_inner`:
/// hints, barriers, CLREX, MSR DAIFSet/DAIFClr, MRS), whose call-out samples interrupts
/// itself. (MSR SPSel changes the SP a block uses: it ends the block.)
pub(crate) fn ends_block(insn: &Insn) -> bool {
    use cpu_aarch64::decode::System;
    match insn {
        Insn::Branch(_) | Insn::Undefined(_) => true,
        Insn::System(s) => matches!(s, System::MsrSpsel { .. }) || !cpu_aarch64::interp::keeps_fast_state(s),
        _ => false,
    }
}

/// Emits `insn` natively if supported. Branches emit their block exits.
fn native(e: &mut Em<'_, '_>, pc: u64, insn: &Insn) -> bool {
    e.xmm.next_insn();
    // Register reuse (`Em::avail`) in the classes emitted here, whose code never places
    // a label between a store and a later load (a label reached from elsewhere would
    // break "nothing emitted since the store"); off for everything else.
    e.reuse = matches!(insn, Insn::DpImm(_) | Insn::DpReg(_) | Insn::Ldst(_) | Insn::Branch(Branch::Cbz { .. } | Branch::Cbnz { .. } | Branch::Tbz { .. } | Branch::Tbnz { .. }));
    // The register cache (`regcache`) lives through these classes' native code only.
    e.rc.on = regcache::aware(insn);
    e.rc.release();
    if !e.rc.on && !regcache::transparent(insn) {
        e.rc_drop();
    }
    // A conditional select of a lazy NZCV (`Em::lazy`) takes it computed again, from the
    // registers as the cache holds them.
    if let (Some(r), None, true) = (e.lazy, e.hf, is_csel(insn)) {
        e.remat(r, false);
        e.hf = Some(if r.sub { Hf::Sub } else { Hf::Add });
    }
    let done = match *insn {
        Insn::DpImm(_) | Insn::DpReg(_) if e.keep_flags && flagfree::emit(e, insn) => true,
        Insn::Branch(b) => native_branch(e, pc, b),
        Insn::DpImm(d) => native_dp_imm(e, pc, d) || native2::cached(e, pc, insn),
        Insn::DpReg(d) => native_dp_reg(e, d) || native2::cached(e, pc, insn),
        Insn::Ldst(l) => native_ldst(e, pc, insn_raw(e), l) || native2::cached(e, pc, insn) || {
            e.reuse = false;
            e.rc.on = false;
            e.rc_drop();
            fp::native_fp_ldst(e, pc, insn_raw(e), l)
        },
        Insn::Fp(f) => fp::native_fp(e, pc, f),
        Insn::SimdFp(f) => fp::native_simd_fp(e, pc, f),
        Insn::Simd(v) => simd::native_simd(e, pc, insn_raw(e), v),
        // Hints and barriers: the interpreter only retires them (`interp::no_effect`).
        Insn::System(System::Nop | System::Yield | System::Hint { .. } | System::Dsb { .. } | System::Dmb { .. } | System::Isb { .. }) => {
            e.pending += 1;
            true
        }
        // MRS SP_EL0 (EL1+ with SPSel = 1; else UNDEFINED) and MRS TPIDR_EL1 (EL1+): plain
        // reads without traps in ARMv8.0 (`sysreg::table`), and `interp::no_effect`.
        Insn::System(System::Mrs { o0: 1, op1: 0, crn: 4, crm: 1, op2: 0, rt }) if e.cx.el >= 1 && e.cx.spsel == 1 => {
            dynasm!(e.ops ; .arch x64 ; mov rax, QWORD [rbx + OFF_SP]);
            e.store(RAX, rt, false, true);
            e.pending += 1;
            true
        }
        Insn::System(System::Mrs { o0: 1, op1: 0, crn: 13, crm: 0, op2: 4, rt }) if e.cx.el >= 1 => {
            dynasm!(e.ops ; .arch x64 ; mov rax, QWORD [rbx + OFF_TPIDR1]);
            e.store(RAX, rt, false, true);
            e.pending += 1;
            true
        }
        _ => false,
    };
    e.reuse = false;
    if !done {
        e.rc_drop();
    }
    e.rc.on = false;
    if done && matches!(insn, Insn::DpImm(_) | Insn::DpReg(_)) {
        // (Their native code uses no xmm register and calls nothing.)
        e.xmm.keep_through();
    }
    done || native2::native(e, pc, insn)
}

fn native_branch(e: &mut Em<'_, '_>, pc: u64, b: Branch) -> bool {
    let rel = |imm: u32, bits: u32| pc.wrapping_add(alu::sign_extend(imm as u64, bits) << 2);
    match b {
        Branch::BUncond { imm26 } | Branch::Bl { imm26 } => {
            let t = rel(imm26, 26);
            if !e.plain_target(t) {
                return false;
            }
            if matches!(b, Branch::Bl { .. }) {
                e.store_imm(pc.wrapping_add(4), 30);
                ras::push(e, pc);
            }
            e.pending += 1;
            e.exit_to(t);
            true
        }
        Branch::BCond { imm19, cond } => {
            // EQ taken / NE not taken: Z = 1 on that path (`Em::materialize_z`).
            let z = match cond {
                0 => Some(true),
                1 => Some(false),
                _ => None,
            };
            cond_branch_z(e, pc, rel(imm19, 19), z, |e, taken| e.jump_cond(cond, taken))
        }
        Branch::Cbz { sf, imm19, rt } | Branch::Cbnz { sf, imm19, rt } => cond_branch(e, pc, rel(imm19, 19), |e, taken| {
            e.load(RAX, rt, false);
            if sf == 1 {
                dynasm!(e.ops ; .arch x64 ; test rax, rax);
            } else {
                dynasm!(e.ops ; .arch x64 ; test eax, eax);
            }
            if matches!(b, Branch::Cbz { .. }) {
                dynasm!(e.ops ; .arch x64 ; jz =>taken);
            } else {
                dynasm!(e.ops ; .arch x64 ; jnz =>taken);
            }
        }),
        Branch::Tbz { b5, b40, imm14, rt } | Branch::Tbnz { b5, b40, imm14, rt } => cond_branch(e, pc, rel(imm14, 14), |e, taken| {
            let bit = (b5 << 5 | b40) as i8;
            e.load(RAX, rt, false);
            dynasm!(e.ops ; .arch x64 ; bt rax, bit);
            if matches!(b, Branch::Tbz { .. }) {
                dynasm!(e.ops ; .arch x64 ; jnc =>taken);
            } else {
                dynasm!(e.ops ; .arch x64 ; jc =>taken);
            }
        }),
        Branch::Br { rn } | Branch::Blr { rn } | Branch::Ret { rn } => {
            // As `interp::branch::exec`: the target is read before X30 is written (BLR
            // X30), then PC = BranchAddr(target) (TBI from the current TCR: a call).
            e.pending += 1;
            e.flush_count();
            e.load(RAX, rn, false);
            if matches!(b, Branch::Blr { .. }) {
                dynasm!(e.ops ; .arch x64 ; mov rsi, rax);
                e.store_imm(pc.wrapping_add(4), 30);
                ras::push(e, pc);
                dynasm!(e.ops ; .arch x64 ; mov rax, rsi);
            }
            // A target that BranchAddr leaves unchanged whatever the TBI settings (as
            // `plain_target`: EL0/1 bits 63:56 = bit 55, EL2/3 bits 63:56 zero) is stored
            // as it is; otherwise `set_branch_pc` applies the current TCR.
            let f = set_branch_pc as extern "sysv64" fn(*mut Cpu, u64) as usize as i64;
            let plain = e.ops.new_dynamic_label();
            let done = e.ops.new_dynamic_label();
            if e.cx.el <= 1 {
                dynasm!(e.ops ; .arch x64 ; mov rcx, rax ; shl rcx, 8 ; sar rcx, 8 ; cmp rcx, rax ; je =>plain);
            } else {
                dynasm!(e.ops ; .arch x64 ; mov rcx, rax ; shr rcx, 56 ; jz =>plain);
            }
            dynasm!(e.ops
                ; .arch x64
                ; mov rdi, rbx
                ; mov rsi, rax
                ; mov rax, QWORD f
                ; call rax
                ; mov rax, QWORD [rbx + OFF_PC]
                ; jmp =>done
                ; =>plain
                ; mov QWORD [rbx + OFF_PC], rax
                ; =>done
            );
            if matches!(b, Branch::Ret { .. }) {
                ras::ret(e);
            } else {
                ras::reg(e);
            }
            true
        }
    }
}

/// A conditional branch to `t` (B.cond, CBZ/CBNZ, TBZ/TBNZ): `jump` emits the test and
/// the jump to `taken`; the block exits to the next instruction or to `t`. NZCV left in
/// the host flags by a fused producer (`Em::hf`) is stored on both paths (the counts are
/// flushed after the jump, as an ADD would clobber the flags).
fn cond_branch(e: &mut Em<'_, '_>, pc: u64, t: u64, jump: impl FnOnce(&mut Em<'_, '_>, dynasmrt::DynamicLabel)) -> bool {
    cond_branch_z(e, pc, t, None, jump)
}

/// `cond_branch`, where `z` = Some(true) when the branch is taken exactly when Z = 1
/// (B.EQ), Some(false) when it is taken exactly when Z = 0 (B.NE): NZCV left live by the
/// producer is then stored as a constant on the Z = 1 path when it can be
/// (`Em::materialize_z`).
fn cond_branch_z(e: &mut Em<'_, '_>, pc: u64, t: u64, z: Option<bool>, jump: impl FnOnce(&mut Em<'_, '_>, dynasmrt::DynamicLabel)) -> bool {
    if !e.plain_target(t) {
        return false;
    }
    e.pending += 1;
    let taken = e.ops.new_dynamic_label();
    // The dirty `regcache` entries are stored once here, not on each of the two exits
    // (the same stores run, in half the code; MOVs leave a fused producer's flags alone),
    // except at the branch back of a loop that keeps them (`fp::back_edge`).
    let va = e.cx.va;
    if !((t == va || pc.wrapping_add(4) == va) && e.lp.is_some_and(|p| p.has_gpr())) {
        e.rc.flush(&mut e.ops);
    }
    jump(e, taken);
    let hf = e.hf.take();
    let pending = e.pending;
    if let Some(k) = hf {
        e.materialize_z(k, z == Some(false));
    }
    e.exit_to(pc.wrapping_add(4));
    dynasm!(e.ops ; .arch x64 ; =>taken);
    e.pending = pending;
    if let Some(k) = hf {
        e.materialize_z(k, z == Some(true));
    }
    e.exit_to(t);
    true
}

/// PC = `BranchAddr(target)` for the current context (register branches).
extern "sysv64" fn set_branch_pc(cpu: *mut Cpu, target: u64) {
    // SAFETY: translated code passes its `Cpu` (rbx), live and otherwise unborrowed while
    // the block runs.
    let cpu = unsafe { &mut *cpu };
    cpu.st.pc = cpu_aarch64::interp::branch::branch_addr(cpu, target);
}

/// Loads a 64-bit constant into host register `h` (short forms when they fit).
fn mov_imm(e: &mut Em<'_, '_>, h: u8, v: u64) {
    if v <= u32::MAX as u64 {
        dynasm!(e.ops ; .arch x64 ; mov Rd(h), v as i32);
    } else {
        dynasm!(e.ops ; .arch x64 ; mov Rq(h), QWORD v as i64);
    }
}

#[derive(Clone, Copy)]
enum Alu {
    Add,
    Sub,
    And,
    Or,
    Xor,
}

/// rax = rax OP rcx, 64 or 32 bits (a 32-bit op zero-extends).
fn alu_rr(e: &mut Em<'_, '_>, op: Alu, sf: bool) {
    match (op, sf) {
        (Alu::Add, true) => dynasm!(e.ops ; .arch x64 ; add rax, rcx),
        (Alu::Add, false) => dynasm!(e.ops ; .arch x64 ; add eax, ecx),
        (Alu::Sub, true) => dynasm!(e.ops ; .arch x64 ; sub rax, rcx),
        (Alu::Sub, false) => dynasm!(e.ops ; .arch x64 ; sub eax, ecx),
        (Alu::And, true) => dynasm!(e.ops ; .arch x64 ; and rax, rcx),
        (Alu::And, false) => dynasm!(e.ops ; .arch x64 ; and eax, ecx),
        (Alu::Or, true) => dynasm!(e.ops ; .arch x64 ; or rax, rcx),
        (Alu::Or, false) => dynasm!(e.ops ; .arch x64 ; or eax, ecx),
        (Alu::Xor, true) => dynasm!(e.ops ; .arch x64 ; xor rax, rcx),
        (Alu::Xor, false) => dynasm!(e.ops ; .arch x64 ; xor eax, ecx),
    }
}

/// rcx = ShiftReg(rcx, shift, amount) at width `sf` (amount < width).
fn shift_rcx(e: &mut Em<'_, '_>, shift: u32, amount: u32, sf: bool) {
    let a = amount as i8;
    if amount == 0 {
        return;
    }
    match (shift, sf) {
        (0, true) => dynasm!(e.ops ; .arch x64 ; shl rcx, a),
        (0, false) => dynasm!(e.ops ; .arch x64 ; shl ecx, a),
        (1, true) => dynasm!(e.ops ; .arch x64 ; shr rcx, a),
        (1, false) => dynasm!(e.ops ; .arch x64 ; shr ecx, a),
        (2, true) => dynasm!(e.ops ; .arch x64 ; sar rcx, a),
        (2, false) => dynasm!(e.ops ; .arch x64 ; sar ecx, a),
        (_, true) => dynasm!(e.ops ; .arch x64 ; ror rcx, a),
        (_, false) => dynasm!(e.ops ; .arch x64 ; ror ecx, a),
    }
}

fn native_dp_imm(e: &mut Em<'_, '_>, pc: u64, d: DpImm) -> bool {
    let trunc = |sf: u32, v: u64| if sf == 1 { v } else { v & 0xffff_ffff };
    match d {
        DpImm::Adr { immlo, immhi, rd } => {
            let imm = alu::sign_extend(((immhi << 2) | immlo) as u64, 21);
            e.store_imm(pc.wrapping_add(imm), rd);
        }
        DpImm::Adrp { immlo, immhi, rd } => {
            let imm = alu::sign_extend(((immhi << 2) | immlo) as u64, 21) << 12;
            e.store_imm((pc & !0xfff).wrapping_add(imm), rd);
        }
        DpImm::AddImm { sf, sh, imm12, rn, rd }
        | DpImm::SubImm { sf, sh, imm12, rn, rd }
        | DpImm::AddsImm { sf, sh, imm12, rn, rd }
        | DpImm::SubsImm { sf, sh, imm12, rn, rd } => {
            let sub = matches!(d, DpImm::SubImm { .. } | DpImm::SubsImm { .. });
            let flags = matches!(d, DpImm::AddsImm { .. } | DpImm::SubsImm { .. });
            let imm = ((imm12 as u64) << (12 * sh)) as i32;
            if e.keep_flags && !flags {
                // Between a fused producer and its consumer: LEA leaves the flags alone.
                let disp = if sub { imm.wrapping_neg() } else { imm };
                e.load(RAX, rn, true);
                if sf == 1 {
                    dynasm!(e.ops ; .arch x64 ; lea rax, [rax + disp]);
                } else {
                    dynasm!(e.ops ; .arch x64 ; lea eax, [rax + disp]);
                }
                e.store(RAX, rd, true, true);
                e.pending += 1;
                return true;
            }
            if !flags && sf == 1 && rd == rn {
                // Xd (or SP) += / -= imm in place: one read-modify-write.
                let off = e.cx.reg_off(rd);
                // Cached (`regcache`): update the copy and store it.
                let next = e.rc.next;
                // (Cached first only if the next instruction may read the copy.)
                let cached = e.rc.find(off).or_else(|| {
                    let c = if next { e.rc.bind(&mut e.ops, off)? } else { return None };
                    ld_cpu(&mut e.ops, c, off);
                    Some(c)
                });
                if let Some(c) = cached {
                    if sub {
                        dynasm!(e.ops ; .arch x64 ; sub Rq(c), imm);
                    } else {
                        dynasm!(e.ops ; .arch x64 ; add Rq(c), imm);
                    }
                    e.rc.set_dirty(c);
                } else if sub {
                    dynasm!(e.ops ; .arch x64 ; sub QWORD [rbx + off], imm);
                } else {
                    dynasm!(e.ops ; .arch x64 ; add QWORD [rbx + off], imm);
                }
                // No host register holds the guest register's new value.
                e.avail = None;
                e.pending += 1;
                return true;
            }
            if operand::imm_in_cache(e, sub, flags, sf == 1, imm, rd, rn) {
                if flags {
                    e.flags_arith(sub);
                }
                e.pending += 1;
                return true;
            }
            e.load(RAX, rn, true);
            match (sub, sf == 1) {
                // MOV to/from SP (no flags: the result only).
                _ if imm == 0 && !flags => {}
                (false, true) => dynasm!(e.ops ; .arch x64 ; add rax, imm),
                (false, false) => dynasm!(e.ops ; .arch x64 ; add eax, imm),
                (true, true) => dynasm!(e.ops ; .arch x64 ; sub rax, imm),
                (true, false) => dynasm!(e.ops ; .arch x64 ; sub eax, imm),
            }
            e.store(RAX, rd, !flags, sf == 1 || imm != 0 || flags); // (32-bit x86 ops zero-extend)
            if flags {
                e.flags_arith(sub);
            }
        }
        DpImm::AndImm { sf, n, immr, imms, rn, rd }
        | DpImm::OrrImm { sf, n, immr, imms, rn, rd }
        | DpImm::EorImm { sf, n, immr, imms, rn, rd }
        | DpImm::AndsImm { sf, n, immr, imms, rn, rd } => {
            let Some(imm) = alu::logical_imm(sf == 1, n, immr, imms) else { return false };
            let op = match d {
                DpImm::OrrImm { .. } => Alu::Or,
                DpImm::EorImm { .. } => Alu::Xor,
                _ => Alu::And,
            };
            let flags = matches!(d, DpImm::AndsImm { .. });
            if let Some(cd) = operand::logic_imm_in_cache(e, op, sf == 1, trunc(sf, imm), rd, rn) {
                if flags {
                    e.flags_logic(cd, sf == 1);
                }
                e.pending += 1;
                return true;
            }
            e.load(RAX, rn, false);
            let v = trunc(sf, imm);
            if matches!(op, Alu::And) && sf == 1 && v == 0xffff_ffff {
                // UXTW-like masks: a 32-bit move zero-extends.
                dynasm!(e.ops ; .arch x64 ; mov eax, eax);
            } else if matches!(op, Alu::And) && sf == 1 && (v.wrapping_add(1) & v) == 0 && v > 0xffff_ffff {
                // A low mask of 33..63 bits: two shifts instead of a 64-bit constant.
                let k = v.leading_zeros() as i8;
                dynasm!(e.ops ; .arch x64 ; shl rax, k ; shr rax, k);
            } else if sf == 0 || v as i64 == v as i32 as i64 {
                // An imm32 form: 32-bit ops take the low 32 bits, 64-bit ones sign-extend.
                let i = v as i32;
                match (op, sf == 1) {
                    (Alu::Or, true) => dynasm!(e.ops ; .arch x64 ; or rax, i),
                    (Alu::Or, false) => dynasm!(e.ops ; .arch x64 ; or eax, i),
                    (Alu::Xor, true) => dynasm!(e.ops ; .arch x64 ; xor rax, i),
                    (Alu::Xor, false) => dynasm!(e.ops ; .arch x64 ; xor eax, i),
                    (_, true) => dynasm!(e.ops ; .arch x64 ; and rax, i),
                    (_, false) => dynasm!(e.ops ; .arch x64 ; and eax, i),
                }
            } else {
                mov_imm(e, RCX, v);
                alu_rr(e, op, sf == 1);
            }
            e.store(RAX, rd, !flags, true); // (sf = 0: a 32-bit x86 op, zero-extended)
            if flags {
                e.flags_logic(RAX, sf == 1);
            }
        }
        DpImm::Movz { sf, hw, imm16, rd } | DpImm::Movn { sf, hw, imm16, rd } => {
            if sf == 0 && hw >= 2 {
                return false;
            }
            let v = (imm16 as u64) << (16 * hw);
            let v = if matches!(d, DpImm::Movn { .. }) { !v } else { v };
            e.store_imm(trunc(sf, v), rd);
        }
        DpImm::Movk { sf, hw, imm16, rd } => {
            if sf == 0 && hw >= 2 {
                return false;
            }
            if rd != 31 {
                let pos = 16 * hw;
                e.load(RAX, rd, false);
                if hw == 0 {
                    // Both masks fit sign-extended 32-bit immediates.
                    dynasm!(e.ops ; .arch x64 ; and rax, -0x1_0000 ; or rax, imm16 as i32);
                    e.store(RAX, rd, false, sf == 1);
                    e.pending += 1;
                    return true;
                }
                if sf == 0 {
                    // MOVK Wd, #imm, LSL #16: 32-bit operations (zero-extending).
                    let hi = (imm16 << 16) as i32;
                    dynasm!(e.ops ; .arch x64 ; and eax, 0xffff ; or eax, hi);
                    e.store(RAX, rd, false, true);
                    e.pending += 1;
                    return true;
                }
                mov_imm(e, RCX, !(0xffffu64 << pos));
                dynasm!(e.ops ; .arch x64 ; and rax, rcx);
                mov_imm(e, RCX, (imm16 as u64) << pos);
                dynasm!(e.ops ; .arch x64 ; or rax, rcx);
                e.store(RAX, rd, false, sf == 1);
            }
        }
        DpImm::Ubfm { sf, n, immr, imms, rn, rd } | DpImm::Sbfm { sf, n, immr, imms, rn, rd } => {
            if operand::shift_in_cache(e, &d) {
                e.pending += 1;
                return true;
            }
            let w = if sf == 1 { 64 } else { 32 };
            if n != sf || immr >= w || imms >= w {
                return false;
            }
            // Two shifts: the field's top bit (imms) to the top, then down to its place
            // (right by w-1-imms+immr for a field extract, s >= r; by immr-imms-1 for an
            // insert at w-immr, s < r), logical for UBFM, arithmetic for SBFM. The
            // zero/sign extensions of bytes, halfwords and words are single moves.
            let signed = matches!(d, DpImm::Sbfm { .. });
            if sf == 1 && immr == 0 && imms == 31 && rd != 31 && rn != 31 && e.rc.on && e.rc.next {
                // SXTW / UXTW (64-bit) straight into Rd's cache register.
                let offd = e.cx.reg_off(rd);
                let cn = operand::cached(e, rn);
                let (avoid, k) = regcache::regs([cn, None, None]);
                if let Some(cd) = e.rc.bind_avoiding(&mut e.ops, offd, &avoid[..k]) {
                    let offn = e.cx.reg_off(rn);
                    match (signed, cn) {
                        (true, Some(c)) => dynasm!(e.ops ; .arch x64 ; movsxd Rq(cd), Rd(c)),
                        (true, None) => dynasm!(e.ops ; .arch x64 ; movsxd Rq(cd), DWORD [rbx + offn]),
                        (false, Some(c)) => dynasm!(e.ops ; .arch x64 ; mov Rd(cd), Rd(c)),
                        (false, None) => dynasm!(e.ops ; .arch x64 ; mov Rd(cd), DWORD [rbx + offn]),
                    }
                    e.rc.set_dirty(cd);
                    e.avail = None;
                    e.pending += 1;
                    return true;
                }
            }
            // Whether a 32-bit x86 instruction wrote eax (zero-extending it).
            let mut zx = true;
            e.load(RAX, rn, false);
            match (signed, sf == 1, immr, imms) {
                (false, _, 0, 7) => dynasm!(e.ops ; .arch x64 ; movzx eax, al),
                (false, _, 0, 15) => dynasm!(e.ops ; .arch x64 ; movzx eax, ax),
                (false, true, 0, 31) => dynasm!(e.ops ; .arch x64 ; mov eax, eax),
                (true, true, 0, 7) => dynasm!(e.ops ; .arch x64 ; movsx rax, al),
                (true, true, 0, 15) => dynasm!(e.ops ; .arch x64 ; movsx rax, ax),
                (true, true, 0, 31) => dynasm!(e.ops ; .arch x64 ; movsxd rax, eax),
                (true, false, 0, 7) => dynasm!(e.ops ; .arch x64 ; movsx eax, al),
                (true, false, 0, 15) => dynasm!(e.ops ; .arch x64 ; movsx eax, ax),
                _ => {
                    let up = w - 1 - imms;
                    let down = if imms >= immr { up + immr } else { immr - imms - 1 };
                    let (up, down) = (up as i8, down as i8);
                    zx = up > 0 || down > 0;
                    if up > 0 {
                        if sf == 1 {
                            dynasm!(e.ops ; .arch x64 ; shl rax, up);
                        } else {
                            dynasm!(e.ops ; .arch x64 ; shl eax, up);
                        }
                    }
                    if down > 0 {
                        match (signed, sf == 1) {
                            (false, true) => dynasm!(e.ops ; .arch x64 ; shr rax, down),
                            (false, false) => dynasm!(e.ops ; .arch x64 ; shr eax, down),
                            (true, true) => dynasm!(e.ops ; .arch x64 ; sar rax, down),
                            (true, false) => dynasm!(e.ops ; .arch x64 ; sar eax, down),
                        }
                    }
                }
            }
            e.store(RAX, rd, false, sf == 1 || zx);
        }
        DpImm::Extr { sf, rm, imms, rn, rd, .. } => {
            if sf == 0 && imms >= 32 {
                return false;
            }
            let lsb = imms as i8;
            if rn == rm {
                // ROR (immediate).
                e.load(RAX, rn, false);
                match (sf == 1, lsb) {
                    (_, 0) => {}
                    (true, _) => dynasm!(e.ops ; .arch x64 ; ror rax, lsb),
                    (false, _) => dynasm!(e.ops ; .arch x64 ; ror eax, lsb),
                }
                e.store(RAX, rd, false, sf == 1 || lsb != 0);
                e.pending += 1;
                return true;
            }
            // (Rn:Rm) >> lsb, low datasize bits: x86 SHRD.
            e.load(RAX, rm, false);
            e.load(RCX, rn, false);
            if sf == 1 {
                dynasm!(e.ops ; .arch x64 ; shrd rax, rcx, lsb);
            } else {
                dynasm!(e.ops ; .arch x64 ; shrd eax, ecx, lsb);
            }
            e.store(RAX, rd, false, sf == 1);
        }
        _ => return false,
    }
    e.pending += 1;
    true
}

fn native_dp_reg(e: &mut Em<'_, '_>, d: DpReg) -> bool {
    match d {
        DpReg::AndReg { sf, shift, rm, imm6, rn, rd }
        | DpReg::BicReg { sf, shift, rm, imm6, rn, rd }
        | DpReg::OrrReg { sf, shift, rm, imm6, rn, rd }
        | DpReg::OrnReg { sf, shift, rm, imm6, rn, rd }
        | DpReg::EorReg { sf, shift, rm, imm6, rn, rd }
        | DpReg::EonReg { sf, shift, rm, imm6, rn, rd }
        | DpReg::AndsReg { sf, shift, rm, imm6, rn, rd }
        | DpReg::BicsReg { sf, shift, rm, imm6, rn, rd } => {
            if sf == 0 && imm6 >= 32 {
                return false;
            }
            let (op, invert, flags) = match d {
                DpReg::AndReg { .. } => (Alu::And, false, false),
                DpReg::BicReg { .. } => (Alu::And, true, false),
                DpReg::OrrReg { .. } => (Alu::Or, false, false),
                DpReg::OrnReg { .. } => (Alu::Or, true, false),
                DpReg::EorReg { .. } => (Alu::Xor, false, false),
                DpReg::EonReg { .. } => (Alu::Xor, true, false),
                DpReg::AndsReg { .. } => (Alu::And, false, true),
                _ => (Alu::And, true, true),
            };
            if imm6 == 0 && !invert && !(rn == 31 && matches!(op, Alu::Or)) && rm != 31 {
                if let Some(cd) = operand::op_in_cache(e, Some(op), sf == 1, rd, rn, rm) {
                    if flags {
                        e.flags_logic(cd, sf == 1);
                    }
                    e.pending += 1;
                    return true;
                }
                // Rm as the operand (`operand`).
                e.load(RAX, rn, false);
                operand::rax_op_reg(e, Some(op), sf == 1, rm);
                e.store(RAX, rd, false, true);
                if flags {
                    e.flags_logic(RAX, sf == 1);
                }
                e.pending += 1;
                return true;
            }
            e.load(RCX, rm, false);
            shift_rcx(e, shift, imm6, sf == 1);
            if invert {
                dynasm!(e.ops ; .arch x64 ; not rcx);
            }
            if rn == 31 && matches!(op, Alu::Or) {
                // MOV / MVN (XZR OR x = x).
                e.store(RCX, rd, false, sf == 1);
                e.pending += 1;
                return true;
            }
            e.load(RAX, rn, false);
            alu_rr(e, op, sf == 1);
            e.store(RAX, rd, false, true); // (alu_rr: zero-extended)
            if flags {
                e.flags_logic(RAX, sf == 1);
            }
        }
        DpReg::AddReg { sf, shift, rm, imm6, rn, rd }
        | DpReg::AddsReg { sf, shift, rm, imm6, rn, rd }
        | DpReg::SubReg { sf, shift, rm, imm6, rn, rd }
        | DpReg::SubsReg { sf, shift, rm, imm6, rn, rd } => {
            if shift == 3 || (sf == 0 && imm6 >= 32) {
                return false;
            }
            let sub = matches!(d, DpReg::SubReg { .. } | DpReg::SubsReg { .. });
            let flags = matches!(d, DpReg::AddsReg { .. } | DpReg::SubsReg { .. });
            if !sub && !flags && shift == 0 && imm6 <= 3 && (imm6 >= 1 || e.keep_flags) {
                // Rn + Rm LSL #1..3: one LEA (a 32-bit one keeps the low 32 bits).
                e.load(RCX, rm, false);
                e.load(RAX, rn, false);
                match (imm6, sf == 1) {
                    (0, true) => dynasm!(e.ops ; .arch x64 ; lea rax, [rax + rcx]),
                    (0, false) => dynasm!(e.ops ; .arch x64 ; lea eax, [rax + rcx]),
                    (1, true) => dynasm!(e.ops ; .arch x64 ; lea rax, [rax + rcx * 2]),
                    (1, false) => dynasm!(e.ops ; .arch x64 ; lea eax, [rax + rcx * 2]),
                    (2, true) => dynasm!(e.ops ; .arch x64 ; lea rax, [rax + rcx * 4]),
                    (2, false) => dynasm!(e.ops ; .arch x64 ; lea eax, [rax + rcx * 4]),
                    (_, true) => dynasm!(e.ops ; .arch x64 ; lea rax, [rax + rcx * 8]),
                    (_, false) => dynasm!(e.ops ; .arch x64 ; lea eax, [rax + rcx * 8]),
                }
                e.store(RAX, rd, false, true);
                e.pending += 1;
                return true;
            }
            if imm6 == 0 && rm != 31 {
                if let (true, 31, Some(cn)) = (sub && flags && rn != 31, rd, operand::cached(e, rn)) {
                    // CMP with Rn cached: one CMP (from Rm's cache register or `Cpu`).
                    match (operand::cached(e, rm), sf == 1) {
                        (Some(cm), true) => dynasm!(e.ops ; .arch x64 ; cmp Rq(cn), Rq(cm)),
                        (Some(cm), false) => dynasm!(e.ops ; .arch x64 ; cmp Rd(cn), Rd(cm)),
                        (None, true) => {
                            let off = e.cx.reg_off(rm);
                            dynasm!(e.ops ; .arch x64 ; cmp Rq(cn), QWORD [rbx + off]);
                        }
                        (None, false) => {
                            let off = e.cx.reg_off(rm);
                            dynasm!(e.ops ; .arch x64 ; cmp Rd(cn), DWORD [rbx + off]);
                        }
                    }
                    e.flags_arith(true);
                    e.pending += 1;
                    return true;
                }
                if operand::op_in_cache(e, Some(if sub { Alu::Sub } else { Alu::Add }), sf == 1, rd, rn, rm).is_some() {
                    if flags {
                        e.flags_arith(sub);
                    }
                    e.pending += 1;
                    return true;
                }
                // Rm as the operand (`operand`).
                e.load(RAX, rn, false);
                operand::rax_op_reg(e, Some(if sub { Alu::Sub } else { Alu::Add }), sf == 1, rm);
            } else {
                e.load(RCX, rm, false);
                shift_rcx(e, shift, imm6, sf == 1);
                if let Some(cd) = operand::dest_from(e, rd, rn, false) {
                    // In Rd's cache register (`operand`; Rm shifted in rcx first).
                    match (sub, sf == 1) {
                        (false, true) => dynasm!(e.ops ; .arch x64 ; add Rq(cd), rcx),
                        (false, false) => dynasm!(e.ops ; .arch x64 ; add Rd(cd), ecx),
                        (true, true) => dynasm!(e.ops ; .arch x64 ; sub Rq(cd), rcx),
                        (true, false) => dynasm!(e.ops ; .arch x64 ; sub Rd(cd), ecx),
                    }
                    e.rc.set_dirty(cd);
                    e.avail = None;
                    if flags {
                        e.flags_arith(sub);
                    }
                    e.pending += 1;
                    return true;
                }
                e.load(RAX, rn, false);
                alu_rr(e, if sub { Alu::Sub } else { Alu::Add }, sf == 1);
            }
            e.store(RAX, rd, false, true); // (alu_rr: zero-extended)
            if flags {
                e.flags_arith(sub);
            }
        }
        DpReg::AddExt { sf, rm, option, imm3, rn, rd }
        | DpReg::AddsExt { sf, rm, option, imm3, rn, rd }
        | DpReg::SubExt { sf, rm, option, imm3, rn, rd }
        | DpReg::SubsExt { sf, rm, option, imm3, rn, rd } => {
            if imm3 > 4 {
                return false;
            }
            let sub = matches!(d, DpReg::SubExt { .. } | DpReg::SubsExt { .. });
            let flags = matches!(d, DpReg::AddsExt { .. } | DpReg::SubsExt { .. });
            if operand::ext_in_cache(e, sub, flags, sf == 1, option, imm3, rd, rn, rm) {
                if flags {
                    e.flags_arith(sub);
                }
                e.pending += 1;
                return true;
            }
            e.load(RCX, rm, false);
            match option {
                0 => dynasm!(e.ops ; .arch x64 ; movzx ecx, cl),
                1 => dynasm!(e.ops ; .arch x64 ; movzx ecx, cx),
                2 => dynasm!(e.ops ; .arch x64 ; mov ecx, ecx),
                4 => dynasm!(e.ops ; .arch x64 ; movsx rcx, cl),
                5 => dynasm!(e.ops ; .arch x64 ; movsx rcx, cx),
                6 => dynasm!(e.ops ; .arch x64 ; movsxd rcx, ecx),
                _ => {}
            }
            if imm3 > 0 {
                dynasm!(e.ops ; .arch x64 ; shl rcx, imm3 as i8);
            }
            e.load(RAX, rn, true);
            alu_rr(e, if sub { Alu::Sub } else { Alu::Add }, sf == 1);
            e.store(RAX, rd, !flags, true); // (alu_rr: zero-extended)
            if flags {
                e.flags_arith(sub);
            }
        }
        DpReg::Adc { sf, rm, rn, rd }
        | DpReg::Adcs { sf, rm, rn, rd }
        | DpReg::Sbc { sf, rm, rn, rd }
        | DpReg::Sbcs { sf, rm, rn, rd } => {
            let sub = matches!(d, DpReg::Sbc { .. } | DpReg::Sbcs { .. });
            let flags = matches!(d, DpReg::Adcs { .. } | DpReg::Sbcs { .. });
            if let Some(r) = e.lazy.filter(|_| !flags) {
                // A lazy NZCV (`Em::lazy`): the carry from the flags computed again (C =
                // CF after an add, NOT CF after a subtraction); the operands by MOVs.
                e.remat(r, false);
                e.load_keep_flags(RCX, rm);
                e.load_keep_flags(RAX, rn);
                if sub != r.sub {
                    dynasm!(e.ops ; .arch x64 ; cmc);
                }
            } else {
                e.load(RCX, rm, false);
                e.load(RAX, rn, false);
                // CF = PSTATE.C (for SBC: NOT C, the borrow).
                dynasm!(e.ops ; .arch x64 ; bt DWORD [rbx + OFF_NZCV], 29);
                if sub {
                    dynasm!(e.ops ; .arch x64 ; cmc);
                }
            }
            match (sub, sf == 1) {
                (false, true) => dynasm!(e.ops ; .arch x64 ; adc rax, rcx),
                (false, false) => dynasm!(e.ops ; .arch x64 ; adc eax, ecx),
                (true, true) => dynasm!(e.ops ; .arch x64 ; sbb rax, rcx),
                (true, false) => dynasm!(e.ops ; .arch x64 ; sbb eax, ecx),
            }
            e.store(RAX, rd, false, true); // (32-bit ADC/SBB zero-extend)
            if flags {
                e.flags_arith(sub);
            }
        }
        DpReg::CcmpReg { sf, rm, cond, rn, nzcv }
        | DpReg::CcmnReg { sf, rm, cond, rn, nzcv }
        | DpReg::CcmpImm { sf, imm5: rm, cond, rn, nzcv }
        | DpReg::CcmnImm { sf, imm5: rm, cond, rn, nzcv } => {
            let sub = matches!(d, DpReg::CcmpReg { .. } | DpReg::CcmpImm { .. });
            let imm = matches!(d, DpReg::CcmpImm { .. } | DpReg::CcmnImm { .. });
            let holds = e.ops.new_dynamic_label();
            let done = e.ops.new_dynamic_label();
            // Both paths write NZCV: flags left live by a fused producer need no store.
            e.jump_cond(cond, holds);
            e.hf = None;
            if e.fuse {
                // Fused with a consumer: the host flags get #nzcv in the form the other
                // path leaves (`Hf::Sub`: CF = NOT C). AH = SF ZF 0 0 0 0 0 CF for SAHF;
                // AL = V, and AL + 0x7f overflows exactly when V = 1 (SAHF keeps OF).
                let (n, z, c, v) = (nzcv >> 3 & 1, nzcv >> 2 & 1, nzcv >> 1 & 1, nzcv & 1);
                let cf = if sub { c ^ 1 } else { c };
                let img = ((n << 7 | z << 6 | cf) << 8 | v) as i32;
                dynasm!(e.ops
                    ; .arch x64
                    ; mov eax, img
                    ; add al, 0x7f
                    ; sahf
                    ; jmp =>done
                    ; =>holds
                );
            } else {
                let v = (nzcv << 28) as i32;
                dynasm!(e.ops
                    ; .arch x64
                    ; mov DWORD [rbx + OFF_NZCV], v
                    ; jmp =>done
                    ; =>holds
                );
            }
            if imm {
                dynasm!(e.ops ; .arch x64 ; mov ecx, rm as i32);
            } else {
                e.load(RCX, rm, false);
            }
            e.load(RAX, rn, false);
            alu_rr(e, if sub { Alu::Sub } else { Alu::Add }, sf == 1);
            e.flags_arith(sub);
            dynasm!(e.ops ; .arch x64 ; =>done);
        }
        DpReg::Lslv { sf, rm, rn, rd }
        | DpReg::Lsrv { sf, rm, rn, rd }
        | DpReg::Asrv { sf, rm, rn, rd }
        | DpReg::Rorv { sf, rm, rn, rd } => {
            // x86 masks the count to 6 (64-bit) or 5 (32-bit) bits: Rm MOD datasize.
            e.load(RCX, rm, false);
            e.load(RAX, rn, false);
            match (d, sf == 1) {
                (DpReg::Lslv { .. }, true) => dynasm!(e.ops ; .arch x64 ; shl rax, cl),
                (DpReg::Lslv { .. }, false) => dynasm!(e.ops ; .arch x64 ; shl eax, cl),
                (DpReg::Lsrv { .. }, true) => dynasm!(e.ops ; .arch x64 ; shr rax, cl),
                (DpReg::Lsrv { .. }, false) => dynasm!(e.ops ; .arch x64 ; shr eax, cl),
                (DpReg::Asrv { .. }, true) => dynasm!(e.ops ; .arch x64 ; sar rax, cl),
                (DpReg::Asrv { .. }, false) => dynasm!(e.ops ; .arch x64 ; sar eax, cl),
                (_, true) => dynasm!(e.ops ; .arch x64 ; ror rax, cl),
                (_, false) => dynasm!(e.ops ; .arch x64 ; ror eax, cl),
            }
            e.store(RAX, rd, false, sf == 1);
        }
        DpReg::Madd { sf, rm, ra, rn, rd } | DpReg::Msub { sf, rm, ra, rn, rd } => {
            if matches!(d, DpReg::Madd { .. }) && operand::madd_in_cache(e, sf == 1, rd, rn, rm, ra) {
                e.pending += 1;
                return true;
            }
            if ra == 31 && matches!(d, DpReg::Madd { .. }) && operand::op_in_cache(e, None, sf == 1, rd, rn, rm).is_some() {
                e.pending += 1;
                return true;
            }
            e.load(RAX, rn, false);
            if ra == 31 && rm != 31 {
                // MUL / MNEG with Rm as the operand (`operand`).
                operand::rax_op_reg(e, None, sf == 1, rm);
                if matches!(d, DpReg::Msub { .. }) {
                    dynasm!(e.ops ; .arch x64 ; neg rax);
                }
                e.store(RAX, rd, false, sf == 1);
                e.pending += 1;
                return true;
            }
            e.load(RCX, rm, false);
            // The low 64 (32) bits of a product do not depend on signedness.
            if ra == 31 {
                // MUL / MNEG.
                dynasm!(e.ops ; .arch x64 ; imul rax, rcx);
                if matches!(d, DpReg::Msub { .. }) {
                    dynasm!(e.ops ; .arch x64 ; neg rax);
                }
                e.store(RAX, rd, false, sf == 1);
                e.pending += 1;
                return true;
            }
            e.load(RDX, ra, false);
            dynasm!(e.ops ; .arch x64 ; imul rax, rcx);
            if matches!(d, DpReg::Madd { .. }) {
                dynasm!(e.ops ; .arch x64 ; add rax, rdx);
            } else {
                dynasm!(e.ops ; .arch x64 ; sub rdx, rax ; mov rax, rdx);
            }
            e.store(RAX, rd, false, sf == 1);
        }
        DpReg::RevX { rn, rd } => {
            e.load(RAX, rn, false);
            dynasm!(e.ops ; .arch x64 ; bswap rax);
            e.store(RAX, rd, false, true);
        }
        DpReg::RevW { rn, rd } => {
            e.load(RAX, rn, false);
            dynasm!(e.ops ; .arch x64 ; bswap eax);
            e.store(RAX, rd, false, false);
        }
        DpReg::Rev32Gpr { rn, rd } => {
            // Each 32-bit word byte-reversed in place.
            e.load(RAX, rn, false);
            dynasm!(e.ops ; .arch x64 ; bswap rax ; rol rax, 32);
            e.store(RAX, rd, false, true);
        }
        DpReg::Clz { sf, rn, rd } => {
            // BSR leaves the destination undefined for 0: count = width - 1 - bsr, with
            // 0 giving width (ecx preset so that width - 1 - ecx = width).
            e.load(RAX, rn, false);
            let w = if sf == 1 { 64 } else { 32 };
            dynasm!(e.ops ; .arch x64 ; mov rcx, -1);
            if sf == 1 {
                dynasm!(e.ops ; .arch x64 ; bsr rdx, rax ; cmovnz rcx, rdx);
            } else {
                dynasm!(e.ops ; .arch x64 ; bsr edx, eax ; cmovnz ecx, edx ; movsxd rcx, ecx);
            }
            dynasm!(e.ops ; .arch x64 ; mov eax, w - 1 ; sub rax, rcx);
            e.store(RAX, rd, false, sf == 1);
        }
        DpReg::Udiv { sf, rm, rn, rd } | DpReg::Sdiv { sf, rm, rn, rd } => {
            // A64: division by zero gives 0; SDIV of the most negative value by -1 gives
            // the most negative value (x86 would fault on both).
            let signed = matches!(d, DpReg::Sdiv { .. });
            let zero = e.ops.new_dynamic_label();
            let done = e.ops.new_dynamic_label();
            e.load(RCX, rm, false);
            e.load(RAX, rn, false);
            match (signed, sf == 1) {
                (false, true) => dynasm!(e.ops ; .arch x64
                    ; test rcx, rcx ; jz =>zero ; xor edx, edx ; div rcx ; jmp =>done),
                (false, false) => dynasm!(e.ops ; .arch x64
                    ; test ecx, ecx ; jz =>zero ; xor edx, edx ; div ecx ; jmp =>done),
                (true, true) => {
                    let ovf = e.ops.new_dynamic_label();
                    dynasm!(e.ops ; .arch x64
                        ; test rcx, rcx ; jz =>zero
                        ; cmp rcx, -1 ; je =>ovf
                        ; cqo ; idiv rcx ; jmp =>done
                        // x / -1 = -x (wrapping: MIN / -1 = MIN)
                        ; =>ovf ; neg rax ; jmp =>done)
                }
                (true, false) => {
                    let ovf = e.ops.new_dynamic_label();
                    dynasm!(e.ops ; .arch x64
                        ; test ecx, ecx ; jz =>zero
                        ; cmp ecx, -1 ; je =>ovf
                        ; cdq ; idiv ecx ; jmp =>done
                        ; =>ovf ; neg eax ; jmp =>done)
                }
            }
            dynasm!(e.ops ; .arch x64 ; =>zero ; xor eax, eax ; =>done);
            e.store(RAX, rd, false, sf == 1);
        }
        DpReg::Csel { sf, rm, cond, rn, rd }
        | DpReg::Csinc { sf, rm, cond, rn, rd }
        | DpReg::Csinv { sf, rm, cond, rn, rd }
        | DpReg::Csneg { sf, rm, cond, rn, rd } => {
            // Rd = cond ? Rn : f(Rm) by CMOV, the condition from the live host flags of a
            // fused producer (kept live for a following consumer: nothing here changes
            // them) or tested on the stored NZCV.
            let live = e.hf.and_then(|k| host_cc(k, cond));
            if live.is_none() {
                e.settle();
            }
            let Some(cc) = live.or_else(|| e.cond_test(cond)) else {
                // AL, NV: Rn.
                e.load(RDX, rn, false);
                e.store(RDX, rd, false, sf == 1);
                e.pending += 1;
                return true;
            };
            if let Some(c) = operand::cached(e, rn).filter(|_| rn != rm || matches!(d, DpReg::Csinc { .. })) {
                // Rn from its cache register (`operand`): CMOV from there.
                // CINC Rd, Rd on the carry (CS/CC after a subtraction, or a condition that
                // `cond_test` put in CF): Rd + CF (AE: Rd = CF ? Rd + 1 : Rd) or Rd + 1 -
                // CF (B), when nothing reads these flags after it (they change): not a
                // fused consumer, and their NZCV is dead, lazy or in memory.
                let flags_free = !e.fuse && (live.is_none() || e.lazy.is_some() || e.dead);
                if rn == rm && rd == rn && matches!(d, DpReg::Csinc { .. }) && (cc == 0x2 || cc == 0x3) && flags_free {
                    match (cc, sf == 1) {
                        (0x3, true) => dynasm!(e.ops ; .arch x64 ; adc Rq(c), 0),
                        (0x3, false) => dynasm!(e.ops ; .arch x64 ; adc Rd(c), 0),
                        (_, true) => dynasm!(e.ops ; .arch x64 ; sbb Rq(c), -1),
                        (_, false) => dynasm!(e.ops ; .arch x64 ; sbb Rd(c), -1),
                    }
                    e.rc.set_dirty(c);
                    e.avail = None;
                    // (`end_consumer` without the flags, which are gone.)
                    if e.hf.take().is_some() && e.lazy.is_none() {
                        e.stale = true;
                    }
                    e.pending += 1;
                    return true;
                }
                // CSEL Rd, Rn, Rd with both cached: CMOV in place (a W form zero-extends
                // either way, as CSEL's result).
                if let (true, Some(cm)) = (matches!(d, DpReg::Csel { .. }) && rd == rm && rn != rm, operand::cached(e, rm)) {
                    let rex = 0x40 | u8::from(sf == 1) << 3 | (cm >> 3) << 2 | (c >> 3);
                    e.ops.extend([rex, 0x0f, 0x40 | (cc & 0xf), 0xc0 | (cm & 7) << 3 | (c & 7)]);
                    e.rc.set_dirty(cm);
                    e.avail = None;
                    e.end_consumer();
                    e.pending += 1;
                    return true;
                }
                if rn == rm {
                    // CINC.
                    dynasm!(e.ops ; .arch x64 ; lea rdx, [Rq(c) + 1]);
                } else {
                    e.load_keep_flags(RDX, rm);
                    csel_else_rdx(e, &d);
                }
                operand::cmov_rdx_from(e, cc, c);
                e.store(RDX, rd, false, sf == 1);
                e.end_consumer();
                e.pending += 1;
                return true;
            }
            if rn == rm {
                // CINC, CINV, CNEG, CSET, CSETM: one load.
                e.load_keep_flags(RAX, rn);
                match d {
                    DpReg::Csinc { .. } => dynasm!(e.ops ; .arch x64 ; lea rdx, [rax + 1]),
                    DpReg::Csinv { .. } => dynasm!(e.ops ; .arch x64 ; mov rdx, rax ; not rdx),
                    DpReg::Csneg { .. } => dynasm!(e.ops ; .arch x64 ; mov rdx, rax ; not rdx ; lea rdx, [rdx + 1]),
                    _ => dynasm!(e.ops ; .arch x64 ; mov rdx, rax),
                }
            } else {
                e.load_keep_flags(RDX, rm);
                csel_else_rdx(e, &d);
                e.load_keep_flags(RAX, rn);
            }
            cmov_rdx_rax(e, cc);
            e.store(RDX, rd, false, sf == 1);
            e.end_consumer();
        }
        _ => return false,
    }
    e.pending += 1;
    true
}

/// `probe`'s table for a store that reports nothing: a write entry with its quiet tag
/// (`mem::QUIET`; see the crate documentation, "Stores").
pub(crate) const STORE: u32 = 3;

/// rsi = the `FastMem` entry of the address in host register `a`: in table 0, or with
/// `tabs` = Some(store) in table 1 (a load) or `QUIET` (a store) (`Ctx::tabs`).
/// Clobbers the flags.
fn entry_set(e: &mut Em<'_, '_>, a: u8, tabs: Option<bool>) {
    let l = cpu_aarch64::mem::fast_layout();
    let shift = l.entry_size.trailing_zeros() as i8;
    let index_mask = ((l.entries - 1) << shift) as i32;
    dynasm!(e.ops
        ; .arch x64
        ; mov rsi, Rq(a)
        ; shr rsi, 12 - shift
        ; and esi, index_mask
    );
    match tabs {
        Some(store) => {
            let at = CTX_TABS + 8 * store as i32;
            dynasm!(e.ops ; .arch x64 ; add rsi, QWORD [BYTE r12 + at as i8]);
        }
        None => dynasm!(e.ops ; .arch x64 ; add rsi, QWORD [rbx + l.tables as i32])
    }
}

/// Emits the `FastMem` probe for the address in host register `a` (access of `n` bytes,
/// table `ty`: 1 read, 2 write, `STORE` a write entry's quiet tag): on a hit `host` = host address and, if `pa` is given,
/// that register = physical address; on a miss jumps to `slow`. One compare checks page,
/// epoch and natural alignment (`mem::FastLayout`). Clobbers rdx, rsi.
fn probe(e: &mut Em<'_, '_>, a: u8, n: u32, ty: u32, host: u8, pa: Option<u8>, slow: dynasmrt::DynamicLabel) {
    probe_as(e, a, n, ty, host, pa, slow, false, false, None);
}

/// `probe`; with `plain` (a load/store that is neither exclusive nor acquire/release),
/// an unaligned access within the page hits too when the entry allows it
/// (`mem::FAST_UNALIGNED`), as `Cpu::read_mem`/`write_mem` do: after the aligned key
/// misses, the same page and epoch (key ^ tag zero but in bits 3:0), the flag, and no
/// page crossing ((VA & 0xfff) + n <= 0x1000). With `offset`, `host` gets the entry's
/// host offset only (the host address is `host` + `a`, for an indexed access). With
/// `again` = Some(base), rsi already holds the entry of address `a` in table 0 + `base`
/// bytes (`Em::memo`). Returns that `base` of rsi after the probe (`Memo`).
#[allow(clippy::too_many_arguments)]
fn probe_as(e: &mut Em<'_, '_>, a: u8, n: u32, ty: u32, host: u8, pa: Option<u8>, slow: dynasmrt::DynamicLabel, plain: bool, offset: bool, again: Option<i32>) -> i32 {
    // SIMD&FP accesses try their page memo first (`fp::memo_probe`), this probe after it.
    if let (false, None, Some(rn), 1 | STORE) = (offset, pa, e.xmm.memo, ty) {
        fp::memo_probe(e, a, n, ty == 1, host, rn, move |e| {
            probe_as(e, a, n, ty, host, None, slow, plain, false, None);
        });
        // (No `Memo` is made of a SIMD&FP access.)
        return 0;
    }
    let l = cpu_aarch64::mem::fast_layout();
    let epoch = l.epoch as i32;
    // The table whose tag must match, and the one with the rest of the entry.
    let (tag_ty, ty) = if ty == STORE { (cpu_aarch64::mem::QUIET, 2) } else { (ty as usize, ty as usize) };
    let mut tag_off = (tag_ty * l.entries * l.entry_size) as i32;
    let mut ty_off = (ty * l.entries * l.entry_size) as i32;
    let shift = l.entry_size.trailing_zeros() as i8;
    let (e_tag, e_host, e_pa) = (l.e_tag as i32, l.e_host_off as i32, l.e_pa_off as i32);
    debug_assert!(l.entry_size.is_power_of_two() && shift < 12 && n.is_power_of_two() && n <= 16);
    let key_mask = !0xfff | (n as i32 - 1);
    dynasm!(e.ops
        ; .arch x64
        ; mov rdx, Rq(a)
        ; and rdx, key_mask
        ; or rdx, QWORD [rbx + epoch]
    );
    // (`Stubs::unaligned` serves loads and inline stores: tags of table 1 or `QUIET`.)
    let store = tag_ty == cpu_aarch64::mem::QUIET;
    let standard = (tag_ty, ty) == if store { (tag_ty, 2) } else { (1, 1) };
    // rsi = the entry in table 0 + `base` bytes: in the table of the tag (`Ctx::tabs`;
    // short displacements from there) for plain standard accesses, else table 0
    // (`FastLayout::tables`); with `again`, as an earlier probe left it.
    let base = match again {
        Some(b) => b,
        None => {
            entry_set(e, a, if plain && standard { Some(store) } else { None });
            if plain && standard { tag_off } else { 0 }
        }
    };
    tag_off -= base;
    ty_off -= base;
    rsi_op(&mut e.ops, 0x3b, RDX, tag_off + e_tag);
    let stub = UNALIGNED_REGS.iter().position(|&r| r == a).filter(|_| matches!(n, 2 | 4 | 8 | 16) && standard && tag_off == 0);
    if let (true, Some(r)) = (plain && n > 1, stub) {
        // The unaligned case out of line (after the block's end) in a shared stub, back
        // to `hit`.
        let unaligned = e.ops.new_dynamic_label();
        let stub = e.cx.stubs.unaligned[store as usize][n.trailing_zeros() as usize - 1][r];
        dynasm!(e.ops ; .arch x64 ; jne =>unaligned);
        let hit = e.ops.offset().0;
        fp::defer_code(e, fp::ColdCode::Unaligned(Unaligned { unaligned, stub, hit, slow }));
    } else if plain && n > 1 {
        // The unaligned case out of line (after the block's end), back to `hit`.
        let (hit, unaligned) = (e.ops.new_dynamic_label(), e.ops.new_dynamic_label());
        let e_flags = l.e_flags as i32;
        let unal = cpu_aarch64::mem::FAST_UNALIGNED as i32;
        dynasm!(e.ops ; .arch x64 ; jne =>unaligned ; =>hit);
        fp::defer(e, move |e| {
            dynasm!(e.ops
                ; .arch x64
                ; =>unaligned
                ; xor rdx, QWORD [rsi + tag_off + e_tag]
                ; test rdx, -16
                ; jnz =>slow
                ; test BYTE [rsi + ty_off + e_flags], unal as i8
                ; jz =>slow
                ; mov edx, Rd(a)
                ; and edx, 0xfff
                ; cmp edx, (0x1000 - n) as i32
                ; ja =>slow
                ; jmp =>hit
            );
        });
    } else {
        dynasm!(e.ops ; .arch x64 ; jne =>slow);
    }
    rsi_op(&mut e.ops, 0x8b, host, ty_off + e_host);
    if !offset {
        dynasm!(e.ops ; .arch x64 ; add Rq(host), Rq(a));
    }
    if let Some(r) = pa {
        dynasm!(e.ops
            ; .arch x64
            ; mov Rq(r), QWORD [rsi + ty_off + e_pa]
            ; add Rq(r), Rq(a)
        );
    }
    base
}

/// `op Rq(h), [rsi + d]` for `op` = 3B (CMP) or 8B (MOV), with a one-byte displacement
/// when `d` fits (as `rbx_mov`).
fn rsi_op(ops: &mut Asm, op: u8, h: u8, d: i32) {
    base_op(ops, op, h, 6, d);
}

/// Host register `d` = zero-extended `n` bytes at [host register `h`].
fn load_n(e: &mut Em<'_, '_>, d: u8, h: u8, n: u32) {
    match n {
        1 => dynasm!(e.ops ; .arch x64 ; movzx Rd(d), BYTE [Rq(h)]),
        2 => dynasm!(e.ops ; .arch x64 ; movzx Rd(d), WORD [Rq(h)]),
        4 => dynasm!(e.ops ; .arch x64 ; mov Rd(d), DWORD [Rq(h)]),
        _ => dynasm!(e.ops ; .arch x64 ; mov Rq(d), QWORD [Rq(h)]),
    }
}

/// [host register `h`] = low `n` bytes of host register `v`.
fn store_n(e: &mut Em<'_, '_>, v: u8, h: u8, n: u32) {
    match n {
        1 => dynasm!(e.ops ; .arch x64 ; mov BYTE [Rq(h)], Rb(v)),
        2 => dynasm!(e.ops ; .arch x64 ; mov WORD [Rq(h)], Rw(v)),
        4 => dynasm!(e.ops ; .arch x64 ; mov DWORD [Rq(h)], Rd(v)),
        _ => dynasm!(e.ops ; .arch x64 ; mov QWORD [Rq(h)], Rq(v)),
    }
}

/// `load_n` (zero-extending) or `store_n` of host register `v` at [`h` + r10 + `disp`]
/// (`h` a host offset from `address_and_probe_as`).
fn mem_n(e: &mut Em<'_, '_>, load: bool, v: u8, h: u8, disp: i32, n: u32) {
    if disp == 0 && h & 7 != 5 {
        // (No displacement byte: base rbp/r13 would need one.)
        match (load, n) {
            (true, 1) => dynasm!(e.ops ; .arch x64 ; movzx Rd(v), BYTE [Rq(h) + r10]),
            (true, 2) => dynasm!(e.ops ; .arch x64 ; movzx Rd(v), WORD [Rq(h) + r10]),
            (true, 4) => dynasm!(e.ops ; .arch x64 ; mov Rd(v), DWORD [Rq(h) + r10]),
            (true, _) => dynasm!(e.ops ; .arch x64 ; mov Rq(v), QWORD [Rq(h) + r10]),
            (false, 1) => dynasm!(e.ops ; .arch x64 ; mov BYTE [Rq(h) + r10], Rb(v)),
            (false, 2) => dynasm!(e.ops ; .arch x64 ; mov WORD [Rq(h) + r10], Rw(v)),
            (false, 4) => dynasm!(e.ops ; .arch x64 ; mov DWORD [Rq(h) + r10], Rd(v)),
            (false, _) => dynasm!(e.ops ; .arch x64 ; mov QWORD [Rq(h) + r10], Rq(v)),
        }
        return;
    }
    if disp == disp as i8 as i32 {
        match (load, n) {
            (true, 1) => dynasm!(e.ops ; .arch x64 ; movzx Rd(v), BYTE [BYTE Rq(h) + r10 + disp as i8]),
            (true, 2) => dynasm!(e.ops ; .arch x64 ; movzx Rd(v), WORD [BYTE Rq(h) + r10 + disp as i8]),
            (true, 4) => dynasm!(e.ops ; .arch x64 ; mov Rd(v), DWORD [BYTE Rq(h) + r10 + disp as i8]),
            (true, _) => dynasm!(e.ops ; .arch x64 ; mov Rq(v), QWORD [BYTE Rq(h) + r10 + disp as i8]),
            (false, 1) => dynasm!(e.ops ; .arch x64 ; mov BYTE [BYTE Rq(h) + r10 + disp as i8], Rb(v)),
            (false, 2) => dynasm!(e.ops ; .arch x64 ; mov WORD [BYTE Rq(h) + r10 + disp as i8], Rw(v)),
            (false, 4) => dynasm!(e.ops ; .arch x64 ; mov DWORD [BYTE Rq(h) + r10 + disp as i8], Rd(v)),
            (false, _) => dynasm!(e.ops ; .arch x64 ; mov QWORD [BYTE Rq(h) + r10 + disp as i8], Rq(v)),
        }
        return;
    }
    match (load, n) {
        (true, 1) => dynasm!(e.ops ; .arch x64 ; movzx Rd(v), BYTE [Rq(h) + r10 + disp]),
        (true, 2) => dynasm!(e.ops ; .arch x64 ; movzx Rd(v), WORD [Rq(h) + r10 + disp]),
        (true, 4) => dynasm!(e.ops ; .arch x64 ; mov Rd(v), DWORD [Rq(h) + r10 + disp]),
        (true, _) => dynasm!(e.ops ; .arch x64 ; mov Rq(v), QWORD [Rq(h) + r10 + disp]),
        (false, 1) => dynasm!(e.ops ; .arch x64 ; mov BYTE [Rq(h) + r10 + disp], Rb(v)),
        (false, 2) => dynasm!(e.ops ; .arch x64 ; mov WORD [Rq(h) + r10 + disp], Rw(v)),
        (false, 4) => dynasm!(e.ops ; .arch x64 ; mov DWORD [Rq(h) + r10 + disp], Rd(v)),
        (false, _) => dynasm!(e.ops ; .arch x64 ; mov QWORD [Rq(h) + r10 + disp], Rq(v)),
    }
}

const R8: u8 = 8;
const R9: u8 = 9;
const R10: u8 = 10;
const R11: u8 = 11;
const R13: u8 = 13;
const R14: u8 = 14;
const RDI: u8 = 7;

/// Loads and stores of general-purpose registers with an immediate offset (LDR/STR of
/// 1, 2, 4, 8 bytes: unsigned offset, unscaled, pre/post-index; LDP/STP), inline when
/// `FastMem` has the page (exactly when `read_mem`/`write_mem` would take their fast
/// path); otherwise the interpreter runs the whole instruction.
#[derive(PartialEq, Clone, Copy)]
enum Ix {
    Off,
    Pre,
    Post,
}

/// `Em::memo`: r10 = the address [Rn + `addr`], rsi = its entry in `FastMem` table 0 +
/// `base` bytes (`probe_as`).
#[derive(Clone, Copy, PartialEq, Debug)]
struct Memo {
    rn: u32,
    addr: Addr,
    base: i32,
}

/// How the address is formed from the base register.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Addr {
    Imm(i32),
    /// + ExtendReg(Rm, option, shift) (option 010, 011, 110 or 111).
    Reg { rm: u32, option: u32, shift: u32 },
}

fn native_ldst(e: &mut Em<'_, '_>, pc: u64, raw: u32, l: Ldst) -> bool {
    let s9 = |imm9: u32| alu::sign_extend(imm9 as u64, 9);
    if matches!(l, Ldst::PrfmUoff { .. } | Ldst::PrfmReg { .. } | Ldst::Prfum { .. }) {
        // A hint: no access, never a fault (as the interpreter).
        e.pending += 1;
        return true;
    }
    // Register-offset forms: (load, bytes, rt, rn, rm, option, shift).
    let reg = match l {
        Ldst::LdrReg { sz, rm, option, s, rn, rt } => Some((true, 4 << sz, rt, rn, rm, option, s * (2 + sz))),
        Ldst::StrReg { sz, rm, option, s, rn, rt } => Some((false, 4 << sz, rt, rn, rm, option, s * (2 + sz))),
        Ldst::LdrbReg { rm, option, rn, rt, .. } => Some((true, 1, rt, rn, rm, option, 0)),
        Ldst::StrbReg { rm, option, rn, rt, .. } => Some((false, 1, rt, rn, rm, option, 0)),
        Ldst::LdrhReg { rm, option, s, rn, rt } => Some((true, 2, rt, rn, rm, option, s)),
        Ldst::StrhReg { rm, option, s, rn, rt } => Some((false, 2, rt, rn, rm, option, s)),
        _ => None,
    };
    if let Some((load, n, rt, rn, rm, option, shift)) = reg {
        if !matches!(option, 0b010 | 0b011 | 0b110 | 0b111) {
            return false;
        }
        return mem_access(e, pc, raw, load, n, rt, None, rn, Addr::Reg { rm, option, shift }, Ix::Off);
    }
    // (load, bytes, rt, rt2 for pairs, rn, offset, index mode)
    let (load, n, rt, rt2, rn, off, ix) = match l {
        Ldst::LdrUoff { sz, imm12, rn, rt } => (true, 4 << sz, rt, None, rn, (imm12 as u64) << (2 + sz), Ix::Off),
        Ldst::StrUoff { sz, imm12, rn, rt } => (false, 4 << sz, rt, None, rn, (imm12 as u64) << (2 + sz), Ix::Off),
        Ldst::LdrbUoff { imm12, rn, rt } => (true, 1, rt, None, rn, imm12 as u64, Ix::Off),
        Ldst::StrbUoff { imm12, rn, rt } => (false, 1, rt, None, rn, imm12 as u64, Ix::Off),
        Ldst::LdrhUoff { imm12, rn, rt } => (true, 2, rt, None, rn, (imm12 as u64) << 1, Ix::Off),
        Ldst::StrhUoff { imm12, rn, rt } => (false, 2, rt, None, rn, (imm12 as u64) << 1, Ix::Off),
        Ldst::Ldur { sz, imm9, rn, rt } => (true, 4 << sz, rt, None, rn, s9(imm9), Ix::Off),
        Ldst::Stur { sz, imm9, rn, rt } => (false, 4 << sz, rt, None, rn, s9(imm9), Ix::Off),
        Ldst::LdrbPre { imm9, rn, rt } => (true, 1, rt, None, rn, s9(imm9), Ix::Pre),
        Ldst::LdrbPost { imm9, rn, rt } => (true, 1, rt, None, rn, s9(imm9), Ix::Post),
        Ldst::StrbPre { imm9, rn, rt } => (false, 1, rt, None, rn, s9(imm9), Ix::Pre),
        Ldst::StrbPost { imm9, rn, rt } => (false, 1, rt, None, rn, s9(imm9), Ix::Post),
        Ldst::LdrhPre { imm9, rn, rt } => (true, 2, rt, None, rn, s9(imm9), Ix::Pre),
        Ldst::LdrhPost { imm9, rn, rt } => (true, 2, rt, None, rn, s9(imm9), Ix::Post),
        Ldst::StrhPre { imm9, rn, rt } => (false, 2, rt, None, rn, s9(imm9), Ix::Pre),
        Ldst::StrhPost { imm9, rn, rt } => (false, 2, rt, None, rn, s9(imm9), Ix::Post),
        Ldst::Ldurb { imm9, rn, rt } => (true, 1, rt, None, rn, s9(imm9), Ix::Off),
        Ldst::Sturb { imm9, rn, rt } => (false, 1, rt, None, rn, s9(imm9), Ix::Off),
        Ldst::Ldurh { imm9, rn, rt } => (true, 2, rt, None, rn, s9(imm9), Ix::Off),
        Ldst::Sturh { imm9, rn, rt } => (false, 2, rt, None, rn, s9(imm9), Ix::Off),
        Ldst::LdrPre { sz, imm9, rn, rt } => (true, 4 << sz, rt, None, rn, s9(imm9), Ix::Pre),
        Ldst::StrPre { sz, imm9, rn, rt } => (false, 4 << sz, rt, None, rn, s9(imm9), Ix::Pre),
        Ldst::LdrPost { sz, imm9, rn, rt } => (true, 4 << sz, rt, None, rn, s9(imm9), Ix::Post),
        Ldst::StrPost { sz, imm9, rn, rt } => (false, 4 << sz, rt, None, rn, s9(imm9), Ix::Post),
        Ldst::LdpOff { sf, imm7, rt2, rn, rt } => (true, 4 << sf, rt, Some(rt2), rn, alu::sign_extend(imm7 as u64, 7) << (2 + sf), Ix::Off),
        Ldst::StpOff { sf, imm7, rt2, rn, rt } => (false, 4 << sf, rt, Some(rt2), rn, alu::sign_extend(imm7 as u64, 7) << (2 + sf), Ix::Off),
        Ldst::LdpPre { sf, imm7, rt2, rn, rt } => (true, 4 << sf, rt, Some(rt2), rn, alu::sign_extend(imm7 as u64, 7) << (2 + sf), Ix::Pre),
        Ldst::StpPre { sf, imm7, rt2, rn, rt } => (false, 4 << sf, rt, Some(rt2), rn, alu::sign_extend(imm7 as u64, 7) << (2 + sf), Ix::Pre),
        Ldst::LdpPost { sf, imm7, rt2, rn, rt } => (true, 4 << sf, rt, Some(rt2), rn, alu::sign_extend(imm7 as u64, 7) << (2 + sf), Ix::Post),
        Ldst::StpPost { sf, imm7, rt2, rn, rt } => (false, 4 << sf, rt, Some(rt2), rn, alu::sign_extend(imm7 as u64, 7) << (2 + sf), Ix::Post),
        _ => return false,
    };
    // CONSTRAINED UNPREDICTABLE register overlaps: the interpreter's choice applies.
    if ix != Ix::Off && rn != 31 && (rt == rn || rt2 == Some(rn)) {
        return false;
    }
    if load && rt2 == Some(rt) {
        return false;
    }
    let off = off as i64;
    if off != off as i32 as i64 {
        return false;
    }
    mem_access(e, pc, raw, load, n, rt, rt2, rn, Addr::Imm(off as i32), ix)
}

/// The common front of an inline load/store (or pair, `rt2`) of `n`-byte elements, for
/// GPRs (`mem_access`) and FP/SIMD registers (`fp::fp_mem_access`): computes the address
/// into r10 (and the writeback value into r11) and probes both accesses, jumping to `slow`
/// when the interpreter must run the instruction. On fall-through both accesses hit RAM:
/// r8/r9 hold their host addresses. A store that hits needs no report (see the crate
/// documentation: write entries exist only for pages whose stores report nothing).
#[allow(clippy::too_many_arguments)]
fn address_and_probe(e: &mut Em<'_, '_>, load: bool, n: u32, rt2: Option<u32>, rn: u32, addr: Addr, ix: Ix, slow: dynasmrt::DynamicLabel) {
    address_and_probe_as(e, load, n, rt2, rn, addr, ix, slow, false);
}

/// One LEA: r10 = rax + host register `idx` << `shift` (0..=3: x86 scales 1, 2, 4, 8).
fn lea_r10_scaled(e: &mut Em<'_, '_>, idx: u8, shift: u32) {
    match shift {
        0 => dynasm!(e.ops ; .arch x64 ; lea r10, [rax + Rq(idx)]),
        1 => dynasm!(e.ops ; .arch x64 ; lea r10, [rax + Rq(idx) * 2]),
        2 => dynasm!(e.ops ; .arch x64 ; lea r10, [rax + Rq(idx) * 4]),
        _ => dynasm!(e.ops ; .arch x64 ; lea r10, [rax + Rq(idx) * 8]),
    }
}

/// The index in rcx extended as ExtendReg's `option` says for a load/store index (UXTW,
/// SXTW; LSL/SXTX: as it is).
fn extend_rcx(e: &mut Em<'_, '_>, option: u32) {
    match option {
        0b010 => dynasm!(e.ops ; .arch x64 ; mov ecx, ecx),
        0b110 => dynasm!(e.ops ; .arch x64 ; movsxd rcx, ecx),
        _ => {}
    }
}

/// `address_and_probe`; with `offset`, r8/r9 hold the host offsets of the pages only: the
/// accesses are at [r8 + r10] and [r9 + r10 + n] (`mem_n`). Returns the `Memo::base` of
/// rsi after the first element's probe.
#[allow(clippy::too_many_arguments)]
fn address_and_probe_as(e: &mut Em<'_, '_>, load: bool, n: u32, rt2: Option<u32>, rn: u32, addr: Addr, ix: Ix, slow: dynasmrt::DynamicLabel, offset: bool) -> i32 {
    // rax = base (SP: only if 16-byte aligned, so that the SP alignment check, whatever
    // SCTLR.SA says, passes; otherwise the interpreter decides).
    // (Offset 0 without writeback: the base is the address, loaded straight into r10.)
    let direct = ix == Ix::Off && matches!(addr, Addr::Imm(0));
    // (r9 and r11 may be `regcache` slots: taken for this instruction.)
    if rt2.is_some() {
        e.rc.reserve(&mut e.ops, R9);
    }
    if ix != Ix::Off {
        e.rc.reserve(&mut e.ops, R11);
    }
    let b = if direct { R10 } else { RAX };
    e.load(b, rn, true);
    if rn == 31 {
        dynasm!(e.ops ; .arch x64 ; test Rb(b), 0xf ; jnz =>slow);
    }
    // r10 = address, r11 = writeback value.
    let off = match addr {
        Addr::Imm(o) => Some(o),
        Addr::Reg { rm, option, shift } if ix == Ix::Off && shift <= 3 && option & 3 == 3 && operand::cached(e, rm).is_some() => {
            // A 64-bit index in its cache register: one LEA from there.
            let Some(c) = operand::cached(e, rm) else { unreachable!() };
            lea_r10_scaled(e, c, shift);
            None
        }
        Addr::Reg { rm, option, shift } => {
            e.load(RCX, rm, false);
            extend_rcx(e, option);
            if ix == Ix::Off && shift <= 3 {
                lea_r10_scaled(e, RCX, shift);
                None
            } else {
                if shift > 0 {
                    dynasm!(e.ops ; .arch x64 ; shl rcx, shift as i8);
                }
                dynasm!(e.ops ; .arch x64 ; add rax, rcx);
                Some(0)
            }
        }
    };
    match (ix, off) {
        (_, None) => {}
        _ if direct => {}
        (Ix::Off, Some(off)) if off == off as i8 as i32 => dynasm!(e.ops ; .arch x64 ; lea r10, [BYTE rax + off as i8]),
        (Ix::Pre, Some(off)) if off == off as i8 as i32 => dynasm!(e.ops ; .arch x64 ; lea r10, [BYTE rax + off as i8] ; mov r11, r10),
        (Ix::Post, Some(off)) if off == off as i8 as i32 => dynasm!(e.ops ; .arch x64 ; mov r10, rax ; lea r11, [BYTE rax + off as i8]),
        (Ix::Off, Some(off)) => dynasm!(e.ops ; .arch x64 ; lea r10, [rax + off]),
        (Ix::Pre, Some(off)) => dynasm!(e.ops ; .arch x64 ; lea r10, [rax + off] ; mov r11, r10),
        (Ix::Post, Some(off)) => dynasm!(e.ops ; .arch x64 ; mov r10, rax ; lea r11, [rax + off]),
    }
    let ty = if load { 1 } else { STORE };
    // Plain accesses (not of the "load/store exclusive and ordered" class, bits 29:24 =
    // 001000: LDAR/STLR come here through `native2`): unaligned ones within a page stay
    // inline as in `read_mem`, which lets only those (`Access::atomic`) need alignment.
    let plain = e.raw & 0x3f00_0000 != 0x0800_0000;
    let base = probe_as(e, R10, n, ty, R8, None, slow, plain, offset, None);
    if rt2.is_some() {
        // Both elements in the first one's page: the first hit proves that the second
        // hits the same entry (aligned: the same key; unaligned: same page, epoch and
        // flag, and within the page), so only a pair crossing a page probes again.
        let same = e.ops.new_dynamic_label();
        if offset {
            dynasm!(e.ops ; .arch x64 ; mov r9, r8);
        } else {
            dynasm!(e.ops ; .arch x64 ; lea r9, [r8 + n as i32]);
        }
        dynasm!(e.ops
            ; .arch x64
            ; mov eax, r10d
            ; and eax, 0xfff
            ; cmp eax, (0x1000 - 2 * n) as i32
            ; jbe =>same
            ; lea rax, [BYTE r10 + n as i8]
        );
        probe_as(e, RAX, n, ty, R9, None, slow, plain, offset, None);
        dynasm!(e.ops ; .arch x64 ; =>same);
    }
    base
}

/// The common end of an inline load/store after its data moved (`mem_access`,
/// `fp::fp_mem_access`): base writeback, and the fallback at `slow` that lets the interpreter run the
/// instruction; both paths meet at `done` with it in `Em::pending`. `profiled`: a fallback is
/// reported as a slow path by `LSEMU_JIT_PROFILE`. The fallback is emitted after the
/// block (`fp::defer`): the fast path falls through. `memo`: the access leaves its
/// address and entry set in r10 and rsi (`Em::memo`), which the fallback computes again
/// after its call-out.
#[allow(clippy::too_many_arguments)]
fn finish_access(e: &mut Em<'_, '_>, pc: u64, raw: u32, rn: u32, ix: Ix, slow: dynasmrt::DynamicLabel, profiled: bool, dirty: regcache::Entries, memo: Option<Memo>) {
    if ix != Ix::Off {
        e.store(R11, rn, true, true);
    }
    // Counting: on the fast path this instruction joins the pending count; the fallback
    // flushes the count before it, the interpreter counts the instruction, then the count
    // is lowered again (`Em::callout_back`) so that both paths reach `done` with the same
    // pending count (as `fp::sticky`).
    let p0 = e.pending;
    // A host register left holding a guest register (`Em::avail`, the loaded one) gets
    // it on the fallback too, so that the next instruction may use it whichever path ran.
    let at = e.ops.offset().0;
    let avail = e.avail.filter(|a| e.reuse && a.2 == at).map(|a| (a.0, a.1));
    // So do the cached registers (`regcache`): both paths meet with the same entries.
    let cached = e.rc.entries();
    // (`done`: where both paths meet, right after this.)
    let done = e.ops.offset().0;
    let lazy = e.lazy;
    fp::defer_code(e, fp::ColdCode::Fallback(Fallback { p0, slow, dirty, profiled, pc, raw, avail, cached, done, memo, lazy }));
    e.pending = p0 + 1;
}

/// The deferred part of a plain access's probe (`probe_as`) whose aligned key missed: a
/// call of `Stubs::unaligned` (`stub`), back to `hit` when the unaligned access hits,
/// else to `slow`.
pub(super) struct Unaligned {
    unaligned: dynasmrt::DynamicLabel,
    stub: usize,
    hit: usize,
    slow: dynasmrt::DynamicLabel,
}

impl Unaligned {
    fn emit(self, e: &mut Em<'_, '_>) {
        let Unaligned { unaligned, stub, hit, slow } = self;
        dynasm!(e.ops ; .arch x64 ; =>unaligned);
        e.rel32_to(&[0xe8], stub);
        jump_back(&mut e.ops, Some(0x4), hit);
        dynasm!(e.ops ; .arch x64 ; jmp =>slow);
    }
}

/// The deferred fallback of an inline access (`finish_access`): at `slow`, the
/// interpreter runs the instruction, then back to `done` with the same pending count
/// (`p0` + 1) and cached registers.
pub(super) struct Fallback {
    p0: i32,
    slow: dynasmrt::DynamicLabel,
    dirty: regcache::Entries,
    profiled: bool,
    pc: u64,
    raw: u32,
    avail: Option<(u8, i32)>,
    cached: regcache::Entries,
    done: usize,
    /// `Em::memo` of the access, computed again after the call-out.
    memo: Option<Memo>,
    /// `Em::lazy` at the access: NZCV stored first.
    lazy: Option<Remat>,
}

impl Fallback {
    fn emit(self, e: &mut Em<'_, '_>) {
        let Fallback { p0, slow, dirty, profiled, pc, raw, avail, cached, done, memo, lazy } = self;
        let pending = e.pending;
        e.pending = p0;
        dynasm!(e.ops ; .arch x64 ; =>slow);
        // The interpreter sees the guest registers as they were at the probe (`dirty`:
        // the cache entries not yet stored there), and may fault: stored first.
        dirty.store(&mut e.ops);
        // So is NZCV (`Em::lazy`: from those registers).
        if let Some(r) = lazy {
            e.remat(r, true);
            e.materialize(if r.sub { Hf::Sub } else { Hf::Add });
        }
        if profiled {
            e.slow_path = true;
        }
        e.callout_back(pc, raw);
        if let Some(memo) = memo {
            memo_again(e, memo);
        }
        if let Some((h, off)) = avail {
            ld_cpu(&mut e.ops, h, off);
        }
        cached.load(&mut e.ops);
        jump_back(&mut e.ops, None, done);
        e.pending = pending;
    }
}

/// A jump (`cc`: a Jcc with that x86 condition code) back to code offset `target`
/// (already emitted, so its distance is known: the two-byte form when it fits). No label
/// is made for it.
fn jump_back(ops: &mut Asm, cc: Option<u8>, target: usize) {
    let at = ops.offset().0;
    debug_assert!(target <= at);
    let short = target as i64 - (at as i64 + 2);
    if short >= -128 {
        ops.extend([cc.map_or(0xeb, |c| 0x70 | c), short as i8 as u8]);
        return;
    }
    let long = (target as i64 - (at as i64 + if cc.is_some() { 6 } else { 5 })) as i32;
    match cc {
        Some(c) => ops.extend([0x0f, 0x80 | c]),
        None => ops.push(0xe9),
    }
    ops.extend(long.to_le_bytes());
}

/// One inline load/store (or pair, `rt2`) of `n`-byte elements; see `native_ldst`.
#[allow(clippy::too_many_arguments)]
fn mem_access(e: &mut Em<'_, '_>, pc: u64, raw: u32, load: bool, n: u32, rt: u32, rt2: Option<u32>, rn: u32, addr: Addr, ix: Ix) -> bool {
    let slow = e.ops.new_dynamic_label();
    // The address and entry set of an earlier access to [Rn + addr] (`Em::memo`): only
    // the key is formed and compared again (this access's table, size and alignment).
    let simple = ix == Ix::Off && rt2.is_none() && rn != 31;
    let plain = e.raw & 0x3f00_0000 != 0x0800_0000;
    let base = match e.memo {
        Some(m) if simple && (m.rn, m.addr) == (rn, addr) => probe_as(e, R10, n, if load { 1 } else { STORE }, R8, None, slow, plain, true, Some(m.base)),
        _ => address_and_probe_as(e, load, n, rt2, rn, addr, ix, slow, true),
    };
    // After this access r10 and rsi hold its address and entry set, unless it loads
    // Rn or the index register.
    let index = match addr {
        Addr::Reg { rm, .. } => Some(rm),
        Addr::Imm(_) => None,
    };
    let memo = (simple && !(load && (rt == rn || Some(rt) == index))).then_some(Memo { rn, addr, base });
    // (What the fallback must store: the dirty entries at every jump to `slow`.)
    let dirty = e.rc.dirty_entries();
    // Both accesses hit: nothing below can fault.
    let mut ix = ix;
    if load && ix != Ix::Off {
        // The base writeback first (Rn is neither Rt nor Rt2 here): the loaded register,
        // stored last, can then be reused by the next instruction (`Em::avail`).
        e.store(R11, rn, true, true);
        ix = Ix::Off;
    }
    if load {
        if let Some(rt2) = rt2 {
            mem_n(e, true, RDI, R8, 0, n);
            native2::sext(e, RDI, n);
            mem_n(e, true, RDX, R9, n as i32, n);
            native2::sext(e, RDX, n);
            e.store(RDI, rt, false, true);
            e.store(RDX, rt2, false, true);
        } else {
            // Straight into Rt's cache register when the next instruction may read it
            // there (as `Em::store` would put it).
            let off = e.cx.reg_off(rt);
            match (rt != 31 && e.rc.next).then(|| e.rc.bind(&mut e.ops, off)).flatten() {
                Some(c) => {
                    mem_n(e, true, c, R8, 0, n);
                    native2::sext(e, c, n);
                    e.rc.set_dirty(c);
                    e.avail = None;
                }
                None => {
                    mem_n(e, true, RDI, R8, 0, n);
                    native2::sext(e, RDI, n);
                    e.store(RDI, rt, false, true);
                }
            }
        }
    } else {
        // (Rt from its cache register when it has one.)
        let v = match (rt2, operand::cached(e, rt)) {
            (None, Some(c)) => c,
            _ => {
                e.load(RDI, rt, false);
                RDI
            }
        };
        mem_n(e, false, v, R8, 0, n);
        if let Some(rt2) = rt2 {
            e.load(RDI, rt2, false);
            mem_n(e, false, RDI, R9, n as i32, n);
        }
    }
    finish_access(e, pc, raw, rn, ix, slow, true, dirty, memo);
    e.memo = memo;
    e.memo_new = memo.is_some();
    true
}

/// r10 = the address [Rn + `addr`] and rsi its `FastMem` entry set (`Em::memo`), from the
/// guest registers in `Cpu` (on a fallback, after the interpreter ran the access: every
/// guest register is current there). Clobbers rax, rcx and the flags.
fn memo_again(e: &mut Em<'_, '_>, m: Memo) {
    let Memo { rn, addr, base: b } = m;
    let base = e.cx.reg_off(rn);
    dynasm!(e.ops ; .arch x64 ; mov rax, QWORD [rbx + base]);
    match addr {
        Addr::Imm(o) => dynasm!(e.ops ; .arch x64 ; lea r10, [rax + o]),
        Addr::Reg { rm, option, shift } => {
            if rm == 31 {
                dynasm!(e.ops ; .arch x64 ; xor ecx, ecx);
            } else {
                let off = e.cx.reg_off(rm);
                dynasm!(e.ops ; .arch x64 ; mov rcx, QWORD [rbx + off]);
            }
            extend_rcx(e, option);
            if shift > 0 {
                dynasm!(e.ops ; .arch x64 ; shl rcx, shift as i8);
            }
            dynasm!(e.ops ; .arch x64 ; lea r10, [rax + rcx]);
        }
    }
    entry_set(e, R10, None);
    if b != 0 {
        dynasm!(e.ops ; .arch x64 ; add rsi, b);
    }
}

/// The CSINC / CSINV / CSNEG operation on the "else" value in rdx (flags untouched; CSEL:
/// nothing).
fn csel_else_rdx(e: &mut Em, d: &DpReg) {
    match d {
        DpReg::Csinc { .. } => dynasm!(e.ops ; .arch x64 ; lea rdx, [rdx + 1]),
        DpReg::Csinv { .. } => dynasm!(e.ops ; .arch x64 ; not rdx),
        DpReg::Csneg { .. } => dynasm!(e.ops ; .arch x64 ; not rdx ; lea rdx, [rdx + 1]),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ld_cpu`/`st_cpu` encode what dynasm encodes for the same instruction (its
    /// one-byte displacement form where the offset fits, else the four-byte one), for
    /// every host register and offsets around both limits.
    #[test]
    fn cpu_moves_match_dynasm() {
        for h in 0..16u8 {
            for off in [0, 8, 0x78, 0x7f, 0x80, 0xf8, 0x100, 0x380, -8, -0x80, -0x81, 0x12345] {
                let mut ours = assembler();
                ld_cpu(&mut ours, h, off);
                st_cpu(&mut ours, off, h);
                let mut theirs = assembler();
                if off == off as i8 as i32 {
                    dynasm!(theirs ; .arch x64 ; mov Rq(h), QWORD [BYTE rbx + off as i8] ; mov QWORD [BYTE rbx + off as i8], Rq(h));
                } else {
                    dynasm!(theirs ; .arch x64 ; mov Rq(h), QWORD [rbx + off] ; mov QWORD [rbx + off], Rq(h));
                }
                let (a, b) = (ours.take().unwrap(), theirs.take().unwrap());
                assert_eq!(a, b, "h {h} off {off:#x}");
                assert_eq!(a.len(), if off == off as i8 as i32 { 8 } else { 14 });
            }
        }
    }

    /// `jump_back`'s encodings, worked out by hand from the x86 manual (JMP rel8 EB,
    /// rel32 E9; Jcc rel8 70+cc, rel32 0F 80+cc; displacements from the next instruction).
    #[test]
    fn backward_jumps() {
        let at = |n: usize| {
            let mut ops = assembler();
            ops.extend(std::iter::repeat_n(0x90u8, n));
            ops
        };
        let mut ops = at(10);
        jump_back(&mut ops, None, 0);
        assert_eq!(&ops.take().unwrap()[10..], [0xeb, 0xf4]); // -12
        let mut ops = at(126);
        jump_back(&mut ops, Some(0x4), 0);
        assert_eq!(&ops.take().unwrap()[126..], [0x74, 0x80]); // -128: still short
        let mut ops = at(127);
        jump_back(&mut ops, Some(0x4), 0);
        assert_eq!(&ops.take().unwrap()[127..], [0x0f, 0x84, 0x7b, 0xff, 0xff, 0xff]); // -133
        let mut ops = at(200);
        jump_back(&mut ops, None, 8);
        assert_eq!(&ops.take().unwrap()[200..], [0xe9, 0x3b, 0xff, 0xff, 0xff]); // -197
    }
}
