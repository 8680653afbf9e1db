/* test_tail_guard.c - what a hostile writer of the log folder can make the
 * file input read (symlinks out of the folder, /proc, special files), and
 * more files than descriptors (idle files parked, reopened by identity). */
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "pipeline_shim.h"
#include "sidecar/log.h"

static struct harness H;

static void setup(void)
{
    log_threshold = LOG_OFF;
    h_setup(&H);
}

static void teardown(void)
{
    h_teardown(&H);
}

TestSuite(guard, .init = setup, .fini = teardown, .timeout = 30);

static bool shipped(const char *needle)
{
    for (size_t i = 0; i < shim_n; i++)
        if (strstr(shim_lines[i].p, needle))
            return true;
    return false;
}

/* A secret outside the log folder, a symlink to it and one to procfs in the
 * folder, a symlink to a file inside the folder, and one plain file. */
static void plant(void)
{
    char logs[512], secret[512], link[512], target[512];
    h_path(&H, logs, sizeof(logs), "logs");
    cr_assert_eq(mkdir(logs, 0755), 0);
    h_path(&H, secret, sizeof(secret), "token");
    fwrite_path(&H, "token", "w", "SECRET-TOKEN\n", 13);
    chmod(secret, 0600);
    h_path(&H, link, sizeof(link), "logs/token.log");
    cr_assert_eq(symlink(secret, link), 0);
    h_path(&H, link, sizeof(link), "logs/env.log");
    cr_assert_eq(symlink("/proc/self/environ", link), 0);
    h_path(&H, link, sizeof(link), "logs/stat.log");
    cr_assert_eq(symlink("/proc/self/stat", link), 0);
    h_path(&H, target, sizeof(target), "logs/sub");
    cr_assert_eq(mkdir(target, 0755), 0);
    fwrite_path(&H, "logs/sub/inner.txt", "w", "INNER\n", 6);
    h_path(&H, target, sizeof(target), "logs/sub/inner.txt");
    h_path(&H, link, sizeof(link), "logs/inner.log");
    cr_assert_eq(symlink(target, link), 0);
    fwrite_path(&H, "logs/plain.log", "w", "PLAIN\n", 6);
    h_glob(&H, "logs/*.log");
}

Test(guard, inside_refuses_symlinks_out_of_the_folder_and_procfs)
{
    plant();
    h_up(&H);
    h_wait_lines(&H, 2);
    h_run(&H, 300);                   /* several polls and scans */
    cr_assert(shipped("PLAIN"));
    cr_assert(shipped("INNER"), "a symlink to a file inside the folder is followed");
    cr_assert(!shipped("SECRET"), "a symlink out of the folder was followed");
    cr_assert_eq(shim_n, 2, "%zu lines: procfs read?", shim_n);
    cr_assert_eq(H.in.stats.files_open, 2);
    cr_assert_eq(H.in.stats.files_refused, 3, "refusals counted once each: %lu",
                 (unsigned long)H.in.stats.files_refused);
}

Test(guard, none_refuses_every_symlink)
{
    plant();
    H.ctx.opt.follow_symlinks = FOLLOW_NONE;
    h_up(&H);
    h_wait_lines(&H, 1);
    h_run(&H, 200);
    cr_assert_eq(shim_n, 1);
    cr_assert_str_eq(L(0), "PLAIN");
    cr_assert_eq(H.in.stats.files_refused, 4);
}

Test(guard, all_follows_out_of_the_folder_but_never_into_proc)
{
    plant();
    H.ctx.opt.follow_symlinks = FOLLOW_ALL;
    h_up(&H);
    h_wait_lines(&H, 3);
    h_run(&H, 300);
    cr_assert(shipped("SECRET"));
    cr_assert(shipped("INNER"));
    cr_assert(shipped("PLAIN"));
    cr_assert_eq(shim_n, 3, "%zu lines: procfs read?", shim_n);
    cr_assert_eq(H.in.stats.files_refused, 2);
}

Test(guard, a_glob_into_proc_is_refused_whatever_the_option)
{
    H.ctx.opt.follow_symlinks = FOLLOW_ALL;
    H.paths[H.ctx.opt.paths.n++] = strdup("/proc/self/environ");
    H.paths[H.ctx.opt.paths.n++] = strdup("/proc/self/st*");
    H.ctx.opt.paths.v = H.paths;
    h_up(&H);
    h_run(&H, 300);
    cr_assert_eq(shim_n, 0);
    cr_assert_geq(H.in.stats.files_refused, 2);
}

Test(guard, a_symlinked_subfolder_pointing_out_is_refused)
{
    char logs[512], out[512], link[512];
    h_path(&H, logs, sizeof(logs), "logs");
    h_path(&H, out, sizeof(out), "elsewhere");
    mkdir(logs, 0755);
    mkdir(out, 0755);
    fwrite_path(&H, "elsewhere/x.log", "w", "OUTSIDE\n", 8);
    h_path(&H, link, sizeof(link), "logs/d");
    cr_assert_eq(symlink(out, link), 0);
    fwrite_path(&H, "logs/a.log", "w", "A\n", 2);
    h_glob(&H, "logs/*/*.log");
    h_glob(&H, "logs/*.log");
    h_up(&H);
    h_wait_lines(&H, 1);
    h_run(&H, 200);
    cr_assert_eq(shim_n, 1);
    cr_assert_str_eq(L(0), "A");
    cr_assert_eq(H.in.stats.files_refused, 1);
}

Test(guard, a_symlink_switched_out_of_the_folder_is_not_followed)
{
    char logs[512], t1[512], link[512], tmp[512], secret[512];
    h_path(&H, logs, sizeof(logs), "logs");
    mkdir(logs, 0755);
    fwrite_path(&H, "logs/t1.txt", "w", "T1\n", 3);
    fwrite_path(&H, "token", "w", "SECRET\n", 7);
    h_path(&H, t1, sizeof(t1), "logs/t1.txt");
    h_path(&H, secret, sizeof(secret), "token");
    h_path(&H, link, sizeof(link), "logs/cur.log");
    h_path(&H, tmp, sizeof(tmp), "logs/cur.tmp");
    cr_assert_eq(symlink(t1, link), 0);
    h_glob(&H, "logs/*.log");
    h_up(&H);
    h_wait_lines(&H, 1);
    cr_assert_eq(symlink(secret, tmp), 0);
    cr_assert_eq(rename(tmp, link), 0);
    h_run(&H, 500);
    cr_assert_eq(shim_n, 1);
    cr_assert(!shipped("SECRET"));
    cr_assert_eq(H.in.stats.files_refused, 1);
}

/* /home/ * /.bash_history: every user writes their own folder; alice's
 * history may lead below her folder, never to bob's */
Test(guard, a_symlink_may_not_leave_its_own_folder)
{
    char p[512], t[512];
    const char *dirs[] = { "home", "home/alice", "home/alice/real", "home/bob", NULL };
    for (int i = 0; dirs[i]; i++) {
        h_path(&H, p, sizeof(p), dirs[i]);
        cr_assert_eq(mkdir(p, 0755), 0);
    }
    fwrite_path(&H, "home/bob/notes", "w", "BOB-SECRET\n", 11);
    fwrite_path(&H, "home/alice/real/h", "w", "alice-1\n", 8);
    fwrite_path(&H, "home/carol.hist", "w", "x\n", 2);
    h_path(&H, p, sizeof(p), "home/bob/hist");
    h_path(&H, t, sizeof(t), "home/bob/notes");
    cr_assert_eq(symlink("notes", p), 0);       /* bob's own file: fine */
    h_path(&H, p, sizeof(p), "home/alice/hist");
    h_path(&H, t, sizeof(t), "home/alice/real/h");
    cr_assert_eq(symlink(t, p), 0);
    h_path(&H, p, sizeof(p), "home/alice/hist2");
    h_path(&H, t, sizeof(t), "home/bob/notes");
    cr_assert_eq(symlink(t, p), 0);
    h_glob(&H, "home/*/hist*");
    h_up(&H);
    h_wait_lines(&H, 2);
    h_run(&H, 200);
    cr_assert_eq(shim_n, 2);
    cr_assert(shipped("alice-1"));
    for (size_t i = 0; i < shim_n; i++)
        if (strcmp(L(i), "BOB-SECRET") == 0)
            cr_assert_str_eq(shim_lines[i].path + strlen(shim_lines[i].path) - 8, "bob/hist",
                             "bob's notes read through %s", shim_lines[i].path);
    cr_assert_eq(H.in.stats.files_refused, 1);
}

Test(guard, fifo_and_device_are_never_opened)
{
    char f[512], d[512];
    h_path(&H, f, sizeof(f), "fifo.log");
    cr_assert_eq(mkfifo(f, 0600), 0);
    h_path(&H, d, sizeof(d), "null.log");
    cr_assert_eq(symlink("/dev/zero", d), 0);
    fwrite_path(&H, "ok.log", "w", "ok\n", 3);
    H.ctx.opt.follow_symlinks = FOLLOW_ALL;
    h_glob(&H, "*.log");
    h_up(&H);                         /* a FIFO opened without O_NONBLOCK would hang here */
    h_wait_lines(&H, 1);
    cr_assert_eq(shim_n, 1);
    cr_assert_eq(H.in.stats.files_refused, 2);
}

/* --- more files than descriptors --- */

static size_t want_n;
static bool enough(struct harness *h)
{
    (void)h;
    return shim_n >= want_n;
}

static void lower_limit(rlim_t n)
{
    struct rlimit rl;
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    rl.rlim_cur = n;
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
}

static size_t count_prefix(const char *p)
{
    size_t n = 0;
    for (size_t i = 0; i < shim_n; i++)
        n += strncmp(shim_lines[i].p, p, strlen(p)) == 0;
    return n;
}

Test(guard, more_files_than_descriptors_loses_nothing)
{
    enum { N = 300 };
    char name[64], line[64];
    lower_limit(128);                 /* 64 reserved: 64 for followed files */
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "f%03d.log", i);
        int n = snprintf(line, sizeof(line), "first-%03d\n", i);
        fwrite_path(&H, name, "w", line, (size_t)n);
    }
    h_glob(&H, "*.log");
    h_up(&H);
    size_t share = tail_budget_share();
    cr_assert_eq(share, 64);
    want_n = N;
    h_wait(&H, enough);
    cr_assert_eq(count_prefix("first-"), N, "%zu of %d first lines", count_prefix("first-"), N);
    cr_assert_eq(H.in.stats.files_open, N);
    cr_assert_leq(H.ctx.ti->nopen, share);
    cr_assert_geq(H.in.stats.files_parked, N - share);
    /* every file grows while most are parked: each is reopened and read */
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "f%03d.log", i);
        int n = snprintf(line, sizeof(line), "second-%03d\n", i);
        fwrite_path(&H, name, "a", line, (size_t)n);
    }
    want_n = 2 * N;
    h_wait(&H, enough);
    cr_assert_eq(count_prefix("second-"), N, "%zu of %d second lines", count_prefix("second-"), N);
    cr_assert_geq(H.in.stats.files_reopened, N - share);
    cr_assert_leq(H.ctx.ti->nopen, share);
    /* a parked file grows and is renamed out of the glob before vigil looks:
     * found by identity in its folder and read to its end */
    h_run(&H, 100);
    char a[512], a1[512];
    h_path(&H, a, sizeof(a), "f000.log");
    h_path(&H, a1, sizeof(a1), "f000.old");
    bool was_parked = false;
    for (struct tail_file *tf = H.ctx.ti->files; tf; tf = tf->next)
        if (strcmp(tf->path, a) == 0)
            was_parked = tf->fd < 0;
    cr_assert(was_parked, "f000.log grew least recently: it should be parked");
    fwrite_path(&H, "f000.log", "a", "late-000\n", 9);
    cr_assert_eq(rename(a, a1), 0);
    fwrite_path(&H, "f000.log", "w", "new-000\n", 8);
    want_n = 2 * N + 2;
    h_wait(&H, enough);
    h_run(&H, 200);
    cr_assert_eq(count_prefix("late-000"), 1, "late line of a renamed %s file", was_parked ? "parked" : "open");
    cr_assert_eq(count_prefix("new-000"), 1);
    /* copytruncate of a parked file, rewritten past its offset */
    h_run(&H, 200);
    fwrite_path(&H, "f001.log", "w", "first-001\nrewritten-001-and-longer\n", 36);
    want_n = 2 * N + 4;
    h_wait(&H, enough);
    h_run(&H, 200);
    cr_assert_eq(count_prefix("rewritten-001"), 1);
    /* restart: nothing read again, then a third line each */
    size_t before = shim_n;
    h_down(&H, true);
    h_up(&H);
    h_run(&H, 300);
    cr_assert_eq(shim_n, before, "%zu lines read again after a restart", shim_n - before);
    for (int i = 2; i < N; i++) {
        snprintf(name, sizeof(name), "f%03d.log", i);
        int n = snprintf(line, sizeof(line), "third-%03d\n", i);
        fwrite_path(&H, name, "a", line, (size_t)n);
    }
    want_n = before + N - 2;
    h_wait(&H, enough);
    h_run(&H, 200);
    cr_assert_eq(count_prefix("third-"), N - 2);
    cr_assert_eq(shim_n, before + N - 2);
}
