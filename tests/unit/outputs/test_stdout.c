/* test_stdout.c - the stdout output writes whole batches to fd 1: JSON lines
 * by default shape, text lines with control bytes escaped. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outputs/output.h"
#include "sidecar/log.h"
#include "sidecar/pipeline.h"
#include "sidecar/vigil.h"
#include "records.h"

void pipeline_pause(struct vigil *vg, const char *why)
{
    (void)why;
    vg->paused = true;
}
void pipeline_resume(struct vigil *vg)
{
    vg->paused = false;
}

extern const struct output_plugin output_stdout;

/* Runs n records through a stdout output with fd 1 sent to a file; returns
 * what was written (malloc'd). */
static char *capture(int format, int n)
{
    char path[] = "/tmp/vigil-stdout-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(fd, STDOUT_FILENO);

    struct vigil vg = { 0 };
    struct vigil_conf conf = { 0 };
    struct output_conf oc = { 0 };
    log_threshold = LOG_OFF;
    vg.conf = &conf;
    conf.outputs = &oc;
    conf.noutputs = 1;
    oc.name = "console";
    oc.plugin = &output_stdout;
    oc.common.format = format;
    oc.common.compression = output_stdout.default_compression;
    cr_assert_eq(outputs_init(&vg), 0);
    for (int s = 1; s <= n; s++) {
        struct test_rec t;
        struct record *r = test_rec_make(&t, (uint64_t)s);
        r->raw = SPAN_LIT("hi\x1b[2Jthere");
        output_add(vg.outputs[0], r);
    }
    outputs_flush(&vg);
    cr_assert(outputs_idle(&vg));
    cr_assert_eq(vg.outputs[0]->stats.events, (uint64_t)n);
    outputs_shutdown(&vg);
    outputs_free(&vg);

    dup2(saved, STDOUT_FILENO);
    close(saved);
    char *buf = calloc(1, 65536);
    ssize_t got = pread(fd, buf, 65535, 0);
    cr_assert_geq(got, 0);
    close(fd);
    unlink(path);
    return buf;
}

Test(stdout, json_lines)
{
    cr_assert_eq(output_stdout.default_format, OUTPUT_FORMAT_JSON);
    char *s = capture(OUTPUT_FORMAT_JSON, 2);
    const char *l1 = "{\"ts\":\"2015-09-07T01:23:05.000000123Z\",\"tag\":\"app.api\","
                     "\"message\":\"hi\\u001b[2Jthere\",\"kind\":\"app\",\"host\":\"web-1\","
                     "\"input\":\"app\",\"path\":\"/var/log/app/api.log\",\"method\":\"GET\","
                     "\"status\":200,\"user\":\"alice\"}\n";
    cr_assert(strncmp(s, l1, strlen(l1)) == 0, "%s", s);
    cr_assert(strstr(s + strlen(l1), "\"ts\":\"2015-09-07T01:23:06.000000123Z\""), "%s", s);
    free(s);
}

Test(stdout, text_lines)
{
    char *s = capture(OUTPUT_FORMAT_TEXT, 2);
    cr_assert_str_eq(s, "2015-09-07T01:23:05.000000123Z app.api hi\\x1b[2Jthere\n"
                        "2015-09-07T01:23:06.000000123Z app.api hi\\x1b[2Jthere\n");
    free(s);
}
