/* dt_child.h - child processes for the command handlers: spawn with pipes, reap, kill, stderr tail.
 *
 * A child runs in its own process group (its pid is the group id), so one
 * kill reaches whatever it started; a terminal's Ctrl-C, sent to the
 * worker's group, does not reach it. It gets exactly three fds (stdin,
 * stdout, stderr: pipes to us) and every other fd is closed in it. Our ends
 * are non-blocking and close-on-exec, read and written in the worker's one
 * poll loop.
 *
 * Reaping: each child has a pidfd (pidfd_open, Linux 5.3) that becomes
 * readable when it exits, so its exit wakes the same poll as its pipes: no
 * SIGCHLD handler (a process-wide resource a library should not take, and
 * racy with libzmq's and curl's threads), no signalfd (it needs SIGCHLD
 * blocked in every thread, including those libzmq starts). Where pidfd_open
 * is missing, `pidfd` is -1 and the caller polls dt_child_reap on a short
 * timer instead. A child is reaped only through its own pid, never
 * waitpid(-1), so other children of the process are left alone.
 */
#ifndef DT_CHILD_H
#define DT_CHILD_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Where a polling fallback looks again for a child's exit, without pidfd. */
#define DT_CHILD_REAP_POLL_MS 20

/* Bytes of a child's stderr kept: the last ones, for an error message that
 * must fit DT_LIMIT_ERROR_MAX with its prefix ("exit status 3: ..."). */
#define DT_CHILD_TAIL_MAX 400

typedef struct {
    pid_t pid; /* also its process group id; 0 once reaped */
    int pidfd; /* readable once it exited; -1 when unavailable or closed */
    int in;    /* its stdin, our write end; -1 once closed */
    int out;   /* its stdout, our read end; -1 at EOF */
    int err;   /* its stderr, our read end; -1 at EOF */
} dt_child_t;

/* The last DT_CHILD_TAIL_MAX bytes of a stream (stderr). */
typedef struct {
    char buf[2 * DT_CHILD_TAIL_MAX]; /* the tail is the last `len` bytes */
    size_t len;                      /* bytes held, at most sizeof buf */
} dt_child_tail_t;

/* Checks that `cmd` can be run: a path with a '/' must be an executable
 * file; a bare name must be one in $PATH (as posix_spawnp will look for
 * it). Returns 0, or -1 with the reason in `err`. */
int dt_child_check (const char *cmd, char *err, size_t err_size);

/* Ignores SIGPIPE in this process when it is still at its default: writing
 * to a child that exited must be an EPIPE, not our death. Children get the
 * default back (dt_child_spawn). */
void dt_child_ignore_sigpipe (void);

/* Puts SIGCHLD back to its default when this process inherited it ignored
 * (or with SA_NOCLDWAIT): the kernel would otherwise reap our children
 * itself, so their exit status is lost, and their pid is free for reuse
 * before we kill their process group. Call before the first spawn. */
void dt_child_default_sigchld (void);

/* Fds each running child holds open in this process: its three pipes and
 * its pidfd (and the child's ends of the pipes while it is spawned). */
#define DT_CHILD_FDS 4

/* Raises this process's soft limit on open fds to at least `need` when
 * the hard limit allows it (children inherit the raised limit). Returns 0
 * when `need` fds are allowed, else -1 with the limit in `err`. */
int dt_child_reserve_fds (size_t need, char *err, size_t err_size);

/* Spawns argv (posix_spawnp when argv[0] has no '/') with the environment
 * plus `env_extra` (NULL-terminated "NAME=VALUE" strings, which replace any
 * variables of those names). Fills `child`. Returns 0, or -1 with the reason
 * in `err` (nothing is left open then). */
int dt_child_spawn (dt_child_t *child, char *const argv[], const char *const env_extra[], char *err,
                    size_t err_size);

/* Reads what `*fd` has now into buf. Returns the bytes read (> 0), 0 when
 * nothing is there yet, or -1 at EOF or on an error, after closing *fd and
 * setting it to -1. */
ssize_t dt_child_read (int *fd, void *buf, size_t size);

/* Writes what `*fd` takes now. Returns the bytes written (>= 0), or -1 when
 * the child closed its end (or on an error), after closing *fd and setting
 * it to -1. */
ssize_t dt_child_write (int *fd, const void *buf, size_t size);

/* dt_child_write of `n` buffers in one system call (writev; n at most
 * IOV_MAX), the way several task lines go to one child at once. */
ssize_t dt_child_writev (int *fd, const struct iovec *iov, int n);
/* Closes *fd if open and sets it to -1. */
void dt_child_close_fd (int *fd);

/* If the child exited: kills what is left of its process group (before
 * reaping, while its pid still names the group), reaps it and stores the
 * wait status in *status. Returns 1 then, 0 while it runs, -1 when it
 * cannot be waited for (already reaped, not ours): then it is forgotten
 * (pid 0, pidfd closed), as after 1, and never killed. Never blocks. */
int dt_child_reap (dt_child_t *child, int *status);

/* SIGKILLs the child's whole process group; its exit comes as usual. */
void dt_child_kill (dt_child_t *child);

/* Kills the group, reaps the child (waiting for it: SIGKILL is not
 * refused) and closes every fd. For shutdown. */
void dt_child_end (dt_child_t *child);

/* "exit status N" or "killed by signal N", from a wait status. */
void dt_child_describe (int status, char *out, size_t size);

void dt_child_tail_add (dt_child_tail_t *tail, const void *data, size_t size);

/* Writes `data` into `out` (NUL-terminated, cut to fit) as one line of
 * printable UTF-8, for an error message: starts at a character boundary,
 * never cuts a character, trims trailing whitespace, turns newlines and
 * tabs into spaces and other control characters or invalid bytes into '?'.
 * Returns the length written. */
size_t dt_child_text (const void *data, size_t len, char *out, size_t size);

/* dt_child_text of the tail. */
size_t dt_child_tail_text (const dt_child_tail_t *tail, char *out, size_t size);

#endif
