/* smux version 1 frames: parsing a byte stream and encoding. */
#include <string.h>

#include "smux.h"
#include "util.h"

void
smux_parser_init(struct smux_parser *p)
{
	buf_init(&p->pending);
}

void
smux_parser_free(struct smux_parser *p)
{
	buf_free(&p->pending);
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

int
smux_feed(struct smux_parser *p, const void *data, size_t n,
    smux_frame_fn fn, void *ctx, const char **why)
{
	size_t off = 0;
	int rc = 0;

	buf_add(&p->pending, data, n);
	while (p->pending.len - off >= SMUX_HEADER_SIZE) {
		const unsigned char *h = (const unsigned char *)p->pending.data +
					 off;
		struct smux_frame f;

		f.version = h[0];
		f.cmd = h[1];
		f.len = (size_t)h[2] | (size_t)h[3] << 8;
		f.stream_id = le32(h + 4);
		if (f.version != SMUX_VERSION) {
			*why = "an smux frame is not of version 1";
			rc = -1;
			break;
		}
		if (p->pending.len - off - SMUX_HEADER_SIZE < f.len)
			break;
		f.data = h + SMUX_HEADER_SIZE;
		fn(ctx, &f);
		off += SMUX_HEADER_SIZE + f.len;
	}
	buf_consume(&p->pending, off);
	return rc;
}

void
smux_encode(struct buf *out, enum smux_cmd cmd, uint32_t stream_id,
    const void *data, size_t n)
{
	unsigned char h[SMUX_HEADER_SIZE];

	if (n > SMUX_MAX_DATA)
		die("internal error: smux frame of %zu bytes", n);
	h[0] = SMUX_VERSION;
	h[1] = (unsigned char)cmd;
	h[2] = (unsigned char)(n & 0xff);
	h[3] = (unsigned char)(n >> 8);
	h[4] = (unsigned char)(stream_id & 0xff);
	h[5] = (unsigned char)(stream_id >> 8 & 0xff);
	h[6] = (unsigned char)(stream_id >> 16 & 0xff);
	h[7] = (unsigned char)(stream_id >> 24);
	buf_add(out, h, sizeof(h));
	if (n)
		buf_add(out, data, n);
}
