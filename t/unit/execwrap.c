/* Unit tests for the non-interactive wrapper: shell quoting, the marker
 * filter, and the whole scheme on a real local pseudo-terminal with
 * default settings (as the agent creates it): exact output bytes, exact
 * binary input with its end, and exit statuses. */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "execwrap.h"
#include "tap.h"
#include "util.h"

struct run {
	struct buf output;	/* after the filter */
	int status;		/* from the exit marker, -1 if none */
	int failed;		/* failure marker seen */
};

/* Runs argv through the wrapper on a new pty, writes input (encoded)
 * once the ready marker arrived, and collects the filtered output. */
static void
run_wrapped(char *const *argv, int argc, const void *input, size_t len,
    struct run *r)
{
	char nonce[EXECWRAP_NONCE_SIZE];
	struct buf script = BUF_INIT, enc = BUF_INIT;
	struct markfilter f;
	struct ttyenc e = {0};
	size_t sent = 0;
	int master, sent_eof = 0, st;
	pid_t pid;

	execwrap_nonce(nonce);
	execwrap_script(&script, nonce);
	markfilter_init(&f, nonce);
	buf_init(&r->output);
	r->status = -1;
	r->failed = 0;
	pid = forkpty(&master, NULL, NULL, NULL);
	if (pid == 0) {
		char **args = calloc((size_t)argc + 5, sizeof(*args));
		int i;

		args[0] = "sh";
		args[1] = "-c";
		args[2] = script.data;
		args[3] = "ecs-exec";
		for (i = 0; i < argc; i++)
			args[4 + i] = argv[i];
		execv("/bin/sh", args);
		_exit(127);
	}
	for (;;) {
		struct pollfd p = {master, POLLIN, 0};
		char b[4096];
		ssize_t n;

		if (f.state == MARK_RUNNING && sent < enc.len)
			p.events |= POLLOUT;
		if (poll(&p, 1, 10000) <= 0)
			break;
		if (p.revents & POLLOUT) {
			n = write(master, enc.data + sent,
			    enc.len - sent > 1024 ? 1024 : enc.len - sent);
			if (n > 0)
				sent += (size_t)n;
		}
		if (!(p.revents & (POLLIN | POLLHUP)))
			continue;
		n = read(master, b, sizeof(b));
		if (n <= 0)
			break;
		if (markfilter_feed(&f, b, (size_t)n, &r->output)) {
			if (f.state == MARK_RUNNING && !sent_eof) {
				ttyenc_add(&e, input, len, &enc);
				ttyenc_eof(&e, &enc);
				sent_eof = 1;
			}
			if (f.state == MARK_DONE)
				r->status = f.status;
			if (f.state == MARK_FAILED)
				r->failed = 1;
		}
		if (f.state == MARK_DONE || f.state == MARK_FAILED)
			break;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	close(master);
	markfilter_free(&f);
	buf_free(&script);
	buf_free(&enc);
}

static void
test_quote(void)
{
	struct buf b = BUF_INIT;
	char *argv[] = {"ls", "-l", "it's here", ""};

	execwrap_command(&b, 4, argv, NULL);
	is_str(b.data, "ls -l 'it'\\''s here' ''", "command words quoted");
	buf_reset(&b);
	execwrap_command(&b, 0, argv, NULL);
	is_str(b.data, "/bin/sh", "no words run /bin/sh");
	buf_reset(&b);
	execwrap_command(&b, 1, argv, "00");
	ok(str_starts_with(b.data, "/bin/sh -c 'if command -v cat") &&
	       str_ends_with(b.data, " sh ls"),
	    "wrapped command runs sh -c with the words after it");
	ok(strchr(b.data, '\n') == NULL, "wrapped command is one line");
	buf_free(&b);
}

static void
test_filter_splits(void)
{
	const char *nonce = "0123456789abcdef0123456789abcdef";
	struct buf stream = BUF_INIT, out = BUF_INIT;
	struct markfilter f;
	size_t i;

	buf_addf(&stream, "junkECSEXEC-%s-Rhello ECSEXEC-%s world\n"
			  "ECSEXEC-%s-X42.",
	    nonce, "feedface", nonce);
	markfilter_init(&f, nonce);
	/* One byte at a time: every marker is split. */
	for (i = 0; i < stream.len; i++)
		markfilter_feed(&f, stream.data + i, 1, &out);
	is_int(f.state, MARK_DONE, "filter reaches the exit marker");
	is_int(f.status, 42, "exit status read from the marker");
	is_str(out.data ? out.data : "",
	    "hello ECSEXEC-feedface world\n",
	    "output between the markers kept exactly");
	is_str(f.before.data ? f.before.data : "", "junk",
	    "bytes before the ready marker set aside");
	markfilter_free(&f);
	buf_free(&stream);
	buf_free(&out);
}

static void
test_pty(void)
{
	char *cat[] = {"cat"};
	char *three[] = {"sh", "-c", "printf 'a\\nb\\n'; exit 3"};
	char *missing[] = {"ecs-exec-no-such-command"};
	char *wc[] = {"wc", "-c"};
	char *slow[] = {"sh", "-c", "sleep 1; cat"};
	struct buf input = BUF_INIT;
	struct run r;
	int i;

	for (i = 0; i < 256; i++)
		buf_addc(&input, (char)i);
	for (i = 0; i < 5000; i++)
		buf_addc(&input, (char)('a' + i % 26));

	buf_adds(&input, "\r\n\x04\x03\x1a\x1c\x16\x15\x17\x7f\x13\x11 end");

	run_wrapped(cat, 1, input.data, input.len, &r);
	is_int(r.status, 0, "cat exits 0 after the end of input");
	is_int((long long)r.output.len, (long long)input.len,
	    "cat returns as many bytes as it was given");
	ok(r.output.len == input.len &&
	       memcmp(r.output.data, input.data, input.len) == 0,
	    "every byte value and a 5000-byte line pass unchanged");
	buf_free(&r.output);

	run_wrapped(three, 3, "", 0, &r);
	is_int(r.status, 3, "exit status 3 reported");
	is_str(r.output.data ? r.output.data : "", "a\nb\n",
	    "output has no CR added");
	buf_free(&r.output);

	run_wrapped(missing, 1, "", 0, &r);
	is_int(r.status, 127, "missing command reports 127");
	buf_free(&r.output);

	/* A reader that starts late fills the terminal's input buffer; Linux
	 * then looks ahead for Ctrl-S and Ctrl-Q in the queued bytes, quoted
	 * or not, so flow control must be off. */
	buf_reset(&input);
	for (i = 0; i < 20000; i++)
		buf_addc(&input, (char)(i % 64 == 0 ? 0x13 : 'x'));
	run_wrapped(slow, 3, input.data, input.len, &r);
	is_int(r.status, 0, "slow reader gets input with Ctrl-S in it");
	ok(r.output.len == input.len &&
	       memcmp(r.output.data, input.data, input.len) == 0,
	    "Ctrl-S bytes do not stop the remote terminal");
	buf_free(&r.output);

	run_wrapped(wc, 2, "", 0, &r);
	is_str(r.output.data ? r.output.data : "", "0\n",
	    "empty input reaches the command as end of file");
	buf_free(&r.output);
	buf_free(&input);
}

int
main(void)
{
	test_quote();
	test_filter_splits();
	test_pty();
	return done_testing();
}
