/* Prompts on /dev/tty. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "prompt.h"
#include "util.h"

/* Longer input lines are cut, since prompts ask for short codes. */
#define PROMPT_MAX_ANSWER 1024

static const int restore_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define N_RESTORE_SIGNALS \
	(sizeof(restore_signals) / sizeof(restore_signals[0]))

/* The terminal state to put back when a signal ends the program while
 * echo is off. */
static volatile sig_atomic_t saved_fd = -1;
static struct termios saved_termios;

static void
restore_and_raise(int sig)
{
	if (saved_fd >= 0)
		tcsetattr(saved_fd, TCSAFLUSH, &saved_termios);
	signal(sig, SIG_DFL);
	raise(sig);
}

int
tty_prompt(const char *prompt, int hidden, struct buf *line,
    struct buf *err)
{
	struct sigaction sa, old[N_RESTORE_SIGNALS];
	struct termios quiet;
	size_t i, got = 0;
	int fd, rc = -1, echo_off = 0;
	char c;

	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		buf_addf(err, "no terminal to ask on (/dev/tty: %s)",
		    strerror(errno));
		return -1;
	}
	if (hidden && tcgetattr(fd, &saved_termios) == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = restore_and_raise;
		sigemptyset(&sa.sa_mask);
		for (i = 0; i < N_RESTORE_SIGNALS; i++)
			sigaction(restore_signals[i], &sa, &old[i]);
		quiet = saved_termios;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		saved_fd = fd;
		echo_off = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	if (write_all(fd, prompt, strlen(prompt)) < 0) {
		buf_addf(err, "cannot write to /dev/tty: %s", strerror(errno));
		goto done;
	}
	for (;;) {
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			buf_addf(err, "cannot read from /dev/tty: %s",
			    strerror(errno));
			goto done;
		}
		if (n == 0) {
			buf_adds(err, "the terminal input ended before a "
				      "line was entered");
			goto done;
		}
		if (c == '\n')
			break;
		if (c != '\r' && got++ < PROMPT_MAX_ANSWER)
			buf_addc(line, c);
	}
	rc = 0;
done:
	if (echo_off) {
		tcsetattr(fd, TCSAFLUSH, &saved_termios);
		/* The newline the person typed was not echoed. */
		(void)write_all(fd, "\n", 1);
	}
	if (hidden && saved_fd >= 0) {
		saved_fd = -1;
		for (i = 0; i < N_RESTORE_SIGNALS; i++)
			sigaction(restore_signals[i], &old[i], NULL);
	}
	c = 0;
	close(fd);
	return rc;
}
