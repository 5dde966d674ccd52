/* Record kinds and ECS ARN parts. */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "records.h"
#include "util.h"

static const char *const kind_names[] = {
    [KIND_UNKNOWN] = NULL,
    [KIND_CLUSTER] = "cluster",
    [KIND_SERVICE] = "service",
    [KIND_TASK] = "task",
    [KIND_CONTAINER] = "container",
    [KIND_TASK_DEFINITION] = "taskDefinition",
    [KIND_CONTAINER_INSTANCE] = "containerInstance",
    [KIND_SERVICE_EVENT] = "serviceEvent",
    [KIND_DEPLOYMENT] = "deployment",
    [KIND_LOG_EVENT] = "logEvent",
    [KIND_CREDENTIALS] = "credentials",
};

const char *
record_kind_name(enum record_kind k)
{
	return kind_names[k];
}

enum record_kind
record_kind_from_name(const char *name)
{
	size_t i;

	for (i = 1; name && i < sizeof(kind_names) / sizeof(kind_names[0]);
	     i++)
		if (strcmp(name, kind_names[i]) == 0)
			return (enum record_kind)i;
	return KIND_UNKNOWN;
}

jv
record_with_kind(const char *kind, jv obj)
{
	jv rec = jv_object_set(jv_object(), jv_string("kind"),
	    jv_string(kind));

	if (jv_get_kind(obj) != JV_KIND_OBJECT) {
		jv_free(obj);
		return rec;
	}
	return jv_object_merge(rec, obj);
}

static int
has(jv rec, const char *key)
{
	return jv_object_has(jv_copy(rec), jv_string(key));
}

enum record_kind
record_kind(jv rec)
{
	const char *kind;

	if (jv_get_kind(rec) != JV_KIND_OBJECT)
		return KIND_UNKNOWN;
	kind = json_str(rec, "kind");
	if (kind)
		return record_kind_from_name(kind);
	/* Most specific first: a container carries its task's ARN, a task
	 * its cluster's, a service its cluster's. */
	if (has(rec, "containerArn") ||
	    (has(rec, "taskArn") && has(rec, "runtimeId")))
		return KIND_CONTAINER;
	if (has(rec, "taskArn") && (has(rec, "containers") ||
				       has(rec, "lastStatus") ||
				       has(rec, "taskDefinitionArn")))
		return KIND_TASK;
	if (has(rec, "logStreamName") && has(rec, "timestamp"))
		return KIND_LOG_EVENT;
	if (has(rec, "serviceArn"))
		return KIND_SERVICE;
	if (has(rec, "containerInstanceArn"))
		return KIND_CONTAINER_INSTANCE;
	if (has(rec, "taskDefinitionArn") && has(rec, "family"))
		return KIND_TASK_DEFINITION;
	if (has(rec, "rolloutState") || (has(rec, "id") &&
					    has(rec, "desiredCount")))
		return KIND_DEPLOYMENT;
	if (has(rec, "clusterArn") && !has(rec, "taskArn"))
		return KIND_CLUSTER;
	if (has(rec, "taskArn"))
		return KIND_TASK;
	return KIND_UNKNOWN;
}

void
ecs_arn_free(struct ecs_arn *a)
{
	free(a->partition);
	free(a->region);
	free(a->account);
	free(a->type);
	free(a->cluster);
	free(a->name);
	memset(a, 0, sizeof(*a));
}

int
ecs_arn_parse(const char *s, struct ecs_arn *out)
{
	const char *parts[6], *p = s, *rest, *slash, *last;
	int i;

	memset(out, 0, sizeof(*out));
	if (!s || !str_starts_with(s, "arn:"))
		return -1;
	for (i = 0; i < 5; i++) {
		parts[i] = p;
		p = strchr(p, ':');
		if (!p)
			return -1;
		p++;
	}
	parts[5] = p;
	if (strncmp(parts[2], "ecs:", 4) != 0)
		return -1;
	rest = parts[5];
	slash = strchr(rest, '/');
	if (!slash || slash == rest || !slash[1])
		return -1;
	out->partition = xstrndup(parts[1], (size_t)(parts[2] - parts[1] - 1));
	out->region = xstrndup(parts[3], (size_t)(parts[4] - parts[3] - 1));
	out->account = xstrndup(parts[4], (size_t)(parts[5] - parts[4] - 1));
	out->type = xstrndup(rest, (size_t)(slash - rest));
	last = strrchr(rest, '/');
	out->name = xstrdup(last + 1);
	if (last != slash)
		out->cluster = xstrndup(slash + 1, (size_t)(strchr(slash + 1,
							    '/') -
							(slash + 1)));
	else if (strcmp(out->type, "cluster") == 0)
		out->cluster = xstrdup(out->name);
	return 0;
}

char *
arn_region(const char *arn)
{
	struct ecs_arn a;
	char *r;

	if (ecs_arn_parse(arn, &a) < 0)
		return NULL;
	r = a.region;
	a.region = NULL;
	ecs_arn_free(&a);
	return r;
}

const char *
arn_short(const char *arn_or_name)
{
	return str_last_segment(arn_or_name);
}

char *
arn_cluster_name(const char *arn)
{
	struct ecs_arn a;
	char *c;

	if (ecs_arn_parse(arn, &a) < 0)
		return NULL;
	c = a.cluster;
	a.cluster = NULL;
	ecs_arn_free(&a);
	return c;
}

char *
arn_cluster_arn(const char *arn, const char *cluster)
{
	struct ecs_arn a;
	char *out;

	if (cluster && str_starts_with(cluster, "arn:"))
		return xstrdup(cluster);
	if (ecs_arn_parse(arn, &a) < 0)
		return NULL;
	if (!cluster)
		cluster = a.cluster ? a.cluster : "default";
	out = xasprintf("arn:%s:ecs:%s:%s:cluster/%s", a.partition, a.region,
	    a.account, cluster);
	ecs_arn_free(&a);
	return out;
}
