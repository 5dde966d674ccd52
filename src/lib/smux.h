/* smux version 1 framing, as Session Manager port forwarding carries it
 * inside Output payloads: an 8-byte header (version 1, command, data
 * length as little-endian uint16, stream id as little-endian uint32), then
 * the data. Frames may straddle message boundaries, so a parser collects
 * bytes until a frame is whole.
 *
 * A parser owns its buffer; frames handed to the callback borrow it and
 * are valid only during the call. */
#ifndef ECS_SMUX_H
#define ECS_SMUX_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SMUX_VERSION 1
#define SMUX_HEADER_SIZE 8
#define SMUX_MAX_DATA 65535

enum smux_cmd {
	SMUX_SYN = 0,	/* opens a stream */
	SMUX_FIN = 1,	/* closes it */
	SMUX_PSH = 2,	/* carries data */
	SMUX_NOP = 3,	/* keep-alive */
};

struct smux_frame {
	uint8_t version;
	uint8_t cmd;
	uint32_t stream_id;
	const unsigned char *data;
	size_t len;
};

struct smux_parser {
	struct buf pending;
};

typedef void (*smux_frame_fn)(void *ctx, const struct smux_frame *frame);

void smux_parser_init(struct smux_parser *p);
void smux_parser_free(struct smux_parser *p);
/* Appends n bytes and calls fn for every complete frame, in order. The
 * callback must not feed the same parser. Returns 0, or -1 with a reason
 * in *why (a static string) when a frame is not version 1; the parser is
 * then unusable. */
int smux_feed(struct smux_parser *p, const void *data, size_t n,
    smux_frame_fn fn, void *ctx, const char **why);
/* Appends one frame; n is at most SMUX_MAX_DATA. */
void smux_encode(struct buf *out, enum smux_cmd cmd, uint32_t stream_id,
    const void *data, size_t n);

#endif
