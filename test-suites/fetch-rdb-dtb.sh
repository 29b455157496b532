#!/bin/sh
# Fetches the kernel's own LS2088A-RDB device tree into ~/.cache/lsemu/corpus (or
# $LSEMU_CORPUS), for the firmware crate's DTB fix-up tests:
#   fsl-ls2088a-rdb.dtb   usr/lib/linux-image-*/freescale/ from linux-image-*-arm64-unsigned
# Same method as fetch-corpus.sh (no root: .deb over HTTPS, SHA256 checked against the
# archive's Packages index, unpacked with ar + tar).
set -eu
DEST=${LSEMU_CORPUS:-$HOME/.cache/lsemu/corpus}
MIRROR=${LSEMU_DEBIAN_MIRROR:-https://deb.debian.org}
SUITE=${LSEMU_DEBIAN_SUITE:-bookworm}
mkdir -p "$DEST"
if [ -s "$DEST/fsl-ls2088a-rdb.dtb" ]; then
    echo "RDB dtb already in $DEST"; exit 0
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Prints "<url> <sha256>" for the newest arm64 package whose name matches the regex $1.
find_pkg() {
    if apt-cache show "busybox-static:arm64" >/dev/null 2>&1; then
        name=$(apt-cache search --names-only "$1" | awk '{print $1}' | grep -E "$1" | sort -V | tail -1)
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

set -- $(find_pkg 'linux-image-[0-9.]+-[0-9]+-arm64-unsigned')
[ $# -eq 2 ] || { echo "fetch-rdb-dtb: no linux-image-*-arm64-unsigned package" >&2; exit 1; }
echo "fetching $1"
curl -fsSL "$1" -o "$WORK/k.deb"
echo "$2  $WORK/k.deb" | sha256sum -c --quiet - || { echo "fetch-rdb-dtb: SHA256 mismatch for $1" >&2; exit 1; }
mkdir -p "$WORK/k"
(cd "$WORK/k" && ar x ../k.deb && tar -xf data.tar.* --wildcards '*fsl-ls2088a-rdb.dtb')
cp "$(ls "$WORK"/k/usr/lib/linux-image-*/freescale/fsl-ls2088a-rdb.dtb | head -1)" "$DEST/fsl-ls2088a-rdb.dtb"
# A flattened device tree starts with the magic 0xd00dfeed.
[ "$(od -An -tx1 -N4 "$DEST/fsl-ls2088a-rdb.dtb" | tr -d ' \n')" = "d00dfeed" ] || { echo "fetch-rdb-dtb: bad DTB" >&2; exit 1; }
ls -l "$DEST/fsl-ls2088a-rdb.dtb"
