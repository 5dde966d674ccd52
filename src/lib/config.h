/* The AWS shared config and credentials files.
 *
 * The parser follows the cross-SDK profile file rules (the test suite in
 * t/data/profile), except where the AWS CLI differs and we follow the CLI;
 * each such choice is listed in config.c. A struct config owns every string
 * it returns; callers borrow them until config_free. */
#ifndef ECS_CONFIG_H
#define ECS_CONFIG_H

#include <stddef.h>

#include "buf.h"

enum config_file_kind {
	CONFIG_FILE,		/* ~/.aws/config: [profile x], [default] */
	CREDENTIALS_FILE,	/* ~/.aws/credentials: [x] */
};

enum config_section_kind {
	SECTION_PROFILE,
	SECTION_SSO_SESSION,
	SECTION_SERVICES,
};

struct config_property {
	char *name;		/* lower-cased */
	char *value;		/* trimmed; "" for a sub-property block */
	struct config_property *sub;	/* indented "k = v" lines under it */
	size_t n_sub;
	const char *file;	/* borrowed from struct config */
	int line;
};

struct config_section {
	enum config_section_kind kind;
	char *name;
	struct config_property *props;
	size_t n_props;
	const char *file;
	int line;
};

struct config {
	struct config_section *sections;
	size_t n_sections;
	char *config_path;	/* resolved paths, NULL if none */
	char *credentials_path;
	struct buf warnings;	/* one "file:line: message" per line */
};

void config_init(struct config *cfg);
void config_free(struct config *cfg);

/* Parses one file's text into cfg, merging with what is already there.
 * Returns 0, or -1 with "FILE:LINE: reason" in err. */
int config_parse(struct config *cfg, const char *text, size_t len,
    enum config_file_kind kind, const char *filename, struct buf *err);

/* Paths of the two files: AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE,
 * else ~/.aws/config and ~/.aws/credentials. Caller frees. */
char *config_file_path(enum config_file_kind kind);

/* Reads both files (a missing file is not an error) and merges them. */
int config_load(struct config *cfg, struct buf *err);

/* The active profile name: cli_profile, else AWS_PROFILE, else
 * AWS_DEFAULT_PROFILE, else "default" (the AWS CLI v2 order). An empty
 * variable counts as unset. */
const char *config_active_profile(const char *cli_profile);

int config_has_profile(const struct config *cfg, const char *profile);
/* A profile's property after merging both files, the credentials file
 * winning; NULL when unset. */
const struct config_property *config_profile_property(
    const struct config *cfg, const char *profile, const char *key);
const char *config_profile_get(const struct config *cfg, const char *profile,
    const char *key);
/* Value of "sub" inside the sub-property block "key" of a section. */
const char *config_section_get_sub(const struct config *cfg,
    enum config_section_kind kind, const char *section, const char *key,
    const char *sub);
const char *config_section_get(const struct config *cfg,
    enum config_section_kind kind, const char *section, const char *key);
int config_has_section(const struct config *cfg,
    enum config_section_kind kind, const char *name);
/* Profile names from both files, each once, in file order. The array
 * and its strings are borrowed. Returns the count. */
size_t config_profile_names(const struct config *cfg, const char ***names);

/* Resolves the region: cli_region, AWS_REGION, AWS_DEFAULT_REGION, then
 * the profile's region. NULL when none is set. */
const char *config_region(const struct config *cfg, const char *profile,
    const char *cli_region);

#endif
