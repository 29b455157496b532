//! Executor for the `crypto` encoding group.

use super::ExecResult;
use crate::decode::Crypto;
use crate::platform::Platform;
use crate::Cpu;

pub fn exec(_cpu: &mut Cpu, _p: &mut dyn Platform, i: &Crypto, _raw: u32) -> ExecResult {
    match *i {}
}
