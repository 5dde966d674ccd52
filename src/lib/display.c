/* Display lines for records. The default formats read the record with the
 * jscan scanner (no allocation per member); --format and records that
 * only jq's parser accepts go through jv. */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jq.h>

#include "display.h"
#include "jscan.h"
#include "json.h"
#include "text.h"
#include "util.h"

/* Members the default formats read. */
enum field {
	F_KIND,
	F_TASK_ARN,
	F_CONTAINER_ARN,
	F_GROUP,
	F_LAST_STATUS,
	F_LAUNCH_TYPE,
	F_CREATED_AT,
	F_NAME,
	F_MANAGED_AGENTS,
	F_CLUSTER_NAME,
	F_STATUS,
	F_SERVICE_NAME,
	F_SERVICE_ARN,
	F_DESIRED_COUNT,
	F_RUNNING_COUNT,
	F_PENDING_COUNT,
	F_FAMILY,
	F_REVISION,
	F_TASK_DEFINITION_ARN,
	F_TASK_DEFINITION,
	F_CONTAINER_INSTANCE_ARN,
	F_EC2_INSTANCE_ID,
	F_AGENT_CONNECTED,
	F_RUNNING_TASKS_COUNT,
	F_PENDING_TASKS_COUNT,
	F_ACTIVE_SERVICES_COUNT,
	F_MESSAGE,
	F_ID,
	F_ROLLOUT_STATE,
	F_TIMESTAMP,
	F_LOG_STREAM_NAME,
	F_CONTAINER_NAME,
	F_ACCESS_KEY_ID,
	F_EXPIRATION,
	F_RUNTIME_ID,
	F_CONTAINERS,
	F_CLUSTER_ARN,
	F_NAME_LIKE,		/* first of NAME_LIKE_MAX other names */
};

#define NAME_LIKE_MAX 3
#define FIELD_COUNT (F_NAME_LIKE + NAME_LIKE_MAX)

#define FIELD(name, field) {name, sizeof(name) - 1, field}

static const struct {
	const char *name;
	size_t len;
	enum field field;
} field_names[] = {
    FIELD("kind", F_KIND),
    FIELD("taskArn", F_TASK_ARN),
    FIELD("containerArn", F_CONTAINER_ARN),
    FIELD("group", F_GROUP),
    FIELD("lastStatus", F_LAST_STATUS),
    FIELD("launchType", F_LAUNCH_TYPE),
    FIELD("createdAt", F_CREATED_AT),
    FIELD("name", F_NAME),
    FIELD("managedAgents", F_MANAGED_AGENTS),
    FIELD("clusterName", F_CLUSTER_NAME),
    FIELD("status", F_STATUS),
    FIELD("serviceName", F_SERVICE_NAME),
    FIELD("serviceArn", F_SERVICE_ARN),
    FIELD("desiredCount", F_DESIRED_COUNT),
    FIELD("runningCount", F_RUNNING_COUNT),
    FIELD("pendingCount", F_PENDING_COUNT),
    FIELD("family", F_FAMILY),
    FIELD("revision", F_REVISION),
    FIELD("taskDefinitionArn", F_TASK_DEFINITION_ARN),
    FIELD("taskDefinition", F_TASK_DEFINITION),
    FIELD("containerInstanceArn", F_CONTAINER_INSTANCE_ARN),
    FIELD("ec2InstanceId", F_EC2_INSTANCE_ID),
    FIELD("agentConnected", F_AGENT_CONNECTED),
    FIELD("runningTasksCount", F_RUNNING_TASKS_COUNT),
    FIELD("pendingTasksCount", F_PENDING_TASKS_COUNT),
    FIELD("activeServicesCount", F_ACTIVE_SERVICES_COUNT),
    FIELD("message", F_MESSAGE),
    FIELD("id", F_ID),
    FIELD("rolloutState", F_ROLLOUT_STATE),
    FIELD("timestamp", F_TIMESTAMP),
    FIELD("logStreamName", F_LOG_STREAM_NAME),
    FIELD("containerName", F_CONTAINER_NAME),
    FIELD("AccessKeyId", F_ACCESS_KEY_ID),
    FIELD("Expiration", F_EXPIRATION),
    FIELD("runtimeId", F_RUNTIME_ID),
    FIELD("containers", F_CONTAINERS),
    FIELD("clusterArn", F_CLUSTER_ARN),
};

/* Member names whose values are AWS secrets, hidden in previews. */
static const char *const secret_keys[] = {
    "SecretAccessKey", "secretAccessKey", "SessionToken", "sessionToken",
    "aws_secret_access_key", "aws_session_token", NULL,
};

struct display {
	jq_state *jq;
	double now;
	size_t failures;
	char *first_failure;
	struct buf tmp;
	size_t start;		/* where the current record's text starts */
};

/* One record being scanned. */
struct scan {
	struct jscan_value v[FIELD_COUNT];
	int name_like;
};

static int
field_slot(const char *key, size_t len, void *data)
{
	struct scan *sc = data;
	size_t i;

	/* Member names are compared by length first: most differ there. */
	for (i = 0; i < sizeof(field_names) / sizeof(field_names[0]); i++)
		if (field_names[i].len == len && key[0] == field_names[i].name[0] &&
		    memcmp(field_names[i].name, key, len) == 0)
			return (int)field_names[i].field;
	/* Other objects are shown by their name-like members: ...Name and
	 * ...Id, in the order they come. */
	if (sc->name_like < NAME_LIKE_MAX &&
	    ((len > 4 && memcmp(key + len - 4, "Name", 4) == 0) ||
		(len > 2 && memcmp(key + len - 2, "Id", 2) == 0) ||
		(len == 5 && memcmp(key, "title", 5) == 0)))
		return F_NAME_LIKE + sc->name_like++;
	return -1;
}

static void
jq_error_to_buf(void *data, jv msg)
{
	struct buf *err = data;

	if (jv_get_kind(msg) == JV_KIND_STRING && err->len == 0)
		buf_adds(err, jv_string_value(msg));
	jv_free(msg);
}

struct display *
display_new(const char *format, double now, struct buf *err)
{
	struct display *d = xcalloc(1, sizeof(*d));

	d->now = now;
	if (!format)
		return d;
	d->jq = jq_init();
	if (!d->jq)
		die("cannot start the jq interpreter: out of memory");
	jq_set_error_cb(d->jq, jq_error_to_buf, err);
	if (!jq_compile(d->jq, format)) {
		if (err->len == 0)
			buf_adds(err, "the expression does not compile");
		jq_teardown(&d->jq);
		free(d);
		return NULL;
	}
	jq_set_error_cb(d->jq, NULL, NULL);
	return d;
}

void
display_free(struct display *d)
{
	if (!d)
		return;
	if (d->jq)
		jq_teardown(&d->jq);
	free(d->first_failure);
	buf_free(&d->tmp);
	free(d);
}

/* Digits, ages (s m h d), ISO 8601 times (- : T Z), "-" for missing
 * values, "/" and the words of the formats below, and "^?" for DEL. */
static const char added_chars[] =
    "0123456789smhd-:tz. /exc" "services running pending agent connected "
    "disconnected tasks expires ^?";

const char *
display_added_chars(const struct display *d)
{
	return d->jq ? NULL : added_chars;
}

size_t
display_format_failures(const struct display *d, const char **first)
{
	*first = d->first_failure;
	return d->failures;
}

static int
printable_ascii(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* Appends s sanitized and padded with spaces to width columns. */
static void
add_text(struct buf *out, const char *s, size_t n, size_t width)
{
	size_t used = n;

	if (printable_ascii(s, n)) {
		buf_add(out, s, n);
	} else {
		size_t start = out->len;

		text_sanitize(s, n, 0, out);
		used = text_width(out->data + start, out->len - start);
	}
	if (used < width) {
		buf_grow(out, width - used);
		memset(out->data + out->len, ' ', width - used);
		out->len += width - used;
		out->data[out->len] = '\0';
	}
}

/* Separates fields with two spaces; out may hold earlier records, so
 * the record's own start is d->start. */
static void
add_sep(struct display *d, struct buf *out)
{
	if (out->len > d->start)
		buf_add(out, "  ", 2);
}

/* Appends a member's value: strings decoded, other values as JSON. */
static void
add_value(struct display *d, struct buf *out, const struct jscan_value *v,
    size_t width)
{
	if (v->kind == JSCAN_NONE) {
		add_text(out, "-", 1, width);
		return;
	}
	if (v->kind == JSCAN_STRING && v->escaped) {
		buf_reset(&d->tmp);
		jscan_string(v, &d->tmp);
		add_text(out, d->tmp.data, d->tmp.len, width);
		return;
	}
	add_text(out, v->start, v->len, width);
}

static void
add_field(struct display *d, struct buf *out, const struct jscan_value *v,
    size_t width)
{
	add_sep(d, out);
	add_value(d, out, v, width);
}

/* Appends the last "/"-separated part of an ARN (a task id, say). */
static void
add_arn_id(struct display *d, struct buf *out, const struct jscan_value *v,
    size_t width)
{
	struct jscan_value id = *v;
	const char *slash;

	add_sep(d, out);
	if (v->kind == JSCAN_STRING && !v->escaped &&
	    (slash = memrchr(v->start, '/', v->len)) != NULL) {
		id.start = slash + 1;
		id.len = v->len - (size_t)(id.start - v->start);
	}
	add_value(d, out, &id, width);
}

/* Epoch seconds of a time member: a number (as the AWS APIs send) or an
 * ISO 8601 string (as the AWS CLI prints). NAN when neither. */
static double
time_value(struct display *d, const struct jscan_value *v)
{
	double t;

	if (v->kind == JSCAN_NUMBER)
		return jscan_number(v);
	if (v->kind != JSCAN_STRING)
		return NAN;
	buf_reset(&d->tmp);
	jscan_string(v, &d->tmp);
	if (parse_iso8601(d->tmp.data, &t) < 0)
		return NAN;
	return t;
}

/* Appends n and a unit letter; snprintf's float path is slow here. */
static void
add_count(struct buf *out, uint64_t n, char unit)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	tmp[--i] = unit;
	do {
		tmp[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	buf_add(out, tmp + i, sizeof(tmp) - i);
}

static void
add_age(struct display *d, struct buf *out, const struct jscan_value *v)
{
	double t = time_value(d, v), age;

	add_sep(d, out);
	if (isnan(t)) {
		buf_addc(out, '-');
		return;
	}
	age = d->now - t;
	if (!(age >= 0))
		age = 0;
	if (age > 1e12)
		age = 1e12;
	if (age < 60)
		add_count(out, (uint64_t)age, 's');
	else if (age < 3600)
		add_count(out, (uint64_t)(age / 60), 'm');
	else if (age < 86400)
		add_count(out, (uint64_t)(age / 3600), 'h');
	else
		add_count(out, (uint64_t)(age / 86400), 'd');
}

/* Appends a time as ISO 8601 UTC; scale converts the number to seconds
 * (CloudWatch Logs timestamps are milliseconds). */
static void
add_time(struct display *d, struct buf *out, const struct jscan_value *v,
    double scale)
{
	double t = time_value(d, v);
	char tmp[32];

	add_sep(d, out);
	if (isnan(t)) {
		buf_addc(out, '-');
		return;
	}
	if (v->kind == JSCAN_NUMBER)
		t *= scale;
	format_iso8601(t, tmp, sizeof(tmp));
	buf_adds(out, tmp);
}

struct agent_search {
	struct display *d;
	struct jscan_value status;
};

static int
agent_slot(const char *key, size_t len, void *data)
{
	(void)data;
	if (len == 4 && memcmp(key, "name", 4) == 0)
		return 0;
	if (len == 10 && memcmp(key, "lastStatus", 10) == 0)
		return 1;
	return -1;
}

static void
find_exec_agent(const char *elem, size_t len, void *data)
{
	struct agent_search *as = data;
	struct jscan_value v[2] = {{JSCAN_NONE, NULL, 0, 0},
	    {JSCAN_NONE, NULL, 0, 0}};
	const char *err;

	if (jscan_object(elem, len, agent_slot, NULL, v, &err) == 0 &&
	    jscan_string_equals(&v[0], "ExecuteCommandAgent"))
		as->status = v[1];
}

static void
format_task(struct display *d, const struct scan *sc, struct buf *out)
{
	add_arn_id(d, out, &sc->v[F_TASK_ARN], 32);
	add_field(d, out, &sc->v[F_GROUP], 24);
	add_field(d, out, &sc->v[F_LAST_STATUS], 14);
	add_field(d, out, &sc->v[F_LAUNCH_TYPE], 8);
	add_age(d, out, &sc->v[F_CREATED_AT]);
}

static void
format_container(struct display *d, const struct scan *sc, struct buf *out)
{
	struct agent_search as = {d, {JSCAN_NONE, NULL, 0, 0}};

	jscan_array(&sc->v[F_MANAGED_AGENTS], find_exec_agent, &as);
	add_arn_id(d, out, &sc->v[F_TASK_ARN], 32);
	add_field(d, out, &sc->v[F_NAME], 20);
	add_field(d, out, &sc->v[F_LAST_STATUS], 10);
	add_sep(d, out);
	buf_adds(out, "exec ");
	add_value(d, out, &as.status, 0);
}

static void
format_cluster(struct display *d, const struct scan *sc, struct buf *out)
{
	add_field(d, out, &sc->v[F_CLUSTER_NAME], 24);
	add_field(d, out, &sc->v[F_STATUS], 8);
	add_field(d, out, &sc->v[F_ACTIVE_SERVICES_COUNT], 0);
	buf_adds(out, " services");
	add_field(d, out, &sc->v[F_RUNNING_TASKS_COUNT], 0);
	buf_adds(out, " running");
	add_field(d, out, &sc->v[F_PENDING_TASKS_COUNT], 0);
	buf_adds(out, " pending");
}

static void
format_counts(struct display *d, const struct scan *sc, struct buf *out)
{
	add_field(d, out, &sc->v[F_RUNNING_COUNT], 0);
	buf_addc(out, '/');
	add_value(d, out, &sc->v[F_DESIRED_COUNT], 0);
	buf_adds(out, " running");
}

static void
format_service(struct display *d, const struct scan *sc, struct buf *out)
{
	add_field(d, out, &sc->v[F_SERVICE_NAME], 24);
	add_field(d, out, &sc->v[F_STATUS], 8);
	format_counts(d, sc, out);
	add_field(d, out, &sc->v[F_LAUNCH_TYPE], 0);
}

static void
format_task_definition(struct display *d, const struct scan *sc,
    struct buf *out)
{
	if (sc->v[F_FAMILY].kind == JSCAN_NONE) {
		add_arn_id(d, out, &sc->v[F_TASK_DEFINITION_ARN], 32);
	} else {
		add_field(d, out, &sc->v[F_FAMILY], 0);
		buf_addc(out, ':');
		add_value(d, out, &sc->v[F_REVISION], 0);
	}
	add_field(d, out, &sc->v[F_STATUS], 0);
}

static void
format_container_instance(struct display *d, const struct scan *sc,
    struct buf *out)
{
	if (sc->v[F_EC2_INSTANCE_ID].kind != JSCAN_NONE)
		add_field(d, out, &sc->v[F_EC2_INSTANCE_ID], 20);
	else
		add_arn_id(d, out, &sc->v[F_CONTAINER_INSTANCE_ARN], 32);
	add_field(d, out, &sc->v[F_STATUS], 10);
	add_sep(d, out);
	buf_adds(out, sc->v[F_AGENT_CONNECTED].kind == JSCAN_TRUE
			  ? "agent connected   "
			  : "agent disconnected");
	add_field(d, out, &sc->v[F_RUNNING_TASKS_COUNT], 0);
	buf_adds(out, " tasks");
}

static void
format_deployment(struct display *d, const struct scan *sc, struct buf *out)
{
	add_field(d, out, &sc->v[F_ID], 0);
	add_field(d, out, &sc->v[F_STATUS], 8);
	add_field(d, out, &sc->v[F_ROLLOUT_STATE], 11);
	format_counts(d, sc, out);
	add_arn_id(d, out, &sc->v[F_TASK_DEFINITION], 0);
}

static void
format_log_event(struct display *d, const struct scan *sc, struct buf *out)
{
	add_time(d, out, &sc->v[F_TIMESTAMP], 0.001);
	if (sc->v[F_CONTAINER_NAME].kind != JSCAN_NONE)
		add_field(d, out, &sc->v[F_CONTAINER_NAME], 0);
	else if (sc->v[F_LOG_STREAM_NAME].kind != JSCAN_NONE)
		add_field(d, out, &sc->v[F_LOG_STREAM_NAME], 0);
	add_field(d, out, &sc->v[F_MESSAGE], 0);
}

static void
format_other(struct display *d, const struct scan *sc, const char *line,
    size_t len, struct buf *out)
{
	static const enum field names[] = {F_NAME, F_ID, F_NAME_LIKE,
	    F_NAME_LIKE + 1, F_NAME_LIKE + 2};
	size_t i, start = out->len;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct jscan_value *v = &sc->v[names[i]];

		if (v->kind == JSCAN_STRING || v->kind == JSCAN_NUMBER)
			add_field(d, out, v, 0);
	}
	if (out->len == start)
		add_text(out, line, len, 0);
}

static int
has(const struct jscan_value *v, enum field f)
{
	return v[f].kind != JSCAN_NONE;
}

/* The record's kind: its "kind" member, else what its ARNs imply. */
static const char *
record_kind(const struct scan *sc)
{
	static const char *const kinds[] = {"task", "container", "cluster",
	    "service", "taskDefinition", "containerInstance", "serviceEvent",
	    "deployment", "logEvent", "credentials", NULL};
	const struct jscan_value *v = sc->v;
	size_t i;

	if (v[F_KIND].kind == JSCAN_STRING) {
		for (i = 0; kinds[i]; i++)
			if (jscan_string_equals(&v[F_KIND], kinds[i]))
				return kinds[i];
		return "";
	}
	/* The same rules as record_kind() in records.c, most specific
	 * first: a container carries its task's ARN, a task its cluster's. */
	if (has(v, F_CONTAINER_ARN) ||
	    (has(v, F_TASK_ARN) && has(v, F_RUNTIME_ID)))
		return "container";
	if (has(v, F_TASK_ARN) && (has(v, F_CONTAINERS) ||
				      has(v, F_LAST_STATUS) ||
				      has(v, F_TASK_DEFINITION_ARN)))
		return "task";
	if (has(v, F_LOG_STREAM_NAME) && has(v, F_TIMESTAMP))
		return "logEvent";
	if (has(v, F_SERVICE_ARN))
		return "service";
	if (has(v, F_CONTAINER_INSTANCE_ARN))
		return "containerInstance";
	if (has(v, F_TASK_DEFINITION_ARN) && has(v, F_FAMILY))
		return "taskDefinition";
	if (has(v, F_ROLLOUT_STATE) || (has(v, F_ID) && has(v, F_DESIRED_COUNT)))
		return "deployment";
	if (has(v, F_CLUSTER_ARN) && !has(v, F_TASK_ARN))
		return "cluster";
	if (has(v, F_TASK_ARN))
		return "task";
	return "";
}

static void
format_default(struct display *d, const struct scan *sc, const char *line,
    size_t len, struct buf *out)
{
	const char *kind = record_kind(sc);

	if (strcmp(kind, "task") == 0)
		format_task(d, sc, out);
	else if (strcmp(kind, "container") == 0)
		format_container(d, sc, out);
	else if (strcmp(kind, "cluster") == 0)
		format_cluster(d, sc, out);
	else if (strcmp(kind, "service") == 0)
		format_service(d, sc, out);
	else if (strcmp(kind, "taskDefinition") == 0)
		format_task_definition(d, sc, out);
	else if (strcmp(kind, "containerInstance") == 0)
		format_container_instance(d, sc, out);
	else if (strcmp(kind, "serviceEvent") == 0) {
		add_time(d, out, &sc->v[F_CREATED_AT], 1);
		add_field(d, out, &sc->v[F_MESSAGE], 0);
	} else if (strcmp(kind, "deployment") == 0)
		format_deployment(d, sc, out);
	else if (strcmp(kind, "logEvent") == 0)
		format_log_event(d, sc, out);
	else if (strcmp(kind, "credentials") == 0) {
		add_field(d, out, &sc->v[F_ACCESS_KEY_ID], 20);
		add_sep(d, out);
		buf_adds(out, "expires ");
		add_value(d, out, &sc->v[F_EXPIRATION], 0);
	} else
		format_other(d, sc, line, len, out);
}

/* Parses line with jv: the record, or jv_invalid after appending the
 * reason to err. */
static jv
parse_record(const char *line, size_t len, struct buf *err)
{
	jv v;

	if (len > INT32_MAX) {
		buf_addf(err, "line of %zu bytes is too long for the JSON "
			      "parser", len);
		return jv_invalid();
	}
	v = jv_parse_sized(line, (int)len);
	if (!jv_is_valid(v)) {
		jv msg = jv_invalid_get_msg(v);

		buf_addf(err, "invalid JSON: %s",
		    jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg)
						       : "parse error");
		jv_free(msg);
		return jv_invalid();
	}
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		buf_addf(err, "expected a JSON object (one record per line), "
			      "got %s", jv_kind_name(jv_get_kind(v)));
		jv_free(v);
		return jv_invalid();
	}
	return v;
}

static void
note_failure(struct display *d, jv msg)
{
	d->failures++;
	if (!d->first_failure)
		d->first_failure = xstrdup(jv_get_kind(msg) == JV_KIND_STRING
					       ? jv_string_value(msg)
					       : "error");
	jv_free(msg);
}

static void
add_jv_text(struct buf *out, jv v)
{
	if (jv_get_kind(v) == JV_KIND_STRING) {
		add_text(out, jv_string_value(v),
		    (size_t)jv_string_length_bytes(jv_copy(v)), 0);
	} else {
		jv s = jv_dump_string(jv_copy(v), 0);

		add_text(out, jv_string_value(s),
		    (size_t)jv_string_length_bytes(jv_copy(s)), 0);
		jv_free(s);
	}
	jv_free(v);
}

static int
display_with_jq(struct display *d, const char *line, size_t len,
    struct buf *out, struct buf *err)
{
	jv rec = parse_record(line, len, err), r;
	size_t start = out->len;
	int n = 0;

	if (!jv_is_valid(rec))
		return -1;
	jq_start(d->jq, jv_copy(rec), 0);
	while (jv_is_valid(r = jq_next(d->jq))) {
		if (n++)
			buf_addc(out, ' ');
		add_jv_text(out, r);
	}
	if (jv_invalid_has_msg(jv_copy(r))) {
		out->len = start;
		note_failure(d, jv_invalid_get_msg(r));
		add_jv_text(out, rec);
		return 0;
	}
	jv_free(r);
	jv_free(rec);
	return 0;
}

int
display_record(struct display *d, const char *line, size_t len,
    struct buf *out, struct buf *err)
{
	struct scan sc;
	const char *why;
	size_t i;
	jv rec, text;
	int rc;

	d->start = out->len;
	if (d->jq)
		return display_with_jq(d, line, len, out, err);
	for (i = 0; i < FIELD_COUNT; i++)
		sc.v[i].kind = JSCAN_NONE;
	sc.name_like = 0;
	if (jscan_object(line, len, field_slot, &sc, sc.v, &why) == 0) {
		format_default(d, &sc, line, len, out);
		return 0;
	}

	/* jq's parser is the judge of what is valid. A record it accepts
	 * but the scanner does not (NaN, deep nesting) is scanned again in
	 * jq's compact form. */
	rec = parse_record(line, len, err);
	if (!jv_is_valid(rec))
		return -1;
	text = jv_dump_string(rec, 0);
	for (i = 0; i < FIELD_COUNT; i++)
		sc.v[i].kind = JSCAN_NONE;
	sc.name_like = 0;
	rc = jscan_object(jv_string_value(text),
	    (size_t)jv_string_length_bytes(jv_copy(text)), field_slot, &sc,
	    sc.v, &why);
	if (rc == 0)
		format_default(d, &sc, jv_string_value(text),
		    (size_t)jv_string_length_bytes(jv_copy(text)), out);
	else
		add_text(out, jv_string_value(text),
		    (size_t)jv_string_length_bytes(jv_copy(text)), 0);
	jv_free(text);
	return 0;
}

static int
no_slot(const char *key, size_t len, void *data)
{
	(void)key;
	(void)len;
	(void)data;
	return -1;
}

int
display_strict_object(const char *line, size_t len)
{
	const char *why;

	return jscan_object(line, len, no_slot, NULL, NULL, &why) == 0;
}

/* Replaces secret members anywhere in v with "***". Consumes v. */
static jv
redact(jv v)
{
	jv_kind kind = jv_get_kind(v);
	int i, n;

	if (kind == JV_KIND_OBJECT) {
		jv out = jv_object();

		jv_object_foreach(v, key, val)
		{
			const char *k = jv_string_value(key);
			int secret = 0;

			for (i = 0; secret_keys[i]; i++)
				if (strcmp(k, secret_keys[i]) == 0)
					secret = 1;
			if (secret) {
				jv_free(val);
				val = jv_string("***");
			} else {
				val = redact(val);
			}
			out = jv_object_set(out, key, val);
		}
		jv_free(v);
		return out;
	}
	if (kind == JV_KIND_ARRAY) {
		n = jv_array_length(jv_copy(v));
		for (i = 0; i < n; i++)
			v = jv_array_set(v, i, redact(jv_array_get(jv_copy(v),
						   i)));
	}
	return v;
}

static void
preview_error(void *data, jv msg)
{
	jq_error_to_buf(data, msg);
}

int
display_preview(const char *line, size_t len, const char *expr,
    struct buf *out)
{
	struct buf err = BUF_INIT;
	jv rec = parse_record(line, len, &err), r;
	jq_state *jq;

	if (!jv_is_valid(rec)) {
		buf_add(out, err.data, err.len);
		buf_free(&err);
		return -1;
	}
	rec = redact(rec);
	if (!expr) {
		jv s = jv_dump_string(rec, JV_PRINT_INDENT_FLAGS(2));

		buf_adds(out, jv_string_value(s));
		jv_free(s);
		return 0;
	}
	jq = jq_init();
	jq_set_error_cb(jq, preview_error, &err);
	if (!jq_compile(jq, expr)) {
		jv_free(rec);
		jq_teardown(&jq);
		buf_addf(out, "--preview: %s", err.len ? err.data
						       : "does not compile");
		buf_free(&err);
		return -1;
	}
	jq_start(jq, rec, 0);
	while (jv_is_valid(r = jq_next(jq))) {
		if (jv_get_kind(r) == JV_KIND_STRING) {
			buf_adds(out, jv_string_value(r));
			jv_free(r);
		} else {
			jv s = jv_dump_string(r, JV_PRINT_INDENT_FLAGS(2));

			buf_adds(out, jv_string_value(s));
			jv_free(s);
		}
		buf_addc(out, '\n');
	}
	if (jv_invalid_has_msg(jv_copy(r))) {
		jv msg = jv_invalid_get_msg(r);

		buf_addf(out, "--preview: %s", jv_get_kind(msg) == JV_KIND_STRING
						   ? jv_string_value(msg)
						   : "error");
		jv_free(msg);
	} else {
		jv_free(r);
	}
	jq_teardown(&jq);
	buf_free(&err);
	return 0;
}
