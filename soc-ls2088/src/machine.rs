//! The machine: PEs, RAM and devices from the board table, the GIC, the built-in EL3
//! firmware (PSCI), the event scheduler and the deterministic round-robin run loop.
//!
//! Time: PEs run in turn for a quantum of at most `QUANTUM` instructions; one retired
//! instruction is one nanosecond of virtual time. A PE's view of the system counter is the
//! quantum's start time plus its own progress in the quantum, so the counter is exact and
//! deterministic. When every running PE waits (WFI/WFE), time jumps to the next event
//! (a device event or a generic timer deadline).

use crate::board::{self, Kind};
use cpu_aarch64::engine::{Engine, Interpreter};
use cpu_aarch64::interp::Exit;
use cpu_aarch64::mmu::TlbiOp;
use cpu_aarch64::platform::{BusAttrs, BusError, Hooked, IccContext, IccResult, IrqLevels, PhysAddr, RamSpan};
use cpu_aarch64::sysreg::SysRegEnc;
use cpu_aarch64::{Bus, Cpu, CpuConfig, Platform};
use devices::gic::{CpuCtx, Gic, GicConfig, IccOutcome, SysRegId};
use devices::uart16550::Uart16550;
use devices::{DevCtx, IrqBank, IrqLine, Mmio, MmioError, Scheduler, Size};
use firmware::loaders::Image;
use firmware::psci::{PowerAction, Psci, PsciConfig};
use firmware::semihosting::Semihosting;
use std::io::Write;
use std::sync::Arc;

/// Instructions each PE runs per round-robin turn (and virtual nanoseconds per quantum).
pub const QUANTUM: u64 = 10_000;

/// The longest idle time skip, in virtual (and slept wall) nanoseconds, while a live host
/// network backend is attached or the console is interactive (`Machine::idle_until`).
const IDLE_PACE_NS: u64 = 200_000;

/// Nanoseconds per tick of the 25 MHz system counter.
const NS_PER_TICK: u64 = 1_000_000_000 / board::CNTFRQ_HZ;

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
    /// A file to place in RAM could not be read (see `FileSegment::read_into`).
    #[error("{0}")]
    File(String),
}

/// Which firmware the machine provides at EL3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firmware {
    /// None: the guest program is the EL3 software (`lsemu run`); SMCs trap to EL3.
    BareMetal,
    /// The built-in EL3 monitor: PSCI 1.1 and SMCCC 1.1 answered by `firmware::psci`,
    /// the GIC initialised for a Non-secure kernel as TF-A does.
    Builtin,
}

/// How to build the machine.
pub struct MachineConfig {
    pub ram_size: u64,
    pub smp: u32,
    pub semihosting: bool,
    pub firmware: Firmware,
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
    /// PSCI SYSTEM_RESET or a reset request: the caller may reset and run again.
    Reset,
    /// Every PE waits for an interrupt no device can raise.
    Deadlock { pcs: Vec<u64> },
    /// Every PE is off.
    AllOff,
    /// The instruction limit was reached.
    InsnLimit,
    /// The user quit from the console (Ctrl-A X).
    UserQuit,
    /// A host debugger breakpoint or watchpoint stopped this PE (`Cpu::host_debug.hit`).
    Debug { cpu: u8 },
    /// A PE took an exception on every step of a whole quantum without leaving its
    /// vector (e.g. no vector table and the MMU off): the guest cannot make progress.
    ExceptionLoop { cpu: u8, pc: u64, esr: u64, el: u8 },
}

/// A zeroed block of guest RAM. Its pages are only backed when first touched; the
/// kernel is asked to back them with transparent huge pages (`MADV_HUGEPAGE`, which hosts
/// set to `madvise` mode honour), so a guest touching its memory costs one host page
/// fault per 2 MiB instead of per 4 KiB and fewer host TLB misses. Advice only: without
/// THP the block is ordinary 4 KiB pages.
fn ram_block(size: usize) -> Vec<u8> {
    let v = vec![0u8; size];
    let huge = 2 << 20;
    let start = (v.as_ptr() as usize).next_multiple_of(huge);
    let end = (v.as_ptr() as usize + size) & !(huge - 1);
    if end > start {
        // SAFETY: [start, end) lies inside `v`'s allocation; madvise only changes how
        // the kernel backs those pages, not their contents (all zero).
        unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE) };
    }
    v
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

struct UartSlot {
    name: &'static str,
    base: u64,
    uart: Uart16550,
}

/// Cross-PE effects recorded while one PE runs, applied to the others after its turn
/// (they are not running then, so the order is the same as on hardware with the
/// instigating PE's barrier completing before the others observe anything).
#[derive(Default)]
struct Pending {
    tlbi: Vec<(u8, TlbiOp, u64)>,
    sev: Vec<u8>,
    /// (storing PE, physical address, length) of stores that hit another PE's
    /// exclusive reservation granule.
    snoops: Vec<(u8, u64, usize)>,
}

/// Why a device's MSI write had no effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MsiError {
    #[error("the SMMU terminated the MSI write ({0:?})")]
    Smmu(devices::smmu::SmmuFault),
    #[error("the ITS ignored the MSI: {0}")]
    Its(devices::gic::ItsError),
    #[error("MSI write to {0:#x}, which is neither GITS_TRANSLATER nor RAM")]
    Target(u64),
}

/// Everything a PE sees outside itself: RAM, devices, firmware hooks.
pub struct SysBus {
    ram: Vec<Ram>,
    devs: Vec<Mapped>,
    uarts: Vec<UartSlot>,
    rstcr: devices::rstcr::Rstcr,
    /// SP805 watchdogs (base, model): polled at quantum boundaries for reset requests.
    watchdogs: Vec<(u64, devices::sp805::Sp805)>,
    pub gic: Gic,
    /// The MMU-500 SMMU: bus masters behind it do their DMA through [`SysBus::with_dma`].
    pub smmu: devices::smmu::Smmu,
    /// The Management Complex (MC portals, MC CCSR, MC firmware model).
    pub mc: devices::fslmc::Mc,
    /// Host network backends given with `--net ENDPOINT=SPEC` (endpoint "dpmac.N"/"dpni.N"),
    /// in command-line order; the MC's DPNI data path uses them at each pump
    /// (`Mc::pump_net`: sends at every pump, receives at quantum boundaries).
    pub net_backends: Vec<devices::net::Attached>,
    /// PCIe controller 1 (PEX1) with its endpoint, when a PCIe device is attached
    /// ([`Machine::attach_pcie`]); otherwise its windows are unmapped.
    pub pcie: Option<devices::pcie::Pcie>,
    /// SPI inputs of the GIC (line n = SPI n = INTID 32 + n).
    pub spis: Arc<IrqBank>,
    pub sched: Scheduler,
    semihosting: Option<Semihosting>,
    psci: Option<Psci>,
    pending: Pending,
    /// Exclusive reservations (PA of the granule) of every PE at the start of the current
    /// turn, so stores by the running PE can clear the others' monitors.
    reservations: Vec<Option<u64>>,
    /// Virtual time at the start of the current quantum, and the running PE's icount then.
    quantum_ns: u64,
    quantum_icount: u64,
    cur_icount: u64,
    bad_access_logged: u32,
    /// Guest RAM written other than by a PE's store (device DMA such as the ITS tables,
    /// semihosting), for the execution engine's code caches (`Platform::take_ram_writes`).
    ram_writes: Vec<(u64, u64)>,
    /// Log `Bus::write`s to RAM in `ram_writes` (while a firmware hook runs).
    log_ram_writes: bool,
    /// Tracing of MMIO accesses and firmware calls (`trace::MMIO`, `trace::PSCI`).
    pub trace: cpu_aarch64::trace::Tracer,
    /// MMIO accesses per device (board-table name): [reads, writes].
    mmio_counts: std::collections::BTreeMap<&'static str, [u64; 2]>,
    /// Set by `Machine::turn` while the running PE's turn may go on into its next turns
    /// without returning (`Platform::continue_run`).
    cont: Option<Cont>,
    /// The machine's host console input during such a turn (`Machine::set_input`), and
    /// what `continue_run` received from it (ending the turn there; `Machine::poll_input`
    /// takes it first).
    cont_input: Option<std::sync::mpsc::Receiver<HostInput>>,
    cont_input_got: Option<HostInput>,
}

/// A turn that may continue into the PE's next turns (`Platform::continue_run`): the PE
/// is the only one on, and nothing but time passes between its turns (`Machine::run`
/// checks the conditions outside the bus, `continue_run` those inside).
#[derive(Debug, Clone, Copy)]
struct Cont {
    /// The running PE.
    cpu: usize,
    /// Virtual time at the start of the current quantum (`Machine::now_ns` for it).
    now_ns: u64,
    /// The PE's icount and exception count at the start of the current turn.
    icount: u64,
    exceptions: u64,
    /// Instructions `Machine::run` may still run after the current turn (`max_insns`).
    allowed: u64,
}

/// The PPIs of a PE's four timers with their output levels `t`.
fn timer_ppis(t: cpu_aarch64::sysreg::timer::TimerLevels) -> [(u32, bool); 4] {
    [
        (board::TIMER_PHYS_INTID, t.phys),
        (board::TIMER_VIRT_INTID, t.virt),
        (board::TIMER_HYP_INTID, t.hyp),
        (board::TIMER_SEC_PHYS_INTID, t.sec_phys),
    ]
}

/// Drives PE `i`'s timer PPIs and GIC context from its state at system counter `counter`.
fn drive_cpu_irqs(g: &mut Gic, i: usize, c: &Cpu, counter: u64) {
    for (intid, level) in timer_ppis(c.timer_irqs(counter)) {
        g.set_ppi(i, intid, level);
    }
    g.set_cpu_ctx(i, CpuCtx { el: c.st.pstate.el, secure: c.is_secure() });
}

/// Guest RAM as the DMA space of bus masters (physical addresses; no SMMU yet).
struct RamDma<'a>(&'a mut [Ram], &'a mut Vec<(u64, u64)>);

impl RamDma<'_> {
    fn slice(&mut self, pa: u64, len: usize) -> Option<&mut [u8]> {
        let r = self.0.iter_mut().find(|r| pa >= r.base && pa - r.base <= r.data.len() as u64)?;
        let off = (pa - r.base) as usize;
        r.data.get_mut(off..off.checked_add(len)?)
    }
}

impl devices::DmaSpace for RamDma<'_> {
    fn read(&mut self, pa: u64, buf: &mut [u8]) -> Result<(), devices::DmaError> {
        buf.copy_from_slice(self.slice(pa, buf.len()).ok_or(devices::DmaError::Unmapped)?);
        Ok(())
    }
    fn write(&mut self, pa: u64, buf: &[u8]) -> Result<(), devices::DmaError> {
        self.slice(pa, buf.len()).ok_or(devices::DmaError::Unmapped)?.copy_from_slice(buf);
        self.1.push((pa, buf.len() as u64));
        Ok(())
    }
}

/// Guest memory as DPAA2 bus masters see it: each access goes through the SMMU with
/// StreamID = the master's ICID (the fsl-mc `iommu-map` is the identity on ICIDs).
struct IcidBusDma<'a> {
    smmu: &'a mut devices::smmu::Smmu,
    ram: &'a mut [Ram],
    writes: &'a mut Vec<(u64, u64)>,
}

impl devices::fslmc::dpni::IcidDma for IcidBusDma<'_> {
    fn read(&mut self, icid: u16, pa: u64, buf: &mut [u8]) -> Result<(), devices::DmaError> {
        let mut ram = RamDma(self.ram, self.writes);
        devices::DmaSpace::read(&mut devices::smmu::SmmuDma { smmu: self.smmu, mem: &mut ram, stream_id: icid as u32 }, pa, buf)
    }
    fn write(&mut self, icid: u16, pa: u64, buf: &[u8]) -> Result<(), devices::DmaError> {
        let mut ram = RamDma(self.ram, self.writes);
        devices::DmaSpace::write(&mut devices::smmu::SmmuDma { smmu: self.smmu, mem: &mut ram, stream_id: icid as u32 }, pa, buf)
    }
}

impl SysBus {
    /// Moves DPAA2 frames and events: the MC's data path pump (QBMan configuration from
    /// MC commands, DPNI Tx/Rx by DMA, portal interrupts), then the MSIs it raised.
    /// Called after each MC or QBMan portal access and at the start of each CPU turn.
    pub fn pump_mc(&mut self) {
        self.pump_mc_net(false);
    }

    /// `pump_mc`, also taking the frames waiting in the host network backends when
    /// `poll_host` (at quantum boundaries only, for determinism).
    fn pump_mc_net(&mut self, poll_host: bool) {
        if self.net_backends.is_empty() && self.mc.net_idle() {
            return;
        }
        let now = self.now();
        for (_, b) in self.net_backends.iter_mut() {
            b.set_time_ns(now);
        }
        let mut dma = IcidBusDma { smmu: &mut self.smmu, ram: &mut self.ram, writes: &mut self.ram_writes };
        self.mc.pump_net(&mut dma, &mut self.net_backends, poll_host);
        self.deliver_mc_msis();
    }

    /// An MSI from a device: `event_id` written to GITS_TRANSLATER with side-band
    /// `device_id` (IHI 0069 §5.2). Errors mean the write was ignored.
    pub fn its_translate(&mut self, device_id: u32, event_id: u32) -> Result<(), devices::gic::ItsError> {
        self.gic.its_translate(&mut RamDma(&mut self.ram, &mut self.ram_writes), device_id, event_id)
    }

    /// Runs `f` with the DMA space of bus master `stream_id` as the SMMU presents it:
    /// every access is translated (or bypassed, or faulted and reported) by the SMMU with
    /// that stream ID before it reaches guest RAM. fsl-mc/DPAA2 objects use their
    /// container's ICID as stream ID (ls2088a-reference.md §3).
    pub fn with_dma<R>(&mut self, stream_id: u32, f: impl FnOnce(&mut dyn devices::DmaSpace) -> R) -> R {
        let mut ram = RamDma(&mut self.ram, &mut self.ram_writes);
        let mut dma = devices::smmu::SmmuDma { smmu: &mut self.smmu, mem: &mut ram, stream_id };
        f(&mut dma)
    }

    /// An MSI from bus master `stream_id`: the 32-bit write of `data` to `addr` goes
    /// through the SMMU like any DMA (with an IOMMU DMA domain, `addr` is an IOVA Linux
    /// mapped onto the ITS page, ls2088a-reference.md §2.3); landing on GITS_TRANSLATER it
    /// is an ITS translation with side-band `device_id` (fsl-mc: the container ICID),
    /// landing in RAM a plain memory write.
    pub fn device_msi(&mut self, stream_id: u32, device_id: u32, addr: u64, data: u32) -> Result<(), MsiError> {
        let pa = self.smmu.translate(&mut RamDma(&mut self.ram, &mut self.ram_writes), stream_id, addr, devices::smmu::DmaDir::Write).map_err(MsiError::Smmu)?;
        if pa == board::GIC_BASE + devices::gic::GITS_OFFSET + devices::gic::its::gits::TRANSLATER {
            return self.its_translate(device_id, data).map_err(MsiError::Its);
        }
        devices::DmaSpace::write(&mut RamDma(&mut self.ram, &mut self.ram_writes), pa, &data.to_le_bytes()).map_err(|_| MsiError::Target(pa))
    }

    /// Delivers the MSIs the MC raised (ls2088a-reference.md §2.3): a write of `data` to
    /// `addr` by requester ICID `icid`, through the SMMU with StreamID = ICID (the fsl-mc
    /// `iommu-map` maps ICIDs to the same stream IDs), then to the ITS with DeviceID = ICID
    /// (the fsl-mc node has `msi-parent`, no `msi-map`). Failures are logged and dropped.
    fn deliver_mc_msis(&mut self) {
        for w in self.mc.take_msis() {
            if let Err(e) = self.device_msi(w.icid as u32, w.icid as u32, w.addr, w.data) {
                self.log_bad(format_args!("fsl-mc: MSI from ICID {} (data {}) to {:#x} dropped: {e}", w.icid, w.data, w.addr));
            }
        }
    }

    /// Delivers the PCIe endpoint's MSI-X writes: through the SMMU with the endpoint's
    /// stream ID, to the ITS with DeviceID = the `msi-map` image of its requester ID
    /// (the same number, [`board::PCIE1_EP_STREAM_ID`]). Failures are logged and dropped.
    fn deliver_pcie_msis(&mut self) {
        let msis = self.pcie.as_mut().map_or_else(Vec::new, |p| p.take_msis());
        for (addr, data) in msis {
            let sid = board::PCIE1_EP_STREAM_ID;
            if let Err(e) = self.device_msi(sid, sid, addr, data) {
                self.log_bad(format_args!("pcie1: MSI (data {data}) to {addr:#x} dropped: {e}"));
            }
        }
    }

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

    fn log_bad(&mut self, what: std::fmt::Arguments<'_>) {
        if self.bad_access_logged < 64 {
            self.bad_access_logged += 1;
            tracing::warn!(target: "bus", "{what}");
        }
    }

    /// Copies an image into RAM.
    pub fn load(&mut self, img: &Image) -> Result<(), MachineError> {
        self.load_segments(&img.segments, img.entry)
    }

    /// Copies segments into RAM; `entry` must be in RAM (as [`SysBus::load`]).
    pub fn load_segments<'a>(&mut self, segments: impl IntoIterator<Item = &'a firmware::loaders::Segment>, entry: u64) -> Result<(), MachineError> {
        for s in segments {
            let end = s.addr.saturating_add(s.mem_size);
            let Some(dst) = self.ram_slice(s.addr, s.mem_size as usize) else {
                return Err(MachineError::SegmentOutsideRam { addr: s.addr, end });
            };
            dst[..s.data.len()].copy_from_slice(&s.data);
            dst[s.data.len()..].fill(0);
        }
        if self.ram_slice(entry, 4).is_none() {
            return Err(MachineError::EntryOutsideRam(entry));
        }
        Ok(())
    }

    /// Reads a file straight into RAM (no staging copy), e.g. a kernel Image.
    pub fn load_file(&mut self, f: &firmware::loaders::FileSegment) -> Result<(), MachineError> {
        let outside = || MachineError::SegmentOutsideRam { addr: f.addr, end: f.addr.saturating_add(f.len) };
        let len = usize::try_from(f.len).map_err(|_| outside())?;
        let dst = self.ram_slice(f.addr, len).ok_or_else(outside)?;
        f.read_into(dst).map_err(MachineError::File)
    }

    /// Host input for the console UART (DUART1 channel 1, ttyS1 on the RDB). Returns how
    /// many bytes were accepted (the rest must be offered again later).
    pub fn console_input(&mut self, bytes: &[u8]) -> usize {
        let Some(u) = self.uarts.iter_mut().find(|u| u.base == board::DUART1_UART1) else {
            return 0;
        };
        let n = u.uart.rx_space().min(bytes.len());
        u.uart.push_input(&bytes[..n]);
        n
    }

    /// MMIO accesses so far per device (board-table name): (name, reads, writes).
    pub fn mmio_stats(&self) -> Vec<(&'static str, u64, u64)> {
        self.mmio_counts.iter().map(|(n, c)| (*n, c[0], c[1])).collect()
    }

    /// The board-table name of the region containing `pa` (the last one listed: the ITS
    /// inside the GIC window), else `default`.
    fn region_name(pa: u64, default: &'static str) -> &'static str {
        board::REGIONS.iter().rev().find(|r| pa >= r.base && pa - r.base < r.size).map_or(default, |r| r.name)
    }

    fn mmio(&mut self, pa: u64, size: usize, write: Option<u64>, attrs: BusAttrs) -> Result<u64, BusError> {
        let r = self.mmio_inner(pa, size, write, attrs.secure);
        if let Some((name, off, v, error)) = r.1 {
            let c = self.mmio_counts.entry(name).or_default();
            c[write.is_some() as usize] += 1;
            if self.trace.on(cpu_aarch64::trace::MMIO) {
                let value = write.unwrap_or(v);
                let event = cpu_aarch64::trace::Event::Mmio { dev: name, pa, off, size: size as u8, write: write.is_some(), value, error };
                self.trace.emit(&cpu_aarch64::trace::Record { cpu: attrs.cpu, el: None, pc: None, event });
            }
        }
        r.0
    }

    /// An MMIO access, and for an access that reached a device: (device name, offset,
    /// value read, whether the device rejected it).
    #[allow(clippy::type_complexity)]
    fn mmio_inner(&mut self, pa: u64, size: usize, write: Option<u64>, secure: bool) -> (Result<u64, BusError>, Option<(&'static str, u64, u64, bool)>) {
        let now = self.now();
        let sz = Size::from_bytes(size);
        let mut cx = DevCtx { now, sched: &mut self.sched };
        // One access through the two-method MMIO interface (size checked once here).
        fn access(dev: &mut dyn Mmio, cx: &mut DevCtx, off: u64, sz: Option<Size>, write: Option<u64>) -> Result<u64, MmioError> {
            let s = sz.ok_or(MmioError::BadSize)?;
            match write {
                None => dev.read(cx, off, s),
                Some(v) => dev.write(cx, off, s, v).map(|_| 0),
            }
        }
        let (name, off, r): (&'static str, u64, Result<u64, MmioError>) = if (board::GIC_BASE..board::GIC_BASE + devices::gic::WINDOW_SIZE).contains(&pa) {
            // The GIC (its ITS and LPI tables) also reaches guest RAM. It banks registers
            // by the access's Security state (IHI 0069 §4.8, GICD_CTLR.DS = 0).
            let off = pa - board::GIC_BASE;
            let mut dma = RamDma(&mut self.ram, &mut self.ram_writes);
            let r = match (sz, write) {
                (None, _) => Err(MmioError::BadSize),
                (Some(s), None) => self.gic.read_attr_dma(&mut dma, off, s, secure),
                (Some(s), Some(v)) => self.gic.write_attr_dma(&mut dma, off, s, v, secure).map(|_| 0),
            };
            (Self::region_name(pa, "gic"), off, r)
        } else if (board::SMMU_BASE..board::SMMU_BASE + board::SMMU_SIZE).contains(&pa) {
            let off = pa - board::SMMU_BASE;
            ("smmu", off, access(&mut self.smmu, &mut cx, off, sz, write))
        } else if (devices::fslmc::CCSR_BASE..devices::fslmc::CCSR_BASE + devices::fslmc::CCSR_SIZE).contains(&pa) {
            let off = pa - devices::fslmc::CCSR_BASE;
            let r = match (sz, write) {
                (None, _) => Err(MmioError::BadSize),
                (Some(s), None) => self.mc.ccsr_read(off, s),
                (Some(s), Some(v)) => self.mc.ccsr_write(off, s, v).map(|_| 0),
            };
            self.pump_mc();
            ("fsl-mc ccsr", off, r)
        } else if (devices::fslmc::PORTAL_BASE..devices::fslmc::PORTAL_BASE + devices::fslmc::PORTAL_WINDOW).contains(&pa) {
            let off = pa - devices::fslmc::PORTAL_BASE;
            let r = match (sz, write) {
                (None, _) => Err(MmioError::BadSize),
                (Some(s), None) => self.mc.portal_read(off, s),
                (Some(s), Some(v)) => self.mc.portal_write(off, s, v).map(|_| 0),
            };
            self.pump_mc();
            ("fsl-mc portal", off, r)
        } else if (devices::fslmc::QBMAN_BASE..devices::fslmc::QBMAN_BASE + devices::qbman::WINDOW).contains(&pa) {
            let off = pa - devices::fslmc::QBMAN_BASE;
            let r = match (sz, write) {
                (None, _) => Err(MmioError::BadSize),
                (Some(s), None) => self.mc.qbman.read(off, s),
                (Some(s), Some(v)) => {
                    // Commands (volatile dequeue results) write guest memory as the
                    // portal's bus master: its DPIO container's ICID, else the root
                    // container's (23, ls2088a-reference.md §4.10).
                    let icid = devices::qbman::Qbman::portal_of(off).and_then(|p| self.mc.qbman.portal_icid(p)).unwrap_or(23);
                    let mut ram = RamDma(&mut self.ram, &mut self.ram_writes);
                    let mut dma = devices::smmu::SmmuDma { smmu: &mut self.smmu, mem: &mut ram, stream_id: icid as u32 };
                    let r = self.mc.qbman.write(off, s, v, &mut dma).map(|_| 0);
                    self.pump_mc();
                    r
                }
            };
            ("qbman portal", off, r)
        } else if self.pcie.is_some() && (board::PCIE1_DBI_BASE..board::PCIE1_DBI_BASE + devices::pcie::DBI_SIZE).contains(&pa) {
            let off = pa - board::PCIE1_DBI_BASE;
            let p = self.pcie.as_mut().expect("checked");
            let r = match (sz, write) {
                (None, _) => Err(MmioError::BadSize),
                (Some(s), None) => p.dbi_read(off, s),
                (Some(s), Some(v)) => p.dbi_write(off, s, v).map(|_| 0),
            };
            ("pcie1 dbi", off, r)
        } else if self.pcie.is_some() && (board::PCIE1_WINDOW_BASE..board::PCIE1_WINDOW_BASE + devices::pcie::WINDOW_SIZE).contains(&pa) {
            let off = pa - board::PCIE1_WINDOW_BASE;
            let p = self.pcie.as_mut().expect("checked");
            let r = match (sz, write) {
                (None, _) => Err(MmioError::BadSize),
                (Some(s), None) => p.window_read(pa, s),
                (Some(s), Some(v)) => {
                    // Work a write starts (NVMe doorbells) masters memory with the
                    // endpoint's stream ID, through the SMMU.
                    let mut ram = RamDma(&mut self.ram, &mut self.ram_writes);
                    let mut dma = devices::smmu::SmmuDma { smmu: &mut self.smmu, mem: &mut ram, stream_id: board::PCIE1_EP_STREAM_ID };
                    p.window_write(pa, s, v, &mut dma).map(|_| 0)
                }
            };
            self.deliver_pcie_msis();
            ("pcie1 window", off, r)
        } else if (board::RSTCR_BASE..board::RSTCR_BASE + 4).contains(&pa) {
            let off = pa - board::RSTCR_BASE;
            ("rstcr", off, access(&mut self.rstcr, &mut cx, off, sz, write))
        } else if let Some((base, w)) = self.watchdogs.iter_mut().find(|(b, _)| pa >= *b && pa - *b < 0x1000) {
            let off = pa - *base;
            (Self::region_name(pa, "sp805"), off, access(w, &mut cx, off, sz, write))
        } else if let Some(u) = self.uarts.iter_mut().find(|u| pa >= u.base && pa - u.base < 0x100) {
            let off = pa - u.base;
            (u.name, off, access(&mut u.uart, &mut cx, off, sz, write))
        } else if let Some(d) = self.devs.iter_mut().find(|d| pa >= d.base && pa - d.base < d.size) {
            let off = pa - d.base;
            (d.name, off, access(d.dev.as_mut(), &mut cx, off, sz, write))
        } else {
            let what = if write.is_some() { "write" } else { "read" };
            self.log_bad(format_args!("{what} of {size} bytes at unmapped physical address {pa:#x}"));
            return (Err(BusError::Unmapped), None);
        };
        match r {
            Ok(v) => (Ok(v), Some((name, off, v, false))),
            Err(MmioError::Slave) => (Err(BusError::Slave), Some((name, off, 0, true))),
            Err(e) => {
                let what = if write.is_some() { "write (ignored)" } else { "read (as zero)" };
                self.log_bad(format_args!("{name}: {what} of {size} bytes at offset {off:#x}: {e}"));
                (Ok(0), Some((name, off, 0, true)))
            }
        }
    }
}

impl SysBus {
    /// Whether `len` bytes at `pa` lie in the QBMan software-portal window.
    fn in_qbman_window(pa: u64, len: usize) -> bool {
        let base = devices::fslmc::QBMAN_BASE;
        pa >= base && pa.wrapping_sub(base).saturating_add(len as u64) <= devices::qbman::WINDOW
    }
}

impl Bus for SysBus {
    fn read(&mut self, pa: PhysAddr, buf: &mut [u8], a: BusAttrs) -> Result<(), BusError> {
        if let Some(m) = self.ram_slice(pa.0, buf.len()) {
            buf.copy_from_slice(m);
            return Ok(());
        }
        let n = buf.len();
        if n > 8 && Self::in_qbman_window(pa.0, n) {
            // A 16-byte (or longer) load of the QBMan portal's ring area, such as a vector
            // load of a DQRR entry: the portal is memory-like there; read it 8 bytes at a
            // time in ascending order.
            for (i, c) in buf.chunks_mut(8).enumerate() {
                let v = self.mmio(pa.0 + 8 * i as u64, c.len(), None, a)?;
                c.copy_from_slice(&v.to_le_bytes()[..c.len()]);
            }
            return Ok(());
        }
        let v = self.mmio(pa.0, n, None, a)?;
        buf.copy_from_slice(&v.to_le_bytes()[..n.min(8)]);
        Ok(())
    }

    fn write(&mut self, pa: PhysAddr, buf: &[u8], a: BusAttrs) -> Result<(), BusError> {
        if let Some(m) = self.ram_slice(pa.0, buf.len()) {
            m.copy_from_slice(buf);
            if self.log_ram_writes {
                self.ram_writes.push((pa.0, buf.len() as u64));
            }
            return Ok(());
        }
        if buf.len() > 8 && Self::in_qbman_window(pa.0, buf.len()) {
            // A 16-byte (or longer) store into the QBMan portal (DPDK writes ring entries
            // with vector stores). One store reaches the portal whole, and in direct mode a
            // command runs at the store covering its entry's first byte (the verb): so the
            // 8-byte pieces go in descending address order, the piece holding the lowest
            // bytes last, and the command sees the whole store's data.
            for (i, c) in buf.chunks(8).enumerate().rev() {
                let mut v = [0u8; 8];
                v[..c.len()].copy_from_slice(c);
                self.mmio(pa.0 + 8 * i as u64, c.len(), Some(u64::from_le_bytes(v)), a)?;
            }
            return Ok(());
        }
        let mut v = [0u8; 8];
        let n = buf.len().min(8);
        v[..n].copy_from_slice(&buf[..n]);
        self.mmio(pa.0, buf.len(), Some(u64::from_le_bytes(v)), a).map(|_| ())
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
        self.now() / NS_PER_TICK
    }
    fn counter_at(&self, icount: u64) -> u64 {
        (self.quantum_ns + icount.saturating_sub(self.quantum_icount)) / NS_PER_TICK
    }
    fn irq_levels(&self, cpu: u8) -> IrqLevels {
        let (irq, fiq) = self.gic.irq_levels(cpu as usize);
        let (virq, vfiq) = self.gic.virq_levels(cpu as usize);
        IrqLevels { irq, fiq, virq, vfiq, ..Default::default() }
    }
    fn icc_access_ctx(&mut self, ctx: &IccContext, enc: SysRegEnc, write: Option<u64>) -> IccResult {
        let id = SysRegId::new(enc.op0, enc.op1, enc.crn, enc.crm, enc.op2);
        let cctx = CpuCtx { el: ctx.el, secure: ctx.secure };
        let out = self.gic.icc_access_virt(ctx.cpu as usize, cctx, ctx.hcr_el2, id, write);
        // ICC_IAR0_EL1 (3,0,c12,c8,0) / ICC_IAR1_EL1 (3,0,c12,c12,0) reads acknowledge.
        if self.trace.on(cpu_aarch64::trace::IRQ) && write.is_none() && (enc.op0, enc.op1, enc.crn, enc.op2) == (3, 0, 12, 0) && matches!(enc.crm, 8 | 12) {
            if let IccOutcome::Value(v) = out {
                // At EL1 with HCR_EL2.IMO/FMO set (EL2 enabled) the ICV_ registers answer.
                let routed = if enc.crm == 8 { ctx.hcr_el2 & (1 << 3) != 0 } else { ctx.hcr_el2 & (1 << 4) != 0 };
                let virt = ctx.el == 1 && routed;
                let event = cpu_aarch64::trace::Event::IrqAck { group: (enc.crm == 12) as u8, intid: v as u32 & 0xff_ffff, virt };
                self.trace.emit(&cpu_aarch64::trace::Record { cpu: ctx.cpu, el: Some(ctx.el), pc: None, event });
            }
        }
        match out {
            IccOutcome::Value(v) => IccResult::Value(v),
            IccOutcome::Undefined => IccResult::Undefined,
            IccOutcome::Trap(el) => IccResult::Trap(el),
        }
    }
    fn smc(&mut self, cpu: &mut Cpu, imm: u16) -> Hooked {
        let Some(p) = self.psci.as_mut() else {
            return Hooked::No;
        };
        if !self.trace.on(cpu_aarch64::trace::PSCI) {
            return p.smc(cpu, imm);
        }
        let (el, pc, fid, args) = (cpu.st.pstate.el, cpu.st.pc, cpu.st.x[0], [cpu.st.x[1], cpu.st.x[2], cpu.st.x[3]]);
        let h = p.smc(cpu, imm);
        let result = matches!(h, Hooked::Done).then_some(cpu.st.x[0]);
        let event = cpu_aarch64::trace::Event::Smc { imm, fid, args, result };
        self.trace.emit(&cpu_aarch64::trace::Record { cpu: cpu.cfg.index, el: Some(el), pc: Some(pc), event });
        h
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
        self.log_ram_writes = true;
        let r = sh.call(cpu, self, now);
        self.log_ram_writes = false;
        self.semihosting = Some(sh);
        r
    }
    fn store_notify(&mut self, cpu: u8, pa: PhysAddr, len: usize) {
        for (i, r) in self.reservations.iter().enumerate() {
            if let Some(g) = *r {
                // 64-byte reservation granule (the A72's ERG).
                if i != cpu as usize && pa.0 < g + 64 && pa.0 + len as u64 > g {
                    self.pending.snoops.push((i as u8, pa.0, len));
                }
            }
        }
    }
    /// `store_notify` only acts on stores overlapping another PE's reservation granule,
    /// and `reservations` is fixed by `Machine::turn` before the engine runs (a turn's
    /// own stores only queue snoops, applied after it).
    fn store_watch(&self, out: &mut Vec<(u64, u64)>) -> bool {
        out.extend(self.reservations.iter().flatten().map(|&g| (g, 64)));
        true
    }
    fn tlbi_broadcast(&mut self, cpu: u8, op: TlbiOp, arg: u64) {
        self.pending.tlbi.push((cpu, op, arg));
    }
    fn take_ram_writes(&mut self) -> Vec<(u64, u64)> {
        std::mem::take(&mut self.ram_writes)
    }
    fn send_event(&mut self, cpu: u8) {
        self.pending.sev.push(cpu);
    }
    /// Lowers at once the PE's timer PPIs whose output the register write took down (a
    /// handler that masked or re-armed its timer is not interrupted again by the stale
    /// level until the next turn, which a real timer never does). Levels a write raises
    /// reach the GIC at the next turn (`sync_cpu_irqs`), as levels raised by time do:
    /// raising them mid-turn too made Xen's boot (`tools/tests/xen.rs`) stop with every
    /// PE waiting; not investigated further (the GIC's `CpuCtx` of the PE, also set only
    /// at turns, is one suspect).
    fn timer_levels(&mut self, cpu: u8, t: cpu_aarch64::sysreg::timer::TimerLevels) {
        for (intid, level) in timer_ppis(t) {
            if !level {
                self.gic.set_ppi(cpu as usize, intid, false);
            }
        }
    }
    /// What `Machine::run` and `Machine::turn` do between two whole-quantum turns of the
    /// only PE that is on, when it comes to this: checked to have no effect, or done here
    /// (the next quantum's time, the PE's timer PPIs and GIC context, the GIC's inputs).
    fn continue_run(&mut self, cpu: &mut Cpu) -> u64 {
        let Some(mut k) = self.cont else {
            return 0;
        };
        let ran = cpu.icount.wrapping_sub(k.icount);
        // `Machine::run` stops at an exception loop; the next turn starts a new round
        // only after a whole quantum.
        if ran >= QUANTUM && cpu.stats.exceptions.wrapping_sub(k.exceptions) >= ran {
            return 0;
        }
        if cpu.icount.wrapping_sub(self.quantum_icount) != QUANTUM || k.allowed < QUANTUM {
            return 0;
        }
        // `Machine::apply_pending` and the start of `Machine::turn`: nothing to do. (With
        // a single PE, broadcast TLBIs and SEVs reach no other PE: `apply_pending` drops
        // them.)
        if self.reservations.len() == 1 {
            self.pending.tlbi.clear();
            self.pending.sev.clear();
        }
        let p = &self.pending;
        if !p.tlbi.is_empty()
            || !p.sev.is_empty()
            || !p.snoops.is_empty()
            || self.rstcr.requested()
            || self.watchdogs.iter().any(|(_, w)| !w.idle())
            || self.psci.as_ref().is_some_and(|p| p.has_actions())
            || !self.ram_writes.is_empty()
            || !self.mc.qbman.holdoff_clean()
            || !(self.net_backends.is_empty() && self.mc.net_idle())
        {
            return 0;
        }
        // `Machine::poll_input`: host console input arrived, to be delivered between the
        // turns (the run ends here; the machine takes what came first).
        if let Some(rx) = &self.cont_input {
            match rx.try_recv() {
                Err(std::sync::mpsc::TryRecvError::Empty) => {}
                Ok(m) => {
                    self.cont_input_got = Some(m);
                    return 0;
                }
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    self.cont_input_got = Some(HostInput::Eof);
                    return 0;
                }
            }
        }
        k.now_ns += QUANTUM;
        k.allowed -= QUANTUM;
        k.icount = cpu.icount;
        k.exceptions = cpu.stats.exceptions;
        self.cont = Some(k);
        // `Machine::turn`: the PE's interrupt inputs at the new quantum's start, its time.
        drive_cpu_irqs(&mut self.gic, k.cpu, cpu, k.now_ns / NS_PER_TICK);
        self.gic.sync_inputs();
        self.quantum_ns = k.now_ns;
        self.quantum_icount = cpu.icount;
        self.cur_icount = cpu.icount;
        QUANTUM
    }
}

/// What `Machine::turn` ran.
struct Turn {
    /// The engine's exit.
    x: Exit,
    /// Instructions run in all, and in the last turn (the same unless continued).
    all: u64,
    ran: u64,
    /// The PE's exception count at the start of the last turn.
    exceptions: u64,
    /// The turn went on into the PE's next turns (`Platform::continue_run`).
    continued: bool,
}

/// The LS2088A-RDB machine.
pub struct Machine {
    pub cpus: Vec<Cpu>,
    pub bus: SysBus,
    /// What runs the PEs (the interpreter unless `set_engine` says otherwise).
    pub engine: Box<dyn Engine>,
    /// Virtual time in nanoseconds.
    pub now_ns: u64,
    pub firmware: Firmware,
    /// Host console input, delivered to the console UART at quantum boundaries.
    input: Option<std::sync::mpsc::Receiver<HostInput>>,
    input_buf: std::collections::VecDeque<u8>,
    /// Idle time runs no faster than the host clock (`idle_until`): set for a console a
    /// person types into (`set_idle_pacing`).
    pace_idle: bool,
    /// Where the current round-robin round is (see `run`).
    round: Round,
}

/// The state of a round-robin round, kept across `run` calls so that a run stopped in
/// the middle of a round (instruction limit, debugger) continues it.
#[derive(Debug, Default)]
struct Round {
    /// A round is under way (`cursor` and `ran` are valid).
    started: bool,
    /// The PE whose turn it is (== number of PEs: the round is over).
    cursor: usize,
    /// Instructions each PE has run in this round.
    ran: Vec<u64>,
    all_off: bool,
    all_wait: bool,
}

/// Host input events for the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostInput {
    Bytes(Vec<u8>),
    /// The user asked to quit (Ctrl-A X).
    Quit,
    /// End of input (stdin closed): nothing more will come.
    Eof,
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
        let mut ram = vec![Ram { base: board::DRAM0_BASE, data: ram_block(cfg.ram_size.min(board::DRAM0_SIZE) as usize) }];
        if cfg.ram_size > board::DRAM0_SIZE {
            ram.push(Ram { base: board::DRAM1_BASE, data: ram_block((cfg.ram_size - board::DRAM0_SIZE) as usize) });
        }
        let spis = IrqBank::new(256);
        // The GIC-500 always has its 8 redistributors, whatever --smp says.
        let mut gic = Gic::new(&GicConfig::ls2088a(), spis.clone());
        let mut uarts = Vec::new();
        let mut devs = Vec::new();
        let mut watchdogs = Vec::new();
        for r in board::REGIONS {
            match r.kind {
                // The SMMU and the MC live in SysBus::smmu / SysBus::mc (the MC: two windows,
                // MSIs to the ITS through the SMMU).
                Kind::Dram | Kind::Gic | Kind::GicIts | Kind::Rstcr | Kind::Smmu | Kind::FslMc => {}
                // No interrupt in the RDB DTB: the watchdog's WDOGINT is not connected.
                Kind::Sp805 => watchdogs.push((r.base, devices::sp805::Sp805::new(IrqLine::detached()))),
                Kind::Rcpm => devs.push(Mapped { name: r.name, base: r.base, size: r.size, dev: Box::new(devices::regfile::ls2088a_rcpm()) }),
                Kind::Dcfg => devs.push(Mapped { name: r.name, base: r.base, size: r.size, dev: Box::new(devices::regfile::ls2088a_dcfg()) }),
                Kind::Clockgen => {
                    devs.push(Mapped { name: r.name, base: r.base, size: r.size, dev: Box::new(devices::regfile::ls2088a_clockgen()) })
                }
                Kind::Uart16550 => {
                    let line = IrqLine::new(spis.clone(), r.intid.map_or(0, |i| i - 32));
                    uarts.push(UartSlot { name: r.name, base: r.base, uart: Uart16550::new(line, (cfg.console)()) });
                }
            }
        }
        let bank0 = (board::DRAM0_BASE, cfg.ram_size.min(board::DRAM0_SIZE));
        let semihosting = if cfg.semihosting {
            let mut sh = Semihosting::new((cfg.console)(), std::mem::replace(&mut cfg.stderr, Box::new(std::io::sink())));
            // Heap in the upper half of the first bank, stack at its top.
            let top = bank0.0 + bank0.1;
            let mid = bank0.0 + bank0.1 / 2;
            sh.heapinfo = [mid, top - (1 << 20), top, top - (1 << 20)];
            Some(sh)
        } else {
            None
        };
        let psci = match cfg.firmware {
            Firmware::BareMetal => None,
            Firmware::Builtin => {
                let mut banks = vec![bank0];
                if cfg.ram_size > board::DRAM0_SIZE {
                    banks.push((board::DRAM1_BASE, cfg.ram_size - board::DRAM0_SIZE));
                }
                gic.el3_firmware_init();
                Some(Psci::new(PsciConfig::ls2088a(cfg.smp as usize, banks)))
            }
        };
        let cpus: Vec<Cpu> = (0..cfg.smp as u8)
            .map(|i| {
                let mut c = Cpu::new(CpuConfig { index: i, mpidr: board::mpidr(i), has_el2: true, has_el3: true });
                c.off = i != 0;
                c
            })
            .collect();
        let n = cpus.len();
        // The SMMU drives its first global fault interrupt and one per context bank.
        let smmu = devices::smmu::Smmu::new(
            IrqLine::new(spis.clone(), board::SMMU_GLOBAL_SPIS[0]),
            (0..board::SMMU_NUM_CONTEXT_IRQS).map(|i| IrqLine::new(spis.clone(), board::SMMU_CONTEXT_SPI_BASE + i)).collect(),
        );
        Ok(Machine {
            cpus,
            engine: Box::new(Interpreter),
            bus: SysBus {
                ram,
                devs,
                uarts,
                rstcr: devices::rstcr::Rstcr::default(),
                watchdogs,
                gic,
                smmu,
                mc: devices::fslmc::Mc::new(devices::fslmc::dpl::default_layout()),
                net_backends: Vec::new(),
                pcie: None,
                spis,
                sched: Scheduler::default(),
                semihosting,
                psci,
                pending: Pending::default(),
                reservations: vec![None; n],
                quantum_ns: 0,
                quantum_icount: 0,
                cur_icount: 0,
                bad_access_logged: 0,
                ram_writes: Vec::new(),
                log_ram_writes: false,
                trace: Default::default(),
                cont: None,
                cont_input: None,
                cont_input_got: None,
                mmio_counts: Default::default(),
            },
            now_ns: 0,
            firmware: cfg.firmware,
            input: None,
            pace_idle: false,
            input_buf: Default::default(),
            round: Round::default(),
        })
    }

    /// Replaces the MC's data-path layout (`lsemu boot --dpl`), before the first `run`:
    /// the MC comes up as if its firmware had applied this DPL.
    pub fn set_dpl(&mut self, layout: devices::fslmc::objects::Layout) {
        self.bus.mc = devices::fslmc::Mc::new(layout);
    }

    /// Sets the MC firmware version DPMNG_GET_VERSION reports (`lsemu boot --mc-version`),
    /// after `set_dpl` and before the first `run`.
    pub fn set_mc_version(&mut self, version: (u32, u32, u32)) {
        self.bus.mc.fw_version = version;
    }

    /// Attaches a PCIe device behind PEX1's root port (before the first `run`): the
    /// controller is modelled from then on and its link is up. The boot path enables the
    /// controller's DT node (`firmware::dtb::enable_pcie`).
    pub fn attach_pcie(&mut self, endpoint: Box<dyn devices::pcie::Endpoint>) {
        let inta = IrqLine::new(self.bus.spis.clone(), board::PCIE1_INTA_SPI);
        self.bus.pcie = Some(devices::pcie::Pcie::new(Some(endpoint)).with_inta(inta));
    }

    /// Connects a host network backend to an MC object's MAC (`--net`). The endpoint has
    /// been checked against the layout (`devices::net::check_endpoint`).
    pub fn attach_net_backend(&mut self, endpoint: String, backend: Box<dyn devices::net::NetBackend>) {
        self.bus.net_backends.push((endpoint, backend));
    }

    /// The host network backends and their counters (`monitor net`).
    pub fn describe_net(&self) -> String {
        devices::net::describe_all(&self.bus.net_backends)
    }

    /// Takes the host network backends back (a reset builds a new machine with them).
    pub fn take_net_backends(&mut self) -> Vec<devices::net::Attached> {
        std::mem::take(&mut self.bus.net_backends)
    }

    /// Turns tracing on or off (`tracer.flags` = 0) for every PE and the bus.
    pub fn set_tracer(&mut self, tracer: cpu_aarch64::trace::Tracer) {
        for c in &mut self.cpus {
            c.trace = tracer.clone();
        }
        self.bus.trace = tracer;
    }

    /// Replaces the execution engine (before the first `run`).
    pub fn set_engine(&mut self, engine: Box<dyn Engine>) {
        self.engine = engine;
    }

    /// Loads `img` and points the boot PE at its entry (EL3, MMU off: the reset state).
    pub fn load_boot_image(&mut self, img: &Image) -> Result<(), MachineError> {
        self.bus.load(img)?;
        self.engine.invalidate_all();
        let c = &mut self.cpus[0];
        c.reset(img.entry);
        c.sys.cntfrq_el0 = board::CNTFRQ_HZ;
        Ok(())
    }

    /// Loads a prepared Linux boot (kernel, DTB, initramfs) and enters the kernel on PE 0
    /// as the built-in firmware does; the other PEs stay off until PSCI CPU_ON.
    pub fn load_linux(&mut self, boot: &firmware::linux::LinuxBoot) -> Result<(), MachineError> {
        self.bus.load_segments(boot.segments(), boot.kernel.entry)?;
        if let Some(f) = &boot.kernel_file {
            self.bus.load_file(f)?;
        }
        self.engine.invalidate_all();
        // Secondaries started by PSCI CPU_ON enter the kernel at the boot PE's EL.
        if let Some(p) = self.bus.psci.as_mut() {
            let mut cfg = p.config().clone();
            cfg.ns_entry_el = boot.entry_el;
            *p = Psci::new(cfg);
        }
        let c = &mut self.cpus[0];
        c.sys.cntfrq_el0 = board::CNTFRQ_HZ;
        boot.start_boot_cpu(c);
        Ok(())
    }

    /// Disconnects host console input and returns it (to move it to a new machine after a
    /// reset), with any bytes not yet delivered.
    pub fn take_input(&mut self) -> (Option<std::sync::mpsc::Receiver<HostInput>>, Vec<u8>) {
        // (Bytes a continued turn received that `poll_input` has not taken yet: after
        // those already buffered.)
        if let Some(HostInput::Bytes(b)) = self.bus.cont_input_got.take() {
            self.input_buf.extend(b);
        }
        (self.input.take(), self.input_buf.drain(..).collect())
    }

    /// Queues host bytes for the console (e.g. left over from before a reset).
    pub fn queue_input(&mut self, bytes: &[u8]) {
        self.input_buf.extend(bytes);
    }

    /// Paces idle virtual time to the host clock (see `idle_until`) even without a live
    /// network backend: for an interactive console, where a person expects `sleep 1` to
    /// take a second and the guest's clock to follow the wall clock. Off by default: runs
    /// then depend only on their inputs.
    pub fn set_idle_pacing(&mut self, on: bool) {
        self.pace_idle = on;
    }

    /// Connects host console input (e.g. a thread reading stdin).
    pub fn set_input(&mut self, rx: std::sync::mpsc::Receiver<HostInput>) {
        self.input = Some(rx);
    }

    /// Moves host input into the console UART as its FIFO has room. Returns true when the
    /// user asked to quit.
    fn poll_input(&mut self) -> bool {
        // What a continued turn received (`SysBus::continue_run`) first, then the rest.
        let mut got = self.bus.cont_input_got.take();
        loop {
            let m = match got.take() {
                Some(m) => m,
                None => match self.input.as_ref().map(|rx| rx.try_recv()) {
                    Some(Ok(m)) => m,
                    Some(Err(std::sync::mpsc::TryRecvError::Disconnected)) => HostInput::Eof,
                    None | Some(Err(std::sync::mpsc::TryRecvError::Empty)) => break,
                },
            };
            match m {
                HostInput::Bytes(b) => self.input_buf.extend(b),
                HostInput::Quit => return true,
                HostInput::Eof => {
                    self.input = None;
                    break;
                }
            }
        }
        if !self.input_buf.is_empty() {
            let (a, _) = self.input_buf.as_slices();
            let n = self.bus.console_input(a);
            self.input_buf.drain(..n);
        }
        false
    }

    /// The semihosting state, when enabled.
    pub fn semihosting_mut(&mut self) -> Option<&mut Semihosting> {
        self.bus.semihosting.as_mut()
    }

    /// Total instructions retired by all PEs.
    pub fn icount(&self) -> u64 {
        self.cpus.iter().map(|c| c.icount).sum()
    }

    /// Virtual time in nanoseconds as the PE that ran last sees it (`now_ns` is the start
    /// of the current quantum; this adds that PE's progress in it).
    pub fn virtual_time_ns(&self) -> u64 {
        self.bus.now()
    }

    fn counter_now(&self) -> u64 {
        self.now_ns / NS_PER_TICK
    }

    /// Drives PE `i`'s timer PPIs and GIC context from its current state.
    fn sync_cpu_irqs(&mut self, i: usize) {
        let counter = self.counter_now();
        drive_cpu_irqs(&mut self.bus.gic, i, &self.cpus[i], counter);
    }

    /// Applies what the PE that just ran asked of the others.
    fn apply_pending(&mut self) -> Option<RunExit> {
        let p = std::mem::take(&mut self.bus.pending);
        for (from, op, arg) in p.tlbi {
            for (i, c) in self.cpus.iter_mut().enumerate() {
                if i != from as usize {
                    cpu_aarch64::mmu::tlbi_remote(c, op, arg);
                }
            }
        }
        for from in p.sev {
            for (i, c) in self.cpus.iter_mut().enumerate() {
                if i != from as usize {
                    c.event = true;
                }
            }
        }
        for (target, pa, len) in p.snoops {
            if let Some(c) = self.cpus.get_mut(target as usize) {
                c.snoop_store(pa, len);
            }
        }
        if self.bus.rstcr.take_request() {
            return Some(RunExit::Reset);
        }
        let now = self.now_ns;
        for (base, w) in self.bus.watchdogs.iter_mut() {
            w.poll(now);
            if w.take_reset_request() {
                tracing::info!(target: "dev", "sp805 at {base:#x}: watchdog timeout, system reset");
                return Some(RunExit::Reset);
            }
        }
        if let Some(psci) = self.bus.psci.as_mut() {
            for a in psci.take_actions() {
                match a {
                    PowerAction::PowerOn { target, entry, context_id, .. } => {
                        if let Some(c) = self.cpus.get_mut(target) {
                            psci.power_on(c, target, entry, context_id);
                            c.sys.cntfrq_el0 = board::CNTFRQ_HZ;
                            c.off = false;
                        }
                    }
                    PowerAction::SystemOff => return Some(RunExit::Halt(0)),
                    PowerAction::SystemReset { .. } => return Some(RunExit::Reset),
                }
            }
        }
        None
    }

    /// Where an idle machine's time jumps to on its way to the next event at `t`: `t`
    /// itself, unless a live host network backend (TAP, socket) is attached or idle pacing
    /// is on (`set_idle_pacing`: an interactive console) — then at most
    /// `IDLE_PACE_NS` further, after sleeping that long on the host, so that idle virtual
    /// time runs no faster than the host's clock and a peer (another lsemu, the host's
    /// stack) has the wall time a guest's timeout promises it. The step is fixed, so the
    /// virtual timeline still depends only on what arrives and when.
    fn idle_until(&mut self, t: u64) -> u64 {
        if !self.pace_idle && !self.bus.net_backends.iter().any(|(_, b)| b.live()) {
            return t;
        }
        let step = t.saturating_sub(self.now_ns).min(IDLE_PACE_NS);
        std::thread::sleep(std::time::Duration::from_nanos(step));
        self.now_ns.saturating_add(step)
    }

    /// Runs PE `i` for up to `budget` instructions as one (part of a) round-robin turn:
    /// its timers and GIC context synced, its view of the counter continuing from what it
    /// has already run in this round. Returns the engine's exit and the instructions run.
    /// With `cont` (the instructions `run` may still run after this turn), the turn may go
    /// on into the PE's next turns (`Platform::continue_run`, `Machine::run` having checked
    /// that nothing outside the bus would happen between them): then `now_ns` and the
    /// round are those of the last of them.
    fn turn(&mut self, i: usize, budget: u64, cont: Option<u64>) -> Turn {
        // DPAA2: the QBMan interrupt hold-off ends at a turn boundary; frames offered by
        // host backends and pending events move here, in a fixed order.
        self.bus.mc.qbman.expire_holdoff();
        self.bus.pump_mc_net(true);
        self.sync_cpu_irqs(i);
        self.bus.gic.sync_inputs();
        for (j, c) in self.cpus.iter().enumerate() {
            self.bus.reservations[j] = if j == i { None } else { c.monitor.reserved.map(|(pa, _)| pa & !63) };
        }
        if self.round.ran.len() != self.cpus.len() {
            self.round.ran.resize(self.cpus.len(), 0);
        }
        let c = &mut self.cpus[i];
        self.bus.quantum_ns = self.now_ns;
        self.bus.quantum_icount = c.icount.saturating_sub(self.round.ran[i]);
        self.bus.cur_icount = c.icount;
        let before = c.icount;
        let exceptions = c.stats.exceptions;
        // RAM written by devices since the last run (e.g. an MSI's ITS table walk).
        for (pa, len) in self.bus.take_ram_writes() {
            self.engine.invalidate_phys(pa, len);
        }
        self.bus.cont = cont.map(|allowed| Cont { cpu: i, now_ns: self.now_ns, icount: before, exceptions, allowed });
        if cont.is_some() {
            self.bus.cont_input = self.input.take();
        }
        let x = self.engine.run(c, &mut self.bus, budget);
        if self.bus.cont_input.is_some() {
            self.input = self.bus.cont_input.take();
        }
        self.bus.cur_icount = c.icount;
        let all = c.icount - before;
        match self.bus.cont.take() {
            Some(k) if k.icount != before => {
                // Continued: the last turn began a round of its own at `k.now_ns`.
                self.now_ns = k.now_ns;
                let ran = c.icount - k.icount;
                self.round.ran[i] = ran;
                Turn { x, all, ran, exceptions: k.exceptions, continued: true }
            }
            _ => {
                self.round.ran[i] += all;
                Turn { x, all, ran: all, exceptions, continued: false }
            }
        }
    }

    /// Starts a round-robin round unless one is under way.
    fn begin_round(&mut self) {
        if !self.round.started {
            self.round.started = true;
            self.round.cursor = 0;
            self.round.all_off = true;
            self.round.all_wait = true;
            self.round.ran.clear();
            self.round.ran.resize(self.cpus.len(), 0);
        }
    }

    /// Executes one instruction on PE `i` only (the debugger's single step), as part of
    /// the current round. Returns the engine's exit (`Exit::Wait` when the PE waits and
    /// nothing wakes it, `Exit::Off` when it is off) and a machine stop if the step
    /// caused one (power off, reset).
    pub fn step_cpu(&mut self, i: usize) -> (Exit, Option<RunExit>) {
        if !matches!(self.cpus.get(i), Some(c) if !c.off) {
            return (Exit::Off, None);
        }
        self.begin_round();
        let x = self.turn(i, 1, None).x;
        if let Exit::Halt(code) = x {
            return (x, Some(self.apply_pending().unwrap_or(RunExit::Halt(code))));
        }
        (x, self.apply_pending())
    }

    /// Runs until the guest stops, deadlocks, or `max_insns` (total, in this call) are
    /// retired. A run that returns in the middle of a round (instruction limit, debugger
    /// stop) continues that round where it left off when called again, so the guest sees
    /// the same virtual time as in one run.
    pub fn run(&mut self, max_insns: Option<u64>) -> RunExit {
        let mut total: u64 = 0;
        loop {
            self.begin_round();
            while self.round.cursor < self.cpus.len() {
                let i = self.round.cursor;
                if self.cpus[i].off {
                    self.round.cursor += 1;
                    continue;
                }
                self.round.all_off = false;
                let left = QUANTUM.saturating_sub(self.round.ran.get(i).copied().unwrap_or(0));
                if left == 0 {
                    // Used up its quantum (debugger single steps) in this round.
                    self.round.all_wait = false;
                    self.round.cursor += 1;
                    continue;
                }
                let budget = match max_insns {
                    Some(m) => left.min(m.saturating_sub(total)),
                    None => left,
                };
                if budget == 0 {
                    return RunExit::InsnLimit;
                }
                // The only PE on, nothing else to do between its turns but time (no
                // console input waiting for the UART; input arriving ends the turn): its
                // turn may go on into its next ones, whole quanta within the instruction
                // limit.
                let alone = self.input_buf.is_empty() && self.cpus.iter().enumerate().all(|(j, c)| j == i || c.off);
                let cont = alone.then(|| max_insns.map_or(u64::MAX, |m| m.saturating_sub(total).saturating_sub(budget)));
                let t = self.turn(i, budget, cont);
                let (x, ran) = (t.x, t.ran);
                total += t.all;
                // (The last turn of a continued one had a whole quantum.)
                let left = if t.continued { QUANTUM } else { left };
                let c = &self.cpus[i];
                if ran >= QUANTUM && c.stats.exceptions - t.exceptions >= ran {
                    let el = c.st.pstate.el;
                    return RunExit::ExceptionLoop { cpu: c.cfg.index, pc: c.st.pc, esr: c.sys.esr[el as usize], el };
                }
                let waiting = c.waiting.is_some() || c.off;
                match x {
                    Exit::Halt(code) => {
                        // PSCI SYSTEM_OFF/RESET also halt the PE; the queued action says which.
                        if let Some(r) = self.apply_pending() {
                            return r;
                        }
                        return RunExit::Halt(code);
                    }
                    Exit::Debug => {
                        // The PE stays mid-turn: the round continues with it next time.
                        self.round.all_wait = false;
                        if let Some(r) = self.apply_pending() {
                            return r;
                        }
                        return RunExit::Debug { cpu: i as u8 };
                    }
                    Exit::Wait | Exit::Off => {}
                    Exit::Budget => self.round.all_wait = false,
                }
                if !waiting {
                    self.round.all_wait = false;
                }
                // A turn cut short by `max_insns` is continued by the next call.
                if x != Exit::Budget || ran >= left {
                    self.round.cursor += 1;
                }
                if let Some(r) = self.apply_pending() {
                    return r;
                }
                if self.cpus.iter().any(|c| !c.off && c.waiting.is_none()) {
                    // A PE woken by CPU_ON or SEV during this turn.
                    self.round.all_wait = false;
                }
            }
            if self.round.all_off {
                return RunExit::AllOff;
            }
            if self.poll_input() {
                return RunExit::UserQuit;
            }
            let mut all_wait = self.round.all_wait;
            if !self.input_buf.is_empty() {
                all_wait = false; // a waiting PE will be woken by the UART interrupt
            }
            let next = self.now_ns + QUANTUM;
            if all_wait {
                // Skip to the next event: a device event or a timer deadline.
                let counter = self.counter_now();
                let timer = self
                    .cpus
                    .iter()
                    .filter(|c| !c.off)
                    .filter_map(|c| c.timer_deadline(counter))
                    .min()
                    .map(|t| t.saturating_mul(NS_PER_TICK));
                let dev = self.bus.sched.next_deadline();
                // A timer whose condition became true during the round (e.g. armed with a
                // compare value already reached just before WFI) has no future deadline:
                // its level must reach the GIC now, or the wait would look like a deadlock.
                for i in 0..self.cpus.len() {
                    if !self.cpus[i].off {
                        self.sync_cpu_irqs(i);
                    }
                }
                self.bus.gic.sync_inputs();
                let pending_irq = (0..self.cpus.len()).any(|i| {
                    let (a, b) = self.bus.gic.irq_levels(i);
                    let (va, vb) = self.bus.gic.virq_levels(i);
                    a || b || va || vb
                });
                match [timer, dev].into_iter().flatten().min() {
                    _ if pending_irq => self.now_ns = next,
                    Some(t) if t > self.now_ns => self.now_ns = self.idle_until(t),
                    Some(_) => self.now_ns = next,
                    None => {
                        let pcs = self.cpus.iter().filter(|c| !c.off).map(|c| c.st.pc).collect();
                        return RunExit::Deadlock { pcs };
                    }
                }
            } else {
                self.now_ns = next;
            }
            self.round.started = false;
            if let Some(m) = max_insns {
                if total >= m {
                    return RunExit::InsnLimit;
                }
            }
        }
    }
}
