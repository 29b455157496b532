#!/bin/sh
# Fetches fsl-mc-dpio.ko (the fsl_mc_dpio driver: DPIO objects, QBMan software portals;
# Debian builds it =m) from the corpus kernel's own package (named by the banner of
# ~/.cache/lsemu/corpus/Image) into ~/.cache/lsemu/dpaa2-modules (or
# $LSEMU_DPAA2_MODULES), for the fsl_mc_dpio boot test in tools/tests/linux_boot.rs.
# Needs the arm64 architecture known to apt (see test-suites/kvm-nested/fetch.sh, which
# sets it up as root). Idempotent: does nothing when the module of that kernel is there.
set -eu
DEST=${LSEMU_DPAA2_MODULES:-$HOME/.cache/lsemu/dpaa2-modules}
CORPUS=${LSEMU_CORPUS:-$HOME/.cache/lsemu/corpus}
banner=$(grep -a -o -m1 'Linux version [^ ]* (debian-kernel@[^#]*#[^(]*Debian [^ ]*' "$CORPUS/Image" 2>/dev/null | head -1)
kpkg=linux-image-$(echo "$banner" | awk '{print $3}')-unsigned
kver=$(echo "$banner" | awk '{print $NF}')
[ "$kpkg" != linux-image--unsigned ] && [ -n "$kver" ] || { echo "fsl-mc-dpio/fetch.sh: no Debian kernel banner in $CORPUS/Image: run test-suites/fetch-corpus.sh first" >&2; exit 1; }
if [ "$(cat "$DEST/.done" 2>/dev/null)" = "$kpkg $kver" ] && [ -f "$DEST/fsl-mc-dpio.ko" ]; then
    echo "fsl-mc-dpio.ko of $kpkg already in $DEST"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 777 "$work"
(cd "$work" && apt-get download -q "$kpkg:arm64=$kver" >/dev/null) ||
    { echo "fsl-mc-dpio/fetch.sh: cannot download $kpkg:arm64=$kver (the corpus kernel)" >&2; exit 1; }
dpkg-deb -x "$work"/*.deb "$work/x"
rm -rf "$DEST"
mkdir -p "$DEST"
cp "$work"/x/lib/modules/*/kernel/drivers/soc/fsl/dpio/fsl-mc-dpio.ko "$DEST/"
echo "$kpkg $kver" > "$DEST/.done"
echo "fsl-mc-dpio.ko of $kpkg in $DEST"
