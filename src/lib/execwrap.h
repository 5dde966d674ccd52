/* Running a command through ECS Exec as if it had pipes: ECS Exec starts
 * every command in a pseudo-terminal and reports no exit status, so the
 * command is wrapped in a small sh script that
 *   - turns off echo and output processing (stty -echo -opost), so input
 *     is not echoed and output keeps its bytes (no CR before LF);
 *   - turns off flow control, signal keys and CR translation (-ixon
 *     -isig -icrnl), because when a reader falls behind, Linux looks
 *     ahead for Ctrl-S and Ctrl-Q in the queued input, quoted or not;
 *   - prints a ready marker, after which input may be sent;
 *   - runs the command with stdout through cat (a pipe, as in a shell
 *     pipeline: no pager, no columns) and prints an exit marker with its
 *     status.
 * Markers carry a random nonce, so command output cannot fake them.
 *
 * Input goes through the terminal's canonical mode, which is what makes
 * end of input possible (VEOF at the start of a line): every control byte
 * is quoted with VLNEXT (Ctrl-V), and a line with no newline is pushed to
 * the reader with VEOF every 1024 bytes, far below the 4095-byte line
 * limit of Linux terminals.
 *
 * The container needs sh, stty and cat; without stty or cat the script
 * prints a failure marker and runs nothing. */
#ifndef ECS_EXECWRAP_H
#define ECS_EXECWRAP_H

#include <stddef.h>

#include "buf.h"

#define EXECWRAP_NONCE_SIZE 33	/* 32 hex digits and the NUL */

/* Appends a POSIX shell word for s (quoted when needed). */
void shell_quote(struct buf *out, const char *s);
/* Appends the ExecuteCommand command string for argv (argc words, where
 * none means /bin/sh). It runs through the wrapper with the given nonce,
 * or as it is when nonce is NULL. */
void execwrap_command(struct buf *out, int argc, char *const *argv,
    const char *nonce);
/* Appends the wrapper script alone (the argument of sh -c). */
void execwrap_script(struct buf *out, const char *nonce);
void execwrap_nonce(char out[EXECWRAP_NONCE_SIZE]);

/* The input encoder for the remote terminal's canonical mode. */
struct ttyenc {
	size_t line_len;	/* bytes stored since the last line end */
};

void ttyenc_add(struct ttyenc *e, const void *data, size_t len,
    struct buf *out);
/* Appends what makes the remote read() return end of file. */
void ttyenc_eof(struct ttyenc *e, struct buf *out);

enum markfilter_state {
	MARK_WAIT_READY,	/* before the ready marker */
	MARK_RUNNING,		/* command output */
	MARK_EXIT_DIGITS,	/* inside the exit marker */
	MARK_DONE,		/* the exit status is known */
	MARK_FAILED,		/* the wrapper could not start */
};

/* Removes the markers from the output stream. */
struct markfilter {
	enum markfilter_state state;
	char prefix[64];	/* "ECSEXEC-<nonce>-" */
	size_t prefix_len;
	struct buf hold;	/* bytes that may start a marker */
	struct buf before;	/* output before the ready marker */
	int status;
	int digits;
};

void markfilter_init(struct markfilter *f, const char *nonce);
void markfilter_free(struct markfilter *f);
/* Feeds output bytes; appends what belongs to the command to out.
 * Returns 1 when the state changed (ready, done or failed). */
int markfilter_feed(struct markfilter *f, const void *data, size_t len,
    struct buf *out);

#endif
