/* The interactive picker: records stream in from a loader thread while
 * the screen on /dev/tty shows the best matches for the query. */
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
#include "match.h"
#include "pick-ui.h"
#include "results.h"
#include "store.h"
#include "term.h"
#include "text.h"
#include "util.h"

/* Matches ranked in full at first, or the screen's rows when more.
 * Scrolling further ranks more. Keeping 32 instead of 256 cut the query
 * "4b2" over a million records from 66 to 41 ms of CPU, because the
 * worst kept score rises sooner (bench/pick-keys.c). */
#define TOP_K_MIN 32
/* How long a lone ESC waits for the rest of an escape sequence. */
#define ESC_WAIT_MS 30
/* Largest preview kept, in bytes. */
#define PREVIEW_MAX (256u << 10)
/* The preview pane needs this many terminal columns. */
#define PREVIEW_MIN_COLS 40

#define SGR_RESET "\x1b[0m"

struct loader {
	pthread_t thread;
	int started;
	int pipe[2];		/* one byte per batch of queued pieces */
	pthread_mutex_t lock;
	struct piece **queue;
	size_t n_queue, cap;
	int done;
	int failed;
	struct display **displays;
	int nthreads;
};

struct preview {
	pid_t pid;
	int out_fd;		/* the command's stdout and stderr */
	int in_fd;		/* its stdin, while the record is written */
	const char *in_data;
	size_t in_len, in_off;
	struct buf text;
	uint32_t index;
	int valid;
};

struct ui {
	const struct pick_options *o;
	struct term term;
	int have_term;
	struct store store;
	struct loader loader;
	int nthreads;
	int color;

	struct buf query;
	size_t cursor;		/* byte offset in query */
	int query_changed;

	struct results results;
	size_t n_matches;

	size_t cur, offset;	/* selected row and first row shown */
	unsigned char *marks;
	size_t marks_cap;
	size_t n_marked;

	int started;		/* the screen is drawn */
	int region;		/* rows drawn */
	int list_rows;
	struct buf frame;
	struct buf keys;	/* unparsed key bytes */
	int64_t key_start_us;

	struct preview preview;
};

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Loader thread: reads stdin into pieces and queues them for the screen
 * thread, which alone touches the store. */
static void
queue_piece(struct piece *p, void *data)
{
	struct loader *l = data;

	pthread_mutex_lock(&l->lock);
	if (l->n_queue == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->queue = xrealloc(l->queue, l->cap * sizeof(*l->queue));
	}
	l->queue[l->n_queue++] = p;
	pthread_mutex_unlock(&l->lock);
	(void)!write(l->pipe[1], "p", 1);
}

static void *
load_records(void *arg)
{
	struct loader *l = arg;
	int rc;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	rc = store_load(STDIN_FILENO, "stdin", l->displays, l->nthreads, 1,
	    queue_piece, l);

	pthread_mutex_lock(&l->lock);
	l->done = 1;
	l->failed = rc < 0;
	pthread_mutex_unlock(&l->lock);
	(void)!write(l->pipe[1], "d", 1);
	return NULL;
}

static void
loader_start(struct ui *ui, struct display **displays)
{
	struct loader *l = &ui->loader;

	l->displays = displays;
	l->nthreads = ui->nthreads;
	pthread_mutex_init(&l->lock, NULL);
	if (pipe2(l->pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		die("cannot create a pipe: %s", strerror(errno));
	if (pthread_create(&l->thread, NULL, load_records, l) != 0)
		die("cannot start the input thread: %s", strerror(errno));
	l->started = 1;
}

/* Moves queued pieces into the store. Returns 1 when anything changed. */
static int
loader_collect(struct ui *ui)
{
	struct loader *l = &ui->loader;
	struct piece **queue;
	size_t n, i;
	char drain[256];
	int done, changed;

	while (read(l->pipe[0], drain, sizeof(drain)) == sizeof(drain))
		;
	pthread_mutex_lock(&l->lock);
	queue = l->queue;
	n = l->n_queue;
	l->queue = NULL;
	l->n_queue = l->cap = 0;
	done = l->done;
	pthread_mutex_unlock(&l->lock);

	for (i = 0; i < n; i++)
		store_add(&ui->store, queue[i]);
	free(queue);
	changed = n > 0;
	if (done && l->started) {
		pthread_join(l->thread, NULL);
		l->started = 0;
		close(l->pipe[0]);
		close(l->pipe[1]);
		l->pipe[0] = l->pipe[1] = -1;
		changed = 1;
	}
	return changed;
}

static int
loading(const struct ui *ui)
{
	return ui->loader.started;
}

static int
query_empty(const struct ui *ui)
{
	return results_query_empty(&ui->results);
}

/* The record shown at row pos of the list. */
static uint32_t
item_at(const struct ui *ui, size_t pos)
{
	return results_item(&ui->results, &ui->store, pos);
}

static size_t
rows_available(const struct ui *ui)
{
	return results_rows(&ui->results, &ui->store);
}

/* Brings the results up to date. With interruptible set, a key typed
 * meanwhile stops the ranking, which is stale by then: returns -1, and
 * the caller reads the keys before ranking again. */
static int
update_results(struct ui *ui, int interruptible)
{
	ui->results.interrupt_fd =
	    interruptible && ui->have_term ? ui->term.fd : -1;
	if (ui->query_changed) {
		ui->cur = ui->offset = 0;
		if (results_set_query(&ui->results, &ui->store,
			ui->query.data ? ui->query.data : "") < 0)
			return -1;
		ui->query_changed = 0;
	}
	if (results_update(&ui->results, &ui->store) < 0)
		return -1;
	ui->n_matches = ui->results.n_matches;
	return 0;
}

/* Ranks more matches when the selection moves past the ranked ones. */
static void
ensure_ranked(struct ui *ui, size_t rows)
{
	results_ensure(&ui->results, &ui->store, rows);
}

/* Drawing. Every frame is built in one buffer and written at once. The
 * cursor is left on the prompt row, so the next frame starts there. */

static int
preview_columns(const struct ui *ui)
{
	if (!ui->o->preview || ui->term.cols < PREVIEW_MIN_COLS)
		return 0;
	return ui->term.cols / 2 - 1;
}

static int
region_rows(const struct ui *ui)
{
	int rows = ui->term.rows, h = ui->o->height;

	if (h == 0)
		return rows;
	if (ui->o->height_percent)
		h = rows * h / 100;
	if (h < 3)
		h = 3;
	return h < rows ? h : rows;
}

/* Appends text (display text, already sanitized) in at most width
 * columns, with the bytes at pos[] highlighted and base restored after
 * each. When the last highlighted character would be cut off, the start
 * is cut instead, behind an ellipsis. */
static void
draw_text(struct ui *ui, const char *text, size_t len, const uint32_t *pos,
    size_t n_pos, size_t width, const char *base)
{
	const char *hl = ui->color ? "\x1b[32m" : "\x1b[4m";
	size_t total = text_width(text, len), i = 0, used = 0, p = 0;
	size_t skip_to = 0;

	if (width == 0)
		return;
	if (total > width && n_pos > 0) {
		/* Width up to the end of the last highlighted character. */
		size_t last = pos[n_pos - 1], upto;
		uint32_t cp;

		last += utf8_decode(text + last, len - last, &cp);
		upto = text_width(text, last);
		if (upto > width - 1) {
			size_t drop = upto - (width - 2);

			while (skip_to < len && drop > 0) {
				size_t n = utf8_decode(text + skip_to,
				    len - skip_to, &cp);
				size_t w = (size_t)codepoint_width(cp);

				skip_to += n;
				drop = drop > w ? drop - w : 0;
			}
			buf_adds(&ui->frame, "\xe2\x80\xa6");
			used = 1;
			total = used + text_width(text + skip_to, len - skip_to);
		}
	}
	i = skip_to;
	while (p < n_pos && pos[p] < i)
		p++;
	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(text + i, len - i, &cp);
		size_t w = (size_t)codepoint_width(cp);
		int on = p < n_pos && pos[p] == i;

		if (total > width && used + w > width - 1) {
			buf_adds(&ui->frame, "\xe2\x80\xa6");
			used++;
			break;
		}
		if (used + w > width)
			break;
		if (on)
			buf_adds(&ui->frame, hl);
		buf_add(&ui->frame, text + i, n);
		if (on) {
			buf_adds(&ui->frame, SGR_RESET);
			buf_adds(&ui->frame, base);
			p++;
		}
		used += w;
		i += n;
	}
	while (used < width) {
		buf_addc(&ui->frame, ' ');
		used++;
	}
}

static void
draw_item(struct ui *ui, size_t row, size_t width)
{
	uint32_t index = item_at(ui, row);
	uint32_t pos[MATCH_MAX_POSITIONS];
	size_t len, n_pos = 0;
	const char *text = store_display(&ui->store, index, &len);
	int current = row == ui->cur;
	int marked = index < ui->marks_cap * 8 &&
	    (ui->marks[index / 8] & (1u << (index % 8)));
	const char *base = current ? "\x1b[1m" : "";
	int32_t score;

	if (!query_empty(ui))
		query_match_positions(ui->results.q, text, len, &score, pos, &n_pos);
	if (current)
		buf_adds(&ui->frame, ui->color ? "\x1b[1;31m>" SGR_RESET : ">");
	else
		buf_addc(&ui->frame, ' ');
	if (marked)
		buf_adds(&ui->frame, ui->color ? "\x1b[1;35m*" SGR_RESET : "*");
	else
		buf_addc(&ui->frame, ' ');
	buf_adds(&ui->frame, base);
	draw_text(ui, text, len, pos, n_pos, width > 2 ? width - 2 : 0, base);
	buf_adds(&ui->frame, SGR_RESET);
}

/* Appends plain text (a prompt, header or preview line) fitted and
 * padded to width columns. */
static void
draw_plain(struct ui *ui, const char *s, size_t len, size_t width)
{
	text_fit(s, len, width, 1, &ui->frame);
}

static void
draw_info(struct ui *ui, size_t width)
{
	struct buf info = BUF_INIT;

	buf_addf(&info, "  %zu/%u", ui->n_matches, ui->store.n);
	if (loading(ui))
		buf_adds(&info, " (loading)");
	if (ui->n_marked)
		buf_addf(&info, " (%zu marked)", ui->n_marked);
	if (ui->store.n_errors)
		buf_addf(&info, "  %zu malformed lines", ui->store.n_errors);
	draw_plain(ui, info.data, info.len, width);
	buf_free(&info);
}

/* Returns line number `line` of text (lines end at newlines) and its
 * length in *n, or NULL when text has fewer lines. */
static const char *
nth_line(const char *text, size_t len, int line, size_t *n)
{
	const char *p = text, *end = text + len;

	if (!text)
		return NULL;
	while (line-- > 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			return NULL;
		p = nl + 1;
	}
	if (p >= end)
		return NULL;
	*n = (size_t)((const char *)(memchr(p, '\n', (size_t)(end - p))
					 ?: end) -
	    p);
	return p;
}

static int
count_lines(const char *s)
{
	int n = 1;

	while (s && (s = strchr(s, '\n')) != NULL) {
		n++;
		s++;
	}
	return n;
}

static size_t
query_columns(const struct ui *ui)
{
	struct buf tmp = BUF_INIT;
	size_t w;

	text_sanitize(ui->o->prompt, strlen(ui->o->prompt), 0, &tmp);
	text_sanitize(ui->query.data ? ui->query.data : "", ui->cursor, 0,
	    &tmp);
	w = text_width(tmp.data ? tmp.data : "", tmp.len);
	buf_free(&tmp);
	return w;
}

static void
draw_left_row(struct ui *ui, int row, int header_rows, size_t width)
{
	int list_row = row - 2 - header_rows;

	if (row == 0) {
		struct buf line = BUF_INIT;

		buf_adds(&line, ui->o->prompt);
		buf_add(&line, ui->query.data, ui->query.len);
		draw_plain(ui, line.data, line.len, width);
		buf_free(&line);
	} else if (row == 1) {
		draw_info(ui, width);
	} else if (list_row < 0) {
		size_t n = 0;
		const char *h = nth_line(ui->o->header, strlen(ui->o->header),
		    row - 2, &n);

		draw_plain(ui, h ? h : "", h ? n : 0, width);
	} else if (ui->offset + (size_t)list_row < rows_available(ui)) {
		draw_item(ui, ui->offset + (size_t)list_row, width);
	} else {
		draw_plain(ui, "", 0, width);
	}
}

static void
draw(struct ui *ui)
{
	int rows = region_rows(ui), pw = preview_columns(ui), row;
	int header_rows = ui->o->header ? count_lines(ui->o->header) : 0;
	size_t lw = (size_t)(pw ? ui->term.cols - pw - 1 : ui->term.cols);
	size_t col;

	ui->list_rows = rows - 2 - header_rows;
	if (ui->list_rows < 0)
		ui->list_rows = 0;
	ensure_ranked(ui, ui->offset + (size_t)ui->list_rows + 1);
	if (ui->cur >= rows_available(ui))
		ui->cur = rows_available(ui) ? rows_available(ui) - 1 : 0;
	if (ui->cur < ui->offset)
		ui->offset = ui->cur;
	if (ui->list_rows > 0 && ui->cur >= ui->offset + (size_t)ui->list_rows)
		ui->offset = ui->cur - (size_t)ui->list_rows + 1;

	buf_reset(&ui->frame);
	buf_adds(&ui->frame, "\x1b[?25l");
	if (!ui->started) {
		/* Make room below the cursor for a partial-height region. */
		for (row = 1; row < rows; row++)
			buf_adds(&ui->frame, "\n");
		if (rows > 1)
			buf_addf(&ui->frame, "\x1b[%dA", rows - 1);
		ui->started = 1;
	}
	for (row = 0; row < rows; row++) {
		buf_adds(&ui->frame, row ? "\r\n" : "\r");
		draw_left_row(ui, row, header_rows, lw);
		if (pw) {
			size_t n = 0;
			const char *line = ui->preview.valid
					       ? nth_line(ui->preview.text.data,
						     ui->preview.text.len, row,
						     &n)
					       : NULL;

			buf_adds(&ui->frame, "\xe2\x94\x82");
			draw_plain(ui, line ? line : "", line ? n : 0,
			    (size_t)pw);
		}
		buf_adds(&ui->frame, "\x1b[K");
	}
	if (rows > 1)
		buf_addf(&ui->frame, "\x1b[%dA", rows - 1);
	col = query_columns(ui);
	if (col >= lw)
		col = lw ? lw - 1 : 0;
	buf_adds(&ui->frame, "\r");
	if (col)
		buf_addf(&ui->frame, "\x1b[%zuC", col);
	buf_adds(&ui->frame, "\x1b[?25h");
	term_write(&ui->term, ui->frame.data, ui->frame.len);
	ui->region = rows;
}

/* Preview. A jq expression is evaluated at once. A command runs in the
 * background with the record on its stdin, and its output is shown as it
 * arrives. */

static void
preview_stop(struct ui *ui)
{
	struct preview *pv = &ui->preview;

	if (pv->pid > 0) {
		kill(-pv->pid, SIGKILL);
		waitpid(pv->pid, NULL, 0);
		pv->pid = 0;
	}
	if (pv->out_fd >= 0)
		close(pv->out_fd);
	if (pv->in_fd >= 0)
		close(pv->in_fd);
	pv->out_fd = pv->in_fd = -1;
}

static void
preview_feed(struct preview *pv)
{
	while (pv->in_fd >= 0 && pv->in_off < pv->in_len) {
		ssize_t n = write(pv->in_fd, pv->in_data + pv->in_off,
		    pv->in_len - pv->in_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0)
			break;
		pv->in_off += (size_t)n;
	}
	/* The newline that ends the record, then end of input. */
	if (pv->in_fd >= 0 && pv->in_off >= pv->in_len) {
		(void)!write(pv->in_fd, "\n", 1);
		close(pv->in_fd);
		pv->in_fd = -1;
	}
}

static void
preview_spawn(struct ui *ui, const char *raw, size_t len)
{
	struct preview *pv = &ui->preview;
	int in[2], out[2];

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		die("cannot create a pipe: %s", strerror(errno));
	pv->pid = fork();
	if (pv->pid < 0)
		die("cannot start the preview command: %s", strerror(errno));
	if (pv->pid == 0) {
		setpgid(0, 0);
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(out[1], STDERR_FILENO);
		execl("/bin/sh", "sh", "-c", ui->o->preview_cmd, (char *)NULL);
		_exit(127);
	}
	setpgid(pv->pid, pv->pid);
	close(in[0]);
	close(out[1]);
	pv->in_fd = in[1];
	pv->out_fd = out[0];
	fcntl(pv->in_fd, F_SETFL, O_NONBLOCK);
	fcntl(pv->out_fd, F_SETFL, O_NONBLOCK);
	pv->in_data = raw;
	pv->in_len = len;
	pv->in_off = 0;
	preview_feed(pv);
}

/* Reads what the preview command wrote. Returns 1 when the text changed. */
static int
preview_read(struct ui *ui)
{
	struct preview *pv = &ui->preview;
	char tmp[8192];
	ssize_t n;
	int changed = 0;

	while ((n = read(pv->out_fd, tmp, sizeof(tmp))) > 0) {
		if (pv->text.len < PREVIEW_MAX)
			buf_add(&pv->text, tmp, (size_t)n);
		changed = 1;
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		close(pv->out_fd);
		pv->out_fd = -1;
		if (pv->in_fd >= 0) {
			close(pv->in_fd);
			pv->in_fd = -1;
		}
		waitpid(pv->pid, NULL, 0);
		pv->pid = 0;
	}
	return changed;
}

/* Starts the preview of the selected record when it changed. */
static void
preview_update(struct ui *ui)
{
	struct preview *pv = &ui->preview;
	uint32_t index;
	const char *raw;
	size_t len;

	if (!ui->o->preview)
		return;
	if (rows_available(ui) == 0) {
		preview_stop(ui);
		buf_reset(&pv->text);
		pv->valid = 0;
		return;
	}
	index = item_at(ui, ui->cur);
	if (pv->valid && pv->index == index)
		return;
	preview_stop(ui);
	buf_reset(&pv->text);
	pv->index = index;
	pv->valid = 1;
	raw = store_raw(&ui->store, index, &len);
	if (len > 0 && raw[len - 1] == '\r')
		len--;
	if (ui->o->preview_cmd)
		preview_spawn(ui, raw, len);
	else
		display_preview(raw, len, ui->o->preview_expr, &pv->text);
}

/* Query editing on UTF-8 text: the cursor moves by whole characters. */

static size_t
char_before(const struct ui *ui, size_t at)
{
	while (at > 0) {
		at--;
		if (((unsigned char)ui->query.data[at] & 0xc0) != 0x80)
			break;
	}
	return at;
}

static size_t
char_after(const struct ui *ui, size_t at)
{
	uint32_t cp;

	if (at >= ui->query.len)
		return at;
	return at + utf8_decode(ui->query.data + at, ui->query.len - at, &cp);
}

static void
query_delete(struct ui *ui, size_t from, size_t to)
{
	if (to <= from)
		return;
	memmove(ui->query.data + from, ui->query.data + to,
	    ui->query.len - to + 1);
	ui->query.len -= to - from;
	if (ui->cursor > to)
		ui->cursor -= to - from;
	else if (ui->cursor > from)
		ui->cursor = from;
	ui->query_changed = 1;
}

static void
query_insert(struct ui *ui, const char *s)
{
	size_t n = strlen(s);

	buf_grow(&ui->query, n);
	memmove(ui->query.data + ui->cursor + n, ui->query.data + ui->cursor,
	    ui->query.len - ui->cursor + 1);
	memcpy(ui->query.data + ui->cursor, s, n);
	ui->query.len += n;
	ui->cursor += n;
	ui->query_changed = 1;
}

static void
delete_word(struct ui *ui)
{
	size_t at = ui->cursor;

	while (at > 0 && ui->query.data[at - 1] == ' ')
		at--;
	while (at > 0 && ui->query.data[at - 1] != ' ')
		at--;
	query_delete(ui, at, ui->cursor);
}

static void
move_selection(struct ui *ui, long delta)
{
	size_t n = rows_available(ui);

	if (delta < 0 && (size_t)-delta > ui->cur)
		ui->cur = 0;
	else
		ui->cur = (size_t)((long)ui->cur + delta);
	if (n == 0 || ui->cur >= ui->n_matches)
		ui->cur = ui->n_matches ? ui->n_matches - 1 : 0;
	ensure_ranked(ui, ui->cur + 1);
	if (ui->cur >= rows_available(ui))
		ui->cur = rows_available(ui) ? rows_available(ui) - 1 : 0;
}

static void
toggle_mark(struct ui *ui)
{
	uint32_t index;
	unsigned char bit;

	if (rows_available(ui) == 0)
		return;
	index = item_at(ui, ui->cur);
	if (index / 8 >= ui->marks_cap) {
		size_t cap = (ui->store.n / 8 + 1) * 2;

		ui->marks = xrealloc(ui->marks, cap);
		memset(ui->marks + ui->marks_cap, 0, cap - ui->marks_cap);
		ui->marks_cap = cap;
	}
	bit = (unsigned char)(1u << (index % 8));
	ui->marks[index / 8] ^= bit;
	if (ui->marks[index / 8] & bit)
		ui->n_marked++;
	else
		ui->n_marked--;
}

enum action {
	ACTION_NONE,
	ACTION_ACCEPT,
	ACTION_ABORT,
	ACTION_SUSPEND,
	ACTION_REDRAW,
};

static enum action
handle_ctrl(struct ui *ui, char c)
{
	switch (c) {
	case 'c':
	case 'g':
	case 'q':
		return ACTION_ABORT;
	case 'n':
	case 'j':
		move_selection(ui, 1);
		break;
	case 'p':
	case 'k':
		move_selection(ui, -1);
		break;
	case 'a':
		ui->cursor = 0;
		break;
	case 'e':
		ui->cursor = ui->query.len;
		break;
	case 'b':
		ui->cursor = char_before(ui, ui->cursor);
		break;
	case 'f':
		ui->cursor = char_after(ui, ui->cursor);
		break;
	case 'u':
		query_delete(ui, 0, ui->cursor);
		break;
	case 'w':
		delete_word(ui);
		break;
	case 'd':
		query_delete(ui, ui->cursor, char_after(ui, ui->cursor));
		break;
	case 'z':
		return ACTION_SUSPEND;
	case 'l':
		return ACTION_REDRAW;
	}
	return ACTION_NONE;
}

static enum action
handle_key(struct ui *ui, const struct term_key *key)
{
	long page = ui->list_rows > 1 ? ui->list_rows : 1;

	switch (key->code) {
	case KEY_CHAR:
		query_insert(ui, key->text);
		break;
	case KEY_ENTER:
		return ACTION_ACCEPT;
	case KEY_ESC:
		return ACTION_ABORT;
	case KEY_CTRL:
		return handle_ctrl(ui, key->ctrl);
	case KEY_BACKSPACE:
		query_delete(ui, char_before(ui, ui->cursor), ui->cursor);
		break;
	case KEY_DELETE:
		query_delete(ui, ui->cursor, char_after(ui, ui->cursor));
		break;
	case KEY_UP:
		move_selection(ui, -1);
		break;
	case KEY_DOWN:
		move_selection(ui, 1);
		break;
	case KEY_PAGE_UP:
		move_selection(ui, -page);
		break;
	case KEY_PAGE_DOWN:
		move_selection(ui, page);
		break;
	case KEY_LEFT:
		ui->cursor = char_before(ui, ui->cursor);
		break;
	case KEY_RIGHT:
		ui->cursor = char_after(ui, ui->cursor);
		break;
	case KEY_HOME:
		ui->cursor = 0;
		break;
	case KEY_END:
		ui->cursor = ui->query.len;
		break;
	case KEY_TAB:
		if (ui->o->multi) {
			toggle_mark(ui);
			move_selection(ui, 1);
		}
		break;
	case KEY_SHIFT_TAB:
		if (ui->o->multi) {
			toggle_mark(ui);
			move_selection(ui, -1);
		}
		break;
	default:
		break;
	}
	return ACTION_NONE;
}

/* The main loop and its end. */

static void
write_chosen(struct ui *ui)
{
	size_t i, len;
	const char *raw;

	if (ui->n_marked == 0) {
		raw = store_raw(&ui->store, item_at(ui, ui->cur), &len);
		out_line(raw, len);
		return;
	}
	for (i = 0; i < ui->marks_cap * 8 && i < ui->store.n; i++)
		if (ui->marks[i / 8] & (1u << (i % 8))) {
			raw = store_raw(&ui->store, (uint32_t)i, &len);
			out_line(raw, len);
		}
}

/* Restores the terminal, writes the result and returns the exit status.
 * Malformed input lines make the status 2 unless the user aborted. */
static int
finish(struct ui *ui, int status)
{
	if (ui->have_term) {
		preview_stop(ui);
		term_close(&ui->term);
		ui->have_term = 0;
	}
	if (status == PICK_EXIT_CHOSEN)
		write_chosen(ui);
	out_flush();
	if (ui->store.errors.len)
		write_stderr_text(ui->store.errors.data,
		    ui->store.errors.len);
	if (ui->loader.failed && status != PICK_EXIT_ABORTED)
		status = PICK_EXIT_ERROR;
	if (ui->store.n_errors && status != PICK_EXIT_ABORTED)
		status = PICK_EXIT_ERROR;
	return status;
}

/* Reads the pending key bytes and acts on every complete key. */
static enum action
read_keys(struct ui *ui, int complete)
{
	char tmp[4096];
	ssize_t n;
	size_t at = 0;
	enum action act = ACTION_NONE;

	if (!complete) {
		n = read(ui->term.fd, tmp, sizeof(tmp));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return ACTION_NONE;
		if (n <= 0)
			die("read from the terminal failed: %s",
			    n < 0 ? strerror(errno) : "end of file");
		if (ui->keys.len == 0)
			ui->key_start_us = now_us();
		buf_add(&ui->keys, tmp, (size_t)n);
	}
	while (at < ui->keys.len && act == ACTION_NONE) {
		struct term_key key;
		size_t used = term_parse_key(ui->keys.data + at,
		    ui->keys.len - at, complete, &key);

		if (used == 0)
			break;
		at += used;
		act = handle_key(ui, &key);
	}
	buf_consume(&ui->keys, at);
	return act;
}

/* CPU time of the whole process (all threads), in microseconds. */
static int64_t
cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
redraw(struct ui *ui)
{
	int64_t t0 = now_us(), c0 = cpu_us(), t1, t2;

	if (update_results(ui, 1) < 0)
		return;
	t1 = now_us();
	preview_update(ui);
	draw(ui);
	t2 = now_us();
	if (ui->o->debug && ui->key_start_us) {
		fprintf(stderr, "ecs-pick: key to redraw %.2f ms (rank %.2f "
				"ms, draw %.2f ms, CPU %.2f ms), %zu/%u "
				"matches\n",
		    (double)(t2 - ui->key_start_us) / 1000,
		    (double)(t1 - t0) / 1000, (double)(t2 - t1) / 1000,
		    (double)(cpu_us() - c0) / 1000, ui->n_matches,
		    ui->store.n);
		ui->key_start_us = 0;
	}
}

static void
handle_signal_events(struct ui *ui)
{
	char ev[64];
	ssize_t n, i;

	while ((n = read(ui->term.signal_pipe[0], ev, sizeof(ev))) > 0)
		for (i = 0; i < n; i++) {
			if (ev[i] == TERM_EVENT_RESUME) {
				term_resume(&ui->term);
				if (ui->o->height)
					ui->started = 0;
			}
			term_update_size(&ui->term);
		}
}

static int
run_loop(struct ui *ui)
{
	for (;;) {
		struct pollfd fds[5];
		int nfds = 0, key_fd, sig_fd, load_fd = -1, out_fd = -1;
		int in_fd = -1, timeout = -1;
		enum action act = ACTION_NONE;

		redraw(ui);
		fds[nfds].fd = ui->term.fd;
		fds[nfds++].events = POLLIN;
		key_fd = 0;
		fds[nfds].fd = ui->term.signal_pipe[0];
		fds[nfds++].events = POLLIN;
		sig_fd = 1;
		if (loading(ui)) {
			load_fd = nfds;
			fds[nfds].fd = ui->loader.pipe[0];
			fds[nfds++].events = POLLIN;
		}
		if (ui->preview.out_fd >= 0) {
			out_fd = nfds;
			fds[nfds].fd = ui->preview.out_fd;
			fds[nfds++].events = POLLIN;
		}
		if (ui->preview.in_fd >= 0) {
			in_fd = nfds;
			fds[nfds].fd = ui->preview.in_fd;
			fds[nfds++].events = POLLOUT;
		}
		if (ui->keys.len)
			timeout = ESC_WAIT_MS;
		if (poll(fds, (nfds_t)nfds, timeout) < 0) {
			if (errno == EINTR)
				continue;
			die("poll failed: %s", strerror(errno));
		}

		if (fds[sig_fd].revents)
			handle_signal_events(ui);
		if (load_fd >= 0 && fds[load_fd].revents)
			loader_collect(ui);
		if (out_fd >= 0 && fds[out_fd].revents)
			preview_read(ui);
		if (in_fd >= 0 && fds[in_fd].revents)
			preview_feed(&ui->preview);
		if (fds[key_fd].revents & (POLLIN | POLLHUP | POLLERR))
			act = read_keys(ui, 0);
		else if (ui->keys.len)
			act = read_keys(ui, 1);

		switch (act) {
		case ACTION_ACCEPT:
			update_results(ui, 0);
			if (rows_available(ui) == 0)
				return finish(ui, PICK_EXIT_NO_MATCH);
			return finish(ui, PICK_EXIT_CHOSEN);
		case ACTION_ABORT:
			return finish(ui, PICK_EXIT_ABORTED);
		case ACTION_SUSPEND:
			term_suspend(&ui->term);
			break;
		case ACTION_REDRAW:
		case ACTION_NONE:
			break;
		}
	}
}

/* With --select-1 or --exit-0 the screen waits until the result is
 * certain: a second match (or a first one, for --exit-0 alone) means the
 * user has to choose; the end of input decides the rest. Returns an exit
 * status, or -1 to go on to the screen. */
static int
decide_early(struct ui *ui)
{
	const struct pick_options *o = ui->o;

	for (;;) {
		struct pollfd p;

		update_results(ui, 0);
		if (o->select_1 && ui->n_matches >= 2)
			return -1;
		if (!o->select_1 && ui->n_matches >= 1)
			return -1;
		if (!loading(ui))
			break;
		p.fd = ui->loader.pipe[0];
		p.events = POLLIN;
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			die("poll failed: %s", strerror(errno));
		loader_collect(ui);
	}
	update_results(ui, 0);
	if (o->select_1 && ui->n_matches == 1) {
		ui->cur = 0;
		return finish(ui, PICK_EXIT_CHOSEN);
	}
	if (o->exit_0 && ui->n_matches == 0)
		return finish(ui, PICK_EXIT_NO_MATCH);
	return -1;
}

/* Waits until the input has its first records or has ended, before the
 * terminal is opened. In "ecs-ls clusters | ecs-pick | ecs-ls tasks |
 * ecs-pick" the second picker's input starts only after the first one has
 * chosen, so the second neither reads the first one's keys nor saves its
 * raw terminal mode as the mode to restore. */
static void
wait_first_piece(struct ui *ui)
{
	while (loading(ui) && ui->store.n_pieces == 0) {
		struct pollfd p;

		p.fd = ui->loader.pipe[0];
		p.events = POLLIN;
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			die("poll failed: %s", strerror(errno));
		loader_collect(ui);
	}
}

static void
ui_free(struct ui *ui, struct display **displays)
{
	size_t i;

	/* A loader still waiting on its producer is stopped where it reads;
	 * pieces it queued meanwhile go into the store to be freed. */
	if (loading(ui)) {
		pthread_cancel(ui->loader.thread);
		pthread_join(ui->loader.thread, NULL);
		ui->loader.started = 0;
		loader_collect(ui);
		close(ui->loader.pipe[0]);
		close(ui->loader.pipe[1]);
	}
	free(ui->loader.queue);
	results_free(&ui->results);
	store_free(&ui->store);
	buf_free(&ui->query);
	buf_free(&ui->frame);
	buf_free(&ui->keys);
	buf_free(&ui->preview.text);
	free(ui->marks);
	for (i = 0; i < (size_t)ui->nthreads; i++)
		display_free(displays[i]);
	free(displays);
}

/* Colour on /dev/tty: NO_COLOR unset or empty, TERM not "dumb". Without
 * it, matches are underlined and the selection is bold. */
static int
terminal_color(void)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	if (nc && *nc)
		return 0;
	return !term || strcmp(term, "dumb") != 0;
}

static struct ui the_ui;

int
pick_interactive(const struct pick_options *o)
{
	struct ui *ui = &the_ui;
	struct display **displays;
	struct buf err = BUF_INIT;
	double now = now_seconds();
	int i, status;

	if (isatty(STDIN_FILENO)) {
		error("no records on stdin: pipe records in, for example "
		      "\"ecs-ls clusters | ecs-pick\"");
		return PICK_EXIT_ERROR;
	}
	ui->o = o;
	ui->preview.out_fd = ui->preview.in_fd = -1;
	ui->nthreads = store_threads();
	displays = xcalloc((size_t)ui->nthreads, sizeof(*displays));
	for (i = 0; i < ui->nthreads; i++) {
		displays[i] = display_new(o->format, now, &err);
		if (!displays[i]) {
			error("invalid --format expression: %s", err.data);
			exit(PICK_EXIT_ERROR);
		}
	}
	buf_free(&err);
	store_init(&ui->store, "stdin");
	results_init(&ui->results, !o->no_sort, o->tac, ui->nthreads,
	    ui->have_term && ui->term.rows > TOP_K_MIN ? (size_t)ui->term.rows
						       : TOP_K_MIN);
	ui->color = terminal_color();
	buf_adds(&ui->query, o->query ? o->query : "");
	ui->cursor = ui->query.len;
	ui->query_changed = 1;
	loader_start(ui, displays);
	wait_first_piece(ui);

	ui->have_term = term_open(&ui->term) == 0;
	if (!ui->have_term && !o->select_1 && !o->exit_0) {
		error("cannot open the terminal /dev/tty: %s; use --filter "
		      "QUERY or --via to pick without one",
		    strerror(errno));
		ui_free(ui, displays);
		return PICK_EXIT_ERROR;
	}

	status = -1;
	if (o->select_1 || o->exit_0)
		status = decide_early(ui);
	if (status < 0 && !ui->have_term) {
		error("cannot open the terminal /dev/tty, and more than one "
		      "record matches: use --filter QUERY or --via to pick "
		      "without one");
		status = finish(ui, PICK_EXIT_ERROR);
	}
	if (status < 0) {
		term_raw(&ui->term, o->height ? NULL : "\x1b[?1049h\x1b[H",
		    o->height ? "\r\x1b[J\x1b[?25h" : "\x1b[?25h\x1b[?1049l");
		status = run_loop(ui);
	}
	ui_free(ui, displays);
	return status;
}
