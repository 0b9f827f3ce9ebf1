/* dt_archive.c - the master's WARC archive: captures appended to rolling .warc.gz files under
 * DATA/warc, and read back by GET. */
#include "dt_archive.h"
#include "dt_fault.h"
#include "dt_log.h"
#include "dt_warc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#ifndef DTASK_VERSION
#define DTASK_VERSION "0"
#endif

/* The WARC header of a record is read from the first bytes a member
 * inflates to: a header is a few hundred bytes (a long URL makes it up to
 * DT_LIMIT_URL_MAX more). */
#define S_HEADER_MAX (DT_LIMIT_URL_MAX + 4096)

/* "dtask-NNNNN.warc.gz": numbers go past five digits if need be. */
#define S_NAME_FORMAT "dtask-%05" PRIu32 ".warc.gz"

struct dt_archive_t {
    char *dir;           /* DATA/warc */
    uint64_t roll_bytes; /* a file is closed for a new one past this */
    uint64_t reserve;    /* free bytes kept on the disk */
    uint32_t number;     /* of the current file; the highest found at open until the first */
    int fd;              /* the current file, -1 before the first append */
    uint64_t size;       /* its bytes */
    int dirty;           /* bytes appended since the last sync */
    char name[DT_LIMIT_WARC_NAME_MAX + 1]; /* the current file's name */
    char stopped[256];                     /* why it stopped; "" while it accepts */
    uint64_t captures;                     /* appended since open */
    uint64_t bytes;                        /* written since open, warcinfo included */
    uint8_t *header;                       /* S_HEADER_MAX bytes: a record's head */
    uint8_t *scratch;                      /* inflate's output, thrown away past the head */
    uint64_t found;                        /* bytes of the files there at open */
    uint64_t reclaimed;   /* bytes of the files deleted since (dt_archive_reclaim) */
    int reclaim_wanted;   /* a reclaim was asked (and at open: orphans of a crash) */
    uint64_t free_known;  /* free bytes at the last statvfs, less bytes since */
    uint64_t since_check; /* bytes appended since that statvfs */
    int free_asked;       /* free_known holds an answer */
    z_stream inflater;    /* reset for each member that is checked */
    int inflater_ready;   /* inflater was initialised: inflateEnd it */
};

static void s_stop (dt_archive_t *self, const char *why)
{
    if (self->stopped[0])
        return;
    size_t len = strnlen (why, sizeof self->stopped - 1);
    memcpy (self->stopped, why, len);
    self->stopped[len] = '\0';
    dt_log_error ("ARCHIVE-STOPPED", "%s: captures are refused from now on (saves refused)",
                  self->stopped);
}

/* The number in "dtask-NNNNN.warc.gz", or 0 for any other name. */
static uint32_t s_number (const char *name)
{
    unsigned long n = 0;
    char tail[16];
    if (sscanf (name, "dtask-%lu%15s", &n, tail) != 2 || strcmp (tail, ".warc.gz") != 0 ||
        n > UINT32_MAX - 1)
        return 0;
    return (uint32_t) n;
}

/* Size of `name` in the open directory `d`, 0 when it cannot be read. */
static uint64_t s_file_size (DIR *d, const char *name)
{
    struct stat st;
    if (fstatat (dirfd (d), name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG (st.st_mode))
        return 0;
    return (uint64_t) st.st_size;
}

dt_archive_t *dt_archive_open (const char *data_dir, uint64_t roll_bytes, uint64_t reserve,
                               char *err, size_t err_size)
{
    dt_archive_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->fd = -1;
    self->roll_bytes = roll_bytes ? roll_bytes : DT_ARCHIVE_ROLL_BYTES;
    self->reserve = reserve;
    size_t len = strlen (data_dir) + sizeof DT_ARCHIVE_DIR + 1;
    self->dir = malloc (len);
    self->header = malloc (S_HEADER_MAX);
    self->scratch = malloc (64 * 1024);
    /* One inflate state for the archive's life: a new one per capture
     * (state and 32 KiB window allocated, then freed) cost the master
     * more than inflating a small page does. */
    self->inflater_ready = inflateInit2 (&self->inflater, 15 + 16) == Z_OK;
    if (!self->dir || !self->header || !self->scratch || !self->inflater_ready) {
        snprintf (err, err_size, "out of memory");
        goto fail;
    }
    snprintf (self->dir, len, "%s/%s", data_dir, DT_ARCHIVE_DIR);
    if (mkdir (self->dir, 0700) != 0 && errno != EEXIST) {
        snprintf (err, err_size, "cannot create %s: %s", self->dir, strerror (errno));
        goto fail;
    }
    DIR *d = opendir (self->dir);
    if (!d) {
        snprintf (err, err_size, "%s: %s", self->dir, strerror (errno));
        goto fail;
    }
    /* The next file goes after every one there: a file of an earlier run
     * is never written again. */
    struct dirent *e;
    while ((e = readdir (d)) != NULL) {
        uint32_t n = s_number (e->d_name);
        if (n > self->number)
            self->number = n;
        self->found += n ? s_file_size (d, e->d_name) : 0;
    }
    closedir (d);
    /* Files no result points into (a crash between a purge and the
     * deletion of its files) are found at the first reclaim. */
    self->reclaim_wanted = 1;
    return self;

fail:
    dt_archive_destroy (&self);
    return NULL;
}

void dt_archive_destroy (dt_archive_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_archive_t *self = *self_p;
    if (self->fd >= 0)
        close (self->fd);
    free (self->dir);
    free (self->header);
    free (self->scratch);
    if (self->inflater_ready)
        inflateEnd (&self->inflater);
    free (self);
    *self_p = NULL;
}

/* Writes all of `len` bytes at the end of the current file. On failure the
 * file is cut back to where it was, so it holds whole records only. */
static int s_write_all (dt_archive_t *self, const void *data, size_t len, char *err,
                        size_t err_size)
{
    const uint8_t *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write (self->fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int error = n < 0 ? errno : ENOSPC;
            snprintf (err, err_size, "%s/%s: write: %s", self->dir, self->name, strerror (error));
            if (ftruncate (self->fd, (off_t) self->size) != 0 ||
                lseek (self->fd, (off_t) self->size, SEEK_SET) < 0) {
                /* The file's tail may hold a piece of a record: no later
                 * byte may follow it. */
                close (self->fd);
                self->fd = -1;
            }
            return -1;
        }
        p += n;
        left -= (size_t) n;
    }
    self->size += len;
    self->bytes += len;
    self->dirty = 1;
    self->since_check += len;
    if (self->free_known != UINT64_MAX)
        self->free_known = self->free_known > len ? self->free_known - len : 0;
    return 0;
}

/* Closes the current file (synced) and opens the next one, headed by a
 * warcinfo record. */
static int s_roll (dt_archive_t *self, char *err, size_t err_size)
{
    if (self->fd >= 0) {
        /* Its last captures belong to the group not yet committed. */
        if (self->dirty && fdatasync (self->fd) != 0) {
            snprintf (err, err_size, "%s/%s: fdatasync: %s", self->dir, self->name,
                      strerror (errno));
            return -1;
        }
        close (self->fd);
        self->fd = -1;
        self->dirty = 0;
    }
    self->number++;
    snprintf (self->name, sizeof self->name, S_NAME_FORMAT, self->number);
    char path[4096];
    snprintf (path, sizeof path, "%s/%s", self->dir, self->name);
    self->fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    if (self->fd < 0) {
        snprintf (err, err_size, "%.200s: %s", path, strerror (errno));
        return -1;
    }
    self->size = 0;
    /* The new name must survive a crash with the bytes in it. */
    int dfd = open (self->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync (dfd) != 0) {
        snprintf (err, err_size, "%s: fsync: %s", self->dir, strerror (errno));
        if (dfd >= 0)
            close (dfd);
        return -1;
    }
    close (dfd);
    char host[256] = "";
    gethostname (host, sizeof host - 1);
    dt_warc_info_t info = {.filename = self->name,
                           .software = "dtask-master/" DTASK_VERSION,
                           .hostname = host[0] ? host : NULL};
    uint8_t *rec = NULL;
    size_t rec_len = 0;
    if (dt_warc_warcinfo (&info, time (NULL), &rec, &rec_len) != 0) {
        snprintf (err, err_size, "warcinfo: out of memory");
        return -1;
    }
    int rc = s_write_all (self, rec, rec_len, err, err_size);
    free (rec);
    return rc;
}

/* The value of header field `name` in the WARC head `head` (NUL-terminated,
 * CRLF lines) copied into `out`; "" when absent. */
static void s_field (const char *head, const char *name, char *out, size_t out_size)
{
    out[0] = '\0';
    size_t nlen = strlen (name);
    for (const char *line = head; line && *line;) {
        const char *end = strstr (line, "\r\n");
        if (!end || end == line)
            return;
        if ((size_t) (end - line) > nlen && strncasecmp (line, name, nlen) == 0 &&
            line[nlen] == ':') {
            const char *v = line + nlen + 1;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            size_t vlen = (size_t) (end - v);
            if (vlen >= out_size)
                vlen = out_size - 1;
            memcpy (out, v, vlen);
            out[vlen] = '\0';
            return;
        }
        line = end + 2;
    }
}

/* Checks that `data` is gzip members each holding one WARC record, in all
 * at most DT_LIMIT_CAPTURE_INFLATED bytes inflated, and copies the last
 * response record's WARC-Payload-Digest into `digest`. 0, or -1 with a
 * reason in `err`. */
static int s_scan (dt_archive_t *self, const uint8_t *data, size_t len,
                   char digest[DT_LIMIT_DIGEST_MAX + 1], char *err, size_t err_size)
{
    digest[0] = '\0';
    z_stream *z = &self->inflater;
    if (inflateReset (z) != Z_OK) {
        snprintf (err, err_size, "inflate: reset failed");
        return -1;
    }
    uint64_t inflated = 0;
    uint32_t records = 0;
    int rc = -1;
    z->next_in = (Bytef *) data;
    z->avail_in = (uInt) len;
    while (z->avail_in > 0) {
        size_t head = 0;
        int zr = Z_OK;
        while (zr != Z_STREAM_END) {
            z->next_out = self->scratch;
            z->avail_out = 64 * 1024;
            zr = inflate (z, Z_NO_FLUSH);
            if (zr != Z_OK && zr != Z_STREAM_END) {
                snprintf (err, err_size, "record %" PRIu32 ": not gzip (%s)", records + 1,
                          zr == Z_BUF_ERROR ? "cut short"
                          : z->msg          ? z->msg
                                            : "bad data");
                goto done;
            }
            size_t out = 64 * 1024 - z->avail_out;
            inflated += out;
            if (inflated > DT_LIMIT_CAPTURE_INFLATED) {
                snprintf (err, err_size, "inflates past %d bytes", DT_LIMIT_CAPTURE_INFLATED);
                goto done;
            }
            if (head < S_HEADER_MAX - 1) {
                size_t take = out < S_HEADER_MAX - 1 - head ? out : S_HEADER_MAX - 1 - head;
                memcpy (self->header + head, self->scratch, take);
                head += take;
            }
        }
        records++;
        self->header[head] = '\0';
        const char *h = (const char *) self->header;
        if ((strncmp (h, "WARC/1.1\r\n", 10) != 0 && strncmp (h, "WARC/1.0\r\n", 10) != 0) ||
            !strstr (h, "\r\n\r\n")) {
            snprintf (err, err_size, "record %" PRIu32 ": not a WARC record", records);
            goto done;
        }
        char type[32];
        s_field (h + 10, "WARC-Type", type, sizeof type);
        if (strcmp (type, "response") == 0)
            s_field (h + 10, "WARC-Payload-Digest", digest, DT_LIMIT_DIGEST_MAX + 1);
        if (inflateReset (z) != Z_OK) {
            snprintf (err, err_size, "inflate: reset failed");
            goto done;
        }
    }
    if (records == 0) {
        snprintf (err, err_size, "empty");
        goto done;
    }
    rc = 0;
done:
    return rc;
}

/* Free bytes on the archive's file system, or UINT64_MAX when unknown,
 * for appending `len` more: asked again every DT_ARCHIVE_FREE_CHECK_BYTES
 * appended, or when what is left of the last answer would come within a
 * check's worth of the reserve. */
static uint64_t s_free (dt_archive_t *self, size_t len)
{
    uint64_t need = self->reserve + len + 4096 + DT_ARCHIVE_FREE_CHECK_BYTES;
    if (!self->free_asked || self->since_check >= DT_ARCHIVE_FREE_CHECK_BYTES ||
        self->free_known < need) {
        struct statvfs vfs;
        self->free_known = statvfs (self->dir, &vfs) == 0
                               ? (uint64_t) vfs.f_bavail * (uint64_t) vfs.f_frsize
                               : UINT64_MAX;
        self->since_check = 0;
        self->free_asked = 1;
    }
    return self->free_known;
}

int dt_archive_append (dt_archive_t *self, const void *data, size_t len, dt_warc_loc_t *loc,
                       char digest[DT_LIMIT_DIGEST_MAX + 1], char *err, size_t err_size)
{
    memset (loc, 0, sizeof *loc);
    digest[0] = '\0';
    if (self->stopped[0]) {
        snprintf (err, err_size, "archive stopped: %s", self->stopped);
        return DT_ARCHIVE_ESTOPPED;
    }
    char why[1024];
    if (s_scan (self, data, len, digest, why, sizeof why) != 0) {
        snprintf (err, err_size, "capture refused: %s", why);
        return DT_ARCHIVE_EBAD;
    }
    /* A new file costs a warcinfo record too: a few hundred bytes. */
    uint64_t free_bytes = s_free (self, len);
    if (free_bytes < self->reserve + len + 4096) {
        snprintf (why, sizeof why,
                  "disk nearly full: %" PRIu64 " bytes free, %" PRIu64 " kept for the store",
                  free_bytes, self->reserve);
        s_stop (self, why);
        snprintf (err, err_size, "archive stopped: %s", self->stopped);
        return DT_ARCHIVE_ESTOPPED;
    }
    if ((self->fd < 0 || self->size >= self->roll_bytes) && s_roll (self, why, sizeof why) != 0) {
        s_stop (self, why);
        snprintf (err, err_size, "archive stopped: %s", self->stopped);
        return DT_ARCHIVE_ESTOPPED;
    }
    uint64_t offset = self->size;
    if (s_write_all (self, data, len, why, sizeof why) != 0) {
        s_stop (self, why);
        snprintf (err, err_size, "archive stopped: %s", self->stopped);
        return DT_ARCHIVE_ESTOPPED;
    }
    self->captures++;
    loc->file = dt_str (self->name);
    loc->offset = offset;
    loc->length = len;
    loc->digest = dt_str (digest);
    return 0;
}

int dt_archive_sync (dt_archive_t *self)
{
    if (!self->dirty)
        return 0;
    if (self->fd < 0 || fdatasync (self->fd) != 0) {
        char why[1024];
        snprintf (why, sizeof why, "%s/%s: fdatasync: %s", self->dir, self->name,
                  self->fd < 0 ? "file lost" : strerror (errno));
        s_stop (self, why);
        return -1;
    }
    self->dirty = 0;
    return 0;
}

const char *dt_archive_stopped (const dt_archive_t *self)
{
    return self->stopped[0] ? self->stopped : NULL;
}

int dt_archive_read (dt_archive_t *self, dt_str_t file, uint64_t offset, void *buf, size_t len,
                     char *err, size_t err_size)
{
    char name[DT_LIMIT_WARC_NAME_MAX + 1];
    if (file.len == 0 || file.len >= sizeof name) {
        snprintf (err, err_size, "no such archive file");
        return -1;
    }
    memcpy (name, file.ptr, file.len);
    name[file.len] = '\0';
    /* Only names the archive gives: never a path. */
    if (s_number (name) == 0 || strchr (name, '/')) {
        snprintf (err, err_size, "no such archive file");
        return -1;
    }
    char path[4096];
    snprintf (path, sizeof path, "%s/%s", self->dir, name);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf (err, err_size, "%.200s: %s", path, strerror (errno));
        return -1;
    }
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread (fd, (uint8_t *) buf + got, len - got, (off_t) (offset + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf (err, err_size, "%.200s: %s", path,
                      n < 0 ? strerror (errno) : "shorter than indexed");
            close (fd);
            return -1;
        }
        got += (size_t) n;
    }
    close (fd);
    return 0;
}

uint64_t dt_archive_captures (const dt_archive_t *self)
{
    return self->captures;
}

uint64_t dt_archive_bytes (const dt_archive_t *self)
{
    return self->bytes;
}

/* ---- Budget and reclaim: the files' bytes on disk, and deleting files no result needs -------- */

uint64_t dt_archive_disk_bytes (const dt_archive_t *self)
{
    uint64_t total = self->found + self->bytes;
    return total > self->reclaimed ? total - self->reclaimed : 0;
}

void dt_archive_reclaim_ask (dt_archive_t *self)
{
    self->reclaim_wanted = 1;
}

int dt_archive_reclaim_wanted (const dt_archive_t *self)
{
    return self->reclaim_wanted;
}

int dt_archive_reclaim (dt_archive_t *self, dt_archive_used_fn *used, void *arg, uint32_t *removed)
{
    *removed = 0;
    DIR *d = opendir (self->dir);
    if (!d) {
        dt_log_warn ("ARCHIVE-RECLAIM", "%s: %s", self->dir, strerror (errno));
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while ((e = readdir (d)) != NULL) {
        /* Only the archive's own names; the current file still takes
         * captures whose results are not written yet. */
        if (s_number (e->d_name) == 0 || (self->fd >= 0 && strcmp (e->d_name, self->name) == 0))
            continue;
        int in_use = used (arg, e->d_name);
        if (in_use < 0) {
            rc = -1;
            break;
        }
        if (in_use)
            continue;
        uint64_t size = s_file_size (d, e->d_name);
        DT_FAULT_CRASH ("archive-before-unlink");
        if (unlinkat (dirfd (d), e->d_name, 0) != 0) {
            dt_log_warn ("ARCHIVE-RECLAIM", "%s/%s: %s", self->dir, e->d_name, strerror (errno));
            continue;
        }
        self->reclaimed += size;
        (*removed)++;
        dt_log_info ("ARCHIVE-RECLAIMED",
                     "%s: no result points into it: deleted (%" PRIu64 " bytes)", e->d_name, size);
    }
    closedir (d);
    /* A deletion lost to a crash leaves a file no result needs: the next
     * reclaim (at the latest, at the next start) deletes it again. After a
     * failure too: the next purge asks again (asking every turn would
     * spin on a directory that cannot be read). */
    self->reclaim_wanted = 0;
    return rc;
}
