/* credential_process: word splitting, running the helper, and its output. */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json.h"
#include "process.h"
#include "util.h"

/* A helper printing more than this is not printing credentials. */
#define PROCESS_MAX_OUTPUT (1024 * 1024)
/* After SIGTERM a helper gets this long to exit before SIGKILL. */
#define PROCESS_KILL_GRACE_MS 1000
/* Helpers that run helpers (ecs-creds -o credential-process as the
 * credential_process of a profile) stop at this depth, so that a profile
 * that names itself cannot start processes without end. */
#define PROCESS_MAX_DEPTH 8
#define PROCESS_DEPTH_VAR "ECS_CREDENTIAL_PROCESS_DEPTH"

extern char **environ;

struct words {
	char **v;
	size_t n;
	struct buf cur;
	int in_word;
};

static void
end_word(struct words *w)
{
	if (!w->in_word)
		return;
	w->v = xrealloc(w->v, (w->n + 2) * sizeof(*w->v));
	w->v[w->n++] = xstrndup(w->cur.data ? w->cur.data : "", w->cur.len);
	w->v[w->n] = NULL;
	buf_reset(&w->cur);
	w->in_word = 0;
}

/* "NAME=value" as the first word is a variable assignment to a shell. */
static int
starts_with_assignment(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	if (!(*s == '_' || (*s >= 'A' && *s <= 'Z') ||
		(*s >= 'a' && *s <= 'z')))
		return 0;
	while (*s == '_' || (*s >= 'A' && *s <= 'Z') ||
	       (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))
		s++;
	return *s == '=';
}

void
process_argv_free(char **argv)
{
	size_t i;

	for (i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

int
process_split(const char *cmd, char ***argv, int *needs_shell,
    struct buf *err)
{
	struct words w = {NULL, 0, BUF_INIT, 0};
	char quote = 0;
	const char *p;

	*needs_shell = starts_with_assignment(cmd);
	for (p = cmd; *p; p++) {
		char c = *p;

		if (quote == '\'') {
			if (c == '\'')
				quote = 0;
			else
				buf_addc(&w.cur, c);
			continue;
		}
		if (quote == '"') {
			if (c == '"') {
				quote = 0;
			} else if (c == '\\' && p[1] && strchr("$`\"\\\n", p[1])) {
				p++;
				if (*p != '\n')
					buf_addc(&w.cur, *p);
			} else {
				if (c == '$' || c == '`')
					*needs_shell = 1;
				buf_addc(&w.cur, c);
			}
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n') {
			end_word(&w);
			continue;
		}
		if (c == '\'' || c == '"') {
			quote = c;
			w.in_word = 1;
			continue;
		}
		if (c == '\\') {
			if (!p[1]) {
				buf_adds(err, "the command ends in a lone "
					      "backslash");
				goto fail;
			}
			p++;
			if (*p != '\n') {
				buf_addc(&w.cur, *p);
				w.in_word = 1;
			}
			continue;
		}
		if (strchr("|&;<>()$`", c) ||
		    (!w.in_word && (c == '~' || c == '#')))
			*needs_shell = 1;
		buf_addc(&w.cur, c);
		w.in_word = 1;
	}
	if (quote) {
		buf_addf(err, "the command has an unterminated %s quote",
		    quote == '\'' ? "single" : "double");
		goto fail;
	}
	end_word(&w);
	if (w.n == 0) {
		buf_adds(err, "the command is empty");
		goto fail;
	}
	buf_free(&w.cur);
	*argv = w.v;
	return 0;
fail:
	buf_free(&w.cur);
	process_argv_free(w.v);
	return -1;
}

static int
string_field(jv doc, const char *key, int required, const char **value,
    struct buf *err)
{
	jv v = jv_object_get(jv_copy(doc), jv_string(key));
	jv_kind kind = jv_get_kind(v);

	jv_free(v);
	*value = NULL;
	if (kind == JV_KIND_NULL || kind == JV_KIND_INVALID) {
		if (required)
			buf_addf(err, "its output has no %s", key);
		return required ? -1 : 0;
	}
	if (kind != JV_KIND_STRING) {
		buf_addf(err, "%s in its output is not a string", key);
		return -1;
	}
	*value = json_str(doc, key);
	if (required && !**value) {
		buf_addf(err, "%s in its output is empty", key);
		return -1;
	}
	return 0;
}

int
process_parse_output(const char *text, size_t len,
    const char *fallback_account, struct aws_credentials *out,
    struct buf *err)
{
	const char *id, *secret, *token, *exp, *account;
	jv doc = jv_parse_sized(text, (int)len);
	jv version;
	int rc = -1;

	if (!jv_is_valid(doc)) {
		buf_adds(err, "its output is not valid JSON; it must print "
			      "one JSON object with \"Version\": 1");
		goto done;
	}
	if (jv_get_kind(doc) != JV_KIND_OBJECT) {
		buf_adds(err, "its output is not a JSON object");
		goto done;
	}
	version = jv_object_get(jv_copy(doc), jv_string("Version"));
	if (jv_get_kind(version) != JV_KIND_NUMBER ||
	    jv_number_value(version) != 1) {
		jv_free(version);
		buf_adds(err, "its output lacks \"Version\": 1, the only "
			      "format version defined");
		goto done;
	}
	jv_free(version);
	if (string_field(doc, "AccessKeyId", 1, &id, err) < 0 ||
	    string_field(doc, "SecretAccessKey", 1, &secret, err) < 0 ||
	    string_field(doc, "SessionToken", 0, &token, err) < 0 ||
	    string_field(doc, "Expiration", 0, &exp, err) < 0 ||
	    string_field(doc, "AccountId", 0, &account, err) < 0)
		goto done;
	if (exp && parse_iso8601(exp, &out->expiration) < 0) {
		buf_addf(err, "Expiration \"%s\" in its output is not an "
			      "ISO 8601 time such as 2030-01-01T00:00:00Z; "
			      "leave it out for keys that do not expire",
		    exp);
		goto done;
	}
	out->access_key_id = xstrdup(id);
	out->secret_access_key = xstrdup(secret);
	out->session_token = token && *token ? xstrdup(token) : NULL;
	if (account && *account)
		out->account_id = xstrdup(account);
	else if (fallback_account && *fallback_account)
		out->account_id = xstrdup(fallback_account);
	/* Without an Expiration the keys count as long-term ones. */
	out->refreshable = exp != NULL;
	rc = 0;
done:
	jv_free(doc);
	return rc;
}

/* The environment for a helper: this one, with the nesting depth one
 * higher. Returns NULL with err set when the depth is used up. The array
 * and the depth entry are malloc'd; the other strings are borrowed. */
static char **
helper_environment(struct buf *err)
{
	const char *v = getenv(PROCESS_DEPTH_VAR);
	long depth = 0;
	size_t n = 0, i;
	char **env;

	if (v && parse_long(v, 0, PROCESS_MAX_DEPTH, &depth) < 0)
		depth = PROCESS_MAX_DEPTH;
	if (depth >= PROCESS_MAX_DEPTH) {
		buf_addf(err, "credential_process helpers are nested %d deep; "
			      "a profile's credential_process probably runs "
			      "ecs-creds for the same profile",
		    PROCESS_MAX_DEPTH);
		return NULL;
	}
	while (environ[n])
		n++;
	env = xcalloc(n + 2, sizeof(*env));
	for (i = 0, n = 0; environ[i]; i++)
		if (!str_starts_with(environ[i], PROCESS_DEPTH_VAR "="))
			env[n++] = environ[i];
	env[n] = xasprintf("%s=%ld", PROCESS_DEPTH_VAR, depth + 1);
	return env;
}

static int
spawn(char **argv, int needs_shell, const char *cmd, int out_fd,
    pid_t *pid, struct buf *err)
{
	char *sh_argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
	posix_spawn_file_actions_t fa;
	char **env;
	size_t n;
	int rc;

	env = helper_environment(err);
	if (!env)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	/* glibc reports a failed exec (such as ENOENT) as the result. */
	rc = needs_shell ? posix_spawn(pid, sh_argv[0], &fa, NULL, sh_argv,
			       env)
			 : posix_spawnp(pid, argv[0], &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	for (n = 0; env[n]; n++)
		;
	free(env[n - 1]);
	free(env);
	if (rc != 0) {
		buf_addf(err, "cannot run \"%s\": %s",
		    needs_shell ? sh_argv[0] : argv[0], strerror(rc));
		return -1;
	}
	return 0;
}

/* Waits for pid until deadline_ms (monotonic); returns 1 with *status
 * set when it exited, 0 on timeout. */
static int
wait_until(pid_t pid, int64_t deadline_ms, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 1;
		if (r < 0 && errno != EINTR)
			return 1;
		if (monotonic_ms() >= deadline_ms)
			return 0;
		usleep(10000);
	}
}

/* Stops a helper that ran out of time. NOTE: only the helper itself is
 * signalled. A pipeline run through /bin/sh may leave its other
 * processes running until they write to the closed pipe. */
static void
stop_child(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	if (!wait_until(pid, monotonic_ms() + PROCESS_KILL_GRACE_MS,
		&status)) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
}

/* Reads the helper's stdout until EOF or the deadline. Returns 1 at EOF,
 * 0 on timeout, -1 when the output is too large or unreadable. */
static int
read_output(int fd, int64_t deadline_ms, struct buf *out, struct buf *err)
{
	char chunk[4096];

	for (;;) {
		int64_t left = deadline_ms - monotonic_ms();
		struct pollfd pfd = {fd, POLLIN, 0};
		ssize_t n;
		int r;

		if (left <= 0)
			return 0;
		r = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
		if (r < 0 && errno != EINTR) {
			buf_addf(err, "cannot wait for its output: %s",
			    strerror(errno));
			return -1;
		}
		if (r <= 0)
			continue;
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			buf_addf(err, "cannot read its output: %s",
			    strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		buf_add(out, chunk, (size_t)n);
		if (out->len > PROCESS_MAX_OUTPUT) {
			buf_addf(err, "it printed more than %d bytes",
			    PROCESS_MAX_OUTPUT);
			secure_zero(chunk, sizeof(chunk));
			return -1;
		}
	}
	secure_zero(chunk, sizeof(chunk));
	return 1;
}

static void
describe_status(int status, struct buf *err)
{
	if (WIFEXITED(status))
		buf_addf(err, "it exited with status %d (its own messages, "
			      "if any, are above)",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		buf_addf(err, "it was killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		buf_adds(err, "it stopped abnormally");
}

int
process_credentials(const char *cmd, double timeout_s,
    const char *fallback_account, struct aws_credentials *out,
    struct buf *err)
{
	struct buf output = BUF_INIT;
	char **argv = NULL;
	int needs_shell, fds[2], status = 0, rc = -1, r;
	int64_t deadline;
	pid_t pid;

	if (process_split(cmd, &argv, &needs_shell, err) < 0)
		return -1;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		buf_addf(err, "cannot create a pipe: %s", strerror(errno));
		goto done;
	}
	if (spawn(argv, needs_shell, cmd, fds[1], &pid, err) < 0) {
		close(fds[0]);
		close(fds[1]);
		goto done;
	}
	close(fds[1]);
	deadline = monotonic_ms() + (int64_t)(timeout_s * 1000);
	r = read_output(fds[0], deadline, &output, err);
	close(fds[0]);
	if (r <= 0) {
		stop_child(pid);
		if (r == 0)
			buf_addf(err, "it did not finish within %.0f seconds "
				      "and was stopped (set "
				      "ECS_CREDENTIAL_PROCESS_TIMEOUT to "
				      "allow more)",
			    timeout_s);
		goto done;
	}
	if (!wait_until(pid, deadline, &status)) {
		stop_child(pid);
		buf_addf(err, "it closed its output but did not exit within "
			      "%.0f seconds",
		    timeout_s);
		goto done;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		describe_status(status, err);
		goto done;
	}
	rc = process_parse_output(output.data ? output.data : "", output.len,
	    fallback_account, out, err);
done:
	buf_free_secret(&output);
	process_argv_free(argv);
	return rc;
}
