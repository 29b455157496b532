//! The LS2088A Management Complex (MC) as Linux 6.1 and DPDK see it: its CCSR registers,
//! its command portals, and a model of the MC firmware that answers DPMNG, DPRC, DPMCP,
//! DPIO, DPBP, DPCON, DPNI and DPMAC commands (generic ones for the other object types)
//! from an object model built from a DPL (ls2088a-reference.md §4).
//!
//! Seams to the rest of the machine:
//! - MMIO: [`Mc::ccsr_read`]/[`Mc::ccsr_write`] for the 256 KiB CCSR block at
//!   [`CCSR_BASE`], [`Mc::portal_read`]/[`Mc::portal_write`] for the 64 MiB portal window
//!   at [`PORTAL_BASE`] (portal n at n × 64 KiB). A command runs synchronously when the
//!   header's last byte is written with status READY.
//! - Interrupts: the MC raises MSIs as writes of `data` to `addr` with requester ICID
//!   `icid`; they queue as [`MsiWrite`]s that the machine drains with
//!   [`Mc::take_msis`] and delivers: translate `addr` through the SMMU with
//!   StreamID = ICID (when an SMMU is modelled), then a write to GITS_TRANSLATER is an
//!   ITS translation with DeviceID = ICID (ls2088a-reference.md §2.3).
//! - DMA and the data path: the MC owns the QBMan engine ([`Mc::qbman`]); DPNI frames
//!   (`dpni.rs`, `datapath.rs`) are read and written through an [`dpni::IcidDma`] — guest
//!   memory as the DPNI container's ICID sees it through the SMMU — when the machine calls
//!   [`Mc::pump`] / [`Mc::pump_net`] after each MC or QBMan access and at quantum
//!   boundaries. Commands whose data sits in guest memory (DPNI key configurations)
//!   answer UNSUPPORTED_OP.

pub mod cmd;
mod datapath;
pub mod dpl;
pub mod dpni;
pub mod keygen;
pub mod dprc;
pub mod fuzz;
pub mod dts;
mod fw;
pub mod objects;
#[cfg(test)]
mod cmd_tests;
#[cfg(test)]
mod dprc_tests;
#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod dpni_tests;

use crate::{MmioError, MmioResult, Size};
use cmd::Params;
use objects::{Layout, ObjType};
use std::collections::BTreeMap;

/// MC CCSR block (ls2088a-reference.md §4.2; fsl-mc node `reg[1]`).
pub const CCSR_BASE: u64 = 0x0834_0000;
pub const CCSR_SIZE: u64 = 0x4_0000;
/// MC portal window (`reg[0]` = portal 0 of the root DPRC; `ranges` type 0).
pub const PORTAL_BASE: u64 = 0x8_0C00_0000;
pub const PORTAL_WINDOW: u64 = 0x400_0000;
pub const PORTAL_STRIDE: u64 = 0x1_0000;
/// QBMan software portal window (`ranges` type 1): CENA at +p × 64 KiB, CINH at
/// +64 MiB + p × 64 KiB.
pub const QBMAN_BASE: u64 = 0x8_1800_0000;
pub const QBMAN_CINH_OFFSET: u64 = 0x400_0000;

/// CCSR register offsets (fsl-mc-bus.c; U-Boot drivers/net/fsl-mc/mc.c).
pub const GCR1: u64 = 0x00;
pub const GSR: u64 = 0x08;
pub const SICBALR: u64 = 0x10;
pub const SICBAHR: u64 = 0x14;
pub const SICAPR: u64 = 0x18;
pub const MCFBALR: u64 = 0x20;
pub const MCFBAHR: u64 = 0x24;
pub const MCFAPR: u64 = 0x28;
/// GCR1 bits that stop the MC's two cores (fsl-mc-bus.c GCR1_P1_STOP/P2_STOP).
pub const GCR1_P1_STOP: u32 = 1 << 31;
pub const GCR1_P2_STOP: u32 = 1 << 30;
/// GSR after a successful boot with the DPL applied: BOOT_DONE, no error, boot code 0
/// (ls2088a-reference.md §4.2; 0xDD in [15:8] would mean "DPL processing was not started").
pub const GSR_BOOTED: u32 = 0x1;

/// The firmware version the model reports: MC 10.28.0, whose API versions are those of
/// [`ObjType::api_version`]. Linux 6.1 only prints it ("MC firmware version: 10.28.0").
pub const MC_VERSION: (u32, u32, u32) = (10, 28, 0);
/// SoC version for DPMNG_GET_SOC_VERSION: the LS2088A rev 1.0 SVR (DCFG SVR,
/// ls2088a-reference.md §1.3) and the Cortex-A72 r0p3 MIDR as the PVR.
pub const SOC_SVR: u32 = 0x8709_0010;
pub const SOC_PVR: u32 = 0x410f_d083;

/// An MSI the MC raises: `data` written to `addr` by requester `icid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsiWrite {
    pub icid: u16,
    pub addr: u64,
    pub data: u32,
}

/// What an open token refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handle {
    Container(u32),
    Obj(ObjType, u32),
}

/// One command portal's buffer and its open tokens.
#[derive(Debug, Clone, Default)]
struct Portal {
    words: [u64; 8],
    tokens: BTreeMap<u16, Handle>,
    next_token: u16,
}

/// The Management Complex.
pub struct Mc {
    pub layout: Layout,
    gcr1: u32,
    gsr: u32,
    sic: [u32; 3],
    mcfba: [u32; 2],
    mcfapr: u32,
    portals: BTreeMap<u32, Portal>,
    msis: Vec<MsiWrite>,
    /// Commands answered UNSUPPORTED_OP, warned about once each.
    warned: std::collections::BTreeSet<(ObjType, u16)>,
    /// Number of commands executed (for statistics and tests).
    pub commands: u64,
    /// The QBMan engine (software portals, frame queues, buffer pools) the DPAA2 objects
    /// of this MC use.
    pub qbman: crate::qbman::Qbman,
    /// Data-path state of each DPNI, by id.
    pub dpnis: BTreeMap<u32, dpni::Dpni>,
    /// QBMan configuration produced by commands, applied at the next pump.
    pub(crate) qb_ops: Vec<dpni::QbOp>,
    /// Frames waiting for Rx by a DPNI (delivered at the next pump, FIFO).
    pub(crate) rx_pending: dpni::RxQueue,
    /// Frames DPNIs transmitted towards the outside (a DPMAC or no connection), for the
    /// host backends at the end of the pump: (dpni id, bytes).
    pub(crate) host_tx: Vec<(u32, Vec<u8>)>,
    /// Container-management state (plugged objects, locks, resource pools; dprc.rs).
    pub dprc: dprc::DprcState,
    /// The firmware version DPMNG_GET_VERSION reports: [`MC_VERSION`] unless set otherwise
    /// (`lsemu boot --mc-version`; DPDK 22.11's fslmc bus wants 10.32 or later).
    pub fw_version: (u32, u32, u32),
    /// DMA reads the command being executed asks for (DPNI key configurations, flow
    /// steering keys: datapath.rs); its portal then waits in `dma_wait` for the next
    /// pump, which runs it again with the results in `dma_in`.
    pub(crate) dma_req: Option<dpni::DmaReq>,
    pub(crate) dma_in: Option<Vec<Option<Vec<u8>>>>,
    pub(crate) dma_wait: Vec<(u32, dpni::DmaReq)>,
}

impl Mc {
    /// An MC that has booted and applied `layout` (GSR = BOOT_DONE).
    pub fn new(layout: Layout) -> Mc {
        let mut mc = Mc {
            dprc: dprc::DprcState::new(&layout),
            layout,
            gcr1: 0,
            gsr: GSR_BOOTED,
            sic: [0; 3],
            mcfba: [0; 2],
            mcfapr: 0,
            portals: BTreeMap::new(),
            msis: Vec::new(),
            warned: Default::default(),
            commands: 0,
            qbman: crate::qbman::Qbman::new(),
            dpnis: BTreeMap::new(),
            qb_ops: Vec::new(),
            rx_pending: Default::default(),
            host_tx: Vec::new(),
            fw_version: MC_VERSION,
            dma_req: None,
            dma_in: None,
            dma_wait: Vec::new(),
        };
        mc.init_data_path();
        mc
    }

    /// Whether the MC cores run (GCR1 stop bits clear): commands execute only then.
    pub fn running(&self) -> bool {
        self.gcr1 & (GCR1_P1_STOP | GCR1_P2_STOP) == 0
    }

    /// MSIs raised since the last call.
    pub fn take_msis(&mut self) -> Vec<MsiWrite> {
        std::mem::take(&mut self.msis)
    }

    /// The container/object tree as text (for a monitor view).
    pub fn describe(&self) -> String {
        let mut s = format!(
            "MC firmware {}.{}.{}, {}, {} commands\n",
            self.fw_version.0,
            self.fw_version.1,
            self.fw_version.2,
            if self.running() { "running" } else { "stopped (GCR1)" },
            self.commands
        );
        s.push_str(&self.layout.describe());
        s.push_str(&self.dprc.describe());
        s
    }

    pub fn ccsr_read(&mut self, off: u64, size: Size) -> MmioResult<u64> {
        if size != Size::B4 {
            return Err(MmioError::BadSize);
        }
        Ok(match off {
            GCR1 => self.gcr1,
            GSR => self.gsr,
            SICBALR => self.sic[0],
            SICBAHR => self.sic[1],
            SICAPR => self.sic[2],
            MCFBALR => self.mcfba[0],
            MCFBAHR => self.mcfba[1],
            MCFAPR => self.mcfapr,
            _ => return Err(MmioError::NoRegister),
        } as u64)
    }

    pub fn ccsr_write(&mut self, off: u64, size: Size, val: u64) -> MmioResult<()> {
        if size != Size::B4 {
            return Err(MmioError::BadSize);
        }
        let v = val as u32;
        match off {
            GCR1 => {
                let was = self.running();
                self.gcr1 = v;
                if !was && self.running() {
                    // Commands posted while the MC was stopped run now.
                    let ready: Vec<u32> = self.portals.iter().filter(|(_, p)| cmd::hdr_status(p.words[0]) == cmd::status::READY).map(|(&n, _)| n).collect();
                    for n in ready {
                        self.run_portal(n);
                    }
                }
            }
            GSR => {} // status, read-only for software
            SICBALR => self.sic[0] = v,
            SICBAHR => self.sic[1] = v,
            SICAPR => self.sic[2] = v,
            MCFBALR => self.mcfba[0] = v,
            MCFBAHR => self.mcfba[1] = v,
            MCFAPR => self.mcfapr = v,
            _ => return Err(MmioError::NoRegister),
        }
        Ok(())
    }

    /// Reads of the portal window: the 64-byte command area of portal `off / 64 KiB`;
    /// the rest of each portal page reads as zero.
    pub fn portal_read(&mut self, off: u64, size: Size) -> MmioResult<u64> {
        let n = (off / PORTAL_STRIDE) as u32;
        let o = (off % PORTAL_STRIDE) as usize;
        if o & (size.bytes() - 1) != 0 {
            return Err(MmioError::Unaligned);
        }
        if o >= 64 {
            return Ok(0);
        }
        let Some(p) = self.portals.get(&n) else { return Ok(0) };
        let w = p.words[o / 8];
        let sh = (o % 8) * 8;
        let mask = if size == Size::B8 { u64::MAX } else { (1u64 << (size.bytes() * 8)) - 1 };
        Ok((w >> sh) & mask)
    }

    pub fn portal_write(&mut self, off: u64, size: Size, val: u64) -> MmioResult<()> {
        let n = (off / PORTAL_STRIDE) as u32;
        let o = (off % PORTAL_STRIDE) as usize;
        if o & (size.bytes() - 1) != 0 {
            return Err(MmioError::Unaligned);
        }
        if o >= 64 {
            return Err(MmioError::NoRegister);
        }
        if self.layout.portal_owner(n).is_none() && !self.dprc.orphans.contains(&n) {
            // No container or DPMCP owns this portal: nothing listens.
            return Err(MmioError::NoRegister);
        }
        let p = self.portals.entry(n).or_default();
        let sh = (o % 8) * 8;
        let mask = if size == Size::B8 { u64::MAX } else { ((1u64 << (size.bytes() * 8)) - 1) << sh };
        let w = &mut p.words[o / 8];
        *w = (*w & !mask) | ((val << sh) & mask);
        // The command is posted by the header write that carries the status byte (byte 2,
        // in the low 32-bit word): Linux writes the header with one 64-bit store; DPDK's
        // mc_write_command (drivers/bus/fslmc/mc/fsl_mc_cmd.h) writes the high word (command
        // id, token) first and the low word (flags, status READY) last, to submit.
        if o <= 2 && o + size.bytes() > 2 && cmd::hdr_status(p.words[0]) == cmd::status::READY && self.running() {
            self.run_portal(n);
        }
        Ok(())
    }

    fn run_portal(&mut self, n: u32) {
        let Some(p) = self.portals.get(&n) else { return };
        let hdr = p.words[0];
        let mut params = Params::default();
        for i in 0..7 {
            params.set_word(i, p.words[i + 1]);
        }
        self.dma_req = None;
        let (hdr, params) = self.execute(n, hdr, params);
        if let Some(req) = self.dma_req.take() {
            // Completes at the next pump, after its DMA reads (status stays READY).
            self.dma_wait.push((n, req));
            return;
        }
        if let Some(p) = self.portals.get_mut(&n) {
            p.words[0] = hdr;
            for i in 0..7 {
                p.words[i + 1] = params.word(i);
            }
        }
    }

    /// Runs one command as if posted on portal `portal`; returns the response header
    /// (status in [23:16]) and parameters. (The MMIO path and tests use it.)
    pub fn command(&mut self, portal: u32, header: u64, params: [u64; 7]) -> (u64, [u64; 7]) {
        let mut p = Params::default();
        for (i, w) in params.iter().enumerate() {
            p.set_word(i, *w);
        }
        let (h, r) = self.execute(portal, header, p);
        let mut out = [0u64; 7];
        for (i, o) in out.iter_mut().enumerate() {
            *o = r.word(i);
        }
        (h, out)
    }
}
