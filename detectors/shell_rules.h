/* shell_rules.h - the row format of the shell technique rules.
 * A rule is a row of shell_rules[] (detectors/shell_rules_table.c): its id,
 * severity, lifecycle stage, ATT&CK ids, a description in plain words, and
 * structured conditions on one segment of the parsed line (shell_line.h).
 * Every non-NULL condition must hold; patterns are '|'-separated globs
 * (case-sensitive, except an alternative starting with '~', see match.h)
 * matched against whole words, never against the raw line. Several rows may share an id (alternative shapes of one
 * technique); a line raises each id at most once. */
#ifndef VIGIL_SHELL_RULES_H
#define VIGIL_SHELL_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "detectors/alert.h"
#include "detectors/shell_line.h"

enum shell_rule_flags {
    SR_RECON       = 1u << 0,  /* feeds shell.recon_burst; alone it alerts only if sev > info */
    SR_STDIN_EXEC  = 1u << 1,  /* the pipe_to command must run what it reads (bash, not bash x.sh) */
    SR_NEW_REMOTE  = 1u << 2,  /* the segment's remote host is new for this user (learned) */
    SR_UPLOAD      = 1u << 3,  /* data goes to a remote host (scp/rsync destination); new or not */
    SR_DOWNLOAD    = 1u << 4,  /* ... and data comes from it */
    SR_DROP_EXEC   = 1u << 5,  /* runs or chmod +x's a file this user downloaded to a temp dir */
    SR_NESTED_SHELL= 1u << 6,  /* the segment sits in $( ) / <( ) of a shell or eval */
    SR_FIRST_WORD  = 1u << 7,  /* `arg` must match the first argument (argv[1]) */
    SR_NOVELTY     = 1u << 8,  /* an observation, not a technique: the alert stream sets its
                                  severity from corroborating signals (detectors/alert.c) */
};

struct shell_rule {
    const char *id;            /* "shell.download_exec" */
    enum severity sev;
    enum stage stage;
    const char *attack[3];     /* NULL-terminated when fewer */
    const char *what;          /* "a download piped into a shell" */
    const char *cmd;           /* argv0 (basename) */
    const char *arg;           /* some argument */
    const char *arg2;          /* and some argument (maybe the same) */
    const char *not_arg;       /* and no argument */
    const char *any;           /* some argument or redirection target */
    const char *write;         /* some file the segment writes (redirection, tee, cp/mv dest, sed -i, dd of=) */
    const char *read;          /* some input redirection target */
    const char *pipe_to;       /* a later command of the same pipe chain (argv0) */
    const char *pipe_from;     /* an earlier command of the same pipe chain (argv0) */
    const char *assign;        /* a VAR=value word of the segment (or export/unset argument) */
    unsigned flags;
};

extern const struct shell_rule shell_rules[];
extern const size_t shell_rules_count;

/* Does rule r hold for segment seg of l? flags needing a baseline (SR_NEW_REMOTE,
 * SR_DROP_EXEC) are checked against new_remote / drop_exec given by the caller. */
bool shell_rule_match(const struct shell_rule *r, const struct shl_line *l, unsigned seg,
                      bool new_remote, bool upload, bool drop_exec);

#endif
