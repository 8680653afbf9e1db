/* test_record.c - known-key lookup and the setters' bookkeeping. */
#include <criterion/criterion.h>

#include "sidecar/record.h"

static char arena[1024];

Test(record, every_known_name_round_trips)
{
    for (int k = 0; k < RK__COUNT; k++) {
        const char *name = rkey_name((enum rkey)k);
        cr_assert_eq(rkey_lookup(span_cstr(name)), k, "%s", name);
    }
}

Test(record, names_outside_the_schema_are_not_known)
{
    static const char *const misses[] = {
        "", "a", "us", "User", "users", "use", "pi", "pidd", "actions", "target_use",
        "target_userx", "src_ipv6", "arg", "argv1", "reasons", "status_", "dst_hos",
        "message", "timestamp", "bytes", "uses-sudo", "xction",
    };
    for (size_t i = 0; i < sizeof(misses) / sizeof(misses[0]); i++)
        cr_assert_eq(rkey_lookup(span_cstr(misses[i])), RK__NONE, "%s", misses[i]);
    /* same length and first byte as a known key, or a NUL inside */
    cr_assert_eq(rkey_lookup(span_make("pid\0", 4)), RK__NONE);
    cr_assert_eq(rkey_lookup(span_make("u\0er", 4)), RK__NONE);
    cr_assert_eq(rkey_lookup(SPAN_LIT("rexult")), RK__NONE);
}

Test(record, added_and_set_keys_are_known_only_at_top_level)
{
    static struct record r;
    record_init(&r, arena, sizeof(arena));
    cr_assert_eq(record_add_str(&r, SPAN_LIT("user"), SPAN_LIT("alice")), 0);
    cr_assert(span_eq(record_str(&r, RK_USER), SPAN_LIT("alice")));
    cr_assert_geq(record_open(&r, SPAN_LIT("argv"), FT_ARRAY), 0);
    cr_assert_eq(record_set_str(&r, RK_USER, SPAN_LIT("inner")), 2);
    record_close(&r);
    cr_assert(span_eq(record_str(&r, RK_USER), SPAN_LIT("alice")));
    cr_assert_eq(r.fields[1].size, 1);
    cr_assert_eq(r.fields[2].depth, 1);
    cr_assert_eq(record_get(&r, RK_ARGV), &r.fields[1]);
    cr_assert_eq(record_set_int(&r, RK_USER, 7), 3);   /* last one wins */
    int64_t v = 0;
    cr_assert(record_int(&r, RK_USER, &v));
    cr_assert_eq(v, 7);
    cr_assert(span_eq(r.fields[3].key, SPAN_LIT("user")));
}

Test(record, setters_stop_at_the_field_limit)
{
    static struct record r;
    record_init(&r, arena, sizeof(arena));
    for (int i = 0; i < RECORD_MAX_FIELDS; i++)
        cr_assert_eq(record_set_bool(&r, RK_USES_SUDO, true), i);
    cr_assert_not(r.overflow);
    cr_assert_eq(record_set_str(&r, RK_ACTION, SPAN_LIT("x")), -1);
    cr_assert(r.overflow);
    cr_assert_null(record_get(&r, RK_ACTION));
}
