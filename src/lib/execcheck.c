/* ecs-exec --check: the checks amazon-ecs-exec-checker makes that API
 * calls allow, one record (or table row) per check. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "execcheck.h"
#include "json.h"
#include "util.h"

struct checks {
	struct table *table;
	int failed;
};

static void
check_record(struct checks *c, const struct exec_target *t,
    const char *name, const char *status, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
check_record(struct checks *c, const struct exec_target *t,
    const char *name, const char *status, const char *fmt, ...)
{
	va_list ap;
	struct buf detail = BUF_INIT;

	va_start(ap, fmt);
	buf_vaddf(&detail, fmt, ap);
	va_end(ap);
	if (strcmp(status, "fail") == 0)
		c->failed = 1;
	if (c->table) {
		const char *cells[4] = {t->label, name, status, detail.data};
		const char *colors[4] = {NULL, NULL,
		    strcmp(status, "ok") == 0	    ? status_color("RUNNING")
		    : strcmp(status, "warn") == 0 ? status_color("PENDING")
						  : status_color("STOPPED"),
		    NULL};

		table_add(c->table, cells, colors);
	} else {
		jv rec = jv_object();

		rec = jv_object_set(rec, jv_string("kind"),
		    jv_string("execCheck"));
		rec = jv_object_set(rec, jv_string("taskArn"),
		    jv_string(t->task_arn ? t->task_arn : t->task));
		rec = jv_object_set(rec, jv_string("containerName"),
		    t->container_name ? jv_string(t->container_name)
				      : jv_null());
		rec = jv_object_set(rec, jv_string("check"), jv_string(name));
		rec = jv_object_set(rec, jv_string("status"),
		    jv_string(status));
		rec = jv_object_set(rec, jv_string("detail"),
		    jv_string(detail.data));
		out_record(rec);
	}
	buf_free(&detail);
}

static jv
container_definition(struct aws_ctx *ctx, const struct exec_target *t,
    jv *taskdef)
{
	const char *arn = json_str(t->task_obj, "taskDefinitionArn");
	jv in, out, defs, def = jv_null();
	int i, n;

	*taskdef = jv_null();
	if (!arn)
		return def;
	in = jv_object_set(jv_object(), jv_string("taskDefinition"),
	    jv_string(arn));
	out = aws_json_call(ctx, &aws_ecs, t->region,
	    "DescribeTaskDefinition", in);
	if (!jv_is_valid(out)) {
		jv_free(out);
		return def;
	}
	*taskdef = jv_object_get(out, jv_string("taskDefinition"));
	defs = jv_object_get(jv_copy(*taskdef),
	    jv_string("containerDefinitions"));
	n = jv_get_kind(defs) == JV_KIND_ARRAY ? jv_array_length(jv_copy(defs))
					       : 0;
	for (i = 0; i < n; i++) {
		jv d = jv_array_get(jv_copy(defs), i);
		const char *name = json_str(d, "name");

		if (name && t->container_name &&
		    strcmp(name, t->container_name) == 0) {
			def = d;
			break;
		}
		jv_free(d);
	}
	jv_free(defs);
	return def;
}

static void
check_task_definition(struct checks *c, struct aws_ctx *ctx,
    const struct exec_target *t)
{
	jv taskdef, def = container_definition(ctx, t, &taskdef);
	jv ro, init;
	const char *role = NULL;
	jv override = json_path(t->task_obj, "overrides", "taskRoleArn", NULL);

	if (jv_get_kind(override) == JV_KIND_STRING)
		role = jv_string_value(override);
	else if (!role)
		role = json_str(taskdef, "taskRoleArn");
	if (role)
		check_record(c, t, "task-role", "ok", "%s (it needs "
		    "ssmmessages:CreateControlChannel, CreateDataChannel, "
		    "OpenControlChannel and OpenDataChannel; not read here)",
		    role);
	else
		check_record(c, t, "task-role", "fail", "the task has no task "
		    "role, so the agent cannot open Session Manager channels");
	if (jv_get_kind(def) != JV_KIND_OBJECT) {
		check_record(c, t, "task-definition", "warn",
		    "the container definition could not be read");
		goto out;
	}
	ro = jv_object_get(jv_copy(def), jv_string("readonlyRootFilesystem"));
	if (jv_get_kind(ro) == JV_KIND_TRUE)
		check_record(c, t, "readonly-root-filesystem", "fail",
		    "the root filesystem is read-only; the agent cannot "
		    "write its files and sessions fail");
	else
		check_record(c, t, "readonly-root-filesystem", "ok",
		    "writable");
	jv_free(ro);
	init = json_path(def, "linuxParameters", "initProcessEnabled", NULL);
	if (jv_get_kind(init) == JV_KIND_TRUE)
		check_record(c, t, "init-process", "ok", "enabled");
	else
		check_record(c, t, "init-process", "warn", "initProcessEnabled "
		    "is off: processes left by sessions may linger as "
		    "zombies");
	jv_free(init);
out:
	jv_free(override);
	jv_free(def);
	jv_free(taskdef);
}

static void
check_target(struct checks *c, struct aws_ctx *ctx, struct exec_target *t)
{
	const char *status, *launch, *pv;
	jv enabled;
	struct buf audit = BUF_INIT;
	char *kms;

	if (jv_get_kind(t->task_obj) != JV_KIND_OBJECT) {
		check_record(c, t, "task", "fail", "%s", t->error);
		return;
	}
	status = json_str(t->task_obj, "lastStatus");
	check_record(c, t, "task", status && strcmp(status, "RUNNING") == 0
	    ? "ok" : "fail", "%s", status ? status : "no lastStatus");
	enabled = jv_object_get(jv_copy(t->task_obj),
	    jv_string("enableExecuteCommand"));
	check_record(c, t, "exec-enabled",
	    jv_get_kind(enabled) == JV_KIND_TRUE ? "ok" : "fail", "%s",
	    jv_get_kind(enabled) == JV_KIND_TRUE
		? "enableExecuteCommand is true"
		: "enableExecuteCommand is false: start a new task with it");
	jv_free(enabled);
	launch = json_str(t->task_obj, "launchType");
	pv = json_str(t->task_obj, "platformVersion");
	if (launch && strcmp(launch, "FARGATE") == 0)
		check_record(c, t, "platform", fargate_version_ok(pv) ? "ok"
		    : "fail", "Fargate platform version %s%s",
		    pv ? pv : "(not reported)", fargate_version_ok(pv) ? ""
		    : ": ECS Exec needs 1.4.0 or later");
	else
		check_record(c, t, "platform", "ok", "%s launch type",
		    launch ? launch : "unknown");
	if (!t->container_name) {
		check_record(c, t, "container", "fail", "%s", t->error);
	} else {
		check_record(c, t, "container", "ok", "%s",
		    t->container_name);
		check_record(c, t, "agent", t->agent_starting ? "warn"
		    : t->error && strstr(t->error, "ExecuteCommandAgent")
		    ? "fail" : "ok", "%s", t->agent_starting
		    ? "ExecuteCommandAgent is PENDING (still starting)"
		    : t->error && strstr(t->error, "ExecuteCommandAgent")
		    ? t->error : "ExecuteCommandAgent is RUNNING or not "
		    "reported");
		check_record(c, t, "runtime-id", t->runtime_id ? "ok" : "fail",
		    "%s", t->runtime_id ? t->runtime_id
		    : "none yet: the container has not started");
	}
	kms = exec_kms_key(t->cluster_obj);
	check_record(c, t, "kms", "ok", "%s%s",
	    kms ? "sessions are encrypted with " : "sessions are not "
						   "KMS-encrypted",
	    kms ? kms : "");
	if (kms)
		check_record(c, t, "kms-permissions", "warn", "not read: "
		    "you need kms:GenerateDataKey on %s and the task role "
		    "kms:Decrypt", kms);
	free(kms);
	exec_audit_destination(t->cluster_obj, &audit);
	check_record(c, t, "audit-log", "ok", "%s", audit.data);
	buf_free(&audit);
	if (t->container_name)
		check_task_definition(c, ctx, t);
}

int
exec_run_checks(struct aws_ctx *ctx, struct exec_target **t, size_t n,
    enum output_format fmt)
{
	static const struct table_column cols[] = {
	    {"TARGET", 1, 0},
	    {"CHECK", 0, 0},
	    {"STATUS", 0, 0},
	    {"DETAIL", 1, 0},
	};
	struct checks c = {0};
	size_t i;

	if (fmt == OUTPUT_TABLE)
		c.table = table_new(cols, 4);
	for (i = 0; i < n; i++)
		check_target(&c, ctx, t[i]);
	if (c.table) {
		table_print(c.table, terminal_columns(),
		    output_color_enabled());
		table_free(c.table);
	}
	out_flush();
	return c.failed ? EXIT_RUNTIME : EXIT_OK;
}
