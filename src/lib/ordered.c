/* Ordered emission of records from concurrent requests. */
#include <stdlib.h>

#include "ordered.h"
#include "util.h"

struct ordered_node {
	int is_group;
	int ready;		/* slot filled, or group closed */
	jv records;
	struct ordered_node *head, *tail;	/* children of a group */
	struct ordered_node *next;
};

static struct ordered_node *
node_new(int is_group)
{
	struct ordered_node *n = xcalloc(1, sizeof(*n));

	n->is_group = is_group;
	n->records = jv_null();
	return n;
}

static void
node_free(struct ordered_node *n)
{
	while (n) {
		struct ordered_node *next = n->next;

		node_free(n->head);
		jv_free(n->records);
		free(n);
		n = next;
	}
}

void
ordered_init(struct ordered *o, ordered_emit_fn emit, void *data)
{
	o->root = node_new(1);
	o->emit = emit;
	o->data = data;
}

void
ordered_free(struct ordered *o)
{
	node_free(o->root);
	o->root = NULL;
}

struct ordered_node *
ordered_root(struct ordered *o)
{
	return o->root;
}

static struct ordered_node *
append(struct ordered_node *group, struct ordered_node *n)
{
	if (group->tail)
		group->tail->next = n;
	else
		group->head = n;
	group->tail = n;
	return n;
}

struct ordered_node *
ordered_group(struct ordered_node *group)
{
	return append(group, node_new(1));
}

struct ordered_node *
ordered_slot(struct ordered_node *group)
{
	return append(group, node_new(0));
}

/* Emits the ready prefix of group; returns 1 when the group is done. */
static int
flush_group(struct ordered *o, struct ordered_node *g)
{
	while (g->head) {
		struct ordered_node *c = g->head;

		if (c->is_group) {
			if (!flush_group(o, c))
				return 0;
		} else {
			int i, n;

			if (!c->ready)
				return 0;
			n = jv_get_kind(c->records) == JV_KIND_ARRAY
				? jv_array_length(jv_copy(c->records))
				: 0;
			for (i = 0; i < n; i++)
				o->emit(jv_array_get(jv_copy(c->records), i),
				    o->data);
		}
		g->head = c->next;
		if (!g->head)
			g->tail = NULL;
		c->next = NULL;
		node_free(c);
	}
	return g->ready;
}

int
ordered_flush(struct ordered *o)
{
	return flush_group(o, o->root);
}

void
ordered_fill(struct ordered *o, struct ordered_node *slot, jv records)
{
	jv_free(slot->records);
	slot->records = records;
	slot->ready = 1;
	ordered_flush(o);
}

void
ordered_close(struct ordered *o, struct ordered_node *group)
{
	group->ready = 1;
	ordered_flush(o);
}

int
ordered_at_front(struct ordered *o, struct ordered_node *node)
{
	struct ordered_node *n;

	/* Emitted nodes are freed, so the front is the chain of first
	 * children from the root. */
	for (n = o->root; n; n = n->head)
		if (n == node)
			return 1;
	return 0;
}
