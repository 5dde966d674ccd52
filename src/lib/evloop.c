/* The event loop: a libwebsockets context whose service loop also reports
 * input on local descriptors (adopted as raw files) and runs timers. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evloop.h"
#include "util.h"

struct evloop {
	struct lws_context *context;
	struct lws_vhost *vhost;
	struct lws_protocols protocols[3];
	int stop;
};

struct evwatch {
	struct evloop *loop;
	struct lws *wsi;	/* NULL while paused */
	evwatch_fn fn;
	void *data;
	int source_fd;		/* the caller's descriptor */
	int fd;			/* the duplicate the loop polls */
	int paused;
};

#define RAW_PROTOCOL "ecs-local-fd"

static int
raw_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct evwatch *w;

	(void)user;
	(void)in;
	(void)len;
	if (reason != LWS_CALLBACK_RAW_RX_FILE &&
	    reason != LWS_CALLBACK_RAW_CLOSE_FILE)
		return 0;
	w = lws_get_opaque_user_data(wsi);
	if (!w || w->wsi != wsi)
		return 0;
	if (reason == LWS_CALLBACK_RAW_RX_FILE)
		w->fn(w, w->fd, w->data);
	else if (reason == LWS_CALLBACK_RAW_CLOSE_FILE) {
		/* A pipe whose writer has gone polls as POLLHUP without
		 * POLLIN, and libwebsockets closes the descriptor: the
		 * callback reads the end of file before it is closed. */
		lws_set_opaque_user_data(wsi, NULL);
		w->wsi = NULL;
		w->fn(w, w->fd, w->data);
	}
	return 0;
}

static void
log_line(int level, const char *line)
{
	(void)level;
	fprintf(stderr, "%s: libwebsockets: %s", program_name, line);
}

struct evloop *
evloop_new(const struct lws_protocols *protocol, int debug)
{
	struct lws_context_creation_info info;
	struct evloop *loop = xcalloc(1, sizeof(*loop));
	const char *ca = getenv("AWS_CA_BUNDLE");

	lws_set_log_level(debug ? LLL_ERR | LLL_WARN : 0, log_line);
	loop->protocols[0] = *protocol;
	loop->protocols[1].name = RAW_PROTOCOL;
	loop->protocols[1].callback = raw_callback;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = loop->protocols;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.gid = -1;
	info.uid = -1;
	if (ca && *ca)
		info.client_ssl_ca_filepath = ca;
	loop->context = lws_create_context(&info);
	if (!loop->context)
		die("cannot start libwebsockets (out of memory or no TLS "
		    "support)");
	loop->vhost = lws_get_vhost_by_name(loop->context, "default");
	if (!loop->vhost)
		die("libwebsockets created no default vhost");
	return loop;
}

void
evloop_free(struct evloop *loop)
{
	if (!loop)
		return;
	lws_context_destroy(loop->context);
	free(loop);
}

struct lws_context *
evloop_context(struct evloop *loop)
{
	return loop->context;
}

struct lws_vhost *
evloop_vhost(struct evloop *loop)
{
	return loop->vhost;
}

/* Adopts a fresh duplicate of the source descriptor. libwebsockets
 * closes the duplicate when the adopted connection closes. */
static int
adopt(struct evwatch *w)
{
	lws_sock_file_fd_type u;
	int copy = fcntl(w->source_fd, F_DUPFD_CLOEXEC, 3);

	if (copy < 0)
		return -1;
	u.filefd = copy;
	w->fd = copy;
	w->wsi = lws_adopt_descriptor_vhost(w->loop->vhost,
	    LWS_ADOPT_RAW_FILE_DESC, u, RAW_PROTOCOL, NULL);
	if (!w->wsi) {
		errno = ENOMEM;
		return -1;
	}
	lws_set_opaque_user_data(w->wsi, w);
	return 0;
}

/* Lets go of the adopted duplicate. */
static void
release(struct evwatch *w)
{
	if (!w->wsi)
		return;
	lws_set_opaque_user_data(w->wsi, NULL);
	lws_set_timeout(w->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	w->wsi = NULL;
}

struct evwatch *
evloop_watch(struct evloop *loop, int fd, evwatch_fn fn, void *data)
{
	struct evwatch *w = xcalloc(1, sizeof(*w));

	w->loop = loop;
	w->fn = fn;
	w->data = data;
	w->source_fd = fd;
	if (adopt(w) < 0) {
		free(w);
		return NULL;
	}
	return w;
}

/* libwebsockets' rx flow control does not reliably start a raw file
 * again once it was stopped from inside its own callback, so a paused
 * watch gives up its descriptor and adopts a new duplicate to resume. */
void
evwatch_pause(struct evwatch *w, int paused)
{
	if (!w || w->paused == paused)
		return;
	w->paused = paused;
	if (paused)
		release(w);
	else if (adopt(w) < 0)
		w->paused = 1;
}

void
evloop_unwatch(struct evwatch *w)
{
	if (!w)
		return;
	release(w);
	free(w);
}

static void
timer_fired(lws_sorted_usec_list_t *sul)
{
	struct evtimer *t = (struct evtimer *)sul;

	t->fn(t);
}

void
evtimer_init(struct evtimer *t, struct evloop *loop,
    void (*fn)(struct evtimer *t), void *data)
{
	memset(t, 0, sizeof(*t));
	t->loop = loop;
	t->fn = fn;
	t->data = data;
}

void
evtimer_start(struct evtimer *t, int64_t ms)
{
	lws_sul_schedule(t->loop->context, 0, &t->sul, timer_fired,
	    (lws_usec_t)(ms < 0 ? 0 : ms) * LWS_US_PER_MS);
}

void
evtimer_stop(struct evtimer *t)
{
	if (t->loop)
		lws_sul_cancel(&t->sul);
}

int
evloop_run(struct evloop *loop)
{
	loop->stop = 0;
	while (!loop->stop)
		if (lws_service(loop->context, 0) < 0)
			return -1;
	return 0;
}

void
evloop_stop(struct evloop *loop)
{
	loop->stop = 1;
	lws_cancel_service(loop->context);
}

/* Signals reach the loop through a pipe: the handler only writes the
 * signal's number to it. */
static int signal_pipe[2] = {-1, -1};
static volatile sig_atomic_t signal_write_fd = -1;

static void
on_signal(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;

	/* A full pipe means a signal is pending already, and a closed one
	 * that the program is ending. A write that succeeds leaves errno. */
	if (write(signal_write_fd, &c, 1) < 0)
		errno = saved;
}

struct evwatch *
evloop_watch_signals(struct evloop *loop, evwatch_fn fn, void *data)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa;
	struct evwatch *w;
	size_t i;

	if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		die("cannot create a pipe: %s", strerror(errno));
	signal_write_fd = signal_pipe[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	w = evloop_watch(loop, signal_pipe[0], fn, data);
	if (!w)
		die("cannot watch the signal pipe: %s", strerror(errno));
	return w;
}

void
evloop_unwatch_signals(struct evwatch *w)
{
	evloop_unwatch(w);
	signal_write_fd = -1;
	close(signal_pipe[0]);
	close(signal_pipe[1]);
	signal_pipe[0] = signal_pipe[1] = -1;
}
