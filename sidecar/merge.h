/* merge.h - the event-time merge between parsing and the detectors.
 * When several sources have bytes to read (--once, a catch-up after
 * downtime, a burst), records are handed to the detectors and outputs in
 * event-time order across all sources, not source after source: a parsed
 * record is held (copied) while another source that may still hold an
 * earlier one has unread bytes and nothing held, and the held records leave
 * smallest time first. So the detector clock never passes a record still
 * unread in another active source, and the same logs give the same alerts
 * whatever the order of the inputs in the configuration.
 *
 * Order key: the record's event time, made non-decreasing within its
 * source (a record without a time, or earlier than the one before it in the
 * same file, takes the key of the one before), so each source keeps its own
 * order, which is also its shipping order. Ties go by input name, then path,
 * then the order the sources were opened in: never by configuration order.
 * A source whose lines carry no time at all has no place in the order: its
 * records go at once and it never holds others back.
 *
 * The look-ahead is bounded: a source holding MERGE_AHEAD_* is not read
 * further (the input parks it, and is woken when it drains), and past
 * MERGE_MAX_BYTES held in all the oldest record leaves anyway (counted). A
 * source with no unread bytes never holds others back, so a live sidecar
 * whose files are at their end delivers each record as it is read. */
#ifndef VIGIL_MERGE_H
#define VIGIL_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vigil;
struct source;
struct record;
struct merge_item;
struct merge_chunk;

struct merge {
    struct source **heap;        /* sources holding records, smallest head key first */
    size_t nheap, heap_cap;
    size_t blocking;             /* sources with unread bytes and nothing held */
    size_t held, held_bytes;     /* records held, and their copies' size */
    uint64_t opened;             /* sources seen: the last tie-breaker */
    uint64_t forced;             /* records released early: look-ahead cap reached */
    bool releasing;              /* no re-entry from a delivery */
    struct merge_chunk *spare;   /* emptied chunks kept for reuse (MERGE_SPARE_CHUNKS) */
    size_t nspare;
    struct record *out;          /* a held record is rebuilt here for delivery */
    char *out_arena;
};

/* A record of s just parsed: delivered at once when nothing can come before
 * it, else copied and held. r is the pipeline's record, reused after. */
void merge_push(struct vigil *vg, struct source *s, struct record *r);
/* The input tells whether s has bytes it has not read yet (queued for a read:
 * true; read to its end: false). */
void merge_source_unread(struct vigil *vg, struct source *s, bool unread);
/* True when s holds enough not to be read further now: the input parks it
 * and waits for its plugin's wake() (called when s has drained). */
bool merge_source_ahead(struct vigil *vg, struct source *s);
/* Bytes to read from s in one go: less while others wait to be merged, so
 * the look-ahead of one read stays small. */
size_t merge_read_budget(const struct vigil *vg, size_t full);
/* Delivers records in order until s holds none (s closes or restarts). */
void merge_drain_source(struct vigil *vg, struct source *s);
/* Removes s from the merge: drains it and forgets its unread bytes. */
void merge_forget(struct vigil *vg, struct source *s);
/* Delivers everything held, in order (stop, end of --once). */
void merge_release_all(struct vigil *vg);
/* The source offset before its oldest held record, or `otherwise` when it
 * holds none: what may be committed for s. */
uint64_t merge_safe_offset(const struct source *s, uint64_t otherwise);
/* Frees what is held, delivering nothing (teardown after release_all). */
void merge_fini(struct vigil *vg);

#endif
