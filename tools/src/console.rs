//! The guest console on the host terminal: raw mode when stdin is a terminal (Ctrl-A X
//! quits, Ctrl-A Ctrl-A sends Ctrl-A, as in QEMU), plain byte stream otherwise.

use soc_ls2088::machine::HostInput;
use soc_ls2088::Machine;
use std::io::Read;
use std::sync::mpsc;

/// Restores the terminal mode when dropped.
pub struct Attached {
    saved: Option<libc::termios>,
}

impl Drop for Attached {
    fn drop(&mut self) {
        if let Some(t) = self.saved.take() {
            // SAFETY: fd 0 is stdin; `t` is a termios previously filled by tcgetattr.
            unsafe {
                libc::tcsetattr(0, libc::TCSANOW, &t);
            }
        }
    }
}

fn raw_mode() -> Option<libc::termios> {
    // SAFETY: isatty/tcgetattr/tcsetattr on fd 0 with a properly sized termios.
    unsafe {
        if libc::isatty(0) != 1 {
            return None;
        }
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(0, &mut t) != 0 {
            return None;
        }
        let saved = t;
        libc::cfmakeraw(&mut t);
        // Keep output post-processing so the host terminal's newlines still work.
        t.c_oflag |= libc::OPOST;
        if libc::tcsetattr(0, libc::TCSANOW, &t) != 0 {
            return None;
        }
        Some(saved)
    }
}

/// Starts a thread that reads stdin and feeds the machine's console.
pub fn attach(m: &mut Machine) -> Attached {
    let saved = raw_mode();
    let interactive = saved.is_some();
    let (tx, rx) = mpsc::channel();
    m.set_input(rx);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin();
        let mut buf = [0u8; 256];
        let mut escape = false;
        loop {
            let n = match stdin.read(&mut buf) {
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
    });
    Attached { saved }
}
