// Tiny static KVM VMM (tools/tests/kvm.rs, test-suites/kvm-vgic/run.sh): one vCPU, a GICv3
// vGIC, the guest (guest.S, as guest_bin.h made by xxd -i or the test) at GPA 0x40000000.
// Every KVM_RUN exit is logged on one line "kvm-exit N: ..." (reason, MMIO address, length,
// direction and data, system event type); the test compares the whole sequence.
// MMIO reads are answered from a small table; a write to 0x10000040 of 1 pulses SPI 40;
// KVM_EXIT_SYSTEM_EVENT ends the run ("kvm-test: done", exit 0). Anything unexpected:
// exit 1.
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
#define MMIO 0x10000000UL

static void set_attr(int dev, uint32_t group, uint64_t attr, void *addr) {
    struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uint64_t)addr };
    CHK(ioctl(dev, KVM_SET_DEVICE_ATTR, &a));
}

static void irq_line(int vm, int intid, int level) {
    struct kvm_irq_level l = { .irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | intid, .level = level };
    CHK(ioctl(vm, KVM_IRQ_LINE, &l));
}

static const char *event_name(uint32_t t) {
    switch (t) {
    case KVM_SYSTEM_EVENT_SHUTDOWN: return "SHUTDOWN";
    case KVM_SYSTEM_EVENT_RESET: return "RESET";
    case KVM_SYSTEM_EVENT_CRASH: return "CRASH";
    default: return "OTHER";
    }
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    int kvm = open("/dev/kvm", O_RDWR);
    CHK(kvm);
    printf("kvm-test: API %d\n", ioctl(kvm, KVM_GET_API_VERSION, 0));
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    CHK(vm);
    size_t memsz = 0x100000;
    void *mem = mmap(0, memsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) { perror("mmap"); return 1; }
    memcpy(mem, guest_bin, sizeof guest_bin);
    struct kvm_userspace_memory_region r = { .slot = 0, .guest_phys_addr = 0x40000000, .memory_size = memsz, .userspace_addr = (uint64_t)mem };
    CHK(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r));
    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    CHK(vcpu);
    struct kvm_vcpu_init init;
    CHK(ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init));
    init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
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
    CHK(runsz);
    struct kvm_run *run = mmap(0, runsz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) { perror("mmap kvm_run"); return 1; }
    printf("kvm-test: guest starts\n");
    for (int n = 1; n <= 100; n++) {
        CHK(ioctl(vcpu, KVM_RUN, 0));
        switch (run->exit_reason) {
        case KVM_EXIT_MMIO: {
            uint64_t a = run->mmio.phys_addr, v = 0;
            unsigned len = run->mmio.len;
            if (len > 8) len = 8;
            if (run->mmio.is_write) {
                memcpy(&v, run->mmio.data, len);
                printf("kvm-exit %d: MMIO write addr=%#lx len=%u data=%#lx\n", n, (unsigned long)a, len, (unsigned long)v);
                if (a == MMIO + 0x40 && v == 1) {
                    printf("kvm-test: pulse SPI 40\n");
                    irq_line(vm, 40, 1);
                    irq_line(vm, 40, 0);
                } else if (a == MMIO + 0xff0) {
                    printf("kvm-test: guest exception, ESR_EL1 %#lx\n", (unsigned long)v);
                    return 1;
                }
            } else {
                if (a == MMIO + 0x20) v = 0x89abcdef;
                else if (a == MMIO + 0x30) v = 0x8001;
                else v = 0;
                memcpy(run->mmio.data, &v, len);
                printf("kvm-exit %d: MMIO read addr=%#lx len=%u answer=%#lx\n", n, (unsigned long)a, len, (unsigned long)v);
            }
            break;
        }
        case KVM_EXIT_SYSTEM_EVENT:
            printf("kvm-exit %d: SYSTEM_EVENT type=%u (%s)\n", n, run->system_event.type, event_name(run->system_event.type));
            printf("kvm-test: done\n");
            return run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN ? 0 : 1;
        case KVM_EXIT_FAIL_ENTRY:
            printf("kvm-exit %d: FAIL_ENTRY reason=%#llx\n", n, (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
            return 1;
        case KVM_EXIT_INTERNAL_ERROR:
            printf("kvm-exit %d: INTERNAL_ERROR suberror=%u\n", n, run->internal.suberror);
            return 1;
        default:
            printf("kvm-exit %d: reason=%u\n", n, run->exit_reason);
            return 1;
        }
    }
    printf("kvm-test: too many exits\n");
    return 1;
}
