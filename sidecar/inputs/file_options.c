/* file_options.c - the option table of the `file` input. */
#include <stddef.h>

#include "sidecar/inputs/file.h"
#include "sidecar/limits.h"

static const char *const read_from_names[] = { "tail", "head", NULL };
static const char *const watch_names[] = { "auto", "inotify", "poll", NULL };
static const char *const follow_names[] = { "inside", "none", "all", NULL };

#define O(f) offsetof(struct file_options, f)
const struct conf_option file_input_options[] = {
    { "paths", CONF_STRLIST, NULL, O(paths), 0, 0, "files to follow: paths or globs", .flags = CONF_REQUIRED },
    { "exclude", CONF_STRLIST, NULL, O(exclude), 0, 0, "globs of files to skip (full path or base name)" },
    { "read_from", CONF_ENUM, "tail", O(read_from), 0, 0,
      "where to start a file with no checkpoint found at startup: tail | head (files that appear later are read from their start)",
      .enums = read_from_names },
    { "max_line_bytes", CONF_SIZE, "64KiB", O(max_line_bytes), 256, LINE_MAX_BYTES_CAP,
      "longer lines are cut, flagged truncated and counted" },
    { "refresh_interval", CONF_DURATION, "5s", O(refresh_interval_ms), 100, 86400000, "how often globs are rescanned for new files" },
    { "poll_interval", CONF_DURATION, "1s", O(poll_interval_ms), 50, 3600000,
      "stat poll of open files (catches what inotify misses on overlay and network filesystems)" },
    { "watch", CONF_ENUM, "auto", O(watch), 0, 0, "auto | inotify | poll", .enums = watch_names },
    { "partial_timeout", CONF_DURATION, "5s", O(partial_timeout_ms), 0, 3600000,
      "a last line without newline is emitted after this long" },
    { "rotate_wait", CONF_DURATION, "5s", O(rotate_wait_ms), 0, 3600000,
      "a rotated-away file is read to its end and closed after this long without growth" },
    { "follow_symlinks", CONF_ENUM, "inside", O(follow_symlinks), 0, 0,
      "inside | none | all: inside reads a file reached through a symlink only if it lies in (or below) the "
      "folder of the symlink and the fixed folder of one of the input's globs; none never reads a file whose "
      "name is a symlink, nor one outside those folders; all reads any target. Only regular files are read, "
      "never under /proc, /sys or /dev",
      .enums = follow_names },
    { 0 }
};
#undef O
