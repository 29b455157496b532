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
