/*
 * --max-memory: the host memory one simulated guest may take (its memory,
 * the tables demand paging builds and the MMU's tables), the same for
 * every vCPU the simulator creates.
 */
#ifndef MMUSIM_SIM_MEMORY_LIMIT_H
#define MMUSIM_SIM_MEMORY_LIMIT_H

#include <stddef.h>

#include "walker/guest_memory.h"

/* By default a quarter of the host's RAM. */
#define SIM_MAX_MEMORY_RAM_SHARE 4
/* The least --max-memory takes: 1 MiB. */
#define SIM_MAX_MEMORY_MIN (1ULL << 20)

/* The limit in bytes: --max-memory's, else the default. */
u64 sim_max_memory(void);
void sim_set_max_memory(u64 bytes);
/* Apply the limit to @host, a guest's host memory. */
void sim_apply_max_memory(struct host_memory *host);

/*
 * Parse "N", "NK", "NM", "NG" or "NT" (binary units, N decimal or 0x
 * hexadecimal) into *@bytes, from SIM_MAX_MEMORY_MIN to 2^52: 0, or
 * -EINVAL with a message ("want a size such as 512M or 4G") in @why.
 */
int sim_parse_max_memory(const char *s, u64 *bytes, char *why, size_t len);

/*
 * The error of an operation on @host that failed with @err, for a
 * message: "over the host memory limit of 4096 MiB (--max-memory)" when
 * the limit refused it (-EDQUOT, or -ENOMEM with no page left under the
 * limit), else strerror(-@err).  Points into @buf or a static string.
 */
const char *sim_memory_error(const struct host_memory *host, int err, char *buf,
			     size_t len);

#endif
