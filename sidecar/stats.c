/* stats.c - per-stage timing for `vigil --stats` (see stats.h). */
#include "sidecar/stats.h"

#include <sys/resource.h>
#include <time.h>

#include "detectors/baseline.h"
#include "sidecar/vigil.h"

uint64_t stats_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void stats_stage(struct stats *s, enum stats_stage st)
{
    uint64_t now = stats_clock();
    s->ns[st] += now - s->last;
    s->count[st]++;
    s->last = now;
}

void stats_nested(struct stats *s, enum stats_stage st, uint64_t t0)
{
    uint64_t dt = stats_clock() - t0;
    s->ns[st] += dt;
    s->count[st]++;
    s->last += dt;
}

static const char *const stage_names[PSTAGE__COUNT] = {
    "read+frame", "parse", "detect", "route+pack", "compress", "write",
};

void stats_print(const struct vigil *vg, FILE *f, double wall_s)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    const struct stats *s = vg->stats;
    uint64_t timed = 0;
    for (int i = 1; i < PSTAGE__COUNT; i++)
        timed += s->ns[i];
    /* Waiting for a core inflates every stage alike: scale wall to CPU. */
    double scale = wall_s > 0 && cpu < wall_s ? cpu / wall_s : 1.0;
    double read_s = cpu - (double)timed / 1e9 * scale;
    if (read_s < 0)
        read_s = 0;
    fprintf(f, "stage        cpu s (est.)  share     count\n");
    for (int i = 0; i < PSTAGE__COUNT; i++) {
        double sec = i == PSTAGE_READ ? read_s : (double)s->ns[i] / 1e9 * scale;
        fprintf(f, "%-12s %8.3f      %5.1f%%  %8llu\n", stage_names[i], sec,
                cpu > 0 ? 100.0 * sec / cpu : 0.0,
                (unsigned long long)(i == PSTAGE_READ ? vg->n.lines : s->count[i]));
    }
    fprintf(f, "lines %llu  bytes %llu  records %llu  parse_errors %llu  alerts %llu\n",
            (unsigned long long)vg->n.lines, (unsigned long long)vg->n.bytes,
            (unsigned long long)vg->n.records, (unsigned long long)vg->n.parse_errors,
            (unsigned long long)vg->n.alerts);
    fprintf(f, "wall %.3fs  cpu %.3fs (user %.3f sys %.3f)  lines/s %.0f  lines/cpu-s %.0f  MB/s %.1f  max_rss %ld KiB\n",
            wall_s, cpu, (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
            (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
            wall_s > 0 ? (double)vg->n.lines / wall_s : 0.0,
            cpu > 0 ? (double)vg->n.lines / cpu : 0.0,
            wall_s > 0 ? (double)vg->n.bytes / wall_s / 1e6 : 0.0, ru.ru_maxrss);
    if (vg->budget) {
        fprintf(f, "detector_mem %llu KiB (cap %llu KiB, %llu evictions, %llu refused)\n",
                (unsigned long long)(vg->budget->used / 1024),
                (unsigned long long)(vg->budget->cap / 1024),
                (unsigned long long)vg->budget->evictions,
                (unsigned long long)vg->budget->refused);
        for (const struct bl_table *t = vg->budget->tables; t; t = bl_table_next(t))
            fprintf(f, "  table %-24s %8zu keys %8llu KiB %8llu evictions %8llu refused\n",
                    bl_table_name(t), bl_table_count(t),
                    (unsigned long long)(bl_table_bytes(t) / 1024),
                    (unsigned long long)bl_table_evictions(t),
                    (unsigned long long)bl_table_refused(t));
    }
}
