/* Locates the AWS config and credentials files and resolves the active
 * profile and region from the command line, the environment and the
 * files. Every variable set to "" counts as unset. */
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

static const char *
env_value(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static const char *
config_path_variable(enum config_file_kind kind)
{
	if (kind == CONFIG_FILE)
		return "AWS_CONFIG_FILE";
	return "AWS_SHARED_CREDENTIALS_FILE";
}

static char *
home_directory(enum config_platform platform)
{
	const char *home = env_value("HOME");
	const char *drive, *path;
	struct passwd *pw;

	if (!home)
		home = env_value("USERPROFILE");
	if (home)
		return xstrdup(home);
	if (platform == CONFIG_PLATFORM_WINDOWS) {
		drive = env_value("HOMEDRIVE");
		path = env_value("HOMEPATH");
		return drive && path ? xasprintf("%s%s", drive, path) : NULL;
	}
	pw = getpwuid(getuid());
	return pw && pw->pw_dir && *pw->pw_dir ? xstrdup(pw->pw_dir) : NULL;
}

static int
is_separator(char c, enum config_platform platform)
{
	return c == '/' || (platform == CONFIG_PLATFORM_WINDOWS && c == '\\');
}

/* Expands "~" and "~user" at the start of path, as a shell does. Returns
 * NULL when the home directory is unknown. */
static char *
expand_user(const char *path, enum config_platform platform)
{
	size_t n = 1;
	char *user, *home = NULL, *r;
	struct passwd *pw;

	if (path[0] != '~')
		return xstrdup(path);
	while (path[n] && !is_separator(path[n], platform))
		n++;
	if (n == 1) {
		home = home_directory(platform);
	} else if (platform == CONFIG_PLATFORM_POSIX) {
		user = xstrndup(path + 1, n - 1);
		pw = getpwnam(user);
		free(user);
		if (pw && pw->pw_dir)
			home = xstrdup(pw->pw_dir);
	}
	if (!home)
		return NULL;
	r = xasprintf("%s%s", home, path + n);
	free(home);
	return r;
}

/* Expands $NAME and ${NAME}. An unset variable is left as written, as
 * Python's os.path.expandvars (which botocore calls) leaves it. */
static char *
expand_variables(const char *path)
{
	struct buf out = BUF_INIT;
	const char *s = path;

	buf_init(&out);
	while (*s) {
		const char *start, *end, *value;
		char *name;

		if (*s != '$') {
			buf_addc(&out, *s++);
			continue;
		}
		if (s[1] == '{') {
			start = s + 2;
			end = strchr(start, '}');
		} else {
			start = s + 1;
			for (end = start; isalnum((unsigned char)*end) ||
			     *end == '_';
			     end++)
				;
		}
		if (!end || end == start) {
			buf_addc(&out, *s++);
			continue;
		}
		name = xstrndup(start, (size_t)(end - start));
		value = getenv(name);
		free(name);
		if (*end == '}')
			end++;
		if (value)
			buf_adds(&out, value);
		else
			buf_add(&out, s, (size_t)(end - s));
		s = end;
	}
	return buf_detach(&out);
}

char *
config_file_path_on(enum config_file_kind kind,
    enum config_platform platform)
{
	const char *base = kind == CONFIG_FILE ? "config" : "credentials";
	const char *var = config_path_variable(kind);
	const char *path = env_value(var);
	char sep = platform == CONFIG_PLATFORM_WINDOWS ? '\\' : '/';
	char *home, *expanded, *r;

	if (!path) {
		home = home_directory(platform);
		if (!home)
			return NULL;
		r = xasprintf("%s%c.aws%c%s", home, sep, sep, base);
		free(home);
		return r;
	}
	/* botocore 1.43 expands variables first, so a variable may hold
	 * a path that starts with "~". */
	expanded = expand_variables(path);
	r = expand_user(expanded, platform);
	free(expanded);
	return r;
}

char *
config_file_path(enum config_file_kind kind)
{
	return config_file_path_on(kind, CONFIG_PLATFORM_POSIX);
}

/* Shows a path under $HOME as "~/...", for messages. */
static char *
display_path(const char *path)
{
	const char *home = env_value("HOME");
	size_t n = home ? strlen(home) : 0;

	if (n > 1 && strncmp(path, home, n) == 0 && path[n] == '/')
		return xasprintf("~%s", path + n);
	return xstrdup(path);
}

static int
load_file(struct config *cfg, const char *path, enum config_file_kind kind,
    struct buf *err)
{
	struct buf text = BUF_INIT;
	char *name = display_path(path);
	int rc = 0;

	buf_init(&text);
	if (read_file(path, &text) < 0) {
		if (errno != ENOENT) {
			buf_reset(err);
			buf_addf(err,
			    "%s: cannot read: %s; fix it or point %s at "
			    "another file",
			    name, strerror(errno), config_path_variable(kind));
			rc = -1;
		}
	} else {
		rc = config_parse(cfg, text.data, text.len, kind, name, err);
	}
	buf_free_secret(&text);
	free(name);
	return rc;
}

int
config_load(struct config *cfg, struct buf *err)
{
	free(cfg->config_path);
	free(cfg->credentials_path);
	cfg->config_path = config_file_path(CONFIG_FILE);
	cfg->credentials_path = config_file_path(CREDENTIALS_FILE);
	if (cfg->config_path &&
	    load_file(cfg, cfg->config_path, CONFIG_FILE, err) < 0)
		return -1;
	if (cfg->credentials_path &&
	    load_file(cfg, cfg->credentials_path, CREDENTIALS_FILE, err) < 0)
		return -1;
	return 0;
}

const char *
config_active_profile(const char *cli_profile)
{
	const char *name;

	if (cli_profile && *cli_profile)
		return cli_profile;
	if ((name = env_value("AWS_PROFILE")) != NULL)
		return name;
	if ((name = env_value("AWS_DEFAULT_PROFILE")) != NULL)
		return name;
	return "default";
}

const char *
config_region(const struct config *cfg, const char *profile,
    const char *cli_region)
{
	const char *region;

	if (cli_region && *cli_region)
		return cli_region;
	if ((region = env_value("AWS_REGION")) != NULL)
		return region;
	if ((region = env_value("AWS_DEFAULT_REGION")) != NULL)
		return region;
	if (!cfg)
		return NULL;
	if (!profile)
		profile = config_active_profile(NULL);
	region = config_profile_get(cfg, profile, "region");
	return region && *region ? region : NULL;
}
