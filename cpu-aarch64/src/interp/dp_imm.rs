//! Data processing - immediate (Arm ARM C4.1.2): ADR/ADRP, ADD/SUB (immediate), logical
//! (immediate), MOVN/MOVZ/MOVK, SBFM/BFM/UBFM, EXTR. Semantics in `semantics::alu`.
//!
//! This file also holds the test oracles shared by the h1 groups (dp_imm, dp_reg, branch,
//! crypto), used by each group's tests:
//! - `oracle`: GNU as (fields of assembled instructions), GNU objdump (valid/invalid and
//!   mnemonic agreement over enumerated encoding spaces, and word-for-word disassembly);
//! - `qemu`: single-instruction differential runs under `qemu-aarch64 -cpu cortex-a72`
//!   (full X/SP/NZCV/V state), and the UNDEFINED sweep (SIGILL expected).

use super::{ExecResult, Flow};
use crate::decode::DpImm;
use crate::exception::SyncExc;
use crate::platform::Platform;
use crate::semantics::alu::{self, add_with_carry, decode_bit_masks, trunc};
use crate::Cpu;

pub fn exec(cpu: &mut Cpu, _p: &mut dyn Platform, i: &DpImm, _raw: u32) -> ExecResult {
    let st = &mut cpu.st;
    match *i {
        DpImm::Adr { immlo, immhi, rd } => {
            let imm = alu::sign_extend(((immhi << 2) | immlo) as u64, 21);
            st.set_xr(rd, st.pc.wrapping_add(imm));
        }
        DpImm::Adrp { immlo, immhi, rd } => {
            let imm = alu::sign_extend(((immhi << 2) | immlo) as u64, 21) << 12;
            st.set_xr(rd, (st.pc & !0xfff).wrapping_add(imm));
        }
        DpImm::AddImm { sf, sh, imm12, rn, rd } => add_sub_imm(cpu, sf, sh, imm12, rn, rd, false, false),
        DpImm::AddsImm { sf, sh, imm12, rn, rd } => add_sub_imm(cpu, sf, sh, imm12, rn, rd, false, true),
        DpImm::SubImm { sf, sh, imm12, rn, rd } => add_sub_imm(cpu, sf, sh, imm12, rn, rd, true, false),
        DpImm::SubsImm { sf, sh, imm12, rn, rd } => add_sub_imm(cpu, sf, sh, imm12, rn, rd, true, true),
        DpImm::AndImm { sf, n, immr, imms, rn, rd } => {
            let imm = logical_imm(sf, n, immr, imms)?;
            let r = st.reg(sf == 1, rn) & imm;
            st.set_xsp(rd, r);
        }
        DpImm::OrrImm { sf, n, immr, imms, rn, rd } => {
            let imm = logical_imm(sf, n, immr, imms)?;
            let r = st.reg(sf == 1, rn) | imm;
            st.set_xsp(rd, r);
        }
        DpImm::EorImm { sf, n, immr, imms, rn, rd } => {
            let imm = logical_imm(sf, n, immr, imms)?;
            let r = st.reg(sf == 1, rn) ^ imm;
            st.set_xsp(rd, r);
        }
        DpImm::AndsImm { sf, n, immr, imms, rn, rd } => {
            let imm = logical_imm(sf, n, immr, imms)?;
            let r = st.reg(sf == 1, rn) & imm;
            st.set_nzcv(alu::logic_flags(r, sf == 1));
            st.set_xr(rd, r);
        }
        DpImm::Movn { sf, hw, imm16, rd } => {
            let v = !((imm16 as u64) << (16 * hw));
            st.set_reg(sf == 1, rd, v);
        }
        DpImm::Movz { sf, hw, imm16, rd } => {
            st.set_reg(sf == 1, rd, (imm16 as u64) << (16 * hw));
        }
        DpImm::Movk { sf, hw, imm16, rd } => {
            let pos = 16 * hw;
            let old = st.xr(rd);
            let v = (old & !(0xffffu64 << pos)) | ((imm16 as u64) << pos);
            st.set_reg(sf == 1, rd, v);
        }
        DpImm::Sbfm { sf, n, immr, imms, rn, rd } => bitfield(cpu, sf, n, immr, imms, rn, rd, true, true)?,
        DpImm::Bfm { sf, n, immr, imms, rn, rd } => bitfield(cpu, sf, n, immr, imms, rn, rd, false, false)?,
        DpImm::Ubfm { sf, n, immr, imms, rn, rd } => bitfield(cpu, sf, n, immr, imms, rn, rd, true, false)?,
        DpImm::Extr { sf, n: _, rm, imms, rn, rd } => {
            let sf = sf == 1;
            let r = alu::extr(st.reg(sf, rn), st.reg(sf, rm), imms, sf);
            st.set_reg(sf, rd, r);
        }
    }
    Ok(Flow::Next)
}

/// The logical immediate, or UNDEFINED for reserved encodings (the decoder already excludes
/// them; this keeps the executor safe on its own).
fn logical_imm(sf: u32, n: u32, immr: u32, imms: u32) -> Result<u64, SyncExc> {
    alu::logical_imm(sf == 1, n, immr, imms).ok_or_else(SyncExc::undefined)
}

#[allow(clippy::too_many_arguments)]
fn add_sub_imm(cpu: &mut Cpu, sf: u32, sh: u32, imm12: u32, rn: u32, rd: u32, sub: bool, setflags: bool) {
    let sf = sf == 1;
    let imm = (imm12 as u64) << (12 * sh);
    let op1 = trunc(sf, cpu.st.xsp(rn));
    let (op2, carry) = if sub { (!imm, true) } else { (imm, false) };
    let (r, nzcv) = add_with_carry(op1, op2, carry, sf);
    if setflags {
        cpu.st.set_nzcv(nzcv);
        cpu.st.set_reg(sf, rd, r);
    } else {
        cpu.st.set_xsp(rd, trunc(sf, r));
    }
}

#[allow(clippy::too_many_arguments)]
fn bitfield(cpu: &mut Cpu, sf: u32, n: u32, immr: u32, imms: u32, rn: u32, rd: u32, inzero: bool, extend: bool) -> Result<(), SyncExc> {
    let sf = sf == 1;
    let (wmask, tmask) = decode_bit_masks(n, imms, immr, false, alu::datasize(sf)).ok_or_else(SyncExc::undefined)?;
    let r = alu::bitfield(cpu.st.xr(rd), cpu.st.xr(rn), immr, imms, wmask, tmask, inzero, extend, sf);
    cpu.st.set_reg(sf, rd, r);
    Ok(())
}

/// Test helpers shared by the h1 groups' tests (dp_imm, dp_reg, branch, crypto): the GNU
/// toolchain (assembler, objdump) and QEMU user mode as independent oracles.
#[cfg(test)]
pub(crate) mod oracle {
    use crate::decode::{lookup, ENCODINGS};
    use std::path::PathBuf;
    use std::process::Command;

    pub fn have(tool: &str) -> bool {
        Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
    }

    pub struct TmpDir(pub PathBuf);
    impl TmpDir {
        pub fn new(tag: &str) -> TmpDir {
            let d = std::env::temp_dir().join(format!("lsemu-h1-{}-{}", std::process::id(), tag));
            std::fs::create_dir_all(&d).unwrap();
            TmpDir(d)
        }
    }
    impl Drop for TmpDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn run(cmd: &mut Command) -> std::process::Output {
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{:?} failed: {}", cmd, String::from_utf8_lossy(&out.stderr));
        out
    }

    /// Assembles `lines` (one instruction each) with GNU as for ARMv8.0-A + CRC + crypto and
    /// returns one word per line, or `None` (with a message) when the assembler is missing.
    pub fn assemble(tag: &str, lines: &[String]) -> Option<Vec<u32>> {
        if !have("aarch64-linux-gnu-as") || !have("aarch64-linux-gnu-objcopy") {
            eprintln!("SKIP: aarch64-linux-gnu-as/objcopy not installed; assembler oracle not run");
            return None;
        }
        let d = TmpDir::new(tag);
        let src = d.0.join("a.s");
        let mut s = String::from(".arch armv8-a+crc+crypto\n.text\n");
        for l in lines {
            s.push_str(l);
            s.push('\n');
        }
        std::fs::write(&src, s).unwrap();
        let obj = d.0.join("a.o");
        run(Command::new("aarch64-linux-gnu-as").arg(&src).arg("-o").arg(&obj));
        let bin = d.0.join("a.bin");
        run(Command::new("aarch64-linux-gnu-objcopy").args(["-O", "binary", "-j", ".text"]).arg(&obj).arg(&bin));
        let b = std::fs::read(&bin).unwrap();
        let w: Vec<u32> = b.chunks(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        assert_eq!(w.len(), lines.len(), "one word per line expected");
        Some(w)
    }

    /// Disassembles `words` with GNU objdump. Each entry is `Some(mnemonic)` or `None` when
    /// objdump reports the word as undefined.
    pub fn disassemble(tag: &str, words: &[u32]) -> Option<Vec<Option<String>>> {
        if !have("aarch64-linux-gnu-objdump") {
            eprintln!("SKIP: aarch64-linux-gnu-objdump not installed; disassembler oracle not run");
            return None;
        }
        let d = TmpDir::new(tag);
        let bin = d.0.join("w.bin");
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        std::fs::write(&bin, bytes).unwrap();
        let out = run(Command::new("aarch64-linux-gnu-objdump").args(["-D", "-b", "binary", "-m", "aarch64"]).arg(&bin));
        let text = String::from_utf8_lossy(&out.stdout);
        let mut res: Vec<Option<String>> = vec![None; words.len()];
        let mut seen = vec![false; words.len()];
        for line in text.lines() {
            // "   4:\t91800000 \taddg\tx0, x0, #0x0, #0x0"
            let mut parts = line.splitn(3, '\t');
            let (Some(addr), Some(word), Some(rest)) = (parts.next(), parts.next(), parts.next()) else { continue };
            let Some(addr) = addr.trim().strip_suffix(':') else { continue };
            let Ok(addr) = usize::from_str_radix(addr, 16) else { continue };
            let Ok(w) = u32::from_str_radix(word.trim(), 16) else { continue };
            let idx = addr / 4;
            assert_eq!(words[idx], w, "objdump listing out of step");
            seen[idx] = true;
            let mn = rest.split(['\t', ' ']).next().unwrap_or("").to_string();
            res[idx] = if mn == ".inst" || mn.is_empty() { None } else { Some(mn) };
        }
        assert!(seen.iter().all(|&s| s), "objdump did not list every word");
        Some(res)
    }

    /// Disassembles `words` (at address 4*index) with GNU objdump into normalised text:
    /// "mnemonic op, op", comments removed; `None` for undefined words.
    pub fn disassemble_text(tag: &str, words: &[u32]) -> Option<Vec<Option<String>>> {
        if !have("aarch64-linux-gnu-objdump") {
            eprintln!("SKIP: aarch64-linux-gnu-objdump not installed; disassembler oracle not run");
            return None;
        }
        let d = TmpDir::new(tag);
        let bin = d.0.join("w.bin");
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        std::fs::write(&bin, bytes).unwrap();
        let out = run(Command::new("aarch64-linux-gnu-objdump").args(["-D", "-b", "binary", "-m", "aarch64"]).arg(&bin));
        let text = String::from_utf8_lossy(&out.stdout);
        let mut res: Vec<Option<String>> = vec![None; words.len()];
        for line in text.lines() {
            let mut parts = line.splitn(3, '\t');
            let (Some(addr), Some(_), Some(rest)) = (parts.next(), parts.next(), parts.next()) else { continue };
            let Some(addr) = addr.trim().strip_suffix(':') else { continue };
            let Ok(addr) = usize::from_str_radix(addr, 16) else { continue };
            let rest = rest.split("//").next().unwrap_or("").trim();
            if rest.starts_with(".inst") {
                continue;
            }
            let mut it = rest.splitn(2, '\t');
            let mn = it.next().unwrap_or("").trim();
            let ops = it.next().unwrap_or("").trim();
            res[addr / 4] = Some(if ops.is_empty() { mn.to_string() } else { format!("{mn} {ops}") });
        }
        Some(res)
    }

    /// The shared disassembler's text for `w` at `pc` when it decodes to one of the
    /// integer, branch or crypto groups.
    pub fn our_text(w: u32, pc: u64) -> Option<String> {
        match crate::decode(w) {
            crate::Insn::DpImm(_) | crate::Insn::DpReg(_) | crate::Insn::Branch(_) | crate::Insn::Crypto(_) => {
                Some(crate::decode::disasm::disasm(w, pc))
            }
            _ => None,
        }
    }

    /// GNU objdump shows ORR (immediate) with ZR as MOV unless the value is a MOVZ/MOVN
    /// constant; the Arm ARM's MoveWidePreferred() (which we follow) tests the encoding
    /// fields instead and prefers MOV for a few more values (e.g. 0xffffffffff01ffff).
    fn objdump_mov_deviation(ours: &str, theirs: Option<&str>) -> bool {
        let Some(t) = theirs else { return false };
        let (Some(o), Some(t)) = (ours.strip_prefix("mov "), t.strip_prefix("orr ")) else { return false };
        let Some((od, oimm)) = o.split_once(", ") else { return false };
        t == format!("{od}, xzr, {oimm}") || t == format!("{od}, wzr, {oimm}")
    }

    /// One spelling for what the Arm ARM allows two ways (applied to both texts): condition
    /// names `hs`/`lo` (objdump prints `cs`/`cc`, the shared disassembler follows capstone)
    /// and small immediates in decimal.
    fn normalise_objdump(t: &str) -> String {
        let mut out = String::with_capacity(t.len());
        let mut rest = t;
        while let Some(i) = rest.find("#0x") {
            out.push_str(&rest[..i]);
            let tail = &rest[i + 3..];
            let end = tail.find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(tail.len());
            match u64::from_str_radix(&tail[..end], 16) {
                Ok(v) if v <= 9 => out.push_str(&format!("#{v}")),
                _ => out.push_str(&rest[i..i + 3 + end]),
            }
            rest = &tail[end..];
        }
        out.push_str(rest);
        let words: Vec<String> = out
            .split(' ')
            .map(|w| {
                let (core, comma) = w.strip_suffix(',').map_or((w, ""), |c| (c, ","));
                let core = match core {
                    "cs" => "hs",
                    "cc" => "lo",
                    "b.cs" => "b.hs",
                    "b.cc" => "b.lo",
                    c => c,
                };
                format!("{core}{comma}")
            })
            .collect();
        words.join(" ")
    }

    /// The shared disassembler's text equals GNU objdump's for every word in these groups.
    pub fn text_agrees_with_objdump(tag: &str, words: &[u32]) {
        let Some(dis) = disassemble_text(tag, words) else { return };
        let mut bad = Vec::new();
        let mut n = 0;
        for (k, (&w, theirs)) in words.iter().zip(dis).enumerate() {
            let Some(ours) = our_text(w, 4 * k as u64) else { continue };
            n += 1;
            let theirs = theirs.map(|t| normalise_objdump(&t));
            let ours = normalise_objdump(&ours);
            if theirs.as_deref() != Some(ours.as_str()) && !objdump_mov_deviation(&ours, theirs.as_deref()) {
                bad.push(format!("{w:#010x}: ours `{ours}`, objdump `{}`", theirs.unwrap_or_default()));
            }
        }
        assert!(bad.is_empty(), "{} of {n} disassemblies differ, first ones:\n{}", bad.len(), bad[..bad.len().min(40)].join("\n"));
        eprintln!("{tag}: {n} disassemblies agree with objdump");
    }

    /// Mnemonics GNU objdump may print for a line whose base mnemonic (`asm=`) is `asm`
    /// (preferred aliases, Arm ARM "alias conditions").
    pub fn mnemonic_ok(asm: &str, mn: &str) -> bool {
        if asm == mn {
            return true;
        }
        let aliases: &[&str] = match asm {
            "add" => &["mov"],
            "adds" => &["cmn"],
            "sub" => &["neg"],
            "subs" => &["cmp", "negs"],
            "ands" => &["tst"],
            "orr" => &["mov"],
            "orn" => &["mvn"],
            "movn" | "movz" => &["mov"],
            "sbfm" => &["asr", "sbfiz", "sbfx", "sxtb", "sxth", "sxtw"],
            "ubfm" => &["lsl", "lsr", "ubfiz", "ubfx", "uxtb", "uxth"],
            "bfm" => &["bfi", "bfxil", "bfc"],
            "extr" => &["ror"],
            "sbc" => &["ngc"],
            "sbcs" => &["ngcs"],
            "csinc" => &["cset", "cinc"],
            "csinv" => &["csetm", "cinv"],
            "csneg" => &["cneg"],
            "lslv" => &["lsl"],
            "lsrv" => &["lsr"],
            "asrv" => &["asr"],
            "rorv" => &["ror"],
            "madd" => &["mul"],
            "msub" => &["mneg"],
            "smaddl" => &["smull"],
            "smsubl" => &["smnegl"],
            "umaddl" => &["umull"],
            "umsubl" => &["umnegl"],
            "rev" => &["rev64"],
            "pmull" => &["pmull2"],
            "b.cond" => return mn.starts_with("b.") && mn.len() == 4,
            _ => &[],
        };
        aliases.contains(&mn)
    }

    /// Mnemonics of instructions added after ARMv8.0 (or not in a Cortex-A72) that GNU
    /// objdump decodes in the classes we own; they must be UNDEFINED here.
    pub const NOT_IN_A72: &[&str] = &[
        // MTE (ARMv8.5)
        "addg", "subg", "irg", "gmi", "subp", "subps", "cmpp",
        // PAuth (ARMv8.3)
        "pacga", "pacia", "pacib", "pacda", "pacdb", "autia", "autib", "autda", "autdb", "paciza", "pacizb",
        "pacdza", "pacdzb", "autiza", "autizb", "autdza", "autdzb", "xpaci", "xpacd", "braa", "brab", "braaz",
        "brabz", "blraa", "blrab", "blraaz", "blrabz", "retaa", "retab",
        // flag manipulation (ARMv8.4)
        "rmif", "setf8", "setf16",
        // CSSC (ARMv8.9)
        "abs", "cnt", "ctz", "smax", "smin", "umax", "umin",
        // SHA-3, SHA-512, SM3, SM4 (ARMv8.2)
        "sha512h", "sha512h2", "sha512su0", "sha512su1", "eor3", "rax1", "xar", "bcax", "sm3ss1", "sm3tt1a",
        "sm3tt1b", "sm3tt2a", "sm3tt2b", "sm3partw1", "sm3partw2", "sm4e", "sm4ekey",
    ];

    /// Whether `w` decodes to a line of one of `groups`; returns its `asm=`.
    pub fn ours(w: u32, groups: &[&str]) -> Option<&'static str> {
        let e = &ENCODINGS[lookup(w)? as usize];
        if e.is_unalloc() || !groups.contains(&e.group) {
            return None;
        }
        Some(e.asm)
    }

    /// xorshift64 for deterministic pseudo-random words.
    pub struct Rng(pub u64);
    impl Rng {
        pub fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        pub fn word(&mut self) -> u32 {
            (self.next() >> 16) as u32
        }
    }

    /// Builds words: `fixed_mask`/`fixed_bits` fixed, every combination of the bits in
    /// `enum_mask` (at most 2^18), the remaining bits random; `reps` words per combination.
    pub fn space(fixed_mask: u32, fixed_bits: u32, enum_mask: u32, reps: u32, rng: &mut Rng) -> Vec<u32> {
        let n = enum_mask.count_ones();
        assert!(n <= 18 && fixed_mask & enum_mask == 0);
        let positions: Vec<u32> = (0..32).filter(|b| enum_mask >> b & 1 == 1).collect();
        let mut out = Vec::new();
        for k in 0..(1u32 << n) {
            let mut e = 0u32;
            for (i, p) in positions.iter().enumerate() {
                e |= (k >> i & 1) << p;
            }
            for _ in 0..reps {
                let r = rng.word() & !fixed_mask & !enum_mask;
                out.push(fixed_bits | e | r);
            }
        }
        out
    }

    /// Compares our decoder with GNU objdump on `words` for the encodings of `groups`:
    /// a word is ours iff objdump decodes it (unless `skip` says the word belongs to another
    /// helper's class, or objdump's mnemonic is an ARMv8.1+ instruction), and the mnemonics
    /// agree up to the Arm ARM aliases. With `only_named`, words neither side gives a
    /// mnemonic in `names` are ignored (classes shared with other groups).
    pub fn agree_with_objdump(tag: &str, words: &[u32], groups: &[&str], skip: &dyn Fn(u32) -> bool, names: Option<&[&str]>) {
        let Some(dis) = disassemble(tag, words) else { return };
        let mut bad = Vec::new();
        let mut checked = 0usize;
        for (&w, theirs) in words.iter().zip(dis) {
            if skip(w) {
                continue;
            }
            let o = ours(w, groups);
            if let Some(names) = names {
                let t_in = theirs.as_deref().is_some_and(|m| names.contains(&m));
                if o.is_none() && !t_in {
                    continue;
                }
            }
            checked += 1;
            match (o, theirs.as_deref()) {
                (None, None) => {}
                (Some(a), Some(m)) => {
                    if !mnemonic_ok(a, m) {
                        bad.push(format!("{w:#010x}: ours {a} ({}), objdump {m}", crate::decode(w).name()));
                    }
                }
                (None, Some(m)) => {
                    // BC.cond is ARMv8.8
                    if !NOT_IN_A72.contains(&m) && !m.starts_with("bc.") {
                        bad.push(format!("{w:#010x}: ours UNDEFINED ({}), objdump {m}", crate::decode(w).name()));
                    }
                }
                (Some(a), None) => bad.push(format!("{w:#010x}: ours {a} ({}), objdump undefined", crate::decode(w).name())),
            }
        }
        assert!(checked > 0 || names.is_some());
        assert!(bad.is_empty(), "{} disagreements of {checked} words, first ones:\n{}", bad.len(), bad[..bad.len().min(40)].join("\n"));
        eprintln!("{tag}: {checked} words agree with objdump");
    }
}


/// A differential test of single instructions against QEMU user mode (`qemu-aarch64`, an
/// independent implementation): each case loads a full register state (X0-X30, SP, NZCV,
/// V0-V31), executes one instruction word and stores the state again. The same word runs in
/// our interpreter from the same state and at the same PC; every register must agree.
#[cfg(test)]
pub(crate) mod qemu {
    use super::oracle::{have, Rng, TmpDir};
    use crate::decode::{decode, lookup, ENCODINGS};
    use crate::interp::{self, Flow};
    use crate::platform::FlatRam;
    use crate::Cpu;
    use std::fmt::Write as _;
    use std::process::Command;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Kind {
        /// Not a branch.
        Plain,
        /// A branch whose taken target is PC + 8.
        Branch8,
        /// BR/BLR/RET Xn: the harness sets Xn = PC + 8 just before the instruction.
        BranchReg(u32),
    }

    #[derive(Debug, Clone)]
    pub struct Case {
        pub word: u32,
        pub kind: Kind,
        pub x: [u64; 31],
        pub sp: u64,
        pub nzcv: u32,
        pub v: [u128; 32],
    }

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Out {
        x: [u64; 31],
        sp: u64,
        nzcv: u64,
        taken: u64,
        v: [u128; 32],
    }

    const REC: usize = 272 + 512;

    /// An "interesting" 64-bit value.
    pub fn value(rng: &mut Rng) -> u64 {
        const SPECIAL: [u64; 14] = [
            0,
            1,
            u64::MAX,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_ffff,
            0x1_0000_0000,
            0x8000_0000_0000_0000,
            0x7fff_ffff_ffff_ffff,
            0xffff_ffff_8000_0000,
            0xffff_ffff_7fff_ffff,
            2,
            63,
            64,
        ];
        match rng.next() % 8 {
            0 | 1 => SPECIAL[(rng.next() % SPECIAL.len() as u64) as usize],
            2 => rng.next() % 130,
            3 => (rng.next() as u32 as i32) as i64 as u64,
            4 => rng.next() & 0xffff_ffff,
            _ => rng.next(),
        }
    }

    /// A random state for `word`.
    pub fn case(word: u32, kind: Kind, rng: &mut Rng) -> Case {
        let mut x = [0u64; 31];
        for r in x.iter_mut() {
            *r = value(rng);
        }
        let mut v = [0u128; 32];
        for r in v.iter_mut() {
            *r = (value(rng) as u128) << 64 | value(rng) as u128;
        }
        Case { word, kind, x, sp: value(rng), nzcv: ((rng.next() >> 7) as u32) & 0xf000_0000, v }
    }

    /// Adjusts a generated word: `(word, kind)` or `None` to reject it.
    pub type FixFn = dyn Fn(&str, u32) -> Option<(u32, Kind)>;

    /// Random cases for every line of `groups`: `per_line` words with random field values
    /// (re-drawn until the word decodes to that line). `fix` may adjust a word (e.g. set a
    /// branch offset) and give its kind, or reject it with `None`.
    pub fn random_cases(groups: &[&str], per_line: usize, rng: &mut Rng, fix: &FixFn) -> Vec<Case> {
        // LSEMU_H1_ITERS=k multiplies the number of cases (longer runs; default 1)
        let mult: usize = std::env::var("LSEMU_H1_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
        let per_line = per_line * mult;
        let mut out = Vec::new();
        for (idx, e) in ENCODINGS.iter().enumerate() {
            if !groups.contains(&e.group) || e.is_unalloc() {
                continue;
            }
            let mut n = 0;
            let mut tries = 0;
            while n < per_line && tries < per_line * 50 {
                tries += 1;
                let w = e.bits | (rng.word() & !e.mask);
                let Some((w, kind)) = fix(e.name, w) else { continue };
                if lookup(w) != Some(idx as u16) {
                    continue;
                }
                out.push(case(w, kind, rng));
                n += 1;
            }
            assert!(n > 0, "no word generated for {}", e.name);
        }
        out
    }

    fn program(cases: &[Case]) -> String {
        let mut s = String::with_capacity(cases.len() * 6000);
        s.push_str(".arch armv8-a+crc+crypto\n.text\n.global _start\n_start:\n");
        for (n, c) in cases.iter().enumerate() {
            writeln!(s, "  adrp x0, in_{n}\n  add x0, x0, :lo12:in_{n}").unwrap();
            for q in (0..32).step_by(2) {
                writeln!(s, "  ldp q{}, q{}, [x0, #{}]", q, q + 1, 272 + 16 * q).unwrap();
            }
            writeln!(s, "  ldr x1, [x0, #256]\n  msr nzcv, x1\n  ldr x1, [x0, #248]\n  mov sp, x1").unwrap();
            for r in (1..29).step_by(2) {
                writeln!(s, "  ldp x{}, x{}, [x0, #{}]", r, r + 1, 8 * r).unwrap();
            }
            writeln!(s, "  ldr x29, [x0, #232]\n  ldr x30, [x0, #240]\n  ldr x0, [x0]").unwrap();
            if let Kind::BranchReg(rn) = c.kind {
                writeln!(s, "  adr x{rn}, insn_{n} + 8").unwrap();
            }
            writeln!(s, "insn_{n}:\n  .inst {:#010x}", c.word).unwrap();
            if c.kind != Kind::Plain {
                writeln!(s, "  b path0_{n}\n  b path1_{n}").unwrap();
            }
            for path in 0..2 {
                if path == 1 && c.kind == Kind::Plain {
                    break;
                }
                writeln!(s, "path{path}_{n}:\n  msr tpidr_el0, x0\n  adrp x0, out_{n}\n  add x0, x0, :lo12:out_{n}").unwrap();
                writeln!(s, "  str x1, [x0, #8]\n  mov x1, #{path}\n  str x1, [x0, #264]\n  b store_{n}").unwrap();
            }
            writeln!(s, "store_{n}:").unwrap();
            for r in (2..30).step_by(2) {
                writeln!(s, "  stp x{}, x{}, [x0, #{}]", r, r + 1, 8 * r).unwrap();
            }
            writeln!(s, "  str x30, [x0, #240]\n  mrs x1, tpidr_el0\n  str x1, [x0]\n  mrs x1, nzcv\n  str x1, [x0, #256]").unwrap();
            writeln!(s, "  mov x1, sp\n  str x1, [x0, #248]").unwrap();
            for q in (0..32).step_by(2) {
                writeln!(s, "  stp q{}, q{}, [x0, #{}]", q, q + 1, 272 + 16 * q).unwrap();
            }
        }
        // write(1, out_0, n * REC); write(1, addrs, n * 8); exit(0)
        writeln!(s, "  mov x0, #1\n  adrp x1, out_0\n  add x1, x1, :lo12:out_0\n  ldr x2, =({} * {REC})\n  mov x8, #64\n  svc #0", cases.len()).unwrap();
        writeln!(s, "  mov x0, #1\n  adrp x1, addrs\n  add x1, x1, :lo12:addrs\n  ldr x2, =({} * 8)\n  mov x8, #64\n  svc #0", cases.len()).unwrap();
        s.push_str("  mov x0, #0\n  mov x8, #93\n  svc #0\n  .ltorg\n.data\n.balign 16\n");
        for (n, c) in cases.iter().enumerate() {
            writeln!(s, "in_{n}:").unwrap();
            for r in c.x {
                writeln!(s, "  .quad {r:#x}").unwrap();
            }
            writeln!(s, "  .quad {:#x}\n  .quad {:#x}\n  .quad 0", c.sp, c.nzcv).unwrap();
            for q in c.v {
                writeln!(s, "  .quad {:#x}, {:#x}", q as u64, (q >> 64) as u64).unwrap();
            }
        }
        s.push_str(".balign 8\naddrs:\n");
        for n in 0..cases.len() {
            writeln!(s, "  .quad insn_{n}").unwrap();
        }
        s.push_str(".bss\n.balign 16\n");
        for n in 0..cases.len() {
            writeln!(s, "out_{n}: .skip {REC}").unwrap();
        }
        s
    }

    fn parse(b: &[u8]) -> Out {
        let q = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
        let mut x = [0u64; 31];
        for (r, v) in x.iter_mut().enumerate() {
            *v = q(8 * r);
        }
        let mut v = [0u128; 32];
        for (r, val) in v.iter_mut().enumerate() {
            *val = q(272 + 16 * r) as u128 | (q(272 + 16 * r + 8) as u128) << 64;
        }
        Out { x, sp: q(248), nzcv: q(256), taken: q(264), v }
    }

    /// Runs `cases` under qemu-aarch64 and our interpreter; returns the list of mismatches
    /// (empty when all agree), or `None` when the tools are missing.
    pub fn diff(tag: &str, cases: &[Case]) -> Option<Vec<String>> {
        if !have("aarch64-linux-gnu-gcc") || Command::new("qemu-aarch64").arg("--version").output().is_err() {
            eprintln!("SKIP: aarch64-linux-gnu-gcc or qemu-aarch64 not installed; QEMU differential test not run");
            return None;
        }
        let d = TmpDir::new(tag);
        let src = d.0.join("t.s");
        std::fs::write(&src, program(cases)).unwrap();
        let exe = d.0.join("t");
        let out = Command::new("aarch64-linux-gnu-gcc").args(["-nostdlib", "-static", "-o"]).arg(&exe).arg(&src).output().unwrap();
        assert!(out.status.success(), "gcc failed: {}", String::from_utf8_lossy(&out.stderr));
        let out = Command::new("qemu-aarch64").args(["-cpu", "cortex-a72"]).arg(&exe).output().unwrap();
        assert!(out.status.success(), "qemu-aarch64 failed: {:?} {}", out.status, String::from_utf8_lossy(&out.stderr));
        let b = out.stdout;
        assert_eq!(b.len(), cases.len() * (REC + 8), "unexpected output size");
        let addrs = &b[cases.len() * REC..];
        let mut bad = Vec::new();
        let mut cpu = Cpu::new(Default::default());
        let mut p = FlatRam::new(0, 16);
        for (n, c) in cases.iter().enumerate() {
            let want = parse(&b[n * REC..(n + 1) * REC]);
            let pc = u64::from_le_bytes(addrs[8 * n..8 * n + 8].try_into().unwrap());
            cpu.st.x = c.x;
            if let Kind::BranchReg(rn) = c.kind {
                cpu.st.x[rn as usize] = pc + 8;
            }
            cpu.st.set_sp(c.sp);
            cpu.st.set_nzcv(c.nzcv);
            cpu.st.v = c.v;
            cpu.st.pc = pc;
            let insn = decode(c.word);
            let taken = match interp::exec(&mut cpu, &mut p, &insn, c.word) {
                Ok(Flow::Next) => 0,
                Ok(Flow::Jump(t)) if t == pc + 8 => 1,
                other => {
                    bad.push(format!("{:#010x} {}: exec gave {other:?}", c.word, insn.name()));
                    continue;
                }
            };
            let got = Out { x: cpu.st.x, sp: cpu.st.sp(), nzcv: cpu.st.nzcv() as u64, taken, v: cpu.st.v };
            if got != want {
                let mut m = format!("{:#010x} {} at pc {pc:#x}:", c.word, insn.name());
                for r in 0..31 {
                    if got.x[r] != want.x[r] {
                        write!(m, " x{r}: ours {:#x} qemu {:#x} (in {:#x});", got.x[r], want.x[r], c.x[r]).unwrap();
                    }
                }
                if got.sp != want.sp {
                    write!(m, " sp: ours {:#x} qemu {:#x} (in {:#x});", got.sp, want.sp, c.sp).unwrap();
                }
                if got.nzcv != want.nzcv {
                    write!(m, " nzcv: ours {:#x} qemu {:#x} (in {:#x});", got.nzcv, want.nzcv, c.nzcv).unwrap();
                }
                if got.taken != want.taken {
                    write!(m, " taken: ours {} qemu {};", got.taken, want.taken).unwrap();
                }
                for r in 0..32 {
                    if got.v[r] != want.v[r] {
                        write!(m, " v{r}: ours {:#x} qemu {:#x} (in {:#x});", got.v[r], want.v[r], c.v[r]).unwrap();
                    }
                }
                bad.push(m);
            }
        }
        eprintln!("{tag}: {} cases run under qemu-aarch64, {} mismatches", cases.len(), bad.len());
        Some(bad)
    }


    /// A static program that executes each word of its input (followed by RET) from an RWX
    /// page and reports per word the signal it raised (0 = none).
    const SWEEP_C: &str = r#"#include <signal.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>
static sigjmp_buf jb;
static void h(int s, siginfo_t *si, void *uc) { (void)si; (void)uc; siglongjmp(jb, s); }
extern void call_word(void *code);
__asm__(".global call_word\ncall_word:\n"
        "stp x29, x30, [sp, #-16]!\n mov x29, sp\n"
        "stp x19, x20, [sp, #-16]!\n stp x21, x22, [sp, #-16]!\n stp x23, x24, [sp, #-16]!\n"
        "stp x25, x26, [sp, #-16]!\n stp x27, x28, [sp, #-16]!\n"
        "stp d8, d9, [sp, #-16]!\n stp d10, d11, [sp, #-16]!\n stp d12, d13, [sp, #-16]!\n stp d14, d15, [sp, #-16]!\n"
        "blr x0\n"
        "ldp d14, d15, [sp], #16\n ldp d12, d13, [sp], #16\n ldp d10, d11, [sp], #16\n ldp d8, d9, [sp], #16\n"
        "ldp x27, x28, [sp], #16\n ldp x25, x26, [sp], #16\n ldp x23, x24, [sp], #16\n ldp x21, x22, [sp], #16\n"
        "ldp x19, x20, [sp], #16\n ldp x29, x30, [sp], #16\n ret\n");
int main(void) {
  size_t cap = 1 << 20, n = 0; uint32_t *w = malloc(cap * 4);
  ssize_t r; char *p = (char *)w;
  while ((r = read(0, p + n, cap * 4 - n)) > 0) n += r;
  n /= 4;
  uint32_t *code = mmap(0, 4096, PROT_READ|PROT_WRITE|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
  struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_sigaction = h; sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGILL, &sa, 0); sigaction(SIGSEGV, &sa, 0); sigaction(SIGBUS, &sa, 0); sigaction(SIGTRAP, &sa, 0); sigaction(SIGFPE, &sa, 0);
  unsigned char *out = malloc(n);
  for (size_t i = 0; i < n; i++) {
    code[0] = w[i]; code[1] = 0xd65f03c0;
    __builtin___clear_cache((char *)code, (char *)(code + 2));
    int s = sigsetjmp(jb, 1);
    if (s == 0) { call_word(code); out[i] = 0; } else out[i] = (unsigned char)s;
  }
  write(1, out, n);
  return 0;
}
"#;

    /// Executes each word under `qemu-aarch64 -cpu cortex-a72`; returns the signal number
    /// each raised (0 = executed without a signal), or `None` when the tools are missing.
    /// Only for words expected to be UNDEFINED: a word that executes may have side effects.
    pub fn undef_sweep(tag: &str, words: &[u32]) -> Option<Vec<u8>> {
        if !have("aarch64-linux-gnu-gcc") || Command::new("qemu-aarch64").arg("--version").output().is_err() {
            eprintln!("SKIP: aarch64-linux-gnu-gcc or qemu-aarch64 not installed; UNDEFINED sweep not run");
            return None;
        }
        let d = TmpDir::new(tag);
        let src = d.0.join("sweep.c");
        std::fs::write(&src, SWEEP_C).unwrap();
        let exe = d.0.join("sweep");
        let out = Command::new("aarch64-linux-gnu-gcc").args(["-O1", "-static", "-o"]).arg(&exe).arg(&src).output().unwrap();
        assert!(out.status.success(), "gcc failed: {}", String::from_utf8_lossy(&out.stderr));
        let input = d.0.join("in.bin");
        std::fs::write(&input, words.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>()).unwrap();
        let out = Command::new("qemu-aarch64")
            .args(["-cpu", "cortex-a72"])
            .arg(&exe)
            .stdin(std::fs::File::open(&input).unwrap())
            .output()
            .unwrap();
        assert!(out.status.success(), "sweep program failed: {:?}", out.status);
        assert_eq!(out.stdout.len(), words.len());
        Some(out.stdout)
    }

    /// Every word of `words` that our decoder leaves UNDEFINED (and `skip` does not give to
    /// another group) raises SIGILL under `qemu-aarch64 -cpu cortex-a72`.
    pub fn assert_undefined_in_qemu(tag: &str, words: &[u32], skip: &dyn Fn(u32) -> bool) {
        let undef: Vec<u32> = words.iter().copied().filter(|&w| lookup(w).is_none() && !skip(w)).collect();
        let Some(sig) = undef_sweep(tag, &undef) else { return };
        let bad: Vec<String> = undef
            .iter()
            .zip(&sig)
            .filter(|(_, &s)| s != 4)
            .map(|(w, s)| format!("{w:#010x}: UNDEFINED here, qemu cortex-a72 gave signal {s}"))
            .collect();
        assert!(bad.is_empty(), "{} of {} words differ:\n{}", bad.len(), undef.len(), bad[..bad.len().min(30)].join("\n"));
        eprintln!("{tag}: {} UNDEFINED words raise SIGILL under qemu-aarch64 -cpu cortex-a72", undef.len());
    }

    /// Asserts that `diff` finds no mismatch.
    pub fn assert_agree(tag: &str, cases: &[Case]) {
        if let Some(bad) = diff(tag, cases) {
            assert!(bad.is_empty(), "{} mismatches vs qemu-aarch64, first ones:\n{}", bad.len(), bad[..bad.len().min(30)].join("\n"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::oracle::{self, Rng};
    use crate::decode::{decode, DpImm, Insn};
    use crate::semantics::alu;

    /// Random words of every dp_imm line, random register state, against qemu-aarch64.
    #[test]
    fn semantics_agree_with_qemu() {
        let mut rng = Rng(0x1d1_5eed);
        let cases = super::qemu::random_cases(&["dp_imm"], 60, &mut rng, &|_, w| Some((w, super::qemu::Kind::Plain)));
        super::qemu::assert_agree("dp_imm_qemu", &cases);
    }

    #[test]
    fn decode_agrees_with_objdump() {
        let mut rng = Rng(0x0dd5_eed1);
        // bits 28:26 = 100; enumerate op (31:22) and imms (15:10), the rest random
        let words = oracle::space(0x1c00_0000, 0x1000_0000, 0xe3c0_fc00, 8, &mut rng);
        oracle::agree_with_objdump("dp_imm", &words, &["dp_imm"], &|_| false, None);
        oracle::text_agrees_with_objdump("dp_imm_text", &words);
        super::qemu::assert_undefined_in_qemu("dp_imm_undef", &words, &|_| false);
        // bitfield and extract: op and N:immr:imms<5> enumerated (bits 31:29, 23:15)
        let words = oracle::space(0x1f00_0000, 0x1300_0000, 0xe0ff_8000, 8, &mut rng);
        oracle::agree_with_objdump("dp_imm_bf", &words, &["dp_imm"], &|_| false, None);
        oracle::text_agrees_with_objdump("dp_imm_bf_text", &words);
        super::qemu::assert_undefined_in_qemu("dp_imm_bf_undef", &words, &|_| false);
    }

    /// Every valid logical immediate, generated from its definition (a run of 1..e-1 ones
    /// rotated inside an element of e = 2..64 bits, replicated), assembled by GNU as; the
    /// decoded N:immr:imms must give back the same value.
    #[test]
    fn logical_immediates_roundtrip_through_gnu_as() {
        let mut imms64 = Vec::new();
        let mut e = 2u32;
        while e <= 64 {
            for ones in 1..e {
                for rot in 0..e {
                    let elem = alu::ones(ones);
                    let elem = if rot == 0 { elem } else { ((elem >> rot) | (elem << (e - rot))) & alu::ones(e) };
                    let mut v = 0u64;
                    let mut p = 0;
                    while p < 64 {
                        v |= elem << p;
                        p += e;
                    }
                    imms64.push(v);
                }
            }
            e *= 2;
        }
        imms64.sort_unstable();
        imms64.dedup();
        assert_eq!(imms64.len(), 5334); // the well-known count of 64-bit logical immediates
        let imms32: Vec<u64> = imms64.iter().copied().filter(|v| v >> 32 == v & 0xffff_ffff).map(|v| v & 0xffff_ffff).collect();
        assert_eq!(imms32.len(), 1302);
        let mut lines = Vec::new();
        let mut want = Vec::new();
        let ops = ["and", "orr", "eor", "ands"];
        for (k, v) in imms64.iter().enumerate() {
            lines.push(format!("{} x{}, x{}, #{:#x}", ops[k % 4], k % 31, (k / 4) % 31, v));
            want.push((true, *v, k % 4));
        }
        for (k, v) in imms32.iter().enumerate() {
            lines.push(format!("{} w{}, w{}, #{:#x}", ops[k % 4], k % 31, (k / 7) % 31, v));
            want.push((false, *v, k % 4));
        }
        let Some(words) = oracle::assemble("logimm", &lines) else { return };
        for ((w, (sf, v, op)), line) in words.iter().zip(want).zip(&lines) {
            let (got_sf, n, immr, imms) = match decode(*w) {
                Insn::DpImm(DpImm::AndImm { sf, n, immr, imms, .. }) if op == 0 => (sf, n, immr, imms),
                Insn::DpImm(DpImm::OrrImm { sf, n, immr, imms, .. }) if op == 1 => (sf, n, immr, imms),
                Insn::DpImm(DpImm::EorImm { sf, n, immr, imms, .. }) if op == 2 => (sf, n, immr, imms),
                Insn::DpImm(DpImm::AndsImm { sf, n, immr, imms, .. }) if op == 3 => (sf, n, immr, imms),
                other => panic!("{line}: {w:#010x} decoded as {other:?}"),
            };
            assert_eq!(got_sf == 1, sf, "{line}");
            assert_eq!(alu::logical_imm(sf, n, immr, imms), Some(v), "{line}: {w:#010x}");
        }
    }

    #[test]
    fn decode_fields_from_gnu_as() {
        use DpImm::*;
        let cases: Vec<(&str, Insn)> = vec![
            ("adr x3, .+0x12345", Insn::DpImm(Adr { immlo: 0x1, immhi: 0x48d1, rd: 3 })),
            ("adr x0, .-4", Insn::DpImm(Adr { immlo: 0, immhi: 0x7ffff, rd: 0 })),
            ("add sp, x1, #0x123, lsl #12", Insn::DpImm(AddImm { sf: 1, sh: 1, imm12: 0x123, rn: 1, rd: 31 })),
            ("add w2, wsp, #4095", Insn::DpImm(AddImm { sf: 0, sh: 0, imm12: 4095, rn: 31, rd: 2 })),
            ("adds xzr, x5, #1", Insn::DpImm(AddsImm { sf: 1, sh: 0, imm12: 1, rn: 5, rd: 31 })),
            ("sub x7, sp, #16", Insn::DpImm(SubImm { sf: 1, sh: 0, imm12: 16, rn: 31, rd: 7 })),
            ("cmp w9, #3, lsl #12", Insn::DpImm(SubsImm { sf: 0, sh: 1, imm12: 3, rn: 9, rd: 31 })),
            ("and sp, x3, #0xff", Insn::DpImm(AndImm { sf: 1, n: 1, immr: 0, imms: 7, rn: 3, rd: 31 })),
            ("orr w1, wzr, #0xaaaaaaaa", Insn::DpImm(OrrImm { sf: 0, n: 0, immr: 1, imms: 0x3c, rn: 31, rd: 1 })),
            ("eor x2, x2, #0x8000000000000000", Insn::DpImm(EorImm { sf: 1, n: 1, immr: 1, imms: 0, rn: 2, rd: 2 })),
            ("tst w4, #0xfffffffe", Insn::DpImm(AndsImm { sf: 0, n: 0, immr: 31, imms: 30, rn: 4, rd: 31 })),
            ("movn x1, #0x1234, lsl #48", Insn::DpImm(Movn { sf: 1, hw: 3, imm16: 0x1234, rd: 1 })),
            ("movz w1, #0xffff, lsl #16", Insn::DpImm(Movz { sf: 0, hw: 1, imm16: 0xffff, rd: 1 })),
            ("movk x30, #0xbeef, lsl #32", Insn::DpImm(Movk { sf: 1, hw: 2, imm16: 0xbeef, rd: 30 })),
            ("sbfm x0, x1, #63, #62", Insn::DpImm(Sbfm { sf: 1, n: 1, immr: 63, imms: 62, rn: 1, rd: 0 })),
            ("asr w0, w1, #31", Insn::DpImm(Sbfm { sf: 0, n: 0, immr: 31, imms: 31, rn: 1, rd: 0 })),
            ("bfi x5, x6, #8, #16", Insn::DpImm(Bfm { sf: 1, n: 1, immr: 56, imms: 15, rn: 6, rd: 5 })),
            ("lsl w3, w4, #4", Insn::DpImm(Ubfm { sf: 0, n: 0, immr: 28, imms: 27, rn: 4, rd: 3 })),
            ("uxtb w3, w4", Insn::DpImm(Ubfm { sf: 0, n: 0, immr: 0, imms: 7, rn: 4, rd: 3 })),
            ("extr x1, x2, x3, #63", Insn::DpImm(Extr { sf: 1, n: 1, rm: 3, imms: 63, rn: 2, rd: 1 })),
            ("ror w1, w2, #5", Insn::DpImm(Extr { sf: 0, n: 0, rm: 2, imms: 5, rn: 2, rd: 1 })),
        ];
        let lines: Vec<String> = cases.iter().map(|c| c.0.to_string()).collect();
        let Some(words) = oracle::assemble("dpimm_fields", &lines) else { return };
        for (w, (line, want)) in words.iter().zip(&cases) {
            assert_eq!(decode(*w), *want, "{line} ({w:#010x})");
        }
    }
}
