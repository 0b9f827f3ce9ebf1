/* dt_store_archive.c - which archive files results point into, so that files holding only
 * captures of purged jobs can be deleted (dt_archive_reclaim). */
#include "dt_store.h"
#include "dt_store_priv.h"

#include <string.h>

/* By file, the results that have a capture: a reclaim asks one lookup per
 * archive file instead of a scan of the results. Partial, like
 * results_warc: only saving jobs pay for it. Outside the schema versions,
 * as job_info is: a store of any version gains it at open. */
static const char *s_create =
    "CREATE INDEX IF NOT EXISTS results_warc_file ON results (warc_file) WHERE warc_length > 0;";

int dt_store_archive_init (dt_store_t *self)
{
    if (sqlite3_exec (dt_store_db (self), s_create, NULL, NULL, NULL) != SQLITE_OK)
        return dt_store_fail (self, "results_warc_file: create");
    return 0;
}

int dt_store_warc_file_used (dt_store_t *self, const char *name)
{
    /* Buffered results count: they belong to the group being written. */
    if (dt_store_flush (self) != 0)
        return -1;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (dt_store_db (self),
                            "SELECT 1 FROM results INDEXED BY results_warc_file"
                            " WHERE warc_file = ?1 AND warc_length > 0 LIMIT 1",
                            -1, &stmt, NULL) != SQLITE_OK)
        return dt_store_fail (self, "archive file used");
    /* Bound as the results' rows were written: a blob (dt_store_bind_str). */
    dt_store_bind_str (stmt, 1, dt_str_n (name, strlen (name)));
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : dt_store_fail (self, "archive file used");
}
