//! Semantics of the AdvSIMD integer group (`isa/simd.decode`) against an independent
//! oracle: QEMU user mode. For every line of the table, pseudo-random instruction words
//! (fixed bits + random free bits) are run on random register states in a static aarch64
//! program under `qemu-aarch64` and in lsemu's interpreter; V0-V31, X0-X15 and FPSR must
//! match. Skipped (with a message) when the cross toolchain or qemu-aarch64 is missing.
//! `LSEMU_SIMD_CASES` sets the number of cases per encoding (default 24).

use cpu_aarch64::decode::{decode, lookup, Insn, ENCODINGS};
use cpu_aarch64::interp::{self, Flow};
use cpu_aarch64::platform::FlatRam;
use cpu_aarch64::{Cpu, CpuConfig};
use std::process::Command;

const X_REGS: usize = 16;
const STATE_BYTES: usize = 32 * 16 + X_REGS * 8 + 8;

fn tools_present() -> bool {
    ["aarch64-linux-gnu-gcc", "qemu-aarch64"].iter().all(|t| Command::new(t).arg("--version").output().is_ok())
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// A 64-bit value biased toward lane boundary values (saturation, sign changes).
    fn lane_value(&mut self) -> u64 {
        let mut v = 0u64;
        for i in 0..8 {
            let b = match self.next() % 8 {
                0 => 0x00,
                1 => 0xff,
                2 => 0x80,
                3 => 0x7f,
                4 => 0x01,
                _ => self.next() as u8,
            };
            v |= (b as u64) << (8 * i);
        }
        match self.next() % 4 {
            0 => self.next(),
            _ => v,
        }
    }
}

#[derive(Clone)]
struct State {
    v: [u128; 32],
    x: [u64; X_REGS],
    fpsr: u64,
}

impl State {
    fn random(r: &mut Rng) -> Self {
        let mut v = [0u128; 32];
        for q in v.iter_mut() {
            *q = (r.lane_value() as u128) | ((r.lane_value() as u128) << 64);
        }
        let mut x = [0u64; X_REGS];
        for g in x.iter_mut() {
            *g = r.lane_value();
        }
        State { v, x, fpsr: 0 }
    }
    fn bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(STATE_BYTES);
        for q in &self.v {
            b.extend_from_slice(&q.to_le_bytes());
        }
        for g in &self.x {
            b.extend_from_slice(&g.to_le_bytes());
        }
        b.extend_from_slice(&self.fpsr.to_le_bytes());
        b
    }
    fn from_bytes(b: &[u8]) -> Self {
        let mut v = [0u128; 32];
        for (i, q) in v.iter_mut().enumerate() {
            *q = u128::from_le_bytes(b[i * 16..i * 16 + 16].try_into().unwrap());
        }
        let mut x = [0u64; X_REGS];
        for (i, g) in x.iter_mut().enumerate() {
            let o = 512 + i * 8;
            *g = u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
        }
        let o = 512 + X_REGS * 8;
        State { v, x, fpsr: u64::from_le_bytes(b[o..o + 8].try_into().unwrap()) }
    }
}

/// Runs one word in lsemu's interpreter from `st`.
fn run_lsemu(w: u32, st: &State) -> Result<State, String> {
    let mut cpu = Cpu::new(CpuConfig::default());
    let mut plat = FlatRam::new(0, 0x1000);
    cpu.st.v = st.v;
    cpu.st.x[..X_REGS].copy_from_slice(&st.x);
    cpu.st.fpsr = 0;
    let insn = decode(w);
    match interp::exec(&mut cpu, &mut plat, &insn, w) {
        Ok(Flow::Next) => {}
        other => return Err(format!("exec returned {other:?}")),
    }
    let mut x = [0u64; X_REGS];
    x.copy_from_slice(&cpu.st.x[..X_REGS]);
    Ok(State { v: cpu.st.v, x, fpsr: cpu.st.fpsr as u64 })
}

/// Builds the static test program: for each case, load the state, run the word, store the
/// state; at the end write all results to stdout.
fn build_program(dir: &std::path::Path, words: &[u32], inputs: &[State]) -> std::path::PathBuf {
    let mut s = String::new();
    s.push_str(
        r#"
    .text
    .global _start
load_state:
    ldp q0, q1, [x20], #32
    ldp q2, q3, [x20], #32
    ldp q4, q5, [x20], #32
    ldp q6, q7, [x20], #32
    ldp q8, q9, [x20], #32
    ldp q10, q11, [x20], #32
    ldp q12, q13, [x20], #32
    ldp q14, q15, [x20], #32
    ldp q16, q17, [x20], #32
    ldp q18, q19, [x20], #32
    ldp q20, q21, [x20], #32
    ldp q22, q23, [x20], #32
    ldp q24, q25, [x20], #32
    ldp q26, q27, [x20], #32
    ldp q28, q29, [x20], #32
    ldp q30, q31, [x20], #32
    ldp x0, x1, [x20], #16
    ldp x2, x3, [x20], #16
    ldp x4, x5, [x20], #16
    ldp x6, x7, [x20], #16
    ldp x8, x9, [x20], #16
    ldp x10, x11, [x20], #16
    ldp x12, x13, [x20], #16
    ldp x14, x15, [x20], #16
    add x20, x20, #8
    msr fpsr, xzr
    ret
store_state:
    stp q0, q1, [x21], #32
    stp q2, q3, [x21], #32
    stp q4, q5, [x21], #32
    stp q6, q7, [x21], #32
    stp q8, q9, [x21], #32
    stp q10, q11, [x21], #32
    stp q12, q13, [x21], #32
    stp q14, q15, [x21], #32
    stp q16, q17, [x21], #32
    stp q18, q19, [x21], #32
    stp q20, q21, [x21], #32
    stp q22, q23, [x21], #32
    stp q24, q25, [x21], #32
    stp q26, q27, [x21], #32
    stp q28, q29, [x21], #32
    stp q30, q31, [x21], #32
    stp x0, x1, [x21], #16
    stp x2, x3, [x21], #16
    stp x4, x5, [x21], #16
    stp x6, x7, [x21], #16
    stp x8, x9, [x21], #16
    stp x10, x11, [x21], #16
    stp x12, x13, [x21], #16
    stp x14, x15, [x21], #16
    mrs x22, fpsr
    str x22, [x21], #8
    ret
_start:
    adrp x20, inputs
    add x20, x20, :lo12:inputs
    adrp x21, outputs
    add x21, x21, :lo12:outputs
"#,
    );
    for w in words {
        s.push_str(&format!("    bl load_state\n    .inst {w:#010x}\n    bl store_state\n"));
    }
    s.push_str(&format!(
        r#"
    adrp x1, outputs
    add x1, x1, :lo12:outputs
    ldr x2, ={total}
1:  mov x0, #1
    mov x8, #64
    svc #0
    cmp x0, #0
    b.le 2f
    add x1, x1, x0
    subs x2, x2, x0
    b.ne 1b
2:  mov x0, #0
    mov x8, #93
    svc #0
    .ltorg
    .data
    .balign 16
inputs:
    .incbin "inputs.bin"
    .bss
    .balign 16
outputs:
    .skip {total}
"#,
        total = words.len() * STATE_BYTES
    ));
    let mut inb = Vec::new();
    for st in inputs {
        inb.extend_from_slice(&st.bytes());
    }
    std::fs::write(dir.join("inputs.bin"), inb).unwrap();
    std::fs::write(dir.join("t.S"), s).unwrap();
    let exe = dir.join("t.elf");
    let out = Command::new("aarch64-linux-gnu-gcc")
        .current_dir(dir)
        .args(["-static", "-nostdlib", "-o"])
        .arg(&exe)
        .arg("t.S")
        .output()
        .unwrap();
    assert!(out.status.success(), "gcc failed: {}", String::from_utf8_lossy(&out.stderr));
    exe
}

/// Words that reach the executor of `name` (the line itself must match, not another one).
fn words_for(e_idx: usize, n: usize, r: &mut Rng) -> Vec<u32> {
    let e = &ENCODINGS[e_idx];
    let gpr = matches!(e.name, "DUP_gen" | "INS_gen" | "SMOV" | "UMOV");
    let mut out = Vec::new();
    let mut tries = 0;
    while out.len() < n && tries < n * 200 {
        tries += 1;
        let mut w = e.bits | (r.next() as u32 & !e.mask);
        if gpr {
            // keep general-purpose operands in X0..X15 (the harness uses X20+)
            w &= !(1 << 4) & !(1 << 9);
        }
        if lookup(w).map(|i| i as usize) == Some(e_idx) {
            out.push(w);
        }
    }
    out
}

fn disasm(w: u32) -> String {
    let dir = std::env::temp_dir().join(format!("lsemu-simd-dis-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("d.s"), format!(".inst {w:#010x}\n")).unwrap();
    let _ = Command::new("aarch64-linux-gnu-as").current_dir(&dir).args(["d.s", "-o", "d.o"]).output();
    let o = Command::new("aarch64-linux-gnu-objdump").current_dir(&dir).args(["-d", "d.o"]).output();
    o.map(|o| String::from_utf8_lossy(&o.stdout).lines().last().unwrap_or("").trim().to_string()).unwrap_or_default()
}

#[test]
fn simd_integer_matches_qemu() {
    if !tools_present() {
        eprintln!("skipped: aarch64-linux-gnu-gcc or qemu-aarch64 not installed");
        return;
    }
    let per: usize = std::env::var("LSEMU_SIMD_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24);
    let filter = std::env::var("LSEMU_SIMD_FILTER").ok();
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut words = Vec::new();
    let mut names = Vec::new();
    for (i, e) in ENCODINGS.iter().enumerate() {
        if e.group != "simd" || e.is_unalloc() {
            continue;
        }
        if let Some(f) = &filter {
            if !e.name.contains(f.as_str()) {
                continue;
            }
        }
        for w in words_for(i, per, &mut r) {
            words.push(w);
            names.push(e.name);
        }
    }
    let inputs: Vec<State> = words.iter().map(|_| State::random(&mut r)).collect();
    let dir = std::env::temp_dir().join(format!("lsemu-simd-qemu-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exe = build_program(&dir, &words, &inputs);
    let out = Command::new("qemu-aarch64").arg("-cpu").arg("cortex-a72").arg(&exe).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "qemu run failed: {:?} {}", out.status, String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout.len(), words.len() * STATE_BYTES, "qemu output size");
    let mut bad = Vec::new();
    let mut bad_names = std::collections::BTreeMap::new();
    for (k, (&w, inp)) in words.iter().zip(&inputs).enumerate() {
        let want = State::from_bytes(&out.stdout[k * STATE_BYTES..(k + 1) * STATE_BYTES]);
        let got = match run_lsemu(w, inp) {
            Ok(g) => g,
            Err(e) => {
                bad.push(format!("{} {w:08x}: {e}", names[k]));
                continue;
            }
        };
        let mut diffs = Vec::new();
        for i in 0..32 {
            if got.v[i] != want.v[i] {
                diffs.push(format!("v{i}: got {:032x} want {:032x}", got.v[i], want.v[i]));
            }
        }
        for i in 0..X_REGS {
            if got.x[i] != want.x[i] {
                diffs.push(format!("x{i}: got {:016x} want {:016x}", got.x[i], want.x[i]));
            }
        }
        if got.fpsr != want.fpsr {
            diffs.push(format!("fpsr: got {:x} want {:x}", got.fpsr, want.fpsr));
        }
        if !diffs.is_empty() {
            let c = bad_names.entry(names[k]).or_insert(0);
            *c += 1;
            if *c <= 2 {
                let n = (w >> 5) & 31;
                let m = (w >> 16) & 31;
                let d = w & 31;
                bad.push(format!(
                    "{} {w:08x} [{}]\n  in vn={:032x} vm={:032x} vd={:032x}\n  {}",
                    names[k],
                    disasm(w),
                    inp.v[n as usize],
                    inp.v[m as usize],
                    inp.v[d as usize],
                    diffs.join("\n  ")
                ));
            }
        }
    }
    eprintln!("{} cases over {} encodings", words.len(), names.iter().collect::<std::collections::HashSet<_>>().len());
    assert!(bad.is_empty(), "mismatching encodings: {bad_names:?}\n{}", bad.join("\n"));
}

#[test]
fn decode_of_non_simd_is_not_simd() {
    // sanity: a base instruction is not claimed by this group
    assert!(!matches!(decode(0xd503201f), Insn::Simd(_)));
}
