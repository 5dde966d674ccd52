/* Times the picker's ranking for a sequence of queries, as typed one key
 * at a time, on records read from a file: the part of a keystroke that
 * grows with the number of records, without a terminal.
 *
 *   pick-keys FILE QUERY...
 *
 * Build it after `make` with
 *   cc -O2 -std=gnu11 -Isrc/lib -o pick-keys bench/pick-keys.c \
 *       build/libecs.a -ljq -lcurl -lcrypto -lpthread -lm
 *
 * Prints one line per query: wall ms, CPU ms (all threads) and matches. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "display.h"
#include "results.h"
#include "store.h"
#include "util.h"

static void
add_piece(struct piece *p, void *data)
{
	store_add(data, p);
}

static double
clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int
main(int argc, char **argv)
{
	struct display *displays[16];
	struct store s;
	struct results r;
	struct buf err = BUF_INIT;
	int nthreads = store_threads(), i, fd;

	if (argc < 2) {
		fprintf(stderr, "usage: pick-keys FILE QUERY...\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 2;
	}
	for (i = 0; i < nthreads; i++)
		displays[i] = display_new(NULL, now_seconds(), &err);
	store_init(&s, argv[1]);
	if (store_load(fd, argv[1], displays, nthreads, 0, add_piece, &s) < 0)
		return 2;
	results_init(&r, 1, 0, nthreads, 256);
	for (i = 2; i < argc; i++) {
		double w0 = clock_ms(CLOCK_MONOTONIC);
		double c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);

		results_set_query(&r, &s, argv[i]);
		printf("%.2f %.2f %zu %s\n", clock_ms(CLOCK_MONOTONIC) - w0,
		    clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c0, r.n_matches,
		    argv[i]);
	}
	results_free(&r);
	store_free(&s);
	for (i = 0; i < nthreads; i++)
		display_free(displays[i]);
	return 0;
}
