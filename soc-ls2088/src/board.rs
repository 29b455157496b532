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
    /// Device configuration (SVR, RCW status).
    Dcfg,
    /// Clock generator (PLL and clock mux configuration).
    Clockgen,
    /// Reset control register.
    Rstcr,
}

/// One entry of the board table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub name: &'static str,
    pub base: u64,
    pub size: u64,
    pub kind: Kind,
    /// GIC INTID (SPI n = INTID n + 32), if the block has an interrupt.
    pub intid: Option<u32>,
    pub compatible: &'static str,
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

/// The board table.
pub static REGIONS: &[Region] = &[
    Region { name: "dram0", base: DRAM0_BASE, size: DRAM0_SIZE, kind: Kind::Dram, intid: None, compatible: "memory" },
    Region { name: "gic", base: GIC_BASE, size: 0x20_0000, kind: Kind::Gic, intid: None, compatible: "arm,gic-v3" },
    Region { name: "clockgen", base: 0x0130_0000, size: 0xa_0000, kind: Kind::Clockgen, intid: None, compatible: "fsl,ls2080a-clockgen" },
    Region { name: "dcfg", base: 0x01e0_0000, size: 0x1_0000, kind: Kind::Dcfg, intid: None, compatible: "fsl,ls2080a-dcfg" },
    Region { name: "rstcr", base: 0x01e6_0000, size: 0x4, kind: Kind::Rstcr, intid: None, compatible: "fsl,ls2080a-rstcr" },
    Region {
        name: "duart1-uart0",
        base: DUART1_UART0,
        size: 0x100,
        kind: Kind::Uart16550,
        intid: Some(32 + 32),
        compatible: "fsl,ns16550",
    },
    Region {
        name: "duart1-uart1",
        base: DUART1_UART1,
        size: 0x100,
        kind: Kind::Uart16550,
        intid: Some(32 + 32),
        compatible: "fsl,ns16550",
    },
    Region {
        name: "duart2-uart0",
        base: 0x021d_0500,
        size: 0x100,
        kind: Kind::Uart16550,
        intid: Some(32 + 33),
        compatible: "fsl,ns16550",
    },
    Region {
        name: "duart2-uart1",
        base: 0x021d_0600,
        size: 0x100,
        kind: Kind::Uart16550,
        intid: Some(32 + 33),
        compatible: "fsl,ns16550",
    },
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
];

/// Compatible strings of RDB DTB nodes lsemu does not model yet: the fix-up marks them
/// `status = "disabled"` (ls2088a-reference.md §0, §1.2).
pub static UNMODELLED_COMPATIBLES: &[&str] = &[
    "fsl,ls1028a-sfp",
    "fsl,ls2080a-isc",
    "fsl,qoriq-tmu",
    "arm,sp805",
    "fsl,sec-v5.0",
    "fsl,dpaa2-console",
    "fsl,dpaa2-ptp",
    "fsl,fman-memac-mdio",
    "fsl,qoriq-mc",
    "arm,mmu-500",
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
    "fsl,ls208xa-rcpm",
    "fsl,ls208xa-ftm-alarm",
    "fsl,qoriq-memory-controller",
    "linaro,optee-tz",
];

/// MPIDR_EL1 affinity of core `i` (0..8): 4 clusters of 2 cores, Aff1 = cluster.
pub fn mpidr(i: u8) -> u64 {
    ((i as u64 / 2) << 8) | (i as u64 % 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_do_not_overlap() {
        for (i, a) in REGIONS.iter().enumerate() {
            for b in &REGIONS[i + 1..] {
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
