/* Reading CloudWatch Logs streams and merging them (see logs.h). */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "logpage.h"
#include "logs.h"
#include "util.h"

/* FilterLogEvents takes at most 100 names in logStreamNames. */
#define MAX_STREAM_NAMES 100
/* GetLogEvents returns at most 10,000 events per page. */
#define PAGE_EVENTS_MAX 10000
/* Pages buffered per source before it waits for the merge to catch up. */
#define MAX_BUFFERED_PAGES 2
/* Following: the first wait after new events, doubled while idle. */
#define POLL_MIN_MS 500
/* Backoff after an error that outlasted the standard retries. */
#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 20000
/* Extra rounds of retries when not following; following never gives up. */
#define RETRY_ROUNDS 5
/* Following: a stream missing for this long gets a warning. */
#define MISSING_WARN_MS 30000

struct page {
	struct log_page page;
	int next;		/* index of the next event to emit */
	struct page *next_page;
};

struct stream_name {
	char *name;
	void *tag;
};

/* Event ids of the latest timestamp seen: a FilterLogEvents poll starts
 * again at that timestamp, so those events come back. */
struct id_set {
	char **ids;
	size_t n, cap;
};

enum source_kind {
	SOURCE_STREAM,		/* GetLogEvents on one stream */
	SOURCE_FILTER,		/* FilterLogEvents on names or a whole group */
};

struct log_source {
	struct log_reader *reader;
	enum source_kind kind;
	char *region;
	char *group;
	char *stream;			/* SOURCE_STREAM */
	void *tag;			/* stream, or whole group */
	struct stream_name *names;	/* SOURCE_FILTER, sorted; none: group */
	size_t n_names;

	char *token;			/* to send; NULL on a first page */
	int backward_first;		/* tail: first page from the end */
	int has_poll_start;
	int64_t poll_start;		/* FilterLogEvents startTime of a poll */
	int has_max;
	int64_t max_ts;			/* latest timestamp seen */
	struct id_set at_max;		/* ids seen at max_ts */

	struct page *pages, *last_page;
	int n_pages;

	int in_flight;
	int caught_up;		/* the last page was the end for now */
	int reached_end;	/* caught up at least once */
	int finished;		/* no more requests */
	int retiring;		/* finish at the next end */
	int got_events;		/* events since the last end (for polling) */
	int retries;
	int missing_warned;
	int credentials_warned;
	int64_t added_ms;
	int64_t due_ms;		/* monotonic time of the next request */
	int64_t poll_delay_ms;
	struct log_source *next;
};

/* An event kept for --tail, with its strings copied into storage. */
struct ring_entry {
	struct log_source *source;
	struct log_page_event event;
	char *storage;
};

struct pending_name {
	char *region;
	char *group;
	char *name;
	void *tag;
};

struct log_reader {
	struct aws_ctx *ctx;
	struct log_reader_options opt;
	log_emit_fn emit;
	void *data;
	struct log_source *sources, **last_source;
	char **keys;			/* region, group, stream: sorted */
	size_t n_keys, keys_cap;
	struct pending_name *pending;	/* filter mode: names to pack */
	size_t n_pending;
	int in_flight;
	int failed;
	int stopped;
	int draining, redrain;

	/* --tail: events go through this ring until every source has
	 * reached its end once, so only the last N are emitted. */
	int tail_phase;
	struct ring_entry *ring;
	size_t ring_start, ring_len;
};

static void source_submit(struct log_source *s);
static void drain(struct log_reader *r);

static void
id_set_clear(struct id_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		free(set->ids[i]);
	set->n = 0;
}

static int
id_set_has(const struct id_set *set, const char *id)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->ids[i], id) == 0)
			return 1;
	return 0;
}

static void
id_set_add(struct id_set *set, const char *id)
{
	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 8;
		set->ids = xrealloc(set->ids, set->cap * sizeof(*set->ids));
	}
	set->ids[set->n++] = xstrdup(id);
}

struct log_reader *
log_reader_new(struct aws_ctx *ctx, const struct log_reader_options *o,
    log_emit_fn emit, void *data)
{
	struct log_reader *r = xcalloc(1, sizeof(*r));

	r->ctx = ctx;
	r->opt = *o;
	if (r->opt.poll_max_ms <= 0)
		r->opt.poll_max_ms = 5000;
	r->emit = emit;
	r->data = data;
	r->last_source = &r->sources;
	if (o->tail > 0) {
		r->tail_phase = 1;
		r->ring = xcalloc((size_t)o->tail, sizeof(*r->ring));
	}
	return r;
}

static void
free_pages(struct log_source *s)
{
	while (s->pages) {
		struct page *p = s->pages;

		s->pages = p->next_page;
		log_page_free(&p->page);
		free(p);
	}
	s->last_page = NULL;
	s->n_pages = 0;
}

static void
source_free(struct log_source *s)
{
	size_t i;

	free_pages(s);
	free(s->region);
	free(s->group);
	free(s->stream);
	for (i = 0; i < s->n_names; i++)
		free(s->names[i].name);
	free(s->names);
	free(s->token);
	id_set_clear(&s->at_max);
	free(s->at_max.ids);
	free(s);
}

void
log_reader_free(struct log_reader *r)
{
	size_t i;

	if (!r)
		return;
	while (r->sources) {
		struct log_source *s = r->sources;

		r->sources = s->next;
		source_free(s);
	}
	for (i = 0; i < r->n_keys; i++)
		free(r->keys[i]);
	free(r->keys);
	for (i = 0; i < r->n_pending; i++) {
		free(r->pending[i].region);
		free(r->pending[i].group);
		free(r->pending[i].name);
	}
	free(r->pending);
	for (i = 0; i < r->ring_len; i++)
		free(r->ring[(r->ring_start + i) % (size_t)r->opt.tail]
			 .storage);
	free(r->ring);
	free(r);
}

/* --- sources and keys --------------------------------------------------- */

static char *
stream_key(const char *region, const char *group, const char *stream)
{
	/* Unit separators cannot occur in region, group or stream names. */
	return xasprintf("%s\x1f%s\x1f%s", region, group, stream);
}

/* Records key. Returns 1 when it is new, 0 when it was known (and frees
 * it). */
static int
add_key(struct log_reader *r, char *key)
{
	size_t lo = 0, hi = r->n_keys;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(key, r->keys[mid]);

		if (c == 0) {
			free(key);
			return 0;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (r->n_keys == r->keys_cap) {
		r->keys_cap = r->keys_cap ? r->keys_cap * 2 : 16;
		r->keys = xrealloc(r->keys, r->keys_cap * sizeof(*r->keys));
	}
	memmove(r->keys + lo + 1, r->keys + lo,
	    (r->n_keys - lo) * sizeof(*r->keys));
	r->keys[lo] = key;
	r->n_keys++;
	return 1;
}

static struct log_source *
source_new(struct log_reader *r, enum source_kind kind, const char *region,
    const char *group)
{
	struct log_source *s = xcalloc(1, sizeof(*s));

	s->reader = r;
	s->kind = kind;
	s->region = xstrdup(region);
	s->group = xstrdup(group);
	s->added_ms = monotonic_ms();
	s->poll_delay_ms = POLL_MIN_MS;
	*r->last_source = s;
	r->last_source = &s->next;
	return s;
}

int
log_reader_add_stream(struct log_reader *r, const char *region,
    const char *group, const char *stream, void *tag)
{
	struct log_source *s;

	if (!add_key(r, stream_key(region, group, stream))) {
		for (s = r->sources; s; s = s->next)
			if (s->kind == SOURCE_STREAM && !s->finished &&
			    strcmp(s->stream, stream) == 0 &&
			    strcmp(s->group, group) == 0 &&
			    strcmp(s->region, region) == 0)
				s->retiring = 0;
		return 0;
	}
	if (r->opt.filter_pattern) {
		struct pending_name *p;

		r->pending = xrealloc(r->pending,
		    (r->n_pending + 1) * sizeof(*r->pending));
		p = &r->pending[r->n_pending++];
		p->region = xstrdup(region);
		p->group = xstrdup(group);
		p->name = xstrdup(stream);
		p->tag = tag;
		return 1;
	}
	s = source_new(r, SOURCE_STREAM, region, group);
	s->stream = xstrdup(stream);
	s->tag = tag;
	/* One backward page gives the last N events of a stream; a longer
	 * tail reads forward and keeps the last N in the ring. */
	s->backward_first = r->tail_phase && r->opt.tail <= PAGE_EVENTS_MAX;
	return 1;
}

void
log_reader_add_group(struct log_reader *r, const char *region,
    const char *group, void *tag)
{
	struct log_source *s;

	if (!add_key(r, stream_key(region, group, "")))
		return;
	s = source_new(r, SOURCE_FILTER, region, group);
	s->tag = tag;
}

void
log_reader_retire_stream(struct log_reader *r, const char *region,
    const char *group, const char *stream)
{
	struct log_source *s;

	for (s = r->sources; s; s = s->next) {
		if (s->kind != SOURCE_STREAM || s->finished ||
		    strcmp(s->stream, stream) != 0 ||
		    strcmp(s->group, group) != 0 ||
		    strcmp(s->region, region) != 0)
			continue;
		s->retiring = 1;
		if (s->caught_up && !s->in_flight)
			s->finished = 1;
	}
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(((const struct stream_name *)a)->name,
	    ((const struct stream_name *)b)->name);
}

/* Packs the names added since the last step into FilterLogEvents sources
 * of at most 100 names of one log group each. */
static void
pack_pending(struct log_reader *r)
{
	size_t i, j;

	for (i = 0; i < r->n_pending; i++) {
		struct pending_name *p = &r->pending[i];
		struct log_source *s;

		if (!p->name)
			continue;
		s = source_new(r, SOURCE_FILTER, p->region, p->group);
		s->names = xcalloc(MAX_STREAM_NAMES, sizeof(*s->names));
		for (j = i; j < r->n_pending && s->n_names < MAX_STREAM_NAMES;
		     j++) {
			struct pending_name *q = &r->pending[j];

			if (!q->name || strcmp(q->region, p->region) != 0 ||
			    strcmp(q->group, p->group) != 0)
				continue;
			s->names[s->n_names].name = q->name;
			s->names[s->n_names++].tag = q->tag;
			q->name = NULL;
		}
		qsort(s->names, s->n_names, sizeof(*s->names), compare_names);
	}
	for (i = 0; i < r->n_pending; i++) {
		free(r->pending[i].region);
		free(r->pending[i].group);
	}
	free(r->pending);
	r->pending = NULL;
	r->n_pending = 0;
}

/* --- requests ------------------------------------------------------------ */

static jv
stream_input(struct log_source *s)
{
	struct log_reader *r = s->reader;
	jv in = jv_object();

	in = jv_object_set(in, jv_string("logGroupName"), jv_string(s->group));
	in = jv_object_set(in, jv_string("logStreamName"),
	    jv_string(s->stream));
	if (s->backward_first && !s->token) {
		in = jv_object_set(in, jv_string("startFromHead"), jv_false());
		in = jv_object_set(in, jv_string("limit"),
		    jv_number((double)r->opt.tail));
	} else {
		/* Paging forward with nextForwardToken needs startFromHead. */
		in = jv_object_set(in, jv_string("startFromHead"), jv_true());
	}
	if (r->opt.has_start)
		in = jv_object_set(in, jv_string("startTime"),
		    jv_number((double)r->opt.start_ms));
	if (r->opt.has_end)
		in = jv_object_set(in, jv_string("endTime"),
		    jv_number((double)r->opt.end_ms));
	if (s->token)
		in = jv_object_set(in, jv_string("nextToken"),
		    jv_string(s->token));
	return in;
}

static jv
filter_input(struct log_source *s)
{
	struct log_reader *r = s->reader;
	jv in = jv_object();
	size_t i;

	in = jv_object_set(in, jv_string("logGroupName"), jv_string(s->group));
	if (s->n_names > 0) {
		jv names = jv_array();

		for (i = 0; i < s->n_names; i++)
			names = jv_array_append(names,
			    jv_string(s->names[i].name));
		in = jv_object_set(in, jv_string("logStreamNames"), names);
	}
	if (r->opt.filter_pattern)
		in = jv_object_set(in, jv_string("filterPattern"),
		    jv_string(r->opt.filter_pattern));
	/* CloudWatch Logs ignores interleaved and always merges streams by
	 * time, but moto 5 merges them only when it is set. */
	in = jv_object_set(in, jv_string("interleaved"), jv_true());
	if (s->has_poll_start)
		in = jv_object_set(in, jv_string("startTime"),
		    jv_number((double)s->poll_start));
	else if (r->opt.has_start)
		in = jv_object_set(in, jv_string("startTime"),
		    jv_number((double)r->opt.start_ms));
	if (r->opt.has_end)
		in = jv_object_set(in, jv_string("endTime"),
		    jv_number((double)r->opt.end_ms));
	if (s->token)
		in = jv_object_set(in, jv_string("nextToken"),
		    jv_string(s->token));
	return in;
}

static void source_done(struct aws_request *req);
static void describe_source(const struct log_source *s, struct buf *out);

static void
source_submit(struct log_source *s)
{
	struct log_reader *r = s->reader;
	struct aws_request *req;

	if (s->kind == SOURCE_STREAM)
		req = aws_json_request(r->ctx, &aws_logs, s->region,
		    "GetLogEvents", stream_input(s));
	else
		req = aws_json_request(r->ctx, &aws_logs, s->region,
		    "FilterLogEvents", filter_input(s));
	/* Pages are read by log_page_read, mostly without jq's parser. A
	 * full page is about 1 to 2 MiB. */
	req->raw_output = 1;
	req->receive_buffer = 256 * 1024;
	s->in_flight = 1;
	r->in_flight++;
	aws_submit(req, source_done, s);
}

/* Starts the next request of s when it is due and there is room. */
static void
maybe_submit(struct log_source *s, int64_t now)
{
	if (s->finished || s->in_flight || s->n_pages >= MAX_BUFFERED_PAGES ||
	    s->due_ms > now || s->reader->stopped)
		return;
	if (s->caught_up && !s->reader->opt.follow)
		return;
	source_submit(s);
}

/* --- responses ----------------------------------------------------------- */

/* Queues a page with at least one event. */
static void
queue_page(struct log_source *s, struct page *p)
{
	if (s->last_page)
		s->last_page->next_page = p;
	else
		s->pages = p;
	s->last_page = p;
	s->n_pages++;
	s->got_events = 1;
}

/* The source has everything the server holds for now. */
static void
source_caught_up(struct log_source *s)
{
	struct log_reader *r = s->reader;

	s->caught_up = 1;
	s->reached_end = 1;
	if (!r->opt.follow || s->retiring) {
		s->finished = 1;
		return;
	}
	if (s->got_events)
		s->poll_delay_ms = POLL_MIN_MS;
	else
		s->poll_delay_ms *= 2;
	if (s->poll_delay_ms > r->opt.poll_max_ms)
		s->poll_delay_ms = r->opt.poll_max_ms;
	s->got_events = 0;
	s->due_ms = monotonic_ms() + s->poll_delay_ms;
}

static void
stream_page(struct log_source *s, struct page *p)
{
	const char *token = p->page.token;
	int first_backward = s->backward_first && !s->token;
	int end;

	if (!token) {
		error("GetLogEvents: the response for stream \"%s\" of log "
		      "group \"%s\" has no nextForwardToken; stopped reading "
		      "it",
		    s->stream, s->group);
		s->reader->failed = 1;
		s->finished = 1;
		log_page_free(&p->page);
		free(p);
		return;
	}
	/* GetLogEvents signals the end by returning the token it was sent;
	 * an empty page with a new token is not the end. */
	end = s->token && strcmp(s->token, token) == 0;
	free(s->token);
	s->token = xstrdup(token);
	if (p->page.n > 0) {
		queue_page(s, p);
	} else {
		log_page_free(&p->page);
		free(p);
	}
	if (end || first_backward) {
		source_caught_up(s);
	} else {
		s->caught_up = 0;
		s->due_ms = 0;
	}
}

/* Drops the events a poll from the last timestamp returns again, and
 * remembers the ids at the latest timestamp. */
static void
filter_new_events(struct log_source *s, struct log_page *page)
{
	int i, kept = 0;

	for (i = 0; i < page->n; i++) {
		const struct log_page_event *ev = &page->events[i];
		const char *id = ev->event_id;
		int64_t ts = ev->timestamp;

		if (id && (!s->has_max || ts > s->max_ts)) {
			s->has_max = 1;
			s->max_ts = ts;
			id_set_clear(&s->at_max);
			id_set_add(&s->at_max, id);
		} else if (id && ts == s->max_ts) {
			if (id_set_has(&s->at_max, id))
				continue;
			id_set_add(&s->at_max, id);
		}
		page->events[kept++] = *ev;
	}
	page->n = kept;
}

static void
filter_page(struct log_source *s, struct page *p)
{
	const char *token = p->page.token;

	filter_new_events(s, &p->page);
	free(s->token);
	s->token = NULL;
	/* FilterLogEvents ends when nextToken is absent; an empty page with a
	 * token is not the end. */
	if (token && *token)
		s->token = xstrdup(token);
	if (p->page.n > 0) {
		queue_page(s, p);
	} else {
		log_page_free(&p->page);
		free(p);
	}
	if (s->token) {
		s->caught_up = 0;
		s->due_ms = 0;
		return;
	}
	if (s->has_max) {
		s->has_poll_start = 1;
		s->poll_start = s->max_ts;
	}
	source_caught_up(s);
}

/* Reads the body of a successful response into a page and hands it on.
 * A body that is not JSON fails the source, as any other bad response. */
static void
source_page(struct log_source *s, struct aws_request *req)
{
	struct page *p = xcalloc(1, sizeof(*p));
	struct buf err = BUF_INIT;
	int stream = s->kind == SOURCE_STREAM;

	if (log_page_read(&p->page, req->response,
		stream ? "nextForwardToken" : "nextToken", &err) < 0) {
		struct buf where = BUF_INIT;

		describe_source(s, &where);
		error("%s: InvalidResponse: the CloudWatch Logs response is not "
		      "valid JSON (%s) (%s)",
		    req->operation, err.data, where.data);
		buf_free(&where);
		s->reader->failed = 1;
		s->finished = 1;
		log_page_free(&p->page);
		free(p);
	} else if (stream) {
		stream_page(s, p);
	} else {
		filter_page(s, p);
	}
	buf_free(&err);
}

/* Returns 1 for throttling, server errors and lost connections. A
 * configuration error fails before anything is sent and is not retried. */
static int
is_retryable(const struct aws_request *req)
{
	if (req->error.status == 0)
		return req->http.result != CURLE_OK && !req->http.too_large;
	return aws_error_is_throttling(req->error.code) ||
	       req->error.status == 429 || req->error.status >= 500;
}

/* Returns 1 for errors that renewed credentials can cure: the request was
 * not sent (no credentials resolved), or the service did not accept the
 * credentials it was signed with. */
static int
is_credentials_error(const struct aws_request *req)
{
	static const char *const codes[] = {"ExpiredToken",
	    "ExpiredTokenException", "UnrecognizedClientException",
	    "InvalidClientTokenId"};
	size_t i;

	if (req->error.status == 0)
		return req->http.result == CURLE_OK;
	for (i = 0; req->error.code && i < sizeof(codes) / sizeof(codes[0]);
	     i++)
		if (strcmp(req->error.code, codes[i]) == 0)
			return 1;
	return 0;
}

/* Schedules the next try of s after a backoff that doubles per failure. */
static void
retry_later(struct log_source *s, const char *why, int64_t now)
{
	int64_t delay = (int64_t)RETRY_MIN_MS << (s->retries < 5 ? s->retries
								  : 5);

	if (delay > RETRY_MAX_MS)
		delay = RETRY_MAX_MS;
	s->retries++;
	aws_debug(s->reader->ctx, "%s; trying again in %.1f s", why,
	    (double)delay / 1000);
	s->due_ms = now + delay;
}

static void
describe_source(const struct log_source *s, struct buf *out)
{
	if (s->kind == SOURCE_STREAM)
		buf_addf(out, "log group \"%s\", stream \"%s\", region %s",
		    s->group, s->stream, s->region);
	else if (s->n_names == 1)
		buf_addf(out, "log group \"%s\", stream \"%s\", region %s",
		    s->group, s->names[0].name, s->region);
	else if (s->n_names > 1)
		buf_addf(out, "log group \"%s\", %zu streams, region %s",
		    s->group, s->n_names, s->region);
	else
		buf_addf(out, "log group \"%s\", region %s", s->group,
		    s->region);
}

static void
source_failed(struct log_source *s, struct aws_request *req)
{
	struct log_reader *r = s->reader;
	struct buf msg = BUF_INIT;
	int64_t now = monotonic_ms();

	aws_error_format(req, &msg);
	buf_adds(&msg, " (");
	describe_source(s, &msg);
	buf_adds(&msg, ")");
	if (req->error.code &&
	    strcmp(req->error.code, "ResourceNotFoundException") == 0 &&
	    r->opt.follow) {
		/* A task's stream appears with its first log line. */
		if (!s->missing_warned && now - s->added_ms >= MISSING_WARN_MS) {
			warning("%s; still waiting for it", msg.data);
			s->missing_warned = 1;
		}
		aws_debug(r->ctx, "%s; polling again", msg.data);
		source_caught_up(s);
	} else if (req->error.code &&
		   strcmp(req->error.code, "ResourceNotFoundException") ==
		       0) {
		if (r->opt.missing_is_error) {
			error("%s; check the name with aws logs "
			      "describe-log-groups or describe-log-streams",
			    msg.data);
			r->failed = 1;
		} else {
			warning("%s", msg.data);
		}
		s->finished = 1;
	} else if (is_retryable(req) &&
		   (r->opt.follow || s->retries < RETRY_ROUNDS)) {
		retry_later(s, msg.data, now);
	} else if (r->opt.follow && is_credentials_error(req)) {
		/* A long follow outlives credentials: resolve them again and
		 * keep trying, so a renewed login lets it go on. */
		if (!s->credentials_warned)
			warning("%s; trying again with credentials resolved "
				"anew",
			    msg.data);
		s->credentials_warned = 1;
		aws_drop_credentials(r->ctx);
		retry_later(s, msg.data, now);
	} else {
		error("%s", msg.data);
		r->failed = 1;
		s->finished = 1;
	}
	buf_free(&msg);
}

static void
source_done(struct aws_request *req)
{
	struct log_source *s = req->data;
	struct log_reader *r = s->reader;

	s->in_flight = 0;
	r->in_flight--;
	if (req->failed) {
		source_failed(s, req);
	} else {
		s->retries = 0;
		s->credentials_warned = 0;
		source_page(s, req);
	}
	aws_request_free(req);
	maybe_submit(s, monotonic_ms());
	drain(r);
}

/* --- merging ------------------------------------------------------------- */

static void
emit_event(struct log_reader *r, struct log_source *s,
    const struct log_page_event *ev)
{
	struct log_event_view v;

	v.region = s->region;
	v.group = s->group;
	v.timestamp = ev->timestamp;
	v.ingestion_time = ev->ingestion_time;
	v.message = ev->message;
	v.message_len = ev->message_len;
	v.message_plain = ev->message_plain;
	v.event_id = ev->event_id;
	if (s->kind == SOURCE_STREAM) {
		v.stream = s->stream;
		v.tag = s->tag;
	} else {
		struct stream_name key, *found = NULL;

		v.stream = ev->stream;
		v.tag = s->tag;
		if (v.stream && s->n_names > 0) {
			key.name = (char *)v.stream;
			found = bsearch(&key, s->names, s->n_names,
			    sizeof(*s->names), compare_names);
			v.tag = found ? found->tag : NULL;
		}
		if (!v.stream)
			v.stream = s->n_names == 1 ? s->names[0].name : "";
	}
	r->emit(&v, r->data);
}

/* Copies ev into slot with its strings in slot->storage, so it outlives
 * its page. */
static void
ring_store(struct ring_entry *slot, struct log_source *s,
    const struct log_page_event *ev)
{
	size_t id_len = ev->event_id ? strlen(ev->event_id) + 1 : 0;
	size_t stream_len = ev->stream ? strlen(ev->stream) + 1 : 0;
	char *p = xmalloc(ev->message_len + 1 + id_len + stream_len);

	slot->source = s;
	slot->event = *ev;
	slot->storage = p;
	memcpy(p, ev->message, ev->message_len);
	p[ev->message_len] = '\0';
	slot->event.message = p;
	p += ev->message_len + 1;
	if (ev->event_id) {
		memcpy(p, ev->event_id, id_len);
		slot->event.event_id = p;
		p += id_len;
	}
	if (ev->stream) {
		memcpy(p, ev->stream, stream_len);
		slot->event.stream = p;
	}
}

static void
deliver(struct log_reader *r, struct log_source *s,
    const struct log_page_event *ev)
{
	size_t cap = (size_t)r->opt.tail;
	struct ring_entry *slot;
	int64_t ts = ev->timestamp;

	/* The window is the service's job, but not every implementation
	 * treats endTime as exclusive. */
	if ((r->opt.has_end && ts >= r->opt.end_ms) ||
	    (r->opt.has_start && ts < r->opt.start_ms))
		return;
	if (!r->tail_phase) {
		emit_event(r, s, ev);
		return;
	}
	if (r->ring_len == cap) {
		slot = &r->ring[r->ring_start];
		free(slot->storage);
		r->ring_start = (r->ring_start + 1) % cap;
		r->ring_len--;
	}
	slot = &r->ring[(r->ring_start + r->ring_len) % cap];
	ring_store(slot, s, ev);
	r->ring_len++;
}

static void
flush_ring(struct log_reader *r)
{
	size_t cap = (size_t)r->opt.tail;

	r->tail_phase = 0;
	while (r->ring_len > 0) {
		struct ring_entry *e = &r->ring[r->ring_start];

		emit_event(r, e->source, &e->event);
		free(e->storage);
		r->ring_start = (r->ring_start + 1) % cap;
		r->ring_len--;
	}
}

static int64_t
head_timestamp(const struct log_source *s)
{
	return s->pages->page.events[s->pages->next].timestamp;
}

/* Delivers the next event of s and takes it off its first page. */
static void
deliver_next(struct log_reader *r, struct log_source *s, int64_t now)
{
	struct page *p = s->pages;

	deliver(r, s, &p->page.events[p->next]);
	if (++p->next == p->page.n) {
		s->pages = p->next_page;
		if (!s->pages)
			s->last_page = NULL;
		s->n_pages--;
		log_page_free(&p->page);
		free(p);
	}
	maybe_submit(s, now);
}

static int
tail_phase_over(const struct log_reader *r)
{
	const struct log_source *s;

	if (r->n_pending > 0)
		return 0;
	for (s = r->sources; s; s = s->next)
		if (!s->reached_end && !s->finished)
			return 0;
	return 1;
}

/* Emits events in timestamp order for as long as no source that may still
 * hold an earlier event is waiting for a page. */
static void
drain(struct log_reader *r)
{
	int64_t now = monotonic_ms();

	if (r->stopped)
		return;
	if (r->draining) {
		r->redrain = 1;
		return;
	}
	r->draining = 1;
	do {
		int blocked = 0;

		r->redrain = 0;
		for (;;) {
			struct log_source *s, *best = NULL;
			int64_t best_ts = 0;

			for (s = r->sources; s; s = s->next) {
				if (s->pages) {
					int64_t ts = head_timestamp(s);

					if (!best || ts < best_ts) {
						best = s;
						best_ts = ts;
					}
				} else if (!s->finished && !s->caught_up) {
					blocked = 1;
					break;
				}
			}
			if (blocked || !best)
				break;
			deliver_next(r, best, now);
		}
		if (r->tail_phase && !blocked && tail_phase_over(r))
			flush_ring(r);
	} while (r->redrain);
	r->draining = 0;
}

/* Frees the sources that have nothing left to do, so a long follow over
 * many deployments does not keep walking the streams of stopped tasks.
 * Their keys stay, so they are not added again. */
static void
prune_sources(struct log_reader *r)
{
	struct log_source **pp = &r->sources, *s;

	if (r->tail_phase)
		return;
	r->last_source = &r->sources;
	while ((s = *pp)) {
		if (s->finished && !s->in_flight && !s->pages) {
			*pp = s->next;
			source_free(s);
			continue;
		}
		pp = &s->next;
		r->last_source = pp;
	}
}

int64_t
log_reader_step(struct log_reader *r)
{
	struct log_source *s;
	int64_t now = monotonic_ms(), next = -1;

	if (r->n_pending > 0)
		pack_pending(r);
	if (r->opt.follow)
		prune_sources(r);
	for (s = r->sources; s; s = s->next) {
		maybe_submit(s, now);
		if (s->finished || s->in_flight ||
		    s->n_pages >= MAX_BUFFERED_PAGES ||
		    (s->caught_up && !r->opt.follow))
			continue;
		if (next < 0 || s->due_ms - now < next)
			next = s->due_ms - now;
	}
	drain(r);
	return next < 0 ? -1 : next;
}

void
log_reader_stop(struct log_reader *r)
{
	r->stopped = 1;
}

int
log_reader_in_flight(const struct log_reader *r)
{
	return r->in_flight;
}

int
log_reader_done(const struct log_reader *r)
{
	const struct log_source *s;

	if (r->n_pending > 0 || r->in_flight > 0)
		return 0;
	for (s = r->sources; s; s = s->next)
		if (!s->finished || s->pages)
			return 0;
	return 1;
}

int
log_reader_failed(const struct log_reader *r)
{
	return r->failed;
}
