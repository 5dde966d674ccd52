/* Validating JSON object scanner: checks the grammar of a whole line and
 * records where chosen top-level members are, without allocating. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "jscan.h"
#include "text.h"

/* Deeper nesting is reported as invalid. jq's own parser has a limit too,
 * and a caller that needs jq's verdict calls jv_parse. */
#define MAX_DEPTH 512

struct scanner {
	const char *p, *end;
	const char *err;
};

static int
fail(struct scanner *s, const char *msg)
{
	if (!s->err)
		s->err = msg;
	return -1;
}

static void
skip_space(struct scanner *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
				    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* Nonzero when any byte of the word is '"', '\\' or below 0x20. */
static uint64_t
string_stop_word(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull;
	const uint64_t high = 0x8080808080808080ull;
	uint64_t quote = w ^ (ones * '"'), slash = w ^ (ones * '\\');
	uint64_t control = (w - ones * 0x20) & ~w;

	quote = (quote - ones) & ~quote;
	slash = (slash - ones) & ~slash;
	return (control | quote | slash) & high;
}

static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* Scans a string whose opening quote is already consumed. */
static int
scan_string(struct scanner *s, int *escaped)
{
	for (;;) {
		unsigned char c;

#ifdef __SSE2__
		/* Sixteen bytes at a time (SSE2 is part of every x86-64 CPU):
		 * a quote, a backslash or a byte below 0x20 stops. */
		while (s->end - s->p >= 16) {
			__m128i v = _mm_loadu_si128(
			    (const __m128i *)(const void *)s->p);
			__m128i below = _mm_set1_epi8(0x1f);
			__m128i stop = _mm_or_si128(
			    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
				_mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
			    _mm_cmpeq_epi8(_mm_min_epu8(v, below), v));
			int hits = _mm_movemask_epi8(stop);

			if (hits) {
				s->p += __builtin_ctz((unsigned)hits);
				break;
			}
			s->p += 16;
		}
#endif
		while (s->end - s->p >= 8) {
			uint64_t w;

			memcpy(&w, s->p, 8);
			if (string_stop_word(w))
				break;
			s->p += 8;
		}
		while (s->p < s->end && *s->p != '"' && *s->p != '\\' &&
		    (unsigned char)*s->p >= 0x20)
			s->p++;
		if (s->p >= s->end)
			return fail(s, "unfinished string");
		c = (unsigned char)*s->p;
		if (c == '"') {
			s->p++;
			return 0;
		}
		if (c < 0x20)
			return fail(s, "control character in a string");
		*escaped = 1;
		if (s->end - s->p < 2)
			return fail(s, "unfinished string");
		switch (s->p[1]) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			s->p += 2;
			break;
		case 'u':
			if (s->end - s->p < 6 || !is_hex(s->p[2]) ||
			    !is_hex(s->p[3]) || !is_hex(s->p[4]) ||
			    !is_hex(s->p[5]))
				return fail(s, "invalid \\u escape");
			s->p += 6;
			break;
		default:
			return fail(s, "invalid escape in a string");
		}
	}
}

static void
skip_digits(struct scanner *s)
{
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
}

static int
scan_number(struct scanner *s)
{
	const char *start;

	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p >= s->end || *s->p < '0' || *s->p > '9')
		return fail(s, "invalid number");
	if (*s->p == '0')
		s->p++;
	else
		skip_digits(s);
	if (s->p < s->end && *s->p == '.') {
		start = ++s->p;
		skip_digits(s);
		if (s->p == start)
			return fail(s, "invalid number");
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		start = s->p;
		skip_digits(s);
		if (s->p == start)
			return fail(s, "invalid number");
	}
	return 0;
}

static int
scan_literal(struct scanner *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return fail(s, "invalid literal");
	s->p += n;
	return 0;
}

/* Scans a member name and its colon, leaving p at the value. */
static int
scan_key(struct scanner *s, const char **key, size_t *len, int *escaped)
{
	if (s->p >= s->end || *s->p != '"')
		return fail(s, "expected a member name in quotes");
	*key = ++s->p;
	*escaped = 0;
	if (scan_string(s, escaped) < 0)
		return -1;
	*len = (size_t)(s->p - 1 - *key);
	skip_space(s);
	if (s->p >= s->end || *s->p != ':')
		return fail(s, "expected ':' after a member name");
	s->p++;
	skip_space(s);
	return 0;
}

/* Scans a string, number or literal at p. */
static int
scan_scalar(struct scanner *s, enum jscan_kind *kind, int *escaped)
{
	char c = *s->p;

	if (c == '"') {
		s->p++;
		*kind = JSCAN_STRING;
		return scan_string(s, escaped);
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		*kind = JSCAN_NUMBER;
		return scan_number(s);
	}
	if (c == 't') {
		*kind = JSCAN_TRUE;
		return scan_literal(s, "true");
	}
	if (c == 'f') {
		*kind = JSCAN_FALSE;
		return scan_literal(s, "false");
	}
	*kind = JSCAN_NULL;
	if (c == 'n')
		return scan_literal(s, "null");
	return fail(s, "invalid value");
}

/* Scans any value at p, with objects and arrays followed through an
 * explicit stack rather than recursion. */
static int
scan_value(struct scanner *s, enum jscan_kind *kind, int *escaped)
{
	char stack[MAX_DEPTH];
	int depth = 0, key_escaped;
	const char *key;
	size_t key_len;

	*escaped = 0;
	if (s->p >= s->end)
		return fail(s, "missing value");
	if (*s->p != '{' && *s->p != '[')
		return scan_scalar(s, kind, escaped);
	*kind = *s->p == '{' ? JSCAN_OBJECT : JSCAN_ARRAY;

	for (;;) {
		enum jscan_kind k;
		int e;

		/* p is at a value. */
		if (s->p >= s->end)
			return fail(s, "missing value");
		if (*s->p == '{' || *s->p == '[') {
			char close = *s->p == '{' ? '}' : ']';

			if (depth == MAX_DEPTH)
				return fail(s, "nested too deeply");
			stack[depth++] = close;
			s->p++;
			skip_space(s);
			if (s->p < s->end && *s->p == close) {
				s->p++;
				depth--;
			} else {
				if (close == '}' &&
				    scan_key(s, &key, &key_len, &key_escaped) < 0)
					return -1;
				continue;
			}
		} else if (scan_scalar(s, &k, &e) < 0) {
			return -1;
		}

		/* p is after a value: close containers or go to the next. */
		for (;;) {
			if (depth == 0)
				return 0;
			skip_space(s);
			if (s->p >= s->end)
				return fail(s, "unfinished object or array");
			if (*s->p == ',') {
				s->p++;
				skip_space(s);
				if (stack[depth - 1] == '}' &&
				    scan_key(s, &key, &key_len, &key_escaped) < 0)
					return -1;
				break;
			}
			if (*s->p != stack[depth - 1])
				return fail(s, "expected ',' or a closing "
					       "bracket");
			s->p++;
			depth--;
		}
	}
}

/* Decodes a member name with escapes so slot() gets the real name. */
static int
escaped_slot(const char *key, size_t len, jscan_slot_fn slot, void *data)
{
	struct jscan_value v = {JSCAN_STRING, key, len, 1};
	struct buf b = BUF_INIT;
	int rc;

	jscan_string(&v, &b);
	rc = slot(b.data ? b.data : "", b.len, data);
	buf_free(&b);
	return rc;
}

/* Scans the members of an object whose '{' is at p, leaving p after its
 * '}'. Members that slot() maps are stored in values[slot]. */
static int
scan_members(struct scanner *s, jscan_slot_fn slot, void *data,
    struct jscan_value *values)
{
	s->p++;
	skip_space(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return 0;
	}
	for (;;) {
		const char *key, *start;
		size_t key_len;
		int key_escaped, escaped, n;
		enum jscan_kind kind;

		if (scan_key(s, &key, &key_len, &key_escaped) < 0)
			return -1;
		n = key_escaped ? escaped_slot(key, key_len, slot, data)
				: slot(key, key_len, data);
		start = s->p;
		if (scan_value(s, &kind, &escaped) < 0)
			return -1;
		if (n >= 0) {
			values[n].kind = kind;
			values[n].escaped = escaped;
			values[n].start = kind == JSCAN_STRING ? start + 1 : start;
			values[n].len = (size_t)(s->p - values[n].start) -
			    (kind == JSCAN_STRING);
		}
		skip_space(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			skip_space(s);
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			return 0;
		}
		return fail(s, "expected ',' or '}' in an object");
	}
}

int
jscan_object(const char *text, size_t len, jscan_slot_fn slot, void *data,
    struct jscan_value *values, const char **err)
{
	struct scanner s = {text, text + len, NULL};

	skip_space(&s);
	if (s.p >= s.end || *s.p != '{') {
		*err = s.p >= s.end ? "empty line" : "not a JSON object";
		return -1;
	}
	if (scan_members(&s, slot, data, values) < 0) {
		*err = s.err;
		return -1;
	}
	skip_space(&s);
	if (s.p != s.end) {
		*err = "unexpected text after the object";
		return -1;
	}
	return 0;
}

int
jscan_array_objects(const struct jscan_value *array, jscan_slot_fn slot,
    void *data, struct jscan_value *values, size_t n_values,
    int (*fn)(struct jscan_value *values, void *data))
{
	struct scanner s = {array->start, array->start + array->len, NULL};

	if (array->kind != JSCAN_ARRAY)
		return -1;
	s.p++;
	for (;;) {
		skip_space(&s);
		if (s.p >= s.end || *s.p == ']')
			return 0;
		if (*s.p != '{')
			return -1;
		memset(values, 0, n_values * sizeof(*values));
		if (scan_members(&s, slot, data, values) < 0 ||
		    fn(values, data) < 0)
			return -1;
		skip_space(&s);
		if (s.p < s.end && *s.p == ',')
			s.p++;
	}
}

void
jscan_array(const struct jscan_value *array,
    void (*fn)(const char *elem, size_t len, void *data), void *data)
{
	struct scanner s = {array->start, array->start + array->len, NULL};

	if (array->kind != JSCAN_ARRAY)
		return;
	s.p++;
	for (;;) {
		const char *start;
		enum jscan_kind kind;
		int escaped;

		skip_space(&s);
		if (s.p >= s.end || *s.p == ']')
			return;
		start = s.p;
		if (scan_value(&s, &kind, &escaped) < 0)
			return;
		fn(start, (size_t)(s.p - start), data);
		skip_space(&s);
		if (s.p < s.end && *s.p == ',')
			s.p++;
	}
}

static unsigned
hex4(const char *p)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v = v << 4 | (unsigned)(c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
	}
	return v;
}

static void
add_utf8(struct buf *out, uint32_t c)
{
	char tmp[4];

	if (c < 0x80) {
		buf_addc(out, (char)c);
		return;
	}
	if (c < 0x800) {
		tmp[0] = (char)(0xc0 | c >> 6);
		tmp[1] = (char)(0x80 | (c & 0x3f));
		buf_add(out, tmp, 2);
		return;
	}
	if (c < 0x10000) {
		tmp[0] = (char)(0xe0 | c >> 12);
		tmp[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		tmp[2] = (char)(0x80 | (c & 0x3f));
		buf_add(out, tmp, 3);
		return;
	}
	tmp[0] = (char)(0xf0 | c >> 18);
	tmp[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	tmp[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	tmp[3] = (char)(0x80 | (c & 0x3f));
	buf_add(out, tmp, 4);
}

void
jscan_string(const struct jscan_value *v, struct buf *out)
{
	const char *p = v->start, *end = v->start + v->len;

	if (!v->escaped) {
		buf_add(out, p, v->len);
		return;
	}
	while (p < end) {
		const char *bs = memchr(p, '\\', (size_t)(end - p));
		uint32_t c;

		if (!bs) {
			buf_add(out, p, (size_t)(end - p));
			return;
		}
		buf_add(out, p, (size_t)(bs - p));
		p = bs + 2;
		switch (bs[1]) {
		case 'b':
			buf_addc(out, '\b');
			continue;
		case 'f':
			buf_addc(out, '\f');
			continue;
		case 'n':
			buf_addc(out, '\n');
			continue;
		case 'r':
			buf_addc(out, '\r');
			continue;
		case 't':
			buf_addc(out, '\t');
			continue;
		case 'u':
			break;
		default:
			buf_addc(out, bs[1]);
			continue;
		}
		c = hex4(bs + 2);
		p = bs + 6;
		if (c >= 0xd800 && c <= 0xdbff && end - p >= 6 && p[0] == '\\' &&
		    p[1] == 'u') {
			uint32_t low = hex4(p + 2);

			if (low >= 0xdc00 && low <= 0xdfff) {
				c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
				p += 6;
			}
		}
		if (c >= 0xd800 && c <= 0xdfff)
			c = 0xfffd;
		add_utf8(out, c);
	}
}

int
jscan_string_equals(const struct jscan_value *v, const char *s)
{
	struct buf b = BUF_INIT;
	int eq;

	if (v->kind != JSCAN_STRING)
		return 0;
	if (!v->escaped)
		return v->len == strlen(s) && memcmp(v->start, s, v->len) == 0;
	jscan_string(v, &b);
	eq = b.len == strlen(s) && memcmp(b.data ? b.data : "", s, b.len) == 0;
	buf_free(&b);
	return eq;
}

double
jscan_number(const struct jscan_value *v)
{
	char tmp[64];

	if (v->kind != JSCAN_NUMBER || v->len >= sizeof(tmp))
		return 0;
	memcpy(tmp, v->start, v->len);
	tmp[v->len] = '\0';
	return strtod(tmp, NULL);
}
