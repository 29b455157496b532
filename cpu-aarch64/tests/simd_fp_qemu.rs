//! Semantics of the `simd_fp` group against QEMU user mode (`qemu-aarch64 -cpu cortex-a72`)
//! as the oracle.
//!
//! For every line of the simd_fp table, random instruction words of that line (registers
//! V0-V7) are run with random and special inputs (zeros, infinities, quiet and signalling
//! NaNs, denormals, integers, halfway cases, extremes) under random FPCR modes (RMode, FZ,
//! DN, AHP). The same words run under QEMU (tests/simd_fp/runner.c, built static with
//! aarch64-linux-gnu-gcc) and under lsemu's interpreter on `platform::FlatRam`; V0-V7 and
//! the FPSR flags must be identical.
//!
//! `LSEMU_SIMDFP_CASES` sets the number of cases per encoding (default 200),
//! `LSEMU_SIMDFP_SEED` the seed, `LSEMU_SIMDFP_FILTER` a substring of the line names.
//! The test skips (with a message) when the cross compiler or qemu-aarch64 is missing.

use cpu_aarch64::decode::{decode, lookup, Encoding, ENCODINGS};
use cpu_aarch64::platform::FlatRam;
use cpu_aarch64::{Cpu, CpuConfig};
use std::io::Write;
use std::process::{Command, Stdio};

const REC: usize = 136;
/// FPSR bits compared: QC and the cumulative exception flags.
const FPSR_MASK: u32 = 0x0800_009f;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().map(|o| o.status.success()).unwrap_or(false)
}

/// The runner, built once per test process: tests run in parallel, and two builds to the
/// same path could replace the executable while another test runs it.
fn build_runner() -> Option<std::path::PathBuf> {
    static EXE: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    EXE.get_or_init(|| {
        if !have("aarch64-linux-gnu-gcc") || !have("qemu-aarch64") {
            return None;
        }
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/simd_fp/runner.c");
        let exe = std::env::temp_dir().join(format!("lsemu-simdfp-runner-{}", std::process::id()));
        let st = Command::new("aarch64-linux-gnu-gcc").args(["-static", "-O1", "-o"]).arg(&exe).arg(src).status().ok()?;
        st.success().then_some(exe)
    })
    .clone()
}

fn run_qemu(exe: &std::path::Path, input: &[u8]) -> Vec<u8> {
    let mut child = Command::new("qemu-aarch64")
        .args(["-cpu", "cortex-a72"])
        .arg(exe)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("qemu-aarch64");
    let mut stdin = child.stdin.take().unwrap();
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        stdin.write_all(&data).unwrap();
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "runner failed under qemu");
    out.stdout
}

/// A random 32-bit float pattern biased towards interesting values.
fn f32_special(r: &mut Rng) -> u32 {
    const S: &[u32] = &[
        0x0000_0000, 0x8000_0000, 0x3f80_0000, 0xbf80_0000, 0x7f80_0000, 0xff80_0000, 0x7fc0_0000,
        0xffc0_0001, 0x7f80_0001, 0xffa0_0000, 0x0000_0001, 0x807f_ffff, 0x0080_0000, 0x7f7f_ffff,
        0xff7f_ffff, 0x3f00_0000, 0x3fc0_0000, 0x4020_0000, 0xc020_0000, 0x4f00_0000, 0x4f80_0000,
        0xcf00_0000, 0x5f00_0000, 0x5f80_0000, 0xdf00_0000, 0x3eaa_aaab, 0x0040_0000, 0x00ff_ffff,
        0x3380_0000, 0x4b00_0001, 0x4b80_0000,
    ];
    match r.below(4) {
        0 => S[r.below(S.len() as u64) as usize],
        1 => r.next() as u32,
        // random sign and fraction; exponent near the bias, or near underflow/overflow
        2 => {
            let e = match r.below(3) {
                0 => 0x70 + r.below(0x20),
                1 => r.below(0x20),
                _ => 0xe0 + r.below(0x1f),
            };
            ((r.next() as u32) & 0x807f_ffff) | ((e as u32) << 23)
        }
        // small integers and halves
        _ => {
            let v = (r.below(64) as i32 - 32) as f32 * 0.5;
            v.to_bits()
        }
    }
}

fn f64_special(r: &mut Rng) -> u64 {
    const S: &[u64] = &[
        0, 0x8000_0000_0000_0000, 0x3ff0_0000_0000_0000, 0xbff0_0000_0000_0000, 0x7ff0_0000_0000_0000,
        0xfff0_0000_0000_0000, 0x7ff8_0000_0000_0000, 0xfff8_0000_0000_0001, 0x7ff0_0000_0000_0001,
        0xfff4_0000_0000_0000, 1, 0x800f_ffff_ffff_ffff, 0x0010_0000_0000_0000, 0x7fef_ffff_ffff_ffff,
        0x3fe0_0000_0000_0000, 0x3ff8_0000_0000_0000, 0x43e0_0000_0000_0000, 0x43f0_0000_0000_0000,
        0xc3e0_0000_0000_0000, 0x41e0_0000_0000_0000, 0x41f0_0000_0000_0000, 0xc1e0_0000_0000_0000,
        0x3690_0000_0000_0000, 0x47ef_ffff_e000_0000, 0x47ef_ffff_f000_0000, 0x3810_0000_0000_0000,
        0x380f_ffff_f000_0000, 0x4330_0000_0000_0001,
    ];
    match r.below(4) {
        0 => S[r.below(S.len() as u64) as usize],
        1 => r.next(),
        2 => {
            let e = match r.below(4) {
                0 => 0x3c0 + r.below(0x80),
                1 => r.below(0x40),
                2 => 0x380 + r.below(0x10), // near the single-precision underflow range
                _ => 0x7c0 + r.below(0x3f),
            };
            (r.next() & 0x800f_ffff_ffff_ffff) | (e << 52)
        }
        _ => ((r.below(64) as i64 - 32) as f64 * 0.5).to_bits(),
    }
}

fn f16_special(r: &mut Rng) -> u16 {
    const S: &[u16] = &[0, 0x8000, 0x3c00, 0x7c00, 0xfc00, 0x7e00, 0x7d00, 0xfe01, 0x0001, 0x03ff, 0x0400, 0x7bff];
    if r.below(2) == 0 {
        S[r.below(S.len() as u64) as usize]
    } else {
        r.next() as u16
    }
}

/// A 128-bit register value: lanes of one random kind, sometimes all raw bits.
fn reg_value(r: &mut Rng) -> u128 {
    let mut v = 0u128;
    match r.below(5) {
        0 | 1 => {
            for i in 0..4 {
                v |= (f32_special(r) as u128) << (32 * i);
            }
        }
        2 | 3 => {
            for i in 0..2 {
                v |= (f64_special(r) as u128) << (64 * i);
            }
        }
        _ => {
            if r.below(2) == 0 {
                for i in 0..8 {
                    v |= (f16_special(r) as u128) << (16 * i);
                }
            } else {
                v = (r.next() as u128) << 64 | r.next() as u128;
            }
        }
    }
    v
}

/// A random word of line `e` with register numbers in 0..8.
fn random_word(e: &Encoding, r: &mut Rng) -> u32 {
    for _ in 0..1000 {
        let mut w = e.bits | (r.next() as u32 & !e.mask);
        for f in e.fields {
            if matches!(f.name, "rd" | "rn" | "rm") {
                let m = f.mask();
                let lo = m.trailing_zeros();
                w = (w & !m) | (((r.below(8) as u32) << lo) & m);
            }
        }
        if e.matches(w) && lookup(w).map(|i| ENCODINGS[i as usize].name) == Some(e.name) {
            return w;
        }
    }
    panic!("no word for {}", e.name);
}

fn random_fpcr(r: &mut Rng) -> u32 {
    let mut f = (r.below(4) as u32) << 22; // RMode
    if r.below(3) == 0 {
        f |= 1 << 24; // FZ
    }
    if r.below(3) == 0 {
        f |= 1 << 25; // DN
    }
    if r.below(4) == 0 {
        f |= 1 << 26; // AHP
    }
    f
}

struct Case {
    insn: u32,
    fpcr: u32,
    v: [u128; 8],
}

fn lsemu_run(c: &Case) -> ([u128; 8], u32) {
    let mut cpu = Cpu::new(CpuConfig::default());
    let mut ram = FlatRam::new(0x1000, 0x1000);
    for i in 0..8 {
        cpu.st.v[i] = c.v[i];
    }
    cpu.st.fpcr = c.fpcr;
    cpu.st.fpsr = 0;
    let insn = decode(c.insn);
    let res = cpu_aarch64::interp::exec(&mut cpu, &mut ram, &insn, c.insn);
    assert!(res.is_ok(), "{:#010x} raised {:?}", c.insn, res);
    let mut v = [0u128; 8];
    v.copy_from_slice(&cpu.st.v[..8]);
    (v, cpu.st.fpsr)
}

#[test]
fn simd_fp_matches_qemu() {
    let Some(exe) = build_runner() else {
        eprintln!("SKIP: aarch64-linux-gnu-gcc or qemu-aarch64 not installed");
        return;
    };
    let per: usize = std::env::var("LSEMU_SIMDFP_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    let filter = std::env::var("LSEMU_SIMDFP_FILTER").unwrap_or_default();
    let seed: u64 = std::env::var("LSEMU_SIMDFP_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_0ff0_0d12);
    let mut r = Rng(seed | 1);
    let mut cases = Vec::new();
    for e in ENCODINGS.iter().filter(|e| e.group == "simd_fp" && !e.is_unalloc()) {
        if !filter.is_empty() && !e.name.contains(filter.as_str()) {
            continue;
        }
        for _ in 0..per {
            let insn = random_word(e, &mut r);
            let fpcr = random_fpcr(&mut r);
            let mut v = [0u128; 8];
            for x in v.iter_mut() {
                *x = reg_value(&mut r);
            }
            cases.push(Case { insn, fpcr, v });
        }
    }
    let mut input = Vec::with_capacity(cases.len() * REC);
    for c in &cases {
        input.extend_from_slice(&c.insn.to_le_bytes());
        input.extend_from_slice(&c.fpcr.to_le_bytes());
        for x in &c.v {
            input.extend_from_slice(&x.to_le_bytes());
        }
    }
    let out = run_qemu(&exe, &input);
    let _ = std::fs::remove_file(&exe);
    assert_eq!(out.len(), cases.len() * REC, "qemu output length");
    let mut fails = Vec::new();
    for (k, c) in cases.iter().enumerate() {
        let o = &out[k * REC..(k + 1) * REC];
        let mut qv = [0u128; 8];
        for (i, x) in qv.iter_mut().enumerate() {
            *x = u128::from_le_bytes(o[16 * i..16 * i + 16].try_into().unwrap());
        }
        let qfpsr = u32::from_le_bytes(o[128..132].try_into().unwrap()) & FPSR_MASK;
        let ill = u32::from_le_bytes(o[132..136].try_into().unwrap());
        assert_eq!(ill, 0, "{:#010x}: SIGILL under qemu -cpu cortex-a72", c.insn);
        let (lv, lfpsr) = lsemu_run(c);
        let lfpsr = lfpsr & FPSR_MASK;
        if qv != lv || qfpsr != lfpsr {
            let name = lookup(c.insn).map_or("?", |i| ENCODINGS[i as usize].name);
            let mut s = format!("{name} {:#010x} fpcr={:#010x}: fpsr qemu {qfpsr:#x} lsemu {lfpsr:#x}\n", c.insn, c.fpcr);
            for i in 0..8 {
                if qv[i] != lv[i] || c.v[i] != qv[i] {
                    s += &format!("   v{i}: in {:032x} qemu {:032x} lsemu {:032x}\n", c.v[i], qv[i], lv[i]);
                }
            }
            fails.push((name, s));
        }
    }
    let mut per_name: std::collections::BTreeMap<&str, usize> = Default::default();
    for (n, _) in &fails {
        *per_name.entry(n).or_default() += 1;
    }
    eprintln!("{} cases, {} mismatches; per encoding: {:?}", cases.len(), fails.len(), per_name);
    let shown: Vec<&str> = fails.iter().take(40).map(|f| f.1.as_str()).collect();
    assert!(fails.is_empty(), "{}", shown.join(""));
}

/// Every combination of the class-selecting bits of the AdvSIMD classes holding FP
/// encodings (same sweep as tests/simd_fp_decode.rs), run under `qemu-aarch64 -cpu
/// cortex-a72`: a word decodes into the simd_fp group only if QEMU executes it, and
/// lsemu raises UNDEFINED for it only if QEMU raises SIGILL. QEMU is the second oracle
/// (after objdump) for the reserved and post-v8.0 encodings being UNDEFINED.
#[test]
fn simd_fp_undefined_agrees_with_qemu_cortex_a72() {
    let Some(exe) = build_runner() else {
        eprintln!("SKIP: aarch64-linux-gnu-gcc or qemu-aarch64 not installed");
        return;
    };
    // (base, class-selecting bits, register bits): see tests/simd_fp_decode.rs
    const CLASSES: &[(u32, u32, u32)] = &[
        (0x0E20_0400, 0x60C0_F800, 0x0007_00E7), // three same
        (0x5E20_0400, 0x20C0_F800, 0x0007_00E7), // scalar three same
        (0x5E30_0800, 0x20C1_F000, 0x0000_00E7), // scalar pairwise
        (0x0E20_0800, 0x60C1_F000, 0x0000_00E7), // two-reg misc
        (0x5E20_0800, 0x20C1_F000, 0x0000_00E7), // scalar two-reg misc
        (0x0E30_0800, 0x60C1_F000, 0x0000_00E7), // across lanes
        (0x0F00_0000, 0x60F0_F800, 0x0007_00E7), // by element (M varied)
        (0x5F00_0000, 0x20F0_F800, 0x0007_00E7), // scalar by element
        (0x0F00_0400, 0x607F_F800, 0x0000_00E7), // shift by immediate (+ modified immediate)
        (0x5F00_0400, 0x207F_F800, 0x0000_00E7), // scalar shift by immediate
        (0x0F00_0400, 0x6007_F800, 0x0000_00E7), // modified immediate
    ];
    let mut r = Rng(0x0dd_5eed);
    let mut cases = Vec::new();
    for &(base, vary, regs) in CLASSES {
        // all subsets of `vary`
        let mut sub = 0u32;
        loop {
            // registers V0-V7 only (the runner saves V0-V7; V8-V15 are callee-saved)
            let w = base | sub | (r.next() as u32 & regs);
            cases.push(Case { insn: w, fpcr: 0, v: [0x3f80_0000_4000_0000_3f80_0000_4000_0000; 8] });
            if sub == vary {
                break;
            }
            sub = sub.wrapping_sub(vary) & vary;
        }
    }
    let mut input = Vec::with_capacity(cases.len() * REC);
    for c in &cases {
        input.extend_from_slice(&c.insn.to_le_bytes());
        input.extend_from_slice(&c.fpcr.to_le_bytes());
        for x in &c.v {
            input.extend_from_slice(&x.to_le_bytes());
        }
    }
    let out = run_qemu(&exe, &input);
    let _ = std::fs::remove_file(&exe);
    assert_eq!(out.len(), cases.len() * REC);
    let mut errors = Vec::new();
    let mut fp_words = 0;
    for (k, c) in cases.iter().enumerate() {
        let ill = u32::from_le_bytes(out[k * REC + 132..k * REC + 136].try_into().unwrap()) != 0;
        let ours = lookup(c.insn).map(|i| &ENCODINGS[i as usize]);
        let ours_fp = ours.is_some_and(|e| e.group == "simd_fp");
        fp_words += ours_fp as usize;
        if ours_fp && ill {
            errors.push(format!("{:#010x}: we decode {} but qemu raises SIGILL", c.insn, ours.map_or("", |e| e.name)));
        }
        if ours.is_none() && !ill {
            errors.push(format!("{:#010x}: UNDEFINED for lsemu, executed by qemu", c.insn));
        }
    }
    eprintln!("{} words, {} decoded as simd_fp, {} disagreements", cases.len(), fp_words, errors.len());
    assert!(errors.is_empty(), "{}", errors[..errors.len().min(60)].join("\n"));
}

/// Every simd_fp line checks the FP/AdvSIMD enable first (Arm ARM: CheckFPAdvSIMDEnabled64
/// precedes any effect): at EL1 with CPACR_EL1.FPEN=00 it traps with EC 0x07 and leaves
/// V0-V7 and FPSR untouched; with FPEN=11 it executes.
#[test]
fn simd_fp_traps_when_fp_disabled() {
    let mut r = Rng(0xfeed_beef);
    for e in ENCODINGS.iter().filter(|e| e.group == "simd_fp" && !e.is_unalloc()) {
        let w = random_word(e, &mut r);
        for fpen in [0u64, 0b10, 0b11] {
            let mut cpu = Cpu::new(CpuConfig::default());
            let mut ram = FlatRam::new(0x1000, 0x1000);
            cpu.st.pstate.el = 1;
            cpu.sys.cpacr_el1 = fpen << 20;
            for i in 0..8 {
                cpu.st.v[i] = reg_value(&mut r);
            }
            let before = cpu.st.v;
            cpu.st.fpcr = random_fpcr(&mut r);
            let res = cpu_aarch64::interp::exec(&mut cpu, &mut ram, &decode(w), w);
            if fpen == 0b11 {
                assert!(res.is_ok(), "{} {w:#010x} with FPEN=11: {res:?}", e.name);
            } else {
                let exc = res.expect_err("must trap");
                assert_eq!(exc.ec, 0x07, "{} {w:#010x} FPEN={fpen:#b}", e.name);
                assert_eq!(cpu.st.v, before, "{}: registers changed", e.name);
                assert_eq!(cpu.st.fpsr, 0, "{}: FPSR changed", e.name);
            }
        }
    }
}
