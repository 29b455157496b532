//! Branches: B, BL, B.cond, CBZ/CBNZ, TBZ/TBNZ, BR/BLR/RET.

use super::{ExecResult, Flow};
use crate::decode::Branch;
use crate::platform::Platform;
use crate::Cpu;

#[inline]
fn sext(v: u32, bits: u32) -> i64 {
    ((v as i64) << (64 - bits)) >> (64 - bits)
}

pub fn exec(cpu: &mut Cpu, _p: &mut dyn Platform, i: &Branch, _raw: u32) -> ExecResult {
    let pc = cpu.st.pc;
    match *i {
        Branch::BUncond { imm26 } => Ok(Flow::Jump(pc.wrapping_add((sext(imm26, 26) << 2) as u64))),
        Branch::Bl { imm26 } => {
            cpu.st.x[30] = pc.wrapping_add(4);
            Ok(Flow::Jump(pc.wrapping_add((sext(imm26, 26) << 2) as u64)))
        }
    }
}
