//! RSTCR (reset control, 0x01E6_0000, `fsl,ls2080a-rstcr`): Linux's syscon-reboot writes
//! bit 1 (mask 2 in the RDB DTB) to reset the SoC. The machine polls `take_request`.

use crate::{DevCtx, Mmio, MmioError, MmioResult, Size};

#[derive(Debug, Default, Clone)]
pub struct Rstcr {
    value: u32,
    request: bool,
}

impl Rstcr {
    /// Whether a reset is requested (what `take_request` would return), without taking it.
    pub fn requested(&self) -> bool {
        self.request
    }

    /// Whether a reset was requested since the last call.
    pub fn take_request(&mut self) -> bool {
        std::mem::take(&mut self.request)
    }
}

impl Mmio for Rstcr {
    fn read(&mut self, _cx: &mut DevCtx, off: u64, size: Size) -> MmioResult<u64> {
        match (off, size) {
            (0, Size::B4) => Ok(self.value as u64),
            (0, _) => Err(MmioError::BadSize),
            _ => Err(MmioError::NoRegister),
        }
    }
    fn write(&mut self, _cx: &mut DevCtx, off: u64, size: Size, val: u64) -> MmioResult<()> {
        match (off, size) {
            (0, Size::B4) => {
                self.value = val as u32;
                if val & 2 != 0 {
                    self.request = true;
                }
                Ok(())
            }
            (0, _) => Err(MmioError::BadSize),
            _ => Err(MmioError::NoRegister),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scheduler;

    #[test]
    fn test_rstcr_bit1_requests_reset() {
        let mut r = Rstcr::default();
        let mut s = Scheduler::default();
        let mut cx = DevCtx { now: 0, sched: &mut s };
        r.write(&mut cx, 0, Size::B4, 1).unwrap();
        assert!(!r.take_request());
        r.write(&mut cx, 0, Size::B4, 2).unwrap();
        assert!(r.take_request());
        assert!(!r.take_request(), "request is consumed");
        assert_eq!(r.read(&mut cx, 4, Size::B4), Err(MmioError::NoRegister));
        assert_eq!(r.read(&mut cx, 0, Size::B1), Err(MmioError::BadSize));
    }
}
