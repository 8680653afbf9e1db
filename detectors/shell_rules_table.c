/* shell_rules_table.c - the shell technique rules, one row each.
 * Read a row as "a segment whose argv0 is <cmd>, with an argument <arg> (and
 * <arg2>), writing <write>, piped into <pipe_to> ...". Rows sharing an id are
 * alternative shapes of one technique. Recon rows (SR_RECON) stay silent
 * alone: they feed shell.recon_burst, raised by shell_rules.c. */
#include "detectors/shell_rules.h"

#define SHELLS  "sh|bash|dash|zsh|ksh|ash|fish|busybox"
#define INTERP  "python|python2|python3|python3.*|perl|ruby|php|node"
#define READERS "cat|tac|less|more|head|tail|base64|xxd|od|strings|cp|scp|tar|zip|curl|nc|ncat|" \
                "vi|vim|nano|grep|egrep|awk|sed|gpg|openssl|bat|view|rsync|dd|sort|uniq"
#define DELETE  "rm|shred|unlink|truncate|srm|wipe"
#define NETCAT  "nc|ncat|netcat|nc.traditional|nc.openbsd"
#define SECLOGS "/var/log/auth.log*|/var/log/secure*|/var/log/syslog*|/var/log/messages*|" \
                "/var/log/wtmp*|/var/log/btmp*|/var/log/lastlog|/var/log/audit/*|" \
                "/var/log/journal*|/var/log/kern.log*|/var/log/sudo.log*"
#define DATADIRS "/home|/home/*|/etc|/etc/|/root|/root/*|/var/lib/mysql*|/var/lib/postgresql*|" \
                 "/var/www*|/srv|/srv/*|/data|/data/*|/var/backups*|*.sql|*.sql.gz|*.dump|" \
                 "/var/lib/docker/volumes*|/opt/*/data*|/mnt/*"
#define HISTFILES "*_history|*/.histfile|.histfile"
#define RC_FILES "*/.bashrc|.bashrc|*/.bash_profile|.bash_profile|*/.profile|.profile|*/.zshrc|.zshrc|" \
                 "*/.zprofile|.zprofile|*/.bash_login|.bash_login|*/.bash_logout|/etc/profile|" \
                 "/etc/profile.d/*|/etc/bash.bashrc|/etc/zsh/*"

const struct shell_rule shell_rules[] = {
    /* ---- reconnaissance: silent alone, a burst is one alert ---- */
    { .id = "shell.recon_user", .sev = SEV_INFO, .stage = STAGE_DISCOVERY, .attack = { "T1033" },
      .what = "user discovery", .cmd = "whoami|id|w|who|last|lastlog|groups", .flags = SR_RECON },
    { .id = "shell.recon_system", .sev = SEV_INFO, .stage = STAGE_DISCOVERY, .attack = { "T1082" },
      .what = "system discovery", .cmd = "uname|hostname|hostnamectl|lscpu|uptime", .flags = SR_RECON },
    { .id = "shell.recon_system", .sev = SEV_INFO, .stage = STAGE_DISCOVERY, .attack = { "T1082" },
      .what = "system discovery", .cmd = READERS, .arg = "/etc/*release|/proc/version|/etc/issue",
      .flags = SR_RECON },
    { .id = "shell.recon_network", .sev = SEV_INFO, .stage = STAGE_DISCOVERY, .attack = { "T1016" },
      .what = "network configuration discovery", .cmd = "ip",
      .arg = "a|addr|address|r|route|link|neigh|n|-br|-4|-6", .flags = SR_RECON | SR_FIRST_WORD },
    { .id = "shell.recon_network", .sev = SEV_INFO, .stage = STAGE_DISCOVERY, .attack = { "T1016" },
      .what = "network configuration discovery", .cmd = "ifconfig|route|arp|iwconfig",
      .flags = SR_RECON },
    { .id = "shell.recon_connections", .sev = SEV_INFO, .stage = STAGE_DISCOVERY,
      .attack = { "T1049" }, .what = "network connection discovery", .cmd = "ss|netstat|lsof",
      .flags = SR_RECON },
    { .id = "shell.recon_processes", .sev = SEV_INFO, .stage = STAGE_DISCOVERY,
      .attack = { "T1057" }, .what = "process discovery", .cmd = "ps|pstree", .flags = SR_RECON },
    { .id = "shell.recon_accounts", .sev = SEV_INFO, .stage = STAGE_DISCOVERY,
      .attack = { "T1087.001" }, .what = "local account discovery", .cmd = READERS,
      .arg = "/etc/passwd|/etc/group|/etc/sudoers", .flags = SR_RECON },
    { .id = "shell.recon_accounts", .sev = SEV_INFO, .stage = STAGE_DISCOVERY,
      .attack = { "T1087.001" }, .what = "local account discovery", .cmd = "getent",
      .arg = "passwd|group", .flags = SR_RECON },
    { .id = "shell.recon_sudo", .sev = SEV_INFO, .stage = STAGE_DISCOVERY, .attack = { "T1069.001" },
      .what = "sudo rights discovery", .cmd = "sudo", .arg = "-l|-ll", .flags = SR_RECON },
    { .id = "shell.recon_scan", .sev = SEV_MEDIUM, .stage = STAGE_DISCOVERY, .attack = { "T1046" },
      .what = "a network service scan", .cmd = "nmap|masscan|zmap|rustscan", .flags = SR_RECON },
    /* `nc -zv db-1 5432` is an everyday reachability check: recon only in a burst. */
    { .id = "shell.recon_portcheck", .sev = SEV_INFO, .stage = STAGE_DISCOVERY, .attack = { "T1046" },
      .what = "a port probe", .cmd = NETCAT, .arg = "-z|-zv|-vz|-znv|-nvz|-zvn",
      .flags = SR_RECON },
    { .id = "shell.key_search", .sev = SEV_MEDIUM, .stage = STAGE_CREDENTIAL_ACCESS,
      .attack = { "T1552.004", "T1083" }, .what = "a search for private keys and credential files",
      .cmd = "find|locate|mlocate|plocate|fd",
      .arg = "*.pem|*id_rsa*|*id_ed25519*|*id_ecdsa*|*id_dsa*|*.key|*.p12|*.pfx|*.kdbx|*.ovpn|"
             "*credentials*|*.jks|*.keystore",
      .flags = SR_RECON },
    { .id = "shell.cloud_metadata", .sev = SEV_HIGH, .stage = STAGE_CREDENTIAL_ACCESS,
      .attack = { "T1552.005" }, .what = "a query of the cloud instance metadata service",
      .cmd = "curl|wget|http|https|python*|nc|ncat",
      .any = "*169.254.169.254*|*metadata.google.internal*|*fd00:ec2::254*|*169.254.170.2*|"
             "*100.100.100.200*",
      .flags = SR_RECON },

    /* ---- credential access ---- */
    { .id = "shell.cred_aws", .sev = SEV_HIGH, .stage = STAGE_CREDENTIAL_ACCESS,
      .attack = { "T1552.001" }, .what = "a read of stored AWS credentials", .cmd = READERS,
      .arg = "*.aws/credentials|*.aws/config" },
    { .id = "shell.cred_ssh_key", .sev = SEV_HIGH, .stage = STAGE_CREDENTIAL_ACCESS,
      .attack = { "T1552.004" }, .what = "a read of an SSH private key", .cmd = READERS,
      .arg = "*.ssh/id_*|*/id_rsa|*/id_ed25519|*/id_ecdsa|*/id_dsa|id_rsa|id_ed25519",
      .not_arg = "*.pub" },
    { .id = "shell.cred_shadow", .sev = SEV_HIGH, .stage = STAGE_CREDENTIAL_ACCESS,
      .attack = { "T1003.008" }, .what = "a read of the password hashes",
      .cmd = READERS "|unshadow|john|hashcat", .arg = "/etc/shadow*|/etc/gshadow*|/etc/security/opasswd" },
    { .id = "shell.cred_kube", .sev = SEV_MEDIUM, .stage = STAGE_CREDENTIAL_ACCESS,
      .attack = { "T1552.001" }, .what = "a read of a Kubernetes config with cluster credentials",
      .cmd = READERS, .arg = "*.kube/config|/etc/kubernetes/admin.conf|*/serviceaccount/token" },
    { .id = "shell.cred_files", .sev = SEV_MEDIUM, .stage = STAGE_CREDENTIAL_ACCESS,
      .attack = { "T1552.001" }, .what = "a read of a stored credentials file", .cmd = READERS,
      .arg = "*.git-credentials|*.netrc|*.pgpass|*.docker/config.json|*.vault-token|*.my.cnf|"
             "*/.config/gcloud/*|*.azure/*|*.npmrc|*.pypirc" },
    { .id = "shell.cred_env", .sev = SEV_HIGH, .stage = STAGE_CREDENTIAL_ACCESS,
      .attack = { "T1552.001" }, .what = "a read of another process's environment", .cmd = READERS,
      .arg = "/proc/*/environ" },
    { .id = "shell.cred_env", .sev = SEV_MEDIUM, .stage = STAGE_CREDENTIAL_ACCESS,
      .attack = { "T1552.001" }, .what = "an environment dump searched for secrets",
      .cmd = "grep|egrep|rg|ag|awk", .pipe_from = "env|printenv|set|export|declare",
      .arg = "~*secret*|~*key*|~*token*|~*pass*|~*aws*|~*cred*" },
    { .id = "shell.cred_env", .sev = SEV_MEDIUM, .stage = STAGE_CREDENTIAL_ACCESS,
      .attack = { "T1552.001" }, .what = "a print of secret environment variables", .cmd = "printenv",
      .arg = "~*secret*|~*token*|~*password*|~*_key*" },
    /* echo prints a variable only through $: `echo "Password1\nnew" | passwd` is no print */
    { .id = "shell.cred_env", .sev = SEV_MEDIUM, .stage = STAGE_CREDENTIAL_ACCESS,
      .attack = { "T1552.001" }, .what = "a print of secret environment variables", .cmd = "echo|printf",
      .arg = "~*$*secret*|~*$*token*|~*$*password*|~*$*_key*" },
    { .id = "shell.cred_history", .sev = SEV_MEDIUM, .stage = STAGE_CREDENTIAL_ACCESS,
      .attack = { "T1552.003" }, .what = "a search of shell history for secrets",
      .cmd = "grep|egrep|rg|cat|strings", .arg = HISTFILES,
      .arg2 = "~*pass*|~*secret*|~*token*|~*key*|-*" },

    /* ---- download and execute ---- */
    { .id = "shell.download_exec", .sev = SEV_HIGH, .stage = STAGE_EXECUTION,
      .attack = { "T1105", "T1059.004" }, .what = "a download piped into a shell",
      .cmd = "curl|wget|fetch|aria2c|lwp-download|http", .pipe_to = SHELLS "|" INTERP,
      .flags = SR_STDIN_EXEC },
    { .id = "shell.download_exec", .sev = SEV_HIGH, .stage = STAGE_EXECUTION,
      .attack = { "T1105", "T1059.004" }, .what = "a download run by a shell",
      .cmd = "curl|wget|fetch", .flags = SR_NESTED_SHELL },
    { .id = "shell.drop_exec", .sev = SEV_HIGH, .stage = STAGE_EXECUTION,
      .attack = { "T1105", "T1204.002" }, .what = "a file downloaded to a temp directory made executable or run",
      .flags = SR_DROP_EXEC },
    { .id = "shell.tmp_exec", .sev = SEV_MEDIUM, .stage = STAGE_EXECUTION,
      .attack = { "T1222.002", "T1059.004" }, .what = "a file in a temp directory made executable",
      .cmd = "chmod", .arg = "+x|*+x|*+rwx|7??|07??|5??|75?", .arg2 = "/tmp/*|/dev/shm/*|/var/tmp/*" },

    /* ---- obfuscation ---- */
    { .id = "shell.decode_exec", .sev = SEV_HIGH, .stage = STAGE_DEFENSE_EVASION,
      .attack = { "T1140", "T1027", "T1059.004" }, .what = "decoded data piped into a shell",
      .cmd = "base64|base32|basenc|xxd|openssl|rev|gunzip|zcat", .pipe_to = SHELLS "|" INTERP,
      .flags = SR_STDIN_EXEC },
    { .id = "shell.powershell_encoded", .sev = SEV_HIGH, .stage = STAGE_DEFENSE_EVASION,
      .attack = { "T1059.001", "T1027.010" }, .what = "an encoded PowerShell command",
      .cmd = "~powershell|~pwsh",
      .arg = "~-e|~-en|~-enc|~-enco*|~-ec|~/e|~/enc*|~/ec|~-encodedcommand" },
    { .id = "shell.inline_exec", .sev = SEV_MEDIUM, .stage = STAGE_EXECUTION,
      .attack = { "T1059.006", "T1027" }, .what = "inline interpreter code that evaluates or decodes a payload",
      .cmd = INTERP, .arg = "-c|-e|-r|-E",
      .arg2 = "*exec(*|*eval(*|*__import__*|*b64decode*|*base64*|*os.system*|*subprocess*|"
              "*marshal*|*zlib.decompress*|*pack(*|*system(*" },

    /* ---- reverse shells ---- */
    { .id = "shell.reverse_shell", .sev = SEV_CRITICAL, .stage = STAGE_COMMAND_AND_CONTROL,
      .attack = { "T1059.004", "T1095" }, .what = "a shell redirected to a network socket",
      .any = "/dev/tcp/*|/dev/udp/*|*>/dev/tcp/*|*/dev/tcp/*" },
    { .id = "shell.reverse_shell", .sev = SEV_CRITICAL, .stage = STAGE_COMMAND_AND_CONTROL,
      .attack = { "T1059.004", "T1095" }, .what = "netcat executing a program for a remote peer",
      .cmd = NETCAT, .arg = "-e|-c|--exec|--sh-exec|--lua-exec|-?e|-??e|-???e|-????e" },
    { .id = "shell.reverse_shell", .sev = SEV_CRITICAL, .stage = STAGE_COMMAND_AND_CONTROL,
      .attack = { "T1059.004", "T1095" }, .what = "network input piped into a shell",
      .cmd = NETCAT "|telnet|openssl|socat", .pipe_to = SHELLS "|" INTERP, .flags = SR_STDIN_EXEC },
    { .id = "shell.reverse_shell", .sev = SEV_CRITICAL, .stage = STAGE_COMMAND_AND_CONTROL,
      .attack = { "T1059.004", "T1095" }, .what = "an interactive shell piped to the network",
      .cmd = SHELLS, .arg = "-i", .pipe_to = NETCAT "|telnet|openssl|socat" },
    { .id = "shell.reverse_shell", .sev = SEV_CRITICAL, .stage = STAGE_COMMAND_AND_CONTROL,
      .attack = { "T1059.004", "T1095" }, .what = "socat executing a program for a remote peer",
      .cmd = "socat", .arg = "~exec:*|~system:*" },
    { .id = "shell.reverse_shell", .sev = SEV_CRITICAL, .stage = STAGE_COMMAND_AND_CONTROL,
      .attack = { "T1059.006", "T1095" }, .what = "interpreter code wiring a socket to a shell",
      .cmd = INTERP, .arg = "*socket*", .arg2 = "*pty*|*subprocess*|*dup2*|*/bin/sh*|*/bin/bash*|*exec*" },

    /* ---- persistence ---- */
    /* Admins edit crontabs: an edit alone is an observation; a job that runs
     * something from a temp or hidden place or off the network is the technique. */
    { .id = "shell.persist_cron", .sev = SEV_HIGH, .stage = STAGE_PERSISTENCE,
      .attack = { "T1053.003" }, .what = "a cron job that runs a dropped or downloaded program",
      .cmd = "echo|printf", .pipe_to = "crontab",
      .arg = "*/tmp/*|*/dev/shm/*|*/var/tmp/*|*/.?*|*curl *|*wget *|*/dev/tcp/*|*base64*|*nc *" },
    { .id = "shell.persist_cron", .sev = SEV_MEDIUM, .stage = STAGE_PERSISTENCE,
      .attack = { "T1053.003" }, .what = "a crontab edit", .cmd = "crontab", .not_arg = "-l|-r",
      .flags = SR_NOVELTY },
    { .id = "shell.persist_cron", .sev = SEV_MEDIUM, .stage = STAGE_PERSISTENCE,
      .attack = { "T1053.003" }, .what = "a write to the cron tables",
      .write = "/etc/cron*|/var/spool/cron/*|/etc/crontab" },
    { .id = "shell.persist_ssh_key", .sev = SEV_HIGH, .stage = STAGE_PERSISTENCE,
      .attack = { "T1098.004" }, .what = "a write to an authorized_keys file", .write = "*authorized_keys*" },
    { .id = "shell.persist_systemd", .sev = SEV_MEDIUM, .stage = STAGE_PERSISTENCE,
      .attack = { "T1543.002" }, .what = "a write of a service unit",
      .write = "/etc/systemd/system/*|/lib/systemd/system/*|/usr/lib/systemd/system/*|"
               "*/.config/systemd/user/*|/etc/init.d/*" },
    { .id = "shell.persist_rc_local", .sev = SEV_HIGH, .stage = STAGE_PERSISTENCE,
      .attack = { "T1037.004" }, .what = "a write to the boot scripts", .write = "/etc/rc.local|/etc/rc.d/*|/etc/rc?.d/*" },
    { .id = "shell.persist_preload", .sev = SEV_CRITICAL, .stage = STAGE_PERSISTENCE,
      .attack = { "T1574.006" }, .what = "a write to /etc/ld.so.preload", .write = "/etc/ld.so.preload" },
    { .id = "shell.persist_preload", .sev = SEV_MEDIUM, .stage = STAGE_DEFENSE_EVASION,
      .attack = { "T1574.006" }, .what = "a library forced into programs with LD_PRELOAD",
      .assign = "LD_PRELOAD=*" },
    /* People add aliases to their .bashrc: a write alone is an observation;
     * one that fetches, decodes or runs from a temp place is the technique. */
    { .id = "shell.persist_shell_rc", .sev = SEV_HIGH, .stage = STAGE_PERSISTENCE,
      .attack = { "T1546.004" }, .what = "a shell startup file made to run a downloaded or dropped program",
      .cmd = "echo|printf", .write = RC_FILES,
      .arg = "*curl *|*wget *|*/tmp/*|*/dev/shm/*|*/dev/tcp/*|*base64*|*nc *|*LD_PRELOAD*" },
    { .id = "shell.persist_shell_rc", .sev = SEV_MEDIUM, .stage = STAGE_PERSISTENCE,
      .attack = { "T1546.004" }, .what = "a write to a shell startup file", .write = RC_FILES,
      .flags = SR_NOVELTY },
    /* Passwords set by a script: chpasswd, passwd fed from a pipe, a hash
     * given to useradd/usermod. Rotation by admins is routine, so alone an
     * observation; after a stolen login it is account manipulation. */
    { .id = "shell.account_password", .sev = SEV_MEDIUM, .stage = STAGE_PERSISTENCE,
      .attack = { "T1098" }, .what = "an account password set from a script", .cmd = "chpasswd|chgpasswd",
      .flags = SR_NOVELTY },
    { .id = "shell.account_password", .sev = SEV_MEDIUM, .stage = STAGE_PERSISTENCE,
      .attack = { "T1098" }, .what = "an account password set from a script", .cmd = "passwd",
      .pipe_from = "echo|printf|cat|yes", .flags = SR_NOVELTY },
    { .id = "shell.account_password", .sev = SEV_MEDIUM, .stage = STAGE_PERSISTENCE,
      .attack = { "T1098" }, .what = "an account password set from a script", .cmd = "useradd|usermod",
      .arg = "-p|--password", .flags = SR_NOVELTY },
    { .id = "shell.setuid", .sev = SEV_HIGH, .stage = STAGE_PRIVILEGE_ESCALATION,
      .attack = { "T1548.001" }, .what = "a setuid bit set on a file", .cmd = "chmod",
      .arg = "u+s|+s|*u+s|4???|2???|6???|g+s" },

    /* ---- defense evasion ---- */
    { .id = "shell.history_clear", .sev = SEV_HIGH, .stage = STAGE_DEFENSE_EVASION,
      .attack = { "T1070.003" }, .what = "the shell history cleared", .cmd = "history", .arg = "-c|-cw|-wc" },
    { .id = "shell.history_disable", .sev = SEV_HIGH, .stage = STAGE_DEFENSE_EVASION,
      .attack = { "T1562.003" }, .what = "shell history recording turned off", .cmd = "unset",
      .arg = "HISTFILE|HISTSIZE|HISTFILESIZE" },
    { .id = "shell.history_disable", .sev = SEV_HIGH, .stage = STAGE_DEFENSE_EVASION,
      .attack = { "T1562.003" }, .what = "shell history recording turned off",
      .assign = "HISTFILE=*|HISTSIZE=0|HISTFILESIZE=0|HISTCONTROL=ignore*|HISTIGNORE=*" },
    { .id = "shell.history_disable", .sev = SEV_HIGH, .stage = STAGE_DEFENSE_EVASION,
      .attack = { "T1562.003" }, .what = "shell history recording turned off", .cmd = "set",
      .arg = "+o", .arg2 = "history" },
    { .id = "shell.history_delete", .sev = SEV_HIGH, .stage = STAGE_DEFENSE_EVASION,
      .attack = { "T1070.003" }, .what = "the shell history deleted", .cmd = DELETE, .arg = HISTFILES },
    { .id = "shell.history_delete", .sev = SEV_HIGH, .stage = STAGE_DEFENSE_EVASION,
      .attack = { "T1070.003" }, .what = "the shell history overwritten", .write = HISTFILES },
    { .id = "shell.log_tamper", .sev = SEV_HIGH, .stage = STAGE_DEFENSE_EVASION,
      .attack = { "T1070.002" }, .what = "security logs deleted", .cmd = DELETE, .arg = SECLOGS },
    { .id = "shell.log_tamper", .sev = SEV_HIGH, .stage = STAGE_DEFENSE_EVASION,
      .attack = { "T1070.002" }, .what = "security logs overwritten", .write = SECLOGS },
    { .id = "shell.disable_security", .sev = SEV_HIGH, .stage = STAGE_DEFENSE_EVASION,
      .attack = { "T1562.001" }, .what = "a security or logging service stopped",
      .cmd = "systemctl|service|rc-service", .arg = "stop|disable|mask|kill",
      .arg2 = "auditd*|rsyslog*|syslog-ng*|systemd-journald*|falcon*|osqueryd*|wazuh*|"
              "apparmor*|firewalld*|ufw*|fail2ban*|vigil*|crowdstrike*|sysmon*" },
    { .id = "shell.disable_security", .sev = SEV_HIGH, .stage = STAGE_DEFENSE_EVASION,
      .attack = { "T1562.001" }, .what = "SELinux enforcement turned off", .cmd = "setenforce",
      .arg = "0|~permissive" },
    { .id = "shell.disable_security", .sev = SEV_MEDIUM, .stage = STAGE_DEFENSE_EVASION,
      .attack = { "T1562.004" }, .what = "the host firewall turned off or flushed",
      .cmd = "ufw|iptables|ip6tables|nft", .arg = "disable|-F|--flush|flush" },

    /* ---- staging ---- */
    { .id = "shell.archive_data", .sev = SEV_MEDIUM, .stage = STAGE_COLLECTION,
      .attack = { "T1560.001", "T1074.001" }, .what = "an archive of data directories",
      .cmd = "tar|bsdtar", .arg = "c*|-*c*|--create", .arg2 = DATADIRS },
    { .id = "shell.archive_data", .sev = SEV_MEDIUM, .stage = STAGE_COLLECTION,
      .attack = { "T1560.001", "T1074.001" }, .what = "an archive of data directories",
      .cmd = "zip|7z|7za|7zr|rar", .arg = DATADIRS },
    { .id = "shell.archive_password", .sev = SEV_HIGH, .stage = STAGE_COLLECTION,
      .attack = { "T1560.001" }, .what = "a password-protected archive", .cmd = "zip",
      .arg = "-P|-e|--password|--encrypt|-*e" },
    { .id = "shell.archive_password", .sev = SEV_HIGH, .stage = STAGE_COLLECTION,
      .attack = { "T1560.001" }, .what = "a password-protected archive", .cmd = "7z|7za|7zr|rar",
      .arg = "-p*|-hp*|-mhe*" },
    { .id = "shell.archive_password", .sev = SEV_HIGH, .stage = STAGE_COLLECTION,
      .attack = { "T1560.001" }, .what = "an archive encrypted on the fly",
      .cmd = "openssl|gpg|age|ccrypt", .pipe_from = "tar|zip|7z|mysqldump|pg_dump|pg_dumpall",
      .not_arg = "-d|--decrypt" },
    { .id = "shell.db_dump", .sev = SEV_LOW, .stage = STAGE_COLLECTION, .attack = { "T1005" },
      .what = "a dump of every database", .cmd = "mysqldump|mariadb-dump",
      .arg = "--all-databases|-A" },
    { .id = "shell.db_dump", .sev = SEV_LOW, .stage = STAGE_COLLECTION, .attack = { "T1005" },
      .what = "a dump of every database", .cmd = "pg_dumpall|mongodump" },

    /* ---- exfiltration ---- */
    { .id = "shell.exfil_upload", .sev = SEV_HIGH, .stage = STAGE_EXFILTRATION,
      .attack = { "T1048.003", "T1567" }, .what = "a file uploaded with curl", .cmd = "curl",
      .arg = "-T|--upload-file|-T*" },
    { .id = "shell.exfil_upload", .sev = SEV_HIGH, .stage = STAGE_EXFILTRATION,
      .attack = { "T1048.003", "T1567" }, .what = "a file posted with curl", .cmd = "curl",
      .arg = "-d|--data|--data-binary|--data-raw|--data-urlencode|-F|--form|-d@*|-F*=@*",
      .arg2 = "@*|*=@*|-d@*" },
    { .id = "shell.exfil_upload", .sev = SEV_HIGH, .stage = STAGE_EXFILTRATION,
      .attack = { "T1048.003", "T1567" }, .what = "a file posted with wget", .cmd = "wget",
      .arg = "--post-file*|--body-file*" },

    { .id = "shell.exfil_cloud", .sev = SEV_HIGH, .stage = STAGE_EXFILTRATION,
      .attack = { "T1567.002" }, .what = "files synced to cloud storage with rclone", .cmd = "rclone",
      .arg = "copy|sync|move|copyto|moveto|bisync", .flags = SR_FIRST_WORD },
    { .id = "shell.exfil_netcat", .sev = SEV_HIGH, .stage = STAGE_EXFILTRATION,
      .attack = { "T1048.003" }, .what = "a file sent over a raw netcat connection", .cmd = NETCAT,
      .read = "*" },
    { .id = "shell.exfil_netcat", .sev = SEV_HIGH, .stage = STAGE_EXFILTRATION,
      .attack = { "T1048.003" }, .what = "data piped to a raw netcat connection", .cmd = NETCAT,
      .pipe_from = "cat|tar|zip|gzip|dd|base64|mysqldump|pg_dump", .not_arg = "-l|-lp|-lvp|-lvnp|-nlvp" },

    /* ---- lateral movement ----
     * A host this user never contacted is a novelty: an observation alone,
     * half as much when other users of this host reach it (alert.c). Copying
     * to another host is lateral tool transfer (T1570), not exfiltration:
     * the internal hosts admins copy among are where it goes. */
    { .id = "shell.tool_transfer", .sev = SEV_MEDIUM, .stage = STAGE_LATERAL_MOVEMENT,
      .attack = { "T1570" }, .what = "a file from a temp or hidden place copied to another host",
      .cmd = "scp|rsync", .arg = "/tmp/*|/dev/shm/*|/var/tmp/*|/run/shm/*|*/.?*", .flags = SR_UPLOAD },
    { .id = "shell.lateral_new_host", .sev = SEV_MEDIUM, .stage = STAGE_LATERAL_MOVEMENT,
      .attack = { "T1021.004" }, .what = "an SSH connection to a host this user never contacted",
      .cmd = "ssh|mosh|autossh|sftp", .flags = SR_NEW_REMOTE | SR_NOVELTY },
    { .id = "shell.copy_new_host", .sev = SEV_MEDIUM, .stage = STAGE_LATERAL_MOVEMENT,
      .attack = { "T1570" }, .what = "files copied to a host this user never used",
      .cmd = "scp|rsync|sftp", .flags = SR_NEW_REMOTE | SR_UPLOAD | SR_NOVELTY },
    { .id = "shell.lateral_new_host", .sev = SEV_MEDIUM, .stage = STAGE_LATERAL_MOVEMENT,
      .attack = { "T1021.004", "T1105" }, .what = "files fetched from a host this user never contacted",
      .cmd = "scp|rsync", .flags = SR_NEW_REMOTE | SR_DOWNLOAD | SR_NOVELTY },
};

const size_t shell_rules_count = sizeof(shell_rules) / sizeof(shell_rules[0]);
