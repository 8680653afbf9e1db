/* alert.h - what a detector says, and the alert stream that prints it.
 * A detector fills a struct alert on its stack and calls alert_emit(): the
 * stream applies min_severity and throttling per (rule, entity), prints the
 * alert on stdout (text or JSON lines, control bytes escaped so a log line
 * can never forge an alert line), turns it into a record tagged
 * alerts.tag ("vigil.alert") for the outputs, and shows it to the detectors
 * that watch alerts (the incident chain). */
#ifndef VIGIL_ALERT_H
#define VIGIL_ALERT_H

#include <stdbool.h>
#include <stdint.h>

#include "sidecar/limits.h"
#include "sidecar/span.h"

struct vigil;
struct buf;
struct fieldset;

enum severity { SEV_INFO, SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL, SEV__COUNT };

/* The intrusion lifecycle, in the order an intruder usually walks it. */
#define ALERT_STAGES(X) \
    X(NONE, "none") X(RECON, "reconnaissance") X(INITIAL_ACCESS, "initial-access") \
    X(EXECUTION, "execution") X(PERSISTENCE, "persistence") \
    X(PRIVILEGE_ESCALATION, "privilege-escalation") X(DEFENSE_EVASION, "defense-evasion") \
    X(CREDENTIAL_ACCESS, "credential-access") X(DISCOVERY, "discovery") \
    X(LATERAL_MOVEMENT, "lateral-movement") X(COLLECTION, "collection") \
    X(COMMAND_AND_CONTROL, "command-and-control") X(EXFILTRATION, "exfiltration") \
    X(IMPACT, "impact")

enum stage {
#define X(id, name) STAGE_##id,
    ALERT_STAGES(X)
#undef X
    STAGE__COUNT
};

#define ALERT_BASIS_BYTES 192

struct alert_entity {
    struct span user, src_ip, host, identity, dst_host, command;  /* empty = not applicable */
};

struct alert {
    int64_t ts;                   /* event time, ns */
    const char *rule;             /* static: "auth.bruteforce" */
    const char *detector;         /* static: "auth" */
    enum severity severity;
    double score;                 /* 0..1 */
    enum stage stage;
    struct alert_entity entity;   /* borrowed for the call */
    const char *attack[4];        /* static ATT&CK ids, NULL-terminated if fewer */
    char message[ALERT_MESSAGE_BYTES];  /* one sentence, with the baseline in it */
    struct span evidence[ALERT_MAX_EVIDENCE];  /* raw lines, borrowed for the call */
    unsigned nevidence;
    struct span source;           /* file the triggering line came from */
    bool unthrottled;             /* the detector dedups itself (incident updates): the
                                     (rule, entity) throttle must not hold it back */
    /* A novelty (a first login from a network, a first command, host or API
     * action) is an observation, not evidence: the stream sets its severity
     * from the independent signals on the same person (user or identity)
     * within ALERT_RISK_WINDOW_NS, never above the severity the detector
     * proposed, and `info` when it is alone. peer_known: other users of the
     * host already do this (half the weight). */
    bool novelty;
    bool peer_known;
    char basis[ALERT_BASIS_BYTES];  /* set by the stream: the signals behind the severity */
    const struct fieldset *fields;  /* set by the stream: service.fields and the pod */
};

#define ALERT_RISK_WINDOW_NS (2 * 3600 * 1000000000LL)

/* Appends to a->message with printf syntax (never put log text in fmt). */
void alert_printf(struct alert *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds an evidence line (borrowed); ignored past ALERT_MAX_EVIDENCE. */
void alert_evidence(struct alert *a, struct span line);

/* Emits a (copies what it keeps). Returns true if printed/shipped, false when
 * below min_severity or throttled (the repeat is counted and reported).
 * Whatever is printed or shipped has its secrets masked (mask_secrets), in a
 * itself; an alert below min_severity leaves vigil in no form and is left
 * as it was, so the detectors' on_alert may see raw log text in it. */
bool alert_emit(struct vigil *vg, struct alert *a);

const char *severity_name(enum severity s);
int severity_parse(const char *s);          /* -1 when unknown */
const char *stage_name(enum stage s);

/* The stream's state (alerts/throttle tables), kept in struct vigil. */
struct alert_stream;
struct alert_stream *alert_stream_new(struct vigil *vg);
void alert_stream_free(struct alert_stream *as);
/* Reports throttled repeats whose window closed; called on each flush tick. */
void alert_stream_tick(struct vigil *vg);
/* Formats a for humans / as a JSON object (no trailing newline). */
int alert_to_text(struct buf *out, const struct alert *a, bool color);
/* For a terminal `width` columns wide: a headline (time, severity, rule,
 * entity) then the message and each evidence line below it, indented, every
 * line wrapped at spaces to fit the width (a single token wider than a line
 * is the only thing ever cut). width 0 = alert_to_text's one line. */
int alert_to_text_width(struct buf *out, const struct alert *a, bool color, unsigned width);
/* The width text alerts are wrapped at: VIGIL_COLUMNS when set (0 = one line
 * per alert, for tests and pipes that want it), else when stdout is a
 * terminal its width (TIOCGWINSZ, then COLUMNS, then 80), else 0. */
unsigned alert_text_width(void);
int alert_to_json(struct buf *out, const struct alert *a);

#endif
