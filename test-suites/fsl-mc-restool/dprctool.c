/*
 * dprctool: a tiny subset of NXP's restool for lsemu's tests (tools/tests/fslmc_restool.rs).
 * It sends MC commands through Linux's /dev/dprc.<root> with the FSL_MC_SEND_MC_COMMAND
 * ioctl (include/uapi/linux/fsl_mc.h; drivers/bus/fsl-mc/fsl-mc-uapi.c checks each command
 * against its allow-list and maximum size), using the DPRC command layouts of the MC 10.x
 * API (restool mc_v10/fsl_dprc_cmd.h). Written for lsemu; no restool code.
 *
 *   dprctool create                       create a child of the root container
 *   dprctool assign N TYPE.ID...          move objects to dprc.N, plugged
 *   dprctool unassign N TYPE.ID...        move them back from dprc.N
 *   dprctool destroy N                    destroy dprc.N
 *   dprctool wait-link DEV SUFFIX [try]   wait until /sys/bus/fsl-mc/devices/DEV resolves
 *                                         to a path ending in SUFFIX; print it ("try": for
 *                                         2 s instead of 20, failing silently)
 *   dprctool wait-gone DEV                wait until /sys/bus/fsl-mc/devices/DEV is gone
 *
 * Every line it prints starts with "dprctool: "; the exit status is 0 on success.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* struct fsl_mc_command and the ioctl number (uapi fsl_mc.h): a 64-bit header and
 * seven 64-bit parameters, little-endian; _IOWR('R', 0xE0, struct fsl_mc_command). */
struct mc_command {
	uint64_t header;
	uint64_t params[7];
};
#define SEND_MC_COMMAND _IOWR('R', 0xE0, struct mc_command)

/* Header: [23:16] status (1 = READY on submission), [47:32] token, [63:48] command id. */
static uint64_t hdr(uint16_t cmd, uint16_t token)
{
	return (uint64_t)cmd << 48 | (uint64_t)token << 32 | (uint64_t)1 << 16;
}

/* Command ids: (number << 4) | version. */
#define CMD_CLOSE 0x8001
#define CMD_DPRC_OPEN 0x8051
#define CMD_GET_CONT_ID 0x8301
#define CMD_CREATE_CONT 0x1512
#define CMD_DESTROY_CONT 0x1521
#define CMD_ASSIGN 0x1571
#define CMD_UNASSIGN 0x1581

/* DPRC_CFG_OPT_* (fsl_dprc.h): restool's default for "dprc create". */
#define OPTS (0x1 | 0x2 | 0x4 | 0x40)
/* DPRC_RES_REQ_OPT_EXPLICIT, _PLUGGED. */
#define REQ_EXPLICIT 0x1
#define REQ_PLUGGED 0x4

static int fd = -1;

static int send(struct mc_command *c)
{
	uint16_t id = c->header >> 48;
	if (ioctl(fd, SEND_MC_COMMAND, c) < 0) {
		printf("dprctool: command %#06x failed: %s\n", id, strerror(errno));
		return -1;
	}
	return 0;
}

static void put_u32(struct mc_command *c, int off, uint32_t v)
{
	c->params[off / 8] |= (uint64_t)v << (8 * (off % 8));
}

static void put_str16(struct mc_command *c, int off, const char *s)
{
	unsigned char b[16] = { 0 };
	strncpy((char *)b, s, 15);
	for (int i = 0; i < 16; i++)
		c->params[(off + i) / 8] |= (uint64_t)b[i] << (8 * ((off + i) % 8));
}

static uint32_t get_u32(const struct mc_command *c, int off)
{
	return (uint32_t)(c->params[off / 8] >> (8 * (off % 8)));
}

/* Opens the root container: GET_CONT_ID on the root portal, then DPRC_OPEN. */
static int open_root(uint16_t *token)
{
	struct mc_command c = { .header = hdr(CMD_GET_CONT_ID, 0) };
	if (send(&c))
		return -1;
	uint32_t root = get_u32(&c, 0);
	memset(&c, 0, sizeof(c));
	c.header = hdr(CMD_DPRC_OPEN, 0);
	put_u32(&c, 0, root);
	if (send(&c))
		return -1;
	*token = (uint16_t)(c.header >> 32);
	return 0;
}

static void close_token(uint16_t token)
{
	struct mc_command c = { .header = hdr(CMD_CLOSE, token) };
	send(&c);
}

static int move(uint16_t token, int unassign, uint32_t child, const char *obj)
{
	char type[16] = { 0 };
	unsigned id;
	if (sscanf(obj, "%15[a-z].%u", type, &id) != 2) {
		printf("dprctool: bad object name %s\n", obj);
		return -1;
	}
	/* ASSIGN/UNASSIGN: container 0-3, options 4-7, num 8-11, id_base_align 12-15, type 16-31. */
	struct mc_command c = { .header = hdr(unassign ? CMD_UNASSIGN : CMD_ASSIGN, token) };
	put_u32(&c, 0, child);
	put_u32(&c, 4, unassign ? REQ_EXPLICIT : REQ_EXPLICIT | REQ_PLUGGED);
	put_u32(&c, 8, 1);
	put_u32(&c, 12, id);
	put_str16(&c, 16, type);
	if (send(&c))
		return -1;
	printf("dprctool: %s %s %s dprc.%u\n", unassign ? "unassigned" : "assigned", obj, unassign ? "from" : "to", child);
	return 0;
}

/* Polls `cond` every 50 ms for up to `tries` × 50 ms (of the guest's time). */
static int wait_for(int (*cond)(const char *, const char *), const char *a, const char *b, int tries)
{
	for (int i = 0; i < tries; i++) {
		if (cond(a, b))
			return 0;
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return -1;
}

static char resolved[PATH_MAX];

static int link_ends_with(const char *dev, const char *suffix)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "/sys/bus/fsl-mc/devices/%s", dev);
	if (!realpath(p, resolved))
		return 0;
	size_t n = strlen(resolved), m = strlen(suffix);
	return n >= m && strcmp(resolved + n - m, suffix) == 0;
}

static int gone(const char *dev, const char *unused)
{
	(void)unused;
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "/sys/bus/fsl-mc/devices/%s", dev);
	return access(p, F_OK) != 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2)
		return 2;
	const char *op = argv[1];
	if (!strcmp(op, "wait-link") && (argc == 4 || (argc == 5 && !strcmp(argv[4], "try")))) {
		int try = argc == 5;
		if (wait_for(link_ends_with, argv[2], argv[3], try ? 40 : 400)) {
			if (!try)
				printf("dprctool: timeout: %s is not at *%s\n", argv[2], argv[3]);
			return 1;
		}
		printf("dprctool: %s at %s\n", argv[2], resolved);
		return 0;
	}
	if (!strcmp(op, "wait-gone") && argc == 3) {
		if (wait_for(gone, argv[2], NULL, 400)) {
			printf("dprctool: timeout: %s still present\n", argv[2]);
			return 1;
		}
		printf("dprctool: %s gone\n", argv[2]);
		return 0;
	}
	fd = open("/dev/dprc.1", O_RDWR);
	if (fd < 0) {
		printf("dprctool: cannot open /dev/dprc.1: %s\n", strerror(errno));
		return 1;
	}
	uint16_t token;
	if (open_root(&token))
		return 1;
	int err = 0;
	if (!strcmp(op, "create") && argc == 2) {
		/* CREATE_CONT v2: options 0-3, icid 4-7 (0xFFFF: from the pool), portal 12-15
		 * (-1: from the pool), label 16-31. Response: child id 8-11, portal offset 16-23. */
		struct mc_command c = { .header = hdr(CMD_CREATE_CONT, token) };
		put_u32(&c, 0, OPTS);
		put_u32(&c, 4, 0xFFFF);
		put_u32(&c, 12, 0xFFFFFFFF);
		put_str16(&c, 16, "lsemu-test");
		err = send(&c);
		if (!err)
			printf("dprctool: created dprc.%u portal offset %#llx\n", get_u32(&c, 8),
			       (unsigned long long)c.params[2]);
	} else if ((!strcmp(op, "assign") || !strcmp(op, "unassign")) && argc >= 4) {
		uint32_t child = strtoul(argv[2], NULL, 10);
		for (int i = 3; i < argc && !err; i++)
			err = move(token, op[0] == 'u', child, argv[i]);
	} else if (!strcmp(op, "destroy") && argc == 3) {
		struct mc_command c = { .header = hdr(CMD_DESTROY_CONT, token) };
		put_u32(&c, 0, strtoul(argv[2], NULL, 10));
		err = send(&c);
		if (!err)
			printf("dprctool: destroyed dprc.%s\n", argv[2]);
	} else {
		printf("dprctool: bad arguments\n");
		err = -1;
	}
	close_token(token);
	close(fd);
	return err ? 1 : 0;
}
