/* auth.c - `parser: auth`: sshd, PAM, sudo, su, login and the shadow tools.
 * The syslog header gives host, time, service and pid; the message is then
 * matched against rows of templates ("Accepted {m} for {u} from {i} port {p}").
 * A template is read left to right: literal bytes must match, a {c} capture
 * runs lazily up to the next literal (or is one word at the template's end),
 * and a matching template may leave the message's tail unread. Captures land
 * in a per-line array first, so a row that fails half way adds nothing. A few
 * rows hand their tail to a handler (PAM key=value lists, sudo's " ; " list,
 * PAM session owners). Lines nothing matches are still auth records, with
 * action "other". Rows are tried in order, so the more specific come first.
 * For speed the templates are compiled once, on first use, into a leading
 * literal and capture steps, and indexed by the first byte of that literal:
 * a line meets only the rows that could match it, still in table order. */
#include "sidecar/parsers/parser.h"

#include <assert.h>
#include <pthread.h>
#include <string.h>

#include "sidecar/parsers/syslog_header.h"

enum action {
    A_OTHER, A_LOGIN_SUCCESS, A_LOGIN_FAILURE, A_INVALID_USER, A_PREAUTH_DISCONNECT,
    A_SESSION_OPEN, A_SESSION_CLOSE, A_SUDO, A_SUDO_FAILURE, A_SU, A_SU_FAILURE, A_USER_ADD,
    A_USER_DEL, A_USER_MOD, A_GROUP_ADD, A_GROUP_MEMBER_ADD, A_PASSWD_CHANGE,
    A_AUTH_FAILURE,   /* login_, sudo_ or su_failure, by the PAM service */
    A_DISCONNECT,     /* preauth_disconnect when the line ends in [preauth], else other */
};

static const struct span action_names[] = {
    [A_OTHER] = SPAN_LIT("other"),
    [A_LOGIN_SUCCESS] = SPAN_LIT("login_success"),
    [A_LOGIN_FAILURE] = SPAN_LIT("login_failure"),
    [A_INVALID_USER] = SPAN_LIT("invalid_user"),
    [A_PREAUTH_DISCONNECT] = SPAN_LIT("preauth_disconnect"),
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
    [A_DISCONNECT] = SPAN_LIT("other"),
};

/* Which programs a row applies to (a line without a header tries them all). */
enum {
    SV_SSHD = 1u << 0, SV_SUDO = 1u << 1, SV_SU = 1u << 2, SV_LOGIN = 1u << 3,
    SV_SHADOW = 1u << 4, SV_OTHER = 1u << 5, SV_ANY = 0x3f,
};

/* Capture slots, named by the letter used in templates. */
enum cap {
    C_USER, C_TARGET, C_IP, C_PORT, C_METHOD, C_KEYFP, C_TTY, C_PWD, C_COMMAND, C_UID,
    C_GROUP, C_REASON, C_COUNT, C_PAMSVC, C_TTYHOST, C_REST, C__N, C_SKIP = C__N
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
    default: return C_SKIP;     /* '*' and unknown letters: matched, dropped */
    }
}

enum handler { H_NONE, H_PAM_KV, H_SUDO, H_SESSION };

struct row {
    unsigned svc;
    const char *tmpl;
    uint8_t action;
    uint8_t handler;            /* applied to the {R} capture */
    const char *reason;         /* fixed reason, or NULL */
};

/* The reason of login's root rows; those lines name no user: it is root. */
static const char ROOT_LOGIN[] = "root_login";

/* Order matters: within a family the more specific template comes first. */
static const struct row rows[] = {
    /* sshd: successes */
    { SV_SSHD, "Accepted {m} for {u} from {i} port {p} ssh2: {*} {f}", A_LOGIN_SUCCESS, 0, NULL },
    { SV_SSHD, "Accepted {m} for {u} from {i} port {p}", A_LOGIN_SUCCESS, 0, NULL },
    { SV_SSHD, "Accepted {m} for {u} from {i}", A_LOGIN_SUCCESS, 0, NULL },
    /* sshd: failures */
    { SV_SSHD, "Failed {m} for invalid user {u} from {i} port {p} ssh2: {*} {f}", A_LOGIN_FAILURE, 0, "invalid_user" },
    { SV_SSHD, "Failed {m} for invalid user {u} from {i} port {p}", A_LOGIN_FAILURE, 0, "invalid_user" },
    { SV_SSHD, "Failed {m} for invalid user {u} from {i}", A_LOGIN_FAILURE, 0, "invalid_user" },
    { SV_SSHD, "Failed {m} for illegal user {u} from {i}", A_LOGIN_FAILURE, 0, "invalid_user" },
    { SV_SSHD, "Failed {m} for {u} from {i} port {p} ssh2: {*} {f}", A_LOGIN_FAILURE, 0, NULL },
    { SV_SSHD, "Failed {m} for {u} from {i} port {p}", A_LOGIN_FAILURE, 0, NULL },
    { SV_SSHD, "Failed {m} for {u} from {i}", A_LOGIN_FAILURE, 0, NULL },
    { SV_SSHD, "Invalid user {u} from {i} port {p}", A_INVALID_USER, 0, NULL },
    { SV_SSHD, "Invalid user {u} from {i}", A_INVALID_USER, 0, NULL },
    { SV_SSHD, "Illegal user {u} from {i}", A_INVALID_USER, 0, NULL },
    { SV_SSHD, "input_userauth_request: invalid user {u}", A_INVALID_USER, 0, NULL },
    { SV_SSHD, "User {u} from {i} not allowed because {r}", A_LOGIN_FAILURE, 0, NULL },
    { SV_SSHD, "User {u} not allowed because {r}", A_LOGIN_FAILURE, 0, NULL },
    { SV_SSHD, "ROOT LOGIN REFUSED FROM {i}", A_LOGIN_FAILURE, 0, "root_login_refused" },
    { SV_SSHD, "maximum authentication attempts exceeded for invalid user {u} from {i} port {p}", A_LOGIN_FAILURE, 0, "max_attempts" },
    { SV_SSHD, "maximum authentication attempts exceeded for {u} from {i} port {p}", A_LOGIN_FAILURE, 0, "max_attempts" },
    { SV_SSHD, "PAM: Authentication failure for illegal user {u} from {i}", A_LOGIN_FAILURE, 0, "invalid_user" },
    { SV_SSHD, "PAM: Authentication failure for {u} from {i}", A_LOGIN_FAILURE, 0, NULL },
    { SV_SSHD, "PAM: User not known to the underlying authentication module for illegal user {u} from {i}", A_INVALID_USER, 0, NULL },
    { SV_SSHD, "PAM: User not known to the underlying authentication module for {u} from {i}", A_INVALID_USER, 0, NULL },
    /* sshd: disconnects before authentication */
    { SV_SSHD, "Disconnecting authenticating user {u} {i} port {p}: Too many authentication failures", A_PREAUTH_DISCONNECT, 0, "too_many_failures" },
    { SV_SSHD, "Disconnecting invalid user {u} {i} port {p}: Too many authentication failures", A_PREAUTH_DISCONNECT, 0, "too_many_failures" },
    { SV_SSHD, "Disconnecting: Too many authentication failures for invalid user {u} from {i} port {p}", A_PREAUTH_DISCONNECT, 0, "too_many_failures" },
    { SV_SSHD, "Disconnecting: Too many authentication failures for {u} from {i} port {p}", A_PREAUTH_DISCONNECT, 0, "too_many_failures" },
    { SV_SSHD, "Disconnecting: Too many authentication failures for {u}", A_PREAUTH_DISCONNECT, 0, "too_many_failures" },
    { SV_SSHD, "Disconnecting authenticating user {u} {i} port {p}: {r}", A_PREAUTH_DISCONNECT, 0, NULL },
    { SV_SSHD, "Disconnecting invalid user {u} {i} port {p}: {r}", A_PREAUTH_DISCONNECT, 0, NULL },
    { SV_SSHD, "Connection closed by authenticating user {u} {i} port {p}", A_PREAUTH_DISCONNECT, 0, NULL },
    { SV_SSHD, "Connection closed by invalid user {u} {i} port {p}", A_PREAUTH_DISCONNECT, 0, "invalid_user" },
    { SV_SSHD, "Connection closed by {i} port {p}", A_DISCONNECT, 0, NULL },
    { SV_SSHD, "Connection closed by {i}", A_DISCONNECT, 0, NULL },
    { SV_SSHD, "Connection reset by authenticating user {u} {i} port {p}", A_PREAUTH_DISCONNECT, 0, NULL },
    { SV_SSHD, "Connection reset by invalid user {u} {i} port {p}", A_PREAUTH_DISCONNECT, 0, "invalid_user" },
    { SV_SSHD, "Connection reset by {i} port {p}", A_DISCONNECT, 0, NULL },
    { SV_SSHD, "Connection reset by {i}", A_DISCONNECT, 0, NULL },
    { SV_SSHD, "Disconnected from authenticating user {u} {i} port {p}", A_PREAUTH_DISCONNECT, 0, NULL },
    { SV_SSHD, "Disconnected from invalid user {u} {i} port {p}", A_PREAUTH_DISCONNECT, 0, "invalid_user" },
    { SV_SSHD, "Disconnected from user {u} {i} port {p}", A_OTHER, 0, NULL },
    { SV_SSHD, "Disconnected from {i} port {p}", A_DISCONNECT, 0, NULL },
    { SV_SSHD, "Received disconnect from {i} port {p}:{*}: {r}", A_DISCONNECT, 0, NULL },
    { SV_SSHD, "Received disconnect from {i}: {*}: {r}", A_DISCONNECT, 0, NULL },
    { SV_SSHD, "Timeout before authentication for {i} port {p}", A_PREAUTH_DISCONNECT, 0, "timeout" },
    { SV_SSHD, "Timeout before authentication for {i}", A_PREAUTH_DISCONNECT, 0, "timeout" },
    { SV_SSHD, "kex_exchange_identification: {r}", A_PREAUTH_DISCONNECT, 0, "kex_exchange_identification" },
    { SV_SSHD, "banner exchange: Connection from {i} port {p}: {r}", A_PREAUTH_DISCONNECT, 0, NULL },
    { SV_SSHD, "Did not receive identification string from {i} port {p}", A_PREAUTH_DISCONNECT, 0, "no_identification" },
    { SV_SSHD, "Did not receive identification string from {i}", A_PREAUTH_DISCONNECT, 0, "no_identification" },
    { SV_SSHD, "Unable to negotiate with {i} port {p}: {r}", A_PREAUTH_DISCONNECT, 0, NULL },
    { SV_SSHD, "Unable to negotiate with {i}: {r}", A_PREAUTH_DISCONNECT, 0, NULL },
    { SV_SSHD, "Bad protocol version identification {*} from {i} port {p}", A_PREAUTH_DISCONNECT, 0, "bad_protocol_version" },
    { SV_SSHD, "Bad protocol version identification {*} from {i}", A_PREAUTH_DISCONNECT, 0, "bad_protocol_version" },
    { SV_SSHD, "Protocol major versions differ for {i} port {p}:", A_PREAUTH_DISCONNECT, 0, "bad_protocol_version" },
    { SV_SSHD, "Protocol major versions differ for {i}:", A_PREAUTH_DISCONNECT, 0, "bad_protocol_version" },
    { SV_SSHD, "ssh_dispatch_run_fatal: Connection from authenticating user {u} {i} port {p}: {r}", A_PREAUTH_DISCONNECT, 0, NULL },
    { SV_SSHD, "ssh_dispatch_run_fatal: Connection from invalid user {u} {i} port {p}: {r}", A_PREAUTH_DISCONNECT, 0, "invalid_user" },
    { SV_SSHD, "ssh_dispatch_run_fatal: Connection from {i} port {p}: {r}", A_PREAUTH_DISCONNECT, 0, NULL },
    /* sshd: informational, fields kept */
    { SV_SSHD, "Connection from {i} port {p} on {*}", A_OTHER, 0, NULL },
    { SV_SSHD, "Postponed {m} for invalid user {u} from {i} port {p}", A_OTHER, 0, "invalid_user" },
    { SV_SSHD, "Postponed {m} for {u} from {i} port {p}", A_OTHER, 0, NULL },
    { SV_SSHD, "Starting session: {*} on {y} for {u} from {i} port {p}", A_OTHER, 0, NULL },
    { SV_SSHD, "Close session: user {u} from {i} port {p}", A_OTHER, 0, NULL },
    { SV_SSHD, "reverse mapping checking getaddrinfo for {*} [{i}] failed", A_OTHER, 0, "reverse_mapping" },
    { SV_SSHD, "Address {i} maps to {*}, but this does not map back", A_OTHER, 0, "reverse_mapping" },

    /* PAM, any service */
    { SV_ANY, "PAM {n} more authentication failure{*}; {R}", A_AUTH_FAILURE, H_PAM_KV, "pam_more_failures" },
    { SV_ANY, "pam_{*}({s}:auth): authentication failure; {R}", A_AUTH_FAILURE, H_PAM_KV, NULL },
    { SV_ANY, "pam_{*}({s}:session): session opened for user {R}", A_SESSION_OPEN, H_SESSION, NULL },
    { SV_ANY, "pam_{*}({s}:session): session closed for user {t}", A_SESSION_CLOSE, H_SESSION, NULL },
    { SV_ANY, "pam_{*}({s}:chauthtok): password changed for {t}", A_PASSWD_CHANGE, 0, NULL },
    { SV_ANY, "pam_{*}({s}:auth): check pass; user unknown", A_OTHER, 0, "user_unknown" },
    /* PAM before 0.99 tagged lines "sshd(pam_unix)[pid]:" */
    { SV_ANY, "authentication failure; {R}", A_AUTH_FAILURE, H_PAM_KV, NULL },

    /* sudo: "alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/ls" or a reason first */
    { SV_SUDO, "{u} : {R}", A_SUDO, H_SUDO, NULL },

    /* su: util-linux and shadow */
    { SV_SU, "FAILED SU (to {t}) {u} on {y}", A_SU_FAILURE, 0, NULL },
    { SV_SU, "(to {t}) {u} on {y}", A_SU, 0, NULL },
    { SV_SU, "Successful su for {t} by {u}", A_SU, 0, NULL },
    { SV_SU, "FAILED su for {t} by {u}", A_SU_FAILURE, 0, NULL },
    { SV_SU, "+ {y} {u}:{t}", A_SU, 0, NULL },
    { SV_SU, "- {y} {u}:{t}", A_SU_FAILURE, 0, NULL },
    { SV_SU, "pam_authenticate: {r}", A_SU_FAILURE, 0, NULL },

    /* login: util-linux and shadow */
    { SV_LOGIN, "FAILED LOGIN ({n}) on '{y}' from '{i}' FOR '{u}', {r}", A_LOGIN_FAILURE, 0, NULL },
    { SV_LOGIN, "FAILED LOGIN ({n}) on '{y}' FOR '{u}', {r}", A_LOGIN_FAILURE, 0, NULL },
    { SV_LOGIN, "FAILED LOGIN {n} FROM {h} FOR {u}, {r}", A_LOGIN_FAILURE, 0, NULL },
    { SV_LOGIN, "TOO MANY LOGIN TRIES ({n}) on '{y}' FOR '{u}'", A_LOGIN_FAILURE, 0, "too_many_tries" },
    { SV_LOGIN, "TOO MANY LOGIN TRIES {n} FROM {h} FOR {u},", A_LOGIN_FAILURE, 0, "too_many_tries" },
    { SV_LOGIN, "ROOT LOGIN  on '{y}' from '{i}'", A_LOGIN_SUCCESS, 0, ROOT_LOGIN },
    { SV_LOGIN, "ROOT LOGIN  on '{y}'", A_LOGIN_SUCCESS, 0, ROOT_LOGIN },
    { SV_LOGIN, "ROOT LOGIN ON {y} FROM {i}", A_LOGIN_SUCCESS, 0, ROOT_LOGIN },
    { SV_LOGIN, "ROOT LOGIN ON {y}", A_LOGIN_SUCCESS, 0, ROOT_LOGIN },
    { SV_LOGIN, "LOGIN ON {y} BY {u} FROM {i}", A_LOGIN_SUCCESS, 0, NULL },
    { SV_LOGIN, "LOGIN ON {y} BY {u}", A_LOGIN_SUCCESS, 0, NULL },
    { SV_LOGIN, "DIALUP AT {y} BY {u}", A_LOGIN_SUCCESS, 0, NULL },

    /* shadow tools: useradd, userdel, usermod, groupadd, gpasswd, passwd, chage... */
    { SV_SHADOW, "new user: name={t}, UID={U},", A_USER_ADD, 0, NULL },
    { SV_SHADOW, "new group: name={g}, GID=", A_GROUP_ADD, 0, NULL },
    { SV_SHADOW, "new group: name={g}", A_GROUP_ADD, 0, NULL },
    { SV_SHADOW, "group added to {*}: name={g}, GID=", A_GROUP_ADD, 0, NULL },
    { SV_SHADOW, "group added to {*}: name={g}", A_GROUP_ADD, 0, NULL },
    { SV_SHADOW, "add '{t}' to shadow group '{g}'", A_GROUP_MEMBER_ADD, 0, "shadow" },
    { SV_SHADOW, "add '{t}' to group '{g}'", A_GROUP_MEMBER_ADD, 0, NULL },
    { SV_SHADOW, "user {t} added by {u} to group {g}", A_GROUP_MEMBER_ADD, 0, NULL },
    { SV_SHADOW, "members of group {g} set by {u} to {t}", A_GROUP_MEMBER_ADD, 0, NULL },
    { SV_SHADOW, "delete user '{t}'", A_USER_DEL, 0, NULL },
    { SV_SHADOW, "removed group '{g}' owned by '{t}'", A_OTHER, 0, "group_del" },
    { SV_SHADOW, "removed shadow group '{g}' owned by '{t}'", A_OTHER, 0, "group_del" },
    { SV_SHADOW, "group '{g}' removed", A_OTHER, 0, "group_del" },
    { SV_SHADOW, "delete '{t}' from shadow group '{g}'", A_USER_MOD, 0, "group_member_del" },
    { SV_SHADOW, "delete '{t}' from group '{g}'", A_USER_MOD, 0, "group_member_del" },
    { SV_SHADOW, "user {t} removed by {u} from group {g}", A_USER_MOD, 0, "group_member_del" },
    { SV_SHADOW, "change user '{t}' password", A_PASSWD_CHANGE, 0, NULL },
    { SV_SHADOW, "password for '{t}' changed by '{u}'", A_PASSWD_CHANGE, 0, NULL },
    { SV_SHADOW, "change user name '{t}' to '{*}'", A_USER_MOD, 0, "rename" },
    { SV_SHADOW, "change user '{t}' {r}", A_USER_MOD, 0, NULL },
    { SV_SHADOW, "lock user '{t}' password", A_USER_MOD, 0, "lock" },
    { SV_SHADOW, "unlock user '{t}' password", A_USER_MOD, 0, "unlock" },
    { SV_SHADOW, "changed user '{t}' {r}", A_USER_MOD, 0, NULL },
    { SV_SHADOW, "changed password expiry for {t}", A_USER_MOD, 0, "expiry" },

    /* systemd-logind: kept as "other" (PAM already logs the session) */
    { SV_OTHER, "New session {*} of user {u}.", A_OTHER, 0, "logind_session_new" },
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))
_Static_assert(NROWS < 255, "row indexes are stored as uint8_t");

struct caps {
    struct span v[C__N + 1];    /* v[C_SKIP] takes the captures templates drop */
};

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
        if (n == 1 || (q[1] == lit[1] && memcmp(q + 2, lit + 2, n - 2) == 0))
            return q;
        p = q + 1;
    }
    return NULL;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A template compiled once: its leading literal, then steps of one capture
 * and the literal that follows it ("{u} from " is the step (u, " from ")).
 * How a capture ends is decided at compile time, exactly as the template
 * text says: at the next occurrence of its literal, at the end of the line
 * ({R}, or {r} last), after digits ({p} {n} {U} last), or at a space. */
#define ROW_MAX_STEPS 12

enum cap_end { E_FIND, E_REST, E_DIGITS, E_WORD };

struct step {
    const char *lit;            /* the literal after the capture, lit_len bytes */
    uint8_t lit_len;
    uint8_t slot;               /* enum cap: where the capture goes (C_SKIP: dropped) */
    uint8_t end;                /* enum cap_end */
};

struct crow {
    const char *lead;           /* the literal the message must start with */
    uint8_t lead_len;
    uint8_t nsteps;
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
        s->slot = (uint8_t)slot;
        if (code == 'R' || (n == 0 && slot == C_REASON))
            s->end = E_REST;
        else if (n)
            s->end = E_FIND;
        else if (slot == C_PORT || slot == C_COUNT || slot == C_UID)
            s->end = E_DIGITS;
        else
            s->end = E_WORD;
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
           (msg.len >= n && msg.p[n - 1] == cr->lead[n - 1] && memcmp(msg.p, cr->lead, n) == 0);
}

/* The last literal searched for in vain on this line: it does not occur in
 * [from, end). Rows of a family repeat their first searches ("Failed {m} for
 * invalid user " three times), so a repeated miss is answered here. */
struct miss {
    const char *lit;
    size_t len;                 /* 0: nothing remembered */
    const char *from;
};

/* Matches the steps of a compiled template against p..end, the message after
 * its lead. On success c holds the captures; on failure c may hold some of
 * them (undo_steps clears them). */
static bool match_steps(const struct crow *cr, const char *p, const char *end, struct caps *c,
                        struct miss *m)
{
    size_t n;
    for (size_t k = 0; k < cr->nsteps; k++) {
        const struct step *s = &cr->steps[k];
        const char *e;
        n = s->lit_len;
        switch (s->end) {
        case E_FIND:
            if (m->len == n && p >= m->from && memcmp(m->lit, s->lit, n) == 0)
                return false;
            e = find(p, end, s->lit, n);
            if (!e) {
                *m = (struct miss){ s->lit, n, p };
                return false;
            }
            c->v[s->slot] = span_make(p, (size_t)(e - p));
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
        p = e;
        if ((size_t)(end - p) < n || memcmp(p, s->lit, n) != 0)
            return false;
        p += n;
    }
    return true;
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
    return a.len == n && memcmp(a.p, lit, n) == 0;
}
#define IS(a, lit) span_is((a), (lit), sizeof(lit) - 1)

static bool starts(struct span a, const char *lit, size_t n)
{
    return a.len >= n && memcmp(a.p, lit, n) == 0;
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

/* "logname= uid=0 euid=0 tty=ssh ruser= rhost=10.0.0.1  user=root" */
static void pam_kv(struct span s, struct caps *c, bool switch_svc)
{
    struct span ruser = SPAN_NULL, user = SPAN_NULL;
    size_t i = 0;
    while (i < s.len) {
        while (i < s.len && s.p[i] == ' ')
            i++;
        size_t k = i;
        while (i < s.len && s.p[i] != '=' && s.p[i] != ' ')
            i++;
        if (i >= s.len || s.p[i] != '=')
            continue;
        struct span key = span_make(s.p + k, i - k);
        size_t v = ++i;
        while (i < s.len && s.p[i] != ' ')
            i++;
        struct span val = span_make(s.p + v, i - v);
        if (val.len == 0)
            continue;
        if (IS(key, "rhost"))
            c->v[C_IP] = val;
        else if (IS(key, "tty"))
            c->v[C_TTY] = val;
        else if (IS(key, "uid"))
            c->v[C_UID] = val;
        else if (IS(key, "ruser"))
            ruser = val;
        else if (IS(key, "user"))
            user = val;
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

/* sudo's list: "[reason ; ]KEY=val ; KEY=val ; ... ; COMMAND=rest". Returns the action. */
static enum action sudo_list(struct span s, struct caps *c, struct span *reason)
{
    size_t i = 0;
    bool first = true, kv_seen = false;
    struct span why = SPAN_NULL;
    while (i <= s.len) {
        /* segment [i, e) up to " ; ", except COMMAND= which runs to the end */
        size_t e = i;
        const char *pos = s.p + i, *end = s.p + s.len;
        bool command = STARTS(span_make(pos, (size_t)(end - pos)), "COMMAND=");
        const char *sep = command ? NULL : find(pos, end, " ; ", 3);
        e = sep ? (size_t)(sep - s.p) : s.len;
        struct span seg = span_make(s.p + i, e - i);
        const char *eq = memchr(seg.p, '=', seg.len);
        if (eq && eq > seg.p && memchr(seg.p, ' ', (size_t)(eq - seg.p)) == NULL) {
            struct span key = span_make(seg.p, (size_t)(eq - seg.p));
            struct span val = span_make(eq + 1, seg.len - key.len - 1);
            kv_seen = true;
            if (IS(key, "TTY"))
                c->v[C_TTY] = val;
            else if (IS(key, "PWD"))
                c->v[C_PWD] = val;
            else if (IS(key, "USER"))
                c->v[C_TARGET] = val;
            else if (IS(key, "GROUP"))
                c->v[C_GROUP] = val;
            else if (IS(key, "COMMAND"))
                c->v[C_COMMAND] = val;
            else if (IS(key, "ENV")) {
                /* sudo 1.9: "ENV=A=1 B=2 COMMAND=..." has no " ; " before COMMAND,
                 * and the command runs to the end of the line */
                const char *cmd = find(val.p, val.p + val.len, " COMMAND=", 9);
                if (cmd) {
                    c->v[C_COMMAND] = span_make(cmd + 9, (size_t)(s.p + s.len - cmd - 9));
                    break;
                }
            }
        } else if (first) {
            why = seg;
        }
        first = false;
        if (!sep)
            break;
        i = e + 3;
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

static enum parse_result auth_parse(const struct parser *p, void *state, struct record *r,
                                    struct span line)
{
    (void)p;
    (void)state;
    struct syslog_header h;
    bool has_header = syslog_header_parse(line, r->read_ts, &h);
    r->kind = KIND_AUTH;
    if (h.has_ts) {
        r->ts = h.ts;
        r->ts_from_line = true;
    }
    if (h.host.len)
        r->host = h.host;

    struct span msg = trim(h.msg);
    uint32_t repeat = 1;
    bool repeated = unwrap_repeat(&msg, &repeat);
    static const char preauth[] = " [preauth]";
    bool is_preauth = msg.len >= sizeof(preauth) - 1 &&
                      memcmp(msg.p + msg.len - (sizeof(preauth) - 1), preauth,
                             sizeof(preauth) - 1) == 0;
    if (is_preauth)
        msg.len -= sizeof(preauth) - 1;
    if (STARTS(msg, "error: ") || STARTS(msg, "fatal: "))
        msg = span_from(msg, 7);

    struct span service = service_name(h.app);
    unsigned svc = service_class(service);
    struct caps c;
    const struct row *hit = NULL;
    pthread_once(&ix_once, index_build);
    const uint8_t *a = ix.order, *ae = a, *b = ix.any, *be = ix.any + ix.nany;
    if (msg.len) {
        unsigned char b0 = (unsigned char)msg.p[0];
        a = ix.order + ix.bucket_at[b0];
        ae = ix.order + ix.bucket_at[b0 + 1];
    }
    /* a loop, not memset: gcc inlines that as a slow `rep stos` */
    for (size_t k = 0; k < C__N + 1; k++)
        c.v[k] = SPAN_NULL;
    struct miss miss = { NULL, 0, NULL };
    while (a < ae || b < be) {
        size_t i = (b >= be || (a < ae && *a < *b)) ? *a++ : *b++;
        const struct crow *cr = &ix.rows[i];
        if (!(rows[i].svc & svc) || !starts_with_lead(cr, msg))
            continue;
        if (match_steps(cr, msg.p + cr->lead_len, msg.p + msg.len, &c, &miss)) {
            hit = &rows[i];
            break;
        }
        undo_steps(cr, &c);
    }

    enum action act = A_OTHER;
    struct span reason = SPAN_NULL;
    if (hit) {
        act = (enum action)hit->action;
        if (hit->reason)
            reason = span_make(hit->reason, ix.rows[hit - rows].reason_len);
        struct span pamsvc = c.v[C_PAMSVC].len ? c.v[C_PAMSVC] : service;
        bool sw = is_switch_service(pamsvc);
        switch (hit->handler) {
        case H_PAM_KV:
            pam_kv(c.v[C_REST], &c, sw);
            break;
        case H_SESSION:
            if (c.v[C_REST].len)
                pam_session(c.v[C_REST], &c, sw);
            else if (sw)
                c.v[C_USER] = SPAN_NULL;   /* "session closed for user root": root is the target */
            else
                c.v[C_USER] = c.v[C_TARGET], c.v[C_TARGET] = SPAN_NULL;
            break;
        case H_SUDO:
            act = sudo_list(c.v[C_REST], &c, &reason);
            break;
        default:
            break;
        }
        if (act == A_DISCONNECT)
            act = is_preauth ? A_PREAUTH_DISCONNECT : A_OTHER;
        /* "New session 3 of user alice." */
        if (hit->svc == SV_OTHER && c.v[C_USER].len && c.v[C_USER].p[c.v[C_USER].len - 1] == '.')
            c.v[C_USER].len--;
        if (act == A_AUTH_FAILURE) {
            if (IS(pamsvc, "sudo") || IS(pamsvc, "sudo-i"))
                act = A_SUDO_FAILURE;
            else if (IS(pamsvc, "su") || IS(pamsvc, "su-l") || IS(pamsvc, "runuser") ||
                     IS(pamsvc, "runuser-l"))
                act = A_SU_FAILURE;
            else
                act = A_LOGIN_FAILURE;
        }
        if (reason.p == ROOT_LOGIN)
            c.v[C_USER] = SPAN_LIT("root");
        if (c.v[C_TTYHOST].len) {
            if (looks_like_tty(c.v[C_TTYHOST]))
                c.v[C_TTY] = c.v[C_TTYHOST];
            else
                c.v[C_IP] = c.v[C_TTYHOST];
        }
        if (c.v[C_COUNT].len && (hit->handler == H_PAM_KV || hit->handler == H_SUDO) &&
            !repeated) {
            /* "PAM 2 more authentication failures", "3 incorrect password attempts" */
            int64_t n;
            if (span_uint(c.v[C_COUNT], &n) && n > 0 && n < UINT32_MAX) {
                repeat = (uint32_t)n;
                repeated = true;
            }
        }
    }

    record_set_str(r, RK_ACTION, action_names[act]);
    emit(r, RK_SERVICE, service);
    if (hit) {
        emit(r, RK_USER, trim(c.v[C_USER]));
        emit(r, RK_TARGET_USER, c.v[C_TARGET]);
        emit(r, RK_SRC_IP, c.v[C_IP]);
        set_num(r, RK_SRC_PORT, c.v[C_PORT]);
        emit(r, RK_METHOD, c.v[C_METHOD]);
        emit(r, RK_KEY_FP, c.v[C_KEYFP]);
        emit(r, RK_TTY, c.v[C_TTY]);
        emit(r, RK_PWD, c.v[C_PWD]);
        emit(r, RK_COMMAND, c.v[C_COMMAND]);
        set_num(r, RK_UID, c.v[C_UID]);
        emit(r, RK_GROUP, c.v[C_GROUP]);
    }
    set_num(r, RK_PID, h.pid);
    if (reason.p)
        record_set_str(r, RK_REASON, reason);
    else if (hit && c.v[C_REASON].len)
        record_set_str(r, RK_REASON, c.v[C_REASON]);
    if (repeated) {
        r->repeat = repeat;
        record_set_int(r, RK_REPEAT, repeat);
    }
    if (!has_header) {
        r->parse_error = "auth: no syslog header";
        return PARSE_MALFORMED;
    }
    return PARSE_OK;
}

const struct parser_plugin parser_auth = {
    .name = "auth",
    .parse = auth_parse,
};
