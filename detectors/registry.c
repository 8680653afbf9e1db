/* registry.c - every detector, by its key under `detectors:`, and the core
 * that runs them: instances, dispatch by record kind, the event clock, and
 * snapshots of their baselines.
 *
 * The event clock (vg->event_now) only moves forward with record timestamps;
 * each time it crosses a minute boundary every detector gets tick(), and so
 * does the alert stream. So windows close and silences are noticed in event
 * time, and a replay with --once behaves exactly as the live run did.
 *
 * Snapshot file (native byte order; a file from another machine fails the
 * magic and is set aside):
 *   header  magic "VIGILSNP", u32 core version, u32 plugin snapshot_version,
 *           u64 budget seed
 * Core version 2 hashes keys with the multiply-mix hash, 1 with SipHash-1-3:
 * hashes are stored in snapshots (long keys, sets, template leaves), so the
 * first good snapshot decides the hash as it decides the seed, and the
 * snapshots are written back in its version. An install upgraded with
 * version 1 snapshots keeps SipHash and its baselines; a new one (or one
 * whose snapshots were all set aside) starts with the cheaper hash.
 *   body    whatever plugin->save wrote
 *   footer  u64 body length, u32 crc32 of header and body, magic "VEND"
 * Written to NAME.snap.tmp, fsynced, renamed over NAME.snap, directory
 * fsynced. The seed of the first good snapshot becomes the budget seed, so
 * hashes stored inside values (sets) stay valid across restarts.
 *
 * vg->detectors holds the instances, then one NULL-terminated list per record
 * kind of those that observe it (by_kind): a record calls only the detectors
 * that can act on its kind, without testing every one of them. */
#include "detectors/detector.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "detectors/baseline.h"
#include "sidecar/fsutil.h"
#include "sidecar/log.h"
#include "sidecar/vigil.h"

extern const struct detector_plugin detector_auth;
extern const struct detector_plugin detector_shell_rules;
extern const struct detector_plugin detector_shell_rarity;
extern const struct detector_plugin detector_incident;
extern const struct detector_plugin detector_egress;
extern const struct detector_plugin detector_audit;
extern const struct detector_plugin detector_app_volume;
extern const struct detector_plugin detector_templates;
extern const struct detector_plugin detector_user_volume;
extern const struct detector_plugin detector_sigma;

const struct detector_plugin *const detector_plugins[] = {
    &detector_auth,
    &detector_shell_rules,
    &detector_shell_rarity,
    &detector_sigma,
    &detector_app_volume,
    &detector_templates,
    &detector_user_volume,
    &detector_audit,
    &detector_egress,
    &detector_incident,
    NULL
};

#define SNAP_MAGIC        "VIGILSNP"
#define SNAP_END          "VEND"
#define SNAP_CORE_VERSION 2u   /* 1: SipHash-1-3 (still read and written, see above) */

struct snap_head {
    char magic[8];
    uint32_t core_version, plugin_version;
    uint64_t seed;
};

struct snap_foot {
    uint64_t body_len;
    uint32_t crc;
    char magic[4];
};

static const struct detector_conf *conf_of(struct vigil *vg, const struct detector_plugin *p)
{
    for (size_t i = 0; vg->conf && i < vg->conf->detectors.n; i++)
        if (vg->conf->detectors.d[i].plugin == p)
            return &vg->conf->detectors.d[i];
    return NULL;
}

/* The instance's ctx is its own copy of the configured ctx: option values
 * (strings included) stay owned by the config, state belongs to the detector. */
static int detector_start(struct detector *d)
{
    const struct detector_conf *dc = conf_of(d->vg, d->plugin);
    memset(d->ctx, 0, d->plugin->ctx_size);
    if (dc && dc->ctx)
        memcpy(d->ctx, dc->ctx, d->plugin->ctx_size);
    return d->plugin->init ? d->plugin->init(d) : 0;
}

static void detector_stop(struct detector *d)
{
    if (d->plugin->destroy)
        d->plugin->destroy(d);
}

/* The list of kind k, after the ndetectors instances (room for all, + NULL). */
static struct detector **by_kind(struct vigil *vg, unsigned k)
{
    return vg->detectors + vg->ndetectors + (size_t)k * (vg->ndetectors + 1);
}

/* Refills the per-kind lists from the enabled instances (init, and after a
 * detector was disabled). */
static void by_kind_build(struct vigil *vg)
{
    for (unsigned k = 0; k < KIND__COUNT; k++) {
        struct detector **l = by_kind(vg, k);
        for (size_t i = 0; i < vg->ndetectors; i++) {
            struct detector *d = vg->detectors[i];
            if (d->enabled && (d->plugin->kinds & KIND_BIT(k)) && d->plugin->observe)
                *l++ = d;
        }
        *l = NULL;
    }
}

int detectors_init(struct vigil *vg)
{
    const struct detectors_conf *dc = vg->conf ? &vg->conf->detectors : NULL;
    if (!vg->budget && !(vg->budget = calloc(1, sizeof(*vg->budget)))) {
        log_error("detectors: out of memory");
        return -1;
    }
    memset(vg->budget, 0, sizeof(*vg->budget));
    vg->budget->cap = dc && dc->memory_max ? dc->memory_max : DETECTOR_MEMORY_DEFAULT;
    if (getrandom(&vg->budget->seed, sizeof(vg->budget->seed), GRND_NONBLOCK) !=
        (ssize_t)sizeof(vg->budget->seed))
        vg->budget->seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid();
    if (!vg->alerts && !(vg->alerts = alert_stream_new(vg))) {
        log_error("detectors: out of memory for the alert stream");
        return -1;
    }
    /* detectors.enabled: false makes vigil a pure shipper: no detector runs. */
    size_t n = dc && dc->enabled ? dc->n : 0;
    /* the instances, then the per-kind lists (by_kind) */
    vg->detectors = calloc(n + KIND__COUNT * (n + 1), sizeof(*vg->detectors));
    if (!vg->detectors)
        goto nomem;
    vg->ndetectors = 0;
    for (size_t i = 0; i < n; i++) {
        if (!dc->d[i].enabled || !dc->d[i].plugin)
            continue;
        struct detector *d = calloc(1, sizeof(*d));
        if (!d)
            goto nomem;
        d->plugin = dc->d[i].plugin;
        d->vg = vg;
        d->enabled = true;
        d->ctx = calloc(1, d->plugin->ctx_size ? d->plugin->ctx_size : 1);
        if (!d->ctx) {
            free(d);
            goto nomem;
        }
        vg->detectors[vg->ndetectors++] = d;
        if (detector_start(d) < 0) {
            log_error("detectors.%s: could not start", d->plugin->name);
            return -1;
        }
    }
    /* the lists follow the instances that did start */
    by_kind_build(vg);
    return 0;
nomem:
    log_error("detectors: out of memory");
    return -1;
}

void detectors_observe(struct vigil *vg, const struct record *r)
{
    if (r->ts > vg->event_now) {
        int64_t before = vg->event_now;
        vg->event_now = r->ts;
        /* close windows before the record that is past them is counted */
        if (before && before / (60 * NS_PER_SEC) != r->ts / (60 * NS_PER_SEC))
            detectors_tick(vg, r->ts);
    }
    if ((unsigned)r->kind >= KIND__COUNT)
        return;
    for (struct detector **l = by_kind(vg, (unsigned)r->kind); *l; l++)
        (*l)->plugin->observe(*l, r);
}

void detectors_on_alert(struct vigil *vg, const struct alert *a)
{
    for (size_t i = 0; i < vg->ndetectors; i++) {
        struct detector *d = vg->detectors[i];
        if (d->enabled && d->plugin->on_alert)
            d->plugin->on_alert(d, a);
    }
}

void detectors_tick(struct vigil *vg, int64_t now)
{
    for (size_t i = 0; i < vg->ndetectors; i++) {
        struct detector *d = vg->detectors[i];
        if (d->enabled && d->plugin->tick)
            d->plugin->tick(d, now);
    }
    alert_stream_tick(vg);
}

/* ---- snapshots ---- */

static int snap_path(struct vigil *vg, const struct detector *d, const char *suffix, char *out,
                     size_t cap)
{
    const char *dir = vg->conf && vg->conf->service.state_dir ? vg->conf->service.state_dir : ".";
    int n = snprintf(out, cap, "%s/baselines/%s.snap%s", dir, d->plugin->name, suffix);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int ensure_dir(struct vigil *vg, char *dirbuf, size_t cap)
{
    const char *dir = vg->conf && vg->conf->service.state_dir ? vg->conf->service.state_dir : ".";
    int n = snprintf(dirbuf, cap, "%s/baselines", dir);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    return fs_private_dir(dirbuf);
}

/* crc32 of f from offset 0 to len (the body was streamed: read it back). */
static int file_crc(FILE *f, uint64_t len, uint32_t *crc)
{
    unsigned char b[65536];
    uLong c = crc32(0L, Z_NULL, 0);
    if (fseek(f, 0, SEEK_SET) < 0)
        return -1;
    while (len) {
        size_t want = len < sizeof(b) ? (size_t)len : sizeof(b);
        if (fread(b, 1, want, f) != want)
            return -1;
        c = crc32(c, b, (uInt)want);
        len -= want;
    }
    *crc = (uint32_t)c;
    return 0;
}

static int save_one(struct vigil *vg, struct detector *d)
{
    char dir[PATH_MAX_BYTES], tmp[PATH_MAX_BYTES], path[PATH_MAX_BYTES];
    FILE *f = NULL;
    struct snap_head h = { SNAP_MAGIC, vg->budget->sip ? 1u : SNAP_CORE_VERSION,
                           d->plugin->snapshot_version, vg->budget->seed };
    if (ensure_dir(vg, dir, sizeof(dir)) < 0 || snap_path(vg, d, "", path, sizeof(path)) < 0)
        return -1;
    int fd = fs_tmp_create(path, tmp, sizeof(tmp));
    if (fd < 0)
        return -1;
    f = fdopen(fd, "w+b");
    if (!f) {
        log_error("detectors.%s: fdopen(\"%s\"): %s", d->plugin->name, tmp, strerror(errno));
        fs_tmp_abort(fd, tmp);
        return -1;
    }
    if (fwrite(&h, sizeof(h), 1, f) != 1 || d->plugin->save(d, f) < 0 || fflush(f) != 0)
        goto fail;
    long end = ftell(f);
    struct snap_foot ft = { 0 };
    if (end < (long)sizeof(h) || file_crc(f, (uint64_t)end, &ft.crc) < 0 ||
        fseek(f, end, SEEK_SET) < 0)
        goto fail;
    ft.body_len = (uint64_t)end - sizeof(h);
    memcpy(ft.magic, SNAP_END, 4);
    if (fwrite(&ft, sizeof(ft), 1, f) != 1 || fflush(f) != 0)
        goto fail;
    /* fs_tmp_commit syncs and closes the fd; the FILE only wraps it */
    fd = dup(fileno(f));
    fclose(f);
    f = NULL;
    if (fd < 0)
        goto fail;
    if (fs_tmp_commit(fd, tmp, path, true) < 0) {
        log_error("detectors.%s: snapshot \"%s\" not saved", d->plugin->name, path);
        return -1;
    }
    return 0;
fail:
    log_error("detectors.%s: writing \"%s\": %s", d->plugin->name, tmp,
              errno ? strerror(errno) : "snapshot failed");
    if (f)
        fclose(f);
    unlink(tmp);
    return -1;
}

int detectors_save(struct vigil *vg)
{
    int rc = 0;
    for (size_t i = 0; i < vg->ndetectors; i++) {
        struct detector *d = vg->detectors[i];
        errno = 0;
        if (d->plugin->save && save_one(vg, d) < 0)
            rc = -1;
    }
    return rc;
}

/* Checks header, footer and crc; leaves f at the start of the body. Returns
 * NULL when good, else the reason. */
static const char *snap_check(struct vigil *vg, struct detector *d, FILE *f, bool *adopt_seed,
                              uint64_t *body_len)
{
    struct snap_head h;
    struct snap_foot ft;
    if (fseek(f, 0, SEEK_END) < 0)
        return "cannot seek";
    long size = ftell(f);
    if (size < (long)(sizeof(h) + sizeof(ft)))
        return "truncated";
    if (fseek(f, 0, SEEK_SET) < 0 || fread(&h, sizeof(h), 1, f) != 1)
        return "unreadable header";
    if (memcmp(h.magic, SNAP_MAGIC, 8) != 0)
        return "not a vigil snapshot";
    if ((h.core_version != SNAP_CORE_VERSION && h.core_version != 1) ||
        h.plugin_version != d->plugin->snapshot_version)
        return "old snapshot version";
    if (fseek(f, size - (long)sizeof(ft), SEEK_SET) < 0 || fread(&ft, sizeof(ft), 1, f) != 1 ||
        memcmp(ft.magic, SNAP_END, 4) != 0 ||
        ft.body_len != (uint64_t)size - sizeof(h) - sizeof(ft))
        return "truncated";
    uint32_t crc;
    if (file_crc(f, (uint64_t)size - sizeof(ft), &crc) < 0 || crc != ft.crc)
        return "checksum mismatch";
    bool sip = h.core_version == 1;
    if (h.seed != vg->budget->seed || sip != vg->budget->sip) {
        if (!*adopt_seed)
            return "hash seed differs from the other snapshots";
        vg->budget->seed = h.seed;
        vg->budget->sip = sip;
    }
    *adopt_seed = false;
    *body_len = ft.body_len;
    if (fseek(f, (long)sizeof(h), SEEK_SET) < 0)
        return "cannot seek";
    return NULL;
}

void detectors_load(struct vigil *vg)
{
    bool adopt_seed = true;
    for (size_t i = 0; i < vg->ndetectors; i++) {
        struct detector *d = vg->detectors[i];
        char path[PATH_MAX_BYTES];
        uint64_t body_len = 0;
        if (!d->plugin->load || snap_path(vg, d, "", path, sizeof(path)) < 0)
            continue;
        /* no symlink followed, no FIFO waited on: fs_open_state refuses them */
        int fd = fs_open_state(path, O_RDONLY);
        FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
        if (!f) {
            if (fd >= 0) {
                close(fd);
                continue;
            }
            if (errno == ENOENT)
                continue;
            if (errno == ELOOP || errno == EINVAL || errno == EPERM) {
                char who[64];
                snprintf(who, sizeof(who), "detectors.%s: snapshot", d->plugin->name);
                fs_set_aside(path, who, "not a regular file of vigil's");
            }
            continue;
        }
        const char *why = snap_check(vg, d, f, &adopt_seed, &body_len);
        if (!why) {
            if (d->plugin->load(d, f) < 0)
                why = "rejected by the detector";
            else if (ftell(f) != (long)(sizeof(struct snap_head) + body_len))
                why = "body length mismatch";
        }
        fclose(f);
        if (!why)
            continue;
        char who[64];
        snprintf(who, sizeof(who), "detectors.%s: snapshot", d->plugin->name);
        fs_set_aside(path, who, why);
        /* the detector may hold half a snapshot: rebuild it empty */
        detector_stop(d);
        if (detector_start(d) < 0) {
            log_error("detectors.%s: could not restart; disabled", d->plugin->name);
            d->enabled = false;
            by_kind_build(vg);
        }
    }
}

void detectors_free(struct vigil *vg)
{
    for (size_t i = 0; i < vg->ndetectors; i++) {
        struct detector *d = vg->detectors[i];
        if (d->enabled || d->plugin->destroy)
            detector_stop(d);
        free(d->ctx);
        free(d);
    }
    free(vg->detectors);
    vg->detectors = NULL;
    vg->ndetectors = 0;
    alert_stream_free(vg->alerts);
    vg->alerts = NULL;
    free(vg->budget);
    vg->budget = NULL;
}
