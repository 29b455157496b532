//! `--trace TARGETS`, `--trace-filter FILTER`, `--trace-file PATH`: the text format of
//! trace records (`cpu_aarch64::trace::Record`), their filter and the buffered writer.
//!
//! One record per line, fields separated by single spaces, numbers in hex with `0x`
//! except the PE index and ELs (the format is documented in README.md; tests snapshot it):
//! ```text
//! insn cpu0 el3 0000000080000000: d2800020  mov x0, #0x1
//! exc  cpu0 sync el1->el3 pc=0x80000124 ec=0x17 SMC64 esr=0x5e000000 elr=0x80000128 vector=0x80000c00
//! exc  cpu0 serror el1->el1 pc=0x... esr=0xbe000000 elr=0x... vector=0x...
//! irq  cpu0 irq el1->el1 pc=0x... elr=0x... vector=0x...
//! irq  cpu0 ack el1 group=1 intid=30
//! eret cpu0 el3->el1 pc=0x80000118 target=0x80000120 spsr=0x3c5
//! mmio cpu0 duart1-uart0+0x5 read size=1 value=0x60 pa=0x21c0505
//! psci cpu0 el2 pc=0x... PSCI_VERSION fid=0x84000000 args=0x0,0x0,0x0 result=0x10001
//! ```

use anyhow::{bail, Context, Result};
use cpu_aarch64::trace::{self as t, Event, Kind, Record, TraceSink, Tracer};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Parses `insn,exc,irq,mmio,psci` (or `all`) into trace flags.
pub fn parse_targets(s: &str) -> Result<u32> {
    let mut flags = 0;
    for w in s.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        flags |= match w {
            "insn" => t::INSN,
            "exc" => t::EXC,
            "irq" => t::IRQ,
            "mmio" => t::MMIO,
            "psci" => t::PSCI,
            "all" => t::INSN | t::EXC | t::IRQ | t::MMIO | t::PSCI,
            _ if w.contains('=') || w.contains("::") => {
                bail!("--trace: '{w}' is a log filter: use --log {s} (--trace takes insn, exc, irq, mmio, psci or all)")
            }
            _ => bail!("--trace: unknown target '{w}' (expected insn, exc, irq, mmio, psci or all)"),
        };
    }
    if flags == 0 {
        bail!("--trace: no target given (expected insn, exc, irq, mmio, psci or all)");
    }
    Ok(flags)
}

/// A half-open range `lo..hi` of values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    lo: u64,
    hi: u64,
}

impl Range {
    fn contains(&self, v: u64) -> bool {
        v >= self.lo && v < self.hi
    }
}

/// `--trace-filter`: comma-separated `key=value` terms, all of which must hold. Keys:
/// `cpu`, `el`, `pc` (a number `N`, a half-open range `A..B`, or inclusive `A..=B`;
/// decimal or 0x-hex) and `dev` (an MMIO device name). A term applies only to records
/// that carry the field: MMIO records have no EL or PC, only MMIO records have a device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    cpu: Option<Range>,
    el: Option<Range>,
    pc: Option<Range>,
    dev: Option<String>,
}

fn parse_num(s: &str) -> Result<u64> {
    let t = s.trim().replace('_', "");
    let r = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16),
        None => t.parse(),
    };
    r.with_context(|| format!("'{s}' is not a number (decimal or 0x-prefixed hex)"))
}

fn parse_range(s: &str) -> Result<Range> {
    if let Some((a, b)) = s.split_once("..=") {
        let (lo, hi) = (parse_num(a)?, parse_num(b)?);
        return Ok(Range { lo, hi: hi.saturating_add(1) });
    }
    if let Some((a, b)) = s.split_once("..") {
        return Ok(Range { lo: parse_num(a)?, hi: parse_num(b)? });
    }
    let v = parse_num(s)?;
    Ok(Range { lo: v, hi: v.saturating_add(1) })
}

impl Filter {
    pub fn parse(s: &str) -> Result<Filter> {
        let mut f = Filter::default();
        for term in s.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            let Some((k, v)) = term.split_once('=') else {
                bail!("--trace-filter: '{term}' is not key=value (keys: cpu, el, pc, dev)");
            };
            let range = || parse_range(v).with_context(|| format!("--trace-filter: bad value in '{term}'"));
            match k.trim() {
                "cpu" => f.cpu = Some(range()?),
                "el" => f.el = Some(range()?),
                "pc" => f.pc = Some(range()?),
                "dev" => f.dev = Some(v.trim().to_string()),
                other => bail!("--trace-filter: unknown key '{other}' (keys: cpu, el, pc, dev)"),
            }
        }
        Ok(f)
    }

    pub fn matches(&self, r: &Record<'_>) -> bool {
        let ok = |range: &Option<Range>, v: Option<u64>| match (range, v) {
            (Some(range), Some(v)) => range.contains(v),
            _ => true,
        };
        let dev_ok = match (&self.dev, &r.event) {
            (Some(d), Event::Mmio { dev, .. }) => d == dev,
            _ => true,
        };
        ok(&self.cpu, Some(r.cpu as u64)) && ok(&self.el, r.el.map(u64::from)) && ok(&self.pc, r.pc) && dev_ok
    }
}

/// Arm ARM names of ESR_ELx.EC values (D17.2.37), as printed in traces and statistics.
pub fn ec_name(ec: u8) -> &'static str {
    match ec {
        0x00 => "UNKNOWN",
        0x01 => "WFX",
        0x03 => "MCR_MRC_CP15",
        0x04 => "MCRR_MRRC_CP15",
        0x05 => "MCR_MRC_CP14",
        0x06 => "LDC_STC_CP14",
        0x07 => "FP_ACCESS",
        0x0c => "MRRC_CP14",
        0x0e => "ILLEGAL_STATE",
        0x11 => "SVC32",
        0x12 => "HVC32",
        0x13 => "SMC32",
        0x15 => "SVC64",
        0x16 => "HVC64",
        0x17 => "SMC64",
        0x18 => "SYSREG",
        0x1f => "IMPDEF_EL3",
        0x20 => "IABT_LOWER",
        0x21 => "IABT_SAME",
        0x22 => "PC_ALIGN",
        0x24 => "DABT_LOWER",
        0x25 => "DABT_SAME",
        0x26 => "SP_ALIGN",
        0x28 => "FP_EXC32",
        0x2c => "FP_EXC64",
        0x2f => "SERROR",
        0x30 => "BREAKPT_LOWER",
        0x31 => "BREAKPT_SAME",
        0x32 => "SSTEP_LOWER",
        0x33 => "SSTEP_SAME",
        0x34 => "WATCHPT_LOWER",
        0x35 => "WATCHPT_SAME",
        0x38 => "BKPT32",
        0x3a => "VECTOR_CATCH32",
        0x3c => "BRK64",
        _ => "RESERVED",
    }
}

/// Names of the PSCI (DEN0022) and SMCCC (DEN0028) functions the built-in firmware knows.
pub fn smc_name(fid: u32) -> &'static str {
    use firmware::psci as p;
    use firmware::smccc as s;
    match fid {
        p::PSCI_VERSION => "PSCI_VERSION",
        p::CPU_SUSPEND | p::CPU_SUSPEND_64 => "CPU_SUSPEND",
        p::CPU_OFF => "CPU_OFF",
        p::CPU_ON | p::CPU_ON_64 => "CPU_ON",
        p::AFFINITY_INFO | p::AFFINITY_INFO_64 => "AFFINITY_INFO",
        p::MIGRATE | p::MIGRATE_64 => "MIGRATE",
        p::MIGRATE_INFO_TYPE => "MIGRATE_INFO_TYPE",
        p::MIGRATE_INFO_UP_CPU | p::MIGRATE_INFO_UP_CPU_64 => "MIGRATE_INFO_UP_CPU",
        p::SYSTEM_OFF => "SYSTEM_OFF",
        p::SYSTEM_RESET => "SYSTEM_RESET",
        p::PSCI_FEATURES => "PSCI_FEATURES",
        p::SYSTEM_SUSPEND | p::SYSTEM_SUSPEND_64 => "SYSTEM_SUSPEND",
        p::SYSTEM_RESET2 | p::SYSTEM_RESET2_64 => "SYSTEM_RESET2",
        s::SMCCC_VERSION => "SMCCC_VERSION",
        s::SMCCC_ARCH_FEATURES => "SMCCC_ARCH_FEATURES",
        s::SMCCC_ARCH_SOC_ID => "SMCCC_ARCH_SOC_ID",
        s::SMCCC_ARCH_WORKAROUND_1 => "SMCCC_ARCH_WORKAROUND_1",
        s::SMCCC_ARCH_WORKAROUND_2 => "SMCCC_ARCH_WORKAROUND_2",
        s::SMCCC_ARCH_WORKAROUND_3 => "SMCCC_ARCH_WORKAROUND_3",
        // SMCCC TRNG (DEN0098), probed by Linux; answered NOT_SUPPORTED.
        0x8400_0050 => "TRNG_VERSION",
        0x8400_0051 => "TRNG_FEATURES",
        0x8400_0052 => "TRNG_GET_UUID",
        0x8400_0053 | 0xc400_0053 => "TRNG_RND",
        _ => "UNKNOWN",
    }
}

/// Formats one record (without the newline).
pub fn format(r: &Record<'_>) -> String {
    let cpu = r.cpu;
    let pc = r.pc.unwrap_or(0);
    let el = r.el.unwrap_or(0);
    match r.event {
        Event::Insn { raw } => {
            format!("insn cpu{cpu} el{el} {pc:016x}: {raw:08x}  {}", cpu_aarch64::decode::disasm::disasm(raw, pc))
        }
        Event::Exception { kind, from_el, to_el, esr, far, elr, vector } => {
            let (tag, k) = match kind {
                Kind::Sync => ("exc ", "sync"),
                Kind::SError => ("exc ", "serror"),
                Kind::Irq => ("irq ", "irq"),
                Kind::Fiq => ("irq ", "fiq"),
            };
            let mut s = format!("{tag} cpu{cpu} {k} el{from_el}->el{to_el} pc={pc:#x}");
            if kind == Kind::Sync {
                let ec = (esr >> 26) as u8 & 0x3f;
                s += &format!(" ec={ec:#04x} {}", ec_name(ec));
            }
            if matches!(kind, Kind::Sync | Kind::SError) {
                s += &format!(" esr={esr:#010x}");
            }
            if let Some(far) = far {
                s += &format!(" far={far:#x}");
            }
            s + &format!(" elr={elr:#x} vector={vector:#x}")
        }
        Event::Eret { from_el, to_el, target, spsr, illegal } => {
            let il = if illegal { " illegal" } else { "" };
            format!("eret cpu{cpu} el{from_el}->el{to_el} pc={pc:#x} target={target:#x} spsr={spsr:#x}{il}")
        }
        Event::Mmio { dev, pa, off, size, write, value, error } => {
            let dir = if write { "write" } else { "read" };
            let err = if error { " error" } else { "" };
            format!("mmio cpu{cpu} {dev}+{off:#x} {dir} size={size} value={value:#x} pa={pa:#x}{err}")
        }
        Event::Smc { imm, fid, args, result } => {
            let name = smc_name(fid as u32);
            let imm = if imm != 0 { format!(" imm={imm:#x}") } else { String::new() };
            // SMCCC error codes are small negative numbers: shown in decimal too.
            let res = match result {
                Some(v) if (v as i64) < 0 && (v as i64) > -64 => format!("{v:#x} ({})", v as i64),
                Some(v) => format!("{v:#x}"),
                None => "none".into(),
            };
            format!(
                "psci cpu{cpu} el{el} pc={pc:#x}{imm} {name} fid={fid:#x} args={:#x},{:#x},{:#x} result={res}",
                args[0], args[1], args[2]
            )
        }
        Event::IrqAck { group, intid, virt } => {
            let v = if virt { " virtual" } else { "" };
            format!("irq  cpu{cpu} ack el{el} group={group} intid={intid}{v}")
        }
    }
}

/// The sink: filter, format, buffered write. Write errors stop tracing with one message.
pub struct TextSink {
    filter: Filter,
    out: Mutex<Option<Box<dyn Write + Send>>>,
}

impl TextSink {
    pub fn new(filter: Filter, out: Box<dyn Write + Send>) -> Self {
        TextSink { filter, out: Mutex::new(Some(out)) }
    }

    /// Flushes buffered records (at exit).
    pub fn flush(&self) {
        if let Ok(mut g) = self.out.lock() {
            if let Some(w) = g.as_mut() {
                if let Err(e) = w.flush() {
                    eprintln!("lsemu: trace output: {e}");
                    *g = None;
                }
            }
        }
    }
}

impl TraceSink for TextSink {
    fn record(&self, r: &Record<'_>) {
        if !self.filter.matches(r) {
            return;
        }
        let line = format(r);
        if let Ok(mut g) = self.out.lock() {
            if let Some(w) = g.as_mut() {
                if let Err(e) = writeln!(w, "{line}") {
                    eprintln!("lsemu: trace output: {e}; tracing stopped");
                    *g = None;
                }
            }
        }
    }
}

/// The trace options of `lsemu run` and `lsemu boot`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TraceArgs {
    /// Trace records to write: a comma-separated list of insn (every instruction with
    /// its disassembly), exc (synchronous exceptions, SError, ERET), irq (IRQ/FIQ taken),
    /// mmio (device register accesses), psci (PSCI/SMCCC calls to the built-in
    /// firmware), or all. See README "Tracing and statistics" for the format.
    #[arg(long, value_name = "TARGETS")]
    pub trace: Option<String>,
    /// Only records matching all of these comma-separated terms: cpu=N, el=N, pc=A..B
    /// (half-open; N and A..=B also work), dev=NAME (MMIO device).
    #[arg(long, value_name = "FILTER", requires = "trace")]
    pub trace_filter: Option<String>,
    /// Write trace records to this file instead of stderr.
    #[arg(long, value_name = "PATH", requires = "trace")]
    pub trace_file: Option<std::path::PathBuf>,
}

/// The tracer and its sink (to flush at exit) for the options given, or `None` when
/// tracing is off.
pub fn setup(a: &TraceArgs) -> Result<Option<(Tracer, Arc<TextSink>)>> {
    let Some(targets) = &a.trace else {
        return Ok(None);
    };
    let flags = parse_targets(targets)?;
    let filter = match &a.trace_filter {
        Some(f) => Filter::parse(f)?,
        None => Filter::default(),
    };
    let out: Box<dyn Write + Send> = match &a.trace_file {
        Some(p) => {
            let f = std::fs::File::create(p).with_context(|| format!("--trace-file: cannot create {}", p.display()))?;
            Box::new(std::io::BufWriter::with_capacity(1 << 16, f))
        }
        None => Box::new(std::io::BufWriter::with_capacity(1 << 16, std::io::stderr())),
    };
    let sink = Arc::new(TextSink::new(filter, out));
    Ok(Some((Tracer::new(flags, sink.clone()), sink)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(cpu: u8, el: Option<u8>, pc: Option<u64>, event: Event<'static>) -> Record<'static> {
        Record { cpu, el, pc, event }
    }

    #[test]
    fn targets_parse() {
        assert_eq!(parse_targets("insn,exc").unwrap(), t::INSN | t::EXC);
        assert_eq!(parse_targets("mmio, psci ,irq").unwrap(), t::MMIO | t::PSCI | t::IRQ);
        assert!(parse_targets("insn,bogus").is_err());
        assert!(parse_targets("").is_err());
        let e = parse_targets("gic=debug").unwrap_err().to_string();
        assert!(e.contains("--log gic=debug"), "{e}");
    }

    #[test]
    fn filter_terms() {
        let f = Filter::parse("cpu=0,el=1,pc=0xffff800008000000..0xffff800009000000").unwrap();
        let insn = |cpu, el, pc| rec(cpu, Some(el), Some(pc), Event::Insn { raw: 0xd503201f });
        assert!(f.matches(&insn(0, 1, 0xffff800008000000)));
        assert!(!f.matches(&insn(0, 1, 0xffff800009000000)), "the range is half-open");
        assert!(!f.matches(&insn(1, 1, 0xffff800008000000)));
        assert!(!f.matches(&insn(0, 2, 0xffff800008000000)));
        // MMIO records carry no EL or PC: only the cpu term applies.
        let mmio = |cpu, dev| rec(cpu, None, None, Event::Mmio { dev, pa: 0, off: 0, size: 1, write: false, value: 0, error: false });
        assert!(f.matches(&mmio(0, "gic")));
        assert!(!f.matches(&mmio(1, "gic")));
        let d = Filter::parse("dev=duart1-uart0,el=0..=1").unwrap();
        assert!(d.matches(&mmio(3, "duart1-uart0")));
        assert!(!d.matches(&mmio(3, "gic")));
        assert!(d.matches(&insn(0, 1, 0)) && !d.matches(&insn(0, 2, 0)));
        assert!(Filter::parse("pc").is_err());
        assert!(Filter::parse("foo=1").is_err());
        assert!(Filter::parse("pc=0xzz").is_err());
    }

    /// Formats, with the ESR values worked out by hand from the Arm ARM (ESR_ELx: EC in
    /// bits 31:26, IL bit 25, ISS 24:0).
    #[test]
    fn record_format() {
        // SVC #0x11: EC 0x15, IL 1, ISS = imm16 -> 0x56000011.
        let e = rec(
            0,
            Some(3),
            Some(0x8000_0120),
            Event::Exception { kind: Kind::Sync, from_el: 3, to_el: 3, esr: 0x5600_0011, far: None, elr: 0x8000_0124, vector: 0x8000_1200 },
        );
        assert_eq!(format(&e), "exc  cpu0 sync el3->el3 pc=0x80000120 ec=0x15 SVC64 esr=0x56000011 elr=0x80000124 vector=0x80001200");
        let i = rec(1, Some(1), Some(0x8000_0000), Event::Insn { raw: 0xd2800020 });
        assert_eq!(format(&i), "insn cpu1 el1 0000000080000000: d2800020  mov x0, #0x1");
        let m = rec(0, None, None, Event::Mmio { dev: "duart1-uart0", pa: 0x21c0505, off: 5, size: 1, write: false, value: 0x60, error: false });
        assert_eq!(format(&m), "mmio cpu0 duart1-uart0+0x5 read size=1 value=0x60 pa=0x21c0505");
        let p = rec(0, Some(2), Some(0x100), Event::Smc { imm: 0, fid: 0x8400_0000, args: [0; 3], result: Some(0x1_0001) });
        assert_eq!(format(&p), "psci cpu0 el2 pc=0x100 PSCI_VERSION fid=0x84000000 args=0x0,0x0,0x0 result=0x10001");
        // MIGRATE_INFO_TYPE answered NOT_SUPPORTED (-1, DEN0022 §5.2.2).
        let p = rec(0, Some(1), Some(0x100), Event::Smc { imm: 0, fid: 0x8400_0006, args: [0; 3], result: Some(u64::MAX) });
        assert_eq!(format(&p), "psci cpu0 el1 pc=0x100 MIGRATE_INFO_TYPE fid=0x84000006 args=0x0,0x0,0x0 result=0xffffffffffffffff (-1)");
        let a = rec(2, Some(1), None, Event::IrqAck { group: 1, intid: 30, virt: false });
        assert_eq!(format(&a), "irq  cpu2 ack el1 group=1 intid=30");
    }
}
