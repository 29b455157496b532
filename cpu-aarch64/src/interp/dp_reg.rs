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
        DpReg::Rev16Gpr { sf, rn, rd } => {
            let sf = sf == 1;
            let r = alu::reverse_bytes(st.reg(sf, rn), 16, sf);
            st.set_reg(sf, rd, r);
        }
        DpReg::RevW { rn, rd } => {
            let r = alu::reverse_bytes(st.wr(rn), 32, false);
            st.set_reg(false, rd, r);
        }
        DpReg::Rev32Gpr { rn, rd } => {
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

#[cfg(test)]
mod tests {
    use crate::decode::{decode, DpReg, Insn};
    use crate::interp::dp_imm::oracle::{self, Rng};

    /// Random words of every dp_reg line, random register state, against qemu-aarch64.
    #[test]
    fn semantics_agree_with_qemu() {
        use crate::interp::dp_imm::qemu;
        let mut rng = Rng(0x2d2_5eed);
        let cases = qemu::random_cases(&["dp_reg"], 50, &mut rng, &|_, w| Some((w, qemu::Kind::Plain)));
        qemu::assert_agree("dp_reg_qemu", &cases);
    }

    #[test]
    fn decode_agrees_with_objdump() {
        let mut rng = Rng(0xd9_7e6);
        // bits 27:25 = 101. Enumerate bits 31:28, 24:21 and 15:10 (op0, op1, op2, op3).
        let words = oracle::space(0x0e00_0000, 0x0a00_0000, 0xf1e0_fc00, 4, &mut rng);
        oracle::agree_with_objdump("dp_reg_a", &words, &["dp_reg"], &|_| false, None);
        oracle::text_agrees_with_objdump("dp_reg_a_text", &words);
        crate::interp::dp_imm::qemu::assert_undefined_in_qemu("dp_reg_a_undef", &words, &|_| false);
        // Enumerate bits 31:28 and 24:16 (1-source opcode2, 3-source op31 with Rm).
        let words = oracle::space(0x0e00_0000, 0x0a00_0000, 0xf1ff_0000, 4, &mut rng);
        oracle::agree_with_objdump("dp_reg_b", &words, &["dp_reg"], &|_| false, None);
        oracle::text_agrees_with_objdump("dp_reg_b_text", &words);
        crate::interp::dp_imm::qemu::assert_undefined_in_qemu("dp_reg_b_undef", &words, &|_| false);
        // Conditional compare/select and 1/2-source with bits 11:10 and 4:0 (o3, nzcv).
        let words = oracle::space(0x1fe0_0000, 0x1a40_0000, 0xe000_0c1f, 8, &mut rng);
        oracle::agree_with_objdump("dp_reg_c", &words, &["dp_reg"], &|_| false, None);
        oracle::text_agrees_with_objdump("dp_reg_c_text", &words);
        crate::interp::dp_imm::qemu::assert_undefined_in_qemu("dp_reg_c_undef", &words, &|_| false);
        let words = oracle::space(0x1fe0_0000, 0x1ac0_0000, 0xe01f_fc00, 1, &mut rng);
        oracle::agree_with_objdump("dp_reg_d", &words, &["dp_reg"], &|_| false, None);
        oracle::text_agrees_with_objdump("dp_reg_d_text", &words);
        crate::interp::dp_imm::qemu::assert_undefined_in_qemu("dp_reg_d_undef", &words, &|_| false);
    }

    #[test]
    fn decode_fields_from_gnu_as() {
        use DpReg::*;
        let cases: Vec<(&str, Insn)> = vec![
            ("and x1, x2, x3, ror #63", Insn::DpReg(AndReg { sf: 1, shift: 3, rm: 3, imm6: 63, rn: 2, rd: 1 })),
            ("bic w1, w2, w3, asr #31", Insn::DpReg(BicReg { sf: 0, shift: 2, rm: 3, imm6: 31, rn: 2, rd: 1 })),
            ("mov x4, x5", Insn::DpReg(OrrReg { sf: 1, shift: 0, rm: 5, imm6: 0, rn: 31, rd: 4 })),
            ("mvn w4, w5, lsr #2", Insn::DpReg(OrnReg { sf: 0, shift: 1, rm: 5, imm6: 2, rn: 31, rd: 4 })),
            ("eor x0, x0, x30", Insn::DpReg(EorReg { sf: 1, shift: 0, rm: 30, imm6: 0, rn: 0, rd: 0 })),
            ("eon x0, x0, x30, lsl #1", Insn::DpReg(EonReg { sf: 1, shift: 0, rm: 30, imm6: 1, rn: 0, rd: 0 })),
            ("tst w7, w8", Insn::DpReg(AndsReg { sf: 0, shift: 0, rm: 8, imm6: 0, rn: 7, rd: 31 })),
            ("bics x7, x8, x9", Insn::DpReg(BicsReg { sf: 1, shift: 0, rm: 9, imm6: 0, rn: 8, rd: 7 })),
            ("add x1, x2, x3, lsl #12", Insn::DpReg(AddReg { sf: 1, shift: 0, rm: 3, imm6: 12, rn: 2, rd: 1 })),
            ("adds w1, w2, w3, asr #3", Insn::DpReg(AddsReg { sf: 0, shift: 2, rm: 3, imm6: 3, rn: 2, rd: 1 })),
            ("neg x1, x3, lsr #63", Insn::DpReg(SubReg { sf: 1, shift: 1, rm: 3, imm6: 63, rn: 31, rd: 1 })),
            ("cmp w1, w3", Insn::DpReg(SubsReg { sf: 0, shift: 0, rm: 3, imm6: 0, rn: 1, rd: 31 })),
            ("add sp, sp, w3, uxtw #2", Insn::DpReg(AddExt { sf: 1, rm: 3, option: 2, imm3: 2, rn: 31, rd: 31 })),
            ("adds x1, sp, x3, sxtx #4", Insn::DpReg(AddsExt { sf: 1, rm: 3, option: 7, imm3: 4, rn: 31, rd: 1 })),
            ("sub w1, wsp, w3, sxtb", Insn::DpReg(SubExt { sf: 0, rm: 3, option: 4, imm3: 0, rn: 31, rd: 1 })),
            ("cmp sp, w3, uxth #1", Insn::DpReg(SubsExt { sf: 1, rm: 3, option: 1, imm3: 1, rn: 31, rd: 31 })),
            ("adc x1, x2, x3", Insn::DpReg(Adc { sf: 1, rm: 3, rn: 2, rd: 1 })),
            ("adcs w1, w2, w3", Insn::DpReg(Adcs { sf: 0, rm: 3, rn: 2, rd: 1 })),
            ("ngc x1, x3", Insn::DpReg(Sbc { sf: 1, rm: 3, rn: 31, rd: 1 })),
            ("sbcs w1, w2, w3", Insn::DpReg(Sbcs { sf: 0, rm: 3, rn: 2, rd: 1 })),
            ("ccmn x1, x2, #0xf, ne", Insn::DpReg(CcmnReg { sf: 1, rm: 2, cond: 1, rn: 1, nzcv: 15 })),
            ("ccmp w1, w2, #0x4, lt", Insn::DpReg(CcmpReg { sf: 0, rm: 2, cond: 0xb, rn: 1, nzcv: 4 })),
            ("ccmn w1, #31, #0x1, al", Insn::DpReg(CcmnImm { sf: 0, imm5: 31, cond: 0xe, rn: 1, nzcv: 1 })),
            ("ccmp x1, #0, #0x8, hi", Insn::DpReg(CcmpImm { sf: 1, imm5: 0, cond: 8, rn: 1, nzcv: 8 })),
            ("csel x1, x2, x3, eq", Insn::DpReg(Csel { sf: 1, rm: 3, cond: 0, rn: 2, rd: 1 })),
            ("cset w1, ne", Insn::DpReg(Csinc { sf: 0, rm: 31, cond: 0, rn: 31, rd: 1 })),
            ("csinv x1, x2, x3, ge", Insn::DpReg(Csinv { sf: 1, rm: 3, cond: 0xa, rn: 2, rd: 1 })),
            ("cneg w1, w2, mi", Insn::DpReg(Csneg { sf: 0, rm: 2, cond: 5, rn: 2, rd: 1 })),
            ("rbit w1, w2", Insn::DpReg(Rbit { sf: 0, rn: 2, rd: 1 })),
            ("rev16 x1, x2", Insn::DpReg(Rev16Gpr { sf: 1, rn: 2, rd: 1 })),
            ("rev w1, w2", Insn::DpReg(RevW { rn: 2, rd: 1 })),
            ("rev32 x1, x2", Insn::DpReg(Rev32Gpr { rn: 2, rd: 1 })),
            ("rev x1, x2", Insn::DpReg(RevX { rn: 2, rd: 1 })),
            ("clz x1, x2", Insn::DpReg(Clz { sf: 1, rn: 2, rd: 1 })),
            ("cls w1, w2", Insn::DpReg(Cls { sf: 0, rn: 2, rd: 1 })),
            ("udiv w1, w2, w3", Insn::DpReg(Udiv { sf: 0, rm: 3, rn: 2, rd: 1 })),
            ("sdiv x1, x2, x3", Insn::DpReg(Sdiv { sf: 1, rm: 3, rn: 2, rd: 1 })),
            ("lsl x1, x2, x3", Insn::DpReg(Lslv { sf: 1, rm: 3, rn: 2, rd: 1 })),
            ("lsrv w1, w2, w3", Insn::DpReg(Lsrv { sf: 0, rm: 3, rn: 2, rd: 1 })),
            ("asr x1, x2, x3", Insn::DpReg(Asrv { sf: 1, rm: 3, rn: 2, rd: 1 })),
            ("ror w1, w2, w3", Insn::DpReg(Rorv { sf: 0, rm: 3, rn: 2, rd: 1 })),
            ("crc32b w1, w2, w3", Insn::DpReg(Crc32b { rm: 3, rn: 2, rd: 1 })),
            ("crc32h w1, w2, w3", Insn::DpReg(Crc32h { rm: 3, rn: 2, rd: 1 })),
            ("crc32w w1, w2, w3", Insn::DpReg(Crc32w { rm: 3, rn: 2, rd: 1 })),
            ("crc32x w1, w2, x3", Insn::DpReg(Crc32x { rm: 3, rn: 2, rd: 1 })),
            ("crc32cb w1, w2, w3", Insn::DpReg(Crc32cb { rm: 3, rn: 2, rd: 1 })),
            ("crc32ch w1, w2, w3", Insn::DpReg(Crc32ch { rm: 3, rn: 2, rd: 1 })),
            ("crc32cw w1, w2, w3", Insn::DpReg(Crc32cw { rm: 3, rn: 2, rd: 1 })),
            ("crc32cx w1, w2, x3", Insn::DpReg(Crc32cx { rm: 3, rn: 2, rd: 1 })),
            ("madd x1, x2, x3, x4", Insn::DpReg(Madd { sf: 1, rm: 3, ra: 4, rn: 2, rd: 1 })),
            ("mneg w1, w2, w3", Insn::DpReg(Msub { sf: 0, rm: 3, ra: 31, rn: 2, rd: 1 })),
            ("smaddl x1, w2, w3, x4", Insn::DpReg(Smaddl { rm: 3, ra: 4, rn: 2, rd: 1 })),
            ("smsubl x1, w2, w3, x4", Insn::DpReg(Smsubl { rm: 3, ra: 4, rn: 2, rd: 1 })),
            ("smulh x1, x2, x3", Insn::DpReg(Smulh { rm: 3, rn: 2, rd: 1 })),
            ("umull x1, w2, w3", Insn::DpReg(Umaddl { rm: 3, ra: 31, rn: 2, rd: 1 })),
            ("umsubl x1, w2, w3, x4", Insn::DpReg(Umsubl { rm: 3, ra: 4, rn: 2, rd: 1 })),
            ("umulh x1, x2, x3", Insn::DpReg(Umulh { rm: 3, rn: 2, rd: 1 })),
        ];
        let lines: Vec<String> = cases.iter().map(|c| c.0.to_string()).collect();
        let Some(words) = oracle::assemble("dpreg_fields", &lines) else { return };
        for (w, (line, want)) in words.iter().zip(&cases) {
            assert_eq!(decode(*w), *want, "{line} ({w:#010x})");
        }
    }
}
