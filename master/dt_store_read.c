/* dt_store_read.c - reads of the store while the master runs: cold tasks and old results. */
#include "dt_store.h"
#include "dt_store_priv.h"

#include <string.h>

#include "dt_limits.h"

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
    /* Every job: the id range walks the primary key. One job: a range of
     * tasks_job, so its tasks cost what they are, not what the range
     * holds of other jobs (CANCEL of a small job in a large queue). */
    static const char *sql[2] = {
        "SELECT id, job, url, attempts FROM tasks WHERE id BETWEEN ?1 AND ?2 ORDER BY id LIMIT ?4",
        "SELECT id, job, url, attempts FROM tasks INDEXED BY tasks_job"
        " WHERE job = ?3 AND id BETWEEN ?1 AND ?2 ORDER BY id LIMIT ?4",
    };
    sqlite3_stmt *stmt = s_prepare (self, sql[job.len > 0], "read tasks");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) (lo > INT64_MAX ? INT64_MAX : lo));
    sqlite3_bind_int64 (stmt, 2, (sqlite3_int64) (hi > INT64_MAX ? INT64_MAX : hi));
    dt_store_bind_str (stmt, 3, job);
    sqlite3_bind_int64 (stmt, 4, limit);
    s_task_ctx_t ctx = {fn, arg};
    return dt_store_each (self, stmt, "read tasks", s_task_row, &ctx);
}

/* Runs `sql`, a query of one row of integers, into out[0 .. n-1] (NULLs
 * read as 0). Returns 0 or -1. */
static int s_ints (dt_store_t *self, const char *sql, int64_t *out, int n, const char *what)
{
    sqlite3_stmt *stmt = s_prepare (self, sql, what);
    if (!stmt)
        return -1;
    int rc = sqlite3_step (stmt);
    for (int i = 0; rc == SQLITE_ROW && i < n; i++)
        out[i] = sqlite3_column_int64 (stmt, i);
    if (rc != SQLITE_ROW)
        dt_store_fail (self, what);
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW ? 0 : -1;
}

int dt_store_jobs_sum (dt_store_t *self, uint64_t counts[3])
{
    int64_t row[3];
    if (s_ints (self,
                "SELECT coalesce(sum(total), 0), coalesce(sum(done), 0), coalesce(sum(failed), 0)"
                " FROM jobs",
                row, 3, "sum jobs") != 0)
        return -1;
    for (int i = 0; i < 3; i++)
        counts[i] = (uint64_t) row[i];
    return 0;
}

typedef struct {
    int (*fn) (void *arg, dt_str_t name);
    void *arg;
} s_name_ctx_t;

static int s_name_row (sqlite3_stmt *stmt, void *ctx)
{
    s_name_ctx_t *c = ctx;
    return c->fn (c->arg, dt_store_column_str (stmt, 0));
}

int dt_store_jobs_purging (dt_store_t *self, uint32_t limit, int (*fn) (void *arg, dt_str_t name),
                           void *arg)
{
    sqlite3_stmt *stmt = s_prepare (
        self, "SELECT name FROM jobs WHERE total = 0 AND done = 0 AND failed = 0 LIMIT ?1",
        "read purges");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, limit);
    s_name_ctx_t ctx = {fn, arg};
    return dt_store_each (self, stmt, "read purges", s_name_row, &ctx);
}

int dt_store_max_id (dt_store_t *self, uint64_t *id)
{
    int64_t row[1];
    if (s_ints (self, "SELECT coalesce(max(id), 0) FROM tasks", row, 1, "max id") != 0)
        return -1;
    *id = (uint64_t) row[0];
    return 0;
}

int dt_store_bytes (dt_store_t *self, uint64_t *bytes)
{
    /* Pages in use (free ones are reused before the file grows), as the
     * open transaction sees them: writes not yet committed count. */
    int64_t row[3];
    if (s_ints (self,
                "SELECT p.page_count, f.freelist_count, s.page_size FROM pragma_page_count p,"
                " pragma_freelist_count f, pragma_page_size s",
                row, 3, "store size") != 0)
        return -1;
    *bytes = (uint64_t) ((row[0] - row[1]) * row[2]);
    return 0;
}

typedef struct {
    dt_store_t *store;
    dt_store_result_fn fn;
    void *arg;
    uint32_t limit;    /* rows to give fn at most */
    uint32_t given;    /* rows given so far */
    uint64_t examined; /* rows read */
    uint64_t reached;  /* last seq fully handled */
    int stopped;       /* fn stopped the read */
} s_result_ctx_t;

static int s_result_row (sqlite3_stmt *stmt, void *ctx)
{
    s_result_ctx_t *c = ctx;
    uint64_t seq = (uint64_t) sqlite3_column_int64 (stmt, 0);
    c->examined++;
    /* A result at or below its task's `since` was retired (REQUEUE): read
     * and counted, not given. */
    if (seq <= (uint64_t) sqlite3_column_int64 (stmt, 13)) {
        c->reached = seq;
        return 0;
    }
    if (c->given == c->limit) {
        c->stopped = 1;
        return 1;
    }
    dt_record_t r;
    dt_store_column_result (stmt, &r);
    r.url = dt_store_column_str (stmt, 11);
    dt_store_column_output (stmt, 14, &r);
    int rc = c->fn (c->arg, seq, &r, dt_store_column_str (stmt, 12));
    if (rc != 0) {
        c->stopped = rc > 0;
        return rc;
    }
    c->given++;
    c->reached = seq;
    return 0;
}

/* One query per kind of read, so that each can use its index: one job's
 * results are a range of results_job (or of results_job_failed), every
 * job's failed ones a range of results_failed, every result one of the
 * primary key. */
#define S_RESULTS_SELECT                                                                           \
    "SELECT r.seq, r.id, r.state, r.attempts, r.http_status, r.bytes, r.elapsed_ms,"               \
    " r.final_url, r.content_type, r.worker, r.error, t.url, t.job, t.since, r.output,"            \
    " r.exit_code, r.warc_file, r.warc_offset, r.warc_length, r.digest FROM results r "
#define S_RESULTS_JOIN " JOIN tasks t ON t.id = r.id"
static const char *s_results_sql[2][2] = {
    {S_RESULTS_SELECT S_RESULTS_JOIN " WHERE r.seq > ?1 AND r.seq <= ?2 ORDER BY r.seq LIMIT ?4",
     S_RESULTS_SELECT "INDEXED BY results_failed" S_RESULTS_JOIN
                      " WHERE r.state = 2 AND r.seq > ?1 AND r.seq <= ?2 ORDER BY r.seq LIMIT ?4"},
    {S_RESULTS_SELECT "INDEXED BY results_job" S_RESULTS_JOIN
                      " WHERE r.job = ?3 AND r.seq > ?1 AND r.seq <= ?2 ORDER BY r.seq LIMIT ?4",
     S_RESULTS_SELECT "INDEXED BY results_job_failed" S_RESULTS_JOIN
                      " WHERE r.job = ?3 AND r.state = 2 AND r.seq > ?1 AND r.seq <= ?2"
                      " ORDER BY r.seq LIMIT ?4"},
};
#undef S_RESULTS_JOIN
#undef S_RESULTS_SELECT

int dt_store_results (dt_store_t *self, uint64_t after, uint64_t upto, dt_str_t job,
                      int failed_only, uint32_t limit, dt_store_result_fn fn, void *arg,
                      uint64_t *reached)
{
    if (dt_store_flush (self) != 0)
        return -1;
    if (upto > INT64_MAX)
        upto = INT64_MAX;
    if (after >= upto) {
        *reached = upto;
        return 0;
    }
    sqlite3_stmt *stmt =
        s_prepare (self, s_results_sql[job.len > 0][failed_only != 0], "read results");
    if (!stmt)
        return -1;
    /* Rows read past the `limit` given are retired results: at most
     * DT_STORE_EXAMINE_SLACK of them per read, so one read costs at most
     * limit + slack rows whatever the store holds. */
    uint64_t cap = (uint64_t) limit + DT_STORE_EXAMINE_SLACK;
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) (after > INT64_MAX ? INT64_MAX : after));
    sqlite3_bind_int64 (stmt, 2, (sqlite3_int64) upto);
    dt_store_bind_str (stmt, 3, job);
    sqlite3_bind_int64 (stmt, 4, (sqlite3_int64) cap);
    s_result_ctx_t ctx = {self, fn, arg, limit, 0, 0, after, 0};
    int rc = dt_store_each (self, stmt, "read results", s_result_row, &ctx);
    dt_store_count_examined (self, ctx.examined);
    /* Fewer rows than the cap, and not stopped: the range was read to its
     * end. */
    *reached = !ctx.stopped && ctx.examined < cap ? upto : ctx.reached;
    return rc;
}
