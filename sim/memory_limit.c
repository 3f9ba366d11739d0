/* --max-memory: a bound on the host memory one simulated guest takes. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "sim/memory_limit.h"

#define MAX_MEMORY_BITS 52
#define MIB_SHIFT 20

/* 0: not set, the default applies. */
static u64 max_memory_bytes;

static u64 default_max_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES);
	long page_size = sysconf(_SC_PAGESIZE);

	/* Without a figure for RAM, no bound but the HPA space's. */
	if (pages <= 0 || page_size <= 0)
		return 1ULL << MAX_MEMORY_BITS;
	return (u64)pages * (u64)page_size / SIM_MAX_MEMORY_RAM_SHARE;
}

u64 sim_max_memory(void)
{
	if (!max_memory_bytes)
		max_memory_bytes = default_max_memory();
	return max_memory_bytes;
}

void sim_set_max_memory(u64 bytes)
{
	max_memory_bytes = bytes;
}

void sim_apply_max_memory(struct host_memory *host)
{
	host_memory_set_limit(host, sim_max_memory() >> PAGE_SHIFT);
}

int sim_parse_max_memory(const char *s, u64 *bytes, char *why, size_t len)
{
	static const char units[] = "KMGT";
	const char *unit;
	char *end;
	unsigned int shift = 0;
	u64 v;

	errno = 0;
	if (*s < '0' || *s > '9')
		goto bad;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		goto bad;
	if (*end) {
		unit = strchr(units, *end & ~0x20);
		if (!unit || end[1])
			goto bad;
		shift = 10 * (unit - units + 1);
	}
	if (v > (1ULL << MAX_MEMORY_BITS) >> shift)
		goto range;
	v <<= shift;
	if (v < SIM_MAX_MEMORY_MIN)
		goto range;
	*bytes = v;
	return 0;
bad:
	snprintf(why, len, "want a size such as 512M or 4G");
	return -EINVAL;
range:
	snprintf(why, len, "want 1M to 4096T");
	return -EINVAL;
}

const char *sim_memory_error(const struct host_memory *host, int err, char *buf,
			     size_t len)
{
	if (err == -EDQUOT ||
	    (err == -ENOMEM && host && !host_memory_pages_left(host))) {
		snprintf(buf, len,
			 "over the host memory limit of %" PRIu64
			 " MiB (--max-memory)",
			 (host ? host_memory_limit(host) << PAGE_SHIFT :
				 sim_max_memory()) >>
				 MIB_SHIFT);
		return buf;
	}
	return strerror(-err);
}
