/* Deterministic output from concurrent requests. Records are emitted in
 * the order their slots were created, however the requests finish: a tree
 * of groups (one per region, cluster, ...) whose leaves are slots, each
 * filled with the records of one response. Emission streams: a slot goes
 * out as soon as everything before it has. */
#ifndef ECS_ORDERED_H
#define ECS_ORDERED_H

#include <jv.h>

struct ordered_node;

typedef void (*ordered_emit_fn)(jv record, void *data);

struct ordered {
	struct ordered_node *root;
	ordered_emit_fn emit;
	void *data;
};

void ordered_init(struct ordered *o, ordered_emit_fn emit, void *data);
void ordered_free(struct ordered *o);
/* The top-level group. */
struct ordered_node *ordered_root(struct ordered *o);
/* Appends a child group to group. */
struct ordered_node *ordered_group(struct ordered_node *group);
/* Appends an empty slot to group. */
struct ordered_node *ordered_slot(struct ordered_node *group);
/* Fills a slot with an array of records (consumed) and emits what can go. */
void ordered_fill(struct ordered *o, struct ordered_node *slot, jv records);
/* Says no more children will be added to group, and emits what can go. */
void ordered_close(struct ordered *o, struct ordered_node *group);
/* Emits what is ready. Returns 1 when everything has been emitted. */
int ordered_flush(struct ordered *o);
/* Returns 1 when everything before node has been emitted, so its records
 * go out as soon as they are ready. Producers use it to hold back work
 * whose output would only wait in memory. */
int ordered_at_front(struct ordered *o, struct ordered_node *node);

#endif
