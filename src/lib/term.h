/* Terminal handling on /dev/tty for interactive programs: raw mode that is
 * restored on every exit path and fatal signal, suspend and resume,
 * window size changes, and decoding of key presses.
 *
 * One terminal is active per process, because signal handlers have to
 * find it. The program keeps its struct term alive until term_close. */
#ifndef ECS_TERM_H
#define ECS_TERM_H

#include <stddef.h>
#include <termios.h>

struct term {
	int fd;			/* /dev/tty, read and write */
	int rows, cols;
	int want_raw;		/* the program is in raw mode (between
				 * term_raw and term_restore) */
	volatile int is_raw;	/* the terminal is in raw mode right now */
	struct termios saved;
	struct termios raw_mode;
	const char *enter;	/* written after entering raw mode */
	const char *leave;	/* written before leaving raw mode */
	int signal_pipe[2];	/* handlers write one event byte here */
};

/* Event bytes read from signal_pipe[0]. */
enum {
	TERM_EVENT_RESIZE = 'W',
	TERM_EVENT_RESUME = 'C',
};

/* Opens /dev/tty. Returns 0, or -1 with errno set when there is none. */
int term_open(struct term *t);
/* Enters raw mode and makes it safe: the mode is restored at exit, on
 * SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGPIPE (which then end the
 * program as they would have), and around SIGTSTP/SIGCONT. enter and
 * leave are escape sequences to write on entering and leaving (the
 * alternate screen, for instance); both may be NULL. */
int term_raw(struct term *t, const char *enter, const char *leave);
/* Leaves raw mode and puts the terminal back as it was. Safe to call
 * more than once, and from a signal handler. */
void term_restore(struct term *t);
/* Restores the terminal and closes it. */
void term_close(struct term *t);
/* Reads the window size into rows and cols. */
void term_update_size(struct term *t);
/* Suspends the program as Ctrl-Z does: restores the terminal, stops,
 * and enters raw mode again when continued. */
void term_suspend(struct term *t);
/* Enters raw mode again after a TERM_EVENT_RESUME if the program is in
 * raw mode and in the foreground (the SIGCONT handler may have run while
 * the shell had not yet handed the terminal back). */
void term_resume(struct term *t);
/* Writes all of s to the terminal. */
void term_write(struct term *t, const char *s, size_t len);

enum term_key_code {
	KEY_NONE = 0,
	KEY_CHAR,		/* text in key->text */
	KEY_ENTER,
	KEY_TAB,
	KEY_SHIFT_TAB,
	KEY_BACKSPACE,
	KEY_DELETE,
	KEY_ESC,
	KEY_UP,
	KEY_DOWN,
	KEY_LEFT,
	KEY_RIGHT,
	KEY_HOME,
	KEY_END,
	KEY_PAGE_UP,
	KEY_PAGE_DOWN,
	KEY_CTRL,		/* Ctrl-letter in key->ctrl ('a'..'z') */
	KEY_UNKNOWN,		/* an escape sequence we do not use */
};

struct term_key {
	enum term_key_code code;
	char ctrl;
	char text[8];		/* one UTF-8 character, NUL-terminated */
};

/* Decodes one key press from the start of buf. Returns the bytes used, or
 * 0 when buf contains only the start of a sequence. With complete set
 * (no more bytes are coming soon), a lone ESC is the Escape key. */
size_t term_parse_key(const char *buf, size_t len, int complete,
    struct term_key *key);

#endif
