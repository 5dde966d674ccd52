/* The picker's interactive screen on /dev/tty, and the hand-over of the
 * display lines to another picker (fzf, sk, dmenu, rofi or a command). */
#ifndef ECS_PICK_UI_H
#define ECS_PICK_UI_H

/* Exit statuses, as fzf uses them. */
enum {
	PICK_EXIT_CHOSEN = 0,
	PICK_EXIT_NO_MATCH = 1,
	PICK_EXIT_ERROR = 2,
	PICK_EXIT_ABORTED = 130,
};

/* Options of ecs-pick; strings are borrowed from argv or the environment. */
struct pick_options {
	int multi;
	const char *query;
	int select_1;
	int exit_0;
	const char *filter;
	const char *format;
	int preview;
	const char *preview_expr;	/* NULL: the whole record */
	const char *preview_cmd;
	const char *header;
	const char *prompt;
	int height;			/* 0: the whole screen */
	int height_percent;
	int tac;
	int no_sort;
	const char *via;
	int debug;
};

/* Runs the picker on /dev/tty with records from stdin; writes the chosen
 * records to stdout and returns the exit status. */
int pick_interactive(const struct pick_options *o);
/* Hands the display lines to o->via and writes the records it chose. */
int pick_via(const struct pick_options *o);

#endif
