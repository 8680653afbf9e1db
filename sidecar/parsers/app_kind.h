/* app_kind.h - what an application record is, read from its keys.
 * json and logfmt records carry whatever keys the application chose; this
 * module maps the common spellings onto the schema after a line is parsed:
 * the event time (ts, time, timestamp, @timestamp, date), the level
 * (normalised to lowercase words), and the kind:
 *   audit   an identity (identity|actor|principal|user, CloudTrail
 *           userIdentity) AND an action (action|event_name|operation,
 *           CloudTrail eventName): RK_IDENTITY, RK_ACTION, and when present
 *           RK_RESULT (result|outcome|errorCode) and RK_SRC_IP
 *           (sourceIPAddress|client_ip|remote_addr|remote_ip);
 *   egress  a destination (dst_host|dest_host|dest|destination|upstream|host)
 *           AND a byte count (bytes_out|bytes_sent|bytes): RK_DST_HOST,
 *           RK_BYTES_OUT (and RK_DST_PORT from dest_port);
 *   app     anything else.
 * Normalised keys are added as real fields (so shipped records carry them)
 * unless the source key already has the schema name. Key names are matched
 * through a small hash table built once at init, so the per-line cost is one
 * probe per top-level key. */
#ifndef VIGIL_APP_KIND_H
#define VIGIL_APP_KIND_H

#include <stdint.h>

#include "conf/option.h"
#include "sidecar/record.h"

enum app_time_format {
    APP_TIME_AUTO, APP_TIME_RFC3339, APP_TIME_EPOCH, APP_TIME_EPOCH_MS, APP_TIME_EPOCH_US,
    APP_TIME_EPOCH_NS, APP_TIME_CLF, APP_TIME_RFC3164
};

#define APP_KEY_SLOTS 256   /* power of two, > every key we register */
#define APP_KEYS_MAX  32    /* identity_keys / action_keys entries used */

struct app_key {
    const char *p;          /* borrowed: a literal or an option string */
    uint16_t len;
    uint8_t role, prio;     /* role 0 = empty slot; prio 0 = preferred */
};

/* Options of the json and logfmt parsers (one table, app_options). */
struct app_ctx {
    char *time_key;                        /* NULL: ts, time, timestamp, @timestamp, date */
    int time_format;                       /* enum app_time_format */
    struct conf_strlist identity_keys;     /* empty: identity, actor, principal, user */
    struct conf_strlist action_keys;       /* empty: action, event_name, operation */
    struct app_key keys[APP_KEY_SLOTS];    /* built by app_ctx_init */
    /* by first byte, a bit per key length registered (bit 31: 31 bytes or
     * more): most keys of a line are none of ours and skip the hash */
    uint32_t first_len[256];
};

extern const struct conf_option app_options[];

/* Builds the key table from the options. Returns -1 with a reason in err on
 * an empty or oversized key name. */
int app_ctx_init(struct app_ctx *c, char *err, size_t errlen);

/* Runs after the top-level fields of r are complete (no container open):
 * sets r->ts/ts_from_line from the time key, normalises the level, picks
 * r->kind (KIND_APP, KIND_AUDIT or KIND_EGRESS) and adds the schema keys.
 * ref_ns supplies the year for year-less times. */
void app_finish(const struct app_ctx *c, struct record *r);

/* Parses a time value (string or number field) per format. Returns false when
 * it is not a time. */
bool app_time_value(const struct field *f, int fmt, int64_t ref_ns, int64_t *ns);

/* "WARNING", "Warn", "warn" -> "warn"; ERR/ERROR -> "error", CRIT/CRITICAL ->
 * "critical", EMERG/EMERGENCY -> "emerg", also trace, debug, info, notice,
 * fatal, alert, panic. Returns a static span, empty when w is not a level. */
struct span app_level_word(struct span w);
/* Syslog severity 0..7 -> "emerg".."debug"; empty when out of range. */
struct span app_level_syslog(int severity);

#endif
