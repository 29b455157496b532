//! PSCI/SMCCC through the real interpreter: a guest program (assembled with the GNU
//! assembler) at EL2 makes the SMCs, and a minimal "machine" loop here carries out the
//! queued actions, as soc-ls2088's machine will. Expected values: DEN0022 / DEN0028
//! return codes and the PE entry state DEN0022 §6.4 prescribes (X0 = context_id, EL2).

use cpu_aarch64::interp::{self, Exit};
use cpu_aarch64::platform::{Bus, BusAttrs, BusError, FlatRam, Hooked, PhysAddr, Platform};
use cpu_aarch64::{Cpu, CpuConfig, WaitKind};
use lsemu_firmware::psci::{enter_ns, PowerAction, Psci, PsciConfig};
use std::process::Command;

const BASE: u64 = 0x8000_0000;
const RAM: usize = 0x10_0000;

struct Plat {
    ram: FlatRam,
    psci: Psci,
}

impl Bus for Plat {
    fn read(&mut self, pa: PhysAddr, buf: &mut [u8], a: BusAttrs) -> Result<(), BusError> {
        self.ram.read(pa, buf, a)
    }
    fn write(&mut self, pa: PhysAddr, buf: &[u8], a: BusAttrs) -> Result<(), BusError> {
        self.ram.write(pa, buf, a)
    }
}

impl Platform for Plat {
    fn counter(&self) -> u64 {
        0
    }
    fn smc(&mut self, cpu: &mut Cpu, imm: u16) -> Hooked {
        self.psci.smc(cpu, imm)
    }
    fn hlt(&mut self, _cpu: &mut Cpu, imm: u16) -> Hooked {
        Hooked::Halt(imm as i32)
    }
}

/// Assembles `src` into a flat binary; `None` if binutils are missing.
fn assemble(src: &str) -> Option<Vec<u8>> {
    let dir = std::env::temp_dir().join(format!("lsemu-psci-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let (s, o, b) = (dir.join("t.s"), dir.join("t.o"), dir.join("t.bin"));
    std::fs::write(&s, src).ok()?;
    let st = Command::new("aarch64-linux-gnu-as").arg("-o").arg(&o).arg(&s).output().ok()?;
    assert!(st.status.success(), "as: {}", String::from_utf8_lossy(&st.stderr));
    let st = Command::new("aarch64-linux-gnu-objcopy").args(["-O", "binary", "-j", ".text"]).arg(&o).arg(&b).output().ok()?;
    assert!(st.status.success());
    let bytes = std::fs::read(&b).ok();
    let _ = std::fs::remove_dir_all(&dir);
    bytes
}

const PROGRAM: &str = "
    .text
_start:
    adr  x19, results
    ldr  x0, =0x84000000        // PSCI_VERSION
    smc  #0
    str  x0, [x19, #0]
    ldr  x0, =0xc4000003        // CPU_ON (SMC64): MPIDR 0x100 (cluster 1 core 0)
    mov  x1, #0x100
    adr  x2, secondary
    ldr  x3, =0x1122334455667788
    smc  #0
    str  x0, [x19, #8]
    ldr  x0, =0x80000001        // SMCCC_ARCH_FEATURES(ARCH_WORKAROUND_2)
    ldr  x1, =0x80007fff
    smc  #0
    str  x0, [x19, #16]
    ldr  x0, =0x84000001        // CPU_SUSPEND standby
    mov  x1, #0
    smc  #0
    str  x0, [x19, #24]
    hlt  #0x10
secondary:
    adr  x9, results
    str  x0, [x9, #32]          // context_id
    mrs  x1, CurrentEL
    str  x1, [x9, #40]
    ldr  x0, =0xc4000001        // CPU_SUSPEND (SMC64) power-down, resume at `resumed`
    ldr  x1, =0x10000
    adr  x2, resumed
    mov  x3, #0x55
    smc  #0
    hlt  #0x11                  // not reached: a power-down suspend does not return
resumed:
    adr  x9, results
    str  x0, [x9, #48]          // context_id of the suspend
    ldr  x0, =0x84000002        // CPU_OFF
    smc  #0
    hlt  #0x12                  // not reached
    .ltorg
    .balign 8
results:
    .fill 8, 8, 0xeeeeeeeeeeeeeeee
";

fn result(p: &Plat, bin_len: usize, i: usize) -> u64 {
    let off = bin_len - 64 + i * 8;
    u64::from_le_bytes(p.ram.mem[off..off + 8].try_into().unwrap())
}

#[test]
fn psci_through_the_interpreter() {
    let Some(bin) = assemble(PROGRAM) else {
        eprintln!("skipped: aarch64-linux-gnu binutils not installed");
        return;
    };
    let mut p = Plat { ram: FlatRam::new(BASE, RAM), psci: Psci::new(PsciConfig::ls2088a(4, vec![(BASE, RAM as u64)])) };
    p.ram.load(BASE, &bin);
    let mut cpus: Vec<Cpu> = (0..4u8)
        .map(|i| {
            let mpidr = p.psci.config().mpidrs[i as usize];
            let mut c = Cpu::new(CpuConfig { index: i, mpidr, has_el2: true, has_el3: true });
            c.off = i != 0;
            c
        })
        .collect();
    enter_ns(&mut cpus[0], BASE, [0; 4], 2);

    // CPU0 runs until its CPU_SUSPEND standby makes it wait.
    assert_eq!(interp::run(&mut cpus[0], &mut p, 10_000), Exit::Wait);
    assert_eq!(cpus[0].waiting, Some(WaitKind::Wfi));
    assert_eq!(result(&p, bin.len(), 0), 0x1_0001);
    assert_eq!(result(&p, bin.len(), 1), 0);
    assert_eq!(result(&p, bin.len(), 2), (-2i64) as u64);
    assert_eq!(cpus[0].st.x[0], 0, "CPU_SUSPEND returned SUCCESS");

    // The machine carries out the CPU_ON.
    let actions = p.psci.take_actions();
    let [PowerAction::PowerOn { target, entry, context_id, .. }] = actions[..] else { panic!("{actions:?}") };
    assert_eq!(target, 2);
    p.psci.power_on(&mut cpus[target], target, entry, context_id);

    // CPU2 records its entry state, power-down suspends, is woken, resumes, turns off.
    assert_eq!(interp::run(&mut cpus[2], &mut p, 10_000), Exit::Wait);
    cpus[2].waiting = None; // a wake-up interrupt
    assert_eq!(interp::run(&mut cpus[2], &mut p, 10_000), Exit::Off);
    assert!(cpus[2].off);
    assert_eq!(result(&p, bin.len(), 4), 0x1122_3344_5566_7788);
    assert_eq!(result(&p, bin.len(), 5), 2 << 2, "CurrentEL = EL2");
    assert_eq!(result(&p, bin.len(), 6), 0x55);

    // CPU0 wakes and finishes: its store after CPU_SUSPEND records SUCCESS.
    cpus[0].waiting = None;
    assert_eq!(interp::run(&mut cpus[0], &mut p, 10_000), Exit::Halt(0x10));
    assert_eq!(result(&p, bin.len(), 3), 0);
}
