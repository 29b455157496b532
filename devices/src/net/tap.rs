//! `tap:IFNAME`: a Linux TAP device. Frames are read and written whole, one per read/write
//! on the `/dev/net/tun` file (IFF_TAP | IFF_NO_PI: no packet-information header).

use super::{NetBackend, NetStats};
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;

const TUN: &str = "/dev/net/tun";

pub(super) enum TapError {
    Msg(String),
    Io(String, std::io::Error),
}

/// `struct ifreq` as TUNSETIFF reads it: the name, then the flags (a short) at the
/// start of the 24-byte union.
#[repr(C)]
struct IfReq {
    name: [u8; libc::IFNAMSIZ],
    flags: libc::c_short,
    _pad: [u8; 22],
}

/// A TAP device, open non-blocking.
pub struct Tap {
    file: File,
    name: String,
    buf: Vec<u8>,
    stats: NetStats,
    warned: bool,
}

fn need_privilege(name: &str) -> String {
    format!(
        "permission denied: a TAP device needs CAP_NET_ADMIN; run lsemu as root, or create the device once for your user with `sudo ip tuntap add dev {name} mode tap user $USER` (then `sudo ip link set {name} up`)"
    )
}

impl Tap {
    pub(super) fn open(name: &str) -> Result<Tap, TapError> {
        if name.is_empty() || name.len() >= libc::IFNAMSIZ || name.contains('/') || name.contains(char::is_whitespace) {
            return Err(TapError::Msg(format!("bad interface name '{name}' (1 to {} characters, no '/' or space)", libc::IFNAMSIZ - 1)));
        }
        let file = match OpenOptions::new().read(true).write(true).custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC).open(TUN) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(TapError::Msg(format!(
                    "{TUN} does not exist: load the tun module (`modprobe tun`), or in a container pass the device (e.g. docker --device /dev/net/tun --cap-add NET_ADMIN)"
                )))
            }
            Err(e) if e.kind() == ErrorKind::PermissionDenied => return Err(TapError::Msg(format!("cannot open {TUN}: {}", need_privilege(name)))),
            Err(e) => return Err(TapError::Io(format!("cannot open {TUN}"), e)),
        };
        let mut req = IfReq { name: [0; libc::IFNAMSIZ], flags: (libc::IFF_TAP | libc::IFF_NO_PI) as libc::c_short, _pad: [0; 22] };
        req.name[..name.len()].copy_from_slice(name.as_bytes());
        // SAFETY: TUNSETIFF reads and writes a `struct ifreq` (40 bytes on Linux, the size
        // of IfReq), which `req` is and outlives the call.
        let r = unsafe { libc::ioctl(file.as_raw_fd(), libc::TUNSETIFF as _, &mut req as *mut IfReq) };
        if r < 0 {
            let e = std::io::Error::last_os_error();
            return Err(match e.raw_os_error() {
                Some(libc::EPERM) | Some(libc::EACCES) => TapError::Msg(format!("TUNSETIFF {name}: {}", need_privilege(name))),
                Some(libc::EBUSY) => TapError::Msg(format!("{name} is in use by another program, or exists and is not a TAP device")),
                Some(libc::EINVAL) => TapError::Msg(format!("{name} exists and is not a TAP device, or the name is invalid")),
                _ => TapError::Io(format!("TUNSETIFF {name}"), e),
            });
        }
        // The kernel returns the name it gave (a pattern such as "lsemu%d" is expanded).
        let len = req.name.iter().position(|&b| b == 0).unwrap_or(req.name.len());
        let name = String::from_utf8_lossy(&req.name[..len]).into_owned();
        Ok(Tap { file, name, buf: vec![0; super::MAX_FRAME + 1], stats: NetStats::default(), warned: false })
    }

    /// The interface name the kernel gave.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl NetBackend for Tap {
    fn send(&mut self, frame: &[u8]) {
        match self.file.write(frame) {
            Ok(n) if n == frame.len() => {}
            Ok(_) => self.stats.tx_dropped = self.stats.tx_dropped.wrapping_add(1),
            Err(e) => {
                self.stats.tx_dropped = self.stats.tx_dropped.wrapping_add(1);
                if e.kind() != ErrorKind::WouldBlock && !self.warned {
                    self.warned = true;
                    if e.raw_os_error() == Some(libc::EIO) {
                        // The kernel refuses frames for an interface that is down.
                        tracing::warn!(target: "net", "tap {0}: the interface is down on the host (`ip link set {0} up`); frames are dropped until it is up (warned once)", self.name);
                    } else {
                        tracing::warn!(target: "net", "tap {}: write failed: {e}; frames are dropped while this lasts (warned once)", self.name);
                    }
                }
            }
        }
    }

    fn recv(&mut self) -> Option<Vec<u8>> {
        match self.file.read(&mut self.buf) {
            Ok(n) => Some(self.buf[..n].to_vec()),
            Err(_) => None,
        }
    }

    fn live(&self) -> bool {
        true
    }
    fn describe(&self) -> String {
        format!("tap {}", self.name)
    }

    fn stats(&self) -> NetStats {
        self.stats
    }
}
