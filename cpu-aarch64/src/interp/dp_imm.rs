//! Data processing - immediate: ADR/ADRP, ADD/SUB, logical, MOVN/MOVZ/MOVK, bitfield, EXTR.

use super::{ExecResult, Flow};
use crate::decode::DpImm;
use crate::platform::Platform;
use crate::Cpu;

pub fn exec(cpu: &mut Cpu, _p: &mut dyn Platform, i: &DpImm, _raw: u32) -> ExecResult {
    match *i {
        DpImm::AddImm { sf, sh, imm12, rn, rd } => {
            let imm = (imm12 as u64) << (12 * sh);
            let r = cpu.st.xsp(rn).wrapping_add(imm);
            let r = if sf == 1 { r } else { r & 0xffff_ffff };
            cpu.st.set_xsp(rd, r);
            Ok(Flow::Next)
        }
    }
}
