/* credential_process: runs the configured helper program and reads the
 * credentials it prints (the Version 1 JSON document).
 *
 * The command line is split into words like a POSIX shell does (blanks,
 * single and double quotes, backslashes) and the program runs directly,
 * as the AWS CLI runs it. A line that uses shell syntax the AWS CLI would
 * pass on literally (| & ; < > ( ) $ `, a leading ~ or #, a leading
 * NAME=value) runs through /bin/sh -c instead. The AWS SDKs for Go (v2)
 * and Rust run every command that way. */
#ifndef ECS_PROCESS_H
#define ECS_PROCESS_H

#include "buf.h"
#include "creds.h"

/* Seconds a helper may run before it is killed, unless
 * ECS_CREDENTIAL_PROCESS_TIMEOUT sets another limit. It leaves time for a
 * helper that asks for an MFA code or opens a browser login. */
#define PROCESS_DEFAULT_TIMEOUT 120

/* Splits cmd into a NULL-terminated argv (caller frees each word and the
 * array). Sets *needs_shell when cmd uses shell syntax. Returns 0, or -1
 * with the reason in err (an unterminated quote, an empty command). */
int process_split(const char *cmd, char ***argv, int *needs_shell,
    struct buf *err);
void process_argv_free(char **argv);

/* Runs cmd with stdin and stderr inherited and stdout captured, waiting
 * at most timeout_s seconds, and parses what it printed. fallback_account
 * (may be NULL) fills AccountId when the output has none. Returns 0 with
 * out filled, or -1 with a reason in err that never repeats the output. */
int process_credentials(const char *cmd, double timeout_s,
    const char *fallback_account, struct aws_credentials *out,
    struct buf *err);

/* Parses a Version 1 document (the text is borrowed). Exposed for
 * tests. */
int process_parse_output(const char *text, size_t len,
    const char *fallback_account, struct aws_credentials *out,
    struct buf *err);

#endif
