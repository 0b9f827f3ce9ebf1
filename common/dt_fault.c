/* dt_fault.c - named fault points for tests (built only with DTASK_FAULTS). */
#include "dt_fault.h"
#include "dt_log.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Exit status when DTASK_FAULT is malformed: a test that names a point
 * wrongly must fail at once, not run without its fault. */
#define DT_FAULT_EXIT_BAD_SPEC 2

/* How long a crash point waits before the kill. libzmq writes messages from
 * its own I/O thread, so a message sent just before the point has not left
 * the process yet; a kill -9 from outside lands at some later moment. This
 * lets what was sent go out (a few ms of that thread's time) while this
 * thread, and so everything after the point (a commit, a reply), stands
 * still. Generous, for a loaded machine: it is paid once per test crash. */
#define DT_FAULT_SETTLE_MS 1000

/* Every point the code has (docs/TESTING.md says what each proves): a name
 * not here in DTASK_FAULT is a typo that would otherwise never fire. */
static const char *s_points[] = {"master-after-dispatch", "master-before-reply",   "store-write",
                                 "master-after-step",     "archive-before-unlink", NULL};

static char s_point[DT_FAULT_POINT_MAX + 1]; /* the armed point; empty: none */
static unsigned long s_nth;                  /* it fires on this reach (1-based) */
static unsigned long s_reached;              /* reaches of it so far */

int dt_fault_parse (const char *spec, char *point, unsigned long *nth)
{
    const char *colon = strchr (spec, ':');
    size_t len = colon ? (size_t) (colon - spec) : strlen (spec);
    if (len == 0 || len > DT_FAULT_POINT_MAX)
        return -1;
    unsigned long n = 1;
    if (colon) {
        const char *digits = colon + 1;
        char *end = NULL;
        if (*digits < '1' || *digits > '9')
            return -1;
        errno = 0;
        n = strtoul (digits, &end, 10);
        if (errno || *end || n > UINT32_MAX)
            return -1;
    }
    for (int i = 0; s_points[i]; i++)
        if (strlen (s_points[i]) == len && memcmp (s_points[i], spec, len) == 0) {
            memcpy (point, spec, len);
            point[len] = '\0';
            *nth = n;
            return 0;
        }
    return -1;
}

int dt_fault_arm (const char *spec)
{
    s_reached = 0;
    if (!spec || !*spec) {
        s_point[0] = '\0';
        return 0;
    }
    char point[DT_FAULT_POINT_MAX + 1];
    unsigned long nth;
    if (dt_fault_parse (spec, point, &nth) != 0)
        return -1;
    memcpy (s_point, point, sizeof point);
    s_nth = nth;
    return 0;
}

int dt_fault_hit (const char *point)
{
    if (!s_point[0] || strcmp (point, s_point) != 0 || ++s_reached != s_nth)
        return 0;
    dt_log_warn ("FAULT-INJECTED", "%s: reached %lu time%s: fault fires (DTASK_FAULT)", point,
                 s_reached, s_reached == 1 ? "" : "s");
    return 1;
}

void dt_fault_crash (const char *point)
{
    if (!dt_fault_hit (point))
        return;
    struct timespec settle = {DT_FAULT_SETTLE_MS / 1000, (DT_FAULT_SETTLE_MS % 1000) * 1000000L};
    while (nanosleep (&settle, &settle) != 0 && errno == EINTR)
        ;
    /* As kill -9 from outside: no handler, no atexit, no stdio flush. */
    kill (getpid (), SIGKILL);
    _exit (128 + SIGKILL); /* not reached */
}

/* Arms DTASK_FAULT before main(), so no program's main needs to know about
 * fault points. Runs in every program linked with this file. */
__attribute__ ((constructor)) static void s_arm_from_env (void)
{
    const char *spec = getenv ("DTASK_FAULT");
    if (dt_fault_arm (spec) != 0) {
        dt_log_error ("FAULT-SPEC",
                      "DTASK_FAULT='%.80s': expected POINT or POINT:N (N >= 1), POINT one of "
                      "master-after-dispatch, master-before-reply, store-write, master-after-step, "
                      "archive-before-unlink",
                      spec);
        _exit (DT_FAULT_EXIT_BAD_SPEC);
    }
    if (s_point[0])
        dt_log_info ("FAULT-ARMED", "%s fires on reach %lu", s_point, s_nth);
}
