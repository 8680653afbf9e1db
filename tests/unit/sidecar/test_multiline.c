/* test_multiline.c - the join rule: custom start / continue / indent, the
 * presets on what their runtimes print, max_lines and max_bytes (a line that
 * does not fit starts the next event; one longer than max_bytes alone is cut
 * and flagged), alternate buffers, and the configuration checks. */
#include <criterion/criterion.h>
#include <string.h>

#include "sidecar/multiline.h"

static struct multiline_conf base(void)
{
    return (struct multiline_conf){ .max_lines = 500, .max_bytes = 4096, .timeout_ms = 1000 };
}

/* Feeds lines through the caller's step; writes the emitted events (and the
 * last pending one) joined by '|' into out. */
static unsigned run(const struct multiline *ml, const char *const *lines, char *out, size_t cap, bool *cut)
{
    struct ml_event ev = { 0 };
    unsigned n = 0;
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0;; i++) {
        bool end = lines[i] == NULL;
        struct span l = end ? SPAN_NULL : span_cstr(lines[i]);
        if (ev.held && (end || !multiline_continues(ml, &ev, l))) {
            struct span t = multiline_text(&ev);
            o += (size_t)snprintf(out + o, cap - o, "%s%.*s", n ? "|" : "", (int)t.len, t.p);
            if (cut)
                *cut |= ev.cut;
            multiline_reset(&ev);
            n++;
        }
        if (end)
            break;
        cr_assert_eq(multiline_append(ml, &ev, l, i, false), 0);
    }
    multiline_event_fini(&ev);
    return n;
}

Test(multiline, off_when_empty)
{
    struct multiline_conf c = base();
    bool off = false;
    char err[128];
    cr_assert_null(multiline_new(&c, &off, err, sizeof(err)));
    cr_assert(off);
}

Test(multiline, custom_start)
{
    struct multiline_conf c = base();
    c.start = "^[0-9]{4}-";
    bool off;
    char err[128], out[1024];
    struct multiline *ml = multiline_new(&c, &off, err, sizeof(err));
    cr_assert_not_null(ml, "%s", err);
    const char *l[] = { "2026-01-01 a", "x", "y", "2026-01-02 b", "2026-01-03 c", "z", NULL };
    cr_assert_eq(run(ml, l, out, sizeof(out), NULL), 3);
    cr_assert_str_eq(out, "2026-01-01 a\nx\ny|2026-01-02 b|2026-01-03 c\nz");
    multiline_free(ml);
}

Test(multiline, custom_continue_and_indent)
{
    struct multiline_conf c = base();
    c.cont = "^(\\}|\\.\\.\\.)";
    c.indent = true;
    bool off;
    char err[128], out[1024];
    struct multiline *ml = multiline_new(&c, &off, err, sizeof(err));
    cr_assert_not_null(ml, "%s", err);
    const char *l[] = { "config {", "  a = 1", "}", "next", "...more", "   ", "last", NULL };
    cr_assert_eq(run(ml, l, out, sizeof(out), NULL), 4);
    cr_assert_str_eq(out, "config {\n  a = 1\n}|next\n...more|   |last");
    multiline_free(ml);
}

Test(multiline, go_preset)
{
    struct multiline_conf c = base();
    c.preset = ML_PRESET_GO;
    bool off;
    char err[128], out[1024];
    struct multiline *ml = multiline_new(&c, &off, err, sizeof(err));
    const char *l[] = { "2026/01/01 start", "panic: boom", "", "goroutine 1 [running]:", "main.main()",
                        "\t/src/main.go:8 +0x1d", "exit status 2", "2026/01/01 again", "", NULL };
    cr_assert_eq(run(ml, l, out, sizeof(out), NULL), 4);
    cr_assert_str_eq(out, "2026/01/01 start|panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n"
                          "\t/src/main.go:8 +0x1d\nexit status 2|2026/01/01 again|");
    multiline_free(ml);
}

Test(multiline, python_exception_line_ends_trace)
{
    struct multiline_conf c = base();
    c.preset = ML_PRESET_PYTHON;
    bool off;
    char err[128], out[1024];
    struct multiline *ml = multiline_new(&c, &off, err, sizeof(err));
    const char *l[] = { "Traceback (most recent call last):", "  File \"a.py\", line 1, in <module>",
                        "ValueError: x", "Error: not part of it", "Traceback (most recent call last):",
                        "  File \"b.py\", line 2", "KeyboardInterrupt", NULL };
    cr_assert_eq(run(ml, l, out, sizeof(out), NULL), 3);
    cr_assert_str_eq(out, "Traceback (most recent call last):\n  File \"a.py\", line 1, in <module>\n"
                          "ValueError: x|Error: not part of it|Traceback (most recent call last):\n"
                          "  File \"b.py\", line 2\nKeyboardInterrupt");
    multiline_free(ml);
}

Test(multiline, max_lines)
{
    struct multiline_conf c = base();
    c.indent = true;
    c.max_lines = 3;
    bool off;
    char err[128], out[1024];
    struct multiline *ml = multiline_new(&c, &off, err, sizeof(err));
    const char *l[] = { "a", " 1", " 2", " 3", " 4", NULL };
    cr_assert_eq(run(ml, l, out, sizeof(out), NULL), 2);
    cr_assert_str_eq(out, "a\n 1\n 2| 3\n 4");
    multiline_free(ml);
}

Test(multiline, max_bytes_never_loses_a_line)
{
    struct multiline_conf c = base();
    c.indent = true;
    c.max_bytes = 1024;
    bool off, cut = false;
    char err[128], out[4096];
    struct multiline *ml = multiline_new(&c, &off, err, sizeof(err));
    static char big[1500], mid[600];
    memset(big, ' ', sizeof(big) - 1);
    big[1] = 'B';
    memset(mid, ' ', sizeof(mid) - 1);
    mid[1] = 'M';
    /* "a" + mid fits; the second mid would pass 1024: it starts the next
     * event; big alone is longer than max_bytes: cut there and flagged */
    const char *l[] = { "a", mid, mid, big, NULL };
    cr_assert_eq(run(ml, l, out, sizeof(out), &cut), 3);
    cr_assert(cut);
    const char *p1 = strchr(out, '|'), *p2 = p1 ? strchr(p1 + 1, '|') : NULL;
    cr_assert(p1 && p2);
    cr_assert_eq((size_t)(p1 - out), 1 + 1 + strlen(mid));
    cr_assert_eq((size_t)(p2 - p1 - 1), strlen(mid));
    cr_assert_eq(strlen(p2 + 1), 1024, "the lone long line is cut at max_bytes");
    multiline_free(ml);
}

Test(multiline, emitted_text_survives_the_next_line)
{
    struct multiline_conf c = base();
    c.indent = true;
    bool off;
    char err[128];
    struct multiline *ml = multiline_new(&c, &off, err, sizeof(err));
    struct ml_event ev = { 0 };
    multiline_append(ml, &ev, SPAN_LIT("first"), 0, false);
    multiline_append(ml, &ev, SPAN_LIT(" cont"), 6, false);
    cr_assert(!multiline_continues(ml, &ev, SPAN_LIT("second")));
    struct span t = multiline_text(&ev);
    cr_assert_eq(ev.start_off, 0);
    multiline_reset(&ev);
    multiline_append(ml, &ev, SPAN_LIT("second"), 12, false);
    cr_assert(span_eq_cstr(t, "first\n cont"), "a record borrowing the text keeps it");
    cr_assert_eq(ev.start_off, 12);
    multiline_event_fini(&ev);
    multiline_free(ml);
}

Test(multiline, config_errors)
{
    struct multiline_conf c = base();
    char err[128];
    c.preset = ML_PRESET_JAVA;
    c.indent = true;
    cr_assert_eq(multiline_check(&c, err, sizeof(err)), -1);
    cr_assert(strstr(err, "preset java"), "%s", err);
    c = base();
    c.start = "a(";
    cr_assert_eq(multiline_check(&c, err, sizeof(err)), -1);
    cr_assert(strstr(err, "start: bad regex"), "%s", err);
    c.start = "^a";
    cr_assert_eq(multiline_check(&c, err, sizeof(err)), 0);
}
