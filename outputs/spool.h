/* spool.h - an output's disk buffer: batches that could not stay in memory
 * wait here, in order, until the output takes them, across restarts.
 * Layout under its folder (0700): segment files `seg-NNNNNNNNNNNNNNNNNNNN.vgb`
 * (0600) of records [magic "VGB1", len u32, crc32 u32, n_events u32, format u8,
 * compression u8, 2 reserved bytes, payload len bytes], little-endian, and
 * `read.pos` (segment number and offset of the oldest record not yet
 * delivered), rewritten atomically after each pop. A record cut short by a
 * crash is found by its crc at startup, reported and cut off. */
#ifndef VIGIL_SPOOL_H
#define VIGIL_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "outputs/batch.h"

#define SPOOL_RECORD_HEADER 20
#define SPOOL_SEGMENT_BYTES (16u * 1024 * 1024)   /* a new segment after this */

struct spool;

/* Opens (creating it and its parents, 0700) the disk buffer in dir and finds
 * what an earlier run left there. name starts every message. max_bytes caps
 * the records kept (headers included). sync: each append is fdatasynced
 * before it returns 0 (buffer.fsync: batch). Returns NULL after logging. */
struct spool *spool_open(const char *dir, uint64_t max_bytes, bool sync, const char *name);
/* Syncs and closes; the files stay for the next run. NULL is fine. */
void spool_close(struct spool *s);

/* Appends a copy of b's wire bytes. Returns 0, 1 when it does not fit in
 * max_bytes (nothing written), -1 on I/O error, a failed fdatasync included
 * (logged, counted in spool_write_errors; nothing kept). */
int spool_append(struct spool *s, const struct batch *b);
/* True when a batch of len wire bytes would fit now. */
bool spool_fits(const struct spool *s, size_t len);
/* The oldest batch as a new copy (free with batch_free), NULL when empty or
 * on I/O error. Damaged records are skipped with a warning. */
struct batch *spool_peek(struct spool *s);
/* Removes the oldest batch. Returns its number of events, -1 when empty. */
int64_t spool_pop(struct spool *s);
uint64_t spool_bytes(const struct spool *s);   /* records kept, headers included */
uint64_t spool_count(const struct spool *s);   /* batches kept */
uint64_t spool_write_errors(const struct spool *s);   /* failed appends so far */
/* fdatasync of the segment being written. Returns -1 after logging. */
int spool_sync(struct spool *s);

#endif
