/* dt_state_archive.c - the model's part in archives: which jobs save, storing a result's capture
 * with it, and finding captures again for GET and EXPORT. */
#include "dt_state.h"
#include "dt_state_priv.h"
#include "dt_log.h"
#include "dt_spec.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void dt_state_set_archive (dt_state_t *self, dt_archive_t *archive)
{
    self->archive = archive;
}

int dt_state_save_refused (dt_state_t *self, char *err, size_t err_size)
{
    if (!self->store || !self->archive) {
        /* A memory-only master keeps nothing across a restart; captures
         * it acknowledged would be lost with it. */
        snprintf (err, err_size, "--save warc needs a master with a store (--data), not --memory");
        return DT_ERR_STORE;
    }
    const char *stopped = dt_archive_stopped (self->archive);
    if (stopped) {
        snprintf (err, err_size, "archive stopped, saves refused: %s", stopped);
        return DT_ERR_STORE;
    }
    /* A job that could not store even one small capture is refused whole. */
    return dt_state_budget_save (self, DT_ARCHIVE_FILE_HEAD_MAX, err, err_size);
}

int dt_state_job_save (dt_state_t *self, dt_str_t name, char *err, size_t err_size)
{
    int rc = dt_state_save_refused (self, err, err_size);
    if (rc != 0)
        return rc;
    dt_job_t *job = dt_jobs_find (self->jobs, name);
    if (!job)
        return 0; /* a resend of a chunk of a job that left memory: marked already */
    if (job->flags & DT_SUBMIT_SAVE)
        return 0;
    job->flags |= DT_SUBMIT_SAVE;
    self->save_known = 0;
    dt_state_check (self, dt_store_job_flags_put (self->store, name, job->flags));
    return 0;
}

uint32_t dt_state_save_flags (dt_state_t *self, const dt_task_t *task, dt_str_t kind)
{
    /* Without an archive nothing saves; tasks of one job come in runs, so
     * the last job's answer is kept (a job's number is never reused, and
     * dt_state_job_save forgets it). */
    if (!self->archive || !dt_spec_is_http (kind))
        return 0;
    if (!self->save_known || self->save_job != task->job) {
        const dt_job_t *job = dt_jobs_at (self->jobs, task->job);
        self->save_job = task->job;
        self->save_flags = job && (job->flags & DT_SUBMIT_SAVE) ? DT_TASK_SAVE : 0;
        self->save_known = 1;
    }
    return self->save_flags;
}

int dt_state_archive_keep (dt_state_t *self, const dt_task_t *task, dt_report_t *report,
                           char digest[DT_LIMIT_DIGEST_MAX + 1], char *why, size_t why_size)
{
    memset (&report->warc, 0, sizeof report->warc);
    const dt_job_t *job = dt_jobs_at (self->jobs, task->job);
    /* A capture nobody asked for (a job that does not save) is not kept. */
    if (report->capture.len == 0 || !self->archive || !job || !(job->flags & DT_SUBMIT_SAVE))
        return 0;
    char err[DT_LIMIT_ERROR_MAX - 32];
    /* Over the budget the capture is refused, not the archive stopped: a
     * purge makes room again. */
    if (dt_state_budget_save (self, report->capture.len + DT_ARCHIVE_FILE_HEAD_MAX, err,
                              sizeof err) != 0) {
        dt_log_peer_warn ("ARCHIVE-BUDGET", "task %" PRIu64 ": %s", task->id, err);
        snprintf (why, why_size, "capture not stored: %s", err);
        report->error = dt_str (why);
        return -1;
    }
    int rc = dt_archive_append (self->archive, report->capture.ptr, report->capture.len,
                                &report->warc, digest, err, sizeof err);
    if (rc == 0)
        return 0;
    dt_log_warn ("ARCHIVE-REFUSED", "task %" PRIu64 ": %s", task->id, err);
    snprintf (why, why_size, "capture not stored: %s", err);
    report->error = dt_str (why);
    return -1;
}

int dt_state_capture (dt_state_t *self, uint64_t id, uint64_t upto, char *file, size_t file_size,
                      dt_warc_loc_t *loc)
{
    memset (loc, 0, sizeof *loc);
    if (!self->store)
        return 0;
    return dt_store_capture (self->store, id, upto, file, file_size, loc);
}

/* Reads a page of the index. */
typedef struct {
    dt_msg_capture_t *items; /* room for the read's limit */
    uint32_t count;          /* filled */
} s_export_t;

static int s_export_row (void *arg, uint64_t seq, const dt_record_t *r, dt_str_t job)
{
    (void) seq;
    (void) job;
    s_export_t *page = arg;
    if (r->warc.length == 0)
        return 0;
    /* Never stops the read itself: a row that stops it is not consumed
     * (dt_store_results), and `max` rows given bound the page already. */
    page->items[page->count++] = (dt_msg_capture_t){r->id, r->warc.length};
    return 0;
}

uint32_t dt_state_export_page (dt_state_t *self, dt_str_t job, uint64_t *cursor, uint64_t upto,
                               uint32_t max, dt_msg_capture_t *items)
{
    s_export_t page = {items, 0};
    uint64_t reached = *cursor;
    if (!self->store || *cursor >= upto) {
        *cursor = 0;
        return 0;
    }
    /* Results without a capture are passed over: the read examines at
     * most `max` + DT_STORE_EXAMINE_SLACK rows, so a page may come back
     * short (even empty) with a cursor to go on from. */
    if (dt_store_results (self->store, *cursor, upto, job, 0, max, s_export_row, &page, &reached) !=
        0) {
        dt_state_fail (self, "store read failed");
        *cursor = 0;
        return 0;
    }
    *cursor = reached >= upto ? 0 : reached;
    return page.count;
}

/* ---- Reclaim: deleting archive files no result points into --------------- */

static int s_file_used (void *arg, const char *name)
{
    return dt_store_warc_file_used (arg, name);
}

void dt_state_archive_purged (dt_state_t *self)
{
    if (self->archive)
        dt_archive_reclaim_ask (self->archive);
    dt_state_archive_reclaim (self);
}

void dt_state_archive_reclaim (dt_state_t *self)
{
    if (!self->archive || !self->store || self->broken ||
        !dt_archive_reclaim_wanted (self->archive))
        return;
    /* Only what is committed (synchronous = FULL: durable) may decide: a
     * purge's deletes still in the open group could be rolled back, and a
     * result not yet committed may point into a file that just closed. So
     * with writes pending it waits for a turn that starts clean (each
     * commits). No later row can point into a closed file: captures go
     * to the current one only. */
    if (dt_store_dirty (self->store))
        return;
    uint32_t removed = 0;
    if (dt_archive_reclaim (self->archive, s_file_used, self->store, &removed) != 0)
        dt_log_warn ("ARCHIVE-RECLAIM", "could not finish: tried again after the next purge");
    else if (removed)
        dt_log_info ("ARCHIVE-RECLAIM",
                     "%" PRIu32 " archive files deleted: %" PRIu64 " bytes of archive left",
                     removed, dt_archive_disk_bytes (self->archive));
}

int dt_state_archive_reclaim_due (const dt_state_t *self)
{
    return self->archive && self->store && !self->broken &&
           dt_archive_reclaim_wanted (self->archive);
}
