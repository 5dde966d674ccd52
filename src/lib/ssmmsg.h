/* Session Manager data channel messages: the binary frame (a 120-byte
 * header, big-endian, then the payload), acknowledgements, the handshake
 * and channel_closed JSON payloads.
 *
 * A parsed ssm_msg borrows the frame it was parsed from: its payload
 * points into that frame and lives as long as the frame does. Encoders
 * append to a caller-owned buf. */
#ifndef ECS_SSMMSG_H
#define ECS_SSMMSG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Header length written by every client and agent: it counts itself and
 * everything up to PayloadType, but not PayloadLength. */
#define SSM_HEADER_LENGTH 116
/* The service sends channel_closed with no PayloadType field. */
#define SSM_HEADER_LENGTH_SHORT 112
#define SSM_TYPE_SIZE 32
/* Stream payloads are cut to at most this many bytes by both ends. */
#define SSM_CHUNK 1024

#define SSM_FLAG_SYN 1
#define SSM_FLAG_FIN 2

#define SSM_INPUT "input_stream_data"
#define SSM_OUTPUT "output_stream_data"
#define SSM_ACK "acknowledge"
#define SSM_CHANNEL_CLOSED "channel_closed"
#define SSM_START_PUBLICATION "start_publication"
#define SSM_PAUSE_PUBLICATION "pause_publication"

enum ssm_payload_type {
	SSM_PAYLOAD_NONE = 0,
	SSM_PAYLOAD_OUTPUT = 1,
	SSM_PAYLOAD_ERROR = 2,
	SSM_PAYLOAD_SIZE = 3,
	SSM_PAYLOAD_PARAMETER = 4,
	SSM_PAYLOAD_HANDSHAKE_REQUEST = 5,
	SSM_PAYLOAD_HANDSHAKE_RESPONSE = 6,
	SSM_PAYLOAD_HANDSHAKE_COMPLETE = 7,
	SSM_PAYLOAD_ENC_CHALLENGE_REQUEST = 8,
	SSM_PAYLOAD_ENC_CHALLENGE_RESPONSE = 9,
	SSM_PAYLOAD_FLAG = 10,
	SSM_PAYLOAD_STDERR = 11,
	SSM_PAYLOAD_EXIT_CODE = 12,
};

/* Values of a Flag payload (a big-endian uint32). */
enum ssm_flag {
	SSM_FLAG_DISCONNECT_TO_PORT = 1,
	SSM_FLAG_TERMINATE_SESSION = 2,
	SSM_FLAG_CONNECT_TO_PORT_ERROR = 3,
};

struct ssm_msg {
	uint32_t header_length;
	char type[SSM_TYPE_SIZE + 1];	/* NUL and space padding removed */
	uint32_t schema_version;
	uint64_t created_ms;
	int64_t sequence_number;
	uint64_t flags;
	unsigned char message_id[16];	/* RFC 4122 order (unswapped) */
	unsigned char digest[32];
	uint32_t payload_type;		/* 0 when the header has no field */
	uint32_t payload_length;	/* the field; may disagree with len */
	const unsigned char *payload;	/* borrowed from the frame */
	size_t payload_len;		/* bytes from HL + 4 to the end */
};

/* Parses one frame. The payload is everything after the PayloadLength
 * field, whatever that field contains, as the reference client reads it.
 * Returns 0, or -1 with a reason in *why (a static string). */
int ssm_msg_parse(const void *frame, size_t len, struct ssm_msg *m,
    const char **why);
/* Whether the digest must match: stream data, acknowledgements and
 * channel_closed with a payload. The publication messages carry a wrong
 * length and digest, so they are never checked. */
int ssm_msg_needs_digest(const struct ssm_msg *m);
int ssm_msg_digest_ok(const struct ssm_msg *m);
/* Whether the PayloadLength field matches the payload (only logged). */
int ssm_msg_length_ok(const struct ssm_msg *m);

/* Appends one frame with header length 116 and space padding. id is in
 * RFC 4122 order; it is written with its two halves swapped. */
void ssm_msg_encode(struct buf *out, const char *type, int64_t seq,
    uint64_t flags, const unsigned char id[16], uint64_t created_ms,
    uint32_t payload_type, const void *payload, size_t len);

/* UUIDs in text (lower case, hyphenated) and RFC 4122 bytes. */
void ssm_uuid_format(const unsigned char id[16], char out[37]);
int ssm_uuid_parse(const char *s, unsigned char id[16]);
void ssm_uuid_random(unsigned char id[16]);

/* Appends the JSON payload of an acknowledgement. */
void ssm_ack_json(struct buf *out, const char *type,
    const unsigned char id[16], int64_t seq);
/* Reads AcknowledgedMessageSequenceNumber. Returns 0 or -1. */
int ssm_ack_parse(const void *payload, size_t len, int64_t *seq);

/* Appends the first text frame of a connection. */
void ssm_open_json(struct buf *out, const char *token,
    const char *client_id, const char *client_version);

/* Reads Output and SessionId of a channel_closed payload; both are
 * returned allocated (empty strings when missing). Returns 0 or -1. */
int ssm_channel_closed_parse(const void *payload, size_t len,
    char **output, char **session_id);

/* A Size payload: {"cols":C,"rows":R}. */
void ssm_size_json(struct buf *out, unsigned cols, unsigned rows);

/* One entry of ProcessedClientActions in a HandshakeResponse. */
struct ssm_action_result {
	const char *action_type;	/* copied from the request */
	int status;			/* 1 success, 2 failed, 3 unsupported */
	const char *result_json;	/* ActionResult as JSON, or NULL */
	const char *error;		/* "" on success */
};

#define SSM_ACTION_SUCCESS 1
#define SSM_ACTION_FAILED 2
#define SSM_ACTION_UNSUPPORTED 3

/* Appends a HandshakeResponse payload. */
void ssm_handshake_response_json(struct buf *out, const char *client_version,
    const struct ssm_action_result *actions, size_t n);

/* Reads "EXIT_CODE: <n>". Returns 0 or -1. */
int ssm_exit_code_parse(const void *payload, size_t len, int *code);

#endif
