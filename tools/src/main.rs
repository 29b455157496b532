//! The `lsemu` command line.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use firmware::loaders;
use cpu_aarch64::engine::{Engine, EngineKind, Interpreter};
use soc_ls2088::machine::Firmware;
use soc_ls2088::{Machine, MachineConfig, RunExit};

mod console;
mod fetch;
mod gdb;
mod initramfs;
mod nvme;
mod stats;
mod trace;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code for errors of lsemu itself (bad options, unreadable or malformed images).
const EXIT_USAGE: u8 = 2;
/// Exit code when every PE waits for an interrupt nothing can raise.
const EXIT_DEADLOCK: u8 = 3;
/// Exit code when --max-insns was reached.
const EXIT_INSN_LIMIT: u8 = 4;
/// Exit code when gdb killed the run (`kill`).
const EXIT_KILLED: u8 = 5;

#[derive(Parser)]
#[command(name = "lsemu", version, about = "Full-system emulator of the NXP Layerscape LS2088A (RDB board)")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a bare-metal program (ELF or raw binary) on the LS2088A-RDB memory map, starting
    /// at EL3 with the MMU off, like the board's boot ROM hands over to firmware.
    Run(RunArgs),
    /// Boot a Linux kernel (arm64 Image, gzip-compressed or EFI zboot) on the LS2088A-RDB
    /// model with the built-in EL3 firmware (PSCI), like U-Boot's booti would.
    Boot(BootArgs),
    /// Write the busybox initramfs `lsemu boot` builds (gzip'd newc cpio) to a file, e.g.
    /// to boot the same userland under another emulator.
    Initramfs(InitramfsArgs),
}

#[derive(clap::Args)]
struct InitramfsArgs {
    /// A static aarch64 busybox.
    #[arg(long, value_name = "FILE")]
    busybox: PathBuf,
    /// A shell script run by init instead of the interactive shell.
    #[arg(long, value_name = "FILE")]
    init_script: Option<PathBuf>,
    /// Output file.
    #[arg(short = 'o', long, value_name = "FILE")]
    output: PathBuf,
    /// Add a host file to the initramfs as DEST (mode 0755), e.g. `bin/vmm=./vmm`;
    /// repeatable.
    #[arg(long = "add-file", value_name = "DEST=FILE")]
    add_file: Vec<String>,
    /// Write the cpio archive uncompressed (the kernel unpacks it without inflating).
    #[arg(long)]
    no_gzip: bool,
}

/// Reads the `--add-file DEST=FILE` arguments.
fn read_add_files(specs: &[String]) -> Result<Vec<(String, Vec<u8>)>> {
    specs
        .iter()
        .map(|s| {
            let Some((dest, src)) = s.split_once('=').filter(|(d, f)| !d.is_empty() && !f.is_empty()) else {
                bail!("--add-file {s}: expected DEST=FILE");
            };
            let data = std::fs::read(src).with_context(|| format!("cannot read {src}"))?;
            Ok((dest.to_string(), data))
        })
        .collect()
}

fn write_initramfs(a: InitramfsArgs) -> Result<ExitCode> {
    let bb = std::fs::read(&a.busybox).with_context(|| format!("cannot read {}", a.busybox.display()))?;
    let script = match &a.init_script {
        Some(p) => Some(std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?),
        None => None,
    };
    let extra = read_add_files(&a.add_file)?;
    let img = if a.no_gzip {
        initramfs::busybox_cpio_with(&bb, script.as_deref(), &extra)
    } else {
        initramfs::busybox_initramfs_with(&bb, script.as_deref(), &extra)
    };
    std::fs::write(&a.output, img).with_context(|| format!("cannot write {}", a.output.display()))?;
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Args)]
struct BootArgs {
    /// The kernel: an arm64 Image, a gzip-compressed Image (Debian's vmlinuz) or EFI zboot.
    #[arg(long, value_name = "FILE", required_unless_present = "debian")]
    kernel: Option<PathBuf>,
    /// The device tree blob, e.g. Linux's freescale/fsl-ls2088a-rdb.dtb. It is fixed up
    /// like U-Boot does (/chosen, /memory, PSCI enable-method, unmodelled devices disabled).
    /// Without --dtb: with --debian, the dtb of the fetched kernel package; otherwise lsemu
    /// generates the RDB device tree from its board table (the modelled devices only, as
    /// the kernel's RDB dtb describes them, with --smp cores and --memory RAM), and it
    /// gets the same fix-up.
    #[arg(long, value_name = "FILE")]
    dtb: Option<PathBuf>,
    /// An initramfs (cpio, optionally compressed).
    #[arg(long, value_name = "FILE")]
    initrd: Option<PathBuf>,
    /// Fetch (once, then cached) Debian bookworm's arm64 kernel, its LS2088A-RDB device
    /// tree and busybox-static, and boot to a busybox shell. --kernel, --dtb and --initrd
    /// still override the fetched pieces.
    #[arg(long)]
    debian: bool,
    /// Cache directory for --debian (default: $XDG_CACHE_HOME/lsemu/debian or
    /// ~/.cache/lsemu/debian).
    #[arg(long, value_name = "DIR", requires = "debian")]
    cache: Option<PathBuf>,
    /// Debian mirror for --debian (default: $LSEMU_DEBIAN_MIRROR or https://deb.debian.org).
    #[arg(long, value_name = "URL", requires = "debian")]
    mirror: Option<String>,
    /// With --debian: re-read the archive index and fetch newer packages if any.
    #[arg(long, requires = "debian")]
    refresh: bool,
    /// A shell script run by the busybox init instead of the interactive shell (with
    /// --debian or --busybox); the machine powers off when it ends.
    #[arg(long, value_name = "FILE", conflicts_with = "initrd")]
    init_script: Option<PathBuf>,
    /// A static aarch64 busybox to build the initramfs from (instead of the one --debian
    /// fetches).
    #[arg(long, value_name = "FILE", conflicts_with = "initrd")]
    busybox: Option<PathBuf>,
    /// Add a host file to the busybox initramfs as DEST (mode 0755), e.g.
    /// `bin/vmm=./vmm`; repeatable.
    #[arg(long = "add-file", value_name = "DEST=FILE", conflicts_with = "initrd")]
    add_file: Vec<String>,
    /// A disk image (raw, size a multiple of 512) as namespace 1 of an NVMe controller
    /// on PCIe controller 1 (bus 1, device 0): the controller's DT node is enabled with
    /// `msi-map`/`iommu-map` entries for its requesters. The guest's writes go to FILE.
    #[arg(long, value_name = "FILE")]
    nvme: Option<PathBuf>,
    /// With --nvme: the namespace is write protected and FILE is opened read-only.
    #[arg(long, requires = "nvme")]
    nvme_read_only: bool,
    /// Kernel command line (dom0's with --hypervisor). Default: "console=ttyS1,115200
    /// earlycon"; with --hypervisor "console=hvc0 earlycon=xen".
    #[arg(long, value_name = "ARGS")]
    append: Option<String>,
    /// Boot the Xen hypervisor (Debian's /boot/xen-4.17-arm64, an arm64 Image) at EL2, with
    /// --kernel and --initrd as dom0's kernel and ramdisk: lsemu places them in RAM and
    /// lists them as multiboot modules in /chosen, as a Xen-aware boot loader does.
    #[arg(long, value_name = "FILE")]
    hypervisor: Option<PathBuf>,
    /// Xen's command line (/chosen/xen,xen-bootargs).
    #[arg(long, value_name = "ARGS", requires = "hypervisor", default_value = "console=dtuart dom0_mem=512M")]
    hypervisor_append: String,
    /// RAM size (e.g. 2G); beyond 2 GiB the rest goes to the second DRAM bank.
    #[arg(short = 'm', long = "memory", value_name = "SIZE", default_value = "2G", value_parser = parse_size)]
    memory: u64,
    /// Number of cores (1..8).
    #[arg(long, value_name = "N", default_value_t = 8)]
    smp: u32,
    /// Where the console goes: `stdio` (the terminal, raw mode; plain stdin/stdout when
    /// not a terminal), `pty` (a new pseudo-terminal, its path printed on stderr) or
    /// `unix:PATH` (a Unix socket; lsemu waits for one client before starting).
    #[arg(long, value_name = "DEST", default_value = "stdio", value_parser = console::parse_dest)]
    console: console::Dest,
    /// Exception level the kernel is entered at: 2 (the arm64 boot protocol's choice, so
    /// KVM can start) or 1.
    #[arg(long, value_name = "EL", default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=2))]
    entry_el: u8,
    /// Start a gdb remote stub: `tcp::PORT` (localhost), `tcp:HOST:PORT` or `unix:PATH`.
    /// Each core is a gdb thread; see README, "Debugging with gdb".
    #[arg(long, value_name = "DEST", value_parser = gdb::parse_listen)]
    gdb: Option<gdb::Listen>,
    /// With --gdb: wait for gdb before the first instruction (otherwise the guest runs
    /// and gdb can attach at any time).
    #[arg(long, requires = "gdb")]
    wait_gdb: bool,
    /// Stop after this many instructions (all cores together), with exit code 4.
    #[arg(long, value_name = "N")]
    max_insns: Option<u64>,
    /// Log filter, e.g. `cpu,mmu=debug` (tracing-subscriber EnvFilter syntax; default warn).
    #[arg(long, value_name = "FILTER")]
    log: Option<String>,
    #[command(flatten)]
    trace: trace::TraceArgs,
    /// Print run statistics to stderr at exit.
    #[arg(long)]
    stats: bool,
    /// The data-path layout the MC firmware applies at boot (NXP's DPL, as device-tree
    /// source .dts or blob .dtb, the format of nxp-qoriq/mc-utils config/*/dpl-*.dts).
    /// Default: a built-in DPL (a DPIO per core, DPBPs, DPCONs, DPMCPs, two DPNIs each
    /// connected to a DPMAC, and a child container for VFIO).
    #[arg(long, value_name = "FILE")]
    dpl: Option<PathBuf>,
    /// The MC firmware version the MC model reports (DPMNG_GET_VERSION), MAJOR.MINOR.REVISION
    /// [default: 10.28.0]. DPDK 22.11's fslmc bus refuses firmware older than 10.32.
    #[arg(long, value_name = "VERSION", value_parser = parse_mc_version)]
    mc_version: Option<(u32, u32, u32)>,
    /// Connect an emulated MAC to the host: `ENDPOINT=SPEC`, ENDPOINT a `dpmac.N` or
    /// `dpni.N` of the DPL, SPEC `tap:IFNAME`, `udp:LOCAL:PORT,REMOTE:PORT`,
    /// `unix:LOCAL_PATH,REMOTE_PATH`, `pcap:FILE` or `none`; append `,pcap=FILE` to also
    /// capture both directions. Repeatable. See README, "Networking".
    #[arg(long = "net", value_name = "ENDPOINT=SPEC")]
    net: Vec<String>,
    /// Execution engine: `interp` (the reference interpreter) or `jit` (the A64 to x86-64
    /// translator). Both must give the same guest behaviour.
    #[arg(long, value_name = "ENGINE", default_value = "jit")]
    engine: String,
}

#[derive(clap::Args)]
struct RunArgs {
    /// The program: an AArch64 ELF executable (entry point from its header) or a raw
    /// binary (loaded at --load-addr).
    #[arg(long, value_name = "FILE")]
    bios: PathBuf,
    /// Load address and entry point of a raw binary (default: start of DRAM, 0x80000000).
    #[arg(long, value_name = "ADDR", value_parser = parse_u64)]
    load_addr: Option<u64>,
    /// Enable Arm semihosting (HLT #0xF000): console output and exit codes for test programs.
    #[arg(long)]
    semihosting: bool,
    /// Command line returned by semihosting SYS_GET_CMDLINE.
    #[arg(long, value_name = "ARGS", default_value = "")]
    semihosting_cmdline: String,
    /// RAM size (e.g. 512M, 2G, 4G); beyond 2 GiB the rest goes to the second DRAM bank.
    #[arg(short = 'm', long = "memory", value_name = "SIZE", default_value = "2G", value_parser = parse_size)]
    memory: u64,
    /// Number of cores (1..8); secondaries stay off until PSCI CPU_ON.
    #[arg(long, value_name = "N", default_value_t = 1)]
    smp: u32,
    /// Start a gdb remote stub: `tcp::PORT` (localhost), `tcp:HOST:PORT` or `unix:PATH`.
    /// Each core is a gdb thread; see README, "Debugging with gdb".
    #[arg(long, value_name = "DEST", value_parser = gdb::parse_listen)]
    gdb: Option<gdb::Listen>,
    /// With --gdb: wait for gdb before the first instruction (otherwise the guest runs
    /// and gdb can attach at any time).
    #[arg(long, requires = "gdb")]
    wait_gdb: bool,
    /// Stop after this many instructions (all cores together), with exit code 4.
    #[arg(long, value_name = "N")]
    max_insns: Option<u64>,
    /// Log filter, e.g. `cpu,mmu=debug` or `trace` (tracing-subscriber EnvFilter syntax;
    /// default warn).
    #[arg(long, value_name = "FILTER")]
    log: Option<String>,
    #[command(flatten)]
    trace: trace::TraceArgs,
    /// Connect an emulated MAC to the host: `ENDPOINT=SPEC`, ENDPOINT a `dpmac.N` or
    /// `dpni.N` of the DPL, SPEC `tap:IFNAME`, `udp:LOCAL:PORT,REMOTE:PORT`,
    /// `unix:LOCAL_PATH,REMOTE_PATH`, `pcap:FILE` or `none`; append `,pcap=FILE` to also
    /// capture both directions. Repeatable. See README, "Networking".
    #[arg(long = "net", value_name = "ENDPOINT=SPEC")]
    net: Vec<String>,
    /// Print run statistics to stderr at exit.
    #[arg(long)]
    stats: bool,
    /// Execution engine: `interp` (the reference interpreter) or `jit` (the A64 to x86-64
    /// translator). Both must give the same guest behaviour.
    #[arg(long, value_name = "ENGINE", default_value = "jit")]
    engine: String,
}

fn parse_u64(s: &str) -> std::result::Result<u64, String> {
    let t = s.replace('_', "");
    let r = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u64::from_str_radix(h, 16)
    } else {
        t.parse()
    };
    r.map_err(|_| format!("'{s}' is not a number (decimal or 0x-prefixed hex)"))
}

fn parse_size(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim();
    let (num, mul) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m = match c.to_ascii_uppercase() {
                'K' => 1u64 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                _ => return Err(format!("'{s}': unknown size suffix '{c}' (use K, M, G or T)")),
            };
            (&t[..i], m)
        }
        _ => (t, 1 << 20), // a bare number is MiB, as with QEMU's -m
    };
    let n: u64 = num.parse().map_err(|_| format!("'{s}' is not a size (e.g. 512M, 2G)"))?;
    n.checked_mul(mul).ok_or_else(|| format!("'{s}' is too large"))
}

fn init_tracing(filter: Option<&str>) -> Result<()> {
    use tracing_subscriber::EnvFilter;
    let f = match filter {
        Some(f) => EnvFilter::try_new(f).with_context(|| format!("bad --log filter '{f}'"))?,
        None => EnvFilter::new("warn"),
    };
    tracing_subscriber::fmt().with_env_filter(f).with_writer(std::io::stderr).with_target(true).without_time().init();
    Ok(())
}

fn run(a: RunArgs) -> Result<ExitCode> {
    let engine = parse_engine(&a.engine)?;
    init_tracing(a.log.as_deref())?;
    let tracer = trace::setup(&a.trace)?;
    let nets = open_nets(&a.net, &devices::fslmc::dpl::default_layout())?;
    let path = a.bios.display().to_string();
    let data = std::fs::read(&a.bios).with_context(|| format!("cannot read {path}"))?;
    let img = if loaders::elf::is_elf(&data) {
        if a.load_addr.is_some() {
            bail!("{path}: --load-addr is for raw binaries; an ELF file gives its own addresses");
        }
        loaders::elf::load(&data, &path)?
    } else {
        loaders::raw(data, a.load_addr.unwrap_or(soc_ls2088::board::DRAM0_BASE), &path)?
    };
    let mut m = Machine::new(MachineConfig {
        ram_size: a.memory,
        smp: a.smp,
        semihosting: a.semihosting,
        firmware: Firmware::BareMetal,
        console: Box::new(|| Box::new(console::Stdout)),
        stderr: Box::new(std::io::stderr()),
    })?;
    for (ep, b) in nets {
        m.attach_net_backend(ep, b);
    }
    if let Some(sh) = m.semihosting_mut() {
        sh.cmdline = a.semihosting_cmdline.clone();
    }
    m.set_engine(new_engine(engine));
    m.load_boot_image(&img).with_context(|| format!("cannot load {path}"))?;
    if let Some((t, _)) = &tracer {
        m.set_tracer(t.clone());
    }
    let start = std::time::Instant::now();
    let exit = match &a.gdb {
        Some(l) => match gdb::run(&mut m, l, a.wait_gdb, a.max_insns)? {
            gdb::Outcome::Exit(x) => x,
            gdb::Outcome::Killed => return Ok(killed()),
        },
        None => m.run(a.max_insns),
    };
    if let Some((_, sink)) = &tracer {
        sink.flush();
    }
    Ok(finish(&m, exit, start, a.stats))
}

/// The run ended because gdb killed it.
fn killed() -> ExitCode {
    let _ = std::io::stdout().flush();
    eprintln!("lsemu: killed by gdb");
    ExitCode::from(EXIT_KILLED)
}

/// The exit code `lsemu` ends with for a machine exit (gdb is told it as the exit status).
pub(crate) fn exit_code_of(exit: &RunExit) -> u8 {
    match exit {
        RunExit::Halt(code) => *code as u8,
        RunExit::AllOff | RunExit::UserQuit | RunExit::Reset | RunExit::Debug { .. } => 0,
        RunExit::Deadlock { .. } | RunExit::ExceptionLoop { .. } => EXIT_DEADLOCK,
        RunExit::InsnLimit => EXIT_INSN_LIMIT,
    }
}

/// `--engine` (checked here rather than by clap so that a bad value gives one line).
fn parse_engine(s: &str) -> Result<EngineKind> {
    s.parse::<EngineKind>().map_err(|e| anyhow::anyhow!("--engine: {e}"))
}

/// The engine `--engine` asked for.
fn new_engine(k: EngineKind) -> Box<dyn Engine> {
    match k {
        EngineKind::Interp => Box::new(Interpreter),
        EngineKind::Jit => Box::new(jit::Jit::new()),
    }
}

fn finish(m: &Machine, exit: RunExit, start: std::time::Instant, stats: bool) -> ExitCode {
    let _ = std::io::stdout().flush();
    if stats {
        eprint!("{}", stats::report(m, start.elapsed().as_secs_f64()));
    }
    match exit {
        RunExit::Halt(code) => ExitCode::from(code as u8),
        RunExit::AllOff | RunExit::UserQuit => ExitCode::SUCCESS,
        RunExit::Reset => {
            eprintln!("lsemu: the guest requested a system reset");
            ExitCode::SUCCESS
        }
        RunExit::Deadlock { pcs } => {
            let pcs: Vec<String> = pcs.iter().map(|p| format!("{p:#x}")).collect();
            eprintln!("lsemu: every core waits for an interrupt that nothing will raise (pc {})", pcs.join(", "));
            ExitCode::from(EXIT_DEADLOCK)
        }
        RunExit::ExceptionLoop { cpu, pc, esr, el } => {
            eprintln!(
                "lsemu: cpu{cpu} is stuck taking exceptions at pc {pc:#x} (EL{el}, last ESR {esr:#x}): no usable vector table?"
            );
            ExitCode::from(EXIT_DEADLOCK)
        }
        RunExit::InsnLimit => {
            eprintln!("lsemu: stopped after --max-insns instructions");
            ExitCode::from(EXIT_INSN_LIMIT)
        }
        // Only a run under gdb stops for the debugger, and it does not end there.
        RunExit::Debug { .. } => ExitCode::SUCCESS,
    }
}

fn boot(a: BootArgs) -> Result<ExitCode> {
    let engine = parse_engine(&a.engine)?;
    init_tracing(a.log.as_deref())?;
    let tracer = trace::setup(&a.trace)?;
    let dpl = match &a.dpl {
        Some(p) => {
            let data = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
            let l = devices::fslmc::dpl::load(&data).map_err(|e| anyhow::anyhow!("DPL {}: {e}", p.display()))?;
            for w in l.unmodelled() {
                eprintln!("lsemu: warning: DPL {}: {w}", p.display());
            }
            Some(l)
        }
        None => None,
    };
    let mut nets = match &dpl {
        Some(l) => open_nets(&a.net, l)?,
        None => open_nets(&a.net, &devices::fslmc::dpl::default_layout())?,
    };
    // Check the NVMe disk image before anything else (one error line on a bad one).
    if let Some(p) = &a.nvme {
        nvme::open(p, a.nvme_read_only)?;
    }
    let (kfile, mut dtb, initrd) = debian_inputs(&a)?;
    let kpath = kfile.display().to_string();
    if a.nvme.is_some() {
        use soc_ls2088::board::{PCIE1_DT_PATH, PCIE1_EP_RID, PCIE1_EP_STREAM_ID, PCIE1_RP_STREAM_ID};
        dtb = firmware::dtb::enable_pcie(&dtb, PCIE1_DT_PATH, &[(0, PCIE1_RP_STREAM_ID), (PCIE1_EP_RID, PCIE1_EP_STREAM_ID)])
            .context("--nvme: cannot enable the PCIe controller in the device tree")?;
    }
    let mut ram = vec![(soc_ls2088::board::DRAM0_BASE, a.memory.min(soc_ls2088::board::DRAM0_SIZE))];
    if a.memory > soc_ls2088::board::DRAM0_SIZE {
        ram.push((soc_ls2088::board::DRAM1_BASE, a.memory - soc_ls2088::board::DRAM0_SIZE));
    }
    // (Under --hypervisor, Xen 4.17 cannot give the fsl-mc bus to dom0: firmware::xen
    // marks it `xen,passthrough`.)
    let unmodelled: Vec<String> = soc_ls2088::board::UNMODELLED_COMPATIBLES
        .iter()
        .filter(|c| a.nvme.is_none() || **c != "fsl,ls2088a-pcie")
        .map(|s| s.to_string())
        .collect();
    let cpu_mpidrs = Some((0..a.smp as u8).map(soc_ls2088::board::mpidr).collect());
    let boot = if let Some(hv) = &a.hypervisor {
        if a.entry_el != 2 {
            bail!("--entry-el {}: Xen is entered at EL2", a.entry_el);
        }
        let hpath = hv.display().to_string();
        let xen = std::fs::read(hv).with_context(|| format!("cannot read {hpath}"))?;
        let kernel = std::fs::read(&kfile).with_context(|| format!("cannot read {kpath}"))?;
        let cfg = firmware::xen::XenBootConfig {
            ram,
            xen_args: a.hypervisor_append.clone(),
            dom0_args: a.append.clone().unwrap_or_else(|| DEFAULT_DOM0_APPEND.into()),
            unmodelled,
            mc_iommu_map: true,
            cpu_mpidrs,
        };
        let xb = firmware::xen::prepare(&xen, &hpath, &kernel, &kpath, &dtb, initrd, &cfg).context("cannot prepare the Xen boot")?;
        if !xb.irq_sharers.is_empty() {
            eprintln!("lsemu: sharing the interrupt Xen keeps for its console UART, marked xen,passthrough (not dom0's): {}", xb.irq_sharers.join(", "));
        }
        if !xb.not_for_dom0.is_empty() {
            let why: Vec<String> = firmware::xen::NOT_FOR_DOM0.iter().map(|(c, r)| format!("{c}: {r}")).collect();
            eprintln!("lsemu: marked xen,passthrough, not dom0's ({}): {}", why.join("; "), xb.not_for_dom0.join(", "));
        }
        tracing::info!(target: "boot", "Xen at {:#x}, DTB at {:#x}, dom0 modules {:x?}", xb.boot.kernel.entry, xb.boot.dtb.addr, xb.modules);
        xb.boot
    } else {
        let cfg = firmware::linux::LinuxBootConfig {
            ram,
            bootargs: a.append.clone().unwrap_or_else(|| DEFAULT_APPEND.into()),
            unmodelled,
            mc_iommu_map: true,
            entry_el: a.entry_el,
            cpu_mpidrs,
        };
        // The kernel Image is read straight into guest RAM by `load_linux`.
        firmware::linux::prepare_file(&kfile, &dtb, initrd, &cfg).context("cannot prepare the Linux boot")?
    };
    if let Some(ph) = boot.report.mc_smmu_phandle {
        let (b, n) = (firmware::dtb::MC_ICID_BASE, firmware::dtb::MC_ICID_COUNT);
        tracing::info!(target: "boot", "device tree: fsl-mc iommu-map = <{b} &smmu({ph:#x}) {b} {n}>: ICIDs {b}..{} are SMMU stream IDs (U-Boot's fix-up; VFIO needs it)", b + n - 1);
    }
    if !boot.report.disabled.is_empty() {
        tracing::info!(target: "boot", "device tree: disabled unmodelled devices: {}", boot.report.disabled.join(", "));
        eprintln!("lsemu: not modelled yet, disabled in the device tree: {}", boot.report.disabled.join(", "));
    }
    let mut con = console::Console::open(&a.console)?;
    let start = std::time::Instant::now();
    loop {
        let mut m = Machine::new(MachineConfig {
            ram_size: a.memory,
            smp: a.smp,
            semihosting: false,
            firmware: Firmware::Builtin,
            console: con.factory(),
            stderr: Box::new(std::io::stderr()),
        })?;
        m.set_engine(new_engine(engine));
        if let Some(l) = &dpl {
            m.set_dpl(l.clone());
        }
        if let Some(v) = a.mc_version {
            m.set_mc_version(v);
        }
        for (ep, b) in std::mem::take(&mut nets) {
            m.attach_net_backend(ep, b);
        }
        if let Some(p) = &a.nvme {
            m.attach_pcie(nvme::endpoint(nvme::open(p, a.nvme_read_only)?, a.nvme_read_only));
        }
        m.load_linux(&boot)?;
        if let Some((t, _)) = &tracer {
            m.set_tracer(t.clone());
        }
        con.attach(&mut m);
        let exit = match &a.gdb {
            Some(l) => match gdb::run(&mut m, l, a.wait_gdb, a.max_insns) {
                Ok(gdb::Outcome::Exit(x)) => x,
                Ok(gdb::Outcome::Killed) => {
                    con.detach(&mut m);
                    return Ok(killed());
                }
                Err(e) => {
                    con.detach(&mut m);
                    return Err(e);
                }
            },
            None => m.run(a.max_insns),
        };
        con.detach(&mut m);
        if let Some((_, sink)) = &tracer {
            sink.flush();
        }
        if exit == RunExit::Reset {
            // `reboot` in the guest (RSTCR or PSCI SYSTEM_RESET): a new machine, the same
            // images, as a power cycle of the board.
            eprintln!("lsemu: system reset");
            nets = m.take_net_backends();
            continue;
        }
        drop(con);
        return Ok(finish(&m, exit, start, a.stats));
    }
}

/// The `--net` backends: each endpoint checked against the layout the MC applies, then
/// the host side opened (so a bad spec stops lsemu before the guest starts).
fn open_nets(specs: &[String], layout: &devices::fslmc::objects::Layout) -> Result<Vec<devices::net::Attached>> {
    for s in specs {
        devices::net::check_endpoint(layout, devices::net::spec_endpoint(s)?)?;
    }
    Ok(devices::net::parse_all(specs)?)
}

/// The kernel command line without --append.
const DEFAULT_APPEND: &str = "console=ttyS1,115200 earlycon";
/// dom0's command line without --append: Xen's console (hvc0), Xen's earlycon.
const DEFAULT_DOM0_APPEND: &str = "console=hvc0 earlycon=xen";

/// (kernel path, DTB, initramfs); the kernel is read later (see `boot`).
type BootFiles = (PathBuf, Vec<u8>, Option<Vec<u8>>);

/// Reads kernel, DTB and initramfs: from the given files, or for `--debian` from the
/// Debian cache (fetching it if needed) with a busybox initramfs built here.
fn debian_inputs(a: &BootArgs) -> Result<BootFiles> {
    let read = |p: &PathBuf| std::fs::read(p).with_context(|| format!("cannot read {}", p.display()));
    if a.init_script.is_some() && !a.debian && a.busybox.is_none() {
        bail!("--init-script needs --busybox FILE or --debian (it runs in the busybox initramfs lsemu builds)");
    }
    let needs_busybox = a.initrd.is_none() && a.busybox.is_none();
    let fetched = if a.debian && (a.kernel.is_none() || a.dtb.is_none() || needs_busybox) {
        let src = fetch::Source {
            mirror: a.mirror.clone().or_else(|| std::env::var("LSEMU_DEBIAN_MIRROR").ok()).unwrap_or_else(|| fetch::DEFAULT_MIRROR.into()),
            suite: std::env::var("LSEMU_DEBIAN_SUITE").unwrap_or_else(|_| fetch::DEFAULT_SUITE.into()),
            cache: match &a.cache {
                Some(c) => c.clone(),
                None => fetch::default_cache()?,
            },
            refresh: a.refresh,
        };
        let f = fetch::fetch(&src)?;
        eprintln!("lsemu: booting {} (cached in {})", f.description, src.cache.display());
        Some(f)
    } else {
        None
    };
    let pick = |given: &Option<PathBuf>, cached: fn(&fetch::Fetched) -> &PathBuf| -> Result<PathBuf> {
        match (given, &fetched) {
            (Some(p), _) => Ok(p.clone()),
            (None, Some(f)) => Ok(cached(f).clone()),
            (None, None) => bail!("give --kernel FILE, or --debian"),
        }
    };
    let kfile = pick(&a.kernel, |f| &f.kernel)?;
    // Only checked here (so a bad kernel path is the first error, as before): a plain
    // Image is read later, straight into guest RAM.
    std::fs::File::open(&kfile).with_context(|| format!("cannot read {}", kfile.display()))?;
    let dtb = match (&a.dtb, &fetched) {
        (Some(p), _) => read(p)?,
        (None, Some(f)) => read(&f.dtb)?,
        // No --dtb, no --debian: the device tree generated from the board table.
        (None, None) => soc_ls2088::fdt::generate(&soc_ls2088::fdt::FdtConfig { ram_size: a.memory, smp: a.smp })
            .context("cannot generate the device tree")?,
    };
    let script = a.init_script.as_ref().map(read).transpose()?;
    let extra = read_add_files(&a.add_file)?;
    let initrd = match (&a.initrd, &a.busybox, &fetched) {
        (Some(p), _, _) => Some(read(p)?),
        (None, Some(b), _) => Some(initramfs::busybox_initramfs_with(&read(b)?, script.as_deref(), &extra)),
        (None, None, Some(f)) => Some(initramfs::busybox_initramfs_with(&read(&f.busybox)?, script.as_deref(), &extra)),
        (None, None, None) => None,
    };
    Ok((kfile, dtb, initrd))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let r = match cli.cmd {
        Cmd::Run(a) => run(a),
        Cmd::Boot(a) => boot(a),
        Cmd::Initramfs(a) => write_initramfs(a),
    };
    match r {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lsemu: error: {e:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// `--mc-version`: MAJOR.MINOR.REVISION, three decimal numbers.
fn parse_mc_version(s: &str) -> Result<(u32, u32, u32), String> {
    let p: Vec<u32> = s.split('.').map(|x| x.parse::<u32>()).collect::<Result<_, _>>().map_err(|_| format!("{s:?} is not MAJOR.MINOR.REVISION"))?;
    match p[..] {
        [a, b, c] => Ok((a, b, c)),
        _ => Err(format!("{s:?} is not MAJOR.MINOR.REVISION")),
    }
}
