/* test_tail_model.c - model-based test of the file input: random sequences
 * (fixed seeds) of write, partial write, rename rotation, copytruncate,
 * delete, checkpoint, clean restart and crash restart on a few files, and
 * while stopped: rename rotation (to a name the globs no longer match, and
 * excluded) and copytruncate of a file whose first KiB is a banner every
 * rewrite starts with; checked after every step against a reference model
 * of what must come out:
 *   - every complete line exactly once, in write order per file;
 *   - a partial line held until completed, or emitted as written when its file
 *     is finished (rotated away, truncated, deleted);
 *   - after a crash (no checkpoint at stop) lines emitted since the last
 *     checkpoint may repeat; nothing else may. */
#include <sys/stat.h>

#include "pipeline_shim.h"
#include "sidecar/log.h"

#define NF 3

struct mline {
    char *s;
    bool dup_ok;
};

struct model {
    struct mline *e;                 /* expected, in order of emission */
    size_t n, cap;
    size_t ck;                       /* n at the last checkpoint */
    bool exists[NF];
    size_t after_banner[NF];         /* bytes written after the file's banner line */
    char *pending[NF];               /* full text of a partly written line */
    size_t pending_written[NF];
    unsigned seq, rot;
    unsigned rng;
};

static struct harness H;
static struct model M;
static bool many_restarts;           /* half the steps are clean restarts */

static unsigned rnd(unsigned n)
{
    M.rng = M.rng * 1103515245u + 12345u;
    return (M.rng >> 8) % n;
}

static void expect(const char *s, size_t len)
{
    if (M.n == M.cap) {
        M.cap = M.cap ? M.cap * 2 : 256;
        M.e = realloc(M.e, M.cap * sizeof(*M.e));
    }
    M.e[M.n].s = strndup(s, len);
    M.e[M.n].dup_ok = false;
    M.n++;
}

static char *new_line(void)
{
    char *s = malloc(96);
    int n = snprintf(s, 96, "n%06u|", M.seq++);
    unsigned pad = rnd(60);
    for (unsigned i = 0; i < pad; i++)
        s[n++] = (char)('a' + rnd(26));
    s[n] = '\0';
    return s;
}

static void fname(unsigned f, char *out, size_t cap)
{
    char n[32];
    snprintf(n, sizeof(n), "f%u.log", f);
    h_path(&H, out, cap, n);
}

static void expect(const char *s, size_t len);

/* Every new file starts with the same line of more than 1 KiB, as many
 * applications write a banner: the fingerprint of the first KiB cannot
 * tell two generations of a file apart. */
static const char *banner(void)
{
    static char b[1200];
    if (!b[0]) {
        memcpy(b, "BANNER ", 7);
        for (size_t i = 7; i < sizeof(b) - 2; i++)
            b[i] = (char)('a' + i % 26);
        b[sizeof(b) - 2] = '\n';
    }
    return b;
}

static void fappend(unsigned f, const char *s, size_t n)
{
    char p[512];
    fname(f, p, sizeof(p));
    FILE *fp = fopen(p, "a");
    cr_assert(fp);
    if (!M.exists[f]) {
        size_t bl = strlen(banner());
        cr_assert_eq(fwrite(banner(), 1, bl, fp), bl);
        expect(banner(), bl - 1);
        M.after_banner[f] = 0;
    }
    cr_assert_eq(fwrite(s, 1, n, fp), n);
    M.after_banner[f] += n;
    fclose(fp);
    M.exists[f] = true;
}

/* The file's held partial line is emitted as written when it is finished. */
static void finish_pending(unsigned f)
{
    if (M.pending[f]) {
        expect(M.pending[f], M.pending_written[f]);
        free(M.pending[f]);
        M.pending[f] = NULL;
    }
}

static void op_write(unsigned f)
{
    unsigned k = 1 + rnd(4);
    if (M.pending[f]) {
        char *p = M.pending[f];
        size_t w = M.pending_written[f], len = strlen(p);
        fappend(f, p + w, len - w);
        fappend(f, "\n", 1);
        expect(p, len);
        free(p);
        M.pending[f] = NULL;
    }
    for (unsigned i = 0; i < k; i++) {
        char *s = new_line();
        size_t len = strlen(s);
        s[len] = '\n';
        fappend(f, s, len + 1);
        expect(s, len);
        free(s);
    }
}

static void op_partial(unsigned f)
{
    if (M.pending[f])
        return op_write(f);
    char *s = new_line();
    size_t len = strlen(s);
    size_t w = 8 + rnd((unsigned)(len - 8 + 1));   /* the id is always written */
    if (w > len)
        w = len;
    fappend(f, s, w);
    M.pending[f] = s;
    M.pending_written[f] = w;
}

static void op_rotate(unsigned f)
{
    char a[512], b[600];
    if (!M.exists[f])
        return;
    fname(f, a, sizeof(a));
    snprintf(b, sizeof(b), "%s.%u", a, M.rot++);
    cr_assert_eq(rename(a, b), 0);
    M.exists[f] = false;
    finish_pending(f);
}

static bool truncations_reach(struct harness *h);
static uint64_t want_truncations;

static bool truncations_reach(struct harness *h)
{
    return h->in.stats.truncations >= want_truncations;
}

static void op_truncate(unsigned f)
{
    char a[512];
    struct stat st;
    if (!M.exists[f])
        return;
    fname(f, a, sizeof(a));
    if (stat(a, &st) < 0 || st.st_size == 0)
        return;
    want_truncations = H.in.stats.truncations + 1;
    cr_assert_eq(truncate(a, 0), 0);
    finish_pending(f);
    /* copytruncate loses what is written before the tailer notices: wait */
    h_wait(&H, truncations_reach);
    cr_assert_geq(H.in.stats.truncations, want_truncations, "truncation not seen");
}

static void op_delete(unsigned f)
{
    char a[512];
    if (!M.exists[f])
        return;
    fname(f, a, sizeof(a));
    cr_assert_eq(unlink(a), 0);
    M.exists[f] = false;
    finish_pending(f);
}

static void op_checkpoint(void)
{
    cr_assert_eq(input_file.checkpoint(&H.in), 0);
    M.ck = M.n;
}

/* While stopped: lines written, the file renamed to f.log.N (no longer
 * matched by the glob, and excluded), lines written to a new file. */
static void stopped_rotate(unsigned f)
{
    if (!M.exists[f])
        return;
    op_write(f);
    op_rotate(f);
    op_write(f);
}

/* While stopped: copytruncate, then the application starts its file again
 * with the same banner and new lines, past the old offset. What was
 * written of a partial line is gone with the truncation. */
static void stopped_copytruncate(unsigned f)
{
    char a[512];
    if (!M.exists[f] || M.after_banner[f] == 0)
        return;
    fname(f, a, sizeof(a));
    cr_assert_eq(truncate(a, 0), 0);
    free(M.pending[f]);
    M.pending[f] = NULL;
    M.exists[f] = false;              /* the next write starts with the banner */
    for (int i = 0; i < 12; i++)
        op_write(f);
}

static void op_restart(bool crash)
{
    h_down(&H, !crash);
    if (crash) {
        for (size_t i = M.ck; i < M.n; i++)
            M.e[i].dup_ok = true;
    } else {
        M.ck = M.n;
        unsigned f = rnd(NF), what = rnd(3);
        if (what == 1)
            stopped_rotate(f);
        else if (what == 2)
            stopped_copytruncate(f);
    }
    h_up(&H);
}

/* got, with repeats of dup_ok lines removed, must equal the expectation. */
static size_t dedup_len(bool check)
{
    size_t k = 0;
    for (size_t i = 0; i < shim_n; i++) {
        const char *g = shim_lines[i].p;
        if (k < M.n && strcmp(g, M.e[k].s) == 0) {
            k++;
            continue;
        }
        /* a repeat: allowed only for lines emitted since the checkpoint before a crash */
        bool ok = false;
        for (size_t j = 0; j < k && !ok; j++)
            ok = M.e[j].dup_ok && strcmp(g, M.e[j].s) == 0;
        if (check)
            cr_assert(ok, "unexpected line %zu \"%s\" (want #%zu \"%s\")", i, g, k,
                      k < M.n ? M.e[k].s : "(end)");
        if (!ok)
            return (size_t)-1;
    }
    return k;
}

static bool converged(struct harness *h)
{
    (void)h;
    return dedup_len(false) == M.n;
}

static void check(const char *what)
{
    h_wait(&H, converged);
    h_run(&H, 20);
    size_t k = dedup_len(true);
    cr_assert_eq(k, M.n, "after %s: %zu of %zu expected lines arrived", what, k, M.n);
}

static void run_seed(unsigned seed, int steps)
{
    memset(&M, 0, sizeof(M));
    M.rng = seed;
    h_glob(&H, "*.log");
    h_exclude(&H, "*.[0-9]");
    h_up(&H);
    for (int i = 0; i < steps; i++) {
        unsigned f = rnd(NF), op = rnd(100);
        if (many_restarts && rnd(2))
            op = 90;
        const char *what;
        if (op < 40) {
            what = "write";
            op_write(f);
        } else if (op < 58) {
            what = "partial";
            op_partial(f);
        } else if (op < 68) {
            what = "rotate";
            op_rotate(f);
        } else if (op < 76) {
            what = "truncate";
            op_truncate(f);
        } else if (op < 83) {
            what = "delete";
            op_delete(f);
        } else if (op < 90) {
            what = "checkpoint";
            op_checkpoint();
        } else if (op < 95) {
            what = "restart";
            op_restart(false);
        } else {
            what = "crash";
            op_restart(true);
        }
        check(what);
    }
    cr_assert_eq(H.in.stats.files_open, (uint64_t)(M.exists[0] + M.exists[1] + M.exists[2]));
    for (size_t i = 0; i < M.n; i++)
        free(M.e[i].s);
    free(M.e);
    for (unsigned f = 0; f < NF; f++)
        free(M.pending[f]);
}

static void setup(void)
{
    log_threshold = LOG_ERROR;
    h_setup(&H);
}

static void teardown(void)
{
    h_teardown(&H);
}

TestSuite(tail_model, .init = setup, .fini = teardown, .timeout = 60);

Test(tail_model, seed_1) { run_seed(1, 60); }
Test(tail_model, seed_2) { run_seed(2, 60); }
Test(tail_model, seed_3) { run_seed(3, 60); }
Test(tail_model, seed_4_poll_only)
{
    H.ctx.opt.watch = WATCH_POLL;
    run_seed(4, 60);
}
Test(tail_model, seed_5_rotate_wait)
{
    H.ctx.opt.rotate_wait_ms = 100;
    run_seed(5, 60);
}
/* mostly restarts: rotation and copytruncate while stopped, many times */
Test(tail_model, seed_6_restarts)
{
    many_restarts = true;
    run_seed(6, 80);
}
Test(tail_model, seed_7_restarts_poll_only)
{
    many_restarts = true;
    H.ctx.opt.watch = WATCH_POLL;
    run_seed(7, 80);
}
