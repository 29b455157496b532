//! Differential test of the scalar FP instruction group (isa/fp.decode, interp/fp.rs)
//! against QEMU user mode as a Cortex-A72 (`qemu-aarch64 -cpu cortex-a72`, which also makes
//! FP16 encodings UNDEFINED as on the A72). Random words from every fp.decode line plus a
//! sweep of random words over the whole scalar-FP encoding space; each runs with random
//! V0-V31, X0-X30, NZCV and FPCR (plus words one or two bits away from each line), and the full register state, NZCV, FPSR and the
//! UNDEFINED-ness must match. (X16/X17 are used by the oracle, so words naming them as a
//! general-purpose register are skipped.) LSEMU_FP_SCALE=k multiplies the vector count;
//! LSEMU_FP_SEED=n changes the seed.

mod common;
use common::oracle::*;
use cpu_aarch64::decode::{decode, ENCODINGS};
use cpu_aarch64::platform::FlatRam;
use cpu_aarch64::{Cpu, CpuConfig};

fn reg_ok(w: u32) -> bool {
    let rd = w & 31;
    let rn = (w >> 5) & 31;
    !(16..=17).contains(&rd) && !(16..=17).contains(&rn)
}

fn vreg(r: &mut Rng) -> u128 {
    let lo = match r.below(4) {
        0 => fp_value(r, 64),
        1 => fp_value(r, 32) | (r.next() << 32),
        2 => fp_value(r, 16) | (r.next() << 16),
        _ => r.next(),
    };
    ((r.next() as u128) << 64) | lo as u128
}

fn xreg(r: &mut Rng) -> u64 {
    match r.below(4) {
        0 => r.below(100),
        1 => r.below(100).wrapping_neg(),
        2 => (1u64 << r.below(64)).wrapping_add(r.below(3)).wrapping_sub(1),
        _ => r.next(),
    }
}

struct State {
    v: [u128; 32],
    x: [u64; 31],
    nzcv: u32,
    fpcr: u32,
}

fn run_ours(w: u32, s: &State) -> Option<(Vec<u128>, Vec<u64>, u32, u32)> {
    let mut cpu = Cpu::new(CpuConfig::default());
    let mut p = FlatRam::new(0, 0x1000);
    cpu.st.v = s.v;
    cpu.st.x = s.x;
    cpu.st.pstate.nzcv = s.nzcv;
    cpu.st.fpcr = s.fpcr;
    cpu.st.fpsr = 0;
    let insn = decode(w);
    match cpu_aarch64::interp::exec(&mut cpu, &mut p, &insn, w) {
        Ok(_) => Some((cpu.st.v.to_vec(), cpu.st.x.to_vec(), cpu.st.pstate.nzcv, cpu.st.fpsr)),
        Err(_) => None,
    }
}

#[test]
fn fp_group_matches_qemu() {
    let Some(oracle) = Oracle::new() else { return };
    let mut rng = Rng(seed(0xf00d_cafe_0123_4567));
    let mut words: Vec<u32> = Vec::new();
    let per_line = scaled(40);
    let fp_lines: Vec<_> = ENCODINGS.iter().filter(|e| e.group == "fp").collect();
    assert!(fp_lines.len() >= 50, "fp.decode lines: {}", fp_lines.len());
    for e in &fp_lines {
        let mut n = 0;
        let mut tries = 0;
        while n < per_line && tries < per_line * 100 {
            tries += 1;
            let w = e.bits | (rng.next() as u32 & !e.mask);
            if e.matches(w) && reg_ok(w) {
                words.push(w);
                n += 1;
            }
        }
    }
    // Neighbours of every line: one or two of its fixed bits flipped (staying inside the
    // scalar FP space, bit 30 = 0 and bits 28:25 = 1111), to probe the UNDEFINED boundaries.
    for e in &fp_lines {
        let flippable = e.mask & !0x5e00_0000;
        let bits: Vec<u32> = (0..32).filter(|b| flippable >> b & 1 != 0).collect();
        let mut n = 0;
        let mut tries = 0;
        while n < per_line && tries < per_line * 100 && !bits.is_empty() {
            tries += 1;
            let mut w = e.bits | (rng.next() as u32 & !e.mask);
            for _ in 0..1 + rng.below(2) {
                w ^= 1 << bits[rng.below(bits.len() as u64) as usize];
            }
            if reg_ok(w) {
                words.push(w);
                n += 1;
            }
        }
    }
    // Sweep of the whole scalar FP space: op0 = x0x1, bits 28:25 = 1111.
    for _ in 0..scaled(3000) {
        let w = (rng.next() as u32 & !0x5e00_0000) | 0x1e00_0000;
        if reg_ok(w) {
            words.push(w);
        }
    }
    let per_word = 4;
    let mut input = String::new();
    let mut states = Vec::new();
    for &w in &words {
        for _ in 0..per_word {
            let mut v = [0u128; 32];
            for q in v.iter_mut() {
                *q = vreg(&mut rng);
            }
            let mut x = [0u64; 31];
            for r in x.iter_mut() {
                *r = xreg(&mut rng);
            }
            let s = State { v, x, nzcv: (rng.below(16) as u32) << 28, fpcr: fpcr_value(&mut rng, true) };
            input.push_str(&format!("F {w:x} {:x} {:x}", s.fpcr, s.nzcv));
            for q in &s.v {
                input.push_str(&format!(" {:x} {:x}", (q >> 64) as u64, *q as u64));
            }
            for r in &s.x {
                input.push_str(&format!(" {r:x}"));
            }
            input.push('\n');
            states.push((w, s));
        }
    }
    let out = oracle.run("cortex-a72", input);
    assert_eq!(out.len(), states.len());
    let mut bad = 0usize;
    let mut undef = 0usize;
    for ((w, s), line) in states.iter().zip(out.iter()) {
        let ours = run_ours(*w, s);
        let name = decode(*w).name();
        let theirs = if line == "U" {
            None
        } else {
            let f: Vec<u64> = line.split_whitespace().map(|t| u64::from_str_radix(t, 16).unwrap()).collect();
            assert_eq!(f.len(), 97);
            let v: Vec<u128> = (0..32).map(|i| ((f[2 * i] as u128) << 64) | f[2 * i + 1] as u128).collect();
            let x: Vec<u64> = f[64..95].to_vec();
            Some((v, x, f[95] as u32, (f[96] as u32) & 0x9f))
        };
        if theirs.is_none() {
            undef += 1;
        }
        let ok = match (&ours, &theirs) {
            (None, None) => true,
            (Some(a), Some(b)) => a.0 == b.0 && a.1 == b.1 && a.2 == b.2 && (a.3 & 0x9f) == b.3,
            _ => false,
        };
        if !ok {
            bad += 1;
            if bad <= 40 {
                let desc = |r: &Option<(Vec<u128>, Vec<u64>, u32, u32)>| match r {
                    None => "UNDEFINED".to_string(),
                    Some((v, x, n, f)) => {
                        let dv: Vec<String> = (0..32).filter(|&i| v[i] != s.v[i]).map(|i| format!("v{i}={:x}", v[i])).collect();
                        let dx: Vec<String> = (0..31).filter(|&i| x[i] != s.x[i]).map(|i| format!("x{i}={:x}", x[i])).collect();
                        format!("{} {} nzcv={n:x} fpsr={f:x}", dv.join(" "), dx.join(" "))
                    }
                };
                eprintln!("MISMATCH {w:08x} ({name}) fpcr={:x} nzcv={:x}: qemu [{}] ours [{}]", s.fpcr, s.nzcv, desc(&theirs), desc(&ours));
            }
        }
    }
    eprintln!("{} words x {per_word} states = {} vectors ({undef} UNDEFINED in qemu), {bad} mismatches", words.len(), states.len());
    assert_eq!(bad, 0);
}
