/* tail.h - the insides of the `file` input, shared by its files:
 *   file.c        the plugin: events (inotify, timers, the deferred read), queue
 *   tail_file.c   one followed file: open, identity, framing lines, close
 *   tail_scan.c   globs, exclude, noticing new, rotated, deleted, truncated files
 *   checkpoint.c  the state file of offsets
 * A followed file is known by (dev, inode, fingerprint of its first bytes), never
 * by its name: after a rename the old file is read to its end before the file
 * now at the path, and an inode reused after a delete is seen as a new file.
 * All files share one read buffer; each keeps only the carry of an incomplete
 * last line, so an idle file costs a struct and a descriptor. */
#ifndef VIGIL_TAIL_H
#define VIGIL_TAIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sidecar/inputs/checkpoint.h"
#include "sidecar/inputs/file.h"
#include "sidecar/clock.h"
#include "sidecar/pipeline.h"

struct event;
struct input;
struct input_plugin;
struct vigil;

#define TAIL_HASH_BUCKETS 4096u      /* path and inotify-watch lookups */
#define TAIL_WARNED_MAX   1024u      /* (path, reason) pairs already warned about (bounded) */

struct tail_input;

/* One open file. src is embedded: the pipeline keeps pointers to it while open. */
struct tail_file {
    struct source src;
    struct tail_input *ti;
    char *path;                      /* malloc'd; src.path points here */
    int fd;
    int wd;                          /* inotify watch on the file, -1 if none */
    dev_t dev;
    ino_t ino;
    uint32_t fp_len;                 /* bytes hashed into fp_hash (< CKPT_FP_BYTES: still growing) */
    uint64_t fp_hash;
    uint64_t off;                    /* file offset of the next byte to read */
    char *carry;                     /* incomplete last line, malloc'd on demand */
    size_t carry_len, carry_cap;     /* carry_len <= max_line_bytes */
    bool discard;                    /* dropping the rest of a line cut at max_line_bytes */
    bool eof;                        /* the last read found no more bytes */
    bool rotated;                    /* the path no longer names this file: finish and close */
    bool queued;
    int64_t partial_since;           /* mono ms when carry last grew */
    int64_t last_growth;             /* mono ms of the last byte read */
    struct tail_file *blocked_by;    /* the rotated file at our path, read first */
    struct tail_file *successor;     /* the file that waits for us */
    struct ckpt_entry *ent;          /* our row of the checkpoint table */
    struct tail_file *next, *prev;   /* all files */
    struct tail_file *qnext;         /* read queue */
    struct tail_file *path_next;     /* path hash chain (current files only) */
    struct tail_file *wd_next;       /* watch hash chain */
};

struct tail_input {
    struct input *in;
    struct vigil *vg;
    const struct file_options *opt;
    char *buf;                       /* READ_BUF_BYTES, shared by every file */
    size_t buf_cap;
    struct tail_file *files;         /* every open file */
    size_t nfiles;
    struct tail_file *qhead, *qtail; /* files with bytes to read */
    struct tail_file *path_hash[TAIL_HASH_BUCKETS];
    struct tail_file *wd_hash[TAIL_HASH_BUCKETS];
    int ifd;                         /* inotify, -1 in poll mode */
    struct event *inotify_ev, *poll_ev, *scan_ev, *work_ev;
    bool started, stopped, scan_pending;
    struct ckpt_table known;         /* identities and offsets, loaded and saved */
    char *ckpt_path;
    char **warned;                   /* "what|errno|path" keys warned about once */
    size_t nwarned;
};

/* The file input's ctx: the options first, so option offsets index it too. */
struct file_ctx {
    struct file_options opt;
    struct tail_input *ti;
};

extern const struct input_plugin input_file;

/* Hash of the first len bytes of fd; -1 if the file is shorter or unreadable. */
int tail_fingerprint(int fd, uint32_t len, uint64_t *hash);
/* Opens path as a new followed file (dev/ino from st, checked again on the
 * fd). initial: found by the first scan (read_from applies). Returns NULL and
 * warns once when it is not a readable regular file. */
struct tail_file *tail_file_open(struct tail_input *ti, const char *path, bool initial);
/* Reads at most budget bytes, handing each line to the pipeline. Returns 1 if
 * more bytes may be waiting (budget used up or paused), 0 at EOF, -1 on error. */
int tail_file_read(struct tail_file *tf, size_t budget);
/* Emits the held incomplete line (timeout, rotation, deletion, --once). */
void tail_file_flush_partial(struct tail_file *tf);
/* A size below our offset: the file was truncated in place; restart at 0. */
void tail_file_truncated(struct tail_file *tf);
/* Finishes tf for good: flushes, records its offset, closes, frees. */
void tail_file_close(struct tail_file *tf);
/* Refreshes tf's checkpoint row (identity, path, safe offset). */
void tail_file_note(struct tail_file *tf);

/* --- tail_scan.c --- */
/* Expands the globs and opens files not followed yet; notices rotated and
 * deleted paths. initial: the first scan at start. */
void tail_scan(struct tail_input *ti, bool initial);
/* Checks one file: growth, truncation, and (if current) whether its path still
 * names it. Queues it for reading when there is something to do. */
void tail_check(struct tail_input *ti, struct tail_file *tf);
bool tail_excluded(const struct file_options *o, const char *path);
/* Logs a warning about path once per (what, err): a different later failure
 * on the same path is logged too (bounded memory). */
void tail_warn_once(struct tail_input *ti, const char *path, const char *what, int err);

/* --- file.c --- */
void tail_queue(struct tail_input *ti, struct tail_file *tf);
void tail_path_add(struct tail_input *ti, struct tail_file *tf);
void tail_path_del(struct tail_input *ti, struct tail_file *tf);
struct tail_file *tail_path_find(struct tail_input *ti, const char *path);
void tail_watch_file(struct tail_input *ti, struct tail_file *tf);
void tail_unwatch_file(struct tail_input *ti, struct tail_file *tf);
void tail_watch_dir(struct tail_input *ti, const char *dir);

#endif
