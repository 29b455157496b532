//! `LSEMU_PERF_MAP`: name translated blocks for the Linux `perf` profiler.
//!
//! `perf report` shows samples in JIT code as bare addresses. perf reads
//! `/tmp/perf-<pid>.map` (one line per code range: `START SIZE NAME`, hexadecimal, see
//! perf's tools/perf/Documentation/jit-interface.txt) to name them. With
//! `LSEMU_PERF_MAP=1` every translated block is listed there as `lsemu:<guest VA>`; with
//! `LSEMU_PERF_MAP=FILE`, FILE being a symbol table in `nm`/System.map/`/proc/kallsyms`
//! format (`ADDRESS TYPE NAME` lines), blocks are named `lsemu:<symbol>+<offset>`, so a
//! guest kernel's hot functions appear by name in `perf report --sort sym`. Blocks are
//! only appended: after a code-cache flush the same host range is listed again, and perf
//! uses the latest entry. Unset (the default): nothing is written.

use std::io::Write;
use std::sync::Mutex;

struct Map {
    out: std::io::BufWriter<std::fs::File>,
    /// Guest symbols sorted by address.
    syms: Vec<(u64, String)>,
}

fn map() -> &'static Mutex<Option<Map>> {
    use std::sync::OnceLock;
    static MAP: OnceLock<Mutex<Option<Map>>> = OnceLock::new();
    MAP.get_or_init(|| Mutex::new(open()))
}

fn open() -> Option<Map> {
    let v = std::env::var("LSEMU_PERF_MAP").ok().filter(|v| !v.is_empty())?;
    let mut syms = Vec::new();
    if v != "1" {
        match std::fs::read_to_string(&v) {
            Ok(text) => syms = parse_symbols(&text),
            Err(e) => eprintln!("lsemu: LSEMU_PERF_MAP: cannot read the symbol table {v}: {e}; blocks are named by address"),
        }
    }
    let path = format!("/tmp/perf-{}.map", std::process::id());
    match std::fs::File::create(&path) {
        Ok(f) => Some(Map { out: std::io::BufWriter::new(f), syms }),
        Err(e) => {
            eprintln!("lsemu: LSEMU_PERF_MAP: cannot create {path}: {e}");
            None
        }
    }
}

/// Text symbols of an `nm`-format table, sorted by address (other lines are skipped).
fn parse_symbols(text: &str) -> Vec<(u64, String)> {
    let mut v: Vec<(u64, String)> = text
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let a = u64::from_str_radix(f.next()?, 16).ok()?;
            let t = f.next()?;
            let name = f.next()?;
            matches!(t, "t" | "T" | "w" | "W").then(|| (a, name.to_string()))
        })
        .collect();
    v.sort();
    v
}

/// The name of guest address `va`: the nearest symbol at or below it, or the address.
fn name(syms: &[(u64, String)], va: u64) -> String {
    let i = syms.partition_point(|s| s.0 <= va);
    match i.checked_sub(1).map(|i| &syms[i]) {
        Some((a, s)) => format!("lsemu:{s}+{:#x}", va - a),
        None => format!("lsemu:{va:#x}"),
    }
}

/// Whether blocks are being recorded (cheap after the first call).
pub(crate) fn enabled() -> bool {
    use std::sync::OnceLock;
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| map().lock().map(|m| m.is_some()).unwrap_or(false))
}

/// Lists host code [host, host + len) as the translation of the block at guest `va`.
pub(crate) fn record(host: usize, len: usize, va: u64) {
    let Ok(mut g) = map().lock() else { return };
    if let Some(m) = g.as_mut() {
        let n = name(&m.syms, va);
        let _ = writeln!(m.out, "{host:x} {len:x} {n}");
    }
}

/// Lists host code [host, host + len) under `name` (the JIT's own code: trampoline and
/// shared stubs), as `lsemu-jit:<name>`.
pub(crate) fn record_named(host: usize, len: usize, name: &str) {
    let Ok(mut g) = map().lock() else { return };
    if let Some(m) = g.as_mut() {
        let _ = writeln!(m.out, "{host:x} {len:x} lsemu-jit:{name}");
    }
}

/// Writes out what is buffered (the machine ends).
pub(crate) fn flush() {
    if let Ok(mut g) = map().lock() {
        if let Some(m) = g.as_mut() {
            let _ = m.out.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_name_blocks() {
        // Lines as /proc/kallsyms prints them; data symbols (d, D, b) are not code.
        let s = parse_symbols(
            "ffff800008010000 T _stext\nffff800008010100 t do_thing\t[mod]\nffff800008010200 D some_data\nnot a line\n",
        );
        assert_eq!(s.len(), 2);
        assert_eq!(name(&s, 0xffff800008010104), "lsemu:do_thing+0x4");
        assert_eq!(name(&s, 0xffff800008010300), "lsemu:do_thing+0x200");
        assert_eq!(name(&s, 0xffff800008010000), "lsemu:_stext+0x0");
        assert_eq!(name(&s, 0x1000), "lsemu:0x1000");
    }
}
