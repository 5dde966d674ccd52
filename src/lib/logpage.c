/* Reading CloudWatch Logs event pages (see logpage.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"
#include "json.h"
#include "logpage.h"
#include "text.h"
#include "util.h"

enum { PAGE_EVENTS, PAGE_TOKEN, PAGE_SLOTS };
enum { EV_TIMESTAMP, EV_MESSAGE, EV_INGESTION, EV_ID, EV_STREAM, EV_SLOTS };

/* Work deferred until the whole page has scanned cleanly. The event id
 * and stream name are NUL-terminated in the body only then, because the
 * jq fallback may still need the body intact. The message is pointed
 * into the page's decoded text only then, because that text may move
 * while it grows. */
struct scan_fixup {
	size_t id_len, stream_len;
	size_t decoded_at;	/* offset in p->decoded, or NOT_DECODED */
};

#define NOT_DECODED ((size_t)-1)

struct page_scan {
	struct log_page *page;
	const char *token_name;
	struct scan_fixup *fixups;
	size_t cap;
};

static int
key_is(const char *key, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(key, name, len) == 0;
}

static int
page_slot(const char *key, size_t len, void *data)
{
	const struct page_scan *ps = data;

	if (key_is(key, len, "events"))
		return PAGE_EVENTS;
	if (key_is(key, len, ps->token_name))
		return PAGE_TOKEN;
	return -1;
}

static int
event_slot(const char *key, size_t len, void *data)
{
	if (key_is(key, len, "timestamp"))
		return EV_TIMESTAMP;
	if (key_is(key, len, "message"))
		return EV_MESSAGE;
	if (key_is(key, len, "ingestionTime"))
		return EV_INGESTION;
	if (key_is(key, len, "eventId"))
		return EV_ID;
	if (key_is(key, len, "logStreamName"))
		return EV_STREAM;
	(void)data;
	return -1;
}

/* Reads an integer written with at most 15 digits and no fraction or
 * exponent, which a double (and so jq) represents exactly. Returns -1 for
 * any other value. */
/* Converts a reply's millisecond count to int64_t. Values past +-2^53
 * (beyond any real date) and NaN are clamped, because converting a double
 * outside the int64_t range is undefined behaviour. */
static int64_t
clamp_ms(double ms)
{
	const double limit = 9007199254740992.0;	/* 2^53 */

	if (ms != ms)
		return 0;
	if (ms > limit)
		return (int64_t)limit;
	if (ms < -limit)
		return -(int64_t)limit;
	return (int64_t)ms;
}

static int
scan_integer(const struct jscan_value *v, int64_t *out)
{
	const char *p = v->start, *end = v->start + v->len;
	int negative = 0;
	int64_t n = 0;

	if (v->kind != JSCAN_NUMBER)
		return -1;
	if (p < end && *p == '-') {
		negative = 1;
		p++;
	}
	if (p == end || end - p > 15)
		return -1;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		n = n * 10 + (*p - '0');
	}
	*out = negative ? -n : n;
	return 0;
}

/* Returns 1 when the bytes of an unescaped string value are valid UTF-8
 * (no overlong forms, surrogates or values past U+10FFFF), as jq keeps
 * them unchanged only then. Sets *has_del when a DEL byte occurs. */
static int
valid_utf8(const char *s, size_t len, int *has_del)
{
	const uint64_t ones = 0x0101010101010101ull;
	const uint64_t high = 0x8080808080808080ull;
	size_t i = 0;

	*has_del = 0;
	while (i < len) {
		unsigned char c;
		uint32_t cp;
		size_t n;

		/* Eight ASCII bytes at a time while there is no DEL. */
		while (len - i >= 8) {
			uint64_t w, del;

			memcpy(&w, s + i, 8);
			del = w ^ (ones * 0x7f);
			if ((w & high) || ((del - ones) & ~del & high))
				break;
			i += 8;
		}
		if (i == len)
			break;
		c = (unsigned char)s[i];
		if (c < 0x80) {
			if (c == 0x7f)
				*has_del = 1;
			i++;
			continue;
		}
		n = utf8_decode(s + i, len - i, &cp);
		if (cp == 0xfffd && n == 1)
			return 0;
		i += n;
	}
	return 1;
}

static unsigned
hex4(const char *p)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v = v << 4 |
		    (unsigned)(c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
	}
	return v;
}

/* Returns 1 when every \u escape of a high surrogate in a scanned string
 * is followed by a low one. jq 1.6 rejects a whole document with an
 * unpaired high surrogate, so those strings go to jq, which decides. */
static int
surrogates_paired(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned c;

		if (s[i] != '\\') {
			i++;
			continue;
		}
		if (s[i + 1] != 'u') {
			i += 2;
			continue;
		}
		c = hex4(s + i + 2);
		i += 6;
		if (c < 0xd800 || c > 0xdbff)
			continue;
		if (len - i < 6 || s[i] != '\\' || s[i + 1] != 'u')
			return 0;
		c = hex4(s + i + 2);
		if (c < 0xdc00 || c > 0xdfff)
			return 0;
		i += 6;
	}
	return 1;
}

/* Decodes a string value with jq, so escapes, lone surrogates and invalid
 * UTF-8 come out as jq's parse of the page would give them. The decoded
 * string is kept alive in p->doc. */
static int
decode_with_jq(struct log_page *p, const struct jscan_value *v,
    struct log_page_event *ev)
{
	jv s = jv_parse_sized(v->start - 1, (int)v->len + 2);

	if (jv_get_kind(s) != JV_KIND_STRING) {
		jv_free(s);
		return -1;
	}
	ev->message = jv_string_value(s);
	ev->message_len = (size_t)jv_string_length_bytes(jv_copy(s));
	ev->message_plain = 0;
	p->doc = jv_array_append(p->doc, s);
	return 0;
}

/* Returns 0 for an absent member or an unescaped string, which goes into
 * *out (not yet NUL-terminated) and *len; -1 for anything else. */
static int
scan_name(const struct jscan_value *v, const char **out, size_t *len)
{
	if (v->kind == JSCAN_NONE) {
		*out = NULL;
		*len = 0;
		return 0;
	}
	if (v->kind != JSCAN_STRING || v->escaped)
		return -1;
	*out = v->start;
	*len = v->len;
	return 0;
}

/* Adds the event whose members jscan_array_objects found. Returns -1
 * for an event that only jq can read. */
static int
scan_event(struct jscan_value *v, void *data)
{
	struct page_scan *ps = data;
	struct log_page *p = ps->page;
	struct log_page_event ev;
	struct scan_fixup fixup;
	const struct jscan_value *message = &v[EV_MESSAGE];
	int has_del;

	memset(&ev, 0, sizeof(ev));
	fixup.decoded_at = NOT_DECODED;
	if (scan_integer(&v[EV_TIMESTAMP], &ev.timestamp) < 0 ||
	    v[EV_MESSAGE].kind != JSCAN_STRING ||
	    scan_name(&v[EV_ID], &ev.event_id, &fixup.id_len) < 0 ||
	    scan_name(&v[EV_STREAM], &ev.stream, &fixup.stream_len) < 0)
		goto bad;
	ev.ingestion_time = -1;
	if (v[EV_INGESTION].kind != JSCAN_NONE &&
	    scan_integer(&v[EV_INGESTION], &ev.ingestion_time) < 0)
		goto bad;
	if (ev.ingestion_time < 0)
		ev.ingestion_time = -1;
	if (!valid_utf8(message->start, message->len, &has_del)) {
		if (decode_with_jq(p, message, &ev) < 0)
			goto bad;
	} else if (!message->escaped) {
		ev.message = message->start;
		ev.message_len = message->len;
		ev.message_plain = !has_del;
	} else if (surrogates_paired(message->start, message->len)) {
		/* Other escapes decode the same in jscan as in jq. */
		fixup.decoded_at = p->decoded.len;
		jscan_string(message, &p->decoded);
		ev.message_len = p->decoded.len - fixup.decoded_at;
	} else if (decode_with_jq(p, message, &ev) < 0) {
		goto bad;
	}
	if ((size_t)p->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 256;
		p->events = xrealloc(p->events, ps->cap * sizeof(*p->events));
		ps->fixups =
		    xrealloc(ps->fixups, ps->cap * sizeof(*ps->fixups));
	}
	ps->fixups[p->n] = fixup;
	p->events[p->n++] = ev;
	return 0;
bad:
	return -1;
}

static void
page_reset(struct log_page *p)
{
	jv_free(p->doc);
	p->doc = jv_null();
	free(p->events);
	p->events = NULL;
	p->n = 0;
	free(p->token);
	p->token = NULL;
	buf_free(&p->decoded);
	p->scanned = 0;
}

static void
page_take_body(struct log_page *p, struct buf *body)
{
	memset(p, 0, sizeof(*p));
	p->doc = jv_null();
	p->body = *body;
	body->data = NULL;
	body->len = body->cap = 0;
}

static int
parse_with_jq(struct log_page *p, const char *token_name, struct buf *err)
{
	size_t i = 0;
	jv events;
	const char *token;
	int k, n;

	page_reset(p);
	while (i < p->body.len && isspace((unsigned char)p->body.data[i]))
		i++;
	/* An empty body reads as {}, as for every other JSON response. */
	p->doc = i == p->body.len
		     ? jv_object()
		     : jv_parse_sized(p->body.data, (int)p->body.len);
	if (!jv_is_valid(p->doc)) {
		jv msg = jv_invalid_get_msg(p->doc);

		buf_adds(err, jv_get_kind(msg) == JV_KIND_STRING
				  ? jv_string_value(msg)
				  : "parse error");
		jv_free(msg);
		p->doc = jv_null();
		return -1;
	}
	token = json_str(p->doc, token_name);
	p->token = token ? xstrdup(token) : NULL;
	if (jv_get_kind(p->doc) != JV_KIND_OBJECT)
		return 0;
	events = jv_object_get(jv_copy(p->doc), jv_string("events"));
	n = jv_get_kind(events) == JV_KIND_ARRAY
		? jv_array_length(jv_copy(events))
		: 0;
	p->events = n > 0 ? xcalloc((size_t)n, sizeof(*p->events)) : NULL;
	for (k = 0; k < n; k++) {
		jv item = jv_array_get(jv_copy(events), k);
		struct log_page_event *ev = &p->events[k];
		double ingestion = json_num(item, "ingestionTime", -1);

		/* Strings stay alive inside p->doc, which the page holds. */
		ev->timestamp = clamp_ms(json_num(item, "timestamp", 0));
		ev->ingestion_time = ingestion >= 0 ? clamp_ms(ingestion) : -1;
		ev->message = json_str(item, "message");
		if (ev->message) {
			jv m = jv_object_get(jv_copy(item),
			    jv_string("message"));

			ev->message_len =
			    (size_t)jv_string_length_bytes(jv_copy(m));
			jv_free(m);
		} else {
			ev->message = "";
		}
		ev->event_id = json_str(item, "eventId");
		ev->stream = json_str(item, "logStreamName");
		jv_free(item);
	}
	p->n = n;
	jv_free(events);
	return 0;
}

int
log_page_read_jq(struct log_page *p, struct buf *body,
    const char *token_name, struct buf *err)
{
	page_take_body(p, body);
	return parse_with_jq(p, token_name, err);
}

int
log_page_read(struct log_page *p, struct buf *body, const char *token_name,
    struct buf *err)
{
	struct jscan_value v[PAGE_SLOTS], fields[EV_SLOTS];
	struct page_scan ps;
	const char *scan_err;
	int i;

	page_take_body(p, body);
	p->doc = jv_array();
	memset(v, 0, sizeof(v));
	memset(&ps, 0, sizeof(ps));
	ps.page = p;
	ps.token_name = token_name;
	if (jscan_object(p->body.data, p->body.len, page_slot, &ps, v,
		&scan_err) < 0 ||
	    v[PAGE_EVENTS].kind != JSCAN_ARRAY ||
	    (v[PAGE_TOKEN].kind != JSCAN_NONE &&
		(v[PAGE_TOKEN].kind != JSCAN_STRING || v[PAGE_TOKEN].escaped)))
		goto fallback;
	if (jscan_array_objects(&v[PAGE_EVENTS], event_slot, &ps, fields,
		EV_SLOTS, scan_event) < 0)
		goto fallback;
	if (v[PAGE_TOKEN].kind == JSCAN_STRING)
		p->token = xstrndup(v[PAGE_TOKEN].start, v[PAGE_TOKEN].len);
	/* Every value is read, so the closing quotes of event ids and stream
	 * names can become NUL terminators. */
	for (i = 0; i < p->n; i++) {
		struct log_page_event *ev = &p->events[i];
		const struct scan_fixup *fixup = &ps.fixups[i];

		if (ev->event_id)
			((char *)ev->event_id)[fixup->id_len] = '\0';
		if (ev->stream)
			((char *)ev->stream)[fixup->stream_len] = '\0';
		if (fixup->decoded_at != NOT_DECODED)
			ev->message = p->decoded.data + fixup->decoded_at;
	}
	free(ps.fixups);
	p->scanned = 1;
	return 0;
fallback:
	free(ps.fixups);
	return parse_with_jq(p, token_name, err);
}

void
log_page_free(struct log_page *p)
{
	page_reset(p);
	buf_free(&p->body);
}
