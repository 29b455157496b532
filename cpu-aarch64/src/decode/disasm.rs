//! A64 disassembler driven by the encoding table: the line `lookup` finds gives the base
//! mnemonic (`asm=`) and the fields; the preferred aliases of the Arm ARM (MOV, CMP, LSL,
//! UBFX, CSET, MUL, MOV (vector), MVN, SXTL, ...) are chosen by their conditions on the
//! instruction bits, as the Arm ARM's alias tables state them. Operands use Arm syntax for
//! the integer, branch, system and load/store classes; other classes print their fields
//! generically (`v0, v1, #imm`).

use super::{lookup, Encoding, ENCODINGS};

const COND: [&str; 16] = ["eq", "ne", "hs", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al", "nv"];
const SHIFT: [&str; 4] = ["lsl", "lsr", "asr", "ror"];
const EXTEND: [&str; 8] = ["uxtb", "uxth", "uxtw", "uxtx", "sxtb", "sxth", "sxtw", "sxtx"];

fn bits(w: u32, hi: u32, lo: u32) -> u32 {
    (w >> lo) & (((1u64 << (hi - lo + 1)) - 1) as u32)
}

/// Xn/Wn with 31 as the zero register.
fn r(n: u32, sf: bool) -> String {
    match (n, sf) {
        (31, true) => "xzr".into(),
        (31, false) => "wzr".into(),
        (n, true) => format!("x{n}"),
        (n, false) => format!("w{n}"),
    }
}

/// Xn/Wn with 31 as the stack pointer.
fn rsp(n: u32, sf: bool) -> String {
    match (n, sf) {
        (31, true) => "sp".into(),
        (31, false) => "wsp".into(),
        _ => r(n, sf),
    }
}

fn imm(v: i64) -> String {
    if (-9..=9).contains(&v) {
        format!("#{v}")
    } else if v < 0 {
        format!("#-{:#x}", v.unsigned_abs())
    } else {
        format!("#{v:#x}")
    }
}

fn sext(v: u64, bits: u32) -> i64 {
    let s = 64 - bits;
    ((v << s) as i64) >> s
}

/// DecodeBitMasks(immN, imms, immr) for logical immediates (Arm ARM shared pseudo-code).
pub fn decode_bit_masks(n: u32, imms: u32, immr: u32, sf: bool) -> Option<u64> {
    let combined = (n << 6) | (!imms & 0x3f);
    if combined == 0 {
        return None;
    }
    let len = 31 - combined.leading_zeros();
    if len < 1 {
        return None;
    }
    let levels = (1u32 << len) - 1;
    let s = imms & levels;
    let rr = immr & levels;
    if s == levels {
        return None;
    }
    let esize = 1u32 << len;
    let welem: u64 = if s + 1 >= 64 { u64::MAX } else { (1u64 << (s + 1)) - 1 };
    let emask = if esize == 64 { u64::MAX } else { (1u64 << esize) - 1 };
    let rot = if rr == 0 { welem } else { ((welem >> rr) | (welem << (esize - rr))) & emask };
    let mut v = 0u64;
    let mut i = 0;
    while i < 64 {
        v |= rot << i;
        i += esize;
    }
    Some(if sf { v } else { v & 0xffff_ffff })
}

fn move_wide_preferred(sf: bool, n: u32, imms: u32, immr: u32) -> bool {
    let width = if sf { 64 } else { 32 };
    if sf && n != 1 || !sf && (n != 0 || imms & 0x20 != 0) {
        return false;
    }
    if imms < 16 {
        return (16 - (immr % 16)) % 16 <= 15 - imms;
    }
    if imms >= width - 15 {
        return immr % 16 <= imms - (width - 15);
    }
    false
}

fn bfx_preferred(sf: bool, uns: bool, imms: u32, immr: u32) -> bool {
    if imms < immr || imms == if sf { 63 } else { 31 } {
        return false;
    }
    if immr == 0 {
        if !sf && (imms == 7 || imms == 15) {
            return false;
        }
        if sf && !uns && (imms == 7 || imms == 15 || imms == 31) {
            return false;
        }
    }
    true
}

fn join(m: &str, ops: &[String]) -> String {
    if ops.is_empty() { m.to_string() } else { format!("{m} {}", ops.join(", ")) }
}

/// Disassembles one instruction word at address `pc`.
pub fn disasm(word: u32, pc: u64) -> String {
    let e = match lookup(word) {
        Some(i) if !ENCODINGS[i as usize].is_unalloc() => &ENCODINGS[i as usize],
        _ => return format!(".inst {word:#010x}"),
    };
    render(e, word, pc)
}

/// Disassembles `word` as an instance of encoding `e`.
pub fn render(e: &Encoding, word: u32, pc: u64) -> String {
    let op0 = bits(word, 28, 25);
    let s = match op0 {
        0b1000 | 0b1001 => dp_imm(e, word, pc),
        0b0101 | 0b1101 => dp_reg(e, word),
        0b1010 | 0b1011 => branch_sys(e, word, pc),
        0b0100 | 0b0110 | 0b1100 | 0b1110 => ldst(e, word, pc),
        0b0111 | 0b1111 => simd_fp(e, word),
        _ => None,
    };
    s.unwrap_or_else(|| generic(e, word, pc))
}

/// Vector mnemonics that take a `2` suffix when Q = 1 (upper-half forms).
const UPPER_HALF: &[&str] = &[
    "saddl", "uaddl", "saddw", "uaddw", "ssubl", "usubl", "ssubw", "usubw", "addhn", "raddhn", "subhn", "rsubhn", "sabal", "uabal",
    "sabdl", "uabdl", "smlal", "umlal", "smlsl", "umlsl", "smull", "umull", "sqdmlal", "sqdmlsl", "sqdmull", "pmull", "shrn",
    "rshrn", "sqshrn", "uqshrn", "sqrshrn", "uqrshrn", "sqshrun", "sqrshrun", "sshll", "ushll", "sxtl", "uxtl", "xtn", "sqxtn",
    "uqxtn", "sqxtun", "fcvtn", "fcvtxn", "fcvtl", "shll",
];

/// The preferred mnemonic of an AdvSIMD/FP instruction.
fn simd_mnemonic(e: &Encoding, w: u32) -> String {
    let mut m = e.asm.to_string();
    let vector = bits(w, 31, 31) == 0 && bits(w, 28, 28) == 0 && bits(w, 27, 25) == 0b111;
    match e.asm {
        "orr" if w & 0xbfe0_fc00 == 0x0ea0_1c00 && bits(w, 20, 16) == bits(w, 9, 5) => m = "mov".into(),
        "not" => m = "mvn".into(),
        "umov" => {
            let imm5 = bits(w, 20, 16);
            let q = bits(w, 30, 30);
            if (q == 1 && imm5 & 0xf == 8) || (q == 0 && imm5 & 7 == 4) {
                m = "mov".into();
            }
        }
        "ins" => m = "mov".into(),
        "dup" if w & 0xffe0_fc00 == 0x5e00_0400 => m = "mov".into(),
        "sshll" | "ushll" if bits(w, 18, 16) == 0 && bits(w, 22, 19).count_ones() == 1 => {
            m = if e.asm == "sshll" { "sxtl".into() } else { "uxtl".into() };
        }
        _ => {}
    }
    if vector && bits(w, 30, 30) == 1 && UPPER_HALF.contains(&m.as_str()) {
        m.push('2');
    }
    m
}

/// Fields printed generically: registers first, then the rest as `name=value`.
fn generic(e: &Encoding, w: u32, pc: u64) -> String {
    let _ = pc;
    let simd = bits(w, 27, 25) == 0b111 || bits(w, 28, 24) & 0b0_0111 == 0b0_0111;
    let m = if simd { simd_mnemonic(e, w) } else { e.asm.to_string() };
    let mut ops = Vec::new();
    for name in ["rd", "rt", "rt2", "rs", "rn", "rm", "ra"] {
        if let Some(f) = e.field(name) {
            let v = f.extract(w);
            ops.push(if simd { format!("v{v}") } else { r(v, true) });
        }
    }
    for f in e.fields {
        if !["rd", "rt", "rt2", "rs", "rn", "rm", "ra"].contains(&f.name) {
            ops.push(format!("{}={}", f.name, f.extract(w)));
        }
    }
    join(&m, &ops)
}

fn dp_imm(e: &Encoding, w: u32, pc: u64) -> Option<String> {
    let sf = bits(w, 31, 31) == 1;
    let rd = bits(w, 4, 0);
    let rn = bits(w, 9, 5);
    let m = e.asm;
    Some(match bits(w, 25, 23) {
        0b000 | 0b001 => {
            let immv = sext(((bits(w, 23, 5) << 2) | bits(w, 30, 29)) as u64, 21);
            let target = if bits(w, 31, 31) == 1 { (pc & !0xfff).wrapping_add((immv << 12) as u64) } else { pc.wrapping_add(immv as u64) };
            join(m, &[r(rd, true), format!("{target:#x}")])
        }
        0b010 => {
            let sh = bits(w, 22, 22);
            let imm12 = bits(w, 21, 10);
            let op = bits(w, 30, 30);
            let sflag = bits(w, 29, 29);
            let ops_imm = if sh == 1 { vec![imm(imm12 as i64), "lsl #12".into()] } else { vec![imm(imm12 as i64)] };
            if op == 0 && sflag == 0 && sh == 0 && imm12 == 0 && (rd == 31 || rn == 31) {
                join("mov", &[rsp(rd, sf), rsp(rn, sf)])
            } else if sflag == 1 && rd == 31 {
                let mut o = vec![rsp(rn, sf)];
                o.extend(ops_imm);
                join(if op == 0 { "cmn" } else { "cmp" }, &o)
            } else {
                let mut o = vec![if sflag == 1 { r(rd, sf) } else { rsp(rd, sf) }, rsp(rn, sf)];
                o.extend(ops_imm);
                join(m, &o)
            }
        }
        0b100 => {
            let n = bits(w, 22, 22);
            let immr = bits(w, 21, 16);
            let imms = bits(w, 15, 10);
            let v = decode_bit_masks(n, imms, immr, sf)?;
            let opc = bits(w, 30, 29);
            let vs = format!("#{v:#x}");
            if opc == 1 && rn == 31 && !move_wide_preferred(sf, n, imms, immr) {
                join("mov", &[rsp(rd, sf), vs])
            } else if opc == 3 && rd == 31 {
                join("tst", &[r(rn, sf), vs])
            } else {
                join(m, &[if opc == 3 { r(rd, sf) } else { rsp(rd, sf) }, r(rn, sf), vs])
            }
        }
        0b101 => {
            let hw = bits(w, 22, 21);
            let imm16 = bits(w, 20, 5) as u64;
            let opc = bits(w, 30, 29);
            let shifted = imm16 << (16 * hw);
            match opc {
                0 if !(imm16 == 0 && hw != 0) && (sf || imm16 != 0xffff) => {
                    let v = if sf { !shifted } else { !shifted & 0xffff_ffff };
                    join("mov", &[r(rd, sf), format!("#{v:#x}")])
                }
                2 if !(imm16 == 0 && hw != 0) => join("mov", &[r(rd, sf), format!("#{shifted:#x}")]),
                _ => {
                    let mut o = vec![r(rd, sf), format!("#{imm16:#x}")];
                    if hw != 0 {
                        o.push(format!("lsl #{}", 16 * hw));
                    }
                    join(m, &o)
                }
            }
        }
        0b110 => {
            let immr = bits(w, 21, 16);
            let imms = bits(w, 15, 10);
            let max = if sf { 63 } else { 31 };
            let width = max + 1;
            let opc = bits(w, 30, 29);
            let (d, n) = (r(rd, sf), r(rn, sf));
            let lsb_w = |lsb: u32, wd: u32| vec![d.clone(), n.clone(), format!("#{lsb}"), format!("#{wd}")];
            match opc {
                0 => {
                    if imms == max {
                        join("asr", &[d, n, format!("#{immr}")])
                    } else if imms < immr {
                        join("sbfiz", &lsb_w((width - immr) % width, imms + 1))
                    } else if bfx_preferred(sf, false, imms, immr) {
                        join("sbfx", &lsb_w(immr, imms - immr + 1))
                    } else if immr == 0 && matches!(imms, 7 | 15 | 31) {
                        let mn = match imms {
                            7 => "sxtb",
                            15 => "sxth",
                            _ => "sxtw",
                        };
                        join(mn, &[d, r(rn, false)])
                    } else {
                        join(m, &[d, n, format!("#{immr}"), format!("#{imms}")])
                    }
                }
                1 => {
                    if rn == 31 && imms < immr {
                        join("bfc", &[d, format!("#{}", (width - immr) % width), format!("#{}", imms + 1)])
                    } else if imms < immr {
                        join("bfi", &lsb_w((width - immr) % width, imms + 1))
                    } else {
                        join("bfxil", &lsb_w(immr, imms - immr + 1))
                    }
                }
                _ => {
                    if imms != max && imms + 1 == immr {
                        join("lsl", &[d, n, format!("#{}", max - imms)])
                    } else if imms == max {
                        join("lsr", &[d, n, format!("#{immr}")])
                    } else if imms < immr {
                        join("ubfiz", &lsb_w((width - immr) % width, imms + 1))
                    } else if bfx_preferred(sf, true, imms, immr) {
                        join("ubfx", &lsb_w(immr, imms - immr + 1))
                    } else if immr == 0 && !sf && matches!(imms, 7 | 15) {
                        join(if imms == 7 { "uxtb" } else { "uxth" }, &[d, r(rn, false)])
                    } else {
                        join(m, &[d, n, format!("#{immr}"), format!("#{imms}")])
                    }
                }
            }
        }
        0b111 => {
            let rm = bits(w, 20, 16);
            let lsb = bits(w, 15, 10);
            if rn == rm {
                join("ror", &[r(rd, sf), r(rn, sf), format!("#{lsb}")])
            } else {
                join(m, &[r(rd, sf), r(rn, sf), r(rm, sf), format!("#{lsb}")])
            }
        }
        _ => return None,
    })
}

fn dp_reg(e: &Encoding, w: u32) -> Option<String> {
    let sf = bits(w, 31, 31) == 1;
    let rd = bits(w, 4, 0);
    let rn = bits(w, 9, 5);
    let rm = bits(w, 20, 16);
    let m = e.asm;
    if bits(w, 28, 28) == 0 {
        let shift = bits(w, 23, 22);
        let imm6 = bits(w, 15, 10);
        let shifted = |o: &mut Vec<String>| {
            if imm6 != 0 || shift != 0 {
                o.push(format!("{} #{imm6}", SHIFT[shift as usize]));
            }
        };
        if bits(w, 24, 24) == 0 {
            // logical (shifted register)
            let opc = bits(w, 30, 29);
            let nbit = bits(w, 21, 21);
            let (mn, mut o) = if opc == 1 && nbit == 0 && rn == 31 && shift == 0 && imm6 == 0 {
                ("mov", vec![r(rd, sf), r(rm, sf)])
            } else if opc == 1 && nbit == 1 && rn == 31 {
                ("mvn", vec![r(rd, sf), r(rm, sf)])
            } else if opc == 3 && nbit == 0 && rd == 31 {
                ("tst", vec![r(rn, sf), r(rm, sf)])
            } else {
                (m, vec![r(rd, sf), r(rn, sf), r(rm, sf)])
            };
            if mn != "mov" {
                shifted(&mut o);
            }
            return Some(join(mn, &o));
        }
        let op = bits(w, 30, 30);
        let sflag = bits(w, 29, 29);
        if bits(w, 21, 21) == 0 {
            // add/sub (shifted register)
            let (mn, mut o) = if sflag == 1 && rd == 31 {
                (if op == 0 { "cmn" } else { "cmp" }, vec![r(rn, sf), r(rm, sf)])
            } else if op == 1 && rn == 31 {
                (if sflag == 1 { "negs" } else { "neg" }, vec![r(rd, sf), r(rm, sf)])
            } else {
                (m, vec![r(rd, sf), r(rn, sf), r(rm, sf)])
            };
            shifted(&mut o);
            return Some(join(mn, &o));
        }
        // add/sub (extended register)
        let option = bits(w, 15, 13);
        let imm3 = bits(w, 12, 10);
        let rm_x = option & 3 == 3;
        let rm_s = r(rm, sf && rm_x);
        let uses_sp = rd == 31 && sflag == 0 || rn == 31;
        let ext = if uses_sp && option == if sf { 3 } else { 2 } {
            if imm3 == 0 { None } else { Some(format!("lsl #{imm3}")) }
        } else if imm3 == 0 {
            Some(EXTEND[option as usize].to_string())
        } else {
            Some(format!("{} #{imm3}", EXTEND[option as usize]))
        };
        let (mn, mut o) = if sflag == 1 && rd == 31 {
            (if op == 0 { "cmn" } else { "cmp" }, vec![rsp(rn, sf), rm_s])
        } else {
            (m, vec![if sflag == 1 { r(rd, sf) } else { rsp(rd, sf) }, rsp(rn, sf), rm_s])
        };
        o.extend(ext);
        return Some(join(mn, &o));
    }
    let cond = bits(w, 15, 12);
    Some(match bits(w, 24, 21) {
        0b0000 => {
            let op = bits(w, 30, 30);
            if op == 1 && rn == 31 {
                join(if bits(w, 29, 29) == 1 { "ngcs" } else { "ngc" }, &[r(rd, sf), r(rm, sf)])
            } else {
                join(m, &[r(rd, sf), r(rn, sf), r(rm, sf)])
            }
        }
        0b0010 => {
            let second = if bits(w, 11, 11) == 1 { imm(rm as i64) } else { r(rm, sf) };
            join(m, &[r(rn, sf), second, imm(bits(w, 3, 0) as i64), COND[cond as usize].into()])
        }
        0b0100 => {
            let op = bits(w, 30, 30);
            let o2 = bits(w, 10, 10);
            let inv = COND[(cond ^ 1) as usize].to_string();
            if cond >> 1 != 7 && (op, o2) != (0, 0) && rn == rm {
                match (op, o2) {
                    (0, 1) if rn == 31 => join("cset", &[r(rd, sf), inv]),
                    (1, 0) if rn == 31 => join("csetm", &[r(rd, sf), inv]),
                    (0, 1) => join("cinc", &[r(rd, sf), r(rn, sf), inv]),
                    (1, 0) => join("cinv", &[r(rd, sf), r(rn, sf), inv]),
                    _ => join("cneg", &[r(rd, sf), r(rn, sf), inv]),
                }
            } else {
                join(m, &[r(rd, sf), r(rn, sf), r(rm, sf), COND[cond as usize].into()])
            }
        }
        0b0110 => {
            if bits(w, 30, 30) == 1 {
                // data processing (1 source)
                join(m, &[r(rd, sf), r(rn, sf)])
            } else {
                let opcode = bits(w, 15, 10);
                let mn = match m {
                    "lslv" => "lsl",
                    "lsrv" => "lsr",
                    "asrv" => "asr",
                    "rorv" => "ror",
                    x => x,
                };
                if (0b010000..=0b010111).contains(&opcode) {
                    // CRC32: the data operand is Xm only for the 64-bit forms
                    join(mn, &[r(rd, false), r(rn, false), r(rm, sf)])
                } else {
                    join(mn, &[r(rd, sf), r(rn, sf), r(rm, sf)])
                }
            }
        }
        _ => {
            // data processing (3 source)
            let ra = bits(w, 14, 10);
            let op31 = bits(w, 23, 21);
            let long = op31 == 0b001 || op31 == 0b101;
            let o0 = bits(w, 15, 15);
            let alias = if ra != 31 {
                None
            } else {
                match (op31, o0) {
                    (0b000, 0) => Some("mul"),
                    (0b000, 1) => Some("mneg"),
                    (0b001, 0) => Some("smull"),
                    (0b001, 1) => Some("smnegl"),
                    (0b101, 0) => Some("umull"),
                    (0b101, 1) => Some("umnegl"),
                    _ => None,
                }
            };
            if op31 == 0b010 || op31 == 0b110 {
                join(m, &[r(rd, true), r(rn, true), r(rm, true)])
            } else {
                let mut o = vec![r(rd, sf), r(rn, sf && !long), r(rm, sf && !long)];
                match alias {
                    Some(a) => join(a, &o),
                    None => {
                        o.push(r(ra, sf));
                        join(m, &o)
                    }
                }
            }
        }
    })
}

fn hint_name(crm: u32, op2: u32) -> Option<&'static str> {
    Some(match (crm << 3) | op2 {
        0 => "nop",
        1 => "yield",
        2 => "wfe",
        3 => "wfi",
        4 => "sev",
        5 => "sevl",
        6 => "dgh",
        7 => "xpaclri",
        8 => "pacia1716",
        10 => "pacib1716",
        12 => "autia1716",
        14 => "autib1716",
        16 => "esb",
        17 => "psb",
        18 => "tsb",
        20 => "csdb",
        24 => "paciaz",
        25 => "paciasp",
        26 => "pacibz",
        27 => "pacibsp",
        28 => "autiaz",
        29 => "autiasp",
        30 => "autibz",
        31 => "autibsp",
        32 | 34 | 36 | 38 => "bti",
        _ => return None,
    })
}

/// The SYS alias (DC, IC, AT, TLBI) of op1, CRn, CRm, op2 for ARMv8.0, if any.
fn sys_alias(op1: u32, crn: u32, crm: u32, op2: u32) -> Option<(&'static str, &'static str)> {
    Some(match (op1, crn, crm, op2) {
        (0, 7, 1, 0) => ("ic", "ialluis"),
        (0, 7, 5, 0) => ("ic", "iallu"),
        (3, 7, 5, 1) => ("ic", "ivau"),
        (3, 7, 4, 1) => ("dc", "zva"),
        (0, 7, 6, 1) => ("dc", "ivac"),
        (0, 7, 6, 2) => ("dc", "isw"),
        (3, 7, 10, 1) => ("dc", "cvac"),
        (0, 7, 10, 2) => ("dc", "csw"),
        (3, 7, 11, 1) => ("dc", "cvau"),
        (3, 7, 14, 1) => ("dc", "civac"),
        (0, 7, 14, 2) => ("dc", "cisw"),
        (0, 7, 8, 0) => ("at", "s1e1r"),
        (0, 7, 8, 1) => ("at", "s1e1w"),
        (0, 7, 8, 2) => ("at", "s1e0r"),
        (0, 7, 8, 3) => ("at", "s1e0w"),
        (4, 7, 8, 0) => ("at", "s1e2r"),
        (4, 7, 8, 1) => ("at", "s1e2w"),
        (4, 7, 8, 4) => ("at", "s12e1r"),
        (4, 7, 8, 5) => ("at", "s12e1w"),
        (4, 7, 8, 6) => ("at", "s12e0r"),
        (4, 7, 8, 7) => ("at", "s12e0w"),
        (6, 7, 8, 0) => ("at", "s1e3r"),
        (6, 7, 8, 1) => ("at", "s1e3w"),
        (0, 8, 3, 0) => ("tlbi", "vmalle1is"),
        (0, 8, 3, 1) => ("tlbi", "vae1is"),
        (0, 8, 3, 2) => ("tlbi", "aside1is"),
        (0, 8, 3, 3) => ("tlbi", "vaae1is"),
        (0, 8, 3, 5) => ("tlbi", "vale1is"),
        (0, 8, 3, 7) => ("tlbi", "vaale1is"),
        (0, 8, 7, 0) => ("tlbi", "vmalle1"),
        (0, 8, 7, 1) => ("tlbi", "vae1"),
        (0, 8, 7, 2) => ("tlbi", "aside1"),
        (0, 8, 7, 3) => ("tlbi", "vaae1"),
        (0, 8, 7, 5) => ("tlbi", "vale1"),
        (0, 8, 7, 7) => ("tlbi", "vaale1"),
        (4, 8, 0, 1) => ("tlbi", "ipas2e1is"),
        (4, 8, 0, 5) => ("tlbi", "ipas2le1is"),
        (4, 8, 3, 0) => ("tlbi", "alle2is"),
        (4, 8, 3, 1) => ("tlbi", "vae2is"),
        (4, 8, 3, 4) => ("tlbi", "alle1is"),
        (4, 8, 3, 5) => ("tlbi", "vale2is"),
        (4, 8, 3, 6) => ("tlbi", "vmalls12e1is"),
        (4, 8, 4, 1) => ("tlbi", "ipas2e1"),
        (4, 8, 4, 5) => ("tlbi", "ipas2le1"),
        (4, 8, 7, 0) => ("tlbi", "alle2"),
        (4, 8, 7, 1) => ("tlbi", "vae2"),
        (4, 8, 7, 4) => ("tlbi", "alle1"),
        (4, 8, 7, 5) => ("tlbi", "vale2"),
        (4, 8, 7, 6) => ("tlbi", "vmalls12e1"),
        (6, 8, 3, 0) => ("tlbi", "alle3is"),
        (6, 8, 3, 1) => ("tlbi", "vae3is"),
        (6, 8, 3, 5) => ("tlbi", "vale3is"),
        (6, 8, 7, 0) => ("tlbi", "alle3"),
        (6, 8, 7, 1) => ("tlbi", "vae3"),
        (6, 8, 7, 5) => ("tlbi", "vale3"),
        _ => return None,
    })
}

fn sysreg_name(w: u32) -> String {
    let op0 = 2 + bits(w, 19, 19);
    let known = match (op0, bits(w, 18, 16), bits(w, 15, 12), bits(w, 11, 8), bits(w, 7, 5)) {
        (3, 3, 4, 2, 0) => Some("nzcv"),
        (3, 3, 4, 2, 1) => Some("daif"),
        (3, 3, 4, 4, 0) => Some("fpcr"),
        (3, 3, 4, 4, 1) => Some("fpsr"),
        (3, 3, 13, 0, 2) => Some("tpidr_el0"),
        (3, 3, 13, 0, 3) => Some("tpidrro_el0"),
        (3, 3, 0, 0, 1) => Some("ctr_el0"),
        (3, 3, 0, 0, 7) => Some("dczid_el0"),
        (3, 3, 14, 0, 0) => Some("cntfrq_el0"),
        (3, 3, 14, 0, 1) => Some("cntpct_el0"),
        (3, 3, 14, 0, 2) => Some("cntvct_el0"),
        (3, 0, 1, 0, 0) => Some("sctlr_el1"),
        (3, 0, 1, 0, 2) => Some("cpacr_el1"),
        (3, 0, 2, 0, 0) => Some("ttbr0_el1"),
        (3, 0, 2, 0, 1) => Some("ttbr1_el1"),
        (3, 0, 2, 0, 2) => Some("tcr_el1"),
        (3, 0, 4, 0, 0) => Some("spsr_el1"),
        (3, 0, 4, 0, 1) => Some("elr_el1"),
        (3, 0, 4, 1, 0) => Some("sp_el0"),
        (3, 0, 4, 2, 2) => Some("currentel"),
        (3, 0, 5, 2, 0) => Some("esr_el1"),
        (3, 0, 6, 0, 0) => Some("far_el1"),
        (3, 0, 10, 2, 0) => Some("mair_el1"),
        (3, 0, 12, 0, 0) => Some("vbar_el1"),
        (3, 0, 13, 0, 4) => Some("tpidr_el1"),
        (3, 0, 0, 0, 0) => Some("midr_el1"),
        (3, 0, 0, 0, 5) => Some("mpidr_el1"),
        _ => None,
    };
    if let Some(k) = known {
        return k.to_string();
    }
    format!("s{}_{}_c{}_c{}_{}", op0, bits(w, 18, 16), bits(w, 15, 12), bits(w, 11, 8), bits(w, 7, 5))
}

fn branch_sys(e: &Encoding, w: u32, pc: u64) -> Option<String> {
    let m = e.asm;
    let target = |off: i64| format!("{:#x}", pc.wrapping_add((off * 4) as u64));
    Some(match bits(w, 31, 29) {
        0b000 | 0b100 => join(m, &[target(sext(bits(w, 25, 0) as u64, 26))]),
        0b001 | 0b101 => {
            let sf = bits(w, 31, 31) == 1;
            if bits(w, 25, 25) == 0 {
                join(m, &[r(bits(w, 4, 0), sf), target(sext(bits(w, 23, 5) as u64, 19))])
            } else {
                let b = (bits(w, 31, 31) << 5) | bits(w, 23, 19);
                join(m, &[r(bits(w, 4, 0), b >= 32), format!("#{b}"), target(sext(bits(w, 18, 5) as u64, 14))])
            }
        }
        0b010 => format!("b.{} {}", COND[bits(w, 3, 0) as usize], target(sext(bits(w, 23, 5) as u64, 19))),
        0b110 => {
            if bits(w, 25, 24) == 0b00 {
                // exception generation
                let imm16 = bits(w, 20, 5);
                if imm16 == 0 && m.starts_with("dcps") {
                    m.to_string()
                } else {
                    join(m, &[format!("#{imm16:#x}")])
                }
            } else if bits(w, 25, 25) == 1 {
                // unconditional branch (register)
                let rn = bits(w, 9, 5);
                match m {
                    "ret" if rn == 30 => "ret".into(),
                    "eret" | "drps" => m.to_string(),
                    _ => join(m, &[r(rn, true)]),
                }
            } else {
                let l = bits(w, 21, 21);
                let op0 = bits(w, 20, 19);
                let op1 = bits(w, 18, 16);
                let crn = bits(w, 15, 12);
                let crm = bits(w, 11, 8);
                let op2 = bits(w, 7, 5);
                let rt = bits(w, 4, 0);
                match (l, op0) {
                    (0, 0) if crn == 2 => hint_name(crm, op2).map(String::from).unwrap_or_else(|| format!("hint #{:#x}", (crm << 3) | op2)),
                    (0, 0) if crn == 3 => match op2 {
                        2 => if crm == 15 { "clrex".into() } else { format!("clrex #{crm}") },
                        4 if crm == 0 => "ssbb".into(),
                        4 if crm == 4 => "pssbb".into(),
                        4 | 5 => {
                            let opts = ["#0x0", "oshld", "oshst", "osh", "#0x4", "nshld", "nshst", "nsh", "#0x8", "ishld", "ishst", "ish", "#0xc", "ld", "st", "sy"];
                            join(m, &[opts[crm as usize].to_string()])
                        }
                        6 => if crm == 15 { "isb".into() } else { format!("isb #{crm:#x}") },
                        _ => join(m, &[format!("#{crm}")]),
                    },
                    (0, 0) => {
                        let field = match (op1, op2) {
                            (0, 5) => "spsel".to_string(),
                            (3, 6) => "daifset".to_string(),
                            (3, 7) => "daifclr".to_string(),
                            _ => format!("pstatefield_{op1}_{op2}"),
                        };
                        join("msr", &[field, format!("#{crm:#x}")])
                    }
                    (_, 1) => {
                        let alias = sys_alias(op1, crn, crm, op2);
                        match (l, alias) {
                            (0, Some((a, op))) if a == "tlbi" && rt == 31 && matches!(op, "vmalle1is" | "vmalle1" | "alle2is" | "alle1is" | "vmalls12e1is" | "alle2" | "alle1" | "vmalls12e1" | "alle3is" | "alle3") => {
                                join(a, &[op.to_string()])
                            }
                            (0, Some(("ic", op))) if op != "ivau" => join("ic", &[op.to_string()]),
                            (0, Some((a, op))) => join(a, &[op.to_string(), r(rt, true)]),
                            _ => {
                                let mut o = vec![format!("#{op1}"), format!("c{crn}"), format!("c{crm}"), format!("#{op2}")];
                                if l == 1 {
                                    o.insert(0, r(rt, true));
                                    join("sysl", &o)
                                } else {
                                    o.push(r(rt, true));
                                    join("sys", &o)
                                }
                            }
                        }
                    }
                    (1, _) => join("mrs", &[r(rt, true), sysreg_name(w)]),
                    _ => join("msr", &[sysreg_name(w), r(rt, true)]),
                }
            }
        }
        _ => return None,
    })
}

/// PRFM operation names (type, target cache level, policy).
fn prfop(rt: u32) -> String {
    let ty = match rt >> 3 {
        0 => "pld",
        1 => "pli",
        2 => "pst",
        _ => return format!("#{rt:#04x}"),
    };
    let lvl = (rt >> 1) & 3;
    if lvl == 3 {
        return format!("#{rt:#04x}");
    }
    format!("{ty}l{}{}", lvl + 1, if rt & 1 == 1 { "strm" } else { "keep" })
}

fn ldst(e: &Encoding, w: u32, pc: u64) -> Option<String> {
    let m = e.asm;
    let v = bits(w, 26, 26) == 1;
    let rt = bits(w, 4, 0);
    let rn = bits(w, 9, 5);
    let size = bits(w, 31, 30);
    let opc = bits(w, 23, 22);
    let base = rsp(rn, true);
    // Transfer register name for single-register loads/stores.
    let treg = |n: u32| -> String {
        if v {
            let sz = if opc & 2 == 2 && size == 0 { 4 } else { size };
            let c = ["b", "h", "s", "d", "q"][sz as usize];
            format!("{c}{n}")
        } else {
            // opc = 0b10: sign-extending load to a 64-bit register (LDRSB/LDRSH/LDRSW and
            // their unscaled/unprivileged forms)
            r(n, size == 3 || opc == 2)
        }
    };
    let scale = if v && opc & 2 == 2 && size == 0 { 4 } else { size };
    Some(match bits(w, 29, 27) {
        0b011 if bits(w, 25, 24) == 0 => {
            // load literal
            let off = sext(bits(w, 23, 5) as u64, 19) * 4;
            let t = format!("{:#x}", pc.wrapping_add(off as u64));
            let reg = if m == "prfm" {
                prfop(rt)
            } else if v {
                format!("{}{rt}", ["s", "d", "q", "?"][bits(w, 31, 30) as usize])
            } else {
                r(rt, bits(w, 30, 30) == 1 || m == "ldrsw")
            };
            join(m, &[reg, t])
        }
        0b101 => {
            // load/store pair
            let opc2 = bits(w, 31, 30);
            let idx = bits(w, 24, 23);
            let sc = if v { 2 + opc2 } else { 2 + (opc2 >> 1) };
            let off = sext(bits(w, 21, 15) as u64, 7) << sc;
            let rt2 = bits(w, 14, 10);
            let reg = |n: u32| if v { format!("{}{n}", ["s", "d", "q", "?"][opc2 as usize]) } else { r(n, opc2 >= 2 || m == "ldpsw") };
            let addr = match idx {
                1 => format!("[{base}], {}", imm(off)),
                3 => format!("[{base}, {}]!", imm(off)),
                _ if off == 0 => format!("[{base}]"),
                _ => format!("[{base}, {}]", imm(off)),
            };
            join(m, &[reg(rt), reg(rt2), addr])
        }
        0b111 => {
            if bits(w, 25, 24) == 1 {
                let off = (bits(w, 21, 10) as i64) << scale;
                let addr = if off == 0 { format!("[{base}]") } else { format!("[{base}, {}]", imm(off)) };
                let reg = if m == "prfm" { prfop(rt) } else { treg(rt) };
                join(m, &[reg, addr])
            } else if bits(w, 21, 21) == 0 {
                let off = sext(bits(w, 20, 12) as u64, 9);
                let addr = match bits(w, 11, 10) {
                    1 => format!("[{base}], {}", imm(off)),
                    3 => format!("[{base}, {}]!", imm(off)),
                    _ if off == 0 => format!("[{base}]"),
                    _ => format!("[{base}, {}]", imm(off)),
                };
                let reg = if m == "prfum" { prfop(rt) } else { treg(rt) };
                join(m, &[reg, addr])
            } else if bits(w, 11, 10) == 0b10 {
                let rm = bits(w, 20, 16);
                let option = bits(w, 15, 13);
                let s = bits(w, 12, 12);
                let rmn = r(rm, option & 1 == 1);
                let ext = match (option, s) {
                    (3, 0) => String::new(),
                    (3, 1) => format!(", lsl #{scale}"),
                    (o, 0) => format!(", {}", EXTEND[o as usize]),
                    (o, _) => format!(", {} #{scale}", EXTEND[o as usize]),
                };
                let reg = if m == "prfm" { prfop(rt) } else { treg(rt) };
                join(m, &[reg, format!("[{base}, {rmn}{ext}]")])
            } else {
                return None;
            }
        }
        0b001 if v => {
            // AdvSIMD load/store multiple and single structures
            let q = bits(w, 30, 30);
            let post = bits(w, 23, 23) == 1;
            let rm = bits(w, 20, 16);
            let opcode = bits(w, 15, 12);
            let size = bits(w, 11, 10);
            let (n, t, index, bytes) = if bits(w, 24, 24) == 0 {
                let n = match opcode {
                    0b0000 | 0b0010 => 4,
                    0b0100 | 0b0110 => 3,
                    0b0111 => 1,
                    _ => 2,
                };
                (n, arr(size, q).to_string(), None, n * if q == 1 { 16 } else { 8 })
            } else {
                let opc3 = bits(w, 15, 13);
                let selem = ((opc3 & 1) << 1 | bits(w, 21, 21)) + 1;
                let s_ = bits(w, 12, 12);
                match opc3 >> 1 {
                    0b00 => (selem, "b".to_string(), Some((q << 3) | (s_ << 2) | size), selem),
                    0b01 => (selem, "h".to_string(), Some((q << 2) | (s_ << 1) | (size >> 1)), selem * 2),
                    0b10 if size & 1 == 0 => (selem, "s".to_string(), Some((q << 1) | s_), selem * 4),
                    0b10 => (selem, "d".to_string(), Some(q), selem * 8),
                    _ => (selem, arr(size, q).to_string(), None, selem << size),
                }
            };
            let regs: Vec<String> = (0..n).map(|i| format!("v{}.{t}", (rt + i) % 32)).collect();
            let mut list = format!("{{{}}}", regs.join(", "));
            if let Some(ix) = index {
                list += &format!("[{ix}]");
            }
            let mut o = vec![list, format!("[{base}]")];
            if post {
                o.push(if rm == 31 { imm(bytes as i64) } else { r(rm, true) });
            }
            join(m, &o)
        }
        0b001 if !v => {
            // exclusives and load-acquire/store-release
            let rs = bits(w, 20, 16);
            let rt2 = bits(w, 14, 10);
            let x = size == 3;
            let pair = bits(w, 21, 21) == 1;
            let store = bits(w, 22, 22) == 0;
            let excl = bits(w, 23, 23) == 0;
            let mut o = Vec::new();
            if store && excl {
                o.push(r(rs, false));
            }
            if pair {
                o.push(r(rt, size & 1 == 1));
                o.push(r(rt2, size & 1 == 1));
            } else {
                o.push(r(rt, x));
            }
            o.push(format!("[{base}]"));
            join(m, &o)
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(asm: &'static str) -> Encoding {
        Encoding { name: "TEST", group: "test", mask: 0, bits: 0, fields: &[], feat: "base", asm, not: &[], notmask: &[], block: None, source: "" }
    }

    /// Alias selection and operand syntax, independent of the table: each word with its
    /// Arm ARM base mnemonic, and the text `aarch64-linux-gnu-objdump -d` prints for it
    /// (comments dropped, branch targets as plain addresses, immediates as we print them).
    #[test]
    fn aliases_agree_with_objdump() {
        let cases: &[(u32, &str, &str)] = &[
            (0x910003fd, "add", "mov x29, sp"),
            (0xd28000a0, "movz", "mov x0, #0x5"),
            (0x12800001, "movn", "mov w1, #0xffffffff"),
            (0x129fffe1, "movn", "movn w1, #0xffff"),
            (0xf1000c3f, "subs", "cmp x1, #3"),
            (0xab020c20, "adds", "adds x0, x1, x2, lsl #3"),
            (0xd37df020, "ubfm", "lsl x0, x1, #3"),
            (0xd3431820, "ubfm", "ubfx x0, x1, #3, #4"),
            (0x331d0c20, "bfm", "bfi w0, w1, #3, #4"),
            (0x1a9f17e0, "csinc", "cset w0, eq"),
            (0x9a810420, "csinc", "cinc x0, x1, ne"),
            (0x54000001, "b", "b.ne 0x2c"),
            (0xf9400420, "ldr", "ldr x0, [x1, #8]"),
            (0xb8627820, "ldr", "ldr w0, [x1, x2, lsl #2]"),
            (0xa8c17bfd, "ldp", "ldp x29, x30, [sp], #0x10"),
            (0x3c9f0fe0, "str", "str q0, [sp, #-0x10]!"),
            (0x90000000, "adrp", "adrp x0, 0x0"),
            (0x4ea11c20, "orr", "mov v0, v1"),
            (0x6e205820, "not", "mvn v0, v1"),
            (0x0e0c3c20, "umov", "mov v0, v1, imm5=12, q=0"),
            (0xd50b7420, "sys", "dc zva, x0"),
            (0xd508831f, "sys", "tlbi vmalle1is"),
            (0xd50342df, "msr", "msr daifset, #0x2"),
            (0xd503309f, "dsb", "ssbb"),
            (0x93407c20, "sbfm", "sxtw x0, w1"),
            (0x93c11420, "extr", "ror x0, x1, #5"),
            (0x9b027c20, "madd", "mul x0, x1, x2"),
            (0xda0103e0, "sbc", "ngc x0, x1"),
            (0x4b0103e0, "sub", "neg w0, w1"),
            (0xf2401c1f, "ands", "tst x0, #0xff"),
        ];
        let mut bad = Vec::new();
        for &(w, asm, want) in cases {
            let got = render(&enc(asm), w, 0x2c * (w == 0x54000001) as u64);
            // SIMD operands are printed generically: compare only the mnemonic there.
            let ok = if w >> 25 & 7 == 7 { got.split(' ').next() == want.split(' ').next() } else { got == want };
            if !ok {
                bad.push(format!("{w:08x}: got `{got}`, want `{want}`"));
            }
        }
        assert!(bad.is_empty(), "{}", bad.join("\n"));
    }
}

fn fpreg(ftype: u32, n: u32) -> Option<String> {
    match ftype {
        0 => Some(format!("s{n}")),
        1 => Some(format!("d{n}")),
        3 => Some(format!("h{n}")),
        _ => None,
    }
}

/// VFPExpandImm of an 8-bit FP immediate, printed as a decimal value.
fn fp_imm8(imm8: u32) -> String {
    let sign = if imm8 & 0x80 != 0 { -1.0 } else { 1.0 };
    let exp = ((imm8 >> 4) & 7) as i32;
    let exp = if exp & 4 != 0 { exp - 8 } else { exp } + 1; // NOT(b6):b6:b5:b4 as a signed power
    let frac = 1.0 + (imm8 & 15) as f64 / 16.0;
    let v = sign * frac * 2f64.powi(exp);
    format!("#{v:?}")
}

fn arr(size: u32, q: u32) -> &'static str {
    ["8b", "16b", "4h", "8h", "2s", "4s", "1d", "2d"].get((size * 2 + (q & 1)) as usize).copied().unwrap_or("?")
}

fn vr(n: u32, t: &str) -> String {
    format!("v{n}.{t}")
}

/// Operands of scalar FP and of the common AdvSIMD vector classes (Arm ARM C4.1.6);
/// `None` leaves the instruction to the generic printer.
fn simd_fp(e: &Encoding, w: u32) -> Option<String> {
    let m = simd_mnemonic(e, w);
    let rd = bits(w, 4, 0);
    let rn = bits(w, 9, 5);
    let rm = bits(w, 20, 16);
    let q = bits(w, 30, 30);
    let size = bits(w, 23, 22);
    let u = bits(w, 29, 29);
    if bits(w, 30, 29) == 0 && bits(w, 28, 24) == 0b11110 {
        // scalar floating point
        let ftype = size;
        let f = |n: u32| fpreg(ftype, n);
        let sf = bits(w, 31, 31) == 1;
        if bits(w, 21, 21) == 0 {
            // fixed-point conversions
            let fbits = 64 - bits(w, 15, 10);
            let opcode = bits(w, 18, 16);
            return Some(if opcode >= 2 {
                join(&m, &[f(rd)?, r(rn, sf), format!("#{fbits}")])
            } else {
                join(&m, &[r(rd, sf), f(rn)?, format!("#{fbits}")])
            });
        }
        if bits(w, 15, 10) == 0 {
            let rmode = bits(w, 20, 19);
            let opcode = bits(w, 18, 16);
            return Some(match (rmode, opcode) {
                (1, 6) if ftype == 2 => join(&m, &[r(rd, true), format!("v{rn}.d[1]")]),
                (1, 7) if ftype == 2 => join(&m, &[format!("v{rd}.d[1]"), r(rn, true)]),
                (_, 2) | (_, 3) | (_, 7) => join(&m, &[f(rd)?, r(rn, sf)]),
                _ => join(&m, &[r(rd, sf), f(rn)?]),
            });
        }
        if bits(w, 14, 10) == 0b10000 {
            let opcode = bits(w, 20, 15);
            if opcode >> 2 == 1 {
                // FCVT: destination type in opc
                return Some(join(&m, &[fpreg(opcode & 3, rd)?, f(rn)?]));
            }
            return Some(join(&m, &[f(rd)?, f(rn)?]));
        }
        if bits(w, 13, 10) == 0b1000 {
            let second = if bits(w, 3, 3) == 1 { "#0.0".to_string() } else { f(rm)? };
            return Some(join(&m, &[f(rn)?, second]));
        }
        if bits(w, 12, 10) == 0b100 {
            return Some(join(&m, &[f(rd)?, fp_imm8(bits(w, 20, 13))]));
        }
        let cond = COND[bits(w, 15, 12) as usize].to_string();
        return Some(match bits(w, 11, 10) {
            0b01 => join(&m, &[f(rn)?, f(rm)?, imm(bits(w, 3, 0) as i64), cond]),
            0b10 => join(&m, &[f(rd)?, f(rn)?, f(rm)?]),
            _ => join(&m, &[f(rd)?, f(rn)?, f(rm)?, cond]),
        });
    }
    if bits(w, 30, 29) == 0 && bits(w, 28, 24) == 0b11111 {
        let f = |n: u32| fpreg(size, n);
        return Some(join(&m, &[f(rd)?, f(rn)?, f(rm)?, f(bits(w, 14, 10))?]));
    }
    // Cryptographic AES (two-register) and SHA (three-register, two-register).
    if w & 0xff3e_0c00 == 0x4e28_0800 {
        return Some(join(&m, &[vr(rd, "16b"), vr(rn, "16b")]));
    }
    if w & 0xff20_8c00 == 0x5e00_0000 {
        let opcode = bits(w, 14, 12);
        return Some(match opcode {
            0..=2 => join(&m, &[format!("q{rd}"), format!("s{rn}"), vr(rm, "4s")]),
            4 | 5 => join(&m, &[format!("q{rd}"), format!("q{rn}"), vr(rm, "4s")]),
            _ => join(&m, &[vr(rd, "4s"), vr(rn, "4s"), vr(rm, "4s")]),
        });
    }
    if w & 0xff3e_0c00 == 0x5e28_0800 {
        return Some(if bits(w, 16, 12) == 0 { join(&m, &[format!("s{rd}"), format!("s{rn}")]) } else { join(&m, &[vr(rd, "4s"), vr(rn, "4s")]) });
    }
    if bits(w, 31, 30) == 0b01 && bits(w, 28, 24) == 0b11111 && bits(w, 10, 10) == 0 {
        return by_element(&m, w, true);
    }
    if bits(w, 31, 30) == 0b01 && bits(w, 28, 24) == 0b11110 && bits(w, 21, 21) == 1 && bits(w, 10, 10) == 1 {
        // AdvSIMD scalar three same
        let fpop = m.starts_with('f');
        let c = if fpop { ["s", "d"][bits(w, 22, 22) as usize] } else { ["b", "h", "s", "d"][size as usize] };
        return Some(join(&m, &[format!("{c}{rd}"), format!("{c}{rn}"), format!("{c}{rm}")]));
    }
    if w & 0xffe0_fc00 == 0x5e00_0400 && bits(w, 19, 16) != 0 {
        // scalar DUP (element), preferred as MOV
        let imm5 = bits(w, 20, 16);
        let es = imm5.trailing_zeros();
        let c = ["b", "h", "s", "d"][es as usize];
        return Some(join(&m, &[format!("{c}{rd}"), format!("v{rn}.{c}[{}]", imm5 >> (es + 1))]));
    }
    // AdvSIMD vector (bit 31 = 0, bit 28 = 0, bits 27:25 = 111)
    if bits(w, 31, 31) != 0 || bits(w, 28, 24) != 0b01110 && bits(w, 28, 24) != 0b01111 {
        return None;
    }
    if bits(w, 28, 19) == 0b0111100000 && bits(w, 10, 10) == 1 {
        // modified immediate: MOVI, MVNI, ORR, BIC, FMOV (vector, immediate)
        let imm8 = (bits(w, 18, 16) << 5) | bits(w, 9, 5);
        let cmode = bits(w, 15, 12);
        let op = bits(w, 29, 29);
        let t32 = if q == 1 { "4s" } else { "2s" };
        let t16 = if q == 1 { "8h" } else { "4h" };
        let shifted = |t: &str, sh: u32| {
            let mut o = vec![vr(rd, t), format!("#{imm8:#x}")];
            if sh != 0 {
                o.push(format!("lsl #{sh}"));
            }
            join(&m, &o)
        };
        return Some(match cmode {
            c if c & 0b1000 == 0 => shifted(t32, 8 * ((c >> 1) & 3)),
            c if c & 0b1100 == 0b1000 => shifted(t16, 8 * ((c >> 1) & 1)),
            c if c & 0b1110 == 0b1100 => join(&m, &[vr(rd, t32), format!("#{imm8:#x}"), format!("msl #{}", 8 << (c & 1))]),
            0b1110 if op == 0 => join(&m, &[vr(rd, if q == 1 { "16b" } else { "8b" }), format!("#{imm8:#x}")]),
            0b1110 => {
                let v = (0..8).fold(0u64, |a, i| a | if imm8 >> i & 1 == 1 { 0xffu64 << (8 * i) } else { 0 });
                if q == 1 { join(&m, &[vr(rd, "2d"), format!("#{v:#x}")]) } else { join(&m, &[format!("d{rd}"), format!("#{v:#x}")]) }
            }
            _ => join(&m, &[vr(rd, if op == 1 { "2d" } else { t32 }), fp_imm8(imm8)]),
        });
    }
    if bits(w, 28, 24) == 0b01111 && bits(w, 10, 10) == 0 {
        return by_element(&m, w, false);
    }
    if bits(w, 28, 24) == 0b01111 {
        // shift by immediate (immh != 0)
        let immh = bits(w, 22, 19);
        if immh == 0 {
            return None;
        }
        let hsb = 31 - immh.leading_zeros();
        let esize = 8u32 << hsb;
        let immhb = bits(w, 22, 16);
        let opcode = bits(w, 15, 11);
        let left = matches!(opcode, 0b01010 | 0b01100 | 0b01110 | 0b10100);
        let shift = if left { immhb - esize } else { 2 * esize - immhb };
        let te = arr(hsb, q);
        return Some(match opcode {
            0b10100 if m.ends_with("xtl") || m.ends_with("xtl2") => join(&m, &[vr(rd, arr(hsb + 1, 1)), vr(rn, te)]),
            0b10100 => join(&m, &[vr(rd, arr(hsb + 1, 1)), vr(rn, te), format!("#{shift}")]),
            0b10000..=0b10011 => join(&m, &[vr(rd, te), vr(rn, arr(hsb + 1, 1)), format!("#{shift}")]),
            0b11100 | 0b11111 => {
                let t = arr(2 + (hsb & 1), q);
                join(&m, &[vr(rd, t), vr(rn, t), format!("#{shift}")])
            }
            _ => join(&m, &[vr(rd, te), vr(rn, te), format!("#{shift}")]),
        });
    }
    if bits(w, 29, 21) == 0b001110000 && bits(w, 15, 15) == 0 && bits(w, 10, 10) == 1 || bits(w, 29, 21) == 0b101110000 && bits(w, 10, 10) == 1 {
        // copy: DUP (element/general), INS, SMOV, UMOV
        let imm5 = bits(w, 20, 16);
        if imm5 & 15 == 0 {
            return None;
        }
        let es = imm5.trailing_zeros();
        let c = ["b", "h", "s", "d"][es as usize];
        let idx = imm5 >> (es + 1);
        let imm4 = bits(w, 14, 11);
        let general_x = es == 3;
        return Some(match (bits(w, 29, 29), imm4) {
            (1, _) => join(&m, &[format!("v{rd}.{c}[{idx}]"), format!("v{rn}.{c}[{}]", imm4 >> es)]),
            (0, 0b0000) => join(&m, &[vr(rd, arr(es, q)), format!("v{rn}.{c}[{idx}]")]),
            (0, 0b0001) => join(&m, &[vr(rd, arr(es, q)), r(rn, general_x)]),
            (0, 0b0011) => join(&m, &[format!("v{rd}.{c}[{idx}]"), r(rn, general_x)]),
            (0, 0b0101) => join(&m, &[r(rd, q == 1), format!("v{rn}.{c}[{idx}]")]),
            (0, 0b0111) => join(&m, &[r(rd, q == 1), format!("v{rn}.{c}[{idx}]")]),
            _ => return None,
        });
    }
    if bits(w, 29, 21) == 0b001110000 && bits(w, 11, 10) == 0 && bits(w, 15, 15) == 0 {
        // TBL/TBX
        let len = bits(w, 14, 13);
        let t = if q == 1 { "16b" } else { "8b" };
        let list: Vec<String> = (0..=len).map(|i| vr((rn + i) % 32, "16b")).collect();
        return Some(join(&m, &[vr(rd, t), format!("{{{}}}", list.join(", ")), vr(rm, t)]));
    }
    if bits(w, 29, 21) == 0b101110000 && bits(w, 15, 15) == 0 && bits(w, 10, 10) == 0 {
        // EXT
        let t = if q == 1 { "16b" } else { "8b" };
        return Some(join(&m, &[vr(rd, t), vr(rn, t), vr(rm, t), format!("#{}", bits(w, 14, 11))]));
    }
    let fpop = m.starts_with('f') || matches!(m.as_str(), "scvtf" | "ucvtf" | "frecpe" | "frsqrte" | "urecpe" | "ursqrte");
    // For FP vector ops, the element size is sz (bit 22): 2s/4s or 2d.
    let t = if fpop { arr(2 + (size & 1), q) } else { arr(size, q) };
    if bits(w, 21, 21) == 1 && bits(w, 10, 10) == 1 {
        // three same
        let logical = bits(w, 15, 11) == 0b00011;
        if logical {
            let t = if q == 1 { "16b" } else { "8b" };
            if m == "mov" {
                return Some(join(&m, &[vr(rd, t), vr(rn, t)]));
            }
            return Some(join(&m, &[vr(rd, t), vr(rn, t), vr(rm, t)]));
        }
        return Some(join(&m, &[vr(rd, t), vr(rn, t), vr(rm, t)]));
    }
    if bits(w, 21, 17) == 0b10000 && bits(w, 11, 10) == 0b10 {
        // two-register miscellaneous
        let opcode = bits(w, 16, 12);
        let narrow = !fpop && matches!(opcode, 0b10010 | 0b10100);
        if narrow {
            return Some(join(&m, &[vr(rd, arr(size, q)), vr(rn, arr(size + 1, 1))]));
        }
        if m.starts_with("fcvtn") || m.starts_with("fcvtxn") {
            return Some(join(&m, &[vr(rd, arr(1 + (size & 1), q)), vr(rn, arr(2 + (size & 1), 1))]));
        }
        if m.starts_with("fcvtl") {
            return Some(join(&m, &[vr(rd, arr(2 + (size & 1), 1)), vr(rn, arr(1 + (size & 1), q))]));
        }
        if m.starts_with("shll") {
            return Some(join(&m, &[vr(rd, arr(size + 1, 1)), vr(rn, arr(size, q)), format!("#{}", 8 << size)]));
        }
        if m == "saddlp" || m == "uaddlp" || m == "sadalp" || m == "uadalp" {
            return Some(join(&m, &[vr(rd, arr(size + 1, q)), vr(rn, arr(size, q))]));
        }
        if matches!(m.as_str(), "mvn" | "not" | "rbit" | "cnt") {
            let t = if q == 1 { "16b" } else { "8b" };
            return Some(join(&m, &[vr(rd, t), vr(rn, t)]));
        }
        let zero = matches!(m.as_str(), "cmgt" | "cmeq" | "cmlt" | "cmge" | "cmle") || m.starts_with("fcm");
        let mut o = vec![vr(rd, t), vr(rn, t)];
        if zero {
            o.push(if fpop { "#0.0".into() } else { "#0".into() });
        }
        return Some(join(&m, &o));
    }
    if bits(w, 29, 24) == 0b001110 && bits(w, 21, 21) == 0 && bits(w, 11, 10) == 0b10 {
        // permute: UZP1/2, TRN1/2, ZIP1/2
        return Some(join(&m, &[vr(rd, t), vr(rn, t), vr(rm, t)]));
    }
    if bits(w, 21, 21) == 1 && bits(w, 11, 10) == 0b00 {
        // three different
        let wide = matches!(m.trim_end_matches('2'), "saddw" | "uaddw" | "ssubw" | "usubw");
        let narrow = matches!(m.trim_end_matches('2'), "addhn" | "raddhn" | "subhn" | "rsubhn");
        let (tl, tn) = (arr(size + 1, 1), arr(size, q));
        if m.starts_with("pmull") && size == 3 {
            return Some(join(&m, &[vr(rd, "1q"), vr(rn, arr(3, q)), vr(rm, arr(3, q))]));
        }
        return Some(if wide {
            join(&m, &[vr(rd, tl), vr(rn, tl), vr(rm, tn)])
        } else if narrow {
            join(&m, &[vr(rd, tn), vr(rn, tl), vr(rm, tl)])
        } else {
            join(&m, &[vr(rd, tl), vr(rn, tn), vr(rm, tn)])
        });
    }
    if bits(w, 21, 17) == 0b11000 && bits(w, 11, 10) == 0b10 {
        // across lanes
        let long = m.ends_with("addlv");
        let es = if fpop { 2 } else if long { size + 1 } else { size };
        let c = ["b", "h", "s", "d"].get(es as usize).copied().unwrap_or("?");
        return Some(join(&m, &[format!("{c}{rd}"), vr(rn, t)]));
    }
    let _ = u;
    None
}

#[cfg(test)]
mod robustness {
    /// The disassembler never panics, whatever the word (pseudo-random words).
    #[test]
    fn no_panic_on_random_words() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..300_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let _ = super::disasm(x as u32, 0x1000);
        }
    }
}

/// AdvSIMD vector and scalar "x indexed element" operands.
fn by_element(m: &str, w: u32, scalar: bool) -> Option<String> {
    let rd = bits(w, 4, 0);
    let rn = bits(w, 9, 5);
    let q = bits(w, 30, 30);
    let size = bits(w, 23, 22);
    let (l, mbit, h) = (bits(w, 21, 21), bits(w, 20, 20), bits(w, 11, 11));
    let fpop = m.starts_with('f');
    // element size of the indexed operand, its index and register number
    let (es, index, rm) = if fpop {
        match size {
            0b10 => (2, (h << 1) | l, (mbit << 4) | bits(w, 19, 16)),
            0b11 if l == 0 => (3, h, (mbit << 4) | bits(w, 19, 16)),
            _ => return None,
        }
    } else {
        match size {
            0b01 => (1, (h << 2) | (l << 1) | mbit, bits(w, 19, 16)),
            0b10 => (2, (h << 1) | l, (mbit << 4) | bits(w, 19, 16)),
            _ => return None,
        }
    };
    let c = ["b", "h", "s", "d"][es as usize];
    let elem = format!("v{rm}.{c}[{index}]");
    let base = m.trim_end_matches('2');
    let long = matches!(base, "smull" | "umull" | "smlal" | "umlal" | "smlsl" | "umlsl" | "sqdmull" | "sqdmlal" | "sqdmlsl");
    Some(if scalar {
        let dc = if long { ["b", "h", "s", "d"][es as usize + 1] } else { c };
        join(m, &[format!("{dc}{rd}"), format!("{c}{rn}"), elem])
    } else if long {
        join(m, &[vr(rd, arr(es + 1, 1)), vr(rn, arr(es, q)), elem])
    } else {
        join(m, &[vr(rd, arr(es, q)), vr(rn, arr(es, q)), elem])
    })
}
