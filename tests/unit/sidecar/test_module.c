/* test_module.c - finding a plugin that may live in a module (sidecar/module.c):
 * a linked plugin needs no module; a missing module names where it was looked
 * for; a file that is not a shared object gives the loader's reason; a shared
 * object without vigil's version mark is refused. tests/integration/36_modules.sh
 * loads the real modules into the real binary. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sidecar/module.h"

static const int linked_plugin = 42;
static char dir[] = "/tmp/vigil-module.XXXXXX";
static char path[sizeof(dir) + 32];

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/vigil-x.so", dir);
    setenv("VIGIL_MODULE_DIR", dir, 1);
}

static void teardown(void)
{
    unlink(path);
    rmdir(dir);
}

TestSuite(module, .init = setup, .fini = teardown);

Test(module, a_linked_plugin_is_used_without_loading)
{
    struct module_entry e = { "x", "x", "plugin_x", &linked_plugin };
    char err[64] = "stale";
    cr_assert_eq(module_plugin(&e, err, sizeof(err)), &linked_plugin);
    cr_assert_str_empty(err);
    cr_assert_eq(module_plugin(&e, NULL, 0), &linked_plugin);
}

Test(module, a_missing_module_names_where_it_was_looked_for)
{
    struct module_entry e = { "x", "x", "plugin_x", NULL };
    char err[512], want[512];
    cr_assert_null(module_plugin(&e, err, sizeof(err)));
    snprintf(want, sizeof(want), "module vigil-x.so not found in %s", dir);
    cr_assert_str_eq(err, want);
    cr_assert_null(module_plugin(&e, NULL, 0));
}

Test(module, a_file_that_is_not_a_shared_object_gives_the_loaders_reason)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0);
    static const char zeros[4096];
    cr_assert_eq(write(fd, zeros, sizeof(zeros)), (ssize_t)sizeof(zeros));
    close(fd);
    struct module_entry e = { "x", "x", "plugin_x", NULL };
    char err[1024], want[512];
    cr_assert_null(module_plugin(&e, err, sizeof(err)));
    snprintf(want, sizeof(want), "cannot load module %s: ", path);
    cr_assert(strncmp(err, want, strlen(want)) == 0, "%s", err);
    cr_assert(strstr(err, "invalid ELF header"), "%s", err);
}

Test(module, a_shared_object_of_no_vigil_version_is_refused)
{
    Dl_info di;
    cr_assert(dladdr((void *)&printf, &di) && di.dli_fname, "no path for libc");
    cr_assert_eq(symlink(di.dli_fname, path), 0);
    struct module_entry e = { "x", "x", "printf", NULL };
    char err[1024], want[512];
    cr_assert_null(module_plugin(&e, err, sizeof(err)), "libc taken for a module");
    snprintf(want, sizeof(want), "module %s is not from vigil", path);
    cr_assert(strncmp(err, want, strlen(want)) == 0, "%s", err);
}

Test(module, rows_are_found_by_type)
{
    static const struct module_entry a = { "file", NULL, NULL, &linked_plugin },
                                     b = { "kafka", "kafka", "output_kafka", NULL };
    static const struct module_entry *const table[] = { &a, &b, NULL };
    cr_assert_eq(module_entry_find(table, "kafka"), &b);
    cr_assert_eq(module_entry_find(table, "file"), &a);
    cr_assert_null(module_entry_find(table, "kafk"));
}
