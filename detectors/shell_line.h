/* shell_line.h - a command line cut into the commands it runs, for the shell
 * detectors. A line becomes segments (one simple command each) joined by
 * operators (| ; && || &), with their redirections. Wrappers that only run
 * another command (sudo, env, nohup, timeout, nice, exec, ...) and leading
 * VAR=value assignments are set aside so a segment's argv0 is the program
 * that really runs. Commands inside $( ), ` `, <( ) and the string of
 * `sh -c` / `bash -c` are parsed as nested segments whose parent is the
 * segment that contains them. Everything is bounded: past the limits the
 * rest of the line is ignored and `truncated` is set. */
#ifndef VIGIL_SHELL_LINE_H
#define VIGIL_SHELL_LINE_H

#include <stdbool.h>
#include <stdint.h>

#include "sidecar/span.h"

#define SHL_MAX_WORDS  160
#define SHL_MAX_SEGS   32
#define SHL_MAX_REDIRS 24
#define SHL_TEXT_BYTES 8192
#define SHL_MAX_DEPTH  3

enum shl_op { SHL_OP_END, SHL_OP_PIPE, SHL_OP_SEQ, SHL_OP_AND, SHL_OP_OR, SHL_OP_BG };
enum shl_redir_kind { SHL_R_IN, SHL_R_OUT, SHL_R_APPEND, SHL_R_DUP, SHL_R_HERESTR };

struct shl_redir {
    uint8_t kind;          /* enum shl_redir_kind */
    uint8_t seg;           /* segment it belongs to */
    struct span target;    /* unquoted */
};

struct shl_seg {
    uint16_t a0, na;       /* VAR=value assignments: word[a0 .. a0+na) */
    uint16_t w0, nw;       /* argv: word[w0 .. w0+nw), argv0 = word[w0] */
    uint8_t op;            /* enum shl_op after this segment */
    int8_t parent;         /* -1 on the top level */
    uint8_t depth;
    bool sudo;             /* ran through sudo/doas/su -c */
};

struct shl_line {
    struct span word[SHL_MAX_WORDS];   /* unquoted words, in text[] */
    uint16_t nwords;
    struct shl_seg seg[SHL_MAX_SEGS];
    uint8_t nsegs;
    struct shl_redir redir[SHL_MAX_REDIRS];
    uint8_t nredirs;
    bool truncated;
    size_t used;
    char text[SHL_TEXT_BYTES];
};

/* Parses cmd (borrowed only during the call: words are copied into l). */
void shl_parse(struct shl_line *l, struct span cmd);
/* The parse of cmd from one line kept for the whole process, keyed by cmd's
 * bytes: the shell detectors judge the same record one after the other, and
 * the second one gets the first one's parse for a compare. The result stays
 * valid until the next call; detectors run on one thread only. */
const struct shl_line *shl_parse_shared(struct span cmd);
/* Basename of the segment's argv0 without a ".exe" suffix; empty if none. */
struct span shl_argv0(const struct shl_line *l, unsigned seg);
/* argv[i] of a segment (0 = argv0 as typed); empty past the end. */
struct span shl_arg(const struct shl_line *l, unsigned seg, unsigned i);

#endif
