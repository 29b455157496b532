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
