/* dt_msg_table.c - every message's fields, widths, places and limits: the one description both
 * codec directions walk. */
#include "dt_msg_table.h"
#include "dt_limits.h"

#define S_WIDTH(type, member) ((uint8_t) sizeof (((type *) 0)->member))

/* A uint member of struct `type` within [lo, hi]. */
#define S_UINT(type, member, lo, hi)                                                               \
    {                                                                                              \
#member, DT_FIELD_UINT, S_WIDTH(type, member), offsetof(type, member), 0, lo, hi, NULL     \
    }
/* A uint using the whole width of its member. */
#define S_ANY(type, member)                                                                        \
    S_UINT (type, member, 0, UINT64_MAX >> (64 - 8 * S_WIDTH (type, member)))
/* A dt_str_t member of `lo`..`cap` bytes. */
#define S_STR(type, member, lo, cap)                                                               \
    {                                                                                              \
#member, DT_FIELD_STR, 0, offsetof(type, member), 0, lo, cap, NULL                         \
    }
/* A dt_str_t member written as msgpack bin, `lo`..`cap` bytes. */
#define S_BIN(type, member, lo, cap)                                                               \
    {                                                                                              \
#member, DT_FIELD_BIN, 0, offsetof(type, member), 0, lo, cap, NULL                         \
    }
#define S_TUPLE(type, member, layout)                                                              \
    {                                                                                              \
#member, DT_FIELD_TUPLE, 0, offsetof(type, member), 0, 0, 0, &layout                       \
    }
/* `items` pointer and `count` members of dt_msg_t, `lo`..`cap` items. */
#define S_LIST(items, count, lo, cap, layout)                                                      \
    {                                                                                              \
#items, DT_FIELD_LIST, 0, offsetof(dt_msg_t, items), offsetof(dt_msg_t, count), lo, cap,   \
            &layout                                                                                \
    }
#define S_N(fields) ((uint8_t) (sizeof fields / sizeof fields[0]))

/* ---- Composite items ---------------------------------------------------- */

/* T */
static const dt_msg_field_t s_task_fields[] = {
    S_ANY (dt_msg_task_t, id),
    S_ANY (dt_msg_task_t, attempt),
    S_STR (dt_msg_task_t, kind, 1, DT_LIMIT_KIND_MAX),
    S_BIN (dt_msg_task_t, payload, 0, DT_LIMIT_PAYLOAD_MAX),
    S_ANY (dt_msg_task_t, timeout_ms),
    S_ANY (dt_msg_task_t, flags),
    S_UINT (dt_msg_task_t, opts, 0, DT_LIMIT_TASKS_HTTP),
};
static const dt_msg_layout_t s_task = {"T", s_task_fields,          S_N (s_task_fields),
                                       0,   sizeof (dt_msg_task_t), NULL};

/* H: a job's HTTP options. Caps and ranges here; what a header or a
 * User-Agent may hold is dt_httpcheck.h's rule, applied by the master to a
 * SUBMIT (with a reason in its ERROR) and by the worker to a TASKS. */
static const dt_msg_field_t s_httpopt_fields[] = {
    S_UINT (dt_msg_httpopt_t, method, DT_HTTP_METHOD_DEFAULT, DT_HTTP_METHOD_HEAD),
    S_ANY (dt_msg_httpopt_t, timeout_ms),
    S_ANY (dt_msg_httpopt_t, connect_timeout_ms),
    S_ANY (dt_msg_httpopt_t, max_bytes),
    S_UINT (dt_msg_httpopt_t, compressed, 0, 1),
    S_STR (dt_msg_httpopt_t, user_agent, 0, DT_LIMIT_USER_AGENT_MAX),
    S_STR (dt_msg_httpopt_t, headers, 0, DT_LIMIT_HTTP_HEADERS_WIRE),
};
static const dt_msg_layout_t s_httpopt = {"H", s_httpopt_fields,          S_N (s_httpopt_fields),
                                          0,   sizeof (dt_msg_httpopt_t), NULL};

/* Rw: a result in RESULTS. */
static const dt_msg_field_t s_wresult_fields[] = {
    S_ANY (dt_msg_result_t, id),
    S_ANY (dt_msg_result_t, attempt),
    S_ANY (dt_msg_result_t, epoch),
    S_UINT (dt_msg_result_t, outcome, DT_OUTCOME_DONE, DT_OUTCOME_FAIL),
    S_ANY (dt_msg_result_t, http_status),
    S_ANY (dt_msg_result_t, bytes),
    S_ANY (dt_msg_result_t, elapsed_ms),
    S_STR (dt_msg_result_t, final_url, 0, DT_LIMIT_URL_MAX),
    S_STR (dt_msg_result_t, content_type, 0, DT_LIMIT_CTYPE_MAX),
    S_STR (dt_msg_result_t, error, 0, DT_LIMIT_ERROR_MAX),
    S_BIN (dt_msg_result_t, output, 0, DT_LIMIT_OUTPUT_MAX),
    S_ANY (dt_msg_result_t, exit_code),
    S_BIN (dt_msg_result_t, capture, 0, DT_LIMIT_CAPTURE_WIRE),
    S_STR (dt_msg_result_t, links, 0, DT_LIMIT_LINKS_BYTES),
    S_ANY (dt_msg_result_t, retry_after_ms),
};
static const dt_msg_layout_t s_wresult = {"Rw", s_wresult_fields,         S_N (s_wresult_fields),
                                          0,    sizeof (dt_msg_result_t), NULL};

/* Rc: a result in PAGE. */
static const dt_msg_field_t s_cresult_fields[] = {
    S_ANY (dt_msg_result_t, id),
    S_ANY (dt_msg_result_t, attempt),
    S_UINT (dt_msg_result_t, state, DT_STATE_DONE, DT_STATE_FAILED),
    S_ANY (dt_msg_result_t, http_status),
    S_ANY (dt_msg_result_t, bytes),
    S_ANY (dt_msg_result_t, elapsed_ms),
    S_STR (dt_msg_result_t, kind, 0, DT_LIMIT_KIND_MAX),
    S_BIN (dt_msg_result_t, payload, 0, DT_LIMIT_PAYLOAD_MAX),
    S_STR (dt_msg_result_t, final_url, 0, DT_LIMIT_URL_MAX),
    S_STR (dt_msg_result_t, content_type, 0, DT_LIMIT_CTYPE_MAX),
    S_STR (dt_msg_result_t, worker, 0, DT_LIMIT_NAME_MAX),
    S_STR (dt_msg_result_t, error, 0, DT_LIMIT_ERROR_MAX),
    S_BIN (dt_msg_result_t, output, 0, DT_LIMIT_OUTPUT_MAX),
    S_ANY (dt_msg_result_t, exit_code),
    S_STR (dt_msg_result_t, warc_file, 0, DT_LIMIT_WARC_NAME_MAX),
    S_ANY (dt_msg_result_t, warc_offset),
    S_ANY (dt_msg_result_t, warc_length),
    S_STR (dt_msg_result_t, digest, 0, DT_LIMIT_DIGEST_MAX),
};
static const dt_msg_layout_t s_cresult = {"Rc", s_cresult_fields,         S_N (s_cresult_fields),
                                          0,    sizeof (dt_msg_result_t), NULL};

/* C: SUBMIT's crawl tuple. */
static const dt_msg_field_t s_crawl_fields[] = {
    S_UINT (dt_msg_crawl_t, scope_kind, DT_SCOPE_HOST, DT_SCOPE_REGEX),
    S_STR (dt_msg_crawl_t, scope, 0, DT_LIMIT_SCOPE_MAX),
    S_ANY (dt_msg_crawl_t, depth),
    S_ANY (dt_msg_crawl_t, max_pages),
};
static const dt_msg_layout_t s_crawl = {"C", s_crawl_fields, S_N (s_crawl_fields), 0, 0, NULL};

/* S */
static const dt_msg_field_t s_stats_fields[] = {
    S_ANY (dt_msg_stats_t, submitted), S_ANY (dt_msg_stats_t, pending),
    S_ANY (dt_msg_stats_t, inflight),  S_ANY (dt_msg_stats_t, delayed),
    S_ANY (dt_msg_stats_t, done),      S_ANY (dt_msg_stats_t, failed),
    S_ANY (dt_msg_stats_t, retried),   S_ANY (dt_msg_stats_t, duplicates),
    S_ANY (dt_msg_stats_t, invalid),   S_ANY (dt_msg_stats_t, late),
};
static const dt_msg_layout_t s_stats = {"S", s_stats_fields, S_N (s_stats_fields), 0, 0, NULL};

/* W */
static const dt_msg_field_t s_worker_fields[] = {
    S_STR (dt_msg_worker_t, name, 0, DT_LIMIT_NAME_MAX),
    S_ANY (dt_msg_worker_t, capacity),
    S_ANY (dt_msg_worker_t, inflight),
    S_ANY (dt_msg_worker_t, done),
    S_ANY (dt_msg_worker_t, idle_ms),
};
static const dt_msg_layout_t s_worker = {"W", s_worker_fields,          S_N (s_worker_fields),
                                         0,   sizeof (dt_msg_worker_t), NULL};

/* K */
static const dt_msg_field_t s_kindrow_fields[] = {
    S_STR (dt_msg_kind_t, kind, 1, DT_LIMIT_KIND_MAX),
    S_ANY (dt_msg_kind_t, pending),
    S_ANY (dt_msg_kind_t, inflight),
    S_ANY (dt_msg_kind_t, delayed),
    S_ANY (dt_msg_kind_t, workers),
};
static const dt_msg_layout_t s_kindrow = {"K", s_kindrow_fields,       S_N (s_kindrow_fields),
                                          0,   sizeof (dt_msg_kind_t), NULL};

/* J: a job in JOBS_OK. */
static const dt_msg_field_t s_job_fields[] = {
    S_STR (dt_msg_job_t, name, 1, DT_LIMIT_JOB_MAX),
    S_STR (dt_msg_job_t, kind, 0, DT_LIMIT_KIND_MAX),
    S_ANY (dt_msg_job_t, created_ms),
    S_ANY (dt_msg_job_t, finished_ms),
    S_ANY (dt_msg_job_t, total),
    S_ANY (dt_msg_job_t, done),
    S_ANY (dt_msg_job_t, failed),
    S_ANY (dt_msg_job_t, pending),
    S_ANY (dt_msg_job_t, next_chunk),
};
static const dt_msg_layout_t s_job = {"J", s_job_fields,          S_N (s_job_fields),
                                      0,   sizeof (dt_msg_job_t), NULL};

/* X: an entry of a capture index in EXPORT_OK. */
static const dt_msg_field_t s_capture_fields[] = {
    S_ANY (dt_msg_capture_t, id),
    S_ANY (dt_msg_capture_t, length),
};
static const dt_msg_layout_t s_capture = {"X", s_capture_fields,          S_N (s_capture_fields),
                                          0,   sizeof (dt_msg_capture_t), NULL};
/* O: an origin in HOSTS_OK. */
static const dt_msg_field_t s_host_fields[] = {
    S_STR (dt_msg_host_t, origin, 1, DT_LIMIT_ORIGIN_MAX),
    S_ANY (dt_msg_host_t, queued),
    S_ANY (dt_msg_host_t, inflight),
    S_ANY (dt_msg_host_t, started),
    S_ANY (dt_msg_host_t, done),
    S_ANY (dt_msg_host_t, errors),
    S_ANY (dt_msg_host_t, denied),
    S_ANY (dt_msg_host_t, next_ms),
    S_UINT (dt_msg_host_t, robots, 0, DT_HOST_ROBOTS_MAX),
};
static const dt_msg_layout_t s_host = {"O", s_host_fields,          S_N (s_host_fields),
                                       0,   sizeof (dt_msg_host_t), NULL};

/* A payload in SUBMIT: an item that is a bare bin. */
static const dt_msg_field_t s_payload_fields[] = {
    {"payload", DT_FIELD_BIN, 0, 0, 0, 0, DT_LIMIT_PAYLOAD_MAX, NULL},
};
static const dt_msg_layout_t s_payload = {"payload", s_payload_fields,  1,
                                          1,         sizeof (dt_str_t), NULL};

/* A kind in HELLO: an item that is a bare str. */
static const dt_msg_field_t s_kind_fields[] = {
    {"kind", DT_FIELD_STR, 0, 0, 0, 1, DT_LIMIT_KIND_MAX, NULL},
};
static const dt_msg_layout_t s_kind = {"kind", s_kind_fields, 1, 1, sizeof (dt_str_t), NULL};

/* ---- Messages ----------------------------------------------------------- */

/* A kind is a name: [a-z0-9_-], its length checked by its field. */
static int s_kind_check (dt_str_t kind)
{
    for (uint32_t i = 0; i < kind.len; i++) {
        char c = kind.ptr[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return -1;
    }
    return 0;
}

/* HELLO's concurrency is 1..capacity, or 0 with capacity 0 (draining);
 * its kinds are names. */
static int s_hello_check (const void *base)
{
    const dt_msg_t *m = base;
    for (uint32_t i = 0; i < m->hello.nkinds; i++)
        if (s_kind_check (m->hello.kinds[i]) != 0)
            return -1;
    if (m->hello.capacity == 0)
        return m->hello.concurrency == 0 ? 0 : -1;
    return m->hello.concurrency >= 1 && m->hello.concurrency <= m->hello.capacity ? 0 : -1;
}

static const dt_msg_field_t s_hello_fields[] = {
    S_STR (dt_msg_t, hello.name, 0, DT_LIMIT_NAME_MAX),
    S_UINT (dt_msg_t, hello.capacity, 0, DT_LIMIT_CREDIT_MAX),
    S_UINT (dt_msg_t, hello.concurrency, 0, DT_LIMIT_CREDIT_MAX),
    S_ANY (dt_msg_t, hello.heartbeat_ms),
    S_LIST (hello.kinds, hello.nkinds, 0, DT_LIMIT_KINDS_MAX, s_kind),
};
static const dt_msg_field_t s_welcome_fields[] = {
    S_ANY (dt_msg_t, welcome.heartbeat_ms),
    S_ANY (dt_msg_t, welcome.liveness),
    S_ANY (dt_msg_t, welcome.task_ms),
};
static const dt_msg_field_t s_tasks_fields[] = {
    S_UINT (dt_msg_t, tasks.epoch, 1, UINT64_MAX),
    S_LIST (tasks.items, tasks.count, 1, DT_LIMIT_BATCH_MAX, s_task),
    S_LIST (tasks.http, tasks.nhttp, 0, DT_LIMIT_TASKS_HTTP, s_httpopt),
};
static const dt_msg_field_t s_results_fields[] = {
    S_STR (dt_msg_t, results.worker, 0, DT_LIMIT_NAME_MAX),
    S_LIST (results.items, results.count, 1, DT_LIMIT_BATCH_MAX, s_wresult),
};
static const dt_msg_field_t s_submit_fields[] = {
    S_STR (dt_msg_t, submit.job, 1, DT_LIMIT_JOB_MAX),
    S_ANY (dt_msg_t, submit.chunk),
    /* an unknown flag must not pass unseen: the range here, each bit in s_submit_check */
    S_UINT (dt_msg_t, submit.flags, 0, DT_SUBMIT_KNOWN),
    S_STR (dt_msg_t, submit.kind, 0, DT_LIMIT_KIND_MAX),
    S_UINT (dt_msg_t, submit.priority, 0, DT_PRIORITY_MAX),
    S_ANY (dt_msg_t, submit.not_before),
    S_ANY (dt_msg_t, submit.max_attempts),
    S_ANY (dt_msg_t, submit.timeout_ms),
    S_LIST (submit.payloads, submit.count, 1, DT_LIMIT_BATCH_MAX, s_payload),
    S_TUPLE (dt_msg_t, submit.http, s_httpopt),
    S_TUPLE (dt_msg_t, submit.crawl, s_crawl),
    S_UINT (dt_msg_t, submit.host_delay_ms, 0, DT_LIMIT_HOST_DELAY_MAX_MS),
};
static const dt_msg_field_t s_submit_ok_fields[] = {
    S_STR (dt_msg_t, submit_ok.job, 0, DT_LIMIT_JOB_MAX),
    S_ANY (dt_msg_t, submit_ok.chunk),
    S_ANY (dt_msg_t, submit_ok.first_id),
    S_ANY (dt_msg_t, submit_ok.count),
};
static const dt_msg_field_t s_fetch_fields[] = {
    S_STR (dt_msg_t, fetch.job, 0, DT_LIMIT_JOB_MAX),
    S_ANY (dt_msg_t, fetch.cursor),
    S_UINT (dt_msg_t, fetch.max, 1, DT_LIMIT_BATCH_MAX),
    S_ANY (dt_msg_t, fetch.wait_ms),
    S_UINT (dt_msg_t, fetch.flags, 0, DT_FETCH_FAILED_ONLY | DT_FETCH_FILL),
};
static const dt_msg_field_t s_page_fields[] = {
    S_ANY (dt_msg_t, page.cursor),
    S_TUPLE (dt_msg_t, page.stats, s_stats),
    S_LIST (page.items, page.count, 0, DT_LIMIT_BATCH_MAX, s_cresult),
};
static const dt_msg_field_t s_status_fields[] = {
    S_STR (dt_msg_t, status.job, 0, DT_LIMIT_JOB_MAX),
};
static const dt_msg_field_t s_status_ok_fields[] = {
    S_TUPLE (dt_msg_t, status_ok.stats, s_stats),
    S_LIST (status_ok.workers, status_ok.count, 0, DT_LIMIT_STATUS_WORKERS, s_worker),
    S_ANY (dt_msg_t, status_ok.total),
    S_LIST (status_ok.kinds, status_ok.nkinds, 0, DT_LIMIT_KINDS_MAX, s_kindrow),
};
static const dt_msg_field_t s_requeue_fields[] = {
    S_STR (dt_msg_t, requeue.job, 0, DT_LIMIT_JOB_MAX),
    S_UINT (dt_msg_t, requeue.flags, 0, DT_REQUEUE_CANCELLED),
};
static const dt_msg_field_t s_requeue_ok_fields[] = {
    S_ANY (dt_msg_t, requeue_ok.count),
};
static const dt_msg_field_t s_error_fields[] = {
    S_ANY (dt_msg_t, error.code),
    S_STR (dt_msg_t, error.text, 0, DT_LIMIT_ERROR_MAX),
};
static const dt_msg_field_t s_cancel_fields[] = {
    S_STR (dt_msg_t, cancel.job, 1, DT_LIMIT_JOB_MAX),
};
static const dt_msg_field_t s_cancel_ok_fields[] = {
    S_ANY (dt_msg_t, cancel_ok.count),
};
static const dt_msg_field_t s_purge_fields[] = {
    S_STR (dt_msg_t, purge.job, 1, DT_LIMIT_JOB_MAX),
};
static const dt_msg_field_t s_purge_ok_fields[] = {
    S_ANY (dt_msg_t, purge_ok.count),
};
static const dt_msg_field_t s_jobs_fields[] = {
    S_STR (dt_msg_t, jobs.job, 0, DT_LIMIT_JOB_MAX),
    S_ANY (dt_msg_t, jobs.cursor),
    S_UINT (dt_msg_t, jobs.max, 1, DT_LIMIT_JOBS_MAX),
};
static const dt_msg_field_t s_jobs_ok_fields[] = {
    S_ANY (dt_msg_t, jobs_ok.cursor),
    S_LIST (jobs_ok.items, jobs_ok.count, 0, DT_LIMIT_JOBS_MAX, s_job),
};

static const dt_msg_field_t s_get_fields[] = {
    S_ANY (dt_msg_t, get.id),
    S_ANY (dt_msg_t, get.offset),
};
static const dt_msg_field_t s_get_ok_fields[] = {
    S_ANY (dt_msg_t, get_ok.id),
    S_ANY (dt_msg_t, get_ok.total),
    S_ANY (dt_msg_t, get_ok.offset),
    S_BIN (dt_msg_t, get_ok.data, 0, DT_LIMIT_GET_BYTES),
};
static const dt_msg_field_t s_export_fields[] = {
    S_STR (dt_msg_t, export_.job, 1, DT_LIMIT_JOB_MAX),
    S_ANY (dt_msg_t, export_.cursor),
    S_UINT (dt_msg_t, export_.max, 1, DT_LIMIT_BATCH_MAX),
};
static const dt_msg_field_t s_export_ok_fields[] = {
    S_ANY (dt_msg_t, export_ok.cursor),
    S_LIST (export_ok.items, export_ok.count, 0, DT_LIMIT_BATCH_MAX, s_capture),
};

static const dt_msg_field_t s_hosts_fields[] = {
    S_STR (dt_msg_t, hosts.job, 1, DT_LIMIT_JOB_MAX),
    S_UINT (dt_msg_t, hosts.max, 1, DT_LIMIT_STATUS_HOSTS),
};
static const dt_msg_field_t s_hosts_ok_fields[] = {
    S_ANY (dt_msg_t, hosts_ok.total),
    S_LIST (hosts_ok.items, hosts_ok.count, 0, DT_LIMIT_STATUS_HOSTS, s_host),
};
/* Each T's opts names one of the TASKS' options, or none. */
static int s_tasks_check (const void *base)
{
    const dt_msg_t *m = base;
    for (uint32_t i = 0; i < m->tasks.count; i++)
        if (m->tasks.items[i].opts > m->tasks.nhttp)
            return -1;
    return 0;
}

/* SUBMIT's kind is a name, and its flags are known bits (the range alone
 * would pass a gap in them). */
static int s_submit_check (const void *base)
{
    const dt_msg_t *m = base;
    if (m->submit.flags & ~DT_SUBMIT_KNOWN)
        return -1;
    return s_kind_check (m->submit.kind);
}

#define S_MSG(name, fields, check)                                                                 \
    {                                                                                              \
        name, fields, S_N (fields), 0, 0, check                                                    \
    }
#define S_EMPTY(name)                                                                              \
    {                                                                                              \
        name, NULL, 0, 0, 0, NULL                                                                  \
    }

static const dt_msg_layout_t s_messages[] = {
    [DT_MSG_HELLO] = S_MSG ("HELLO", s_hello_fields, s_hello_check),
    [DT_MSG_WELCOME] = S_MSG ("WELCOME", s_welcome_fields, NULL),
    [DT_MSG_TASKS] = S_MSG ("TASKS", s_tasks_fields, s_tasks_check),
    [DT_MSG_RESULTS] = S_MSG ("RESULTS", s_results_fields, NULL),
    [DT_MSG_HEARTBEAT] = S_EMPTY ("HEARTBEAT"),
    [DT_MSG_BYE] = S_EMPTY ("BYE"),
    [DT_MSG_SUBMIT] = S_MSG ("SUBMIT", s_submit_fields, s_submit_check),
    [DT_MSG_SUBMIT_OK] = S_MSG ("SUBMIT_OK", s_submit_ok_fields, NULL),
    [DT_MSG_FETCH] = S_MSG ("FETCH", s_fetch_fields, NULL),
    [DT_MSG_PAGE] = S_MSG ("PAGE", s_page_fields, NULL),
    [DT_MSG_STATUS] = S_MSG ("STATUS", s_status_fields, NULL),
    [DT_MSG_STATUS_OK] = S_MSG ("STATUS_OK", s_status_ok_fields, NULL),
    [DT_MSG_REQUEUE] = S_MSG ("REQUEUE", s_requeue_fields, NULL),
    [DT_MSG_REQUEUE_OK] = S_MSG ("REQUEUE_OK", s_requeue_ok_fields, NULL),
    [DT_MSG_ERROR] = S_MSG ("ERROR", s_error_fields, NULL),
    [DT_MSG_CANCEL] = S_MSG ("CANCEL", s_cancel_fields, NULL),
    [DT_MSG_CANCEL_OK] = S_MSG ("CANCEL_OK", s_cancel_ok_fields, NULL),
    [DT_MSG_PURGE] = S_MSG ("PURGE", s_purge_fields, NULL),
    [DT_MSG_PURGE_OK] = S_MSG ("PURGE_OK", s_purge_ok_fields, NULL),
    [DT_MSG_JOBS] = S_MSG ("JOBS", s_jobs_fields, NULL),
    [DT_MSG_JOBS_OK] = S_MSG ("JOBS_OK", s_jobs_ok_fields, NULL),
    [DT_MSG_GET] = S_MSG ("GET", s_get_fields, NULL),
    [DT_MSG_GET_OK] = S_MSG ("GET_OK", s_get_ok_fields, NULL),
    [DT_MSG_EXPORT] = S_MSG ("EXPORT", s_export_fields, NULL),
    [DT_MSG_EXPORT_OK] = S_MSG ("EXPORT_OK", s_export_ok_fields, NULL),
    [DT_MSG_HOSTS] = S_MSG ("HOSTS", s_hosts_fields, NULL),
    [DT_MSG_HOSTS_OK] = S_MSG ("HOSTS_OK", s_hosts_ok_fields, NULL),
};

const dt_msg_layout_t *dt_msg_layout (int type)
{
    return DT_MSG_TYPE_VALID (type) ? &s_messages[type] : NULL;
}
