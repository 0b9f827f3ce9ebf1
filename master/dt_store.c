/* dt_store.c - the master's durable record in SQLite: opening it, its schema and upgrades, and
 * the group commit every write joins (rows: dt_store_write.c; recovery: dt_store_load.c). */
#include "dt_store.h"
#include "dt_store_priv.h"
#include "dt_store_crawl.h"
#include "dt_store_steps.h"

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

/* Statements prepared once at open: the group's own (dt_store_write.c
 * prepares the ones that write rows). */
typedef enum { S_BEGIN, S_COMMIT, S_ROLLBACK, S_COUNT } s_stmt_id_t;

static const char *s_sql[S_COUNT] = {
    /* IMMEDIATE takes the write lock at once; with locking_mode=EXCLUSIVE it
     * is then held until close, which keeps a second master out. */
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
};

struct dt_store_t {
    sqlite3 *db;                  /* one connection, used from one thread */
    sqlite3_stmt *stmts[S_COUNT]; /* indexed by s_stmt_id_t */
    dt_store_rows_t *rows;        /* the statements that write rows, and results buffered */
    int in_txn;                   /* a BEGIN is open: writes join the current group */
    int dirty;                    /* written since the last commit */
    int failed;                   /* a write failed: the group must not be committed */
    uint64_t examined;            /* result rows read by dt_store_results, ever */
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
    if (self->rows)
        dt_store_rows_clear (self->rows);
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
    if (!(self->rows = dt_store_rows_new (self->db))) {
        s_err (err, err_size, "%s: %s", path, sqlite3_errmsg (self->db));
        goto fail;
    }
    /* Outside the schema versions: a store of any version gains it. */
    if (dt_store_jobinfo_init (self) != 0 || dt_store_http_init (self) != 0 ||
        dt_store_crawl_init (self) != 0 || dt_store_polite_init (self) != 0 ||
        dt_store_steps_init (self) != 0 || dt_store_archive_init (self) != 0) {
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
    dt_store_rows_destroy (&self->rows);
    /* Closing the last connection also checkpoints and removes the WAL. */
    if (self->db && sqlite3_close (self->db) != SQLITE_OK)
        s_fail (self, "close");
    free (self);
    *self_p = NULL;
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

dt_store_rows_t *dt_store_rows (dt_store_t *self)
{
    return self->rows;
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
    if (dt_store_flush (self) != 0 || s_run (self, S_COMMIT, "commit") != 0) {
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

int dt_store_dirty (const dt_store_t *self)
{
    return self->dirty != 0;
}
