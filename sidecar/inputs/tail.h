/* tail.h - the insides of the `file` input, shared by its files:
 *   file.c        the plugin: events (inotify, timers, the deferred read), queue
 *   tail_file.c   one followed file: open, identity, framing lines, close
 *   tail_scan.c   globs, exclude, noticing new, rotated, deleted, truncated files
 *   tail_guard.c  which paths may be read (symlinks, special files) and opening them
 *   tail_budget.c the descriptor budget: idle files closed, reopened by identity
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
struct stat;
struct input;
struct input_plugin;
struct vigil;

#define TAIL_HASH_BUCKETS 4096u      /* path and inotify-watch lookups */
#define TAIL_WARNED_MAX   8192u      /* (path, reason, errno) already warned about (bounded, power of 2) */
#define TAIL_RECOVER_MAX  1024u      /* rotated-while-stopped files looked for at start */

struct tail_input;

/* One open file. src is embedded: the pipeline keeps pointers to it while open. */
struct tail_file {
    struct source src;
    struct tail_input *ti;
    char *path;                      /* malloc'd; src.path points here */
    int fd;                          /* -1 while parked (closed for the descriptor budget) */
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
    bool nl_before;                  /* our own last read ended with a newline at off - 1 */
    bool rotated;                    /* the path no longer names this file: finish and close */
    bool queued;
    bool parked;                     /* closed while idle; reopened by path and identity */
    uint32_t park_tail_len;          /* hash of the bytes before off when parked */
    uint64_t park_tail_hash;
    int64_t partial_since;           /* mono ms when carry last grew */
    int64_t last_growth;             /* mono ms of the last byte read */
    struct tail_file *blocked_by;    /* the rotated file at our path, read first */
    struct tail_file *successor;     /* the file that waits for us */
    struct ckpt_entry *ent;          /* our row of the checkpoint table */
    struct tail_file *next, *prev;   /* all files */
    struct tail_file *qnext;         /* read queue */
    struct tail_file *path_next;     /* path hash chain (current files only) */
    struct tail_file *wd_next;       /* watch hash chain */
    struct tail_file *lru_next, *lru_prev; /* files holding a descriptor, least recent growth first */
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
    uint64_t *warned;                /* hashes of (path, reason, errno) warned about (open addressing) */
    size_t nwarned;
    bool warned_full;
    char **bases;                    /* resolved folder of each glob (NULL if none) */
    size_t nbases;
    struct tail_file *lru_head, *lru_tail; /* files with a descriptor */
    size_t nopen;                    /* descriptors held by this input's files */
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
/* Same, reading the file found at open_path but naming it path. */
struct tail_file *tail_file_open_as(struct tail_input *ti, const char *open_path, const char *path,
                                    bool initial);
/* Hash of the up to CKPT_TAIL_BYTES bytes before off (the checkpoint's check
 * that the bytes already read are still there). Returns the length hashed. */
uint32_t tail_tail_hash(int fd, uint64_t off, uint64_t *hash);
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
 * on the same path is logged too (bounded memory). Returns true when this is
 * the first such warning (or the table is full). */
bool tail_warn_once(struct tail_input *ti, const char *path, const char *what, int err);
/* At start: files with a checkpoint row that no scan opened because they
 * were renamed while vigil was stopped (to a name excluded or not matched)
 * are found in their folder by identity and read to their end, before the
 * file now at their old name. A file still at its name that the globs no
 * longer match was dropped from the configuration: it is left alone. */
void tail_recover(struct tail_input *ti);
/* Looks in the folder of path for a regular file with identity (dev, ino);
 * copies its path to out. Returns 0 if found. */
int tail_find_in_folder(const char *path, dev_t dev, ino_t ino, char *out, size_t cap);

/* --- tail_guard.c --- */
#define TAIL_REFUSED (-2)
/* Resolves the folder of every glob (done at each scan). */
void tail_guard_bases(struct tail_input *ti);
/* Opens path for reading if follow_symlinks and the system-path rule allow
 * it: a regular file, opened O_NOFOLLOW | O_NONBLOCK (cleared after), whose
 * fstat matches what was checked. Returns the fd with *st filled; -1 with
 * errno on an ordinary error; TAIL_REFUSED when refused (logged once and
 * counted here). */
int tail_guard_open(struct tail_input *ti, const char *path, struct stat *st);
/* The checks alone (no open): 0 allowed, TAIL_REFUSED, or -1 with errno. */
int tail_guard_check(struct tail_input *ti, const char *path, struct stat *st);
void tail_guard_free(struct tail_input *ti);

/* --- tail_budget.c --- */
/* Descriptors this input may hold for its files. */
size_t tail_budget_share(void);
void tail_budget_register(int delta);
/* tf got a descriptor / grew: it goes to the recent end. */
void tail_budget_touch(struct tail_input *ti, struct tail_file *tf);
void tail_budget_forget(struct tail_input *ti, struct tail_file *tf);
/* Makes room for one more descriptor: parks the idle file that grew least
 * recently (never one with unread bytes). Returns false if none could be. */
bool tail_budget_room(struct tail_input *ti, const struct tail_file *keep);
/* Closes tf's descriptor, keeping its place (offset, carry, checkpoint row). */
void tail_file_park(struct tail_file *tf);
/* Reopens a parked file by path and identity (dev, ino, fingerprint). 0 ok,
 * 1 no descriptor free yet (try later), -1 the file is gone. */
int tail_file_unpark(struct tail_file *tf);

/* --- file.c --- */
void tail_queue(struct tail_input *ti, struct tail_file *tf);
void tail_path_add(struct tail_input *ti, struct tail_file *tf);
void tail_path_del(struct tail_input *ti, struct tail_file *tf);
struct tail_file *tail_path_find(struct tail_input *ti, const char *path);
void tail_watch_file(struct tail_input *ti, struct tail_file *tf);
void tail_unwatch_file(struct tail_input *ti, struct tail_file *tf);
void tail_watch_dir(struct tail_input *ti, const char *dir);

#endif
