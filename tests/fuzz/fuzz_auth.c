/* fuzz_auth.c - the auth parser on arbitrary bytes, one line per '\n', with
 * one parser state across the lines (as for one file). Asserts that a
 * src_ip, when set, is an IPv4 or IPv6 address or a DNS host name (the only
 * non-address PAM may give): never a piece of other text. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sidecar/parsers/parser.h"

extern const struct parser_plugin parser_auth;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool ipv4(struct span s)
{
    int parts = 0;
    size_t i = 0;
    while (parts < 4) {
        size_t d = i;
        unsigned v = 0;
        while (i < s.len && i - d < 3 && s.p[i] >= '0' && s.p[i] <= '9')
            v = v * 10 + (unsigned)(s.p[i++] - '0');
        if (i == d || v > 255)
            return false;
        if (++parts < 4 && (i >= s.len || s.p[i++] != '.'))
            return false;
    }
    return i == s.len;
}

static bool ipv6(struct span s)
{
    char buf[64];
    unsigned char out[16];
    const char *pct = memchr(s.p, '%', s.len);
    size_t n = pct ? (size_t)(pct - s.p) : s.len;
    if (n >= sizeof(buf))
        return false;
    memcpy(buf, s.p, n);
    buf[n] = '\0';
    return inet_pton(AF_INET6, buf, out) == 1;
}

static bool hostname(struct span s)
{
    if (s.len == 0 || s.len > 253)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_'))
            return false;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char arena[1 << 16];
    static struct record r;
    static char state[1 << 14];
    struct parser p = { .plugin = &parser_auth, .max_line_bytes = 1 << 20 };
    if (parser_auth.state_size > sizeof(state))
        abort();
    memset(state, 0, parser_auth.state_size);
    const char *s = (const char *)data, *end = s + size;
    while (s <= end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
        record_init(&r, arena, sizeof(arena));
        r.raw = span_make(s, n);
        r.read_ts = r.ts = 1795687201LL * 1000000000LL;
        parser_auth.parse(&p, state, &r, span_make(s, n));
        struct span src = record_str(&r, RK_SRC_IP);
        if (src.len && !ipv4(src) && !ipv6(src) && !hostname(src))
            abort();
        if (!nl)
            break;
        s = nl + 1;
    }
    return 0;
}
