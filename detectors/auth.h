/* auth.h - the auth detector's shared state (private to detectors/auth*.c).
 * One plugin, `detectors.auth`, with a section per rule family:
 *   auth.c        options, tables, dispatch by action, persistence
 *   auth_guess.c  brute force, spraying, distributed guessing, scans, success after
 *                 failures; one alert per episode
 *   auth_login.c  suspicious login (one scored alert) and root login over SSH
 *   auth_priv.c   sudo/su (first use, new command, failures) and account changes
 *
 * Failures are kept apart from the login baseline (fail_src / fail_user
 * tables): an attacker controls how many distinct sources and user names he
 * throws at sshd, and must not push real users out of the baseline. "Seen"
 * facts (user+source, user+network, any source, user+sudo command, su pairs)
 * live in one table of small entries keyed by a type byte and two keyed
 * hashes of the pair. */
#ifndef VIGIL_DETECTORS_AUTH_H
#define VIGIL_DETECTORS_AUTH_H

#include "detectors/baseline.h"
#include "detectors/detector.h"

struct auth_rule_conf {
    bool enabled;
    int64_t threshold;      /* failures / distinct users / distinct sources */
    int64_t window_ms;
};

struct auth_login_conf {
    bool enabled;
    int64_t dormant_ms;     /* no login for this long: the account is dormant */
    int64_t min_history;    /* logins before the hour profile is trusted */
};

struct auth_switch_conf {
    bool enabled;
};

/* One episode of an attack from one source (or one IPv6 /64), or against
 * one user: it starts when the windowed count reaches the threshold and
 * ends after no activity for the rule's window, or a day after its start.
 * Its lines are counted by its burst (below); a botnet that never stops
 * gives a start and a summary a day. */
struct auth_episode {
    int64_t start, last;            /* event time; start 0 = no episode */
    uint32_t total;                 /* failures / connections in the episode */
    uint32_t peak;                  /* highest windowed count (distinct users, sources) */
    uint8_t lines;                  /* lines this episode wrote */
    uint8_t sev;                    /* severity of the last line */
    uint8_t known;                  /* it targeted names that logged in here */
    uint8_t pad;
};

/* The episodes of one source (brute force, spraying, scan), or of one user
 * name, while any is open or within the longest of their windows after the
 * last event: one burst, at most three lines together. Lines go to the
 * first start, to growth (as the second line) and to what raises the
 * burst's severity; the summary of the last episode that wrote a line comes
 * when the burst is over, if a line is left. */
struct auth_burst {
    struct auth_episode ended;      /* the last episode that ended having written a line */
    int64_t last;                   /* last event of the burst */
    uint32_t lines;                 /* lines written, at most 3 */
    uint8_t sev;                    /* highest severity written */
    uint8_t ended_kind;             /* the rule of `ended` */
    uint8_t pad[2];
};

/* Failures and bare connections from one source (an IPv6 source is its
 * /64). Memory: 40 (head) + 64 (display key) + 832 = 936 bytes/entry (956). */
struct auth_fail_src {
    struct bl_window fails;         /* bruteforce.window */
    struct bl_window scans;         /* scan.window, weighted */
    struct bl_distinct users;       /* spray.window */
    struct bl_distinct known_users; /* spray.window: names that logged in here */
    int64_t last_fail;
    uint32_t since;                 /* failures since the last success from here */
    uint32_t last_user_len;
    char last_user[32];
    struct auth_episode brute, spray, scan;
    struct auth_burst burst;        /* the three together */
};

/* The first failure of a source that has no auth_fail_src yet: most sources
 * an internet-facing sshd sees fail once and never come back, and 64 bytes
 * (head and this) hold what their first failure counts for. A second
 * failure within the longest guessing window promotes the source to an
 * auth_fail_src, replaying this one into it. Not kept in snapshots: a
 * restart forgets at most one failure per source. */
struct auth_fail_once {
    int64_t when;                   /* event time of the failure; 0 = promoted or reset */
    uint64_t user_hash;             /* keyed hash of the user name, 0 if none */
    uint32_t n;                     /* failures it carried (record.repeat) */
    uint8_t known;                  /* the user name logged in here */
    uint8_t pad[3];
};

/* Failures from one network (/24, IPv6 /64), for success after failures. */
struct auth_fail_net {
    int64_t last_fail;
    uint32_t since;
    uint32_t pad;
};

/* Failures against one user name. Memory: 40 + 64 + 464 = 568 bytes/entry (588). */
struct auth_fail_user {
    struct bl_window fails;
    struct bl_distinct srcs;        /* distributed.window */
    int64_t last_fail;
    uint32_t since;
    uint32_t last_src_len;
    char last_src[48];
    struct auth_episode distributed;
    struct auth_burst burst;
};

/* What is normal for a user. Memory: 40 + 1144 = 1184 bytes/entry (1204). */
struct auth_user {
    struct bl_hours hours;          /* successful logins, hour of week */
    struct bl_set srcs;             /* usual sources, half-life 30 days */
    struct bl_set sudo_cmds;        /* usual sudo executables */
    int64_t last_login;
    uint32_t logins, key_logins, pw_logins, sudo_n, su_n;
    uint8_t privileged;             /* in a privileged group, or sudo to root seen */
};

/* A fact seen before. Memory: 40 + 8 = 48 bytes/entry (68). */
struct auth_seen {
    uint32_t n;
    uint32_t pad;
};

enum auth_seen_type {
    SEEN_USER_SRC = 'S', SEEN_USER_NET = 'N', SEEN_ANY_SRC = 'A', SEEN_SUDO_CMD = 'C',
    SEEN_SU_PAIR = 'U', SEEN_ROOT_SRC = 'R',
};

enum auth_class { AUTH_CLASS_LOGIN, AUTH_CLASS_PRIV, AUTH_CLASS__COUNT };

/* Who was at the keyboard: account tools (useradd, usermod) log no actor, so
 * account changes are tied to the latest root session (sudo/su to root, on
 * the same tty when the line names one) and that user's latest login. Fixed
 * size, copied into the snapshot as bytes. */
#define AUTH_RECENT_LOGINS 8
#define AUTH_NAME 32
#define AUTH_ADDR 48
struct auth_session {
    int64_t ts;
    uint8_t user_len, src_len, tty_len, actor_len;
    uint8_t severity;               /* of the login's auth.login alert, SEV_INFO if none */
    char user[AUTH_NAME];
    char src[AUTH_ADDR];
    char tty[16];
    char actor[AUTH_NAME];          /* created: who created the account */
};

struct auth_sessions {
    struct auth_session login[AUTH_RECENT_LOGINS];  /* ring of the latest successful logins */
    uint32_t login_head;
    struct auth_session root;       /* latest sudo/su to root (src unused) */
    struct auth_session created;    /* latest account created: user = the account, src = the
                                       actor's login source */
};

struct auth_ctx {
    /* options */
    struct conf_strlist privileged_users;
    struct conf_strlist privileged_groups;
    struct auth_rule_conf bruteforce, spray, distributed, after_failures, scan;
    struct auth_login_conf login;
    struct auth_switch_conf root_ssh, privilege, accounts;
    /* state */
    struct bl_table *fail_src, *fail_user, *fail_net, *users, *seen;
    struct bl_table *fail_once;     /* sources with one failure so far (not persisted) */
    int64_t learn_start[AUTH_CLASS__COUNT];   /* first event of each class, event time */
    struct auth_sessions sessions;
};

#define AUTH_SRC_HALFLIFE (30 * NS_PER_DAY)

static inline struct auth_ctx *auth_of(struct detector *d)
{
    return d->ctx;
}

/* True while the class's baseline is younger than detectors.learning_period. */
bool auth_learning(struct detector *d, enum auth_class c, int64_t now);
bool auth_privileged(struct detector *d, struct span user, const struct auth_user *u);
/* group is in privileged_groups (default sudo, wheel, adm, admin, root, docker, lxd). */
bool auth_group_privileged(struct detector *d, struct span group);
/* Looks up (and with create, records) a seen fact. Returns the count before. */
uint32_t auth_seen(struct detector *d, enum auth_seen_type type, struct span a, struct span b,
                   int64_t now, bool record);
/* The same in two steps, for a fact judged and then recorded by one record:
 * the key (type byte and two keyed hashes of the pair) and its hash are
 * computed once. */
struct auth_seen_key {
    char key[17];
    uint64_t hash;
};
void auth_seen_key(struct detector *d, enum auth_seen_type type, struct span a, struct span b,
                   struct auth_seen_key *k);
uint32_t auth_seen_k(struct detector *d, const struct auth_seen_key *k, int64_t now, bool record);
/* "198.51.100" for 198.51.100.7, the /48 of an IPv6 address, the domain of a host. */
struct span auth_network(struct span src);
/* The key an attacking source is counted under: the address, or for IPv6 its
 * /64 ("2001:db8:1:2::/64"), written into buf. */
struct span auth_src_key(struct span src, char *buf, size_t cap);
/* The network failures are pooled in for success after failures: the /24 of
 * IPv4, the /64 of IPv6, the domain of a host name. */
struct span auth_src_net(struct span src, char *buf, size_t cap);
/* "10m", "1h", "90s". */
void auth_duration(char *out, size_t cap, int64_t ms);
/* Fills the fields every auth alert shares from r. */
void auth_alert_init(struct alert *a, const struct record *r, const char *rule,
                     enum severity sev, enum stage stage);

/* Remembers a successful login (with the severity its auth.login alert had,
 * SEV_INFO when none) and a session that became root. */
void auth_session_login(struct detector *d, int64_t ts, struct span user, struct span src,
                        enum severity sev);
void auth_session_root(struct detector *d, int64_t ts, struct span user, struct span tty);

/* n failed attempts (record.repeat, or the failures a line carries). */
void auth_on_failure(struct detector *d, const struct record *r, struct span user,
                     struct span src, uint32_t n);
/* A connection that ended without an attempt (action scan). */
void auth_on_scan(struct detector *d, const struct record *r, struct span src);
/* Closes the episodes that ended by now (summaries). */
void auth_guess_tick(struct detector *d, int64_t now);
/* Returns the failures that preceded this success (from src or its network;
 * for a key login only as many as were for this user), and resets them;
 * raises success-after-failures. */
uint32_t auth_on_success_failures(struct detector *d, const struct record *r, struct span user,
                                  struct span src);
void auth_on_login(struct detector *d, const struct record *r, struct span user, struct span src,
                   uint32_t failures);
/* publickey, hostbased, gssapi: a login no guessed password opens. */
bool auth_method_is_key(struct span method);
void auth_on_priv(struct detector *d, const struct record *r, struct span action,
                  struct span user);
void auth_on_account(struct detector *d, const struct record *r, struct span action,
                     struct span user);

#endif
