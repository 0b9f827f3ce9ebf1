/* fuzz_warc.c - libFuzzer target for reading a capture back (`dtask get`):
 * the CLI inflates the gzip members the master sends, finds the last
 * response record and removes chunk framing from its body.
 *
 * Any bytes must be read or refused with a reason, without a crash, a leak,
 * a read past the buffer or more than the inflated-bytes cap; a body never
 * grows past its record. dt_warc_dechunk is also run on the raw input.
 */
#include "dt_warc_read.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    dt_warc_response_t r;
    memset (&r, 0, sizeof r);
    char err[256];
    if (dt_warc_read_response (data, size, &r, err, sizeof err) == 0) {
        if (strnlen (r.uri, sizeof r.uri) == sizeof r.uri)
            abort ();
        if (strnlen (r.digest, sizeof r.digest) == sizeof r.digest)
            abort ();
        dt_warc_response_free (&r);
    }
    uint8_t *out = malloc (size ? size : 1);
    if (!out)
        return 0;
    if (dt_warc_dechunk (data, size, out) > size)
        abort ();
    free (out);
    return 0;
}
