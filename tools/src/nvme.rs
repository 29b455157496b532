//! `lsemu boot --nvme FILE`: a disk image file as the namespace of an NVMe controller
//! behind PCIe controller 1 (devices::pcie::nvme).

use anyhow::{bail, Context, Result};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// A disk image file; writes reach it only through guest Write commands.
pub struct FileDisk {
    file: File,
    len: u64,
}

impl devices::pcie::nvme::BlockBackend for FileDisk {
    fn len(&self) -> u64 {
        self.len
    }
    fn read_at(&mut self, off: u64, buf: &mut [u8]) -> std::io::Result<()> {
        self.file.read_exact_at(buf, off)
    }
    fn write_at(&mut self, off: u64, buf: &[u8]) -> std::io::Result<()> {
        self.file.write_all_at(buf, off)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.sync_data()
    }
}

/// Opens the image (read-write unless `read_only`) and checks it is a non-empty regular
/// file whose size is a multiple of the 512-byte block.
pub fn open(path: &Path, read_only: bool) -> Result<FileDisk> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(!read_only)
        .open(path)
        .with_context(|| format!("--nvme {}: cannot open the disk image", path.display()))?;
    let meta = file.metadata().with_context(|| format!("--nvme {}: cannot stat the disk image", path.display()))?;
    if !meta.is_file() {
        bail!("--nvme {}: not a regular file", path.display());
    }
    let len = meta.len();
    if len == 0 || len % 512 != 0 {
        bail!("--nvme {}: size {len} bytes is not a non-zero multiple of 512", path.display());
    }
    Ok(FileDisk { file, len })
}

/// The NVMe function on an opened image.
pub fn endpoint(disk: FileDisk, read_only: bool) -> Box<dyn devices::pcie::Endpoint> {
    Box::new(devices::pcie::nvme::Nvme::new(Box::new(disk), read_only, "LSEMU0001"))
}
