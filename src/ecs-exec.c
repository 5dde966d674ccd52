/* ecs-exec: runs a shell or a command in an ECS container through ECS Exec,
 * speaking the Session Manager data channel itself. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws.h"
#include "cli.h"
#include "datachannel.h"
#include "evloop.h"
#include "execcheck.h"
#include "exectarget.h"
#include "execwrap.h"
#include "json.h"
#include "output.h"
#include "records.h"
#include "ssmmsg.h"
#include "term.h"
#include "text.h"
#include "util.h"

static const char usage[] =
    "Usage: ecs-exec [OPTIONS] [-- COMMAND [ARGS...]]\n"
    "Run a shell or a command in an ECS container through ECS Exec.\n"
    "\n"
    "The target is --task (with --cluster and --container), or the task\n"
    "or container records on stdin (from ecs-ls or ecs-pick). Without\n"
    "COMMAND the remote command is /bin/sh.\n"
    "\n"
    "Options:\n"
    "  -c, --cluster NAME     cluster of --task (name or ARN; default:\n"
    "                         the default cluster)\n"
    "      --task TASK        task id or ARN\n"
    "  -n, --container NAME   container (needed when the task has several)\n"
    "  -t, --tty              interactive: raw terminal, keys from /dev/tty\n"
    "  -T, --no-tty           non-interactive: output to stdout, exit\n"
    "                         with the remote status\n"
    "      --no-wrap          run COMMAND as it is, without the sh\n"
    "                         wrapper (images without sh): no exit\n"
    "                         status, output as the terminal makes it\n"
    "  -P, --parallel N       sessions at once with several targets\n"
    "                         (default 1)\n"
    "  -o, --output FMT       with several targets: text (lines prefixed\n"
    "                         with TASK/CONTAINER) or json (records)\n"
    "      --check            check the targets for ECS Exec, one record\n"
    "                         per check, without starting a session\n"
    "      --agent-wait SEC   retry while the agent in the container is\n"
    "                         not connected yet (default 30)\n"
    "      --keepalive SEC    seconds between pings; no answer for 1.5\n"
    "                         times that ends the connection (default 30)\n"
    "  -p, --profile NAME     AWS profile\n"
    "  -r, --region REGION    AWS region\n"
    "      --endpoint-url URL send every request to URL\n"
    "      --debug            log requests and the data channel to stderr\n"
    "  -h, --help             show this help\n"
    "  -V, --version          show the version\n"
    "\n"
    "Interactive mode (a terminal on stdout, or -t): Enter then ~. ends\n"
    "a hung session; ~~ sends one ~.\n"
    "\n"
    "Exit status: the remote command's in non-interactive mode (the\n"
    "worst one with several targets); 0 after an interactive session;\n"
    "2 usage error; 255 when the session or an AWS call failed.\n";

#define EXIT_SESSION 255
/* After the exit marker, how long to wait for channel_closed. */
#define CLOSE_GRACE_MS 2000
#define TNC_FIRST_DELAY_MS 1000
#define TNC_MAX_DELAY_MS 8000
/* Local input read per call: one data channel message after encoding
 * in most cases. */
#define INPUT_CHUNK 1024

enum {
	OPT_TASK = OPT_PROGRAM,
	OPT_CHECK,
	OPT_NO_WRAP,
	OPT_AGENT_WAIT,
	OPT_KEEPALIVE,
};

enum output_mode {
	OUT_RAW,		/* bytes as they come (one target) */
	OUT_PREFIX,		/* "TASK/CONTAINER: line" */
	OUT_JSON,		/* one record per line */
};

struct exec;

struct session {
	struct exec *x;
	struct exec_target *t;
	struct dc_session *dc;
	char *session_id;
	char nonce[EXECWRAP_NONCE_SIZE];
	struct markfilter filter;
	struct ttyenc enc;
	struct buf line;	/* an unfinished output line */
	int status;		/* remote status, or -1 */
	int marker_seen;	/* the wrapper's exit marker arrived */
	int started, done;
	int input_started;
	int64_t agent_deadline;
	int64_t agent_delay;
	int agent_notice;
	struct evtimer agent_retry, close_grace;
};

struct exec {
	struct aws_ctx ctx;
	struct evloop *loop;
	struct session *s;
	size_t n, next, running, finished;
	int interactive;
	int wrap;
	int forward_stdin;
	int parallel;
	int agent_wait;
	int keepalive;
	enum output_mode out;
	int argc;
	char **argv;

	/* Local input. */
	struct evwatch *input, *tty_events, *signals;
	struct session *input_owner;
	struct term term;	/* /dev/tty in interactive mode */
	int at_line_start, after_tilde;
	unsigned cols, rows;
	int escaped;
	int exit_signal;
};

static void start_next(struct exec *x);
static void session_finished(struct session *s);

static int
is_pipe_error(void)
{
	return errno == EPIPE;
}

/* stdout went away: end quietly like a program killed by SIGPIPE. */
static void
stdout_closed(struct exec *x)
{
	term_restore(&x->term);
	signal(SIGPIPE, SIG_DFL);
	raise(SIGPIPE);
	exit(EXIT_SESSION);
}

static void
write_stdout(struct exec *x, const void *p, size_t n)
{
	if (write_all(STDOUT_FILENO, p, n) < 0) {
		if (is_pipe_error())
			stdout_closed(x);
		die("cannot write to stdout: %s", strerror(errno));
	}
}

/* Notices on stderr; while the terminal is raw, lines end in CR LF. */
static void
notice(struct exec *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
notice(struct exec *x, const char *fmt, ...)
{
	va_list ap;
	struct buf msg = BUF_INIT, b = BUF_INIT;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	buf_addf(&b, "%s: ", program_name);
	text_sanitize(msg.data, msg.len, 0, &b);
	buf_adds(&b, x->term.is_raw ? "\r\n" : "\n");
	(void)write_all(STDERR_FILENO, b.data, b.len);
	buf_free(&msg);
	buf_free(&b);
}

/* Output. */

static void
emit_line(struct session *s, const char *p, size_t n)
{
	struct exec *x = s->x;

	if (x->out == OUT_JSON) {
		jv rec = jv_object();

		rec = jv_object_set(rec, jv_string("kind"),
		    jv_string("execOutput"));
		rec = jv_object_set(rec, jv_string("clusterArn"),
		    jv_string(s->t->cluster_arn));
		rec = jv_object_set(rec, jv_string("taskArn"),
		    jv_string(s->t->task_arn));
		rec = jv_object_set(rec, jv_string("containerName"),
		    jv_string(s->t->container_name));
		rec = jv_object_set(rec, jv_string("line"),
		    jv_string_sized(p, (int)n));
		out_record(rec);
	} else {
		struct buf b = BUF_INIT;

		buf_addf(&b, "%s: ", s->t->label);
		buf_add(&b, p, n);
		buf_addc(&b, '\n');
		write_stdout(x, b.data, b.len);
		buf_free(&b);
	}
}

static void
emit(struct session *s, const char *p, size_t n)
{
	const char *nl;

	if (n == 0)
		return;
	if (s->x->out == OUT_RAW) {
		write_stdout(s->x, p, n);
		return;
	}
	buf_add(&s->line, p, n);
	while ((nl = memchr(s->line.data, '\n', s->line.len)) != NULL) {
		size_t len = (size_t)(nl - s->line.data);

		emit_line(s, s->line.data, len);
		buf_consume(&s->line, len + 1);
	}
}

static void
emit_end(struct session *s)
{
	struct exec *x = s->x;

	if (x->out != OUT_RAW && s->line.len > 0) {
		emit_line(s, s->line.data, s->line.len);
		buf_reset(&s->line);
	}
	if (x->out == OUT_JSON) {
		jv rec = jv_object();

		rec = jv_object_set(rec, jv_string("kind"),
		    jv_string("execResult"));
		rec = jv_object_set(rec, jv_string("clusterArn"),
		    jv_string(s->t->cluster_arn ? s->t->cluster_arn : ""));
		rec = jv_object_set(rec, jv_string("taskArn"),
		    jv_string(s->t->task_arn ? s->t->task_arn : s->t->task));
		rec = jv_object_set(rec, jv_string("containerName"),
		    s->t->container_name ? jv_string(s->t->container_name)
					 : jv_null());
		rec = jv_object_set(rec, jv_string("sessionId"),
		    s->session_id ? jv_string(s->session_id) : jv_null());
		rec = jv_object_set(rec, jv_string("exitCode"),
		    jv_number(s->status));
		out_record(rec);
	}
}

/* Local input: stdin in non-interactive mode, /dev/tty otherwise. */

static void
send_input(struct session *s, const void *p, size_t n)
{
	struct exec *x = s->x;

	if (x->wrap && !x->interactive) {
		struct buf enc = BUF_INIT;

		ttyenc_add(&s->enc, p, n, &enc);
		dc_send(s->dc, SSM_PAYLOAD_OUTPUT, enc.data, enc.len);
		buf_free(&enc);
	} else {
		dc_send(s->dc, SSM_PAYLOAD_OUTPUT, p, n);
	}
}

static void
send_eof(struct session *s)
{
	struct buf enc = BUF_INIT;

	if (s->x->wrap)
		ttyenc_eof(&s->enc, &enc);
	else
		buf_addc(&enc, 0x04);
	dc_send(s->dc, SSM_PAYLOAD_OUTPUT, enc.data, enc.len);
	buf_free(&enc);
}

/* Keys with the escape sequence: ~. after Enter ends the session. */
static void
send_keys(struct exec *x, struct session *s, const unsigned char *p,
    size_t n)
{
	struct buf out = BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (x->after_tilde) {
			x->after_tilde = 0;
			if (c == '.') {
				x->escaped = 1;
				notice(x, "session ended with ~.");
				dc_close(s->dc, 1);
				break;
			}
			if (c != '~')
				buf_addc(&out, '~');
		} else if (x->at_line_start && c == '~') {
			x->after_tilde = 1;
			x->at_line_start = 0;
			continue;
		}
		buf_addc(&out, (char)c);
		x->at_line_start = c == '\r' || c == '\n';
	}
	if (out.len && !x->escaped)
		dc_send(s->dc, SSM_PAYLOAD_OUTPUT, out.data, out.len);
	buf_free(&out);
}

static void
input_readable(struct evwatch *w, int fd, void *data)
{
	struct exec *x = data;
	struct session *s = x->input_owner;
	unsigned char b[INPUT_CHUNK];
	ssize_t n;

	if (!s || !s->dc || s->done) {
		evwatch_pause(w, 1);
		return;
	}
	if (!dc_can_send(s->dc)) {
		evwatch_pause(w, 1);
		return;
	}
	n = read(fd, b, sizeof(b));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		if (n < 0)
			notice(x, "cannot read %s: %s",
			    x->interactive ? "/dev/tty" : "stdin",
			    strerror(errno));
		evloop_unwatch(w);
		x->input = NULL;
		if (!x->interactive)
			send_eof(s);
		return;
	}
	if (x->interactive)
		send_keys(x, s, b, (size_t)n);
	else
		send_input(s, b, (size_t)n);
}

static void
send_size(struct exec *x, struct session *s, int always)
{
	unsigned cols, rows;

	if (term_update_size(&x->term) < 0)
		return;
	cols = (unsigned)x->term.cols;
	rows = (unsigned)x->term.rows;
	if (!always && cols == x->cols && rows == x->rows)
		return;
	x->cols = cols;
	x->rows = rows;
	dc_send_size(s->dc, cols, rows);
}

/* Sends the size after SIGWINCH, and after SIGCONT too, because the
 * window may have changed size while the program was stopped. */
static void
tty_event_readable(struct evwatch *w, int fd, void *data)
{
	struct exec *x = data;
	char ev[64];
	ssize_t n, i;

	(void)w;
	while ((n = read(fd, ev, sizeof(ev))) > 0)
		for (i = 0; i < n; i++)
			if (ev[i] == TERM_EVENT_RESUME)
				term_resume(&x->term);
	if (x->input_owner && x->input_owner->dc && !x->input_owner->done)
		send_size(x, x->input_owner, 0);
}

static void
start_input(struct session *s)
{
	struct exec *x = s->x;

	if (s->input_started)
		return;
	s->input_started = 1;
	if (x->interactive) {
		send_size(x, s, 1);
		x->input_owner = s;
		x->at_line_start = 1;
		x->input = evloop_watch(x->loop, x->term.fd, input_readable,
		    x);
		x->tty_events = evloop_watch(x->loop, x->term.signal_pipe[0],
		    tty_event_readable, x);
		return;
	}
	if (x->forward_stdin && x->n == 1) {
		x->input_owner = s;
		x->input = evloop_watch(x->loop, STDIN_FILENO, input_readable,
		    x);
		if (!x->input)
			notice(x, "cannot read stdin: %s", strerror(errno));
		else
			return;
	}
	/* No local input: the remote command reads end of file. */
	send_eof(s);
}

/* Data channel callbacks. */

static void
on_ready(struct dc_session *dc, void *data)
{
	struct session *s = data;

	(void)dc;
	if (s->x->interactive || !s->x->wrap)
		start_input(s);
}

static void
close_grace_timer(struct evtimer *t)
{
	struct session *s = t->data;

	if (!s->done)
		dc_close(s->dc, 1);
}

static void
on_output(struct dc_session *dc, void *data, const unsigned char *p,
    size_t n)
{
	struct session *s = data;
	struct buf out = BUF_INIT;

	(void)dc;
	if (s->x->interactive || !s->x->wrap) {
		emit(s, (const char *)p, n);
		return;
	}
	if (markfilter_feed(&s->filter, p, n, &out)) {
		if (s->filter.state == MARK_RUNNING)
			start_input(s);
	}
	emit(s, out.data, out.len);
	buf_free(&out);
	if (s->filter.state == MARK_DONE && !s->marker_seen) {
		s->marker_seen = 1;
		if (s->status < 0)
			s->status = s->filter.status;
		evtimer_start(&s->close_grace, CLOSE_GRACE_MS);
	} else if (s->filter.state == MARK_FAILED && !s->done) {
		notice(s->x, "%s: the container has no stty or cat, which "
			     "non-interactive mode needs to pass bytes "
			     "unchanged; use --no-wrap or -t",
		    s->t->label);
		dc_close(s->dc, 1);
	}
}

/* StdErr payloads: only agents running separate output streams send
 * them, never the pseudo-terminal of ECS Exec. */
static void
on_error_output(struct dc_session *dc, void *data, const unsigned char *p,
    size_t n)
{
	struct session *s = data;

	(void)dc;
	if (write_all(STDERR_FILENO, p, n) < 0 && errno == EPIPE)
		stdout_closed(s->x);
}

/* An ExitCode payload is the agent's own report, so it wins over the
 * wrapper's marker. */
static void
on_exit_code(struct dc_session *dc, void *data, int code)
{
	struct session *s = data;

	(void)dc;
	if (!s->x->interactive)
		s->status = code;
}

static void
on_writable(struct dc_session *dc, void *data)
{
	struct session *s = data;

	(void)dc;
	if (s->x->input && s->x->input_owner == s)
		evwatch_pause(s->x->input, 0);
}

static void
print_before_ready(struct session *s)
{
	struct buf clean = BUF_INIT;

	if (s->filter.before.len == 0)
		return;
	text_sanitize(s->filter.before.data, s->filter.before.len, 1,
	    &clean);
	notice(s->x, "%s: output before the command started: %.*s",
	    s->t->label, (int)clean.len, clean.data);
	buf_free(&clean);
}

static void
on_end(struct dc_session *dc, void *data, enum dc_end how,
    const char *message)
{
	struct session *s = data;
	struct exec *x = s->x;
	struct buf why = BUF_INIT;

	(void)dc;
	evtimer_stop(&s->close_grace);
	if (x->interactive)
		term_restore(&x->term);
	if (how == DC_END_CLOSED && *message)
		notice(x, "%s: %s", s->t->label, message);
	else if (how == DC_END_FAILED || how == DC_END_TIMED_OUT)
		notice(x, "%s: %s", s->t->label, message);

	if (x->interactive) {
		if (how != DC_END_CLOSED || x->escaped)
			s->status = EXIT_SESSION;
		else
			s->status = 0;
	} else if (!x->wrap) {
		if (s->status < 0)
			s->status = how == DC_END_CLOSED ? 0 : EXIT_SESSION;
	} else if (s->status < 0) {
		if (s->filter.state == MARK_WAIT_READY) {
			if (how == DC_END_CLOSED)
				notice(x, "%s: the session ended before the "
					  "command started: the container "
					  "needs /bin/sh for non-interactive "
					  "mode (or use --no-wrap)",
				    s->t->label);
			print_before_ready(s);
		} else if (s->filter.state != MARK_FAILED &&
			   how != DC_END_LOCAL) {
			notice(x, "%s: the session ended without the "
				  "command's exit status",
			    s->t->label);
		}
		s->status = EXIT_SESSION;
	}
	if (s->status == EXIT_SESSION && how != DC_END_LOCAL) {
		exec_target_stop_reason(&x->ctx, s->t, &why);
		if (why.len)
			notice(x, "%s: %s", s->t->label, why.data);
	}
	buf_free(&why);
	session_finished(s);
}

/* Starting sessions. */

static const struct dc_callbacks callbacks = {
    .ready = on_ready,
    .output = on_output,
    .error_output = on_error_output,
    .exit_code = on_exit_code,
    .writable = on_writable,
    .end = on_end,
};

static const char *
session_field(jv session, const char *lower, const char *upper)
{
	const char *v = json_str(session, lower);

	return v ? v : json_str(session, upper);
}

static void
explain_not_connected(struct session *s)
{
	notice(s->x,
	    "%s: the SSM agent in the container is not connected to Session "
	    "Manager. Usual causes: the task role lacks "
	    "ssmmessages:CreateControlChannel, CreateDataChannel, "
	    "OpenControlChannel and OpenDataChannel; the task cannot reach "
	    "ssmmessages.%s.amazonaws.com (no NAT gateway, public IP or VPC "
	    "endpoint); the task started before ECS Exec was enabled; the "
	    "agent is still starting. Run ecs-exec --check for details.",
	    s->t->label, s->t->region);
}

static void
open_channel(struct session *s, jv out)
{
	struct exec *x = s->x;
	jv sess = jv_object_get(jv_copy(out), jv_string("session"));
	struct dc_config c;
	char *target = exec_target_ssm_id(s->t);
	struct buf audit = BUF_INIT;
	const char *sid = session_field(sess, "sessionId", "SessionId");

	memset(&c, 0, sizeof(c));
	c.session_id = sid;
	c.stream_url = session_field(sess, "streamUrl", "StreamUrl");
	c.token = session_field(sess, "tokenValue", "TokenValue");
	c.target = target;
	c.session_type = "InteractiveCommands";
	c.aws = &x->ctx;
	c.region = s->t->region;
	c.keepalive = x->keepalive;
	c.label = s->t->label;
	if (!c.stream_url || !c.token || !sid) {
		notice(x, "%s: ExecuteCommand: the response has no session "
			  "(sessionId, streamUrl, tokenValue)",
		    s->t->label);
		s->status = EXIT_SESSION;
		jv_free(sess);
		free(target);
		session_finished(s);
		return;
	}
	s->session_id = xstrdup(sid);
	aws_debug(&x->ctx, "%s: session %s", s->t->label, sid);
	if (x->interactive) {
		exec_audit_destination(s->t->cluster_obj, &audit);
		notice(x, "session %s on %s", sid, s->t->label);
		notice(x, "audit log: %s", audit.data);
		if (term_raw(&x->term, NULL, NULL) < 0)
			die("cannot switch /dev/tty to raw mode: %s",
			    strerror(errno));
	}
	s->dc = dc_new(x->loop, &c, &callbacks, s);
	buf_free(&audit);
	jv_free(sess);
	free(target);
}

static void execute_command(struct session *s);

static void
agent_retry_timer(struct evtimer *t)
{
	execute_command(t->data);
}

static void
execute_command(struct session *s)
{
	struct exec *x = s->x;
	struct buf cmd = BUF_INIT;
	struct aws_request *req;
	jv in;

	execwrap_command(&cmd, x->argc, x->argv,
	    x->wrap && !x->interactive ? s->nonce : NULL);
	in = jv_object();
	in = jv_object_set(in, jv_string("cluster"),
	    jv_string(s->t->cluster_arn));
	in = jv_object_set(in, jv_string("task"), jv_string(s->t->task_arn));
	in = jv_object_set(in, jv_string("container"),
	    jv_string(s->t->container_name));
	in = jv_object_set(in, jv_string("command"), jv_string(cmd.data));
	in = jv_object_set(in, jv_string("interactive"), jv_true());
	buf_free(&cmd);
	req = aws_json_request(&x->ctx, &aws_ecs, s->t->region,
	    "ExecuteCommand", in);
	req->secret_body = 1;
	if (aws_perform(req) == 0) {
		jv out = aws_request_take_output(req);

		aws_request_free(req);
		open_channel(s, out);
		jv_free(out);
		return;
	}
	if (req->error.code &&
	    strcmp(req->error.code, "TargetNotConnectedException") == 0 &&
	    monotonic_ms() + s->agent_delay < s->agent_deadline) {
		if (!s->agent_notice++)
			notice(x, "%s: waiting for the agent in the container "
				  "to connect",
			    s->t->label);
		aws_request_free(req);
		evtimer_start(&s->agent_retry, s->agent_delay);
		s->agent_delay = s->agent_delay * 2 > TNC_MAX_DELAY_MS
		    ? TNC_MAX_DELAY_MS
		    : s->agent_delay * 2;
		return;
	}
	aws_report_error(req);
	if (req->error.code &&
	    strcmp(req->error.code, "TargetNotConnectedException") == 0)
		explain_not_connected(s);
	aws_request_free(req);
	s->status = EXIT_SESSION;
	session_finished(s);
}

static void
start_session(struct session *s)
{
	struct exec *x = s->x;

	s->started = 1;
	x->running++;
	if (s->t->error) {
		notice(x, "%s", s->t->error);
		s->status = EXIT_SESSION;
		session_finished(s);
		return;
	}
	s->agent_delay = TNC_FIRST_DELAY_MS;
	s->agent_deadline = monotonic_ms() + (int64_t)x->agent_wait * 1000;
	execute_command(s);
}

static void
start_next(struct exec *x)
{
	while (x->next < x->n && x->running < (size_t)x->parallel &&
	       !x->exit_signal)
		start_session(&x->s[x->next++]);
	if (x->finished == x->n)
		evloop_stop(x->loop);
}

static void
session_finished(struct session *s)
{
	struct exec *x = s->x;

	if (s->done)
		return;
	s->done = 1;
	emit_end(s);
	if (x->input_owner == s) {
		evloop_unwatch(x->input);
		evloop_unwatch(x->tty_events);
		x->input = x->tty_events = NULL;
		x->input_owner = NULL;
	}
	x->running--;
	x->finished++;
	start_next(x);
}

/* Signals arrive through a pipe so the loop handles them. */

static void
signal_readable(struct evwatch *w, int fd, void *data)
{
	struct exec *x = data;
	unsigned char c;
	size_t i;

	(void)w;
	if (read(fd, &c, 1) != 1)
		return;
	x->exit_signal = c;
	for (i = 0; i < x->n; i++)
		if (x->s[i].dc && !x->s[i].done)
			dc_close(x->s[i].dc, 1);
	evloop_stop(x->loop);
}

/* Targets. */

static struct exec_target **
read_targets(struct aws_ctx *ctx, const char *container, size_t *n)
{
	struct ndjson_reader r;
	struct exec_target **t = NULL;
	struct buf err = BUF_INIT;
	jv rec;

	*n = 0;
	ndjson_reader_init(&r, STDIN_FILENO, "stdin");
	while (ndjson_next(&r, &rec, NULL)) {
		struct exec_target *one;

		buf_reset(&err);
		one = exec_target_from_record(rec, ctx->region, container,
		    &err);
		jv_free(rec);
		if (!one) {
			error("stdin:%ld: %s", r.line_no, err.data);
			r.errors++;
			continue;
		}
		t = xrealloc(t, (*n + 1) * sizeof(*t));
		t[(*n)++] = one;
	}
	if (r.errors)
		die("stdin has %d unusable line%s; nothing was run", r.errors,
		    r.errors == 1 ? "" : "s");
	ndjson_reader_free(&r);
	buf_free(&err);
	return t;
}

struct options {
	const char *cluster, *task, *container, *format;
	int tty, no_tty, no_wrap, check;
	long parallel, agent_wait, keepalive;
};

static void
parse_options(int argc, char **argv, struct cli_common *common,
    struct options *o)
{
	static const struct option longopts[] = {
	    CLI_COMMON_LONG,
	    {"cluster", required_argument, NULL, 'c'},
	    {"task", required_argument, NULL, OPT_TASK},
	    {"container", required_argument, NULL, 'n'},
	    {"tty", no_argument, NULL, 't'},
	    {"no-tty", no_argument, NULL, 'T'},
	    {"no-wrap", no_argument, NULL, OPT_NO_WRAP},
	    {"parallel", required_argument, NULL, 'P'},
	    {"output", required_argument, NULL, 'o'},
	    {"check", no_argument, NULL, OPT_CHECK},
	    {"agent-wait", required_argument, NULL, OPT_AGENT_WAIT},
	    {"keepalive", required_argument, NULL, OPT_KEEPALIVE},
	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "+" CLI_COMMON_SHORT "c:n:tTP:o:",
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
		case 't':
			o->tty = 1;
			break;
		case 'T':
			o->no_tty = 1;
			break;
		case OPT_NO_WRAP:
			o->no_wrap = 1;
			break;
		case 'P':
			if (parse_long(optarg, 1, 64, &o->parallel) < 0)
				die_usage("invalid --parallel \"%s\": expected "
					  "a number from 1 to 64",
				    optarg);
			break;
		case 'o':
			o->format = optarg;
			break;
		case OPT_CHECK:
			o->check = 1;
			break;
		case OPT_AGENT_WAIT:
			if (parse_long(optarg, 0, 3600, &o->agent_wait) < 0)
				die_usage("invalid --agent-wait \"%s\": "
					  "expected seconds from 0 to 3600",
				    optarg);
			break;
		case OPT_KEEPALIVE:
			if (parse_long(optarg, 1, 3600, &o->keepalive) < 0)
				die_usage("invalid --keepalive \"%s\": "
					  "expected seconds from 1 to 3600",
				    optarg);
			break;
		default:
			die_usage("unexpected option");
		}
	}
	if (o->tty && o->no_tty)
		die_usage("-t and -T exclude each other");
	if (!o->task && (o->cluster) && !o->check)
		die_usage("--cluster needs --task (or task records on stdin)");
}

static int
exit_status(struct exec *x)
{
	int worst = 0;
	size_t i;

	if (x->exit_signal)
		return 128 + x->exit_signal;
	for (i = 0; i < x->n; i++) {
		int st = x->s[i].status < 0 ? EXIT_SESSION : x->s[i].status;

		if (st > worst)
			worst = st;
	}
	return worst;
}

static void
free_sessions(struct exec *x)
{
	size_t i;

	for (i = 0; i < x->n; i++) {
		struct session *s = &x->s[i];

		evtimer_stop(&s->agent_retry);
		evtimer_stop(&s->close_grace);
		dc_free(s->dc);
		free(s->session_id);
		markfilter_free(&s->filter);
		buf_free(&s->line);
	}
	free(x->s);
}

static int
run_sessions(struct exec *x, struct exec_target **t)
{
	size_t i;
	int status;

	x->loop = evloop_new(&dc_protocol, x->ctx.debug);
	/* Sockets and TLS report a closed peer as an error, not a signal;
	 * stdout's EPIPE is handled where it is written. */
	signal(SIGPIPE, SIG_IGN);
	x->signals = evloop_watch_signals(x->loop, signal_readable, x);
	x->s = xcalloc(x->n, sizeof(*x->s));
	for (i = 0; i < x->n; i++) {
		struct session *s = &x->s[i];

		s->x = x;
		s->t = t[i];
		s->status = -1;
		execwrap_nonce(s->nonce);
		markfilter_init(&s->filter, s->nonce);
		buf_init(&s->line);
		evtimer_init(&s->agent_retry, x->loop, agent_retry_timer, s);
		evtimer_init(&s->close_grace, x->loop, close_grace_timer, s);
	}
	start_next(x);
	if (x->finished < x->n && evloop_run(x->loop) < 0)
		error("the event loop failed");
	term_restore(&x->term);
	out_flush();
	status = exit_status(x);
	evloop_unwatch(x->input);
	evloop_unwatch(x->tty_events);
	evloop_unwatch_signals(x->signals);
	free_sessions(x);
	evloop_free(x->loop);
	if (x->interactive)
		term_close(&x->term);
	return status;
}

int
main(int argc, char **argv)
{
	struct cli_common common = {0};
	struct options o = {0};
	struct aws_options ao;
	struct exec x;
	struct exec_target **t;
	enum output_format fmt;
	size_t i, n;
	int status;

	cli_setup(argc, argv);
	die_status = EXIT_SESSION;
	memset(&x, 0, sizeof(x));
	o.parallel = 1;
	o.agent_wait = 30;
	parse_options(argc, argv, &common, &o);
	x.argc = argc - optind;
	x.argv = argv + optind;
	if (o.check && (o.tty || x.argc > 0))
		die_usage("--check runs no command");

	cli_aws_options(&common, &ao);
	ao.need_region = 1;
	aws_ctx_init(&x.ctx, &ao);

	if (o.task) {
		t = xcalloc(1, sizeof(*t));
		t[0] = exec_target_new(x.ctx.region, o.cluster, o.task,
		    o.container);
		n = 1;
		x.forward_stdin = 1;
	} else {
		if (isatty(STDIN_FILENO))
			die_usage("no target: give --task, or pipe task or "
				  "container records (ecs-ls tasks) to stdin");
		t = read_targets(&x.ctx, o.container, &n);
		if (n == 0)
			die("stdin has no task or container records; nothing "
			    "was run");
	}
	if (exec_targets_resolve(&x.ctx, t, n) < 0 && !o.check)
		die("cannot describe the targets (see above)");

	if (o.check) {
		fmt = o.format ? output_parse(o.format, 1u << OUTPUT_JSON |
							    1u << OUTPUT_TABLE)
			       : output_default();
		status = exec_run_checks(&x.ctx, t, n, fmt);
		goto out;
	}
	x.n = n;
	x.wrap = !o.no_wrap;
	x.parallel = (int)o.parallel;
	x.agent_wait = (int)o.agent_wait;
	x.keepalive = (int)o.keepalive;
	x.interactive = o.tty || (!o.no_tty && n == 1 && stdout_is_terminal() &&
				     (!x.forward_stdin || isatty(STDIN_FILENO)));
	if (x.interactive && n > 1)
		die_usage("interactive mode takes one target, not %zu (use -T "
			  "to run a command on each)",
		    n);
	fmt = o.format ? output_parse(o.format, 1u << OUTPUT_JSON |
						    1u << OUTPUT_TEXT)
		       : OUTPUT_TEXT;
	if (x.interactive || (fmt != OUTPUT_JSON && n == 1))
		x.out = OUT_RAW;
	else if (fmt == OUTPUT_JSON)
		x.out = OUT_JSON;
	else
		x.out = OUT_PREFIX;
	if (x.out == OUT_JSON)
		out_set_flush_each(1);
	if (x.interactive) {
		if (term_open(&x.term) < 0)
			die("interactive mode needs a terminal: cannot open "
			    "/dev/tty: %s; use -T",
			    strerror(errno));
	}
	status = run_sessions(&x, t);
out:
	for (i = 0; i < n; i++)
		exec_target_free(t[i]);
	free(t);
	aws_ctx_free(&x.ctx);
	return status;
}
