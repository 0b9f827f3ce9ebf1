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
