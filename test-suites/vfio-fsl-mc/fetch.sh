#!/bin/sh
# Fetches the VFIO modules vfio-fsl-mc needs (Debian builds CONFIG_VFIO, VFIO_IOMMU_TYPE1
# and VFIO_FSL_MC =m; `modinfo -F depends`: vfio_iommu_type1 and vfio-fsl-mc need vfio,
# vfio needs nothing) from the corpus kernel's own package (named by the banner of
# ~/.cache/lsemu/corpus/Image) into ~/.cache/lsemu/vfio-modules (or $LSEMU_VFIO_MODULES),
# for the vfio-fsl-mc boot test tools/tests/vfio.rs. Needs the arm64 architecture known
# to apt (see test-suites/kvm-nested/fetch.sh, which sets it up as root). Idempotent:
# does nothing when the modules of that kernel are there.
set -eu
DEST=${LSEMU_VFIO_MODULES:-$HOME/.cache/lsemu/vfio-modules}
CORPUS=${LSEMU_CORPUS:-$HOME/.cache/lsemu/corpus}
MODS="vfio.ko vfio_iommu_type1.ko fsl-mc/vfio-fsl-mc.ko"
banner=$(grep -a -o -m1 'Linux version [^ ]* (debian-kernel@[^#]*#[^(]*Debian [^ ]*' "$CORPUS/Image" 2>/dev/null | head -1)
kpkg=linux-image-$(echo "$banner" | awk '{print $3}')-unsigned
kver=$(echo "$banner" | awk '{print $NF}')
[ "$kpkg" != linux-image--unsigned ] && [ -n "$kver" ] || { echo "vfio-fsl-mc/fetch.sh: no Debian kernel banner in $CORPUS/Image: run test-suites/fetch-corpus.sh first" >&2; exit 1; }
have=yes
for m in $MODS; do [ -f "$DEST/$(basename "$m")" ] || have=no; done
if [ "$(cat "$DEST/.done" 2>/dev/null)" = "$kpkg $kver" ] && [ $have = yes ]; then
    echo "VFIO modules of $kpkg already in $DEST"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 777 "$work"
(cd "$work" && apt-get download -q "$kpkg:arm64=$kver" >/dev/null) ||
    { echo "vfio-fsl-mc/fetch.sh: cannot download $kpkg:arm64=$kver (the corpus kernel)" >&2; exit 1; }
dpkg-deb -x "$work"/*.deb "$work/x"
rm -rf "$DEST"
mkdir -p "$DEST"
for m in $MODS; do cp "$work"/x/lib/modules/*/kernel/drivers/vfio/"$m" "$DEST/"; done
echo "$kpkg $kver" > "$DEST/.done"
echo "VFIO modules of $kpkg in $DEST"
