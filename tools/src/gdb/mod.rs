//! The gdb remote serial protocol stub (`--gdb tcp::PORT | unix:PATH`, `--wait-gdb`),
//! built on the `gdbstub` crate with `gdbstub_arch`'s AArch64 description (X0-X30, SP,
//! PC, CPSR, V0-V31, FPSR, FPCR, and every system register by name through its
//! `org.rust.gdb.arm.sys.regs` feature, register numbers = the MRS encoding).
//!
//! Each PE is a gdb thread (thread id = PE index + 1). The machine stops as a whole: a
//! breakpoint, a watchpoint, a finished single step or Ctrl-C stops every PE. `continue`
//! runs all PEs in the usual deterministic round-robin; `stepi` runs exactly one
//! instruction of the selected PE (the others stay stopped), without taking a pending
//! interrupt unless `monitor step-irq on` says so.
//!
//! Breakpoints (Z0 and Z1 alike) and watchpoints (Z2/Z3/Z4) are host-side
//! (`cpu_aarch64::hostdebug`): guest memory is never patched, and they work whatever the
//! engine is (the JIT hands a PE with host debugging armed to the interpreter). Memory
//! accesses go through the selected PE's current stage 1 and stage 2 translation without
//! touching its TLB, and reach RAM only (device registers through `monitor phys`).

mod monitor;

use cpu_aarch64::hostdebug::{DebugHit, WatchKind, Watchpoint};
use cpu_aarch64::interp::Exit;
use cpu_aarch64::mmu::{self, Access, Ctx};
use cpu_aarch64::platform::{Bus, BusAttrs, PhysAddr};
use cpu_aarch64::sysreg::SysRegEnc;
use gdbstub::common::{Signal, Tid};
use gdbstub::conn::ConnectionExt;
use gdbstub::stub::run_blocking::{BlockingEventLoop, Event, WaitForStopReasonError};
use gdbstub::stub::{DisconnectReason, GdbStub, MultiThreadStopReason};
use gdbstub::target::ext::base::multithread::{
    MultiThreadBase, MultiThreadResume, MultiThreadResumeOps, MultiThreadSchedulerLocking, MultiThreadSchedulerLockingOps,
    MultiThreadSingleStep, MultiThreadSingleStepOps,
};
use gdbstub::target::ext::base::single_register_access::{SingleRegisterAccess, SingleRegisterAccessOps};
use gdbstub::target::ext::breakpoints::{
    Breakpoints, BreakpointsOps, HwBreakpoint, HwBreakpointOps, HwWatchpoint, HwWatchpointOps, SwBreakpoint, SwBreakpointOps,
};
use gdbstub::target::ext::thread_extra_info::{ThreadExtraInfo, ThreadExtraInfoOps};
use gdbstub::target::{Target, TargetError, TargetResult};
use gdbstub_arch::aarch64::reg::id::AArch64RegId;
use gdbstub_arch::aarch64::reg::AArch64CoreRegs;
use gdbstub_arch::aarch64::AArch64;
use soc_ls2088::{Machine, RunExit};
use std::path::PathBuf;

/// Instructions run between two polls of the connection (for Ctrl-C) while the guest runs.
const SLICE: u64 = 200_000;

/// Where the stub listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    /// `tcp::PORT` (localhost) or `tcp:HOST:PORT`.
    Tcp(String),
    /// `unix:PATH`.
    Unix(PathBuf),
}

/// Parses `--gdb`: `tcp::PORT`, `tcp:HOST:PORT` or `unix:PATH`.
pub fn parse_listen(s: &str) -> Result<Listen, String> {
    if let Some(rest) = s.strip_prefix("tcp:") {
        let (host, port) = rest.rsplit_once(':').ok_or_else(|| format!("'{s}': expected tcp::PORT or tcp:HOST:PORT"))?;
        let port: u16 = port.parse().map_err(|_| format!("'{s}': '{port}' is not a TCP port"))?;
        let host = if host.is_empty() { "127.0.0.1" } else { host };
        Ok(Listen::Tcp(format!("{host}:{port}")))
    } else if let Some(p) = s.strip_prefix("unix:") {
        if p.is_empty() {
            return Err(format!("'{s}': expected unix:PATH"));
        }
        Ok(Listen::Unix(PathBuf::from(p)))
    } else {
        Err(format!("'{s}': expected tcp::PORT, tcp:HOST:PORT or unix:PATH"))
    }
}

enum Listener {
    Tcp(std::net::TcpListener),
    Unix(std::os::unix::net::UnixListener, PathBuf),
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix(_, p) = self {
            let _ = std::fs::remove_file(p);
        }
    }
}

type Conn = Box<dyn ConnectionExt<Error = std::io::Error>>;

impl Listener {
    fn bind(l: &Listen) -> anyhow::Result<Listener> {
        use anyhow::Context;
        Ok(match l {
            Listen::Tcp(a) => Listener::Tcp(std::net::TcpListener::bind(a).with_context(|| format!("--gdb: cannot listen on {a}"))?),
            Listen::Unix(p) => {
                let _ = std::fs::remove_file(p);
                let u = std::os::unix::net::UnixListener::bind(p).with_context(|| format!("--gdb: cannot listen on {}", p.display()))?;
                Listener::Unix(u, p.clone())
            }
        })
    }

    fn describe(&self) -> String {
        match self {
            Listener::Tcp(t) => t.local_addr().map(|a| format!("tcp:{a}")).unwrap_or_else(|_| "tcp".into()),
            Listener::Unix(_, p) => format!("unix:{}", p.display()),
        }
    }

    /// Accepts a client: blocking, or `None` when none is waiting.
    fn accept(&self, block: bool) -> std::io::Result<Option<Conn>> {
        let r: std::io::Result<Conn> = match self {
            Listener::Tcp(t) => {
                t.set_nonblocking(!block)?;
                t.accept().and_then(|(s, _)| {
                    s.set_nonblocking(false)?;
                    s.set_nodelay(true)?;
                    Ok(Box::new(s) as Conn)
                })
            }
            Listener::Unix(u, _) => {
                u.set_nonblocking(!block)?;
                u.accept().and_then(|(s, _)| {
                    s.set_nonblocking(false)?;
                    Ok(Box::new(s) as Conn)
                })
            }
        };
        match r {
            Ok(c) => Ok(Some(c)),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// What a debugging session ended with: the machine's exit, or `None` when gdb killed it.
pub enum Outcome {
    Exit(RunExit),
    Killed,
}

/// Runs the machine under the stub: waits for gdb first with `wait` (the guest stops at
/// its first instruction), otherwise runs and lets gdb attach at any time. After gdb
/// detaches the guest runs on to its end; `kill` ends the run.
pub fn run(m: &mut Machine, listen: &Listen, wait: bool, max_insns: Option<u64>) -> anyhow::Result<Outcome> {
    let listener = Listener::bind(listen)?;
    eprintln!("lsemu: gdb stub listening on {}{}", listener.describe(), if wait { " (waiting for gdb)" } else { "" });
    let mut left = max_insns;
    let mut block = wait;
    loop {
        match listener.accept(block)? {
            Some(conn) => {
                let mut t = LsemuTarget::new(m, left);
                let gdb = GdbStub::new(conn);
                let r = gdb.run_blocking::<EventLoop<'_>>(&mut t);
                let (fin, rest) = (t.finished.take(), t.insn_left);
                t.disarm();
                left = rest;
                let r = match r {
                    Ok(r) => r,
                    Err(e) => {
                        // The client went away without detaching: carry on as after a detach.
                        eprintln!("lsemu: gdb connection lost ({e}); the guest runs on");
                        DisconnectReason::Disconnect
                    }
                };
                match r {
                    DisconnectReason::Kill => return Ok(Outcome::Killed),
                    DisconnectReason::TargetExited(_) | DisconnectReason::TargetTerminated(_) => {
                        return Ok(Outcome::Exit(fin.unwrap_or(RunExit::Halt(0))))
                    }
                    DisconnectReason::Disconnect => {
                        if let Some(f) = fin {
                            return Ok(Outcome::Exit(f));
                        }
                        // Detached: the guest runs on; a new client may attach later.
                        eprintln!("lsemu: gdb detached");
                        block = false;
                    }
                }
            }
            None => {
                let slice = match left {
                    Some(0) => return Ok(Outcome::Exit(RunExit::InsnLimit)),
                    Some(l) => l.min(SLICE),
                    None => SLICE,
                };
                let before = m.icount();
                let x = m.run(Some(slice));
                if let Some(l) = left.as_mut() {
                    *l = l.saturating_sub(m.icount() - before);
                }
                match x {
                    RunExit::InsnLimit => {}
                    // No debugger attached: a stop for it cannot happen (nothing armed).
                    RunExit::Debug { .. } => {}
                    other => return Ok(Outcome::Exit(other)),
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Continue,
    Step,
}

/// The machine as gdb's target.
pub struct LsemuTarget<'m> {
    m: &'m mut Machine,
    sw_bps: Vec<u64>,
    hw_bps: Vec<u64>,
    watches: Vec<Watchpoint>,
    /// Resume action per PE (`None`: the default, continue).
    actions: Vec<Option<Action>>,
    /// Take pending interrupts when single-stepping (`monitor step-irq on`).
    step_irqs: bool,
    /// The machine stopped for good (reported to gdb as an exit).
    finished: Option<RunExit>,
    /// What is left of `--max-insns`.
    insn_left: Option<u64>,
    /// The thread of the last stop (Ctrl-C is reported on it).
    last_tid: Tid,
    /// The PE of the last stop, and the one chosen with `monitor cpu N`: monitor
    /// commands act on the latter, else the former. (gdb does not tell the stub which
    /// thread `thread N` selected when it has that thread's registers cached.)
    selected: usize,
    mon_cpu: Option<usize>,
}

fn tid_of(i: usize) -> Tid {
    Tid::new(i + 1).unwrap_or(Tid::new(1).expect("1 is non-zero"))
}

impl<'m> LsemuTarget<'m> {
    fn new(m: &'m mut Machine, insn_left: Option<u64>) -> Self {
        let n = m.cpus.len();
        LsemuTarget {
            m,
            sw_bps: Vec::new(),
            hw_bps: Vec::new(),
            watches: Vec::new(),
            actions: vec![None; n],
            step_irqs: false,
            finished: None,
            insn_left,
            last_tid: tid_of(0),
            selected: 0,
            mon_cpu: None,
        }
    }

    fn cpu_index(&self, tid: Tid) -> Option<usize> {
        let i = tid.get() - 1;
        (i < self.m.cpus.len()).then_some(i)
    }

    /// Copies the breakpoints and watchpoints into every PE.
    fn sync_debug(&mut self) {
        let mut bps = self.sw_bps.clone();
        bps.extend(&self.hw_bps);
        bps.sort_unstable();
        bps.dedup();
        for c in &mut self.m.cpus {
            c.host_debug.breakpoints = bps.clone();
            c.host_debug.watchpoints = self.watches.clone();
        }
    }

    /// Removes everything armed (on detach).
    fn disarm(&mut self) {
        self.sw_bps.clear();
        self.hw_bps.clear();
        self.watches.clear();
        self.sync_debug();
        for c in &mut self.m.cpus {
            c.host_debug.mask_interrupts = false;
            c.host_debug.hit = None;
            c.host_debug.skip_breakpoint_at = None;
        }
    }

    /// The physical address of `va` for PE `i` (current regime, both stages, no TLB
    /// fill, no fault raised).
    fn va_to_pa(&mut self, i: usize, va: u64) -> Option<u64> {
        let (cpus, bus) = (&mut self.m.cpus, &mut self.m.bus);
        let c = cpus.get_mut(i)?;
        // Privileged permissions even at EL0 (a debugger reads kernel memory too).
        let ctx = Ctx { user: false, ..Ctx::current(c, false) };
        mmu::translate_in(c, bus, &ctx, va, &Access::read(1), false).ok().map(|t| t.pa)
    }

    /// Whether `[pa, pa + len)` is RAM.
    fn is_ram(&self, pa: u64, len: u64) -> bool {
        self.m.bus.ram_span(PhysAddr(pa)).is_some_and(|s| pa - s.base.0 + len <= s.len)
    }

    /// Reads or writes guest virtual memory of PE `i`, page by page, RAM only. Returns
    /// the bytes done (gdb is told of a short read).
    fn access_virt(&mut self, i: usize, va: u64, buf: &mut [u8], write: bool) -> usize {
        let mut done = 0;
        while done < buf.len() {
            let a = va.wrapping_add(done as u64);
            let n = ((0x1000 - (a & 0xfff)) as usize).min(buf.len() - done);
            let Some(pa) = self.va_to_pa(i, a) else { break };
            if !self.is_ram(pa, n as u64) {
                break;
            }
            let attrs = BusAttrs { secure: false, privileged: true, instruction: false, cpu: i as u8 };
            let part = &mut buf[done..done + n];
            let ok = if write {
                let r = self.m.bus.write(PhysAddr(pa), part, attrs).is_ok();
                self.m.engine.invalidate_phys(pa, n as u64);
                r
            } else {
                self.m.bus.read(PhysAddr(pa), part, attrs).is_ok()
            };
            if !ok {
                break;
            }
            done += n;
        }
        done
    }

    /// The stop reason for PE `i` after `Exit::Debug`.
    fn debug_stop(&mut self, i: usize) -> MultiThreadStopReason<u64> {
        let tid = tid_of(i);
        self.last_tid = tid;
        self.selected = i;
        match self.m.cpus[i].host_debug.hit.take() {
            Some(DebugHit::Breakpoint { pc }) if self.sw_bps.contains(&pc) => MultiThreadStopReason::SwBreak(tid),
            Some(DebugHit::Breakpoint { .. }) => MultiThreadStopReason::HwBreak(tid),
            Some(DebugHit::Watch { addr, wp, .. }) => {
                let kind = match wp.kind {
                    WatchKind::Write => gdbstub::target::ext::breakpoints::WatchKind::Write,
                    WatchKind::Read => gdbstub::target::ext::breakpoints::WatchKind::Read,
                    WatchKind::Access => gdbstub::target::ext::breakpoints::WatchKind::ReadWrite,
                };
                MultiThreadStopReason::Watch { tid, kind, addr }
            }
            None => MultiThreadStopReason::SignalWithThread { tid, signal: Signal::SIGTRAP },
        }
    }

    /// A final machine exit as gdb's stop reason (the session then ends).
    fn exit_stop(&mut self, x: RunExit) -> MultiThreadStopReason<u64> {
        let code = crate::exit_code_of(&x);
        self.finished = Some(x);
        MultiThreadStopReason::Exited(code)
    }

    /// Runs the resume request a little: one single step, or one slice of all PEs.
    /// `None`: still running.
    fn run_some(&mut self) -> Option<MultiThreadStopReason<u64>> {
        if let Some(i) = self.actions.iter().position(|a| *a == Some(Action::Step)) {
            let pc = self.m.cpus[i].st.pc;
            let mask = !self.step_irqs;
            let c = &mut self.m.cpus[i];
            c.host_debug.mask_interrupts = mask;
            c.host_debug.skip_breakpoint_at = Some(pc);
            let (x, stop) = self.m.step_cpu(i);
            let c = &mut self.m.cpus[i];
            c.host_debug.mask_interrupts = false;
            c.host_debug.skip_breakpoint_at = None;
            self.actions[i] = None;
            if let Some(s) = stop {
                return Some(self.exit_stop(s));
            }
            if x == Exit::Debug {
                return Some(self.debug_stop(i));
            }
            self.last_tid = tid_of(i);
            self.selected = i;
            return Some(MultiThreadStopReason::SignalWithThread { tid: tid_of(i), signal: Signal::SIGTRAP });
        }
        let slice = match self.insn_left {
            Some(0) => return Some(self.exit_stop(RunExit::InsnLimit)),
            Some(l) => l.min(SLICE),
            None => SLICE,
        };
        let before = self.m.icount();
        let x = self.m.run(Some(slice));
        if let Some(l) = self.insn_left.as_mut() {
            *l = l.saturating_sub(self.m.icount() - before);
        }
        match x {
            RunExit::InsnLimit => None,
            RunExit::Debug { cpu } => Some(self.debug_stop(cpu as usize)),
            other => Some(self.exit_stop(other)),
        }
    }
}

impl Target for LsemuTarget<'_> {
    type Arch = AArch64;
    type Error = String;

    fn base_ops(&mut self) -> gdbstub::target::ext::base::BaseOps<'_, Self::Arch, Self::Error> {
        gdbstub::target::ext::base::BaseOps::MultiThread(self)
    }
    fn support_breakpoints(&mut self) -> Option<BreakpointsOps<'_, Self>> {
        Some(self)
    }
    fn support_monitor_cmd(&mut self) -> Option<gdbstub::target::ext::monitor_cmd::MonitorCmdOps<'_, Self>> {
        Some(self)
    }
}

impl MultiThreadBase for LsemuTarget<'_> {
    fn read_registers(&mut self, regs: &mut AArch64CoreRegs, tid: Tid) -> TargetResult<(), Self> {
        let i = self.cpu_index(tid).ok_or(TargetError::NonFatal)?;
        let s = &self.m.cpus[i].st;
        regs.x = s.x;
        regs.sp = s.sp();
        regs.pc = s.pc;
        regs.cpsr = s.pstate.spsr() as u32;
        regs.v = s.v;
        regs.fpcr = s.fpcr;
        regs.fpsr = s.fpsr;
        Ok(())
    }

    fn write_registers(&mut self, regs: &AArch64CoreRegs, tid: Tid) -> TargetResult<(), Self> {
        let i = self.cpu_index(tid).ok_or(TargetError::NonFatal)?;
        self.m.cpus[i].el_stats_sync();
        let s = &mut self.m.cpus[i].st;
        s.x = regs.x;
        s.pc = regs.pc;
        s.pstate.set_from_spsr(regs.cpsr as u64);
        s.set_sp(regs.sp);
        s.v = regs.v;
        s.fpcr = regs.fpcr;
        s.fpsr = regs.fpsr;
        Ok(())
    }

    fn support_single_register_access(&mut self) -> Option<SingleRegisterAccessOps<'_, Tid, Self>> {
        Some(self)
    }

    fn read_addrs(&mut self, start_addr: u64, data: &mut [u8], tid: Tid) -> TargetResult<usize, Self> {
        let i = self.cpu_index(tid).ok_or(TargetError::NonFatal)?;
        let n = self.access_virt(i, start_addr, data, false);
        if n == 0 && !data.is_empty() {
            return Err(TargetError::NonFatal);
        }
        Ok(n)
    }

    fn write_addrs(&mut self, start_addr: u64, data: &[u8], tid: Tid) -> TargetResult<(), Self> {
        let i = self.cpu_index(tid).ok_or(TargetError::NonFatal)?;
        let mut buf = data.to_vec();
        if self.access_virt(i, start_addr, &mut buf, true) != data.len() {
            return Err(TargetError::NonFatal);
        }
        Ok(())
    }

    fn list_active_threads(&mut self, register_thread: &mut dyn FnMut(Tid)) -> Result<(), Self::Error> {
        for i in 0..self.m.cpus.len() {
            register_thread(tid_of(i));
        }
        Ok(())
    }

    fn is_thread_alive(&mut self, tid: Tid) -> Result<bool, Self::Error> {
        Ok(self.cpu_index(tid).is_some())
    }

    fn support_resume(&mut self) -> Option<MultiThreadResumeOps<'_, Self>> {
        Some(self)
    }

    fn support_thread_extra_info(&mut self) -> Option<ThreadExtraInfoOps<'_, Self>> {
        Some(self)
    }
}

impl ThreadExtraInfo for LsemuTarget<'_> {
    fn thread_extra_info(&self, tid: Tid, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let Some(i) = self.cpu_index(tid) else { return Ok(0) };
        let c = &self.m.cpus[i];
        let state = if c.off {
            "off"
        } else if c.waiting.is_some() {
            "waiting"
        } else {
            "running"
        };
        let s = format!("cpu{i} EL{} {} {state}", c.st.pstate.el, if c.is_secure() { "secure" } else { "non-secure" });
        let n = s.len().min(buf.len());
        buf[..n].copy_from_slice(&s.as_bytes()[..n]);
        Ok(n)
    }
}

/// The system register of a `gdbstub_arch` register number (op0:op1:CRn:CRm:op2).
fn sysreg_of(id: u16) -> Option<&'static cpu_aarch64::sysreg::RegInfo> {
    let id = id as u32;
    let e = SysRegEnc::new((id >> 14) as u8 & 3, (id >> 11) as u8 & 7, (id >> 7) as u8 & 15, (id >> 3) as u8 & 15, id as u8 & 7);
    cpu_aarch64::sysreg::table::lookup(e)
}

impl SingleRegisterAccess<Tid> for LsemuTarget<'_> {
    fn read_register(&mut self, tid: Tid, reg: AArch64RegId, buf: &mut [u8]) -> TargetResult<usize, Self> {
        let i = self.cpu_index(tid).ok_or(TargetError::NonFatal)?;
        let (cpus, bus) = (&mut self.m.cpus, &mut self.m.bus);
        let c = &mut cpus[i];
        let bytes: Vec<u8> = match reg {
            AArch64RegId::X(n) => c.st.x.get(n as usize).ok_or(TargetError::NonFatal)?.to_le_bytes().to_vec(),
            AArch64RegId::Sp => c.st.sp().to_le_bytes().to_vec(),
            AArch64RegId::Pc => c.st.pc.to_le_bytes().to_vec(),
            AArch64RegId::Pstate => (c.st.pstate.spsr() as u32).to_le_bytes().to_vec(),
            AArch64RegId::V(n) => c.st.v.get(n as usize).ok_or(TargetError::NonFatal)?.to_le_bytes().to_vec(),
            // FPSR and FPCR are 32 bits in the fpu feature.
            AArch64RegId::FPCR => c.st.fpcr.to_le_bytes().to_vec(),
            AArch64RegId::FPSR => c.st.fpsr.to_le_bytes().to_vec(),
            AArch64RegId::System(id) => match sysreg_of(id) {
                Some(r) => (r.read)(c, bus, r.enc).to_le_bytes().to_vec(),
                // Not implemented by lsemu: unavailable.
                None => return Ok(0),
            },
            _ => return Ok(0),
        };
        // gdbstub sizes `buf` by the register id (System ids, FPSR and FPCR included,
        // are 8 bytes) and wants exactly that many bytes: zero-extend or truncate.
        buf.fill(0);
        let n = bytes.len().min(buf.len());
        buf[..n].copy_from_slice(&bytes[..n]);
        Ok(buf.len())
    }

    fn write_register(&mut self, tid: Tid, reg: AArch64RegId, val: &[u8]) -> TargetResult<(), Self> {
        let i = self.cpu_index(tid).ok_or(TargetError::NonFatal)?;
        let mut b = [0u8; 16];
        let n = val.len().min(16);
        b[..n].copy_from_slice(&val[..n]);
        let v128 = u128::from_le_bytes(b);
        let v = v128 as u64;
        let (cpus, bus) = (&mut self.m.cpus, &mut self.m.bus);
        let c = &mut cpus[i];
        match reg {
            AArch64RegId::X(n) => *c.st.x.get_mut(n as usize).ok_or(TargetError::NonFatal)? = v,
            AArch64RegId::Sp => c.st.set_sp(v),
            AArch64RegId::Pc => c.st.pc = v,
            AArch64RegId::Pstate => {
                c.el_stats_sync();
                c.st.pstate.set_from_spsr(v)
            }
            AArch64RegId::V(n) => *c.st.v.get_mut(n as usize).ok_or(TargetError::NonFatal)? = v128,
            AArch64RegId::FPCR => c.st.fpcr = v as u32,
            AArch64RegId::FPSR => c.st.fpsr = v as u32,
            AArch64RegId::System(id) => {
                let r = sysreg_of(id).ok_or(TargetError::NonFatal)?;
                (r.write)(c, bus, r.enc, v);
                // The translation regime may have changed.
                c.tlb.flush();
                self.m.engine.invalidate_all();
            }
            _ => return Err(TargetError::NonFatal),
        }
        Ok(())
    }
}

impl MultiThreadResume for LsemuTarget<'_> {
    fn resume(&mut self) -> Result<(), Self::Error> {
        self.sync_debug();
        Ok(())
    }

    fn clear_resume_actions(&mut self) -> Result<(), Self::Error> {
        self.actions.iter_mut().for_each(|a| *a = None);
        Ok(())
    }

    fn set_resume_action_continue(&mut self, tid: Tid, _signal: Option<Signal>) -> Result<(), Self::Error> {
        if let Some(i) = self.cpu_index(tid) {
            self.actions[i] = Some(Action::Continue);
        }
        Ok(())
    }

    fn support_single_step(&mut self) -> Option<MultiThreadSingleStepOps<'_, Self>> {
        Some(self)
    }

    fn support_scheduler_locking(&mut self) -> Option<MultiThreadSchedulerLockingOps<'_, Self>> {
        Some(self)
    }
}

/// gdb asks for scheduler locking when it resumes only some threads (e.g. stepping one
/// thread off a breakpoint). A step runs only its PE anyway; a continue runs every PE
/// (the machine's round-robin cannot run a subset without changing virtual time).
impl MultiThreadSchedulerLocking for LsemuTarget<'_> {
    fn set_resume_action_scheduler_lock(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

impl MultiThreadSingleStep for LsemuTarget<'_> {
    fn set_resume_action_step(&mut self, tid: Tid, _signal: Option<Signal>) -> Result<(), Self::Error> {
        if let Some(i) = self.cpu_index(tid) {
            self.actions[i] = Some(Action::Step);
        }
        Ok(())
    }
}

impl Breakpoints for LsemuTarget<'_> {
    fn support_sw_breakpoint(&mut self) -> Option<SwBreakpointOps<'_, Self>> {
        Some(self)
    }
    fn support_hw_breakpoint(&mut self) -> Option<HwBreakpointOps<'_, Self>> {
        Some(self)
    }
    fn support_hw_watchpoint(&mut self) -> Option<HwWatchpointOps<'_, Self>> {
        Some(self)
    }
}

impl SwBreakpoint for LsemuTarget<'_> {
    fn add_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        if !self.sw_bps.contains(&addr) {
            self.sw_bps.push(addr);
        }
        self.sync_debug();
        Ok(true)
    }
    fn remove_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        let n = self.sw_bps.len();
        self.sw_bps.retain(|a| *a != addr);
        self.sync_debug();
        Ok(self.sw_bps.len() != n)
    }
}

impl HwBreakpoint for LsemuTarget<'_> {
    fn add_hw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        if !self.hw_bps.contains(&addr) {
            self.hw_bps.push(addr);
        }
        self.sync_debug();
        Ok(true)
    }
    fn remove_hw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        let n = self.hw_bps.len();
        self.hw_bps.retain(|a| *a != addr);
        self.sync_debug();
        Ok(self.hw_bps.len() != n)
    }
}

fn watch_kind(k: gdbstub::target::ext::breakpoints::WatchKind) -> WatchKind {
    match k {
        gdbstub::target::ext::breakpoints::WatchKind::Write => WatchKind::Write,
        gdbstub::target::ext::breakpoints::WatchKind::Read => WatchKind::Read,
        gdbstub::target::ext::breakpoints::WatchKind::ReadWrite => WatchKind::Access,
    }
}

impl HwWatchpoint for LsemuTarget<'_> {
    fn add_hw_watchpoint(&mut self, addr: u64, len: u64, kind: gdbstub::target::ext::breakpoints::WatchKind) -> TargetResult<bool, Self> {
        let w = Watchpoint { addr, len, kind: watch_kind(kind) };
        if !self.watches.contains(&w) {
            self.watches.push(w);
        }
        self.sync_debug();
        Ok(true)
    }
    fn remove_hw_watchpoint(
        &mut self,
        addr: u64,
        len: u64,
        kind: gdbstub::target::ext::breakpoints::WatchKind,
    ) -> TargetResult<bool, Self> {
        let w = Watchpoint { addr, len, kind: watch_kind(kind) };
        let n = self.watches.len();
        self.watches.retain(|x| *x != w);
        self.sync_debug();
        Ok(self.watches.len() != n)
    }
}

struct EventLoop<'a>(std::marker::PhantomData<&'a ()>);

impl<'a> BlockingEventLoop for EventLoop<'a> {
    type Target = LsemuTarget<'a>;
    type Connection = Conn;
    type StopReason = MultiThreadStopReason<u64>;

    fn wait_for_stop_reason(
        target: &mut Self::Target,
        conn: &mut Self::Connection,
    ) -> Result<Event<Self::StopReason>, WaitForStopReasonError<String, std::io::Error>> {
        loop {
            if conn.peek().map_err(WaitForStopReasonError::Connection)?.is_some() {
                let b = conn.read().map_err(WaitForStopReasonError::Connection)?;
                return Ok(Event::IncomingData(b));
            }
            if let Some(stop) = target.run_some() {
                return Ok(Event::TargetStopped(stop));
            }
        }
    }

    fn on_interrupt(target: &mut Self::Target) -> Result<Option<Self::StopReason>, String> {
        Ok(Some(MultiThreadStopReason::SignalWithThread { tid: target.last_tid, signal: Signal::SIGINT }))
    }
}
