/* Fuzz target: the data channel's receiving side (datachannel.c): in
 * order delivery, the out-of-order buffer, acknowledgements and the
 * messages that steer a session (handshake, acknowledgements of what the
 * client sent, publication pauses, channel_closed).
 *
 * The first input byte picks a mode.
 *
 * Even: reassembly. Each pair of bytes makes an output_stream_data
 * message whose sequence number is near the expected one, a repeat of an
 * old one, far ahead or anywhere, with a payload derived from that number.
 * Invariants:
 * - the output callback has received the payloads of sequence numbers
 *   0 to N-1 in order, each once. A model of in-order delivery and of
 *   the OOO_CAPACITY window gives N;
 * - each message inside the window is acknowledged once, with its own
 *   sequence number, and no message past it is acknowledged.
 *
 * Odd: messages. The client first queues some input. Then each message
 * is built from the input (type, sequence number, payload type, payload)
 * with a correct digest, so that it passes the first checks. Invariants:
 * the end callback runs at most once, nothing is delivered after it, and
 * no more output arrives than was sent. */
#include <stdio.h>
#include <string.h>

#include "datachannel-int.h"
#include "evloop.h"
#include "fuzz.h"
#include "ssmmsg.h"

static struct evloop *loop;

struct seen {
	struct buf output;
	int ends;
	int output_after_end;
	int acks;		/* acknowledgements sent */
	int64_t last_ack;	/* their sequence number */
};

static void
capture(void *data, const void *frame, size_t len, int text)
{
	struct seen *seen = data;
	struct ssm_msg m;
	const char *why;
	int64_t seq;

	if (text || ssm_msg_parse(frame, len, &m, &why) < 0 ||
	    strcmp(m.type, SSM_ACK) != 0)
		return;
	FUZZ_ASSERT(ssm_ack_parse(m.payload, m.payload_len, &seq) == 0,
	    "our acknowledgement does not parse");
	seen->acks++;
	seen->last_ack = seq;
}

static void
on_output(struct dc_session *s, void *data, const unsigned char *p,
    size_t n)
{
	struct seen *seen = data;

	(void)s;
	if (seen->ends)
		seen->output_after_end = 1;
	buf_add(&seen->output, p, n);
}

static void
on_end(struct dc_session *s, void *data, enum dc_end how, const char *msg)
{
	(void)s;
	(void)how;
	FUZZ_ASSERT(msg != NULL, "end without a message");
	((struct seen *)data)->ends++;
}

static const struct dc_callbacks callbacks = {
    .output = on_output,
    .end = on_end,
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	loop = evloop_new(&dc_protocol, 0);
	return 0;
}

static struct dc_session *
new_session(struct seen *seen)
{
	struct dc_config c;

	memset(&c, 0, sizeof(c));
	c.session_id = "fuzz-session";
	c.stream_url = "ws://127.0.0.1:1/v1/data-channel/fuzz-session";
	c.token = "fuzz-token";
	c.session_type = "InteractiveCommands";
	return dc_new_detached(loop, &c, &callbacks, seen, capture, seen);
}

static void
feed(struct dc_session *s, const char *type, int64_t seq, uint32_t ptype,
    const void *payload, size_t len)
{
	static const unsigned char id[16] = {1, 2, 3, 4, 5, 6, 0x47, 8, 0x89,
	    10, 11, 12, 13, 14, 15, 16};
	struct buf frame = BUF_INIT;

	ssm_msg_encode(&frame, type, seq, 0, id, UINT64_C(1700000000000), ptype,
	    payload, len);
	dc_receive_frame(s, frame.data, frame.len);
	buf_free(&frame);
}

static int
payload_of(int64_t seq, char out[32])
{
	return snprintf(out, 32, "<%lld>", (long long)seq);
}

/* Sequence numbers up to this are tracked by the model. */
#define MODEL_MAX (4 * OOO_CAPACITY)

static void
reassembly(struct fuzz_input *in)
{
	struct seen seen = {BUF_INIT, 0, 0, 0, -1};
	struct dc_session *s = new_session(&seen);
	unsigned char *stored = calloc(MODEL_MAX, 1);
	struct buf want = BUF_INIT;
	int64_t expected = 0;
	char text[32];
	int acks = 0;

	while (in->n >= 2) {
		unsigned a = fuzz_byte(in), b = fuzz_byte(in);
		int64_t seq;
		int n;

		switch (b >> 6) {
		case 0:		/* just ahead or the expected one */
			seq = expected + a % 16;
			break;
		case 1:		/* a repeat */
			seq = expected - 1 - a % 8;
			break;
		case 2:		/* far ahead, maybe past the window */
			seq = expected + (int64_t)a * 64;
			break;
		default:
			seq = (int64_t)a | (int64_t)(b & 0x3f) << 8;
		}
		if (seq < 0)
			seq = 0;
		if (seq >= MODEL_MAX)
			continue;
		n = payload_of(seq, text);
		feed(s, SSM_OUTPUT, seq, SSM_PAYLOAD_OUTPUT, text, (size_t)n);

		/* The model: deliver in order, keep what fits the window. */
		if (seq - expected < OOO_CAPACITY) {
			acks++;
			FUZZ_ASSERT(seen.acks == acks && seen.last_ack == seq,
			    "message %lld: %d acknowledgements (expected %d), "
			    "last for %lld",
			    (long long)seq, seen.acks, acks,
			    (long long)seen.last_ack);
		} else {
			FUZZ_ASSERT(seen.acks == acks,
			    "message %lld past the window was acknowledged",
			    (long long)seq);
		}
		if (seq > expected && seq - expected < OOO_CAPACITY)
			stored[seq] = 1;
		if (seq == expected) {
			do {
				stored[expected] = 0;
				n = payload_of(expected, text);
				buf_add(&want, text, (size_t)n);
				expected++;
			} while (expected < MODEL_MAX && stored[expected]);
		}
		FUZZ_ASSERT(seen.output.len == want.len,
		    "after message %lld: %zu bytes delivered, expected %zu "
		    "(through sequence number %lld)",
		    (long long)seq, seen.output.len, want.len,
		    (long long)expected - 1);
	}
	FUZZ_ASSERT(seen.output.len == want.len &&
		(want.len == 0 ||
		    memcmp(seen.output.data, want.data, want.len) == 0),
	    "delivered bytes differ from sequence numbers 0 to %lld in order",
	    (long long)expected - 1);
	FUZZ_ASSERT(seen.ends == 0, "the session ended");
	dc_free(s);
	buf_free(&seen.output);
	buf_free(&want);
	free(stored);
}

static const char *const types[] = {SSM_OUTPUT, SSM_ACK, SSM_CHANNEL_CLOSED,
    SSM_START_PUBLICATION, SSM_PAUSE_PUBLICATION, SSM_INPUT, "unknown"};

static void
messages(struct fuzz_input *in)
{
	struct seen seen = {BUF_INIT, 0, 0, 0, -1};
	struct dc_session *s = new_session(&seen);
	size_t sent_output = 0, queued = fuzz_byte(in) * 40;
	char *input = malloc(queued + 1);

	memset(input, 'i', queued + 1);
	dc_send(s, SSM_PAYLOAD_OUTPUT, input, queued);
	free(input);
	while (in->n >= 4) {
		const char *type = types[fuzz_byte(in) % 7];
		int64_t seq = (int64_t)fuzz_byte(in) - 8;
		uint32_t ptype = fuzz_byte(in) % 14;
		const uint8_t *payload;
		size_t n = fuzz_take(in, fuzz_byte(in), &payload);

		if (strcmp(type, SSM_OUTPUT) == 0 &&
		    (ptype == SSM_PAYLOAD_OUTPUT || ptype == SSM_PAYLOAD_STDERR))
			sent_output += n;
		fuzz_allow_jq_leak(payload, n);
		feed(s, type, seq, ptype, payload, n);
		dc_can_send(s);
		dc_all_acked(s);
		FUZZ_ASSERT(seen.ends <= 1, "end called %d times", seen.ends);
		FUZZ_ASSERT(!seen.output_after_end, "output after the end");
		FUZZ_ASSERT(seen.output.len <= sent_output,
		    "%zu bytes delivered of %zu sent", seen.output.len,
		    sent_output);
	}
	dc_free(s);
	FUZZ_ASSERT(seen.ends <= 1, "end called %d times", seen.ends);
	buf_free(&seen.output);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = {data, size};

	if (fuzz_byte(&in) % 2 == 0)
		reassembly(&in);
	else
		messages(&in);
	fuzz_end_input();
	return 0;
}
