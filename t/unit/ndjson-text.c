/* Unit tests for the NDJSON reader and the terminal text helpers. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "tap.h"
#include "text.h"
#include "util.h"

/* Feeds text through a pipe so reads arrive in pieces like stdin. */
static int
reader_from(const char *text, size_t len)
{
	char path[] = "/tmp/ecs-ndjson-XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	unlink(path);
	if (write_all(fd, text, len) < 0)
		return -1;
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void
test_reader(void)
{
	static const char input[] =
	    "\xef\xbb\xbf{\"a\":1}\r\n\n   \n{\"a\":2}\n"
	    "not json\n[1]\n{\"a\":3}";
	struct ndjson_reader r;
	struct buf raw = BUF_INIT, big = BUF_INIT;
	jv rec;
	int fd = reader_from(input, sizeof(input) - 1), seen = 0;
	double sum = 0;

	ndjson_reader_init(&r, fd, "test");
	while (ndjson_next(&r, &rec, &raw)) {
		seen++;
		sum += json_num(rec, "a", 0);
		jv_free(rec);
	}
	is_int(seen, 3, "three records past BOM, CRLF, blanks and bad lines");
	ok(sum == 6, "records read in order");
	is_int(r.errors, 2, "two malformed lines counted");
	is_int(r.line_no, 7, "line numbers count every line");
	is_str(raw.data, "{\"a\":3}", "raw bytes of a last line without LF");
	ndjson_reader_free(&r);
	close(fd);

	/* One line of 3 MiB crosses many reads. */
	buf_adds(&big, "{\"s\":\"");
	while (big.len < 3 << 20)
		buf_adds(&big, "0123456789abcdef");
	buf_adds(&big, "\"}\n{\"s\":\"x\"}\n");
	fd = reader_from(big.data, big.len);
	ndjson_reader_init(&r, fd, "big");
	ok(ndjson_next(&r, &rec, NULL) == 1 &&
	       strlen(json_str(rec, "s")) > (3u << 20) - 16,
	    "a 3 MiB line is one record");
	jv_free(rec);
	ok(ndjson_next(&r, &rec, NULL) == 1 &&
	       strcmp(json_str(rec, "s"), "x") == 0,
	    "the record after a long line");
	jv_free(rec);
	ok(ndjson_next(&r, &rec, NULL) == 0, "end of input");
	ndjson_reader_free(&r);
	close(fd);
	buf_free(&raw);
	buf_free(&big);
}

static void
test_text(void)
{
	struct buf b = BUF_INIT;
	static const char hostile[] =
	    "a\033]52;c;SGVsbG8=\007b\033[2J\x9b\xc2\x9bz\ty";

	text_init();
	text_sanitize(hostile, sizeof(hostile) - 1, 0, &b);
	ok(strchr(b.data, '\033') == NULL && strchr(b.data, '\007') == NULL,
	    "no raw ESC or BEL after sanitizing");
	is_str(b.data, "a^[]52;c;SGVsbG8=^Gb^[[2J\\x9b\\u009bz y",
	    "escape sequences, C1 controls and tabs made visible");
	is_int((long long)text_width("\xe4\xb8\xad\xe6\x96\x87", 6), 4,
	    "CJK characters are two columns wide");
	is_int((long long)text_width("e\xcc\x81", 3), 1,
	    "combining mark takes no column");
	buf_reset(&b);
	text_fit("\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97", 9, 4, 0, &b);
	is_str(b.data, "\xe4\xb8\xad\xe2\x80\xa6",
	    "a wide character never straddles the cut");
	buf_reset(&b);
	text_fit("abc", 3, 6, 1, &b);
	is_str(b.data, "abc   ", "padding to the width");
	buf_free(&b);
}

int
main(void)
{
	test_reader();
	test_text();
	return done_testing();
}
