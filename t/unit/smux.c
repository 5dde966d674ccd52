/* Unit tests for smux version 1 framing: the header layout, frames cut
 * at every byte boundary, and a frame of another version. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "smux.h"
#include "tap.h"
#include "util.h"

struct seen {
	int frames;
	int cmd[8];
	unsigned id[8];
	struct buf data[8];
};

static void
collect(void *ctx, const struct smux_frame *f)
{
	struct seen *s = ctx;

	if (s->frames < 8) {
		s->cmd[s->frames] = f->cmd;
		s->id[s->frames] = f->stream_id;
		buf_add(&s->data[s->frames], f->data, f->len);
	}
	s->frames++;
}

static void
seen_free(struct seen *s)
{
	int i;

	for (i = 0; i < 8; i++)
		buf_free(&s->data[i]);
}

static void
test_encode(void)
{
	struct buf b = BUF_INIT;
	char hex[64];

	smux_encode(&b, SMUX_PSH, 0x01020304, "hi", 2);
	hex_encode((const unsigned char *)b.data, b.len, hex);
	/* version 1, PSH, length 2 little-endian, stream id little-endian */
	is_str(hex, "01020200040302016869", "PSH frame bytes");
	buf_reset(&b);
	smux_encode(&b, SMUX_SYN, 3, NULL, 0);
	hex_encode((const unsigned char *)b.data, b.len, hex);
	is_str(hex, "0100000003000000", "SYN frame bytes");
	buf_free(&b);
}

/* Three frames fed in pieces of every size from 1 to the whole. */
static void
test_split(void)
{
	struct buf stream = BUF_INIT;
	size_t piece;
	int good = 1;

	smux_encode(&stream, SMUX_SYN, 3, NULL, 0);
	smux_encode(&stream, SMUX_PSH, 3, "hello, port", 11);
	smux_encode(&stream, SMUX_FIN, 3, NULL, 0);
	for (piece = 1; piece <= stream.len; piece++) {
		struct smux_parser p;
		struct seen s;
		const char *why = NULL;
		size_t off;

		memset(&s, 0, sizeof(s));
		smux_parser_init(&p);
		for (off = 0; off < stream.len; off += piece) {
			size_t n = stream.len - off < piece ? stream.len - off
							    : piece;

			if (smux_feed(&p, stream.data + off, n, collect, &s,
				&why) < 0)
				good = 0;
		}
		if (s.frames != 3 || s.cmd[0] != SMUX_SYN ||
		    s.cmd[1] != SMUX_PSH || s.cmd[2] != SMUX_FIN ||
		    s.id[1] != 3 || s.data[1].len != 11 ||
		    memcmp(s.data[1].data, "hello, port", 11) != 0 ||
		    p.pending.len != 0) {
			diag("pieces of %zu bytes: %d frames", piece,
			    s.frames);
			good = 0;
		}
		smux_parser_free(&p);
		seen_free(&s);
	}
	ok(good, "frames parse whatever the cut");
	buf_free(&stream);
}

static void
test_bad_version(void)
{
	struct smux_parser p;
	struct seen s;
	const char *why = NULL;
	static const unsigned char v2[] = {2, 2, 0, 0, 3, 0, 0, 0};

	memset(&s, 0, sizeof(s));
	smux_parser_init(&p);
	is_int(smux_feed(&p, v2, sizeof(v2), collect, &s, &why), -1,
	    "version 2 frame fails");
	ok(why && strstr(why, "version 1"), "the reason names version 1");
	is_int(s.frames, 0, "no frame is delivered");
	smux_parser_free(&p);
	seen_free(&s);
}

int
main(void)
{
	test_encode();
	test_split();
	test_bad_version();
	return done_testing();
}
