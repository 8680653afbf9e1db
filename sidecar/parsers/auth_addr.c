/* auth_addr.c - address checks for the auth parser (see auth_addr.h). */
#include "sidecar/parsers/auth_addr.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

bool auth_addr_ipv4(struct span s)
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part && (i >= s.len || s.p[i++] != '.'))
            return false;
        unsigned v = 0, n = 0;
        while (i < s.len && s.p[i] >= '0' && s.p[i] <= '9' && n < 4)
            v = v * 10 + (unsigned)(s.p[i++] - '0'), n++;
        if (n == 0 || n > 3 || v > 255)
            return false;
    }
    return i == s.len;
}

bool auth_addr_ipv6(struct span s)
{
    char buf[INET6_ADDRSTRLEN + 1];
    struct in6_addr a;
    if (s.len < 2)
        return false;
    const char *pct = memchr(s.p, '%', s.len);
    size_t n = pct ? (size_t)(pct - s.p) : s.len;
    if (n < 2 || n >= sizeof(buf) || !memchr(s.p, ':', n))
        return false;
    if (pct) {
        size_t z = s.len - n - 1;
        if (z == 0 || z > 32)
            return false;
        for (size_t i = n + 1; i < s.len; i++) {
            char c = s.p[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-'))
                return false;
        }
    }
    memcpy(buf, s.p, n);
    buf[n] = '\0';
    return inet_pton(AF_INET6, buf, &a) == 1;
}

bool auth_addr_hostname(struct span s)
{
    if (s.len == 0 || s.len > 253)
        return false;
    size_t label = 0;
    bool alpha = false;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if (c == '.') {
            if (label == 0 || s.p[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!(letter || (c >= '0' && c <= '9') || c == '-'))
            return false;
        if (c == '-' && label == 0)
            return false;
        alpha |= letter || c == '-';
        if (++label > 63)
            return false;
    }
    return label > 0 && s.p[s.len - 1] != '-' && alpha;
}

struct span auth_addr_unmap(struct span s)
{
    static const char pre[] = "::ffff:";
    size_t n = sizeof(pre) - 1;
    if (s.len > n && s.p[0] == ':' && strncasecmp(s.p, pre, n) == 0 && auth_addr_ipv4(span_make(s.p + n, s.len - n)))
        return span_make(s.p + n, s.len - n);
    return s;
}
