/* dt_store_due.c - the store's index of not-before times (task_due). */
#include "dt_store_due.h"
#include "dt_store_priv.h"

#include <stdlib.h>

static const char s_create[] =
    "CREATE TABLE IF NOT EXISTS task_due (id INTEGER PRIMARY KEY, due INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS task_due_at ON task_due (due, id);";

typedef enum { S_ADD, S_DEL, S_NEXT, S_JOB, S_COUNT } s_stmt_id_t;

static const char *s_sql[S_COUNT] = {
    [S_ADD] = "INSERT OR IGNORE INTO task_due (id, due) VALUES (?1, ?2)",
    [S_DEL] = "DELETE FROM task_due WHERE id = ?1",
    /* A row value: one range of task_due_at from the cursor on. */
    [S_NEXT] = "SELECT d.due, d.id, t.job, t.url, t.attempts FROM task_due d INDEXED BY task_due_at"
               " JOIN tasks t ON t.id = d.id WHERE (d.due, d.id) > (?1, ?2)"
               " ORDER BY d.due, d.id LIMIT ?3",
    [S_JOB] = "SELECT d.due, d.id, t.job, t.url, t.attempts FROM tasks t"
              " JOIN task_due d ON d.id = t.id WHERE t.job = ?1 ORDER BY t.id",
};

struct dt_store_due_t {
    dt_store_t *store;            /* not owned */
    sqlite3_stmt *stmts[S_COUNT]; /* prepared once, reset after each use */
};

dt_store_due_t *dt_store_due_new (dt_store_t *store)
{
    dt_store_due_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store;
    sqlite3 *db = dt_store_db (store);
    if (sqlite3_exec (db, s_create, NULL, NULL, NULL) != SQLITE_OK) {
        dt_store_fail (store, "task_due: create");
        free (self);
        return NULL;
    }
    for (int i = 0; i < S_COUNT; i++)
        if (sqlite3_prepare_v3 (db, s_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &self->stmts[i],
                                NULL) != SQLITE_OK) {
            dt_store_fail (store, "task_due: prepare");
            dt_store_due_destroy (&self);
            return NULL;
        }
    return self;
}

void dt_store_due_destroy (dt_store_due_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_store_due_t *self = *self_p;
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize (self->stmts[i]);
    free (self);
    *self_p = NULL;
}

int dt_store_due_add (dt_store_due_t *self, uint64_t first_id, uint32_t count, uint64_t due)
{
    if (dt_store_write (self->store, "task_due: add") != 0)
        return -1;
    sqlite3_stmt *stmt = self->stmts[S_ADD];
    int rc = 0;
    for (uint32_t i = 0; i < count && rc == 0; i++) {
        sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) (first_id + i));
        sqlite3_bind_int64 (stmt, 2, (sqlite3_int64) due);
        if (sqlite3_step (stmt) != SQLITE_DONE)
            rc = dt_store_fail (self->store, "task_due: add");
        sqlite3_reset (stmt);
    }
    return dt_store_wrote (self->store, rc);
}

int dt_store_due_del (dt_store_due_t *self, uint64_t id)
{
    if (dt_store_write (self->store, "task_due: delete") != 0)
        return -1;
    sqlite3_stmt *stmt = self->stmts[S_DEL];
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) id);
    int rc =
        sqlite3_step (stmt) == SQLITE_DONE ? 0 : dt_store_fail (self->store, "task_due: delete");
    sqlite3_reset (stmt);
    return dt_store_wrote (self->store, rc);
}

/* Steps `stmt` (bound) through its rows into `fn`; resets it. */
static int s_each (dt_store_due_t *self, sqlite3_stmt *stmt, dt_store_due_fn fn, void *arg)
{
    int rc, out = 0;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        int r = fn (arg, (uint64_t) sqlite3_column_int64 (stmt, 0),
                    (uint64_t) sqlite3_column_int64 (stmt, 1), dt_store_column_str (stmt, 2),
                    dt_store_column_str (stmt, 3), (uint32_t) sqlite3_column_int64 (stmt, 4));
        if (r != 0) {
            out = r < 0 ? -1 : 0;
            break;
        }
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        out = dt_store_fail (self->store, "task_due: read");
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    return out;
}

int dt_store_due_next (dt_store_due_t *self, uint64_t after_due, uint64_t after_id, uint32_t limit,
                       dt_store_due_fn fn, void *arg)
{
    sqlite3_stmt *stmt = self->stmts[S_NEXT];
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) after_due);
    sqlite3_bind_int64 (stmt, 2, after_id > INT64_MAX ? INT64_MAX : (sqlite3_int64) after_id);
    sqlite3_bind_int64 (stmt, 3, limit);
    return s_each (self, stmt, fn, arg);
}

int dt_store_due_of_job (dt_store_due_t *self, dt_str_t job, dt_store_due_fn fn, void *arg)
{
    sqlite3_stmt *stmt = self->stmts[S_JOB];
    dt_store_bind_str (stmt, 1, job);
    return s_each (self, stmt, fn, arg);
}
