/* telemetry.c - bounded counters and the recent-alert ring (telemetry.h). */
#include "sidecar/telemetry.h"

#include <stdlib.h>
#include <string.h>

const double telemetry_bucket_bounds[TELEMETRY_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
};

void telemetry_alert(struct telemetry *t, const char *rule, int severity, int64_t ts,
                     const char *json, size_t len)
{
    if (severity < 0 || severity > 4)
        severity = 0;
    size_t i;
    for (i = 0; i < t->nrules; i++)
        if (t->rules[i].rule == rule || strcmp(t->rules[i].rule, rule) == 0)
            break;
    if (i == t->nrules) {
        if (t->nrules < TELEMETRY_RULES)
            t->rules[t->nrules++].rule = rule;
        else
            i = TELEMETRY_RULES;
    }
    if (i < TELEMETRY_RULES)
        t->rules[i].by_severity[severity]++;
    else
        t->rules_overflow++;

    if (!t->ring) {
        t->ring = calloc(TELEMETRY_RING, sizeof(*t->ring));
        if (!t->ring)
            return;
    }
    size_t slot = (size_t)(t->next_id % TELEMETRY_RING);
    if (len > TELEMETRY_ALERT_JSON)
        len = TELEMETRY_ALERT_JSON;
    memcpy(t->ring[slot].json, json, len);
    t->ring[slot].len = len;
    t->ring[slot].ts = ts;
    t->ring[slot].id = ++t->next_id;
}

void telemetry_latency(struct telemetry *t, double seconds)
{
    size_t b = 0;
    while (b < TELEMETRY_BUCKETS && seconds > telemetry_bucket_bounds[b])
        b++;
    t->lat_buckets[b]++;
    t->lat_sum += seconds;
    t->lat_count++;
}

void telemetry_free(struct telemetry *t)
{
    free(t->ring);
    t->ring = NULL;
}
