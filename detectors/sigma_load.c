/* sigma_load.c - Sigma rule files into a struct sigma_set. Every *.yml under
 * the given paths is read (bounded, UTF-8 checked before libfyaml, which
 * loops on some invalid input), its detection compiled against the fields of
 * its logsource. A rule that fails anywhere is rolled back and recorded with
 * its id, title and the reason; nothing but running out of memory stops the
 * load. */
#include <dirent.h>
#include <errno.h>
#include <libfyaml.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "detectors/sigma.h"
#include "detectors/sigma_ac.h"

#define RULE_FILE_MAX (1u << 20)
#define WALK_DEPTH    8
#define ERR_BYTES     256

struct loader {
    struct sigma_set *s;
    const struct sigma_opts *o;
    struct fy_diag *diag;
    int nomem;
};

static void diag_discard(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag; (void)user; (void)buf; (void)len;
}

static bool utf8_ok(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i], k;
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            k = 1;
        else if (c >= 0xe0 && c <= 0xef)
            k = 2;
        else if (c >= 0xf0 && c <= 0xf4)
            k = 3;
        else
            return false;
        for (unsigned j = 1; j <= k; j++)
            if (i + j >= n || (s[i + j] & 0xc0) != 0x80)
                return false;
        i += k + 1;
    }
    return true;
}

static char *xstrndup(const char *p, size_t n)
{
    char *r = malloc(n + 1);
    if (r) {
        memcpy(r, p, n);
        r[n] = '\0';
    }
    return r;
}

/* A scalar child's text (malloc'd), or NULL. */
static char *scalar_of(struct fy_node *map, const char *key)
{
    struct fy_node *n = map ? fy_node_mapping_lookup_by_string(map, key, FY_NT) : NULL;
    size_t len;
    const char *p;
    if (!n || fy_node_get_type(n) != FYNT_SCALAR || !(p = fy_node_get_scalar(n, &len)))
        return NULL;
    return xstrndup(p, len);
}

static int record_skip(struct loader *ld, const char *id, const char *title, const char *path,
                       enum sigma_skip why, const char *reason)
{
    struct sigma_set *s = ld->s;
    struct sigma_skipped *k = sigma_grow(s->skipped, &s->capskipped, s->nskipped + 1, sizeof(*k));
    if (!k)
        return -1;
    s->skipped = k;
    k = &k[s->nskipped];
    k->id = xstrndup(id ? id : "-", strlen(id ? id : "-"));
    k->title = xstrndup(title ? title : "-", strlen(title ? title : "-"));
    k->path = xstrndup(path, strlen(path));
    k->reason = xstrndup(reason, strlen(reason));
    k->why = why;
    if (!k->id || !k->title || !k->path || !k->reason) {
        free(k->id);
        free(k->title);
        free(k->path);
        free(k->reason);
        return -1;
    }
    s->nskipped++;
    s->skips[why]++;
    return 0;
}

/* ---- detection ---- */

struct mark {
    size_t nsel, nalt, nitem, npat, ncnode;
};

static void rollback(struct sigma_set *s, const struct mark *m)
{
    for (size_t i = m->npat; i < s->npat; i++)
        sigma_pat_free(&s->pat[i]);
    for (size_t i = m->nsel; i < s->nsel; i++)
        free(s->sel[i].name);
    s->nsel = m->nsel;
    s->nalt = m->nalt;
    s->nitem = m->nitem;
    s->npat = m->npat;
    s->ncnode = m->ncnode;
}

/* YAML null: no value, ~ or null, unquoted. */
static bool is_null(struct fy_node *v)
{
    if (!v)
        return true;
    if (fy_node_get_type(v) != FYNT_SCALAR || fy_node_get_style(v) != FYNS_PLAIN)
        return false;
    size_t len;
    const char *p = fy_node_get_scalar(v, &len);
    return !p || len == 0 || (len == 1 && p[0] == '~') || (len == 4 && strncasecmp(p, "null", 4) == 0);
}

static int value_add(struct sigma_set *s, struct sigma_item *it, const struct sigma_mods *m,
                     struct fy_node *v, char *err)
{
    bool null = is_null(v);
    const char *p = "";
    size_t len = 0;
    if (!null) {
        if (fy_node_get_type(v) != FYNT_SCALAR) {
            snprintf(err, ERR_BYTES, "a value of %s is not a scalar", sigma_field_name(it->field));
            return -1;
        }
        p = fy_node_get_scalar(v, &len);
        if (!p) {
            snprintf(err, ERR_BYTES, "unreadable value");
            return -1;
        }
    }
    int n = sigma_pat_compile(s, it->field, m, p, len, null, err, ERR_BYTES);
    if (n < 0)
        return -1;
    it->np += (uint32_t)n;
    return 0;
}

/* key "Field|mod|mod" (or "|all" for keywords) with its value(s). */
static int item_add(struct sigma_set *s, const struct sigma_rule *r, struct fy_node *key,
                    struct fy_node *val, bool keyword, enum sigma_skip *why, char *err)
{
    size_t klen = 0;
    const char *k = "";
    if (key) {
        k = fy_node_get_scalar(key, &klen);
        if (!k) {
            *why = SK_NOT_RULE;
            snprintf(err, ERR_BYTES, "a detection key is not a scalar");
            return -1;
        }
    }
    const char *bar = memchr(k, '|', klen);
    size_t flen = bar ? (size_t)(bar - k) : klen;
    struct sigma_mods m;
    if (sigma_mods_parse(bar ? bar + 1 : "", bar ? klen - flen - 1 : 0, &m, err, ERR_BYTES) < 0) {
        *why = SK_MODIFIER;
        return -1;
    }
    int f = SF_KEYWORD;
    if (!keyword && flen) {
        f = sigma_field_lookup(k, flen);
        if (f < 0 || !sigma_field_on(r->source, (enum sigma_field)f)) {
            *why = SK_FIELD;
            snprintf(err, ERR_BYTES, "field '%.*s' has no value on vigil's records for this logsource",
                     (int)(flen < 60 ? flen : 60), k);
            return -1;
        }
    } else if (!sigma_field_on(r->source, SF_KEYWORD)) {
        *why = SK_FIELD;
        snprintf(err, ERR_BYTES, "keyword search has no text on vigil's records for this logsource");
        return -1;
    }
    /* keywords are found anywhere in the text */
    if (f == SF_KEYWORD && !m.startswith && !m.endswith && !m.re && !m.exists && !m.cidr && m.numop < 0)
        m.contains = true;
    struct sigma_item *it = sigma_grow(s->item, &s->capitem, s->nitem + 1, sizeof(*it));
    if (!it)
        goto nomem;
    s->item = it;
    it = &it[s->nitem++];
    *it = (struct sigma_item){ .field = (uint8_t)f, .all = m.all, .p0 = (uint32_t)s->npat };
    *why = SK_VALUE;
    if (val && fy_node_get_type(val) == FYNT_SEQUENCE) {
        void *iter = NULL;
        struct fy_node *v;
        while ((v = fy_node_sequence_iterate(val, &iter)) != NULL)
            if (value_add(s, it, &m, v, err) < 0)
                return -1;
    } else if (value_add(s, it, &m, val, err) < 0) {
        return -1;
    }
    if (f == SF_TYPE) {
        /* vigil's commands are EXECVE records only */
        for (uint32_t i = 0; i < it->np; i++) {
            const struct sigma_pat *p = &s->pat[it->p0 + i];
            if (p->kind != SM_GLOB || p->glob_len != 6 || !p->lit || strcmp(p->lit, "execve") != 0) {
                *why = SK_FIELD;
                snprintf(err, ERR_BYTES, "auditd record types other than EXECVE have no vigil record");
                return -1;
            }
        }
    }
    return 0;
nomem:
    *why = SK_VALUE;
    snprintf(err, ERR_BYTES, "out of memory");
    return -1;
}

static int alt_open(struct sigma_set *s, struct sigma_sel *sel)
{
    struct sigma_alt *a = sigma_grow(s->alt, &s->capalt, s->nalt + 1, sizeof(*a));
    if (!a)
        return -1;
    s->alt = a;
    a[s->nalt] = (struct sigma_alt){ .i0 = (uint32_t)s->nitem };
    s->nalt++;
    sel->na++;
    return 0;
}

static int map_alt(struct sigma_set *s, const struct sigma_rule *r, struct sigma_sel *sel,
                   struct fy_node *map, enum sigma_skip *why, char *err)
{
    if (alt_open(s, sel) < 0)
        return -1;
    size_t ai = s->nalt - 1;
    void *iter = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(map, &iter)) != NULL) {
        struct fy_node *k = fy_node_pair_key(pr);
        size_t kl;
        const char *ks = k ? fy_node_get_scalar(k, &kl) : NULL;
        bool kw = ks && kl && ks[0] == '|';
        if (item_add(s, r, k, fy_node_pair_value(pr), kw, why, err) < 0)
            return -1;
        s->alt[ai].ni++;
    }
    return 0;
}

static int selection_add(struct sigma_set *s, struct sigma_rule *r, const char *name, size_t nlen,
                         struct fy_node *v, enum sigma_skip *why, char *err)
{
    struct sigma_sel *sel = sigma_grow(s->sel, &s->capsel, s->nsel + 1, sizeof(*sel));
    if (!sel)
        return -1;
    s->sel = sel;
    sel = &sel[s->nsel];
    *sel = (struct sigma_sel){ .name = xstrndup(name, nlen), .a0 = (uint32_t)s->nalt };
    if (!sel->name)
        return -1;
    s->nsel++;
    r->ns++;
    enum fy_node_type t = v ? fy_node_get_type(v) : FYNT_SCALAR;
    if (t == FYNT_MAPPING)
        return map_alt(s, r, sel, v, why, err);
    bool maps = false, scalars = false;
    if (t == FYNT_SEQUENCE) {
        void *iter = NULL;
        struct fy_node *e;
        while ((e = fy_node_sequence_iterate(v, &iter)) != NULL) {
            maps |= fy_node_get_type(e) == FYNT_MAPPING;
            scalars |= fy_node_get_type(e) != FYNT_MAPPING;
        }
        if (maps && scalars) {
            *why = SK_NOT_RULE;
            snprintf(err, ERR_BYTES, "selection '%.40s' mixes maps and keywords", sel->name);
            return -1;
        }
    }
    if (maps) {
        void *iter = NULL;
        struct fy_node *e;
        while ((e = fy_node_sequence_iterate(v, &iter)) != NULL)
            if (map_alt(s, r, &s->sel[s->nsel - 1], e, why, err) < 0)
                return -1;
        return 0;
    }
    /* a keyword list (or a single keyword) */
    if (alt_open(s, &s->sel[s->nsel - 1]) < 0)
        return -1;
    size_t ai = s->nalt - 1;
    if (item_add(s, r, NULL, v, true, why, err) < 0)
        return -1;
    s->alt[ai].ni++;
    return 0;
}

/* ---- metadata ---- */

static const struct { const char *tag; enum stage st; } tactics[] = {
    { "reconnaissance", STAGE_RECON }, { "resource-development", STAGE_RECON },
    { "initial-access", STAGE_INITIAL_ACCESS }, { "execution", STAGE_EXECUTION },
    { "persistence", STAGE_PERSISTENCE }, { "privilege-escalation", STAGE_PRIVILEGE_ESCALATION },
    { "defense-evasion", STAGE_DEFENSE_EVASION }, { "credential-access", STAGE_CREDENTIAL_ACCESS },
    { "discovery", STAGE_DISCOVERY }, { "lateral-movement", STAGE_LATERAL_MOVEMENT },
    { "collection", STAGE_COLLECTION }, { "command-and-control", STAGE_COMMAND_AND_CONTROL },
    { "exfiltration", STAGE_EXFILTRATION }, { "impact", STAGE_IMPACT },
};

static void tags_apply(struct sigma_rule *r, struct fy_node *tags)
{
    if (!tags || fy_node_get_type(tags) != FYNT_SEQUENCE)
        return;
    void *iter = NULL;
    struct fy_node *t;
    unsigned na = 0;
    while ((t = fy_node_sequence_iterate(tags, &iter)) != NULL) {
        size_t len;
        const char *p = fy_node_get_type(t) == FYNT_SCALAR ? fy_node_get_scalar(t, &len) : NULL;
        if (!p || len < 8 || len > 40 || strncasecmp(p, "attack.", 7) != 0)
            continue;
        char buf[48];
        memcpy(buf, p + 7, len - 7);
        buf[len - 7] = '\0';
        if ((buf[0] == 't' || buf[0] == 'T') && buf[1] >= '0' && buf[1] <= '9') {
            if (na < 4) {
                for (char *q = buf; *q; q++)
                    *q = (char)(*q == 't' ? 'T' : *q);
                r->attack[na] = sigma_intern(buf);
                if (r->attack[na])
                    na++;
            }
            continue;
        }
        for (char *q = buf; *q; q++)
            if (*q == '_')
                *q = '-';
        for (size_t k = 0; k < sizeof(tactics) / sizeof(tactics[0]); k++)
            if (r->stage == STAGE_NONE && strcasecmp(buf, tactics[k].tag) == 0)
                r->stage = tactics[k].st;
    }
}

static const char *const levels[] = { "informational", "low", "medium", "high", "critical" };
static const char *const statuses[] = { "deprecated", "unsupported", "experimental", "test", "stable" };

static int rank(const char *const *names, size_t n, const char *v, int def)
{
    for (size_t i = 0; v && i < n; i++)
        if (strcasecmp(names[i], v) == 0)
            return (int)i;
    return def;
}

static char *join_list(struct fy_node *seq)
{
    if (!seq)
        return NULL;
    if (fy_node_get_type(seq) == FYNT_SCALAR) {
        size_t len;
        const char *p = fy_node_get_scalar(seq, &len);
        return p ? xstrndup(p, len) : NULL;
    }
    if (fy_node_get_type(seq) != FYNT_SEQUENCE)
        return NULL;
    char buf[1024];
    size_t o = 0;
    void *iter = NULL;
    struct fy_node *e;
    while ((e = fy_node_sequence_iterate(seq, &iter)) != NULL) {
        size_t len;
        const char *p = fy_node_get_type(e) == FYNT_SCALAR ? fy_node_get_scalar(e, &len) : NULL;
        if (!p)
            continue;
        int n = snprintf(buf + o, sizeof(buf) - o, "%s%.*s", o ? "; " : "", (int)(len < 300 ? len : 300), p);
        if (n < 0 || (size_t)n >= sizeof(buf) - o)
            break;
        o += (size_t)n;
    }
    buf[o] = '\0';
    return xstrndup(buf, o);
}

static char *first_of(struct fy_node *seq)
{
    if (seq && fy_node_get_type(seq) == FYNT_SEQUENCE) {
        void *iter = NULL;
        struct fy_node *e = fy_node_sequence_iterate(seq, &iter);
        size_t len;
        const char *p = e && fy_node_get_type(e) == FYNT_SCALAR ? fy_node_get_scalar(e, &len) : NULL;
        if (p)
            return xstrndup(p, len);
    }
    return NULL;
}

static void rule_free_strings(struct sigma_rule *r)
{
    free(r->id);
    free(r->title);
    free(r->author);
    free(r->status);
    free(r->level_name);
    free(r->reference);
    free(r->path);
    free(r->falsepositives);
}

static bool listed(const char *const *v, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] && id && strcmp(v[i], id) == 0)
            return true;
    return false;
}

/* Compiles the rule of doc; returns -1 only on ENOMEM. */
static int rule_load(struct loader *ld, struct fy_node *root, const char *path)
{
    struct sigma_set *s = ld->s;
    struct sigma_rule r = { 0 };
    char err[ERR_BYTES] = "";
    enum sigma_skip why = SK_NOT_RULE;
    struct mark mk = { s->nsel, s->nalt, s->nitem, s->npat, s->ncnode };
    r.id = scalar_of(root, "id");
    r.title = scalar_of(root, "title");
    if (root && fy_node_mapping_lookup_by_string(root, "correlation", FY_NT)) {
        why = SK_CORRELATION;
        snprintf(err, sizeof(err), "correlation rules are not supported");
        goto skip;
    }
    struct fy_node *det = root ? fy_node_mapping_lookup_by_string(root, "detection", FY_NT) : NULL;
    struct fy_node *ls = root ? fy_node_mapping_lookup_by_string(root, "logsource", FY_NT) : NULL;
    if (!r.title || !det || fy_node_get_type(det) != FYNT_MAPPING || !ls || fy_node_get_type(ls) != FYNT_MAPPING) {
        snprintf(err, sizeof(err), "no title, logsource or detection");
        goto skip;
    }
    s->loaded++;
    char *product = scalar_of(ls, "product"), *category = scalar_of(ls, "category"),
         *service = scalar_of(ls, "service");
    char lswhy[128] = "";
    r.source = sigma_source_of(product, category, service, lswhy, sizeof(lswhy));
    free(product);
    free(category);
    free(service);
    if (r.source == SS_NONE) {
        why = SK_LOGSOURCE;
        snprintf(err, sizeof(err), "%s", lswhy[0] ? lswhy : "logsource has no vigil record");
        goto skip;
    }
    for (size_t i = 0; i < s->nrules; i++)
        if (r.id && strcmp(s->rule[i].id, r.id) == 0) {
            why = SK_DUPLICATE;
            snprintf(err, sizeof(err), "id already loaded from %.120s", s->rule[i].path);
            goto skip;
        }
    r.s0 = (uint32_t)s->nsel;
    struct fy_node *cond = NULL;
    void *iter = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(det, &iter)) != NULL) {
        size_t kl;
        struct fy_node *k = fy_node_pair_key(pr);
        const char *ks = k && fy_node_get_type(k) == FYNT_SCALAR ? fy_node_get_scalar(k, &kl) : NULL;
        if (!ks) {
            snprintf(err, sizeof(err), "a detection key is not a scalar");
            goto skip;
        }
        if (kl == 9 && memcmp(ks, "condition", 9) == 0) {
            cond = fy_node_pair_value(pr);
            continue;
        }
        if (kl == 9 && memcmp(ks, "timeframe", 9) == 0) {
            why = SK_CONDITION;
            snprintf(err, sizeof(err), "timeframe is not supported");
            goto skip;
        }
        if (selection_add(s, &r, ks, kl, fy_node_pair_value(pr), &why, err) < 0) {
            if (!err[0])
                goto nomem;
            goto skip;
        }
    }
    char *ctext = cond ? join_list(cond) : NULL;
    if (cond && fy_node_get_type(cond) == FYNT_SEQUENCE && ctext) {
        /* several conditions: any of them */
        char *joined = malloc(strlen(ctext) * 2 + 8);
        if (joined) {
            size_t o = 0;
            joined[o++] = '(';
            for (const char *q = ctext; *q; q++) {
                if (q[0] == ';' && q[1] == ' ') {
                    memcpy(joined + o, ") or (", 6);
                    o += 6;
                    q++;
                } else {
                    joined[o++] = *q;
                }
            }
            joined[o++] = ')';
            joined[o] = '\0';
        }
        free(ctext);
        ctext = joined;
    }
    why = SK_CONDITION;
    if (!ctext || sigma_cond_compile(s, &r, ctext, err, sizeof(err)) < 0) {
        if (!err[0])
            snprintf(err, sizeof(err), "no condition");
        free(ctext);
        goto skip;
    }
    free(ctext);
    /* metadata */
    r.status = scalar_of(root, "status");
    r.level_name = scalar_of(root, "level");
    r.author = scalar_of(root, "author");
    r.reference = first_of(fy_node_mapping_lookup_by_string(root, "references", FY_NT));
    r.falsepositives = join_list(fy_node_mapping_lookup_by_string(root, "falsepositives", FY_NT));
    r.path = xstrndup(path, strlen(path));
    if (!r.id) {
        const char *b = strrchr(path, '/');
        b = b ? b + 1 : path;
        size_t n = strcspn(b, ".");
        r.id = xstrndup(b, n);
    }
    int lv = rank(levels, 5, r.level_name, 2);
    for (size_t i = 0; i < ld->o->noverrides; i++)
        if (ld->o->override_id[i] && strcmp(ld->o->override_id[i], r.id ? r.id : "") == 0) {
            int ov = rank(levels, 5, ld->o->override_level[i], lv);
            if (ov < lv)
                lv = ov;
        }
    r.severity = (enum severity)lv;       /* informational .. critical = SEV_INFO .. SEV_CRITICAL */
    tags_apply(&r, fy_node_mapping_lookup_by_string(root, "tags", FY_NT));
    char name[128];
    snprintf(name, sizeof(name), "sigma.%.100s", r.id ? r.id : "rule");
    r.rule_name = sigma_intern(name);
    if (!r.path || !r.id || !r.rule_name)
        goto nomem;
    r.active = true;
    s->by_source[r.source]++;
    int need = rank(statuses, 5, ld->o->min_status ? ld->o->min_status : "test", 3);
    if (rank(statuses, 5, r.status, 3) < need) {
        r.active = false;
        s->skips[SK_STATUS]++;
    } else if (listed(ld->o->exclude, ld->o->nexclude, r.id)) {
        r.active = false;
        s->skips[SK_EXCLUDED]++;
    }
    struct sigma_rule *rr = sigma_grow(s->rule, &s->caprules, s->nrules + 1, sizeof(*rr));
    if (!rr)
        goto nomem;
    s->rule = rr;
    rr[s->nrules++] = r;
    return 0;
skip:
    rollback(s, &mk);
    if (record_skip(ld, r.id, r.title, path, why, err) < 0)
        goto nomem;
    rule_free_strings(&r);
    return 0;
nomem:
    rollback(s, &mk);
    rule_free_strings(&r);
    return -1;
}

static int file_load(struct loader *ld, const char *path)
{
    FILE *f = fopen(path, "rb");
    char why[160];
    if (!f) {
        snprintf(why, sizeof(why), "cannot open: %s", strerror(errno));
        return record_skip(ld, NULL, NULL, path, SK_YAML, why);
    }
    char *buf = malloc(RULE_FILE_MAX + 1);
    if (!buf) {
        fclose(f);
        return -1;
    }
    size_t n = fread(buf, 1, RULE_FILE_MAX + 1, f);
    fclose(f);
    ld->s->files++;
    int rc = 0;
    if (n > RULE_FILE_MAX) {
        rc = record_skip(ld, NULL, NULL, path, SK_YAML, "file larger than 1MiB");
    } else if (!utf8_ok((const unsigned char *)buf, n)) {
        rc = record_skip(ld, NULL, NULL, path, SK_YAML, "not UTF-8 text");
    } else {
        struct fy_parse_cfg pc = { .flags = FYPCF_QUIET, .diag = ld->diag };
        struct fy_document *doc = n ? fy_document_build_from_string(&pc, buf, n) : NULL;
        struct fy_node *root = doc ? fy_document_root(doc) : NULL;
        if (!root || fy_node_get_type(root) != FYNT_MAPPING) {
            char msg[160] = "not a YAML mapping";
            void *it = NULL;
            struct fy_diag_error *e = fy_diag_errors_iterate(ld->diag, &it);
            if (e)
                snprintf(msg, sizeof(msg), "YAML %d:%d: %.100s", e->line, e->column, e->msg);
            rc = record_skip(ld, NULL, NULL, path, SK_YAML, msg);
        } else {
            rc = rule_load(ld, root, path);
        }
        fy_diag_reset_error(ld->diag);
        fy_document_destroy(doc);
    }
    free(buf);
    return rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_rule_file(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && strcmp(name + n - 4, ".yml") == 0) || (n > 5 && strcmp(name + n - 5, ".yaml") == 0);
}

/* Folders recursively, in name order so the load is the same everywhere. */
static int walk(struct loader *ld, const char *path, int depth, bool top)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        char why[160];
        snprintf(why, sizeof(why), "cannot read: %s", strerror(errno));
        return record_skip(ld, NULL, NULL, path, SK_YAML, why);
    }
    if (S_ISREG(st.st_mode))
        return top || is_rule_file(path) ? file_load(ld, path) : 0;
    if (!S_ISDIR(st.st_mode) || depth > WALK_DEPTH)
        return 0;
    DIR *d = opendir(path);
    if (!d)
        return 0;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && rc == 0) {
        if (e->d_name[0] == '.')
            continue;
        char **nn = sigma_grow(names, &cap, n + 1, sizeof(*names));
        size_t pl = strlen(path) + strlen(e->d_name) + 2;
        char *full = nn ? malloc(pl) : NULL;
        if (nn)
            names = nn;
        if (!full) {
            rc = -1;
            break;
        }
        snprintf(full, pl, "%s/%s", path, e->d_name);
        names[n++] = full;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), name_cmp);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            rc = walk(ld, names[i], depth + 1, false);
        free(names[i]);
    }
    free(names);
    return rc;
}

struct sigma_set *sigma_set_load(const char *const *paths, size_t npaths, const struct sigma_opts *o)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    static const struct sigma_opts defaults = { .min_status = "test" };
    struct loader ld = { .o = o ? o : &defaults };
    ld.s = calloc(1, sizeof(*ld.s));
    if (!ld.s)
        return NULL;
    struct fy_diag_cfg dc;
    fy_diag_cfg_default(&dc);
    dc.fp = NULL;
    dc.output_fn = diag_discard;
    dc.user = NULL;
    dc.colorize = false;
    ld.diag = fy_diag_create(&dc);
    if (!ld.diag)
        goto fail;
    fy_diag_set_collect_errors(ld.diag, true);
    for (size_t i = 0; i < npaths; i++)
        if (paths[i] && walk(&ld, paths[i], 0, true) < 0)
            goto fail;
    fy_diag_destroy(ld.diag);
    ld.diag = NULL;
    if (sigma_set_index(ld.s) < 0)
        goto fail;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ld.s->load_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    return ld.s;
fail:
    if (ld.diag)
        fy_diag_destroy(ld.diag);
    sigma_set_free(ld.s);
    return NULL;
}

void sigma_set_free(struct sigma_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nrules; i++)
        rule_free_strings(&s->rule[i]);
    for (size_t i = 0; i < s->nsel; i++)
        free(s->sel[i].name);
    for (size_t i = 0; i < s->npat; i++)
        sigma_pat_free(&s->pat[i]);
    for (size_t i = 0; i < s->nskipped; i++) {
        free(s->skipped[i].id);
        free(s->skipped[i].title);
        free(s->skipped[i].path);
        free(s->skipped[i].reason);
    }
    for (int k = 0; k < SS__N; k++)
        for (int f = 0; f < SF__N; f++) {
            sigma_ac_free(s->ac[k][f]);
            free(s->ac_first[k][f]);
        }
    free(s->pat_item);
    free(s->item_seen);
    free(s->item_gated);
    for (int k = 0; k < SS__N; k++)
        free(s->ungated[k]);
    free(s->rule);
    free(s->sel);
    free(s->alt);
    free(s->item);
    free(s->pat);
    free(s->cnode);
    free(s->skipped);
    free(s->pat_rule);
    free(s->pat_seen);
    free(s->rule_seen);
    free(s->pat_val);
    free(s->pat_hit);
    free(s->cand);
    sigma_re_scratch_free(s->re_match);
    free(s->lower);
    free(s);
}
