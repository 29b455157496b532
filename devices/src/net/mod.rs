//! Host network backends: where the frames of an emulated MAC (a DPMAC, or a DPNI with no
//! MAC) go on the host, chosen with `lsemu boot --net ENDPOINT=SPEC`.
//!
//! | spec                        | what                                                   |
//! |-----------------------------|--------------------------------------------------------|
//! | `tap:IFNAME`                | a Linux TAP device (`/dev/net/tun`, no packet info)    |
//! | `udp:LOCAL:PORT,REMOTE:PORT`| one Ethernet frame per UDP datagram (links 2 lsemus)   |
//! | `unix:LOCAL_PATH,REMOTE_PATH`| one Ethernet frame per Unix datagram                  |
//! | `pcap:FILE`                 | every frame sent, written to a classic pcap file       |
//! | `none` / `null`             | frames are dropped, nothing arrives                    |
//!
//! Any spec may end in `,pcap=FILE`: both directions of that backend are then also
//! written to FILE (in the order they pass, sent and received interleaved).
//!
//! Frames are Ethernet frames, destination MAC first, without FCS. Frames shorter than an
//! Ethernet header (14 bytes) or longer than 65535 bytes are dropped in either direction,
//! counted, with a one-time warning.

mod pcap;
mod sock;
mod tap;
#[cfg(test)]
mod tests;

pub use pcap::PcapWriter;
pub use sock::{Udp, Unix};
pub use tap::Tap;

use crate::fslmc::objects::{Layout, ObjType};

/// The shortest frame a backend passes on: an Ethernet header.
pub const MIN_FRAME: usize = 14;
/// The longest frame a backend passes on (the classic pcap snap length, and more than a
/// UDP/IPv4 datagram can carry).
pub const MAX_FRAME: usize = 65535;

/// A host-side network backend.
pub trait NetBackend: Send {
    /// A frame leaving the emulated MAC (Ethernet header first, no FCS).
    fn send(&mut self, frame: &[u8]);
    /// A frame arriving from the host side, if one is waiting (never blocks).
    fn recv(&mut self) -> Option<Vec<u8>>;
    /// One line for `monitor net` / logs.
    fn describe(&self) -> String;
    /// The machine's virtual time in nanoseconds, given before frames pass (pcap capture
    /// timestamps). Backends that do not need it ignore it.
    fn set_time_ns(&mut self, _ns: u64) {}
    /// Frame counters.
    fn stats(&self) -> NetStats {
        NetStats::default()
    }
    /// Whether frames can arrive from the host side at moments the machine does not
    /// choose (TAP, sockets): an idle machine then lets its virtual time run no faster than
    /// the host's clock, so a peer gets the time the guest's timeouts promise it.
    fn live(&self) -> bool {
        false
    }
}

/// A backend and the endpoint it is attached to ("dpmac.1").
pub type Attached = (String, Box<dyn NetBackend>);

/// Frame counters of a backend.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Frames of a valid size handed to the host side (the host may still refuse some:
    /// those are also in `tx_dropped`).
    pub tx_frames: u64,
    pub tx_bytes: u64,
    /// Frames received from the host side and returned by `recv`.
    pub rx_frames: u64,
    pub rx_bytes: u64,
    /// Frames not sent: bad size, host queue full, peer not there, I/O error.
    pub tx_dropped: u64,
    /// Frames received but not returned: bad size, foreign sender.
    pub rx_dropped: u64,
}

impl NetStats {
    fn add(self, o: NetStats) -> NetStats {
        NetStats {
            tx_frames: self.tx_frames.wrapping_add(o.tx_frames),
            tx_bytes: self.tx_bytes.wrapping_add(o.tx_bytes),
            rx_frames: self.rx_frames.wrapping_add(o.rx_frames),
            rx_bytes: self.rx_bytes.wrapping_add(o.rx_bytes),
            tx_dropped: self.tx_dropped.wrapping_add(o.tx_dropped),
            rx_dropped: self.rx_dropped.wrapping_add(o.rx_dropped),
        }
    }
}

/// Why a `--net` spec cannot be honoured (one line each).
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("--net '{0}': expected ENDPOINT=BACKEND, e.g. dpmac.1=tap:lsemu0")]
    Syntax(String),
    #[error("--net '{0}': the endpoint must be dpmac.N or dpni.N")]
    BadEndpoint(String),
    #[error("--net '{spec}': {msg}")]
    Backend { spec: String, msg: String },
    /// (The I/O error is part of the message, not a `source`: the CLI prints one line.)
    #[error("--net '{spec}': {what}: {err}")]
    Io { spec: String, what: String, err: std::io::Error },
    #[error("--net '{endpoint}': no {endpoint} in the data-path layout (it has: {have})")]
    NoObject { endpoint: String, have: String },
    #[error("--net: {0} is given a backend twice")]
    Duplicate(String),
}

/// The endpoint of `spec` ("dpmac.1=tap:x" → "dpmac.1"), checked for form only.
pub fn spec_endpoint(spec: &str) -> Result<&str, NetError> {
    let (ep, _) = spec.split_once('=').ok_or_else(|| NetError::Syntax(spec.to_string()))?;
    endpoint_object(ep)?;
    Ok(ep)
}

/// The MC object an endpoint name names: `dpmac.N` or `dpni.N`.
pub fn endpoint_object(ep: &str) -> Result<(ObjType, u32), NetError> {
    let bad = || NetError::BadEndpoint(ep.to_string());
    let (ty, id) = ep.split_once('.').ok_or_else(bad)?;
    let ty = match ty {
        "dpmac" => ObjType::Dpmac,
        "dpni" => ObjType::Dpni,
        _ => return Err(bad()),
    };
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let id: u32 = id.parse().map_err(|_| bad())?;
    Ok((ty, id))
}

/// Checks that `endpoint` names an object of `layout` (the DPL the MC applies).
pub fn check_endpoint(layout: &Layout, endpoint: &str) -> Result<(), NetError> {
    let (ty, id) = endpoint_object(endpoint)?;
    if layout.obj(ty, id).is_some() {
        return Ok(());
    }
    let have: Vec<String> = layout
        .objects
        .iter()
        .filter(|o| matches!(o.ty, ObjType::Dpmac | ObjType::Dpni))
        .map(|o| format!("{}.{}", o.ty.name(), o.id))
        .collect();
    Err(NetError::NoObject { endpoint: endpoint.to_string(), have: if have.is_empty() { "no dpmac or dpni".into() } else { have.join(", ") } })
}

/// "dpmac.1=tap:lsemu0", "dpmac.2=udp:127.0.0.1:5000,127.0.0.1:5001" (local,remote),
/// "dpmac.1=unix:/tmp/a.sock,/tmp/b.sock", "dpmac.1=pcap:out.pcap", "dpni.0=none",
/// "dpmac.1=tap:lsemu0,pcap=both.pcap" → (endpoint, backend). Opens the host resources
/// (device, sockets, file) now, so every error shows at startup.
pub fn parse_netdev(spec: &str) -> Result<(String, Box<dyn NetBackend>), NetError> {
    let ep = spec_endpoint(spec)?.to_string();
    let rest = &spec[ep.len() + 1..];
    let err = |msg: String| NetError::Backend { spec: spec.to_string(), msg };
    let io = |what: String, err: std::io::Error| NetError::Io { spec: spec.to_string(), what, err };
    // A capture of both directions: `<backend>,pcap=FILE`.
    let (base, capture) = match rest.rfind(",pcap=") {
        Some(i) => (&rest[..i], Some(&rest[i + ",pcap=".len()..])),
        None => (rest, None),
    };
    let (kind, arg) = match base.split_once(':') {
        Some((k, a)) => (k, Some(a)),
        None => (base, None),
    };
    let two = |a: Option<&str>, what: &str| -> Result<(String, String), NetError> {
        let a = a.unwrap_or("");
        match a.split_once(',') {
            Some((l, r)) if !l.is_empty() && !r.is_empty() && !r.contains(',') => Ok((l.to_string(), r.to_string())),
            _ => Err(err(format!("expected {what}"))),
        }
    };
    let backend: Box<dyn NetBackend> = match kind {
        "none" | "null" => {
            if arg.is_some() {
                return Err(err(format!("'{kind}' takes no argument")));
            }
            Box::new(Null)
        }
        "tap" => {
            let name = arg.unwrap_or("");
            Box::new(Tap::open(name).map_err(|e| match e {
                tap::TapError::Msg(m) => err(m),
                tap::TapError::Io(what, source) => io(what, source),
            })?)
        }
        "udp" => {
            let (l, r) = two(arg, "udp:LOCAL_ADDR:PORT,REMOTE_ADDR:PORT")?;
            let local = sock::resolve(&l).map_err(err)?;
            let remote = sock::resolve(&r).map_err(err)?;
            Box::new(Udp::open(local, remote).map_err(|e| io(format!("cannot bind UDP {local}"), e))?)
        }
        "unix" => {
            let (l, r) = two(arg, "unix:LOCAL_PATH,REMOTE_PATH")?;
            Box::new(Unix::open(l.as_ref(), r.as_ref()).map_err(|e| match e {
                sock::UnixError::NotSocket(p) => err(format!("{p} exists and is not a socket")),
                sock::UnixError::Io(what, source) => io(what, source),
            })?)
        }
        "pcap" => {
            let f = arg.filter(|f| !f.is_empty()).ok_or_else(|| err("expected pcap:FILE".into()))?;
            Box::new(PcapOnly { w: PcapWriter::create(f.as_ref()).map_err(|e| io(format!("cannot create {f}"), e))?, sent: 0 })
        }
        "" => return Err(NetError::Syntax(spec.to_string())),
        k => return Err(err(format!("unknown backend '{k}' (use tap:, udp:, unix:, pcap: or none)"))),
    };
    let backend = match capture {
        Some("") => return Err(err("expected pcap=FILE".into())),
        Some(f) => Box::new(Tee { inner: backend, w: PcapWriter::create(f.as_ref()).map_err(|e| io(format!("cannot create {f}"), e))? }),
        None => backend,
    };
    Ok((ep, Box::new(Checked::new(backend))))
}

/// Parses every spec and refuses two backends for one endpoint.
pub fn parse_all(specs: &[String]) -> Result<Vec<Attached>, NetError> {
    let mut v: Vec<Attached> = Vec::new();
    for s in specs {
        let ep = spec_endpoint(s)?;
        if v.iter().any(|(e, _)| e == ep) {
            return Err(NetError::Duplicate(ep.to_string()));
        }
        v.push(parse_netdev(s)?);
    }
    Ok(v)
}

/// The `monitor net` view: one line per backend with its counters.
pub fn describe_all(backends: &[Attached]) -> String {
    if backends.is_empty() {
        return "no network backends (lsemu boot --net ENDPOINT=SPEC)\n".into();
    }
    let mut o = String::new();
    for (ep, b) in backends {
        let s = b.stats();
        o.push_str(&format!(
            "{ep}: {}; tx {} frames {} bytes, {} dropped; rx {} frames {} bytes, {} dropped\n",
            b.describe(),
            s.tx_frames,
            s.tx_bytes,
            s.tx_dropped,
            s.rx_frames,
            s.rx_bytes,
            s.rx_dropped
        ));
    }
    o
}

/// `none`: drops what is sent, receives nothing.
pub struct Null;

impl NetBackend for Null {
    fn send(&mut self, _frame: &[u8]) {}
    fn recv(&mut self) -> Option<Vec<u8>> {
        None
    }
    fn describe(&self) -> String {
        "none (frames dropped)".into()
    }
}

/// `pcap:FILE`: writes what is sent, receives nothing.
struct PcapOnly {
    w: PcapWriter,
    sent: u64,
}

impl NetBackend for PcapOnly {
    fn send(&mut self, frame: &[u8]) {
        self.w.write(frame);
        self.sent = self.sent.wrapping_add(1);
    }
    fn recv(&mut self) -> Option<Vec<u8>> {
        None
    }
    fn describe(&self) -> String {
        format!("pcap {} ({} frames written)", self.w.path().display(), self.sent)
    }
    fn set_time_ns(&mut self, ns: u64) {
        self.w.set_time_ns(ns);
    }
}

/// `<backend>,pcap=FILE`: the backend, with both directions captured.
struct Tee {
    inner: Box<dyn NetBackend>,
    w: PcapWriter,
}

impl NetBackend for Tee {
    fn send(&mut self, frame: &[u8]) {
        self.w.write(frame);
        self.inner.send(frame);
    }
    fn recv(&mut self) -> Option<Vec<u8>> {
        let f = self.inner.recv()?;
        // What `Checked` will drop is not captured (sent frames are checked before Tee).
        if size_ok(f.len()) {
            self.w.write(&f);
        }
        Some(f)
    }
    fn describe(&self) -> String {
        format!("{}, captured to {}", self.inner.describe(), self.w.path().display())
    }
    fn set_time_ns(&mut self, ns: u64) {
        self.w.set_time_ns(ns);
        self.inner.set_time_ns(ns);
    }
    fn stats(&self) -> NetStats {
        self.inner.stats()
    }
    fn live(&self) -> bool {
        self.inner.live()
    }
}

/// Wraps every backend: drops frames of impossible sizes (counted, warned about once)
/// and counts what passes.
struct Checked {
    inner: Box<dyn NetBackend>,
    stats: NetStats,
    warned_tx: bool,
    warned_rx: bool,
}

impl Checked {
    fn new(inner: Box<dyn NetBackend>) -> Checked {
        Checked { inner, stats: NetStats::default(), warned_tx: false, warned_rx: false }
    }
}

fn size_ok(n: usize) -> bool {
    (MIN_FRAME..=MAX_FRAME).contains(&n)
}

impl NetBackend for Checked {
    fn send(&mut self, frame: &[u8]) {
        if !size_ok(frame.len()) {
            self.stats.tx_dropped = self.stats.tx_dropped.wrapping_add(1);
            if !self.warned_tx {
                self.warned_tx = true;
                tracing::warn!(target: "net", "{}: dropping a {}-byte frame to send (frames are {MIN_FRAME}..={MAX_FRAME} bytes; warned once)", self.inner.describe(), frame.len());
            }
            return;
        }
        self.stats.tx_frames = self.stats.tx_frames.wrapping_add(1);
        self.stats.tx_bytes = self.stats.tx_bytes.wrapping_add(frame.len() as u64);
        self.inner.send(frame);
    }

    fn recv(&mut self) -> Option<Vec<u8>> {
        // Bounded: a host flooding bad frames cannot keep the machine here.
        for _ in 0..64 {
            let f = self.inner.recv()?;
            if size_ok(f.len()) {
                self.stats.rx_frames = self.stats.rx_frames.wrapping_add(1);
                self.stats.rx_bytes = self.stats.rx_bytes.wrapping_add(f.len() as u64);
                return Some(f);
            }
            self.stats.rx_dropped = self.stats.rx_dropped.wrapping_add(1);
            if !self.warned_rx {
                self.warned_rx = true;
                tracing::warn!(target: "net", "{}: dropping a received {}-byte frame (frames are {MIN_FRAME}..={MAX_FRAME} bytes; warned once)", self.inner.describe(), f.len());
            }
        }
        None
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn set_time_ns(&mut self, ns: u64) {
        self.inner.set_time_ns(ns);
    }

    fn stats(&self) -> NetStats {
        // The inner backend counts only its own drops (host queue full, peer absent...).
        let i = self.inner.stats();
        self.stats.add(NetStats { tx_dropped: i.tx_dropped, rx_dropped: i.rx_dropped, ..Default::default() })
    }

    fn live(&self) -> bool {
        self.inner.live()
    }
}
