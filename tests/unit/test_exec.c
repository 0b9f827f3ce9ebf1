/* test_exec.c - the exec handler with real child processes: exit codes, signals, limits, pipes,
 * reaping. */
#include "dt_child.h"
#include "dt_exec.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_msg.h"
#include "dt_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TEST_TASKS_MAX 256
#define TEST_WAIT_MS   60000 /* a generous bound: never reached unless something is broken */

typedef struct {
    int calls;             /* completions for this id: must be 1 */
    dt_handler_result_t r; /* strings and output below, not the borrowed ones */
    char error[DT_LIMIT_ERROR_MAX + 1];
    char *output; /* owned copy, NUL-terminated */
} s_got_t;

static s_got_t s_got[TEST_TASKS_MAX];
static size_t s_completions;

static void s_on_done (void *arg, const dt_handler_result_t *r)
{
    (void) arg;
    s_completions++;
    if (r->id >= TEST_TASKS_MAX)
        return;
    s_got_t *g = &s_got[r->id];
    g->calls++;
    g->r = *r;
    snprintf (g->error, sizeof g->error, "%s", r->error);
    free (g->output);
    g->output = malloc (r->output_len + 1);
    if (g->output) {
        if (r->output_len)
            memcpy (g->output, r->output, r->output_len);
        g->output[r->output_len] = '\0';
    }
}

static int64_t s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_reset (void)
{
    for (size_t i = 0; i < TEST_TASKS_MAX; i++)
        free (s_got[i].output);
    memset (s_got, 0, sizeof s_got);
    s_completions = 0;
}

/* Drives the handler the way the worker loop does until `n` completions
 * came or TEST_WAIT_MS passed. Returns the completions seen. */
static size_t s_run (dt_handler_t *h, size_t n)
{
    int64_t end = s_now_ms () + TEST_WAIT_MS;
    while (s_completions < n && s_now_ms () < end) {
        dt_handler_perform (h);
        if (s_completions >= n)
            break;
        long ms = dt_handler_timeout (h);
        if (ms < 0 || ms > 200)
            ms = 200;
        dt_handler_wait (h, -1, (int) ms);
    }
    return s_completions;
}

static int s_start (dt_handler_t *h, uint64_t id, const void *payload, size_t len)
{
    dt_handler_task_t task = {
        .id = id, .task_id = 1000 + id, .attempt = 2, .payload = payload, .payload_len = len};
    return dt_handler_start (h, &task);
}

static dt_handler_t *s_new_argv (char *const argv[], uint32_t time_limit_ms)
{
    dt_exec_options_t opts;
    dt_exec_options_defaults (&opts);
    opts.kind = "test_kind";
    opts.argv = argv;
    if (time_limit_ms)
        opts.time_limit_ms = time_limit_ms;
    char err[256];
    dt_handler_t *h = dt_exec_new (&opts, s_on_done, NULL, err, sizeof err);
    if (!h)
        fprintf (stderr, "    dt_exec_new: %s\n", err);
    return h;
}

/* Runs one task of `sh -c script` with `payload`; the result is s_got[0]. */
static s_got_t *s_sh (const char *script, const char *payload, uint32_t time_limit_ms)
{
    s_reset ();
    char *argv[] = {"/bin/sh", "-c", (char *) script, NULL};
    dt_handler_t *h = s_new_argv (argv, time_limit_ms);
    if (!h)
        return NULL;
    if (s_start (h, 0, payload, strlen (payload)) == 0)
        s_run (h, 1);
    dt_handler_destroy (&h);
    return s_got[0].calls ? &s_got[0] : NULL;
}

static int s_count_fds (void)
{
    DIR *d = opendir ("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    while (readdir (d))
        n++;
    closedir (d);
    return n;
}

/* A process is gone when /proc has no entry for it or it is a zombie that
 * is not ours to reap (an orphan waiting for init). */
static int s_gone (pid_t pid)
{
    char path[64], buf[512];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *f = fopen (path, "r");
    if (!f)
        return 1;
    size_t n = fread (buf, 1, sizeof buf - 1, f);
    fclose (f);
    buf[n] = '\0';
    char *paren = strrchr (buf, ')');
    return paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

/* ---- Tests ------------------------------------------------------------ */

static void test_exit_0_is_done_with_stdout_as_output (void)
{
    s_got_t *g =
        s_sh ("cat; printf ' %s %s %s' \"$DTASK_TASK_ID\" \"$DTASK_ATTEMPT\" \"$DTASK_KIND\"",
              "http://127.0.0.1/7", 0);
    DT_CHECK (g);
    DT_CHECK_EQ (g->calls, 1);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK_EQ (g->r.exit_code, 0);
    DT_CHECK (strcmp (g->output, "http://127.0.0.1/7 1000 2 test_kind") == 0);
    DT_CHECK_EQ (g->r.output_len, strlen (g->output));
    DT_CHECK_EQ (g->r.bytes, g->r.output_len);
    DT_CHECK (g->error[0] == '\0');
}

static void test_exit_75_is_retry (void)
{
    s_got_t *g = s_sh ("echo 'database busy' >&2; exit 75", "x", 0);
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_RETRY);
    DT_CHECK_EQ (g->r.exit_code, 75);
    DT_CHECK (strcmp (g->error, "exit status 75: database busy") == 0);
}

static void test_exit_1_is_fail_with_the_stderr_tail (void)
{
    s_got_t *g = s_sh ("echo partial; echo 'first line' >&2; echo 'bad input' >&2; exit 1", "x", 0);
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_FAIL);
    DT_CHECK_EQ (g->r.exit_code, 1);
    DT_CHECK (strcmp (g->error, "exit status 1: first line bad input") == 0);
    DT_CHECK (strcmp (g->output, "partial\n") == 0);
}

static void test_exit_without_stderr_says_the_status (void)
{
    s_got_t *g = s_sh ("exit 3", "", 0);
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_FAIL);
    DT_CHECK_EQ (g->r.exit_code, 3);
    DT_CHECK (strcmp (g->error, "exit status 3") == 0);
    DT_CHECK_EQ (g->r.output_len, 0);
}

static void test_long_stderr_keeps_its_tail_only (void)
{
    /* 200 KB of noise, then the line that explains. */
    s_got_t *g = s_sh ("i=0; while [ $i -lt 2000 ]; do printf '%0100d\\n' $i >&2; i=$((i+1)); "
                       "done; echo 'the real reason' >&2; exit 2",
                       "", 0);
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_FAIL);
    size_t len = strlen (g->error);
    DT_CHECK (len < DT_LIMIT_ERROR_MAX);
    DT_CHECK (len > 15 && strcmp (g->error + len - 15, "the real reason") == 0);
    DT_CHECK (strncmp (g->error, "exit status 2: ", 15) == 0);
}

static void test_stderr_that_is_not_utf8_is_made_printable (void)
{
    s_got_t *g = s_sh ("printf 'caf\\303\\251 \\377\\001 ok' >&2; exit 1", "", 0);
    DT_CHECK (g);
    DT_CHECK (strcmp (g->error, "exit status 1: caf\xc3\xa9 ?? ok") == 0);
}

static void test_a_signal_is_fail (void)
{
    s_got_t *g = s_sh ("kill -TERM $$", "", 0);
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_FAIL);
    DT_CHECK_EQ (g->r.exit_code, -1);
    DT_CHECK (strcmp (g->error, "killed by signal 15") == 0);
}

static void test_time_limit_kills_the_process_group (void)
{
    /* The child starts a grandchild and waits for it: both must go. A
     * shell too slow (under load) to print the pid before the limit is
     * given a longer one. */
    s_got_t *g = NULL;
    pid_t grandchild = 0;
    for (uint32_t limit = 300; limit <= 30000 && grandchild <= 1; limit *= 4) {
        g = s_sh ("sleep 30 & echo $!; wait", "", limit);
        DT_CHECK (g);
        DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_RETRY);
        DT_CHECK (strncmp (g->error, "task time limit", 15) == 0);
        grandchild = (pid_t) atoi (g->output);
    }
    DT_CHECK (grandchild > 1);
    int64_t end = s_now_ms () + 10000;
    while (!s_gone (grandchild) && s_now_ms () < end)
        usleep (10000);
    DT_CHECK (s_gone (grandchild));
}

static void test_leftovers_are_killed_when_the_command_exits (void)
{
    /* The grandchild keeps stdout open: the task still ends at the exit. */
    s_got_t *g = s_sh ("sleep 30 & echo $!", "", 0);
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    pid_t grandchild = (pid_t) atoi (g->output);
    DT_CHECK (grandchild > 1);
    int64_t end = s_now_ms () + 10000;
    while (!s_gone (grandchild) && s_now_ms () < end)
        usleep (10000);
    DT_CHECK (s_gone (grandchild));
}

static void test_output_at_the_cap_is_done (void)
{
    char script[128];
    snprintf (script, sizeof script, "head -c %d /dev/zero", DT_LIMIT_OUTPUT_MAX);
    s_got_t *g = s_sh (script, "", 0);
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK_EQ (g->r.output_len, DT_LIMIT_OUTPUT_MAX);
}

static void test_output_over_the_cap_fails_and_kills (void)
{
    char script[128];
    snprintf (script, sizeof script, "head -c %d /dev/zero", DT_LIMIT_OUTPUT_MAX + 1);
    s_got_t *g = s_sh (script, "", 0);
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_FAIL);
    DT_CHECK (strstr (g->error, "output over 1048576 bytes"));
    /* A command that never stops writing is killed at the cap, long
     * before its time limit. */
    g = s_sh ("exec yes", "", 60000);
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_FAIL);
    DT_CHECK (strstr (g->error, "output over 1048576 bytes"));
}

static void test_a_big_payload_and_a_big_output_do_not_deadlock (void)
{
    /* cat writes while we still write: each side must drain the other. */
    size_t len = 1024 * 1024;
    char *payload = malloc (len + 1);
    DT_CHECK (payload);
    for (size_t i = 0; i < len; i++)
        payload[i] = (char) ('a' + i % 26);
    payload[len] = '\0';
    s_got_t *g = s_sh ("cat", payload, 0);
    int same = g && g->r.output_len == len && memcmp (g->output, payload, len) == 0;
    free (payload);
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK (same);
}

static void test_a_command_that_ignores_its_stdin_is_fine (void)
{
    size_t len = 1024 * 1024;
    char *payload = malloc (len + 1);
    DT_CHECK (payload);
    memset (payload, 'x', len);
    payload[len] = '\0';
    s_got_t *g = s_sh ("exit 0", payload, 0);
    free (payload);
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
}

static void test_the_command_gets_only_the_three_std_fds (void)
{
    /* An fd of ours without close-on-exec must not reach the child. */
    int fd = open ("/dev/null", O_RDONLY);
    DT_CHECK (fd >= 0);
    s_got_t *g = s_sh ("ls /proc/$$/fd", "", 0);
    close (fd);
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK (strcmp (g->output, "0\n1\n2\n") == 0);
}

static void test_200_tasks_at_concurrency_32_leave_no_fd_and_no_zombie (void)
{
    s_reset ();
    char *argv[] = {"cat", NULL}; /* a bare name: found in PATH */
    dt_handler_t *h = s_new_argv (argv, 0);
    DT_CHECK (h);
    int fds_before = s_count_fds ();
    size_t started = 0;
    char payload[TEST_TASKS_MAX][32];
    int64_t end = s_now_ms () + TEST_WAIT_MS;
    while (s_completions < 200 && s_now_ms () < end) {
        while (started < 200 && dt_handler_running (h) < 32) {
            snprintf (payload[started], sizeof payload[started], "task %zu", started);
            if (s_start (h, started, payload[started], strlen (payload[started])) != 0)
                break;
            started++;
        }
        DT_CHECK (dt_handler_running (h) <= 32);
        size_t before = s_completions;
        dt_handler_perform (h);
        if (s_completions != before)
            continue; /* as the worker does: fill the freed slots first */
        long ms = dt_handler_timeout (h);
        dt_handler_wait (h, -1, ms < 0 || ms > 200 ? 200 : (int) ms);
    }
    DT_CHECK_EQ (s_completions, 200);
    DT_CHECK_EQ (dt_handler_running (h), 0);
    for (size_t i = 0; i < 200; i++) {
        DT_CHECK_EQ (s_got[i].calls, 1);
        DT_CHECK_EQ (s_got[i].r.outcome, DT_OUTCOME_DONE);
        DT_CHECK (strcmp (s_got[i].output, payload[i]) == 0);
    }
    DT_CHECK_EQ (s_count_fds (), fds_before);
    /* Every child was reaped: none is left to wait for, zombie or not. */
    errno = 0;
    DT_CHECK_EQ (waitpid (-1, NULL, WNOHANG), -1);
    DT_CHECK_EQ (errno, ECHILD);
    dt_handler_destroy (&h);
    DT_CHECK_EQ (s_count_fds (), fds_before);
}

static void test_destroy_kills_and_reaps_running_commands (void)
{
    s_reset ();
    char *argv[] = {"/bin/sh", "-c", "sleep 30", NULL};
    dt_handler_t *h = s_new_argv (argv, 0);
    DT_CHECK (h);
    int fds_before = s_count_fds ();
    for (uint64_t i = 0; i < 4; i++)
        DT_CHECK_EQ (s_start (h, i, "", 0), 0);
    dt_handler_perform (h);
    DT_CHECK_EQ (dt_handler_running (h), 4);
    dt_handler_destroy (&h);
    DT_CHECK (h == NULL);
    DT_CHECK_EQ (s_completions, 0);
    DT_CHECK_EQ (s_count_fds (), fds_before);
    errno = 0;
    DT_CHECK_EQ (waitpid (-1, NULL, WNOHANG), -1);
    DT_CHECK_EQ (errno, ECHILD);
}

static void test_a_missing_command_is_refused_at_creation (void)
{
    dt_exec_options_t opts;
    dt_exec_options_defaults (&opts);
    char err[256] = "";
    char *missing[] = {"dtask-no-such-command", NULL};
    opts.argv = missing;
    DT_CHECK (dt_exec_new (&opts, s_on_done, NULL, err, sizeof err) == NULL);
    DT_CHECK (strstr (err, "dtask-no-such-command: command not found"));
    /* A plain file without execute bits (even root may not run it). */
    char plain[] = "/tmp/dtask-test-exec.XXXXXX";
    int fd = mkstemp (plain);
    DT_CHECK (fd >= 0);
    close (fd);
    chmod (plain, 0644);
    char *not_exec[] = {plain, NULL};
    opts.argv = not_exec;
    dt_handler_t *h = dt_exec_new (&opts, s_on_done, NULL, err, sizeof err);
    unlink (plain);
    DT_CHECK (h == NULL);
    DT_CHECK (strstr (err, "Permission denied"));
    char *dir[] = {"/tmp", NULL};
    opts.argv = dir;
    DT_CHECK (dt_exec_new (&opts, s_on_done, NULL, err, sizeof err) == NULL);
    DT_CHECK (strstr (err, "Is a directory"));
    char *none[] = {NULL};
    opts.argv = none;
    DT_CHECK (dt_exec_new (&opts, s_on_done, NULL, err, sizeof err) == NULL);
}

static void test_a_task_time_limit_overrides_the_handlers (void)
{
    s_reset ();
    char *argv[] = {"/bin/sh", "-c", "sleep 30", NULL};
    dt_handler_t *h = s_new_argv (argv, 60000);
    DT_CHECK (h);
    dt_handler_task_t task = {.id = 0, .task_id = 1, .attempt = 1, .time_limit_ms = 200};
    DT_CHECK_EQ (dt_handler_start (h, &task), 0);
    DT_CHECK_EQ (s_run (h, 1), 1);
    dt_handler_destroy (&h);
    DT_CHECK_EQ (s_got[0].r.outcome, DT_OUTCOME_RETRY);
    DT_CHECK (strstr (s_got[0].error, "killed after 200 ms"));
}

static void test_the_masters_task_limit_bounds_every_task (void)
{
    s_reset ();
    char *argv[] = {"/bin/sh", "-c", "sleep 30", NULL};
    dt_handler_t *h = s_new_argv (argv, 60000);
    DT_CHECK (h);
    dt_handler_set_task_ms (h, 200);
    DT_CHECK_EQ (s_start (h, 0, "", 0), 0);
    DT_CHECK_EQ (s_run (h, 1), 1);
    dt_handler_destroy (&h);
    DT_CHECK_EQ (s_got[0].r.outcome, DT_OUTCOME_RETRY);
    DT_CHECK (strstr (s_got[0].error, "killed after 200 ms"));
    /* The smallest of the three wins; 0 is "none". */
    DT_CHECK_EQ (dt_exec_time_limit (0, 60000, 0), 60000);
    DT_CHECK_EQ (dt_exec_time_limit (0, 60000, 120000), 60000);
    DT_CHECK_EQ (dt_exec_time_limit (0, 60000, 500), 500);
    DT_CHECK_EQ (dt_exec_time_limit (300, 60000, 0), 300);
    DT_CHECK_EQ (dt_exec_time_limit (300, 60000, 200), 200);
}

static void test_an_inherited_ignored_sigchld_keeps_exit_statuses (void)
{
    /* A parent that ignores SIGCHLD passes that on through exec: the
     * kernel would then reap our children itself and their exit status
     * would be lost (and their pid free for reuse before we kill their
     * group). The handler puts SIGCHLD back to its default. */
    struct sigaction ign, old;
    memset (&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset (&ign.sa_mask);
    DT_CHECK_EQ (sigaction (SIGCHLD, &ign, &old), 0);
    s_got_t *g = s_sh ("echo 'no such row' >&2; exit 3", "x", 0);
    struct sigaction now;
    sigaction (SIGCHLD, &old, &now);
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_FAIL);
    DT_CHECK_EQ (g->r.exit_code, 3);
    DT_CHECK (strcmp (g->error, "exit status 3: no such row") == 0);
    DT_CHECK (now.sa_handler == SIG_DFL);
}

static void test_a_child_reaped_elsewhere_is_forgotten (void)
{
    /* Something else in the process reaped it (waitpid(-1) in a library):
     * the reaper must not keep its pidfd, nor later kill its pid's group,
     * which may by then be another process's. */
    char *argv[] = {"/bin/true", NULL};
    dt_child_t c;
    char err[256];
    DT_CHECK_EQ (dt_child_spawn (&c, argv, NULL, err, sizeof err), 0);
    pid_t pid = c.pid;
    int status = -1;
    while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
        ;
    DT_CHECK (WIFEXITED (status));
    DT_CHECK_EQ (dt_child_reap (&c, &status), -1);
    DT_CHECK_EQ (c.pid, 0);
    DT_CHECK_EQ (c.pidfd, -1);
    dt_child_end (&c);
}

int main (void)
{
    dt_log_set_level (DT_LOG_WARN); /* the start of each handler is not news here */
    static const dt_test_t tests[] = {
        {"exit 0 is done with stdout as output", test_exit_0_is_done_with_stdout_as_output},
        {"exit 75 is retry", test_exit_75_is_retry},
        {"exit 1 is fail with the stderr tail", test_exit_1_is_fail_with_the_stderr_tail},
        {"exit without stderr says the status", test_exit_without_stderr_says_the_status},
        {"long stderr keeps its tail only", test_long_stderr_keeps_its_tail_only},
        {"stderr that is not utf-8 is made printable",
         test_stderr_that_is_not_utf8_is_made_printable},
        {"a signal is fail", test_a_signal_is_fail},
        {"time limit kills the process group", test_time_limit_kills_the_process_group},
        {"leftovers are killed when the command exits",
         test_leftovers_are_killed_when_the_command_exits},
        {"output at the cap is done", test_output_at_the_cap_is_done},
        {"output over the cap fails and kills", test_output_over_the_cap_fails_and_kills},
        {"a big payload and a big output do not deadlock",
         test_a_big_payload_and_a_big_output_do_not_deadlock},
        {"a command that ignores its stdin is fine", test_a_command_that_ignores_its_stdin_is_fine},
        {"the command gets only the three std fds", test_the_command_gets_only_the_three_std_fds},
        {"200 tasks at concurrency 32 leave no fd and no zombie",
         test_200_tasks_at_concurrency_32_leave_no_fd_and_no_zombie},
        {"destroy kills and reaps running commands", test_destroy_kills_and_reaps_running_commands},
        {"a missing command is refused at creation", test_a_missing_command_is_refused_at_creation},
        {"a task time limit overrides the handler's",
         test_a_task_time_limit_overrides_the_handlers},
        {"the master's task limit bounds every task",
         test_the_masters_task_limit_bounds_every_task},
        {"an inherited ignored SIGCHLD keeps exit statuses",
         test_an_inherited_ignored_sigchld_keeps_exit_statuses},
        {"a child reaped elsewhere is forgotten", test_a_child_reaped_elsewhere_is_forgotten},
        {NULL, NULL},
    };
    int rc = dt_test_run (tests);
    s_reset ();
    return rc;
}
