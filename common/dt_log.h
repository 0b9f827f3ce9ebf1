/* dt_log.h - levelled logging to stderr with a greppable tag per event.
 *
 * Usage: dt_log_warn ("PROTO-MALFORMED", "peer %s: %s", peer, why);
 * Each line is "2026-01-02T03:04:05.678Z prog LEVEL TAG message".
 * Never pass raw peer bytes as the message; use dt_log_escape().
 */
#ifndef DT_LOG_H
#define DT_LOG_H

#include <stddef.h>

typedef enum {
    DT_LOG_ERROR = 0,
    DT_LOG_WARN = 1,
    DT_LOG_INFO = 2,
    DT_LOG_DEBUG = 3,
} dt_log_level_t;

/* Sets the program name shown on each line (borrowed: must outlive logging)
 * and the most verbose level printed. Default: "dtask", DT_LOG_INFO. */
void dt_log_init (const char *program, dt_log_level_t level);
void dt_log_set_level (dt_log_level_t level);
dt_log_level_t dt_log_level (void);

/* True when lines at this level would be printed: guard costly arguments. */
int dt_log_enabled (dt_log_level_t level);

void dt_log_write (dt_log_level_t level, const char *tag, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

#define dt_log_error(tag, ...) dt_log_write (DT_LOG_ERROR, tag, __VA_ARGS__)
#define dt_log_warn(tag, ...)  dt_log_write (DT_LOG_WARN, tag, __VA_ARGS__)
#define dt_log_info(tag, ...)  dt_log_write (DT_LOG_INFO, tag, __VA_ARGS__)
#define dt_log_debug(tag, ...)                                                                     \
    do {                                                                                           \
        if (dt_log_enabled (DT_LOG_DEBUG))                                                         \
            dt_log_write (DT_LOG_DEBUG, tag, __VA_ARGS__);                                         \
    } while (0)

/* ---- Lines a peer can trigger -------------------------------------------
 *
 * Anything a remote peer can make us log (an invalid message, a refused
 * handshake, a repeated HELLO, a CANCEL of a missing job) goes through one
 * limiter: per tag, at most DT_LOG_PEER_PER_S lines a second; the rest are
 * counted, and the first line of a later second (or dt_log_flush, which the
 * master calls every loop turn) writes one summary "TAG N similar lines
 * suppressed". So a flood costs a few lines a second however fast it comes,
 * and the arguments of a suppressed line are never even evaluated:
 *
 *     dt_log_peer_warn ("PROTO-INVALID", "peer %s: %s", s_name (peer), why);
 */

/* Lines per tag per second. Ten lines show an operator what is happening and
 * who does it; a flood of 100k lines/s would fill a disk at ~40 MiB/s. */
#define DT_LOG_PEER_PER_S 10

/* Tags the limiter tracks; a tag beyond these shares one last slot (still
 * limited, only summarised together). */
#define DT_LOG_PEER_TAGS 64

/* True when a line with `tag` at `level` may be written now; false when the
 * level is off or the tag used up its lines this second (then it is counted
 * for the summary). `tag` is borrowed and must outlive logging (a literal). */
int dt_log_admit (dt_log_level_t level, const char *tag);

/* Writes the summary of every tag whose second ended with lines suppressed. */
void dt_log_flush (void);

/* Lines suppressed by the limiter since start, over all tags (for tests). */
unsigned long long dt_log_suppressed (void);

#define dt_log_peer(level, tag, ...)                                                               \
    do {                                                                                           \
        if (dt_log_admit (level, tag))                                                             \
            dt_log_write (level, tag, __VA_ARGS__);                                                \
    } while (0)
#define dt_log_peer_warn(tag, ...)  dt_log_peer (DT_LOG_WARN, tag, __VA_ARGS__)
#define dt_log_peer_info(tag, ...)  dt_log_peer (DT_LOG_INFO, tag, __VA_ARGS__)
#define dt_log_peer_debug(tag, ...) dt_log_peer (DT_LOG_DEBUG, tag, __VA_ARGS__)

/* Writes a printable, escaped copy of at most `max` input bytes of `data`
 * into `out` (always NUL-terminated, cut with "..." when longer). For logging
 * what a peer sent without letting it write control characters to our logs.
 * Returns `out`. */
char *dt_log_escape (char *out, size_t out_size, const void *data, size_t size, size_t max);

#endif
