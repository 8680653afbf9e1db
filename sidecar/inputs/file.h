/* file.h - options of the `file` input (the tailer). */
#ifndef VIGIL_INPUT_FILE_H
#define VIGIL_INPUT_FILE_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/option.h"

enum read_from { READ_FROM_TAIL, READ_FROM_HEAD };
enum watch_mode { WATCH_AUTO, WATCH_INOTIFY, WATCH_POLL };
/* Which symlinks are followed. /proc, /sys and /dev are never read. */
enum follow_symlinks { FOLLOW_INSIDE, FOLLOW_NONE, FOLLOW_ALL };

struct file_options {
    struct conf_strlist paths;        /* globs */
    struct conf_strlist exclude;      /* globs matched against the full path and the base name */
    int read_from;                    /* enum read_from: files never seen before, at start */
    uint64_t max_line_bytes;
    int64_t refresh_interval_ms;      /* rescan globs */
    int64_t poll_interval_ms;         /* stat poll (fallback / safety net) */
    int watch;                        /* enum watch_mode */
    int64_t partial_timeout_ms;       /* emit a last line without newline after this */
    int64_t rotate_wait_ms;           /* keep reading a rotated-away file this long */
    int follow_symlinks;              /* enum follow_symlinks */
};

extern const struct conf_option file_input_options[];

#endif
