//! Executor for the `fp` encoding group.

use super::ExecResult;
use crate::decode::Fp;
use crate::platform::Platform;
use crate::Cpu;

pub fn exec(_cpu: &mut Cpu, _p: &mut dyn Platform, i: &Fp, _raw: u32) -> ExecResult {
    match *i {}
}
