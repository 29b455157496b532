//! Arm PrimeCell SP805 watchdog (Arm DDI 0270B, "ARM Watchdog Module (SP805) Technical
//! Reference Manual"). The LS2088A has eight of them (one per core, ls2088a-reference.md
//! §1.2, §1.4) at 0x0C00_0000.., `arm,sp805` + `arm,primecell`, without an interrupt in the
//! RDB device tree.
//!
//! Clock: the RDB DTB gives `clocks = <&clockgen 4 3>` for both `wdog_clk` and
//! `apb_pclk`: clockgen type 4 (platform PLL) index 3 = divider 4
//! (include/dt-bindings/clock/fsl,qoriq-clockgen.h), i.e. 100 MHz × 14 / 4 = 350 MHz with
//! lsemu's clockgen model — the rate Linux's sp805_wdt gets from `clk_get_rate`. The
//! counter therefore decrements at the fixed [`SP805_CLK_HZ`] = 350 MHz of virtual time.
//!
//! Design (deterministic, no scheduler events): the counter is not stored as a moving
//! value but as (value at an epoch, epoch in watchdog-clock ticks since machine start);
//! `advance(now)` works out lazily the zero crossings since the epoch. It runs on every
//! register access and when the machine calls [`Sp805::poll`] at quantum boundaries, so a
//! reset request is seen at most one quantum late. Each zero crossing (TRM §2.2 "Functional
//! overview"): if the interrupt is already pending and RESEN is set, a system reset is
//! requested ([`Sp805::take_reset_request`]); the interrupt is raised (WdogRIS = 1, WDOGINT
//! = RIS & INTEN on the `IrqLine`) and the counter reloads from WdogLoad.
//!
//! Simplification: a zero crossing takes effect as the counter reaches 0 and reloads in the
//! same tick (the hardware shows 0 for one WDOGCLK cycle); invisible to software at 350 MHz.

use crate::{DevCtx, IrqLine, Mmio, MmioError, MmioResult, Size, VirtTime};

/// Watchdog clock of the LS2088A-RDB (platform PLL / 4), see the module comment.
pub const SP805_CLK_HZ: u64 = 350_000_000;

/// WdogLock unlock key (TRM §3.3.8).
pub const UNLOCK_KEY: u32 = 0x1ACC_E551;

const LOAD: u64 = 0x000;
const VALUE: u64 = 0x004;
const CONTROL: u64 = 0x008;
const INTCLR: u64 = 0x00c;
const RIS: u64 = 0x010;
const MIS: u64 = 0x014;
const LOCK: u64 = 0xc00;
const ITCR: u64 = 0xf00;
const ITOP: u64 = 0xf04;

/// WdogControl bits (TRM §3.3.3).
const CTRL_INTEN: u32 = 1 << 0;
const CTRL_RESEN: u32 = 1 << 1;

/// PeriphID0..3 (0xFE0..0xFEC) and PCellID0..3 (0xFF0..0xFFC), TRM §3.3.11-3.3.18:
/// part number 0x805, designer 0x41 (Arm), revision 0, configuration 0.
const ID: [u32; 8] = [0x05, 0x18, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

pub struct Sp805 {
    load: u32,
    control: u32,
    ris: bool,
    locked: bool,
    /// Counter value at `epoch` (ticks of the watchdog clock since machine start).
    at_epoch: u32,
    epoch: u64,
    reset_request: bool,
    irq: IrqLine,
    clk_hz: u64,
}

impl Sp805 {
    pub fn new(irq: IrqLine) -> Self {
        Self::with_clock(irq, SP805_CLK_HZ)
    }

    /// A watchdog counting at `clk_hz` (unit tests use round rates).
    pub fn with_clock(irq: IrqLine, clk_hz: u64) -> Self {
        // Reset values, TRM §3.3: WdogLoad and WdogValue 0xFFFFFFFF, control 0, RIS 0,
        // unlocked.
        Sp805 { load: u32::MAX, control: 0, ris: false, locked: false, at_epoch: u32::MAX, epoch: 0, reset_request: false, irq, clk_hz: clk_hz.max(1) }
    }

    fn ticks(&self, now: VirtTime) -> u64 {
        ((now as u128 * self.clk_hz as u128) / 1_000_000_000) as u64
    }

    fn counting(&self) -> bool {
        self.control & CTRL_INTEN != 0
    }

    /// Processes the zero crossings up to `now`.
    fn advance(&mut self, now: VirtTime) {
        let t = self.ticks(now);
        if !self.counting() {
            self.epoch = t;
            return;
        }
        let mut crossings = 0u32;
        loop {
            let elapsed = t.saturating_sub(self.epoch);
            // A zero value (WdogLoad = 0) crosses zero on the next tick.
            let to_zero = (self.at_epoch as u64).max(1);
            if elapsed < to_zero {
                self.at_epoch = (self.at_epoch as u64 - elapsed) as u32;
                self.epoch = t;
                break;
            }
            self.epoch = self.epoch.wrapping_add(to_zero);
            if self.ris && self.control & CTRL_RESEN != 0 {
                self.reset_request = true;
            }
            self.ris = true;
            self.at_epoch = self.load;
            crossings += 1;
            if crossings >= 2 {
                // Steady state: RIS stays set, further crossings change nothing but the
                // phase of the counter.
                let period = (self.load as u64).max(1);
                let rest = t.saturating_sub(self.epoch);
                self.epoch = self.epoch.wrapping_add(rest - rest % period);
            }
        }
        self.update_irq();
    }

    fn update_irq(&self) {
        self.irq.set_level(self.ris && self.counting());
    }

    fn reload(&mut self, now: VirtTime) {
        self.at_epoch = self.load;
        self.epoch = self.ticks(now);
    }

    /// Brings the counter up to `now` (the machine calls it at quantum boundaries). A
    /// stopped watchdog has nothing to bring up to date: `advance` would only move its
    /// epoch, which every register access moves first anyway (and starting it reloads
    /// it), so the eight idle watchdogs of a boot cost no 128-bit division per turn.
    pub fn poll(&mut self, now: VirtTime) {
        if self.counting() {
            self.advance(now);
        }
    }

    /// Whether `poll` and `take_reset_request` would do nothing now and at any later
    /// time until the next register access: not counting and no reset request.
    pub fn idle(&self) -> bool {
        !self.counting() && !self.reset_request
    }

    /// Whether the watchdog requested a system reset since the last call.
    pub fn take_reset_request(&mut self) -> bool {
        std::mem::take(&mut self.reset_request)
    }
}

impl Mmio for Sp805 {
    fn read(&mut self, cx: &mut DevCtx, off: u64, size: Size) -> MmioResult<u64> {
        if !off.is_multiple_of(4) {
            return Err(MmioError::Unaligned);
        }
        if off >= 0x1000 {
            return Err(MmioError::NoRegister);
        }
        // The SP805 is an APB slave with 32-bit registers.
        if size != Size::B4 {
            return Err(MmioError::BadSize);
        }
        self.advance(cx.now);
        let v = match off {
            LOAD => self.load,
            // `advance` brought it up to date (a stopped counter holds its value).
            VALUE => self.at_epoch,
            CONTROL => self.control,
            RIS => self.ris as u32,
            MIS => (self.ris && self.counting()) as u32,
            // TRM §3.3.8: reads 1 when write access is disabled.
            LOCK => self.locked as u32,
            // Integration test registers: RAZ (test mode not modelled). IntClr and ITOP
            // are write-only: read as zero.
            INTCLR | ITCR | ITOP => 0,
            0xfe0..=0xffc => ID[((off - 0xfe0) / 4) as usize],
            _ => return Err(MmioError::NoRegister),
        };
        Ok(v as u64)
    }

    fn write(&mut self, cx: &mut DevCtx, off: u64, size: Size, val: u64) -> MmioResult<()> {
        if !off.is_multiple_of(4) {
            return Err(MmioError::Unaligned);
        }
        if off >= 0x1000 {
            return Err(MmioError::NoRegister);
        }
        if size != Size::B4 {
            return Err(MmioError::BadSize);
        }
        self.advance(cx.now);
        let val = val as u32;
        if off == LOCK {
            self.locked = val != UNLOCK_KEY;
            return Ok(());
        }
        match off {
            LOAD | CONTROL | INTCLR | ITCR | ITOP if self.locked => {
                tracing::debug!(target: "dev", "sp805: write to {off:#x} ignored (locked)");
            }
            LOAD => {
                // TRM §3.3.1: the counter restarts from the new value at once.
                self.load = val;
                self.reload(cx.now);
            }
            CONTROL => {
                let was = self.counting();
                self.control = val & (CTRL_INTEN | CTRL_RESEN);
                // TRM §3.3.3: re-enabling the interrupt reloads the counter from WdogLoad.
                if !was && self.counting() {
                    self.reload(cx.now);
                }
                self.update_irq();
            }
            INTCLR => {
                // TRM §3.3.4: any write clears the interrupt and reloads the counter.
                self.ris = false;
                self.reload(cx.now);
                self.update_irq();
            }
            // Integration test registers: WI (test mode not modelled).
            ITCR | ITOP => {}
            // Read-only registers: writes ignored.
            VALUE | RIS | MIS | 0xfe0..=0xffc => {}
            _ => return Err(MmioError::NoRegister),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{IrqBank, Scheduler};

    const NS: u64 = 1_000_000_000;

    /// A 1 MHz watchdog (one tick per microsecond) on line 0 of a bank.
    fn wd() -> (Sp805, std::sync::Arc<IrqBank>) {
        let bank = IrqBank::new(64);
        (Sp805::with_clock(IrqLine::new(bank.clone(), 0), 1_000_000), bank)
    }
    fn rd(d: &mut Sp805, now: u64, off: u64) -> u64 {
        let mut s = Scheduler::default();
        d.read(&mut DevCtx { now, sched: &mut s }, off, Size::B4).unwrap()
    }
    fn wr(d: &mut Sp805, now: u64, off: u64, v: u64) {
        let mut s = Scheduler::default();
        d.write(&mut DevCtx { now, sched: &mut s }, off, Size::B4, v).unwrap()
    }

    #[test]
    fn test_reset_values() {
        // TRM §3.3 summary table: WdogLoad 0xFFFFFFFF, WdogValue 0xFFFFFFFF, WdogControl
        // 0, WdogRIS 0, WdogMIS 0, WdogLock 0 (unlocked).
        let (mut d, _) = wd();
        assert_eq!(rd(&mut d, 0, LOAD), 0xffff_ffff);
        assert_eq!(rd(&mut d, 0, VALUE), 0xffff_ffff);
        assert_eq!(rd(&mut d, 0, CONTROL), 0);
        assert_eq!(rd(&mut d, 0, RIS), 0);
        assert_eq!(rd(&mut d, 0, MIS), 0);
        assert_eq!(rd(&mut d, 0, LOCK), 0);
        // Stopped (INTEN = 0): the value does not move with time.
        assert_eq!(rd(&mut d, 10 * NS, VALUE), 0xffff_ffff);
    }

    #[test]
    fn test_id_registers() {
        // TRM §3.3.11-3.3.18, and what Linux's AMBA bus reads (ls2088a-reference.md §1.4):
        // PeriphID 05 18 14 00, CellID 0D F0 05 B1.
        let (mut d, _) = wd();
        let want = [0x05, 0x18, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1];
        for (i, w) in want.iter().enumerate() {
            assert_eq!(rd(&mut d, 0, 0xfe0 + 4 * i as u64), *w, "id {i}");
        }
        // AMBA periphid: part 0x805, designer 0x41.
        let pid = (0..4).fold(0, |a, i| a | rd(&mut d, 0, 0xfe0 + 4 * i) << (8 * i));
        assert_eq!(pid & 0xfff, 0x805);
        assert_eq!((pid >> 12) & 0xff, 0x41);
    }

    #[test]
    fn test_lock() {
        // TRM §3.3.8: writing 0x1ACCE551 enables writes, any other value disables them;
        // reads give 1 when locked.
        let (mut d, _) = wd();
        wr(&mut d, 0, LOCK, 1);
        assert_eq!(rd(&mut d, 0, LOCK), 1);
        wr(&mut d, 0, LOAD, 1234);
        wr(&mut d, 0, CONTROL, 3);
        assert_eq!(rd(&mut d, 0, LOAD), 0xffff_ffff, "locked: load ignored");
        assert_eq!(rd(&mut d, 0, CONTROL), 0, "locked: control ignored");
        wr(&mut d, 0, LOCK, 0x1ACC_E551);
        assert_eq!(rd(&mut d, 0, LOCK), 0);
        wr(&mut d, 0, LOAD, 1234);
        assert_eq!(rd(&mut d, 0, LOAD), 1234);
    }

    #[test]
    fn test_countdown_follows_virtual_time() {
        // 1 MHz: one decrement per microsecond of virtual time.
        let (mut d, _) = wd();
        wr(&mut d, 0, LOAD, 1_000_000);
        wr(&mut d, 0, CONTROL, CTRL_INTEN as u64);
        assert_eq!(rd(&mut d, 0, VALUE), 1_000_000);
        assert_eq!(rd(&mut d, 1_000, VALUE), 999_999);
        assert_eq!(rd(&mut d, 250_000_000, VALUE), 750_000);
        // Writing WdogLoad restarts the count at once (TRM §3.3.1).
        wr(&mut d, 250_000_000, LOAD, 500);
        assert_eq!(rd(&mut d, 250_000_000, VALUE), 500);
        assert_eq!(rd(&mut d, 250_100_000, VALUE), 400);
        // Disabling INTEN stops the counter; re-enabling reloads it (TRM §3.3.3).
        wr(&mut d, 250_100_000, CONTROL, 0);
        assert_eq!(rd(&mut d, 260_000_000, VALUE), 400);
        wr(&mut d, 260_000_000, CONTROL, CTRL_INTEN as u64);
        assert_eq!(rd(&mut d, 260_000_000, VALUE), 500);
    }

    #[test]
    fn test_interrupt_and_intclr() {
        // TRM §2.2: at zero the interrupt is asserted and the counter reloads; WdogIntClr
        // clears it and reloads (§3.3.4); WdogMIS = RIS & INTEN (§3.3.6).
        let (mut d, bank) = wd();
        wr(&mut d, 0, LOAD, 100);
        wr(&mut d, 0, CONTROL, CTRL_INTEN as u64);
        assert_eq!(rd(&mut d, 99_000, RIS), 0);
        assert!(!bank.level(0));
        assert_eq!(rd(&mut d, 100_000, RIS), 1);
        assert_eq!(rd(&mut d, 100_000, MIS), 1);
        assert!(bank.level(0));
        assert_eq!(rd(&mut d, 130_000, VALUE), 70, "reloaded from WdogLoad");
        wr(&mut d, 130_000, INTCLR, 0);
        assert_eq!(rd(&mut d, 130_000, RIS), 0);
        assert!(!bank.level(0));
        assert_eq!(rd(&mut d, 130_000, VALUE), 100);
        // Masked: RIS set, MIS and the line follow INTEN.
        d.poll(230_000);
        assert_eq!(rd(&mut d, 230_000, RIS), 1);
        wr(&mut d, 230_000, CONTROL, 0);
        assert_eq!(rd(&mut d, 230_000, MIS), 0);
        assert!(!bank.level(0));
    }

    #[test]
    fn test_reset_request_on_second_timeout() {
        // TRM §2.2: the second zero crossing with the interrupt still pending asserts
        // WDOGRES if RESEN is set.
        let (mut d, _) = wd();
        wr(&mut d, 0, LOAD, 100);
        wr(&mut d, 0, CONTROL, (CTRL_INTEN | CTRL_RESEN) as u64);
        d.poll(150_000);
        assert!(!d.take_reset_request(), "first timeout: interrupt only");
        d.poll(200_000);
        assert!(d.take_reset_request());
        assert!(!d.take_reset_request(), "consumed");
        // Serviced in time (IntClr before the second crossing): no reset.
        let (mut d, _) = wd();
        wr(&mut d, 0, LOAD, 100);
        wr(&mut d, 0, CONTROL, (CTRL_INTEN | CTRL_RESEN) as u64);
        for k in 1..20 {
            d.poll(k * 150_000);
            wr(&mut d, k * 150_000, INTCLR, 1);
        }
        assert!(!d.take_reset_request());
        // RESEN clear: never a reset, even after a long time.
        let (mut d, _) = wd();
        wr(&mut d, 0, LOAD, 100);
        wr(&mut d, 0, CONTROL, CTRL_INTEN as u64);
        d.poll(1_000 * NS);
        assert!(!d.take_reset_request());
        assert_eq!(rd(&mut d, 1_000 * NS, RIS), 1);
        // A poll long after the deadline still requests it (lazy evaluation).
        let (mut d, _) = wd();
        wr(&mut d, 0, LOAD, 100);
        wr(&mut d, 0, CONTROL, (CTRL_INTEN | CTRL_RESEN) as u64);
        d.poll(1_000 * NS + 7_000);
        assert!(d.take_reset_request());
        assert_eq!(rd(&mut d, 1_000 * NS + 7_000, VALUE), 93, "phase kept: 7 us into a period");
    }

    #[test]
    fn test_rdb_clock_rate() {
        // 350 MHz: 350 ticks per microsecond.
        let mut d = Sp805::new(IrqLine::detached());
        wr(&mut d, 0, LOAD, 350_000_000);
        wr(&mut d, 0, CONTROL, CTRL_INTEN as u64);
        assert_eq!(rd(&mut d, 1_000, VALUE), 350_000_000 - 350);
    }

    #[test]
    fn test_integration_registers_and_invalid_accesses() {
        let (mut d, _) = wd();
        wr(&mut d, 0, ITCR, 1);
        wr(&mut d, 0, ITOP, 3);
        assert_eq!(rd(&mut d, 0, ITCR), 0);
        assert_eq!(rd(&mut d, 0, ITOP), 0);
        let mut s = Scheduler::default();
        let mut cx = DevCtx { now: 0, sched: &mut s };
        assert_eq!(d.read(&mut cx, 0, Size::B8), Err(MmioError::BadSize));
        assert_eq!(d.read(&mut cx, 0, Size::B1), Err(MmioError::BadSize));
        assert_eq!(d.write(&mut cx, 2, Size::B4, 0), Err(MmioError::Unaligned));
        assert_eq!(d.read(&mut cx, 0x18, Size::B4), Err(MmioError::NoRegister));
        assert_eq!(d.read(&mut cx, 0x1000, Size::B4), Err(MmioError::NoRegister));
        assert_eq!(d.write(&mut cx, 0x800, Size::B4, 0), Err(MmioError::NoRegister));
    }
}
