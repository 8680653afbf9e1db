/* fuzz_sigma.c - a Sigma rule file of arbitrary bytes (detectors/sigma_*.c):
 * written to a private temporary file, loaded (the UTF-8 check, libfyaml,
 * modifiers, values, regular expressions, the condition), then the rule set
 * judges commands and raw lines made of the same bytes. A load must end as
 * one rule or one skipped entry, never a crash, a leak or a hang. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detectors/shell_line.h"
#include "detectors/sigma.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void hit(void *arg, const struct sigma_rule *r)
{
    (void)r;
    (*(unsigned *)arg)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof(path), "/tmp/fuzz_sigma.%d.yml", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    if (size && fwrite(data, 1, size, f) != size) {
        fclose(f);
        return 0;
    }
    fclose(f);
    const char *paths[] = { path };
    struct sigma_opts o = { .min_status = "experimental" };
    struct sigma_set *s = sigma_set_load(paths, 1, &o);
    unlink(path);
    if (!s)
        return 0;
    if (s->nrules + s->nskipped != 1)
        abort();
    static struct shl_line l;
    static char scratch[SHL_TEXT_BYTES + 1024];
    struct sigma_event ev;
    unsigned n = 0;
    char *copy = malloc(size ? size : 1);
    if (copy) {
        if (size)
            memcpy(copy, data, size);
        shl_parse(&l, span_make(copy, size < 4096 ? size : 4096));
        for (unsigned g = 0; g < l.nsegs; g++)
            for (int src = SS_PROCESS; src <= SS_EXECVE; src++) {
                sigma_event_command(&ev, (enum sigma_source)src, &l.word[l.seg[g].w0], l.seg[g].nw,
                                    SPAN_LIT("root"), SPAN_LIT("/tmp"), scratch, sizeof(scratch));
                sigma_eval(s, &ev, hit, &n);
            }
        sigma_event_line(&ev, span_make(copy, size));
        sigma_eval(s, &ev, hit, &n);
        free(copy);
    }
    sigma_set_free(s);
    return 0;
}
