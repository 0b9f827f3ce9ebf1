#!/bin/sh
# square.sh [N] - prints N * N: the task of the exec benchmark (bench/run), the same for every peer.
# N is the argument (xargs, GNU parallel) or, without one, the first line of stdin (dtask's exec
# worker writes the payload there). One dash process per task, no other process: the shell's
# arithmetic and echo are builtins.
if [ $# -gt 0 ]; then n=$1; else read -r n; fi
echo $((n * n))
