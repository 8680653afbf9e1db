/* escape.c - the escaping policy of escape.h, for JSON and for text. */
#include "sidecar/escape.h"

#include <stdint.h>
#include <string.h>

#include "sidecar/utf8.h"

static const char hex[] = "0123456789abcdef";

/* Length of the valid UTF-8 sequence at s (s[0] >= 0x80) when it may pass
 * through raw, else 0; *cp is the code point when the sequence is valid. */
static size_t safe_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
    *cp = 0;
    size_t len = utf8_decode(s, n, cp);
    return len && !utf8_is_control(*cp) ? len : 0;
}

int esc_json(struct buf *out, const char *p, size_t n)
{
    /* worst case: every byte becomes \u00XX */
    if (n > (SIZE_MAX - 2) / 6 || buf_reserve(out, n * 6 + 2) < 0)
        return -1;
    const unsigned char *s = (const unsigned char *)p;
    unsigned char *o = out->p + out->len;
    *o++ = '"';
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            *o++ = (unsigned char)c;
            i++;
            continue;
        }
        uint32_t cp = c;
        size_t adv = 1;
        if (c >= 0x80) {
            uint32_t u;
            size_t k = safe_seq(s + i, n - i, &u);
            if (k) {
                memcpy(o, s + i, k);
                o += k;
                i += k;
                continue;
            }
            if (u) {           /* valid but unsafe: the code point (BMP), at least 2 bytes */
                cp = u;
                adv = utf8_decode(s + i, n - i, &u);
            }
        }
        *o++ = '\\';
        switch (cp) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        default:
            *o++ = 'u';
            *o++ = (unsigned char)hex[cp >> 12 & 15];
            *o++ = (unsigned char)hex[cp >> 8 & 15];
            *o++ = (unsigned char)hex[cp >> 4 & 15];
            *o++ = (unsigned char)hex[cp & 15];
        }
        i += adv;
    }
    *o++ = '"';
    out->len = (size_t)(o - out->p);
    return 0;
}

size_t esc_text(char *out, size_t cap, const char *s, size_t len, char quote)
{
    size_t o = 0;
    if (cap == 0)
        return 0;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        char tmp[8];
        size_t tl = 0, adv = 1;
        unsigned char c = u[i];
        if (c == '\\' || (quote && c == (unsigned char)quote)) {
            tmp[0] = '\\'; tmp[1] = (char)c; tl = 2;
        } else if (c == '\n') {
            tmp[0] = '\\'; tmp[1] = 'n'; tl = 2;
        } else if (c == '\t') {
            tmp[0] = '\\'; tmp[1] = 't'; tl = 2;
        } else if (c == '\r') {
            tmp[0] = '\\'; tmp[1] = 'r'; tl = 2;
        } else if (c < 0x20 || c == 0x7f) {
            tmp[0] = '\\'; tmp[1] = 'x'; tmp[2] = hex[c >> 4]; tmp[3] = hex[c & 15]; tl = 4;
        } else if (c < 0x80) {
            tmp[0] = (char)c; tl = 1;
        } else {
            uint32_t cp;
            size_t ul = safe_seq(u + i, len - i, &cp);
            if (ul == 0) {
                /* invalid, or an unsafe code point: its bytes one by one */
                tmp[0] = '\\'; tmp[1] = 'x'; tmp[2] = hex[c >> 4]; tmp[3] = hex[c & 15]; tl = 4;
            } else {
                memcpy(tmp, u + i, ul);
                tl = ul;
                adv = ul;
            }
        }
        if (o + tl + 4 > cap) {   /* room for "..." and NUL */
            if (cap >= 4) {
                memcpy(out + (o > cap - 4 ? cap - 4 : o), "...", 3);
                o = (o > cap - 4 ? cap - 4 : o) + 3;
            }
            out[o] = 0;
            return o;
        }
        memcpy(out + o, tmp, tl);
        o += tl;
        i += adv;
    }
    out[o] = 0;
    return o;
}
