/* sigma_map.c - what a Sigma rule's logsource and fields are on vigil's
 * records (docs/detectors.md has the table):
 *   process_creation, product linux -> each command of a shell history line:
 *       CommandLine (argv joined by spaces, as /proc/PID/cmdline reads),
 *       Image (argv0; a bare name stands for its copy in each bin folder, a
 *       relative path also for its place under the history's pwd),
 *       User (the history's user), CurrentDirectory (its pwd when known)
 *   auditd, only type EXECVE and a0..aN -> the same commands' argv (keywords:
 *       the argv joined)
 *   product linux keyword rules, service auth/sshd/sudo/syslog -> the raw line
 * A field that is not in the table for the rule's source makes the rule
 * unevaluable (sigma_load.c): it is never read as empty. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detectors/sigma.h"

static const char *const bin_dirs[] = { "/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/", "/usr/local/bin/" };

struct fieldname {
    const char *name;
    enum sigma_field f;
    unsigned sources;            /* bits of enum sigma_source */
};

#define SRC(x) (1u << (x))

static const struct fieldname fields[] = {
    { "CommandLine", SF_COMMANDLINE, SRC(SS_PROCESS) },
    { "Image", SF_IMAGE, SRC(SS_PROCESS) },
    { "User", SF_USER, SRC(SS_PROCESS) },
    { "CurrentDirectory", SF_CURDIR, SRC(SS_PROCESS) },
    { "type", SF_TYPE, SRC(SS_EXECVE) },
};

int sigma_field_lookup(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (strlen(fields[i].name) == len && memcmp(fields[i].name, name, len) == 0)
            return (int)fields[i].f;
    /* a0 .. a15 */
    if (len >= 2 && len <= 3 && name[0] == 'a' && name[1] >= '0' && name[1] <= '9') {
        int n = name[1] - '0';
        if (len == 3) {
            if (name[2] < '0' || name[2] > '9' || n == 0)
                return -1;
            n = n * 10 + (name[2] - '0');
        }
        return n < SIGMA_ARGS ? SF_A0 + n : -1;
    }
    return -1;
}

const char *sigma_field_name(enum sigma_field f)
{
    static char an[SIGMA_ARGS][4];
    if (f >= SF_A0 && f < SF_A0 + SIGMA_ARGS) {
        snprintf(an[f - SF_A0], sizeof(an[0]), "a%d", (int)(f - SF_A0));
        return an[f - SF_A0];
    }
    if (f == SF_KEYWORD)
        return "keywords";
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (fields[i].f == f)
            return fields[i].name;
    return "?";
}

bool sigma_field_on(enum sigma_source src, enum sigma_field f)
{
    if (f == SF_KEYWORD)
        return true;
    if (f >= SF_A0 && f < SF_A0 + SIGMA_ARGS)
        return src == SS_EXECVE;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (fields[i].f == f)
            return (fields[i].sources & SRC(src)) != 0;
    return false;
}

static bool eq(const char *a, const char *b)
{
    return a && strcasecmp(a, b) == 0;
}

enum sigma_source sigma_source_of(const char *product, const char *category, const char *service,
                                  char *why, size_t whylen)
{
    if (product && !eq(product, "linux")) {
        snprintf(why, whylen, "logsource product '%.40s' is not linux", product);
        return SS_NONE;
    }
    if (category) {
        if (eq(category, "process_creation") && !service)
            return SS_PROCESS;
        snprintf(why, whylen, "logsource category '%.40s' has no vigil record", category);
        return SS_NONE;
    }
    if (!service || eq(service, "auth") || eq(service, "sshd") || eq(service, "sudo") || eq(service, "syslog"))
        return product ? SS_LINE : SS_NONE;
    if (eq(service, "auditd"))
        return SS_EXECVE;
    snprintf(why, whylen, "logsource service '%.40s' has no vigil record", service);
    return SS_NONE;
}

static void put(struct sigma_event *ev, enum sigma_field f, struct span v)
{
    if (ev->nv[f] < SIGMA_MAX_VALUES)
        ev->v[f][ev->nv[f]++] = v;
}

struct span sigma_event_command(struct sigma_event *ev, enum sigma_source src, const struct span *word,
                                unsigned nwords, struct span user, struct span pwd, char *scratch,
                                size_t cap)
{
    memset(ev->nv, 0, sizeof(ev->nv));
    ev->source = src;
    size_t o = 0;
    for (unsigned i = 0; i < nwords && o < cap; i++) {
        if (i)
            scratch[o++] = ' ';
        size_t n = word[i].len < cap - o ? word[i].len : cap - o;
        if (n)
            memcpy(scratch + o, word[i].p, n);
        o += n;
    }
    struct span cmd = span_make(scratch, o < cap ? o : cap);
    if (src == SS_EXECVE) {
        put(ev, SF_TYPE, SPAN_LIT("EXECVE"));
        put(ev, SF_KEYWORD, cmd);
        for (unsigned i = 0; i < nwords && i < SIGMA_ARGS; i++)
            put(ev, (enum sigma_field)(SF_A0 + i), word[i]);
        return cmd;
    }
    put(ev, SF_COMMANDLINE, cmd);
    put(ev, SF_KEYWORD, cmd);
    if (user.len)
        put(ev, SF_USER, user);
    if (pwd.len)
        put(ev, SF_CURDIR, pwd);
    if (!nwords || !word[0].len)
        return cmd;
    struct span a0 = word[0];
    size_t at = o + 1;
    if (memchr(a0.p, '/', a0.len)) {
        put(ev, SF_IMAGE, a0);
        /* ./x or dir/x: also where it is, when the history knows the directory */
        if (a0.p[0] != '/' && pwd.len && pwd.p[0] == '/' && at + pwd.len + 1 + a0.len <= cap) {
            struct span rel = a0.len > 2 && a0.p[0] == '.' && a0.p[1] == '/' ? span_from(a0, 2) : a0;
            size_t pl = pwd.len > 1 && pwd.p[pwd.len - 1] == '/' ? pwd.len - 1 : pwd.len;
            memcpy(scratch + at, pwd.p, pl);
            scratch[at + pl] = '/';
            memcpy(scratch + at + pl + 1, rel.p, rel.len);
            put(ev, SF_IMAGE, span_make(scratch + at, pl + 1 + rel.len));
        }
        return cmd;
    }
    /* a bare name: its copy in each usual bin folder, after the command line */
    for (size_t d = 0; d < sizeof(bin_dirs) / sizeof(bin_dirs[0]); d++) {
        size_t dl = strlen(bin_dirs[d]);
        if (at + dl + a0.len > cap)
            break;
        memcpy(scratch + at, bin_dirs[d], dl);
        memcpy(scratch + at + dl, a0.p, a0.len);
        put(ev, SF_IMAGE, span_make(scratch + at, dl + a0.len));
        at += dl + a0.len;
    }
    return cmd;
}

void sigma_event_line(struct sigma_event *ev, struct span raw)
{
    memset(ev->nv, 0, sizeof(ev->nv));
    ev->source = SS_LINE;
    put(ev, SF_KEYWORD, raw);
}
