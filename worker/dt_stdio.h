/* dt_stdio.h - the stdio handler: long-lived children that take tasks as JSON lines on stdin.
 *
 * `dtask-worker --kind K --stdio -- CMD ARGS...` keeps `children` copies of
 * CMD running (dt_child.h; DTASK_KIND in their environment). Each takes one
 * task at a time: one line in, one line out (docs/WORKERS.md):
 *   in   {"id":N,"attempt":A,"payload":"..."}       payload as a UTF-8 string,
 *        {"id":N,"attempt":A,"payload_base64":"..."} or base64 when it is not UTF-8
 *   out  {"id":N,"state":"done|retry|failed","output":"...","error":"..."}
 *        ("output_base64" instead of "output" for bytes; output and error optional)
 * The result is the child's state; the output is capped at output_max
 * bytes (over: the task fails, the child lives on). Failures of the child
 * itself:
 *   it exits (or closes its pipes) mid-task: the task is RETRY with its exit
 *     status and stderr tail; the child is restarted after a back-off that
 *     doubles while it keeps dying without finishing a task;
 *   it hangs: at the task time limit it is killed (its whole process group)
 *     and restarted, the task is RETRY "task time limit";
 *   a malformed line (not JSON, wrong id, unknown state, bad base64, longer
 *     than DT_LIMIT_STDIO_LINE_MAX, a reply with no task): the task FAILs
 *     with what was wrong, the child is killed and restarted after the
 *     back-off (100 ms when it had finished a task since it started).
 * Tasks wait in a queue while no child is free; their time limit runs from
 * start. All pipes are serviced in the worker's one poll loop.
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
 * at once so that a command that cannot start is reported here. Ignores
 * SIGPIPE in this process (children get the default back). Returns NULL
 * with the reason in `err`. */
dt_handler_t *dt_stdio_new (const dt_exec_options_t *opts, uint32_t children,
                            dt_handler_done_fn *done, void *done_arg, char *err, size_t err_size);

#endif
