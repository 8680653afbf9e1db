/* plain.c - `parser: plain`: free text with, perhaps, a time and a level.
 * A leading time is taken when ts_parse_any() (or nginx's "2026/11/26
 * 10:00:01") recognises one, optionally in [brackets]; `msg` is the rest of
 * the line. A level word (ERROR, WARN, [info], "warning:" ...) among the
 * first few words becomes `level`; when it is the first word of the rest it
 * is left out of msg. Nothing in a plain line is an error: every non-blank
 * line is KIND_APP. */
#include "sidecar/parsers/app_kind.h"
#include "sidecar/parsers/parser.h"
#include "sidecar/timestamp.h"

#define PLAIN_LEVEL_WORDS 4   /* words looked at for a level */

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* nginx error log time: "2026/11/26 10:00:01", read as RFC 3339. */
static size_t ts_slashed(struct span s, int64_t *ns)
{
    char tmp[19];
    if (s.len < 19 || s.p[4] != '/' || s.p[7] != '/')
        return 0;
    memcpy(tmp, s.p, 19);
    tmp[4] = tmp[7] = '-';
    return ts_parse_rfc3339(span_make(tmp, 19), ns) == 19 ? 19 : 0;
}

/* A time at the start of s, alone or in brackets; returns bytes consumed. */
static size_t leading_time(struct span s, int64_t ref, int64_t *ns)
{
    size_t off = (s.len && s.p[0] == '[') ? 1 : 0;
    struct span t = span_from(s, off);
    size_t n = ts_parse_any(t, ref, ns);
    if (!n)
        n = ts_slashed(t, ns);
    if (!n)
        return 0;
    n += off;
    if (off) {
        if (n >= s.len || s.p[n] != ']')
            return 0;
        n++;
    }
    if (n < s.len && is_alnum(s.p[n]))
        return 0;       /* the "time" runs into a word: not a time */
    return n;
}

/* Is w (a word of the line) a level? Upper-case words, words in brackets
 * and words followed by ':' count; "Error connecting" does not. */
static struct span level_of(struct span w, size_t *consumed)
{
    size_t n = w.len;
    bool bracket = n >= 2 && ((w.p[0] == '[' && w.p[n - 1] == ']') ||
                              (w.p[0] == '<' && w.p[n - 1] == '>') ||
                              (w.p[0] == '(' && w.p[n - 1] == ')'));
    bool colon = n >= 2 && w.p[n - 1] == ':';
    struct span core = bracket ? span_make(w.p + 1, n - 2) : colon ? span_make(w.p, n - 1) : w;
    if (core.len > 6 && memcmp(core.p, "level=", 6) == 0) {
        core = span_from(core, 6);
        bracket = true;
    }
    bool upper = true;
    for (size_t i = 0; i < core.len && upper; i++)
        upper = !(core.p[i] >= 'a' && core.p[i] <= 'z');
    if (!upper && !bracket && !colon)
        return SPAN_NULL;
    *consumed = n;
    return app_level_word(core);
}

static enum parse_result plain_parse(const struct parser *p, void *state, struct record *r,
                                     struct span line)
{
    (void)p;
    (void)state;
    const char *s = line.p, *end = line.p + line.len;
    while (end > s && (end[-1] == '\r' || end[-1] == '\n' || is_space(end[-1])))
        end--;
    while (s < end && is_space(*s))
        s++;
    if (s == end)
        return PARSE_SKIP;
    r->kind = KIND_APP;

    int64_t ns;
    size_t n = leading_time(span_make(s, (size_t)(end - s)), r->read_ts, &ns);
    if (n) {
        r->ts = ns;
        r->ts_from_line = true;
        s += n;
        while (s < end && (is_space(*s) || *s == '-' || *s == '|') &&
               (s + 1 >= end || is_space(*s) || is_space(s[1])))
            s++;
    }

    const char *msg = s, *w = s;
    for (int i = 0; i < PLAIN_LEVEL_WORDS && w < end; i++) {
        while (w < end && is_space(*w))
            w++;
        const char *we = w;
        while (we < end && !is_space(*we))
            we++;
        size_t used = 0;
        struct span lvl = level_of(span_make(w, (size_t)(we - w)), &used);
        if (lvl.len) {
            record_set_str(r, RK_LEVEL, lvl);
            if (w == msg) {
                msg = we;
                while (msg < end && (is_space(*msg) || ((*msg == '-' || *msg == '|' || *msg == ':') &&
                                                        (msg + 1 >= end || is_space(msg[1])))))
                    msg++;
            }
            break;
        }
        w = we;
    }
    record_set_str(r, RK_MSG, span_make(msg, (size_t)(end - msg)));
    return PARSE_OK;
}

const struct parser_plugin parser_plain = {
    .name = "plain",
    .parse = plain_parse,
};
