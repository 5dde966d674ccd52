/* Guards for the programs that change AWS resources (ecs-update, ecs-stop):
 * the read-only switch for shared operator machines, and confirmation on
 * /dev/tty.
 *
 * Read-only mode is on when ECS_READ_ONLY is 1, true, yes or on, or when
 * the tools' own config file sets `read_only = true`. Either source turns
 * it on; neither can turn off what the other turned on. An invalid value
 * in either place counts as read-only, so a typo never unlocks changes.
 *
 * The config file is ${XDG_CONFIG_HOME:-$HOME/.config}/ecs-tools/config,
 * INI style: `key = value` lines, comment lines starting with '#' or ';',
 * blank lines. Section lines ("[name]") carry no meaning yet: keys under
 * them apply as if written above them. Unknown keys draw a warning. */
#ifndef ECS_GUARD_H
#define ECS_GUARD_H

#include <stddef.h>

#include "buf.h"

/* The config file path, or NULL when neither XDG_CONFIG_HOME (absolute)
 * nor HOME is set. Caller frees. */
char *guard_config_path(void);

/* Parses config text from path (for messages). Sets *read_only to 1 when
 * read_only is true. Unknown keys and section lines are reported as
 * "PATH:LINE: ..." lines in warnings. Returns 0, or -1 with
 * "PATH:LINE: reason" in err when a value is invalid. */
int guard_parse_config(const char *text, size_t len, const char *path,
    int *read_only, struct buf *warnings, struct buf *err);

/* Returns 0 when changes are allowed, or 1 with the reason in why (which
 * setting, where). A missing config file is no error; an unreadable one
 * or an invalid value counts as read-only. Warnings go to stderr. */
int guard_read_only(struct buf *why);

/* Exits with EXIT_RUNTIME and a message naming the setting when read-only
 * mode is on. action is what would have been done ("update services"). */
void guard_require_writable(const char *action);

/* Writes summary, then question and " [y/N] " to /dev/tty and reads the
 * answer. Returns 1 for "y" or "yes" (any case), 0 for anything else or
 * the end of the terminal input. Exits with EXIT_USAGE when there is no
 * terminal, telling the user to pass --yes. */
int guard_confirm(const char *summary, const char *question);

#endif
