//! Branches (Arm ARM C4.1.3, branch classes): B.cond, B, BL, CBZ/CBNZ, TBZ/TBNZ, BR, BLR,
//! RET. Exception generation and system instructions are in `interp::system`.

use super::{ExecResult, Flow};
use crate::decode::Branch;
use crate::platform::Platform;
use crate::semantics::alu::{condition_holds, sign_extend};
use crate::Cpu;

const TCR_EL1_TBI0: u64 = 1 << 37;
const TCR_EL1_TBI1: u64 = 1 << 38;
const TCR_ELX_TBI: u64 = 1 << 20;

/// AArch64.BranchAddr: the value a branch writes to PC. With top-byte-ignore enabled for the
/// target's translation regime the tag byte is removed: sign-extended from bit 55 at EL0/EL1,
/// zeroed at EL2/EL3 (ARMv8.0 has no VHE, so EL0 always uses the EL1&0 regime).
pub fn branch_addr(cpu: &Cpu, target: u64) -> u64 {
    let el = cpu.st.pstate.el;
    let tbi = match el {
        0 | 1 => {
            let tcr = cpu.sys.tcr[1];
            if target >> 55 & 1 == 1 {
                tcr & TCR_EL1_TBI1 != 0
            } else {
                tcr & TCR_EL1_TBI0 != 0
            }
        }
        e => cpu.sys.tcr[e as usize & 3] & TCR_ELX_TBI != 0,
    };
    if !tbi {
        target
    } else if el <= 1 {
        sign_extend(target, 56)
    } else {
        target & 0x00ff_ffff_ffff_ffff
    }
}

#[inline]
fn rel(cpu: &Cpu, imm: u32, bits: u32) -> u64 {
    let off = sign_extend(imm as u64, bits) << 2;
    branch_addr(cpu, cpu.st.pc.wrapping_add(off))
}

pub fn exec(cpu: &mut Cpu, _p: &mut dyn Platform, i: &Branch, _raw: u32) -> ExecResult {
    let pc = cpu.st.pc;
    let flow = match *i {
        Branch::BCond { imm19, cond } => {
            if condition_holds(cond, cpu.st.nzcv()) {
                Flow::Jump(rel(cpu, imm19, 19))
            } else {
                Flow::Next
            }
        }
        Branch::Br { rn } => Flow::Jump(branch_addr(cpu, cpu.st.xr(rn))),
        Branch::Blr { rn } => {
            // the target is read before X30 is written (BLR X30)
            let t = branch_addr(cpu, cpu.st.xr(rn));
            cpu.st.x[30] = pc.wrapping_add(4);
            Flow::Jump(t)
        }
        Branch::Ret { rn } => Flow::Jump(branch_addr(cpu, cpu.st.xr(rn))),
        Branch::BUncond { imm26 } => Flow::Jump(rel(cpu, imm26, 26)),
        Branch::Bl { imm26 } => {
            let t = rel(cpu, imm26, 26);
            cpu.st.x[30] = pc.wrapping_add(4);
            Flow::Jump(t)
        }
        Branch::Cbz { sf, imm19, rt } => {
            if cpu.st.reg(sf == 1, rt) == 0 {
                Flow::Jump(rel(cpu, imm19, 19))
            } else {
                Flow::Next
            }
        }
        Branch::Cbnz { sf, imm19, rt } => {
            if cpu.st.reg(sf == 1, rt) != 0 {
                Flow::Jump(rel(cpu, imm19, 19))
            } else {
                Flow::Next
            }
        }
        Branch::Tbz { b5, b40, imm14, rt } => {
            if cpu.st.xr(rt) >> ((b5 << 5) | b40) & 1 == 0 {
                Flow::Jump(rel(cpu, imm14, 14))
            } else {
                Flow::Next
            }
        }
        Branch::Tbnz { b5, b40, imm14, rt } => {
            if cpu.st.xr(rt) >> ((b5 << 5) | b40) & 1 == 1 {
                Flow::Jump(rel(cpu, imm14, 14))
            } else {
                Flow::Next
            }
        }
    };
    Ok(flow)
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode, Insn};
    use crate::interp::dp_imm::oracle::{self, Rng};
    use crate::platform::FlatRam;
    use crate::state::{C, N, V, Z};

    /// Every branch line with random conditions, registers and flags against qemu-aarch64:
    /// immediate offsets are set to +8 (taken) so both paths can be observed; BR/BLR/RET get
    /// Xn = PC + 8.
    #[test]
    fn semantics_agree_with_qemu() {
        use crate::interp::dp_imm::qemu::{self, Kind};
        let mut rng = Rng(0xb2_5eed);
        let fix = |name: &str, w: u32| -> Option<(u32, Kind)> {
            match name {
                "B_cond" | "CBZ" | "CBNZ" => Some(((w & !(0x7ffff << 5)) | 2 << 5, Kind::Branch8)),
                "TBZ" | "TBNZ" => Some(((w & !(0x3fff << 5)) | 2 << 5, Kind::Branch8)),
                "B_uncond" | "BL" => Some(((w & !0x3ff_ffff) | 2, Kind::Branch8)),
                _ => {
                    let rn = (w >> 5) & 31;
                    (rn != 31).then_some((w, Kind::BranchReg(rn)))
                }
            }
        };
        let mut cases = qemu::random_cases(&["branch"], 80, &mut rng, &fix);
        // TBZ/TBNZ/CBZ on registers with few bits set, so both outcomes are common
        for c in cases.iter_mut() {
            if rng.next() & 1 == 0 {
                let rt = (c.word & 31) as usize;
                if rt < 31 {
                    c.x[rt] = if rng.next() & 1 == 0 { 0 } else { 1 << (rng.next() % 64) };
                }
            }
        }
        qemu::assert_agree("branch_qemu", &cases);
    }

    /// Exception generation (11010100), system (1101010100) and ERET/DRPS/their PAuth forms
    /// (1101011 0100/0101) belong to system.decode.
    fn not_ours(w: u32) -> bool {
        w >> 24 == 0xd4 || w >> 22 == 0x354 || (w >> 25 == 0x6b && matches!((w >> 21) & 0xf, 0b0100 | 0b0101))
    }

    #[test]
    fn decode_agrees_with_objdump() {
        let mut rng = Rng(0xb4a2c4);
        // bits 28:26 = 101; enumerate 31:29 and 25:21, plus bit 4 (B.cond o0)
        let words = oracle::space(0x1c00_0000, 0x1400_0000, 0xe3e0_0010, 64, &mut rng);
        oracle::agree_with_objdump("branch_a", &words, &["branch"], &not_ours, None);
        oracle::text_agrees_with_objdump("branch_a_text", &words);
        crate::interp::dp_imm::qemu::assert_undefined_in_qemu("branch_a_undef", &words, &not_ours);
        // unconditional branch (register): opc, op3, op4 enumerated, op2 = 11111
        let words = oracle::space(0xfe1f_0000, 0xd61f_0000, 0x01e0_fc1f, 1, &mut rng);
        oracle::agree_with_objdump("branch_b", &words, &["branch"], &not_ours, None);
        oracle::text_agrees_with_objdump("branch_b_text", &words);
        crate::interp::dp_imm::qemu::assert_undefined_in_qemu("branch_b_undef", &words, &not_ours);
        // and with op2 enumerated
        let words = oracle::space(0xfe00_0000, 0xd600_0000, 0x01ff_fc00, 1, &mut rng);
        oracle::agree_with_objdump("branch_c", &words, &["branch"], &not_ours, None);
        oracle::text_agrees_with_objdump("branch_c_text", &words);
        crate::interp::dp_imm::qemu::assert_undefined_in_qemu("branch_c_undef", &words, &not_ours);
    }

    #[test]
    fn decode_fields_from_gnu_as() {
        use crate::decode::Branch::*;
        let cases: Vec<(&str, Insn)> = vec![
            ("b.ne .+8", Insn::Branch(BCond { imm19: 2, cond: 1 })),
            ("b.al .-4", Insn::Branch(BCond { imm19: 0x7ffff, cond: 0xe })),
            ("b.nv .+0xffffc", Insn::Branch(BCond { imm19: 0x3ffff, cond: 0xf })),
            ("br x17", Insn::Branch(Br { rn: 17 })),
            ("blr x30", Insn::Branch(Blr { rn: 30 })),
            ("ret", Insn::Branch(Ret { rn: 30 })),
            ("ret x3", Insn::Branch(Ret { rn: 3 })),
            ("b .+0x7fffffc", Insn::Branch(BUncond { imm26: 0x1ffffff })),
            ("bl .-0x8000000", Insn::Branch(Bl { imm26: 0x2000000 })),
            ("cbz w3, .+12", Insn::Branch(Cbz { sf: 0, imm19: 3, rt: 3 })),
            ("cbnz x30, .-8", Insn::Branch(Cbnz { sf: 1, imm19: 0x7fffe, rt: 30 })),
            ("tbz x5, #63, .+16", Insn::Branch(Tbz { b5: 1, b40: 31, imm14: 4, rt: 5 })),
            ("tbnz w5, #3, .-0x8000", Insn::Branch(Tbnz { b5: 0, b40: 3, imm14: 0x2000, rt: 5 })),
        ];
        let lines: Vec<String> = cases.iter().map(|c| c.0.to_string()).collect();
        let Some(words) = oracle::assemble("branch_fields", &lines) else { return };
        for (w, (line, want)) in words.iter().zip(&cases) {
            assert_eq!(decode(*w), *want, "{line} ({w:#010x})");
        }
    }

    fn run(cpu: &mut Cpu, w: u32) -> Flow {
        let mut p = FlatRam::new(0, 16);
        crate::interp::exec(cpu, &mut p, &decode(w), w).unwrap()
    }

    // Expected values by hand from the Arm ARM pseudo-code; words from the GNU assembler
    // (aarch64-linux-gnu-as), written with their source.
    #[test]
    fn branch_semantics() {
        let mut cpu = Cpu::new(Default::default());
        cpu.st.pc = 0x1000;
        // b.ne .+8 = 0x54000041
        cpu.st.set_nzcv(Z);
        assert_eq!(run(&mut cpu, 0x5400_0041), Flow::Next);
        cpu.st.set_nzcv(N | C | V);
        assert_eq!(run(&mut cpu, 0x5400_0041), Flow::Jump(0x1008));
        // b.nv .-4 (= 0x54ffffef) is always taken
        assert_eq!(run(&mut cpu, 0x54ff_ffef), Flow::Jump(0xffc));
        // bl .-0x8000000 = 0x96000000: X30 = PC+4
        assert_eq!(run(&mut cpu, 0x9600_0000), Flow::Jump(0x1000u64.wrapping_sub(0x800_0000)));
        assert_eq!(cpu.st.x[30], 0x1004);
        // blr x30 = 0xd63f03c0: target read before X30 is written
        cpu.st.x[30] = 0x4000;
        assert_eq!(run(&mut cpu, 0xd63f_03c0), Flow::Jump(0x4000));
        assert_eq!(cpu.st.x[30], 0x1004);
        // br xzr (0xd61f03e0) jumps to 0
        assert_eq!(run(&mut cpu, 0xd61f_03e0), Flow::Jump(0));
        // cbz w3, .+12 = 0x34000063: only the low 32 bits are tested
        cpu.st.x[3] = 0x1_0000_0000;
        assert_eq!(run(&mut cpu, 0x3400_0063), Flow::Jump(0x100c));
        // cbnz x3 .+12 = 0xb5000063
        assert_eq!(run(&mut cpu, 0xb500_0063), Flow::Jump(0x100c));
        // tbz x5, #63, .+16 = 0xb6f80085
        cpu.st.x[5] = 0x8000_0000_0000_0008;
        assert_eq!(run(&mut cpu, 0xb6f8_0085), Flow::Next);
        cpu.st.x[5] = 0x8;
        assert_eq!(run(&mut cpu, 0xb6f8_0085), Flow::Jump(0x1010));
    }

    #[test]
    fn branch_addr_tbi() {
        let mut cpu = Cpu::new(Default::default());
        // EL3 with TCR_EL3.TBI = 1: the top byte is cleared
        cpu.sys.tcr[3] = TCR_ELX_TBI;
        assert_eq!(branch_addr(&cpu, 0xab00_0000_0000_1000), 0x1000);
        cpu.sys.tcr[3] = 0;
        assert_eq!(branch_addr(&cpu, 0xab00_0000_0000_1000), 0xab00_0000_0000_1000);
        // EL1 with TBI0/TBI1: sign-extended from bit 55
        cpu.st.pstate.el = 1;
        cpu.sys.tcr[1] = TCR_EL1_TBI0;
        assert_eq!(branch_addr(&cpu, 0xab00_0000_0000_1000), 0x0000_0000_0000_1000);
        assert_eq!(branch_addr(&cpu, 0x0080_0000_0000_1000), 0x0080_0000_0000_1000); // TBI1 = 0
        cpu.sys.tcr[1] = TCR_EL1_TBI1;
        assert_eq!(branch_addr(&cpu, 0x1280_0000_0000_1000), 0xff80_0000_0000_1000);
    }
}
