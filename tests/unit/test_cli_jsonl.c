/* test_cli_jsonl.c - the CLI's result lines: exact fields, nulls, bytes that are not UTF-8;
 * progress text. */
#include "dt_test.h"
#include "dt_jsonl.h"
#include "dt_progress.h"

#include <jansson.h>
#include <stdlib.h>

/* Writes `r` through a dt_jsonl_t into memory and parses the line back. */
static json_t *s_roundtrip (const dt_msg_result_t *r, char *line, size_t line_size)
{
    char *mem = NULL;
    size_t size = 0;
    FILE *f = open_memstream (&mem, &size);
    if (!f)
        return NULL;
    dt_jsonl_t *out = dt_jsonl_new (f);
    int rc = out ? dt_jsonl_add (out, r) : -1;
    if (rc == 0)
        rc = dt_jsonl_flush (out);
    dt_jsonl_destroy (&out);
    fclose (f);
    json_t *j = NULL;
    if (rc == 0 && size > 0 && mem[size - 1] == '\n' && !memchr (mem, '\n', size - 1))
        j = json_loadb (mem, size, JSON_ALLOW_NUL, NULL);
    snprintf (line, line_size, "%s", mem ? mem : "");
    free (mem);
    return j;
}

static void test_done_result_has_every_field_in_order (void)
{
    dt_msg_result_t r = {.id = 42,
                         .attempt = 2,
                         .state = DT_STATE_DONE,
                         .http_status = 200,
                         .bytes = 1256,
                         .elapsed_ms = 84};
    r.payload = dt_str ("http://127.0.0.1/a");
    r.final_url = dt_str ("http://127.0.0.1/b");
    r.content_type = dt_str ("text/html");
    r.worker = dt_str ("w1");
    char line[1024];
    json_t *j = s_roundtrip (&r, line, sizeof line);
    DT_CHECK (j);
    DT_CHECK (strcmp (line,
                      "{\"id\":42,\"kind\":\"http\",\"url\":\"http://127.0.0.1/a\",\"final_url\":"
                      "\"http://127.0.0.1/b\",\"state\":\"done\",\"http_status\":200,"
                      "\"bytes\":1256,\"content_type\":\"text/html\",\"elapsed_ms\":84,"
                      "\"attempts\":2,\"worker\":\"w1\",\"error\":null}\n") == 0);
    json_decref (j);
}

static void test_failed_result_has_nulls_for_missing_values (void)
{
    dt_msg_result_t r = {.id = 7, .attempt = 3, .state = DT_STATE_FAILED};
    r.payload = dt_str ("http://127.0.0.1/slow");
    r.error = dt_str ("Timeout was reached");
    char line[1024];
    json_t *j = s_roundtrip (&r, line, sizeof line);
    DT_CHECK (j);
    DT_CHECK (json_is_null (json_object_get (j, "http_status")));
    DT_CHECK (json_is_null (json_object_get (j, "content_type")));
    DT_CHECK (json_is_null (json_object_get (j, "worker")));
    DT_CHECK (strcmp (json_string_value (json_object_get (j, "final_url")), "") == 0);
    DT_CHECK (strcmp (json_string_value (json_object_get (j, "state")), "failed") == 0);
    DT_CHECK (strcmp (json_string_value (json_object_get (j, "error")), "Timeout was reached") ==
              0);
    json_decref (j);
}

static void test_bytes_that_are_not_utf8_still_give_valid_json (void)
{
    dt_msg_result_t r = {.id = 1, .attempt = 1, .state = DT_STATE_DONE, .http_status = 200};
    r.payload = dt_str ("http://127.0.0.1/\"q\\\n");
    r.content_type = dt_str_n ("text/\xff\xc3(\x00x", 10);
    r.worker = dt_str ("w\xe2\x82\xac"); /* valid: the euro sign */
    char line[1024];
    json_t *j = s_roundtrip (&r, line, sizeof line);
    DT_CHECK (j);
    DT_CHECK (strcmp (json_string_value (json_object_get (j, "url")), "http://127.0.0.1/\"q\\\n") ==
              0);
    const char *ct = json_string_value (json_object_get (j, "content_type"));
    DT_CHECK (ct);
    size_t len = json_string_length (json_object_get (j, "content_type"));
    DT_CHECK_EQ (len, 5 + 3 + 3 + 1 + 1 + 1);
    DT_CHECK (memcmp (ct, "text/\xef\xbf\xbd\xef\xbf\xbd(\0x", len) == 0);
    DT_CHECK (strcmp (json_string_value (json_object_get (j, "worker")), "w\xe2\x82\xac") == 0);
    json_decref (j);
}

static void test_progress_line_shows_rate_and_eta (void)
{
    char out[160];
    dt_progress_format (out, sizeof out, 100, 1000, 3, 2000);
    DT_CHECK (strcmp (out, "100/1000 done, 3 failed, 50/s, ETA 0:18") == 0);
    dt_progress_format (out, sizeof out, 0, 1000, 0, 0);
    DT_CHECK (strcmp (out, "0/1000 done, 0 failed, 0/s, ETA --") == 0);
    dt_progress_format (out, sizeof out, 1, 100000, 0, 1000);
    DT_CHECK (strcmp (out, "1/100000 done, 0 failed, 1/s, ETA 27:46:39") == 0);
}

static dt_test_t tests[] = {
    {"done result has every field in order", test_done_result_has_every_field_in_order},
    {"failed result has nulls for missing values", test_failed_result_has_nulls_for_missing_values},
    {"bytes that are not utf8 still give valid json",
     test_bytes_that_are_not_utf8_still_give_valid_json},
    {"progress line shows rate and eta", test_progress_line_shows_rate_and_eta},
    {0},
};

int main (void)
{
    return dt_test_run (tests);
}
