//! Loading a Linux Image straight from its file into guest RAM (`firmware::linux::
//! prepare_file` + `Machine::load_linux`), without a staging copy in host memory.
//!
//! Oracle: the file's own bytes (written by the test, header fields laid out by hand from
//! Documentation/arm64/booting.rst) must appear at the load address, the rest of the
//! declared image_size (the BSS) must read as zero, and the in-memory path
//! (`firmware::linux::prepare`, which copies a buffer) must give the same RAM.

mod common;

use cpu_aarch64::platform::{BusAttrs, PhysAddr};
use cpu_aarch64::Bus;
use firmware::linux::{prepare, prepare_file, BootError, LinuxBootConfig};
use soc_ls2088::machine::{Firmware, MachineError};
use std::path::PathBuf;

const RAM: u64 = 64 << 20;
/// booting.rst: text_offset 0 and a 2 MiB-aligned base at the start of DRAM.
const LOAD: u64 = 0x8000_0000;

fn tmp(name: &str, data: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lsemu-load-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

/// An Image of `len` bytes declaring `image_size`: the 64-byte header of booting.rst
/// (code0 = `b +0x40`, text_offset 0, flags 0xa = little-endian, 4K pages, placement
/// anywhere; magic "ARM\x64" at 0x38), then pseudo-random bytes.
fn image(len: usize, image_size: u64) -> Vec<u8> {
    let mut d = vec![0u8; len];
    let mut x = 0x1234_5678_9abc_def1u64;
    for b in d.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    d[..64].fill(0);
    d[0..4].copy_from_slice(&0x1400_0010u32.to_le_bytes());
    d[16..24].copy_from_slice(&image_size.to_le_bytes());
    d[24..32].copy_from_slice(&0xau64.to_le_bytes());
    d[0x38..0x3c].copy_from_slice(b"ARM\x64");
    d
}

fn cfg() -> LinuxBootConfig {
    LinuxBootConfig { ram: vec![(LOAD, RAM)], bootargs: "console=ttyS1".into(), entry_el: 2, ..Default::default() }
}

fn dtb() -> Vec<u8> {
    soc_ls2088::fdt::generate(&soc_ls2088::fdt::FdtConfig { ram_size: RAM, smp: 1 }).unwrap()
}

fn read(m: &mut soc_ls2088::Machine, pa: u64, len: usize) -> Vec<u8> {
    let mut b = vec![0u8; len];
    m.bus.read(PhysAddr(pa), &mut b, BusAttrs::default()).unwrap();
    b
}

/// Guest RAM after a boot load, with the would-be BSS dirtied first (so the zeroing is
/// seen), from `LOAD` to the end of the DTB.
fn loaded(b: &firmware::linux::LinuxBoot) -> Vec<u8> {
    let mut m = common::machine(Firmware::Builtin, 1);
    let end = b.layout.kernel_end;
    m.bus.write(PhysAddr(end - 0x3000), &vec![0xa5; 0x3000], BusAttrs::default()).unwrap();
    m.load_linux(b).unwrap();
    assert_eq!(m.cpus[0].st.pc, LOAD, "entry = load address");
    read(&mut m, LOAD, (b.dtb.addr + b.dtb.data.len() as u64 - LOAD) as usize)
}

#[test]
fn image_file_lands_at_its_load_address() {
    // An odd length (not a page multiple), 0x3000 + a bit of BSS.
    let len = 0x2_3457;
    let size = 0x2_6000;
    let img = image(len, size);
    let p = tmp("Image", &img);
    let b = prepare_file(&p, &dtb(), Some(vec![0x5a; 1000]), &cfg()).unwrap();
    let f = b.kernel_file.as_ref().expect("a plain Image is read at load time");
    assert_eq!((f.addr, f.len), (LOAD, len as u64));
    assert!(b.kernel.segments.iter().all(|s| s.data.is_empty()), "no staging copy of the Image");
    assert_eq!(b.layout.kernel_end, LOAD + size);
    let ram = loaded(&b);
    assert_eq!(&ram[..len], &img[..], "the file's bytes at the load address");
    assert!(ram[len..size as usize].iter().all(|&x| x == 0), "BSS zeroed up to image_size");
    // The in-memory path (a buffer copied into RAM) places the same bytes everywhere
    // (kernel, BSS, DTB, initramfs).
    let b2 = prepare(&img, "Image", &dtb(), Some(vec![0x5a; 1000]), &cfg()).unwrap();
    assert!(b2.kernel_file.is_none());
    let mut m = common::machine(Firmware::Builtin, 1);
    m.load_linux(&b2).unwrap();
    let (s, e) = b.layout.initrd.unwrap();
    assert_eq!(read(&mut m, LOAD, ram.len()), ram);
    assert_eq!(read(&mut m, s, (e - s) as usize), vec![0x5a; 1000]);
}

#[test]
fn compressed_kernels_are_read_whole() {
    use std::io::Write;
    let img = image(0x1_0001, 0x1_2000);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&img).unwrap();
    let p = tmp("vmlinuz", &enc.finish().unwrap());
    let b = prepare_file(&p, &dtb(), None, &cfg()).unwrap();
    assert!(b.kernel_file.is_none(), "gzip: decompressed in memory");
    assert_eq!(&loaded(&b)[..img.len()], &img[..]);
}

#[test]
fn bad_kernel_files_give_one_line_errors() {
    let one_line = |e: &str| assert!(!e.contains('\n') && !e.is_empty(), "{e:?}");
    // Missing.
    let missing = std::env::temp_dir().join("lsemu-no-such-dir/Image");
    let e = prepare_file(&missing, &dtb(), None, &cfg()).unwrap_err();
    assert!(matches!(&e, BootError::File(s) if s.starts_with(&format!("cannot read {}", missing.display()))), "{e}");
    one_line(&e.to_string());
    // Unreadable: a directory opens but cannot be read.
    let dir = tmp("x", b"").parent().unwrap().to_path_buf();
    let e = prepare_file(&dir, &dtb(), None, &cfg()).unwrap_err();
    assert!(matches!(&e, BootError::File(s) if s.starts_with(&format!("cannot read {}", dir.display()))), "{e}");
    one_line(&e.to_string());
    // Empty, and not an Image: the errors of the in-memory parser.
    let e = prepare_file(&tmp("empty", b""), &dtb(), None, &cfg()).unwrap_err();
    assert!(e.to_string().ends_with("empty file"), "{e}");
    let e = prepare_file(&tmp("text", &b"not a kernel. ".repeat(8)), &dtb(), None, &cfg()).unwrap_err();
    assert!(e.to_string().contains("not a Linux arm64 Image"), "{e}");
    // Longer than the image_size it declares.
    let e = prepare_file(&tmp("long", &image(0x2000, 0x1000)), &dtb(), None, &cfg()).unwrap_err();
    assert!(e.to_string().contains("file is 0x2000 bytes but image_size is only 0x1000"), "{e}");
    // Shortened after it was checked: the load fails with one line naming the file.
    let p = tmp("shrinks", &image(0x3000, 0x4000));
    let b = prepare_file(&p, &dtb(), None, &cfg()).unwrap();
    std::fs::OpenOptions::new().write(true).open(&p).unwrap().set_len(0x2000).unwrap();
    let mut m = common::machine(Firmware::Builtin, 1);
    let e = m.load_linux(&b).unwrap_err();
    assert!(matches!(&e, MachineError::File(s) if s.contains(&p.display().to_string()) && s.contains("changed")), "{e}");
    one_line(&e.to_string());
    std::fs::remove_file(&p).unwrap();
    let e = m.load_linux(&b).unwrap_err();
    assert!(matches!(&e, MachineError::File(s) if s.starts_with(&format!("cannot read {}", p.display()))), "{e}");
}

/// A kernel given as a pipe (e.g. `--kernel <(zcat Image.gz)`) cannot be read again at
/// load time: it is read whole when the boot is prepared, and still lands as the file's
/// bytes.
#[test]
fn a_pipe_is_read_whole() {
    let img = image(0x1_2345, 0x1_4000);
    let dir = tmp("fifo-dir-marker", b"").parent().unwrap().to_path_buf();
    let fifo = dir.join("Image.fifo");
    let _ = std::fs::remove_file(&fifo);
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    let (f2, data) = (fifo.clone(), img.clone());
    let writer = std::thread::spawn(move || std::fs::write(f2, data).unwrap());
    let b = prepare_file(&fifo, &dtb(), None, &cfg()).unwrap();
    writer.join().unwrap();
    assert!(b.kernel_file.is_none(), "a pipe is not read again at load time");
    assert_eq!(&loaded(&b)[..img.len()], &img[..]);
    std::fs::remove_file(&fifo).unwrap();
}
