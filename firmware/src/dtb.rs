//! The device-tree fix-ups the boot firmware applies to the kernel's own
//! `freescale/fsl-ls2088a-rdb.dtb` before entering Linux — what U-Boot does on the real
//! board (ls2088a-reference.md §0):
//! - `/chosen`: `bootargs`, `linux,initrd-start`/`linux,initrd-end` (two cells each, as
//!   U-Boot's `fdt_initrd` writes them), `stdout-path` kept (set to
//!   `serial1:115200n8` only if missing);
//! - the memory node(s) replaced by one `/memory@<first base>` whose `reg` lists the
//!   configured RAM banks (U-Boot `fdt_fixup_memory_banks`);
//! - `enable-method = "psci"` on every `/cpus/cpu@*` (without it Linux brings up CPU0
//!   only: "missing enable-method property");
//! - the fsl-mc `iommu-map` patched to `<23 &smmu 23 41>` (U-Boot
//!   `fdt_fsl_mc_fixup_iommu_map_entry`: ICIDs 23..63 map to the same stream IDs);
//! - `status = "disabled"` on nodes lsemu does not model, so their drivers do not probe
//!   hardware that is not there; the list of nodes disabled is returned for one log line.

use crate::fdtree::{cells, encode_number, str_value, Fdt, FdtError, Node};

/// Default console, as in the RDB dts.
pub const DEFAULT_STDOUT_PATH: &str = "serial1:115200n8";
/// fsl-mc DPAA2 ICIDs/stream IDs 23..63 (Chassis-3 stream-ID plan).
pub const MC_ICID_BASE: u32 = 23;
pub const MC_ICID_COUNT: u32 = 41;

/// LS2088A DRAM layout: the first 2 GiB at 0x8000_0000, the rest at 0x80_8000_0000.
pub const DRAM0_BASE: u64 = 0x8000_0000;
pub const DRAM0_MAX: u64 = 2 << 30;
pub const DRAM1_BASE: u64 = 0x80_8000_0000;

/// The RAM banks for `ram_size` bytes of DRAM on the LS2088A.
pub fn ls2088a_banks(ram_size: u64) -> Vec<(u64, u64)> {
    let mut v = vec![(DRAM0_BASE, ram_size.min(DRAM0_MAX))];
    if ram_size > DRAM0_MAX {
        v.push((DRAM1_BASE, ram_size - DRAM0_MAX));
    }
    v.retain(|b| b.1 != 0);
    v
}

#[derive(Debug, Clone, Default)]
pub struct FixupConfig {
    /// Kernel command line; `None` leaves `/chosen/bootargs` as it is.
    pub bootargs: Option<String>,
    /// initramfs [start, end) in guest physical memory.
    pub initrd: Option<(u64, u64)>,
    /// RAM banks (base, size); empty leaves the memory nodes as they are.
    pub ram: Vec<(u64, u64)>,
    /// Nodes lsemu does not model: entries starting with '/' are node paths, the others
    /// compatible strings (any node listing it is disabled).
    pub unmodelled: Vec<String>,
    /// Patch the fsl-mc `iommu-map` to `<23 &smmu 23 41>`.
    pub mc_iommu_map: bool,
    /// MPIDRs (affinity bits) of the PEs the machine has; `None` keeps every cpu node.
    /// Cpu nodes whose `reg` is not listed are deleted, as U-Boot's layerscape
    /// `ft_fixup_cpu` does for disabled cores (Linux 6.1 would otherwise try to CPU_ON
    /// them and print "failed to boot"). References to them (thermal cooling-maps) are
    /// left dangling, like U-Boot leaves them.
    pub cpu_mpidrs: Option<Vec<u64>>,
}

/// What the fix-up did that the machine may want to log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FixupReport {
    /// Paths of the nodes whose status was set to "disabled" (enabled before).
    pub disabled: Vec<String>,
    /// Paths of the cpu nodes that got `enable-method = "psci"`.
    pub cpus: Vec<String>,
    /// The smmu phandle used in the fsl-mc `iommu-map`, if patched.
    pub mc_smmu_phandle: Option<u32>,
    /// Paths of the cpu nodes deleted (see [`FixupConfig::cpu_mpidrs`]).
    pub removed_cpus: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DtbError {
    #[error("DTB: {0}")]
    Fdt(#[from] FdtError),
    #[error("DTB fix-up: {0}")]
    Fixup(String),
}

/// Whether a node is enabled (no `status`, or "okay"/"ok").
fn enabled(n: &Node) -> bool {
    matches!(n.prop_str("status"), None | Some("okay") | Some("ok"))
}

/// Applies the fix-ups to `blob` and returns the new blob.
pub fn fixup(blob: &[u8], cfg: &FixupConfig) -> Result<(Vec<u8>, FixupReport), DtbError> {
    let mut t = Fdt::parse(blob)?;
    let report = fixup_tree(&mut t, cfg)?;
    Ok((t.to_bytes(), report))
}

/// The fix-ups on a parsed tree.
pub fn fixup_tree(t: &mut Fdt, cfg: &FixupConfig) -> Result<FixupReport, DtbError> {
    let mut report = FixupReport::default();
    let addr_cells = t.root.prop_u32("#address-cells").unwrap_or(2);
    let size_cells = t.root.prop_u32("#size-cells").unwrap_or(1);

    // /chosen
    {
        let chosen = t.root.child_or_insert("chosen");
        if let Some(args) = &cfg.bootargs {
            chosen.set_prop("bootargs", str_value(args));
        }
        if chosen.prop("stdout-path").is_none() {
            chosen.set_prop("stdout-path", str_value(DEFAULT_STDOUT_PATH));
        }
        match cfg.initrd {
            Some((start, end)) => {
                if end < start {
                    return Err(DtbError::Fixup(format!("initrd end {end:#x} below its start {start:#x}")));
                }
                chosen.set_prop("linux,initrd-start", start.to_be_bytes().to_vec());
                chosen.set_prop("linux,initrd-end", end.to_be_bytes().to_vec());
            }
            None => {
                chosen.remove_prop("linux,initrd-start");
                chosen.remove_prop("linux,initrd-end");
            }
        }
    }

    // Memory: one node listing every bank.
    if !cfg.ram.is_empty() {
        let mut reg = Vec::new();
        for &(base, size) in &cfg.ram {
            let (Some(a), Some(s)) = (encode_number(base, addr_cells), encode_number(size, size_cells)) else {
                return Err(DtbError::Fixup(format!(
                    "RAM bank {base:#x}+{size:#x} does not fit #address-cells = {addr_cells}, #size-cells = {size_cells}"
                )));
            };
            reg.extend(a);
            reg.extend(s);
        }
        t.root.children.retain(|c| !(c.prop_str("device_type") == Some("memory") || c.name == "memory" || c.name.starts_with("memory@")));
        let mut mem = Node::new(&format!("memory@{:x}", cfg.ram[0].0));
        mem.set_prop("device_type", str_value("memory"));
        mem.set_prop("reg", reg);
        // Keep the usual place of the memory node: after /cpus if present.
        let at = t.root.children.iter().position(|c| c.name == "cpus").map(|i| i + 1).unwrap_or(t.root.children.len());
        t.root.children.insert(at, mem);
    }

    // PSCI as the enable method of every CPU; cpus the machine lacks are deleted.
    let is_cpu = |c: &Node| c.name == "cpu" || c.name.starts_with("cpu@") || c.prop_str("device_type") == Some("cpu");
    if let Some(cpus) = t.root.child_mut("cpus") {
        if let Some(keep) = &cfg.cpu_mpidrs {
            let cpu_cells = cpus.prop_u32("#address-cells").unwrap_or(1);
            let hwid = |c: &Node| -> Option<u64> {
                let r = c.prop("reg")?;
                match cpu_cells {
                    1 if r.len() >= 4 => Some(u32::from_be_bytes([r[0], r[1], r[2], r[3]]) as u64),
                    2 if r.len() >= 8 => Some(u64::from_be_bytes([r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]])),
                    _ => None,
                }
            };
            let wanted = |c: &Node| hwid(c).is_some_and(|h| keep.iter().any(|&m| m & crate::psci::MPIDR_AFF_MASK == h & crate::psci::MPIDR_AFF_MASK));
            for c in cpus.children.iter().filter(|c| is_cpu(c) && !wanted(c)) {
                report.removed_cpus.push(format!("/cpus/{}", c.name));
            }
            cpus.children.retain(|c| !is_cpu(c) || wanted(c));
        }
        for c in cpus.children.iter_mut() {
            if is_cpu(c) {
                c.set_prop("enable-method", str_value("psci"));
                report.cpus.push(format!("/cpus/{}", c.name));
            }
        }
    }

    // fsl-mc iommu-map → <23 &smmu 23 41>.
    if cfg.mc_iommu_map {
        let mc = t.find_paths(&|n| n.is_compatible("fsl,qoriq-mc"));
        let smmu = t.find_paths(&|n| n.is_compatible("arm,mmu-500") || n.is_compatible("arm,smmu-v2"));
        // A tree without an SMMU (lsemu's generated DT) has nothing to map to: the fsl-mc
        // node is left without iommu-map (Linux then uses no IOMMU for the bus).
        if let (Some(mc_path), Some(smmu_path)) = (mc.first(), smmu.first()) {
            let ph = match t.node(smmu_path).and_then(Node::phandle) {
                Some(p) => p,
                None => {
                    let p = t.max_phandle().checked_add(1).ok_or_else(|| DtbError::Fixup("phandles exhausted".into()))?;
                    if let Some(n) = t.node_mut(smmu_path) {
                        n.set_prop("phandle", cells(&[p]));
                    }
                    p
                }
            };
            if let Some(n) = t.node_mut(mc_path) {
                n.set_prop("iommu-map", cells(&[MC_ICID_BASE, ph, MC_ICID_BASE, MC_ICID_COUNT]));
            }
            report.mc_smmu_phandle = Some(ph);
        }
    }

    // Unmodelled devices.
    if !cfg.unmodelled.is_empty() {
        let (paths, compats): (Vec<&String>, Vec<&String>) = cfg.unmodelled.iter().partition(|s| s.starts_with('/'));
        for p in &paths {
            if t.node(p).is_none() {
                return Err(DtbError::Fixup(format!("no node {p} to disable")));
            }
        }
        t.root.walk_mut("/", &mut |path, n| {
            let hit = paths.iter().any(|p| p.as_str() == path) || compats.iter().any(|c| n.is_compatible(c));
            if hit && path != "/" && enabled(n) {
                n.set_prop("status", str_value("disabled"));
                report.disabled.push(path.to_string());
            }
        });
    }
    Ok(report)
}

/// Enables the PCIe controller node at `path` (`status = "okay"`) and gives it the
/// per-requester `msi-map` and `iommu-map` U-Boot's layerscape PCIe fix-up writes:
/// `<rid &its sid 1>` and `<rid &smmu sid 1>` for each `(rid, sid)` of `map` (the stream
/// ID doubles as the ITS DeviceID). The ITS and SMMU phandles are those the stock node
/// already names (`msi-parent`, the first `iommu-map` entry).
pub fn enable_pcie(blob: &[u8], path: &str, map: &[(u32, u32)]) -> Result<Vec<u8>, DtbError> {
    let mut t = Fdt::parse(blob)?;
    let n = t.node_mut(path).ok_or_else(|| DtbError::Fixup(format!("no PCIe controller node {path} in the device tree")))?;
    let its = n.prop_u32("msi-parent").ok_or_else(|| DtbError::Fixup(format!("{path} has no msi-parent")))?;
    let smmu = n
        .prop("iommu-map")
        .filter(|v| v.len() >= 8)
        .map(|v| u32::from_be_bytes([v[4], v[5], v[6], v[7]]))
        .ok_or_else(|| DtbError::Fixup(format!("{path} has no iommu-map")))?;
    let mut msi = Vec::new();
    let mut iommu = Vec::new();
    for &(rid, sid) in map {
        msi.extend([rid, its, sid, 1]);
        iommu.extend([rid, smmu, sid, 1]);
    }
    n.set_prop("msi-map", cells(&msi));
    n.set_prop("iommu-map", cells(&iommu));
    n.set_prop("status", str_value("okay"));
    Ok(t.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fdtree::tests::{dtc_compile, dtc_decompile};

    const SYNTH: &str = r#"/dts-v1/;
/ {
    #address-cells = <2>; #size-cells = <2>;
    compatible = "fsl,ls2088a-rdb", "fsl,ls2088a";
    aliases { serial1 = "/soc/serial@21c0600"; };
    cpus {
        #address-cells = <1>; #size-cells = <0>;
        cpu@0 { device_type = "cpu"; compatible = "arm,cortex-a72"; reg = <0>; };
        cpu@101 { device_type = "cpu"; compatible = "arm,cortex-a72"; reg = <0x101>; };
        l2-cache0 { compatible = "cache"; };
    };
    memory@80000000 { device_type = "memory"; reg = <0 0x80000000 0 0x80000000>; };
    chosen { stdout-path = "serial1:115200n8"; };
    soc {
        #address-cells = <2>; #size-cells = <2>;
        serial@21c0600 { compatible = "fsl,ns16550", "ns16550a"; };
        smmu: iommu@5000000 { compatible = "arm,mmu-500"; #iommu-cells = <1>; };
        fsl-mc@80c000000 { compatible = "fsl,qoriq-mc"; iommu-map = <0 &smmu 0 0>; };
        crypto@8000000 { compatible = "fsl,sec-v5.0", "fsl,sec-v4.0"; };
        pcie@3400000 { compatible = "fsl,ls2088a-pcie"; status = "disabled"; };
        wdt@c000000 { compatible = "arm,sp805", "arm,primecell"; };
        wdt@c010000 { compatible = "arm,sp805", "arm,primecell"; status = "okay"; };
    };
};
"#;

    fn cfg() -> FixupConfig {
        FixupConfig {
            bootargs: Some("console=ttyS1,115200 earlycon rdinit=/init".into()),
            initrd: Some((0x8260_0000, 0x8290_1234)),
            ram: ls2088a_banks(4 << 30),
            unmodelled: vec!["arm,sp805".into(), "/soc/crypto@8000000".into(), "fsl,ls2088a-pcie".into()],
            mc_iommu_map: true,
            cpu_mpidrs: None,
        }
    }

    fn be32s(v: &[u8]) -> Vec<u32> {
        v.chunks(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect()
    }

    #[test]
    fn banks() {
        assert_eq!(ls2088a_banks(1 << 30), vec![(0x8000_0000, 1 << 30)]);
        assert_eq!(ls2088a_banks(2 << 30), vec![(0x8000_0000, 2 << 30)]);
        assert_eq!(ls2088a_banks(6 << 30), vec![(0x8000_0000, 2 << 30), (0x80_8000_0000, 4 << 30)]);
    }

    /// Checks the fixed-up blob with the `fdt` crate (an independent reader).
    fn check(out: &[u8], ncpus: usize, smmu_path: &str) {
        let f = fdt::Fdt::new(out).expect("fdt crate parses the result");
        let chosen = f.find_node("/chosen").unwrap();
        assert_eq!(f.chosen().bootargs(), Some("console=ttyS1,115200 earlycon rdinit=/init"));
        assert_eq!(chosen.property("stdout-path").unwrap().as_str(), Some("serial1:115200n8"));
        assert_eq!(chosen.property("linux,initrd-start").unwrap().as_usize(), Some(0x8260_0000));
        assert_eq!(chosen.property("linux,initrd-end").unwrap().as_usize(), Some(0x8290_1234));
        let regions: Vec<(usize, Option<usize>)> = f.memory().regions().map(|r| (r.starting_address as usize, r.size)).collect();
        assert_eq!(regions, vec![(0x8000_0000, Some(0x8000_0000)), (0x80_8000_0000, Some(0x8000_0000))]);
        // Exactly one memory node.
        assert_eq!(f.all_nodes().filter(|n| n.name == "memory" || n.name.starts_with("memory@")).count(), 1);
        let cpus: Vec<_> = f.cpus().collect();
        assert_eq!(cpus.len(), ncpus);
        for c in &cpus {
            assert_eq!(c.property("enable-method").and_then(|p| p.as_str()), Some("psci"), "cpu {:#x}", c.ids().first());
        }
        let smmu_ph = f.find_node(smmu_path).unwrap().property("phandle").unwrap().as_usize().unwrap() as u32;
        let mc = f.find_compatible(&["fsl,qoriq-mc"]).unwrap();
        assert_eq!(be32s(mc.property("iommu-map").unwrap().value), vec![23, smmu_ph, 23, 41]);
        assert_eq!(f.find_phandle(smmu_ph).unwrap().name, smmu_path.rsplit('/').next().unwrap());
    }

    #[test]
    fn synthetic_dtb() {
        let Some(blob) = dtc_compile(SYNTH) else {
            eprintln!("skipped: dtc (device-tree-compiler) not installed");
            return;
        };
        let (out, rep) = fixup(&blob, &cfg()).unwrap();
        check(&out, 2, "/soc/iommu@5000000");
        assert_eq!(rep.cpus, vec!["/cpus/cpu@0", "/cpus/cpu@101"]);
        // The pcie node was already disabled: not reported. The l2-cache is not a cpu.
        assert_eq!(rep.disabled, vec!["/soc/crypto@8000000", "/soc/wdt@c000000", "/soc/wdt@c010000"]);
        let f = fdt::Fdt::new(&out).unwrap();
        for p in &rep.disabled {
            assert_eq!(f.find_node(p).unwrap().property("status").unwrap().as_str(), Some("disabled"));
        }
        assert!(f.find_node("/cpus/l2-cache0").unwrap().property("enable-method").is_none());
        assert!(f.find_node("/soc/serial@21c0600").unwrap().property("status").is_none());
        // dtc accepts the result too, and it has the memory node with the two banks.
        let dts = dtc_decompile(&out).unwrap();
        assert!(dts.contains("reg = <0x00 0x80000000 0x00 0x80000000 0x80 0x80000000 0x00 0x80000000>;"), "{dts}");
        assert!(dts.contains("linux,initrd-start = <0x00 0x82600000>;"), "{dts}");
    }

    #[test]
    fn synthetic_edge_cases() {
        let Some(blob) = dtc_compile(SYNTH) else { return };
        // No chosen node at all, no stdout-path: both created; no initrd: none written.
        let src = SYNTH.replace("chosen { stdout-path = \"serial1:115200n8\"; };", "");
        let b = dtc_compile(&src).unwrap();
        let c = FixupConfig { bootargs: Some("x".into()), ..Default::default() };
        let (out, rep) = fixup(&b, &c).unwrap();
        let f = fdt::Fdt::new(&out).unwrap();
        assert_eq!(f.find_node("/chosen").unwrap().property("stdout-path").unwrap().as_str(), Some("serial1:115200n8"));
        assert!(f.find_node("/chosen").unwrap().property("linux,initrd-start").is_none());
        assert_eq!(rep.mc_smmu_phandle, None); // not asked for
        assert!(rep.disabled.is_empty());
        // The stock iommu-map is left alone when not asked.
        let mc = f.find_compatible(&["fsl,qoriq-mc"]).unwrap();
        assert_eq!(be32s(mc.property("iommu-map").unwrap().value)[3], 0);
        // SMMU without a phandle gets a fresh one.
        let src = SYNTH.replace("iommu-map = <0 &smmu 0 0>;", "").replace("smmu: iommu", "iommu");
        let b = dtc_compile(&src).unwrap();
        let (out, rep) = fixup(&b, &FixupConfig { mc_iommu_map: true, ..Default::default() }).unwrap();
        assert_eq!(rep.mc_smmu_phandle, Some(1));
        check_phandle(&out);
        // Errors: unknown node path, inverted initrd, bank not encodable in 1 cell.
        let e = fixup(&blob, &FixupConfig { unmodelled: vec!["/soc/nothing".into()], ..Default::default() });
        assert!(matches!(e, Err(DtbError::Fixup(_))));
        let e = fixup(&blob, &FixupConfig { initrd: Some((10, 5)), ..Default::default() });
        assert!(matches!(e, Err(DtbError::Fixup(_))));
        let one = SYNTH.replace("#address-cells = <2>; #size-cells = <2>;\n    compatible", "#address-cells = <1>; #size-cells = <1>;\n    compatible");
        let b = dtc_compile(&one.replace("reg = <0 0x80000000 0 0x80000000>", "reg = <0x80000000 0x80000000>")).unwrap();
        let e = fixup(&b, &FixupConfig { ram: ls2088a_banks(4 << 30), ..Default::default() });
        assert!(matches!(e, Err(DtbError::Fixup(_))));
        assert!(matches!(fixup(b"junk", &FixupConfig::default()), Err(DtbError::Fdt(_))));
    }

    #[test]
    fn cpus_the_machine_lacks_are_deleted() {
        let Some(blob) = dtc_compile(SYNTH) else { return };
        // Keep MPIDR 0 only (bit 31, RES1 in MPIDR_EL1, is ignored).
        let c = FixupConfig { cpu_mpidrs: Some(vec![0x8000_0000]), ..Default::default() };
        let (out, rep) = fixup(&blob, &c).unwrap();
        assert_eq!(rep.removed_cpus, vec!["/cpus/cpu@101"]);
        assert_eq!(rep.cpus, vec!["/cpus/cpu@0"]);
        let f = fdt::Fdt::new(&out).unwrap();
        assert_eq!(f.cpus().count(), 1);
        assert!(f.find_node("/cpus/l2-cache0").is_some());
        let c = FixupConfig { cpu_mpidrs: Some(vec![0, 0x101]), ..Default::default() };
        assert!(fixup(&blob, &c).unwrap().1.removed_cpus.is_empty());
    }

    /// lsemu's generated DT has an fsl-mc node but no SMMU: no iommu-map, no error.
    #[test]
    fn fsl_mc_without_smmu_is_left_alone() {
        let src = SYNTH.replace("smmu: iommu@5000000 { compatible = \"arm,mmu-500\"; #iommu-cells = <1>; };", "").replace("iommu-map = <0 &smmu 0 0>;", "");
        let Some(b) = dtc_compile(&src) else { return };
        let (out, rep) = fixup(&b, &FixupConfig { mc_iommu_map: true, ..Default::default() }).unwrap();
        assert_eq!(rep.mc_smmu_phandle, None);
        let f = fdt::Fdt::new(&out).unwrap();
        assert!(f.find_compatible(&["fsl,qoriq-mc"]).unwrap().property("iommu-map").is_none());
    }

    /// `enable_pcie` on a node shaped like the RDB's PEX1 (`msi-parent = <&its>`,
    /// `iommu-map = <0 &smmu 0 1>`, disabled): per-RID maps as U-Boot writes them.
    #[test]
    fn enable_pcie_writes_msi_and_iommu_maps() {
        let src = r#"/dts-v1/;
/ {
    #address-cells = <2>; #size-cells = <2>;
    soc {
        #address-cells = <2>; #size-cells = <2>;
        its: gic-its@6020000 { compatible = "arm,gic-v3-its"; msi-controller; #msi-cells = <1>; };
        smmu: iommu@5000000 { compatible = "arm,mmu-500"; #iommu-cells = <1>; };
        pcie@3400000 { compatible = "fsl,ls2088a-pcie"; msi-parent = <&its>; iommu-map = <0 &smmu 0 1>; status = "disabled"; };
    };
};
"#;
        let Some(blob) = dtc_compile(src) else {
            eprintln!("skipped: dtc (device-tree-compiler) not installed");
            return;
        };
        let out = enable_pcie(&blob, "/soc/pcie@3400000", &[(0, 7), (0x100, 8)]).unwrap();
        let f = fdt::Fdt::new(&out).unwrap();
        let its = f.find_node("/soc/gic-its@6020000").unwrap().property("phandle").unwrap().as_usize().unwrap() as u32;
        let smmu = f.find_node("/soc/iommu@5000000").unwrap().property("phandle").unwrap().as_usize().unwrap() as u32;
        assert_ne!(its, smmu);
        let n = f.find_node("/soc/pcie@3400000").unwrap();
        assert_eq!(n.property("status").unwrap().as_str(), Some("okay"));
        assert_eq!(be32s(n.property("msi-map").unwrap().value), vec![0, its, 7, 1, 0x100, its, 8, 1]);
        assert_eq!(be32s(n.property("iommu-map").unwrap().value), vec![0, smmu, 7, 1, 0x100, smmu, 8, 1]);
        // A tree without the node: a clear error.
        let e = enable_pcie(&blob, "/soc/pcie@3500000", &[(0, 7)]).unwrap_err();
        assert!(e.to_string().contains("no PCIe controller node /soc/pcie@3500000"), "{e}");
    }

    fn check_phandle(out: &[u8]) {
        let f = fdt::Fdt::new(out).unwrap();
        assert_eq!(f.find_phandle(1).unwrap().name, "iommu@5000000");
        let mc = f.find_compatible(&["fsl,qoriq-mc"]).unwrap();
        assert_eq!(be32s(mc.property("iommu-map").unwrap().value), vec![23, 1, 23, 41]);
    }

    /// The kernel's own RDB device tree, when test-suites/fetch-corpus.sh has fetched it.
    #[test]
    fn real_rdb_dtb() {
        let dir = std::env::var_os("LSEMU_CORPUS")
            .map(std::path::PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cache/lsemu/corpus")));
        let Some(path) = dir.map(|d| d.join("fsl-ls2088a-rdb.dtb")) else { return };
        let Ok(blob) = std::fs::read(&path) else {
            eprintln!("skipped: {} not present (run test-suites/fetch-corpus.sh)", path.display());
            return;
        };
        let (out, rep) = fixup(&blob, &cfg()).unwrap();
        check(&out, 8, "/soc/iommu@5000000");
        assert_eq!(rep.cpus.len(), 8);
        // Oracle for the phandle: `dtc -I dtb -O dts` of the stock blob shows
        // iommu-map = <0x00 0x19 0x00 0x00> in fsl-mc@80c000000, i.e. &smmu = 0x19.
        assert_eq!(rep.mc_smmu_phandle, Some(0x19));
        // 8 SP805 watchdogs and the CAAM node are disabled.
        assert_eq!(rep.disabled.iter().filter(|p| p.starts_with("/soc/wdt@")).count(), 8, "{:?}", rep.disabled);
        assert!(rep.disabled.contains(&"/soc/crypto@8000000".to_string()), "{:?}", rep.disabled);
        // Everything else is unchanged: the stock and fixed-up trees differ only in the
        // edited properties (checked through dtc, ignoring the edited lines).
        if let (Some(a), Some(b)) = (dtc_decompile(&blob), dtc_decompile(&out)) {
            let keep = |s: &str| -> Vec<String> {
                s.lines()
                    .filter(|l| {
                        let l = l.trim();
                        !(l.starts_with("enable-method") || l.starts_with("iommu-map = <0x17")
                            || l.starts_with("iommu-map = <0x00 0x19 0x00 0x00>") || l.starts_with("status = \"disabled\"")
                            || l.starts_with("bootargs") || l.starts_with("linux,initrd") || l.starts_with("reg = <0x00 0x80000000"))
                    })
                    .map(String::from)
                    .collect()
            };
            let (ka, kb) = (keep(&a), keep(&b));
            assert_eq!(ka.len(), kb.len());
            assert_eq!(ka, kb);
        }
    }
}
