/* Minimal TAP producer for the C unit tests. */
#ifndef ECS_TAP_H
#define ECS_TAP_H

#include <stddef.h>

void plan(int n);
/* Records one test; returns cond so callers can print more on failure. */
int ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int is_int(long long got, long long expected, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int is_str(const char *got, const char *expected, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void skip_all(const char *reason) __attribute__((noreturn));
/* Prints the plan if none was given and returns the exit status. */
int done_testing(void);
/* Directory holding t/ (from ECS_TEST_DIR, else "t"). */
const char *test_dir(void);

#endif
