/* test_match.c - secret masking (mask_secrets): every key shape, secret
 * name, password flag of each tool, URL, header and query form, what is
 * piped into a password reader, sudo lines, prose and login prompts; the
 * line as typed around them, byte for byte. */
#include <criterion/criterion.h>
#include <string.h>

#include "detectors/match.h"

struct mask_case {
    const char *in, *out;
};

static void check_cases(const struct mask_case *c, size_t n)
{
    char out[1024];
    for (size_t i = 0; i < n; i++) {
        size_t len = mask_secrets(span_make(c[i].in, strlen(c[i].in)), out, sizeof(out));
        cr_assert_eq(len, strlen(out), "%s", c[i].in);
        cr_assert_str_eq(out, c[i].out, "in:  %s", c[i].in);
    }
}

Test(match, key_shapes_are_masked_after_their_prefix)
{
    static const struct mask_case cases[] = {
        { "aws AKIAIOSFODNN7EXAMPLE done",
          "aws AKIA**** done" },
        { "aws ASIAIOSFODNN7EXAMPLE done",
          "aws ASIA**** done" },
        { "tok ghp_0123456789abcdefXYZ done",
          "tok ghp_**** done" },
        { "tok gho_0123456789abcdefXYZ done",
          "tok gho_**** done" },
        { "tok ghs_0123456789abcdefXYZ done",
          "tok ghs_**** done" },
        { "tok github_pat_0123456789abcdef done",
          "tok github_pat_**** done" },
        { "slack xoxb-123456789012-abc done",
          "slack xoxb-**** done" },
        { "slack xoxp-123456789012-abc done",
          "slack xoxp-**** done" },
        { "slack xoxa-123456789012-abc done",
          "slack xoxa-**** done" },
        { "gitlab glpat-0123456789abcdef done",
          "gitlab glpat-**** done" },
        { "stripe sk_live_0123456789abcdef done",
          "stripe sk_live_**** done" },
        { "openai sk-0123456789abcdefgh done",
          "openai sk-**** done" },
        { "short AKIA12345678901 ghp_12345678901 sk-12345678901",
          "short AKIA12345678901 ghp_12345678901 sk-12345678901" },
        { "inside xAKIAIOSFODNN7EXAMPLE 9ghp_0123456789abcdefXYZ",
          "inside xAKIAIOSFODNN7EXAMPLE 9ghp_0123456789abcdefXYZ" },
        { "after=AKIAIOSFODNN7EXAMPLE (ghp_0123456789abcdefXYZ)",
          "after=AKIA**** (ghp_****)" },
    };
    check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(match, secret_names_hide_their_value)
{
    static const struct mask_case cases[] = {
        { "env Session_Key=abc AccessKey=def private_key=ghi Credential=jkl X_AUTH=mno user=bob",
          "env Session_Key=**** AccessKey=**** private_key=**** Credential=**** X_AUTH=**** user=bob" },
        { "mysql --password=MyPw1 --token=T0k --user=bob",
          "mysql --password=**** --token=**** --user=bob" },
        { "nohup env FOO=1 mysql -pNohupPw1",
          "nohup env FOO=1 mysql -p****" },
    };
    check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(match, password_flags_of_each_tool)
{
    static const struct mask_case cases[] = {
        { "mysql -u root -pMyDbPw77 -e 'select 1'",
          "mysql -u root -p**** -e 'select 1'" },
        { "mysqldump -pDumpPw1 db",
          "mysqldump -p**** db" },
        { "mariadb-dump -p DumpPw2 db",
          "mariadb-dump -p **** db" },
        { "/usr/bin/mysql -p MyPw3",
          "/usr/bin/mysql -p ****" },
        { "7z a -pS3cr3tZip x.7z",
          "7z a -p**** x.7z" },
        { "7za x -hpHdrPw1 x.7z",
          "7za x -hp**** x.7z" },
        { "rar a -pRarPw1 x.rar",
          "rar a -p**** x.rar" },
        { "unrar x -pUnrarPw1 x.rar",
          "unrar x -p**** x.rar" },
        { "sshpass -pSshPw55 ssh db-9",
          "sshpass -p**** ssh db-9" },
        { "sshpass -p SshPw56 ssh db-9",
          "sshpass -p **** ssh db-9" },
        { "useradd -p Hash99pw svc-x",
          "useradd -p **** svc-x" },
        { "usermod -p Hash98pw svc-x",
          "usermod -p **** svc-x" },
        { "htpasswd -p -b f user HtPw1",
          "htpasswd -p **** f user HtPw1" },
        { "zip -P hunter2 -r x.zip dir",
          "zip -P **** -r x.zip dir" },
        { "unzip -P hunter3 x.zip",
          "unzip -P **** x.zip" },
        { "redis-cli -a RedisPw31 keys '*'",
          "redis-cli -a **** keys '*'" },
        { "curl -u admin:UrlPw123 http://10.0.0.9/",
          "curl -u admin:**** http://10.0.0.9/" },
        { "wget --user admin:WgetPw1 http://x/",
          "wget --user admin:**** http://x/" },
        { "wget --USER admin:WgetPw2 http://x/",
          "wget --USER admin:**** http://x/" },
        { "mkdir -p /tmp/x && ssh -p 22 host && zip -p x && redis-cli -p 6379",
          "mkdir -p /tmp/x && ssh -p 22 host && zip -p x && redis-cli -p 6379" },
        { "tool --passwd pw1 --pass pw2 --secret pw3 --api-key pw4 --apikey pw5 --client-secret pw6",
          "tool --passwd **** --pass **** --secret **** --api-key **** --apikey **** --client-secret ****" },
        { "tool --access-key pw7 --secret-key pw8 --auth-token pw9 -pass pwA -passin pwB -passout pwC --authorization pwD",
          "tool --access-key **** --secret-key **** --auth-token **** -pass **** -passin **** -passout **** --authorization ****" },
        { "openssl enc -pass pass:OpenPw1 -in x",
          "openssl enc -pass **** -in x" },
        { "login bearer TokA basic TokB token TokC BEARER TokD",
          "login bearer **** basic **** token **** BEARER ****" },
        { "mysql --password \"quoted pw\" -e 'x'",
          "mysql --password \"****\" -e 'x'" },
        { "mysql --password 'single' -e 'x'",
          "mysql --password '****' -e 'x'" },
        { "(7z a -pParenPw1 x)",
          "(7z a -p**** x)" },
    };
    check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(match, urls_headers_and_query_strings)
{
    static const struct mask_case cases[] = {
        { "curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9abc' https://api.example.io/v1/me",
          "curl -H 'Authorization: Bearer ****' https://api.example.io/v1/me" },
        { "curl -H \"Authorization: Basic dXNlcjpwYXNz\" https://api/",
          "curl -H \"Authorization: Basic ****\" https://api/" },
        { "curl -H \"X-Token: Bearer abc def\" https://api/",
          "curl -H \"X-Token: Bearer ****\" https://api/" },
        { "curl -s http://admin:UrlPw123@10.0.0.9/ | bash",
          "curl -s http://admin:****@10.0.0.9/ | bash" },
        { "git clone https://user:GitPw1@github.com/x/y.git",
          "git clone https://user:****@github.com/x/y.git" },
        { "git clone https://github.com/x/y.git",
          "git clone https://github.com/x/y.git" },
        { "curl -s 'https://files.example.com/dl?token=Tok3nValue99&x=1' -o /tmp/x.bin",
          "curl -s 'https://files.example.com/dl?token=****&x=1' -o /tmp/x.bin" },
        { "curl 'https://b.example/o?X-Amz-Signature=SigSecret88&sig=SigSecret88&X-Amz-Credential=AKIDX%2F&code=C0de&key=K3y#frag'",
          "curl 'https://b.example/o?X-Amz-Signature=****&sig=****&X-Amz-Credential=****&code=****&key=****#frag'" },
        { "curl 'https://b.example/o?page=2&sort=asc'",
          "curl 'https://b.example/o?page=2&sort=asc'" },
        { "{\"msg\":\"callback to https://hooks.example.com/x?token=ApiTok77q failed for AKIAIOSFODNN7EXAMPLE\"}",
          "{\"msg\":\"callback to https://hooks.example.com/x?token=****\"}" },
    };
    check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(match, what_is_piped_into_a_password_reader)
{
    static const struct mask_case cases[] = {
        { "echo 'backup2:Bkp!8574x' | sudo chpasswd",
          "echo 'backup2:****' | sudo chpasswd" },
        { "echo 'grp:GrpPw1' | chgpasswd",
          "echo 'grp:****' | chgpasswd" },
        { "echo -e \"OldPw1x\\nNewPw2y\\nNewPw2y\" | passwd",
          "echo -e \"****\" | passwd" },
        { "echo 'SuPw9xyz' | sudo -S cat /etc/shadow",
          "echo '****' | sudo -S cat /etc/shadow" },
        { "printf 'RegPw1\\n' | docker login --password-stdin -u bob",
          "printf '****' | docker login --password-stdin -u bob" },
        { "echo 'LuksPw1' | cryptsetup luksOpen /dev/sdb x",
          "echo '****' | cryptsetup luksOpen /dev/sdb x" },
        { "echo NotSecret | passwd --stdin bob",
          "echo **** | passwd --stdin bob" },
        { "echo hello | cat",
          "echo hello | cat" },
        { "echo hello || chpasswd",
          "echo hello || chpasswd" },
        { "echo x; chpasswd",
          "echo x; chpasswd" },
    };
    check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(match, sudo_lines_prose_and_login_prompts)
{
    static const struct mask_case cases[] = {
        { "sudo: alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/mysql -u root -pMyDbPw77",
          "sudo: alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/mysql -u root -p****" },
        { "sudo: alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/7z a -pS3cr3tZip /root/x.7z /root",
          "sudo: alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/7z a -p**** /root/x.7z /root" },
        { "sudo: alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/sbin/useradd -p Hash99pw svc-x",
          "sudo: alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/sbin/useradd -p **** svc-x" },
        { "alice ran sudo /usr/bin/7z as root: /usr/bin/7z a -pS3cret x.7z",
          "alice ran sudo /usr/bin/7z as root: /usr/bin/7z a -p**** x.7z" },
        { "Failed password for invalid user Secr3t!Pw from 203.0.113.9 port 22 ssh2",
          "Failed password for invalid user **** from 203.0.113.9 port 22 ssh2" },
        { "Failed password for invalid user admin from 203.0.113.9 port 22 ssh2",
          "Failed password for invalid user admin from 203.0.113.9 port 22 ssh2" },
        { "Invalid user P4ss-Word from 203.0.113.9",
          "Invalid user **** from 203.0.113.9" },
        { "invalid user deploy$ from 1.2.3.4",
          "invalid user deploy$ from 1.2.3.4" },
        { "{\"ts\":\"2026-11-18T09:00:00.000Z\",\"level\":\"info\",\"msg\":\"request served\",\"path\":\"/api/v1/orders\",\"status\":200}",
          "{\"ts\":\"2026-11-18T09:00:00.000Z\",\"level\":\"info\",\"msg\":\"request served\",\"path\":\"/api/v1/orders\",\"status\":200}" },
    };
    check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(match, a_line_without_secrets_is_copied_as_is)
{
    static const char line[] = "GET /api/v1/orders?page=2 200 \"curl/8.0\" x\tyz; a|b && c\0d";
    char out[128];
    size_t n = mask_secrets(span_make(line, sizeof(line) - 1), out, sizeof(out));
    cr_assert_eq(n, sizeof(line) - 1);
    cr_assert(memcmp(out, line, n) == 0);
    cr_assert_eq(out[n], '\0');
}

Test(match, output_is_cut_to_cap_and_terminated)
{
    char out[12];
    memset(out, 'X', sizeof(out));
    cr_assert_eq(mask_secrets(SPAN_LIT("mysql -pS3cretPw -e 'select 1'"), out, sizeof(out)), 11);
    cr_assert_str_eq(out, "mysql -p***");
    cr_assert_eq(mask_secrets(SPAN_LIT("plain words only here"), out, 5), 4);
    cr_assert_str_eq(out, "plai");
    cr_assert_eq(mask_secrets(SPAN_LIT("anything"), out, 0), 0);
    cr_assert_eq(mask_secrets(SPAN_LIT(""), out, sizeof(out)), 0);
    cr_assert_str_eq(out, "");
}

/* Shell quoting does not hide a secret: NAME='value' is masked up to its
 * closing quote, and a quoted flag is still a flag. */
Test(match, quoted_values_and_quoted_flags)
{
    static const struct mask_case cases[] = {
        { "export DB_PASSWORD='hunter2'",
          "export DB_PASSWORD='****'" },
        { "PGPASSWORD=\"abc def\" psql -h db",
          "PGPASSWORD=\"****\" psql -h db" },
        { "docker run -e API_TOKEN=\"t0k3n\" img",
          "docker run -e API_TOKEN=\"****\" img" },
        { "mysql --password='x y' -e 1",
          "mysql --password='****' -e 1" },
        { "echo \"x API_KEY='k1' y\"",
          "echo \"x API_KEY='****' y\"" },
        { "export A=1 B_SECRET='' C_TOKEN='unterminated",
          "export A=1 B_SECRET='' C_TOKEN='****" },
        { "\"mysql\" \"-pQuotedTool1\"",
          "\"mysql\" \"-p****\"" },
        { "mysql '-pQ2' db",
          "mysql '-p****' db" },
        { "tool '--password' pw2 \"--token\" \"pw3\"",
          "tool '--password' **** \"--token\" \"****\"" },
        { "export LANG='C.UTF-8' PS1='$ '",
          "export LANG='C.UTF-8' PS1='$ '" },
    };
    check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}
