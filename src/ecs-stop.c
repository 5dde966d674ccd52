/* ecs-stop: stops ECS tasks named by records on stdin, after showing how
 * many and which services they belong to and asking on the terminal. */
#include <getopt.h>
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
    "Usage: ecs-stop [OPTIONS]\n"
    "Stop the ECS tasks named by task or container records on stdin, or\n"
    "by --cluster and --task (stdin is then not read), after showing the\n"
    "count and their services and asking on the terminal. Prints the\n"
    "stopped task records.\n"
    "\n"
    "Options:\n"
    "  -c, --cluster NAME        cluster of the --task ids (default: the\n"
    "                            default cluster)\n"
    "  -t, --task ID             this task (id or ARN; repeatable)\n"
    "      --reason TEXT         the reason ECS records with the stop (at\n"
    "                            most 255 characters)\n"
    "      --dry-run             print the tasks that would be stopped and\n"
    "                            stop nothing\n"
    "  -y, --yes                 do not ask for confirmation\n"
    "  -o, --output FMT          json or table (default: table on a\n"
    "                            terminal, json otherwise)\n"
    "  -p, --profile NAME        AWS profile\n"
    "  -r, --region REGION       AWS region\n"
    "      --endpoint-url URL    send every request to URL\n"
    "      --debug               log requests and timings to stderr\n"
    "  -h, --help                show this help\n"
    "  -V, --version             show the version\n"
    "\n"
    "Tasks that are already stopping (desiredStatus STOPPED) are not\n"
    "stopped again; their records are printed as they are.\n"
    "\n"
    "Read-only mode (ECS_READ_ONLY=1, or read_only = true in\n"
    "~/.config/ecs-tools/config) rejects the stop; --dry-run still works.\n"
    "\n"
    "Exit status: 0 success; 1 AWS or network error, a task that was not\n"
    "found or not stopped, read-only mode, or an answer other than yes;\n"
    "2 usage error, or no terminal to ask on without --yes.\n";

/* ECS keeps at most this many characters of a stop reason. */
#define MAX_REASON 255
/* Tasks listed one by one in the confirmation; the rest are counted. */
#define MAX_LISTED 20

enum {
	OPT_REASON = OPT_PROGRAM,
	OPT_DRY_RUN,
};

enum task_state {
	TASK_NEW,
	TASK_STOPPING,	/* desiredStatus is STOPPED already */
	TASK_STOP,	/* to be stopped */
	TASK_FAILED,
	TASK_STOPPED,
};

struct task {
	char *region;
	char *cluster;		/* name or ARN; NULL: the default cluster */
	char *id;		/* task id or ARN */
	enum task_state state;
	jv described;
	jv stopped;		/* the StopTask reply's task */
	struct stop *stop;
};

struct stop {
	struct aws_ctx ctx;
	enum output_format format;
	const char *reason;
	int dry_run;
	int yes;
	const char *cluster;
	const char **task_ids;
	size_t n_task_ids;

	struct task *tasks;
	size_t n_tasks;
	jv seen;
	int failed;
};

static int
stdin_is_input(void)
{
	struct stat st;

	if (fstat(STDIN_FILENO, &st) < 0)
		return 0;
	return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ||
	       S_ISREG(st.st_mode);
}

static const char *
cluster_short(const struct task *t)
{
	const char *c = json_str(t->described, "clusterArn");

	if (c)
		return arn_short(c);
	return t->cluster ? arn_short(t->cluster) : "default";
}

/* The service a task belongs to, from its group "service:NAME", or NULL. */
static const char *
task_service(jv task)
{
	const char *group = json_str(task, "group");

	if (group && str_starts_with(group, "service:"))
		return group + 8;
	return NULL;
}

/* --- targets ----------------------------------------------------------- */

static void
add_task(struct stop *s, const char *region, const char *cluster,
    const char *id)
{
	struct task *t;
	char *key = xasprintf("%s|%s", region, arn_short(id));
	jv k = jv_string(key);

	free(key);
	if (jv_object_has(jv_copy(s->seen), jv_copy(k))) {
		jv_free(k);
		return;
	}
	s->seen = jv_object_set(s->seen, k, jv_true());
	s->tasks = xrealloc(s->tasks, (s->n_tasks + 1) * sizeof(*s->tasks));
	t = &s->tasks[s->n_tasks++];
	memset(t, 0, sizeof(*t));
	t->region = xstrdup(region);
	t->cluster = cluster ? xstrdup(cluster) : NULL;
	t->id = xstrdup(id);
	t->described = jv_null();
	t->stopped = jv_null();
	t->stop = s;
}

/* A task named by ARN; the old ARN format has no cluster, so the
 * record's clusterArn or --cluster supplies it. */
static void
add_task_arn(struct stop *s, const char *arn, const char *cluster_arn)
{
	char *region = arn_region(arn);
	char *cluster = cluster_arn ? xstrdup(cluster_arn)
				    : arn_cluster_name(arn);

	if (!cluster && s->cluster)
		cluster = xstrdup(s->cluster);
	add_task(s, region ? region : s->ctx.region, cluster, arn);
	free(cluster);
	free(region);
}

static void
read_stdin(struct stop *s)
{
	struct ndjson_reader r;
	jv rec;

	ndjson_reader_init(&r, STDIN_FILENO, "stdin");
	while (ndjson_next(&r, &rec, NULL) == 1) {
		enum record_kind kind = record_kind(rec);
		const char *arn = json_str(rec, "taskArn");

		if (arn && (kind == KIND_TASK || kind == KIND_CONTAINER)) {
			add_task_arn(s, arn, json_str(rec, "clusterArn"));
		} else {
			error("stdin:%ld: not a task or container record (kind "
			      "%s); pipe the output of `ecs-ls tasks`",
			    r.line_no,
			    record_kind_name(kind) ? record_kind_name(kind)
						   : "unknown");
			s->failed = 1;
		}
		jv_free(rec);
	}
	if (r.errors)
		s->failed = 1;
	ndjson_reader_free(&r);
}

/* --- describing -------------------------------------------------------- */

static int
same_cluster(const struct task *a, const struct task *b)
{
	const char *ca = a->cluster ? arn_short(a->cluster) : "default";
	const char *cb = b->cluster ? arn_short(b->cluster) : "default";

	return strcmp(a->region, b->region) == 0 && strcmp(ca, cb) == 0;
}

static void
describe_group(struct stop *s, size_t first, int *grouped)
{
	struct task *lead = &s->tasks[first];
	jv names = jv_array(), input, objects, failures;
	size_t i;
	int j, n;

	for (i = first; i < s->n_tasks; i++)
		if (!grouped[i] && same_cluster(lead, &s->tasks[i])) {
			grouped[i] = 1;
			names = jv_array_append(names,
			    jv_string(s->tasks[i].id));
		}
	input = jv_object_set(jv_object(), jv_string("cluster"),
	    jv_string(lead->cluster ? lead->cluster : "default"));
	objects = ecs_describe_all(&s->ctx, lead->region,
	    &ecs_describe_tasks, input, names, &failures);
	n = jv_is_valid(objects) ? jv_array_length(jv_copy(objects)) : 0;
	for (i = first; i < s->n_tasks; i++) {
		struct task *t = &s->tasks[i];

		if (t->state != TASK_NEW || !same_cluster(lead, t))
			continue;
		for (j = 0; j < n; j++) {
			jv obj = jv_array_get(jv_copy(objects), j);
			const char *arn = json_str(obj, "taskArn");

			if (arn && strcmp(arn_short(arn), arn_short(t->id)) ==
				       0) {
				t->described = obj;
				break;
			}
			jv_free(obj);
		}
		if (j < n)
			continue;
		if (jv_is_valid(objects))
			error("%s/%s: task not found; it may have stopped "
			      "long ago, or the cluster is wrong (--cluster)",
			    cluster_short(t), arn_short(t->id));
		t->state = TASK_FAILED;
		s->failed = 1;
	}
	jv_free(objects);
	jv_free(failures);
}

static void
describe_tasks(struct stop *s)
{
	int *grouped = xcalloc(s->n_tasks + 1, sizeof(*grouped));
	size_t i;

	for (i = 0; i < s->n_tasks; i++)
		if (!grouped[i])
			describe_group(s, i, grouped);
	free(grouped);
	for (i = 0; i < s->n_tasks; i++) {
		struct task *t = &s->tasks[i];
		const char *desired = json_str(t->described, "desiredStatus");

		if (t->state != TASK_NEW)
			continue;
		if (desired && strcmp(desired, "STOPPED") == 0) {
			warning("%s/%s: desiredStatus is already STOPPED (lastStatus "
				"%s); not stopped again",
			    cluster_short(t), arn_short(t->id),
			    json_str(t->described, "lastStatus")
				? json_str(t->described, "lastStatus")
				: "unknown");
			t->state = TASK_STOPPING;
		} else {
			t->state = TASK_STOP;
		}
	}
}

/* --- showing ----------------------------------------------------------- */

static size_t
count_state(const struct stop *s, enum task_state state)
{
	size_t i, n = 0;

	for (i = 0; i < s->n_tasks; i++)
		n += s->tasks[i].state == state;
	return n;
}

static void
describe_task(const struct task *t, struct buf *b)
{
	const char *service = task_service(t->described);
	const char *status = json_str(t->described, "lastStatus");
	const char *td = json_str(t->described, "taskDefinitionArn");

	buf_addf(b, "  %s/%s  %s  %s  %s\n", cluster_short(t),
	    arn_short(t->id), status ? status : "-", td ? arn_short(td) : "-",
	    service ? service : "(no service)");
}

/* "services: web (2), worker (1); without a service: 1", with the
 * services in first-seen order. */
static void
describe_services(const struct stop *s, struct buf *b)
{
	jv counts = jv_object(), order = jv_array(), keys;
	size_t i, standalone = 0;
	int j, n;

	for (i = 0; i < s->n_tasks; i++) {
		const struct task *t = &s->tasks[i];
		const char *service;
		char *key;
		jv k, c;

		if (t->state != TASK_STOP)
			continue;
		service = task_service(t->described);
		if (!service) {
			standalone++;
			continue;
		}
		key = xasprintf("%s/%s", cluster_short(t), service);
		k = jv_string(key);
		free(key);
		c = jv_object_get(jv_copy(counts), jv_copy(k));
		if (!jv_is_valid(c))
			order = jv_array_append(order, jv_copy(k));
		counts = jv_object_set(counts, k,
		    jv_number((jv_is_valid(c) ? jv_number_value(c) : 0) + 1));
		jv_free(c);
	}
	keys = order;
	n = jv_array_length(jv_copy(keys));
	buf_adds(b, n ? "Services: " : "Services: none");
	for (j = 0; j < n; j++) {
		jv k = jv_array_get(jv_copy(keys), j);
		jv c = jv_object_get(jv_copy(counts), jv_copy(k));

		buf_addf(b, "%s%s (%.0f)", j ? ", " : "", jv_string_value(k),
		    jv_number_value(c));
		jv_free(k);
		jv_free(c);
	}
	if (standalone)
		buf_addf(b, "; without a service: %zu", standalone);
	buf_addc(b, '\n');
	jv_free(keys);
	jv_free(counts);
}

/* The task list and the services, after a first line such as "Would
 * stop" and the count. */
static void
summary(const struct stop *s, const char *opening, struct buf *b)
{
	size_t i, listed = 0, n = count_state(s, TASK_STOP);

	buf_addf(b, "%s %zu task%s:\n", opening, n, n == 1 ? "" : "s");
	for (i = 0; i < s->n_tasks; i++) {
		if (s->tasks[i].state != TASK_STOP)
			continue;
		if (listed++ < MAX_LISTED)
			describe_task(&s->tasks[i], b);
	}
	if (listed > MAX_LISTED)
		buf_addf(b, "  ... and %zu more\n", listed - MAX_LISTED);
	describe_services(s, b);
}

static void
dry_run(struct stop *s)
{
	size_t i;

	if (s->format == OUTPUT_TABLE) {
		struct buf text = BUF_INIT, clean = BUF_INIT;

		if (count_state(s, TASK_STOP) == 0)
			return;
		summary(s, "Would stop", &text);
		text_sanitize(text.data, text.len, 1, &clean);
		out_raw(clean.data, clean.len);
		buf_free(&text);
		buf_free(&clean);
		return;
	}
	for (i = 0; i < s->n_tasks; i++)
		if (s->tasks[i].state == TASK_STOP)
			out_record(record_with_kind("task",
			    jv_copy(s->tasks[i].described)));
}

static int
confirm(struct stop *s)
{
	struct buf text = BUF_INIT, question = BUF_INIT, opening = BUF_INIT;
	size_t n = count_state(s, TASK_STOP);
	int yes;

	buf_addf(&opening, "%s: about to stop", program_name);
	summary(s, opening.data, &text);
	buf_free(&opening);
	buf_addf(&question, "Stop %zu task%s?", n, n == 1 ? "" : "s");
	yes = guard_confirm(text.data, question.data);
	buf_free(&text);
	buf_free(&question);
	return yes;
}

/* --- stopping ---------------------------------------------------------- */

static void
stop_done(struct aws_request *req)
{
	struct task *t = req->data;

	if (req->failed) {
		struct buf msg = BUF_INIT;

		aws_error_format(req, &msg);
		error("%s/%s: %s", cluster_short(t), arn_short(t->id),
		    msg.data);
		buf_free(&msg);
		t->state = TASK_FAILED;
		t->stop->failed = 1;
	} else {
		jv out = aws_request_take_output(req);

		t->stopped = json_path(out, "task", NULL);
		jv_free(out);
		t->state = TASK_STOPPED;
	}
	aws_request_free(req);
}

static void
stop_tasks(struct stop *s)
{
	size_t i;

	for (i = 0; i < s->n_tasks; i++) {
		struct task *t = &s->tasks[i];
		jv input;

		if (t->state != TASK_STOP)
			continue;
		input = jv_object_set(jv_object(), jv_string("cluster"),
		    json_path(t->described, "clusterArn", NULL));
		input = jv_object_set(input, jv_string("task"),
		    jv_string(json_str(t->described, "taskArn")));
		if (s->reason)
			input = jv_object_set(input, jv_string("reason"),
			    jv_string(s->reason));
		aws_submit(aws_json_request(&s->ctx, &aws_ecs, t->region,
			       "StopTask", input),
		    stop_done, t);
	}
	aws_run_all(&s->ctx);
}

static void
print_tasks(struct stop *s)
{
	struct recview *view = NULL;
	size_t i;

	if (s->format == OUTPUT_TABLE)
		view = recview_new(KIND_TASK);
	for (i = 0; i < s->n_tasks; i++) {
		struct task *t = &s->tasks[i];
		jv rec;

		if (t->state == TASK_STOPPED)
			rec = record_with_kind("task", jv_copy(t->stopped));
		else if (t->state == TASK_STOPPING)
			rec = record_with_kind("task", jv_copy(t->described));
		else
			continue;
		if (view) {
			recview_add(view, rec);
			jv_free(rec);
		} else {
			out_record(rec);
		}
	}
	if (view) {
		if (recview_rows(view) > 0)
			recview_print(view, terminal_columns(),
			    output_color_enabled());
		recview_free(view);
	}
}

/* --- options ----------------------------------------------------------- */

static void
parse_options(struct stop *s, int argc, char **argv,
    struct cli_common *common)
{
	static const struct option longopts[] = {
	    CLI_COMMON_LONG,
	    {"cluster", required_argument, NULL, 'c'},
	    {"task", required_argument, NULL, 't'},
	    {"output", required_argument, NULL, 'o'},
	    {"yes", no_argument, NULL, 'y'},
	    {"reason", required_argument, NULL, OPT_REASON},
	    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
	    {NULL, 0, NULL, 0},
	};
	const char *format = NULL;
	int c;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "c:t:o:y",
		    longopts, NULL)) != -1) {
		if (cli_common_option(common, c, optarg, usage))
			continue;
		switch (c) {
		case 'c':
			if (!*optarg)
				die_usage("--cluster needs a cluster name");
			s->cluster = optarg;
			break;
		case 't':
			if (!*optarg)
				die_usage("--task needs a task id");
			s->task_ids = xrealloc(s->task_ids,
			    (s->n_task_ids + 1) * sizeof(*s->task_ids));
			s->task_ids[s->n_task_ids++] = optarg;
			break;
		case 'o':
			format = optarg;
			break;
		case 'y':
			s->yes = 1;
			break;
		case OPT_REASON:
			if (!*optarg || strlen(optarg) > MAX_REASON)
				die_usage("invalid --reason: expected 1 to %d "
					  "characters, got %zu",
				    MAX_REASON, strlen(optarg));
			s->reason = optarg;
			break;
		case OPT_DRY_RUN:
			s->dry_run = 1;
			break;
		default:
			die_usage("unexpected option");
		}
	}
	if (optind < argc)
		die_usage("unexpected argument \"%s\"", argv[optind]);
	if (s->cluster && s->n_task_ids == 0)
		die_usage("--cluster needs --task: ecs-stop does not stop "
			  "every task of a cluster");
	s->format = format ? output_parse(format, 1u << OUTPUT_JSON |
						      1u << OUTPUT_TABLE)
			   : output_default();
}

static void
stop_free(struct stop *s)
{
	size_t i;

	for (i = 0; i < s->n_tasks; i++) {
		free(s->tasks[i].region);
		free(s->tasks[i].cluster);
		free(s->tasks[i].id);
		jv_free(s->tasks[i].described);
		jv_free(s->tasks[i].stopped);
	}
	free(s->tasks);
	free(s->task_ids);
	jv_free(s->seen);
}

int
main(int argc, char **argv)
{
	struct cli_common common = {0};
	struct aws_options ao;
	struct stop s;
	size_t i;
	int status;

	cli_setup(argc, argv);
	text_init();
	memset(&s, 0, sizeof(s));
	s.seen = jv_object();
	parse_options(&s, argc, argv, &common);
	if (!s.dry_run)
		guard_require_writable("stop tasks");

	cli_aws_options(&common, &ao);
	ao.need_region = 1;
	aws_ctx_init(&s.ctx, &ao);
	for (i = 0; i < s.n_task_ids; i++) {
		const char *id = s.task_ids[i];

		if (str_starts_with(id, "arn:"))
			add_task_arn(&s, id, s.cluster);
		else
			add_task(&s, s.ctx.region, s.cluster, id);
	}
	/* With --task, stdin is left alone: in a loop over records it holds
	 * the other records, which must not be stopped too. */
	if (s.n_task_ids == 0 && stdin_is_input())
		read_stdin(&s);
	else if (s.n_task_ids == 0)
		die_usage("no tasks: pipe task records (`ecs-ls tasks | "
			  "ecs-stop`) or give --cluster and --task");

	if (s.n_tasks > 0)
		describe_tasks(&s);
	if (s.dry_run) {
		dry_run(&s);
	} else if (count_state(&s, TASK_STOP) > 0 && !s.yes && !confirm(&s)) {
		error("not confirmed; no task was stopped");
		s.failed = 1;
	} else {
		stop_tasks(&s);
		print_tasks(&s);
	}
	out_flush();

	status = s.failed ? EXIT_RUNTIME : EXIT_OK;
	aws_ctx_free(&s.ctx);
	stop_free(&s);
	return status;
}
