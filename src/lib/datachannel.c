/* The data channel session: reliability layer, handshake and session
 * lifecycle; the connection itself is in dcconn.c.
 *
 * Both directions number their stream messages from 0. Every stream
 * message received is acknowledged, duplicates included (a lost
 * acknowledgement otherwise makes the agent resend forever). Sent
 * messages stay queued until acknowledged and the oldest one is resent
 * after a timeout estimated like TCP's (SRTT 100 ms, RTO 200 ms at
 * first, 1 s at most), doubling per resend. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "datachannel-int.h"
#include "json.h"
#include "ssmcrypt.h"
#include "ssmmsg.h"
#include "util.h"

void
dc_debug(struct dc_session *s, const char *fmt, ...)
{
	va_list ap;
	struct buf b = BUF_INIT;

	if (!s->aws || !s->aws->debug)
		return;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	aws_debug(s->aws, "data channel %s: %s", s->label, b.data);
	buf_free(&b);
}

void
dc_finish(struct dc_session *s, enum dc_end how, const char *message)
{
	if (s->ended)
		return;
	s->ended = 1;
	evtimer_stop(&s->reconnect);
	evtimer_stop(&s->retransmit);
	evtimer_stop(&s->housekeeping);
	evtimer_stop(&s->pump);
	evtimer_stop(&s->ready_timer);
	if (s->wsi) {
		s->killing = 1;
		lws_set_opaque_user_data(s->wsi, NULL);
		lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
		s->wsi = NULL;
	}
	s->connected = 0;
	if (s->cb.end)
		s->cb.end(s, s->data, how, message ? message : "");
}

/* Frames. */

void
dc_frame_init(struct buf *b)
{
	buf_init(b);
	buf_grow(b, LWS_PRE);
	memset(b->data, 0, LWS_PRE);
	b->len = LWS_PRE;
}

void
dc_queue_ctl(struct dc_session *s, enum lws_write_protocol kind,
    const void *p, size_t n)
{
	struct ctl_frame *f = xcalloc(1, sizeof(*f));

	dc_frame_init(&f->data);
	buf_add(&f->data, p, n);
	f->kind = kind;
	if (s->ctl_tail)
		s->ctl_tail->next = f;
	else
		s->ctl_head = f;
	s->ctl_tail = f;
}

void
dc_drop_ctl(struct dc_session *s)
{
	while (s->ctl_head) {
		struct ctl_frame *f = s->ctl_head;

		s->ctl_head = f->next;
		buf_free(&f->data);
		free(f);
	}
	s->ctl_tail = NULL;
}

static void
send_ack(struct dc_session *s, const struct ssm_msg *m)
{
	struct buf payload = BUF_INIT, frame = BUF_INIT;
	unsigned char id[16];

	ssm_ack_json(&payload, m->type, m->message_id, m->sequence_number);
	ssm_uuid_random(id);
	ssm_msg_encode(&frame, SSM_ACK, 0, SSM_FLAG_SYN | SSM_FLAG_FIN, id,
	    (uint64_t)(now_seconds() * 1000), SSM_PAYLOAD_NONE, payload.data,
	    payload.len);
	dc_queue_ctl(s, LWS_WRITE_BINARY, frame.data, frame.len);
	buf_free(&payload);
	buf_free(&frame);
	dc_pump(s);
}

/* Sending stream messages. */

static struct out_msg *
out_at(struct dc_session *s, size_t i)
{
	return &s->out[s->out_start + i];
}

static struct out_msg *
out_append(struct dc_session *s)
{
	if (s->out_start + s->out_n == s->out_cap) {
		if (s->out_start > 0) {
			memmove(s->out, s->out + s->out_start,
			    s->out_n * sizeof(*s->out));
			s->out_start = 0;
		} else {
			s->out_cap = s->out_cap ? s->out_cap * 2 : 64;
			s->out = xrealloc(s->out,
			    s->out_cap * sizeof(*s->out));
		}
	}
	return &s->out[s->out_start + s->out_n++];
}

void
dc_send_message(struct dc_session *s, uint32_t payload_type, const void *p,
    size_t n)
{
	struct out_msg *m;
	unsigned char id[16];

	if (s->ended)
		return;
	if (payload_type == SSM_PAYLOAD_OUTPUT && s->key.set) {
		struct buf sealed = BUF_INIT;

		ssm_seal(&s->key, p, n, &sealed);
		m = out_append(s);
		memset(m, 0, sizeof(*m));
		m->seq = s->next_seq++;
		dc_frame_init(&m->frame);
		ssm_uuid_random(id);
		ssm_msg_encode(&m->frame, SSM_INPUT, m->seq, 0, id,
		    (uint64_t)(now_seconds() * 1000), payload_type,
		    sealed.data, sealed.len);
		buf_free(&sealed);
		dc_pump(s);
		return;
	}
	m = out_append(s);
	memset(m, 0, sizeof(*m));
	m->seq = s->next_seq++;
	dc_frame_init(&m->frame);
	ssm_uuid_random(id);
	ssm_msg_encode(&m->frame, SSM_INPUT, m->seq, 0, id,
	    (uint64_t)(now_seconds() * 1000), payload_type, p, n);
	dc_pump(s);
}

void
dc_send(struct dc_session *s, uint32_t payload_type, const void *p,
    size_t n)
{
	const unsigned char *q = p;

	while (n > 0) {
		size_t chunk = n < SSM_CHUNK ? n : SSM_CHUNK;

		dc_send_message(s, payload_type, q, chunk);
		q += chunk;
		n -= chunk;
	}
}

void
dc_send_size(struct dc_session *s, unsigned cols, unsigned rows)
{
	struct buf b = BUF_INIT;

	ssm_size_json(&b, cols, rows);
	dc_send_message(s, SSM_PAYLOAD_SIZE, b.data, b.len);
	buf_free(&b);
}

int
dc_can_send(struct dc_session *s)
{
	if (s->ended)
		return 0;
	if (s->out_n < SEND_WINDOW)
		return 1;
	s->want_writable = 1;
	return 0;
}

int
dc_all_acked(struct dc_session *s)
{
	return s->out_n == 0;
}

static void
update_rto(struct dc_session *s, int64_t sample)
{
	int64_t diff = s->srtt > sample ? s->srtt - sample : sample - s->srtt;
	int64_t var;

	s->rttvar = (3 * s->rttvar + diff) / 4;
	s->srtt = (7 * s->srtt + sample) / 8;
	var = 4 * s->rttvar;
	s->rto = s->srtt + (var > 10 ? var : 10);
	if (s->rto > RTO_MAX_MS)
		s->rto = RTO_MAX_MS;
}

static void
handle_ack(struct dc_session *s, int64_t seq)
{
	struct out_msg *m;
	int64_t first;
	size_t popped = 0;

	if (s->out_n == 0)
		return;
	first = out_at(s, 0)->seq;
	if (seq < first || seq >= first + (int64_t)s->out_n)
		return;
	m = out_at(s, (size_t)(seq - first));
	if (m->acked)
		return;
	m->acked = 1;
	/* Karn: a resent message's round trip is ambiguous. */
	if (m->sends == 1 && m->last_sent)
		update_rto(s, monotonic_ms() - m->last_sent);
	s->stall_ms = 0;
	while (s->out_n > 0 && out_at(s, 0)->acked) {
		buf_free(&out_at(s, 0)->frame);
		s->out_start++;
		s->out_n--;
		popped++;
		s->resend_head = 0;
	}
	s->next_unsent = s->next_unsent > popped ? s->next_unsent - popped
						 : 0;
	if (s->out_n == 0)
		s->out_start = 0;
	if (s->want_writable && s->out_n < SEND_WINDOW / 2) {
		s->want_writable = 0;
		if (s->cb.writable)
			s->cb.writable(s, s->data);
	}
}

static int
take_token(struct dc_session *s)
{
	int64_t now = monotonic_ms();

	s->tokens += (double)(now - s->tokens_at) * RATE_PER_SECOND / 1000.0;
	s->tokens_at = now;
	if (s->tokens > RATE_BURST)
		s->tokens = RATE_BURST;
	if (s->tokens < 1)
		return 0;
	s->tokens -= 1;
	return 1;
}

/* Picks the next stream message to send, if any may go now. */
struct out_msg *
dc_next_stream_message(struct dc_session *s, int *blocked)
{
	struct out_msg *m;

	*blocked = 0;
	if (s->paused || !s->opening_sent)
		return NULL;
	if (s->resend_head && s->out_n > 0) {
		if (!take_token(s)) {
			*blocked = 1;
			return NULL;
		}
		s->resend_head = 0;
		return out_at(s, 0);
	}
	while (s->next_unsent < s->out_n &&
	       out_at(s, s->next_unsent)->acked)
		s->next_unsent++;
	if (s->next_unsent >= s->out_n)
		return NULL;
	if (!take_token(s)) {
		*blocked = 1;
		return NULL;
	}
	m = out_at(s, s->next_unsent++);
	return m;
}

void
dc_mark_sent(struct dc_session *s, struct out_msg *m)
{
	int64_t now = monotonic_ms();

	if (!m->first_sent)
		m->first_sent = now;
	m->last_sent = now;
	m->sends++;
	evtimer_start(&s->retransmit, RETRANSMIT_TICK_MS);
}

/* Detached sessions (tests) send everything at once. */
static void
pump_detached(struct dc_session *s)
{
	struct out_msg *m;
	int blocked;

	while (s->ctl_head) {
		struct ctl_frame *f = s->ctl_head;

		s->ctl_head = f->next;
		if (!s->ctl_head)
			s->ctl_tail = NULL;
		s->send_fn(s->send_fn_data, f->data.data + LWS_PRE,
		    f->data.len - LWS_PRE, f->kind == LWS_WRITE_TEXT);
		buf_free(&f->data);
		free(f);
	}
	while ((m = dc_next_stream_message(s, &blocked)) != NULL) {
		dc_mark_sent(s, m);
		s->send_fn(s->send_fn_data, m->frame.data + LWS_PRE,
		    m->frame.len - LWS_PRE, 0);
	}
}

void
dc_pump(struct dc_session *s)
{
	if (s->ended)
		return;
	if (s->send_fn) {
		pump_detached(s);
		return;
	}
	if (s->wsi && s->connected)
		lws_callback_on_writable(s->wsi);
}

static void
pump_timer(struct evtimer *t)
{
	dc_pump(t->data);
}


static void
retransmit_timer(struct evtimer *t)
{
	dc_retransmit_check(t->data, monotonic_ms());
}

void
dc_retransmit_check(struct dc_session *s, int64_t now)
{
	struct out_msg *head;
	int64_t timeout;

	if (s->ended || s->out_n == 0)
		return;
	head = out_at(s, 0);
	if (!s->paused && s->connected && head->last_sent) {
		s->stall_ms += RETRANSMIT_TICK_MS;
		timeout = s->rto << (head->sends > 4 ? 4 : head->sends - 1);
		if (timeout > RTO_MAX_MS)
			timeout = RTO_MAX_MS;
		if (now - head->last_sent > timeout && !s->resend_head) {
			dc_debug(s, "resending message %lld (attempt %d)",
			    (long long)head->seq, head->sends + 1);
			s->resend_head = 1;
			/* The head counts as sent again from now on, so
			 * it is not resent on every tick. */
			head->last_sent = now;
			dc_pump(s);
		}
	}
	if (s->stall_ms > s->give_up_ms) {
		struct buf msg = BUF_INIT;

		buf_addf(&msg, "no acknowledgement from the agent for %d s; "
			       "ending the session",
		    s->give_up_ms / 1000);
		dc_terminate(s);
		dc_finish(s, DC_END_FAILED, msg.data);
		buf_free(&msg);
		return;
	}
	if (!s->send_fn)
		evtimer_start(&s->retransmit, RETRANSMIT_TICK_MS);
}

int64_t
dc_rto(struct dc_session *s)
{
	return s->rto;
}

/* Receiving. */

static void
set_ready(struct dc_session *s)
{
	if (s->ready)
		return;
	s->ready = 1;
	evtimer_stop(&s->ready_timer);
	if (s->cb.ready)
		s->cb.ready(s, s->data);
}

static void
ready_timer(struct evtimer *t)
{
	struct dc_session *s = t->data;

	if (!s->handshake_seen)
		set_ready(s);
}

static int
shell_type(const char *type)
{
	return strcmp(type, "InteractiveCommands") == 0 ||
	    strcmp(type, "Standard_Stream") == 0 ||
	    strcmp(type, "NonInteractiveCommands") == 0;
}

/* Gets the KMS data key for a KMSEncryption action and fills its result.
 * Returns why the session cannot go on (allocated), or NULL. */
static char *
kms_action(struct dc_session *s, jv params, struct ssm_action_result *res)
{
	const char *key_id = json_str(params, "KMSKeyId");
	const char *challenge = json_str(params, "Challenge");
	struct buf blob = BUF_INIT, err = BUF_INIT, result = BUF_INIT;

	res->status = SSM_ACTION_FAILED;
	if (!key_id || !s->aws) {
		buf_adds(&err, key_id ? "no AWS context for kms:GenerateDataKey"
				      : "KMSEncryption without a KMSKeyId");
	} else if (ssm_key_generate(s->aws, s->region, key_id, s->session_id,
		       s->target, challenge, &s->key, &blob, &err) == 0) {
		buf_adds(&result, "{\"KMSCipherTextKey\":");
		buf_add_json_string(&result, blob.data, blob.len);
		buf_addf(&result, ",\"KMSCipherTextHash\":null,"
				  "\"ChallengeAcknowledgement\":%s}",
		    challenge && *challenge ? "true" : "false");
		res->status = SSM_ACTION_SUCCESS;
		res->result_json = buf_detach(&result);
		buf_free(&blob);
		buf_free(&err);
		return NULL;
	}
	res->error = xstrdup(err.data);
	buf_free(&blob);
	buf_free(&result);
	{
		char *why = xasprintf("KMS encryption of the session failed: "
				      "%s",
		    err.data);

		buf_free(&err);
		return why;
	}
}

/* Sends the HandshakeResponse for a HandshakeRequest. Returns why the
 * session cannot go on (allocated), or NULL. */
static char *
handle_handshake(struct dc_session *s, const unsigned char *p, size_t n)
{
	jv req = json_parse((const char *)p, n);
	/* The payload comes from the agent, and libjq aborts on
	 * jv_object_get of anything but an object, so json_path checks the
	 * kind at each step. */
	jv actions = json_path(req, "RequestedClientActions", NULL);
	int i, count = jv_get_kind(actions) == JV_KIND_ARRAY
			   ? jv_array_length(jv_copy(actions))
			   : 0;
	struct ssm_action_result *res = xcalloc((size_t)count + 1,
	    sizeof(*res));
	struct buf out = BUF_INIT;
	char *fatal = NULL;

	s->handshake_seen = 1;
	evtimer_stop(&s->ready_timer);
	free(s->agent_version);
	s->agent_version = json_str(req, "AgentVersion")
			       ? xstrdup(json_str(req, "AgentVersion"))
			       : NULL;
	for (i = 0; i < count; i++) {
		jv a = jv_array_get(jv_copy(actions), i);
		const char *type = json_str(a, "ActionType");
		jv params = json_path(a, "ActionParameters", NULL);
		const char *st = json_str(params, "SessionType");

		/* Every string in res is allocated and freed below. */
		res[i].action_type = xstrdup(type ? type : "");
		if (type && strcmp(type, "SessionType") == 0) {
			int match = st && (strcmp(st, s->session_type) == 0 ||
					      (shell_type(st) &&
						  shell_type(s->session_type)));

			res[i].status = match ? SSM_ACTION_SUCCESS
					      : SSM_ACTION_FAILED;
			if (!match) {
				res[i].error = xstrdup("unexpected session "
						       "type");
				fatal = xasprintf("the agent offered a %s "
						  "session, expected %s",
				    st ? st : "(missing)", s->session_type);
			}
		} else if (type && strcmp(type, "KMSEncryption") == 0) {
			char *why = kms_action(s, params, &res[i]);

			if (why && !fatal)
				fatal = why;
			else
				free(why);
		} else {
			res[i].status = SSM_ACTION_UNSUPPORTED;
			res[i].error = xstrdup("unsupported action");
		}
		jv_free(params);
		jv_free(a);
	}
	ssm_handshake_response_json(&out, DC_CLIENT_VERSION, res,
	    (size_t)count);
	dc_send_message(s, SSM_PAYLOAD_HANDSHAKE_RESPONSE, out.data, out.len);
	for (i = 0; i < count; i++) {
		free((char *)res[i].action_type);
		free((char *)res[i].result_json);
		free((char *)res[i].error);
	}
	free(res);
	buf_free(&out);
	jv_free(actions);
	jv_free(req);
	return fatal;
}

/* Decrypts the agent's challenge and sends it back sealed with the
 * client's key, which proves both keys. Returns -1 when it does not
 * decrypt. */
static int
answer_challenge(struct dc_session *s, const unsigned char *p, size_t n)
{
	jv req = json_parse((const char *)p, n);
	const char *text = json_str(req, "Challenge");
	struct buf blob = BUF_INIT, plain = BUF_INIT, sealed = BUF_INIT,
		   out = BUF_INIT, b64 = BUF_INIT;
	int rc = -1;

	if (s->key.set && text &&
	    base64_decode(text, strlen(text), &blob) == 0 &&
	    ssm_open(&s->key, blob.data, blob.len, &plain) == 0) {
		ssm_seal(&s->key, plain.data, plain.len, &sealed);
		base64_encode((const unsigned char *)sealed.data, sealed.len,
		    &b64);
		buf_adds(&out, "{\"Challenge\":");
		buf_add_json_string(&out, b64.data, b64.len);
		buf_addc(&out, '}');
		dc_send_message(s, SSM_PAYLOAD_ENC_CHALLENGE_RESPONSE,
		    out.data, out.len);
		rc = 0;
	}
	jv_free(req);
	buf_free(&blob);
	buf_free_secret(&plain);
	buf_free(&sealed);
	buf_free(&out);
	buf_free(&b64);
	return rc;
}

static void
handshake_complete(struct dc_session *s, const unsigned char *p, size_t n)
{
	jv v = json_parse((const char *)p, n);
	const char *text = json_str(v, "CustomerMessage");

	if (text && *text)
		error("%s", text);
	jv_free(v);
	set_ready(s);
}

/* Handles one in-order output_stream_data message. */
static void
process(struct dc_session *s, const struct ssm_msg *m)
{
	struct buf plain = BUF_INIT;
	struct ssm_msg dm;
	char *fatal;
	int code;

	s->received++;
	/* With KMS the agent seals Output, StdErr and ExitCode payloads. */
	if (s->key.set && (m->payload_type == SSM_PAYLOAD_OUTPUT ||
			      m->payload_type == SSM_PAYLOAD_STDERR ||
			      m->payload_type == SSM_PAYLOAD_EXIT_CODE)) {
		if (ssm_open(&s->key, m->payload, m->payload_len, &plain) < 0) {
			dc_debug(s, "dropping message %lld: it does not decrypt",
			    (long long)m->sequence_number);
			buf_free(&plain);
			return;
		}
		dm = *m;
		dm.payload = (const unsigned char *)plain.data;
		dm.payload_len = plain.len;
		m = &dm;
	}
	switch (m->payload_type) {
	case SSM_PAYLOAD_OUTPUT:
		set_ready(s);
		if (s->cb.output && m->payload_len)
			s->cb.output(s, s->data, m->payload, m->payload_len);
		break;
	case SSM_PAYLOAD_STDERR:
		if (s->cb.error_output)
			s->cb.error_output(s, s->data, m->payload,
			    m->payload_len);
		else if (s->cb.output)
			s->cb.output(s, s->data, m->payload, m->payload_len);
		break;
	case SSM_PAYLOAD_EXIT_CODE:
		if (ssm_exit_code_parse(m->payload, m->payload_len, &code) ==
			0 &&
		    s->cb.exit_code)
			s->cb.exit_code(s, s->data, code);
		break;
	case SSM_PAYLOAD_HANDSHAKE_REQUEST:
		fatal = handle_handshake(s, m->payload, m->payload_len);
		if (fatal) {
			dc_finish(s, DC_END_FAILED, fatal);
			free(fatal);
		}
		break;
	case SSM_PAYLOAD_HANDSHAKE_COMPLETE:
		handshake_complete(s, m->payload, m->payload_len);
		break;
	case SSM_PAYLOAD_ENC_CHALLENGE_REQUEST:
		if (answer_challenge(s, m->payload, m->payload_len) < 0)
			dc_finish(s, DC_END_FAILED, "the agent's encryption "
						 "challenge does not decrypt "
						 "with the KMS data key");
		break;
	case SSM_PAYLOAD_FLAG:
		if (m->payload_len == 4 && s->cb.flag)
			s->cb.flag(s, s->data,
			    (uint32_t)m->payload[0] << 24 |
				(uint32_t)m->payload[1] << 16 |
				(uint32_t)m->payload[2] << 8 | m->payload[3]);
		break;
	default:
		dc_debug(s, "ignoring payload type %u", m->payload_type);
	}
	buf_free_secret(&plain);
}

static void
receive_stream(struct dc_session *s, const struct ssm_msg *m,
    const void *frame, size_t len)
{
	int64_t seq = m->sequence_number;

	if (seq < s->expected) {
		send_ack(s, m);
		return;
	}
	if (seq > s->expected) {
		size_t slot;

		if (seq - s->expected >= OOO_CAPACITY)
			return;
		if (!s->ooo)
			s->ooo = xcalloc(OOO_CAPACITY, sizeof(*s->ooo));
		slot = (size_t)(seq % OOO_CAPACITY);
		if (!s->ooo[slot]) {
			s->ooo[slot] = xcalloc(1, sizeof(struct buf));
			buf_add(s->ooo[slot], frame, len);
		}
		send_ack(s, m);
		return;
	}
	send_ack(s, m);
	s->expected++;
	process(s, m);
	while (!s->ended && s->ooo) {
		size_t slot = (size_t)(s->expected % OOO_CAPACITY);
		struct buf *b = s->ooo[slot];
		struct ssm_msg next;
		const char *why;

		if (!b)
			break;
		s->ooo[slot] = NULL;
		s->expected++;
		if (ssm_msg_parse(b->data, b->len, &next, &why) == 0)
			process(s, &next);
		buf_free(b);
		free(b);
	}
}

void
dc_receive_frame(struct dc_session *s, const void *frame, size_t len)
{
	struct ssm_msg m;
	const char *why;
	int64_t acked;

	if (s->ended)
		return;
	if (ssm_msg_parse(frame, len, &m, &why) < 0) {
		dc_debug(s, "dropping a message: %s", why);
		return;
	}
	if (ssm_msg_needs_digest(&m) && !ssm_msg_digest_ok(&m)) {
		dc_debug(s, "dropping %s %lld: payload digest mismatch", m.type,
		    (long long)m.sequence_number);
		return;
	}
	if (!ssm_msg_length_ok(&m))
		dc_debug(s, "%s: PayloadLength %u but %zu payload bytes", m.type,
		    m.payload_length, m.payload_len);
	s->last_inbound = monotonic_ms();
	if (strcmp(m.type, SSM_OUTPUT) == 0 || strcmp(m.type, SSM_ACK) == 0)
		s->attempts = 0;
	if (strcmp(m.type, SSM_OUTPUT) == 0) {
		s->paused = 0;
		s->dead_resumes = 0;
		receive_stream(s, &m, frame, len);
	} else if (strcmp(m.type, SSM_ACK) == 0) {
		s->paused = 0;
		s->dead_resumes = 0;
		if (ssm_ack_parse(m.payload, m.payload_len, &acked) == 0)
			handle_ack(s, acked);
		dc_pump(s);
	} else if (strcmp(m.type, SSM_CHANNEL_CLOSED) == 0) {
		char *output, *sid;

		ssm_channel_closed_parse(m.payload, m.payload_len, &output,
		    &sid);
		dc_finish(s, DC_END_CLOSED, output);
		free(output);
		free(sid);
	} else if (strcmp(m.type, SSM_PAUSE_PUBLICATION) == 0) {
		dc_debug(s, "publication paused");
		s->paused = 1;
	} else if (strcmp(m.type, SSM_START_PUBLICATION) == 0) {
		dc_debug(s, "publication started");
		s->paused = 0;
		dc_pump(s);
	} else {
		dc_debug(s, "ignoring message type %s", m.type);
	}
}

uint64_t
dc_messages_received(struct dc_session *s)
{
	return s->received;
}


static struct dc_session *
session_new(struct evloop *loop, const struct dc_config *c,
    const struct dc_callbacks *cb, void *data)
{
	struct dc_session *s = xcalloc(1, sizeof(*s));

	s->loop = loop;
	s->cb = *cb;
	s->data = data;
	s->session_id = xstrdup(c->session_id ? c->session_id : "");
	s->stream_url = xstrdup(c->stream_url ? c->stream_url : "");
	s->token = xstrdup(c->token ? c->token : "");
	s->target = xstrdup(c->target ? c->target : "");
	s->session_type = xstrdup(c->session_type ? c->session_type
						  : "InteractiveCommands");
	s->region = c->region ? xstrdup(c->region) : NULL;
	s->label = xstrdup(c->label ? c->label : s->session_id);
	s->aws = c->aws;
	s->keepalive_ms = (c->keepalive > 0 ? c->keepalive
					    : DC_KEEPALIVE_DEFAULT) *
	    1000;
	s->give_up_ms = (c->give_up > 0 ? c->give_up : DC_GIVE_UP_DEFAULT) *
	    1000;
	s->ready_timeout_ms = (c->ready_timeout > 0 ? c->ready_timeout
						    : READY_TIMEOUT_DEFAULT) *
	    1000;
	uuid_v4(s->client_id);
	s->srtt = 100;
	s->rttvar = 0;
	s->rto = 200;
	s->tokens = RATE_BURST;
	s->tokens_at = monotonic_ms();
	buf_init(&s->rx);
	evtimer_init(&s->reconnect, loop, dc_reconnect_timer, s);
	evtimer_init(&s->retransmit, loop, retransmit_timer, s);
	evtimer_init(&s->housekeeping, loop, dc_housekeeping_timer, s);
	evtimer_init(&s->pump, loop, pump_timer, s);
	evtimer_init(&s->ready_timer, loop, ready_timer, s);
	return s;
}

struct dc_session *
dc_new(struct evloop *loop, const struct dc_config *c,
    const struct dc_callbacks *cb, void *data)
{
	struct dc_session *s = session_new(loop, c, cb, data);

	evtimer_start(&s->housekeeping, HOUSEKEEPING_MS);
	evtimer_start(&s->ready_timer, s->ready_timeout_ms);
	dc_connect(s);
	return s;
}

struct dc_session *
dc_new_detached(struct evloop *loop, const struct dc_config *c,
    const struct dc_callbacks *cb, void *data,
    void (*fn)(void *data, const void *frame, size_t len, int text),
    void *fn_data)
{
	struct dc_session *s = session_new(loop, c, cb, data);
	struct buf open = BUF_INIT;

	s->send_fn = fn;
	s->send_fn_data = fn_data;
	s->connected = 1;
	s->ever_opened = 1;
	ssm_open_json(&open, s->token, s->client_id, DC_CLIENT_VERSION);
	dc_queue_ctl(s, LWS_WRITE_TEXT, open.data, open.len);
	buf_free(&open);
	s->opening_sent = 1;
	dc_pump(s);
	return s;
}


void
dc_close(struct dc_session *s, int terminate)
{
	if (s->ended || s->closing)
		return;
	s->closing = 1;
	if (terminate)
		dc_terminate(s);
	if (!s->ended)
		dc_finish(s, DC_END_LOCAL, NULL);
}

const char *
dc_session_id(struct dc_session *s)
{
	return s->session_id;
}

const char *
dc_agent_version(struct dc_session *s)
{
	return s->agent_version;
}

void
dc_free(struct dc_session *s)
{
	size_t i;

	if (!s)
		return;
	if (!s->ended) {
		s->cb.end = NULL;
		dc_finish(s, DC_END_LOCAL, NULL);
	}
	for (i = 0; i < s->out_n; i++)
		buf_free(&out_at(s, i)->frame);
	free(s->out);
	if (s->ooo) {
		for (i = 0; i < OOO_CAPACITY; i++)
			if (s->ooo[i]) {
				buf_free(s->ooo[i]);
				free(s->ooo[i]);
			}
		free(s->ooo);
	}
	dc_drop_ctl(s);
	buf_free(&s->rx);
	buf_free(&s->scratch);
	free(s->session_id);
	free(s->stream_url);
	free_secret(s->token);
	free(s->target);
	free(s->session_type);
	free(s->agent_version);
	free(s->region);
	free(s->label);
	free(s->last_error);
	ssm_key_clear(&s->key);
	free(s);
}
