/* sigma_bench.c - the Sigma detector's cost: loading a rule set (ms of wall
 * time, best of 3) and judging shell history lines with every rule loaded,
 * as detectors/sigma.c does (parse the line, each command as a
 * process_creation and an EXECVE event), in lines per CPU-second of this
 * process. Lines starting with '#' (history timestamps) are skipped; a
 * .tsv file's third column is the command (the tldr corpus). Built and run
 * by tests/bench/run.sh:
 *   sigma_bench ../shared/sigma build/bench/data/bash_history 20 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detectors/shell_line.h"
#include "detectors/sigma.h"

static double now(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void count(void *arg, const struct sigma_rule *r)
{
    (void)r;
    (*(unsigned long *)arg)++;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s RULES HISTORY [ROUNDS]\n", argv[0]);
        return 2;
    }
    int rounds = argc > 3 ? atoi(argv[3]) : 10;
    const char *paths[] = { argv[1] };
    struct sigma_opts o = { .min_status = "experimental" };
    double best_load = 1e9;
    struct sigma_set *s = NULL;
    for (int i = 0; i < 3; i++) {
        sigma_set_free(s);
        double t0 = now(CLOCK_MONOTONIC);
        s = sigma_set_load(paths, 1, &o);
        double t1 = now(CLOCK_MONOTONIC);
        if (!s)
            return 1;
        if (t1 - t0 < best_load)
            best_load = t1 - t0;
    }
    FILE *f = fopen(argv[2], "rb");
    if (!f) {
        fprintf(stderr, "sigma_bench: cannot open %s\n", argv[2]);
        return 1;
    }
    bool tsv = strlen(argv[2]) > 4 && strcmp(argv[2] + strlen(argv[2]) - 4, ".tsv") == 0;
    size_t n = 0, cap = 0;
    char **lines = NULL, buf[8192];
    while (fgets(buf, sizeof(buf), f)) {
        buf[strcspn(buf, "\n")] = '\0';
        char *cmd = buf;
        if (tsv) {
            char *t1 = strchr(buf, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
            if (!t2)
                continue;
            cmd = t2 + 1;
        }
        if (!cmd[0] || cmd[0] == '#')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            char **nl = realloc(lines, cap * sizeof(*lines));
            if (!nl)
                return 1;
            lines = nl;
        }
        lines[n++] = strdup(cmd);
    }
    fclose(f);
    static struct shl_line l;
    static char scratch[SHL_TEXT_BYTES + 1024];
    static struct sigma_event ev;
    unsigned long hits = 0, judged = 0, events = 0, cands = 0;
    double c0 = now(CLOCK_PROCESS_CPUTIME_ID);
    for (int r = 0; r < rounds; r++)
        for (size_t i = 0; i < n; i++) {
            shl_parse(&l, span_cstr(lines[i]));
            for (unsigned g = 0; g < l.nsegs; g++)
                for (int src = SS_PROCESS; src <= SS_EXECVE; src++) {
                    sigma_event_command(&ev, (enum sigma_source)src, &l.word[l.seg[g].w0], l.seg[g].nw,
                                        SPAN_LIT("alice"), SPAN_NULL, scratch, sizeof(scratch));
                    sigma_eval(s, &ev, count, &hits);
                    events++;
                    cands += s->ncand;
                }
            judged++;
        }
    double c1 = now(CLOCK_PROCESS_CPUTIME_ID);
    unsigned active = 0;
    for (size_t i = 0; i < s->nrules; i++)
        active += s->rule[i].active;
    printf("rules=%u load_ms=%.1f lines=%lu hits=%lu rules_tried_per_command=%.2f lines_per_cpu_s=%.0f\n",
           active, best_load * 1e3, judged, hits, events ? (double)cands / (double)events : 0.0,
           (double)judged / (c1 - c0));
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    sigma_set_free(s);
    return 0;
}
