/* sections.c - the option tables of the core sections: service, alerts,
 * detectors (the shared part), and the keys every input and every output has
 * whatever its type. Bounds come from sidecar/limits.h. Rows are relative to
 * the struct named in each table's comment. */
#include <stddef.h>

#include "conf/conf.h"
#include "sidecar/limits.h"

#define MS_S   1000ll
#define MS_MIN (60 * MS_S)
#define MS_H   (60 * MS_MIN)
#define MS_D   (24 * MS_H)
#define KIB    1024ll
#define MIB    (1024 * KIB)
#define GIB    (1024 * MIB)

static const char *const log_level_names[] = { "debug", "info", "warn", "error", NULL };
static const char *const alert_format_names[] = { "text", "json", "none", NULL };
static const char *const severity_names[] = { "info", "low", "medium", "high", "critical", NULL };
static const char *const color_names[] = { "auto", "always", "never", NULL };
static const char *const output_format_names[] = { "msgpack", "json", "text", NULL };
static const char *const compression_names[] = { "none", "lz4", "gzip", NULL };
static const char *const buffer_type_names[] = { "memory", "disk", NULL };
static const char *const on_full_names[] = { "block", "drop_oldest", NULL };
static const char *const buffer_fsync_names[] = { "batch", "never", NULL };

/* service.http: the field itself is the section (offset 0). */
static const struct conf_option http_options[] = {
    { "listen", CONF_STR, NULL, 0, 0, 255,
      "address:port of the /metrics and /healthz endpoint, e.g. 127.0.0.1:9880 (unset = off)" },
    { "alerts", CONF_BOOL, "true",
      offsetof(struct service_conf, http_alerts) - offsetof(struct service_conf, http_listen), 0, 0,
      "also serve GET /alerts (recent alerts, evidence masked); false where the port is "
      "reachable by more than the scraper" },
    { 0 }
};

static const struct conf_option health_options[] = {
    { "max_retry_age", CONF_DURATION, "5m", 0, MS_S, 7 * MS_D,
      "/healthz reports unhealthy once an output has been failing this long" },
    { 0 }
};

/* struct service_conf */
#define S(f) offsetof(struct service_conf, f)
const struct conf_option conf_service_options[] = {
    { "state_dir", CONF_STR, "/var/lib/vigil", S(state_dir), 1, PATH_MAX_BYTES - 256,
      "checkpoints, baselines and disk buffers live here (created 0700)" },
    { "flush_interval", CONF_DURATION, "1s", S(flush_interval_ms), 10, MS_H,
      "how often open batches are closed and checkpoints written" },
    { "log_level", CONF_ENUM, "info", S(log_level), 0, 0, "level of vigil's own diagnostics on stderr",
      .enums = log_level_names },
    { "grace_period", CONF_DURATION, "10s", S(grace_period_ms), 0, 10 * MS_MIN,
      "on SIGTERM/SIGINT, time allowed to flush outputs before exiting" },
    { "hostname", CONF_STR, NULL, S(hostname), 1, 255, "host name put in every event (default: the system's)" },
    { "http", CONF_SECTION, NULL, S(http_listen), 0, 0, "metrics and health endpoint", .sub = http_options },
    { "fields", CONF_STRMAP, NULL, S(fields), 0, 0,
      "static fields added to every record and alert (values may use ${VAR}); an input's own fields win" },
    { "kubernetes", CONF_BOOL, "false", S(kubernetes), 0, 0,
      "add the pod from the Downward API: k8s.pod, k8s.namespace, k8s.node, k8s.pod_ip, k8s.service_account "
      "from POD_NAME, POD_NAMESPACE, NODE_NAME, POD_IP, POD_SERVICE_ACCOUNT, and k8s.labels from the labels file" },
    { "kubernetes_labels_file", CONF_STR, "/etc/podinfo/labels", S(kubernetes_labels_file), 1, PATH_MAX_BYTES - 1,
      "Downward API labels file (read at start when it exists)" },
    { "health", CONF_SECTION, NULL, S(health_max_retry_age_ms), 0, 0, "health rules",
      .sub = health_options },
    { 0 }
};
#undef S

/* struct alerts_conf */
#define A(f) offsetof(struct alerts_conf, f)
const struct conf_option conf_alerts_options[] = {
    { "format", CONF_ENUM, "text", A(format), 0, 0, "alert stream on stdout: text | json (one object per line) | none",
      .enums = alert_format_names },
    { "min_severity", CONF_ENUM, "low", A(min_severity), 0, 0, "alerts below this severity are neither printed nor shipped (the incident detector still sees them)",
      .enums = severity_names },
    { "throttle", CONF_DURATION, "10m", A(throttle_ms), 0, 7 * MS_D,
      "the same rule for the same entity alerts at most once per this period (repeats are counted)" },
    { "color", CONF_ENUM, "auto", A(color), 0, 0, "colors in text alerts (auto = when stdout is a terminal)",
      .enums = color_names },
    { "evidence_lines", CONF_INT, "3", A(evidence_lines), 1, ALERT_MAX_EVIDENCE,
      "raw log lines quoted under each alert" },
    { "tag", CONF_STR, "vigil.alert", A(tag), 1, TAG_MAX_BYTES, "tag of the events alerts become (for outputs' match)" },
    { 0 }
};
#undef A

/* struct detectors_conf; each detector's own section is added by conf.c. */
#define D(f) offsetof(struct detectors_conf, f)
const struct conf_option conf_detectors_options[] = {
    { "enabled", CONF_BOOL, "true", D(enabled), 0, 0,
      "false turns every detector off (a pure log shipper); each detector also has its own enabled" },
    { "memory_max", CONF_SIZE, "64MiB", D(memory_max), MIB, 64 * GIB,
      "memory all detector baselines together may use; the coldest keys are evicted beyond it" },
    { "learning_period", CONF_DURATION, "24h", D(learning_period_ms), 0, 365 * MS_D,
      "baselines learn this long (event time) before detectors may alert on novelty" },
    { "snapshot_interval", CONF_DURATION, "5m", D(snapshot_interval_ms), MS_S, MS_D,
      "how often baselines are saved to state_dir" },
    { 0 }
};
#undef D

static const char *const ml_preset_names[] = { "none", "java", "python", "go", "ruby", NULL };

/* inputs[].multiline: the field itself is the section. */
#define ML(f) offsetof(struct multiline_conf, f)
static const struct conf_option multiline_options[] = {
    { "preset", CONF_ENUM, "none", ML(preset), 0, 0,
      "none | java | python | go | ruby: stack traces and panics of that runtime are one event",
      .enums = ml_preset_names },
    { "start", CONF_STR, NULL, ML(start), 1, 1024,
      "POSIX extended regex: a line matching it starts an event; any other line continues the pending one" },
    { "continue", CONF_STR, NULL, ML(cont), 1, 1024,
      "POSIX extended regex: a line matching it continues the pending event, any other starts one (with start too: a line continues when it matches continue and not start)" },
    { "indent", CONF_BOOL, "false", ML(indent), 0, 0, "a line starting with a space or a tab continues the pending event" },
    { "max_lines", CONF_INT, "500", ML(max_lines), 2, 100000, "an event never holds more lines: the next one starts a new event" },
    { "max_bytes", CONF_SIZE, "256KiB", ML(max_bytes), 1024, LINE_MAX_BYTES_CAP,
      "an event never holds more bytes: a line that does not fit starts a new event, one longer alone is cut and flagged truncated" },
    { "timeout", CONF_DURATION, "1s", ML(timeout_ms), 10, 3600000,
      "a pending event is emitted after this long without a new line" },
    { 0 }
};
#undef ML

/* struct input_conf; the type's own options sit next to these keys. */
#define I(f) offsetof(struct input_conf, f)
const struct conf_option conf_input_common_options[] = {
    { "name", CONF_STR, NULL, I(name), 1, 64,
      "unique name (letters, digits, '_', '-', '.'): names checkpoints and metrics", .flags = CONF_REQUIRED },
    { "type", CONF_STR, "file", I(type), 1, 64, "input type" },
    { "tag", CONF_STR, NULL, I(tag), 1, TAG_MAX_BYTES, "tag of its events, matched by outputs (default: the name)" },
    { "parser", CONF_STR, "plain", I(parser.type), 1, 64,
      "parser name, or a mapping {type: NAME, ...parser options}" },
    { "fields", CONF_STRMAP, NULL, I(fields), 0, 0,
      "static fields added to this input's records (values may use ${VAR}; over service.fields)" },
    { "exclude_lines", CONF_STRLIST, NULL, I(exclude_lines), 0, 0,
      "POSIX extended regexes: a line matching any is dropped before parsing and detection (counted)" },
    { "include_lines", CONF_STRLIST, NULL, I(include_lines), 0, 0,
      "POSIX extended regexes: when set, only lines matching one are kept (checked before exclude_lines)" },
    { "multiline", CONF_SECTION, NULL, I(multiline), 0, 0,
      "join lines into one event (stack traces): a preset, or start/continue regexes or indent; "
      "with parser cri or docker, per stream after partial lines are joined", .sub = multiline_options },
    { 0 }
};
#undef I

static const struct conf_option batch_options[] = {
    { "max_events", CONF_INT, "4096", offsetof(struct batch_conf, max_events), 1, 1000000,
      "a batch is closed at this many events" },
    { "max_bytes", CONF_SIZE, "1MiB", offsetof(struct batch_conf, max_bytes), KIB, BATCH_MAX_BYTES_CAP,
      "... or at this many bytes (encoded, before compression)" },
    { "max_delay", CONF_DURATION, "1s", offsetof(struct batch_conf, max_delay_ms), 1, MS_H,
      "... or when its first event is this old" },
    { 0 }
};

static const struct conf_option retry_options[] = {
    { "initial", CONF_DURATION, "500ms", offsetof(struct retry_conf, initial_ms), 1, MS_H,
      "first wait after a failed send; doubles (with jitter) on each failure" },
    { "max", CONF_DURATION, "30s", offsetof(struct retry_conf, max_ms), 1, MS_D, "longest wait between attempts" },
    { "max_attempts", CONF_INT, "0", offsetof(struct retry_conf, max_attempts), 0, 1000000000,
      "give up on a batch after this many attempts (0 = retry forever)" },
    { 0 }
};

static const struct conf_option buffer_options[] = {
    { "type", CONF_ENUM, "disk", offsetof(struct buffer_conf, type), 0, 0,
      "where batches wait when the queue is full or vigil stops: memory | disk (state_dir)",
      .enums = buffer_type_names },
    { "max_bytes", CONF_SIZE, "256MiB", offsetof(struct buffer_conf, max_bytes), MIB, 1024 * GIB,
      "cap of the disk buffer" },
    { "on_full", CONF_ENUM, "block", offsetof(struct buffer_conf, on_full), 0, 0,
      "when the buffer is full: block (pause inputs) | drop_oldest (counted)", .enums = on_full_names },
    { "fsync", CONF_ENUM, "batch", offsetof(struct buffer_conf, fsync), 0, 0,
      "batch (each batch is fdatasynced before it counts as accepted: kept across a power loss) | "
      "never (kept across kill -9, not a power loss)", .enums = buffer_fsync_names },
    { 0 }
};

/* struct output_conf; format and compression default to the plugin's choice. */
#define O(f) offsetof(struct output_conf, f)
const struct conf_option conf_output_common_options[] = {
    { "name", CONF_STR, NULL, O(name), 1, 64,
      "unique name (letters, digits, '_', '-', '.'): names buffers and metrics", .flags = CONF_REQUIRED },
    { "type", CONF_STR, NULL, O(type), 1, 64, "output type", .flags = CONF_REQUIRED },
    { "match", CONF_STRLIST, "*", O(common.match), 0, 0, "tag globs this output receives" },
    { "format", CONF_ENUM, NULL, O(common.format), 0, 0, "msgpack | json | text (default: per type)",
      .enums = output_format_names },
    { "compression", CONF_ENUM, NULL, O(common.compression), 0, 0, "none | lz4 | gzip (default per type; gzip: http, file, forward, kafka; lz4: not forward)",
      .enums = compression_names },
    { "wire_version", CONF_INT, NULL, O(common.wire_version), 1, 2,
      "format msgpack: 2 (columnar batches, smaller; default of file, tcp, http) | 1 (entries "
      "back to back, for receivers that read only that); forward, kafka, nats, stdout: 1 only "
      "(docs/wire-format.md)" },
    { "batch", CONF_SECTION, NULL, O(common.batch), 0, 0, "batching", .sub = batch_options },
    { "retry", CONF_SECTION, NULL, O(common.retry), 0, 0, "retries with backoff", .sub = retry_options },
    { "queue_max_bytes", CONF_SIZE, "8MiB", O(common.queue_max_bytes), 64 * KIB, 4 * GIB,
      "closed batches kept in memory; beyond it they go to the buffer" },
    { "buffer", CONF_SECTION, NULL, O(common.buffer), 0, 0, "buffer for stalls and stops", .sub = buffer_options },
    { 0 }
};
#undef O
