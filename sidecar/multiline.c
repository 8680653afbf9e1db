/* multiline.c - joining lines into events (see multiline.h). Presets are
 * rows of a table: a runtime's "does this line continue the trace" test,
 * written from what the runtime prints (JVM stack traces with Caused by and
 * "... n more", CPython tracebacks with chained exceptions, Go panics with
 * their goroutine dumps, Ruby backtraces). */
#include "sidecar/multiline.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct multiline {
    int preset;
    regex_t start, cont;
    bool has_start, has_cont, indent;
    size_t max_lines, max_bytes;
    int64_t timeout_ms;
};

static bool indented(struct span l)
{
    return l.len > 0 && (l.p[0] == ' ' || l.p[0] == '\t');
}

static bool starts(struct span l, const char *prefix)
{
    return span_starts(l, span_cstr(prefix));
}

static bool is_blank(struct span l)
{
    for (size_t i = 0; i < l.len; i++)
        if (l.p[i] != ' ' && l.p[i] != '\t' && l.p[i] != '\r')
            return false;
    return true;
}

static bool java_continues(const struct ml_event *ev, struct span l)
{
    (void)ev;
    /* "\tat ...", "\t... 12 more", "\tSuppressed: ..." are indented */
    return indented(l) || starts(l, "Caused by: ");
}

#define PY_TRACEBACK "Traceback (most recent call last):"
#define PY_CHAIN_1 "During handling of the above exception, another exception occurred:"
#define PY_CHAIN_2 "The above exception was the direct cause of the following exception:"

/* `ValueError: x`, `mod.sub.Error`, `KeyboardInterrupt`: a dotted name, then
 * nothing or ": ". */
static bool py_exception_line(struct span l)
{
    size_t i = 0;
    while (i < l.len && (l.p[i] == '_' || l.p[i] == '.' || (l.p[i] >= 'a' && l.p[i] <= 'z') ||
                         (l.p[i] >= 'A' && l.p[i] <= 'Z') || (l.p[i] >= '0' && l.p[i] <= '9')))
        i++;
    return i > 0 && (i == l.len || l.p[i] == ':' || l.p[i] == '\r');
}

static bool python_continues(const struct ml_event *ev, struct span l)
{
    if (indented(l) && !is_blank(l))
        return true;
    if (!ev->traceback)
        return false;
    if (is_blank(l) || starts(l, PY_CHAIN_1) || starts(l, PY_CHAIN_2))
        return true;
    if (starts(l, PY_TRACEBACK))
        return ev->chain;
    return ev->last_indented && py_exception_line(l);
}

/* `main.main()`, `net/http.(*conn).serve(0xc000118000, {0x6c4b60, 0xc0000a2000})` */
static bool go_func_line(struct span l)
{
    const char *paren = memchr(l.p, '(', l.len);
    if (!paren || paren == l.p || memchr(l.p, ' ', (size_t)(paren - l.p)))
        return false;
    size_t n = l.len;
    while (n && l.p[n - 1] == '\r')
        n--;
    return n && (l.p[n - 1] == ')' || (n >= 5 && memcmp(l.p + n - 5, "{...}", 5) == 0));
}

static bool go_continues(const struct ml_event *ev, struct span l)
{
    if (!ev->go_panic)
        return indented(l) && !is_blank(l);
    return is_blank(l) || indented(l) || starts(l, "goroutine ") || starts(l, "created by ") ||
           starts(l, "[signal ") || starts(l, "exit status ") || starts(l, "panic: ") || go_func_line(l);
}

static bool ruby_continues(const struct ml_event *ev, struct span l)
{
    (void)ev;
    /* "\tfrom app.rb:3:in `<main>'" and "\t ... 12 levels..." */
    return indented(l) && !is_blank(l);
}

static const struct {
    const char *name;
    bool (*continues)(const struct ml_event *ev, struct span l);
} presets[] = {
    [ML_PRESET_NONE] = { "none", NULL },
    [ML_PRESET_JAVA] = { "java", java_continues },
    [ML_PRESET_PYTHON] = { "python", python_continues },
    [ML_PRESET_GO] = { "go", go_continues },
    [ML_PRESET_RUBY] = { "ruby", ruby_continues },
};

static bool enabled(const struct multiline_conf *c)
{
    return c->preset != ML_PRESET_NONE || c->start || c->cont || c->indent;
}

static int compile(regex_t *re, const char *key, const char *s, char *err, size_t errlen)
{
    int rc = regcomp(re, s, REG_EXTENDED | REG_NOSUB);
    if (rc == 0)
        return 0;
    char why[128];
    regerror(rc, re, why, sizeof(why));
    snprintf(err, errlen, "%s: bad regex '%.80s': %s", key, s, why);
    return -1;
}

int multiline_check(const struct multiline_conf *c, char *err, size_t errlen)
{
    bool off;
    struct multiline *ml = multiline_new(c, &off, err, errlen);
    if (!ml && !off)
        return -1;
    multiline_free(ml);
    return 0;
}

struct multiline *multiline_new(const struct multiline_conf *c, bool *off, char *err, size_t errlen)
{
    *off = !enabled(c);
    if (*off)
        return NULL;
    if (c->preset != ML_PRESET_NONE && (c->start || c->cont || c->indent)) {
        snprintf(err, errlen, "preset %s cannot be combined with start, continue or indent",
                 presets[c->preset].name);
        return NULL;
    }
    struct multiline *ml = calloc(1, sizeof(*ml));
    if (!ml) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ml->preset = c->preset;
    ml->indent = c->indent;
    ml->max_lines = (size_t)c->max_lines;
    ml->max_bytes = (size_t)c->max_bytes;
    ml->timeout_ms = c->timeout_ms;
    if (c->start) {
        if (compile(&ml->start, "start", c->start, err, errlen) < 0)
            goto fail;
        ml->has_start = true;
    }
    if (c->cont) {
        if (compile(&ml->cont, "continue", c->cont, err, errlen) < 0)
            goto fail;
        ml->has_cont = true;
    }
    return ml;
fail:
    multiline_free(ml);
    return NULL;
}

void multiline_free(struct multiline *ml)
{
    if (!ml)
        return;
    if (ml->has_start)
        regfree(&ml->start);
    if (ml->has_cont)
        regfree(&ml->cont);
    free(ml);
}

int64_t multiline_timeout_ms(const struct multiline *ml)
{
    return ml->timeout_ms;
}

size_t multiline_max_bytes(const struct multiline *ml)
{
    return ml->max_bytes;
}

static bool ml_match(const regex_t *re, struct span l)
{
    static const char empty[1] = "";
    regmatch_t m = { .rm_so = 0, .rm_eo = (regoff_t)l.len };
    return regexec(re, l.p ? l.p : empty, 1, &m, REG_STARTEND) == 0;
}

static bool rule_continues(const struct multiline *ml, const struct ml_event *ev, struct span l)
{
    if (presets[ml->preset].continues)
        return presets[ml->preset].continues(ev, l);
    if (ml->has_start && ml_match(&ml->start, l))
        return false;
    if (ml->has_cont || ml->indent)
        return (ml->has_cont && ml_match(&ml->cont, l)) || (ml->indent && indented(l) && !is_blank(l));
    return ml->has_start;
}

bool multiline_continues(const struct multiline *ml, const struct ml_event *ev, struct span line)
{
    if (!ev->held)
        return false;
    if (ev->nlines >= ml->max_lines || ev->len + 1 + line.len > ml->max_bytes)
        return false;
    return rule_continues(ml, ev, line);
}

static void note_line(struct ml_event *ev, struct span l, bool first)
{
    if (starts(l, PY_TRACEBACK))
        ev->traceback = true;
    if (!is_blank(l))
        ev->chain = starts(l, PY_CHAIN_1) || starts(l, PY_CHAIN_2);
    ev->last_indented = indented(l);
    if (first && (starts(l, "panic: ") || starts(l, "fatal error: ")))
        ev->go_panic = true;
}

int multiline_append(const struct multiline *ml, struct ml_event *ev, struct span line, uint64_t start_off,
                     bool truncated)
{
    char **b = &ev->buf[ev->cur];
    if (!*b && !(*b = malloc(ml->max_bytes)))
        return -1;
    if (!ev->held) {
        ev->len = 0;
        ev->nlines = 0;
        ev->cut = false;
        ev->start_off = start_off;
        ev->traceback = ev->chain = ev->last_indented = ev->go_panic = false;
    }
    size_t room = ml->max_bytes - ev->len;
    if (ev->nlines) {
        if (room) {
            (*b)[ev->len++] = '\n';
            room--;
        } else {
            ev->cut = true;
        }
    }
    size_t n = line.len;
    if (n > room) {
        n = room;
        ev->cut = true;
    }
    if (n)
        memcpy(*b + ev->len, line.p, n);
    ev->len += n;
    note_line(ev, line, ev->nlines == 0);
    ev->nlines++;
    ev->held = true;
    if (truncated)
        ev->cut = true;
    return 0;
}

struct span multiline_text(const struct ml_event *ev)
{
    return span_make(ev->buf[ev->cur] ? ev->buf[ev->cur] : "", ev->len);
}

void multiline_reset(struct ml_event *ev)
{
    ev->cur ^= 1u;
    ev->held = false;
    ev->len = 0;
    ev->nlines = 0;
    ev->has_ts = false;
}

void multiline_event_fini(struct ml_event *ev)
{
    free(ev->buf[0]);
    free(ev->buf[1]);
    memset(ev, 0, sizeof(*ev));
}
