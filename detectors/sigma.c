/* sigma.c - the Sigma detector (`detectors.sigma`): community rules run on
 * vigil's records. The rule set is compiled at start (and so again on
 * SIGHUP, which restarts the detectors); every rule that cannot load or be
 * evaluated is logged once with its id, title and why. Each command of a
 * shell history line (the wrapper too: `sudo curl` is a sudo process and a
 * curl process) is one process_creation and one auditd EXECVE event; auth
 * lines, syslog lines and raw lines are keyword events. A rule fires at most once per line.
 * The alert names the rule's author, id and a reference, as the Detection
 * Rule License asks; commands are masked before they are printed. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/dutil.h"
#include "detectors/match.h"
#include "detectors/shell_line.h"
#include "detectors/sigma.h"
#include "sidecar/log.h"
#include "sidecar/parsers/syslog_header.h"

#define FIRED_MAX 16
#define SCRATCH   (SHL_TEXT_BYTES + 2 * SHL_MAX_WORDS + 512)

struct sg_ctx {
    struct conf_strlist rules;         /* options */
    char *min_status;
    struct conf_strlist exclude;
    struct conf_strmap overrides;
    struct sigma_set *set;
    /* the record being judged */
    struct detector *d;
    const struct record *r;
    struct span user, line, cmd, argv0;
    const struct sigma_rule *fired[FIRED_MAX];
    unsigned nfired;
    char scratch[SCRATCH];
};

static const char *const statuses[] = { "experimental", "test", "stable", NULL };

static const struct conf_option sg_options[] = {
    { "rules", CONF_STRLIST, NULL, offsetof(struct sg_ctx, rules), 0, 0,
      "Sigma rule files or folders (every *.yml below, recursively)" },
    { "min_status", CONF_STR, "test", offsetof(struct sg_ctx, min_status), 1, 32,
      "least mature rule status run: experimental, test or stable" },
    { "exclude", CONF_STRLIST, NULL, offsetof(struct sg_ctx, exclude), 0, 0,
      "rule ids not to run" },
    { "overrides", CONF_STRMAP, NULL, offsetof(struct sg_ctx, overrides), 0, 0,
      "rule id: level, to lower a rule's level (never raises it)" },
    { 0 }
};

static bool status_known(const char *s)
{
    if (!s)
        return true;   /* unset: the loader's default, test */
    for (size_t i = 0; statuses[i]; i++)
        if (strcmp(statuses[i], s) == 0)
            return true;
    return false;
}

static struct sigma_set *load(const struct sg_ctx *c)
{
    struct sigma_opts o = {
        .min_status = c->min_status,
        .exclude = (const char *const *)c->exclude.v,
        .nexclude = c->exclude.n,
        .override_id = (const char *const *)c->overrides.k,
        .override_level = (const char *const *)c->overrides.v,
        .noverrides = c->overrides.n,
    };
    return sigma_set_load((const char *const *)c->rules.v, c->rules.n, &o);
}

static void on_hit(void *arg, const struct sigma_rule *rule)
{
    struct sg_ctx *c = arg;
    for (unsigned i = 0; i < c->nfired; i++)
        if (c->fired[i] == rule)
            return;
    if (c->nfired < FIRED_MAX)
        c->fired[c->nfired++] = rule;
    struct alert a;
    dutil_alert(&a, c->r, rule->rule_name, "sigma", rule->severity, rule->stage, NULL);
    memcpy(a.attack, rule->attack, sizeof(a.attack));
    a.entity.user = c->user;
    a.entity.command = c->argv0;
    char masked[512], line[ALERT_EVIDENCE_BYTES];
    mask_secrets(c->cmd, masked, sizeof(masked));
    mask_secrets(c->line, line, sizeof(line));
    alert_printf(&a, "Sigma: %.160s", rule->title);
    if (c->user.len)
        alert_printf(&a, " by %.*s", DSPAN(c->user, 64));
    alert_printf(&a, ": `%.240s` (rule %.40s by %.100s; %.160s; Detection Rule License 1.1)", masked,
                 rule->id, rule->author ? rule->author : "unknown author",
                 rule->reference ? rule->reference : "https://github.com/SigmaHQ/sigma");
    alert_evidence(&a, span_cstr(line));
    alert_emit(c->d->vg, &a);
}

static void judge(struct sg_ctx *c, const struct span *word, unsigned n, struct span pwd)
{
    static struct sigma_event ev;
    if (!n)
        return;
    c->cmd = sigma_event_command(&ev, SS_PROCESS, word, n, c->user, pwd, c->scratch, sizeof(c->scratch));
    const char *slash = memrchr(word[0].p, '/', word[0].len);
    c->argv0 = slash ? span_make(slash + 1, word[0].len - (size_t)(slash + 1 - word[0].p)) : word[0];
    sigma_eval(c->set, &ev, on_hit, c);
    /* the same argv as an auditd EXECVE record */
    c->cmd = sigma_event_command(&ev, SS_EXECVE, word, n, c->user, pwd, c->scratch, sizeof(c->scratch));
    sigma_eval(c->set, &ev, on_hit, c);
}

static void sg_observe(struct detector *d, const struct record *r)
{
    struct sg_ctx *c = d->ctx;
    if (!c->set || !c->set->nrules)
        return;
    c->d = d;
    c->r = r;
    c->nfired = 0;
    c->user = record_str(r, RK_USER);
    if (!c->user.len && r->kind == KIND_SHELL)
        c->user = SPAN_LIT("unknown");   /* as shell_rules: the incident chain joins them */
    c->line = r->raw;
    if (r->kind != KIND_SHELL && !c->set->by_source[SS_LINE])
        return;   /* no keyword rule: raw, auth and app lines cost nothing */
    if (r->kind == KIND_APP) {
        /* syslog lines are app records; JSON and logfmt app logs are not for
         * the linux keyword rules */
        struct syslog_header h;
        if (!syslog_header_parse(r->raw, r->read_ts, &h))
            return;
    }
    if (r->kind != KIND_SHELL) {
        static struct sigma_event ev;
        c->cmd = r->raw;
        c->argv0 = SPAN_NULL;
        sigma_event_line(&ev, r->raw);
        sigma_eval(c->set, &ev, on_hit, c);
        return;
    }
    struct span cmd = record_str(r, RK_COMMAND);
    if (!cmd.len)
        cmd = r->raw;
    if (!cmd.len)
        return;
    c->line = cmd;
    struct span pwd = record_str(r, RK_PWD);
    const struct shl_line *l = shl_parse_shared(cmd);
    for (unsigned s = 0; s < l->nsegs; s++) {
        const struct shl_seg *sg = &l->seg[s];
        unsigned end = (unsigned)sg->w0 + sg->nw;
        judge(c, &l->word[sg->w0], sg->nw, pwd);
        /* the wrapper (sudo, env, nohup...) is a process of its own */
        unsigned outer = (unsigned)sg->a0 + sg->na;
        if (outer < sg->w0 && end > outer)
            judge(c, &l->word[outer], end - outer, pwd);
    }
}

static void list_skipped(const struct sigma_set *s)
{
    for (size_t i = 0; i < s->nskipped; i++) {
        const struct sigma_skipped *k = &s->skipped[i];
        log_warn("sigma: rule %s \"%s\" (%s) is not evaluated: %s", k->id, k->title, k->path, k->reason);
    }
    unsigned active = 0;
    for (size_t i = 0; i < s->nrules; i++)
        active += s->rule[i].active;
    log_info("sigma: %u rule files, %u rules evaluable (%u process_creation, %u auditd EXECVE, "
             "%u raw line), %u active, %zu not evaluated, %u below min_status, %u excluded, "
             "loaded in %.1f ms",
             s->files, (unsigned)s->nrules, s->by_source[SS_PROCESS], s->by_source[SS_EXECVE],
             s->by_source[SS_LINE], active, s->nskipped, s->skips[SK_STATUS], s->skips[SK_EXCLUDED],
             s->load_ms);
}

static int sg_init(struct detector *d)
{
    struct sg_ctx *c = d->ctx;
    if (!status_known(c->min_status)) {
        log_error("detectors.sigma.min_status: expected experimental, test or stable");
        return -1;
    }
    c->set = NULL;
    if (!c->rules.n)
        return 0;
    c->set = load(c);
    if (!c->set) {
        log_error("sigma: out of memory loading the rules");
        return -1;
    }
    list_skipped(c->set);
    return 0;
}

static void sg_destroy(struct detector *d)
{
    struct sg_ctx *c = d->ctx;
    sigma_set_free(c->set);
    c->set = NULL;
}

/* --validate: the counts, with the rules that are not evaluated. */
static void sg_validate(const void *ctx, FILE *out)
{
    const struct sg_ctx *c = ctx;
    fprintf(out, "# detectors.sigma rules\n");
    if (!c->rules.n) {
        fprintf(out, "#   no rules configured\n");
        return;
    }
    struct sigma_set *s = load(c);
    if (!s) {
        fprintf(out, "#   out of memory\n");
        return;
    }
    for (size_t i = 0; i < s->nskipped; i++) {
        fprintf(out, "#   skipped %s [%s] ", s->skipped[i].id, sigma_skip_name(s->skipped[i].why));
        conf_print_quoted(out, s->skipped[i].title);
        fputs(": ", out);
        conf_print_quoted(out, s->skipped[i].reason);
        fputc('\n', out);
    }
    fprintf(out, "sigma_rules:\n");
    sigma_set_counts(s, out, 2);
    sigma_set_free(s);
}

const struct detector_plugin detector_sigma = {
    .name = "sigma",
    .options = sg_options,
    .ctx_size = sizeof(struct sg_ctx),
    .kinds = KIND_BIT(KIND_SHELL) | KIND_BIT(KIND_AUTH) | KIND_BIT(KIND_RAW) | KIND_BIT(KIND_APP),
    .init = sg_init,
    .observe = sg_observe,
    .destroy = sg_destroy,
    .validate = sg_validate,
};
