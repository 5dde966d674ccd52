/* Unit tests for the picker's result list: ranking a narrowed query from
 * a cached match list must give what ranking every record gives, and
 * both must equal a plain match-and-sort of every record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "display.h"
#include "results.h"
#include "store.h"
#include "tap.h"
#include "text.h"
#include "util.h"

/* Above the count that store_rank splits between threads. */
#define RECORDS 24000
#define TOP_K 64

static const char *const words[] = {"web", "api", "billing", "Worker",
    "prod", "staging", "RUNNING", "stopped", "eu-west-1", "ab", "a-b",
    "x/y", "42", "b2c", "caf\xc3\xa9", "\xc3\x89TAT", "bill_run", "ba",
    "\xc4\xb0" "X", "\xe2\x84\xaa" "q"};

static unsigned seed = 7;

static unsigned
next_random(unsigned n)
{
	seed = seed * 1103515245 + 12345;
	return (seed >> 16) % n;
}

/* Pads every name to this many bytes when set, so that display lines
 * tie on length and only input order breaks ties of score. */
static int fixed_width;

/* Writes records with names of two to five random words, from first to
 * first + n, to a temporary file and returns it open for reading. */
static int
corpus_fd(int first, int n)
{
	char path[] = "/tmp/pick-results-XXXXXX";
	int fd = mkstemp(path), i, w;
	FILE *f;

	if (fd < 0)
		die("cannot create a temporary file");
	unlink(path);
	f = fdopen(dup(fd), "w");
	for (i = first; i < first + n; i++) {
		int n_words = 2 + (int)next_random(4);

		char name[128];
		int len = 0;

		for (w = 0; w < n_words; w++) {
			const char *separator = next_random(3) ? " " : ":";

			len += snprintf(name + len, sizeof(name) - (size_t)len,
			    "%s%s", w > 0 ? separator : "",
			    words[next_random(sizeof(words) /
				sizeof(words[0]))]);
		}
		len += snprintf(name + len, sizeof(name) - (size_t)len, "-%d",
		    i % 97);
		while (len < fixed_width)
			name[len++] = '.';
		fprintf(f, "{\"name\":\"%.*s\"}\n", len, name);
	}
	fclose(f);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void
add_piece(struct piece *p, void *data)
{
	store_add(data, p);
}

static void
load(struct store *s, struct display **displays, int first, int n)
{
	int fd = corpus_fd(first, n);

	if (store_load(fd, "corpus", displays, 2, 0, add_piece, s) < 0)
		die("cannot load the corpus");
	close(fd);
}

/* The expected result list: every matching record, sorted by
 * hit_compare, of which the first TOP_K are shown. */
struct expected {
	struct hit *hits;
	size_t n;
};

static int expect_sort, expect_tac;

static int
compare_expected(const void *a, const void *b)
{
	return hit_compare(a, b, expect_sort, expect_tac);
}

static void
expected_results(const struct store *s, const char *text, int sort,
    int tac, struct expected *e)
{
	struct query *q = query_parse(text);
	uint32_t i;

	/* An empty query shows every record in input order. */
	if (query_is_empty(q))
		sort = 0;
	e->hits = xmalloc((s->n + 1) * sizeof(*e->hits));
	e->n = 0;
	for (i = 0; i < s->n; i++) {
		size_t len;
		const char *line = store_display(s, i, &len);
		int32_t score;

		if (!query_match(q, line, len, &score))
			continue;
		e->hits[e->n].index = i;
		e->hits[e->n].score = sort ? score : 0;
		e->hits[e->n].len = (uint32_t)len;
		e->n++;
	}
	expect_sort = sort;
	expect_tac = tac;
	qsort(e->hits, e->n, sizeof(*e->hits), compare_expected);
	query_free(q);
}

/* Compares a result list with the expected one. Returns 1 when they are
 * equal, else prints the first difference and returns 0. */
static int
same_results(const struct results *r, const struct store *s,
    const struct expected *e, const char *text, const char *what)
{
	size_t rows = results_rows(r, s), want = e->n, i;

	if (!results_query_empty(r) && want > TOP_K)
		want = TOP_K;
	if (r->n_matches != e->n) {
		diag("%s, query \"%s\": %zu matches, expected %zu", what, text,
		    r->n_matches, e->n);
		return 0;
	}
	if (rows < want) {
		diag("%s, query \"%s\": %zu rows, expected %zu", what, text,
		    rows, want);
		return 0;
	}
	for (i = 0; i < want; i++) {
		uint32_t got = results_item(r, s, i);

		if (got != e->hits[i].index) {
			diag("%s, query \"%s\": row %zu is record %u, "
			     "expected %u",
			    what, text, i, got, e->hits[i].index);
			return 0;
		}
		if (!results_query_empty(r) && r->sort &&
		    r->top[i].score != e->hits[i].score) {
			diag("%s, query \"%s\": row %zu scores %d, expected "
			     "%d",
			    what, text, i, (int)r->top[i].score,
			    (int)e->hits[i].score);
			return 0;
		}
	}
	return 1;
}

/* A query as typed: mostly a character more, sometimes backspace, and
 * now and then an edit that breaks narrowing (an OR term, a negation, an
 * anchor, clearing the line). */
static void
next_query(char *q, size_t size)
{
	static const char *const inserts[] = {"a", "b", "i", "l", "w", "e",
	    "p", "r", "o", "2", "-", ":", "W", "\xc3\xa9", " ", " | ", "!", "k",
	    "'", "^", "$", " !st", " | web", "x"};
	size_t len = strlen(q);
	unsigned action = next_random(20);

	if (action < 4 && len > 0) {
		/* Backspace, by whole UTF-8 characters. */
		do
			len--;
		while (len > 0 && ((unsigned char)q[len] & 0xc0) == 0x80);
		q[len] = '\0';
	} else if (action == 4) {
		q[0] = '\0';
	} else {
		const char *add =
		    inserts[next_random(sizeof(inserts) / sizeof(inserts[0]))];

		if (len + strlen(add) + 1 < size)
			strcat(q, add);
	}
}

/* Types a random session of queries and checks after every key that the
 * cached path, the uncached path and the plain computation agree. */
static void
check_session(const struct store *s, int sort, int tac, int nthreads,
    int keys, const char *what)
{
	struct results cached, scratch;
	char q[128] = "";
	int i, bad = 0, narrowed = 0;

	results_init(&cached, sort, tac, nthreads, TOP_K);
	results_init(&scratch, sort, tac, nthreads, TOP_K);
	scratch.use_cache = 0;
	for (i = 0; i < keys && !bad; i++) {
		struct expected e;

		next_query(q, sizeof(q));
		results_set_query(&cached, s, q);
		results_set_query(&scratch, s, q);
		expected_results(s, q, sort, tac, &e);
		if (!same_results(&cached, s, &e, q, "cached"))
			bad++;
		else if (!same_results(&scratch, s, &e, q, "from scratch"))
			bad++;
		narrowed += cached.narrowed;
		free(e.hits);
	}
	is_int(bad, 0, "%s: cached, uncached and plain results agree over %d "
		       "keys",
	    what, i);
	ok(narrowed > keys / 4, "%s: %d keys ranked a cached list", what,
	    narrowed);
	results_free(&cached);
	results_free(&scratch);
}

/* Fixed edits that break the "extends the previous query" rule, each
 * after a query whose list would give wrong results if it were used. */
static void
check_edits(const struct store *s)
{
	static const char *const steps[] = {"bil", "bil ", "bill", "bil", "bi",
	    "b", "b |", "b | web", "b | we", "b !st", "b !s", "b !", "b", "'bi",
	    "'b",
	    "^bi", "^b", "bi$", "b$", "2$", "", "Wor", "wor", "Wor"};
	struct results r;
	size_t i;

	results_init(&r, 1, 0, 2, TOP_K);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct expected e;

		results_set_query(&r, s, steps[i]);
		expected_results(s, steps[i], 1, 0, &e);
		ok(same_results(&r, s, &e, steps[i], "edit"),
		    "edit to \"%s\" gives the full results", steps[i]);
		free(e.hits);
	}
	results_free(&r);
}

/* Records arriving after a query was ranked join its results and its
 * cached list, so a narrower query ranks them too. */
static void
check_streaming(struct display **displays)
{
	struct store s;
	struct results r;
	struct expected e;

	store_init(&s, "corpus");
	load(&s, displays, 0, RECORDS / 2);
	results_init(&r, 1, 0, 2, TOP_K);
	results_set_query(&r, &s, "bi");
	load(&s, displays, RECORDS / 2, RECORDS / 2);
	results_update(&r, &s);
	expected_results(&s, "bi", 1, 0, &e);
	ok(same_results(&r, &s, &e, "bi", "streamed"),
	    "records loaded later join the results");
	free(e.hits);
	load(&s, displays, RECORDS, 1000);
	results_set_query(&r, &s, "bi ");
	expected_results(&s, "bi", 1, 0, &e);
	ok(same_results(&r, &s, &e, "bi ", "streamed"),
	    "an unchanged query still ranks records loaded since");
	free(e.hits);
	results_set_query(&r, &s, "bil");
	expected_results(&s, "bil", 1, 0, &e);
	ok(same_results(&r, &s, &e, "bil", "streamed"),
	    "a narrowed query sees the records loaded later");
	free(e.hits);
	results_free(&r);
	store_free(&s);
}

/* Input waiting on the interrupt descriptor stops a ranking, leaves no
 * partial list in the cache, and the next update ranks in full. */
static void
check_interrupt(const struct store *s)
{
	struct results r;
	struct expected e;
	int fds[2];
	char drain;

	if (pipe(fds) < 0)
		die("cannot create a pipe");
	results_init(&r, 1, 0, 2, TOP_K);
	results_set_query(&r, s, "b");
	r.interrupt_fd = fds[0];
	(void)!write(fds[1], "k", 1);
	is_int(results_set_query(&r, s, "bi"), -1,
	    "waiting input interrupts a ranking");
	is_int((long long)results_rows(&r, s), 0,
	    "an interrupted ranking shows no rows");
	is_int(results_update(&r, s), -1, "and updates stop while input waits");
	(void)!read(fds[0], &drain, 1);
	is_int(results_update(&r, s), 0, "the update completes once read");
	expected_results(s, "bi", 1, 0, &e);
	ok(same_results(&r, s, &e, "bi", "after an interrupt"),
	    "results after an interrupt are complete");
	free(e.hits);
	results_set_query(&r, s, "bil");
	expected_results(s, "bil", 1, 0, &e);
	ok(same_results(&r, s, &e, "bil", "narrowed after an interrupt"),
	    "narrowing after an interrupt is complete");
	free(e.hits);
	results_free(&r);
	close(fds[0]);
	close(fds[1]);
}

int
main(void)
{
	struct display *displays[2];
	struct buf err = BUF_INIT;
	struct store s;
	int i;

	text_init();
	for (i = 0; i < 2; i++)
		displays[i] = display_new(NULL, now_seconds(), &err);
	store_init(&s, "corpus");
	load(&s, displays, 0, RECORDS);
	is_int(s.n, RECORDS, "corpus loaded");

	check_edits(&s);
	check_session(&s, 1, 0, 2, 120, "ranked, two threads");
	check_session(&s, 1, 0, 1, 40, "ranked, one thread");
	check_session(&s, 1, 1, 3, 40, "ranked with --tac, three threads");
	check_session(&s, 0, 0, 2, 40, "with --no-sort");
	check_session(&s, 0, 1, 2, 40, "with --no-sort and --tac");
	check_streaming(displays);
	check_interrupt(&s);
	store_free(&s);

	/* Display lines of one length: ties of score and length go by
	 * input order, which --tac reverses. */
	fixed_width = 64;
	store_init(&s, "corpus");
	load(&s, displays, 0, RECORDS);
	check_session(&s, 1, 0, 2, 60, "one length, ranked, two threads");
	check_session(&s, 1, 1, 2, 60, "one length, ranked with --tac");
	store_free(&s);
	for (i = 0; i < 2; i++)
		display_free(displays[i]);
	buf_free(&err);
	return done_testing();
}
