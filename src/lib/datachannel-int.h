/* Internals of the data channel session shared by datachannel.c (the
 * reliability layer and the handshake) and dcconn.c (the libwebsockets
 * connection, pings and reconnection). Not for other modules. */
#ifndef ECS_DATACHANNEL_INT_H
#define ECS_DATACHANNEL_INT_H

#include <stdint.h>
#include <libwebsockets.h>

#include "buf.h"
#include "datachannel.h"
#include "ssmcrypt.h"

/* Messages received ahead of the expected one that are kept; later
 * ones are dropped unacknowledged and the agent resends them. */
#define OOO_CAPACITY 10000
/* Stream messages queued or unacknowledged before dc_can_send returns 0:
 * 64 KiB in flight, about what the service passes per second anyway. */
#define SEND_WINDOW 64
/* The service tears a session down above about 1000 messages per
 * second; stream messages are paced below that. */
#define RATE_PER_SECOND 900
#define RATE_BURST 64
#define RETRANSMIT_TICK_MS 100
#define RTO_MAX_MS 1000
#define HOUSEKEEPING_MS 1000
/* Reconnection: up to this many attempts in a row, sleeping 100-199 ms
 * at first and doubling, starting over above 5 s. */
#define RECONNECT_ATTEMPTS 5
#define RECONNECT_DELAY_MAX_MS 5000
#define READY_TIMEOUT_DEFAULT 5

struct out_msg {
	int64_t seq;
	struct buf frame;	/* LWS_PRE bytes of headroom, then the frame */
	int64_t first_sent;
	int64_t last_sent;	/* 0: not sent on this connection */
	int sends;
	int acked;
};

struct ctl_frame {
	struct ctl_frame *next;
	struct buf data;	/* LWS_PRE bytes of headroom, then payload */
	enum lws_write_protocol kind;
};

struct dc_session {
	struct evloop *loop;
	struct dc_callbacks cb;
	void *data;
	char *session_id, *stream_url, *token, *target, *session_type;
	char *region, *label;
	struct aws_ctx *aws;
	char client_id[37];
	int keepalive_ms, give_up_ms, ready_timeout_ms;

	/* Connection. */
	struct lws *wsi;
	int connected;
	int ever_opened;
	int opening_sent;		/* the first text frame went out */
	int attempts;			/* failed connects in a row */
	int dead_resumes;		/* resumes after a silent peer */
	int killing;			/* the socket is being closed by us */
	char *last_error;		/* of the last ResumeSession */
	struct buf rx;			/* a message being reassembled */
	struct buf scratch;		/* a frame being written */
	struct ctl_frame *ctl_head, *ctl_tail;
	int64_t last_inbound, last_ping;
	struct evtimer reconnect, retransmit, housekeeping, pump,
	    ready_timer;

	/* Sending. */
	int64_t next_seq;
	struct out_msg *out;
	size_t out_start, out_n, out_cap;
	size_t next_unsent;		/* index relative to out_start */
	int resend_head;
	int64_t srtt, rttvar, rto;
	double tokens;
	int64_t tokens_at;
	int64_t stall_ms;		/* unacknowledged while connected */
	int want_writable;
	int paused;

	/* Receiving. */
	int64_t expected;
	struct buf **ooo;		/* OOO_CAPACITY slots by seq */
	uint64_t received;
	int ready;
	int handshake_seen;
	char *agent_version;		/* from the HandshakeRequest */
	struct ssm_key key;		/* KMS session keys, when set */

	int ended;
	int closing;

	/* Tests: frames go here instead of a socket. */
	void (*send_fn)(void *data, const void *frame, size_t len, int text);
	void *send_fn_data;
};

/* datachannel.c */
void dc_debug(struct dc_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Ends the session once: stops timers, closes the socket, calls end. */
void dc_finish(struct dc_session *s, enum dc_end how, const char *message);
void dc_frame_init(struct buf *b);
void dc_queue_ctl(struct dc_session *s, enum lws_write_protocol kind,
    const void *p, size_t n);
void dc_drop_ctl(struct dc_session *s);
/* Asks for a chance to write when something can go out. */
void dc_pump(struct dc_session *s);
/* The next stream message that may go out now, or NULL; *blocked is set
 * when the rate limit held one back. */
struct out_msg *dc_next_stream_message(struct dc_session *s, int *blocked);
void dc_mark_sent(struct dc_session *s, struct out_msg *m);

/* dcconn.c */
void dc_connect(struct dc_session *s);
void dc_connection_lost(struct dc_session *s, const char *why);
void dc_reconnect_timer(struct evtimer *t);
void dc_housekeeping_timer(struct evtimer *t);
/* Calls ssm:TerminateSession, best effort. */
void dc_terminate(struct dc_session *s);

#endif
