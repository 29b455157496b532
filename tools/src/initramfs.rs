//! A minimal busybox initramfs, built in memory: a gzip-compressed "newc" cpio archive
//! (Linux Documentation/driver-api/early-userspace/buffer-format.rst) holding
//! `/bin/busybox`, an `/init` shell script, `/dev/console` and the usual directories.
//!
//! `/init` mounts proc, sysfs and devtmpfs, installs the busybox applet links, prints a
//! banner and then runs either an interactive shell on the console (`setsid cttyhack sh`)
//! or the user's script (`/user-init`, from `--init-script`), and powers off when that
//! ends (PSCI SYSTEM_OFF: lsemu exits).

use std::io::Write;

/// The `/init` script. `/user-init`, when present, runs instead of the interactive shell.
pub const INIT_SCRIPT: &str = r#"#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
mkdir -p /dev/pts /dev/shm
hostname ls2088ardb
echo
echo "lsemu: busybox $(busybox | head -1 | cut -d' ' -f2) on Linux $(uname -r), $(grep -c ^processor /proc/cpuinfo) core(s), uptime $(cut -d' ' -f1 /proc/uptime) s"
if [ -e /user-init ]; then
    sh /user-init
    echo "lsemu: /user-init exited with status $?"
else
    echo "lsemu: interactive shell; 'poweroff -f' or Ctrl-A X to quit"
    cd /root
    setsid cttyhack sh -l
fi
poweroff -f
"#;

/// One archive entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Dir,
    File(Vec<u8>),
    /// Character device (major, minor).
    Char(u32, u32),
}

/// Writes a newc ("070701") cpio archive of `(path, mode permission bits, node)` entries,
/// in order, then the `TRAILER!!!` entry. Paths are relative (no leading '/').
pub fn cpio_newc(entries: &[(&str, u32, Node)]) -> Vec<u8> {
    let mut out = Vec::new();
    let push = |out: &mut Vec<u8>, ino: u32, name: &str, mode: u32, rdev: (u32, u32), data: &[u8]| {
        let nlink = if mode & 0o170000 == 0o040000 { 2 } else { 1 };
        // c_magic, then 13 fields of 8 hex digits: ino mode uid gid nlink mtime filesize
        // devmajor devminor rdevmajor rdevminor namesize check.
        let fields = [ino, mode, 0, 0, nlink, 0, data.len() as u32, 0, 0, rdev.0, rdev.1, name.len() as u32 + 1, 0];
        out.extend_from_slice(b"070701");
        for f in fields {
            out.extend_from_slice(format!("{f:08X}").as_bytes());
        }
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        pad4(out);
        out.extend_from_slice(data);
        pad4(out);
    };
    for (i, (name, perm, node)) in entries.iter().enumerate() {
        let ino = i as u32 + 1;
        let perm = perm & 0o7777;
        match node {
            Node::Dir => push(&mut out, ino, name, 0o040000 | perm, (0, 0), &[]),
            Node::File(d) => push(&mut out, ino, name, 0o100000 | perm, (0, 0), d),
            Node::Char(ma, mi) => push(&mut out, ino, name, 0o020000 | perm, (*ma, *mi), &[]),
        }
    }
    push(&mut out, 0, "TRAILER!!!", 0, (0, 0), &[]);
    out
}

fn pad4(v: &mut Vec<u8>) {
    while v.len() & 3 != 0 {
        v.push(0);
    }
}

/// A newc cpio archive with busybox, the init script (`INIT_SCRIPT`, which runs
/// `user_init` as /user-init when given) and `extra` files `(path in the archive,
/// contents)`, mode 0755, with any missing parent directories (e.g. a VMM binary `bin/vmm` for the KVM test).
pub fn busybox_cpio_with(busybox: &[u8], user_init: Option<&[u8]>, extra: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut e: Vec<(&str, u32, Node)> = ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys", "tmp", "root", "etc", "mnt"]
        .into_iter()
        .map(|d| (d, if d == "tmp" { 0o1777 } else { 0o755 }, Node::Dir))
        .collect();
    // The kernel opens /dev/console for init's stdio before /init can mount devtmpfs.
    e.push(("dev/console", 0o600, Node::Char(5, 1)));
    e.push(("bin/busybox", 0o755, Node::File(busybox.to_vec())));
    e.push(("init", 0o755, Node::File(INIT_SCRIPT.as_bytes().to_vec())));
    if let Some(u) = user_init {
        e.push(("user-init", 0o755, Node::File(u.to_vec())));
    }
    let mut dirs: Vec<String> = Vec::new();
    for (path, _) in extra {
        let path = path.trim_start_matches('/');
        let mut parent = String::new();
        for comp in path.split('/').rev().skip(1).collect::<Vec<_>>().into_iter().rev() {
            if !parent.is_empty() {
                parent.push('/');
            }
            parent.push_str(comp);
            if !e.iter().any(|(n, _, _)| *n == parent) && !dirs.contains(&parent) {
                dirs.push(parent.clone());
            }
        }
    }
    e.extend(dirs.iter().map(|d| (d.as_str(), 0o755, Node::Dir)));
    e.extend(extra.iter().map(|(p, d)| (p.trim_start_matches('/'), 0o755, Node::File(d.clone()))));
    cpio_newc(&e)
}

/// [`busybox_cpio_with`], gzip-compressed.
pub fn busybox_initramfs_with(busybox: &[u8], user_init: Option<&[u8]>, extra: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    // Writing to a Vec cannot fail.
    let _ = gz.write_all(&busybox_cpio_with(busybox, user_init, extra));
    gz.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// An independent newc reader written from buffer-format.rst: returns
    /// (name, mode, filesize, rdevmajor, rdevminor, data, header offset).
    #[allow(clippy::type_complexity)]
    fn parse(a: &[u8]) -> Vec<(String, u32, u32, u32, u32, Vec<u8>, usize)> {
        let mut out = Vec::new();
        let mut off = 0;
        loop {
            assert_eq!(off % 4, 0, "header not 4-byte aligned");
            assert_eq!(&a[off..off + 6], b"070701");
            let f = |i: usize| u32::from_str_radix(std::str::from_utf8(&a[off + 6 + 8 * i..off + 14 + 8 * i]).unwrap(), 16).unwrap();
            let (mode, size, rmaj, rmin, namesize, check) = (f(1), f(6), f(9), f(10), f(11), f(12));
            assert_eq!(check, 0);
            let name_start = off + 110;
            let name = &a[name_start..name_start + namesize as usize];
            assert_eq!(*name.last().unwrap(), 0, "name not NUL-terminated");
            let name = String::from_utf8(name[..name.len() - 1].to_vec()).unwrap();
            let data_start = (name_start + namesize as usize + 3) & !3;
            // Padding bytes are NULs.
            assert!(a[name_start + namesize as usize..data_start].iter().all(|&b| b == 0));
            let data = a[data_start..data_start + size as usize].to_vec();
            let next = (data_start + size as usize + 3) & !3;
            out.push((name.clone(), mode, size, rmaj, rmin, data, off));
            off = next;
            if name == "TRAILER!!!" {
                break;
            }
        }
        assert_eq!(off, a.len(), "bytes after the trailer");
        out
    }

    #[test]
    fn newc_layout_by_hand() {
        // One file "a" with 3 bytes: 110-byte header + "a\0" = 112 (aligned), data 3 -> 116.
        let a = cpio_newc(&[("a", 0o644, Node::File(b"xyz".to_vec()))]);
        assert_eq!(&a[..6], b"070701");
        assert_eq!(&a[6..14], b"00000001"); // ino
        assert_eq!(&a[14..22], b"000081A4"); // S_IFREG | 0644
        assert_eq!(&a[54..62], b"00000003"); // filesize
        assert_eq!(&a[94..102], b"00000002"); // namesize includes the NUL
        assert_eq!(&a[110..112], b"a\0");
        assert_eq!(&a[112..115], b"xyz");
        assert_eq!(a[115], 0);
        assert_eq!(&a[116..122], b"070701");
        // Trailer: header + "TRAILER!!!\0" (11) = 121 -> padded to 124 from 116.
        assert_eq!(a.len(), 116 + 124);
    }

    #[test]
    fn busybox_archive_contents() {
        let bb: Vec<u8> = (0..1001u32).map(|i| i as u8).collect(); // odd size: exercises padding
        let a = busybox_cpio_with(&bb, Some(b"echo hi\n"), &[]);
        let e = parse(&a);
        let get = |n: &str| e.iter().find(|x| x.0 == n).unwrap_or_else(|| panic!("{n} missing"));
        let (_, mode, size, _, _, data, _) = get("bin/busybox");
        assert_eq!((*mode, *size as usize), (0o100755, bb.len()));
        assert_eq!(data, &bb);
        let (_, mode, _, _, _, data, _) = get("init");
        assert_eq!(*mode, 0o100755);
        assert!(data.starts_with(b"#!/bin/busybox sh\n"));
        assert!(std::str::from_utf8(data).unwrap().contains("setsid cttyhack sh"));
        assert_eq!(get("user-init").5, b"echo hi\n");
        let (_, mode, size, maj, min, _, _) = get("dev/console");
        assert_eq!((*mode, *size, *maj, *min), (0o020600, 0, 5, 1));
        for d in ["bin", "dev", "proc", "sys", "root", "usr/bin", "sbin", "usr/sbin"] {
            assert_eq!(get(d).1, 0o040755, "{d}");
        }
        assert_eq!(get("tmp").1, 0o041777);
        // Directories come before their contents.
        let pos = |n: &str| e.iter().position(|x| x.0 == n).unwrap();
        assert!(pos("bin") < pos("bin/busybox") && pos("dev") < pos("dev/console"));
        assert_eq!(e.last().unwrap().0, "TRAILER!!!");
        // Without a user script there is no /user-init.
        assert!(parse(&busybox_cpio_with(&bb, None, &[])).iter().all(|x| x.0 != "user-init"));
    }

    #[test]
    fn extra_files_with_parent_dirs() {
        let extra = vec![("bin/vmm".to_string(), b"VMM".to_vec()), ("/opt/q/lib/x.so".to_string(), b"SO".to_vec())];
        let e = parse(&busybox_cpio_with(b"BB", None, &extra));
        let pos = |n: &str| e.iter().position(|x| x.0 == n).unwrap_or_else(|| panic!("{n} missing"));
        assert_eq!(e[pos("bin/vmm")].1, 0o100755);
        assert_eq!(e[pos("bin/vmm")].5, b"VMM");
        assert_eq!(e[pos("opt/q/lib/x.so")].5, b"SO");
        // bin exists already (once); opt, opt/q, opt/q/lib are created before the file.
        assert_eq!(e.iter().filter(|x| x.0 == "bin").count(), 1);
        for d in ["opt", "opt/q", "opt/q/lib"] {
            assert_eq!(e[pos(d)].1, 0o040755, "{d}");
            assert!(pos(d) < pos("opt/q/lib/x.so"));
        }
        assert!(pos("opt") < pos("opt/q") && pos("opt/q") < pos("opt/q/lib"));
    }

    #[test]
    fn gzip_roundtrip() {
        let gz = busybox_initramfs_with(b"BB", None, &[]);
        assert_eq!(&gz[..2], b"\x1f\x8b");
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut raw).unwrap();
        assert_eq!(raw, busybox_cpio_with(b"BB", None, &[]));
    }

    /// Oracle: GNU cpio, when installed, lists the same names and sizes.
    #[test]
    fn gnu_cpio_agrees() {
        let Ok(out) = std::process::Command::new("cpio").arg("--version").output() else {
            eprintln!("cpio not installed; skipped");
            return;
        };
        if !out.status.success() {
            return;
        }
        let a = busybox_cpio_with(b"hello", Some(b"x"), &[]);
        let mut child = std::process::Command::new("cpio")
            .args(["-t", "-v", "--quiet"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&a).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        let line = |n: &str| text.lines().find(|l| l.ends_with(&format!(" {n}"))).unwrap_or_else(|| panic!("{n}: {text}")).to_string();
        assert!(line("bin/busybox").starts_with("-rwxr-xr-x"));
        assert!(line("bin/busybox").contains(" 5 "));
        assert!(line("dev/console").starts_with("crw-------"));
        assert!(line("tmp").starts_with("drwxrwxrwt"));
        assert!(line("init").starts_with("-rwxr-xr-x"));
    }
}
