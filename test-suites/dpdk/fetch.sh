#!/bin/sh
# Fetches Debian bookworm's arm64 DPDK 22.11: dpdk-testpmd (package dpdk-dev), the fslmc bus
# and dpaa2 drivers (librte-bus-fslmc23, librte-net-dpaa2-23, librte-mempool-dpaa2-23,
# librte-common-dpaax23) and the DT_NEEDED closure of all of them, into
# ~/.cache/lsemu/dpdk (or $LSEMU_DPDK):
#   usr/bin/dpdk-testpmd, lib/ld-linux-aarch64.so.1, lib/aarch64-linux-gnu/*.so.*
# for the DPDK boot test (tools/tests/dpdk.rs). The packages come from the one-level
# Depends of dpdk-dev (the librte-* libraries testpmd links) plus the recursive Depends of
# those libraries (no -dev packages); the closure is then worked out with readelf.
# Needs the arm64 architecture known to apt (test-suites/kvm-nested/fetch.sh sets it up as
# root). Idempotent: does nothing when the cache is complete.
set -eu
DEST=${LSEMU_DPDK:-$HOME/.cache/lsemu/dpdk}
if [ -e "$DEST/.done" ] && [ -e "$DEST/lib/aarch64-linux-gnu/librte_mempool_ring.so.23" ]; then
    echo "dpdk-testpmd (arm64) already in $DEST"
    exit 0
fi
if ! dpkg --print-foreign-architectures | grep -qx arm64 || ! apt-cache show dpdk-dev:arm64 >/dev/null 2>&1; then
    echo "dpdk/fetch.sh: run 'dpkg --add-architecture arm64 && apt-get update' as root first" >&2
    exit 1
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/debs" "$WORK/x"
chmod 755 "$WORK"
chmod 777 "$WORK/debs"
DPAA2="zlib1g:arm64 librte-bus-fslmc23:arm64 librte-net-dpaa2-23:arm64 librte-mempool-dpaa2-23:arm64 librte-common-dpaax23:arm64"
libs=$(apt-cache depends dpdk-dev:arm64 | sed -n 's/^  Depends: \(.*:arm64\)$/\1/p' |
    grep -E '^(lib|ibverbs-providers)' | grep -v -- '-dev:')
apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances --no-pre-depends $libs $DPAA2 |
    grep -v '^[ <]' | grep ':arm64$' | grep -E '^(lib|zlib1g|ibverbs-providers)' | grep -v -- '-dev:' |
    sort -u > "$WORK/pkgs.txt"
(cd "$WORK/debs" && apt-get download -q dpdk-dev:arm64 $(cat "$WORK/pkgs.txt") >/dev/null)
for d in "$WORK"/debs/*.deb; do dpkg-deb -x "$d" "$WORK/x"; done
rm -rf "$DEST"
mkdir -p "$DEST/usr/bin" "$DEST/lib/aarch64-linux-gnu"
cp "$WORK/x/usr/bin/dpdk-testpmd" "$DEST/usr/bin/"
cp -L "$WORK/x/lib/ld-linux-aarch64.so.1" "$DEST/lib/"
todo="$WORK/x/usr/bin/dpdk-testpmd"
for l in bus_fslmc net_dpaa2 mempool_dpaa2 common_dpaax mempool_ring; do
    todo="$todo $WORK/x/usr/lib/aarch64-linux-gnu/librte_$l.so.23"
    cp -L "$WORK/x/usr/lib/aarch64-linux-gnu/librte_$l.so.23" "$DEST/lib/aarch64-linux-gnu/"
done
while [ -n "$todo" ]; do
    next=""
    for f in $todo; do
        for n in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
            [ -e "$DEST/lib/aarch64-linux-gnu/$n" ] || [ "$n" = ld-linux-aarch64.so.1 ] && continue
            src=""
            for d in lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu; do
                [ -e "$WORK/x/$d/$n" ] && src="$WORK/x/$d/$n" && break
            done
            [ -n "$src" ] || { echo "dpdk/fetch.sh: $n not found" >&2; exit 1; }
            cp -L "$src" "$DEST/lib/aarch64-linux-gnu/$n"
            next="$next $src"
        done
    done
    todo=$next
done
# glibc dlopen()s libgcc_s for pthread_cancel (testpmd's exit path); not a DT_NEEDED.
cp -L "$WORK/x/lib/aarch64-linux-gnu/libgcc_s.so.1" "$DEST/lib/aarch64-linux-gnu/"
echo "$(ls "$DEST/lib/aarch64-linux-gnu" | wc -l) libraries" > "$DEST/.done"
echo "dpdk-testpmd (arm64) and $(cat "$DEST/.done") in $DEST"
