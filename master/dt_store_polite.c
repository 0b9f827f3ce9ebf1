/* dt_store_polite.c - every job's politeness (job_polite): robots.txt obeyed, its own host delay.
 * Outside the schema versions, as job_info is: a store of any version gains the table. */
#include "dt_store.h"
#include "dt_store_priv.h"

/* A row only for jobs that set something: most jobs have none. */
static const char s_create[] =
    "CREATE TABLE IF NOT EXISTS job_polite (name TEXT PRIMARY KEY, robots INTEGER NOT NULL,"
    "  host_delay_ms INTEGER NOT NULL) WITHOUT ROWID;";

int dt_store_polite_init (dt_store_t *self)
{
    if (sqlite3_exec (dt_store_db (self), s_create, NULL, NULL, NULL) != SQLITE_OK)
        return dt_store_fail (self, "job_polite: create");
    return 0;
}

int dt_store_polite_get (dt_store_t *self, dt_str_t job, int *robots, uint32_t *host_delay_ms)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (dt_store_db (self),
                            "SELECT robots, host_delay_ms FROM job_polite WHERE name = ?1", -1,
                            &stmt, NULL) != SQLITE_OK)
        return dt_store_fail (self, "job_polite: get");
    dt_store_bind_str (stmt, 1, job);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        *robots = sqlite3_column_int (stmt, 0) != 0;
        int64_t delay = sqlite3_column_int64 (stmt, 1);
        *host_delay_ms = delay < 0 || delay > UINT32_MAX ? 0 : (uint32_t) delay;
    }
    sqlite3_finalize (stmt);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? 1 : dt_store_fail (self, "job_polite: get");
}

int dt_store_polite_put (dt_store_t *self, dt_str_t job, int robots, uint32_t host_delay_ms)
{
    if (dt_store_write (self, "job_polite: put") != 0)
        return -1;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (dt_store_db (self),
                            "INSERT OR REPLACE INTO job_polite (name, robots, host_delay_ms)"
                            " VALUES (?1, ?2, ?3)",
                            -1, &stmt, NULL) != SQLITE_OK)
        return dt_store_wrote (self, dt_store_fail (self, "job_polite: put"));
    dt_store_bind_str (stmt, 1, job);
    sqlite3_bind_int (stmt, 2, robots != 0);
    sqlite3_bind_int64 (stmt, 3, host_delay_ms);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    return dt_store_wrote (self, rc == SQLITE_DONE ? 0 : dt_store_fail (self, "job_polite: put"));
}
