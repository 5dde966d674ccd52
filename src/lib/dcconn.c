/* The data channel's libwebsockets connection: connecting to the stream
 * URL, writing queued frames, reassembling fragmented messages, pings and
 * the dead-peer watchdog, and reconnection through ssm:ResumeSession. */
#include <stdlib.h>
#include <string.h>

#include "datachannel-int.h"
#include "json.h"
#include "ssmmsg.h"
#include "util.h"

/* Writes one frame; returns -1 to close the connection. */
static int
on_writeable(struct dc_session *s)
{
	struct out_msg *m;
	int blocked;

	if (s->killing)
		return -1;
	if (s->ctl_head) {
		struct ctl_frame *f = s->ctl_head;
		size_t n = f->data.len - LWS_PRE;

		if (lws_write(s->wsi, (unsigned char *)f->data.data + LWS_PRE,
			n, f->kind) < (int)n)
			return -1;
		if (f->kind == LWS_WRITE_TEXT)
			s->opening_sent = 1;
		s->ctl_head = f->next;
		if (!s->ctl_head)
			s->ctl_tail = NULL;
		buf_free(&f->data);
		free(f);
	} else if ((m = dc_next_stream_message(s, &blocked)) != NULL) {
		size_t n = m->frame.len - LWS_PRE;

		/* lws_write masks the payload in place, and the stored frame
		 * must stay intact for retransmission: send a copy. */
		buf_reset(&s->scratch);
		buf_add(&s->scratch, m->frame.data, m->frame.len);
		if (lws_write(s->wsi, (unsigned char *)s->scratch.data + LWS_PRE,
			n, LWS_WRITE_BINARY) < (int)n)
			return -1;
		dc_mark_sent(s, m);
	} else {
		if (blocked)
			evtimer_start(&s->pump, 2);
		return 0;
	}
	lws_callback_on_writable(s->wsi);
	return 0;
}

/* The connection. */

static int
dc_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct dc_session *s;
	char why[160];

	(void)user;
	/* libwebsockets also calls the first protocol for connections of
	 * other protocols (the loop's local descriptors), whose opaque
	 * data is not a session: look only at client connection events. */
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
	case LWS_CALLBACK_CLIENT_RECEIVE:
	case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
	case LWS_CALLBACK_CLIENT_WRITEABLE:
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
	case LWS_CALLBACK_CLIENT_CLOSED:
		break;
	default:
		return 0;
	}
	s = lws_get_opaque_user_data(wsi);
	if (!s || s->wsi != wsi)
		return reason == LWS_CALLBACK_CLIENT_WRITEABLE ? -1 : 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		dc_debug(s, "connected");
		s->connected = 1;
		s->ever_opened = 1;
		s->last_inbound = s->last_ping = monotonic_ms();
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (lws_is_first_fragment(wsi))
			buf_reset(&s->rx);
		buf_add(&s->rx, in, len);
		if (lws_is_final_fragment(wsi) &&
		    lws_remaining_packet_payload(wsi) == 0) {
			dc_receive_frame(s, s->rx.data, s->rx.len);
			buf_reset(&s->rx);
		}
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
		s->last_inbound = monotonic_ms();
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return on_writeable(s);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2) {
			const unsigned char *p = in;

			dc_debug(s, "the server closed the connection: %u %.*s",
			    (unsigned)(p[0] << 8 | p[1]), (int)(len - 2),
			    (const char *)in + 2);
		}
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		snprintf(why, sizeof(why), "%s",
		    in ? (const char *)in : "connection failed");
		s->wsi = NULL;
		dc_connection_lost(s, why);
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		s->wsi = NULL;
		dc_connection_lost(s, "connection closed");
		break;
	default:
		break;
	}
	return 0;
}

const struct lws_protocols dc_protocol = {
    "ssm-data-channel", dc_callback, 0, 65536, 0, NULL, 0,
};

static int64_t
backoff_ms(int attempt)
{
	unsigned char r;
	int64_t base, d;
	int i;

	random_bytes(&r, 1);
	base = 100 + r % 100;
	d = base;
	for (i = 1; i < attempt; i++) {
		d *= 2;
		if (d > RECONNECT_DELAY_MAX_MS)
			d = base;
	}
	return d;
}

void
dc_connection_lost(struct dc_session *s, const char *why)
{
	s->connected = 0;
	s->opening_sent = 0;
	s->killing = 0;
	dc_drop_ctl(s);
	buf_reset(&s->rx);
	if (s->ended)
		return;
	if (s->closing) {
		dc_finish(s, DC_END_LOCAL, NULL);
		return;
	}
	if (++s->attempts > RECONNECT_ATTEMPTS) {
		struct buf msg = BUF_INIT;

		buf_addf(&msg, "%s the data channel: %s (gave up after %d "
			       "attempts)",
		    s->ever_opened ? "lost the connection to"
				   : "cannot connect to",
		    why, s->attempts - 1);
		dc_finish(s, DC_END_FAILED, msg.data);
		buf_free(&msg);
		return;
	}
	dc_debug(s, "%s; reconnecting (attempt %d)", why, s->attempts);
	evtimer_start(&s->reconnect, backoff_ms(s->attempts));
}

/* Asks ssm:ResumeSession for a new token. Returns 0, or -1 after ending
 * the session, or 1 to try again later. */
static int
resume(struct dc_session *s)
{
	struct aws_request *req;
	jv in, out;
	const char *token;
	struct buf err = BUF_INIT;

	if (!s->aws) {
		dc_finish(s, DC_END_FAILED, "the connection was lost and this "
					 "session cannot resume");
		return -1;
	}
	in = jv_object_set(jv_object(), jv_string("SessionId"),
	    jv_string(s->session_id));
	req = aws_json_request(s->aws, &aws_ssm, s->region, "ResumeSession",
	    in);
	req->secret_body = 1;
	if (aws_perform(req) < 0) {
		int retry = req->error.status == 0 || req->error.status >= 500;

		aws_error_format(req, &err);
		aws_request_free(req);
		if (retry && s->attempts < RECONNECT_ATTEMPTS) {
			free(s->last_error);
			s->last_error = buf_detach(&err);
			return 1;
		}
		{
			struct buf msg = BUF_INIT;

			buf_addf(&msg, "the connection was lost and the "
				       "session cannot resume: %s",
			    err.data);
			dc_finish(s, DC_END_FAILED, msg.data);
			buf_free(&msg);
		}
		buf_free(&err);
		return -1;
	}
	out = aws_request_take_output(req);
	aws_request_free(req);
	token = json_str(out, "TokenValue");
	if (!token)
		token = json_str(out, "tokenValue");
	if (!token || !*token) {
		jv_free(out);
		dc_finish(s, DC_END_TIMED_OUT, "the session timed out");
		return -1;
	}
	free_secret(s->token);
	s->token = xstrdup(token);
	jv_free(out);
	return 0;
}

void
dc_reconnect_timer(struct evtimer *t)
{
	struct dc_session *s = t->data;
	int rc;

	if (s->ended)
		return;
	if (s->ever_opened) {
		rc = resume(s);
		if (rc < 0)
			return;
		if (rc > 0) {
			dc_connection_lost(s, s->last_error);
			return;
		}
	}
	dc_connect(s);
}

void
dc_connect(struct dc_session *s)
{
	struct lws_client_connect_info i;
	char *url = xstrdup(s->stream_url);
	const char *scheme, *address, *path;
	char *full_path, *host;
	int port;
	struct buf open = BUF_INIT;

	if (lws_parse_uri(url, &scheme, &address, &port, &path)) {
		free(url);
		dc_finish(s, DC_END_FAILED, "invalid stream URL");
		return;
	}
	full_path = xasprintf("/%s", path);
	host = (strcmp(scheme, "wss") == 0 && port == 443) ||
		   (strcmp(scheme, "ws") == 0 && port == 80)
	    ? xstrdup(address)
	    : xasprintf("%s:%d", address, port);
	memset(&i, 0, sizeof(i));
	i.context = evloop_context(s->loop);
	i.vhost = evloop_vhost(s->loop);
	i.address = address;
	i.port = port;
	i.path = full_path;
	i.host = host;
	i.origin = host;
	i.ssl_connection = strcmp(scheme, "wss") == 0 ||
		strcmp(scheme, "https") == 0
	    ? LCCSCF_USE_SSL
	    : 0;
	i.local_protocol_name = dc_protocol.name;
	i.opaque_user_data = s;
	i.pwsi = &s->wsi;

	dc_drop_ctl(s);
	ssm_open_json(&open, s->token, s->client_id, DC_CLIENT_VERSION);
	dc_queue_ctl(s, LWS_WRITE_TEXT, open.data, open.len);
	buf_free_secret(&open);
	/* Everything unacknowledged goes out again on the new socket. */
	s->next_unsent = 0;
	s->resend_head = 0;
	dc_debug(s, "connecting to %s://%s%s", scheme, host, "/...");
	if (!lws_client_connect_via_info(&i) && !s->ended) {
		s->wsi = NULL;
		dc_connection_lost(s, "cannot start the connection");
	}
	free(full_path);
	free(host);
	free(url);
}

void
dc_housekeeping_timer(struct evtimer *t)
{
	struct dc_session *s = t->data;
	int64_t now = monotonic_ms();
	int64_t last = s->last_ping > s->last_inbound ? s->last_ping
						      : s->last_inbound;

	if (s->ended)
		return;
	evtimer_start(&s->housekeeping, HOUSEKEEPING_MS);
	if (!s->connected || !s->wsi)
		return;
	if (now - s->last_inbound >= s->keepalive_ms + s->keepalive_ms / 2 &&
	    s->last_ping > s->last_inbound) {
		if (s->dead_resumes++ > 0) {
			struct buf msg = BUF_INIT;

			buf_addf(&msg, "no response from the data channel "
				       "for %lld s, also after reconnecting",
			    (long long)((now - s->last_inbound) / 1000));
			dc_finish(s, DC_END_FAILED, msg.data);
			buf_free(&msg);
			return;
		}
		dc_debug(s, "no response for %lld ms; reconnecting",
		    (long long)(now - s->last_inbound));
		s->killing = 1;
		lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
		return;
	}
	if (now - last >= s->keepalive_ms) {
		s->last_ping = now;
		dc_queue_ctl(s, LWS_WRITE_PING, "keepalive", 9);
		dc_pump(s);
	}
}

void
dc_terminate(struct dc_session *s)
{
	struct aws_request *req;
	jv in;

	if (!s->aws || !*s->session_id)
		return;
	in = jv_object_set(jv_object(), jv_string("SessionId"),
	    jv_string(s->session_id));
	req = aws_json_request(s->aws, &aws_ssm, s->region,
	    "TerminateSession", in);
	req->timeout_ms = 5000;
	if (aws_perform(req) < 0) {
		struct buf err = BUF_INIT;

		aws_error_format(req, &err);
		dc_debug(s, "TerminateSession failed (ignored): %s", err.data);
		buf_free(&err);
	}
	aws_request_free(req);
}
