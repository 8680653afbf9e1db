/* auth_session.h - sshd's lines of one connection, followed by pid.
 * sshd (and PAM inside it) write several lines for one connection, all with
 * the pid of the process serving it: the address is often written once, and
 * one password attempt can give two or three lines. The auth parser keeps a
 * small table of recent connections in its per-file state and, for each sshd
 * line, tells what the line means for its connection (its role). From that:
 *  - a line without an address gets the connection's (src_ip);
 *  - one attempt is counted once: the line that repeats one (sshd's line
 *    after PAM's, "Disconnecting: Too many authentication failures" after
 *    the failures it sums up) is marked `dup`;
 *  - PAM's `authentication failure` inside sshd is provisional (a second PAM
 *    module may still accept the password): it is `dup`, and counts only when
 *    the connection confirms it (sshd's own `Failed` line takes its place; a
 *    different user name, a success for another user, the end of the
 *    connection without success, or - once sshd has let PAIR_WINDOW pass
 *    without its verdict - the next line from the same address carry it as
 *    `failures: N`);
 *  - failures logged before the address is known are `dup` too, and the
 *    first line that names the address carries them as `failures: N`;
 *  - the end of a connection that made no attempt is a `scan`, one per
 *    connection: later lines of the same connection are `dup`. */
#ifndef VIGIL_AUTH_SESSION_H
#define VIGIL_AUTH_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "sidecar/span.h"

enum auth_role {
    R_NONE,
    R_CONN,       /* names the connection's address, nothing else */
    R_CONN_NEW,   /* "Connection from": a new connection on this pid */
    R_FAIL,       /* sshd's own failed attempt ("Failed password for") */
    R_PAMERR,     /* sshd's "PAM: Authentication failure for": same attempt as R_FAIL */
    R_ANNOUNCE,   /* "Invalid user x from": a user name tried */
    R_ECHO,       /* "input_userauth_request: invalid user x": repeats R_ANNOUNCE */
    R_SUMMARY,    /* sums up failures already logged ("Too many authentication failures") */
    R_COUNT,      /* an attempt of its own, never paired */
    R_PAM,        /* pam_*(sshd:auth): authentication failure - provisional */
    R_PAMMORE,    /* "PAM n more authentication failures" at the end */
    R_DETAIL,     /* a module's detail line for an attempt already logged */
    R_SUCCESS,    /* "Accepted ..." */
    R_KEYREJ,     /* a key offered and refused: an attempt, not a failure */
    R_CLOSE,      /* the connection ended */
    R_PROBE,      /* the connection failed before authentication */
    R_END,        /* an authenticated session ended */
};

/* What auth_session_apply() decides for the line. */
enum auth_conn_verdict {
    V_KEEP,         /* leave the action as the row says */
    V_SCAN,         /* connection ended without an attempt */
    V_PREAUTH,      /* connection ended before authentication, after attempts */
    V_OTHER,        /* connection ended normally (authenticated) */
};

struct auth_line {
    uint32_t pid;
    int64_t ts;
    enum auth_role role;
    struct span src;            /* in: the line's address; out: the connection's if absent */
    struct span user;
    bool preauth;               /* the line ended in " [preauth]" */
    bool names_user;            /* a close line that names the user (authenticating/invalid) */
    bool counted;               /* in: the row is a failure that counts; out: still counts */
    bool dup;                   /* out */
    uint32_t failures;          /* out: earlier failures of the connection attributed here */
    enum auth_conn_verdict verdict; /* out */
};

#define AUTH_SESSIONS_BITS 7
#define AUTH_SESSIONS (1u << AUTH_SESSIONS_BITS)
#define AUTH_SESS_ADDR 46
#define AUTH_SESS_USER 32

struct auth_sess {
    uint32_t pid, used;         /* used: 0 = free slot */
    int64_t ts, fail_ts, pam_ts;
    uint16_t pam_pend, addrless, logged;
    uint8_t fail_kind, flags, addr_len, user_len;
    char addr[AUTH_SESS_ADDR];
    char user[AUTH_SESS_USER];
};

/* The parser's per-file state. */
struct auth_state {
    struct auth_sess s[AUTH_SESSIONS];
    uint32_t npend;             /* connections holding provisional PAM failures */
};

/* Applies line l to its connection in st (st may be NULL: no following). */
void auth_session_apply(struct auth_state *st, struct auth_line *l);

#endif
