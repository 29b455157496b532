//! The generic timers of one PE (Arm ARM D10): the EL1 physical timer (CNTP_*), the
//! virtual timer (CNTV_*), the EL2 physical timer (CNTHP_*) and the secure EL1 physical
//! timer (CNTPS_*). Their state is only CTL (ENABLE, IMASK) and CVAL in `SysRegs`; TVAL
//! and ISTATUS are computed from the counter when read, so the timers need no ticking.
//!
//! The machine drives the four PPIs from `Cpu::timer_irqs` (levels) and can ask
//! `Cpu::timer_deadline` for the next counter value at which a level may rise.

use crate::Cpu;

/// CNTFRQ_EL0 reset value (the register is UNKNOWN at reset and written by firmware; the
/// LS2088A's generic timer runs at 25 MHz).
pub const DEFAULT_CNTFRQ: u64 = 25_000_000;

pub const CTL_ENABLE: u64 = 1 << 0;
pub const CTL_IMASK: u64 = 1 << 1;
pub const CTL_ISTATUS: u64 = 1 << 2;

/// Which timer an access refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    Phys,
    Virt,
    Hyp,
    SecPhys,
}

/// Output levels of the four timers of one PE (`ENABLE && ISTATUS && !IMASK`). The
/// machine connects them to the GIC PPIs (on the LS2088A, as on most Arm boards:
/// secure physical = PPI 13 (INTID 29), non-secure physical = PPI 14 (INTID 30),
/// virtual = PPI 11 (INTID 27), hypervisor = PPI 10 (INTID 26)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimerLevels {
    pub phys: bool,
    pub virt: bool,
    pub hyp: bool,
    pub sec_phys: bool,
}

impl Cpu {
    /// The virtual counter: CNTPCT - CNTVOFF_EL2 (CNTVOFF is 0 without EL2).
    pub fn virtual_count(&self, counter: u64) -> u64 {
        if self.has_el2() { counter.wrapping_sub(self.sys.cntvoff_el2) } else { counter }
    }

    fn timer_regs(&self, t: Timer) -> (u64, u64) {
        let s = &self.sys;
        match t {
            Timer::Phys => (s.cntp_ctl_el0, s.cntp_cval_el0),
            Timer::Virt => (s.cntv_ctl_el0, s.cntv_cval_el0),
            Timer::Hyp => (s.cnthp_ctl_el2, s.cnthp_cval_el2),
            Timer::SecPhys => (s.cntps_ctl_el1, s.cntps_cval_el1),
        }
    }

    /// The count a timer compares against (virtual count for the virtual timer).
    pub fn timer_count(&self, t: Timer, counter: u64) -> u64 {
        if t == Timer::Virt { self.virtual_count(counter) } else { counter }
    }

    /// CNTx_CTL as read: ENABLE and IMASK as written, ISTATUS = the timer condition
    /// (CVAL <= count, unsigned) when enabled, 0 when disabled.
    pub fn timer_ctl(&self, t: Timer, counter: u64) -> u64 {
        let (ctl, cval) = self.timer_regs(t);
        let ctl = ctl & (CTL_ENABLE | CTL_IMASK);
        if ctl & CTL_ENABLE != 0 && self.timer_count(t, counter) >= cval {
            ctl | CTL_ISTATUS
        } else {
            ctl
        }
    }

    /// CNTx_TVAL as read: (CVAL - count)<31:0>; bits 63:32 are RES0.
    pub fn timer_tval(&self, t: Timer, counter: u64) -> u64 {
        let (_, cval) = self.timer_regs(t);
        cval.wrapping_sub(self.timer_count(t, counter)) & 0xffff_ffff
    }

    /// CVAL after a write of `tval` to CNTx_TVAL: count + SignExtend(tval<31:0>).
    pub fn timer_cval_from_tval(&self, t: Timer, counter: u64, tval: u64) -> u64 {
        let d = tval as u32 as i32 as i64 as u64;
        self.timer_count(t, counter).wrapping_add(d)
    }

    fn timer_level(&self, t: Timer, counter: u64) -> bool {
        let ctl = self.timer_ctl(t, counter);
        ctl & CTL_ISTATUS != 0 && ctl & CTL_IMASK == 0
    }

    /// The interrupt output levels of the four timers at system counter value `counter`
    /// (`Platform::counter()`). The machine samples this after each quantum and whenever
    /// it reaches `timer_deadline`, and drives the timer PPIs of this PE's GIC
    /// redistributor with the result. The hypervisor timer exists when EL2 is implemented
    /// and the secure physical timer when EL3 is.
    pub fn timer_irqs(&self, counter: u64) -> TimerLevels {
        TimerLevels {
            phys: self.timer_level(Timer::Phys, counter),
            virt: self.timer_level(Timer::Virt, counter),
            hyp: self.has_el2() && self.timer_level(Timer::Hyp, counter),
            sec_phys: self.has_el3() && self.timer_level(Timer::SecPhys, counter),
        }
    }

    /// The smallest system counter value >= `counter` at which an enabled, unmasked timer
    /// whose output is low now will fire; `None` if no such timer. For the scheduler.
    pub fn timer_deadline(&self, counter: u64) -> Option<u64> {
        let mut best: Option<u64> = None;
        for t in [Timer::Phys, Timer::Virt, Timer::Hyp, Timer::SecPhys] {
            let (ctl, cval) = self.timer_regs(t);
            if ctl & CTL_ENABLE == 0 || ctl & CTL_IMASK != 0 || self.timer_level(t, counter) {
                continue;
            }
            // Convert the compare value to system counter units.
            let at = if t == Timer::Virt && self.has_el2() { cval.wrapping_add(self.sys.cntvoff_el2) } else { cval };
            // With the virtual offset the condition can wrap; fall back to "now".
            let at = if at < counter { counter } else { at };
            best = Some(best.map_or(at, |b| b.min(at)));
        }
        best
    }

    /// The first system counter value after `after` at which one of the event streams
    /// (CNTKCTL_EL1 on the virtual count, CNTHCTL_EL2 on the physical count: EVNTEN,
    /// EVNTDIR, EVNTI) signals an event, or `None` if both are disabled.
    pub fn next_event_stream(&self, after: u64) -> Option<u64> {
        let k = next_edge(self.sys.cntkctl_el1, self.virtual_count(after))
            .map(|v| v.wrapping_add(after.wrapping_sub(self.virtual_count(after))));
        let h = if self.has_el2() { next_edge(self.sys.cnthctl_el2, after) } else { None };
        match (k, h) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The first count `c > after` at which the event stream configured by `ctl` (EVNTEN
/// bit 2, EVNTDIR bit 3, EVNTI bits 7:4) triggers: a 0 to 1 (EVNTDIR = 0) or 1 to 0
/// transition of counter bit EVNTI.
fn next_edge(ctl: u64, after: u64) -> Option<u64> {
    if ctl & 4 == 0 {
        return None;
    }
    let n = (ctl >> 4) & 15;
    let period = 1u64 << (n + 1);
    let phase = if ctl & 8 == 0 { 1u64 << n } else { 0 };
    let d = phase.wrapping_sub(after).wrapping_sub(1) & (period - 1);
    Some(after.wrapping_add(d).wrapping_add(1))
}
