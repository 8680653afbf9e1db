/* sigma_ac.c - Aho-Corasick (see sigma_ac.h). Built as a trie, then turned
 * into a DFA breadth first: a missing edge of a state is the edge of its
 * failure state. Each state keeps the literal ending there and a link to the
 * nearest failure ancestor that ends one, so every match is reported. */
#include "detectors/sigma_ac.h"

#include <stdlib.h>
#include <string.h>

struct sigma_ac {
    uint16_t cls[256];           /* byte -> class; 0 = a byte in no literal */
    unsigned ncls;
    int32_t *next;               /* state * ncls + class -> state; -1 = none (trie) */
    int32_t *out;                /* literal ending at state, -1 */
    int32_t *dict;               /* nearest failure ancestor with an out, -1 */
    int32_t *fail;
    size_t nstates, cap;
    /* literals, kept until built for the duplicate check and the classes */
    char **lit;
    size_t *len;
    size_t nlit, caplit;
    int built;
};

struct sigma_ac *sigma_ac_new(void)
{
    return calloc(1, sizeof(struct sigma_ac));
}

int32_t sigma_ac_add(struct sigma_ac *a, const char *p, size_t n)
{
    for (size_t i = 0; i < a->nlit; i++)
        if (a->len[i] == n && memcmp(a->lit[i], p, n) == 0)
            return (int32_t)i;
    if (a->nlit == a->caplit) {
        size_t c = a->caplit ? a->caplit * 2 : 64;
        char **l = realloc(a->lit, c * sizeof(*l));
        if (!l)
            return -1;
        a->lit = l;
        size_t *ln = realloc(a->len, c * sizeof(*ln));
        if (!ln)
            return -1;
        a->len = ln;
        a->caplit = c;
    }
    char *copy = malloc(n + 1);
    if (!copy)
        return -1;
    memcpy(copy, p, n);
    copy[n] = '\0';
    a->lit[a->nlit] = copy;
    a->len[a->nlit] = n;
    return (int32_t)a->nlit++;
}

static int32_t state_new(struct sigma_ac *a)
{
    if (a->nstates == a->cap) {
        size_t c = a->cap ? a->cap * 2 : 256;
        int32_t *nx = realloc(a->next, c * a->ncls * sizeof(*nx));
        if (!nx)
            return -1;
        a->next = nx;
        int32_t *arr[3] = { a->out, a->dict, a->fail };
        for (int k = 0; k < 3; k++) {
            int32_t *p = realloc(arr[k], c * sizeof(*p));
            if (!p)
                return -1;
            arr[k] = p;
        }
        a->out = arr[0];
        a->dict = arr[1];
        a->fail = arr[2];
        a->cap = c;
    }
    size_t s = a->nstates++;
    for (unsigned k = 0; k < a->ncls; k++)
        a->next[s * a->ncls + k] = -1;
    a->out[s] = a->dict[s] = -1;
    a->fail[s] = 0;
    return (int32_t)s;
}

int sigma_ac_build(struct sigma_ac *a)
{
    memset(a->cls, 0, sizeof(a->cls));
    a->ncls = 1;
    for (size_t i = 0; i < a->nlit; i++)
        for (size_t j = 0; j < a->len[i]; j++) {
            uint8_t b = (uint8_t)a->lit[i][j];
            if (!a->cls[b])
                a->cls[b] = (uint16_t)a->ncls++;
        }
    if (state_new(a) < 0)
        return -1;
    for (size_t i = 0; i < a->nlit; i++) {
        int32_t s = 0;
        for (size_t j = 0; j < a->len[i]; j++) {
            unsigned c = a->cls[(uint8_t)a->lit[i][j]];
            int32_t t = a->next[(size_t)s * a->ncls + c];
            if (t < 0) {
                if ((t = state_new(a)) < 0)
                    return -1;
                a->next[(size_t)s * a->ncls + c] = t;
            }
            s = t;
        }
        a->out[s] = (int32_t)i;
    }
    /* breadth first: states of depth d are complete before depth d+1 */
    int32_t *queue = malloc(a->nstates * sizeof(*queue));
    if (!queue)
        return -1;
    size_t qh = 0, qt = 0;
    for (unsigned c = 0; c < a->ncls; c++) {
        int32_t t = a->next[c];
        if (t < 0) {
            a->next[c] = 0;
        } else {
            a->fail[t] = 0;
            queue[qt++] = t;
        }
    }
    while (qh < qt) {
        int32_t s = queue[qh++];
        for (unsigned c = 0; c < a->ncls; c++) {
            int32_t t = a->next[(size_t)s * a->ncls + c];
            int32_t f = a->next[(size_t)a->fail[s] * a->ncls + c];
            if (t < 0) {
                a->next[(size_t)s * a->ncls + c] = f;
                continue;
            }
            a->fail[t] = f;
            a->dict[t] = a->out[f] >= 0 ? f : a->dict[f];
            queue[qt++] = t;
        }
    }
    free(queue);
    for (size_t i = 0; i < a->nlit; i++)
        free(a->lit[i]);
    free(a->lit);
    free(a->len);
    a->lit = NULL;
    a->len = NULL;
    a->nlit = 0;
    a->built = 1;
    return 0;
}

void sigma_ac_scan(const struct sigma_ac *a, const char *t, size_t n,
                   void (*hit)(void *arg, int32_t id), void *arg)
{
    if (!a->built || a->nstates <= 1)
        return;
    int32_t s = 0;
    for (size_t i = 0; i < n; i++) {
        s = a->next[(size_t)s * a->ncls + a->cls[(uint8_t)t[i]]];
        if (a->out[s] >= 0)
            hit(arg, a->out[s]);
        for (int32_t d = a->dict[s]; d >= 0; d = a->dict[d])
            hit(arg, a->out[d]);
    }
}

size_t sigma_ac_count(const struct sigma_ac *a)
{
    return a->built ? a->nstates : a->nlit;
}

void sigma_ac_free(struct sigma_ac *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->nlit; i++)
        free(a->lit[i]);
    free(a->lit);
    free(a->len);
    free(a->next);
    free(a->out);
    free(a->dict);
    free(a->fail);
    free(a);
}
