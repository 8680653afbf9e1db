/* test_tail_model.c - model-based test of the file input: random sequences
 * (fixed seeds) of write, partial write, rename rotation, copytruncate,
 * delete, checkpoint, clean restart and crash restart on a few files, checked
 * after every step against a reference model of what must come out:
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
    char *pending[NF];               /* full text of a partly written line */
    size_t pending_written[NF];
    unsigned seq, rot;
    unsigned rng;
};

static struct harness H;
static struct model M;

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

static void fappend(unsigned f, const char *s, size_t n)
{
    char p[512];
    fname(f, p, sizeof(p));
    FILE *fp = fopen(p, "a");
    cr_assert(fp);
    cr_assert_eq(fwrite(s, 1, n, fp), n);
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

static void op_restart(bool crash)
{
    h_down(&H, !crash);
    if (crash) {
        for (size_t i = M.ck; i < M.n; i++)
            M.e[i].dup_ok = true;
    } else {
        M.ck = M.n;
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
    h_up(&H);
    for (int i = 0; i < steps; i++) {
        unsigned f = rnd(NF), op = rnd(100);
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
