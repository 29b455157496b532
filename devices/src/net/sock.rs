//! Datagram socket backends: one Ethernet frame (destination MAC first, no FCS, no other
//! header) per datagram, so two lsemu instances can be linked by pointing each one's
//! REMOTE at the other's LOCAL.

use super::{NetBackend, NetStats};
use std::io::ErrorKind;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};

/// Receive buffer: one more byte than the largest frame, so an oversized datagram shows
/// as such (the size check drops it) instead of being cut silently.
const BUF: usize = super::MAX_FRAME + 1;

/// `HOST:PORT` → the first address it resolves to.
pub(super) fn resolve(s: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    let bad = || format!("bad address '{s}': expected HOST:PORT, e.g. 127.0.0.1:5000");
    if !s.contains(':') {
        return Err(bad());
    }
    s.to_socket_addrs().map_err(|_| bad())?.next().ok_or_else(bad)
}

/// What a socket backend does with a send error: all drop the frame; the unexpected
/// ones are warned about once.
fn send_failed(e: &std::io::Error, stats: &mut NetStats, warned: &mut bool, who: &str) {
    stats.tx_dropped = stats.tx_dropped.wrapping_add(1);
    let expected = matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::ConnectionRefused | ErrorKind::NotFound);
    if !expected && !*warned {
        *warned = true;
        tracing::warn!(target: "net", "{who}: send failed: {e}; frames are dropped while this lasts (warned once)");
    }
}

/// `udp:LOCAL,REMOTE`.
pub struct Udp {
    sock: UdpSocket,
    local: SocketAddr,
    remote: SocketAddr,
    buf: Vec<u8>,
    stats: NetStats,
    warned: bool,
}

impl Udp {
    pub fn open(local: SocketAddr, remote: SocketAddr) -> std::io::Result<Udp> {
        let sock = UdpSocket::bind(local)?;
        sock.set_nonblocking(true)?;
        let local = sock.local_addr()?;
        Ok(Udp { sock, local, remote, buf: vec![0; BUF], stats: NetStats::default(), warned: false })
    }

    /// The bound address (the port the OS chose if LOCAL said port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }
}

impl NetBackend for Udp {
    fn send(&mut self, frame: &[u8]) {
        if let Err(e) = self.sock.send_to(frame, self.remote) {
            let who = self.describe();
            send_failed(&e, &mut self.stats, &mut self.warned, &who);
        }
    }

    fn recv(&mut self) -> Option<Vec<u8>> {
        for _ in 0..64 {
            match self.sock.recv_from(&mut self.buf) {
                // Only the configured peer: anyone on the network could send here.
                Ok((n, from)) if from == self.remote => return Some(self.buf[..n].to_vec()),
                Ok(_) => self.stats.rx_dropped = self.stats.rx_dropped.wrapping_add(1),
                // An ICMP port-unreachable for an earlier send: the peer is not up yet.
                Err(e) if e.kind() == ErrorKind::ConnectionRefused => {}
                Err(_) => return None,
            }
        }
        None
    }

    fn live(&self) -> bool {
        true
    }
    fn describe(&self) -> String {
        format!("udp {} <-> {}", self.local, self.remote)
    }

    fn stats(&self) -> NetStats {
        self.stats
    }
}

pub(super) enum UnixError {
    NotSocket(String),
    Io(String, std::io::Error),
}

/// `unix:LOCAL_PATH,REMOTE_PATH`.
pub struct Unix {
    sock: UnixDatagram,
    local: PathBuf,
    remote: PathBuf,
    buf: Vec<u8>,
    stats: NetStats,
    warned: bool,
}

impl Unix {
    pub(super) fn open(local: &Path, remote: &Path) -> Result<Unix, UnixError> {
        // A socket file left by an earlier run is removed; any other file is not ours.
        if let Ok(m) = std::fs::symlink_metadata(local) {
            if !m.file_type().is_socket() {
                return Err(UnixError::NotSocket(local.display().to_string()));
            }
            std::fs::remove_file(local).map_err(|e| UnixError::Io(format!("cannot remove the stale socket {}", local.display()), e))?;
        }
        let bind_err = |e| UnixError::Io(format!("cannot bind {}", local.display()), e);
        let sock = UnixDatagram::bind(local).map_err(bind_err)?;
        sock.set_nonblocking(true).map_err(bind_err)?;
        Ok(Unix { sock, local: local.to_path_buf(), remote: remote.to_path_buf(), buf: vec![0; BUF], stats: NetStats::default(), warned: false })
    }
}

impl NetBackend for Unix {
    fn send(&mut self, frame: &[u8]) {
        // NotFound / ConnectionRefused: the peer is not up (yet); WouldBlock: its queue is full.
        if let Err(e) = self.sock.send_to(frame, &self.remote) {
            let who = self.describe();
            send_failed(&e, &mut self.stats, &mut self.warned, &who);
        }
    }

    fn recv(&mut self) -> Option<Vec<u8>> {
        match self.sock.recv(&mut self.buf) {
            Ok(n) => Some(self.buf[..n].to_vec()),
            Err(_) => None,
        }
    }

    fn live(&self) -> bool {
        true
    }
    fn describe(&self) -> String {
        format!("unix {} <-> {}", self.local.display(), self.remote.display())
    }

    fn stats(&self) -> NetStats {
        self.stats
    }
}

impl Drop for Unix {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.local);
    }
}
