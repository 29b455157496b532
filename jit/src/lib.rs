//! `lsemu-jit`: translates A64 blocks to x86-64. Not implemented yet (issue: JIT); the
//! interpreter in `cpu-aarch64` is the only engine. It must not depend on devices.
