//! Decoder tests for the AdvSIMD integer group (`isa/simd.decode`) against an independent
//! oracle: GNU binutils (`aarch64-linux-gnu-as` assembles, `aarch64-linux-gnu-objdump`
//! disassembles). Skipped (with a message) when binutils are not installed.

use cpu_aarch64::decode::{decode, lookup, Insn, ENCODINGS};
use std::process::Command;

fn tools_present() -> bool {
    Command::new("aarch64-linux-gnu-as").arg("--version").output().is_ok()
        && Command::new("aarch64-linux-gnu-objdump").arg("--version").output().is_ok()
}

fn tmpdir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("lsemu-simd-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Assembles `src` and returns the disassembly lines (word, mnemonic, operands) of .text.
fn objdump(tag: &str, src: &str) -> Vec<(u32, String, String)> {
    let d = tmpdir(tag);
    let s = d.join("t.s");
    let o = d.join("t.o");
    std::fs::write(&s, src).unwrap();
    let st = Command::new("aarch64-linux-gnu-as").arg("-march=armv8-a+crypto").arg(&s).arg("-o").arg(&o).output().unwrap();
    assert!(st.status.success(), "as failed: {}", String::from_utf8_lossy(&st.stderr));
    let out = Command::new("aarch64-linux-gnu-objdump").arg("-d").arg(&o).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let _ = std::fs::remove_dir_all(&d);
    let mut v = Vec::new();
    for line in text.lines() {
        let parts: Vec<&str> = line.split('\t').collect();
        if parts.len() >= 3 && parts[0].trim_end().ends_with(':') {
            if let Ok(w) = u32::from_str_radix(parts[1].trim(), 16) {
                let mn = parts[2].trim().to_string();
                let ops = parts.get(3).map(|x| x.trim().to_string()).unwrap_or_default();
                v.push((w, mn, ops));
            }
        }
    }
    v
}

fn simd_name(w: u32) -> Option<&'static str> {
    match decode(w) {
        Insn::Simd(s) => Some(s.name()),
        _ => None,
    }
}

/// Preferred disassembly (aliases) binutils may print for each base mnemonic.
fn asm_matches(asm: &str, objdump_mn: &str) -> bool {
    if asm == objdump_mn {
        return true;
    }
    matches!(
        (asm, objdump_mn),
        ("orr", "mov") | ("umov", "mov") | ("ins", "mov") | ("dup", "mov") | ("not", "mvn") | ("sshll", "sxtl") | ("ushll", "uxtl")
            | ("sshll2", "sxtl2")
    )
}

/// Every mnemonic the simd table can produce (base names, their `2` forms and aliases).
fn simd_mnemonics() -> std::collections::HashSet<String> {
    let mut set = std::collections::HashSet::new();
    for e in ENCODINGS.iter().filter(|e| e.group == "simd") {
        set.insert(e.asm.to_string());
        set.insert(format!("{}2", e.asm));
    }
    for a in ["mov", "mvn", "sxtl", "uxtl", "sxtl2", "uxtl2"] {
        set.insert(a.to_string());
    }
    set
}

fn base_mnemonic(mn: &str, asm: &str) -> bool {
    // binutils prints the "2" (upper half) forms as e.g. "saddl2"
    asm_matches(asm, mn) || mn.strip_suffix('2').is_some_and(|b| asm_matches(asm, b))
}

/// Hand-written instructions with the table line each must decode to.
#[test]
fn assembled_instructions_decode_to_expected_lines() {
    if !tools_present() {
        eprintln!("skipped: GNU binutils for aarch64 not installed");
        return;
    }
    let cases: &[(&str, &str)] = &[
        ("add v0.4s, v1.4s, v2.4s", "ADD_v"),
        ("add d0, d1, d2", "ADD_s"),
        ("sub v3.2d, v4.2d, v5.2d", "SUB_v"),
        ("mul v1.8h, v2.8h, v3.8h", "MUL_v"),
        ("mul v1.4s, v2.4s, v3.s[3]", "MUL_elem_v"),
        ("mla v1.8h, v2.8h, v3.h[7]", "MLA_elem_v"),
        ("and v0.16b, v1.16b, v2.16b", "AND_v"),
        ("bic v0.8b, v1.8b, v2.8b", "BIC_v"),
        ("orr v0.16b, v1.16b, v2.16b", "ORR_v"),
        ("mov v0.16b, v1.16b", "ORR_v"),
        ("orn v0.16b, v1.16b, v2.16b", "ORN_v"),
        ("eor v0.16b, v1.16b, v2.16b", "EOR_v"),
        ("bsl v0.16b, v1.16b, v2.16b", "BSL"),
        ("bit v0.8b, v1.8b, v2.8b", "BIT"),
        ("bif v0.16b, v1.16b, v2.16b", "BIF"),
        ("cmeq v0.16b, v1.16b, v2.16b", "CMEQ_v"),
        ("cmeq v0.16b, v1.16b, #0", "CMEQ_z_v"),
        ("cmeq d0, d1, #0", "CMEQ_z_s"),
        ("cmhi v0.4s, v1.4s, v2.4s", "CMHI_v"),
        ("cmtst v0.2d, v1.2d, v2.2d", "CMTST_v"),
        ("cmlt v0.8h, v1.8h, #0", "CMLT_z_v"),
        ("movi v0.16b, #0x41", "MOVI_8"),
        ("movi v0.2d, #0xff00ff00ff00ff00", "MOVI_64"),
        ("movi d0, #0xff", "MOVI_64"),
        ("movi v0.4s, #0x12, lsl #24", "MOVI_32"),
        ("movi v0.8h, #0x12, lsl #8", "MOVI_16"),
        ("movi v0.4s, #0x12, msl #16", "MOVI_msl"),
        ("mvni v0.4s, #0x12, lsl #8", "MVNI_32"),
        ("mvni v0.4h, #0x12", "MVNI_16"),
        ("mvni v0.2s, #0x12, msl #8", "MVNI_msl"),
        ("orr v0.4s, #0x12, lsl #16", "ORR_vi_32"),
        ("bic v0.8h, #0x12, lsl #8", "BIC_vi_16"),
        ("dup v0.4s, w1", "DUP_gen"),
        ("dup v0.2d, x1", "DUP_gen"),
        ("dup v0.16b, v1.b[15]", "DUP_elem_v"),
        ("dup s0, v1.s[3]", "DUP_elem_s"),
        ("ins v0.s[1], w2", "INS_gen"),
        ("ins v0.d[1], v2.d[0]", "INS_elem"),
        ("umov w0, v1.b[3]", "UMOV"),
        ("umov x0, v1.d[1]", "UMOV"),
        ("smov x0, v1.s[1]", "SMOV"),
        ("smov w0, v1.h[7]", "SMOV"),
        ("zip1 v0.16b, v1.16b, v2.16b", "ZIP1"),
        ("zip2 v0.4s, v1.4s, v2.4s", "ZIP2"),
        ("uzp1 v0.8h, v1.8h, v2.8h", "UZP1"),
        ("uzp2 v0.2d, v1.2d, v2.2d", "UZP2"),
        ("trn1 v0.8b, v1.8b, v2.8b", "TRN1"),
        ("trn2 v0.2s, v1.2s, v2.2s", "TRN2"),
        ("ext v0.16b, v1.16b, v2.16b, #15", "EXT"),
        ("tbl v0.16b, {v1.16b}, v2.16b", "TBL"),
        ("tbl v0.8b, {v30.16b, v31.16b, v0.16b, v1.16b}, v2.8b", "TBL"),
        ("tbx v0.16b, {v1.16b, v2.16b}, v3.16b", "TBX"),
        ("shl v0.4s, v1.4s, #31", "SHL_v"),
        ("shl d0, d1, #63", "SHL_s"),
        ("ushr v0.2d, v1.2d, #64", "USHR_v"),
        ("sshr v0.8b, v1.8b, #8", "SSHR_v"),
        ("srsra d0, d1, #3", "SRSRA_s"),
        ("sri v0.8h, v1.8h, #16", "SRI_v"),
        ("sli v0.8h, v1.8h, #15", "SLI_v"),
        ("sqshlu v0.4s, v1.4s, #3", "SQSHLU_v"),
        ("uqshl b0, b1, #7", "UQSHL_imm_s"),
        ("shrn v0.8b, v1.8h, #8", "SHRN"),
        ("rshrn2 v0.4s, v1.2d, #32", "RSHRN"),
        ("sqrshrun h0, s1, #16", "SQRSHRUN_s"),
        ("uqshrn2 v0.16b, v1.8h, #1", "UQSHRN_v"),
        ("ushll v0.8h, v1.8b, #0", "USHLL"),
        ("uxtl v0.2d, v1.2s", "USHLL"),
        ("sxtl2 v0.4s, v1.8h", "SSHLL"),
        ("xtn v0.8b, v1.8h", "XTN"),
        ("xtn2 v0.4s, v1.2d", "XTN"),
        ("sqxtn s0, d1", "SQXTN_s"),
        ("uqxtn2 v0.8h, v1.4s", "UQXTN_v"),
        ("sqxtun v0.2s, v1.2d", "SQXTUN_v"),
        ("shll v0.8h, v1.8b, #8", "SHLL"),
        ("shll2 v0.2d, v1.4s, #32", "SHLL"),
        ("addv b0, v1.16b", "ADDV"),
        ("addv s0, v1.4s", "ADDV"),
        ("umaxv h0, v1.8h", "UMAXV"),
        ("sminv b0, v1.8b", "SMINV"),
        ("uaddlv d0, v1.4s", "UADDLV"),
        ("addp d0, v1.2d", "ADDP_s"),
        ("addp v0.4s, v1.4s, v2.4s", "ADDP_v"),
        ("umaxp v0.8b, v1.8b, v2.8b", "UMAXP"),
        ("rev64 v0.16b, v1.16b", "REV64"),
        ("rev32 v0.8h, v1.8h", "REV32"),
        ("rev16 v0.8b, v1.8b", "REV16"),
        ("cnt v0.16b, v1.16b", "CNT"),
        ("not v0.16b, v1.16b", "NOT"),
        ("rbit v0.8b, v1.8b", "RBIT_v"),
        ("clz v0.4s, v1.4s", "CLZ_v"),
        ("cls v0.8h, v1.8h", "CLS_v"),
        ("abs d0, d1", "ABS_s"),
        ("neg v0.2d, v1.2d", "NEG_v"),
        ("sqabs b0, b1", "SQABS_s"),
        ("sqneg v0.4s, v1.4s", "SQNEG_v"),
        ("suqadd v0.4s, v1.4s", "SUQADD_v"),
        ("usqadd h0, h1", "USQADD_s"),
        ("saddlp v0.4h, v1.8b", "SADDLP"),
        ("uadalp v0.2d, v1.4s", "UADALP"),
        ("urecpe v0.4s, v1.4s", "URECPE"),
        ("ursqrte v0.2s, v1.2s", "URSQRTE"),
        ("saddl v0.8h, v1.8b, v2.8b", "SADDL"),
        ("uaddw2 v0.4s, v1.4s, v2.8h", "UADDW"),
        ("ssubl2 v0.2d, v1.4s, v2.4s", "SSUBL"),
        ("addhn v0.8b, v1.8h, v2.8h", "ADDHN"),
        ("rsubhn2 v0.8h, v1.4s, v2.4s", "RSUBHN"),
        ("sabal v0.8h, v1.8b, v2.8b", "SABAL"),
        ("uabdl v0.4s, v1.4h, v2.4h", "UABDL"),
        ("smull v0.2d, v1.2s, v2.2s", "SMULL_v"),
        ("umull2 v0.8h, v1.16b, v2.16b", "UMULL_v"),
        ("umlal v0.4s, v1.4h, v2.h[7]", "UMLAL_elem_v"),
        ("smlsl2 v0.2d, v1.4s, v2.s[3]", "SMLSL_elem_v"),
        ("sqdmull v0.4s, v1.4h, v2.4h", "SQDMULL_v"),
        ("sqdmlal s0, h1, h2", "SQDMLAL_s"),
        ("sqdmlsl d0, s1, v2.s[1]", "SQDMLSL_elem_s"),
        ("sqdmulh v0.8h, v1.8h, v2.8h", "SQDMULH_v"),
        ("sqrdmulh s0, s1, v2.s[3]", "SQRDMULH_elem_s"),
        ("sqrdmulh v0.4h, v1.4h, v15.h[7]", "SQRDMULH_elem_v"),
        ("sqadd b0, b1, b2", "SQADD_s"),
        ("uqsub v0.2d, v1.2d, v2.2d", "UQSUB_v"),
        ("shadd v0.8b, v1.8b, v2.8b", "SHADD"),
        ("urhadd v0.4s, v1.4s, v2.4s", "URHADD"),
        ("uhsub v0.8h, v1.8h, v2.8h", "UHSUB"),
        ("sshl d0, d1, d2", "SSHL_s"),
        ("uqrshl v0.16b, v1.16b, v2.16b", "UQRSHL_v"),
        ("srshl v0.2d, v1.2d, v2.2d", "SRSHL_v"),
        ("smax v0.4s, v1.4s, v2.4s", "SMAX"),
        ("uminp v0.8h, v1.8h, v2.8h", "UMINP"),
        ("sabd v0.16b, v1.16b, v2.16b", "SABD"),
        ("uaba v0.2s, v1.2s, v2.2s", "UABA"),
        ("pmul v0.16b, v1.16b, v2.16b", "PMUL"),
        ("mls v0.4h, v1.4h, v2.4h", "MLS_v"),
        ("cmge d0, d1, d2", "CMGE_s"),
        ("cmhs v0.16b, v1.16b, v2.16b", "CMHS_v"),
    ];
    let src: String = cases.iter().map(|(a, _)| format!("{a}\n")).collect();
    let words = objdump("hand", &src);
    assert_eq!(words.len(), cases.len());
    let mut bad = Vec::new();
    for ((w, mn, ops), (a, want)) in words.iter().zip(cases) {
        let got = simd_name(*w);
        if got != Some(*want) {
            bad.push(format!("{a:40} {w:08x} ({mn} {ops}): got {got:?}, want {want}"));
        }
    }
    assert!(bad.is_empty(), "{} mismatches:\n{}", bad.len(), bad.join("\n"));
}

/// Words built from each line's fixed bits plus pseudo-random free bits, and random words
/// anywhere in the SIMD&FP data-processing space: our decoder and objdump must agree on
/// whether the word is an integer AdvSIMD instruction, and on its mnemonic.
#[test]
fn agrees_with_objdump_on_random_words() {
    if !tools_present() {
        eprintln!("skipped: GNU binutils for aarch64 not installed");
        return;
    }
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x as u32
    };
    let mut words = Vec::new();
    for e in ENCODINGS.iter().filter(|e| e.group == "simd") {
        for _ in 0..48 {
            words.push(e.bits | (rnd() & !e.mask));
        }
    }
    // LSEMU_SIMD_RANDOM_WORDS scales the random part (default 40000 + 10000)
    let nrand: usize = std::env::var("LSEMU_SIMD_RANDOM_WORDS").ok().and_then(|v| v.parse().ok()).unwrap_or(40_000);
    for _ in 0..nrand {
        // bit 31 = 0, bits 27:25 = 111: the Scalar FP / AdvSIMD data-processing space
        words.push((rnd() & !0x8e00_0000) | 0x0e00_0000);
    }
    // bits 31:30 = 01, 28:24 = 11110/11111 (scalar AdvSIMD)
    for _ in 0..nrand / 4 {
        words.push((rnd() & !0xde00_0000) | 0x5e00_0000);
    }
    let src: String = words.iter().map(|w| format!(".inst {w:#010x}\n")).collect();
    let dis = objdump("rand", &src);
    assert_eq!(dis.len(), words.len());
    eprintln!("{} words disassembled", dis.len());
    let ours = simd_mnemonics();
    let mut bad = Vec::new();
    for (w, mn, ops) in &dis {
        let undefined = mn == ".inst";
        let got = lookup(*w).map(|i| &ENCODINGS[i as usize]).filter(|e| e.group == "simd" && !e.is_unalloc());
        match got {
            Some(e) => {
                if undefined || !base_mnemonic(mn, e.asm) {
                    bad.push(format!("{w:08x}: we decode {} ({}), objdump says {mn} {ops}", e.name, e.asm));
                }
            }
            None => {
                if !undefined && ours.contains(mn.as_str()) {
                    bad.push(format!("{w:08x}: we do not decode it in simd, objdump says {mn} {ops}"));
                }
            }
        }
    }
    let n_ours = dis.iter().filter(|(w, _, _)| simd_name(*w).is_some()).count();
    let n_und = dis.iter().filter(|(w, mn, _)| mn == ".inst" && lookup(*w).is_none()).count();
    eprintln!("{n_ours} decoded as simd, {n_und} undefined in both");
    assert!(n_ours > 10_000 && n_und > 1_000);
    bad.sort();
    bad.dedup();
    assert!(bad.is_empty(), "{} disagreements:\n{}", bad.len(), bad.iter().take(80).cloned().collect::<Vec<_>>().join("\n"));
}

/// ARMv8.1+ AdvSIMD instructions that a Cortex-A72 does not implement decode UNDEFINED.
#[test]
fn later_extensions_are_undefined() {
    if !tools_present() {
        eprintln!("skipped: GNU binutils for aarch64 not installed");
        return;
    }
    let src = "
        .arch armv8.6-a+fp16+dotprod+i8mm+bf16+rdma
        sqrdmlah v0.4s, v1.4s, v2.4s
        sqrdmlsh v0.8h, v1.8h, v2.8h
        sqrdmlah h0, h1, h2
        sqrdmlsh s0, s1, v2.s[1]
        sqrdmlah v0.4h, v1.4h, v2.h[3]
        sdot v0.4s, v1.16b, v2.16b
        udot v0.2s, v1.8b, v2.4b[3]
        usdot v0.4s, v1.16b, v2.16b
        smmla v0.4s, v1.16b, v2.16b
        ummla v0.4s, v1.16b, v2.16b
        fadd v0.8h, v1.8h, v2.8h
        fmla v0.8h, v1.8h, v2.h[7]
        fabs v0.4h, v1.4h
        fmov v0.8h, #1.0
    ";
    let src: String = src.lines().map(|l| format!("{}\n", l.trim())).collect();
    let words = objdump("later", &src);
    assert!(words.len() >= 14);
    let bad: Vec<String> = words
        .iter()
        .filter(|(w, _, _)| !matches!(decode(*w), Insn::Undefined(_)))
        .map(|(w, mn, ops)| format!("{w:08x} {mn} {ops}: decodes as {}", decode(*w).name()))
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Field values of a few assembled instructions (operands as written in the source).
#[test]
fn fields_of_assembled_instructions() {
    use cpu_aarch64::decode::Simd;
    if !tools_present() {
        eprintln!("skipped: GNU binutils for aarch64 not installed");
        return;
    }
    let src = "add v3.4s, v4.4s, v5.4s
movi v7.16b, #0xa5
mov v1.s[3], v2.s[1]
mul v0.8h, v1.8h, v9.h[5]
umov w3, v30.h[6]
sshr v2.2d, v3.2d, #17
tbl v1.8b, {v2.16b, v3.16b, v4.16b}, v5.8b
ext v0.8b, v1.8b, v2.8b, #7
";
    let w: Vec<u32> = objdump("fields", src).into_iter().map(|(w, _, _)| w).collect();
    assert_eq!(w.len(), 8);
    let s = |w: u32| match decode(w) {
        Insn::Simd(s) => s,
        other => panic!("{w:08x} decodes as {other:?}"),
    };
    assert_eq!(s(w[0]), Simd::AddV { q: 1, size: 2, rm: 5, rn: 4, rd: 3 });
    assert_eq!(s(w[1]), Simd::Movi8 { q: 1, imm8: 0xa5, rd: 7 });
    // INS (element): imm5 = index1:100 (S), imm4 = index2:00
    assert_eq!(s(w[2]), Simd::InsElem { imm5: 0b11100, imm4: 0b0100, rn: 2, rd: 1 });
    // H by element: index = H:L:M = 5 -> H=1 L=0 M=1, Rm = 9 (4 bits)
    assert_eq!(s(w[3]), Simd::MulElemV { q: 1, size: 1, l: 0, m: 1, rm: 9, h: 1, rn: 1, rd: 0 });
    assert_eq!(s(w[4]), Simd::Umov { q: 0, imm5: 0b11010, rn: 30, rd: 3 });
    // 64-bit right shift by 17: immh:immb = 128 - 17 = 111
    assert_eq!(s(w[5]), Simd::SshrV { q: 1, immh: 111 >> 3, immb: 111 & 7, rn: 3, rd: 2 });
    assert_eq!(s(w[6]), Simd::Tbl { q: 0, rm: 5, len: 2, rn: 2, rd: 1 });
    assert_eq!(s(w[7]), Simd::Ext { q: 0, rm: 2, imm4: 7, rn: 1, rd: 0 });
}
