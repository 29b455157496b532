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
