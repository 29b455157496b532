//! Decoder test for the `ldst` group with the GNU binutils disassembler as the oracle.
//!
//! Words are sampled from every `ldst.decode` line (fixed bits plus random don't-care
//! bits) and uniformly from the whole load/store space (op0 = x1x0). binutils decodes
//! every architecture version; lsemu must agree with it on the mnemonic for every ARMv8.0
//! load/store and decode everything else there (ARMv8.1+ mnemonics, unallocated words) as
//! UNDEFINED, except for the documented `known_diff` cases.

use cpu_aarch64::decode::{lookup, ENCODINGS};
use cpu_aarch64::{decode, Insn};
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

fn tool(name: &str) -> Option<String> {
    let t = format!("aarch64-linux-gnu-{name}");
    Command::new(&t).arg("--version").output().ok().filter(|o| o.status.success()).map(|_| t)
}

/// Disassembles `words` with objdump; returns the mnemonic of each, `None` if undefined.
fn objdump(words: &[u32]) -> Vec<Option<String>> {
    let (as_, od) = (tool("as").expect("aarch64-linux-gnu-as"), tool("objdump").expect("aarch64-linux-gnu-objdump"));
    let dir = std::env::temp_dir().join(format!("lsemu-ldst-decode-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src: String = words.iter().map(|w| format!(".inst 0x{w:08x}\n")).collect();
    std::fs::write(dir.join("t.s"), src).unwrap();
    let st = Command::new(as_).arg("-o").arg(dir.join("t.o")).arg(dir.join("t.s")).status().unwrap();
    assert!(st.success());
    let out = Command::new(od).args(["-d", "-M", "no-aliases"]).arg(dir.join("t.o")).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut res = Vec::with_capacity(words.len());
    for line in text.lines() {
        let mut parts = line.split('\t');
        let Some(addr) = parts.next() else { continue };
        if !addr.trim_end().ends_with(':') || addr.trim().contains(' ') && !addr.trim().starts_with(|c: char| c.is_ascii_hexdigit()) {
            continue;
        }
        let Some(_raw) = parts.next() else { continue };
        let Some(mn) = parts.next() else { continue };
        let rest = parts.next().unwrap_or("");
        if mn.trim() == ".inst" && rest.contains("undefined") {
            res.push(None);
        } else {
            res.push(Some(mn.trim().to_string()));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(res.len(), words.len(), "objdump output does not line up");
    res
}

/// Cases where lsemu deliberately differs from binutils, with the reason.
fn known_diff(w: u32, ours: Option<&str>, theirs: Option<&str>) -> Option<&'static str> {
    // Load/store exclusive class: size 001000 o2 L o1 Rs o0 Rt2 Rn Rt.
    if w & 0x3f00_0000 == 0x0800_0000 && ours.is_none() {
        let (rs, rt2) = ((w >> 16) & 31, (w >> 10) & 31);
        let o2_o1 = (w >> 23 & 1, w >> 21 & 1);
        let l = w >> 22 & 1;
        // Should-be-one Rs (loads, LDAR/STLR) or Rt2 (non-pair) not 11111: lsemu picks
        // UNDEFINED, binutils ignores them for some forms.
        let rs_sbo = l == 1 || o2_o1.0 == 1;
        if (rs_sbo && rs != 31) || (o2_o1.1 == 0 && rt2 != 31) {
            return Some("should-be-one field not 11111 in an exclusive/ordered encoding");
        }
    }
    // binutils rejects the CONSTRAINED UNPREDICTABLE register overlaps for which lsemu
    // picks a behaviour (documented in src/interp/ldst.rs and ldst/excl.rs).
    if theirs.is_none() {
        if let Insn::Ldst(i) = decode(w) {
            return cpu_aarch64::interp::ldst::constrained_unpredictable(&i);
        }
    }
    None
}

fn xorshift(x: &mut u64) -> u32 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    (*x >> 16) as u32
}

#[test]
fn ldst_decode_agrees_with_binutils() {
    if tool("as").is_none() || tool("objdump").is_none() {
        eprintln!("SKIP: aarch64-linux-gnu binutils not installed");
        return;
    }
    let ours_set: BTreeSet<&str> = ENCODINGS.iter().filter(|e| e.group == "ldst").map(|e| e.asm).collect();
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut words = Vec::new();
    for e in ENCODINGS.iter().filter(|e| e.group == "ldst") {
        for _ in 0..300 {
            words.push(e.bits | (xorshift(&mut rng) & !e.mask));
        }
    }
    let n: usize = std::env::var("LSEMU_LDST_DECODE_WORDS").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    for _ in 0..n {
        words.push((xorshift(&mut rng) | 1 << 27) & !(1 << 25));
    }
    let theirs = objdump(&words);
    let mut fails = Vec::new();
    let mut known: BTreeMap<&str, usize> = BTreeMap::new();
    let mut newer: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_line: BTreeMap<&str, usize> = BTreeMap::new();
    for (&w, t) in words.iter().zip(&theirs) {
        let ours = match decode(w) {
            Insn::Ldst(_) => {
                let e = &ENCODINGS[lookup(w).unwrap() as usize];
                *per_line.entry(e.name).or_default() += 1;
                Some(e.asm)
            }
            Insn::Undefined(_) => None,
            other => panic!("{w:#010x} in the load/store space decodes to another group: {other:?}"),
        };
        // binutils mnemonics outside lsemu's ldst set are ARMv8.1+ (or unallocated).
        let t_v80 = t.as_deref().filter(|m| ours_set.contains(m));
        if let Some(m) = t.as_deref() {
            if !ours_set.contains(m) {
                *newer.entry(m.to_string()).or_default() += 1;
            }
        }
        if ours == t_v80 {
            continue;
        }
        if let Some(why) = known_diff(w, ours, t.as_deref()) {
            *known.entry(why).or_default() += 1;
            continue;
        }
        fails.push(format!("{w:#010x}: lsemu {:?} {}, binutils {:?}", ours, lookup(w).map_or("", |i| ENCODINGS[i as usize].name), t));
    }
    eprintln!("binutils mnemonics treated as ARMv8.1+ (must be UNDEFINED): {newer:?}");
    eprintln!("known differences: {known:?}");
    for e in ENCODINGS.iter().filter(|e| e.group == "ldst") {
        assert!(per_line.get(e.name).copied().unwrap_or(0) > 0, "line {} never matched", e.name);
    }
    assert!(fails.is_empty(), "{} mismatches, first ones:\n{}", fails.len(), fails[..fails.len().min(40)].join("\n"));
}
