/* dt_httpflags.h - a job's HTTP options from the command line (--method, -H, --user-agent,
 * --timeout, --connect-timeout, --max-bytes, --compressed), for every command that submits a job.
 *
 * A command puts DT_HTTPFLAGS_LONGOPTS in its getopt_long table and "H:" in
 * its short options, and hands each option getopt returns to
 * dt_httpflags_parse: the flags are parsed and checked in one place, with
 * the rule the master and the workers apply (dt_httpcheck.h), so a bad one
 * is refused before anything is sent.
 */
#ifndef DT_HTTPFLAGS_H
#define DT_HTTPFLAGS_H

#include <getopt.h>
#include <stddef.h>

#include "dt_limits.h"
#include "dt_msg.h"

/* getopt_long values of the long options without a short one. */
#define DT_HTTPFLAGS_METHOD          0x1001
#define DT_HTTPFLAGS_USER_AGENT      0x1002
#define DT_HTTPFLAGS_TIMEOUT         0x1003
#define DT_HTTPFLAGS_CONNECT_TIMEOUT 0x1004
#define DT_HTTPFLAGS_MAX_BYTES       0x1005
#define DT_HTTPFLAGS_COMPRESSED      0x1006

#define DT_HTTPFLAGS_LONGOPTS                                                                      \
    {"method", required_argument, NULL, DT_HTTPFLAGS_METHOD},                                      \
        {"header", required_argument, NULL, 'H'},                                                  \
        {"user-agent", required_argument, NULL, DT_HTTPFLAGS_USER_AGENT},                          \
        {"timeout", required_argument, NULL, DT_HTTPFLAGS_TIMEOUT},                                \
        {"connect-timeout", required_argument, NULL, DT_HTTPFLAGS_CONNECT_TIMEOUT},                \
        {"max-bytes", required_argument, NULL, DT_HTTPFLAGS_MAX_BYTES},                            \
    {                                                                                              \
        "compressed", no_argument, NULL, DT_HTTPFLAGS_COMPRESSED                                   \
    }

/* Longest --timeout and --connect-timeout: a day, as the worker's own. */
#define DT_HTTPFLAGS_SECONDS_MAX 86400

/* The options' lines for a command's usage text. */
extern const char dt_httpflags_usage[];

typedef struct {
    dt_msg_httpopt_t msg;                         /* what SUBMIT carries; strings point below */
    char user_agent[DT_LIMIT_USER_AGENT_MAX + 1]; /* --user-agent */
    char headers[DT_LIMIT_HTTP_HEADERS_WIRE + 1]; /* the -H lines joined by '\n' */
    uint32_t nheaders;                            /* -H given */
} dt_httpflags_t;

/* No option given: every setting the worker's. */
void dt_httpflags_init (dt_httpflags_t *self);

/* Takes option `c` (getopt_long's return) with `arg`. Returns 1 when it is
 * one of these options and good, 0 when it is not one of them, -1 when it
 * is and its value is refused (the reason, naming the option, in `err`). */
int dt_httpflags_parse (dt_httpflags_t *self, int c, const char *arg, char *err, size_t err_size);

#endif
