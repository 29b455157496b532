//! System instructions: hints, barriers, MRS/MSR, SYS (DC/IC/TLBI/AT), exception
//! generation (SVC/HVC/SMC/BRK/HLT), ERET.

use super::{ExecResult, Flow};
use crate::decode::System;
use crate::platform::Platform;
use crate::Cpu;

pub fn exec(_cpu: &mut Cpu, _p: &mut dyn Platform, i: &System, _raw: u32) -> ExecResult {
    match *i {
        System::Nop => Ok(Flow::Next),
        // Unallocated hints execute as NOP (ARMv8.1+ hints such as ESB, PACIASP, BTI too).
        System::Hint { .. } => Ok(Flow::Next),
    }
}
