/* test_stdio.c - the stdio handler with real long-lived Python children speaking the JSON line
 * protocol. */
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_msg.h"
#include "dt_stdio.h"
#include "dt_test.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TEST_TASKS_MAX 10000
#define TEST_WAIT_MS   120000 /* a generous bound: never reached unless something is broken */

/* The child: what it does depends on the payload. */
static const char s_child[] =
    "import base64, json, os, sys, time\n"
    "for line in sys.stdin:\n"
    "    t = json.loads(line)\n"
    "    r = {'id': t['id'], 'state': 'done'}\n"
    "    if 'payload_base64' in t:\n"
    "        r['output_base64'] = "
    "base64.b64encode(base64.b64decode(t['payload_base64'])[::-1]).decode()\n"
    "    else:\n"
    "        p = t['payload']\n"
    "        if p.startswith('sq '): r['output'] = str(int(p[3:]) ** 2)\n"
    "        elif p == 'pid': r['output'] = str(os.getpid())\n"
    "        elif p == 'env': r['output'] = os.environ.get('DTASK_KIND', '') + ' ' + "
    "str(t['attempt'])\n"
    "        elif p == 'exit':\n"
    "            sys.stderr.write('giving up\\n'); sys.stderr.flush(); os._exit(3)\n"
    "        elif p == 'hang': time.sleep(60)\n"
    "        elif p == 'bad': print('this is not json', flush=True); continue\n"
    "        elif p == 'wrongid': r['id'] += 1\n"
    "        elif p == 'badb64': r['output_base64'] = 'not base64!'\n"
    "        elif p == 'nostate': del r['state']\n"
    "        elif p == 'doneerr': r['error'] = 'ignored'\n"
    "        elif p == 'list': print('[1, 2]', flush=True); continue\n"
    "        elif p == 'retry': r = {'id': t['id'], 'state': 'retry', 'error': 'busy\\nnow'}\n"
    "        elif p == 'big': r['output'] = 'x' * (1024 * 1024 + 1)\n"
    "        elif p == 'huge': sys.stdout.write('x' * 7000000); sys.stdout.flush(); "
    "time.sleep(60)\n"
    "        elif p == 'twice': sys.stdout.write(json.dumps(r) + '\\n' + json.dumps(r) + '\\n'); "
    "sys.stdout.flush(); continue\n"
    "        else: r['output'] = p\n"
    "    print(json.dumps(r), flush=True)\n";

typedef struct {
    int calls;             /* completions for this id: must be 1 */
    size_t order;          /* completions before this one's */
    dt_handler_result_t r; /* strings and output below, not the borrowed ones */
    char error[DT_LIMIT_ERROR_MAX + 1];
    char output[64]; /* the start of the output, NUL-terminated */
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
    g->order = s_completions - 1;
    g->r = *r;
    snprintf (g->error, sizeof g->error, "%s", r->error);
    size_t n = r->output_len < sizeof g->output - 1 ? r->output_len : sizeof g->output - 1;
    if (n)
        memcpy (g->output, r->output, n);
    g->output[n] = '\0';
}

static int64_t s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_reset (void)
{
    memset (s_got, 0, sizeof s_got);
    s_completions = 0;
}

/* One loop turn. As in the worker, a turn that finished tasks does not
 * wait: their slots take new tasks first. */
static void s_step (dt_handler_t *h)
{
    size_t before = s_completions;
    dt_handler_perform (h);
    if (s_completions != before)
        return;
    long ms = dt_handler_timeout (h);
    dt_handler_wait (h, -1, ms < 0 || ms > 200 ? 200 : (int) ms);
}

/* Drives the handler until `n` completions came in all. */
static size_t s_run (dt_handler_t *h, size_t n)
{
    int64_t end = s_now_ms () + TEST_WAIT_MS;
    while (s_completions < n && s_now_ms () < end)
        s_step (h);
    return s_completions;
}

/* Starts task `id` (the master's id 5000 + id); time_limit_ms 0: the
 * handler's. */
static int s_start_full (dt_handler_t *h, uint64_t id, const void *payload, size_t len,
                         uint32_t time_limit_ms)
{
    dt_handler_task_t task = {.id = id,
                              .task_id = 5000 + id,
                              .attempt = 1,
                              .time_limit_ms = time_limit_ms,
                              .payload = payload,
                              .payload_len = len};
    return dt_handler_start (h, &task);
}

static int s_start_bytes (dt_handler_t *h, uint64_t id, const void *payload, size_t len)
{
    return s_start_full (h, id, payload, len, 0);
}

static int s_start (dt_handler_t *h, uint64_t id, const char *payload)
{
    return s_start_bytes (h, id, payload, strlen (payload));
}

static char *s_argv[] = {"python3", "-c", (char *) s_child, NULL};

/* A handler of `children` children running `argv`, each holding up to
 * `inflight` tasks. */
static dt_handler_t *s_new_with (char **argv, uint32_t children, uint32_t inflight,
                                 uint32_t time_limit_ms)
{
    s_reset ();
    dt_exec_options_t opts;
    dt_exec_options_defaults (&opts);
    opts.kind = "square";
    opts.argv = argv;
    if (time_limit_ms)
        opts.time_limit_ms = time_limit_ms;
    char err[256];
    dt_handler_t *h = dt_stdio_new (&opts, children, inflight, s_on_done, NULL, err, sizeof err);
    if (!h)
        fprintf (stderr, "    dt_stdio_new: %s\n", err);
    return h;
}

static dt_handler_t *s_new (uint32_t children, uint32_t time_limit_ms)
{
    return s_new_with (s_argv, children, 1, time_limit_ms);
}

/* Runs task `id` with `payload` alone and returns its result. */
static s_got_t *s_one (dt_handler_t *h, uint64_t id, const char *payload)
{
    size_t before = s_completions;
    if (s_start (h, id, payload) != 0 || s_run (h, before + 1) != before + 1)
        return NULL;
    return &s_got[id];
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

/* ---- Tests ------------------------------------------------------------ */

static void test_a_child_serves_tasks_in_turn (void)
{
    dt_handler_t *h = s_new (1, 0);
    DT_CHECK (h);
    s_got_t *g = s_one (h, 0, "sq 7");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK (strcmp (g->output, "49") == 0);
    DT_CHECK_EQ (g->r.exit_code, -1);
    g = s_one (h, 1, "env");
    DT_CHECK (g);
    DT_CHECK (strcmp (g->output, "square 1") == 0);
    g = s_one (h, 3, "doneerr");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK (g->error[0] == '\0');
    g = s_one (h, 2, "retry");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_RETRY);
    DT_CHECK (strcmp (g->error, "busy now") == 0);
    dt_handler_destroy (&h);
}

static void test_10000_tasks_at_concurrency_4 (void)
{
    dt_handler_t *h = s_new (4, 0);
    DT_CHECK (h);
    static char payload[TEST_TASKS_MAX][24];
    size_t started = 0;
    int64_t t0 = s_now_ms (), end = t0 + TEST_WAIT_MS;
    while (s_completions < TEST_TASKS_MAX && s_now_ms () < end) {
        /* As the worker does: a slot frees, a task starts. */
        while (started < TEST_TASKS_MAX && dt_handler_running (h) < 4) {
            snprintf (payload[started], sizeof payload[started], "sq %zu", started);
            DT_CHECK_EQ (s_start (h, started, payload[started]), 0);
            started++;
        }
        s_step (h);
    }
    int64_t ms = s_now_ms () - t0;
    DT_CHECK_EQ (s_completions, TEST_TASKS_MAX);
    for (size_t i = 0; i < TEST_TASKS_MAX; i++) {
        char want[32];
        snprintf (want, sizeof want, "%llu", (unsigned long long) i * i);
        DT_CHECK_EQ (s_got[i].calls, 1);
        DT_CHECK_EQ (s_got[i].r.outcome, DT_OUTCOME_DONE);
        DT_CHECK (strcmp (s_got[i].output, want) == 0);
    }
    printf ("    10000 tasks through 4 python children in %lld ms: %.0f tasks/s\n", (long long) ms,
            ms > 0 ? 10000.0 * 1000 / (double) ms : 0.0);
    dt_handler_destroy (&h);
}

static void test_a_child_that_exits_mid_task_is_retry_and_restarted (void)
{
    dt_handler_t *h = s_new (1, 0);
    DT_CHECK (h);
    s_got_t *g = s_one (h, 0, "pid");
    DT_CHECK (g);
    int pid = atoi (g->output);
    g = s_one (h, 1, "exit");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_RETRY);
    DT_CHECK (strcmp (g->error, "child exited mid-task (exit status 3): giving up") == 0);
    /* The next task waits for the restart (after the back-off). */
    g = s_one (h, 2, "pid");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK (atoi (g->output) > 0 && atoi (g->output) != pid);
    dt_handler_destroy (&h);
}

static void test_a_hung_child_is_killed_at_the_limit_and_restarted (void)
{
    /* Only the hanging task has a short limit: a slow start of python
     * under load must not count. */
    dt_handler_t *h = s_new (1, 0);
    DT_CHECK (h);
    s_got_t *g = s_one (h, 0, "pid");
    DT_CHECK (g);
    int pid = atoi (g->output);
    DT_CHECK_EQ (s_start_full (h, 1, "hang", 4, 500), 0);
    DT_CHECK_EQ (s_run (h, 2), 2);
    g = &s_got[1];
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_RETRY);
    DT_CHECK (strcmp (g->error, "task time limit: command killed after 500 ms") == 0);
    g = s_one (h, 2, "pid");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK (atoi (g->output) > 0 && atoi (g->output) != pid);
    dt_handler_destroy (&h);
}

static void test_a_malformed_line_fails_the_task_and_restarts_the_child (void)
{
    dt_handler_t *h = s_new (1, 0);
    DT_CHECK (h);
    s_got_t *g = s_one (h, 0, "pid");
    DT_CHECK (g);
    int pid = atoi (g->output);
    g = s_one (h, 1, "bad");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_FAIL);
    DT_CHECK (strncmp (g->error, "malformed reply from the command: not JSON", 42) == 0);
    g = s_one (h, 2, "wrongid");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_FAIL);
    DT_CHECK (strcmp (g->error,
                      "malformed reply from the command: \"id\" is not the task's (5002)") == 0);
    static const char *const cases[][2] = {
        {"badb64", "\"output_base64\" is not base64"},
        {"nostate", "no \"state\" string"},
        {"list", "not a JSON object"},
    };
    for (uint64_t i = 0; i < 3; i++) {
        g = s_one (h, 3 + i, cases[i][0]);
        DT_CHECK (g);
        DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_FAIL);
        DT_CHECK (strstr (g->error, cases[i][1]));
    }
    g = s_one (h, 6, "pid");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK (atoi (g->output) > 0 && atoi (g->output) != pid);
    dt_handler_destroy (&h);
}

static void test_a_second_reply_restarts_the_child (void)
{
    /* Both replies come in one write of less than PIPE_BUF, so one read:
     * the second one finds the child without a task. */
    dt_handler_t *h = s_new (1, 0);
    DT_CHECK (h);
    s_got_t *g = s_one (h, 0, "twice");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    g = s_one (h, 1, "sq 3");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK (strcmp (g->output, "9") == 0);
    DT_CHECK_EQ (s_completions, 2);
    dt_handler_destroy (&h);
}

/* A child that answers a task from the start of its line, before the
 * rest was written to it (the line is longer than a pipe holds), and
 * otherwise reads whole lines and fails on one that is not JSON. */
static const char s_early_child[] =
    "import json, os, re, sys\n"
    "pending = b''\n"
    "while True:\n"
    "    d = os.read(0, 4096)\n"
    "    if not d: break\n"
    "    pending += d\n"
    "    if b'\"payload\": \"early' in pending[:100] or b'\"payload\":\"early' in pending[:100]:\n"
    "        if b'\\n' not in pending:\n"
    "            m = re.search(rb'\"id\":\\s*(\\d+)', pending)\n"
    "            print(json.dumps({'id': int(m.group(1)), 'state': 'done', 'output': 'early'}), "
    "flush=True)\n"
    "            pending = pending.replace(b'early', b'answered', 1)\n"
    "            continue\n"
    "    while b'\\n' in pending:\n"
    "        line, pending = pending.split(b'\\n', 1)\n"
    "        t = json.loads(line)\n"
    "        if t['payload'].startswith('answered'): continue\n"
    "        print(json.dumps({'id': t['id'], 'state': 'done', 'output': t['payload']}), "
    "flush=True)\n";

static void test_a_reply_before_the_whole_task_was_written_restarts_the_child (void)
{
    /* The rest of the first line would never be written, and the next
     * task's line would be glued to its start: the child broke the one
     * line in, one line out contract, so it is replaced. */
    s_reset ();
    char *argv[] = {"python3", "-c", (char *) s_early_child, NULL};
    dt_exec_options_t opts;
    dt_exec_options_defaults (&opts);
    opts.kind = "early";
    opts.argv = argv;
    char err[256];
    dt_handler_t *h = dt_stdio_new (&opts, 1, 1, s_on_done, NULL, err, sizeof err);
    DT_CHECK (h);
    size_t len = 256 * 1024;
    char *payload = malloc (len);
    DT_CHECK (payload);
    memset (payload, 'x', len);
    memcpy (payload, "early", 5);
    int started = s_start_bytes (h, 0, payload, len) == 0 && s_start (h, 1, "second") == 0;
    free (payload);
    DT_CHECK (started);
    DT_CHECK_EQ (s_run (h, 2), 2);
    dt_handler_destroy (&h);
    DT_CHECK_EQ (s_got[0].r.outcome, DT_OUTCOME_FAIL);
    DT_CHECK (strstr (s_got[0].error, "before its task was written whole"));
    DT_CHECK_EQ (s_got[1].r.outcome, DT_OUTCOME_DONE);
    DT_CHECK (strcmp (s_got[1].output, "second") == 0);
}

static void test_output_over_the_cap_fails_the_task_only (void)
{
    dt_handler_t *h = s_new (1, 0);
    DT_CHECK (h);
    s_got_t *g = s_one (h, 0, "pid");
    DT_CHECK (g);
    int pid = atoi (g->output);
    g = s_one (h, 1, "big");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_FAIL);
    DT_CHECK (strcmp (g->error, "output over 1048576 bytes") == 0);
    DT_CHECK_EQ (g->r.output_len, 0);
    g = s_one (h, 2, "pid");
    DT_CHECK (g);
    DT_CHECK_EQ (atoi (g->output), pid); /* a well-formed reply: the child lives on */
    dt_handler_destroy (&h);
}

static void test_a_line_over_the_cap_is_an_error (void)
{
    dt_handler_t *h = s_new (1, 0);
    DT_CHECK (h);
    s_got_t *g = s_one (h, 0, "huge");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_FAIL);
    DT_CHECK (strstr (g->error, "a line over"));
    g = s_one (h, 1, "sq 4");
    DT_CHECK (g);
    DT_CHECK (strcmp (g->output, "16") == 0);
    dt_handler_destroy (&h);
}

static void test_a_payload_that_is_not_utf8_goes_as_base64 (void)
{
    dt_handler_t *h = s_new (1, 0);
    DT_CHECK (h);
    const unsigned char payload[] = {0xff, 0x00, 0xfe, 'a', 0x80};
    DT_CHECK_EQ (s_start_bytes (h, 0, payload, sizeof payload), 0);
    DT_CHECK_EQ (s_run (h, 1), 1);
    s_got_t *g = &s_got[0];
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK_EQ (g->r.output_len, sizeof payload);
    const unsigned char reversed[] = {0x80, 'a', 0xfe, 0x00, 0xff};
    DT_CHECK (memcmp (g->output, reversed, sizeof reversed) == 0);
    dt_handler_destroy (&h);
}

static void test_tasks_wait_for_a_free_child (void)
{
    /* More tasks than children: they queue, and all finish. */
    dt_handler_t *h = s_new (2, 0);
    DT_CHECK (h);
    for (uint64_t i = 0; i < 20; i++) {
        char p[16];
        snprintf (p, sizeof p, "sq %d", (int) i);
        DT_CHECK_EQ (s_start (h, i, p), 0);
    }
    DT_CHECK_EQ (dt_handler_running (h), 20);
    DT_CHECK_EQ (s_run (h, 20), 20);
    DT_CHECK_EQ (dt_handler_running (h), 0);
    DT_CHECK (strcmp (s_got[19].output, "361") == 0);
    dt_handler_destroy (&h);
}

/* ---- Several tasks in flight per child -------------------------------- */

/* A child that reads whatever its stdin holds, keeps the tasks until it has
 * four, then answers those four in reverse order in one write. */
static const char s_reverse_child[] =
    "import json, os\n"
    "buf, held = b'', []\n"
    "while True:\n"
    "    d = os.read(0, 65536)\n"
    "    if not d: break\n"
    "    buf += d\n"
    "    *lines, buf = buf.split(b'\\n')\n"
    "    held += [json.loads(l) for l in lines]\n"
    "    while len(held) >= 4:\n"
    "        four, held = held[:4], held[4:]\n"
    "        out = [json.dumps({'id': t['id'], 'state': 'done',\n"
    "                           'output': str(int(t['payload'][3:]) ** 2)}) for t in four[::-1]]\n"
    "        os.write(1, ('\\n'.join(out) + '\\n').encode())\n";

static void test_a_child_holds_several_tasks_and_answers_out_of_order (void)
{
    /* It answers only once it holds four: with one task at a time it
     * would never answer at all. */
    char *argv[] = {"python3", "-c", (char *) s_reverse_child, NULL};
    dt_handler_t *h = s_new_with (argv, 1, 4, 0);
    DT_CHECK (h);
    for (uint64_t i = 0; i < 8; i++) {
        char p[16];
        snprintf (p, sizeof p, "sq %d", (int) i);
        DT_CHECK_EQ (s_start (h, i, p), 0);
    }
    DT_CHECK_EQ (s_run (h, 8), 8);
    for (uint64_t i = 0; i < 8; i++) {
        char want[16];
        snprintf (want, sizeof want, "%d", (int) (i * i));
        DT_CHECK_EQ (s_got[i].calls, 1);
        DT_CHECK_EQ (s_got[i].r.outcome, DT_OUTCOME_DONE);
        DT_CHECK (strcmp (s_got[i].output, want) == 0);
        /* The first four went to the child before the next four (it has
         * room for four), and came back reversed. */
        DT_CHECK_EQ (s_got[i].order, (i / 4) * 4 + 3 - i % 4);
    }
    DT_CHECK_EQ (dt_handler_running (h), 0);
    dt_handler_destroy (&h);
}

static void test_10000_tasks_with_16_in_flight_per_child (void)
{
    dt_handler_t *h = s_new_with (s_argv, 2, 16, 0);
    DT_CHECK (h);
    static char payload[TEST_TASKS_MAX][24];
    size_t started = 0;
    int64_t t0 = s_now_ms (), end = t0 + TEST_WAIT_MS;
    while (s_completions < TEST_TASKS_MAX && s_now_ms () < end) {
        while (started < TEST_TASKS_MAX && dt_handler_running (h) < 32) {
            snprintf (payload[started], sizeof payload[started], "sq %zu", started);
            DT_CHECK_EQ (s_start (h, started, payload[started]), 0);
            started++;
        }
        s_step (h);
    }
    int64_t ms = s_now_ms () - t0;
    DT_CHECK_EQ (s_completions, TEST_TASKS_MAX);
    for (size_t i = 0; i < TEST_TASKS_MAX; i++) {
        char want[32];
        snprintf (want, sizeof want, "%llu", (unsigned long long) i * i);
        DT_CHECK_EQ (s_got[i].calls, 1);
        DT_CHECK (strcmp (s_got[i].output, want) == 0);
    }
    printf ("    10000 tasks through 2 python children x 16 in flight in %lld ms: %.0f tasks/s\n",
            (long long) ms, ms > 0 ? 10000.0 * 1000 / (double) ms : 0.0);
    dt_handler_destroy (&h);
}

static void test_a_child_that_dies_with_tasks_in_flight_retries_them_all (void)
{
    /* It answers the two before "exit", then dies holding "exit" and the
     * task after it: both are retry, the answers written before it died
     * count. */
    dt_handler_t *h = s_new_with (s_argv, 1, 4, 0);
    DT_CHECK (h);
    DT_CHECK_EQ (s_start (h, 0, "sq 1"), 0);
    DT_CHECK_EQ (s_start (h, 1, "sq 2"), 0);
    DT_CHECK_EQ (s_start (h, 2, "exit"), 0);
    DT_CHECK_EQ (s_start (h, 3, "sq 3"), 0);
    DT_CHECK_EQ (s_run (h, 4), 4);
    DT_CHECK_EQ (s_got[0].r.outcome, DT_OUTCOME_DONE);
    DT_CHECK_EQ (s_got[1].r.outcome, DT_OUTCOME_DONE);
    DT_CHECK (strcmp (s_got[1].output, "4") == 0);
    for (int i = 2; i < 4; i++) {
        DT_CHECK_EQ (s_got[i].calls, 1);
        DT_CHECK_EQ (s_got[i].r.outcome, DT_OUTCOME_RETRY);
        DT_CHECK (strcmp (s_got[i].error, "child exited mid-task (exit status 3): giving up") == 0);
    }
    /* Restarted: it serves again. */
    s_got_t *g = s_one (h, 4, "sq 5");
    DT_CHECK (g);
    DT_CHECK (strcmp (g->output, "25") == 0);
    dt_handler_destroy (&h);
}

static void test_a_hung_child_fails_its_oldest_task_and_gives_back_the_others (void)
{
    /* "hang" has the earliest time limit of the three it holds: it is
     * retry; the two behind it go to the restarted child, no attempt
     * spent, and are done there. */
    dt_handler_t *h = s_new_with (s_argv, 1, 4, 0);
    DT_CHECK (h);
    s_got_t *g = s_one (h, 0, "pid");
    DT_CHECK (g);
    int pid = atoi (g->output);
    DT_CHECK_EQ (s_start_full (h, 1, "hang", 4, 500), 0);
    DT_CHECK_EQ (s_start (h, 2, "sq 5"), 0);
    DT_CHECK_EQ (s_start (h, 3, "pid"), 0);
    DT_CHECK_EQ (s_run (h, 4), 4);
    DT_CHECK_EQ (s_got[1].r.outcome, DT_OUTCOME_RETRY);
    DT_CHECK (strcmp (s_got[1].error, "task time limit: command killed after 500 ms") == 0);
    DT_CHECK_EQ (s_got[2].r.outcome, DT_OUTCOME_DONE);
    DT_CHECK (strcmp (s_got[2].output, "25") == 0);
    DT_CHECK_EQ (s_got[3].r.outcome, DT_OUTCOME_DONE);
    DT_CHECK (atoi (s_got[3].output) > 0 && atoi (s_got[3].output) != pid);
    DT_CHECK_EQ (s_got[1].order, 1); /* the hung one ended first */
    DT_CHECK_EQ (dt_handler_running (h), 0);
    dt_handler_destroy (&h);
}

static void test_a_task_given_back_twice_is_retry (void)
{
    /* The first child hangs on task 0 and gives back 1 and 2; the second
     * one writes garbage for task 1 (the oldest it holds: failed), so task
     * 2 would go back a second time: it is retry instead. */
    dt_handler_t *h = s_new_with (s_argv, 1, 4, 0);
    DT_CHECK (h);
    DT_CHECK_EQ (s_start_full (h, 0, "hang", 4, 300), 0);
    DT_CHECK_EQ (s_start (h, 1, "bad"), 0);
    DT_CHECK_EQ (s_start (h, 2, "sq 7"), 0);
    DT_CHECK_EQ (s_run (h, 3), 3);
    DT_CHECK_EQ (s_got[0].r.outcome, DT_OUTCOME_RETRY);
    DT_CHECK_EQ (s_got[1].r.outcome, DT_OUTCOME_FAIL);
    DT_CHECK (strncmp (s_got[1].error, "malformed reply from the command: not JSON", 42) == 0);
    DT_CHECK_EQ (s_got[2].r.outcome, DT_OUTCOME_RETRY);
    DT_CHECK (strstr (s_got[2].error, "child killed twice while it held the task"));
    /* The child after that one serves again (after the back-off). */
    s_got_t *g = s_one (h, 3, "sq 8");
    DT_CHECK (g);
    DT_CHECK (strcmp (g->output, "64") == 0);
    dt_handler_destroy (&h);
}

static void test_a_reply_for_a_task_it_does_not_hold_fails_the_oldest (void)
{
    /* "wrongid" answers task id + 1, which it does not hold: the line is
     * malformed, the oldest task it holds fails, the other goes back. */
    dt_handler_t *h = s_new_with (s_argv, 1, 4, 0);
    DT_CHECK (h);
    DT_CHECK_EQ (s_start (h, 0, "wrongid"), 0);
    DT_CHECK_EQ (s_start (h, 5, "sq 6"), 0); /* master's id 5005: 5001 is nobody's */
    DT_CHECK_EQ (s_run (h, 2), 2);
    DT_CHECK_EQ (s_got[0].r.outcome, DT_OUTCOME_FAIL);
    DT_CHECK (strstr (s_got[0].error, "\"id\" 5001 is none of the 2 tasks it holds"));
    DT_CHECK_EQ (s_got[5].r.outcome, DT_OUTCOME_DONE);
    DT_CHECK (strcmp (s_got[5].output, "36") == 0);
    dt_handler_destroy (&h);
}

static void test_destroy_stops_every_child_and_leaks_nothing (void)
{
    int fds_before = s_count_fds ();
    dt_handler_t *h = s_new (3, 0);
    DT_CHECK (h);
    DT_CHECK_EQ (s_start (h, 0, "hang"), 0);
    DT_CHECK_EQ (s_start (h, 1, "sq 2"), 0);
    DT_CHECK_EQ (s_run (h, 1), 1);
    dt_handler_destroy (&h);
    DT_CHECK_EQ (s_count_fds (), fds_before);
    errno = 0;
    DT_CHECK_EQ (waitpid (-1, NULL, WNOHANG), -1);
    DT_CHECK_EQ (errno, ECHILD);
}

static void test_a_missing_command_is_refused_at_creation (void)
{
    dt_exec_options_t opts;
    dt_exec_options_defaults (&opts);
    char *argv[] = {"dtask-no-such-command", NULL};
    opts.argv = argv;
    char err[256] = "";
    DT_CHECK (dt_stdio_new (&opts, 2, 1, s_on_done, NULL, err, sizeof err) == NULL);
    DT_CHECK (strstr (err, "command not found"));
}

int main (void)
{
    dt_log_set_level (DT_LOG_WARN); /* the start of each handler is not news here */
    static const dt_test_t tests[] = {
        {"a child serves tasks in turn", test_a_child_serves_tasks_in_turn},
        {"10000 tasks at concurrency 4", test_10000_tasks_at_concurrency_4},
        {"a child that exits mid-task is retry and restarted",
         test_a_child_that_exits_mid_task_is_retry_and_restarted},
        {"a hung child is killed at the limit and restarted",
         test_a_hung_child_is_killed_at_the_limit_and_restarted},
        {"a malformed line fails the task and restarts the child",
         test_a_malformed_line_fails_the_task_and_restarts_the_child},
        {"a second reply restarts the child", test_a_second_reply_restarts_the_child},
        {"a reply before the whole task was written restarts the child",
         test_a_reply_before_the_whole_task_was_written_restarts_the_child},
        {"output over the cap fails the task only", test_output_over_the_cap_fails_the_task_only},
        {"a line over the cap is an error", test_a_line_over_the_cap_is_an_error},
        {"a payload that is not utf-8 goes as base64",
         test_a_payload_that_is_not_utf8_goes_as_base64},
        {"tasks wait for a free child", test_tasks_wait_for_a_free_child},
        {"a child holds several tasks and answers out of order",
         test_a_child_holds_several_tasks_and_answers_out_of_order},
        {"10000 tasks with 16 in flight per child", test_10000_tasks_with_16_in_flight_per_child},
        {"a child that dies with tasks in flight retries them all",
         test_a_child_that_dies_with_tasks_in_flight_retries_them_all},
        {"a hung child fails its oldest task and gives back the others",
         test_a_hung_child_fails_its_oldest_task_and_gives_back_the_others},
        {"a task given back twice is retry", test_a_task_given_back_twice_is_retry},
        {"a reply for a task it does not hold fails the oldest",
         test_a_reply_for_a_task_it_does_not_hold_fails_the_oldest},
        {"destroy stops every child and leaks nothing",
         test_destroy_stops_every_child_and_leaks_nothing},
        {"a missing command is refused at creation", test_a_missing_command_is_refused_at_creation},
        {NULL, NULL},
    };
    return dt_test_run (tests);
}
