/* Times libjq's jv_parse_sized on one file (a page of log events), for
 * bench/log.sh: prints the median of 11 parses in milliseconds and the
 * file's size in bytes. */
#include <jv.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define RUNS 11

static int
compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	static char data[64 << 20];
	double ms[RUNS];
	size_t len;
	FILE *f;
	int i;

	if (argc != 2 || !(f = fopen(argv[1], "rb"))) {
		fprintf(stderr, "usage: jv-parse FILE\n");
		return 2;
	}
	len = fread(data, 1, sizeof(data), f);
	fclose(f);
	for (i = 0; i < RUNS; i++) {
		struct timespec a, b;
		jv v;

		clock_gettime(CLOCK_MONOTONIC, &a);
		v = jv_parse_sized(data, (int)len);
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (!jv_is_valid(v)) {
			fprintf(stderr, "jv-parse: %s is not valid JSON\n",
			    argv[1]);
			return 1;
		}
		jv_free(v);
		ms[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 +
			(double)(b.tv_nsec - a.tv_nsec) / 1e6;
	}
	qsort(ms, RUNS, sizeof(ms[0]), compare);
	printf("%.1f %zu\n", ms[RUNS / 2], len);
	return 0;
}
