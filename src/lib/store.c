/* The picker's record store: block reading, parallel display formatting,
 * filter mode and parallel ranking. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "display.h"
#include "json.h"
#include "store.h"
#include "util.h"

/* Input is read in blocks of this size (a block grows for a longer
 * line). Smaller blocks are not split between threads: the split would
 * cost more than it saves. */
#define BLOCK_SIZE (8u << 20)
#define SPLIT_MIN (256u << 10)
/* Candidates below this count are ranked by the calling thread alone. */
#define RANK_SPLIT_MIN 20000
/* Records are addressed with 32-bit offsets inside a piece. */
#define PIECE_MAX UINT32_MAX

struct reader {
	int fd;
	int eof;
	int started;
	int stream;
	char *carry;
	size_t carry_len;
	long lines;
};

int
store_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > 16 ? 16 : (int)n;
}

void
store_init(struct store *s, const char *name)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
}

static void
piece_free(struct piece *p)
{
	size_t i;

	if (!p)
		return;
	free(p->block);
	buf_free(&p->disp);
	free(p->recs);
	free(p->sigs);
	free(p->eighths);
	for (i = 0; i < p->n_errors; i++)
		free(p->errors[i].message);
	free(p->errors);
	free(p);
}

void
store_free(struct store *s)
{
	size_t i;

	for (i = 0; i < s->n_pieces; i++)
		piece_free(s->pieces[i]);
	free(s->pieces);
	free(s->first);
	buf_free(&s->errors);
	memset(s, 0, sizeof(*s));
}

static int
readable_now(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};

	return poll(&p, 1, 0) > 0;
}

static void
free_block(void *arg)
{
	free(*(char **)arg);
}

/* Calls read(2) as the one place where a reading thread may be
 * cancelled, so a program that has its result stops its input thread even
 * while the producer is still writing. Threads that use store_load
 * disable cancellation elsewhere. In other threads this changes nothing. */
static ssize_t
read_cancelable(int fd, char **block, size_t off, size_t n)
{
	volatile ssize_t got = -1;
	int old;

	/* A cancelled read frees the block being filled. */
	pthread_cleanup_push(free_block, block);
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
	got = read(fd, *block + off, n);
	pthread_setcancelstate(old, NULL);
	pthread_cleanup_pop(0);
	return got;
}

/* Reads the next block of whole lines. Returns NULL at the end of input
 * or on a read error (*failed set). */
static char *
read_block(struct reader *r, size_t *len, int *failed)
{
	size_t cap = BLOCK_SIZE, n = r->carry_len;
	char *buf;

	*failed = 0;
	if (r->eof && r->carry_len == 0)
		return NULL;
	if (cap < n * 2)
		cap = n * 2;
	buf = xmalloc(cap + 1);
	if (n)
		memcpy(buf, r->carry, n);
	free(r->carry);
	r->carry = NULL;
	r->carry_len = 0;

	for (;;) {
		char *nl;

		if (!r->eof && n < cap) {
			ssize_t got = read_cancelable(r->fd, &buf, n, cap - n);

			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				*failed = 1;
				free(buf);
				buf = NULL;
				break;
			}
			if (got == 0)
				r->eof = 1;
			n += (size_t)got;
		}
		if (r->eof) {
			if (n == 0) {
				free(buf);
				buf = NULL;
			}
			break;
		}
		if (n < cap && !(r->stream && !readable_now(r->fd)))
			continue;
		nl = memrchr(buf, '\n', n);
		if (nl) {
			size_t keep = (size_t)(nl + 1 - buf);

			r->carry_len = n - keep;
			if (r->carry_len) {
				r->carry = xmalloc(r->carry_len);
				memcpy(r->carry, nl + 1, r->carry_len);
			}
			n = keep;
			break;
		}
		if (n == cap) {
			if (cap >= PIECE_MAX / 2)
				die("a line of more than %u bytes is too long to "
				    "pick from", PIECE_MAX / 2);
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
	}
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

/* Cuts a block into up to parts pieces at line boundaries. */
static size_t
split_block(char *block, size_t len, int parts, uint64_t *seq,
    struct piece **out)
{
	size_t start = 0, n = 0;
	int i;

	if (len >= 3 && memcmp(block, "\xef\xbb\xbf", 3) == 0 && *seq == 0)
		start = 3;
	if (len < SPLIT_MIN * 2)
		parts = 1;
	for (i = 0; i < parts && start < len; i++) {
		size_t end = len;
		struct piece *p;

		if (i < parts - 1) {
			char *nl;

			end = start + (len - start) / (size_t)(parts - i);
			nl = memchr(block + end, '\n', len - end);
			end = nl ? (size_t)(nl + 1 - block) : len;
		}
		p = xcalloc(1, sizeof(*p));
		p->data = block + start;
		p->len = end - start;
		p->seq = (*seq)++;
		out[n++] = p;
		start = end;
	}
	if (n == 0)
		free(block);
	else
		out[0]->block = block;
	return n;
}

/* A worker's task: one piece, and in filter mode the query to keep
 * matches by. */
struct piece_job {
	struct piece *piece;
	struct display *display;
	const struct query *query;	/* filter mode: keep matches only */
	int32_t *scores;		/* filter mode: score per kept record */
	struct buf scratch;
	struct buf arena;		/* filter mode: copies of kept lines */
	const struct match_required *required;	/* filter mode, or NULL */
	int copy;			/* copy kept lines into arena */
	size_t rec_cap;
};

static void
add_error(struct piece *p, long line, struct buf *msg)
{
	p->errors = xrealloc(p->errors, (p->n_errors + 1) * sizeof(*p->errors));
	p->errors[p->n_errors].line = line;
	p->errors[p->n_errors].message = xstrndup(msg->data ? msg->data : "",
	    msg->len);
	p->n_errors++;
	buf_reset(msg);
}

static void
keep_record(struct piece_job *job, size_t cap_hint, const char *line,
    size_t raw_len, size_t disp_off, size_t disp_len, int32_t score)
{
	struct piece *p = job->piece;
	struct record *r;

	if (p->n == job->rec_cap) {
		job->rec_cap = job->rec_cap ? job->rec_cap * 2 : cap_hint;
		p->recs = xrealloc(p->recs, job->rec_cap * sizeof(*p->recs));
		if (!job->query) {
			p->sigs = xrealloc(p->sigs,
			    job->rec_cap * sizeof(*p->sigs));
			p->eighths = xrealloc(p->eighths,
			    job->rec_cap * sizeof(*p->eighths));
		}
		if (job->query)
			job->scores = xrealloc(job->scores,
			    job->rec_cap * sizeof(*job->scores));
	}
	r = &p->recs[p->n];
	r->raw_off = (uint32_t)(line - p->data);
	if (job->copy) {
		r->raw_off = (uint32_t)job->arena.len;
		buf_add(&job->arena, line, raw_len);
	}
	r->raw_len = (uint32_t)raw_len;
	r->disp_off = (uint32_t)disp_off;
	r->disp_len = (uint32_t)disp_len;
	if (p->n == 0 || r->disp_len < p->min_disp_len)
		p->min_disp_len = r->disp_len;
	if (job->query)
		job->scores[p->n] = score;
	else
		match_signature(p->disp.data + disp_off, disp_len,
		    &p->sigs[p->n], &p->eighths[p->n]);
	p->n++;
}

static void *
process_piece(void *arg)
{
	struct piece_job *job = arg;
	struct piece *p = job->piece;
	const char *line = p->data, *end = p->data + p->len;
	struct buf err = BUF_INIT;
	size_t hint = p->len / 64 + 16;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t raw_len = nl ? (size_t)(nl - line) : (size_t)(end - line);
		size_t len = raw_len;
		struct buf *disp = job->query ? &job->scratch : &p->disp;
		size_t start, i;
		int32_t score = 0;

		p->lines++;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
			;
		if (i == len)
			goto next;
		/* A valid line that cannot match needs no display line. */
		if (job->required &&
		    !match_required_present(job->required, line, len) &&
		    display_strict_object(line, len))
			goto next;
		if (job->query)
			buf_reset(disp);
		start = disp->len;
		if (display_record(job->display, line, len, disp, &err) < 0) {
			disp->len = start;
			add_error(p, p->lines, &err);
			goto next;
		}
		if (job->query && !query_match(job->query, disp->data + start,
				      disp->len - start, &score))
			goto next;
		keep_record(job, hint, line, raw_len, start, disp->len - start,
		    score);
	next:
		line = nl ? nl + 1 : end;
	}
	buf_free(&err);
	return NULL;
}

/* Runs the jobs, the first in the calling thread. */
static void
run_jobs(void *(*fn)(void *), void *jobs, size_t size, size_t n)
{
	pthread_t threads[16];
	size_t i, started = 0;

	for (i = 1; i < n && i < 16; i++) {
		if (pthread_create(&threads[i], NULL, fn,
			(char *)jobs + i * size) != 0)
			break;
		started = i;
	}
	fn(jobs);
	for (i = started + 1; i < n; i++)
		fn((char *)jobs + i * size);
	for (i = 1; i <= started; i++)
		pthread_join(threads[i], NULL);
}

static void
reader_init(struct reader *r, int fd, int stream)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->stream = stream;
}

int
store_load(int fd, const char *name, struct display **displays,
    int nthreads, int stream, void (*on_piece)(struct piece *, void *),
    void *data)
{
	struct piece_job jobs[16];
	struct piece *pieces[16];
	struct reader r;
	uint64_t seq = 0;
	int failed = 0;

	reader_init(&r, fd, stream);
	for (;;) {
		size_t len, n, i;
		char *block = read_block(&r, &len, &failed);

		if (!block)
			break;
		n = split_block(block, len, nthreads, &seq, pieces);
		memset(jobs, 0, sizeof(jobs));
		for (i = 0; i < n; i++) {
			jobs[i].piece = pieces[i];
			jobs[i].display = displays[i];
		}
		run_jobs(process_piece, jobs, sizeof(jobs[0]), n);
		for (i = 0; i < n; i++) {
			buf_free(&jobs[i].scratch);
			on_piece(pieces[i], data);
		}
	}
	if (failed)
		error("%s: read failed: %s", name, strerror(errno));
	return failed ? -1 : 0;
}

void
store_add(struct store *s, struct piece *p)
{
	size_t i;

	for (i = 0; i < p->n_errors; i++)
		buf_addf(&s->errors, "%s: %s:%ld: %s\n", program_name, s->name,
		    s->lines + p->errors[i].line, p->errors[i].message);
	s->n_errors += p->n_errors;
	s->lines += p->lines;
	if ((uint64_t)s->n + p->n > UINT32_MAX)
		die("%s: more than %u records; the picker holds at most that "
		    "many", s->name, UINT32_MAX);
	if (s->n_pieces == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->pieces = xrealloc(s->pieces, s->cap * sizeof(*s->pieces));
		s->first = xrealloc(s->first, s->cap * sizeof(*s->first));
	}
	s->pieces[s->n_pieces] = p;
	s->first[s->n_pieces] = s->n;
	s->n_pieces++;
	s->n += p->n;
}

/* Index of the piece holding record i. */
static size_t
piece_of(const struct store *s, uint32_t i)
{
	size_t lo = 0, hi = s->n_pieces;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (s->first[mid] <= i)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

const char *
store_display(const struct store *s, uint32_t i, size_t *len)
{
	const struct piece *p = s->pieces[piece_of(s, i)];
	const struct record *r = &p->recs[i - s->first[piece_of(s, i)]];

	*len = r->disp_len;
	return p->disp.data + r->disp_off;
}

const char *
store_raw(const struct store *s, uint32_t i, size_t *len)
{
	size_t k = piece_of(s, i);
	const struct piece *p = s->pieces[k];
	const struct record *r = &p->recs[i - s->first[k]];

	*len = r->raw_len;
	return p->data + r->raw_off;
}

/* A match kept for the final ranking in filter mode. */
struct entry {
	const char *raw;
	uint32_t raw_len;
	uint32_t disp_len;
	int32_t score;
};

/* Sort key of an entry and its position. */
struct sort_key {
	uint32_t key;
	uint32_t index;
};

struct filter {
	const char *name;
	int sort;
	int tac;
	int keep;		/* matches are kept for ranking, not printed */
	long lines;
	size_t errors;
	size_t n_matches;
	struct entry *entries;
	size_t n_entries, cap;
	char **arenas;
	size_t n_arenas;
	struct piece_job jobs[16];
	pthread_t threads[16];
	struct piece *pieces[16];
	size_t n_pieces;
};

static void
emit(const char *raw, size_t len)
{
	out_line(raw, len);
}

/* Prints a finished piece's errors, then prints or keeps its matches. */
static void
filter_collect(struct filter *f, struct piece_job *job)
{
	struct piece *p = job->piece;
	const char *base = job->copy ? job->arena.data : p->data;
	uint32_t i;

	for (i = 0; i < p->n_errors; i++)
		error("%s:%ld: %s", f->name, f->lines + p->errors[i].line,
		    p->errors[i].message);
	f->errors += p->n_errors;
	f->lines += p->lines;
	f->n_matches += p->n;
	if (!job->copy) {
		for (i = 0; i < p->n; i++)
			emit(base + p->recs[i].raw_off, p->recs[i].raw_len);
		return;
	}
	if (f->n_entries + p->n > f->cap) {
		f->cap = (f->n_entries + p->n) * 2;
		f->entries = xrealloc(f->entries, f->cap * sizeof(*f->entries));
	}
	for (i = 0; i < p->n; i++) {
		struct entry *e = &f->entries[f->n_entries++];

		e->raw = base + p->recs[i].raw_off;
		e->raw_len = p->recs[i].raw_len;
		e->disp_len = p->recs[i].disp_len;
		e->score = job->scores[i];
	}
	f->arenas = xrealloc(f->arenas, (f->n_arenas + 1) * sizeof(char *));
	f->arenas[f->n_arenas++] = buf_detach(&job->arena);
}

static void
filter_finish_pieces(struct filter *f)
{
	size_t i;

	for (i = 1; i < f->n_pieces; i++)
		pthread_join(f->threads[i], NULL);
	for (i = 0; i < f->n_pieces; i++) {
		filter_collect(f, &f->jobs[i]);
		buf_free(&f->jobs[i].scratch);
		buf_free(&f->jobs[i].arena);
		free(f->jobs[i].scores);
	}
	for (i = 0; i < f->n_pieces; i++)
		piece_free(f->pieces[i]);
	/* Matches printed as they come reach a reader that follows the
	 * stream now, not when the output buffer fills. */
	if (f->n_pieces && !f->keep)
		out_flush();
	f->n_pieces = 0;
}

static const struct entry *sort_entries;
static int sort_tac;

static int
compare_keys(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;
	const struct entry *e = &sort_entries[x->index];
	const struct entry *g = &sort_entries[y->index];

	if (e->score != g->score)
		return e->score > g->score ? -1 : 1;
	if (e->disp_len != g->disp_len)
		return e->disp_len < g->disp_len ? -1 : 1;
	if (sort_tac)
		return x->index > y->index ? -1 : x->index < y->index;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Stable radix sort of 32-bit keys, 16 bits per pass. */
static void
radix_sort(struct sort_key *keys, size_t n)
{
	struct sort_key *tmp = xmalloc(n * sizeof(*tmp));
	uint32_t *count = xmalloc(65536 * sizeof(*count));
	int shift;
	size_t i;

	for (shift = 0; shift < 32; shift += 16) {
		uint32_t sum = 0;

		memset(count, 0, 65536 * sizeof(*count));
		for (i = 0; i < n; i++)
			count[(keys[i].key >> shift) & 0xffff]++;
		for (i = 0; i < 65536; i++) {
			uint32_t c = count[i];

			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			tmp[count[(keys[i].key >> shift) & 0xffff]++] = keys[i];
		memcpy(keys, tmp, n * sizeof(*keys));
	}
	free(tmp);
	free(count);
}

/* Prints the kept entries best first: score, then shorter display, then
 * input order (reversed with tac). */
static void
filter_print_ranked(struct filter *f)
{
	size_t n = f->n_entries, i;
	struct sort_key *keys = xmalloc((n ? n : 1) * sizeof(*keys));
	int exact = 1;

	for (i = 0; i < n; i++) {
		const struct entry *e = &f->entries[i];
		uint32_t index = f->tac ? (uint32_t)(n - 1 - i) : (uint32_t)i;

		if (!f->sort || e->score < -32768 || e->score > 32767 ||
		    e->disp_len > 65535)
			exact = 0;
		keys[index].index = (uint32_t)i;
		keys[index].key = (uint32_t)(32767 - e->score) << 16 |
		    e->disp_len;
	}
	if (f->sort && exact) {
		radix_sort(keys, n);
	} else if (f->sort) {
		for (i = 0; i < n; i++)
			keys[i].index = (uint32_t)i;
		sort_entries = f->entries;
		sort_tac = f->tac;
		qsort(keys, n, sizeof(*keys), compare_keys);
	}
	for (i = 0; i < n; i++) {
		const struct entry *e = &f->entries[keys[i].index];

		emit(e->raw, e->raw_len);
	}
	free(keys);
}

long
store_filter(int fd, const char *name, struct display **displays,
    int nthreads, const struct query *q, int no_sort, int tac,
    size_t *errors)
{
	struct match_required required;
	const char *added = display_added_chars(displays[0]);
	struct stat st;
	int regular;
	struct filter f;
	struct reader r;
	uint64_t seq = 0;
	int failed = 0, keep = tac || (!no_sort && !query_is_empty(q));
	size_t i;

	regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	required.n = 0;
	if (added)
		query_required(q, added, &required);
	memset(&f, 0, sizeof(f));
	f.name = name;
	f.sort = !no_sort && !query_is_empty(q);
	f.tac = tac;
	f.keep = keep;
	reader_init(&r, fd, !keep);
	for (;;) {
		size_t len;
		char *block = read_block(&r, &len, &failed);

		/* The threads work on the previous block while this one was
		 * read; collect them before starting the next. */
		filter_finish_pieces(&f);
		if (!block)
			break;
		f.n_pieces = split_block(block, len, nthreads, &seq, f.pieces);
		memset(f.jobs, 0, sizeof(f.jobs));
		for (i = 0; i < f.n_pieces; i++) {
			f.jobs[i].piece = f.pieces[i];
			f.jobs[i].display = displays[i];
			f.jobs[i].query = q;
			f.jobs[i].copy = keep;
			f.jobs[i].required = required.n ? &required : NULL;
		}
		/* Job 0 runs here so that a single thread does not wait. */
		for (i = 1; i < f.n_pieces; i++)
			if (pthread_create(&f.threads[i], NULL, process_piece,
				&f.jobs[i]) != 0)
				die("cannot start a thread: %s", strerror(errno));
		if (f.n_pieces)
			process_piece(&f.jobs[0]);
		/* Printed matches go out before the next read, which may wait
		 * for a slow producer (a regular file never makes it wait). */
		if (!keep && !regular)
			filter_finish_pieces(&f);
	}
	if (failed)
		error("%s: read failed: %s", name, strerror(errno));
	if (keep)
		filter_print_ranked(&f);
	out_flush();
	for (i = 0; i < f.n_arenas; i++)
		free(f.arenas[i]);
	free(f.arenas);
	free(f.entries);
	*errors = f.errors;
	return failed ? -1 : (long)f.n_matches;
}

int
hit_compare(const struct hit *a, const struct hit *b, int sort, int tac)
{
	if (sort && a->score != b->score)
		return a->score > b->score ? -1 : 1;
	if (sort && a->len != b->len)
		return a->len < b->len ? -1 : 1;
	if (a->index == b->index)
		return 0;
	if (tac)
		return a->index > b->index ? -1 : 1;
	return a->index < b->index ? -1 : 1;
}

/* A ranking runs over the candidate sequence cand[] followed by from,
 * from + 1, ... (its positions), cut into chunks that the threads take
 * in turn, so a thread slowed by other work on the machine takes fewer
 * of them. Each chunk has its own match list, joined in chunk order, so
 * the matches stay ascending. */
#define RANK_CHUNK 16384

struct rank_chunk {
	uint32_t *matches;
	size_t n_matches, cap;
};

struct rank_shared {
	const struct store *s;
	const struct query *q;
	uint64_t required;	/* query_required_bits(q) */
	int32_t max_bound;	/* the highest signature bound of any line */
	const uint32_t *cand;
	size_t n_cand;
	uint32_t from;
	size_t total;		/* positions */
	size_t k;
	int sort, tac;
	int interrupt_fd;	/* stop when readable, or -1 */
	struct rank_chunk *chunks;
	size_t n_chunks;
	atomic_size_t next_chunk;
	atomic_int interrupted;
};

/* One thread's part: the k best of the chunks it took. */
struct rank_job {
	struct rank_shared *sh;
	const struct store *s;
	const struct query *q;
	uint64_t required;
	int32_t max_bound;
	size_t k;
	int sort, tac;
	struct hit *heap;	/* the k best, worst at the root */
	size_t n_heap;
	struct match_memo *memo;	/* this thread's scores of q, or NULL */
	int memo_tried;
};

static void
heap_sift_down(struct rank_job *j, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, worst = i;
		struct hit tmp;

		if (l < j->n_heap && hit_compare(&j->heap[l], &j->heap[worst],
					 j->sort, j->tac) > 0)
			worst = l;
		if (r < j->n_heap && hit_compare(&j->heap[r], &j->heap[worst],
					 j->sort, j->tac) > 0)
			worst = r;
		if (worst == i)
			return;
		tmp = j->heap[i];
		j->heap[i] = j->heap[worst];
		j->heap[worst] = tmp;
		i = worst;
	}
}

static void
heap_offer(struct rank_job *j, const struct hit *h)
{
	size_t i;

	if (j->n_heap < j->k) {
		i = j->n_heap++;
		j->heap[i] = *h;
		while (i > 0) {
			size_t parent = (i - 1) / 2;
			struct hit tmp;

			if (hit_compare(&j->heap[i], &j->heap[parent], j->sort,
				j->tac) <= 0)
				break;
			tmp = j->heap[i];
			j->heap[i] = j->heap[parent];
			j->heap[parent] = tmp;
			i = parent;
		}
		return;
	}
	if (j->k == 0 || hit_compare(h, &j->heap[0], j->sort, j->tac) >= 0)
		return;
	j->heap[0] = *h;
	heap_sift_down(j, 0);
}

/* The lowest score with which h (its index and length set) would enter
 * the full heap: the worst entry's score when h wins a tie with it on
 * length and input order, one more otherwise. Most lines of a large
 * input tie with the worst entry, and this lets them skip scoring. */
static int32_t
heap_threshold(const struct rank_job *j, const struct hit *h)
{
	struct hit tie = *h;

	tie.score = j->heap[0].score;
	if (hit_compare(&tie, &j->heap[0], j->sort, j->tac) < 0)
		return tie.score;
	return tie.score + 1;
}

/* Record index at position pos of the candidate sequence. */
static uint32_t
rank_index(const struct rank_shared *sh, size_t pos)
{
	return pos < sh->n_cand ? sh->cand[pos]
				: sh->from + (uint32_t)(pos - sh->n_cand);
}

/* Prefetches what rank_range reads of candidates ahead of pos, up to
 * end: the record, signature and eighths RANK_AHEAD positions on, the
 * text of the one half as far on (its record arrived meanwhile). A candidate list of
 * a narrowed query is scattered over the store, and without this every
 * candidate would wait for main memory about three times. Records after
 * the list are read in order, which the CPU prefetches by itself.
 * ahead[] are the pieces of the two lookahead positions. */
#define RANK_AHEAD 64
static void
rank_prefetch(const struct rank_shared *sh, size_t pos, size_t end,
    size_t *ahead)
{
	const struct store *s = sh->s;
	const struct piece *p;
	uint32_t i;

	if (pos + RANK_AHEAD < sh->n_cand && pos + RANK_AHEAD < end) {
		i = sh->cand[pos + RANK_AHEAD];
		while (i >= s->first[ahead[0]] + s->pieces[ahead[0]]->n)
			ahead[0]++;
		p = s->pieces[ahead[0]];
		__builtin_prefetch(&p->recs[i - s->first[ahead[0]]]);
		__builtin_prefetch(&p->sigs[i - s->first[ahead[0]]]);
		__builtin_prefetch(&p->eighths[i - s->first[ahead[0]]]);
	}
	if (pos + RANK_AHEAD / 2 < sh->n_cand && pos + RANK_AHEAD / 2 < end) {
		i = sh->cand[pos + RANK_AHEAD / 2];
		while (i >= s->first[ahead[1]] + s->pieces[ahead[1]]->n)
			ahead[1]++;
		p = s->pieces[ahead[1]];
		__builtin_prefetch(p->disp.data +
		    p->recs[i - s->first[ahead[1]]].disp_off);
	}
}

/* How far a line's signature bound must lie above the score it needs for
 * the line to be scored without its own bound first: one character's
 * match score. With such a margin the line's bound rarely rules it out
 * (on the benchmark's "prod", every PROVISIONING line), and computing it
 * would only add to the score's cost. */
#define RANK_FAR_ABOVE 16

/* Whether line i of p (record r) scoring at most score could enter j's
 * full heap when sorting: above the worst entry's score, or equal to it
 * and winning the tie. A thread's lines come in rising input order, so
 * without --tac a line that is no shorter than the worst entry loses the
 * tie. When no line of p is shorter, the record is not read. */
static int
could_enter(const struct rank_job *j, int32_t score, const struct piece *p,
    const struct record *r, uint32_t i)
{
	struct hit h;

	if (score != j->heap[0].score)
		return score > j->heap[0].score;
	if (!j->tac && p->min_disp_len >= j->heap[0].len)
		return 0;
	h.index = i;
	h.score = score;
	h.len = r->disp_len;
	return hit_compare(&h, &j->heap[0], 1, j->tac) < 0;
}

/* Whether record x of p matches, its text read only when the signature
 * and eighths cannot tell. */
static int
rank_matches(const struct rank_job *j, const struct piece *p, uint32_t x)
{
	const struct record *r = &p->recs[x];
	const struct match_signature *sig = &p->sigs[x];

	return query_matches_signature(j->q, sig, &p->eighths[x]) ||
	    query_matches_text(j->q, p->disp.data + r->disp_off, r->disp_len,
		sig);
}

/* Ranks positions [begin, end) into j's heap and the chunk's matches.
 * A record's offsets are read only when its text or length is needed.
 * NOTE: a candidate that the signature cannot reject has its text read
 * again on every key. That costs about 50 ns of CPU a candidate for a
 * two-letter query on the machine of bench/RESULTS-pick.md, so a key
 * that most of a million records match takes 40-60 ms of CPU. */
static void
rank_range(struct rank_job *j, size_t begin, size_t end,
    struct rank_chunk *out)
{
	const struct rank_shared *sh = j->sh;
	const struct store *s = j->s;
	/* Chunks of other threads share cache lines with *out, so the list
	 * grows here and is stored once. */
	struct rank_chunk found = {NULL, 0, 0};
	size_t pos, k, ahead[2];

	if (begin >= end)
		return;
	/* Room for every position, so the list never moves while it grows:
	 * at most RANK_CHUNK * 4 bytes. */
	found.cap = end - begin;
	found.matches = xmalloc(found.cap * sizeof(*found.matches));
	k = piece_of(s, rank_index(sh, begin));
	ahead[0] = ahead[1] = k;
	for (pos = begin; pos < end; pos++) {
		uint32_t i = rank_index(sh, pos), x;
		const struct piece *p;
		const struct record *r;
		const struct match_signature *sig;
		struct hit h;
		int32_t bound, min;
		int heap_full, far, rc;

		rank_prefetch(sh, pos, end, ahead);
		/* Candidates ascend, so the piece only moves forward. */
		while (i >= s->first[k] + s->pieces[k]->n)
			k++;
		p = s->pieces[k];
		x = i - s->first[k];
		sig = &p->sigs[x];
		if ((sig->occurs & j->required) != j->required)
			continue;
		r = &p->recs[x];
		heap_full = j->k && j->n_heap == j->k;
		/* Once the heap is full, a line must beat its worst entry to
		 * get in. A line that cannot, even with its bound as its
		 * score, is only counted. Without sorting, only input order
		 * counts. When no line could beat the worst entry (the best
		 * matches of a broad query fill the heap early), the line's
		 * own bound is not needed either. */
		if (j->sort && heap_full &&
		    !could_enter(j, j->max_bound, p, r, i)) {
			if (rank_matches(j, p, x))
				found.matches[found.n_matches++] = i;
			continue;
		}
		bound = query_signature_bound(j->q, sig);
		if (bound == INT32_MIN)
			continue;
		h.index = i;
		h.len = 0;
		h.score = 0;
		if (!j->sort || (heap_full && !could_enter(j, bound, p, r, i))) {
			if (!rank_matches(j, p, x))
				continue;
			if (!j->sort)
				heap_offer(j, &h);
			found.matches[found.n_matches++] = i;
			continue;
		}
		/* A tighter bound from the line itself comes next, unless
		 * the signature bound is so far above the bar that the line's
		 * own bound would most likely pass it too. Scoring with no
		 * minimum skips that bound. */
		h.len = r->disp_len;
		h.score = bound;
		min = heap_full ? heap_threshold(j, &h) : INT32_MIN;
		far = heap_full && bound - min >= RANK_FAR_ABOVE;
		if (!j->memo_tried) {
			j->memo = match_memo_new(j->q);
			j->memo_tried = 1;
		}
		rc = query_match_memo(j->q, p->disp.data + r->disp_off,
		    r->disp_len, far ? INT32_MIN : min, &h.score, j->memo);
		if (rc == 1 && h.score < min)
			rc = 2;
		if (rc == 0)
			continue;
		if (rc == 1)
			heap_offer(j, &h);
		found.matches[found.n_matches++] = i;
	}
	*out = found;
}

static int
input_waiting(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};

	return fd >= 0 && poll(&p, 1, 0) > 0;
}

static void *
rank_part(void *arg)
{
	struct rank_job *j = arg;
	struct rank_shared *sh = j->sh;

	j->heap = xmalloc((j->k ? j->k : 1) * sizeof(*j->heap));
	for (;;) {
		size_t c = atomic_fetch_add(&sh->next_chunk, 1);
		size_t end;

		if (c >= sh->n_chunks || atomic_load(&sh->interrupted))
			break;
		/* One poll(2) per chunk: a system call of about a microsecond
		 * (an estimate) per 16384 candidates. */
		if (input_waiting(sh->interrupt_fd)) {
			atomic_store(&sh->interrupted, 1);
			break;
		}
		end = (c + 1) * RANK_CHUNK;
		rank_range(j, c * RANK_CHUNK, end < sh->total ? end : sh->total,
		    &sh->chunks[c]);
	}
	match_memo_free(j->memo);
	j->memo = NULL;
	return NULL;
}

/* The ranking threads outlive a ranking. On the machine of
 * bench/RESULTS-pick.md a new thread took 0.3 to 4 ms to start running,
 * often longer than the ranking it was made for, while a sleeping one
 * started within 0.1 to 0.35 ms of being woken. Each ranking publishes
 * its jobs (one per thread, each taking chunks) and wakes the workers.
 * The calling thread runs the first job and any job no worker has taken
 * yet, so a worker that wakes late costs only its share of the chunks.
 * One ranking runs at a time. */
#define POOL_MAX 15
static struct {
	pthread_mutex_t run;	/* held for a whole ranking */
	pthread_mutex_t mu;	/* guards the rest */
	pthread_cond_t wake;	/* jobs to take */
	pthread_cond_t done;	/* the last job is done */
	pthread_t threads[POOL_MAX];
	int n_threads;
	cpu_set_t allowed;	/* the CPUs the process may use */
	int avoided;		/* the CPU the workers may not use, or -1 */
	void *(*fn)(void *);
	char *jobs;
	size_t size, n;
	size_t next;		/* the next job to take; n when none is left */
	size_t pending;		/* jobs not done */
} pool = {.run = PTHREAD_MUTEX_INITIALIZER, .mu = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER, .done = PTHREAD_COND_INITIALIZER,
    .avoided = -1};

static void *
pool_worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pool.mu);
	for (;;) {
		void *job;

		while (pool.next >= pool.n)
			pthread_cond_wait(&pool.wake, &pool.mu);
		job = pool.jobs + pool.next++ * pool.size;
		pthread_mutex_unlock(&pool.mu);
		pool.fn(job);
		pthread_mutex_lock(&pool.mu);
		if (--pool.pending == 0)
			pthread_cond_signal(&pool.done);
	}
	return NULL;
}

/* Keeps the workers off the calling thread's CPU. A worker woken on that
 * CPU was seen (with sched_getcpu) to share it with the caller for the
 * whole ranking instead of moving to the idle one, so the ranking took as
 * long as with one thread. */
static void
pool_avoid_cpu(int cpu)
{
	cpu_set_t set = pool.allowed;
	int i;

	if (cpu < 0 || cpu == pool.avoided || !CPU_ISSET(cpu, &set) ||
	    CPU_COUNT(&set) < 2)
		return;
	CPU_CLR(cpu, &set);
	for (i = 0; i < pool.n_threads; i++)
		pthread_setaffinity_np(pool.threads[i], sizeof(set), &set);
	pool.avoided = cpu;
}

/* Runs the n jobs, the first in the calling thread and the others in pool
 * threads (started on first use, with the signals that the calling thread
 * handles blocked), and returns when all are done. */
static void
pool_run(void *(*fn)(void *), void *jobs, size_t size, size_t n)
{
	sigset_t all, old;

	if (n <= 1) {
		fn(jobs);
		return;
	}
	pthread_mutex_lock(&pool.run);
	if (n > POOL_MAX + 1)
		n = POOL_MAX + 1;
	if (pool.n_threads < (int)n - 1) {
		/* A fault still reaches the thread that caused it. */
		sigfillset(&all);
		sigdelset(&all, SIGSEGV);
		sigdelset(&all, SIGBUS);
		sigdelset(&all, SIGFPE);
		sigdelset(&all, SIGILL);
		sigdelset(&all, SIGABRT);
		sigdelset(&all, SIGTRAP);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		while (pool.n_threads < (int)n - 1) {
			pthread_t *t = &pool.threads[pool.n_threads];

			if (pthread_create(t, NULL, pool_worker, NULL) != 0)
				break;
			pthread_detach(*t);
			pool.n_threads++;
		}
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (sched_getaffinity(0, sizeof(pool.allowed), &pool.allowed) < 0)
			CPU_ZERO(&pool.allowed);
		pool.avoided = -1;
	}
	pool_avoid_cpu(sched_getcpu());
	pthread_mutex_lock(&pool.mu);
	pool.fn = fn;
	pool.jobs = jobs;
	pool.size = size;
	pool.n = n;
	pool.next = 1;
	pool.pending = n - 1;
	pthread_cond_broadcast(&pool.wake);
	pthread_mutex_unlock(&pool.mu);
	fn(jobs);
	pthread_mutex_lock(&pool.mu);
	while (pool.next < pool.n) {
		void *job = pool.jobs + pool.next++ * pool.size;

		pthread_mutex_unlock(&pool.mu);
		fn(job);
		pthread_mutex_lock(&pool.mu);
		pool.pending--;
	}
	while (pool.pending > 0)
		pthread_cond_wait(&pool.done, &pool.mu);
	pool.n = pool.next = 0;
	pthread_mutex_unlock(&pool.mu);
	pthread_mutex_unlock(&pool.run);
}

static int rank_sort, rank_tac;

static int
compare_hits(const void *a, const void *b)
{
	return hit_compare(a, b, rank_sort, rank_tac);
}

int
store_rank(const struct store *s, const struct query *q,
    const uint32_t *cand, size_t n_cand, uint32_t from, size_t k, int sort,
    int tac, int nthreads, int interrupt_fd, struct rank_result *r)
{
	struct rank_job jobs[16];
	struct rank_shared sh;
	size_t parts, i, m = 0, h = 0;
	int interrupted;

	memset(r, 0, sizeof(*r));
	memset(&sh, 0, sizeof(sh));
	sh.s = s;
	sh.q = q;
	sh.required = query_required_bits(q);
	sh.max_bound = query_max_bound(q);
	sh.cand = cand;
	sh.n_cand = n_cand;
	sh.from = from;
	sh.total = n_cand + (s->n - from);
	sh.k = k;
	sh.sort = sort;
	sh.tac = tac;
	sh.interrupt_fd = interrupt_fd;
	sh.n_chunks = (sh.total + RANK_CHUNK - 1) / RANK_CHUNK;
	sh.chunks = xcalloc(sh.n_chunks ? sh.n_chunks : 1, sizeof(*sh.chunks));
	atomic_init(&sh.next_chunk, 0);
	atomic_init(&sh.interrupted, 0);
	parts = sh.total < RANK_SPLIT_MIN ? 1 : (size_t)nthreads;
	if (parts > 16)
		parts = 16;
	memset(jobs, 0, sizeof(jobs));
	for (i = 0; i < parts; i++) {
		jobs[i].sh = &sh;
		jobs[i].s = s;
		jobs[i].q = q;
		jobs[i].required = sh.required;
		jobs[i].max_bound = sh.max_bound;
		jobs[i].k = k;
		jobs[i].sort = sort;
		jobs[i].tac = tac;
	}
	pool_run(rank_part, jobs, sizeof(jobs[0]), parts);
	interrupted = atomic_load(&sh.interrupted);

	for (i = 0; i < sh.n_chunks; i++)
		m += sh.chunks[i].n_matches;
	for (i = 0; i < parts; i++)
		h += jobs[i].n_heap;
	r->matches = xmalloc((m ? m : 1) * sizeof(*r->matches));
	r->top = xmalloc((h ? h : 1) * sizeof(*r->top));
	for (i = 0; i < sh.n_chunks; i++) {
		if (sh.chunks[i].n_matches)
			memcpy(r->matches + r->n_matches, sh.chunks[i].matches,
			    sh.chunks[i].n_matches * sizeof(*r->matches));
		r->n_matches += sh.chunks[i].n_matches;
		free(sh.chunks[i].matches);
	}
	free(sh.chunks);
	for (i = 0; i < parts; i++) {
		if (jobs[i].n_heap)
			memcpy(r->top + r->n_top, jobs[i].heap,
			    jobs[i].n_heap * sizeof(*r->top));
		r->n_top += jobs[i].n_heap;
		free(jobs[i].heap);
	}
	/* qsort with file-scope flags: the ranking runs in one thread at a
	 * time, after its workers have finished. */
	rank_sort = sort;
	rank_tac = tac;
	qsort(r->top, r->n_top, sizeof(*r->top), compare_hits);
	if (r->n_top > k)
		r->n_top = k;
	if (interrupted) {
		rank_result_free(r);
		return -1;
	}
	return 0;
}

void
rank_result_free(struct rank_result *r)
{
	free(r->matches);
	free(r->top);
	memset(r, 0, sizeof(*r));
}
