//! Booting the Xen hypervisor with a dom0 kernel and initramfs, as a Xen-aware boot loader
//! does it on arm64 (facts from Xen's docs/misc/arm/device-tree/booting.txt and
//! docs/misc/arm/booting.txt):
//!
//! - Xen's arm64 binary carries the Linux arm64 Image header, and Xen is entered like a
//!   Linux Image: at EL2, MMU and D-cache off, X0 = DTB address, X1..X3 = 0.
//! - The dom0 kernel and ramdisk are "boot modules": one node each under `/chosen`,
//!   `module@<addr>` with `compatible = "multiboot,kernel", "multiboot,module"` (resp.
//!   `"multiboot,ramdisk", "multiboot,module"`) and `reg = <addr size>` in `/chosen`'s
//!   `#address-cells`/`#size-cells` (written here: 2 and 2).
//! - Command lines: `xen,xen-bootargs` for Xen and `xen,dom0-bootargs` for dom0 in
//!   `/chosen`; the kernel module also carries dom0's line as its `bootargs`, and
//!   `/chosen/bootargs` is Xen's (booting.txt: with a kernel module that has bootargs, the
//!   top-level bootargs is Xen's). `linux,initrd-*` are removed: Xen would treat them as a
//!   second ramdisk.
//!
//! The fix-ups of the Linux path ([`crate::dtb`]) are applied too: memory, PSCI
//! enable-method, cpus the machine lacks, unmodelled devices disabled. Two more, for
//! Xen, both through `xen,passthrough` (Xen's documented "not dom0's device" property,
//! docs/misc/arm/passthrough.txt) and both reported: the other port of Xen's console
//! DUART ([`mark_console_irq_sharers`]) and devices Xen 4.17 cannot hand to dom0
//! ([`NOT_FOR_DOM0`]: the fsl-mc bus).
//!
//! Layout in the first RAM bank (every piece 2 MiB aligned, nothing overlapping):
//!
//! | what | where |
//! |------|-------|
//! | Xen  | bank base (rounded up to 2 MiB) + text_offset, image_size bytes |
//! | DTB  | next 2 MiB boundary after Xen, a 2 MiB block of its own |
//! | dom0 kernel module | next 2 MiB boundary after the DTB block (the decompressed Image) |
//! | dom0 ramdisk module | next 2 MiB boundary after the kernel module |
//!
//! Xen relocates itself to the top of RAM and gives dom0 memory from its heap, so the low
//! placement of the modules does not constrain dom0.

use crate::dtb::{fixup_tree, FixupConfig};
use crate::fdtree::{cells, str_value, Fdt, Node};
use crate::linux::{BootError, LinuxBoot};
use crate::loaders::image::{kernel_image, plan, ImageError, Kernel, SZ_2M};
use crate::loaders::{Image, Segment};

#[derive(Debug, Clone, Default)]
pub struct XenBootConfig {
    /// RAM banks (base, size); the first holds Xen, the DTB and the modules.
    pub ram: Vec<(u64, u64)>,
    /// Xen's command line (`xen,xen-bootargs`).
    pub xen_args: String,
    /// dom0's command line (`xen,dom0-bootargs` and the kernel module's `bootargs`).
    pub dom0_args: String,
    /// Nodes to disable (see [`FixupConfig::unmodelled`]).
    pub unmodelled: Vec<String>,
    /// Patch the fsl-mc iommu-map (see [`FixupConfig::mc_iommu_map`]).
    pub mc_iommu_map: bool,
    /// MPIDRs of the machine's PEs (see [`FixupConfig::cpu_mpidrs`]).
    pub cpu_mpidrs: Option<Vec<u64>>,
}

/// Where the modules went (guest physical [start, end)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XenModules {
    pub kernel: (u64, u64),
    pub ramdisk: Option<(u64, u64)>,
}

/// A prepared Xen boot. `boot` is entered like a Linux boot (its `kernel` image holds Xen
/// and the dom0 kernel module, its `initrd` the dom0 ramdisk module, the entry is Xen's).
#[derive(Debug, Clone)]
pub struct XenBoot {
    pub boot: LinuxBoot,
    pub modules: XenModules,
    /// Nodes marked `xen,passthrough` because they share the interrupt of Xen's console
    /// UART (see [`mark_console_irq_sharers`]).
    pub irq_sharers: Vec<String>,
    /// Nodes marked `xen,passthrough` because Xen 4.17 cannot give them to dom0 (see
    /// [`mark_not_for_dom0`]).
    pub not_for_dom0: Vec<String>,
}

fn align_2m(x: u64) -> Option<u64> {
    x.checked_add(SZ_2M - 1).map(|v| v & !(SZ_2M - 1))
}

/// The `/chosen/module@<addr>` node for a module at [start, end).
fn module_node(start: u64, end: u64, kind: &str, bootargs: Option<&str>) -> Node {
    let mut n = Node::new(&format!("module@{start:x}"));
    let mut compat = str_value(kind);
    compat.extend(str_value("multiboot,module"));
    n.set_prop("compatible", compat);
    let len = end - start;
    n.set_prop("reg", cells(&[(start >> 32) as u32, start as u32, (len >> 32) as u32, len as u32]));
    if let Some(a) = bootargs {
        n.set_prop("bootargs", str_value(a));
    }
    n
}

/// The path of the UART Xen takes as its console: `dtuart=<alias or path>` from Xen's
/// command line, else `/chosen/stdout-path` (Xen's own rule), without `:options`.
fn xen_console_path(t: &Fdt, xen_args: &str) -> Option<String> {
    let spec = xen_args
        .split_whitespace()
        .find_map(|w| w.strip_prefix("dtuart="))
        .map(str::to_string)
        .or_else(|| t.node("/chosen").and_then(|c| c.prop_str("stdout-path")).map(str::to_string))?;
    let name = spec.split(':').next().unwrap_or("");
    if name.starts_with('/') {
        return Some(name.to_string());
    }
    t.node("/aliases").and_then(|a| a.prop_str(name)).map(str::to_string)
}

/// Explicit fix-up for Xen boots: Xen keeps its console UART's interrupt for itself and
/// refuses to route it to dom0, and Xen 4.17 routes the interrupts of every node it gives
/// dom0, disabled or not, so a sibling device sharing that interrupt makes dom0's
/// construction fail ("IRQ 64 is already used by Xen", "Device tree generation failed
/// (-16)", a panic). On the LS2088A the two ports of each DUART share one SPI (the RDB
/// dtb: serial@21c0500 and serial@21c0600 both `interrupts = <0 32 4>`). The other port
/// gets `xen,passthrough`, the property Xen documents for "not dom0's device"
/// (docs/misc/arm/passthrough.txt, set by the boot loader, e.g. U-Boot `fdt set`): Xen
/// then neither maps it nor routes its interrupt to dom0, and shows it to dom0 disabled.
/// Returns the paths marked.
fn mark_console_irq_sharers(t: &mut Fdt, xen_args: &str) -> Vec<String> {
    let Some(console) = xen_console_path(t, xen_args) else { return Vec::new() };
    let Some((parent, _)) = console.rsplit_once('/') else { return Vec::new() };
    let parent = if parent.is_empty() { "/" } else { parent };
    let Some(irq) = t.node(&console).and_then(|n| n.prop("interrupts")).map(<[u8]>::to_vec) else { return Vec::new() };
    let mut marked = Vec::new();
    if let Some(p) = t.node_mut(parent) {
        for c in p.children.iter_mut() {
            let path = format!("{}/{}", parent.trim_end_matches('/'), c.name);
            if path != console && c.prop("interrupts") == Some(&irq[..]) && c.prop("xen,passthrough").is_none() {
                c.set_prop("xen,passthrough", Vec::new());
                marked.push(path);
            }
        }
    }
    marked
}

/// Compatibles of devices Xen 4.17 cannot give dom0, with the reason.
pub const NOT_FOR_DOM0: &[(&str, &str)] = &[(
    // Xen maps a device node's `reg` regions into dom0 but the `ranges` windows of PCI
    // nodes only (domain_build.c map_device_children). The fsl-mc bus finds its DPRC
    // objects at run time, with portals in its `ranges` window (0x8_0c00_0000): dom0's
    // first access to a child DPRC portal takes a stage-2 abort (Oops in mc_send_command
    // from dprc_open, then a hang: the kworker dies holding the MC portal lock).
    "fsl,qoriq-mc",
    "Xen 4.17 maps its reg but not its ranges (the DPRC portals) into dom0",
)];

/// Explicit fix-up for Xen boots: every enabled node listed in [`NOT_FOR_DOM0`] gets
/// `xen,passthrough`, so Xen neither maps it nor routes its interrupts to dom0, and dom0
/// sees it disabled. Returns the paths marked.
fn mark_not_for_dom0(t: &mut Fdt) -> Vec<String> {
    let mut marked = Vec::new();
    t.root.walk_mut("/", &mut |path, n| {
        let on = matches!(n.prop_str("status"), None | Some("okay") | Some("ok"));
        if on && NOT_FOR_DOM0.iter().any(|(c, _)| n.is_compatible(c)) && n.prop("xen,passthrough").is_none() {
            n.set_prop("xen,passthrough", Vec::new());
            marked.push(path.to_string());
        }
    });
    marked
}

/// Prepares a Xen boot: Xen's binary (its arm64 Image), the dom0 kernel (Image, gzip'd
/// Image or EFI zboot with gzip: it is decompressed here, so Xen gets a plain Image), the
/// board DTB and an optional dom0 initramfs.
pub fn prepare(
    xen_file: &[u8],
    xen_path: &str,
    kernel_file: &[u8],
    kernel_path: &str,
    dtb: &[u8],
    initrd: Option<Vec<u8>>,
    cfg: &XenBootConfig,
) -> Result<XenBoot, BootError> {
    let bank = *cfg.ram.first().ok_or(BootError::NoRam)?;
    let bank_end = bank.0.saturating_add(bank.1);
    let xen = Kernel::parse(xen_file, xen_path)?;
    let dom0 = Kernel::parse(kernel_file, kernel_path)?;
    let initrd = initrd.filter(|d| !d.is_empty());
    // Xen and the DTB block as for a Linux Image (the DTB length is checked below).
    let layout = plan(bank, &xen, 0, None)?;
    let no_room = |what: &str| ImageError::NoRoom(format!("{what} past the end of RAM bank {:#x}+{:#x}", bank.0, bank.1));
    let kstart = layout.dtb.checked_add(SZ_2M).and_then(align_2m).ok_or_else(|| no_room("dom0 kernel"))?;
    let kend = kstart.checked_add(dom0.data.len() as u64).filter(|&e| e <= bank_end).ok_or_else(|| no_room("dom0 kernel"))?;
    let ramdisk = match &initrd {
        None => None,
        Some(d) => {
            let s = align_2m(kend).ok_or_else(|| no_room("dom0 initramfs"))?;
            let e = s.checked_add(d.len() as u64).filter(|&e| e <= bank_end).ok_or_else(|| no_room("dom0 initramfs"))?;
            Some((s, e))
        }
    };

    let mut t = Fdt::parse(dtb).map_err(crate::dtb::DtbError::from)?;
    let fcfg = FixupConfig {
        bootargs: Some(cfg.xen_args.clone()),
        initrd: None,
        ram: cfg.ram.clone(),
        unmodelled: cfg.unmodelled.clone(),
        mc_iommu_map: cfg.mc_iommu_map,
        cpu_mpidrs: cfg.cpu_mpidrs.clone(),
    };
    let report = fixup_tree(&mut t, &fcfg)?;
    {
        let chosen = t.root.child_or_insert("chosen");
        // Modules from an earlier boot loader would confuse Xen: this boot defines them.
        chosen.children.retain(|c| !(c.is_compatible("multiboot,module") || c.is_compatible("xen,multiboot-module")));
        chosen.set_prop("#address-cells", cells(&[2]));
        chosen.set_prop("#size-cells", cells(&[2]));
        chosen.set_prop("xen,xen-bootargs", str_value(&cfg.xen_args));
        chosen.set_prop("xen,dom0-bootargs", str_value(&cfg.dom0_args));
        chosen.children.push(module_node(kstart, kend, "multiboot,kernel", Some(&cfg.dom0_args)));
        if let Some((s, e)) = ramdisk {
            chosen.children.push(module_node(s, e, "multiboot,ramdisk", None));
        }
    }
    let irq_sharers = mark_console_irq_sharers(&mut t, &cfg.xen_args);
    let not_for_dom0 = mark_not_for_dom0(&mut t);
    let blob = t.to_bytes();
    if blob.len() as u64 > layout.dtb_max {
        return Err(ImageError::NoRoom(format!("DTB is {:#x} bytes; at most {:#x} fit its block", blob.len(), layout.dtb_max)).into());
    }
    let mut xen_img = kernel_image(&xen, &layout);
    let klen = dom0.data.len() as u64;
    xen_img.segments.push(Segment { addr: kstart, data: dom0.data, mem_size: klen });
    let dtb_len = blob.len() as u64;
    let dtb_seg = Segment { addr: layout.dtb, data: blob, mem_size: dtb_len };
    let initrd_seg = match (initrd, ramdisk) {
        (Some(d), Some((s, e))) => Some(Segment { addr: s, data: d, mem_size: e - s }),
        _ => None,
    };
    let boot = LinuxBoot {
        layout,
        kernel: Image { segments: xen_img.segments, entry: xen_img.entry },
        dtb: dtb_seg,
        initrd: initrd_seg,
        report,
        // Xen runs at EL2 (booting.txt: "Xen must be entered in NS EL2 mode").
        entry_el: 2,
        kernel_file: None,
    };
    Ok(XenBoot { boot, modules: XenModules { kernel: (kstart, kend), ramdisk }, irq_sharers, not_for_dom0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal Image built from the header table of booting.rst: branch, text_offset,
    /// image_size, flags (LE, 4K, anywhere), magic.
    fn synth(image_size: u64, len: usize) -> Vec<u8> {
        let mut d = vec![0u8; len.max(64)];
        d[0..4].copy_from_slice(&0x1400_0010u32.to_le_bytes());
        d[16..24].copy_from_slice(&image_size.to_le_bytes());
        d[24..32].copy_from_slice(&0xau64.to_le_bytes());
        d[0x38..0x3c].copy_from_slice(b"ARM\x64");
        d
    }

    const DTS: &str = r#"/dts-v1/;
/ {
    #address-cells = <2>; #size-cells = <2>;
    cpus { #address-cells = <1>; #size-cells = <0>;
        cpu@0 { device_type = "cpu"; reg = <0>; };
        cpu@1 { device_type = "cpu"; reg = <1>; };
    };
    aliases { serial0 = "/soc/serial@21c0500"; serial1 = "/soc/serial@21c0600"; };
    memory@80000000 { device_type = "memory"; reg = <0 0x80000000 0 0x80000000>; };
    soc { #address-cells = <2>; #size-cells = <2>;
        serial@21c0500 { compatible = "ns16550a"; interrupts = <0 32 4>; };
        serial@21c0600 { compatible = "ns16550a"; interrupts = <0 32 4>; };
        serial@21d0500 { compatible = "ns16550a"; interrupts = <0 33 4>; };
        fsl-mc@80c000000 { compatible = "fsl,qoriq-mc"; };
        fsl-mc@90c000000 { compatible = "fsl,qoriq-mc"; status = "disabled"; };
    };
    chosen { stdout-path = "serial1:115200n8"; linux,initrd-start = <0 0x90000000>; linux,initrd-end = <0 0x90001000>; };
};
"#;

    fn dtb() -> Option<Vec<u8>> {
        crate::fdtree::tests::dtc_compile(DTS)
    }

    fn cfg() -> XenBootConfig {
        XenBootConfig {
            ram: vec![(0x8000_0000, 0x8000_0000)],
            xen_args: "console=dtuart dom0_mem=256M".into(),
            dom0_args: "console=hvc0 rdinit=/init".into(),
            unmodelled: vec![],
            mc_iommu_map: false,
            cpu_mpidrs: Some(vec![0, 1]),
        }
    }

    /// Layout worked out by hand from the rules in the module doc: Xen image_size 0x13_60c8
    /// (Debian's 4.17) at 0x8000_0000 → DTB at 0x8020_0000 (block to 0x8040_0000) → kernel
    /// module at 0x8040_0000 (0x30_0001 bytes, to 0x8070_0001) → ramdisk at 0x8080_0000.
    #[test]
    fn layout_and_chosen() {
        let Some(d) = dtb() else {
            eprintln!("skipped: dtc not installed");
            return;
        };
        let b = prepare(&synth(0x13_60c8, 4096), "xen", &synth(0x40_0000, 0x30_0001), "Image", &d, Some(vec![7; 0x1000]), &cfg()).unwrap();
        assert_eq!(b.boot.kernel.entry, 0x8000_0000);
        assert_eq!(b.boot.dtb.addr, 0x8020_0000);
        assert_eq!(b.modules.kernel, (0x8040_0000, 0x8070_0001));
        assert_eq!(b.modules.ramdisk, Some((0x8080_0000, 0x8080_1000)));
        assert_eq!(b.boot.entry_el, 2);
        let img = b.boot.image();
        assert_eq!(img.segments.iter().map(|s| (s.addr, s.data.len())).collect::<Vec<_>>(), vec![
            (0x8000_0000, 4096),
            (0x8040_0000, 0x30_0001),
            (0x8020_0000, b.boot.dtb.data.len()),
            (0x8080_0000, 0x1000)
        ]);
        // What dtc reads back from the blob (the independent parser; it shows a string
        // list as one string with \0 separators).
        let text = crate::fdtree::tests::dtc_decompile(&b.boot.dtb.data).unwrap();
        let chosen = &text[text.find("chosen {").unwrap()..];
        for want in [
            "#address-cells = <0x02>;",
            "#size-cells = <0x02>;",
            "xen,xen-bootargs = \"console=dtuart dom0_mem=256M\";",
            "xen,dom0-bootargs = \"console=hvc0 rdinit=/init\";",
            "\n\t\tbootargs = \"console=dtuart dom0_mem=256M\";",
            "module@80400000 {",
            "compatible = \"multiboot,kernel\\0multiboot,module\";",
            "reg = <0x00 0x80400000 0x00 0x300001>;",
            "\n\t\t\tbootargs = \"console=hvc0 rdinit=/init\";",
            "module@80800000 {",
            "compatible = \"multiboot,ramdisk\\0multiboot,module\";",
            "reg = <0x00 0x80800000 0x00 0x1000>;",
        ] {
            assert!(chosen.contains(want), "{want} missing in\n{chosen}");
        }
        assert!(!text.contains("linux,initrd"), "{text}");
        // stdout-path serial1 → the other port of that DUART (same interrupt) is marked.
        assert_eq!(b.irq_sharers, vec!["/soc/serial@21c0500"]);
        let f = fdt::Fdt::new(&b.boot.dtb.data).unwrap();
        assert!(f.find_node("/soc/serial@21c0500").unwrap().property("xen,passthrough").is_some());
        assert!(f.find_node("/soc/serial@21c0600").unwrap().property("xen,passthrough").is_none());
        assert!(f.find_node("/soc/serial@21d0500").unwrap().property("xen,passthrough").is_none());
        // The enabled fsl-mc bus is not dom0's; the disabled one is left alone.
        assert_eq!(b.not_for_dom0, vec!["/soc/fsl-mc@80c000000"]);
        assert!(f.find_node("/soc/fsl-mc@80c000000").unwrap().property("xen,passthrough").is_some());
        assert!(f.find_node("/soc/fsl-mc@90c000000").unwrap().property("xen,passthrough").is_none());
    }

    /// `dtuart=` on Xen's command line wins over stdout-path.
    #[test]
    fn dtuart_picks_the_console() {
        let Some(d) = dtb() else {
            eprintln!("skipped: dtc not installed");
            return;
        };
        let mut c = cfg();
        c.xen_args = "console=dtuart dtuart=serial0:115200n8".into();
        let b = prepare(&synth(0x1000, 64), "xen", &synth(0x1000, 64), "I", &d, None, &c).unwrap();
        assert_eq!(b.irq_sharers, vec!["/soc/serial@21c0600"]);
        c.xen_args = "dtuart=/soc/serial@21d0500".into();
        let b = prepare(&synth(0x1000, 64), "xen", &synth(0x1000, 64), "I", &d, None, &c).unwrap();
        assert!(b.irq_sharers.is_empty());
    }

    #[test]
    fn bad_inputs() {
        let Some(d) = dtb() else {
            eprintln!("skipped: dtc not installed");
            return;
        };
        let e = prepare(b"not xen at all, just text of some length...........................", "x.bin", &synth(0x1000, 64), "I", &d, None, &cfg()).unwrap_err();
        assert_eq!(e.to_string(), "x.bin: not a Linux arm64 Image (no \"ARM\\x64\" magic at offset 0x38)");
        let e = prepare(&synth(0x1000, 64), "xen", &[], "Image", &d, None, &cfg()).unwrap_err();
        assert_eq!(e.to_string(), "Image: empty file");
        let mut small = cfg();
        small.ram = vec![(0x8000_0000, 0x60_0000)];
        let e = prepare(&synth(0x1000, 64), "xen", &synth(0x40_0000, 0x30_0000), "Image", &d, None, &small).unwrap_err();
        assert!(e.to_string().contains("dom0 kernel past the end of RAM bank"), "{e}");
    }
}
