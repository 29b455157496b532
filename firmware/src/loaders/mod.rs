//! Guest image loaders. Each returns the segments to copy into guest memory and the entry
//! point; the machine checks that every segment lands in RAM.

pub mod elf;
pub mod image;

/// A piece of an image to place in guest physical memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub addr: u64,
    /// Bytes to copy; `mem_size - data.len()` bytes after them are zeroed.
    pub data: Vec<u8>,
    pub mem_size: u64,
}

/// Bytes of a host file that the machine reads straight into guest memory when it loads
/// the image, with no staging copy in host memory (a distribution kernel is tens of MiB:
/// reading it into a buffer, then copying the buffer into RAM, cost most of lsemu's
/// start-up time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSegment {
    /// Guest physical address of the file's first byte.
    pub addr: u64,
    pub path: std::path::PathBuf,
    /// The file's length when it was checked; the whole file is placed.
    pub len: u64,
}

impl FileSegment {
    /// Reads the whole file into `dst` (`len` bytes). Errors are one line naming the file:
    /// it cannot be opened or read, or its length is no longer `len` (it changed since it
    /// was checked).
    pub fn read_into(&self, dst: &mut [u8]) -> Result<(), String> {
        use std::io::Read;
        let what = |e: std::io::Error| format!("cannot read {}: {e}", self.path.display());
        let mut f = std::fs::File::open(&self.path).map_err(what)?;
        let now = f.metadata().map_err(what)?.len();
        if now != self.len || dst.len() as u64 != self.len {
            return Err(format!("{}: the file changed while lsemu was loading it (now {now} bytes, was {})", self.path.display(), self.len));
        }
        f.read_exact(dst).map_err(what)
    }
}

/// A loaded image: segments and entry point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub segments: Vec<Segment>,
    pub entry: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}: not an ELF file (bad magic)")]
    NotElf(String),
    #[error("{path}: malformed ELF: {why}")]
    Malformed { path: String, why: String },
    #[error("{path}: ELF is for {machine}, not AArch64")]
    WrongMachine { path: String, machine: String },
    #[error("{path}: {why}")]
    Unsupported { path: String, why: String },
    #[error("{0}: empty file")]
    Empty(String),
}

/// Loads a raw binary at `addr`, entry = `addr`.
pub fn raw(data: Vec<u8>, addr: u64, path: &str) -> Result<Image, LoadError> {
    if data.is_empty() {
        return Err(LoadError::Empty(path.to_string()));
    }
    let mem_size = data.len() as u64;
    Ok(Image { segments: vec![Segment { addr, data, mem_size }], entry: addr })
}
