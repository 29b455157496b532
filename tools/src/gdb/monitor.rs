//! `monitor` commands: what only the emulator knows (EL and security state, the MMU's
//! view of an address, the TLB, the GIC, pending interrupts, physical memory, system
//! registers by name, the fsl-mc object tree, the SMMU).

use super::LsemuTarget;
use cpu_aarch64::mmu::{self, Access, Ctx, Regime};
use cpu_aarch64::platform::{Bus, BusAttrs, PhysAddr, Platform};
use cpu_aarch64::Cpu;
use gdbstub::target::ext::monitor_cmd::{ConsoleOutput, MonitorCmd};
use std::fmt::Write;

const HELP: &str = "\
lsemu monitor commands. They act on the PE chosen with `monitor cpu N`, else on the PE
of the last stop (PE N is gdb thread N+1; gdb's `thread N` does not change it):
  monitor help                    this text
  monitor cpu [N]                 show / choose the PE the commands act on
  monitor el                      exception level, security state, SP, MMU state
  monitor translate VA            stage 1 and stage 2 of VA, attributes, permissions
  monitor tlb                     the PE's TLB entries
  monitor gic INTID               GIC state of an interrupt (SGI/PPI of this PE, SPI)
  monitor pending                 the PE's interrupt inputs, masks, wait state, timers
  monitor phys read ADDR [LEN]    hex dump of physical memory (RAM or device registers)
  monitor phys write ADDR VALUE [SIZE]   write SIZE (1,2,4,8; default 4) bytes
  monitor sysreg NAME             read a system register (e.g. SCTLR_EL1)
  monitor step-irq on|off         let single steps take pending interrupts (default off)
  monitor mc                      fsl-mc firmware model: containers, objects, connections
  monitor smmu                    SMMU (MMU-500): sCR0, faults, stream mappings, contexts
  monitor qbman                   QBMan: software portals, frame queues, channels, buffer pools
  monitor net                     host network backends (--net) and their frame counters
";

fn parse_num(s: &str) -> Option<u64> {
    let t = s.replace('_', "");
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else {
        t.parse().ok()
    }
}

fn regime_name(r: Regime, secure: bool) -> &'static str {
    match (r, secure) {
        (Regime::El10, false) => "EL1&0 non-secure",
        (Regime::El10, true) => "EL1&0 secure",
        (Regime::El2, _) => "EL2",
        (Regime::El3, _) => "EL3",
    }
}

fn attr_name(attr: u8) -> String {
    match attr {
        0x00 => "Device-nGnRnE".into(),
        0x04 => "Device-nGnRE".into(),
        0x08 => "Device-nGRE".into(),
        0x0c => "Device-GRE".into(),
        0x44 => "Normal Non-cacheable".into(),
        0xff => "Normal Write-Back (RW-allocate)".into(),
        0xbb => "Normal Write-Through (RW-allocate)".into(),
        a => format!("attr {a:#04x} (MAIR encoding)"),
    }
}

fn sh_name(sh: u8) -> &'static str {
    match sh {
        0 => "non-shareable",
        2 => "outer shareable",
        3 => "inner shareable",
        _ => "reserved",
    }
}

impl LsemuTarget<'_> {
    /// The PE monitor commands act on.
    fn mon_cpu(&self) -> usize {
        self.mon_cpu.unwrap_or(self.selected).min(self.m.cpus.len().saturating_sub(1))
    }

    fn monitor(&mut self, cmd: &str) -> String {
        let mut o = String::new();
        let w: Vec<&str> = cmd.split_whitespace().collect();
        let i = self.mon_cpu();
        match w.as_slice() {
            [] | ["help"] => o.push_str(HELP),
            ["cpu"] => {
                let _ = writeln!(o, "cpu{i} (gdb thread {})", i + 1);
            }
            ["cpu", n] => match parse_num(n) {
                Some(n) if (n as usize) < self.m.cpus.len() => {
                    self.mon_cpu = Some(n as usize);
                    let _ = writeln!(o, "monitor commands now act on cpu{n} (gdb thread {})", n + 1);
                }
                _ => {
                    let _ = writeln!(o, "no cpu '{n}' (0..{})", self.m.cpus.len());
                }
            },
            ["el"] => el(&mut o, &self.m.cpus[i]),
            ["translate", va] => match parse_num(va) {
                Some(va) => self.translate(&mut o, i, va),
                None => o.push_str("usage: monitor translate VA\n"),
            },
            ["tlb"] => tlb(&mut o, &self.m.cpus[i]),
            ["gic", n] => match parse_num(n) {
                Some(n) => self.gic(&mut o, i, n),
                None => o.push_str("usage: monitor gic INTID\n"),
            },
            ["pending"] => self.pending(&mut o, i),
            ["phys", "read", addr, rest @ ..] => {
                let len = rest.first().and_then(|s| parse_num(s)).unwrap_or(16).min(4096);
                match parse_num(addr) {
                    Some(a) => self.phys_read(&mut o, a, len),
                    None => o.push_str("usage: monitor phys read ADDR [LEN]\n"),
                }
            }
            ["phys", "write", addr, val, rest @ ..] => {
                let size = rest.first().and_then(|s| parse_num(s)).unwrap_or(4);
                match (parse_num(addr), parse_num(val)) {
                    (Some(a), Some(v)) if matches!(size, 1 | 2 | 4 | 8) => self.phys_write(&mut o, a, v, size as usize),
                    _ => o.push_str("usage: monitor phys write ADDR VALUE [SIZE: 1, 2, 4 or 8]\n"),
                }
            }
            ["sysreg", name] => {
                let (cpus, bus) = (&mut self.m.cpus, &mut self.m.bus);
                match cpu_aarch64::sysreg::table::peek(&mut cpus[i], bus, name) {
                    Some(v) => {
                        let _ = writeln!(o, "cpu{i} {} = {v:#018x}", name.to_ascii_uppercase());
                    }
                    None => {
                        let _ = writeln!(o, "unknown system register '{name}'");
                    }
                }
            }
            ["step-irq", "on"] => {
                self.step_irqs = true;
                o.push_str("single steps take pending interrupts\n");
            }
            ["step-irq", "off"] => {
                self.step_irqs = false;
                o.push_str("single steps do not take pending interrupts\n");
            }
            ["mc"] => o.push_str(&self.m.bus.mc.describe()),
            ["smmu"] => o.push_str(&self.m.bus.smmu.describe()),
            ["qbman"] => {
                let d = self.m.bus.mc.qbman.describe();
                if d.is_empty() {
                    o.push_str("QBMan: no software portal accessed yet; no frame queue, channel or buffer pool\n");
                } else {
                    o.push_str(&d);
                }
            }
            ["net"] => o.push_str(&self.m.describe_net()),
            ["step-irq"] => {
                let _ = writeln!(o, "step-irq is {}", if self.step_irqs { "on" } else { "off" });
            }
            _ => {
                let _ = writeln!(o, "unknown monitor command '{cmd}' (try: monitor help)");
            }
        }
        o
    }

    fn translate(&mut self, o: &mut String, i: usize, va: u64) {
        let (cpus, bus) = (&mut self.m.cpus, &mut self.m.bus);
        let c = &mut cpus[i];
        let ctx = Ctx::current(c, false);
        let _ = writeln!(
            o,
            "cpu{i} EL{} regime {}: stage 1 {}, stage 2 {}, ASID {:#x}, VMID {:#x}",
            c.st.pstate.el,
            regime_name(ctx.regime, ctx.secure),
            if ctx.s1 { "on" } else { "off" },
            if ctx.s2_out { "on" } else { "off" },
            ctx.asid,
            ctx.vmid
        );
        // Stage 1 alone (the IPA), then both stages; no TLB lookup or fill.
        let s1ctx = Ctx { s2_out: false, ..ctx };
        match mmu::translate_in(c, bus, &s1ctx, va, &Access::read(1), false) {
            Ok(t) => {
                let _ = writeln!(
                    o,
                    "  stage 1: VA {va:#x} -> {} {:#x}, {}, {}{}",
                    if ctx.s2_out { "IPA" } else { "PA" },
                    t.pa,
                    attr_name(t.attr),
                    sh_name(t.sh),
                    if t.secure { ", secure" } else { ", non-secure" }
                );
            }
            Err(f) => {
                let _ = writeln!(o, "  stage 1: VA {va:#x}: {:?} fault at level {} (FSC {:#04x})", f.kind, f.level, f.fsc());
                return;
            }
        }
        if ctx.s2_out {
            match mmu::translate_in(c, bus, &ctx, va, &Access::read(1), false) {
                Ok(t) => {
                    let _ = writeln!(o, "  stage 2: -> PA {:#x}, combined {}, {}", t.pa, attr_name(t.attr), sh_name(t.sh));
                }
                Err(f) => {
                    let _ = writeln!(o, "  stage 2: {:?} fault at level {} (FSC {:#04x})", f.kind, f.level, f.fsc());
                    return;
                }
            }
        }
        // Permissions: which access types translate (privileged, and as EL0 for EL1&0).
        let mut perms = String::new();
        let users: &[bool] = if ctx.regime == Regime::El10 { &[false, true] } else { &[false] };
        for &user in users {
            let uctx = Ctx { user, ..ctx };
            let mut p = String::new();
            for (ch, acc) in [('r', Access::read(1)), ('w', Access::write(1)), ('x', Access::fetch())] {
                let ok = mmu::translate_in(c, bus, &uctx, va & !3, &acc, false).is_ok();
                p.push(if ok { ch } else { '-' });
            }
            let _ = write!(perms, " {}:{p}", if user { "EL0" } else { "privileged" });
        }
        let _ = writeln!(o, "  permissions:{perms}");
    }

    fn gic(&mut self, o: &mut String, i: usize, intid: u64) {
        let st = self.m.bus.gic.state();
        let (s, route) = if intid < 32 {
            (st.cpus.get(i).map(|c| c.redist.private[intid as usize]), format!("cpu{i} (private)"))
        } else {
            let n = (intid - 32) as usize;
            let r = st.irouter.get(n).copied().unwrap_or(0);
            let route = if r >> 31 & 1 == 1 {
                "any PE (1 of N)".to_string()
            } else {
                format!("affinity {}.{}.{}.{}", r >> 32 & 0xff, r >> 16 & 0xff, r >> 8 & 0xff, r & 0xff)
            };
            (st.spis.get(n).copied(), route)
        };
        let Some(s) = s else {
            let _ = writeln!(o, "INTID {intid} is not an SGI, PPI or SPI of this GIC ({} SPIs)", st.spis.len());
            return;
        };
        let group = match (s.group, s.grpmod) {
            (false, false) => "group 0",
            (true, false) => "non-secure group 1",
            (false, true) => "secure group 1",
            (true, true) => "reserved group",
        };
        let _ = writeln!(
            o,
            "INTID {intid}: {} {} {}, priority {:#04x}, {group}, {}-triggered (input {}), route {route}",
            if s.enabled { "enabled" } else { "disabled" },
            if s.pending { "pending" } else { "not-pending" },
            if s.active { "active" } else { "inactive" },
            s.priority,
            if s.edge { "edge" } else { "level" },
            if s.level { "high" } else { "low" }
        );
        let _ = writeln!(
            o,
            "distributor: group 0 {}, non-secure group 1 {}, secure group 1 {}",
            if st.enable_grp0 { "on" } else { "off" },
            if st.enable_grp1ns { "on" } else { "off" },
            if st.enable_grp1s { "on" } else { "off" }
        );
    }

    fn pending(&mut self, o: &mut String, i: usize) {
        let lv = self.m.bus.irq_levels(i as u8);
        let c = &self.m.cpus[i];
        let d = c.st.pstate.daif;
        let h = c.sys.hcr_el2;
        let _ = writeln!(
            o,
            "cpu{i}: inputs IRQ {} FIQ {} SError {} vIRQ {} vFIQ {}",
            lv.irq as u8, lv.fiq as u8, lv.serror as u8, lv.virq as u8, lv.vfiq as u8
        );
        let _ = writeln!(
            o,
            "  PSTATE masks D {} A {} I {} F {}; HCR_EL2 VI {} VF {} VSE {} IMO {} FMO {} AMO {} TGE {}; SCR_EL3 IRQ {} FIQ {} EA {}",
            d >> 9 & 1,
            d >> 8 & 1,
            d >> 7 & 1,
            d >> 6 & 1,
            h >> 7 & 1,
            h >> 6 & 1,
            h >> 8 & 1,
            h >> 4 & 1,
            h >> 3 & 1,
            h >> 5 & 1,
            h >> 27 & 1,
            c.sys.scr_el3 >> 1 & 1,
            c.sys.scr_el3 >> 2 & 1,
            c.sys.scr_el3 >> 3 & 1
        );
        let t = c.timer_irqs(self.m.bus.counter());
        let _ = writeln!(
            o,
            "  state: {}{}, event register {}; timer outputs phys {} virt {} hyp {} secure-phys {}",
            if c.off { "off" } else { "on" },
            match c.waiting {
                Some(cpu_aarch64::WaitKind::Wfi) => ", in WFI",
                Some(cpu_aarch64::WaitKind::Wfe) => ", in WFE",
                None => "",
            },
            c.event as u8,
            t.phys as u8,
            t.virt as u8,
            t.hyp as u8,
            t.sec_phys as u8
        );
    }

    fn phys_read(&mut self, o: &mut String, addr: u64, len: u64) {
        let mut line = 0u64;
        while line < len {
            let n = (len - line).min(16) as usize;
            let mut buf = vec![0u8; n];
            let a = addr.wrapping_add(line);
            let attrs = BusAttrs { secure: true, privileged: true, instruction: false, cpu: 0 };
            // Device registers are read with their natural width (at most 8 bytes).
            let ok = if self.is_ram(a, n as u64) {
                self.m.bus.read(PhysAddr(a), &mut buf, attrs).is_ok()
            } else {
                buf.chunks_mut(4).enumerate().all(|(k, ch)| self.m.bus.read(PhysAddr(a.wrapping_add(4 * k as u64)), ch, attrs).is_ok())
            };
            if !ok {
                let _ = writeln!(o, "{a:#012x}: bus error");
                return;
            }
            let hex: Vec<String> = buf.iter().map(|b| format!("{b:02x}")).collect();
            let _ = writeln!(o, "{a:#012x}: {}", hex.join(" "));
            line += 16;
        }
    }

    fn phys_write(&mut self, o: &mut String, addr: u64, v: u64, size: usize) {
        let attrs = BusAttrs { secure: true, privileged: true, instruction: false, cpu: 0 };
        let b = v.to_le_bytes();
        if self.m.bus.write(PhysAddr(addr), &b[..size], attrs).is_ok() {
            self.m.engine.invalidate_phys(addr, size as u64);
            let _ = writeln!(o, "wrote {size} bytes at {addr:#x}");
        } else {
            let _ = writeln!(o, "{addr:#x}: bus error");
        }
    }
}

fn el(o: &mut String, c: &Cpu) {
    let e = c.st.pstate.el as usize;
    let _ = writeln!(
        o,
        "cpu{}: EL{e}{} {}, PC {:#x}, SCTLR_EL{} {:#x} (MMU {}), SCR_EL3.NS {}, HCR_EL2 {:#x}",
        c.cfg.index,
        if c.st.pstate.sp == 1 { "h" } else { "t" },
        if c.is_secure() { "secure" } else { "non-secure" },
        c.st.pc,
        e.max(1),
        c.sys.sctlr[e.max(1)],
        if c.sys.sctlr[e.max(1)] & 1 == 1 { "on" } else { "off" },
        c.sys.scr_el3 & 1,
        c.sys.hcr_el2
    );
}

fn tlb(o: &mut String, c: &Cpu) {
    let mut n = 0;
    for e in c.tlb.valid_entries() {
        n += 1;
        if n > 256 {
            continue;
        }
        let regime = match e.ctx & mmu::tlb::TAG_REGIME_MASK {
            1 => "EL1&0-NS",
            2 => "EL1&0-S",
            3 => "EL2",
            _ => "EL3",
        };
        let p = |bits: u8| -> String {
            [(mmu::tlb::P_R, 'r'), (mmu::tlb::P_W, 'w'), (mmu::tlb::P_X, 'x')].iter().map(|(b, ch)| if bits & b != 0 { *ch } else { '-' }).collect()
        };
        let _ = writeln!(
            o,
            "{regime:8} vmid {:3} asid {:5} VA {:#018x} -> {}PA {:#x} {} priv {} el0 {}{}",
            e.ctx >> mmu::tlb::TAG_VMID_SHIFT,
            if e.global { "global".to_string() } else { e.asid.to_string() },
            e.va_page << 12,
            if e.has_s2 { format!("IPA {:#x} -> ", e.ipa_page << 12) } else { String::new() },
            e.pa_page << 12,
            attr_name(e.attr),
            p(e.perms),
            p(e.perms >> mmu::tlb::USER_SHIFT),
            if e.ns { " ns" } else { " s" }
        );
    }
    let _ = writeln!(o, "cpu{}: {n} valid TLB entries{}", c.cfg.index, if n > 256 { " (first 256 shown)" } else { "" });
}

impl MonitorCmd for LsemuTarget<'_> {
    fn handle_monitor_cmd(&mut self, cmd: &[u8], mut out: ConsoleOutput<'_>) -> Result<(), Self::Error> {
        let cmd = String::from_utf8_lossy(cmd).into_owned();
        let text = self.monitor(&cmd);
        gdbstub::output!(out, "{text}");
        Ok(())
    }
}
