#!/bin/sh
# Fetches the decoder-agreement corpus into ~/.cache/lsemu/corpus (or $LSEMU_CORPUS):
#   Image          Debian's arm64 kernel image (decompressed), from linux-image-*-arm64-unsigned
#   busybox        busybox from busybox-static:arm64 (static aarch64 ELF)
#   fsl-ls2088a-rdb.dtb  the kernel's own LS2088A-RDB device tree (same kernel package)
#   xen-4.17-arm64 Debian's Xen hypervisor (/boot/xen-4.17-arm64 of xen-hypervisor-4.17-arm64,
#                  an arm64 Image) for the Xen boot test
# No root needed: the .deb files are downloaded over HTTPS from Debian's archive, their
# SHA256 is checked against the archive's Packages index, and they are unpacked with ar+tar.
# If apt knows the arm64 architecture (`dpkg --add-architecture arm64 && apt-get update`),
# its index is used instead of downloading one.
set -eu
DEST=${LSEMU_CORPUS:-$HOME/.cache/lsemu/corpus}
MIRROR=${LSEMU_DEBIAN_MIRROR:-https://deb.debian.org}
SUITE=${LSEMU_DEBIAN_SUITE:-bookworm}
mkdir -p "$DEST"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
have_linux() { [ -s "$DEST/Image" ] && [ -s "$DEST/busybox" ] && [ -s "$DEST/fsl-ls2088a-rdb.dtb" ]; }
if have_linux && [ -s "$DEST/xen-4.17-arm64" ]; then
    echo "corpus already in $DEST"; exit 0
fi

# Prints "<url> <sha256>" for the newest arm64 package whose name matches the regex $1.
find_pkg() {
    if apt-cache show "busybox-static:arm64" >/dev/null 2>&1; then
        name=$(apt-cache search --names-only "$1" | awk '{print $1}' | grep -xE "$1" | sort -V | tail -1)
        [ -n "$name" ] || return 1
        case $name in *:*) ;; *) name="$name:arm64" ;; esac
        apt-get download --print-uris "$name" 2>/dev/null | head -1 |
            sed -e "s/^'\([^']*\)' [^ ]* [0-9]* SHA256:\([0-9a-f]*\)$/\1 \2/" -e 's#^http://#https://#'
    else
        for idx in "debian/dists/$SUITE/main/binary-arm64/Packages.xz" "debian-security/dists/$SUITE-security/main/binary-arm64/Packages.xz"; do
            f="$WORK/$(echo "$idx" | tr / _)"
            [ -s "$f" ] || curl -fsSL "$MIRROR/$idx" -o "$f"
        done
        for f in "$WORK"/*Packages.xz; do
            base=$(case "$f" in *security*) echo debian-security ;; *) echo debian ;; esac)
            xz -dc "$f" | awk -v re="^$1\$" -v base="$base" '
                /^Package: / { p = $2 } /^Version: / { v = $2 }
                /^Filename: / { fn = $2 } /^SHA256: / { sh = $2 }
                /^$/ { if (p ~ re) print v, base "/" fn, sh; p = "" }'
        done | sort -V | tail -1 | awk -v m="$MIRROR" '{print m "/" $2, $3}'
    fi
}

fetch_deb() { # regex outfile
    set -- "$1" "$2" $(find_pkg "$1")
    [ $# -eq 4 ] || { echo "fetch-corpus: no package matching $1" >&2; exit 1; }
    echo "fetching $3"
    curl -fsSL "$3" -o "$2"
    echo "$4  $2" | sha256sum -c --quiet - || { echo "fetch-corpus: SHA256 mismatch for $3" >&2; exit 1; }
}

unpack() { # deb dir
    mkdir -p "$2"
    (cd "$2" && ar x "$1" && tar -xf data.tar.* )
}

if ! have_linux; then
# busybox
fetch_deb 'busybox-static' "$WORK/bb.deb"
unpack "$WORK/bb.deb" "$WORK/bb"
cp "$WORK/bb/bin/busybox" "$DEST/busybox"

# kernel: vmlinuz is a gzip-compressed Image, or an EFI zboot image (PE header "zimg",
# payload offset/size at 0x08/0x0c, compression name at 0x18).
fetch_deb 'linux-image-[0-9.]+-[0-9]+-arm64-unsigned' "$WORK/k.deb"
unpack "$WORK/k.deb" "$WORK/k"
VMLINUZ=$(ls "$WORK"/k/boot/vmlinuz-* | head -1)
magic=$(head -c 2 "$VMLINUZ" | od -An -tx1 | tr -d ' \n')
if [ "$magic" = "1f8b" ]; then
    gzip -dc "$VMLINUZ" > "$DEST/Image"
elif [ "$(dd if="$VMLINUZ" bs=1 skip=4 count=4 2>/dev/null)" = "zimg" ]; then
    off=$(od -An -tu4 -j8 -N4 "$VMLINUZ" | tr -d ' ')
    size=$(od -An -tu4 -j12 -N4 "$VMLINUZ" | tr -d ' ')
    comp=$(dd if="$VMLINUZ" bs=1 skip=24 count=8 2>/dev/null | tr -d '\0')
    dd if="$VMLINUZ" bs=1M iflag=skip_bytes,count_bytes skip="$off" count="$size" 2>/dev/null > "$WORK/payload"
    case $comp in
        gzip) gzip -dc "$WORK/payload" > "$DEST/Image" ;;
        zstd|zstd22) zstd -dc "$WORK/payload" > "$DEST/Image" ;;
        xzkern) xz -dc "$WORK/payload" > "$DEST/Image" ;;
        *) echo "fetch-corpus: unknown zboot compression $comp" >&2; exit 1 ;;
    esac
else
    cp "$VMLINUZ" "$DEST/Image"
fi
DTB=$(ls "$WORK"/k/usr/lib/linux-image-*/freescale/fsl-ls2088a-rdb.dtb | head -1)
cp "$DTB" "$DEST/fsl-ls2088a-rdb.dtb"
[ "$(od -An -tx1 -N4 "$DEST/fsl-ls2088a-rdb.dtb" | tr -d ' \n')" = "d00dfeed" ] || { echo "fetch-corpus: bad DTB" >&2; exit 1; }
# An arm64 Image has "ARMd" at offset 0x38.
[ "$(dd if="$DEST/Image" bs=1 skip=56 count=4 2>/dev/null)" = "ARMd" ] || { echo "fetch-corpus: $DEST/Image is not an arm64 Image" >&2; exit 1; }
fi

# Xen 4.17: the hypervisor binary carries the arm64 Image header ("ARMd" at 0x38 too).
if [ ! -s "$DEST/xen-4.17-arm64" ]; then
    fetch_deb 'xen-hypervisor-4[.]17-arm64' "$WORK/xen.deb"
    unpack "$WORK/xen.deb" "$WORK/xen"
    [ "$(dd if="$WORK/xen/boot/xen-4.17-arm64" bs=1 skip=56 count=4 2>/dev/null)" = "ARMd" ] ||
        { echo "fetch-corpus: xen-4.17-arm64 is not an arm64 Image" >&2; exit 1; }
    cp "$WORK/xen/boot/xen-4.17-arm64" "$DEST/xen-4.17-arm64.partial"
    mv "$DEST/xen-4.17-arm64.partial" "$DEST/xen-4.17-arm64"
fi
ls -l "$DEST"
