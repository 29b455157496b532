#!/bin/sh
# Fetches fsl-mc-dpio.ko (the fsl_mc_dpio driver: DPIO objects, QBMan software portals;
# Debian builds it =m) and fsl-dpaa2-eth.ko (dpaa2-eth, =m) with the modules
# `modinfo -F depends` names for it (fsl-mc-dpio, pcs-lynx, libphy, phylink, of_mdio, and
# theirs: fixed_phy, fwnode_mdio) from the corpus kernel's own package (named by the banner
# of ~/.cache/lsemu/corpus/Image) into ~/.cache/lsemu/dpaa2-modules (or
# $LSEMU_DPAA2_MODULES), for the fsl_mc_dpio boot test in tools/tests/linux_boot.rs and the
# dpaa2-eth tests in tools/tests/dpaa2.rs. `modules.order` there lists them in load order.
# Needs the arm64 architecture known to apt (see test-suites/kvm-nested/fetch.sh, which
# sets it up as root). Idempotent: does nothing when the module of that kernel is there.
set -eu
DEST=${LSEMU_DPAA2_MODULES:-$HOME/.cache/lsemu/dpaa2-modules}
CORPUS=${LSEMU_CORPUS:-$HOME/.cache/lsemu/corpus}
banner=$(grep -a -o -m1 'Linux version [^ ]* (debian-kernel@[^#]*#[^(]*Debian [^ ]*' "$CORPUS/Image" 2>/dev/null | head -1)
kpkg=linux-image-$(echo "$banner" | awk '{print $3}')-unsigned
kver=$(echo "$banner" | awk '{print $NF}')
[ "$kpkg" != linux-image--unsigned ] && [ -n "$kver" ] || { echo "fsl-mc-dpio/fetch.sh: no Debian kernel banner in $CORPUS/Image: run test-suites/fetch-corpus.sh first" >&2; exit 1; }
MODS="libphy fixed_phy fwnode_mdio of_mdio phylink pcs-lynx fsl-mc-dpio fsl-dpaa2-eth"
if [ "$(cat "$DEST/.done" 2>/dev/null)" = "$kpkg $kver 2" ] && [ -f "$DEST/fsl-dpaa2-eth.ko" ]; then
    echo "DPAA2 modules of $kpkg already in $DEST"
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
for m in $MODS; do
    f=$(find "$work"/x/lib/modules -name "$m.ko" | head -1)
    [ -n "$f" ] || { echo "fsl-mc-dpio/fetch.sh: $m.ko not in $kpkg" >&2; exit 1; }
    cp "$f" "$DEST/"
    echo "$m.ko" >> "$DEST/modules.order"
done
echo "$kpkg $kver 2" > "$DEST/.done"
echo "DPAA2 modules of $kpkg in $DEST"
