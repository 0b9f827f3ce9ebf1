/* dt_store_jobs.c - every job's creation order and times (job_info), for listing jobs newest
 * first a bounded page at a time. */
#include "dt_store.h"
#include "dt_store_priv.h"

#include <stddef.h>

/* By name for the model, by seq for JOBS pages. Jobs that left memory
 * under a master older than the table (their counters in `jobs`, no
 * record) get one, after every recorded job, with times unknown (0): they
 * are listed, and no --finished-before purges them. */
static const char s_create[] =
    "CREATE TABLE IF NOT EXISTS job_info (name TEXT PRIMARY KEY, seq INTEGER NOT NULL,"
    "  created INTEGER NOT NULL, finished INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX IF NOT EXISTS job_info_seq ON job_info (seq);"
    "INSERT INTO job_info (name, seq, created, finished)"
    "  SELECT name, (SELECT coalesce(max(seq), 0) FROM job_info)"
    "    + row_number() OVER (ORDER BY name), 0, 0"
    "  FROM jobs WHERE name NOT IN (SELECT name FROM job_info);";

int dt_store_jobinfo_init (dt_store_t *self)
{
    if (sqlite3_exec (dt_store_db (self), s_create, NULL, NULL, NULL) != SQLITE_OK)
        return dt_store_fail (self, "job_info: create");
    return 0;
}

static void s_columns (sqlite3_stmt *stmt, int first, dt_store_jobinfo_t *info)
{
    info->seq = (uint64_t) sqlite3_column_int64 (stmt, first);
    info->created_ms = (uint64_t) sqlite3_column_int64 (stmt, first + 1);
    info->finished_ms = (uint64_t) sqlite3_column_int64 (stmt, first + 2);
}

int dt_store_jobinfo_get (dt_store_t *self, dt_str_t job, dt_store_jobinfo_t *info)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (dt_store_db (self),
                            "SELECT seq, created, finished FROM job_info WHERE name = ?1", -1,
                            &stmt, NULL) != SQLITE_OK)
        return dt_store_fail (self, "job_info: get");
    dt_store_bind_str (stmt, 1, job);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        s_columns (stmt, 0, info);
    sqlite3_finalize (stmt);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? 1 : dt_store_fail (self, "job_info: get");
}

int dt_store_jobinfo_put (dt_store_t *self, dt_str_t job, const dt_store_jobinfo_t *info)
{
    if (dt_store_write (self, "job_info: put") != 0)
        return -1;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (dt_store_db (self),
                            "INSERT OR REPLACE INTO job_info (name, seq, created, finished)"
                            " VALUES (?1, ?2, ?3, ?4)",
                            -1, &stmt, NULL) != SQLITE_OK)
        return dt_store_wrote (self, dt_store_fail (self, "job_info: put"));
    dt_store_bind_str (stmt, 1, job);
    sqlite3_bind_int64 (stmt, 2, (sqlite3_int64) info->seq);
    sqlite3_bind_int64 (stmt, 3, (sqlite3_int64) info->created_ms);
    sqlite3_bind_int64 (stmt, 4, (sqlite3_int64) info->finished_ms);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    return dt_store_wrote (self, rc == SQLITE_DONE ? 0 : dt_store_fail (self, "job_info: put"));
}

/* One integer from `sql` with ?1 bound to `job` (when given); 0 for NULL. */
static int s_scalar (dt_store_t *self, const char *sql, const dt_str_t *job, uint64_t *value)
{
    *value = 0;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (dt_store_db (self), sql, -1, &stmt, NULL) != SQLITE_OK)
        return dt_store_fail (self, "job_info: read");
    if (job)
        dt_store_bind_str (stmt, 1, *job);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
        *value = (uint64_t) sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : dt_store_fail (self, "job_info: read");
}

int dt_store_jobinfo_max_seq (dt_store_t *self, uint64_t *seq)
{
    return s_scalar (self, "SELECT max(seq) FROM job_info", NULL, seq);
}

int dt_store_next_chunk (dt_store_t *self, dt_str_t job, uint32_t *next)
{
    uint64_t value = 0;
    if (s_scalar (self, "SELECT max(chunk) + 1 FROM chunks WHERE job = ?1", &job, &value) != 0)
        return -1;
    *next = value > UINT32_MAX ? UINT32_MAX : (uint32_t) value;
    return 0;
}

typedef struct {
    dt_store_jobinfo_fn fn;
    void *arg;
} s_list_t;

static int s_list_row (sqlite3_stmt *stmt, void *ctx)
{
    s_list_t *list = ctx;
    dt_store_jobinfo_t info;
    s_columns (stmt, 1, &info);
    return list->fn (list->arg, dt_store_column_str (stmt, 0), &info);
}

int dt_store_jobinfo_list (dt_store_t *self, uint64_t before, uint32_t limit,
                           dt_store_jobinfo_fn fn, void *arg)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (dt_store_db (self),
                            "SELECT name, seq, created, finished FROM job_info INDEXED BY"
                            " job_info_seq WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2",
                            -1, &stmt, NULL) != SQLITE_OK)
        return dt_store_fail (self, "job_info: list");
    sqlite3_bind_int64 (stmt, 1, before ? (sqlite3_int64) before : INT64_MAX);
    sqlite3_bind_int64 (stmt, 2, limit);
    s_list_t list = {fn, arg};
    return dt_store_each (self, stmt, "job_info: list", s_list_row, &list); /* finalizes */
}
