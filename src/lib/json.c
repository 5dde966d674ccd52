/* JSON helpers over jv, and the NDJSON reader and writer. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "util.h"

/* Output is collected here and written in whole lines once it passes this
 * size, or after every record when flush_each is set. */
#define OUT_CHUNK 65536

static struct buf out_buf = BUF_INIT;
static int out_flush_each;

const char *
json_str(jv obj, const char *key)
{
	jv v;
	const char *s;

	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return NULL;
	v = jv_object_get(jv_copy(obj), jv_string(key));
	if (jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		return NULL;
	}
	/* The string stays alive inside obj, which the caller holds. */
	s = jv_string_value(v);
	jv_free(v);
	return s;
}

double
json_num(jv obj, const char *key, double def)
{
	jv v;
	double d = def;

	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return def;
	v = jv_object_get(jv_copy(obj), jv_string(key));
	if (jv_get_kind(v) == JV_KIND_NUMBER)
		d = jv_number_value(v);
	jv_free(v);
	return d;
}

jv
json_path(jv obj, ...)
{
	va_list ap;
	const char *key;
	jv cur = jv_copy(obj);

	va_start(ap, obj);
	while ((key = va_arg(ap, const char *)) != NULL) {
		if (jv_get_kind(cur) != JV_KIND_OBJECT) {
			jv_free(cur);
			cur = jv_null();
			break;
		}
		cur = jv_object_get(cur, jv_string(key));
		if (!jv_is_valid(cur)) {
			jv_free(cur);
			cur = jv_null();
			break;
		}
	}
	va_end(ap);
	return cur;
}

void
json_dump(jv v, struct buf *out)
{
	jv s = jv_dump_string(jv_copy(v), 0);

	buf_add(out, jv_string_value(s), (size_t)jv_string_length_bytes(
					     jv_copy(s)));
	jv_free(s);
}

jv
json_parse(const char *text, size_t len)
{
	return jv_parse_sized(text, (int)len);
}

void
ndjson_reader_init(struct ndjson_reader *r, int fd, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->name = name;
	buf_init(&r->buf);
}

void
ndjson_reader_free(struct ndjson_reader *r)
{
	buf_free(&r->buf);
}

static int
fill(struct ndjson_reader *r)
{
	ssize_t n;

	if (r->start > 0 && r->start >= r->buf.len / 2) {
		buf_consume(&r->buf, r->start);
		r->start = 0;
	}
	buf_grow(&r->buf, 65536);
	do {
		n = read(r->fd, r->buf.data + r->buf.len,
		    r->buf.cap - r->buf.len - 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0) {
		r->eof = 1;
		return 0;
	}
	r->buf.len += (size_t)n;
	r->buf.data[r->buf.len] = '\0';
	return 1;
}

int
ndjson_read_line(struct ndjson_reader *r, char **line, size_t *len)
{
	size_t scanned = 0;

	for (;;) {
		char *base = r->buf.data + r->start;
		size_t avail = r->buf.len - r->start;
		char *nl = memchr(base + scanned, '\n', avail - scanned);
		size_t n;

		if (!nl && !r->eof) {
			scanned = avail;
			if (fill(r) < 0)
				return -1;
			continue;
		}
		if (!nl && avail == 0)
			return 0;
		n = nl ? (size_t)(nl - base) : avail;
		r->start += nl ? n + 1 : n;
		r->line_no++;
		scanned = 0;
		if (r->line_no == 1 && n >= 3 &&
		    memcmp(base, "\xef\xbb\xbf", 3) == 0) {
			base += 3;
			n -= 3;
		}
		if (n > 0 && base[n - 1] == '\r')
			n--;
		base[n] = '\0';
		if (strspn(base, " \t") == n)
			continue;
		*line = base;
		*len = n;
		return 1;
	}
}

int
ndjson_next(struct ndjson_reader *r, jv *record, struct buf *raw)
{
	char *line;
	size_t len;
	int rc;

	while ((rc = ndjson_read_line(r, &line, &len)) == 1) {
		jv v;

		if (len > INT32_MAX) {
			error("%s:%ld: line of %zu bytes is too long for the "
			      "JSON parser",
			    r->name, r->line_no, len);
			r->errors++;
			continue;
		}
		v = jv_parse_sized(line, (int)len);
		if (!jv_is_valid(v)) {
			jv msg = jv_invalid_get_msg(v);

			error("%s:%ld: invalid JSON: %s", r->name, r->line_no,
			    jv_get_kind(msg) == JV_KIND_STRING
				? jv_string_value(msg)
				: "parse error");
			jv_free(msg);
			r->errors++;
			continue;
		}
		if (jv_get_kind(v) != JV_KIND_OBJECT) {
			error("%s:%ld: expected a JSON object (one record per "
			      "line), got %s",
			    r->name, r->line_no,
			    jv_kind_name(jv_get_kind(v)));
			jv_free(v);
			r->errors++;
			continue;
		}
		if (raw) {
			buf_reset(raw);
			buf_add(raw, line, len);
		}
		*record = v;
		return 1;
	}
	if (rc < 0) {
		error("%s: read failed: %s", r->name, strerror(errno));
		r->errors++;
	}
	return 0;
}

void
out_set_flush_each(int on)
{
	out_flush_each = on;
}

static void
out_maybe_flush(void)
{
	if (out_flush_each || out_buf.len >= OUT_CHUNK)
		out_flush();
}

/* NOTE: out_buf contains whole lines, but a signal that kills the program
 * while write(2) waits on a full pipe can leave the last line cut short.
 * Blocking signals here would make a program whose reader has stalled
 * impossible to end with SIGTERM, so the gap is left. */
void
out_flush(void)
{
	if (out_buf.len == 0)
		return;
	if (write_all(STDOUT_FILENO, out_buf.data, out_buf.len) < 0) {
		if (errno == EPIPE)
			exit(141);
		die("write to stdout failed: %s", strerror(errno));
	}
	buf_reset(&out_buf);
}

void
out_record(jv record)
{
	json_dump(record, &out_buf);
	jv_free(record);
	buf_addc(&out_buf, '\n');
	out_maybe_flush();
}

void
out_line(const char *s, size_t len)
{
	buf_add(&out_buf, s, len);
	buf_addc(&out_buf, '\n');
	out_maybe_flush();
}

void
out_raw(const char *s, size_t len)
{
	buf_add(&out_buf, s, len);
	out_maybe_flush();
}
