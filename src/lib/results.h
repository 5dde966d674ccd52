/* The picker's result list for the current query: how many records match
 * and the best ones in rank order, kept up to date as the query changes
 * and records arrive.
 *
 * Typing usually narrows the query, so the match lists of recent queries
 * are cached. A query that implies a cached one (a character typed, or
 * backspace back to an earlier query) ranks only that list and the
 * records that arrived after it. A query that implies none of them (an
 * OR term added, a negation shortened) ranks every record. Both ways
 * give the same result. */
#ifndef ECS_RESULTS_H
#define ECS_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "match.h"
#include "store.h"

/* Match lists kept for reuse when a query narrows an earlier one. */
#define RESULTS_CACHE_SIZE 8

struct results_cached {
	struct query *q;
	uint32_t *matches;	/* ascending record indexes */
	size_t n_matches;
	uint32_t n_records;	/* records the list covers: [0, n_records) */
};

struct results {
	int sort, tac, nthreads;
	size_t k_min;		/* matches ranked in full at first */
	struct query *q;	/* NULL until the first results_set_query */
	struct hit *top;	/* the k best, best first */
	size_t n_top;
	size_t n_matches;
	uint32_t ranked;	/* records [0, ranked) are ranked */
	size_t k;
	struct results_cached cache[RESULTS_CACHE_SIZE];
	size_t n_cache;
	int current;		/* cache entry of the query, or -1 */
	int use_cache;		/* 0 ranks every query from scratch (tests) */
	int narrowed;		/* the last ranking started from a cached list */
	int interrupt_fd;	/* stops set_query and update when readable */
};

/* Sets up r; k_min is the number of matches ranked before any scrolling
 * (a screenful or more). */
void results_init(struct results *r, int sort, int tac, int nthreads,
    size_t k_min);
void results_free(struct results *r);
/* Parses text as the new query and ranks the records of s against it.
 * Returns 0, or -1 when input on r->interrupt_fd (-1 for none) stopped
 * the ranking: the results are then empty until results_update or
 * another results_set_query completes. */
int results_set_query(struct results *r, const struct store *s,
    const char *text);
/* Ranks the records added to s since the last call, or all of them after
 * an interrupted ranking. Returns 0, or -1 when interrupted again. */
int results_update(struct results *r, const struct store *s);
/* Ranks more matches when rows of them have to be shown; never
 * interrupted. */
void results_ensure(struct results *r, const struct store *s, size_t rows);
int results_query_empty(const struct results *r);
/* Rows that can be shown: every record for an empty query, else the
 * ranked matches. */
size_t results_rows(const struct results *r, const struct store *s);
/* The record shown at row pos (below results_rows). */
uint32_t results_item(const struct results *r, const struct store *s,
    size_t pos);

#endif
