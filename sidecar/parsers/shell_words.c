/* shell_words.c - a small shell lexer over spans (see shell_words.h).
 * One scanner, word_end(), walks a word at a time and knows the three quote
 * states plus $( ) nesting; one walk over the words, split(), gives both the
 * argv words and the commands of a pipeline; argv0 is built on the words. */
#include "sidecar/parsers/shell_words.h"

#include <string.h>

/* Bytes that can end a word or change the quoting state. A word's run of
 * other bytes is skipped in a tight loop, which is most of any command. */
enum { CH_BLANK = 1, CH_OP = 2, CH_QUOTE = 4, CH_SUBST = 8 };
static const unsigned char ch_class[256] = {
    [' '] = CH_BLANK, ['\t'] = CH_BLANK, ['\r'] = CH_BLANK,
    ['|'] = CH_OP, ['&'] = CH_OP, [';'] = CH_OP, ['\n'] = CH_OP,
    ['\\'] = CH_QUOTE, ['\''] = CH_QUOTE, ['"'] = CH_QUOTE, ['`'] = CH_SUBST, ['$'] = CH_SUBST,
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static bool is_op_char(char c)
{
    return c == '|' || c == '&' || c == ';' || c == '\n';
}

/* Length of the control operator at s.p[i] (0 when none). */
static inline size_t op_len(struct span s, size_t i)
{
    char c = s.p[i];
    if (!(ch_class[(unsigned char)c] & CH_OP))
        return 0;
    if (c == '\n')
        return 1;
    if (i + 1 < s.len) {
        char d = s.p[i + 1];
        if ((c == '|' && (d == '|' || d == '&')) || (c == '&' && d == '&') ||
            (c == ';' && d == ';'))
            return 2;
    }
    /* "&>" and ">&" are redirections, not operators */
    if (c == '&' && i + 1 < s.len && s.p[i + 1] == '>')
        return 0;
    if (c == '&' && i > 0 && (s.p[i - 1] == '>' || s.p[i - 1] == '<'))
        return 0;
    return 1;
}

/* From i (not blank, not an operator), the end of the word. */
static size_t word_end(struct span s, size_t i)
{
    int paren = 0;          /* $( ... ) depth */
    bool backtick = false;
    while (i < s.len) {
        if (paren == 0 && !backtick) {
            while (i < s.len && ch_class[(unsigned char)s.p[i]] == 0)
                i++;
            if (i >= s.len)
                break;
        }
        char c = s.p[i];
        if (c == '\\') {
            i += 2;
            continue;
        }
        if (c == '\'' && !backtick) {
            const char *q = memchr(s.p + i + 1, '\'', s.len - i - 1);
            i = q ? (size_t)(q - s.p) + 1 : s.len;
            continue;
        }
        if (c == '"') {
            i++;
            while (i < s.len && s.p[i] != '"')
                i += s.p[i] == '\\' ? 2 : 1;
            i++;
            continue;
        }
        if (c == '`') {
            backtick = !backtick;
            i++;
            continue;
        }
        if (c == '$' && i + 1 < s.len && s.p[i + 1] == '(') {
            paren++;
            i += 2;
            continue;
        }
        if (paren > 0) {
            if (c == '(')
                paren++;
            else if (c == ')')
                paren--;
            i++;
            continue;
        }
        if (backtick) {
            i++;
            continue;
        }
        if (is_blank(c) || op_len(s, i))
            break;
        i++;
    }
    return i < s.len ? i : s.len;
}

static struct span trim(struct span s)
{
    while (s.len && is_blank(s.p[0]))
        s.p++, s.len--;
    while (s.len && is_blank(s.p[s.len - 1]))
        s.len--;
    return s;
}

/* The one walk behind both splitters: words and commands come from the same
 * tokens (a newline ends a command but is no word). Either output may be
 * absent (NULL, max 0). */
static void split(struct span cmd, struct span *words, size_t maxw, size_t *nw, size_t *totw,
                  struct span *cmds, size_t maxc, size_t *nc, size_t *totc)
{
    size_t n = 0, seen = 0, cn = 0, cseen = 0, i = 0, start = 0;
    while (i <= cmd.len) {
        size_t e, ol = i < cmd.len ? op_len(cmd, i) : 1;
        if (ol) {
            if (cmds) {
                struct span c = trim(span_make(cmd.p + start, i - start));
                if (c.len) {
                    if (cn < maxc)
                        cmds[cn++] = c;
                    cseen++;
                }
            }
            if (i == cmd.len)
                break;
            e = i + ol;
            start = e;
            if (cmd.p[i] == '\n') {
                i = e;
                continue;
            }
        } else if (is_blank(cmd.p[i])) {
            i++;
            continue;
        } else {
            e = word_end(cmd, i);
            if (e == i)
                e = i + 1;
        }
        if (n < maxw)
            words[n++] = span_make(cmd.p + i, e - i);
        seen++;
        i = e;
    }
    *nw = n;
    *totw = seen;
    *nc = cn;
    *totc = cseen;
}

size_t shell_split_words(struct span cmd, struct span *words, size_t max, size_t *total)
{
    size_t n, seen, cn, cseen;
    split(cmd, words, max, &n, &seen, NULL, 0, &cn, &cseen);
    if (total)
        *total = seen;
    return n;
}

size_t shell_split_pipeline(struct span cmd, struct span *cmds, size_t max, size_t *total)
{
    size_t n, seen, cn, cseen;
    split(cmd, NULL, 0, &n, &seen, cmds, max, &cn, &cseen);
    if (total)
        *total = cseen;
    return cn;
}

size_t shell_split(struct span cmd, struct span *words, size_t maxw, size_t *nw,
                   struct span *cmds, size_t maxc)
{
    size_t seen, cn, cseen;
    split(cmd, words, maxw, nw, &seen, cmds, maxc, &cn, &cseen);
    return cn;
}

bool shell_word_is_plain(struct span w)
{
    for (size_t i = 0; i < w.len; i++)
        if (ch_class[(unsigned char)w.p[i]] & CH_QUOTE)
            return false;
    return true;
}

size_t shell_unquote(struct span w, char *out, size_t cap)
{
    size_t o = 0;
    char q = 0;   /* current quote, 0 when bare */
    for (size_t i = 0; i < w.len && o < cap; i++) {
        char c = w.p[i];
        if (q == '\'') {
            if (c == '\'')
                q = 0;
            else
                out[o++] = c;
        } else if (c == '\\' && i + 1 < w.len) {
            char d = w.p[i + 1];
            /* inside "...", a backslash only escapes $ ` " \ and newline */
            if (q == '"' && d != '$' && d != '`' && d != '"' && d != '\\' && d != '\n') {
                out[o++] = c;
                continue;
            }
            out[o++] = d;
            i++;
        } else if (c == '"' && (q == 0 || q == '"')) {
            q = q ? 0 : '"';
        } else if (c == '\'' && q == 0) {
            q = '\'';
        } else {
            out[o++] = c;
        }
    }
    return o;
}

static bool word_is(struct span w, const char *lit, size_t n)
{
    return w.len == n && memcmp(w.p, lit, n) == 0;
}
#define word_eq(w, lit) word_is((w), (lit), sizeof(lit) - 1)

/* NAME=value with NAME a shell identifier. */
static bool is_assignment(struct span w)
{
    if (w.len < 2 || !((w.p[0] >= 'A' && w.p[0] <= 'Z') || (w.p[0] >= 'a' && w.p[0] <= 'z') ||
                       w.p[0] == '_'))
        return false;
    for (size_t i = 1; i < w.len; i++) {
        char c = w.p[i];
        if (c == '=')
            return true;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return false;
}

static bool is_operator_word(struct span w)
{
    return w.len > 0 && is_op_char(w.p[0]) && !(w.len > 1 && w.p[0] == '&' && w.p[1] == '>');
}

/* Does option w of a wrapper take the next word as its argument? */
static bool takes_arg(const char *opts, struct span w)
{
    if (w.len != 2 || w.p[0] != '-')
        return false;
    return strchr(opts, w.p[1]) != NULL;
}

struct span shell_argv0(const struct span *words, size_t n, size_t *index, bool *uses_sudo)
{
    enum { NONE, SUDO, ENV, TIME, NICE, EXEC } wrap = NONE;
    bool sudo = false;
    size_t i = 0, last_wrapper = n;
    for (; i < n; i++) {
        struct span w = words[i];
        if (is_operator_word(w)) {
            i = n;
            break;
        }
        if (wrap != NONE && w.len > 1 && w.p[0] == '-') {
            if (word_eq(w, "--")) {
                wrap = NONE;
                continue;
            }
            const char *opts = wrap == SUDO ? "ugpChDrtTUR" : wrap == ENV ? "uSCP" :
                               wrap == NICE ? "n" : wrap == EXEC ? "a" : "fo";
            if (takes_arg(opts, w))
                i++;
            continue;
        }
        if (wrap == NICE && w.len > 0 && w.p[0] >= '0' && w.p[0] <= '9')
            continue;
        if (is_assignment(w))
            continue;
        if (wrap == ENV && word_eq(w, "-"))
            continue;
        last_wrapper = i;
        if (word_eq(w, "sudo") || word_eq(w, "doas")) {
            wrap = SUDO;
            sudo = true;
        } else if (word_eq(w, "env")) {
            wrap = ENV;
        } else if (word_eq(w, "nohup")) {
            wrap = NONE;
        } else if (word_eq(w, "time")) {
            wrap = TIME;
        } else if (word_eq(w, "nice")) {
            wrap = NICE;
        } else if (word_eq(w, "exec")) {
            wrap = EXEC;
        } else {
            last_wrapper = n;
            break;
        }
    }
    /* "sudo -i", "nohup": the wrapper itself is the program */
    if (i >= n && last_wrapper < n)
        i = last_wrapper;
    if (uses_sudo)
        *uses_sudo = sudo;
    if (index)
        *index = i < n ? i : n;
    if (i >= n)
        return SPAN_NULL;
    struct span w = words[i];
    if (w.len >= 2 && (w.p[0] == '\'' || w.p[0] == '"') && w.p[w.len - 1] == w.p[0]) {
        w.p++;
        w.len -= 2;
    }
    const char *slash = NULL;
    for (size_t k = 0; k < w.len; k++)
        if (w.p[k] == '/')
            slash = w.p + k;
    if (slash && (size_t)(slash - w.p) + 1 < w.len)
        w = span_make(slash + 1, w.len - (size_t)(slash - w.p) - 1);
    return w;
}
