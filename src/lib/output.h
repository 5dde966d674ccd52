/* Output formats shared by the programs: NDJSON records (json.h), tables
 * fitted to the terminal, and tab-separated values. */
#ifndef ECS_OUTPUT_H
#define ECS_OUTPUT_H

#include <stddef.h>

#include "buf.h"

enum output_format {
	OUTPUT_JSON,
	OUTPUT_TABLE,
	OUTPUT_TSV,
	OUTPUT_TEXT,
	OUTPUT_RAW,
};

/* Parses "json", "table", "tsv", "text" or "raw"; allowed is a bit set of
 * 1 << OUTPUT_*. Dies with a usage error naming the choices. */
enum output_format output_parse(const char *s, unsigned allowed);
/* Table on a terminal, NDJSON otherwise. */
enum output_format output_default(void);
int stdout_is_terminal(void);
/* Colour on stdout: a terminal, NO_COLOR unset, TERM not "dumb". */
int output_color_enabled(void);
/* Width of the terminal on stdout, else $COLUMNS, else 0 (no limit). */
int terminal_columns(void);

struct table_column {
	const char *header;
	int shrink;		/* may be cut to fit the terminal */
	int right;		/* right-aligned (numbers) */
};

struct table;

struct table *table_new(const struct table_column *cols, size_t n);
/* Copies one row of n cells (NULL cells print as "-"). colors may be
 * NULL or hold an ANSI SGR sequence per cell. */
void table_add(struct table *t, const char *const *cells,
    const char *const *colors);
size_t table_rows(const struct table *t);
/* Writes the table to stdout, fitted to width columns (0: no limit). */
void table_print(struct table *t, int width, int color);
void table_free(struct table *t);

/* Writes one TSV row: tabs, newlines and backslashes in cells escaped. */
void tsv_row(const char *const *cells, size_t n);

/* An SGR colour for a lifecycle status (RUNNING green, PENDING yellow,
 * STOPPED red, ...), or NULL. */
const char *status_color(const char *status);

#endif
