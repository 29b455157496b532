#!/bin/sh
# Fetches Debian's NVMe host driver modules (nvme.ko, nvme-core.ko and what they need:
# t10-pi, crc-t10dif, crct10dif_common, crc64-rocksoft, crc64; Debian builds them =m) from
# the corpus kernel's own package (named by the banner of ~/.cache/lsemu/corpus/Image)
# and the vfio-pci stack (vfio, vfio_iommu_type1, vfio_virqfd, vfio-pci-core, vfio-pci)
# into ~/.cache/lsemu/nvme-modules (or $LSEMU_NVME_MODULES), for tools/tests/pcie.rs.
# Needs the arm64 architecture known to apt (see test-suites/kvm-nested/fetch.sh).
# Idempotent: does nothing when the modules of that kernel are there.
set -eu
DEST=${LSEMU_NVME_MODULES:-$HOME/.cache/lsemu/nvme-modules}
CORPUS=${LSEMU_CORPUS:-$HOME/.cache/lsemu/corpus}
# In load order (each after the modules it depends on: modinfo -F depends).
MODS="lib/crc64.ko lib/crc64-rocksoft.ko crypto/crct10dif_common.ko lib/crc-t10dif.ko block/t10-pi.ko drivers/nvme/host/nvme-core.ko drivers/nvme/host/nvme.ko"
VFIO_MODS="drivers/vfio/vfio.ko drivers/vfio/vfio_iommu_type1.ko drivers/vfio/vfio_virqfd.ko drivers/vfio/pci/vfio-pci-core.ko drivers/vfio/pci/vfio-pci.ko"
banner=$(grep -a -o -m1 'Linux version [^ ]* (debian-kernel@[^#]*#[^(]*Debian [^ ]*' "$CORPUS/Image" 2>/dev/null | head -1)
kpkg=linux-image-$(echo "$banner" | awk '{print $3}')-unsigned
kver=$(echo "$banner" | awk '{print $NF}')
[ "$kpkg" != linux-image--unsigned ] && [ -n "$kver" ] || { echo "pcie-nvme/fetch.sh: no Debian kernel banner in $CORPUS/Image: run test-suites/fetch-corpus.sh first" >&2; exit 1; }
if [ "$(cat "$DEST/.done" 2>/dev/null)" = "$kpkg $kver" ] && [ -f "$DEST/nvme.ko" ] && [ -f "$DEST/vfio-pci.ko" ]; then
    echo "NVMe modules of $kpkg already in $DEST"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 777 "$work"
(cd "$work" && apt-get download -q "$kpkg:arm64=$kver" >/dev/null) ||
    { echo "pcie-nvme/fetch.sh: cannot download $kpkg:arm64=$kver (the corpus kernel)" >&2; exit 1; }
dpkg-deb -x "$work"/*.deb "$work/x"
rm -rf "$DEST"
mkdir -p "$DEST"
: > "$DEST/modules.order"
for m in $MODS; do
    cp "$work"/x/lib/modules/*/kernel/$m "$DEST/"
    basename "$m" >> "$DEST/modules.order"
done
for m in $VFIO_MODS; do
    cp "$work"/x/lib/modules/*/kernel/$m "$DEST/"
done
echo "$kpkg $kver" > "$DEST/.done"
echo "NVMe modules of $kpkg in $DEST"
