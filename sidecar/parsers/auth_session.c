/* auth_session.c - following sshd's connections by pid (see auth_session.h). */
#include "sidecar/parsers/auth_session.h"

#include <stddef.h>
#include <string.h>

#define NS 1000000000LL
/* A pid unseen this long is a new connection (LoginGraceTime is 2 minutes;
 * authenticated sessions only need the table for their last lines). */
#define SESS_MAX_AGE (3600 * NS)
/* sshd's and PAM's lines of one attempt: PAM's delay (pam_faildelay, 2-3 s
 * on Debian) sits between them. */
#define PAIR_WINDOW (5 * NS)

enum {
    S_AUTHED = 1u << 0,     /* a login succeeded on this connection */
    S_REPORTED = 1u << 1,   /* its end (scan/preauth_disconnect) was reported with an address */
    S_SCAN_PEND = 1u << 2,  /* it failed before authentication, address not yet known */
    S_ANNOUNCED = 1u << 3,  /* "Invalid user" counted, its first Failed line not yet seen */
    S_ATTEMPT = 1u << 4,    /* a user name was tried */
};

/* Is s what keep() stored in buf (which cuts at the buffer's size)? */
static bool same_cut(const char *buf, uint8_t len, size_t cap, struct span s)
{
    if ((s.len < cap ? s.len : cap) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (buf[i] != s.p[i])
            return false;
    return true;
}
#define same(field, len, s) same_cut((field), (len), sizeof(field), (s))

static void keep(char *buf, uint8_t *len, size_t cap, struct span s)
{
    size_t n = s.len < cap ? s.len : cap;
    for (size_t i = 0; i < n; i++)      /* short: a loop beats a call */
        buf[i] = s.p[i];
    *len = (uint8_t)n;
}

/* The slot of pid: the table is direct-mapped (a multiplicative hash of the
 * pid), so a lookup is one compare; two live connections whose pids share a
 * slot evict each other, which costs the older its context, nothing else. */
static struct auth_sess *slot_of(struct auth_state *st, uint32_t pid)
{
    return &st->s[(pid * 2654435761u) >> (32 - AUTH_SESSIONS_BITS)];
}

static void sess_reset(struct auth_state *st, struct auth_sess *s, uint32_t pid, int64_t now)
{
    if (s->used && s->pam_pend && st->npend)
        st->npend--;
    memset(s, 0, offsetof(struct auth_sess, addr));
    s->pid = pid;
    s->used = 1;
    s->ts = now;
}

/* Tracks how many connections hold provisional PAM failures, so that
 * confirm_stale() looks at the table only when one does. */
static void pend_update(struct auth_state *st, struct auth_sess *s, bool before)
{
    bool after = s->pam_pend > 0;
    if (after && !before)
        st->npend++;
    else if (!after && before && st->npend)
        st->npend--;
}

/* Failures that wait for the connection's verdict become real: carried by l. */
static void confirm_pam(struct auth_sess *s, struct auth_line *l)
{
    l->failures += s->pam_pend;
    s->pam_pend = 0;
}

/* An attempt counted on this line. `logged` counts the lines that report
 * attempts one by one: the lines that sum them up are duplicates of those. */
static void count_attempt(struct auth_sess *s, struct auth_line *l)
{
    if (l->role != R_SUMMARY && l->role != R_PAMMORE && s->logged < UINT16_MAX)
        s->logged++;
    s->flags |= S_ATTEMPT;
}

static void role_failure(struct auth_sess *s, struct auth_line *l)
{
    switch (l->role) {
    case R_FAIL:
    case R_PAMERR: {
        uint8_t kind = l->role == R_FAIL ? 1 : 2;
        if (s->fail_kind && s->fail_kind != kind && l->ts - s->fail_ts <= PAIR_WINDOW) {
            l->dup = true;              /* sshd's and PAM's line of one attempt */
            s->fail_kind = 0;
        } else if (kind == 1 && (s->flags & S_ANNOUNCED)) {
            l->dup = true;              /* "Invalid user x" already counted this attempt */
            s->flags &= (uint8_t)~S_ANNOUNCED;
            s->fail_kind = 1;
            s->fail_ts = l->ts;
        } else {
            s->fail_kind = kind;
            s->fail_ts = l->ts;
            count_attempt(s, l);
        }
        if (s->pam_pend)
            s->pam_pend--;              /* PAM's provisional line was this attempt */
        break;
    }
    case R_ANNOUNCE:
        count_attempt(s, l);
        s->flags |= S_ANNOUNCED;
        break;
    case R_ECHO:
    case R_DETAIL:
        if (s->flags & S_ATTEMPT || s->pam_pend)
            l->dup = true;
        else
            count_attempt(s, l);
        break;
    case R_SUMMARY:
        if (s->pam_pend)
            confirm_pam(s, l);
        if (s->logged || l->failures)
            l->dup = true;
        else
            count_attempt(s, l);
        break;
    case R_COUNT:
        count_attempt(s, l);
        break;
    case R_PAM:
        /* a new user name on the connection: the earlier failures were real */
        if (s->pam_pend && s->user_len && !same(s->user, s->user_len, l->user))
            confirm_pam(s, l);
        if (s->pam_pend < UINT16_MAX)
            s->pam_pend++;
        s->pam_ts = l->ts;
        s->flags |= S_ATTEMPT;
        l->dup = true;
        break;
    case R_PAMMORE:
        if (s->pam_pend) {
            confirm_pam(s, l);
            l->dup = true;
        } else if (s->logged) {
            l->dup = true;
        } else {
            count_attempt(s, l);
        }
        break;
    default:
        break;
    }
}

static void role_connection(struct auth_sess *s, struct auth_line *l)
{
    switch (l->role) {
    case R_SUCCESS:
        s->flags |= S_AUTHED | S_ATTEMPT;
        if (s->pam_pend && !same(s->user, s->user_len, l->user))
            confirm_pam(s, l);          /* failed for others, then in as someone else */
        s->pam_pend = 0;                /* a later PAM module accepted the same user */
        break;
    case R_KEYREJ:
        s->flags |= S_ATTEMPT;
        break;
    case R_CLOSE:
    case R_PROBE:
        if (!(s->flags & S_AUTHED))
            confirm_pam(s, l);
        /* the end of a session that logged in is no failure and no scan */
        bool open_session = l->role == R_CLOSE && (s->flags & S_AUTHED);
        if (!open_session && (l->names_user || (s->flags & S_ATTEMPT) || l->failures || s->addrless))
            l->verdict = V_PREAUTH;
        else if (!open_session && (l->role == R_PROBE || l->preauth || (s->flags & S_SCAN_PEND)))
            l->verdict = V_SCAN;
        else
            l->verdict = V_OTHER;
        if (l->verdict == V_SCAN || l->verdict == V_PREAUTH) {
            if (l->src.len == 0) {
                s->flags |= S_SCAN_PEND;
            } else {
                if (s->flags & S_REPORTED)
                    l->dup = true;      /* one connection, one connection event */
                s->flags |= S_REPORTED;
                s->flags &= (uint8_t)~S_SCAN_PEND;
            }
        }
        break;
    default:
        break;
    }
}

/* PAM failures of other connections from the same address that sshd let
 * pass without a verdict: a module stacked after pam_unix accepts at once
 * ("Accepted" follows in the same second), so after PAIR_WINDOW they are real
 * (sshd logs failed keyboard-interactive attempts only at VERBOSE). */
static void confirm_stale(struct auth_state *st, const struct auth_sess *cur, struct auth_line *l)
{
    for (size_t i = 0; i < AUTH_SESSIONS; i++) {
        struct auth_sess *o = &st->s[i];
        if (o == cur || !o->used || !o->pam_pend || (o->flags & S_AUTHED) ||
            l->ts - o->pam_ts <= PAIR_WINDOW || !same(o->addr, o->addr_len, l->src))
            continue;
        confirm_pam(o, l);
        if (st->npend)
            st->npend--;
    }
}

void auth_session_apply(struct auth_state *st, struct auth_line *l)
{
    l->dup = false;
    l->failures = 0;
    l->verdict = V_KEEP;
    if (!st || !l->pid) {
        if (l->role == R_CLOSE)
            l->verdict = l->names_user ? V_PREAUTH : l->preauth ? V_SCAN : V_OTHER;
        else if (l->role == R_PROBE)
            l->verdict = V_SCAN;
        return;
    }
    struct auth_sess *s = slot_of(st, l->pid);
    bool mine = s->used && s->pid == l->pid && l->ts - s->ts <= SESS_MAX_AGE &&
                s->ts - l->ts <= SESS_MAX_AGE;
    /* the pid now serves another client, or a new connection starts */
    if (mine && ((l->src.len && s->addr_len && !same(s->addr, s->addr_len, l->src)) ||
                 l->role == R_CONN_NEW))
        mine = false;
    if (!mine) {
        if (l->role == R_NONE && !l->src.len)
            return;
        sess_reset(st, s, l->pid, l->ts);
    }
    bool pend_before = s->pam_pend > 0;
    if (l->src.len && !s->addr_len)
        keep(s->addr, &s->addr_len, sizeof(s->addr), l->src);
    else if (!l->src.len && s->addr_len)
        l->src = span_make(s->addr, s->addr_len);
    if (l->ts > s->ts)
        s->ts = l->ts;

    if (l->src.len && st->npend)
        confirm_stale(st, s, l);
    role_failure(s, l);
    role_connection(s, l);
    if (l->user.len && l->role != R_CLOSE && l->role != R_PROBE)
        keep(s->user, &s->user_len, sizeof(s->user), l->user);
    pend_update(st, s, pend_before);

    /* counted failures without an address wait for it */
    bool counts = l->counted && !l->dup;
    if (l->src.len == 0) {
        if (counts && s->addrless < UINT16_MAX)
            s->addrless++;
        if (counts)
            l->dup = true;
        if (l->failures && s->addrless < UINT16_MAX - l->failures) {
            s->addrless = (uint16_t)(s->addrless + l->failures);
            l->failures = 0;
        }
    } else if (s->addrless) {
        l->failures += s->addrless;
        s->addrless = 0;
    }
}
