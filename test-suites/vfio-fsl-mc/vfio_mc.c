/*
 * vfio_mc: drives a DPRC child container bound to vfio-fsl-mc from userspace, as DPDK's
 * fslmc bus does, and prints one "vfio-test:" line per step for tools/tests/vfio.rs.
 *
 * Usage: vfio_mc DPRC GROUP OBJ... (e.g. vfio_mc dprc.3 1 dpni.1 dpbp.1 dpmcp.13).
 * The DPRC must already be bound to vfio-fsl-mc (the test's init script does it).
 *
 * Sequence (include/uapi/linux/vfio.h; MC command layouts: include/linux/fsl/mc.h,
 * drivers/bus/fsl-mc/fsl-mc-private.h, dpni-cmd.h):
 *  container + group + VFIO_SET_IOMMU(type1), IOMMU info, MAP_DMA/UNMAP_DMA;
 *  the DPRC's device fd: info, region 0 (the child's MC portal, read/write emulated),
 *  IRQ 0; MC commands through the region: GET_CONT_ID, GET_API_VERSION, OPEN, GET_ATTR,
 *  GET_OBJ_COUNT, GET_OBJ (each object);
 *  each object's device fd and info; a DPMCP's portal mmap()ed and a command sent there;
 *  for a DPIO, a QBMan volatile dequeue whose result QBMan writes by DMA into the buffer
 *  mapped with VFIO_IOMMU_MAP_DMA;
 *  the DPNI's IRQ 0 wired to an eventfd (VFIO_DEVICE_SET_IRQS), then DPNI_OPEN,
 *  SET_IRQ_MASK, SET_IRQ_ENABLE, ENABLE (link change event) and the eventfd read;
 *  the DPRC's own IRQ 0 on a second eventfd, then released;
 *  VFIO_DEVICE_RESET of the DPRC and what it did to the DPNI.
 */
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

#define T(...) do { printf("vfio-test: " __VA_ARGS__); printf("\n"); fflush(stdout); } while (0)

/* MC command header fields (include/linux/fsl/mc.h: struct mc_cmd_header). */
#define HDR(cmd, token) (((uint64_t)(cmd) << 48) | ((uint64_t)(token) << 32) | (0x01ull << 16) /* READY */ | (0x80ull << 8) /* PRI */)
#define HDR_STATUS(h) (((h) >> 16) & 0xff)
#define HDR_TOKEN(h) (((h) >> 32) & 0xffff)

/* Command ids: (number << 4) | version (fsl-mc-private.h, dpni-cmd.h, dpmng). */
#define CMD_CLOSE 0x8001
#define CMD_DPRC_GET_CONT_ID 0x8301
#define CMD_DPRC_OPEN 0x8051
#define CMD_DPRC_GET_API_VERSION 0xA051
#define CMD_GET_ATTR 0x0041
#define CMD_DPRC_GET_OBJ_COUNT 0x1591
#define CMD_DPRC_GET_OBJ 0x15A1
#define CMD_DPNI_OPEN 0x8011
#define CMD_ENABLE 0x0021
#define CMD_DISABLE 0x0031
#define CMD_IS_ENABLED 0x0061
#define CMD_GET_IRQ 0x0111
#define CMD_SET_IRQ_ENABLE 0x0121
#define CMD_GET_IRQ_ENABLE 0x0131
#define CMD_SET_IRQ_MASK 0x0141
#define CMD_GET_IRQ_STATUS 0x0161
#define CMD_CLEAR_IRQ_STATUS 0x0171

static int dprc_fd = -1;

/* One MC command through the DPRC region's read/write emulation (vfio_fsl_mc_write
 * sends it and polls; vfio_fsl_mc_read returns the 64 bytes). Returns the MC status,
 * or -errno of the syscall. */
static int mc_cmd(uint64_t w[8])
{
	if (pwrite(dprc_fd, w, 64, 0) != 64)
		return -errno;
	if (pread(dprc_fd, w, 64, 0) != 64)
		return -errno;
	return (int)HDR_STATUS(w[0]);
}

static void cmd_init(uint64_t w[8], uint16_t id, uint16_t token)
{
	memset(w, 0, 64);
	w[0] = HDR(id, token);
}

static uint32_t u32_at(const uint64_t w[8], int byte)
{
	uint32_t v;
	memcpy(&v, (const uint8_t *)&w[1] + byte, 4);
	return v;
}

static uint16_t u16_at(const uint64_t w[8], int byte)
{
	uint16_t v;
	memcpy(&v, (const uint8_t *)&w[1] + byte, 2);
	return v;
}

static int simple(const char *what, uint16_t id, uint16_t token, uint32_t p0, uint32_t p1)
{
	uint64_t w[8];
	cmd_init(w, id, token);
	w[1] = p0 | ((uint64_t)p1 << 32);
	int st = mc_cmd(w);
	T("mc %s status %d", what, st);
	return st;
}

/* The /proc/interrupts lines of VFIO's handlers ("vfio-irq[virq](dev)"): the total count
 * over the CPUs, the chip, the hwirq (fsl-mc MSIs: ICID * 10000 + pool index) and the
 * device name without the virq. */
static void proc_irqs(const char *when)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char line[512];
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *v = strstr(line, "vfio-irq[");
		if (!v)
			continue;
		char *tok = strtok(line, " \t\n");
		unsigned long total = 0;
		char *chip = NULL, *hwirq = NULL;
		while ((tok = strtok(NULL, " \t\n"))) {
			char *end;
			unsigned long c = strtoul(tok, &end, 10);
			if (*end == 0 && !chip) {
				total += c;
				continue;
			}
			if (!chip)
				chip = tok;
			else if (!hwirq)
				hwirq = tok;
			else
				break;
		}
		char *dev = strchr(v, '(');
		char *close = dev ? strchr(dev, ')') : NULL;
		if (close)
			close[1] = 0;
		T("%s: irq %s hwirq %s vfio-irq%s count %lu", when, chip ? chip : "?", hwirq ? hwirq : "?", dev ? dev : "?", total);
	}
	fclose(f);
}

/* A volatile dequeue on the DPIO's QBMan software portal (`p`: its cache-inhibited region,
 * mmap()ed) with results to memory at `iova` (VDQCR at 0x780: byte 0 verb = valid bit 0x80 |
 * RLS 0x10 (results to memory) | type FQ 2<<2 | DCT 1, byte 1 numf = 0 (one frame), byte 2
 * token, bytes 4-7 FQID, bytes 8-15 the result address; the verb's store triggers it;
 * reference §5.4). The valid bit alternates per command (QBMan's VDQCR valid-bit scheme). */
static void vdq(volatile uint64_t *p, uint64_t iova, uint8_t tok)
{
	static uint8_t vb = 0x80;
	volatile uint64_t *v = p + 0x780 / 8;
	for (int j = 7; j >= 2; j--)
		v[j] = 0;
	v[1] = iova;
	__asm__ volatile("dsb st" ::: "memory");
	v[0] = vb | 0x10 | (2 << 2) | 1 | ((uint64_t)tok << 16) | ((uint64_t)0 << 32);
	__asm__ volatile("dsb sy" ::: "memory");
	vb ^= 0x80;
}

/* SMMU fault test state: a page of RAM whose physical address P is used as an IOVA that is
 * NOT mapped in VFIO's domain (under an identity/bypass translation the device would write
 * into this page), and two canary pages mapped at the neighbouring IOVAs P - 4 KiB and
 * P + 4 KiB (so the level-3 table covering P exists and the walk faults at level 3). */
static volatile uint8_t *fault_ram, *fault_canary;
static uint64_t fault_pa;

static uint64_t phys_of(volatile void *va)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, ((uintptr_t)va / 4096) * 8) != 8)
		e = 0;
	close(fd);
	/* Bit 63 present; bits 54:0 the PFN (Documentation/admin-guide/mm/pagemap.rst). */
	return (e >> 63) ? (e & ((1ull << 55) - 1)) * 4096 : 0;
}

static int fault_setup(int cont)
{
	fault_ram = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fault_canary = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fault_ram == MAP_FAILED || fault_canary == MAP_FAILED)
		return -1;
	memset((void *)fault_ram, 0xa5, 4096);
	memset((void *)fault_canary, 0x3c, 8192);
	mlock((void *)fault_ram, 4096);
	fault_pa = phys_of(fault_ram);
	T("fault: ram page found %d", fault_pa != 0);
	if (!fault_pa)
		return -1;
	int ok = 1;
	for (int k = 0; k < 2; k++) {
		struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
						      .vaddr = (uintptr_t)fault_canary + 4096 * k, .iova = k ? fault_pa + 4096 : fault_pa - 4096, .size = 4096 };
		if (ioctl(cont, VFIO_IOMMU_MAP_DMA, &m) < 0)
			ok = 0;
	}
	T("fault: canaries mapped at P-4K and P+4K %d", ok);
	return ok ? 0 : -1;
}

static int all(volatile uint8_t *b, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != v)
			return 0;
	return 1;
}

/* A dequeue result written to the unmapped IOVA P + off: the SMMU must fault it (arm-smmu
 * prints the context fault; the test reads dmesg), write nothing to the RAM page at P nor to
 * the canaries, and the result is not written anywhere the program can see. */
static void dpio_fault(volatile uint64_t *p, const char *obj, uint64_t off, uint8_t tok)
{
	uint64_t iova = fault_pa + off;
	vdq(p, iova, tok);
	usleep(200000);
	T("%s fault vdq iova 0x%llx", obj, (unsigned long long)iova);
	T("%s after fault: ram at the iova untouched %d, canaries untouched %d", obj, all(fault_ram, 4096, 0xa5), all(fault_canary, 8192, 0x3c));
}

/* A DMA by a device of the container into the VFIO mapping: a volatile dequeue with results
 * to `iova`. No FQ has frames, so QBMan writes one "empty" result: verb DQ (0x60 under mask
 * 0x7f, qbman-portal.h QBMAN_RESULT_DQ), stat VOLATILE|EXPIRED (0x03), the token copied.
 * With `fault`, the same portal first DMAs to an unmapped IOVA, and again afterwards. */
static void dpio_dma(int fd, const char *obj, volatile uint8_t *buf, uint64_t iova, int fault)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = 1 };
	if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0 || !(ri.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		T("%s: no mmap-able CINH region", obj);
		return;
	}
	volatile uint64_t *p = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, ri.offset);
	if (p == MAP_FAILED) {
		T("%s mmap cinh failed errno %d", obj, errno);
		return;
	}
	if (fault)
		dpio_fault(p, obj, 0x40, 0x2b);
	const uint8_t tok = 0x2a;
	vdq(p, iova, tok);
	int spins = 0;
	while (buf[7] != tok && spins < 1000000)
		spins++;
	T("%s vdq result in the dma buffer: verb&0x7f 0x%x stat 0x%x tok 0x%x, next entry untouched %d", obj, buf[0] & 0x7f, buf[1], buf[7], buf[64] == 0x5a);
	if (fault)
		dpio_fault(p, obj, 0x80, 0x2c);
	munmap((void *)p, ri.size);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: vfio_mc DPRC GROUP OBJ...\n");
		return 2;
	}
	const char *dprc = argv[1];
	char path[64];
	uint64_t w[8];

	int cont = open("/dev/vfio/vfio", O_RDWR);
	if (cont < 0) {
		T("open /dev/vfio/vfio failed errno %d", errno);
		return 1;
	}
	T("api version %d", ioctl(cont, VFIO_GET_API_VERSION));
	T("type1 extension %d", ioctl(cont, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU));

	snprintf(path, sizeof(path), "/dev/vfio/%s", argv[2]);
	int group = open(path, O_RDWR);
	if (group < 0) {
		T("open %s failed errno %d", path, errno);
		return 1;
	}
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	int r = ioctl(group, VFIO_GROUP_GET_STATUS, &gs);
	T("group status %d viable %d", r, !!(gs.flags & VFIO_GROUP_FLAGS_VIABLE));
	r = ioctl(group, VFIO_GROUP_SET_CONTAINER, &cont);
	T("set container %d", r);
	r = ioctl(cont, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU);
	T("set iommu type1 %d", r < 0 ? -errno : r);
	if (r < 0)
		return 1;
	struct vfio_iommu_type1_info ii = { .argsz = sizeof(ii) };
	r = ioctl(cont, VFIO_IOMMU_GET_INFO, &ii);
	T("iommu info %d pgsizes 0x%llx", r, (unsigned long long)ii.iova_pgsizes);

	/* A DMA mapping of a 64 KiB buffer at IOVA 16 MiB (outside the MSI window at 128 MiB). */
	size_t len = 0x10000;
	void *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(buf, 0x5a, len);
	struct vfio_iommu_type1_dma_map dm = { .argsz = sizeof(dm), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
					       .vaddr = (uintptr_t)buf, .iova = 0x1000000, .size = len };
	r = ioctl(cont, VFIO_IOMMU_MAP_DMA, &dm);
	T("map dma iova 0x%llx size 0x%llx: %d", (unsigned long long)dm.iova, (unsigned long long)dm.size, r < 0 ? -errno : r);
	/* The same IOVA again overlaps: -EEXIST (vfio_dma_do_map). */
	r = ioctl(cont, VFIO_IOMMU_MAP_DMA, &dm);
	T("map dma again: %d", r < 0 ? -errno : r);
	/* VFIO_MC_SMMU_FAULT=1: a DPIO also DMAs to an unmapped IOVA (see dpio_fault). */
	int fault = getenv("VFIO_MC_SMMU_FAULT") != NULL;
	if (fault && fault_setup(cont) < 0)
		fault = 0;

	dprc_fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, dprc);
	if (dprc_fd < 0) {
		T("get device fd %s failed errno %d", dprc, errno);
		return 1;
	}
	struct vfio_device_info di = { .argsz = sizeof(di) };
	r = ioctl(dprc_fd, VFIO_DEVICE_GET_INFO, &di);
	T("%s info %d flags 0x%x regions %u irqs %u", dprc, r, di.flags, di.num_regions, di.num_irqs);
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = 0 };
	r = ioctl(dprc_fd, VFIO_DEVICE_GET_REGION_INFO, &ri);
	T("%s region 0: %d offset 0x%llx size 0x%llx flags 0x%x", dprc, r, (unsigned long long)ri.offset, (unsigned long long)ri.size, ri.flags);
	struct vfio_irq_info qi = { .argsz = sizeof(qi), .index = 0 };
	r = ioctl(dprc_fd, VFIO_DEVICE_GET_IRQ_INFO, &qi);
	T("%s irq 0: %d flags 0x%x count %u", dprc, r, qi.flags, qi.count);
	/* Only whole 64-byte accesses at offset 0 are accepted (vfio_fsl_mc_read). */
	r = pread(dprc_fd, w, 8, 0);
	T("%s read of 8 bytes: %d", dprc, r < 0 ? -errno : r);

	/* MC commands through the region. */
	cmd_init(w, CMD_DPRC_GET_CONT_ID, 0);
	r = mc_cmd(w);
	T("mc get_cont_id status %d id %u", r, u32_at(w, 0));
	uint32_t cid = u32_at(w, 0);
	cmd_init(w, CMD_DPRC_GET_API_VERSION, 0);
	r = mc_cmd(w);
	T("mc dprc api version status %d %u.%u", r, u16_at(w, 0), u16_at(w, 2));
	cmd_init(w, CMD_DPRC_OPEN, 0);
	w[1] = cid;
	r = mc_cmd(w);
	uint16_t tok = HDR_TOKEN(w[0]);
	T("mc dprc open status %d token_nonzero %d", r, tok != 0);
	cmd_init(w, CMD_GET_ATTR, tok);
	r = mc_cmd(w);
	T("mc dprc attr status %d id %u icid %u", r, u32_at(w, 0), u32_at(w, 4));
	cmd_init(w, CMD_DPRC_GET_OBJ_COUNT, tok);
	r = mc_cmd(w);
	uint32_t n = u32_at(w, 4);
	T("mc obj count status %d count %u", r, n);
	for (uint32_t i = 0; i < n && i < 64; i++) {
		cmd_init(w, CMD_DPRC_GET_OBJ, tok);
		w[1] = i;
		r = mc_cmd(w);
		char type[17] = { 0 };
		memcpy(type, (uint8_t *)&w[1] + 24, 16);
		T("mc obj %u status %d %s.%u irqs %u regions %u", i, r, type, u32_at(w, 4), ((uint8_t *)&w[1])[10], ((uint8_t *)&w[1])[11]);
	}
	/* A token that was never handed out: AUTH_ERR (3). */
	cmd_init(w, CMD_GET_ATTR, (uint16_t)(tok + 0x100));
	T("mc bad token status %d", mc_cmd(w));

	/* The objects. */
	int dpni_fd = -1;
	for (int a = 3; a < argc; a++) {
		const char *obj = argv[a];
		int fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, obj);
		if (fd < 0) {
			T("get device fd %s failed errno %d", obj, errno);
			continue;
		}
		struct vfio_device_info oi = { .argsz = sizeof(oi) };
		r = ioctl(fd, VFIO_DEVICE_GET_INFO, &oi);
		T("%s info %d flags 0x%x regions %u irqs %u", obj, r, oi.flags, oi.num_regions, oi.num_irqs);
		for (unsigned k = 0; k < oi.num_regions; k++) {
			struct vfio_region_info ori = { .argsz = sizeof(ori), .index = k };
			r = ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ori);
			T("%s region %u: %d offset 0x%llx size 0x%llx flags 0x%x", obj, k, r, (unsigned long long)ori.offset, (unsigned long long)ori.size, ori.flags);
			if (!strncmp(obj, "dpmcp.", 6) && (ori.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
				/* The DPMCP's own MC portal, mapped: a command posted there by stores. */
				volatile uint64_t *p = mmap(NULL, ori.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, ori.offset);
				if (p == MAP_FAILED) {
					T("%s mmap failed errno %d", obj, errno);
					continue;
				}
				for (int j = 7; j >= 1; j--)
					p[j] = 0;
				__asm__ volatile("dsb st" ::: "memory");
				p[0] = HDR(CMD_DPRC_GET_CONT_ID, 0);
				uint64_t h;
				int spins = 0;
				while (HDR_STATUS(h = p[0]) == 1 && spins < 1000000)
					spins++;
				uint64_t p1 = p[1];
				T("%s mmap portal get_cont_id status %d id %u", obj, (int)HDR_STATUS(h), (uint32_t)p1);
				munmap((void *)p, ori.size);
			}
		}
		if (!strncmp(obj, "dpni.", 5))
			dpni_fd = fd;
		if (!strncmp(obj, "dpio.", 5))
			dpio_dma(fd, obj, buf, dm.iova, fault);
	}

	/* The DPNI's IRQ 0 → eventfd; a link change raises it. */
	if (dpni_fd >= 0) {
		int efd = eventfd(0, EFD_NONBLOCK);
		char sbuf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
		struct vfio_irq_set *is = (struct vfio_irq_set *)sbuf;
		is->argsz = sizeof(sbuf);
		is->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
		is->index = 0;
		is->start = 0;
		is->count = 1;
		memcpy(is->data, &efd, sizeof(int32_t));
		r = ioctl(dpni_fd, VFIO_DEVICE_SET_IRQS, is);
		T("dpni set irqs eventfd %d", r < 0 ? -errno : r);
		proc_irqs("after set irqs");
		uint32_t dpni_id = 0;
		for (int a = 3; a < argc; a++)
			if (!strncmp(argv[a], "dpni.", 5))
				dpni_id = (uint32_t)strtoul(argv[a] + 5, NULL, 10);
		cmd_init(w, CMD_DPNI_OPEN, 0);
		w[1] = dpni_id;
		r = mc_cmd(w);
		uint16_t nt = HDR_TOKEN(w[0]);
		T("mc dpni open status %d", r);
		/* The MSI Linux programmed with DPRC_SET_OBJ_IRQ when the eventfd was set: with
		 * the group in VFIO's domain the address is the doorbell's IOVA in the MSI window
		 * the kernel reserves (arm-smmu MSI_IOVA_BASE), not GITS_TRANSLATER itself. */
		cmd_init(w, CMD_GET_IRQ, nt);
		w[1] = 0;
		r = mc_cmd(w);
		T("mc dpni get_irq status %d addr 0x%llx data %u", r, (unsigned long long)w[2], u32_at(w, 0));
		simple("dpni set_irq_mask", CMD_SET_IRQ_MASK, nt, 0xffffffff, 0);
		simple("dpni set_irq_enable", CMD_SET_IRQ_ENABLE, nt, 1, 0);
		uint64_t cnt = 0;
		T("eventfd before enable %d", (int)read(efd, &cnt, 8));
		simple("dpni enable", CMD_ENABLE, nt, 0, 0);
		struct pollfd pf = { .fd = efd, .events = POLLIN };
		r = poll(&pf, 1, 5000);
		cnt = 0;
		int rd = read(efd, &cnt, 8);
		T("eventfd after enable poll %d read %d count %llu", r, rd, (unsigned long long)cnt);
		cmd_init(w, CMD_GET_IRQ_STATUS, nt);
		w[1] = 0;
		r = mc_cmd(w);
		T("mc dpni irq status %d 0x%x", r, u32_at(w, 0));
		simple("dpni clear_irq_status", CMD_CLEAR_IRQ_STATUS, nt, 0xffffffff, 0);
		simple("dpni disable", CMD_DISABLE, nt, 0, 0);
		r = poll(&pf, 1, 5000);
		cnt = 0;
		rd = read(efd, &cnt, 8);
		T("eventfd after disable poll %d read %d count %llu", r, rd, (unsigned long long)cnt);
		simple("dpni clear_irq_status", CMD_CLEAR_IRQ_STATUS, nt, 0xffffffff, 0);
		proc_irqs("after two events");
		simple("dpni enable again", CMD_ENABLE, nt, 0, 0);
		r = poll(&pf, 1, 5000);
		cnt = 0;
		rd = read(efd, &cnt, 8);
		T("eventfd after enable poll %d read %d count %llu", r, rd, (unsigned long long)cnt);
		/* The DPRC's own IRQ 0 → a second eventfd: the next MSI of the child's pool,
		 * programmed with DPRC_SET_IRQ on the child's portal (the container's own IRQ). */
		int efd2 = eventfd(0, EFD_NONBLOCK);
		memcpy(is->data, &efd2, sizeof(int32_t));
		r = ioctl(dprc_fd, VFIO_DEVICE_SET_IRQS, is);
		T("%s set irqs eventfd %d", dprc, r < 0 ? -errno : r);
		cmd_init(w, CMD_GET_IRQ, tok);
		w[1] = 0;
		r = mc_cmd(w);
		T("mc dprc get_irq status %d addr 0x%llx data %u", r, (unsigned long long)w[2], u32_at(w, 0));
		proc_irqs("after dprc set irqs");
		/* Count 0 with DATA_NONE: the trigger is released (vfio_set_trigger(fd = -1)). */
		is->argsz = sizeof(*is);
		is->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
		is->count = 0;
		r = ioctl(dprc_fd, VFIO_DEVICE_SET_IRQS, is);
		T("%s release irq %d", dprc, r < 0 ? -errno : r);
		proc_irqs("after dprc release");
		/* VFIO_DEVICE_RESET of the DPRC: DPRC_RESET_CONT(non-recursive) on its portal.
		 * The objects are reset and the object handles the container's portals held are
		 * closed (dprc_reset_container); the DPRC's own handle stays. */
		r = ioctl(dprc_fd, VFIO_DEVICE_RESET);
		T("%s reset %d", dprc, r < 0 ? -errno : r);
		cmd_init(w, CMD_GET_IRQ_ENABLE, nt);
		T("mc dpni old token after reset status %d", mc_cmd(w));
		cmd_init(w, CMD_DPNI_OPEN, 0);
		w[1] = dpni_id;
		r = mc_cmd(w);
		nt = HDR_TOKEN(w[0]);
		T("mc dpni reopen status %d", r);
		cmd_init(w, CMD_IS_ENABLED, nt);
		r = mc_cmd(w);
		T("mc dpni enabled after reset status %d en %u", r, ((uint8_t *)&w[1])[0]);
		cmd_init(w, CMD_GET_IRQ_ENABLE, nt);
		r = mc_cmd(w);
		T("mc dpni irq enable after reset status %d en %u", r, ((uint8_t *)&w[1])[0]);
		simple("dpni close", CMD_CLOSE, nt, 0, 0);
		/* Reset left no event behind: nothing more was signalled. */
		cnt = 0;
		T("eventfd after reset %d", (int)read(efd, &cnt, 8));
	}
	simple("dprc close", CMD_CLOSE, tok, 0, 0);

	struct vfio_iommu_type1_dma_unmap du = { .argsz = sizeof(du), .iova = 0x1000000, .size = len };
	r = ioctl(cont, VFIO_IOMMU_UNMAP_DMA, &du);
	T("unmap dma %d size 0x%llx", r < 0 ? -errno : r, (unsigned long long)du.size);
	T("done");
	return 0;
}
