//! Decoder tests for the `simd_fp` group (AdvSIMD floating point), with the GNU binutils as
//! the independent oracle:
//! - `assembled_forms_decode`: instructions assembled by `aarch64-linux-gnu-as` decode to
//!   the expected table line, with the register/index fields the assembler encoded.
//! - `class_sweep_agrees_with_objdump`: every combination of the class-selecting bits of the
//!   AdvSIMD classes that hold FP encodings (Q, U, size, opcode, L/M/H, immh:immb, cmode…)
//!   is disassembled by `aarch64-linux-gnu-objdump`; a word is ours exactly when objdump
//!   names an ARMv8.0 AdvSIMD FP instruction (FP16 forms, FHM, FCMLA, BF16, FRINT32/64 must
//!   be UNDEFINED on a Cortex-A72), and then the mnemonic must agree.
//!
//! The tests skip (with a message) when the binutils are not installed.

use cpu_aarch64::decode::{lookup, ENCODINGS};
use std::collections::HashMap;
use std::process::Command;

const AS: &str = "aarch64-linux-gnu-as";
const OBJDUMP: &str = "aarch64-linux-gnu-objdump";

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().map(|o| o.status.success()).unwrap_or(false)
}

fn tmp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("lsemu-simdfp-{}-{name}", std::process::id()))
}

/// Disassembles raw words; returns (mnemonic, operands) per word.
fn objdump(words: &[u32]) -> Vec<(String, String)> {
    let bin = tmp("sweep.bin");
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    std::fs::write(&bin, bytes).unwrap();
    let out = Command::new(OBJDUMP).args(["-D", "-b", "binary", "-m", "aarch64"]).arg(&bin).output().unwrap();
    let _ = std::fs::remove_file(&bin);
    let text = String::from_utf8_lossy(&out.stdout);
    let mut res = vec![(String::new(), String::new()); words.len()];
    for line in text.lines() {
        let mut parts = line.split('\t');
        let Some(addr) = parts.next() else { continue };
        let Some(addr) = addr.trim().strip_suffix(':') else { continue };
        let Ok(off) = usize::from_str_radix(addr, 16) else { continue };
        let _hex = parts.next();
        let mn = parts.next().unwrap_or("").trim().to_string();
        let ops = parts.next().unwrap_or("").trim().to_string();
        if off % 4 == 0 && off / 4 < res.len() {
            res[off / 4] = (mn, ops);
        }
    }
    res
}

/// Assembles lines, returns one word per line.
fn assemble(lines: &[&str]) -> Vec<u32> {
    let src = tmp("asm.s");
    let obj = tmp("asm.o");
    let bin = tmp("asm.bin");
    std::fs::write(&src, lines.join("\n") + "\n").unwrap();
    let st = Command::new(AS).arg("-o").arg(&obj).arg(&src).output().unwrap();
    assert!(st.status.success(), "as failed: {}", String::from_utf8_lossy(&st.stderr));
    let st = Command::new("aarch64-linux-gnu-objcopy")
        .args(["-O", "binary", "-j", ".text"])
        .arg(&obj)
        .arg(&bin)
        .output()
        .unwrap();
    assert!(st.status.success());
    let b = std::fs::read(&bin).unwrap();
    for p in [&src, &obj, &bin] {
        let _ = std::fs::remove_file(p);
    }
    assert_eq!(b.len(), lines.len() * 4);
    b.chunks(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

/// The mnemonics of the simd_fp table.
fn fp_mnemonics() -> Vec<&'static str> {
    let mut v: Vec<&str> = ENCODINGS.iter().filter(|e| e.group == "simd_fp").map(|e| e.asm).collect();
    v.sort();
    v.dedup();
    v
}

/// True when objdump's operands use half-precision data (FP16 arithmetic, ARMv8.2).
fn uses_half(mn: &str, ops: &str) -> bool {
    if mn.starts_with("fcvtn") || mn.starts_with("fcvtl") {
        return false; // S<->H conversions are ARMv8.0
    }
    let first = ops.split(',').next().unwrap_or("").trim();
    ops.contains(".4h") || ops.contains(".8h") || ops.contains(".2h") || first.starts_with('h') || ops.contains(".h[")
}

struct Class {
    name: &'static str,
    base: u32,
    /// Bits that are enumerated exhaustively.
    vary: u32,
    /// Register bits filled with pseudo-random values.
    regs: u32,
}

/// Every AdvSIMD class that contains FP encodings, with its class-selecting bits.
const CLASSES: &[Class] = &[
    // 0 Q U 01110 size 1 Rm opcode 1 Rn Rd: Q, U, size, opcode
    Class { name: "three same", base: 0x0E20_0400, vary: 0x60C0_F800, regs: 0x001F_03FF },
    // 01 U 11110 size 1 Rm opcode 1 Rn Rd
    Class { name: "scalar three same", base: 0x5E20_0400, vary: 0x20C0_F800, regs: 0x001F_03FF },
    // 01 U 11110 size 11000 opcode 10 Rn Rd
    Class { name: "scalar pairwise", base: 0x5E30_0800, vary: 0x20C1_F000, regs: 0x0000_03FF },
    // 0 Q U 01110 size 10000 opcode 10 Rn Rd
    Class { name: "two-reg misc", base: 0x0E20_0800, vary: 0x60C1_F000, regs: 0x0000_03FF },
    // 01 U 11110 size 10000 opcode 10 Rn Rd
    Class { name: "scalar two-reg misc", base: 0x5E20_0800, vary: 0x20C1_F000, regs: 0x0000_03FF },
    // 0 Q U 01110 size 11000 opcode 10 Rn Rd
    Class { name: "across lanes", base: 0x0E30_0800, vary: 0x60C1_F000, regs: 0x0000_03FF },
    // 0 Q U 01111 size L M Rm opcode H 0 Rn Rd: Q U size L M opcode H
    Class { name: "by element", base: 0x0F00_0000, vary: 0x60F0_F800, regs: 0x000F_03FF },
    // 01 U 11111 size L M Rm opcode H 0 Rn Rd
    Class { name: "scalar by element", base: 0x5F00_0000, vary: 0x20F0_F800, regs: 0x000F_03FF },
    // 0 Q U 011110 immh immb opcode 1 Rn Rd (immh=0000 is the modified immediate class)
    Class { name: "shift by immediate", base: 0x0F00_0400, vary: 0x607F_F800, regs: 0x0000_03FF },
    // 01 U 111110 immh immb opcode 1 Rn Rd
    Class { name: "scalar shift by immediate", base: 0x5F00_0400, vary: 0x207F_F800, regs: 0x0000_03FF },
    // 0 Q op 0111100000 abc cmode o2 1 defgh Rd: Q op abc cmode o2
    Class { name: "modified immediate", base: 0x0F00_0400, vary: 0x6007_F800, regs: 0x0000_03FF },
];

/// All values of the bits in `mask`.
fn subsets(mask: u32) -> impl Iterator<Item = u32> {
    let mut cur: Option<u32> = Some(0);
    std::iter::from_fn(move || {
        let c = cur?;
        cur = if c == mask { None } else { Some((c.wrapping_sub(mask)) & mask) };
        Some(c)
    })
}

#[test]
fn class_sweep_agrees_with_objdump() {
    if !have(OBJDUMP) {
        eprintln!("SKIP: {OBJDUMP} not installed");
        return;
    }
    let mnems = fp_mnemonics();
    let mut words = Vec::new();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for c in CLASSES {
        for v in subsets(c.vary) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // random registers in the bits the class does not select on
            let regs = (seed as u32) & c.regs;
            words.push((c.name, c.base | v | regs));
        }
    }
    let raw: Vec<u32> = words.iter().map(|w| w.1).collect();
    let dis = objdump(&raw);
    let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
    let mut errors = Vec::new();
    for ((class, w), (mn, ops)) in words.iter().zip(dis.iter()) {
        let ours = lookup(*w).map(|i| &ENCODINGS[i as usize]);
        let ours_fp = ours.filter(|e| e.group == "simd_fp");
        let base_mn = match mn.as_str() {
            "fcvtn2" | "fcvtl2" | "fcvtxn2" => &mn[..mn.len() - 1],
            m => m,
        };
        let gnu_fp = mnems.contains(&base_mn) && !uses_half(mn, ops);
        let cnt = counts.entry(class).or_default();
        cnt.0 += 1;
        match (gnu_fp, ours_fp) {
            (true, Some(e)) => {
                cnt.1 += 1;
                if e.asm != base_mn {
                    errors.push(format!("{w:#010x} [{class}]: objdump '{mn} {ops}', we decode {}", e.name));
                }
            }
            (true, None) => errors.push(format!(
                "{w:#010x} [{class}]: objdump '{mn} {ops}', we decode {}",
                ours.map_or("UNDEFINED", |e| e.name)
            )),
            (false, Some(e)) => {
                errors.push(format!("{w:#010x} [{class}]: objdump '{mn} {ops}', we decode {} (must not)", e.name))
            }
            (false, None) => {}
        }
    }
    for (c, (n, fp)) in &counts {
        eprintln!("{c}: {n} words, {fp} AdvSIMD FP");
    }
    assert!(errors.is_empty(), "{} disagreements:\n{}", errors.len(), errors[..errors.len().min(60)].join("\n"));
}

/// Fields of a decoded word by name.
fn field(w: u32, name: &str) -> u32 {
    let i = lookup(w).unwrap();
    ENCODINGS[i as usize].field(name).unwrap_or_else(|| panic!("no field {name}")).extract(w)
}

#[test]
fn assembled_forms_decode() {
    if !have(AS) {
        eprintln!("SKIP: {AS} not installed");
        return;
    }
    // (source line, expected line name, expected fields)
    type Case = (&'static str, &'static str, &'static [(&'static str, u32)]);
    let cases: &[Case] = &[
        ("fadd v1.4s, v2.4s, v3.4s", "FADD_vec", &[("q", 1), ("sz", 0), ("rd", 1), ("rn", 2), ("rm", 3)]),
        ("fadd v31.2d, v30.2d, v29.2d", "FADD_vec", &[("q", 1), ("sz", 1), ("rd", 31), ("rn", 30), ("rm", 29)]),
        ("fsub v4.2s, v5.2s, v6.2s", "FSUB_vec", &[("q", 0), ("sz", 0), ("rd", 4), ("rn", 5), ("rm", 6)]),
        ("fmla v7.2d, v8.2d, v9.2d", "FMLA_vec", &[("sz", 1), ("rd", 7)]),
        ("fmls v7.4s, v8.4s, v9.4s", "FMLS_vec", &[("sz", 0)]),
        ("fabd v1.2s, v2.2s, v3.2s", "FABD_vec", &[]),
        ("facgt v1.2d, v2.2d, v3.2d", "FACGT_vec", &[("sz", 1)]),
        ("faddp v1.4s, v2.4s, v3.4s", "FADDP_vec", &[("q", 1)]),
        ("fminnmp v1.2d, v2.2d, v3.2d", "FMINNMP_vec", &[]),
        ("frsqrts v1.4s, v2.4s, v3.4s", "FRSQRTS_vec", &[]),
        ("fmulx d1, d2, d3", "FMULX_asisd", &[("sz", 1), ("rd", 1), ("rn", 2), ("rm", 3)]),
        ("fabd s1, s2, s3", "FABD_asisd", &[("sz", 0)]),
        ("facge d0, d1, d2", "FACGE_asisd", &[]),
        ("frecps s0, s1, s2", "FRECPS_asisd", &[]),
        ("faddp s5, v6.2s", "FADDP_asisd", &[("sz", 0), ("rd", 5), ("rn", 6)]),
        ("faddp d5, v6.2d", "FADDP_asisd", &[("sz", 1)]),
        ("fminnmp d5, v6.2d", "FMINNMP_asisd", &[("sz", 1)]),
        ("fcvtn v1.4h, v2.4s", "FCVTN_vec", &[("q", 0), ("sz", 0)]),
        ("fcvtn2 v1.4s, v2.2d", "FCVTN_vec", &[("q", 1), ("sz", 1)]),
        ("fcvtl v1.4s, v2.4h", "FCVTL_vec", &[("q", 0), ("sz", 0)]),
        ("fcvtl2 v1.2d, v2.4s", "FCVTL_vec", &[("q", 1), ("sz", 1)]),
        ("fcvtxn v1.2s, v2.2d", "FCVTXN_vec", &[("q", 0)]),
        ("fcvtxn2 v1.4s, v2.2d", "FCVTXN_vec", &[("q", 1)]),
        ("fcvtxn s1, d2", "FCVTXN_asisd", &[("rd", 1), ("rn", 2)]),
        ("frintx v1.2d, v2.2d", "FRINTX_vec", &[]),
        ("frinti v1.4s, v2.4s", "FRINTI_vec", &[]),
        ("fcvtzu v1.2s, v2.2s", "FCVTZU_vec", &[]),
        ("fcvtau d1, d2", "FCVTAU_asisd", &[("sz", 1)]),
        ("scvtf v1.4s, v2.4s", "SCVTF_vec", &[]),
        ("ucvtf s1, s2", "UCVTF_asisd", &[("sz", 0)]),
        ("fcmlt v1.2d, v2.2d, #0.0", "FCMLT_zero_vec", &[]),
        ("fcmle d1, d2, #0.0", "FCMLE_zero_asisd", &[]),
        ("fcmeq s1, s2, #0.0", "FCMEQ_zero_asisd", &[]),
        ("fabs v1.2s, v2.2s", "FABS_vec", &[]),
        ("fneg v1.2d, v2.2d", "FNEG_vec", &[]),
        ("fsqrt v1.4s, v2.4s", "FSQRT_vec", &[]),
        ("frecpe d1, d2", "FRECPE_asisd", &[]),
        ("frsqrte v1.2s, v2.2s", "FRSQRTE_vec", &[]),
        ("frecpx d1, d2", "FRECPX_asisd", &[("sz", 1)]),
        ("fmaxnmv s1, v2.4s", "FMAXNMV_vec", &[("rd", 1), ("rn", 2)]),
        ("fminv s1, v2.4s", "FMINV_vec", &[]),
        ("fmla v1.4s, v2.4s, v31.s[3]", "FMLA_elem_vec", &[("sz", 0), ("rm", 31), ("h", 1), ("l", 1)]),
        ("fmla v1.2s, v2.2s, v17.s[2]", "FMLA_elem_vec", &[("q", 0), ("rm", 17), ("h", 1), ("l", 0)]),
        ("fmls v1.2d, v2.2d, v20.d[1]", "FMLS_elem_vec", &[("sz", 1), ("rm", 20), ("h", 1), ("l", 0)]),
        ("fmul v1.4s, v2.4s, v3.s[1]", "FMUL_elem_vec", &[("h", 0), ("l", 1)]),
        ("fmulx v1.2d, v2.2d, v3.d[0]", "FMULX_elem_vec", &[("h", 0)]),
        ("fmla s1, s2, v19.s[1]", "FMLA_elem_asisd", &[("rm", 19), ("l", 1), ("h", 0)]),
        ("fmul d1, d2, v30.d[1]", "FMUL_elem_asisd", &[("rm", 30), ("h", 1)]),
        ("fmulx s1, s2, v3.s[3]", "FMULX_elem_asisd", &[("h", 1), ("l", 1)]),
        // immhb = immh:immb without its fixed top bits; fbits = 32 - immhb (S), 64 - immhb (D)
        ("scvtf v1.4s, v2.4s, #3", "SCVTF_fix_vec_s", &[("q", 1), ("immhb", 29)]),
        ("ucvtf v1.2d, v2.2d, #64", "UCVTF_fix_vec_d", &[("immhb", 0)]),
        ("fcvtzs v1.2s, v2.2s, #32", "FCVTZS_fix_vec_s", &[("q", 0), ("immhb", 0)]),
        ("fcvtzu v1.2d, v2.2d, #5", "FCVTZU_fix_vec_d", &[("immhb", 59)]),
        ("fcvtzu d1, d2, #1", "FCVTZU_fix_asisd_d", &[("immhb", 63)]),
        ("scvtf s1, s2, #17", "SCVTF_fix_asisd_s", &[("immhb", 15)]),
        ("ucvtf s1, s2, #1", "UCVTF_fix_asisd_s", &[("immhb", 31)]),
        ("fcvtzs d1, d2, #64", "FCVTZS_fix_asisd_d", &[("immhb", 0)]),
        ("fmov v1.4s, #1.0", "FMOV_imm_vec_s", &[("q", 1), ("imm8", 0x70), ("rd", 1)]),
        ("fmov v1.2s, #-0.125", "FMOV_imm_vec_s", &[("q", 0), ("imm8", 0xc0)]),
        ("fmov v9.2d, #31.0", "FMOV_imm_vec_d", &[("imm8", 0x3f), ("rd", 9)]),
    ];
    let lines: Vec<&str> = cases.iter().map(|c| c.0).collect();
    let words = assemble(&lines);
    for ((src, name, fields), w) in cases.iter().zip(words) {
        let i = lookup(w).unwrap_or_else(|| panic!("{src} ({w:#010x}) decodes UNDEFINED"));
        assert_eq!(ENCODINGS[i as usize].name, *name, "{src} ({w:#010x})");
        for (f, v) in fields.iter() {
            assert_eq!(field(w, f), *v, "{src} ({w:#010x}) field {f}");
        }
    }
}
