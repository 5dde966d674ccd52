/* Records for the picker: input read in large blocks, cut into pieces
 * that threads turn into display lines, kept in one store, and ranked
 * against a query by several threads at once.
 *
 * Input rules are those of every NDJSON reader here. A UTF-8 BOM at the
 * start, CRLF, blank lines and lines of any length are accepted. A line
 * that is not a JSON object is an error naming its line number.
 *
 * Ownership: the store owns its pieces and their bytes until store_free.
 * Record texts returned by the accessors are borrowed from the store. */
#ifndef ECS_STORE_H
#define ECS_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "match.h"

struct display;

/* A record, by offsets inside its piece. raw_len counts a trailing CR
 * when the line had one, so the line is written back as it came. */
struct record {
	uint32_t raw_off;
	uint32_t raw_len;
	uint32_t disp_off;
	uint32_t disp_len;
};

struct line_error {
	long line;		/* relative to the piece until published */
	char *message;
};

struct piece {
	char *data;		/* whole lines, no BOM */
	size_t len;
	char *block;		/* set on the piece that owns the malloc block */
	struct buf disp;	/* display texts */
	struct record *recs;
	struct match_signature *sigs;	/* per record; not in filter mode */
	struct match_eighths *eighths;	/* per record; not in filter mode */
	uint32_t n;
	uint32_t min_disp_len;	/* the shortest display line */
	long lines;		/* lines in data, blank ones included */
	struct line_error *errors;
	size_t n_errors;
	uint64_t seq;		/* position of the piece in the input */
};

struct store {
	struct piece **pieces;
	uint32_t *first;	/* index of each piece's first record */
	size_t n_pieces, cap;
	uint32_t n;		/* records */
	long lines;		/* input lines seen */
	size_t n_errors;
	struct buf errors;	/* "NAME:LINE: message" lines, in input order */
	const char *name;
};

/* Worker threads to use: the online CPUs, at least 1 and at most 16. */
int store_threads(void);

void store_init(struct store *s, const char *name);
void store_free(struct store *s);

/* Reads fd in blocks and processes them with nthreads threads, one
 * struct display per thread (displays[nthreads]). on_piece receives the
 * pieces in input order, in the thread that calls store_load; it takes
 * ownership. With stream set, a block is cut as soon as the input pauses,
 * so records reach the screen while a slow producer is still writing.
 * Returns 0, or -1 when reading failed (message printed). A thread that
 * runs store_load with cancellation disabled can be cancelled while it
 * waits in read(2), and only there. */
int store_load(int fd, const char *name, struct display **displays,
    int nthreads, int stream, void (*on_piece)(struct piece *, void *),
    void *data);
/* Appends a piece (taking it) and formats its errors into s->errors. */
void store_add(struct store *s, struct piece *p);

const char *store_display(const struct store *s, uint32_t i, size_t *len);
const char *store_raw(const struct store *s, uint32_t i, size_t *len);

/* Runs filter mode: reads fd and prints the records whose display matches
 * q to stdout, ranked unless no_sort, and with tac in reversed order.
 * Messages for malformed lines go to stderr and their count to *errors.
 * Returns the number of matches, or -1 when reading failed. */
long store_filter(int fd, const char *name, struct display **displays,
    int nthreads, const struct query *q, int no_sort, int tac,
    size_t *errors);

/* One ranked record. */
struct hit {
	uint32_t index;
	int32_t score;
	uint32_t len;		/* display length, the first tie-breaker */
};

struct rank_result {
	uint32_t *matches;	/* every matching index, ascending */
	size_t n_matches;
	struct hit *top;	/* the best ones, best first */
	size_t n_top;
};

/* Ranks the candidates (cand[0..n_cand), ascending, all below from) and
 * every record in [from, s->n) against q with nthreads threads, keeping
 * the k best in r->top. Without sort, "best" is input order (reversed
 * with tac). Fills r, which the caller frees with rank_result_free, and
 * returns 0. When interrupt_fd (-1 for none) becomes readable meanwhile,
 * the ranking stops early and returns -1 with r empty. */
int store_rank(const struct store *s, const struct query *q,
    const uint32_t *cand, size_t n_cand, uint32_t from, size_t k,
    int sort, int tac, int nthreads, int interrupt_fd,
    struct rank_result *r);
void rank_result_free(struct rank_result *r);
/* Orders two hits: negative when a ranks before b. */
int hit_compare(const struct hit *a, const struct hit *b, int sort, int tac);

#endif
