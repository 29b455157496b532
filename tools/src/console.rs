//! The guest console: on the terminal (raw mode when stdin is a terminal; Ctrl-A X quits,
//! Ctrl-A Ctrl-A sends Ctrl-A, as in QEMU; a plain byte stream otherwise), on a new
//! pseudo-terminal, or on a Unix socket (lsemu waits for one client before the guest
//! starts), for automation.

use anyhow::{bail, Context, Result};
use soc_ls2088::machine::HostInput;
use soc_ls2088::Machine;
use std::io::{Read, Write};
use std::os::fd::FromRawFd;
use std::sync::mpsc;

/// Where the console goes (`--console`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    Stdio,
    Pty,
    Unix(std::path::PathBuf),
}

pub fn parse_dest(s: &str) -> std::result::Result<Dest, String> {
    match s {
        "stdio" => Ok(Dest::Stdio),
        "pty" => Ok(Dest::Pty),
        _ => match s.strip_prefix("unix:") {
            Some(p) if !p.is_empty() => Ok(Dest::Unix(p.into())),
            _ => Err(format!("'{s}': use stdio, pty or unix:PATH")),
        },
    }
}

enum Chan {
    Stdio,
    File(std::fs::File),
    Sock(std::os::unix::net::UnixStream),
}

/// An open console: hands out writers for the machine and feeds its input.
pub struct Console {
    chan: Chan,
    saved: Option<libc::termios>,
    /// The input channel, kept across machine resets.
    rx: Option<mpsc::Receiver<HostInput>>,
    left: Vec<u8>,
    /// A person types into it (stdin is a terminal, or a new pseudo-terminal): the
    /// machine's idle time is paced to the host clock (`Machine::set_idle_pacing`).
    human: bool,
}

/// The host's stdout, flushed on every write: an interactive shell's prompt and echo
/// carry no newline, and Rust's stdout is line-buffered.
pub struct Stdout;
impl Write for Stdout {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let mut o = std::io::stdout().lock();
        let n = o.write(b)?;
        o.flush()?;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().lock().flush()
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        if let Some(t) = self.saved.take() {
            // SAFETY: fd 0 is stdin; `t` is a termios previously filled by tcgetattr.
            unsafe {
                libc::tcsetattr(0, libc::TCSANOW, &t);
            }
        }
    }
}

fn raw_mode(fd: i32) -> Option<libc::termios> {
    // SAFETY: isatty/tcgetattr/tcsetattr on `fd` with a properly sized termios.
    unsafe {
        if libc::isatty(fd) != 1 {
            return None;
        }
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut t) != 0 {
            return None;
        }
        let saved = t;
        libc::cfmakeraw(&mut t);
        // Keep output post-processing so the host terminal's newlines still work.
        t.c_oflag |= libc::OPOST;
        if libc::tcsetattr(fd, libc::TCSANOW, &t) != 0 {
            return None;
        }
        Some(saved)
    }
}

fn open_pty() -> Result<(std::fs::File, String)> {
    // SAFETY: posix_openpt/grantpt/unlockpt/ptsname on a descriptor we own; ptsname's
    // static buffer is copied before any other call.
    unsafe {
        let fd = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        if fd < 0 {
            bail!("cannot open a pseudo-terminal: {}", std::io::Error::last_os_error());
        }
        let f = std::fs::File::from_raw_fd(fd);
        if libc::grantpt(fd) != 0 || libc::unlockpt(fd) != 0 {
            bail!("cannot set up the pseudo-terminal: {}", std::io::Error::last_os_error());
        }
        let name = libc::ptsname(fd);
        if name.is_null() {
            bail!("cannot name the pseudo-terminal");
        }
        let name = std::ffi::CStr::from_ptr(name).to_string_lossy().into_owned();
        // The guest console is raw: no echo or line editing on our side.
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut t) == 0 {
            libc::cfmakeraw(&mut t);
            libc::tcsetattr(fd, libc::TCSANOW, &t);
        }
        Ok((f, name))
    }
}

impl Console {
    pub fn open(dest: &Dest) -> Result<Console> {
        let (chan, saved) = match dest {
            Dest::Stdio => (Chan::Stdio, raw_mode(0)),
            Dest::Pty => {
                let (f, name) = open_pty()?;
                eprintln!("lsemu: console on {name}");
                (Chan::File(f), None)
            }
            Dest::Unix(p) => {
                let _ = std::fs::remove_file(p);
                let l = std::os::unix::net::UnixListener::bind(p)
                    .with_context(|| format!("cannot listen on {}", p.display()))?;
                eprintln!("lsemu: waiting for a console client on {}", p.display());
                let (s, _) = l.accept().with_context(|| format!("accept on {}", p.display()))?;
                (Chan::Sock(s), None)
            }
        };
        let interactive = saved.is_some();
        let human = interactive || matches!(dest, Dest::Pty);
        let (tx, rx) = mpsc::channel();
        let reader: Box<dyn Read + Send> = match &chan {
            Chan::Stdio => Box::new(std::io::stdin()),
            Chan::File(f) => Box::new(f.try_clone()?),
            Chan::Sock(s) => Box::new(s.try_clone()?),
        };
        std::thread::spawn(move || input_thread(reader, tx, interactive));
        Ok(Console { chan, saved, rx: Some(rx), left: Vec::new(), human })
    }

    /// A factory of console writers for `MachineConfig::console`.
    pub fn factory(&self) -> Box<dyn FnMut() -> Box<dyn Write + Send>> {
        let chan = match &self.chan {
            Chan::Stdio => Chan::Stdio,
            Chan::File(f) => f.try_clone().map(Chan::File).unwrap_or(Chan::Stdio),
            Chan::Sock(s) => s.try_clone().map(Chan::Sock).unwrap_or(Chan::Stdio),
        };
        let c = Console { chan, saved: None, rx: None, left: Vec::new(), human: false };
        Box::new(move || c.writer())
    }

    /// A writer to the console, for one of the machine's UARTs.
    pub fn writer(&self) -> Box<dyn Write + Send> {
        match &self.chan {
            Chan::Stdio => Box::new(Stdout),
            Chan::File(f) => match f.try_clone() {
                Ok(f) => Box::new(f),
                Err(_) => Box::new(std::io::sink()),
            },
            Chan::Sock(s) => match s.try_clone() {
                Ok(s) => Box::new(s),
                Err(_) => Box::new(std::io::sink()),
            },
        }
    }

    /// Connects the console input to `m`.
    pub fn attach(&mut self, m: &mut Machine) {
        m.set_idle_pacing(self.human);
        if let Some(rx) = self.rx.take() {
            m.set_input(rx);
        }
        m.queue_input(&std::mem::take(&mut self.left));
    }

    /// Takes the console input back from `m` (before `m` is dropped on a reset).
    pub fn detach(&mut self, m: &mut Machine) {
        let (rx, left) = m.take_input();
        self.rx = rx;
        self.left = left;
    }
}

fn input_thread(mut r: Box<dyn Read + Send>, tx: mpsc::Sender<HostInput>, interactive: bool) {
    let mut buf = [0u8; 256];
    let mut escape = false;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) | Err(_) => {
                let _ = tx.send(HostInput::Eof);
                return;
            }
            Ok(n) => n,
        };
        let mut out = Vec::with_capacity(n);
        for &b in &buf[..n] {
            if interactive && escape {
                escape = false;
                match b {
                    b'x' | b'X' => {
                        let _ = tx.send(HostInput::Quit);
                        return;
                    }
                    0x01 => out.push(0x01),
                    _ => {}
                }
            } else if interactive && b == 0x01 {
                escape = true;
            } else {
                out.push(b);
            }
        }
        if !out.is_empty() && tx.send(HostInput::Bytes(out)).is_err() {
            return;
        }
    }
}
