/* test_shell_rarity.c - programs new for a user, weighed by host rarity;
 * quiet while learning and for the user's usual commands. */
#include "tests/unit/detectors/harness.h"

extern const struct detector_plugin detector_shell_rarity;

static int64_t learn(struct th *t)
{
    static const char *const alice[] = { "git status", "git commit -m 'fix 12'", "ls -la /srv/app",
                                         "vim src/main.c", "make -j4", "cd /srv/app" };
    static const char *const bob[] = { "kubectl get pods -n prod", "less /var/log/syslog",
                                       "kubectl logs web-1", "ls" };
    int64_t ts = TH_T0;
    for (int i = 0; i < 300; i++, ts += 10 * 60 * NS_PER_SEC) {
        th_shell(t, ts, "alice", alice[i % 6]);
        th_shell(t, ts + 1, "bob", bob[i % 4]);
    }
    return ts;
}

Test(shell_rarity, quiet_while_learning_and_for_usual_commands)
{
    struct th t;
    th_init(&t, &detector_shell_rarity);
    int64_t ts = learn(&t);
    cr_expect_eq(t.nalerts, 0, "%s", t.nalerts ? t.alerts[0].message : "");
    th_shell(&t, ts, "alice", "ls -la /tmp && make -j8");
    cr_expect_eq(t.nalerts, 0, "%s", t.nalerts ? t.alerts[0].message : "");
    /* a known program in a new shape is only info (below the default floor) */
    th_shell(&t, ts + 1, "alice", "git push origin main");
    cr_expect_eq(t.nalerts, 1);
    cr_expect_eq(t.alerts[0].severity, SEV_INFO, "%s", t.alerts[0].message);
    th_fini(&t);
}

Test(shell_rarity, weighed_by_host_rarity)
{
    struct th t;
    th_init(&t, &detector_shell_rarity);
    int64_t ts = learn(&t);
    th_shell(&t, ts, "alice", "kubectl get pods");           /* common on the host */
    const struct th_alert *a = th_find(&t, "shell.new_command");
    cr_assert(a);
    cr_expect_eq(a->severity, SEV_INFO);
    th_shell(&t, ts + 1, "alice", "nmap -sS 10.0.0.0/24");   /* never on the host */
    a = th_find(&t, "shell.rare_command");
    cr_assert(a);
    /* a first program is a novelty: alone, an observation */
    cr_expect_eq(a->severity, SEV_INFO);
    cr_expect(strstr(a->message, "0 times before"), "%s", a->message);
    cr_expect(strstr(a->message, "[severity: novelty + shell.new_command novelty"), "%s", a->message);
    th_shell(&t, ts + 2, "bob", "nmap -sV db-1");            /* now seen once on the host */
    a = th_find(&t, "shell.new_command");
    cr_expect_eq(a->severity, SEV_INFO);
    cr_expect(strstr(a->message, "others here do it too"), "%s", a->message);
    cr_expect_str_eq(a->user, "bob");
    th_shell(&t, ts + 3, "alice", "nmap -sS 10.0.1.0/24");   /* alice knows it now */
    cr_expect_eq(th_count(&t, "shell.rare_command") + th_count(&t, "shell.new_command"), 3);
    th_fini(&t);
}

Test(shell_rarity, never_seen_program_run_from_a_drop_folder_is_medium)
{
    struct th t;
    th_init(&t, &detector_shell_rarity);
    int64_t ts = learn(&t);
    th_shell(&t, ts, "alice", "/dev/shm/.agent --daemon");
    const struct th_alert *a = th_find(&t, "shell.rare_command");
    cr_assert(a);
    cr_expect_eq(a->severity, SEV_MEDIUM);
    th_shell(&t, ts + 1, "alice", "./.x");
    cr_expect_eq(th_count(&t, "shell.rare_command"), 2);
    th_shell(&t, ts + 2, "alice", "/usr/local/bin/terraform plan");
    a = th_find(&t, "shell.rare_command");
    /* an ordinary path is a novelty; the drop before is the same rule, no
     * independent signal */
    cr_expect_eq(a->severity, SEV_INFO, "%s", a->message);
    th_fini(&t);
}
