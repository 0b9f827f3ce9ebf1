/* dt_record.h - the master's own records of results, apart from the wire's dt_msg_result_t: what a
 * worker reported (dt_report_t), and a task's final result as the results log, the store and
 * pages hold it (dt_record_t). dt_master_serve.c converts at the edge. */
#ifndef DT_RECORD_H
#define DT_RECORD_H

#include <stdint.h>

#include "dt_msg.h"
#include "dt_spec.h"

/* Where a capture is stored: its records, byte for byte, at `offset` of
 * DATA/warc/`file`. Strings are borrowed; length 0: no capture. */
typedef struct {
    dt_str_t file;   /* "dtask-00001.warc.gz" */
    uint64_t offset; /* of its first gzip member */
    uint64_t length; /* bytes of its gzip members */
    dt_str_t digest; /* WARC-Payload-Digest of its final response; "" when none */
} dt_warc_loc_t;

/* One attempt's outcome as a worker reported it. Strings are borrowed. */
typedef struct {
    uint64_t id;           /* the task */
    uint32_t attempt;      /* the attempt it answers */
    uint64_t epoch;        /* the run that leased that attempt */
    uint8_t outcome;       /* DT_OUTCOME_* */
    uint16_t http_status;  /* 0: no HTTP response */
    uint64_t bytes;        /* body bytes received */
    uint32_t elapsed_ms;   /* the fetch's time */
    dt_str_t final_url;    /* after redirects; empty if none */
    dt_str_t content_type; /* empty if none */
    dt_str_t error;        /* empty when no error */
    dt_str_t output;       /* what the task produced; empty when nothing */
    uint16_t exit_code;    /* a command's status; DT_EXIT_NONE when none applies */
    dt_str_t links;        /* a crawl's page: its links, one per '\n'; empty when none */
    /* The pause the server asked for (Retry-After); 0: none. */
    uint32_t retry_after_ms;
    dt_str_t capture;      /* its WARC records (T flag SAVE); empty when none */
    dt_warc_loc_t warc;    /* where the master stored the capture (dt_archive.h); set by it */
} dt_report_t;

/* A task's final result. Strings are borrowed (the results log keeps its
 * own copies, dt_results.h). */
typedef struct {
    uint64_t id;           /* the task; 0 in a store row: a retired result */
    uint32_t attempt;      /* dispatches made */
    uint8_t state;         /* DT_STATE_DONE or DT_STATE_FAILED */
    uint16_t http_status;  /* 0: no HTTP response */
    uint64_t bytes;        /* body bytes received */
    uint32_t elapsed_ms;   /* the fetch's time */
    dt_str_t url;          /* the task's spec (dt_spec.h): for http the URL as submitted */
    dt_str_t final_url;    /* after redirects; empty if none */
    dt_str_t content_type; /* empty if none */
    dt_str_t worker;       /* name of the worker whose result it is; empty when none */
    dt_str_t error;        /* empty when no error */
    dt_str_t output;       /* what the task produced; empty when nothing */
    uint16_t exit_code;    /* DT_EXIT_NONE when none applies */
    dt_str_t job;          /* the task's job, for the store; empty: it looks it up by id */
    dt_warc_loc_t warc;    /* its stored capture; length 0: none */
} dt_record_t;

/* A worker's RESULTS item as a report (borrowing its strings). */
static inline dt_report_t dt_record_report_from_msg (const dt_msg_result_t *m)
{
    dt_report_t r = {m->id,
                     m->attempt,
                     m->epoch,
                     m->outcome,
                     m->http_status,
                     m->bytes,
                     m->elapsed_ms,
                     m->final_url,
                     m->content_type,
                     m->error,
                     m->output,
                     m->exit_code,
                     m->links,
                     m->retry_after_ms,
                     m->capture,
                     {{"", 0}, 0, 0, {"", 0}}};
    return r;
}

/* A record as a PAGE item (borrowing its strings). */
static inline dt_msg_result_t dt_record_to_msg (const dt_record_t *r)
{
    dt_msg_result_t m = {0};
    m.id = r->id;
    m.attempt = r->attempt;
    m.state = r->state;
    m.http_status = r->http_status;
    m.bytes = r->bytes;
    m.elapsed_ms = r->elapsed_ms;
    dt_spec_split (r->url.ptr, r->url.len, &m.kind, &m.payload, NULL);
    m.final_url = r->final_url;
    m.content_type = r->content_type;
    m.worker = r->worker;
    m.error = r->error;
    m.output = r->output;
    m.exit_code = r->exit_code;
    /* Empty strings point at "": encoders may memcpy from them. */
    m.warc_file = r->warc.file.ptr ? r->warc.file : dt_str_n ("", 0);
    m.warc_offset = r->warc.offset;
    m.warc_length = r->warc.length;
    m.digest = r->warc.digest.ptr ? r->warc.digest : dt_str_n ("", 0);
    return m;
}

#endif
