//! The fuzz targets (fuzz.rs) on a fixed pseudo-random input stream, so CI runs them on
//! stable without libFuzzer: no panic, and the invariants the targets assert. Coverage
//! checks make sure the stream reaches the interesting states (containers created,
//! objects moved) rather than bouncing off the dispatch.

use super::dts;
use super::fuzz::{self, check_layout};
use super::objects::*;
use super::*;

/// splitmix64 (Steele, Lea, Flood 2014): a fixed seed gives the same stream everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Encodes one command op for `fuzz::mc_portal_on` with every parameter half raw
/// (mode 3), so the generator below controls all values: op 0, portal selector, command
/// (table index or 255 + raw id), token, fill = all raw, 14 × u32, string flags + names,
/// software flags.
fn enc(out: &mut Vec<u8>, portal_sel: u8, id: u16, token: u8, halves: [u32; 14], names: &[(usize, &str)]) {
    out.push(0);
    out.push(portal_sel);
    match fuzz::COMMANDS.iter().position(|&c| c == id) {
        Some(i) => out.push(i as u8),
        None => {
            out.push(255);
            out.extend(id.to_le_bytes());
        }
    }
    out.push(token);
    out.extend(u32::MAX.to_le_bytes());
    for h in halves {
        out.extend(h.to_le_bytes());
    }
    let mut flags = 0u8;
    let mut idx = Vec::new();
    for (k, off) in [8usize, 16, 24, 40].iter().enumerate() {
        if let Some((_, n)) = names.iter().find(|(o, _)| o == off) {
            flags |= 1 << k;
            idx.push(fuzz::NAMES.iter().position(|x| x == n).unwrap_or(0) as u8);
        }
    }
    out.push(flags);
    out.extend(idx);
    out.push(0);
}

/// A restool-like command sequence: opens of containers on their portals, creates,
/// assigns, unassigns, destroys, locks, connections, labels, resets, resource queries,
/// with values near the valid ones.
fn restool_like(rng: &mut Rng, ops: usize) -> Vec<u8> {
    let mut v = Vec::new();
    let names = ["dpni", "dpbp", "dpmcp", "dpcon", "dpio", "dpmac", "mcp", "bp", "dprc", "x"];
    for _ in 0..ops {
        let r = rng.next();
        let sel = (rng.next() % 4) as u8; // root, dprc.2, then created containers / DPMCPs
        let tok = 1 + (rng.next() % 3) as u8;
        let small = |rng: &mut Rng, n: u64| (rng.next() % n) as u32;
        let mut h = [0u32; 14];
        match r % 12 {
            0 | 1 => {
                h[0] = 1 + small(rng, 5);
                enc(&mut v, sel, 0x8051, 0, h, &[]);
            }
            2 => {
                h[0] = small(rng, 0x80);
                h[1] = if rng.next() % 4 == 0 { 23 + small(rng, 8) } else { 0xFFFF };
                h[3] = if rng.next() % 4 == 0 { 20 + small(rng, 20) } else { u32::MAX };
                enc(&mut v, sel, if rng.next() % 2 == 0 { 0x1512 } else { 0x1511 }, tok, h, &[(16, "x")]);
            }
            3 => {
                h[0] = 2 + small(rng, 5);
                enc(&mut v, sel, 0x1521, tok, h, &[]);
            }
            4..=6 => {
                h[0] = 1 + small(rng, 6);
                h[1] = small(rng, 8);
                h[2] = small(rng, 3);
                h[3] = small(rng, 24);
                let n = names[small(rng, names.len() as u64) as usize];
                enc(&mut v, sel, if r % 12 == 6 { 0x1581 } else { 0x1571 }, tok, h, &[(16, n)]);
            }
            7 => {
                h[0] = small(rng, 2);
                h[1] = 1 + small(rng, 6);
                enc(&mut v, sel, 0x16B1, tok, h, &[]);
            }
            8 => {
                h[0] = small(rng, 4);
                h[2] = small(rng, 4);
                let a = names[small(rng, 6) as usize];
                let b = names[small(rng, 6) as usize];
                let id = if rng.next() % 2 == 0 { 0x1671 } else { 0x1681 };
                enc(&mut v, sel, id, tok, h, &[(16, a), (40, b), (8, a)]);
            }
            9 => {
                h[0] = 1 + small(rng, 6);
                h[1] = small(rng, 2);
                enc(&mut v, sel, if rng.next() % 2 == 0 { 0x0051 } else { 0x0052 }, tok, h, &[]);
            }
            10 => {
                h[1] = (small(rng, 3) << 10) & 0xFF00;
                h[2] = small(rng, 64);
                h[3] = small(rng, 64);
                let n = names[small(rng, names.len() as u64) as usize];
                let id = [0x15B1, 0x15C1, 0x1691, 0x16A1, 0x1611, 0x1591, 0x15A1, 0x8001][small(rng, 8) as usize];
                enc(&mut v, sel, id, tok, h, &[(8, n), (16, n), (24, n)]);
            }
            _ => {
                // Any known command, small parameters.
                let id = fuzz::COMMANDS[small(rng, fuzz::COMMANDS.len() as u64) as usize];
                for x in h.iter_mut() {
                    *x = small(rng, 8);
                }
                enc(&mut v, sel, id, tok, h, &[(24, names[small(rng, 6) as usize])]);
            }
        }
    }
    v
}

#[test]
fn fuzz_smoke_mc_portal() {
    let base = dpl::default_layout();
    let home: Vec<(ObjType, u32, u32)> = base.objects.iter().map(|o| (o.ty, o.id, o.container)).collect();
    let mut rng = Rng(0x6c73_656d_752d_6d63);
    // One long-lived MC accumulates state across inputs; a fresh one per input too.
    let mut long = Mc::new(base.clone());
    let (mut max_containers, mut moved, mut commands) = (0, 0, 0u64);
    for i in 0..20_000 {
        // Half raw bytes, half restool-like sequences (with a few raw bytes spliced in).
        let data = if i % 2 == 0 {
            let n = 1 + (rng.next() % 600) as usize;
            rng.bytes(n)
        } else {
            let ops = 1 + (rng.next() % 40) as usize;
            let mut d = restool_like(&mut rng, ops);
            if rng.next() % 4 == 0 && !d.is_empty() {
                let at = (rng.next() % d.len() as u64) as usize;
                d[at] = rng.next() as u8;
            }
            d
        };
        // LSEMU_FUZZ_SEEDS=<dir>: keep the first restool-like inputs as a libFuzzer corpus.
        if let Some(dir) = std::env::var_os("LSEMU_FUZZ_SEEDS").filter(|_| i % 2 == 1 && i < 1000) {
            let _ = std::fs::write(std::path::Path::new(&dir).join(format!("restool-{i}")), &data);
        }
        let mut mc = Mc::new(base.clone());
        fuzz::mc_portal_on(&mut mc, &data);
        commands += mc.commands;
        fuzz::mc_portal_on(&mut long, &data);
        max_containers = max_containers.max(long.layout.containers.len()).max(mc.layout.containers.len());
        moved += mc.layout.objects.iter().zip(&home).filter(|(o, h)| o.container != h.2).count();
        if i % 2000 == 1999 {
            // Start the long-lived one afresh now and then, so it is not stuck stopped.
            long = Mc::new(base.clone());
        }
    }
    check_layout(&long);
    eprintln!("mc_portal smoke: {commands} commands, up to {max_containers} containers, {moved} objects found moved");
    assert!(commands > 50_000, "commands executed: {commands}");
    assert!(max_containers > 2, "the stream created containers ({max_containers})");
    assert!(moved > 0, "the stream moved objects");
}

/// The default DPL as source and as blob (written by fuzz::to_dtb, checked against the
/// source tree — and against dtc's blob when dtc is installed), then damaged copies.
#[test]
fn fuzz_smoke_dpl_parse() {
    let src = dpl::DEFAULT_DPL.as_bytes();
    let tree = dts::parse_dts(dpl::DEFAULT_DPL).unwrap();
    let blob = fuzz::to_dtb(&tree);
    assert_eq!(dts::from_dtb(&blob).unwrap(), tree, "to_dtb round trip");
    if let Ok(out) = std::process::Command::new("dtc").args(["-q", "-I", "dts", "-O", "dtb", "-"]).stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).spawn().and_then(|mut c| {
        use std::io::Write;
        c.stdin.take().map(|mut s| s.write_all(src)).transpose()?;
        c.wait_with_output()
    }) {
        if out.status.success() {
            assert_eq!(dts::from_dtb(&out.stdout).unwrap(), tree, "dtc's blob gives the same tree");
        }
    }
    fuzz::dpl_parse(src);
    fuzz::dpl_parse(&blob);
    let mut rng = Rng(0x64_706c);
    let mut loaded = 0;
    for i in 0..4000 {
        let mut v = if i % 2 == 0 { src.to_vec() } else { blob.clone() };
        for _ in 0..1 + rng.next() % 4 {
            if v.is_empty() {
                break;
            }
            let at = (rng.next() % v.len() as u64) as usize;
            match rng.next() % 5 {
                0 => {
                    v.remove(at);
                }
                1 => v[at] = rng.next() as u8,
                2 => v[at] = b"{};=<>\"'@/,&:x0 \n"[(rng.next() % 17) as usize],
                3 => {
                    let end = (at + (rng.next() % 64) as usize).min(v.len());
                    let chunk = v[at..end].to_vec();
                    v.splice(at..at, chunk);
                }
                _ => v.truncate(at),
            }
        }
        if dpl::load(&v).is_ok() {
            loaded += 1;
        }
        fuzz::dpl_parse(&v);
    }
    // Some damage is harmless (a changed id, a comment): a share must still load.
    assert!(loaded > 100, "damaged DPLs that still load: {loaded}");
}

/// Inputs the fuzzers found crashing, kept as regression tests (fuzz_regressions/).
#[test]
fn fuzz_regressions() {
    // A blob with two /containers/dprc@1 nodes: the layout had two roots' worth of
    // confusion (check_tree: "the first container is the root"); now an error naming it.
    let blob = include_bytes!("fuzz_regressions/dpl_duplicate_container.dtb");
    assert_eq!(dpl::load(blob).unwrap_err().0, "/containers/dprc@1: defined twice");
    fuzz::dpl_parse(blob);
}
