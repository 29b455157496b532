//! `--stats`: the run statistics printed at exit. Every line is deterministic (same
//! program, same options: same text) except the one starting `lsemu: stats: host`, so
//! tests can snapshot the report with that line removed.

use crate::trace::ec_name;
use soc_ls2088::Machine;
use std::fmt::Write;

/// The report, one `lsemu: stats: ...` line each.
pub fn report(m: &Machine, host_secs: f64) -> String {
    let mut s = String::new();
    let n = m.icount();
    let mips = if host_secs > 0.0 { n as f64 / host_secs / 1e6 } else { 0.0 };
    let p = "lsemu: stats:";
    let _ = writeln!(s, "{p} host time {host_secs:.3} s, {mips:.1} MIPS");
    let _ = writeln!(s, "{p} virtual time {} ns", m.virtual_time_ns());
    let _ = writeln!(s, "{p} instructions {n} (engine {})", m.engine.kind().name());
    for c in &m.cpus {
        let i = c.cfg.index;
        let e = c.icount_el();
        let _ = writeln!(s, "{p} cpu{i} instructions {} (el0 {}, el1 {}, el2 {}, el3 {})", c.icount, e[0], e[1], e[2], e[3]);
        let st = &c.stats;
        let sync: u64 = st.exc_sync.iter().flatten().sum();
        let (irq, fiq, serr): (u64, u64, u64) = (st.exc_irq.iter().sum(), st.exc_fiq.iter().sum(), st.exc_serror.iter().sum());
        let _ = writeln!(s, "{p} cpu{i} exceptions {} (sync {sync}, irq {irq}, fiq {fiq}, serror {serr})", st.exceptions);
        for (ec, per_el) in st.exc_sync.iter().enumerate() {
            for (el, &k) in per_el.iter().enumerate() {
                if k != 0 {
                    let _ = writeln!(s, "{p} cpu{i} exception sync ec={ec:#04x} {} to el{el}: {k}", ec_name(ec as u8));
                }
            }
        }
        for (name, v) in [("irq", &st.exc_irq), ("fiq", &st.exc_fiq), ("serror", &st.exc_serror)] {
            for (el, &k) in v.iter().enumerate() {
                if k != 0 {
                    let _ = writeln!(s, "{p} cpu{i} exception {name} to el{el}: {k}");
                }
            }
        }
        let t = &c.tlb;
        let _ = writeln!(s, "{p} cpu{i} tlb fills {}, misses {}, invalidations {}, flushes {}", t.fills, t.misses, t.invalidations, t.flushes);
    }
    let js = m.engine.stats();
    let _ = writeln!(s, "{p} jit blocks translated {}, invalidated {}, flushes {}", js.blocks_translated, js.blocks_invalidated, js.flushes);
    for (name, r, w) in m.bus.mmio_stats() {
        let _ = writeln!(s, "{p} mmio {name} reads {r}, writes {w}");
    }
    s
}
