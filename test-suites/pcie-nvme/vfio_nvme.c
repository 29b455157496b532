/* A userspace NVMe driver through vfio-pci, as SPDK/DPDK do it: VFIO type1 container and
 * group, the PCI function's device fd, its config space and BAR0 through the region
 * read/write interface, a DMA mapping for the queues and data, MSI-X vector 0 on an
 * eventfd; then the admin queue, Identify Controller, one I/O queue pair and a Read of
 * LBA 0. Used by tools/tests/pcie.rs inside the lsemu-booted Linux.
 * Build: aarch64-linux-gnu-gcc -O2 -static -Wall -Werror -o vfio_nvme vfio_nvme.c
 * Usage: vfio_nvme GROUP BDF
 * With VFIO_NVME_SMMU_FAULT=1 in the environment it then also reads LBA 0 to an IOVA that
 * is not mapped (see read_unmapped) and reads it again to the mapping. */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define IOVA 0x100000ull
#define ASQ (IOVA + 0x0000)
#define ACQ (IOVA + 0x1000)
#define DATA (IOVA + 0x2000)
#define IOCQ (IOVA + 0x3000)
#define IOSQ (IOVA + 0x4000)
#define QENTRIES 4

static int dev, efd;
static uint64_t bar0_off, cfg_off;
static uint8_t *mem;

static void die(const char *what) {
	printf("vfio-nvme: FAIL %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint32_t rd32(uint64_t off) {
	uint32_t v;
	if (pread(dev, &v, 4, bar0_off + off) != 4)
		die("BAR0 read");
	return v;
}

static void wr32(uint64_t off, uint32_t v) {
	if (pwrite(dev, &v, 4, bar0_off + off) != 4)
		die("BAR0 write");
}

static uint8_t *host(uint64_t iova) { return mem + (iova - IOVA); }

/* Submits a 64-byte command on queue q (tail *tail) and waits for its completion in the
 * CQ at cq (head *head, phase *phase) via the MSI-X eventfd; returns the status field. */
static int submit(int q, uint64_t sq, uint64_t cq, int *tail, int *head, int *phase, uint32_t *cmd) {
	memcpy(host(sq) + 64 * *tail, cmd, 64);
	*tail = (*tail + 1) % QENTRIES;
	wr32(0x1000 + 8 * q, *tail);
	struct pollfd p = { .fd = efd, .events = POLLIN };
	if (poll(&p, 1, 5000) != 1) {
		printf("vfio-nvme: FAIL no MSI-X interrupt for queue %d\n", q);
		exit(1);
	}
	uint64_t n;
	if (read(efd, &n, 8) != 8)
		die("eventfd read");
	volatile uint32_t *cqe = (volatile uint32_t *)(host(cq) + 16 * *head);
	uint32_t dw3 = cqe[3];
	if (((dw3 >> 16) & 1) != *phase) {
		printf("vfio-nvme: FAIL interrupt without a completion on queue %d\n", q);
		exit(1);
	}
	if (++*head == QENTRIES) {
		*head = 0;
		*phase ^= 1;
	}
	wr32(0x1004 + 8 * q, *head);
	return (dw3 >> 17) & 0x7fff;
}

/* The physical address of a resident page of ours (/proc/self/pagemap: bit 63 present,
 * bits 54:0 the PFN; Documentation/admin-guide/mm/pagemap.rst), or 0. */
static uint64_t phys_of(void *va) {
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, ((uintptr_t)va / 4096) * 8) != 8)
		e = 0;
	close(fd);
	return (e >> 63) ? (e & ((1ull << 55) - 1)) * 4096 : 0;
}

static int all(const uint8_t *b, size_t n, uint8_t v) {
	for (size_t i = 0; i < n; i++)
		if (b[i] != v)
			return 0;
	return 1;
}

/* A read of LBA 0 whose PRP1 is the IOVA P + 0x200, P being the physical address of a
 * page of our RAM that VFIO never mapped at that IOVA (an identity/bypass translation
 * would write into that page); canary pages are mapped at the neighbouring IOVAs P - 4 KiB
 * and P + 4 KiB. The SMMU must fault the write (arm-smmu prints it), the command must
 * complete with an error status, and no byte of the page or the canaries may change. */
static void read_unmapped(int container, int *tail, int *head, int *phase) {
	uint8_t *ram = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *canary = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED || canary == MAP_FAILED)
		die("mmap fault pages");
	memset(ram, 0xa5, 4096);
	memset(canary, 0x3c, 8192);
	mlock(ram, 4096);
	uint64_t pa = phys_of(ram);
	if (!pa) {
		printf("vfio-nvme: FAIL no physical address for the fault page\n");
		exit(1);
	}
	for (int k = 0; k < 2; k++) {
		struct vfio_iommu_type1_dma_map m = { .argsz = sizeof m, .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
						      .vaddr = (uintptr_t)canary + 4096 * k, .iova = k ? pa + 4096 : pa - 4096, .size = 4096 };
		if (ioctl(container, VFIO_IOMMU_MAP_DMA, &m))
			die("MAP_DMA canary");
	}
	uint64_t iova = pa + 0x200;
	uint32_t c[16];
	memset(c, 0, sizeof c);
	c[0] = 0x02 | 5 << 16;
	c[1] = 1;
	c[6] = (uint32_t)iova;
	c[7] = (uint32_t)(iova >> 32);
	int st = submit(1, IOSQ, IOCQ, tail, head, phase, c);
	usleep(100000);
	printf("vfio-nvme: read LBA 0 to unmapped iova 0x%llx status 0x%x\n", (unsigned long long)iova, st);
	printf("vfio-nvme: after the fault: ram at the iova untouched %d, canaries untouched %d\n", all(ram, 4096, 0xa5), all(canary, 8192, 0x3c));
}

int main(int argc, char **argv) {
	if (argc != 3) {
		fprintf(stderr, "usage: vfio_nvme GROUP BDF\n");
		return 2;
	}
	int container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0)
		die("open /dev/vfio/vfio");
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION || !ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU))
		die("VFIO API / type1");
	char path[64];
	snprintf(path, sizeof path, "/dev/vfio/%s", argv[1]);
	int group = open(path, O_RDWR);
	if (group < 0)
		die("open group");
	struct vfio_group_status gs = { .argsz = sizeof gs };
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &gs) || !(gs.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group not viable");
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) || ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU))
		die("container / type1");
	dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, argv[2]);
	if (dev < 0)
		die("GET_DEVICE_FD");
	struct vfio_device_info di = { .argsz = sizeof di };
	if (ioctl(dev, VFIO_DEVICE_GET_INFO, &di) || !(di.flags & VFIO_DEVICE_FLAGS_PCI))
		die("device info");
	struct vfio_region_info ri = { .argsz = sizeof ri, .index = VFIO_PCI_CONFIG_REGION_INDEX };
	if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri))
		die("config region");
	cfg_off = ri.offset;
	uint32_t id, class;
	if (pread(dev, &id, 4, cfg_off) != 4 || pread(dev, &class, 4, cfg_off + 8) != 4)
		die("config read");
	printf("vfio-nvme: vendor 0x%04x device 0x%04x class 0x%06x\n", id & 0xffff, id >> 16, class >> 8);
	uint16_t cmdreg;
	if (pread(dev, &cmdreg, 2, cfg_off + 4) != 2)
		die("command read");
	cmdreg |= 0x6; /* memory space, bus master */
	if (pwrite(dev, &cmdreg, 2, cfg_off + 4) != 2)
		die("command write");
	ri = (struct vfio_region_info){ .argsz = sizeof ri, .index = VFIO_PCI_BAR0_REGION_INDEX };
	if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri))
		die("BAR0 region");
	bar0_off = ri.offset;
	printf("vfio-nvme: BAR0 size 0x%llx\n", (unsigned long long)ri.size);

	mem = mmap(NULL, 0x5000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	memset(mem, 0, 0x5000);
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof map, .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
						.vaddr = (uintptr_t)mem, .iova = IOVA, .size = 0x5000 };
	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map))
		die("MAP_DMA");

	efd = eventfd(0, 0);
	char irqbuf[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *is = (struct vfio_irq_set *)irqbuf;
	*is = (struct vfio_irq_set){ .argsz = sizeof irqbuf, .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
				      .index = VFIO_PCI_MSIX_IRQ_INDEX, .start = 0, .count = 1 };
	memcpy(is->data, &efd, sizeof(int));
	if (ioctl(dev, VFIO_DEVICE_SET_IRQS, is))
		die("SET_IRQS MSI-X");

	printf("vfio-nvme: VS 0x%08x\n", rd32(0x08));
	wr32(0x14, 0);
	for (int i = 0; i < 1000 && (rd32(0x1c) & 1); i++)
		usleep(1000);
	wr32(0x24, (QENTRIES - 1) << 16 | (QENTRIES - 1));
	wr32(0x28, (uint32_t)ASQ);
	wr32(0x2c, (uint32_t)(ASQ >> 32));
	wr32(0x30, (uint32_t)ACQ);
	wr32(0x34, (uint32_t)(ACQ >> 32));
	wr32(0x14, 0x00460001);
	int i;
	for (i = 0; i < 1000 && !(rd32(0x1c) & 1); i++)
		usleep(1000);
	if (!(rd32(0x1c) & 1)) {
		printf("vfio-nvme: FAIL controller not ready\n");
		return 1;
	}
	int atail = 0, ahead = 0, aphase = 1;
	uint32_t c[16];
	/* Identify Controller into DATA. */
	memset(c, 0, sizeof c);
	c[0] = 0x06 | 1 << 16;
	c[6] = (uint32_t)DATA;
	c[10] = 1;
	int st = submit(0, ASQ, ACQ, &atail, &ahead, &aphase, c);
	char mn[41];
	memcpy(mn, host(DATA) + 24, 40);
	mn[40] = 0;
	for (i = 39; i >= 0 && mn[i] == ' '; i--)
		mn[i] = 0;
	printf("vfio-nvme: identify status %d vid 0x%04x model '%s'\n", st, host(DATA)[0] | host(DATA)[1] << 8, mn);
	/* I/O CQ 1 (vector 0) and SQ 1. */
	memset(c, 0, sizeof c);
	c[0] = 0x05 | 2 << 16;
	c[6] = (uint32_t)IOCQ;
	c[10] = (QENTRIES - 1) << 16 | 1;
	c[11] = 0 << 16 | 3;
	st = submit(0, ASQ, ACQ, &atail, &ahead, &aphase, c);
	memset(c, 0, sizeof c);
	c[0] = 0x01 | 3 << 16;
	c[6] = (uint32_t)IOSQ;
	c[10] = (QENTRIES - 1) << 16 | 1;
	c[11] = 1 << 16 | 1;
	st |= submit(0, ASQ, ACQ, &atail, &ahead, &aphase, c);
	printf("vfio-nvme: create I/O queues status %d\n", st);
	/* Read LBA 0 (one 512-byte block) into DATA. */
	int qtail = 0, qhead = 0, qphase = 1;
	memset(host(DATA), 0, 4096);
	memset(c, 0, sizeof c);
	c[0] = 0x02 | 4 << 16;
	c[1] = 1;
	c[6] = (uint32_t)DATA;
	st = submit(1, IOSQ, IOCQ, &qtail, &qhead, &qphase, c);
	char name[101];
	memcpy(name, host(DATA), 100);
	name[100] = 0;
	printf("vfio-nvme: read LBA 0 status %d: tar member '%s', magic '%.5s'\n", st, name, (char *)host(DATA) + 257);
	if (getenv("VFIO_NVME_SMMU_FAULT")) {
		read_unmapped(container, &qtail, &qhead, &qphase);
		/* The function and its context go on: the same read to the mapping again. */
		memset(host(DATA), 0, 4096);
		memset(c, 0, sizeof c);
		c[0] = 0x02 | 6 << 16;
		c[1] = 1;
		c[6] = (uint32_t)DATA;
		st = submit(1, IOSQ, IOCQ, &qtail, &qhead, &qphase, c);
		memcpy(name, host(DATA), 100);
		printf("vfio-nvme: read LBA 0 again status %d: tar member '%s', magic '%.5s'\n", st, name, (char *)host(DATA) + 257);
	}
	wr32(0x14, 0);
	printf("vfio-nvme: done\n");
	return 0;
}
