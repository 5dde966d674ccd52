/* Table and TSV columns for each kind of ECS record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "output.h"
#include "recview.h"
#include "text.h"
#include "util.h"

enum {
	C_SHRINK = 1 << 0,	/* may be cut to fit the terminal */
	C_RIGHT = 1 << 1,	/* numbers */
	C_STATUS = 1 << 2,	/* coloured by status_color */
	C_CLUSTER = 1 << 3,	/* only when rows span clusters */
	C_REGION = 1 << 4,	/* only when rows span regions */
	C_SPARSE = 1 << 5,	/* only when some cell is set */
};

enum cell_type {
	CELL_STR,	/* the string member key */
	CELL_NUM,	/* the number member key */
	CELL_AGE,	/* the time member key, relative to now */
	CELL_SHORT,	/* the last '/' part of the ARN member key */
	CELL_CLUSTER,	/* cluster name from clusterArn or the ARN */
	CELL_REGION,	/* region of the record's ARN */
	CELL_FN,	/* computed by fn */
};

typedef void (*cell_fn)(jv rec, struct buf *out);

struct column {
	const char *header;
	unsigned flags;
	enum cell_type type;
	const char *key;
	cell_fn fn;
	const char *alt;	/* CELL_AGE: member used when key is missing */
};

struct kind_view {
	enum record_kind kind;
	const char *arn_key;	/* last TSV column and REGION source */
	const struct column *cols;
	size_t n_cols;
};

struct recview {
	const struct kind_view *kv;
	double now;
	char **cells;		/* row-major, every column */
	const char **colors;
	size_t n_rows, cap;
	/* Per column: some cell is set; two rows differ. */
	int *any, *differ;
};

/* --- cell helpers ------------------------------------------------------ */

int
record_time(jv rec, const char *key, double *t)
{
	jv v;
	int rc = -1;

	if (jv_get_kind(rec) != JV_KIND_OBJECT)
		return -1;
	v = jv_object_get(jv_copy(rec), jv_string(key));
	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		*t = jv_number_value(v);
		rc = 0;
	} else if (jv_get_kind(v) == JV_KIND_STRING) {
		rc = parse_iso8601(jv_string_value(v), t);
	}
	jv_free(v);
	return rc;
}

void
format_age(double t, double now, char *out, size_t size)
{
	double d = now - t;

	if (d < 0)
		d = 0;
	if (d < 60)
		snprintf(out, size, "%lds", (long)d);
	else if (d < 3600)
		snprintf(out, size, "%ldm", (long)(d / 60));
	else if (d < 86400)
		snprintf(out, size, "%ldh", (long)(d / 3600));
	else
		snprintf(out, size, "%ldd", (long)(d / 86400));
}

static void
add_number(jv v, struct buf *out)
{
	if (jv_get_kind(v) == JV_KIND_NUMBER)
		buf_addf(out, "%.0f", jv_number_value(v));
	else if (jv_get_kind(v) == JV_KIND_STRING)
		buf_adds(out, jv_string_value(v));
	jv_free(v);
}

static jv
member(jv rec, const char *key)
{
	if (jv_get_kind(rec) != JV_KIND_OBJECT)
		return jv_null();
	return jv_object_get(jv_copy(rec), jv_string(key));
}

/* "family:revision" from a task definition ARN. */
static void
add_taskdef(const char *arn, struct buf *out)
{
	const char *slash = arn ? strrchr(arn, '/') : NULL;

	if (arn)
		buf_adds(out, slash ? slash + 1 : arn);
}

static void
cell_cluster_logging(jv rec, struct buf *out)
{
	jv v = json_path(rec, "configuration", "executeCommandConfiguration",
	    "logging", NULL);

	if (jv_get_kind(v) == JV_KIND_STRING)
		buf_adds(out, jv_string_value(v));
	jv_free(v);
}

static void
cell_yes_no(jv rec, const char *key, struct buf *out)
{
	jv v = member(rec, key);

	if (jv_get_kind(v) == JV_KIND_TRUE)
		buf_adds(out, "yes");
	else if (jv_get_kind(v) == JV_KIND_FALSE)
		buf_adds(out, "no");
	jv_free(v);
}

static void
cell_exec(jv rec, struct buf *out)
{
	cell_yes_no(rec, "enableExecuteCommand", out);
}

static void
cell_agent_connected(jv rec, struct buf *out)
{
	cell_yes_no(rec, "agentConnected", out);
}

/* The launch type, else the first capacity provider. */
static void
cell_launch(jv rec, struct buf *out)
{
	const char *lt = json_str(rec, "launchType");
	const char *cp = json_str(rec, "capacityProviderName");
	jv strategy;

	if (lt) {
		buf_adds(out, lt);
		return;
	}
	if (cp) {
		buf_adds(out, cp);
		return;
	}
	strategy = member(rec, "capacityProviderStrategy");
	if (jv_get_kind(strategy) == JV_KIND_ARRAY &&
	    jv_array_length(jv_copy(strategy)) > 0) {
		jv first = jv_array_get(jv_copy(strategy), 0);
		const char *name = json_str(first, "capacityProvider");

		if (name)
			buf_adds(out, name);
		jv_free(first);
	}
	jv_free(strategy);
}

static void
cell_service_taskdef(jv rec, struct buf *out)
{
	add_taskdef(json_str(rec, "taskDefinition"), out);
}

static void
cell_task_taskdef(jv rec, struct buf *out)
{
	add_taskdef(json_str(rec, "taskDefinitionArn"), out);
}

/* Rollout state of the PRIMARY deployment. */
static void
cell_service_rollout(jv rec, struct buf *out)
{
	jv deps = member(rec, "deployments");
	int i, n;

	n = jv_get_kind(deps) == JV_KIND_ARRAY ? jv_array_length(jv_copy(deps))
					       : 0;
	for (i = 0; i < n; i++) {
		jv d = jv_array_get(jv_copy(deps), i);
		const char *status = json_str(d, "status");
		const char *state = json_str(d, "rolloutState");

		if (status && strcmp(status, "PRIMARY") == 0 && state) {
			buf_adds(out, state);
			jv_free(d);
			break;
		}
		jv_free(d);
	}
	jv_free(deps);
}

/* "service:web" shows as "web"; other groups as they are. */
static void
cell_task_group(jv rec, struct buf *out)
{
	const char *g = json_str(rec, "group");

	if (g)
		buf_adds(out, str_starts_with(g, "service:") ? g + 8 : g);
}

/* The first private IPv4 address of the task's network interfaces. */
static void
cell_task_ip(jv rec, struct buf *out)
{
	jv containers = member(rec, "containers"), attachments;
	int i, j, n, m;

	n = jv_get_kind(containers) == JV_KIND_ARRAY
		? jv_array_length(jv_copy(containers))
		: 0;
	for (i = 0; i < n && out->len == 0; i++) {
		jv c = jv_array_get(jv_copy(containers), i);
		jv nis = member(c, "networkInterfaces");

		m = jv_get_kind(nis) == JV_KIND_ARRAY
			? jv_array_length(jv_copy(nis))
			: 0;
		for (j = 0; j < m && out->len == 0; j++) {
			jv ni = jv_array_get(jv_copy(nis), j);
			const char *ip = json_str(ni, "privateIpv4Address");

			if (ip)
				buf_adds(out, ip);
			jv_free(ni);
		}
		jv_free(nis);
		jv_free(c);
	}
	jv_free(containers);
	if (out->len)
		return;
	attachments = member(rec, "attachments");
	n = jv_get_kind(attachments) == JV_KIND_ARRAY
		? jv_array_length(jv_copy(attachments))
		: 0;
	for (i = 0; i < n && out->len == 0; i++) {
		jv a = jv_array_get(jv_copy(attachments), i);
		jv details = member(a, "details");

		m = jv_get_kind(details) == JV_KIND_ARRAY
			? jv_array_length(jv_copy(details))
			: 0;
		for (j = 0; j < m && out->len == 0; j++) {
			jv d = jv_array_get(jv_copy(details), j);
			const char *name = json_str(d, "name");
			const char *value = json_str(d, "value");

			if (name && value &&
			    strcmp(name, "privateIPv4Address") == 0)
				buf_adds(out, value);
			jv_free(d);
		}
		jv_free(details);
		jv_free(a);
	}
	jv_free(attachments);
}

/* lastStatus of the container's ExecuteCommandAgent. */
static void
cell_exec_agent(jv rec, struct buf *out)
{
	jv agents = member(rec, "managedAgents");
	int i, n;

	n = jv_get_kind(agents) == JV_KIND_ARRAY
		? jv_array_length(jv_copy(agents))
		: 0;
	for (i = 0; i < n; i++) {
		jv a = jv_array_get(jv_copy(agents), i);
		const char *name = json_str(a, "name");
		const char *status = json_str(a, "lastStatus");

		if (name && strcmp(name, "ExecuteCommandAgent") == 0 &&
		    status)
			buf_adds(out, status);
		jv_free(a);
	}
	jv_free(agents);
}

static void
cell_taskdef_name(jv rec, struct buf *out)
{
	const char *family = json_str(rec, "family");
	jv rev = member(rec, "revision");

	if (family && jv_get_kind(rev) == JV_KIND_NUMBER)
		buf_addf(out, "%s:%.0f", family, jv_number_value(rev));
	else
		add_taskdef(json_str(rec, "taskDefinitionArn"), out);
	jv_free(rev);
}

/* Joins the strings of an array member, or the key member of its
 * objects, with commas. */
static void
add_joined(jv rec, const char *array_key, const char *key, struct buf *out)
{
	jv arr = member(rec, array_key);
	int i, n;

	n = jv_get_kind(arr) == JV_KIND_ARRAY ? jv_array_length(jv_copy(arr))
					      : 0;
	for (i = 0; i < n; i++) {
		jv e = jv_array_get(jv_copy(arr), i);
		const char *s = key ? json_str(e, key)
				    : jv_get_kind(e) == JV_KIND_STRING
					  ? jv_string_value(e)
					  : NULL;

		if (s) {
			if (out->len)
				buf_addc(out, ',');
			buf_adds(out, s);
		}
		jv_free(e);
	}
	jv_free(arr);
}

static void
cell_taskdef_compat(jv rec, struct buf *out)
{
	add_joined(rec, "requiresCompatibilities", NULL, out);
}

static void
cell_taskdef_containers(jv rec, struct buf *out)
{
	add_joined(rec, "containerDefinitions", "name", out);
}

static void
add_resource(jv rec, const char *name, struct buf *out)
{
	jv res = member(rec, "remainingResources");
	int i, n;

	n = jv_get_kind(res) == JV_KIND_ARRAY ? jv_array_length(jv_copy(res))
					      : 0;
	for (i = 0; i < n; i++) {
		jv r = jv_array_get(jv_copy(res), i);
		const char *rn = json_str(r, "name");

		if (rn && strcmp(rn, name) == 0)
			add_number(member(r, "integerValue"), out);
		jv_free(r);
	}
	jv_free(res);
}

static void
cell_cpu_free(jv rec, struct buf *out)
{
	add_resource(rec, "CPU", out);
}

static void
cell_memory_free(jv rec, struct buf *out)
{
	add_resource(rec, "MEMORY", out);
}

/* "ecs-svc/1234567890" shows as its number. */
static void
cell_deployment_id(jv rec, struct buf *out)
{
	const char *id = json_str(rec, "id");

	if (id)
		buf_adds(out, arn_short(id));
}

/* --- the columns of each kind ------------------------------------------ */

#define COLS(a) a, sizeof(a) / sizeof(a[0])
#define STR(h, f, k) {h, f, CELL_STR, k, NULL, NULL}
#define NUM(h, f, k) {h, (f) | C_RIGHT, CELL_NUM, k, NULL, NULL}
#define AGE(h, k, alt) {h, C_RIGHT, CELL_AGE, k, NULL, alt}
#define SHORT(h, f, k) {h, f, CELL_SHORT, k, NULL, NULL}
#define FN(h, f, fn) {h, f, CELL_FN, NULL, fn, NULL}
#define CLUSTER_COLUMN \
	{"CLUSTER", C_SHRINK | C_CLUSTER, CELL_CLUSTER, NULL, NULL, NULL}
#define REGION_COLUMN {"REGION", C_REGION, CELL_REGION, NULL, NULL, NULL}

static const struct column cluster_cols[] = {
    STR("NAME", C_SHRINK, "clusterName"),
    STR("STATUS", C_STATUS, "status"),
    NUM("SERVICES", 0, "activeServicesCount"),
    NUM("RUNNING", 0, "runningTasksCount"),
    NUM("PENDING", 0, "pendingTasksCount"),
    NUM("INSTANCES", 0, "registeredContainerInstancesCount"),
    FN("EXEC LOGGING", C_SHRINK, cell_cluster_logging),
    REGION_COLUMN,
};

static const struct column service_cols[] = {
    STR("NAME", C_SHRINK, "serviceName"),
    STR("STATUS", C_STATUS, "status"),
    NUM("DESIRED", 0, "desiredCount"),
    NUM("RUNNING", 0, "runningCount"),
    NUM("PENDING", 0, "pendingCount"),
    FN("ROLLOUT", C_STATUS, cell_service_rollout),
    FN("TASK DEFINITION", C_SHRINK, cell_service_taskdef),
    FN("LAUNCH", 0, cell_launch),
    FN("EXEC", 0, cell_exec),
    AGE("AGE", "createdAt", NULL),
    CLUSTER_COLUMN,
    REGION_COLUMN,
};

static const struct column task_cols[] = {
    SHORT("ID", C_SHRINK, "taskArn"),
    FN("SERVICE/GROUP", C_SHRINK, cell_task_group),
    STR("STATUS", C_STATUS, "lastStatus"),
    STR("HEALTH", C_STATUS, "healthStatus"),
    FN("LAUNCH", 0, cell_launch),
    AGE("AGE", "startedAt", "createdAt"),
    FN("IP", 0, cell_task_ip),
    FN("TASK DEFINITION", C_SHRINK, cell_task_taskdef),
    STR("STOPPED REASON", C_SHRINK | C_SPARSE, "stoppedReason"),
    CLUSTER_COLUMN,
    REGION_COLUMN,
};

static const struct column container_cols[] = {
    STR("NAME", C_SHRINK, "name"),
    SHORT("TASK", C_SHRINK, "taskArn"),
    STR("STATUS", C_STATUS, "lastStatus"),
    FN("EXEC AGENT", C_STATUS, cell_exec_agent),
    STR("HEALTH", C_STATUS, "healthStatus"),
    STR("IMAGE", C_SHRINK, "image"),
    NUM("EXIT", C_SPARSE, "exitCode"),
    STR("REASON", C_SHRINK | C_SPARSE, "reason"),
    CLUSTER_COLUMN,
    REGION_COLUMN,
};

static const struct column taskdef_cols[] = {
    FN("TASK DEFINITION", C_SHRINK, cell_taskdef_name),
    STR("STATUS", C_STATUS, "status"),
    NUM("CPU", 0, "cpu"),
    NUM("MEMORY", 0, "memory"),
    STR("NETWORK", 0, "networkMode"),
    FN("COMPATIBILITY", 0, cell_taskdef_compat),
    FN("CONTAINERS", C_SHRINK, cell_taskdef_containers),
    AGE("AGE", "registeredAt", NULL),
    REGION_COLUMN,
};

static const struct column instance_cols[] = {
    SHORT("ID", C_SHRINK, "containerInstanceArn"),
    STR("EC2 INSTANCE", 0, "ec2InstanceId"),
    STR("STATUS", C_STATUS, "status"),
    FN("AGENT", 0, cell_agent_connected),
    NUM("RUNNING", 0, "runningTasksCount"),
    NUM("PENDING", 0, "pendingTasksCount"),
    FN("CPU FREE", C_RIGHT, cell_cpu_free),
    FN("MEMORY FREE", C_RIGHT, cell_memory_free),
    AGE("AGE", "registeredAt", NULL),
    CLUSTER_COLUMN,
    REGION_COLUMN,
};

static const struct column event_cols[] = {
    AGE("AGE", "createdAt", NULL),
    SHORT("SERVICE", C_SHRINK, "serviceArn"),
    STR("MESSAGE", C_SHRINK, "message"),
    CLUSTER_COLUMN,
    REGION_COLUMN,
};

static const struct column deployment_cols[] = {
    SHORT("SERVICE", C_SHRINK, "serviceArn"),
    FN("ID", 0, cell_deployment_id),
    STR("STATUS", C_STATUS, "status"),
    STR("ROLLOUT", C_STATUS, "rolloutState"),
    NUM("DESIRED", 0, "desiredCount"),
    NUM("RUNNING", 0, "runningCount"),
    NUM("PENDING", 0, "pendingCount"),
    NUM("FAILED", 0, "failedTasks"),
    FN("TASK DEFINITION", C_SHRINK, cell_service_taskdef),
    AGE("AGE", "createdAt", NULL),
    AGE("UPDATED", "updatedAt", NULL),
    CLUSTER_COLUMN,
    REGION_COLUMN,
};

static const struct kind_view kind_views[] = {
    {KIND_CLUSTER, "clusterArn", COLS(cluster_cols)},
    {KIND_SERVICE, "serviceArn", COLS(service_cols)},
    {KIND_TASK, "taskArn", COLS(task_cols)},
    {KIND_CONTAINER, "containerArn", COLS(container_cols)},
    {KIND_TASK_DEFINITION, "taskDefinitionArn", COLS(taskdef_cols)},
    {KIND_CONTAINER_INSTANCE, "containerInstanceArn", COLS(instance_cols)},
    {KIND_SERVICE_EVENT, "serviceArn", COLS(event_cols)},
    {KIND_DEPLOYMENT, "serviceArn", COLS(deployment_cols)},
};

static const struct kind_view *
find_view(enum record_kind kind)
{
	size_t i;

	for (i = 0; i < sizeof(kind_views) / sizeof(kind_views[0]); i++)
		if (kind_views[i].kind == kind)
			return &kind_views[i];
	return NULL;
}

/* The ARN a record's cluster and region come from. */
static const char *
record_arn(const struct kind_view *kv, jv rec)
{
	const char *arn = json_str(rec, "clusterArn");

	return arn ? arn : json_str(rec, kv->arn_key);
}

static void
render_cell(const struct kind_view *kv, const struct column *c, jv rec,
    double now, struct buf *out)
{
	const char *str;
	char tmp[32];
	double t;
	char *s;

	buf_reset(out);
	switch (c->type) {
	case CELL_STR:
		str = json_str(rec, c->key);
		if (str)
			buf_adds(out, str);
		break;
	case CELL_NUM:
		add_number(member(rec, c->key), out);
		break;
	case CELL_AGE:
		if (record_time(rec, c->key, &t) == 0 ||
		    (c->alt && record_time(rec, c->alt, &t) == 0)) {
			format_age(t, now, tmp, sizeof(tmp));
			buf_adds(out, tmp);
		}
		break;
	case CELL_SHORT:
		str = json_str(rec, c->key);
		if (str)
			buf_adds(out, arn_short(str));
		break;
	case CELL_CLUSTER:
		s = arn_cluster_name(record_arn(kv, rec));
		if (s)
			buf_adds(out, s);
		free(s);
		break;
	case CELL_REGION:
		s = arn_region(record_arn(kv, rec));
		if (s)
			buf_adds(out, s);
		free(s);
		break;
	case CELL_FN:
		c->fn(rec, out);
		break;
	}
}

/* --- tables ------------------------------------------------------------ */

struct recview *
recview_new(enum record_kind kind)
{
	struct recview *v = xcalloc(1, sizeof(*v));

	v->kv = find_view(kind);
	if (!v->kv)
		die("internal error: no table columns for kind %d", kind);
	v->now = now_seconds();
	v->any = xcalloc(v->kv->n_cols, sizeof(*v->any));
	v->differ = xcalloc(v->kv->n_cols, sizeof(*v->differ));
	return v;
}

size_t
recview_rows(const struct recview *v)
{
	return v->n_rows;
}

void
recview_add(struct recview *v, jv rec)
{
	const struct kind_view *kv = v->kv;
	struct buf cell = BUF_INIT;
	size_t i, base;

	if (record_kind(rec) != kv->kind)
		return;
	if (v->n_rows == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 64;
		v->cells = xrealloc(v->cells,
		    v->cap * kv->n_cols * sizeof(*v->cells));
		v->colors = xrealloc(v->colors,
		    v->cap * kv->n_cols * sizeof(*v->colors));
	}
	base = v->n_rows * kv->n_cols;
	for (i = 0; i < kv->n_cols; i++) {
		const struct column *c = &kv->cols[i];

		render_cell(kv, c, rec, v->now, &cell);
		v->cells[base + i] = xstrdup(cell.len ? cell.data : "");
		v->colors[base + i] = c->flags & C_STATUS
					  ? status_color(cell.data)
					  : NULL;
		if (cell.len)
			v->any[i] = 1;
		if (v->n_rows > 0 &&
		    strcmp(v->cells[base + i], v->cells[i]) != 0)
			v->differ[i] = 1;
	}
	v->n_rows++;
	buf_free(&cell);
}

static int
column_shown(const struct recview *v, size_t i)
{
	unsigned f = v->kv->cols[i].flags;

	if (f & (C_CLUSTER | C_REGION))
		return v->differ[i];
	if (f & C_SPARSE)
		return v->any[i];
	return 1;
}

void
recview_print(struct recview *v, int width, int color)
{
	const struct kind_view *kv = v->kv;
	struct table_column *tc = xcalloc(kv->n_cols, sizeof(*tc));
	const char **cells = xcalloc(kv->n_cols, sizeof(*cells));
	const char **colors = xcalloc(kv->n_cols, sizeof(*colors));
	size_t *shown = xcalloc(kv->n_cols, sizeof(*shown));
	struct table *t;
	size_t i, r, n = 0;

	for (i = 0; i < kv->n_cols; i++) {
		if (!column_shown(v, i))
			continue;
		tc[n].header = kv->cols[i].header;
		tc[n].shrink = (kv->cols[i].flags & C_SHRINK) != 0;
		tc[n].right = (kv->cols[i].flags & C_RIGHT) != 0;
		shown[n++] = i;
	}
	t = table_new(tc, n);
	for (r = 0; r < v->n_rows; r++) {
		for (i = 0; i < n; i++) {
			cells[i] = v->cells[r * kv->n_cols + shown[i]];
			colors[i] = v->colors[r * kv->n_cols + shown[i]];
		}
		table_add(t, cells, colors);
	}
	table_print(t, width, color);
	table_free(t);
	free(shown);
	free(colors);
	free(cells);
	free(tc);
}

void
recview_free(struct recview *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n_rows * v->kv->n_cols; i++)
		free(v->cells[i]);
	free(v->cells);
	free(v->colors);
	free(v->any);
	free(v->differ);
	free(v);
}

void
recview_tsv(enum record_kind kind, jv rec, int sanitize)
{
	const struct kind_view *kv = find_view(kind);
	struct buf *cells;
	const char **ptrs;
	double now = now_seconds();
	size_t i;

	if (!kv || record_kind(rec) != kind)
		return;
	cells = xcalloc(kv->n_cols + 1, sizeof(*cells));
	ptrs = xcalloc(kv->n_cols + 1, sizeof(*ptrs));
	for (i = 0; i <= kv->n_cols; i++) {
		struct buf raw = BUF_INIT;

		if (i < kv->n_cols) {
			render_cell(kv, &kv->cols[i], rec, now, &raw);
		} else {
			const char *arn = json_str(rec, kv->arn_key);

			if (kind == KIND_SERVICE_EVENT ||
			    kind == KIND_DEPLOYMENT)
				arn = json_str(rec, "id");
			buf_adds(&raw, arn ? arn : "");
		}
		if (sanitize)
			text_sanitize(raw.data ? raw.data : "", raw.len, 0,
			    &cells[i]);
		else
			buf_add(&cells[i], raw.data ? raw.data : "", raw.len);
		ptrs[i] = cells[i].data ? cells[i].data : "";
		buf_free(&raw);
	}
	tsv_row(ptrs, kv->n_cols + 1);
	for (i = 0; i <= kv->n_cols; i++)
		buf_free(&cells[i]);
	free(cells);
	free(ptrs);
}
