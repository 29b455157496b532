// Tiny KVM VMM for test-suites/kvm-vgic/run.sh: one vCPU, a GICv3 vGIC, the guest
// (guest.S, as guest_bin.h made by xxd -i) at GPA 0x40000000. Reports what the guest
// took; "kvm-test: PASS" when the guest says it is done.
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>
#include "guest_bin.h"

#define CHK(x) do { if ((long)(x) < 0) { perror(#x); exit(1); } } while (0)

static void set_attr(int dev, uint32_t group, uint64_t attr, void *addr) {
    struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uint64_t)addr };
    CHK(ioctl(dev, KVM_SET_DEVICE_ATTR, &a));
}

static void irq_line(int vm, int intid, int level) {
    struct kvm_irq_level l = { .irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | intid, .level = level };
    CHK(ioctl(vm, KVM_IRQ_LINE, &l));
}

int main(void) {
    int kvm = open("/dev/kvm", O_RDWR);
    CHK(kvm);
    printf("kvm-test: API %d\n", ioctl(kvm, KVM_GET_API_VERSION, 0));
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    CHK(vm);
    size_t memsz = 0x100000;
    void *mem = mmap(0, memsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    memcpy(mem, guest_bin, sizeof guest_bin);
    struct kvm_userspace_memory_region r = { .slot = 0, .guest_phys_addr = 0x40000000, .memory_size = memsz, .userspace_addr = (uint64_t)mem };
    CHK(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r));
    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    CHK(vcpu);
    struct kvm_vcpu_init init;
    CHK(ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init));
    CHK(ioctl(vcpu, KVM_ARM_VCPU_INIT, &init));
    struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
    CHK(ioctl(vm, KVM_CREATE_DEVICE, &cd));
    uint64_t dist = 0x08000000, redist = 0x080A0000;
    set_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
    set_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist);
    set_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
    uint64_t pc = 0x40000000;
    struct kvm_one_reg reg = { .id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (offsetof(struct kvm_regs, regs.pc) / 4), .addr = (uint64_t)&pc };
    CHK(ioctl(vcpu, KVM_SET_ONE_REG, &reg));
    int runsz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    struct kvm_run *run = mmap(0, runsz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    printf("kvm-test: guest starts\n");
    for (int n = 0; n < 1000; n++) {
        CHK(ioctl(vcpu, KVM_RUN, 0));
        if (run->exit_reason != KVM_EXIT_MMIO) {
            printf("kvm-test: exit reason %u\n", run->exit_reason);
            return 1;
        }
        uint64_t v = 0;
        memcpy(&v, run->mmio.data, run->mmio.len);
        uint64_t a = run->mmio.phys_addr;
        if (!run->mmio.is_write) {
            printf("kvm-test: MMIO read %#lx\n", (unsigned long)a);
            continue;
        }
        if (a == 0x10000000 && v == 1) {
            printf("kvm-test: pulse SPI 40\n");
            irq_line(vm, 40, 1);
            irq_line(vm, 40, 0);
        } else if (a == 0x10000000 && v == 0xdead) {
            printf("kvm-test: PASS\n");
            return 0;
        } else if (a == 0x10000008) {
            printf("kvm-test: guest took INTID %lu\n", (unsigned long)v);
        } else {
            printf("kvm-test: MMIO write %#lx <- %#lx (guest exception ESR)\n", (unsigned long)a, (unsigned long)v);
            return 1;
        }
    }
    printf("kvm-test: too many exits\n");
    return 1;
}
