/* CloudWatch Logs events from many streams, merged into timestamp order.
 *
 * A log_reader reads each stream with GetLogEvents, following
 * nextForwardToken until the token comes back unchanged, because an empty
 * page is not the end. With a filter pattern, or for a whole log group, it
 * uses FilterLogEvents over at most 100 stream names per call. Events of all
 * sources go out in timestamp order: an event is emitted only once every
 * source still reading has an event buffered or has reached its end. Each
 * source holds at most two pages, so memory does not grow with the number
 * of events.
 *
 * Following, a source that reached its end is polled again after a delay
 * that doubles while it stays idle. GetLogEvents tokens never repeat an
 * event; FilterLogEvents polls restart at the last timestamp seen and
 * drop the event ids already emitted. Throttling and server errors that
 * outlast the standard retries back off and try again. When following,
 * rejected or missing credentials do too, after being resolved anew.
 *
 * Strings passed in are copied; tags are borrowed and handed back with
 * each event. The strings of the event view given to the emit callback
 * live until the callback returns. */
#ifndef ECS_LOGS_H
#define ECS_LOGS_H

#include <stdint.h>

#include "aws.h"

struct log_reader;

/* One event as the emit callback receives it. */
struct log_event_view {
	const char *region;
	const char *group;
	const char *stream;
	void *tag;		/* the tag given with the stream or group */
	int64_t timestamp;	/* epoch milliseconds */
	int64_t ingestion_time;	/* epoch milliseconds; -1 when absent */
	const char *message;	/* message_len decoded bytes, not always
				   NUL-terminated */
	size_t message_len;
	/* 1 when message is valid UTF-8 without '"', '\\', control
	 * characters or DEL, so it goes into a JSON string unchanged. */
	int message_plain;
	const char *event_id;	/* FilterLogEvents only; NULL otherwise */
};

typedef void (*log_emit_fn)(const struct log_event_view *ev, void *data);

struct log_reader_options {
	int follow;
	int has_start, has_end;
	int64_t start_ms;		/* inclusive, epoch milliseconds */
	int64_t end_ms;			/* exclusive */
	long tail;			/* > 0: only the last N events */
	const char *filter_pattern;	/* NULL: GetLogEvents per stream */
	int64_t poll_max_ms;		/* following: longest idle wait */
	/* The user named the groups and streams, so one that does not exist
	 * is an error unless following, instead of a warning. */
	int missing_is_error;
};

struct log_reader *log_reader_new(struct aws_ctx *ctx,
    const struct log_reader_options *o, log_emit_fn emit, void *data);
void log_reader_free(struct log_reader *r);

/* Adds a stream. Returns 1, or 0 when the stream was already added. */
int log_reader_add_stream(struct log_reader *r, const char *region,
    const char *group, const char *stream, void *tag);
/* Adds every stream of a log group, read with FilterLogEvents. */
void log_reader_add_group(struct log_reader *r, const char *region,
    const char *group, void *tag);
/* Stops polling a stream once it has reached its end (its task stopped). */
void log_reader_retire_stream(struct log_reader *r, const char *region,
    const char *group, const char *stream);

/* Starts the requests that are due and emits the events that are ready.
 * Returns the milliseconds until the next request is due, or -1 when
 * nothing is scheduled. */
int64_t log_reader_step(struct log_reader *r);
/* Stops starting requests and emitting events, so the requests in flight
 * can run out before log_reader_free. */
void log_reader_stop(struct log_reader *r);
/* Number of requests in flight. */
int log_reader_in_flight(const struct log_reader *r);
/* 1 when every source has finished (never while following). */
int log_reader_done(const struct log_reader *r);
/* 1 when a source failed for good. */
int log_reader_failed(const struct log_reader *r);

#endif
