//! Booting Linux directly (no U-Boot): what the boot firmware does between reset and the
//! kernel's first instruction, per Documentation/arm64/booting.rst —
//! decompress and place the Image, fix up and place the DTB, place the initramfs, and
//! enter the kernel on the boot PE at EL2 with X0 = DTB address, X1..X3 = 0, MMU and
//! caches off, DAIF masked. Secondary PEs stay off until PSCI CPU_ON.

use crate::dtb::{fixup, DtbError, FixupConfig, FixupReport};
use crate::loaders::image::{into_kernel_image, is_gzip, is_image, is_zboot, parse_header, plan, BootLayout, ImageError, Kernel, HEADER_SIZE, MAX_DTB};
use crate::loaders::{FileSegment, Image, Segment};
use crate::psci::enter_ns;
use cpu_aarch64::Cpu;

#[derive(Debug, Clone, Default)]
pub struct LinuxBootConfig {
    /// RAM banks (base, size); the first holds kernel, DTB and initramfs.
    pub ram: Vec<(u64, u64)>,
    pub bootargs: String,
    /// Nodes to disable (see [`FixupConfig::unmodelled`]).
    pub unmodelled: Vec<String>,
    /// Patch the fsl-mc iommu-map (see [`FixupConfig::mc_iommu_map`]).
    pub mc_iommu_map: bool,
    /// EL the kernel is entered at: 2 (EL2 implemented) or 1.
    pub entry_el: u8,
    /// MPIDRs of the machine's PEs (see [`FixupConfig::cpu_mpidrs`]).
    pub cpu_mpidrs: Option<Vec<u64>>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BootError {
    #[error(transparent)]
    Image(#[from] ImageError),
    #[error(transparent)]
    Dtb(#[from] DtbError),
    #[error("no RAM configured")]
    NoRam,
    /// A file could not be read (one line naming it).
    #[error("{0}")]
    File(String),
}

/// Everything to copy into RAM and how to start.
#[derive(Debug, Clone)]
pub struct LinuxBoot {
    pub layout: BootLayout,
    pub kernel: Image,
    pub dtb: Segment,
    pub initrd: Option<Segment>,
    pub report: FixupReport,
    pub entry_el: u8,
    /// The kernel Image's bytes, when [`prepare_file`] leaves them in their file to be read
    /// straight into RAM at load time: then `kernel`'s segment holds only the zeroed rest
    /// of the kernel's footprint (the BSS, after the file's bytes) and the loader must also
    /// place this (`Machine::load_linux` does).
    pub kernel_file: Option<FileSegment>,
}

impl LinuxBoot {
    /// The pieces of [`LinuxBoot::image`] in the same order, without copying them (and
    /// without [`LinuxBoot::kernel_file`], which the loader reads itself).
    pub fn segments(&self) -> impl Iterator<Item = &Segment> {
        self.kernel.segments.iter().chain(std::iter::once(&self.dtb)).chain(self.initrd.iter())
    }

    /// All pieces as one [`Image`] (kernel, DTB, initramfs), entry = the kernel
    /// (without the bytes of [`LinuxBoot::kernel_file`], if any).
    pub fn image(&self) -> Image {
        let mut segments = self.kernel.segments.clone();
        segments.push(self.dtb.clone());
        segments.extend(self.initrd.clone());
        Image { segments, entry: self.kernel.entry }
    }

    /// Puts the boot PE in the kernel's entry state.
    pub fn start_boot_cpu(&self, cpu: &mut Cpu) {
        enter_ns(cpu, self.kernel.entry, [self.dtb.addr, 0, 0, 0], self.entry_el);
    }
}

/// Prepares a direct Linux boot from the kernel file (Image, gzip'd Image or EFI zboot
/// with gzip), the stock DTB, and an optional initramfs.
pub fn prepare(kernel_file: &[u8], kernel_path: &str, dtb: &[u8], initrd: Option<Vec<u8>>, cfg: &LinuxBootConfig) -> Result<LinuxBoot, BootError> {
    cfg.ram.first().ok_or(BootError::NoRam)?;
    prepare_kernel(Kernel::parse(kernel_file, kernel_path)?, dtb, initrd, cfg)
}

/// As [`prepare`], taking the kernel file's bytes (an uncompressed Image is then not
/// copied: see [`Kernel::parse_owned`]).
pub fn prepare_owned(kernel_file: Vec<u8>, kernel_path: &str, dtb: &[u8], initrd: Option<Vec<u8>>, cfg: &LinuxBootConfig) -> Result<LinuxBoot, BootError> {
    cfg.ram.first().ok_or(BootError::NoRam)?;
    prepare_kernel(Kernel::parse_owned(kernel_file, kernel_path)?, dtb, initrd, cfg)
}

/// As [`prepare`], from the kernel's path: an uncompressed Image with a declared
/// image_size (every kernel since 3.17) is not read here, only its 64-byte header and its
/// length; [`LinuxBoot::kernel_file`] then tells the loader to read it straight into RAM.
/// Other kernels (gzip, EFI zboot, pre-3.17 Images, anything not an Image) are read
/// whole and go through [`prepare_owned`], with its errors.
pub fn prepare_file(kernel_path: &std::path::Path, dtb: &[u8], initrd: Option<Vec<u8>>, cfg: &LinuxBootConfig) -> Result<LinuxBoot, BootError> {
    use std::io::Read;
    cfg.ram.first().ok_or(BootError::NoRam)?;
    let name = kernel_path.display().to_string();
    let cannot = |e: std::io::Error| BootError::File(format!("cannot read {name}: {e}"));
    let mut f = std::fs::File::open(kernel_path).map_err(cannot)?;
    let meta = f.metadata().map_err(cannot)?;
    let len = meta.len();
    let mut head = Vec::with_capacity(HEADER_SIZE);
    (&mut f).take(HEADER_SIZE as u64).read_to_end(&mut head).map_err(cannot)?;
    // (Only a regular file can be read again at load time: a pipe, e.g. `<(zcat ..)`,
    // is read whole here.)
    let plain = meta.is_file() && is_image(&head) && !is_gzip(&head) && !is_zboot(&head);
    let header = if plain { Some(parse_header(&head, &name)?) } else { None };
    let Some(header) = header.filter(|h| h.image_size != 0) else {
        // Not a plain Image with a declared size: read it all, as `prepare_owned` wants.
        let mut data = head;
        f.read_to_end(&mut data).map_err(cannot)?;
        return prepare_owned(data, &name, dtb, initrd, cfg);
    };
    if len > header.image_size {
        // As `parse_header` says it for a whole file.
        return Err(ImageError::Unsupported { path: name, why: format!("file is {len:#x} bytes but image_size is only {:#x}", header.image_size) }.into());
    }
    let mut boot = prepare_kernel(Kernel { header, data: Vec::new() }, dtb, initrd, cfg)?;
    // The kernel segment keeps only the zeroed rest of the footprint, after the file.
    let k = boot.layout.kernel;
    for s in &mut boot.kernel.segments {
        s.addr = k + len;
        s.mem_size = header.image_size - len;
    }
    boot.kernel_file = Some(FileSegment { addr: k, path: kernel_path.to_path_buf(), len });
    Ok(boot)
}

fn prepare_kernel(kernel: Kernel, dtb: &[u8], initrd: Option<Vec<u8>>, cfg: &LinuxBootConfig) -> Result<LinuxBoot, BootError> {
    let bank = *cfg.ram.first().ok_or(BootError::NoRam)?;
    let initrd_len = initrd.as_ref().map(|d| d.len() as u64);
    // The DTB gets a 2 MiB block of its own, so the addresses do not depend on its size:
    // plan first, fix up with the initramfs addresses, then check the real size.
    let layout = plan(bank, &kernel, 0, initrd_len)?;
    let fcfg = FixupConfig {
        bootargs: Some(cfg.bootargs.clone()),
        initrd: layout.initrd,
        ram: cfg.ram.clone(),
        unmodelled: cfg.unmodelled.clone(),
        mc_iommu_map: cfg.mc_iommu_map,
        cpu_mpidrs: cfg.cpu_mpidrs.clone(),
    };
    let (blob, report) = fixup(dtb, &fcfg)?;
    let layout = plan(bank, &kernel, blob.len() as u64, initrd_len)?;
    debug_assert!(blob.len() as u64 <= MAX_DTB);
    let kernel_img = into_kernel_image(kernel, &layout);
    let dtb_len = blob.len() as u64;
    let dtb_seg = Segment { addr: layout.dtb, data: blob, mem_size: dtb_len };
    let initrd = match (initrd, layout.initrd) {
        (Some(d), Some((start, _))) if !d.is_empty() => {
            let len = d.len() as u64;
            Some(Segment { addr: start, data: d, mem_size: len })
        }
        _ => None,
    };
    Ok(LinuxBoot { layout, kernel: kernel_img, dtb: dtb_seg, initrd, report, entry_el: if cfg.entry_el == 1 { 1 } else { 2 }, kernel_file: None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtb::ls2088a_banks;
    use cpu_aarch64::CpuConfig;

    fn corpus(name: &str) -> Option<Vec<u8>> {
        let dir = std::env::var_os("LSEMU_CORPUS")
            .map(std::path::PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cache/lsemu/corpus")))?;
        std::fs::read(dir.join(name)).ok()
    }

    fn no_overlap(img: &Image) {
        let mut r: Vec<(u64, u64)> = img.segments.iter().map(|s| (s.addr, s.addr + s.mem_size)).collect();
        r.sort();
        for w in r.windows(2) {
            assert!(w[0].1 <= w[1].0, "{w:?} overlap");
        }
    }

    /// Debian's Image + the kernel's RDB DTB + a 5 MiB initramfs, when fetched.
    #[test]
    fn real_kernel_and_dtb() {
        let (Some(k), Some(d)) = (corpus("Image"), corpus("fsl-ls2088a-rdb.dtb")) else {
            eprintln!("skipped: corpus Image / fsl-ls2088a-rdb.dtb not present");
            return;
        };
        let cfg = LinuxBootConfig {
            ram: ls2088a_banks(4 << 30),
            bootargs: "console=ttyS1,115200 earlycon=uart8250,mmio,0x21c0600".into(),
            unmodelled: vec!["arm,sp805".into()],
            mc_iommu_map: true,
            entry_el: 2,
            cpu_mpidrs: Some(vec![0, 1, 0x100, 0x101]),
        };
        let b = prepare(&k, "Image", &d, Some(vec![0x5a; 5 << 20]), &cfg).unwrap();
        // From the Image header (text_offset 0, image_size 0x2010000 for 6.1.0-56):
        // base = DRAM start, DTB at the next 2 MiB boundary after the footprint.
        assert_eq!(b.kernel.entry, 0x8000_0000);
        let image_size = u64::from_le_bytes(k[0x10..0x18].try_into().unwrap());
        assert_eq!(b.layout.kernel_end, 0x8000_0000 + image_size);
        assert_eq!(b.layout.dtb, (0x8000_0000 + image_size).next_multiple_of(2 << 20));
        let img = b.image();
        no_overlap(&img);
        let f = fdt::Fdt::new(&b.dtb.data).unwrap();
        assert_eq!(f.cpus().map(|c| c.ids().first()).collect::<Vec<_>>(), vec![0, 1, 0x100, 0x101]);
        assert_eq!(b.report.removed_cpus, vec!["/cpus/cpu@200", "/cpus/cpu@201", "/cpus/cpu@300", "/cpus/cpu@301"]);
        let chosen = f.find_node("/chosen").unwrap();
        let (s, e) = b.layout.initrd.unwrap();
        assert_eq!(chosen.property("linux,initrd-start").unwrap().as_usize(), Some(s as usize));
        assert_eq!(chosen.property("linux,initrd-end").unwrap().as_usize(), Some(e as usize));
        assert_eq!(e - s, 5 << 20);
        let mut cpu = Cpu::new(CpuConfig::default());
        b.start_boot_cpu(&mut cpu);
        assert_eq!((cpu.st.pc, cpu.st.x[0], cpu.st.x[1], cpu.st.pstate.el), (0x8000_0000, b.layout.dtb, 0, 2));
    }

    #[test]
    fn errors() {
        let cfg = LinuxBootConfig::default();
        assert_eq!(prepare(b"", "k", b"", None, &cfg).unwrap_err(), BootError::NoRam);
        let cfg = LinuxBootConfig { ram: vec![(0x8000_0000, 1 << 30)], ..Default::default() };
        assert!(matches!(prepare(b"not a kernel at all", "k", b"", None, &cfg), Err(BootError::Image(_))));
        let mut k = vec![0u8; 4096];
        k[0x10..0x18].copy_from_slice(&0x10_0000u64.to_le_bytes());
        k[0x38..0x3c].copy_from_slice(b"ARM\x64");
        assert!(matches!(prepare(&k, "k", b"junk", None, &cfg), Err(BootError::Dtb(_))));
    }
}
