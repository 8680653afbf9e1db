/* harness.h - drives one detector plugin in a unit test: a hand-built struct
 * vigil and conf (alerts.format none, no throttle, 24h learning), the
 * plugin's option defaults, records built by hand, and every emitted alert
 * captured through a watcher detector's on_alert (the same path the incident
 * correlator uses), so tests assert on rules, severities and messages. */
#ifndef VIGIL_TEST_HARNESS_H
#define VIGIL_TEST_HARNESS_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/alert.h"
#include "detectors/baseline.h"
#include "detectors/detector.h"
#include "sidecar/pipeline.h"
#include "sidecar/vigil.h"

#define TH_MAX_ALERTS 256
#define TH_T0 1764000000000000000LL   /* 2025-11-24T16:00:00Z, a Monday */

struct th_alert {
    char rule[48];
    enum severity severity;
    enum stage stage;
    char message[ALERT_MESSAGE_BYTES];
    char user[64];
    char evidence[ALERT_EVIDENCE_BYTES];
    int64_t ts;
};

struct th {
    struct vigil vg;
    struct bl_budget budget;        /* vg.budget points here */
    struct vigil_conf conf;
    struct detector det, cap;
    struct detector *list[2];
    struct th_alert alerts[TH_MAX_ALERTS];
    unsigned nalerts;
    struct record rec;
    char arena[RECORD_ARENA_MIN];
};

static struct th *th_current;

/* Alert records the stream would ship: not needed here (captured on_alert). */
void pipeline_emit(struct vigil *vg, struct record *r)
{
    (void)vg;
    (void)r;
}

static inline void th_copy(char *out, size_t cap, struct span s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    if (n)
        memcpy(out, s.p, n);
    out[n] = '\0';
}

static inline void th_capture(struct detector *d, const struct alert *a)
{
    (void)d;
    struct th *t = th_current;
    if (t->nalerts >= TH_MAX_ALERTS)
        return;
    struct th_alert *c = &t->alerts[t->nalerts++];
    th_copy(c->rule, sizeof(c->rule), span_cstr(a->rule));
    c->severity = a->severity;
    c->stage = a->stage;
    th_copy(c->message, sizeof(c->message), span_cstr(a->message));
    th_copy(c->user, sizeof(c->user), a->entity.user.len ? a->entity.user : a->entity.identity);
    c->evidence[0] = '\0';
    if (a->nevidence)
        th_copy(c->evidence, sizeof(c->evidence), a->evidence[0]);
    c->ts = a->ts;
}

static const struct detector_plugin th_capture_plugin = {
    .name = "capture", .on_alert = th_capture,
};

static inline int64_t th_duration_ms(const char *s)
{
    char *e;
    double v = strtod(s, &e);
    if (!strcmp(e, "ms"))
        return (int64_t)v;
    if (!strcmp(e, "s"))
        return (int64_t)(v * 1000);
    if (!strcmp(e, "m"))
        return (int64_t)(v * 60000);
    if (!strcmp(e, "h"))
        return (int64_t)(v * 3600000);
    if (!strcmp(e, "d"))
        return (int64_t)(v * 86400000);
    return (int64_t)(v * 1000);
}

/* Option defaults of the plugin's table, for the types detectors use. */
static inline void th_defaults(const struct conf_option *o, void *base)
{
    for (; o && o->key; o++) {
        char *f = (char *)base + o->offset;
        if (!o->def)
            continue;
        switch (o->type) {
        case CONF_INT: *(int64_t *)f = strtoll(o->def, NULL, 10); break;
        case CONF_DURATION: *(int64_t *)f = th_duration_ms(o->def); break;
        case CONF_DOUBLE: *(double *)f = strtod(o->def, NULL); break;
        case CONF_BOOL: *(bool *)f = !strcmp(o->def, "true"); break;
        case CONF_SIZE: *(uint64_t *)f = strtoull(o->def, NULL, 10); break;
        case CONF_ENUM:
            for (int k = 0; o->enums && o->enums[k]; k++)
                if (!strcmp(o->enums[k], o->def))
                    *(int *)f = k;
            break;
        default: break;
        }
    }
}

static inline void th_init(struct th *t, const struct detector_plugin *p)
{
    memset(t, 0, sizeof(*t));
    th_current = t;
    t->conf.detectors.learning_period_ms = 24 * 3600 * 1000LL;
    t->conf.detectors.enabled = true;
    t->conf.detectors.memory_max = 64ull << 20;
    t->conf.alerts.format = ALERT_FORMAT_NONE;
    t->conf.alerts.min_severity = SEV_INFO;
    t->conf.alerts.throttle_ms = 0;
    t->conf.alerts.evidence_lines = 5;
    t->conf.alerts.tag = (char *)"vigil.alert";
    t->vg.conf = &t->conf;
    t->vg.budget = &t->budget;
    t->budget.cap = 64ull << 20;
    t->budget.seed = 42;
    strcpy(t->vg.hostname, "web-1");
    t->det.plugin = p;
    t->det.ctx = calloc(1, p->ctx_size);
    cr_assert(t->det.ctx);
    t->det.vg = &t->vg;
    t->det.enabled = true;
    th_defaults(p->options, t->det.ctx);
    t->cap.plugin = &th_capture_plugin;
    t->cap.vg = &t->vg;
    t->cap.enabled = true;
    t->list[0] = &t->det;
    t->list[1] = &t->cap;
    t->vg.detectors = t->list;
    t->vg.ndetectors = 2;
    t->vg.alerts = alert_stream_new(&t->vg);
    cr_assert(p->init(&t->det) == 0);
    record_init(&t->rec, t->arena, sizeof(t->arena));
}

static inline void th_fini(struct th *t)
{
    if (t->det.plugin->destroy)
        t->det.plugin->destroy(&t->det);
    free(t->det.ctx);
    alert_stream_free(t->vg.alerts);
    telemetry_free(&t->vg.telemetry);   /* the alerts kept for GET /alerts */
}

/* A fresh record of kind k at ts; fill it, then th_observe(). */
static inline struct record *th_record(struct th *t, enum record_kind k, int64_t ts)
{
    record_reset(&t->rec);
    t->rec.kind = (uint8_t)k;
    t->rec.ts = t->rec.read_ts = ts;
    t->rec.host = SPAN_LIT("web-1");
    t->rec.tag = SPAN_LIT("app");
    return &t->rec;
}

static inline void th_observe(struct th *t)
{
    if (t->rec.ts > t->vg.event_now)
        t->vg.event_now = t->rec.ts;
    t->det.plugin->observe(&t->det, &t->rec);
}

static inline void th_shell(struct th *t, int64_t ts, const char *user, const char *cmd)
{
    struct record *r = th_record(t, KIND_SHELL, ts);
    record_set_str(r, RK_USER, span_cstr(user));
    record_set_str(r, RK_COMMAND, span_cstr(cmd));
    r->raw = span_cstr(cmd);
    th_observe(t);
}

static inline unsigned th_count(const struct th *t, const char *rule)
{
    unsigned n = 0;
    for (unsigned i = 0; i < t->nalerts; i++)
        n += !strcmp(t->alerts[i].rule, rule);
    return n;
}

static inline const struct th_alert *th_find(const struct th *t, const char *rule)
{
    for (unsigned i = t->nalerts; i-- > 0;)
        if (!strcmp(t->alerts[i].rule, rule))
            return &t->alerts[i];
    return NULL;
}

/* Emits a hand-made alert through the real stream (watchers see it). */
static inline void th_emit(struct th *t, int64_t ts, const char *rule, enum severity sev, enum stage st,
                    const char *user, const char *ip)
{
    struct alert a;
    memset(&a, 0, sizeof(a));
    a.ts = ts;
    a.rule = rule;
    a.detector = "test";
    a.severity = sev;
    a.stage = st;
    a.entity.user = span_cstr(user);
    a.entity.src_ip = span_cstr(ip);
    a.entity.host = SPAN_LIT("web-1");
    alert_printf(&a, "test alert %s", rule);
    alert_emit(&t->vg, &a);
}

static inline void th_clear(struct th *t)
{
    t->nalerts = 0;
}

/* A restart: saves the detector's snapshot, frees it, starts a fresh one and
 * loads the snapshot into it (the budget seed is kept, as the core does). */
static inline void th_reload(struct th *t)
{
    const struct detector_plugin *p = t->det.plugin;
    FILE *f = tmpfile();
    cr_assert(f);
    cr_assert_eq(p->save(&t->det, f), 0, "%s: save", p->name);
    th_fini(t);
    th_init(t, p);
    rewind(f);
    cr_assert_eq(p->load(&t->det, f), 0, "%s: load", p->name);
    fclose(f);
}

#endif
