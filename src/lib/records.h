/* ECS records as they travel between the programs: what kind a record is,
 * and the names inside ARNs. Records are AWS objects plus "kind"; a record
 * without "kind" is recognised by its ARN fields.
 *
 * Task ARNs come in two formats: the old "task/TASK_ID" and the new
 * "task/CLUSTER/TASK_ID". Functions here accept both. Returned strings
 * are owned by the caller unless the comment says otherwise. */
#ifndef ECS_RECORDS_H
#define ECS_RECORDS_H

#include <jv.h>

enum record_kind {
	KIND_UNKNOWN,
	KIND_CLUSTER,
	KIND_SERVICE,
	KIND_TASK,
	KIND_CONTAINER,
	KIND_TASK_DEFINITION,
	KIND_CONTAINER_INSTANCE,
	KIND_SERVICE_EVENT,
	KIND_DEPLOYMENT,
	KIND_LOG_EVENT,
	KIND_CREDENTIALS,
};

/* Borrows rec. The "kind" field, else a guess from the ARN fields. */
enum record_kind record_kind(jv rec);
/* The record "kind" string for k ("task", ...), or NULL for unknown. */
const char *record_kind_name(enum record_kind k);
enum record_kind record_kind_from_name(const char *name);
/* Consumes obj. A record: {"kind": kind} followed by obj's members. */
jv record_with_kind(const char *kind, jv obj);

/* The parts of an ECS ARN "arn:PARTITION:ecs:REGION:ACCOUNT:TYPE/REST". */
struct ecs_arn {
	char *partition;
	char *region;
	char *account;
	char *type;		/* "task", "cluster", "service", ... */
	char *cluster;		/* cluster name when the ARN carries one */
	char *name;		/* last part: task id, service name, ... */
};

/* Parses an ECS ARN. Returns 0, or -1 when s is not one. */
int ecs_arn_parse(const char *s, struct ecs_arn *out);
void ecs_arn_free(struct ecs_arn *a);
/* Region of an ARN, or NULL. Caller frees. */
char *arn_region(const char *arn);
/* The last '/' part of an ARN or the string itself ("c1" for a cluster
 * ARN, the task id for a task ARN of either format). Borrowed. */
const char *arn_short(const char *arn_or_name);
/* Cluster name from a cluster, service, task or container-instance ARN
 * (NULL for an old-format task ARN, which does not carry one). */
char *arn_cluster_name(const char *arn);
/* The ARN of a resource's cluster: cluster itself when it is an ARN, a
 * cluster name placed in the partition, region and account of arn, else
 * the cluster arn names, else "default". NULL when neither is usable. */
char *arn_cluster_arn(const char *arn, const char *cluster);

#endif
