/* dt_store_write.c - the rows the master writes as it runs: chunks, tasks and their attempts,
 * results (buffered into multi-row INSERTs), REQUEUE's reopen and the jobs' rows, with the
 * statements for them, prepared once at open. */
#include "dt_store.h"
#include "dt_store_priv.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dt_log.h"

/* The statements that write (and look up) rows, prepared once at open. */
typedef enum {
    S_ADD_CHUNK,
    S_ADD_TASK,
    S_ADD_TASKS,
    S_SET_ATTEMPTS,
    S_ADD_RESULT,
    S_ADD_RESULTS,
    S_REOPEN_TASK,
    S_FIND_CHUNK,
    S_JOB_PUT,
    S_JOB_GET,
    S_JOB_DROP,
    S_JOB_FLAGS_PUT,
    S_JOB_FLAGS_GET,
    S_CAPTURE,
    S_COUNT
} s_stmt_id_t;

/* Rows in one multi-row INSERT of a SUBMIT chunk's tasks: one statement
 * (one VDBE run, one reset, one B-tree descent per row still) instead of 64
 * costs about a third as much per task. 64 x 3 parameters stay far under
 * SQLite's limit on host parameters. */
#define DT_STORE_TASK_ROWS 64
#define S_TASK_ROW         "(?, ?, ?, 0, 0)"
#define S_TASK_ROWS2       S_TASK_ROW ", " S_TASK_ROW
#define S_TASK_ROWS4       S_TASK_ROWS2 ", " S_TASK_ROWS2
#define S_TASK_ROWS8       S_TASK_ROWS4 ", " S_TASK_ROWS4
#define S_TASK_ROWS16      S_TASK_ROWS8 ", " S_TASK_ROWS8
#define S_TASK_ROWS32      S_TASK_ROWS16 ", " S_TASK_ROWS16
#define S_TASK_ROWS64      S_TASK_ROWS32 ", " S_TASK_ROWS32

/* Results in one multi-row INSERT, for the same reason. 64 x 19 parameters
 * stay under SQLite's limit (32,766 since 3.32). A row's job is its task's:
 * the 12th parameter when the caller gives it (the master does: a lookup in
 * `tasks` per row cost more than the rest of the row), else looked up by id
 * (the 13th, the id again; coalesce runs the subquery only then); then
 * output, exit_code and the capture's file, offset, length and digest. */
#define DT_STORE_RESULT_ROWS 64
#define S_RESULT_JOB         "coalesce(?, (SELECT job FROM tasks WHERE id = ?))"
#define S_RESULT_ROW         "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, " S_RESULT_JOB ", ?, ?, ?, ?, ?, ?)"
#define S_RESULT_PARAMS      19
#define S_RESULT_ROWS2       S_RESULT_ROW ", " S_RESULT_ROW
#define S_RESULT_ROWS4       S_RESULT_ROWS2 ", " S_RESULT_ROWS2
#define S_RESULT_ROWS8       S_RESULT_ROWS4 ", " S_RESULT_ROWS4
#define S_RESULT_ROWS16      S_RESULT_ROWS8 ", " S_RESULT_ROWS8
#define S_RESULT_ROWS32      S_RESULT_ROWS16 ", " S_RESULT_ROWS16
#define S_RESULT_ROWS64      S_RESULT_ROWS32 ", " S_RESULT_ROWS32
#define S_RESULT_COLUMNS                                                                           \
    "INSERT INTO results (seq, id, state, attempts, http_status, bytes, elapsed_ms, final_url,"    \
    " content_type, worker, error, job, output, exit_code, warc_file, warc_offset, warc_length,"   \
    " digest) VALUES "

static const char *s_sql[S_COUNT] = {
    [S_ADD_CHUNK] = "INSERT INTO chunks (job, chunk, first_id, count) VALUES (?1, ?2, ?3, ?4)",
    [S_ADD_TASK] = "INSERT INTO tasks (id, job, url, attempts, state) VALUES (?1, ?2, ?3, 0, 0)",
    /* Unnumbered parameters: row r's id, job and url are 3r+1, 3r+2, 3r+3. */
    [S_ADD_TASKS] = "INSERT INTO tasks (id, job, url, attempts, state) VALUES " S_TASK_ROWS64,
    [S_SET_ATTEMPTS] = "UPDATE tasks SET attempts = ?2 WHERE id = ?1",
    /* Unnumbered parameters: row r's are 19r+1 .. 19r+19. */
    [S_ADD_RESULT] = S_RESULT_COLUMNS S_RESULT_ROW,
    [S_ADD_RESULTS] = S_RESULT_COLUMNS S_RESULT_ROWS64,
    /* A task has at most one result: REQUEUE retires the current one by
     * moving `since` past every result so far (buffered ones are flushed
     * first). The load then gives those rows as tombstones (id 0), so their
     * positions are never handed out again: a client's cursor may be past
     * them. state and seq are cleared for a schema-1 reader's sake. */
    [S_REOPEN_TASK] = "UPDATE tasks SET state = 0, attempts = ?2, seq = NULL,"
                      " since = (SELECT coalesce(max(seq), 0) FROM results) WHERE id = ?1",
    [S_FIND_CHUNK] = "SELECT first_id, count FROM chunks WHERE job = ?1 AND chunk = ?2",
    [S_JOB_PUT] = "INSERT OR REPLACE INTO jobs (name, total, done, failed) VALUES (?1, ?2, ?3, ?4)",
    [S_JOB_GET] = "SELECT total, done, failed FROM jobs WHERE name = ?1",
    [S_JOB_DROP] = "DELETE FROM jobs WHERE name = ?1",
    [S_JOB_FLAGS_PUT] = "INSERT OR REPLACE INTO job_flags (name, flags) VALUES (?1, ?2)",
    [S_JOB_FLAGS_GET] = "SELECT flags FROM job_flags WHERE name = ?1",
    /* The task's current capture: its latest result after its `since`
     * (older ones were retired by REQUEUE), one lookup of results_warc. */
    [S_CAPTURE] = "SELECT r.warc_file, r.warc_offset, r.warc_length, r.digest"
                  " FROM results r INDEXED BY results_warc JOIN tasks t ON t.id = r.id"
                  " WHERE r.id = ?1 AND r.warc_length > 0 AND r.seq > t.since AND r.seq <= ?2"
                  " ORDER BY r.seq DESC LIMIT 1",
};

/* A result waiting in the store's buffer for its multi-row INSERT. Its
 * strings are copied into the buffer's arena (the caller's are borrowed)
 * and kept as offsets, since the arena may move as it grows. */
typedef struct {
    uint64_t seq, id, bytes;
    uint32_t attempt, elapsed_ms;
    uint8_t state;
    uint16_t http_status;
    uint16_t exit_code;
    uint64_t warc_offset, warc_length;
    size_t str_off[8]; /* final_url, content_type, worker, error, output, job, warc file, digest */
    uint32_t str_len[8];
} s_pending_result_t;

struct dt_store_rows_t {
    sqlite3_stmt *stmts[S_COUNT]; /* indexed by s_stmt_id_t */
    /* Results recorded but not yet inserted: they go in at DT_STORE_RESULT_ROWS
     * a statement, and the rest before any statement that reads `results`
     * (REQUEUE) and at commit, so they belong to the group they came in. */
    s_pending_result_t pending[DT_STORE_RESULT_ROWS];
    int npending;
    char *arena; /* the pending results' strings */
    size_t arena_used, arena_size;
};

dt_store_rows_t *dt_store_rows_new (sqlite3 *db)
{
    dt_store_rows_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    for (int i = 0; i < S_COUNT; i++)
        if (sqlite3_prepare_v3 (db, s_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &self->stmts[i],
                                NULL) != SQLITE_OK) {
            dt_store_rows_destroy (&self);
            return NULL;
        }
    return self;
}

void dt_store_rows_destroy (dt_store_rows_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_store_rows_t *self = *self_p;
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize (self->stmts[i]);
    free (self->arena);
    free (self);
    *self_p = NULL;
}

void dt_store_rows_clear (dt_store_rows_t *self)
{
    self->npending = 0;
    self->arena_used = 0;
}

/* Statement `id` of the store's. */
static sqlite3_stmt *s_stmt (dt_store_t *self, s_stmt_id_t id)
{
    return dt_store_rows (self)->stmts[id];
}

/* Runs a statement that returns no rows and readies it for reuse. */
static int s_run (dt_store_t *self, s_stmt_id_t id, const char *what)
{
    sqlite3_stmt *stmt = s_stmt (self, id);
    int rc = sqlite3_step (stmt);
    if (rc != SQLITE_DONE)
        dt_store_fail (self, what);
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    return rc == SQLITE_DONE ? 0 : -1;
}

int dt_store_add_chunk (dt_store_t *self, dt_str_t job, uint32_t chunk, uint64_t first_id,
                        uint32_t count)
{
    if (dt_store_write (self, "add chunk") != 0)
        return -1;
    sqlite3_stmt *stmt = s_stmt (self, S_ADD_CHUNK);
    dt_store_bind_str (stmt, 1, job);
    sqlite3_bind_int64 (stmt, 2, chunk);
    sqlite3_bind_int64 (stmt, 3, (sqlite3_int64) first_id);
    sqlite3_bind_int64 (stmt, 4, count);
    return dt_store_wrote (self, s_run (self, S_ADD_CHUNK, "add chunk"));
}

int dt_store_add_task (dt_store_t *self, uint64_t id, dt_str_t job, dt_str_t url)
{
    if (dt_store_write (self, "add task") != 0)
        return -1;
    sqlite3_stmt *stmt = s_stmt (self, S_ADD_TASK);
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) id);
    dt_store_bind_str (stmt, 2, job);
    dt_store_bind_str (stmt, 3, url);
    if (s_run (self, S_ADD_TASK, "add task") != 0) {
        dt_log_error ("STORE-ERROR", "task %" PRIu64 " not recorded", id);
        return dt_store_wrote (self, -1);
    }
    return 0;
}

int dt_store_add_tasks (dt_store_t *self, uint64_t first_id, dt_str_t job, const dt_str_t *urls,
                        uint32_t count)
{
    uint32_t i = 0;
    for (; count - i >= DT_STORE_TASK_ROWS; i += DT_STORE_TASK_ROWS) {
        if (dt_store_write (self, "add tasks") != 0)
            return -1;
        sqlite3_stmt *stmt = s_stmt (self, S_ADD_TASKS);
        for (int r = 0; r < DT_STORE_TASK_ROWS; r++) {
            sqlite3_bind_int64 (stmt, 3 * r + 1, (sqlite3_int64) (first_id + i + r));
            dt_store_bind_str (stmt, 3 * r + 2, job);
            dt_store_bind_str (stmt, 3 * r + 3, urls[i + r]);
        }
        if (s_run (self, S_ADD_TASKS, "add tasks") != 0) {
            dt_log_error ("STORE-ERROR", "tasks %" PRIu64 "..%" PRIu64 " not recorded",
                          first_id + i, first_id + i + DT_STORE_TASK_ROWS - 1);
            return dt_store_wrote (self, -1);
        }
    }
    for (; i < count; i++)
        if (dt_store_add_task (self, first_id + i, job, urls[i]) != 0)
            return -1;
    return 0;
}

int dt_store_set_attempts (dt_store_t *self, uint64_t id, uint32_t attempts)
{
    if (dt_store_write (self, "set attempts") != 0)
        return -1;
    sqlite3_stmt *stmt = s_stmt (self, S_SET_ATTEMPTS);
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) id);
    sqlite3_bind_int64 (stmt, 2, attempts);
    return dt_store_wrote (self, s_run (self, S_SET_ATTEMPTS, "set attempts"));
}

/* The pending result's string `i`, borrowed from the arena. */
static dt_str_t s_pending_str (dt_store_t *self, const s_pending_result_t *p, int i)
{
    dt_store_rows_t *rows = dt_store_rows (self);
    return p->str_len[i] ? dt_str_n (rows->arena + p->str_off[i], p->str_len[i]) : dt_str_n ("", 0);
}

/* Binds pending result `p` to parameters base+1 .. base+S_RESULT_PARAMS of `stmt`. */
static void s_bind_result (dt_store_t *self, sqlite3_stmt *stmt, int base,
                           const s_pending_result_t *p)
{
    sqlite3_bind_int64 (stmt, base + 1, (sqlite3_int64) p->seq);
    sqlite3_bind_int64 (stmt, base + 2, (sqlite3_int64) p->id);
    sqlite3_bind_int (stmt, base + 3, p->state);
    sqlite3_bind_int64 (stmt, base + 4, p->attempt);
    sqlite3_bind_int (stmt, base + 5, p->http_status);
    sqlite3_bind_int64 (stmt, base + 6, (sqlite3_int64) p->bytes);
    sqlite3_bind_int64 (stmt, base + 7, p->elapsed_ms);
    for (int i = 0; i < 4; i++)
        dt_store_bind_str (stmt, base + 8 + i, s_pending_str (self, p, i));
    if (p->str_len[5]) /* else NULL: the job is looked up by id */
        dt_store_bind_str (stmt, base + 12, s_pending_str (self, p, 5));
    else
        sqlite3_bind_null (stmt, base + 12);
    sqlite3_bind_int64 (stmt, base + 13, (sqlite3_int64) p->id);
    dt_store_bind_str (stmt, base + 14, s_pending_str (self, p, 4));
    sqlite3_bind_int (stmt, base + 15, p->exit_code);
    dt_store_bind_str (stmt, base + 16, s_pending_str (self, p, 6));
    sqlite3_bind_int64 (stmt, base + 17, (sqlite3_int64) p->warc_offset);
    sqlite3_bind_int64 (stmt, base + 18, (sqlite3_int64) p->warc_length);
    dt_store_bind_str (stmt, base + 19, s_pending_str (self, p, 7));
}

/* Inserts the pending results: full statements of DT_STORE_RESULT_ROWS when
 * the buffer is full, one row a statement for a remainder. */
static int s_flush_results (dt_store_t *self)
{
    dt_store_rows_t *rows = dt_store_rows (self);
    int n = rows->npending;
    int rc = 0;
    if (n == DT_STORE_RESULT_ROWS) {
        sqlite3_stmt *stmt = s_stmt (self, S_ADD_RESULTS);
        for (int r = 0; r < n; r++)
            s_bind_result (self, stmt, S_RESULT_PARAMS * r, &rows->pending[r]);
        rc = s_run (self, S_ADD_RESULTS, "finish: add results");
    } else
        for (int r = 0; r < n && rc == 0; r++) {
            s_bind_result (self, s_stmt (self, S_ADD_RESULT), 0, &rows->pending[r]);
            rc = s_run (self, S_ADD_RESULT, "finish: add result");
        }
    if (rc != 0 && n > 0)
        dt_log_error ("STORE-ERROR", "results %" PRIu64 "..%" PRIu64 " not recorded",
                      rows->pending[0].seq, rows->pending[n - 1].seq);
    rows->npending = 0;
    rows->arena_used = 0;
    return dt_store_wrote (self, rc);
}

/* Copies `s` into the arena; its offset goes to *off. */
static int s_arena_put (dt_store_t *self, dt_str_t s, size_t *off)
{
    dt_store_rows_t *rows = dt_store_rows (self);
    if (rows->arena_size - rows->arena_used < s.len) {
        size_t size = rows->arena_size ? rows->arena_size : 16384;
        while (size - rows->arena_used < s.len)
            size *= 2;
        char *arena = realloc (rows->arena, size);
        if (!arena) {
            dt_log_error ("STORE-ERROR", "finish: out of memory");
            return -1;
        }
        rows->arena = arena;
        rows->arena_size = size;
    }
    *off = rows->arena_used;
    if (s.len)
        memcpy (rows->arena + rows->arena_used, s.ptr, s.len);
    rows->arena_used += s.len;
    return 0;
}

int dt_store_finish (dt_store_t *self, uint64_t seq, const dt_record_t *r)
{
    if (r->state != DT_STORE_DONE && r->state != DT_STORE_FAILED) {
        dt_log_error ("STORE-ERROR", "finish task %" PRIu64 ": state %u is not final", r->id,
                      r->state);
        return -1;
    }
    if (dt_store_write (self, "finish") != 0)
        return -1;
    dt_store_rows_t *rows = dt_store_rows (self);
    /* Only the result row is written: the task's state follows from it at
     * load, and a task finished again without REQUEUE has its older result
     * retired there too (the latest one is current). */
    s_pending_result_t *p = &rows->pending[rows->npending];
    p->seq = seq;
    p->id = r->id;
    p->state = r->state;
    p->attempt = r->attempt;
    p->http_status = r->http_status;
    p->bytes = r->bytes;
    p->elapsed_ms = r->elapsed_ms;
    p->exit_code = r->exit_code;
    p->warc_offset = r->warc.offset;
    p->warc_length = r->warc.length;
    const dt_str_t strs[8] = {r->final_url, r->content_type, r->worker,    r->error,
                              r->output,    r->job,          r->warc.file, r->warc.digest};
    for (int i = 0; i < 8; i++) {
        if (s_arena_put (self, strs[i], &p->str_off[i]) != 0)
            return dt_store_wrote (self, -1);
        p->str_len[i] = strs[i].len;
    }
    if (++rows->npending == DT_STORE_RESULT_ROWS)
        return s_flush_results (self);
    return 0;
}

int dt_store_reopen (dt_store_t *self, uint64_t id, uint32_t attempts)
{
    if (dt_store_write (self, "reopen") != 0)
        return -1;
    /* `since` is computed from the results on disk, so the task's buffered
     * result (if any) must be there first. */
    if (s_flush_results (self) != 0)
        return -1;
    sqlite3_bind_int64 (s_stmt (self, S_REOPEN_TASK), 1, (sqlite3_int64) id);
    sqlite3_bind_int64 (s_stmt (self, S_REOPEN_TASK), 2, (sqlite3_int64) attempts);
    return dt_store_wrote (self, s_run (self, S_REOPEN_TASK, "reopen: task state"));
}

/* Runs the one-row query `id` (parameters bound): fills `out` with its first
 * `n` integer columns. Returns 0 (a row), 1 (none) or -1. */
static int s_row (dt_store_t *self, s_stmt_id_t id, int64_t *out, int n, const char *what)
{
    sqlite3_stmt *stmt = s_stmt (self, id);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        for (int i = 0; i < n; i++)
            out[i] = sqlite3_column_int64 (stmt, i);
    else if (rc != SQLITE_DONE)
        dt_store_fail (self, what);
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int dt_store_chunk_find (dt_store_t *self, dt_str_t job, uint32_t chunk, uint64_t *first_id,
                         uint32_t *count)
{
    sqlite3_stmt *stmt = s_stmt (self, S_FIND_CHUNK);
    dt_store_bind_str (stmt, 1, job);
    sqlite3_bind_int64 (stmt, 2, chunk);
    int64_t row[2];
    int rc = s_row (self, S_FIND_CHUNK, row, 2, "find chunk");
    if (rc == 0) {
        *first_id = (uint64_t) row[0];
        *count = (uint32_t) row[1];
    }
    return rc;
}

int dt_store_job_put (dt_store_t *self, dt_str_t job, const uint64_t counts[3])
{
    if (dt_store_write (self, "put job") != 0)
        return -1;
    sqlite3_stmt *stmt = s_stmt (self, S_JOB_PUT);
    dt_store_bind_str (stmt, 1, job);
    for (int i = 0; i < 3; i++)
        sqlite3_bind_int64 (stmt, 2 + i, (sqlite3_int64) counts[i]);
    return dt_store_wrote (self, s_run (self, S_JOB_PUT, "put job"));
}

int dt_store_job_get (dt_store_t *self, dt_str_t job, uint64_t counts[3])
{
    dt_store_bind_str (s_stmt (self, S_JOB_GET), 1, job);
    int64_t row[3];
    int rc = s_row (self, S_JOB_GET, row, 3, "get job");
    for (int i = 0; rc == 0 && i < 3; i++)
        counts[i] = (uint64_t) row[i];
    return rc;
}

int dt_store_job_drop (dt_store_t *self, dt_str_t job)
{
    if (dt_store_write (self, "drop job") != 0)
        return -1;
    dt_store_bind_str (s_stmt (self, S_JOB_DROP), 1, job);
    return dt_store_wrote (self, s_run (self, S_JOB_DROP, "drop job"));
}

int dt_store_job_flags_put (dt_store_t *self, dt_str_t job, uint32_t flags)
{
    if (dt_store_write (self, "put job flags") != 0)
        return -1;
    sqlite3_stmt *stmt = s_stmt (self, S_JOB_FLAGS_PUT);
    dt_store_bind_str (stmt, 1, job);
    sqlite3_bind_int64 (stmt, 2, flags);
    return dt_store_wrote (self, s_run (self, S_JOB_FLAGS_PUT, "put job flags"));
}

int dt_store_job_flags_get (dt_store_t *self, dt_str_t job, uint32_t *flags)
{
    dt_store_bind_str (s_stmt (self, S_JOB_FLAGS_GET), 1, job);
    int64_t row[1] = {0};
    int rc = s_row (self, S_JOB_FLAGS_GET, row, 1, "get job flags");
    *flags = rc == 0 ? (uint32_t) row[0] : 0;
    return rc < 0 ? -1 : 0;
}

int dt_store_capture (dt_store_t *self, uint64_t id, uint64_t upto, char *file, size_t file_size,
                      dt_warc_loc_t *loc)
{
    memset (loc, 0, sizeof *loc);
    if (dt_store_flush (self) != 0)
        return -1;
    sqlite3_stmt *stmt = s_stmt (self, S_CAPTURE);
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) id);
    sqlite3_bind_int64 (stmt, 2, (sqlite3_int64) (upto > INT64_MAX ? INT64_MAX : upto));
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        dt_str_t name = dt_store_column_str (stmt, 0);
        if (name.len < file_size) {
            memcpy (file, name.ptr, name.len);
            file[name.len] = '\0';
            loc->file = dt_str_n (file, name.len);
            loc->offset = (uint64_t) sqlite3_column_int64 (stmt, 1);
            loc->length = (uint64_t) sqlite3_column_int64 (stmt, 2);
        }
    } else if (rc != SQLITE_DONE)
        dt_store_fail (self, "find capture");
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int dt_store_flush (dt_store_t *self)
{
    return dt_store_rows (self)->npending ? s_flush_results (self) : 0;
}
