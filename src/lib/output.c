/* Tables and TSV for people and scripts. */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "json.h"
#include "output.h"
#include "text.h"
#include "util.h"

struct table {
	struct table_column *cols;
	size_t n_cols;
	char **cells;		/* row-major */
	const char **colors;
	size_t n_rows;
	size_t cap;
};

static const char *const format_names[] = {"json", "table", "tsv", "text",
    "raw"};

enum output_format
output_parse(const char *s, unsigned allowed)
{
	struct buf names = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
		if ((allowed & (1u << i)) && strcmp(s, format_names[i]) == 0)
			return (enum output_format)i;
	for (i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
		if (allowed & (1u << i))
			buf_addf(&names, "%s%s", names.len ? ", " : "",
			    format_names[i]);
	die_usage("invalid output format \"%s\": expected one of %s", s,
	    names.data);
}

int
stdout_is_terminal(void)
{
	return isatty(STDOUT_FILENO);
}

enum output_format
output_default(void)
{
	return stdout_is_terminal() ? OUTPUT_TABLE : OUTPUT_JSON;
}

int
output_color_enabled(void)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	if (nc && *nc)
		return 0;
	if (term && strcmp(term, "dumb") == 0)
		return 0;
	return stdout_is_terminal();
}

int
terminal_columns(void)
{
	struct winsize ws;
	const char *c;
	long n;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	c = getenv("COLUMNS");
	if (c && parse_long(c, 1, 100000, &n) == 0)
		return (int)n;
	return 0;
}

struct table *
table_new(const struct table_column *cols, size_t n)
{
	struct table *t = xcalloc(1, sizeof(*t));

	t->cols = xcalloc(n, sizeof(*cols));
	memcpy(t->cols, cols, n * sizeof(*cols));
	t->n_cols = n;
	return t;
}

void
table_add(struct table *t, const char *const *cells,
    const char *const *colors)
{
	size_t i;

	if (t->n_rows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cells = xrealloc(t->cells,
		    t->cap * t->n_cols * sizeof(*t->cells));
		t->colors = xrealloc(t->colors,
		    t->cap * t->n_cols * sizeof(*t->colors));
	}
	for (i = 0; i < t->n_cols; i++) {
		const char *c = cells[i] && *cells[i] ? cells[i] : "-";

		t->cells[t->n_rows * t->n_cols + i] = xstrdup(c);
		t->colors[t->n_rows * t->n_cols + i] =
		    colors ? colors[i] : NULL;
	}
	t->n_rows++;
}

size_t
table_rows(const struct table *t)
{
	return t->n_rows;
}

/* Shrinks the widest shrinkable columns until the row fits width. */
static void
fit_widths(const struct table *t, size_t *w, int width)
{
	size_t total, i;

	if (width <= 0)
		return;
	for (;;) {
		size_t widest = (size_t)-1;

		total = 0;
		for (i = 0; i < t->n_cols; i++)
			total += w[i] + (i ? 2 : 0);
		if (total <= (size_t)width)
			return;
		for (i = 0; i < t->n_cols; i++)
			if (t->cols[i].shrink && w[i] > 6 &&
			    (widest == (size_t)-1 || w[i] > w[widest]))
				widest = i;
		if (widest == (size_t)-1)
			return;
		w[widest]--;
	}
}

void
table_print(struct table *t, int width, int color)
{
	size_t *w = xcalloc(t->n_cols, sizeof(*w));
	struct buf line = BUF_INIT;
	size_t r, i;

	for (i = 0; i < t->n_cols; i++)
		w[i] = text_width(t->cols[i].header,
		    strlen(t->cols[i].header));
	for (r = 0; r < t->n_rows; r++)
		for (i = 0; i < t->n_cols; i++) {
			const char *c = t->cells[r * t->n_cols + i];
			size_t cw = text_width(c, strlen(c));

			if (cw > w[i])
				w[i] = cw;
		}
	fit_widths(t, w, width);
	for (r = 0; r <= t->n_rows; r++) {
		buf_reset(&line);
		for (i = 0; i < t->n_cols; i++) {
			const char *c = r == 0 ? t->cols[i].header
					       : t->cells[(r - 1) * t->n_cols +
							  i];
			const char *sgr = r == 0 ? (color ? "\033[1m" : NULL)
						 : t->colors[(r - 1) *
							      t->n_cols +
							  i];
			int last = i + 1 == t->n_cols;
			size_t cw = text_width(c, strlen(c));

			if (i)
				buf_adds(&line, "  ");
			if (t->cols[i].right && cw < w[i])
				for (; cw < w[i]; cw++)
					buf_addc(&line, ' ');
			if (sgr && color)
				buf_adds(&line, sgr);
			text_fit(c, strlen(c), w[i], !last && !t->cols[i].right,
			    &line);
			if (sgr && color)
				buf_adds(&line, "\033[0m");
		}
		while (line.len && line.data[line.len - 1] == ' ')
			line.data[--line.len] = '\0';
		out_line(line.data, line.len);
	}
	buf_free(&line);
	free(w);
}

void
table_free(struct table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n_rows * t->n_cols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->colors);
	free(t->cols);
	free(t);
}

void
tsv_row(const char *const *cells, size_t n)
{
	struct buf line = BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *c = cells[i] ? cells[i] : "";

		if (i)
			buf_addc(&line, '\t');
		for (; *c; c++) {
			switch (*c) {
			case '\t':
				buf_adds(&line, "\\t");
				break;
			case '\n':
				buf_adds(&line, "\\n");
				break;
			case '\r':
				buf_adds(&line, "\\r");
				break;
			case '\\':
				buf_adds(&line, "\\\\");
				break;
			default:
				buf_addc(&line, *c);
			}
		}
	}
	out_line(line.data, line.len);
	buf_free(&line);
}

const char *
status_color(const char *status)
{
	static const char *const green[] = {"RUNNING", "ACTIVE", "HEALTHY",
	    "COMPLETED", "PRIMARY", "ok", NULL};
	static const char *const yellow[] = {"PENDING", "PROVISIONING",
	    "ACTIVATING", "DEPROVISIONING", "DRAINING", "IN_PROGRESS",
	    "STOPPING", "DEACTIVATING", "UNKNOWN", "ACTIVE_IMPAIRED",
	    "warn", NULL};
	static const char *const red[] = {"STOPPED", "INACTIVE",
	    "UNHEALTHY", "FAILED", "DELETED", "fail", NULL};
	size_t i;

	if (!status)
		return NULL;
	for (i = 0; green[i]; i++)
		if (strcmp(status, green[i]) == 0)
			return "\033[32m";
	for (i = 0; yellow[i]; i++)
		if (strcmp(status, yellow[i]) == 0)
			return "\033[33m";
	for (i = 0; red[i]; i++)
		if (strcmp(status, red[i]) == 0)
			return "\033[31m";
	return NULL;
}
