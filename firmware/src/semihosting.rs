//! Arm semihosting (the "Semihosting for AArch32 and AArch64" specification, v2): the guest
//! executes `HLT #0xF000` with the operation in W0 and the parameter (block) in X1; the
//! result goes to X0. Output goes to the injected writers; host files are not opened (only
//! the special file ":tt"), so a guest cannot touch the host file system.

use cpu_aarch64::mmu::Access;
use cpu_aarch64::{Cpu, Hooked, Platform};
use std::io::Write;

pub const SYS_OPEN: u64 = 0x01;
pub const SYS_CLOSE: u64 = 0x02;
pub const SYS_WRITEC: u64 = 0x03;
pub const SYS_WRITE0: u64 = 0x04;
pub const SYS_WRITE: u64 = 0x05;
pub const SYS_READ: u64 = 0x06;
pub const SYS_READC: u64 = 0x07;
pub const SYS_ISERROR: u64 = 0x08;
pub const SYS_ISTTY: u64 = 0x09;
pub const SYS_SEEK: u64 = 0x0a;
pub const SYS_FLEN: u64 = 0x0c;
pub const SYS_TMPNAM: u64 = 0x0d;
pub const SYS_REMOVE: u64 = 0x0e;
pub const SYS_RENAME: u64 = 0x0f;
pub const SYS_CLOCK: u64 = 0x10;
pub const SYS_TIME: u64 = 0x11;
pub const SYS_SYSTEM: u64 = 0x12;
pub const SYS_ERRNO: u64 = 0x13;
pub const SYS_GET_CMDLINE: u64 = 0x15;
pub const SYS_HEAPINFO: u64 = 0x16;
pub const SYS_EXIT: u64 = 0x18;
pub const SYS_EXIT_EXTENDED: u64 = 0x20;
pub const SYS_ELAPSED: u64 = 0x30;
pub const SYS_TICKFREQ: u64 = 0x31;

/// ADP_Stopped_ApplicationExit: the reason code for a normal exit with a status.
pub const ADP_STOPPED_APPLICATION_EXIT: u64 = 0x20026;

const EBADF: u64 = 9;
const ENOENT: u64 = 2;
const ENOSYS: u64 = 38;

/// Handles of the special file ":tt".
const H_STDIN: u64 = 1;
const H_STDOUT: u64 = 2;
const H_STDERR: u64 = 3;

/// Semihosting state of the machine.
pub struct Semihosting {
    out: Box<dyn Write + Send>,
    err: Box<dyn Write + Send>,
    pub cmdline: String,
    /// heap_base, heap_limit, stack_base, stack_limit for SYS_HEAPINFO.
    pub heapinfo: [u64; 4],
    errno: u64,
    /// Seconds since the Unix epoch reported by SYS_TIME at virtual time zero.
    pub epoch: u64,
}

impl Semihosting {
    pub fn new(out: Box<dyn Write + Send>, err: Box<dyn Write + Send>) -> Self {
        Semihosting { out, err, cmdline: String::new(), heapinfo: [0; 4], errno: 0, epoch: 0 }
    }

    fn read_bytes(cpu: &mut Cpu, p: &mut dyn Platform, va: u64, len: u64) -> Option<Vec<u8>> {
        let mut v = Vec::with_capacity(len.min(1 << 20) as usize);
        let mut a = va;
        let end = va.checked_add(len)?;
        while a < end {
            let n = (end - a).min(8).min(8 - (a & 7)) as u8;
            let n = if n.is_power_of_two() { n } else { 1 };
            let x = cpu.read_mem(p, a, Access::read(n)).ok()?;
            v.extend_from_slice(&x.to_le_bytes()[..n as usize]);
            a += n as u64;
        }
        Some(v)
    }

    fn read_cstr(cpu: &mut Cpu, p: &mut dyn Platform, va: u64) -> Option<Vec<u8>> {
        let mut v = Vec::new();
        let mut a = va;
        loop {
            let b = cpu.read_mem(p, a, Access::read(1)).ok()? as u8;
            if b == 0 || v.len() >= 1 << 20 {
                return Some(v);
            }
            v.push(b);
            a = a.wrapping_add(1);
        }
    }

    fn word(cpu: &mut Cpu, p: &mut dyn Platform, block: u64, i: u64) -> Option<u64> {
        cpu.read_mem(p, block.wrapping_add(8 * i), Access::read(8)).ok().map(|v| v as u64)
    }

    fn write_handle(&mut self, h: u64, data: &[u8]) -> bool {
        let w: &mut dyn Write = match h {
            H_STDOUT => &mut *self.out,
            H_STDERR => &mut *self.err,
            _ => return false,
        };
        let _ = w.write_all(data);
        let _ = w.flush();
        true
    }

    /// Performs the call in W0/X1 of `cpu`. `now_ns` is virtual time.
    pub fn call(&mut self, cpu: &mut Cpu, p: &mut dyn Platform, now_ns: u64) -> Hooked {
        let op = cpu.st.x[0] & 0xffff_ffff;
        let arg = cpu.st.x[1];
        let fail = u64::MAX; // -1
        let r: u64 = match op {
            SYS_WRITEC => {
                if let Ok(b) = cpu.read_mem(p, arg, Access::read(1)) {
                    self.write_handle(H_STDOUT, &[b as u8]);
                }
                cpu.st.x[0] // X0 is corrupted per the spec; leave it unchanged
            }
            SYS_WRITE0 => {
                if let Some(s) = Self::read_cstr(cpu, p, arg) {
                    self.write_handle(H_STDOUT, &s);
                }
                cpu.st.x[0]
            }
            SYS_WRITE => {
                let (Some(h), Some(ptr), Some(len)) =
                    (Self::word(cpu, p, arg, 0), Self::word(cpu, p, arg, 1), Self::word(cpu, p, arg, 2))
                else {
                    return self.done(cpu, fail);
                };
                match Self::read_bytes(cpu, p, ptr, len) {
                    Some(d) if self.write_handle(h, &d) => 0,
                    Some(_) => {
                        self.errno = EBADF;
                        len
                    }
                    None => len,
                }
            }
            SYS_OPEN => {
                let (Some(name), Some(mode)) = (Self::word(cpu, p, arg, 0), Self::word(cpu, p, arg, 1)) else {
                    return self.done(cpu, fail);
                };
                let name = Self::read_cstr(cpu, p, name).unwrap_or_default();
                if name == b":tt" {
                    match mode {
                        0..=3 => H_STDIN,
                        4..=7 => H_STDOUT,
                        _ => H_STDERR,
                    }
                } else {
                    tracing::warn!(target: "semihosting", "SYS_OPEN of host file {:?} refused", String::from_utf8_lossy(&name));
                    self.errno = ENOENT;
                    fail
                }
            }
            SYS_CLOSE => 0,
            SYS_READ => {
                // stdin is empty: every byte is "not read" (end of file).
                Self::word(cpu, p, arg, 2).unwrap_or(fail)
            }
            SYS_READC => fail,
            SYS_ISERROR => {
                let v = Self::word(cpu, p, arg, 0).unwrap_or(0) as i64;
                (v < 0) as u64
            }
            SYS_ISTTY => match Self::word(cpu, p, arg, 0) {
                Some(H_STDIN | H_STDOUT | H_STDERR) => 1,
                _ => {
                    self.errno = EBADF;
                    0
                }
            },
            SYS_SEEK | SYS_FLEN | SYS_TMPNAM | SYS_REMOVE | SYS_RENAME | SYS_SYSTEM => {
                self.errno = ENOSYS;
                fail
            }
            SYS_CLOCK => now_ns / 10_000_000,
            SYS_TIME => self.epoch + now_ns / 1_000_000_000,
            SYS_ERRNO => self.errno,
            SYS_GET_CMDLINE => {
                let (Some(buf), Some(len)) = (Self::word(cpu, p, arg, 0), Self::word(cpu, p, arg, 1)) else {
                    return self.done(cpu, fail);
                };
                let s = self.cmdline.clone().into_bytes();
                if (s.len() as u64) + 1 > len {
                    fail
                } else {
                    let mut ok = true;
                    for (i, b) in s.iter().chain(std::iter::once(&0u8)).enumerate() {
                        ok &= cpu.write_mem(p, buf + i as u64, *b as u128, Access::write(1)).is_ok();
                    }
                    ok &= cpu.write_mem(p, arg + 8, s.len() as u128, Access::write(8)).is_ok();
                    if ok { 0 } else { fail }
                }
            }
            SYS_HEAPINFO => {
                let Some(block) = Self::word(cpu, p, arg, 0) else {
                    return self.done(cpu, fail);
                };
                let mut ok = true;
                for (i, v) in self.heapinfo.iter().enumerate() {
                    ok &= cpu.write_mem(p, block + 8 * i as u64, *v as u128, Access::write(8)).is_ok();
                }
                if ok { 0 } else { fail }
            }
            SYS_EXIT | SYS_EXIT_EXTENDED => {
                let (Some(reason), Some(sub)) = (Self::word(cpu, p, arg, 0), Self::word(cpu, p, arg, 1)) else {
                    return Hooked::Halt(1);
                };
                let _ = self.out.flush();
                let _ = self.err.flush();
                let code = if reason == ADP_STOPPED_APPLICATION_EXIT { sub as i32 } else { 1 };
                return Hooked::Halt(code);
            }
            SYS_ELAPSED => {
                let ok = cpu.write_mem(p, arg, now_ns as u128, Access::write(8)).is_ok();
                if ok { 0 } else { fail }
            }
            SYS_TICKFREQ => 1_000_000_000,
            _ => {
                let pc = cpu.st.pc;
                cpu.warn_once(&format!("semihosting:{op:#x}"), || format!("unsupported semihosting operation {op:#x} at pc {pc:#x}"));
                self.errno = ENOSYS;
                fail
            }
        };
        self.done(cpu, r)
    }

    fn done(&mut self, cpu: &mut Cpu, r: u64) -> Hooked {
        cpu.st.x[0] = r;
        Hooked::Done
    }
}
