/* dt_store_steps.c - the `steps` table: long operations under way (CANCEL, REQUEUE, PURGE) and
 * where each goes on. Outside the schema versions, as job_info is. */
#include "dt_store_steps.h"
#include "dt_store_priv.h"

#include <string.h>

/* One row an operation: a few at most, rewritten once a step. */
static const char s_create[] =
    "CREATE TABLE IF NOT EXISTS steps (kind INTEGER NOT NULL, job BLOB NOT NULL,"
    "  added INTEGER NOT NULL, next INTEGER NOT NULL, last INTEGER NOT NULL,"
    "  flags INTEGER NOT NULL, PRIMARY KEY (kind, job)) WITHOUT ROWID;";

int dt_store_steps_init (dt_store_t *self)
{
    if (sqlite3_exec (dt_store_db (self), s_create, NULL, NULL, NULL) != SQLITE_OK)
        return dt_store_fail (self, "steps: create");
    return 0;
}

/* Runs `sql` with ?1 kind, ?2 job and, when `op` is to be written whole,
 * ?3 added, ?4 next, ?5 last, ?6 flags. */
static int s_exec (dt_store_t *self, const char *sql, const dt_steps_op_t *op, int whole,
                   const char *what)
{
    if (dt_store_write (self, what) != 0)
        return -1;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (dt_store_db (self), sql, -1, &stmt, NULL) != SQLITE_OK)
        return dt_store_wrote (self, dt_store_fail (self, what));
    sqlite3_bind_int (stmt, 1, op->kind);
    dt_store_bind_str (stmt, 2, dt_steps_job (op));
    if (whole) {
        sqlite3_bind_int64 (stmt, 3, (int64_t) op->added);
        sqlite3_bind_int64 (stmt, 4, (int64_t) op->next);
        sqlite3_bind_int64 (stmt, 5, (int64_t) op->last);
        sqlite3_bind_int64 (stmt, 6, op->flags);
    }
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    return dt_store_wrote (self, rc == SQLITE_DONE ? 0 : dt_store_fail (self, what));
}

int dt_store_steps_put (dt_store_t *self, const dt_steps_op_t *op)
{
    return s_exec (self,
                   "INSERT OR REPLACE INTO steps (kind, job, added, next, last, flags)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                   op, 1, "steps: put");
}

int dt_store_steps_drop (dt_store_t *self, const dt_steps_op_t *op)
{
    return s_exec (self, "DELETE FROM steps WHERE kind = ?1 AND job = ?2", op, 0, "steps: drop");
}

typedef struct {
    int (*fn) (void *arg, const dt_steps_op_t *op);
    void *arg;
} s_load_t;

static int s_row (sqlite3_stmt *stmt, void *ctx)
{
    s_load_t *load = ctx;
    dt_steps_op_t op;
    memset (&op, 0, sizeof op);
    int kind = sqlite3_column_int (stmt, 0);
    dt_str_t job = dt_store_column_str (stmt, 1);
    int64_t added = sqlite3_column_int64 (stmt, 2), next = sqlite3_column_int64 (stmt, 3),
            last = sqlite3_column_int64 (stmt, 4), flags = sqlite3_column_int64 (stmt, 5);
    if (kind <= 0 || kind >= DT_STEPS_KINDS || job.len > DT_LIMIT_JOB_MAX || added < 0 ||
        next < 0 || last < 0 || flags < 0 || flags > UINT32_MAX)
        return 0;
    op.kind = (uint8_t) kind;
    op.job_len = (uint8_t) job.len;
    if (job.len)
        memcpy (op.job, job.ptr, job.len);
    op.added = (uint64_t) added;
    op.next = (uint64_t) next;
    op.last = (uint64_t) last;
    op.flags = (uint32_t) flags;
    return load->fn (load->arg, &op);
}

int dt_store_steps_load (dt_store_t *self, int (*fn) (void *arg, const dt_steps_op_t *op),
                         void *arg)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (dt_store_db (self),
                            "SELECT kind, job, added, next, last, flags FROM steps ORDER BY added",
                            -1, &stmt, NULL) != SQLITE_OK)
        return dt_store_fail (self, "steps: load");
    s_load_t load = {fn, arg};
    return dt_store_each (self, stmt, "steps: load", s_row, &load);
}
