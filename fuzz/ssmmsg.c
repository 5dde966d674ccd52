/* Fuzz target: the Session Manager data channel message decoder
 * (ssmmsg.c) and the payload parsers the data channel calls on what an
 * agent sends.
 *
 * The first input byte picks a mode:
 *   0  decode the rest as a frame. A frame in the form every client
 *      writes (header length 116, space padding, matching length and
 *      digest) must re-encode byte for byte.
 *   1  encode a message from fields read from the input; decoding it
 *      must give back every field.
 *   2  acknowledgement, UUID and exit code payloads: what is accepted
 *      must survive formatting and parsing again. */
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "ssmmsg.h"

#define OFF_TYPE 4

static void
check_payload_parsers(const unsigned char *p, size_t n)
{
	int64_t seq;
	char *output, *session_id;
	int code;

	fuzz_allow_jq_leak(p, n);
	if (ssm_ack_parse(p, n, &seq) == 0)
		(void)seq;
	ssm_channel_closed_parse(p, n, &output, &session_id);
	FUZZ_ASSERT(output && session_id, "channel_closed fields missing");
	free(output);
	free(session_id);
	if (ssm_exit_code_parse(p, n, &code) == 0)
		(void)code;
}

static void
decode_frame(const unsigned char *frame, size_t len)
{
	struct ssm_msg m;
	const char *why = NULL;
	struct buf again = BUF_INIT;
	unsigned char padded[SSM_TYPE_SIZE];
	size_t tlen;

	if (ssm_msg_parse(frame, len, &m, &why) < 0) {
		FUZZ_ASSERT(why && *why, "a rejected frame without a reason");
		return;
	}
	tlen = strlen(m.type);
	FUZZ_ASSERT(tlen > 0 && tlen <= SSM_TYPE_SIZE, "type of %zu bytes",
	    tlen);
	FUZZ_ASSERT(m.type[0] != ' ' && m.type[tlen - 1] != ' ',
	    "type \"%s\" keeps its padding", m.type);
	FUZZ_ASSERT(m.payload >= frame && m.payload + m.payload_len ==
					      frame + len,
	    "payload outside the frame");
	FUZZ_ASSERT(m.header_length + 4 + m.payload_len == len,
	    "header length %u, payload %zu, frame %zu", m.header_length,
	    m.payload_len, len);
	ssm_msg_needs_digest(&m);
	check_payload_parsers(m.payload, m.payload_len);

	memset(padded, ' ', sizeof(padded));
	memcpy(padded, m.type, tlen);
	if (m.header_length != SSM_HEADER_LENGTH || m.schema_version != 1 ||
	    !ssm_msg_length_ok(&m) || !ssm_msg_digest_ok(&m) ||
	    memcmp(frame + OFF_TYPE, padded, SSM_TYPE_SIZE) != 0)
		return;
	ssm_msg_encode(&again, m.type, m.sequence_number, m.flags,
	    m.message_id, m.created_ms, m.payload_type, m.payload,
	    m.payload_len);
	FUZZ_ASSERT(again.len == len && memcmp(again.data, frame, len) == 0,
	    "a %s frame of %zu bytes re-encodes differently (%zu bytes)",
	    m.type, len, again.len);
	buf_free(&again);
}

/* The type as read back: at most SSM_TYPE_SIZE bytes, without blanks at
 * either end. */
static void
expected_type(const char *type, char out[SSM_TYPE_SIZE + 1])
{
	size_t n = strlen(type), start = 0;

	if (n > SSM_TYPE_SIZE)
		n = SSM_TYPE_SIZE;
	while (start < n && (type[start] == ' ' || type[start] == '\t'))
		start++;
	while (n > start && (type[n - 1] == ' ' || type[n - 1] == '\t'))
		n--;
	memcpy(out, type + start, n - start);
	out[n - start] = '\0';
}

static void
encode_fields(struct fuzz_input *in)
{
	char type[SSM_TYPE_SIZE + 8], want[SSM_TYPE_SIZE + 1];
	unsigned char id[16];
	const uint8_t *bytes;
	size_t tlen = fuzz_byte(in) % (sizeof(type) - 1), i;
	int64_t seq;
	uint64_t flags, created;
	uint32_t ptype;
	struct buf frame = BUF_INIT;
	struct ssm_msg m;
	const char *why = NULL;
	size_t n;

	n = fuzz_take(in, tlen, &bytes);
	memcpy(type, bytes, n);
	type[n] = '\0';
	seq = (int64_t)((uint64_t)fuzz_u32(in) << 32 | fuzz_u32(in));
	flags = (uint64_t)fuzz_u32(in) << 32 | fuzz_u32(in);
	created = (uint64_t)fuzz_u32(in) << 32 | fuzz_u32(in);
	for (i = 0; i < sizeof(id); i++)
		id[i] = (unsigned char)fuzz_byte(in);
	ptype = fuzz_u32(in);
	n = fuzz_take(in, in->n, &bytes);

	ssm_msg_encode(&frame, type, seq, flags, id, created, ptype, bytes, n);
	expected_type(type, want);
	if (ssm_msg_parse(frame.data, frame.len, &m, &why) < 0) {
		FUZZ_ASSERT(want[0] == '\0' || created == 0,
		    "encoded %s frame rejected: %s", want, why);
		goto out;
	}
	FUZZ_ASSERT(strcmp(m.type, want) == 0, "type \"%s\" read as \"%s\"",
	    want, m.type);
	FUZZ_ASSERT(m.sequence_number == seq, "sequence number changed");
	FUZZ_ASSERT(m.flags == flags, "flags changed");
	FUZZ_ASSERT(m.created_ms == created, "creation time changed");
	FUZZ_ASSERT(memcmp(m.message_id, id, 16) == 0, "message id changed");
	FUZZ_ASSERT(m.payload_type == ptype, "payload type changed");
	FUZZ_ASSERT(m.payload_len == n &&
		(n == 0 || memcmp(m.payload, bytes, n) == 0),
	    "payload changed");
	FUZZ_ASSERT(ssm_msg_length_ok(&m), "PayloadLength wrong");
	FUZZ_ASSERT(ssm_msg_digest_ok(&m), "digest wrong");
out:
	buf_free(&frame);
}

static void
check_small_payloads(struct fuzz_input *in)
{
	const uint8_t *bytes;
	size_t n = fuzz_take(in, in->n, &bytes);
	char *s = malloc(n + 1), text[37];
	unsigned char id[16], id2[16];
	struct buf ack = BUF_INIT;
	int64_t seq;
	int code;

	memcpy(s, bytes, n);
	s[n] = '\0';
	if (ssm_uuid_parse(s, id) == 0) {
		ssm_uuid_format(id, text);
		FUZZ_ASSERT(ssm_uuid_parse(text, id2) == 0 &&
			memcmp(id, id2, 16) == 0,
		    "UUID \"%s\" formats as \"%s\", which reads differently", s,
		    text);
		/* Sequence numbers above 2^53 do not survive a JSON double;
		 * real ones stay far below. */
		seq = (int64_t)(id[0] & 0x1f) << 48 | (int64_t)id[1] << 40 |
		    (int64_t)id[2] << 32 | (int64_t)id[3] << 24 |
		    (int64_t)id[4] << 16 | (int64_t)id[5] << 8 | id[6];
		if (id[7] & 1)
			seq = -seq;
		ssm_ack_json(&ack, SSM_OUTPUT, id, seq);
		FUZZ_ASSERT(ssm_ack_parse(ack.data, ack.len, &seq) == 0,
		    "our own acknowledgement is rejected: %s", ack.data);
		buf_free(&ack);
	}
	if (ssm_exit_code_parse(bytes, n, &code) == 0) {
		char again[32];
		int code2;
		int len = snprintf(again, sizeof(again), "EXIT_CODE: %d", code);

		FUZZ_ASSERT(ssm_exit_code_parse(again, (size_t)len, &code2) ==
				    0 &&
			code2 == code,
		    "exit code %d does not read back", code);
	}
	check_payload_parsers(bytes, n);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = {data, size};
	unsigned mode = fuzz_byte(&in) % 3;

	if (mode == 0)
		decode_frame(in.p, in.n);
	else if (mode == 1)
		encode_fields(&in);
	else
		check_small_payloads(&in);
	fuzz_end_input();
	return 0;
}
