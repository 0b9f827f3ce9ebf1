/* dt_store_purge.c - deleting a finished job from the store in bounded steps, and giving the
 * space back. */
#include "dt_store.h"
#include "dt_store_priv.h"

#include <inttypes.h>
#include <stdio.h>

/* Deletes up to `limit` rows with `sql` (?1 the job, ?2 the limit). Returns
 * the rows deleted, or -1. */
static int64_t s_delete (dt_store_t *self, const char *sql, dt_str_t job, uint32_t limit)
{
    sqlite3 *db = dt_store_db (self);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return dt_store_fail (self, "purge");
    dt_store_bind_str (stmt, 1, job);
    sqlite3_bind_int64 (stmt, 2, limit);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    if (rc != SQLITE_DONE)
        return dt_store_fail (self, "purge");
    return sqlite3_changes64 (db);
}

int dt_store_purge_step (dt_store_t *self, dt_str_t job, uint32_t max_rows, int *done)
{
    /* Each delete picks its rows through the job's index, so a step costs
     * the rows it deletes, not the tables' size. */
    static const char *sql[] = {
        "DELETE FROM results WHERE seq IN (SELECT seq FROM results INDEXED BY results_job"
        " WHERE job = ?1 LIMIT ?2)",
        "DELETE FROM tasks WHERE id IN (SELECT id FROM tasks INDEXED BY tasks_job"
        " WHERE job = ?1 LIMIT ?2)",
        "DELETE FROM chunks WHERE job = ?1 AND chunk IN (SELECT chunk FROM chunks WHERE job = ?1"
        " LIMIT ?2)",
        /* A crawl's (dt_store_crawl.h): its name must not make a later job a crawl. */
        "DELETE FROM crawl_seen WHERE job = ?1 AND fp IN (SELECT fp FROM crawl_seen WHERE job = ?1"
        " LIMIT ?2)",
        "DELETE FROM crawl_depth WHERE job = ?1 AND first IN (SELECT first FROM crawl_depth"
        " WHERE job = ?1 LIMIT ?2)",
        "DELETE FROM crawl_jobs WHERE name = ?1 AND ?2 > 0",
        "DELETE FROM jobs WHERE name = ?1 AND ?2 > 0",
        "DELETE FROM job_info WHERE name = ?1 AND ?2 > 0",
        "DELETE FROM job_flags WHERE name = ?1 AND ?2 > 0",
        "DELETE FROM job_http WHERE name = ?1 AND ?2 > 0",
        "DELETE FROM job_polite WHERE name = ?1 AND ?2 > 0",
    };
    *done = 0;
    /* A result of the job may still wait in the insert buffer. */
    if (dt_store_flush (self) != 0 || dt_store_write (self, "purge") != 0)
        return -1;
    uint32_t left = max_rows;
    for (size_t i = 0; i < sizeof sql / sizeof sql[0] && left > 0; i++) {
        int64_t n = s_delete (self, sql[i], job, left);
        if (n < 0)
            return dt_store_wrote (self, -1);
        left -= (uint32_t) n;
    }
    /* Rows left over in this step: every table ran out of the job's rows. */
    *done = left > 0;
    return 0;
}

int dt_store_shrink (dt_store_t *self, uint32_t pages)
{
    if (dt_store_write (self, "shrink") != 0)
        return -1;
    sqlite3 *db = dt_store_db (self);
    sqlite3_stmt *stmt = NULL;
    char sql[64]; /* a pragma's argument cannot be a bound parameter */
    snprintf (sql, sizeof sql, "PRAGMA incremental_vacuum(%" PRIu32 ")", pages);
    if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return dt_store_wrote (self, dt_store_fail (self, "shrink"));
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        ;
    sqlite3_finalize (stmt);
    return dt_store_wrote (self, rc == SQLITE_DONE ? 0 : dt_store_fail (self, "shrink"));
}
