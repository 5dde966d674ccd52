#!/usr/bin/env bash
# ecs-exec and ecs-log under every fault of the local AWS front (t/lib/fault-matrix.sh).
FAULT_PROGRAMS="exec log"
. "$(dirname "$0")/lib/fault-matrix.sh"
