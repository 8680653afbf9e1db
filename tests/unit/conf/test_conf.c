/* test_conf.c - loading whole configurations (conf/conf.c): good documents,
 * every kind of bad one with its exact FILE:LINE:COL: PATH: message, ${VAR}
 * expansion, secret_file, the dump, and the shipped conf/vigil.yaml. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "conf/conf.h"
#include "outputs/output.h"
#include "sidecar/inputs/file.h"
#include "sidecar/inputs/input.h"
#include "sidecar/parsers/parser.h"

/* The shipped examples name module types (otlp...): a unit test loads no
 * module, so the plugins are linked in, and the registry finds them there. */
extern const struct output_plugin output_tcp, output_http, output_forward, output_otlp, output_kafka,
    output_nats;
extern const struct input_plugin input_journal;
__attribute__((used)) static const void *const linked_plugins[] = {
    &output_tcp, &output_http, &output_forward, &output_otlp, &output_kafka, &output_nats, &input_journal,
};

static int load(struct vigil_conf *c, const char *yaml, char **errs)
{
    size_t n = 0;
    FILE *f = open_memstream(errs, &n);
    int rc = conf_load_buffer(c, "t.yaml", yaml, strlen(yaml), f);
    fclose(f);
    return rc;
}

static void good(struct vigil_conf *c, const char *yaml)
{
    char *errs = NULL;
    int rc = load(c, yaml, &errs);
    cr_assert_eq(rc, 0, "expected a clean load, got:\n%s", errs);
    cr_assert_str_empty(errs);
    free(errs);
}

/* Fails, and every line of want appears in the messages, in this order. */
static void bad(const char *yaml, const char *want)
{
    struct vigil_conf c;
    char *errs = NULL;
    int rc = load(&c, yaml, &errs);
    cr_assert_eq(rc, -1, "expected errors for:\n%s", yaml);
    cr_assert_null(c.inputs);
    cr_assert_null(c.path);
    const char *at = errs;
    const char *w = want;
    while (*w) {
        const char *nl = strchr(w, '\n');
        size_t len = nl ? (size_t)(nl - w) : strlen(w);
        char line[512];
        snprintf(line, sizeof(line), "%.*s", (int)len, w);
        const char *hit = strstr(at, line);
        cr_assert_not_null(hit, "missing line:\n%sin:\n%s", line, errs);
        at = hit + strlen(line);
        w += len + (nl ? 1 : 0);
    }
    free(errs);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

#define MINI "inputs:\n  - name: a\n    paths: [/tmp/a.log]\n"

Test(conf, minimal_document_gets_every_default)
{
    struct vigil_conf c;
    good(&c, MINI);
    cr_assert_str_eq(c.path, "t.yaml");
    cr_assert_str_eq(c.service.state_dir, "/var/lib/vigil");
    cr_assert_eq(c.service.flush_interval_ms, 1000);
    cr_assert_eq(c.service.log_level, 1);
    cr_assert_eq(c.service.grace_period_ms, 10000);
    cr_assert_not_null(c.service.hostname);
    cr_assert_null(c.service.http_listen);
    cr_assert_eq(c.service.health_max_retry_age_ms, 300000);
    cr_assert_eq(c.alerts.format, ALERT_FORMAT_TEXT);
    cr_assert_eq(c.alerts.min_severity, 1);
    cr_assert_eq(c.alerts.throttle_ms, 600000);
    cr_assert_eq(c.alerts.color, COLOR_AUTO);
    cr_assert_eq(c.alerts.evidence_lines, 3);
    cr_assert_str_eq(c.alerts.tag, "vigil.alert");
    cr_assert_eq(c.detectors.memory_max, 64ull << 20);
    cr_assert_eq(c.detectors.learning_period_ms, 86400000);
    cr_assert_eq(c.detectors.snapshot_interval_ms, 300000);
    cr_assert_eq(c.ninputs, 1);
    cr_assert_eq(c.noutputs, 0);
    const struct input_conf *in = &c.inputs[0];
    cr_assert_str_eq(in->name, "a");
    cr_assert_str_eq(in->type, "file");
    cr_assert_str_eq(in->tag, "a");
    cr_assert_eq(in->plugin, input_plugin_find("file", NULL, 0));
    cr_assert_str_eq(in->parser.type, "plain");
    cr_assert_eq(in->parser.plugin, parser_plugin_find("plain"));
    const struct file_options *fo = in->ctx;
    cr_assert_eq(fo->paths.n, 1);
    cr_assert_str_eq(fo->paths.v[0], "/tmp/a.log");
    cr_assert_eq(fo->max_line_bytes, 65536);
    cr_assert_eq(fo->read_from, READ_FROM_TAIL);
    cr_assert_eq(fo->refresh_interval_ms, 5000);
    conf_free(&c);
    cr_assert_null(c.inputs);
    conf_free(&c);                       /* twice is harmless */
}

Test(conf, full_document)
{
    struct vigil_conf c;
    good(&c,
         "service:\n"
         "  state_dir: /srv/vigil\n"
         "  flush_interval: 250ms\n"
         "  log_level: debug\n"
         "  grace_period: 1m30s\n"
         "  hostname: web-1\n"
         "  http: {listen: '127.0.0.1:9880'}\n"
         "  health:\n"
         "    max_retry_age: 1h\n"
         "inputs:\n"
         "  - name: app\n"
         "    type: file\n"
         "    paths: /var/log/app.log\n"
         "    exclude: ['*.gz']\n"
         "    tag: app.api\n"
         "    max_line_bytes: 1MiB\n"
         "    read_from: head\n"
         "    parser: {type: json}\n"
         "alerts:\n"
         "  format: json\n"
         "  min_severity: high\n"
         "  throttle: 0\n"
         "  color: never\n"
         "  evidence_lines: 5\n"
         "  tag: sec\n"
         "detectors:\n"
         "  memory_max: 16MiB\n"
         "  learning_period: 7d\n"
         "  snapshot_interval: 30s\n"
         "outputs:\n"
         "  - name: out\n"
         "    type: file\n"
         "    path: /srv/vigil/out\n"
         "    match: [app.*, sec]\n"
         "    format: msgpack\n"
         "    compression: gzip\n"
         "    batch: {max_events: 10, max_bytes: 64KiB, max_delay: 200ms}\n"
         "    retry: {initial: 1s, max: 1m, max_attempts: 7}\n"
         "    queue_max_bytes: 1MiB\n"
         "    buffer: {type: memory, max_bytes: 2MiB, on_full: drop_oldest}\n");
    cr_assert_str_eq(c.service.state_dir, "/srv/vigil");
    cr_assert_eq(c.service.flush_interval_ms, 250);
    cr_assert_eq(c.service.log_level, 0);
    cr_assert_eq(c.service.grace_period_ms, 90000);
    cr_assert_str_eq(c.service.hostname, "web-1");
    cr_assert_str_eq(c.service.http_listen, "127.0.0.1:9880");
    cr_assert_eq(c.service.health_max_retry_age_ms, 3600000);
    const struct input_conf *in = &c.inputs[0];
    cr_assert_str_eq(in->tag, "app.api");
    cr_assert_str_eq(in->parser.type, "json");
    const struct file_options *fo = in->ctx;
    cr_assert_eq(fo->paths.n, 1);
    cr_assert_str_eq(fo->exclude.v[0], "*.gz");
    cr_assert_eq(fo->max_line_bytes, 1048576);
    cr_assert_eq(fo->read_from, READ_FROM_HEAD);
    cr_assert_eq(c.alerts.format, ALERT_FORMAT_JSON);
    cr_assert_eq(c.alerts.min_severity, 3);
    cr_assert_eq(c.alerts.throttle_ms, 0);
    cr_assert_eq(c.alerts.color, COLOR_NEVER);
    cr_assert_eq(c.alerts.evidence_lines, 5);
    cr_assert_str_eq(c.alerts.tag, "sec");
    cr_assert_eq(c.detectors.memory_max, 16ull << 20);
    cr_assert_eq(c.detectors.learning_period_ms, 7 * 86400000ll);
    cr_assert_eq(c.detectors.snapshot_interval_ms, 30000);
    const struct output_conf *o = &c.outputs[0];
    cr_assert_str_eq(o->name, "out");
    cr_assert_eq(o->common.match.n, 2);
    cr_assert_str_eq(o->common.match.v[1], "sec");
    cr_assert_eq(o->common.format, OUTPUT_FORMAT_MSGPACK);
    cr_assert_eq(o->common.compression, OUTPUT_COMPRESS_GZIP);
    cr_assert_eq(o->common.batch.max_events, 10);
    cr_assert_eq(o->common.batch.max_bytes, 65536);
    cr_assert_eq(o->common.batch.max_delay_ms, 200);
    cr_assert_eq(o->common.retry.initial_ms, 1000);
    cr_assert_eq(o->common.retry.max_ms, 60000);
    cr_assert_eq(o->common.retry.max_attempts, 7);
    cr_assert_eq(o->common.queue_max_bytes, 1048576);
    cr_assert_eq(o->common.buffer.type, BUFFER_MEMORY);
    cr_assert_eq(o->common.buffer.max_bytes, 2097152);
    cr_assert_eq(o->common.buffer.on_full, ON_FULL_DROP_OLDEST);
    conf_free(&c);
}

Test(conf, output_defaults)
{
    struct vigil_conf c;
    good(&c, MINI "outputs:\n  - name: o\n    type: stdout\n");
    const struct output_conf *o = &c.outputs[0];
    cr_assert_str_eq(o->type, "stdout");
    cr_assert_not_null(o->plugin);
    cr_assert_eq(o->common.match.n, 1);
    cr_assert_str_eq(o->common.match.v[0], "*");
    cr_assert_eq(o->common.format, o->plugin->default_format);
    cr_assert_eq(o->common.compression, o->plugin->default_compression);
    cr_assert_eq(o->common.batch.max_events, 4096);
    cr_assert_eq(o->common.batch.max_bytes, 1048576);
    cr_assert_eq(o->common.batch.max_delay_ms, 1000);
    cr_assert_eq(o->common.retry.initial_ms, 500);
    cr_assert_eq(o->common.retry.max_ms, 30000);
    cr_assert_eq(o->common.retry.max_attempts, 0);
    cr_assert_eq(o->common.queue_max_bytes, 8u << 20);
    cr_assert_eq(o->common.buffer.type, BUFFER_DISK);
    cr_assert_eq(o->common.buffer.max_bytes, 256ull << 20);
    cr_assert_eq(o->common.buffer.on_full, ON_FULL_BLOCK);
    conf_free(&c);
}

Test(conf, shipped_example_loads)
{
    struct vigil_conf c;
    char *errs = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&errs, &n);
    int rc = conf_load(&c, "conf/vigil.yaml", f);
    fclose(f);
    cr_assert_eq(rc, 0, "conf/vigil.yaml:\n%s", errs);
    free(errs);
    cr_assert_eq(c.ninputs, 3);
    cr_assert_str_eq(c.inputs[0].parser.type, "auth");
    cr_assert_str_eq(c.inputs[2].parser.type, "shell");
    cr_assert_str_eq(c.inputs[2].tag, "shell.history");
    cr_assert_eq(c.noutputs, 2);
    cr_assert_eq(c.outputs[1].common.compression, OUTPUT_COMPRESS_LZ4);
    conf_free(&c);
}

static char *dump_of(const struct vigil_conf *c)
{
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    conf_dump(c, f);
    fclose(f);
    return out;
}

Test(conf, dump_is_yaml_that_loads_back_the_same)
{
    struct vigil_conf c, c2;
    cr_assert_eq(conf_load(&c, "conf/vigil.yaml", stderr), 0);
    char *d1 = dump_of(&c);
    cr_assert(strstr(d1, "\ninputs:\n  - name: \"auth\"\n    type: \"file\"\n"), "%s", d1);
    cr_assert(strstr(d1, "    parser:\n      type: \"json\"\n"), "%s", d1);
    cr_assert(strstr(d1, "      max_bytes: 1MiB\n"), "%s", d1);
    good(&c2, d1);
    char *d2 = dump_of(&c2);
    /* only the first line (the file name) differs */
    cr_assert_str_eq(strchr(d1, '\n'), strchr(d2, '\n'));
    free(d1);
    free(d2);
    conf_free(&c);
    conf_free(&c2);
}

/* ---- errors ------------------------------------------------------------- */

Test(conf, missing_file_reports_errno)
{
    struct vigil_conf c;
    char *errs = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&errs, &n);
    cr_assert_eq(conf_load(&c, "tests/data/conf/does-not-exist.yaml", f), -1);
    fclose(f);
    cr_assert_str_eq(errs, "tests/data/conf/does-not-exist.yaml: open: No such file or directory\n");
    free(errs);
    f = open_memstream(&errs, &n);
    cr_assert_eq(conf_load(&c, "tests/data/conf", f), -1);
    fclose(f);
    cr_assert_str_eq(errs, "tests/data/conf: not a regular file\n");
    free(errs);
}

Test(conf, bad_document_file_with_positions)
{
    struct vigil_conf c;
    char *errs = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&errs, &n);
    cr_assert_eq(conf_load(&c, "tests/data/conf/bad.yaml", f), -1);
    fclose(f);
    cr_assert_str_eq(errs,
        "tests/data/conf/bad.yaml:3:19: service.flush_interval: expected a duration like 5s (units ms, s, m, h, d), got '5'\n"
        "tests/data/conf/bad.yaml:8:5: inputs[0]: unknown key 'pathz'\n"
        "tests/data/conf/bad.yaml:5:5: inputs[0]: missing required key 'paths'\n"
        "tests/data/conf/bad.yaml:11:11: outputs[0].type: unknown output type 'kafak' (known: stdout, file, tcp, http, forward, kafka, nats, otlp)\n"
        "tests/data/conf/bad.yaml:14:24: outputs[1].batch.max_bytes: expected a size like 1MiB, got 'lots'\n");
    free(errs);
}

Test(conf, yaml_syntax_errors_are_one_based)
{
    bad("inputs:\n  - [a,\n", "t.yaml:3:1: did not find expected node content");
    bad("inputs: [a,\n", "t.yaml:2:1: ");
    bad("service:\n  state_dir: a\n state_dir: b\n", "t.yaml:3:2:");
    bad("service:\n  flush_interval: 1s\n  flush_interval: 2s\n" MINI, "t.yaml:3:3: duplicate key");
}

Test(conf, non_utf8_is_refused_before_parsing)
{
    /* `%` + an invalid byte makes libfyaml 0.7.12 loop forever */
    bad("%\xff\n", "t.yaml:1:2: invalid UTF-8 (byte 0xff)");
    bad("a: 1\nb: x\xc3\x28\n", "t.yaml:2:5: invalid UTF-8 (byte 0xc3)");
    bad("a: \xed\xa0\x80\n", "t.yaml:1:4: invalid UTF-8 (byte 0xed)");   /* surrogate */
    bad("a: \xc0\xaf\n", "t.yaml:1:4: invalid UTF-8 (byte 0xc0)");       /* overlong */
    struct vigil_conf c;
    char *errs = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&errs, &n);
    cr_assert_eq(conf_load_buffer(&c, "t.yaml", "a: 1\n\0", 6, f), -1);
    fclose(f);
    cr_assert_str_eq(errs, "t.yaml:2:1: NUL byte in the configuration\n");
    free(errs);
}

Test(conf, empty_documents_need_an_input)
{
    bad("", "t.yaml:1:1: inputs: at least one input is required");
    bad("# nothing\n", "t.yaml:1:1: inputs: at least one input is required");
    bad("inputs: []\n", "t.yaml:1:1: inputs: at least one input is required");
    bad("[1, 2]\n", "t.yaml:1:1: expected a mapping with service, inputs, alerts, detectors, outputs");
}

Test(conf, unknown_keys_everywhere)
{
    bad("servce: {}\n" MINI,
        "t.yaml:1:1: unknown key 'servce' (sections: service, inputs, alerts, detectors, outputs)");
    bad("service:\n  stat_dir: /x\n" MINI, "t.yaml:2:3: service: unknown key 'stat_dir'");
    bad("service:\n  http: {lisen: x}\n" MINI, "t.yaml:2:10: service.http: unknown key 'lisen'");
    bad("inputs:\n  - name: a\n    paths: [x]\n    pathz: [y]\n", "t.yaml:4:5: inputs[0]: unknown key 'pathz'");
    bad(MINI "outputs:\n  - name: o\n    type: file\n    batch: {max_event: 1}\n",
        "t.yaml:7:13: outputs[0].batch: unknown key 'max_event'");
    bad(MINI "alerts: {colour: never}\n", "t.yaml:4:10: alerts: unknown key 'colour'");
    bad(MINI "detectors: {nosuch: {enabled: false}}\n", "t.yaml:4:13: detectors: unknown detector 'nosuch' (known:");
    bad("inputs:\n  - name: a\n    paths: [x]\n    parser: {type: json, strict: true}\n",
        "t.yaml:4:26: inputs[0].parser: unknown key 'strict'");
    /* control bytes in a key are escaped, never printed raw */
    bad(MINI "alerts: {\"a\\e[2Jb\": 1}\n", "t.yaml:4:10: alerts: unknown key 'a\\x1b[2Jb'");
}

Test(conf, missing_required_keys_point_at_the_mapping)
{
    bad("inputs:\n  - paths: [x]\n", "t.yaml:2:5: inputs[0]: missing required key 'name'");
    bad("inputs:\n  - name: a\n    type: file\n", "t.yaml:2:5: inputs[0]: missing required key 'paths'");
    bad("inputs:\n  - {name: a}\n", "t.yaml:2:5: inputs[0]: missing required key 'paths'");
    bad(MINI "outputs:\n  - name: o\n", "t.yaml:5:5: outputs[0]: missing required key 'type'");
    bad(MINI "outputs:\n  - type: stdout\n", "t.yaml:5:5: outputs[0]: missing required key 'name'");
    bad("inputs:\n  - name: a\n    paths: [x]\n    parser:\n      format: x\n",
        "t.yaml:5:7: inputs[0].parser: missing required key 'type'");
}

Test(conf, bad_values_with_exact_paths)
{
    bad("service:\n  log_level: verbose\n" MINI,
        "t.yaml:2:14: service.log_level: expected one of debug, info, warn, error, got 'verbose'");
    bad("service:\n  state_dir: ''\n" MINI, "t.yaml:2:14: service.state_dir: must not be empty");
    bad("service:\n  state_dir:\n" MINI, "t.yaml:2:3: service.state_dir: must not be empty");
    bad("service:\n  grace_period: 1h\n" MINI, "t.yaml:2:17: service.grace_period: 1h is out of range 0s..10m");
    bad("service: [a]\n" MINI, "t.yaml:1:10: service: expected a mapping");
    bad("service:\n  http: x\n" MINI, "t.yaml:2:9: service.http: expected a mapping");
    bad(MINI "alerts:\n  evidence_lines: 9\n", "t.yaml:5:19: alerts.evidence_lines: 9 is out of range 1..5");
    bad(MINI "alerts:\n  min_severity: [high]\n",
        "t.yaml:5:17: alerts.min_severity: expected one of info, low, medium, high, critical");
    bad(MINI "alerts:\n  throttle: -1s\n",
        "t.yaml:5:13: alerts.throttle: expected a duration like 5s (units ms, s, m, h, d), got '-1s'");
    bad("inputs:\n  - name: a\n    paths: [x, [y]]\n", "t.yaml:3:16: inputs[0].paths[1]: expected a string");
    bad("inputs:\n  - name: a\n    paths: {x: y}\n",
        "t.yaml:3:12: inputs[0].paths: expected a string or a list of strings");
    bad("inputs:\n  - name: a\n    paths: [x]\n    max_line_bytes: 100GiB\n",
        "t.yaml:4:21: inputs[0].max_line_bytes: 100GiB is out of range 256..16MiB");
    bad("inputs:\n  - name: a\n    paths: [x]\n    max_line_bytes: 64 kilobytes\n",
        "t.yaml:4:21: inputs[0].max_line_bytes: expected a size like 1MiB, got '64 kilobytes'");
    bad("inputs:\n  - name: a\n    paths: [x]\n    max_line_bytes: 99999999999999999999999\n",
        "t.yaml:4:21: inputs[0].max_line_bytes: expected a size like 1MiB, got '99999999999999999999999'");
    bad("inputs:\n  - name: a\n    paths: [x]\n    refresh_interval: 5\n",
        "t.yaml:4:23: inputs[0].refresh_interval: expected a duration like 5s (units ms, s, m, h, d), got '5'");
    bad("inputs:\n  - name: a\n    paths: [x]\n    watch: fanotify\n",
        "t.yaml:4:12: inputs[0].watch: expected one of auto, inotify, poll, got 'fanotify'");
    bad(MINI "outputs:\n  - name: o\n    type: file\n    batch:\n      max_bytes: lots\n",
        "t.yaml:8:18: outputs[0].batch.max_bytes: expected a size like 1MiB, got 'lots'");
    bad(MINI "outputs:\n  - name: o\n    type: file\n    batch: {max_bytes: 128MiB}\n",
        "t.yaml:7:24: outputs[0].batch.max_bytes: 128MiB is out of range 1KiB..64MiB");
    bad(MINI "outputs:\n  - name: o\n    type: file\n    retry: {max_attempts: -1}\n",
        "t.yaml:7:27: outputs[0].retry.max_attempts: -1 is out of range 0..1000000000");
    bad(MINI "outputs:\n  - name: o\n    type: file\n    buffer: {on_full: drop_newest}\n",
        "t.yaml:7:23: outputs[0].buffer.on_full: expected one of block, drop_oldest, got 'drop_newest'");
    bad(MINI "outputs:\n  - name: o\n    type: file\n    format: xml\n",
        "t.yaml:7:13: outputs[0].format: expected one of msgpack, json, text, got 'xml'");
    bad(MINI "outputs: {name: o}\n", "t.yaml:4:10: outputs: expected a sequence");
    bad("inputs:\n  - just-a-string\n", "t.yaml:2:5: inputs[0]: expected a mapping (one input)");
}

Test(conf, cross_field_checks)
{
    bad(MINI "outputs:\n  - name: o\n    type: file\n    retry: {initial: 1m, max: 1s}\n",
        "t.yaml:7:12: outputs[0].retry: initial (1m) is longer than max (1s)");
    bad(MINI "outputs:\n  - name: o\n    type: file\n    queue_max_bytes: 512KiB\n    batch: {max_bytes: 1MiB}\n",
        "t.yaml:7:22: outputs[0].queue_max_bytes: 512KiB cannot hold one batch (batch.max_bytes is 1MiB)");
}

Test(conf, plugin_types_are_checked)
{
    bad(MINI "outputs:\n  - name: o\n    type: kafak\n",
        "t.yaml:6:11: outputs[0].type: unknown output type 'kafak' (known: stdout, file, tcp, http, forward, kafka, nats, otlp)");
    bad("inputs:\n  - name: a\n    type: journald\n", "t.yaml:3:11: inputs[0].type: unknown input type 'journald' (known: file, journal)");
    bad("inputs:\n  - name: a\n    paths: [x]\n    parser: jsn\n",
        "t.yaml:4:13: inputs[0].parser: unknown parser 'jsn' (known: auth, shell, json, logfmt, syslog, plain, cri, docker, none)");
    bad("inputs:\n  - name: a\n    paths: [x]\n    parser: {type: jsn}\n",
        "t.yaml:4:20: inputs[0].parser: unknown parser 'jsn' (known:");
}

Test(conf, names_are_unique_and_safe)
{
    bad("inputs:\n  - name: a\n    paths: [x]\n  - name: a\n    paths: [y]\n",
        "t.yaml:4:11: inputs[1].name: duplicate input name 'a' (also inputs[0])");
    bad(MINI "outputs:\n  - {name: o, type: file}\n  - {name: o, type: stdout}\n",
        "t.yaml:6:12: outputs[1].name: duplicate output name 'o' (also outputs[0])");
    bad("inputs:\n  - name: ../../etc\n    paths: [x]\n",
        "t.yaml:2:11: inputs[0].name: '../../etc' may only contain letters, digits, '_', '-' and '.' (not first)");
    bad("inputs:\n  - name: ''\n    paths: [x]\n", "t.yaml:2:11: inputs[0].name: must not be empty");
}

Test(conf, aliases_are_refused)
{
    bad("inputs:\n  - name: &n a\n    paths: [x]\n    tag: *n\n",
        "t.yaml:4:10: inputs[0].tag: anchors and aliases are not supported");
}

Test(conf, reports_every_error_not_only_the_first)
{
    struct vigil_conf c;
    char *errs = NULL;
    const char *yaml =
        "service:\n  log_level: loud\n  flush_interval: soon\n"
        "inputs:\n  - name: a\n    paths: [x]\n    watch: maybe\n"
        "alerts:\n  color: pink\n"
        "outputs:\n  - name: o\n    type: nope\n";
    cr_assert_eq(load(&c, yaml, &errs), -1);
    cr_assert_eq(count_lines(errs), 5, "%s", errs);
    free(errs);
}

Test(conf, error_flood_is_capped)
{
    char *yaml = malloc(200000);
    size_t n = (size_t)sprintf(yaml, MINI "service:\n");
    for (int i = 0; i < 500; i++)
        n += (size_t)sprintf(yaml + n, "  k%d: 1\n", i);
    struct vigil_conf c;
    char *errs = NULL;
    cr_assert_eq(load(&c, yaml, &errs), -1);
    cr_assert_eq(count_lines(errs), 101, "%d lines", count_lines(errs));
    cr_assert(strstr(errs, "t.yaml: too many errors, the rest are not shown\n"));
    free(errs);
    free(yaml);
}

/* ---- hostile documents: bounded parse ---------------------------------- */

static long peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* 4 MB of `[` took 1.4 GB in libfyaml before its depth error: it is now
 * refused at the first level too deep, with its position, using a few MB
 * (a behaviour bound: peak RSS of this test's own process). */
Test(conf, deep_flow_nesting_fails_fast_with_a_position)
{
    size_t n = 4 * 1024 * 1024 - 64;
    char *yaml = malloc(n + 1);
    memset(yaml, '[', n);
    yaml[n] = 0;
    long before = peak_rss_kib();
    bad(yaml, "t.yaml:1:32: nested deeper than 32 levels");
    cr_assert_lt(peak_rss_kib() - before, 64 * 1024, "peak RSS grew by %ld KiB",
                 peak_rss_kib() - before);
    free(yaml);
    bad(MINI "service:\n  x: {a: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}\n",
        "t.yaml:5:39: nested deeper than 32 levels");
}

Test(conf, deep_block_nesting_and_too_many_items_are_refused)
{
    char *yaml = malloc(4 * 1024 * 1024);
    size_t n = (size_t)sprintf(yaml, "a:\n");
    for (int i = 1; i < 40; i++)
        n += (size_t)sprintf(yaml + n, "%*sk%d:\n", 2 * i, "", i);
    bad(yaml, "t.yaml:33:65: nested deeper than 32 levels");
    n = (size_t)sprintf(yaml, MINI "x:\n");
    while (n < 4 * 1024 * 1024 - 8)
        n += (size_t)sprintf(yaml + n, "- 1\n");
    long before = peak_rss_kib();
    bad(yaml, "t.yaml:50000:1: more than 50000 items");
    cr_assert_lt(peak_rss_kib() - before, 64 * 1024, "peak RSS grew by %ld KiB",
                 peak_rss_kib() - before);
    n = (size_t)sprintf(yaml, MINI "x: [");
    while (n < 4 * 1024 * 1024 - 8)
        n += (size_t)sprintf(yaml + n, "1,");
    sprintf(yaml + n, "]\n");
    bad(yaml, "more than 50000 items");
    free(yaml);
}

/* Brackets inside quoted scalars, comments and block scalars are text, and a
 * quote inside a plain scalar opens nothing. */
Test(conf, brackets_in_text_are_not_nesting)
{
    struct vigil_conf c;
    good(&c, MINI "alerts:\n  tag: \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"  # [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n"
                  "  format: 'json'\n"
                  "# {{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{\n");
    conf_free(&c);
    bad(MINI "service:\n  hostname: it's\n  x: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n",
        "nested deeper than 32 levels");
}

/* ---- ${VAR} ------------------------------------------------------------- */

Test(conf, env_expansion)
{
    setenv("VIGIL_T_DIR", "/data/v", 1);
    setenv("VIGIL_T_EMPTY", "", 1);
    unsetenv("VIGIL_T_UNSET");
    struct vigil_conf c;
    good(&c,
         "service:\n"
         "  state_dir: ${VIGIL_T_DIR}/state\n"
         "  hostname: ${VIGIL_T_UNSET:-h-${VIGIL_T_DIR}x}\n"
         "  http: {listen: '${VIGIL_T_EMPTY:-127.0.0.1:1}'}\n"
         "inputs:\n"
         "  - name: a\n"
         "    paths: ['${VIGIL_T_DIR}/*.log', '$${NOT_EXPANDED}']\n"
         "    max_line_bytes: ${VIGIL_T_UNSET:-1MiB}\n");
    cr_assert_str_eq(c.service.state_dir, "/data/v/state");
    /* the default ends at the first '}' */
    cr_assert_str_eq(c.service.hostname, "h-${VIGIL_T_DIRx}");
    cr_assert_str_eq(c.service.http_listen, "127.0.0.1:1");
    const struct file_options *fo = c.inputs[0].ctx;
    cr_assert_str_eq(fo->paths.v[0], "/data/v/*.log");
    cr_assert_str_eq(fo->paths.v[1], "${NOT_EXPANDED}");
    cr_assert_eq(fo->max_line_bytes, 1048576);
    conf_free(&c);
}

Test(conf, env_expansion_errors)
{
    unsetenv("VIGIL_T_UNSET");
    bad("service:\n  state_dir: ${VIGIL_T_UNSET}\n" MINI,
        "t.yaml:2:14: service.state_dir: environment variable VIGIL_T_UNSET is not set "
        "(use ${VIGIL_T_UNSET:-default} for a default)");
    bad("service:\n  state_dir: /a/${HOME\n" MINI, "t.yaml:2:14: service.state_dir: unterminated '${' in '/a/${HOME'");
    bad("service:\n  state_dir: ${1X}\n" MINI,
        "t.yaml:2:14: service.state_dir: bad variable reference '${1X}' (expected ${NAME} or ${NAME:-default})");
    setenv("VIGIL_T_SIZE", "huge", 1);
    bad("inputs:\n  - name: a\n    paths: [x]\n    max_line_bytes: ${VIGIL_T_SIZE}\n",
        "t.yaml:4:21: inputs[0].max_line_bytes: expected a size like 1MiB, got 'huge'");
}

/* ---- secrets ------------------------------------------------------------ */

struct creds {
    char *user;
    char *password;
    char *token;
};

static const struct conf_option creds_options[] = {
    { "user", CONF_STR, NULL, offsetof(struct creds, user), 0, 0, "user" },
    { "password", CONF_SECRET, NULL, offsetof(struct creds, password), 0, 0, "password" },
    { "token", CONF_SECRET, NULL, offsetof(struct creds, token), 0, 0, "token" },
    { 0 }
};

static char *write_tmp(const char *content)
{
    char *path = strdup("/tmp/vigil-secret-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    close(fd);
    return path;
}

static int load_creds(struct creds *cr, const char *yaml, char **errs)
{
    size_t n = 0;
    FILE *f = open_memstream(errs, &n);
    memset(cr, 0, sizeof(*cr));
    int rc = conf_load_options(creds_options, cr, "c.yaml", yaml, strlen(yaml), f);
    fclose(f);
    return rc;
}

Test(conf, secret_file_first_line_and_env)
{
    char *path = write_tmp("s3cr3t\r\nsecond line\n");
    char yaml[512], *errs = NULL;
    setenv("VIGIL_T_TOKEN", "tok-123", 1);
    snprintf(yaml, sizeof(yaml), "user: bob\npassword: {secret_file: %s}\ntoken: ${VIGIL_T_TOKEN}\n", path);
    struct creds cr;
    cr_assert_eq(load_creds(&cr, yaml, &errs), 0, "%s", errs);
    cr_assert_str_eq(cr.password, "s3cr3t");
    cr_assert_str_eq(cr.token, "tok-123");
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    conf_options_dump(f, creds_options, &cr, 0);
    fclose(f);
    cr_assert_str_eq(out, "user: \"bob\"\npassword: \"********\"\ntoken: \"********\"\n");
    free(out);
    free(errs);
    conf_options_free(creds_options, &cr);
    unlink(path);
    free(path);
}

Test(conf, secret_file_errors)
{
    char *errs = NULL;
    struct creds cr;
    cr_assert_eq(load_creds(&cr, "password: {secret_file: /nonexistent/pw}\n", &errs), -1);
    cr_assert_str_eq(errs, "c.yaml:1:25: password.secret_file: open(\"/nonexistent/pw\"): No such file or directory\n");
    free(errs);
    cr_assert_eq(load_creds(&cr, "password: {secret_file: /tmp}\n", &errs), -1);
    cr_assert_str_eq(errs, "c.yaml:1:25: password.secret_file: \"/tmp\" is not a regular file\n");
    free(errs);
    cr_assert_eq(load_creds(&cr, "password: {file: /x}\n", &errs), -1);
    cr_assert_str_eq(errs, "c.yaml:1:12: password: unknown key 'file' (expected secret_file)\n");
    free(errs);
    cr_assert_eq(load_creds(&cr, "password: [a]\n", &errs), -1);
    cr_assert_str_eq(errs, "c.yaml:1:11: password: expected a string or {secret_file: PATH}\n");
    free(errs);
    cr_assert_null(cr.password);
}

Test(conf, secret_never_in_dump)
{
    char *path = write_tmp("hunter2\n");
    char yaml[512];
    /* core sections hold no secret yet: check the masking through the table loader */
    struct creds cr;
    char *errs = NULL;
    snprintf(yaml, sizeof(yaml), "password: {secret_file: '%s'}\n", path);
    cr_assert_eq(load_creds(&cr, yaml, &errs), 0, "%s", errs);
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    conf_options_dump(f, creds_options, &cr, 2);
    fclose(f);
    cr_assert_null(strstr(out, "hunter2"));
    free(out);
    free(errs);
    conf_options_free(creds_options, &cr);
    unlink(path);
    free(path);
}

Test(conf, options_loader_applies_defaults_and_requires)
{
    static const struct conf_option t[] = {
        { "host", CONF_STR, NULL, 0, 0, 0, "host", .flags = CONF_REQUIRED },
        { 0 }
    };
    char *host = NULL, *errs = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&errs, &n);
    cr_assert_eq(conf_load_options(t, &host, "p.yaml", "port: 1\n", 8, f), -1);
    fclose(f);
    cr_assert_str_eq(errs, "p.yaml:1:1: unknown key 'port'\np.yaml:1:1: missing required key 'host'\n");
    free(errs);
    cr_assert_null(host);
}

Test(conf, shipped_examples_load)
{
    static const char *const files[] = { "conf/examples/minimal.yaml", "conf/examples/otlp.yaml",
                                         NULL };
    for (int i = 0; files[i]; i++) {
        struct vigil_conf c;
        cr_assert_eq(conf_load(&c, files[i], stderr), 0, "%s", files[i]);
        conf_free(&c);
    }
}

Test(conf, help_lists_sections_and_plugins)
{
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    cr_assert_eq(conf_help(f, NULL), 0);
    fclose(f);
    cr_assert(strstr(out, "section service:\n  state_dir (string, default /var/lib/vigil"), "%s", out);
    cr_assert(strstr(out, "input file:\n  paths (list, required)"), "%s", out);
    cr_assert(strstr(out, "outputs (every output):\n  name (string, required)"), "%s", out);
    cr_assert(strstr(out, "parser json:\n"), "%s", out);
    free(out);
    f = open_memstream(&out, &n);
    cr_assert_eq(conf_help(f, "file"), 0);
    cr_assert_eq(conf_help(f, "nosuch"), -1);
    fclose(f);
    cr_assert(strstr(out, "input file:\n"));
    cr_assert(strstr(out, "output file:\n"));
    cr_assert_null(strstr(out, "section service"));
    free(out);
}
