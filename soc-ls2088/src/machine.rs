//! The machine: PEs, RAM and devices from the board table, the event scheduler and the
//! deterministic round-robin run loop.

use crate::board::{self, Kind};
use cpu_aarch64::interp::{self, Exit};
use cpu_aarch64::platform::{BusAttrs, BusError, Hooked, IrqLevels, PhysAddr, RamSpan};
use cpu_aarch64::{Bus, Cpu, CpuConfig, Platform};
use devices::uart16550::Uart16550;
use devices::{DevCtx, IrqBank, IrqLine, Mmio, MmioError, Scheduler, Size};
use firmware::loaders::Image;
use firmware::semihosting::Semihosting;
use std::io::Write;
use std::sync::Arc;

/// Instructions each PE runs per round-robin turn (and virtual nanoseconds per quantum).
pub const QUANTUM: u64 = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum MachineError {
    #[error("RAM size {0:#x} is not supported (from 16 MiB to 512 GiB, a multiple of 1 MiB)")]
    BadRamSize(u64),
    #[error("--smp {0}: the LS2088A has 1 to 8 cores")]
    BadSmp(u32),
    #[error("image segment at {addr:#x}..{end:#x} is not inside RAM")]
    SegmentOutsideRam { addr: u64, end: u64 },
    #[error("entry point {0:#x} is not inside RAM")]
    EntryOutsideRam(u64),
}

/// How to build the machine.
pub struct MachineConfig {
    pub ram_size: u64,
    pub smp: u32,
    pub semihosting: bool,
    /// Console output (UART transmit, semihosting stdout).
    pub console: Box<dyn FnMut() -> Box<dyn Write + Send>>,
    /// Semihosting stderr.
    pub stderr: Box<dyn Write + Send>,
}

/// Why the machine stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunExit {
    /// The guest asked to stop (semihosting exit, PSCI SYSTEM_OFF) with this code.
    Halt(i32),
    /// Every PE waits for an interrupt no device can raise.
    Deadlock { pcs: Vec<u64> },
    /// Every PE is off.
    AllOff,
    /// The instruction limit was reached.
    InsnLimit,
    /// A PE took an exception on every step of a whole quantum without leaving its
    /// vector (e.g. no vector table and the MMU off): the guest cannot make progress.
    ExceptionLoop { cpu: u8, pc: u64, esr: u64, el: u8 },
}

struct Ram {
    base: u64,
    data: Vec<u8>,
}

struct Mapped {
    name: &'static str,
    base: u64,
    size: u64,
    dev: Box<dyn Mmio + Send>,
}

/// Everything a PE sees outside itself: RAM, devices, firmware hooks.
pub struct SysBus {
    ram: Vec<Ram>,
    devs: Vec<Mapped>,
    pub sched: Scheduler,
    pub irqs: Arc<IrqBank>,
    semihosting: Option<Semihosting>,
    /// Virtual time at the start of the current quantum, and the running PE's icount then.
    quantum_ns: u64,
    quantum_icount: u64,
    cur_icount: u64,
    bad_access_logged: u32,
}

impl SysBus {
    fn now(&self) -> u64 {
        self.quantum_ns + self.cur_icount.saturating_sub(self.quantum_icount)
    }

    fn ram_slice(&mut self, pa: u64, len: usize) -> Option<&mut [u8]> {
        for r in &mut self.ram {
            if pa >= r.base && pa - r.base + len as u64 <= r.data.len() as u64 {
                let off = (pa - r.base) as usize;
                return Some(&mut r.data[off..off + len]);
            }
        }
        None
    }

    fn device(&mut self, pa: u64) -> Option<usize> {
        self.devs.iter().position(|d| pa >= d.base && pa - d.base < d.size)
    }

    fn log_bad(&mut self, what: std::fmt::Arguments<'_>) {
        if self.bad_access_logged < 64 {
            self.bad_access_logged += 1;
            tracing::warn!(target: "bus", "{what}");
        }
    }

    /// Copies an image into RAM.
    pub fn load(&mut self, img: &Image) -> Result<(), MachineError> {
        for s in &img.segments {
            let end = s.addr.saturating_add(s.mem_size);
            let Some(dst) = self.ram_slice(s.addr, s.mem_size as usize) else {
                return Err(MachineError::SegmentOutsideRam { addr: s.addr, end });
            };
            dst[..s.data.len()].copy_from_slice(&s.data);
            dst[s.data.len()..].fill(0);
        }
        if self.ram_slice(img.entry, 4).is_none() {
            return Err(MachineError::EntryOutsideRam(img.entry));
        }
        Ok(())
    }
}

impl Bus for SysBus {
    fn read(&mut self, pa: PhysAddr, buf: &mut [u8], _a: BusAttrs) -> Result<(), BusError> {
        if let Some(m) = self.ram_slice(pa.0, buf.len()) {
            buf.copy_from_slice(m);
            return Ok(());
        }
        let Some(i) = self.device(pa.0) else {
            self.log_bad(format_args!("read of {} bytes at unmapped physical address {:#x}", buf.len(), pa.0));
            return Err(BusError::Unmapped);
        };
        let now = self.now();
        let d = &mut self.devs[i];
        let off = pa.0 - d.base;
        let mut cx = DevCtx { now, sched: &mut self.sched };
        let r = match Size::from_bytes(buf.len()) {
            Some(sz) => d.dev.read(&mut cx, off, sz),
            None => Err(MmioError::BadSize),
        };
        match r {
            Ok(v) => {
                let n = buf.len();
                buf.copy_from_slice(&v.to_le_bytes()[..n]);
                Ok(())
            }
            Err(MmioError::Slave) => Err(BusError::Slave),
            Err(e) => {
                let name = d.name;
                self.log_bad(format_args!("{name}: read of {} bytes at offset {off:#x}: {e}; reads as zero", buf.len()));
                buf.fill(0);
                Ok(())
            }
        }
    }

    fn write(&mut self, pa: PhysAddr, buf: &[u8], _a: BusAttrs) -> Result<(), BusError> {
        if let Some(m) = self.ram_slice(pa.0, buf.len()) {
            m.copy_from_slice(buf);
            return Ok(());
        }
        let Some(i) = self.device(pa.0) else {
            self.log_bad(format_args!("write of {} bytes at unmapped physical address {:#x}", buf.len(), pa.0));
            return Err(BusError::Unmapped);
        };
        let now = self.now();
        let d = &mut self.devs[i];
        let off = pa.0 - d.base;
        let mut cx = DevCtx { now, sched: &mut self.sched };
        let mut v = [0u8; 8];
        let r = match Size::from_bytes(buf.len()) {
            Some(sz) => {
                v[..buf.len()].copy_from_slice(buf);
                d.dev.write(&mut cx, off, sz, u64::from_le_bytes(v))
            }
            None => Err(MmioError::BadSize),
        };
        match r {
            Ok(()) => Ok(()),
            Err(MmioError::Slave) => Err(BusError::Slave),
            Err(e) => {
                let name = d.name;
                self.log_bad(format_args!("{name}: write of {} bytes at offset {off:#x}: {e}; ignored", buf.len()));
                Ok(())
            }
        }
    }

    fn ram_span(&self, pa: PhysAddr) -> Option<RamSpan> {
        self.ram.iter().find(|r| pa.0 >= r.base && pa.0 - r.base < r.data.len() as u64).map(|r| RamSpan {
            base: PhysAddr(r.base),
            len: r.data.len() as u64,
            host: r.data.as_ptr() as *mut u8,
        })
    }
}

impl Platform for SysBus {
    fn counter(&self) -> u64 {
        // CNTPCT at 25 MHz from virtual nanoseconds.
        (self.now() as u128 * board::CNTFRQ_HZ as u128 / 1_000_000_000) as u64
    }
    fn counter_at(&self, icount: u64) -> u64 {
        let now = self.quantum_ns + icount.saturating_sub(self.quantum_icount);
        (now as u128 * board::CNTFRQ_HZ as u128 / 1_000_000_000) as u64
    }
    fn irq_levels(&self, _cpu: u8) -> IrqLevels {
        IrqLevels::default()
    }
    fn hlt(&mut self, cpu: &mut Cpu, imm: u16) -> Hooked {
        if imm != 0xf000 {
            return Hooked::No;
        }
        let Some(mut sh) = self.semihosting.take() else {
            return Hooked::No;
        };
        self.cur_icount = cpu.icount;
        let now = self.now();
        let r = sh.call(cpu, self, now);
        self.semihosting = Some(sh);
        r
    }
}

/// The LS2088A-RDB machine.
pub struct Machine {
    pub cpus: Vec<Cpu>,
    pub bus: SysBus,
    /// Virtual time in nanoseconds.
    pub now_ns: u64,
}

impl Machine {
    pub fn new(mut cfg: MachineConfig) -> Result<Machine, MachineError> {
        let mib = 1u64 << 20;
        if cfg.ram_size < 16 * mib || cfg.ram_size % mib != 0 || cfg.ram_size > 512 * board::GIB {
            return Err(MachineError::BadRamSize(cfg.ram_size));
        }
        if cfg.smp == 0 || cfg.smp > 8 {
            return Err(MachineError::BadSmp(cfg.smp));
        }
        let mut ram = vec![Ram { base: board::DRAM0_BASE, data: vec![0; cfg.ram_size.min(board::DRAM0_SIZE) as usize] }];
        if cfg.ram_size > board::DRAM0_SIZE {
            ram.push(Ram { base: board::DRAM1_BASE, data: vec![0; (cfg.ram_size - board::DRAM0_SIZE) as usize] });
        }
        let irqs = IrqBank::new(32 + 256);
        let mut devs = Vec::new();
        for r in board::REGIONS {
            match r.kind {
                Kind::Dram => {}
                Kind::Uart16550 => {
                    let line = IrqLine::new(irqs.clone(), r.intid.unwrap_or(0));
                    devs.push(Mapped {
                        name: r.name,
                        base: r.base,
                        size: r.size,
                        dev: Box::new(Uart16550::new(line, (cfg.console)())),
                    });
                }
            }
        }
        let semihosting = if cfg.semihosting {
            let mut sh = Semihosting::new((cfg.console)(), std::mem::replace(&mut cfg.stderr, Box::new(std::io::sink())));
            // Heap in the upper half of the first bank, stack at its top.
            let top = board::DRAM0_BASE + cfg.ram_size.min(board::DRAM0_SIZE);
            let mid = board::DRAM0_BASE + cfg.ram_size.min(board::DRAM0_SIZE) / 2;
            sh.heapinfo = [mid, top - (1 << 20), top, top - (1 << 20)];
            Some(sh)
        } else {
            None
        };
        let cpus = (0..cfg.smp as u8)
            .map(|i| {
                let mut c = Cpu::new(CpuConfig { index: i, mpidr: board::mpidr(i), has_el2: true, has_el3: true });
                c.off = i != 0;
                c
            })
            .collect();
        Ok(Machine {
            cpus,
            bus: SysBus {
                ram,
                devs,
                sched: Scheduler::default(),
                irqs,
                semihosting,
                quantum_ns: 0,
                quantum_icount: 0,
                cur_icount: 0,
                bad_access_logged: 0,
            },
            now_ns: 0,
        })
    }

    /// Loads `img` and points the boot PE at its entry (EL3, MMU off: the reset state).
    pub fn load_boot_image(&mut self, img: &Image) -> Result<(), MachineError> {
        self.bus.load(img)?;
        let c = &mut self.cpus[0];
        c.reset(img.entry);
        c.sys.cntfrq_el0 = board::CNTFRQ_HZ;
        Ok(())
    }

    /// Runs until the guest stops, deadlocks, or `max_insns` (total) are retired.
    pub fn run(&mut self, max_insns: Option<u64>) -> RunExit {
        let mut total: u64 = 0;
        loop {
            let mut all_off = true;
            let mut all_wait = true;
            for c in self.cpus.iter_mut() {
                if c.off {
                    continue;
                }
                all_off = false;
                let budget = match max_insns {
                    Some(m) => QUANTUM.min(m.saturating_sub(total)),
                    None => QUANTUM,
                };
                if budget == 0 {
                    return RunExit::InsnLimit;
                }
                self.bus.quantum_ns = self.now_ns;
                self.bus.quantum_icount = c.icount;
                self.bus.cur_icount = c.icount;
                let before = c.icount;
                let exc_before = c.stats.exceptions;
                let x = interp::run(c, &mut self.bus, budget);
                total += c.icount - before;
                if c.icount - before >= QUANTUM && c.stats.exceptions - exc_before >= c.icount - before {
                    let el = c.st.pstate.el;
                    return RunExit::ExceptionLoop { cpu: c.cfg.index, pc: c.st.pc, esr: c.sys.esr[el as usize], el };
                }
                match x {
                    Exit::Halt(code) => return RunExit::Halt(code),
                    Exit::Wait | Exit::Off => {}
                    Exit::Budget => all_wait = false,
                }
                if c.waiting.is_none() && !c.off {
                    all_wait = false;
                }
            }
            if all_off {
                return RunExit::AllOff;
            }
            if let Some(m) = max_insns {
                if total >= m {
                    return RunExit::InsnLimit;
                }
            }
            if all_wait {
                match self.bus.sched.next_deadline() {
                    Some(t) if t > self.now_ns => self.now_ns = t,
                    Some(_) => self.now_ns += QUANTUM,
                    None => {
                        let pcs = self.cpus.iter().filter(|c| !c.off).map(|c| c.st.pc).collect();
                        return RunExit::Deadlock { pcs };
                    }
                }
            } else {
                self.now_ns += QUANTUM;
            }
        }
    }

    /// The semihosting state, when enabled.
    pub fn semihosting_mut(&mut self) -> Option<&mut Semihosting> {
        self.bus.semihosting.as_mut()
    }

    /// Total instructions retired by all PEs.
    pub fn icount(&self) -> u64 {
        self.cpus.iter().map(|c| c.icount).sum()
    }
}
