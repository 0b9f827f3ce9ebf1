/* dt_warc_file.c - appends captures to rolling .warc.gz files in a directory (the worker's local
 * mode). */
#include "dt_warc_file.h"
#include "dt_warc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef DTASK_VERSION
#define DTASK_VERSION "0"
#endif

struct dt_warc_file_t {
    char *dir;           /* owned copy */
    char *operator_;     /* owned copy, or NULL */
    uint64_t roll_bytes; /* a file at or over this is closed before the next append */
    int fd;              /* current file, -1 when none */
    uint64_t size;       /* its size */
    uint32_t seq;        /* files opened so far */
    char path[PATH_MAX]; /* current file's path, "" when none */
    char host[256];      /* hostname for warcinfo */
};

dt_warc_file_t *dt_warc_file_new (const char *dir, uint64_t roll_bytes, const char *operator_,
                                  char *err, size_t err_size)
{
    struct stat st;
    if (stat (dir, &st) != 0 || !S_ISDIR (st.st_mode)) {
        snprintf (err, err_size, "%s: not a directory", dir);
        return NULL;
    }
    if (access (dir, W_OK | X_OK) != 0) {
        snprintf (err, err_size, "%s: not writable: %s", dir, strerror (errno));
        return NULL;
    }
    dt_warc_file_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->fd = -1;
    self->roll_bytes = roll_bytes ? roll_bytes : (uint64_t) DT_WARC_FILE_ROLL_BYTES;
    self->dir = strdup (dir);
    self->operator_ = operator_ ? strdup (operator_) : NULL;
    if (!self->dir || (operator_ && !self->operator_)) {
        snprintf (err, err_size, "out of memory");
        dt_warc_file_destroy (&self);
        return NULL;
    }
    if (gethostname (self->host, sizeof self->host) != 0 || !self->host[0])
        snprintf (self->host, sizeof self->host, "localhost");
    self->host[sizeof self->host - 1] = '\0';
    return self;
}

static void s_close (dt_warc_file_t *self)
{
    if (self->fd >= 0)
        close (self->fd);
    self->fd = -1;
    self->size = 0;
}

void dt_warc_file_destroy (dt_warc_file_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_warc_file_t *self = *self_p;
    s_close (self);
    free (self->dir);
    free (self->operator_);
    free (self);
    *self_p = NULL;
}

/* Writes all `len` bytes, or cuts the file back to its size before. */
static int s_write_all (dt_warc_file_t *self, const void *data, size_t len, char *err,
                        size_t err_size)
{
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write (self->fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf (err, err_size, "%s: write: %s", self->path,
                      n < 0 ? strerror (errno) : "wrote nothing");
            if (ftruncate (self->fd, (off_t) self->size) != 0 ||
                lseek (self->fd, (off_t) self->size, SEEK_SET) < 0)
                s_close (self); /* cannot repair it: the next append starts a new file */
            return -1;
        }
        p += n;
        left -= (size_t) n;
    }
    self->size += len;
    return 0;
}

/* Opens the next file and writes its warcinfo record. */
static int s_open (dt_warc_file_t *self, char *err, size_t err_size)
{
    time_t now = time (NULL);
    struct tm tm;
    gmtime_r (&now, &tm);
    char stamp[16];
    strftime (stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
    char name[96];
    snprintf (name, sizeof name, "dtask-%s-%ld-%05" PRIu32 ".warc.gz", stamp, (long) getpid (),
              self->seq);
    if ((size_t) snprintf (self->path, sizeof self->path, "%s/%s", self->dir, name) >=
        sizeof self->path) {
        snprintf (err, err_size, "%s: path too long", self->dir);
        self->path[0] = '\0';
        return -1;
    }
    /* O_EXCL: never append to a file someone else wrote. */
    self->fd = open (self->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0640);
    if (self->fd < 0) {
        snprintf (err, err_size, "%s: %s", self->path, strerror (errno));
        return -1;
    }
    self->seq++;
    self->size = 0;
    dt_warc_info_t info = {.filename = name,
                           .software = "dtask/" DTASK_VERSION,
                           .hostname = self->host,
                           .operator_ = self->operator_};
    uint8_t *rec = NULL;
    size_t rec_len = 0;
    if (dt_warc_warcinfo (&info, now, &rec, &rec_len) != 0) {
        snprintf (err, err_size, "cannot build the warcinfo record");
        s_close (self);
        unlink (self->path);
        return -1;
    }
    int rc = s_write_all (self, rec, rec_len, err, err_size);
    free (rec);
    if (rc != 0) {
        s_close (self);
        unlink (self->path);
    }
    return rc;
}

int dt_warc_file_append (dt_warc_file_t *self, const void *data, size_t len, char *err,
                         size_t err_size)
{
    if (self->fd >= 0 && self->size >= self->roll_bytes)
        s_close (self);
    if (self->fd < 0 && s_open (self, err, err_size) != 0)
        return -1;
    return s_write_all (self, data, len, err, err_size);
}

const char *dt_warc_file_path (const dt_warc_file_t *self)
{
    return self->path;
}

uint32_t dt_warc_file_count (const dt_warc_file_t *self)
{
    return self->seq;
}
