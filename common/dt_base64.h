/* dt_base64.h - standard base64 (RFC 4648, with padding) for payloads and outputs that are not
 * UTF-8. */
#ifndef DT_BASE64_H
#define DT_BASE64_H

#include <stddef.h>

/* Bytes dt_base64_encode writes for `len` input bytes, NUL included. */
#define DT_BASE64_ENCODED_SIZE(len) (((len) + 2) / 3 * 4 + 1)

/* Encodes `len` bytes into `out` (DT_BASE64_ENCODED_SIZE(len) bytes),
 * NUL-terminated. Returns the length written, NUL excluded. */
size_t dt_base64_encode (const void *data, size_t len, char *out);

/* Decodes `len` characters of padded base64 into `out` (at least len / 4 * 3
 * bytes). Returns the bytes written, or -1 when the text is not base64 (bad
 * character, length not a multiple of 4, misplaced padding). */
long dt_base64_decode (const char *text, size_t len, void *out);

#endif
