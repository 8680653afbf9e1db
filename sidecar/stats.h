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
/* Prints the per-stage table (stderr) given the run's total CPU time. */
void stats_print(const struct vigil *vg, FILE *f, double wall_s);

#endif
