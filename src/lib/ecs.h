/* ECS List* and Describe* calls run concurrently with deterministic
 * output: a job follows every page of a List* call and describes the ARNs
 * in batches at the Describe* limit (never an empty batch), describing one
 * page while the next is listed. Each batch fills its own group of the
 * run's ordered output, so records come out in input order, then API
 * order, however the requests finish.
 *
 * Memory stays flat however long a listing is. A job lists one page ahead
 * of its describes and keeps at most max_pending batches in flight. A job
 * whose output would wait behind another job's output starts nothing new
 * while the run already has `cap` items that are not written yet.
 *
 * The run borrows the aws_ctx. Jobs free themselves when done. jv values
 * passed in are consumed, jv values passed to callbacks belong to them. */
#ifndef ECS_ECS_H
#define ECS_ECS_H

#include <stddef.h>
#include <jv.h>

#include "aws.h"
#include "ordered.h"

/* A Describe* operation: its request and reply members and batch limit. */
struct ecs_describe_op {
	const char *operation;		/* "DescribeTasks" */
	const char *names_key;		/* request list: "tasks" */
	const char *records_key;	/* reply list: "tasks" */
	const char *arn_key;		/* ARN member of a record: "taskArn" */
	const char *kind;		/* record kind: "task" */
	size_t max;			/* items per call */
};

extern const struct ecs_describe_op ecs_describe_clusters,
    ecs_describe_services, ecs_describe_tasks,
    ecs_describe_container_instances;

/* A List* operation and the member holding each page's ARNs. */
struct ecs_list_op {
	const char *operation;		/* "ListTasks" */
	const char *arns_key;		/* "taskArns" */
};

extern const struct ecs_list_op ecs_list_clusters, ecs_list_services,
    ecs_list_tasks, ecs_list_container_instances, ecs_list_task_definitions,
    ecs_list_task_definition_families;

struct ecs_run;
struct ecs_job;

/* Output of one describe batch: the AWS objects in request order. The
 * callback puts records into group (ecs_fill) or starts jobs in child
 * groups of it; the group is closed when the callback returns. */
typedef void (*ecs_records_fn)(struct ecs_job *job, struct ordered_node *group,
    jv objects);
/* One page of a job without a Describe* step. */
typedef void (*ecs_arns_fn)(struct ecs_job *job, struct ordered_node *group,
    jv arns);
/* One entry of a Describe* reply's failures ({arn, reason, detail}). */
typedef void (*ecs_failure_fn)(struct ecs_run *run, const char *operation,
    jv failure);

struct ecs_run {
	struct aws_ctx *ctx;
	struct ordered out;
	ordered_emit_fn emit;
	void *emit_data;
	int max_pending;	/* describe batches in flight per job */
	size_t cap;		/* items held before jobs off the front wait */
	size_t held;		/* items being described or waiting to go out */
	struct ecs_job *parked;	/* jobs waiting for the front to move */
	ecs_failure_fn on_failure;	/* NULL: print it and count a failure */
	int failed;		/* errors reported so far */
	int sweeping, sweep_again;
};

/* The work of one job. Unused jv members must be jv_null(). */
struct ecs_job_spec {
	const char *region;
	const struct ecs_list_op *list;	/* NULL: describe names only */
	jv list_input;			/* parameters of every page */
	const struct ecs_describe_op *describe;	/* NULL: on_arns gets pages */
	jv describe_input;		/* parameters of every batch */
	jv names;			/* names to describe (without list) */
	ecs_records_fn on_records;	/* NULL: records with kind, one slot */
	ecs_arns_fn on_arns;
	void *data;
	int quiet_missing;		/* MISSING failures are expected */
};

void ecs_run_init(struct ecs_run *run, struct aws_ctx *ctx, int max_pending,
    ordered_emit_fn emit, void *data);
void ecs_run_free(struct ecs_run *run);
struct ordered_node *ecs_root(struct ecs_run *run);
/* Runs every job to completion and emits what is left. Returns 0, or -1
 * when an error was reported. */
int ecs_run_wait(struct ecs_run *run);
/* Counts a failure the caller reported itself. */
void ecs_run_fail(struct ecs_run *run);

/* Starts a job whose output goes into group; the job closes group when it
 * has added everything. Consumes the jv members of spec. */
void ecs_job_start(struct ecs_run *run, struct ecs_job_spec *spec,
    struct ordered_node *group);
struct ecs_run *ecs_job_run(struct ecs_job *job);
const char *ecs_job_region(struct ecs_job *job);
void *ecs_job_data(struct ecs_job *job);
/* The parameters of the job's Describe* calls (borrowed). */
jv ecs_job_describe_input(struct ecs_job *job);

/* Appends a slot with records (an array, consumed) to group. */
void ecs_fill(struct ecs_run *run, struct ordered_node *group, jv records);
/* Closes a group the caller filled itself. */
void ecs_close(struct ecs_run *run, struct ordered_node *group);
/* Prints a Describe* failure as "Operation: ARN: REASON (detail)". */
void ecs_report_failure(const char *operation, jv failure);

/* Synchronous helpers for programs that resolve a few targets. */

/* Every ARN of a List* call over all pages, or jv_invalid after printing
 * the error. Consumes input. */
jv ecs_list_all(struct aws_ctx *ctx, const char *region,
    const struct ecs_list_op *op, jv input);
/* The described objects of names in request order, batched at the limit;
 * *failures (when not NULL) receives the failures entries, which are then
 * not printed. Returns jv_invalid after printing an error. Consumes input
 * and names. */
jv ecs_describe_all(struct aws_ctx *ctx, const char *region,
    const struct ecs_describe_op *op, jv input, jv names, jv *failures);

#endif
