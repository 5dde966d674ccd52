/* Paged ECS List* calls with batched Describe* calls and ordered output. */
#include <stdlib.h>
#include <string.h>

#include "ecs.h"
#include "json.h"
#include "records.h"
#include "text.h"
#include "util.h"

const struct ecs_describe_op ecs_describe_clusters = {"DescribeClusters",
    "clusters", "clusters", "clusterArn", "cluster", 100};
const struct ecs_describe_op ecs_describe_services = {"DescribeServices",
    "services", "services", "serviceArn", "service", 10};
const struct ecs_describe_op ecs_describe_tasks = {"DescribeTasks", "tasks",
    "tasks", "taskArn", "task", 100};
const struct ecs_describe_op ecs_describe_container_instances = {
    "DescribeContainerInstances", "containerInstances", "containerInstances",
    "containerInstanceArn", "containerInstance", 100};

const struct ecs_list_op ecs_list_clusters = {"ListClusters", "clusterArns"};
const struct ecs_list_op ecs_list_services = {"ListServices", "serviceArns"};
const struct ecs_list_op ecs_list_tasks = {"ListTasks", "taskArns"};
const struct ecs_list_op ecs_list_container_instances = {
    "ListContainerInstances", "containerInstanceArns"};
const struct ecs_list_op ecs_list_task_definitions = {"ListTaskDefinitions",
    "taskDefinitionArns"};
const struct ecs_list_op ecs_list_task_definition_families = {
    "ListTaskDefinitionFamilies", "families"};

struct ecs_job {
	struct ecs_run *run;
	char *region;
	const struct ecs_list_op *list;
	jv list_input;
	const struct ecs_describe_op *describe;
	jv describe_input;
	jv queue;		/* names listed but not yet described */
	ecs_records_fn on_records;
	ecs_arns_fn on_arns;
	void *data;
	int quiet_missing;
	struct ordered_node *group;
	char *next_token;
	int listing;		/* a List* page is in flight */
	int list_done;
	int pending;		/* describe batches in flight */
	int parked;
	int waited;		/* parked at least once (logged once) */
	int advancing, again;	/* in advance; another pass was asked for */
	struct ecs_job *next_parked;
};

/* One Describe* call and the group its records go into. */
struct batch {
	struct ecs_job *job;
	struct ordered_node *group;
	jv names;
	size_t count;
};

static void advance(struct ecs_job *job);

static void
run_emit(jv record, void *data)
{
	struct ecs_run *run = data;

	if (run->held > 0)
		run->held--;
	run->emit(record, run->emit_data);
}

void
ecs_run_init(struct ecs_run *run, struct aws_ctx *ctx, int max_pending,
    ordered_emit_fn emit, void *data)
{
	memset(run, 0, sizeof(*run));
	run->ctx = ctx;
	run->emit = emit;
	run->emit_data = data;
	run->max_pending = max_pending > 0 ? max_pending : 1;
	/* Ten full DescribeTasks replies. A task with two containers is about
	 * 2 KB of JSON, so this holds a few megabytes once parsed. */
	run->cap = 1000;
	ordered_init(&run->out, run_emit, run);
}

void
ecs_run_free(struct ecs_run *run)
{
	ordered_free(&run->out);
}

struct ordered_node *
ecs_root(struct ecs_run *run)
{
	return ordered_root(&run->out);
}

void
ecs_run_fail(struct ecs_run *run)
{
	run->failed++;
}

int
ecs_run_wait(struct ecs_run *run)
{
	aws_run_all(run->ctx);
	if (!ordered_flush(&run->out))
		die("internal error: output left unfinished");
	return run->failed ? -1 : 0;
}

struct ecs_run *
ecs_job_run(struct ecs_job *job)
{
	return job->run;
}

const char *
ecs_job_region(struct ecs_job *job)
{
	return job->region;
}

void *
ecs_job_data(struct ecs_job *job)
{
	return job->data;
}

jv
ecs_job_describe_input(struct ecs_job *job)
{
	return job->describe_input;
}

/* Lets parked jobs go on once the front has moved or memory was freed.
 * Jobs that finish while this runs call it again; the flag turns those
 * calls into another pass of the loop. */
static void
sweep(struct ecs_run *run)
{
	if (run->sweeping) {
		run->sweep_again = 1;
		return;
	}
	run->sweeping = 1;
	do {
		struct ecs_job *list = run->parked;

		run->sweep_again = 0;
		run->parked = NULL;
		while (list) {
			struct ecs_job *job = list;

			list = job->next_parked;
			job->next_parked = NULL;
			job->parked = 0;
			advance(job);
		}
	} while (run->sweep_again);
	run->sweeping = 0;
}

void
ecs_fill(struct ecs_run *run, struct ordered_node *group, jv records)
{
	if (jv_get_kind(records) == JV_KIND_ARRAY)
		run->held += (size_t)jv_array_length(jv_copy(records));
	ordered_fill(&run->out, ordered_slot(group), records);
	sweep(run);
}

void
ecs_close(struct ecs_run *run, struct ordered_node *group)
{
	ordered_close(&run->out, group);
	sweep(run);
}

static void
add_sanitized(struct buf *b, const char *s)
{
	text_sanitize(s, strlen(s), 0, b);
}

void
ecs_report_failure(const char *operation, jv failure)
{
	const char *arn = json_str(failure, "arn");
	const char *reason = json_str(failure, "reason");
	const char *detail = json_str(failure, "detail");
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s: ", operation);
	add_sanitized(&b, arn ? arn : "(no ARN)");
	buf_adds(&b, ": ");
	add_sanitized(&b, reason ? reason : "failure");
	if (detail && *detail) {
		buf_adds(&b, " (");
		add_sanitized(&b, detail);
		buf_adds(&b, ")");
	} else if (reason && strcmp(reason, "MISSING") == 0) {
		buf_adds(&b, " (it was deleted, or it is in another cluster "
			     "or region)");
	}
	error("%s", b.data);
	buf_free(&b);
}

static void
handle_failures(struct ecs_job *job, const char *operation, jv failures)
{
	struct ecs_run *run = job->run;
	int i, n;

	n = jv_get_kind(failures) == JV_KIND_ARRAY
		? jv_array_length(jv_copy(failures))
		: 0;
	for (i = 0; i < n; i++) {
		jv f = jv_array_get(jv_copy(failures), i);
		const char *reason = json_str(f, "reason");

		if (job->quiet_missing && reason &&
		    strcmp(reason, "MISSING") == 0) {
			jv_free(f);
			continue;
		}
		if (run->on_failure) {
			run->on_failure(run, operation, f);
			continue;
		}
		ecs_report_failure(operation, f);
		run->failed++;
		jv_free(f);
	}
	jv_free(failures);
}

/* Puts the described objects in the order of the request, because a
 * reply may come in any order. An object that matches no name goes last. */
static jv
in_request_order(jv names, jv items, const char *arn_key)
{
	int n = jv_array_length(jv_copy(names));
	int m = jv_get_kind(items) == JV_KIND_ARRAY
		    ? jv_array_length(jv_copy(items))
		    : 0;
	char *used = xcalloc((size_t)m + 1, 1);
	jv index = jv_object(), out = jv_array();
	int i, j;

	/* Names and ARNs meet on their last part: a name, a task id. */
	for (j = 0; j < m; j++) {
		jv item = jv_array_get(jv_copy(items), j);
		const char *arn = json_str(item, arn_key);

		if (arn)
			index = jv_object_set(index, jv_string(arn_short(arn)),
			    jv_number(j));
		jv_free(item);
	}
	for (i = 0; i < n; i++) {
		jv name = jv_array_get(jv_copy(names), i);
		jv at = jv_object_get(jv_copy(index),
		    jv_string(arn_short(jv_string_value(name))));

		if (jv_get_kind(at) == JV_KIND_NUMBER) {
			j = (int)jv_number_value(at);
			if (!used[j]) {
				used[j] = 1;
				out = jv_array_append(out,
				    jv_array_get(jv_copy(items), j));
			}
		}
		jv_free(at);
		jv_free(name);
	}
	for (j = 0; j < m; j++)
		if (!used[j])
			out = jv_array_append(out, jv_array_get(jv_copy(items),
						       j));
	free(used);
	jv_free(index);
	jv_free(names);
	jv_free(items);
	return out;
}

static void
job_free(struct ecs_job *job)
{
	jv_free(job->list_input);
	jv_free(job->describe_input);
	jv_free(job->queue);
	free(job->next_token);
	free(job->region);
	free(job);
}

static void
describe_done(struct aws_request *req)
{
	struct batch *b = req->data;
	struct ecs_job *job = b->job;
	struct ecs_run *run = job->run;

	job->pending--;
	run->held -= run->held < b->count ? run->held : b->count;
	if (req->failed) {
		aws_report_error(req);
		run->failed++;
		jv_free(b->names);
	} else {
		jv out = aws_request_take_output(req);
		jv items = jv_object_get(jv_copy(out),
		    jv_string(job->describe->records_key));

		handle_failures(job, req->operation,
		    jv_object_get(jv_copy(out), jv_string("failures")));
		items = in_request_order(b->names, items,
		    job->describe->arn_key);
		if (job->on_records) {
			job->on_records(job, b->group, items);
		} else {
			jv records = jv_array();
			int i, n = jv_array_length(jv_copy(items));

			for (i = 0; i < n; i++)
				records = jv_array_append(records,
				    record_with_kind(job->describe->kind,
					jv_array_get(jv_copy(items), i)));
			jv_free(items);
			ecs_fill(run, b->group, records);
		}
		jv_free(out);
	}
	aws_request_free(req);
	ecs_close(run, b->group);
	free(b);
	advance(job);
}

static void
submit_batch(struct ecs_job *job)
{
	struct ecs_run *run = job->run;
	struct batch *b = xcalloc(1, sizeof(*b));
	int len = jv_array_length(jv_copy(job->queue));
	int n = len < (int)job->describe->max ? len : (int)job->describe->max;
	struct aws_request *req;

	b->job = job;
	b->group = ordered_group(job->group);
	b->names = jv_array_slice(jv_copy(job->queue), 0, n);
	b->count = (size_t)n;
	job->queue = jv_array_slice(job->queue, n, len);
	job->pending++;
	run->held += b->count;
	req = aws_json_request(run->ctx, &aws_ecs, job->region,
	    job->describe->operation,
	    jv_object_set(jv_copy(job->describe_input),
		jv_string(job->describe->names_key), jv_copy(b->names)));
	aws_submit(req, describe_done, b);
}

static void list_done(struct aws_request *req);

static void
submit_page(struct ecs_job *job)
{
	jv input = jv_copy(job->list_input);
	struct aws_request *req;

	if (job->next_token)
		input = jv_object_set(input, jv_string("nextToken"),
		    jv_string(job->next_token));
	job->listing = 1;
	req = aws_json_request(job->run->ctx, &aws_ecs, job->region,
	    job->list->operation, input);
	aws_submit(req, list_done, job);
}

static void
list_done(struct aws_request *req)
{
	struct ecs_job *job = req->data;
	jv out, arns, token;

	job->listing = 0;
	free(job->next_token);
	job->next_token = NULL;
	if (req->failed) {
		aws_report_error(req);
		job->run->failed++;
		job->list_done = 1;
		aws_request_free(req);
		advance(job);
		return;
	}
	out = aws_request_take_output(req);
	aws_request_free(req);
	arns = jv_object_get(jv_copy(out), jv_string(job->list->arns_key));
	if (jv_get_kind(arns) != JV_KIND_ARRAY) {
		jv_free(arns);
		arns = jv_array();
	}
	token = jv_object_get(out, jv_string("nextToken"));
	if (jv_get_kind(token) == JV_KIND_STRING &&
	    jv_string_length_bytes(jv_copy(token)) > 0)
		job->next_token = xstrdup(jv_string_value(token));
	else
		job->list_done = 1;
	jv_free(token);
	if (job->describe)
		job->queue = jv_array_concat(job->queue, arns);
	else if (jv_array_length(jv_copy(arns)) > 0)
		job->on_arns(job, job->group, arns);
	else
		jv_free(arns);
	advance(job);
}

static int
can_describe(struct ecs_job *job)
{
	struct ecs_run *run = job->run;

	if (job->pending >= run->max_pending)
		return 0;
	return run->held < run->cap || ordered_at_front(&run->out, job->group);
}

/* One pass of advance. Returns 1 when the job has nothing left to do. */
static int
advance_once(struct ecs_job *job)
{
	struct ecs_run *run = job->run;
	int queued;

	while (job->describe && jv_array_length(jv_copy(job->queue)) > 0 &&
	       can_describe(job))
		submit_batch(job);
	queued = jv_array_length(jv_copy(job->queue));
	if (queued > 0 && job->pending == 0) {
		if (!job->waited)
			aws_debug(run->ctx, "%s: %d names wait until earlier "
					    "output is written (%zu items held)",
			    job->describe->operation, queued, run->held);
		job->waited = 1;
		job->parked = 1;
		job->next_parked = run->parked;
		run->parked = job;
		return 0;
	}
	/* One page ahead of the describes, never more. */
	if (job->list && !job->list_done && !job->listing && queued == 0) {
		submit_page(job);
		return 0;
	}
	return (!job->list || job->list_done) && !job->listing &&
	       queued == 0 && job->pending == 0;
}

/* Starts what the job may start now, parks it when it has to wait for
 * the front, and finishes it when nothing is left. A request can fail
 * before aws_submit returns (no credentials, say), so its callback calls
 * this from inside a pass. Such a call only requests another pass, and
 * only the outermost call frees the job. */
static void
advance(struct ecs_job *job)
{
	struct ordered_node *group = job->group;
	struct ecs_run *run = job->run;
	int done = 0;

	if (job->advancing) {
		job->again = 1;
		return;
	}
	job->advancing = 1;
	do {
		job->again = 0;
		if (!job->parked)
			done = advance_once(job);
	} while (job->again && !done);
	job->advancing = 0;
	if (done) {
		job_free(job);
		ecs_close(run, group);
	}
}

void
ecs_job_start(struct ecs_run *run, struct ecs_job_spec *spec,
    struct ordered_node *group)
{
	struct ecs_job *job = xcalloc(1, sizeof(*job));

	job->run = run;
	job->region = spec->region ? xstrdup(spec->region) : NULL;
	job->list = spec->list;
	job->list_input = jv_get_kind(spec->list_input) == JV_KIND_OBJECT
			      ? spec->list_input
			      : (jv_free(spec->list_input), jv_object());
	job->describe = spec->describe;
	job->describe_input =
	    jv_get_kind(spec->describe_input) == JV_KIND_OBJECT
		? spec->describe_input
		: (jv_free(spec->describe_input), jv_object());
	job->queue = jv_get_kind(spec->names) == JV_KIND_ARRAY
			 ? spec->names
			 : (jv_free(spec->names), jv_array());
	job->on_records = spec->on_records;
	job->on_arns = spec->on_arns;
	job->data = spec->data;
	job->quiet_missing = spec->quiet_missing;
	job->group = group;
	job->list_done = job->list == NULL;
	spec->list_input = spec->describe_input = spec->names = jv_null();
	if (!job->describe && jv_array_length(jv_copy(job->queue)) > 0)
		die("internal error: names to describe without an operation");
	advance(job);
}

/* --- synchronous helpers ----------------------------------------------- */

jv
ecs_list_all(struct aws_ctx *ctx, const char *region,
    const struct ecs_list_op *op, jv input)
{
	jv all = jv_array(), token = jv_null();

	for (;;) {
		jv page_input = jv_copy(input), out, arns;

		if (jv_get_kind(token) == JV_KIND_STRING)
			page_input = jv_object_set(page_input,
			    jv_string("nextToken"), jv_copy(token));
		out = aws_json_call(ctx, &aws_ecs, region, op->operation,
		    page_input);
		jv_free(token);
		if (!jv_is_valid(out)) {
			jv_free(all);
			jv_free(input);
			return out;
		}
		arns = jv_object_get(jv_copy(out), jv_string(op->arns_key));
		if (jv_get_kind(arns) == JV_KIND_ARRAY)
			all = jv_array_concat(all, arns);
		else
			jv_free(arns);
		token = jv_object_get(out, jv_string("nextToken"));
		if (jv_get_kind(token) != JV_KIND_STRING ||
		    jv_string_length_bytes(jv_copy(token)) == 0)
			break;
	}
	jv_free(token);
	jv_free(input);
	return all;
}

struct collect {
	jv records;
	jv failures;
	int keep_failures;
};

static void
collect_emit(jv record, void *data)
{
	struct collect *c = data;

	c->records = jv_array_append(c->records, record);
}

static void
collect_failure(struct ecs_run *run, const char *operation, jv failure)
{
	struct collect *c = run->emit_data;

	if (c->keep_failures) {
		c->failures = jv_array_append(c->failures, failure);
		return;
	}
	ecs_report_failure(operation, failure);
	run->failed++;
	jv_free(failure);
}

static void
collect_objects(struct ecs_job *job, struct ordered_node *group, jv objects)
{
	ecs_fill(ecs_job_run(job), group, objects);
}

jv
ecs_describe_all(struct aws_ctx *ctx, const char *region,
    const struct ecs_describe_op *op, jv input, jv names, jv *failures)
{
	struct collect c = {jv_array(), jv_array(), failures != NULL};
	struct ecs_job_spec spec;
	struct ecs_run run;
	int rc;

	ecs_run_init(&run, ctx, 8, collect_emit, &c);
	run.on_failure = collect_failure;
	memset(&spec, 0, sizeof(spec));
	spec.region = region;
	spec.list_input = jv_null();
	spec.describe = op;
	spec.describe_input = input;
	spec.names = names;
	spec.on_records = collect_objects;
	ecs_job_start(&run, &spec, ordered_group(ecs_root(&run)));
	ecs_close(&run, ecs_root(&run));
	rc = ecs_run_wait(&run);
	ecs_run_free(&run);
	if (failures)
		*failures = c.failures;
	else
		jv_free(c.failures);
	if (rc < 0) {
		jv_free(c.records);
		return jv_invalid();
	}
	return c.records;
}
