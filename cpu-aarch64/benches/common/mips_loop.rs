// The guest loop both MIPS benchmarks run (cpu-aarch64's interpreter bench and lsemu-jit's
// engine bench include this file): a 7-instruction loop with a load and a store, at EL3
// with the MMU off or at EL1 with a one-block identity map.

const CODE: [u32; 11] = [
    0xd2800000, 0xd2b00003, 0x91400463, 0x91000c00, 0xca010002, 0xf9400464, 0x8b020084, 0xf9000464, 0xf1000421,
    0x54ffff41, 0x14000000,
];
const BASE: u64 = 0x8000_0000;

fn setup(mmu: bool) -> (Cpu, FlatRam) {
    let mut ram = FlatRam::new(BASE, 1 << 20);
    let bytes: Vec<u8> = CODE.iter().flat_map(|w| w.to_le_bytes()).collect();
    ram.load(BASE, &bytes);
    let mut cpu = Cpu::new(CpuConfig::default());
    cpu.reset(BASE);
    cpu.st.x[1] = u64::MAX; // loop "forever"; the budget ends the run
    if mmu {
        // EL1, 4K granule, T0SZ = 32 (4 GiB, walk starts at level 1), one 1 GiB block
        // at 0x8000_0000 (level-1 entry 2): Normal WB (MAIR attr 0 = 0xff), AF, inner
        // shareable, EL1 RW.
        let tt = BASE + 0x10000;
        let desc = BASE | (1 << 10) | (3 << 8) | 0b01;
        ram.load(tt + 2 * 8, &desc.to_le_bytes());
        cpu.sys.mair[1] = 0xff;
        cpu.sys.tcr[1] = 32 | (0b01 << 8) | (0b01 << 10) | (0b11 << 12) | (1 << 23); // IRGN/ORGN WB, ISH, EPD1
        cpu.sys.ttbr0[1] = tt;
        cpu.sys.sctlr[1] |= 1 | (1 << 2) | (1 << 12);
        cpu.sys.scr_el3 |= 1 | (1 << 10); // NS, RW
        cpu.sys.hcr_el2 |= 1 << 31; // RW
        cpu.st.pstate.el = 1;
    }
    (cpu, ram)
}
