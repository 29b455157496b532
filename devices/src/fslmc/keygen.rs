//! The WRIOP Rx classification pieces of the DPNI model: the frame parser (what the
//! hardware parser finds: VLAN tags, last EtherType, L3 and L4 headers, checksums), the
//! key-generation profile a driver hands the MC by DMA (`struct dpni_ext_set_rx_tc_dist`
//! as `dpni_prepare_key_cfg` writes it: Linux 6.1 drivers/net/ethernet/freescale/dpaa2/
//! dpni.c, dpni-cmd.h, dpkg.h), the key it extracts from a frame, the hash that spreads
//! flows over the Rx queues of a traffic class, and the Rx frame annotation (frame
//! annotation status word and parse results, dpaa2-eth.h `struct dpaa2_fas`/`dpaa2_fapr`).

/// Most extractions in a profile (DPKG_MAX_NUM_OF_EXTRACTS).
pub const MAX_EXTRACTS: usize = 10;
/// Byte masks per extraction (DPKG_NUM_OF_MASKS).
pub const MAX_MASKS: usize = 4;
/// Size of the DMA buffer `dpni_prepare_key_cfg` fills (DPAA2_CLASSIFIER_DMA_SIZE).
pub const PROFILE_BYTES: usize = 256;
/// Largest key the classifier builds (the DPNI's fs_key_size / qos_key_size limit).
pub const MAX_KEY_SIZE: usize = 56;

/// `enum net_prot` (dpkg.h) values the model extracts from.
pub mod prot {
    pub const ETH: u8 = 2;
    pub const VLAN: u8 = 3;
    pub const IPV4: u8 = 4;
    pub const IPV6: u8 = 5;
    pub const IP: u8 = 6;
    pub const TCP: u8 = 7;
    pub const UDP: u8 = 8;
    pub const SCTP: u8 = 11;
    pub const ICMP: u8 = 32;
}

/// NH_FLD_* field bits (dpkg.h) by protocol.
pub mod fld {
    pub const ETH_DA: u32 = 1 << 0;
    pub const ETH_SA: u32 = 1 << 1;
    pub const ETH_TYPE: u32 = 1 << 3;
    pub const VLAN_VPRI: u32 = 1 << 0;
    pub const VLAN_CFI: u32 = 1 << 1;
    pub const VLAN_VID: u32 = 1 << 2;
    pub const VLAN_TCI: u32 = VLAN_VPRI | VLAN_CFI | VLAN_VID;
    pub const IP_PROTO: u32 = 1 << 4;
    pub const IP_SRC: u32 = 1 << 5;
    pub const IP_DST: u32 = 1 << 6;
    pub const IPV4_PROTO: u32 = 1 << 9;
    pub const IPV4_SRC_IP: u32 = 1 << 11;
    pub const IPV4_DST_IP: u32 = 1 << 12;
    pub const IPV6_SRC_IP: u32 = 1 << 2;
    pub const IPV6_DST_IP: u32 = 1 << 3;
    pub const IPV6_NEXT_HDR: u32 = 1 << 4;
    /// TCP, UDP and SCTP share these bit values.
    pub const L4_PORT_SRC: u32 = 1 << 0;
    pub const L4_PORT_DST: u32 = 1 << 1;
    pub const ICMP_TYPE: u32 = 1 << 0;
    pub const ICMP_CODE: u32 = 1 << 1;
}

/// `enum dpkg_extract_type`.
pub const EXTRACT_FROM_HDR: u8 = 0;
pub const EXTRACT_FROM_DATA: u8 = 1;
pub const EXTRACT_FROM_PARSE: u8 = 3;
/// `enum dpkg_extract_from_hdr_type`.
pub const FROM_HDR: u8 = 0;
pub const FROM_FIELD: u8 = 1;
pub const FULL_FIELD: u8 = 2;

/// What the parser found in a frame; offsets are from the frame start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Offset of the first and last 802.1Q/802.1ad tag (their TPID), if any.
    pub vlan_first: Option<usize>,
    pub vlan_last: Option<usize>,
    /// Offset of the last EtherType field (after the tags).
    pub ethertype_off: usize,
    pub ethertype: u16,
    /// IPv4 or IPv6 header offset and version.
    pub l3: Option<(usize, u8)>,
    /// IPv4 header length (bytes) / 40 for IPv6.
    pub l3_len: usize,
    /// IPv4 protocol or IPv6 next header (no extension header walk).
    pub proto: u8,
    /// L3 payload end (IPv4 total length / IPv6 payload length, clipped to the frame).
    pub l3_end: usize,
    /// A fragment (IPv4 MF or offset): no L4 header the parser can trust.
    pub fragment: bool,
    /// L4 header offset (TCP, UDP, SCTP, ICMP…: the byte after the IP header of a
    /// non-fragment).
    pub l4: Option<usize>,
}

fn be16(f: &[u8], at: usize) -> Option<u16> {
    f.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]))
}

/// Parses the Ethernet, VLAN, IPv4/IPv6 and L4 headers of `f` as far as they are there.
pub fn parse(f: &[u8]) -> Parsed {
    let mut p = Parsed { ethertype_off: 12, ..Default::default() };
    let mut off = 12;
    let Some(mut et) = be16(f, off) else { return p };
    // Up to two tags (802.1ad outer + 802.1Q inner), as the hardware parser.
    for _ in 0..2 {
        if et != 0x8100 && et != 0x88a8 {
            break;
        }
        p.vlan_first.get_or_insert(off);
        p.vlan_last = Some(off);
        off += 4;
        match be16(f, off) {
            Some(e) => et = e,
            None => return p,
        }
    }
    p.ethertype_off = off;
    p.ethertype = et;
    let ip = off + 2;
    match et {
        0x0800 => {
            let Some(&vihl) = f.get(ip) else { return p };
            let ihl = (vihl & 0xf) as usize * 4;
            if vihl >> 4 != 4 || ihl < 20 || f.len() < ip + ihl {
                return p;
            }
            let tot = be16(f, ip + 2).unwrap_or(0) as usize;
            let frag = be16(f, ip + 6).unwrap_or(0);
            p.l3 = Some((ip, 4));
            p.l3_len = ihl;
            p.proto = f[ip + 9];
            p.l3_end = (ip + tot.max(ihl)).min(f.len());
            p.fragment = frag & 0x3fff != 0;
            if !p.fragment && tot >= ihl {
                p.l4 = Some(ip + ihl);
            }
        }
        0x86dd => {
            if f.len() < ip + 40 || f[ip] >> 4 != 6 {
                return p;
            }
            let plen = be16(f, ip + 4).unwrap_or(0) as usize;
            p.l3 = Some((ip, 6));
            p.l3_len = 40;
            p.proto = f[ip + 6];
            p.l3_end = (ip + 40 + plen).min(f.len());
            // Extension headers are not walked: only a directly following L4 header.
            if matches!(p.proto, 6 | 17 | 58 | 132) {
                p.l4 = Some(ip + 40);
            }
        }
        _ => {}
    }
    p
}

/// L4 protocols whose first four bytes are source and destination ports.
fn has_ports(proto: u8) -> bool {
    matches!(proto, 6 | 17 | 33 | 132 | 136)
}

/// One extraction of a key-generation profile (`struct dpni_dist_extract`, 24 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extract {
    pub kind: u8,
    pub prot: u8,
    pub efh_type: u8,
    pub field: u32,
    pub size: u8,
    pub offset: u8,
    pub hdr_index: u8,
    pub masks: [(u8, u8); MAX_MASKS],
    pub num_masks: u8,
}

/// A profile the MC refuses (CONFIG_ERR), with the reason for the one-time warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileError(pub String);

/// A key-generation profile (`struct dpkg_profile_cfg` as the MC reads it back).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    pub extracts: Vec<Extract>,
}

/// Size in the key of a full field (DPKG_FULL_FIELD), `None` for fields the model does
/// not extract. IP addresses of the generic IP protocol take 4 bytes for an IPv4 frame
/// and 16 for IPv6 ([`field_bytes`]); the profile check counts 4 (Linux's key layout).
fn full_field_size(prot: u8, field: u32) -> Option<usize> {
    Some(match (prot, field) {
        (prot::ETH, fld::ETH_DA | fld::ETH_SA) => 6,
        (prot::ETH, fld::ETH_TYPE) => 2,
        (prot::VLAN, fld::VLAN_TCI | fld::VLAN_VID) => 2,
        (prot::IP, fld::IP_SRC | fld::IP_DST) => 4,
        (prot::IP, fld::IP_PROTO) => 1,
        (prot::IPV4, fld::IPV4_SRC_IP | fld::IPV4_DST_IP) => 4,
        (prot::IPV4, fld::IPV4_PROTO) => 1,
        (prot::IPV6, fld::IPV6_SRC_IP | fld::IPV6_DST_IP) => 16,
        (prot::IPV6, fld::IPV6_NEXT_HDR) => 1,
        (prot::TCP | prot::UDP | prot::SCTP, fld::L4_PORT_SRC | fld::L4_PORT_DST) => 2,
        (prot::ICMP, fld::ICMP_TYPE | fld::ICMP_CODE) => 1,
        _ => return None,
    })
}

/// Where a protocol's header starts in the frame (`None`: not present).
fn header_start(p: &Parsed, prot_: u8, hdr_index: u8) -> Option<usize> {
    match prot_ {
        prot::ETH => Some(0),
        prot::VLAN => {
            if hdr_index == 0 {
                p.vlan_first
            } else {
                p.vlan_last
            }
        }
        prot::IP => p.l3.map(|(o, _)| o),
        prot::IPV4 => p.l3.filter(|l| l.1 == 4).map(|(o, _)| o),
        prot::IPV6 => p.l3.filter(|l| l.1 == 6).map(|(o, _)| o),
        prot::TCP => p.l4.filter(|_| p.proto == 6),
        prot::UDP => p.l4.filter(|_| p.proto == 17),
        prot::SCTP => p.l4.filter(|_| p.proto == 132),
        prot::ICMP => p.l4.filter(|_| p.proto == 1 || p.proto == 58),
        _ => None,
    }
}

/// The bytes of a full field of frame `f` (zeros of the field's size when its header is
/// absent, as the hardware fills a missing field).
fn field_bytes(f: &[u8], p: &Parsed, prot_: u8, field: u32, hdr_index: u8) -> Vec<u8> {
    let size = full_field_size(prot_, field).unwrap_or(0);
    let take = |at: usize, n: usize| -> Vec<u8> { f.get(at..at + n).map(|b| b.to_vec()).unwrap_or_else(|| vec![0; n]) };
    let v4 = p.l3.filter(|l| l.1 == 4).map(|l| l.0);
    let v6 = p.l3.filter(|l| l.1 == 6).map(|l| l.0);
    match (prot_, field) {
        (prot::ETH, fld::ETH_DA) => take(0, 6),
        (prot::ETH, fld::ETH_SA) => take(6, 6),
        (prot::ETH, fld::ETH_TYPE) => take(p.ethertype_off, 2),
        (prot::VLAN, _) => match header_start(p, prot::VLAN, hdr_index) {
            Some(o) => {
                let mut t = take(o + 2, 2);
                if field == fld::VLAN_VID {
                    t[0] &= 0x0f;
                }
                t
            }
            None => vec![0; 2],
        },
        (prot::IP, fld::IP_SRC) | (prot::IP, fld::IP_DST) => {
            let src = field == fld::IP_SRC;
            match (v4, v6) {
                (Some(o), _) => take(o + if src { 12 } else { 16 }, 4),
                (_, Some(o)) => take(o + if src { 8 } else { 24 }, 16),
                _ => vec![0; 4],
            }
        }
        (prot::IP, fld::IP_PROTO) => match p.l3 {
            Some(_) => vec![p.proto],
            None => vec![0],
        },
        (prot::IPV4, _) => match v4 {
            Some(o) => match field {
                fld::IPV4_SRC_IP => take(o + 12, 4),
                fld::IPV4_DST_IP => take(o + 16, 4),
                _ => vec![p.proto],
            },
            None => vec![0; size],
        },
        (prot::IPV6, _) => match v6 {
            Some(o) => match field {
                fld::IPV6_SRC_IP => take(o + 8, 16),
                fld::IPV6_DST_IP => take(o + 24, 16),
                _ => vec![p.proto],
            },
            None => vec![0; size],
        },
        // The port fields of TCP, UDP and SCTP name the first two 16-bit words of the L4
        // header: Linux hashes on the UDP ones for TCP flows too (dpaa2-eth.c dist_fields:
        // "functionally equivalent to raw byte pairs from L4 header").
        (prot::TCP | prot::UDP | prot::SCTP, _) => match p.l4.filter(|_| has_ports(p.proto)) {
            Some(o) => take(o + if field == fld::L4_PORT_SRC { 0 } else { 2 }, 2),
            None => vec![0; 2],
        },
        (prot::ICMP, _) => match header_start(p, prot::ICMP, 0) {
            Some(o) => take(o + if field == fld::ICMP_TYPE { 0 } else { 1 }, 1),
            None => vec![0],
        },
        _ => vec![0; size],
    }
}

impl Profile {
    /// Reads a profile from the bytes `dpni_prepare_key_cfg` wrote: byte 0 num_extracts,
    /// then 24-byte extractions from byte 8 (prot, efh_type, size, offset, field (le32),
    /// hdr_index, constant, num_of_repeats, num_of_byte_masks, extract_type, 3 pad,
    /// 4 × (mask, offset)).
    pub fn parse(b: &[u8]) -> Result<Profile, ProfileError> {
        let err = |s: String| Err(ProfileError(s));
        let n = *b.first().unwrap_or(&0) as usize;
        if n > MAX_EXTRACTS {
            return err(format!("{n} extractions (at most {MAX_EXTRACTS})"));
        }
        let mut extracts = Vec::with_capacity(n);
        let mut key = 0usize;
        for i in 0..n {
            let Some(e) = b.get(8 + 24 * i..8 + 24 * (i + 1)) else { return err("profile shorter than its extractions".into()) };
            let mut masks = [(0u8, 0u8); MAX_MASKS];
            for (j, m) in masks.iter_mut().enumerate() {
                *m = (e[16 + 2 * j], e[17 + 2 * j]);
            }
            let x = Extract {
                prot: e[0],
                efh_type: e[1] & 0xf,
                size: e[2],
                offset: e[3],
                field: u32::from_le_bytes([e[4], e[5], e[6], e[7]]),
                hdr_index: e[8],
                num_masks: e[11],
                kind: e[12] & 0xf,
                masks,
            };
            if x.num_masks as usize > MAX_MASKS {
                return err(format!("extraction {i}: {} byte masks (at most {MAX_MASKS})", x.num_masks));
            }
            let size = match x.kind {
                EXTRACT_FROM_HDR => match x.efh_type {
                    FULL_FIELD => match full_field_size(x.prot, x.field) {
                        Some(s) => s,
                        None => return err(format!("extraction {i}: protocol {} field {:#x} is not supported", x.prot, x.field)),
                    },
                    FROM_HDR | FROM_FIELD => {
                        if !matches!(x.prot, prot::ETH | prot::VLAN | prot::IP | prot::IPV4 | prot::IPV6 | prot::TCP | prot::UDP | prot::SCTP | prot::ICMP) {
                            return err(format!("extraction {i}: protocol {} is not supported", x.prot));
                        }
                        if x.efh_type == FROM_FIELD && full_field_size(x.prot, x.field).is_none() {
                            return err(format!("extraction {i}: protocol {} field {:#x} is not supported", x.prot, x.field));
                        }
                        x.size as usize
                    }
                    t => return err(format!("extraction {i}: header extraction type {t}")),
                },
                EXTRACT_FROM_DATA | EXTRACT_FROM_PARSE => x.size as usize,
                t => return err(format!("extraction {i}: extraction type {t}")),
            };
            if size == 0 {
                return err(format!("extraction {i}: size 0"));
            }
            key += size;
            extracts.push(x);
        }
        if key > MAX_KEY_SIZE {
            return err(format!("key of {key} bytes (at most {MAX_KEY_SIZE})"));
        }
        Ok(Profile { extracts })
    }

    /// The key of frame `f` (parsed as `p`, with parse results `pr` for
    /// DPKG_EXTRACT_FROM_PARSE): the extractions concatenated, byte masks applied.
    pub fn key(&self, f: &[u8], p: &Parsed, pr: &[u8]) -> Vec<u8> {
        let mut key = Vec::new();
        for x in &self.extracts {
            let take = |src: &[u8], at: usize, n: usize| -> Vec<u8> { (0..n).map(|k| src.get(at + k).copied().unwrap_or(0)).collect() };
            let mut v = match x.kind {
                EXTRACT_FROM_HDR => match x.efh_type {
                    FULL_FIELD => field_bytes(f, p, x.prot, x.field, x.hdr_index),
                    _ => {
                        let base = header_start(p, x.prot, x.hdr_index).map(|h| {
                            h + if x.efh_type == FROM_FIELD { field_offset(p, x.prot, x.field) } else { 0 }
                        });
                        match base {
                            Some(b) => take(f, b + x.offset as usize, x.size as usize),
                            None => vec![0; x.size as usize],
                        }
                    }
                },
                EXTRACT_FROM_DATA => take(f, x.offset as usize, x.size as usize),
                _ => take(pr, x.offset as usize, x.size as usize),
            };
            for &(mask, off) in x.masks.iter().take(x.num_masks as usize) {
                if let Some(b) = v.get_mut(off as usize) {
                    *b &= mask;
                }
            }
            key.append(&mut v);
        }
        key
    }
}

/// Offset of a field inside its header (DPKG_FROM_FIELD).
fn field_offset(p: &Parsed, prot_: u8, field: u32) -> usize {
    match (prot_, field) {
        (prot::ETH, fld::ETH_SA) => 6,
        (prot::ETH, fld::ETH_TYPE) => p.ethertype_off,
        (prot::VLAN, _) => 2,
        (prot::IP | prot::IPV4 | prot::IPV6, _) => {
            let v6 = p.l3.is_some_and(|l| l.1 == 6);
            match field {
                fld::IP_SRC | fld::IPV4_SRC_IP if !v6 => 12,
                fld::IP_DST | fld::IPV4_DST_IP if !v6 => 16,
                fld::IP_PROTO | fld::IPV4_PROTO if !v6 => 9,
                fld::IP_SRC | fld::IPV6_SRC_IP => 8,
                fld::IP_DST | fld::IPV6_DST_IP => 24,
                _ => 6,
            }
        }
        (prot::TCP | prot::UDP | prot::SCTP, fld::L4_PORT_DST) => 2,
        (prot::ICMP, fld::ICMP_CODE) => 1,
        _ => 0,
    }
}

/// The flow hash of a key: CRC-32 (IEEE) of its bytes. The queue of a frame is the
/// hash modulo the distribution size, so one key always picks the same queue.
pub fn hash(key: &[u8]) -> u32 {
    crc32fast::hash(key)
}

/// Frame annotation status bits (dpaa2-eth.h DPAA2_FAS_*; the same values are the DPNI
/// error bits of dpni.h DPNI_ERROR_*).
pub mod fas {
    pub const MC: u32 = 0x0400_0000;
    pub const BC: u32 = 0x0200_0000;
    pub const L3CV: u32 = 0x8;
    pub const L3CE: u32 = 0x4;
    pub const L4CV: u32 = 0x2;
    pub const L4CE: u32 = 0x1;
}

use super::dpni::{fold, ones_sum as sum16};

/// Whether a one's complement sum (not folded) checks out: it folds to 0xffff.
fn folds_to_ffff(acc: u64) -> bool {
    fold(acc) == 0xffff
}

/// The checksum part of the frame annotation status the parser produces: with `l3`
/// (SET_OFFLOAD RX_L3_CSUM) an IPv4 header checksum is validated (L3CV, L3CE when
/// wrong); with `l4` (RX_L4_CSUM) the TCP or UDP checksum of an IPv4 non-fragment or of
/// IPv6 without extension headers (L4CV, L4CE when wrong). A UDP-over-IPv4 checksum of 0
/// means "none" (RFC 768): not validated. Plus MC/BC for multicast/broadcast
/// destinations.
pub fn rx_status(f: &[u8], p: &Parsed, l3: bool, l4: bool) -> u32 {
    let mut s = 0;
    if f.len() >= 6 && f[..6] == [0xff; 6] {
        s |= fas::BC;
    } else if f.first().is_some_and(|b| b & 1 != 0) {
        s |= fas::MC;
    }
    let Some((ip, ver)) = p.l3 else { return s };
    if l3 && ver == 4 {
        s |= fas::L3CV;
        if !folds_to_ffff(sum16(&f[ip..ip + p.l3_len], 0)) {
            s |= fas::L3CE;
        }
    }
    let Some(l4o) = p.l4 else { return s };
    if !l4 || !matches!(p.proto, 6 | 17) || p.l3_end <= l4o {
        return s;
    }
    let seg = &f[l4o..p.l3_end];
    let min = if p.proto == 6 { 20 } else { 8 };
    if seg.len() < min {
        return s;
    }
    if p.proto == 17 && ver == 4 && seg[6] == 0 && seg[7] == 0 {
        return s;
    }
    let pseudo = if ver == 4 { sum16(&f[ip + 12..ip + 20], 0) } else { sum16(&f[ip + 8..ip + 40], 0) };
    let acc = sum16(seg, pseudo + p.proto as u64 + seg.len() as u64);
    s |= fas::L4CV;
    if !folds_to_ffff(acc) {
        s |= fas::L4CE;
    }
    s
}

/// Frame annotation flag bits of the parse results (WRIOP parser; the positions DPDK's
/// dpaa2 PMD tests, drivers/net/dpaa2/base/dpaa2_hw_dpni_annot.h): `faf_lo` is the low
/// 32 bits of the little-endian word at annotation 0x10 (with the FAF extension and the
/// next header above it), `faf_hi` the word at 0x18.
pub mod faf {
    pub const LO_ETH_MAC_PRESENT: u32 = 1 << 21;
    pub const LO_ETH_MAC_UNICAST: u32 = 1 << 20;
    pub const LO_ETH_MAC_MULTICAST: u32 = 1 << 19;
    pub const LO_ETH_MAC_BROADCAST: u32 = 1 << 18;
    pub const LO_VLAN_1_PRESENT: u32 = 1 << 10;
    pub const LO_VLAN_N_PRESENT: u32 = 1 << 9;
    pub const LO_ARP_PRESENT: u32 = 1 << 1;
    pub const HI_IPV4_1_PRESENT: u64 = 1 << 61;
    pub const HI_IPV4_1_UNICAST: u64 = 1 << 60;
    pub const HI_IPV4_1_MULTICAST: u64 = 1 << 59;
    pub const HI_IPV4_1_BROADCAST: u64 = 1 << 58;
    pub const HI_IPV6_1_PRESENT: u64 = 1 << 53;
    pub const HI_IPV6_1_UNICAST: u64 = 1 << 52;
    pub const HI_IPV6_1_MULTICAST: u64 = 1 << 51;
    pub const HI_IP_1_OPT_PRESENT: u64 = 1 << 47;
    pub const HI_IP_1_MORE_FRAGMENT: u64 = 1 << 45;
    pub const HI_IP_1_FIRST_FRAGMENT: u64 = 1 << 44;
    pub const HI_ICMP_PRESENT: u64 = 1 << 38;
    pub const HI_IGMP_PRESENT: u64 = 1 << 37;
    pub const HI_ICMPV6_PRESENT: u64 = 1 << 36;
    pub const HI_UDP_PRESENT: u64 = 1 << 25;
    pub const HI_TCP_PRESENT: u64 = 1 << 23;
    pub const HI_SCTP_PRESENT: u64 = 1 << 14;
}

/// Parse results (`struct dpaa2_fapr`, 48 bytes at annotation offset 0x10): the frame
/// annotation flags ([`faf`]: bytes 0-3 and 8-15), the next header (bytes 6-7: the L4
/// protocol) and the offsets the parser found — last EtherType (byte 16), last/first
/// VLAN TCI (17/18), Ethernet (20), L4 (25), last/first L3 (27/28). 0xff marks an offset
/// of a header that is not there.
pub fn parse_results(f: &[u8], p: &Parsed) -> [u8; 48] {
    let mut r = [0u8; 48];
    let o = |v: Option<usize>| v.map_or(0xff, |x| x.min(0xfe) as u8);
    let mut lo = 0u32;
    let mut hi = 0u64;
    if f.len() >= 14 {
        lo |= faf::LO_ETH_MAC_PRESENT;
        lo |= if f[..6] == [0xff; 6] {
            faf::LO_ETH_MAC_BROADCAST
        } else if f[0] & 1 != 0 {
            faf::LO_ETH_MAC_MULTICAST
        } else {
            faf::LO_ETH_MAC_UNICAST
        };
    }
    if p.vlan_first.is_some() {
        lo |= faf::LO_VLAN_1_PRESENT;
        if p.vlan_first != p.vlan_last {
            lo |= faf::LO_VLAN_N_PRESENT;
        }
    }
    if p.ethertype == 0x0806 {
        lo |= faf::LO_ARP_PRESENT;
    }
    match p.l3 {
        Some((ip, 4)) => {
            hi |= faf::HI_IPV4_1_PRESENT;
            let dst = f.get(ip + 16..ip + 20).unwrap_or(&[0; 4]);
            hi |= if dst == [0xff; 4] {
                faf::HI_IPV4_1_BROADCAST
            } else if dst[0] >> 4 == 0xe {
                faf::HI_IPV4_1_MULTICAST
            } else {
                faf::HI_IPV4_1_UNICAST
            };
            if p.l3_len > 20 {
                hi |= faf::HI_IP_1_OPT_PRESENT;
            }
            let frag = be16(f, ip + 6).unwrap_or(0);
            if frag & 0x2000 != 0 {
                hi |= faf::HI_IP_1_MORE_FRAGMENT;
            }
            if frag & 0x2000 != 0 && frag & 0x1fff == 0 {
                hi |= faf::HI_IP_1_FIRST_FRAGMENT;
            }
        }
        Some((ip, _)) => {
            hi |= faf::HI_IPV6_1_PRESENT;
            hi |= if f.get(ip + 24) == Some(&0xff) { faf::HI_IPV6_1_MULTICAST } else { faf::HI_IPV6_1_UNICAST };
        }
        None => {}
    }
    if p.l4.is_some() {
        hi |= match p.proto {
            1 => faf::HI_ICMP_PRESENT,
            2 => faf::HI_IGMP_PRESENT,
            58 => faf::HI_ICMPV6_PRESENT,
            17 => faf::HI_UDP_PRESENT,
            6 => faf::HI_TCP_PRESENT,
            132 => faf::HI_SCTP_PRESENT,
            _ => 0,
        };
    }
    r[0..4].copy_from_slice(&lo.to_le_bytes());
    r[6..8].copy_from_slice(&(if p.l3.is_some() { p.proto as u16 } else { 0 }).to_le_bytes());
    r[8..16].copy_from_slice(&hi.to_le_bytes());
    r[16] = o(Some(p.ethertype_off));
    r[17] = o(p.vlan_last.map(|v| v + 2));
    r[18] = o(p.vlan_first.map(|v| v + 2));
    r[19] = 0xff;
    r[20] = 0;
    r[21] = 0xff;
    r[22] = 0xff;
    r[23] = 0xff;
    r[24] = 0xff;
    r[25] = o(p.l4);
    r[26] = 0xff;
    r[27] = o(p.l3.map(|l| l.0));
    r[28] = o(p.l3.map(|l| l.0));
    r[29] = 0xff;
    r[30] = 0xff;
    r[31] = 0xff;
    r
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The 256-byte buffer `dpni_prepare_key_cfg` (Linux 6.1 dpni.c) fills for the
    /// extractions `(prot, field)`, all DPKG_EXTRACT_FROM_HDR / DPKG_FULL_FIELD as
    /// `dpaa2_eth_set_dist_key` asks for them: byte 0 num_extracts; extraction i at
    /// 8 + 24·i (struct dpni_dist_extract): prot (byte 0), efh_type (1, low nibble) = 2,
    /// size (2) = 0, offset (3) = 0, field (4-7, le32), hdr_index (8) = 0, constant (9),
    /// num_of_repeats (10), num_of_byte_masks (11) = 0, extract_type (12, low nibble) = 0,
    /// masks at 16-23.
    pub(crate) fn linux_profile(fields: &[(u8, u32)]) -> [u8; 256] {
        let mut b = [0u8; 256];
        b[0] = fields.len() as u8;
        for (i, &(p, f)) in fields.iter().enumerate() {
            let e = 8 + 24 * i;
            b[e] = p;
            b[e + 1] = 2;
            b[e + 4..e + 8].copy_from_slice(&f.to_le_bytes());
        }
        b
    }

    /// DPAA2_RXH_DEFAULT (dpaa2-eth.h: L3 proto, IP src, IP dst, L4 bytes 0-1, 2-3) in the
    /// order of dpaa2-eth.c's dist_fields: NET_PROT_IP (6) NH_FLD_IP_SRC (bit 5 = 0x20),
    /// IP_DST (0x40), IP_PROTO (0x10), then NET_PROT_UDP (8) PORT_SRC (1), PORT_DST (2).
    pub(crate) const LINUX_DEFAULT: [(u8, u32); 5] = [(6, 0x20), (6, 0x40), (6, 0x10), (8, 1), (8, 2)];

    /// An IPv4/UDP frame 192.168.0.1:0x1234 → 192.168.0.199:53, payload "abcd", with
    /// the checksums worked out by hand (16-bit one's complement sums):
    /// IPv4 header 4500 0020 0000 4000 4011 [csum] c0a8 0001 c0a8 00c7 sums to 0x24749,
    /// folded 0x474b, checksum 0xb8b4. UDP: pseudo header c0a8 0001 c0a8 00c7 0011 000c
    /// plus 1234 0035 000c 0000 6162 6364 sums to 0x25970, folded 0x5972, checksum 0xa68d.
    pub(crate) fn udp_frame() -> Vec<u8> {
        let mut f = vec![0x00, 0x04, 0x9f, 0, 0, 2, 0x02, 0, 0, 0, 0, 9, 0x08, 0x00];
        f.extend_from_slice(&[0x45, 0, 0, 0x20, 0, 0, 0x40, 0, 0x40, 0x11, 0xb8, 0xb4, 192, 168, 0, 1, 192, 168, 0, 199]);
        f.extend_from_slice(&[0x12, 0x34, 0x00, 0x35, 0x00, 0x0c, 0xa6, 0x8d, b'a', b'b', b'c', b'd']);
        f
    }

    #[test]
    fn linux_default_hash_profile_and_key() {
        let p = Profile::parse(&linux_profile(&LINUX_DEFAULT)).expect("Linux's default key is accepted");
        assert_eq!(p.extracts.len(), 5);
        let f = udp_frame();
        let parsed = parse(&f);
        // Key: IP src (4) | IP dst (4) | protocol (1) | source port (2) | destination port (2).
        let key = p.key(&f, &parsed, &[0; 48]);
        assert_eq!(key, [192, 168, 0, 1, 192, 168, 0, 199, 17, 0x12, 0x34, 0x00, 0x35]);
        // The same fields of a TCP segment (protocol 6 at IPv4 byte 9; ports at TCP 0-3).
        let mut t = f.clone();
        t[14 + 9] = 6;
        t.extend_from_slice(&[0; 12]); // room for a 20-byte TCP header
        t[14 + 3] = 40; // total length 40
        let key = p.key(&t, &parse(&t), &[0; 48]);
        assert_eq!(&key[8..], &[6, 0x12, 0x34, 0x00, 0x35]);
        // ARP (EtherType 0x0806): no IP header, every field zero.
        let mut a = f.clone();
        a[12..14].copy_from_slice(&[0x08, 0x06]);
        assert_eq!(p.key(&a, &parse(&a), &[0; 48]), [0u8; 13]);
        // A VLAN tag in front moves the IP header by 4 bytes but not the key.
        let mut v = f[..12].to_vec();
        v.extend_from_slice(&[0x81, 0x00, 0x20, 0x05]);
        v.extend_from_slice(&f[12..]);
        let pv = parse(&v);
        assert_eq!((pv.vlan_first, pv.ethertype_off, pv.l3), (Some(12), 16, Some((18, 4))));
        assert_eq!(p.key(&v, &pv, &[0; 48]), p.key(&f, &parsed, &[0; 48]));
    }

    #[test]
    fn bad_profiles_are_refused() {
        // 11 extractions (DPKG_MAX_NUM_OF_EXTRACTS is 10).
        let mut b = linux_profile(&LINUX_DEFAULT);
        b[0] = 11;
        assert!(Profile::parse(&b).is_err());
        // An unknown field of NET_PROT_ETH (bit 7).
        assert!(Profile::parse(&linux_profile(&[(2, 0x80)])).is_err());
        // Extraction type 2 (not in enum dpkg_extract_type).
        let mut b = linux_profile(&[(6, 0x20)]);
        b[8 + 12] = 2;
        assert!(Profile::parse(&b).is_err());
        // Four IPv6 addresses: 64 bytes, over the 56-byte key limit.
        assert!(Profile::parse(&linux_profile(&[(5, 4), (5, 8), (5, 4), (5, 8)])).is_err());
        // Five byte masks.
        let mut b = linux_profile(&[(6, 0x20)]);
        b[8 + 11] = 5;
        assert!(Profile::parse(&b).is_err());
        // An empty profile is valid (every frame hashes alike).
        assert_eq!(Profile::parse(&[0u8; 256]).map(|p| p.extracts.len()), Ok(0));
    }

    #[test]
    fn byte_masks_and_from_data() {
        // DPKG_EXTRACT_FROM_DATA: 2 bytes at frame offset 12 (the EtherType), with a
        // byte mask 0x0f on its second byte (mask, offset at 16/17).
        let mut b = [0u8; 256];
        b[0] = 1;
        b[8 + 2] = 2; // size
        b[8 + 3] = 12; // offset
        b[8 + 11] = 1; // one byte mask
        b[8 + 12] = 1; // FROM_DATA
        b[8 + 16] = 0x0f;
        b[8 + 17] = 1;
        let p = Profile::parse(&b).unwrap();
        let f = udp_frame();
        assert_eq!(p.key(&f, &parse(&f), &[0; 48]), [0x08, 0x00]);
        let mut g = f.clone();
        g[13] = 0xf7;
        assert_eq!(p.key(&g, &parse(&g), &[0; 48]), [0x08, 0x07]);
    }

    #[test]
    fn rx_checksum_status() {
        let f = udp_frame();
        let p = parse(&f);
        // Both validated and right: L3CV | L4CV (dpaa2-eth then reports CHECKSUM_UNNECESSARY).
        assert_eq!(rx_status(&f, &p, true, true), fas::L3CV | fas::L4CV);
        // Offloads off: nothing validated.
        assert_eq!(rx_status(&f, &p, false, false), 0);
        // A wrong UDP checksum: L4CE.
        let mut bad = f.clone();
        bad[14 + 20 + 7] ^= 1;
        assert_eq!(rx_status(&bad, &parse(&bad), true, true), fas::L3CV | fas::L4CV | fas::L4CE);
        // A wrong IPv4 header checksum: L3CE.
        let mut bad = f.clone();
        bad[14 + 11] ^= 1;
        assert_eq!(rx_status(&bad, &parse(&bad), true, true), fas::L3CV | fas::L3CE | fas::L4CV);
        // UDP checksum 0 over IPv4 = no checksum (RFC 768): not validated.
        let mut none = f.clone();
        none[14 + 26..14 + 28].copy_from_slice(&[0, 0]);
        assert_eq!(rx_status(&none, &parse(&none), true, true), fas::L3CV);
        // Broadcast and multicast destinations.
        let mut bc = f.clone();
        bc[..6].copy_from_slice(&[0xff; 6]);
        assert_eq!(rx_status(&bc, &parse(&bc), false, false), fas::BC);
        bc[..6].copy_from_slice(&[0x33, 0x33, 0xff, 0, 0, 2]);
        assert_eq!(rx_status(&bc, &parse(&bc), false, false), fas::MC);
    }

    /// An IPv6/UDP checksum from RFC-style hand arithmetic: ::1 → ::2, ports 1 → 2, no
    /// payload. Pseudo header: 0001 + 0002 (addresses) + 0008 (length) + 0011 (next
    /// header) = 0x1c; UDP header 0001 0002 0008 → 0x1c + 0x000b = 0x27; checksum
    /// ~0x0027 = 0xffd8.
    #[test]
    fn rx_checksum_ipv6_udp() {
        let mut f = vec![0x00, 0x04, 0x9f, 0, 0, 2, 0x02, 0, 0, 0, 0, 9, 0x86, 0xdd];
        f.extend_from_slice(&[0x60, 0, 0, 0, 0, 8, 17, 64]);
        let mut a = [0u8; 16];
        a[15] = 1;
        f.extend_from_slice(&a);
        a[15] = 2;
        f.extend_from_slice(&a);
        f.extend_from_slice(&[0, 1, 0, 2, 0, 8, 0xff, 0xd8]);
        let p = parse(&f);
        assert_eq!((p.l3, p.l4, p.proto), (Some((14, 6)), Some(54), 17));
        assert_eq!(rx_status(&f, &p, true, true), fas::L4CV);
        f[61] ^= 0x10;
        assert_eq!(rx_status(&f, &parse(&f), true, true), fas::L4CV | fas::L4CE);
    }

    #[test]
    fn parse_results_offsets() {
        let f = udp_frame();
        let r = parse_results(&f, &parse(&f));
        // nxt_hdr 17 (UDP), last EtherType at 12, no VLAN (0xff), Ethernet at 0, L4 at 34,
        // L3 at 14.
        assert_eq!((u16::from_le_bytes([r[6], r[7]]), r[16], r[17], r[20], r[25], r[27], r[28]), (17, 12, 0xff, 0, 34, 14, 14));
        // FAF (DPDK's dpaa2_hw_dpni_annot.h positions): word at 0x10 = Ethernet present
        // (bit 21) + unicast (bit 20); word at 0x18 = IPv4 1 present (61) + unicast (60)
        // + UDP present (25).
        assert_eq!(u64::from_le_bytes(r[0..8].try_into().unwrap()) & 0xffff_ffff, 1 << 21 | 1 << 20);
        assert_eq!(u64::from_le_bytes(r[8..16].try_into().unwrap()), 1 << 61 | 1 << 60 | 1 << 25);
        // ARP to broadcast: Ethernet present + broadcast (18) + ARP present (1), no L3.
        let mut a = f.clone();
        a[..6].copy_from_slice(&[0xff; 6]);
        a[12..14].copy_from_slice(&[0x08, 0x06]);
        let r = parse_results(&a, &parse(&a));
        assert_eq!(u32::from_le_bytes(r[0..4].try_into().unwrap()), 1 << 21 | 1 << 18 | 1 << 1);
        assert_eq!(u64::from_le_bytes(r[8..16].try_into().unwrap()), 0);
    }

    #[test]
    fn parser_never_panics_on_short_or_odd_frames() {
        let f = udp_frame();
        let p = Profile::parse(&linux_profile(&LINUX_DEFAULT)).unwrap();
        for n in 0..f.len() {
            let g = &f[..n];
            let pp = parse(g);
            let _ = rx_status(g, &pp, true, true);
            let _ = p.key(g, &pp, &parse_results(g, &pp));
        }
        // An IPv4 header claiming more than the frame holds, and a bogus IHL.
        let mut g = f.clone();
        g[14 + 3] = 0xff;
        let _ = rx_status(&g, &parse(&g), true, true);
        g[14] = 0x4f;
        let _ = rx_status(&g, &parse(&g), true, true);
        // Pseudo-random frames (a fixed LCG: deterministic) whose EtherType is made one
        // of VLAN/IPv4/IPv6 and whose IP version nibble is right half of the time, through
        // a profile with every kind of extraction.
        let mut prof = linux_profile(&[(2, 1), (3, 7), (5, 4), (7, 1), (32, 2)]);
        // Extraction 5: FROM_HDR (efh 0) of UDP, 4 bytes at 250; 6: FROM_FIELD (efh 1) of
        // IPv4 SRC_IP + 3, 2 bytes; 7: FROM_PARSE 8 bytes at 40 (past the 48-byte end).
        prof[0] = 8;
        for (i, (pr, efh, size, off, field, kind)) in [(8u8, 0u8, 4u8, 250u8, 0u32, 0u8), (4, 1, 2, 3, 1 << 11, 0), (0, 0, 8, 40, 0, 3)].into_iter().enumerate() {
            let e = 8 + 24 * (5 + i);
            prof[e] = pr;
            prof[e + 1] = efh;
            prof[e + 2] = size;
            prof[e + 3] = off;
            prof[e + 4..e + 8].copy_from_slice(&field.to_le_bytes());
            prof[e + 12] = kind;
        }
        let p = Profile::parse(&prof).expect("profile");
        let mut x: u64 = 0x1234_5678;
        for _ in 0..3000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let n = (x >> 33) as usize % 120;
            let mut g: Vec<u8> = (0..n).map(|k| (x.rotate_left(k as u32 % 64) >> 7) as u8).collect();
            if n >= 14 {
                let et: [[u8; 2]; 4] = [[0x81, 0x00], [0x08, 0x00], [0x86, 0xdd], [0x88, 0xa8]];
                g[12..14].copy_from_slice(&et[(x >> 11) as usize % 4]);
                if n > 14 && x & 1 == 0 {
                    g[14] = if g[13] == 0xdd { 0x60 } else { 0x45 };
                }
            }
            let pp = parse(&g);
            let _ = rx_status(&g, &pp, true, true);
            let pr = parse_results(&g, &pp);
            // Fixed-size fields: 6 (ETH DA) + 2 (VLAN TCI) + 16 (IPv6 source) + 2 (port) +
            // 1 (ICMP code) + 4 + 2 + 8 = 41 bytes, whatever the frame holds.
            assert_eq!(p.key(&g, &pp, &pr).len(), 41);
        }
    }
}
