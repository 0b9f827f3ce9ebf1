/* fuzz_msg.c - libFuzzer target for the wire decoder, the only parser of network input.
 *
 * Any input must decode or be refused without a crash, a leak or a read past
 * the frame; a message that decodes must encode again and decode to the same
 * bytes (so no field is silently lost or changed by the codec).
 */
#include "dt_msg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    dt_msg_t m;
    dt_msg_init (&m);
    if (dt_msg_decode (&m, data, size) != 0)
        return 0;
    void *once;
    size_t once_size;
    if (dt_msg_encode (&m, &once, &once_size) != 0)
        abort ();
    dt_msg_t back;
    dt_msg_init (&back);
    if (dt_msg_decode (&back, once, once_size) != 0 || back.type != m.type || back.req != m.req)
        abort ();
    void *twice;
    size_t twice_size;
    if (dt_msg_encode (&back, &twice, &twice_size) != 0 || twice_size != once_size ||
        memcmp (once, twice, once_size) != 0)
        abort ();
    free (twice);
    dt_msg_reset (&back);
    free (once);
    dt_msg_reset (&m);
    return 0;
}
