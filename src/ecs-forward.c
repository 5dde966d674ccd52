/* ecs-forward: forwards local TCP ports into an ECS task (or to a host the
 * task reaches) through Session Manager port forwarding sessions, one
 * session per -L, each multiplexing its connections with smux. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aws.h"
#include "cli.h"
#include "datachannel.h"
#include "evloop.h"
#include "exectarget.h"
#include "json.h"
#include "records.h"
#include "smux.h"
#include "ssmmsg.h"
#include "util.h"

static const char usage[] =
    "Usage: ecs-forward [OPTIONS] -L [ADDR:]LOCAL:PORT...\n"
    "       ecs-forward [OPTIONS] -L [ADDR:]LOCAL:HOST:PORT...\n"
    "Forward local TCP ports into an ECS task through Session Manager,\n"
    "natively (no session-manager-plugin). The task comes from --task or\n"
    "from one task or container record on stdin; it needs ECS Exec.\n"
    "\n"
    "Forwards (-L, repeatable; one session each):\n"
    "  LOCAL:PORT           local port LOCAL to port PORT of the task\n"
    "  LOCAL:HOST:PORT      local port LOCAL to HOST:PORT as the task\n"
    "                       reaches it (a database, an internal service)\n"
    "  ADDR                 the local address to listen on (default\n"
    "                       127.0.0.1; [::1] for IPv6, 0.0.0.0 for every\n"
    "                       interface)\n"
    "  LOCAL 0 picks a free port; the ready record shows which.\n"
    "\n"
    "When a forward is ready, one record goes to stdout:\n"
    "  {\"kind\":\"forward\",\"local\":\"127.0.0.1:15432\",...}\n"
    "Ctrl-C (SIGINT, SIGTERM, SIGHUP) ends every session; so does the task\n"
    "stopping.\n"
    "\n"
    "Options:\n"
    "  -L SPEC                    a forward, as above\n"
    "  -c, --cluster NAME         cluster of --task (default: the default\n"
    "                             cluster)\n"
    "      --task ID              the task (id or ARN)\n"
    "  -n, --container NAME       the container whose agent forwards\n"
    "                             (default: the only one, else the first\n"
    "                             with a running ECS Exec agent)\n"
    "      --reason TEXT          reason recorded with the sessions\n"
    "  -p, --profile NAME         AWS profile\n"
    "  -r, --region REGION        AWS region\n"
    "      --endpoint-url URL     send every request to URL\n"
    "      --debug                log requests and timings to stderr\n"
    "  -h, --help                 show this help\n"
    "  -V, --version              show the version\n"
    "\n"
    "Exit status: 128 plus the signal's number after a signal (130 after\n"
    "Ctrl-C, 143 after SIGTERM, 129 after SIGHUP); 1 when a session could\n"
    "not start or ended on its own (the task stopped, an idle timeout);\n"
    "2 usage error.\n";

enum {
	OPT_TASK = OPT_PROGRAM,
	OPT_REASON,
};

/* AWS keeps at most this many characters of a session reason. */
#define MAX_REASON 256
/* Bytes read from a local connection at once. */
#define READ_CHUNK 16384
/* A local socket that would block is tried again after this long. */
#define FLUSH_RETRY_MS 5
/* After Ctrl-C each session has this long to acknowledge the
 * TerminateSession flag before its socket is closed. */
#define TERMINATE_WAIT_MS 2000
/* Seconds to wait for the HandshakeRequest of a port session. */
#define HANDSHAKE_WAIT 30
/* Agents after this version speak smux (the plugin's rule). */
#define MUX_AGENT_VERSION "3.0.196.0"
/* Agents up to this version keep smux keep-alive on: they drop a session
 * that sends no frame for 30 seconds, so the client sends NOPs. */
#define KEEPALIVE_AGENT_VERSION "3.1.1511.0"
#define NOP_INTERVAL_MS 10000
/* Agents after this version take the TerminateSession flag; older ones
 * need the TerminateSession call. */
#define TERMINATE_FLAG_AGENT_VERSION "2.3.722.0"

struct app;
struct forward;

/* One accepted local connection: an smux stream, or the basic-mode
 * connection. */
struct conn {
	struct forward *f;
	struct conn *next;
	int fd;
	struct evwatch *watch;
	uint32_t id;
	struct buf out;		/* bytes waiting for the local socket */
	int local_eof;		/* the local side sent FIN (or failed) */
	int fin_sent;
	int remote_fin;		/* the agent closed the stream */
};

struct forward {
	struct app *app;
	char *spec;		/* as given, for messages */
	char *bind_addr;
	int local_port;
	char *host;		/* NULL: the task itself */
	int remote_port;

	int listen_fd;
	char local[INET6_ADDRSTRLEN + 8];
	int bound_port;
	struct evwatch *accept_watch;

	struct dc_session *dc;
	char *session_id;
	int ready, ended, terminating;
	int reported;		/* its failure was reported already */
	int mux;		/* smux, else basic mode */
	int flag_terminate;	/* the agent takes the TerminateSession flag */
	struct smux_parser parser;
	uint32_t next_id;
	struct conn *conns;
	int reading_paused;	/* the data channel's window is full */
	struct evtimer flush_timer, nop_timer;
	unsigned long accepted;
};

struct app {
	struct aws_ctx ctx;
	struct evloop *loop;
	struct exec_target *t;
	char *target_id;
	const char *reason;
	struct forward *fwds;
	size_t n;
	size_t ended;
	struct evwatch *signals;
	int stopping;		/* a signal asked to end */
	int stop_signal;	/* the first signal received, or 0 */
	int failed;
	struct evtimer stop_timer;
};

/* --- parsing -L -------------------------------------------------------- */

/* Splits spec at ':' outside brackets; brackets are removed from the
 * parts. Returns the number of parts, or -1 when there are too many or a
 * bracket is unbalanced. */
static int
split_spec(const char *spec, char *parts[4])
{
	struct buf cur = BUF_INIT;
	int n = 0, depth = 0;
	const char *p;

	for (p = spec;; p++) {
		if (*p == '[' && depth == 0) {
			depth = 1;
			continue;
		}
		if (*p == ']' && depth == 1) {
			depth = 0;
			continue;
		}
		if ((*p == ':' && depth == 0) || *p == '\0') {
			if (n == 4)
				goto fail;
			parts[n++] = buf_detach(&cur);
			if (!parts[n - 1])
				parts[n - 1] = xstrdup("");
			if (*p == '\0')
				break;
			continue;
		}
		buf_addc(&cur, *p);
	}
	if (depth == 0)
		return n;
fail:
	while (n > 0)
		free(parts[--n]);
	buf_free(&cur);
	return -1;
}

static int
all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static int
parse_port(const char *s, long min, int *out)
{
	long v;

	if (!all_digits(s) || parse_long(s, min, 65535, &v) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

/* Fills f from "[ADDR:]LOCAL:PORT" or "[ADDR:]LOCAL:HOST:PORT". With
 * three parts a number first means LOCAL:HOST:PORT. */
static void
parse_forward(const char *spec, struct forward *f)
{
	char *parts[4];
	int n = split_spec(spec, parts), i, first = 0;
	const char *local, *port;

	if (n < 2)
		die_usage("invalid -L \"%s\": expected [ADDR:]LOCAL:PORT or "
			  "[ADDR:]LOCAL:HOST:PORT",
		    spec);
	if (n == 4 || (n == 3 && !all_digits(parts[0])))
		first = 1;
	f->spec = xstrdup(spec);
	f->bind_addr = xstrdup(first ? parts[0] : "127.0.0.1");
	local = parts[first];
	port = parts[n - 1];
	if (n - first == 3)
		f->host = xstrdup(parts[first + 1]);
	if (parse_port(local, 0, &f->local_port) < 0)
		die_usage("invalid -L \"%s\": local port \"%s\" is not a "
			  "number from 0 to 65535",
		    spec, local);
	if (parse_port(port, 1, &f->remote_port) < 0)
		die_usage("invalid -L \"%s\": port \"%s\" is not a number "
			  "from 1 to 65535",
		    spec, port);
	if (f->host && !*f->host)
		die_usage("invalid -L \"%s\": the host is empty", spec);
	if (!*f->bind_addr)
		die_usage("invalid -L \"%s\": the address is empty", spec);
	for (i = 0; i < n; i++)
		free(parts[i]);
}

/* --- version numbers --------------------------------------------------- */

/* Compares dotted versions numerically; a missing part counts as 0 (the
 * plugin instead counts versions with different numbers of parts as not
 * newer). */
static int
version_cmp(const char *a, const char *b)
{
	for (;;) {
		char *ea, *eb;
		unsigned long va = strtoul(a, &ea, 10);
		unsigned long vb = strtoul(b, &eb, 10);

		if (va != vb)
			return va < vb ? -1 : 1;
		if (*ea != '.' && *eb != '.')
			return 0;
		a = *ea == '.' ? ea + 1 : ea;
		b = *eb == '.' ? eb + 1 : eb;
	}
}

/* --- listening --------------------------------------------------------- */

static void
set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags >= 0)
		(void)fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* Binds and listens before any session starts, so a port in use fails
 * at once. */
static void
open_listener(struct forward *f)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char port[8], host[INET6_ADDRSTRLEN];
	int fd = -1, rc, one = 1, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", f->local_port);
	rc = getaddrinfo(f->bind_addr, port, &hints, &res);
	if (rc != 0)
		die("-L %s: cannot resolve the address \"%s\": %s", f->spec,
		    f->bind_addr, gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 128) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		die("-L %s: cannot listen on %s port %d: %s; choose another "
		    "port, or 0 for a free one",
		    f->spec, f->bind_addr, f->local_port, strerror(saved));
	set_nonblocking(fd);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		die("-L %s: getsockname: %s", f->spec, strerror(errno));
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		f->bound_port = ntohs(s6->sin6_port);
		snprintf(f->local, sizeof(f->local), "[%s]:%d", host,
		    f->bound_port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		f->bound_port = ntohs(s4->sin_port);
		snprintf(f->local, sizeof(f->local), "%s:%d", host,
		    f->bound_port);
	}
	f->listen_fd = fd;
}

/* --- local connections ------------------------------------------------- */

static void conn_readable(struct evwatch *w, int fd, void *data);

static void
send_frame(struct forward *f, enum smux_cmd cmd, uint32_t id,
    const void *p, size_t n)
{
	struct buf b = BUF_INIT;

	smux_encode(&b, cmd, id, p, n);
	dc_send(f->dc, SSM_PAYLOAD_OUTPUT, b.data, b.len);
	buf_free(&b);
}

static void
send_flag(struct forward *f, uint32_t flag)
{
	unsigned char p[4];

	p[0] = (unsigned char)(flag >> 24);
	p[1] = (unsigned char)(flag >> 16);
	p[2] = (unsigned char)(flag >> 8);
	p[3] = (unsigned char)flag;
	dc_send_message(f->dc, SSM_PAYLOAD_FLAG, p, sizeof(p));
}

static struct conn *
find_conn(struct forward *f, uint32_t id)
{
	struct conn *c;

	for (c = f->conns; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

/* Closes the local socket and removes the connection from its forward. */
static void
conn_free(struct conn *c)
{
	struct forward *f = c->f;
	struct conn **pp;

	for (pp = &f->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	evloop_unwatch(c->watch);
	/* The loop polls a duplicate of fd: shutdown ends the connection
	 * for both. Whatever was written is still delivered first. */
	(void)shutdown(c->fd, SHUT_RDWR);
	close(c->fd);
	buf_free(&c->out);
	free(c);
}

/* An smux stream is done when both sides closed it and every byte for
 * the local side went out. */
static void
conn_maybe_done(struct conn *c)
{
	if (c->remote_fin && c->out.len == 0) {
		if (!c->fin_sent && !c->f->ended) {
			send_frame(c->f, SMUX_FIN, c->id, NULL, 0);
			c->fin_sent = 1;
		}
		conn_free(c);
	}
}

/* Writes what the local socket takes now; returns -1 when it is gone. */
static int
conn_flush(struct conn *c)
{
	while (c->out.len > 0) {
		ssize_t n = send(c->fd, c->out.data, c->out.len,
		    MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			buf_consume(&c->out, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		buf_reset(&c->out);
		return -1;
	}
	return 0;
}

static void
local_gone(struct conn *c)
{
	struct forward *f = c->f;

	c->local_eof = 1;
	evloop_unwatch(c->watch);
	c->watch = NULL;
	if (!f->mux) {
		/* Basic mode: the agent closes its connection to the port and
		 * dials again when the next connection sends data. */
		if (!f->ended)
			send_flag(f, SSM_FLAG_DISCONNECT_TO_PORT);
		conn_free(c);
		evwatch_pause(f->accept_watch, 0);
		return;
	}
	if (!c->fin_sent && !f->ended) {
		send_frame(f, SMUX_FIN, c->id, NULL, 0);
		c->fin_sent = 1;
	}
	conn_maybe_done(c);
}

/* The local side reset the connection while data waited for it:
 * nothing more can reach it, so the stream ends at once. */
static void
conn_broken(struct conn *c)
{
	struct forward *f = c->f;

	if (!f->mux) {
		local_gone(c);
		return;
	}
	if (!c->fin_sent && !f->ended)
		send_frame(f, SMUX_FIN, c->id, NULL, 0);
	conn_free(c);
}

static void
conn_write(struct conn *c, const void *p, size_t n)
{
	buf_add(&c->out, p, n);
	if (conn_flush(c) < 0) {
		conn_broken(c);
		return;
	}
	if (c->out.len > 0)
		evtimer_start(&c->f->flush_timer, FLUSH_RETRY_MS);
}

static void
flush_timer(struct evtimer *t)
{
	struct forward *f = t->data;
	struct conn *c, *next;
	int waiting = 0;

	for (c = f->conns; c; c = next) {
		next = c->next;
		if (c->out.len == 0)
			continue;
		if (conn_flush(c) < 0) {
			conn_broken(c);
			continue;
		}
		if (c->out.len > 0)
			waiting = 1;
		else if (f->mux)
			conn_maybe_done(c);
	}
	if (waiting)
		evtimer_start(&f->flush_timer, FLUSH_RETRY_MS);
}

static void
pause_reading(struct forward *f, int paused)
{
	struct conn *c;

	f->reading_paused = paused;
	for (c = f->conns; c; c = c->next)
		if (c->watch)
			evwatch_pause(c->watch, paused);
}

static void
conn_readable(struct evwatch *w, int fd, void *data)
{
	struct conn *c = data;
	struct forward *f = c->f;
	unsigned char chunk[READ_CHUNK];
	size_t off;
	ssize_t n;

	(void)w;
	(void)fd;
	if (f->ended)
		return;
	if (!dc_can_send(f->dc)) {
		pause_reading(f, 1);
		return;
	}
	n = recv(c->fd, chunk, sizeof(chunk), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
			 errno == EINTR))
		return;
	if (n <= 0) {
		local_gone(c);
		return;
	}
	if (!f->mux) {
		dc_send(f->dc, SSM_PAYLOAD_OUTPUT, chunk, (size_t)n);
		return;
	}
	/* One frame per message keeps frames and messages aligned. */
	for (off = 0; off < (size_t)n; off += SSM_CHUNK - SMUX_HEADER_SIZE) {
		size_t len = (size_t)n - off;

		if (len > SSM_CHUNK - SMUX_HEADER_SIZE)
			len = SSM_CHUNK - SMUX_HEADER_SIZE;
		send_frame(f, SMUX_PSH, c->id, chunk + off, len);
	}
}

static struct conn *
conn_new(struct forward *f, int fd)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->f = f;
	c->fd = fd;
	buf_init(&c->out);
	c->next = f->conns;
	f->conns = c;
	c->watch = evloop_watch(f->app->loop, fd, conn_readable, c);
	if (!c->watch) {
		warning("-L %s: cannot watch a connection: %s", f->spec,
		    strerror(errno));
		conn_free(c);
		return NULL;
	}
	if (f->reading_paused)
		evwatch_pause(c->watch, 1);
	return c;
}

static void
on_accept(struct evwatch *w, int fd, void *data)
{
	struct forward *f = data;

	(void)w;
	(void)fd;
	while (!f->ended) {
		int cfd = accept4(f->listen_fd, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (cfd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				warning("-L %s: accept failed: %s", f->spec,
				    strerror(errno));
			return;
		}
		f->accepted++;
		c = conn_new(f, cfd);
		if (!c)
			continue;
		if (!f->mux) {
			/* Basic mode carries one connection at a time; the
			 * next ones wait in the listen queue. */
			evwatch_pause(f->accept_watch, 1);
			return;
		}
		c->id = f->next_id;
		f->next_id += 2;
		send_frame(f, SMUX_SYN, c->id, NULL, 0);
	}
}

static void
nop_timer(struct evtimer *t)
{
	struct forward *f = t->data;

	if (f->ended)
		return;
	send_frame(f, SMUX_NOP, 0, NULL, 0);
	evtimer_start(&f->nop_timer, NOP_INTERVAL_MS);
}

/* --- the sessions ------------------------------------------------------ */

static void
maybe_stop_loop(struct app *a)
{
	if (a->ended == a->n)
		evloop_stop(a->loop);
}

static void
print_ready(struct forward *f)
{
	struct exec_target *t = f->app->t;
	jv rec = jv_object();

	rec = jv_object_set(rec, jv_string("kind"), jv_string("forward"));
	rec = jv_object_set(rec, jv_string("local"), jv_string(f->local));
	rec = jv_object_set(rec, jv_string("localPort"),
	    jv_number(f->bound_port));
	if (f->host)
		rec = jv_object_set(rec, jv_string("host"),
		    jv_string(f->host));
	rec = jv_object_set(rec, jv_string("remotePort"),
	    jv_number(f->remote_port));
	rec = jv_object_set(rec, jv_string("mode"),
	    jv_string(f->mux ? "smux" : "basic"));
	rec = jv_object_set(rec, jv_string("sessionId"),
	    jv_string(f->session_id));
	rec = jv_object_set(rec, jv_string("taskArn"),
	    jv_string(t->task_arn));
	rec = jv_object_set(rec, jv_string("clusterArn"),
	    jv_string(t->cluster_arn));
	rec = jv_object_set(rec, jv_string("containerName"),
	    jv_string(t->container_name));
	if (dc_agent_version(f->dc))
		rec = jv_object_set(rec, jv_string("agentVersion"),
		    jv_string(dc_agent_version(f->dc)));
	out_record(rec);
}

static void
on_ready(struct dc_session *dc, void *data)
{
	struct forward *f = data;
	const char *version = dc_agent_version(dc);

	if (!version) {
		error("-L %s: the agent started no port forwarding session "
		      "(no handshake within %d seconds)",
		    f->spec, HANDSHAKE_WAIT);
		f->reported = 1;
		dc_close(dc, 1);
		return;
	}
	f->mux = version_cmp(version, MUX_AGENT_VERSION) > 0;
	f->flag_terminate =
	    version_cmp(version, TERMINATE_FLAG_AGENT_VERSION) > 0;
	f->ready = 1;
	aws_debug(&f->app->ctx, "-L %s: agent %s, %s mode", f->spec, version,
	    f->mux ? "smux" : "basic");
	f->accept_watch = evloop_watch(f->app->loop, f->listen_fd, on_accept,
	    f);
	if (!f->accept_watch)
		die("-L %s: cannot watch the listening socket: %s", f->spec,
		    strerror(errno));
	/* NOTE: no test covers the keep-alive, because the local AWS's
	 * agent never asks for one. */
	if (f->mux && version_cmp(version, KEEPALIVE_AGENT_VERSION) <= 0)
		evtimer_start(&f->nop_timer, NOP_INTERVAL_MS);
	print_ready(f);
}

static void
on_frame(void *ctx, const struct smux_frame *frame)
{
	struct forward *f = ctx;
	struct conn *c = find_conn(f, frame->stream_id);

	switch (frame->cmd) {
	case SMUX_PSH:
		if (c && frame->len)
			conn_write(c, frame->data, frame->len);
		break;
	case SMUX_FIN:
		if (c) {
			c->remote_fin = 1;
			conn_maybe_done(c);
		}
		break;
	default:
		/* SYN from the agent and NOP need nothing. */
		break;
	}
}

static void
on_output(struct dc_session *dc, void *data, const unsigned char *p,
    size_t n)
{
	struct forward *f = data;
	const char *why;

	if (!f->mux) {
		if (f->conns)
			conn_write(f->conns, p, n);
		else
			aws_debug(&f->app->ctx, "-L %s: %zu bytes from the "
						"agent with no connection open",
			    f->spec, n);
		return;
	}
	if (smux_feed(&f->parser, p, n, on_frame, f, &why) < 0) {
		error("-L %s: %s; ending the session", f->spec, why);
		f->reported = 1;
		dc_close(dc, 1);
	}
}

static void
on_flag(struct dc_session *dc, void *data, uint32_t flag)
{
	struct forward *f = data;

	(void)dc;
	if (flag == SSM_FLAG_CONNECT_TO_PORT_ERROR)
		warning("-L %s: the agent could not connect to %s port %d; "
			"check that something listens there",
		    f->spec, f->host ? f->host : "the task's",
		    f->remote_port);
	else
		aws_debug(&f->app->ctx, "-L %s: flag %u from the agent",
		    f->spec, flag);
}

static void
on_writable(struct dc_session *dc, void *data)
{
	(void)dc;
	pause_reading(data, 0);
}

static void begin_stop(struct app *a);

static void
close_forward(struct forward *f)
{
	evtimer_stop(&f->flush_timer);
	evtimer_stop(&f->nop_timer);
	while (f->conns)
		conn_free(f->conns);
	evloop_unwatch(f->accept_watch);
	f->accept_watch = NULL;
	if (f->listen_fd >= 0)
		close(f->listen_fd);
	f->listen_fd = -1;
}

static void
on_end(struct dc_session *dc, void *data, enum dc_end how,
    const char *message)
{
	struct forward *f = data;
	struct app *a = f->app;
	struct buf why = BUF_INIT;

	(void)dc;
	f->ended = 1;
	a->ended++;
	close_forward(f);
	if (!a->stopping) {
		/* A session that ends on its own ends the others too. */
		if (!f->reported && how != DC_END_LOCAL) {
			exec_target_stop_reason(&a->ctx, a->t, &why);
			error("-L %s: the session ended%s%s%s%s", f->spec,
			    message && *message ? ": " : "",
			    message ? message : "", why.len ? "; " : "",
			    why.len ? why.data : "");
			buf_free(&why);
		}
		a->failed = 1;
		begin_stop(a);
	}
	maybe_stop_loop(a);
}

static const struct dc_callbacks callbacks = {
    .ready = on_ready,
    .output = on_output,
    .flag = on_flag,
    .writable = on_writable,
    .end = on_end,
};

/* Closes the sessions that did not end after TerminateSession. */
static void
stop_timer(struct evtimer *t)
{
	struct app *a = t->data;
	size_t i;

	for (i = 0; i < a->n; i++)
		if (!a->fwds[i].ended)
			dc_close(a->fwds[i].dc, 1);
}

/* Ends every session: the TerminateSession flag where the agent takes
 * it, then after TERMINATE_WAIT_MS the TerminateSession call and the
 * socket's close for what is left. */
static void
begin_stop(struct app *a)
{
	size_t i;

	if (a->stopping)
		return;
	a->stopping = 1;
	for (i = 0; i < a->n; i++) {
		struct forward *f = &a->fwds[i];

		if (f->ended)
			continue;
		close_forward(f);
		if (f->ready && f->flag_terminate) {
			send_flag(f, SSM_FLAG_TERMINATE_SESSION);
			f->terminating = 1;
		} else {
			dc_close(f->dc, 1);
		}
	}
	evtimer_start(&a->stop_timer, TERMINATE_WAIT_MS);
}

/* A document parameter: a list of one string. */
static jv
port_parameter(int port)
{
	char text[8];

	snprintf(text, sizeof(text), "%d", port);
	return jv_array_append(jv_array(), jv_string(text));
}

/* Starts the session of one forward; returns -1 after reporting why. */
static int
start_session(struct forward *f)
{
	struct app *a = f->app;
	struct dc_config c;
	jv in, params, out;
	const char *sid, *url, *token;

	params = jv_object_set(jv_object(), jv_string("portNumber"),
	    port_parameter(f->remote_port));
	params = jv_object_set(params, jv_string("localPortNumber"),
	    port_parameter(f->bound_port));
	if (f->host)
		params = jv_object_set(params, jv_string("host"),
		    jv_array_append(jv_array(), jv_string(f->host)));
	in = jv_object_set(jv_object(), jv_string("Target"),
	    jv_string(a->target_id));
	in = jv_object_set(in, jv_string("DocumentName"),
	    jv_string(f->host ? "AWS-StartPortForwardingSessionToRemoteHost"
			      : "AWS-StartPortForwardingSession"));
	in = jv_object_set(in, jv_string("Parameters"), params);
	if (a->reason)
		in = jv_object_set(in, jv_string("Reason"),
		    jv_string(a->reason));
	out = aws_json_call(&a->ctx, &aws_ssm, a->t->region, "StartSession",
	    in);
	if (!jv_is_valid(out)) {
		jv_free(out);
		return -1;
	}
	sid = json_str(out, "SessionId");
	url = json_str(out, "StreamUrl");
	token = json_str(out, "TokenValue");
	if (!sid || !url || !token) {
		error("-L %s: StartSession: the response has no SessionId, "
		      "StreamUrl or TokenValue",
		    f->spec);
		jv_free(out);
		return -1;
	}
	f->session_id = xstrdup(sid);
	aws_debug(&a->ctx, "-L %s: session %s", f->spec, sid);
	memset(&c, 0, sizeof(c));
	c.session_id = sid;
	c.stream_url = url;
	c.token = token;
	c.target = a->target_id;
	c.session_type = "Port";
	c.aws = &a->ctx;
	c.region = a->t->region;
	c.ready_timeout = HANDSHAKE_WAIT;
	c.label = f->spec;
	smux_parser_init(&f->parser);
	f->next_id = 3;
	evtimer_init(&f->flush_timer, a->loop, flush_timer, f);
	evtimer_init(&f->nop_timer, a->loop, nop_timer, f);
	f->dc = dc_new(a->loop, &c, &callbacks, f);
	jv_free(out);
	return 0;
}

/* --- signals ----------------------------------------------------------- */

static void
signal_readable(struct evwatch *w, int fd, void *data)
{
	struct app *a = data;
	unsigned char c;
	size_t i;

	(void)w;
	if (read(fd, &c, 1) != 1)
		return;
	if (!a->stopping) {
		a->stop_signal = c;
		begin_stop(a);
		maybe_stop_loop(a);
		return;
	}
	if (!a->stop_signal)
		a->stop_signal = c;
	/* A second signal: close at once. */
	for (i = 0; i < a->n; i++)
		if (!a->fwds[i].ended)
			dc_close(a->fwds[i].dc, 1);
}

/* --- the target -------------------------------------------------------- */

/* Reads the one task or container record on stdin. */
static struct exec_target *
read_target(struct aws_ctx *ctx, const char *container)
{
	struct ndjson_reader r;
	struct exec_target *t = NULL;
	struct buf err = BUF_INIT;
	long records = 0;
	jv rec;

	ndjson_reader_init(&r, STDIN_FILENO, "stdin");
	while (ndjson_next(&r, &rec, NULL)) {
		records++;
		if (!t) {
			t = exec_target_from_record(rec, ctx->region,
			    container, &err);
			if (!t)
				die_usage("stdin:%ld: %s", r.line_no,
				    err.data);
		}
		jv_free(rec);
	}
	if (r.errors)
		die_usage("stdin has %d malformed line%s", r.errors,
		    r.errors == 1 ? "" : "s");
	if (records > 1)
		die_usage("stdin has %ld records; ecs-forward forwards into "
			  "one task (pick one with ecs-pick)",
		    records);
	if (!t)
		die_usage("no target: give --task, or pipe one task or "
			  "container record (ecs-ls tasks | ecs-pick)");
	ndjson_reader_free(&r);
	buf_free(&err);
	return t;
}

/* The first container whose ECS Exec agent runs, else the first one (so
 * the error reports why it cannot forward), or NULL. Borrows task. */
static const char *
pick_container(jv task)
{
	jv containers = json_path(task, "containers", NULL);
	const char *found = NULL, *first = NULL;
	int i, n = jv_get_kind(containers) == JV_KIND_ARRAY
		       ? jv_array_length(jv_copy(containers))
		       : 0;

	/* The names stay alive in task, which the caller holds. */
	for (i = 0; i < n && !found; i++) {
		jv c = jv_array_get(jv_copy(containers), i);
		jv agents = json_path(c, "managedAgents", NULL);
		int j, m = jv_get_kind(agents) == JV_KIND_ARRAY
			       ? jv_array_length(jv_copy(agents))
			       : 0;

		if (!first)
			first = json_str(c, "name");
		for (j = 0; j < m && !found; j++) {
			jv ag = jv_array_get(jv_copy(agents), j);
			const char *name = json_str(ag, "name");
			const char *status = json_str(ag, "lastStatus");

			if (name && strcmp(name, "ExecuteCommandAgent") == 0 &&
			    status && strcmp(status, "RUNNING") == 0)
				found = json_str(c, "name");
			jv_free(ag);
		}
		jv_free(agents);
		jv_free(c);
	}
	jv_free(containers);
	return found ? found : first;
}

/* Resolves the target. Every container of a task shares its network in
 * awsvpc mode (Fargate), so without --container any container whose
 * agent runs will do. */
static struct exec_target *
resolve_target(struct aws_ctx *ctx, struct exec_target *t)
{
	if (exec_targets_resolve(ctx, &t, 1) < 0)
		die("cannot describe the task (see above)");
	if (t->error && !t->container &&
	    jv_get_kind(t->task_obj) == JV_KIND_OBJECT) {
		const char *name = pick_container(t->task_obj);

		if (name) {
			struct exec_target *again = exec_target_new(t->region,
			    t->cluster, t->task, name);

			exec_target_free(t);
			t = again;
			if (exec_targets_resolve(ctx, &t, 1) < 0)
				die("cannot describe the task (see above)");
		}
	}
	if (t->error)
		die("%s", t->error);
	if (t->agent_starting)
		die("%s: the ECS Exec agent is still starting; try again in a "
		    "few seconds",
		    t->label);
	return t;
}

/* --- main -------------------------------------------------------------- */

struct options {
	const char *cluster, *task, *container;
	const char **specs;
	size_t n_specs;
};

static void
parse_options(struct app *a, int argc, char **argv,
    struct cli_common *common, struct options *o)
{
	static const struct option longopts[] = {
	    CLI_COMMON_LONG,
	    {"cluster", required_argument, NULL, 'c'},
	    {"task", required_argument, NULL, OPT_TASK},
	    {"container", required_argument, NULL, 'n'},
	    {"reason", required_argument, NULL, OPT_REASON},
	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "c:n:L:",
		    longopts, NULL)) != -1) {
		if (cli_common_option(common, c, optarg, usage))
			continue;
		switch (c) {
		case 'c':
			o->cluster = optarg;
			break;
		case OPT_TASK:
			o->task = optarg;
			break;
		case 'n':
			o->container = optarg;
			break;
		case 'L':
			o->specs = xrealloc(o->specs,
			    (o->n_specs + 1) * sizeof(*o->specs));
			o->specs[o->n_specs++] = optarg;
			break;
		case OPT_REASON:
			if (!*optarg || strlen(optarg) > MAX_REASON)
				die_usage("invalid --reason: expected 1 to %d "
					  "characters",
				    MAX_REASON);
			a->reason = optarg;
			break;
		default:
			die_usage("unexpected option");
		}
	}
	if (optind < argc)
		die_usage("unexpected argument \"%s\"", argv[optind]);
	if (o->n_specs == 0)
		die_usage("nothing to forward: give -L LOCAL:PORT or -L "
			  "LOCAL:HOST:PORT");
	if (o->cluster && !o->task)
		die_usage("--cluster needs --task (or a task record on "
			  "stdin)");
}

static void
app_free(struct app *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		struct forward *f = &a->fwds[i];

		close_forward(f);
		dc_free(f->dc);
		smux_parser_free(&f->parser);
		free(f->spec);
		free(f->bind_addr);
		free(f->host);
		free(f->session_id);
	}
	free(a->fwds);
	evloop_unwatch_signals(a->signals);
	evtimer_stop(&a->stop_timer);
	evloop_free(a->loop);
	exec_target_free(a->t);
	free(a->target_id);
	aws_ctx_free(&a->ctx);
}

int
main(int argc, char **argv)
{
	struct cli_common common = {0};
	struct options o = {0};
	struct aws_options ao;
	struct app a;
	struct exec_target *t;
	size_t i;
	int status;

	cli_setup(argc, argv);
	memset(&a, 0, sizeof(a));
	parse_options(&a, argc, argv, &common, &o);
	a.n = o.n_specs;
	a.fwds = xcalloc(a.n, sizeof(*a.fwds));
	for (i = 0; i < a.n; i++) {
		a.fwds[i].app = &a;
		a.fwds[i].listen_fd = -1;
		parse_forward(o.specs[i], &a.fwds[i]);
	}
	free(o.specs);

	cli_aws_options(&common, &ao);
	ao.need_region = 1;
	aws_ctx_init(&a.ctx, &ao);
	if (o.task)
		t = exec_target_new(a.ctx.region, o.cluster, o.task,
		    o.container);
	else if (isatty(STDIN_FILENO))
		die_usage("no target: give --task, or pipe one task or "
			  "container record (ecs-ls tasks | ecs-pick)");
	else
		t = read_target(&a.ctx, o.container);
	a.t = resolve_target(&a.ctx, t);
	a.target_id = exec_target_ssm_id(a.t);
	for (i = 0; i < a.n; i++)
		open_listener(&a.fwds[i]);

	a.loop = evloop_new(&dc_protocol, a.ctx.debug);
	/* Sockets and TLS report a closed peer as an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	out_set_flush_each(1);
	a.signals = evloop_watch_signals(a.loop, signal_readable, &a);
	evtimer_init(&a.stop_timer, a.loop, stop_timer, &a);
	for (i = 0; i < a.n; i++) {
		if (start_session(&a.fwds[i]) == 0)
			continue;
		/* The forwards started so far end as after Ctrl-C. */
		a.failed = 1;
		a.fwds[i].ended = 1;
		a.ended += a.n - i;
		while (++i < a.n)
			a.fwds[i].ended = 1;
		begin_stop(&a);
		break;
	}
	if (a.ended < a.n && evloop_run(a.loop) < 0)
		error("the event loop failed");
	out_flush();
	if (a.stop_signal)
		status = 128 + a.stop_signal;
	else
		status = a.failed ? EXIT_RUNTIME : EXIT_OK;
	app_free(&a);
	return status;
}
