/* dt_store_crawl.c - a crawl's settings, seen set and page depths in the store. */
#include "dt_store_crawl.h"
#include "dt_store_priv.h"

#include <string.h>

static const char s_create[] =
    "CREATE TABLE IF NOT EXISTS crawl_jobs (name BLOB PRIMARY KEY, key BLOB NOT NULL,"
    "  scope_kind INTEGER NOT NULL, scope BLOB NOT NULL, depth INTEGER NOT NULL,"
    "  max_pages INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS crawl_seen (job BLOB NOT NULL, fp INTEGER NOT NULL,"
    "  PRIMARY KEY (job, fp)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS crawl_depth (job BLOB NOT NULL, first INTEGER NOT NULL,"
    "  count INTEGER NOT NULL, depth INTEGER NOT NULL, PRIMARY KEY (job, first)) WITHOUT ROWID;";

int dt_store_crawl_init (dt_store_t *self)
{
    if (sqlite3_exec (dt_store_db (self), s_create, NULL, NULL, NULL) != SQLITE_OK)
        return dt_store_fail (self, "crawl: create");
    return 0;
}

/* Prepares `sql` inside a write of the group. NULL on failure (the group
 * then fails). */
static sqlite3_stmt *s_write (dt_store_t *self, const char *sql, const char *what)
{
    if (dt_store_write (self, what) != 0)
        return NULL;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (dt_store_db (self), sql, -1, &stmt, NULL) != SQLITE_OK) {
        dt_store_wrote (self, dt_store_fail (self, what));
        return NULL;
    }
    return stmt;
}

int dt_store_crawl_put (dt_store_t *self, dt_str_t job, const dt_crawl_conf_t *conf)
{
    sqlite3_stmt *stmt = s_write (self,
                                  "INSERT OR REPLACE INTO crawl_jobs (name, key, scope_kind,"
                                  " scope, depth, max_pages) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                  "crawl: put");
    if (!stmt)
        return -1;
    dt_store_bind_str (stmt, 1, job);
    sqlite3_bind_blob (stmt, 2, conf->key.bytes, sizeof conf->key.bytes, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 3, conf->scope_kind);
    dt_store_bind_str (stmt, 4, conf->scope);
    sqlite3_bind_int64 (stmt, 5, conf->depth);
    sqlite3_bind_int64 (stmt, 6, (sqlite3_int64) conf->max_pages);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    return dt_store_wrote (self, rc == SQLITE_DONE ? 0 : dt_store_fail (self, "crawl: put"));
}

typedef struct {
    dt_store_crawl_fn fn;
    void *arg;
} s_each_t;

static int s_crawl_row (sqlite3_stmt *stmt, void *ctx)
{
    s_each_t *each = ctx;
    dt_crawl_conf_t conf;
    memset (&conf, 0, sizeof conf);
    dt_str_t key = dt_store_column_str (stmt, 1);
    if (key.len == sizeof conf.key.bytes)
        memcpy (conf.key.bytes, key.ptr, key.len);
    conf.scope_kind = (uint8_t) sqlite3_column_int (stmt, 2);
    conf.scope = dt_store_column_str (stmt, 3);
    conf.depth = (uint32_t) sqlite3_column_int64 (stmt, 4);
    conf.max_pages = (uint64_t) sqlite3_column_int64 (stmt, 5);
    return each->fn (each->arg, dt_store_column_str (stmt, 0), &conf);
}

int dt_store_crawl_each (dt_store_t *self, dt_store_crawl_fn fn, void *arg)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (dt_store_db (self),
                            "SELECT name, key, scope_kind, scope, depth, max_pages FROM crawl_jobs",
                            -1, &stmt, NULL) != SQLITE_OK)
        return dt_store_fail (self, "crawl: list");
    s_each_t each = {fn, arg};
    return dt_store_each (self, stmt, "crawl: list", s_crawl_row, &each);
}

int dt_store_crawl_seen_add (dt_store_t *self, dt_str_t job, const uint64_t *fps, uint32_t n)
{
    if (n == 0)
        return 0;
    sqlite3_stmt *stmt =
        s_write (self, "INSERT OR IGNORE INTO crawl_seen (job, fp) VALUES (?1, ?2)", "crawl: seen");
    if (!stmt)
        return -1;
    int rc = SQLITE_DONE;
    dt_store_bind_str (stmt, 1, job);
    for (uint32_t i = 0; i < n && rc == SQLITE_DONE; i++) {
        sqlite3_bind_int64 (stmt, 2, (sqlite3_int64) fps[i]);
        rc = sqlite3_step (stmt);
        sqlite3_reset (stmt);
    }
    sqlite3_finalize (stmt);
    return dt_store_wrote (self, rc == SQLITE_DONE ? 0 : dt_store_fail (self, "crawl: seen"));
}

static int s_scalar (dt_store_t *self, const char *sql, dt_str_t job, int64_t *value)
{
    sqlite3_stmt *stmt = NULL;
    *value = 0;
    if (sqlite3_prepare_v2 (dt_store_db (self), sql, -1, &stmt, NULL) != SQLITE_OK)
        return dt_store_fail (self, "crawl: count");
    dt_store_bind_str (stmt, 1, job);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        *value = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW ? 0 : dt_store_fail (self, "crawl: count");
}

static int s_seen_row (sqlite3_stmt *stmt, void *ctx)
{
    return dt_crawl_seen_add (ctx, (uint64_t) sqlite3_column_int64 (stmt, 0)) < 0 ? -1 : 0;
}

int dt_store_crawl_seen_load (dt_store_t *self, dt_str_t job, dt_crawl_t *crawl)
{
    int64_t count = 0;
    if (s_scalar (self, "SELECT count(*) FROM crawl_seen WHERE job = ?1", job, &count) != 0 ||
        dt_crawl_seen_ready (crawl, (size_t) count) != 0)
        return -1;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (dt_store_db (self), "SELECT fp FROM crawl_seen WHERE job = ?1", -1,
                            &stmt, NULL) != SQLITE_OK)
        return dt_store_fail (self, "crawl: seen load");
    dt_store_bind_str (stmt, 1, job);
    return dt_store_each (self, stmt, "crawl: seen load", s_seen_row, crawl);
}

int dt_store_crawl_depth_add (dt_store_t *self, dt_str_t job, uint64_t first, uint32_t count,
                              uint32_t depth)
{
    sqlite3_stmt *stmt = s_write (
        self,
        "INSERT OR REPLACE INTO crawl_depth (job, first, count, depth) VALUES (?1, ?2, ?3, ?4)",
        "crawl: depth");
    if (!stmt)
        return -1;
    dt_store_bind_str (stmt, 1, job);
    sqlite3_bind_int64 (stmt, 2, (sqlite3_int64) first);
    sqlite3_bind_int64 (stmt, 3, count);
    sqlite3_bind_int64 (stmt, 4, depth);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    return dt_store_wrote (self, rc == SQLITE_DONE ? 0 : dt_store_fail (self, "crawl: depth"));
}

static int s_depth_row (sqlite3_stmt *stmt, void *ctx)
{
    return dt_crawl_depth_put (ctx, (uint64_t) sqlite3_column_int64 (stmt, 0),
                               (uint32_t) sqlite3_column_int64 (stmt, 1),
                               (uint32_t) sqlite3_column_int64 (stmt, 2));
}

int dt_store_crawl_depth_load (dt_store_t *self, dt_str_t job, dt_crawl_t *crawl)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (dt_store_db (self),
                            "SELECT first, count, depth FROM crawl_depth WHERE job = ?1"
                            " ORDER BY first",
                            -1, &stmt, NULL) != SQLITE_OK)
        return dt_store_fail (self, "crawl: depth load");
    dt_store_bind_str (stmt, 1, job);
    return dt_store_each (self, stmt, "crawl: depth load", s_depth_row, crawl);
}
