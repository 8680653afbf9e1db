/* sigma_match.c - one Sigma value with its modifiers, compiled: wildcard
 * patterns (contains/startswith/endswith are wildcards around the value,
 * base64/base64offset/windash give several variants), regular expressions
 * (PCRE2, with match and depth limits so a hostile line cannot make one run
 * for long), CIDR ranges, numeric comparisons, exists and null. Matching is
 * case-insensitive unless `cased`: the patterns are lowercased once and the
 * evaluator lowercases each field value once. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/sigma.h"
#include "detectors/sigma_re.h"

#define RE_MATCH_LIMIT 100000u
#define RE_DEPTH_LIMIT 2000u
#define VARIANTS_MAX   16
#define VALUE_MAX      4096

struct modname {
    const char *name;
    size_t off;                  /* offsetof the bool in struct sigma_mods */
};

static const struct modname modnames[] = {
    { "contains", offsetof(struct sigma_mods, contains) },
    { "startswith", offsetof(struct sigma_mods, startswith) },
    { "endswith", offsetof(struct sigma_mods, endswith) },
    { "all", offsetof(struct sigma_mods, all) },
    { "re", offsetof(struct sigma_mods, re) },
    { "i", offsetof(struct sigma_mods, re_i) },
    { "m", offsetof(struct sigma_mods, re_m) },
    { "s", offsetof(struct sigma_mods, re_s) },
    { "cidr", offsetof(struct sigma_mods, cidr) },
    { "base64", offsetof(struct sigma_mods, base64) },
    { "base64offset", offsetof(struct sigma_mods, base64offset) },
    { "windash", offsetof(struct sigma_mods, windash) },
    { "exists", offsetof(struct sigma_mods, exists) },
    { "cased", offsetof(struct sigma_mods, cased) },
};

static const char *const numops[] = { "gt", "gte", "lt", "lte" };

int sigma_mods_parse(const char *spec, size_t len, struct sigma_mods *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof(*m));
    m->numop = -1;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && spec[j] != '|')
            j++;
        size_t n = j - i;
        bool known = false;
        for (size_t k = 0; k < sizeof(modnames) / sizeof(modnames[0]) && !known; k++)
            if (strlen(modnames[k].name) == n && memcmp(modnames[k].name, spec + i, n) == 0) {
                *(bool *)((char *)m + modnames[k].off) = true;
                known = true;
            }
        for (int k = 0; k < 4 && !known; k++)
            if (strlen(numops[k]) == n && memcmp(numops[k], spec + i, n) == 0) {
                m->numop = k;
                known = true;
            }
        /* flags i/m/s only mean something after re */
        if (!known || ((n == 1) && !m->re)) {
            snprintf(err, errlen, "unsupported modifier '%.*s'", (int)(n < 40 ? n : 40), spec + i);
            return -1;
        }
        i = j + 1;
    }
    return 0;
}

/* ---- wildcards ---- */

bool sigma_glob(const int16_t *g, uint32_t n, const char *t, size_t len)
{
    size_t pi = 0, ti = 0, mark = 0;
    size_t star = (size_t)-1;
    while (ti < len) {
        if (pi < n && (g[pi] == SIGMA_GLOB_ONE || g[pi] == (int16_t)(uint8_t)t[ti])) {
            pi++;
            ti++;
        } else if (pi < n && g[pi] == SIGMA_GLOB_STAR) {
            star = pi++;
            mark = ti;
        } else if (star != (size_t)-1) {
            pi = star + 1;
            ti = ++mark;
        } else {
            return false;
        }
    }
    while (pi < n && g[pi] == SIGMA_GLOB_STAR)
        pi++;
    return pi == n;
}

static void *grow_pat(struct sigma_set *s)
{
    struct sigma_pat *p = sigma_grow(s->pat, &s->cappat, s->npat + 1, sizeof(*s->pat));
    if (!p)
        return NULL;
    s->pat = p;
    memset(&p[s->npat], 0, sizeof(*p));
    p[s->npat].lit_next = -1;
    return &p[s->npat];
}

/* Builds a wildcard pattern from v: `wild` says whether * ? \ are Sigma
 * syntax (not in base64 output). */
static int glob_add(struct sigma_set *s, uint8_t field, const struct sigma_mods *m, const char *v,
                    size_t len, bool wild)
{
    struct sigma_pat *p = grow_pat(s);
    if (!p)
        return -1;
    int16_t *g = malloc((len + 2) * sizeof(*g));
    if (!g)
        return -1;
    uint32_t n = 0;
    if (m->contains || m->endswith)
        g[n++] = SIGMA_GLOB_STAR;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (wild && c == '\\' && i + 1 < len && (v[i + 1] == '*' || v[i + 1] == '?' || v[i + 1] == '\\')) {
            c = (unsigned char)v[++i];
        } else if (wild && c == '*') {
            if (!n || g[n - 1] != SIGMA_GLOB_STAR)
                g[n++] = SIGMA_GLOB_STAR;
            continue;
        } else if (wild && c == '?') {
            g[n++] = SIGMA_GLOB_ONE;
            continue;
        }
        g[n++] = (int16_t)(m->cased ? c : (unsigned char)tolower(c));
    }
    if ((m->contains || m->startswith) && (!n || g[n - 1] != SIGMA_GLOB_STAR))
        g[n++] = SIGMA_GLOB_STAR;
    p->kind = SM_GLOB;
    p->field = field;
    p->cased = m->cased;
    p->glob = g;
    p->glob_len = n;
    /* the gate: the longest run of fixed bytes, lowercased */
    uint32_t best = 0, best_at = 0;
    for (uint32_t i = 0; i < n;) {
        uint32_t j = i;
        while (j < n && g[j] >= 0)
            j++;
        if (j - i > best) {
            best = j - i;
            best_at = i;
        }
        i = j + 1;
    }
    if (best) {
        p->lit = malloc(best + 1);
        if (!p->lit) {
            free(g);
            return -1;
        }
        for (uint32_t i = 0; i < best; i++)
            p->lit[i] = (char)tolower((unsigned char)g[best_at + i]);
        p->lit[best] = '\0';
        p->lit_len = best;
    }
    s->npat++;
    return 0;
}

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t b64(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[o++] = b64chars[v >> 18 & 63];
        out[o++] = b64chars[v >> 12 & 63];
        out[o++] = i + 1 < n ? b64chars[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? b64chars[v & 63] : '=';
    }
    out[o] = '\0';
    return o;
}

/* windash: a flag's leading '-' or '/' may be any of the dashes. */
static const char *const dashes[] = { "-", "/", "\xe2\x80\x93", "\xe2\x80\x94", "\xe2\x80\x95" };

static int string_add(struct sigma_set *s, uint8_t field, const struct sigma_mods *m, const char *v,
                      size_t len)
{
    if (m->base64 || m->base64offset) {
        char *enc = malloc((len + 3) / 3 * 4 + 8);
        unsigned char *pad = malloc(len + 3);
        if (!enc || !pad) {
            free(enc);
            free(pad);
            return -1;
        }
        int rc = 0;
        if (m->base64) {
            size_t e = b64((const unsigned char *)v, len, enc);
            while (e && enc[e - 1] == '=')
                e--;
            rc = glob_add(s, field, m, enc, e, false);
        } else {
            /* the value at each of the three offsets of a longer encoded text */
            static const size_t cut_start[3] = { 0, 2, 3 }, cut_end[3] = { 0, 3, 2 };
            for (size_t k = 0; k < 3 && rc == 0; k++) {
                memset(pad, ' ', k);
                memcpy(pad + k, v, len);
                size_t e = b64(pad, len + k, enc);
                size_t ce = cut_end[(len + k) % 3];
                if (e < cut_start[k] + ce)
                    continue;
                rc = glob_add(s, field, m, enc + cut_start[k], e - cut_start[k] - ce, false);
            }
        }
        free(enc);
        free(pad);
        return rc < 0 ? -1 : 0;
    }
    if (!m->windash)
        return glob_add(s, field, m, v, len, true);
    char *buf = malloc(len * 3 + 1);
    if (!buf)
        return -1;
    for (size_t d = 0; d < sizeof(dashes) / sizeof(dashes[0]); d++) {
        size_t o = 0;
        for (size_t i = 0; i < len; i++) {
            bool flag = (v[i] == '-' || v[i] == '/') && (i == 0 || v[i - 1] == ' ');
            if (flag) {
                size_t dl = strlen(dashes[d]);
                memcpy(buf + o, dashes[d], dl);
                o += dl;
            } else {
                buf[o++] = v[i];
            }
        }
        if (glob_add(s, field, m, buf, o, true) < 0) {
            free(buf);
            return -1;
        }
    }
    free(buf);
    return 0;
}

static int parse_cidr(const char *v, size_t len, struct sigma_pat *p)
{
    char a[64];
    if (len >= sizeof(a))
        return -1;
    memcpy(a, v, len);
    a[len] = '\0';
    char *slash = strchr(a, '/');
    long bits = -1;
    if (slash) {
        *slash = '\0';
        char *end;
        bits = strtol(slash + 1, &end, 10);
        if (*end || bits < 0)
            return -1;
    }
    if (inet_pton(AF_INET, a, p->cidr) == 1) {
        p->cidr_fam = 4;
        if (bits > 32)
            return -1;
        p->cidr_bits = (uint8_t)(bits < 0 ? 32 : bits);
    } else if (inet_pton(AF_INET6, a, p->cidr) == 1) {
        p->cidr_fam = 6;
        if (bits > 128)
            return -1;
        p->cidr_bits = (uint8_t)(bits < 0 ? 128 : bits);
    } else {
        return -1;
    }
    return 0;
}

int sigma_pat_compile(struct sigma_set *s, uint8_t field, const struct sigma_mods *m,
                      const char *val, size_t len, bool is_null, char *err, size_t errlen)
{
    size_t before = s->npat;
    if (len > VALUE_MAX) {
        snprintf(err, errlen, "value longer than %d bytes", VALUE_MAX);
        return -1;
    }
    if (m->exists || is_null || m->numop >= 0 || m->cidr || m->re) {
        struct sigma_pat *p = grow_pat(s);
        if (!p)
            goto nomem;
        p->field = field;
        if (m->exists) {
            p->kind = SM_EXISTS;
            if (len == 4 && strncasecmp(val, "true", 4) == 0)
                p->want = true;
            else if (!(len == 5 && strncasecmp(val, "false", 5) == 0)) {
                snprintf(err, errlen, "exists wants true or false");
                return -1;
            }
        } else if (is_null) {
            p->kind = SM_NULL;
        } else if (m->numop >= 0) {
            char tmp[64], *end;
            if (len >= sizeof(tmp)) {
                snprintf(err, errlen, "not a number");
                return -1;
            }
            memcpy(tmp, val, len);
            tmp[len] = '\0';
            p->kind = SM_NUM;
            p->numop = (uint8_t)m->numop;
            p->num = strtod(tmp, &end);
            if (end == tmp || *end) {
                snprintf(err, errlen, "not a number: '%.40s'", tmp);
                return -1;
            }
        } else if (m->cidr) {
            p->kind = SM_CIDR;
            if (parse_cidr(val, len, p) < 0) {
                snprintf(err, errlen, "not a CIDR range: '%.*s'", (int)(len < 60 ? len : 60), val);
                return -1;
            }
        } else {
            int ec;
            PCRE2_SIZE eo;
            /* log lines may hold invalid UTF-8: it never matches, never errs */
            uint32_t opt = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
            if (m->re_i)
                opt |= PCRE2_CASELESS;
            if (m->re_m)
                opt |= PCRE2_MULTILINE;
            if (m->re_s)
                opt |= PCRE2_DOTALL;
            p->kind = SM_RE;
            char why[200];
            const struct sigma_re_lib *re = sigma_re_lib(why, sizeof(why));
            if (!re) {
                snprintf(err, errlen, "regex: %s", why);
                return -1;
            }
            p->re = re->compile((PCRE2_SPTR)val, len, opt, &ec, &eo, NULL);
            if (!p->re) {
                PCRE2_UCHAR msg[120];
                re->get_error_message(ec, msg, sizeof(msg));
                snprintf(err, errlen, "regex at %zu: %s", (size_t)eo, (const char *)msg);
                return -1;
            }
            re->jit_compile(p->re, PCRE2_JIT_COMPLETE);
        }
        s->npat++;
        return 1;
    }
    if (string_add(s, field, m, val, len) < 0)
        goto nomem;
    for (size_t i = before + 1; i < s->npat; i++)
        s->pat[i].cont = true;
    return (int)(s->npat - before);
nomem:
    snprintf(err, errlen, "out of memory");
    return -1;
}

void sigma_pat_free(struct sigma_pat *p)
{
    free(p->glob);
    free(p->lit);
    if (p->re)
        sigma_re_loaded()->code_free(p->re);    /* p->re: the library is open */
    memset(p, 0, sizeof(*p));
}

/* Made at the first regex match: a set without regexes never calls PCRE2. */
struct re_scratch {
    pcre2_match_data *md;
    pcre2_match_context *mc;
};

void *sigma_re_scratch_new(void)
{
    return calloc(1, sizeof(struct re_scratch));
}

static bool re_scratch_ready(struct re_scratch *r, const struct sigma_re_lib *re)
{
    if (r->md && r->mc)
        return true;
    if (!r->md)
        r->md = re->match_data_create(32, NULL);
    if (!r->mc && (r->mc = re->match_context_create(NULL)) != NULL) {
        re->set_match_limit(r->mc, RE_MATCH_LIMIT);
        re->set_depth_limit(r->mc, RE_DEPTH_LIMIT);
    }
    return r->md && r->mc;
}

void sigma_re_scratch_free(void *m)
{
    struct re_scratch *r = m;
    if (!r)
        return;
    const struct sigma_re_lib *re = sigma_re_loaded();
    if (re) {
        re->match_data_free(r->md);
        re->match_context_free(r->mc);
    }
    free(r);
}

static bool ip_in(const struct sigma_pat *p, struct span v)
{
    char a[64];
    uint8_t ip[16];
    if (v.len >= sizeof(a))
        return false;
    memcpy(a, v.p, v.len);
    a[v.len] = '\0';
    if (inet_pton(p->cidr_fam == 4 ? AF_INET : AF_INET6, a, ip) != 1)
        return false;
    unsigned bits = p->cidr_bits, full = bits / 8, rest = bits % 8;
    if (memcmp(ip, p->cidr, full) != 0)
        return false;
    if (!rest)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (ip[full] & mask) == (p->cidr[full] & mask);
}

bool sigma_pat_match(const struct sigma_pat *p, struct span v, struct span lower, void *re_match)
{
    switch (p->kind) {
    case SM_GLOB:
        return p->cased ? sigma_glob(p->glob, p->glob_len, v.p, v.len)
                        : sigma_glob(p->glob, p->glob_len, lower.p, lower.len);
    case SM_RE: {
        struct re_scratch *r = re_match;
        const struct sigma_re_lib *re = sigma_re_loaded();     /* p->re: it is open */
        if (!r || !re || !re_scratch_ready(r, re))
            return false;
        /* a limit hit or invalid UTF-8 is no match (never a long run) */
        return re->match(p->re, (PCRE2_SPTR)(v.p ? v.p : ""), v.len, 0, 0, r->md, r->mc) >= 0;
    }
    case SM_CIDR:
        return ip_in(p, v);
    case SM_NUM: {
        char tmp[64], *end;
        if (!v.len || v.len >= sizeof(tmp))
            return false;
        memcpy(tmp, v.p, v.len);
        tmp[v.len] = '\0';
        double x = strtod(tmp, &end);
        if (end == tmp || *end)
            return false;
        switch (p->numop) {
        case SN_GT: return x > p->num;
        case SN_GTE: return x >= p->num;
        case SN_LT: return x < p->num;
        default: return x <= p->num;
        }
    }
    default:
        return false;      /* SM_EXISTS / SM_NULL: judged on the field, not a value */
    }
}
