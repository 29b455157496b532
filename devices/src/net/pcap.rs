//! Classic pcap files (the libpcap format: a 24-byte file header, then per frame a 16-byte
//! record header and the frame), link type LINKTYPE_ETHERNET, microsecond timestamps.
//!
//! Timestamps are deterministic: the machine's virtual time when the machine gives it
//! (`set_time_ns`), otherwise the frame's index in the file as microseconds (0, 1, 2 ...).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Magic of a microsecond-resolution pcap file, written in the host's byte order
/// (readers detect the order from it); little-endian here.
const MAGIC_US: u32 = 0xa1b2_c3d4;
/// Ethernet (DLT_EN10MB).
const LINKTYPE_ETHERNET: u32 = 1;
const SNAPLEN: u32 = super::MAX_FRAME as u32;

/// Appends frames to a pcap file.
pub struct PcapWriter {
    file: Option<File>,
    path: PathBuf,
    time_ns: Option<u64>,
    frames: u64,
}

impl PcapWriter {
    /// Creates (truncates) `path` and writes the file header.
    pub fn create(path: &Path) -> std::io::Result<PcapWriter> {
        let mut file = File::create(path)?;
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&MAGIC_US.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes()); // version 2.4
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes()); // thiszone: UTC
        h.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        h.extend_from_slice(&SNAPLEN.to_le_bytes());
        h.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
        file.write_all(&h)?;
        Ok(PcapWriter { file: Some(file), path: path.to_path_buf(), time_ns: None, frames: 0 })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The virtual time of the frames written from now on.
    pub fn set_time_ns(&mut self, ns: u64) {
        self.time_ns = Some(ns);
    }

    /// Appends one frame (cut to the snap length). A write error stops the capture with
    /// one warning.
    pub fn write(&mut self, frame: &[u8]) {
        let Some(f) = &mut self.file else { return };
        let us = match self.time_ns {
            Some(ns) => ns / 1000,
            None => self.frames,
        };
        let incl = frame.len().min(SNAPLEN as usize);
        let mut r = Vec::with_capacity(16 + incl);
        r.extend_from_slice(&((us / 1_000_000) as u32).to_le_bytes());
        r.extend_from_slice(&((us % 1_000_000) as u32).to_le_bytes());
        r.extend_from_slice(&(incl as u32).to_le_bytes());
        r.extend_from_slice(&(frame.len().min(u32::MAX as usize) as u32).to_le_bytes());
        r.extend_from_slice(&frame[..incl]);
        // One write per record: a reader of the growing file sees whole records.
        if let Err(e) = f.write_all(&r) {
            tracing::warn!(target: "net", "pcap {}: {e}; capture stopped", self.path.display());
            self.file = None;
            return;
        }
        self.frames = self.frames.wrapping_add(1);
    }
}
