/* limits.h - the size ceilings vigil shares across modules, in one place.
 * Options use these as their bounds, buffers get them at init, and overflow is
 * truncated and counted, never grown past. A ceiling only one module knows
 * about is defined in that module, next to a comment that says why it is
 * that size. Option defaults are stated once, in the option tables
 * (conf/sections.c and each plugin's table), not here. */
#ifndef VIGIL_LIMITS_H
#define VIGIL_LIMITS_H

#define LINE_MAX_BYTES_DEFAULT   (64u * 1024)          /* inputs[].max_line_bytes */
#define LINE_MAX_BYTES_CAP       (16u * 1024 * 1024)   /* largest max_line_bytes accepted */
#define READ_BUF_BYTES           (1024u * 1024)        /* shared read buffer of the tailer */
#define READ_BUDGET_BYTES        (4u * 1024 * 1024)    /* bytes read per file per wakeup */
#define RECORD_MAX_FIELDS        256                   /* fields (all depths) per record */
#define RECORD_MAX_DEPTH         16                    /* JSON nesting kept as maps */
#define RECORD_ARENA_MIN         (16u * 1024)          /* scratch for unescaped strings */
#define TAG_MAX_BYTES            256
#define PATH_MAX_BYTES           4096
#define INPUT_MAX_FILES          65536                 /* files followed per input */
#define MERGE_AHEAD_RECORDS      4096                  /* held per source before it is not read on */
#define MERGE_AHEAD_BYTES        (2u * 1024 * 1024)    /* the same, in bytes of held copies */
#define MERGE_MAX_BYTES          (32u * 1024 * 1024)   /* held in all: past it the oldest leaves */
#define MERGE_READ_BYTES         (256u * 1024)         /* read budget per file while merging */
#define BATCH_MAX_BYTES_CAP      (64u * 1024 * 1024)
#define ALERT_MAX_EVIDENCE       5
#define ALERT_MESSAGE_BYTES      768
#define ALERT_EVIDENCE_BYTES     512                   /* per evidence line */
#define DETECTOR_MEMORY_DEFAULT  (64ull * 1024 * 1024)
#define BASELINE_KEY_BYTES       64                    /* entity keys are shown cut here */
#define BASELINE_KEY_BUF         1024                  /* composite keys; longer parts hashed */
#define LOG_LINE_BYTES           2048                  /* one diagnostic line */
#define LOG_LIMIT_INTERVAL_MS    10000                 /* a repeated error: one line per */
#define HTTP_MAX_CONNECTIONS     64                    /* service.http: open connections */
#define HTTP_MAX_HEADER_BYTES    8192                  /* request line + headers */
#define HTTP_MAX_BODY_BYTES      1024                  /* GET/HEAD only */
#define HTTP_TIMEOUT_S           10                    /* read, write and keep-alive idle */
#define HTTP_MAX_CONN_AGE_S      30                    /* then a connection is shut down */
#define HTTP_MAX_REPLY_BYTES     (256u * 1024)         /* one /alerts reply */
#define HTTP_ACCEPT_RETRY_MS     1000                  /* after accept() failed (EMFILE) */
#define HTTP_CAP_RETRY_MS        200                   /* at the connection cap */

#endif
