/* ecs-pick: picks records on the terminal (or through another picker) and
 * writes the chosen ones unchanged. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "display.h"
#include "json.h"
#include "match.h"
#include "pick-ui.h"
#include "store.h"
#include "text.h"
#include "util.h"

static const char usage[] =
    "Usage: ecs-pick [OPTIONS] < RECORDS\n"
    "Pick records with a fuzzy finder on the terminal and write the chosen\n"
    "ones to stdout, unchanged and in input order.\n"
    "\n"
    "Options:\n"
    "  -m, --multi            mark several records with Tab and Shift-Tab\n"
    "  -q, --query QUERY      start with this query\n"
    "  -1, --select-1         choose the only match without asking\n"
    "  -0, --exit-0           exit with status 1 at once when nothing matches\n"
    "  -f, --filter QUERY     print every matching record, best first, and\n"
    "                         use no terminal\n"
    "      --format JQ        display each record as this jq expression's\n"
    "                         output (default: chosen fields per kind)\n"
    "      --preview [JQ]     show this jq expression of the current record\n"
    "                         beside the list (default: the whole record)\n"
    "      --preview-cmd CMD  show the output of the shell command CMD, run\n"
    "                         with the current record on its stdin\n"
    "      --header TEXT      show TEXT above the list\n"
    "      --prompt TEXT      query prompt (default \"> \")\n"
    "      --height N[%]      use N lines, or N percent of the terminal,\n"
    "                         below the cursor (default: the whole screen)\n"
    "      --tac              show the last record first\n"
    "      --no-sort          keep input order instead of ranking\n"
    "      --via PICKER       let fzf, sk, dmenu, rofi or a command line pick\n"
    "                         from the display lines (default $ECS_PICK_VIA)\n"
    "      --debug            log timings to stderr\n"
    "  -h, --help             show this help\n"
    "  -V, --version          show the version\n"
    "\n"
    "Query: space-separated terms must all match. abc fuzzy, 'abc exact,\n"
    "^abc prefix, abc$ suffix, !abc without abc, a | b either. Upper case\n"
    "in a term makes that term case-sensitive.\n"
    "\n"
    "Keys: Up/Down, Ctrl-P/N, Ctrl-K/J move; PgUp/PgDn page; Enter chooses;\n"
    "Tab/Shift-Tab mark (with -m); Esc, Ctrl-C, Ctrl-G, Ctrl-Q abort;\n"
    "Ctrl-A/E/B/F, Left/Right, Home/End move in the query; Ctrl-U/W delete\n"
    "to the start or the previous word, Backspace and Ctrl-D/Delete one\n"
    "character; Ctrl-Z suspends; Ctrl-L redraws.\n"
    "\n"
    "Exit status: 0 chosen, 1 no match, 2 error (including malformed input\n"
    "lines), 130 aborted.\n";

enum {
	OPT_FORMAT = OPT_PROGRAM,
	OPT_PREVIEW,
	OPT_PREVIEW_CMD,
	OPT_HEADER,
	OPT_PROMPT,
	OPT_HEIGHT,
	OPT_TAC,
	OPT_NO_SORT,
	OPT_VIA,
};

static const struct option long_options[] = {
    {"multi", no_argument, NULL, 'm'},
    {"query", required_argument, NULL, 'q'},
    {"select-1", no_argument, NULL, '1'},
    {"exit-0", no_argument, NULL, '0'},
    {"filter", required_argument, NULL, 'f'},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"preview", optional_argument, NULL, OPT_PREVIEW},
    {"preview-cmd", required_argument, NULL, OPT_PREVIEW_CMD},
    {"header", required_argument, NULL, OPT_HEADER},
    {"prompt", required_argument, NULL, OPT_PROMPT},
    {"height", required_argument, NULL, OPT_HEIGHT},
    {"tac", no_argument, NULL, OPT_TAC},
    {"no-sort", no_argument, NULL, OPT_NO_SORT},
    {"via", required_argument, NULL, OPT_VIA},
    {"debug", no_argument, NULL, OPT_DEBUG},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* Parses "N" or "N%" for --height. */
static void
parse_height(const char *arg, struct pick_options *o)
{
	size_t n = strlen(arg);
	char tmp[32];
	long v;

	if (n == 0 || n >= sizeof(tmp))
		die_usage("invalid --height \"%s\": expected N or N%%", arg);
	memcpy(tmp, arg, n + 1);
	o->height_percent = tmp[n - 1] == '%';
	if (o->height_percent)
		tmp[n - 1] = '\0';
	if (parse_long(tmp, 1, o->height_percent ? 100 : 10000, &v) < 0)
		die_usage("invalid --height \"%s\": expected a line count "
			  "from 1 or a percentage from 1%% to 100%%", arg);
	o->height = (int)v;
}

static void
parse_options(int argc, char **argv, struct pick_options *o)
{
	int opt;

	while ((opt = getopt_long(argc, argv, "mq:10f:hV", long_options,
		    NULL)) != -1) {
		switch (opt) {
		case 'm':
			o->multi = 1;
			break;
		case 'q':
			o->query = optarg;
			break;
		case '1':
			o->select_1 = 1;
			break;
		case '0':
			o->exit_0 = 1;
			break;
		case 'f':
			o->filter = optarg;
			break;
		case OPT_FORMAT:
			o->format = optarg;
			break;
		case OPT_PREVIEW:
			/* ecs-pick takes no operands, so a word after
			 * --preview is its expression. */
			if (!optarg && optind < argc && argv[optind][0] != '-')
				optarg = argv[optind++];
			o->preview = 1;
			o->preview_expr = optarg;
			break;
		case OPT_PREVIEW_CMD:
			o->preview = 1;
			o->preview_cmd = optarg;
			break;
		case OPT_HEADER:
			o->header = optarg;
			break;
		case OPT_PROMPT:
			o->prompt = optarg;
			break;
		case OPT_HEIGHT:
			parse_height(optarg, o);
			break;
		case OPT_TAC:
			o->tac = 1;
			break;
		case OPT_NO_SORT:
			o->no_sort = 1;
			break;
		case OPT_VIA:
			o->via = optarg;
			break;
		case OPT_DEBUG:
			o->debug = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		case 'V':
			printf("%s %s\n", program_name, ECS_VERSION);
			exit(0);
		default:
			fprintf(stderr, "Try '%s --help' for more "
					"information.\n",
			    program_name);
			exit(PICK_EXIT_ERROR);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument \"%s\": records are read "
			  "from stdin",
		    argv[optind]);
	if (o->preview_expr && o->preview_cmd)
		die_usage("--preview and --preview-cmd exclude each other");
	if (!o->via) {
		const char *env = getenv("ECS_PICK_VIA");

		if (env && *env)
			o->via = env;
	}
}

/* One formatter per thread; dies on an expression that does not compile. */
static struct display **
make_displays(const struct pick_options *o, int n)
{
	struct display **d = xcalloc((size_t)n, sizeof(*d));
	struct buf err = BUF_INIT;
	double now = now_seconds();
	int i;

	for (i = 0; i < n; i++) {
		d[i] = display_new(o->format, now, &err);
		if (!d[i]) {
			error("invalid --format expression: %s", err.data);
			exit(PICK_EXIT_ERROR);
		}
	}
	buf_free(&err);
	return d;
}

static void
free_displays(struct display **d, int n)
{
	const char *first = NULL;
	size_t failures = 0;
	int i;

	for (i = 0; i < n; i++) {
		const char *f;
		size_t k = display_format_failures(d[i], &f);

		if (k && failures == 0)
			first = f;
		failures += k;
	}
	if (failures)
		warning("--format failed on %zu records, shown as JSON "
			"instead: %s",
		    failures, first);
	for (i = 0; i < n; i++)
		display_free(d[i]);
	free(d);
}

static int
run_filter(const struct pick_options *o)
{
	int n = store_threads();
	struct display **d = make_displays(o, n);
	struct query *q = query_parse(o->filter);
	size_t errors = 0;
	long matches;
	int64_t t0 = monotonic_ms();

	matches = store_filter(STDIN_FILENO, "stdin", d, n, q, o->no_sort,
	    o->tac, &errors);
	if (o->debug)
		fprintf(stderr, "ecs-pick: filter: %ld matches, %zu malformed "
				"lines, %lld ms, %d threads\n",
		    matches, errors, (long long)(monotonic_ms() - t0), n);
	free_displays(d, n);
	query_free(q);
	if (matches < 0 || errors)
		return PICK_EXIT_ERROR;
	return matches > 0 ? PICK_EXIT_CHOSEN : PICK_EXIT_NO_MATCH;
}

int
main(int argc, char **argv)
{
	struct pick_options o = {0};
	int rc;

	cli_setup(argc, argv);
	die_status = PICK_EXIT_ERROR;
	text_init();
	o.prompt = "> ";
	parse_options(argc, argv, &o);

	if (o.filter)
		rc = run_filter(&o);
	else if (o.via)
		rc = pick_via(&o);
	else
		rc = pick_interactive(&o);
	out_flush();
	return rc;
}
