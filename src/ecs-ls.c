/* ecs-ls: lists and describes ECS resources as one record per line. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "cli.h"
#include "json.h"
#include "ordered.h"
#include "output.h"
#include "util.h"

static const char usage[] =
    "Usage: ecs-ls KIND [OPTIONS]\n"
    "List ECS resources as NDJSON records (a table on a terminal).\n"
    "\n"
    "Kinds:\n"
    "  clusters            clusters with their settings and statistics\n"
    "\n"
    "Options:\n"
    "  -c, --cluster NAME  only this cluster (name or ARN; repeatable)\n"
    "  -o, --output FMT    json, table or tsv (default: table on a\n"
    "                      terminal, json otherwise)\n"
    "  -r, --region LIST   region, or comma-separated regions listed at\n"
    "                      once\n"
    "      --max-concurrency N  requests in flight at once (default 8)\n"
    "  -p, --profile NAME  AWS profile\n"
    "      --endpoint-url URL  send every request to URL\n"
    "      --debug         log requests and timings to stderr\n"
    "  -h, --help          show this help\n"
    "  -V, --version       show the version\n"
    "\n"
    "Exit status: 0 success, 1 AWS or network error or partial results,\n"
    "2 usage error.\n";

/* DescribeClusters takes at most 100 names per call. */
#define DESCRIBE_CLUSTERS_MAX 100

enum {
	OPT_MAX_CONCURRENCY = OPT_PROGRAM,
};

struct ls {
	struct aws_ctx ctx;
	struct ordered out;
	enum output_format format;
	struct table *table;
	int multi_region;
	int failed;
	char **clusters;
	size_t n_clusters;
	char **regions;
	size_t n_regions;
};

/* One List* operation followed through every page. */
struct pager {
	struct ls *ls;
	char *region;
	char *operation;
	jv input;		/* parameters repeated on every page */
	const char *arns_key;
	struct ordered_node *group;
	void (*on_page)(struct pager *p, jv arns);
	void *data;
};

/* One Describe* batch whose records fill one output slot. */
struct describe {
	struct ls *ls;
	struct ordered_node *slot;
	const char *records_key;
	const char *kind;
};

static const struct table_column cluster_columns[] = {
    {"NAME", 1, 0},
    {"STATUS", 0, 0},
    {"SERVICES", 0, 1},
    {"RUNNING", 0, 1},
    {"PENDING", 0, 1},
    {"INSTANCES", 0, 1},
    {"EXEC LOGGING", 1, 0},
    {"REGION", 0, 0},
};

static void
number_cell(jv rec, const char *key, char *out, size_t size)
{
	jv v = jv_object_get(jv_copy(rec), jv_string(key));

	if (jv_get_kind(v) == JV_KIND_NUMBER)
		snprintf(out, size, "%.0f", jv_number_value(v));
	else
		snprintf(out, size, "-");
	jv_free(v);
}

static void
add_cluster_row(struct ls *ls, jv rec)
{
	char services[32], running[32], pending[32], instances[32];
	jv logging = json_path(rec, "configuration",
	    "executeCommandConfiguration", "logging", NULL);
	const char *status = json_str(rec, "status");
	const char *arn = json_str(rec, "clusterArn");
	char region[64] = "";
	const char *cells[8], *colors[8] = {NULL};

	number_cell(rec, "activeServicesCount", services, sizeof(services));
	number_cell(rec, "runningTasksCount", running, sizeof(running));
	number_cell(rec, "pendingTasksCount", pending, sizeof(pending));
	number_cell(rec, "registeredContainerInstancesCount", instances,
	    sizeof(instances));
	if (arn) {
		/* arn:aws:ecs:REGION:ACCOUNT:cluster/NAME */
		const char *p = arn;
		int i;

		for (i = 0; i < 3 && p; i++) {
			p = strchr(p, ':');
			if (p)
				p++;
		}
		if (p) {
			size_t n = strcspn(p, ":");

			snprintf(region, sizeof(region), "%.*s", (int)n, p);
		}
	}
	cells[0] = json_str(rec, "clusterName");
	cells[1] = status;
	cells[2] = services;
	cells[3] = running;
	cells[4] = pending;
	cells[5] = instances;
	cells[6] = jv_get_kind(logging) == JV_KIND_STRING
		       ? jv_string_value(logging)
		       : NULL;
	cells[7] = region;
	colors[1] = status_color(status);
	table_add(ls->table, cells, colors);
	jv_free(logging);
}

static void
emit_record(jv rec, void *data)
{
	struct ls *ls = data;
	const char *kind = json_str(rec, "kind");
	const char *cells[8];

	switch (ls->format) {
	case OUTPUT_TABLE:
		if (kind && strcmp(kind, "cluster") == 0)
			add_cluster_row(ls, rec);
		break;
	case OUTPUT_TSV:
		if (kind && strcmp(kind, "cluster") == 0) {
			cells[0] = json_str(rec, "clusterName");
			cells[1] = json_str(rec, "status");
			cells[2] = json_str(rec, "clusterArn");
			tsv_row(cells, 3);
		}
		break;
	default:
		out_record(jv_copy(rec));
	}
	jv_free(rec);
}

/* Puts "kind" first, then the AWS object's own fields. */
static jv
with_kind(const char *kind, jv obj)
{
	return jv_object_merge(jv_object_set(jv_object(), jv_string("kind"),
				   jv_string(kind)),
	    obj);
}

/* Consumes failures. */
static void
report_failures(struct ls *ls, const char *operation, jv failures)
{
	int i, n;

	if (jv_get_kind(failures) != JV_KIND_ARRAY) {
		jv_free(failures);
		return;
	}
	n = jv_array_length(jv_copy(failures));
	for (i = 0; i < n; i++) {
		jv f = jv_array_get(jv_copy(failures), i);
		const char *arn = json_str(f, "arn");
		const char *reason = json_str(f, "reason");
		const char *detail = json_str(f, "detail");

		error("%s: %s: %s%s%s", operation, arn ? arn : "(no ARN)",
		    reason ? reason : "failure", detail ? " - " : "",
		    detail ? detail : "");
		ls->failed = 1;
		jv_free(f);
	}
	jv_free(failures);
}

static void
describe_done(struct aws_request *req)
{
	struct describe *d = req->data;
	struct ls *ls = d->ls;
	jv records = jv_array();

	if (req->failed) {
		aws_report_error(req);
		ls->failed = 1;
	} else {
		jv out = aws_request_take_output(req);
		jv items = jv_object_get(jv_copy(out),
		    jv_string(d->records_key));
		int i, n;

		report_failures(ls, req->operation,
		    jv_object_get(jv_copy(out), jv_string("failures")));
		n = jv_get_kind(items) == JV_KIND_ARRAY
			? jv_array_length(jv_copy(items))
			: 0;
		for (i = 0; i < n; i++)
			records = jv_array_append(records,
			    with_kind(d->kind, jv_array_get(jv_copy(items),
						   i)));
		jv_free(items);
		jv_free(out);
	}
	ordered_fill(&ls->out, d->slot, records);
	aws_request_free(req);
	free(d);
}

/* Describes names in batches of at most max, each filling a slot of
 * group in order. input holds the other parameters (consumed). */
static void
describe_batches(struct ls *ls, const char *region, const char *operation,
    const char *names_key, const char *records_key, const char *kind,
    size_t max, jv names, jv input, struct ordered_node *group)
{
	int n = jv_array_length(jv_copy(names));
	int i;

	for (i = 0; i < n; i += (int)max) {
		int end = i + (int)max < n ? i + (int)max : n;
		struct describe *d = xcalloc(1, sizeof(*d));
		jv batch = jv_array_slice(jv_copy(names), i, end);
		struct aws_request *req;

		d->ls = ls;
		d->slot = ordered_slot(group);
		d->records_key = records_key;
		d->kind = kind;
		req = aws_json_request(&ls->ctx, &aws_ecs, region, operation,
		    jv_object_set(jv_copy(input), jv_string(names_key),
			batch));
		aws_submit(req, describe_done, d);
	}
	jv_free(names);
	jv_free(input);
}

static void pager_submit(struct pager *p, const char *token);

static void
pager_done(struct aws_request *req)
{
	struct pager *p = req->data;
	struct ls *ls = p->ls;
	jv out, token;

	if (req->failed) {
		aws_report_error(req);
		ls->failed = 1;
		goto finished;
	}
	out = aws_request_take_output(req);
	p->on_page(p, jv_object_get(jv_copy(out), jv_string(p->arns_key)));
	token = jv_object_get(out, jv_string("nextToken"));
	if (jv_get_kind(token) == JV_KIND_STRING &&
	    jv_string_length_bytes(jv_copy(token)) > 0) {
		pager_submit(p, jv_string_value(token));
		jv_free(token);
		aws_request_free(req);
		return;
	}
	jv_free(token);
finished:
	ordered_close(&ls->out, p->group);
	aws_request_free(req);
	jv_free(p->input);
	free(p->region);
	free(p->operation);
	free(p);
}

static void
pager_submit(struct pager *p, const char *token)
{
	jv input = jv_copy(p->input);
	struct aws_request *req;

	if (token)
		input = jv_object_set(input, jv_string("nextToken"),
		    jv_string(token));
	req = aws_json_request(&p->ls->ctx, &aws_ecs, p->region,
	    p->operation, input);
	aws_submit(req, pager_done, p);
}

/* Starts a List* call that follows every page; on_page gets each page's
 * ARNs (consumed) while the next page is being fetched. */
static void
list_all(struct ls *ls, const char *region, const char *operation,
    jv input, const char *arns_key, struct ordered_node *group,
    void (*on_page)(struct pager *, jv))
{
	struct pager *p = xcalloc(1, sizeof(*p));

	p->ls = ls;
	p->region = xstrdup(region);
	p->operation = xstrdup(operation);
	p->input = input;
	p->arns_key = arns_key;
	p->group = group;
	p->on_page = on_page;
	pager_submit(p, NULL);
}

static jv
cluster_include(void)
{
	jv inc = jv_array();

	inc = jv_array_append(inc, jv_string("CONFIGURATIONS"));
	inc = jv_array_append(inc, jv_string("SETTINGS"));
	inc = jv_array_append(inc, jv_string("STATISTICS"));
	inc = jv_array_append(inc, jv_string("TAGS"));
	return jv_object_set(jv_object(), jv_string("include"), inc);
}

static void
clusters_page(struct pager *p, jv arns)
{
	if (jv_get_kind(arns) != JV_KIND_ARRAY ||
	    jv_array_length(jv_copy(arns)) == 0) {
		jv_free(arns);
		return;
	}
	describe_batches(p->ls, p->region, "DescribeClusters", "clusters",
	    "clusters", "cluster", DESCRIBE_CLUSTERS_MAX, arns,
	    cluster_include(), p->group);
}

static void
list_clusters(struct ls *ls, const char *region, struct ordered_node *group)
{
	if (ls->n_clusters > 0) {
		jv names = jv_array();
		size_t i;

		for (i = 0; i < ls->n_clusters; i++)
			names = jv_array_append(names,
			    jv_string(ls->clusters[i]));
		describe_batches(ls, region, "DescribeClusters", "clusters",
		    "clusters", "cluster", DESCRIBE_CLUSTERS_MAX, names,
		    cluster_include(), group);
		ordered_close(&ls->out, group);
		return;
	}
	list_all(ls, region, "ListClusters", jv_object(), "clusterArns",
	    group, clusters_page);
}

static void
split_regions(struct ls *ls, const char *list)
{
	char *copy = xstrdup(list), *save = NULL, *r;

	for (r = strtok_r(copy, ",", &save); r;
	     r = strtok_r(NULL, ",", &save)) {
		while (*r == ' ')
			r++;
		if (!*r)
			continue;
		ls->regions = xrealloc(ls->regions,
		    (ls->n_regions + 1) * sizeof(*ls->regions));
		ls->regions[ls->n_regions++] = xstrdup(r);
	}
	free(copy);
	if (ls->n_regions == 0)
		die_usage("--region needs at least one region name");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    CLI_COMMON_LONG,
	    {"cluster", required_argument, NULL, 'c'},
	    {"output", required_argument, NULL, 'o'},
	    {"max-concurrency", required_argument, NULL,
		OPT_MAX_CONCURRENCY},
	    {NULL, 0, NULL, 0},
	};
	struct cli_common common = {0};
	struct aws_options ao;
	struct ls ls;
	const char *kind, *format = NULL;
	long max_concurrency = 8;
	size_t i;
	int c;

	cli_setup(argc, argv);
	memset(&ls, 0, sizeof(ls));
	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "c:o:", longopts,
		    NULL)) != -1) {
		if (cli_common_option(&common, c, optarg, usage))
			continue;
		switch (c) {
		case 'c':
			ls.clusters = xrealloc(ls.clusters,
			    (ls.n_clusters + 1) * sizeof(*ls.clusters));
			ls.clusters[ls.n_clusters++] = optarg;
			break;
		case 'o':
			format = optarg;
			break;
		case OPT_MAX_CONCURRENCY:
			if (parse_long(optarg, 1, 256, &max_concurrency) < 0)
				die_usage("invalid --max-concurrency \"%s\": "
					  "expected a number from 1 to 256",
				    optarg);
			break;
		default:
			die_usage("unexpected option");
		}
	}
	if (optind >= argc)
		die_usage("missing KIND (clusters)");
	kind = argv[optind++];
	if (optind < argc)
		die_usage("unexpected argument \"%s\"", argv[optind]);
	if (strcmp(kind, "clusters") != 0)
		die_usage("unknown KIND \"%s\": expected clusters", kind);
	ls.format = format ? output_parse(format, 1u << OUTPUT_JSON |
							  1u << OUTPUT_TABLE |
							  1u << OUTPUT_TSV)
			   : output_default();

	cli_aws_options(&common, &ao);
	if (common.region)
		split_regions(&ls, common.region);
	ao.region = ls.n_regions ? ls.regions[0] : NULL;
	ao.need_region = 1;
	ao.max_concurrency = max_concurrency;
	aws_ctx_init(&ls.ctx, &ao);
	if (ls.n_regions == 0)
		split_regions(&ls, ls.ctx.region);
	ls.multi_region = ls.n_regions > 1;
	if (ls.format == OUTPUT_TABLE)
		ls.table = table_new(cluster_columns,
		    sizeof(cluster_columns) / sizeof(cluster_columns[0]) -
			(ls.multi_region ? 0 : 1));
	ordered_init(&ls.out, emit_record, &ls);

	for (i = 0; i < ls.n_regions; i++)
		list_clusters(&ls, ls.regions[i],
		    ordered_group(ordered_root(&ls.out)));
	ordered_close(&ls.out, ordered_root(&ls.out));
	aws_run_all(&ls.ctx);
	if (!ordered_flush(&ls.out))
		die("internal error: output left unfinished");
	if (ls.table) {
		table_print(ls.table, terminal_columns(),
		    output_color_enabled());
		table_free(ls.table);
	}
	out_flush();

	ordered_free(&ls.out);
	aws_ctx_free(&ls.ctx);
	for (i = 0; i < ls.n_regions; i++)
		free(ls.regions[i]);
	free(ls.regions);
	free(ls.clusters);
	return ls.failed ? EXIT_RUNTIME : EXIT_OK;
}
