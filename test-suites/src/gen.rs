//! Random instruction sequences and initial states for the QEMU differential test, driven
//! by `cpu_aarch64::decode::ENCODINGS`.

use cpu_aarch64::decode::{lookup, Encoding, Field, ENCODINGS};

use crate::diff::{Case, Regs, BASE_REG, EXCL_BASE_REG, INDEX_REG, MAX_INSNS, SCRATCH_BASE, SCRATCH_SIZE};

/// A small deterministic PRNG (splitmix64).
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5851_f42d_4c95_7f2d)
    }
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }
    pub fn pick<'a, T>(&mut self, s: &'a [T]) -> &'a T {
        &s[self.below(s.len() as u64) as usize]
    }
}

/// Encodings never generated, with the reason. Matched against `asm=` (the base mnemonic).
pub const DO_NOT_TEST: &[(&str, &str)] = &[
    ("svc", "system call: the harness cannot return from it"),
    ("hvc", "UNDEFINED at EL0 under Linux but qemu-user may treat it differently; not user-space behaviour"),
    ("smc", "UNDEFINED at EL0 under Linux but qemu-user may treat it differently; not user-space behaviour"),
    ("sysl", "system instructions with result: none is defined for EL0"),
    ("wfi", "waits for an interrupt"),
    ("wfe", "waits for an event"),
    ("yield", "scheduling hint, no architectural effect to compare"),
    ("sev", "event to other PEs, no architectural effect to compare"),
    ("sevl", "event register only, not visible"),
    ("eret", "exception return: UNDEFINED at EL0, but the target is random"),
    ("drps", "debug state only"),
    ("dcps1", "debug state only"),
    ("dcps2", "debug state only"),
    ("dcps3", "debug state only"),
];

/// System registers MRS/MSR (register) are generated with (o0, op1, CRn, CRm, op2): the
/// EL0-accessible registers whose value both sides define the same way. Random encodings
/// would read ID or timer registers that Linux emulates or traps. TPIDR_EL0 is left out:
/// the harness carries X30 in it.
const SAFE_SYSREGS: &[(&str, [u32; 5], bool)] = &[
    ("nzcv", [1, 3, 4, 2, 0], true),
    ("fpcr", [1, 3, 4, 4, 0], true),
    ("fpsr", [1, 3, 4, 4, 1], true),
    ("dczid_el0", [1, 3, 0, 0, 7], false),
    ("ctr_el0", [1, 3, 0, 0, 1], false),
];

/// SYS operations generated (op1, CRn, CRm, op2), all with a base register near the buffer:
/// DC ZVA, DC CVAC, DC CVAU, DC CIVAC, IC IVAU (EL0-enabled by SCTLR_EL1.UCI/DZE).
const SAFE_SYS: &[[u32; 4]] = &[[3, 7, 4, 1], [3, 7, 10, 1], [3, 7, 11, 1], [3, 7, 14, 1], [3, 7, 5, 1]];

/// Whether an encoding may appear in generated sequences.
pub fn testable(e: &Encoding) -> bool {
    !e.is_unalloc() && !DO_NOT_TEST.iter().any(|(m, _)| *m == e.asm)
}

/// Whether an encoding accesses memory with base register `rn`.
pub fn is_mem(e: &Encoding) -> bool {
    (e.asm.starts_with("ld") || e.asm.starts_with("st") || e.group.contains("ldst")) && e.field("rn").is_some()
}

/// Whether an encoding is a PC-relative load (LDR/LDRSW literal).
pub fn is_literal(e: &Encoding) -> bool {
    e.asm.starts_with("ld") && e.field("imm19").is_some() && e.field("rn").is_none()
}

/// BR, BLR, RET: generated as `ADR Xn, <forward target>; BR Xn` (a random Xn would
/// branch anywhere).
pub fn is_indirect(e: &Encoding) -> bool {
    matches!(e.asm, "br" | "blr" | "ret")
}

/// Whether an encoding is a direct branch with an immediate offset.
pub fn is_branch(e: &Encoding) -> bool {
    matches!(e.asm, "b" | "bl" | "b.cond" | "cbz" | "cbnz" | "tbz" | "tbnz") || (e.group == "branch" && e.asm.starts_with("b."))
}

pub fn insert(f: &Field, w: u32, v: u32) -> u32 {
    let mut w = w;
    let mut shift = f.width();
    for s in f.slices {
        shift -= s.width;
        let m = (((1u64 << s.width) - 1) as u32) << s.lo;
        w = (w & !m) | (((v >> shift) << s.lo) & m);
    }
    w
}

fn set(e: &Encoding, w: u32, name: &str, v: u32) -> u32 {
    match e.field(name) {
        Some(f) => insert(f, w, v),
        None => w,
    }
}

fn get(e: &Encoding, w: u32, name: &str) -> Option<u32> {
    e.field(name).map(|f| f.extract(w))
}

/// Generation options.
#[derive(Debug, Clone)]
pub struct GenOpts {
    /// Groups to draw encodings from (empty: all).
    pub groups: Vec<String>,
    /// Keep every data access naturally aligned (for when lsemu's MMU is off and all
    /// data accesses are Device memory).
    pub aligned: bool,
    pub max_len: usize,
}

/// The encodings of the selected groups that can be generated.
pub fn candidates(groups: &[String]) -> Vec<usize> {
    ENCODINGS
        .iter()
        .enumerate()
        .filter(|(_, e)| testable(e) && (groups.is_empty() || groups.iter().any(|g| g == e.group)))
        .map(|(i, _)| i)
        .collect()
}

/// Per-sequence choices that fixups need.
struct SeqCtx {
    /// Loads/stores use SP as base (SP then points into the scratch buffer and no other
    /// instruction may write SP).
    sp_base: bool,
    aligned: bool,
    len: usize,
    excl: Excl,
}

/// The exclusive monitor as the generator tracks it. A store-exclusive whose size, address
/// or intervening accesses differ from its load-exclusive's is CONSTRAINED UNPREDICTABLE
/// (Arm ARM B2.9.5): qemu and the A72 may legitimately differ. So a store-exclusive either
/// runs with no reservation open (it fails everywhere) or immediately follows its
/// load-exclusive with the same size, pairing and base register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Excl {
    Open,
    /// A load-exclusive at this index: (index, bits 31:30, pair bit 21, rn).
    Reserved(usize, u32, u32, u32),
    /// A reservation was taken and not paired: no more exclusives in this sequence.
    Poisoned,
}

fn is_load_excl(e: &Encoding) -> bool {
    matches!(e.asm, "ldxr" | "ldaxr" | "ldxrb" | "ldaxrb" | "ldxrh" | "ldaxrh" | "ldxp" | "ldaxp")
}

fn is_store_excl(e: &Encoding) -> bool {
    matches!(e.asm, "stxr" | "stlxr" | "stxrb" | "stlxrb" | "stxrh" | "stlxrh" | "stxp" | "stlxp")
}

/// AdvSIMD structure loads/stores (LD1..LD4, LD1R..LD4R, ST1..ST4).
fn is_structure(e: &Encoding) -> bool {
    let a = e.asm.as_bytes();
    a.len() >= 3 && (a.starts_with(b"ld") || a.starts_with(b"st")) && a[2].is_ascii_digit()
}

/// Makes one instruction word of encoding `idx` at sequence position `k`, or `None` if
/// random fields did not decode back to this encoding.
fn make_word(r: &mut Rng, idx: usize, k: usize, cx: &mut SeqCtx) -> Option<u32> {
    let e = &ENCODINGS[idx];
    // Instructions that always fault end the sequence: keep them rare.
    let always_faults = matches!(e.asm, "brk" | "hlt" | "udf") || e.asm == "msr" && e.field("o0").is_none();
    if always_faults && !r.chance(1, 8) {
        return None;
    }
    if let Excl::Reserved(at, ..) = cx.excl {
        if k > at + 1 {
            cx.excl = Excl::Poisoned;
        }
    }
    match cx.excl {
        Excl::Reserved(at, ..) if is_load_excl(e) || is_store_excl(e) && k != at + 1 => return None,
        Excl::Poisoned if is_load_excl(e) || is_store_excl(e) => return None,
        _ => {}
    }
    let mut w = e.bits | (r.next() as u32 & !e.mask);
    // X26..X28 are reserved (index and base registers): nothing writes them.
    for name in ["rd", "rt", "rt2", "rs"] {
        if matches!(get(e, w, name), Some(n) if (INDEX_REG..=BASE_REG).contains(&n)) {
            w = set(e, w, name, r.below(26) as u32);
        }
    }
    if e.asm == "mrs" || e.name == "MSR_reg" || e.asm == "msr" && e.field("o0").is_some() {
        let write = e.asm == "msr";
        let cands: Vec<_> = SAFE_SYSREGS.iter().filter(|s| !write || s.2).collect();
        let (_, f, _) = **r.pick(&cands);
        for (name, v) in ["o0", "op1", "crn", "crm", "op2"].iter().zip(f) {
            w = set(e, w, name, v);
        }
    }
    if e.asm == "sys" {
        let f = *r.pick(SAFE_SYS);
        for (name, v) in ["op1", "crn", "crm", "op2"].iter().zip(f) {
            w = set(e, w, name, v);
        }
        w = set(e, w, "rt", BASE_REG);
    }
    if is_mem(e) {
        // Exclusives and acquire/release use X27, which no instruction moves: QEMU skips
        // the alignment check of a store-exclusive that has no reservation (the Arm ARM
        // checks alignment first), so their addresses must stay aligned.
        let ordered = is_load_excl(e) || is_store_excl(e) || e.asm.starts_with("ldar") || e.asm.starts_with("stlr");
        // Load-exclusives and load-acquire/store-release check alignment on both sides:
        // sometimes give them the moving base X28 so alignment faults are tested too.
        let may_misalign = is_load_excl(e) || e.asm.starts_with("ldar") || e.asm.starts_with("stlr");
        let rn = if cx.sp_base && !is_structure(e) && r.chance(1, 2) {
            31
        } else if ordered && !(may_misalign && r.chance(1, 4)) {
            EXCL_BASE_REG
        } else {
            BASE_REG
        };
        w = set(e, w, "rn", rn);
        if rn == 31 {
            // QEMU does not check SP alignment (SCTLR_EL1.SA0), lsemu does: keep SP
            // 16-byte aligned across writebacks.
            if let Some(v) = get(e, w, "imm9") {
                w = set(e, w, "imm9", v & !0xf);
            }
            if let Some(v) = get(e, w, "imm7") {
                w = set(e, w, "imm7", v & !0x3);
            }
        }
        if is_store_excl(e) {
            if let Excl::Reserved(_, size, pair, rn) = cx.excl {
                w = (w & !(3 << 30 | 1 << 21)) | size << 30 | pair << 21;
                w = set(e, w, "rn", rn);
            }
        }
        // Offsets kept inside the buffer around the base (middle of the buffer).
        if let Some(v) = get(e, w, "imm12") {
            w = set(e, w, "imm12", v % 128);
        }
        // Addresses must stay near the buffer: with QEMU user mode a wild address may hit
        // memory of the QEMU process itself (guest and host share the address space), which
        // reads as data instead of faulting. Register offsets use X26 (a small value that
        // nothing writes); structure loads/stores post-increment by the immediate.
        if e.field("rm").is_some() {
            let rm = if is_structure(e) || cx.aligned { 31 } else { INDEX_REG };
            w = set(e, w, "rm", rm);
        }
        if cx.aligned {
            if let Some(v) = get(e, w, "imm9") {
                w = set(e, w, "imm9", v & !0xf);
            }
        }
        // UNPREDICTABLE register combinations.
        if e.asm.starts_with("ld") {
            if let (Some(t), Some(t2)) = (get(e, w, "rt"), get(e, w, "rt2")) {
                if t == t2 {
                    w = set(e, w, "rt2", (t + 1) % 26);
                }
            }
        }
        if e.asm.starts_with("st") && e.asm.contains('x') {
            if let Some(s) = get(e, w, "rs") {
                let t = get(e, w, "rt");
                let t2 = get(e, w, "rt2");
                if Some(s) == t || Some(s) == t2 || s == 31 {
                    let mut ns = r.below(26) as u32;
                    while Some(ns) == t || Some(ns) == t2 {
                        ns = (ns + 1) % 26;
                    }
                    w = set(e, w, "rs", ns);
                }
            }
        }
    } else if cx.sp_base && get(e, w, "rd") == Some(31) {
        w = set(e, w, "rd", r.below(26) as u32);
    }
    if is_branch(e) {
        let fwd = 1 + r.below((cx.len - k) as u64) as u32; // target index k+fwd <= len
        for name in ["imm26", "imm19", "imm14"] {
            w = set(e, w, name, fwd);
        }
    } else if is_literal(e) {
        // load literal: a target inside the code page (16-byte aligned in aligned mode)
        let pc_word = 1 + k as i64;
        let mut t = r.below(256) as i64;
        if cx.aligned {
            t &= !3;
        }
        w = set(e, w, "imm19", (t - pc_word) as u32 & 0x7ffff);
    }
    if lookup(w) != Some(idx as u16) {
        return None;
    }
    if is_load_excl(e) {
        cx.excl = Excl::Reserved(k, w >> 30, (w >> 21) & 1, get(e, w, "rn").unwrap_or(BASE_REG));
    } else if is_store_excl(e) && cx.excl != Excl::Open {
        cx.excl = Excl::Poisoned;
    }
    Some(w)
}

const BOUNDARY: &[u64] = &[
    0,
    1,
    2,
    u64::MAX,
    u64::MAX - 1,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0xffff_ffff_8000_0000,
    0x7fff_ffff_ffff_ffff,
    0x8000_0000_0000_0000,
    0x8000_0000_0000_0001,
    0x00ff,
    0xff00,
    0x7f,
    0x80,
    0xffff,
    0x8000,
    0x7fff,
];

fn gpr_value(r: &mut Rng) -> u64 {
    match r.below(6) {
        0 => r.below(17),
        1 => *r.pick(BOUNDARY),
        2 => (r.below(64) as i64 - 32) as u64,
        3 => r.next() as u32 as u64,
        _ => r.next(),
    }
}

pub const F16: &[u64] = &[0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x7c01, 0xfe01, 0x0001, 0x03ff, 0x0400, 0x3c00, 0xbc00, 0x7bff, 0x3800];
pub const F32: &[u64] = &[
    0x0000_0000, 0x8000_0000, 0x7f80_0000, 0xff80_0000, 0x7fc0_0000, 0xffc0_0000, 0x7f80_0001, 0x7fa0_0000, 0x0000_0001,
    0x807f_ffff, 0x0080_0000, 0x3f80_0000, 0xbf80_0000, 0x7f7f_ffff, 0x4f00_0000, 0xcf00_0000, 0x4b00_0000, 0x3f00_0000,
    0x5f00_0000, 0x3fc0_0000,
];
pub const F64: &[u64] = &[
    0,
    0x8000_0000_0000_0000,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0000,
    0x7ff0_0000_0000_0001,
    0x7ff4_0000_0000_0000,
    0x0000_0000_0000_0001,
    0x000f_ffff_ffff_ffff,
    0x0010_0000_0000_0000,
    0x3ff0_0000_0000_0000,
    0xbff0_0000_0000_0000,
    0x7fef_ffff_ffff_ffff,
    0x43e0_0000_0000_0000,
    0xc3e0_0000_0000_0000,
    0x41e0_0000_0000_0000,
    0x4330_0000_0000_0000,
    0x3fe0_0000_0000_0000,
    0x3ff8_0000_0000_0000,
];

fn half64(r: &mut Rng) -> u64 {
    match r.below(6) {
        0 => *r.pick(F64),
        1 => *r.pick(F32) | *r.pick(F32) << 32,
        2 => (0..4).fold(0, |a, i| a | *r.pick(F16) << (16 * i)),
        3 => r.below(16) | r.below(16) << 32,
        4 => 0,
        _ => r.next(),
    }
}

/// A random initial register state. X28 (and SP when `sp_base`) point into the scratch
/// buffer's middle.
pub fn random_regs(r: &mut Rng, sp_base: bool) -> Regs {
    let mut g = Regs::default();
    for i in 0..31 {
        g.x[i] = gpr_value(r);
    }
    let mid = SCRATCH_BASE + SCRATCH_SIZE as u64 / 2;
    g.x[BASE_REG as usize] = mid;
    g.x[EXCL_BASE_REG as usize] = SCRATCH_BASE + 0x400;
    g.x[INDEX_REG as usize] = (r.below(320) as i64 - 64) as u64;
    g.sp = if sp_base { mid - 16 * r.below(4) } else { gpr_value(r) & !0xf };
    g.nzcv = r.below(16) << 28;
    let rmode = if r.chance(1, 2) { 0 } else { r.below(4) };
    let mut fpcr = rmode << 22;
    if r.chance(1, 4) {
        fpcr |= 1 << 24; // FZ
    }
    if r.chance(1, 4) {
        fpcr |= 1 << 25; // DN
    }
    if r.chance(1, 4) {
        fpcr |= 1 << 26; // AHP
    }
    g.fpcr = fpcr;
    g.fpsr = if r.chance(1, 2) { 0 } else { r.next() & 0x0800_009f };
    for i in 0..32 {
        g.v[i] = half64(r) as u128 | (half64(r) as u128) << 64;
    }
    g
}

/// Generates one case from the candidate encodings `cands` (indices into `ENCODINGS`).
pub fn random_case(r: &mut Rng, cands: &[usize], opts: &GenOpts) -> Case {
    let len = 1 + r.below(opts.max_len.clamp(1, MAX_INSNS) as u64) as usize;
    let sp_base = r.chance(1, 3);
    let mut cx = SeqCtx { sp_base, aligned: opts.aligned, len, excl: Excl::Open };
    let mut insns = Vec::with_capacity(len);
    // Indices of the BR/BLR/RET of `ADR Xn; BR Xn` pairs.
    let mut indirect_at = Vec::new();
    while insns.len() < len && !cands.is_empty() {
        let k = insns.len();
        let mut got = None;
        for _ in 0..32 {
            let idx = *r.pick(cands);
            let e = &ENCODINGS[idx];
            if is_indirect(e) {
                if k + 2 > len {
                    continue;
                }
                let n = r.below(26) as u32;
                let t = k + 2 + r.below((len - k - 1) as u64) as usize; // target in k+2..=len
                let off = ((t - k) * 4) as u32;
                let adr = 0x1000_0000 | (off & 3) << 29 | (off >> 2) << 5 | n;
                let br = set(e, e.bits, "rn", n);
                if lookup(br) == Some(idx as u16) && lookup(adr).is_some() {
                    insns.push(adr);
                    indirect_at.push(k + 1);
                    got = Some(br);
                    break;
                }
                continue;
            }
            if let Some(w) = make_word(r, idx, k, &mut cx) {
                got = Some(w);
                break;
            }
        }
        match got {
            Some(w) => insns.push(w),
            None => insns.push(0xd503_201f), // NOP
        }
    }
    // A direct branch must not skip the ADR of a pair: Xn would hold an older target and
    // the indirect branch could go backwards (a loop). Retarget such branches to the ADR.
    // The same holds for the target of a pair's ADR.
    for (k, slot) in insns.iter_mut().enumerate() {
        let w = *slot;
        if indirect_at.contains(&(k + 1)) {
            let fwd = ((w >> 5) & 0x7ffff) as usize; // ADR immhi (immlo = 0)
            if indirect_at.contains(&(k + fwd)) {
                *slot = (w & !(0x7ffff << 5)) | ((fwd as u32 - 1) << 5);
            }
            continue;
        }
        let Some(i) = lookup(w) else { continue };
        let e = &ENCODINGS[i as usize];
        if !is_branch(e) {
            continue;
        }
        for name in ["imm26", "imm19", "imm14"] {
            if let Some(f) = e.field(name) {
                let fwd = f.extract(w) as usize;
                if indirect_at.contains(&(k + fwd)) {
                    *slot = insert(f, w, (fwd - 1) as u32);
                }
            }
        }
    }
    let mut scratch = vec![0u8; SCRATCH_SIZE];
    for chunk in scratch.chunks_mut(8) {
        let v = if r.chance(1, 3) { half64(r) } else { r.next() };
        chunk.copy_from_slice(&v.to_le_bytes()[..chunk.len()]);
    }
    Case { regs: random_regs(r, sp_base), scratch, insns }
}
