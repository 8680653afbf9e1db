/* shell_rarity.c - commands unusual for a user (`detectors.shell_rarity`).
 * For every command of a shell line (each segment, see shell_line.h) it
 * counts the program (argv0) and its shape (argv0 with flags kept and the
 * other arguments reduced to classes: P path, N number or address, W word)
 * per user and for the whole host. After learning, a program the user never
 * ran is weighed by its host-wide count: never seen on the host ->
 * shell.rare_command, low (medium when run from a temp or hidden path);
 * rare on the host (<= rare_max) -> shell.new_command, low; common on the
 * host -> shell.new_command, info. A program the user ran at least 5 times,
 * in a shape nobody on the host used, is shell.new_command, info. Quiet
 * while the detector or the user is younger than the learning period. */
#include <stddef.h>
#include <string.h>

#include "detectors/dutil.h"
#include "detectors/match.h"
#include "detectors/shell_line.h"

#define SHAPE_BYTES 120

struct rar_ctx {
    int64_t rare_max;                  /* options */
    struct bl_table *users;            /* user -> nothing (age) */
    struct bl_table *user_cmd;         /* "c" user \x1f argv0 | "s" user \x1f shape */
    struct bl_table *host_cmd;         /* "c" argv0 | "s" shape */
    int64_t first_ts;
    char masked[512];
};

static const struct conf_option rar_options[] = {
    { "rare_max", CONF_INT, "5", offsetof(struct rar_ctx, rare_max), 0, 1000000,
      "a program new for the user that ran at most this many times on the host (by anyone) "
      "is low; more often, info" },
    { 0 }
};

static size_t shape_of(const struct shl_line *l, unsigned seg, char *out, size_t cap)
{
    size_t o = 0;
    for (unsigned i = 0; i < l->seg[seg].nw && o + 4 < cap; i++) {
        struct span w = i ? shl_arg(l, seg, i) : shl_argv0(l, seg);
        if (i)
            out[o++] = ' ';
        if (i && w.len && w.p[0] == '-') {
            size_t n = 0;
            while (n < w.len && n < 20 && w.p[n] != '=')
                n++;
            if (o + n >= cap)
                break;
            for (size_t k = 0; k < n; k++)   /* -j4 and -j8 are one shape */
                out[o++] = (w.p[k] >= '0' && w.p[k] <= '9') ? 'N' : w.p[k];
            continue;
        }
        if (!i) {
            size_t n = w.len < 32 ? w.len : 32;
            if (o + n >= cap)
                break;
            memcpy(out + o, w.p, n);
            o += n;
            continue;
        }
        bool digits = w.len > 0, slash = false;
        for (size_t k = 0; k < w.len; k++) {
            char ch = w.p[k];
            slash |= ch == '/' || ch == '~';
            digits &= (ch >= '0' && ch <= '9') || ch == '.' || ch == ':';
        }
        out[o++] = slash ? 'P' : digits ? 'N' : 'W';
    }
    return o;
}

/* /tmp/x, /dev/shm/.agent, ./.hidden: where downloaded tools are run from. */
static bool runs_from_drop_dir(struct span path)
{
    static const char *const dirs[] = { "/tmp/", "/dev/shm/", "/var/tmp/", "/run/user/" };
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        size_t n = strlen(dirs[i]);
        if (path.len > n && memcmp(path.p, dirs[i], n) == 0)
            return true;
    }
    const char *base = path.p;
    for (size_t i = 0; i < path.len; i++)
        if (path.p[i] == '/')
            base = path.p + i + 1;
    return base < path.p + path.len && base[0] == '.' && base != path.p;
}

static uint32_t count_of(const struct bl_budget *bg, struct bl_table *t, char kind, struct span a,
                         struct span b, int64_t now, bool bump)
{
    char key[BASELINE_KEY_BUF + 1];
    struct span k;
    key[0] = kind;
    if (b.p)
        k = dutil_pair(bg, key + 1, a, b);
    else
        k = span_make(key + 1, bl_key_part(bg, key + 1, BASELINE_KEY_BUF, a));
    k = span_make(key, k.len + 1);
    struct bl_head *h = bl_lookup(t, k, now, bump, bump);
    if (!h)
        return 0;
    return bump ? h->hits - 1 : h->hits;
}

static void rar_observe(struct detector *d, const struct record *r)
{
    struct rar_ctx *c = d->ctx;
    struct span user = record_str(r, RK_USER);
    if (!user.len)
        user = SPAN_LIT("unknown");
    struct span cmd = record_str(r, RK_COMMAND);
    if (!cmd.len)
        cmd = r->raw;
    if (!cmd.len)
        return;
    if (!c->first_ts || r->ts < c->first_ts)
        c->first_ts = r->ts;
    struct bl_head *uh = bl_lookup(c->users, user, r->ts, true, true);
    if (!uh)
        return;
    int64_t learn = dutil_learning_ns(d);
    bool learned = r->ts - c->first_ts >= learn && r->ts - uh->first_seen >= learn;
    const struct shl_line *l = shl_parse_shared(cmd);
    bool masked = false;
    for (unsigned s = 0; s < l->nsegs; s++) {
        struct span a0 = shl_argv0(l, s);
        if (!a0.len)
            continue;
        char shape_buf[SHAPE_BYTES];
        struct span shape = span_make(shape_buf, shape_of(l, s, shape_buf, sizeof(shape_buf)));
        uint32_t mine = count_of(d->vg->budget, c->user_cmd, 'c', user, a0, r->ts, true);
        uint32_t host = count_of(d->vg->budget, c->host_cmd, 'c', a0, SPAN_NULL, r->ts, true);
        uint32_t mine_shape = count_of(d->vg->budget, c->user_cmd, 's', user, shape, r->ts, true);
        uint32_t host_shape = count_of(d->vg->budget, c->host_cmd, 's', shape, SPAN_NULL, r->ts, true);
        if (!learned)
            continue;
        enum severity sev;
        const char *why;
        if (mine == 0) {
            /* A program nobody here ever ran is worth a look (low); one run
             * from a temporary or hidden place is what dropped tools look like. */
            sev = host == 0 ? (runs_from_drop_dir(shl_arg(l, s, 0)) ? SEV_MEDIUM : SEV_LOW)
                  : host <= (uint32_t)c->rare_max ? SEV_LOW : SEV_INFO;
            why = "program";
        } else if (mine_shape == 0 && host_shape == 0 && mine >= 5) {
            sev = SEV_INFO;
            why = "shape";
        } else {
            continue;
        }
        if (!masked) {
            mask_secrets(cmd, c->masked, sizeof(c->masked));
            masked = true;
        }
        static const char *const att[3] = { "T1059.004" };
        struct alert a;
        dutil_alert(&a, r, why[0] == 'p' && host == 0 ? "shell.rare_command" : "shell.new_command", "shell_rarity",
                    sev, STAGE_EXECUTION, att);
        a.score = 1.0 / (1.0 + host);
        a.entity.user = user;
        a.entity.command = a0;
        if (why[0] == 'p')
            alert_printf(&a, "%.*s ran %.*s for the first time (`%s`); on this host it ran %u time%s before, by anyone",
                         DSPAN(user, 64), DSPAN(a0, 64), c->masked, host, host == 1 ? "" : "s");
        else
            alert_printf(&a, "%.*s ran %.*s in a shape never seen on this host: %.*s (%.*s ran it %u times before)",
                         DSPAN(user, 64), DSPAN(a0, 64), DSPAN(shape, SHAPE_BYTES), DSPAN(user, 64), mine);
        alert_evidence(&a, span_cstr(c->masked));
        /* a first program is an observation (raised by other signals on the
         * user), except one run from where dropped tools live */
        a.novelty = !(sev == SEV_MEDIUM && why[0] == 'p');
        a.peer_known = host > 0;
        alert_emit(d->vg, &a);
    }
}

static int rar_init(struct detector *d)
{
    struct rar_ctx *c = d->ctx;
    c->users = bl_table_new(d->vg->budget, "shell_rarity.users", 0, 0);
    c->user_cmd = bl_table_new(d->vg->budget, "shell_rarity.user_cmd", 0, 0);
    c->host_cmd = bl_table_new(d->vg->budget, "shell_rarity.host_cmd", 0, 0);
    return c->users && c->user_cmd && c->host_cmd ? 0 : -1;
}

static void rar_destroy(struct detector *d)
{
    struct rar_ctx *c = d->ctx;
    bl_table_free(c->users);
    bl_table_free(c->user_cmd);
    bl_table_free(c->host_cmd);
}

static int rar_snapshot(struct detector *d, FILE *f, bool save)
{
    struct rar_ctx *c = d->ctx;
    const struct dutil_field fields[] = { DUTIL_FIELD(c->first_ts) };
    struct bl_table *const tables[] = { c->users, c->user_cmd, c->host_cmd };
    return dutil_snapshot(f, save, fields, DUTIL_COUNT(fields), tables, DUTIL_COUNT(tables));
}

static int rar_save(struct detector *d, FILE *f)
{
    return rar_snapshot(d, f, true);
}

static int rar_load(struct detector *d, FILE *f)
{
    return rar_snapshot(d, f, false);
}

const struct detector_plugin detector_shell_rarity = {
    .name = "shell_rarity",
    .options = rar_options,
    .ctx_size = sizeof(struct rar_ctx),
    .kinds = KIND_BIT(KIND_SHELL),
    .init = rar_init,
    .observe = rar_observe,
    .save = rar_save,
    .load = rar_load,
    .destroy = rar_destroy,
    .snapshot_version = 1,
};
