//! Cryptographic extension (Arm ARM C4.1.6: Cryptographic AES, three-register SHA,
//! two-register SHA) and PMULL/PMULL2 (Advanced SIMD three different, opcode 1110).
//! Semantics in `semantics::crypto`. Every instruction here is a SIMD&FP instruction and
//! checks the FP/AdvSIMD enables first.

use super::{ExecResult, Flow};
use crate::decode::Crypto;
use crate::platform::Platform;
use crate::semantics::crypto::{self as c, Sha1Fn};
use crate::Cpu;

pub fn exec(cpu: &mut Cpu, _p: &mut dyn Platform, i: &Crypto, _raw: u32) -> ExecResult {
    cpu.check_fp_enabled()?;
    let v = &mut cpu.st.v;
    let get = |v: &[u128; 32], r: u32| v[(r & 31) as usize];
    let (rd, r) = match *i {
        Crypto::Aese { rn, rd } => (rd, c::aese(get(v, rd), get(v, rn))),
        Crypto::Aesd { rn, rd } => (rd, c::aesd(get(v, rd), get(v, rn))),
        Crypto::Aesmc { rn, rd } => (rd, c::aes_mix_columns(get(v, rn))),
        Crypto::Aesimc { rn, rd } => (rd, c::aes_inv_mix_columns(get(v, rn))),
        Crypto::Sha1c { rm, rn, rd } => (rd, c::sha1_hash_update(get(v, rd), get(v, rn) as u32, get(v, rm), Sha1Fn::Choose)),
        Crypto::Sha1p { rm, rn, rd } => (rd, c::sha1_hash_update(get(v, rd), get(v, rn) as u32, get(v, rm), Sha1Fn::Parity)),
        Crypto::Sha1m { rm, rn, rd } => (rd, c::sha1_hash_update(get(v, rd), get(v, rn) as u32, get(v, rm), Sha1Fn::Majority)),
        Crypto::Sha1su0 { rm, rn, rd } => (rd, c::sha1su0(get(v, rd), get(v, rn), get(v, rm))),
        Crypto::Sha256h { rm, rn, rd } => (rd, c::sha256h(get(v, rd), get(v, rn), get(v, rm))),
        Crypto::Sha256h2 { rm, rn, rd } => (rd, c::sha256h2(get(v, rd), get(v, rn), get(v, rm))),
        Crypto::Sha256su1 { rm, rn, rd } => (rd, c::sha256su1(get(v, rd), get(v, rn), get(v, rm))),
        // SHA1H writes Sd: the rest of Vd is zeroed
        Crypto::Sha1h { rn, rd } => (rd, c::sha1h(get(v, rn) as u32) as u128),
        Crypto::Sha1su1 { rn, rd } => (rd, c::sha1su1(get(v, rd), get(v, rn))),
        Crypto::Sha256su0 { rn, rd } => (rd, c::sha256su0(get(v, rd), get(v, rn))),
        Crypto::Pmull8 { q, rm, rn, rd } => {
            let sh = 64 * q;
            (rd, c::pmull_8((get(v, rn) >> sh) as u64, (get(v, rm) >> sh) as u64))
        }
        Crypto::Pmull64 { q, rm, rn, rd } => {
            let sh = 64 * q;
            (rd, c::pmull_64((get(v, rn) >> sh) as u64, (get(v, rm) >> sh) as u64))
        }
    };
    v[(rd & 31) as usize] = r;
    Ok(Flow::Next)
}


#[cfg(test)]
mod tests {
    use crate::decode::{decode, Crypto, Insn};
    use crate::interp::dp_imm::oracle::{self, Rng};

    /// Random words of every crypto line, random register state, against qemu-aarch64.
    #[test]
    fn semantics_agree_with_qemu() {
        use crate::interp::dp_imm::qemu;
        let mut rng = Rng(0xc4_5eed);
        let cases = qemu::random_cases(&["crypto"], 60, &mut rng, &|_, w| Some((w, qemu::Kind::Plain)));
        qemu::assert_agree("crypto_qemu", &cases);
    }

    const NAMES: &[&str] = &[
        "aese", "aesd", "aesmc", "aesimc", "sha1c", "sha1p", "sha1m", "sha1su0", "sha256h", "sha256h2", "sha256su1",
        "sha1h", "sha1su1", "sha256su0", "pmull", "pmull2",
    ];

    /// The AdvSIMD classes around the crypto encodings: a word is ours iff objdump names
    /// one of the crypto instructions (other AdvSIMD words belong to simd.decode).
    #[test]
    fn decode_agrees_with_objdump() {
        let mut rng = Rng(0xc0ffee);
        for top in [0x0e, 0x2e, 0x4e, 0x5e, 0x6e, 0x7e] {
            let words = oracle::space(0xff00_0000, top << 24, 0x00ff_fc00, 1, &mut rng);
            oracle::agree_with_objdump(&format!("crypto_{top:02x}"), &words, &["crypto"], &|_| false, Some(NAMES));
            oracle::text_agrees_with_objdump(&format!("crypto_{top:02x}_text"), &words);
        }
        // The crypto classes themselves (everything else there is UNDEFINED): AES
        // (0x4e280800/0xff3e0c00 with size free), SHA three-register, SHA two-register, and
        // PMULL's opcode (U=0, opcode=1110, all sizes).
        let crypto_class = |w: u32| {
            w & 0xff3e_0c00 == 0x4e28_0800
                || w & 0xff20_8c00 == 0x5e00_0000
                || w & 0xff3e_0c00 == 0x5e28_0800
                || w & 0xbf20_fc00 == 0x0e20_e000
        };
        let mut words = oracle::space(0xff3e_0c00, 0x4e28_0800, 0x00c1_f000, 4, &mut rng);
        words.extend(oracle::space(0xff20_8c00, 0x5e00_0000, 0x00c0_7000, 64, &mut rng));
        words.extend(oracle::space(0xff3e_0c00, 0x5e28_0800, 0x00c1_f000, 4, &mut rng));
        words.extend(oracle::space(0xbf20_fc00, 0x0e20_e000, 0x40c0_0000, 64, &mut rng));
        assert!(words.iter().all(|&w| crypto_class(w)));
        crate::interp::dp_imm::qemu::assert_undefined_in_qemu("crypto_undef", &words, &|_| false);
    }

    /// With CPACR_EL1.FPEN = 00 at EL1, crypto instructions (SIMD&FP class) trap to EL1 with
    /// EC 0x07 and leave the registers alone (Arm ARM D1.11 / CheckFPAdvSIMDEnabled64).
    #[test]
    fn traps_when_fp_disabled() {
        let mut cpu = crate::Cpu::new(Default::default());
        let mut p = crate::platform::FlatRam::new(0, 16);
        cpu.st.pstate.el = 1;
        cpu.sys.cpacr_el1 = 0;
        cpu.st.v[1] = 0x1234;
        // aese v1.16b, v2.16b = 0x4e284841; pmull v1.1q, v2.1d, v3.1d = 0x0ee3e041
        for w in [0x4e28_4841u32, 0x0ee3_e041] {
            let e = crate::interp::exec(&mut cpu, &mut p, &decode(w), w).unwrap_err();
            assert_eq!(e.ec, crate::exception::ec::FP_ACCESS);
            assert_eq!(e.target, Some(1));
            assert_eq!(cpu.st.v[1], 0x1234);
        }
        cpu.sys.cpacr_el1 = 3 << 20;
        assert!(crate::interp::exec(&mut cpu, &mut p, &decode(0x4e28_4841), 0x4e28_4841).is_ok());
    }

    #[test]
    fn decode_fields_from_gnu_as() {
        use Crypto::*;
        let cases: Vec<(&str, Insn)> = vec![
            ("aese v1.16b, v2.16b", Insn::Crypto(Aese { rn: 2, rd: 1 })),
            ("aesd v31.16b, v0.16b", Insn::Crypto(Aesd { rn: 0, rd: 31 })),
            ("aesmc v1.16b, v2.16b", Insn::Crypto(Aesmc { rn: 2, rd: 1 })),
            ("aesimc v1.16b, v2.16b", Insn::Crypto(Aesimc { rn: 2, rd: 1 })),
            ("sha1c q1, s2, v3.4s", Insn::Crypto(Sha1c { rm: 3, rn: 2, rd: 1 })),
            ("sha1p q1, s2, v3.4s", Insn::Crypto(Sha1p { rm: 3, rn: 2, rd: 1 })),
            ("sha1m q1, s2, v3.4s", Insn::Crypto(Sha1m { rm: 3, rn: 2, rd: 1 })),
            ("sha1su0 v1.4s, v2.4s, v3.4s", Insn::Crypto(Sha1su0 { rm: 3, rn: 2, rd: 1 })),
            ("sha256h q1, q2, v3.4s", Insn::Crypto(Sha256h { rm: 3, rn: 2, rd: 1 })),
            ("sha256h2 q1, q2, v3.4s", Insn::Crypto(Sha256h2 { rm: 3, rn: 2, rd: 1 })),
            ("sha256su1 v1.4s, v2.4s, v3.4s", Insn::Crypto(Sha256su1 { rm: 3, rn: 2, rd: 1 })),
            ("sha1h s1, s2", Insn::Crypto(Sha1h { rn: 2, rd: 1 })),
            ("sha1su1 v1.4s, v2.4s", Insn::Crypto(Sha1su1 { rn: 2, rd: 1 })),
            ("sha256su0 v1.4s, v2.4s", Insn::Crypto(Sha256su0 { rn: 2, rd: 1 })),
            ("pmull v1.8h, v2.8b, v3.8b", Insn::Crypto(Pmull8 { q: 0, rm: 3, rn: 2, rd: 1 })),
            ("pmull2 v1.8h, v2.16b, v3.16b", Insn::Crypto(Pmull8 { q: 1, rm: 3, rn: 2, rd: 1 })),
            ("pmull v1.1q, v2.1d, v3.1d", Insn::Crypto(Pmull64 { q: 0, rm: 3, rn: 2, rd: 1 })),
            ("pmull2 v1.1q, v2.2d, v3.2d", Insn::Crypto(Pmull64 { q: 1, rm: 3, rn: 2, rd: 1 })),
        ];
        let lines: Vec<String> = cases.iter().map(|c| c.0.to_string()).collect();
        let Some(words) = oracle::assemble("crypto_fields", &lines) else { return };
        for (w, (line, want)) in words.iter().zip(&cases) {
            assert_eq!(decode(*w), *want, "{line} ({w:#010x})");
        }
    }
}
