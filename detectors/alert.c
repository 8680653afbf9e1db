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
#include <sys/ioctl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "detectors/baseline.h"
#include "detectors/detector.h"
#include "detectors/match.h"
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
#define RISK_BUDGET         (1u * 1024 * 1024)  /* ~8000 people with recent signals */
#define RISK_SIGNALS        8                   /* recent signals kept per person */
#define RISK_NAMED          3                   /* signals named in severity_basis */

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

/* The recent signals on one person (a user name or an API identity: the
 * same name is the same person), for corroborated severity. */
struct risk {
    const char *rule[RISK_SIGNALS];     /* static strings of the detectors */
    int64_t ts[RISK_SIGNALS];
    uint8_t sev[RISK_SIGNALS];
    uint8_t weight4[RISK_SIGNALS];      /* in quarter points */
    bool novelty[RISK_SIGNALS];
};

struct alert_stream {
    struct vigil *vg;
    bool color;
    unsigned depth;                     /* alert_emit nesting through on_alert */
    struct bl_budget budget;            /* the throttle table's own cap */
    struct bl_table *throttle;
    struct bl_budget risk_budget;       /* the risk table's own cap */
    struct bl_table *risk;
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
    /* Masked copies of what an alert borrows, one set per nesting depth. */
    char masked_ev[3][ALERT_MAX_EVIDENCE][ALERT_EVIDENCE_BYTES + 1];
    char masked_cmd[3][ALERT_EVIDENCE_BYTES + 1];
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

#define POD_TEXT_BYTES 320

/* "pod=NAMESPACE/NAME" when the pod is known (service.kubernetes), else 0. */
static size_t pod_text(const struct alert *a, char *out, size_t cap)
{
    struct span pod = fields_get(a->fields, "k8s.pod"), ns = fields_get(a->fields, "k8s.namespace");
    if (!pod.len)
        return 0;
    int n = snprintf(out, cap, "pod=%.*s%s%.*s", (int)(ns.len > 128 ? 128 : ns.len), ns.p ? ns.p : "",
                     ns.len ? "/" : "", (int)(pod.len > 160 ? 160 : pod.len), pod.p);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
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
    char pod[POD_TEXT_BYTES];
    size_t podlen = pod_text(a, pod, sizeof(pod));
    if (podlen) {
        rc |= put(out, " ");
        rc |= put_escaped(out, span_make(pod, podlen), sizeof(pod) * 4, 0);
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

/* ---- text for a terminal ---- */

#define WRAP_INDENT 4           /* the message, evidence and continued headlines */
#define WRAP_MIN_WIDTH 24

struct wrap {
    struct buf *b;
    unsigned width, col, indent;
    bool fresh;                 /* nothing on this line yet but the indent */
    int rc;
};

/* Columns of escaped text: every byte but UTF-8 continuation bytes. */
static unsigned wrap_cols(const char *s, size_t n)
{
    unsigned c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

static void wrap_newline(struct wrap *w, unsigned indent)
{
    static const char spaces[] = "                                ";
    w->rc |= buf_append(w->b, "\n", 1);
    w->rc |= buf_append(w->b, spaces, indent < sizeof(spaces) - 1 ? indent : sizeof(spaces) - 1);
    w->col = w->indent = indent;
    w->fresh = true;
}

/* One token: on this line after a space when it fits, else on the next.
 * pre/post take no columns (colour). Only a token wider than a whole line
 * is cut, at a character boundary. */
static void wrap_token(struct wrap *w, const char *s, size_t n, const char *pre, const char *post)
{
    unsigned c = wrap_cols(s, n);
    if (!n)
        return;
    if (!w->fresh) {
        if (w->col + 1 + c > w->width)
            wrap_newline(w, w->indent);
        else {
            w->rc |= buf_append(w->b, " ", 1);
            w->col++;
        }
    }
    if (pre)
        w->rc |= put(w->b, pre);
    while (n) {
        size_t take = 0;
        unsigned room = w->width > w->col ? w->width - w->col : 1, used = 0;
        while (take < n && (used < room || ((unsigned char)s[take] & 0xc0) == 0x80)) {
            used += ((unsigned char)s[take] & 0xc0) != 0x80;
            take++;
        }
        if (!take)
            take = 1;
        w->rc |= buf_append(w->b, s, take);
        w->col += used;
        w->fresh = false;
        s += take;
        n -= take;
        if (n)
            wrap_newline(w, w->indent);
    }
    if (post)
        w->rc |= put(w->b, post);
    w->fresh = false;
}

/* Text of words separated by spaces. */
static void wrap_text(struct wrap *w, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && s[i] == ' ')
            i++;
        size_t j = i;
        while (j < n && s[j] != ' ')
            j++;
        wrap_token(w, s + i, j - i, NULL, NULL);
        i = j;
    }
}

int alert_to_text_width(struct buf *out, const struct alert *a, bool color, unsigned width)
{
    if (!width)
        return alert_to_text(out, a, color);
    static char tmp[ALERT_MESSAGE_BYTES * 4 + ALERT_EVIDENCE_BYTES * 4 + 64];
    struct wrap w = { .b = out, .width = width < WRAP_MIN_WIDTH ? WRAP_MIN_WIDTH : width,
                      .indent = WRAP_INDENT, .fresh = true };
    enum severity sev = (unsigned)a->severity < SEV__COUNT ? a->severity : SEV_INFO;
    struct span ent[ENTITY_FIELDS];
    size_t n;
    /* the headline: time, severity, rule, entity */
    ts_format_rfc3339(a->ts, 0, tmp, sizeof(tmp));
    wrap_token(&w, tmp, strlen(tmp), NULL, NULL);
    /* a headline that does not fit goes on under its severity, apart from
     * the message below it (unless that leaves too narrow a column) */
    if (w.width >= w.col + 1 + 40)
        w.indent = w.col + 1;
    const char *sv = severity_upper[sev];
    wrap_token(&w, sv, strlen(sv), color ? severity_colors[sev] : NULL, color ? "\033[0m" : NULL);
    n = log_escape(tmp, 128, a->rule ? a->rule : "?", a->rule ? strlen(a->rule) : 1, 0);
    wrap_token(&w, tmp, n, NULL, NULL);
    entity_spans(&a->entity, ent);
    for (int i = 0; i < ENTITY_FIELDS; i++) {
        if (!ent[i].len)
            continue;
        bool q = needs_quotes(ent[i]);
        int k = snprintf(tmp, 64, "%s=%s", entity_keys[i], q ? "\"" : "");
        n = (size_t)k + log_escape(tmp + k, 256, ent[i].p, ent[i].len, q ? '"' : 0);
        if (q)
            tmp[n++] = '"';
        wrap_text(&w, tmp, n);      /* a quoted value breaks only at its own spaces */
    }
    char pod[POD_TEXT_BYTES];
    size_t podlen = pod_text(a, pod, sizeof(pod));
    if (podlen) {
        n = log_escape(tmp, sizeof(pod) * 4, pod, podlen, 0);
        wrap_token(&w, tmp, n, NULL, NULL);
    }
    /* the message and its ATT&CK ids */
    wrap_newline(&w, WRAP_INDENT);
    n = log_escape(tmp, sizeof(a->message) * 4, a->message, strnlen(a->message, sizeof(a->message)), 0);
    wrap_text(&w, tmp, n);
    for (int i = 0; i < 4 && a->attack[i]; i++) {
        int k = snprintf(tmp, 8, "%s", i ? "" : "[");
        k += (int)log_escape(tmp + k, 32, a->attack[i], strlen(a->attack[i]), 0);
        if (i == 3 || !a->attack[i + 1])
            tmp[k++] = ']';
        wrap_token(&w, tmp, (size_t)k, NULL, NULL);
    }
    /* the evidence, each line marked, its continuation under its text */
    for (unsigned i = 0; i < a->nevidence && i < ALERT_MAX_EVIDENCE; i++) {
        wrap_newline(&w, WRAP_INDENT);
        wrap_token(&w, "|", 1, NULL, NULL);
        w.indent = WRAP_INDENT + 2;
        n = log_escape(tmp, ALERT_EVIDENCE_BYTES * 4 + 4, a->evidence[i].p ? a->evidence[i].p : "",
                       a->evidence[i].len, 0);
        wrap_text(&w, tmp, n);
    }
    return w.rc ? -1 : 0;
}

unsigned alert_text_width(void)
{
    const char *forced = getenv("VIGIL_COLUMNS");
    if (forced && *forced) {
        long v = strtol(forced, NULL, 10);
        return v > 0 && v < 10000 ? (unsigned)v : 0;
    }
    if (!isatty(STDOUT_FILENO))
        return 0;
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *cols = getenv("COLUMNS");
    long v = cols ? strtol(cols, NULL, 10) : 0;
    return v > 0 && v < 10000 ? (unsigned)v : 80;
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
    if (a->fields && a->fields->n) {
        rc |= put(out, ",\"fields\":{");
        for (size_t i = 0; i < a->fields->n; i++) {
            if (i)
                rc |= put(out, ",");
            rc |= json_str(out, span_cstr(a->fields->e[i].key), 256);
            rc |= put(out, ":");
            rc |= json_str(out, span_cstr(a->fields->e[i].val), 1024);
        }
        rc |= put(out, "}");
    }
    if (a->basis[0]) {
        rc |= put(out, ",\"severity_basis\":");
        rc |= json_str(out, span_make(a->basis, strnlen(a->basis, sizeof(a->basis))), sizeof(a->basis));
    }
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
    /* throttle windows are short-lived: the newest wins the room */
    as->throttle = bl_table_new(&as->budget, "alert.throttle", sizeof(struct throttle),
                                BL_NO_ADMISSION);
    as->risk_budget.cap = RISK_BUDGET;
    as->risk_budget.seed = as->budget.seed ^ 0x5bd1e995u;
    as->risk = bl_table_new(&as->risk_budget, "alert.risk", sizeof(struct risk), 0);
    if (!as->throttle || !as->risk)
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
    bl_table_free(as->risk);
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
    if (a->basis[0])
        record_add_str(r, SPAN_LIT("severity_basis"),
                       span_make(a->basis, strnlen(a->basis, sizeof(a->basis))));
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
                                         : alert_to_text_width(&as->out, &shown, as->color,
                                                               alert_text_width());
        if (rc == 0 && buf_append(&as->out, "\n", 1) == 0) {
            /* latency matters more than syscalls here: one write per alert */
            fwrite(as->out.p, 1, as->out.len, stdout);
            fflush(stdout);
        }
    }
    ship(vg, as, &shown, nev);
}

/* Entity values longer than 160 bytes are kept by their digest (bl_key_part),
 * so two identities sharing a long prefix are throttled apart. */
static size_t throttle_key(const struct bl_budget *b, const struct alert *a, char *key, size_t cap)
{
    struct span ent[ENTITY_FIELDS];
    size_t o = 0;
    entity_spans(&a->entity, ent);
    const char *rule = a->rule ? a->rule : "";
    size_t rl = strnlen(rule, 128);
    memcpy(key, rule, rl);
    o = rl;
    for (int i = 0; i < ENTITY_FIELDS; i++) {
        if (o + 160 + 2 > cap)
            break;
        key[o++] = 0;
        size_t n = bl_key_part(b, key + o + 1, 160, ent[i]);
        key[o++] = (char)n;
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
    size_t n = throttle_key(&as->budget, a, key, sizeof(key));
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
        /* the report quotes the last repeat's message: masked, then cut */
        char tmp[ALERT_MESSAGE_BYTES];
        size_t mlen = mask_secrets(span_make(a->message, strnlen(a->message, sizeof(a->message))), tmp,
                                   sizeof(tmp));
        t->msglen = (uint16_t)(mlen < sizeof(t->msg) - 1 ? mlen : sizeof(t->msg) - 1);
        memcpy(t->msg, tmp, t->msglen);
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

/* One masking routine for everything an alert quotes: its message, its
 * evidence lines and the command it names, into the stream's buffers of
 * nesting depth d. Only what leaves vigil is masked, once: the command when
 * the alert passes min_severity (it is part of the throttle key, so commands
 * that differ only in a secret are one window, and the window keeps it for
 * the "repeated" report), the message and evidence only when the alert is
 * printed and shipped; a repeat inside a throttle window has only its
 * message masked, which the report quotes. Detectors may mask too (they
 * quote a masked line); masking twice changes nothing. */
static void mask_command(struct alert_stream *as, struct alert *a, unsigned d)
{
    if (a->entity.command.len) {
        size_t n = mask_secrets(a->entity.command, as->masked_cmd[d], sizeof(as->masked_cmd[d]));
        a->entity.command = span_make(as->masked_cmd[d], n);
    }
}

static void mask_quoted(struct alert_stream *as, struct alert *a, unsigned d)
{
    char tmp[ALERT_MESSAGE_BYTES];
    mask_secrets(span_make(a->message, strnlen(a->message, sizeof(a->message))), tmp, sizeof(tmp));
    memcpy(a->message, tmp, sizeof(a->message));
    for (unsigned i = 0; i < a->nevidence && i < ALERT_MAX_EVIDENCE; i++) {
        struct span e = a->evidence[i];
        if (e.len > ALERT_EVIDENCE_BYTES)
            e.len = ALERT_EVIDENCE_BYTES;
        size_t n = mask_secrets(e, as->masked_ev[d][i], sizeof(as->masked_ev[d][i]));
        a->evidence[i] = span_make(as->masked_ev[d][i], n);
    }
}

/* ---- corroborated severity ----
 * Every alert that names a person (user or identity) is noted as a signal on
 * that person. A novelty alert is then judged by what else is on its people
 * within ALERT_RISK_WINDOW_NS, in points: one for itself (half when peers of
 * the host already do it); for each other rule, its strongest signal: a
 * novelty half a point (a quarter when peer-known), all novelties together
 * at most one point (a person's new task brings several firsts at once:
 * they are not independent), and evidence by its severity: info 0.5, low 1,
 * medium 2, high 3, critical 4. Under 2.5 points the alert is info (an
 * observation: counted, shipped, visible at min_severity info), from 2.5
 * low, from 3.5 medium, from 5 high; never above what the detector proposed.
 * So novelties alone never pass info; a novelty after a medium technique is
 * low, after a high one medium, after a critical login high. Guessing (T1110)
 * is no signal on a person: it names the address guessing (shared NAT
 * addresses would blame the innocent) and the name guessed (bots try `deploy`
 * all day), not someone acting. */

/* Weights in quarter points. */
static uint8_t signal_weight4(const struct alert *a)
{
    static const uint8_t by_sev[SEV__COUNT] = { 2, 4, 8, 12, 16 };
    if (a->novelty)
        return a->peer_known ? 1 : 2;
    return by_sev[(unsigned)a->severity < SEV__COUNT ? a->severity : SEV_CRITICAL];
}

static bool is_correlation(const struct alert *a)
{
    return a->rule && strncmp(a->rule, "incident.", 9) == 0;
}

/* Password guessing (T1110 and its sub-techniques) names the name guessed,
 * not a person acting: bots try `deploy` and `root` all day. */
static bool is_guessing(const struct alert *a)
{
    for (int i = 0; i < 4 && a->attack[i]; i++)
        if (strncmp(a->attack[i], "T1110", 5) == 0)
            return true;
    return false;
}

struct risk_sum {
    const char *rule[2 * RISK_SIGNALS];
    uint8_t w4[2 * RISK_SIGNALS], sev[2 * RISK_SIGNALS];
    bool novelty[2 * RISK_SIGNALS];
    unsigned n;
};

/* Adds the signals on person p to the per-rule maxima of sum. */
static void risk_collect(struct alert_stream *as, struct span p, const struct alert *a,
                         struct risk_sum *sum)
{
    if (!p.len)
        return;
    struct bl_head *h = bl_lookup(as->risk, p, a->ts, false, false);
    if (!h)
        return;
    const struct risk *r = bl_value(h);
    for (unsigned i = 0; i < RISK_SIGNALS; i++) {
        if (!r->rule[i] || r->ts[i] > a->ts || a->ts - r->ts[i] > ALERT_RISK_WINDOW_NS ||
            strcmp(r->rule[i], a->rule) == 0)
            continue;
        unsigned k = 0;
        while (k < sum->n && strcmp(sum->rule[k], r->rule[i]) != 0)
            k++;
        if (k == sum->n) {
            if (sum->n == 2 * RISK_SIGNALS)
                continue;
            sum->rule[k] = r->rule[i];
            sum->w4[k] = 0;
            sum->n++;
        }
        if (r->weight4[i] >= sum->w4[k]) {
            sum->w4[k] = r->weight4[i];
            sum->sev[k] = r->sev[i];
            sum->novelty[k] = r->novelty[i];
        }
    }
}

/* min: alerts.min_severity; below it the alert is never shown, so its
 * basis is not written. */
static void risk_judge(struct alert_stream *as, struct alert *a, int min)
{
    if (!a->novelty || !a->rule)
        return;
    struct risk_sum sum = { .n = 0 };
    risk_collect(as, a->entity.user, a, &sum);
    if (!span_eq(a->entity.identity, a->entity.user))
        risk_collect(as, a->entity.identity, a, &sum);
    unsigned own4 = a->peer_known ? 2 : 4, novel4 = 0, evid4 = 0;
    for (unsigned k = 0; k < sum.n; k++) {
        if (sum.novelty[k])
            novel4 += sum.w4[k];
        else
            evid4 += sum.w4[k];
    }
    unsigned pts4 = own4 + (novel4 < 4 ? novel4 : 4) + evid4;
    enum severity level = pts4 >= 20 ? SEV_HIGH : pts4 >= 14 ? SEV_MEDIUM : pts4 >= 10 ? SEV_LOW : SEV_INFO;
    if (level < a->severity) {
        a->severity = level;
        if (a->score > 0.1 + 0.2 * level)
            a->score = 0.1 + 0.2 * level;
    }
    if ((int)a->severity < min)
        return;
    /* name the strongest signals first, at most RISK_NAMED of them */
    for (unsigned k = 1; k < sum.n; k++)
        for (unsigned j = k; j > 0 && sum.w4[j] > sum.w4[j - 1]; j--) {
            const char *tr = sum.rule[j];
            uint8_t tw = sum.w4[j], ts = sum.sev[j];
            bool tn = sum.novelty[j];
            sum.rule[j] = sum.rule[j - 1], sum.w4[j] = sum.w4[j - 1];
            sum.sev[j] = sum.sev[j - 1], sum.novelty[j] = sum.novelty[j - 1];
            sum.rule[j - 1] = tr, sum.w4[j - 1] = tw, sum.sev[j - 1] = ts, sum.novelty[j - 1] = tn;
        }
    size_t o = (size_t)snprintf(a->basis, sizeof(a->basis), "%s%s", sum.n ? "novelty" : "novelty alone",
                                a->peer_known ? " (others here do it too)" : "");
    for (unsigned k = 0; k < sum.n && k < RISK_NAMED && o < sizeof(a->basis); k++)
        o += (size_t)snprintf(a->basis + o, sizeof(a->basis) - o, "%s%s %s", k ? ", " : " + ",
                              sum.rule[k], sum.novelty[k] ? "novelty" : severity_name((enum severity)sum.sev[k]));
    if (sum.n > RISK_NAMED && o < sizeof(a->basis))
        o += (size_t)snprintf(a->basis + o, sizeof(a->basis) - o, " and %u more", sum.n - RISK_NAMED);
    if (sum.n && o < sizeof(a->basis))
        snprintf(a->basis + o, sizeof(a->basis) - o, " within %lldh",
                 (long long)(ALERT_RISK_WINDOW_NS / NS_PER_HOUR));
    alert_printf(a, " [severity: %s]", a->basis);
}

static void risk_note_on(struct alert_stream *as, struct span p, const struct alert *a)
{
    if (!p.len)
        return;
    struct bl_head *h = bl_lookup(as->risk, p, a->ts, true, true);
    if (!h)
        return;
    struct risk *r = bl_value(h);
    /* One slot per rule: a repeat refreshes it instead of pushing others
     * out. A new rule takes a free or expired slot, else the weakest (the
     * oldest of the weakest): a critical login outlives a run of novelties. */
    unsigned slot = RISK_SIGNALS, weakest = 0;
    for (unsigned i = 0; i < RISK_SIGNALS; i++) {
        if (r->rule[i] && strcmp(r->rule[i], a->rule) == 0) {
            slot = i;
            if (r->weight4[i] > signal_weight4(a) && a->ts - r->ts[i] <= ALERT_RISK_WINDOW_NS)
                return;
            break;
        }
        bool free_i = !r->rule[i] || a->ts - r->ts[i] > ALERT_RISK_WINDOW_NS;
        bool free_w = !r->rule[weakest] || a->ts - r->ts[weakest] > ALERT_RISK_WINDOW_NS;
        if (!free_w && (free_i || r->weight4[i] < r->weight4[weakest] ||
                        (r->weight4[i] == r->weight4[weakest] && r->ts[i] < r->ts[weakest])))
            weakest = i;
    }
    if (slot == RISK_SIGNALS)
        slot = weakest;
    r->rule[slot] = a->rule;
    r->ts[slot] = a->ts;
    r->sev[slot] = (uint8_t)a->severity;
    r->weight4[slot] = signal_weight4(a);
    r->novelty[slot] = a->novelty;
}

static void risk_note(struct alert_stream *as, const struct alert *a)
{
    if (!a->rule || is_correlation(a) || is_guessing(a))
        return;
    risk_note_on(as, a->entity.user, a);
    if (!span_eq(a->entity.identity, a->entity.user))
        risk_note_on(as, a->entity.identity, a);
}

bool alert_emit(struct vigil *vg, struct alert *a)
{
    struct alert_stream *as = vg->alerts;
    bool shown = false;
    a->fields = &vg->fields;
    if ((unsigned)a->severity >= SEV__COUNT)
        a->severity = SEV_CRITICAL;
    if (!as || as->depth > 2)     /* an alert about alerts about alerts: stop there */
        return false;
    int min = vg->conf ? vg->conf->alerts.min_severity : SEV_INFO;
    risk_judge(as, a, min);
    risk_note(as, a);
    unsigned d = as->depth;
    as->depth++;
    if ((int)a->severity < min) {
        /* below the display floor, but correlation still sees it (unmasked:
         * nothing of it leaves vigil, and on_alert reads its rule, stage,
         * severity and people, never what it quotes) */
    } else {
        mask_command(as, a, d);
        if (throttled(vg, as, a) || rate_capped(vg, as, a)) {
            vg->n.alerts_throttled++;
            goto out;
        }
        mask_quoted(as, a, d);
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
