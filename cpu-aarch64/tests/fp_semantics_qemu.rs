//! Differential test of `semantics::fp` against QEMU user mode (`qemu-aarch64 -cpu max`).
//! Each vector runs one real A64 instruction in the oracle program with a chosen FPCR and
//! inputs; the result bits and the FPSR flags must equal what our software FP computes.
//! Half-precision arithmetic is checked through the FP16 (ARMv8.2) encodings with
//! FPCR.FZ16 = 0, whose semantics equal ours (half precision is never flushed).
//! LSEMU_FP_SCALE=k multiplies the number of vectors; LSEMU_FP_SEED=n changes the seed.

mod common;
use common::oracle::*;
use cpu_aarch64::semantics::fp::{self, FpSize, Rounding};

type Expect = Box<dyn Fn(u64, u64, u64, u32, &mut u32) -> u64>;

#[derive(Clone, Copy, PartialEq)]
enum Out {
    V,
    X,
    Nzcv,
}

#[derive(Clone, Copy)]
enum Gen {
    /// Floating-point operands of this width (1..3 of them).
    Fp(u32, usize),
    /// An integer operand (for SCVTF/UCVTF).
    Int,
    /// FCVT from this width, with FPCR.AHP allowed.
    Cvt(u32),
}

struct Case {
    name: String,
    insn: u32,
    gen: Gen,
    out: Out,
    expect: Expect,
}

const SIZES: [(FpSize, u32, u32); 3] = [(FpSize::S, 0, 32), (FpSize::D, 1, 64), (FpSize::H, 3, 16)];

fn rm_of(fpcr: u32) -> Rounding {
    fp::fpcr_rounding(fpcr)
}

fn cases() -> Vec<Case> {
    let mut v: Vec<Case> = Vec::new();
    for (sz, ft, bits) in SIZES {
        let szn = format!("{sz:?}");
        let ones = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
        // FP data-processing (2 source): FMUL FDIV FADD FSUB FMAX FMIN FMAXNM FMINNM FNMUL.
        type F2 = fn(FpSize, u64, u64, u32, &mut u32) -> u64;
        let two: [(&str, u32, F2); 8] = [
            ("fmul", 0, fp::mul),
            ("fdiv", 1, fp::div),
            ("fadd", 2, fp::add),
            ("fsub", 3, fp::sub),
            ("fmax", 4, fp::max),
            ("fmin", 5, fp::min),
            ("fmaxnm", 6, fp::maxnm),
            ("fminnm", 7, fp::minnm),
        ];
        for (n, op, f) in two {
            v.push(Case {
                name: format!("{n}.{szn}"),
                insn: 0x1E200800 | ft << 22 | 2 << 16 | op << 12 | 1 << 5,
                gen: Gen::Fp(bits, 2),
                out: Out::V,
                expect: Box::new(move |a, b, _, c, s| f(sz, a, b, c, s)),
            });
        }
        v.push(Case {
            name: format!("fnmul.{szn}"),
            insn: 0x1E200800 | ft << 22 | 2 << 16 | 8 << 12 | 1 << 5,
            gen: Gen::Fp(bits, 2),
            out: Out::V,
            expect: Box::new(move |a, b, _, c, s| fp::neg(sz, fp::mul(sz, a, b, c, s))),
        });
        // FP data-processing (3 source): d = v3 +/- v1 * v2 (Rn=1, Rm=2, Ra=3).
        for (n, o1, o0) in [("fmadd", 0, 0), ("fmsub", 0, 1), ("fnmadd", 1, 0), ("fnmsub", 1, 1)] {
            v.push(Case {
                name: format!("{n}.{szn}"),
                insn: 0x1F000000 | ft << 22 | o1 << 21 | 2 << 16 | o0 << 15 | 3 << 10 | 1 << 5,
                gen: Gen::Fp(bits, 3),
                out: Out::V,
                expect: Box::new(move |a, b, c, fpcr, s| {
                    let a = if o0 != o1 { fp::neg(sz, a) } else { a };
                    let c = if o1 == 1 { fp::neg(sz, c) } else { c };
                    fp::muladd(sz, c, a, b, fpcr, s)
                }),
            });
        }
        // FP data-processing (1 source).
        type F1 = Box<dyn Fn(FpSize, u64, u32, &mut u32) -> u64>;
        let one: Vec<(&str, u32, F1)> = vec![
            ("fabs", 1, Box::new(|sz, a, _, _| fp::abs(sz, a))),
            ("fneg", 2, Box::new(|sz, a, _, _| fp::neg(sz, a))),
            ("fsqrt", 3, Box::new(fp::sqrt)),
            ("frintn", 8, Box::new(|sz, a, c, s| fp::round_int(sz, a, Rounding::TieEven, false, c, s))),
            ("frintp", 9, Box::new(|sz, a, c, s| fp::round_int(sz, a, Rounding::PosInf, false, c, s))),
            ("frintm", 10, Box::new(|sz, a, c, s| fp::round_int(sz, a, Rounding::NegInf, false, c, s))),
            ("frintz", 11, Box::new(|sz, a, c, s| fp::round_int(sz, a, Rounding::Zero, false, c, s))),
            ("frinta", 12, Box::new(|sz, a, c, s| fp::round_int(sz, a, Rounding::TieAway, false, c, s))),
            ("frintx", 14, Box::new(|sz, a, c, s| fp::round_int(sz, a, rm_of(c), true, c, s))),
            ("frinti", 15, Box::new(|sz, a, c, s| fp::round_int(sz, a, rm_of(c), false, c, s))),
        ];
        for (n, op, f) in one {
            v.push(Case {
                name: format!("{n}.{szn}"),
                insn: 0x1E204000 | ft << 22 | op << 15 | 1 << 5,
                gen: Gen::Fp(bits, 1),
                out: Out::V,
                expect: Box::new(move |a, _, _, c, s| f(sz, a, c, s)),
            });
        }
        // FCVT between precisions.
        for (to, opc) in [(FpSize::S, 4u32), (FpSize::D, 5), (FpSize::H, 7)] {
            if to == sz {
                continue;
            }
            v.push(Case {
                name: format!("fcvt.{szn}to{to:?}"),
                insn: 0x1E204000 | ft << 22 | opc << 15 | 1 << 5,
                gen: Gen::Cvt(bits),
                out: Out::V,
                expect: Box::new(move |a, _, _, c, s| fp::convert(sz, to, a, rm_of(c), c, s)),
            });
        }
        // FCMP / FCMPE, register and zero forms.
        for (n, op2, zero, sig) in [("fcmp", 0u32, false, false), ("fcmpz", 8, true, false), ("fcmpe", 0x10, false, true), ("fcmpez", 0x18, true, true)] {
            v.push(Case {
                name: format!("{n}.{szn}"),
                insn: 0x1E202000 | ft << 22 | 2 << 16 | 1 << 5 | op2,
                gen: Gen::Fp(bits, 2),
                out: Out::Nzcv,
                expect: Box::new(move |a, b, _, c, s| fp::compare(sz, a, if zero { 0 } else { b }, sig, c, s) as u64),
            });
        }
        // AdvSIMD scalar forms (h5 uses the same functions): FMULX FRECPS FRSQRTS FRECPE
        // FRSQRTE FRECPX FCMEQ FCMGE FCMGT.
        let enc = |s: u32, h: u32| if sz == FpSize::H { h } else { s | (ft & 1) << 22 };
        let adv2: [(&str, u32, u32, F2); 3] = [
            ("fmulx", 0x5E20DC00, 0x5E401C00, fp::mulx),
            ("frecps", 0x5E20FC00, 0x5E403C00, fp::recip_step),
            ("frsqrts", 0x5EA0FC00, 0x5EC03C00, fp::rsqrt_step),
        ];
        for (n, s, h, f) in adv2 {
            v.push(Case {
                name: format!("{n}.{szn}"),
                insn: enc(s, h) | 2 << 16 | 1 << 5,
                gen: Gen::Fp(bits, 2),
                out: Out::V,
                expect: Box::new(move |a, b, _, c, st| f(sz, a, b, c, st)),
            });
        }
        type FB = fn(FpSize, u64, u64, u32, &mut u32) -> bool;
        let cmps: [(&str, u32, u32, FB); 3] = [
            ("fcmeq", 0x5E20E400, 0x5E402400, fp::compare_eq),
            ("fcmge", 0x7E20E400, 0x7E402400, fp::compare_ge),
            ("fcmgt", 0x7EA0E400, 0x7EC02400, fp::compare_gt),
        ];
        for (n, s, h, f) in cmps {
            v.push(Case {
                name: format!("{n}.{szn}"),
                insn: enc(s, h) | 2 << 16 | 1 << 5,
                gen: Gen::Fp(bits, 2),
                out: Out::V,
                expect: Box::new(move |a, b, _, c, st| if f(sz, a, b, c, st) { ones } else { 0 }),
            });
        }
        type FU = fn(FpSize, u64, u32, &mut u32) -> u64;
        let adv1: [(&str, u32, u32, FU); 3] = [
            ("frecpe", 0x5EA1D800, 0x5EF9D800, fp::recip_estimate),
            ("frsqrte", 0x7EA1D800, 0x7EF9D800, fp::rsqrt_estimate),
            ("frecpx", 0x5EA1F800, 0x5EF9F800, fp::recpx),
        ];
        for (n, s, h, f) in adv1 {
            v.push(Case {
                name: format!("{n}.{szn}"),
                insn: enc(s, h) | 1 << 5,
                gen: Gen::Fp(bits, 1),
                out: Out::V,
                expect: Box::new(move |a, _, _, c, st| f(sz, a, c, st)),
            });
        }
        // Conversions to integer: FCVT{N,P,M,Z,A}{S,U} to W and X.
        let conv = [
            ("fcvtn", 0u32, 0u32, Rounding::TieEven),
            ("fcvta", 0, 4, Rounding::TieAway),
            ("fcvtp", 1, 0, Rounding::PosInf),
            ("fcvtm", 2, 0, Rounding::NegInf),
            ("fcvtz", 3, 0, Rounding::Zero),
        ];
        for sf in [0u32, 1] {
            let ib = if sf == 1 { 64 } else { 32 };
            for (n, rmode, opc, rm) in conv {
                for u in [0u32, 1] {
                    v.push(Case {
                        name: format!("{n}{}.{szn}.{ib}", if u == 1 { "u" } else { "s" }),
                        insn: 0x1E200000 | sf << 31 | ft << 22 | rmode << 19 | (opc + u) << 16 | 1 << 5,
                        gen: Gen::Fp(bits, 1),
                        out: Out::X,
                        expect: Box::new(move |a, _, _, c, st| fp::to_fixed(sz, a, 0, u == 1, ib, rm, c, st)),
                    });
                }
            }
            // Integer to FP: SCVTF / UCVTF.
            for u in [0u32, 1] {
                v.push(Case {
                    name: format!("{}cvtf.{szn}.{ib}", if u == 1 { "u" } else { "s" }),
                    insn: 0x1E200000 | sf << 31 | ft << 22 | (2 + u) << 16 | 1 << 5,
                    gen: Gen::Int,
                    out: Out::V,
                    expect: Box::new(move |a, _, _, c, st| fp::from_fixed(sz, a, 0, u == 1, ib, rm_of(c), c, st)),
                });
            }
            // Fixed point: FCVTZS/FCVTZU and SCVTF/UCVTF with fbits.
            for fbits in [1u32, 2, 7, 16, 31, 32, 33, 63, 64] {
                if fbits > ib {
                    continue;
                }
                let scale = 64 - fbits;
                for u in [0u32, 1] {
                    v.push(Case {
                        name: format!("fcvtz{}.{szn}.{ib}.#{fbits}", if u == 1 { "u" } else { "s" }),
                        insn: 0x1E000000 | sf << 31 | ft << 22 | 3 << 19 | u << 16 | scale << 10 | 1 << 5,
                        gen: Gen::Fp(bits, 1),
                        out: Out::X,
                        expect: Box::new(move |a, _, _, c, st| fp::to_fixed(sz, a, fbits, u == 1, ib, Rounding::Zero, c, st)),
                    });
                    v.push(Case {
                        name: format!("{}cvtf.{szn}.{ib}.#{fbits}", if u == 1 { "u" } else { "s" }),
                        insn: 0x1E000000 | sf << 31 | ft << 22 | (2 + u) << 16 | scale << 10 | 1 << 5,
                        gen: Gen::Int,
                        out: Out::V,
                        expect: Box::new(move |a, _, _, c, st| fp::from_fixed(sz, a, fbits, u == 1, ib, rm_of(c), c, st)),
                    });
                }
            }
        }
    }
    // URECPE / URSQRTE (vector, 2 x 32-bit lanes of v1's low half).
    type FI = fn(u32) -> u32;
    for (n, insn, f) in [("urecpe", 0x0ea1c820u32, fp::urecpe as FI), ("ursqrte", 0x2ea1c820, fp::ursqrte)] {
        v.push(Case {
            name: n.into(),
            insn,
            gen: Gen::Int,
            out: Out::V,
            expect: Box::new(move |a, _, _, _, _| f(a as u32) as u64 | (f((a >> 32) as u32) as u64) << 32),
        });
    }
    // FCVTXN (round to odd), double to single.
    v.push(Case {
        name: "fcvtxn".into(),
        insn: 0x7E616800 | 1 << 5,
        gen: Gen::Fp(64, 1),
        out: Out::V,
        expect: Box::new(|a, _, _, c, st| fp::convert(FpSize::D, FpSize::S, a, Rounding::Odd, c, st)),
    });
    v
}

fn int_value(r: &mut Rng) -> u64 {
    match r.below(6) {
        0 => r.below(1000),
        1 => (r.below(1000)).wrapping_neg(),
        2 => {
            // around a power of two, with low bits at rounding boundaries
            let p = r.below(64);
            (1u64 << p).wrapping_add(r.below(5)).wrapping_sub(2)
        }
        3 => {
            let p = r.below(64);
            let x = r.next() >> p;
            x | (1u64 << (63 - p.min(63)))
        }
        4 => (r.next() as u32) as u64 | (r.next() << 32),
        _ => r.next(),
    }
}

#[test]
fn fp_semantics_match_qemu() {
    let Some(oracle) = Oracle::new() else { return };
    let per_case = scaled(300);
    let cases = cases();
    let mut rng = Rng(seed(0x5eed_f00d_1234_5678));
    let mut input = String::new();
    let mut vecs: Vec<(usize, u32, u64, u64, u64)> = Vec::new();
    for (ci, c) in cases.iter().enumerate() {
        for _ in 0..per_case {
            let (fpcr, a, b, cc) = match c.gen {
                Gen::Fp(bits, n) => {
                    let a = fp_value(&mut rng, bits);
                    let b = if n >= 2 { fp_related(&mut rng, bits, a) } else { 0 };
                    let cc = if n >= 3 {
                        // Often close to -(a*b), to exercise cancellation in the fused sum.
                        let sz = match bits { 16 => FpSize::H, 32 => FpSize::S, _ => FpSize::D };
                        let p = fp::neg(sz, fp::mul(sz, a, b, 0, &mut 0));
                        let base = if rng.bool() { p } else { a };
                        fp_related(&mut rng, bits, base)
                    } else {
                        0
                    };
                    (fpcr_value(&mut rng, false), a, b, cc)
                }
                Gen::Int => (fpcr_value(&mut rng, false), int_value(&mut rng), 0, 0),
                Gen::Cvt(bits) => (fpcr_value(&mut rng, true), fp_value(&mut rng, bits), 0, 0),
            };
            input.push_str(&format!("S {:x} {:x} {:x} {:x} {:x}\n", c.insn, fpcr, a, b, cc));
            vecs.push((ci, fpcr, a, b, cc));
        }
    }
    let out = oracle.run("max", input);
    assert_eq!(out.len(), vecs.len(), "oracle output length");
    let mut bad = vec![0usize; cases.len()];
    let mut shown = 0;
    for ((ci, fpcr, a, b, cc), line) in vecs.iter().zip(out.iter()) {
        let c = &cases[*ci];
        let f: Vec<u64> = line.split_whitespace().map(|t| u64::from_str_radix(t, 16).unwrap_or(u64::MAX)).collect();
        assert_eq!(f.len(), 4, "{}: oracle said {line}", c.name);
        let (q_val, q_fpsr) = match c.out {
            Out::V => (f[0], f[3]),
            Out::X => (f[1], f[3]),
            Out::Nzcv => (f[2], f[3]),
        };
        let mut fpsr = 0u32;
        let got = (c.expect)(*a, *b, *cc, *fpcr, &mut fpsr);
        if got != q_val || fpsr as u64 != q_fpsr & 0x9f {
            bad[*ci] += 1;
            if shown < 60 {
                shown += 1;
                eprintln!(
                    "MISMATCH {} fpcr={fpcr:08x} a={a:x} b={b:x} c={cc:x}: qemu {q_val:x} fpsr {q_fpsr:x}, ours {got:x} fpsr {fpsr:x}",
                    c.name
                );
            }
        }
    }
    let total_bad: usize = bad.iter().sum();
    for (c, n) in cases.iter().zip(bad.iter()) {
        if *n > 0 {
            eprintln!("{}: {n}/{per_case} mismatches", c.name);
        }
    }
    eprintln!("{} cases x {per_case} vectors = {} vectors, {total_bad} mismatches", cases.len(), vecs.len());
    assert_eq!(total_bad, 0);
}
