//! Data processing - register (Arm ARM C4.1.5): logical and add/subtract (shifted and
//! extended register), add/subtract with carry, conditional compare and select, 1-source
//! (RBIT, REV*, CLZ, CLS), 2-source (divides, variable shifts, CRC32*), 3-source
//! (multiply-accumulate). Semantics in `semantics::alu`.

use super::{ExecResult, Flow};
use crate::decode::DpReg;
use crate::platform::Platform;
use crate::semantics::alu::{self, add_with_carry, condition_holds, shift_reg, trunc};
use crate::state::{ArchState, C};
use crate::Cpu;

#[derive(Clone, Copy)]
enum Logic {
    And,
    Orr,
    Eor,
}

#[allow(clippy::too_many_arguments)]
fn logical_reg(st: &mut ArchState, op: Logic, invert: bool, setflags: bool, sf: u32, shift: u32, rm: u32, imm6: u32, rn: u32, rd: u32) {
    let sf = sf == 1;
    let mut op2 = shift_reg(st.reg(sf, rm), shift, imm6, sf);
    if invert {
        op2 = trunc(sf, !op2);
    }
    let op1 = st.reg(sf, rn);
    let r = match op {
        Logic::And => op1 & op2,
        Logic::Orr => op1 | op2,
        Logic::Eor => op1 ^ op2,
    };
    if setflags {
        st.set_nzcv(alu::logic_flags(r, sf));
    }
    st.set_reg(sf, rd, r);
}

#[allow(clippy::too_many_arguments)]
fn add_sub_reg(st: &mut ArchState, sub: bool, setflags: bool, sf: u32, shift: u32, rm: u32, imm6: u32, rn: u32, rd: u32) {
    let sf = sf == 1;
    let op2 = shift_reg(st.reg(sf, rm), shift, imm6, sf);
    let op1 = st.reg(sf, rn);
    let (op2, carry) = if sub { (trunc(sf, !op2), true) } else { (op2, false) };
    let (r, nzcv) = add_with_carry(op1, op2, carry, sf);
    if setflags {
        st.set_nzcv(nzcv);
    }
    st.set_reg(sf, rd, r);
}

/// Add/subtract (extended register): Rn 31 is SP; Rd 31 is SP unless flags are set.
#[allow(clippy::too_many_arguments)]
fn add_sub_ext(st: &mut ArchState, sub: bool, setflags: bool, sf: u32, rm: u32, option: u32, imm3: u32, rn: u32, rd: u32) {
    let sf = sf == 1;
    // Rm is a W register for UXTB..UXTW/SXTB..SXTW, X for UXTX/SXTX (64-bit ops); reading
    // all 64 bits and extending from the element width gives the same value.
    let op2 = alu::extend_reg(st.xr(rm), option, imm3, sf);
    let op1 = trunc(sf, st.xsp(rn));
    let (op2, carry) = if sub { (trunc(sf, !op2), true) } else { (op2, false) };
    let (r, nzcv) = add_with_carry(op1, op2, carry, sf);
    if setflags {
        st.set_nzcv(nzcv);
        st.set_reg(sf, rd, r);
    } else {
        st.set_xsp(rd, trunc(sf, r));
    }
}

fn add_sub_carry(st: &mut ArchState, sub: bool, setflags: bool, sf: u32, rm: u32, rn: u32, rd: u32) {
    let sf = sf == 1;
    let op1 = st.reg(sf, rn);
    let op2 = st.reg(sf, rm);
    let op2 = if sub { trunc(sf, !op2) } else { op2 };
    let (r, nzcv) = add_with_carry(op1, op2, st.nzcv() & C != 0, sf);
    if setflags {
        st.set_nzcv(nzcv);
    }
    st.set_reg(sf, rd, r);
}

/// CCMN/CCMP: if the condition holds, the flags of Rn +/- op2, else `nzcv`.
#[allow(clippy::too_many_arguments)]
fn cond_cmp(st: &mut ArchState, sub: bool, sf: u32, op2: u64, cond: u32, rn: u32, nzcv: u32) {
    let sf = sf == 1;
    let flags = if condition_holds(cond, st.nzcv()) {
        let op1 = st.reg(sf, rn);
        let (op2, carry) = if sub { (trunc(sf, !op2), true) } else { (trunc(sf, op2), false) };
        add_with_carry(op1, op2, carry, sf).1
    } else {
        nzcv << 28
    };
    st.set_nzcv(flags);
}

#[derive(Clone, Copy)]
enum CondSel {
    Sel,
    Inc,
    Inv,
    Neg,
}

#[allow(clippy::too_many_arguments)]
fn cond_sel(st: &mut ArchState, op: CondSel, sf: u32, rm: u32, cond: u32, rn: u32, rd: u32) {
    let sf = sf == 1;
    let r = if condition_holds(cond, st.nzcv()) {
        st.reg(sf, rn)
    } else {
        let m = st.reg(sf, rm);
        match op {
            CondSel::Sel => m,
            CondSel::Inc => m.wrapping_add(1),
            CondSel::Inv => !m,
            CondSel::Neg => (!m).wrapping_add(1),
        }
    };
    st.set_reg(sf, rd, r);
}

fn crc(st: &mut ArchState, rm: u32, rn: u32, rd: u32, bytes: u32, poly: u32) {
    let acc = st.wr(rn) as u32;
    let val = st.xr(rm);
    let r = alu::crc32(acc, val, bytes, poly);
    st.set_reg(false, rd, r as u64);
}

pub fn exec(cpu: &mut Cpu, _p: &mut dyn Platform, i: &DpReg, _raw: u32) -> ExecResult {
    let st = &mut cpu.st;
    match *i {
        DpReg::AndReg { sf, shift, rm, imm6, rn, rd } => logical_reg(st, Logic::And, false, false, sf, shift, rm, imm6, rn, rd),
        DpReg::BicReg { sf, shift, rm, imm6, rn, rd } => logical_reg(st, Logic::And, true, false, sf, shift, rm, imm6, rn, rd),
        DpReg::OrrReg { sf, shift, rm, imm6, rn, rd } => logical_reg(st, Logic::Orr, false, false, sf, shift, rm, imm6, rn, rd),
        DpReg::OrnReg { sf, shift, rm, imm6, rn, rd } => logical_reg(st, Logic::Orr, true, false, sf, shift, rm, imm6, rn, rd),
        DpReg::EorReg { sf, shift, rm, imm6, rn, rd } => logical_reg(st, Logic::Eor, false, false, sf, shift, rm, imm6, rn, rd),
        DpReg::EonReg { sf, shift, rm, imm6, rn, rd } => logical_reg(st, Logic::Eor, true, false, sf, shift, rm, imm6, rn, rd),
        DpReg::AndsReg { sf, shift, rm, imm6, rn, rd } => logical_reg(st, Logic::And, false, true, sf, shift, rm, imm6, rn, rd),
        DpReg::BicsReg { sf, shift, rm, imm6, rn, rd } => logical_reg(st, Logic::And, true, true, sf, shift, rm, imm6, rn, rd),

        DpReg::AddReg { sf, shift, rm, imm6, rn, rd } => add_sub_reg(st, false, false, sf, shift, rm, imm6, rn, rd),
        DpReg::AddsReg { sf, shift, rm, imm6, rn, rd } => add_sub_reg(st, false, true, sf, shift, rm, imm6, rn, rd),
        DpReg::SubReg { sf, shift, rm, imm6, rn, rd } => add_sub_reg(st, true, false, sf, shift, rm, imm6, rn, rd),
        DpReg::SubsReg { sf, shift, rm, imm6, rn, rd } => add_sub_reg(st, true, true, sf, shift, rm, imm6, rn, rd),

        DpReg::AddExt { sf, rm, option, imm3, rn, rd } => add_sub_ext(st, false, false, sf, rm, option, imm3, rn, rd),
        DpReg::AddsExt { sf, rm, option, imm3, rn, rd } => add_sub_ext(st, false, true, sf, rm, option, imm3, rn, rd),
        DpReg::SubExt { sf, rm, option, imm3, rn, rd } => add_sub_ext(st, true, false, sf, rm, option, imm3, rn, rd),
        DpReg::SubsExt { sf, rm, option, imm3, rn, rd } => add_sub_ext(st, true, true, sf, rm, option, imm3, rn, rd),

        DpReg::Adc { sf, rm, rn, rd } => add_sub_carry(st, false, false, sf, rm, rn, rd),
        DpReg::Adcs { sf, rm, rn, rd } => add_sub_carry(st, false, true, sf, rm, rn, rd),
        DpReg::Sbc { sf, rm, rn, rd } => add_sub_carry(st, true, false, sf, rm, rn, rd),
        DpReg::Sbcs { sf, rm, rn, rd } => add_sub_carry(st, true, true, sf, rm, rn, rd),

        DpReg::CcmnReg { sf, rm, cond, rn, nzcv } => {
            let op2 = st.xr(rm);
            cond_cmp(st, false, sf, op2, cond, rn, nzcv)
        }
        DpReg::CcmpReg { sf, rm, cond, rn, nzcv } => {
            let op2 = st.xr(rm);
            cond_cmp(st, true, sf, op2, cond, rn, nzcv)
        }
        DpReg::CcmnImm { sf, imm5, cond, rn, nzcv } => cond_cmp(st, false, sf, imm5 as u64, cond, rn, nzcv),
        DpReg::CcmpImm { sf, imm5, cond, rn, nzcv } => cond_cmp(st, true, sf, imm5 as u64, cond, rn, nzcv),

        DpReg::Csel { sf, rm, cond, rn, rd } => cond_sel(st, CondSel::Sel, sf, rm, cond, rn, rd),
        DpReg::Csinc { sf, rm, cond, rn, rd } => cond_sel(st, CondSel::Inc, sf, rm, cond, rn, rd),
        DpReg::Csinv { sf, rm, cond, rn, rd } => cond_sel(st, CondSel::Inv, sf, rm, cond, rn, rd),
        DpReg::Csneg { sf, rm, cond, rn, rd } => cond_sel(st, CondSel::Neg, sf, rm, cond, rn, rd),

        DpReg::Rbit { sf, rn, rd } => {
            let sf = sf == 1;
            let r = alu::bit_reverse(st.reg(sf, rn), alu::datasize(sf));
            st.set_reg(sf, rd, r);
        }
        DpReg::Rev16 { sf, rn, rd } => {
            let sf = sf == 1;
            let r = alu::reverse_bytes(st.reg(sf, rn), 16, sf);
            st.set_reg(sf, rd, r);
        }
        DpReg::RevW { rn, rd } => {
            let r = alu::reverse_bytes(st.wr(rn), 32, false);
            st.set_reg(false, rd, r);
        }
        DpReg::Rev32 { rn, rd } => {
            let r = alu::reverse_bytes(st.xr(rn), 32, true);
            st.set_xr(rd, r);
        }
        DpReg::RevX { rn, rd } => {
            let r = alu::reverse_bytes(st.xr(rn), 64, true);
            st.set_xr(rd, r);
        }
        DpReg::Clz { sf, rn, rd } => {
            let sf = sf == 1;
            let r = alu::count_leading_zeros(st.reg(sf, rn), alu::datasize(sf));
            st.set_reg(sf, rd, r as u64);
        }
        DpReg::Cls { sf, rn, rd } => {
            let sf = sf == 1;
            let r = alu::count_leading_sign_bits(st.reg(sf, rn), alu::datasize(sf));
            st.set_reg(sf, rd, r as u64);
        }

        DpReg::Udiv { sf, rm, rn, rd } => {
            let sf = sf == 1;
            let r = alu::udiv(st.reg(sf, rn), st.reg(sf, rm), sf);
            st.set_reg(sf, rd, r);
        }
        DpReg::Sdiv { sf, rm, rn, rd } => {
            let sf = sf == 1;
            let r = alu::sdiv(st.reg(sf, rn), st.reg(sf, rm), sf);
            st.set_reg(sf, rd, r);
        }
        DpReg::Lslv { sf, rm, rn, rd } => var_shift(st, alu::SHIFT_LSL, sf, rm, rn, rd),
        DpReg::Lsrv { sf, rm, rn, rd } => var_shift(st, alu::SHIFT_LSR, sf, rm, rn, rd),
        DpReg::Asrv { sf, rm, rn, rd } => var_shift(st, alu::SHIFT_ASR, sf, rm, rn, rd),
        DpReg::Rorv { sf, rm, rn, rd } => var_shift(st, alu::SHIFT_ROR, sf, rm, rn, rd),

        DpReg::Crc32b { rm, rn, rd } => crc(st, rm, rn, rd, 1, alu::CRC32_POLY_REFLECTED),
        DpReg::Crc32h { rm, rn, rd } => crc(st, rm, rn, rd, 2, alu::CRC32_POLY_REFLECTED),
        DpReg::Crc32w { rm, rn, rd } => crc(st, rm, rn, rd, 4, alu::CRC32_POLY_REFLECTED),
        DpReg::Crc32x { rm, rn, rd } => crc(st, rm, rn, rd, 8, alu::CRC32_POLY_REFLECTED),
        DpReg::Crc32cb { rm, rn, rd } => crc(st, rm, rn, rd, 1, alu::CRC32C_POLY_REFLECTED),
        DpReg::Crc32ch { rm, rn, rd } => crc(st, rm, rn, rd, 2, alu::CRC32C_POLY_REFLECTED),
        DpReg::Crc32cw { rm, rn, rd } => crc(st, rm, rn, rd, 4, alu::CRC32C_POLY_REFLECTED),
        DpReg::Crc32cx { rm, rn, rd } => crc(st, rm, rn, rd, 8, alu::CRC32C_POLY_REFLECTED),

        DpReg::Madd { sf, rm, ra, rn, rd } => {
            let sf = sf == 1;
            let r = alu::mul_add(st.reg(sf, ra), st.reg(sf, rn), st.reg(sf, rm), false, sf);
            st.set_reg(sf, rd, r);
        }
        DpReg::Msub { sf, rm, ra, rn, rd } => {
            let sf = sf == 1;
            let r = alu::mul_add(st.reg(sf, ra), st.reg(sf, rn), st.reg(sf, rm), true, sf);
            st.set_reg(sf, rd, r);
        }
        DpReg::Smaddl { rm, ra, rn, rd } => {
            let r = alu::mul_add_long(st.xr(ra), st.xr(rn), st.xr(rm), false, true);
            st.set_xr(rd, r);
        }
        DpReg::Smsubl { rm, ra, rn, rd } => {
            let r = alu::mul_add_long(st.xr(ra), st.xr(rn), st.xr(rm), true, true);
            st.set_xr(rd, r);
        }
        DpReg::Umaddl { rm, ra, rn, rd } => {
            let r = alu::mul_add_long(st.xr(ra), st.xr(rn), st.xr(rm), false, false);
            st.set_xr(rd, r);
        }
        DpReg::Umsubl { rm, ra, rn, rd } => {
            let r = alu::mul_add_long(st.xr(ra), st.xr(rn), st.xr(rm), true, false);
            st.set_xr(rd, r);
        }
        DpReg::Smulh { rm, rn, rd } => {
            let r = alu::smulh(st.xr(rn), st.xr(rm));
            st.set_xr(rd, r);
        }
        DpReg::Umulh { rm, rn, rd } => {
            let r = alu::umulh(st.xr(rn), st.xr(rm));
            st.set_xr(rd, r);
        }
    }
    Ok(Flow::Next)
}

fn var_shift(st: &mut ArchState, shift: u32, sf: u32, rm: u32, rn: u32, rd: u32) {
    let sf = sf == 1;
    let amount = (st.xr(rm) % alu::datasize(sf) as u64) as u32;
    let r = shift_reg(st.reg(sf, rn), shift, amount, sf);
    st.set_reg(sf, rd, r);
}
