//! Executor for the `simd_fp` encoding group.

use super::ExecResult;
use crate::decode::SimdFp;
use crate::platform::Platform;
use crate::Cpu;

pub fn exec(_cpu: &mut Cpu, _p: &mut dyn Platform, i: &SimdFp, _raw: u32) -> ExecResult {
    match *i {}
}
