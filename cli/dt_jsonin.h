/* dt_jsonin.h - `dtask submit --jsonl`: payloads given as JSON lines, for payloads with newlines or
 * binary data. */
#ifndef DT_JSONIN_H
#define DT_JSONIN_H

#include "dt_urls.h"

/* Reads `path` ("-": standard input), one JSON object a line (blank lines
 * skipped), each {"payload": TEXT} or {"payload_base64": BASE64}, and adds
 * every payload to `list`, in order. The payloads live in *blob_p, which
 * the caller frees after the list. Returns 0, or -1 after saying on stderr
 * which line is bad and why (nothing is added then). */
int dt_jsonin_load (const char *path, dt_urls_t *list, char **blob_p);

#endif
