/* main.c - vigil's command line: arguments, signals, start, drain, exit.
 * Everything else lives behind vigil_init/vigil_start/vigil_stop. */
#include <event2/event.h>
#include <event2/thread.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "detectors/detector.h"
#include "outputs/output.h"
#include "sidecar/fdlimit.h"
#include "sidecar/healthcheck.h"
#include "sidecar/inputs/input.h"
#include "sidecar/log.h"
#include "sidecar/module.h"
#include "sidecar/stats.h"
#include "sidecar/version.h"
#include "sidecar/vigil.h"

enum exit_code {
    EXIT_OK = 0,        /* clean stop, or --once finished, or --validate passed */
    EXIT_CONFIG = 1,    /* the configuration is invalid (errors on stderr) */
    EXIT_USAGE = 2,     /* bad command line */
    EXIT_RUNTIME = 3,   /* could not start, or events left with nowhere to go */
    EXIT_SIGNAL = 4,    /* a second stop signal: exited at once */
};

static const char usage_text[] =
    "usage: vigil [-c FILE] [--validate] [--once] [--stats] [--healthcheck] [--version] [--help]\n"
    "\n"
    "Tails logs, detects intrusions locally, ships compressed batches.\n"
    "\n"
    "  -c, --config FILE   configuration (default " VIGIL_DEFAULT_CONFIG ")\n"
    "      --validate      check the configuration, print the effective config\n"
    "                      (secrets masked) or the errors, exit 0 or 1\n"
    "      --once          read every input from its start position to its end,\n"
    "                      flush every output, commit checkpoints, exit\n"
    "      --stats         at exit, print time and counts per pipeline stage\n"
    "      --healthcheck   ask the running vigil's GET /healthz (service.http);\n"
    "                      exit 0 when healthy (for container HEALTHCHECKs)\n"
    "      --list-options [TYPE]\n"
    "                      print the options of every (or one) plugin\n"
    "  -V, --version       print the version\n"
    "  -h, --help          this text\n"
    "\n"
    "Alerts go to stdout; vigil's own diagnostics go to stderr, one logfmt line each.\n"
    "Signals: SIGTERM/SIGINT stop (flush, checkpoint, exit 0); a second one exits at once;\n"
    "SIGHUP reloads the configuration (a bad one is reported and the old one kept).\n"
    "Exit codes: 0 ok, 1 invalid config, 2 usage, 3 runtime failure, 4 second signal.\n"
    "The tcp, http, forward, otlp, kafka and nats outputs and the journal input are\n"
    "modules (vigil-TYPE.so), loaded when configured, from $VIGIL_MODULE_DIR if set,\n"
    "else modules/ beside vigil, ../lib/vigil from it, or " VIGIL_LIBDIR ".\n";

static void stop_cb(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    struct vigil *vg = arg;
    if (vg->draining) {
        log_warn("second signal %d: exiting at once", (int)sig);
        _exit(EXIT_SIGNAL);
    }
    log_info("signal %d: stopping", (int)sig);
    vigil_stop(vg);
}

/* A configuration waiting to replace the running one (SIGHUP). */
static struct vigil_conf *reload_next;

static void hup_cb(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    struct vigil *vg = arg;
    if (vg->once || vg->draining)
        return;
    /* Validate first: a bad file is reported and the running pipeline keeps
     * going untouched. */
    struct vigil_conf *next = calloc(1, sizeof(*next));
    if (!next)
        return;
    if (conf_load(next, vg->conf->path, stderr) < 0) {
        log_error("reload: %s is invalid; keeping the running configuration", vg->conf->path);
        free(next);
        return;
    }
    log_info("reload: %s is valid; draining, then switching", vg->conf->path);
    reload_next = next;
    vg->reloading = true;
    vigil_stop(vg);
}

/* Runs the pipeline for conf until it stops; on a reload, switches to the
 * next configuration. Offsets, disk-buffered batches and baselines cross the
 * switch through state_dir: the drain before it commits checkpoints, spills
 * what is undelivered and snapshots the detectors. If the new configuration
 * cannot start, the old one is started again. Returns the exit code. */
static int run(struct vigil *vg, struct vigil_conf **conf, struct event_base *base, bool once,
               struct stats *stats)
{
    int64_t t0 = vigil_mono_ms();
    struct vigil_counters n = { 0 };
    struct telemetry tel = { 0 };
    for (;;) {
        bool reloaded = reload_next != NULL;
        struct vigil_conf *prev = NULL;
        if (reloaded) {
            prev = *conf;
            *conf = reload_next;
            reload_next = NULL;
        }
        int ok = vigil_init(vg, *conf, base, once);
        if (ok < 0 && prev) {
            log_error("reload: the new configuration could not start; back to the previous one");
            vigil_fini(vg);
            conf_free(*conf);
            free(*conf);
            *conf = prev;
            prev = NULL;
            ok = vigil_init(vg, *conf, base, once);
        }
        if (prev) {
            conf_free(prev);
            free(prev);
            log_info("reload: running the new configuration");
        }
        /* Counters and the recent alerts outlive a reload (they feed /metrics). */
        vg->n = n;
        if (tel.ring || tel.nrules)
            vg->telemetry = tel;
        tel.ring = NULL;
        vg->stats = stats;
        if (ok < 0 || vigil_start(vg) < 0) {
            vigil_fini(vg);
            return EXIT_RUNTIME;
        }
        if (!reloaded)
            log_info("vigil %s started: %zu inputs, %zu outputs, %zu detectors%s", VIGIL_VERSION,
                     vg->ninputs, vg->noutputs, vg->ndetectors, once ? " (once)" : "");
        event_base_dispatch(base);
        if (!vg->reloading || !reload_next)
            break;
        n = vg->n;
        tel = vg->telemetry;
        vg->telemetry.ring = NULL;
        vigil_fini(vg);
    }
    if (stats)
        stats_print(vg, stderr, (double)(vigil_mono_ms() - t0) / 1000.0);
    int rc = vg->exit_code;
    log_info("vigil stopped: %llu lines, %llu records, %llu alerts, %llu parse errors",
             (unsigned long long)vg->n.lines, (unsigned long long)vg->n.records,
             (unsigned long long)vg->n.alerts, (unsigned long long)vg->n.parse_errors);
    vigil_fini(vg);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "validate", no_argument, NULL, 'v' },
        { "once", no_argument, NULL, 'o' },
        { "stats", no_argument, NULL, 's' },
        { "list-options", optional_argument, NULL, 'l' },
        { "healthcheck", no_argument, NULL, 'H' },
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *path = VIGIL_DEFAULT_CONFIG;
    bool validate = false, once = false, want_stats = false, health = false;
    int c;
    while ((c = getopt_long(argc, argv, "c:Vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': path = optarg; break;
        case 'v': validate = true; break;
        case 'o': once = true; break;
        case 's': want_stats = true; break;
        case 'H': health = true; break;
        case 'l': {
            const char *what = optarg ? optarg : (optind < argc && argv[optind][0] != '-') ? argv[optind] : NULL;
            if (conf_help(stdout, what) < 0) {
                fprintf(stderr, "vigil: no section, input, parser, output or detector named '%s'\n", what);
                return EXIT_USAGE;
            }
            return EXIT_OK;
        }
        case 'V': printf("vigil %s\n", VIGIL_VERSION); return EXIT_OK;
        case 'h': fputs(usage_text, stdout); return EXIT_OK;
        default: fputs(usage_text, stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "vigil: unexpected argument '%s'\n", argv[optind]);
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }

    struct vigil_conf *conf = calloc(1, sizeof(*conf));
    if (!conf)
        return EXIT_RUNTIME;
    if (conf_load(conf, path, stderr) < 0) {
        log_error("configuration %s is invalid", path);
        free(conf);
        return EXIT_CONFIG;
    }
    if (health || validate) {
        int hrc = EXIT_OK;
        if (health)
            hrc = healthcheck_run(conf->service.http_listen, 3000);
        else
            conf_dump(conf, stdout);
        for (size_t i = 0; validate && i < conf->detectors.n; i++) {
            const struct detector_conf *dc = &conf->detectors.d[i];
            if (dc->enabled && dc->plugin && dc->plugin->validate && dc->ctx)
                dc->plugin->validate(dc->ctx, stdout);
        }
        conf_free(conf);
        free(conf);
        return hrc;
    }
    log_threshold = (enum log_level)conf->service.log_level;
    umask(077);
    signal(SIGPIPE, SIG_IGN);
    fdlimit_raise();
    log_route_libevent();
    /* Before event_base_new: libraries with threads (NATS, Kafka) hand
     * results to the loop from other threads. */
    evthread_use_pthreads();
    struct event_base *base = event_base_new();
    static struct vigil vg;
    static struct stats stats;
    int rc = EXIT_RUNTIME;
    struct event *sigs[3] = { NULL, NULL, NULL };
    if (!base) {
        log_error("event_base_new failed");
        goto out;
    }
    sigs[0] = evsignal_new(base, SIGTERM, stop_cb, &vg);
    sigs[1] = evsignal_new(base, SIGINT, stop_cb, &vg);
    sigs[2] = evsignal_new(base, SIGHUP, hup_cb, &vg);
    for (int i = 0; i < 3; i++)
        if (!sigs[i] || event_add(sigs[i], NULL) < 0)
            goto out;
    rc = run(&vg, &conf, base, once, want_stats ? &stats : NULL);
out:
    fflush(stdout);
    for (int i = 0; i < 3; i++)
        if (sigs[i])
            event_free(sigs[i]);
    if (reload_next) {
        conf_free(reload_next);
        free(reload_next);
    }
    if (base)
        event_base_free(base);
    conf_free(conf);
    free(conf);
    libevent_global_shutdown();
    return rc;
}
