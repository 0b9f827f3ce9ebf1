/* dt_store.c - the master's durable record of jobs, tasks and results, in SQLite. */
#include "dt_store.h"
#include "dt_store_priv.h"
#include "dt_store_crawl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dt_fault.h"
#include "dt_log.h"

/* The schema this code writes. A store with a higher PRAGMA user_version was
 * written by a newer master and is refused rather than misread. */
#define DT_STORE_SCHEMA 5

/* The store is locked exclusively by its master, so waiting only covers a
 * previous master that is still exiting; a live one keeps the lock and the
 * second open fails after this long. */
#define DT_STORE_BUSY_MS 2000

/* Page cache in KiB (negative cache_size): a group of a few thousand tasks
 * plus their index pages fits without spilling to the WAL before commit. */
#define DT_STORE_CACHE_KIB 16384

/* The WAL is truncated back to this size after a checkpoint, so one large
 * burst does not leave a large file behind. */
#define DT_STORE_WAL_LIMIT (64 * 1024 * 1024)

/* What schema 3 added: the results carry their task's job, and both tables
 * are indexed by job, so that a page of one job's results, and the tasks of
 * one job (CANCEL), are index range scans whatever else the store holds;
 * failed results have partial indexes of their own (REQUEUE, FETCH
 * --failed), cheap since they are few. `jobs` holds the counters of the
 * finished jobs the master no longer keeps in memory (dt_store_job_put). */
#define S_SCHEMA_3                                                                                 \
    "CREATE INDEX IF NOT EXISTS tasks_job ON tasks (job, id);"                                     \
    "CREATE INDEX IF NOT EXISTS results_job ON results (job, seq);"                                \
    "CREATE INDEX IF NOT EXISTS results_failed ON results (seq) WHERE state = 2;"                  \
    "CREATE INDEX IF NOT EXISTS results_job_failed ON results (job, seq) WHERE state = 2;"         \
    "CREATE TABLE IF NOT EXISTS jobs (name TEXT PRIMARY KEY, total INTEGER NOT NULL,"              \
    "  done INTEGER NOT NULL, failed INTEGER NOT NULL) WITHOUT ROWID;"

/* What schema 5 added (archives, dtask submit --save warc): where each
 * result's capture is stored (file, offset, length of its gzip members
 * under DATA/warc) and its payload digest; a partial index by task of the
 * results that have one (GET finds a task's capture without a scan, and
 * only saving jobs pay for it); and the jobs that save (`job_flags`:
 * DT_SUBMIT_SAVE, kept with the job so that its retries and its tasks
 * after a restart are dispatched to save too). */
#define S_SCHEMA_5                                                                                 \
    "CREATE INDEX IF NOT EXISTS results_warc ON results (id) WHERE warc_length > 0;"               \
    "CREATE TABLE IF NOT EXISTS job_flags (name TEXT PRIMARY KEY, flags INTEGER NOT NULL)"         \
    "  WITHOUT ROWID;"
#define S_UPGRADE_4                                                                                \
    "ALTER TABLE results ADD COLUMN warc_file TEXT NOT NULL DEFAULT '';"                           \
    "ALTER TABLE results ADD COLUMN warc_offset INTEGER NOT NULL DEFAULT 0;"                       \
    "ALTER TABLE results ADD COLUMN warc_length INTEGER NOT NULL DEFAULT 0;"                       \
    "ALTER TABLE results ADD COLUMN digest TEXT NOT NULL DEFAULT '';" S_SCHEMA_5

/* Schema 1 lacked tasks.since; schema 2 the results' job and the indexes;
 * schema 3 the results' output and exit code (protocol version 3);
 * schema 4 the captures (S_UPGRADE_4). A
 * task's kind travels in its `url` column (see dt_spec.h), so the tasks
 * table is unchanged. */
#define S_UPGRADE_3                                                                                \
    "ALTER TABLE results ADD COLUMN output BLOB NOT NULL DEFAULT x'';"                             \
    "ALTER TABLE results ADD COLUMN exit_code INTEGER NOT NULL DEFAULT 65535;"
#define S_UPGRADE_1 "ALTER TABLE tasks ADD COLUMN since INTEGER NOT NULL DEFAULT 0;"
#define S_UPGRADE_2                                                                                \
    "ALTER TABLE results ADD COLUMN job TEXT NOT NULL DEFAULT '';"                                 \
    "UPDATE results SET job = coalesce((SELECT t.job FROM tasks t WHERE t.id = results.id), "      \
    "'');" S_SCHEMA_3

static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS chunks ("
    "  job TEXT NOT NULL, chunk INTEGER NOT NULL, first_id INTEGER NOT NULL,"
    "  count INTEGER NOT NULL, PRIMARY KEY (job, chunk)) WITHOUT ROWID;"
    /* A task's state is not kept here: finishing a task only appends to
     * `results` (one write per task instead of two). The task is final when
     * it has a result with seq > since, and its latest such result is its
     * current one; REQUEUE raises `since` above every result so far, which
     * retires them all. state and seq are what schema 1 kept; they stay for
     * those stores, and a store of either schema reads the same way. */
    "CREATE TABLE IF NOT EXISTS tasks ("
    "  id INTEGER PRIMARY KEY, job TEXT NOT NULL, url TEXT NOT NULL,"
    "  attempts INTEGER NOT NULL, state INTEGER NOT NULL, seq INTEGER,"
    "  since INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS results ("
    "  seq INTEGER PRIMARY KEY, id INTEGER NOT NULL, state INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL, http_status INTEGER NOT NULL, bytes INTEGER NOT NULL,"
    "  elapsed_ms INTEGER NOT NULL, final_url TEXT NOT NULL, content_type TEXT NOT NULL,"
    "  worker TEXT NOT NULL, error TEXT NOT NULL, job TEXT NOT NULL DEFAULT '',"
    "  output BLOB NOT NULL DEFAULT x'', exit_code INTEGER NOT NULL DEFAULT 65535,"
    "  warc_file TEXT NOT NULL DEFAULT '', warc_offset INTEGER NOT NULL DEFAULT 0,"
    "  warc_length INTEGER NOT NULL DEFAULT 0, digest TEXT NOT NULL DEFAULT '');" S_SCHEMA_3
        S_SCHEMA_5;

/* Statements prepared once at open and reused for the store's life. */
typedef enum {
    S_BEGIN,
    S_COMMIT,
    S_ROLLBACK,
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
    /* IMMEDIATE takes the write lock at once; with locking_mode=EXCLUSIVE it
     * is then held until close, which keeps a second master out. */
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
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

struct dt_store_t {
    sqlite3 *db;                  /* one connection, used from one thread */
    sqlite3_stmt *stmts[S_COUNT]; /* indexed by s_stmt_id_t */
    int in_txn;                   /* a BEGIN is open: writes join the current group */
    int dirty;                    /* written since the last commit */
    int failed;                   /* a write failed: the group must not be committed */
    /* Results recorded but not yet inserted: they go in at DT_STORE_RESULT_ROWS
     * a statement, and the rest before any statement that reads `results`
     * (REQUEUE) and at commit, so they belong to the group they came in. */
    s_pending_result_t pending[DT_STORE_RESULT_ROWS];
    int npending;
    char *arena; /* the pending results' strings */
    size_t arena_used, arena_size;
    uint64_t examined; /* result rows read by dt_store_results, ever */
};

static void s_err (char *err, size_t err_size, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void s_err (char *err, size_t err_size, const char *fmt, ...)
{
    if (!err || !err_size)
        return;
    va_list args;
    va_start (args, fmt);
    vsnprintf (err, err_size, fmt, args);
    va_end (args);
}

/* mkdir -p with mode 0700 for every directory it creates. Fills `err` on
 * failure, including when `dir` (or a parent) exists and is not a directory. */
static int s_mkdirs (const char *dir, char *err, size_t err_size)
{
    size_t len = strlen (dir);
    char *path = strdup (dir);
    if (!path) {
        s_err (err, err_size, "%s: out of memory", dir);
        return -1;
    }
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char saved = path[i];
        path[i] = '\0';
        struct stat st;
        /* EEXIST is not the only answer for a directory that exists (EROFS,
         * EACCES), so those are checked before giving up. */
        int rc = mkdir (path, 0700);
        int error = errno;
        if (rc != 0 && error != EEXIST && !(stat (path, &st) == 0 && S_ISDIR (st.st_mode))) {
            s_err (err, err_size, "cannot create directory %s: %s", path, strerror (error));
            free (path);
            return -1;
        }
        path[i] = saved;
    }
    free (path);
    struct stat st;
    if (stat (dir, &st) != 0) {
        s_err (err, err_size, "%s: %s", dir, strerror (errno));
        return -1;
    }
    if (!S_ISDIR (st.st_mode)) {
        s_err (err, err_size, "%s: exists and is not a directory", dir);
        return -1;
    }
    return 0;
}

/* Logs the connection's last error for `what` and returns -1. */
static int s_fail (dt_store_t *self, const char *what)
{
    dt_log_error ("STORE-ERROR", "%s: %s", what, sqlite3_errmsg (self->db));
    return -1;
}

/* Runs a statement that returns no rows and readies it for reuse. */
static int s_run (dt_store_t *self, s_stmt_id_t id, const char *what)
{
    sqlite3_stmt *stmt = self->stmts[id];
    int rc = sqlite3_step (stmt);
    if (rc != SQLITE_DONE)
        s_fail (self, what);
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int s_begin (dt_store_t *self)
{
    if (s_run (self, S_BEGIN, "begin") != 0)
        return -1;
    self->in_txn = 1;
    return 0;
}

/* Throws the current group away. SQLite rolls some failures back by itself
 * (a full disk, an I/O error), so the transaction may already be gone. */
static void s_rollback (dt_store_t *self)
{
    if (!sqlite3_get_autocommit (self->db))
        s_run (self, S_ROLLBACK, "rollback");
    self->in_txn = 0;
    self->dirty = 0;
    self->failed = 0;
    self->npending = 0;
    self->arena_used = 0;
}

/* Every write starts here. Once a write of the group has failed, the rest
 * are refused too: after SQLite's own rollback they would otherwise each
 * commit on their own, and half a group must never become durable. */
static int s_write (dt_store_t *self, const char *what)
{
    if (self->failed) {
        dt_log_error ("STORE-ERROR", "%s: refused, an earlier write of this group failed", what);
        return -1;
    }
    if (!self->in_txn && s_begin (self) != 0) {
        self->failed = 1;
        return -1;
    }
    self->dirty = 1;
    return 0;
}

/* Ends a write: a failure marks the group so dt_store_commit rolls it back. */
static int s_wrote (dt_store_t *self, int rc)
{
    if (rc != 0)
        self->failed = 1;
    return rc;
}

/* Strings are bytes (may hold NUL, need not be UTF-8): stored as blobs, and
 * an empty string is a zero-length blob rather than NULL. */
void dt_store_bind_str (sqlite3_stmt *stmt, int index, dt_str_t s)
{
    sqlite3_bind_blob64 (stmt, index, s.len ? s.ptr : "", s.len, SQLITE_STATIC);
}

dt_str_t dt_store_column_str (sqlite3_stmt *stmt, int index)
{
    const char *ptr = sqlite3_column_blob (stmt, index); /* before column_bytes, as documented */
    int len = sqlite3_column_bytes (stmt, index);
    dt_str_t s = {ptr ? ptr : "", ptr ? (uint32_t) len : 0};
    return s;
}

static int s_user_version (sqlite3 *db, int *version)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int (stmt, 0);
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* Sets the connection up and creates or checks the schema. */
static int s_setup (dt_store_t *self, const char *path, char *err, size_t err_size)
{
    sqlite3 *db = self->db;
    /* auto_vacuum first: a new store gives pages freed by a purge back to
     * the file system in steps (dt_store_shrink), and the mode only takes
     * before the file is first written. An older store keeps its mode
     * (none): it reuses free pages instead. */
    const char *pragmas = "PRAGMA auto_vacuum = INCREMENTAL;"
                          "PRAGMA locking_mode = EXCLUSIVE;"
                          "PRAGMA journal_mode = WAL;"
                          /* FULL: the WAL is fsync'd at every commit, so an
                           * acknowledged group survives power loss. */
                          "PRAGMA synchronous = FULL;"
                          "PRAGMA foreign_keys = OFF;";
    char tuning[128];
    snprintf (tuning, sizeof tuning, "PRAGMA cache_size = -%d; PRAGMA journal_size_limit = %d;",
              DT_STORE_CACHE_KIB, DT_STORE_WAL_LIMIT);
    if (sqlite3_busy_timeout (db, DT_STORE_BUSY_MS) != SQLITE_OK ||
        sqlite3_exec (db, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec (db, tuning, NULL, NULL, NULL) != SQLITE_OK)
        goto fail;

    int version = 0;
    if (s_user_version (db, &version) != 0)
        goto fail;

    if (version > DT_STORE_SCHEMA) {
        s_err (err, err_size,
               "%s: schema version %d is newer than this master's %d: run a newer dtask-master",
               path, version, DT_STORE_SCHEMA);
        return -1;
    }
    if (version < DT_STORE_SCHEMA) {
        /* Schema 1 lacks tasks.since; its results hold at most one live
         * result per task, which reads the same with since = 0. Schema 2
         * lacks the results' job (filled in from the tasks once, here) and
         * the indexes. */
        const char *create = version == 1   ? S_UPGRADE_1 S_UPGRADE_2 S_UPGRADE_3 S_UPGRADE_4
                             : version == 2 ? S_UPGRADE_2 S_UPGRADE_3 S_UPGRADE_4
                             : version == 3 ? S_UPGRADE_3 S_UPGRADE_4
                             : version == 4 ? S_UPGRADE_4
                                            : s_schema;
        char *sql = sqlite3_mprintf ("BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;",
                                     create, DT_STORE_SCHEMA);
        if (!sql) {
            s_err (err, err_size, "%s: out of memory", path);
            return -1;
        }
        int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);
        sqlite3_free (sql);
        if (rc != SQLITE_OK) {
            s_err (err, err_size, "%s: creating the schema: %s", path, sqlite3_errmsg (db));
            sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }

    /* journal_mode answers with the mode in effect, which is not WAL when
     * the file system cannot do it. */
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db, "PRAGMA journal_mode", -1, &stmt, NULL) != SQLITE_OK)
        goto fail;
    const char *mode =
        sqlite3_step (stmt) == SQLITE_ROW ? (const char *) sqlite3_column_text (stmt, 0) : NULL;
    int wal = mode && strcmp (mode, "wal") == 0;
    sqlite3_finalize (stmt);
    if (!wal) {
        s_err (err, err_size, "%s: the file system does not support WAL journal mode", path);
        return -1;
    }

    for (int i = 0; i < S_COUNT; i++)
        if (sqlite3_prepare_v3 (db, s_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &self->stmts[i],
                                NULL) != SQLITE_OK)
            goto fail;
    return 0;

fail:
    s_err (err, err_size, "%s: %s%s", path, sqlite3_errmsg (db),
           sqlite3_errcode (db) == SQLITE_BUSY ? " (is another dtask-master using it?)" : "");
    return -1;
}

dt_store_t *dt_store_open (const char *dir, char *err, size_t err_size)
{
    if (!dir || !*dir) {
        s_err (err, err_size, "no data directory given");
        return NULL;
    }
    if (s_mkdirs (dir, err, err_size) != 0)
        return NULL;
    char *path = sqlite3_mprintf ("%s/dtask.db", dir);
    dt_store_t *self = calloc (1, sizeof *self);
    if (!path || !self) {
        s_err (err, err_size, "%s: out of memory", dir);
        goto fail;
    }
    /* NOMUTEX: the master uses the store from its one event-loop thread. */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2 (path, &self->db, flags, NULL) != SQLITE_OK) {
        s_err (err, err_size, "%s: %s", path,
               self->db ? sqlite3_errmsg (self->db) : "out of memory");
        goto fail;
    }
    if (s_setup (self, path, err, err_size) != 0)
        goto fail;
    /* Outside the schema versions: a store of any version gains it. */
    if (dt_store_jobinfo_init (self) != 0 || dt_store_http_init (self) != 0 ||
        dt_store_crawl_init (self) != 0 || dt_store_polite_init (self) != 0 ||
        dt_store_archive_init (self) != 0) {
        s_err (err, err_size, "%s: %s", path, sqlite3_errmsg (self->db));
        goto fail;
    }
    if (s_begin (self) != 0) {
        s_err (err, err_size, "%s: %s", path, sqlite3_errmsg (self->db));
        goto fail;
    }
    sqlite3_free (path);
    return self;

fail:
    sqlite3_free (path);
    dt_store_destroy (&self);
    return NULL;
}

void dt_store_destroy (dt_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_store_t *self = *self_p;
    if (self->db && self->stmts[S_ROLLBACK])
        s_rollback (self);
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize (self->stmts[i]);
    free (self->arena);
    /* Closing the last connection also checkpoints and removes the WAL. */
    if (self->db && sqlite3_close (self->db) != SQLITE_OK)
        s_fail (self, "close");
    free (self);
    *self_p = NULL;
}

int dt_store_add_chunk (dt_store_t *self, dt_str_t job, uint32_t chunk, uint64_t first_id,
                        uint32_t count)
{
    if (s_write (self, "add chunk") != 0)
        return -1;
    sqlite3_stmt *stmt = self->stmts[S_ADD_CHUNK];
    dt_store_bind_str (stmt, 1, job);
    sqlite3_bind_int64 (stmt, 2, chunk);
    sqlite3_bind_int64 (stmt, 3, (sqlite3_int64) first_id);
    sqlite3_bind_int64 (stmt, 4, count);
    return s_wrote (self, s_run (self, S_ADD_CHUNK, "add chunk"));
}

int dt_store_add_task (dt_store_t *self, uint64_t id, dt_str_t job, dt_str_t url)
{
    if (s_write (self, "add task") != 0)
        return -1;
    sqlite3_stmt *stmt = self->stmts[S_ADD_TASK];
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) id);
    dt_store_bind_str (stmt, 2, job);
    dt_store_bind_str (stmt, 3, url);
    if (s_run (self, S_ADD_TASK, "add task") != 0) {
        dt_log_error ("STORE-ERROR", "task %" PRIu64 " not recorded", id);
        return s_wrote (self, -1);
    }
    return 0;
}

int dt_store_add_tasks (dt_store_t *self, uint64_t first_id, dt_str_t job, const dt_str_t *urls,
                        uint32_t count)
{
    uint32_t i = 0;
    for (; count - i >= DT_STORE_TASK_ROWS; i += DT_STORE_TASK_ROWS) {
        if (s_write (self, "add tasks") != 0)
            return -1;
        sqlite3_stmt *stmt = self->stmts[S_ADD_TASKS];
        for (int r = 0; r < DT_STORE_TASK_ROWS; r++) {
            sqlite3_bind_int64 (stmt, 3 * r + 1, (sqlite3_int64) (first_id + i + r));
            dt_store_bind_str (stmt, 3 * r + 2, job);
            dt_store_bind_str (stmt, 3 * r + 3, urls[i + r]);
        }
        if (s_run (self, S_ADD_TASKS, "add tasks") != 0) {
            dt_log_error ("STORE-ERROR", "tasks %" PRIu64 "..%" PRIu64 " not recorded",
                          first_id + i, first_id + i + DT_STORE_TASK_ROWS - 1);
            return s_wrote (self, -1);
        }
    }
    for (; i < count; i++)
        if (dt_store_add_task (self, first_id + i, job, urls[i]) != 0)
            return -1;
    return 0;
}

int dt_store_set_attempts (dt_store_t *self, uint64_t id, uint32_t attempts)
{
    if (s_write (self, "set attempts") != 0)
        return -1;
    sqlite3_stmt *stmt = self->stmts[S_SET_ATTEMPTS];
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) id);
    sqlite3_bind_int64 (stmt, 2, attempts);
    return s_wrote (self, s_run (self, S_SET_ATTEMPTS, "set attempts"));
}

/* The pending result's string `i`, borrowed from the arena. */
static dt_str_t s_pending_str (dt_store_t *self, const s_pending_result_t *p, int i)
{
    return p->str_len[i] ? dt_str_n (self->arena + p->str_off[i], p->str_len[i]) : dt_str_n ("", 0);
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
    int n = self->npending;
    int rc = 0;
    if (n == DT_STORE_RESULT_ROWS) {
        sqlite3_stmt *stmt = self->stmts[S_ADD_RESULTS];
        for (int r = 0; r < n; r++)
            s_bind_result (self, stmt, S_RESULT_PARAMS * r, &self->pending[r]);
        rc = s_run (self, S_ADD_RESULTS, "finish: add results");
    } else
        for (int r = 0; r < n && rc == 0; r++) {
            s_bind_result (self, self->stmts[S_ADD_RESULT], 0, &self->pending[r]);
            rc = s_run (self, S_ADD_RESULT, "finish: add result");
        }
    if (rc != 0 && n > 0)
        dt_log_error ("STORE-ERROR", "results %" PRIu64 "..%" PRIu64 " not recorded",
                      self->pending[0].seq, self->pending[n - 1].seq);
    self->npending = 0;
    self->arena_used = 0;
    return s_wrote (self, rc);
}

/* Copies `s` into the arena; its offset goes to *off. */
static int s_arena_put (dt_store_t *self, dt_str_t s, size_t *off)
{
    if (self->arena_size - self->arena_used < s.len) {
        size_t size = self->arena_size ? self->arena_size : 16384;
        while (size - self->arena_used < s.len)
            size *= 2;
        char *arena = realloc (self->arena, size);
        if (!arena) {
            dt_log_error ("STORE-ERROR", "finish: out of memory");
            return -1;
        }
        self->arena = arena;
        self->arena_size = size;
    }
    *off = self->arena_used;
    if (s.len)
        memcpy (self->arena + self->arena_used, s.ptr, s.len);
    self->arena_used += s.len;
    return 0;
}

int dt_store_finish (dt_store_t *self, uint64_t seq, const dt_record_t *r)
{
    if (r->state != DT_STORE_DONE && r->state != DT_STORE_FAILED) {
        dt_log_error ("STORE-ERROR", "finish task %" PRIu64 ": state %u is not final", r->id,
                      r->state);
        return -1;
    }
    if (s_write (self, "finish") != 0)
        return -1;
    /* Only the result row is written: the task's state follows from it at
     * load, and a task finished again without REQUEUE has its older result
     * retired there too (the latest one is current). */
    s_pending_result_t *p = &self->pending[self->npending];
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
    const dt_str_t strs[8] = {r->final_url, r->content_type, r->worker,   r->error,
                              r->output,    r->job,          r->warc.file, r->warc.digest};
    for (int i = 0; i < 8; i++) {
        if (s_arena_put (self, strs[i], &p->str_off[i]) != 0)
            return s_wrote (self, -1);
        p->str_len[i] = strs[i].len;
    }
    if (++self->npending == DT_STORE_RESULT_ROWS)
        return s_flush_results (self);
    return 0;
}

int dt_store_reopen (dt_store_t *self, uint64_t id, uint32_t attempts)
{
    if (s_write (self, "reopen") != 0)
        return -1;
    /* `since` is computed from the results on disk, so the task's buffered
     * result (if any) must be there first. */
    if (s_flush_results (self) != 0)
        return -1;
    sqlite3_bind_int64 (self->stmts[S_REOPEN_TASK], 1, (sqlite3_int64) id);
    sqlite3_bind_int64 (self->stmts[S_REOPEN_TASK], 2, (sqlite3_int64) attempts);
    return s_wrote (self, s_run (self, S_REOPEN_TASK, "reopen: task state"));
}

/* The meta table is created by the first dt_store_set_meta, so stores
 * written before it existed need no new schema version (older masters
 * ignore a table they do not know). */
int dt_store_get_meta (dt_store_t *self, const char *key, uint64_t *value)
{
    *value = 0;
    if (sqlite3_table_column_metadata (self->db, NULL, "meta", "value", NULL, NULL, NULL, NULL,
                                       NULL) != SQLITE_OK)
        return 0; /* no meta table yet: never set */
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT value FROM meta WHERE key = ?1", -1, &stmt, NULL) !=
        SQLITE_OK)
        return s_fail (self, "get meta");
    sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        *value = (uint64_t) sqlite3_column_int64 (stmt, 0);
    else if (rc != SQLITE_DONE)
        s_fail (self, "get meta");
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int dt_store_set_meta (dt_store_t *self, const char *key, uint64_t value)
{
    if (s_write (self, "set meta") != 0)
        return -1;
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_exec (self->db,
                           "CREATE TABLE IF NOT EXISTS meta ("
                           "  key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
                           NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2 (
            self->db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (stmt, 2, (sqlite3_int64) value);
        rc = sqlite3_step (stmt) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    if (rc != SQLITE_OK)
        s_fail (self, "set meta");
    sqlite3_finalize (stmt);
    return s_wrote (self, rc == SQLITE_OK ? 0 : -1);
}

/* Runs the one-row query `id` (parameters bound): fills `out` with its first
 * `n` integer columns. Returns 0 (a row), 1 (none) or -1. */
static int s_row (dt_store_t *self, s_stmt_id_t id, int64_t *out, int n, const char *what)
{
    sqlite3_stmt *stmt = self->stmts[id];
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        for (int i = 0; i < n; i++)
            out[i] = sqlite3_column_int64 (stmt, i);
    else if (rc != SQLITE_DONE)
        s_fail (self, what);
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int dt_store_chunk_find (dt_store_t *self, dt_str_t job, uint32_t chunk, uint64_t *first_id,
                         uint32_t *count)
{
    sqlite3_stmt *stmt = self->stmts[S_FIND_CHUNK];
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
    if (s_write (self, "put job") != 0)
        return -1;
    sqlite3_stmt *stmt = self->stmts[S_JOB_PUT];
    dt_store_bind_str (stmt, 1, job);
    for (int i = 0; i < 3; i++)
        sqlite3_bind_int64 (stmt, 2 + i, (sqlite3_int64) counts[i]);
    return s_wrote (self, s_run (self, S_JOB_PUT, "put job"));
}

int dt_store_job_get (dt_store_t *self, dt_str_t job, uint64_t counts[3])
{
    dt_store_bind_str (self->stmts[S_JOB_GET], 1, job);
    int64_t row[3];
    int rc = s_row (self, S_JOB_GET, row, 3, "get job");
    for (int i = 0; rc == 0 && i < 3; i++)
        counts[i] = (uint64_t) row[i];
    return rc;
}

int dt_store_job_drop (dt_store_t *self, dt_str_t job)
{
    if (s_write (self, "drop job") != 0)
        return -1;
    dt_store_bind_str (self->stmts[S_JOB_DROP], 1, job);
    return s_wrote (self, s_run (self, S_JOB_DROP, "drop job"));
}

int dt_store_job_flags_put (dt_store_t *self, dt_str_t job, uint32_t flags)
{
    if (s_write (self, "put job flags") != 0)
        return -1;
    sqlite3_stmt *stmt = self->stmts[S_JOB_FLAGS_PUT];
    dt_store_bind_str (stmt, 1, job);
    sqlite3_bind_int64 (stmt, 2, flags);
    return s_wrote (self, s_run (self, S_JOB_FLAGS_PUT, "put job flags"));
}

int dt_store_job_flags_get (dt_store_t *self, dt_str_t job, uint32_t *flags)
{
    dt_store_bind_str (self->stmts[S_JOB_FLAGS_GET], 1, job);
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
    sqlite3_stmt *stmt = self->stmts[S_CAPTURE];
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
        s_fail (self, "find capture");
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int dt_store_write (dt_store_t *self, const char *what)
{
    return s_write (self, what);
}

int dt_store_wrote (dt_store_t *self, int rc)
{
    return s_wrote (self, rc);
}

void dt_store_count_examined (dt_store_t *self, uint64_t rows)
{
    self->examined += rows;
}

uint64_t dt_store_examined (const dt_store_t *self)
{
    return self->examined;
}

sqlite3 *dt_store_db (dt_store_t *self)
{
    return self->db;
}

int dt_store_flush (dt_store_t *self)
{
    return self->npending ? s_flush_results (self) : 0;
}

int dt_store_fail (dt_store_t *self, const char *what)
{
    return s_fail (self, what);
}

/* A failed group is rolled back here and reported, so the caller learns at
 * the one point where it decides what to acknowledge. */
int dt_store_commit (dt_store_t *self)
{
    if (self->dirty && DT_FAULT_FAIL ("store-write"))
        self->failed = 1;
    if (self->failed) {
        dt_log_error ("STORE-ERROR", "commit: rolling back a group with a failed write");
        s_rollback (self);
        s_begin (self);
        return -1;
    }
    if (!self->dirty)
        return self->in_txn || s_begin (self) == 0 ? 0 : -1;
    if (s_flush_results (self) != 0 || s_run (self, S_COMMIT, "commit") != 0) {
        s_rollback (self);
        s_begin (self);
        return -1;
    }
    self->in_txn = 0;
    self->dirty = 0;
    /* The group is durable even if the next BEGIN fails; the next write
     * retries it, so this commit still succeeded. */
    s_begin (self);
    return 0;
}

int dt_store_each (dt_store_t *self, sqlite3_stmt *stmt, const char *what,
                   int (*row) (sqlite3_stmt *stmt, void *ctx), void *ctx)
{
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
        stop = row (stmt, ctx);
    if (!stop && rc != SQLITE_DONE)
        s_fail (self, what);
    sqlite3_finalize (stmt);
    if (stop)
        return stop < 0 ? -1 : 0;
    return rc == SQLITE_DONE ? 0 : -1;
}

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
        if (sqlite3_prepare_v2 (self->db, passes[i].sql, -1, &stmt, NULL) != SQLITE_OK)
            return s_fail (self, passes[i].what);
        if (dt_store_each (self, stmt, passes[i].what, rows[i], &load) != 0)
            return -1;
    }
    return 0;
}

int dt_store_dirty (const dt_store_t *self)
{
    return self->dirty != 0;
}
