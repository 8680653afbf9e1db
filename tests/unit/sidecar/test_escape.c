/* test_escape.c - the one escaping policy (sidecar/escape.h) in every output
 * syntax: records as JSON and as text, vigil's logfmt diagnostics. C1
 * controls, U+2028/U+2029, bidi controls and zero-width characters are
 * escaped; other valid UTF-8 passes; invalid bytes are escaped one by one. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outputs/batch.h"
#include "sidecar/escape.h"
#include "sidecar/log.h"
#include "tests/unit/outputs/records.h"

static const struct {
    const char *utf8, *text, *json;
} hostile[] = {
    { "\xc2\x80", "\\xc2\\x80", "\\u0080" },               /* first C1 control */
    { "\xc2\x9b", "\\xc2\\x9b", "\\u009b" },               /* C1 CSI */
    { "\xc2\x9f", "\\xc2\\x9f", "\\u009f" },               /* last C1 control */
    { "\xe2\x80\xa8", "\\xe2\\x80\\xa8", "\\u2028" },      /* line separator */
    { "\xe2\x80\xa9", "\\xe2\\x80\\xa9", "\\u2029" },      /* paragraph separator */
    { "\xe2\x80\xaa", "\\xe2\\x80\\xaa", "\\u202a" },      /* LRE */
    { "\xe2\x80\xae", "\\xe2\\x80\\xae", "\\u202e" },      /* RLO */
    { "\xe2\x81\xa6", "\\xe2\\x81\\xa6", "\\u2066" },      /* LRI */
    { "\xe2\x81\xa9", "\\xe2\\x81\\xa9", "\\u2069" },      /* PDI */
    { "\xe2\x80\x8e", "\\xe2\\x80\\x8e", "\\u200e" },      /* LRM */
    { "\xe2\x80\x8f", "\\xe2\\x80\\x8f", "\\u200f" },      /* RLM */
    { "\xd8\x9c", "\\xd8\\x9c", "\\u061c" },               /* ALM */
    { "\xe2\x80\x8b", "\\xe2\\x80\\x8b", "\\u200b" },      /* ZWSP */
    { "\xe2\x80\x8c", "\\xe2\\x80\\x8c", "\\u200c" },      /* ZWNJ */
    { "\xe2\x80\x8d", "\\xe2\\x80\\x8d", "\\u200d" },      /* ZWJ */
    { "\xef\xbb\xbf", "\\xef\\xbb\\xbf", "\\ufeff" },      /* BOM / ZWNBSP */
};
#define N_HOSTILE (sizeof(hostile) / sizeof(hostile[0]))

/* Text next to the hostile set that must pass untouched. */
static const char *const benign[] = {
    "caf\xc3\xa9", "\xc2\xa0", "\xe2\x80\x90", "\xe2\x80\xaf", "\xe2\x81\xaa",
    "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", "\xf0\x9f\x94\x91",
};

static char *json_of(const char *s)
{
    static char out[512];
    struct buf b = { 0 };
    cr_assert_eq(esc_json(&b, s, strlen(s)), 0);
    cr_assert_lt(b.len, sizeof(out));
    memcpy(out, b.p, b.len);
    out[b.len] = 0;
    buf_free(&b);
    return out;
}

Test(escape, json_writes_unsafe_code_points_as_code_points)
{
    for (size_t i = 0; i < N_HOSTILE; i++) {
        char in[32], want[48];
        snprintf(in, sizeof(in), "a%sb", hostile[i].utf8);
        snprintf(want, sizeof(want), "\"a%sb\"", hostile[i].json);
        cr_assert_str_eq(json_of(in), want);
    }
    for (size_t i = 0; i < sizeof(benign) / sizeof(benign[0]); i++) {
        char want[48];
        snprintf(want, sizeof(want), "\"%s\"", benign[i]);
        cr_assert_str_eq(json_of(benign[i]), want);
    }
    cr_assert_str_eq(json_of("\x1b[2J\x7f\"\\\n"), "\"\\u001b[2J\\u007f\\\"\\\\\\n\"");
    cr_assert_str_eq(json_of("\xe2\x80"), "\"\\u00e2\\u0080\"");      /* cut short */
    cr_assert_str_eq(json_of("\xed\xa0\x80"), "\"\\u00ed\\u00a0\\u0080\""); /* surrogate */
}

Test(escape, text_and_logfmt_write_unsafe_code_points_as_bytes)
{
    for (size_t i = 0; i < N_HOSTILE; i++) {
        char in[32], want[48], out[64];
        snprintf(in, sizeof(in), "a%s\"b", hostile[i].utf8);
        snprintf(want, sizeof(want), "a%s\"b", hostile[i].text);
        esc_text(out, sizeof(out), in, strlen(in), 0);
        cr_assert_str_eq(out, want);
        snprintf(want, sizeof(want), "a%s\\\"b", hostile[i].text);
        esc_text(out, sizeof(out), in, strlen(in), '"');
        cr_assert_str_eq(out, want);
    }
    for (size_t i = 0; i < sizeof(benign) / sizeof(benign[0]); i++) {
        char out[64];
        esc_text(out, sizeof(out), benign[i], strlen(benign[i]), '"');
        cr_assert_str_eq(out, benign[i]);
    }
}

/* Records in the JSON and text output formats. */
Test(escape, record_json_and_text_outputs)
{
    for (size_t i = 0; i < N_HOSTILE; i++) {
        struct test_rec t;
        struct record *r = test_rec_make(&t, 1);
        char raw[64], want[96];
        snprintf(raw, sizeof(raw), "x%sy", hostile[i].utf8);
        r->raw = span_cstr(raw);
        r->nfields = 0;
        struct buf out = { 0 };
        cr_assert_eq(record_to_json(&out, r), 0);
        cr_assert_eq(buf_append(&out, "", 1), 0);
        snprintf(want, sizeof(want), "\"message\":\"x%sy\"", hostile[i].json);
        cr_assert(strstr((char *)out.p, want) != NULL, "json: %s", (char *)out.p);
        cr_assert_null(strstr((char *)out.p, hostile[i].utf8));
        out.len = 0;
        cr_assert_eq(record_to_text(&out, r), 0);
        cr_assert_eq(buf_append(&out, "", 1), 0);
        snprintf(want, sizeof(want), " x%sy", hostile[i].text);
        cr_assert(strstr((char *)out.p, want) != NULL, "text: %s", (char *)out.p);
        cr_assert_null(strstr((char *)out.p, hostile[i].utf8));
        buf_free(&out);
    }
}

/* vigil's own diagnostics, as they reach stderr. */
Test(escape, logfmt_diagnostics)
{
    for (size_t i = 0; i < N_HOSTILE; i++) {
        char path[64], want[96], got[1024];
        snprintf(path, sizeof(path), "/var/log/a%sb.log", hostile[i].utf8);
        FILE *cap = tmpfile();
        cr_assert_not_null(cap);
        int saved = dup(2);
        dup2(fileno(cap), 2);
        const char *kv[] = { "path", path, NULL };
        log_kv(LOG_WARN, kv, "cannot open %s", path);
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        rewind(cap);
        size_t n = fread(got, 1, sizeof(got) - 1, cap);
        got[n] = 0;
        fclose(cap);
        cr_assert_null(strstr(got, hostile[i].utf8), "raw in log: %s", got);
        snprintf(want, sizeof(want), "msg=\"cannot open /var/log/a%sb.log\"", hostile[i].text);
        cr_assert(strstr(got, want) != NULL, "log: %s", got);
        snprintf(want, sizeof(want), "path=\"/var/log/a%sb.log\"", hostile[i].text);
        cr_assert(strstr(got, want) != NULL, "log: %s", got);
        cr_assert_eq(strchr(got, '\n'), got + n - 1);
    }
}
