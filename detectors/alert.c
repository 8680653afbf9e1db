/* alert.c - the alert stream: filter, throttle, print, ship, correlate.
 *
 * Throttling is per (rule, entity) in event time, like everything detectors
 * do, so a replay throttles exactly as live did. The first alert of a window
 * is printed; repeats inside alerts.throttle are only counted, unless they are
 * more severe than what was printed (an escalation is never hidden). When the
 * window has closed, alert_stream_tick prints one "repeated N times" line.
 * The throttle table is a bl_table with its own small budget, so a flood of
 * distinct entities evicts old windows instead of growing.
 *
 * Every byte that came from a log is escaped before it reaches stdout: text
 * lines through esc_text, JSON through esc_json (sidecar/escape.h). Evidence lines start
 * with EVIDENCE_MARK, so no log line can pass for an alert line. */
#include "detectors/alert.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "detectors/baseline.h"
#include "detectors/detector.h"
#include "sidecar/buf.h"
#include "sidecar/clock.h"
#include "sidecar/escape.h"
#include "sidecar/timestamp.h"
#include "sidecar/log.h"
#include "sidecar/pipeline.h"
#include "sidecar/vigil.h"

#define EVIDENCE_MARK       "    | "
#define THROTTLE_BUDGET     (4u * 1024 * 1024)  /* ~5000 (rule, entity) windows */
#define THROTTLE_MSG_BYTES  256                 /* of the last repeat, for the report */
#define RULE_SLOTS          64                  /* rules with a rate cap */
#define RULE_MAX_PER_MIN    100                 /* alerts of one rule per event minute */
#define THROTTLE_ENT_BYTES  64                  /* entity values kept for the summary */
#define ENTITY_FIELDS       6

struct throttle {
    const char *rule, *detector;        /* static strings of the detector */
    const char *attack[4];
    int64_t start, last;                /* window start (the printed alert), last repeat */
    uint32_t repeats;                   /* counted, not printed, since start */
    uint8_t printed_sev, max_sev, stage;
    float score;
    uint8_t elen[ENTITY_FIELDS];
    char ent[ENTITY_FIELDS][THROTTLE_ENT_BYTES];
    uint16_t msglen;
    char msg[THROTTLE_MSG_BYTES];       /* the last repeat's message, cut */
};

struct alert_stream {
    struct vigil *vg;
    bool color;
    unsigned depth;                     /* alert_emit nesting through on_alert */
    struct bl_budget budget;            /* the throttle table's own cap */
    struct bl_table *throttle;
    /* Per-rule cap: distinct entities escape the (rule, entity) throttle, so
     * a flood of sources could still flood stdout. Past RULE_MAX_PER_MIN in
     * an event minute a rule is counted, then reported in one line. */
    struct rule_rate {
        const char *rule;               /* static string of the detector */
        const char *detector;
        int64_t minute;                 /* event minute of the counts */
        uint32_t printed, suppressed;
        uint8_t max_sev, stage;
    } rates[RULE_SLOTS];
    struct buf out;                     /* the formatted line, reused */
    struct buf json;                    /* the alert as JSON for GET /alerts, reused */
    struct record rec;                  /* the alert as an event, reused */
    char arena[RECORD_ARENA_MIN];
};

static const char *const severity_names[SEV__COUNT] = { "info", "low", "medium", "high", "critical" };
static const char *const severity_upper[SEV__COUNT] = { "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL" };
static const char *const severity_colors[SEV__COUNT] = {
    "\033[2m", "\033[36m", "\033[33m", "\033[31m", "\033[1;97;41m"
};
static const char *const stage_names[STAGE__COUNT] = {
#define X(id, name) name,
    ALERT_STAGES(X)
#undef X
};
static const char *const entity_keys[ENTITY_FIELDS] = {
    "user", "src_ip", "host", "identity", "dst_host", "command"
};

const char *severity_name(enum severity s)
{
    return (unsigned)s < SEV__COUNT ? severity_names[s] : "?";
}

int severity_parse(const char *s)
{
    for (int i = 0; i < SEV__COUNT; i++)
        if (s && strcmp(s, severity_names[i]) == 0)
            return i;
    return -1;
}

const char *stage_name(enum stage s)
{
    return (unsigned)s < STAGE__COUNT ? stage_names[s] : "none";
}

void alert_printf(struct alert *a, const char *fmt, ...)
{
    size_t len = strnlen(a->message, sizeof(a->message));
    if (len >= sizeof(a->message) - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->message + len, sizeof(a->message) - len, fmt, ap);
    va_end(ap);
}

void alert_evidence(struct alert *a, struct span line)
{
    if (a->nevidence < ALERT_MAX_EVIDENCE && line.len)
        a->evidence[a->nevidence++] = line;
}

static void entity_spans(const struct alert_entity *e, struct span out[ENTITY_FIELDS])
{
    out[0] = e->user;
    out[1] = e->src_ip;
    out[2] = e->host;
    out[3] = e->identity;
    out[4] = e->dst_host;
    out[5] = e->command;
}

/* ---- formatting ---- */

static int put(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

static int put_escaped(struct buf *b, struct span s, size_t cap, char quote)
{
    char tmp[ALERT_MESSAGE_BYTES * 4 + 8];
    if (cap > sizeof(tmp))
        cap = sizeof(tmp);
    size_t n = esc_text(tmp, cap, s.p ? s.p : "", s.len, quote);
    return buf_append(b, tmp, n);
}

static bool needs_quotes(struct span s)
{
    if (!s.len)
        return true;
    for (size_t i = 0; i < s.len; i++)
        if (s.p[i] == ' ' || s.p[i] == '"' || s.p[i] == '=' || s.p[i] == '[')
            return true;
    return false;
}

int alert_to_text(struct buf *out, const struct alert *a, bool color)
{
    char when[40];
    struct span ent[ENTITY_FIELDS];
    enum severity sev = (unsigned)a->severity < SEV__COUNT ? a->severity : SEV_INFO;
    int rc = 0;
    ts_format_rfc3339(a->ts, 0, when, sizeof(when));
    rc |= put(out, when);
    rc |= put(out, " ");
    if (color)
        rc |= put(out, severity_colors[sev]);
    char sevbuf[16];
    snprintf(sevbuf, sizeof(sevbuf), "%-8s", severity_upper[sev]);
    rc |= put(out, sevbuf);
    if (color)
        rc |= put(out, "\033[0m");
    rc |= put(out, " ");
    rc |= put_escaped(out, span_cstr(a->rule ? a->rule : "?"), 128, 0);
    entity_spans(&a->entity, ent);
    for (int i = 0; i < ENTITY_FIELDS; i++) {
        if (!ent[i].len)
            continue;
        bool q = needs_quotes(ent[i]);
        rc |= put(out, " ");
        rc |= put(out, entity_keys[i]);
        rc |= put(out, q ? "=\"" : "=");
        rc |= put_escaped(out, ent[i], 256, q ? '"' : 0);
        if (q)
            rc |= put(out, "\"");
    }
    rc |= put(out, " ");
    rc |= put_escaped(out, span_make(a->message, strnlen(a->message, sizeof(a->message))),
                      sizeof(a->message) * 4, 0);
    if (a->attack[0]) {
        rc |= put(out, " [");
        for (int i = 0; i < 4 && a->attack[i]; i++) {
            if (i)
                rc |= put(out, " ");
            rc |= put_escaped(out, span_cstr(a->attack[i]), 32, 0);
        }
        rc |= put(out, "]");
    }
    for (unsigned i = 0; i < a->nevidence && i < ALERT_MAX_EVIDENCE; i++) {
        rc |= put(out, "\n" EVIDENCE_MARK);
        rc |= put_escaped(out, a->evidence[i], ALERT_EVIDENCE_BYTES * 4 + 4, 0);
    }
    return rc ? -1 : 0;
}

/* Appends s, cut at maxlen bytes, as a JSON string. */
static int json_str(struct buf *b, struct span s, size_t maxlen)
{
    return esc_json(b, s.p, s.len < maxlen ? s.len : maxlen);
}

int alert_to_json(struct buf *out, const struct alert *a)
{
    char tmp[64];
    struct span ent[ENTITY_FIELDS];
    enum severity sev = (unsigned)a->severity < SEV__COUNT ? a->severity : SEV_INFO;
    double score = a->score < 0 ? 0 : a->score > 1 ? 1 : a->score;
    int rc = 0;
    ts_format_rfc3339(a->ts, 3, tmp, sizeof(tmp));
    rc |= put(out, "{\"ts\":\"");
    rc |= put(out, tmp);
    rc |= put(out, "\",\"rule\":");
    rc |= json_str(out, span_cstr(a->rule ? a->rule : ""), 128);
    rc |= put(out, ",\"detector\":");
    rc |= json_str(out, span_cstr(a->detector ? a->detector : ""), 128);
    snprintf(tmp, sizeof(tmp), ",\"severity\":\"%s\",\"score\":%.2f,\"stage\":\"",
             severity_names[sev], score);
    rc |= put(out, tmp);
    rc |= put(out, stage_name(a->stage));
    rc |= put(out, "\",\"entity\":{");
    entity_spans(&a->entity, ent);
    bool first = true;
    for (int i = 0; i < ENTITY_FIELDS; i++) {
        if (!ent[i].len)
            continue;
        rc |= put(out, first ? "\"" : ",\"");
        rc |= put(out, entity_keys[i]);
        rc |= put(out, "\":");
        rc |= json_str(out, ent[i], 1024);
        first = false;
    }
    rc |= put(out, "},\"attack\":[");
    for (int i = 0; i < 4 && a->attack[i]; i++) {
        if (i)
            rc |= put(out, ",");
        rc |= json_str(out, span_cstr(a->attack[i]), 32);
    }
    rc |= put(out, "],\"message\":");
    rc |= json_str(out, span_make(a->message, strnlen(a->message, sizeof(a->message))),
                   sizeof(a->message));
    rc |= put(out, ",\"evidence\":[");
    for (unsigned i = 0; i < a->nevidence && i < ALERT_MAX_EVIDENCE; i++) {
        if (i)
            rc |= put(out, ",");
        rc |= json_str(out, a->evidence[i], ALERT_EVIDENCE_BYTES);
    }
    rc |= put(out, "],\"source\":");
    rc |= json_str(out, a->source, PATH_MAX_BYTES);
    rc |= put(out, "}");
    return rc ? -1 : 0;
}

/* ---- the stream ---- */

struct alert_stream *alert_stream_new(struct vigil *vg)
{
    struct alert_stream *as = calloc(1, sizeof(*as));
    if (!as)
        return NULL;
    as->vg = vg;
    int color = vg->conf ? vg->conf->alerts.color : COLOR_AUTO;
    as->color = color == COLOR_ALWAYS || (color == COLOR_AUTO && isatty(STDOUT_FILENO));
    as->budget.cap = THROTTLE_BUDGET;
    if (getrandom(&as->budget.seed, sizeof(as->budget.seed), GRND_NONBLOCK) !=
        (ssize_t)sizeof(as->budget.seed))
        as->budget.seed ^= (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid();
    as->throttle = bl_table_new(&as->budget, "alert.throttle", sizeof(struct throttle));
    if (!as->throttle)
        goto fail;
    record_init(&as->rec, as->arena, sizeof(as->arena));
    return as;
fail:
    alert_stream_free(as);
    return NULL;
}

void alert_stream_free(struct alert_stream *as)
{
    if (!as)
        return;
    bl_table_free(as->throttle);
    buf_free(&as->out);
    buf_free(&as->json);
    free(as);
}

static void record_add_cstr(struct record *r, const char *key, const char *val)
{
    record_add_str(r, span_cstr(key), span_cstr(val));
}

/* The alert as an event the outputs can match (tag alerts.tag) and ship. */
static void ship(struct vigil *vg, struct alert_stream *as, const struct alert *a,
                 unsigned nevidence)
{
    struct record *r = &as->rec;
    struct span ent[ENTITY_FIELDS];
    record_reset(r);
    r->kind = KIND_ALERT;
    r->ts = a->ts;
    /* read "now": a->ts is event time, maybe days old in a replay, and the
     * pipeline latency of the alert's batch is measured from read_ts */
    r->read_ts = vigil_wall_ns();
    r->ts_from_line = true;
    r->tag = span_cstr(vg->conf && vg->conf->alerts.tag ? vg->conf->alerts.tag : "vigil.alert");
    r->input = SPAN_LIT("alerts");
    r->path = a->source;
    r->host = span_cstr(vg->hostname);
    r->raw = span_make(a->message, strnlen(a->message, sizeof(a->message)));
    record_set_str(r, RK_RULE, span_cstr(a->rule ? a->rule : ""));
    record_add_cstr(r, "detector", a->detector ? a->detector : "");
    record_set_str(r, RK_SEVERITY, span_cstr(severity_name(a->severity)));
    record_add_double(r, SPAN_LIT("score"), a->score);
    record_add_cstr(r, "stage", stage_name(a->stage));
    if (record_open(r, SPAN_LIT("entity"), FT_MAP) >= 0) {
        entity_spans(&a->entity, ent);
        for (int i = 0; i < ENTITY_FIELDS; i++)
            if (ent[i].len)
                record_add_str(r, span_cstr(entity_keys[i]), ent[i]);
        record_close(r);
    }
    if (record_open(r, SPAN_LIT("attack"), FT_ARRAY) >= 0) {
        for (int i = 0; i < 4 && a->attack[i]; i++)
            record_add_str(r, SPAN_NULL, span_cstr(a->attack[i]));
        record_close(r);
    }
    if (record_open(r, SPAN_LIT("evidence"), FT_ARRAY) >= 0) {
        for (unsigned i = 0; i < nevidence; i++) {
            struct span e = a->evidence[i];
            if (e.len > ALERT_EVIDENCE_BYTES)
                e.len = ALERT_EVIDENCE_BYTES;
            record_add_str(r, SPAN_NULL, e);
        }
        record_close(r);
    }
    if (a->source.len)
        record_add_str(r, SPAN_LIT("source"), a->source);
    pipeline_emit(vg, r);
}

/* Counts a for /metrics and keeps its JSON for GET /alerts, whatever stdout
 * shows. The ring keeps TELEMETRY_ALERT_JSON bytes and GET /alerts serves
 * them as they are, so an object cut there would break the whole answer: a
 * longer alert is kept without its evidence, then without its source, then
 * without its entity and with half its message (which then always fits). */
static void remember(struct vigil *vg, struct alert_stream *as, const struct alert *shown)
{
    struct alert a = *shown;
    const char *json = "{}";
    size_t len = 2;
    for (int step = 0;; step++) {
        as->json.len = 0;
        if (alert_to_json(&as->json, &a) < 0)
            break;
        if (as->json.len <= TELEMETRY_ALERT_JSON) {
            json = (const char *)as->json.p;
            len = as->json.len;
            break;
        }
        if (step == 0) {
            a.nevidence = 0;
        } else if (step == 1) {
            a.source = SPAN_NULL;
        } else if (step == 2) {
            memset(&a.entity, 0, sizeof(a.entity));
            a.message[ALERT_MESSAGE_BYTES / 2] = 0;
        } else {
            break;          /* cannot happen: step 2 fits; keep "{}" */
        }
    }
    telemetry_alert(&vg->telemetry, a.rule ? a.rule : "", (int)a.severity, a.ts, json, len);
}

/* Prints a on stdout and ships it. */
static void publish(struct vigil *vg, struct alert_stream *as, struct alert *a)
{
    unsigned nev = a->nevidence < ALERT_MAX_EVIDENCE ? a->nevidence : ALERT_MAX_EVIDENCE;
    if (vg->conf && vg->conf->alerts.evidence_lines >= 0 &&
        (uint64_t)vg->conf->alerts.evidence_lines < nev)
        nev = (unsigned)vg->conf->alerts.evidence_lines;
    int format = vg->conf ? vg->conf->alerts.format : ALERT_FORMAT_TEXT;
    struct alert shown = *a;
    shown.nevidence = nev;
    remember(vg, as, &shown);
    if (format != ALERT_FORMAT_NONE) {
        int rc;
        as->out.len = 0;
        rc = format == ALERT_FORMAT_JSON ? alert_to_json(&as->out, &shown)
                                         : alert_to_text(&as->out, &shown, as->color);
        if (rc == 0 && buf_append(&as->out, "\n", 1) == 0) {
            /* latency matters more than syscalls here: one write per alert */
            fwrite(as->out.p, 1, as->out.len, stdout);
            fflush(stdout);
        }
    }
    ship(vg, as, a, nev);
}

static size_t throttle_key(const struct alert *a, char *key, size_t cap)
{
    struct span ent[ENTITY_FIELDS];
    size_t o = 0;
    entity_spans(&a->entity, ent);
    const char *rule = a->rule ? a->rule : "";
    size_t rl = strnlen(rule, 128);
    memcpy(key, rule, rl);
    o = rl;
    for (int i = 0; i < ENTITY_FIELDS; i++) {
        size_t n = ent[i].len < 160 ? ent[i].len : 160;
        if (o + n + 3 > cap)
            break;
        key[o++] = 0;
        key[o++] = (char)n;
        if (n)
            memcpy(key + o, ent[i].p, n);
        o += n;
    }
    return o;
}

static void throttle_fill(struct throttle *t, const struct alert *a)
{
    struct span ent[ENTITY_FIELDS];
    entity_spans(&a->entity, ent);
    t->rule = a->rule;
    t->detector = a->detector;
    memcpy(t->attack, a->attack, sizeof(t->attack));
    t->stage = (uint8_t)a->stage;
    t->score = (float)a->score;
    for (int i = 0; i < ENTITY_FIELDS; i++) {
        size_t n = ent[i].len < THROTTLE_ENT_BYTES ? ent[i].len : THROTTLE_ENT_BYTES;
        t->elen[i] = (uint8_t)n;
        if (n)
            memcpy(t->ent[i], ent[i].p, n);
    }
}

/* Prints "repeated N times" for the window t held, and empties it. */
static void throttle_report(struct vigil *vg, struct throttle *t)
{
    struct alert s = { 0 };
    char since[40];
    int64_t throttle_ns = (vg->conf ? vg->conf->alerts.throttle_ms : 600000) * 1000000LL;
    if (!t->repeats)
        return;
    s.ts = t->last;
    s.rule = t->rule;
    s.detector = t->detector;
    s.severity = (enum severity)t->max_sev;
    s.score = t->score;
    s.stage = (enum stage)t->stage;
    memcpy(s.attack, t->attack, sizeof(s.attack));
    s.entity.user = span_make(t->ent[0], t->elen[0]);
    s.entity.src_ip = span_make(t->ent[1], t->elen[1]);
    s.entity.host = span_make(t->ent[2], t->elen[2]);
    s.entity.identity = span_make(t->ent[3], t->elen[3]);
    s.entity.dst_host = span_make(t->ent[4], t->elen[4]);
    s.entity.command = span_make(t->ent[5], t->elen[5]);
    ts_format_rfc3339(t->start, 0, since, sizeof(since));
    if (t->repeats == 1)
        alert_printf(&s, "repeated once in %llds since %s; last: %.*s",
                     (long long)(throttle_ns / NS_PER_SEC), since, (int)t->msglen, t->msg);
    else
        alert_printf(&s, "repeated %u times in %llds since %s; last: %.*s", t->repeats,
                     (long long)(throttle_ns / NS_PER_SEC), since, (int)t->msglen, t->msg);
    t->repeats = 0;
    if (vg->alerts)
        publish(vg, vg->alerts, &s);
}

static void rate_report(struct vigil *vg, struct rule_rate *rr)
{
    struct alert s = { 0 };
    char since[40];
    if (!rr->suppressed)
        return;
    s.ts = (rr->minute + 1) * 60 * NS_PER_SEC - 1;
    s.rule = rr->rule;
    s.detector = rr->detector;
    s.severity = (enum severity)rr->max_sev;
    s.stage = (enum stage)rr->stage;
    ts_format_rfc3339(rr->minute * 60 * NS_PER_SEC, 0, since, sizeof(since));
    alert_printf(&s, "%u more %s alerts suppressed in the minute from %s (more than %d a minute)",
                 rr->suppressed, rr->rule, since, RULE_MAX_PER_MIN);
    rr->suppressed = 0;
    if (vg->alerts)
        publish(vg, vg->alerts, &s);
}

/* Returns true when a's rule already printed its share of this minute. */
static bool rate_capped(struct vigil *vg, struct alert_stream *as, const struct alert *a)
{
    int64_t minute = a->ts / (60 * NS_PER_SEC);
    struct rule_rate *rr = NULL;
    for (int i = 0; i < RULE_SLOTS && !rr; i++)
        if (as->rates[i].rule == a->rule || !as->rates[i].rule)
            rr = &as->rates[i];
    if (!rr)
        return false;             /* more rules than slots: uncapped */
    if (!rr->rule || minute > rr->minute) {
        rate_report(vg, rr);
        rr->rule = a->rule;
        rr->detector = a->detector;
        rr->minute = minute;
        rr->printed = 0;
        rr->max_sev = 0;
    }
    if (rr->printed < RULE_MAX_PER_MIN || a->severity == SEV_CRITICAL) {
        rr->printed++;
        return false;
    }
    rr->suppressed++;
    rr->stage = (uint8_t)a->stage;
    if ((uint8_t)a->severity > rr->max_sev)
        rr->max_sev = (uint8_t)a->severity;
    return true;
}

static void tick_cb(struct bl_head *h, void *arg)
{
    struct vigil *vg = arg;
    struct throttle *t = bl_value(h);
    int64_t throttle_ns = vg->conf->alerts.throttle_ms * 1000000LL;
    if (t->repeats && vg->event_now >= t->start + throttle_ns)
        throttle_report(vg, t);
}

void alert_stream_tick(struct vigil *vg)
{
    struct alert_stream *as = vg->alerts;
    if (!as)
        return;
    for (int i = 0; i < RULE_SLOTS && as->rates[i].rule; i++)
        if (vg->event_now / (60 * NS_PER_SEC) > as->rates[i].minute)
            rate_report(vg, &as->rates[i]);
    if (vg->conf && vg->conf->alerts.throttle_ms > 0)
        bl_table_foreach(as->throttle, tick_cb, vg);
}

/* Returns true when a is a repeat to count instead of printing. */
static bool throttled(struct vigil *vg, struct alert_stream *as, const struct alert *a)
{
    int64_t throttle_ns = vg->conf ? vg->conf->alerts.throttle_ms * 1000000LL : 0;
    char key[1200];
    if (throttle_ns <= 0 || a->unthrottled)
        return false;
    size_t n = throttle_key(a, key, sizeof(key));
    /* two keyed hashes of the whole key: entity values are longer than a bl key */
    uint64_t k2[2] = { bl_hash(&as->budget, span_make(key, n)), 0 };
    struct bl_budget alt = as->budget;
    alt.seed = ~alt.seed;
    k2[1] = bl_hash(&alt, span_make(key, n));
    struct bl_head *h = bl_lookup(as->throttle, span_make((const char *)k2, sizeof(k2)), a->ts,
                                  true, true);
    if (!h)
        return false;
    struct throttle *t = bl_value(h);
    if (t->rule && a->ts < t->start + throttle_ns && a->severity <= t->printed_sev) {
        t->repeats++;
        t->last = a->ts > t->last ? a->ts : t->last;
        if ((uint8_t)a->severity > t->max_sev)
            t->max_sev = (uint8_t)a->severity;
        t->msglen = (uint16_t)strnlen(a->message, sizeof(t->msg) - 1);
        memcpy(t->msg, a->message, t->msglen);
        return true;
    }
    if (t->repeats)
        throttle_report(vg, t);   /* escalation or a late tick: close the old window first */
    throttle_fill(t, a);
    t->start = t->last = a->ts;
    t->printed_sev = t->max_sev = (uint8_t)a->severity;
    t->repeats = 0;
    return false;
}

bool alert_emit(struct vigil *vg, struct alert *a)
{
    struct alert_stream *as = vg->alerts;
    bool shown = false;
    if ((unsigned)a->severity >= SEV__COUNT)
        a->severity = SEV_CRITICAL;
    if (!as || as->depth > 2)     /* an alert about alerts about alerts: stop there */
        return false;
    as->depth++;
    int min = vg->conf ? vg->conf->alerts.min_severity : SEV_INFO;
    if ((int)a->severity < min) {
        /* below the display floor, but correlation still sees it */
    } else if (throttled(vg, as, a) || rate_capped(vg, as, a)) {
        vg->n.alerts_throttled++;
        goto out;
    } else {
        vg->n.alerts++;
        vg->n.alerts_by_severity[a->severity]++;
        publish(vg, as, a);
        shown = true;
    }
    detectors_on_alert(vg, a);
out:
    as->depth--;
    return shown;
}
