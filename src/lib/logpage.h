/* One page of CloudWatch Logs events: the body of a GetLogEvents or
 * FilterLogEvents response, read into an array of events.
 *
 * The usual page is read by jscan without building jq values, and the
 * events point into the body. A page of any other shape is parsed with jq
 * instead: a timestamp that is not an integer, an event that is not an
 * object or an escaped event id, for example. Both paths give the events
 * that jq's parse of the page gives. */
#ifndef ECS_LOGPAGE_H
#define ECS_LOGPAGE_H

#include <stddef.h>
#include <stdint.h>
#include <jv.h>

#include "buf.h"

struct log_page_event {
	int64_t timestamp;	/* epoch milliseconds; 0 when absent */
	int64_t ingestion_time;	/* epoch milliseconds; -1 when absent */
	const char *message;	/* message_len decoded bytes, not always
				   NUL-terminated; "" when absent */
	size_t message_len;
	/* 1 when message is valid UTF-8 without '"', '\\', control
	 * characters or DEL, so it goes into a JSON string unchanged. */
	int message_plain;
	const char *event_id;	/* NULL when absent */
	const char *stream;	/* logStreamName; NULL when absent */
};

struct log_page {
	struct buf body;	/* the response; scanned events point into it */
	struct buf decoded;	/* scanned messages that had escapes */
	jv doc;			/* jq's parse of the body, or the messages
				   that needed decoding; events point into it */
	struct log_page_event *events;
	int n;
	char *token;		/* the token member, NULL when absent */
	int scanned;		/* 1: read by jscan, 0: parsed by jq */
};

/* Reads the events and the string member token_name (nextForwardToken or
 * nextToken) of a response body, which the page takes over (body is left
 * empty). Returns 0, or -1 with jq's message appended to err when the
 * body is not valid JSON. */
int log_page_read(struct log_page *p, struct buf *body,
    const char *token_name, struct buf *err);
/* Same as log_page_read, but always parses with jq. For tests that
 * compare the two paths. */
int log_page_read_jq(struct log_page *p, struct buf *body,
    const char *token_name, struct buf *err);
void log_page_free(struct log_page *p);

#endif
