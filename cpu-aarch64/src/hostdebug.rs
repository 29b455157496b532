//! Host-side debugging (the gdb stub's breakpoints and watchpoints). These are the
//! emulator's, not the guest's: nothing is patched into guest memory, no debug register
//! changes, and a hit stops the run loop (`interp::Exit::Debug`) instead of raising an
//! exception in the guest.
//!
//! - A breakpoint stops the PE before the instruction at its address executes (checked
//!   by `interp` before the fetch, after pending interrupts are taken).
//! - A watchpoint stops the PE before the accessing instruction has any effect: the PC
//!   is the instruction's, it has not retired, and memory and registers are unchanged
//!   (except for the earlier element stores of a multi-element store, which write the
//!   same values again when the instruction is re-executed). This is what gdb expects
//!   on AArch64 (`have_nonsteppable_watchpoint`): it steps the instruction itself with
//!   the watchpoint removed, then compares the old and new values.
//!
//! The checks live in the interpreter only; engines that translate code must run a PE
//! through the interpreter while `Cpu::host_debug_active` is true.

use crate::Cpu;

/// What a watchpoint watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchKind {
    Write,
    Read,
    Access,
}

/// One watched range of virtual addresses `[addr, addr + len)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watchpoint {
    pub addr: u64,
    pub len: u64,
    pub kind: WatchKind,
}

/// Why a PE stopped for the debugger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebugHit {
    /// The PC reached a breakpoint (the instruction there has not executed).
    Breakpoint { pc: u64 },
    /// An access of kind `kind` (Read or Write) touched the watched range containing
    /// `addr` (the first watched byte accessed).
    Watch { kind: WatchKind, addr: u64, wp: Watchpoint },
}

/// The debugger's state on one PE.
#[derive(Debug, Clone, Default)]
pub struct HostDebug {
    /// Breakpoint addresses (virtual, the PC value).
    pub breakpoints: Vec<u64>,
    pub watchpoints: Vec<Watchpoint>,
    /// Do not take interrupts (single-stepping with interrupts masked).
    pub mask_interrupts: bool,
    /// A breakpoint at this PC is ignored once (to step off the instruction a breakpoint
    /// stopped at).
    pub skip_breakpoint_at: Option<u64>,
    /// Why the PE stopped last (set with `Exit::Debug`, taken by the debugger).
    pub hit: Option<DebugHit>,
}

impl HostDebug {
    /// Anything armed that the interpreter must check.
    pub fn active(&self) -> bool {
        !self.breakpoints.is_empty() || !self.watchpoints.is_empty() || self.mask_interrupts
    }

    /// Whether a breakpoint at `pc` stops the PE now (consumes `skip_breakpoint_at`).
    pub(crate) fn breakpoint_hit(&mut self, pc: u64) -> bool {
        let skip = self.skip_breakpoint_at.take();
        if !self.breakpoints.contains(&pc) || skip == Some(pc) {
            return false;
        }
        self.hit = Some(DebugHit::Breakpoint { pc });
        true
    }

    /// Checks a data access of `size` bytes at `va` (`write`: a store). Records the hit.
    pub(crate) fn access_hit(&mut self, va: u64, size: u64, write: bool) -> bool {
        let end = va.wrapping_add(size.max(1));
        for w in &self.watchpoints {
            let wanted = match w.kind {
                WatchKind::Write => write,
                WatchKind::Read => !write,
                WatchKind::Access => true,
            };
            let wend = w.addr.wrapping_add(w.len.max(1));
            if wanted && va < wend && w.addr < end {
                let kind = if write { WatchKind::Write } else { WatchKind::Read };
                self.hit = Some(DebugHit::Watch { kind, addr: va.max(w.addr), wp: *w });
                return true;
            }
        }
        false
    }
}

impl Cpu {
    /// Whether host-side breakpoints, watchpoints or interrupt masking are armed on this
    /// PE: an engine other than the interpreter must then run it through `interp`.
    pub fn host_debug_active(&self) -> bool {
        self.host_debug.active()
    }
}

#[cfg(test)]
mod tests {
    //! Expected values worked out by hand from the rules in the module documentation.
    use super::*;

    #[test]
    fn watch_ranges_overlap_by_byte() {
        let mut d = HostDebug::default();
        d.watchpoints.push(Watchpoint { addr: 0x1004, len: 4, kind: WatchKind::Write });
        assert!(!d.access_hit(0x1000, 4, true), "0x1000..0x1004 ends where the watch starts");
        assert!(!d.access_hit(0x1008, 8, true), "starts where the watch ends");
        assert!(!d.access_hit(0x1004, 4, false), "a read does not trigger a write watch");
        assert!(d.access_hit(0x1000, 8, true));
        assert_eq!(d.hit, Some(DebugHit::Watch { kind: WatchKind::Write, addr: 0x1004, wp: d.watchpoints[0] }));
        assert!(d.access_hit(0x1007, 1, true));
    }

    /// The interpreter stops before a breakpoint's instruction and before a watched
    /// access has any effect; instruction counts and memory worked out by hand.
    #[test]
    fn interpreter_stops_at_breakpoints_and_watchpoints() {
        use crate::interp::{self, Exit};
        use crate::platform::FlatRam;
        use crate::CpuConfig;
        const BASE: u64 = 0x8000_0000;
        const DATA: u64 = BASE + 0x1000;
        // aarch64-linux-gnu-as encodings.
        let code: [u32; 4] = [
            0xd2800020, // +0: mov x0, #1
            0xf9000020, // +4: str x0, [x1]
            0x91000800, // +8: add x0, x0, #2
            0x14000000, // +c: b .
        ];
        let mut p = FlatRam::new(BASE, 1 << 20);
        p.load(BASE, &code.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>());
        let mut cpu = Cpu::new(CpuConfig::default());
        cpu.reset(BASE);
        cpu.st.x[1] = DATA;
        cpu.host_debug.watchpoints.push(Watchpoint { addr: DATA + 4, len: 4, kind: WatchKind::Write });
        cpu.host_debug.breakpoints.push(BASE + 8);
        assert!(cpu.host_debug_active());
        // The 8-byte store overlaps the watched word: stop with the store not done.
        assert_eq!(interp::run(&mut cpu, &mut p, 100), Exit::Debug);
        assert_eq!((cpu.st.pc, cpu.icount), (BASE + 4, 1));
        assert_eq!(cpu.host_debug.hit.take(), Some(DebugHit::Watch { kind: WatchKind::Write, addr: DATA + 4, wp: cpu.host_debug.watchpoints[0] }));
        assert_eq!(&p.mem[0x1000..0x1008], &[0; 8]);
        // Without the watchpoint the store executes; the breakpoint stops before the add.
        cpu.host_debug.watchpoints.clear();
        assert_eq!(interp::run(&mut cpu, &mut p, 100), Exit::Debug);
        assert_eq!((cpu.st.pc, cpu.icount, cpu.st.x[0]), (BASE + 8, 2, 1));
        assert_eq!(cpu.host_debug.hit.take(), Some(DebugHit::Breakpoint { pc: BASE + 8 }));
        assert_eq!(&p.mem[0x1000..0x1008], &1u64.to_le_bytes());
        // Stepping off the breakpoint executes the add.
        cpu.host_debug.skip_breakpoint_at = Some(BASE + 8);
        assert_eq!(interp::run(&mut cpu, &mut p, 1), Exit::Budget);
        assert_eq!((cpu.st.pc, cpu.icount, cpu.st.x[0]), (BASE + 12, 3, 3));
        // Nothing armed: nothing checked.
        cpu.host_debug.breakpoints.clear();
        assert!(!cpu.host_debug_active());
        cpu.st.pc = BASE + 8;
        assert_eq!(interp::run(&mut cpu, &mut p, 2), Exit::Budget);
        assert_eq!(cpu.st.x[0], 5);
    }

    #[test]
    fn breakpoint_skip_is_consumed_once() {
        let mut d = HostDebug::default();
        d.breakpoints.push(0x8000_0000);
        d.skip_breakpoint_at = Some(0x8000_0000);
        assert!(!d.breakpoint_hit(0x8000_0000));
        assert!(d.breakpoint_hit(0x8000_0000));
        assert!(!d.breakpoint_hit(0x8000_0004));
    }
}
