/* Raw mode on /dev/tty, its restoration on exit and signals, and key
 * decoding. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "term.h"
#include "text.h"
#include "util.h"

static struct term *active;
static int atexit_done;

static const int fatal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT,
    SIGPIPE};

static void
write_quietly(int fd, const char *s)
{
	size_t len = s ? strlen(s) : 0;

	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

/* Only async-signal-safe calls: these two run in signal handlers. */
static void
leave_raw(struct term *t)
{
	if (!t->is_raw)
		return;
	write_quietly(t->fd, t->leave);
	tcsetattr(t->fd, TCSADRAIN, &t->saved);
	t->is_raw = 0;
}

/* Changing the modes from a background process group would stop us with
 * SIGTTOU, and the terminal is not ours then anyway. */
static int
in_foreground(const struct term *t)
{
	return tcgetpgrp(t->fd) == getpgrp();
}

static void
enter_raw(struct term *t)
{
	if (t->is_raw || !in_foreground(t))
		return;
	tcsetattr(t->fd, TCSADRAIN, &t->raw_mode);
	write_quietly(t->fd, t->enter);
	t->is_raw = 1;
}

static void
notify(char event)
{
	int e = errno;

	if (active && active->signal_pipe[1] >= 0)
		(void)!write(active->signal_pipe[1], &event, 1);
	errno = e;
}

static void
on_fatal_signal(int sig)
{
	if (active)
		leave_raw(active);
	/* The signal is blocked while its handler runs, so it ends the
	 * program with its default action as soon as the handler returns. */
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_stop_signal(int sig);

static void
install(int sig, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(sig, &sa, NULL);
}

static void
on_stop_signal(int sig)
{
	int e = errno;
	sigset_t set;

	if (active)
		leave_raw(active);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	/* Execution goes on here after SIGCONT. */
	install(sig, on_stop_signal);
	errno = e;
}

static void
on_continue(int sig)
{
	int e = errno;

	(void)sig;
	if (active && active->want_raw)
		enter_raw(active);
	notify(TERM_EVENT_RESUME);
	errno = e;
}

static void
on_resize(int sig)
{
	(void)sig;
	notify(TERM_EVENT_RESIZE);
}

static void
restore_at_exit(void)
{
	if (active)
		term_restore(active);
}

int
term_open(struct term *t)
{
	memset(t, 0, sizeof(*t));
	t->signal_pipe[0] = t->signal_pipe[1] = -1;
	t->fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->fd < 0)
		return -1;
	if (tcgetattr(t->fd, &t->saved) < 0) {
		int e = errno;

		close(t->fd);
		t->fd = -1;
		errno = e;
		return -1;
	}
	if (pipe2(t->signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		die("cannot create a pipe: %s", strerror(errno));
	term_update_size(t);
	return 0;
}

int
term_raw(struct term *t, const char *enter, const char *leave)
{
	struct termios *r = &t->raw_mode;
	size_t i;

	*r = t->saved;
	r->c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR |
	    IGNCR | ICRNL | IXON);
	r->c_oflag &= ~(tcflag_t)OPOST;
	r->c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	r->c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	r->c_cflag |= CS8;
	r->c_cc[VMIN] = 1;
	r->c_cc[VTIME] = 0;
	t->enter = enter;
	t->leave = leave;

	active = t;
	if (!atexit_done) {
		atexit(restore_at_exit);
		atexit_done = 1;
	}
	for (i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		install(fatal_signals[i], on_fatal_signal);
	install(SIGTSTP, on_stop_signal);
	install(SIGCONT, on_continue);
	install(SIGWINCH, on_resize);
	t->want_raw = 1;
	enter_raw(t);
	return 0;
}

void
term_restore(struct term *t)
{
	t->want_raw = 0;
	leave_raw(t);
}

void
term_close(struct term *t)
{
	size_t i;

	if (t->fd < 0)
		return;
	term_restore(t);
	if (active == t) {
		for (i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]);
		     i++)
			signal(fatal_signals[i], SIG_DFL);
		signal(SIGTSTP, SIG_DFL);
		signal(SIGCONT, SIG_DFL);
		signal(SIGWINCH, SIG_DFL);
		active = NULL;
	}
	close(t->fd);
	close(t->signal_pipe[0]);
	close(t->signal_pipe[1]);
	t->fd = -1;
}

void
term_update_size(struct term *t)
{
	struct winsize ws;

	if (ioctl(t->fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0) {
		t->rows = ws.ws_row;
		t->cols = ws.ws_col;
		return;
	}
	t->rows = 24;
	t->cols = 80;
}

void
term_suspend(struct term *t)
{
	/* Restore the terminal while still in the foreground, before the
	 * shell notices the stop and saves the terminal modes. Then the whole
	 * process group stops, as on a Ctrl-Z that the terminal turned into
	 * SIGTSTP, so the shell reports the job as stopped. */
	leave_raw(t);
	kill(0, SIGTSTP);
}

void
term_resume(struct term *t)
{
	if (t->want_raw)
		enter_raw(t);
}

void
term_write(struct term *t, const char *s, size_t len)
{
	if (write_all(t->fd, s, len) < 0 && errno != EIO)
		die("write to the terminal failed: %s", strerror(errno));
}

static void
csi_key(char final, const char *params, size_t n, struct term_key *key)
{
	key->code = KEY_UNKNOWN;
	switch (final) {
	case 'A':
		key->code = KEY_UP;
		return;
	case 'B':
		key->code = KEY_DOWN;
		return;
	case 'C':
		key->code = KEY_RIGHT;
		return;
	case 'D':
		key->code = KEY_LEFT;
		return;
	case 'H':
		key->code = KEY_HOME;
		return;
	case 'F':
		key->code = KEY_END;
		return;
	case 'Z':
		key->code = KEY_SHIFT_TAB;
		return;
	case '~':
		break;
	default:
		return;
	}
	/* "ESC [ N ~", possibly with ";modifiers" after N. */
	if (n == 0)
		return;
	switch (params[0]) {
	case '1':
	case '7':
		if (n == 1 || params[1] == ';')
			key->code = KEY_HOME;
		break;
	case '4':
	case '8':
		key->code = KEY_END;
		break;
	case '3':
		key->code = KEY_DELETE;
		break;
	case '5':
		key->code = KEY_PAGE_UP;
		break;
	case '6':
		key->code = KEY_PAGE_DOWN;
		break;
	}
}

static size_t
escape_key(const char *buf, size_t len, int complete, struct term_key *key)
{
	size_t i = 2;

	if (len == 1) {
		key->code = KEY_ESC;
		return complete ? 1 : 0;
	}
	if (buf[1] != '[' && buf[1] != 'O') {
		key->code = KEY_ESC;
		return 1;
	}
	while (i < len && buf[i] >= 0x30 && buf[i] <= 0x3f)
		i++;
	while (i < len && buf[i] >= 0x20 && buf[i] <= 0x2f)
		i++;
	if (i == len) {
		key->code = KEY_UNKNOWN;
		return complete ? len : 0;
	}
	csi_key(buf[i], buf + 2, i - 2, key);
	return i + 1;
}

size_t
term_parse_key(const char *buf, size_t len, int complete,
    struct term_key *key)
{
	unsigned char b;
	uint32_t cp;
	size_t need, n;

	memset(key, 0, sizeof(*key));
	if (len == 0)
		return 0;
	b = (unsigned char)buf[0];
	if (b == 0x1b)
		return escape_key(buf, len, complete, key);
	if (b == '\r') {
		key->code = KEY_ENTER;
		return 1;
	}
	if (b == '\t') {
		key->code = KEY_TAB;
		return 1;
	}
	if (b == 0x7f || b == 0x08) {
		key->code = KEY_BACKSPACE;
		return 1;
	}
	if (b >= 1 && b <= 26) {
		key->code = KEY_CTRL;
		key->ctrl = (char)('a' + b - 1);
		return 1;
	}
	if (b < 0x20) {
		key->code = KEY_UNKNOWN;
		return 1;
	}
	if ((b >= 0x80 && b < 0xc2) || b > 0xf4) {
		/* Not the first byte of any UTF-8 character. */
		key->code = KEY_UNKNOWN;
		return 1;
	}
	if (b < 0x80)
		need = 1;
	else if (b >= 0xf0)
		need = 4;
	else if (b >= 0xe0)
		need = 3;
	else
		need = 2;
	if (len < need && !complete)
		return 0;
	n = utf8_decode(buf, len, &cp);
	if (cp == 0xfffd && n == 1 && b >= 0x80) {
		key->code = KEY_UNKNOWN;
		return 1;
	}
	key->code = KEY_CHAR;
	memcpy(key->text, buf, n);
	return n;
}
