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
