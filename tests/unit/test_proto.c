/* test_proto.c - the wire codec: every message round trips; every bad input is refused. */
#include "dt_limits.h"
#include "dt_msg.h"
#include "dt_msg_table.h"
#include "dt_test.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int s_str_eq (dt_str_t s, const char *c)
{
    return s.len == strlen (c) && memcmp (s.ptr, c, s.len) == 0;
}

/* Fills `m` with a sample of `type` whose every field is set. */
static void s_sample (dt_msg_t *m, int type)
{
    static dt_msg_host_t hosts[2] = {
        {{"http://a.test:80", 16}, 5, 1, 9, 7, 2, 3, 1500, DT_HOST_ROBOTS_RULES},
        {{"https://b.test:443", 18}, 0, 0, 1, 0, 0, 0, 0, DT_HOST_ROBOTS_PENDING}};
    static dt_msg_task_t tasks[2] = {
        {7, 1, {"http", 4}, {"http://a.test/1", 15}, 0, DT_TASK_SAVE, 1},
        {8, 3, {"square", 6}, {"7\0\xff", 3}, 2500, DT_TASK_LINKS, 0}};
    static dt_msg_httpopt_t http[1] = {
        {DT_HTTP_METHOD_HEAD, 5000, 1000, 4096, 1, {"bot/1", 5}, {"X-A: 1\nX-B: 2", 13}}};
    static dt_msg_result_t results[2] = {
        {.id = 7,
         .attempt = 1,
         .epoch = 5,
         .outcome = DT_OUTCOME_DONE,
         .http_status = 404,
         .bytes = 1u << 20,
         .elapsed_ms = 12,
         .final_url = {"http://a.test/x", 15},
         .content_type = {"text/html", 9}},
        {.id = UINT64_MAX,
         .attempt = 2,
         .epoch = UINT64_MAX,
         .outcome = DT_OUTCOME_RETRY,
         .error = {"timeout", 7}},
    };
    static dt_msg_result_t page[1] = {{.id = 9,
                                       .attempt = 2,
                                       .state = DT_STATE_FAILED,
                                       .http_status = 503,
                                       .bytes = 10,
                                       .elapsed_ms = 99,
                                       .kind = {"http", 4},
                                       .payload = {"http://c.test/", 14},
                                       .output = {"49\n", 3},
                                       .exit_code = 0,
                                       .final_url = {"http://c.test/", 14},
                                       .content_type = {"a/b", 3},
                                       .worker = {"w1", 2},
                                       .error = {"HTTP 503", 8},
                                       .warc_file = {"dtask-00001.warc.gz", 19},
                                       .warc_offset = 288,
                                       .warc_length = 1055,
                                       .digest = {"sha1:ZKYOGZ6NEFFLPK3JU5NKEYE2RWRXSAKJ", 37}}};
    static dt_msg_capture_t captures[2] = {{9, 1055}, {UINT64_MAX, 3}};
    static dt_str_t urls[3] = {{"http://a.test/1", 15}, {"http://a.test/2", 15}, {"http://x/", 9}};
    static dt_msg_worker_t workers[1] = {{{"host-1", 6}, 32, 5, 1000, 250}};
    static dt_msg_job_t jobs[2] = {
        {{"job-b", 5}, {"http", 4}, 1700000000000ULL, 0, 10, 3, 1, 6, 2},
        {{"job-a", 5}, {"http", 4}, 1600000000000ULL, 1600000001000ULL, 5, 4, 1, 0, 1}};
    dt_msg_init (m);
    m->type = (dt_msg_type_t) type;
    m->req = 0x1122334455667788ULL;
    dt_msg_stats_t st = {1, 2, 3, 4, 5, 6, 7, 8, UINT64_MAX, 10};
    switch (type) {
    case DT_MSG_HELLO:
        m->hello.name = dt_str ("worker-1");
        m->hello.capacity = 32;
        m->hello.concurrency = 16;
        m->hello.heartbeat_ms = 1000;
        break;
    case DT_MSG_WELCOME:
        m->welcome.heartbeat_ms = 500;
        m->welcome.liveness = 3;
        m->welcome.task_ms = 120000;
        break;
    case DT_MSG_TASKS:
        m->tasks.epoch = 5;
        m->tasks.count = 2;
        m->tasks.items = tasks;
        m->tasks.nhttp = 1;
        m->tasks.http = http;
        break;
    case DT_MSG_RESULTS:
        m->results.worker = dt_str ("worker-1");
        m->results.count = 2;
        m->results.items = results;
        break;
    case DT_MSG_SUBMIT:
        m->submit.job = dt_str ("job-abc");
        m->submit.chunk = 4;
        m->submit.count = 3;
        m->submit.payloads = urls;
        m->submit.http = http[0];
        m->submit.flags = DT_SUBMIT_CRAWL;
        m->submit.crawl = (dt_msg_crawl_t){DT_SCOPE_REGEX, dt_str ("^https?://a/"), 3, 1000};
        break;
    case DT_MSG_SUBMIT_OK:
        m->submit_ok.job = dt_str ("job-abc");
        m->submit_ok.chunk = 4;
        m->submit_ok.first_id = 100;
        m->submit_ok.count = 3;
        break;
    case DT_MSG_FETCH:
        m->fetch.job = dt_str ("job-abc");
        m->fetch.cursor = 55;
        m->fetch.max = 100;
        m->fetch.wait_ms = 2000;
        m->fetch.flags = DT_FETCH_FAILED_ONLY;
        break;
    case DT_MSG_PAGE:
        m->page.cursor = 56;
        m->page.stats = st;
        m->page.count = 1;
        m->page.items = page;
        break;
    case DT_MSG_STATUS:
        m->status.job = dt_str ("j");
        break;
    case DT_MSG_REQUEUE:
        m->requeue.job = dt_str ("j");
        m->requeue.flags = DT_REQUEUE_CANCELLED;
        break;
    case DT_MSG_JOBS:
        m->jobs.job = dt_str ("");
        m->jobs.cursor = 77;
        m->jobs.max = 50;
        break;
    case DT_MSG_JOBS_OK:
        m->jobs_ok.cursor = 76;
        m->jobs_ok.count = 2;
        m->jobs_ok.items = jobs;
        break;
    case DT_MSG_STATUS_OK:
        m->status_ok.stats = st;
        m->status_ok.count = 1;
        m->status_ok.workers = workers;
        break;
    case DT_MSG_REQUEUE_OK:
        m->requeue_ok.count = 12345678901ULL;
        break;
    case DT_MSG_CANCEL:
        m->cancel.job = dt_str ("job-abc");
        break;
    case DT_MSG_CANCEL_OK:
        m->cancel_ok.count = 42;
        break;
    case DT_MSG_PURGE:
        m->purge.job = dt_str ("job-abc");
        break;
    case DT_MSG_PURGE_OK:
        m->purge_ok.count = 7;
        break;
    case DT_MSG_GET:
        m->get.id = 9;
        m->get.offset = 262144;
        break;
    case DT_MSG_GET_OK:
        m->get_ok.id = 9;
        m->get_ok.total = 300000;
        m->get_ok.offset = 262144;
        m->get_ok.data = dt_str_n ("\x1f\x8b\x08\0\r\n", 6);
        break;
    case DT_MSG_EXPORT:
        m->export_.job = dt_str ("job-abc");
        m->export_.cursor = 12;
        m->export_.max = 4096;
        break;
    case DT_MSG_EXPORT_OK:
        m->export_ok.cursor = 13;
        m->export_ok.count = 2;
        m->export_ok.items = captures;
        break;
    case DT_MSG_HOSTS:
        m->hosts.job = dt_str ("job-abc");
        m->hosts.max = 100;
        break;
    case DT_MSG_HOSTS_OK:
        m->hosts_ok.total = 120;
        m->hosts_ok.count = 2;
        m->hosts_ok.items = hosts;
        break;
    case DT_MSG_ERROR:
        m->error.code = DT_ERR_BAD_URL;
        m->error.text = dt_str ("url 3: scheme must be http or https");
        break;
    }
}

static void *s_encode (int type, size_t *size)
{
    dt_msg_t m;
    s_sample (&m, type);
    void *data = NULL;
    if (dt_msg_encode (&m, &data, size) != 0)
        return NULL;
    return data;
}

static void test_every_message_round_trips (void)
{
    for (int type = DT_MSG_HELLO; type <= DT_MSG_HOSTS_OK; type++) {
        if (!DT_MSG_TYPE_VALID (type))
            continue;
        size_t size;
        void *data = s_encode (type, &size);
        DT_CHECK (data);
        dt_msg_t m;
        dt_msg_init (&m);
        int rc = dt_msg_decode (&m, data, size);
        if (rc != 0)
            fprintf (stderr, "    type %s: %s\n", dt_msg_type_name (type), dt_msg_strerror (rc));
        DT_CHECK_EQ (rc, 0);
        DT_CHECK_EQ (m.type, type);
        DT_CHECK (m.req == 0x1122334455667788ULL);
        /* Re-encoding the decoded form gives the same bytes: every field came back. */
        void *again;
        size_t again_size;
        DT_CHECK_EQ (dt_msg_encode (&m, &again, &again_size), 0);
        DT_CHECK_EQ (again_size, size);
        DT_CHECK (memcmp (again, data, size) == 0);
        free (again);
        dt_msg_reset (&m);
        free (data);
    }
}

static void test_decoded_fields_have_the_sent_values (void)
{
    size_t size;
    void *data = s_encode (DT_MSG_RESULTS, &size);
    dt_msg_t m;
    dt_msg_init (&m);
    DT_CHECK_EQ (dt_msg_decode (&m, data, size), 0);
    DT_CHECK_EQ (m.results.count, 2);
    DT_CHECK (s_str_eq (m.results.worker, "worker-1"));
    DT_CHECK_EQ (m.results.items[0].http_status, 404);
    DT_CHECK_EQ (m.results.items[0].bytes, 1 << 20);
    DT_CHECK (s_str_eq (m.results.items[0].final_url, "http://a.test/x"));
    DT_CHECK (m.results.items[1].id == UINT64_MAX);
    DT_CHECK (s_str_eq (m.results.items[1].error, "timeout"));
    DT_CHECK_EQ (m.results.items[0].epoch, 5);
    DT_CHECK (m.results.items[1].epoch == UINT64_MAX);
    dt_msg_reset (&m);
    free (data);

    data = s_encode (DT_MSG_PAGE, &size);
    DT_CHECK_EQ (dt_msg_decode (&m, data, size), 0);
    DT_CHECK (m.page.stats.invalid == UINT64_MAX);
    DT_CHECK_EQ (m.page.stats.late, 10);
    DT_CHECK_EQ (m.page.items[0].state, DT_STATE_FAILED);
    DT_CHECK (s_str_eq (m.page.items[0].worker, "w1"));
    dt_msg_reset (&m);
    free (data);
}

static void test_every_truncation_of_every_message_is_refused (void)
{
    for (int type = DT_MSG_HELLO; type <= DT_MSG_HOSTS_OK; type++) {
        if (!DT_MSG_TYPE_VALID (type))
            continue;
        size_t size;
        uint8_t *data = s_encode (type, &size);
        DT_CHECK (data);
        for (size_t cut = 0; cut < size; cut++) {
            /* A copy of exactly `cut` bytes, so ASan sees any read past it. */
            uint8_t *part = malloc (cut ? cut : 1);
            memcpy (part, data, cut);
            dt_msg_t m;
            dt_msg_init (&m);
            int rc = dt_msg_decode (&m, part, cut);
            free (part);
            DT_CHECK (rc < 0);
            DT_CHECK (m.zone_ == NULL && m.zone2_ == NULL);
        }
        free (data);
    }
}

static void test_a_trailing_byte_is_refused (void)
{
    size_t size;
    uint8_t *data = s_encode (DT_MSG_HELLO, &size);
    uint8_t *longer = malloc (size + 1);
    memcpy (longer, data, size);
    longer[size] = 0x00;
    dt_msg_t m;
    dt_msg_init (&m);
    DT_CHECK_EQ (dt_msg_decode (&m, longer, size + 1), DT_PROTO_EMALFORMED);
    free (longer);
    free (data);
}

static int s_decode (const void *bytes, size_t size)
{
    dt_msg_t m;
    dt_msg_init (&m);
    int rc = dt_msg_decode (&m, bytes, size);
    dt_msg_reset (&m);
    return rc;
}

/* Decodes and returns the rc; the req left in the message goes to *req. */
static int s_decode_req (const void *bytes, size_t size, uint64_t *req)
{
    dt_msg_t m;
    dt_msg_init (&m);
    int rc = dt_msg_decode (&m, bytes, size);
    *req = m.req;
    dt_msg_reset (&m);
    return rc;
}

static void test_another_protocol_version_is_refused_as_version (void)
{
    /* [5, 5, 0]: a HEARTBEAT from a later version; [1, 5, 0] from version 1. */
    DT_CHECK_EQ (s_decode ("\x93\x05\x05\x00", 4), DT_PROTO_EVERSION);
    DT_CHECK_EQ (s_decode ("\x93\x01\x05\x00", 4), DT_PROTO_EVERSION);
    /* Even when the shape of the rest is unknown. */
    DT_CHECK_EQ (s_decode ("\x95\x07\x05\x00\x01\x02", 6), DT_PROTO_EVERSION);
    DT_CHECK_EQ (s_decode ("\x93\x07\xc0", 3), DT_PROTO_EVERSION);
    DT_CHECK_EQ (s_decode ("\x93\x04\x05\x00", 4), 0);
}

static void test_a_refused_request_leaves_its_req_for_the_error_reply (void)
{
    uint64_t req = 1;
    /* A version-1 SUBMIT with req 0x1234. */
    DT_CHECK_EQ (s_decode_req ("\x97\x01\x07\xcd\x12\x34\xa1j\x00\x00\x91\xa1x", 13, &req),
                 DT_PROTO_EVERSION);
    DT_CHECK_EQ (req, 0x1234);
    /* A v2 STATUS whose job is not a str. */
    DT_CHECK_EQ (s_decode_req ("\x94\x04\x0b\x2a\x01", 5, &req), DT_PROTO_EMALFORMED);
    DT_CHECK_EQ (req, 42);
    /* A v2 STATUS whose job is over its cap. */
    DT_CHECK_EQ (s_decode_req ("\x94\x04\x0b\x2b\xdb\xff\xff\xff\xff", 9, &req), DT_PROTO_ETOOBIG);
    DT_CHECK_EQ (req, 43);
    /* No readable header: no req. */
    DT_CHECK_EQ (s_decode_req ("\x93\x04\x05", 3, &req), DT_PROTO_EMALFORMED);
    DT_CHECK_EQ (req, 0);
}

static void test_an_error_version_is_written_so_any_version_reads_it (void)
{
    dt_msg_t m;
    dt_msg_init (&m);
    m.type = DT_MSG_ERROR;
    m.req = 9;
    m.error.code = DT_ERR_VERSION;
    m.error.text = dt_str ("v");
    void *data;
    size_t size;
    DT_CHECK_EQ (dt_msg_encode (&m, &data, &size), 0);
    /* [1, 15, 9, 2, "v"]: what a version-1 peer reads. */
    DT_CHECK_EQ (size, 7);
    DT_CHECK (memcmp (data, "\x95\x01\x0f\x09\x02\xa1v", 7) == 0);
    dt_msg_t back;
    dt_msg_init (&back);
    DT_CHECK_EQ (dt_msg_decode (&back, data, size), 0);
    DT_CHECK_EQ (back.error.code, DT_ERR_VERSION);
    DT_CHECK_EQ (back.req, 9);
    dt_msg_reset (&back);
    free (data);
    /* An ERROR of another version still decodes; any other type does not. */
    DT_CHECK_EQ (s_decode ("\x95\x05\x0f\x00\x03\xa0", 6), 0);
    DT_CHECK_EQ (s_decode ("\x95\x05\x0f\x00\x03\xa0\x00", 7), DT_PROTO_EMALFORMED);
}

static void test_unknown_types_and_wrong_shapes_are_malformed (void)
{
    DT_CHECK_EQ (s_decode ("\x93\x04\x00\x00", 4), DT_PROTO_EMALFORMED); /* type 0 */
    DT_CHECK_EQ (s_decode ("\x93\x04\x12\x00", 4), DT_PROTO_EMALFORMED); /* type 18 */
    /* A type past 32 bits is unknown, not the type its low bits name:
     * 2^32 + 5 is no HEARTBEAT, and neither 2^64 - 1 nor 2^31 + 5 is a type. */
    DT_CHECK_EQ (s_decode ("\x93\x04\xcf\x00\x00\x00\x01\x00\x00\x00\x05\x00", 12),
                 DT_PROTO_EMALFORMED);
    DT_CHECK_EQ (s_decode ("\x93\x04\xcf\xff\xff\xff\xff\xff\xff\xff\xff\x00", 12),
                 DT_PROTO_EMALFORMED);
    DT_CHECK_EQ (s_decode ("\x93\x04\xce\x80\x00\x00\x05\x00", 8), DT_PROTO_EMALFORMED);
    DT_CHECK_EQ (s_decode ("\x94\x04\x05\x00\x00", 5), DT_PROTO_EMALFORMED); /* extra field */
    DT_CHECK_EQ (s_decode ("\x92\x04\x05", 3), DT_PROTO_EMALFORMED);         /* short header */
    DT_CHECK_EQ (s_decode ("\x81\x02\x05", 3), DT_PROTO_EMALFORMED);         /* a map */
    DT_CHECK_EQ (s_decode ("\x05", 1), DT_PROTO_EMALFORMED);                 /* not an array */
    DT_CHECK_EQ (s_decode ("", 0), DT_PROTO_EMALFORMED);
    /* HELLO with a negative capacity, a float capacity, a bin name. */
    DT_CHECK_EQ (s_decode ("\x98\x04\x01\x00\xa1w\xff\x01\x0a\x90", 10), DT_PROTO_EMALFORMED);
    DT_CHECK_EQ (s_decode ("\x98\x04\x01\x00\xa1w\xca\x00\x00\x00\x00\x01\x0a\x90", 14),
                 DT_PROTO_EMALFORMED);
    DT_CHECK_EQ (s_decode ("\x98\x04\x01\x00\xc4\x01w\x01\x01\x0a\x90", 11), DT_PROTO_EMALFORMED);
    /* HELLO with capacity 0 (a draining worker) is valid; over the credit cap is not. */
    DT_CHECK_EQ (s_decode ("\x98\x04\x01\x00\xa1w\x00\x00\x0a\x90", 10), 0);
    DT_CHECK_EQ (s_decode ("\x98\x04\x01\x00\xa1w\xcd\x10\x01\x01\x0a\x90", 12),
                 DT_PROTO_EMALFORMED);
    DT_CHECK_EQ (s_decode ("\x98\x04\x01\x00\xa1w\xcd\x10\x00\x01\x0a\x90", 12), 0);
    /* HELLO concurrency: 1..capacity, 0 only with capacity 0. */
    DT_CHECK_EQ (s_decode ("\x98\x04\x01\x00\xa1w\x04\x04\x0a\x90", 10), 0);
    DT_CHECK_EQ (s_decode ("\x98\x04\x01\x00\xa1w\x04\x05\x0a\x90", 10), DT_PROTO_EMALFORMED);
    DT_CHECK_EQ (s_decode ("\x98\x04\x01\x00\xa1w\x04\x00\x0a\x90", 10), DT_PROTO_EMALFORMED);
    DT_CHECK_EQ (s_decode ("\x98\x04\x01\x00\xa1w\x00\x01\x0a\x90", 10), DT_PROTO_EMALFORMED);
    /* A u32 field holding 2^32. */
    DT_CHECK_EQ (s_decode ("\x96\x04\x02\x00\xcf\x00\x00\x00\x01\x00\x00\x00\x00\x01\x01", 15),
                 DT_PROTO_EMALFORMED);
    /* RESULTS whose outcome is 3. */
    DT_CHECK_EQ (
        s_decode ("\x95\x04\x04\x00\xa0\x91\x9f\x01\x01\x01\x03\x00\x00\x00\xa0\xa0\xa0\xc4\x00\x00"
                  "\xc4\x00\xa0\x00",
                  24),
        DT_PROTO_EMALFORMED);
    DT_CHECK_EQ (
        s_decode ("\x95\x04\x04\x00\xa0\x91\x9f\x01\x01\x01\x02\x00\x00\x00\xa0\xa0\xa0\xc4\x00\x00"
                  "\xc4\x00\xa0\x00",
                  24),
        0);
    /* A task whose kind is empty; a TASKS with no task; a TASKS of epoch 0. */
    DT_CHECK_EQ (s_decode ("\x96\x04\x03\x00\x01\x91\x97\x01\x01\xa0\xc4\x00\x00\x00\x00\x90", 16),
                 DT_PROTO_EMALFORMED);
    DT_CHECK_EQ (s_decode ("\x96\x04\x03\x00\x01\x90\x90", 7), DT_PROTO_EMALFORMED);
    DT_CHECK_EQ (s_decode ("\x96\x04\x03\x00\x00\x91\x97\x01\x01\xa1x\xc4\x00\x00\x00\x00\x90", 17),
                 DT_PROTO_EMALFORMED);
    DT_CHECK_EQ (s_decode ("\x96\x04\x03\x00\x01\x91\x97\x01\x01\xa1x\xc4\x00\x00\x00\x00\x90", 17),
                 0);
    /* A payload sent as str where bin belongs. */
    DT_CHECK_EQ (s_decode ("\x96\x04\x03\x00\x01\x91\x97\x01\x01\xa1x\xa0\x00\x00\x00\x90", 16),
                 DT_PROTO_EMALFORMED);
}

static void test_a_huge_declared_count_allocates_nothing (void)
{
    /* TASKS declaring 2^32-1 tasks in a 10-byte frame; and 4096, under the
     * cap, but more than the bytes left. */
    DT_CHECK_EQ (s_decode ("\x96\x04\x03\x00\x01\xdd\xff\xff\xff\xff", 10), DT_PROTO_ETOOBIG);
    DT_CHECK_EQ (s_decode ("\x96\x04\x03\x00\x01\xdc\x10\x00", 8), DT_PROTO_EMALFORMED);
    /* A string declaring 4 GiB. */
    DT_CHECK_EQ (s_decode ("\x94\x04\x0b\x00\xdb\xff\xff\xff\xff", 9), DT_PROTO_ETOOBIG);
    /* A string declaring 60 bytes with 2 present. */
    DT_CHECK_EQ (s_decode ("\x94\x04\x0b\x00\xd9\x3c\x61\x62", 8), DT_PROTO_EMALFORMED);
}

static void test_strings_and_batches_over_their_caps_are_too_big (void)
{
    /* A SUBMIT job id of 65 bytes, built by hand. */
    /* Its HTTP options (H), its crawl tuple (C), then its host delay, last: none asked. */
#define S_NO_HTTP  "\x97\x00\x00\x00\x00\x00\xa0\xa0"
#define S_NO_CRAWL "\x94\x00\xa0\x00\x00"
#define S_TAIL     S_NO_CRAWL "\x00"
    uint8_t buf[128] = {0x9f, 0x04, 0x07, 0x00, 0xd9, 65};
    memset (buf + 6, 'j', 65);
    memcpy (buf + 71, "\x00\x00\xa0\x00\x00\x00\x00\x91\xc4\x01x" S_NO_HTTP S_TAIL, 25);
    DT_CHECK_EQ (s_decode (buf, 96), DT_PROTO_ETOOBIG);
    buf[5] = 64;
    memcpy (buf + 70, "\x00\x00\xa0\x00\x00\x00\x00\x91\xc4\x01x" S_NO_HTTP S_TAIL, 25);
    DT_CHECK_EQ (s_decode (buf, 95), 0);
    /* A SUBMIT without its host delay, or without its crawl tuple too, is
     * malformed. */
    buf[0] = 0x9e;
    DT_CHECK_EQ (s_decode (buf, 94), DT_PROTO_EMALFORMED);
    buf[0] = 0x9d;
    DT_CHECK_EQ (s_decode (buf, 89), DT_PROTO_EMALFORMED);
    buf[0] = 0x9f;
    /* A crawl whose scope kind is past REGEX is malformed; a regex one decodes. */
    memcpy (buf + 70,
            "\x00\x04\xa0\x00\x00\x00\x00\x91\xc4\x01x" S_NO_HTTP "\x94\x04\xa0\x00\x00\x00", 25);
    DT_CHECK_EQ (s_decode (buf, 95), DT_PROTO_EMALFORMED);
    memcpy (buf + 70,
            "\x00\x04\xa0\x00\x00\x00\x00\x91\xc4\x01x" S_NO_HTTP "\x94\x03\xa1.\x02\x0a\x00", 26);
    DT_CHECK_EQ (s_decode (buf, 96), 0);
    /* A payload sent as str, not bin, is malformed. */
    memcpy (buf + 70, "\x00\x00\xa0\x00\x00\x00\x00\x91\xa1x" S_NO_HTTP S_TAIL, 24);
    DT_CHECK_EQ (s_decode (buf, 94), DT_PROTO_EMALFORMED);
    /* A kind outside [a-z0-9_-] is malformed. */
    memcpy (buf + 70, "\x00\x00\xa1X\x00\x00\x00\x00\x91\xc4\x01x" S_NO_HTTP S_TAIL, 26);
    DT_CHECK_EQ (s_decode (buf, 96), DT_PROTO_EMALFORMED);
    /* H: method 3, compressed 2 are malformed; a User-Agent of 513 bytes
     * is over its cap. */
    memcpy (buf + 70,
            "\x00\x00\xa0\x00\x00\x00\x00\x91\xc4\x01x\x97\x03\x00\x00\x00\x00\xa0\xa0" S_TAIL, 25);
    DT_CHECK_EQ (s_decode (buf, 95), DT_PROTO_EMALFORMED);
    memcpy (buf + 70,
            "\x00\x00\xa0\x00\x00\x00\x00\x91\xc4\x01x\x97\x02\x00\x00\x00\x02\xa0\xa0" S_TAIL, 25);
    DT_CHECK_EQ (s_decode (buf, 95), DT_PROTO_EMALFORMED);
    memcpy (buf + 70,
            "\x00\x00\xa0\x00\x00\x00\x00\x91\xc4\x01x\x97\x02\x00\x00\x00\x01\xa0\xa0" S_TAIL, 25);
    DT_CHECK_EQ (s_decode (buf, 95), 0);
    uint8_t big[700] = {0};
    memcpy (big, buf, 81);
    memcpy (big + 81, "\x97\x00\x00\x00\x00\x00\xda\x02\x01", 9);
    memset (big + 90, 'a', 513);
    big[603] = 0xa0;
    memcpy (big + 604, S_TAIL, 6);
    DT_CHECK_EQ (s_decode (big, 610), DT_PROTO_ETOOBIG);
    big[89] = 0x00; /* 512 bytes: at the cap */
    big[602] = 0xa0;
    memcpy (big + 603, S_TAIL, 6);
    DT_CHECK_EQ (s_decode (big, 609), 0);
    /* A host delay over DT_LIMIT_HOST_DELAY_MAX_MS (10 min) is too big; a
     * flag no version knows is malformed. */
    memcpy (buf + 70,
            "\x00\x00\xa0\x00\x00\x00\x00\x91\xc4\x01x" S_NO_HTTP S_NO_CRAWL "\xce\x00\x09\x27\xc1",
            29);
    DT_CHECK (s_decode (buf, 99) != 0);
    memcpy (buf + 70,
            "\x00\x00\xa0\x00\x00\x00\x00\x91\xc4\x01x" S_NO_HTTP S_NO_CRAWL "\xce\x00\x09\x27\xc0",
            29);
    DT_CHECK_EQ (s_decode (buf, 99), 0);
    memcpy (buf + 70, "\x00\x10\xa0\x00\x00\x00\x00\x91\xc4\x01x" S_NO_HTTP S_TAIL, 25);
    DT_CHECK (s_decode (buf, 95) != 0);
    memcpy (buf + 70, "\x00\x08\xa0\x00\x00\x00\x00\x91\xc4\x01x" S_NO_HTTP S_TAIL, 25);
    DT_CHECK_EQ (s_decode (buf, 95), 0);
#undef S_TAIL
#undef S_NO_HTTP
#undef S_NO_CRAWL

    /* The encoder refuses what the decoder would refuse. */
    dt_msg_t m;
    dt_msg_init (&m);
    m.type = DT_MSG_SUBMIT;
    m.submit.job = dt_str ("j");
    m.submit.count = DT_LIMIT_BATCH_MAX + 1;
    m.submit.payloads = calloc (m.submit.count, sizeof (dt_str_t));
    for (uint32_t i = 0; i < m.submit.count; i++)
        m.submit.payloads[i] = dt_str ("http://a/");
    void *data;
    size_t size;
    DT_CHECK_EQ (dt_msg_encode (&m, &data, &size), DT_PROTO_ETOOBIG);
    m.submit.count = DT_LIMIT_BATCH_MAX;
    DT_CHECK_EQ (dt_msg_encode (&m, &data, &size), 0);
    DT_CHECK_EQ (s_decode (data, size), 0);
    free (data);
    free (m.submit.payloads);

    char *url = malloc (DT_LIMIT_PAYLOAD_MAX + 2);
    memset (url, 'u', DT_LIMIT_PAYLOAD_MAX + 1);
    url[DT_LIMIT_PAYLOAD_MAX + 1] = 0;
    dt_msg_task_t task = {1, 1, dt_str ("http"), dt_str (url), 0, 0, 0};
    dt_msg_init (&m);
    m.type = DT_MSG_TASKS;
    m.tasks.epoch = 1;
    m.tasks.count = 1;
    m.tasks.items = &task;
    DT_CHECK_EQ (dt_msg_encode (&m, &data, &size), DT_PROTO_ETOOBIG);
    task.payload.len = DT_LIMIT_PAYLOAD_MAX;
    DT_CHECK_EQ (dt_msg_encode (&m, &data, &size), 0);
    DT_CHECK (size <= 1 + 3 + 1 + 3 + dt_msg_task_size (&task));
    DT_CHECK_EQ (s_decode (data, size), 0);
    free (data);
    free (url);
}

/* ---- One table, both directions ------------------------------------------ */

/* Bytes for any string a test needs: longer than every cap. */
/* Text for any string field at and one beyond its cap: the largest cap. */
static char s_text[DT_LIMIT_CAPTURE_WIRE + 2];

static uint64_t s_load (const uint8_t *p, int width)
{
    uint8_t v8;
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;
    switch (width) {
    case 1:
        memcpy (&v8, p, 1);
        return v8;
    case 2:
        memcpy (&v16, p, 2);
        return v16;
    case 4:
        memcpy (&v32, p, 4);
        return v32;
    }
    memcpy (&v64, p, 8);
    return v64;
}

static void s_store (uint8_t *p, int width, uint64_t v)
{
    uint8_t v8 = (uint8_t) v;
    uint16_t v16 = (uint16_t) v;
    uint32_t v32 = (uint32_t) v;
    switch (width) {
    case 1:
        memcpy (p, &v8, 1);
        return;
    case 2:
        memcpy (p, &v16, 2);
        return;
    case 4:
        memcpy (p, &v32, 4);
        return;
    }
    memcpy (p, &v, 8);
}

static uint64_t s_width_max (int width)
{
    return width == 8 ? UINT64_MAX : (UINT64_C (1) << (8 * width)) - 1;
}

/* Items of a LIST: `count` items at their defaults. */
static void *s_items_new (const dt_msg_layout_t *item, uint32_t count);

/* Sets every field of `layout` at `base` to the least valid value. */
static void s_defaults (const dt_msg_layout_t *layout, uint8_t *base)
{
    for (int i = 0; i < layout->count; i++) {
        const dt_msg_field_t *f = &layout->fields[i];
        uint8_t *at = base + f->offset;
        switch (f->kind) {
        case DT_FIELD_UINT:
            s_store (at, f->width, f->min);
            break;
        case DT_FIELD_STR:
        case DT_FIELD_BIN:
            *(dt_str_t *) (void *) at = dt_str_n (s_text, (size_t) f->min);
            break;
        case DT_FIELD_TUPLE:
            s_defaults (f->item, at);
            break;
        case DT_FIELD_LIST:
            *(uint32_t *) (void *) (base + f->count_offset) = (uint32_t) f->min;
            *(void **) (void *) at = s_items_new (f->item, (uint32_t) f->min);
            break;
        }
    }
}

static void *s_items_new (const dt_msg_layout_t *item, uint32_t count)
{
    uint8_t *items = calloc (count ? count : 1, item->size);
    for (uint32_t i = 0; i < count; i++)
        s_defaults (item, items + (size_t) i * item->size);
    return items;
}

/* Frees the items of a message built by s_defaults. */
static void s_items_free (const dt_msg_layout_t *layout, uint8_t *base)
{
    for (int i = 0; i < layout->count; i++)
        if (layout->fields[i].kind == DT_FIELD_LIST)
            free (*(void **) (void *) (base + layout->fields[i].offset));
}

/* 1 when every field of `layout` holds the same in `a` and `b`. */
static int s_same (const dt_msg_layout_t *layout, const uint8_t *a, const uint8_t *b)
{
    for (int i = 0; i < layout->count; i++) {
        const dt_msg_field_t *f = &layout->fields[i];
        const uint8_t *x = a + f->offset, *y = b + f->offset;
        switch (f->kind) {
        case DT_FIELD_UINT:
            if (s_load (x, f->width) != s_load (y, f->width))
                return 0;
            break;
        case DT_FIELD_STR:
        case DT_FIELD_BIN: {
            const dt_str_t *s = (const dt_str_t *) (const void *) x;
            const dt_str_t *t = (const dt_str_t *) (const void *) y;
            if (s->len != t->len || (s->len && memcmp (s->ptr, t->ptr, s->len) != 0))
                return 0;
            break;
        }
        case DT_FIELD_TUPLE:
            if (!s_same (f->item, x, y))
                return 0;
            break;
        case DT_FIELD_LIST: {
            uint32_t n = *(const uint32_t *) (const void *) (a + f->count_offset);
            if (n != *(const uint32_t *) (const void *) (b + f->count_offset))
                return 0;
            const uint8_t *xi = *(const uint8_t *const *) (const void *) x;
            const uint8_t *yi = *(const uint8_t *const *) (const void *) y;
            for (uint32_t k = 0; k < n; k++)
                if (!s_same (f->item, xi + (size_t) k * f->item->size,
                             yi + (size_t) k * f->item->size))
                    return 0;
            break;
        }
        }
    }
    return 1;
}

static int s_cases;   /* variants judged */
static int s_refused; /* of which both sides refused */

/* Encodes `m` checked and unchecked, decodes the unchecked bytes, and
 * checks that both sides give the same verdict and that what encodes
 * decodes back equal. `what` names the variant for a failure. */
static int s_judge (const dt_msg_t *m, const char *what)
{
    const dt_msg_layout_t *layout = dt_msg_layout (m->type);
    void *checked = NULL, *raw = NULL;
    size_t checked_size = 0, raw_size = 0;
    int enc = dt_msg_encode (m, &checked, &checked_size);
    int ok = dt_msg_encode_unchecked (m, &raw, &raw_size) == 0;
    dt_msg_t back;
    dt_msg_init (&back);
    int dec = ok ? dt_msg_decode (&back, raw, raw_size) : -99;
    ok = ok && enc == dec;
    if (ok && enc == 0)
        ok = checked_size == raw_size && memcmp (checked, raw, raw_size) == 0 &&
             back.type == m->type && back.req == m->req &&
             s_same (layout, (const uint8_t *) m, (const uint8_t *) &back);
    if (!ok)
        fprintf (stderr, "    %s %s: encode says %s, decode says %s\n", layout->name, what,
                 dt_msg_strerror (enc), dt_msg_strerror (dec));
    s_cases++;
    s_refused += enc != 0;
    dt_msg_reset (&back);
    free (checked);
    free (raw);
    return ok ? 0 : -1;
}

/* Judges field `f` (of the struct at `base`, inside message `m`) at each
 * limit and one beyond. Returns the failures. */
static int s_judge_field (dt_msg_t *m, const dt_msg_field_t *f, uint8_t *base, const char *where)
{
    char what[160];
    int failed = 0;
    uint8_t *at = base + f->offset;
    switch (f->kind) {
    case DT_FIELD_UINT: {
        uint64_t keep = s_load (at, f->width);
        uint64_t values[4];
        int n = 0;
        values[n++] = f->min;
        values[n++] = f->max;
        if (f->max < s_width_max (f->width))
            values[n++] = f->max + 1;
        if (f->min > 0)
            values[n++] = f->min - 1;
        for (int i = 0; i < n; i++) {
            s_store (at, f->width, values[i]);
            snprintf (what, sizeof what, "%s%s = %llu", where, f->name,
                      (unsigned long long) values[i]);
            failed += s_judge (m, what) != 0;
        }
        s_store (at, f->width, keep);
        break;
    }
    case DT_FIELD_STR:
    case DT_FIELD_BIN: {
        dt_str_t keep = *(dt_str_t *) (void *) at;
        uint64_t lengths[] = {0, f->max, f->max + 1};
        for (int i = 0; i < 3; i++) {
            *(dt_str_t *) (void *) at = dt_str_n (s_text, (size_t) lengths[i]);
            snprintf (what, sizeof what, "%s%s of %llu bytes", where, f->name,
                      (unsigned long long) lengths[i]);
            failed += s_judge (m, what) != 0;
        }
        *(dt_str_t *) (void *) at = keep;
        break;
    }
    case DT_FIELD_TUPLE:
        for (int i = 0; i < f->item->count; i++) {
            snprintf (what, sizeof what, "%s%s.", where, f->name);
            failed += s_judge_field (m, &f->item->fields[i], at, what);
        }
        break;
    case DT_FIELD_LIST: {
        uint32_t *count = (uint32_t *) (void *) (base + f->count_offset);
        void **items = (void **) (void *) at;
        uint32_t keep_count = *count;
        void *keep_items = *items;
        uint64_t counts[] = {0, 1, f->max, f->max + 1};
        for (int i = 0; i < 4; i++) {
            *count = (uint32_t) counts[i];
            *items = s_items_new (f->item, *count);
            snprintf (what, sizeof what, "%s%s of %llu items", where, f->name,
                      (unsigned long long) counts[i]);
            failed += s_judge (m, what) != 0;
            /* Each field of an item at its limits, in a list of one. */
            if (counts[i] == 1)
                for (int k = 0; k < f->item->count; k++) {
                    snprintf (what, sizeof what, "%s[0].", f->name);
                    failed += s_judge_field (m, &f->item->fields[k], *items, what);
                }
            free (*items);
        }
        *count = keep_count;
        *items = keep_items;
        break;
    }
    }
    return failed;
}

static void test_encode_refuses_exactly_what_decode_refuses_at_every_limit (void)
{
    memset (s_text, 'u', sizeof s_text);
    s_cases = s_refused = 0;
    int failed = 0;
    for (int type = DT_MSG_HELLO; type <= DT_MSG_HOSTS_OK; type++) {
        if (!DT_MSG_TYPE_VALID (type))
            continue;
        const dt_msg_layout_t *layout = dt_msg_layout (type);
        dt_msg_t m;
        dt_msg_init (&m);
        m.type = (dt_msg_type_t) type;
        m.req = 77;
        s_defaults (layout, (uint8_t *) &m);
        failed += s_judge (&m, "at its defaults") != 0;
        for (int i = 0; i < layout->count; i++)
            failed += s_judge_field (&m, &layout->fields[i], (uint8_t *) &m, "");
        s_items_free (layout, (uint8_t *) &m);
    }
    DT_CHECK_EQ (failed, 0);
    /* Both verdicts were met many times. */
    DT_CHECK (s_refused > 30 && s_cases - s_refused > 100);
}

static void test_what_the_decoder_refused_the_encoder_refuses_too (void)
{
    /* Once accepted by the encoder alone: HELLO capacity 5000, FETCH max 0,
     * an empty SUBMIT. */
    dt_msg_t m;
    void *data;
    size_t size;
    dt_msg_init (&m);
    m.type = DT_MSG_HELLO;
    m.hello.capacity = 5000;
    m.hello.concurrency = 1;
    DT_CHECK_EQ (dt_msg_encode (&m, &data, &size), DT_PROTO_EMALFORMED);
    dt_msg_init (&m);
    m.type = DT_MSG_FETCH;
    DT_CHECK_EQ (dt_msg_encode (&m, &data, &size), DT_PROTO_EMALFORMED);
    dt_msg_init (&m);
    m.type = DT_MSG_SUBMIT;
    m.submit.job = dt_str ("j");
    DT_CHECK_EQ (dt_msg_encode (&m, &data, &size), DT_PROTO_EMALFORMED);
    /* HELLO's rule across fields holds on both sides. */
    dt_msg_init (&m);
    m.type = DT_MSG_HELLO;
    uint32_t pairs[][3] = {{4, 4, 0}, {4, 1, 0}, {4, 5, 1}, {4, 0, 1}, {0, 0, 0}, {0, 1, 1}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        m.hello.capacity = pairs[i][0];
        m.hello.concurrency = pairs[i][1];
        int want = pairs[i][2] ? DT_PROTO_EMALFORMED : 0;
        DT_CHECK_EQ (s_judge (&m, "capacity/concurrency"), 0);
        int rc = dt_msg_encode (&m, &data, &size);
        if (rc == 0)
            free (data);
        DT_CHECK_EQ (rc, want);
    }
}

static void test_the_tables_keep_the_shape_the_codec_relies_on (void)
{
    for (int type = DT_MSG_HELLO; type <= DT_MSG_HOSTS_OK; type++) {
        if (!DT_MSG_TYPE_VALID (type))
            continue;
        const dt_msg_layout_t *layout = dt_msg_layout (type);
        DT_CHECK (layout && strcmp (layout->name, dt_msg_type_name (type)) == 0);
        int lists = 0;
        for (int i = 0; i < layout->count; i++) {
            const dt_msg_field_t *f = &layout->fields[i];
            DT_CHECK (f->min <= f->max);
            if (f->kind == DT_FIELD_UINT)
                DT_CHECK (f->max <= s_width_max (f->width));
            if (f->kind != DT_FIELD_LIST && f->kind != DT_FIELD_TUPLE)
                continue;
            lists += f->kind == DT_FIELD_LIST;
            /* Items hold numbers and strings only: one allocation per message. */
            for (int k = 0; k < f->item->count; k++)
                DT_CHECK (f->item->fields[k].kind == DT_FIELD_UINT ||
                          f->item->fields[k].kind == DT_FIELD_STR ||
                          f->item->fields[k].kind == DT_FIELD_BIN);
            DT_CHECK (!f->item->bare ||
                      (f->item->count == 1 && f->item->size == sizeof (dt_str_t)));
        }
        DT_CHECK (lists <= 2);
    }
    DT_CHECK (dt_msg_layout (0) == NULL && dt_msg_layout (DT_MSG_EXPORT_OK + 1) == NULL &&
              dt_msg_layout (DT_MSG_HOSTS_OK + 1) == NULL);
}

static void test_a_frame_over_the_frame_cap_is_too_big (void)
{
    size_t size = DT_LIMIT_FRAME_MAX + 1;
    uint8_t *data = calloc (1, size);
    DT_CHECK_EQ (s_decode (data, size), DT_PROTO_ETOOBIG);
    free (data);
}

static void test_every_single_byte_change_decodes_or_is_refused_safely (void)
{
    for (int type = DT_MSG_HELLO; type <= DT_MSG_HOSTS_OK; type++) {
        if (!DT_MSG_TYPE_VALID (type))
            continue;
        size_t size;
        uint8_t *data = s_encode (type, &size);
        for (size_t i = 0; i < size; i++) {
            for (int v = 0; v < 256; v += 7) {
                uint8_t keep = data[i];
                data[i] = (uint8_t) v;
                dt_msg_t m;
                dt_msg_init (&m);
                int rc = dt_msg_decode (&m, data, size);
                DT_CHECK (rc <= 0 && rc >= DT_PROTO_ENOMEM);
                dt_msg_reset (&m);
                data[i] = keep;
            }
        }
        free (data);
    }
}

static void test_messages_travel_over_zeromq_and_extra_frames_are_dropped (void)
{
    void *ctx = zmq_ctx_new ();
    void *router = zmq_socket (ctx, ZMQ_ROUTER);
    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    DT_CHECK_EQ (zmq_bind (router, "inproc://proto"), 0);
    DT_CHECK_EQ (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "peer-1", 6), 0);
    DT_CHECK_EQ (zmq_connect (dealer, "inproc://proto"), 0);

    /* A two-frame message from the dealer first: refused whole. */
    zmq_send (dealer, "a", 1, ZMQ_SNDMORE);
    zmq_send (dealer, "b", 1, 0);
    dt_msg_t m;
    dt_msg_init (&m);
    s_sample (&m, DT_MSG_HELLO);
    DT_CHECK_EQ (dt_msg_send (&m, dealer, NULL), 0);

    dt_msg_t in;
    dt_msg_init (&in);
    dt_peer_t peer;
    DT_CHECK_EQ (dt_msg_recv (&in, router, &peer, 0), DT_PROTO_EFRAMES);
    DT_CHECK_EQ (dt_msg_recv (&in, router, &peer, 0), 0);
    DT_CHECK_EQ (in.type, DT_MSG_HELLO);
    DT_CHECK (s_str_eq (in.hello.name, "worker-1"));
    DT_CHECK_EQ (peer.len, 6);
    DT_CHECK (memcmp (peer.id, "peer-1", 6) == 0);
    dt_msg_reset (&in);

    s_sample (&m, DT_MSG_WELCOME);
    DT_CHECK_EQ (dt_msg_send (&m, router, &peer), 0);
    DT_CHECK_EQ (dt_msg_recv (&in, dealer, NULL, 0), 0);
    DT_CHECK_EQ (in.type, DT_MSG_WELCOME);
    DT_CHECK_EQ (in.welcome.task_ms, 120000);
    dt_msg_reset (&in);

    /* Nothing waiting: EAGAIN without blocking. */
    DT_CHECK_EQ (dt_msg_recv (&in, dealer, NULL, ZMQ_DONTWAIT), DT_PROTO_EAGAIN);

    /* Garbage body: refused, but the peer is known for the ERROR reply. */
    zmq_send (dealer, "\xc1garbage", 8, 0);
    memset (&peer, 0, sizeof peer);
    DT_CHECK_EQ (dt_msg_recv (&in, router, &peer, 0), DT_PROTO_EMALFORMED);
    DT_CHECK_EQ (peer.len, 6);

    zmq_close (dealer);
    zmq_close (router);
    zmq_ctx_term (ctx);
}

static void test_names_cover_every_type_and_code (void)
{
    DT_CHECK (strcmp (dt_msg_type_name (DT_MSG_REQUEUE_OK), "REQUEUE_OK") == 0);
    DT_CHECK (strcmp (dt_msg_type_name (99), "?") == 0);
    DT_CHECK (strcmp (dt_msg_error_name (DT_ERR_CONFLICT), "CONFLICT") == 0);
    DT_CHECK (strcmp (dt_msg_error_name (DT_ERR_NO_SUCH_JOB), "NO_SUCH_JOB") == 0);
    DT_CHECK (strcmp (dt_msg_error_name (0), "?") == 0);
    for (int rc = 0; rc >= DT_PROTO_EIO; rc--)
        DT_CHECK (strcmp (dt_msg_strerror (rc), "unknown error") != 0);
}

/* `test_proto --seeds DIR` writes one encoded sample of every type: the
 * fuzzer's starting corpus (scripts/fuzz). */
static int s_write_seeds (const char *dir)
{
    for (int type = DT_MSG_HELLO; type <= DT_MSG_HOSTS_OK; type++) {
        if (!DT_MSG_TYPE_VALID (type))
            continue;
        size_t size;
        void *data = s_encode (type, &size);
        char path[4096];
        snprintf (path, sizeof path, "%s/%s", dir, dt_msg_type_name (type));
        FILE *f = fopen (path, "wb");
        if (!data || !f || fwrite (data, 1, size, f) != size) {
            perror (path);
            return 1;
        }
        fclose (f);
        free (data);
    }
    return 0;
}

/* `test_proto --replay FILE...` decodes each file (a fuzzer corpus or a
 * crash it once found) and re-encodes what decodes: none may crash. */
static int s_replay (int argc, char **argv)
{
    for (int i = 2; i < argc; i++) {
        FILE *f = fopen (argv[i], "rb");
        if (!f) {
            perror (argv[i]);
            return 1;
        }
        static uint8_t data[DT_LIMIT_FRAME_MAX + 1];
        size_t size = fread (data, 1, sizeof data, f);
        fclose (f);
        dt_msg_t m;
        dt_msg_init (&m);
        if (dt_msg_decode (&m, data, size) == 0) {
            void *again;
            size_t again_size;
            if (dt_msg_encode (&m, &again, &again_size) != 0) {
                fprintf (stderr, "%s: decodes but does not encode again\n", argv[i]);
                return 1;
            }
            free (again);
        }
        dt_msg_reset (&m);
    }
    printf ("replayed %d inputs\n", argc - 2);
    return 0;
}

static void test_the_hosts_messages_round_trip (void)
{
    static dt_msg_host_t rows[2] = {
        {{"http://a.test:80", 16}, 5, 1, 9, 7, 2, 3, 1500, DT_HOST_ROBOTS_RULES},
        {{"https://b.test:443", 18}, 0, 0, 1, 0, 0, 0, 0, DT_HOST_ROBOTS_PENDING}};
    dt_msg_t out[2];
    dt_msg_init (&out[0]);
    out[0].type = DT_MSG_HOSTS;
    out[0].req = 7;
    out[0].hosts.job = dt_str ("job-abc");
    out[0].hosts.max = DT_LIMIT_STATUS_HOSTS;
    dt_msg_init (&out[1]);
    out[1].type = DT_MSG_HOSTS_OK;
    out[1].req = 7;
    out[1].hosts_ok.total = 120;
    out[1].hosts_ok.count = 2;
    out[1].hosts_ok.items = rows;
    for (int i = 0; i < 2; i++) {
        void *data = NULL, *again = NULL;
        size_t size = 0, again_size = 0;
        DT_CHECK_EQ (dt_msg_encode (&out[i], &data, &size), 0);
        dt_msg_t m;
        dt_msg_init (&m);
        DT_CHECK_EQ (dt_msg_decode (&m, data, size), 0);
        DT_CHECK_EQ (m.type, out[i].type);
        DT_CHECK_EQ (dt_msg_encode (&m, &again, &again_size), 0);
        DT_CHECK (again_size == size && memcmp (again, data, size) == 0);
        if (i == 1) {
            DT_CHECK_EQ (m.hosts_ok.count, 2);
            DT_CHECK (s_str_eq (m.hosts_ok.items[1].origin, "https://b.test:443"));
            DT_CHECK_EQ (m.hosts_ok.items[0].next_ms, 1500);
        }
        /* Every truncation is refused. */
        for (size_t cut = 0; cut < size; cut++) {
            dt_msg_t t;
            dt_msg_init (&t);
            DT_CHECK (dt_msg_decode (&t, data, cut) != 0);
            dt_msg_reset (&t);
        }
        free (again);
        free (data);
        dt_msg_reset (&m);
    }
    /* A HOSTS for more rows than a reply lists is too big; a robots state
     * past the last is malformed. */
    out[0].hosts.max = DT_LIMIT_STATUS_HOSTS + 1;
    void *data = NULL;
    size_t size = 0;
    DT_CHECK (dt_msg_encode (&out[0], &data, &size) != 0);
    rows[0].robots = DT_HOST_ROBOTS_MAX + 1;
    DT_CHECK (dt_msg_encode (&out[1], &data, &size) != 0);
    rows[0].robots = DT_HOST_ROBOTS_RULES;
    DT_CHECK (strcmp (dt_msg_type_name (DT_MSG_HOSTS), "HOSTS") == 0);
}

int main (int argc, char **argv)
{
    if (argc >= 2 && strcmp (argv[1], "--replay") == 0)
        return s_replay (argc, argv);
    if (argc == 3 && strcmp (argv[1], "--seeds") == 0)
        return s_write_seeds (argv[2]);
    static dt_test_t tests[] = {
        {"every message round trips", test_every_message_round_trips},
        {"decoded fields have the sent values", test_decoded_fields_have_the_sent_values},
        {"every truncation of every message is refused",
         test_every_truncation_of_every_message_is_refused},
        {"a trailing byte is refused", test_a_trailing_byte_is_refused},
        {"another protocol version is refused as VERSION",
         test_another_protocol_version_is_refused_as_version},
        {"a refused request leaves its req for the error reply",
         test_a_refused_request_leaves_its_req_for_the_error_reply},
        {"an ERROR VERSION is written so that any version reads it",
         test_an_error_version_is_written_so_any_version_reads_it},
        {"unknown types and wrong shapes are malformed",
         test_unknown_types_and_wrong_shapes_are_malformed},
        {"a huge declared count allocates nothing", test_a_huge_declared_count_allocates_nothing},
        {"strings and batches over their caps are too big",
         test_strings_and_batches_over_their_caps_are_too_big},
        {"a frame over the frame cap is too big", test_a_frame_over_the_frame_cap_is_too_big},
        {"encode refuses exactly what decode refuses, at every limit of every field",
         test_encode_refuses_exactly_what_decode_refuses_at_every_limit},
        {"what the decoder refused, the encoder refuses too",
         test_what_the_decoder_refused_the_encoder_refuses_too},
        {"the tables keep the shape the codec relies on",
         test_the_tables_keep_the_shape_the_codec_relies_on},
        {"every single byte change decodes or is refused safely",
         test_every_single_byte_change_decodes_or_is_refused_safely},
        {"messages travel over ZeroMQ and extra frames are dropped",
         test_messages_travel_over_zeromq_and_extra_frames_are_dropped},
        {"names cover every type and code", test_names_cover_every_type_and_code},
        {"the HOSTS messages round trip", test_the_hosts_messages_round_trip},
        {0},
    };
    return dt_test_run (tests);
}
