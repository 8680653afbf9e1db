/* stats.h - `vigil --stats`: where the time goes, per pipeline stage.
 * Off by default (vg->stats == NULL) and then free: each macro is one branch.
 * When on, every stage boundary reads the monotonic clock and adds the
 * elapsed time to the stage just finished. */
#ifndef VIGIL_STATS_H
#define VIGIL_STATS_H

#include <stdint.h>
#include <stdio.h>

struct vigil;

enum stats_stage { PSTAGE_READ, PSTAGE_PARSE, PSTAGE_DETECT, PSTAGE_PACK, PSTAGE_COMPRESS, PSTAGE_WRITE,
                   PSTAGE__COUNT };

struct stats {
    uint64_t ns[PSTAGE__COUNT];
    uint64_t count[PSTAGE__COUNT];
    uint64_t last;                 /* clock at the last boundary */
    uint64_t bytes_in, bytes_raw, bytes_wire;
};

uint64_t stats_clock(void);
/* Starts timing a stage sequence (after reading). */
#define STATS_START(vg) do { if ((vg)->stats) (vg)->stats->last = stats_clock(); } while (0)
/* Closes stage st: the time since the last boundary goes to st. */
#define STATS_STAGE(vg, st) do { if ((vg)->stats) stats_stage((vg)->stats, (st)); } while (0)
void stats_stage(struct stats *s, enum stats_stage st);
/* A stage inside another (compress and write happen inside route+pack, or on
 * a timer): its time goes to st and is taken out of the enclosing stage by
 * moving the boundary. Begin returns 0 when stats are off. */
#define STATS_NESTED_BEGIN(vg) ((vg) && (vg)->stats ? stats_clock() : 0)
#define STATS_NESTED_END(vg, st, t0) \
    do { if ((vg) && (vg)->stats && (t0)) stats_nested((vg)->stats, (st), (t0)); } while (0)
void stats_nested(struct stats *s, enum stats_stage st, uint64_t t0);
/* Prints the per-stage table given the run's wall time. Stage times are read
 * from the monotonic clock (a CPU-time clock per stage would cost more than
 * some stages), so on a busy machine they include time the process waited
 * for a core: they are scaled by CPU time / wall time to estimate CPU
 * seconds, and read+frame is the CPU time the timed stages leave. */
void stats_print(const struct vigil *vg, FILE *f, double wall_s);

#endif
