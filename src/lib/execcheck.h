/* Checks of ECS Exec targets without a session (ecs-exec --check): task
 * status, exec enabled, platform, container, agent, runtime id, KMS, audit
 * log destination, task role, read-only root filesystem, init process.
 * Targets are borrowed and must have been resolved. */
#ifndef ECS_EXECCHECK_H
#define ECS_EXECCHECK_H

#include <stddef.h>

#include "aws.h"
#include "exectarget.h"
#include "output.h"

/* Writes the checks of every target as execCheck records (OUTPUT_JSON)
 * or a table (OUTPUT_TABLE). Returns EXIT_RUNTIME when a check failed,
 * else EXIT_OK. */
int exec_run_checks(struct aws_ctx *ctx, struct exec_target **t, size_t n,
    enum output_format fmt);

#endif
