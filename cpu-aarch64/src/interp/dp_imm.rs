//! Data processing - immediate (Arm ARM C4.1.2): ADR/ADRP, ADD/SUB (immediate), logical
//! (immediate), MOVN/MOVZ/MOVK, SBFM/BFM/UBFM, EXTR. Semantics in `semantics::alu`.

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

#[cfg(test)]
mod tests {
    use super::oracle::{self, Rng};
    use crate::decode::{decode, DpImm, Insn};
    use crate::semantics::alu;

    #[test]
    fn decode_agrees_with_objdump() {
        let mut rng = Rng(0x0dd5_eed1);
        // bits 28:26 = 100; enumerate op (31:22) and imms (15:10), the rest random
        let words = oracle::space(0x1c00_0000, 0x1000_0000, 0xe3c0_fc00, 8, &mut rng);
        oracle::agree_with_objdump("dp_imm", &words, &["dp_imm"], &|_| false, None);
        // bitfield and extract: op and N:immr:imms<5> enumerated (bits 31:29, 23:15)
        let words = oracle::space(0x1f00_0000, 0x1300_0000, 0xe0ff_8000, 8, &mut rng);
        oracle::agree_with_objdump("dp_imm_bf", &words, &["dp_imm"], &|_| false, None);
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
