/* telemetry.h - what vigil remembers about itself for /metrics and /alerts:
 * alert counts per (rule, severity), the last alerts as JSON (a bounded
 * ring), and a histogram of pipeline latency (line read -> batch accepted by
 * its output). Fixed-size tables: an attacker who makes vigil raise alerts
 * cannot make this grow. */
#ifndef VIGIL_TELEMETRY_H
#define VIGIL_TELEMETRY_H

#include <stddef.h>
#include <stdint.h>

#define TELEMETRY_RULES      128     /* distinct alert rules counted */
#define TELEMETRY_RING       256     /* alerts kept for GET /alerts */
#define TELEMETRY_ALERT_JSON 4096    /* bytes kept per alert */
#define TELEMETRY_BUCKETS    12

struct telemetry_rule {
    const char *rule;                /* static string from the detector */
    uint64_t by_severity[5];
};

struct telemetry {
    struct telemetry_rule rules[TELEMETRY_RULES];
    size_t nrules;
    uint64_t rules_overflow;         /* alerts of rules beyond the table */
    struct {
        int64_t ts;                  /* event time, ns */
        uint64_t id;                 /* increasing */
        size_t len;
        char json[TELEMETRY_ALERT_JSON];
    } *ring;                         /* TELEMETRY_RING entries, allocated on first use */
    uint64_t next_id;
    uint64_t lat_buckets[TELEMETRY_BUCKETS + 1];  /* last one is +Inf */
    double lat_sum;
    uint64_t lat_count;
};

extern const double telemetry_bucket_bounds[TELEMETRY_BUCKETS];

/* Counts an alert and keeps its JSON (copied, cut at TELEMETRY_ALERT_JSON). */
void telemetry_alert(struct telemetry *t, const char *rule, int severity, int64_t ts,
                     const char *json, size_t len);
/* Observes one pipeline latency in seconds. */
void telemetry_latency(struct telemetry *t, double seconds);
void telemetry_free(struct telemetry *t);

#endif
