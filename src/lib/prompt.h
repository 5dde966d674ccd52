/* Questions to the person at the terminal, through /dev/tty so that
 * stdin and stdout stay free for records and pipes. */
#ifndef ECS_PROMPT_H
#define ECS_PROMPT_H

#include "buf.h"

/* Writes prompt to /dev/tty and reads one line from it, with echo off
 * when hidden is set (an interrupt restores the terminal first). Returns
 * 0 with the input, without its newline, appended to line, or -1 with
 * the reason in err when there is no terminal or the input ended. */
int tty_prompt(const char *prompt, int hidden, struct buf *line,
    struct buf *err);

#endif
