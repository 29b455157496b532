//! Runs single A64 instructions under `qemu-aarch64` (user mode) through a small static C
//! program (tests/fp_oracle/oracle.c). QEMU's softfloat models Arm FP exactly, including
//! FPSR flags, so it is an independent oracle for the FP semantics and the interpreter.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

pub struct Oracle {
    bin: PathBuf,
}

fn have(cmd: &str) -> bool {
    Command::new(cmd).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
}

impl Oracle {
    /// Builds the oracle program, or returns None (with a message) when the aarch64 cross
    /// compiler or qemu-aarch64 is missing.
    pub fn new() -> Option<Oracle> {
        if !have("aarch64-linux-gnu-gcc") || !have("qemu-aarch64") {
            eprintln!("SKIPPED: aarch64-linux-gnu-gcc or qemu-aarch64 not installed; the FP oracle test cannot run");
            return None;
        }
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fp_oracle/oracle.c");
        let text = std::fs::read(&src).expect("oracle.c");
        // Key the binary by the source's content so an edited source is rebuilt.
        let mut h: u64 = 0xcbf29ce484222325;
        for b in &text {
            h = (h ^ *b as u64).wrapping_mul(0x100000001b3);
        }
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let bin = dir.join(format!("fp_oracle_{h:016x}"));
        if !bin.exists() {
            let tmp = dir.join(format!("fp_oracle_{h:016x}.{}", std::process::id()));
            let st = Command::new("aarch64-linux-gnu-gcc")
                .args(["-O2", "-static", "-o"])
                .arg(&tmp)
                .arg(&src)
                .status()
                .expect("run aarch64-linux-gnu-gcc");
            assert!(st.success(), "building the FP oracle failed");
            std::fs::rename(&tmp, &bin).expect("rename oracle");
        }
        Some(Oracle { bin })
    }

    /// Feeds `input` (lines as documented in oracle.c) to the oracle under
    /// `qemu-aarch64 -cpu <cpu>` and returns its output lines.
    pub fn run(&self, cpu: &str, input: String) -> Vec<String> {
        let mut child = Command::new("qemu-aarch64")
            .args(["-cpu", cpu])
            .arg(&self.bin)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn qemu-aarch64");
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            stdin.write_all(input.as_bytes()).unwrap();
        });
        let mut out = String::new();
        child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
        writer.join().unwrap();
        let st = child.wait().unwrap();
        assert!(st.success(), "oracle failed: {st}");
        out.lines().map(|s| s.to_string()).collect()
    }
}

/// A small deterministic PRNG (xorshift64*).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545F4914F6CDD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn bool(&mut self) -> bool {
        self.next() & 1 != 0
    }
}

/// Number of vectors per case: `base`, multiplied by LSEMU_FP_SCALE when set.
pub fn scaled(base: usize) -> usize {
    let k: usize = std::env::var("LSEMU_FP_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    base * k.max(1)
}

/// The PRNG seed: `default`, or LSEMU_FP_SEED (decimal or 0x-hex) when set.
pub fn seed(default: u64) -> u64 {
    match std::env::var("LSEMU_FP_SEED") {
        Ok(v) => {
            let v = v.trim();
            let n = if let Some(h) = v.strip_prefix("0x") { u64::from_str_radix(h, 16).ok() } else { v.parse().ok() };
            n.filter(|&n| n != 0).unwrap_or(default)
        }
        Err(_) => default,
    }
}

/// (exponent bits, fraction bits) of a format of `bits` total bits.
pub fn ef(bits: u32) -> (u32, u32) {
    match bits {
        16 => (5, 10),
        32 => (8, 23),
        _ => (11, 52),
    }
}

/// An interesting floating-point bit pattern of width `bits`.
pub fn fp_value(r: &mut Rng, bits: u32) -> u64 {
    let (e, f) = ef(bits);
    let bias = (1u64 << (e - 1)) - 1;
    let emax = (1u64 << e) - 1;
    let fmask = (1u64 << f) - 1;
    let sign = (r.next() & 1) << (bits - 1);
    let frac = r.next() & fmask;
    let mag = match r.below(24) {
        0 => 0,
        1 => emax << f,
        2 => (emax << f) | (1 << (f - 1)) | (frac >> 1),           // qNaN
        3 => (emax << f) | ((frac >> 1) | 1),                       // sNaN
        4 => 1,                                                     // min denormal
        5 => fmask,                                                 // max denormal
        6 | 7 => frac,                                              // denormal
        8 => 1 << f,                                                // min normal
        9 => ((emax - 1) << f) | fmask,                             // max normal
        10 => bias << f,                                            // 1.0
        11 => ((bias + r.below(4)) << f) | (r.below(4)),            // near 1, 2, 4, 8
        12 => ((1 + r.below(3)) << f) | frac,                       // just above min normal
        13 => ((emax - 1 - r.below(3)) << f) | frac,                // near overflow
        14 | 15 => {
            // small integers and half-integers
            let k = r.below(64) as f64 / 2.0;
            return sign | to_bits(k, bits);
        }
        16 => {
            // near integer-conversion limits 2^31, 2^32, 2^63, 2^64, 2^15, 2^16
            let p = [15u64, 16, 31, 32, 63, 64][r.below(6) as usize];
            let ex = (bias + p - r.below(2)).min(emax - 1);
            (ex << f) | if r.bool() { fmask - r.below(3) } else { r.below(3) }
        }
        17 => ((bias - 1) << f) | r.below(2) << (f - 1), // 0.5, 0.75
        _ => {
            // random normal with exponent near the bias, or anything
            if r.bool() {
                ((bias - 8 + r.below(16)) << f) | frac
            } else {
                r.next() & ((1u64 << (bits - 1)) - 1)
            }
        }
    };
    sign | mag
}

/// The bit pattern of a small exactly representable value (host float only used to build
/// inputs).
fn to_bits(v: f64, bits: u32) -> u64 {
    let d = v.to_bits();
    match bits {
        64 => d,
        32 => (v as f32).to_bits() as u64,
        _ => {
            if v == 0.0 {
                return 0;
            }
            let ex = ((d >> 52) & 0x7ff) as i64 - 1023;
            let fr = (d >> 42) & 0x3ff;
            (((ex + 15) as u64) << 10) | fr
        }
    }
}

/// A second operand correlated with `a` (close in exponent, equal, negated, one ulp away)
/// or independent.
pub fn fp_related(r: &mut Rng, bits: u32, a: u64) -> u64 {
    let (_, f) = ef(bits);
    let sbit = 1u64 << (bits - 1);
    let all = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
    match r.below(8) {
        0 => a,
        1 => a ^ sbit,
        2 => a.wrapping_add(r.below(3)).wrapping_sub(1) & all,
        3 => (a ^ sbit).wrapping_add(r.below(5)).wrapping_sub(2) & all,
        4 => {
            // same exponent neighbourhood, random fraction, random sign
            let ex = (a >> f) as i64 + r.below(9) as i64 - 4;
            let ex = (ex.max(0) as u64) & ((1u64 << (bits - 1 - f)) - 1);
            ((r.next() & 1) << (bits - 1)) | (ex << f) | (r.next() & ((1u64 << f) - 1))
        }
        _ => fp_value(r, bits),
    }
}

/// An FPCR value: random rounding mode, FZ, DN (and AHP when `ahp`).
pub fn fpcr_value(r: &mut Rng, ahp: bool) -> u32 {
    let mut v = (r.below(4) as u32) << 22;
    if r.below(4) == 0 {
        v |= 1 << 24;
    }
    if r.below(4) == 0 {
        v |= 1 << 25;
    }
    if ahp && r.below(3) == 0 {
        v |= 1 << 26;
    }
    v
}
