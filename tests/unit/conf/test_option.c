/* test_option.c - scalar syntaxes, typed setters with bounds, defaults,
 * dump and help of option tables (conf/option.c). */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "conf/option.h"

static uint64_t size_ok(const char *s)
{
    uint64_t v = 0;
    cr_assert_eq(conf_parse_size(s, &v), 0, "size '%s' should parse", s);
    return v;
}

static int64_t dur_ok(const char *s)
{
    int64_t v = 0;
    cr_assert_eq(conf_parse_duration_ms(s, &v), 0, "duration '%s' should parse", s);
    return v;
}

Test(option, sizes_with_units)
{
    cr_assert_eq(size_ok("512"), 512);
    cr_assert_eq(size_ok("0"), 0);
    cr_assert_eq(size_ok("64KiB"), 65536);
    cr_assert_eq(size_ok("64K"), 65536);
    cr_assert_eq(size_ok("1MiB"), 1048576);
    cr_assert_eq(size_ok("1mib"), 1048576);
    cr_assert_eq(size_ok("2GB"), 2000000000ull);
    cr_assert_eq(size_ok("2GiB"), 2147483648ull);
    cr_assert_eq(size_ok("1KB"), 1000);
    cr_assert_eq(size_ok("10B"), 10);
    cr_assert_eq(size_ok("1.5MiB"), 1572864);
    cr_assert_eq(size_ok("0.5KiB"), 512);
    cr_assert_eq(size_ok(" 8 MiB "), 8 * 1048576);
    cr_assert_eq(size_ok("16TiB"), 16ull << 40);
    cr_assert_eq(size_ok("18446744073709551615"), UINT64_MAX);
}

Test(option, bad_sizes)
{
    static const char *const bad[] = {
        "", "-1", "-1KiB", "KiB", "1XB", "1 K B", "1.5", "1.5B", "1.KiB", "1e3", "0x10",
        "18446744073709551616",    /* 2^64 */
        "17179869184GiB",          /* 2^64 bytes */
        "99999999999999999999999", "1b", "1KiBs", "1,5MiB", NULL
    };
    for (int i = 0; bad[i]; i++) {
        uint64_t v = 42;
        cr_assert_eq(conf_parse_size(bad[i], &v), -1, "size '%s' should fail", bad[i]);
    }
}

Test(option, durations)
{
    cr_assert_eq(dur_ok("500ms"), 500);
    cr_assert_eq(dur_ok("1s"), 1000);
    cr_assert_eq(dur_ok("5m"), 300000);
    cr_assert_eq(dur_ok("24h"), 86400000);
    cr_assert_eq(dur_ok("7d"), 7 * 86400000ll);
    cr_assert_eq(dur_ok("1h30m"), 5400000);
    cr_assert_eq(dur_ok("1m30s"), 90000);
    cr_assert_eq(dur_ok("1s500ms"), 1500);
    cr_assert_eq(dur_ok("1.5s"), 1500);
    cr_assert_eq(dur_ok("0"), 0);
    cr_assert_eq(dur_ok("0s"), 0);
}

Test(option, bad_durations)
{
    static const char *const bad[] = {
        "", "5", "500", "-1s", "1x", "s", "1s1h", "1m1m", "1.s", "1 s 1", "1mo",
        "106751991168d",           /* past INT64_MAX ms */
        "99999999999999999999ms", "1h-5m", NULL
    };
    for (int i = 0; bad[i]; i++) {
        int64_t v = 42;
        cr_assert_eq(conf_parse_duration_ms(bad[i], &v), -1, "duration '%s' should fail", bad[i]);
        cr_assert_eq(v, 42);
    }
    cr_assert_eq(dur_ok("106751991167d"), 106751991167ll * 86400000);
}

Test(option, bools_and_ints)
{
    bool b;
    int64_t v;
    cr_assert_eq(conf_parse_bool("true", &b), 0);
    cr_assert(b);
    cr_assert_eq(conf_parse_bool("off", &b), 0);
    cr_assert_not(b);
    cr_assert_eq(conf_parse_bool("False", &b), 0);
    cr_assert_not(b);
    cr_assert_eq(conf_parse_bool("1", &b), -1);
    cr_assert_eq(conf_parse_bool("", &b), -1);
    cr_assert_eq(conf_parse_int("-42", &v), 0);
    cr_assert_eq(v, -42);
    cr_assert_eq(conf_parse_int("9223372036854775807", &v), 0);
    cr_assert_eq(v, INT64_MAX);
    cr_assert_eq(conf_parse_int("9223372036854775808", &v), -1);
    cr_assert_eq(conf_parse_int("12abc", &v), -1);
    cr_assert_eq(conf_parse_int("0x10", &v), -1);
    cr_assert_eq(conf_parse_int("", &v), -1);
    cr_assert_eq(conf_parse_int("1.0", &v), -1);
}

Test(option, formatting_round_trips)
{
    char b[64];
    uint64_t s;
    int64_t d;
    static const uint64_t sizes[] = { 0, 1, 1000, 1024, 65536, 1048576 + 1, 3ull << 30, 5ull << 40 };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        conf_format_size(sizes[i], b, sizeof(b));
        cr_assert_eq(conf_parse_size(b, &s), 0, "%s", b);
        cr_assert_eq(s, sizes[i]);
    }
    static const int64_t durs[] = { 0, 1, 999, 1000, 90000, 3600000, 86400000, 86400001 };
    for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
        conf_format_duration(durs[i], b, sizeof(b));
        cr_assert_eq(conf_parse_duration_ms(b, &d), 0, "%s", b);
        cr_assert_eq(d, durs[i]);
    }
    conf_format_size(65536, b, sizeof(b));
    cr_assert_str_eq(b, "64KiB");
    conf_format_duration(90000, b, sizeof(b));
    cr_assert_str_eq(b, "90s");
}

enum color { RED, GREEN, BLUE };
static const char *const colors[] = { "red", "green", "blue", NULL };

struct inner {
    int64_t depth;
};

struct sample {
    char *name;
    char *token;
    int64_t count;
    bool on;
    uint64_t size;
    int64_t wait_ms;
    double ratio;
    int color;
    struct conf_strlist list;
    struct conf_strmap map;
    struct inner in;
};

static const struct conf_option inner_options[] = {
    { "depth", CONF_INT, "2", offsetof(struct inner, depth), 1, 10, "how deep" },
    { 0 }
};

#define F(f) offsetof(struct sample, f)
static const struct conf_option sample_options[] = {
    { "name", CONF_STR, "x", F(name), 0, 8, "a name" },
    { "token", CONF_SECRET, NULL, F(token), 0, 0, "a secret" },
    { "count", CONF_INT, "5", F(count), 1, 100, "a count" },
    { "on", CONF_BOOL, "true", F(on), 0, 0, "a switch" },
    { "size", CONF_SIZE, "1MiB", F(size), 1024, 1 << 30, "a size" },
    { "wait", CONF_DURATION, "1s", F(wait_ms), 10, 60000, "a wait" },
    { "ratio", CONF_DOUBLE, "0.5", F(ratio), 0, 1, "a ratio" },
    { "color", CONF_ENUM, "green", F(color), 0, 0, "a color", .enums = colors },
    { "list", CONF_STRLIST, "*", F(list), 0, 0, "a list" },
    { "map", CONF_STRMAP, NULL, F(map), 0, 0, "a map" },
    { "in", CONF_SECTION, NULL, F(in), 0, 0, "nested", .sub = inner_options },
    { 0 }
};
#undef F

static const struct conf_option *row(const char *key)
{
    const struct conf_option *o = conf_option_find(sample_options, key);
    cr_assert_not_null(o, "%s", key);
    return o;
}

Test(option, defaults_fill_every_type)
{
    struct sample s = { 0 };
    char err[128] = "";
    cr_assert_eq(conf_options_defaults(sample_options, &s, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(s.name, "x");
    cr_assert_null(s.token);
    cr_assert_eq(s.count, 5);
    cr_assert(s.on);
    cr_assert_eq(s.size, 1048576);
    cr_assert_eq(s.wait_ms, 1000);
    cr_assert_float_eq(s.ratio, 0.5, 1e-9);
    cr_assert_eq(s.color, GREEN);
    cr_assert_eq(s.list.n, 1);
    cr_assert_str_eq(s.list.v[0], "*");
    cr_assert_eq(s.map.n, 0);
    cr_assert_eq(s.in.depth, 2);
    conf_options_free(sample_options, &s);
    cr_assert_null(s.name);
    cr_assert_null(s.list.v);
}

Test(option, bad_default_is_reported)
{
    static const struct conf_option broken[] = {
        { "wait", CONF_DURATION, "5", 0, 0, 0, "missing unit" },
        { 0 }
    };
    int64_t v = 0;
    char err[128] = "";
    cr_assert_eq(conf_options_defaults(broken, &v, err, sizeof(err)), -1);
    cr_assert(strstr(err, "default of wait"), "%s", err);
}

static void set_fails(const char *key, const char *val, const char *msg)
{
    struct sample s = { 0 };
    char err[256] = "";
    conf_options_defaults(sample_options, &s, err, sizeof(err));
    struct sample before = s;
    cr_assert_eq(conf_option_set(row(key), &s, val, err, sizeof(err)), -1, "%s=%s", key, val);
    cr_assert_str_eq(err, msg);
    cr_assert_eq(s.count, before.count);
    cr_assert_eq(s.size, before.size);
    cr_assert_eq(s.name, before.name);
    conf_options_free(sample_options, &s);
}

Test(option, setters_check_syntax_and_bounds)
{
    set_fails("count", "0", "0 is out of range 1..100");
    set_fails("count", "101", "101 is out of range 1..100");
    set_fails("count", "ten", "expected an integer, got 'ten'");
    set_fails("size", "512", "512 is out of range 1KiB..1GiB");
    set_fails("size", "2GiB", "2GiB is out of range 1KiB..1GiB");
    set_fails("size", "lots", "expected a size like 1MiB, got 'lots'");
    set_fails("wait", "5", "expected a duration like 5s (units ms, s, m, h, d), got '5'");
    set_fails("wait", "2m", "2m is out of range 10ms..1m");
    set_fails("on", "maybe", "expected true or false, got 'maybe'");
    set_fails("color", "pink", "expected one of red, green, blue, got 'pink'");
    set_fails("ratio", "1.5", "1.5 is out of range 0..1");
    set_fails("ratio", "nan", "expected a number, got 'nan'");
    set_fails("name", "", "must not be empty");
    set_fails("name", "123456789", "is 9 bytes long, at most 8 allowed");
    set_fails("count", "\x1b[31m", "expected an integer, got '\\x1b[31m'");
}

Test(option, setters_store_and_replace)
{
    struct sample s = { 0 };
    char err[256] = "";
    conf_options_defaults(sample_options, &s, err, sizeof(err));
    cr_assert_eq(conf_option_set(row("name"), &s, "abc", err, sizeof(err)), 0);
    cr_assert_str_eq(s.name, "abc");
    cr_assert_eq(conf_option_set(row("token"), &s, "hunter2", err, sizeof(err)), 0);
    cr_assert_str_eq(s.token, "hunter2");
    cr_assert_eq(conf_option_set(row("color"), &s, "blue", err, sizeof(err)), 0);
    cr_assert_eq(s.color, BLUE);
    cr_assert_eq(conf_option_set(row("list"), &s, "only", err, sizeof(err)), 0);
    cr_assert_eq(s.list.n, 1);
    cr_assert_str_eq(s.list.v[0], "only");
    cr_assert_eq(conf_option_set(row("map"), &s, "x", err, sizeof(err)), -1);
    cr_assert_eq(conf_strmap_set(&s.map, "k", "v1"), 0);
    cr_assert_eq(conf_strmap_set(&s.map, "k", "v2"), 0);
    cr_assert_eq(s.map.n, 1);
    cr_assert_str_eq(conf_strmap_get(&s.map, "k"), "v2");
    cr_assert_null(conf_strmap_get(&s.map, "nope"));
    conf_options_free(sample_options, &s);
}

static char *dump(const struct sample *s)
{
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    conf_options_dump(f, sample_options, s, 2);
    fclose(f);
    return out;
}

Test(option, dump_masks_secrets_and_quotes_strings)
{
    struct sample s = { 0 };
    char err[256] = "";
    conf_options_defaults(sample_options, &s, err, sizeof(err));
    conf_option_set(row("token"), &s, "hunter2", err, sizeof(err));
    conf_option_set(row("name"), &s, "a\"b\n", err, sizeof(err));
    conf_strmap_set(&s.map, "env", "prod");
    char *out = dump(&s);
    cr_assert_null(strstr(out, "hunter2"), "%s", out);
    cr_assert(strstr(out, "  token: \"********\"\n"), "%s", out);
    cr_assert(strstr(out, "  name: \"a\\\"b\\n\"\n"), "%s", out);
    cr_assert(strstr(out, "  size: 1MiB\n"), "%s", out);
    cr_assert(strstr(out, "  wait: 1s\n"), "%s", out);
    cr_assert(strstr(out, "  color: green\n"), "%s", out);
    cr_assert(strstr(out, "  list: [\"*\"]\n"), "%s", out);
    cr_assert(strstr(out, "  map:\n    \"env\": \"prod\"\n"), "%s", out);
    cr_assert(strstr(out, "  in:\n    depth: 2\n"), "%s", out);
    free(out);
    conf_options_free(sample_options, &s);
}

Test(option, unset_secret_dumps_null)
{
    struct sample s = { 0 };
    char err[256] = "";
    conf_options_defaults(sample_options, &s, err, sizeof(err));
    char *out = dump(&s);
    cr_assert(strstr(out, "  token: null\n"), "%s", out);
    free(out);
    conf_options_free(sample_options, &s);
}

Test(option, masked_map_dumps_keys_not_values)
{
    struct conf_strmap m = { 0 };
    static const struct conf_option t[] = {
        { "headers", CONF_STRMAP, NULL, 0, 0, 0, "secret headers", .flags = CONF_MASKED },
        { 0 }
    };
    conf_strmap_set(&m, "Authorization", "Bearer hunter2");
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    conf_options_dump(f, t, &m, 2);
    fclose(f);
    cr_assert_null(strstr(out, "hunter2"), "%s", out);
    cr_assert_str_eq(out, "  headers:\n    \"Authorization\": \"********\"\n");
    free(out);
    conf_strmap_free(&m);
}

Test(option, help_lists_every_option)
{
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    conf_options_help(f, sample_options, 0);
    fclose(f);
    cr_assert(strstr(out, "size (size, default 1MiB, range 1KiB..1GiB): a size\n"), "%s", out);
    cr_assert(strstr(out, "color (enum: red|green|blue, default green): a color\n"), "%s", out);
    cr_assert(strstr(out, "in (section): nested\n  depth (integer, default 2, range 1..10): how deep\n"), "%s", out);
    free(out);
}

Test(option, list_defaults_are_comma_separated)
{
    struct holder {
        struct conf_strlist l;
    } h;
    memset(&h, 0, sizeof(h));
    static const struct conf_option t[] = {
        { "groups", CONF_STRLIST, "sudo, wheel,adm ,  docker", offsetof(struct holder, l), 0, 0, "x" },
        { 0 }
    };
    char err[200] = "";
    cr_assert_eq(conf_options_defaults(t, &h, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(h.l.n, 4);
    cr_assert_str_eq(h.l.v[0], "sudo");
    cr_assert_str_eq(h.l.v[1], "wheel");
    cr_assert_str_eq(h.l.v[2], "adm");
    cr_assert_str_eq(h.l.v[3], "docker");
    conf_options_free(t, &h);
}
