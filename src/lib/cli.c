/* Common options and program setup. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"

int
cli_common_option(struct cli_common *c, int opt, const char *arg,
    const char *usage)
{
	switch (opt) {
	case 'p':
		if (!*arg)
			die_usage("--profile needs a profile name");
		c->profile = arg;
		return 1;
	case 'r':
		if (!*arg)
			die_usage("--region needs a region such as us-east-1");
		c->region = arg;
		return 1;
	case OPT_ENDPOINT_URL:
		if (!str_starts_with(arg, "http://") &&
		    !str_starts_with(arg, "https://"))
			die_usage("invalid --endpoint-url \"%s\": expected "
				  "http://HOST[:PORT] or https://HOST[:PORT]",
			    arg);
		c->endpoint_url = arg;
		return 1;
	case OPT_DEBUG:
		c->debug = 1;
		return 1;
	case 'h':
		fputs(usage, stdout);
		exit(0);
	case 'V':
		printf("%s %s\n", program_name, ECS_VERSION);
		exit(0);
	case '?':
		fprintf(stderr, "Try '%s --help' for more information.\n",
		    program_name);
		exit(EXIT_USAGE);
	case ':':
		die_usage("missing argument for an option");
	}
	return 0;
}

void
cli_aws_options(const struct cli_common *c, struct aws_options *o)
{
	memset(o, 0, sizeof(*o));
	o->profile = c->profile;
	o->region = c->region;
	o->endpoint_url = c->endpoint_url;
	o->debug = c->debug;
}

void
cli_setup(int argc, char **argv)
{
	(void)argc;
	set_program_name(argv[0]);
	signal(SIGPIPE, SIG_DFL);
}
