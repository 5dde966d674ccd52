/* ecs-update: changes ECS services (desired count, task definition, new
 * deployment, rollback) after a confirmation, and can follow the
 * deployment until it is steady or fails. */
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws.h"
#include "cli.h"
#include "ecs.h"
#include "guard.h"
#include "json.h"
#include "output.h"
#include "records.h"
#include "recview.h"
#include "text.h"
#include "util.h"

static const char usage[] =
    "Usage: ecs-update [OPTIONS]\n"
    "Update ECS services named by service records on stdin, or by\n"
    "--cluster and --service (stdin is then not read), after showing the\n"
    "change and asking on the terminal. Prints the updated service\n"
    "records.\n"
    "\n"
    "Changes (at least one):\n"
    "      --desired-count N     run N tasks\n"
    "      --force-new-deployment  start a new deployment with the same\n"
    "                            task definition (new tasks, new image pulls)\n"
    "      --task-definition FAMILY[:REV]  deploy this task definition\n"
    "                            (FAMILY alone: its latest ACTIVE revision;\n"
    "                            an ARN works too)\n"
    "      --rollback            deploy the previous task definition: the\n"
    "                            one of the newest older deployment while a\n"
    "                            deployment is in progress, else the highest\n"
    "                            ACTIVE revision below the current one\n"
    "\n"
    "Options:\n"
    "  -c, --cluster NAME        cluster of the --service names (default:\n"
    "                            the default cluster)\n"
    "  -s, --service NAME        this service (name or ARN; repeatable)\n"
    "      --dry-run             print what would change and change nothing\n"
    "  -y, --yes                 do not ask for confirmation\n"
    "      --wait                follow the deployments until every service\n"
    "                            is steady or one fails, printing deployment\n"
    "                            records as they change\n"
    "      --interval SECONDS    time between checks with --wait (default 5)\n"
    "      --timeout SECONDS     give up waiting after this long (default\n"
    "                            1800; 0: never)\n"
    "  -o, --output FMT          json or table (default: table on a\n"
    "                            terminal, json otherwise)\n"
    "  -p, --profile NAME        AWS profile\n"
    "  -r, --region REGION       AWS region\n"
    "      --endpoint-url URL    send every request to URL\n"
    "      --debug               log requests and timings to stderr\n"
    "  -h, --help                show this help\n"
    "  -V, --version             show the version\n"
    "\n"
    "Read-only mode (ECS_READ_ONLY=1, or read_only = true in\n"
    "~/.config/ecs-tools/config) rejects every change; --dry-run still\n"
    "works.\n"
    "\n"
    "Exit status: 0 success; 1 AWS or network error, a service that was not\n"
    "updated, a failed or timed-out deployment, read-only mode, or an\n"
    "answer other than yes; 2 usage error, or no terminal to ask on\n"
    "without --yes.\n";

enum {
	OPT_DESIRED_COUNT = OPT_PROGRAM,
	OPT_FORCE,
	OPT_TASK_DEFINITION,
	OPT_ROLLBACK,
	OPT_DRY_RUN,
	OPT_WAIT,
	OPT_INTERVAL,
	OPT_TIMEOUT,
};

enum svc_state {
	SVC_NEW,	/* not described yet */
	SVC_UNCHANGED,	/* already in the requested state */
	SVC_CHANGE,	/* has a request to send */
	SVC_FAILED,
	SVC_UPDATED,	/* UpdateService succeeded; --wait follows it */
	SVC_STEADY,
};

struct service {
	char *region;
	char *cluster;		/* name or ARN; NULL: the default cluster */
	char *name;		/* service name or ARN */
	enum svc_state state;
	jv described;		/* the DescribeServices object */
	jv request;		/* UpdateService input */
	jv changes;		/* {"desiredCount": {"from", "to"}, ...} */
	char *rollback_source;	/* where --rollback found its revision */
	char *deployment;	/* the deployment --wait follows */
	jv printed;		/* deployment id -> state last printed */
};

struct update {
	struct aws_ctx ctx;
	enum output_format format;

	long desired_count;	/* -1: unchanged */
	int force;
	const char *task_definition;
	int rollback;
	int dry_run;
	int yes;
	int wait;
	double interval;
	double timeout;

	const char *cluster;
	const char **service_names;
	size_t n_service_names;

	struct service *svcs;
	size_t n_svcs;
	jv seen;		/* region|cluster|service keys */
	jv taskdefs;		/* region|name -> ARN */
	int failed;
};

/* --- helpers ----------------------------------------------------------- */

static jv
member(jv obj, const char *key)
{
	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return jv_null();
	return jv_object_get(jv_copy(obj), jv_string(key));
}

/* Borrows v. The length of an array, 0 for anything else. */
static int
array_len(jv v)
{
	return jv_get_kind(v) == JV_KIND_ARRAY ? jv_array_length(jv_copy(v))
					       : 0;
}

/* "cluster/service" for messages, from the described record when there
 * is one. Caller frees. */
static char *
service_label(const struct service *s)
{
	const char *arn = json_str(s->described, "serviceArn");
	const char *cluster = json_str(s->described, "clusterArn");

	if (arn && cluster)
		return xasprintf("%s/%s", arn_short(cluster), arn_short(arn));
	return xasprintf("%s/%s", s->cluster ? arn_short(s->cluster)
					     : "default",
	    arn_short(s->name));
}

/* Calls an ECS operation; on failure prints "LABEL: Operation: Code:
 * message" and returns jv_invalid. Consumes input. */
static jv
ecs_call(struct update *u, const char *region, const char *operation,
    jv input, const char *label)
{
	struct aws_request *req;
	struct buf msg = BUF_INIT;
	jv out;

	req = aws_json_request(&u->ctx, &aws_ecs, region, operation, input);
	if (aws_perform(req) == 0) {
		out = aws_request_take_output(req);
		aws_request_free(req);
		return out;
	}
	aws_error_format(req, &msg);
	error("%s: %s", label, msg.data);
	buf_free(&msg);
	aws_request_free(req);
	return jv_invalid();
}

static void
sleep_seconds(double s)
{
	if (s > 0)
		(void)poll(NULL, 0, (int)(s * 1000));
}

/* Records come from a pipe, a socket or a file; a terminal or /dev/null
 * is no input. */
static int
stdin_is_input(void)
{
	struct stat st;

	if (fstat(STDIN_FILENO, &st) < 0)
		return 0;
	return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ||
	       S_ISREG(st.st_mode);
}

/* --- targets ----------------------------------------------------------- */

static void
add_service(struct update *u, const char *region, const char *cluster,
    const char *name)
{
	struct service *s;
	char *key;
	jv k;

	key = xasprintf("%s|%s|%s", region, cluster ? arn_short(cluster)
						    : "default",
	    arn_short(name));
	k = jv_string(key);
	free(key);
	if (jv_object_has(jv_copy(u->seen), jv_copy(k))) {
		jv_free(k);
		return;
	}
	u->seen = jv_object_set(u->seen, k, jv_true());
	u->svcs = xrealloc(u->svcs, (u->n_svcs + 1) * sizeof(*u->svcs));
	s = &u->svcs[u->n_svcs++];
	memset(s, 0, sizeof(*s));
	s->region = xstrdup(region);
	s->cluster = cluster ? xstrdup(cluster) : NULL;
	s->name = xstrdup(name);
	s->described = jv_null();
	s->request = jv_null();
	s->changes = jv_object();
	s->printed = jv_object();
}

/* A service named by ARN: its region and cluster come from the ARN. */
static void
add_service_arn(struct update *u, const char *arn, const char *cluster_arn)
{
	char *region = arn_region(arn);
	char *cluster = cluster_arn ? xstrdup(cluster_arn)
				    : arn_cluster_name(arn);

	if (!cluster && u->cluster)
		cluster = xstrdup(u->cluster);
	add_service(u, region ? region : u->ctx.region, cluster, arn);
	free(cluster);
	free(region);
}

static void
add_flag_services(struct update *u)
{
	size_t i;

	for (i = 0; i < u->n_service_names; i++) {
		const char *name = u->service_names[i];

		if (str_starts_with(name, "arn:"))
			add_service_arn(u, name, NULL);
		else
			add_service(u, u->ctx.region, u->cluster, name);
	}
}

static void
read_stdin(struct update *u)
{
	struct ndjson_reader r;
	jv rec;

	ndjson_reader_init(&r, STDIN_FILENO, "stdin");
	while (ndjson_next(&r, &rec, NULL) == 1) {
		enum record_kind kind = record_kind(rec);
		const char *arn = json_str(rec, "serviceArn");

		/* Deployment and event records from ecs-ls carry their
		 * service's ARN too. */
		if (arn && (kind == KIND_SERVICE || kind == KIND_DEPLOYMENT ||
			       kind == KIND_SERVICE_EVENT)) {
			add_service_arn(u, arn, json_str(rec, "clusterArn"));
		} else {
			error("stdin:%ld: not a service record (kind %s); pipe "
			      "the output of `ecs-ls services`",
			    r.line_no,
			    record_kind_name(kind) ? record_kind_name(kind)
						   : "unknown");
			u->failed = 1;
		}
		jv_free(rec);
	}
	if (r.errors)
		u->failed = 1;
	ndjson_reader_free(&r);
}

/* --- describing -------------------------------------------------------- */

static int
same_cluster(const struct service *a, const struct service *b)
{
	const char *ca = a->cluster ? arn_short(a->cluster) : "default";
	const char *cb = b->cluster ? arn_short(b->cluster) : "default";

	return strcmp(a->region, b->region) == 0 && strcmp(ca, cb) == 0;
}

static int
matches(const struct service *s, jv obj)
{
	const char *arn = json_str(obj, "serviceArn");
	const char *name = json_str(obj, "serviceName");

	if (str_starts_with(s->name, "arn:"))
		return arn && strcmp(arn, s->name) == 0;
	return name && strcmp(name, s->name) == 0;
}

/* Describes the services whose state is `from` in the region and cluster
 * of svcs[first], and stores each object in its service. */
static void
describe_group(struct update *u, size_t first, enum svc_state from,
    int *grouped)
{
	struct service *lead = &u->svcs[first];
	jv names = jv_array(), input = jv_object(), objects, failures;
	size_t i;
	int j, n;

	for (i = first; i < u->n_svcs; i++)
		if (!grouped[i] && u->svcs[i].state == from &&
		    same_cluster(lead, &u->svcs[i])) {
			grouped[i] = 1;
			names = jv_array_append(names,
			    jv_string(u->svcs[i].name));
		}
	input = jv_object_set(input, jv_string("cluster"),
	    jv_string(lead->cluster ? lead->cluster : "default"));
	objects = ecs_describe_all(&u->ctx, lead->region,
	    &ecs_describe_services, input, names, &failures);
	n = jv_is_valid(objects) ? jv_array_length(jv_copy(objects)) : 0;
	for (i = first; i < u->n_svcs; i++) {
		struct service *s = &u->svcs[i];

		if (s->state != from || !same_cluster(lead, s))
			continue;
		for (j = 0; j < n; j++) {
			jv obj = jv_array_get(jv_copy(objects), j);

			if (matches(s, obj)) {
				jv_free(s->described);
				s->described = obj;
				break;
			}
			jv_free(obj);
		}
		if (j < n)
			continue;
		if (from == SVC_NEW) {
			char *label = service_label(s);

			if (jv_is_valid(objects))
				error("%s: service not found; check the name "
				      "and the cluster (--cluster)",
				    label);
			free(label);
			s->state = SVC_FAILED;
			u->failed = 1;
		} else if (jv_is_valid(objects)) {
			char *label = service_label(s);

			error("%s: the service is gone while waiting", label);
			free(label);
			s->state = SVC_FAILED;
			u->failed = 1;
		}
	}
	jv_free(objects);
	jv_free(failures);
}

/* Describes every service in state from, one call per cluster (and more
 * when a cluster has more than DescribeServices takes at once). */
static void
describe_services(struct update *u, enum svc_state from)
{
	int *grouped = xcalloc(u->n_svcs + 1, sizeof(*grouped));
	size_t i;

	for (i = 0; i < u->n_svcs; i++)
		if (!grouped[i] && u->svcs[i].state == from)
			describe_group(u, i, from, grouped);
	free(grouped);
}

/* --- planning ---------------------------------------------------------- */

/* The ARN of a task definition name, described once per region (a
 * failure is not kept, so every service reports it). Caller frees. */
static char *
resolve_taskdef(struct update *u, const char *region, const char *name,
    const char *label)
{
	char *key = xasprintf("%s|%s", region, name), *arn = NULL;
	jv cached, out;

	cached = jv_object_get(jv_copy(u->taskdefs), jv_string(key));
	if (!jv_is_valid(cached)) {
		jv_free(cached);
		out = ecs_call(u, region, "DescribeTaskDefinition",
		    jv_object_set(jv_object(), jv_string("taskDefinition"),
			jv_string(name)),
		    label);
		cached = json_path(out, "taskDefinition", "taskDefinitionArn",
		    NULL);
		jv_free(out);
		if (jv_get_kind(cached) == JV_KIND_STRING)
			u->taskdefs = jv_object_set(u->taskdefs,
			    jv_string(key), jv_copy(cached));
	}
	if (jv_get_kind(cached) == JV_KIND_STRING)
		arn = xstrdup(jv_string_value(cached));
	jv_free(cached);
	free(key);
	return arn;
}

/* Splits "family:rev" (the last part of a task definition ARN). */
static int
split_revision(const char *arn, char **family, long *rev)
{
	const char *last = arn_short(arn);
	const char *colon = strrchr(last, ':');

	if (!colon || parse_long(colon + 1, 1, 1L << 30, rev) < 0)
		return -1;
	*family = xstrndup(last, (size_t)(colon - last));
	return 0;
}

/* The task definition of the newest deployment other than the PRIMARY one
 * with a different task definition: during a rollout that is the
 * deployment being replaced. NULL when there is none. Caller frees. */
static char *
older_deployment_taskdef(jv svc, const char *current, char **deployment)
{
	jv deps = member(svc, "deployments");
	char *best = NULL;
	double best_t = -1;
	int i, n;

	n = array_len(deps);
	for (i = 0; i < n; i++) {
		jv d = jv_array_get(jv_copy(deps), i);
		const char *status = json_str(d, "status");
		const char *td = json_str(d, "taskDefinition");
		double t = 0;

		(void)record_time(d, "createdAt", &t);
		if (status && strcmp(status, "PRIMARY") != 0 && td &&
		    strcmp(td, current) != 0 && t > best_t) {
			free(best);
			free(*deployment);
			best = xstrdup(td);
			*deployment = xstrdup(json_str(d, "id") ? json_str(d, "id")
								: "?");
			best_t = t;
		}
		jv_free(d);
	}
	jv_free(deps);
	return best;
}

/* The highest ACTIVE revision of current's family below current. */
static char *
previous_revision(struct update *u, struct service *s, const char *current,
    const char *label)
{
	char *family = NULL, *best = NULL;
	long rev, best_rev = 0;
	jv input, arns;
	int i, n;

	if (split_revision(current, &family, &rev) < 0) {
		error("%s: cannot roll back: the task definition \"%s\" has no "
		      "revision number",
		    label, current);
		return NULL;
	}
	input = jv_object_set(jv_object(), jv_string("familyPrefix"),
	    jv_string(family));
	input = jv_object_set(input, jv_string("status"), jv_string("ACTIVE"));
	arns = ecs_list_all(&u->ctx, s->region, &ecs_list_task_definitions,
	    input);
	n = jv_is_valid(arns) ? jv_array_length(jv_copy(arns)) : 0;
	for (i = 0; i < n; i++) {
		jv a = jv_array_get(jv_copy(arns), i);
		char *f = NULL;
		long r;

		if (split_revision(jv_string_value(a), &f, &r) == 0 &&
		    strcmp(f, family) == 0 && r < rev && r > best_rev) {
			free(best);
			best = xstrdup(jv_string_value(a));
			best_rev = r;
		}
		free(f);
		jv_free(a);
	}
	if (!best && jv_is_valid(arns))
		error("%s: cannot roll back: %s has no ACTIVE revision below "
		      "%ld and no older deployment is running; name one with "
		      "--task-definition",
		    label, family, rev);
	jv_free(arns);
	free(family);
	return best;
}

static char *
rollback_target(struct update *u, struct service *s, const char *label)
{
	const char *current = json_str(s->described, "taskDefinition");
	char *deployment = NULL, *td;

	if (!current) {
		error("%s: cannot roll back: the service has no task "
		      "definition",
		    label);
		return NULL;
	}
	td = older_deployment_taskdef(s->described, current, &deployment);
	if (td) {
		s->rollback_source = xasprintf("deployment %s", deployment);
		free(deployment);
		return td;
	}
	td = previous_revision(u, s, current, label);
	if (td)
		s->rollback_source = xstrdup("previous ACTIVE revision");
	return td;
}

static jv
change(jv from, jv to)
{
	jv c = jv_object_set(jv_object(), jv_string("from"), from);

	return jv_object_set(c, jv_string("to"), to);
}

/* Works out the request and the changes of one described service. */
static void
plan_service(struct update *u, struct service *s)
{
	char *label = service_label(s), *target = NULL;
	const char *current_td = json_str(s->described, "taskDefinition");
	const char *status = json_str(s->described, "status");
	jv req = jv_object();

	req = jv_object_set(req, jv_string("cluster"),
	    member(s->described, "clusterArn"));
	req = jv_object_set(req, jv_string("service"),
	    member(s->described, "serviceName"));
	if (status && strcmp(status, "ACTIVE") != 0) {
		error("%s: the service is %s; only ACTIVE services can be "
		      "updated",
		    label, status);
		goto fail;
	}
	if (u->desired_count >= 0) {
		double cur = json_num(s->described, "desiredCount", -1);

		if (cur != (double)u->desired_count)
			s->changes = jv_object_set(s->changes,
			    jv_string("desiredCount"),
			    change(jv_number(cur),
				jv_number((double)u->desired_count)));
		req = jv_object_set(req, jv_string("desiredCount"),
		    jv_number((double)u->desired_count));
	}
	if (u->task_definition) {
		target = resolve_taskdef(u, s->region, u->task_definition,
		    label);
		if (!target)
			goto fail;
	} else if (u->rollback) {
		target = rollback_target(u, s, label);
		if (!target)
			goto fail;
	}
	if (target) {
		if (!current_td || strcmp(current_td, target) != 0)
			s->changes = jv_object_set(s->changes,
			    jv_string("taskDefinition"),
			    change(current_td ? jv_string(current_td)
					      : jv_null(),
				jv_string(target)));
		req = jv_object_set(req, jv_string("taskDefinition"),
		    jv_string(target));
	}
	if (u->force) {
		s->changes = jv_object_set(s->changes,
		    jv_string("forceNewDeployment"), jv_true());
		req = jv_object_set(req, jv_string("forceNewDeployment"),
		    jv_true());
	}
	free(target);
	if (jv_object_length(jv_copy(s->changes)) == 0) {
		jv_free(req);
		s->state = SVC_UNCHANGED;
		free(label);
		return;
	}
	s->request = req;
	s->state = SVC_CHANGE;
	free(label);
	return;
fail:
	free(target);
	jv_free(req);
	s->state = SVC_FAILED;
	u->failed = 1;
	free(label);
}

/* --- showing changes --------------------------------------------------- */

static void
add_number_change(struct buf *b, jv c, const char *what)
{
	jv from = member(c, "from"), to = member(c, "to");

	buf_addf(b, "%s %.0f -> %.0f", what, jv_number_value(from),
	    jv_number_value(to));
	jv_free(from);
	jv_free(to);
}

/* One line: "c1/web: desiredCount 2 -> 4; taskDefinition app:3 -> app:4". */
static void
describe_change(const struct service *s, struct buf *b)
{
	char *label = service_label(s);
	jv c;
	int parts = 0;

	buf_addf(b, "  %s:", label);
	free(label);
	c = member(s->changes, "desiredCount");
	if (jv_is_valid(c) && jv_get_kind(c) != JV_KIND_NULL) {
		buf_adds(b, " ");
		add_number_change(b, c, "desiredCount");
		parts++;
	}
	jv_free(c);
	c = member(s->changes, "taskDefinition");
	if (jv_get_kind(c) == JV_KIND_OBJECT) {
		const char *from = json_str(c, "from");
		const char *to = json_str(c, "to");

		buf_addf(b, "%s taskDefinition %s -> %s", parts ? ";" : "",
		    from ? arn_short(from) : "none", arn_short(to));
		if (s->rollback_source)
			buf_addf(b, " (rollback to the %s)", s->rollback_source);
		parts++;
	}
	jv_free(c);
	if (jv_object_has(jv_copy(s->changes), jv_string("forceNewDeployment")))
		buf_addf(b, "%s new deployment", parts ? ";" : "");
	buf_addc(b, '\n');
}

static size_t
count_state(const struct update *u, enum svc_state state)
{
	size_t i, n = 0;

	for (i = 0; i < u->n_svcs; i++)
		n += u->svcs[i].state == state;
	return n;
}

static void
note_unchanged(struct update *u)
{
	size_t i;

	for (i = 0; i < u->n_svcs; i++) {
		char *label;

		if (u->svcs[i].state != SVC_UNCHANGED)
			continue;
		label = service_label(&u->svcs[i]);
		warning("%s: already in the requested state; not updated",
		    label);
		free(label);
	}
}

static void
dry_run(struct update *u)
{
	struct buf text = BUF_INIT;
	size_t i;

	for (i = 0; i < u->n_svcs; i++) {
		struct service *s = &u->svcs[i];
		jv rec;

		if (s->state != SVC_CHANGE)
			continue;
		if (u->format == OUTPUT_TABLE) {
			describe_change(s, &text);
			continue;
		}
		rec = jv_object_set(jv_object(), jv_string("kind"),
		    jv_string("serviceUpdate"));
		rec = jv_object_set(rec, jv_string("dryRun"), jv_true());
		rec = jv_object_set(rec, jv_string("serviceArn"),
		    member(s->described, "serviceArn"));
		rec = jv_object_set(rec, jv_string("serviceName"),
		    member(s->described, "serviceName"));
		rec = jv_object_set(rec, jv_string("clusterArn"),
		    member(s->described, "clusterArn"));
		rec = jv_object_set(rec, jv_string("changes"),
		    jv_copy(s->changes));
		rec = jv_object_set(rec, jv_string("request"),
		    jv_copy(s->request));
		out_record(rec);
	}
	if (text.len) {
		struct buf clean = BUF_INIT;

		buf_addf(&clean, "Would update %zu service%s:\n",
		    count_state(u, SVC_CHANGE),
		    count_state(u, SVC_CHANGE) == 1 ? "" : "s");
		text_sanitize(text.data, text.len, 1, &clean);
		out_raw(clean.data, clean.len);
		buf_free(&clean);
	}
	buf_free(&text);
}

static int
confirm(struct update *u)
{
	struct buf summary = BUF_INIT, question = BUF_INIT;
	size_t i, n = count_state(u, SVC_CHANGE);
	int yes;

	buf_addf(&summary, "%s: about to update %zu service%s:\n",
	    program_name, n, n == 1 ? "" : "s");
	for (i = 0; i < u->n_svcs; i++)
		if (u->svcs[i].state == SVC_CHANGE)
			describe_change(&u->svcs[i], &summary);
	buf_addf(&question, "Update %zu service%s?", n, n == 1 ? "" : "s");
	yes = guard_confirm(summary.data, question.data);
	buf_free(&summary);
	buf_free(&question);
	return yes;
}

/* --- updating ---------------------------------------------------------- */

/* The id of the PRIMARY deployment of a service object, or NULL. */
static char *
primary_deployment(jv svc)
{
	jv deps = member(svc, "deployments");
	char *id = NULL;
	int i, n;

	n = array_len(deps);
	for (i = 0; i < n && !id; i++) {
		jv d = jv_array_get(jv_copy(deps), i);
		const char *status = json_str(d, "status");

		if (status && strcmp(status, "PRIMARY") == 0 &&
		    json_str(d, "id"))
			id = xstrdup(json_str(d, "id"));
		jv_free(d);
	}
	jv_free(deps);
	return id;
}

static void
emit(struct recview *view, jv rec)
{
	if (view) {
		recview_add(view, rec);
		jv_free(rec);
	} else {
		out_record(rec);
	}
}

static void
update_services(struct update *u, struct recview *view)
{
	size_t i;

	for (i = 0; i < u->n_svcs; i++) {
		struct service *s = &u->svcs[i];
		char *label;
		jv out, svc;

		if (s->state == SVC_UNCHANGED) {
			emit(view, record_with_kind("service",
					  jv_copy(s->described)));
			continue;
		}
		if (s->state != SVC_CHANGE)
			continue;
		label = service_label(s);
		out = ecs_call(u, s->region, "UpdateService",
		    jv_copy(s->request), label);
		free(label);
		if (!jv_is_valid(out)) {
			jv_free(out);
			s->state = SVC_FAILED;
			u->failed = 1;
			continue;
		}
		svc = member(out, "service");
		jv_free(out);
		/* --wait starts from the reply, which has the new deployment. */
		jv_free(s->described);
		s->described = jv_copy(svc);
		s->deployment = primary_deployment(svc);
		s->state = SVC_UPDATED;
		emit(view, record_with_kind("service", svc));
	}
}

/* --- waiting ----------------------------------------------------------- */

/* What changes in a deployment as it rolls out; printed when it moves. */
static char *
deployment_state(jv d)
{
	const char *rollout = json_str(d, "rolloutState");
	const char *status = json_str(d, "status");

	return xasprintf("%s|%s|%.0f|%.0f|%.0f|%.0f", status ? status : "",
	    rollout ? rollout : "", json_num(d, "desiredCount", -1),
	    json_num(d, "runningCount", -1), json_num(d, "pendingCount", -1),
	    json_num(d, "failedTasks", -1));
}

static void
print_deployment_line(jv svc, jv d)
{
	struct buf line = BUF_INIT, clean = BUF_INIT;
	const char *name = json_str(svc, "serviceName");
	const char *id = json_str(d, "id");
	const char *status = json_str(d, "status");
	const char *rollout = json_str(d, "rolloutState");
	const char *td = json_str(d, "taskDefinition");

	buf_addf(&line, "%s  %s  %s  %s  %s  running %.0f/%.0f  pending %.0f"
			"  failed %.0f",
	    name ? name : "-", id ? id : "-", status ? status : "-",
	    rollout ? rollout : "-", td ? arn_short(td) : "-",
	    json_num(d, "runningCount", 0), json_num(d, "desiredCount", 0),
	    json_num(d, "pendingCount", 0), json_num(d, "failedTasks", 0));
	text_sanitize(line.data, line.len, 0, &clean);
	buf_addc(&clean, '\n');
	out_raw(clean.data, clean.len);
	out_flush();
	buf_free(&line);
	buf_free(&clean);
}

/* Prints the deployments of svc whose state changed since last printed. */
static void
print_deployments(struct update *u, struct service *s, jv svc)
{
	jv deps = member(svc, "deployments");
	int i, n;

	n = array_len(deps);
	for (i = 0; i < n; i++) {
		jv d = jv_array_get(jv_copy(deps), i);
		const char *id = json_str(d, "id");
		char *state = deployment_state(d);
		jv last = jv_object_get(jv_copy(s->printed),
		    jv_string(id ? id : ""));
		int same = jv_get_kind(last) == JV_KIND_STRING &&
			   strcmp(jv_string_value(last), state) == 0;

		jv_free(last);
		if (!same) {
			s->printed = jv_object_set(s->printed,
			    jv_string(id ? id : ""), jv_string(state));
			if (u->format == OUTPUT_TABLE) {
				print_deployment_line(svc, d);
			} else {
				jv rec = record_with_kind("deployment",
				    jv_copy(d));

				rec = jv_object_set(rec,
				    jv_string("serviceArn"),
				    member(svc, "serviceArn"));
				rec = jv_object_set(rec,
				    jv_string("clusterArn"),
				    member(svc, "clusterArn"));
				out_record(rec);
			}
		}
		free(state);
		jv_free(d);
	}
	jv_free(deps);
}

/* Returns the followed deployment of svc, or jv_null when it is gone. */
static jv
find_deployment(jv svc, const char *id)
{
	jv deps = member(svc, "deployments");
	int i, n;

	n = array_len(deps);
	for (i = 0; i < n; i++) {
		jv d = jv_array_get(jv_copy(deps), i);
		const char *did = json_str(d, "id");

		if (did && id && strcmp(did, id) == 0) {
			jv_free(deps);
			return d;
		}
		jv_free(d);
	}
	jv_free(deps);
	return jv_null();
}

/* Steady: the followed deployment is the only one, its rollout (when the
 * service reports one) is COMPLETED and every desired task runs. */
static void
check_service(struct update *u, struct service *s)
{
	jv svc = s->described, d, deps;
	char *label = service_label(s);
	const char *rollout, *status = json_str(svc, "status");
	int n_deps;

	if (status && strcmp(status, "ACTIVE") != 0) {
		error("%s: the service became %s while waiting", label,
		    status);
		goto failed;
	}
	d = find_deployment(svc, s->deployment);
	if (jv_get_kind(d) == JV_KIND_NULL) {
		char *now = primary_deployment(svc);

		error("%s: deployment %s was replaced by %s (rolled back or "
		      "updated by someone else)",
		    label, s->deployment ? s->deployment : "?",
		    now ? now : "none");
		free(now);
		goto failed;
	}
	rollout = json_str(d, "rolloutState");
	if (rollout && strcmp(rollout, "FAILED") == 0) {
		const char *why = json_str(d, "rolloutStateReason");

		error("%s: deployment %s failed: %s", label, s->deployment,
		    why ? why : "no reason given");
		jv_free(d);
		goto failed;
	}
	deps = member(svc, "deployments");
	n_deps = array_len(deps);
	jv_free(deps);
	if (n_deps == 1 && (!rollout || strcmp(rollout, "COMPLETED") == 0) &&
	    json_num(svc, "runningCount", -1) ==
		json_num(svc, "desiredCount", -2))
		s->state = SVC_STEADY;
	jv_free(d);
	free(label);
	return;
failed:
	s->state = SVC_FAILED;
	u->failed = 1;
	free(label);
}

static void
wait_for_services(struct update *u)
{
	int64_t deadline = monotonic_ms() + (int64_t)(u->timeout * 1000);
	size_t i;

	for (;;) {
		describe_services(u, SVC_UPDATED);
		for (i = 0; i < u->n_svcs; i++) {
			struct service *s = &u->svcs[i];

			if (s->state != SVC_UPDATED)
				continue;
			print_deployments(u, s, s->described);
			check_service(u, s);
		}
		if (count_state(u, SVC_UPDATED) == 0)
			return;
		if (u->timeout > 0 && monotonic_ms() >= deadline)
			break;
		sleep_seconds(u->interval);
	}
	for (i = 0; i < u->n_svcs; i++) {
		char *label;

		if (u->svcs[i].state != SVC_UPDATED)
			continue;
		label = service_label(&u->svcs[i]);
		error("%s: deployment %s is not steady after %g seconds; "
		      "follow it with `ecs-ls deployments` and `ecs-ls "
		      "events`",
		    label, u->svcs[i].deployment, u->timeout);
		free(label);
		u->failed = 1;
	}
}

/* --- options ----------------------------------------------------------- */

static double
parse_seconds(const char *option, const char *s, double min)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v >= min) || v > 86400 * 7)
		die_usage("invalid %s \"%s\": expected seconds, at least %g",
		    option, s, min);
	return v;
}

static void
parse_options(struct update *u, int argc, char **argv,
    struct cli_common *common)
{
	static const struct option longopts[] = {
	    CLI_COMMON_LONG,
	    {"cluster", required_argument, NULL, 'c'},
	    {"service", required_argument, NULL, 's'},
	    {"output", required_argument, NULL, 'o'},
	    {"yes", no_argument, NULL, 'y'},
	    {"desired-count", required_argument, NULL, OPT_DESIRED_COUNT},
	    {"force-new-deployment", no_argument, NULL, OPT_FORCE},
	    {"task-definition", required_argument, NULL,
		OPT_TASK_DEFINITION},
	    {"rollback", no_argument, NULL, OPT_ROLLBACK},
	    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
	    {"wait", no_argument, NULL, OPT_WAIT},
	    {"interval", required_argument, NULL, OPT_INTERVAL},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {NULL, 0, NULL, 0},
	};
	const char *format = NULL;
	int c;

	u->desired_count = -1;
	u->interval = 5;
	u->timeout = 1800;
	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "c:s:o:y",
		    longopts, NULL)) != -1) {
		if (cli_common_option(common, c, optarg, usage))
			continue;
		switch (c) {
		case 'c':
			if (!*optarg)
				die_usage("--cluster needs a cluster name");
			u->cluster = optarg;
			break;
		case 's':
			if (!*optarg)
				die_usage("--service needs a service name");
			u->service_names = xrealloc(u->service_names,
			    (u->n_service_names + 1) *
				sizeof(*u->service_names));
			u->service_names[u->n_service_names++] = optarg;
			break;
		case 'o':
			format = optarg;
			break;
		case 'y':
			u->yes = 1;
			break;
		case OPT_DESIRED_COUNT:
			if (parse_long(optarg, 0, 2147483647L,
				&u->desired_count) < 0)
				die_usage("invalid --desired-count \"%s\": "
					  "expected a number of tasks, 0 or "
					  "more",
				    optarg);
			break;
		case OPT_FORCE:
			u->force = 1;
			break;
		case OPT_TASK_DEFINITION:
			if (!*optarg)
				die_usage("--task-definition needs "
					  "FAMILY[:REVISION]");
			u->task_definition = optarg;
			break;
		case OPT_ROLLBACK:
			u->rollback = 1;
			break;
		case OPT_DRY_RUN:
			u->dry_run = 1;
			break;
		case OPT_WAIT:
			u->wait = 1;
			break;
		case OPT_INTERVAL:
			u->interval = parse_seconds("--interval", optarg, 0.05);
			break;
		case OPT_TIMEOUT:
			u->timeout = parse_seconds("--timeout", optarg, 0);
			break;
		default:
			die_usage("unexpected option");
		}
	}
	if (optind < argc)
		die_usage("unexpected argument \"%s\"", argv[optind]);
	if (u->desired_count < 0 && !u->force && !u->task_definition &&
	    !u->rollback)
		die_usage("nothing to change: give --desired-count, "
			  "--force-new-deployment, --task-definition or "
			  "--rollback");
	if (u->rollback && u->task_definition)
		die_usage("--rollback and --task-definition both choose the "
			  "task definition; give one");
	if (u->dry_run && u->wait)
		die_usage("--wait follows a deployment, which --dry-run does "
			  "not start; give one");
	if (u->cluster && u->n_service_names == 0)
		die_usage("--cluster needs --service: ecs-update does not "
			  "update every service of a cluster");
	u->format = format ? output_parse(format, 1u << OUTPUT_JSON |
						      1u << OUTPUT_TABLE)
			   : output_default();
}

static void
update_free(struct update *u)
{
	size_t i;

	for (i = 0; i < u->n_svcs; i++) {
		struct service *s = &u->svcs[i];

		free(s->region);
		free(s->cluster);
		free(s->name);
		free(s->rollback_source);
		free(s->deployment);
		jv_free(s->described);
		jv_free(s->request);
		jv_free(s->changes);
		jv_free(s->printed);
	}
	free(u->svcs);
	free(u->service_names);
	jv_free(u->seen);
	jv_free(u->taskdefs);
}

int
main(int argc, char **argv)
{
	struct cli_common common = {0};
	struct aws_options ao;
	struct update u;
	struct recview *view = NULL;
	int status;

	cli_setup(argc, argv);
	text_init();
	memset(&u, 0, sizeof(u));
	u.seen = jv_object();
	u.taskdefs = jv_object();
	parse_options(&u, argc, argv, &common);
	if (!u.dry_run)
		guard_require_writable("update services");

	cli_aws_options(&common, &ao);
	ao.need_region = 1;
	aws_ctx_init(&u.ctx, &ao);
	/* With --service, stdin is left alone: in a loop over records it
	 * holds the other records, which must not be updated too. */
	add_flag_services(&u);
	if (u.n_service_names == 0 && stdin_is_input())
		read_stdin(&u);
	else if (u.n_service_names == 0)
		die_usage("no services: pipe service records (`ecs-ls services "
			  "| ecs-update ...`) or give --cluster and --service");

	describe_services(&u, SVC_NEW);
	for (size_t i = 0; i < u.n_svcs; i++)
		if (u.svcs[i].state == SVC_NEW)
			plan_service(&u, &u.svcs[i]);
	note_unchanged(&u);

	if (u.dry_run) {
		dry_run(&u);
	} else if (count_state(&u, SVC_CHANGE) > 0 && !u.yes && !confirm(&u)) {
		error("not confirmed; nothing was changed");
		u.failed = 1;
	} else {
		if (u.format == OUTPUT_TABLE)
			view = recview_new(KIND_SERVICE);
		if (u.wait)
			out_set_flush_each(1);
		update_services(&u, view);
		if (view && recview_rows(view) > 0)
			recview_print(view, terminal_columns(),
			    output_color_enabled());
		out_flush();
		if (u.wait && count_state(&u, SVC_UPDATED) > 0)
			wait_for_services(&u);
	}
	out_flush();

	status = u.failed ? EXIT_RUNTIME : EXIT_OK;
	recview_free(view);
	aws_ctx_free(&u.ctx);
	update_free(&u);
	return status;
}
