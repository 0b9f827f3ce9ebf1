/* dt_child.c - child processes for the command handlers: spawn with pipes, reap, kill, stderr tail.
 */
#define _GNU_SOURCE /* pipe2, posix_spawn_file_actions_addclosefrom_np */
#include "dt_child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* posix_spawnp's search path when PATH is unset (glibc's confstr(_CS_PATH)). */
#define S_DEFAULT_PATH "/bin:/usr/bin"

static int s_fail (char *err, size_t err_size, const char *fmt, const char *a, const char *b)
{
    snprintf (err, err_size, fmt, a, b);
    return -1;
}

/* 0 when `path` is an executable regular file, else an errno value. */
static int s_executable (const char *path)
{
    struct stat st;
    if (stat (path, &st) != 0)
        return errno;
    if (S_ISDIR (st.st_mode))
        return EISDIR;
    if (!S_ISREG (st.st_mode))
        return EACCES;
    return access (path, X_OK) == 0 ? 0 : errno;
}

int dt_child_check (const char *cmd, char *err, size_t err_size)
{
    if (!cmd || !cmd[0])
        return s_fail (err, err_size, "empty command%s%s", "", "");
    if (strchr (cmd, '/')) {
        int e = s_executable (cmd);
        return e ? s_fail (err, err_size, "%s: %s", cmd, strerror (e)) : 0;
    }
    const char *path = getenv ("PATH");
    if (!path)
        path = S_DEFAULT_PATH;
    /* The first hit is the one posix_spawnp will run; an entry found but
     * not executable is skipped there too. */
    const char *p = path;
    for (;;) {
        const char *colon = strchr (p, ':');
        size_t n = colon ? (size_t) (colon - p) : strlen (p);
        char full[4096];
        /* An empty entry means the current directory. */
        int len = snprintf (full, sizeof full, "%.*s%s%s", (int) n, n ? p : ".", "/", cmd);
        if (len > 0 && (size_t) len < sizeof full && s_executable (full) == 0)
            return 0;
        if (!colon)
            break;
        p = colon + 1;
    }
    return s_fail (err, err_size, "%s: command not found in $PATH%s", cmd, "");
}

void dt_child_ignore_sigpipe (void)
{
    struct sigaction sa;
    if (sigaction (SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        memset (&sa, 0, sizeof sa);
        sa.sa_handler = SIG_IGN;
        sigemptyset (&sa.sa_mask);
        sigaction (SIGPIPE, &sa, NULL);
    }
}

void dt_child_default_sigchld (void)
{
    struct sigaction sa;
    if (sigaction (SIGCHLD, NULL, &sa) == 0 &&
        (sa.sa_handler == SIG_IGN || (sa.sa_flags & SA_NOCLDWAIT))) {
        memset (&sa, 0, sizeof sa);
        sa.sa_handler = SIG_DFL;
        sigemptyset (&sa.sa_mask);
        sigaction (SIGCHLD, &sa, NULL);
    }
}

int dt_child_reserve_fds (size_t need, char *err, size_t err_size)
{
    struct rlimit rl;
    if (getrlimit (RLIMIT_NOFILE, &rl) != 0)
        return 0; /* cannot tell: let a spawn report EMFILE if it comes */
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
        struct rlimit raised = {want, rl.rlim_max};
        if (setrlimit (RLIMIT_NOFILE, &raised) == 0)
            rl.rlim_cur = want;
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        snprintf (err, err_size, "open files limited to %llu (ulimit -n), %zu wanted",
                  (unsigned long long) rl.rlim_cur, need);
        return -1;
    }
    return 0;
}

/* The environment with `extra` added, replacing variables of the same
 * names. The array is the caller's to free; its strings are borrowed. */
static char **s_environment (const char *const extra[])
{
    size_t n_env = 0, n_extra = 0;
    while (environ && environ[n_env])
        n_env++;
    while (extra && extra[n_extra])
        n_extra++;
    char **envp = calloc (n_env + n_extra + 1, sizeof *envp);
    if (!envp)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < n_env; i++) {
        int replaced = 0;
        for (size_t j = 0; j < n_extra && !replaced; j++) {
            size_t name_len = strcspn (extra[j], "=") + 1; /* "NAME=" */
            replaced = strncmp (environ[i], extra[j], name_len) == 0;
        }
        if (!replaced)
            envp[n++] = environ[i];
    }
    for (size_t j = 0; j < n_extra; j++)
        envp[n++] = (char *) extra[j];
    return envp;
}

/* A pipe whose both ends close on exec; our end (`ours`: 0 read, 1 write)
 * is also non-blocking. The child's end stays blocking, as programs expect
 * of their std fds. */
static int s_pipe (int fds[2], int ours)
{
    if (pipe2 (fds, O_CLOEXEC) != 0)
        return -1;
    int flags = fcntl (fds[ours], F_GETFL);
    if (flags < 0 || fcntl (fds[ours], F_SETFL, flags | O_NONBLOCK) != 0) {
        close (fds[0]);
        close (fds[1]);
        return -1;
    }
    return 0;
}

/* Set once the kernel (or valgrind, or a seccomp filter) says it has no
 * pidfd_open: the same answer for every child, so ask only once. */
static volatile int s_no_pidfd;

static int s_pidfd_open (pid_t pid)
{
#ifdef SYS_pidfd_open
    if (s_no_pidfd)
        return -1;
    /* Close-on-exec by definition. */
    int fd = (int) syscall (SYS_pidfd_open, pid, 0);
    if (fd < 0 && (errno == ENOSYS || errno == EPERM))
        s_no_pidfd = 1;
    return fd;
#else
    (void) pid;
    return -1;
#endif
}

int dt_child_spawn (dt_child_t *child, char *const argv[], const char *const env_extra[], char *err,
                    size_t err_size)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1};
    int fa_ready = 0, attr_ready = 0, rc = -1;
    char **envp = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    memset (child, 0, sizeof *child);
    child->pidfd = child->in = child->out = child->err = -1;

    if (s_pipe (in, 1) != 0 || s_pipe (out, 0) != 0 || s_pipe (errp, 0) != 0) {
        s_fail (err, err_size, "pipe: %s%s", strerror (errno), "");
        goto done;
    }
    envp = s_environment (env_extra);
    if (!envp) {
        s_fail (err, err_size, "out of memory%s%s", "", "");
        goto done;
    }
    int e = posix_spawn_file_actions_init (&fa);
    fa_ready = e == 0;
    /* dup2 onto 0, 1, 2 clears close-on-exec on the copies only. */
    if (!e)
        e = posix_spawn_file_actions_adddup2 (&fa, in[0], 0);
    if (!e)
        e = posix_spawn_file_actions_adddup2 (&fa, out[1], 1);
    if (!e)
        e = posix_spawn_file_actions_adddup2 (&fa, errp[1], 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    /* Our fds are close-on-exec already; this also covers any a library
     * opened without it (curl's sockets, an inherited fd). */
    if (!e)
        e = posix_spawn_file_actions_addclosefrom_np (&fa, 3);
#endif
    if (!e)
        e = posix_spawnattr_init (&attr);
    attr_ready = e == 0;
    /* Its own process group; an empty signal mask; default dispositions
     * for what we ignore or handle (an ignored SIGPIPE would survive exec
     * and break `cmd | head` in the child). */
    sigset_t mask, defaults;
    sigemptyset (&mask);
    sigemptyset (&defaults);
    sigaddset (&defaults, SIGPIPE);
    sigaddset (&defaults, SIGINT);
    sigaddset (&defaults, SIGTERM);
    sigaddset (&defaults, SIGHUP);
    sigaddset (&defaults, SIGQUIT);
    sigaddset (&defaults, SIGCHLD);
    if (!e)
        e = posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                 POSIX_SPAWN_SETSIGDEF);
    if (!e)
        e = posix_spawnattr_setpgroup (&attr, 0);
    if (!e)
        e = posix_spawnattr_setsigmask (&attr, &mask);
    if (!e)
        e = posix_spawnattr_setsigdefault (&attr, &defaults);
    if (e) {
        s_fail (err, err_size, "posix_spawn setup: %s%s", strerror (e), "");
        goto done;
    }
    pid_t pid;
    if (strchr (argv[0], '/'))
        e = posix_spawn (&pid, argv[0], &fa, &attr, argv, envp);
    else
        e = posix_spawnp (&pid, argv[0], &fa, &attr, argv, envp);
    if (e) {
        s_fail (err, err_size, "cannot run %s: %s", argv[0], strerror (e));
        goto done;
    }
    child->pid = pid;
    child->pidfd = s_pidfd_open (pid);
    child->in = in[1];
    child->out = out[0];
    child->err = errp[0];
    in[1] = out[0] = errp[0] = -1;
    rc = 0;
done:
    for (int i = 0; i < 2; i++) {
        dt_child_close_fd (&in[i]);
        dt_child_close_fd (&out[i]);
        dt_child_close_fd (&errp[i]);
    }
    if (fa_ready)
        posix_spawn_file_actions_destroy (&fa);
    if (attr_ready)
        posix_spawnattr_destroy (&attr);
    free (envp);
    return rc;
}

void dt_child_close_fd (int *fd)
{
    if (*fd >= 0) {
        close (*fd);
        *fd = -1;
    }
}

ssize_t dt_child_read (int *fd, void *buf, size_t size)
{
    if (*fd < 0)
        return -1;
    for (;;) {
        ssize_t n = read (*fd, buf, size);
        if (n > 0)
            return n;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        dt_child_close_fd (fd);
        return -1;
    }
}

ssize_t dt_child_write (int *fd, const void *buf, size_t size)
{
    if (*fd < 0)
        return -1;
    for (;;) {
        ssize_t n = write (*fd, buf, size);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        dt_child_close_fd (fd);
        return -1;
    }
}

ssize_t dt_child_writev (int *fd, const struct iovec *iov, int n)
{
    if (*fd < 0)
        return -1;
    for (;;) {
        ssize_t w = writev (*fd, iov, n);
        if (w >= 0)
            return w;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        dt_child_close_fd (fd);
        return -1;
    }
}

int dt_child_reap (dt_child_t *child, int *status)
{
    if (child->pid <= 0)
        return -1;
    siginfo_t info;
    memset (&info, 0, sizeof info);
    /* WNOWAIT: look without reaping, so the group can still be named. */
    while (waitid (P_PID, (id_t) child->pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
        if (errno == EINTR)
            continue;
        /* Reaped by someone else (ECHILD): its pid may already name
         * another process, so it is forgotten, never killed. */
        child->pid = 0;
        dt_child_close_fd (&child->pidfd);
        return -1;
    }
    if (info.si_pid == 0)
        return 0;
    kill (-child->pid, SIGKILL);
    pid_t pid = child->pid;
    child->pid = 0;
    while (waitpid (pid, status, 0) < 0)
        if (errno != EINTR) {
            dt_child_close_fd (&child->pidfd);
            return -1;
        }
    dt_child_close_fd (&child->pidfd);
    return 1;
}

void dt_child_kill (dt_child_t *child)
{
    if (child->pid > 0)
        kill (-child->pid, SIGKILL);
}

void dt_child_end (dt_child_t *child)
{
    if (child->pid > 0) {
        kill (-child->pid, SIGKILL);
        while (waitpid (child->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        child->pid = 0;
    }
    dt_child_close_fd (&child->pidfd);
    dt_child_close_fd (&child->in);
    dt_child_close_fd (&child->out);
    dt_child_close_fd (&child->err);
}

void dt_child_describe (int status, char *out, size_t size)
{
    if (WIFEXITED (status))
        snprintf (out, size, "exit status %d", WEXITSTATUS (status));
    else if (WIFSIGNALED (status))
        snprintf (out, size, "killed by signal %d", WTERMSIG (status));
    else
        snprintf (out, size, "wait status %d", status);
}

void dt_child_tail_add (dt_child_tail_t *tail, const void *data, size_t size)
{
    const char *p = data;
    if (size >= DT_CHILD_TAIL_MAX) {
        memcpy (tail->buf, p + size - DT_CHILD_TAIL_MAX, DT_CHILD_TAIL_MAX);
        tail->len = DT_CHILD_TAIL_MAX;
        return;
    }
    /* Keep the last DT_CHILD_TAIL_MAX bytes, moving only when full: the
     * buffer is twice that, so a move happens at most once per
     * DT_CHILD_TAIL_MAX bytes added. */
    if (tail->len + size > sizeof tail->buf) {
        memmove (tail->buf, tail->buf + tail->len - DT_CHILD_TAIL_MAX, DT_CHILD_TAIL_MAX);
        tail->len = DT_CHILD_TAIL_MAX;
    }
    memcpy (tail->buf + tail->len, p, size);
    tail->len += size;
}

/* Length of the valid UTF-8 sequence at s (at most `left` bytes), or 0. */
static size_t s_utf8_len (const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    size_t n = c >= 0xC2 && c <= 0xDF   ? 2
               : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4
                                        : 0;
    if (n == 0 || n > left)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    /* Overlong forms, surrogates and code points past U+10FFFF. */
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F) || (c == 0xF0 && s[1] < 0x90) ||
        (c == 0xF4 && s[1] > 0x8F))
        return 0;
    return n;
}

size_t dt_child_text (const void *data, size_t len, char *out, size_t size)
{
    if (size == 0)
        return 0;
    const unsigned char *s = data;
    size_t i = 0, o = 0;
    /* Cut in the middle of a character: skip its continuation bytes. */
    while (i < len && (s[i] & 0xC0) == 0x80)
        i++;
    while (i < len && o + 1 < size) {
        if (s[i] < 0x80) {
            unsigned char c = s[i++];
            out[o++] = c == '\n' || c == '\r' || c == '\t' ? ' '
                       : c < 0x20 || c == 0x7F             ? '?'
                                                           : (char) c;
            continue;
        }
        size_t n = s_utf8_len (s + i, len - i);
        if (n == 0) {
            out[o++] = '?';
            i++;
        } else if (o + n + 1 > size)
            break;
        else {
            memcpy (out + o, s + i, n);
            o += n;
            i += n;
        }
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    return o;
}

size_t dt_child_tail_text (const dt_child_tail_t *tail, char *out, size_t size)
{
    size_t start = tail->len > DT_CHILD_TAIL_MAX ? tail->len - DT_CHILD_TAIL_MAX : 0;
    return dt_child_text (tail->buf + start, tail->len - start, out, size);
}
