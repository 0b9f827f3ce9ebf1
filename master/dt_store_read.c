/* dt_store_read.c - reads of the store while the master runs: cold tasks and old results. */
#include "dt_store.h"
#include "dt_store_priv.h"

#include <string.h>

/* Prepares `sql`, or logs why not. */
static sqlite3_stmt *s_prepare (dt_store_t *self, const char *sql, const char *what)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (dt_store_db (self), sql, -1, &stmt, NULL) != SQLITE_OK) {
        dt_store_fail (self, what);
        return NULL;
    }
    return stmt;
}

typedef struct {
    dt_store_task_fn fn;
    void *arg;
} s_task_ctx_t;

static int s_task_row (sqlite3_stmt *stmt, void *ctx)
{
    s_task_ctx_t *c = ctx;
    return c->fn (c->arg, (uint64_t) sqlite3_column_int64 (stmt, 0), dt_store_column_str (stmt, 1),
                  dt_store_column_str (stmt, 2), (uint32_t) sqlite3_column_int64 (stmt, 3));
}

int dt_store_tasks (dt_store_t *self, uint64_t lo, uint64_t hi, dt_str_t job, uint32_t limit,
                    dt_store_task_fn fn, void *arg)
{
    /* The id range walks the primary key; the job test is per row. */
    sqlite3_stmt *stmt = s_prepare (self,
                                    "SELECT id, job, url, attempts FROM tasks"
                                    " WHERE id BETWEEN ?1 AND ?2 AND (length(?3) = 0 OR job = ?3)"
                                    " ORDER BY id LIMIT ?4",
                                    "read tasks");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) lo);
    sqlite3_bind_int64 (stmt, 2, (sqlite3_int64) (hi > INT64_MAX ? INT64_MAX : hi));
    dt_store_bind_str (stmt, 3, job);
    sqlite3_bind_int64 (stmt, 4, limit);
    s_task_ctx_t ctx = {fn, arg};
    return dt_store_each (self, stmt, "read tasks", s_task_row, &ctx);
}

typedef struct {
    dt_store_result_fn fn;
    void *arg;
} s_result_ctx_t;

static int s_result_row (sqlite3_stmt *stmt, void *ctx)
{
    s_result_ctx_t *c = ctx;
    dt_record_t r;
    uint64_t seq = (uint64_t) sqlite3_column_int64 (stmt, 0);
    dt_store_column_result (stmt, &r);
    r.url = dt_store_column_str (stmt, 11);
    return c->fn (c->arg, seq, &r, dt_store_column_str (stmt, 12));
}

int dt_store_results (dt_store_t *self, uint64_t after, uint64_t upto, dt_str_t job,
                      int failed_only, uint32_t limit, dt_store_result_fn fn, void *arg)
{
    if (dt_store_flush (self) != 0)
        return -1;
    /* A result is current while its seq is above its task's `since` (see
     * the schema in dt_store.c): the seq range walks the primary key, the
     * task is one lookup by id. */
    sqlite3_stmt *stmt =
        s_prepare (self,
                   "SELECT r.seq, r.id, r.state, r.attempts, r.http_status, r.bytes, r.elapsed_ms,"
                   " r.final_url, r.content_type, r.worker, r.error, t.url, t.job"
                   " FROM results r JOIN tasks t ON t.id = r.id"
                   " WHERE r.seq > ?1 AND r.seq <= ?2 AND r.seq > t.since"
                   " AND (length(?3) = 0 OR t.job = ?3) AND (?4 = 0 OR r.state = 2)"
                   " ORDER BY r.seq LIMIT ?5",
                   "read results");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) (after > INT64_MAX ? INT64_MAX : after));
    sqlite3_bind_int64 (stmt, 2, (sqlite3_int64) (upto > INT64_MAX ? INT64_MAX : upto));
    dt_store_bind_str (stmt, 3, job);
    sqlite3_bind_int (stmt, 4, failed_only ? 1 : 0);
    sqlite3_bind_int64 (stmt, 5, limit);
    s_result_ctx_t ctx = {fn, arg};
    return dt_store_each (self, stmt, "read results", s_result_row, &ctx);
}
