/* test_auth.c - each auth rule with a positive case and a near miss. */
#include <criterion/criterion.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detectors_test.h"
#include "sidecar/parsers/parser.h"

extern const struct parser_plugin parser_auth;

static struct vigil *start(int64_t learning_ms)
{
    struct vigil *vg = test_vigil(learning_ms);
    cr_assert_eq(detectors_init(vg), 0);
    return vg;
}

static int sev_of(const struct caught *c)
{
    return c ? severity_parse(c->severity) : -1;
}

/* A week of key logins at 08:30, 12:00 and 18:30 from the given sources. */
static void learn_week(struct vigil *vg, const char *user, const char *src1, const char *src2)
{
    for (int day = 0; day < 7; day++) {
        feed(vg, AT(day, 8, 30), "login_success", user, src1, "publickey");
        feed(vg, AT(day, 12, 0), "login_success", user, src2 ? src2 : src1, "publickey");
        feed(vg, AT(day, 18, 30), "login_success", user, src1, "publickey");
    }
}

Test(auth, bruteforce_at_threshold_not_below)
{
    struct vigil *vg = start(0);
    for (int i = 0; i < 4; i++)
        feed(vg, AT(1, 2, i), "login_failure", "root", "203.0.113.9", "password");
    cr_assert_eq(count_rule("auth.bruteforce"), 0, "4 failures are not a brute force");
    for (int i = 4; i < 7; i++)
        feed(vg, AT(1, 2, i), "login_failure", "root", "203.0.113.9", "password");
    cr_assert_eq(count_rule("auth.bruteforce"), 0, "7 failures are not a brute force");
    feed(vg, AT(1, 2, 7), "invalid_user", "oracle", "203.0.113.9", NULL);
    const struct caught *c = find_rule("auth.bruteforce");
    cr_assert_not_null(c);
    cr_assert_eq(sev_of(c), SEV_LOW, "root and oracle never logged in here: a bot's guesses");
    cr_assert_str_eq(c->src_ip, "203.0.113.9");
    cr_assert(strstr(c->message, "8 failed logins from 203.0.113.9 within 10m (threshold 8)"),
              "%s", c->message);
    detectors_free(vg);
}

Test(auth, bruteforce_spread_out_is_not)
{
    struct vigil *vg = start(0);
    for (int i = 0; i < 10; i++)
        feed(vg, AT(1, 2, i * 4), "login_failure", "root", "203.0.113.9", "password");
    cr_assert_eq(count_rule("auth.bruteforce"), 0);
    detectors_free(vg);
}

Test(auth, bruteforce_counts_repeated_messages)
{
    struct vigil *vg = start(0);
    feed_kv(vg, AT(1, 2, 0), "login_failure", "root", "203.0.113.9", "password", NULL, 40);
    const struct caught *c = find_rule("auth.bruteforce");
    cr_assert_not_null(c);
    cr_assert_eq(sev_of(c), SEV_LOW, "40 guesses, none for an account that logs in here");
    /* the same against an account that logs in here */
    feed(vg, AT(1, 3, 0), "login_success", "alice", "10.0.0.5", "publickey");
    feed_kv(vg, AT(1, 3, 5), "login_failure", "alice", "203.0.113.10", "password", NULL, 40);
    c = find_rule("auth.bruteforce");
    cr_assert_str_eq(c->src_ip, "203.0.113.10");
    cr_assert_eq(sev_of(c), SEV_HIGH, "5x the threshold against a real account");
    detectors_free(vg);
}

Test(auth, spray_one_source_many_users)
{
    struct vigil *vg = start(0);
    const char *users[] = { "alice", "bob", "carol", "dave", "erin" };
    for (int i = 0; i < 4; i++)
        feed(vg, AT(1, 2, i * 5), "login_failure", users[i], "192.0.2.10", "password");
    cr_assert_eq(count_rule("auth.spray"), 0);
    feed(vg, AT(1, 2, 25), "invalid_user", users[4], "192.0.2.10", NULL);
    const struct caught *c = find_rule("auth.spray");
    cr_assert_not_null(c);
    cr_assert_str_eq(c->src_ip, "192.0.2.10");
    cr_assert(strstr(c->message, "5 distinct users") != NULL, "%s", c->message);
    cr_assert_eq(count_rule("auth.bruteforce"), 0);
    detectors_free(vg);
}

Test(auth, distributed_one_user_many_sources)
{
    struct vigil *vg = start(0);
    char src[32];
    for (int i = 0; i < 4; i++) {
        snprintf(src, sizeof(src), "198.51.100.%d", i + 1);
        feed(vg, AT(1, 4, i), "login_failure", "bob", src, "password");
    }
    cr_assert_eq(count_rule("auth.distributed"), 0);
    for (int i = 0; i < 5; i++) {
        snprintf(src, sizeof(src), "203.0.113.%d", i + 1);
        feed(vg, AT(1, 5, i * 7), "login_failure", "admin", src, "password");
    }
    const struct caught *c = find_rule("auth.distributed");
    cr_assert_not_null(c);
    cr_assert_str_eq(c->user, "admin");
    cr_assert_eq(count_rule("auth.bruteforce"), 0);
    detectors_free(vg);
}

Test(auth, distributed_severity_follows_the_account)
{
    struct vigil *vg = start(0);
    char src[32];
    feed(vg, AT(1, 1, 0), "login_success", "deploy", "10.0.0.9", "publickey");
    feed(vg, AT(1, 1, 5), "login_success", "carol", "10.0.0.8", "password");
    const char *who[] = { "guest", "deploy", "carol" };
    const int want[] = { SEV_INFO, SEV_LOW, SEV_MEDIUM };
    for (int u = 0; u < 3; u++) {
        ncaught = 0;
        for (int i = 0; i < 5; i++) {
            snprintf(src, sizeof(src), "198.51.%d.%d", 10 + u, i + 1);
            feed(vg, AT(1, 3 + u, i), "login_failure", who[u], src, "password");
        }
        const struct caught *c = find_rule("auth.distributed");
        cr_assert_not_null(c, "%s", who[u]);
        cr_assert_eq(sev_of(c), want[u], "%s: %s %s", who[u], c->severity, c->message);
    }
    detectors_free(vg);
}

Test(auth, a_typo_then_password_from_a_source_colleagues_use_is_an_observation)
{
    struct vigil *vg = start(24 * 3600 * 1000LL);
    learn_week(vg, "bob", "10.8.0.2", NULL);
    learn_week(vg, "alice", "10.0.0.5", NULL);
    /* bob at the office for once: one typo, then his password */
    feed(vg, AT(8, 13, 0), "login_failure", "bob", "10.0.0.5", "password");
    feed(vg, AT(8, 13, 0) + 5 * NS_PER_SEC, "login_success", "bob", "10.0.0.5", "password");
    const struct caught *c = find_rule("auth.login");
    cr_assert(!c || sev_of(c) <= SEV_LOW, "%s %s", c->severity, c->message);
    /* the same from an address no one here ever logged in from is not */
    ncaught = 0;
    feed(vg, AT(8, 14, 0), "login_failure", "bob", "10.0.3.9", "password");
    feed(vg, AT(8, 14, 0) + 5 * NS_PER_SEC, "login_success", "bob", "10.0.3.9", "password");
    c = find_rule("auth.login");
    cr_assert_not_null(c);
    cr_assert_geq(sev_of(c), SEV_MEDIUM, "%s %s", c->severity, c->message);
    detectors_free(vg);
}

Test(auth, a_key_login_behind_a_nat_bots_share_is_no_success_after_failures)
{
    struct vigil *vg = start(0);
    const char *names[] = { "ec2-user", "debian", "ubuntu", "git", "admin", "pi" };
    /* bots behind the carrier's NAT address guess other names... */
    for (int i = 0; i < 6; i++)
        feed(vg, AT(1, 19, i), "invalid_user", names[i], "100.70.134.104", NULL);
    /* ...then kofi, behind the same address, logs in with his key */
    feed(vg, AT(1, 19, 30), "login_success", "kofi", "100.70.134.104", "publickey");
    const struct caught *c = find_rule("auth.success_after_failures");
    cr_assert_null(c, "%s", c ? c->message : "");
    c = find_rule("auth.login");
    cr_assert(!c || !strstr(c->message, "failure"), "%s", c->message);
    /* a password that works after those guesses is what a spray looks like */
    for (int i = 0; i < 6; i++)
        feed(vg, AT(1, 20, i), "invalid_user", names[i], "100.70.134.104", NULL);
    feed(vg, AT(1, 20, 30), "login_success", "lena", "100.70.134.104", "password");
    cr_assert_not_null(find_rule("auth.success_after_failures"));
    /* and a key that works after failures for the same name still counts */
    ncaught = 0;
    for (int i = 0; i < 6; i++)
        feed(vg, AT(1, 21, i), "login_failure", "kofi", "100.70.134.104", "password");
    feed(vg, AT(1, 21, 30), "login_success", "kofi", "100.70.134.104", "publickey");
    cr_assert_not_null(find_rule("auth.success_after_failures"));
    detectors_free(vg);
}

Test(auth, success_after_failures)
{
    struct vigil *vg = start(0);
    for (int i = 0; i < 2; i++)
        feed(vg, AT(1, 9, i), "login_failure", "dave", "10.0.0.7", "password");
    feed(vg, AT(1, 9, 3), "login_success", "dave", "10.0.0.7", "password");
    cr_assert_eq(count_rule("auth.success_after_failures"), 0, "two typos are not an attack");

    for (int i = 0; i < 5; i++)
        feed(vg, AT(1, 10, i), "login_failure", "carol", "10.0.0.8", "password");
    feed(vg, AT(1, 10, 6), "login_success", "carol", "10.0.0.8", "password");
    const struct caught *c = find_rule("auth.success_after_failures");
    cr_assert_not_null(c);
    cr_assert_eq(sev_of(c), SEV_MEDIUM);
    cr_assert_str_eq(c->user, "carol");

    for (int i = 0; i < 9; i++)
        feed(vg, AT(1, 11, i), "login_failure", "erin", "203.0.113.50", "password");
    feed(vg, AT(1, 11, 9), "login_success", "erin", "203.0.113.50", "password");
    c = find_rule("auth.success_after_failures");
    cr_assert_eq(sev_of(c), SEV_HIGH, "a brute force that succeeded");
    detectors_free(vg);
}

Test(auth, known_source_usual_hours_is_quiet)
{
    struct vigil *vg = start(24 * 3600 * 1000LL);
    learn_week(vg, "alice", "10.0.0.5", NULL);
    ncaught = 0;
    feed(vg, AT(8, 9, 15), "login_success", "alice", "10.0.0.5", "publickey");
    cr_assert_eq(ncaught, 0);
    detectors_free(vg);
}

Test(auth, benign_new_network_with_key_is_low_at_most)
{
    struct vigil *vg = start(24 * 3600 * 1000LL);
    learn_week(vg, "alice", "10.0.0.5", "10.8.0.2");
    ncaught = 0;
    feed(vg, AT(8, 10, 0), "login_success", "alice", "192.0.2.44", "publickey");
    const struct caught *c = find_rule("auth.login");
    cr_assert_not_null(c);
    cr_assert_leq(sev_of(c), SEV_LOW);
    cr_assert(strstr(c->message, "first login for alice from 192.0.2.44 (new network, never "
                                 "seen for any user; usual: 10.0.0.5, 10.8.0.2)"),
              "%s", c->message);
    detectors_free(vg);
}

Test(auth, benign_for_an_admin_too)
{
    struct vigil *vg = start(24 * 3600 * 1000LL);
    learn_week(vg, "ops-admin", "10.0.0.5", NULL);
    feed_kv(vg, AT(7, 9, 0), "group_member_add", "ops-admin", NULL, NULL,
            (const char *const[]){ "group", "sudo", NULL }, 1);
    ncaught = 0;
    feed(vg, AT(8, 10, 0), "login_success", "ops-admin", "192.0.2.44", "publickey");
    cr_assert_leq(sev_of(find_rule("auth.login")), SEV_LOW);
    detectors_free(vg);
}

Test(auth, stolen_admin_credentials_are_critical)
{
    struct vigil *vg = start(24 * 3600 * 1000LL);
    learn_week(vg, "ops-admin", "10.0.0.5", "10.8.0.2");
    feed_kv(vg, AT(7, 9, 0), "group_member_add", "ops-admin", NULL, NULL,
            (const char *const[]){ "group", "sudo", NULL }, 1);
    ncaught = 0;
    for (int i = 0; i < 6; i++)
        feed(vg, AT(8, 3, 4 + i / 2), "login_failure", "ops-admin", "198.51.100.7", "password");
    feed(vg, AT(8, 3, 10), "login_success", "ops-admin", "198.51.100.7", "password");
    const struct caught *c = find_rule("auth.login");
    cr_assert_not_null(c);
    cr_assert_geq(sev_of(c), SEV_HIGH, "%s: %s", c->severity, c->message);
    cr_assert_str_eq(c->user, "ops-admin");
    cr_assert_str_eq(c->src_ip, "198.51.100.7");
    cr_assert(strstr(c->message, "first login for ops-admin from 198.51.100.7"), "%s", c->message);
    cr_assert(strstr(c->message, "usual: 10.0.0.5, 10.8.0.2"), "%s", c->message);
    cr_assert(strstr(c->message, "at 03:10 (usual 08-18h)"), "%s", c->message);
    cr_assert(strstr(c->message, "after 6 failures"), "%s", c->message);
    cr_assert_not_null(find_rule("auth.success_after_failures"));
    detectors_free(vg);
}

Test(auth, odd_hour_alone_is_not_high)
{
    struct vigil *vg = start(24 * 3600 * 1000LL);
    learn_week(vg, "alice", "10.0.0.5", NULL);
    ncaught = 0;
    feed(vg, AT(8, 3, 0), "login_success", "alice", "10.0.0.5", "publickey");
    const struct caught *c = find_rule("auth.login");
    cr_assert_not_null(c);
    cr_assert_leq(sev_of(c), SEV_LOW);
    detectors_free(vg);
}

Test(auth, learning_period_keeps_novelty_quiet)
{
    struct vigil *vg = start(24 * 3600 * 1000LL);
    feed(vg, AT(0, 9, 0), "login_success", "alice", "10.0.0.5", "publickey");
    feed(vg, AT(0, 11, 0), "login_success", "alice", "203.0.113.77", "publickey");
    feed(vg, AT(0, 23, 0), "login_success", "bob", "198.51.100.1", "password");
    for (int i = 0; i < ncaught; i++)
        cr_assert_leq(severity_parse(caught[i].severity), SEV_INFO, "%s: %s", caught[i].rule,
                      caught[i].message);
    detectors_free(vg);
}

Test(auth, dormant_account)
{
    struct vigil *vg = start(24 * 3600 * 1000LL);
    learn_week(vg, "svc", "10.0.0.5", NULL);
    ncaught = 0;
    feed(vg, AT(70, 12, 0), "login_success", "svc", "192.0.2.9", "password");
    const struct caught *c = find_rule("auth.login");
    cr_assert_not_null(c);
    cr_assert(strstr(c->message, "first in 63 days"), "%s", c->message);
    cr_assert_geq(sev_of(c), SEV_MEDIUM, "%s", c->severity);
    detectors_free(vg);
}

Test(auth, root_login_over_ssh)
{
    struct vigil *vg = start(3600 * 1000LL);
    feed(vg, AT(0, 0, 0), "login_success", "alice", "10.0.0.5", "publickey");
    feed(vg, AT(1, 10, 0), "login_success", "root", "10.0.0.5", "publickey");
    const struct caught *c = find_rule("auth.root_ssh");
    cr_assert_eq(sev_of(c), SEV_MEDIUM, "first key login from this source");
    ncaught = 0;
    feed(vg, AT(1, 11, 0), "login_success", "root", "10.0.0.5", "publickey");
    cr_assert_eq(sev_of(find_rule("auth.root_ssh")), SEV_INFO, "usual source, key");
    feed(vg, AT(1, 12, 0), "login_success", "root", "203.0.113.5", "password");
    c = find_rule("auth.root_ssh");
    cr_assert_eq(sev_of(c), SEV_HIGH);
    cr_assert_str_eq(c->user, "root");
    detectors_free(vg);
}

static void sudo(struct vigil *vg, int64_t ts, const char *user, const char *cmd)
{
    feed_kv(vg, ts, "sudo", user, NULL, NULL,
            (const char *const[]){ "target_user", "root", "command", cmd, "service", "sudo",
                                   NULL }, 1);
}

Test(auth, sudo_first_and_new_commands)
{
    struct vigil *vg = start(3600 * 1000LL);
    sudo(vg, AT(0, 9, 0), "alice", "/usr/bin/systemctl restart nginx");
    cr_assert_eq(sev_of(find_rule("auth.sudo_first")), SEV_INFO, "learning");
    ncaught = 0;
    /* firsts are novelties: alone, observations at info */
    sudo(vg, AT(1, 9, 0), "bob", "/usr/bin/systemctl restart nginx");
    const struct caught *c = find_rule("auth.sudo_first");
    cr_assert_eq(sev_of(c), SEV_INFO);
    cr_assert(strstr(c->message, "[severity: novelty alone]"), "%s", c->message);
    cr_assert_str_eq(c->user, "bob");
    ncaught = 0;
    sudo(vg, AT(1, 9, 5), "bob", "/usr/bin/systemctl restart redis");
    cr_assert_eq(ncaught, 0, "same executable");
    sudo(vg, AT(1, 9, 6), "bob", "/usr/bin/apt upgrade");
    c = find_rule("auth.sudo_new_command");
    cr_assert_eq(sev_of(c), SEV_INFO);
    cr_assert(strstr(c->message, "usual: /usr/bin/systemctl"), "%s", c->message);
    /* after a critical login of bob's, a root shell is medium (proposed) */
    feed(vg, AT(1, 9, 6) + 30 * NS_PER_SEC, "login_success", "bob", "198.51.100.7", "password");
    struct alert e;
    memset(&e, 0, sizeof(e));
    e.ts = AT(1, 9, 7) - NS_PER_SEC;
    e.rule = "auth.login";
    e.detector = "auth";
    e.severity = SEV_CRITICAL;
    e.entity.user = SPAN_LIT("bob");
    alert_emit(vg, &e);
    sudo(vg, AT(1, 9, 7), "bob", "/bin/bash -i");
    c = find_rule("auth.sudo_new_command");
    cr_assert_eq(sev_of(c), SEV_MEDIUM, "%s", c->message);
    cr_assert(strstr(c->message, "auth.login critical"), "%s", c->message);
    detectors_free(vg);
}

Test(auth, sudo_failures)
{
    struct vigil *vg = start(0);
    feed_kv(vg, AT(1, 9, 0), "sudo_failure", "mallory", NULL, NULL,
            (const char *const[]){ "reason", "user NOT in sudoers", "command", "/bin/sh", NULL },
            1);
    cr_assert_not_null(find_rule("auth.not_in_sudoers"));
    cr_assert_null(find_rule("auth.sudo_failure"));
    feed_kv(vg, AT(1, 9, 1), "sudo_failure", "alice", NULL, NULL,
            (const char *const[]){ "reason", "3 incorrect password attempts", NULL }, 1);
    cr_assert_eq(sev_of(find_rule("auth.sudo_failure")), SEV_LOW);
    detectors_free(vg);
}

Test(auth, su_first_and_failure)
{
    struct vigil *vg = start(3600 * 1000LL);
    /* learning runs from the first auth record, whatever its action */
    feed(vg, AT(0, 0, 0), "login_success", "carol", "10.0.0.5", "publickey");
    feed_kv(vg, AT(1, 9, 0), "su", "alice", NULL, NULL,
            (const char *const[]){ "target_user", "root", NULL }, 1);
    cr_assert_eq(sev_of(find_rule("auth.su_first")), SEV_INFO, "a novelty alone");
    ncaught = 0;
    feed_kv(vg, AT(1, 10, 0), "su", "alice", NULL, NULL,
            (const char *const[]){ "target_user", "root", NULL }, 1);
    cr_assert_eq(ncaught, 0);
    feed_kv(vg, AT(1, 10, 5), "su_failure", "bob", NULL, NULL,
            (const char *const[]){ "target_user", "root", NULL }, 1);
    cr_assert_eq(sev_of(find_rule("auth.su_failure")), SEV_MEDIUM);
    detectors_free(vg);
}

Test(auth, account_changes)
{
    struct vigil *vg = start(0);
    feed_kv(vg, AT(1, 9, 0), "user_add", "backup2", NULL, NULL,
            (const char *const[]){ "uid", "1005", NULL }, 1);
    cr_assert_eq(sev_of(find_rule("auth.account_created")), SEV_MEDIUM);
    feed_kv(vg, AT(1, 9, 1), "user_add", "toor", NULL, NULL,
            (const char *const[]){ "uid", "0", NULL }, 1);
    cr_assert_eq(sev_of(find_rule("auth.account_created")), SEV_CRITICAL);
    feed(vg, AT(1, 9, 2), "user_del", "olduser", NULL, NULL);
    cr_assert_not_null(find_rule("auth.account_deleted"));
    feed_kv(vg, AT(1, 9, 3), "group_member_add", "backup2", NULL, NULL,
            (const char *const[]){ "group", "audio", NULL }, 1);
    cr_assert_null(find_rule("auth.privileged_group_add"));
    feed_kv(vg, AT(1, 9, 4), "group_member_add", "backup2", NULL, NULL,
            (const char *const[]){ "group", "docker", NULL }, 1);
    const struct caught *c = find_rule("auth.privileged_group_add");
    cr_assert_eq(sev_of(c), SEV_HIGH);
    cr_assert_str_eq(c->user, "backup2");
    detectors_free(vg);
}

Test(auth, flood_of_sources_stays_under_the_cap)
{
    struct vigil *vg = test_vigil(0);
    test_conf.detectors.memory_max = 8ull << 20;
    cr_assert_eq(detectors_init(vg), 0);
    learn_week(vg, "alice", "10.0.0.5", NULL);
    char src[32];
    for (uint32_t i = 0; i < 200000; i++) {
        snprintf(src, sizeof(src), "100.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        feed(vg, AT(8, 0, 0) + i * 1000000LL, "invalid_user", "admin", src, NULL);
    }
    cr_assert_leq(vg->budget->used, vg->budget->cap);
    cr_assert_gt(vg->budget->evictions, 0);
    /* alice's baseline lives in another table: untouched by the flood */
    ncaught = 0;
    feed(vg, AT(8, 9, 0), "login_success", "alice", "10.0.0.5", "publickey");
    cr_assert_null(find_rule("auth.login"));
    detectors_free(vg);
}

static void snap_dir(char *dir, size_t cap)
{
    snprintf(dir, cap, "/tmp/vigil-auth-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

Test(auth, snapshot_round_trip)
{
    char dir[64], path[128];
    snap_dir(dir, sizeof(dir));
    struct vigil *vg = start(24 * 3600 * 1000LL);
    test_conf.service.state_dir = dir;
    learn_week(vg, "alice", "10.0.0.5", NULL);
    uint64_t seed = vg->budget->seed;
    cr_assert_eq(detectors_save(vg), 0);
    detectors_free(vg);
    snprintf(path, sizeof(path), "%s/baselines/auth.snap", dir);
    cr_assert_eq(access(path, F_OK), 0);

    vg = start(24 * 3600 * 1000LL);
    test_conf.service.state_dir = dir;
    detectors_load(vg);
    cr_assert_eq(vg->budget->seed, seed, "the seed comes back with the baselines");
    ncaught = 0;
    feed(vg, AT(8, 9, 0), "login_success", "alice", "10.0.0.5", "publickey");
    cr_assert_eq(ncaught, 0, "alice and her source are remembered");
    feed(vg, AT(8, 3, 0), "login_success", "alice", "10.0.0.5", "publickey");
    cr_assert_not_null(find_rule("auth.login"), "and her hours");
    detectors_free(vg);
    unlink(path);
    snprintf(path, sizeof(path), "%s/baselines", dir);
    rmdir(path);
    rmdir(dir);
}

/* Snapshots of core version 1 hold SipHash-1-3 hashes (the usual sources of
 * a user are kept by hash): they load, and the install keeps that hash. */
Test(auth, siphash_snapshot_keeps_its_hash)
{
    char dir[64], path[128];
    snap_dir(dir, sizeof(dir));
    struct vigil *vg = start(24 * 3600 * 1000LL);
    test_conf.service.state_dir = dir;
    vg->budget->sip = true;
    learn_week(vg, "alice", "10.0.0.5", NULL);
    cr_assert_eq(detectors_save(vg), 0);
    detectors_free(vg);
    snprintf(path, sizeof(path), "%s/baselines/auth.snap", dir);
    FILE *f = fopen(path, "rb");
    uint32_t core = 0;
    cr_assert_not_null(f);
    cr_assert_eq(fseek(f, 8, SEEK_SET), 0);
    cr_assert_eq(fread(&core, sizeof(core), 1, f), 1);
    fclose(f);
    cr_assert_eq(core, 1, "written in the version of its hash");

    vg = start(24 * 3600 * 1000LL);
    test_conf.service.state_dir = dir;
    cr_assert_not(vg->budget->sip, "a fresh start uses the multiply-mix hash");
    detectors_load(vg);
    cr_assert(vg->budget->sip, "the snapshot's hash is adopted");
    ncaught = 0;
    feed(vg, AT(8, 9, 0), "login_success", "alice", "10.0.0.5", "publickey");
    cr_assert_eq(ncaught, 0, "alice's usual source is found under the old hash");
    detectors_free(vg);
    unlink(path);
    snprintf(path, sizeof(path), "%s/baselines", dir);
    rmdir(path);
    rmdir(dir);
}

Test(auth, corrupt_snapshot_is_set_aside)
{
    char dir[64], path[128], bad[160];
    snap_dir(dir, sizeof(dir));
    struct vigil *vg = start(24 * 3600 * 1000LL);
    test_conf.service.state_dir = dir;
    learn_week(vg, "alice", "10.0.0.5", NULL);
    cr_assert_eq(detectors_save(vg), 0);
    detectors_free(vg);
    snprintf(path, sizeof(path), "%s/baselines/auth.snap", dir);
    FILE *f = fopen(path, "r+b");
    fseek(f, 200, SEEK_SET);
    fputc(0x5a, f);
    fputc(0xa5, f);
    fclose(f);

    vg = start(24 * 3600 * 1000LL);
    test_conf.service.state_dir = dir;
    detectors_load(vg);
    snprintf(bad, sizeof(bad), "%s.corrupt", path);
    cr_assert_eq(access(bad, F_OK), 0);
    cr_assert_neq(access(path, F_OK), 0);
    cr_assert_eq(vg->ndetectors, 1);
    cr_assert(vg->detectors[0]->enabled, "the detector runs, fresh");
    ncaught = 0;
    feed(vg, AT(8, 9, 0), "login_success", "alice", "10.0.0.5", "publickey");
    feed(vg, AT(8, 9, 5), "login_success", "alice", "10.0.0.5", "publickey");
    cr_assert_eq(bl_table_count(auth_of(vg->detectors[0])->users), 1);
    detectors_free(vg);
    unlink(bad);
    snprintf(path, sizeof(path), "%s/baselines", dir);
    rmdir(path);
    rmdir(dir);
}

/* useradd and usermod log the account (target_user) but no actor: the change
 * is tied to the root session that made it and to that session's login. */
Test(auth, account_change_by_an_intruder_carries_his_source)
{
    struct vigil *vg = start(24 * 3600 * 1000LL);
    learn_week(vg, "ops-admin", "10.0.0.5", "10.8.0.2");
    ncaught = 0;
    for (int i = 0; i < 6; i++)
        feed(vg, AT(8, 3, 4 + i / 2), "login_failure", "ops-admin", "198.51.100.7", "password");
    feed(vg, AT(8, 3, 10), "login_success", "ops-admin", "198.51.100.7", "password");
    cr_assert_geq(sev_of(find_rule("auth.login")), SEV_HIGH);
    feed_kv(vg, AT(8, 3, 13), "sudo", "ops-admin", NULL, NULL,
            (const char *const[]){ "target_user", "root", "command", "/bin/bash", "tty", "pts/3",
                                   NULL },
            1);
    feed_kv(vg, AT(8, 3, 16), "user_add", NULL, NULL, NULL,
            (const char *const[]){ "target_user", "svc-backup", "uid", "1005", NULL }, 1);
    const struct caught *c = find_rule("auth.account_created");
    cr_assert_not_null(c, "an account created with only target_user set must alert");
    cr_assert_eq(sev_of(c), SEV_HIGH);
    cr_assert_str_eq(c->user, "svc-backup");
    cr_assert_str_eq(c->src_ip, "198.51.100.7");
    cr_assert(strstr(c->message, "by ops-admin (session from 198.51.100.7, a suspicious login)"),
              "%s", c->message);
    feed_kv(vg, AT(8, 3, 17), "group_member_add", NULL, NULL, NULL,
            (const char *const[]){ "target_user", "svc-backup", "group", "sudo", NULL }, 1);
    c = find_rule("auth.privileged_group_add");
    cr_assert_not_null(c);
    cr_assert_eq(sev_of(c), SEV_CRITICAL);
    cr_assert_str_eq(c->src_ip, "198.51.100.7");
    detectors_free(vg);
}

Test(auth, account_change_without_a_root_session_stays_plain)
{
    struct vigil *vg = start(24 * 3600 * 1000LL);
    learn_week(vg, "ops-admin", "10.0.0.5", NULL);
    feed_kv(vg, AT(7, 10, 0), "sudo", "ops-admin", NULL, NULL,
            (const char *const[]){ "target_user", "root", "command", "/usr/bin/apt-get update",
                                   NULL },
            1);
    ncaught = 0;
    /* two hours after the last root session: nobody to blame */
    feed_kv(vg, AT(7, 12, 0), "user_add", NULL, NULL, NULL,
            (const char *const[]){ "target_user", "backup2", "uid", "1006", NULL }, 1);
    const struct caught *c = find_rule("auth.account_created");
    cr_assert_not_null(c);
    cr_assert_eq(sev_of(c), SEV_MEDIUM);
    cr_assert_str_eq(c->src_ip, "");
    feed_kv(vg, AT(7, 12, 1), "group_member_add", NULL, NULL, NULL,
            (const char *const[]){ "target_user", "backup2", "group", "audio", NULL }, 1);
    cr_assert_null(find_rule("auth.privileged_group_add"));
    detectors_free(vg);
}

Test(auth, an_endless_botnet_is_reported_when_it_starts_grows_and_daily)
{
    struct vigil *vg = start(0);
    char ip[32];
    /* a new source guessing "admin" every minute for two days */
    for (int m = 0; m < 2 * 24 * 60; m++) {
        snprintf(ip, sizeof(ip), "198.18.%d.%d", (m / 250) % 250, m % 250 + 1);
        feed(vg, AT(1, 0, 0) + (int64_t)m * 60 * NS_PER_SEC, "invalid_user", "admin", ip, NULL);
    }
    unsigned n = count_rule("auth.distributed");
    cr_assert_geq(n, 2, "the start and the growth are reported");
    cr_assert_leq(n, 6, "not once per failure or per throttle window: %u", n);
    const struct caught *c = find_rule("auth.distributed");
    cr_assert_eq(sev_of(c), SEV_INFO, "a name that never logged in here is internet noise");
    detectors_free(vg);
}

/* Real lines through the auth parser (one state, as one file) into the detector. */
static char line_arena[1 << 16];
static struct record line_rec;
static void feed_line(struct vigil *vg, void *state, const char *line)
{
    struct parser p = { .plugin = &parser_auth };
    record_init(&line_rec, line_arena, sizeof(line_arena));
    line_rec.raw = span_cstr(line);
    line_rec.read_ts = line_rec.ts = T0;
    line_rec.host = SPAN_LIT("web-1");
    parser_auth.parse(&p, state, &line_rec, line_rec.raw);
    detectors_observe(vg, &line_rec);
}

Test(auth, one_attempt_counts_once_whatever_sshd_and_pam_write)
{
    struct vigil *vg = start(0);
    void *st = calloc(1, parser_auth.state_size);
    char line[512];
    /* 3 attempts of one connection, each written by PAM and by sshd, then
     * sshd's and PAM's summaries: 3 failures, not 8 */
    for (int i = 0; i < 3; i++) {
        snprintf(line, sizeof(line), "Nov 26 10:00:%02d web-1 sshd[300]: pam_unix(sshd:auth): "
                 "authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  "
                 "user=carol", 10 + 3 * i);
        feed_line(vg, st, line);
        snprintf(line, sizeof(line), "Nov 26 10:00:%02d web-1 sshd[300]: Failed password for "
                 "carol from 203.0.113.9 port 4000 ssh2", 12 + 3 * i);
        feed_line(vg, st, line);
    }
    feed_line(vg, st, "Nov 26 10:00:20 web-1 sshd[300]: Disconnecting authenticating user carol "
                      "203.0.113.9 port 4000: Too many authentication failures [preauth]");
    feed_line(vg, st, "Nov 26 10:00:20 web-1 sshd[300]: PAM 2 more authentication failures; "
                      "logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=carol");
    feed_line(vg, st, "Nov 26 10:00:30 web-1 sshd[301]: Accepted password for carol from "
                      "203.0.113.9 port 4001 ssh2");
    const struct caught *c = find_rule("auth.success_after_failures");
    cr_assert_null(c, "3 failures are below the threshold of 5: %s", c ? c->message : "");
    free(st);
    detectors_free(vg);
}

Test(auth, one_episode_at_most_three_lines)
{
    struct vigil *vg = start(0);
    /* a bot guessing for 50 minutes, 4 tries a minute: one episode */
    for (int m = 0; m < 50; m++)
        for (int k = 0; k < 4; k++)
            feed(vg, AT(1, 2, m) + k * 10 * NS_PER_SEC, "login_failure", k % 2 ? "admin" : "test",
                 "203.0.113.77", "password");
    cr_assert_eq(count_rule("auth.bruteforce"), 2, "start and the x10 update");
    detectors_tick(vg, AT(1, 2, 55));
    cr_assert_eq(count_rule("auth.bruteforce"), 2, "not over yet");
    detectors_tick(vg, AT(1, 3, 10));
    cr_assert_eq(count_rule("auth.bruteforce"), 2, "spraying would count its names for an hour");
    detectors_tick(vg, AT(1, 3, 55));
    cr_assert_eq(count_rule("auth.bruteforce"), 3, "and a summary when it ended");
    const struct caught *c = find_rule("auth.bruteforce");
    cr_assert(strstr(c->message, "ended: 200 failed logins"), "%s", c->message);
    cr_assert_leq(count_rule("auth.spray"), 3);
    for (int i = 0; i < ncaught; i++)
        cr_assert_leq(severity_parse(caught[i].severity), SEV_LOW, "%s %s: %s", caught[i].rule,
                      caught[i].severity, caught[i].message);
    /* a new burst later is a new episode */
    for (int k = 0; k < 8; k++)
        feed(vg, AT(1, 6, k), "login_failure", "oracle", "203.0.113.77", "password");
    cr_assert_eq(count_rule("auth.bruteforce"), 4);
    detectors_free(vg);
}

Test(auth, one_source_brute_force_and_spray_are_one_burst_of_three_lines)
{
    struct vigil *vg = start(0);
    feed(vg, AT(1, 1, 0), "login_success", "deploy", "10.0.0.5", "publickey");
    /* a bot tries 12 names, 4 each, in two minutes, then more names after a
     * quiet quarter: brute force and spraying from one source, one burst */
    const char *names[] = { "admin", "test", "oracle", "ubuntu", "pi", "git", "user", "guest",
                            "ftp", "postgres", "mysql", "deploy" };
    for (int i = 0; i < 48; i++)
        feed(vg, AT(1, 2, 0) + i * 2 * NS_PER_SEC, "login_failure", names[i / 4],
             "203.0.113.78", "password");
    detectors_tick(vg, AT(1, 2, 15));
    for (int i = 0; i < 8; i++)
        feed(vg, AT(1, 2, 25) + i * NS_PER_SEC, "invalid_user", names[i], "203.0.113.78", NULL);
    detectors_tick(vg, AT(1, 5, 0));
    unsigned n = count_rule("auth.bruteforce") + count_rule("auth.spray") + count_rule("auth.scan");
    cr_assert_geq(n, 2, "both patterns are reported");
    cr_assert_leq(n, 3, "one burst, three lines at most: %u", n);
    bool medium = false;
    for (int i = 0; i < ncaught; i++)
        medium |= severity_parse(caught[i].severity) >= SEV_MEDIUM;
    cr_assert(medium, "it reached deploy, an account that logs in here");
    detectors_free(vg);
}

Test(auth, a_burst_keeps_its_lines_for_what_raises_its_severity)
{
    struct vigil *vg = start(0);
    feed(vg, AT(1, 1, 0), "login_success", "alice", "10.0.0.5", "publickey");
    feed(vg, AT(1, 1, 1), "login_success", "bob", "10.0.0.6", "publickey");
    /* a scanner probes for a quarter, then guesses bot names, then real ones */
    for (int i = 0; i < 15; i++)
        feed_kv(vg, AT(1, 2, i), "scan", NULL, "203.0.113.79", NULL,
                (const char *const[]){ "reason", "kex_exchange_identification", NULL }, 1);
    detectors_tick(vg, AT(1, 2, 40));
    const char *names[] = { "admin", "test", "oracle", "ubuntu", "pi", "git", "user", "guest" };
    for (int i = 0; i < 8; i++)
        feed(vg, AT(1, 2, 45) + i * NS_PER_SEC, "invalid_user", names[i], "203.0.113.79", NULL);
    for (int i = 0; i < 40; i++)
        feed(vg, AT(1, 2, 46) + i * NS_PER_SEC, "login_failure", i % 2 ? "alice" : "bob",
             "203.0.113.79", "password");
    detectors_tick(vg, AT(1, 5, 0));
    unsigned n = count_rule("auth.bruteforce") + count_rule("auth.spray") + count_rule("auth.scan");
    cr_assert_leq(n, 3, "one burst, three lines at most: %u", n);
    bool high = false;
    for (int i = 0; i < ncaught; i++)
        high |= severity_parse(caught[i].severity) >= SEV_HIGH;
    cr_assert(high, "the turn to two real accounts is reported");
    detectors_free(vg);
}

Test(auth, ipv6_sources_count_by_64)
{
    struct vigil *vg = start(0);
    char src[64];
    for (int i = 0; i < 8; i++) {
        snprintf(src, sizeof(src), "2001:db8:1:2::%x", i + 1);
        feed(vg, AT(1, 2, i), "login_failure", "root", src, "password");
    }
    const struct caught *c = find_rule("auth.bruteforce");
    cr_assert_not_null(c, "8 addresses of one /64 are one source");
    cr_assert_str_eq(c->src_ip, "2001:db8:1:2::/64");
    detectors_free(vg);
}

Test(auth, spray_high_only_for_real_accounts)
{
    struct vigil *vg = start(0);
    const char *bots[] = { "admin", "test", "oracle", "ubuntu", "pi", "git", "user", "guest",
                           "ftp", "postgres", "mysql" };
    for (int i = 0; i < 11; i++)
        feed(vg, AT(1, 2, i), "invalid_user", bots[i], "198.51.100.20", NULL);
    const struct caught *c = find_rule("auth.spray");
    cr_assert_not_null(c);
    cr_assert_eq(sev_of(c), SEV_LOW, "commodity guessing: %s", c->message);
    feed(vg, AT(1, 3, 0), "login_success", "alice", "10.0.0.5", "publickey");
    feed(vg, AT(1, 3, 1), "login_success", "bob", "10.0.0.6", "publickey");
    const char *users[] = { "alice", "bob", "admin", "test", "oracle" };
    for (int i = 0; i < 5; i++)
        feed(vg, AT(1, 4, i), "login_failure", users[i], "198.51.100.21", "password");
    c = find_rule("auth.spray");
    cr_assert_str_eq(c->src_ip, "198.51.100.21");
    cr_assert_eq(sev_of(c), SEV_HIGH, "two real accounts targeted: %s", c->message);
    detectors_free(vg);
}

Test(auth, success_after_failures_needs_the_same_source_or_network)
{
    struct vigil *vg = start(0);
    char src[32];
    /* bots guess "deploy" from all over the internet */
    for (int i = 0; i < 12; i++) {
        snprintf(src, sizeof(src), "203.0.%d.9", 100 + i);
        feed(vg, AT(1, 9, i), "login_failure", "deploy", src, "password");
    }
    feed(vg, AT(1, 9, 20), "login_success", "deploy", "10.1.2.3", "publickey");
    cr_assert_null(find_rule("auth.success_after_failures"),
                   "failures from elsewhere say nothing about this login");
    /* failures from the same /24, then a success */
    for (int i = 0; i < 6; i++) {
        snprintf(src, sizeof(src), "192.0.2.%d", 10 + i);
        feed(vg, AT(1, 10, i), "login_failure", "deploy", src, "password");
    }
    feed(vg, AT(1, 10, 9), "login_success", "deploy", "192.0.2.99", "password");
    const struct caught *c = find_rule("auth.success_after_failures");
    cr_assert_not_null(c);
    cr_assert_eq(sev_of(c), SEV_MEDIUM);
    detectors_free(vg);
}

Test(auth, scan_is_one_low_alert_per_episode)
{
    struct vigil *vg = start(0);
    void *st = calloc(1, parser_auth.state_size);
    char line[256];
    /* two broken banners: below the threshold */
    for (int i = 0; i < 2; i++) {
        snprintf(line, sizeof(line), "Nov 26 10:01:%02d web-1 sshd[%d]: banner exchange: "
                 "Connection from 198.51.100.50 port %d: invalid format", i, 500 + i, 4000 + i);
        feed_line(vg, st, line);
    }
    cr_assert_eq(count_rule("auth.scan"), 0);
    /* a third, then many knocks: one alert */
    for (int i = 2; i < 40; i++) {
        snprintf(line, sizeof(line), i == 2 ? "Nov 26 10:01:%02d web-1 sshd[%d]: Bad protocol "
                 "version identification 'GET / HTTP/1.1' from 198.51.100.50 port %d"
                 : "Nov 26 10:01:%02d web-1 sshd[%d]: Connection closed by 198.51.100.50 port "
                   "%d [preauth]", i, 500 + i, 4000 + i);
        feed_line(vg, st, line);
    }
    cr_assert_eq(count_rule("auth.scan"), 1);
    const struct caught *c = find_rule("auth.scan");
    cr_assert_eq(sev_of(c), SEV_LOW);
    cr_assert_str_eq(c->src_ip, "198.51.100.50");
    cr_assert_eq(count_rule("auth.bruteforce"), 0);
    detectors_tick(vg, T0 + 3600 * NS_PER_SEC);
    cr_assert_eq(count_rule("auth.scan"), 2, "and its summary");
    free(st);
    detectors_free(vg);
}

/* Failures logged before sshd names the address count against the address
 * when a later line of the connection names it (failures: N). */
Test(auth, failures_carried_to_the_address)
{
    struct vigil *vg = start(0);
    void *st = calloc(1, parser_auth.state_size);
    char line[256];
    for (int i = 0; i < 8; i++) {
        snprintf(line, sizeof(line), "Nov 26 10:0%d:00 web-1 sshd[%d]: User root not allowed "
                 "because account is locked", i, 700 + i);
        feed_line(vg, st, line);
        snprintf(line, sizeof(line), "Nov 26 10:0%d:01 web-1 sshd[%d]: input_userauth_request: "
                 "invalid user root [preauth]", i, 700 + i);
        feed_line(vg, st, line);
        cr_assert_eq(count_rule("auth.bruteforce"), 0, "no address yet");
        snprintf(line, sizeof(line), "Nov 26 10:0%d:02 web-1 sshd[%d]: Received disconnect from "
                 "198.51.100.60 port %d:11: Bye Bye [preauth]", i, 700 + i, 5000 + i);
        feed_line(vg, st, line);
    }
    const struct caught *c = find_rule("auth.bruteforce");
    cr_assert_not_null(c, "8 failures carried to 198.51.100.60");
    cr_assert_str_eq(c->src_ip, "198.51.100.60");
    cr_assert(strstr(c->message, "8 failed logins"), "%s", c->message);
    cr_assert_eq(count_rule("auth.scan"), 0, "connections that tried are not a scan");
    free(st);
    detectors_free(vg);
}

/* 20 admins log in from their usual networks for two weeks; then, under a
 * small memory_max, a million bot addresses fail to log in, and one line in
 * ten is a one-off login (a deploy account from an ephemeral cloud address)
 * whose keys land in the same tables as the admins' usual networks. The
 * one-off keys are refused admission instead of evicting the admins' keys:
 * afterwards no admin's usual network looks new, a new network still does,
 * and memory stayed under the cap. */
Test(auth, bot_flood_does_not_evict_usual_networks, .timeout = 120)
{
    struct vigil *vg = test_vigil(0);
    test_conf.detectors.memory_max = 2ull << 20;
    cr_assert_eq(detectors_init(vg), 0);
    char user[32], src[32];
    for (int day = 0; day < 14; day++)
        for (int u = 0; u < 20; u++)
            for (int k = 0; k < 4; k++) {
                snprintf(user, sizeof(user), "admin%02d", u);
                snprintf(src, sizeof(src), "10.%d.0.%d", u, 5 + k % 2);
                feed(vg, AT(day, 9, u * 2 + k), "login_success", user, src, "publickey");
            }
    uint64_t peak = 0;
    for (uint32_t i = 0; i < 1000000; i++) {
        uint32_t ip = 0x0b000000u + i * 7u;
        snprintf(src, sizeof(src), "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255,
                 ip & 255);
        int64_t ts = AT(15, 0, 0) + (int64_t)i * 100000000LL;   /* 10 lines a second */
        if (i % 10 == 9)
            feed(vg, ts, "login_success", "deploy", src, "publickey");
        else
            feed(vg, ts, "login_failure", "admin", src, "password");
        if (vg->budget->used > peak)
            peak = vg->budget->used;
    }
    cr_assert_leq(peak, vg->budget->cap, "memory stays under detectors.memory_max");
    cr_assert_gt(vg->budget->refused, 0, "one-off keys were refused");
    ncaught = 0;
    int64_t after = AT(16, 9, 30);
    for (int u = 0; u < 20; u++) {
        snprintf(user, sizeof(user), "admin%02d", u);
        snprintf(src, sizeof(src), "10.%d.0.5", u);
        feed(vg, after + u * NS_PER_SEC, "login_success", user, src, "publickey");
        cr_assert_eq(count_rule("auth.login"), 0, "%s from its usual %s raised: %s", user, src,
                     ncaught ? caught[ncaught - 1].message : "");
    }
    feed(vg, after + MIN, "login_success", "admin03", "172.16.9.9", "publickey");
    const struct caught *c = find_rule("auth.login");
    cr_assert_not_null(c, "a login from a new network still raises auth.login");
    cr_assert(strstr(c->message, "new network"), "%s", c->message);
    detectors_free(vg);
}

/* A source's first failure waits in a small table until the source comes
 * back; whatever comes next (a failure, a scan) takes it along, so the
 * count is the same as if every failure had its full entry. */
Test(auth, first_failure_counts_after_a_scan)
{
    struct vigil *vg = start(0);
    feed(vg, AT(1, 2, 0), "login_failure", "root", "203.0.113.9", "password");
    feed(vg, AT(1, 2, 1), "scan", NULL, "203.0.113.9", NULL);
    for (int i = 2; i < 8; i++)
        feed(vg, AT(1, 2, i), "login_failure", "root", "203.0.113.9", "password");
    cr_assert_eq(count_rule("auth.bruteforce"), 0, "7 failures are not a brute force");
    feed(vg, AT(1, 2, 8), "login_failure", "root", "203.0.113.9", "password");
    const struct caught *c = find_rule("auth.bruteforce");
    cr_assert_not_null(c, "the first failure, before the scan, counts");
    cr_assert(strstr(c->message, "8 failed logins from 203.0.113.9"), "%s", c->message);
    detectors_free(vg);
}
