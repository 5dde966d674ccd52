/* The controlling terminal in raw mode for a remote shell, so every byte
 * a key makes (Ctrl-C, Ctrl-Z and Ctrl-\ included) is read as data. The
 * saved mode comes back on every exit path: normal return, exit(), the
 * fatal signals this module catches, and SIGTSTP/SIGCONT from outside.
 *
 * One terminal per process; the module owns the descriptor it opens. */
#ifndef ECS_RAWTTY_H
#define ECS_RAWTTY_H

/* Opens /dev/tty. Returns its descriptor, or -1 with errno set. */
int rawtty_open(void);
/* Switches to raw mode, saving the current mode. Returns 0 or -1. */
int rawtty_enter(void);
/* Restores the saved mode (safe to call more than once, and from a
 * signal handler). */
void rawtty_restore(void);
/* Whether raw mode is on (output then needs CR LF). */
int rawtty_active(void);
/* Terminal size; 0 when unknown. */
void rawtty_size(unsigned *cols, unsigned *rows);
/* A descriptor that becomes readable after SIGWINCH; read it empty with
 * rawtty_winch_drain. */
int rawtty_winch_fd(void);
void rawtty_winch_drain(void);
void rawtty_close(void);

#endif
