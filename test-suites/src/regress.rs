//! Minimisation of mismatching cases and the `regress/*.ins` files that keep them.
//!
//! File format (text, one item per line, `#` comments):
//! ```text
//! epilogue <hex>                           the harness's epilogue address (in the code page)
//! code <address> <word> <disassembly>      one per instruction of the sequence
//! in <reg> <hex value>                      x0..x30, sp, nzcv, fpcr, fpsr, v0..v31
//! in mem <hex bytes of the scratch buffer>
//! out fault none | out fault <index> <SIGNAL>
//! out <reg> <hex value>                     the oracle's (qemu's) outputs
//! out mem <hex bytes>
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cpu_aarch64::decode::disasm::disasm;

use crate::diff::{Case, Fault, Outcome, Regs, Signal, SCRATCH_SIZE, SEQ_BASE};

/// Drops instructions while qemu and lsemu still disagree. `run` returns the differences
/// for a case (empty if they agree, `None` if the oracle failed).
pub fn minimise(c: &Case, run: &dyn Fn(&Case) -> Option<Vec<String>>) -> Case {
    let mut cur = c.clone();
    let mut i = 0;
    while i < cur.insns.len() && cur.insns.len() > 1 {
        let mut t = cur.clone();
        t.insns.remove(i);
        match run(&t) {
            Some(d) if !d.is_empty() => cur = t,
            _ => i += 1,
        }
    }
    cur
}

fn regs_lines(tag: &str, r: &Regs, o: &mut String) {
    for i in 0..31 {
        writeln!(o, "{tag} x{i} {:#x}", r.x[i]).unwrap();
    }
    writeln!(o, "{tag} sp {:#x}", r.sp).unwrap();
    writeln!(o, "{tag} nzcv {:#x}", r.nzcv).unwrap();
    writeln!(o, "{tag} fpcr {:#x}", r.fpcr).unwrap();
    writeln!(o, "{tag} fpsr {:#x}", r.fpsr).unwrap();
    for i in 0..32 {
        writeln!(o, "{tag} v{i} {:#x}", r.v[i]).unwrap();
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Renders a case and the oracle's outcome in the `.ins` format.
pub fn render(c: &Case, q: &Outcome, epilogue: u64, comment: &str) -> String {
    let mut o = String::new();
    for l in comment.lines() {
        writeln!(o, "# {l}").unwrap();
    }
    writeln!(o, "epilogue {epilogue:#x}").unwrap();
    for (k, w) in c.insns.iter().enumerate() {
        let pc = SEQ_BASE + 4 * k as u64;
        writeln!(o, "code {pc:#010x} {w:08x} {}", disasm(*w, pc)).unwrap();
    }
    regs_lines("in", &c.regs, &mut o);
    writeln!(o, "in mem {}", hex(&c.scratch)).unwrap();
    match q.fault {
        None => writeln!(o, "out fault none").unwrap(),
        Some(f) => writeln!(o, "out fault {} {}", f.index as i64, f.signal.name()).unwrap(),
    }
    regs_lines("out", &q.regs, &mut o);
    writeln!(o, "out mem {}", hex(&q.scratch)).unwrap();
    o
}

fn set_reg(r: &mut Regs, name: &str, v: u128) -> Result<(), String> {
    match name {
        "sp" => r.sp = v as u64,
        "nzcv" => r.nzcv = v as u64,
        "fpcr" => r.fpcr = v as u64,
        "fpsr" => r.fpsr = v as u64,
        _ => {
            if let Some(n) = name.strip_prefix('x').and_then(|n| n.parse::<usize>().ok()).filter(|&n| n < 31) {
                r.x[n] = v as u64;
            } else if let Some(n) = name.strip_prefix('v').and_then(|n| n.parse::<usize>().ok()).filter(|&n| n < 32) {
                r.v[n] = v;
            } else {
                return Err(format!("unknown register {name}"));
            }
        }
    }
    Ok(())
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    if s.len() != 2 * SCRATCH_SIZE {
        return Err(format!("mem line has {} hex digits, want {}", s.len(), 2 * SCRATCH_SIZE));
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| e.to_string())).collect()
}

fn parse_num(s: &str) -> Result<u128, String> {
    u128::from_str_radix(s.trim_start_matches("0x"), 16).map_err(|e| format!("{s}: {e}"))
}

/// Parses a `.ins` file into the case, the oracle's recorded outcome and the epilogue
/// address.
pub fn parse(text: &str) -> Result<(Case, Outcome, u64), String> {
    let mut epilogue = 0;
    let mut c = Case { regs: Regs::default(), scratch: vec![0; SCRATCH_SIZE], insns: vec![] };
    let mut q = Outcome { fault: None, regs: Regs::default(), scratch: vec![0; SCRATCH_SIZE], error: None };
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |e: String| format!("line {}: {e}", n + 1);
        let mut it = line.split_whitespace();
        let kind = it.next().unwrap_or("");
        let a = it.next().ok_or_else(|| err("missing operand".into()))?;
        let b = it.next();
        match kind {
            "epilogue" => epilogue = parse_num(a).map_err(err)? as u64,
            "code" => {
                let w = u32::from_str_radix(b.ok_or_else(|| err("missing word".into()))?, 16).map_err(|e| err(e.to_string()))?;
                c.insns.push(w);
            }
            "in" | "out" => {
                let b = b.ok_or_else(|| err("missing value".into()))?;
                let (regs, mem) = if kind == "in" { (&mut c.regs, &mut c.scratch) } else { (&mut q.regs, &mut q.scratch) };
                if a == "mem" {
                    *mem = unhex(b).map_err(err)?;
                } else if a == "fault" {
                    if b != "none" {
                        let idx: i64 = b.parse().map_err(|e: std::num::ParseIntError| err(e.to_string()))?;
                        let sig = it.next().and_then(Signal::parse).ok_or_else(|| err("bad signal".into()))?;
                        q.fault = Some(Fault { index: if idx < 0 { u32::MAX } else { idx as u32 }, signal: sig });
                    }
                } else {
                    set_reg(regs, a, parse_num(b).map_err(err)?).map_err(err)?;
                }
            }
            _ => return Err(err(format!("unknown line kind {kind}"))),
        }
    }
    Ok((c, q, epilogue))
}

/// The regress directory (`test-suites/regress`).
pub fn regress_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("regress")
}

/// A short stable hash of the case (FNV-1a over the words and inputs).
pub fn case_hash(c: &Case) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: &[u8]| {
        for x in b {
            h ^= *x as u64;
            h = h.wrapping_mul(0x100_0000_01b3);
        }
    };
    for w in &c.insns {
        eat(&w.to_le_bytes());
    }
    for x in c.regs.x {
        eat(&x.to_le_bytes());
    }
    for v in c.regs.v {
        eat(&v.to_le_bytes());
    }
    eat(&[c.regs.nzcv as u8, c.regs.fpcr as u8, (c.regs.fpcr >> 22) as u8]);
    eat(&c.scratch);
    format!("{h:016x}")
}

/// Writes the case to `regress/<hash>.ins`; returns the path.
pub fn save(c: &Case, q: &Outcome, epilogue: u64, comment: &str) -> std::io::Result<PathBuf> {
    let dir = regress_dir();
    std::fs::create_dir_all(&dir)?;
    let p = dir.join(format!("{}.ins", case_hash(c)));
    std::fs::write(&p, render(c, q, epilogue, comment))?;
    Ok(p)
}

/// Replays one parsed case on lsemu and compares with the recorded outcome.
pub fn replay(c: &Case, q: &Outcome, epilogue: u64) -> Vec<String> {
    crate::diff::compare_case(c, q, &crate::diff::run_lsemu(c, epilogue))
}
