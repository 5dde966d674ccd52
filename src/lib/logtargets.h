/* Which CloudWatch Logs stream each ECS container writes to.
 *
 * Clusters, services, tasks and containers resolve to tasks (ListTasks
 * and DescribeTasks, every page and batch), tasks to their task
 * definitions (DescribeTaskDefinition, cached), and each container to its
 * log group, region and stream from the log configuration:
 *   awslogs: awslogs-group, awslogs-region (else the task's region) and
 *     awslogs-stream-prefix; the stream is PREFIX/CONTAINER/TASK_ID.
 *   FireLens (awsfirelens) with the cloudwatch or cloudwatch_logs output:
 *     log_group_name, region, and log_stream_name or log_stream_prefix
 *     followed by the tag CONTAINER-firelens-TASK_ID.
 * A container with another driver, no log configuration or no stream
 * prefix is reported once with its name and driver, and gets no target.
 *
 * Resolution runs asynchronously on the aws_ctx's HTTP client. Results
 * belong to the resolver and stay valid until the next run starts. */
#ifndef ECS_LOGTARGETS_H
#define ECS_LOGTARGETS_H

#include <stddef.h>
#include <stdint.h>
#include <jv.h>

#include "aws.h"

enum target_spec_kind {
	SPEC_CLUSTER,		/* the tasks of its services */
	SPEC_SERVICE,		/* its running tasks */
	SPEC_TASK,
	SPEC_CONTAINER,		/* one container of a task */
};

/* What the user named, with flags or records on stdin. Strings are
 * borrowed for as long as the resolver runs. */
struct target_spec {
	enum target_spec_kind kind;
	const char *region;	/* NULL: from the ARN, else the default */
	const char *cluster;	/* name or ARN; NULL: "default" */
	const char *name;	/* service or task (name, ID or ARN) */
	const char *container;	/* SPEC_CONTAINER: the container name */
	jv task;		/* a task record to use as it is, or jv_null */
};

/* One container's log stream. */
struct log_target {
	char *region;
	char *group;
	char *stream;
	char *task_arn;
	char *cluster_arn;
	char *container;
};

struct target_options {
	const char *container;	/* only containers with this name */
	int has_since;		/* also tasks stopped at or after since_ms */
	int64_t since_ms;
	int has_until;		/* skip tasks started after until_ms */
	int64_t until_ms;
};

struct target_resolver;
typedef void (*target_done_fn)(struct target_resolver *tr, void *data);

struct target_resolver *target_resolver_new(struct aws_ctx *ctx,
    const struct target_options *o);
void target_resolver_free(struct target_resolver *tr);
/* Starts resolving specs (borrowed until done runs). done runs once, when
 * every request has finished, possibly before this returns. */
void target_resolver_start(struct target_resolver *tr,
    const struct target_spec *specs, size_t n, target_done_fn done,
    void *data);
int target_resolver_running(const struct target_resolver *tr);
/* The targets of the last finished run. */
const struct log_target *target_resolver_targets(
    const struct target_resolver *tr, size_t *n);
/* 1 when the last run met an AWS error or a container it cannot read. */
int target_resolver_failed(const struct target_resolver *tr);
/* 1 when every request of the last run succeeded, so its targets are all
 * the tasks there are. */
int target_resolver_complete(const struct target_resolver *tr);

#endif
