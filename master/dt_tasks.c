/* dt_tasks.c - the task table: every task ever accepted, indexed by id. */
#include "dt_tasks.h"
#include "dt_arena.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Tasks per chunk: 8192 x 64 bytes = 512 KiB, so a small master stays small
 * and a big one makes one allocation per 8192 tasks. Power of two so the
 * index split is a shift and a mask. */
#define DT_TASKS_CHUNK_SHIFT 13
#define DT_TASKS_CHUNK       (1u << DT_TASKS_CHUNK_SHIFT)

struct dt_tasks_t {
    dt_task_t **chunks;     /* chunk i holds ids i*CHUNK+1 .. (i+1)*CHUNK */
    size_t nchunks;         /* chunks allocated */
    size_t chunks_capacity; /* entries in the chunks array */
    uint64_t max_id;        /* highest id added */
    dt_arena_t *urls;       /* the URLs */
};

dt_tasks_t *dt_tasks_new (void)
{
    dt_tasks_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->urls = dt_arena_new (0);
    if (!self->urls) {
        free (self);
        return NULL;
    }
    return self;
}

void dt_tasks_destroy (dt_tasks_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_tasks_t *self = *self_p;
    for (size_t i = 0; i < self->nchunks; i++)
        free (self->chunks[i]);
    free (self->chunks);
    dt_arena_destroy (&self->urls);
    free (self);
    *self_p = NULL;
}

/* The record for `id`, whose chunk must exist. */
static dt_task_t *s_slot (dt_tasks_t *self, uint64_t id)
{
    return &self->chunks[(id - 1) >> DT_TASKS_CHUNK_SHIFT][(id - 1) & (DT_TASKS_CHUNK - 1)];
}

/* Allocates chunks until id `id` has a record. */
static int s_cover (dt_tasks_t *self, uint64_t id)
{
    uint64_t need = ((id - 1) >> DT_TASKS_CHUNK_SHIFT) + 1;
    if (need > SIZE_MAX / sizeof (dt_task_t *))
        return -1;
    while (self->nchunks < need) {
        if (self->nchunks == self->chunks_capacity) {
            size_t capacity = self->chunks_capacity ? self->chunks_capacity * 2 : 16;
            dt_task_t **chunks = realloc (self->chunks, capacity * sizeof *chunks);
            if (!chunks)
                return -1;
            self->chunks = chunks;
            self->chunks_capacity = capacity;
        }
        /* Zeroed: every id in it is DT_TASK_NONE until added. */
        dt_task_t *chunk = calloc (DT_TASKS_CHUNK, sizeof *chunk);
        if (!chunk)
            return -1;
        self->chunks[self->nchunks++] = chunk;
    }
    return 0;
}

int dt_tasks_reserve (dt_tasks_t *self, uint32_t count, size_t url_bytes)
{
    if (count == 0)
        return 0;
    if (s_cover (self, self->max_id + count) != 0)
        return -1;
    return dt_arena_reserve (self->urls, url_bytes + count);
}

dt_task_t *dt_tasks_add (dt_tasks_t *self, uint64_t id, uint32_t job, const char *url, size_t len)
{
    assert (id > self->max_id);
    if (s_cover (self, id) != 0)
        return NULL;
    const char *copy = dt_arena_strdup (self->urls, url, len);
    if (!copy)
        return NULL;
    dt_task_t *task = s_slot (self, id);
    memset (task, 0, sizeof *task);
    task->id = id;
    task->url = copy;
    task->url_len = (uint32_t) len;
    task->job = job;
    self->max_id = id;
    return task;
}

dt_task_t *dt_tasks_get (dt_tasks_t *self, uint64_t id)
{
    if (id == 0 || id > self->max_id)
        return NULL;
    dt_task_t *task = s_slot (self, id);
    return task->id == id ? task : NULL; /* a gap's record is zeroed */
}

uint64_t dt_tasks_max_id (const dt_tasks_t *self)
{
    return self->max_id;
}

size_t dt_tasks_memory (const dt_tasks_t *self)
{
    return self->nchunks * DT_TASKS_CHUNK * sizeof (dt_task_t) +
           self->chunks_capacity * sizeof (dt_task_t *) + dt_arena_allocated (self->urls);
}

void dt_lease_append (dt_lease_list_t *list, dt_task_t *task)
{
    task->prev = list->tail;
    task->next = NULL;
    if (list->tail)
        list->tail->next = task;
    else
        list->head = task;
    list->tail = task;
    list->count++;
}

void dt_lease_remove (dt_lease_list_t *list, dt_task_t *task)
{
    assert (list->count > 0);
    if (task->prev)
        task->prev->next = task->next;
    else
        list->head = task->next;
    if (task->next)
        task->next->prev = task->prev;
    else
        list->tail = task->prev;
    task->prev = task->next = NULL;
    list->count--;
}
