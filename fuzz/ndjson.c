/* Fuzz target: the NDJSON reader (ndjson_read_line and ndjson_next).
 *
 * Input: one byte with the number of extra cut points (0-15), two bytes
 * per cut point (an offset), one byte choosing ndjson_read_line (even) or
 * ndjson_next (odd), then the stream. The stream reaches the reader
 * through a SOCK_SEQPACKET socket in pieces cut at those points, so each
 * read() returns exactly one piece and a run is reproducible.
 *
 * Invariants:
 * - ndjson_read_line returns exactly the lines of a plain split on "\n",
 *   in order. A UTF-8 BOM is removed from the first line and one CR from
 *   the end of each, and lines of blanks are skipped;
 * - ndjson_next returns each line that is a JSON object, with its raw
 *   bytes unchanged, and counts every other line as an error;
 * - nothing is dropped or repeated. */
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "json.h"

#define MAX_CUTS 15
/* Pieces stay well below the socket's send buffer. */
#define MAX_PIECE 16384

struct writer {
	int fd;
	const uint8_t *data;
	size_t len;
	size_t cuts[MAX_CUTS + 2];
	size_t n_cuts;
};

static void *
write_pieces(void *arg)
{
	struct writer *w = arg;
	size_t i;

	for (i = 0; i + 1 < w->n_cuts; i++) {
		size_t at = w->cuts[i], end = w->cuts[i + 1];

		while (at < end) {
			size_t n = end - at > MAX_PIECE ? MAX_PIECE : end - at;
			ssize_t k = write(w->fd, w->data + at, n);

			FUZZ_ASSERT(k == (ssize_t)n, "write returned %zd", k);
			at += n;
		}
	}
	close(w->fd);
	return NULL;
}

static int
by_offset(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* The next line a correct reader returns, or 0 at the end. */
static int
model_next(const uint8_t *data, size_t len, size_t *pos, long *line_no,
    const uint8_t **line, size_t *line_len)
{
	while (*pos < len) {
		const uint8_t *base = data + *pos;
		const uint8_t *nl = memchr(base, '\n', len - *pos);
		size_t n = nl ? (size_t)(nl - base) : len - *pos, i;

		*pos += nl ? n + 1 : n;
		(*line_no)++;
		if (*line_no == 1 && n >= 3 && memcmp(base, "\xef\xbb\xbf", 3) == 0) {
			base += 3;
			n -= 3;
		}
		if (n > 0 && base[n - 1] == '\r')
			n--;
		for (i = 0; i < n && (base[i] == ' ' || base[i] == '\t'); i++)
			;
		if (i == n)
			continue;
		*line = base;
		*line_len = n;
		return 1;
	}
	return 0;
}

static int
is_object(const uint8_t *line, size_t len)
{
	jv v = jv_parse_sized((const char *)line, (int)len);
	int object = jv_get_kind(v) == JV_KIND_OBJECT;

	jv_free(v);
	return object;
}

static void
check_lines(struct ndjson_reader *r, const uint8_t *data, size_t len)
{
	size_t pos = 0, got_len;
	long line_no = 0;
	const uint8_t *want;
	size_t want_len;
	char *got;
	int rc;

	while ((rc = ndjson_read_line(r, &got, &got_len)) == 1) {
		FUZZ_ASSERT(model_next(data, len, &pos, &line_no, &want,
				&want_len),
		    "line %ld returned after the end", r->line_no);
		FUZZ_ASSERT(r->line_no == line_no, "line number %ld, expected %ld",
		    r->line_no, line_no);
		FUZZ_ASSERT(got_len == want_len &&
			memcmp(got, want, want_len) == 0,
		    "line %ld differs (%zu bytes, expected %zu)", line_no,
		    got_len, want_len);
		FUZZ_ASSERT(got[got_len] == '\0', "line %ld not terminated",
		    line_no);
	}
	FUZZ_ASSERT(rc == 0, "read error %d", rc);
	FUZZ_ASSERT(!model_next(data, len, &pos, &line_no, &want, &want_len),
	    "line %ld was dropped", line_no);
}

static void
check_records(struct ndjson_reader *r, const uint8_t *data, size_t len)
{
	size_t pos = 0, want_len;
	long line_no = 0;
	const uint8_t *want;
	struct buf raw = BUF_INIT;
	int errors = 0;
	jv record;

	while (model_next(data, len, &pos, &line_no, &want, &want_len)) {
		fuzz_allow_jq_leak(want, want_len);
		if (!is_object(want, want_len)) {
			errors++;
			continue;
		}
		FUZZ_ASSERT(ndjson_next(r, &record, &raw) == 1,
		    "record on line %ld was dropped", line_no);
		FUZZ_ASSERT(jv_get_kind(record) == JV_KIND_OBJECT,
		    "line %ld: a record that is not an object", line_no);
		FUZZ_ASSERT(r->line_no == line_no,
		    "record from line %ld, expected line %ld", r->line_no,
		    line_no);
		FUZZ_ASSERT(raw.len == want_len &&
			memcmp(raw.data, want, want_len) == 0,
		    "raw bytes of line %ld changed", line_no);
		FUZZ_ASSERT(r->errors == errors, "%d errors counted, expected %d",
		    r->errors, errors);
		jv_free(record);
	}
	FUZZ_ASSERT(ndjson_next(r, &record, &raw) == 0,
	    "a record after the last one");
	FUZZ_ASSERT(r->errors == errors, "%d errors counted, expected %d",
	    r->errors, errors);
	buf_free(&raw);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = {data, size};
	struct writer w;
	struct ndjson_reader r;
	unsigned n_cuts = fuzz_byte(&in) % (MAX_CUTS + 1), i;
	size_t offsets[MAX_CUTS];
	int fds[2], records;
	pthread_t thread;

	for (i = 0; i < n_cuts; i++)
		offsets[i] = (size_t)(fuzz_byte(&in) << 8 | fuzz_byte(&in));
	records = fuzz_byte(&in) & 1;
	w.data = in.p;
	w.len = in.n;
	w.n_cuts = 0;
	w.cuts[w.n_cuts++] = 0;
	qsort(offsets, n_cuts, sizeof(offsets[0]), by_offset);
	for (i = 0; i < n_cuts; i++)
		if (offsets[i] > w.cuts[w.n_cuts - 1] && offsets[i] < w.len)
			w.cuts[w.n_cuts++] = offsets[i];
	w.cuts[w.n_cuts++] = w.len;

	FUZZ_ASSERT(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds) == 0,
	    "socketpair failed");
	w.fd = fds[1];
	FUZZ_ASSERT(pthread_create(&thread, NULL, write_pieces, &w) == 0,
	    "pthread_create failed");
	ndjson_reader_init(&r, fds[0], "fuzz");
	if (records)
		check_records(&r, w.data, w.len);
	else
		check_lines(&r, w.data, w.len);
	/* Both checks read to the end of the stream, so the writer is done. */
	pthread_join(thread, NULL);
	ndjson_reader_free(&r);
	close(fds[0]);
	fuzz_end_input();
	return 0;
}
