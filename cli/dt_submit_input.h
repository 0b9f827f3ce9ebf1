/* dt_submit_input.h - `dtask submit`'s input: payloads from the arguments, -f FILE or --jsonl,
 * every one checked before anything is sent. */
#ifndef DT_SUBMIT_INPUT_H
#define DT_SUBMIT_INPUT_H

#include "dt_jsonin.h"
#include "dt_submit_args.h"
#include "dt_urls.h"

/* Adds the payloads of argv (from args->first on) and of args->file to
 * `urls`: lines, or with args->jsonl JSON lines, whose payloads then live
 * in *blob_p (freed by the caller after `urls`) and whose options go to
 * *line_opts_p (one per payload, the caller's to free). Checks them all:
 * http payloads must be URLs (the bad ones are printed, the first
 * DT_SUBMIT_BAD_SHOWN of them), any other kind's at most
 * DT_LIMIT_PAYLOAD_MAX bytes, and there must be at least one. Returns 0,
 * or the exit code after saying what is wrong (nothing may be sent). */
int dt_submit_input_load (const dt_submit_args_t *args, int argc, char **argv, dt_urls_t *urls,
                          char **blob_p, dt_jsonin_opts_t **line_opts_p);

#endif
