/* checkpoint.h - the file input's state file: for every known file its
 * identity (dev, inode, fingerprint of the first bytes), a hash of the bytes
 * just before the checkpointed offset, path and the offset every output has
 * accepted. The second hash tells a file truncated and rewritten with the
 * same first KiB (a banner) from the unchanged file. Written atomically (tmp, fsync, rename, fsync
 * dir); a damaged file is set aside as *.corrupt and never stops vigil. */
#ifndef VIGIL_CHECKPOINT_H
#define VIGIL_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sidecar/log.h"

#define CKPT_FP_BYTES 1024u          /* fingerprint: hash of the first min(size, this) bytes */
#define CKPT_TAIL_BYTES 512u        /* bytes before the offset hashed into tail_hash */
#define CKPT_VERSION  2              /* 1 (no tail hash) is still read */
#define CKPT_FORGET_SECONDS (24 * 3600)  /* rows of closed files are kept this long */

struct ckpt_entry {
    uint64_t dev, ino;
    uint32_t fp_len;                 /* bytes hashed; 0 = empty file */
    uint64_t fp_hash;
    uint64_t offset;                 /* next byte to read after a restart */
    uint32_t tail_len;               /* bytes before offset hashed; 0 = not known */
    uint64_t tail_hash;
    int64_t seen;                    /* wall seconds when last followed (eviction order) */
    char *path;                      /* malloc'd, NUL-terminated */
    void *owner;                     /* the open file using this row, NULL if none */
};

struct ckpt_table {
    struct ckpt_entry **v;
    size_t n, cap;
    size_t max;                      /* bound on rows (INPUT_MAX_FILES) */
    int64_t saved_at;                /* wall seconds the loaded file was written, 0 if none */
    uint64_t saved_hash;             /* hash of the text last written (skip unchanged writes) */
    struct log_limit save_log;       /* a write failing at every flush: one line per 10 s */
};

void ckpt_table_init(struct ckpt_table *t, size_t max);
void ckpt_table_free(struct ckpt_table *t);

/* Reads path into t (which must be empty). A missing file leaves t empty; a
 * damaged one is renamed to path.corrupt with a warning and t stays empty.
 * Returns 0, or -1 only when memory ran out. */
int ckpt_load(struct ckpt_table *t, const char *path);
/* Writes t to path atomically, creating its folder (0700) and the file
 * (0600). Returns 0, or -1 after logging what failed. */
int ckpt_save(struct ckpt_table *t, const char *path);
/* Drops rows without owner not seen for max_age seconds (before now). */
void ckpt_expire(struct ckpt_table *t, int64_t now, int64_t max_age);

/* The row of (dev, ino), or NULL. */
struct ckpt_entry *ckpt_find(const struct ckpt_table *t, uint64_t dev, uint64_t ino);
/* True if some row has this path. */
bool ckpt_path_known(const struct ckpt_table *t, const char *path);
/* Adds a row for (dev, ino) with a copy of path. When the table is full the
 * row without owner seen longest ago is dropped. Returns NULL when memory ran
 * out or every row is owned. */
struct ckpt_entry *ckpt_add(struct ckpt_table *t, uint64_t dev, uint64_t ino, const char *path);
/* Replaces e's path with a copy of path. Returns -1 when memory ran out. */
int ckpt_set_path(struct ckpt_entry *e, const char *path);
/* Drops e from t and frees it. */
void ckpt_remove(struct ckpt_table *t, struct ckpt_entry *e);

/* Formats t as the file's text (tests). Returns a malloc'd buffer, *len set. */
char *ckpt_format(const struct ckpt_table *t, size_t *len);
/* Parses text into t (empty). Returns 0, or -1 if the text is damaged. */
int ckpt_parse(struct ckpt_table *t, const char *text, size_t len);

#endif
