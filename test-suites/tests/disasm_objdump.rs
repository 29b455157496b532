//! Full-text comparison of our disassembly with `aarch64-linux-gnu-objdump -d` (the GNU
//! disassembler, an independent oracle) on 20,000 pseudo-random words that our table
//! decodes. Texts are compared after normalising number formats (objdump prints decimal
//! offsets, register ranges `{v1.4s-v3.4s}` and `cs`/`cc`; we print hex, lists and
//! `hs`/`lo`). The mnemonic must agree on every word except the known cases below; the
//! whole text must agree on at least 99% of them (the rest are AdvSIMD scalar forms still
//! printed generically). The report lists the disagreements by mnemonic.

use std::collections::BTreeMap;
use std::process::Command;

use cpu_aarch64::decode::{disasm::disasm, lookup, ENCODINGS};

fn norm(s: &str) -> String {
    s.replace("0x", "").replace(['#', ' '], "").to_lowercase()
}

/// Converts objdump's conventions to ours: decimal numbers to hex, register ranges to
/// lists, cs/cc to hs/lo.
fn objdump_to_ours(t: &str) -> String {
    let mut out = String::new();
    let b = t.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        let prev_ok = i == 0 || !(b[i - 1] as char).is_ascii_alphanumeric() && b[i - 1] != b'.' && b[i - 1] != b'_';
        if c.is_ascii_digit() && prev_ok {
            let mut j = i;
            while j < b.len() && (b[j] as char).is_ascii_alphanumeric() {
                j += 1;
            }
            let tok = &t[i..j];
            let next_dot = j < b.len() && b[j] == b'.';
            match tok.parse::<u64>() {
                Ok(v) if !next_dot => out += &format!("{v:x}"),
                _ => out += tok,
            }
            i = j;
            continue;
        }
        out.push(c);
        i += 1;
    }
    // {vA.T-vB.T} -> {vA.T, ..., vB.T}
    let mut res = String::new();
    let mut rest = out.as_str();
    while let Some(p) = rest.find('{') {
        res += &rest[..p];
        let Some(q) = rest[p..].find('}') else { break };
        let inner = &rest[p + 1..p + q];
        let expanded = (|| {
            let (a, bb) = inner.split_once('-')?;
            let (an, at) = a.strip_prefix('v')?.split_once('.')?;
            let (bn, _) = bb.strip_prefix('v')?.split_once('.')?;
            let (an, bn): (u32, u32) = (an.parse().ok()?, bn.parse().ok()?);
            let n = (bn + 32 - an) % 32 + 1;
            Some((0..n).map(|k| format!("v{}.{at}", (an + k) % 32)).collect::<Vec<_>>().join(", "))
        })();
        res += &format!("{{{}}}", expanded.unwrap_or_else(|| inner.to_string()));
        rest = &rest[p + q + 1..];
    }
    res += rest;
    res.replace(", cs", ", hs").replace(", cc", ", lo").replace("b.cs", "b.hs").replace("b.cc", "b.lo")
}

/// Words where objdump and the A72 decoder legitimately disagree on validity: objdump
/// rejects CONSTRAINED UNPREDICTABLE register overlaps that the A72 executes (load pair
/// with Rt==Rt2, writeback with Rt==Rn or Rt2==Rn).
fn objdump_rejects(w: u32, _ours: &str) -> bool {
    let (rt, rn, rt2) = (w & 31, (w >> 5) & 31, (w >> 10) & 31);
    let ldst = w & 0x0a00_0000 == 0x0800_0000;
    let pair = w & 0x3a00_0000 == 0x2800_0000;
    ldst && (rt == rn && rn != 31 || pair && (rt2 == rn && rn != 31 || rt == rt2))
}

#[test]
fn disasm_agrees_with_objdump() {
    let Ok(o) = Command::new("aarch64-linux-gnu-objdump").arg("--version").output() else {
        if std::env::var_os("LSEMU_ALLOW_MISSING_ORACLE").is_none() {
            panic!("aarch64-linux-gnu-objdump not found: install the Debian package binutils-aarch64-linux-gnu");
        }
        eprintln!("SKIPPED: aarch64-linux-gnu-objdump not found");
        return;
    };
    assert!(o.status.success());
    let mut x = 0x1234_5678_9abc_def1u64;
    let mut words = Vec::new();
    while words.len() < 20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let w = x as u32;
        if lookup(w).is_some_and(|i| !ENCODINGS[i as usize].is_unalloc()) {
            words.push(w);
        }
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/lsemu-harness");
    std::fs::create_dir_all(&dir).unwrap();
    let bin = dir.join(format!("objdump-words.{}.bin", std::process::id()));
    std::fs::write(&bin, words.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>()).unwrap();
    let out = Command::new("aarch64-linux-gnu-objdump").args(["-D", "-b", "binary", "-maarch64"]).arg(&bin).output().unwrap();
    let _ = std::fs::remove_file(&bin);
    let text = String::from_utf8_lossy(&out.stdout);
    let mut theirs = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 3 {
            continue;
        }
        let Ok(addr) = u64::from_str_radix(f[0].trim().trim_end_matches(':'), 16) else { continue };
        let mut t = f[2..].join(" ");
        if let Some(p) = t.find("//") {
            t.truncate(p);
        }
        if let Some(p) = t.find(" <") {
            t.truncate(p);
        }
        theirs.insert(addr, t.trim().to_string());
    }
    let mut full = 0;
    let mut mnem_bad = Vec::new();
    let mut by_mn: BTreeMap<String, (u32, String)> = BTreeMap::new();
    for (i, &w) in words.iter().enumerate() {
        let pc = 4 * i as u64;
        let ours = disasm(w, pc);
        let Some(t) = theirs.get(&pc) else { continue };
        if norm(&ours) == norm(t) || norm(&ours) == norm(&objdump_to_ours(t)) {
            full += 1;
            continue;
        }
        let om = ours.split_whitespace().next().unwrap_or("");
        let tm = objdump_to_ours(t).split_whitespace().next().unwrap_or("").to_string();
        if om != tm && !(t.starts_with(".inst") && objdump_rejects(w, &ours)) {
            mnem_bad.push(format!("{w:08x}: lsemu `{ours}`, objdump `{t}`"));
        }
        let e = by_mn.entry(tm).or_insert((0, format!("{w:08x}: lsemu `{ours}`, objdump `{t}`")));
        e.0 += 1;
    }
    let n = words.len();
    println!("disasm vs objdump: {full} of {n} words agree in full text");
    let mut v: Vec<_> = by_mn.into_iter().collect();
    v.sort_by_key(|e| std::cmp::Reverse(e.1 .0));
    for (m, (c, e)) in v.iter().take(20) {
        println!("  {c:5} x {m}: e.g. {e}");
    }
    assert!(mnem_bad.is_empty(), "mnemonics differ from objdump:\n{}", mnem_bad.join("\n"));
    assert!(full * 100 >= n * 99, "only {full} of {n} words agree in full text");
}
