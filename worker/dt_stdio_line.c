/* dt_stdio_line.c - the stdio line protocol's two lines: a task in (encoded), a reply out
 * (decoded). */
#include "dt_stdio_line.h"
#include "dt_base64.h"
#include "dt_child.h"
#include "dt_msg.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *dt_stdio_line_encode (const dt_handler_task_t *task, size_t *len_out)
{
    char *line = NULL, *b64 = NULL;
    json_t *obj = json_object ();
    if (!obj)
        return NULL;
    json_object_set_new (obj, "id", json_integer ((json_int_t) task->task_id));
    json_object_set_new (obj, "attempt", json_integer ((json_int_t) task->attempt));
    /* NULL when the payload is not valid UTF-8: then base64. */
    json_t *text = json_stringn (task->payload_len ? task->payload : "", task->payload_len);
    if (text)
        json_object_set_new (obj, "payload", text);
    else {
        b64 = malloc (DT_BASE64_ENCODED_SIZE (task->payload_len));
        if (!b64)
            goto done;
        size_t n = dt_base64_encode (task->payload, task->payload_len, b64);
        json_object_set_new (obj, "payload_base64", json_stringn (b64, n));
    }
    /* Serialised once: its NUL becomes the line's '\n'. (jansson's
     * allocator is malloc's: the worker never sets another.) */
    line = json_dumps (obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!line)
        goto done;
    size_t len = strlen (line);
    line[len] = '\n';
    *len_out = len + 1;
done:
    free (b64);
    json_decref (obj);
    return line;
}

/* The reply's output into reply->output: "output" or "output_base64".
 * Returns NULL, or why it is not usable. */
static const char *s_output (json_t *obj, dt_stdio_reply_t *reply)
{
    json_t *text = json_object_get (obj, "output");
    json_t *b64 = json_object_get (obj, "output_base64");
    if (text && !json_is_null (text)) {
        if (!json_is_string (text))
            return "\"output\" is not a string";
        size_t len = json_string_length (text);
        if (len && !(reply->output = malloc (len)))
            return "out of memory";
        if (len)
            memcpy (reply->output, json_string_value (text), len);
        reply->output_len = len;
    } else if (b64 && !json_is_null (b64)) {
        if (!json_is_string (b64))
            return "\"output_base64\" is not a string";
        size_t len = json_string_length (b64);
        if (len && !(reply->output = malloc (len / 4 * 3 + 1)))
            return "out of memory";
        long n = dt_base64_decode (json_string_value (b64), len, reply->output);
        if (n < 0) {
            free (reply->output);
            reply->output = NULL;
            return "\"output_base64\" is not base64";
        }
        reply->output_len = (size_t) n;
    }
    return NULL;
}

/* Fills everything but the id from a parsed object; NULL or why not. */
static const char *s_fields (json_t *obj, dt_stdio_reply_t *reply)
{
    json_t *jstate = json_object_get (obj, "state");
    json_t *error = json_object_get (obj, "error");
    if (!json_is_string (jstate))
        return "no \"state\" string";
    if (error && !json_is_null (error) && !json_is_string (error))
        return "\"error\" is not a string";
    static const struct {
        const char *name;
        uint8_t outcome;
    } states[] = {
        {"done", DT_OUTCOME_DONE}, {"retry", DT_OUTCOME_RETRY}, {"failed", DT_OUTCOME_FAIL}};
    for (size_t i = 0; i < sizeof states / sizeof states[0] && !reply->state; i++)
        if (strcmp (json_string_value (jstate), states[i].name) == 0) {
            reply->state = states[i].name;
            reply->outcome = states[i].outcome;
        }
    if (!reply->state)
        return "\"state\" is not done, retry or failed";
    /* An error goes with retry and failed only (dt_handler.h). */
    if (json_is_string (error) && reply->outcome != DT_OUTCOME_DONE)
        dt_child_text (json_string_value (error), json_string_length (error), reply->error,
                       sizeof reply->error);
    return s_output (obj, reply);
}

int dt_stdio_reply_decode (const char *line, size_t len, dt_stdio_reply_t *reply, char *why,
                           size_t why_size)
{
    memset (reply, 0, sizeof *reply);
    if (len && line[len - 1] == '\r')
        len--;
    json_error_t jerr;
    json_t *obj = json_loadb (line, len, JSON_ALLOW_NUL, &jerr);
    if (!obj) {
        snprintf (why, why_size, "not JSON (%s)", jerr.text);
        return -1;
    }
    const char *wrong = NULL;
    json_t *id = json_object_get (obj, "id");
    if (!json_is_object (obj))
        wrong = "not a JSON object";
    else if (!json_is_integer (id))
        wrong = "no \"id\" integer";
    else {
        reply->id = (uint64_t) json_integer_value (id);
        reply->has_id = 1;
        wrong = s_fields (obj, reply);
    }
    json_decref (obj);
    if (wrong) {
        snprintf (why, why_size, "%s", wrong);
        free (reply->output);
        reply->output = NULL;
        reply->output_len = 0;
        return -1;
    }
    return 0;
}

void dt_stdio_reply_free (dt_stdio_reply_t *reply)
{
    free (reply->output);
    reply->output = NULL;
    reply->output_len = 0;
}
