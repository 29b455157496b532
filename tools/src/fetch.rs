//! Fetching a ready-to-boot Debian arm64 kernel, the LS2088A-RDB device tree and a static
//! busybox from Debian's archive, with no host tools: the `Packages.xz` indexes are read
//! over HTTPS, the newest matching packages are picked, their `.deb` files downloaded
//! (progress bar on a terminal, plain log lines otherwise), checked against the index's
//! SHA256 and unpacked in Rust (ar + tar + xz/gzip).
//!
//! The cache (`$XDG_CACHE_HOME/lsemu/debian`, `~/.cache/lsemu/debian`, or `--cache DIR`)
//! holds one directory per package version with the extracted files, plus `selected`, the
//! versions picked last time: when `selected` and its files exist, nothing touches the
//! network (unless `--refresh`). Every file is written to a temporary name in the same
//! directory and renamed only when complete and verified, so an interrupted or corrupt
//! download is never used.

use anyhow::{anyhow, bail, Context, Result};
use sha2::{Digest, Sha256};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

/// Default Debian mirror (overridable with `--mirror` or `LSEMU_DEBIAN_MIRROR`).
pub const DEFAULT_MIRROR: &str = "https://deb.debian.org";
/// Default suite (overridable with `LSEMU_DEBIAN_SUITE`).
pub const DEFAULT_SUITE: &str = "bookworm";
/// Path of the RDB device tree inside the kernel package, after `usr/lib/linux-image-<ver>/`.
pub const RDB_DTB: &str = "freescale/fsl-ls2088a-rdb.dtb";

/// Where to fetch from and cache to.
#[derive(Debug, Clone)]
pub struct Source {
    /// e.g. `https://deb.debian.org`; `/debian` and `/debian-security` are appended.
    pub mirror: String,
    pub suite: String,
    pub cache: PathBuf,
    /// Re-read the indexes even when a previous selection is cached.
    pub refresh: bool,
}

/// The files `lsemu boot --debian` needs, all in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// Debian's `/boot/vmlinuz-*` (a gzip-compressed arm64 Image).
    pub kernel: PathBuf,
    pub dtb: PathBuf,
    pub busybox: PathBuf,
    /// "linux-image-6.1.0-N-arm64-unsigned 6.1.x-y, busybox-static 1:1.35.0-4+b3"
    pub description: String,
}

/// The default cache directory: `$XDG_CACHE_HOME/lsemu/debian` or `~/.cache/lsemu/debian`.
pub fn default_cache() -> Result<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|x| !x.is_empty()) {
        return Ok(PathBuf::from(x).join("lsemu/debian"));
    }
    match std::env::var_os("HOME").filter(|x| !x.is_empty()) {
        Some(h) => Ok(PathBuf::from(h).join(".cache/lsemu/debian")),
        None => bail!("neither XDG_CACHE_HOME nor HOME is set: give a cache directory with --cache DIR"),
    }
}

// ---------------------------------------------------------------------------------------
// Packages index
// ---------------------------------------------------------------------------------------

/// One stanza of a `Packages` index (the fields we use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub version: String,
    /// Relative to the archive root (`pool/main/...`).
    pub filename: String,
    pub sha256: String,
    pub size: u64,
    /// The archive root the filename is relative to (`<mirror>/debian` or `.../debian-security`).
    pub base: String,
}

/// Parses a `Packages` index; stanzas missing a field we need are skipped.
pub fn parse_packages(text: &str, base: &str) -> Vec<Package> {
    let mut out = Vec::new();
    for stanza in text.split("\n\n") {
        let (mut name, mut version, mut filename, mut sha, mut size) = (None, None, None, None, None);
        for line in stanza.lines() {
            // Continuation lines start with a space and belong to multi-line fields.
            if line.starts_with(' ') || line.starts_with('\t') {
                continue;
            }
            let Some((k, v)) = line.split_once(':') else { continue };
            let v = v.trim();
            match k {
                "Package" => name = Some(v.to_string()),
                "Version" => version = Some(v.to_string()),
                "Filename" => filename = Some(v.to_string()),
                "SHA256" => sha = Some(v.to_ascii_lowercase()),
                "Size" => size = v.parse().ok(),
                _ => {}
            }
        }
        if let (Some(name), Some(version), Some(filename), Some(sha256), Some(size)) = (name, version, filename, sha, size) {
            out.push(Package { name, version, filename, sha256, size, base: base.to_string() });
        }
    }
    out
}

/// `linux-image-<digits.digits.digits>-<digits>-arm64-unsigned`
pub fn is_kernel_package(name: &str) -> bool {
    let Some(mid) = name.strip_prefix("linux-image-").and_then(|r| r.strip_suffix("-arm64-unsigned")) else { return false };
    let Some((upstream, abi)) = mid.split_once('-') else { return false };
    let parts: Vec<&str> = upstream.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && !abi.is_empty()
        && abi.bytes().all(|b| b.is_ascii_digit())
}

/// The newest package accepted by `want`, by Debian version order (then by package name,
/// so `linux-image-6.1.0-27-...` beats `-26-` at equal versions).
pub fn newest(pkgs: &[Package], want: impl Fn(&str) -> bool) -> Option<&Package> {
    pkgs.iter().filter(|p| want(&p.name)).max_by(|a, b| {
        compare_versions(&a.version, &b.version).then_with(|| compare_versions(&a.name, &b.name))
    })
}

/// Debian version comparison (deb-version(7)): epoch, then upstream version, then
/// revision, each compared by alternating non-digit parts (with `~` before everything,
/// letters before non-letters) and numeric parts.
pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    fn split(v: &str) -> (u64, &str, &str) {
        let (epoch, rest) = match v.split_once(':') {
            Some((e, r)) if e.bytes().all(|c| c.is_ascii_digit()) => (e.parse().unwrap_or(0), r),
            _ => (0, v),
        };
        match rest.rsplit_once('-') {
            Some((u, r)) => (epoch, u, r),
            None => (epoch, rest, ""),
        }
    }
    fn order(c: Option<u8>) -> i32 {
        match c {
            None => 0,
            Some(b'~') => -1,
            Some(c) if c.is_ascii_alphabetic() => c as i32,
            Some(c) => c as i32 + 256,
        }
    }
    fn part(a: &str, b: &str) -> std::cmp::Ordering {
        let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
        while !a.is_empty() || !b.is_empty() {
            // Non-digit prefix.
            loop {
                let ca = a.first().copied().filter(|c| !c.is_ascii_digit());
                let cb = b.first().copied().filter(|c| !c.is_ascii_digit());
                if ca.is_none() && cb.is_none() {
                    break;
                }
                let (oa, ob) = (order(ca), order(cb));
                if oa != ob {
                    return oa.cmp(&ob);
                }
                a = &a[1..];
                b = &b[1..];
            }
            // Numeric part (leading zeros ignored, arbitrary length).
            let na = a.iter().take_while(|c| c.is_ascii_digit()).count();
            let nb = b.iter().take_while(|c| c.is_ascii_digit()).count();
            let da = trim_zeros(&a[..na]);
            let db = trim_zeros(&b[..nb]);
            let o = da.len().cmp(&db.len()).then_with(|| da.cmp(db));
            if o.is_ne() {
                return o;
            }
            a = &a[na..];
            b = &b[nb..];
        }
        std::cmp::Ordering::Equal
    }
    fn trim_zeros(d: &[u8]) -> &[u8] {
        let n = d.iter().take_while(|&&c| c == b'0').count();
        &d[n..]
    }
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    ea.cmp(&eb).then_with(|| part(ua, ub)).then_with(|| part(ra, rb))
}

// ---------------------------------------------------------------------------------------
// .deb unpacking: ar archive -> data.tar.{xz,gz,zst,} -> tar
// ---------------------------------------------------------------------------------------

/// The members of a Unix `ar` archive (the common format, with System V/GNU long names
/// not needed for .deb files): `(name, data)`.
pub fn ar_members(data: &[u8]) -> Result<Vec<(String, &[u8])>> {
    let mut rest = data.strip_prefix(b"!<arch>\n").ok_or_else(|| anyhow!("not an ar archive (no !<arch> magic)"))?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        if rest.len() < 60 {
            bail!("truncated ar member header");
        }
        let hdr = &rest[..60];
        if &hdr[58..60] != b"`\n" {
            bail!("bad ar member header");
        }
        let name = String::from_utf8_lossy(&hdr[..16]).trim_end().trim_end_matches('/').to_string();
        let size: usize = std::str::from_utf8(&hdr[48..58])
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| anyhow!("bad ar member size for {name}"))?;
        let body = rest.get(60..60usize.saturating_add(size)).ok_or_else(|| anyhow!("truncated ar member {name}"))?;
        out.push((name, body));
        // Members are 2-byte aligned (a '\n' pads odd sizes).
        let next = (60 + size + (size & 1)).min(rest.len());
        rest = &rest[next..];
    }
    Ok(out)
}

/// A reader over the decompressed `data.tar` of a .deb.
fn data_tar(deb: &[u8]) -> Result<Box<dyn Read + '_>> {
    for (name, body) in ar_members(deb)? {
        if let Some(ext) = name.strip_prefix("data.tar") {
            return Ok(match ext {
                ".xz" => Box::new(xz2::read::XzDecoder::new_multi_decoder(body)),
                ".gz" => Box::new(flate2::read::GzDecoder::new(body)),
                "" => Box::new(body),
                _ => bail!("unsupported .deb compression: {name}"),
            });
        }
    }
    bail!("no data.tar member in the .deb")
}

/// Extracts from a .deb the regular files whose path (without a leading `./` or `/`)
/// `pick` maps to a destination; each is written to a temporary file and renamed into
/// place. Returns the archive paths extracted.
pub fn extract(deb: &[u8], mut pick: impl FnMut(&str) -> Option<PathBuf>) -> Result<Vec<String>> {
    let mut ar = tar::Archive::new(data_tar(deb)?);
    let mut done = Vec::new();
    for entry in ar.entries().context("cannot read the .deb's data.tar")? {
        let mut e = entry.context("corrupt data.tar in the .deb")?;
        if e.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let path = e.path().context("bad path in data.tar")?.to_string_lossy().into_owned();
        let rel = path.trim_start_matches("./").trim_start_matches('/').to_string();
        let Some(dest) = pick(&rel) else { continue };
        let mut buf = Vec::new();
        e.read_to_end(&mut buf).with_context(|| format!("cannot read {rel} from the .deb"))?;
        write_atomic(&dest, &buf)?;
        done.push(rel);
    }
    Ok(done)
}

/// Writes `data` to `dest` through a temporary file in the same directory + rename.
pub fn write_atomic(dest: &Path, data: &[u8]) -> Result<()> {
    let tmp = tmp_name(dest);
    let r = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dest)
    })();
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r.with_context(|| format!("cannot write {}", dest.display()))
}

fn tmp_name(dest: &Path) -> PathBuf {
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    dest.with_file_name(format!(".{name}.partial-{}", std::process::id()))
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

// ---------------------------------------------------------------------------------------
// Network
// ---------------------------------------------------------------------------------------

fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(std::time::Duration::from_secs(15))
        .timeout_read(std::time::Duration::from_secs(60))
        .user_agent(concat!("lsemu/", env!("CARGO_PKG_VERSION")))
        .build()
}

fn get(agent: &ureq::Agent, url: &str) -> Result<ureq::Response> {
    match agent.get(url).call() {
        Ok(r) => Ok(r),
        Err(ureq::Error::Status(code, r)) => bail!("{url}: HTTP {code} {}", r.status_text()),
        Err(ureq::Error::Transport(t)) => bail!("cannot reach {}: {t}", host_of(url)),
    }
}

/// Progress output: an indicatif bar on a terminal, a start and an end line otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    label: String,
    total: Option<u64>,
}

impl Progress {
    fn new(label: &str, total: Option<u64>) -> Progress {
        let bar = if std::io::stderr().is_terminal() {
            let b = match total {
                Some(t) => indicatif::ProgressBar::new(t),
                None => indicatif::ProgressBar::new_spinner(),
            };
            let style = indicatif::ProgressStyle::with_template(
                "{msg} [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
            )
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            b.set_style(style);
            b.set_message(label.to_string());
            Some(b)
        } else {
            eprintln!("lsemu: downloading {label}{}", total.map(|t| format!(" ({})", human(t))).unwrap_or_default());
            None
        };
        Progress { bar, label: label.to_string(), total }
    }
    fn inc(&self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }
    fn finish(self, got: u64, secs: f64) {
        // The bar is cleared and replaced by one log line, as without a terminal.
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
        eprintln!(
            "lsemu: downloaded {} ({} in {secs:.1} s){}",
            self.label,
            human(got),
            if self.total.is_some_and(|t| t != got) { " [size differs from the index]" } else { "" }
        );
    }
}

fn human(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64)
    } else {
        format!("{:.1} KiB", n as f64 / 1024.0)
    }
}

/// Downloads `url` fully into memory with a progress bar labelled `label`.
fn download(agent: &ureq::Agent, url: &str, label: &str, size_hint: Option<u64>) -> Result<Vec<u8>> {
    let resp = get(agent, url)?;
    let total = resp.header("Content-Length").and_then(|l| l.parse().ok()).or(size_hint);
    let progress = Progress::new(label, total);
    let start = std::time::Instant::now();
    let mut r = resp.into_reader();
    let mut data = Vec::with_capacity(total.unwrap_or(0).min(1 << 30) as usize);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = r.read(&mut buf).with_context(|| format!("download of {url} interrupted ({})", host_of(url)))?;
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
        progress.inc(n as u64);
    }
    progress.finish(data.len() as u64, start.elapsed().as_secs_f64());
    Ok(data)
}

/// Reads `<base>/dists/<dist>/main/binary-arm64/Packages.xz`.
fn read_index(agent: &ureq::Agent, base: &str, dist: &str) -> Result<Vec<Package>> {
    let url = format!("{base}/dists/{dist}/main/binary-arm64/Packages.xz");
    let xz = download(agent, &url, &format!("{dist} index"), None)?;
    let mut text = String::new();
    xz2::read::XzDecoder::new_multi_decoder(&xz[..])
        .read_to_string(&mut text)
        .with_context(|| format!("{url}: corrupt index"))?;
    Ok(parse_packages(&text, base))
}

/// Downloads a package's .deb and checks its size and SHA256 against the index.
fn fetch_deb(agent: &ureq::Agent, p: &Package) -> Result<Vec<u8>> {
    let url = format!("{}/{}", p.base, p.filename);
    let data = download(agent, &url, &p.name, Some(p.size))?;
    verify(&data, p).with_context(|| format!("{url}: not used"))?;
    Ok(data)
}

/// Checks a downloaded .deb against its index entry.
pub fn verify(data: &[u8], p: &Package) -> Result<()> {
    let got = sha256_hex(data);
    if got != p.sha256 {
        bail!("SHA256 mismatch for {}_{}: got {got}, index says {}", p.name, p.version, p.sha256);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Cache
// ---------------------------------------------------------------------------------------

fn pkg_dir(cache: &Path, p: &Package) -> PathBuf {
    // Versions contain ':' (epochs) and '+'; keep the directory name portable.
    let v: String = p.version.chars().map(|c| if c == ':' { '_' } else { c }).collect();
    cache.join(format!("{}_{v}", p.name))
}

/// Extracts the kernel and the RDB dtb from a kernel .deb into `dir`.
pub fn unpack_kernel(deb: &[u8], dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let (k, d) = (dir.join("vmlinuz"), dir.join("fsl-ls2088a-rdb.dtb"));
    let got = extract(deb, |path| {
        if path.starts_with("boot/vmlinuz-") {
            Some(k.clone())
        } else if path.starts_with("usr/lib/linux-image-") && path.ends_with(RDB_DTB) {
            Some(d.clone())
        } else {
            None
        }
    })?;
    if !got.iter().any(|p| p.starts_with("boot/vmlinuz-")) {
        bail!("the kernel package has no /boot/vmlinuz-*");
    }
    if !got.iter().any(|p| p.ends_with(RDB_DTB)) {
        bail!("the kernel package has no {RDB_DTB}");
    }
    Ok(())
}

/// Extracts `bin/busybox` from a busybox-static .deb into `dir`.
pub fn unpack_busybox(deb: &[u8], dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let b = dir.join("busybox");
    let got = extract(deb, |path| (path == "bin/busybox").then(|| b.clone()))?;
    if got.is_empty() {
        bail!("the busybox-static package has no /bin/busybox");
    }
    Ok(())
}

/// The `selected` file: `suite <suite>`, `kernel <dir>`, `busybox <dir>` and
/// `description <text>` lines. A selection made for another suite is not used.
fn read_selected(cache: &Path, suite: &str) -> Option<Fetched> {
    let text = std::fs::read_to_string(cache.join("selected")).ok()?;
    let mut kdir = None;
    let mut bdir = None;
    let mut desc = String::new();
    let mut same_suite = false;
    for line in text.lines() {
        match line.split_once(' ') {
            Some(("suite", s)) => same_suite = s == suite,
            Some(("kernel", d)) => kdir = Some(cache.join(d)),
            Some(("busybox", d)) => bdir = Some(cache.join(d)),
            Some(("description", d)) => desc = d.to_string(),
            _ => {}
        }
    }
    let (kdir, bdir) = (kdir?, bdir?);
    if !same_suite {
        return None;
    }
    let f = Fetched {
        kernel: kdir.join("vmlinuz"),
        dtb: kdir.join("fsl-ls2088a-rdb.dtb"),
        busybox: bdir.join("busybox"),
        description: desc,
    };
    (f.kernel.is_file() && f.dtb.is_file() && f.busybox.is_file()).then_some(f)
}

/// Gets kernel, dtb and busybox: from the cache when a previous selection is complete
/// (no network), otherwise from the archive.
pub fn fetch(src: &Source) -> Result<Fetched> {
    std::fs::create_dir_all(&src.cache).with_context(|| format!("cannot create the cache directory {}", src.cache.display()))?;
    if !src.refresh {
        if let Some(f) = read_selected(&src.cache, &src.suite) {
            return Ok(f);
        }
    }
    let agent = agent();
    let mirror = src.mirror.trim_end_matches('/');
    let mut pkgs = read_index(&agent, &format!("{mirror}/debian"), &src.suite)?;
    pkgs.extend(read_index(&agent, &format!("{mirror}/debian-security"), &format!("{}-security", src.suite))?);
    let kp = newest(&pkgs, is_kernel_package).ok_or_else(|| anyhow!("no linux-image-*-arm64-unsigned package in the {} index", src.suite))?;
    let bp = newest(&pkgs, |n| n == "busybox-static").ok_or_else(|| anyhow!("no busybox-static package in the {} index", src.suite))?;
    let (kdir, bdir) = (pkg_dir(&src.cache, kp), pkg_dir(&src.cache, bp));
    if !(kdir.join("vmlinuz").is_file() && kdir.join("fsl-ls2088a-rdb.dtb").is_file()) {
        let deb = fetch_deb(&agent, kp)?;
        eprintln!("lsemu: unpacking {}_{} (vmlinuz, {})", kp.name, kp.version, RDB_DTB);
        unpack_kernel(&deb, &kdir).with_context(|| format!("cannot unpack {}_{}", kp.name, kp.version))?;
    }
    if !bdir.join("busybox").is_file() {
        let deb = fetch_deb(&agent, bp)?;
        unpack_busybox(&deb, &bdir).with_context(|| format!("cannot unpack {}_{}", bp.name, bp.version))?;
    }
    let description = format!("{} {}, {} {}", kp.name, kp.version, bp.name, bp.version);
    let rel = |d: &Path| d.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    write_atomic(
        &src.cache.join("selected"),
        format!("suite {}\nkernel {}\nbusybox {}\ndescription {description}\n", src.suite, rel(&kdir), rel(&bdir)).as_bytes(),
    )?;
    read_selected(&src.cache, &src.suite).ok_or_else(|| anyhow!("the cache in {} is incomplete after fetching", src.cache.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering::*;

    #[test]
    fn debian_version_order() {
        // Examples from deb-version(7) and Debian policy 5.6.12.
        assert_eq!(compare_versions("1.0~rc1", "1.0"), Less);
        assert_eq!(compare_versions("1.0", "1.0-1"), Less);
        assert_eq!(compare_versions("1:0.1", "2.0"), Greater);
        assert_eq!(compare_versions("6.1.119-1", "6.1.99-1"), Greater);
        assert_eq!(compare_versions("6.1.0-10", "6.1.0-9"), Greater);
        assert_eq!(compare_versions("1.0a", "1.0+"), Less);
        assert_eq!(compare_versions("1.0", "1.00"), Equal);
        assert_eq!(compare_versions("1:1.35.0-4+b3", "1:1.35.0-4"), Greater);
    }

    #[test]
    fn kernel_package_names() {
        assert!(is_kernel_package("linux-image-6.1.0-27-arm64-unsigned"));
        assert!(!is_kernel_package("linux-image-6.1.0-27-arm64"));
        assert!(!is_kernel_package("linux-image-6.1.0-27-rt-arm64-unsigned"));
        assert!(!is_kernel_package("linux-image-arm64-unsigned"));
        assert!(!is_kernel_package("linux-image-6.1.0-27-cloud-arm64-unsigned"));
    }

    #[test]
    fn index_parse_and_pick() {
        let idx = "Package: busybox-static\nVersion: 1:1.35.0-4+b3\nDescription: x\n continued: line\nFilename: pool/main/b/busybox/bb.deb\nSize: 12\nSHA256: AB\n\n\
Package: linux-image-6.1.0-9-arm64-unsigned\nVersion: 6.1.27-1\nFilename: pool/k9.deb\nSize: 1\nSHA256: 01\n\n\
Package: linux-image-6.1.0-10-arm64-unsigned\nVersion: 6.1.38-1\nFilename: pool/k10.deb\nSize: 2\nSHA256: 02\n\n\
Package: linux-image-6.1.0-10-rt-arm64-unsigned\nVersion: 6.1.99-1\nFilename: pool/rt.deb\nSize: 2\nSHA256: 03\n\n\
Package: no-sha\nVersion: 1\nFilename: x\nSize: 1\n";
        let p = parse_packages(idx, "M/debian");
        assert_eq!(p.len(), 4);
        assert_eq!(p[0].sha256, "ab");
        assert_eq!(p[0].size, 12);
        assert_eq!(p[0].base, "M/debian");
        assert_eq!(newest(&p, is_kernel_package).unwrap().filename, "pool/k10.deb");
        assert_eq!(newest(&p, |n| n == "busybox-static").unwrap().version, "1:1.35.0-4+b3");
    }

    // ---- a .deb built in the test ----

    fn ar_member(out: &mut Vec<u8>, name: &str, data: &[u8]) {
        // Header per ar(5): name/16, mtime/12, uid/6, gid/6, mode/8, size/10, "`\n".
        out.extend_from_slice(format!("{:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n", name, 0, 0, 0, 100644, data.len()).as_bytes());
        out.extend_from_slice(data);
        if data.len() % 2 == 1 {
            out.push(b'\n');
        }
    }

    fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut d = tar::Header::new_gnu();
        d.set_entry_type(tar::EntryType::Directory);
        d.set_mode(0o755);
        d.set_size(0);
        b.append_data(&mut d, "./boot/", &[][..]).unwrap();
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_mode(0o644);
            h.set_size(data.len() as u64);
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn deb_of(files: &[(&str, &[u8])], compression: &str) -> Vec<u8> {
        let tar = tar_of(files);
        let data = match compression {
            "xz" => {
                let mut e = xz2::write::XzEncoder::new(Vec::new(), 6);
                e.write_all(&tar).unwrap();
                e.finish().unwrap()
            }
            "gz" => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(&tar).unwrap();
                e.finish().unwrap()
            }
            _ => tar,
        };
        let mut deb = b"!<arch>\n".to_vec();
        ar_member(&mut deb, "debian-binary", b"2.0\n");
        ar_member(&mut deb, "control.tar.xz", b"odd");
        let name = if compression.is_empty() { "data.tar".to_string() } else { format!("data.tar.{compression}") };
        ar_member(&mut deb, &name, &data);
        deb
    }

    fn tempdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("lsemu-fetch-test-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    const KERNEL_FILES: &[(&str, &[u8])] = &[
        ("./boot/System.map-6.1.0-27-arm64", b"map"),
        ("./boot/vmlinuz-6.1.0-27-arm64", b"\x1f\x8bKERNEL"),
        ("./usr/lib/linux-image-6.1.0-27-arm64/freescale/fsl-ls2088a-qds.dtb", b"qds"),
        ("./usr/lib/linux-image-6.1.0-27-arm64/freescale/fsl-ls2088a-rdb.dtb", b"\xd0\x0d\xfe\xedRDB"),
    ];

    #[test]
    fn ar_reader_members() {
        let deb = deb_of(&[("./bin/busybox", b"BB")], "");
        let m = ar_members(&deb).unwrap();
        let names: Vec<&str> = m.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["debian-binary", "control.tar.xz", "data.tar"]);
        assert_eq!(m[0].1, b"2.0\n");
        assert_eq!(m[1].1, b"odd"); // odd size: the pad byte is not part of the member
        assert!(ar_members(b"not an archive").is_err());
        assert!(ar_members(&deb[..deb.len() - 10]).is_err());
    }

    #[test]
    fn unpack_kernel_from_xz_deb() {
        let dir = tempdir("kxz");
        let deb = deb_of(KERNEL_FILES, "xz");
        unpack_kernel(&deb, &dir).unwrap();
        assert_eq!(std::fs::read(dir.join("vmlinuz")).unwrap(), b"\x1f\x8bKERNEL");
        assert_eq!(std::fs::read(dir.join("fsl-ls2088a-rdb.dtb")).unwrap(), b"\xd0\x0d\xfe\xedRDB");
        // Nothing else was written, no temporary files left behind.
        let mut names: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        assert_eq!(names, ["fsl-ls2088a-rdb.dtb", "vmlinuz"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unpack_busybox_from_gz_deb_and_missing_files() {
        let dir = tempdir("bgz");
        unpack_busybox(&deb_of(&[("./bin/busybox", b"BB")], "gz"), &dir).unwrap();
        assert_eq!(std::fs::read(dir.join("busybox")).unwrap(), b"BB");
        let e = unpack_busybox(&deb_of(&[("./bin/other", b"x")], "xz"), &dir).unwrap_err();
        assert!(e.to_string().contains("no /bin/busybox"), "{e}");
        let e = unpack_kernel(&deb_of(&KERNEL_FILES[..2], "xz"), &dir).unwrap_err();
        assert!(e.to_string().contains("fsl-ls2088a-rdb.dtb"), "{e}");
        // A truncated xz stream is an error, never a silently short file.
        let mut deb = deb_of(KERNEL_FILES, "xz");
        let n = deb.len();
        deb.truncate(n - 40);
        assert!(unpack_kernel(&deb, &tempdir("trunc")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn sha256_mismatch_is_rejected() {
        let deb = deb_of(KERNEL_FILES, "xz");
        // SHA-256("abc") from FIPS 180-2 appendix B.1: checks our hex formatting.
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        let mut p = Package {
            name: "linux-image-6.1.0-27-arm64-unsigned".into(),
            version: "6.1.115-1".into(),
            filename: "pool/k.deb".into(),
            sha256: sha256_hex(&deb),
            size: deb.len() as u64,
            base: String::new(),
        };
        verify(&deb, &p).unwrap();
        p.sha256 = "00".repeat(32);
        let e = verify(&deb, &p).unwrap_err();
        assert!(e.to_string().starts_with("SHA256 mismatch for linux-image-6.1.0-27-arm64-unsigned_6.1.115-1"), "{e}");
    }

    #[test]
    fn cache_selection_is_used_without_network() {
        let cache = tempdir("cache");
        let p = |name: &str, version: &str| Package {
            name: name.into(),
            version: version.into(),
            filename: String::new(),
            sha256: String::new(),
            size: 0,
            base: String::new(),
        };
        let kp = p("linux-image-6.1.0-27-arm64-unsigned", "6.1.115-1");
        let bp = p("busybox-static", "1:1.35.0-4+b3");
        let (kdir, bdir) = (pkg_dir(&cache, &kp), pkg_dir(&cache, &bp));
        assert!(bdir.ends_with("busybox-static_1_1.35.0-4+b3"));
        unpack_kernel(&deb_of(KERNEL_FILES, "xz"), &kdir).unwrap();
        unpack_busybox(&deb_of(&[("./bin/busybox", b"BB")], "xz"), &bdir).unwrap();
        // No selection yet: fetch must go to the (unreachable) mirror.
        let src = Source { mirror: "http://127.0.0.1:1".into(), suite: "bookworm".into(), cache: cache.clone(), refresh: false };
        let e = fetch(&src).unwrap_err();
        assert_eq!(format!("{e:#}").split(':').next().unwrap(), "cannot reach 127.0.0.1");
        write_atomic(
            &cache.join("selected"),
            format!(
                "suite bookworm\nkernel {}\nbusybox {}\ndescription K, B\n",
                kdir.file_name().unwrap().to_string_lossy(),
                bdir.file_name().unwrap().to_string_lossy()
            )
            .as_bytes(),
        )
        .unwrap();
        // With a complete selection, the unreachable mirror is never contacted.
        let f = fetch(&src).unwrap();
        assert_eq!(f.kernel, kdir.join("vmlinuz"));
        assert_eq!(f.dtb, kdir.join("fsl-ls2088a-rdb.dtb"));
        assert_eq!(f.busybox, bdir.join("busybox"));
        assert_eq!(f.description, "K, B");
        // Another suite does not reuse this selection.
        assert!(fetch(&Source { suite: "trixie".into(), ..src.clone() }).is_err());
        // --refresh does go to the network.
        assert!(fetch(&Source { refresh: true, ..src.clone() }).is_err());
        // A selection whose files are missing (e.g. partial cache) is not used.
        std::fs::remove_file(bdir.join("busybox")).unwrap();
        assert!(fetch(&src).is_err());
        std::fs::remove_dir_all(&cache).unwrap();
    }

    #[test]
    fn offline_error_names_the_host() {
        let cache = tempdir("offline");
        let src = Source { mirror: "http://127.0.0.1:1/".into(), suite: "bookworm".into(), cache: cache.clone(), refresh: true };
        let e = format!("{:#}", fetch(&src).unwrap_err());
        assert!(e.starts_with("cannot reach 127.0.0.1:1: "), "{e}");
        assert!(!e.contains('\n'), "one line: {e}");
        std::fs::remove_dir_all(&cache).unwrap();
    }
}
