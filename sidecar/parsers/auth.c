/* auth.c - `parser: auth`: sshd, dropbear, PAM, sudo, su, login, the shadow
 * tools and sshd's SELinux audit records.
 * The syslog header (or journald's shapes, see syslog_header.h) gives host,
 * time, service and pid; the message is then matched against rows of
 * templates ("Accepted {m} for {u} from {i} port {p}"). A template is read
 * left to right: literal bytes must match, a {c} capture runs lazily up to
 * the next literal (or is one word at the template's end). Captures land in a
 * per-line array first, so a row that fails half way adds nothing. A few rows
 * hand their tail to a handler (PAM key=value lists, sudo's " ; " list, PAM
 * session owners, audit records). Lines nothing matches are still auth
 * records, with action "other". Rows are tried in order, so the more
 * specific come first.
 *
 * Addresses come from the places the daemon controls, never from text a
 * client chose. A user name (or a client's banner) can hold " from 1.2.3.4
 * port 22 ssh2", so the capture just before an address is searched from the
 * right: the first fit is the rightmost, which is where sshd writes its own
 * address after the user field. Rows marked END must then reach the end of
 * the message exactly (after " [preauth]"), and an address capture {i} is
 * accepted only when it is an IPv4 or IPv6 address (a host name only where
 * PAM or sshd print the remote host name they gave PAM). Rows of one family
 * (fam) are all tried and the rightmost address wins, so a row that fits an
 * injected address further left cannot beat the row that fits sshd's own.
 * What sshd writes after its address is checked too: nothing, or ": " and a
 * key type (publickey, hostbased), or ssh1's ": ruser". One gap remains:
 * hostbased auth quotes the client's user and host names after the address,
 * so a client there controls text on both sides; sshd logs that method only
 * where HostbasedAuthentication is on.
 *
 * sshd's lines of one connection share a pid; auth_session.c follows them
 * (address learnt once, one attempt counted once) - see there.
 *
 * For speed the templates are compiled once, on first use, into a leading
 * literal and capture steps, and indexed by the first byte of that literal:
 * a line meets only the rows that could match it, still in table order. */
#include "sidecar/parsers/parser.h"

#include <assert.h>
#include <pthread.h>
#include <string.h>

#include "sidecar/parsers/auth_addr.h"
#include "sidecar/parsers/auth_session.h"
#include "sidecar/parsers/json_lex.h"
#include "sidecar/parsers/syslog_header.h"
#include "sidecar/timestamp.h"

enum action {
    A_OTHER, A_LOGIN_SUCCESS, A_LOGIN_FAILURE, A_INVALID_USER, A_PREAUTH_DISCONNECT, A_SCAN,
    A_KEY_REJECTED, A_SESSION_OPEN, A_SESSION_CLOSE, A_SUDO, A_SUDO_FAILURE, A_SU, A_SU_FAILURE,
    A_USER_ADD, A_USER_DEL, A_USER_MOD, A_GROUP_ADD, A_GROUP_MEMBER_ADD, A_PASSWD_CHANGE,
    A_AUTH_FAILURE,   /* login_, sudo_ or su_failure, by the PAM service */
    A_CLOSE,          /* end of a connection: scan, preauth_disconnect or other (session) */
    A_PROBE,          /* a connection that failed before authentication: scan or preauth_disconnect */
    A__COUNT
};

static const struct span action_names[] = {
    [A_OTHER] = SPAN_LIT("other"),
    [A_LOGIN_SUCCESS] = SPAN_LIT("login_success"),
    [A_LOGIN_FAILURE] = SPAN_LIT("login_failure"),
    [A_INVALID_USER] = SPAN_LIT("invalid_user"),
    [A_PREAUTH_DISCONNECT] = SPAN_LIT("preauth_disconnect"),
    [A_SCAN] = SPAN_LIT("scan"),
    [A_KEY_REJECTED] = SPAN_LIT("key_rejected"),
    [A_SESSION_OPEN] = SPAN_LIT("session_open"),
    [A_SESSION_CLOSE] = SPAN_LIT("session_close"),
    [A_SUDO] = SPAN_LIT("sudo"),
    [A_SUDO_FAILURE] = SPAN_LIT("sudo_failure"),
    [A_SU] = SPAN_LIT("su"),
    [A_SU_FAILURE] = SPAN_LIT("su_failure"),
    [A_USER_ADD] = SPAN_LIT("user_add"),
    [A_USER_DEL] = SPAN_LIT("user_del"),
    [A_USER_MOD] = SPAN_LIT("user_mod"),
    [A_GROUP_ADD] = SPAN_LIT("group_add"),
    [A_GROUP_MEMBER_ADD] = SPAN_LIT("group_member_add"),
    [A_PASSWD_CHANGE] = SPAN_LIT("passwd_change"),
    [A_AUTH_FAILURE] = SPAN_LIT("login_failure"),
    [A_CLOSE] = SPAN_LIT("other"),
    [A_PROBE] = SPAN_LIT("scan"),
};
_Static_assert(sizeof(action_names) / sizeof(action_names[0]) == A__COUNT, "one name per action");

/* Which programs a row applies to (a line without a header tries them all). */
enum {
    SV_SSHD = 1u << 0, SV_SUDO = 1u << 1, SV_SU = 1u << 2, SV_LOGIN = 1u << 3,
    SV_SHADOW = 1u << 4, SV_OTHER = 1u << 5, SV_DROPBEAR = 1u << 6, SV_ANY = 0x7f,
};

/* Capture slots, named by the letter used in templates. */
enum cap {
    C_USER, C_TARGET, C_IP, C_PORT, C_METHOD, C_KEYFP, C_TTY, C_PWD, C_COMMAND, C_UID,
    C_GROUP, C_REASON, C_COUNT, C_PAMSVC, C_TTYHOST, C_REST, C_ADDRPORT, C__N,
    C_SKIP = C__N,
    /* checked, then dropped (they land in C_SKIP) */
    C_KEYTYPE, C_PROTO, C_PAMERR
};

static int cap_of(char c)
{
    switch (c) {
    case 'u': return C_USER;
    case 't': return C_TARGET;
    case 'i': return C_IP;
    case 'p': return C_PORT;
    case 'm': return C_METHOD;
    case 'f': return C_KEYFP;
    case 'y': return C_TTY;
    case 'd': return C_PWD;
    case 'c': return C_COMMAND;
    case 'U': return C_UID;
    case 'g': return C_GROUP;
    case 'r': return C_REASON;
    case 'n': return C_COUNT;
    case 's': return C_PAMSVC;
    case 'h': return C_TTYHOST;
    case 'R': return C_REST;
    case 'k': return C_KEYTYPE;     /* "RSA", "ED25519-CERT": sshd's key type word */
    case 'v': return C_PROTO;       /* the digit of "ssh2" */
    case 'a': return C_ADDRPORT;    /* dropbear's "addr:port" */
    case 'P': return C_PAMERR;      /* "Authentication failure" or "authentication error" */
    default: return C_SKIP;         /* '*' and unknown letters: matched, dropped */
    }
}

enum handler { H_NONE, H_PAM_KV, H_SUDO, H_SESSION, H_AUDIT };

/* Row flags. */
enum {
    F_END = 1u << 0,    /* the template must reach the end of the message */
    F_NAME = 1u << 1,   /* {i} may be a host name (sshd's remote host as given to PAM) */
};

struct row {
    unsigned svc;
    const char *tmpl;
    uint8_t action;
    uint8_t handler;            /* applied to the {R} capture */
    const char *reason;         /* fixed reason, or NULL */
    uint8_t flags;
    uint8_t role;               /* enum auth_role: what the line means for its connection */
    uint8_t fam;                /* rows of one family compete: the rightmost {i} wins */
};

/* The reason of login's root rows; those lines name no user: it is root. */
static const char ROOT_LOGIN[] = "root_login";

#define END F_END
#define NAME F_NAME
#define ENDN (F_END | F_NAME)

/* Order matters: within a family the more specific template comes first. */
static const struct row rows[] = {
    /* sshd: successes ("ssh2: RSA SHA256:..." after the address for keys) */
    { SV_SSHD, "Accepted {m} for {u} from {i} port {p} ssh{v}: {k} {f}", A_LOGIN_SUCCESS, 0, NULL, 0, R_SUCCESS, 1 },
    { SV_SSHD, "Accepted {m} for {u} from {i} port {p} ssh{v}", A_LOGIN_SUCCESS, 0, NULL, END, R_SUCCESS, 1 },
    { SV_SSHD, "Accepted {m} for {u} from {i} port {p}", A_LOGIN_SUCCESS, 0, NULL, END, R_SUCCESS, 1 },
    { SV_SSHD, "Accepted {m} for {u} from {i}", A_LOGIN_SUCCESS, 0, NULL, END, R_SUCCESS, 2 },
    /* sshd: failures. A family with the port beats one without: a bare
     * "from ADDR" at the end may be a client's ruser text (ssh1). */
    { SV_SSHD, "Failed {m} for invalid user {u} from {i} port {p} ssh{v}", A_LOGIN_FAILURE, 0, "invalid_user", END, R_FAIL, 3 },
    { SV_SSHD, "Failed {m} for invalid user {u} from {i} port {p} ssh{v}: {k} {f}", A_LOGIN_FAILURE, 0, "invalid_user", 0, R_FAIL, 3 },
    { SV_SSHD, "Failed {m} for invalid user {u} from {i} port {p} ssh{v}: ruser {*}", A_LOGIN_FAILURE, 0, "invalid_user", 0, R_FAIL, 3 },
    { SV_SSHD, "Failed {m} for invalid user {u} from {i} port {p}", A_LOGIN_FAILURE, 0, "invalid_user", END, R_FAIL, 3 },
    { SV_SSHD, "Failed {m} for invalid user {u} from {i}", A_LOGIN_FAILURE, 0, "invalid_user", END, R_FAIL, 4 },
    { SV_SSHD, "Failed {m} for illegal user {u} from {i}", A_LOGIN_FAILURE, 0, "invalid_user", END, R_FAIL, 4 },
    { SV_SSHD, "Failed {m} for {u} from {i} port {p} ssh{v}", A_LOGIN_FAILURE, 0, NULL, END, R_FAIL, 5 },
    { SV_SSHD, "Failed {m} for {u} from {i} port {p} ssh{v}: {k} {f}", A_LOGIN_FAILURE, 0, NULL, 0, R_FAIL, 5 },
    { SV_SSHD, "Failed {m} for {u} from {i} port {p} ssh{v}: ruser {*}", A_LOGIN_FAILURE, 0, NULL, 0, R_FAIL, 5 },
    { SV_SSHD, "Failed {m} for {u} from {i} port {p}", A_LOGIN_FAILURE, 0, NULL, END, R_FAIL, 5 },
    { SV_SSHD, "Failed {m} for {u} from {i}", A_LOGIN_FAILURE, 0, NULL, END, R_FAIL, 6 },
    { SV_SSHD, "Invalid user {u} from {i} port {p}", A_INVALID_USER, 0, NULL, END, R_ANNOUNCE, 7 },
    { SV_SSHD, "Invalid user {u} from {i}", A_INVALID_USER, 0, NULL, END, R_ANNOUNCE, 8 },
    { SV_SSHD, "Illegal user {u} from {i}", A_INVALID_USER, 0, NULL, END, R_ANNOUNCE, 8 },
    { SV_SSHD, "input_userauth_request: invalid user {u}", A_INVALID_USER, 0, NULL, 0, R_ECHO, 0 },
    { SV_SSHD, "User {u} from {i} not allowed because {r}", A_LOGIN_FAILURE, 0, NULL, NAME, R_FAIL, 0 },
    { SV_SSHD, "User {u} not allowed because {r}", A_LOGIN_FAILURE, 0, NULL, 0, R_FAIL, 0 },
    { SV_SSHD, "ROOT LOGIN REFUSED FROM {i} port {p}", A_LOGIN_FAILURE, 0, "root_login_refused", END, R_FAIL, 9 },
    { SV_SSHD, "ROOT LOGIN REFUSED FROM {i}", A_LOGIN_FAILURE, 0, "root_login_refused", END, R_FAIL, 10 },
    { SV_SSHD, "maximum authentication attempts exceeded for invalid user {u} from {i} port {p} ssh{v}", A_LOGIN_FAILURE, 0, "max_attempts", END, R_SUMMARY, 11 },
    { SV_SSHD, "maximum authentication attempts exceeded for invalid user {u} from {i} port {p}", A_LOGIN_FAILURE, 0, "max_attempts", END, R_SUMMARY, 11 },
    { SV_SSHD, "maximum authentication attempts exceeded for {u} from {i} port {p} ssh{v}", A_LOGIN_FAILURE, 0, "max_attempts", END, R_SUMMARY, 12 },
    { SV_SSHD, "maximum authentication attempts exceeded for {u} from {i} port {p}", A_LOGIN_FAILURE, 0, "max_attempts", END, R_SUMMARY, 12 },
    { SV_SSHD, "PAM: {P} for illegal user {u} from {i} via {*}", A_LOGIN_FAILURE, 0, "invalid_user", ENDN, R_PAMERR, 13 },
    { SV_SSHD, "PAM: {P} for illegal user {u} from {i}", A_LOGIN_FAILURE, 0, "invalid_user", ENDN, R_PAMERR, 13 },
    { SV_SSHD, "PAM: {P} for {u} from {i} via {*}", A_LOGIN_FAILURE, 0, NULL, ENDN, R_PAMERR, 13 },
    { SV_SSHD, "PAM: {P} for {u} from {i}", A_LOGIN_FAILURE, 0, NULL, ENDN, R_PAMERR, 13 },
    { SV_SSHD, "PAM: User not known to the underlying authentication module for illegal user {u} from {i}", A_INVALID_USER, 0, NULL, ENDN, R_ANNOUNCE, 14 },
    { SV_SSHD, "PAM: User not known to the underlying authentication module for {u} from {i}", A_INVALID_USER, 0, NULL, ENDN, R_ANNOUNCE, 14 },
    { SV_SSHD, "refused connect from {*} ({i})", A_LOGIN_FAILURE, 0, "refused_connect", END, R_COUNT, 0 },
    /* sshd: the end of a connection before authentication */
    { SV_SSHD, "Disconnecting authenticating user {u} {i} port {p}: Too many authentication failures", A_LOGIN_FAILURE, 0, "too_many_failures", END, R_SUMMARY, 15 },
    { SV_SSHD, "Disconnecting invalid user {u} {i} port {p}: Too many authentication failures", A_LOGIN_FAILURE, 0, "too_many_failures", END, R_SUMMARY, 15 },
    { SV_SSHD, "Disconnecting: Too many authentication failures for invalid user {u} from {i} port {p}", A_LOGIN_FAILURE, 0, "too_many_failures", END, R_SUMMARY, 15 },
    { SV_SSHD, "Disconnecting: Too many authentication failures for {u} from {i} port {p}", A_LOGIN_FAILURE, 0, "too_many_failures", END, R_SUMMARY, 15 },
    { SV_SSHD, "Disconnecting: Too many authentication failures for {u}", A_LOGIN_FAILURE, 0, "too_many_failures", 0, R_SUMMARY, 0 },
    { SV_SSHD, "Disconnecting: Too many authentication failures", A_LOGIN_FAILURE, 0, "too_many_failures", END, R_SUMMARY, 0 },
    { SV_SSHD, "Disconnecting authenticating user {u} {i} port {p}: Change of username or service not allowed{*}", A_LOGIN_FAILURE, 0, "user_change", 0, R_COUNT, 16 },
    { SV_SSHD, "Disconnecting invalid user {u} {i} port {p}: Change of username or service not allowed{*}", A_LOGIN_FAILURE, 0, "user_change", 0, R_COUNT, 16 },
    { SV_SSHD, "Disconnecting authenticating user {u} {i} port {p}: {r}", A_PREAUTH_DISCONNECT, 0, NULL, 0, R_CLOSE, 17 },
    { SV_SSHD, "Disconnecting invalid user {u} {i} port {p}: {r}", A_PREAUTH_DISCONNECT, 0, "invalid_user", 0, R_CLOSE, 17 },
    { SV_SSHD, "Connection closed by authenticating user {u} {i} port {p}", A_PREAUTH_DISCONNECT, 0, NULL, END, R_CLOSE, 18 },
    { SV_SSHD, "Connection closed by invalid user {u} {i} port {p}", A_PREAUTH_DISCONNECT, 0, "invalid_user", END, R_CLOSE, 18 },
    { SV_SSHD, "Connection closed by {i} port {p}", A_CLOSE, 0, NULL, END, R_CLOSE, 0 },
    { SV_SSHD, "Connection closed by {i}", A_CLOSE, 0, NULL, END, R_CLOSE, 0 },
    { SV_SSHD, "Connection reset by authenticating user {u} {i} port {p}", A_PREAUTH_DISCONNECT, 0, NULL, END, R_CLOSE, 19 },
    { SV_SSHD, "Connection reset by invalid user {u} {i} port {p}", A_PREAUTH_DISCONNECT, 0, "invalid_user", END, R_CLOSE, 19 },
    { SV_SSHD, "Connection reset by {i} port {p}", A_CLOSE, 0, NULL, END, R_CLOSE, 0 },
    { SV_SSHD, "Connection reset by {i}", A_CLOSE, 0, NULL, END, R_CLOSE, 0 },
    { SV_SSHD, "Disconnected from authenticating user {u} {i} port {p}", A_PREAUTH_DISCONNECT, 0, NULL, END, R_CLOSE, 20 },
    { SV_SSHD, "Disconnected from invalid user {u} {i} port {p}", A_PREAUTH_DISCONNECT, 0, "invalid_user", END, R_CLOSE, 20 },
    { SV_SSHD, "Disconnected from user {u} {i} port {p}", A_OTHER, 0, NULL, END, R_END, 20 },
    { SV_SSHD, "Disconnected from {i} port {p}", A_CLOSE, 0, NULL, END, R_CLOSE, 0 },
    { SV_SSHD, "Received disconnect from {i} port {p}:{n}: {r}", A_CLOSE, 0, NULL, 0, R_CLOSE, 0 },
    { SV_SSHD, "Received disconnect from {i}: {n}: {r}", A_CLOSE, 0, NULL, 0, R_CLOSE, 0 },
    { SV_SSHD, "Timeout before authentication for connection from {i} to {*}", A_PROBE, 0, "timeout", 0, R_PROBE, 0 },
    { SV_SSHD, "Timeout before authentication for connection from {i}", A_PROBE, 0, "timeout", END, R_PROBE, 0 },
    { SV_SSHD, "Timeout before authentication for {i} port {p}", A_PROBE, 0, "timeout", END, R_PROBE, 0 },
    { SV_SSHD, "Timeout before authentication for {i}", A_PROBE, 0, "timeout", END, R_PROBE, 0 },
    { SV_SSHD, "kex_exchange_identification: {r}", A_PROBE, 0, "kex_exchange_identification", 0, R_PROBE, 0 },
    { SV_SSHD, "banner exchange: Connection from {i} port {p}: {r}", A_PROBE, 0, "banner_exchange", 0, R_PROBE, 0 },
    { SV_SSHD, "Did not receive identification string from {i} port {p}", A_PROBE, 0, "no_identification", END, R_PROBE, 0 },
    { SV_SSHD, "Did not receive identification string from {i}", A_PROBE, 0, "no_identification", END, R_PROBE, 0 },
    { SV_SSHD, "Unable to negotiate with {i} port {p}: {r}", A_PROBE, 0, "unable_to_negotiate", 0, R_PROBE, 0 },
    { SV_SSHD, "Unable to negotiate with {i}: {r}", A_PROBE, 0, "unable_to_negotiate", 0, R_PROBE, 0 },
    { SV_SSHD, "Unable to negotiate {r}", A_PROBE, 0, "unable_to_negotiate", 0, R_PROBE, 0 },
    { SV_SSHD, "no matching {*} found: {r}", A_PROBE, 0, "unable_to_negotiate", 0, R_PROBE, 0 },
    { SV_SSHD, "Bad protocol version identification {*} from {i} port {p}", A_PROBE, 0, "bad_protocol_version", END, R_PROBE, 21 },
    { SV_SSHD, "Bad protocol version identification {*} from {i}", A_PROBE, 0, "bad_protocol_version", END, R_PROBE, 21 },
    { SV_SSHD, "Protocol major versions differ for {i} port {p}: {r}", A_PROBE, 0, "bad_protocol_version", 0, R_PROBE, 0 },
    { SV_SSHD, "Protocol major versions differ for {i}: {r}", A_PROBE, 0, "bad_protocol_version", 0, R_PROBE, 0 },
    { SV_SSHD, "Read from socket failed: {r}", A_PROBE, 0, "read_failed", 0, R_PROBE, 0 },
    { SV_SSHD, "ssh_dispatch_run_fatal: Connection from authenticating user {u} {i} port {p}: {r}", A_PREAUTH_DISCONNECT, 0, NULL, 0, R_CLOSE, 22 },
    { SV_SSHD, "ssh_dispatch_run_fatal: Connection from invalid user {u} {i} port {p}: {r}", A_PREAUTH_DISCONNECT, 0, "invalid_user", 0, R_CLOSE, 22 },
    { SV_SSHD, "ssh_dispatch_run_fatal: Connection from {i} port {p}: {r}", A_PROBE, 0, "dispatch_fatal", 0, R_PROBE, 0 },
    /* sshd: informational, fields kept */
    { SV_SSHD, "Connection from {i} port {p} on {*}", A_OTHER, 0, NULL, 0, R_CONN_NEW, 0 },
    { SV_SSHD, "Connection from {i} port {p}", A_OTHER, 0, NULL, END, R_CONN_NEW, 0 },
    { SV_SSHD, "Connection from {i}", A_OTHER, 0, NULL, END, R_CONN_NEW, 0 },
    { SV_SSHD, "SSH: Server;Ltype: {*};Remote: {i}-{p};{*}", A_OTHER, 0, NULL, 0, R_CONN, 0 },
    { SV_SSHD, "Failed {m} for {u}", A_OTHER, 0, NULL, 0, R_NONE, 0 },
    { SV_SSHD, "Postponed {m} for invalid user {u} from {i} port {p} ssh{v}", A_OTHER, 0, "invalid_user", END, R_CONN, 23 },
    { SV_SSHD, "Postponed {m} for {u} from {i} port {p} ssh{v}", A_OTHER, 0, NULL, END, R_CONN, 23 },
    { SV_SSHD, "Starting session: {*} on {y} for {u} from {i} port {p}", A_OTHER, 0, NULL, 0, R_NONE, 0 },
    { SV_SSHD, "Close session: user {u} from {i} port {p}", A_OTHER, 0, NULL, 0, R_END, 0 },
    { SV_SSHD, "reverse mapping checking getaddrinfo for {*} [{i}] failed", A_OTHER, 0, "reverse_mapping", 0, R_NONE, 0 },
    { SV_SSHD, "Address {i} maps to {*}, but this does not map back", A_OTHER, 0, "reverse_mapping", 0, R_NONE, 0 },

    /* dropbear: "addr:port" after "from", the user in quotes */
    { SV_DROPBEAR, "Bad password attempt for '{u}' from {a}", A_LOGIN_FAILURE, 0, NULL, END, R_NONE, 0 },
    { SV_DROPBEAR, "bad password attempt for '{u}' from {a}", A_LOGIN_FAILURE, 0, NULL, END, R_NONE, 0 },
    { SV_DROPBEAR, "Login attempt for nonexistent user '{u}' from {a}", A_INVALID_USER, 0, NULL, END, R_NONE, 0 },
    { SV_DROPBEAR, "Login attempt for nonexistent user from {a}", A_INVALID_USER, 0, NULL, END, R_NONE, 0 },
    { SV_DROPBEAR, "login attempt for nonexistent user from {a}", A_INVALID_USER, 0, NULL, END, R_NONE, 0 },
    { SV_DROPBEAR, "Exit before auth (user '{u}', {n} fails): Max auth tries reached - user '{*}' from {a}", A_LOGIN_FAILURE, 0, "max_attempts", END, R_NONE, 0 },
    { SV_DROPBEAR, "Exit before auth from <{a}>: (user '{u}', {n} fails): {r}", A_LOGIN_FAILURE, 0, "max_attempts", 0, R_NONE, 0 },
    { SV_DROPBEAR, "Exit before auth from <{a}>: {r}", A_PROBE, 0, NULL, 0, R_NONE, 0 },
    { SV_DROPBEAR, "Password auth succeeded for '{u}' from {a}", A_LOGIN_SUCCESS, 0, NULL, END, R_NONE, 0 },
    { SV_DROPBEAR, "Pubkey auth succeeded for '{u}' with {*} from {a}", A_LOGIN_SUCCESS, 0, NULL, END, R_NONE, 0 },
    { SV_DROPBEAR, "Child connection from {a}", A_OTHER, 0, NULL, END, R_NONE, 0 },

    /* SELinux/audit records sshd writes (USER_AUTH, USER_ERR, USER_LOGIN) */
    { SV_ANY, "type=USER_AUTH msg=audit({*}): {R}", A_LOGIN_FAILURE, H_AUDIT, NULL, 0, R_NONE, 0 },
    { SV_ANY, "type=USER_ERR msg=audit({*}): {R}", A_LOGIN_FAILURE, H_AUDIT, NULL, 0, R_NONE, 0 },
    { SV_ANY, "type=USER_LOGIN msg=audit({*}): {R}", A_LOGIN_SUCCESS, H_AUDIT, NULL, 0, R_NONE, 0 },

    /* PAM, any service and module (pam_unix, pam_sss, pam_faillock, pam_tally2...) */
    { SV_ANY, "PAM {n} more authentication failure{*}; {R}", A_AUTH_FAILURE, H_PAM_KV, "pam_more_failures", 0, R_PAMMORE, 0 },
    { SV_ANY, "pam_{*}({s}:auth): authentication failure; {R}", A_AUTH_FAILURE, H_PAM_KV, NULL, 0, R_PAM, 0 },
    { SV_ANY, "pam_{*}({s}:session): session opened for user {R}", A_SESSION_OPEN, H_SESSION, NULL, 0, R_NONE, 0 },
    { SV_ANY, "pam_{*}({s}:session): session closed for user {t}", A_SESSION_CLOSE, H_SESSION, NULL, 0, R_NONE, 0 },
    { SV_ANY, "pam_{*}({s}:chauthtok): password changed for {t}", A_PASSWD_CHANGE, 0, NULL, 0, R_NONE, 0 },
    { SV_ANY, "pam_{*}({s}:auth): check pass; user unknown", A_OTHER, 0, "user_unknown", 0, R_NONE, 0 },
    { SV_ANY, "pam_sss({s}:auth): received for user {u}: 7 ({*})", A_LOGIN_FAILURE, 0, "pam_sss_detail", 0, R_DETAIL, 0 },
    { SV_ANY, "pam_sss({s}:auth): received for user {u}: 10 ({*})", A_INVALID_USER, 0, "pam_sss_detail", 0, R_DETAIL, 0 },
    { SV_ANY, "pam_faillock({s}:auth): Consecutive login failures for user {u} account temporarily locked", A_OTHER, 0, "account_locked", END, R_NONE, 0 },
    { SV_ANY, "pam_tally2({s}:auth): user {u} ({U}) tally {n}, deny {*}", A_OTHER, 0, "account_locked", 0, R_NONE, 0 },
    /* PAM before 0.99 tagged lines "sshd(pam_unix)[pid]:" or wrote "(pam_unix) " first */
    { SV_ANY, "authentication failure; {R}", A_AUTH_FAILURE, H_PAM_KV, NULL, 0, R_PAM, 0 },
    { SV_ANY, "(pam_{*}) authentication failure; {R}", A_AUTH_FAILURE, H_PAM_KV, NULL, 0, R_PAM, 0 },
    { SV_ANY, "pam_{*}: authentication failure; {R}", A_AUTH_FAILURE, H_PAM_KV, NULL, 0, R_PAM, 0 },
    { SV_ANY, "pam_{*}({s}): authentication failure; {R}", A_AUTH_FAILURE, H_PAM_KV, NULL, 0, R_PAM, 0 },
    { SV_ANY, "session opened for user {R}", A_SESSION_OPEN, H_SESSION, NULL, 0, R_NONE, 0 },
    { SV_ANY, "session closed for user {t}", A_SESSION_CLOSE, H_SESSION, NULL, 0, R_NONE, 0 },

    /* sudo: "alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/ls" or a reason first */
    { SV_SUDO, "{u} : {R}", A_SUDO, H_SUDO, NULL, 0, R_NONE, 0 },

    /* su: util-linux and shadow */
    { SV_SU, "FAILED SU (to {t}) {u} on {y}", A_SU_FAILURE, 0, NULL, 0, R_NONE, 0 },
    { SV_SU, "(to {t}) {u} on {y}", A_SU, 0, NULL, 0, R_NONE, 0 },
    { SV_SU, "Successful su for {t} by {u}", A_SU, 0, NULL, 0, R_NONE, 0 },
    { SV_SU, "FAILED su for {t} by {u}", A_SU_FAILURE, 0, NULL, 0, R_NONE, 0 },
    { SV_SU, "+ {y} {u}:{t}", A_SU, 0, NULL, 0, R_NONE, 0 },
    { SV_SU, "- {y} {u}:{t}", A_SU_FAILURE, 0, NULL, 0, R_NONE, 0 },
    { SV_SU, "pam_authenticate: {r}", A_SU_FAILURE, 0, NULL, 0, R_NONE, 0 },

    /* login: util-linux and shadow */
    { SV_LOGIN, "FAILED LOGIN ({n}) on '{y}' from '{i}' FOR '{u}', {r}", A_LOGIN_FAILURE, 0, NULL, NAME, R_NONE, 0 },
    { SV_LOGIN, "FAILED LOGIN ({n}) on '{y}' FOR '{u}', {r}", A_LOGIN_FAILURE, 0, NULL, 0, R_NONE, 0 },
    { SV_LOGIN, "FAILED LOGIN {n} FROM {h} FOR {u}, {r}", A_LOGIN_FAILURE, 0, NULL, 0, R_NONE, 0 },
    { SV_LOGIN, "TOO MANY LOGIN TRIES ({n}) on '{y}' FOR '{u}'", A_LOGIN_FAILURE, 0, "too_many_tries", 0, R_NONE, 0 },
    { SV_LOGIN, "TOO MANY LOGIN TRIES {n} FROM {h} FOR {u},", A_LOGIN_FAILURE, 0, "too_many_tries", 0, R_NONE, 0 },
    { SV_LOGIN, "ROOT LOGIN  on '{y}' from '{i}'", A_LOGIN_SUCCESS, 0, ROOT_LOGIN, NAME, R_NONE, 0 },
    { SV_LOGIN, "ROOT LOGIN  on '{y}'", A_LOGIN_SUCCESS, 0, ROOT_LOGIN, 0, R_NONE, 0 },
    { SV_LOGIN, "ROOT LOGIN ON {y} FROM {i}", A_LOGIN_SUCCESS, 0, ROOT_LOGIN, NAME, R_NONE, 0 },
    { SV_LOGIN, "ROOT LOGIN ON {y}", A_LOGIN_SUCCESS, 0, ROOT_LOGIN, 0, R_NONE, 0 },
    { SV_LOGIN, "LOGIN ON {y} BY {u} FROM {i}", A_LOGIN_SUCCESS, 0, NULL, NAME, R_NONE, 0 },
    { SV_LOGIN, "LOGIN ON {y} BY {u}", A_LOGIN_SUCCESS, 0, NULL, 0, R_NONE, 0 },
    { SV_LOGIN, "DIALUP AT {y} BY {u}", A_LOGIN_SUCCESS, 0, NULL, 0, R_NONE, 0 },

    /* shadow tools: useradd, userdel, usermod, groupadd, gpasswd, passwd, chage... */
    { SV_SHADOW, "new user: name={t}, UID={U},", A_USER_ADD, 0, NULL, 0, R_NONE, 0 },
    { SV_SHADOW, "new group: name={g}, GID=", A_GROUP_ADD, 0, NULL, 0, R_NONE, 0 },
    { SV_SHADOW, "new group: name={g}", A_GROUP_ADD, 0, NULL, 0, R_NONE, 0 },
    { SV_SHADOW, "group added to {*}: name={g}, GID=", A_GROUP_ADD, 0, NULL, 0, R_NONE, 0 },
    { SV_SHADOW, "group added to {*}: name={g}", A_GROUP_ADD, 0, NULL, 0, R_NONE, 0 },
    { SV_SHADOW, "add '{t}' to shadow group '{g}'", A_GROUP_MEMBER_ADD, 0, "shadow", 0, R_NONE, 0 },
    { SV_SHADOW, "add '{t}' to group '{g}'", A_GROUP_MEMBER_ADD, 0, NULL, 0, R_NONE, 0 },
    { SV_SHADOW, "user {t} added by {u} to group {g}", A_GROUP_MEMBER_ADD, 0, NULL, 0, R_NONE, 0 },
    { SV_SHADOW, "members of group {g} set by {u} to {t}", A_GROUP_MEMBER_ADD, 0, NULL, 0, R_NONE, 0 },
    { SV_SHADOW, "delete user '{t}'", A_USER_DEL, 0, NULL, 0, R_NONE, 0 },
    { SV_SHADOW, "removed group '{g}' owned by '{t}'", A_OTHER, 0, "group_del", 0, R_NONE, 0 },
    { SV_SHADOW, "removed shadow group '{g}' owned by '{t}'", A_OTHER, 0, "group_del", 0, R_NONE, 0 },
    { SV_SHADOW, "group '{g}' removed", A_OTHER, 0, "group_del", 0, R_NONE, 0 },
    { SV_SHADOW, "delete '{t}' from shadow group '{g}'", A_USER_MOD, 0, "group_member_del", 0, R_NONE, 0 },
    { SV_SHADOW, "delete '{t}' from group '{g}'", A_USER_MOD, 0, "group_member_del", 0, R_NONE, 0 },
    { SV_SHADOW, "user {t} removed by {u} from group {g}", A_USER_MOD, 0, "group_member_del", 0, R_NONE, 0 },
    { SV_SHADOW, "change user '{t}' password", A_PASSWD_CHANGE, 0, NULL, 0, R_NONE, 0 },
    { SV_SHADOW, "password for '{t}' changed by '{u}'", A_PASSWD_CHANGE, 0, NULL, 0, R_NONE, 0 },
    { SV_SHADOW, "change user name '{t}' to '{*}'", A_USER_MOD, 0, "rename", 0, R_NONE, 0 },
    { SV_SHADOW, "change user '{t}' {r}", A_USER_MOD, 0, NULL, 0, R_NONE, 0 },
    { SV_SHADOW, "lock user '{t}' password", A_USER_MOD, 0, "lock", 0, R_NONE, 0 },
    { SV_SHADOW, "unlock user '{t}' password", A_USER_MOD, 0, "unlock", 0, R_NONE, 0 },
    { SV_SHADOW, "changed user '{t}' {r}", A_USER_MOD, 0, NULL, 0, R_NONE, 0 },
    { SV_SHADOW, "changed password expiry for {t}", A_USER_MOD, 0, "expiry", 0, R_NONE, 0 },

    /* systemd-logind: kept as "other" (PAM already logs the session) */
    { SV_OTHER, "New session {*} of user {u}.", A_OTHER, 0, "logind_session_new", 0, R_NONE, 0 },
};

#undef END
#undef NAME
#undef ENDN

#define NROWS (sizeof(rows) / sizeof(rows[0]))
_Static_assert(NROWS < 255, "row indexes are stored as uint8_t");

#define IS_LIT(a, lit) span_eq((a), SPAN_LIT(lit))

struct caps {
    struct span v[C__N + 1];    /* v[C_SKIP] takes the captures templates drop */
};

/* memcmp(a, b, n) == 0 for the short literals of templates, without a call;
 * the long ones (a row's lead, "pam_unix(sshd:session): session opened for
 * user ") by memcmp, which compares them a vector at a time. */
static inline bool bytes_eq(const char *a, const char *b, size_t n)
{
    if (n > 16)
        return memcmp(a, b, n) == 0;
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

static const char *find(const char *p, const char *end, const char *lit, size_t n)
{
    if (n == 0)
        return p;
    if ((size_t)(end - p) < n)
        return NULL;
    const char *last = end - n;
    /* memchr + a look at the second byte before memcmp: the literals are
     * short, and glibc's memmem set-up costs more than the whole search here */
    while (p <= last) {
        const char *q = memchr(p, lit[0], (size_t)(last - p) + 1);
        if (!q)
            return NULL;
        if (n == 1 || (q[1] == lit[1] && bytes_eq(q + 2, lit + 2, n - 2)))
            return q;
        p = q + 1;
    }
    return NULL;
}

/* The rightmost occurrence of lit in [p, end) that starts before `before`
 * (NULL: anywhere). */
static const char *find_last(const char *p, const char *end, const char *before, const char *lit,
                             size_t n)
{
    if (n == 0 || (size_t)(end - p) < n)
        return NULL;
    size_t span = (size_t)(end - p) - n + 1;       /* candidate starts: p .. p + span - 1 */
    if (before && (size_t)(before - p) < span)
        span = (size_t)(before - p);
    /* " from ": look for the 'f', spaces are everywhere */
    size_t k = n > 1 && lit[0] == ' ' ? 1 : 0;
    while (span) {
        const char *q = memrchr(p + k, lit[k], span);
        if (!q)
            return NULL;
        q -= k;
        if (bytes_eq(q, lit, n))
            return q;
        span = (size_t)(q - p);
    }
    return NULL;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
         : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A template compiled once: its leading literal, then steps of one capture
 * and the literal that follows it ("{u} from " is the step (u, " from ")).
 * How a capture ends is decided at compile time, exactly as the template
 * text says: at the next occurrence of its literal, at the end of the line
 * ({R}, or {r} last), after digits ({p} {n} {U} last), or at a space. */
#define ROW_MAX_STEPS 12

enum cap_end { E_FIND, E_REST, E_DIGITS, E_WORD, E_LAST, E_ADDR };

#define NO_CHECK 0xff

/* Tries of E_LAST from the right: the daemon's anchor is the rightmost, so
 * only text crafted to look like one makes a row try further left. */
#define LAST_TRIES 16
/* An address (or host:port, or host name) is at most this long. */
#define ADDR_MAX 260

struct step {
    const char *lit;            /* the literal after the capture, lit_len bytes */
    uint8_t lit_len;
    uint8_t slot;               /* enum cap: where the capture goes (C_SKIP: dropped) */
    uint8_t end;                /* enum cap_end */
    uint8_t check;              /* enum cap: what cap_valid checks it as, or NO_CHECK */
};

struct crow {
    const char *lead;           /* the literal the message must start with */
    uint8_t lead_len;
    uint8_t nsteps;
    uint8_t flags;              /* the row's F_* */
    uint8_t anchor;             /* index + 1 of the E_LAST step, 0 = none */
    uint8_t reason_len;         /* strlen of the row's fixed reason */
    struct step steps[ROW_MAX_STEPS];
};

/* Candidate rows by the first byte of the message: rows whose template starts
 * with a literal sit in the bucket of its first byte, rows that start with a
 * capture in `any`; both lists keep the order of rows[], and auth_parse merges
 * them, so the first row that matches is the same as in a scan of all rows. */
static struct {
    struct crow rows[NROWS];
    uint8_t bucket_at[257];     /* bucket b is order[bucket_at[b] .. bucket_at[b + 1]) */
    uint8_t order[NROWS];
    uint8_t any[NROWS];
    uint8_t nany;
} ix;
static pthread_once_t ix_once = PTHREAD_ONCE_INIT;

/* Length of the literal at t (up to the next capture or the end). */
static size_t lit_len(const char *t)
{
    size_t n = 0;
    while (t[n] && t[n] != '{')
        n++;
    return n;
}

/* Returns false when the template does not fit struct crow: a mistake in
 * rows[] (asserted), whose row then never matches. */
static bool compile_row(const char *t, struct crow *cr)
{
    size_t n = lit_len(t);
    cr->lead = t;
    cr->lead_len = (uint8_t)n;
    cr->nsteps = 0;
    cr->anchor = 0;
    if (n > UINT8_MAX)
        goto fail;
    t += n;
    while (*t) {                 /* at "{x}" */
        char code = t[1];
        int slot = cap_of(code);
        t += 3;
        n = lit_len(t);
        if (cr->nsteps >= ROW_MAX_STEPS || n > UINT8_MAX)
            goto fail;
        struct step *s = &cr->steps[cr->nsteps++];
        s->lit = t;
        s->lit_len = (uint8_t)n;
        s->slot = (uint8_t)(slot > C_SKIP ? C_SKIP : slot);
        s->check = (uint8_t)(slot == C_IP || slot == C_ADDRPORT || slot == C_PORT ||
                             slot > C_SKIP ? slot : NO_CHECK);
        /* the capture before an address is searched from the right */
        bool before_addr = t[n] == '{' && (t[n + 1] == 'i' || t[n + 1] == 'a');
        if (code == 'R' || (n == 0 && slot == C_REASON))
            s->end = E_REST;
        else if (slot == C_IP || slot == C_ADDRPORT)
            s->end = E_ADDR;
        else if (slot == C_PORT || slot == C_COUNT || slot == C_UID || slot == C_PROTO)
            s->end = E_DIGITS;      /* the literal must follow the digits at once */
        else if (!n || ((slot == C_METHOD || slot == C_KEYTYPE) && t[0] == ' '))
            s->end = E_WORD;        /* one word (then the literal, if any) */
        else if (before_addr) {
            s->end = E_LAST;
            cr->anchor = cr->nsteps;    /* this step's index + 1 */
        }
        else
            s->end = E_FIND;
        t += n;
    }
    return true;
fail:
    assert(!"template too long for struct crow");
    return false;
}

static void index_build(void)
{
    uint8_t count[256] = { 0 };
    bool ok[NROWS];
    for (size_t i = 0; i < NROWS; i++) {
        ok[i] = compile_row(rows[i].tmpl, &ix.rows[i]);
        ix.rows[i].flags = rows[i].flags;
        size_t rl = rows[i].reason ? strlen(rows[i].reason) : 0;
        assert(rl <= UINT8_MAX);
        ix.rows[i].reason_len = (uint8_t)rl;
        if (!ok[i])
            continue;
        if (ix.rows[i].lead_len)
            count[(unsigned char)ix.rows[i].lead[0]]++;
        else
            ix.any[ix.nany++] = (uint8_t)i;
    }
    ix.bucket_at[0] = 0;
    for (size_t b = 0; b < 256; b++)
        ix.bucket_at[b + 1] = (uint8_t)(ix.bucket_at[b] + count[b]);
    uint8_t fill[256];
    memcpy(fill, ix.bucket_at, sizeof(fill));
    for (size_t i = 0; i < NROWS; i++)
        if (ok[i] && ix.rows[i].lead_len)
            ix.order[fill[(unsigned char)ix.rows[i].lead[0]]++] = (uint8_t)i;
}

static void undo_steps(const struct crow *cr, struct caps *c)
{
    for (size_t k = 0; k < cr->nsteps; k++)
        c->v[cr->steps[k].slot] = SPAN_NULL;
}

/* The bucket already matched the first byte; the last byte of the lead
 * tells most of the rest of the bucket apart without a call. */
static bool starts_with_lead(const struct crow *cr, struct span msg)
{
    size_t n = cr->lead_len;
    return n == 0 ||
           (msg.len >= n && msg.p[n - 1] == cr->lead[n - 1] && bytes_eq(msg.p, cr->lead, n));
}

/* The last literal searched for in vain on this line: it does not occur in
 * [from, end). Rows of a family repeat their first searches ("Failed {m} for
 * invalid user " three times), so a repeated miss is answered here. */
struct miss {
    const char *lit;
    size_t len;                 /* 0: nothing remembered */
    const char *from;
    bool rightmost;             /* the row matched at the last occurrence of its anchor */
};

/* Is v a fit for its slot? Addresses must be addresses; sshd's own words
 * (key type, protocol digit, PAM's error) must look like them. */
static inline bool cap_valid(int slot, struct span v, uint8_t flags)
{
    switch (slot) {
    case C_IP:
        return auth_addr_ipv4(v) || auth_addr_ipv6(v) ||
               ((flags & F_NAME) && auth_addr_hostname(v));
    case C_ADDRPORT: {
        const char *c = memrchr(v.p, ':', v.len);
        if (!c || c == v.p || c + 1 == v.p + v.len)
            return false;
        struct span a = span_make(v.p, (size_t)(c - v.p));
        for (const char *d = c + 1; d < v.p + v.len; d++)
            if (!is_digit(*d))
                return false;
        return auth_addr_ipv4(a) || auth_addr_ipv6(a) || auth_addr_hostname(a);
    }
    case C_PROTO:
        return v.len == 1 && is_digit(v.p[0]);
    case C_PORT:
        return v.len > 0;
    case C_KEYTYPE:
        if (v.len < 2 || v.len > 40)
            return false;
        for (size_t i = 0; i < v.len; i++)
            if (!((v.p[i] >= 'A' && v.p[i] <= 'Z') || is_digit(v.p[i]) || v.p[i] == '-'))
                return false;
        return true;
    case C_PAMERR:
        return IS_LIT(v, "Authentication failure") || IS_LIT(v, "authentication failure") ||
               IS_LIT(v, "Authentication error") || IS_LIT(v, "authentication error");
    default:
        return true;
    }
}

/* An address run: the bytes an address, host name or host:port is made of. */
static bool addr_byte(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c == '.' || c == ':' || c == '-' || c == '_' || c == '%';
}

static bool match_from(const struct crow *cr, size_t k, const char *p, const char *end,
                       struct caps *c, struct miss *m);

/* An address at p, followed by lit: the longest valid run that lit follows
 * (an IPv6 address may be followed by ": ", a host by "-port"). */
static bool match_addr(const struct crow *cr, size_t k, const char *p, const char *end,
                       struct caps *c, struct miss *m)
{
    const struct step *s = &cr->steps[k];
    size_t n = s->lit_len;
    const char *run = p;
    bool v4ish = true;          /* digits and dots only: the common case, checked here */
    while (run < end && run - p < ADDR_MAX && addr_byte(*run)) {
        v4ish &= is_digit(*run) || *run == '.';
        run++;
    }
    if (v4ish && s->check == C_IP) {
        /* an IPv4 address cannot be shortened into another valid one
         * followed by the literal: one candidate */
        struct span v = span_make(p, (size_t)(run - p));
        if ((n && ((size_t)(end - run) < n || !bytes_eq(run, s->lit, n))) ||
            (n == 0 && k + 1 == cr->nsteps && (cr->flags & F_END) && run != end) ||
            !auth_addr_ipv4(v))
            return false;
        c->v[s->slot] = v;
        return match_from(cr, k + 1, run + n, end, c, m);
    }
    for (const char *e = run; e > p; e--) {
        if (e != run && !(n && *e == s->lit[0]))
            continue;
        if (n && ((size_t)(end - e) < n || !bytes_eq(e, s->lit, n)))
            continue;
        if (n == 0 && k + 1 == cr->nsteps && (cr->flags & F_END) && e != end)
            continue;
        struct span v = span_make(p, (size_t)(e - p));
        if (!cap_valid(s->check, v, cr->flags))
            continue;
        c->v[s->slot] = v;
        if (match_from(cr, k + 1, e + n, end, c, m))
            return true;
    }
    return false;
}

/* Matches steps k.. of a compiled template against p..end. On success c
 * holds the captures; on failure c may hold some of them (undo_steps clears
 * them). */
static bool match_from(const struct crow *cr, size_t k, const char *p, const char *end,
                       struct caps *c, struct miss *m)
{
    size_t n;
    for (; k < cr->nsteps; k++) {
        const struct step *s = &cr->steps[k];
        const char *e;
        n = s->lit_len;
        switch (s->end) {
        case E_ADDR:
            return match_addr(cr, k, p, end, c, m);
        case E_LAST: {
            const char *before = NULL;
            for (int tries = 0; tries < LAST_TRIES; tries++) {
                e = find_last(p, end, before, s->lit, n);
                if (!e)
                    return false;
                c->v[s->slot] = span_make(p, (size_t)(e - p));
                if ((s->check == NO_CHECK || cap_valid(s->check, c->v[s->slot], cr->flags)) &&
                    match_from(cr, k + 1, e + n, end, c, m)) {
                    m->rightmost = tries == 0;
                    return true;
                }
                before = e;
            }
            return false;
        }
        case E_FIND:
            if (m->len == n && p >= m->from && bytes_eq(m->lit, s->lit, n))
                return false;
            e = find(p, end, s->lit, n);
            if (!e) {
                *m = (struct miss){ s->lit, n, p };
                return false;
            }
            c->v[s->slot] = span_make(p, (size_t)(e - p));
            if (s->check != NO_CHECK && !cap_valid(s->check, c->v[s->slot], cr->flags))
                return false;
            p = e + n;           /* find() matched the literal */
            continue;
        case E_REST:
            e = end;
            break;
        case E_DIGITS:
            e = p;
            while (e < end && is_digit(*e))
                e++;
            break;
        default:
            e = memchr(p, ' ', (size_t)(end - p));
            if (!e)
                e = end;
            break;
        }
        c->v[s->slot] = span_make(p, (size_t)(e - p));
        if (s->check != NO_CHECK && !cap_valid(s->check, c->v[s->slot], cr->flags))
            return false;
        p = e;
        if ((size_t)(end - p) < n || !bytes_eq(p, s->lit, n))
            return false;
        p += n;
    }
    return !(cr->flags & F_END) || p == end;
}

/* Digits to int; false on anything else or overflow past 18 digits. */
static bool span_uint(struct span s, int64_t *out)
{
    if (s.len == 0 || s.len > 18)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (!is_digit(s.p[i]))
            return false;
        v = v * 10 + (s.p[i] - '0');
    }
    *out = v;
    return true;
}

static void set_num(struct record *r, enum rkey k, struct span v)
{
    int64_t n;
    if (span_uint(v, &n))
        record_set_int(r, k, n);
    else if (v.len)
        record_set_str(r, k, v);
}

static bool span_is(struct span a, const char *lit, size_t n)
{
    return a.len == n && bytes_eq(a.p, lit, n);
}
#define IS(a, lit) span_is((a), (lit), sizeof(lit) - 1)

static bool starts(struct span a, const char *lit, size_t n)
{
    return a.len >= n && bytes_eq(a.p, lit, n);
}
#define STARTS(a, lit) starts((a), (lit), sizeof(lit) - 1)

static struct span trim(struct span s)
{
    while (s.len && (s.p[0] == ' ' || s.p[0] == '\t'))
        s.p++, s.len--;
    while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t' ||
                     s.p[s.len - 1] == '\r'))
        s.len--;
    return s;
}

/* Services where PAM's "for user X by Y" means Y acts as X. */
static bool is_switch_service(struct span s)
{
    return IS(s, "su") || IS(s, "su-l") || IS(s, "sudo") || IS(s, "sudo-i") ||
           IS(s, "runuser") || IS(s, "runuser-l");
}

static unsigned service_class(struct span app)
{
    if (app.len == 0)
        return SV_ANY;
    if (IS(app, "sshd"))
        return SV_SSHD;
    if (IS(app, "sudo"))
        return SV_SUDO;
    if (IS(app, "su"))
        return SV_SU;
    if (IS(app, "login"))
        return SV_LOGIN;
    if (IS(app, "dropbear"))
        return SV_DROPBEAR;
    static const struct span shadow[] = {
        SPAN_LIT("useradd"), SPAN_LIT("userdel"), SPAN_LIT("usermod"), SPAN_LIT("groupadd"),
        SPAN_LIT("groupdel"), SPAN_LIT("groupmod"), SPAN_LIT("gpasswd"), SPAN_LIT("passwd"),
        SPAN_LIT("chpasswd"), SPAN_LIT("chage"), SPAN_LIT("chsh"), SPAN_LIT("chfn"),
        SPAN_LIT("newusers"), SPAN_LIT("adduser"), SPAN_LIT("deluser"),
    };
    for (size_t i = 0; i < sizeof(shadow) / sizeof(shadow[0]); i++)
        if (span_eq(app, shadow[i]))
            return SV_SHADOW;
    return SV_OTHER;
}

/* "sshd(pam_unix)" -> "sshd"; OpenSSH 9.8+ "sshd-session"/"sshd-auth" -> "sshd". */
static struct span service_name(struct span app)
{
    for (size_t i = 0; i < app.len; i++)
        if (app.p[i] == '(') {
            app.len = i;
            break;
        }
    if (IS(app, "sshd-session") || IS(app, "sshd-auth"))
        return SPAN_LIT("sshd");
    return app;
}

/* "logname= uid=0 euid=0 tty=ssh ruser= rhost=10.0.0.1  user=root": pam_unix
 * writes these fields in this order, and ruser= and user= are whatever the
 * client or the application passed (user= runs to the end of the line). So
 * rhost= is the first one whose single-word value is followed by the end or
 * by user=, ruser= runs from its key to that rhost=, and user= from there to
 * the end: a user name holding " rhost=1.2.3.4" moves nothing. */
static void pam_kv(struct span s, struct caps *c, bool switch_svc)
{
    const char *end = s.p + s.len, *rh = NULL, *rv_end = NULL;
    for (const char *q = s.p; (q = find(q, end, "rhost=", 6)); q += 6) {
        if (q != s.p && q[-1] != ' ')
            continue;
        const char *v = q + 6, *e = memchr(v, ' ', (size_t)(end - v));
        const char *after = e ? e : end;
        while (e && e < end && *e == ' ')
            e++;
        if (!e || e == end || ((size_t)(end - e) >= 5 && memcmp(e, "user=", 5) == 0)) {
            rh = q;
            rv_end = after;
            break;
        }
    }
    struct span ruser = SPAN_NULL, user = SPAN_NULL;
    const char *head_end = rh ? rh : end;
    if (rh) {
        c->v[C_IP] = span_make(rh + 6, (size_t)(rv_end - rh - 6));
        const char *u = rv_end;
        while (u < end && *u == ' ')
            u++;
        if ((size_t)(end - u) >= 5 && memcmp(u, "user=", 5) == 0)
            user = trim(span_make(u + 5, (size_t)(end - u - 5)));
    }
    /* the fixed fields before: logname= uid= euid= tty= ruser= */
    const char *ru = find(s.p, head_end, "ruser=", 6);
    if (ru)
        ruser = trim(span_make(ru + 6, (size_t)(head_end - ru - 6)));
    const char *tt = find(s.p, ru ? ru : head_end, "tty=", 4);
    if (tt) {
        const char *e = memchr(tt + 4, ' ', (size_t)((ru ? ru : head_end) - tt - 4));
        struct span v = span_make(tt + 4, (size_t)((e ? e : (ru ? ru : head_end)) - tt - 4));
        if (v.len)
            c->v[C_TTY] = v;
    }
    const char *ui = find(s.p, tt ? tt : head_end, " uid=", 5);
    if (ui) {
        const char *d = ui + 5, *e = d;
        while (e < end && is_digit(*e))
            e++;
        if (e > d)
            c->v[C_UID] = span_make(d, (size_t)(e - d));
    }
    if (!rh) {                          /* no rhost=: user= is still the last field */
        const char *u = find_last(s.p, end, NULL, "user=", 5);
        if (u && u > s.p && u[-1] == ' ' && (!ru || u > ru + 1))
            user = trim(span_make(u + 5, (size_t)(end - u - 5)));
    }
    if (switch_svc && !IS(c->v[C_PAMSVC], "sudo")) {
        /* su: user= is who one becomes, ruser= who asked */
        c->v[C_TARGET] = user;
        c->v[C_USER] = ruser;
    } else {
        c->v[C_USER] = user.len ? user : ruser;
    }
}

/* After "session opened for user ": "alice(uid=1000) by (uid=0)", "root by alice(uid=1000)" */
static void pam_session(struct span s, struct caps *c, bool switch_svc)
{
    /* byname starts empty at the end of s, not NULL: it is searched below */
    struct span forname = s, byname = span_make(s.p + s.len, 0), foruid = SPAN_NULL,
                byuid = SPAN_NULL;
    const char *by = find(s.p, s.p + s.len, " by ", 4);
    if (by) {
        forname = span_make(s.p, (size_t)(by - s.p));
        byname = span_make(by + 4, (size_t)(s.p + s.len - by - 4));
    }
    for (int pass = 0; pass < 2; pass++) {
        struct span *name = pass ? &byname : &forname, *uid = pass ? &byuid : &foruid;
        if (!name->p)
            continue;                 /* no " by " part: NULL + 0 is undefined */
        const char *u = find(name->p, name->p + name->len, "(uid=", 5);
        if (u) {
            const char *d = u + 5, *e = d;
            while (e < name->p + name->len && is_digit(*e))
                e++;
            *uid = span_make(d, (size_t)(e - d));
            name->len = (size_t)(u - name->p);
        }
    }
    if (switch_svc && byname.len) {
        c->v[C_USER] = byname;
        c->v[C_TARGET] = forname;
        c->v[C_UID] = byuid;
    } else {
        c->v[C_USER] = forname;
        c->v[C_UID] = foruid;
    }
}

/* One " ; KEY=value" field of sudo's list, from the right. */
static void sudo_field(struct span key, struct span val, struct caps *c)
{
    if (IS(key, "USER"))
        c->v[C_TARGET] = val;
    else if (IS(key, "GROUP"))
        c->v[C_GROUP] = val;
}

/* sudo's list: "[reason ; ]TTY=tty ; PWD=dir ; USER=u ; [GROUP=g ; ][TSID=.. ; ]
 * [ENV=.. ; ]COMMAND=cmd". The working directory is anyone's choice of bytes
 * (`mkdir "/tmp/x ; COMMAND=/bin/ls"`), so the list is read from the fields
 * sudo writes last: COMMAND= is the final field, the fields before it back to
 * USER= are read from the right, and PWD= is whatever lies between TTY= and
 * them. Returns the action. */
static enum action sudo_list(struct span s, struct caps *c, struct span *reason)
{
    const char *end = s.p + s.len;
    const char *cmd = find_last(s.p, end, NULL, " ; COMMAND=", 11);
    const char *head_end = end;
    if (cmd) {
        c->v[C_COMMAND] = span_make(cmd + 11, (size_t)(end - cmd - 11));
        head_end = cmd;
    } else if (STARTS(s, "COMMAND=")) {
        c->v[C_COMMAND] = span_from(s, 8);
        head_end = s.p;
    }
    /* sudo 1.9: "ENV=A=1 B=2 COMMAND=..." has no " ; " before COMMAND */
    const char *env = cmd ? NULL : find_last(s.p, head_end, NULL, " ; ENV=", 7);
    if (env) {
        const char *ec = find(env, head_end, " COMMAND=", 9);
        if (ec) {
            c->v[C_COMMAND] = span_make(ec + 9, (size_t)(end - ec - 9));
            head_end = env;
        }
    }
    /* from the right: GROUP=, TSID=, ENV= ... back to USER= */
    const char *left = s.p;
    const char *seg_end = head_end;
    bool kv_seen = c->v[C_COMMAND].p != NULL;
    while (seg_end > s.p) {
        const char *sep = find_last(s.p, seg_end, NULL, " ; ", 3);
        const char *seg = sep ? sep + 3 : s.p;
        struct span field = span_make(seg, (size_t)(seg_end - seg));
        const char *eq = memchr(field.p, '=', field.len);
        if (!eq || !(IS(span_make(seg, (size_t)(eq - seg)), "USER") ||
                     IS(span_make(seg, (size_t)(eq - seg)), "GROUP") ||
                     IS(span_make(seg, (size_t)(eq - seg)), "TSID") ||
                     IS(span_make(seg, (size_t)(eq - seg)), "ENV")))
            break;
        struct span key = span_make(seg, (size_t)(eq - seg));
        sudo_field(key, span_make(eq + 1, (size_t)(seg_end - eq - 1)), c);
        kv_seen = true;
        seg_end = sep ? sep : s.p;
        if (IS(key, "USER"))
            break;
    }
    /* from the left: [reason ; ]TTY=.. ; PWD=.. up to seg_end */
    struct span why = SPAN_NULL;
    if (!STARTS(s, "TTY=") && !STARTS(s, "PWD=") && !STARTS(s, "USER=")) {
        const char *sep = find(left, seg_end, " ; ", 3);
        why = span_make(left, (size_t)((sep ? sep : seg_end) - left));
        left = sep ? sep + 3 : seg_end;
    }
    struct span rest = span_make(left, seg_end > left ? (size_t)(seg_end - left) : 0);
    if (STARTS(rest, "TTY=")) {
        const char *sep = find(rest.p, rest.p + rest.len, " ; ", 3);
        c->v[C_TTY] = span_make(rest.p + 4, (size_t)((sep ? sep : rest.p + rest.len) - rest.p - 4));
        rest = sep ? span_make(sep + 3, (size_t)(rest.p + rest.len - sep - 3)) : SPAN_NULL;
        kv_seen = true;
    }
    if (STARTS(rest, "PWD=")) {
        c->v[C_PWD] = span_from(rest, 4);
        kv_seen = true;
    }
    if (why.len == 0)
        return kv_seen ? A_SUDO : A_OTHER;
    c->v[C_REASON] = why;
    /* "3 incorrect password attempts" */
    size_t d = 0;
    while (d < why.len && is_digit(why.p[d]))
        d++;
    struct span tail = span_from(why, d);
    if (d && STARTS(tail, " incorrect password attempt")) {
        c->v[C_COUNT] = span_make(why.p, d);
        *reason = SPAN_LIT("incorrect_password");
    } else if (IS(why, "user NOT in sudoers")) {
        *reason = SPAN_LIT("not_in_sudoers");
    } else if (IS(why, "command not allowed")) {
        *reason = SPAN_LIT("command_not_allowed");
    } else if (STARTS(why, "user NOT authorized on host")) {
        *reason = SPAN_LIT("not_authorized_on_host");
    } else if (IS(why, "a password is required")) {
        *reason = SPAN_LIT("password_required");
    }
    return kv_seen ? A_SUDO_FAILURE : A_OTHER;
}

/* An audit record's "msg='op=password acct="dan" exe="/usr/sbin/sshd"
 * hostname=? addr=192.0.2.1 terminal=ssh res=failed'": fills user, src_ip,
 * method and tty, and returns the res= value. A hex acct (the kernel's form
 * for names with spaces) is decoded into the record. */
static struct span audit_kv(struct span s, struct caps *c, struct record *r, struct span *exe)
{
    struct span res = SPAN_NULL, host = SPAN_NULL;
    const char *m = find(s.p, s.p + s.len, "msg='", 5);
    if (!m)
        return res;
    struct span body = span_make(m + 5, (size_t)(s.p + s.len - m - 5));
    size_t i = 0;
    while (i < body.len && body.p[i] != '\'') {
        while (i < body.len && body.p[i] == ' ')
            i++;
        size_t k = i;
        while (i < body.len && body.p[i] != '=' && body.p[i] != ' ' && body.p[i] != '\'')
            i++;
        if (i >= body.len || body.p[i] != '=')
            continue;
        struct span key = span_make(body.p + k, i - k);
        size_t v = ++i;
        bool quoted = v < body.len && body.p[v] == '"';
        if (quoted) {
            const char *q = memchr(body.p + v + 1, '"', body.len - v - 1);
            i = q ? (size_t)(q - body.p) + 1 : body.len;
        } else {
            while (i < body.len && body.p[i] != ' ' && body.p[i] != '\'')
                i++;
        }
        struct span val = span_make(body.p + v, i - v);
        if (quoted && val.len >= 2)
            val = span_make(val.p + 1, val.len - 2);
        if (IS(key, "acct")) {
            if (!quoted && val.len >= 2 && val.len % 2 == 0 && val.len <= 512) {
                char *out = record_alloc(r, val.len / 2);
                size_t o = 0;
                for (size_t h = 0; out && h < val.len; h += 2) {
                    int hi = hexval(val.p[h]), lo = hexval(val.p[h + 1]);
                    if (hi < 0 || lo < 0)
                        break;
                    out[o++] = (char)(hi << 4 | lo);
                }
                if (out && o == val.len / 2)
                    val = span_make(out, o);
            }
            c->v[C_USER] = val;
        } else if (IS(key, "addr")) {
            if (auth_addr_ipv4(val) || auth_addr_ipv6(val))
                c->v[C_IP] = val;
        } else if (IS(key, "hostname")) {
            host = val;
        } else if (IS(key, "op")) {
            c->v[C_METHOD] = val;
        } else if (IS(key, "terminal")) {
            c->v[C_TTY] = val;
        } else if (IS(key, "exe")) {
            *exe = val;
        } else if (IS(key, "res")) {
            res = val;
        }
    }
    if (!c->v[C_IP].len && (auth_addr_ipv4(host) || auth_addr_ipv6(host) ||
                            auth_addr_hostname(host)))
        c->v[C_IP] = host;
    return res;
}

static bool looks_like_tty(struct span s)
{
    return STARTS(s, "tty") || STARTS(s, "pts") || STARTS(s, "/dev/") || STARTS(s, "console") ||
           STARTS(s, ":");
}

/* "message repeated 3 times: [ inner]" -> inner, n = 3. */
static bool unwrap_repeat(struct span *msg, uint32_t *n)
{
    static const char pre[] = "message repeated ";
    if (!STARTS(*msg, pre))
        return false;
    size_t i = sizeof(pre) - 1, d = i;
    uint32_t v = 0;
    while (i < msg->len && is_digit(msg->p[i]) && i - d < 9)
        v = v * 10 + (uint32_t)(msg->p[i++] - '0');
    struct span rest = span_from(*msg, i);
    if (i == d || !STARTS(rest, " times: ["))
        return false;
    rest = span_from(rest, 9);
    if (rest.len && rest.p[rest.len - 1] == ']')
        rest.len--;
    *msg = trim(rest);
    *n = v ? v : 1;
    return true;
}

static void emit(struct record *r, enum rkey k, struct span v)
{
    if (v.len)
        record_set_str(r, k, v);
}

/* Prefixes some systems put before sshd's words: Solaris' "[ID 800047
 * auth.info] ", and the kernel-time stamp journald shows for some
 * containers ("kernel:[  970.699396]: ", "kernel: [  970.69] "). */
static struct span strip_prefixes(struct span msg)
{
    if (STARTS(msg, "[ID ")) {
        const char *e = memchr(msg.p, ']', msg.len < 64 ? msg.len : 64);
        if (e)
            msg = trim(span_from(msg, (size_t)(e - msg.p) + 1));
    }
    if (STARTS(msg, "kernel:")) {
        struct span k = trim(span_from(msg, 7));
        const char *e = k.len && k.p[0] == '[' ? memchr(k.p, ']', k.len < 32 ? k.len : 32) : NULL;
        if (e) {
            k = span_from(k, (size_t)(e - k.p) + 1);
            if (k.len && k.p[0] == ':')
                k = span_from(k, 1);
            msg = trim(k);
        }
    }
    return msg;
}

/* The header, whichever shape the line has; false when it has none. The
 * message of a journal export object is unescaped into the record. */
static bool read_header(struct record *r, struct span line, struct syslog_header *h)
{
    bool esc;
    if (line.len && line.p[0] == '{' && syslog_header_journal_json(line, h, &esc)) {
        if (esc) {
            char *out = record_alloc(r, h->msg.len ? h->msg.len : 1);
            long n = out ? json_unescape(h->msg.p, h->msg.len, out) : -1;
            h->msg = n >= 0 ? span_make(out, (size_t)n) : SPAN_NULL;
        }
        return true;
    }
    return syslog_header_parse(line, r->read_ts, h);
}

static uint32_t pid_of(struct span pid)
{
    int64_t v;
    return span_uint(pid, &v) && v > 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
}

static bool failure_action(enum action a)
{
    return a == A_LOGIN_FAILURE || a == A_INVALID_USER || a == A_AUTH_FAILURE;
}

static void caps_clear(struct caps *c)
{
    /* unrolled stores, not memset: gcc inlines that as a slow `rep stos` */
#pragma GCC unroll 24
    for (size_t k = 0; k < C__N + 1; k++)
        c->v[k] = SPAN_NULL;
}

/* The first row that matches; within a family (fam) every row is tried and
 * the one whose address lies furthest right wins. The captures of the
 * winner are in buf[0] or buf[1]: *out says which (two buffers swapped, not
 * copied). */
static const struct row *match_rows(struct span msg, unsigned svc, struct caps buf[2],
                                    struct caps **out)
{
    const uint8_t *a = ix.order, *ae = a, *b = ix.any, *be = ix.any + ix.nany;
    if (msg.len) {
        unsigned char b0 = (unsigned char)msg.p[0];
        a = ix.order + ix.bucket_at[b0];
        ae = ix.order + ix.bucket_at[b0 + 1];
    }
    struct caps *c = &buf[0], *best = NULL;
    caps_clear(c);
    struct miss miss = { NULL, 0, NULL, false };
    const struct row *hit = NULL;
    while (a < ae || b < be) {
        size_t i = (b >= be || (a < ae && *a < *b)) ? *a++ : *b++;
        const struct crow *cr = &ix.rows[i];
        if (!(rows[i].svc & svc) || !starts_with_lead(cr, msg))
            continue;
        if (hit && rows[i].fam != hit->fam)
            continue;
        miss.rightmost = false;
        if (match_from(cr, 0, msg.p + cr->lead_len, msg.p + msg.len, c, &miss)) {
            bool better = !hit || c->v[C_IP].p > best->v[C_IP].p;
            if (better) {
                hit = &rows[i];
                /* no further-right place for the address: no row can beat this one */
                const struct step *an = cr->anchor ? &cr->steps[cr->anchor - 1] : NULL;
                if (!hit->fam || !an || !c->v[C_IP].p || miss.rightmost ||
                    !find_last(c->v[C_IP].p, msg.p + msg.len, NULL, an->lit, an->lit_len)) {
                    best = c;
                    break;
                }
                best = c;
                c = c == &buf[0] ? &buf[1] : &buf[0];
                caps_clear(c);
            } else {
                undo_steps(cr, c);
            }
            continue;
        }
        undo_steps(cr, c);
        if (hit && hit->fam && (i + 1 >= NROWS || rows[i + 1].fam != hit->fam))
            break;
    }
    *out = best ? best : c;
    return hit;
}

static enum parse_result auth_parse(const struct parser *p, void *state, struct record *r,
                                    struct span line)
{
    (void)p;
    struct syslog_header h;
    bool has_header = read_header(r, line, &h);
    r->kind = KIND_AUTH;
    if (h.has_ts) {
        r->ts = h.ts;
        r->ts_from_line = true;
    }
    if (h.host.len)
        r->host = h.host;

    static const char nothing[1] = "";
    struct span msg = strip_prefixes(trim(h.msg.p ? h.msg : span_make(nothing, 0)));
    uint32_t repeat = 1;
    bool repeated = unwrap_repeat(&msg, &repeat);
    static const char preauth[] = " [preauth]";
    bool is_preauth = msg.len >= sizeof(preauth) - 1 &&
                      memcmp(msg.p + msg.len - (sizeof(preauth) - 1), preauth,
                             sizeof(preauth) - 1) == 0;
    if (is_preauth)
        msg = trim(span_make(msg.p, msg.len - (sizeof(preauth) - 1)));
    if (STARTS(msg, "error: ") || STARTS(msg, "fatal: "))
        msg = span_from(msg, 7);

    struct span service = service_name(h.app);
    unsigned svc = service_class(service);
    struct caps cbuf[2], *cp;
    pthread_once(&ix_once, index_build);
    const struct row *hit = match_rows(msg, svc, cbuf, &cp);

    enum action act = A_OTHER;
    enum auth_role role = R_NONE;
    struct span reason = SPAN_NULL;
    if (hit) {
        act = (enum action)hit->action;
        role = (enum auth_role)hit->role;
        if (hit->reason)
            reason = span_make(hit->reason, ix.rows[hit - rows].reason_len);
        struct span pamsvc = cp->v[C_PAMSVC].len ? cp->v[C_PAMSVC] : service;
        bool sw = (hit->handler == H_PAM_KV || hit->handler == H_SESSION) &&
                  is_switch_service(pamsvc);
        switch (hit->handler) {
        case H_PAM_KV:
            pam_kv(cp->v[C_REST], cp, sw);
            break;
        case H_SESSION:
            if (cp->v[C_REST].len)
                pam_session(cp->v[C_REST], cp, sw);
            else if (sw)
                cp->v[C_USER] = SPAN_NULL;   /* "session closed for user root": root is the target */
            else
                cp->v[C_USER] = cp->v[C_TARGET], cp->v[C_TARGET] = SPAN_NULL;
            break;
        case H_SUDO:
            act = sudo_list(cp->v[C_REST], cp, &reason);
            break;
        case H_AUDIT: {
            struct span exe = SPAN_NULL;
            struct span res = audit_kv(cp->v[C_REST], cp, r, &exe);
            const char *slash = exe.len ? memrchr(exe.p, '/', exe.len) : NULL;
            service = slash ? span_make(slash + 1, (size_t)(exe.p + exe.len - slash - 1)) : exe;
            bool failed = IS(res, "failed");
            if (IS(cp->v[C_USER], "(unknown user)") || IS(cp->v[C_USER], "(invalid user)") ||
                IS(cp->v[C_USER], "?")) {
                cp->v[C_USER] = SPAN_NULL;
                reason = SPAN_LIT("invalid_user");
            }
            if (act == A_LOGIN_SUCCESS)     /* USER_LOGIN: the connection's end */
                act = failed ? A_LOGIN_FAILURE : A_LOGIN_SUCCESS;
            else if (!failed)
                act = A_OTHER;
            if (STARTS(cp->v[C_METHOD], "PAM:bad_ident"))
                reason = SPAN_LIT("bad_ident");
            if (hit->action == A_LOGIN_SUCCESS && failed) {
                /* USER_LOGIN res=failed closes a connection whose USER_AUTH
                 * or USER_ERR record already counted the attempt */
                role = R_DETAIL;
            }
            break;
        }
        default:
            break;
        }
        if (act == A_AUTH_FAILURE) {
            if (IS(pamsvc, "sudo") || IS(pamsvc, "sudo-i"))
                act = A_SUDO_FAILURE;
            else if (IS(pamsvc, "su") || IS(pamsvc, "su-l") || IS(pamsvc, "runuser") ||
                     IS(pamsvc, "runuser-l"))
                act = A_SU_FAILURE;
            else
                act = A_LOGIN_FAILURE;
        }
        /* PAM's lines are provisional only inside sshd, which writes its own */
        if ((role == R_PAM || role == R_PAMMORE) && svc != SV_SSHD)
            role = R_NONE;
        /* "New session 3 of user alice." */
        if (hit->svc == SV_OTHER && cp->v[C_USER].len && cp->v[C_USER].p[cp->v[C_USER].len - 1] == '.')
            cp->v[C_USER].len--;
        if (reason.p == ROOT_LOGIN)
            cp->v[C_USER] = SPAN_LIT("root");
        if (cp->v[C_TTYHOST].len) {
            if (looks_like_tty(cp->v[C_TTYHOST]))
                cp->v[C_TTY] = cp->v[C_TTYHOST];
            else if (auth_addr_ipv4(cp->v[C_TTYHOST]) || auth_addr_ipv6(cp->v[C_TTYHOST]) ||
                     auth_addr_hostname(cp->v[C_TTYHOST]))
                cp->v[C_IP] = cp->v[C_TTYHOST];
        }
        if (cp->v[C_ADDRPORT].len) {          /* dropbear's "addr:port" */
            const char *colon = memrchr(cp->v[C_ADDRPORT].p, ':', cp->v[C_ADDRPORT].len);
            cp->v[C_IP] = span_make(cp->v[C_ADDRPORT].p, (size_t)(colon - cp->v[C_ADDRPORT].p));
            cp->v[C_PORT] = span_make(colon + 1, (size_t)(cp->v[C_ADDRPORT].p +
                                                        cp->v[C_ADDRPORT].len - colon - 1));
        }
        /* PAM's rhost= is PAM's: an address, or the host name it resolved
         * ({i} captures were checked as they were matched) */
        if (hit->handler == H_PAM_KV && cp->v[C_IP].len &&
            !(auth_addr_ipv4(cp->v[C_IP]) || auth_addr_ipv6(cp->v[C_IP]) ||
              auth_addr_hostname(cp->v[C_IP])))
            cp->v[C_IP] = SPAN_NULL;
        cp->v[C_IP] = auth_addr_unmap(cp->v[C_IP]);
        if (IS(cp->v[C_USER], "<invalid username>")) {    /* Solaris */
            cp->v[C_USER] = SPAN_NULL;
            reason = SPAN_LIT("invalid_user");
        }
        /* a key refused for an existing account: one of the agent's keys */
        if (act == A_LOGIN_FAILURE && role == R_FAIL && IS(cp->v[C_METHOD], "publickey") &&
            !IS(reason, "invalid_user")) {
            act = A_KEY_REJECTED;
            role = R_KEYREJ;
        }
        /* "Received disconnect from A: 3: ...: Auth fail": the client gave up */
        if (act == A_CLOSE && IS(cp->v[C_COUNT], "3") && cp->v[C_REASON].len >= 9 &&
            memcmp(cp->v[C_REASON].p + cp->v[C_REASON].len - 9, "Auth fail", 9) == 0) {
            act = A_LOGIN_FAILURE;
            role = R_SUMMARY;
            reason = SPAN_LIT("client_auth_fail");
        }
        if (cp->v[C_COUNT].len && (hit->handler == H_PAM_KV || hit->handler == H_SUDO) &&
            !repeated) {
            /* "PAM 2 more authentication failures", "3 incorrect password attempts" */
            int64_t n;
            if (span_uint(cp->v[C_COUNT], &n) && n > 0 && n < UINT32_MAX) {
                repeat = (uint32_t)n;
                repeated = true;
            }
        }
    }

    struct auth_line l = {
        .pid = pid_of(h.pid),
        .ts = r->ts,
        .role = role,
        .src = cp->v[C_IP],
        .user = trim(cp->v[C_USER]),
        .preauth = is_preauth,
        .names_user = hit && act == A_PREAUTH_DISCONNECT,
        .counted = failure_action(act) && !repeated,
    };
    auth_session_apply(svc == SV_SSHD ? state : NULL, &l);
    bool followed = svc == SV_SSHD && state && l.pid;
    /* a detail line outside a followed connection (audit's USER_LOGIN
     * res=failed, pam_sss's "received for user") repeats the attempt its
     * sibling line counts */
    if (role == R_DETAIL && !followed)
        l.dup = true;
    switch (l.verdict) {
    case V_SCAN: act = A_SCAN; break;
    case V_PREAUTH: act = A_PREAUTH_DISCONNECT; break;
    case V_OTHER: act = A_OTHER; break;
    default: break;
    }
    if (act == A_CLOSE)
        act = A_OTHER;
    else if (act == A_PROBE)
        act = A_SCAN;

    record_set_str(r, RK_ACTION, action_names[act]);
    emit(r, RK_SERVICE, service);
    if (hit) {
        emit(r, RK_USER, l.user);
        emit(r, RK_TARGET_USER, cp->v[C_TARGET]);
        /* the connection's address lives in the parser state: copied */
        if (l.src.p >= line.p && l.src.p + l.src.len <= line.p + line.len)
            emit(r, RK_SRC_IP, l.src);
        else if (l.src.len)
            record_set_str(r, RK_SRC_IP, record_copy(r, l.src.p, l.src.len));
        set_num(r, RK_SRC_PORT, cp->v[C_PORT]);
        emit(r, RK_METHOD, cp->v[C_METHOD]);
        emit(r, RK_KEY_FP, cp->v[C_KEYFP]);
        emit(r, RK_TTY, cp->v[C_TTY]);
        emit(r, RK_PWD, cp->v[C_PWD]);
        emit(r, RK_COMMAND, cp->v[C_COMMAND]);
        set_num(r, RK_UID, cp->v[C_UID]);
        emit(r, RK_GROUP, cp->v[C_GROUP]);
    }
    if (l.pid)
        record_set_int(r, RK_PID, l.pid);
    else
        set_num(r, RK_PID, h.pid);
    if (reason.p)
        record_set_str(r, RK_REASON, reason);
    else if (hit && cp->v[C_REASON].len)
        record_set_str(r, RK_REASON, cp->v[C_REASON]);
    if (repeated) {
        r->repeat = repeat;
        record_set_int(r, RK_REPEAT, repeat);
    }
    if (l.dup)
        record_add_bool(r, SPAN_LIT("dup"), true);
    if (l.failures)
        record_add_int(r, SPAN_LIT("failures"), l.failures);
    if (!has_header && hit && hit->handler == H_AUDIT) {
        /* "msg=audit(1373330716.415:4063)": the record's own time */
        const char *t = find(line.p, line.p + line.len, "audit(", 6);
        int64_t ts;
        if (t && ts_parse_epoch(span_make(t + 6, (size_t)(line.p + line.len - t - 6)), &ts)) {
            r->ts = ts;
            r->ts_from_line = true;
        }
        return PARSE_OK;
    }
    if (!has_header) {
        r->parse_error = "auth: no syslog header";
        return PARSE_MALFORMED;
    }
    return PARSE_OK;
}


const struct parser_plugin parser_auth = {
    .name = "auth",
    .state_size = sizeof(struct auth_state),
    .parse = auth_parse,
};
