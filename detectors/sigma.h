/* sigma.h - Sigma rules (https://sigmahq.io) compiled for vigil's records.
 * A rule set is loaded once (start, SIGHUP) from YAML files with libfyaml
 * (sigma_load.c), each rule's detection cut into selections of items, each
 * item a field and its compiled values (sigma_match.c), its condition into a
 * small tree (sigma_cond.c). A rule whose logsource or fields vigil has no
 * value for is kept out with the reason (sigma_map.c): never evaluated as
 * silently true or false. Evaluation (sigma_set.c) runs one Aho-Corasick
 * pass (sigma_ac.c) per field over the literals of every rule, so only the
 * rules with a literal present in the text, and the few that have none, are
 * evaluated. */
#ifndef VIGIL_SIGMA_H
#define VIGIL_SIGMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "detectors/alert.h"
#include "sidecar/span.h"

/* Fields vigil can give a rule a value for (sigma_map.c names them). */
#define SIGMA_ARGS 16
enum sigma_field {
    SF_COMMANDLINE, SF_IMAGE, SF_USER, SF_CURDIR, SF_TYPE, SF_A0,
    SF_KEYWORD = SF_A0 + SIGMA_ARGS,   /* keyword search: the command, or the raw line */
    SF__N
};

/* What a rule's logsource becomes on vigil's records. */
enum sigma_source { SS_NONE, SS_PROCESS, SS_EXECVE, SS_LINE, SS__N };

/* Why a rule is not evaluated (counted by --validate). */
#define SIGMA_SKIPS(X) \
    X(YAML, "yaml") X(NOT_RULE, "not-a-rule") X(CORRELATION, "correlation") \
    X(LOGSOURCE, "logsource") X(FIELD, "field") X(MODIFIER, "modifier") \
    X(VALUE, "value") X(REGEX, "regex") X(CONDITION, "condition") X(DUPLICATE, "duplicate-id") \
    X(STATUS, "status") X(EXCLUDED, "excluded")

enum sigma_skip {
#define X(id, name) SK_##id,
    SIGMA_SKIPS(X)
#undef X
    SK__N
};

const char *sigma_skip_name(enum sigma_skip s);

/* ---- compiled values ---- */

enum sigma_mkind { SM_GLOB, SM_RE, SM_CIDR, SM_NUM, SM_EXISTS, SM_NULL };
enum sigma_numop { SN_GT, SN_GTE, SN_LT, SN_LTE };

#define SIGMA_GLOB_STAR (-1)
#define SIGMA_GLOB_ONE  (-2)

struct sigma_pat {
    uint8_t kind;               /* enum sigma_mkind */
    uint8_t field;              /* enum sigma_field */
    bool cased;
    bool want;                  /* SM_EXISTS: exists: true/false */
    bool cont;                  /* another variant of the previous pattern's value
                                   (windash, base64offset): any variant holds it */
    uint8_t numop, cidr_fam, cidr_bits;
    int16_t *glob;              /* SM_GLOB: bytes (lowercase unless cased) and wildcards */
    uint32_t glob_len;
    char *lit;                  /* the longest fixed run, lowercase; NULL = no gate */
    uint32_t lit_len;
    int32_t lit_next;           /* next pattern with the same literal on the field, -1 */
    void *re;                   /* SM_RE: pcre2_code */
    double num;
    uint8_t cidr[16];
};

struct sigma_item {             /* field|modifiers: values */
    uint8_t field;
    bool all;                   /* every value must hold (|all), else any */
    uint32_t p0, np;            /* patterns pat[p0 .. p0+np) */
};

struct sigma_alt {              /* one map of a selection: all its items hold */
    uint32_t i0, ni;
};

struct sigma_sel {              /* a search identifier: any of its maps holds */
    char *name;
    uint32_t a0, na;
};

enum sigma_cop { SC_SEL, SC_AND, SC_OR, SC_NOT, SC_TRUE, SC_FALSE };

struct sigma_cnode {
    uint8_t op;                 /* enum sigma_cop */
    uint32_t a, b;              /* SC_SEL: selection index a; AND/OR: nodes a, b; NOT: a */
};

struct sigma_rule {
    char *id, *title, *author, *status, *level_name, *reference, *path;
    char *rule_name;            /* "sigma.<id>", interned: outlives the set */
    enum severity severity;
    enum stage stage;
    const char *attack[4];      /* interned "T1059.004" */
    enum sigma_source source;
    uint32_t s0, ns;            /* selections sel[s0 .. s0+ns) */
    uint32_t c0, nc;            /* condition nodes; root = c0 + nc - 1 */
    bool gated;                 /* cannot hold unless one of its literals is in the text */
    bool active;                /* evaluable and chosen (status, exclude) */
    char *falsepositives;
};

struct sigma_skipped {
    char *id, *title, *path, *reason;
    enum sigma_skip why;
};

struct sigma_ac;

struct sigma_set {
    struct sigma_rule *rule;
    size_t nrules, caprules;
    struct sigma_sel *sel;
    size_t nsel, capsel;
    struct sigma_alt *alt;
    size_t nalt, capalt;
    struct sigma_item *item;
    size_t nitem, capitem;
    struct sigma_pat *pat;
    size_t npat, cappat;
    struct sigma_cnode *cnode;
    size_t ncnode, capcnode;
    struct sigma_skipped *skipped;
    size_t nskipped, capskipped;
    unsigned files, loaded;
    unsigned skips[SK__N];
    unsigned by_source[SS__N];          /* evaluable rules per logsource */
    /* evaluation index (sigma_set.c) */
    struct sigma_ac *ac[SS__N][SF__N];  /* per source: only its rules' literals */
    int32_t *ac_first[SS__N][SF__N];    /* literal id -> first pattern */
    uint32_t *pat_rule;                 /* pattern -> rule */
    uint32_t *pat_item;                 /* pattern -> item */
    uint32_t *item_seen;                /* epoch: one of the item's literals was found */
    bool *item_gated;                   /* every value has a literal (and not |all) */
    uint32_t *ungated[SS__N];           /* active rules with no gate, per source */
    size_t nungated[SS__N];
    /* per-record scratch */
    uint32_t epoch;
    uint32_t *pat_seen, *rule_seen;     /* epoch stamps */
    uint8_t *pat_val;                   /* 0 false, 1 true, 2 unknown this epoch */
    uint8_t *pat_hit;                   /* the gate literal was found (stamp pat_seen) */
    uint32_t *cand;
    size_t ncand;
    void *re_match;                     /* pcre2 match data + context */
    char *lower;                        /* lowercased field values */
    size_t lower_cap;
    double load_ms;
};

struct sigma_opts {
    const char *min_status;             /* "experimental", "test" (default), "stable" */
    const char *const *exclude;
    size_t nexclude;
    const char *const *override_id;     /* overrides: id -> level (only lowers) */
    const char *const *override_level;
    size_t noverrides;
};

/* Loads every *.yml under each path (files or folders, recursively). A rule
 * that cannot load or be evaluated is recorded in set->skipped with the
 * reason; only running out of memory returns NULL. */
struct sigma_set *sigma_set_load(const char *const *paths, size_t npaths, const struct sigma_opts *o);
void sigma_set_free(struct sigma_set *s);
/* One line per skipped rule, then the counts. */
void sigma_set_report(const struct sigma_set *s, FILE *f);
void sigma_set_counts(const struct sigma_set *s, FILE *f, int indent);

/* One event: the values of its fields (a field may have several: an Image
 * typed without its directory stands for each bin folder's copy of it). */
#define SIGMA_MAX_VALUES 6
struct sigma_event {
    enum sigma_source source;
    struct span v[SF__N][SIGMA_MAX_VALUES];
    uint8_t nv[SF__N];
};

typedef void (*sigma_hit_fn)(void *arg, const struct sigma_rule *r);
/* Calls hit for every active rule of ev->source that holds on ev. */
void sigma_eval(struct sigma_set *s, const struct sigma_event *ev, sigma_hit_fn hit, void *arg);

/* ---- internals shared by the sigma_*.c files ---- */

/* sigma_map.c */
int sigma_field_lookup(const char *name, size_t len);
const char *sigma_field_name(enum sigma_field f);
bool sigma_field_on(enum sigma_source src, enum sigma_field f);
/* Fills ev from one command: its argv (word[0] as typed), the history's
 * user and working directory; scratch holds the joined command line and the
 * Image candidates. Returns the CommandLine. */
struct span sigma_event_command(struct sigma_event *ev, enum sigma_source src, const struct span *word,
                                unsigned nwords, struct span user, struct span pwd, char *scratch,
                                size_t cap);
void sigma_event_line(struct sigma_event *ev, struct span raw);
/* The logsource of a rule; SS_NONE with why set when vigil has none. */
enum sigma_source sigma_source_of(const char *product, const char *category, const char *service,
                                  char *why, size_t whylen);

/* sigma_match.c: compiles one value with its modifiers into patterns
 * appended to s->pat; returns the number added, or -1 with err. */
struct sigma_mods {
    bool contains, startswith, endswith, all, re, re_i, re_m, re_s, cidr, base64, base64offset,
         windash, exists, cased;
    int numop;                  /* -1 none */
};
int sigma_mods_parse(const char *spec, size_t len, struct sigma_mods *m, char *err, size_t errlen);
int sigma_pat_compile(struct sigma_set *s, uint8_t field, const struct sigma_mods *m,
                      const char *val, size_t len, bool is_null, char *err, size_t errlen);
void sigma_pat_free(struct sigma_pat *p);
/* Does p hold on value v (text as in the record; lower = lowercased copy)? */
bool sigma_pat_match(const struct sigma_pat *p, struct span v, struct span lower, void *re_match);
bool sigma_glob(const int16_t *g, uint32_t n, const char *t, size_t len);
void *sigma_re_scratch_new(void);
void sigma_re_scratch_free(void *m);

/* sigma_cond.c: parses cond for rule r (selections already in s); -1 + err. */
int sigma_cond_compile(struct sigma_set *s, struct sigma_rule *r, const char *cond, char *err,
                       size_t errlen);
/* Evaluates node n; sel(arg, i) gives selection i; unknown (2) propagates. */
int sigma_cond_eval(const struct sigma_set *s, uint32_t n, int (*sel)(void *arg, uint32_t i), void *arg);

/* sigma_set.c */
int sigma_set_index(struct sigma_set *s);
void *sigma_grow(void *p, size_t *cap, size_t need, size_t size);
char *sigma_intern(const char *s);

#endif
