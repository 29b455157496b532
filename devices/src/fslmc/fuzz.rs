//! Fuzz targets for the MC (issue 7: "a fuzz target for MC command portals and the DPL
//! parser"), shared by the cargo-fuzz crate (`fuzz/`, libFuzzer, nightly) and by a stable
//! unit test that runs them over a fixed pseudo-random input stream in CI
//! (`fuzz_smoke` in fuzz_tests.rs). Each target panics only when an invariant breaks —
//! any other panic is a bug the guest or a DPL file could trigger.
//!
//! - [`mc_portal`]: the input is a sequence of operations on an [`Mc`] built from the
//!   built-in DPL: 64-byte commands posted on a portal (the command id from a table of
//!   every command the model knows, or raw; type names placed at the offsets the DPRC
//!   commands use), single MMIO reads/writes anywhere in the portal window, and CCSR
//!   writes (GCR1 stops and restarts the MC). After each: every posted command completed
//!   (status ≠ READY) and [`check_layout`] holds.
//! - [`dpl_parse`]: the input is a DPL as `.dts` text or `.dtb` blob; a DPL that loads
//!   gives a consistent layout and an MC that answers the Linux probe commands.

use super::cmd::{self, status};
use super::dpl;
use super::dts::RawNode;
use super::objects::*;
use super::{Mc, CCSR_SIZE, GCR1, PORTAL_STRIDE, PORTAL_WINDOW};
use crate::Size;
use std::collections::BTreeSet;

/// Every command id the model answers (ls2088a-reference.md §4.4–4.8, dprc.rs), so the
/// fuzzer reaches past the dispatch.
pub const COMMANDS: &[u16] = &[
    0x8311, 0x8321, 0x8301, 0xA051, 0x8051, 0x8001, 0x0041, 0x1591, 0x15A1, 0x15E1, 0x15E2, 0x15E3, 0x0101, 0x0111, 0x0121, 0x0131, 0x0141, 0x0151, 0x0161, 0x0171,
    0x15F1, 0x16C1, 0x0051, 0x0052, 0x1511, 0x1512, 0x1521, 0x1571, 0x1581, 0x15B1, 0x15C1, 0x1611, 0x1671, 0x1681, 0x1691, 0x16A1, 0x16B1, 0x80B1, 0x8031,
    0x8041, 0x8081, 0x8011, 0x80C1, 0x0021, 0x0031, 0x0061, 0x1001, 0x1201, 0x1211, 0xA011, 0xA031, 0xA0C1, 0x2151, 0x2251, 0x2631, 0x2121, 0x2101, 0x9051,
    0x9851, 0x8021, 0x8061, 0x8071, 0x8091, 0x80A1, 0x80D1, 0x80E1, 0x8101,
    // DPNI data path (datapath.rs; DPDK's versions where they differ), DPMAC counters,
    // DPBP free buffers (COMMANDS.md).
    0x2001, 0x2003, 0x20B1, 0x2161, 0x2171, 0x21A1, 0x2201, 0x2211, 0x2221, 0x2231, 0x2241, 0x2261, 0x2271, 0x2281, 0x2301, 0x2312,
    0x2321, 0x2354, 0x2442, 0x2451, 0x2461, 0x25D1, 0x25E1, 0x25F1, 0x2601, 0x2611, 0x2621, 0x2641, 0x2651, 0x2661, 0x2671, 0x26B1,
    0x26C1, 0x26D1, 0x2732, 0x2742, 0x2781, 0x0C41, 0x1B21,
];

/// Type names (object types and resource types) for the string fields.
pub const NAMES: &[&str] = &["dprc", "dpni", "dpio", "dpbp", "dpcon", "dpmcp", "dpmac", "dpsw", "dpdmux", "dpseci", "mcp", "bp", "fq", "x"];
/// 32-bit values with a meaning: "from the pool" (ICID, portal), DPAA2 ICIDs, free and
/// used MC portals, the last portal, a bad one.
const MAGIC: [u32; 8] = [0xFFFF, 0xFFFF_FFFF, 23, 25, 24, 30, 1023, 1024];
/// Byte offsets of the 16-byte type/label fields in DPRC commands.
const STR_OFFSETS: [usize; 4] = [8, 16, 24, 40];

/// A cursor over fuzz input bytes; reads past the end give zeros.
struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Input<'_> {
    fn done(&self) -> bool {
        self.pos >= self.data.len()
    }
    fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    fn u64(&mut self) -> u64 {
        self.u32() as u64 | (self.u32() as u64) << 32
    }
}

/// The layout's invariants: one root, listed first; unique container ids, ICIDs (in the
/// DPAA2 range) and portals; parents exist and chains reach the root; every object in
/// exactly one existing container (or, for DPL objects never assigned, none), no two
/// objects with the same type and id, no MC portal owned twice (containers, DPMCPs,
/// resource pools); connections name existing objects, each endpoint once.
pub fn check_layout(mc: &Mc) {
    let l = &mc.layout;
    check_tree(l);
    let mut portals = BTreeSet::new();
    for c in &l.containers {
        assert!(portals.insert(c.portal), "portal {} owned twice (dprc.{})", c.portal, c.id);
    }
    for o in l.objects.iter().filter(|o| o.ty == ObjType::Dpmcp) {
        assert!(portals.insert(o.attrs.hw_index), "portal {} owned twice (dpmcp.{})", o.attrs.hw_index, o.id);
    }
    for (cid, pools) in &mc.dprc.pools {
        assert!(l.container(*cid).is_some(), "pools of a destroyed dprc.{cid}");
        for (t, ids) in pools {
            if *t == "mcp" {
                for p in &portals {
                    assert!(!ids.contains(p), "portal {p} both pooled (dprc.{cid}) and owned");
                }
            }
            // No id in two containers' pools (the smaller set is walked).
            for (other, opools) in mc.dprc.pools.range(cid + 1..) {
                if let Some(o) = opools.get(t) {
                    let (a, b) = if ids.len() < o.len() { (ids, o) } else { (o, ids) };
                    if let Some(x) = a.iter().find(|x| b.contains(x)) {
                        panic!("{t} {x} in the pools of dprc.{cid} and dprc.{other}");
                    }
                }
            }
        }
    }
    for c in &mc.dprc.locked {
        assert!(l.container(*c).is_some(), "lock of a destroyed dprc.{c}");
    }
}

/// The structural part of [`check_layout`], for any layout (from a DPL too).
pub fn check_tree(l: &Layout) {
    let root = l.root().expect("a root container");
    assert_eq!(root.parent, None, "the first container is the root");
    assert_eq!(l.containers.iter().filter(|c| c.parent.is_none()).count(), 1, "one root");
    let mut ids = BTreeSet::new();
    let mut icids = BTreeSet::new();
    for c in &l.containers {
        assert!(ids.insert(c.id), "dprc.{} twice", c.id);
        assert!(icids.insert(c.icid), "ICID {} twice", c.icid);
        assert!((ICID_BASE..=ICID_LAST).contains(&c.icid), "ICID {} outside the DPAA2 range", c.icid);
        assert!(l.is_within(c.id, root.id), "dprc.{} does not reach the root", c.id);
        assert!((c.portal as u64) * PORTAL_STRIDE < PORTAL_WINDOW, "dprc.{} portal {}", c.id, c.portal);
    }
    let mut objs = BTreeSet::new();
    for o in &l.objects {
        assert!(objs.insert((o.ty, o.id)), "{}.{} twice", o.ty.name(), o.id);
        assert!(o.ty != ObjType::Dprc, "a dprc among the objects");
        assert!(o.container == u32::MAX || l.container(o.container).is_some(), "{}.{} in a missing dprc.{}", o.ty.name(), o.id, o.container);
    }
    let mut eps = BTreeSet::new();
    for (a, b) in &l.connections {
        for e in [a, b] {
            assert!(l.obj(e.ty, e.id).is_some(), "connection to a missing {e}");
            assert!(eps.insert(*e), "{e} connected twice");
        }
    }
}

/// The MC portals worth aiming at: those of containers and DPMCPs, plus a few others.
fn portal_choices(mc: &Mc) -> Vec<u32> {
    let mut v: Vec<u32> = mc.layout.containers.iter().map(|c| c.portal).collect();
    v.extend(mc.layout.objects.iter().filter(|o| o.ty == ObjType::Dpmcp).map(|o| o.attrs.hw_index));
    v.extend(mc.dprc.orphans.iter().copied());
    v.extend([24, 25, 26, 1023]);
    v
}

/// The `mc_portal` target on a fresh MC from the built-in DPL.
pub fn mc_portal(data: &[u8]) {
    static LAYOUT: std::sync::OnceLock<Layout> = std::sync::OnceLock::new();
    let mut mc = Mc::new(LAYOUT.get_or_init(dpl::default_layout).clone());
    mc_portal_on(&mut mc, data);
}

/// The `mc_portal` target on a given MC (the smoke test reuses one MC across inputs too).
pub fn mc_portal_on(mc: &mut Mc, data: &[u8]) {
    let mut inp = Input { data, pos: 0 };
    let mut ops = 0;
    while !inp.done() && ops < 256 {
        ops += 1;
        match inp.u8() % 16 {
            // A whole command (the common case).
            0..=11 => {
                let choices = portal_choices(mc);
                let sel = inp.u8();
                let portal = choices[sel as usize % choices.len()];
                let ci = inp.u8() as usize;
                let id = if ci < COMMANDS.len() * 2 { COMMANDS[ci % COMMANDS.len()] } else { inp.u16() };
                let token = (inp.u8() % 8) as u16;
                let mut words = [0u64; 7];
                let fill = inp.u32();
                for (i, w) in words.iter_mut().enumerate() {
                    // Each 32-bit half: a small value (ids, indices, counts), a value with a
                    // meaning (the "from the pool" values, ICIDs, portals), a byte, or raw.
                    for half in 0..2 {
                        let v = match (fill >> (4 * i + 2 * half)) & 3 {
                            0 => (inp.u8() % 8) as u32,
                            1 => MAGIC[inp.u8() as usize % MAGIC.len()],
                            2 => inp.u8() as u32,
                            _ => inp.u32(),
                        };
                        *w |= (v as u64) << (32 * half);
                    }
                }
                let sflags = inp.u8();
                let mut p = cmd::Params::default();
                for (i, w) in words.iter().enumerate() {
                    p.set_word(i, *w);
                }
                for (k, off) in STR_OFFSETS.iter().enumerate() {
                    if sflags & (1 << k) != 0 {
                        p.set_str16(*off, NAMES[inp.u8() as usize % NAMES.len()]);
                    }
                }
                let base = portal as u64 * PORTAL_STRIDE;
                for i in 0..7 {
                    let _ = mc.portal_write(base + 8 + 8 * i as u64, Size::B8, p.word(i));
                }
                let hdr = cmd::header(id, token) | (inp.u8() as u64 & 0x81) << 24;
                let accepted = mc.portal_write(base, Size::B8, hdr).is_ok();
                // Commands that read guest memory (DPNI key configurations) complete at the
                // pump the machine runs after every portal access.
                mc.pump(&mut super::dpni::NoMemory);
                if accepted && mc.running() {
                    let h = mc.portal_read(base, Size::B8).unwrap_or(0);
                    assert_ne!(cmd::hdr_status(h), status::READY, "command {id:#06x} on portal {portal} did not complete");
                    assert_eq!(cmd::cmd_id(h), id, "the response keeps the command id");
                }
            }
            // A single access anywhere in the window (partial headers, odd sizes).
            12..=14 => {
                let off = (inp.u32() as u64) % PORTAL_WINDOW;
                let size = [Size::B1, Size::B2, Size::B4, Size::B8][inp.u8() as usize % 4];
                if inp.u8() & 1 == 0 {
                    let _ = mc.portal_read(off, size);
                } else {
                    let _ = mc.portal_write(off, size, inp.u64());
                }
            }
            // CCSR: GCR1 stop/start mostly (half the writes clear it), anything else sometimes.
            _ => {
                let v = if inp.u8() & 1 == 0 { 0 } else { inp.u32() };
                let off = if inp.u8() & 3 == 0 { (inp.u32() as u64) % CCSR_SIZE } else { GCR1 };
                let _ = mc.ccsr_write(off, Size::B4, v as u64);
                let _ = mc.ccsr_read(off, Size::B4);
            }
        }
        check_layout(mc);
        let _ = mc.take_msis();
    }
}

/// The `dpl_parse` target: `.dts` or `.dtb` bytes.
pub fn dpl_parse(data: &[u8]) {
    let Ok(layout) = dpl::load(data) else { return };
    check_tree(&layout);
    let mut mc = Mc::new(layout);
    check_layout(&mc);
    // Linux's first commands on the root portal (§4.5): version, container id, open,
    // attributes, the object list.
    let run = |mc: &mut Mc, id: u16, tok: u16, p0: u64| {
        let (h, _) = mc.command(0, cmd::header(id, tok), [p0, 0, 0, 0, 0, 0, 0]);
        assert_ne!(cmd::hdr_status(h), status::READY);
        h
    };
    run(&mut mc, 0x8311, 0, 0);
    let (h, r) = mc.command(0, cmd::header(0x8301, 0), [0; 7]);
    assert_eq!(cmd::hdr_status(h), status::OK, "GET_CONT_ID on the root portal");
    let root = r[0] as u32;
    let t = cmd::token(run(&mut mc, 0x8051, 0, root as u64));
    run(&mut mc, 0x0041, t, 0);
    let (_, r) = mc.command(0, cmd::header(0x1591, t), [0; 7]);
    for i in 0..(r[0] >> 32).min(4096) {
        run(&mut mc, 0x15A1, t, i);
    }
    check_layout(&mc);
}

/// A flattened device tree (version 17) of `root`, as dtc writes one: for seeding the
/// `.dtb` side of [`dpl_parse`] without dtc.
pub fn to_dtb(root: &RawNode) -> Vec<u8> {
    fn pad(v: &mut Vec<u8>) {
        while v.len() % 4 != 0 {
            v.push(0);
        }
    }
    fn node(n: &RawNode, st: &mut Vec<u8>, strings: &mut Vec<u8>) {
        st.extend(1u32.to_be_bytes());
        st.extend(n.name.as_bytes());
        st.push(0);
        pad(st);
        for (name, val) in &n.props {
            let off = match find(strings, name) {
                Some(o) => o,
                None => {
                    let o = strings.len();
                    strings.extend(name.as_bytes());
                    strings.push(0);
                    o
                }
            };
            st.extend(3u32.to_be_bytes());
            st.extend((val.len() as u32).to_be_bytes());
            st.extend((off as u32).to_be_bytes());
            st.extend(val);
            pad(st);
        }
        for c in &n.children {
            node(c, st, strings);
        }
        st.extend(2u32.to_be_bytes());
    }
    fn find(strings: &[u8], name: &str) -> Option<usize> {
        let mut off = 0;
        for s in strings.split(|&b| b == 0) {
            if s == name.as_bytes() {
                return Some(off);
            }
            off += s.len() + 1;
        }
        None
    }
    let mut st = Vec::new();
    let mut strings = Vec::new();
    node(root, &mut st, &mut strings);
    st.extend(9u32.to_be_bytes());
    let off_rsv = 40u32;
    let off_struct = off_rsv + 16;
    let off_strings = off_struct + st.len() as u32;
    let total = off_strings + strings.len() as u32;
    let mut b = Vec::with_capacity(total as usize);
    for w in [0xd00d_feed, total, off_struct, off_strings, off_rsv, 17, 16, 0, strings.len() as u32, st.len() as u32] {
        b.extend(u32::to_be_bytes(w));
    }
    b.extend([0u8; 16]);
    b.extend(st);
    b.extend(strings);
    b
}
