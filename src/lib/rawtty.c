/* Raw mode on /dev/tty with the saved mode restored on every exit path. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "rawtty.h"

static int tty_fd = -1;
static struct termios saved;
static volatile sig_atomic_t raw_on;
static int winch_pipe[2] = {-1, -1};

void
rawtty_restore(void)
{
	if (raw_on && tty_fd >= 0) {
		tcsetattr(tty_fd, TCSAFLUSH, &saved);
		raw_on = 0;
	}
}

int
rawtty_active(void)
{
	return raw_on;
}

static void
apply_raw(void)
{
	struct termios t = saved;

	/* cfmakeraw: no signals, no flow control, no CR/NL translation,
	 * no echo; output processing off because the remote terminal
	 * already sends CR LF. */
	t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
	    ICRNL | IXON);
	t.c_oflag &= ~OPOST;
	t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(tty_fd, TCSAFLUSH, &t) == 0)
		raw_on = 1;
}

static void
on_fatal(int sig)
{
	int saved_errno = errno;

	rawtty_restore();
	signal(sig, SIG_DFL);
	raise(sig);
	errno = saved_errno;
}

static void
on_tstp(int sig)
{
	int saved_errno = errno;
	int was_raw = raw_on;

	(void)sig;
	rawtty_restore();
	signal(SIGTSTP, SIG_DFL);
	raise(SIGTSTP);
	/* Continued: back to raw mode and to this handler. */
	signal(SIGTSTP, on_tstp);
	if (was_raw)
		apply_raw();
	errno = saved_errno;
}

static void
on_winch(int sig)
{
	int saved_errno = errno;
	char c = 1;

	(void)sig;
	if (winch_pipe[1] >= 0 && write(winch_pipe[1], &c, 1) < 0) {
		/* The pipe is full: a resize is pending anyway. */
	}
	errno = saved_errno;
}

int
rawtty_open(void)
{
	if (tty_fd >= 0)
		return tty_fd;
	tty_fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	return tty_fd;
}

int
rawtty_enter(void)
{
	static const int fatal[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE,
	    SIGILL, SIGQUIT};
	struct sigaction sa;
	size_t i;

	if (tty_fd < 0 || tcgetattr(tty_fd, &saved) < 0)
		return -1;
	atexit(rawtty_restore);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND;
	for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
	sa.sa_handler = on_tstp;
	sa.sa_flags = 0;
	sigaction(SIGTSTP, &sa, NULL);
	if (winch_pipe[0] < 0 &&
	    pipe2(winch_pipe, O_CLOEXEC | O_NONBLOCK) == 0) {
		sa.sa_handler = on_winch;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGWINCH, &sa, NULL);
	}
	apply_raw();
	return raw_on ? 0 : -1;
}

void
rawtty_size(unsigned *cols, unsigned *rows)
{
	struct winsize ws;

	*cols = *rows = 0;
	if (tty_fd >= 0 && ioctl(tty_fd, TIOCGWINSZ, &ws) == 0) {
		*cols = ws.ws_col;
		*rows = ws.ws_row;
	}
}

int
rawtty_winch_fd(void)
{
	return winch_pipe[0];
}

void
rawtty_winch_drain(void)
{
	char b[64];

	while (winch_pipe[0] >= 0 && read(winch_pipe[0], b, sizeof(b)) > 0)
		;
}

void
rawtty_close(void)
{
	rawtty_restore();
	signal(SIGWINCH, SIG_DFL);
	signal(SIGTSTP, SIG_DFL);
	if (tty_fd >= 0)
		close(tty_fd);
	tty_fd = -1;
	if (winch_pipe[0] >= 0) {
		close(winch_pipe[0]);
		close(winch_pipe[1]);
		winch_pipe[0] = winch_pipe[1] = -1;
	}
}
