//! Native emitters for integer instructions the base emitter (`emit.rs`) leaves to the
//! interpreter, chosen by the call-out profile (`LSEMU_JIT_PROFILE`, below), and the
//! profile itself.
//!
//! A child module of `emit` (it uses the block emitter `Em` and its helpers).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use cpu_aarch64::decode::{lookup, ENCODINGS};
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};

use super::Em;

/// Whether call-outs are counted: the environment variable `LSEMU_JIT_PROFILE` is set
/// (read once). When it is not, translated code is exactly what it would be without the
/// profile (no counting instruction is emitted).
pub(crate) fn profiling() -> bool {
    static P: OnceLock<bool> = OnceLock::new();
    *P.get_or_init(|| std::env::var_os("LSEMU_JIT_PROFILE").is_some())
}

/// Counters: one per encoding line (and one for words with none), twice: call-outs of
/// instructions the emitter does not translate, and slow paths of inline loads/stores.
fn counters() -> &'static [AtomicU64] {
    static C: OnceLock<Box<[AtomicU64]>> = OnceLock::new();
    C.get_or_init(|| (0..2 * (ENCODINGS.len() + 1)).map(|_| AtomicU64::new(0)).collect())
}

/// Emits the increment of the counter of `raw` (slow path of an inline access if
/// `slow`) when profiling. Clobbers rax.
pub(super) fn count_callout(e: &mut Em<'_, '_>, raw: u32, slow: bool) {
    if !profiling() {
        return;
    }
    let i = lookup(raw).map_or(ENCODINGS.len(), |i| i as usize) + if slow { ENCODINGS.len() + 1 } else { 0 };
    // System instructions also by their operation (SYS/MRS/MSR op0..op2 fields; slow
    // paths of native ones by encoding line).
    let addr = if !slow && (raw & 0xffc0_0000) == 0xd500_0000 && (raw >> 19) & 3 != 0 {
        sys_counter(raw).as_ptr() as i64
    } else {
        counters()[i].as_ptr() as i64
    };
    dynasm!(e.ops
        ; .arch x64
        ; mov rax, QWORD addr
        ; lock add QWORD [rax], 1
    );
}

/// The profile's counter of the System instruction `raw` (SYS, SYSL, MRS, MSR register:
/// bits 21:5, the operation and register) made on first use.
fn sys_counter(raw: u32) -> &'static AtomicU64 {
    static M: OnceLock<std::sync::Mutex<std::collections::HashMap<u32, &'static AtomicU64>>> = OnceLock::new();
    let key = raw & 0xffff_ffe0;
    let mut m = M.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    *m.entry(key).or_insert_with(|| {
        let c: &'static AtomicU64 = Box::leak(Box::new(AtomicU64::new(0)));
        SYS_ROWS.lock().unwrap_or_else(|e| e.into_inner()).push((key, c));
        c
    })
}

static SYS_ROWS: std::sync::Mutex<Vec<(u32, &'static AtomicU64)>> = std::sync::Mutex::new(Vec::new());

/// Prints the call-out counts (when profiling), most frequent first, to stderr.
pub(crate) fn report() {
    if !profiling() {
        return;
    }
    let c = counters();
    let n = ENCODINGS.len() + 1;
    let name = |i: usize| ENCODINGS.get(i % n).map_or("(unallocated)", |e| e.name);
    let mut rows: Vec<(u64, String)> = (0..c.len())
        .filter_map(|i| {
            let v = c[i].load(Ordering::Relaxed);
            (v > 0).then(|| (v, if i >= n { format!("{} (slow path)", name(i)) } else { name(i).to_string() }))
        })
        .collect();
    for &(key, c) in SYS_ROWS.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        let v = c.load(Ordering::Relaxed);
        if v > 0 {
            let (l, o0, op1, crn, crm, op2) = (key >> 21 & 1, key >> 19 & 3, key >> 16 & 7, key >> 12 & 15, key >> 8 & 15, key >> 5 & 7);
            let kind = match (o0, l) {
                (1, 0) => "SYS",
                (1, 1) => "SYSL",
                (_, 0) => "MSR_reg",
                _ => "MRS",
            };
            rows.push((v, format!("{kind} op0={o0} op1={op1} C{crn} C{crm} op2={op2}")));
        }
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let total: u64 = rows.iter().map(|r| r.0).sum();
    eprintln!("lsemu-jit: call-outs by encoding ({total} in all)");
    for (v, s) in rows.iter().take(60) {
        eprintln!("{:>14} {:>6.2}%  {}", v, 100.0 * *v as f64 / total.max(1) as f64, s);
    }
}

use cpu_aarch64::decode::{DpImm, DpReg, Insn, Ldst};
use cpu_aarch64::semantics::alu;

use super::{mem_access, Addr, Ix, RAX, RCX, RDX};

/// The instructions of this module whose code keeps the register cache (`regcache`,
/// called by `emit::native` with it on): they read and write guest registers only through
/// `Em::load`/`Em::store` or `emit::mem_access` (whose fallback stores and reloads the
/// cached registers), use rax, rcx, rdx (and `mem_access`'s registers) only, and place
/// labels only where no path binds a cache entry.
pub(super) fn cached(e: &mut Em<'_, '_>, pc: u64, insn: &Insn) -> bool {
    match *insn {
        Insn::DpReg(d) => dp_reg(e, d),
        Insn::DpImm(DpImm::Bfm { sf, n, immr, imms, rn, rd }) => bfm(e, sf, n, immr, imms, rn, rd),
        Insn::Ldst(l) => ldst_sext(e, pc, l) || ordered(e, pc, l),
        _ => false,
    }
}

/// Emits `insn` natively if this module covers it (called when `emit::native` did not).
pub(super) fn native(e: &mut Em<'_, '_>, pc: u64, insn: &Insn) -> bool {
    match *insn {
        Insn::DpReg(d) => dp_reg(e, d),
        Insn::DpImm(DpImm::Bfm { sf, n, immr, imms, rn, rd }) => bfm(e, sf, n, immr, imms, rn, rd),
        Insn::Ldst(l) => ldst_sext(e, pc, l) || ordered(e, pc, l) || super::native3::native(e, pc, insn),
        Insn::System(_) => super::native3::native(e, pc, insn),
        _ => false,
    }
}

/// rax = CountLeadingZeroBits of rax at width `sf` (clobbers rcx).
fn clz_rax(e: &mut Em<'_, '_>, sf: bool) {
    let (w, m) = if sf { (64, 63) } else { (32, 31) };
    if sf {
        dynasm!(e.ops ; .arch x64 ; bsr rcx, rax);
    } else {
        dynasm!(e.ops ; .arch x64 ; bsr ecx, eax);
    }
    dynasm!(e.ops
        ; .arch x64
        ; jnz >nz
        ; mov eax, w
        ; jmp >done
        ; nz:
        ; mov eax, ecx
        ; xor eax, m
        ; done:
    );
}

/// rax = rax with its bits reversed (64 bits; clobbers rcx, rdx).
fn rbit_rax(e: &mut Em<'_, '_>) {
    dynasm!(e.ops ; .arch x64 ; bswap rax);
    for (mask, sh) in [(0x0f0f_0f0f_0f0f_0f0fu64, 4i8), (0x3333_3333_3333_3333, 2), (0x5555_5555_5555_5555, 1)] {
        // rax = ((rax >> sh) & mask) | ((rax & mask) << sh)
        dynasm!(e.ops
            ; .arch x64
            ; mov rdx, QWORD mask as i64
            ; mov rcx, rax
            ; shr rax, sh
            ; and rax, rdx
            ; and rcx, rdx
            ; shl rcx, sh
            ; or rax, rcx
        );
    }
}

fn dp_reg(e: &mut Em<'_, '_>, d: DpReg) -> bool {
    match d {
        DpReg::Umulh { rm, rn, rd } | DpReg::Smulh { rm, rn, rd } => {
            e.load(RAX, rn, false);
            e.load(RCX, rm, false);
            if matches!(d, DpReg::Umulh { .. }) {
                dynasm!(e.ops ; .arch x64 ; mul rcx);
            } else {
                dynasm!(e.ops ; .arch x64 ; imul rcx);
            }
            e.store(RDX, rd, false, true);
        }
        DpReg::Smaddl { rm, ra, rn, rd }
        | DpReg::Smsubl { rm, ra, rn, rd }
        | DpReg::Umaddl { rm, ra, rn, rd }
        | DpReg::Umsubl { rm, ra, rn, rd } => {
            e.load(RAX, rn, false);
            e.load(RCX, rm, false);
            if matches!(d, DpReg::Smaddl { .. } | DpReg::Smsubl { .. }) {
                dynasm!(e.ops ; .arch x64 ; movsxd rax, eax ; movsxd rcx, ecx);
            } else {
                dynasm!(e.ops ; .arch x64 ; mov eax, eax ; mov ecx, ecx);
            }
            // The 64-bit product of two 32-bit operands is exact; the low 64 bits of
            // imul are right for both signednesses.
            dynasm!(e.ops ; .arch x64 ; imul rax, rcx);
            e.load(RDX, ra, false);
            if matches!(d, DpReg::Smaddl { .. } | DpReg::Umaddl { .. }) {
                dynasm!(e.ops ; .arch x64 ; add rax, rdx);
            } else {
                dynasm!(e.ops ; .arch x64 ; sub rdx, rax ; mov rax, rdx);
            }
            e.store(RAX, rd, false, true);
        }
        DpReg::Cls { sf, rn, rd } => {
            // CLS(x) = CLZ(x<N-1:1> EOR x<N-2:0>) over N-1 bits = CLZ_N(x EOR (x ASR 1)) - 1.
            e.load(RAX, rn, false);
            if sf == 1 {
                dynasm!(e.ops ; .arch x64 ; mov rdx, rax ; sar rdx, 1 ; xor rax, rdx);
            } else {
                dynasm!(e.ops ; .arch x64 ; mov edx, eax ; sar edx, 1 ; xor eax, edx);
            }
            clz_rax(e, sf == 1);
            dynasm!(e.ops ; .arch x64 ; dec eax);
            e.store(RAX, rd, false, sf == 1);
        }
        DpReg::Rev16Gpr { sf, rn, rd } => {
            e.load(RAX, rn, false);
            dynasm!(e.ops
                ; .arch x64
                ; mov rdx, QWORD 0x00ff_00ff_00ff_00ff
                ; mov rcx, rax
                ; shr rax, 8
                ; and rax, rdx
                ; and rcx, rdx
                ; shl rcx, 8
                ; or rax, rcx
            );
            e.store(RAX, rd, false, sf == 1);
        }
        DpReg::Rbit { sf, rn, rd } => {
            e.load(RAX, rn, false);
            rbit_rax(e);
            if sf == 0 {
                dynasm!(e.ops ; .arch x64 ; shr rax, 32);
            }
            e.store(RAX, rd, false, sf == 1);
        }
        _ => return false,
    }
    e.pending += 1;
    true
}

/// BFM (BFI, BFXIL): Rd = (Rd AND NOT tmask) OR (((Rd AND NOT wmask) OR (ROR(Rn, R)
/// AND wmask)) AND tmask), as the Arm ARM pseudocode.
fn bfm(e: &mut Em<'_, '_>, sf: u32, n: u32, immr: u32, imms: u32, rn: u32, rd: u32) -> bool {
    let w = if sf == 1 { 64 } else { 32 };
    if n != sf || immr >= w || imms >= w {
        return false;
    }
    let Some((wmask, tmask)) = alu::decode_bit_masks(n, imms, immr, false, w) else { return false };
    let trunc = |v: u64| if sf == 1 { v } else { v & 0xffff_ffff };
    let (wmask, tmask) = (trunc(wmask), trunc(tmask));
    e.load(RAX, rn, false);
    if sf == 1 {
        dynasm!(e.ops ; .arch x64 ; ror rax, immr as i8);
    } else {
        dynasm!(e.ops ; .arch x64 ; ror eax, immr as i8);
    }
    // rax = ROR(src) AND wmask AND tmask; rcx = dst AND NOT (wmask AND tmask).
    let keep = trunc(!(wmask & tmask));
    dynasm!(e.ops
        ; .arch x64
        ; mov rdx, QWORD (wmask & tmask) as i64
        ; and rax, rdx
    );
    e.load(RCX, rd, false);
    dynasm!(e.ops
        ; .arch x64
        ; mov rdx, QWORD keep as i64
        ; and rcx, rdx
        ; or rax, rcx
    );
    e.store(RAX, rd, false, sf == 1);
    e.pending += 1;
    true
}

/// Load-acquire/store-release LDAR*/STLR* (B, H, W, X): the inline access of
/// `emit::mem_access` at [Xn] with no offset. Exact: the interpreter (`excl::ordered`)
/// forms the address as an ordinary load/store does (`base`: SP alignment check) and
/// reads/writes with `read_mem`/`write_mem`, whose fast path an access marked atomic
/// takes on the same `FastMem` hit condition (aligned, entry valid) that `probe` checks;
/// the acquire/release ordering has no effect in lsemu (one PE runs at a time); the
/// syndrome it sets matters only for a fault, which the slow path (the interpreter)
/// takes.
fn ordered(e: &mut Em<'_, '_>, pc: u64, l: Ldst) -> bool {
    let (load, n, rt, rn) = match l {
        Ldst::Stlrb { rn, rt } => (false, 1, rt, rn),
        Ldst::Stlrh { rn, rt } => (false, 2, rt, rn),
        Ldst::Stlr { sz, rn, rt } => (false, 4 << sz, rt, rn),
        Ldst::Ldarb { rn, rt } => (true, 1, rt, rn),
        Ldst::Ldarh { rn, rt } => (true, 2, rt, rn),
        Ldst::Ldar { sz, rn, rt } => (true, 4 << sz, rt, rn),
        _ => return false,
    };
    let raw = e.raw;
    mem_access(e, pc, raw, load, n, rt, None, rn, Addr::Imm(0), Ix::Off)
}

/// Sign-extending loads (LDRSB, LDRSH, LDRSW, LDURS*, LDPSW): the inline access of
/// `emit::mem_access` with the loaded value sign-extended (`Em::sext`).
fn ldst_sext(e: &mut Em<'_, '_>, pc: u64, l: Ldst) -> bool {
    let s9 = |imm9: u32| alu::sign_extend(imm9 as u64, 9) as i64;
    let s7 = |imm7: u32| alu::sign_extend(imm7 as u64, 7) as i64;
    // to64: the target is an X register (else W: sign-extend to 32 bits, zero-extend).
    let reg = |rm: u32, option: u32, shift: u32| Addr::Reg { rm, option, shift };
    let (n, to64, rt, rt2, rn, addr, ix) = match l {
        Ldst::LdrsbUoff { opc0, imm12, rn, rt } => (1, opc0 == 0, rt, None, rn, Addr::Imm(imm12 as i32), Ix::Off),
        Ldst::LdrsbPost { opc0, imm9, rn, rt } => (1, opc0 == 0, rt, None, rn, Addr::Imm(s9(imm9) as i32), Ix::Post),
        Ldst::LdrsbPre { opc0, imm9, rn, rt } => (1, opc0 == 0, rt, None, rn, Addr::Imm(s9(imm9) as i32), Ix::Pre),
        Ldst::LdrsbReg { opc0, rm, option, rn, rt, .. } => (1, opc0 == 0, rt, None, rn, reg(rm, option, 0), Ix::Off),
        Ldst::Ldursb { opc0, imm9, rn, rt } => (1, opc0 == 0, rt, None, rn, Addr::Imm(s9(imm9) as i32), Ix::Off),
        Ldst::LdrshUoff { opc0, imm12, rn, rt } => (2, opc0 == 0, rt, None, rn, Addr::Imm((imm12 << 1) as i32), Ix::Off),
        Ldst::LdrshPost { opc0, imm9, rn, rt } => (2, opc0 == 0, rt, None, rn, Addr::Imm(s9(imm9) as i32), Ix::Post),
        Ldst::LdrshPre { opc0, imm9, rn, rt } => (2, opc0 == 0, rt, None, rn, Addr::Imm(s9(imm9) as i32), Ix::Pre),
        Ldst::LdrshReg { opc0, rm, option, s, rn, rt } => (2, opc0 == 0, rt, None, rn, reg(rm, option, s), Ix::Off),
        Ldst::Ldursh { opc0, imm9, rn, rt } => (2, opc0 == 0, rt, None, rn, Addr::Imm(s9(imm9) as i32), Ix::Off),
        Ldst::LdrswUoff { imm12, rn, rt } => (4, true, rt, None, rn, Addr::Imm((imm12 << 2) as i32), Ix::Off),
        Ldst::LdrswPost { imm9, rn, rt } => (4, true, rt, None, rn, Addr::Imm(s9(imm9) as i32), Ix::Post),
        Ldst::LdrswPre { imm9, rn, rt } => (4, true, rt, None, rn, Addr::Imm(s9(imm9) as i32), Ix::Pre),
        Ldst::LdrswReg { rm, option, s, rn, rt } => (4, true, rt, None, rn, reg(rm, option, 2 * s), Ix::Off),
        Ldst::Ldursw { imm9, rn, rt } => (4, true, rt, None, rn, Addr::Imm(s9(imm9) as i32), Ix::Off),
        Ldst::LdpswOff { imm7, rt2, rn, rt } => (4, true, rt, Some(rt2), rn, Addr::Imm((s7(imm7) << 2) as i32), Ix::Off),
        Ldst::LdpswPre { imm7, rt2, rn, rt } => (4, true, rt, Some(rt2), rn, Addr::Imm((s7(imm7) << 2) as i32), Ix::Pre),
        Ldst::LdpswPost { imm7, rt2, rn, rt } => (4, true, rt, Some(rt2), rn, Addr::Imm((s7(imm7) << 2) as i32), Ix::Post),
        _ => return false,
    };
    if let Addr::Reg { option, .. } = addr {
        if !matches!(option, 0b010 | 0b011 | 0b110 | 0b111) {
            return false;
        }
    }
    // CONSTRAINED UNPREDICTABLE register overlaps: the interpreter's choice applies.
    if ix != Ix::Off && rn != 31 && (rt == rn || rt2 == Some(rn)) {
        return false;
    }
    if rt2 == Some(rt) {
        return false;
    }
    e.sext = if to64 { 64 } else { 32 };
    let raw = e.raw;
    let r = mem_access(e, pc, raw, true, n, rt, rt2, rn, addr, ix);
    e.sext = 0;
    r
}

/// Sign-extends the `n`-byte value loaded into host register `h` as `Em::sext` says
/// (0: no, 32: to 32 bits and zero-extended, 64: to 64 bits).
pub(super) fn sext(e: &mut Em<'_, '_>, h: u8, n: u32) {
    match (e.sext, n) {
        (64, 1) => dynasm!(e.ops ; .arch x64 ; movsx Rq(h), Rb(h)),
        (64, 2) => dynasm!(e.ops ; .arch x64 ; movsx Rq(h), Rw(h)),
        (64, 4) => dynasm!(e.ops ; .arch x64 ; movsxd Rq(h), Rd(h)),
        (32, 1) => dynasm!(e.ops ; .arch x64 ; movsx Rd(h), Rb(h)),
        (32, 2) => dynasm!(e.ops ; .arch x64 ; movsx Rd(h), Rw(h)),
        _ => {}
    }
}
