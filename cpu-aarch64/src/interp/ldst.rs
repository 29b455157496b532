//! Executor for the `ldst` encoding group.

use super::ExecResult;
use crate::decode::Ldst;
use crate::platform::Platform;
use crate::Cpu;

pub fn exec(_cpu: &mut Cpu, _p: &mut dyn Platform, i: &Ldst, _raw: u32) -> ExecResult {
    match *i {}
}
