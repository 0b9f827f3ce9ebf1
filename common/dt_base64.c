/* dt_base64.c - standard base64 (RFC 4648, with padding) for payloads and outputs that are not
 * UTF-8. */
#include "dt_base64.h"

#include <stdint.h>

static const char s_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t dt_base64_encode (const void *data, size_t len, char *out)
{
    const unsigned char *in = data;
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8 | in[i + 2];
        out[o++] = s_alphabet[v >> 18 & 63];
        out[o++] = s_alphabet[v >> 12 & 63];
        out[o++] = s_alphabet[v >> 6 & 63];
        out[o++] = s_alphabet[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t) in[i] << 16 | (i + 1 < len ? (uint32_t) in[i + 1] << 8 : 0);
        out[o++] = s_alphabet[v >> 18 & 63];
        out[o++] = s_alphabet[v >> 12 & 63];
        out[o++] = i + 1 < len ? s_alphabet[v >> 6 & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

/* The value of a base64 character, or -1. */
static int s_value (unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

long dt_base64_decode (const char *text, size_t len, void *out)
{
    unsigned char *o = out;
    size_t n = 0;
    if (len % 4 != 0)
        return -1;
    for (size_t i = 0; i < len; i += 4) {
        int last = i + 4 == len;
        int pad = 0;
        if (last && text[i + 3] == '=')
            pad = text[i + 2] == '=' ? 2 : 1;
        int v[4] = {0, 0, 0, 0};
        for (int k = 0; k < 4 - pad; k++)
            if ((v[k] = s_value ((unsigned char) text[i + k])) < 0)
                return -1;
        uint32_t w =
            (uint32_t) v[0] << 18 | (uint32_t) v[1] << 12 | (uint32_t) v[2] << 6 | (uint32_t) v[3];
        o[n++] = (unsigned char) (w >> 16);
        if (pad < 2)
            o[n++] = (unsigned char) (w >> 8);
        if (pad < 1)
            o[n++] = (unsigned char) w;
    }
    return (long) n;
}
