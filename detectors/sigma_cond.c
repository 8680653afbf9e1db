/* sigma_cond.c - a Sigma condition compiled into a tree over the rule's
 * selections: and, or, not, parentheses, `1 of x*`, `all of x*`, `1 of them`,
 * `all of them` (the quantifiers are expanded at compile time into or/and
 * chains). Aggregations (`| count()`) and `near` are reported unsupported. */
#include <ctype.h>
#include <string.h>

#include "detectors/sigma.h"

#define COND_DEPTH 32

struct cparse {
    struct sigma_set *s;
    struct sigma_rule *r;
    const char *p;
    char tok[128];
    size_t toklen;
    int depth;
    char *err;
    size_t errlen;
};

/* Next token into c->tok: "(", ")", or a word; empty at the end. */
static void next(struct cparse *c)
{
    while (*c->p && isspace((unsigned char)*c->p))
        c->p++;
    c->toklen = 0;
    if (*c->p == '(' || *c->p == ')' || *c->p == '|') {
        c->tok[c->toklen++] = *c->p++;
    } else {
        while (*c->p && !isspace((unsigned char)*c->p) && *c->p != '(' && *c->p != ')' && *c->p != '|') {
            if (c->toklen < sizeof(c->tok) - 1)
                c->tok[c->toklen++] = *c->p;
            c->p++;
        }
    }
    c->tok[c->toklen] = '\0';
}

static bool is(const struct cparse *c, const char *w)
{
    return strcasecmp(c->tok, w) == 0;
}

static int64_t node(struct cparse *c, uint8_t op, uint32_t a, uint32_t b)
{
    struct sigma_cnode *n = sigma_grow(c->s->cnode, &c->s->capcnode, c->s->ncnode + 1, sizeof(*n));
    if (!n) {
        snprintf(c->err, c->errlen, "out of memory");
        return -1;
    }
    c->s->cnode = n;
    n[c->s->ncnode] = (struct sigma_cnode){ .op = op, .a = a, .b = b };
    return (int64_t)c->s->ncnode++;
}

static bool name_glob(const char *pat, const char *name)
{
    int16_t g[128];
    uint32_t n = 0;
    for (const char *q = pat; *q && n < 128; q++)
        g[n++] = *q == '*' ? SIGMA_GLOB_STAR : *q == '?' ? SIGMA_GLOB_ONE : (int16_t)(uint8_t)*q;
    return sigma_glob(g, n, name, strlen(name));
}

static int64_t expr(struct cparse *c);

static int64_t quant(struct cparse *c, bool all)
{
    next(c);
    if (!is(c, "of")) {
        snprintf(c->err, c->errlen, "expected 'of' after '%s'", all ? "all" : "1");
        return -1;
    }
    next(c);
    bool them = is(c, "them");
    int64_t acc = -1;
    for (uint32_t i = 0; i < c->r->ns; i++) {
        const char *name = c->s->sel[c->r->s0 + i].name;
        if (them ? name[0] == '_' : !name_glob(c->tok, name))
            continue;
        int64_t leaf = node(c, SC_SEL, c->r->s0 + i, 0);
        if (leaf < 0)
            return -1;
        acc = acc < 0 ? leaf : node(c, all ? SC_AND : SC_OR, (uint32_t)acc, (uint32_t)leaf);
        if (acc < 0)
            return -1;
    }
    if (acc < 0) {
        snprintf(c->err, c->errlen, "no selection matches '%.60s'", c->tok);
        return -1;
    }
    next(c);
    return acc;
}

static int64_t factor(struct cparse *c)
{
    if (++c->depth > COND_DEPTH) {
        snprintf(c->err, c->errlen, "condition nested too deep");
        return -1;
    }
    int64_t r;
    if (is(c, "not")) {
        next(c);
        int64_t a = factor(c);
        r = a < 0 ? -1 : node(c, SC_NOT, (uint32_t)a, 0);
    } else if (is(c, "(")) {
        next(c);
        r = expr(c);
        if (r >= 0 && !is(c, ")")) {
            snprintf(c->err, c->errlen, "missing ')'");
            r = -1;
        }
        if (r >= 0)
            next(c);
    } else if (is(c, "1") || is(c, "any")) {
        r = quant(c, false);
    } else if (is(c, "all")) {
        r = quant(c, true);
    } else if (!c->toklen || is(c, ")") || is(c, "and") || is(c, "or")) {
        snprintf(c->err, c->errlen, "expected a selection at '%.60s'", c->toklen ? c->tok : "end");
        r = -1;
    } else if (is(c, "|") || is(c, "near")) {
        snprintf(c->err, c->errlen, "aggregation and near are not supported");
        r = -1;
    } else {
        r = -1;
        for (uint32_t i = 0; i < c->r->ns && r < 0; i++)
            if (strcmp(c->s->sel[c->r->s0 + i].name, c->tok) == 0)
                r = node(c, SC_SEL, c->r->s0 + i, 0);
        if (r < 0)
            snprintf(c->err, c->errlen, "unknown selection '%.60s'", c->tok);
        else
            next(c);
    }
    c->depth--;
    return r;
}

static int64_t term(struct cparse *c)
{
    int64_t a = factor(c);
    while (a >= 0 && is(c, "and")) {
        next(c);
        int64_t b = factor(c);
        a = b < 0 ? -1 : node(c, SC_AND, (uint32_t)a, (uint32_t)b);
    }
    return a;
}

static int64_t expr(struct cparse *c)
{
    int64_t a = term(c);
    while (a >= 0 && is(c, "or")) {
        next(c);
        int64_t b = term(c);
        a = b < 0 ? -1 : node(c, SC_OR, (uint32_t)a, (uint32_t)b);
    }
    return a;
}

int sigma_cond_compile(struct sigma_set *s, struct sigma_rule *r, const char *cond, char *err,
                       size_t errlen)
{
    struct cparse c = { .s = s, .r = r, .p = cond, .err = err, .errlen = errlen };
    size_t first = s->ncnode;
    next(&c);
    int64_t root = expr(&c);
    if (root >= 0 && c.toklen) {
        if (is(&c, "|"))
            snprintf(err, errlen, "aggregation and near are not supported");
        else
            snprintf(err, errlen, "unexpected '%.60s'", c.tok);
        root = -1;
    }
    if (root < 0) {
        s->ncnode = first;
        return -1;
    }
    /* the root last: callers evaluate from c0 + nc - 1 */
    if ((size_t)root != s->ncnode - 1 && node(&c, SC_OR, (uint32_t)root, (uint32_t)root) < 0)
        return -1;
    if (r->nc == 0)
        r->c0 = (uint32_t)first;
    r->nc = (uint32_t)(s->ncnode - r->c0);
    return 0;
}

int sigma_cond_eval(const struct sigma_set *s, uint32_t n, int (*sel)(void *arg, uint32_t i), void *arg)
{
    const struct sigma_cnode *c = &s->cnode[n];
    int a, b;
    switch (c->op) {
    case SC_SEL:
        return sel(arg, c->a);
    case SC_NOT:
        a = sigma_cond_eval(s, c->a, sel, arg);
        return a == 2 ? 2 : !a;
    case SC_AND:
        a = sigma_cond_eval(s, c->a, sel, arg);
        if (a == 0)
            return 0;
        b = sigma_cond_eval(s, c->b, sel, arg);
        return b == 0 ? 0 : (a == 2 || b == 2) ? 2 : 1;
    case SC_OR:
        a = sigma_cond_eval(s, c->a, sel, arg);
        if (a == 1)
            return 1;
        b = sigma_cond_eval(s, c->b, sel, arg);
        return b == 1 ? 1 : (a == 2 || b == 2) ? 2 : 0;
    case SC_TRUE:
        return 1;
    default:
        return 0;
    }
}
