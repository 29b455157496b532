//! A PCI configuration space (4 KiB, PCIe extended) as bytes with a per-byte write mask:
//! what a function's header and capabilities look like to configuration reads and writes.

/// 4 KiB of configuration space; bits set in `wmask` are writable, the others read-only.
#[derive(Clone)]
pub struct CfgSpace {
    pub data: Vec<u8>,
    pub wmask: Vec<u8>,
}

impl Default for CfgSpace {
    fn default() -> Self {
        CfgSpace { data: vec![0; 4096], wmask: vec![0; 4096] }
    }
}

impl CfgSpace {
    /// Sets the read value of `n` bytes at `off` (little-endian) and their write mask.
    pub fn init(&mut self, off: usize, n: usize, val: u32, wmask: u32) {
        for i in 0..n {
            self.data[off + i] = (val >> (8 * i)) as u8;
            self.wmask[off + i] = (wmask >> (8 * i)) as u8;
        }
    }

    /// A read of `n` (1, 2, 4) bytes; beyond the space reads as zero.
    pub fn read(&self, off: u64, n: usize) -> u32 {
        let mut v = 0u32;
        for i in 0..n.min(4) {
            let o = off.wrapping_add(i as u64) as usize;
            v |= (*self.data.get(o).unwrap_or(&0) as u32) << (8 * i);
        }
        v
    }

    /// A write of `n` bytes: only the writable bits change.
    pub fn write(&mut self, off: u64, n: usize, val: u32) {
        for i in 0..n.min(4) {
            let o = off.wrapping_add(i as u64) as usize;
            if o >= self.data.len() {
                break;
            }
            let m = self.wmask[o];
            self.data[o] = (self.data[o] & !m) | ((val >> (8 * i)) as u8 & m);
        }
    }

    pub fn u16(&self, off: usize) -> u16 {
        self.read(off as u64, 2) as u16
    }

    pub fn u32(&self, off: usize) -> u32 {
        self.read(off as u64, 4)
    }
}
