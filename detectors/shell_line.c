/* shell_line.c - cut a command line into segments, redirections and nested
 * commands (see shell_line.h). One pass over the bytes with a small quote
 * state machine; nested command texts are remembered as spans and parsed
 * after the pass, one level deeper, so recursion is bounded by SHL_MAX_DEPTH. */
#include "detectors/shell_line.h"

#include "detectors/match.h"

#define SHL_NESTED 8

struct shl_pass {
    struct span nested[SHL_NESTED];
    int8_t nested_parent[SHL_NESTED];
    unsigned nnested;
};

static bool put(struct shl_line *l, char c)
{
    if (l->used + 1 >= SHL_TEXT_BYTES) {
        l->truncated = true;
        return false;
    }
    l->text[l->used++] = c;
    return true;
}

static bool is_op(char c)
{
    return c == '|' || c == '&' || c == ';' || c == '\n' || c == '<' || c == '>' || c == '(' ||
           c == ')';
}

/* Length of a balanced $( ... ) / <( ... ) body starting after the '(' at
 * s.p[i]; returns the index of the closing ')' (or s.len). */
static size_t close_paren(struct span s, size_t i)
{
    int depth = 1;
    char q = 0;
    for (; i < s.len; i++) {
        char c = s.p[i];
        if (q) {
            if (c == q)
                q = 0;
            else if (c == '\\' && q == '"')
                i++;
        } else if (c == '\'' || c == '"') {
            q = c;
        } else if (c == '\\') {
            i++;
        } else if (c == '(') {
            depth++;
        } else if (c == ')' && --depth == 0) {
            return i;
        }
    }
    return s.len;
}

static void note_nested(struct shl_pass *ps, struct span body, int parent)
{
    if (ps->nnested < SHL_NESTED && body.len) {
        ps->nested[ps->nnested] = body;
        ps->nested_parent[ps->nnested] = (int8_t)parent;
        ps->nnested++;
    }
}

/* Reads one word at *i into l->text (quotes removed). Returns its span. */
static struct span read_word(struct shl_line *l, struct shl_pass *ps, struct span s, size_t *i,
                             int seg)
{
    size_t start = l->used;
    char q = 0;
    size_t k = *i;
    while (k < s.len) {
        char c = s.p[k];
        if (!q && (c == ' ' || c == '\t' || c == '\r' || (is_op(c) && !(c == '(' && k > *i && s.p[k - 1] == '$'))))
            break;
        if (c == '$' && k + 1 < s.len && s.p[k + 1] == '(' && q != '\'') {
            size_t e = close_paren(s, k + 2);
            note_nested(ps, span_make(s.p + k + 2, e - k - 2), seg);
            for (size_t j = k; j <= e && j < s.len; j++)
                put(l, s.p[j]);
            k = e + 1;
            continue;
        }
        if (c == '`' && q != '\'') {
            size_t e = k + 1;
            while (e < s.len && s.p[e] != '`')
                e++;
            note_nested(ps, span_make(s.p + k + 1, e - k - 1), seg);
            for (size_t j = k; j <= e && j < s.len; j++)
                put(l, s.p[j]);
            k = e + 1;
            continue;
        }
        if (q) {
            if (c == q) {
                q = 0;
            } else if (c == '\\' && q == '"' && k + 1 < s.len) {
                put(l, s.p[++k]);
            } else {
                put(l, c);
            }
        } else if (c == '\'' || c == '"') {
            q = c;
        } else if (c == '\\' && k + 1 < s.len) {
            put(l, s.p[++k]);
        } else {
            put(l, c);
        }
        k++;
    }
    *i = k;
    return span_make(l->text + start, l->used - start);
}

static bool is_name_char(char c, bool first)
{
    return c == '_' || ((c | 32) >= 'a' && (c | 32) <= 'z') || (!first && c >= '0' && c <= '9');
}

static bool is_assignment(struct span w)
{
    if (!w.len || !is_name_char(w.p[0], true))
        return false;
    for (size_t i = 1; i < w.len; i++) {
        if (w.p[i] == '=')
            return true;
        if (!is_name_char(w.p[i], false))
            return false;
    }
    return false;
}

static struct span base(struct span w)
{
    for (size_t k = w.len; k-- > 0;)
        if (w.p[k] == '/')
            return span_from(w, k + 1);
    return w;
}

/* Moves w0 past the wrappers that run another command. */
static void strip_wrappers(struct shl_line *l, struct shl_seg *sg)
{
    uint16_t end = (uint16_t)(sg->w0 + sg->nw);
    uint16_t k = sg->w0;
    while (k < end && is_assignment(l->word[k]))
        k++;
    sg->a0 = sg->w0;
    sg->na = (uint16_t)(k - sg->w0);
    for (int guard = 0; guard < 6 && k < end; guard++) {
        struct span b = base(l->word[k]);
        uint16_t n = k;
        if (match_glob_const("sudo|doas", b)) {
            sg->sudo = true;
            n++;
            while (n < end && l->word[n].len && l->word[n].p[0] == '-') {
                struct span o = l->word[n];
                n++;
                if (span_eq_cstr(o, "--"))
                    break;
                if (match_glob_const("-u|-g|-h|-p|-C|-D|-r|-t|-U|-T", o))
                    n++;
            }
        } else if (match_glob_const("env", b)) {
            n++;
            while (n < end && (is_assignment(l->word[n]) || (l->word[n].len && l->word[n].p[0] == '-'))) {
                if (span_eq_cstr(l->word[n], "-u"))
                    n++;
                n++;
            }
        } else if (match_glob_const("sshpass", b)) {
            n++;
            while (n < end && l->word[n].len && l->word[n].p[0] == '-') {
                struct span o = l->word[n];
                n++;
                if (o.len == 2 && (o.p[1] == 'p' || o.p[1] == 'f' || o.p[1] == 'd'))
                    n++;
            }
        } else if (match_glob_const("nohup|time|command|exec|builtin|setsid|busybox", b)) {
            n++;
        } else if (match_glob_const("nice|ionice|stdbuf|timeout", b)) {
            n++;
            while (n < end && l->word[n].len && l->word[n].p[0] == '-') {
                struct span o = l->word[n];
                n++;
                if (o.len == 2 && (o.p[1] == 'n' || o.p[1] == 'c' || o.p[1] == 's' || o.p[1] == 'k'))
                    n++;
            }
            if (match_ieq(b, "timeout") && n < end)
                n++;   /* the duration */
        } else {
            break;
        }
        if (n >= end)
            break;     /* `sudo -i` alone: the wrapper is the command */
        k = n;
    }
    sg->nw = (uint16_t)(end - k);
    sg->w0 = k;
}

static void parse_into(struct shl_line *l, struct span s, int parent, unsigned depth);

static int seg_open(struct shl_line *l, int parent, unsigned depth)
{
    if (l->nsegs >= SHL_MAX_SEGS) {
        l->truncated = true;
        return -1;
    }
    struct shl_seg *sg = &l->seg[l->nsegs];
    memset(sg, 0, sizeof(*sg));
    sg->w0 = l->nwords;
    sg->parent = (int8_t)parent;
    sg->depth = (uint8_t)depth;
    return l->nsegs++;
}

static void seg_close(struct shl_line *l, int si, enum shl_op op, struct shl_pass *ps)
{
    struct shl_seg *sg = &l->seg[si];
    sg->nw = (uint16_t)(l->nwords - sg->w0);
    sg->op = (uint8_t)op;
    strip_wrappers(l, sg);
    /* sh -c 'string', su -c 'string': the string is a command line. */
    struct span a0 = shl_argv0(l, (unsigned)si);
    if (match_glob_const("sh|bash|dash|zsh|ksh|ash|su", a0)) {
        for (unsigned i = 1; i + 1 < sg->nw; i++) {
            struct span w = l->word[sg->w0 + i];
            if (w.len >= 2 && w.p[0] == '-' && w.p[1] != '-' && memchr(w.p, 'c', w.len)) {
                note_nested(ps, l->word[sg->w0 + i + 1], si);
                if (match_ieq(a0, "su"))
                    sg->sudo = true;
                break;
            }
        }
    }
}

static void parse_into(struct shl_line *l, struct span s, int parent, unsigned depth)
{
    struct shl_pass ps = { .nnested = 0 };
    int si = seg_open(l, parent, depth);
    if (si < 0)
        return;
    size_t i = 0;
    while (i < s.len) {
        char c = s.p[i];
        if (c == ' ' || c == '\t' || c == '\r') {
            i++;
            continue;
        }
        enum shl_op op = SHL_OP_END;
        size_t adv = 0;
        if (c == '|') {
            op = (i + 1 < s.len && s.p[i + 1] == '|') ? SHL_OP_OR : SHL_OP_PIPE;
            adv = (op == SHL_OP_OR || (i + 1 < s.len && s.p[i + 1] == '&')) ? 2 : 1;
        } else if (c == '&' && i + 1 < s.len && s.p[i + 1] == '&') {
            op = SHL_OP_AND;
            adv = 2;
        } else if (c == '&' && !(i + 1 < s.len && s.p[i + 1] == '>')) {
            op = SHL_OP_BG;
            adv = 1;
        } else if (c == ';' || c == '\n') {
            op = SHL_OP_SEQ;
            adv = 1;
        }
        if (adv) {
            seg_close(l, si, op, &ps);
            i += adv;
            si = seg_open(l, parent, depth);
            if (si < 0)
                return;
            continue;
        }
        if (c == '(' || c == ')' || c == '{' || c == '}') {
            i++;
            continue;
        }
        /* Redirection: [n]< [n]> >> >& &> <<< and <( ) >( ). */
        size_t d = i;
        while (d < s.len && s.p[d] >= '0' && s.p[d] <= '9')
            d++;
        if (c == '&' && d == i)
            d = i + 1;   /* &> */
        if (d < s.len && (s.p[d] == '<' || s.p[d] == '>') && (d == i || c == '&' || d - i <= 2)) {
            size_t k = d;
            enum shl_redir_kind kind;
            if (s.p[k] == '<') {
                if (k + 1 < s.len && s.p[k + 1] == '(') {
                    size_t e = close_paren(s, k + 2);
                    note_nested(&ps, span_make(s.p + k + 2, e - k - 2), si);
                    i = e + 1;
                    continue;
                }
                kind = SHL_R_IN;
                k++;
                if (k + 1 < s.len && s.p[k] == '<' && s.p[k + 1] == '<') {
                    kind = SHL_R_HERESTR;
                    k += 2;
                } else if (k < s.len && s.p[k] == '<') {
                    kind = SHL_R_HERESTR;
                    k++;
                } else if (k < s.len && s.p[k] == '>') {
                    kind = SHL_R_OUT;   /* <> opens for writing too */
                    k++;
                }
            } else {
                kind = SHL_R_OUT;
                k++;
                if (k < s.len && s.p[k] == '(') {
                    size_t e = close_paren(s, k + 1);
                    note_nested(&ps, span_make(s.p + k + 1, e - k - 1), si);
                    i = e + 1;
                    continue;
                }
                if (k < s.len && s.p[k] == '>') {
                    kind = SHL_R_APPEND;
                    k++;
                } else if (k < s.len && (s.p[k] == '&' || s.p[k] == '|')) {
                    kind = SHL_R_DUP;
                    k++;
                }
            }
            while (k < s.len && (s.p[k] == ' ' || s.p[k] == '\t'))
                k++;
            struct span t = read_word(l, &ps, s, &k, si);
            if (kind == SHL_R_DUP && t.len && !(t.p[0] >= '0' && t.p[0] <= '9') && t.p[0] != '-')
                kind = SHL_R_OUT;   /* >& file */
            if (l->nredirs < SHL_MAX_REDIRS)
                l->redir[l->nredirs++] = (struct shl_redir){ (uint8_t)kind, (uint8_t)si, t };
            else
                l->truncated = true;
            i = k;
            continue;
        }
        size_t before = i;
        struct span w = read_word(l, &ps, s, &i, si);
        if (i == before) {
            i++;   /* a stray operator byte */
            continue;
        }
        if (l->nwords < SHL_MAX_WORDS)
            l->word[l->nwords++] = w;
        else
            l->truncated = true;
    }
    seg_close(l, si, SHL_OP_END, &ps);
    if (depth + 1 >= SHL_MAX_DEPTH)
        return;
    for (unsigned n = 0; n < ps.nnested; n++)
        parse_into(l, ps.nested[n], ps.nested_parent[n], depth + 1);
}

void shl_parse(struct shl_line *l, struct span cmd)
{
    l->nwords = 0;
    l->nsegs = 0;
    l->nredirs = 0;
    l->used = 0;
    l->truncated = false;
    parse_into(l, cmd, -1, 0);
}

static struct {
    struct shl_line line;
    bool valid;                  /* key holds the bytes line was parsed from */
    size_t klen;
    char key[2048];              /* longer lines are parsed every time */
} shared;

const struct shl_line *shl_parse_shared(struct span cmd)
{
    if (shared.valid && shared.klen == cmd.len && memcmp(shared.key, cmd.p, cmd.len) == 0)
        return &shared.line;
    shl_parse(&shared.line, cmd);
    shared.valid = cmd.len <= sizeof(shared.key);
    if (shared.valid) {
        memcpy(shared.key, cmd.p, cmd.len);
        shared.klen = cmd.len;
    }
    return &shared.line;
}

struct span shl_arg(const struct shl_line *l, unsigned seg, unsigned i)
{
    if (seg >= l->nsegs || i >= l->seg[seg].nw)
        return SPAN_NULL;
    return l->word[l->seg[seg].w0 + i];
}

struct span shl_argv0(const struct shl_line *l, unsigned seg)
{
    struct span b = base(shl_arg(l, seg, 0));
    if (b.len > 4 && match_ieq(span_make(b.p + b.len - 4, 4), ".exe"))
        b.len -= 4;
    return b;
}
