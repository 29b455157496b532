//! `lsemu-devices`: device models as small state machines behind the two-method `Mmio`
//! trait. Devices know nothing of the CPU crate: they see a `DevCtx` with virtual time and
//! the event scheduler, raise interrupts through `IrqLine`, and write host output through
//! an injected `Write`. No host clock, threads, files or printing here.

pub mod dma;
pub mod fslmc;
pub mod gic;
pub mod irq;
pub mod net;
pub mod pcie;
pub mod qbman;
pub mod regfile;
pub mod rstcr;
pub mod sp805;
pub mod sched;
pub mod smmu;
pub mod uart16550;

pub use dma::{DmaError, DmaSpace};
pub use irq::{IrqBank, IrqLine};
pub use sched::{Scheduler, VirtTime};

/// Access size of an MMIO access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    B1 = 1,
    B2 = 2,
    B4 = 4,
    B8 = 8,
}

impl Size {
    pub fn from_bytes(n: usize) -> Option<Size> {
        match n {
            1 => Some(Size::B1),
            2 => Some(Size::B2),
            4 => Some(Size::B4),
            8 => Some(Size::B8),
            _ => None,
        }
    }
    pub fn bytes(self) -> usize {
        self as usize
    }
}

/// Why a device refused an access. The bus logs it and either reads as zero / ignores the
/// write (RAZ/WI) or reports an external abort (`Slave`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MmioError {
    #[error("no register at this offset")]
    NoRegister,
    #[error("access size not supported by this register")]
    BadSize,
    #[error("unaligned access")]
    Unaligned,
    #[error("slave error")]
    Slave,
}

pub type MmioResult<T> = Result<T, MmioError>;

/// What a device sees of the machine during an access.
pub struct DevCtx<'a> {
    /// Virtual time now, in nanoseconds.
    pub now: VirtTime,
    pub sched: &'a mut Scheduler,
}

/// A memory-mapped device. Offsets are relative to the device's base address.
pub trait Mmio {
    #[must_use]
    fn read(&mut self, cx: &mut DevCtx, off: u64, size: Size) -> MmioResult<u64>;
    #[must_use]
    fn write(&mut self, cx: &mut DevCtx, off: u64, size: Size, val: u64) -> MmioResult<()>;
}

/// Devices with timed behaviour get their scheduled events back through this.
pub trait Timed {
    fn on_event(&mut self, cx: &mut DevCtx, token: u64);
}
