/* dt_log.c - levelled logging to stderr with a greppable tag per event. */
#include "dt_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static const char *s_program = "dtask";
static dt_log_level_t s_level = DT_LOG_INFO;
static const char *s_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void dt_log_init (const char *program, dt_log_level_t level)
{
    if (program)
        s_program = program;
    s_level = level;
}

void dt_log_set_level (dt_log_level_t level)
{
    s_level = level;
}

dt_log_level_t dt_log_level (void)
{
    return s_level;
}

int dt_log_enabled (dt_log_level_t level)
{
    return level <= s_level;
}

void dt_log_write (dt_log_level_t level, const char *tag, const char *fmt, ...)
{
    if (level > s_level)
        return;
    struct timeval tv;
    gettimeofday (&tv, NULL);
    struct tm tm;
    gmtime_r (&tv.tv_sec, &tm);
    char stamp[32];
    strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);

    /* One buffer and one fputs, so lines from several processes sharing a
     * terminal or file do not interleave mid-line. */
    char line[2048];
    int n = snprintf (line, sizeof line, "%s.%03dZ %s %s %s ", stamp, (int) (tv.tv_usec / 1000),
                      s_program, s_names[level], tag);
    if (n < 0 || (size_t) n >= sizeof line)
        n = 0;
    va_list ap;
    va_start (ap, fmt);
    int m = vsnprintf (line + n, sizeof line - (size_t) n - 1, fmt, ap);
    va_end (ap);
    size_t len = strlen (line);
    if (m < 0 || len >= sizeof line - 1)
        len = sizeof line - 2;
    line[len] = '\n';
    line[len + 1] = '\0';
    fputs (line, stderr);
}

/* One tag's rate window. */
typedef struct {
    const char *tag;             /* borrowed literal; NULL: free slot */
    dt_log_level_t level;        /* of the lines counted, for the summary */
    long long second;            /* monotonic second of the window */
    unsigned logged;             /* lines written in that second */
    unsigned long long withheld; /* lines suppressed since the last summary */
} s_limit_t;

static s_limit_t s_limits[DT_LOG_PEER_TAGS];
static int s_withheld_any;              /* some slot has a summary due */
static unsigned long long s_suppressed; /* lines suppressed since start */

static long long s_second (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC_COARSE, &ts);
    return (long long) ts.tv_sec;
}

static s_limit_t *s_limit (const char *tag)
{
    for (int i = 0; i < DT_LOG_PEER_TAGS; i++) {
        s_limit_t *limit = &s_limits[i];
        if (!limit->tag) {
            limit->tag = tag;
            return limit;
        }
        if (limit->tag == tag || strcmp (limit->tag, tag) == 0)
            return limit;
    }
    return &s_limits[DT_LOG_PEER_TAGS - 1];
}

/* Ends `limit`'s window at `second`, writing its summary if lines were lost. */
static void s_roll (s_limit_t *limit, long long second)
{
    if (limit->withheld)
        dt_log_write (limit->level, limit->tag, "%llu similar lines suppressed", limit->withheld);
    limit->withheld = 0;
    limit->logged = 0;
    limit->second = second;
}

int dt_log_admit (dt_log_level_t level, const char *tag)
{
    if (level > s_level)
        return 0;
    long long second = s_second ();
    s_limit_t *limit = s_limit (tag);
    if (limit->second != second)
        s_roll (limit, second);
    if (limit->logged < DT_LOG_PEER_PER_S) {
        limit->logged++;
        return 1;
    }
    limit->level = level;
    limit->withheld++;
    s_withheld_any = 1;
    s_suppressed++;
    return 0;
}

void dt_log_flush (void)
{
    if (!s_withheld_any)
        return;
    long long second = s_second ();
    s_withheld_any = 0;
    for (int i = 0; i < DT_LOG_PEER_TAGS && s_limits[i].tag; i++) {
        s_limit_t *limit = &s_limits[i];
        if (limit->withheld && limit->second != second)
            s_roll (limit, second);
        else if (limit->withheld)
            s_withheld_any = 1;
    }
}

unsigned long long dt_log_suppressed (void)
{
    return s_suppressed;
}

char *dt_log_escape (char *out, size_t out_size, const void *data, size_t size, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = data;
    size_t o = 0;
    if (out_size == 0)
        return out;
    for (size_t i = 0; i < size && i < max; i++) {
        if (o + 5 >= out_size)
            break;
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out[o++] = (char) c;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    if (size > max && o + 4 < out_size) {
        memcpy (out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}
