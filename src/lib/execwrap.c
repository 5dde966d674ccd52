/* The sh wrapper around non-interactive commands, the input encoder for
 * the remote terminal and the filter that removes the wrapper's
 * markers from the output. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "execwrap.h"
#include "util.h"

#define VLNEXT_BYTE 0x16	/* Ctrl-V */
#define VEOF_BYTE 0x04		/* Ctrl-D */
/* Bytes stored in one terminal line before VEOF pushes them out. */
#define TTY_SEGMENT 1024

void
shell_quote(struct buf *out, const char *s)
{
	const char *p;

	if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
			    "wxyz0123456789_@%+=:,./-") == strlen(s)) {
		buf_adds(out, s);
		return;
	}
	buf_addc(out, '\'');
	for (p = s; *p; p++) {
		if (*p == '\'')
			buf_adds(out, "'\\''");
		else
			buf_addc(out, *p);
	}
	buf_addc(out, '\'');
}

void
execwrap_nonce(char out[EXECWRAP_NONCE_SIZE])
{
	unsigned char r[16];

	if (random_bytes(r, sizeof(r)))
		die("getrandom failed: %s", strerror(errno));
	hex_encode(r, sizeof(r), out);
}

void
execwrap_script(struct buf *out, const char *nonce)
{
	/* The command's status travels out of the pipeline through fd 3;
	 * fd 4 is the terminal cat writes to. One line, because some
	 * command splitters end a command at a newline. */
	buf_addf(out,
	    "if command -v cat >/dev/null && "
	    "stty -echo -opost -ixon -isig -icrnl 2>/dev/null; "
	    "then printf %%s ECSEXEC-%s-R; "
	    "else printf %%s ECSEXEC-%s-F; exit 255; fi; "
	    "{ rc=$( { { \"$@\" 3>&- 4>&-; echo $? >&3; } | cat >&4; } "
	    "3>&1 ); } 4>&1; "
	    "printf %%s \"ECSEXEC-%s-X$rc.\"",
	    nonce, nonce, nonce);
}

void
execwrap_command(struct buf *out, int argc, char *const *argv,
    const char *nonce)
{
	struct buf script = BUF_INIT;
	int i;

	if (!nonce) {
		for (i = 0; i < argc; i++) {
			if (i)
				buf_addc(out, ' ');
			shell_quote(out, argv[i]);
		}
		if (argc == 0)
			buf_adds(out, "/bin/sh");
		return;
	}
	execwrap_script(&script, nonce);
	buf_adds(out, "/bin/sh -c ");
	shell_quote(out, script.data);
	buf_adds(out, " sh");
	if (argc == 0)
		buf_adds(out, " /bin/sh");
	for (i = 0; i < argc; i++) {
		buf_addc(out, ' ');
		shell_quote(out, argv[i]);
	}
	buf_free(&script);
}

void
ttyenc_add(struct ttyenc *e, const void *data, size_t len, struct buf *out)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (c == '\n') {
			buf_addc(out, '\n');
			e->line_len = 0;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			buf_addc(out, VLNEXT_BYTE);
		buf_addc(out, (char)c);
		if (++e->line_len >= TTY_SEGMENT) {
			buf_addc(out, VEOF_BYTE);
			e->line_len = 0;
		}
	}
}

void
ttyenc_eof(struct ttyenc *e, struct buf *out)
{
	/* VEOF after bytes pushes them out; VEOF on an empty line is the
	 * end of input. */
	if (e->line_len > 0)
		buf_addc(out, VEOF_BYTE);
	buf_addc(out, VEOF_BYTE);
	e->line_len = 0;
}

void
markfilter_init(struct markfilter *f, const char *nonce)
{
	memset(f, 0, sizeof(*f));
	f->prefix_len = (size_t)snprintf(f->prefix, sizeof(f->prefix),
	    "ECSEXEC-%s-", nonce);
	buf_init(&f->hold);
	buf_init(&f->before);
}

void
markfilter_free(struct markfilter *f)
{
	buf_free(&f->hold);
	buf_free(&f->before);
}

/* Length of the longest suffix of s that is a proper prefix of the
 * marker. */
static size_t
partial_suffix(const struct markfilter *f, const char *s, size_t n)
{
	size_t k = n < f->prefix_len - 1 ? n : f->prefix_len - 1;

	for (; k > 0; k--)
		if (memcmp(s + n - k, f->prefix, k) == 0)
			return k;
	return 0;
}

static const char *
find_marker(const struct markfilter *f, const char *s, size_t n)
{
	return memmem(s, n, f->prefix, f->prefix_len);
}

/* Handles the byte after "ECSEXEC-<nonce>-"; returns 1 on a state
 * change. */
static int
marker_kind(struct markfilter *f, char c)
{
	if (f->state == MARK_WAIT_READY && c == 'R') {
		f->state = MARK_RUNNING;
		return 1;
	}
	if (f->state == MARK_WAIT_READY && c == 'F') {
		f->state = MARK_FAILED;
		return 1;
	}
	if (f->state == MARK_RUNNING && c == 'X') {
		f->state = MARK_EXIT_DIGITS;
		f->status = 0;
		f->digits = 0;
		return 0;
	}
	return -1;
}

int
markfilter_feed(struct markfilter *f, const void *data, size_t len,
    struct buf *out)
{
	int changed = 0;
	size_t i;

	buf_add(&f->hold, data, len);
	while (f->hold.len > 0) {
		const char *m;
		size_t keep, before;

		if (f->state == MARK_DONE || f->state == MARK_FAILED) {
			buf_reset(&f->hold);
			break;
		}
		if (f->state == MARK_EXIT_DIGITS) {
			size_t used = 0;

			for (i = 0; i < f->hold.len && f->state ==
			     MARK_EXIT_DIGITS; i++) {
				char c = f->hold.data[i];

				used = i + 1;
				if (c == '.' && f->digits > 0) {
					f->state = MARK_DONE;
					changed = 1;
				} else if (c >= '0' && c <= '9' &&
				    f->digits < 6) {
					f->status = f->status * 10 + (c - '0');
					f->digits++;
				} else {
					/* Cannot happen with a random
					 * nonce; treat it as output. */
					f->state = MARK_RUNNING;
					used = i;
				}
			}
			buf_consume(&f->hold, used);
			continue;
		}
		m = find_marker(f, f->hold.data, f->hold.len);
		if (m) {
			int kind;

			before = (size_t)(m - f->hold.data);
			if (before + f->prefix_len >= f->hold.len)
				break;	/* the kind byte has not arrived */
			if (f->state == MARK_WAIT_READY)
				buf_add(&f->before, f->hold.data, before);
			else
				buf_add(out, f->hold.data, before);
			kind = marker_kind(f, m[f->prefix_len]);
			if (kind < 0 && f->state == MARK_RUNNING)
				buf_add(out, m, f->prefix_len + 1);
			if (kind > 0)
				changed = 1;
			buf_consume(&f->hold, before + f->prefix_len + 1);
			continue;
		}
		keep = partial_suffix(f, f->hold.data, f->hold.len);
		before = f->hold.len - keep;
		if (f->state == MARK_WAIT_READY)
			buf_add(&f->before, f->hold.data, before);
		else
			buf_add(out, f->hold.data, before);
		buf_consume(&f->hold, before);
		break;
	}
	return changed;
}
