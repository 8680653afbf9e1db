/* shell_rules.c - the shell technique detector (`detectors.shell_rules`).
 * Each shell record's command line is cut into segments (shell_line.h) and
 * every row of shell_rules[] is tried on every segment. Three rules need a
 * per-user memory and are computed here before matching: the remote hosts a
 * user has used (lateral movement / exfiltration to a new host), files the
 * user just downloaded into a temp directory (drop then run), and the recent
 * recon commands (k distinct ones within a window make one recon_burst).
 * Evidence and messages carry the line with its secrets masked. */
#include "detectors/shell_rules.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/dutil.h"
#include "detectors/match.h"
#include "sidecar/hash.h"

#define RECON_RING 8
#define DROPS      4
#define FIRED_MAX  12
#define SR_SET_WORDS 2                 /* candidate sets of up to 128 rules */
#define SR_SLOTS   512                 /* literal argv0 index, power of two */

/* Which rules can hold for a segment depends first on its argv0, and most
 * rows name their commands as literals: an index from each literal argv0 to
 * the rows naming it, plus the rows every segment must try (no cmd, or a
 * glob cmd), turns ~70 rows scanned per segment into the few that apply. */
struct sr_slot {
    const char *lit;                   /* into a rule's cmd; NULL = empty */
    size_t len;
    uint64_t rules[SR_SET_WORDS];
};

struct sr_rules;

struct sr_index {
    uint64_t general[SR_SET_WORDS];    /* rows tried on every segment */
    /* Rows that cannot hold on a segment that writes no file, reads no
     * redirection or assigns no variable: dropped from the candidates. */
    uint64_t need_write[SR_SET_WORDS], need_read[SR_SET_WORDS], need_assign[SR_SET_WORDS];
    struct sr_slot slot[SR_SLOTS];
};

struct sr_user {
    int64_t recon_ts[RECON_RING];
    uint16_t recon_rule[RECON_RING];
    uint8_t recon_head;
    int64_t burst_at;                  /* last recon_burst, event time */
    uint32_t bursts;
    uint64_t drop_hash[DROPS];         /* basenames of files downloaded to temp dirs */
    int64_t drop_ts[DROPS];
    uint8_t drop_head;
    struct bl_set hosts;               /* usual remote hosts, for messages */
};

struct sr_ctx {
    int64_t recon_window_ms;           /* options */
    int64_t recon_min;
    int64_t drop_window_ms;
    struct bl_table *users;            /* user -> struct sr_user */
    struct bl_table *remotes;          /* user\x1fhost -> nothing */
    struct bl_table *seen;             /* user\x1frule -> nothing (hits count) */
    int64_t first_ts;
    struct sr_index index;
    struct sr_rules *rules;            /* the table compiled, see below */
    struct span cmd;                   /* the line being judged */
    const char *masked_for;            /* cmd.p once masked[] holds it */
    char masked[1024];
};

/* The current line with its secrets masked, made on the first alert only. */
static struct span masked_line(struct sr_ctx *c)
{
    if (c->masked_for != c->cmd.p) {
        mask_secrets(c->cmd, c->masked, sizeof(c->masked));
        c->masked_for = c->cmd.p;
    }
    return span_cstr(c->masked);
}

static const struct conf_option sr_options[] = {
    { "recon_window", CONF_DURATION, "5m", offsetof(struct sr_ctx, recon_window_ms), 1000, 86400000,
      "window in which distinct recon commands count towards one burst" },
    { "recon_min", CONF_INT, "4", offsetof(struct sr_ctx, recon_min), 2, RECON_RING,
      "distinct recon commands within recon_window that make a burst" },
    { "drop_window", CONF_DURATION, "1h", offsetof(struct sr_ctx, drop_window_ms), 1000, 604800000,
      "how long a file downloaded to a temp dir stays suspicious if run" },
    { 0 }
};

#define SHELLS_RUN "sh|bash|dash|zsh|ksh|ash|fish|busybox|python*|perl|ruby|php|node"

/* ---- compiled patterns ----
 * Every pattern of every row is cut once, at start, into its alternatives
 * with what rejects most words cheaply: literals compare by length, globs by
 * minimum length and their fixed first and last bytes, so glob_run only runs
 * on words that could match. */

enum { PF_CMD, PF_ARG, PF_ARG2, PF_NOT_ARG, PF_ANY, PF_WRITE, PF_READ, PF_PIPE_TO, PF_PIPE_FROM,
       PF_ASSIGN, PF__N };

struct sr_pat {
    uint16_t at, n;            /* alternatives alt[at .. at+n); n == 0: no condition */
};

struct sr_compiled {
    struct sr_pat f[PF__N];
};

static bool pat_match(const struct glob_alt *alt, struct sr_pat pt, struct span w)
{
    return match_alts(alt + pt.at, pt.n, w);
}

/* What the per-segment checks share, worked out once per segment. */
enum { WR_NONE, WR_TEE, WR_DD, WR_LAST };

struct seg_facts {
    struct span a0;            /* shl_argv0 */
    uint8_t writes;            /* how the segment writes files besides redirections */
    bool nested_shell;         /* inside $( ) of a shell, eval or source */
    bool declares;             /* export/declare/...: arguments are assignments */
    bool out_redir, in_redir;  /* the segment has > / >> or < redirections */
};

static bool arg_any(const struct shl_line *l, unsigned seg, const char *pat, bool first_only)
{
    unsigned n = l->seg[seg].nw;
    for (unsigned i = 1; i < n; i++) {
        if (match_glob_const(pat, shl_arg(l, seg, i)))
            return true;
        if (first_only)
            break;
    }
    return false;
}

static void seg_facts(const struct shl_line *l, unsigned seg, struct seg_facts *f)
{
    const struct shl_seg *s = &l->seg[seg];
    f->a0 = shl_argv0(l, seg);
    f->writes = WR_NONE;
    if (s->nw >= 2) {
        if (match_glob_const("tee", f->a0))
            f->writes = WR_TEE;
        else if (match_glob_const("dd", f->a0))
            f->writes = WR_DD;
        else if (match_glob_const("cp|mv|install|ln|rsync|truncate|touch", f->a0) ||
                 (match_glob_const("sed|perl", f->a0) && arg_any(l, seg, "-i|-i*", false)))
            f->writes = WR_LAST;
    }
    f->nested_shell = s->parent >= 0 &&
                      match_glob_const(SHELLS_RUN "|eval|source|.", shl_argv0(l, (unsigned)s->parent));
    f->declares = match_glob_const("export|declare|typeset|readonly|local", f->a0);
    f->out_redir = f->in_redir = false;
    for (unsigned i = 0; i < l->nredirs; i++)
        if (l->redir[i].seg == seg) {
            f->out_redir |= l->redir[i].kind == SHL_R_OUT || l->redir[i].kind == SHL_R_APPEND;
            f->in_redir |= l->redir[i].kind == SHL_R_IN;
        }
}

/* ---- matching ---- */

static bool arg_any_c(const struct shl_line *l, unsigned seg, const struct glob_alt *alt,
                      struct sr_pat pt, bool first_only)
{
    unsigned n = l->seg[seg].nw;
    for (unsigned i = 1; i < n; i++) {
        if (pat_match(alt, pt, shl_arg(l, seg, i)))
            return true;
        if (first_only)
            break;
    }
    return false;
}

static bool write_any(const struct shl_line *l, unsigned seg, const struct seg_facts *f,
                      const struct glob_alt *alt, struct sr_pat pt)
{
    for (unsigned i = 0; i < l->nredirs; i++)
        if (l->redir[i].seg == seg &&
            (l->redir[i].kind == SHL_R_OUT || l->redir[i].kind == SHL_R_APPEND) &&
            pat_match(alt, pt, l->redir[i].target))
            return true;
    unsigned n = l->seg[seg].nw;
    switch (f->writes) {
    case WR_TEE:
        for (unsigned i = 1; i < n; i++) {
            struct span w = shl_arg(l, seg, i);
            if (w.len && w.p[0] != '-' && pat_match(alt, pt, w))
                return true;
        }
        return false;
    case WR_DD:
        for (unsigned i = 1; i < n; i++) {
            struct span w = shl_arg(l, seg, i);
            if (w.len > 3 && memcmp(w.p, "of=", 3) == 0 && pat_match(alt, pt, span_from(w, 3)))
                return true;
        }
        return false;
    case WR_LAST:
        return pat_match(alt, pt, shl_arg(l, seg, n - 1));
    default:
        return false;
    }
}

static bool read_any(const struct shl_line *l, unsigned seg, const struct glob_alt *alt, struct sr_pat pt)
{
    for (unsigned i = 0; i < l->nredirs; i++)
        if (l->redir[i].seg == seg && l->redir[i].kind == SHL_R_IN &&
            pat_match(alt, pt, l->redir[i].target))
            return true;
    return false;
}

static bool any_word(const struct shl_line *l, unsigned seg, const struct glob_alt *alt, struct sr_pat pt)
{
    for (unsigned i = 0; i < l->seg[seg].nw; i++)
        if (pat_match(alt, pt, shl_arg(l, seg, i)))
            return true;
    for (unsigned i = 0; i < l->nredirs; i++)
        if (l->redir[i].seg == seg && pat_match(alt, pt, l->redir[i].target))
            return true;
    return false;
}

/* Does segment j run the program it reads on stdin (bash, bash -s, python -)? */
static bool runs_stdin(const struct shl_line *l, unsigned j)
{
    unsigned n = l->seg[j].nw;
    for (unsigned i = 1; i < n; i++) {
        struct span w = shl_arg(l, j, i);
        if (span_eq_cstr(w, "-") || span_eq_cstr(w, "-s") || span_eq_cstr(w, "--"))
            return true;
        if (w.len && w.p[0] == '-') {
            if (match_glob_const("-c|-e|-m|-*c", w))
                return false;
            continue;
        }
        return false;   /* a script file: stdin is data */
    }
    return true;
}

static bool assign_any(const struct shl_line *l, unsigned seg, const struct seg_facts *f,
                       const struct glob_alt *alt, struct sr_pat pt)
{
    const struct shl_seg *s = &l->seg[seg];
    for (unsigned i = 0; i < s->na; i++)
        if (pat_match(alt, pt, l->word[s->a0 + i]))
            return true;
    return f->declares && arg_any_c(l, seg, alt, pt, false);
}

static bool rule_match(const struct shell_rule *r, const struct sr_compiled *rc, const struct glob_alt *alt,
                       const struct shl_line *l, unsigned seg, const struct seg_facts *f,
                       bool new_remote, bool upload, bool drop_exec)
{
    const struct shl_seg *s = &l->seg[seg];
    if (r->cmd && (!f->a0.len || !pat_match(alt, rc->f[PF_CMD], f->a0)))
        return false;
    if ((r->flags & SR_NEW_REMOTE) && !new_remote)
        return false;
    if ((r->flags & SR_UPLOAD) && !upload)
        return false;
    if ((r->flags & SR_DOWNLOAD) && upload)
        return false;
    if ((r->flags & SR_DROP_EXEC) && !drop_exec)
        return false;
    if ((r->flags & SR_NESTED_SHELL) && !f->nested_shell)
        return false;
    bool first = (r->flags & SR_FIRST_WORD) != 0;
    if (r->arg && !arg_any_c(l, seg, alt, rc->f[PF_ARG], first))
        return false;
    if (r->arg2 && !arg_any_c(l, seg, alt, rc->f[PF_ARG2], false))
        return false;
    if (r->not_arg && arg_any_c(l, seg, alt, rc->f[PF_NOT_ARG], false))
        return false;
    if (r->any && !any_word(l, seg, alt, rc->f[PF_ANY]))
        return false;
    if (r->write && !write_any(l, seg, f, alt, rc->f[PF_WRITE]))
        return false;
    if (r->read && !read_any(l, seg, alt, rc->f[PF_READ]))
        return false;
    if (r->assign && !assign_any(l, seg, f, alt, rc->f[PF_ASSIGN]))
        return false;
    if (r->pipe_to) {
        bool hit = false;
        for (unsigned j = seg + 1; j < l->nsegs && l->seg[j - 1].op == SHL_OP_PIPE &&
                                   l->seg[j].parent == s->parent; j++)
            if (pat_match(alt, rc->f[PF_PIPE_TO], shl_argv0(l, j)) &&
                (!(r->flags & SR_STDIN_EXEC) || runs_stdin(l, j))) {
                hit = true;
                break;
            }
        if (!hit)
            return false;
    }
    if (r->pipe_from) {
        bool hit = false;
        for (unsigned j = seg; j-- > 0 && l->seg[j].op == SHL_OP_PIPE && l->seg[j].parent == s->parent;)
            if (pat_match(alt, rc->f[PF_PIPE_FROM], shl_argv0(l, j))) {
                hit = true;
                break;
            }
        if (!hit)
            return false;
    }
    return true;
}

static bool rule_compile(const struct shell_rule *r, struct sr_compiled *rc, struct glob_alt *alt,
                         size_t cap, size_t *used)
{
    const char *src[PF__N] = { r->cmd, r->arg, r->arg2, r->not_arg, r->any, r->write, r->read,
                               r->pipe_to, r->pipe_from, r->assign };
    for (int k = 0; k < PF__N; k++) {
        int n = match_compile(src[k], alt + *used, cap - *used);
        if (n < 0)
            return false;
        rc->f[k].at = (uint16_t)*used;
        rc->f[k].n = (uint16_t)n;
        *used += (size_t)n;
    }
    return true;
}

#define SR_ALTS 1536                   /* alternatives of all rows (about 850 today) */

struct sr_rules {
    struct sr_compiled rc[64 * SR_SET_WORDS];
    struct glob_alt alt[SR_ALTS];
};

/* Compiles the whole table; NULL when it outgrows the pools. */
static struct sr_rules *rules_compile(void)
{
    struct sr_rules *x = calloc(1, sizeof(*x));
    size_t used = 0;
    if (!x || shell_rules_count > 64 * SR_SET_WORDS)
        goto fail;
    for (size_t i = 0; i < shell_rules_count; i++)
        if (!rule_compile(&shell_rules[i], &x->rc[i], x->alt, SR_ALTS, &used))
            goto fail;
    return x;
fail:
    free(x);
    return NULL;
}

bool shell_rule_match(const struct shell_rule *r, const struct shl_line *l, unsigned seg,
                      bool new_remote, bool upload, bool drop_exec)
{
    struct glob_alt alt[512];
    struct sr_compiled rc;
    size_t used = 0;
    struct seg_facts f;
    if (seg >= l->nsegs || !rule_compile(r, &rc, alt, sizeof(alt) / sizeof(alt[0]), &used))
        return false;
    seg_facts(l, seg, &f);
    return rule_match(r, &rc, alt, l, seg, &f, new_remote, upload, drop_exec);
}

/* ---- per-user memory ---- */

static struct span basename_of(struct span w)
{
    for (size_t k = w.len; k-- > 0;)
        if (w.p[k] == '/')
            return span_from(w, k + 1);
    return w;
}

/* "user@host:path" / "rsync://host/path" -> host; empty for a local path. */
static struct span remote_word(struct span w)
{
    if (!w.len || w.p[0] == '/' || w.p[0] == '.' || w.p[0] == '~')
        return SPAN_NULL;
    if (w.len > 8 && memcmp(w.p, "rsync://", 8) == 0) {
        w = span_from(w, 8);
    } else {
        size_t k = 0;
        while (k < w.len && w.p[k] != ':' && w.p[k] != '/')
            k++;
        if (k == w.len || w.p[k] != ':')
            return SPAN_NULL;
    }
    for (size_t k = 0; k < w.len && w.p[k] != ':' && w.p[k] != '/'; k++)
        if (w.p[k] == '@') {
            w = span_from(w, k + 1);
            break;
        }
    size_t e = 0;
    while (e < w.len && w.p[e] != ':' && w.p[e] != '/')
        e++;
    return span_make(w.p, e);
}

/* The remote host of an ssh/scp/rsync/sftp segment; upload when the remote
 * side is the destination. Returns false when there is none. */
static bool remote_of(const struct shl_line *l, unsigned seg, struct span *host, bool *upload)
{
    struct span a0 = shl_argv0(l, seg);
    unsigned n = l->seg[seg].nw;
    *upload = false;
    if (match_glob_const("ssh|mosh|autossh|sftp", a0)) {
        for (unsigned i = 1; i < n; i++) {
            struct span w = shl_arg(l, seg, i);
            if (w.len && w.p[0] == '-') {
                if (w.len == 2 && strchr("bcDEeFIiJLlmOopQRSWwB", w.p[1]))
                    i++;
                continue;
            }
            if (w.len > 6 && memcmp(w.p, "ssh://", 6) == 0)
                w = span_from(w, 6);
            for (size_t k = 0; k < w.len; k++)
                if (w.p[k] == '@') {
                    w = span_from(w, k + 1);
                    break;
                }
            for (size_t k = 0; k < w.len; k++)
                if (w.p[k] == ':' || w.p[k] == '/') {
                    w.len = k;
                    break;
                }
            *host = w;
            *upload = match_glob_const("sftp", a0);
            return w.len > 0;
        }
        return false;
    }
    if (!match_glob_const("scp|rsync", a0))
        return false;
    struct span remote = SPAN_NULL;
    bool last_remote = false;
    for (unsigned i = 1; i < n; i++) {
        struct span w = shl_arg(l, seg, i);
        if (w.len && w.p[0] == '-') {
            if (w.len == 2 && strchr("cFiloPSJe", w.p[1]))
                i++;
            continue;
        }
        struct span h = remote_word(w);
        last_remote = h.len > 0;
        if (h.len && !remote.len)
            remote = h;
        if (h.len && last_remote)
            *host = h;
    }
    if (!remote.len)
        return false;
    *upload = last_remote;
    if (!last_remote)
        *host = remote;
    return true;
}

static uint64_t name_hash(const struct sr_ctx *c, struct detector *d, struct span path)
{
    (void)c;
    return bl_hash(d->vg->budget, basename_of(path));
}

static bool in_tmp(struct span p)
{
    return match_glob_const("/tmp/*|/dev/shm/*|/var/tmp/*|/run/shm/*", p);
}

static void note_download(struct detector *d, struct sr_ctx *c, struct sr_user *u,
                          const struct shl_line *l, unsigned seg, int64_t now)
{
    struct span a0 = shl_argv0(l, seg);
    if (!match_glob_const("curl|wget|fetch|aria2c|scp|tftp|ftp", a0))
        return;
    struct span out = SPAN_NULL;
    unsigned n = l->seg[seg].nw;
    for (unsigned i = 1; i < n; i++) {
        struct span w = shl_arg(l, seg, i);
        if ((span_eq_cstr(w, "-o") || span_eq_cstr(w, "-O") || span_eq_cstr(w, "--output") ||
             span_eq_cstr(w, "--output-document")) && i + 1 < n)
            out = shl_arg(l, seg, i + 1);
        else if (w.len > 2 && w.p[0] == '-' && (w.p[1] == 'o' || w.p[1] == 'O') && w.p[2] == '/')
            out = span_from(w, 2);
        else if (w.len > 18 && memcmp(w.p, "--output-document=", 18) == 0)
            out = span_from(w, 18);
    }
    if (match_glob_const("scp", a0) && n > 1)
        out = shl_arg(l, seg, n - 1);
    for (unsigned i = 0; i < l->nredirs; i++)
        if (l->redir[i].seg == seg && l->redir[i].kind == SHL_R_OUT)
            out = l->redir[i].target;
    if (!out.len || !in_tmp(out))
        return;
    u->drop_hash[u->drop_head] = name_hash(c, d, out);
    u->drop_ts[u->drop_head] = now;
    u->drop_head = (uint8_t)((u->drop_head + 1) % DROPS);
}

static bool dropped(struct detector *d, struct sr_ctx *c, const struct sr_user *u, struct span w,
                    int64_t now)
{
    if (!w.len)
        return false;
    uint64_t h = name_hash(c, d, w);
    for (unsigned i = 0; i < DROPS; i++)
        if (u->drop_ts[i] && u->drop_hash[i] == h && now - u->drop_ts[i] <= c->drop_window_ms * 1000000LL)
            return true;
    return false;
}

static bool drop_exec(struct detector *d, struct sr_ctx *c, const struct sr_user *u,
                      const struct shl_line *l, unsigned seg, int64_t now)
{
    struct span a0w = shl_arg(l, seg, 0), a0 = shl_argv0(l, seg);
    if (a0w.len && memchr(a0w.p, '/', a0w.len) && dropped(d, c, u, a0w, now))
        return true;
    if (match_glob_const("chmod|" SHELLS_RUN, a0))
        for (unsigned i = 1; i < l->seg[seg].nw; i++) {
            struct span w = shl_arg(l, seg, i);
            if (w.len && w.p[0] != '-' && w.p[0] != '+' && dropped(d, c, u, w, now))
                return true;
        }
    return false;
}

/* ---- rule index ---- */

static uint32_t lit_hash(const char *p, size_t n)
{
    return (uint32_t)hash_fnv1a(p, n, HASH_FNV_INIT);
}

static struct sr_slot *slot_for(struct sr_index *x, const char *p, size_t n, bool add)
{
    for (uint32_t h = lit_hash(p, n), k = 0; k < SR_SLOTS; k++) {
        struct sr_slot *sl = &x->slot[(h + k) & (SR_SLOTS - 1)];
        if (!sl->lit) {
            if (!add)
                return NULL;
            sl->lit = p;
            sl->len = n;
            return sl;
        }
        if (sl->len == n && memcmp(sl->lit, p, n) == 0)
            return sl;
    }
    return NULL;
}

/* Puts rule i under each literal of its cmd, or in general when a glob or
 * no cmd makes that impossible. Returns false when the index is full. */
static bool index_rule(struct sr_index *x, size_t i)
{
    const char *cmd = shell_rules[i].cmd;
    uint64_t bit = 1ull << (i & 63);
    bool wild = !cmd;
    for (const char *p = cmd; p && *p && !wild; p++)
        wild = *p == '*' || *p == '?' || *p == '~';
    if (wild) {
        x->general[i >> 6] |= bit;
        return true;
    }
    for (const char *p = cmd;;) {
        const char *e = p;
        while (*e && *e != '|')
            e++;
        if (e > p) {   /* an empty alternative never matches: cmd needs an argv0 */
            struct sr_slot *sl = slot_for(x, p, (size_t)(e - p), true);
            if (!sl)
                return false;
            sl->rules[i >> 6] |= bit;
        }
        if (!*e)
            return true;
        p = e + 1;
    }
}

static void index_build(struct sr_index *x)
{
    memset(x, 0, sizeof(*x));
    bool ok = shell_rules_count <= 64 * SR_SET_WORDS;
    for (size_t i = 0; ok && i < shell_rules_count; i++) {
        ok = index_rule(x, i);
        uint64_t bit = 1ull << (i & 63);
        if (shell_rules[i].write)
            x->need_write[i >> 6] |= bit;
        if (shell_rules[i].read)
            x->need_read[i >> 6] |= bit;
        if (shell_rules[i].assign)
            x->need_assign[i >> 6] |= bit;
    }
    if (ok)
        return;
    /* Too many rows for the sets: every segment tries every row. */
    memset(x, 0, sizeof(*x));
    for (size_t i = 0; i < shell_rules_count && i < 64 * SR_SET_WORDS; i++)
        x->general[i >> 6] |= 1ull << (i & 63);
}

static void candidates(const struct sr_index *x, const struct shl_line *l, unsigned seg,
                       const struct seg_facts *f, uint64_t out[SR_SET_WORDS])
{
    memcpy(out, x->general, sizeof(x->general));
    const struct sr_slot *sl = f->a0.len ? slot_for((struct sr_index *)x, f->a0.p, f->a0.len, false) : NULL;
    bool writes = f->out_redir || f->writes != WR_NONE;
    bool assigns = l->seg[seg].na > 0 || f->declares;
    for (unsigned w = 0; w < SR_SET_WORDS; w++) {
        if (sl)
            out[w] |= sl->rules[w];
        if (!writes)
            out[w] &= ~x->need_write[w];
        if (!f->in_redir)
            out[w] &= ~x->need_read[w];
        if (!assigns)
            out[w] &= ~x->need_assign[w];
    }
}

/* ---- alerts ---- */

static void emit(struct detector *d, struct sr_ctx *c, const struct record *r, struct span user,
                 const struct shell_rule *rule, const char *id, enum severity sev,
                 struct span argv0, const char *extra, bool peer_known)
{
    struct alert a;
    dutil_alert(&a, r, id, "shell_rules", sev, rule->stage, rule->attack);
    a.novelty = (rule->flags & SR_NOVELTY) != 0;
    a.peer_known = a.novelty && peer_known;
    a.entity.user = user;
    a.entity.command = argv0;
    char key[BASELINE_KEY_BUF];
    struct bl_head *h = bl_lookup(c->seen, dutil_pair(d->vg->budget, key, user, span_cstr(id)), r->ts, true, true);
    uint32_t before = h ? h->hits - 1 : 0;
    /* Habit is a baseline too: the fifth time over more than a learning
     * period, the same technique by the same user is one level lower. */
    bool habit = h && before >= 5 && r->ts - h->first_seen >= dutil_learning_ns(d);
    if (habit && a.severity > SEV_LOW) {
        a.severity--;
        a.score = dutil_score(a.severity);
    }
    struct span m = masked_line(c);
    alert_printf(&a, "%s by %.*s: `%.*s`", rule->what, DSPAN(user, 64), DSPAN(m, 240));
    if (extra && *extra)
        alert_printf(&a, " %s", extra);
    if (before == 0)
        alert_printf(&a, "; first time for %.*s", DSPAN(user, 64));
    else
        alert_printf(&a, "; %.*s did this %u time%s before%s", DSPAN(user, 64), before,
                     before == 1 ? "" : "s", habit ? " (habitual: severity lowered)" : "");
    alert_evidence(&a, m);
    alert_emit(d->vg, &a);
}

static void recon_note(struct detector *d, struct sr_ctx *c, const struct record *r,
                       struct span user, struct sr_user *u, uint16_t rule)
{
    int64_t win = c->recon_window_ms * 1000000LL;
    u->recon_rule[u->recon_head] = rule;
    u->recon_ts[u->recon_head] = r->ts;
    u->recon_head = (uint8_t)((u->recon_head + 1) % RECON_RING);
    const char *names[RECON_RING];
    unsigned distinct = 0;
    int64_t oldest = r->ts;
    for (unsigned i = 0; i < RECON_RING; i++) {
        if (!u->recon_ts[i] || r->ts - u->recon_ts[i] > win || u->recon_ts[i] > r->ts)
            continue;
        const char *id = shell_rules[u->recon_rule[i]].id;
        bool dup = false;
        for (unsigned k = 0; k < distinct; k++)
            dup |= strcmp(names[k], id) == 0;
        if (dup)
            continue;
        names[distinct++] = id;
        if (u->recon_ts[i] < oldest)
            oldest = u->recon_ts[i];
    }
    if (distinct < (unsigned)c->recon_min || (u->burst_at && r->ts - u->burst_at <= win))
        return;
    u->burst_at = r->ts;
    static const struct shell_rule burst = {
        .id = "shell.recon_burst", .stage = STAGE_DISCOVERY,
        .attack = { "T1033", "T1082", "T1016" },
    };
    struct alert a;
    dutil_alert(&a, r, burst.id, "shell_rules", SEV_MEDIUM, STAGE_DISCOVERY, burst.attack);
    a.entity.user = user;
    alert_printf(&a, "recon burst by %.*s: %u distinct discovery commands in %llds (",
                 DSPAN(user, 64), distinct, (long long)((r->ts - oldest) / NS_PER_SEC));
    for (unsigned k = 0; k < distinct; k++)
        alert_printf(&a, "%s%s", k ? ", " : "", names[k] + 6);
    if (u->bursts == 0)
        alert_printf(&a, "); first burst for %.*s", DSPAN(user, 64));
    else
        alert_printf(&a, "); %.*s had %u before", DSPAN(user, 64), u->bursts);
    u->bursts++;
    alert_evidence(&a, masked_line(c));
    alert_emit(d->vg, &a);
}

static void sr_observe(struct detector *d, const struct record *r)
{
    struct sr_ctx *c = d->ctx;
    struct span user = record_str(r, RK_USER);
    if (!user.len)
        user = SPAN_LIT("unknown");
    struct span cmd = record_str(r, RK_COMMAND);
    if (!cmd.len)
        cmd = r->raw;
    if (!cmd.len)
        return;
    if (!c->first_ts || r->ts < c->first_ts)
        c->first_ts = r->ts;
    struct bl_head *uh = bl_lookup(c->users, user, r->ts, true, true);
    if (!uh)
        return;
    int64_t learn = dutil_learning_ns(d);
    bool learned = r->ts - c->first_ts >= learn && r->ts - uh->first_seen >= learn;
    const struct shl_line *l = shl_parse_shared(cmd);
    c->masked_for = NULL;
    c->cmd = cmd;
    const char *fired[FIRED_MAX];
    unsigned nfired = 0;
    for (unsigned s = 0; s < l->nsegs; s++) {
        struct sr_user *u = bl_value(uh);
        struct span host = SPAN_NULL;
        bool upload = false, new_remote = false, host_known = false;
        char key[BASELINE_KEY_BUF], extra[256] = "";
        if (remote_of(l, s, &host, &upload)) {
            struct span k = dutil_pair(d->vg->budget, key, user, host);
            uint64_t kh = bl_hash(d->vg->budget, k);
            new_remote = !bl_lookup_h(c->remotes, k, kh, r->ts, false, true) && learned;
            char hkey[BASELINE_KEY_BUF];
            struct span hk = dutil_pair(d->vg->budget, hkey, SPAN_LIT("*"), host);
            uint64_t hkh = bl_hash(d->vg->budget, hk);
            host_known = bl_lookup_h(c->remotes, hk, hkh, r->ts, false, true) != NULL;
            if (!host_known)
                bl_lookup_h(c->remotes, hk, hkh, r->ts, true, true);
            if (new_remote) {
                char usual[160];
                bl_set_describe(&u->hosts, usual, sizeof(usual), 4);
                snprintf(extra, sizeof(extra), "(usual: %s; %s)", usual[0] ? usual : "none",
                         host_known ? "other users of this host did contact it" : "no user of this host ever did");
            }
            bl_lookup_h(c->remotes, k, kh, r->ts, true, true);
            /* u stays valid: entries never move, and only a create in
             * c->users could recycle this one */
            bl_set_add(&u->hosts, d->vg->budget, host, r->ts, 30 * NS_PER_DAY);
        }
        bool dexec = drop_exec(d, c, u, l, s, r->ts);
        note_download(d, c, u, l, s, r->ts);
        struct seg_facts facts;
        seg_facts(l, s, &facts);
        uint64_t cand[SR_SET_WORDS];
        candidates(&c->index, l, s, &facts, cand);
        for (size_t i = 0; i < shell_rules_count && i < 64 * SR_SET_WORDS; i++) {
            if (!((cand[i >> 6] >> (i & 63)) & 1u))
                continue;
            const struct shell_rule *rule = &shell_rules[i];
            bool dup = false;
            for (unsigned k = 0; k < nfired; k++)
                dup |= strcmp(fired[k], rule->id) == 0;
            if (dup || !rule_match(rule, &c->rules->rc[i], c->rules->alt, l, s, &facts, new_remote, upload, dexec))
                continue;
            if (nfired < FIRED_MAX)
                fired[nfired++] = rule->id;
            if (rule->flags & SR_RECON)
                recon_note(d, c, r, user, u, (uint16_t)i);
            /* A host other users of this machine reach (the bastion) is a
             * small step: the novelty weighs half (alert.c). */
            enum severity sev = rule->sev;
            if (sev > SEV_INFO)
                emit(d, c, r, user, rule, rule->id, sev, shl_argv0(l, s),
                     (rule->flags & SR_NEW_REMOTE) ? extra : NULL,
                     (rule->flags & SR_NEW_REMOTE) && host_known);
        }
    }
}

static int sr_init(struct detector *d)
{
    struct sr_ctx *c = d->ctx;
    index_build(&c->index);
    c->rules = rules_compile();
    if (!c->rules)
        return -1;
    c->users = bl_table_new(d->vg->budget, "shell_rules.users", sizeof(struct sr_user), 0);
    c->remotes = bl_table_new(d->vg->budget, "shell_rules.remotes", 0, 0);
    c->seen = bl_table_new(d->vg->budget, "shell_rules.seen", 0, 0);
    return c->users && c->remotes && c->seen ? 0 : -1;
}

static void sr_destroy(struct detector *d)
{
    struct sr_ctx *c = d->ctx;
    free(c->rules);
    c->rules = NULL;
    bl_table_free(c->users);
    bl_table_free(c->remotes);
    bl_table_free(c->seen);
}

static int sr_snapshot(struct detector *d, FILE *f, bool save)
{
    struct sr_ctx *c = d->ctx;
    const struct dutil_field fields[] = { DUTIL_FIELD(c->first_ts) };
    struct bl_table *const tables[] = { c->users, c->remotes, c->seen };
    return dutil_snapshot(f, save, fields, DUTIL_COUNT(fields), tables, DUTIL_COUNT(tables));
}

static int sr_save(struct detector *d, FILE *f)
{
    return sr_snapshot(d, f, true);
}

static int sr_load(struct detector *d, FILE *f)
{
    return sr_snapshot(d, f, false);
}

const struct detector_plugin detector_shell_rules = {
    .name = "shell_rules",
    .options = sr_options,
    .ctx_size = sizeof(struct sr_ctx),
    .kinds = KIND_BIT(KIND_SHELL),
    .init = sr_init,
    .observe = sr_observe,
    .save = sr_save,
    .load = sr_load,
    .destroy = sr_destroy,
    .snapshot_version = 1,
};
