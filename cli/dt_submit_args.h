/* dt_submit_args.h - `dtask submit`'s command line: its options parsed and checked, and its usage.
 */
#ifndef DT_SUBMIT_ARGS_H
#define DT_SUBMIT_ARGS_H

#include "dt_httpflags.h"
#include "dt_jsonin.h"

#include <stdint.h>

/* What the command line asks for. Strings are borrowed from argv. */
typedef struct {
    const char *job;        /* --job; NULL: a random id */
    const char *file;       /* -f FILE ("-": standard input); NULL: none */
    const char *kind;       /* --kind; DT_KIND_HTTP by default */
    int wait;               /* --wait */
    int wait_room;          /* on QUEUE_FULL, wait and resend (not --no-wait-room) */
    int append;             /* --append */
    int jsonl;              /* --jsonl */
    uint32_t flags;         /* DT_SUBMIT_SAVE with --save warc */
    uint32_t polite_flags;  /* DT_SUBMIT_ROBOTS (--robots) */
    uint32_t host_delay_ms; /* --host-delay */
    dt_jsonin_opts_t opts;  /* every task's options (PROTOCOL.md SUBMIT) */
    dt_httpflags_t http;    /* the job's HTTP options */
    int first;              /* argv index of the first URL or payload */
} dt_submit_args_t;

/* The usage text, the HTTP options' lines included. */
const char *dt_submit_usage (void);

/* Parses and checks argv into `args`. Returns 0 to go on, or -1 with the
 * exit code in *code: DT_CLI_EXIT_OK after --help (printed), or
 * DT_CLI_EXIT_USAGE after saying what is wrong. */
int dt_submit_args_parse (dt_submit_args_t *args, int argc, char **argv, int *code);

#endif
