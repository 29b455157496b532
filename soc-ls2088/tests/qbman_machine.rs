//! The QBMan engine reached through the machine's bus, MMIO only (as a guest does): a
//! buffer release and acquire, and a volatile dequeue whose result the portal writes into
//! guest RAM as a bus master (through the SMMU, which no one has enabled here, so the
//! address is used untranslated). Register offsets and command layouts
//! from Linux 6.1 qbman-portal.c and ls2088a-reference.md §5.

mod common;
use common::{r32, w32};

use cpu_aarch64::platform::{BusAttrs, PhysAddr};
use cpu_aarch64::Bus;
use soc_ls2088::machine::Firmware;
use soc_ls2088::Machine;

/// Portal 0's CINH page: the fsl-mc `ranges` type 1 window at 0x8_1800_0000 + 64 MiB
/// (reference §4.1).
const CINH: u64 = 0x8_1c00_0000;

fn w(m: &mut Machine, pa: u64, bytes: &[u8]) {
    m.bus.write(PhysAddr(pa), bytes, BusAttrs::default()).unwrap();
}

fn r(m: &mut Machine, pa: u64, len: usize) -> Vec<u8> {
    let mut b = vec![0u8; len];
    for (i, c) in b.chunks_mut(8).enumerate() {
        m.bus.read(PhysAddr(pa + 8 * i as u64), c, BusAttrs::default()).unwrap();
    }
    b
}

#[test]
fn release_acquire_and_pull_to_guest_ram_through_the_bus() {
    let mut m = common::machine(Firmware::Builtin, 1);
    // qbman_swp_init: SWP_CFG = 0x00807A3C reads back non-zero.
    w32(&mut m, CINH + 0xd00, 0x0080_7a3c);
    assert_ne!(r32(&mut m, CINH + 0xd00), 0);

    // qbman_swp_release_direct: RAR (0xCC0) → slot 0, valid bit 0x80; three buffers at
    // bytes 8.., bpid at 2-3, then the verb 0x20 | vb | 3 at byte 0 of RCR(0) = 0x400.
    let rar = r32(&mut m, CINH + 0xcc0);
    assert_eq!(rar & 0x1ff, 0x180);
    for (i, b) in [0x8100_0000u64, 0x8100_0800, 0x8100_1000].iter().enumerate() {
        w(&mut m, CINH + 0x408 + 8 * i as u64, &b.to_le_bytes());
    }
    w(&mut m, CINH + 0x402, &7u16.to_le_bytes());
    w(&mut m, CINH + 0x400, &[0x20 | 0x80 | 3]);

    // ACQUIRE (0x30) of 2 from bpid 7: first management command, valid bit 0x80, result
    // at RR(0x80) = 0x740: verb, rslt 0xF0, num 2, then the buffers — the last released
    // first (BMan pools are stacks).
    w(&mut m, CINH + 0x602, &7u16.to_le_bytes());
    w(&mut m, CINH + 0x604, &[2]);
    w(&mut m, CINH + 0x600, &[0x30 | 0x80]);
    let res = r(&mut m, CINH + 0x740, 24);
    assert_eq!((res[0] & 0x7f, res[1], res[4]), (0x30, 0xf0, 2));
    assert_eq!(u64::from_le_bytes(res[8..16].try_into().unwrap()), 0x8100_1000);
    assert_eq!(u64::from_le_bytes(res[16..24].try_into().unwrap()), 0x8100_0800);

    // qbman_swp_pull_direct of FQ 0x55 (never configured: empty) with storage at
    // 0x8000_2000: numf 15, tok 1, dq_src, rsp_addr, then verb 0x39 | vb 0x80 at 0x780.
    // The unaligned 8-byte store covers bytes 1-8: numf, tok, pad, dq_src, rsp low byte.
    let mut body = [0u8; 8];
    body[0] = 15;
    body[1] = 1;
    body[3..7].copy_from_slice(&0x55u32.to_le_bytes());
    w(&mut m, CINH + 0x781, &body);
    w(&mut m, CINH + 0x788, &0x8000_2000u64.to_le_bytes());
    w(&mut m, CINH + 0x780, &[0x39 | 0x80]);
    // One result in guest RAM: stat VOLATILE | EXPIRED (0x03), tok 1, FQID 0x55.
    let dq = r(&mut m, 0x8000_2000, 16);
    assert_eq!((dq[1], dq[7]), (0x03, 1));
    assert_eq!(u32::from_le_bytes(dq[8..12].try_into().unwrap()), 0x55);
}

/// An EQCR entry written with 16-byte stores (as DPDK's vector stores of ring entries do):
/// the bus hands each store to the portal whole, so the entry is complete when the store
/// carrying the verb (bytes 0-15, written last as Linux and DPDK both do) arrives, and the
/// enqueue carries the full FD. Layouts: reference §5.4 (enqueue command: verb 0,
/// tgtid 8-11, FD 32-63; valid bit = EQCR_PI bit 7, §5.3).
#[test]
fn sixteen_byte_stores_build_an_eqcr_entry() {
    use devices::qbman::{FqConfig, FqDest};
    let mut m = common::machine(Firmware::Builtin, 1);
    w32(&mut m, CINH + 0xd00, 0x0080_7a3c);
    m.bus.mc.qbman.fq_configure(0x42, FqConfig { dest: FqDest::None, user_ctx: 0x1234 });
    let vb = (r32(&mut m, CINH + 0x800) & 0x80) as u8;
    let mut entry = [0u8; 64];
    entry[8..12].copy_from_slice(&0x42u32.to_le_bytes());
    for (i, b) in entry[32..64].iter_mut().enumerate() {
        *b = 0xa0 + i as u8;
    }
    entry[0] = 0x02 | vb; // respond on reject, target FQ, valid bit
    // Body first (bytes 16-63 in three 16-byte stores), then bytes 0-15 with the verb.
    for off in [16usize, 32, 48, 0] {
        w(&mut m, CINH + off as u64, &entry[off..off + 16]);
    }
    assert_eq!(m.bus.mc.qbman.fq_frames(0x42), 1, "one frame enqueued to FQ 0x42");
    // Pull it (volatile dequeue of FQ 0x42, verb 0x39 = RLS | WAE | DCT 1 | type FQ (2 << 2),
    // one frame: numf 0, tok 1) into guest RAM at 0x8000_3000: the result's FD (bytes 32-63,
    // §5.5) is the whole FD of the entry, fqd_ctx (24-31) the FQ's user context.
    let mut body = [0u8; 8];
    body[1] = 1;
    body[3..7].copy_from_slice(&0x42u32.to_le_bytes());
    w(&mut m, CINH + 0x781, &body);
    w(&mut m, CINH + 0x788, &0x8000_3000u64.to_le_bytes());
    w(&mut m, CINH + 0x780, &[0x39 | 0x80]);
    let dq = r(&mut m, 0x8000_3000, 64);
    assert_eq!((dq[1] & 0x10, dq[7]), (0x10, 1), "a valid frame, tok 1");
    assert_eq!(u64::from_le_bytes(dq[24..32].try_into().unwrap()), 0x1234);
    assert_eq!(&dq[32..64], &entry[32..64], "the whole FD, as written by the 16-byte stores");
    // A 16-byte load of the ring area reads the bytes back (the entry's FD part).
    let mut back = [0u8; 16];
    m.bus.read(PhysAddr(CINH + 32), &mut back, BusAttrs::default()).unwrap();
    assert_eq!(&back[..], &entry[32..48]);
}
