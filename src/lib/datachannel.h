/* A Session Manager data channel session over a WebSocket to the stream
 * URL (ws:// or wss://). It sends the first text frame, numbers and
 * acknowledges messages, buffers out-of-order ones and retransmits with a
 * round-trip estimate. It also pings, notices a dead peer, follows pause
 * and start of publication, completes the handshake, reports channel_closed
 * and reconnects through ssm:ResumeSession with the same client id.
 *
 * The session is independent of what travels inside it: the caller gets
 * stream payloads through callbacks and sends with dc_send, so a shell and
 * a port-forwarding program share it. A dc_session is owned by its
 * creator, who frees it with dc_free, never from inside a callback.
 * Strings in dc_config are copied. */
#ifndef ECS_DATACHANNEL_H
#define ECS_DATACHANNEL_H

#include <stddef.h>
#include <stdint.h>
#include <libwebsockets.h>

#include "aws.h"
#include "buf.h"
#include "evloop.h"

/* The ClientVersion sent to the agent. A release-looking value: agents
 * pick features (and port-forwarding keep-alives) by it. */
#define DC_CLIENT_VERSION "1.2.804.0"

/* Defaults of the timers, in seconds. */
#define DC_KEEPALIVE_DEFAULT 30
#define DC_GIVE_UP_DEFAULT 300

enum dc_end {
	DC_END_CLOSED,		/* channel_closed arrived */
	DC_END_TIMED_OUT,	/* ResumeSession returned no token */
	DC_END_FAILED,		/* connection, handshake or delivery failed */
	DC_END_LOCAL,		/* dc_close was called */
};

struct dc_session;

struct dc_callbacks {
	/* The agent is ready for input: its first output arrived, the
	 * handshake completed, or nothing arrived for a while. */
	void (*ready)(struct dc_session *s, void *data);
	/* Output (payload type 1) in stream order, bytes as sent. */
	void (*output)(struct dc_session *s, void *data,
	    const unsigned char *p, size_t n);
	/* StdErr (payload type 11); NULL sends it to output. */
	void (*error_output)(struct dc_session *s, void *data,
	    const unsigned char *p, size_t n);
	/* ExitCode (payload type 12), when the agent sends one. */
	void (*exit_code)(struct dc_session *s, void *data, int code);
	/* A Flag payload (port sessions). */
	void (*flag)(struct dc_session *s, void *data, uint32_t flag);
	/* There is room to send again after dc_can_send returned 0. */
	void (*writable)(struct dc_session *s, void *data);
	/* The session ended; message is channel_closed's Output, or why it
	 * failed. Called once; free the session after it returns. */
	void (*end)(struct dc_session *s, void *data, enum dc_end how,
	    const char *message);
};

struct dc_config {
	const char *session_id;
	const char *stream_url;
	const char *token;
	/* "ecs:CLUSTER_TASKID_RUNTIMEID", the agent's id: the KMS
	 * encryption context. */
	const char *target;
	/* SessionType accepted in a HandshakeRequest: "InteractiveCommands"
	 * (also accepts the other shell types) or "Port". */
	const char *session_type;
	/* For ResumeSession and TerminateSession (ssm), may be NULL. */
	struct aws_ctx *aws;
	const char *region;
	int keepalive;		/* seconds between pings (0: default) */
	int give_up;		/* seconds without an acknowledgement */
	/* Seconds to wait for the first message before calling ready. */
	int ready_timeout;
	const char *label;	/* prefix of notices, e.g. a task id */
};

/* Creates the session and starts connecting. */
struct dc_session *dc_new(struct evloop *loop, const struct dc_config *c,
    const struct dc_callbacks *cb, void *data);
void dc_free(struct dc_session *s);

/* Sends payload bytes as stream messages of at most 1024 bytes each.
 * Always accepts the data (it is queued); callers that produce a lot
 * check dc_can_send first and wait for the writable callback. */
void dc_send(struct dc_session *s, uint32_t payload_type, const void *p,
    size_t n);
/* Sends one stream message; n must be at most 1024 unless the payload
 * must stay whole (JSON). */
void dc_send_message(struct dc_session *s, uint32_t payload_type,
    const void *p, size_t n);
void dc_send_size(struct dc_session *s, unsigned cols, unsigned rows);
int dc_can_send(struct dc_session *s);
/* Whether every sent message was acknowledged. */
int dc_all_acked(struct dc_session *s);
/* Ends the session from this side: TerminateSession (best effort) when
 * terminate is set, then closes the socket; the end callback runs with
 * DC_END_LOCAL. */
void dc_close(struct dc_session *s, int terminate);
const char *dc_session_id(struct dc_session *s);
/* AgentVersion of the HandshakeRequest, or NULL before one arrived (or
 * when it had none). Port sessions choose smux or basic mode by it. */
const char *dc_agent_version(struct dc_session *s);
/* Stream messages received (for --debug statistics). */
uint64_t dc_messages_received(struct dc_session *s);

/* The libwebsockets protocol to pass to evloop_new. */
extern const struct lws_protocols dc_protocol;

/* For tests: frames go to fn instead of a socket, and nothing connects.
 * Incoming frames are fed with dc_receive_frame. */
struct dc_session *dc_new_detached(struct evloop *loop,
    const struct dc_config *c, const struct dc_callbacks *cb, void *data,
    void (*fn)(void *data, const void *frame, size_t len, int text),
    void *fn_data);
void dc_receive_frame(struct dc_session *s, const void *frame, size_t len);
/* Runs the retransmission check as if now_ms were the time. */
void dc_retransmit_check(struct dc_session *s, int64_t now_ms);
/* The retransmission timeout in milliseconds. */
int64_t dc_rto(struct dc_session *s);

#endif
