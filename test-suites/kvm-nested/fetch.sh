#!/bin/sh
# Fetches Debian's arm64 qemu-system-aarch64 (package qemu-system-arm) and the shared
# libraries it needs (the DT_NEEDED closure of the binary, from the packages of its
# Depends) into ~/.cache/lsemu/qemu-arm64 (or $LSEMU_QEMU_ARM64):
#   usr/bin/qemu-system-aarch64, lib/ld-linux-aarch64.so.1, lib/aarch64-linux-gnu/*.so.*
# and, from the corpus kernel's own package (named by ~/.cache/lsemu/corpus/Image's banner), the
# virtio modules the nested guest needs (Debian builds them =m):
#   modules/{virtio_mmio,virtio_blk,failover,net_failover,virtio_net}.ko
# for the nested-KVM test (tools/tests/kvm.rs) and test-suites/kvm-nested/run.sh.
# Uses apt: the arm64 architecture must be known to dpkg; as root this script adds it
# (`dpkg --add-architecture arm64 && apt-get update`), otherwise it says so and fails.
# Idempotent: does nothing when the cache is complete.
set -eu
DEST=${LSEMU_QEMU_ARM64:-$HOME/.cache/lsemu/qemu-arm64}
CORPUS=${LSEMU_CORPUS:-$HOME/.cache/lsemu/corpus}
MODS="drivers/virtio/virtio_mmio.ko drivers/block/virtio_blk.ko net/core/failover.ko drivers/net/net_failover.ko drivers/net/virtio_net.ko"
fetch_modules() {
    # The corpus Image's banner names its package: "Linux version 6.1.0-56-arm64 ... Debian 6.1.192-2".
    banner=$(grep -a -o -m1 'Linux version [^ ]* (debian-kernel@[^#]*#[^(]*Debian [^ ]*' "$CORPUS/Image" 2>/dev/null | head -1)
    kpkg=linux-image-$(echo "$banner" | awk '{print $3}')-unsigned
    kver=$(echo "$banner" | awk '{print $NF}')
    [ "$kpkg" != linux-image--unsigned ] && [ -n "$kver" ] || { echo "kvm-nested/fetch.sh: no Debian kernel banner in $CORPUS/Image: run test-suites/fetch-corpus.sh first" >&2; exit 1; }
    [ "$(cat "$DEST/modules/.done" 2>/dev/null)" = "$kpkg $kver" ] && return 0
    mw=$(mktemp -d)
    chmod 777 "$mw"
    (cd "$mw" && apt-get download -q "$kpkg:arm64=$kver" >/dev/null) ||
        { echo "kvm-nested/fetch.sh: cannot download $kpkg:arm64=$kver (the corpus kernel): refetch the corpus" >&2; rm -rf "$mw"; exit 1; }
    dpkg-deb -x "$mw"/*.deb "$mw/x"
    rm -rf "$DEST/modules"
    mkdir -p "$DEST/modules"
    for m in $MODS; do
        cp "$mw"/x/lib/modules/*/kernel/"$m" "$DEST/modules/"
    done
    rm -rf "$mw"
    echo "$kpkg $kver" > "$DEST/modules/.done"
    echo "virtio modules of $kpkg in $DEST/modules"
}
if [ -e "$DEST/.done" ]; then
    echo "qemu-system-aarch64 (arm64) already in $DEST"
    fetch_modules
    exit 0
fi
if ! dpkg --print-foreign-architectures | grep -qx arm64 || ! apt-cache show qemu-system-arm:arm64 >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then
        echo "kvm-nested/fetch.sh: run 'dpkg --add-architecture arm64 && apt-get update' as root first" >&2
        exit 1
    fi
    dpkg --add-architecture arm64
    apt-get update -q
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/debs" "$WORK/x"
chmod 755 "$WORK"
chmod 777 "$WORK/debs"
apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances --no-pre-depends qemu-system-arm:arm64 |
    grep -v '^[ <]' | grep ':arm64$' | sort -u > "$WORK/pkgs.txt"
(cd "$WORK/debs" && apt-get download -q $(cat "$WORK/pkgs.txt") >/dev/null)
for d in "$WORK"/debs/*.deb; do dpkg-deb -x "$d" "$WORK/x"; done
rm -rf "$DEST"
mkdir -p "$DEST/usr/bin" "$DEST/lib/aarch64-linux-gnu"
cp "$WORK/x/usr/bin/qemu-system-aarch64" "$DEST/usr/bin/"
cp -L "$WORK/x/lib/ld-linux-aarch64.so.1" "$DEST/lib/"
# The DT_NEEDED closure (readelf from binutils; the files are aarch64 ELF).
todo="$WORK/x/usr/bin/qemu-system-aarch64"
while [ -n "$todo" ]; do
    next=""
    for f in $todo; do
        for n in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
            [ -e "$DEST/lib/aarch64-linux-gnu/$n" ] && continue
            src=""
            for d in lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu; do
                [ -e "$WORK/x/$d/$n" ] && src="$WORK/x/$d/$n" && break
            done
            [ -n "$src" ] || { echo "kvm-nested/fetch.sh: $n not found" >&2; exit 1; }
            cp -L "$src" "$DEST/lib/aarch64-linux-gnu/$n"
            next="$next $src"
        done
    done
    todo=$next
done
echo "$(ls "$DEST/lib/aarch64-linux-gnu" | wc -l) libraries" > "$DEST/.done"
echo "qemu-system-aarch64 (arm64) and $(cat "$DEST/.done") in $DEST"
fetch_modules
