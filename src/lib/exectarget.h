/* Targets of ECS Exec (a container in a running task) from flags or from
 * task and container records, resolved through DescribeTasks and
 * DescribeClusters, with the reasons a target cannot work that those
 * calls already show.
 *
 * Targets are owned by the caller (exec_target_free); every string in
 * them is owned by the target, and the jv fields are its own references. */
#ifndef ECS_EXECTARGET_H
#define ECS_EXECTARGET_H

#include <stddef.h>
#include <jv.h>

#include "aws.h"
#include "buf.h"

struct exec_target {
	/* As requested. */
	char *region;
	char *cluster;		/* name or ARN; NULL: the default cluster */
	char *task;		/* id or ARN */
	char *container;	/* NULL: the only container */

	/* Resolved. */
	jv task_obj;		/* from DescribeTasks, or jv_null() */
	jv cluster_obj;		/* from DescribeClusters, or jv_null() */
	char *task_arn, *cluster_arn, *task_id, *cluster_name;
	char *container_name, *runtime_id;
	char *label;		/* "TASK_ID/CONTAINER" for messages */
	char *error;		/* why it cannot run, or NULL */
	int agent_starting;	/* ExecuteCommandAgent still PENDING */
};

struct exec_target *exec_target_new(const char *region, const char *cluster,
    const char *task, const char *container);
/* Borrows rec. A target for a task or container record; NULL with a
 * reason in err when the record is neither. container overrides the
 * record's for task records. */
struct exec_target *exec_target_from_record(jv rec, const char *default_region,
    const char *container, struct buf *err);
void exec_target_free(struct exec_target *t);

/* Calls DescribeTasks and DescribeClusters for all targets and fills in
 * the resolved fields. A target that cannot run gets error set.
 * Returns -1 when an AWS call failed (already reported), else 0. */
int exec_targets_resolve(struct aws_ctx *ctx, struct exec_target **t,
    size_t n);
/* The agent's id: "ecs:CLUSTER_TASKID_RUNTIMEID". Caller frees. */
char *exec_target_ssm_id(const struct exec_target *t);
/* Appends where the cluster sends exec audit logs. */
void exec_audit_destination(jv cluster_obj, struct buf *out);
/* Borrows cluster_obj. Its exec kmsKeyId (caller frees), or NULL. */
char *exec_kms_key(jv cluster_obj);
/* Whether a Fargate platform version supports ECS Exec (1.4.0 and up,
 * or LATEST). */
int fargate_version_ok(const char *version);
/* Reads the task again; appends why it is no longer running (empty when
 * it still runs). */
void exec_target_stop_reason(struct aws_ctx *ctx, struct exec_target *t,
    struct buf *out);

#endif
