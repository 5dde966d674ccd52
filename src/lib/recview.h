/* How ECS records look to a person: for each kind the table columns worth
 * reading (short ids, statuses in colour, ages relative to now), and the
 * same columns as TSV for scripts.
 *
 * A recview collects rows (it copies what it needs; records are borrowed)
 * so the table can be fitted to the terminal and can leave out columns
 * without information: CLUSTER when every row is in one cluster, REGION when
 * every row is in one region, sparse columns (stop reasons, exit codes)
 * when every cell is empty. Cells are sanitized when drawn. */
#ifndef ECS_RECVIEW_H
#define ECS_RECVIEW_H

#include <stddef.h>
#include <jv.h>

#include "records.h"

struct recview;

struct recview *recview_new(enum record_kind kind);
/* Adds one row for rec (borrowed); records of another kind are skipped. */
void recview_add(struct recview *v, jv rec);
size_t recview_rows(const struct recview *v);
/* Writes the table to stdout, fitted to width columns (0: no limit). */
void recview_print(struct recview *v, int width, int color);
void recview_free(struct recview *v);

/* Writes rec (borrowed) as one TSV row: every column of its kind, then
 * its ARN. With sanitize set, control characters are made visible. */
void recview_tsv(enum record_kind kind, jv rec, int sanitize);

/* The time from t (epoch seconds) to now as "45s", "3m", "2h" or "5d". */
void format_age(double t, double now, char *out, size_t size);
/* A record time member (epoch seconds, or an ISO 8601 string) in *t.
 * Borrows rec. Returns 0, or -1 when it is missing. */
int record_time(jv rec, const char *key, double *t);

#endif
