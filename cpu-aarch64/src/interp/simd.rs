//! Executor for the `simd` encoding group.

use super::ExecResult;
use crate::decode::Simd;
use crate::platform::Platform;
use crate::Cpu;

pub fn exec(_cpu: &mut Cpu, _p: &mut dyn Platform, i: &Simd, _raw: u32) -> ExecResult {
    match *i {}
}
