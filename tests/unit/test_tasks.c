/* test_tasks.c - the task table's compaction: it moves the URLs of busy tasks only when that
 * gives memory back. */
#include "dt_tasks.h"
#include "dt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHORT_URL 60   /* the no-op benchmark's URLs */
#define LONG_URL  7000 /* near DT_LIMIT_URL_MAX */
#define MIB       (1024 * 1024)

static int s_busy (const dt_task_t *task)
{
    return task->state == DT_TASK_QUEUED;
}

/* Adds tasks 1..count with URLs of `len` bytes ("http://h/ID/xxx..."); every
 * `busy_every`th is QUEUED, the others DONE. Returns the table or NULL. */
static dt_tasks_t *s_table (uint32_t count, size_t len, uint32_t busy_every)
{
    dt_tasks_t *tasks = dt_tasks_new ();
    char *url = malloc (len + 1);
    for (uint32_t id = 1; tasks && url && id <= count; id++) {
        int n = snprintf (url, len + 1, "http://h/%u/", id);
        memset (url + n, 'x', len - (size_t) n);
        dt_task_t *task = dt_tasks_add (tasks, id, 0, url, len);
        if (!task) {
            dt_tasks_destroy (&tasks);
            break;
        }
        task->state = id % busy_every == 0 ? DT_TASK_QUEUED : DT_TASK_DONE;
    }
    free (url);
    return tasks;
}

/* True when task `id` is in the table with its own URL of `len` bytes. */
static int s_has_url (dt_tasks_t *tasks, uint64_t id, size_t len)
{
    dt_task_t *task = dt_tasks_get (tasks, id);
    char head[32];
    int n = snprintf (head, sizeof head, "http://h/%u/", (unsigned) id);
    return task && task->url_len == len && memcmp (task->url, head, (size_t) n) == 0 &&
           task->url[len - 1] == 'x' && task->url[len] == '\0';
}

static void test_short_urls_in_one_block_are_left_in_place (void)
{
    /* 20,000 URLs of 60 bytes: 1.2 MB, one arena block. Compacting it
     * would copy every queued URL into a new block of the same size. */
    dt_tasks_t *tasks = s_table (20000, SHORT_URL, 10);
    DT_CHECK (tasks);
    const char *before = dt_tasks_get (tasks, 10)->url;
    size_t memory = dt_tasks_memory (tasks);
    DT_CHECK_EQ (dt_tasks_compact (tasks, s_busy), 0);
    DT_CHECK (dt_tasks_get (tasks, 10)->url == before);
    DT_CHECK_EQ (dt_tasks_memory (tasks), memory);
    DT_CHECK (s_has_url (tasks, 1, SHORT_URL) && s_has_url (tasks, 20000, SHORT_URL));
    dt_tasks_destroy (&tasks);
}

static void test_long_urls_mostly_finished_are_compacted (void)
{
    /* 3,000 URLs of 7,000 bytes: 21 MB in several blocks; one in 100 busy. */
    dt_tasks_t *tasks = s_table (3000, LONG_URL, 100);
    DT_CHECK (tasks);
    size_t memory = dt_tasks_memory (tasks);
    DT_CHECK_EQ (dt_tasks_compact (tasks, s_busy), 1);
    size_t after = dt_tasks_memory (tasks);
    fprintf (stderr, "    %zu bytes before, %zu after\n", memory, after);
    DT_CHECK (after + 15 * MIB < memory);
    for (uint64_t id = 100; id <= 3000; id += 100)
        DT_CHECK (s_has_url (tasks, id, LONG_URL));
    DT_CHECK (!dt_tasks_get (tasks, 1) && !dt_tasks_get (tasks, 2999));
    /* Done once: the new arena is as small as it gets. */
    DT_CHECK_EQ (dt_tasks_compact (tasks, s_busy), 0);
    dt_tasks_destroy (&tasks);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"short URLs in one block are left in place",
         test_short_urls_in_one_block_are_left_in_place},
        {"long URLs mostly finished are compacted", test_long_urls_mostly_finished_are_compacted},
        {0},
    };
    return dt_test_run (tests);
}
