/* The AWS shared config and credentials files.
 *
 * The parser follows the cross-SDK profile file rules (the test suite in
 * t/data/profile). config.c lists each place where the AWS CLI reads a
 * file differently and which of the two behaviours this parser picks. A
 * struct config owns every string it returns; callers borrow them until
 * config_free. */
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
	/* The sub-property lines as the cross-SDK parsers return them: each
	 * line trimmed and preceded by "\n". NULL when there is no block. */
	char *sub_text;
	enum config_file_kind source;
	const char *file;	/* borrowed from struct config */
	int line;
};

/* One section of one file kind. The same profile in both files is two
 * sections, which the lookup functions merge. */
struct config_section {
	enum config_section_kind kind;
	enum config_file_kind source;
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
	const char **profile_names;	/* borrowed from sections */
	size_t n_profile_names;
	char **filenames;	/* owned copies the properties point to */
	size_t n_filenames;
};

void config_init(struct config *cfg);
void config_free(struct config *cfg);

/* Parses one file's text into cfg, merging with what is already there.
 * Returns 0, or -1 with "FILE:LINE: reason" in err (replacing its
 * contents) and cfg unchanged. */
int config_parse(struct config *cfg, const char *text, size_t len,
    enum config_file_kind kind, const char *filename, struct buf *err);

/* Paths of the two files: AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE,
 * else ~/.aws/config and ~/.aws/credentials. $VAR and ${VAR}, then a
 * leading "~" or "~user" are expanded. An unset variable stays as written.
 * The home directory is HOME, else USERPROFILE, else the password
 * database. Caller frees; NULL when the home directory is unknown. */
char *config_file_path(enum config_file_kind kind);

enum config_platform {
	CONFIG_PLATFORM_POSIX,
	/* Home falls back to HOMEDRIVE + HOMEPATH instead of the password
	 * database, and "\" joins the default path. */
	CONFIG_PLATFORM_WINDOWS,
};

/* config_file_path under the given platform's rules. The tools run on
 * POSIX only; the Windows rules let the cross-SDK file-location cases
 * run in full. */
char *config_file_path_on(enum config_file_kind kind,
    enum config_platform platform);

/* Reads both files (a missing file is not an error) and merges them,
 * setting config_path and credentials_path. Messages show paths under
 * $HOME as "~/...". */
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
 * the profile's region (the active profile when profile is NULL; skipped
 * when cfg is NULL). Empty values count as unset. NULL when none is set. */
const char *config_region(const struct config *cfg, const char *profile,
    const char *cli_region);

#endif
