//! The MC command wire format (ls2088a-reference.md §4.3; include/linux/fsl/mc.h): a
//! 64-bit header then seven 64-bit parameter words, little-endian.
//! Header: [7:0] source id, [15:8] hardware flags (0x80 priority), [23:16] status,
//! [31:24] software flags (0x01 no completion interrupt), [47:32] token, [63:48] command
//! id = (command number << 4) | command version.

/// Completion status codes (`enum mc_cmd_status`, include/linux/fsl/mc.h).
pub mod status {
    pub const OK: u8 = 0x0;
    pub const READY: u8 = 0x1;
    pub const AUTH_ERR: u8 = 0x3;
    pub const NO_PRIVILEGE: u8 = 0x4;
    pub const DMA_ERR: u8 = 0x5;
    pub const CONFIG_ERR: u8 = 0x6;
    pub const TIMEOUT: u8 = 0x7;
    pub const NO_RESOURCE: u8 = 0x8;
    pub const NO_MEMORY: u8 = 0x9;
    pub const BUSY: u8 = 0xA;
    pub const UNSUPPORTED_OP: u8 = 0xB;
    pub const INVALID_STATE: u8 = 0xC;
}

/// Command numbers (the command id without its version nibble).
pub mod num {
    // Generic, for every object type.
    pub const CLOSE: u16 = 0x800;
    pub const ENABLE: u16 = 0x002;
    pub const DISABLE: u16 = 0x003;
    pub const GET_ATTR: u16 = 0x004;
    pub const RESET: u16 = 0x005;
    pub const IS_ENABLED: u16 = 0x006;
    pub const SET_IRQ: u16 = 0x010;
    pub const GET_IRQ: u16 = 0x011;
    pub const SET_IRQ_ENABLE: u16 = 0x012;
    pub const GET_IRQ_ENABLE: u16 = 0x013;
    pub const SET_IRQ_MASK: u16 = 0x014;
    pub const GET_IRQ_MASK: u16 = 0x015;
    pub const GET_IRQ_STATUS: u16 = 0x016;
    pub const CLEAR_IRQ_STATUS: u16 = 0x017;
    // DPMNG (no token).
    pub const MNG_GET_VERSION: u16 = 0x831;
    pub const MNG_GET_SOC_VERSION: u16 = 0x832;
    // DPRC.
    pub const DPRC_GET_CONT_ID: u16 = 0x830;
    pub const DPRC_RESET_CONT: u16 = 0x005;
    pub const DPRC_GET_OBJ_COUNT: u16 = 0x159;
    pub const DPRC_GET_OBJ: u16 = 0x15A;
    pub const DPRC_GET_OBJ_REG: u16 = 0x15E;
    pub const DPRC_SET_OBJ_IRQ: u16 = 0x15F;
    pub const DPRC_GET_CONNECTION: u16 = 0x16C;
    // DPCON, DPIO.
    pub const DPCON_SET_NOTIFICATION: u16 = 0x100;
    pub const DPIO_SET_STASHING_DEST: u16 = 0x120;
    pub const DPIO_GET_STASHING_DEST: u16 = 0x121;
    // DPNI: fslmc/datapath.rs `n`.
    // DPMAC (dpmac-cmd.h).
    pub const DPMAC_GET_LINK_CFG: u16 = 0x0c2;
    /// DPMAC_CMDID_GET_COUNTER (Linux 6.1 dpmac-cmd.h; ethtool -S of a DPNI with a MAC):
    /// request byte 0 the counter id (enum dpmac_counter_id, 0..=27), response bytes 8-15.
    pub const DPMAC_GET_COUNTER: u16 = 0x0c4;
    /// DPBP_CMDID_GET_FREE_BUFFERS_NUM (DPDK 22.11 fsl_dpbp_cmd.h; its mempool's
    /// get_count): response bytes 0-3 the buffers in the pool.
    pub const DPBP_GET_FREE_BUFFERS_NUM: u16 = 0x1b2;
}

/// Header fields.
pub fn cmd_id(h: u64) -> u16 {
    (h >> 48) as u16
}
pub fn token(h: u64) -> u16 {
    (h >> 32) as u16
}
pub fn hdr_status(h: u64) -> u8 {
    (h >> 16) as u8
}
pub fn with_status(h: u64, s: u8) -> u64 {
    (h & !(0xff << 16)) | (s as u64) << 16
}
pub fn with_token(h: u64, t: u16) -> u64 {
    (h & !(0xffff << 32)) | (t as u64) << 32
}
/// Builds a request header (for tests and tools): status READY, no flags.
pub fn header(cmd_id: u16, token: u16) -> u64 {
    (cmd_id as u64) << 48 | (token as u64) << 32 | (status::READY as u64) << 16
}

/// The 56-byte parameter area with little-endian field accessors at byte offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params(pub [u8; 56]);

impl Default for Params {
    fn default() -> Self {
        Params([0; 56])
    }
}

impl Params {
    pub fn u8(&self, off: usize) -> u8 {
        self.0[off]
    }
    pub fn u16(&self, off: usize) -> u16 {
        u16::from_le_bytes([self.0[off], self.0[off + 1]])
    }
    pub fn u32(&self, off: usize) -> u32 {
        u32::from_le_bytes(self.0[off..off + 4].try_into().unwrap_or([0; 4]))
    }
    pub fn u64(&self, off: usize) -> u64 {
        u64::from_le_bytes(self.0[off..off + 8].try_into().unwrap_or([0; 8]))
    }
    /// A NUL-terminated string of at most 16 bytes (object types, labels).
    pub fn str16(&self, off: usize) -> String {
        let b = &self.0[off..off + 16];
        let end = b.iter().position(|&c| c == 0).unwrap_or(16);
        String::from_utf8_lossy(&b[..end]).into_owned()
    }
    pub fn set_u8(&mut self, off: usize, v: u8) {
        self.0[off] = v;
    }
    pub fn set_u16(&mut self, off: usize, v: u16) {
        self.0[off..off + 2].copy_from_slice(&v.to_le_bytes());
    }
    pub fn set_u32(&mut self, off: usize, v: u32) {
        self.0[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }
    pub fn set_u64(&mut self, off: usize, v: u64) {
        self.0[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }
    /// Writes `s` as a NUL-padded 16-byte field (truncated to 15 bytes + NUL).
    pub fn set_str16(&mut self, off: usize, s: &str) {
        let b = s.as_bytes();
        let n = b.len().min(15);
        self.0[off..off + 16].fill(0);
        self.0[off..off + n].copy_from_slice(&b[..n]);
    }
    pub fn word(&self, i: usize) -> u64 {
        self.u64(i * 8)
    }
    pub fn set_word(&mut self, i: usize, v: u64) {
        self.set_u64(i * 8, v)
    }
}
