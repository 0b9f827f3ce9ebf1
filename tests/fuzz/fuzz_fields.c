/* fuzz_fields.c - libFuzzer target for the small parsers of text that comes
 * from the network: a submitted URL (dt_url_check), per-job HTTP headers and
 * User-Agent (dt_httpcheck), a response's Retry-After (dt_fetch_retry_after)
 * and X-Robots-Tag (dt_links_robots_header) values.
 *
 * Each gets the input as it is (not NUL-terminated) or, where the API takes a
 * C string, a NUL-terminated copy. No crash, leak or read past the bytes; a
 * Retry-After never above DT_LIMIT_RETRY_AFTER_MAX_MS.
 */
#include "dt_fetch.h"
#include "dt_httpcheck.h"
#include "dt_limits.h"
#include "dt_links.h"
#include "dt_url.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const char *s = (const char *) data;
    char why[256];
    (void) dt_url_check (s, size, why, sizeof why);
    (void) dt_httpcheck_header (s, size, why, sizeof why);
    (void) dt_httpcheck_user_agent (s, size, why, sizeof why);
    (void) dt_httpcheck_headers (s, size, why, sizeof why);
    /* A fixed clock: an HTTP date in the input is compared with it. */
    if (dt_fetch_retry_after (s, size, (time_t) 1800000000) > DT_LIMIT_RETRY_AFTER_MAX_MS)
        abort ();
    char *z = malloc (size + 1);
    if (!z)
        return 0;
    memcpy (z, data, size);
    z[size] = '\0';
    (void) dt_links_robots_header (z, "dtask");
    (void) dt_links_is_html (z);
    free (z);
    return 0;
}
