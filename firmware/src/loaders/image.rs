//! Linux arm64 `Image` (Documentation/arm64/booting.rst) and the placement of the kernel,
//! the DTB and the initramfs in RAM, as a boot loader does it.
//!
//! The 64-byte header, all fields little-endian:
//!
//! | off  | field       | meaning |
//! |------|-------------|---------|
//! | 0x00 | code0 (u32) | executable code (a branch, or "MZ" + branch for EFI stub kernels) |
//! | 0x04 | code1 (u32) | executable code |
//! | 0x08 | text_offset | load offset from a 2 MiB-aligned base |
//! | 0x10 | image_size  | effective size (BSS included); 0 = pre-3.17 kernel |
//! | 0x18 | flags       | bit 0 big-endian, bits 2:1 page size (0 ?, 1 4K, 2 16K, 3 64K), bit 3 placement anywhere |
//! | 0x20..0x38 | res2..res4 | reserved, 0 |
//! | 0x38 | magic (u32) | 0x644d5241 "ARM\x64" |
//! | 0x3c | res5 (u32)  | PE/COFF header offset |
//!
//! Compressed kernels are accepted when the compression is one a boot loader could
//! undo itself: a gzip stream (e.g. a distribution's `vmlinuz`; Debian bookworm's arm64 vmlinuz is in fact an uncompressed EFI-stub Image) or an EFI zboot image whose payload
//! is gzip. The decompressed size is capped ([`MAX_IMAGE`]) so a hostile file cannot
//! exhaust host memory.

use super::{Image, Segment};
use std::borrow::Cow;
use std::io::Read;

/// "ARM\x64", little-endian, at offset 0x38.
pub const MAGIC: u32 = 0x644d_5241;
pub const HEADER_SIZE: usize = 64;
/// booting.rst: text_offset assumed when image_size is 0 (kernels before 3.17).
pub const LEGACY_TEXT_OFFSET: u64 = 0x8_0000;
/// Largest decompressed or declared Image accepted (the Debian 6.1 Image is ~32 MiB).
pub const MAX_IMAGE: u64 = 512 << 20;
/// booting.rst: the DTB must not exceed 2 MiB.
pub const MAX_DTB: u64 = 2 << 20;
pub const SZ_2M: u64 = 2 << 20;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImageError {
    #[error("{0}: empty file")]
    Empty(String),
    #[error("{0}: not a Linux arm64 Image (no \"ARM\\x64\" magic at offset 0x38)")]
    NotImage(String),
    #[error("{path}: truncated: {why}")]
    Truncated { path: String, why: String },
    #[error("{0}: big-endian arm64 Image; lsemu boots little-endian kernels only")]
    BigEndian(String),
    #[error("{path}: {why}")]
    Decompress { path: String, why: String },
    #[error("{path}: {why}")]
    Unsupported { path: String, why: String },
    #[error("does not fit in RAM: {0}")]
    NoRoom(String),
}

/// Page size the kernel was built for (flags bits 2:1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageSize {
    Unspecified,
    K4,
    K16,
    K64,
}

/// The parsed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub text_offset: u64,
    /// Effective size from the load address (BSS included), as declared (0 = unknown).
    pub image_size: u64,
    pub flags: u64,
    pub page_size: PageSize,
    /// flags bit 3: the 2 MiB-aligned base may be anywhere in RAM (else: as close as
    /// possible to the start of DRAM).
    pub place_anywhere: bool,
    /// Whether code0 starts with "MZ" (EFI stub / PE/COFF image).
    pub efi_stub: bool,
}

fn le32(d: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([d[off], d[off + 1], d[off + 2], d[off + 3]])
}

fn le64(d: &[u8], off: usize) -> u64 {
    (le32(d, off) as u64) | (le32(d, off + 4) as u64) << 32
}

/// Whether `data` (already decompressed) carries the arm64 Image magic.
pub fn is_image(data: &[u8]) -> bool {
    data.len() >= HEADER_SIZE && le32(data, 0x38) == MAGIC
}

/// Whether `data` is a gzip stream (RFC 1952 ID1 ID2 = 1f 8b).
pub fn is_gzip(data: &[u8]) -> bool {
    data.len() >= 2 && data[0] == 0x1f && data[1] == 0x8b
}

/// Whether `data` is an EFI zboot image ("MZ", then "zimg" at offset 4).
pub fn is_zboot(data: &[u8]) -> bool {
    data.len() >= 8 && &data[0..2] == b"MZ" && &data[4..8] == b"zimg"
}

/// Parses and checks the 64-byte header of an uncompressed Image.
pub fn parse_header(data: &[u8], path: &str) -> Result<Header, ImageError> {
    if data.is_empty() {
        return Err(ImageError::Empty(path.into()));
    }
    if data.len() < HEADER_SIZE {
        if data.len() >= 0x3c && le32(data, 0x38) != MAGIC {
            return Err(ImageError::NotImage(path.into()));
        }
        return Err(ImageError::Truncated { path: path.into(), why: format!("{} bytes, the header is 64", data.len()) });
    }
    if le32(data, 0x38) != MAGIC {
        return Err(ImageError::NotImage(path.into()));
    }
    let flags = le64(data, 0x18);
    let image_size = le64(data, 0x10);
    // Pre-3.17 kernels (image_size 0) have text_offset of unknown endianness: booting.rst
    // says to assume 0x80000.
    let text_offset = if image_size == 0 { LEGACY_TEXT_OFFSET } else { le64(data, 0x08) };
    if flags & 1 != 0 {
        return Err(ImageError::BigEndian(path.into()));
    }
    let page_size = match (flags >> 1) & 3 {
        0 => PageSize::Unspecified,
        1 => PageSize::K4,
        2 => PageSize::K16,
        _ => PageSize::K64,
    };
    if text_offset >= SZ_2M || text_offset % 4096 != 0 {
        return Err(ImageError::Unsupported {
            path: path.into(),
            why: format!("text_offset {text_offset:#x} is not a page-aligned offset below 2 MiB"),
        });
    }
    if image_size > MAX_IMAGE {
        return Err(ImageError::Unsupported { path: path.into(), why: format!("image_size {image_size:#x} is implausibly large") });
    }
    if image_size != 0 && (data.len() as u64) > image_size {
        return Err(ImageError::Unsupported {
            path: path.into(),
            why: format!("file is {:#x} bytes but image_size is only {image_size:#x}", data.len()),
        });
    }
    Ok(Header {
        text_offset,
        image_size,
        flags,
        page_size,
        place_anywhere: flags & 8 != 0,
        efi_stub: data[0] == b'M' && data[1] == b'Z',
    })
}

fn gunzip(data: &[u8], path: &str) -> Result<Vec<u8>, ImageError> {
    let mut out = Vec::new();
    let dec = flate2::read::MultiGzDecoder::new(data);
    // Read one byte past the cap to detect an over-long stream.
    dec.take(MAX_IMAGE + 1).read_to_end(&mut out).map_err(|e| ImageError::Decompress {
        path: path.into(),
        why: format!("gzip: {e}"),
    })?;
    if out.len() as u64 > MAX_IMAGE {
        return Err(ImageError::Decompress { path: path.into(), why: format!("decompresses to more than {MAX_IMAGE} bytes") });
    }
    Ok(out)
}

/// Undoes the compression of a kernel file: gzip, or an EFI zboot image ("MZ", "zimg" at
/// 4, payload offset/size at 0x08/0x0c, compression name at 0x18) with a gzip payload.
/// Anything else is returned as is.
pub fn decompress<'a>(data: &'a [u8], path: &str) -> Result<Cow<'a, [u8]>, ImageError> {
    if is_gzip(data) {
        return gunzip(data, path).map(Cow::Owned);
    }
    if data.len() >= 0x20 && is_zboot(data) {
        let off = le32(data, 8) as usize;
        let size = le32(data, 12) as usize;
        let comp: Vec<u8> = data[0x18..0x20].iter().copied().take_while(|&b| b != 0).collect();
        let comp = String::from_utf8_lossy(&comp).into_owned();
        let payload = off
            .checked_add(size)
            .and_then(|end| data.get(off..end))
            .ok_or_else(|| ImageError::Truncated { path: path.into(), why: "EFI zboot payload extends past the end of the file".into() })?;
        return match comp.as_str() {
            "gzip" => gunzip(payload, path).map(Cow::Owned),
            _ => Err(ImageError::Unsupported {
                path: path.into(),
                why: format!("EFI zboot image compressed with {comp:?}; decompress it to a plain Image first"),
            }),
        };
    }
    Ok(Cow::Borrowed(data))
}

/// A kernel ready to place: the decompressed Image and its header.
#[derive(Debug, Clone)]
pub struct Kernel {
    pub header: Header,
    pub data: Vec<u8>,
}

impl Kernel {
    /// Decompresses if needed and parses the header.
    pub fn parse(file: &[u8], path: &str) -> Result<Kernel, ImageError> {
        if file.is_empty() {
            return Err(ImageError::Empty(path.into()));
        }
        let data = decompress(file, path)?.into_owned();
        let header = parse_header(&data, path)?;
        Ok(Kernel { header, data })
    }

    /// As [`Kernel::parse`], taking the file's bytes: an uncompressed Image keeps them
    /// instead of copying them (tens of MiB for a distribution kernel).
    pub fn parse_owned(file: Vec<u8>, path: &str) -> Result<Kernel, ImageError> {
        if file.is_empty() {
            return Err(ImageError::Empty(path.into()));
        }
        let decompressed = match decompress(&file, path)? {
            Cow::Owned(d) => Some(d),
            // The whole file is the Image: keep it.
            Cow::Borrowed(b) if b.as_ptr() == file.as_ptr() && b.len() == file.len() => None,
            Cow::Borrowed(b) => Some(b.to_vec()),
        };
        let data = decompressed.unwrap_or(file);
        let header = parse_header(&data, path)?;
        Ok(Kernel { header, data })
    }

    /// Bytes the kernel needs from its load address (image_size, or the file size for
    /// pre-3.17 kernels, which did not declare it).
    pub fn footprint(&self) -> u64 {
        if self.header.image_size == 0 {
            self.data.len() as u64
        } else {
            self.header.image_size
        }
    }
}

/// Where everything goes, in guest physical addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootLayout {
    /// The 2 MiB-aligned base; the kernel is loaded at `base + text_offset`.
    pub base: u64,
    /// Load address = entry point (the first instruction of the Image).
    pub kernel: u64,
    /// End of the kernel's footprint (load + image_size).
    pub kernel_end: u64,
    /// DTB start (8-byte aligned; in its own 2 MiB block) and its size limit.
    pub dtb: u64,
    pub dtb_max: u64,
    /// initramfs [start, end), if any.
    pub initrd: Option<(u64, u64)>,
}

fn align_up(x: u64, a: u64) -> Option<u64> {
    x.checked_add(a - 1).map(|v| v & !(a - 1))
}

/// Places the kernel in `bank` (base, size) — the first DRAM bank: base = the bank's
/// start rounded up to 2 MiB (booting.rst: "as close as possible to the base of DRAM",
/// which is also fine for place-anywhere kernels); then the DTB at the next 2 MiB
/// boundary after the kernel's footprint, in a 2 MiB block of its own (≤ 2 MiB, 8-byte
/// aligned); then the initramfs at the next 2 MiB boundary after the DTB block. Every
/// piece must fit in the bank; nothing overlaps. The initramfs is then inside the 1 GiB
/// aligned, ≤ 32 GiB window that covers the kernel as booting.rst requires, as long as
/// the bank is smaller than 32 GiB (the LS2088A's first bank is 2 GiB).
pub fn plan(bank: (u64, u64), kernel: &Kernel, dtb_len: u64, initrd_len: Option<u64>) -> Result<BootLayout, ImageError> {
    let (bank_base, bank_size) = bank;
    let bank_end = bank_base.checked_add(bank_size).ok_or_else(|| ImageError::NoRoom("RAM bank wraps around".into()))?;
    if dtb_len > MAX_DTB {
        return Err(ImageError::NoRoom(format!("DTB is {dtb_len:#x} bytes; booting.rst allows at most 2 MiB")));
    }
    let no_room = |what: &str| ImageError::NoRoom(format!("{what} past the end of RAM bank {bank_base:#x}+{bank_size:#x}"));
    let base = align_up(bank_base, SZ_2M).ok_or_else(|| no_room("kernel"))?;
    let kernel_addr = base + kernel.header.text_offset;
    let kernel_end = kernel_addr.checked_add(kernel.footprint()).filter(|&e| e <= bank_end).ok_or_else(|| no_room("kernel"))?;
    let dtb = align_up(kernel_end, SZ_2M).ok_or_else(|| no_room("DTB"))?;
    let dtb_block_end = dtb.checked_add(SZ_2M).ok_or_else(|| no_room("DTB"))?;
    if dtb.saturating_add(dtb_len) > bank_end {
        return Err(no_room("DTB"));
    }
    let initrd = match initrd_len {
        None | Some(0) => None,
        Some(len) => {
            let start = dtb_block_end;
            let end = start.checked_add(len).filter(|&e| e <= bank_end).ok_or_else(|| no_room("initramfs"))?;
            Some((start, end))
        }
    };
    Ok(BootLayout { base, kernel: kernel_addr, kernel_end, dtb, dtb_max: MAX_DTB.min(bank_end - dtb), initrd })
}

/// The kernel as an [`Image`] at `layout.kernel`: one segment, zero-filled up to
/// image_size (the BSS), entry = the load address.
pub fn kernel_image(kernel: &Kernel, layout: &BootLayout) -> Image {
    into_kernel_image(kernel.clone(), layout)
}

/// As [`kernel_image`], moving the kernel's bytes into the image instead of copying them
/// (tens of MiB for a distribution kernel).
pub fn into_kernel_image(kernel: Kernel, layout: &BootLayout) -> Image {
    let mem_size = kernel.footprint().max(kernel.data.len() as u64);
    Image { segments: vec![Segment { addr: layout.kernel, data: kernel.data, mem_size }], entry: layout.kernel }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A synthetic Image built field by field from booting.rst's header table.
    fn synth(text_offset: u64, image_size: u64, flags: u64, len: usize) -> Vec<u8> {
        let mut d = vec![0u8; len.max(64)];
        d[0..4].copy_from_slice(&0x1400_0010u32.to_le_bytes()); // b +0x40
        d[8..16].copy_from_slice(&text_offset.to_le_bytes());
        d[16..24].copy_from_slice(&image_size.to_le_bytes());
        d[24..32].copy_from_slice(&flags.to_le_bytes());
        d[0x38..0x3c].copy_from_slice(b"ARM\x64");
        d
    }

    #[test]
    fn header_fields() {
        // flags 0xa = LE, 4K pages (bits 2:1 = 01), placement anywhere (bit 3).
        let d = synth(0, 0x20_0000, 0xa, 4096);
        let h = parse_header(&d, "t").unwrap();
        assert_eq!(h.text_offset, 0);
        assert_eq!(h.image_size, 0x20_0000);
        assert_eq!(h.page_size, PageSize::K4);
        assert!(h.place_anywhere);
        assert!(!h.efi_stub);
        let h = parse_header(&synth(0x8_0000, 0x40_0000, 0b110, 64), "t").unwrap();
        assert_eq!((h.text_offset, h.page_size, h.place_anywhere), (0x8_0000, PageSize::K64, false));
        assert_eq!(parse_header(&synth(0, 0x1000, 0b100, 64), "t").unwrap().page_size, PageSize::K16);
        // image_size 0: pre-3.17 kernel, text_offset is taken as 0x80000 whatever it says.
        assert_eq!(parse_header(&synth(0x1234, 0, 0, 64), "t").unwrap().text_offset, 0x8_0000);
    }

    #[test]
    fn header_errors() {
        assert_eq!(parse_header(&[], "k"), Err(ImageError::Empty("k".into())));
        let mut d = synth(0, 0x1000, 0, 64);
        assert!(matches!(parse_header(&d[..40], "k"), Err(ImageError::Truncated { .. })));
        d[0x38] = b'B';
        assert_eq!(parse_header(&d, "k"), Err(ImageError::NotImage("k".into())));
        assert_eq!(parse_header(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", "k"), Err(ImageError::NotImage("k".into())));
        assert_eq!(parse_header(&synth(0, 0x1000, 1, 64), "k"), Err(ImageError::BigEndian("k".into())));
        assert!(matches!(parse_header(&synth(0x1001, 0x1000, 0, 64), "k"), Err(ImageError::Unsupported { .. })));
        // File longer than image_size: inconsistent.
        assert!(matches!(parse_header(&synth(0, 0x100, 0, 4096), "k"), Err(ImageError::Unsupported { .. })));
        let e = Kernel::parse(b"hello world", "x").unwrap_err();
        assert!(matches!(e, ImageError::Truncated { .. }));
    }

    #[test]
    fn gzip_image_and_errors() {
        let raw = synth(0, 0x10_0000, 0xa, 8192);
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&raw).unwrap();
        let gz = enc.finish().unwrap();
        let k = Kernel::parse(&gz, "vmlinuz").unwrap();
        assert_eq!(k.data, raw);
        assert_eq!(k.header.image_size, 0x10_0000);
        // Truncated gzip stream.
        let e = Kernel::parse(&gz[..gz.len() / 2], "vmlinuz").unwrap_err();
        assert!(matches!(e, ImageError::Decompress { .. }), "{e}");
        // EFI zboot with gzip payload.
        let mut z = vec![0u8; 0x40];
        z[0..2].copy_from_slice(b"MZ");
        z[4..8].copy_from_slice(b"zimg");
        z[8..12].copy_from_slice(&0x40u32.to_le_bytes());
        z[12..16].copy_from_slice(&(gz.len() as u32).to_le_bytes());
        z[0x18..0x1c].copy_from_slice(b"gzip");
        z.extend_from_slice(&gz);
        assert_eq!(Kernel::parse(&z, "z").unwrap().data, raw);
        z[0x18..0x1c].copy_from_slice(b"zstd");
        assert!(matches!(Kernel::parse(&z, "z"), Err(ImageError::Unsupported { .. })));
        z[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(Kernel::parse(&z, "z"), Err(ImageError::Truncated { .. })));
    }

    /// `parse_owned`: a plain Image keeps the very buffer it was given (no copy); a gzip'd
    /// one gives the decompressed bytes; errors as `parse` (expected values from `synth`).
    #[test]
    fn parse_owned_keeps_plain_images() {
        let raw = synth(0, 0x10_0000, 0xa, 8192);
        let ptr = raw.as_ptr();
        let k = Kernel::parse_owned(raw.clone(), "Image").unwrap();
        assert_eq!((k.data.as_slice(), k.header.image_size), (raw.as_slice(), 0x10_0000));
        let k = Kernel::parse_owned(raw, "Image").unwrap();
        assert_eq!(k.data.as_ptr(), ptr, "the file's own buffer");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&synth(0, 0x10_0000, 0xa, 8192)).unwrap();
        let k = Kernel::parse_owned(enc.finish().unwrap(), "vmlinuz").unwrap();
        assert_eq!(k.data, synth(0, 0x10_0000, 0xa, 8192));
        assert!(matches!(Kernel::parse_owned(Vec::new(), "e"), Err(ImageError::Empty(_))));
        assert!(matches!(Kernel::parse_owned(b"hello world".to_vec(), "x"), Err(ImageError::Truncated { .. })));
    }

    #[test]
    fn placement() {
        let k = Kernel { header: parse_header(&synth(0, 0x240_0000, 0xa, 64), "k").unwrap(), data: synth(0, 0x240_0000, 0xa, 4096) };
        let bank = (0x8000_0000, 0x8000_0000);
        let l = plan(bank, &k, 0x1_0000, Some(0x30_0001)).unwrap();
        assert_eq!(l.base, 0x8000_0000);
        assert_eq!(l.kernel, 0x8000_0000);
        assert_eq!(l.kernel_end, 0x8240_0000);
        assert_eq!(l.dtb, 0x8240_0000); // kernel end is 2 MiB aligned already
        assert_eq!(l.initrd, Some((0x8260_0000, 0x8290_0001)));
        let img = kernel_image(&k, &l);
        assert_eq!(img.entry, 0x8000_0000);
        assert_eq!(img.segments[0].mem_size, 0x240_0000);
        // text_offset 0x80000 from an unaligned bank start: base rounds up to 2 MiB.
        let k2 = Kernel { header: parse_header(&synth(0x8_0000, 0x10_0000, 0, 64), "k").unwrap(), data: synth(0x8_0000, 0x10_0000, 0, 64) };
        let l = plan((0x8010_0000, 0x1000_0000), &k2, 100, None).unwrap();
        assert_eq!((l.base, l.kernel, l.kernel_end, l.dtb, l.initrd), (0x8020_0000, 0x8028_0000, 0x8038_0000, 0x8040_0000, None));
        assert_eq!(l.dtb % 8, 0);
        // Exactly fits; then one byte too many. DTB too big, kernel or initrd past the bank.
        assert_eq!(plan((0x8000_0000, 0x280_0000), &k, 10, Some(0x20_0000)).unwrap().initrd, Some((0x8260_0000, 0x8280_0000)));
        assert!(matches!(plan(bank, &k, (2 << 20) + 1, None), Err(ImageError::NoRoom(_))));
        assert!(matches!(plan((0x8000_0000, 0x100_0000), &k, 10, None), Err(ImageError::NoRoom(_))));
        assert!(matches!(plan((0x8000_0000, 0x280_0000), &k, 10, Some(0x20_0001)), Err(ImageError::NoRoom(_))));
        assert!(matches!(plan((u64::MAX - 0x1000, 0x1000), &k, 10, None), Err(ImageError::NoRoom(_))));
    }

    /// Debian's real kernel, when test-suites/fetch-corpus.sh has fetched it.
    #[test]
    fn debian_image_header() {
        let Some(home) = std::env::var_os("LSEMU_CORPUS").map(std::path::PathBuf::from).or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cache/lsemu/corpus"))
        }) else {
            return;
        };
        let path = home.join("Image");
        let Ok(data) = std::fs::read(&path) else {
            eprintln!("skipped: {} not present (run test-suites/fetch-corpus.sh)", path.display());
            return;
        };
        let h = parse_header(&data, "Image").unwrap();
        // Oracle: `od -t x8 -N 64 Image` on the 6.1.0 corpus kernel shows text_offset 0,
        // image_size 0x2010000, flags 0xa, magic 0x644d5241, "MZ" at 0. Linux ≥ 5.8 always has text_offset 0; Debian's 6.1 is an EFI-stub kernel
        // ("MZ"), 4K pages, little-endian, placement anywhere (flags 0xa).
        assert_eq!(h.text_offset, 0);
        assert!(h.efi_stub);
        assert_eq!(h.flags, 0xa);
        assert!(h.image_size >= data.len() as u64 && h.image_size < 256 << 20, "image_size {:#x}", h.image_size);
        assert_eq!(h.image_size % 4096, 0);
    }
}
