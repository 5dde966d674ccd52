/* From ECS clusters, services, tasks and containers to their log streams
 * (see logtargets.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "logtargets.h"
#include "records.h"
#include "util.h"

/* DescribeTasks takes at most 100 tasks per call. */
#define DESCRIBE_TASKS_MAX 100

/* Tasks waiting for one DescribeTaskDefinition response. */
struct taskdef_wait {
	struct target_resolver *tr;
	char *arn;
	jv waiting;		/* array of [task, container filter or null] */
	struct taskdef_wait *next;
};

struct target_resolver {
	struct aws_ctx *ctx;
	struct target_options opt;
	jv taskdefs;		/* task definition ARN -> definition */
	struct taskdef_wait *waits;
	jv reported;		/* problem keys already reported */

	int running;
	int pending;		/* requests in flight, plus one while
				   target_resolver_start submits */
	int failed;
	int request_failed;
	struct log_target *targets;
	size_t n_targets, cap_targets;
	jv target_keys;		/* region|group|stream of this run */
	target_done_fn done;
	void *data;
};

/* One ListTasks call followed through every page. */
struct list_job {
	struct target_resolver *tr;
	char *region;
	char *cluster;
	jv input;		/* parameters repeated on every page */
	int services_only;	/* keep tasks whose group is service:NAME */
};

/* One DescribeTasks batch. wanted maps the task IDs named by the user to
 * an array of container filters (null: every container); jv_null when
 * the tasks came from ListTasks. */
struct describe_job {
	struct target_resolver *tr;
	char *region;
	char *cluster;
	jv wanted;
	int services_only;
};

static void make_targets(struct target_resolver *tr, jv task, jv def,
    const char *filter);

struct target_resolver *
target_resolver_new(struct aws_ctx *ctx, const struct target_options *o)
{
	struct target_resolver *tr = xcalloc(1, sizeof(*tr));

	tr->ctx = ctx;
	tr->opt = *o;
	tr->taskdefs = jv_object();
	tr->reported = jv_object();
	tr->target_keys = jv_object();
	return tr;
}

static void
clear_targets(struct target_resolver *tr)
{
	size_t i;

	for (i = 0; i < tr->n_targets; i++) {
		struct log_target *t = &tr->targets[i];

		free(t->region);
		free(t->group);
		free(t->stream);
		free(t->task_arn);
		free(t->cluster_arn);
		free(t->container);
	}
	tr->n_targets = 0;
	jv_free(tr->target_keys);
	tr->target_keys = jv_object();
}

void
target_resolver_free(struct target_resolver *tr)
{
	if (!tr)
		return;
	clear_targets(tr);
	free(tr->targets);
	jv_free(tr->target_keys);
	jv_free(tr->taskdefs);
	jv_free(tr->reported);
	while (tr->waits) {
		struct taskdef_wait *w = tr->waits;

		tr->waits = w->next;
		free(w->arn);
		jv_free(w->waiting);
		free(w);
	}
	free(tr);
}

int
target_resolver_running(const struct target_resolver *tr)
{
	return tr->running;
}

const struct log_target *
target_resolver_targets(const struct target_resolver *tr, size_t *n)
{
	*n = tr->n_targets;
	return tr->targets;
}

int
target_resolver_failed(const struct target_resolver *tr)
{
	return tr->failed;
}

int
target_resolver_complete(const struct target_resolver *tr)
{
	return !tr->request_failed;
}

/* --- bookkeeping ---------------------------------------------------------- */

static void
request_finished(struct target_resolver *tr)
{
	if (--tr->pending > 0)
		return;
	tr->running = 0;
	if (tr->done)
		tr->done(tr, tr->data);
}

/* Reports a problem once per key over the resolver's life, so a follow
 * that resolves again does not repeat it. */
static void
problem(struct target_resolver *tr, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct target_resolver *tr, const char *key, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	tr->failed = 1;
	if (jv_object_has(jv_copy(tr->reported), jv_string(key)))
		return;
	tr->reported = jv_object_set(tr->reported, jv_string(key), jv_true());
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	error("%s", b.data);
	buf_free(&b);
}

/* Reports a failed request once, naming what it was about (a cluster, a
 * task definition). */
static void
report_request_error(struct target_resolver *tr, struct aws_request *req,
    const char *what)
{
	struct buf b = BUF_INIT;

	tr->request_failed = 1;
	aws_error_format(req, &b);
	buf_addf(&b, " (%s)", what);
	problem(tr, b.data, "%s", b.data);
	buf_free(&b);
}

static void
add_target(struct target_resolver *tr, const char *region, const char *group,
    const char *stream, jv task, const char *container)
{
	struct log_target *t;
	char *key = xasprintf("%s|%s|%s", region, group, stream);

	if (jv_object_has(jv_copy(tr->target_keys), jv_string(key))) {
		free(key);
		return;
	}
	tr->target_keys = jv_object_set(tr->target_keys, jv_string(key),
	    jv_true());
	free(key);
	if (tr->n_targets == tr->cap_targets) {
		tr->cap_targets = tr->cap_targets ? tr->cap_targets * 2 : 16;
		tr->targets = xrealloc(tr->targets,
		    tr->cap_targets * sizeof(*tr->targets));
	}
	t = &tr->targets[tr->n_targets++];
	t->region = xstrdup(region);
	t->group = xstrdup(group);
	t->stream = xstrdup(stream);
	t->task_arn = xstrdup(json_str(task, "taskArn"));
	t->cluster_arn = json_str(task, "clusterArn")
			     ? xstrdup(json_str(task, "clusterArn"))
			     : NULL;
	t->container = xstrdup(container);
}

/* --- log configurations ---------------------------------------------------- */

/* Replaces the FireLens cloudwatch plugin's $(ecs_task_id), $(ecs_cluster),
 * $(ecs_task_arn) and $(tag). Returns -1 when another template remains. */
static int
expand_firelens(const char *s, jv task, const char *tag, struct buf *out)
{
	const char *arn = json_str(task, "taskArn");
	const char *cluster_arn = json_str(task, "clusterArn");

	while (*s) {
		const char *value = NULL, *end;
		size_t n;

		if (s[0] != '$' || s[1] != '(') {
			buf_addc(out, *s++);
			continue;
		}
		end = strchr(s, ')');
		if (!end)
			return -1;
		n = (size_t)(end - s - 2);
		if (n == 11 && strncmp(s + 2, "ecs_task_id", n) == 0)
			value = arn_short(arn);
		else if (n == 11 && strncmp(s + 2, "ecs_cluster", n) == 0)
			value = cluster_arn ? arn_short(cluster_arn) : NULL;
		else if (n == 12 && strncmp(s + 2, "ecs_task_arn", n) == 0)
			value = arn;
		else if (n == 3 && strncmp(s + 2, "tag", n) == 0)
			value = tag;
		if (!value)
			return -1;
		buf_adds(out, value);
		s = end + 1;
	}
	return 0;
}

static void
firelens_target(struct target_resolver *tr, jv task, const char *name,
    jv options, const char *where, const char *key)
{
	const char *output = json_str(options, "Name");
	const char *group = json_str(options, "log_group_name");
	const char *stream_name = json_str(options, "log_stream_name");
	const char *prefix = json_str(options, "log_stream_prefix");
	const char *region = json_str(options, "region");
	char *task_region = arn_region(json_str(task, "taskArn"));
	struct buf g = BUF_INIT, s = BUF_INIT, tag = BUF_INIT;

	/* FireLens tags a container's records CONTAINER-firelens-TASK_ID. */
	buf_addf(&tag, "%s-firelens-%s", name,
	    arn_short(json_str(task, "taskArn")));
	if (!output || (strcmp(output, "cloudwatch") != 0 &&
			   strcmp(output, "cloudwatch_logs") != 0)) {
		problem(tr, key, "container \"%s\" %s sends its logs through "
				 "FireLens to \"%s\", not to CloudWatch Logs; "
				 "read them where that output delivers them",
		    name, where, output ? output : "(no Name option)");
	} else if (!group || (!stream_name && !prefix)) {
		problem(tr, key, "container \"%s\" %s sends its logs through "
				 "FireLens to CloudWatch Logs without "
				 "log_group_name and log_stream_name or "
				 "log_stream_prefix options, so its stream "
				 "cannot be named",
		    name, where);
	} else if (expand_firelens(group, task, tag.data, &g) < 0 ||
		   (stream_name
			? expand_firelens(stream_name, task, tag.data, &s)
			: (buf_addf(&s, "%s%s", prefix, tag.data), 0)) < 0) {
		problem(tr, key, "container \"%s\" %s names its FireLens log "
				 "group or stream with a template other than "
				 "$(ecs_task_id), $(ecs_cluster), "
				 "$(ecs_task_arn) or $(tag); ecs-log cannot "
				 "resolve it",
		    name, where);
	} else {
		add_target(tr, region ? region : task_region, g.data, s.data,
		    task, name);
	}
	free(task_region);
	buf_free(&g);
	buf_free(&s);
	buf_free(&tag);
}

/* Adds the target of one container definition, or reports why there is
 * none. */
static void
container_target(struct target_resolver *tr, jv task, jv def, jv c)
{
	const char *name = json_str(c, "name");
	const char *task_arn = json_str(task, "taskArn");
	jv conf = jv_object_get(jv_copy(c), jv_string("logConfiguration"));
	jv options = json_path(conf, "options", NULL);
	const char *driver = json_str(conf, "logDriver");
	char *task_region = arn_region(task_arn);
	char *where = xasprintf("of task definition %s:%.0f (task %s)",
	    json_str(def, "family"), json_num(def, "revision", 0),
	    arn_short(task_arn));
	/* Every task of a definition has the same configuration, so each
	 * container is reported once per definition. */
	char *key = xasprintf("%s|%s", json_str(def, "taskDefinitionArn"),
	    name);

	if (!driver) {
		problem(tr, key, "container \"%s\" %s has no log "
				 "configuration, so its output is not in "
				 "CloudWatch Logs",
		    name, where);
	} else if (strcmp(driver, "awslogs") == 0) {
		const char *group = json_str(options, "awslogs-group");
		const char *region = json_str(options, "awslogs-region");
		const char *prefix = json_str(options, "awslogs-stream-prefix");

		if (!group || !prefix) {
			problem(tr, key, "container \"%s\" %s uses the awslogs "
					 "driver without %s, so its stream "
					 "cannot be named; add %s to the task "
					 "definition",
			    name, where,
			    !group ? "awslogs-group" : "awslogs-stream-prefix",
			    !group ? "awslogs-group"
				   : "awslogs-stream-prefix");
		} else {
			char *stream = xasprintf("%s/%s/%s", prefix, name,
			    arn_short(task_arn));

			add_target(tr, region ? region : task_region, group,
			    stream, task, name);
			free(stream);
		}
	} else if (strcmp(driver, "awsfirelens") == 0) {
		firelens_target(tr, task, name, options, where, key);
	} else {
		problem(tr, key, "container \"%s\" %s uses the \"%s\" log "
				 "driver; ecs-log reads only awslogs and "
				 "FireLens to CloudWatch Logs",
		    name, where, driver);
	}
	free(key);
	free(where);
	free(task_region);
	jv_free(options);
	jv_free(conf);
}

/* Consumes task and filter, borrows def. */
static void
make_targets(struct target_resolver *tr, jv task, jv def, const char *filter)
{
	jv containers = jv_object_get(jv_copy(def),
	    jv_string("containerDefinitions"));
	const char *only = tr->opt.container;
	int i, n, matched = 0;

	n = jv_get_kind(containers) == JV_KIND_ARRAY
		? jv_array_length(jv_copy(containers))
		: 0;
	for (i = 0; i < n; i++) {
		jv c = jv_array_get(jv_copy(containers), i);
		const char *name = json_str(c, "name");

		if (name && (!filter || strcmp(name, filter) == 0) &&
		    (!only || strcmp(name, only) == 0)) {
			matched++;
			container_target(tr, task, def, c);
		}
		jv_free(c);
	}
	if (matched == 0 && (filter || only)) {
		char *key = xasprintf("%s|no %s",
		    json_str(def, "taskDefinitionArn"), filter ? filter : only);

		problem(tr, key, "task definition %s:%.0f has no container "
				 "named \"%s\"",
		    json_str(def, "family"), json_num(def, "revision", 0),
		    filter && only && strcmp(filter, only) != 0
			? only
			: (filter ? filter : only));
		free(key);
	}
	jv_free(containers);
	jv_free(task);
}

/* --- task definitions ----------------------------------------------------- */

static void
taskdef_done(struct aws_request *req)
{
	struct taskdef_wait *w = req->data, **pp;
	struct target_resolver *tr = w->tr;
	jv def = jv_null();
	int i, n;

	for (pp = &tr->waits; *pp != w; pp = &(*pp)->next)
		;
	*pp = w->next;
	if (req->failed) {
		char *what = xasprintf("task definition %s",
		    arn_short(w->arn));

		report_request_error(tr, req, what);
		free(what);
	} else {
		def = json_path(req->output, "taskDefinition", NULL);
		tr->taskdefs = jv_object_set(tr->taskdefs, jv_string(w->arn),
		    jv_copy(def));
	}
	n = jv_array_length(jv_copy(w->waiting));
	for (i = 0; i < n && jv_get_kind(def) == JV_KIND_OBJECT; i++) {
		jv item = jv_array_get(jv_copy(w->waiting), i);
		jv filter = jv_array_get(jv_copy(item), 1);

		make_targets(tr, jv_array_get(jv_copy(item), 0), def,
		    jv_get_kind(filter) == JV_KIND_STRING
			? jv_string_value(filter)
			: NULL);
		jv_free(filter);
		jv_free(item);
	}
	jv_free(def);
	free(w->arn);
	jv_free(w->waiting);
	free(w);
	aws_request_free(req);
	request_finished(tr);
}

/* Resolves the targets of a task (consumed) once its task definition is
 * known. */
static void
handle_task(struct target_resolver *tr, jv task, const char *filter)
{
	const char *arn = json_str(task, "taskDefinitionArn");
	struct taskdef_wait *w;
	struct aws_request *req;
	jv def, item;
	char *region;

	if (!arn || !json_str(task, "taskArn")) {
		error("a task record has no taskArn or taskDefinitionArn; "
		      "skipped it");
		tr->failed = 1;
		jv_free(task);
		return;
	}
	def = jv_object_get(jv_copy(tr->taskdefs), jv_string(arn));
	if (jv_is_valid(def)) {
		make_targets(tr, task, def, filter);
		jv_free(def);
		return;
	}
	jv_free(def);
	item = jv_array_append(jv_array_append(jv_array(), task),
	    filter ? jv_string(filter) : jv_null());
	for (w = tr->waits; w; w = w->next) {
		if (strcmp(w->arn, arn) == 0) {
			w->waiting = jv_array_append(w->waiting, item);
			return;
		}
	}
	w = xcalloc(1, sizeof(*w));
	w->tr = tr;
	w->arn = xstrdup(arn);
	w->waiting = jv_array_append(jv_array(), item);
	w->next = tr->waits;
	tr->waits = w;
	region = arn_region(w->arn);
	req = aws_json_request(tr->ctx, &aws_ecs, region,
	    "DescribeTaskDefinition",
	    jv_object_set(jv_object(), jv_string("taskDefinition"),
		jv_string(w->arn)));
	free(region);
	tr->pending++;
	aws_submit(req, taskdef_done, w);
}

/* --- tasks ------------------------------------------------------------------- */

/* Seconds since the epoch in an ECS timestamp field, as milliseconds, or
 * -1 when absent. */
static int64_t
task_time_ms(jv task, const char *key)
{
	double t = json_num(task, key, -1);

	return t < 0 ? -1 : (int64_t)(t * 1000);
}

/* A listed task belongs in the window: stopped tasks only when they
 * stopped at or after --since, and no task started after --until. */
static int
task_in_window(struct target_resolver *tr, jv task)
{
	const char *status = json_str(task, "lastStatus");
	int64_t stopped = task_time_ms(task, "stoppedAt");
	int64_t started = task_time_ms(task, "startedAt");

	if (started < 0)
		started = task_time_ms(task, "createdAt");
	if (status && strcmp(status, "STOPPED") == 0 && stopped >= 0 &&
	    (!tr->opt.has_since || stopped < tr->opt.since_ms))
		return 0;
	if (tr->opt.has_until && started >= 0 && started >= tr->opt.until_ms)
		return 0;
	return 1;
}

/* Consumes failures. */
static void
report_failures(struct target_resolver *tr, jv failures, const char *cluster)
{
	int i, n = jv_get_kind(failures) == JV_KIND_ARRAY
		       ? jv_array_length(jv_copy(failures))
		       : 0;

	for (i = 0; i < n; i++) {
		jv f = jv_array_get(jv_copy(failures), i);
		const char *arn = json_str(f, "arn");
		const char *reason = json_str(f, "reason");
		char *key = xasprintf("failure|%s", arn ? arn : "");

		problem(tr, key, "DescribeTasks: task %s in cluster %s: %s",
		    arn ? arn_short(arn) : "?", arn_short(cluster),
		    reason && strcmp(reason, "MISSING") == 0
			? "not found"
			: (reason ? reason : "failed"));
		free(key);
		jv_free(f);
	}
	jv_free(failures);
}

static void
describe_done(struct aws_request *req)
{
	struct describe_job *d = req->data;
	struct target_resolver *tr = d->tr;
	jv out, tasks;
	int i, n;

	if (req->failed) {
		char *what = xasprintf("cluster %s", arn_short(d->cluster));

		report_request_error(tr, req, what);
		free(what);
		goto finished;
	}
	out = aws_request_take_output(req);
	tasks = jv_object_get(jv_copy(out), jv_string("tasks"));
	n = jv_get_kind(tasks) == JV_KIND_ARRAY
		? jv_array_length(jv_copy(tasks))
		: 0;
	for (i = 0; i < n; i++) {
		jv task = jv_array_get(jv_copy(tasks), i);
		const char *group = json_str(task, "group");
		const char *id = arn_short(json_str(task, "taskArn"));
		jv filters;
		int j, m;

		if (jv_get_kind(d->wanted) != JV_KIND_OBJECT) {
			if ((d->services_only &&
				(!group || !str_starts_with(group, "service:"))) ||
			    !task_in_window(tr, task))
				jv_free(task);
			else
				handle_task(tr, task, NULL);
			continue;
		}
		filters = jv_object_get(jv_copy(d->wanted), jv_string(id));
		m = jv_get_kind(filters) == JV_KIND_ARRAY
			? jv_array_length(jv_copy(filters))
			: 0;
		for (j = 0; j < m; j++) {
			jv f = jv_array_get(jv_copy(filters), j);

			handle_task(tr, jv_copy(task),
			    jv_get_kind(f) == JV_KIND_STRING
				? jv_string_value(f)
				: NULL);
			jv_free(f);
		}
		jv_free(filters);
		jv_free(task);
	}
	report_failures(tr, jv_object_get(jv_copy(out), jv_string("failures")),
	    d->cluster);
	jv_free(tasks);
	jv_free(out);
finished:
	aws_request_free(req);
	free(d->region);
	free(d->cluster);
	jv_free(d->wanted);
	free(d);
	request_finished(tr);
}

/* Describes task IDs or ARNs (consumed) in batches of 100. */
static void
describe_tasks(struct target_resolver *tr, const char *region,
    const char *cluster, jv ids, jv wanted, int services_only)
{
	int i, n = jv_array_length(jv_copy(ids));

	for (i = 0; i < n; i += DESCRIBE_TASKS_MAX) {
		int end = i + DESCRIBE_TASKS_MAX < n ? i + DESCRIBE_TASKS_MAX
						     : n;
		struct describe_job *d = xcalloc(1, sizeof(*d));
		struct aws_request *req;
		jv in = jv_object();

		d->tr = tr;
		d->region = xstrdup(region);
		d->cluster = xstrdup(cluster);
		d->wanted = jv_copy(wanted);
		d->services_only = services_only;
		in = jv_object_set(in, jv_string("cluster"),
		    jv_string(cluster));
		in = jv_object_set(in, jv_string("tasks"),
		    jv_array_slice(jv_copy(ids), i, end));
		req = aws_json_request(tr->ctx, &aws_ecs, region,
		    "DescribeTasks", in);
		tr->pending++;
		aws_submit(req, describe_done, d);
	}
	jv_free(ids);
	jv_free(wanted);
}

static void list_submit(struct list_job *job, const char *token);

static void
list_done(struct aws_request *req)
{
	struct list_job *job = req->data;
	struct target_resolver *tr = job->tr;
	jv out, arns;
	const char *token;

	if (req->failed) {
		const char *service = json_str(job->input, "serviceName");
		char *what = service ? xasprintf("cluster %s, service %s",
					   arn_short(job->cluster), service)
				     : xasprintf("cluster %s",
					   arn_short(job->cluster));

		report_request_error(tr, req, what);
		free(what);
		goto finished;
	}
	out = aws_request_take_output(req);
	arns = jv_object_get(jv_copy(out), jv_string("taskArns"));
	if (jv_get_kind(arns) == JV_KIND_ARRAY &&
	    jv_array_length(jv_copy(arns)) > 0)
		describe_tasks(tr, job->region, job->cluster, arns, jv_null(),
		    job->services_only);
	else
		jv_free(arns);
	token = json_str(out, "nextToken");
	if (token && *token) {
		list_submit(job, token);
		jv_free(out);
		aws_request_free(req);
		request_finished(tr);
		return;
	}
	jv_free(out);
finished:
	aws_request_free(req);
	free(job->region);
	free(job->cluster);
	jv_free(job->input);
	free(job);
	request_finished(tr);
}

static void
list_submit(struct list_job *job, const char *token)
{
	jv in = jv_copy(job->input);
	struct aws_request *req;

	if (token)
		in = jv_object_set(in, jv_string("nextToken"), jv_string(token));
	req = aws_json_request(job->tr->ctx, &aws_ecs, job->region, "ListTasks",
	    in);
	job->tr->pending++;
	aws_submit(req, list_done, job);
}

/* Lists the tasks of a cluster or service in one desired status. */
static void
list_tasks(struct target_resolver *tr, const char *region,
    const char *cluster, const char *service, const char *status)
{
	struct list_job *job = xcalloc(1, sizeof(*job));
	jv in = jv_object();

	in = jv_object_set(in, jv_string("cluster"), jv_string(cluster));
	if (service)
		in = jv_object_set(in, jv_string("serviceName"),
		    jv_string(service));
	in = jv_object_set(in, jv_string("desiredStatus"), jv_string(status));
	job->tr = tr;
	job->region = xstrdup(region);
	job->cluster = xstrdup(cluster);
	job->input = in;
	job->services_only = service == NULL;
	list_submit(job, NULL);
}

/* --- specs -------------------------------------------------------------------- */

/* Sets *region and *cluster (the caller frees both) for a spec, from its
 * ARN, then its cluster, then the defaults. */
static void
spec_place(struct target_resolver *tr, const struct target_spec *sp,
    char **region, char **cluster)
{
	struct ecs_arn a;

	*region = NULL;
	*cluster = NULL;
	if (sp->name && ecs_arn_parse(sp->name, &a) == 0) {
		*region = a.region;
		*cluster = a.cluster;
		a.region = a.cluster = NULL;
		ecs_arn_free(&a);
	}
	if (!*cluster && sp->cluster)
		*cluster = xstrdup(sp->cluster);
	if (!*cluster)
		*cluster = xstrdup("default");
	if (!*region && sp->cluster)
		*region = arn_region(sp->cluster);
	if (!*region && sp->region)
		*region = xstrdup(sp->region);
	if (!*region && tr->ctx->region)
		*region = xstrdup(tr->ctx->region);
	if (!*region)
		*region = xstrdup("");
}

/* Groups the tasks named without a record by region and cluster, so
 * each group costs one DescribeTasks call per 100 tasks. */
static void
start_named_tasks(struct target_resolver *tr, const struct target_spec *specs,
    size_t n)
{
	jv groups = jv_object();	/* "region cluster" -> [ids, wanted] */
	jv keys;
	size_t i;
	int k, nk;

	for (i = 0; i < n; i++) {
		const struct target_spec *sp = &specs[i];
		char *region, *cluster, *gkey;
		const char *id;
		jv g, ids, wanted, filters;

		if ((sp->kind != SPEC_TASK && sp->kind != SPEC_CONTAINER) ||
		    jv_get_kind(sp->task) == JV_KIND_OBJECT)
			continue;
		spec_place(tr, sp, &region, &cluster);
		gkey = xasprintf("%s %s", region, cluster);
		g = jv_object_get(jv_copy(groups), jv_string(gkey));
		if (!jv_is_valid(g)) {
			jv_free(g);
			g = jv_array_append(jv_array_append(jv_array(),
						jv_array()),
			    jv_object());
		}
		ids = jv_array_get(jv_copy(g), 0);
		wanted = jv_array_get(jv_copy(g), 1);
		id = arn_short(sp->name);
		filters = jv_object_get(jv_copy(wanted), jv_string(id));
		if (!jv_is_valid(filters)) {
			jv_free(filters);
			filters = jv_array();
			ids = jv_array_append(ids, jv_string(sp->name));
		}
		filters = jv_array_append(filters,
		    sp->kind == SPEC_CONTAINER && sp->container
			? jv_string(sp->container)
			: jv_null());
		wanted = jv_object_set(wanted, jv_string(id), filters);
		g = jv_array_set(jv_array_set(g, 0, ids), 1, wanted);
		groups = jv_object_set(groups, jv_string(gkey), g);
		free(gkey);
		free(region);
		free(cluster);
	}
	keys = jv_keys(jv_copy(groups));
	nk = jv_array_length(jv_copy(keys));
	for (k = 0; k < nk; k++) {
		jv key = jv_array_get(jv_copy(keys), k);
		jv g = jv_object_get(jv_copy(groups), jv_copy(key));
		const char *s = jv_string_value(key);
		const char *space = strchr(s, ' ');
		char *region = xstrndup(s, (size_t)(space - s));

		describe_tasks(tr, region, space + 1,
		    jv_array_get(jv_copy(g), 0), jv_array_get(jv_copy(g), 1),
		    0);
		free(region);
		jv_free(g);
		jv_free(key);
	}
	jv_free(keys);
	jv_free(groups);
}

void
target_resolver_start(struct target_resolver *tr,
    const struct target_spec *specs, size_t n, target_done_fn done,
    void *data)
{
	size_t i;

	clear_targets(tr);
	tr->failed = 0;
	tr->request_failed = 0;
	tr->running = 1;
	tr->pending = 1;
	tr->done = done;
	tr->data = data;
	for (i = 0; i < n; i++) {
		const struct target_spec *sp = &specs[i];
		const char *service;
		char *region, *cluster;

		if (jv_get_kind(sp->task) == JV_KIND_OBJECT) {
			handle_task(tr, jv_copy(sp->task),
			    sp->kind == SPEC_CONTAINER ? sp->container : NULL);
			continue;
		}
		if (sp->kind != SPEC_CLUSTER && sp->kind != SPEC_SERVICE)
			continue;
		spec_place(tr, sp, &region, &cluster);
		service = sp->kind == SPEC_SERVICE ? arn_short(sp->name) : NULL;
		list_tasks(tr, region, cluster, service, "RUNNING");
		if (tr->opt.has_since)
			list_tasks(tr, region, cluster, service, "STOPPED");
		free(region);
		free(cluster);
	}
	start_named_tasks(tr, specs, n);
	request_finished(tr);
}
