/* --via: hands the display lines to another picker and maps its output
 * back to records.
 *
 * fzf and sk get "NUMBER<TAB>DISPLAY" lines and are told to show and
 * search only the second field, so the number comes back with the choice
 * even when display lines repeat. rofi returns the chosen line's position
 * itself (-format i). dmenu and other commands get the display lines
 * alone, made unique by a " (N)" suffix on repeats, and their answer is
 * looked up by its text. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "display.h"
#include "json.h"
#include "pick-ui.h"
#include "store.h"
#include "text.h"
#include "util.h"

enum via_kind {
	VIA_FZF,		/* fzf and sk */
	VIA_ROFI,
	VIA_DMENU,
	VIA_LINES,		/* any other command */
};

/* Open-addressing table from a unique display line to its record. */
struct line_table {
	uint32_t *slots;	/* record index + 1, 0 = empty */
	size_t cap, n;
};

struct via {
	const struct pick_options *o;
	enum via_kind kind;
	struct store store;
	pthread_mutex_t lock;
	int fd;			/* the picker's stdin */
	int write_failed;
	int read_failed;
	struct display **displays;
	int nthreads;
	/* VIA_LINES: the unique line of every record. */
	char **lines;
	size_t n_lines, cap_lines;
	struct line_table table;
	struct buf out;
	pthread_t thread;
};

static uint64_t
hash_text(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* Returns the record whose unique line is s, or -1. */
static long
table_find(const struct via *v, const char *s, size_t n)
{
	const struct line_table *t = &v->table;
	size_t i;

	if (t->cap == 0)
		return -1;
	for (i = hash_text(s, n) & (t->cap - 1); t->slots[i];
	     i = (i + 1) & (t->cap - 1)) {
		const char *line = v->lines[t->slots[i] - 1];

		if (strlen(line) == n && memcmp(line, s, n) == 0)
			return (long)t->slots[i] - 1;
	}
	return -1;
}

static void
table_put(struct line_table *t, char **lines, size_t index)
{
	size_t i = hash_text(lines[index], strlen(lines[index])) &
	    (t->cap - 1);

	while (t->slots[i])
		i = (i + 1) & (t->cap - 1);
	t->slots[i] = (uint32_t)index + 1;
	t->n++;
}

static void
table_add(struct via *v, size_t index)
{
	struct line_table *t = &v->table;
	size_t k;

	if ((t->n + 1) * 2 > t->cap) {
		free(t->slots);
		t->cap = t->cap ? t->cap * 2 : 1024;
		t->slots = xcalloc(t->cap, sizeof(*t->slots));
		t->n = 0;
		for (k = 0; k < index; k++)
			table_put(t, v->lines, k);
	}
	table_put(t, v->lines, index);
}

static enum via_kind
via_kind(const char *via)
{
	size_t n = strcspn(via, " \t");
	const char *base = via;
	const char *slash = memrchr(via, '/', n);

	if (slash) {
		n -= (size_t)(slash + 1 - via);
		base = slash + 1;
	}
	if ((n == 3 && memcmp(base, "fzf", 3) == 0) ||
	    (n == 2 && memcmp(base, "sk", 2) == 0))
		return VIA_FZF;
	if (n == 4 && memcmp(base, "rofi", 4) == 0)
		return VIA_ROFI;
	if (n == 5 && memcmp(base, "dmenu", 5) == 0)
		return VIA_DMENU;
	return VIA_LINES;
}

static void
add_arg(char ***argv, size_t *n, const char *arg)
{
	*argv = xrealloc(*argv, (*n + 2) * sizeof(**argv));
	(*argv)[(*n)++] = xstrdup(arg);
	(*argv)[*n] = NULL;
}

/* The picker's command line: sh -c 'VIA "$@"' sh OPTIONS..., so that the
 * user's words keep their shell quoting and ours need none. */
static char **
build_argv(const struct via *v)
{
	const struct pick_options *o = v->o;
	char **argv = NULL, *script, height[32];
	size_t n = 0;

	if (v->kind == VIA_LINES)
		script = xstrdup(o->via);
	else
		script = xasprintf("%s \"$@\"", o->via);
	add_arg(&argv, &n, "sh");
	add_arg(&argv, &n, "-c");
	add_arg(&argv, &n, script);
	add_arg(&argv, &n, "sh");
	free(script);
	if (v->kind == VIA_FZF) {
		add_arg(&argv, &n, "--delimiter=\t");
		add_arg(&argv, &n, "--with-nth=2..");
		if (o->multi)
			add_arg(&argv, &n, "--multi");
		if (o->query) {
			add_arg(&argv, &n, "--query");
			add_arg(&argv, &n, o->query);
		}
		if (o->select_1)
			add_arg(&argv, &n, "--select-1");
		if (o->exit_0)
			add_arg(&argv, &n, "--exit-0");
		if (o->tac)
			add_arg(&argv, &n, "--tac");
		if (o->no_sort)
			add_arg(&argv, &n, "--no-sort");
		if (o->header) {
			add_arg(&argv, &n, "--header");
			add_arg(&argv, &n, o->header);
		}
		add_arg(&argv, &n, "--prompt");
		add_arg(&argv, &n, o->prompt);
		if (o->height) {
			snprintf(height, sizeof(height), "--height=%d%s",
			    o->height, o->height_percent ? "%" : "");
			add_arg(&argv, &n, height);
		}
	} else if (v->kind == VIA_ROFI) {
		add_arg(&argv, &n, "-dmenu");
		add_arg(&argv, &n, "-format");
		add_arg(&argv, &n, "i");
		add_arg(&argv, &n, "-p");
		add_arg(&argv, &n, o->prompt);
		if (o->multi)
			add_arg(&argv, &n, "-multi-select");
		if (o->query) {
			add_arg(&argv, &n, "-filter");
			add_arg(&argv, &n, o->query);
		}
	} else if (v->kind == VIA_DMENU) {
		add_arg(&argv, &n, "-p");
		add_arg(&argv, &n, o->prompt);
	}
	return argv;
}

/* The line a line-based picker shows for record index: its display line,
 * with " (N)" added while it repeats an earlier line. */
static char *
unique_line(struct via *v, const char *disp, size_t len, size_t index)
{
	struct buf line = BUF_INIT;

	buf_add(&line, disp, len);
	while (table_find(v, line.data ? line.data : "", line.len) >= 0)
		buf_addf(&line, " (%zu)", index + 1);
	return buf_detach(&line);
}

/* Called in the input thread for every piece, in input order. */
static void
via_piece(struct piece *p, void *data)
{
	struct via *v = data;
	struct buf text = BUF_INIT;
	uint32_t first, i;

	pthread_mutex_lock(&v->lock);
	first = v->store.n;
	store_add(&v->store, p);
	for (i = first; i < v->store.n; i++) {
		size_t len;
		const char *disp = store_display(&v->store, i, &len);

		if (v->kind == VIA_FZF)
			buf_addf(&text, "%u\t", i);
		if (v->kind == VIA_FZF || v->kind == VIA_ROFI) {
			buf_add(&text, disp, len);
		} else {
			if (v->n_lines == v->cap_lines) {
				v->cap_lines = v->cap_lines ? v->cap_lines * 2
							    : 1024;
				v->lines = xrealloc(v->lines,
				    v->cap_lines * sizeof(*v->lines));
			}
			v->lines[v->n_lines] = unique_line(v, disp, len, i);
			table_add(v, v->n_lines);
			buf_adds(&text, v->lines[v->n_lines++]);
		}
		buf_addc(&text, '\n');
	}
	pthread_mutex_unlock(&v->lock);
	if (!v->write_failed && write_all(v->fd, text.data, text.len) < 0)
		v->write_failed = 1;
	buf_free(&text);
}

static void *
via_feed(void *arg)
{
	struct via *v = arg;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	v->read_failed = store_load(STDIN_FILENO, "stdin", v->displays,
			     v->nthreads, 1, via_piece, v) < 0;
	close(v->fd);
	v->fd = -1;
	return NULL;
}

static pid_t
spawn_picker(struct via *v, int *in_fd, int *out_fd)
{
	char **argv = build_argv(v);
	int in[2], out[2];
	pid_t pid;
	size_t i;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		die("cannot create a pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("cannot start the picker \"%s\": %s", v->o->via,
		    strerror(errno));
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		signal(SIGPIPE, SIG_DFL);
		execv("/bin/sh", argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	for (i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
	*in_fd = in[1];
	*out_fd = out[0];
	return pid;
}

/* Returns the record index named by one line of the picker's output, or
 * -1. */
static long
answer_index(struct via *v, const char *line, size_t len)
{
	long index = -1;
	size_t digits = 0;

	if (v->kind == VIA_FZF || v->kind == VIA_ROFI) {
		char tmp[16];

		while (digits < len && digits < sizeof(tmp) - 1 &&
		    line[digits] >= '0' && line[digits] <= '9')
			digits++;
		if (digits == 0 || (v->kind == VIA_FZF && (digits == len ||
							      line[digits] !=
								  '\t')))
			return -1;
		memcpy(tmp, line, digits);
		tmp[digits] = '\0';
		index = strtol(tmp, NULL, 10);
	} else {
		index = table_find(v, line, len);
	}
	if (index < 0 || (uint64_t)index >= v->store.n)
		return -1;
	return index;
}

static int
compare_index(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* Writes the chosen records in input order; returns how many. */
static size_t
write_answer(struct via *v)
{
	const char *p = v->out.data, *end = v->out.data + v->out.len;
	long *chosen = NULL;
	size_t n = 0, i, written = 0;

	pthread_mutex_lock(&v->lock);
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		long index;

		if (len > 0 && p[len - 1] == '\r')
			len--;
		index = answer_index(v, p, len);
		if (index >= 0) {
			chosen = xrealloc(chosen, (n + 1) * sizeof(*chosen));
			chosen[n++] = index;
		}
		p = nl ? nl + 1 : end;
	}
	if (n)
		qsort(chosen, n, sizeof(*chosen), compare_index);
	for (i = 0; i < n; i++) {
		size_t len;
		const char *raw;

		if (i > 0 && chosen[i] == chosen[i - 1])
			continue;
		raw = store_raw(&v->store, (uint32_t)chosen[i], &len);
		out_line(raw, len);
		written++;
	}
	pthread_mutex_unlock(&v->lock);
	out_flush();
	free(chosen);
	return written;
}

/* Exit status from the picker's status and the records written. */
static int
via_status(const struct via *v, int wstatus, size_t written)
{
	if (WIFSIGNALED(wstatus))
		return WTERMSIG(wstatus) == SIGINT ? PICK_EXIT_ABORTED
						   : PICK_EXIT_ERROR;
	switch (WEXITSTATUS(wstatus)) {
	case 0:
		return written ? PICK_EXIT_CHOSEN : PICK_EXIT_NO_MATCH;
	case 1:
		return PICK_EXIT_NO_MATCH;
	case 130:
		return PICK_EXIT_ABORTED;
	case 127:
		error("cannot run the picker \"%s\": command not found",
		    v->o->via);
		return PICK_EXIT_ERROR;
	default:
		error("the picker \"%s\" failed with exit status %d",
		    v->o->via, WEXITSTATUS(wstatus));
		return PICK_EXIT_ERROR;
	}
}

static void
read_all(int fd, struct buf *out)
{
	char tmp[65536];
	ssize_t n;

	for (;;) {
		n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_add(out, tmp, (size_t)n);
	}
}

/* Waits until stdin has data or has ended. In "ecs-ls clusters | ecs-pick
 * --via fzf | ecs-ls tasks | ecs-pick --via fzf" the second picker's input
 * starts only after the first one has chosen, so its fzf does not start
 * meanwhile and take the terminal from the first one. */
static void
wait_for_input(void)
{
	struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};

	while (poll(&p, 1, -1) < 0)
		if (errno != EINTR)
			die("poll failed: %s", strerror(errno));
}

static struct via the_via;

int
pick_via(const struct pick_options *o)
{
	struct via *v = &the_via;
	struct buf err = BUF_INIT;
	double now = now_seconds();
	int out_fd, wstatus, status, i;
	size_t written, k;
	pid_t pid;

	if (o->preview)
		warning("--preview and --preview-cmd are not passed to the "
			"picker \"%s\"", o->via);
	v->o = o;
	v->kind = via_kind(o->via);
	pthread_mutex_init(&v->lock, NULL);
	store_init(&v->store, "stdin");
	v->nthreads = store_threads();
	v->displays = xcalloc((size_t)v->nthreads, sizeof(*v->displays));
	for (i = 0; i < v->nthreads; i++) {
		v->displays[i] = display_new(o->format, now, &err);
		if (!v->displays[i]) {
			error("invalid --format expression: %s", err.data);
			exit(PICK_EXIT_ERROR);
		}
	}
	buf_free(&err);

	/* A picker that exits before reading everything must not kill us,
	 * because the input thread may still be writing to it. A closed
	 * stdout still ends the program quietly through out_flush. */
	signal(SIGPIPE, SIG_IGN);
	wait_for_input();
	pid = spawn_picker(v, &v->fd, &out_fd);
	if (pthread_create(&v->thread, NULL, via_feed, v) != 0)
		die("cannot start the input thread: %s", strerror(errno));
	read_all(out_fd, &v->out);
	close(out_fd);
	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR)
			die("waiting for the picker failed: %s",
			    strerror(errno));

	written = write_answer(v);
	status = via_status(v, wstatus, written);
	if (status == PICK_EXIT_CHOSEN || status == PICK_EXIT_NO_MATCH) {
		pthread_mutex_lock(&v->lock);
		if (v->store.errors.len)
			write_stderr_text(v->store.errors.data,
			    v->store.errors.len);
		if (v->store.n_errors || v->read_failed)
			status = PICK_EXIT_ERROR;
		pthread_mutex_unlock(&v->lock);
	}
	/* The input thread may still wait on a producer that goes on
	 * writing; it is stopped where it reads. */
	pthread_cancel(v->thread);
	pthread_join(v->thread, NULL);
	for (k = 0; k < v->n_lines; k++)
		free(v->lines[k]);
	free(v->lines);
	free(v->table.slots);
	buf_free(&v->out);
	store_free(&v->store);
	for (i = 0; i < v->nthreads; i++)
		display_free(v->displays[i]);
	free(v->displays);
	if (v->fd >= 0)
		close(v->fd);
	return status;
}
