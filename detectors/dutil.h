/* dutil.h - the little each detector needs from the core: its learning
 * period in event time, a severity's default score, fixed-size keys made of
 * two parts ("alice" + "bastion-1") for pair tables, and fill-in of an alert
 * from the record that caused it. Header-only, static inline. */
#ifndef VIGIL_DUTIL_H
#define VIGIL_DUTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "detectors/alert.h"
#include "detectors/baseline.h"
#include "detectors/detector.h"
#include "sidecar/vigil.h"

/* A detector's snapshot is some fixed-size fields then some tables, in an
 * order the detector gives once for saving and loading alike. */
struct dutil_field {
    void *p;
    size_t n;
};

/* Writes (save) or reads the fields then the tables. 0, or -1 on any
 * short read/write or bad table (the core then starts the detector fresh). */
static inline int dutil_snapshot(FILE *f, bool save, const struct dutil_field *fields, size_t nf,
                                 struct bl_table *const *tables, size_t nt)
{
    for (size_t i = 0; i < nf; i++)
        if ((save ? fwrite(fields[i].p, fields[i].n, 1, f) : fread(fields[i].p, fields[i].n, 1, f)) != 1)
            return -1;
    for (size_t i = 0; i < nt; i++)
        if ((save ? bl_table_save(tables[i], f) : bl_table_load(tables[i], f)) < 0)
            return -1;
    return 0;
}

#define DUTIL_FIELD(x) { &(x), sizeof(x) }
#define DUTIL_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static inline int64_t dutil_learning_ns(const struct detector *d)
{
    if (d->vg && d->vg->conf)
        return d->vg->conf->detectors.learning_period_ms * 1000000LL;
    return 24 * NS_PER_HOUR;
}

static inline double dutil_score(enum severity s)
{
    static const double score[SEV__COUNT] = { 0.1, 0.3, 0.5, 0.75, 0.95 };
    return score[s < SEV__COUNT ? s : SEV_CRITICAL];
}

/* Writes a '\x1f'-joined key of a and b into out (BASELINE_KEY_BUF bytes);
 * a part too long for its half is replaced by a digest of it (bl_key_part),
 * so the key still tells apart parts that differ past the cut. */
static inline struct span dutil_pair(const struct bl_budget *bg, char *out, struct span a,
                                     struct span b)
{
    size_t n = bl_key_part(bg, out, BASELINE_KEY_BUF / 2, a);
    out[n++] = '\x1f';
    n += bl_key_part(bg, out + n, BASELINE_KEY_BUF - n, b);
    return span_make(out, n);
}

/* Starts an alert for record r: time, rule, detector, severity, stage, ATT&CK
 * ids, host and source; the caller adds entity fields and the message. */
static inline void dutil_alert(struct alert *a, const struct record *r, const char *rule,
                               const char *detector, enum severity sev, enum stage stage,
                               const char *const attack[3])
{
    memset(a, 0, sizeof(*a));
    a->ts = r->ts;
    a->rule = rule;
    a->detector = detector;
    a->severity = sev;
    a->score = dutil_score(sev);
    a->stage = stage;
    for (int i = 0; i < 3 && attack && attack[i]; i++)
        a->attack[i] = attack[i];
    a->entity.host = r->host;
    a->source = r->path;
}

/* Finds several top-level keys in one pass over the record (record_find is
 * a pass per key): out[i] is the first field named names[i], NULL if none. */
static inline void dutil_find_keys(const struct record *r, const struct span *names, size_t n,
                                   const struct field **out)
{
    for (size_t k = 0; k < n; k++)
        out[k] = NULL;
    for (uint32_t i = 0; i < r->nfields; i++) {
        const struct field *f = &r->fields[i];
        if (f->depth)
            continue;
        for (size_t k = 0; k < n; k++)
            if (!out[k] && span_eq(f->key, names[k])) {
                out[k] = f;
                break;
            }
    }
}

/* printf "%.*s" argument pair for a span, cut at max bytes. */
#define DSPAN(s, max) (int)((s).len < (max) ? (s).len : (max)), (s).p

#endif
