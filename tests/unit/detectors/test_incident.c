/* test_incident.c - alerts of one intruder across stages become one incident
 * that grows; fewer stages, other entities or a stale window do not chain. */
#include "tests/unit/detectors/harness.h"

extern const struct detector_plugin detector_incident;

#define MIN (60 * NS_PER_SEC)

Test(incident, three_stages_make_one_incident_that_extends)
{
    struct th t;
    th_init(&t, &detector_incident);
    int64_t t0 = TH_T0;
    th_emit(&t, t0, "auth.suspicious_login", SEV_HIGH, STAGE_INITIAL_ACCESS, "deploy", "203.0.113.9");
    th_emit(&t, t0 + 2 * MIN, "shell.recon_burst", SEV_MEDIUM, STAGE_DISCOVERY, "deploy", "");
    cr_expect_eq(th_count(&t, "incident.chain"), 0, "2 stages -> nothing");
    th_emit(&t, t0 + 5 * MIN, "shell.recon_burst", SEV_MEDIUM, STAGE_DISCOVERY, "deploy", "");
    cr_expect_eq(th_count(&t, "incident.chain"), 0, "same stage again -> nothing");
    th_emit(&t, t0 + 9 * MIN, "shell.cred_aws", SEV_HIGH, STAGE_CREDENTIAL_ACCESS, "deploy", "");
    cr_assert_eq(th_count(&t, "incident.chain"), 1);
    const struct th_alert *i = th_find(&t, "incident.chain");
    cr_expect_eq(i->severity, SEV_CRITICAL);
    cr_expect_str_eq(i->user, "deploy");
    const char *m = i->message;
    const char *p1 = strstr(m, "initial-access: auth.suspicious_login at 16:00");
    const char *p2 = strstr(m, "discovery: shell.recon_burst at 16:02 (+1)");
    const char *p3 = strstr(m, "credential-access: shell.cred_aws at 16:09");
    cr_expect(p1 && p2 && p3 && p1 < p2 && p2 < p3, "chain in time order: %s", m);
    cr_expect(strstr(m, "from 203.0.113.9"), "%s", m);

    /* A new stage re-raises the same incident, extended; a repeat does not. */
    th_emit(&t, t0 + 20 * MIN, "shell.cred_ssh_key", SEV_HIGH, STAGE_CREDENTIAL_ACCESS, "deploy", "");
    cr_expect_eq(th_count(&t, "incident.chain"), 1);
    /* An alert naming only the IP joins the same chain. */
    th_emit(&t, t0 + 30 * MIN, "egress.exfil", SEV_HIGH, STAGE_EXFILTRATION, "", "203.0.113.9");
    cr_assert_eq(th_count(&t, "incident.chain"), 2);
    const struct th_alert *j = th_find(&t, "incident.chain");
    cr_expect(strstr(j->message, "incident #1"), "same incident: %s", j->message);
    cr_expect(strstr(j->message, "4 stages"), "%s", j->message);
    cr_expect(strstr(j->message, "exfiltration: egress.exfil at 16:30"), "%s", j->message);
    th_fini(&t);
}

Test(incident, different_users_and_stale_alerts_do_not_chain)
{
    struct th t;
    th_init(&t, &detector_incident);
    th_emit(&t, TH_T0, "auth.suspicious_login", SEV_HIGH, STAGE_INITIAL_ACCESS, "alice", "10.0.0.5");
    th_emit(&t, TH_T0 + MIN, "shell.recon_burst", SEV_MEDIUM, STAGE_DISCOVERY, "bob", "");
    th_emit(&t, TH_T0 + 2 * MIN, "shell.cred_aws", SEV_HIGH, STAGE_CREDENTIAL_ACCESS, "carol", "");
    cr_expect_eq(th_count(&t, "incident.chain"), 0);
    /* alice again, but 7 hours later: the window (6h) has moved on. */
    th_emit(&t, TH_T0 + 7 * 60 * MIN, "shell.recon_burst", SEV_MEDIUM, STAGE_DISCOVERY, "alice", "");
    th_emit(&t, TH_T0 + 7 * 60 * MIN + MIN, "shell.history_clear", SEV_HIGH, STAGE_DEFENSE_EVASION, "alice", "");
    cr_expect_eq(th_count(&t, "incident.chain"), 0);
    /* info alerts never chain. */
    th_emit(&t, TH_T0 + 7 * 60 * MIN + 2 * MIN, "app.new_template", SEV_INFO, STAGE_EXECUTION, "alice", "");
    cr_expect_eq(th_count(&t, "incident.chain"), 0);
    th_fini(&t);
}

Test(incident, bounded_chains)
{
    struct th t;
    th_init(&t, &detector_incident);
    char user[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(user, sizeof(user), "u%d", i);
        th_emit(&t, TH_T0 + i * NS_PER_SEC, "shell.recon_burst", SEV_MEDIUM, STAGE_DISCOVERY, user, "");
    }
    th_clear(&t);
    th_emit(&t, TH_T0 + 6000 * NS_PER_SEC, "x.a", SEV_HIGH, STAGE_EXECUTION, "u4999", "");
    th_emit(&t, TH_T0 + 6001 * NS_PER_SEC, "x.b", SEV_HIGH, STAGE_PERSISTENCE, "u4999", "");
    cr_expect_eq(th_count(&t, "incident.chain"), 1, "recent chains survive eviction");
    th_fini(&t);
}

/* Three benign rarities of one user (a login from a new office, a first API
 * call, a first command) are three stages but no attack: an incident needs
 * one alert of at least min_peak (medium). */
Test(incident, three_low_rarities_are_not_an_incident)
{
    struct th t;
    th_init(&t, &detector_incident);
    th_emit(&t, TH_T0, "auth.login", SEV_LOW, STAGE_INITIAL_ACCESS, "alice", "10.0.0.5");
    th_emit(&t, TH_T0 + 60 * MIN, "audit.new_action", SEV_LOW, STAGE_DISCOVERY, "alice", "10.0.0.5");
    th_emit(&t, TH_T0 + 120 * MIN, "shell.rare_command", SEV_LOW, STAGE_EXECUTION, "alice", "");
    cr_expect_eq(th_count(&t, "incident.chain"), 0);
    /* the chain is kept: a medium alert of a stage already there makes it one */
    th_emit(&t, TH_T0 + 130 * MIN, "shell.recon_burst", SEV_MEDIUM, STAGE_DISCOVERY, "alice", "");
    cr_assert_eq(th_count(&t, "incident.chain"), 1);
    cr_expect(strstr(th_find(&t, "incident.chain")->message, "3 stages"), "%s",
              th_find(&t, "incident.chain")->message);
    th_fini(&t);
}

/* --once reads one file after the other: an alert from days before the chain
 * must not join it, even though it arrives after. */
Test(incident, an_old_alert_arriving_late_does_not_join)
{
    struct th t;
    th_init(&t, &detector_incident);
    int64_t night = TH_T0 + 6 * 24 * 60 * MIN;
    th_emit(&t, night, "auth.login", SEV_CRITICAL, STAGE_INITIAL_ACCESS, "ops-admin", "198.51.100.7");
    th_emit(&t, night + MIN, "auth.sudo_new_command", SEV_MEDIUM, STAGE_PRIVILEGE_ESCALATION, "ops-admin", "");
    th_emit(&t, TH_T0, "audit.new_action", SEV_LOW, STAGE_DISCOVERY, "ops-admin", "10.0.0.5");
    cr_expect_eq(th_count(&t, "incident.chain"), 0, "a week-old alert is not a third stage");
    th_emit(&t, night + 2 * MIN, "shell.persist_cron", SEV_MEDIUM, STAGE_PERSISTENCE, "ops-admin", "");
    cr_assert_eq(th_count(&t, "incident.chain"), 1);
    cr_expect(!strstr(th_find(&t, "incident.chain")->message, "discovery"), "%s",
              th_find(&t, "incident.chain")->message);
    th_fini(&t);
}

/* Host-only alerts (egress, no user) carry no evidence about a person: the
 * C2 at 04:04, bob's lateral move at 09:38 and his login at 13:41 are not an
 * attack chain of bob's, whatever order they arrive in. */
Test(incident, host_only_alerts_are_not_stages_of_a_person)
{
    int64_t day = TH_T0 - 16 * 60 * MIN;    /* 00:00 */
    int64_t c2 = day + 4 * 60 * MIN + 4 * MIN, lat = day + 9 * 60 * MIN + 38 * MIN,
            login = day + 13 * 60 * MIN + 41 * MIN;
    for (int order = 0; order < 2; order++) {
        struct th t;
        th_init(&t, &detector_incident);
        if (order == 0) {
            th_emit(&t, c2, "egress.lookalike", SEV_HIGH, STAGE_COMMAND_AND_CONTROL, "", "");
            th_emit(&t, lat, "shell.lateral_new_host", SEV_MEDIUM, STAGE_LATERAL_MOVEMENT, "bob", "");
            th_emit(&t, login, "auth.login", SEV_MEDIUM, STAGE_INITIAL_ACCESS, "bob", "10.9.0.3");
        } else {
            th_emit(&t, login, "auth.login", SEV_MEDIUM, STAGE_INITIAL_ACCESS, "bob", "10.9.0.3");
            th_emit(&t, c2, "egress.lookalike", SEV_HIGH, STAGE_COMMAND_AND_CONTROL, "", "");
            th_emit(&t, lat, "shell.lateral_new_host", SEV_MEDIUM, STAGE_LATERAL_MOVEMENT, "bob", "");
        }
        cr_expect_eq(th_count(&t, "incident.chain"), 0, "order %d: no chain for bob", order);
        /* more egress in bob's minutes still is no stage of his, and three
         * host-only stages are context, not an incident of the host */
        th_emit(&t, login + MIN, "egress.exfil", SEV_HIGH, STAGE_EXFILTRATION, "", "");
        th_emit(&t, login + 2 * MIN, "app.new_template", SEV_LOW, STAGE_INITIAL_ACCESS, "", "");
        cr_expect_eq(th_count(&t, "incident.chain"), 0, "order %d: egress joins no person", order);
        th_fini(&t);
    }
}

/* A person's incident quotes the host's alerts of its minutes as context,
 * after its own stages, and never counts them. */
Test(incident, host_alerts_are_quoted_as_context)
{
    struct th t;
    th_init(&t, &detector_incident);
    th_emit(&t, TH_T0, "auth.login", SEV_HIGH, STAGE_INITIAL_ACCESS, "mallory", "198.51.100.7");
    th_emit(&t, TH_T0 + 2 * MIN, "egress.beacon", SEV_HIGH, STAGE_COMMAND_AND_CONTROL, "", "");
    th_emit(&t, TH_T0 + 3 * MIN, "shell.recon_burst", SEV_MEDIUM, STAGE_DISCOVERY, "mallory", "");
    cr_expect_eq(th_count(&t, "incident.chain"), 0, "2 stages of mallory, the beacon is not hers");
    th_emit(&t, TH_T0 + 4 * MIN, "shell.cred_shadow", SEV_HIGH, STAGE_CREDENTIAL_ACCESS, "mallory", "");
    cr_assert_eq(th_count(&t, "incident.chain"), 1);
    const char *m = th_find(&t, "incident.chain")->message;
    cr_expect(strstr(m, "3 stages for mallory"), "%s", m);
    const char *ctx = strstr(m, "; meanwhile on host web-1 (no user): command-and-control: egress.beacon at 16:02");
    const char *last = strstr(m, "credential-access: shell.cred_shadow at 16:04");
    cr_expect(ctx && last && last < ctx, "context after the stages: %s", m);
    th_fini(&t);
}

/* Stages in time order, and a span never longer than the window, even when
 * alerts arrive out of order. */
Test(incident, span_within_window_and_stages_in_time_order)
{
    struct th t;
    th_init(&t, &detector_incident);
    /* arrives first, but is the newest */
    th_emit(&t, TH_T0 + 300 * MIN, "shell.history_clear", SEV_HIGH, STAGE_DEFENSE_EVASION, "eve", "");
    /* 5h59m before it: in window */
    th_emit(&t, TH_T0 + MIN, "auth.login", SEV_MEDIUM, STAGE_INITIAL_ACCESS, "eve", "203.0.113.5");
    /* 7h before the newest: out of window, must not join */
    th_emit(&t, TH_T0 - 120 * MIN, "shell.persist_cron", SEV_MEDIUM, STAGE_PERSISTENCE, "eve", "");
    cr_expect_eq(th_count(&t, "incident.chain"), 0);
    th_emit(&t, TH_T0 + 200 * MIN, "shell.recon_burst", SEV_MEDIUM, STAGE_DISCOVERY, "eve", "");
    cr_assert_eq(th_count(&t, "incident.chain"), 1);
    const char *m = th_find(&t, "incident.chain")->message;
    cr_expect(strstr(m, "within 299m"), "%s", m);
    cr_expect(!strstr(m, "persistence"), "%s", m);
    const char *p1 = strstr(m, "initial-access"), *p2 = strstr(m, "discovery"),
               *p3 = strstr(m, "defense-evasion");
    cr_expect(p1 && p2 && p3 && p1 < p2 && p2 < p3, "time order: %s", m);
    /* 7h after the login: the login drops out, the span stays within 6h */
    th_emit(&t, TH_T0 + 421 * MIN, "shell.cred_aws", SEV_HIGH, STAGE_CREDENTIAL_ACCESS, "eve", "");
    cr_assert_eq(th_count(&t, "incident.chain"), 2);
    m = th_find(&t, "incident.chain")->message;
    cr_expect(!strstr(m, "initial-access"), "%s", m);
    cr_expect(strstr(m, "within 221m"), "%s", m);
    th_fini(&t);
}

/* 700 fake sources, one low alert each, overflow max_chains (512): the
 * intruder's chain (a medium stage, not yet an incident) is kept and becomes
 * one when its third stage comes. */
Test(incident, a_flood_of_low_alerts_cannot_evict_a_medium_chain)
{
    struct th t;
    th_init(&t, &detector_incident);
    th_emit(&t, TH_T0, "auth.login", SEV_MEDIUM, STAGE_INITIAL_ACCESS, "ops-admin", "198.51.100.7");
    th_emit(&t, TH_T0 + MIN, "shell.recon_burst", SEV_MEDIUM, STAGE_DISCOVERY, "ops-admin", "");
    char ip[32];
    for (int i = 0; i < 700; i++) {
        snprintf(ip, sizeof(ip), "203.0.%d.%d", i / 250, i % 250 + 1);
        th_emit(&t, TH_T0 + 2 * MIN + i * NS_PER_SEC, "auth.bruteforce", SEV_LOW, STAGE_CREDENTIAL_ACCESS, "", ip);
    }
    cr_expect_eq(th_count(&t, "incident.chain"), 0);
    th_clear(&t);
    th_emit(&t, TH_T0 + 20 * MIN, "shell.persist_cron", SEV_MEDIUM, STAGE_PERSISTENCE, "ops-admin", "");
    cr_assert_eq(th_count(&t, "incident.chain"), 1, "the intruder's chain survived the flood");
    cr_expect(strstr(th_find(&t, "incident.chain")->message, "3 stages for ops-admin"), "%s",
              th_find(&t, "incident.chain")->message);
    th_fini(&t);
}

/* The same with 700 medium alerts, one stage each: a chain of two stages
 * (a story begun) outranks a single-alert chain. */
Test(incident, a_flood_of_single_medium_alerts_cannot_evict_a_story)
{
    struct th t;
    th_init(&t, &detector_incident);
    th_emit(&t, TH_T0, "auth.login", SEV_MEDIUM, STAGE_INITIAL_ACCESS, "ops-admin", "198.51.100.7");
    th_emit(&t, TH_T0 + MIN, "shell.recon_burst", SEV_MEDIUM, STAGE_DISCOVERY, "ops-admin", "");
    char ip[32];
    for (int i = 0; i < 700; i++) {
        snprintf(ip, sizeof(ip), "203.0.%d.%d", i / 250, i % 250 + 1);
        th_emit(&t, TH_T0 + 2 * MIN + i * NS_PER_SEC, "auth.bruteforce", SEV_MEDIUM, STAGE_CREDENTIAL_ACCESS, "", ip);
    }
    th_clear(&t);
    th_emit(&t, TH_T0 + 20 * MIN, "shell.persist_cron", SEV_MEDIUM, STAGE_PERSISTENCE, "ops-admin", "");
    cr_assert_eq(th_count(&t, "incident.chain"), 1, "the intruder's chain survived the flood");
    th_fini(&t);
}

/* A restart keeps the chains in progress (the snapshot), with their ids:
 * the third stage after the reload raises incident #2 of the chain begun
 * before it; the other chain in progress goes on too. */
Test(incident, chains_survive_a_restart)
{
    struct th t;
    th_init(&t, &detector_incident);
    th_emit(&t, TH_T0, "auth.suspicious_login", SEV_HIGH, STAGE_INITIAL_ACCESS, "zed", "10.1.1.1");
    th_emit(&t, TH_T0 + MIN, "shell.recon_burst", SEV_MEDIUM, STAGE_DISCOVERY, "zed", "");
    th_emit(&t, TH_T0 + 2 * MIN, "auth.suspicious_login", SEV_HIGH, STAGE_INITIAL_ACCESS, "deploy", "203.0.113.9");
    th_emit(&t, TH_T0 + 3 * MIN, "shell.recon_burst", SEV_MEDIUM, STAGE_DISCOVERY, "deploy", "");
    cr_expect_eq(th_count(&t, "incident.chain"), 0);
    th_reload(&t);
    th_emit(&t, TH_T0 + 9 * MIN, "shell.cred_aws", SEV_HIGH, STAGE_CREDENTIAL_ACCESS, "deploy", "");
    cr_assert_eq(th_count(&t, "incident.chain"), 1, "the chain begun before the restart goes on");
    const struct th_alert *i = th_find(&t, "incident.chain");
    cr_expect(strstr(i->message, "incident #2"), "its id is kept: %s", i->message);
    cr_expect(strstr(i->message, "initial-access: auth.suspicious_login at 16:02"), "%s", i->message);
    th_emit(&t, TH_T0 + 10 * MIN, "shell.cred_aws", SEV_HIGH, STAGE_CREDENTIAL_ACCESS, "zed", "");
    cr_expect_eq(th_count(&t, "incident.chain"), 2, "the other chain is back too");
    th_fini(&t);
}
