//! THE table of the LS2088A-RDB: every block lsemu knows, with its base, size, interrupt
//! and compatible string (values from the LS2088A reference manual memory map and Linux's
//! fsl-ls208xa.dtsi; see ../shared/docs/ls2088a-reference.md §1.2).

/// What kind of block a region is, i.e. which model instantiates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// DDR DRAM bank.
    Dram,
    /// NS16550A UART channel.
    Uart16550,
    /// GIC-500: distributor, ITS and redistributors in one window.
    Gic,
    /// The GIC-500's ITS: a sub-window of the GIC region, modelled by the GIC device;
    /// listed for its device-tree node.
    GicIts,
    /// Device configuration (SVR, RCW status).
    Dcfg,
    /// Clock generator (PLL and clock mux configuration).
    Clockgen,
    /// Reset control register.
    Rstcr,
    /// Arm SP805 watchdog (one per core).
    Sp805,
    /// Run control and power management (RCPM 2.1+): wake-up source registers.
    Rcpm,
    /// Arm MMU-500 System MMU (SMMUv2): global fault interrupts [`SMMU_GLOBAL_SPIS`],
    /// context interrupts from [`SMMU_CONTEXT_SPI_BASE`].
    Smmu,
    /// The Management Complex: its MC portal window (this region) and its CCSR block at
    /// `devices::fslmc::CCSR_BASE` (the node's second `reg`), one model
    /// (`devices::fslmc::Mc`; ls2088a-reference.md §4).
    FslMc,
}

/// One entry of the board table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub name: &'static str,
    pub base: u64,
    pub size: u64,
    pub kind: Kind,
    /// GIC INTID (SPI n = INTID n + 32), if the block has an interrupt (a PPI, INTID
    /// 16..31, for the GIC's own maintenance interrupt).
    pub intid: Option<u32>,
    pub compatible: &'static str,
    /// How the region appears in the generated device tree (`fdt.rs`); `None` for
    /// regions described by a node of their own kind (DRAM: the memory node).
    pub dt: Option<&'static DtNode>,
}

/// Where a region's device-tree node sits (as in Linux's fsl-ls208xa.dtsi).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtParent {
    /// Directly under `/` (GIC, RSTCR syscon).
    Root,
    /// Under the `/soc` simple-bus.
    Soc,
    /// A child of the GIC node (the ITS, once modelled).
    Gic,
}

/// A `reg` property: the region's own (base, size), or an explicit list of windows (the
/// GIC's GICD, GICR, GICC, GICH, GICV frames).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtReg {
    Region,
    List(&'static [(u64, u64)]),
}

/// A property value in the board table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtVal {
    /// A boolean property (`little-endian`, `interrupt-controller`, `ranges`).
    Empty,
    /// 32-bit cells.
    Cells(&'static [u32]),
    Str(&'static str),
    /// A string list (`clock-names`).
    StrList(&'static [&'static str]),
    /// A phandle reference to another node (a region name, or `"sysclk"` for the
    /// fixed board clock), followed by specifier cells.
    Ref(&'static str, &'static [u32]),
    /// Several phandle references with their specifiers, concatenated (`clocks` of a
    /// node with two clocks).
    Refs(&'static [(&'static str, &'static [u32])]),
}

/// The device-tree description of one board-table region: node name, parent, the whole
/// compatible list, `reg`, interrupt trigger flags and any other properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtNode {
    /// Node name before the `@unit-address` (`serial`, `clocking`, `dcfg`).
    pub name: &'static str,
    pub parent: DtParent,
    /// The compatible list; `Region::compatible` is its first entry.
    pub compatible: &'static [&'static str],
    pub reg: DtReg,
    /// Trigger flags of the region's interrupt in the GIC's 3-cell specifier
    /// (`IRQ_TYPE_*`), used when `Region::intid` is set.
    pub irq_flags: u32,
    /// `serialN` alias, if any.
    pub alias: Option<&'static str>,
    /// Other properties, in order.
    pub props: &'static [(&'static str, DtVal)],
}

pub const GIB: u64 = 1 << 30;

/// First DRAM bank: 2 GiB at 0x8000_0000 (DDR1).
pub const DRAM0_BASE: u64 = 0x8000_0000;
pub const DRAM0_SIZE: u64 = 2 * GIB;
/// Second DRAM bank for memory above 2 GiB.
pub const DRAM1_BASE: u64 = 0x80_8000_0000;
pub const DRAM1_SIZE: u64 = 0x7f_8000_0000;

/// DUART1 channel 0 (serial0). The RDB's console is channel 1 (serial1, ttyS1).
pub const DUART1_UART0: u64 = 0x021c_0500;
pub const DUART1_UART1: u64 = 0x021c_0600;

/// The system counter frequency the RDB's firmware programs into CNTFRQ_EL0 (25 MHz).
pub const CNTFRQ_HZ: u64 = 25_000_000;

/// GIC-500 window: GICD at 0x0600_0000, ITS at 0x0602_0000, GICR at 0x0610_0000
/// (128 KiB per PE); see ls2088a-reference.md §2.1.
pub const GIC_BASE: u64 = 0x0600_0000;

/// RSTCR: Linux's syscon-reboot writes bit 1 here to reset the SoC.
pub const RSTCR_BASE: u64 = 0x01e6_0000;

/// Generic timer PPIs (INTIDs) as the RDB DTB lists them: secure physical, non-secure
/// physical, virtual, hypervisor.
pub const TIMER_SEC_PHYS_INTID: u32 = 29;
pub const TIMER_PHYS_INTID: u32 = 30;
pub const TIMER_VIRT_INTID: u32 = 27;
pub const TIMER_HYP_INTID: u32 = 26;

/// Device-tree interrupt trigger flags (include/dt-bindings/interrupt-controller/irq.h).
pub const IRQ_TYPE_LEVEL_HIGH: u32 = 4;
pub const IRQ_TYPE_LEVEL_LOW: u32 = 8;

/// GIC-500 frames as the RDB DTB lists them (fsl-ls208xa.dtsi `gic`): GICD (64 KiB),
/// GICR (8 PEs × 128 KiB), then the GICv2-compatible GICC, GICH and GICV windows at
/// 0x0c0c_0000.. that only KVM reads (ls2088a-reference.md §1.2, §2.1; not modelled:
/// Linux does not access them unless it runs GICv2 guests).
pub const GICD_BASE: u64 = GIC_BASE + devices::gic::GICD_OFFSET;
pub const GICD_SIZE: u64 = 0x1_0000;
pub const GICR_BASE: u64 = GIC_BASE + devices::gic::GICR_OFFSET;
pub const GICR_SIZE: u64 = 8 * devices::gic::GICR_STRIDE;
pub const GICC_BASE: u64 = 0x0c0c_0000;
pub const GICC_SIZE: u64 = 0x2000;
pub const GICH_BASE: u64 = 0x0c0d_0000;
pub const GICH_SIZE: u64 = 0x1000;
pub const GICV_BASE: u64 = 0x0c0e_0000;
pub const GICV_SIZE: u64 = 0x2_0000;
/// GIC maintenance interrupt: PPI 9 (INTID 25), level-high.
pub const GIC_MAINT_INTID: u32 = 25;

/// PMU overflow interrupt: PPI 7 (INTID 23), level-low as in the RDB DTB (GICv3 treats
/// any level PPI alike).
pub const PMU_INTID: u32 = 23;
pub const PMU_IRQ_FLAGS: u32 = IRQ_TYPE_LEVEL_LOW;
/// Generic timer PPIs are level-high.
pub const TIMER_IRQ_FLAGS: u32 = IRQ_TYPE_LEVEL_HIGH;

/// The RDB's 100 MHz system clock oscillator (the clockgen's input, `/sysclk`).
pub const SYSCLK_HZ: u32 = 100_000_000;

/// Clockgen clock specifiers (include/dt-bindings/clock/fsl,qoriq-clockgen.h: type, index).
/// CMUX k drives cluster k's cores.
pub const CLK_CMUX: u32 = 1;
/// Platform PLL / 4 (index 3 = divider 4): the DUARTs' clock. With the clockgen model's
/// platform PLL multiplier 14, that is 100 MHz × 14 / 4 = 350 MHz, the RDB's value.
pub const CLK_PLATFORM_PLL_DIV4: [u32; 2] = [4, 3];

/// syscon-reboot: Linux writes this mask at offset 0 of RSTCR to reset the SoC.
pub const RSTCR_RESET_OFFSET: u32 = 0;
pub const RSTCR_RESET_MASK: u32 = 0x2;

/// The board's root `compatible` and `model` (fsl-ls2088a-rdb.dts).
pub const BOARD_COMPATIBLE: &[&str] = &["fsl,ls2088a-rdb", "fsl,ls2088a"];
pub const BOARD_MODEL: &str = "Freescale Layerscape 2088A RDB Board";
/// Cortex-A72 cores, 2 per cluster, one L2 cache per cluster.
pub const CPU_COMPATIBLE: &str = "arm,cortex-a72";
pub const MAX_CPUS: u32 = 8;
pub const CPUS_PER_CLUSTER: u32 = 2;
/// The SoC interconnect's DMA window (`/soc` `dma-ranges`): 48-bit addresses.
pub const SOC_DMA_BITS: u32 = 48;

/// The console UART as the RDB's `/chosen/stdout-path` names it.
pub const STDOUT_PATH: &str = "serial1:115200n8";

const GIC_DT: DtNode = DtNode {
    name: "interrupt-controller",
    parent: DtParent::Root,
    compatible: &["arm,gic-v3"],
    reg: DtReg::List(&[(GICD_BASE, GICD_SIZE), (GICR_BASE, GICR_SIZE), (GICC_BASE, GICC_SIZE), (GICH_BASE, GICH_SIZE), (GICV_BASE, GICV_SIZE)]),
    irq_flags: IRQ_TYPE_LEVEL_HIGH,
    alias: None,
    props: &[
        ("#interrupt-cells", DtVal::Cells(&[3])),
        ("#address-cells", DtVal::Cells(&[2])),
        ("#size-cells", DtVal::Cells(&[2])),
        ("ranges", DtVal::Empty),
        ("interrupt-controller", DtVal::Empty),
    ],
};

const ITS_DT: DtNode = DtNode {
    name: "gic-its",
    parent: DtParent::Gic,
    compatible: &["arm,gic-v3-its"],
    reg: DtReg::Region,
    irq_flags: 0,
    alias: None,
    props: &[("msi-controller", DtVal::Empty)],
};

const CLOCKGEN_DT: DtNode = DtNode {
    name: "clocking",
    parent: DtParent::Soc,
    compatible: &["fsl,ls2080a-clockgen"],
    reg: DtReg::Region,
    irq_flags: 0,
    alias: None,
    props: &[("#clock-cells", DtVal::Cells(&[2])), ("clocks", DtVal::Ref("sysclk", &[]))],
};

const DCFG_DT: DtNode = DtNode {
    name: "dcfg",
    parent: DtParent::Soc,
    compatible: &["fsl,ls2080a-dcfg", "syscon"],
    reg: DtReg::Region,
    irq_flags: 0,
    alias: None,
    props: &[("little-endian", DtVal::Empty)],
};

const RSTCR_DT: DtNode = DtNode {
    name: "syscon",
    parent: DtParent::Root,
    compatible: &["fsl,ls2080a-rstcr", "syscon"],
    reg: DtReg::Region,
    irq_flags: 0,
    alias: None,
    props: &[],
};

/// DUART channels: 8250_of takes the clock rate from the clockgen (no `clock-frequency`),
/// as on the RDB; see [`CLK_PLATFORM_PLL_DIV4`]. Linux 6.1 on lsemu reports
/// `base_baud = 21875000` (350 MHz / 16) for them with this, the same as with the stock
/// RDB dtb, so the clockgen model gives 8250_of what it needs.
const fn uart_dt(alias: &'static str) -> DtNode {
    DtNode {
        name: "serial",
        parent: DtParent::Soc,
        compatible: &["fsl,ns16550", "ns16550a"],
        reg: DtReg::Region,
        irq_flags: IRQ_TYPE_LEVEL_HIGH,
        alias: Some(alias),
        props: &[("clocks", DtVal::Ref("clockgen", &CLK_PLATFORM_PLL_DIV4))],
    }
}
const SERIAL0_DT: DtNode = uart_dt("serial0");
const SERIAL1_DT: DtNode = uart_dt("serial1");
const SERIAL2_DT: DtNode = uart_dt("serial2");
const SERIAL3_DT: DtNode = uart_dt("serial3");

/// SP805 watchdogs: the same clock (platform PLL / 4) as `wdog_clk` and `apb_pclk`, as in
/// fsl-ls208xa.dtsi; no interrupt (ls2088a-reference.md §1.4).
const SP805_DT: DtNode = DtNode {
    name: "wdt",
    parent: DtParent::Soc,
    compatible: &["arm,sp805", "arm,primecell"],
    reg: DtReg::Region,
    irq_flags: 0,
    alias: None,
    props: &[
        ("clocks", DtVal::Refs(&[("clockgen", &CLK_PLATFORM_PLL_DIV4), ("clockgen", &CLK_PLATFORM_PLL_DIV4)])),
        ("clock-names", DtVal::StrList(&["wdog_clk", "apb_pclk"])),
    ],
};

/// RCPM 2.1+: six wake-up cells (IPPDEXPCR0..5), little-endian.
const RCPM_DT: DtNode = DtNode {
    name: "power-controller",
    parent: DtParent::Soc,
    compatible: &["fsl,ls208xa-rcpm", "fsl,qoriq-rcpm-2.1+"],
    reg: DtReg::Region,
    irq_flags: 0,
    alias: None,
    props: &[("#fsl,rcpm-wakeup-cells", DtVal::Cells(&[6])), ("little-endian", DtVal::Empty)],
};

/// MMU-500 SMMU (ls2088a-reference.md §3): 8 MiB at 0x0500_0000.
pub const SMMU_BASE: u64 = 0x0500_0000;

/// PCIe controller 1 (PEX1, `/soc/pcie@3400000`): its DBI ("regs", 1 MiB) and its
/// outbound window (the "config" reg at its start, then the `ranges` I/O and memory
/// windows, 32 GiB). lsemu models this one controller when a PCIe device is attached.
pub const PCIE1_DBI_BASE: u64 = 0x0340_0000;
pub const PCIE1_WINDOW_BASE: u64 = 0x20_0000_0000;
/// Device tree path of PEX1.
pub const PCIE1_DT_PATH: &str = "/soc/pcie@3400000";
/// PCI requester ID of the endpoint behind PEX1's root port (bus 1, device 0, function 0:
/// Linux numbers the root port's secondary bus 1).
pub const PCIE1_EP_RID: u32 = 0x100;
/// Stream IDs (and ITS DeviceIDs) of PEX1's requesters: the PCIe range 7..22 of the
/// Chassis-3 stream-ID plan (ls2088a-reference.md §0), first the root port (RID 0), then
/// the endpoint, as U-Boot's PCIe fix-up assigns them in `msi-map`/`iommu-map`.
pub const PCIE1_RP_STREAM_ID: u32 = 7;
pub const PCIE1_EP_STREAM_ID: u32 = 8;
/// The SPI PEX1's `interrupt-map` gives INTA (`<0 0 0 1 &gic 0 0 0 109 4>`).
pub const PCIE1_INTA_SPI: u32 = 109;
pub const SMMU_SIZE: u64 = 0x80_0000;
/// Its 12 global fault interrupts (`#global-interrupts = 12`), as SPI numbers, in the
/// RDB DTB's order: SPI 13..16 and 211..218.
pub const SMMU_GLOBAL_SPIS: [u32; 12] = [13, 14, 15, 16, 211, 212, 213, 214, 215, 216, 217, 218];
/// Context bank n's interrupt is SPI 146 + n (n < 64).
pub const SMMU_CONTEXT_SPI_BASE: u32 = 146;
pub const SMMU_NUM_CONTEXT_IRQS: u32 = 64;
/// `stream-match-mask` of the RDB DTB: stream ID bits 14:10 are ignored by matching.
pub const SMMU_STREAM_MATCH_MASK: u32 = 0x7c00;

/// The SMMU's `interrupts`: 12 global then 64 context specifiers `<0 spi level-high>`.
const SMMU_INTERRUPTS: [u32; 3 * 76] = {
    let mut v = [0u32; 3 * 76];
    let mut i = 0;
    while i < 76 {
        v[3 * i + 1] = if i < 12 { SMMU_GLOBAL_SPIS[i] } else { SMMU_CONTEXT_SPI_BASE + (i as u32 - 12) };
        v[3 * i + 2] = IRQ_TYPE_LEVEL_HIGH;
        i += 1;
    }
    v
};

/// `arm,mmu-500` as in fsl-ls208xa.dtsi: coherent table walks, one stream-ID cell.
const SMMU_DT: DtNode = DtNode {
    name: "iommu",
    parent: DtParent::Soc,
    compatible: &["arm,mmu-500"],
    reg: DtReg::Region,
    irq_flags: 0,
    alias: None,
    props: &[
        ("#global-interrupts", DtVal::Cells(&[SMMU_GLOBAL_SPIS.len() as u32])),
        ("#iommu-cells", DtVal::Cells(&[1])),
        ("stream-match-mask", DtVal::Cells(&[SMMU_STREAM_MATCH_MASK])),
        ("dma-coherent", DtVal::Empty),
        ("interrupts", DtVal::Cells(&SMMU_INTERRUPTS)),
    ],
};

/// The fsl-mc node as in fsl-ls208xa.dtsi (ls2088a-reference.md §4.1): `reg` = the root
/// DPRC's MC portal (portal 0, 0x40 bytes) and the MC CCSR block; `ranges` maps MC region
/// type 0 (MC portals) and 1 (QBMan portals) with `#address-cells = 3`; MSIs through the
/// ITS (`msi-parent`, DeviceID = container ICID); DMA-coherent.
const FSL_MC_DT: DtNode = DtNode {
    name: "fsl-mc",
    parent: DtParent::Soc,
    compatible: &["fsl,qoriq-mc"],
    reg: DtReg::List(&[(devices::fslmc::PORTAL_BASE, 0x40), (devices::fslmc::CCSR_BASE, devices::fslmc::CCSR_SIZE)]),
    irq_flags: 0,
    alias: None,
    props: &[
        ("#address-cells", DtVal::Cells(&[3])),
        ("#size-cells", DtVal::Cells(&[1])),
        ("ranges", DtVal::Cells(&[0, 0, 0, 0x8, 0x0c00_0000, 0x400_0000, 1, 0, 0, 0x8, 0x1800_0000, 0x800_0000])),
        ("msi-parent", DtVal::Ref("its", &[])),
        ("dma-coherent", DtVal::Empty),
    ],
};

/// SP805 watchdog bases (ls2088a-reference.md §1.2): 4 KiB each.
pub const SP805_BASES: [u64; 8] = [0x0c00_0000, 0x0c01_0000, 0x0c10_0000, 0x0c11_0000, 0x0c20_0000, 0x0c21_0000, 0x0c30_0000, 0x0c31_0000];

const fn sp805(name: &'static str, i: usize) -> Region {
    Region { name, base: SP805_BASES[i], size: 0x1000, kind: Kind::Sp805, intid: None, compatible: "arm,sp805", dt: Some(&SP805_DT) }
}

/// The board table.
pub static REGIONS: &[Region] = &[
    Region { name: "dram0", base: DRAM0_BASE, size: DRAM0_SIZE, kind: Kind::Dram, intid: None, compatible: "memory", dt: None },
    Region { name: "gic", base: GIC_BASE, size: 0x20_0000, kind: Kind::Gic, intid: Some(GIC_MAINT_INTID), compatible: "arm,gic-v3", dt: Some(&GIC_DT) },
    Region { name: "its", base: GIC_BASE + 0x2_0000, size: 0x2_0000, kind: Kind::GicIts, intid: None, compatible: "arm,gic-v3-its", dt: Some(&ITS_DT) },
    Region { name: "clockgen", base: 0x0130_0000, size: 0xa_0000, kind: Kind::Clockgen, intid: None, compatible: "fsl,ls2080a-clockgen", dt: Some(&CLOCKGEN_DT) },
    Region { name: "dcfg", base: 0x01e0_0000, size: 0x1_0000, kind: Kind::Dcfg, intid: None, compatible: "fsl,ls2080a-dcfg", dt: Some(&DCFG_DT) },
    Region { name: "rcpm", base: 0x01e3_4040, size: 0x18, kind: Kind::Rcpm, intid: None, compatible: "fsl,ls208xa-rcpm", dt: Some(&RCPM_DT) },
    Region { name: "rstcr", base: 0x01e6_0000, size: 0x4, kind: Kind::Rstcr, intid: None, compatible: "fsl,ls2080a-rstcr", dt: Some(&RSTCR_DT) },
    Region {
        name: "duart1-uart0",
        base: DUART1_UART0,
        size: 0x100,
        kind: Kind::Uart16550,
        intid: Some(32 + 32),
        compatible: "fsl,ns16550",
        dt: Some(&SERIAL0_DT),
    },
    Region {
        name: "duart1-uart1",
        base: DUART1_UART1,
        size: 0x100,
        kind: Kind::Uart16550,
        intid: Some(32 + 32),
        compatible: "fsl,ns16550",
        dt: Some(&SERIAL1_DT),
    },
    Region {
        name: "duart2-uart0",
        base: 0x021d_0500,
        size: 0x100,
        kind: Kind::Uart16550,
        intid: Some(32 + 33),
        compatible: "fsl,ns16550",
        dt: Some(&SERIAL2_DT),
    },
    Region {
        name: "duart2-uart1",
        base: 0x021d_0600,
        size: 0x100,
        kind: Kind::Uart16550,
        intid: Some(32 + 33),
        compatible: "fsl,ns16550",
        dt: Some(&SERIAL3_DT),
    },
    Region { name: "smmu", base: SMMU_BASE, size: SMMU_SIZE, kind: Kind::Smmu, intid: None, compatible: "arm,mmu-500", dt: Some(&SMMU_DT) },
    Region {
        name: "fsl-mc",
        base: devices::fslmc::PORTAL_BASE,
        size: devices::fslmc::PORTAL_WINDOW,
        kind: Kind::FslMc,
        intid: None,
        compatible: "fsl,qoriq-mc",
        dt: Some(&FSL_MC_DT),
    },
    sp805("wdt0", 0),
    sp805("wdt1", 1),
    sp805("wdt2", 2),
    sp805("wdt3", 3),
    sp805("wdt4", 4),
    sp805("wdt5", 5),
    sp805("wdt6", 6),
    sp805("wdt7", 7),
];

/// Compatible strings of the nodes of Linux's `fsl-ls2088a-rdb.dts` that lsemu models
/// (or that need no device: CPUs, memory, timers, PSCI, buses, fixed clocks). The DTB
/// fix-up disables every other node that has a `compatible` and a `reg` or `interrupts`.
pub static MODELLED_COMPATIBLES: &[&str] = &[
    "arm,cortex-a72",
    "cache",
    "arm,idle-state",
    "fixed-clock",
    "arm,gic-v3",
    "fsl,ls2080a-rstcr",
    "syscon-reboot",
    "arm,armv8-timer",
    "arm,armv8-pmuv3",
    "arm,psci-0.2",
    "simple-bus",
    "fsl,ls2080a-clockgen",
    "fsl,ls2080a-dcfg",
    "fsl,ns16550",
    "arm,gic-v3-its",
    "arm,sp805",
    "arm,primecell",
    "fsl,ls208xa-rcpm",
    "fsl,qoriq-rcpm-2.1+",
    "arm,mmu-500",
    "fsl,qoriq-mc",
];

/// Compatible strings of RDB DTB nodes lsemu does not model yet: the fix-up marks them
/// `status = "disabled"` (ls2088a-reference.md §0, §1.2).
pub static UNMODELLED_COMPATIBLES: &[&str] = &[
    "fsl,ls1028a-sfp",
    "fsl,ls2080a-isc",
    "fsl,qoriq-tmu",
    "fsl,sec-v5.0",
    "fsl,dpaa2-console",
    "fsl,dpaa2-ptp",
    "fsl,fman-memac-mdio",
    "fsl,ls2080a-dspi",
    "fsl,ls2080a-esdhc",
    "fsl,ls2080a-gpio",
    "fsl,vf610-i2c",
    "fsl,ifc",
    "fsl,ls2080a-qspi",
    "fsl,ls2088a-pcie",
    "fsl,ls2080a-ahci",
    "snps,dwc3",
    "arm,ccn-504",
    "fsl,ls208xa-ftm-alarm",
    "fsl,qoriq-memory-controller",
    "linaro,optee-tz",
];

/// The DRAM banks (base, size) for `ram_size` bytes: the first 2 GiB at
/// [`DRAM0_BASE`], the rest at [`DRAM1_BASE`].
pub fn ram_banks(ram_size: u64) -> Vec<(u64, u64)> {
    let mut v = vec![(DRAM0_BASE, ram_size.min(DRAM0_SIZE))];
    if ram_size > DRAM0_SIZE {
        v.push((DRAM1_BASE, (ram_size - DRAM0_SIZE).min(DRAM1_SIZE)));
    }
    v
}

/// MPIDR_EL1 affinity of core `i` (0..8): 4 clusters of 2 cores, Aff1 = cluster.
pub fn mpidr(i: u8) -> u64 {
    ((i as u64 / 2) << 8) | (i as u64 % 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_do_not_overlap() {
        // The ITS is a sub-window of the GIC region by design.
        let top: Vec<&Region> = REGIONS.iter().filter(|r| r.kind != Kind::GicIts).collect();
        for (i, a) in top.iter().enumerate() {
            for b in &top[i + 1..] {
                assert!(a.base + a.size <= b.base || b.base + b.size <= a.base, "{} overlaps {}", a.name, b.name);
            }
        }
    }

    #[test]
    fn mpidr_matches_reference_manual() {
        // ls2088a-reference.md §1.1: 0x000,0x001,0x100,0x101,0x200,0x201,0x300,0x301.
        let want = [0x000, 0x001, 0x100, 0x101, 0x200, 0x201, 0x300, 0x301];
        for (i, w) in want.iter().enumerate() {
            assert_eq!(mpidr(i as u8), *w);
        }
    }
}
