/* The picker's ranked result list and its cache of match lists. An
 * empty query matches every record in input order, so it needs no
 * ranking. */
#include <stdlib.h>
#include <string.h>

#include "results.h"
#include "util.h"

void
results_init(struct results *r, int sort, int tac, int nthreads,
    size_t k_min)
{
	memset(r, 0, sizeof(*r));
	r->sort = sort;
	r->tac = tac;
	r->nthreads = nthreads;
	r->k_min = k_min ? k_min : 1;
	r->k = r->k_min;
	r->current = -1;
	r->use_cache = 1;
	r->interrupt_fd = -1;
}

static void
cache_drop(struct results_cached *c)
{
	query_free(c->q);
	free(c->matches);
	memset(c, 0, sizeof(*c));
}

void
results_free(struct results *r)
{
	size_t i;

	for (i = 0; i < r->n_cache; i++)
		cache_drop(&r->cache[i]);
	free(r->top);
	query_free(r->q);
	memset(r, 0, sizeof(*r));
}

int
results_query_empty(const struct results *r)
{
	return !r->q || query_is_empty(r->q);
}

size_t
results_rows(const struct results *r, const struct store *s)
{
	if (results_query_empty(r))
		return s->n;
	return r->n_top;
}

uint32_t
results_item(const struct results *r, const struct store *s, size_t pos)
{
	if (results_query_empty(r))
		return r->tac ? s->n - 1 - (uint32_t)pos : (uint32_t)pos;
	return r->top[pos].index;
}

/* Keeps the match list of the current query, evicting the oldest list
 * when the cache is full. Takes rr->matches. */
static int
cache_add(struct results *r, const struct store *s, struct rank_result *rr)
{
	struct results_cached *c;

	if (r->n_cache == RESULTS_CACHE_SIZE) {
		cache_drop(&r->cache[0]);
		memmove(&r->cache[0], &r->cache[1],
		    (RESULTS_CACHE_SIZE - 1) * sizeof(r->cache[0]));
		r->n_cache--;
	}
	c = &r->cache[r->n_cache];
	c->q = query_parse(r->q->source);
	c->matches = rr->matches;
	c->n_matches = rr->n_matches;
	c->n_records = s->n;
	rr->matches = NULL;
	return (int)r->n_cache++;
}

/* The cached list to rank from: the smallest one of a query that the
 * current query implies, or -1. */
static int
cache_find(const struct results *r)
{
	size_t i;
	int best = -1;

	if (!r->use_cache)
		return -1;
	for (i = 0; i < r->n_cache; i++) {
		const struct results_cached *c = &r->cache[i];

		if (!query_implies(r->q, c->q))
			continue;
		if (best < 0 || c->n_matches < r->cache[best].n_matches)
			best = (int)i;
	}
	return best;
}

static int top_sort, top_tac;

static int
compare_top(const void *a, const void *b)
{
	return hit_compare(a, b, top_sort, top_tac);
}

/* Sorts the merged top list and keeps its k best. qsort takes its flags
 * from file scope: the list is sorted by one thread at a time. */
static void
sort_top(struct results *r)
{
	top_sort = r->sort;
	top_tac = r->tac;
	if (r->n_top)
		qsort(r->top, r->n_top, sizeof(*r->top), compare_top);
	if (r->n_top > r->k)
		r->n_top = r->k;
}

/* Ranks the query from its best cached list, or from every record.
 * Returns -1, changing nothing, when interrupt_fd stopped it. */
static int
rank_query(struct results *r, const struct store *s, int interrupt_fd)
{
	struct rank_result rr;
	int from = cache_find(r);
	const uint32_t *cand = NULL;
	size_t n_cand = 0;
	uint32_t first_new = 0;

	r->narrowed = from >= 0;
	if (from >= 0) {
		cand = r->cache[from].matches;
		n_cand = r->cache[from].n_matches;
		first_new = r->cache[from].n_records;
	}
	if (store_rank(s, r->q, cand, n_cand, first_new, r->k, r->sort, r->tac,
		r->nthreads, interrupt_fd, &rr) < 0)
		return -1;
	free(r->top);
	r->top = rr.top;
	r->n_top = rr.n_top;
	rr.top = NULL;
	r->n_matches = rr.n_matches;
	if (from >= 0 && first_new == s->n &&
	    query_equal(r->cache[from].q, r->q))
		r->current = from;	/* ranked again with a larger k */
	else
		r->current = cache_add(r, s, &rr);
	rank_result_free(&rr);
	r->ranked = s->n;
	return 0;
}

/* Ranks the records that arrived since the last ranking and merges them
 * into the result and its cached list. */
static int
rank_new_records(struct results *r, const struct store *s)
{
	struct results_cached *c = &r->cache[r->current];
	struct rank_result rr;
	size_t n;

	if (store_rank(s, r->q, NULL, 0, r->ranked, r->k, r->sort, r->tac,
		r->nthreads, r->interrupt_fd, &rr) < 0)
		return -1;
	c->matches = xrealloc(c->matches,
	    (c->n_matches + rr.n_matches + 1) * sizeof(*c->matches));
	memcpy(c->matches + c->n_matches, rr.matches,
	    rr.n_matches * sizeof(*rr.matches));
	c->n_matches += rr.n_matches;
	c->n_records = s->n;
	r->n_matches = c->n_matches;

	n = r->n_top + rr.n_top;
	r->top = xrealloc(r->top, (n ? n : 1) * sizeof(*r->top));
	if (rr.n_top)
		memcpy(r->top + r->n_top, rr.top, rr.n_top * sizeof(*rr.top));
	r->n_top = n;
	rank_result_free(&rr);
	sort_top(r);
	r->ranked = s->n;
	return 0;
}

int
results_set_query(struct results *r, const struct store *s,
    const char *text)
{
	struct query *q = query_parse(text);

	/* A space typed after a term, or an operator not yet followed by
	 * its term, leaves the query as it was: keep the results. */
	if (r->q && r->current >= 0 && r->use_cache && query_equal(q, r->q)) {
		query_free(r->q);
		r->q = q;
		r->narrowed = 1;
		return results_update(r, s);
	}
	query_free(r->q);
	r->q = q;
	r->k = r->k_min;
	r->current = -1;
	r->narrowed = 0;
	free(r->top);
	r->top = NULL;
	r->n_top = 0;
	r->n_matches = 0;
	if (results_query_empty(r)) {
		r->ranked = s->n;
		r->n_matches = s->n;
		return 0;
	}
	return rank_query(r, s, r->interrupt_fd);
}

int
results_update(struct results *r, const struct store *s)
{
	if (!r->q)
		return results_set_query(r, s, "");
	if (results_query_empty(r)) {
		r->ranked = s->n;
		r->n_matches = s->n;
		return 0;
	}
	/* After an interrupted results_set_query nothing is ranked. */
	if (r->current < 0)
		return rank_query(r, s, r->interrupt_fd);
	if (r->ranked < s->n)
		return rank_new_records(r, s);
	return 0;
}

void
results_ensure(struct results *r, const struct store *s, size_t rows)
{
	if (results_query_empty(r) || r->current < 0 || rows <= r->n_top ||
	    r->n_top >= r->n_matches)
		return;
	while (r->k < rows)
		r->k *= 2;
	rank_query(r, s, -1);
}
