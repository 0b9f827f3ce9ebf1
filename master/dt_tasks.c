/* dt_tasks.c - the task table: the tasks held in memory, indexed by id. */
#include "dt_tasks.h"
#include "dt_arena.h"
#include "dt_bigmem.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Tasks per chunk: 32768 x 64 bytes = 2 MiB, one huge page (dt_bigmem.h).
 * Power of two so the index split is a shift and a mask. */
#define DT_TASKS_CHUNK_SHIFT 15
#define DT_TASKS_CHUNK       (1u << DT_TASKS_CHUNK_SHIFT)

/* URL blocks of a chunk: a huge page holds 32768 URLs of ~60 bytes. */
#define DT_TASKS_URL_BLOCK DT_BIGMEM_UNIT

/* A chunk of records and the URLs of its tasks, freed together. */
typedef struct {
    dt_task_t *tasks; /* DT_TASKS_CHUNK records, from dt_bigmem */
    size_t mapped;    /* their dt_bigmem size */
    dt_arena_t *urls;
} s_chunk_t;

struct dt_tasks_t {
    s_chunk_t **chunks;    /* slot i: ids i*CHUNK+1 .. (i+1)*CHUNK, NULL when absent */
    size_t nslots;         /* slots in use (up to the highest chunk ever made) */
    size_t slots_capacity; /* entries allocated in chunks */
};

dt_tasks_t *dt_tasks_new (void)
{
    return calloc (1, sizeof (dt_tasks_t));
}

static void s_chunk_free (s_chunk_t **chunk_p)
{
    if (!*chunk_p)
        return;
    dt_arena_destroy (&(*chunk_p)->urls);
    dt_bigmem_free ((*chunk_p)->tasks, (*chunk_p)->mapped);
    free (*chunk_p);
    *chunk_p = NULL;
}

void dt_tasks_destroy (dt_tasks_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_tasks_t *self = *self_p;
    for (size_t i = 0; i < self->nslots; i++)
        s_chunk_free (&self->chunks[i]);
    free (self->chunks);
    free (self);
    *self_p = NULL;
}

static size_t s_slot_of (uint64_t id)
{
    return (size_t) ((id - 1) >> DT_TASKS_CHUNK_SHIFT);
}

/* The chunk holding `id`, allocated when absent; NULL when memory runs out. */
static s_chunk_t *s_cover (dt_tasks_t *self, uint64_t id)
{
    uint64_t slot = (id - 1) >> DT_TASKS_CHUNK_SHIFT;
    if (slot >= SIZE_MAX / sizeof (s_chunk_t *))
        return NULL;
    if (slot >= self->slots_capacity) {
        size_t capacity = self->slots_capacity ? self->slots_capacity : 16;
        while (capacity <= slot)
            capacity *= 2;
        s_chunk_t **chunks = realloc (self->chunks, capacity * sizeof *chunks);
        if (!chunks)
            return NULL;
        memset (chunks + self->slots_capacity, 0,
                (capacity - self->slots_capacity) * sizeof *chunks);
        self->chunks = chunks;
        self->slots_capacity = capacity;
    }
    if (!self->chunks[slot]) {
        /* Zeroed: every id in it is DT_TASK_NONE until added. */
        s_chunk_t *chunk = calloc (1, sizeof *chunk);
        if (chunk) {
            chunk->tasks = dt_bigmem_alloc (DT_TASKS_CHUNK * sizeof (dt_task_t), &chunk->mapped);
            chunk->urls = dt_arena_new (DT_TASKS_URL_BLOCK);
        }
        if (!chunk || !chunk->tasks || !chunk->urls) {
            s_chunk_free (&chunk);
            return NULL;
        }
        self->chunks[slot] = chunk;
    }
    if (slot >= self->nslots)
        self->nslots = (size_t) slot + 1;
    return self->chunks[slot];
}

int dt_tasks_reserve (dt_tasks_t *self, uint64_t first_id, const dt_str_t *urls, uint32_t count)
{
    /* Per chunk the ids fall in: the bytes its arena must take. */
    uint32_t i = 0;
    while (i < count) {
        uint64_t id = first_id + i;
        s_chunk_t *chunk = s_cover (self, id);
        if (!chunk)
            return -1;
        size_t bytes = 0;
        size_t slot = s_slot_of (id);
        for (; i < count && s_slot_of (first_id + i) == slot; i++)
            bytes += urls[i].len + 1;
        if (dt_arena_reserve (chunk->urls, bytes) != 0)
            return -1;
    }
    return 0;
}

dt_task_t *dt_tasks_add (dt_tasks_t *self, uint64_t id, uint32_t job, const char *url, size_t len)
{
    assert (id > 0 && !dt_tasks_get (self, id));
    s_chunk_t *chunk = s_cover (self, id);
    if (!chunk)
        return NULL;
    const char *copy = dt_arena_strdup (chunk->urls, url, len);
    if (!copy)
        return NULL;
    dt_task_t *task = &chunk->tasks[(id - 1) & (DT_TASKS_CHUNK - 1)];
    memset (task, 0, sizeof *task);
    task->id = id;
    task->url = copy;
    task->url_len = (uint32_t) len;
    task->job = job;
    return task;
}

dt_task_t *dt_tasks_get (dt_tasks_t *self, uint64_t id)
{
    if (id == 0 || s_slot_of (id) >= self->nslots)
        return NULL;
    s_chunk_t *chunk = self->chunks[s_slot_of (id)];
    if (!chunk)
        return NULL;
    dt_task_t *task = &chunk->tasks[(id - 1) & (DT_TASKS_CHUNK - 1)];
    return task->id == id ? task : NULL; /* a record never added is zeroed */
}

dt_task_t *dt_tasks_next (dt_tasks_t *self, uint64_t after)
{
    for (uint64_t id = after + 1; s_slot_of (id) < self->nslots;) {
        s_chunk_t *chunk = self->chunks[s_slot_of (id)];
        if (!chunk) {
            id = ((uint64_t) s_slot_of (id) + 1) * DT_TASKS_CHUNK + 1;
            continue;
        }
        dt_task_t *task = &chunk->tasks[(id - 1) & (DT_TASKS_CHUNK - 1)];
        if (task->id == id)
            return task;
        id++;
    }
    return NULL;
}

size_t dt_tasks_sweep (dt_tasks_t *self, uint64_t below, int (*busy) (const dt_task_t *task))
{
    size_t freed = 0;
    for (size_t slot = 0; slot < self->nslots; slot++) {
        s_chunk_t *chunk = self->chunks[slot];
        uint64_t last_id = ((uint64_t) slot + 1) * DT_TASKS_CHUNK;
        if (last_id >= below)
            break;
        if (!chunk)
            continue;
        /* From the last record down: tasks finish about in id order, so a
         * chunk still in play has its busy ones at its end, and a look from
         * its start would pass over every finished one at each sweep. */
        size_t i = DT_TASKS_CHUNK;
        while (i > 0 && !(chunk->tasks[i - 1].id && busy (&chunk->tasks[i - 1])))
            i--;
        if (i > 0)
            continue;
        s_chunk_free (&self->chunks[slot]);
        freed++;
    }
    return freed;
}

size_t dt_tasks_compact (dt_tasks_t *self, int (*busy) (const dt_task_t *task))
{
    size_t compacted = 0;
    for (size_t slot = 0; slot < self->nslots; slot++) {
        s_chunk_t *chunk = self->chunks[slot];
        if (!chunk)
            continue;
        /* A new arena holds at least one block: with URLs of ~60 bytes a
         * chunk's fit in one, and moving them would free nothing (and cost
         * a copy of every queued URL at each maintenance). */
        size_t held = dt_arena_allocated (chunk->urls);
        if (held <= dt_arena_allocated_for (chunk->urls, 0))
            continue;
        size_t live = 0;
        for (size_t i = 0; i < DT_TASKS_CHUNK; i++)
            if (chunk->tasks[i].id && busy (&chunk->tasks[i]))
                live += chunk->tasks[i].url_len + 1;
        if (live > held / 2 || dt_arena_allocated_for (chunk->urls, live) >= held)
            continue;
        dt_arena_t *urls = dt_arena_new (DT_TASKS_URL_BLOCK);
        if (!urls || dt_arena_reserve (urls, live) != 0) {
            dt_arena_destroy (&urls);
            continue; /* out of memory: the block stays as it is */
        }
        for (size_t i = 0; i < DT_TASKS_CHUNK; i++) {
            dt_task_t *task = &chunk->tasks[i];
            if (!task->id)
                continue;
            if (busy (task))
                task->url = dt_arena_strdup (urls, task->url, task->url_len); /* reserved */
            else
                memset (task, 0, sizeof *task);
        }
        dt_arena_destroy (&chunk->urls);
        chunk->urls = urls;
        compacted++;
    }
    return compacted;
}

size_t dt_tasks_memory (const dt_tasks_t *self)
{
    size_t bytes = self->slots_capacity * sizeof (s_chunk_t *);
    for (size_t i = 0; i < self->nslots; i++)
        if (self->chunks[i])
            bytes += sizeof (s_chunk_t) + self->chunks[i]->mapped +
                     dt_arena_allocated (self->chunks[i]->urls);
    return bytes;
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
