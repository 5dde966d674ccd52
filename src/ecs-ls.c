/* ecs-ls: lists and describes ECS resources as one record per line. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws.h"
#include "cli.h"
#include "ecs.h"
#include "json.h"
#include "output.h"
#include "records.h"
#include "recview.h"
#include "util.h"

static const char usage[] =
    "Usage: ecs-ls KIND [OPTIONS]\n"
    "List ECS resources as NDJSON records (a table on a terminal).\n"
    "\n"
    "Kinds:\n"
    "  clusters            clusters with their settings and statistics\n"
    "  services            services of the clusters in scope\n"
    "  tasks               tasks of the clusters, services or instances\n"
    "  containers          containers of those tasks, with clusterArn and\n"
    "                      taskDefinitionArn added\n"
    "  taskdefs            latest revision of each family, or the revision\n"
    "                      each service or task in scope runs\n"
    "  instances           container instances of the clusters\n"
    "  events              service events, newest first\n"
    "  deployments         deployments of the services, with rollout state\n"
    "\n"
    "Scope comes from the options and from records read on stdin (a pipe\n"
    "or a file): clusters scope services, tasks and instances; services\n"
    "scope tasks, events and deployments; tasks scope containers and task\n"
    "definitions. Without options and input, every cluster is listed.\n"
    "\n"
    "Options:\n"
    "  -c, --cluster NAME  this cluster (name or ARN; repeatable)\n"
    "  -s, --service NAME  this service (name or ARN; repeatable); without\n"
    "                      a cluster, looked up in every cluster\n"
    "      --family NAME   tasks of this task definition family; taskdefs:\n"
    "                      this family\n"
    "      --all-revisions taskdefs: every ACTIVE revision, not the latest\n"
    "      --desired-status STATUS  tasks: RUNNING (default), STOPPED or "
    "ALL\n"
    "      --launch-type TYPE  tasks and services: FARGATE, EC2 or "
    "EXTERNAL\n"
    "  -o, --output FMT    json, table or tsv (default: table on a\n"
    "                      terminal, json otherwise)\n"
    "      --max-concurrency N  requests in flight at once (default 8)\n"
    "  -p, --profile NAME  AWS profile\n"
    "  -r, --region LIST   region, or comma-separated regions listed at\n"
    "                      once\n"
    "      --endpoint-url URL  send every request to URL\n"
    "      --debug         log requests and timings to stderr\n"
    "  -h, --help          show this help\n"
    "  -V, --version       show the version\n"
    "\n"
    "Exit status: 0 success, 1 AWS or network error or partial results,\n"
    "2 usage error.\n";

enum {
	OPT_MAX_CONCURRENCY = OPT_PROGRAM,
	OPT_FAMILY,
	OPT_ALL_REVISIONS,
	OPT_DESIRED_STATUS,
	OPT_LAUNCH_TYPE,
};

enum ls_kind {
	LS_CLUSTERS,
	LS_SERVICES,
	LS_TASKS,
	LS_CONTAINERS,
	LS_TASKDEFS,
	LS_INSTANCES,
	LS_EVENTS,
	LS_DEPLOYMENTS,
};

static const struct {
	const char *name;
	enum record_kind out;
} kinds[] = {
    [LS_CLUSTERS] = {"clusters", KIND_CLUSTER},
    [LS_SERVICES] = {"services", KIND_SERVICE},
    [LS_TASKS] = {"tasks", KIND_TASK},
    [LS_CONTAINERS] = {"containers", KIND_CONTAINER},
    [LS_TASKDEFS] = {"taskdefs", KIND_TASK_DEFINITION},
    [LS_INSTANCES] = {"instances", KIND_CONTAINER_INSTANCE},
    [LS_EVENTS] = {"events", KIND_SERVICE_EVENT},
    [LS_DEPLOYMENTS] = {"deployments", KIND_DEPLOYMENT},
};

/* A scope item named by a flag or an input record. */
enum target_type {
	T_CLUSTER,
	T_SERVICE,
	T_TASK,
	T_INSTANCE,
	T_TASKDEF,
	T_SEARCH,	/* -s names looked up in every cluster of a region */
};

struct target {
	enum target_type type;
	char *region;
	char *cluster;		/* name or ARN; NULL: the default cluster */
	char *id;		/* service, task, instance or task definition */
};

/* One DescribeTaskDefinition shared by every group that needs it. */
struct taskdef {
	struct ls *ls;
	char *region;
	char *name;
	int done;
	jv record;		/* jv_null when the call failed */
	struct ordered_node **groups;
	size_t n_groups;
};

struct ls {
	struct aws_ctx ctx;
	struct ecs_run run;
	enum ls_kind kind;
	enum output_format format;
	struct recview *view;
	int tsv_sanitize;

	char **clusters;
	size_t n_clusters;
	char **services;
	size_t n_services;
	const char *family;
	const char *desired_status;
	const char *launch_type;
	int all_revisions;
	char **regions;
	size_t n_regions;

	struct target *targets;
	size_t n_targets;
	jv seen;		/* keys of the targets added so far */
	int scoped;		/* a flag or an input record gave a scope */
	int cluster_scoped;	/* -s names have a cluster to go with */
	int input_errors;
	long mismatches;	/* records that could not scope the kind */

	jv found_services;	/* -s names found by a lookup */
	jv emitted_taskdefs;
	struct taskdef **taskdefs;
	size_t n_taskdefs;
};

/* --- output ------------------------------------------------------------ */

static void
emit(jv rec, void *data)
{
	struct ls *ls = data;

	if (ls->kind == LS_TASKDEFS) {
		const char *arn = json_str(rec, "taskDefinitionArn");

		if (arn) {
			jv key = jv_string(arn);

			if (jv_object_has(jv_copy(ls->emitted_taskdefs),
				jv_copy(key))) {
				jv_free(key);
				jv_free(rec);
				return;
			}
			ls->emitted_taskdefs = jv_object_set(
			    ls->emitted_taskdefs, key, jv_true());
		}
	}
	switch (ls->format) {
	case OUTPUT_TABLE:
		recview_add(ls->view, rec);
		jv_free(rec);
		break;
	case OUTPUT_TSV:
		recview_tsv(kinds[ls->kind].out, rec, ls->tsv_sanitize);
		jv_free(rec);
		break;
	default:
		out_record(rec);
	}
}

/* --- scope ------------------------------------------------------------- */

static void
add_target(struct ls *ls, enum target_type type, const char *region,
    const char *cluster, const char *id)
{
	struct target *t;
	char *key;
	jv k;

	key = xasprintf("%d|%s|%s|%s", type, region ? region : "",
	    cluster ? arn_short(cluster) : "", id ? arn_short(id) : "");
	k = jv_string(key);
	free(key);
	if (jv_object_has(jv_copy(ls->seen), jv_copy(k))) {
		jv_free(k);
		return;
	}
	ls->seen = jv_object_set(ls->seen, k, jv_true());
	ls->targets = xrealloc(ls->targets,
	    (ls->n_targets + 1) * sizeof(*ls->targets));
	t = &ls->targets[ls->n_targets++];
	t->type = type;
	t->region = region ? xstrdup(region) : NULL;
	t->cluster = cluster ? xstrdup(cluster) : NULL;
	t->id = id ? xstrdup(id) : NULL;
}

/* A cluster in scope: the -s names in it when there are any, else the
 * cluster itself. */
static void
add_cluster_scope(struct ls *ls, const char *region, const char *cluster)
{
	size_t i;

	if (ls->n_services == 0) {
		add_target(ls, T_CLUSTER, region, cluster, NULL);
		return;
	}
	for (i = 0; i < ls->n_services; i++)
		if (!str_starts_with(ls->services[i], "arn:"))
			add_target(ls, T_SERVICE, region, cluster,
			    ls->services[i]);
}

/* Region of an ARN, or of the run when there is no ARN. */
static char *
region_of(struct ls *ls, const char *arn)
{
	char *r = arn ? arn_region(arn) : NULL;

	return r ? r : xstrdup(ls->regions[0]);
}

static void
add_flag_targets(struct ls *ls)
{
	size_t i, j;

	for (i = 0; i < ls->n_clusters; i++) {
		const char *c = ls->clusters[i];

		if (str_starts_with(c, "arn:")) {
			char *r = region_of(ls, c);

			add_cluster_scope(ls, r, c);
			free(r);
			continue;
		}
		for (j = 0; j < ls->n_regions; j++)
			add_cluster_scope(ls, ls->regions[j], c);
	}
	for (i = 0; i < ls->n_services; i++) {
		const char *s = ls->services[i];
		char *r, *cluster;

		if (!str_starts_with(s, "arn:"))
			continue;
		r = region_of(ls, s);
		cluster = arn_cluster_name(s);
		add_target(ls, T_SERVICE, r, cluster, s);
		free(cluster);
		free(r);
	}
	/* Every revision of a family is a listing, not a target. */
	if (ls->family && ls->kind == LS_TASKDEFS && !ls->all_revisions)
		for (j = 0; j < ls->n_regions; j++)
			add_target(ls, T_TASKDEF, ls->regions[j], NULL,
			    ls->family);
}

/* Adds the -s lookups in every cluster once the input is read, because
 * a cluster record on stdin gives the names a cluster instead. They go
 * right after the other flag targets, at index at. */
static void
add_search_targets(struct ls *ls, size_t at)
{
	size_t i, before = ls->n_targets, added;
	struct target *moved;

	if (ls->cluster_scoped)
		return;
	for (i = 0; i < ls->n_services; i++)
		if (!str_starts_with(ls->services[i], "arn:"))
			break;
	if (i == ls->n_services)
		return;
	for (i = 0; i < ls->n_regions; i++)
		add_target(ls, T_SEARCH, ls->regions[i], NULL, NULL);
	added = ls->n_targets - before;
	moved = xcalloc(added, sizeof(*moved));
	memcpy(moved, ls->targets + before, added * sizeof(*moved));
	memmove(ls->targets + at + added, ls->targets + at,
	    (before - at) * sizeof(*moved));
	memcpy(ls->targets + at, moved, added * sizeof(*moved));
	free(moved);
}

/* Reports the first record that cannot scope the kind; the others are
 * counted and summed up at the end. */
static void
input_error(struct ls *ls, long line, const char *what, const char *kind)
{
	if (ls->mismatches++ == 0)
		error("stdin:%ld: a %s record does not scope %s; pipe %s",
		    line, what, kind,
		    ls->kind == LS_TASKDEFS ? "services, tasks or containers"
		    : ls->kind == LS_INSTANCES
			? "clusters, instances or EC2 tasks"
			: "clusters, services or tasks");
	ls->input_errors++;
}

/* The cluster of a record: its clusterArn, else the one its ARN names
 * (NULL for the old ARN formats, which do not carry it). */
static char *
record_cluster(jv rec, const char *arn)
{
	const char *c = json_str(rec, "clusterArn");

	if (c)
		return xstrdup(c);
	if (arn)
		return arn_cluster_name(arn);
	return NULL;
}

static void
add_service_record(struct ls *ls, jv rec, const char *arn)
{
	char *region = region_of(ls, arn);
	char *cluster = record_cluster(rec, arn);

	add_target(ls, T_SERVICE, region, cluster, arn);
	free(cluster);
	free(region);
}

/* A task's service, from its group "service:NAME". */
static int
add_task_service(struct ls *ls, jv rec)
{
	const char *group = json_str(rec, "group");
	const char *arn = json_str(rec, "taskArn");
	char *region, *cluster;

	if (!group || !str_starts_with(group, "service:") || !arn)
		return -1;
	region = region_of(ls, arn);
	cluster = record_cluster(rec, arn);
	add_target(ls, T_SERVICE, region, cluster, group + 8);
	free(cluster);
	free(region);
	return 0;
}

static void
add_arn_target(struct ls *ls, enum target_type type, jv rec,
    const char *arn)
{
	char *region = region_of(ls, arn);
	char *cluster = record_cluster(rec, arn);

	add_target(ls, type, region, cluster, arn);
	free(cluster);
	free(region);
}

static void
add_record_target(struct ls *ls, jv rec, long line)
{
	enum record_kind rk = record_kind(rec);
	const char *what = record_kind_name(rk);
	const char *cluster_arn = json_str(rec, "clusterArn");
	const char *service_arn = json_str(rec, "serviceArn");
	const char *task_arn = json_str(rec, "taskArn");
	const char *instance_arn = json_str(rec, "containerInstanceArn");
	const char *td = json_str(rec, "taskDefinitionArn");
	const char *name = kinds[ls->kind].name;
	char *region, *cluster;

	if (rk == KIND_UNKNOWN) {
		error("stdin:%ld: not an ECS record: it has no clusterArn, "
		      "serviceArn, taskArn or other ARN member",
		    line);
		ls->input_errors++;
		return;
	}
	if (rk == KIND_SERVICE || rk == KIND_DEPLOYMENT)
		td = json_str(rec, "taskDefinition");
	switch (ls->kind) {
	case LS_CLUSTERS:
		cluster = record_cluster(rec, service_arn ? service_arn
					      : task_arn  ? task_arn
							  : instance_arn);
		if (!cluster) {
			input_error(ls, line, what, name);
			return;
		}
		region = region_of(ls, cluster_arn ? cluster_arn
				   : service_arn  ? service_arn
				   : task_arn	  ? task_arn
						  : instance_arn);
		add_target(ls, T_CLUSTER, region, cluster, NULL);
		free(region);
		free(cluster);
		return;
	case LS_TASKDEFS:
		if (rk == KIND_CLUSTER && cluster_arn) {
			region = region_of(ls, cluster_arn);
			add_cluster_scope(ls, region, cluster_arn);
			free(region);
		} else if (td) {
			region = region_of(ls, td);
			add_target(ls, T_TASKDEF, region, NULL, td);
			free(region);
		} else {
			input_error(ls, line, what, name);
		}
		return;
	default:
		break;
	}
	if (rk == KIND_CLUSTER && cluster_arn) {
		region = region_of(ls, cluster_arn);
		add_cluster_scope(ls, region, cluster_arn);
		free(region);
		return;
	}
	if (ls->kind == LS_INSTANCES) {
		if (instance_arn)
			add_arn_target(ls, T_INSTANCE, rec, instance_arn);
		else
			input_error(ls, line, what, name);
		return;
	}
	if (ls->kind == LS_TASKS || ls->kind == LS_CONTAINERS) {
		if (rk == KIND_TASK || rk == KIND_CONTAINER) {
			if (task_arn) {
				add_arn_target(ls, T_TASK, rec, task_arn);
				return;
			}
		} else if (rk == KIND_CONTAINER_INSTANCE && instance_arn) {
			add_arn_target(ls, T_INSTANCE, rec, instance_arn);
			return;
		}
	}
	if (service_arn) {
		add_service_record(ls, rec, service_arn);
		return;
	}
	if (rk == KIND_TASK && add_task_service(ls, rec) == 0)
		return;
	input_error(ls, line, what, name);
}

/* Records come from a pipe, a socket or a file. A terminal or /dev/null
 * is no input, so the scope is the whole account. An empty pipe (from a
 * picker that chose nothing) is an empty scope. */
static int
stdin_is_input(void)
{
	struct stat st;

	if (fstat(STDIN_FILENO, &st) < 0)
		return 0;
	return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ||
	       S_ISREG(st.st_mode);
}

static void
read_stdin(struct ls *ls)
{
	struct ndjson_reader r;
	jv rec;

	ls->scoped = 1;
	ndjson_reader_init(&r, STDIN_FILENO, "stdin");
	while (ndjson_next(&r, &rec, NULL) == 1) {
		if (record_kind(rec) == KIND_CLUSTER)
			ls->cluster_scoped = 1;
		add_record_target(ls, rec, r.line_no);
		jv_free(rec);
	}
	if (ls->mismatches > 1)
		error("stdin: %ld more records could not scope %s",
		    ls->mismatches - 1, kinds[ls->kind].name);
	ls->input_errors += r.errors;
	ndjson_reader_free(&r);
}

/* --- requests ---------------------------------------------------------- */

static void
spec_init(struct ecs_job_spec *s, struct ls *ls, const char *region)
{
	memset(s, 0, sizeof(*s));
	s->region = region;
	s->list_input = s->describe_input = s->names = jv_null();
	s->data = ls;
}

static jv
with_cluster(jv obj, const char *cluster)
{
	if (cluster)
		obj = jv_object_set(obj, jv_string("cluster"),
		    jv_string(cluster));
	return obj;
}

static jv
include(const char *a, const char *b, const char *c, const char *d)
{
	jv inc = jv_array();
	const char *v[] = {a, b, c, d};
	size_t i;

	for (i = 0; i < 4; i++)
		if (v[i])
			inc = jv_array_append(inc, jv_string(v[i]));
	return jv_object_set(jv_object(), jv_string("include"), inc);
}

static jv
list_input(const char *cluster)
{
	return with_cluster(jv_object_set(jv_object(), jv_string("maxResults"),
				jv_number(100)),
	    cluster);
}

static jv
set_opt(jv obj, const char *key, const char *value)
{
	return value ? jv_object_set(obj, jv_string(key), jv_string(value))
		     : obj;
}

/* Appends the added members of a derived record after the AWS ones. */
static jv
add_member(jv rec, const char *key, jv value)
{
	if (jv_get_kind(value) == JV_KIND_NULL ||
	    jv_get_kind(value) == JV_KIND_INVALID) {
		jv_free(value);
		return rec;
	}
	return jv_object_set(rec, jv_string(key), value);
}

static jv
member(jv obj, const char *key)
{
	return jv_object_get(jv_copy(obj), jv_string(key));
}

static jv
with_kinds(const char *kind, jv objects)
{
	jv out = jv_array();
	int i, n = jv_array_length(jv_copy(objects));

	for (i = 0; i < n; i++)
		out = jv_array_append(out, record_with_kind(kind,
					       jv_array_get(jv_copy(objects),
						   i)));
	jv_free(objects);
	return out;
}

/* Container records: each container of each task, with what a program
 * needs to exec into it. */
static void
on_tasks_containers(struct ecs_job *job, struct ordered_node *group,
    jv tasks)
{
	static const char *const copied[] = {"clusterArn",
	    "taskDefinitionArn", "enableExecuteCommand", "launchType",
	    "platformVersion"};
	jv records = jv_array();
	int i, j, n = jv_array_length(jv_copy(tasks));

	for (i = 0; i < n; i++) {
		jv task = jv_array_get(jv_copy(tasks), i);
		jv containers = member(task, "containers");
		int m = jv_get_kind(containers) == JV_KIND_ARRAY
			    ? jv_array_length(jv_copy(containers))
			    : 0;

		for (j = 0; j < m; j++) {
			jv rec = record_with_kind("container",
			    jv_array_get(jv_copy(containers), j));
			size_t k;

			if (!jv_object_has(jv_copy(rec), jv_string("taskArn")))
				rec = add_member(rec, "taskArn",
				    member(task, "taskArn"));
			for (k = 0; k < sizeof(copied) / sizeof(copied[0]);
			     k++)
				rec = add_member(rec, copied[k],
				    member(task, copied[k]));
			records = jv_array_append(records, rec);
		}
		jv_free(containers);
		jv_free(task);
	}
	jv_free(tasks);
	ecs_fill(ecs_job_run(job), group, records);
}

static void
on_tasks(struct ecs_job *job, struct ordered_node *group, jv tasks)
{
	struct ls *ls = ecs_job_data(job);

	if (ls->kind == LS_CONTAINERS) {
		on_tasks_containers(job, group, tasks);
		return;
	}
	ecs_fill(ecs_job_run(job), group, with_kinds("task", tasks));
}

/* Lists and describes tasks of a cluster, filtered by key = value
 * (serviceName, containerInstance) when key is set.
 * NOTE: whether ECS accepts --family together with serviceName or
 * containerInstance is not verified; an error it returns is reported. */
static void
start_tasks(struct ls *ls, const char *region, const char *cluster,
    const char *key, const char *value, struct ordered_node *group)
{
	const char *statuses[2] = {ls->desired_status, NULL};
	size_t i;

	if (strcmp(ls->desired_status, "ALL") == 0) {
		statuses[0] = "RUNNING";
		statuses[1] = "STOPPED";
	}
	for (i = 0; i < 2 && statuses[i]; i++) {
		struct ecs_job_spec s;
		jv in = list_input(cluster);

		in = jv_object_set(in, jv_string("desiredStatus"),
		    jv_string(statuses[i]));
		in = set_opt(in, "family", ls->family);
		in = set_opt(in, "launchType", ls->launch_type);
		in = set_opt(in, key, value);
		spec_init(&s, ls, region);
		s.list = &ecs_list_tasks;
		s.list_input = in;
		s.describe = &ecs_describe_tasks;
		s.describe_input = with_cluster(include("TAGS", NULL, NULL,
						    NULL),
		    cluster);
		s.on_records = on_tasks;
		ecs_job_start(&ls->run, &s, ordered_group(group));
	}
	ecs_close(&ls->run, group);
}

struct dated {
	double t;
	int index;
};

static int
newer_first(const void *a, const void *b)
{
	const struct dated *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? 1 : -1;
	return x->index - y->index;
}

/* Sorts the events of a service newest first, keeping the reply's order
 * for equal times. ECS already sends them so, but a reply in another
 * order must not reach the output. */
static jv
newest_first(jv items)
{
	int i, n = jv_array_length(jv_copy(items));
	struct dated *d = xcalloc((size_t)n + 1, sizeof(*d));
	jv out = jv_array();

	for (i = 0; i < n; i++) {
		jv e = jv_array_get(jv_copy(items), i);

		d[i].index = i;
		if (record_time(e, "createdAt", &d[i].t) < 0)
			d[i].t = 0;
		jv_free(e);
	}
	qsort(d, (size_t)n, sizeof(*d), newer_first);
	for (i = 0; i < n; i++)
		out = jv_array_append(out, jv_array_get(jv_copy(items),
					       d[i].index));
	free(d);
	jv_free(items);
	return out;
}

/* Events or deployments of services, with the service and cluster ARNs
 * added after the AWS members. */
static jv
service_children(jv services, const char *array_key, const char *kind)
{
	jv records = jv_array();
	int i, j, n = jv_array_length(jv_copy(services));

	for (i = 0; i < n; i++) {
		jv svc = jv_array_get(jv_copy(services), i);
		jv items = member(svc, array_key);
		int m = jv_get_kind(items) == JV_KIND_ARRAY
			    ? jv_array_length(jv_copy(items))
			    : 0;

		if (m > 1 && strcmp(array_key, "events") == 0)
			items = newest_first(items);
		for (j = 0; j < m; j++) {
			jv rec = record_with_kind(kind,
			    jv_array_get(jv_copy(items), j));

			rec = add_member(rec, "serviceArn",
			    member(svc, "serviceArn"));
			rec = add_member(rec, "clusterArn",
			    member(svc, "clusterArn"));
			records = jv_array_append(records, rec);
		}
		jv_free(items);
		jv_free(svc);
	}
	jv_free(services);
	return records;
}

static void taskdef_describe(struct ls *ls, const char *region,
    const char *name, struct ordered_node *parent);

static void
on_services(struct ecs_job *job, struct ordered_node *group, jv services)
{
	struct ls *ls = ecs_job_data(job);
	struct ecs_run *run = ecs_job_run(job);
	int i, n = jv_array_length(jv_copy(services));

	for (i = 0; i < n; i++) {
		jv svc = jv_array_get(jv_copy(services), i);
		const char *name = json_str(svc, "serviceName");

		if (name)
			ls->found_services = jv_object_set(ls->found_services,
			    jv_string(name), jv_true());
		if (ls->kind == LS_TASKS || ls->kind == LS_CONTAINERS) {
			if (name)
				start_tasks(ls, ecs_job_region(job),
				    json_str(svc, "clusterArn"), "serviceName",
				    name, ordered_group(group));
		} else if (ls->kind == LS_TASKDEFS) {
			const char *td = json_str(svc, "taskDefinition");

			if (td)
				taskdef_describe(ls, ecs_job_region(job), td,
				    group);
		}
		jv_free(svc);
	}
	switch (ls->kind) {
	case LS_SERVICES:
		ecs_fill(run, group, with_kinds("service", services));
		break;
	case LS_EVENTS:
		ecs_fill(run, group,
		    service_children(services, "events", "serviceEvent"));
		break;
	case LS_DEPLOYMENTS:
		ecs_fill(run, group,
		    service_children(services, "deployments", "deployment"));
		break;
	default:
		jv_free(services);
	}
}

static void
start_services(struct ls *ls, const char *region, const char *cluster,
    jv names, int quiet_missing, struct ordered_node *group)
{
	struct ecs_job_spec s;

	spec_init(&s, ls, region);
	if (jv_get_kind(names) == JV_KIND_NULL) {
		s.list = &ecs_list_services;
		s.list_input = set_opt(list_input(cluster), "launchType",
		    ls->launch_type);
	}
	s.names = names;
	s.describe = &ecs_describe_services;
	s.describe_input = with_cluster(include("TAGS", NULL, NULL, NULL),
	    cluster);
	s.on_records = on_services;
	s.quiet_missing = quiet_missing;
	ecs_job_start(&ls->run, &s, group);
}

static void
on_instances(struct ecs_job *job, struct ordered_node *group, jv objects)
{
	jv input = ecs_job_describe_input(job);
	const char *cluster = json_str(input, "cluster");
	jv records = jv_array();
	int i, n = jv_array_length(jv_copy(objects));

	/* A container instance does not name its cluster in the old ARN
	 * format; the request did. */
	for (i = 0; i < n; i++) {
		jv rec = record_with_kind("containerInstance",
		    jv_array_get(jv_copy(objects), i));
		char *arn = arn_cluster_arn(json_str(rec,
						"containerInstanceArn"),
		    cluster);

		if (arn && !jv_object_has(jv_copy(rec),
				jv_string("clusterArn")))
			rec = jv_object_set(rec, jv_string("clusterArn"),
			    jv_string(arn));
		free(arn);
		records = jv_array_append(records, rec);
	}
	jv_free(objects);
	ecs_fill(ecs_job_run(job), group, records);
}

static void
start_instances(struct ls *ls, const char *region, const char *cluster,
    jv names, struct ordered_node *group)
{
	struct ecs_job_spec s;

	spec_init(&s, ls, region);
	if (jv_get_kind(names) == JV_KIND_NULL) {
		s.list = &ecs_list_container_instances;
		s.list_input = list_input(cluster);
	}
	s.names = names;
	s.describe = &ecs_describe_container_instances;
	s.describe_input = with_cluster(include("TAGS", NULL, NULL, NULL),
	    cluster);
	s.on_records = on_instances;
	ecs_job_start(&ls->run, &s, group);
}

/* Everything the kind lists in one cluster. */
static void
start_cluster(struct ls *ls, const char *region, const char *cluster,
    struct ordered_node *group)
{
	switch (ls->kind) {
	case LS_TASKS:
	case LS_CONTAINERS:
		start_tasks(ls, region, cluster, NULL, NULL, group);
		break;
	case LS_INSTANCES:
		start_instances(ls, region, cluster, jv_null(), group);
		break;
	case LS_SERVICES:
	case LS_EVENTS:
	case LS_DEPLOYMENTS:
	case LS_TASKDEFS:
		start_services(ls, region, cluster, jv_null(), 0, group);
		break;
	case LS_CLUSTERS:
		die("internal error: clusters listed per cluster");
	}
}

static jv
service_names(struct ls *ls)
{
	jv names = jv_array();
	size_t i;

	for (i = 0; i < ls->n_services; i++)
		if (!str_starts_with(ls->services[i], "arn:"))
			names = jv_array_append(names,
			    jv_string(ls->services[i]));
	return names;
}

static void
on_cluster_page(struct ecs_job *job, struct ordered_node *group, jv arns)
{
	struct ls *ls = ecs_job_data(job);
	int i, n = jv_array_length(jv_copy(arns));

	for (i = 0; i < n; i++) {
		jv arn = jv_array_get(jv_copy(arns), i);
		struct ordered_node *g = ordered_group(group);

		if (jv_get_kind(arn) == JV_KIND_STRING) {
			if (ls->n_services > 0)
				start_services(ls, ecs_job_region(job),
				    jv_string_value(arn), service_names(ls), 1,
				    g);
			else
				start_cluster(ls, ecs_job_region(job),
				    jv_string_value(arn), g);
		} else {
			ecs_close(&ls->run, g);
		}
		jv_free(arn);
	}
	jv_free(arns);
}

/* Every cluster of a region, then what the kind lists in each. */
static void
start_every_cluster(struct ls *ls, const char *region,
    struct ordered_node *group)
{
	struct ecs_job_spec s;

	spec_init(&s, ls, region);
	s.list = &ecs_list_clusters;
	s.list_input = jv_object_set(jv_object(), jv_string("maxResults"),
	    jv_number(100));
	s.on_arns = on_cluster_page;
	ecs_job_start(&ls->run, &s, group);
}

static jv
cluster_include(void)
{
	return include("CONFIGURATIONS", "SETTINGS", "STATISTICS", "TAGS");
}

static void
start_clusters(struct ls *ls, const char *region, jv names,
    struct ordered_node *group)
{
	struct ecs_job_spec s;

	spec_init(&s, ls, region);
	if (jv_get_kind(names) == JV_KIND_NULL) {
		s.list = &ecs_list_clusters;
		s.list_input = jv_object_set(jv_object(),
		    jv_string("maxResults"), jv_number(100));
	}
	s.names = names;
	s.describe = &ecs_describe_clusters;
	s.describe_input = cluster_include();
	ecs_job_start(&ls->run, &s, group);
}

/* --- task definitions -------------------------------------------------- */

static void
taskdef_done(struct aws_request *req)
{
	struct taskdef *td = req->data;
	struct ls *ls = td->ls;
	size_t i;

	td->done = 1;
	if (req->failed) {
		aws_report_error(req);
		ecs_run_fail(&ls->run);
	} else {
		jv out = aws_request_take_output(req);
		jv tags = member(out, "tags");

		td->record = record_with_kind("taskDefinition",
		    member(out, "taskDefinition"));
		if (jv_get_kind(tags) == JV_KIND_ARRAY &&
		    jv_array_length(jv_copy(tags)) > 0)
			td->record = jv_object_set(td->record,
			    jv_string("tags"), tags);
		else
			jv_free(tags);
		jv_free(out);
	}
	aws_request_free(req);
	for (i = 0; i < td->n_groups; i++) {
		if (jv_get_kind(td->record) == JV_KIND_OBJECT)
			ecs_fill(&ls->run, td->groups[i],
			    jv_array_append(jv_array(), jv_copy(td->record)));
		ecs_close(&ls->run, td->groups[i]);
	}
	free(td->groups);
	td->groups = NULL;
	td->n_groups = 0;
}

/* Describes a task definition (ARN, family:revision or family) into a
 * new group of parent. Repeated names share one call. */
static void
taskdef_describe(struct ls *ls, const char *region, const char *name,
    struct ordered_node *parent)
{
	struct ordered_node *g = ordered_group(parent);
	struct aws_request *req;
	struct taskdef *td = NULL;
	size_t i;

	for (i = 0; i < ls->n_taskdefs; i++)
		if (strcmp(ls->taskdefs[i]->name, name) == 0 &&
		    strcmp(ls->taskdefs[i]->region, region) == 0)
			td = ls->taskdefs[i];
	if (td && td->done) {
		if (jv_get_kind(td->record) == JV_KIND_OBJECT)
			ecs_fill(&ls->run, g, jv_array_append(jv_array(),
						  jv_copy(td->record)));
		ecs_close(&ls->run, g);
		return;
	}
	if (!td) {
		td = xcalloc(1, sizeof(*td));
		td->ls = ls;
		td->region = xstrdup(region);
		td->name = xstrdup(name);
		td->record = jv_null();
		ls->taskdefs = xrealloc(ls->taskdefs,
		    (ls->n_taskdefs + 1) * sizeof(*ls->taskdefs));
		ls->taskdefs[ls->n_taskdefs++] = td;
		req = aws_json_request(&ls->ctx, &aws_ecs, region,
		    "DescribeTaskDefinition",
		    jv_object_set(include("TAGS", NULL, NULL, NULL),
			jv_string("taskDefinition"), jv_string(name)));
		aws_submit(req, taskdef_done, td);
	}
	/* The call may have finished at once (no credentials). */
	if (td->done) {
		ecs_close(&ls->run, g);
		return;
	}
	td->groups = xrealloc(td->groups,
	    (td->n_groups + 1) * sizeof(*td->groups));
	td->groups[td->n_groups++] = g;
}

static void
on_taskdef_page(struct ecs_job *job, struct ordered_node *group, jv arns)
{
	struct ls *ls = ecs_job_data(job);
	int i, n = jv_array_length(jv_copy(arns));

	for (i = 0; i < n; i++) {
		jv arn = jv_array_get(jv_copy(arns), i);
		const char *s = jv_get_kind(arn) == JV_KIND_STRING
				    ? jv_string_value(arn)
				    : NULL;

		/* familyPrefix matches any family that starts with it. */
		if (s && ls->family) {
			const char *fam = arn_short(s);
			size_t len = strlen(ls->family);

			if (strncmp(fam, ls->family, len) != 0 ||
			    fam[len] != ':')
				s = NULL;
		}
		if (s)
			taskdef_describe(ls, ecs_job_region(job), s, group);
		jv_free(arn);
	}
	jv_free(arns);
}

/* Families with their latest revision, or every ACTIVE revision. */
static void
start_taskdef_list(struct ls *ls, const char *region,
    struct ordered_node *group)
{
	struct ecs_job_spec s;

	spec_init(&s, ls, region);
	s.list_input = jv_object_set(jv_object(), jv_string("maxResults"),
	    jv_number(100));
	s.list_input = jv_object_set(s.list_input, jv_string("status"),
	    jv_string("ACTIVE"));
	if (ls->all_revisions) {
		s.list = &ecs_list_task_definitions;
		s.list_input = set_opt(s.list_input, "familyPrefix",
		    ls->family);
	} else {
		s.list = &ecs_list_task_definition_families;
	}
	s.on_arns = on_taskdef_page;
	ecs_job_start(&ls->run, &s, group);
}

/* --- running the targets ----------------------------------------------- */

static int
same_batch(const struct target *a, const struct target *b)
{
	if (a->type != b->type || strcmp(a->region, b->region) != 0)
		return 0;
	/* Clusters are the items of a DescribeClusters batch. */
	if (a->type == T_CLUSTER)
		return 1;
	if (!a->cluster || !b->cluster)
		return a->cluster == b->cluster;
	return strcmp(arn_short(a->cluster), arn_short(b->cluster)) == 0;
}

/* Whether targets of this type are described together in batches. */
static int
batched(struct ls *ls, enum target_type type)
{
	switch (type) {
	case T_TASK:
		return 1;
	case T_INSTANCE:
		return ls->kind == LS_INSTANCES;
	case T_SERVICE:
		return ls->kind != LS_TASKS && ls->kind != LS_CONTAINERS;
	case T_CLUSTER:
		return ls->kind == LS_CLUSTERS;
	default:
		return 0;
	}
}

static void
start_batch(struct ls *ls, const struct target *t, jv ids,
    struct ordered_node *g)
{
	struct ecs_job_spec s;

	switch (t->type) {
	case T_CLUSTER:
		start_clusters(ls, t->region, ids, g);
		break;
	case T_SERVICE:
		start_services(ls, t->region, t->cluster, ids, 0, g);
		break;
	case T_INSTANCE:
		if (ls->kind == LS_INSTANCES) {
			start_instances(ls, t->region, t->cluster, ids, g);
			break;
		}
		jv_free(ids);
		die("internal error: instances batched for tasks");
	case T_TASK:
		spec_init(&s, ls, t->region);
		s.names = ids;
		s.describe = &ecs_describe_tasks;
		s.describe_input = with_cluster(include("TAGS", NULL, NULL,
						    NULL),
		    t->cluster);
		s.on_records = on_tasks;
		ecs_job_start(&ls->run, &s, g);
		break;
	default:
		jv_free(ids);
		die("internal error: target type %d batched", t->type);
	}
}

static void
start_single(struct ls *ls, const struct target *t, struct ordered_node *g)
{
	switch (t->type) {
	case T_CLUSTER:
		start_cluster(ls, t->region, t->cluster, g);
		break;
	case T_SERVICE:
		start_tasks(ls, t->region, t->cluster, "serviceName",
		    arn_short(t->id), g);
		break;
	case T_INSTANCE:
		start_tasks(ls, t->region, t->cluster, "containerInstance",
		    t->id, g);
		break;
	case T_TASKDEF:
		taskdef_describe(ls, t->region, t->id, g);
		ecs_close(&ls->run, g);
		break;
	case T_SEARCH:
		start_every_cluster(ls, t->region, g);
		break;
	case T_TASK:
		die("internal error: task target not batched");
	}
}

static void
start_targets(struct ls *ls)
{
	struct ordered_node *root = ecs_root(&ls->run);
	size_t i = 0, j;

	while (i < ls->n_targets) {
		const struct target *t = &ls->targets[i];
		struct ordered_node *g = ordered_group(root);
		jv ids;

		if (!batched(ls, t->type)) {
			start_single(ls, t, g);
			i++;
			continue;
		}
		ids = jv_array();
		for (j = i; j < ls->n_targets &&
			    same_batch(t, &ls->targets[j]);
		     j++)
			ids = jv_array_append(ids,
			    jv_string(ls->targets[j].id
					  ? ls->targets[j].id
					  : ls->targets[j].cluster));
		start_batch(ls, t, ids, g);
		i = j;
	}
}

/* No scope at all: the whole account in each region. */
static void
start_unscoped(struct ls *ls)
{
	struct ordered_node *root = ecs_root(&ls->run);
	size_t i;

	for (i = 0; i < ls->n_regions; i++) {
		struct ordered_node *g = ordered_group(root);

		if (ls->kind == LS_CLUSTERS)
			start_clusters(ls, ls->regions[i], jv_null(), g);
		else if (ls->kind == LS_TASKDEFS)
			start_taskdef_list(ls, ls->regions[i], g);
		else
			start_every_cluster(ls, ls->regions[i], g);
	}
}

/* -s names that no cluster had. */
static int
report_unfound_services(struct ls *ls)
{
	size_t i;
	int missing = 0;

	if (ls->cluster_scoped)
		return 0;
	for (i = 0; i < ls->n_services; i++) {
		const char *s = ls->services[i];

		if (str_starts_with(s, "arn:") ||
		    jv_object_has(jv_copy(ls->found_services), jv_string(s)))
			continue;
		error("service \"%s\" not found in any cluster of %s; check "
		      "the name, or give its cluster with --cluster",
		    s, ls->n_regions > 1 ? "the regions" : ls->regions[0]);
		missing++;
	}
	return missing;
}

/* --- options ----------------------------------------------------------- */

static void
split_regions(struct ls *ls, const char *list)
{
	char *copy = xstrdup(list), *save = NULL, *r;

	for (r = strtok_r(copy, ",", &save); r;
	     r = strtok_r(NULL, ",", &save)) {
		while (*r == ' ')
			r++;
		if (!*r)
			continue;
		ls->regions = xrealloc(ls->regions,
		    (ls->n_regions + 1) * sizeof(*ls->regions));
		ls->regions[ls->n_regions++] = xstrdup(r);
	}
	free(copy);
	if (ls->n_regions == 0)
		die_usage("--region needs at least one region name");
}

static void
push(char ***list, size_t *n, char *value)
{
	if (!*value)
		die_usage("an empty name was given to --cluster or --service");
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = value;
}

static const char *
one_of(const char *option, const char *value, const char *const *allowed,
    const char *expected)
{
	size_t i;

	for (i = 0; allowed[i]; i++)
		if (strcmp(value, allowed[i]) == 0)
			return allowed[i];
	die_usage("invalid %s \"%s\": expected %s", option, value,
	    expected);
}

static enum ls_kind
parse_kind(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(s, kinds[i].name) == 0)
			return (enum ls_kind)i;
	die_usage("unknown KIND \"%s\": expected clusters, services, tasks, "
		  "containers, taskdefs, instances, events or deployments",
	    s);
}

/* Options that make no sense for the kind are usage errors, not
 * silently ignored filters. */
static void
check_options(struct ls *ls, int desired_given)
{
	const char *k = kinds[ls->kind].name;
	int tasks = ls->kind == LS_TASKS || ls->kind == LS_CONTAINERS;

	if (ls->n_services && (ls->kind == LS_CLUSTERS ||
				  ls->kind == LS_INSTANCES))
		die_usage("--service does not apply to %s", k);
	if (ls->family && !tasks && ls->kind != LS_TASKDEFS)
		die_usage("--family applies to tasks, containers and "
			  "taskdefs, not %s",
		    k);
	if (ls->all_revisions && ls->kind != LS_TASKDEFS)
		die_usage("--all-revisions applies to taskdefs only");
	if (desired_given && !tasks)
		die_usage("--desired-status applies to tasks and containers, "
			  "not %s",
		    k);
	if (ls->launch_type && !tasks && ls->kind != LS_SERVICES &&
	    ls->kind != LS_EVENTS && ls->kind != LS_DEPLOYMENTS)
		die_usage("--launch-type does not apply to %s", k);
	if (ls->kind == LS_TASKDEFS && ls->family && ls->n_services)
		die_usage("taskdefs takes --family or --service, not both");
}

static void
parse_options(struct ls *ls, int argc, char **argv,
    struct cli_common *common, long *max_concurrency)
{
	static const struct option longopts[] = {
	    CLI_COMMON_LONG,
	    {"cluster", required_argument, NULL, 'c'},
	    {"service", required_argument, NULL, 's'},
	    {"output", required_argument, NULL, 'o'},
	    {"family", required_argument, NULL, OPT_FAMILY},
	    {"all-revisions", no_argument, NULL, OPT_ALL_REVISIONS},
	    {"desired-status", required_argument, NULL, OPT_DESIRED_STATUS},
	    {"launch-type", required_argument, NULL, OPT_LAUNCH_TYPE},
	    {"max-concurrency", required_argument, NULL,
		OPT_MAX_CONCURRENCY},
	    {NULL, 0, NULL, 0},
	};
	static const char *const statuses[] = {"RUNNING", "STOPPED", "ALL",
	    NULL};
	static const char *const launch_types[] = {"FARGATE", "EC2",
	    "EXTERNAL", NULL};
	const char *format = NULL;
	int c, desired_given = 0;

	ls->desired_status = "RUNNING";
	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "c:s:o:",
		    longopts, NULL)) != -1) {
		if (cli_common_option(common, c, optarg, usage))
			continue;
		switch (c) {
		case 'c':
			push(&ls->clusters, &ls->n_clusters, optarg);
			break;
		case 's':
			push(&ls->services, &ls->n_services, optarg);
			break;
		case 'o':
			format = optarg;
			break;
		case OPT_FAMILY:
			if (!*optarg || strchr(optarg, ':'))
				die_usage("invalid --family \"%s\": expected "
					  "a family name without a revision",
				    optarg);
			ls->family = optarg;
			break;
		case OPT_ALL_REVISIONS:
			ls->all_revisions = 1;
			break;
		case OPT_DESIRED_STATUS:
			ls->desired_status = one_of("--desired-status",
			    optarg, statuses, "RUNNING, STOPPED or ALL");
			desired_given = 1;
			break;
		case OPT_LAUNCH_TYPE:
			ls->launch_type = one_of("--launch-type", optarg,
			    launch_types, "FARGATE, EC2 or EXTERNAL");
			break;
		case OPT_MAX_CONCURRENCY:
			if (parse_long(optarg, 1, 256, max_concurrency) < 0)
				die_usage("invalid --max-concurrency \"%s\": "
					  "expected a number from 1 to 256",
				    optarg);
			break;
		default:
			die_usage("unexpected option");
		}
	}
	if (optind >= argc)
		die_usage("missing KIND: clusters, services, tasks, "
			  "containers, taskdefs, instances, events or "
			  "deployments");
	ls->kind = parse_kind(argv[optind++]);
	if (optind < argc)
		die_usage("unexpected argument \"%s\"", argv[optind]);
	check_options(ls, desired_given);
	ls->format = format ? output_parse(format, 1u << OUTPUT_JSON |
							  1u << OUTPUT_TABLE |
							  1u << OUTPUT_TSV)
			    : output_default();
	ls->cluster_scoped = ls->n_clusters > 0;
}

static void
ls_free(struct ls *ls)
{
	size_t i;

	for (i = 0; i < ls->n_targets; i++) {
		free(ls->targets[i].region);
		free(ls->targets[i].cluster);
		free(ls->targets[i].id);
	}
	free(ls->targets);
	for (i = 0; i < ls->n_taskdefs; i++) {
		jv_free(ls->taskdefs[i]->record);
		free(ls->taskdefs[i]->groups);
		free(ls->taskdefs[i]->region);
		free(ls->taskdefs[i]->name);
		free(ls->taskdefs[i]);
	}
	free(ls->taskdefs);
	jv_free(ls->seen);
	jv_free(ls->found_services);
	jv_free(ls->emitted_taskdefs);
	recview_free(ls->view);
	for (i = 0; i < ls->n_regions; i++)
		free(ls->regions[i]);
	free(ls->regions);
	free(ls->clusters);
	free(ls->services);
}

int
main(int argc, char **argv)
{
	struct cli_common common = {0};
	struct aws_options ao;
	struct ls ls;
	long max_concurrency = 8;
	size_t flag_targets;
	int failed;

	cli_setup(argc, argv);
	memset(&ls, 0, sizeof(ls));
	ls.seen = jv_object();
	ls.found_services = jv_object();
	ls.emitted_taskdefs = jv_object();
	parse_options(&ls, argc, argv, &common, &max_concurrency);

	cli_aws_options(&common, &ao);
	if (common.region)
		split_regions(&ls, common.region);
	ao.region = ls.n_regions ? ls.regions[0] : NULL;
	ao.need_region = 1;
	ao.max_concurrency = max_concurrency;
	aws_ctx_init(&ls.ctx, &ao);
	if (ls.n_regions == 0)
		split_regions(&ls, ls.ctx.region);
	if (ls.format == OUTPUT_TABLE)
		ls.view = recview_new(kinds[ls.kind].out);
	ls.tsv_sanitize = stdout_is_terminal();
	ecs_run_init(&ls.run, &ls.ctx, (int)max_concurrency, emit, &ls);

	ls.scoped = ls.n_clusters > 0 || ls.n_services > 0 ||
		    (ls.family && ls.kind == LS_TASKDEFS && !ls.all_revisions);
	add_flag_targets(&ls);
	flag_targets = ls.n_targets;
	if (stdin_is_input())
		read_stdin(&ls);
	add_search_targets(&ls, flag_targets);
	if (ls.scoped)
		start_targets(&ls);
	else
		start_unscoped(&ls);
	ecs_close(&ls.run, ecs_root(&ls.run));
	failed = ecs_run_wait(&ls.run) < 0;
	failed |= report_unfound_services(&ls) > 0;
	failed |= ls.input_errors > 0;
	if (ls.view)
		recview_print(ls.view, terminal_columns(),
		    output_color_enabled());
	out_flush();

	ecs_run_free(&ls.run);
	aws_ctx_free(&ls.ctx);
	ls_free(&ls);
	return failed ? EXIT_RUNTIME : EXIT_OK;
}
