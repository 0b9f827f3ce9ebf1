/* dt_exec.h - the exec handler: runs a command per task, payload on stdin, stdout as the output.
 *
 * `dtask-worker --kind K -- CMD ARGS...`: each task spawns CMD (dt_child.h:
 * its own process group, three pipes, every other fd closed) with
 * DTASK_TASK_ID, DTASK_ATTEMPT and DTASK_KIND added to its environment. The
 * payload is written to its stdin, which is then closed; its stdout is the
 * task's output (at most output_max bytes); the last bytes of its stderr
 * are kept for the error. When it exits, whatever it left running in its
 * process group is killed. The result:
 *   DONE   exit status 0;
 *   RETRY  exit status 75 (EX_TEMPFAIL: "try again later"), the task time
 *          limit (the whole process group is killed: "task time limit"),
 *          or the command could not be spawned (fork limits, gone);
 *   FAIL   any other exit status or a signal ("exit status N: <stderr tail>",
 *          "killed by signal N: <stderr tail>"), or output over the cap
 *          (the process group is killed: "output over N bytes").
 * exit_code is the exit status, -1 after a signal. All pipes are serviced
 * in the worker's one poll loop: no thread per task.
 */
#ifndef DT_EXEC_H
#define DT_EXEC_H

#include "dt_handler.h"

#include <stddef.h>
#include <stdint.h>

/* A command's task time limit unless --task-timeout says otherwise: half
 * the master's default lease (120 s), so the worker ends a stuck task and
 * says why before the master takes the task back without a reason. */
#define DT_EXEC_TIME_LIMIT_MS_DEFAULT 60000

typedef struct {
    const char *kind;       /* task kind, DTASK_KIND; borrowed */
    char *const *argv;      /* command and its arguments, NULL-terminated; borrowed, and
                               must outlive the handler */
    uint32_t time_limit_ms; /* per task, unless the task brings its own */
    size_t output_max;      /* output bytes over this fail the task */
} dt_exec_options_t;

/* Fills `opts` with the defaults (DT_LIMIT_OUTPUT_MAX output cap); kind and
 * argv stay NULL. */
void dt_exec_options_defaults (dt_exec_options_t *opts);

/* Checks that the command can be run (dt_child_check on argv[0]). Returns
 * 0, or -1 with the reason in `err`. */
int dt_exec_check (const dt_exec_options_t *opts, char *err, size_t err_size);

/* A task's time limit: its own (`task_ms`) or else the handler's, bounded
 * by the master's (`master_ms`, set through dt_handler_set_task_ms: past
 * it the master takes the task back anyway). 0 means "none" for task_ms
 * and master_ms. */
uint32_t dt_exec_time_limit (uint32_t task_ms, uint32_t handler_ms, uint32_t master_ms);

/* Creates the exec handler. Ignores SIGPIPE in this process (children get
 * the default back). Returns NULL with the reason in `err` when the command
 * cannot be run or memory is short. */
dt_handler_t *dt_exec_new (const dt_exec_options_t *opts, dt_handler_done_fn *done, void *done_arg,
                           char *err, size_t err_size);

#endif
