/* dt_store_load.c - recovery: the store's chunks, tasks and results read once at start, in the
 * order the master rebuilds its model from. */
#include "dt_store.h"
#include "dt_store_priv.h"

#include <string.h>

/* What the load's row functions call. */
typedef struct {
    const dt_store_loader_t *loader;
    void *arg;
} s_load_t;

static int s_chunk_row (sqlite3_stmt *stmt, void *ctx)
{
    const s_load_t *load = ctx;
    return load->loader->on_chunk (
        load->arg, dt_store_column_str (stmt, 0), (uint32_t) sqlite3_column_int64 (stmt, 1),
        (uint64_t) sqlite3_column_int64 (stmt, 2), (uint32_t) sqlite3_column_int64 (stmt, 3));
}

/* Columns 4 and 5 are the current result's state and attempts, NULL while
 * the task is pending (then its own attempts count). */
static int s_task_row (sqlite3_stmt *stmt, void *ctx)
{
    const s_load_t *load = ctx;
    int final = sqlite3_column_type (stmt, 4) != SQLITE_NULL;
    return load->loader->on_task (load->arg, (uint64_t) sqlite3_column_int64 (stmt, 0),
                                  dt_store_column_str (stmt, 1), dt_store_column_str (stmt, 2),
                                  (uint32_t) sqlite3_column_int64 (stmt, final ? 5 : 3),
                                  final ? sqlite3_column_int (stmt, 4) : DT_STORE_PENDING);
}

void dt_store_column_result (sqlite3_stmt *stmt, dt_record_t *r)
{
    memset (r, 0, sizeof *r);
    r->id = (uint64_t) sqlite3_column_int64 (stmt, 1);
    r->state = (uint8_t) sqlite3_column_int (stmt, 2);
    r->attempt = (uint32_t) sqlite3_column_int64 (stmt, 3);
    r->http_status = (uint16_t) sqlite3_column_int (stmt, 4);
    r->bytes = (uint64_t) sqlite3_column_int64 (stmt, 5);
    r->elapsed_ms = (uint32_t) sqlite3_column_int64 (stmt, 6);
    r->final_url = dt_store_column_str (stmt, 7);
    r->content_type = dt_store_column_str (stmt, 8);
    r->worker = dt_store_column_str (stmt, 9);
    r->error = dt_store_column_str (stmt, 10);
}

void dt_store_column_output (sqlite3_stmt *stmt, int index, dt_record_t *r)
{
    r->output = dt_store_column_str (stmt, index);
    r->exit_code = (uint16_t) sqlite3_column_int (stmt, index + 1);
    r->warc.file = dt_store_column_str (stmt, index + 2);
    r->warc.offset = (uint64_t) sqlite3_column_int64 (stmt, index + 3);
    r->warc.length = (uint64_t) sqlite3_column_int64 (stmt, index + 4);
    r->warc.digest = dt_store_column_str (stmt, index + 5);
}

static int s_result_row (sqlite3_stmt *stmt, void *ctx)
{
    const s_load_t *load = ctx;
    dt_record_t r;
    uint64_t seq = (uint64_t) sqlite3_column_int64 (stmt, 0);
    dt_store_column_result (stmt, &r);
    r.url = dt_store_column_str (stmt, 12);
    dt_str_t job = dt_store_column_str (stmt, 13);
    dt_store_column_output (stmt, 14, &r);
    /* A result that is not its task's current one was retired (REQUEUE, or
     * a later result of the same task): a tombstone that only holds its
     * position. */
    if (!sqlite3_column_int (stmt, 11)) {
        dt_str_t none = {"", 0};
        r.id = 0;
        r.url = r.final_url = r.content_type = r.worker = r.error = r.output = job = none;
        memset (&r.warc, 0, sizeof r.warc);
    }
    return load->loader->on_result (load->arg, seq, &r, job);
}

int dt_store_load (dt_store_t *self, const dt_store_loader_t *loader, void *arg)
{
    static const struct {
        const char *sql;
        const char *what;
    } passes[] = {
        {"SELECT job, chunk, first_id, count FROM chunks", "load chunks"},
        /* Tasks of the jobs in `jobs` (finished, counted there) are left
         * out. Both scans follow the rowid; the current results (each task's
         * latest after its `since`) are one grouped pass that SQLite
         * materialises with an automatic index on id for the join (a join
         * on seq would get no index and be quadratic). */
        {"SELECT t.id, t.job, t.url, t.attempts, c.state, c.attempts FROM tasks t"
         " LEFT JOIN (SELECT r.id, max(r.seq) AS seq, r.state, r.attempts FROM results r"
         "  JOIN tasks s ON s.id = r.id WHERE r.seq > s.since GROUP BY r.id) c"
         " ON c.id = t.id WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.name = t.job)"
         " ORDER BY t.id",
         "load tasks"},
        {"SELECT r.seq, r.id, r.state, r.attempts, r.http_status, r.bytes, r.elapsed_ms,"
         " r.final_url, r.content_type, r.worker, r.error, coalesce(c.seq = r.seq, 0),"
         " t.url, t.job, r.output, r.exit_code, r.warc_file, r.warc_offset, r.warc_length,"
         " r.digest FROM results r LEFT JOIN (SELECT r.id, max(r.seq) "
         "AS seq FROM results r"
         "  JOIN tasks s ON s.id = r.id WHERE r.seq > s.since GROUP BY r.id) c"
         " ON c.id = r.id LEFT JOIN tasks t ON t.id = r.id ORDER BY r.seq",
         "load results"},
    };
    int (*rows[]) (sqlite3_stmt *, void *) = {s_chunk_row, s_task_row, s_result_row};
    s_load_t load = {loader, arg};
    int wanted[] = {loader->on_chunk != NULL, loader->on_task != NULL, loader->on_result != NULL};
    for (int i = 0; i < 3; i++) {
        if (!wanted[i])
            continue;
        sqlite3_stmt *stmt = NULL;
        if (sqlite3_prepare_v2 (dt_store_db (self), passes[i].sql, -1, &stmt, NULL) != SQLITE_OK)
            return dt_store_fail (self, passes[i].what);
        if (dt_store_each (self, stmt, passes[i].what, rows[i], &load) != 0)
            return -1;
    }
    return 0;
}
