//! Pure functions that define instruction semantics, shared by the interpreter and the JIT.
//! Nothing here touches `Cpu` or memory.

pub mod alu;
pub mod crypto;
pub mod fp;
pub mod simd;
