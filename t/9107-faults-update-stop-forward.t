#!/usr/bin/env bash
# ecs-update, ecs-stop and ecs-forward under every fault of the local AWS front (t/lib/fault-matrix.sh).
FAULT_PROGRAMS="update stop forward"
. "$(dirname "$0")/lib/fault-matrix.sh"
