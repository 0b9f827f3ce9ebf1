/* fuzz_robots.c - libFuzzer target for the robots.txt parser: the master
 * parses what any crawled host serves as /robots.txt (a worker fetches it).
 *
 * Any bytes must parse without a crash, a leak or a read past the buffer; the
 * answers must be sane: /robots.txt always allowed, a Crawl-delay within
 * DT_ROBOTS_DELAY_MAX_MS. The paths asked about are taken from the input's
 * own lines, so the matcher meets the patterns the parser kept.
 */
#include "dt_robots.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const char *body = (const char *) data;
    dt_robots_t *robots = dt_robots_parse (body, size, "dtask/1.0");
    if (!robots)
        return 0;
    if (!dt_robots_allowed (robots, "/robots.txt", 11))
        abort ();
    int delay = dt_robots_delay_ms (robots);
    if (delay < -1 || delay > DT_ROBOTS_DELAY_MAX_MS)
        abort ();
    (void) dt_robots_allowed (robots, "", 0);
    (void) dt_robots_allowed (robots, "/", 1);
    /* Each line's text after its first ':' as a path. */
    for (size_t off = 0; off < size;) {
        const char *nl = memchr (body + off, '\n', size - off);
        size_t len = nl ? (size_t) (nl - body - off) : size - off;
        const char *colon = memchr (body + off, ':', len);
        if (colon) {
            size_t at = (size_t) (colon + 1 - body);
            (void) dt_robots_allowed (robots, body + at, off + len - at);
        }
        off += len + 1;
    }
    dt_robots_stats_t stats;
    dt_robots_stats (robots, &stats);
    dt_robots_destroy (&robots);
    return 0;
}
