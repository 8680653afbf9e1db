/* app_kind.c - time, level and kind of application records, from their keys.
 * Each interesting key spelling is a row {name, role, prio} in a hash table
 * built at init; one pass over the top-level fields keeps, per role, the
 * field of lowest prio (the last one on ties, as for duplicate keys). The
 * schema keys are then derived from those fields. */
#include "sidecar/parsers/app_kind.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "sidecar/timestamp.h"

enum role {
    ROLE_NONE, ROLE_TIME, ROLE_LEVEL, ROLE_MSG, ROLE_IDENTITY, ROLE_ACTION, ROLE_RESULT,
    ROLE_SRC_IP, ROLE_DST, ROLE_HOST, ROLE_BYTES_OUT, ROLE_BYTES, ROLE_DST_PORT, ROLE__COUNT
};

static const char *const time_formats[] = {
    "auto", "rfc3339", "epoch", "epoch_ms", "epoch_us", "epoch_ns", "clf", "rfc3164", NULL
};

const struct conf_option app_options[] = {
    { "time_key", CONF_STR, NULL, offsetof(struct app_ctx, time_key), 0, 0,
      "key holding the event time (default: the first of ts, time, timestamp, @timestamp, date)" },
    { "time_format", CONF_ENUM, "auto", offsetof(struct app_ctx, time_format), 0, 0,
      "format of the time value: auto, rfc3339, epoch, epoch_ms, epoch_us, epoch_ns, clf, rfc3164",
      time_formats },
    { "identity_keys", CONF_STRLIST, NULL, offsetof(struct app_ctx, identity_keys), 0, 0,
      "keys naming who acted, in order of preference (default: identity, actor, principal, user)" },
    { "action_keys", CONF_STRLIST, NULL, offsetof(struct app_ctx, action_keys), 0, 0,
      "keys naming what was done, in order of preference (default: action, event_name, operation)" },
    { 0 }
};

struct key_row {
    const char *name;
    uint8_t role, prio;
};

/* Spellings that are not configurable. Configured keys get prio 0.., these
 * come after them (prio 100+). */
static const struct key_row builtin_keys[] = {
    { "level", ROLE_LEVEL, 0 }, { "lvl", ROLE_LEVEL, 1 }, { "severity", ROLE_LEVEL, 2 },
    { "loglevel", ROLE_LEVEL, 3 }, { "log_level", ROLE_LEVEL, 4 }, { "levelname", ROLE_LEVEL, 5 },
    { "msg", ROLE_MSG, 0 }, { "message", ROLE_MSG, 1 }, { "@message", ROLE_MSG, 2 },
    { "userIdentity", ROLE_IDENTITY, 100 }, { "eventName", ROLE_ACTION, 100 },
    { "eventTime", ROLE_TIME, 100 }, { "@t", ROLE_TIME, 101 },
    { "result", ROLE_RESULT, 0 }, { "outcome", ROLE_RESULT, 1 }, { "errorCode", ROLE_RESULT, 2 },
    { "src_ip", ROLE_SRC_IP, 0 }, { "sourceIPAddress", ROLE_SRC_IP, 1 },
    { "client_ip", ROLE_SRC_IP, 2 }, { "remote_addr", ROLE_SRC_IP, 3 },
    { "remote_ip", ROLE_SRC_IP, 4 },
    { "dst_host", ROLE_DST, 0 }, { "dest_host", ROLE_DST, 1 }, { "dest", ROLE_DST, 2 },
    { "destination", ROLE_DST, 3 }, { "upstream", ROLE_DST, 4 }, { "host", ROLE_HOST, 0 },
    { "bytes_out", ROLE_BYTES_OUT, 0 }, { "bytes_sent", ROLE_BYTES, 0 }, { "bytes", ROLE_BYTES, 1 },
    { "dst_port", ROLE_DST_PORT, 0 }, { "dest_port", ROLE_DST_PORT, 1 },
};

static const char *const default_time_keys[] = { "ts", "time", "timestamp", "@timestamp", "date" };
static const char *const default_identity_keys[] = { "identity", "actor", "principal", "user" };
static const char *const default_action_keys[] = { "action", "event_name", "operation" };

/* Length and three bytes: the table is built from the configuration, not
 * from the lines, and probing is bounded by its size, so a cheap hash does
 * (a walk over every byte of every key of every line showed in profiles). */
static uint32_t key_hash(const char *p, size_t n)
{
    return (uint32_t)n * 131u + (unsigned char)p[0] * 31u + (unsigned char)p[n / 2] * 7u +
           (unsigned char)p[n - 1];
}

static uint32_t len_bit(size_t n)
{
    return 1u << (n < 31 ? n : 31);
}

static int key_add(struct app_ctx *c, const char *name, uint8_t role, uint8_t prio, char *err,
                   size_t errlen)
{
    size_t n = strlen(name);
    if (n == 0 || n > 255) {
        snprintf(err, errlen, "key names must be 1..255 bytes");
        return -1;
    }
    uint32_t h = key_hash(name, n);
    for (uint32_t i = 0; i < APP_KEY_SLOTS; i++) {
        struct app_key *k = &c->keys[(h + i) & (APP_KEY_SLOTS - 1)];
        if (k->role == ROLE_NONE) {
            *k = (struct app_key){ name, (uint16_t)n, role, prio };
            c->first_len[(unsigned char)name[0]] |= len_bit(n);
            return 0;
        }
        if (k->len == n && memcmp(k->p, name, n) == 0)
            return 0;   /* first registration wins: it has the better prio */
    }
    snprintf(err, errlen, "too many key names");
    return -1;
}

static const struct app_key *key_find(const struct app_ctx *c, struct span key)
{
    if (key.len == 0 || key.len > 255 || !(c->first_len[(unsigned char)key.p[0]] & len_bit(key.len)))
        return NULL;
    uint32_t h = key_hash(key.p, key.len);
    for (uint32_t i = 0; i < APP_KEY_SLOTS; i++) {
        const struct app_key *k = &c->keys[(h + i) & (APP_KEY_SLOTS - 1)];
        if (k->role == ROLE_NONE)
            return NULL;
        if (k->len == key.len && memcmp(k->p, key.p, key.len) == 0)
            return k;
    }
    return NULL;
}

static int keys_add_list(struct app_ctx *c, const struct conf_strlist *l, const char *const *def,
                         size_t ndef, uint8_t role, char *err, size_t errlen)
{
    if (l->n > APP_KEYS_MAX) {
        snprintf(err, errlen, "at most %d key names", APP_KEYS_MAX);
        return -1;
    }
    if (l->n == 0) {
        for (size_t i = 0; i < ndef; i++)
            if (key_add(c, def[i], role, (uint8_t)i, err, errlen) < 0)
                return -1;
        return 0;
    }
    for (size_t i = 0; i < l->n; i++)
        if (key_add(c, l->v[i], role, (uint8_t)i, err, errlen) < 0)
            return -1;
    return 0;
}

int app_ctx_init(struct app_ctx *c, char *err, size_t errlen)
{
    memset(c->keys, 0, sizeof(c->keys));
    memset(c->first_len, 0, sizeof(c->first_len));
    if (c->time_key) {
        if (key_add(c, c->time_key, ROLE_TIME, 0, err, errlen) < 0)
            return -1;
    } else {
        for (size_t i = 0; i < sizeof(default_time_keys) / sizeof(*default_time_keys); i++)
            key_add(c, default_time_keys[i], ROLE_TIME, (uint8_t)i, err, errlen);
    }
    if (keys_add_list(c, &c->identity_keys, default_identity_keys,
                      sizeof(default_identity_keys) / sizeof(*default_identity_keys),
                      ROLE_IDENTITY, err, errlen) < 0 ||
        keys_add_list(c, &c->action_keys, default_action_keys,
                      sizeof(default_action_keys) / sizeof(*default_action_keys), ROLE_ACTION,
                      err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < sizeof(builtin_keys) / sizeof(*builtin_keys); i++)
        if (!(c->time_key && builtin_keys[i].role == ROLE_TIME) &&
            key_add(c, builtin_keys[i].name, builtin_keys[i].role, builtin_keys[i].prio, err,
                    errlen) < 0)
            return -1;
    return 0;
}

/* ---- levels ---- */

struct level_row {
    const char *word;
    uint8_t len;
    struct span canon;
};

#define LEVEL(w, c) { w, sizeof(w) - 1, SPAN_LIT(c) }
static const struct level_row level_rows[] = {
    LEVEL("trace", "trace"), LEVEL("debug", "debug"), LEVEL("info", "info"),
    LEVEL("information", "info"), LEVEL("notice", "notice"),
    LEVEL("warn", "warn"), LEVEL("warning", "warn"), LEVEL("error", "error"),
    LEVEL("err", "error"), LEVEL("severe", "error"),
    LEVEL("crit", "critical"), LEVEL("critical", "critical"),
    LEVEL("fatal", "fatal"), LEVEL("alert", "alert"), LEVEL("emerg", "emerg"),
    LEVEL("emergency", "emerg"), LEVEL("panic", "panic"),
};
#undef LEVEL

struct span app_level_word(struct span w)
{
    char low[12];
    if (w.len < 3 || w.len > 11)
        return SPAN_NULL;
    for (size_t i = 0; i < w.len; i++) {
        char ch = w.p[i];
        low[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
    }
    /* lengths from the table, not strlen(); then the bytes, without a call */
    for (size_t i = 0; i < sizeof(level_rows) / sizeof(*level_rows); i++) {
        const struct level_row *row = &level_rows[i];
        if (row->len != w.len || row->word[0] != low[0])
            continue;
        size_t k = 1;
        while (k < w.len && row->word[k] == low[k])
            k++;
        if (k == w.len)
            return row->canon;
    }
    return SPAN_NULL;
}

struct span app_level_syslog(int severity)
{
    static const struct span names[8] = {
        SPAN_LIT("emerg"), SPAN_LIT("alert"), SPAN_LIT("critical"), SPAN_LIT("error"),
        SPAN_LIT("warn"), SPAN_LIT("notice"), SPAN_LIT("info"), SPAN_LIT("debug"),
    };
    return (severity >= 0 && severity < 8) ? names[severity] : SPAN_NULL;
}

/* pino / bunyan numeric levels. */
static struct span level_number(int64_t v)
{
    switch (v) {
    case 10: return SPAN_LIT("trace");
    case 20: return SPAN_LIT("debug");
    case 30: return SPAN_LIT("info");
    case 40: return SPAN_LIT("warn");
    case 50: return SPAN_LIT("error");
    case 60: return SPAN_LIT("fatal");
    default: return SPAN_NULL;
    }
}

/* ---- time ---- */

static bool scale_int(int64_t v, int64_t mul, int64_t *ns)
{
    return !__builtin_mul_overflow(v, mul, ns);
}

static bool num_time(int64_t iv, double dv, bool is_int, int fmt, int64_t *ns)
{
    double mag = is_int ? (double)(iv < 0 ? -iv : iv) : (dv < 0 ? -dv : dv);
    int64_t mul;
    switch (fmt) {
    case APP_TIME_AUTO:
        mul = mag < 1e11 ? 1000000000 : mag < 1e14 ? 1000000 : mag < 1e17 ? 1000 : 1;
        break;
    case APP_TIME_EPOCH: mul = 1000000000; break;
    case APP_TIME_EPOCH_MS: mul = 1000000; break;
    case APP_TIME_EPOCH_US: mul = 1000; break;
    case APP_TIME_EPOCH_NS: mul = 1; break;
    default: return false;
    }
    if (is_int)
        return scale_int(iv, mul, ns);
    /* Whole and fractional parts apart: a double holds ns since 1970 only to
     * ~256 ns, but seconds and their fraction each exactly enough. */
    if (!(dv > -9.2e18 && dv < 9.2e18))
        return false;
    int64_t whole = (int64_t)dv, part;
    double frac = (dv - (double)whole) * (double)mul;
    part = (int64_t)(frac + (frac < 0 ? -0.5 : 0.5));
    return scale_int(whole, mul, ns) && !__builtin_add_overflow(*ns, part, ns);
}

/* Digits with an optional fraction, nothing else. */
static bool span_number(struct span s, int64_t *iv, double *dv, bool *is_int)
{
    size_t i = 0;
    bool neg = s.len > 0 && s.p[0] == '-';
    int64_t v = 0;
    i = neg;
    if (i >= s.len || s.len > 40)
        return false;
    for (; i < s.len && s.p[i] >= '0' && s.p[i] <= '9'; i++)
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s.p[i] - '0', &v))
            return false;
    if (i == s.len) {
        *iv = neg ? -v : v;
        *is_int = true;
        return true;
    }
    if (s.p[i] != '.' || i + 1 == s.len)
        return false;
    double f = 0, scale = 0.1;
    for (i++; i < s.len; i++, scale /= 10) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
        f += (s.p[i] - '0') * scale;
    }
    *dv = ((double)v + f) * (neg ? -1 : 1);
    *is_int = false;
    return true;
}

bool app_time_value(const struct field *f, int fmt, int64_t ref_ns, int64_t *ns)
{
    int64_t iv = 0;
    double dv = 0;
    bool is_int;
    switch (f->type) {
    case FT_INT:
        return num_time(f->v.i, 0, true, fmt, ns);
    case FT_DOUBLE:
        return num_time(0, f->v.d, false, fmt, ns);
    case FT_STR:
        break;
    default:
        return false;
    }
    struct span s = f->v.s;
    switch (fmt) {
    case APP_TIME_AUTO:
        if (ts_parse_rfc3339(s, ns) > 0)
            return true;
        if (span_number(s, &iv, &dv, &is_int))
            return num_time(iv, dv, is_int, fmt, ns);
        return ts_parse_any(s, ref_ns, ns) > 0;
    case APP_TIME_RFC3339:
        return ts_parse_rfc3339(s, ns) > 0;
    case APP_TIME_CLF:
        return ts_parse_clf(s, ns) > 0;
    case APP_TIME_RFC3164:
        return ts_parse_rfc3164(s, ref_ns, ns) > 0;
    default:
        return span_number(s, &iv, &dv, &is_int) && num_time(iv, dv, is_int, fmt, ns);
    }
}

/* ---- kind ---- */

/* Text of a field for a schema key: strings as they are, integers printed
 * into the arena, maps by their most telling child (CloudTrail userIdentity:
 * arn; actor objects: name, login, email, id). */
static struct span field_text(struct record *r, uint32_t idx)
{
    static const char *const child_pref[] = {
        "arn", "userName", "name", "username", "login", "email", "id", "principalId",
    };
    const struct field *f = &r->fields[idx];
    if (f->type == FT_STR)
        return f->v.s;
    if (f->type == FT_INT) {
        char tmp[24];
        int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)f->v.i);
        return record_copy(r, tmp, (size_t)n);
    }
    if (f->type != FT_MAP)
        return SPAN_NULL;
    int best = -1;
    size_t bestp = sizeof(child_pref) / sizeof(*child_pref);
    for (uint32_t j = idx + 1; j <= idx + f->size && j < r->nfields; j += 1 + r->fields[j].size) {
        const struct field *c = &r->fields[j];
        if (c->type != FT_STR || c->v.s.len == 0)
            continue;
        for (size_t k = 0; k < bestp; k++)
            if (span_eq_cstr(c->key, child_pref[k])) {
                best = (int)j;
                bestp = k;
                break;
            }
    }
    return best < 0 ? SPAN_NULL : r->fields[best].v.s;
}

static bool field_count(const struct field *f, int64_t *out)
{
    double dv;
    bool is_int;
    if (f->type == FT_INT) {
        *out = f->v.i;
        return true;
    }
    if (f->type == FT_DOUBLE && f->v.d >= 0 && f->v.d < 9e18) {
        *out = (int64_t)f->v.d;
        return true;
    }
    return f->type == FT_STR && span_number(f->v.s, out, &dv, &is_int) && is_int;
}

/* Adds schema key k = the text of field idx, unless that field already is k. */
static void alias_str(struct record *r, enum rkey k, int idx)
{
    if (idx < 0)
        return;
    const struct field *f = &r->fields[idx];
    if (f->type == FT_STR && span_eq_cstr(f->key, rkey_name(k)))
        return;
    struct span v = field_text(r, (uint32_t)idx);
    if (v.len)
        record_set_str(r, k, v);
}

void app_finish(const struct app_ctx *c, struct record *r)
{
    int best[ROLE__COUNT];
    uint8_t prio[ROLE__COUNT];
    for (int i = 0; i < ROLE__COUNT; i++)
        best[i] = -1;
    uint32_t n = r->nfields;
    for (uint32_t i = 0; i < n; i += 1u + r->fields[i].size) {
        const struct app_key *k = key_find(c, r->fields[i].key);
        if (k && (best[k->role] < 0 || k->prio <= prio[k->role])) {
            best[k->role] = (int)i;
            prio[k->role] = k->prio;
        }
    }

    int64_t ns;
    if (best[ROLE_TIME] >= 0 &&
        app_time_value(&r->fields[best[ROLE_TIME]], c->time_format, r->read_ts, &ns)) {
        r->ts = ns;
        r->ts_from_line = true;
    }

    if (best[ROLE_LEVEL] >= 0) {
        struct field *f = &r->fields[best[ROLE_LEVEL]];
        struct span w = f->type == FT_STR ? app_level_word(f->v.s)
                      : f->type == FT_INT ? level_number(f->v.i) : SPAN_NULL;
        if (w.len && span_eq_cstr(f->key, "level")) {
            f->type = FT_STR;
            f->v.s = w;
        } else if (w.len && !r->known[RK_LEVEL]) {
            record_set_str(r, RK_LEVEL, w);
        }
    }

    if (!r->known[RK_MSG] && best[ROLE_MSG] >= 0 && r->fields[best[ROLE_MSG]].type == FT_STR)
        r->known[RK_MSG] = (int16_t)(best[ROLE_MSG] + 1);

    r->kind = KIND_APP;
    if (best[ROLE_IDENTITY] >= 0 && best[ROLE_ACTION] >= 0) {
        struct span id = field_text(r, (uint32_t)best[ROLE_IDENTITY]);
        struct span act = field_text(r, (uint32_t)best[ROLE_ACTION]);
        if (id.len && act.len) {
            r->kind = KIND_AUDIT;
            if (!(span_eq_cstr(r->fields[best[ROLE_IDENTITY]].key, "identity") &&
                  r->fields[best[ROLE_IDENTITY]].type == FT_STR))
                record_set_str(r, RK_IDENTITY, id);
            if (!(span_eq_cstr(r->fields[best[ROLE_ACTION]].key, "action") &&
                  r->fields[best[ROLE_ACTION]].type == FT_STR))
                record_set_str(r, RK_ACTION, act);
            alias_str(r, RK_RESULT, best[ROLE_RESULT]);
            alias_str(r, RK_SRC_IP, best[ROLE_SRC_IP]);
            return;
        }
    }

    /* `host` + `bytes` is what every access log carries (the Host header and
     * the response size), so a bare `host` counts only with `bytes_out`. */
    int dst = best[ROLE_DST] >= 0 ? best[ROLE_DST] : -1;
    int bytes = best[ROLE_BYTES_OUT] >= 0 ? best[ROLE_BYTES_OUT] : -1;
    if (dst < 0 && bytes >= 0)
        dst = best[ROLE_HOST];
    if (dst >= 0 && bytes < 0)
        bytes = best[ROLE_BYTES];
    int64_t count;
    if (dst < 0 || bytes < 0 || !field_count(&r->fields[bytes], &count))
        return;
    struct span dv = field_text(r, (uint32_t)dst);
    if (!dv.len)
        return;
    r->kind = KIND_EGRESS;
    alias_str(r, RK_DST_HOST, dst);
    if (!(r->fields[bytes].type == FT_INT && span_eq_cstr(r->fields[bytes].key, "bytes_out")))
        record_set_int(r, RK_BYTES_OUT, count);
    if (best[ROLE_DST_PORT] >= 0 && !span_eq_cstr(r->fields[best[ROLE_DST_PORT]].key, "dst_port")) {
        if (field_count(&r->fields[best[ROLE_DST_PORT]], &count))
            record_set_int(r, RK_DST_PORT, count);
    }
}
