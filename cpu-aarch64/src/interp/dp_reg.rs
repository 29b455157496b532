//! Executor for the `dp_reg` encoding group.

use super::ExecResult;
use crate::decode::DpReg;
use crate::platform::Platform;
use crate::Cpu;

pub fn exec(_cpu: &mut Cpu, _p: &mut dyn Platform, i: &DpReg, _raw: u32) -> ExecResult {
    match *i {}
}
