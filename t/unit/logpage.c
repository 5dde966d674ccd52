/* Unit tests for reading CloudWatch Logs event pages: the scanner path
 * must give the same events as jq's parse, and pages of an unusual shape
 * must fall back to jq. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "logpage.h"
#include "tap.h"

struct page_case {
	const char *name;
	const char *body;
	const char *token_name;
	int scanned;		/* expected path: 1 scanner, 0 jq */
};

/* Renders a message as ecs-log writes it into a JSON record. */
static void
render_message(const struct log_page_event *ev, struct buf *out)
{
	buf_reset(out);
	if (ev->message_plain) {
		buf_addc(out, '"');
		buf_add(out, ev->message, ev->message_len);
		buf_addc(out, '"');
	} else {
		buf_add_json_string(out, ev->message, ev->message_len);
	}
}

/* A timestamp far outside the int64_t range takes the jq path and comes
 * back clamped to 2^53 milliseconds, not converted with undefined
 * behaviour. */
static void
check_huge_timestamp(void)
{
	static const char body_text[] =
	    "{\"events\":[{\"timestamp\":1.7e25,\"message\":\"m\","
	    "\"ingestionTime\":-1e300}],\"nextForwardToken\":\"f\"}";
	struct log_page page;
	struct buf body = BUF_INIT, err = BUF_INIT;

	buf_add(&body, body_text, strlen(body_text));
	is_int(log_page_read(&page, &body, "nextForwardToken", &err), 0,
	    "huge timestamp: read");
	is_int(page.n, 1, "huge timestamp: one event");
	if (page.n == 1) {
		ok(page.events[0].timestamp == 9007199254740992LL,
		    "huge timestamp: clamped to 2^53");
		ok(page.events[0].ingestion_time == -1,
		    "huge timestamp: negative ingestionTime is absent");
	}
	log_page_free(&page);
	buf_free(&body);
	buf_free(&err);
}

static int
same_string(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Reads body both ways and checks that every event matches. */
static void
check_case(const struct page_case *c, size_t len)
{
	struct log_page fast, slow;
	struct buf body = BUF_INIT, err = BUF_INIT, a = BUF_INIT, b = BUF_INIT;
	int rc_fast, rc_slow, i, n;

	buf_add(&body, c->body, len);
	rc_fast = log_page_read(&fast, &body, c->token_name, &err);
	buf_add(&body, c->body, len);
	rc_slow = log_page_read_jq(&slow, &body, c->token_name, &err);
	is_int(rc_fast, 0, "%s: read", c->name);
	is_int(rc_slow, 0, "%s: read with jq", c->name);
	is_int(fast.scanned, c->scanned, "%s: path", c->name);
	is_int(fast.n, slow.n, "%s: event count", c->name);
	ok(same_string(fast.token, slow.token), "%s: token", c->name);
	n = fast.n < slow.n ? fast.n : slow.n;
	for (i = 0; i < n; i++) {
		const struct log_page_event *f = &fast.events[i];
		const struct log_page_event *s = &slow.events[i];

		is_int(f->timestamp, s->timestamp, "%s: event %d timestamp",
		    c->name, i);
		is_int(f->ingestion_time, s->ingestion_time,
		    "%s: event %d ingestionTime", c->name, i);
		ok(f->message_len == s->message_len &&
			memcmp(f->message, s->message, f->message_len) == 0,
		    "%s: event %d message bytes", c->name, i);
		render_message(f, &a);
		render_message(s, &b);
		ok(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
		    "%s: event %d message as JSON", c->name, i);
		ok(same_string(f->event_id, s->event_id),
		    "%s: event %d eventId", c->name, i);
		ok(same_string(f->stream, s->stream),
		    "%s: event %d logStreamName", c->name, i);
	}
	log_page_free(&fast);
	log_page_free(&slow);
	buf_free(&body);
	buf_free(&err);
	buf_free(&a);
	buf_free(&b);
}

static const struct page_case cases[] = {
    {"plain events",
	"{\"events\":[{\"timestamp\":1700000000000,\"message\":\"hello\","
	"\"ingestionTime\":1700000000005},{\"timestamp\":1700000000001,"
	"\"message\":\"world\\n\",\"ingestionTime\":1700000000006}],"
	"\"nextForwardToken\":\"f/1\",\"nextBackwardToken\":\"b/0\"}",
	"nextForwardToken", 1},
    {"white space and member order",
	" {\n \"nextForwardToken\" : \"f/2\" ,\"events\" : [ { \"message\" :"
	" \"x\" , \"timestamp\" : 5 } ] }\n",
	"nextForwardToken", 1},
    {"escapes in a message",
	"{\"events\":[{\"timestamp\":1,\"message\":\"a\\\"b\\\\c\\nd\\te\\/f"
	"\\b\\f\\r\"}],\"nextForwardToken\":\"f\"}",
	"nextForwardToken", 1},
    {"unicode escapes",
	"{\"events\":[{\"timestamp\":1,\"message\":\"caf\\u00e9 "
	"\\ud83d\\ude00 \\u0000 \\u001b[31m \\u007f\"}],"
	"\"nextForwardToken\":\"f\"}",
	"nextForwardToken", 1},
    {"lone low surrogates",
	"{\"events\":[{\"timestamp\":1,\"message\":\"a\\udc00b\"},"
	"{\"timestamp\":2,\"message\":\"\\udfff\"}],"
	"\"nextForwardToken\":\"f\"}",
	"nextForwardToken", 1},
    {"escaped backslash before u",
	"{\"events\":[{\"timestamp\":1,\"message\":\"path \\\\ud800 and "
	"\\\\\\ud83d\\ude00\"}],\"nextForwardToken\":\"f\"}",
	"nextForwardToken", 1},
    {"escapes with invalid UTF-8",
	"{\"events\":[{\"timestamp\":1,\"message\":\"a\\\"b\xff\\n\"}],"
	"\"nextForwardToken\":\"f\"}",
	"nextForwardToken", 1},
    {"surrogate pair at the end",
	"{\"events\":[{\"timestamp\":1,\"message\":\"x\\ud83d\\ude00\"}],"
	"\"nextForwardToken\":\"f\"}",
	"nextForwardToken", 1},
    {"raw UTF-8",
	"{\"events\":[{\"timestamp\":1,\"message\":\"caf\xc3\xa9 \xe2\x9c\x93"
	" \xf0\x9f\x98\x80\"}],\"nextForwardToken\":\"f\"}",
	"nextForwardToken", 1},
    {"invalid UTF-8",
	"{\"events\":[{\"timestamp\":1,\"message\":\"a\xff" "b\"},"
	"{\"timestamp\":2,\"message\":\"\xc0\xaf\"},{\"timestamp\":3,"
	"\"message\":\"\xed\xa0\x80\"},{\"timestamp\":4,\"message\":"
	"\"cut \xe2\x9c\"},{\"timestamp\":5,\"message\":\"\xf4\x90\x80\x80\"}"
	"],\"nextForwardToken\":\"f\"}",
	"nextForwardToken", 1},
    {"DEL in a message",
	"{\"events\":[{\"timestamp\":1,\"message\":\"a\x7f" "b\"}],"
	"\"nextForwardToken\":\"f\"}",
	"nextForwardToken", 1},
    {"FilterLogEvents page",
	"{\"events\":[{\"logStreamName\":\"app/web/1\",\"timestamp\":7,"
	"\"message\":\"m\",\"ingestionTime\":8,\"eventId\":\"123\"}],"
	"\"searchedLogStreams\":[{\"logStreamName\":\"app/web/1\","
	"\"searchedCompletely\":true}],\"nextToken\":\"n/1\"}",
	"nextToken", 1},
    {"last FilterLogEvents page",
	"{\"events\":[],\"searchedLogStreams\":[]}", "nextToken", 1},
    {"duplicate members",
	"{\"events\":[{\"timestamp\":1,\"message\":\"first\","
	"\"message\":\"second\",\"timestamp\":2}],\"nextForwardToken\":\"a\","
	"\"nextForwardToken\":\"b\"}",
	"nextForwardToken", 1},
    {"negative and missing ingestionTime",
	"{\"events\":[{\"timestamp\":-5,\"message\":\"m\","
	"\"ingestionTime\":-1},{\"timestamp\":0,\"message\":\"n\"}],"
	"\"nextForwardToken\":\"f\"}",
	"nextForwardToken", 1},
    {"unknown members of every kind",
	"{\"events\":[{\"timestamp\":1,\"extra\":{\"a\":[1,2,{\"b\":null}]},"
	"\"message\":\"m\",\"flag\":true}],\"nextForwardToken\":\"f\","
	"\"more\":[false,1e5]}",
	"nextForwardToken", 1},
    {"fractional timestamp",
	"{\"events\":[{\"timestamp\":1.5,\"message\":\"m\"}],"
	"\"nextForwardToken\":\"f\"}",
	"nextForwardToken", 0},
    {"timestamp with exponent",
	"{\"events\":[{\"timestamp\":17e11,\"message\":\"m\"}],"
	"\"nextForwardToken\":\"f\"}",
	"nextForwardToken", 0},
    {"sixteen-digit timestamp",
	"{\"events\":[{\"timestamp\":1234567890123456,\"message\":\"m\"}],"
	"\"nextForwardToken\":\"f\"}",
	"nextForwardToken", 0},
    {"timestamp as a string",
	"{\"events\":[{\"timestamp\":\"1\",\"message\":\"m\"}],"
	"\"nextForwardToken\":\"f\"}",
	"nextForwardToken", 0},
    {"missing timestamp",
	"{\"events\":[{\"message\":\"m\"}],\"nextForwardToken\":\"f\"}",
	"nextForwardToken", 0},
    {"missing message",
	"{\"events\":[{\"timestamp\":1}],\"nextForwardToken\":\"f\"}",
	"nextForwardToken", 0},
    {"message not a string",
	"{\"events\":[{\"timestamp\":1,\"message\":42}],"
	"\"nextForwardToken\":\"f\"}",
	"nextForwardToken", 0},
    {"ingestionTime not a number",
	"{\"events\":[{\"timestamp\":1,\"message\":\"m\","
	"\"ingestionTime\":null}],\"nextForwardToken\":\"f\"}",
	"nextForwardToken", 0},
    {"event not an object",
	"{\"events\":[{\"timestamp\":1,\"message\":\"m\"},7,\"x\"],"
	"\"nextForwardToken\":\"f\"}",
	"nextForwardToken", 0},
    {"escaped eventId",
	"{\"events\":[{\"timestamp\":1,\"message\":\"m\",\"eventId\":"
	"\"a\\u0062\"}],\"nextToken\":\"n\"}",
	"nextToken", 0},
    {"escaped logStreamName",
	"{\"events\":[{\"timestamp\":1,\"message\":\"m\",\"logStreamName\":"
	"\"a\\/b\"}]}",
	"nextToken", 0},
    {"escaped token",
	"{\"events\":[],\"nextForwardToken\":\"f\\/1\"}",
	"nextForwardToken", 0},
    {"token not a string",
	"{\"events\":[],\"nextForwardToken\":1}", "nextForwardToken", 0},
    {"events missing", "{\"nextForwardToken\":\"f\"}", "nextForwardToken",
	0},
    {"events not an array", "{\"events\":{},\"nextForwardToken\":\"f\"}",
	"nextForwardToken", 0},
    {"response not an object", "[1,2]", "nextForwardToken", 0},
    {"empty response", "  \n", "nextForwardToken", 0},
    {"jq-only number form",
	"{\"events\":[{\"timestamp\":1,\"message\":\"m\",\"x\":nan}],"
	"\"nextForwardToken\":\"f\"}",
	"nextForwardToken", 0},
};

/* A page of many events with long messages, as a busy stream gives. */
static void
check_large_page(void)
{
	struct buf body = BUF_INIT, err = BUF_INIT;
	struct log_page page;
	struct page_case c = {"large page", NULL, "nextForwardToken", 1};
	char *message = malloc(1 << 20);
	int i, rc;

	memset(message, 'x', 1 << 20);
	buf_adds(&body, "{\"events\":[");
	for (i = 0; i < 3000; i++) {
		buf_addf(&body, "%s{\"timestamp\":%d,\"message\":\"event %d ",
		    i ? "," : "", 1000 + i, i);
		buf_add(&body, message, i == 1500 ? 1 << 20 : 100);
		buf_adds(&body, "\",\"ingestionTime\":5}");
	}
	buf_adds(&body, "],\"nextForwardToken\":\"f/9\"}");
	c.body = body.data;
	check_case(&c, body.len);
	rc = log_page_read(&page, &body, "nextForwardToken", &err);
	is_int(rc, 0, "large page: read again");
	is_int(page.n, 3000, "large page: 3000 events");
	is_int((long long)page.events[1500].message_len, (1 << 20) + 11,
	    "large page: 1 MiB message");
	ok(page.events[2999].message_plain, "large page: messages plain");
	log_page_free(&page);
	buf_free(&err);
	free(message);
}

static void
check_invalid_json(void)
{
	static const char *const bodies[] = {
	    "{\"events\":[", "{\"events\":[]", "not json", "{\"a\":1}}",
	    "{\"events\":[{\"message\":\"unterminated}]}",
	    /* jq 1.6 rejects a high surrogate without a low one. */
	    "{\"events\":[{\"timestamp\":1,\"message\":\"a\\ud800b\"}]}",
	    "{\"events\":[{\"timestamp\":1,\"message\":\"\\ud83d\"}]}",
	};
	size_t i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct buf body = BUF_INIT, err = BUF_INIT;
		struct log_page page;

		buf_adds(&body, bodies[i]);
		is_int(log_page_read(&page, &body, "nextForwardToken", &err),
		    -1, "invalid JSON %zu: rejected", i);
		ok(err.len > 0, "invalid JSON %zu: message", i);
		log_page_free(&page);
		buf_free(&err);
	}
}

/* Pages of messages built at random from fragments that take every path
 * of the scanner: plain text, each escape, surrogate pairs, lone low
 * surrogates, raw UTF-8, invalid bytes and DEL. A fixed seed keeps the
 * pages the same from run to run. */
static void
check_random_pages(void)
{
	static const char *const fragments[] = {
	    "plain", " ", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n",
	    "\\r", "\\t", "\\u0000", "\\u001f", "\\u007f", "\\u00e9",
	    "\\u2028", "\\uffff", "\\ud83d\\ude00", "\\udc00", "\\\\ud800",
	    "\xc3\xa9", "\xe2\x9c\x93", "\xf0\x9f\x98\x80", "\x7f", "\xff",
	    "\xc0\xaf", "\xed\xa0\x80", "\xe2\x9c", "{\\\"k\\\":1}",
	};
	size_t n_fragments = sizeof(fragments) / sizeof(fragments[0]);
	unsigned seed = 12345;
	char name[32];
	int page, i, j;

	for (page = 0; page < 200; page++) {
		struct buf body = BUF_INIT;
		struct page_case c = {name, NULL, "nextForwardToken", 1};

		buf_adds(&body, "{\"events\":[");
		for (i = 0; i < 20; i++) {
			int parts;

			seed = seed * 1103515245u + 12345u;
			parts = (int)(seed >> 16) % 8;
			buf_addf(&body, "%s{\"timestamp\":%d,\"message\":\"",
			    i ? "," : "", i);
			for (j = 0; j < parts; j++) {
				seed = seed * 1103515245u + 12345u;
				buf_adds(&body,
				    fragments[(seed >> 16) % n_fragments]);
			}
			buf_adds(&body, "\"}");
		}
		buf_adds(&body, "],\"nextForwardToken\":\"f\"}");
		snprintf(name, sizeof(name), "random page %d", page);
		c.body = body.data;
		check_case(&c, body.len);
		buf_free(&body);
	}
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i], strlen(cases[i].body));
	check_large_page();
	check_random_pages();
	check_invalid_json();
	check_huge_timestamp();
	return done_testing();
}
