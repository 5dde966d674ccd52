/* One single-threaded event loop for WebSocket sessions and the local file
 * descriptors they serve (stdin, /dev/tty, a signal pipe), on top of the
 * libwebsockets service loop.
 *
 * The loop owns its libwebsockets context. Watches and timers are owned by
 * their callers and must stay alive while armed; a watch is closed with
 * evloop_unwatch. Callbacks run on the loop, never from signal handlers. */
#ifndef ECS_EVLOOP_H
#define ECS_EVLOOP_H

#include <stdint.h>
#include <libwebsockets.h>

struct evloop;
struct evwatch;

/* Runs when the watched descriptor is readable (or at end of file). */
typedef void (*evwatch_fn)(struct evwatch *w, int fd, void *data);

struct evtimer {
	lws_sorted_usec_list_t sul;	/* first: the callback casts back */
	struct evloop *loop;
	void (*fn)(struct evtimer *t);
	void *data;
};

/* Creates the loop; protocol is the WebSocket protocol (the data channel)
 * that client connections bind to. debug turns on libwebsockets' own
 * warnings on stderr. Dies when libwebsockets cannot start. */
struct evloop *evloop_new(const struct lws_protocols *protocol, int debug);
void evloop_free(struct evloop *loop);
struct lws_context *evloop_context(struct evloop *loop);
struct lws_vhost *evloop_vhost(struct evloop *loop);

/* Watches fd for input. The loop works on a duplicate of fd, so closing
 * the watch leaves fd itself open. Returns NULL with errno set. */
struct evwatch *evloop_watch(struct evloop *loop, int fd, evwatch_fn fn,
    void *data);
/* Stops or restarts reporting input on w (flow control). */
void evwatch_pause(struct evwatch *w, int paused);
void evloop_unwatch(struct evwatch *w);

/* Catches SIGINT, SIGTERM and SIGHUP and writes the number of each as
 * one byte to a pipe that the loop watches with fn, so that signals are
 * handled on the loop: fn reads one byte per call. A process has at most
 * one such watch. Dies when the pipe or the watch cannot be made. */
struct evwatch *evloop_watch_signals(struct evloop *loop, evwatch_fn fn,
    void *data);
/* Closes the signal watch and its pipe. Signals still caught after that
 * are dropped. */
void evloop_unwatch_signals(struct evwatch *w);

void evtimer_init(struct evtimer *t, struct evloop *loop,
    void (*fn)(struct evtimer *t), void *data);
/* Arms t to run once after ms milliseconds (re-arming moves it). */
void evtimer_start(struct evtimer *t, int64_t ms);
void evtimer_stop(struct evtimer *t);

/* Runs until evloop_stop. Returns 0, or -1 when the service loop failed. */
int evloop_run(struct evloop *loop);
void evloop_stop(struct evloop *loop);

#endif
