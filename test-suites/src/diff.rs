//! Differential testing of the interpreter against QEMU user mode (`qemu-aarch64 -cpu
//! cortex-a72`). A [`Case`] (registers, FP state, a scratch buffer and a short instruction
//! sequence) runs both in the static aarch64 harness under QEMU (`harness/`) and on
//! `cpu_aarch64::Cpu` at EL0 with the same memory map; [`compare`] lists the differences.
//!
//! Memory map (identical on both sides):
//! - `SCRATCH_BASE` .. +`SCRATCH_SIZE`: read/write data;
//! - `CODE_BASE` .. +4 KiB: `mrs x30, tpidr_el0`, the sequence, then a stub that branches to
//!   the harness's epilogue (guest X30 travels in TPIDR_EL0 so no register is clobbered).
//!
//! Nothing else is mapped at EL0 on the lsemu side (page tables and vectors live at
//! physical addresses the identity map does not cover).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use cpu_aarch64::platform::{Bus, BusAttrs, BusError, PhysAddr, Platform};
use cpu_aarch64::{Cpu, CpuConfig};

pub const SCRATCH_BASE: u64 = 0x1000_0000;
pub const SCRATCH_SIZE: usize = 4096;
pub const CODE_BASE: u64 = 0x0400_0000;
/// Words in the code record: prelude + up to `MAX_INSNS` + stub (4 words).
pub const CODE_WORDS: usize = 78;
pub const MAX_INSNS: usize = 64;
/// Address of the first instruction of the sequence.
pub const SEQ_BASE: u64 = CODE_BASE + 4;
/// The reserved base register for generated loads and stores.
pub const BASE_REG: u32 = 28;
/// The reserved index register of register-offset loads/stores (a small value).
pub const INDEX_REG: u32 = 26;
/// The reserved base register of exclusives and load-acquire/store-release (never moved).
pub const EXCL_BASE_REG: u32 = 27;

const MAGIC_IN: u32 = 0x4c53_4531;
const MAGIC_OUT: u32 = 0x4c53_4f31;
const STATE_SIZE: usize = 800;
const IN_SIZE: usize = 8 + 4 * CODE_WORDS + STATE_SIZE + SCRATCH_SIZE;
const OUT_SIZE: usize = 32 + STATE_SIZE + SCRATCH_SIZE;

/// Physical addresses of lsemu-only memory (never mapped at EL0).
const PT_BASE: u64 = 0x7000_0000;
const VEC_BASE: u64 = 0x7100_0000;

/// Register state compared by the harness.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Regs {
    pub x: [u64; 31],
    pub sp: u64,
    /// NZCV in bits 31:28.
    pub nzcv: u64,
    pub fpcr: u64,
    pub fpsr: u64,
    pub v: [u128; 32],
}

impl Regs {
    fn to_bytes(&self, o: &mut Vec<u8>) {
        for x in self.x {
            o.extend_from_slice(&x.to_le_bytes());
        }
        for x in [self.sp, self.nzcv, self.fpcr, self.fpsr, 0] {
            o.extend_from_slice(&x.to_le_bytes());
        }
        for v in self.v {
            o.extend_from_slice(&v.to_le_bytes());
        }
    }
    fn from_bytes(b: &[u8]) -> Regs {
        let u = |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap());
        let mut r = Regs::default();
        for i in 0..31 {
            r.x[i] = u(i);
        }
        r.sp = u(31);
        r.nzcv = u(32);
        r.fpcr = u(33);
        r.fpsr = u(34);
        for i in 0..32 {
            r.v[i] = u128::from_le_bytes(b[288 + i * 16..288 + i * 16 + 16].try_into().unwrap());
        }
        r
    }
}

/// One test case: initial state and the instruction sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub regs: Regs,
    pub scratch: Vec<u8>,
    pub insns: Vec<u32>,
}

/// A fault as user space sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Signal {
    Ill,
    Trap,
    Bus,
    Fpe,
    Segv,
    /// Another signal number, or an lsemu exception with no user-space equivalent (EC).
    Other(i32),
}

impl Signal {
    pub fn from_linux(n: i32) -> Signal {
        match n {
            4 => Signal::Ill,
            5 => Signal::Trap,
            7 => Signal::Bus,
            8 => Signal::Fpe,
            11 => Signal::Segv,
            n => Signal::Other(n),
        }
    }
    pub fn name(&self) -> String {
        match self {
            Signal::Ill => "SIGILL".into(),
            Signal::Trap => "SIGTRAP".into(),
            Signal::Bus => "SIGBUS".into(),
            Signal::Fpe => "SIGFPE".into(),
            Signal::Segv => "SIGSEGV".into(),
            Signal::Other(n) => format!("OTHER({n})"),
        }
    }
    pub fn parse(s: &str) -> Option<Signal> {
        Some(match s {
            "SIGILL" => Signal::Ill,
            "SIGTRAP" => Signal::Trap,
            "SIGBUS" => Signal::Bus,
            "SIGFPE" => Signal::Fpe,
            "SIGSEGV" => Signal::Segv,
            _ => Signal::Other(s.strip_prefix("OTHER(")?.strip_suffix(')')?.parse().ok()?),
        })
    }
}

/// The instruction index and signal of a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// Index in the sequence of the faulting instruction (`u32::MAX` when the PC was
    /// outside the sequence).
    pub index: u32,
    pub signal: Signal,
}

/// What running a case produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub fault: Option<Fault>,
    pub regs: Regs,
    pub scratch: Vec<u8>,
    /// An lsemu panic or an internal error (never from qemu).
    pub error: Option<String>,
}

/// The full code page contents for a sequence (prelude, sequence, stub).
pub fn code_words(insns: &[u32], epilogue: u64) -> Vec<u32> {
    let mut w = Vec::with_capacity(insns.len() + 5);
    w.push(0xd53b_d05e); // mrs x30, tpidr_el0
    w.extend_from_slice(insns);
    w.push(0xd51b_d05e); // msr tpidr_el0, x30
    w.push(0xd280_001e | ((epilogue as u32 & 0xffff) << 5)); // movz x30, #lo
    w.push(0xf2a0_001e | (((epilogue >> 16) as u32 & 0xffff) << 5)); // movk x30, #hi, lsl #16
    w.push(0xd61f_03c0); // br x30
    w
}

// ---------------------------------------------------------------------------------------
// The QEMU side

/// Why the QEMU oracle cannot run.
#[derive(Debug, Clone)]
pub struct OracleMissing(pub String);

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The harness binary and its epilogue address; built on first use into `target/`.
pub struct Harness {
    pub path: PathBuf,
    pub epilogue: u64,
    pub qemu: PathBuf,
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join(name)).find(|f| f.is_file()))
}

/// Builds (if needed) and returns the harness, or says which package is missing.
pub fn harness() -> Result<&'static Harness, OracleMissing> {
    static H: OnceLock<Result<Harness, OracleMissing>> = OnceLock::new();
    H.get_or_init(build_harness).as_ref().map_err(|e| e.clone())
}

fn build_harness() -> Result<Harness, OracleMissing> {
    let gcc = which("aarch64-linux-gnu-gcc").ok_or_else(|| {
        OracleMissing("aarch64-linux-gnu-gcc not found: install the Debian package gcc-aarch64-linux-gnu".into())
    })?;
    let qemu = which("qemu-aarch64")
        .or_else(|| which("qemu-aarch64-static"))
        .ok_or_else(|| OracleMissing("qemu-aarch64 not found: install the Debian package qemu-user".into()))?;
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("harness");
    let out_dir = workspace_root().join("target").join("lsemu-harness");
    std::fs::create_dir_all(&out_dir).map_err(|e| OracleMissing(format!("cannot create {}: {e}", out_dir.display())))?;
    let exe = out_dir.join("harness");
    let tmp = out_dir.join(format!("harness.{}.tmp", std::process::id()));
    let st = Command::new(&gcc)
        .args(["-static", "-no-pie", "-O2", "-Wall", "-o"])
        .arg(&tmp)
        .arg(src.join("harness.c"))
        .arg(src.join("run.S"))
        .status()
        .map_err(|e| OracleMissing(format!("cannot run {}: {e}", gcc.display())))?;
    if !st.success() {
        return Err(OracleMissing("building the harness with aarch64-linux-gnu-gcc failed (is libc6-dev-arm64-cross installed?)".into()));
    }
    std::fs::rename(&tmp, &exe).map_err(|e| OracleMissing(format!("rename: {e}")))?;
    let o = Command::new(&qemu)
        .args(["-cpu", "cortex-a72"])
        .arg(&exe)
        .arg("--epilogue")
        .output()
        .map_err(|e| OracleMissing(format!("cannot run qemu: {e}")))?;
    let s = String::from_utf8_lossy(&o.stdout);
    let epilogue = u64::from_str_radix(s.trim().trim_start_matches("0x"), 16)
        .map_err(|_| OracleMissing(format!("harness --epilogue printed {s:?}")))?;
    Ok(Harness { path: exe, epilogue, qemu })
}

fn encode_case(c: &Case, epilogue: u64, o: &mut Vec<u8>) {
    let words = code_words(&c.insns, epilogue);
    o.extend_from_slice(&MAGIC_IN.to_le_bytes());
    o.extend_from_slice(&(words.len() as u32).to_le_bytes());
    for i in 0..CODE_WORDS {
        o.extend_from_slice(&words.get(i).copied().unwrap_or(0).to_le_bytes());
    }
    c.regs.to_bytes(o);
    o.extend_from_slice(&c.scratch);
}

fn decode_out(b: &[u8]) -> Outcome {
    let i32at = |i: usize| i32::from_le_bytes(b[i..i + 4].try_into().unwrap());
    let fault_index = i32at(4);
    let fault = if fault_index < 0 {
        None
    } else {
        let index = if fault_index == 0x7fff_ffff { u32::MAX } else { fault_index as u32 };
        Some(Fault { index, signal: Signal::from_linux(i32at(8)) })
    };
    Outcome { fault, regs: Regs::from_bytes(&b[32..32 + STATE_SIZE]), scratch: b[32 + STATE_SIZE..].to_vec(), error: None }
}

/// Runs cases in one qemu process. Returns the outcomes of the first k cases (k < len if
/// the harness died, which happens only if a case corrupted the harness).
fn qemu_batch(h: &Harness, cases: &[Case]) -> Vec<Outcome> {
    let mut input = Vec::with_capacity(cases.len() * IN_SIZE);
    for c in cases {
        encode_case(c, h.epilogue, &mut input);
    }
    let child = Command::new(&h.qemu)
        .args(["-cpu", "cortex-a72"])
        .arg(&h.path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else { return Vec::new() };
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    // Watchdog: generated code cannot loop (branches go forward), but a harness or QEMU bug
    // must not hang the test. The child is ended by its own process id.
    let pid = child.id();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let limit = std::time::Duration::from_secs(30 + cases.len() as u64 / 10);
    let watchdog = std::thread::spawn(move || {
        if done_rx.recv_timeout(limit).is_err() {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
    });
    let mut out = Vec::new();
    let _ = child.stdout.take().unwrap().read_to_end(&mut out);
    let _ = child.wait();
    let _ = done_tx.send(());
    let _ = watchdog.join();
    let _ = writer.join();
    out.chunks_exact(OUT_SIZE).filter(|c| c[0..4] == MAGIC_OUT.to_le_bytes()).map(decode_out).collect()
}

/// Runs cases under QEMU. A case whose run killed the harness gets `None`.
pub fn run_qemu(cases: &[Case]) -> Result<Vec<Option<Outcome>>, OracleMissing> {
    let h = harness()?;
    let mut res: Vec<Option<Outcome>> = Vec::with_capacity(cases.len());
    let mut rest = cases;
    while !rest.is_empty() {
        let got = qemu_batch(h, rest);
        let n = got.len();
        res.extend(got.into_iter().map(Some));
        if n < rest.len() {
            res.push(None);
            rest = &rest[n + 1..];
        } else {
            rest = &[];
        }
    }
    Ok(res)
}

// ---------------------------------------------------------------------------------------
// The lsemu side

/// RAM regions at fixed physical addresses; everything else is unmapped.
#[derive(Debug, Clone)]
pub struct TestRam {
    pub regions: Vec<(u64, Vec<u8>)>,
}

impl TestRam {
    fn find(&mut self, pa: u64, len: usize) -> Result<&mut [u8], BusError> {
        for (base, mem) in self.regions.iter_mut() {
            if pa >= *base && pa.wrapping_sub(*base).saturating_add(len as u64) <= mem.len() as u64 {
                let off = (pa - *base) as usize;
                return Ok(&mut mem[off..off + len]);
            }
        }
        Err(BusError::Unmapped)
    }
    pub fn region(&self, base: u64) -> &[u8] {
        &self.regions.iter().find(|r| r.0 == base).unwrap().1
    }
    fn write_u64(&mut self, pa: u64, v: u64) {
        self.find(pa, 8).unwrap().copy_from_slice(&v.to_le_bytes());
    }
}

impl Bus for TestRam {
    fn read(&mut self, pa: PhysAddr, buf: &mut [u8], _a: BusAttrs) -> Result<(), BusError> {
        buf.copy_from_slice(self.find(pa.0, buf.len())?);
        Ok(())
    }
    fn write(&mut self, pa: PhysAddr, buf: &[u8], _a: BusAttrs) -> Result<(), BusError> {
        self.find(pa.0, buf.len())?.copy_from_slice(buf);
        Ok(())
    }
}

impl Platform for TestRam {
    fn counter(&self) -> u64 {
        0
    }
}

/// SCTLR_EL1 as Linux sets it for user space (arch/arm64 INIT_SCTLR_EL1_MMU_ON, ARMv8.0
/// bits): M, C, SA, SA0, SED, I, DZE, UCT, nTWI, nTWE, UCI, plus the RES1 bits 11, 20,
/// 22, 23, 28, 29.
pub const SCTLR_EL1_LINUX: u64 = 0x34d5_d91d;

/// Builds the identity map for the scratch and code pages (4 KiB granule, T0SZ = 25, so the
/// walk starts at level 1). Memory attribute index 0 is Normal write-back.
fn build_page_tables(ram: &mut TestRam) {
    let l1 = PT_BASE;
    let l2 = PT_BASE + 0x1000;
    let l3s = PT_BASE + 0x2000;
    let l3c = PT_BASE + 0x3000;
    let table = |a: u64| a | 0b11;
    // Page descriptor: bits 1:0 = 0b11, AttrIndx = 0, AP = 0b01 (EL1 and EL0 read/write),
    // SH = 0b11 (Inner Shareable), AF = 1, nG = 1; PXN (53) always, UXN (54) for data.
    let page = |a: u64, exec: bool| a | 0b11 | 0b01 << 6 | 0b11 << 8 | 1 << 10 | 1 << 11 | 1 << 53 | (!exec as u64) << 54;
    ram.write_u64(l1, table(l2));
    ram.write_u64(l2 + 8 * ((SCRATCH_BASE >> 21) & 511), table(l3s));
    ram.write_u64(l2 + 8 * ((CODE_BASE >> 21) & 511), table(l3c));
    ram.write_u64(l3s + 8 * ((SCRATCH_BASE >> 12) & 511), page(SCRATCH_BASE, false));
    ram.write_u64(l3c + 8 * ((CODE_BASE >> 12) & 511), page(CODE_BASE, true));
}

fn new_machine(mmu: bool) -> (Cpu, TestRam) {
    let mut cpu = Cpu::new(CpuConfig { index: 0, mpidr: 0, has_el2: false, has_el3: false });
    let mut ram = TestRam {
        regions: vec![
            (SCRATCH_BASE, vec![0; SCRATCH_SIZE]),
            (CODE_BASE, vec![0; 4096]),
            (PT_BASE, vec![0; 0x4000]),
            (VEC_BASE, vec![0; 0x800]),
        ],
    };
    build_page_tables(&mut ram);
    let s = &mut cpu.sys;
    s.vbar[1] = VEC_BASE;
    s.cpacr_el1 = 0b11 << 20; // FPEN: no FP/AdvSIMD traps
    s.mair[1] = 0x00ff; // Attr0 = Normal WB RW-allocate, Attr1 = Device-nGnRnE
    // TCR_EL1: T0SZ = 25, IRGN0 = ORGN0 = WB WA, SH0 = Inner, TG0 = 4K, EPD1 = 1, IPS = 40 bits.
    s.tcr[1] = 25 | 0b01 << 8 | 0b01 << 10 | 0b11 << 12 | 1 << 23 | 0b010 << 32;
    s.ttbr0[1] = PT_BASE;
    s.sctlr[1] = if mmu { SCTLR_EL1_LINUX } else { SCTLR_EL1_LINUX & !1 };
    cpu.st.pstate.el = 0;
    cpu.st.pstate.sp = 0;
    cpu.st.pstate.daif = 0;
    (cpu, ram)
}

/// Whether lsemu's MMU walks the tables (then accesses to the scratch page are Normal
/// memory and unaligned accesses are allowed, as in Linux user space).
pub fn mmu_walks() -> bool {
    static W: OnceLock<bool> = OnceLock::new();
    *W.get_or_init(|| {
        let (mut cpu, mut ram) = new_machine(true);
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let acc = cpu_aarch64::mmu::Access::read(8);
            let t = cpu_aarch64::mmu::translate(&mut cpu, &mut ram, SCRATCH_BASE, acc);
            // Must map the scratch page as Normal memory and leave unmapped pages unmapped.
            let unmapped = cpu_aarch64::mmu::translate(&mut cpu, &mut ram, 0x2000_0000, acc);
            matches!(t, Ok(t) if t.mem == cpu_aarch64::mmu::MemType::Normal && t.pa == SCRATCH_BASE) && unmapped.is_err()
        }));
        ok.unwrap_or(false)
    })
}

/// Maps an lsemu exception taken from EL0 to the signal Linux delivers for it.
pub fn signal_for_esr(esr: u64) -> Signal {
    use cpu_aarch64::exception::ec;
    let ecv = (esr >> 26) as u8 & 0x3f;
    let fsc = esr & 0x3f;
    match ecv {
        ec::UNKNOWN | ec::SYSREG | ec::ILLEGAL_STATE | ec::FP_ACCESS => Signal::Ill,
        ec::DABT_LOWER | ec::DABT_SAME | ec::IABT_LOWER | ec::IABT_SAME => {
            if fsc == 0b100001 {
                Signal::Bus
            } else {
                // Translation faults, and (MMU off) external aborts from TestRam's unmapped
                // addresses: the harness's counterpart is an unmapped page, SIGSEGV.
                Signal::Segv
            }
        }
        ec::PC_ALIGN | ec::SP_ALIGN => Signal::Bus,
        ec::BRK64 | ec::BREAKPT_LOWER | ec::SSTEP_LOWER | ec::WATCHPT_LOWER => Signal::Trap,
        ec::FP_EXC64 => Signal::Fpe,
        e => Signal::Other(0x100 + e as i32),
    }
}

/// Runs a case on lsemu's interpreter (EL0, MMU on with an identity map when the walker
/// is available, off otherwise).
pub fn run_lsemu(c: &Case, epilogue: u64) -> Outcome {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_lsemu_inner(c, epilogue)));
    match r {
        Ok(o) => o,
        Err(e) => {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panic".into());
            Outcome { fault: None, regs: Regs::default(), scratch: vec![], error: Some(format!("lsemu panicked: {msg}")) }
        }
    }
}

fn run_lsemu_inner(c: &Case, epilogue: u64) -> Outcome {
    let (mut cpu, mut ram) = new_machine(mmu_walks());
    let words = code_words(&c.insns, epilogue);
    for (i, w) in words.iter().enumerate() {
        ram.find(CODE_BASE + 4 * i as u64, 4).unwrap().copy_from_slice(&w.to_le_bytes());
    }
    ram.find(SCRATCH_BASE, SCRATCH_SIZE).unwrap().copy_from_slice(&c.scratch);
    let st = &mut cpu.st;
    st.x = c.regs.x;
    st.sp_el[0] = c.regs.sp;
    st.pstate.nzcv = c.regs.nzcv as u32 & 0xf000_0000;
    st.fpcr = c.regs.fpcr as u32;
    st.fpsr = c.regs.fpsr as u32;
    st.v = c.regs.v;
    st.pc = SEQ_BASE;
    let end = SEQ_BASE + 4 * c.insns.len() as u64;
    let mut fault = None;
    let mut error = None;
    // Forward branches only: at most one step per instruction, plus slack.
    for _ in 0..(c.insns.len() + 8) {
        if cpu.st.pc == end {
            break;
        }
        let exit = cpu_aarch64::interp::step(&mut cpu, &mut ram);
        if cpu.st.pstate.el != 0 {
            let elr = cpu.st.elr[1];
            let index = if elr >= SEQ_BASE && elr < end { ((elr - SEQ_BASE) / 4) as u32 } else { u32::MAX };
            fault = Some(Fault { index, signal: signal_for_esr(cpu.sys.esr[1]) });
            cpu.st.pstate.nzcv = cpu.st.spsr[1] as u32 & 0xf000_0000;
            break;
        }
        if let Some(x) = exit {
            error = Some(format!("lsemu stopped with {x:?} at pc {:#x}", cpu.st.pc));
            break;
        }
    }
    if fault.is_none() && error.is_none() && cpu.st.pc != end {
        error = Some(format!("lsemu did not reach the end of the sequence (pc {:#x})", cpu.st.pc));
    }
    let st = &cpu.st;
    let regs = Regs {
        x: st.x,
        sp: st.sp_el[0],
        nzcv: st.pstate.nzcv as u64,
        fpcr: st.fpcr as u64,
        fpsr: st.fpsr as u64,
        v: st.v,
    };
    Outcome { fault, regs, scratch: ram.region(SCRATCH_BASE).to_vec(), error }
}

// ---------------------------------------------------------------------------------------
// Comparison

/// The differences between the oracle's outcome and lsemu's for case `c`, one line each;
/// empty if equal. Allowed divergences are not reported: when both sides fault on the same
/// store (a page-crossing access into the unmapped page), the bytes it could have written
/// in the mapped page are not compared: a store that generates a synchronous abort may
/// leave part of its locations written (QEMU splits wide stores, lsemu writes nothing).
pub fn compare_case(c: &Case, q: &Outcome, l: &Outcome) -> Vec<String> {
    let partial_store = match (q.fault, l.fault) {
        (Some(fq), Some(fl)) if fq == fl && matches!(fq.signal, Signal::Segv | Signal::Bus) => c
            .insns
            .get(fq.index as usize)
            .and_then(|w| cpu_aarch64::decode::lookup(*w))
            .is_some_and(|i| cpu_aarch64::decode::ENCODINGS[i as usize].asm.starts_with("st")),
        _ => false,
    };
    // 64 bytes: the largest single store (ST4 of Q registers writes 64 bytes).
    compare_with(q, l, &|off| partial_store && !(64..SCRATCH_SIZE - 64).contains(&off))
}

/// The differences between the oracle's outcome and lsemu's, one line each; empty if equal.
pub fn compare(q: &Outcome, l: &Outcome) -> Vec<String> {
    compare_with(q, l, &|_| false)
}

fn compare_with(q: &Outcome, l: &Outcome, ignore_mem: &dyn Fn(usize) -> bool) -> Vec<String> {
    let mut d = Vec::new();
    if let Some(e) = &l.error {
        d.push(e.clone());
        return d;
    }
    let fs = |f: &Option<Fault>| match f {
        None => "none".to_string(),
        Some(f) if f.index == u32::MAX => format!("{} outside the sequence", f.signal.name()),
        Some(f) => format!("{} at insn {}", f.signal.name(), f.index),
    };
    if q.fault != l.fault {
        d.push(format!("fault: qemu {} / lsemu {}", fs(&q.fault), fs(&l.fault)));
    }
    for i in 0..31 {
        if q.regs.x[i] != l.regs.x[i] {
            d.push(format!("x{i}: qemu {:#018x} / lsemu {:#018x}", q.regs.x[i], l.regs.x[i]));
        }
    }
    if q.regs.sp != l.regs.sp {
        d.push(format!("sp: qemu {:#018x} / lsemu {:#018x}", q.regs.sp, l.regs.sp));
    }
    if q.regs.nzcv != l.regs.nzcv {
        d.push(format!("nzcv: qemu {:#x} / lsemu {:#x}", q.regs.nzcv >> 28, l.regs.nzcv >> 28));
    }
    if q.regs.fpcr != l.regs.fpcr {
        d.push(format!("fpcr: qemu {:#x} / lsemu {:#x}", q.regs.fpcr, l.regs.fpcr));
    }
    if q.regs.fpsr != l.regs.fpsr {
        d.push(format!("fpsr: qemu {:#x} / lsemu {:#x}", q.regs.fpsr, l.regs.fpsr));
    }
    for i in 0..32 {
        if q.regs.v[i] != l.regs.v[i] {
            d.push(format!("v{i}: qemu {:#034x} / lsemu {:#034x}", q.regs.v[i], l.regs.v[i]));
        }
    }
    for (i, (a, b)) in q.scratch.iter().zip(l.scratch.iter()).enumerate() {
        if a != b && !ignore_mem(i) {
            d.push(format!("mem[{:#x}]: qemu {a:#04x} / lsemu {b:#04x}", SCRATCH_BASE + i as u64));
            if d.len() > 60 {
                d.push("...".into());
                break;
            }
        }
    }
    d
}
