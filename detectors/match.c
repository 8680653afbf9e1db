/* match.c - globs, look-alike domains and secret masking for the detectors.
 * Masking works on the raw command line, not on parsed words, so the evidence
 * an engineer reads is the line as typed with only the secrets replaced: the
 * scanner collects byte ranges to hide, then copies the line around them. */
#include "detectors/match.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

static int lc(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static bool glob_run(const char *pat, size_t plen, struct span s, bool icase)
{
    size_t p = 0, i = 0, star_p = (size_t)-1, star_i = 0;
    while (i < s.len) {
        int a = p < plen ? (unsigned char)pat[p] : 0, b = (unsigned char)s.p[i];
        if (icase) {
            a = lc(a);
            b = lc(b);
        }
        if (p < plen && pat[p] != '*' && (pat[p] == '?' || a == b)) {
            p++;
            i++;
        } else if (p < plen && pat[p] == '*') {
            star_p = p++;
            star_i = i;
        } else if (star_p != (size_t)-1) {
            p = star_p + 1;
            i = ++star_i;
        } else {
            return false;
        }
    }
    while (p < plen && pat[p] == '*')
        p++;
    return p == plen;
}

bool match_glob(const char *pat, size_t plen, struct span s)
{
    if (plen && pat[0] == '~')
        return glob_run(pat + 1, plen - 1, s, true);
    return glob_run(pat, plen, s, false);
}

/* One pass over the alternatives, no strchr/strlen: most patterns are
 * literals ("curl", "-l") and most words fail on their length or first byte,
 * so a literal costs a compare or two and only real globs reach glob_run. */
bool match_glob_any(const char *alts, struct span s)
{
    if (!alts)
        return true;
    const char *p = alts;
    for (;;) {
        const char *e = p;
        bool wild = *p == '~';
        while (*e && *e != '|') {
            wild |= *e == '*' || *e == '?';
            e++;
        }
        size_t n = (size_t)(e - p);
        if (!wild) {
            if (n == s.len && (n == 0 || (p[0] == s.p[0] && memcmp(p, s.p, n) == 0)))
                return true;
        } else if (match_glob(p, n, s)) {
            return true;
        }
        if (!*e)
            return false;
        p = e + 1;
    }
}

enum { ALT_LIT, ALT_GLOB, ALT_IGLOB };

int match_compile(const char *alts, struct glob_alt *out, size_t cap)
{
    size_t n = 0;
    if (!alts)
        return 0;
    for (const char *p = alts;;) {
        const char *e = p;
        while (*e && *e != '|')
            e++;
        if (n >= cap || e - p > UINT16_MAX)
            return -1;
        struct glob_alt *a = &out[n++];
        a->p = p;
        a->len = (uint16_t)(e - p);
        bool icase = a->len && p[0] == '~';
        const char *b = p + icase;
        size_t bn = (size_t)(e - b);
        bool wild = false;
        unsigned min = 0;
        for (size_t k = 0; k < bn; k++) {
            wild |= b[k] == '*' || b[k] == '?';
            min += b[k] != '*';
        }
        a->kind = (uint8_t)(icase ? ALT_IGLOB : wild ? ALT_GLOB : ALT_LIT);
        a->min = (uint16_t)min;
        a->first = bn && b[0] != '*' && b[0] != '?' ? (uint8_t)(icase ? lc((unsigned char)b[0]) : b[0]) : 0;
        a->last = bn && b[bn - 1] != '*' && b[bn - 1] != '?' ?
                  (uint8_t)(icase ? lc((unsigned char)b[bn - 1]) : b[bn - 1]) : 0;
        if (!*e)
            return (int)n;
        p = e + 1;
    }
}

static bool alt_match(const struct glob_alt *a, struct span w)
{
    if (a->kind == ALT_LIT)
        return a->len == w.len && (!w.len || (a->p[0] == w.p[0] && memcmp(a->p, w.p, w.len) == 0));
    if (w.len < a->min)
        return false;
    if (a->kind == ALT_GLOB) {
        if ((a->first && (unsigned char)w.p[0] != a->first) ||
            (a->last && (unsigned char)w.p[w.len - 1] != a->last))
            return false;
    } else if ((a->first && lc((unsigned char)w.p[0]) != a->first) ||
               (a->last && lc((unsigned char)w.p[w.len - 1]) != a->last)) {
        return false;
    }
    return match_glob(a->p, a->len, w);
}

bool match_alts(const struct glob_alt *alt, size_t n, struct span s)
{
    for (size_t i = 0; i < n; i++)
        if (alt_match(&alt[i], s))
            return true;
    return false;
}

/* The compiled constants: an open-addressed table by address, alternatives
 * in one pool. Full, it leaves new constants to match_glob_any. */
#define CONST_SETS 256
#define CONST_ALTS 4096
static struct {
    struct { const char *alts; uint16_t at, n; } set[CONST_SETS];
    struct glob_alt alt[CONST_ALTS];
    size_t used;
} consts;

bool match_glob_const(const char *alts, struct span s)
{
    if (!alts)
        return true;
    uintptr_t h = (uintptr_t)alts * 0x9e3779b97f4a7c15ull;
    for (unsigned k = 0; k < CONST_SETS; k++) {
        unsigned i = (unsigned)((h >> 40) + k) & (CONST_SETS - 1);
        if (consts.set[i].alts == alts)
            return match_alts(consts.alt + consts.set[i].at, consts.set[i].n, s);
        if (!consts.set[i].alts) {
            int n = match_compile(alts, consts.alt + consts.used, CONST_ALTS - consts.used);
            if (n < 0 || k >= CONST_SETS / 2)
                break;
            consts.set[i].alts = alts;
            consts.set[i].at = (uint16_t)consts.used;
            consts.set[i].n = (uint16_t)n;
            consts.used += (size_t)n;
            return match_alts(consts.alt + consts.set[i].at, (size_t)n, s);
        }
    }
    return match_glob_any(alts, s);
}

bool match_ieq(struct span s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lc((unsigned char)s.p[i]) != lc((unsigned char)lit[i]))
            return false;
    return true;
}

bool match_contains(struct span s, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0)
        return true;
    for (size_t i = 0; i + n <= s.len; i++) {
        size_t k = 0;
        while (k < n && lc((unsigned char)s.p[i + k]) == lc((unsigned char)needle[k]))
            k++;
        if (k == n)
            return true;
    }
    return false;
}

unsigned match_edit_distance(struct span a, struct span b, unsigned max)
{
    enum { M = 64 };
    size_t n = a.len < M - 1 ? a.len : M - 1, m = b.len < M - 1 ? b.len : M - 1;
    if ((n > m ? n - m : m - n) > max)
        return max + 1;
    unsigned d[3][M];   /* rows i-2, i-1, i (rolling) */
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (unsigned)j;
    unsigned *pp = d[2], *prev = d[0], *cur = d[1];
    for (size_t i = 1; i <= n; i++) {
        cur[0] = (unsigned)i;
        unsigned rowmin = cur[0];
        for (size_t j = 1; j <= m; j++) {
            unsigned cost = lc((unsigned char)a.p[i - 1]) != lc((unsigned char)b.p[j - 1]);
            unsigned v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            if (prev[j - 1] + cost < v)
                v = prev[j - 1] + cost;
            if (i > 1 && j > 1 && lc((unsigned char)a.p[i - 1]) == lc((unsigned char)b.p[j - 2]) &&
                lc((unsigned char)a.p[i - 2]) == lc((unsigned char)b.p[j - 1]) && pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            cur[j] = v;
            if (v < rowmin)
                rowmin = v;
        }
        if (rowmin > max)
            return max + 1;
        unsigned *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[m];
}

size_t match_skeleton(struct span s, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < s.len && o + 1 < cap; i++) {
        int c = lc((unsigned char)s.p[i]);
        int n = i + 1 < s.len ? lc((unsigned char)s.p[i + 1]) : 0;
        if (c == 'r' && n == 'n') {
            c = 'm';
            i++;
        } else if (c == 'v' && n == 'v') {
            c = 'w';
            i++;
        } else if (c == '0') {
            c = 'o';
        } else if (c == '1' || c == 'i' || c == '|') {
            c = 'l';
        } else if (c == '3') {
            c = 'e';
        } else if (c == '5') {
            c = 's';
        } else if (c == '4') {
            c = 'a';
        }
        out[o++] = (char)c;
    }
    if (cap)
        out[o] = '\0';
    return o;
}

struct span match_domain(struct span host)
{
    if (host.len && host.p[host.len - 1] == '.')
        host.len--;
    size_t dots[3] = { 0 }, nd = 0;
    for (size_t i = host.len; i-- > 0 && nd < 3;)
        if (host.p[i] == '.')
            dots[nd++] = i;
    if (nd < 2)
        return host;
    /* "example.co.uk": the second-to-last label is short, keep three. */
    size_t second = dots[0] - dots[1] - 1;
    if (second <= 3 && nd == 3 && host.len - dots[0] - 1 == 2)
        return span_from(host, dots[2] + 1);
    if (second <= 3 && nd == 2 && host.len - dots[0] - 1 == 2)
        return host;
    return span_from(host, dots[1] + 1);
}

struct span match_label(struct span domain)
{
    for (size_t i = 0; i < domain.len; i++)
        if (domain.p[i] == '.')
            return span_make(domain.p, i);
    return domain;
}

void match_hhmm(int64_t ns, char out[6])
{
    time_t t = (time_t)(ns / 1000000000LL);
    struct tm tm;
    gmtime_r(&t, &tm);
    out[0] = (char)('0' + tm.tm_hour / 10);
    out[1] = (char)('0' + tm.tm_hour % 10);
    out[2] = ':';
    out[3] = (char)('0' + tm.tm_min / 10);
    out[4] = (char)('0' + tm.tm_min % 10);
    out[5] = '\0';
}

/* ---- secret masking ---- */

#define MASK_RANGES 32

struct masker {
    size_t from[MASK_RANGES], to[MASK_RANGES];
    unsigned n;
};

static void mask_add(struct masker *m, size_t from, size_t to)
{
    if (to > from && m->n < MASK_RANGES) {
        m->from[m->n] = from;
        m->to[m->n] = to;
        m->n++;
    }
}

static bool is_secret_name(struct span name)
{
    static const char *const words[] = {
        "secret", "passw", "pwd", "token", "apikey", "api_key", "api-key", "access_key",
        "accesskey", "private_key", "credential", "auth", "session_key", NULL
    };
    /* PWD and OLDPWD are directories (sudo logs PWD=/home/alice) */
    if (match_ieq(name, "PWD") || match_ieq(name, "OLDPWD"))
        return false;
    for (unsigned i = 0; words[i]; i++)
        if (match_contains(name, words[i]))
            return true;
    return false;
}

static bool is_tokch(int c)
{
    return isalnum(c) || c == '_' || c == '-' || c == '/' || c == '+' || c == '=' || c == '.';
}

static bool is_quote(int c)
{
    return c == '\'' || c == '"';
}

/* End of a value starting at i inside word [i, we): stops at a closing quote
 * or a separator of query strings. */
static size_t value_end(const char *p, size_t i, size_t we, bool query)
{
    while (i < we && !is_quote((unsigned char)p[i]) && p[i] != '`' &&
           !(query && (p[i] == '&' || p[i] == '#')))
        i++;
    return i;
}

/* Scans one word for secrets that do not depend on the previous word. */
static void mask_word(struct masker *m, const char *p, size_t ws, size_t we)
{
    size_t s = ws;
    while (s < we && (is_quote((unsigned char)p[s]) || p[s] == '-'))
        s++;
    /* NAME=value and --password=value */
    size_t eq = s;
    while (eq < we && p[eq] != '=' && p[eq] != ':' && p[eq] != '/' && !is_quote((unsigned char)p[eq]))
        eq++;
    if (eq < we && p[eq] == '=' && eq > s && is_secret_name(span_make(p + s, eq - s)))
        mask_add(m, eq + 1, value_end(p, eq + 1, we, false));
    for (size_t i = ws; i < we; i++) {
        /* scheme://user:pass@host */
        if (i + 3 <= we && p[i] == ':' && i + 2 < we && p[i + 1] == '/' && p[i + 2] == '/') {
            size_t a = i + 3, colon = 0;
            for (size_t k = a; k < we && p[k] != '/' && p[k] != ' '; k++) {
                if (p[k] == ':' && !colon)
                    colon = k;
                if (p[k] == '@') {
                    if (colon)
                        mask_add(m, colon + 1, k);
                    break;
                }
            }
        }
        /* "Authorization: Bearer xyz" as one quoted word */
        if (i + 7 <= we && (p[i] == ' ' || p[i] == ':') &&
            (match_ieq(span_make(p + i + 1, 6), "bearer") || match_ieq(span_make(p + i + 1, 5), "basic")))
        {
            size_t k = i + 1;
            while (k < we && p[k] != ' ')
                k++;
            if (k < we)
                mask_add(m, k + 1, value_end(p, k + 1, we, false));
        }
        /* ?token=...&sig=... */
        if ((p[i] == '?' || p[i] == '&') && i + 1 < we) {
            size_t k = i + 1;
            while (k < we && p[k] != '=' && p[k] != '&' && p[k] != '?')
                k++;
            struct span name = span_make(p + i + 1, k - i - 1);
            if (k < we && p[k] == '=' &&
                (is_secret_name(name) || match_ieq(name, "key") || match_ieq(name, "sig") ||
                 match_contains(name, "signature") || match_ieq(name, "code") ||
                 match_contains(name, "x-amz-credential")))
                mask_add(m, k + 1, value_end(p, k + 1, we, true));
        }
        /* Well-known key shapes. */
        static const char *const prefixes[] = { "AKIA", "ASIA", "ghp_", "gho_", "ghs_", "github_pat_",
                                                "xoxb-", "xoxp-", "xoxa-", "glpat-", "sk_live_", "sk-", NULL };
        if (i == ws || !isalnum((unsigned char)p[i - 1])) {
            for (unsigned k = 0; prefixes[k]; k++) {
                size_t n = strlen(prefixes[k]);
                if (i + n < we && memcmp(p + i, prefixes[k], n) == 0) {
                    size_t e = i + n;
                    while (e < we && is_tokch((unsigned char)p[e]) && p[e] != '/' && p[e] != '=')
                        e++;
                    if (e - i >= n + 12)
                        mask_add(m, i + n, e);
                }
            }
        }
    }
}

/* Does word w (a flag) take a secret as its next word for command cmd? */
static int flag_takes_secret(struct span cmd, struct span w, size_t *attached)
{
    *attached = 0;
    static const char *const long_flags =
        "--password|--passwd|--pass|--token|--secret|--api-key|--apikey|--client-secret|"
        "--access-key|--secret-key|--auth-token|-pass|-passin|-passout|--authorization";
    if (match_glob_any(long_flags, w))
        return 1;
    if (match_ieq(w, "bearer") || match_ieq(w, "basic") || match_ieq(w, "token"))
        return 1;
    if (match_glob_any("mysql*|mariadb*|7z|7za|7zr|rar|unrar|sshpass", cmd) && w.len > 2 && w.p[0] == '-' &&
        (w.p[1] == 'p' || (w.p[1] == 'h' && w.p[2] == 'p'))) {
        *attached = w.p[1] == 'p' ? 2 : 3;
        return 2;
    }
    if (match_glob_any("mysql*|mariadb*|sshpass|useradd|usermod|htpasswd", cmd) && span_eq_cstr(w, "-p"))
        return 1;
    if (match_glob_any("zip|unzip", cmd) && span_eq_cstr(w, "-P"))
        return 1;
    if (match_glob_any("redis-cli", cmd) && span_eq_cstr(w, "-a"))
        return 1;
    if (match_glob_any("curl|wget", cmd) && (span_eq_cstr(w, "-u") || match_ieq(w, "--user")))
        return 3;   /* user:password */
    return 0;
}

/* The command a word names, for flags that mean a password only to some
 * tools: its basename, with quotes, backquotes, "(" and a NAME= prefix
 * (sudo's COMMAND=/usr/bin/7z) taken off. */
static struct span word_cmd(struct span w)
{
    while (w.len && strchr("`'\"(", w.p[0]))
        w = span_from(w, 1);
    while (w.len && strchr("`'\")", w.p[w.len - 1]))
        w.len--;
    const char *eq = memchr(w.p, '=', w.len);
    if (eq && span_starts(w, SPAN_LIT("COMMAND=")))
        w = span_from(w, (size_t)(eq - w.p) + 1);
    for (size_t k = w.len; k-- > 0;)
        if (w.p[k] == '/')
            return span_from(w, k + 1);
    return w;
}

/* Tools that take a password on their standard input, so what is piped
 * into them (`echo 'user:pass' | chpasswd`) is a secret. */
static bool reads_secret(struct span cmd, struct span w, bool after_sudo)
{
    return match_glob_any("chpasswd|chgpasswd|passwd|htpasswd|cryptsetup", cmd) ||
           span_eq_cstr(w, "--password-stdin") || span_eq_cstr(w, "--stdin") ||
           (after_sudo && span_eq_cstr(w, "-S"));
}

#define MASK_PIPED 8

/* Could w be a login name? Lowercase letters, digits and ._-@$ only: a name
 * with capitals or other symbols after "invalid user" is most likely a
 * password typed at the login prompt. */
static bool name_shaped(struct span w)
{
    for (size_t i = 0; i < w.len; i++) {
        char c = w.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-' || c == '@' || c == '$'))
            return false;
    }
    return w.len > 0 && w.len <= 32;
}

size_t mask_secrets(struct span line, char *out, size_t cap)
{
    struct masker m = { .n = 0 };
    const char *p = line.p;
    struct span cmd = SPAN_NULL, prev = SPAN_NULL;
    int pending = 0;   /* the previous word asked to hide this one (1 whole, 3 after ':',
                          4 unless name-shaped) */
    /* Arguments of an echo/printf in this segment and in the one piped into
     * this one: hidden when the reader takes passwords on stdin. */
    size_t echo_from[MASK_PIPED], echo_to[MASK_PIPED], piped_from[MASK_PIPED], piped_to[MASK_PIPED];
    unsigned necho = 0, npiped = 0;
    bool echoing = false, sudo_seg = false;
    size_t i = 0;
    while (i < line.len) {
        while (i < line.len && (p[i] == ' ' || p[i] == '\t'))
            i++;
        size_t ws = i;
        char q = 0;
        while (i < line.len) {
            char c = p[i];
            if (q) {
                if (c == q)
                    q = 0;
            } else if (c == '\'' || c == '"') {
                q = c;
            } else if (c == ' ' || c == '\t' || c == ';' || c == '|' || c == '&' || c == '\n') {
                break;
            }
            i++;
        }
        size_t we = i;
        if (we > ws) {
            struct span w = span_make(p + ws, we - ws);
            struct span wc = word_cmd(w);
            if (pending == 1) {
                size_t s = ws, e = we;
                if (is_quote((unsigned char)p[s]))
                    s++;
                if (e > s && is_quote((unsigned char)p[e - 1]))
                    e--;
                mask_add(&m, s, e);
            } else if (pending == 4) {
                if (!name_shaped(w))
                    mask_add(&m, ws, we);
            } else if (pending == 3) {
                for (size_t k = ws; k < we; k++)
                    if (p[k] == ':') {
                        mask_add(&m, k + 1, value_end(p, k + 1, we, false));
                        break;
                    }
            }
            pending = 0;
            mask_word(&m, p, ws, we);
            size_t att;
            int t = flag_takes_secret(cmd, w, &att);
            if (t == 2)
                mask_add(&m, ws + att, we);
            else
                pending = t;
            if (!t && match_ieq(w, "user") && match_ieq(prev, "invalid"))
                pending = 4;
            prev = w;
            if (echoing && p[ws] != '-' && necho < MASK_PIPED) {
                echo_from[necho] = ws;
                echo_to[necho++] = we;
            }
            if (npiped && reads_secret(wc, w, sudo_seg)) {
                /* user:pass keeps the user, anything else goes whole */
                for (unsigned k = 0; k < npiped; k++) {
                    size_t s = piped_from[k], e = piped_to[k];
                    const char *colon = memchr(p + s, ':', e - s);
                    if (is_quote((unsigned char)p[s]))
                        s++;
                    if (e > s && is_quote((unsigned char)p[e - 1]))
                        e--;
                    if (colon && (size_t)(colon - p) < e)
                        s = (size_t)(colon - p) + 1;
                    mask_add(&m, s, e);
                }
                npiped = 0;
            }
            /* echo starts a command: the segment's first word, or one
             * quoted in prose ("(`echo ...") */
            if (match_glob_any("echo|printf", wc) && !echoing &&
                (!cmd.len || p[ws] == '`' || p[ws] == '(')) {
                echoing = true;
                necho = 0;
            }
            if (span_eq_cstr(wc, "sudo"))
                sudo_seg = true;
            /* The command that gives flags their meaning: the first word,
             * or in prose (an alert's message) any later tool that takes a
             * password in its arguments. */
            if ((!cmd.len && !match_glob_any("sudo|env|nohup|export|*=*", w)) ||
                match_glob_any("mysql*|mariadb*|7z|7za|7zr|rar|unrar|sshpass|zip|unzip|redis-cli|"
                               "curl|wget|useradd|usermod|htpasswd", wc))
                cmd = wc;
        }
        if (i < line.len && (p[i] == ';' || p[i] == '|' || p[i] == '&' || p[i] == '\n')) {
            bool pipe = p[i] == '|' && (i + 1 >= line.len || p[i + 1] != '|');
            npiped = 0;
            if (pipe && echoing) {
                memcpy(piped_from, echo_from, sizeof(echo_from));
                memcpy(piped_to, echo_to, sizeof(echo_to));
                npiped = necho;
            }
            echoing = false;
            sudo_seg = false;
            necho = 0;
            cmd = SPAN_NULL;
            pending = 0;
            i++;
        }
    }
    /* Copy around the ranges (they may overlap and are unsorted). */
    size_t o = 0;
    for (size_t k = 0; k < line.len && o + 1 < cap;) {
        size_t end = 0;
        for (unsigned r = 0; r < m.n; r++)
            if (k >= m.from[r] && k < m.to[r] && m.to[r] > end)
                end = m.to[r];
        if (end) {
            for (const char *s = "****"; *s && o + 1 < cap; s++)
                out[o++] = *s;
            k = end;
            continue;
        }
        out[o++] = p[k++];
    }
    if (cap)
        out[o] = '\0';
    return o;
}
