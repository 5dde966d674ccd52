/* ecs-log: container logs and ECS Exec audit logs as one record per event. */
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws.h"
#include "cli.h"
#include "json.h"
#include "logs.h"
#include "logtargets.h"
#include "output.h"
#include "records.h"
#include "s3.h"
#include "text.h"
#include "timespec.h"
#include "util.h"

static const char usage[] =
    "Usage: ecs-log [OPTIONS]\n"
    "Print the CloudWatch Logs events of ECS containers, or the output of\n"
    "ECS Exec sessions, as NDJSON records (text on a terminal). Targets\n"
    "come from the options, or else from cluster, service, task and\n"
    "container records on stdin (as ecs-ls writes them).\n"
    "\n"
    "Targets:\n"
    "  -c, --cluster NAME    a cluster: the tasks of its services\n"
    "                        (default cluster for --service and --task)\n"
    "  -s, --service NAME    a service: its running tasks (repeatable)\n"
    "  -t, --task ID         a task, by ID or ARN (repeatable)\n"
    "      --container NAME  only containers with this name\n"
    "      --exec-sessions   read the clusters' ECS Exec session logs\n"
    "                        instead (CloudWatch Logs or S3, as the\n"
    "                        cluster's executeCommandConfiguration says)\n"
    "      --log-group NAME  read a log group without ECS lookups: every\n"
    "                        stream, or only those of --log-stream\n"
    "      --log-stream NAME  a stream of --log-group (repeatable)\n"
    "\n"
    "Reading:\n"
    "      --since TIME      events at or after TIME; with a service or\n"
    "                        cluster, also tasks stopped since then\n"
    "      --until TIME      events before TIME\n"
    "                        TIME is a duration before now (30s, 5m, 2h,\n"
    "                        3d, 1w, 1h30m) or an ISO 8601 time, UTC when\n"
    "                        it has no zone (2024-05-01T12:00:00)\n"
    "  -n, --tail N          only the last N events\n"
    "  -f, --follow          keep printing new events, and the logs of\n"
    "                        tasks that start meanwhile\n"
    "      --poll SECONDS    following: poll idle streams at most SECONDS\n"
    "                        apart, look for new tasks every 2 x SECONDS"
    " (default 5)\n"
    "      --filter PATTERN  CloudWatch Logs filter pattern, applied by\n"
    "                        the service (FilterLogEvents)\n"
    "  -o, --output FMT      json, text or raw (default: text on a\n"
    "                        terminal, json otherwise)\n"
    "\n"
    "Common:\n"
    "  -p, --profile NAME    AWS profile\n"
    "  -r, --region REGION   region of targets named without an ARN\n"
    "      --endpoint-url URL  send every request to URL\n"
    "      --debug           log requests and timings to stderr\n"
    "  -h, --help            show this help\n"
    "  -V, --version         show the version\n"
    "\n"
    "Environment: ECS_LOG_NOW=TIME (ISO 8601) replaces the clock for\n"
    "--since and --until.\n"
    "\n"
    "Exit status: 0 success, 1 AWS or network error, or a container whose\n"
    "logs cannot be read, 2 usage error, 130 or 143 when SIGINT or SIGTERM\n"
    "ends --follow.\n";

enum {
	OPT_CONTAINER = OPT_PROGRAM,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_FILTER,
	OPT_EXEC_SESSIONS,
	OPT_POLL,
	OPT_LOG_GROUP,
	OPT_LOG_STREAM,
};

/* S3 exec logs are read in pieces of this size, so memory stays bounded
 * whatever the size of a session's log. */
#define S3_CHUNK ((long long)8 << 20)

/* JSON output: the members of a logEvent record after eventId, which are
 * the same for every event of one source, group and stream. */
struct record_suffix {
	struct buf text;
	char *group, *stream;	/* what text was built for */
};

/* The source of an event: a container of a task, or an exec session log. */
struct source_tag {
	char *task_arn;
	char *cluster_arn;
	char *container;
	int exec;
	char *key;		/* region|group|stream */
	char *region, *group, *stream;	/* set once the reader has it */
	char label[64];		/* "container/task" for text output */
	const char *color;
	struct record_suffix suffix;
	struct source_tag *next;
};

struct exec_bucket {
	char *region;
	char *bucket;
	char *prefix;
	char *cluster_arn;
};

struct s3_entry {
	struct s3_object object;
	struct exec_bucket *bucket;
};

struct ecs_log {
	struct aws_ctx ctx;
	enum output_format format;
	int color;
	int terminal;
	int follow;
	int exec_sessions;
	int64_t now_ms;
	struct log_reader_options ro;
	struct target_options to;

	struct target_spec *specs;
	size_t n_specs;
	jv records;		/* keeps stdin records alive for specs */
	int dynamic;		/* a cluster or service may gain tasks */

	struct target_resolver *resolver;
	struct log_reader *reader;
	struct source_tag *tags;
	int64_t next_rescan_ms;
	int failed;

	struct exec_bucket *buckets;
	size_t n_buckets;
	jv s3_seen;		/* keys already printed, when following */
	int to_ring;		/* --tail for S3 logs: keep the last N */
	char **ring;
	size_t ring_start, ring_len;
	struct buf line;
	struct record_suffix untagged_suffix;	/* events without a tag */
};

static const char *const palette[] = {
    "\033[36m", "\033[35m", "\033[33m", "\033[32m", "\033[34m",
    "\033[96m", "\033[95m", "\033[93m", "\033[92m", "\033[94m",
};

static const char *
label_color(const char *label)
{
	uint32_t h = 2166136261u;

	for (; *label; label++)
		h = (h ^ (unsigned char)*label) * 16777619u;
	return palette[h % (sizeof(palette) / sizeof(palette[0]))];
}

static void
record_suffix_free(struct record_suffix *suffix)
{
	buf_free(&suffix->text);
	free(suffix->group);
	free(suffix->stream);
}

static struct source_tag *
tag_new(struct ecs_log *lg, const char *task_arn, const char *cluster_arn,
    const char *container, int exec)
{
	struct source_tag *t = xcalloc(1, sizeof(*t));

	t->task_arn = task_arn ? xstrdup(task_arn) : NULL;
	t->cluster_arn = cluster_arn ? xstrdup(cluster_arn) : NULL;
	t->container = container ? xstrdup(container) : NULL;
	t->exec = exec;
	if (!exec)
		/* The first 8 characters of a task ID tell tasks apart. */
		snprintf(t->label, sizeof(t->label), "%s/%.8s", container,
		    arn_short(task_arn));
	t->color = label_color(t->label);
	t->next = lg->tags;
	lg->tags = t;
	return t;
}

static void
tag_free(struct source_tag *t)
{
	free(t->task_arn);
	free(t->cluster_arn);
	free(t->container);
	free(t->key);
	free(t->region);
	free(t->group);
	free(t->stream);
	record_suffix_free(&t->suffix);
	free(t);
}

static void
tags_free(struct ecs_log *lg)
{
	while (lg->tags) {
		struct source_tag *t = lg->tags;

		lg->tags = t->next;
		tag_free(t);
	}
}

/* --- output -------------------------------------------------------------- */

static void ring_push(struct ecs_log *lg, const char *line, size_t len);

static void
add_field(struct buf *b, const char *name, const char *value)
{
	if (!value)
		return;
	buf_adds(b, ",\"");
	buf_adds(b, name);
	buf_adds(b, "\":");
	buf_add_json_string(b, value, strlen(value));
}

static void
add_int(struct buf *b, int64_t n)
{
	char digits[24];
	int i = (int)sizeof(digits);
	uint64_t u = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;

	do {
		digits[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (n < 0)
		digits[--i] = '-';
	buf_add(b, digits + i, sizeof(digits) - (size_t)i);
}

/* Returns the user named in a Session Manager session ID such as
 * "alice-0123456789abcdef0", or NULL for ECS Exec's own IDs
 * ("ecs-execute-command-..."), which name no user. Caller frees. */
static char *
session_user(const char *id)
{
	const char *dash = strrchr(id, '-');
	size_t i;

	if (!dash || dash == id || strlen(dash + 1) != 17 ||
	    str_starts_with(id, "ecs-execute-command-"))
		return NULL;
	for (i = 1; dash[i]; i++)
		if (!strchr("0123456789abcdef", dash[i]))
			return NULL;
	return xstrndup(id, (size_t)(dash - id));
}

/* Strips one trailing newline, which most loggers end a line with. */
static size_t
trim_newline(const char *s, size_t len)
{
	if (len > 0 && s[len - 1] == '\n')
		len--;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	return len;
}

/* Writes the line built in lg->line, or keeps it for --tail. */
static void
finish_line(struct ecs_log *lg)
{
	if (lg->to_ring)
		ring_push(lg, lg->line.data, lg->line.len);
	else
		out_line(lg->line.data, lg->line.len);
}

/* Starts a record in lg->line with its kind, timestamp and message; the
 * caller adds the other members and the closing brace. A plain message
 * (see struct log_event_view) needs no escaping. */
static void
json_begin(struct ecs_log *lg, int64_t ts, const char *message, size_t len,
    int plain)
{
	struct buf *b = &lg->line;

	buf_reset(b);
	buf_adds(b, "{\"kind\":\"logEvent\",\"timestamp\":");
	add_int(b, ts);
	buf_adds(b, ",\"message\":");
	if (plain) {
		buf_addc(b, '"');
		buf_add(b, message, len);
		buf_addc(b, '"');
	} else {
		buf_add_json_string(b, message, len);
	}
}

/* Writes one event as text or raw output. */
static void
write_text(struct ecs_log *lg, int64_t ts, const char *message, size_t len,
    const char *label, const char *color)
{
	struct buf *b = &lg->line;
	char when[32];

	buf_reset(b);
	if (lg->format == OUTPUT_RAW) {
		len = trim_newline(message, len);
		if (lg->terminal)
			text_sanitize(message, len, 1, b);
		else
			buf_add(b, message, len);
	} else {
		timespec_format_ms(ts, when);
		buf_adds(b, when);
		buf_addc(b, ' ');
		if (lg->color)
			buf_adds(b, color);
		text_sanitize(label, strlen(label), 0, b);
		if (lg->color)
			buf_adds(b, "\033[0m");
		buf_addc(b, ' ');
		text_sanitize(message, trim_newline(message, len), 1, b);
	}
	finish_line(lg);
}

/* Appends the members of a logEvent record that follow eventId, and the
 * closing brace. */
static void
add_record_suffix(struct buf *b, const struct log_event_view *ev)
{
	struct source_tag *t = ev->tag;
	char *user;

	add_field(b, "logGroupName", ev->group);
	add_field(b, "logStreamName", ev->stream);
	if (t && t->exec) {
		user = session_user(ev->stream);
		add_field(b, "sessionId", ev->stream);
		add_field(b, "user", user);
		add_field(b, "clusterArn", t->cluster_arn);
		free(user);
	} else if (t) {
		add_field(b, "taskArn", t->task_arn);
		add_field(b, "container", t->container);
	}
	buf_addc(b, '}');
}

static void
emit_log_event(const struct log_event_view *ev, void *data)
{
	struct ecs_log *lg = data;
	struct source_tag *t = ev->tag;
	struct buf *b = &lg->line;
	struct record_suffix *suffix;

	if (lg->format != OUTPUT_JSON) {
		write_text(lg, ev->timestamp, ev->message, ev->message_len,
		    t && !t->exec ? t->label : ev->stream,
		    t && !t->exec ? t->color : label_color(ev->stream));
		return;
	}
	json_begin(lg, ev->timestamp, ev->message, ev->message_len,
	    ev->message_plain);
	if (ev->ingestion_time >= 0) {
		buf_adds(b, ",\"ingestionTime\":");
		add_int(b, ev->ingestion_time);
	}
	add_field(b, "eventId", ev->event_id);
	suffix = t ? &t->suffix : &lg->untagged_suffix;
	if (!suffix->group || strcmp(suffix->group, ev->group) != 0 ||
	    strcmp(suffix->stream, ev->stream) != 0) {
		free(suffix->group);
		free(suffix->stream);
		suffix->group = xstrdup(ev->group);
		suffix->stream = xstrdup(ev->stream);
		buf_reset(&suffix->text);
		add_record_suffix(&suffix->text, ev);
	}
	buf_add(b, suffix->text.data, suffix->text.len);
	finish_line(lg);
}

/* --- targets -------------------------------------------------------------- */

static void
add_spec(struct ecs_log *lg, enum target_spec_kind kind, const char *cluster,
    const char *name, const char *container, jv task)
{
	struct target_spec *sp;

	lg->specs = xrealloc(lg->specs, (lg->n_specs + 1) * sizeof(*lg->specs));
	sp = &lg->specs[lg->n_specs++];
	memset(sp, 0, sizeof(*sp));
	sp->kind = kind;
	sp->cluster = cluster;
	sp->name = name;
	sp->container = container;
	sp->task = task;
	if (kind == SPEC_CLUSTER || kind == SPEC_SERVICE)
		lg->dynamic = 1;
}

/* Adds the spec that one stdin record names, or returns -1 when it names
 * none. The record is borrowed, and lg->records keeps it alive. */
static int
record_spec(struct ecs_log *lg, jv rec)
{
	enum record_kind kind = record_kind(rec);
	const char *cluster = json_str(rec, "clusterArn");
	const char *task = json_str(rec, "taskArn");
	int complete = json_str(rec, "taskDefinitionArn") && task;

	switch (kind) {
	case KIND_CLUSTER:
		add_spec(lg, SPEC_CLUSTER, cluster, NULL, NULL, jv_null());
		return cluster ? 0 : -1;
	case KIND_SERVICE:
		if (!json_str(rec, "serviceArn"))
			return -1;
		add_spec(lg, SPEC_SERVICE, cluster, json_str(rec, "serviceArn"),
		    NULL, jv_null());
		return 0;
	case KIND_TASK:
		if (!task)
			return -1;
		add_spec(lg, SPEC_TASK, cluster, task, NULL,
		    complete ? jv_copy(rec) : jv_null());
		return 0;
	case KIND_CONTAINER:
	case KIND_LOG_EVENT:
		if (!task || !(json_str(rec, "name") ||
				 json_str(rec, "container")))
			return -1;
		add_spec(lg, SPEC_CONTAINER, cluster, task,
		    json_str(rec, kind == KIND_CONTAINER ? "name" : "container"),
		    kind == KIND_CONTAINER && complete ? jv_copy(rec)
						       : jv_null());
		return 0;
	default:
		return -1;
	}
}

static void
read_stdin_specs(struct ecs_log *lg)
{
	struct ndjson_reader r;
	jv rec;
	size_t i;

	lg->records = jv_array();
	ndjson_reader_init(&r, STDIN_FILENO, "stdin");
	while (ndjson_next(&r, &rec, NULL))
		lg->records = jv_array_append(lg->records, rec);
	/* Specs borrow strings from the records, which stay in the array. */
	for (i = 0; i < (size_t)jv_array_length(jv_copy(lg->records)); i++) {
		jv item = jv_array_get(jv_copy(lg->records), (int)i);

		if (record_spec(lg, item) < 0) {
			error("stdin: record %zu is not a cluster, service, "
			      "task or container record with its ARN; skipped "
			      "it",
			    i + 1);
			lg->failed = 1;
		}
		jv_free(item);
	}
	if (r.errors)
		lg->failed = 1;
	ndjson_reader_free(&r);
}

/* Adds the streams of a finished resolution to the reader and, after a
 * rescan that met no error, retires the streams of tasks that are gone. */
static void
resolved(struct target_resolver *tr, void *data)
{
	struct ecs_log *lg = data;
	const struct log_target *targets;
	struct source_tag *t;
	size_t i, n;
	jv keys = jv_object();

	targets = target_resolver_targets(tr, &n);
	for (i = 0; i < n; i++) {
		const struct log_target *lt = &targets[i];

		t = tag_new(lg, lt->task_arn, lt->cluster_arn, lt->container,
		    0);
		t->key = xasprintf("%s|%s|%s", lt->region, lt->group,
		    lt->stream);
		keys = jv_object_set(keys, jv_string(t->key), jv_true());
		if (log_reader_add_stream(lg->reader, lt->region, lt->group,
			lt->stream, t)) {
			t->region = xstrdup(lt->region);
			t->group = xstrdup(lt->group);
			t->stream = xstrdup(lt->stream);
		} else {
			lg->tags = t->next;
			tag_free(t);
		}
	}
	if (target_resolver_failed(tr))
		lg->failed = 1;
	if (target_resolver_complete(tr))
		for (t = lg->tags; t; t = t->next)
			if (t->stream &&
			    !jv_object_has(jv_copy(keys), jv_string(t->key)))
				log_reader_retire_stream(lg->reader, t->region,
				    t->group, t->stream);
	jv_free(keys);
}

static void
start_resolving(struct ecs_log *lg)
{
	target_resolver_start(lg->resolver, lg->specs, lg->n_specs, resolved,
	    lg);
}

/* --- exec session logs ---------------------------------------------------- */

static void
add_bucket(struct ecs_log *lg, const char *region, jv conf,
    const char *cluster_arn)
{
	struct exec_bucket *b;

	lg->buckets = xrealloc(lg->buckets,
	    (lg->n_buckets + 1) * sizeof(*lg->buckets));
	b = &lg->buckets[lg->n_buckets++];
	b->region = xstrdup(region);
	b->bucket = xstrdup(json_str(conf, "s3BucketName"));
	b->prefix = xstrdup(json_str(conf, "s3KeyPrefix")
				? json_str(conf, "s3KeyPrefix")
				: "");
	b->cluster_arn = xstrdup(cluster_arn);
}

/* Finds where one described cluster logs its exec sessions. */
static void
exec_destination(struct ecs_log *lg, const char *region, jv cluster)
{
	const char *arn = json_str(cluster, "clusterArn");
	const char *name = json_str(cluster, "clusterName");
	jv exec = json_path(cluster, "configuration",
	    "executeCommandConfiguration", NULL);
	jv conf = json_path(exec, "logConfiguration", NULL);
	const char *logging = json_str(exec, "logging");
	const char *group = json_str(conf, "cloudWatchLogGroupName");
	const char *bucket = json_str(conf, "s3BucketName");

	if (group) {
		/* ECS writes the same sessions to both destinations when
		 * both are set; the log group can be followed live. */
		log_reader_add_group(lg->reader, region, group,
		    tag_new(lg, NULL, arn, NULL, 1));
	} else if (bucket) {
		if (lg->ro.filter_pattern) {
			error("cluster %s logs ECS Exec sessions to S3 bucket "
			      "%s, where --filter does not apply; drop "
			      "--filter and use grep",
			    name, bucket);
			lg->failed = 1;
		} else {
			add_bucket(lg, region, conf, arn);
		}
	} else {
		/* NOTE: with logging DEFAULT, ECS sends exec output through
		 * the task definition's awslogs settings, not to a
		 * destination named in the cluster. */
		error("cluster %s names no CloudWatch log group or S3 bucket "
		      "for ECS Exec session logs (executeCommandConfiguration "
		      "logging is %s); set logging to OVERRIDE with "
		      "cloudWatchLogGroupName or s3BucketName",
		    name, logging ? logging : "not set");
		lg->failed = 1;
	}
	jv_free(conf);
	jv_free(exec);
}

static void
add_cluster_name(jv *groups, const char *region, const char *cluster)
{
	jv names = jv_object_get(jv_copy(*groups), jv_string(region));

	if (!jv_is_valid(names)) {
		jv_free(names);
		names = jv_array();
	}
	names = jv_array_append(names, jv_string(cluster));
	*groups = jv_object_set(*groups, jv_string(region), names);
}

/* Describes the clusters named by the specs (any record kind names its
 * cluster) and sets up reading their exec session logs. */
static void
setup_exec_sessions(struct ecs_log *lg)
{
	jv groups = jv_object(), regions, seen = jv_object();
	size_t i;
	int k, nk;

	for (i = 0; i < lg->n_specs; i++) {
		const char *c = lg->specs[i].cluster;
		char *region;

		if (!c)
			c = "default";
		if (jv_object_has(jv_copy(seen), jv_string(c)))
			continue;
		seen = jv_object_set(seen, jv_string(c), jv_true());
		region = arn_region(c);
		add_cluster_name(&groups, region ? region : lg->ctx.region, c);
		free(region);
	}
	regions = jv_keys(jv_copy(groups));
	nk = jv_array_length(jv_copy(regions));
	for (k = 0; k < nk; k++) {
		jv region = jv_array_get(jv_copy(regions), k);
		jv names = jv_object_get(jv_copy(groups), jv_copy(region));
		jv in = jv_object(), out, clusters, failures;
		int j, n;

		in = jv_object_set(in, jv_string("clusters"), names);
		in = jv_object_set(in, jv_string("include"),
		    jv_array_append(jv_array(), jv_string("CONFIGURATIONS")));
		out = aws_json_call(&lg->ctx, &aws_ecs, jv_string_value(region),
		    "DescribeClusters", in);
		if (!jv_is_valid(out)) {
			lg->failed = 1;
			jv_free(out);
			jv_free(region);
			continue;
		}
		clusters = jv_object_get(jv_copy(out), jv_string("clusters"));
		n = jv_array_length(jv_copy(clusters));
		for (j = 0; j < n; j++) {
			jv c = jv_array_get(jv_copy(clusters), j);

			exec_destination(lg, jv_string_value(region), c);
			jv_free(c);
		}
		failures = jv_object_get(jv_copy(out), jv_string("failures"));
		n = jv_get_kind(failures) == JV_KIND_ARRAY
			? jv_array_length(jv_copy(failures))
			: 0;
		for (j = 0; j < n; j++) {
			jv f = jv_array_get(jv_copy(failures), j);

			error("DescribeClusters: cluster %s: %s",
			    json_str(f, "arn") ? json_str(f, "arn") : "?",
			    json_str(f, "reason") &&
				    strcmp(json_str(f, "reason"), "MISSING") ==
					0
				? "not found"
				: (json_str(f, "reason") ? json_str(f, "reason")
							  : "failed"));
			lg->failed = 1;
			jv_free(f);
		}
		jv_free(failures);
		jv_free(clusters);
		jv_free(out);
		jv_free(region);
	}
	jv_free(regions);
	jv_free(groups);
	jv_free(seen);
}

/* The session ID of an exec log object: its file name without ".log". */
static char *
object_session(const char *key)
{
	const char *base = str_last_segment(key);
	size_t n = strlen(base);

	if (n > 4 && strcmp(base + n - 4, ".log") == 0)
		n -= 4;
	return xstrndup(base, n);
}

static void
ring_push(struct ecs_log *lg, const char *line, size_t len)
{
	size_t cap = (size_t)lg->ro.tail;

	if (!lg->ring)
		lg->ring = xcalloc(cap, sizeof(*lg->ring));
	if (lg->ring_len == cap) {
		free(lg->ring[lg->ring_start]);
		lg->ring_start = (lg->ring_start + 1) % cap;
		lg->ring_len--;
	}
	lg->ring[(lg->ring_start + lg->ring_len) % cap] = xstrndup(line, len);
	lg->ring_len++;
}

static void
ring_flush(struct ecs_log *lg)
{
	size_t cap = (size_t)lg->ro.tail;

	while (lg->ring_len > 0) {
		char *line = lg->ring[lg->ring_start];

		out_line(line, strlen(line));
		free(line);
		lg->ring_start = (lg->ring_start + 1) % cap;
		lg->ring_len--;
	}
}

/* Prints one line of an exec session object. */
static void
emit_s3_line(struct ecs_log *lg, const struct s3_entry *e,
    const char *session, const char *user, const char *raw, size_t len)
{
	/* jv_string_sized replaces invalid UTF-8, so the record is valid
	 * JSON whatever the session printed. */
	jv s = jv_string_sized(raw, (int)len);
	const char *text = jv_string_value(s);
	size_t n = (size_t)jv_string_length_bytes(jv_copy(s));
	int64_t ts = e->object.last_modified_ms;

	if (lg->format != OUTPUT_JSON) {
		write_text(lg, ts, text, n, session, label_color(session));
		jv_free(s);
		return;
	}
	json_begin(lg, ts, text, n, 0);
	add_field(&lg->line, "sessionId", session);
	add_field(&lg->line, "user", user);
	add_field(&lg->line, "clusterArn", e->bucket->cluster_arn);
	add_field(&lg->line, "s3Bucket", e->bucket->bucket);
	add_field(&lg->line, "s3Key", e->object.key);
	buf_addc(&lg->line, '}');
	finish_line(lg);
	jv_free(s);
}

/* Reads one exec log object in chunks and prints it line by line. */
static int
print_object(struct ecs_log *lg, const struct s3_entry *e)
{
	struct buf data = BUF_INIT;
	char *session = object_session(e->object.key);
	char *user = session_user(session);
	long long off;
	int rc = 0;

	for (off = 0; off < e->object.size && rc == 0; off += S3_CHUNK) {
		long long n = e->object.size - off < S3_CHUNK
				  ? e->object.size - off
				  : S3_CHUNK;
		size_t start = 0;
		char *nl;

		rc = s3_get_range(&lg->ctx, e->bucket->region,
		    e->bucket->bucket, e->object.key, off, n, &data);
		while (rc == 0 && (nl = memchr(data.data + start, '\n',
				       data.len - start))) {
			emit_s3_line(lg, e, session, user, data.data + start,
			    (size_t)(nl - (data.data + start)));
			start = (size_t)(nl - data.data) + 1;
		}
		buf_consume(&data, start);
	}
	if (rc == 0 && data.len > 0)
		emit_s3_line(lg, e, session, user, data.data, data.len);
	free(session);
	free(user);
	buf_free(&data);
	return rc;
}

static int
compare_entries(const void *a, const void *b)
{
	const struct s3_entry *x = a, *y = b;

	if (x->object.last_modified_ms != y->object.last_modified_ms)
		return x->object.last_modified_ms < y->object.last_modified_ms
			   ? -1
			   : 1;
	return strcmp(x->object.key, y->object.key);
}

/* Lists every exec log object in the window that was not printed yet. */
static int
list_exec_objects(struct ecs_log *lg, struct s3_entry **out, size_t *n_out)
{
	struct s3_entry *entries = NULL;
	size_t n = 0, cap = 0, i, j;
	int rc = 0;

	for (i = 0; i < lg->n_buckets && rc == 0; i++) {
		struct exec_bucket *b = &lg->buckets[i];
		char *token = NULL;

		do {
			struct s3_list_page page;

			rc = s3_list_objects(&lg->ctx, b->region, b->bucket,
			    b->prefix, token, &page);
			free(token);
			token = page.next_token;
			page.next_token = NULL;
			for (j = 0; j < page.n; j++) {
				struct s3_object *o = &page.objects[j];
				int64_t t = o->last_modified_ms;

				if ((lg->ro.has_start && t < lg->ro.start_ms) ||
				    (lg->ro.has_end && t >= lg->ro.end_ms) ||
				    jv_object_has(jv_copy(lg->s3_seen),
					jv_string(o->key))) {
					free(o->key);
					free(o->etag);
					continue;
				}
				if (n == cap) {
					cap = cap ? cap * 2 : 32;
					entries = xrealloc(entries,
					    cap * sizeof(*entries));
				}
				entries[n].object = *o;
				entries[n++].bucket = b;
			}
			page.n = 0;
			s3_list_page_free(&page);
		} while (rc == 0 && token);
		free(token);
	}
	if (n > 1)
		qsort(entries, n, sizeof(*entries), compare_entries);
	*out = entries;
	*n_out = n;
	return rc;
}

/* Prints the exec log objects not printed yet; the first time with
 * --tail, only the last N lines. */
static void
read_exec_objects(struct ecs_log *lg)
{
	struct s3_entry *entries;
	size_t n, i;

	if (list_exec_objects(lg, &entries, &n) < 0)
		lg->failed = 1;
	for (i = 0; i < n; i++) {
		if (print_object(lg, &entries[i]) < 0)
			lg->failed = 1;
		if (lg->follow)
			lg->s3_seen = jv_object_set(lg->s3_seen,
			    jv_string(entries[i].object.key), jv_true());
		free(entries[i].object.key);
		free(entries[i].object.etag);
	}
	free(entries);
	if (lg->to_ring) {
		lg->to_ring = 0;
		ring_flush(lg);
	}
}

/* --- main loop -------------------------------------------------------------- */

/* The signal (SIGINT or SIGTERM) that stops a follow. The loop then lets
 * the requests in flight finish, and the program exits with 128 plus the
 * signal number, the status a shell reports for a killed command. */
static volatile sig_atomic_t stop_signal;

static void
on_stop_signal(int sig)
{
	stop_signal = sig;
	/* A second signal ends the program at once. */
	signal(sig, SIG_DFL);
}

static void
catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Waits up to timeout_ms for responses, or sleeps when none is pending. */
static void
wait_for_work(struct ecs_log *lg, int64_t timeout_ms)
{
	if (timeout_ms < 0 || timeout_ms > 1000)
		timeout_ms = 1000;
	if (log_reader_in_flight(lg->reader) > 0 ||
	    target_resolver_running(lg->resolver))
		aws_run(&lg->ctx, (int)timeout_ms);
	else if (timeout_ms > 0)
		poll(NULL, 0, (int)timeout_ms);
}

static void
run(struct ecs_log *lg)
{
	int64_t rescan_ms = lg->ro.poll_max_ms * 2;

	lg->next_rescan_ms = monotonic_ms() + rescan_ms;
	while (!stop_signal) {
		int64_t now, wait = log_reader_step(lg->reader);

		now = monotonic_ms();
		if (lg->follow && (lg->dynamic || lg->n_buckets > 0) &&
		    now >= lg->next_rescan_ms &&
		    !target_resolver_running(lg->resolver)) {
			lg->next_rescan_ms = now + rescan_ms;
			if (lg->n_buckets > 0)
				read_exec_objects(lg);
			if (lg->dynamic && !lg->exec_sessions)
				start_resolving(lg);
		}
		if (!lg->follow && log_reader_done(lg->reader) &&
		    !target_resolver_running(lg->resolver))
			break;
		if (lg->follow && !lg->dynamic && lg->n_buckets == 0 &&
		    log_reader_done(lg->reader))
			break;
		out_flush();
		if (lg->follow && (lg->dynamic || lg->n_buckets > 0) &&
		    (wait < 0 || lg->next_rescan_ms - now < wait))
			wait = lg->next_rescan_ms - now;
		wait_for_work(lg, wait);
	}
	if (stop_signal) {
		/* Requests still in flight own memory that their callbacks
		 * free; let them finish without starting others. */
		log_reader_stop(lg->reader);
		while (log_reader_in_flight(lg->reader) > 0 ||
		    target_resolver_running(lg->resolver))
			aws_run(&lg->ctx, 1000);
	}
	out_flush();
}

static void
parse_time_option(struct ecs_log *lg, const char *name, const char *arg,
    int64_t *out)
{
	struct buf err = BUF_INIT;

	if (timespec_parse(arg, lg->now_ms, out, &err) < 0)
		die_usage("%s: %s", name, err.data);
	buf_free(&err);
}

static void
free_all(struct ecs_log *lg)
{
	size_t i;

	log_reader_free(lg->reader);
	target_resolver_free(lg->resolver);
	tags_free(lg);
	for (i = 0; i < lg->n_buckets; i++) {
		free(lg->buckets[i].region);
		free(lg->buckets[i].bucket);
		free(lg->buckets[i].prefix);
		free(lg->buckets[i].cluster_arn);
	}
	free(lg->buckets);
	for (i = 0; i < lg->ring_len; i++)
		free(lg->ring[(lg->ring_start + i) % (size_t)lg->ro.tail]);
	free(lg->ring);
	for (i = 0; i < lg->n_specs; i++)
		jv_free(lg->specs[i].task);
	free(lg->specs);
	jv_free(lg->records);
	jv_free(lg->s3_seen);
	buf_free(&lg->line);
	record_suffix_free(&lg->untagged_suffix);
	aws_ctx_free(&lg->ctx);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    CLI_COMMON_LONG,
	    {"cluster", required_argument, NULL, 'c'},
	    {"service", required_argument, NULL, 's'},
	    {"task", required_argument, NULL, 't'},
	    {"container", required_argument, NULL, OPT_CONTAINER},
	    {"since", required_argument, NULL, OPT_SINCE},
	    {"until", required_argument, NULL, OPT_UNTIL},
	    {"tail", required_argument, NULL, 'n'},
	    {"follow", no_argument, NULL, 'f'},
	    {"poll", required_argument, NULL, OPT_POLL},
	    {"filter", required_argument, NULL, OPT_FILTER},
	    {"output", required_argument, NULL, 'o'},
	    {"exec-sessions", no_argument, NULL, OPT_EXEC_SESSIONS},
	    {"log-group", required_argument, NULL, OPT_LOG_GROUP},
	    {"log-stream", required_argument, NULL, OPT_LOG_STREAM},
	    {NULL, 0, NULL, 0},
	};
	struct cli_common common = {0};
	struct aws_options ao;
	struct ecs_log lg;
	struct buf err = BUF_INIT;
	const char *format = NULL, *since = NULL, *until = NULL;
	const char *cluster = NULL, **services = NULL, **tasks = NULL;
	const char *log_group = NULL, **log_streams = NULL;
	size_t n_services = 0, n_tasks = 0, n_log_streams = 0, n_targets, i;
	double poll_seconds = 5;
	long tail = 0;
	char *end;
	int c;

	cli_setup(argc, argv);
	memset(&lg, 0, sizeof(lg));
	lg.records = jv_null();
	lg.s3_seen = jv_object();
	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "c:s:t:n:fo:",
		    longopts, NULL)) != -1) {
		if (cli_common_option(&common, c, optarg, usage))
			continue;
		switch (c) {
		case 'c':
			if (cluster)
				die_usage("--cluster can be given only once. "
					  "For more clusters, pipe cluster "
					  "records into ecs-log");
			cluster = optarg;
			break;
		case 's':
			services = xrealloc(services,
			    (n_services + 1) * sizeof(*services));
			services[n_services++] = optarg;
			break;
		case 't':
			tasks = xrealloc(tasks, (n_tasks + 1) * sizeof(*tasks));
			tasks[n_tasks++] = optarg;
			break;
		case OPT_CONTAINER:
			lg.to.container = optarg;
			break;
		case OPT_SINCE:
			since = optarg;
			break;
		case OPT_UNTIL:
			until = optarg;
			break;
		case 'n':
			if (parse_long(optarg, 1, 10000000, &tail) < 0)
				die_usage("invalid --tail \"%s\": expected a "
					  "number of events from 1 to "
					  "10000000",
				    optarg);
			break;
		case 'f':
			lg.follow = 1;
			break;
		case OPT_POLL:
			poll_seconds = strtod(optarg, &end);
			if (end == optarg || *end || poll_seconds < 0.1 ||
			    poll_seconds > 3600)
				die_usage("invalid --poll \"%s\": expected "
					  "seconds from 0.1 to 3600",
				    optarg);
			break;
		case OPT_FILTER:
			lg.ro.filter_pattern = optarg;
			break;
		case 'o':
			format = optarg;
			break;
		case OPT_EXEC_SESSIONS:
			lg.exec_sessions = 1;
			break;
		case OPT_LOG_GROUP:
			if (log_group)
				die_usage("--log-group can be given only once");
			log_group = optarg;
			break;
		case OPT_LOG_STREAM:
			log_streams = xrealloc(log_streams,
			    (n_log_streams + 1) * sizeof(*log_streams));
			log_streams[n_log_streams++] = optarg;
			break;
		default:
			die_usage("unexpected option");
		}
	}
	if (optind < argc)
		die_usage("unexpected argument \"%s\"", argv[optind]);
	if (lg.follow && until)
		die_usage("--until cannot be combined with --follow");
	if (lg.exec_sessions && (lg.to.container || n_services || n_tasks))
		die_usage("--exec-sessions cannot be combined with "
			  "--service, --task or --container, because it reads "
			  "whole clusters: give --cluster or cluster records");
	if (n_log_streams && !log_group)
		die_usage("--log-stream needs --log-group, the group that "
			  "contains the stream");
	if (log_group && (cluster || n_services || n_tasks ||
			     lg.to.container || lg.exec_sessions))
		die_usage("--log-group cannot be combined with --cluster, "
			  "--service, --task, --container or --exec-sessions, "
			  "because it reads the group without looking up "
			  "tasks");
	lg.terminal = stdout_is_terminal();
	lg.format = format ? output_parse(format, 1u << OUTPUT_JSON |
							  1u << OUTPUT_TEXT |
							  1u << OUTPUT_RAW)
			   : (lg.terminal ? OUTPUT_TEXT : OUTPUT_JSON);
	lg.color = lg.format == OUTPUT_TEXT && output_color_enabled();
	text_init();

	if (timespec_now("ECS_LOG_NOW", &lg.now_ms, &err) < 0)
		die("%s", err.data);
	if (since) {
		parse_time_option(&lg, "--since", since, &lg.ro.start_ms);
		lg.ro.has_start = 1;
	}
	if (until) {
		parse_time_option(&lg, "--until", until, &lg.ro.end_ms);
		lg.ro.has_end = 1;
	}
	if (since && until && lg.ro.end_ms <= lg.ro.start_ms)
		die_usage("invalid --until %s: it is not after --since %s",
		    until, since);
	lg.ro.follow = lg.follow;
	lg.ro.tail = tail;
	lg.ro.poll_max_ms = (int64_t)(poll_seconds * 1000);
	lg.ro.missing_is_error = log_group != NULL;
	lg.to.has_since = lg.ro.has_start;
	lg.to.since_ms = lg.ro.start_ms;
	lg.to.has_until = lg.ro.has_end;
	lg.to.until_ms = lg.ro.end_ms;

	for (i = 0; i < n_services; i++)
		add_spec(&lg, SPEC_SERVICE, cluster, services[i], NULL,
		    jv_null());
	for (i = 0; i < n_tasks; i++)
		add_spec(&lg, SPEC_TASK, cluster, tasks[i], NULL, jv_null());
	if (cluster && !n_services && !n_tasks)
		add_spec(&lg, SPEC_CLUSTER, cluster, NULL, NULL, jv_null());
	if (lg.n_specs == 0 && !log_group) {
		if (isatty(STDIN_FILENO))
			die_usage("missing target: give --cluster, --service "
				  "or --task, or pipe records from ecs-ls");
		read_stdin_specs(&lg);
		if (lg.n_specs == 0 && !lg.failed)
			die_usage("missing target: stdin has no records, so "
				  "give --cluster, --service or --task");
	}
	free(services);
	free(tasks);

	cli_aws_options(&common, &ao);
	ao.need_region = 1;
	aws_ctx_init(&lg.ctx, &ao);
	for (i = 0; i < lg.n_specs; i++)
		lg.specs[i].region = lg.ctx.region;
	if (lg.follow) {
		out_set_flush_each(1);
		catch_stop_signals();
	}
	lg.reader = log_reader_new(&lg.ctx, &lg.ro, emit_log_event, &lg);
	lg.resolver = target_resolver_new(&lg.ctx, &lg.to);

	if (log_group) {
		/* Events of these sources carry no tag: no task or container
		 * is known for them. */
		for (i = 0; i < n_log_streams; i++)
			log_reader_add_stream(lg.reader, lg.ctx.region,
			    log_group, log_streams[i], NULL);
		if (n_log_streams == 0)
			log_reader_add_group(lg.reader, lg.ctx.region,
			    log_group, NULL);
	} else if (lg.exec_sessions) {
		lg.dynamic = 0;
		setup_exec_sessions(&lg);
		lg.to_ring = tail > 0;
		if (lg.n_buckets > 0)
			read_exec_objects(&lg);
	} else {
		start_resolving(&lg);
		while (target_resolver_running(lg.resolver))
			aws_run(&lg.ctx, 1000);
		target_resolver_targets(lg.resolver, &n_targets);
		if (n_targets == 0 && !target_resolver_complete(lg.resolver))
			lg.follow = 0;	/* nothing to follow: report and exit */
		else if (n_targets == 0 && !lg.failed && !lg.follow)
			warning("found no container log streams: services and "
				"clusters count their running tasks, and their "
				"stopped tasks only with --since");
	}
	run(&lg);

	if (log_reader_failed(lg.reader))
		lg.failed = 1;
	free(log_streams);
	free_all(&lg);
	buf_free(&err);
	if (stop_signal)
		return 128 + stop_signal;
	return lg.failed ? EXIT_RUNTIME : EXIT_OK;
}
