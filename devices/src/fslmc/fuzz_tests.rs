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

#[test]
fn fuzz_smoke_mc_portal() {
    let base = dpl::default_layout();
    let home: Vec<(ObjType, u32, u32)> = base.objects.iter().map(|o| (o.ty, o.id, o.container)).collect();
    let mut rng = Rng(0x6c73_656d_752d_6d63);
    // One long-lived MC accumulates state across inputs; a fresh one per input too.
    let mut long = Mc::new(base.clone());
    let (mut max_containers, mut moved, mut commands) = (0, 0, 0u64);
    for i in 0..20_000 {
        let n = 1 + (rng.next() % 600) as usize;
        let data = rng.bytes(n);
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
