//! Native scalar floating point, vector FADD/FSUB/FMUL/FDIV and SIMD&FP loads/stores (a
//! child module of `emit`).
//!
//! # Why the host FPU gives the interpreter's bits
//!
//! The interpreter (`semantics::fp`) implements the Arm ARM pseudocode (FPUnpack, FPRound,
//! FPProcessNaNs, ...) in software. For single and double precision, an x86-64 SSE
//! operation rounded to nearest-even with FTZ = DAZ = 0 computes the same IEEE 754 result
//! as FPRound with RMode = RN and FZ = 0, for every case except the following, which the
//! fast paths never commit (they jump to `slow`, where the interpreter runs the whole
//! instruction from the unchanged state):
//!
//! - FPCR.RMode != RN or FPCR.FZ = 1 (tested once per block, see "Mode", or per
//!   instruction before it; FPCR.DN only changes NaN results and AHP only half
//!   precision, both excluded below);
//! - any NaN result: NaN propagation and the default NaN differ (x86's default NaN is
//!   negative, operand priority differs), and every IEEE invalid operation of the
//!   arithmetic returns a NaN, so IOC is never needed on a fast path;
//! - results whose flags the fast path cannot know (below, per path).
//!
//! ## MXCSR
//!
//! MXCSR's control bits are 0x1f80 (all exceptions masked, round to nearest, FTZ = DAZ =
//! 0) whenever translated code runs: that is the x86-64 System V initial value, threads
//! inherit it, and nothing in lsemu changes it (the only LDMXCSR, `mx_clear`, loads
//! 0x1f80 again). So SSE instructions need no MXCSR load for their rounding and
//! denormal behaviour; MXCSR is written and read only to learn an operation's flags.
//!
//! ## Rounding operations: two paths (`rounding`)
//!
//! FADD, FSUB, FMUL, FNMUL, FDIV, FSQRT, FMADD & co. (FMA3) and the vector FADD/FSUB/
//! FMUL/FDIV are emitted twice, selected at run time by FPSR.IXC:
//!
//! **IXC-sticky path (FPSR.IXC = 1, the common case: any program that has rounded once).**
//! No MXCSR access at all (STMXCSR waits for every earlier FP operation and LDMXCSR
//! serializes: they dominated the FP workload). A result is committed only when each
//! lane (`check_fast`) has a biased exponent in [3, max - 1] (a cheaper test than the
//! [2, max - 1] that suffices), or is a zero known to be exact (`Zero`). For such a result the only Arm flag the operation can raise is IXC,
//! which FPSR already has (FPSR's flags are cumulative and only MSR FPSR, which ends the
//! block, clears them):
//! - OFC: overflow under RN returns an infinity, not committed;
//! - UFC: Arm detects tininess before rounding (exact value below 2^Emin). Rounding is
//!   monotonic and 2^Emin is representable, so an exact value below 2^Emin rounds to at
//!   most 2^Emin in magnitude; a committed nonzero result is at least 2^(Emin+2), hence
//!   its exact value was not tiny;
//! - DZC: only with an infinite result (finite nonzero / 0), not committed;
//! - IOC: every invalid operation returns a NaN, not committed; IDC: only with FZ = 1.
//!
//! A zero result is exact (no flag, and both architectures give the IEEE sign: x - x is
//! +0 under RN, the sign of a product or quotient is the XOR of the operands') when it is
//! a sum or difference (a sum that underflows is exact, so a zero sum is the exact
//! value), a square root (of a zero), a product with a zero factor or a quotient with a
//! zero dividend (checked on the operands, out of line, only when the result is a zero);
//! otherwise (a product of tiny numbers, any FMA) the interpreter runs the instruction.
//!
//! **Mode (once per block).** Only the block's first rounding operation tests FPCR
//! (RMode = RN, FZ = 0) and FPSR.IXC = 1. Within a block FPCR cannot change (MSR FPCR
//! is a System instruction that ends the block, as do exception entry and ERET) and
//! FPSR.IXC cannot be cleared (only MSR FPSR clears flags; a call-out's interpreter only
//! sets them), so when that test passes the mode holds for the rest of the block
//! (`Em::fp_fast`), and the later rounding operations, comparisons and conversions skip
//! their FPCR tests. When it fails, the instruction runs in the interpreter (FPCR) or on
//! the MXCSR path (IXC; its own fallbacks also go to the interpreter), and the block is
//! left for the next instruction, whose block starts with its own test: a program that
//! runs with another rounding mode, or has not rounded inexactly yet, executes its
//! rounding operations one block each.
//!
//! **MXCSR path (FPSR.IXC = 0).** MXCSR's flags are cleared before the operation and read
//! after it (`mx_clear`, `mx_read`); the result is committed unless MXCSR.IE or UE is set
//! or the result (`check_result`) is a NaN or nonzero with magnitude at most the smallest
//! normal number (x86 detects tininess after rounding, Arm before: they differ only when
//! the exact value is below 2^Emin and rounds up to exactly 2^Emin, a result of magnitude
//! <= 2^Emin; a zero result that underflowed is inexact and tiny for both detections, so
//! MXCSR.UE is set and it goes to the interpreter too). What remains are finite normal
//! (or infinite, or exactly zero) results, for which IEEE 754 fixes the bits, and the
//! flags map one to one: MXCSR.PE -> IXC, OE -> OFC (both architectures detect overflow
//! after rounding, and both raise inexact with it), ZE -> DZC (finite nonzero / 0 in
//! both; inf / 0 raises neither). MXCSR.DE (a denormal operand) has no Arm counterpart
//! when FZ = 0 (FPUnpack raises IDC only when flushing). So `FPSR |= (MXCSR >> 1) &
//! 0b1_0110` (ZE bit 2 -> 1, OE 3 -> 2, PE 5 -> 4).
//!
//! FNMUL negates the rounded product (a sign flip after the same checks); the FMA forms
//! use VFMADD/VFNMADD/VFMSUB/VFNMSUB: the Arm ASL negates operands before one fused
//! multiply-add with a single rounding, which is what those compute with the negation
//! applied to the exact product. Vector forms check every lane (one set of flags for all
//! lanes, the union of the lanes', as FPSR's cumulative bits); a 64-bit vector's upper
//! lanes compute 0 op 0 (or 0 / 1) and are neither checked nor stored (bits 127:64 are
//! zeroed as the interpreter writes them).
//!
//! ## Other instructions
//!
//! Conversions: SCVTF/UCVTF (integer) round like the arithmetic (results are never tiny
//! or NaN); FCVTZS/FCVTZU (truncation, exact rounding mode) fall back on MXCSR.IE (NaN,
//! out of range) and, for unsigned results, on negative values (Arm saturates to 0 with
//! IOC when the value is <= -1); PE -> IXC as above. In the IXC-sticky mode (known for
//! the rest of a block after its first rounding operation, see "Mode") the integer
//! conversions read no MXCSR: the only flag SCVTF/UCVTF can raise is IXC, and FCVTZS/
//! FCVTZU's IOC cases (NaN, out of range) all give the integer indefinite value, sent to
//! the interpreter (with the rare exact result of that value). FCVT between single and
//! double as the arithmetic (MXCSR path). FCMP/FCMPE set NZCV from UCOMISx and fall back
//! on unordered operands (IOC depends on the NaN kind); ordered comparisons raise no
//! flag when FZ = 0, so they read no MXCSR. Followed by a consumer of NZCV (B.cond, CSEL,
//! CCMP, directly or after flag-neutral instructions: `emit::producer`), FCMP/FCMPE leave
//! the UCOMISx flags live for it (`Hf::Fp`: ZF = equal, CF = less, which give every
//! condition on ordered operands) besides storing NZCV; their fallback then leaves the
//! block for the next instruction (`guarded_exit`). FABS, FNEG, FMOV, FCSEL are bit
//! operations.
//!
//! ## VEX forms (`XmmCache::wide`)
//!
//! The register cache knows, per cached register, whether its bits above a scalar are
//! zero (a scalar result, or a 4- or 8-byte load). A scalar FADD/FSUB/FMUL/FDIV/FSQRT
//! whose first operand is such a register (and not already in xmm0) is computed with the
//! AVX three-operand form `VOPSx xmm0, cached, source`, whose bits above the scalar come
//! from the first source: zero, as the interpreter writes them. The SSE form would need
//! a MOVQ xmm, xmm copy first, which hosts do not eliminate: one cycle more on every
//! dependency chain. FCMP/FCMPE compare the cache register directly. The loop plan keeps
//! that knowledge across the back branch; the prologue checks it in memory.
//!
//! ## Page memo (`memo_probe`)
//!
//! SIMD&FP loads and stores keep, per base register, the last page their `FastMem`
//! probe hit, and reuse its host offset for the next aligned access to that page,
//! without the probe (see `memo_probe` for why the memo stays valid and when it is
//! emptied).
//!
//! ## Forwarding (`XmmCache`)
//!
//! A rounding operation leaves V[rd] in xmm0 on every path (the fallback reloads it), and
//! the next instruction, if it is a rounding operation or a comparison reading V[rd] with
//! the same shape, takes it from xmm0 instead of reloading the register just stored.
//!
//! ## Register cache (`XmmCache::regs`)
//!
//! Within a block, xmm8-xmm15 may hold copies of V registers: a rounding operation puts
//! its result there (besides storing it), as does a SIMD&FP load of 4, 8 or 16 bytes
//! (MOVD/MOVQ zero the upper bits as the architectural load does) or an LD1R, and
//! operands (of rounding operations, comparisons, stores) are then taken from there
//! instead of memory (a store-to-load forwarding delay less on each dependency). The
//! cache is write-through: memory stays the architectural state, every cached register
//! equals its V register in memory (all 128 bits), and forgetting an entry needs no code
//! (FNMUL's destination, a pair or byte/halfword load's destinations are forgotten).
//! It holds at the start of an instruction only when the previous instruction kept it
//! (`keep`): rounding operations, FCMP/FCMPE (no V register written), SIMD&FP loads and
//! stores, and natively emitted data-processing (integer) instructions (no xmm
//! register, no call); everything else (a call-out may write any V register and
//! clobbers every xmm register) clears it at the start of the next instruction
//! (`next_insn`). Paths that call out and come back into the block (the fallbacks,
//! `fp_guard`'s exact check only at a block's first FP
//! instruction, where the cache is still empty) reload the cached registers from memory
//! first (`reload_cache`), so both paths meet with the same cache; a scalar operand is
//! taken with MOVQ (bits 127:64 zeroed, as MOVSD from memory), single precision
//! operands from memory only.
//!
//! ## Loops (`LoopPlan`)
//!
//! A block that branches back to its own start is translated twice when its first
//! translation finds, at that branch (`back_edge`), cached registers or the FP checks
//! done: the second translation follows that plan. After the entry's budget check, a
//! prologue (`loop_prologue`) makes the FP-enabled check (the inline sufficient
//! condition only) and the IXC-sticky mode check (FPCR.RMode = RN, FZ = 0, FPSR.IXC = 1)
//! and loads the planned registers into their cache slots; the body is then translated
//! with those checks known passed (`Em::fp_ok`, `Em::fp_fast`: what a block makes true
//! stays true across its own back branch, since nothing in a block changes FPCR, clears
//! FPSR.IXC or disables FP, see "Mode") and with the cache holding those registers. A
//! back branch where the cache holds each planned register in its slot does the budget
//! check itself and jumps to the body, past the prologue (values carried from one
//! iteration to the next stay in xmm registers: no store-to-load forwarding on the
//! loop's dependency chains); any other one goes to the entry (which reloads the cache
//! from memory, the architectural state). When a prologue check fails, the block's
//! first instruction runs in the interpreter and the block is left for the next one,
//! translated with its checks inline as usual. The first translation's code and inline
//! caches are dropped.
//!
//! A block cut at `MAX_BLOCK` instructions whose next instructions (at most
//! `MAX_BLOCK` more, in the page) end with a branch back to its start is extended to
//! that branch (`loop_tail`): a loop body a little longer than a block (n-body's) is a
//! loop of its own too.
//!
//! A loop of two blocks, the first ending with a B.cond to the second, which branches
//! back to the first (a loop whose exit test is in its middle, as compilers lay out
//! `while` loops), and holding FP operations, is translated as one block (`loop_tail`):
//! the B.cond becomes a side exit to its next instruction (`side_exit`) and the
//! translation continues at its target, so the block ends with a branch to its own
//! start. Both parts are in the same page (a write to it invalidates the block as it
//! does any block of the page); the entry's budget check asks for the whole length.
//!
//! ## FP enabled
//!
//! Every instruction first checks (once per block, at its first FP/SIMD instruction)
//! that FP is enabled (CPACR/CPTR, inline when those registers plainly allow it,
//! otherwise `Cpu::check_fp_enabled`): a block runs with one value of those registers,
//! since writing them is a System instruction that ends the block. When it is not, the
//! interpreter raises the trap.
//!
//! The MXCSR word is stored at [rsp - 8], in the red zone: nothing is called between the
//! store and the reload.
//!
//! Scalar results are written to the low 32/64 bits of the V register with bits 127:N
//! zeroed (the interpreter's `vwrite`).

use super::*;
use cpu_aarch64::decode::Fp;
use dynasmrt::DynamicLabel;

const OFF_V: i32 = offset_of!(Cpu, st.v) as i32;
const OFF_FPCR: i32 = offset_of!(Cpu, st.fpcr) as i32;
const OFF_FPSR: i32 = offset_of!(Cpu, st.fpsr) as i32;
const OFF_CPACR1: i32 = offset_of!(Cpu, sys.cpacr_el1) as i32;
const OFF_CPTR2: i32 = offset_of!(Cpu, sys.cptr_el2) as i32;
const OFF_CPTR3: i32 = offset_of!(Cpu, sys.cptr_el3) as i32;
use cpu_aarch64::sysreg::CPTR_TFP;

/// FPCR.RMode (23:22) and FPCR.FZ (24): operations that round need both at zero.
const FPCR_ROUND: i32 = 0x01c0_0000;
/// FPCR.FZ alone: operations whose result is exact or truncated (compare, FCVTZ*, FCVT
/// single to double) only depend on the input flushing.
const FPCR_FZ: i32 = 0x0100_0000;
/// MXCSR with all exceptions masked, round to nearest, FTZ = DAZ = 0, no flag set.
const MXCSR_RN: i32 = 0x1f80;
/// MXCSR.IE | MXCSR.UE: never on the fast path.
const MX_IE_UE: i32 = 0x11;
/// FPSR.IXC (bit 4): set, the IXC-sticky path runs (see the module documentation).
const FPSR_IXC: i8 = 0x10;

fn vo(r: u32) -> i32 {
    OFF_V + 16 * (r & 31) as i32
}

/// Whether FP/SIMD instructions are enabled at the current EL (the interpreter's check).
extern "sysv64" fn fp_enabled(cpu: *mut Cpu) -> u32 {
    // SAFETY: translated code passes its `Cpu` (rbx), live and otherwise unborrowed while
    // the block runs.
    let cpu = unsafe { &*cpu };
    cpu.check_fp_enabled().is_ok() as u32
}

/// What xmm0 holds at the start of an instruction: set by a rounding operation (see
/// `rounding`) for the next instruction only, so that it reads its operand from xmm0
/// instead of reloading the V register just stored (a store-to-load forwarding delay on
/// every dependency chain). Valid only between two consecutive instructions: `native`
/// calls `next_insn` before each one, which moves the value set by the previous one
/// (if any) to `held` and clears it, so anything that is not a rounding operation
/// (whatever it does to xmm0 or to V registers) ends the forwarding.
#[derive(Default, Clone, Copy)]
pub(super) struct XmmCache {
    /// Set by the instruction being translated: xmm0 = V[reg] (all 128 bits) at its end.
    set: Option<(u32, Shape)>,
    /// Set by the previous instruction: xmm0 = V[reg] at the start of this one.
    held: Option<(u32, Shape)>,
    /// The register cache (see "Register cache" in the module documentation): xmm8 + i
    /// holds all 128 bits of V[regs[i]], equal to the register in memory.
    regs: [Option<u32>; CACHED],
    /// Set by the instruction being translated: `regs` still holds at its end (it is
    /// cleared at the start of the next instruction otherwise).
    keep: bool,
    /// The next slot to replace.
    next: usize,
    /// For each slot of `regs`: the number of low bits of the host register that may be
    /// nonzero (32, 64 or 128); the bits above are known zero (a scalar result or a
    /// scalar load), so that a scalar operation of that width may read the register as
    /// the first source of a VEX form, whose bits above the scalar it copies
    /// (`XmmCache::clean`). Set with each slot (`slot`).
    wide: [u8; CACHED],
    /// The access being emitted tries the page memo of this base register first
    /// (`memo_probe`): set by `fp_mem_access` around its address probe.
    pub(super) memo: Option<u32>,
}

/// The number of host registers of the register cache (xmm8..xmm15).
const CACHED: usize = 8;

impl XmmCache {
    pub(super) fn next_insn(&mut self) {
        self.held = self.set.take();
        if !self.keep {
            self.regs = [None; CACHED];
        }
        self.keep = false;
    }

    /// The instruction being translated leaves every xmm register and V register as
    /// they were: the register cache still holds after it.
    pub(super) fn keep_through(&mut self) {
        self.keep = true;
    }

    /// The cache holds `regs` at the start of the block's first instruction (the FP
    /// loop prologue loaded them: `loop_prologue`).
    fn seed(&mut self, regs: [Option<u32>; CACHED], wide: [u8; CACHED]) {
        self.regs = regs;
        self.wide = wide;
        self.keep = true;
    }

    /// The host register holding V[r] when it is cached with every bit above the scalar
    /// of precision `d` (double: 64 bits, single: 32) zero, and the host has AVX: then
    /// `VOPSx xmm0, it, source` computes the scalar result with bits 127:N zeroed, as
    /// the interpreter writes it, without copying the operand first (a MOVQ xmm, xmm is
    /// not a move the host eliminates: one cycle more on every dependency chain).
    fn clean(&self, r: u32, d: bool) -> Option<u8> {
        let w = if d { 64 } else { 32 };
        let i = self.regs.iter().position(|&c| c == Some(r))?;
        (self.wide[i] <= w && host_avx()).then_some(8 + i as u8)
    }

    /// The host xmm register holding V[r], if cached.
    fn cached(&self, r: u32) -> Option<u8> {
        self.regs.iter().position(|&c| c == Some(r)).map(|i| 8 + i as u8)
    }

    fn forget(&mut self, r: u32) {
        for c in &mut self.regs {
            if *c == Some(r) {
                *c = None;
            }
        }
    }

    /// A host register for V[r]: the one holding it, or the next slot (forgotten),
    /// whose bits above the low `wide` ones will be zero (`XmmCache::wide`).
    fn slot(&mut self, r: u32, wide: u8) -> u8 {
        let i = match self.regs.iter().position(|&c| c == Some(r)) {
            Some(i) => i,
            None => {
                let i = self.regs.iter().position(|c| c.is_none()).unwrap_or(self.next);
                self.next = (i + 1) % CACHED;
                self.regs[i] = Some(r);
                i
            }
        };
        self.wide[i] = wide;
        8 + i as u8
    }
}

/// Reloads the cached registers `regs` from memory (after a call-out, which may change
/// V registers and clobbers every xmm register).
fn reload_cache(e: &mut Em<'_, '_>, regs: [Option<u32>; CACHED]) {
    for (i, r) in regs.iter().enumerate() {
        if let Some(r) = *r {
            let (x, o) = (8 + i as u8, vo(r));
            dynasm!(e.ops ; .arch x64 ; movdqu Rx(x), [rbx + o]);
        }
    }
}

impl Em<'_, '_> {
    /// The first FP instruction of a block checks that FP is enabled (see the module
    /// documentation); jumps to `slow` when it is not. Clobbers every caller-saved register.
    fn fp_guard(&mut self, slow: DynamicLabel) {
        if self.fp_ok {
            return;
        }
        // Inline, a sufficient condition for "enabled" (the interpreter's check looks at
        // the same fields, and more: EL2 enabled, EL3 present): CPACR_EL1.FPEN allows
        // this EL (EL0: 0b11, EL1: 0bx1), CPTR_EL2.TFP = 0 (EL <= 2), CPTR_EL3.TFP = 0.
        // When it does not hold, the exact check is called.
        let ok = self.ops.new_dynamic_label();
        let call = self.ops.new_dynamic_label();
        self.fp_plainly_enabled(call);
        dynasm!(self.ops ; .arch x64 ; =>ok);
        let regs = self.xmm.regs;
        defer(self, move |e| {
            let f = fp_enabled as extern "sysv64" fn(*mut Cpu) -> u32 as usize as i64;
            dynasm!(e.ops
                ; .arch x64
                ; =>call
                ; mov rdi, rbx
                ; mov rax, QWORD f
                ; call rax
                ; test eax, eax
                ; jz =>slow
            );
            // (The call clobbered the register cache, if any: `loop_prologue`.)
            reload_cache(e, regs);
            dynasm!(e.ops ; .arch x64 ; jmp =>ok);
        });
        self.fp_ok = true;
    }

    /// Falls through when the registers that enable FP plainly allow it at this EL (see
    /// `fp_guard`), else jumps to `not`. Clobbers eax.
    fn fp_plainly_enabled(&mut self, not: DynamicLabel) {
        let el = self.cx.el;
        let tfp = CPTR_TFP as i32;
        if el <= 1 {
            let (mask, want) = if el == 0 { (3 << 20, 3 << 20) } else { (1 << 20, 1 << 20) };
            dynasm!(self.ops
                ; .arch x64
                ; mov eax, DWORD [rbx + OFF_CPACR1]
                ; and eax, mask
                ; cmp eax, want
                ; jne =>not
            );
        }
        if el <= 2 {
            dynasm!(self.ops ; .arch x64 ; test DWORD [rbx + OFF_CPTR2], tfp ; jnz =>not);
        }
        dynasm!(self.ops ; .arch x64 ; test DWORD [rbx + OFF_CPTR3], tfp ; jnz =>not);
    }

    /// V[r] = host register `h` (64 bits: a single's bits are zero-extended first by the
    /// caller), bits 127:64 zeroed.
    fn vset(&mut self, h: u8, r: u32) {
        let o = vo(r);
        dynasm!(self.ops
            ; .arch x64
            ; mov QWORD [rbx + o], Rq(h)
            ; mov QWORD [rbx + o + 8], 0
        );
    }

    /// Clears the MXCSR flags (and sets the control bits) before a host FP operation.
    fn mx_clear(&mut self) {
        dynasm!(self.ops
            ; .arch x64
            ; mov DWORD [rsp - 8], MXCSR_RN
            ; ldmxcsr [rsp - 8]
        );
    }

    /// edx = MXCSR after the operation; jumps to `slow` on the flags in `bad`.
    fn mx_read(&mut self, bad: i32, slow: DynamicLabel) {
        dynasm!(self.ops
            ; .arch x64
            ; stmxcsr [rsp - 8]
            ; mov edx, DWORD [rsp - 8]
            ; test edx, bad
            ; jnz =>slow
        );
    }

    /// FPSR |= the Arm flags of the MXCSR flags in edx (IXC, OFC, DZC).
    fn mx_commit(&mut self) {
        dynasm!(self.ops
            ; .arch x64
            ; shr edx, 1
            ; and edx, 0x16
            ; or DWORD [rbx + OFF_FPSR], edx
        );
    }

    /// Jumps to `slow` unless the result bits in rax (`d`: double, else single in eax)
    /// are zero or a number larger in magnitude than the smallest normal (infinity
    /// included, NaN excluded). Clobbers rcx, rsi.
    fn check_result(&mut self, d: bool, slow: DynamicLabel) {
        let ok = self.ops.new_dynamic_label();
        if d {
            // rcx = |r| << 1: 0 | (minN << 1, inf << 1] are fine.
            const LO: u64 = (0x0010_0000_0000_0000u64 << 1) + 1;
            const HI: u64 = 0x7ff0_0000_0000_0000u64 << 1;
            dynasm!(self.ops
                ; .arch x64
                ; lea rcx, [rax + rax]
                ; test rcx, rcx
                ; jz =>ok
                ; mov rsi, QWORD LO as i64
                ; sub rcx, rsi
                ; mov rsi, QWORD (HI - LO) as i64
                ; cmp rcx, rsi
                ; ja =>slow
                ; =>ok
            );
        } else {
            const LO: u32 = (0x0080_0000u32 << 1) + 1;
            const HI: u32 = 0x7f80_0000u32 << 1;
            dynasm!(self.ops
                ; .arch x64
                ; lea ecx, [rax + rax]
                ; test ecx, ecx
                ; jz =>ok
                ; sub ecx, LO as i32
                ; cmp ecx, (HI - LO) as i32
                ; ja =>slow
                ; =>ok
            );
        }
    }

    /// The check of the IXC-sticky mode (see the module documentation): jumps to `slow`
    /// unless the result bits in rax (`d`: double, else single in eax) have a biased
    /// exponent in [3, max - 1] (finite, normal, at least four times the smallest
    /// normal in magnitude), or are a zero that `zero` proves exact. `lane`: the byte offset
    /// of the lane in the operand registers (for `Zero::Operands`). Clobbers rcx.
    fn check_fast(&mut self, d: bool, zero: Zero, lane: i32, slow: DynamicLabel) {
        self.check_fast_in(d, zero, lane, false, slow);
    }

    /// `check_fast`; with `pextr` (double lanes only), the lane (`lane` 0 or 8) is read
    /// from xmm0 instead of rax: PEXTRW takes its top 16 bits (sign, the 11-bit biased
    /// exponent in bits 14:4), one instruction fewer than MOVQ and a 64-bit shift, and no
    /// MOVHLPS for the upper lane; the cold stub then moves the lane to rax (clobbering
    /// xmm2). Clobbers rcx.
    fn check_fast_in(&mut self, d: bool, zero: Zero, lane: i32, pextr: bool, slow: DynamicLabel) {
        // A zero (biased exponent 0, like a denormal) leaves through the range check to a
        // cold stub when it may be exact; rax still holds the result there.
        let stub = if matches!(zero, Zero::Inexact) { slow } else { self.ops.new_dynamic_label() };
        // The biased exponent e is tested as (e + 1) mod 2^w >= 4 (w: its width): one
        // addition at the exponent's lowest bit and one TEST of the exponent's bits
        // above its two lowest. That leaves e in [3, max - 1] committed and e = 0, 1, 2
        // and max (zeros, denormals, the two lowest normal binades, infinities and NaNs)
        // to the stub; a result of exponent 2 is a normal number of the fast range, sent
        // to the interpreter only to keep the test to one TEST (rare: magnitudes below
        // 2^-1020 or 2^-124). The carry out of the exponent (e = max) only reaches the
        // sign bit or above, outside the mask.
        if d && pextr {
            // PEXTRW: bits 63:48 (sign 15, exponent 14:4).
            if lane == 0 {
                dynasm!(self.ops ; .arch x64 ; pextrw ecx, xmm0, 3);
            } else {
                dynasm!(self.ops ; .arch x64 ; pextrw ecx, xmm0, 7);
            }
            dynasm!(self.ops ; .arch x64 ; add ecx, 0x10 ; test ecx, 0x7fc0 ; jz =>stub);
        } else if d {
            dynasm!(self.ops ; .arch x64 ; mov rcx, rax ; shr rcx, 48 ; add ecx, 0x10 ; test ecx, 0x7fc0 ; jz =>stub);
        } else {
            // Single: exponent in bits 30:23.
            dynasm!(self.ops ; .arch x64 ; lea ecx, [rax + 0x0080_0000] ; test ecx, 0x7e00_0000 ; jz =>stub);
        }
        if matches!(zero, Zero::Inexact) {
            return;
        }
        let back = self.ops.new_dynamic_label();
        dynasm!(self.ops ; .arch x64 ; =>back);
        defer(self, move |e| {
            dynasm!(e.ops ; .arch x64 ; =>stub);
            match (pextr, lane) {
                (false, _) => {}
                (true, 0) => dynasm!(e.ops ; .arch x64 ; movq rax, xmm0),
                (true, _) => dynasm!(e.ops ; .arch x64 ; movhlps xmm2, xmm0 ; movq rax, xmm2),
            }
            if d {
                dynasm!(e.ops ; .arch x64 ; lea rcx, [rax + rax] ; test rcx, rcx ; jnz =>slow);
            } else {
                dynasm!(e.ops ; .arch x64 ; lea ecx, [rax + rax] ; test ecx, ecx ; jnz =>slow);
            }
            match zero {
                Zero::Operands(regs) => {
                    // Exact when one of `regs` is a zero.
                    for r in regs.into_iter().flatten() {
                        let o = vo(r) + lane;
                        if d {
                            dynasm!(e.ops ; .arch x64 ; mov rcx, QWORD [rbx + o] ; add rcx, rcx ; jz =>back);
                        } else {
                            dynasm!(e.ops ; .arch x64 ; mov ecx, DWORD [rbx + o] ; add ecx, ecx ; jz =>back);
                        }
                    }
                    dynasm!(e.ops ; .arch x64 ; jmp =>slow);
                }
                _ => dynasm!(e.ops ; .arch x64 ; jmp =>back),
            }
        });
    }

    fn vload_x(&mut self, x: u8, r: u32, d: bool) {
        let o = vo(r);
        if d {
            dynasm!(self.ops ; .arch x64 ; movsd Rx(x), QWORD [rbx + o]);
        } else {
            dynasm!(self.ops ; .arch x64 ; movss Rx(x), DWORD [rbx + o]);
        }
    }

    /// rax = the low 32/64 bits of xmm0 (zero-extended).
    fn xmm0_to_rax(&mut self, d: bool) {
        if d {
            dynasm!(self.ops ; .arch x64 ; movq rax, xmm0);
        } else {
            dynasm!(self.ops ; .arch x64 ; movd eax, xmm0);
        }
    }
}

/// Emits an instruction whose fast path is `body` (which jumps to its label argument
/// when the interpreter must run the instruction) followed by the fallback. Nothing is
/// written before the last jump to the fallback. `fpcr` is the FPCR mask that must be 0.
pub(super) fn guarded(e: &mut Em<'_, '_>, pc: u64, fpcr: i32, body: impl FnOnce(&mut Em<'_, '_>, DynamicLabel)) -> bool {
    guarded_reload(e, pc, fpcr, None, body)
}

/// `guarded`, and after the fallback xmm0 = V[r] loaded as `shape` (`reload`), as the
/// fast path leaves it (`XmmCache`).
fn guarded_reload(e: &mut Em<'_, '_>, pc: u64, fpcr: i32, reload: Option<(u32, Shape)>, body: impl FnOnce(&mut Em<'_, '_>, DynamicLabel)) -> bool {
    let slow = e.ops.new_dynamic_label();
    let done = e.ops.new_dynamic_label();
    // The register cache as the fast path finds it (the fallback restores it).
    let cache = e.xmm.regs;
    e.fp_guard(slow);
    // (FPCR's RMode and FZ are known to be 0 for the rest of the block once `fp_fast`.)
    if fpcr != 0 && !e.fp_fast {
        dynasm!(e.ops ; .arch x64 ; test DWORD [rbx + OFF_FPCR], fpcr ; jnz =>slow);
    }
    body(e, slow);
    // Instruction counting: on the fast path this instruction joins the pending count;
    // the fallback flushes the pending count, the interpreter counts the instruction,
    // and the count is then lowered by the same amount (`Em::callout_back`) so that both
    // paths leave the same pending count at `done` (nothing reads icount between here and
    // the flush: a callout returning STOP leaves at once with the right count).
    let p0 = e.pending;
    let raw = e.raw;
    let n = p0 + 1;
    // The fallback is cold: emitted after the block's end (`defer`).
    defer(e, move |e| {
        let (pending, held, regs) = (e.pending, e.xmm.held, e.xmm.regs);
        e.pending = p0;
        dynasm!(e.ops ; .arch x64 ; =>slow);
        e.callout_back(pc, raw);
        reload_cache(e, cache);
        if let Some((r, shape)) = reload {
            e.xmm.held = None;
            e.xmm.regs = [None; CACHED];
            load_operands(e, shape, &[(0, r)]);
        }
        dynasm!(e.ops ; .arch x64 ; jmp =>done);
        (e.pending, e.xmm.held, e.xmm.regs) = (pending, held, regs);
    });
    dynasm!(e.ops ; .arch x64 ; =>done);
    e.pending = n;
    true
}

/// `guarded` for an instruction that leaves live host flags (a fused FCMP/FCMPE): the
/// fallback, after the interpreter ran the instruction, leaves the block for the next
/// instruction instead of coming back (its host flags are not the fast path's).
fn guarded_exit(e: &mut Em<'_, '_>, pc: u64, fpcr: i32, body: impl FnOnce(&mut Em<'_, '_>, DynamicLabel)) {
    let slow = e.ops.new_dynamic_label();
    e.fp_guard(slow);
    if fpcr != 0 && !e.fp_fast {
        dynasm!(e.ops ; .arch x64 ; test DWORD [rbx + OFF_FPCR], fpcr ; jnz =>slow);
    }
    body(e, slow);
    let (p0, raw, next) = (e.pending, e.raw, pc.wrapping_add(4));
    defer(e, move |e| {
        let pending = e.pending;
        e.pending = p0;
        dynasm!(e.ops ; .arch x64 ; =>slow);
        e.callout(pc, raw);
        e.exit_to(next);
        e.pending = pending;
    });
    e.pending = p0 + 1;
}

/// FCMP/FCMPE of single or double precision: emitted natively (`native_fp`), they are
/// NZCV producers whose host flags (`Hf::Fp`) a following consumer (B.cond, CSEL...) may
/// take live (`emit::producer`).
pub(super) fn fused_compare(insn: &Insn) -> bool {
    matches!(insn, Insn::Fp(Fp::Fcmp { ftype: 0 | 1, .. } | Fp::Fcmpe { ftype: 0 | 1, .. }))
}

/// Code emitted after the block's last instruction (`emit_cold`): fallbacks and other
/// rarely taken paths, so that the fast paths fall through without taken jumps.
#[derive(Default)]
pub(super) struct Cold(Vec<ColdCode>);

/// One piece of deferred code (`defer`): a closure, or one of the two most frequent
/// kinds (every inline load/store has them) as data, which costs no allocation.
pub(super) enum ColdCode {
    Dyn(Box<dyn for<'x, 'y> FnOnce(&mut Em<'x, 'y>)>),
    /// `emit::Unaligned::emit`.
    Unaligned(super::Unaligned),
    /// `emit::Fallback::emit`.
    Fallback(super::Fallback),
}

/// Emits `f` after the block's end. `f` must restore any `Em` state it changes (it runs
/// when the emitter has moved on) and end with a jump back into the block or an exit.
pub(super) fn defer(e: &mut Em<'_, '_>, f: impl for<'x, 'y> FnOnce(&mut Em<'x, 'y>) + 'static) {
    e.cold.0.push(ColdCode::Dyn(Box::new(f)));
}

/// `defer` of a `ColdCode` given as data.
pub(super) fn defer_code(e: &mut Em<'_, '_>, c: ColdCode) {
    e.cold.0.push(c);
}

/// Emits the deferred code (`defer`); called by `emit::block` after the block's exit.
pub(super) fn emit_cold(e: &mut Em<'_, '_>) {
    while !e.cold.0.is_empty() {
        for f in std::mem::take(&mut e.cold.0) {
            match f {
                ColdCode::Dyn(f) => f(e),
                ColdCode::Unaligned(u) => u.emit(e),
                ColdCode::Fallback(f) => f.emit(e),
            }
        }
    }
}

/// What a block that branches back to its own start (a loop) keeps across that branch
/// (see "Loops" in the module documentation): the register cache's contents (slot by
/// slot), the integer register cache's (`gpr`, `regcache`: "Loops") and whether the
/// FP-enabled check (`ok`) and the IXC-sticky mode check (`fast`) are done once, before
/// the loop body.
#[derive(Clone, Copy)]
pub(super) struct LoopPlan {
    regs: [Option<u32>; CACHED],
    /// The planned registers' `XmmCache::wide` (the prologue checks the bits above).
    wide: [u8; CACHED],
    ok: bool,
    fast: bool,
    /// The block's instruction count (set by `loop_prologue`).
    len: i32,
    /// The integer register cache's entries kept across the branch (`regcache::Plan`;
    /// all None: none), when no instruction of the loop body forgets the cache.
    gpr: super::regcache::Plan,
}

impl LoopPlan {
    /// Whether the plan keeps integer cache entries (`gpr`).
    pub(super) fn has_gpr(&self) -> bool {
        self.gpr.iter().any(Option::is_some)
    }
}

/// At a branch back to the block's start (`Em::exit_to`). First translation: notes what
/// holds there (the common part of every such branch) and returns false (the branch goes
/// to the block's entry). Second translation (`Em::lp`): when the plan holds here (the
/// cache has each planned register in its slot; `ok` and `fast` are set for the whole
/// block), emits the budget check of the block's entry and a jump to the loop body,
/// after the prologue, and returns true; otherwise false (the entry reloads the cache).
/// The counts are flushed.
pub(super) fn back_edge(e: &mut Em<'_, '_>) -> bool {
    let Some(plan) = e.lp else {
        let gpr = if e.rc.drops == 0 && e.rc.spills == 0 { e.rc.plan() } else { [None; super::regcache::N] };
        let here = LoopPlan { regs: e.xmm.regs, wide: e.xmm.wide, ok: e.fp_ok, fast: e.fp_fast, len: 0, gpr };
        let seen = match e.lp_seen {
            None => here,
            Some(p) => {
                let mut regs = [None; CACHED];
                let mut wide = [128; CACHED];
                for (i, r) in regs.iter_mut().enumerate() {
                    if p.regs[i] == here.regs[i] {
                        *r = p.regs[i];
                        wide[i] = p.wide[i].max(here.wide[i]);
                    }
                }
                let mut gpr = [None; super::regcache::N];
                for (i, g) in gpr.iter_mut().enumerate() {
                    if p.gpr[i] == here.gpr[i] {
                        *g = p.gpr[i];
                    }
                }
                LoopPlan { regs, wide, ok: p.ok && here.ok, fast: p.fast && here.fast, len: 0, gpr }
            }
        };
        // (Worth a second translation only if something is kept.)
        e.lp_seen = (seen.ok || seen.fast || seen.regs.iter().any(Option::is_some) || seen.has_gpr()).then_some(seen);
        return false;
    };
    // (A planned register must be at least as clean as planned: `XmmCache::wide`.)
    let holds = (0..CACHED).all(|i| plan.regs[i].is_none() || plan.regs[i] == e.xmm.regs[i] && e.xmm.wide[i] <= plan.wide[i]);
    // The integer cache's slots exactly as planned (no code moves them: otherwise the
    // entry stores and reloads them).
    if !holds || plan.ok && !e.fp_ok || plan.fast && !e.fp_fast || plan.has_gpr() && e.rc.plan() != plan.gpr {
        return false;
    }
    let len = plan.len;
    let (entry, body) = (e.entry, e.body);
    // (The body starts with the planned integer entries, all taken as dirty: the budget
    // exit through the entry stores the dirty ones first.)
    let spill = e.ops.new_dynamic_label();
    budget_check(e, len as usize, spill);
    dynasm!(e.ops ; .arch x64 ; jmp =>body ; =>spill);
    e.rc_spill();
    dynasm!(e.ops ; .arch x64 ; jmp =>entry);
    true
}

/// The FP loop prologue (second translation, after the entry's budget check): the
/// FP-enabled check and the IXC-sticky mode check that `plan` moves out of the loop, then
/// the planned registers loaded into the cache. When a check fails, the block's first
/// instruction (`raw0`) runs in the interpreter and the block is left for the next one,
/// translated as usual (its checks are inline): this block runs only in the mode it
/// was planned for (a taken branch there, a side exit's B.cond, leaves the block from
/// the call-out). `len`: the block's instruction count.
pub(super) fn loop_prologue(e: &mut Em<'_, '_>, plan: LoopPlan, raw0: u32, len: i32) {
    e.lp = Some(LoopPlan { len, ..plan });
    let fail = e.ops.new_dynamic_label();
    if plan.ok {
        e.fp_plainly_enabled(fail);
        e.fp_ok = true;
    }
    if plan.fast {
        fast_mode_check(e, fail, fail);
        e.fp_fast = true;
    }
    // The planned registers known to have zero bits above their scalar (`XmmCache::wide`)
    // at every branch back here: checked in memory on entry.
    for (i, r) in plan.regs.iter().enumerate() {
        let (Some(r), w) = (*r, plan.wide[i]) else { continue };
        let o = vo(r);
        if w <= 64 {
            dynasm!(e.ops ; .arch x64 ; cmp QWORD [rbx + o + 8], 0 ; jne =>fail);
        }
        if w <= 32 {
            dynasm!(e.ops ; .arch x64 ; cmp DWORD [rbx + o + 4], 0 ; jne =>fail);
        }
    }
    reload_cache(e, plan.regs);
    e.xmm.seed(plan.regs, plan.wide);
    // The integer cache's planned entries (`back_edge`), last: a failed check above
    // leaves with nothing cached.
    if plan.has_gpr() {
        super::regcache::RegCache::load_plan(&mut e.ops, &plan.gpr);
        e.rc.seed(&plan.gpr);
    }
    let va = e.cx.va;
    defer(e, move |e| {
        let pending = e.pending;
        e.pending = 0;
        dynasm!(e.ops ; .arch x64 ; =>fail);
        e.callout(va, raw0);
        e.exit_to(va.wrapping_add(4));
        e.pending = pending;
    });
}

/// A two-block FP loop (see "Loops" in the module documentation): when the block in
/// `list[..*len]` ends with a B.cond to another address `t` of its page whose block
/// (read from the page, at most `MAX_BLOCK` instructions in all) ends with a branch back
/// to this block's start, and either contains a scalar or vector FP operation, appends
/// that block to `list` and returns the index of the B.cond (which becomes a side exit
/// to its next instruction: `side_exit`). The block is then a loop of its own.
///
/// A long FP loop: when the block was cut at `MAX_BLOCK` instructions (its last one does
/// not end a block) and the instructions that follow in the page end, within
/// `2 * MAX_BLOCK` instructions in all, with a branch back to the block's start, the
/// block is extended to that branch (returns None: no side exit), so that a loop body
/// slightly longer than `MAX_BLOCK` (n-body's, 49 instructions) is a loop of its own too.
pub(super) fn loop_tail(cx: &mut BlockCx<'_>, list: &mut [(u64, u32, Insn)], len: &mut usize) -> Option<usize> {
    use cpu_aarch64::decode::Branch;
    let rel = |pc: u64, imm: u32, bits: u32| pc.wrapping_add(alu::sign_extend(imm as u64, bits) << 2);
    let el = cx.el;
    let plain = |t: u64| if el <= 1 { ((t << 8) as i64 >> 8) as u64 == t } else { t >> 56 == 0 };
    let n = *len;
    let va = cx.va;
    let page = cx.page;
    // (Through the PE's decode cache, as the block's own words.)
    let decode = &mut *cx.decode;
    // Reads instructions into `list` from index `k` at address `a` until one ends a
    // block (within the page, at most `max` in `list`); returns the new length when
    // that last instruction branches back to `va` and the loop holds an FP operation.
    let mut read_on = |list: &mut [(u64, u32, Insn)], mut k: usize, mut a: u64, max: usize| -> Option<usize> {
        loop {
            if k >= max.min(list.len()) || a >> 12 != va >> 12 {
                return None;
            }
            // SAFETY: `cx.page` is the host address of this RAM page (`BlockCx::page`),
            // read as the translator reads the block's own words; `a` is in the page,
            // 4-aligned.
            let w = u32::from_le(unsafe { std::ptr::read_unaligned((page + (a & 0xfff) as usize) as *const u32) });
            let d = decode(w);
            list[k] = (a, w, d);
            k += 1;
            if ends_block(&d) {
                break;
            }
            a = a.wrapping_add(4);
        }
        let (bpc, _, b) = list[k - 1];
        let back = match b {
            Insn::Branch(Branch::BCond { imm19, cond }) if cond < 14 => rel(bpc, imm19, 19),
            Insn::Branch(Branch::Cbz { imm19, .. } | Branch::Cbnz { imm19, .. }) => rel(bpc, imm19, 19),
            Insn::Branch(Branch::Tbz { imm14, .. } | Branch::Tbnz { imm14, .. }) => rel(bpc, imm14, 14),
            Insn::Branch(Branch::BUncond { imm26 }) => rel(bpc, imm26, 26),
            _ => return None,
        };
        (back == va && list[..k].iter().any(|l| matches!(l.2, Insn::Fp(_) | Insn::SimdFp(_)))).then_some(k)
    };
    let (pc, _, last) = *list.get(n.checked_sub(1)?)?;
    if n == crate::MAX_BLOCK && !ends_block(&last) {
        if let Some(k) = read_on(list, n, pc.wrapping_add(4), 2 * crate::MAX_BLOCK) {
            *len = k;
        }
        return None;
    }
    // (The B.cond may be the block's first instruction, which the loop prologue's
    // fallback runs in the interpreter: a taken branch leaves the block there, as any
    // call-out that does not go on to the next instruction.)
    let Insn::Branch(Branch::BCond { imm19, cond }) = last else { return None };
    let t = rel(pc, imm19, 19);
    if cond >= 14 || t == va || t & 3 != 0 || t >> 12 != va >> 12 || !plain(t) {
        return None;
    }
    *len = read_on(list, n, t, crate::MAX_BLOCK)?;
    Some(n - 1)
}

/// The B.cond `insn` at `pc` as a side exit (`loop_tail`): when its condition fails the
/// block is left for the next instruction (out of line); otherwise the block goes on
/// with the branch's target, translated next. NZCV left in the host flags by a fused
/// producer is stored on both paths, as `cond_branch` does; the register cache holds.
pub(super) fn side_exit(e: &mut Em<'_, '_>, pc: u64, insn: &Insn) {
    use cpu_aarch64::decode::Branch;
    let Insn::Branch(Branch::BCond { cond, .. }) = *insn else { return };
    e.xmm.next_insn();
    e.avail = None;
    e.pending += 1;
    let out = e.ops.new_dynamic_label();
    // (cond < 14: the inverse is cond ^ 1.)
    e.jump_cond(cond ^ 1, out);
    let hf = e.hf.take();
    if let Some(k) = hf {
        e.materialize(k);
    }
    let pending = e.pending;
    // (The cold code starts with no `regcache` entry: the dirty ones are stored there.)
    let dirty = e.rc.dirty_entries();
    defer(e, move |e| {
        let p = e.pending;
        e.pending = pending;
        dynasm!(e.ops ; .arch x64 ; =>out);
        dirty.store(&mut e.ops);
        if let Some(k) = hf {
            e.materialize(k);
        }
        e.exit_to(pc.wrapping_add(4));
        e.pending = p;
    });
    // (A branch touches no xmm register.)
    e.xmm.keep_through();
}

/// When a zero result of a rounding operation is exact (IXC-sticky path).
#[derive(Clone, Copy)]
enum Zero {
    /// Always (a zero sum or difference is exact, as is a zero square root).
    Exact,
    /// Never known: the interpreter runs the instruction.
    Inexact,
    /// When one of these registers' lane is a zero (a product; a quotient's dividend).
    Operands([Option<u32>; 2]),
}

/// The shape of a rounding operation's result in xmm0.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// A scalar (double when true), written to V[rd] with bits 127:N zeroed.
    Scalar(bool),
    /// A vector (Q, double lanes when true); Q = 0 zeroes bits 127:64.
    Vector(u32, bool),
}

/// A rounding operation (FADD, FSUB, FMUL, FNMUL, FDIV, FSQRT, FMADD & co., their vector
/// forms): `op` loads the operands and leaves the result in xmm0 (clobbering xmm1-xmm2
/// only). Two copies of it are emitted: the IXC-sticky path (FPSR.IXC already set, no
/// MXCSR access, `check_fast` on each lane, `zero_ok`: an exactly zero result is
/// exact) and the MXCSR path (MXCSR cleared before, read after, `check_result`). `neg`
/// negates the rounded scalar result (FNMUL).
fn rounding(e: &mut Em<'_, '_>, pc: u64, shape: Shape, zero: Zero, rd: u32, neg: bool, op: impl Fn(&mut Em<'_, '_>) + Copy + 'static) -> bool {
    // Both paths leave xmm0 = V[rd] (the fast paths' result, all 128 bits of it: the
    // scalar loads zero bits 127:N and the vector forms' unused lanes compute 0 from 0;
    // the fallback reloads it), except FNMUL which negates in rax.
    let reload = (!neg).then_some((rd, shape));
    let first = !e.fp_fast;
    let done = guarded_reload(e, pc, 0, reload, |e, slow| {
        if first {
            // The block's first rounding instruction checks the mode; when it is not the
            // IXC-sticky fast mode, the instruction runs (in the interpreter or on the
            // MXCSR path) and the block is left for the next instruction's block, whose
            // first rounding instruction checks again (see the module documentation).
            let mode_slow = e.ops.new_dynamic_label();
            let mx = e.ops.new_dynamic_label();
            fast_mode_check(e, mode_slow, mx);
            let held = e.xmm.held;
            let p0 = e.pending;
            let raw = e.raw;
            let next = pc.wrapping_add(4);
            defer(e, move |e| {
                let (pending, saved, regs) = (e.pending, e.xmm.held, e.xmm.regs);
                // (The operands from memory, which the cache only copies.)
                e.xmm.regs = [None; CACHED];
                // FPCR.RMode != RN or FZ = 1: the interpreter runs the instruction.
                e.pending = p0;
                dynasm!(e.ops ; .arch x64 ; =>mode_slow);
                e.callout(pc, raw);
                e.exit_to(next);
                // FPSR.IXC = 0: the MXCSR path.
                e.pending = p0;
                e.xmm.held = held;
                dynasm!(e.ops ; .arch x64 ; =>mx);
                e.mx_clear();
                op(e);
                // (Its fallbacks go to `mode_slow` too: the mode is still not known fast.)
                e.mx_read(MX_IE_UE, mode_slow);
                check_lanes(e, shape, mode_slow, |e, d, _, slow| e.check_result(d, slow));
                write_result(e, shape, rd, neg);
                e.mx_commit();
                e.pending = p0 + 1;
                e.exit_to(next);
                (e.pending, e.xmm.held, e.xmm.regs) = (pending, saved, regs);
            });
        }
        op(e);
        match shape {
            // Double lanes: read with PEXTRW (`check_fast_in`).
            Shape::Scalar(true) | Shape::Vector(_, true) => {
                let q = if let Shape::Vector(q, _) = shape { q } else { 0 };
                for half in 0..=q {
                    e.check_fast_in(true, zero, 8 * half as i32, true, slow);
                }
            }
            _ => check_lanes(e, shape, slow, |e, d, lane, slow| e.check_fast(d, zero, lane, slow)),
        }
        write_result(e, shape, rd, neg);
    });
    e.fp_fast = true;
    e.xmm.set = reload;
    // Both paths leave xmm0 = V[rd] (all 128 bits; not FNMUL): cache it.
    if neg {
        e.xmm.forget(rd);
    } else {
        // (Scalar results have bits 127:N zero, a 64-bit vector's bits 127:64.)
        let wide = match shape {
            Shape::Scalar(false) => 32,
            Shape::Scalar(true) | Shape::Vector(0, _) => 64,
            Shape::Vector(_, _) => 128,
        };
        let x = e.xmm.slot(rd, wide);
        dynasm!(e.ops ; .arch x64 ; movdqa Rx(x), xmm0);
    }
    e.xmm.keep = true;
    done
}

/// Runs `check` (rax/eax: the lane's bits; its byte offset in the register) on every
/// lane of xmm0. Clobbers rax, rcx, rsi, xmm2.
fn check_lanes(e: &mut Em<'_, '_>, shape: Shape, slow: DynamicLabel, check: impl Fn(&mut Em<'_, '_>, bool, i32, DynamicLabel)) {
    match shape {
        Shape::Scalar(d) => {
            e.xmm0_to_rax(d);
            check(e, d, 0, slow);
        }
        Shape::Vector(q, d) => {
            for half in 0..=q {
                if half == 0 {
                    dynasm!(e.ops ; .arch x64 ; movq rax, xmm0);
                } else {
                    dynasm!(e.ops ; .arch x64 ; movhlps xmm2, xmm0 ; movq rax, xmm2);
                }
                let lane = 8 * half as i32;
                check(e, d, lane, slow);
                if !d {
                    dynasm!(e.ops ; .arch x64 ; shr rax, 32);
                    check(e, false, lane + 4, slow);
                }
            }
        }
    }
}

/// Loads the operands of a rounding operation of `shape`: xmm`x` = V[r] (scalar: the
/// low 32/64 bits with the rest zeroed, as MOVSS/MOVSD; vector: all 128 bits or, Q = 0,
/// the low 64 with the rest zeroed), taken from xmm0 when the previous instruction left
/// V[r] there with the same shape (`XmmCache`: then xmm0 equals that load exactly).
/// Copies from xmm0 come before xmm0 is overwritten.
fn load_operands(e: &mut Em<'_, '_>, shape: Shape, ops: &[(u8, u32)]) {
    let held = match e.xmm.held {
        Some((r, s)) if s == shape => Some(r),
        _ => None,
    };
    for &(x, r) in ops {
        if held == Some(r) && x != 0 {
            dynasm!(e.ops ; .arch x64 ; movdqa Rx(x), xmm0);
        }
    }
    // xmm0 last among the loads from memory only if some other operand still needs it:
    // the copies above are done, so any order works now. An operand already loaded (the
    // same register twice, as in FMUL d0, d1, d1) is copied from that load.
    let mut loaded: [Option<(u8, u32)>; 3] = [None; 3];
    for (k, &(x, r)) in ops.iter().enumerate() {
        if held == Some(r) {
            continue;
        }
        if let Some((y, _)) = loaded.iter().flatten().find(|l| l.1 == r) {
            let y = *y;
            dynasm!(e.ops ; .arch x64 ; movdqa Rx(x), Rx(y));
            continue;
        }
        if k < loaded.len() {
            loaded[k] = Some((x, r));
        }
        let o = vo(r);
        match (e.xmm.cached(r), shape) {
            // (MOVQ xmm, xmm zeroes bits 127:64, as MOVSD/MOVQ from memory.)
            (Some(c), Shape::Scalar(true) | Shape::Vector(0, _)) => {
                dynasm!(e.ops ; .arch x64 ; movq Rx(x), Rx(c));
                continue;
            }
            (Some(c), Shape::Vector(_, _)) => {
                dynasm!(e.ops ; .arch x64 ; movdqa Rx(x), Rx(c));
                continue;
            }
            _ => {}
        }
        match shape {
            Shape::Scalar(true) => dynasm!(e.ops ; .arch x64 ; movsd Rx(x), QWORD [rbx + o]),
            Shape::Scalar(false) => dynasm!(e.ops ; .arch x64 ; movss Rx(x), DWORD [rbx + o]),
            Shape::Vector(1, _) => dynasm!(e.ops ; .arch x64 ; movdqu Rx(x), [rbx + o]),
            Shape::Vector(_, _) => dynasm!(e.ops ; .arch x64 ; movq Rx(x), QWORD [rbx + o]),
        }
    }
}

/// The second operand of a binary operation (`load_binary`): a host register or, for
/// scalars, the V register in memory (an SSE scalar operation reads only its low 32/64
/// bits, with no alignment requirement).
#[derive(Clone, Copy)]
enum Src {
    Reg(u8),
    Mem(i32),
}

/// The operands of a binary operation of `shape` (xmm0 op= source): xmm0 = V[rn] loaded
/// as `load_operands` loads it, and the returned source holds V[rm] (its lanes of
/// `shape`: the register cache's copy is used directly for scalars and 128-bit vectors,
/// which read only those lanes; a 64-bit vector's source has bits 127:64 zeroed, in
/// xmm1). `commutes`: the operation may be computed as V[rm] op V[rn] instead (FADD and
/// FMUL, whose committed results never depend on the order: IEEE addition and
/// multiplication commute and only NaN results, which depend on the operand order, are
/// never committed), which avoids a copy when xmm0 already holds V[rm]. `in_x1`: the
/// source must be xmm1 (the caller modifies it). Clobbers xmm1.
fn load_binary(e: &mut Em<'_, '_>, shape: Shape, rn: u32, rm: u32, commutes: bool, in_x1: bool) -> Src {
    let held = match e.xmm.held {
        Some((r, s)) if s == shape => Some(r),
        _ => None,
    };
    let (rn, rm) = if commutes && held == Some(rm) { (rm, rn) } else { (rn, rm) };
    if held == Some(rm) && rn != rm {
        // Not commutative: V[rm] moves to xmm1 first (`load_operands`).
        load_operands(e, shape, &[(0, rn), (1, rm)]);
        return Src::Reg(1);
    }
    load_operands(e, shape, &[(0, rn)]);
    if rn == rm && !in_x1 {
        return Src::Reg(0);
    }
    if !in_x1 {
        match (e.xmm.cached(rm), shape) {
            (Some(c), Shape::Scalar(_) | Shape::Vector(1, _)) => return Src::Reg(c),
            (None, Shape::Scalar(_)) => return Src::Mem(vo(rm)),
            _ => {}
        }
    }
    if rn == rm {
        dynasm!(e.ops ; .arch x64 ; movdqa xmm1, xmm0);
    } else {
        // (xmm0 is not V[rm]'s holder here: no copy from it.)
        let held = e.xmm.held.take();
        load_operands(e, shape, &[(1, rm)]);
        e.xmm.held = held;
    }
    Src::Reg(1)
}

/// Emits `xmm0 = xmm0 op source` for the binary operation `$op` (an SSE mnemonic) with
/// a source from `load_binary`.
macro_rules! binop {
    ($e:expr, $op:ident, $src:expr, $w:ident) => {
        match $src {
            Src::Reg(x) => dynasm!($e.ops ; .arch x64 ; $op xmm0, Rx(x)),
            Src::Mem(o) => dynasm!($e.ops ; .arch x64 ; $op xmm0, $w [rbx + o]),
        }
    };
}

/// The operands of a scalar binary operation of precision `d` in the VEX form
/// `xmm0 = first op source` (`XmmCache::clean`), when it saves a copy: the first source is
/// V[rn] (or V[rm] when the operation `commutes`, see `load_binary`) cached with zero bits
/// above the scalar, the second the other operand (xmm0 when the previous instruction
/// left it there, its cache register, or the V register in memory: a scalar VEX
/// operation reads only its low 32/64 bits). None when xmm0 already holds the first
/// operand (the SSE form `xmm0 op= source` copies nothing) or no operand is clean.
fn vex_binary(e: &Em<'_, '_>, d: bool, rn: u32, rm: u32, commutes: bool) -> Option<(u8, Src)> {
    let held = match e.xmm.held {
        Some((r, s)) if s == Shape::Scalar(d) => Some(r),
        _ => None,
    };
    if held == Some(rn) || commutes && held == Some(rm) {
        return None;
    }
    // (x: the first source's cache register; b: the second operand.)
    let (b, x) = match (e.xmm.clean(rn, d), e.xmm.clean(rm, d)) {
        (Some(x), _) => (rm, x),
        (None, Some(x)) if commutes => (rn, x),
        _ => return None,
    };
    let src = if held == Some(b) {
        Src::Reg(0)
    } else if let Some(c) = e.xmm.cached(b) {
        Src::Reg(c)
    } else {
        Src::Mem(vo(b))
    };
    Some((x, src))
}

/// Emits `xmm0 = first op source` for the VEX scalar operation `$op` with the operands
/// from `vex_binary`.
macro_rules! vbinop {
    ($e:expr, $op:ident, $a:expr, $src:expr, $w:ident) => {
        match $src {
            Src::Reg(x) => dynasm!($e.ops ; .arch x64 ; $op xmm0, Rx($a), Rx(x)),
            Src::Mem(o) => dynasm!($e.ops ; .arch x64 ; $op xmm0, Rx($a), $w [rbx + o]),
        }
    };
}

/// V[rd] = xmm0 as `shape` says (negated when `neg`, scalars only). Clobbers rax.
fn write_result(e: &mut Em<'_, '_>, shape: Shape, rd: u32, neg: bool) {
    let o = vo(rd);
    match shape {
        Shape::Scalar(d) if neg => {
            e.xmm0_to_rax(d);
            if d {
                dynasm!(e.ops ; .arch x64 ; btc rax, 63);
            } else {
                dynasm!(e.ops ; .arch x64 ; xor eax, 0x8000_0000u32 as i32);
            }
            e.vset(RAX, rd);
        }
        // Stored from xmm0 (not rax): the next operation's load of this register then
        // does not wait for the move to rax and the checks. One 16-byte store: every
        // rounding operation leaves bits 127:N of xmm0 zero (its destination operand was
        // loaded with MOVSS/MOVSD/MOVQ, which zero them, or cleared; scalar SSE and VEX
        // FMA operations keep them; a 64-bit vector's upper lanes compute 0 from 0), and
        // a later 16-byte load of the register forwards from one store, not two.
        Shape::Scalar(_) | Shape::Vector(_, _) => dynasm!(e.ops ; .arch x64 ; movdqu [rbx + o], xmm0),
    }
}

/// Whether the host has AVX (the VEX forms of scalar operations: `XmmCache::clean`).
fn host_avx() -> bool {
    std::is_x86_feature_detected!("avx")
}

/// Whether the host has FMA3 (for FMADD and friends).
fn host_fma() -> bool {
    std::is_x86_feature_detected!("fma")
}

#[derive(Clone, Copy)]
enum Op2 {
    Add,
    Sub,
    Mul,
    Div,
}

impl Op2 {
    /// When a zero result of `rn op rm` is exact (finite operands, else the result is
    /// not a zero or a NaN, or x / inf: a zero dividend is then required, conservatively):
    /// a sum or difference always (the exact sum of two floats in the subnormal range is
    /// representable, so a zero result is the exact one), a product when a factor is a
    /// zero, a quotient when the dividend is.
    fn zero(self, rn: u32, rm: u32) -> Zero {
        match self {
            Op2::Add | Op2::Sub => Zero::Exact,
            Op2::Mul => Zero::Operands([Some(rn), Some(rm)]),
            Op2::Div => Zero::Operands([Some(rn), None]),
        }
    }
}

/// Scalar FP instructions emitted natively (see the module documentation); `false`: call
/// the interpreter.
pub(super) fn native_fp(e: &mut Em<'_, '_>, pc: u64, i: Fp) -> bool {
    // ftype 0: single, 1: double; 3 (half precision) always goes to the interpreter.
    let sd = |ftype: u32| match ftype {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    };
    match i {
        Fp::Fadd { ftype, rm, rn, rd } => arith2(e, pc, sd(ftype), Op2::Add, rm, rn, rd, false),
        Fp::Fsub { ftype, rm, rn, rd } => arith2(e, pc, sd(ftype), Op2::Sub, rm, rn, rd, false),
        Fp::Fmul { ftype, rm, rn, rd } => arith2(e, pc, sd(ftype), Op2::Mul, rm, rn, rd, false),
        Fp::Fnmul { ftype, rm, rn, rd } => arith2(e, pc, sd(ftype), Op2::Mul, rm, rn, rd, true),
        Fp::Fdiv { ftype, rm, rn, rd } => arith2(e, pc, sd(ftype), Op2::Div, rm, rn, rd, false),
        Fp::Fsqrt { ftype, rn, rd } => {
            let Some(d) = sd(ftype) else { return false };
            // A zero result is the exact square root of a zero.
            rounding(e, pc, Shape::Scalar(d), Zero::Exact, rd, false, move |e| {
                // VEX: the operand's cache register, clean above the scalar, gives the
                // result's upper bits (zero) too (`XmmCache::clean`).
                if let (Some(x), false) = (e.xmm.clean(rn, d), e.xmm.held.is_some_and(|h| h == (rn, Shape::Scalar(d)))) {
                    if d {
                        dynasm!(e.ops ; .arch x64 ; vsqrtsd xmm0, Rx(x), Rx(x));
                    } else {
                        dynasm!(e.ops ; .arch x64 ; vsqrtss xmm0, Rx(x), Rx(x));
                    }
                    return;
                }
                load_operands(e, Shape::Scalar(d), &[(1, rn)]);
                // SQRTSx keeps bits 127:N of its destination: clear them.
                dynasm!(e.ops ; .arch x64 ; xorps xmm0, xmm0);
                if d {
                    dynasm!(e.ops ; .arch x64 ; sqrtsd xmm0, xmm1);
                } else {
                    dynasm!(e.ops ; .arch x64 ; sqrtss xmm0, xmm1);
                }
            })
        }
        Fp::Fmadd { ftype, rm, ra, rn, rd } => fma(e, pc, sd(ftype), 0, rm, ra, rn, rd),
        Fp::Fmsub { ftype, rm, ra, rn, rd } => fma(e, pc, sd(ftype), 1, rm, ra, rn, rd),
        Fp::Fnmadd { ftype, rm, ra, rn, rd } => fma(e, pc, sd(ftype), 2, rm, ra, rn, rd),
        Fp::Fnmsub { ftype, rm, ra, rn, rd } => fma(e, pc, sd(ftype), 3, rm, ra, rn, rd),
        Fp::FmovReg { ftype, rn, rd } | Fp::Fabs { ftype, rn, rd } | Fp::Fneg { ftype, rn, rd } => {
            let Some(d) = sd(ftype) else { return false };
            guarded(e, pc, 0, |e, _| {
                let o = vo(rn);
                if d {
                    dynasm!(e.ops ; .arch x64 ; mov rax, QWORD [rbx + o]);
                    match i {
                        Fp::Fabs { .. } => dynasm!(e.ops ; .arch x64 ; btr rax, 63),
                        Fp::Fneg { .. } => dynasm!(e.ops ; .arch x64 ; btc rax, 63),
                        _ => {}
                    }
                } else {
                    dynasm!(e.ops ; .arch x64 ; mov eax, DWORD [rbx + o]);
                    match i {
                        Fp::Fabs { .. } => dynasm!(e.ops ; .arch x64 ; and eax, 0x7fff_ffff),
                        Fp::Fneg { .. } => dynasm!(e.ops ; .arch x64 ; xor eax, 0x8000_0000u32 as i32),
                        _ => {}
                    }
                }
                e.vset(RAX, rd);
            })
        }
        Fp::FmovImm { ftype, imm8, rd } => {
            let sz = match ftype {
                0 => cpu_aarch64::semantics::fp::FpSize::S,
                1 => cpu_aarch64::semantics::fp::FpSize::D,
                _ => return false,
            };
            let v = cpu_aarch64::interp::fp::vfp_expand_imm(sz, imm8);
            guarded(e, pc, 0, |e, _| {
                mov_imm(e, RAX, v);
                e.vset(RAX, rd);
            })
        }
        Fp::FmovWs { rn, rd } => guarded(e, pc, 0, |e, _| {
            let o = vo(rn);
            dynasm!(e.ops ; .arch x64 ; mov eax, DWORD [rbx + o]);
            e.store(RAX, rd, false, false);
        }),
        Fp::FmovXd { rn, rd } => guarded(e, pc, 0, |e, _| {
            let o = vo(rn);
            dynasm!(e.ops ; .arch x64 ; mov rax, QWORD [rbx + o]);
            e.store(RAX, rd, false, true);
        }),
        Fp::FmovXD1 { rn, rd } => guarded(e, pc, 0, |e, _| {
            let o = vo(rn) + 8;
            dynasm!(e.ops ; .arch x64 ; mov rax, QWORD [rbx + o]);
            e.store(RAX, rd, false, true);
        }),
        Fp::FmovSw { rn, rd } => guarded(e, pc, 0, |e, _| {
            e.load(RAX, rn, false);
            dynasm!(e.ops ; .arch x64 ; mov eax, eax);
            e.vset(RAX, rd);
        }),
        Fp::FmovDx { rn, rd } => guarded(e, pc, 0, |e, _| {
            e.load(RAX, rn, false);
            e.vset(RAX, rd);
        }),
        Fp::FmovD1X { rn, rd } => guarded(e, pc, 0, |e, _| {
            e.load(RAX, rn, false);
            let o = vo(rd) + 8;
            dynasm!(e.ops ; .arch x64 ; mov QWORD [rbx + o], rax);
        }),
        Fp::Fcsel { ftype, rm, cond, rn, rd } => {
            let Some(d) = sd(ftype) else { return false };
            guarded(e, pc, 0, |e, _| {
                let take_n = e.ops.new_dynamic_label();
                let end = e.ops.new_dynamic_label();
                e.jump_if(cond, take_n);
                let (om, on) = (vo(rm), vo(rn));
                dynasm!(e.ops
                    ; .arch x64
                    ; mov rdx, QWORD [rbx + om]
                    ; jmp =>end
                    ; =>take_n
                    ; mov rdx, QWORD [rbx + on]
                    ; =>end
                );
                if !d {
                    dynasm!(e.ops ; .arch x64 ; mov edx, edx);
                }
                e.vset(RDX, rd);
            })
        }
        Fp::Fcmp { ftype, rm, rn, z } | Fp::Fcmpe { ftype, rm, rn, z } => {
            let Some(d) = sd(ftype) else { return false };
            if e.fuse {
                // Fused with the consumer that follows (`fused_compare`): the host flags
                // of UCOMISx stay live (`Hf::Fp`); the fallback leaves the block.
                guarded_exit(e, pc, FPCR_FZ, |e, slow| compare(e, d, rm, rn, z == 1, slow));
                e.hf = Some(Hf::Fp);
            } else {
                guarded(e, pc, FPCR_FZ, |e, slow| compare(e, d, rm, rn, z == 1, slow));
            }
            // (Writes no V register; its fallback reloads the cache, or leaves the block.)
            e.xmm.keep = true;
            true
        }
        Fp::Fccmp { ftype, rm, cond, rn, nzcv } | Fp::Fccmpe { ftype, rm, cond, rn, nzcv } => {
            let Some(d) = sd(ftype) else { return false };
            guarded(e, pc, FPCR_FZ, |e, slow| {
                let cmp = e.ops.new_dynamic_label();
                let end = e.ops.new_dynamic_label();
                e.jump_if(cond, cmp);
                let v = (nzcv << 28) as i32;
                dynasm!(e.ops ; .arch x64 ; mov DWORD [rbx + OFF_NZCV], v ; jmp =>end ; =>cmp);
                compare(e, d, rm, rn, false, slow);
                dynasm!(e.ops ; .arch x64 ; =>end);
            })
        }
        Fp::ScvtfInt { sf, ftype, rn, rd } | Fp::UcvtfInt { sf, ftype, rn, rd } => {
            let Some(d) = sd(ftype) else { return false };
            let unsigned = matches!(i, Fp::UcvtfInt { .. });
            // Only the rounding mode matters: no result is tiny, NaN or a denormal input.
            // In the IXC-sticky mode (`Em::fp_fast`: FPCR.RMode = RN, FPSR.IXC = 1) the
            // only flag a conversion can raise (IXC) is already set: no MXCSR access.
            let sticky = e.fp_fast;
            guarded(e, pc, 0x00c0_0000, |e, slow| {
                e.load(RAX, rn, false);
                match (sf == 1, unsigned) {
                    (false, false) => dynasm!(e.ops ; .arch x64 ; movsxd rax, eax),
                    (false, true) => dynasm!(e.ops ; .arch x64 ; mov eax, eax),
                    // A u64 with the top bit set is not a signed 64-bit value.
                    (true, true) => dynasm!(e.ops ; .arch x64 ; test rax, rax ; js =>slow),
                    (true, false) => {}
                }
                if sticky {
                    // (XORPS: no dependency on xmm0's old value.)
                    if d {
                        dynasm!(e.ops ; .arch x64 ; xorps xmm0, xmm0 ; cvtsi2sd xmm0, rax);
                    } else {
                        dynasm!(e.ops ; .arch x64 ; xorps xmm0, xmm0 ; cvtsi2ss xmm0, rax);
                    }
                    e.xmm0_to_rax(d);
                    e.vset(RAX, rd);
                    return;
                }
                e.mx_clear();
                if d {
                    dynasm!(e.ops ; .arch x64 ; cvtsi2sd xmm0, rax);
                } else {
                    dynasm!(e.ops ; .arch x64 ; cvtsi2ss xmm0, rax);
                }
                e.mx_read(MX_IE_UE, slow);
                e.xmm0_to_rax(d);
                e.vset(RAX, rd);
                e.mx_commit();
            })
        }
        Fp::FcvtzsInt { sf, ftype, rn, rd } | Fp::FcvtzuInt { sf, ftype, rn, rd } => {
            let Some(d) = sd(ftype) else { return false };
            let unsigned = matches!(i, Fp::FcvtzuInt { .. });
            // In the IXC-sticky mode (FZ = 0, IXC already set) only IOC matters: a NaN or
            // out-of-range input, for which CVTTSx2SI returns the integer indefinite
            // value (the lowest integer), sent to the interpreter (which also gives that
            // value when it is the exact result), as are negative values for the
            // unsigned forms below; no MXCSR access.
            let sticky = e.fp_fast;
            guarded(e, pc, FPCR_FZ, |e, slow| {
                e.vload_x(0, rn, d);
                if sticky {
                    match (d, sf == 0 && !unsigned) {
                        (true, true) => dynasm!(e.ops ; .arch x64 ; cvttsd2si eax, xmm0 ; mov ecx, eax ; neg ecx ; jo =>slow),
                        (true, false) => dynasm!(e.ops ; .arch x64 ; cvttsd2si rax, xmm0 ; mov rcx, rax ; neg rcx ; jo =>slow),
                        (false, true) => dynasm!(e.ops ; .arch x64 ; cvttss2si eax, xmm0 ; mov ecx, eax ; neg ecx ; jo =>slow),
                        (false, false) => dynasm!(e.ops ; .arch x64 ; cvttss2si rax, xmm0 ; mov rcx, rax ; neg rcx ; jo =>slow),
                    }
                    if unsigned {
                        unsigned_range(e, sf, slow);
                    }
                    e.store(RAX, rd, false, sf == 1);
                    return;
                }
                e.mx_clear();
                // Signed 32-bit results convert to 32 bits (IE out of range); the others
                // to 64 bits, then range-checked.
                match (d, sf == 0 && !unsigned) {
                    (true, true) => dynasm!(e.ops ; .arch x64 ; cvttsd2si eax, xmm0),
                    (true, false) => dynasm!(e.ops ; .arch x64 ; cvttsd2si rax, xmm0),
                    (false, true) => dynasm!(e.ops ; .arch x64 ; cvttss2si eax, xmm0),
                    (false, false) => dynasm!(e.ops ; .arch x64 ; cvttss2si rax, xmm0),
                }
                e.mx_read(MX_IE_UE, slow);
                if unsigned {
                    unsigned_range(e, sf, slow);
                }
                e.store(RAX, rd, false, sf == 1);
                e.mx_commit();
            })
        }
        Fp::Fcvt { ftype, opc, rn, rd } => {
            // S -> D is exact (only NaNs and flushed inputs matter); D -> S rounds.
            let (to_d, mask) = match (ftype, opc) {
                (0, 1) => (true, FPCR_FZ),
                (1, 0) => (false, FPCR_ROUND),
                _ => return false,
            };
            guarded(e, pc, mask, |e, slow| {
                e.vload_x(1, rn, !to_d);
                e.mx_clear();
                if to_d {
                    dynasm!(e.ops ; .arch x64 ; cvtss2sd xmm0, xmm1);
                } else {
                    dynasm!(e.ops ; .arch x64 ; cvtsd2ss xmm0, xmm1);
                }
                finish_round(e, to_d, rd, false, slow);
            })
        }
        _ => false,
    }
}

/// FADD/FSUB/FMUL/FDIV (vector): the packed SSE operation, with the scalar argument
/// applied to every lane (`check_result` on each lane's result; one MXCSR for all lanes,
/// whose flags are the union of the lanes', as FPSR's cumulative bits).
pub(super) fn native_simd_fp(e: &mut Em<'_, '_>, pc: u64, i: cpu_aarch64::decode::SimdFp) -> bool {
    use cpu_aarch64::decode::SimdFp as I;
    let (op, q, sz, rm, rn, rd) = match i {
        I::FaddVec { q, sz, rm, rn, rd } => (Op2::Add, q, sz, rm, rn, rd),
        I::FsubVec { q, sz, rm, rn, rd } => (Op2::Sub, q, sz, rm, rn, rd),
        I::FmulVec { q, sz, rm, rn, rd } => (Op2::Mul, q, sz, rm, rn, rd),
        I::FdivVec { q, sz, rm, rn, rd } => (Op2::Div, q, sz, rm, rn, rd),
        _ => return false,
    };
    let d = sz == 1;
    if d && q == 0 {
        return false; // .1d: reserved (the decoder's business)
    }
    rounding(e, pc, Shape::Vector(q, d), op.zero(rn, rm), rd, false, move |e| {
        // 64-bit vectors: the upper lanes are 0 + 0, 0 * 0, ... (no flag) and the
        // result's bits 127:64 are zero, as the interpreter writes them.
        let div0 = q == 0 && matches!(op, Op2::Div);
        let commutes = matches!(op, Op2::Add | Op2::Mul);
        let src = load_binary(e, Shape::Vector(q, d), rn, rm, commutes, div0);
        if div0 {
            // 0 / 0 would be invalid: divide the zero lanes by one.
            dynasm!(e.ops
                ; .arch x64
                ; mov eax, 0x3f80_0000
                ; movd xmm2, eax
                ; pshufd xmm2, xmm2, 0x00
                ; pslldq xmm2, 8
                ; orps xmm1, xmm2
            );
        }
        // (`load_binary` gives vectors a register source.)
        let x = match src {
            Src::Reg(x) => x,
            Src::Mem(o) => {
                dynasm!(e.ops ; .arch x64 ; movdqu xmm1, [rbx + o]);
                1
            }
        };
        match (op, d) {
            (Op2::Add, true) => dynasm!(e.ops ; .arch x64 ; addpd xmm0, Rx(x)),
            (Op2::Sub, true) => dynasm!(e.ops ; .arch x64 ; subpd xmm0, Rx(x)),
            (Op2::Mul, true) => dynasm!(e.ops ; .arch x64 ; mulpd xmm0, Rx(x)),
            (Op2::Div, true) => dynasm!(e.ops ; .arch x64 ; divpd xmm0, Rx(x)),
            (Op2::Add, false) => dynasm!(e.ops ; .arch x64 ; addps xmm0, Rx(x)),
            (Op2::Sub, false) => dynasm!(e.ops ; .arch x64 ; subps xmm0, Rx(x)),
            (Op2::Mul, false) => dynasm!(e.ops ; .arch x64 ; mulps xmm0, Rx(x)),
            (Op2::Div, false) => dynasm!(e.ops ; .arch x64 ; divps xmm0, Rx(x)),
        }
    })
}

/// After a rounding operation into xmm0: the fallback checks, V[rd] = xmm0 (negated
/// when `neg`, as FNMUL negates the rounded product), FPSR flags.
fn finish_round(e: &mut Em<'_, '_>, d: bool, rd: u32, neg: bool, slow: DynamicLabel) {
    e.mx_read(MX_IE_UE, slow);
    e.xmm0_to_rax(d);
    e.check_result(d, slow);
    if neg {
        if d {
            dynasm!(e.ops ; .arch x64 ; btc rax, 63);
        } else {
            dynasm!(e.ops ; .arch x64 ; xor eax, 0x8000_0000u32 as i32);
        }
        e.vset(RAX, rd);
    } else {
        // Stored from xmm0 (not rax): the next operation's load of this register then
        // does not wait for the move to rax and the checks.
        let o = vo(rd);
        if d {
            dynasm!(e.ops ; .arch x64 ; movq QWORD [rbx + o], xmm0 ; mov QWORD [rbx + o + 8], 0);
        } else {
            dynasm!(e.ops ; .arch x64 ; movd DWORD [rbx + o], xmm0 ; mov DWORD [rbx + o + 4], 0 ; mov QWORD [rbx + o + 8], 0);
        }
    }
    e.mx_commit();
}

#[allow(clippy::too_many_arguments)]
fn arith2(e: &mut Em<'_, '_>, pc: u64, d: Option<bool>, op: Op2, rm: u32, rn: u32, rd: u32, neg: bool) -> bool {
    let Some(d) = d else { return false };
    rounding(e, pc, Shape::Scalar(d), op.zero(rn, rm), rd, neg, move |e| {
        let commutes = matches!(op, Op2::Add | Op2::Mul);
        if let Some((a, src)) = vex_binary(e, d, rn, rm, commutes) {
            match (op, d) {
                (Op2::Add, true) => vbinop!(e, vaddsd, a, src, QWORD),
                (Op2::Sub, true) => vbinop!(e, vsubsd, a, src, QWORD),
                (Op2::Mul, true) => vbinop!(e, vmulsd, a, src, QWORD),
                (Op2::Div, true) => vbinop!(e, vdivsd, a, src, QWORD),
                (Op2::Add, false) => vbinop!(e, vaddss, a, src, DWORD),
                (Op2::Sub, false) => vbinop!(e, vsubss, a, src, DWORD),
                (Op2::Mul, false) => vbinop!(e, vmulss, a, src, DWORD),
                (Op2::Div, false) => vbinop!(e, vdivss, a, src, DWORD),
            }
            return;
        }
        let src = load_binary(e, Shape::Scalar(d), rn, rm, commutes, false);
        match (op, d) {
            (Op2::Add, true) => binop!(e, addsd, src, QWORD),
            (Op2::Sub, true) => binop!(e, subsd, src, QWORD),
            (Op2::Mul, true) => binop!(e, mulsd, src, QWORD),
            (Op2::Div, true) => binop!(e, divsd, src, QWORD),
            (Op2::Add, false) => binop!(e, addss, src, DWORD),
            (Op2::Sub, false) => binop!(e, subss, src, DWORD),
            (Op2::Mul, false) => binop!(e, mulss, src, DWORD),
            (Op2::Div, false) => binop!(e, divss, src, DWORD),
        }
    })
}

/// FMADD (kind 0: a + n*m), FMSUB (1: a - n*m), FNMADD (2: -a - n*m), FNMSUB (3: n*m - a).
#[allow(clippy::too_many_arguments)]
fn fma(e: &mut Em<'_, '_>, pc: u64, d: Option<bool>, kind: u8, rm: u32, ra: u32, rn: u32, rd: u32) -> bool {
    let Some(d) = d else { return false };
    if !host_fma() {
        return false;
    }
    rounding(e, pc, Shape::Scalar(d), Zero::Inexact, rd, false, move |e| {
        load_operands(e, Shape::Scalar(d), &[(1, rn), (2, rm), (0, ra)]);
        // xmm0 = +-(xmm1 * xmm2) +- xmm0, one rounding.
        match (kind, d) {
            (0, true) => dynasm!(e.ops ; .arch x64 ; vfmadd231sd xmm0, xmm1, xmm2),
            (1, true) => dynasm!(e.ops ; .arch x64 ; vfnmadd231sd xmm0, xmm1, xmm2),
            (2, true) => dynasm!(e.ops ; .arch x64 ; vfnmsub231sd xmm0, xmm1, xmm2),
            (_, true) => dynasm!(e.ops ; .arch x64 ; vfmsub231sd xmm0, xmm1, xmm2),
            (0, false) => dynasm!(e.ops ; .arch x64 ; vfmadd231ss xmm0, xmm1, xmm2),
            (1, false) => dynasm!(e.ops ; .arch x64 ; vfnmadd231ss xmm0, xmm1, xmm2),
            (2, false) => dynasm!(e.ops ; .arch x64 ; vfnmsub231ss xmm0, xmm1, xmm2),
            (_, false) => dynasm!(e.ops ; .arch x64 ; vfmsub231ss xmm0, xmm1, xmm2),
        }
    })
}

/// NZCV = FPCompare(V[rn], V[rm] or +0); unordered goes to `slow`.
fn compare(e: &mut Em<'_, '_>, d: bool, rm: u32, rn: u32, zero: bool, slow: DynamicLabel) {
    // (MXCSR.DAZ is clear for the comparison of denormals: see "MXCSR" in the module
    // documentation. UCOMISx raises no flag read here.)
    let held = match e.xmm.held {
        Some((r, s)) if s == Shape::Scalar(d) => Some(r),
        _ => None,
    };
    // V[rn] cached (and not in xmm0): compared in its cache register (UCOMISx reads
    // only the low 32/64 bits), no copy.
    if let Some(c) = e.xmm.cached(rn).filter(|_| held != Some(rn)) {
        let src = if zero {
            dynasm!(e.ops ; .arch x64 ; xorps xmm1, xmm1);
            Src::Reg(1)
        } else if rm == rn {
            Src::Reg(c)
        } else if held == Some(rm) {
            Src::Reg(0)
        } else if let Some(m) = e.xmm.cached(rm) {
            Src::Reg(m)
        } else {
            Src::Mem(vo(rm))
        };
        match (src, d) {
            (Src::Reg(x), true) => dynasm!(e.ops ; .arch x64 ; ucomisd Rx(c), Rx(x)),
            (Src::Mem(o), true) => dynasm!(e.ops ; .arch x64 ; ucomisd Rx(c), QWORD [rbx + o]),
            (Src::Reg(x), false) => dynasm!(e.ops ; .arch x64 ; ucomiss Rx(c), Rx(x)),
            (Src::Mem(o), false) => dynasm!(e.ops ; .arch x64 ; ucomiss Rx(c), DWORD [rbx + o]),
        }
    } else {
        let src = if zero {
        load_operands(e, Shape::Scalar(d), &[(0, rn)]);
        dynasm!(e.ops ; .arch x64 ; xorps xmm1, xmm1);
        Src::Reg(1)
    } else {
            load_binary(e, Shape::Scalar(d), rn, rm, false, false)
        };
        if d {
            binop!(e, ucomisd, src, QWORD);
        } else {
            binop!(e, ucomiss, src, DWORD);
        }
    }
    // Greater: 0010, equal: 0110 (ZF), less: 1000 (CF); unordered (PF): the interpreter.
    dynasm!(e.ops
        ; .arch x64
        ; jp =>slow
        ; mov eax, 0x2000_0000
        ; mov ecx, 0x6000_0000
        ; cmove eax, ecx
        ; mov ecx, 0x8000_0000u32 as i32
        ; cmovb eax, ecx
        ; mov DWORD [rbx + OFF_NZCV], eax
    );
}

// ---------------------------------------------------------------------------------------
// SIMD&FP loads and stores

/// LDR/STR/LDUR/STUR (immediate, register offset, pre/post-index) and LDP/STP/LDNP/STNP
/// of B/H/S/D/Q registers, inline when `FastMem` has the page(s), as the GPR forms in
/// `mem_access`; otherwise the interpreter runs the whole instruction.
pub(super) fn native_fp_ldst(e: &mut Em<'_, '_>, pc: u64, raw: u32, l: Ldst) -> bool {
    let s9 = |imm9: u32| alu::sign_extend(imm9 as u64, 9) as i64;
    let scale = |size: u32, opc1: u32| (opc1 << 2 | size) & 7;
    // (load, log2 bytes, rt, rt2, rn, address form, index mode)
    let (load, sc, rt, rt2, rn, addr, ix) = match l {
        Ldst::LdrSimdUoff { size, opc1, imm12, rn, rt } | Ldst::StrSimdUoff { size, opc1, imm12, rn, rt } => {
            let sc = scale(size, opc1);
            (matches!(l, Ldst::LdrSimdUoff { .. }), sc, rt, None, rn, Addr::Imm(((imm12 as i64) << sc) as i32), Ix::Off)
        }
        Ldst::LdurSimd { size, opc1, imm9, rn, rt } => (true, scale(size, opc1), rt, None, rn, Addr::Imm(s9(imm9) as i32), Ix::Off),
        Ldst::SturSimd { size, opc1, imm9, rn, rt } => (false, scale(size, opc1), rt, None, rn, Addr::Imm(s9(imm9) as i32), Ix::Off),
        Ldst::LdrSimdPre { size, opc1, imm9, rn, rt } => (true, scale(size, opc1), rt, None, rn, Addr::Imm(s9(imm9) as i32), Ix::Pre),
        Ldst::StrSimdPre { size, opc1, imm9, rn, rt } => (false, scale(size, opc1), rt, None, rn, Addr::Imm(s9(imm9) as i32), Ix::Pre),
        Ldst::LdrSimdPost { size, opc1, imm9, rn, rt } => (true, scale(size, opc1), rt, None, rn, Addr::Imm(s9(imm9) as i32), Ix::Post),
        Ldst::StrSimdPost { size, opc1, imm9, rn, rt } => (false, scale(size, opc1), rt, None, rn, Addr::Imm(s9(imm9) as i32), Ix::Post),
        Ldst::LdrSimdReg { size, opc1, rm, option, s, rn, rt } | Ldst::StrSimdReg { size, opc1, rm, option, s, rn, rt } => {
            if !matches!(option, 0b010 | 0b011 | 0b110 | 0b111) {
                return false;
            }
            let sc = scale(size, opc1);
            (matches!(l, Ldst::LdrSimdReg { .. }), sc, rt, None, rn, Addr::Reg { rm, option, shift: s * sc }, Ix::Off)
        }
        Ldst::LdpSimdOff { opc, imm7, rt2, rn, rt }
        | Ldst::LdnpSimd { opc, imm7, rt2, rn, rt }
        | Ldst::StpSimdOff { opc, imm7, rt2, rn, rt }
        | Ldst::StnpSimd { opc, imm7, rt2, rn, rt }
        | Ldst::LdpSimdPre { opc, imm7, rt2, rn, rt }
        | Ldst::StpSimdPre { opc, imm7, rt2, rn, rt }
        | Ldst::LdpSimdPost { opc, imm7, rt2, rn, rt }
        | Ldst::StpSimdPost { opc, imm7, rt2, rn, rt } => {
            let sc = 2 + (opc & 3);
            let off = (alu::sign_extend(imm7 as u64, 7) as i64) << sc;
            let load = matches!(l, Ldst::LdpSimdOff { .. } | Ldst::LdnpSimd { .. } | Ldst::LdpSimdPre { .. } | Ldst::LdpSimdPost { .. });
            let ix = match l {
                Ldst::LdpSimdPre { .. } | Ldst::StpSimdPre { .. } => Ix::Pre,
                Ldst::LdpSimdPost { .. } | Ldst::StpSimdPost { .. } => Ix::Post,
                _ => Ix::Off,
            };
            (load, sc, rt, Some(rt2), rn, Addr::Imm(off as i32), ix)
        }
        // LD1R of 32- and 64-bit elements, without or with immediate post-index.
        Ldst::Ld1r { q, size, rn, rt } | Ldst::Ld1rPost { q, size, rn, rt, .. } if size >= 2 => {
            let post = match l {
                Ldst::Ld1rPost { rm: 31, .. } => Ix::Post,
                Ldst::Ld1rPost { .. } => return false,
                _ => Ix::Off,
            };
            let n = 1u32 << size;
            let off = if post == Ix::Post { n as i32 } else { 0 };
            fp_mem_access(e, pc, raw, true, n, rt, None, rn, Addr::Imm(off), post, Some(q));
            return true;
        }
        _ => return false,
    };
    if sc > 4 {
        return false;
    }
    fp_mem_access(e, pc, raw, load, 1 << sc, rt, rt2, rn, addr, ix, None);
    true
}

/// `mem_access` for V registers: loads write the zero-extended value to all 128 bits;
/// with `rep` = Some(Q), LD1R: the element replicated to every lane of the 64-bit
/// (Q = 0, bits 127:64 zeroed) or 128-bit vector. For LD1R, `ix` = Post means
/// post-index by the element size, and `addr` must be `Imm(n)` then (`Imm(0)` otherwise).
#[allow(clippy::too_many_arguments)]
fn fp_mem_access(e: &mut Em<'_, '_>, pc: u64, raw: u32, load: bool, n: u32, rt: u32, rt2: Option<u32>, rn: u32, addr: Addr, ix: Ix, rep: Option<u32>) {
    let slow = e.ops.new_dynamic_label();
    let done = e.ops.new_dynamic_label();
    // The FP enable check comes first (its trap has priority over the address checks).
    e.fp_guard(slow);
    e.xmm.memo = Some(rn);
    address_and_probe(e, load, n, rt2, rn, addr, ix, slow);
    e.xmm.memo = None;
    // Both accesses hit: nothing below can fault.
    let regs: &[(u32, u8)] = &[(rt, R8), (rt2.unwrap_or(rt), R9)];
    let regs = if rt2.is_some() { regs } else { &regs[..1] };
    if let Some(q) = rep {
        let o = vo(rt);
        match (n, q) {
            (8, 0) => dynasm!(e.ops ; .arch x64 ; movq xmm0, QWORD [r8]),
            (8, _) => dynasm!(e.ops ; .arch x64 ; movq xmm0, QWORD [r8] ; punpcklqdq xmm0, xmm0),
            // movd zeroes lanes 1-3: lanes (0, 0, 1, 1) for Q = 0, (0, 0, 0, 0) for Q = 1.
            (_, 0) => dynasm!(e.ops ; .arch x64 ; movd xmm0, DWORD [r8] ; pshufd xmm0, xmm0, 0x50),
            (_, _) => dynasm!(e.ops ; .arch x64 ; movd xmm0, DWORD [r8] ; pshufd xmm0, xmm0, 0x00),
        }
        dynasm!(e.ops ; .arch x64 ; movdqu [rbx + o], xmm0);
        let c = e.xmm.slot(rt, if q == 0 { 64 } else { 128 });
        dynasm!(e.ops ; .arch x64 ; movdqa Rx(c), xmm0);
    } else if load && rt2.is_none() && n >= 4 {
        // Loaded into the cache register (MOVD/MOVQ zero the upper bits), then stored.
        // (MOVD/MOVQ zero the bits above the loaded ones.)
        let c = e.xmm.slot(rt, (8 * n).min(128) as u8);
        match n {
            4 => dynasm!(e.ops ; .arch x64 ; movd Rx(c), DWORD [r8]),
            8 => dynasm!(e.ops ; .arch x64 ; movq Rx(c), QWORD [r8]),
            _ => dynasm!(e.ops ; .arch x64 ; movdqu Rx(c), [r8]),
        }
        let o = vo(rt);
        dynasm!(e.ops ; .arch x64 ; movdqu [rbx + o], Rx(c));
    } else if load {
        e.xmm.forget(rt);
        if let Some(r2) = rt2 {
            e.xmm.forget(r2);
        }
        // Read both before writing (LDPOVERLAP: Rt2, written last, wins).
        if n == 16 {
            dynasm!(e.ops ; .arch x64 ; movdqu xmm0, [r8]);
            if rt2.is_some() {
                dynasm!(e.ops ; .arch x64 ; movdqu xmm1, [r9]);
            }
            for (k, &(r, _)) in regs.iter().enumerate() {
                let o = vo(r);
                dynasm!(e.ops ; .arch x64 ; movdqu [rbx + o], Rx(k as u8));
            }
        } else {
            load_n(e, RDI, R8, n);
            if rt2.is_some() {
                load_n(e, RDX, R9, n);
            }
            e.vset(RDI, rt);
            if let Some(r2) = rt2 {
                e.vset(RDX, r2);
            }
        }
    } else {
        for &(r, h) in regs {
            let o = vo(r);
            let cached = e.xmm.cached(r);
            if let (Some(c), 16) = (cached, n) {
                dynasm!(e.ops ; .arch x64 ; movdqu [Rq(h)], Rx(c));
            } else if let (Some(c), 8) = (cached, n) {
                dynasm!(e.ops ; .arch x64 ; movq QWORD [Rq(h)], Rx(c));
            } else if n == 16 {
                dynasm!(e.ops ; .arch x64 ; movdqu xmm0, [rbx + o] ; movdqu [Rq(h)], xmm0);
            } else {
                dynasm!(e.ops ; .arch x64 ; mov rdi, QWORD [rbx + o]);
                store_n(e, RDI, h, n);
            }
        }
    }
    fp_finish_access(e, pc, raw, rn, ix, slow, done);
}

/// The page memo of SIMD&FP loads and stores (the probe of `emit::probe_as` for them):
/// `Ctx::memo` has an entry per base register for loads and one for stores: the last
/// page (VA, bits 11:0 clear) an access through that register found in `FastMem`, with
/// the entry's host offset, tagged with the epoch (`Ctx::memo_epoch`, in bits 11:4) it
/// was found in. An aligned access to that page in the same epoch (its address with bits
/// 11:0 cleared but the low log2(n) ones, or the epoch, equals the tag) takes the host
/// address from the memo: about half the probe's instructions. Otherwise the probe runs
/// (out of line) and, on a hit, replaces the entry. What changes a translation (TLB
/// maintenance, a translation table base or ASID, the translation regime, exceptions, a
/// page becoming code or watched) happens in the interpreter (a call-out, `call_insn`:
/// the block may go on, or the next one be entered without the dispatcher, through a
/// chained jump or the lookup stubs) or in the dispatcher; `call_insn`, and the
/// dispatcher before every entry into translated code, start a new epoch
/// (`Ctx::memo_reset`). The other calls from translated code (`fp_enabled`, the
/// exclusive monitor, DC ZVA, the counter, the interrupt sample, `fetch_miss`) change no
/// translation, or leave the block. Stores remember only pages whose quiet tag matched
/// (no code, not watched). `full`: the probe (jumps to `slow` on a miss, else leaves
/// `host` = the host address of `a`). Clobbers rdx (and what the probe clobbers).
pub(super) fn memo_probe(e: &mut Em<'_, '_>, a: u8, n: u32, load: bool, host: u8, rn: u32, full: impl FnOnce(&mut Em<'_, '_>) + 'static) {
    let t = CTX_MEMO + 16 * ((rn & 31) + if load { 0 } else { 32 }) as i32;
    let o = t + 8;
    let key_mask = !0xfff | (n as i32 - 1);
    let (miss, hit) = (e.ops.new_dynamic_label(), e.ops.new_dynamic_label());
    dynasm!(e.ops
        ; .arch x64
        ; mov rdx, Rq(a)
        ; and rdx, key_mask
        ; or rdx, QWORD [r12 + CTX_MEMO_EPOCH]
        ; cmp rdx, QWORD [r12 + t]
        ; jne =>miss
        ; mov Rq(host), QWORD [r12 + o]
        ; add Rq(host), Rq(a)
        ; =>hit
    );
    defer(e, move |e| {
        dynasm!(e.ops ; .arch x64 ; =>miss);
        let memo = e.xmm.memo.take();
        full(e);
        e.xmm.memo = memo;
        dynasm!(e.ops
            ; .arch x64
            ; mov rdx, Rq(a)
            ; and rdx, !0xfff
            ; or rdx, QWORD [r12 + CTX_MEMO_EPOCH]
            ; mov QWORD [r12 + t], rdx
            ; mov rdx, Rq(host)
            ; sub rdx, Rq(a)
            ; mov QWORD [r12 + o], rdx
            ; jmp =>hit
        );
    });
}

/// `finish_access` with its rarely taken path (the interpreter fallback at `slow`)
/// deferred after the block (`defer`), so that
/// the fast path falls through without a taken jump. The fast path writes V registers
/// only (`Em::reuse` is off for SIMD&FP loads/stores, so no host register is reused across
/// `done`), and both paths reach `done` with the same pending count, as in `guarded`.
#[allow(clippy::too_many_arguments)]
fn fp_finish_access(e: &mut Em<'_, '_>, pc: u64, raw: u32, rn: u32, ix: Ix, slow: DynamicLabel, done: DynamicLabel) {
    if ix != Ix::Off {
        e.store(R11, rn, true, true);
    }
    let p0 = e.pending;
    let cache = e.xmm.regs;
    defer(e, move |e| {
        let (pending, held) = (e.pending, e.xmm.held);
        e.pending = p0;
        dynasm!(e.ops ; .arch x64 ; =>slow);
        e.callout_back(pc, raw);
        reload_cache(e, cache);
        dynasm!(e.ops ; .arch x64 ; jmp =>done);
        (e.pending, e.xmm.held) = (pending, held);
    });
    dynasm!(e.ops ; .arch x64 ; =>done);
    e.pending = p0 + 1;
    e.avail = None;
    // Both paths leave the register cache as set above (see the module documentation).
    e.xmm.keep = true;
}

/// FCVTZU: `slow` unless the signed 64-bit conversion in rax is a valid unsigned result
/// (`sf`: below 2^63; 32-bit: below 2^32).
fn unsigned_range(e: &mut Em, sf: u32, slow: dynasmrt::DynamicLabel) {
    if sf == 1 {
        dynasm!(e.ops ; .arch x64 ; test rax, rax ; js =>slow);
    } else {
        dynasm!(e.ops ; .arch x64 ; mov rcx, rax ; shr rcx, 32 ; jnz =>slow);
    }
}

/// The IXC-sticky fast mode's condition: jumps to `not_rne` unless FPCR.RMode and FPCR.FZ
/// are zero (`FPCR_ROUND`), then to `no_ixc` unless FPSR.IXC is set.
fn fast_mode_check(e: &mut Em, not_rne: dynasmrt::DynamicLabel, no_ixc: dynasmrt::DynamicLabel) {
    dynasm!(e.ops
        ; .arch x64
        ; test DWORD [rbx + OFF_FPCR], FPCR_ROUND
        ; jnz =>not_rne
        ; test BYTE [rbx + OFF_FPSR], FPSR_IXC
        ; jz =>no_ixc
    );
}
