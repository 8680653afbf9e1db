/* record.h - one parsed log line: the single event type of the pipeline.
 * A record is reused line after line (record_reset), so nothing here mallocs:
 * string values are spans into the read buffer (the raw line) or into the
 * record's arena (unescaped or synthesised text). Fields form a flat pre-order
 * tree: a FT_MAP / FT_ARRAY field is followed by its `size` descendants. Keys of
 * the documented schema (docs/events.md) are "known": record_get() finds them in
 * O(1) whichever parser set them. */
#ifndef VIGIL_RECORD_H
#define VIGIL_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "sidecar/limits.h"
#include "sidecar/span.h"

enum record_kind { KIND_RAW, KIND_AUTH, KIND_SHELL, KIND_APP, KIND_AUDIT, KIND_EGRESS, KIND_ALERT,
                   KIND__COUNT };
#define KIND_BIT(k) (1u << (k))

/* Known keys: the common schema. Order is the ABI of snapshots: append only. */
#define RECORD_KEYS(X) \
    X(ACTION, "action") X(SERVICE, "service") X(USER, "user") X(TARGET_USER, "target_user") \
    X(SRC_IP, "src_ip") X(SRC_PORT, "src_port") X(METHOD, "method") X(KEY_FP, "key_fp") \
    X(TTY, "tty") X(PWD, "pwd") X(COMMAND, "command") X(PID, "pid") X(UID, "uid") \
    X(GROUP, "group") X(REASON, "reason") X(REPEAT, "repeat") X(ARGV0, "argv0") X(ARGV, "argv") \
    X(PIPELINE, "pipeline") X(USES_SUDO, "uses_sudo") X(LEVEL, "level") X(MSG, "msg") \
    X(APP, "app") X(IDENTITY, "identity") X(RESULT, "result") X(DST_HOST, "dst_host") \
    X(DST_PORT, "dst_port") X(BYTES_OUT, "bytes_out") X(BYTES_IN, "bytes_in") \
    X(STATUS, "status") X(PATH, "path") X(SEVERITY, "severity") X(RULE, "rule")

enum rkey {
#define X(id, name) RK_##id,
    RECORD_KEYS(X)
#undef X
    RK__COUNT,
    RK__NONE = -1
};

enum field_type { FT_NULL, FT_STR, FT_INT, FT_DOUBLE, FT_BOOL, FT_MAP, FT_ARRAY };

struct field {
    struct span key;        /* empty for array elements */
    uint8_t type;           /* enum field_type */
    uint8_t depth;          /* 0 = top level */
    uint16_t size;          /* MAP/ARRAY: number of descendant fields that follow */
    union {
        struct span s;
        int64_t i;
        double d;
        bool b;
    } v;
};

struct record {
    struct span raw;            /* the whole line ("message"), always shipped */
    int64_t ts;                 /* event time, ns since epoch (read time if none in line) */
    int64_t read_ts;            /* when the line was read, ns */
    uint8_t kind;               /* enum record_kind */
    bool ts_from_line;          /* the parser found the time in the line */
    bool truncated;             /* line was cut at max_line_bytes */
    const char *parse_error;    /* static reason, NULL when parsed */
    struct span tag;            /* routing tag (input's tag) */
    struct span input;          /* input name */
    struct span path;           /* source file, empty for non-file inputs */
    struct span host;           /* from the line (syslog) or this host */
    uint32_t repeat;            /* "message repeated N times": N, else 1 */
    uint64_t seq;               /* pipeline sequence number, set by the pipeline */
    uint64_t off;               /* source offset where the line starts (set before parsing) */
    uint32_t nfields;
    uint8_t open_depth;         /* containers currently open */
    bool overflow;              /* fields or arena ran out: some were dropped */
    int16_t known[RK__COUNT];   /* field index + 1 of top-level known keys, 0 = absent */
    uint16_t open_stack[RECORD_MAX_DEPTH];
    char *arena;                /* borrowed scratch, arena_cap bytes */
    size_t arena_used, arena_cap;
    struct field fields[RECORD_MAX_FIELDS];
};

/* Binds the record to arena (borrowed, cap bytes) and resets it. */
void record_init(struct record *r, char *arena, size_t cap);
/* Empties fields, arena and per-line flags; keeps arena, tag, input, path, host. */
void record_reset(struct record *r);

/* Adding fields. Each returns the field index, or -1 when RECORD_MAX_FIELDS is
 * reached (r->overflow is set; the line is still shipped). Keys and string
 * values are borrowed: they must outlive the record's use (raw line or arena).
 * A top-level key whose name is in RECORD_KEYS becomes known (last one wins). */
int record_add_str(struct record *r, struct span key, struct span val);
int record_add_int(struct record *r, struct span key, int64_t v);
int record_add_double(struct record *r, struct span key, double v);
int record_add_bool(struct record *r, struct span key, bool v);
int record_add_null(struct record *r, struct span key);
/* Opens a FT_MAP or FT_ARRAY; fields added until record_close() are inside it.
 * Returns -1 (and adds nothing) past RECORD_MAX_DEPTH or when full. */
int record_open(struct record *r, struct span key, enum field_type type);
void record_close(struct record *r);

/* Sets a known key by id: the same as record_add_*(r, key name, v). */
int record_set_str(struct record *r, enum rkey k, struct span val);
int record_set_int(struct record *r, enum rkey k, int64_t v);
int record_set_bool(struct record *r, enum rkey k, bool v);

/* Lookups of known top-level keys. record_str is empty when absent or not a
 * string; record_int converts FT_STR digits too. */
const struct field *record_get(const struct record *r, enum rkey k);
struct span record_str(const struct record *r, enum rkey k);
bool record_int(const struct record *r, enum rkey k, int64_t *out);
/* Top-level lookup of any key, O(fields). */
const struct field *record_find(const struct record *r, struct span key);

/* Arena: returns n bytes (NULL when full: set r->overflow and carry on). */
char *record_alloc(struct record *r, size_t n);
/* Copies p[0..n) into the arena; empty span when full. */
struct span record_copy(struct record *r, const char *p, size_t n);

enum rkey rkey_lookup(struct span name);
const char *rkey_name(enum rkey k);
/* Where the static names of the known keys lie (the keys record_set_*()
 * gives): such a key outlives every record. */
struct span rkey_static_names(void);
const char *record_kind_name(enum record_kind k);

#endif
