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

/* ---- secret masking ----
 * Every line an alert quotes goes through here, and nearly none holds a
 * secret, so the common case is one pass of a few instructions per byte: a
 * byte-class table cuts the words and notes which telling bytes each word
 * holds ('=', ':', a quoted space, the first byte of a key shape), and only a
 * word holding one is scanned again. The tools that give flags their meaning
 * are looked up in a table by their first byte, once per word; a flag is
 * looked at only when the word starts with '-'. */

#define MASK_RANGES 32
#define MASK_PIPED 8

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

enum {
    MC_BREAK = 1,       /* ends a word outside quotes: space, tab, ; | & newline */
    MC_QUOTE = 2,       /* ' " */
    MC_SLASH = 4,       /* the command's basename starts after the last one */
    MC_EQ = 8,          /* NAME=value, ?key=value */
    MC_COLON = 16,      /* scheme://user:pass@, "Authorization: Bearer x" */
    MC_SPACE = 32,      /* inside a quoted word: "... Bearer x" */
    MC_QUERY = 64,      /* ? and, inside quotes, & */
    MC_KEY = 128,       /* can start a key shape (AKIA..., ghp_..., xoxb-..., sk-...) */
    MC_SEGMENT = 256,   /* ends a command: ; | & newline */
    MC_OPEN = 512,      /* taken off the front of a command word: ` ' " ( NUL */
    MC_CLOSE = 1024,    /* taken off its end: ` ' " ) NUL */
};

static const uint16_t mask_class[256] = {
    [' '] = MC_BREAK | MC_SPACE, ['\t'] = MC_BREAK, [';'] = MC_BREAK | MC_SEGMENT,
    ['|'] = MC_BREAK | MC_SEGMENT, ['&'] = MC_BREAK | MC_SEGMENT | MC_QUERY,
    ['\n'] = MC_BREAK | MC_SEGMENT, ['\''] = MC_QUOTE | MC_OPEN | MC_CLOSE,
    ['"'] = MC_QUOTE | MC_OPEN | MC_CLOSE, ['`'] = MC_OPEN | MC_CLOSE, ['('] = MC_OPEN,
    [')'] = MC_CLOSE, ['\0'] = MC_OPEN | MC_CLOSE, ['/'] = MC_SLASH, ['='] = MC_EQ, [':'] = MC_COLON,
    ['?'] = MC_QUERY, ['A'] = MC_KEY, ['g'] = MC_KEY, ['x'] = MC_KEY, ['s'] = MC_KEY,
};
/* What a word's bytes can tell (seen): MC_OPEN/MC_CLOSE only matter at its ends. */
#define MC_SEEN (MC_BREAK | MC_QUOTE | MC_SLASH | MC_EQ | MC_COLON | MC_SPACE | MC_QUERY | MC_KEY)

/* Well-known key shapes: the prefix, then at least KEY_MIN_TAIL token bytes. */
#define KEY_MIN_TAIL 12
#define KEY_SHAPE(s) { s, sizeof(s) - 1 }
static const struct { const char *s; uint8_t len; } key_shapes[] = {
    KEY_SHAPE("AKIA"), KEY_SHAPE("ASIA"), KEY_SHAPE("ghp_"), KEY_SHAPE("gho_"), KEY_SHAPE("ghs_"),
    KEY_SHAPE("github_pat_"), KEY_SHAPE("xoxb-"), KEY_SHAPE("xoxp-"), KEY_SHAPE("xoxa-"),
    KEY_SHAPE("glpat-"), KEY_SHAPE("sk_live_"), KEY_SHAPE("sk-"),
};
#define KEY_MIN_BYTES (3 + KEY_MIN_TAIL)   /* the shortest prefix ("sk-") and its tail */

/* Case-insensitive: is lit (lower case) at p? p holds at least len bytes. */
static bool at_ieq(const char *p, const char *lit, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (lc((unsigned char)p[i]) != lit[i])
            return false;
    return true;
}

/* Does name contain one of the n words (lower case), ignoring case?
 * initials: the bit (1 << (c - 'a')) of each word's first byte, a letter;
 * only positions whose byte is one of them are compared. */
static bool contains_any(struct span name, const struct span *words, size_t n, uint32_t initials)
{
    for (size_t j = 0; j < name.len; j++) {
        unsigned c = (unsigned)lc((unsigned char)name.p[j]) - 'a';
        if (c >= 26 || !(initials >> c & 1))
            continue;
        for (size_t i = 0; i < n; i++)
            if ((unsigned)(words[i].p[0] - 'a') == c && words[i].len <= name.len - j &&
                at_ieq(name.p + j, words[i].p, words[i].len))
                return true;
    }
    return false;
}

/* Word lists as X-macros: the table and its initials from one list (the
 * initials fold to a constant). */
#define WORD_SPAN(w) SPAN_LIT(w),
#define WORD_INITIAL(w) (1u << ((w)[0] - 'a')) | /* NOLINT(bugprone-macro-parentheses): an X-macro term */
#define SECRET_NAME_WORDS(X) \
    X("secret") X("passw") X("pwd") X("token") X("apikey") X("api_key") X("api-key") \
    X("access_key") X("accesskey") X("private_key") X("credential") X("auth") X("session_key")
#define SECRET_PARAM_WORDS(X) X("signature") X("x-amz-credential")

static bool is_secret_name(struct span name)
{
    static const struct span words[] = { SECRET_NAME_WORDS(WORD_SPAN) };
    const uint32_t initials = SECRET_NAME_WORDS(WORD_INITIAL) 0;
    /* PWD and OLDPWD are directories (sudo logs PWD=/home/alice) */
    if (match_ieq(name, "PWD") || match_ieq(name, "OLDPWD"))
        return false;
    return contains_any(name, words, sizeof(words) / sizeof(words[0]), initials);
}

static bool is_secret_param(struct span name)
{
    static const struct span words[] = { SECRET_PARAM_WORDS(WORD_SPAN) };
    const uint32_t initials = SECRET_PARAM_WORDS(WORD_INITIAL) 0;
    return is_secret_name(name) || match_ieq(name, "key") || match_ieq(name, "sig") ||
           match_ieq(name, "code") || contains_any(name, words, sizeof(words) / sizeof(words[0]), initials);
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

/* NAME=value and --password=value: the first '=' of the word, before any
 * ':', '/' or quote, after a NAME that looks like a secret. A quoted value
 * (NAME='a b') is hidden up to its closing quote. */
static void mask_assignment(struct masker *m, const char *p, size_t ws, size_t we)
{
    size_t s = ws;
    while (s < we && (is_quote((unsigned char)p[s]) || p[s] == '-'))
        s++;
    size_t eq = s;
    while (eq < we && p[eq] != '=' && p[eq] != ':' && p[eq] != '/' && !is_quote((unsigned char)p[eq]))
        eq++;
    if (eq >= we || p[eq] != '=' || eq == s || !is_secret_name(span_make(p + s, eq - s)))
        return;
    size_t v = eq + 1;
    if (v < we && is_quote((unsigned char)p[v])) {
        const char *close = memchr(p + v + 1, p[v], we - v - 1);
        mask_add(m, v + 1, close ? (size_t)(close - p) : we);
    } else {
        mask_add(m, v, value_end(p, v, we, false));
    }
}

/* scheme://user:pass@host, with the "://" at i */
static void mask_userinfo(struct masker *m, const char *p, size_t i, size_t we)
{
    size_t colon = 0;
    for (size_t k = i + 3; k < we && p[k] != '/' && p[k] != ' '; k++) {
        if (p[k] == ':' && !colon)
            colon = k;
        if (p[k] == '@') {
            if (colon)
                mask_add(m, colon + 1, k);
            break;
        }
    }
}

/* Scans one word for secrets that do not depend on the previous word; seen
 * is the OR of the classes of its bytes. */
static void mask_word(struct masker *m, const char *p, size_t ws, size_t we, unsigned seen)
{
    if (seen & MC_EQ)
        mask_assignment(m, p, ws, we);
    unsigned want = seen & (MC_COLON | MC_SPACE);
    if (seen & MC_EQ)
        want |= seen & MC_QUERY;    /* ?name=value */
    if (we - ws >= KEY_MIN_BYTES)
        want |= seen & MC_KEY;
    if (!want)
        return;
    for (size_t i = ws; i < we; i++) {
        unsigned k = mask_class[(unsigned char)p[i]] & want;
        if (!k)
            continue;
        if ((k & MC_COLON) && i + 2 < we && p[i + 1] == '/' && p[i + 2] == '/')
            mask_userinfo(m, p, i, we);
        /* "Authorization: Bearer xyz" as one quoted word */
        if ((k & (MC_COLON | MC_SPACE)) && i + 7 <= we &&
            (at_ieq(p + i + 1, "bearer", 6) || at_ieq(p + i + 1, "basic", 5))) {
            size_t e = i + 1;
            while (e < we && p[e] != ' ')
                e++;
            if (e < we)
                mask_add(m, e + 1, value_end(p, e + 1, we, false));
        }
        /* ?token=...&sig=... */
        if ((k & MC_QUERY) && i + 1 < we) {
            size_t e = i + 1;
            while (e < we && p[e] != '=' && p[e] != '&' && p[e] != '?')
                e++;
            if (e < we && p[e] == '=' && is_secret_param(span_make(p + i + 1, e - i - 1)))
                mask_add(m, e + 1, value_end(p, e + 1, we, true));
        }
        if ((k & MC_KEY) && we - i >= KEY_MIN_BYTES && (i == ws || !isalnum((unsigned char)p[i - 1]))) {
            for (unsigned s = 0; s < sizeof(key_shapes) / sizeof(key_shapes[0]); s++) {
                size_t n = key_shapes[s].len;
                if (key_shapes[s].s[0] != p[i] || i + n >= we || memcmp(p + i, key_shapes[s].s, n) != 0)
                    continue;
                size_t e = i + n;
                while (e < we && is_tokch((unsigned char)p[e]) && p[e] != '/' && p[e] != '=')
                    e++;
                if (e - i >= n + KEY_MIN_TAIL)
                    mask_add(m, i + n, e);
            }
        }
    }
}

/* ---- the tools a command line names ---- */

enum {
    TOOL_PW_ATTACHED = 1,   /* -p<secret> (and -hp<secret> for the archivers) */
    TOOL_PW_P = 2,          /* -p <secret> */
    TOOL_PW_ZIP = 4,        /* -P <secret> */
    TOOL_PW_REDIS = 8,      /* -a <secret> */
    TOOL_PW_USER = 16,      /* -u/--user user:<secret> */
    TOOL_STDIN = 32,        /* reads a password on its standard input */
    TOOL_ECHO = 64,
    TOOL_SUDO = 128,
};
/* A tool that takes a password in its arguments names the command a flag
 * belongs to, even later in a line (prose: an alert's message). */
#define TOOL_TAKES_PW (TOOL_PW_ATTACHED | TOOL_PW_P | TOOL_PW_ZIP | TOOL_PW_REDIS | TOOL_PW_USER)

struct mask_tool {
    const char *name;
    uint8_t len;
    bool prefix;            /* "mysql" is mysql* (mysqldump, mysqladmin) */
    uint8_t flags;          /* TOOL_* */
};
#define TOOL(n, pre, f) { n, sizeof(n) - 1, pre, f }

/* Rows by first byte: most words start with a byte no tool starts with. */
static const struct mask_tool tools_7[] = {
    TOOL("7z", false, TOOL_PW_ATTACHED), TOOL("7za", false, TOOL_PW_ATTACHED),
    TOOL("7zr", false, TOOL_PW_ATTACHED), { 0 } };
static const struct mask_tool tools_c[] = {
    TOOL("curl", false, TOOL_PW_USER), TOOL("chpasswd", false, TOOL_STDIN),
    TOOL("chgpasswd", false, TOOL_STDIN), TOOL("cryptsetup", false, TOOL_STDIN), { 0 } };
static const struct mask_tool tools_e[] = { TOOL("echo", false, TOOL_ECHO), { 0 } };
static const struct mask_tool tools_h[] = {
    TOOL("htpasswd", false, TOOL_PW_P | TOOL_STDIN), { 0 } };
static const struct mask_tool tools_m[] = {
    TOOL("mysql", true, TOOL_PW_ATTACHED | TOOL_PW_P), TOOL("mariadb", true, TOOL_PW_ATTACHED | TOOL_PW_P),
    { 0 } };
static const struct mask_tool tools_p[] = {
    TOOL("passwd", false, TOOL_STDIN), TOOL("printf", false, TOOL_ECHO), { 0 } };
static const struct mask_tool tools_r[] = {
    TOOL("rar", false, TOOL_PW_ATTACHED), TOOL("redis-cli", false, TOOL_PW_REDIS), { 0 } };
static const struct mask_tool tools_s[] = {
    TOOL("sshpass", false, TOOL_PW_ATTACHED | TOOL_PW_P), TOOL("sudo", false, TOOL_SUDO), { 0 } };
static const struct mask_tool tools_u[] = {
    TOOL("unrar", false, TOOL_PW_ATTACHED), TOOL("useradd", false, TOOL_PW_P),
    TOOL("usermod", false, TOOL_PW_P), TOOL("unzip", false, TOOL_PW_ZIP), { 0 } };
static const struct mask_tool tools_w[] = { TOOL("wget", false, TOOL_PW_USER), { 0 } };
static const struct mask_tool tools_z[] = { TOOL("zip", false, TOOL_PW_ZIP), { 0 } };

static const struct mask_tool *const tools_by_first[256] = {
    ['7'] = tools_7, ['c'] = tools_c, ['e'] = tools_e, ['h'] = tools_h, ['m'] = tools_m,
    ['p'] = tools_p, ['r'] = tools_r, ['s'] = tools_s, ['u'] = tools_u, ['w'] = tools_w,
    ['z'] = tools_z,
};

/* TOOL_* of a command's basename (case-sensitive: Unix commands are). */
static unsigned tool_flags(struct span cmd)
{
    if (!cmd.len)
        return 0;
    for (const struct mask_tool *t = tools_by_first[(unsigned char)cmd.p[0]]; t && t->name; t++)
        if ((t->prefix ? cmd.len >= t->len : cmd.len == t->len) && memcmp(cmd.p, t->name, t->len) == 0)
            return t->flags;
    return 0;
}

/* The command a word names, for flags that mean a password only to some
 * tools: its basename, with quotes, backquotes, "(" and a NAME= prefix
 * (sudo's COMMAND=/usr/bin/7z) taken off. slash: the word's last '/', or
 * NULL (none of those strips can remove a '/'). */
static struct span word_cmd(struct span w, const char *slash)
{
    while (w.len && (mask_class[(unsigned char)w.p[0]] & MC_OPEN))
        w = span_from(w, 1);
    while (w.len && (mask_class[(unsigned char)w.p[w.len - 1]] & MC_CLOSE))
        w.len--;
    if (slash)
        return span_make(slash + 1, (size_t)(w.p + w.len - slash - 1));
    if (span_starts(w, SPAN_LIT("COMMAND=")))
        w = span_from(w, 8);
    return w;
}

/* Does word w (a flag) take a secret as its next word for a command with
 * TOOL_* flags tools? 1: the next word, 2: attached (after *attached bytes),
 * 3: the next word after its ':'. */
static int flag_takes_secret(unsigned tools, struct span w, size_t *attached)
{
    static const struct span long_flags[] = {
        SPAN_LIT("--password"), SPAN_LIT("--passwd"), SPAN_LIT("--pass"), SPAN_LIT("--token"),
        SPAN_LIT("--secret"), SPAN_LIT("--api-key"), SPAN_LIT("--apikey"), SPAN_LIT("--client-secret"),
        SPAN_LIT("--access-key"), SPAN_LIT("--secret-key"), SPAN_LIT("--auth-token"), SPAN_LIT("-pass"),
        SPAN_LIT("-passin"), SPAN_LIT("-passout"), SPAN_LIT("--authorization"),
    };
    *attached = 0;
    if (!w.len || w.p[0] != '-')
        return (w.len == 5 && (at_ieq(w.p, "basic", 5) || at_ieq(w.p, "token", 5))) ||
               (w.len == 6 && at_ieq(w.p, "bearer", 6));
    for (unsigned i = 0; i < sizeof(long_flags) / sizeof(long_flags[0]); i++)
        if (span_eq(w, long_flags[i]))
            return 1;
    if ((tools & TOOL_PW_ATTACHED) && w.len > 2 && (w.p[1] == 'p' || (w.p[1] == 'h' && w.p[2] == 'p'))) {
        *attached = w.p[1] == 'p' ? 2 : 3;
        return 2;
    }
    if ((tools & TOOL_PW_P) && span_eq_cstr(w, "-p"))
        return 1;
    if ((tools & TOOL_PW_ZIP) && span_eq_cstr(w, "-P"))
        return 1;
    if ((tools & TOOL_PW_REDIS) && span_eq_cstr(w, "-a"))
        return 1;
    if ((tools & TOOL_PW_USER) && (span_eq_cstr(w, "-u") || match_ieq(w, "--user")))
        return 3;   /* user:password */
    return 0;
}

/* Tools that take a password on their standard input, so what is piped
 * into them (`echo 'user:pass' | chpasswd`) is a secret. */
static bool reads_secret(unsigned tools, struct span w, bool after_sudo)
{
    return (tools & TOOL_STDIN) || span_eq_cstr(w, "--password-stdin") || span_eq_cstr(w, "--stdin") ||
           (after_sudo && span_eq_cstr(w, "-S"));
}

/* Words before the command: sudo, env, nohup, export and NAME=value. */
static bool is_launcher(struct span w, unsigned seen)
{
    return (seen & MC_EQ) || span_eq_cstr(w, "sudo") || span_eq_cstr(w, "env") ||
           span_eq_cstr(w, "nohup") || span_eq_cstr(w, "export");
}

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

/* The end of the word at i: the first space, tab, ; | & or newline outside
 * quotes. seen: the MC_SEEN classes of its bytes; slash: its last '/' or
 * NULL. */
static size_t word_end(const char *p, size_t i, size_t len, unsigned *seen, const char **slash)
{
    unsigned acc = 0;
    const char *last = NULL;
    char q = 0;
    for (; i < len; i++) {
        unsigned k = mask_class[(unsigned char)p[i]];
        if (!k)
            continue;
        if (k & (MC_BREAK | MC_QUOTE)) {
            if (q) {
                if (p[i] == q)
                    q = 0;
            } else if (k & MC_QUOTE) {
                q = p[i];
            } else {
                break;
            }
        }
        if (k & MC_SLASH)
            last = p + i;
        acc |= k & MC_SEEN;
    }
    *seen = acc;
    *slash = last;
    return i;
}

/* Copies line to out around the ranges of m (they may overlap and are
 * unsorted), each range written once as "****". */
static size_t mask_copy(const struct masker *m, struct span line, char *out, size_t cap)
{
    size_t o = 0;
    if (!cap)
        return 0;
    if (!m->n) {
        o = line.len < cap - 1 ? line.len : cap - 1;
        memcpy(out, line.p, o);
        out[o] = '\0';
        return o;
    }
    for (size_t k = 0; k < line.len && o + 1 < cap;) {
        size_t end = 0;
        for (unsigned r = 0; r < m->n; r++)
            if (k >= m->from[r] && k < m->to[r] && m->to[r] > end)
                end = m->to[r];
        if (end) {
            for (const char *s = "****"; *s && o + 1 < cap; s++)
                out[o++] = *s;
            k = end;
            continue;
        }
        out[o++] = line.p[k++];
    }
    out[o] = '\0';
    return o;
}

size_t mask_secrets(struct span line, char *out, size_t cap)
{
    struct masker m;
    m.n = 0;
    const char *p = line.p;
    struct span cmd = SPAN_NULL, prev = SPAN_NULL;
    unsigned cmd_tools = 0;     /* tool_flags(cmd) */
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
        const char *slash;
        unsigned seen;
        i = word_end(p, i, line.len, &seen, &slash);
        size_t we = i;
        if (we > ws) {
            struct span w = span_make(p + ws, we - ws);
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
                const char *colon = memchr(p + ws, ':', we - ws);
                if (colon)
                    mask_add(&m, (size_t)(colon - p) + 1, value_end(p, (size_t)(colon - p) + 1, we, false));
            }
            pending = 0;
            mask_word(&m, p, ws, we, seen);
            /* a flag may be quoted ('-pX', "--password") */
            struct span f = w;
            if (is_quote((unsigned char)f.p[0])) {
                f = span_from(f, 1);
                if (f.len && f.p[f.len - 1] == w.p[0])
                    f.len--;
            }
            size_t att;
            int t = flag_takes_secret(cmd_tools, f, &att);
            if (t == 2)
                mask_add(&m, (size_t)(f.p - p) + att, (size_t)(f.p - p) + f.len);
            else
                pending = t;
            if (!t && w.len == 4 && prev.len == 7 && at_ieq(w.p, "user", 4) && at_ieq(prev.p, "invalid", 7))
                pending = 4;
            prev = w;
            if (echoing && p[ws] != '-' && necho < MASK_PIPED) {
                echo_from[necho] = ws;
                echo_to[necho++] = we;
            }
            struct span wc = word_cmd(w, slash);
            unsigned tools = tool_flags(wc);
            if (npiped && reads_secret(tools, w, sudo_seg)) {
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
            if ((tools & TOOL_ECHO) && !echoing && (!cmd.len || p[ws] == '`' || p[ws] == '(')) {
                echoing = true;
                necho = 0;
            }
            if (tools & TOOL_SUDO)
                sudo_seg = true;
            /* The command that gives flags their meaning: the first word,
             * or in prose (an alert's message) any later tool that takes a
             * password in its arguments. */
            if ((!cmd.len && !is_launcher(w, seen)) || (tools & TOOL_TAKES_PW)) {
                cmd = wc;
                cmd_tools = tools;
            }
        }
        if (i < line.len && (mask_class[(unsigned char)p[i]] & MC_SEGMENT)) {
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
            cmd_tools = 0;
            pending = 0;
            i++;
        }
    }
    return mask_copy(&m, line, out, cap);
}
