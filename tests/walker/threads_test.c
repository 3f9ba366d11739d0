/*
 * Hosts and guest memories on different threads are independent, as
 * docs/library.md promises for different handles: the pool of arenas that
 * destroyed hosts leave behind, and the generations guest_memory_init()
 * hands out (which a walker's kept table pages are checked against), are
 * the state they share.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "walker/guest_memory.h"

enum {
	NR_THREADS = 4,
	ROUNDS = 300,
	/* Spans two arenas, so that each round takes and gives back two. */
	PAGES = 520,
};

struct thread_result {
	unsigned int id;
	u64 generations[ROUNDS];
	/* The first round and page whose pattern another thread overwrote. */
	int bad_round, bad_page;
	int error;
};

static u64 page_pattern(unsigned int id, int round, u64 page)
{
	return ((u64)id << 48) | ((u64)round << 24) | page;
}

/*
 * Each round: a host with PAGES pages, each written with this thread's
 * pattern and checked after all are written (an arena that two hosts
 * shared would show the other thread's), and a guest memory whose
 * generation is recorded; then both are destroyed, their arenas pooled.
 */
static void *host_rounds(void *arg)
{
	struct thread_result *res = arg;
	int round;
	u64 i, hpa;

	res->bad_round = -1;
	for (round = 0; round < ROUNDS; round++) {
		struct host_memory *host = host_memory_create();
		struct guest_memory mem;

		if (!host) {
			res->error = -ENOMEM;
			return NULL;
		}
		hpa = host_memory_alloc_pages(host, PAGES, 1);
		if (hpa == INVALID_HPA || guest_memory_init(&mem, host)) {
			res->error = -ENOMEM;
			host_memory_destroy(host);
			return NULL;
		}
		res->generations[round] = mem.generation;
		for (i = 0; i < PAGES; i++) {
			u64 *page = host_memory_page(host, hpa + i * PAGE_SIZE);

			if (page[i % 512] && res->bad_round < 0) {
				res->bad_round = round;
				res->bad_page = (int)i;
			}
			page[i % 512] = page_pattern(res->id, round, i);
		}
		for (i = 0; i < PAGES; i++) {
			u64 *page = host_memory_page(host, hpa + i * PAGE_SIZE);

			if (page[i % 512] != page_pattern(res->id, round, i) &&
			    res->bad_round < 0) {
				res->bad_round = round;
				res->bad_page = (int)i;
			}
		}
		guest_memory_destroy(&mem);
		host_memory_destroy(host);
	}
	return NULL;
}

static struct thread_result results[NR_THREADS];

/* Run host_rounds() on NR_THREADS threads at once, into results[]. */
static void run_host_rounds_on_threads(void)
{
	pthread_t threads[NR_THREADS];
	unsigned int t;

	for (t = 0; t < NR_THREADS; t++) {
		memset(&results[t], 0, sizeof(results[t]));
		results[t].id = t + 1;
		cr_assert_eq(pthread_create(&threads[t], NULL, host_rounds,
					    &results[t]),
			     0);
	}
	for (t = 0; t < NR_THREADS; t++)
		cr_assert_eq(pthread_join(threads[t], NULL), 0);
	for (t = 0; t < NR_THREADS; t++)
		cr_assert_eq(results[t].error, 0, "thread %u", t);
}

Test(host_memory, hosts_on_threads_never_share_an_arena)
{
	unsigned int t;

	run_host_rounds_on_threads();
	for (t = 0; t < NR_THREADS; t++)
		cr_assert_eq(results[t].bad_round, -1,
			     "thread %u: page %d of round %d was not its own",
			     t, results[t].bad_page, results[t].bad_round);
}

static int compare_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return (x > y) - (x < y);
}

Test(guest_memory, memories_on_threads_never_share_a_generation)
{
	static u64 all[NR_THREADS * ROUNDS];
	unsigned int t, i;

	run_host_rounds_on_threads();
	for (t = 0; t < NR_THREADS; t++)
		memcpy(&all[t * ROUNDS], results[t].generations,
		       sizeof(results[t].generations));
	qsort(all, NR_THREADS * ROUNDS, sizeof(all[0]), compare_u64);
	for (i = 1; i < NR_THREADS * ROUNDS; i++)
		cr_assert_neq(all[i - 1], all[i],
			      "two guest memories got generation %llu",
			      (unsigned long long)all[i]);
}
