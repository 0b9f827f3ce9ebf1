/* dt_test_httpd.h - the real test HTTP server (tests/http/dt_httpd.py) for unit tests: started on a
 * free port of 127.0.0.1 in a child process, stopped by its PID. */
#ifndef DT_TEST_HTTPD_H
#define DT_TEST_HTTPD_H

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    pid_t pid;             /* the server; 0 when none */
    int port;              /* where it listens */
    char tmpdir[PATH_MAX]; /* holds its port file; "" when none */
} dt_test_httpd_t;

/* tests/http/dt_httpd.py: from $DTASK_TESTS, else next to this file. */
static void dt_test_httpd_script (char *out, size_t size)
{
    const char *tests = getenv ("DTASK_TESTS");
    if (tests && tests[0]) {
        snprintf (out, size, "%s/http/dt_httpd.py", tests);
        return;
    }
    snprintf (out, size, "%s", __FILE__);
    char *slash = strrchr (out, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf (out, size, ".");
    size_t len = strlen (out);
    snprintf (out + len, size - len, "/../http/dt_httpd.py");
}

/* Starts the server (`stem` names its temp dir) and waits, bounded, for
 * its port. Returns 0, or -1 (then dt_test_httpd_stop cleans up). */
static int dt_test_httpd_start (dt_test_httpd_t *self, const char *stem)
{
    char script[PATH_MAX], port_file[PATH_MAX + 16];
    dt_test_httpd_script (script, sizeof script);
    snprintf (self->tmpdir, sizeof self->tmpdir, "%s/%s.XXXXXX",
              getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp", stem);
    if (!mkdtemp (self->tmpdir)) {
        perror ("mkdtemp");
        self->tmpdir[0] = '\0';
        return -1;
    }
    snprintf (port_file, sizeof port_file, "%s/port", self->tmpdir);
    self->pid = fork ();
    if (self->pid < 0) {
        self->pid = 0;
        return -1;
    }
    if (self->pid == 0) {
        execlp ("python3", "python3", script, "--port", "0", "--port-file", port_file, "--quiet",
                (char *) NULL);
        perror ("exec python3");
        _exit (127);
    }
    /* Bounded wait for the port file; fails fast if the server died. */
    for (int i = 0; i < 300; i++) {
        FILE *f = fopen (port_file, "r");
        if (f) {
            int port = 0, n = fscanf (f, "%d", &port);
            fclose (f);
            if (n == 1 && port > 0) {
                self->port = port;
                unlink (port_file);
                return 0;
            }
        }
        if (waitpid (self->pid, NULL, WNOHANG) == self->pid) {
            self->pid = 0;
            fprintf (stderr, "dt_httpd.py (%s) exited at start\n", script);
            return -1;
        }
        usleep (50 * 1000);
    }
    fprintf (stderr, "dt_httpd.py did not write its port within 15 s\n");
    return -1;
}

/* Stops the server (TERM, then KILL after 5 s) and removes its temp dir. */
static void dt_test_httpd_stop (dt_test_httpd_t *self)
{
    if (self->pid > 0) {
        kill (self->pid, SIGTERM);
        for (int i = 0; i < 50 && waitpid (self->pid, NULL, WNOHANG) == 0; i++)
            usleep (100 * 1000);
        if (kill (self->pid, 0) == 0) {
            kill (self->pid, SIGKILL);
            waitpid (self->pid, NULL, 0);
        }
        self->pid = 0;
    }
    if (self->tmpdir[0])
        rmdir (self->tmpdir);
    self->tmpdir[0] = '\0';
}

#endif
