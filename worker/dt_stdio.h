/* dt_stdio.h - the stdio handler: long-lived children that take tasks as JSON lines on stdin.
 *
 * `dtask-worker --kind K --stdio [--stdio-inflight N] -- CMD ARGS...` keeps
 * `children` copies of CMD running (dt_child.h; DTASK_KIND in their
 * environment). Each holds up to `inflight` tasks at once: a line in per
 * task, a line out per task, answered in any order (replies are matched by
 * id); dt_stdio_line.h has the two lines, docs/WORKERS.md the protocol.
 * Tasks go to the child holding the fewest, in the order they were started;
 * lines given to a child in one turn go out in one write.
 * The result is the child's state; the output is capped at output_max
 * bytes (over: the task fails, the child lives on). A task's time limit
 * runs from its start. Failures of the child itself:
 *   it exits (or closes its pipes): every task it held is RETRY with its
 *     exit status and stderr tail (any of them may have killed it); it is
 *     restarted after a back-off that doubles while it keeps dying without
 *     finishing a task;
 *   it hangs: when the earliest time limit of the tasks it holds passes,
 *     that task is RETRY "task time limit" and the child is killed (its
 *     whole process group) and restarted at once;
 *   a malformed line (not JSON, an id it does not hold, unknown state, bad
 *     base64, longer than DT_LIMIT_STDIO_LINE_MAX, a reply before its task
 *     line was written whole): the task the line names, else the oldest it
 *     holds, FAILs with what was wrong; the child is killed and restarted
 *     after the back-off (100 ms when it had finished a task since it
 *     started).
 * When a child is killed for a hang or a malformed line, the other tasks it
 * held go back to the front of the queue, their time limit started again,
 * with no attempt spent; a task that went back once already is RETRY the
 * second time. Tasks wait in that queue while no child has room. All pipes
 * are serviced in the worker's one poll loop.
 */
#ifndef DT_STDIO_H
#define DT_STDIO_H

#include "dt_exec.h"
#include "dt_handler.h"

#include <stddef.h>
#include <stdint.h>

/* A child that died on its own is restarted after this, doubling up to the
 * maximum while it dies again without finishing a task: a crashing command
 * costs a spawn every 10 s, not a busy loop. */
#define DT_STDIO_RESTART_MIN_MS 100
#define DT_STDIO_RESTART_MAX_MS 10000

/* At shutdown, children get their stdin closed and this long to exit by
 * themselves before they are killed. */
#define DT_STDIO_STOP_MS 1000

/* Creates the stdio handler with `children` children (1 or more), spawned
 * at once so that a command that cannot start is reported here, each
 * holding up to `inflight` tasks (1 or more). Ignores SIGPIPE in this
 * process (children get the default back). Returns NULL with the reason in
 * `err`. */
dt_handler_t *dt_stdio_new (const dt_exec_options_t *opts, uint32_t children, uint32_t inflight,
                            dt_handler_done_fn *done, void *done_arg, char *err, size_t err_size);

#endif
