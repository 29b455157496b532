//! Device-initiated memory accesses (DMA): what a bus master such as the GIC's ITS and
//! redistributors (command queue, LPI tables) reads and writes. Addresses are physical for
//! now (no SMMU yet). The machine implements [`DmaSpace`] over guest RAM; tests use
//! [`RamDma`].

/// Why a DMA access failed (the device decides what that means architecturally: a
/// command error, a stalled queue, an ignored access...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DmaError {
    /// Nothing that a bus master can access is mapped there (not RAM).
    #[error("DMA to an address that is not RAM")]
    Unmapped,
    /// The SMMU terminated the access with an abort (a translation, permission or
    /// stream fault it recorded and reported; see `smmu::SmmuDma`).
    #[error("DMA access aborted by the SMMU")]
    Fault,
}

/// The memory a device masters, by physical address.
///
/// ```
/// use lsemu_devices::dma::{DmaSpace, RamDma};
/// let mut m = RamDma::new(0x8000_0000, 0x1000);
/// m.write(0x8000_0010, &[1, 2, 3, 4]).unwrap();
/// assert_eq!(m.read_u32(0x8000_0010), Ok(0x0403_0201));
/// assert!(m.read(0x1000, &mut [0u8; 4]).is_err());
/// ```
pub trait DmaSpace {
    fn read(&mut self, pa: u64, buf: &mut [u8]) -> Result<(), DmaError>;
    fn write(&mut self, pa: u64, buf: &[u8]) -> Result<(), DmaError>;

    fn read_u64(&mut self, pa: u64) -> Result<u64, DmaError> {
        let mut b = [0u8; 8];
        self.read(pa, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn read_u32(&mut self, pa: u64) -> Result<u32, DmaError> {
        let mut b = [0u8; 4];
        self.read(pa, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }
}

/// No memory at all (every access fails): for device paths that have no DMA space.
pub struct NoDma;

impl DmaSpace for NoDma {
    fn read(&mut self, _pa: u64, _buf: &mut [u8]) -> Result<(), DmaError> {
        Err(DmaError::Unmapped)
    }
    fn write(&mut self, _pa: u64, _buf: &[u8]) -> Result<(), DmaError> {
        Err(DmaError::Unmapped)
    }
}

/// A RAM-backed DMA space of one contiguous region (unit tests, simple machines).
pub struct RamDma {
    pub base: u64,
    pub data: Vec<u8>,
}

impl RamDma {
    pub fn new(base: u64, size: usize) -> Self {
        RamDma { base, data: vec![0; size] }
    }
    fn range(&self, pa: u64, len: usize) -> Option<std::ops::Range<usize>> {
        let off = pa.checked_sub(self.base)?;
        let end = off.checked_add(len as u64)?;
        if end > self.data.len() as u64 {
            return None;
        }
        Some(off as usize..end as usize)
    }
}

impl DmaSpace for RamDma {
    fn read(&mut self, pa: u64, buf: &mut [u8]) -> Result<(), DmaError> {
        let r = self.range(pa, buf.len()).ok_or(DmaError::Unmapped)?;
        buf.copy_from_slice(self.data.get(r).ok_or(DmaError::Unmapped)?);
        Ok(())
    }
    fn write(&mut self, pa: u64, buf: &[u8]) -> Result<(), DmaError> {
        let r = self.range(pa, buf.len()).ok_or(DmaError::Unmapped)?;
        self.data.get_mut(r).ok_or(DmaError::Unmapped)?.copy_from_slice(buf);
        Ok(())
    }
}
