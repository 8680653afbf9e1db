/* test_syslog.c - the syslog parser: RFC 3164, RFC 3339, RFC 5424 (with
 * structured data) and journald fixtures, and the mapping onto the schema. */
#include "tests/unit/sidecar/parsers/parser_fixture.h"

extern const struct parser_plugin parser_syslog;

static struct parser sp = { &parser_syslog, NULL, 64 * 1024 };

Test(syslog, fixtures)
{
    fix_run(&sp, NULL, "tests/data/parsers/syslog/app");
}

static const struct field *child(const struct field *map, const char *key)
{
    for (const struct field *f = map + 1; f <= map + map->size; f += 1 + f->size)
        if (span_eq_cstr(f->key, key))
            return f;
    return NULL;
}

Test(syslog, rfc5424_structured_data_becomes_a_map)
{
    const char *line = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
                       "[exampleSDID@32473 iut=\"3\" eventSource=\"Appli\\\"cation\\]\"][x@1] msg";
    cr_assert_eq(fix_parse(&sp, NULL, span_cstr(line)), PARSE_OK);
    cr_expect(span_eq_cstr(fix_rec.host, "mymachine.example.com"));
    const struct field *sd = record_find(&fix_rec, SPAN_LIT("sd"));
    cr_assert(sd && sd->type == FT_MAP);
    const struct field *e = child(sd, "exampleSDID@32473");
    cr_assert(e && e->type == FT_MAP && e->size == 2);
    cr_expect(span_eq_cstr(child(e, "iut")->v.s, "3"));
    cr_expect(span_eq_cstr(child(e, "eventSource")->v.s, "Appli\"cation]"));
    const struct field *x = child(sd, "x@1");
    cr_expect(x && x->type == FT_MAP && x->size == 0);
    const struct field *msgid = record_find(&fix_rec, SPAN_LIT("msgid"));
    cr_expect(msgid && span_eq_cstr(msgid->v.s, "ID47"));
    const struct field *fac = record_find(&fix_rec, SPAN_LIT("facility"));
    cr_expect(fac && span_eq_cstr(fac->v.s, "local4"));
    cr_expect(span_eq_cstr(record_str(&fix_rec, RK_MSG), "msg"));
}

Test(syslog, rfc3164_sets_host_and_message)
{
    cr_assert_eq(fix_parse(&sp, NULL, SPAN_LIT("Nov 26 10:00:01 web-1 sshd[123]: Accepted key")), PARSE_OK);
    cr_expect(span_eq_cstr(fix_rec.host, "web-1"));
    cr_expect(span_eq_cstr(record_str(&fix_rec, RK_MSG), "Accepted key"));
    int64_t pid = 0;
    cr_expect(record_int(&fix_rec, RK_PID, &pid) && pid == 123);
}

Test(syslog, no_header_is_raw_with_the_line_as_msg)
{
    cr_assert_eq(fix_parse(&sp, NULL, SPAN_LIT("garbage")), PARSE_MALFORMED);
    cr_expect_eq(fix_rec.kind, KIND_RAW);
    cr_expect(span_eq_cstr(record_str(&fix_rec, RK_MSG), "garbage"));
}

Test(syslog, every_prefix_is_safe)
{
    const char *line = "<165>1 2003-10-11T22:14:15.003Z host app 12 ID47 [a@1 k=\"v\\\"\"] m";
    for (size_t i = 0; i <= strlen(line); i++) {
        enum parse_result res = fix_parse(&sp, NULL, span_make(line, i));
        cr_expect(res == PARSE_OK || res == PARSE_MALFORMED || res == PARSE_SKIP);
        cr_expect_eq(fix_rec.open_depth, 0);
    }
}
