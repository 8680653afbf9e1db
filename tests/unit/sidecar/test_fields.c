/* test_fields.c - static fields: the Downward API labels file as the kubelet
 * writes it, the environment, overriding, and what a record receives. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sidecar/fields.h"
#include "sidecar/record.h"

Test(fields, labels_file)
{
    struct fieldset fs = { 0 };
    const char text[] = "app=\"shop\"\ntier=\"a \\\"b\\\" \\\\c\"\n\nbroken\n=novalue\nbare=x";
    fields_parse_labels(&fs, text, sizeof(text) - 1);
    cr_assert(fs.has_labels);
    cr_assert_eq(fs.nlabels, 3);
    cr_assert_str_eq(fs.labels[0].key, "app");
    cr_assert_str_eq(fs.labels[0].val, "shop");
    cr_assert_str_eq(fs.labels[1].val, "a \"b\" \\c");
    cr_assert_str_eq(fs.labels[2].val, "x");
    fields_fini(&fs);
}

Test(fields, kubernetes_env_and_override)
{
    setenv("POD_NAME", "web-1", 1);
    setenv("POD_NAMESPACE", "prod", 1);
    unsetenv("POD_IP");
    struct fieldset svc = { 0 }, in = { 0 };
    cr_assert_eq(fields_add_kubernetes(&svc, "/nonexistent/labels"), 0);
    cr_assert_eq(fields_set(&svc, "cluster", "eu-1"), 0);
    cr_assert_eq(fields_set(&in, "cluster", "eu-2"), 0);
    cr_assert_eq(fields_inherit(&in, &svc), 0);
    cr_assert_eq(span_eq_cstr(fields_get(&svc, "k8s.pod"), "web-1"), true);
    cr_assert(!fields_get(&svc, "k8s.pod_ip").len, "unset variables add nothing");
    cr_assert(span_eq_cstr(fields_get(&in, "cluster"), "eu-2"), "the input's own field wins");
    cr_assert(span_eq_cstr(fields_get(&in, "k8s.namespace"), "prod"));
    cr_assert(!svc.has_labels, "no labels map without the file");

    static char arena[4096];
    struct record r;
    record_init(&r, arena, sizeof(arena));
    fields_parse_labels(&in, "app=\"x\"", 7);
    fields_apply(&in, &r);
    const struct field *f = record_find(&r, SPAN_LIT("k8s.pod"));
    cr_assert(f && f->type == FT_STR && span_eq_cstr(f->v.s, "web-1"));
    f = record_find(&r, SPAN_LIT("k8s.labels"));
    cr_assert(f && f->type == FT_MAP && f->size == 1);
    cr_assert(span_eq_cstr(f[1].key, "app") && span_eq_cstr(f[1].v.s, "x"));
    fields_fini(&in);
    fields_fini(&svc);
}

Test(fields, bounded)
{
    struct fieldset fs = { 0 };
    char k[16];
    for (int i = 0; i < FIELDS_MAX; i++) {
        snprintf(k, sizeof(k), "k%d", i);
        cr_assert_eq(fields_set(&fs, k, "v"), 0);
    }
    cr_assert_eq(fields_set(&fs, "one-more", "v"), -1);
    cr_assert_eq(fields_set(&fs, "k3", "w"), 0, "an existing key is replaced, even when full");
    fields_fini(&fs);
}
