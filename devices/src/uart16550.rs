//! NS16550A-compatible UART (the LS2088A DUART channels, `fsl,ns16550`/`ns16550a`), byte
//! registers at offsets 0..7 (reg-shift 0). Transmission is instantaneous in virtual time;
//! received bytes are pushed in by the machine at quantum boundaries.

use crate::{DevCtx, IrqLine, Mmio, MmioError, MmioResult, Size};
use std::collections::VecDeque;
use std::io::Write;

/// Register offsets (PC16550D datasheet, table 2).
pub mod regs {
    /// RBR (read) / THR (write); DLL when LCR.DLAB = 1.
    pub const RBR_THR_DLL: u64 = 0;
    /// IER; DLM when LCR.DLAB = 1.
    pub const IER_DLM: u64 = 1;
    /// IIR (read) / FCR (write).
    pub const IIR_FCR: u64 = 2;
    pub const LCR: u64 = 3;
    pub const MCR: u64 = 4;
    pub const LSR: u64 = 5;
    pub const MSR: u64 = 6;
    pub const SCR: u64 = 7;
}

const IER_ERBFI: u8 = 1 << 0;
const IER_ETBEI: u8 = 1 << 1;
const IER_ELSI: u8 = 1 << 2;
const IER_EDSSI: u8 = 1 << 3;
const LCR_DLAB: u8 = 1 << 7;
const LSR_DR: u8 = 1 << 0;
const LSR_OE: u8 = 1 << 1;
const LSR_BI: u8 = 1 << 4;
const LSR_THRE: u8 = 1 << 5;
const LSR_TEMT: u8 = 1 << 6;
const MCR_LOOP: u8 = 1 << 4;
const FCR_ENABLE: u8 = 1 << 0;
const FCR_CLEAR_RX: u8 = 1 << 1;
const RX_FIFO: usize = 16;

/// Plain state of the UART (saved and restored by snapshots).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Uart16550State {
    pub ier: u8,
    pub lcr: u8,
    pub mcr: u8,
    pub lsr_err: u8,
    pub scr: u8,
    pub dll: u8,
    pub dlm: u8,
    pub fcr: u8,
    pub rx: VecDeque<u8>,
    /// A THR-empty interrupt is pending (cleared by reading IIR or writing THR).
    pub thre_pending: bool,
}

pub struct Uart16550 {
    st: Uart16550State,
    irq: IrqLine,
    out: Box<dyn Write + Send>,
}

impl Uart16550 {
    pub fn new(irq: IrqLine, out: Box<dyn Write + Send>) -> Self {
        Uart16550 { st: Uart16550State::default(), irq, out }
    }
    pub fn state(&self) -> &Uart16550State {
        &self.st
    }
    pub fn from_state(st: Uart16550State, irq: IrqLine, out: Box<dyn Write + Send>) -> Self {
        let mut u = Uart16550 { st, irq, out };
        u.update_irq();
        u
    }

    /// Free space in the receive FIFO.
    pub fn rx_space(&self) -> usize {
        RX_FIFO.saturating_sub(self.st.rx.len())
    }

    /// Host input: bytes beyond the FIFO's space are dropped with an overrun, as on the
    /// real part. The machine calls `rx_space` first so nothing is lost.
    pub fn push_input(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.st.rx.len() < RX_FIFO {
                self.st.rx.push_back(b);
            } else {
                self.st.lsr_err |= LSR_OE;
            }
        }
        self.update_irq();
    }

    fn lsr(&self) -> u8 {
        let mut v = LSR_THRE | LSR_TEMT | self.st.lsr_err;
        if !self.st.rx.is_empty() {
            v |= LSR_DR;
        }
        v
    }

    /// Interrupt identification: highest-priority pending source.
    fn iir(&self) -> u8 {
        let fifo = if self.st.fcr & FCR_ENABLE != 0 { 0xc0 } else { 0 };
        let ier = self.st.ier;
        let id = if ier & IER_ELSI != 0 && self.st.lsr_err & (LSR_OE | LSR_BI) != 0 {
            0x06
        } else if ier & IER_ERBFI != 0 && !self.st.rx.is_empty() {
            0x04
        } else if ier & IER_ETBEI != 0 && self.st.thre_pending {
            0x02
        } else {
            0x01
        };
        fifo | id
    }

    fn update_irq(&mut self) {
        self.irq.set_level(self.iir() & 1 == 0);
    }

    fn transmit(&mut self, b: u8) {
        if self.st.mcr & MCR_LOOP != 0 {
            if self.st.rx.len() < RX_FIFO {
                self.st.rx.push_back(b);
            } else {
                self.st.lsr_err |= LSR_OE;
            }
        } else {
            // Host output errors (closed pipe) must not stop the guest.
            let _ = self.out.write_all(&[b]);
            if b == b'\n' {
                let _ = self.out.flush();
            }
        }
        self.st.thre_pending = true;
    }

    fn msr(&self) -> u8 {
        if self.st.mcr & MCR_LOOP != 0 {
            // Loopback: CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2.
            let m = self.st.mcr;
            ((m & 0x02) << 3) | ((m & 0x01) << 5) | ((m & 0x04) << 4) | ((m & 0x08) << 4)
        } else {
            // CTS, DSR and DCD asserted: a terminal is always connected.
            0xb0
        }
    }

    /// Flushes buffered host output.
    pub fn flush(&mut self) {
        let _ = self.out.flush();
    }
}

impl Mmio for Uart16550 {
    fn read(&mut self, _cx: &mut DevCtx, off: u64, size: Size) -> MmioResult<u64> {
        if size != Size::B1 {
            return Err(MmioError::BadSize);
        }
        let dlab = self.st.lcr & LCR_DLAB != 0;
        let v = match off {
            regs::RBR_THR_DLL if dlab => self.st.dll,
            regs::RBR_THR_DLL => {
                let b = self.st.rx.pop_front().unwrap_or(0);
                self.update_irq();
                b
            }
            regs::IER_DLM if dlab => self.st.dlm,
            regs::IER_DLM => self.st.ier,
            regs::IIR_FCR => {
                let v = self.iir();
                if v & 0x0f == 0x02 {
                    self.st.thre_pending = false;
                    self.update_irq();
                }
                v
            }
            regs::LCR => self.st.lcr,
            regs::MCR => self.st.mcr,
            regs::LSR => {
                let v = self.lsr();
                self.st.lsr_err = 0; // error bits clear on read
                self.update_irq();
                v
            }
            regs::MSR => self.msr(),
            regs::SCR => self.st.scr,
            _ => return Err(MmioError::NoRegister),
        };
        Ok(v as u64)
    }

    fn write(&mut self, _cx: &mut DevCtx, off: u64, size: Size, val: u64) -> MmioResult<()> {
        if size != Size::B1 {
            return Err(MmioError::BadSize);
        }
        let v = val as u8;
        let dlab = self.st.lcr & LCR_DLAB != 0;
        match off {
            regs::RBR_THR_DLL if dlab => self.st.dll = v,
            regs::RBR_THR_DLL => self.transmit(v),
            regs::IER_DLM if dlab => self.st.dlm = v,
            regs::IER_DLM => {
                let old = self.st.ier;
                self.st.ier = v & (IER_ERBFI | IER_ETBEI | IER_ELSI | IER_EDSSI);
                // Enabling the THRE interrupt while THR is empty raises it at once.
                if old & IER_ETBEI == 0 && self.st.ier & IER_ETBEI != 0 {
                    self.st.thre_pending = true;
                }
            }
            regs::IIR_FCR => {
                self.st.fcr = v & 0xc9;
                if v & FCR_CLEAR_RX != 0 {
                    self.st.rx.clear();
                }
            }
            regs::LCR => self.st.lcr = v,
            regs::MCR => self.st.mcr = v & 0x1f,
            regs::LSR | regs::MSR => {} // read-only: writes ignored (as on the 16550)
            regs::SCR => self.st.scr = v,
            _ => return Err(MmioError::NoRegister),
        }
        self.update_irq();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scheduler;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn uart() -> (Uart16550, Sink, IrqLine) {
        let s = Sink::default();
        let irq = IrqLine::detached();
        (Uart16550::new(irq.clone(), Box::new(s.clone())), s, irq)
    }

    fn rd(u: &mut Uart16550, off: u64) -> u8 {
        let mut sched = Scheduler::default();
        let mut cx = DevCtx { now: 0, sched: &mut sched };
        u.read(&mut cx, off, Size::B1).unwrap() as u8
    }
    fn wr(u: &mut Uart16550, off: u64, v: u8) {
        let mut sched = Scheduler::default();
        let mut cx = DevCtx { now: 0, sched: &mut sched };
        u.write(&mut cx, off, Size::B1, v as u64).unwrap()
    }

    #[test]
    fn test_thr_transmits_to_output() {
        let (mut u, s, _) = uart();
        for b in b"hi\n" {
            wr(&mut u, regs::RBR_THR_DLL, *b);
        }
        assert_eq!(&*s.0.lock().unwrap(), b"hi\n");
        // Transmitter always idle: THRE and TEMT set (datasheet LSR bits 5, 6).
        assert_eq!(rd(&mut u, regs::LSR) & 0x60, 0x60);
    }

    #[test]
    fn test_dlab_selects_divisor_latches() {
        let (mut u, s, _) = uart();
        wr(&mut u, regs::LCR, 0x83);
        wr(&mut u, regs::RBR_THR_DLL, 0x36);
        wr(&mut u, regs::IER_DLM, 0x01);
        assert_eq!(rd(&mut u, regs::RBR_THR_DLL), 0x36);
        assert_eq!(rd(&mut u, regs::IER_DLM), 0x01);
        wr(&mut u, regs::LCR, 0x03);
        assert_eq!(rd(&mut u, regs::IER_DLM), 0x00);
        assert!(s.0.lock().unwrap().is_empty(), "divisor writes must not transmit");
    }

    #[test]
    fn test_rbr_receive_and_interrupt() {
        let (mut u, _, irq) = uart();
        wr(&mut u, regs::IER_DLM, IER_ERBFI);
        assert!(!irq.level());
        u.push_input(b"ab");
        assert!(irq.level());
        assert_eq!(rd(&mut u, regs::IIR_FCR) & 0x0f, 0x04, "IIR: received data available");
        assert_eq!(rd(&mut u, regs::LSR) & LSR_DR, LSR_DR);
        assert_eq!(rd(&mut u, regs::RBR_THR_DLL), b'a');
        assert_eq!(rd(&mut u, regs::RBR_THR_DLL), b'b');
        assert_eq!(rd(&mut u, regs::LSR) & LSR_DR, 0);
        assert!(!irq.level());
        assert_eq!(rd(&mut u, regs::IIR_FCR) & 0x0f, 0x01, "IIR: no interrupt pending");
    }

    #[test]
    fn test_ier_thre_interrupt_cleared_by_iir_read() {
        let (mut u, _, irq) = uart();
        wr(&mut u, regs::IER_DLM, IER_ETBEI);
        assert!(irq.level());
        assert_eq!(rd(&mut u, regs::IIR_FCR) & 0x0f, 0x02);
        assert!(!irq.level());
        wr(&mut u, regs::RBR_THR_DLL, b'x');
        assert!(irq.level(), "THR empty again after transmission");
    }

    #[test]
    fn test_fcr_enables_fifo_bits_in_iir() {
        let (mut u, _, _) = uart();
        assert_eq!(rd(&mut u, regs::IIR_FCR) & 0xc0, 0);
        wr(&mut u, regs::IIR_FCR, 0x07);
        assert_eq!(rd(&mut u, regs::IIR_FCR) & 0xc0, 0xc0, "16550A reports FIFOs enabled");
    }

    #[test]
    fn test_mcr_loopback() {
        let (mut u, s, _) = uart();
        wr(&mut u, regs::MCR, MCR_LOOP | 0x0a); // loop, RTS, OUT2
        assert_eq!(rd(&mut u, regs::MSR) & 0xf0, 0x90, "CTS from RTS, DCD from OUT2");
        wr(&mut u, regs::RBR_THR_DLL, 0x5a);
        assert_eq!(rd(&mut u, regs::RBR_THR_DLL), 0x5a);
        assert!(s.0.lock().unwrap().is_empty());
    }

    #[test]
    fn test_rx_overrun_sets_oe() {
        let (mut u, _, _) = uart();
        u.push_input(&[0u8; 17]);
        assert_eq!(rd(&mut u, regs::LSR) & LSR_OE, LSR_OE);
        assert_eq!(rd(&mut u, regs::LSR) & LSR_OE, 0, "OE clears on LSR read");
    }

    #[test]
    fn test_invalid_offset_and_size() {
        let (mut u, _, _) = uart();
        let mut sched = Scheduler::default();
        let mut cx = DevCtx { now: 0, sched: &mut sched };
        assert_eq!(u.read(&mut cx, 8, Size::B1), Err(MmioError::NoRegister));
        assert_eq!(u.read(&mut cx, 0, Size::B4), Err(MmioError::BadSize));
        assert_eq!(u.write(&mut cx, 0x10, Size::B1, 0), Err(MmioError::NoRegister));
        assert_eq!(u.write(&mut cx, 0, Size::B2, 0), Err(MmioError::BadSize));
    }
}
