/* escape.h - the one escaping policy for every text vigil writes from
 * hostile input: records as JSON, the alert stream (text and JSON), its own
 * logfmt diagnostics, and GET /alerts. Part of the base layer.
 *
 * The policy, the same for every syntax; only the notation differs:
 *   - printable ASCII passes, except the syntax's quote and the backslash,
 *     which get a backslash;
 *   - \n, \r, \t are written as such; every other C0 control and DEL is
 *     escaped (JSON \u00XX, text/logfmt \xXX);
 *   - bytes that are not valid UTF-8 (overlong, surrogates, cut short) are
 *     escaped one by one (JSON \u00XX, text/logfmt \xXX): never passed raw;
 *   - valid UTF-8 passes, except the code points a terminal or a viewer acts
 *     on although they are text (utf8_is_control): the C1 controls
 *     U+0080-U+009F (U+009B is a terminal's CSI), the line and paragraph
 *     separators U+2028/U+2029, the bidi marks, embeddings, overrides and
 *     isolates U+200E/U+200F, U+061C, U+202A-U+202E, U+2066-U+2069, and the
 *     zero-width characters U+200B-U+200D and U+FEFF. JSON writes them as
 *     the code point (\u202e, so a JSON reader gets the same text back);
 *     text and logfmt write their UTF-8 bytes as \xXX (\xe2\x80\xae).
 * So no escaped output can start a new line, move the cursor, reorder what
 * a viewer shows or hide characters. */
#ifndef VIGIL_ESCAPE_H
#define VIGIL_ESCAPE_H

#include <stddef.h>

#include "sidecar/buf.h"

/* Appends p[0..n) as a quoted JSON string. Returns -1 only on allocation
 * failure. */
int esc_json(struct buf *out, const char *p, size_t n);

/* Writes s (len bytes) into out (cap bytes, always NUL-terminated) for text
 * (quote 0: the alert stream, vigil-cat) or logfmt and quoted values
 * (quote '"' or '\''). Returns the length written; cuts at cap and ends
 * with "..." when cut. */
size_t esc_text(char *out, size_t cap, const char *s, size_t len, char quote);

#endif
