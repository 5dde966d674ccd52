/* Options every program shares (profile, region, endpoint, debug, help,
 * version) and their getopt_long table entries. */
#ifndef ECS_CLI_H
#define ECS_CLI_H

#include <getopt.h>

#include "aws.h"

enum {
	OPT_ENDPOINT_URL = 0x100,
	OPT_DEBUG,
	OPT_NO_COLOR,
	/* Programs number their own long-only options from here. */
	OPT_PROGRAM = 0x200,
};

#define CLI_COMMON_SHORT "p:r:hV"
#define CLI_COMMON_LONG                                                  \
	{"profile", required_argument, NULL, 'p'},                       \
	    {"region", required_argument, NULL, 'r'},                    \
	    {"endpoint-url", required_argument, NULL, OPT_ENDPOINT_URL}, \
	    {"debug", no_argument, NULL, OPT_DEBUG},                     \
	    {"help", no_argument, NULL, 'h'},                            \
	    {"version", no_argument, NULL, 'V'}

struct cli_common {
	const char *profile;
	const char *region;
	const char *endpoint_url;
	int debug;
};

/* Handles one common option. Returns 1 when opt was one of them. --help
 * prints usage and exits 0; --version prints the version and exits 0; an
 * unknown option ('?') exits 2. */
int cli_common_option(struct cli_common *c, int opt, const char *arg,
    const char *usage);
/* Fills the aws_options that come from common options. */
void cli_aws_options(const struct cli_common *c, struct aws_options *o);
/* Restores default SIGPIPE handling so a closed pipe ends the program
 * quietly with status 141, and makes other setup every program shares. */
void cli_setup(int argc, char **argv);

#endif
