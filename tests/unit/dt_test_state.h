/* dt_test_state.h - a model for unit tests: a store in a fresh directory under /tmp (or none: a
 * --memory master), the state on it and one registered worker "w". Closing it leaves what kill -9
 * leaves (the last commit, nothing after it), and opening it again loads that, as a restarted
 * master does. */
#ifndef DT_TEST_STATE_H
#define DT_TEST_STATE_H

#include "dt_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char dir[64]; /* empty: no store (--memory) */
    dt_store_t *store;
    dt_state_t *st;
    dt_worker_t *worker;
} dt_test_state_t;

/* Opens the store in f->dir (none when it is empty) with `opts`, loads it, registers the worker.
 * 0 or -1. */
static int dt_test_state_open (dt_test_state_t *f, const dt_state_opts_t *opts)
{
    char err[256];
    if (f->dir[0] && !(f->store = dt_store_open (f->dir, err, sizeof err)))
        return -1;
    f->st = dt_state_new (opts, f->store);
    if (!f->st || dt_state_load (f->st) != 0)
        return -1;
    dt_peer_t peer;
    memset (&peer, 0, sizeof peer);
    peer.len = 1;
    peer.id[0] = 'w';
    f->worker = dt_workers_add (dt_state_workers (f->st), &peer, dt_str ("w"), 64);
    return f->worker ? 0 : -1;
}

/* Frees the state and the store; the directory stays. */
static void dt_test_state_close (dt_test_state_t *f)
{
    dt_state_destroy (&f->st);
    dt_store_destroy (&f->store);
}

/* A fresh directory /tmp/dtask-NAME-XXXXXX, opened; NAME NULL: no store. 0 or -1. */
static int dt_test_state_setup (dt_test_state_t *f, const char *name, const dt_state_opts_t *opts)
{
    memset (f, 0, sizeof *f);
    if (name) {
        snprintf (f->dir, sizeof f->dir, "/tmp/dtask-%s-XXXXXX", name);
        if (!mkdtemp (f->dir))
            return -1;
    }
    return dt_test_state_open (f, opts);
}

/* Closes, then removes the directory. */
static void dt_test_state_teardown (dt_test_state_t *f)
{
    dt_test_state_close (f);
    if (!f->dir[0])
        return;
    char cmd[128];
    snprintf (cmd, sizeof cmd, "rm -rf %s", f->dir);
    if (system (cmd) != 0)
        fprintf (stderr, "    could not remove %s\n", f->dir);
}

#endif
