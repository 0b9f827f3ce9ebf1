/* dt_store_priv.h - what dt_store.c shares with the store's other files (dt_store_write.c,
 * dt_store_load.c, dt_store_read.c, ...), and no one else. */
#ifndef DT_STORE_PRIV_H
#define DT_STORE_PRIV_H

#include <sqlite3.h>

#include "dt_store.h"

/* The store's connection. */
sqlite3 *dt_store_db (dt_store_t *self);

/* The statements that write rows and the results buffered for their
 * multi-row INSERT (dt_store_write.c): made at open, after the schema. */
typedef struct dt_store_rows_t dt_store_rows_t;

/* Prepares the statements on `db`. NULL on failure (the reason is
 * sqlite3_errmsg (db)) or out of memory. */
dt_store_rows_t *dt_store_rows_new (sqlite3 *db);

/* NULL-safe; nulls the pointer. */
void dt_store_rows_destroy (dt_store_rows_t **self_p);

/* Forgets the buffered results: their group was rolled back. */
void dt_store_rows_clear (dt_store_rows_t *self);

/* The store's rows (borrowed). */
dt_store_rows_t *dt_store_rows (dt_store_t *self);

/* Inserts the results still buffered, so a read of `results` sees every
 * finish made so far. Returns 0 or -1 (the group is then marked failed). */
int dt_store_flush (dt_store_t *self);

/* Opens a write of the current group (refused once one failed): 0 or -1. */
int dt_store_write (dt_store_t *self, const char *what);

/* Ends a write with `rc`: a failure marks the group failed. Returns rc. */
int dt_store_wrote (dt_store_t *self, int rc);

/* Adds `rows` to the rows dt_store_examined() reports. */
void dt_store_count_examined (dt_store_t *self, uint64_t rows);

/* Logs the connection's last error for `what`. Returns -1. */
int dt_store_fail (dt_store_t *self, const char *what);

/* Binds `s` as a blob (strings are bytes: they may hold NUL and need not be
 * UTF-8); an empty string is a zero-length blob, not NULL. */
void dt_store_bind_str (sqlite3_stmt *stmt, int index, dt_str_t s);

/* Steps `stmt` through its rows, calling `row` for each until it returns
 * non-zero. Returns 0 at the end or on an early stop (row returned 1), -1
 * on an SQLite error (logged with `what`) or when `row` returned -1.
 * Finalizes `stmt`. */
int dt_store_each (dt_store_t *self, sqlite3_stmt *stmt, const char *what,
                   int (*row) (sqlite3_stmt *stmt, void *ctx), void *ctx);

/* Blob column `index` of the current row, borrowed until the next step. */
dt_str_t dt_store_column_str (sqlite3_stmt *stmt, int index);

/* Columns 1 .. 10 of the current row, in the order the results table
 * declares them (id, state, attempts, http_status, bytes, elapsed_ms,
 * final_url, content_type, worker, error), into `r` (strings borrowed
 * until the next step). Column 0 is the caller's (the seq). */
void dt_store_column_result (sqlite3_stmt *stmt, dt_record_t *r);

/* Columns `index` .. `index` + 5 (output, exit_code, warc_file, warc_offset, warc_length,
 * digest) into `r`. */
void dt_store_column_output (sqlite3_stmt *stmt, int index, dt_record_t *r);

#endif
