#!/usr/bin/env bash
# Installs the test prerequisites (Debian packages) if they are missing, then runs every
# test suite of the workspace. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu)
# The KVM test's static VMM (test-suites/kvm-vgic/vmm.c) needs the arm64 libc and kernel headers.
[ -e /usr/aarch64-linux-gnu/include/linux/kvm.h ] && [ -e /usr/aarch64-linux-gnu/lib/libc.a ] || need+=(libc6-dev-arm64-cross)
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
command -v qemu-system-aarch64 >/dev/null || need+=(qemu-system-arm)
command -v make >/dev/null || need+=(make)
command -v readelf >/dev/null || need+=(binutils)
command -v gdb-multiarch >/dev/null || need+=(gdb-multiarch)
command -v curl >/dev/null || need+=(curl)
command -v xz >/dev/null || need+=(xz-utils)
# The network backend tests: pcap files read back by tcpdump, TAP devices set up with ip.
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v ip >/dev/null || need+=(iproute2)
if ((${#need[@]})); then
    SUDO=
    [ "$(id -u)" = 0 ] || SUDO=sudo
    echo "test-all: installing ${need[*]}" >&2
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
fi

# Test corpora (Debian's arm64 kernel, its RDB device tree, busybox), cached under ~/.cache/lsemu.
test-suites/fetch-corpus.sh
# Debian's arm64 qemu-system-aarch64 + libraries for the nested-KVM test (~/.cache/lsemu/qemu-arm64).
test-suites/kvm-nested/fetch.sh
# fsl-mc-dpio.ko of the corpus kernel for the QBMan portal boot test (~/.cache/lsemu/dpaa2-modules).
test-suites/fsl-mc-dpio/fetch.sh
# Debian's nvme + nvme-core modules (and their dependencies) of the corpus kernel for the PCIe/NVMe
# boot test (~/.cache/lsemu/nvme-modules).
test-suites/pcie-nvme/fetch.sh
# vfio, vfio_iommu_type1, vfio-fsl-mc of the corpus kernel for tools/tests/vfio.rs (~/.cache/lsemu/vfio-modules).
test-suites/vfio-fsl-mc/fetch.sh
# Debian's arm64 dpdk-testpmd, the fslmc/dpaa2 drivers and their libraries for tools/tests/dpdk.rs
# (~/.cache/lsemu/dpdk).
test-suites/dpdk/fetch.sh

cargo test --workspace --release "$@"
