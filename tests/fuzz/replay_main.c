/* replay_main.c - runs a fuzz target's function over files, without libFuzzer:
 * the seed corpus and every crash ever found are replayed by ctest on each
 * build (plain, and under ASan+UBSan with `make asan`).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int main (int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen (argv[i], "rb");
        if (!f) {
            fprintf (stderr, "replay: cannot open %s\n", argv[i]);
            return 1;
        }
        uint8_t *buf = NULL;
        size_t len = 0, cap = 0, n;
        do {
            if (len == cap) {
                cap = cap ? cap * 2 : 65536;
                uint8_t *grown = realloc (buf, cap);
                if (!grown) {
                    fprintf (stderr, "replay: out of memory\n");
                    return 1;
                }
                buf = grown;
            }
            n = fread (buf + len, 1, cap - len, f);
            len += n;
        } while (n > 0);
        fclose (f);
        LLVMFuzzerTestOneInput (buf, len);
        free (buf);
    }
    printf ("replay: %d inputs, no crash\n", argc - 1);
    return 0;
}
