/* dt_endpoint.h - the one rule for a ZeroMQ endpoint given on a command line.
 *
 * The master's --bind, the worker's and the CLI's --master (and
 * DTASK_MASTER) are checked alike before anything is opened, so a typo is
 * bad usage (exit 2) with the form expected, not libzmq's bare "Invalid
 * argument".
 */
#ifndef DT_ENDPOINT_H
#define DT_ENDPOINT_H

#include <stddef.h>

/* What a wrong endpoint is told to look like. */
#define DT_ENDPOINT_FORM "tcp://HOST:PORT, e.g. tcp://127.0.0.1:5555"

/* Returns 0 when `endpoint` is tcp://HOST:PORT (HOST a name, an address,
 * [IPv6] or '*', PORT a number up to 65535 or '*'), ipc://PATH or
 * inproc://NAME; otherwise -1 with what is wrong in `why`. */
int dt_endpoint_check (const char *endpoint, char *why, size_t why_size);

#endif
