/* ECS Exec targets: from flags or records to a resolved container, with
 * the checks DescribeTasks and DescribeClusters allow before any session. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exectarget.h"
#include "json.h"
#include "records.h"
#include "util.h"

/* DescribeTasks takes at most 100 tasks per call. */
#define DESCRIBE_TASKS_MAX 100

struct exec_target *
exec_target_new(const char *region, const char *cluster, const char *task,
    const char *container)
{
	struct exec_target *t = xcalloc(1, sizeof(*t));
	char *arn_reg = arn_region(task);

	if (arn_reg)
		t->region = arn_reg;
	else
		t->region = xstrdup(region ? region : "");
	t->cluster = cluster ? xstrdup(cluster) : arn_cluster_name(task);
	t->task = xstrdup(task);
	t->container = container ? xstrdup(container) : NULL;
	t->task_obj = jv_null();
	t->cluster_obj = jv_null();
	return t;
}

struct exec_target *
exec_target_from_record(jv rec, const char *default_region,
    const char *container, struct buf *err)
{
	enum record_kind k = record_kind(rec);
	const char *task = json_str(rec, "taskArn");
	const char *cluster = json_str(rec, "clusterArn");

	if (!task || (k != KIND_TASK && k != KIND_CONTAINER)) {
		buf_addf(err, "not a task or container record (no \"taskArn\"%s)",
		    task ? " or it is another kind" : "");
		return NULL;
	}
	if (k == KIND_CONTAINER) {
		const char *name = json_str(rec, "name");

		if (!name) {
			buf_adds(err, "container record without \"name\"");
			return NULL;
		}
		if (container && strcmp(container, name) != 0) {
			buf_addf(err, "container record for \"%s\" but "
				      "--container %s was given",
			    name, container);
			return NULL;
		}
		container = name;
	}
	return exec_target_new(default_region, cluster, task, container);
}

void
exec_target_free(struct exec_target *t)
{
	if (!t)
		return;
	free(t->region);
	free(t->cluster);
	free(t->task);
	free(t->container);
	jv_free(t->task_obj);
	jv_free(t->cluster_obj);
	free(t->task_arn);
	free(t->cluster_arn);
	free(t->task_id);
	free(t->cluster_name);
	free(t->container_name);
	free(t->runtime_id);
	free(t->label);
	free(t->error);
	free(t);
}

static const char *
cluster_key(const struct exec_target *t)
{
	return t->cluster ? t->cluster : "default";
}

static int
same_group(const struct exec_target *a, const struct exec_target *b)
{
	return strcmp(a->region, b->region) == 0 &&
	    strcmp(arn_short(cluster_key(a)), arn_short(cluster_key(b))) == 0;
}

static void
set_error(struct exec_target *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
set_error(struct exec_target *t, const char *fmt, ...)
{
	va_list ap;
	struct buf b = BUF_INIT;

	if (t->error)
		return;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	t->error = buf_detach(&b);
}

int
fargate_version_ok(const char *v)
{
	long major = 0, minor = 0;

	if (!v || !*v || strcmp(v, "LATEST") == 0)
		return 1;
	if (sscanf(v, "%ld.%ld", &major, &minor) < 2)
		return 1;
	return major > 1 || (major == 1 && minor >= 4);
}

static jv
find_agent(jv container)
{
	jv agents = jv_object_get(jv_copy(container),
	    jv_string("managedAgents"));
	int i, n = jv_get_kind(agents) == JV_KIND_ARRAY
		       ? jv_array_length(jv_copy(agents))
		       : 0;

	for (i = 0; i < n; i++) {
		jv a = jv_array_get(jv_copy(agents), i);
		const char *name = json_str(a, "name");

		if (name && strcmp(name, "ExecuteCommandAgent") == 0) {
			jv_free(agents);
			return a;
		}
		jv_free(a);
	}
	jv_free(agents);
	return jv_null();
}

/* Picks the requested container, or the only one; sets error and
 * returns jv_null when there is none to pick. */
static jv
pick_container(struct exec_target *t)
{
	jv containers = jv_object_get(jv_copy(t->task_obj),
	    jv_string("containers"));
	int i, n = jv_get_kind(containers) == JV_KIND_ARRAY
		       ? jv_array_length(jv_copy(containers))
		       : 0;
	jv chosen = jv_null();
	struct buf names = BUF_INIT;

	for (i = 0; i < n; i++) {
		jv c = jv_array_get(jv_copy(containers), i);
		const char *name = json_str(c, "name");

		buf_addf(&names, "%s%s", i ? ", " : "", name ? name : "?");
		if (name && ((t->container && strcmp(name, t->container) == 0) ||
				(!t->container && n == 1))) {
			jv_free(chosen);
			chosen = jv_copy(c);
		}
		jv_free(c);
	}
	if (jv_get_kind(chosen) != JV_KIND_OBJECT) {
		if (t->container)
			set_error(t, "task %s has no container \"%s\"; its "
				     "containers are: %s",
			    t->task_id, t->container, names.data ? names.data
								  : "none");
		else if (n == 0)
			set_error(t, "task %s has no containers", t->task_id);
		else
			set_error(t, "task %s has several containers (%s): "
				     "choose one with --container",
			    t->task_id, names.data);
	}
	jv_free(containers);
	buf_free(&names);
	return chosen;
}

/* Sets error when the task cannot run ECS Exec. */
static void
check_runnable(struct exec_target *t)
{
	jv task = t->task_obj;
	const char *status = json_str(task, "lastStatus");
	const char *launch = json_str(task, "launchType");
	jv enabled = jv_object_get(jv_copy(task),
	    jv_string("enableExecuteCommand"));

	if (jv_get_kind(enabled) != JV_KIND_TRUE)
		set_error(t, "ECS Exec is not enabled on task %s: tasks get it "
			     "when they start, so start a new task with "
			     "enableExecuteCommand (for a service: update it "
			     "with enableExecuteCommand and force a new "
			     "deployment)",
		    t->task_id);
	if (status && strcmp(status, "RUNNING") != 0)
		set_error(t, "task %s is %s, not RUNNING", t->task_id, status);
	if (launch && strcmp(launch, "FARGATE") == 0 &&
	    !fargate_version_ok(json_str(task, "platformVersion")))
		set_error(t, "task %s runs on Fargate platform version %s; "
			     "ECS Exec needs 1.4.0 or later",
		    t->task_id, json_str(task, "platformVersion"));
	jv_free(enabled);
}

/* Sets error when the container's agent or runtime id rule it out. */
static void
check_container(struct exec_target *t, jv container)
{
	jv agent = find_agent(container);

	if (jv_get_kind(agent) == JV_KIND_OBJECT) {
		const char *as = json_str(agent, "lastStatus");

		if (as && strcmp(as, "PENDING") == 0)
			t->agent_starting = 1;
		else if (as && strcmp(as, "RUNNING") != 0)
			set_error(t, "the ExecuteCommandAgent of container %s "
				     "is %s, not RUNNING: the agent did not "
				     "start (check the task's IAM role and "
				     "network access to Session Manager)",
			    t->label, as);
	}
	jv_free(agent);
	if (!t->runtime_id && !t->agent_starting)
		set_error(t, "container %s has no runtime id yet: it has not "
			     "started",
		    t->label);
}

/* Fills the resolved names, picks the container and checks what the
 * task shows. */
static void
check_task(struct exec_target *t)
{
	jv task = t->task_obj;
	jv chosen;

	t->task_arn = xstrdup(json_str(task, "taskArn"));
	t->task_id = xstrdup(arn_short(t->task_arn));
	t->cluster_arn = xstrdup(json_str(task, "clusterArn")
				     ? json_str(task, "clusterArn")
				     : cluster_key(t));
	t->cluster_name = xstrdup(arn_short(t->cluster_arn));
	chosen = pick_container(t);
	if (jv_get_kind(chosen) != JV_KIND_OBJECT) {
		t->label = xstrdup(t->task_id);
		jv_free(chosen);
		return;
	}
	t->container_name = xstrdup(json_str(chosen, "name"));
	t->label = xasprintf("%s/%s", t->task_id, t->container_name);
	if (json_str(chosen, "runtimeId"))
		t->runtime_id = xstrdup(json_str(chosen, "runtimeId"));
	check_runnable(t);
	check_container(t, chosen);
	jv_free(chosen);
}

static int
task_matches(const struct exec_target *t, jv task)
{
	const char *arn = json_str(task, "taskArn");

	return arn && strcmp(arn_short(arn), arn_short(t->task)) == 0;
}

/* Describes the tasks of targets [from, to) in one call. */
static int
describe_group(struct aws_ctx *ctx, struct exec_target **t, size_t from,
    size_t to)
{
	jv tasks = jv_array(), in, out, list;
	size_t i;
	int j, n;

	/* An old-format ARN does not name the cluster and not every
	 * implementation matches it; the id with the cluster is exact. */
	for (i = from; i < to; i++) {
		char *cluster = arn_cluster_name(t[i]->task);

		tasks = jv_array_append(tasks,
		    jv_string(str_starts_with(t[i]->task, "arn:") && !cluster
			    ? arn_short(t[i]->task)
			    : t[i]->task));
		free(cluster);
	}
	in = jv_object_set(jv_object(), jv_string("cluster"),
	    jv_string(cluster_key(t[from])));
	in = jv_object_set(in, jv_string("tasks"), tasks);
	out = aws_json_call(ctx, &aws_ecs, t[from]->region, "DescribeTasks",
	    in);
	if (!jv_is_valid(out)) {
		jv_free(out);
		return -1;
	}
	list = jv_object_get(out, jv_string("tasks"));
	n = jv_get_kind(list) == JV_KIND_ARRAY ? jv_array_length(jv_copy(list))
					       : 0;
	for (i = from; i < to; i++) {
		for (j = 0; j < n; j++) {
			jv task = jv_array_get(jv_copy(list), j);

			if (task_matches(t[i], task)) {
				jv_free(t[i]->task_obj);
				t[i]->task_obj = task;
				break;
			}
			jv_free(task);
		}
		if (jv_get_kind(t[i]->task_obj) == JV_KIND_OBJECT) {
			check_task(t[i]);
		} else {
			t[i]->label = xstrdup(arn_short(t[i]->task));
			set_error(t[i], "task %s not found in cluster %s "
					"(region %s)",
			    arn_short(t[i]->task), arn_short(cluster_key(t[i])),
			    t[i]->region);
		}
	}
	jv_free(list);
	return 0;
}

static int
describe_cluster(struct aws_ctx *ctx, struct exec_target **t, size_t n,
    size_t first)
{
	jv in, out, clusters, c;
	size_t i;

	in = jv_object_set(jv_object(), jv_string("clusters"),
	    jv_array_append(jv_array(), jv_string(t[first]->cluster_arn)));
	in = jv_object_set(in, jv_string("include"),
	    jv_array_append(jv_array(), jv_string("CONFIGURATIONS")));
	out = aws_json_call(ctx, &aws_ecs, t[first]->region,
	    "DescribeClusters", in);
	if (!jv_is_valid(out)) {
		jv_free(out);
		return -1;
	}
	clusters = jv_object_get(out, jv_string("clusters"));
	c = jv_get_kind(clusters) == JV_KIND_ARRAY &&
		jv_array_length(jv_copy(clusters)) > 0
	    ? jv_array_get(jv_copy(clusters), 0)
	    : jv_object();
	jv_free(clusters);
	for (i = first; i < n; i++)
		if (t[i]->cluster_arn &&
		    strcmp(t[i]->cluster_arn, t[first]->cluster_arn) == 0 &&
		    strcmp(t[i]->region, t[first]->region) == 0) {
			jv_free(t[i]->cluster_obj);
			t[i]->cluster_obj = jv_copy(c);
		}
	jv_free(c);
	return 0;
}

int
exec_targets_resolve(struct aws_ctx *ctx, struct exec_target **t, size_t n)
{
	size_t i, j;
	int rc = 0;

	/* Group targets of one cluster and region next to each other,
	 * keeping the order otherwise, then describe each group. */
	for (i = 0; i < n; i++) {
		size_t end = i + 1;

		for (j = i + 1; j < n && end - i < DESCRIBE_TASKS_MAX; j++)
			if (same_group(t[i], t[j])) {
				struct exec_target *tmp = t[j];

				memmove(t + end + 1, t + end,
				    (j - end) * sizeof(*t));
				t[end++] = tmp;
			}
		if (describe_group(ctx, t, i, end) < 0)
			rc = -1;
		i = end - 1;
	}
	for (i = 0; i < n; i++) {
		if (!t[i]->cluster_arn ||
		    jv_get_kind(t[i]->cluster_obj) == JV_KIND_OBJECT)
			continue;
		if (describe_cluster(ctx, t, n, i) < 0)
			rc = -1;
	}
	return rc;
}

char *
exec_target_ssm_id(const struct exec_target *t)
{
	return xasprintf("ecs:%s_%s_%s", t->cluster_name ? t->cluster_name : "",
	    t->task_id ? t->task_id : "", t->runtime_id ? t->runtime_id : "");
}

char *
exec_kms_key(jv cluster_obj)
{
	jv k = json_path(cluster_obj, "configuration",
	    "executeCommandConfiguration", "kmsKeyId", NULL);
	char *s = NULL;

	if (jv_get_kind(k) == JV_KIND_STRING &&
	    jv_string_length_bytes(jv_copy(k)) > 0)
		s = xstrdup(jv_string_value(k));
	jv_free(k);
	return s;
}

void
exec_audit_destination(jv cluster_obj, struct buf *out)
{
	jv conf = json_path(cluster_obj, "configuration",
	    "executeCommandConfiguration", NULL);
	jv lc = json_path(conf, "logConfiguration", NULL);
	const char *logging = json_str(conf, "logging");
	const char *group = json_str(lc, "cloudWatchLogGroupName");
	const char *bucket = json_str(lc, "s3BucketName");
	const char *prefix = json_str(lc, "s3KeyPrefix");

	if (logging && strcmp(logging, "NONE") == 0)
		buf_adds(out, "none (exec logging is off on this cluster)");
	else if (logging && strcmp(logging, "OVERRIDE") == 0 &&
		 (group || bucket)) {
		if (group)
			buf_addf(out, "CloudWatch Logs group %s", group);
		if (bucket)
			buf_addf(out, "%ss3://%s/%s", group ? " and " : "",
			    bucket, prefix ? prefix : "");
	} else
		buf_adds(out, "the container's awslogs log group, if it has "
			      "one (logging DEFAULT)");
	jv_free(lc);
	jv_free(conf);
}

void
exec_target_stop_reason(struct aws_ctx *ctx, struct exec_target *t,
    struct buf *out)
{
	struct aws_request *req;
	jv in, tasks, task;
	const char *status, *reason;

	in = jv_object_set(jv_object(), jv_string("cluster"),
	    jv_string(t->cluster_arn ? t->cluster_arn : cluster_key(t)));
	in = jv_object_set(in, jv_string("tasks"),
	    jv_array_append(jv_array(), jv_string(t->task_arn ? t->task_arn
							      : t->task)));
	req = aws_json_request(ctx, &aws_ecs, t->region, "DescribeTasks", in);
	req->timeout_ms = 10000;
	if (aws_perform(req) < 0) {
		aws_request_free(req);
		return;
	}
	tasks = jv_object_get(aws_request_take_output(req),
	    jv_string("tasks"));
	aws_request_free(req);
	task = jv_get_kind(tasks) == JV_KIND_ARRAY &&
		   jv_array_length(jv_copy(tasks)) > 0
	    ? jv_array_get(jv_copy(tasks), 0)
	    : jv_null();
	status = json_str(task, "lastStatus");
	reason = json_str(task, "stoppedReason");
	if (status && strcmp(status, "RUNNING") != 0)
		buf_addf(out, "the task stopped during the session (%s%s%s)",
		    status, reason ? ": " : "", reason ? reason : "");
	jv_free(task);
	jv_free(tasks);
}
