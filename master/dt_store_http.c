/* dt_store_http.c - every job's HTTP options (job_http), durable with the job's first chunk. */
#include "dt_store.h"
#include "dt_store_priv.h"

/* Outside the schema versions, as job_info is: a store of any version
 * gains it, and a job without options has no row. */
static const char s_create[] =
    "CREATE TABLE IF NOT EXISTS job_http (name TEXT PRIMARY KEY, method INTEGER NOT NULL,"
    "  timeout_ms INTEGER NOT NULL, connect_timeout_ms INTEGER NOT NULL,"
    "  max_bytes INTEGER NOT NULL, compressed INTEGER NOT NULL, user_agent BLOB NOT NULL,"
    "  headers BLOB NOT NULL) WITHOUT ROWID;";

int dt_store_http_init (dt_store_t *self)
{
    if (sqlite3_exec (dt_store_db (self), s_create, NULL, NULL, NULL) != SQLITE_OK)
        return dt_store_fail (self, "job_http: create");
    return 0;
}

int dt_store_http_get (dt_store_t *self, dt_str_t job, dt_jobhttp_t **http_p)
{
    sqlite3_stmt *stmt = NULL;
    *http_p = NULL;
    if (sqlite3_prepare_v2 (dt_store_db (self),
                            "SELECT method, timeout_ms, connect_timeout_ms, max_bytes, compressed,"
                            " user_agent, headers FROM job_http WHERE name = ?1",
                            -1, &stmt, NULL) != SQLITE_OK)
        return dt_store_fail (self, "job_http: get");
    dt_store_bind_str (stmt, 1, job);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        dt_msg_httpopt_t h = {
            .method = (uint8_t) sqlite3_column_int (stmt, 0),
            .timeout_ms = (uint32_t) sqlite3_column_int64 (stmt, 1),
            .connect_timeout_ms = (uint32_t) sqlite3_column_int64 (stmt, 2),
            .max_bytes = (uint64_t) sqlite3_column_int64 (stmt, 3),
            .compressed = (uint8_t) sqlite3_column_int (stmt, 4),
            .user_agent = dt_store_column_str (stmt, 5),
            .headers = dt_store_column_str (stmt, 6),
        };
        *http_p = dt_jobhttp_new (&h);
    }
    sqlite3_finalize (stmt);
    if (rc == SQLITE_ROW)
        return *http_p ? 0 : dt_store_fail (self, "job_http: get: out of memory");
    return rc == SQLITE_DONE ? 1 : dt_store_fail (self, "job_http: get");
}

int dt_store_http_put (dt_store_t *self, dt_str_t job, const dt_msg_httpopt_t *h)
{
    if (dt_store_write (self, "job_http: put") != 0)
        return -1;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (dt_store_db (self),
                            "INSERT OR REPLACE INTO job_http (name, method, timeout_ms,"
                            " connect_timeout_ms, max_bytes, compressed, user_agent, headers)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                            -1, &stmt, NULL) != SQLITE_OK)
        return dt_store_wrote (self, dt_store_fail (self, "job_http: put"));
    dt_store_bind_str (stmt, 1, job);
    sqlite3_bind_int (stmt, 2, h->method);
    sqlite3_bind_int64 (stmt, 3, (sqlite3_int64) h->timeout_ms);
    sqlite3_bind_int64 (stmt, 4, (sqlite3_int64) h->connect_timeout_ms);
    sqlite3_bind_int64 (stmt, 5, (sqlite3_int64) h->max_bytes);
    sqlite3_bind_int (stmt, 6, h->compressed);
    dt_store_bind_str (stmt, 7, h->user_agent);
    dt_store_bind_str (stmt, 8, h->headers);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    return dt_store_wrote (self, rc == SQLITE_DONE ? 0 : dt_store_fail (self, "job_http: put"));
}
