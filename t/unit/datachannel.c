/* Unit tests for the data channel's reliability layer, fed frames
 * directly: ordering, acknowledgements, duplicates, bad digests,
 * retransmission, publication pauses, the handshake and channel_closed. */
#include <stdlib.h>
#include <string.h>

#include "datachannel.h"
#include "json.h"
#include "ssmmsg.h"
#include "tap.h"
#include "util.h"

#define MAX_SENT 64

struct sent {
	struct buf frame[MAX_SENT];
	int text[MAX_SENT];
	int n;
};

struct seen {
	struct buf output;
	int ready;
	int ended;
	enum dc_end how;
	char *message;
	int exit_code;
};

static void
capture(void *data, const void *frame, size_t len, int text)
{
	struct sent *s = data;

	if (s->n >= MAX_SENT)
		return;
	buf_init(&s->frame[s->n]);
	buf_add(&s->frame[s->n], frame, len);
	s->text[s->n++] = text;
}

static void
sent_reset(struct sent *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		buf_free(&s->frame[i]);
	s->n = 0;
}

static void
on_ready(struct dc_session *dc, void *data)
{
	(void)dc;
	((struct seen *)data)->ready++;
}

static void
on_output(struct dc_session *dc, void *data, const unsigned char *p,
    size_t n)
{
	(void)dc;
	buf_add(&((struct seen *)data)->output, p, n);
}

static void
on_end(struct dc_session *dc, void *data, enum dc_end how, const char *msg)
{
	struct seen *s = data;

	(void)dc;
	s->ended++;
	s->how = how;
	free(s->message);
	s->message = xstrdup(msg);
}

static void
on_exit_code(struct dc_session *dc, void *data, int code)
{
	(void)dc;
	((struct seen *)data)->exit_code = code;
}

static const struct dc_callbacks callbacks = {
    .ready = on_ready,
    .output = on_output,
    .exit_code = on_exit_code,
    .end = on_end,
};

static void
frame_of(struct buf *out, const char *type, int64_t seq, uint32_t ptype,
    const char *payload)
{
	unsigned char id[16];

	ssm_uuid_random(id);
	buf_reset(out);
	ssm_msg_encode(out, type, seq, 0, id, 1700000000000ULL, ptype,
	    payload, strlen(payload));
}

static void
feed(struct dc_session *dc, const char *type, int64_t seq, uint32_t ptype,
    const char *payload)
{
	struct buf f = BUF_INIT;

	frame_of(&f, type, seq, ptype, payload);
	dc_receive_frame(dc, f.data, f.len);
	buf_free(&f);
}

/* The acknowledged sequence number in sent frame i, or -1. */
static long long
acked_seq(struct sent *s, int i)
{
	struct ssm_msg m;
	const char *why;
	int64_t seq;

	if (i >= s->n || ssm_msg_parse(s->frame[i].data, s->frame[i].len, &m,
			     &why) < 0 ||
	    strcmp(m.type, SSM_ACK) != 0 ||
	    ssm_ack_parse(m.payload, m.payload_len, &seq) < 0)
		return -1;
	return seq;
}

static int
parse_sent(struct sent *s, int i, struct ssm_msg *m)
{
	const char *why;

	return i < s->n ? ssm_msg_parse(s->frame[i].data, s->frame[i].len, m,
			      &why)
			: -1;
}

static struct dc_session *
new_session(struct evloop *loop, struct sent *sent, struct seen *seen)
{
	struct dc_config c;

	memset(&c, 0, sizeof(c));
	c.session_id = "s1";
	c.stream_url = "ws://127.0.0.1:1/v1/data-channel/s1";
	c.token = "token-1";
	c.session_type = "InteractiveCommands";
	return dc_new_detached(loop, &c, &callbacks, seen, capture, sent);
}

static void
test_receive(struct evloop *loop)
{
	struct sent sent = {0};
	struct seen seen = {BUF_INIT, 0, 0, 0, NULL, -1};
	struct dc_session *dc = new_session(loop, &sent, &seen);
	struct buf f = BUF_INIT;
	jv open;

	ok(sent.n == 1 && sent.text[0], "first frame is text");
	open = json_parse(sent.frame[0].data, sent.frame[0].len);
	is_str(json_str(open, "TokenValue"), "token-1", "token in first frame");
	is_str(json_str(open, "MessageSchemaVersion"), "1.0",
	    "schema version in first frame");
	ok(json_str(open, "ClientId") && json_str(open, "RequestId"),
	    "client and request ids in first frame");
	jv_free(open);
	sent_reset(&sent);

	feed(dc, SSM_START_PUBLICATION, 0, 0, "");
	is_int(sent.n, 0, "start_publication is not acknowledged");

	feed(dc, SSM_OUTPUT, 0, SSM_PAYLOAD_OUTPUT, "a");
	is_int(acked_seq(&sent, 0), 0, "output 0 acknowledged");
	is_int(seen.ready, 1, "first output makes the session ready");
	feed(dc, SSM_OUTPUT, 2, SSM_PAYLOAD_OUTPUT, "c");
	is_int(acked_seq(&sent, 1), 2, "early output 2 acknowledged at once");
	is_str(seen.output.data, "a", "early output held back");
	feed(dc, SSM_OUTPUT, 1, SSM_PAYLOAD_OUTPUT, "b");
	is_int(acked_seq(&sent, 2), 1, "output 1 acknowledged");
	is_str(seen.output.data, "abc", "held output delivered in order");
	feed(dc, SSM_OUTPUT, 1, SSM_PAYLOAD_OUTPUT, "b");
	is_int(acked_seq(&sent, 3), 1, "duplicate acknowledged again");
	is_str(seen.output.data, "abc", "duplicate not delivered");

	frame_of(&f, SSM_OUTPUT, 3, SSM_PAYLOAD_OUTPUT, "d");
	f.data[f.len - 1] = 'x';
	dc_receive_frame(dc, f.data, f.len);
	is_int(sent.n, 4, "output with a bad digest not acknowledged");
	is_str(seen.output.data, "abc", "output with a bad digest dropped");
	feed(dc, SSM_OUTPUT, 3, SSM_PAYLOAD_OUTPUT, "d");
	is_str(seen.output.data, "abcd", "resent output delivered");

	feed(dc, "agent_session_state", 0, 0, "{}");
	is_int(sent.n, 5, "unknown message type ignored");

	feed(dc, SSM_OUTPUT, 4, SSM_PAYLOAD_EXIT_CODE, "EXIT_CODE: 3");
	is_int(seen.exit_code, 3, "ExitCode payload reported");
	is_str(seen.output.data, "abcd", "ExitCode is not output");

	feed(dc, SSM_CHANNEL_CLOSED, 0, 0,
	    "{\"SessionId\":\"s1\",\"Output\":\"bye now\"}");
	is_int(seen.ended, 1, "channel_closed ends the session");
	is_int(seen.how, DC_END_CLOSED, "ended by channel_closed");
	is_str(seen.message, "bye now", "channel_closed Output passed on");

	buf_free(&f);
	sent_reset(&sent);
	dc_free(dc);
	buf_free(&seen.output);
	free(seen.message);
}

static void
test_send(struct evloop *loop)
{
	struct sent sent = {0};
	struct seen seen = {BUF_INIT, 0, 0, 0, NULL, -1};
	struct dc_session *dc = new_session(loop, &sent, &seen);
	char big[2500];
	struct ssm_msg m;
	struct buf ack = BUF_INIT, first = BUF_INIT;
	unsigned char id[16];
	int64_t rto_before;

	sent_reset(&sent);
	memset(big, 'x', sizeof(big));
	dc_send(dc, SSM_PAYLOAD_OUTPUT, big, sizeof(big));
	is_int(sent.n, 3, "2500 bytes go out as three messages");
	ok(parse_sent(&sent, 0, &m) == 0 && m.sequence_number == 0 &&
	       m.payload_len == 1024 && strcmp(m.type, SSM_INPUT) == 0,
	    "first message: sequence 0, 1024 bytes");
	buf_add(&first, sent.frame[0].data, sent.frame[0].len);
	ok(parse_sent(&sent, 2, &m) == 0 && m.sequence_number == 2 &&
	       m.payload_len == 452,
	    "last message: sequence 2, 452 bytes");
	ok(!dc_all_acked(dc), "messages wait for acknowledgements");

	rto_before = dc_rto(dc);
	ssm_uuid_random(id);
	ssm_ack_json(&ack, SSM_INPUT, id, 1);
	feed(dc, SSM_ACK, 0, 0, ack.data);
	ok(dc_rto(dc) != rto_before || dc_rto(dc) >= 10,
	    "acknowledgement feeds the round-trip estimate");
	sent_reset(&sent);

	dc_retransmit_check(dc, monotonic_ms() + 100000);
	is_int(sent.n, 1, "oldest unacknowledged message resent");
	ok(sent.n == 1 && sent.frame[0].len == first.len &&
	       memcmp(sent.frame[0].data, first.data, first.len) == 0,
	    "resent bytes are identical");
	sent_reset(&sent);
	dc_retransmit_check(dc, monotonic_ms());
	is_int(sent.n, 0, "resend updates the send time");

	sent_reset(&sent);
	feed(dc, SSM_PAUSE_PUBLICATION, 0, 0, "");
	dc_retransmit_check(dc, monotonic_ms() + 200000);
	is_int(sent.n, 0, "nothing resent while publication is paused");
	feed(dc, SSM_START_PUBLICATION, 0, 0, "");
	dc_retransmit_check(dc, monotonic_ms() + 300000);
	is_int(sent.n, 1, "resending resumes after start_publication");

	buf_reset(&ack);
	ssm_ack_json(&ack, SSM_INPUT, id, 0);
	feed(dc, SSM_ACK, 0, 0, ack.data);
	buf_reset(&ack);
	ssm_ack_json(&ack, SSM_INPUT, id, 2);
	feed(dc, SSM_ACK, 0, 0, ack.data);
	ok(dc_all_acked(dc), "all messages acknowledged");

	sent_reset(&sent);
	dc_send_size(dc, 120, 40);
	ok(parse_sent(&sent, 0, &m) == 0 && m.sequence_number == 3 &&
	       m.payload_type == SSM_PAYLOAD_SIZE &&
	       m.payload_len == 22 &&
	       memcmp(m.payload, "{\"cols\":120,\"rows\":40}", 22) == 0,
	    "Size message continues the sequence");

	buf_free(&ack);
	buf_free(&first);
	sent_reset(&sent);
	dc_free(dc);
	buf_free(&seen.output);
	free(seen.message);
}

static void
test_handshake(struct evloop *loop)
{
	struct sent sent = {0};
	struct seen seen = {BUF_INIT, 0, 0, 0, NULL, -1};
	struct dc_session *dc = new_session(loop, &sent, &seen);
	struct ssm_msg m;
	jv resp;

	sent_reset(&sent);
	feed(dc, SSM_OUTPUT, 0, SSM_PAYLOAD_HANDSHAKE_REQUEST,
	    "{\"AgentVersion\":\"3.3.0.0\",\"RequestedClientActions\":["
	    "{\"ActionType\":\"SessionType\",\"ActionParameters\":"
	    "{\"SessionType\":\"InteractiveCommands\",\"Properties\":null}},"
	    "{\"ActionType\":\"Teleport\",\"ActionParameters\":{}}]}");
	is_int(acked_seq(&sent, 0), 0, "HandshakeRequest acknowledged first");
	ok(parse_sent(&sent, 1, &m) == 0 &&
	       m.payload_type == SSM_PAYLOAD_HANDSHAKE_RESPONSE &&
	       m.sequence_number == 0,
	    "HandshakeResponse is input 0");
	resp = json_parse((const char *)m.payload, m.payload_len);
	is_str(json_str(resp, "ClientVersion"), DC_CLIENT_VERSION,
	    "response names the client version");
	{
		jv a0 = json_path(resp, "ProcessedClientActions", NULL);
		jv first = jv_array_get(jv_copy(a0), 0);
		jv second = jv_array_get(jv_copy(a0), 1);

		is_int((long long)json_num(first, "ActionStatus", 0), 1,
		    "session type accepted");
		is_int((long long)json_num(second, "ActionStatus", 0), 3,
		    "unknown action unsupported");
		jv_free(first);
		jv_free(second);
		jv_free(a0);
	}
	jv_free(resp);
	is_int(seen.ready, 0, "not ready during the handshake");
	feed(dc, SSM_OUTPUT, 1, SSM_PAYLOAD_HANDSHAKE_COMPLETE,
	    "{\"HandshakeTimeToComplete\":1000,\"CustomerMessage\":\"\"}");
	is_int(seen.ready, 1, "HandshakeComplete makes the session ready");
	sent_reset(&sent);
	dc_free(dc);

	dc = new_session(loop, &sent, &seen);
	feed(dc, SSM_OUTPUT, 0, SSM_PAYLOAD_HANDSHAKE_REQUEST,
	    "{\"RequestedClientActions\":[{\"ActionType\":\"KMSEncryption\","
	    "\"ActionParameters\":{\"KMSKeyId\":\"arn:aws:kms:k\"}}]}");
	is_int(seen.how, DC_END_FAILED, "KMS request ends the session");
	ok(seen.message && strstr(seen.message, "KMS") != NULL,
	    "the reason names KMS");
	sent_reset(&sent);
	dc_free(dc);

	/* Malformed requests: libjq aborts on a member lookup in anything
	 * but an object, so each shape must be checked first. */
	{
		static const char *const bad[] = {"[1,2]", "\"text\"", "not json",
		    "{\"RequestedClientActions\":[\"SessionType\",7,null]}",
		    "{\"RequestedClientActions\":[{\"ActionType\":"
		    "\"SessionType\",\"ActionParameters\":[]}]}"};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			dc = new_session(loop, &sent, &seen);
			sent_reset(&sent);
			feed(dc, SSM_OUTPUT, 0, SSM_PAYLOAD_HANDSHAKE_REQUEST,
			    bad[i]);
			ok(parse_sent(&sent, 1, &m) == 0 &&
			       m.payload_type ==
				   SSM_PAYLOAD_HANDSHAKE_RESPONSE,
			    "malformed HandshakeRequest %s is answered",
			    bad[i]);
			sent_reset(&sent);
			dc_free(dc);
		}
	}
	buf_free(&seen.output);
	free(seen.message);
}

int
main(void)
{
	struct evloop *loop = evloop_new(&dc_protocol, 0);

	test_receive(loop);
	test_send(loop);
	test_handshake(loop);
	evloop_free(loop);
	return done_testing();
}
