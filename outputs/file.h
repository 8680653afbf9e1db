/* file.h - options and state of the `file` output (outputs/file.c). */
#ifndef VIGIL_OUTPUT_FILE_H
#define VIGIL_OUTPUT_FILE_H

#include <stdint.h>

#include "conf/option.h"
#include "outputs/gzip.h"

enum file_fsync { FILE_FSYNC_ALWAYS, FILE_FSYNC_BATCH, FILE_FSYNC_NEVER, FILE_FSYNC_INTERVAL };

struct file_output {
    /* options */
    char *path;                  /* folder */
    uint64_t rotate_bytes;       /* 0 = one file per day */
    int fsync;                   /* enum file_fsync */
    int64_t fsync_interval_ms;
    /* state */
    int fd;                      /* current file, -1 = none */
    uint32_t day;                /* YYYYMMDD (UTC) of the current file */
    unsigned seq;                /* size rotation within the day, 0 = first */
    uint64_t size;
    int64_t last_sync_ms;
    struct gzip_enc gz;          /* compression: gzip, one member per batch */
};

extern const struct conf_option file_output_options[];

#endif
