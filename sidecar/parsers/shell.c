/* shell.c - `parser: shell`: bash, zsh and fish history files, one command
 * per record. Each format says when its commands ran in a different place:
 * bash writes "#<epoch>" on the line before, zsh extended history prefixes
 * ": <epoch>:<duration>;" (and continues a command on the next line when one
 * ends in a backslash), fish writes "- cmd: ..." and then "  when: <epoch>".
 * So the per-source state remembers a pending time (bash) or a held command
 * (zsh continuation, fish) in a buffer allocated on first need, bounded by
 * the input's max_line_bytes, and freed in state_fini. The command itself is
 * tokenised by shell_words into argv, argv0, pipeline and uses_sudo. */
#include "sidecar/parsers/parser.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sidecar/limits.h"
#include "sidecar/parsers/shell_words.h"
#include "sidecar/timestamp.h"

struct shell_ctx {
    char *user;                 /* `user:` option; NULL = from the path */
};

static const struct conf_option shell_options[] = {
    { "user", CONF_STR, NULL, offsetof(struct shell_ctx, user), 0, 0,
      "user the history belongs to (default: from the path, /home/<user>/... or /root/...)" },
    { 0 }
};

enum held { HELD_NONE, HELD_ZSH, HELD_FISH };

struct shell_state {
    int64_t bash_ts;            /* from a "#<epoch>" line, for the next command */
    bool has_bash_ts;
    uint8_t held;               /* enum held: what buf holds */
    bool held_truncated;
    int64_t held_ts;
    bool held_has_ts;
    char *buf;                  /* lazily malloc'd, cap bytes */
    size_t len, cap;
};

static size_t buf_limit(const struct parser *p)
{
    return p->max_line_bytes ? p->max_line_bytes : LINE_MAX_BYTES_DEFAULT;
}

/* Appends to the held command, cut at the limit. Returns -1 if no memory. */
static int buf_append(const struct parser *p, struct shell_state *st, const char *s, size_t n)
{
    if (!st->buf) {
        st->cap = buf_limit(p);
        st->buf = malloc(st->cap);
        if (!st->buf)
            return -1;
    }
    if (n > st->cap - st->len) {
        n = st->cap - st->len;
        st->held_truncated = true;
    }
    memcpy(st->buf + st->len, s, n);
    st->len += n;
    return 0;
}

/* "/home/alice/.bash_history" -> "alice", "/root/..." -> "root". The home
 * folder may sit anywhere in the path (a sidecar sees the host's /home under
 * its own mount, e.g. /host/home/alice/.bash_history): the last match wins. */
static struct span user_from_path(struct span path)
{
    static const char *const homes[] = { "/home/", "/Users/" };
    struct span best = SPAN_NULL;
    const char *best_at = NULL;
    if (!path.p)
        return SPAN_NULL;             /* no source path: NULL + 0 is undefined */
    const char *end = path.p + path.len;
    for (size_t h = 0; h < sizeof(homes) / sizeof(homes[0]); h++) {
        size_t hl = strlen(homes[h]);
        for (const char *p = path.p; p && (size_t)(end - p) > hl;) {
            p = memmem(p, (size_t)(end - p), homes[h], hl);
            if (!p)
                break;
            const char *u = p + hl;
            const char *slash = memchr(u, '/', (size_t)(end - u));
            if (slash && slash > u && (!best_at || p > best_at)) {
                best = span_make(u, (size_t)(slash - u));
                best_at = p;
            }
            p += 1;
        }
    }
    const char *r = path.len >= 6 ? memmem(path.p, path.len, "/root/", 6) : NULL;
    if (r && (!best_at || r > best_at))
        return SPAN_LIT("root");
    if (!best_at && path.len >= 5 && memcmp(path.p, "root/", 5) == 0)
        return SPAN_LIT("root");
    return best;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Plain decimal seconds: the whole of s. */
static bool epoch_secs(struct span s, int64_t *ns)
{
    if (s.len == 0 || s.len > 11)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (!is_digit(s.p[i]))
            return false;
        v = v * 10 + (s.p[i] - '0');
    }
    /* ns since the epoch run out in 2262: a later "timestamp" is no timestamp */
    if (v > INT64_MAX / 1000000000LL)
        return false;
    *ns = v * 1000000000LL;
    return true;
}

/* ": 1764150000:0;cmd" -> ts and the command. */
static bool zsh_prefix(struct span line, int64_t *ts, struct span *cmd)
{
    if (line.len < 5 || line.p[0] != ':' || line.p[1] != ' ')
        return false;
    size_t i = 2, d = i;
    int64_t v = 0;
    /* epoch_secs() of the digits, read on the way: at most 11 of them (a
     * twelfth makes the run too long) */
    size_t lim = line.len < d + 12 ? line.len : d + 12;
    while (i < lim && is_digit(line.p[i]))
        v = v * 10 + (line.p[i++] - '0');
    if (i == d || i - d > 11 || i >= line.len || line.p[i] != ':')
        return false;
    if (v > INT64_MAX / 1000000000LL)
        return false;                 /* past 2262: no timestamp (as epoch_secs) */
    *ts = v * 1000000000LL;
    i++;
    while (i < line.len && is_digit(line.p[i]))
        i++;
    if (i >= line.len || line.p[i] != ';')
        return false;
    *cmd = span_from(line, i + 1);
    return true;
}

static bool ends_with_backslash(struct span s)
{
    /* an odd run of trailing backslashes continues the line */
    size_t n = 0;
    while (n < s.len && s.p[s.len - 1 - n] == '\\')
        n++;
    return n % 2 == 1;
}

/* fish escapes "\\" and "\n" in its history; undo that into the buffer. */
static int fish_unescape_append(const struct parser *p, struct shell_state *st, struct span s)
{
    size_t i = 0;
    while (i < s.len) {
        const char *bs = memchr(s.p + i, '\\', s.len - i);
        size_t run = bs ? (size_t)(bs - s.p) - i : s.len - i;
        if (run && buf_append(p, st, s.p + i, run) < 0)
            return -1;
        i += run;
        if (!bs)
            break;
        char c = i + 1 < s.len ? s.p[i + 1] : '\\';
        char out = c == 'n' ? '\n' : c == '\\' ? '\\' : 0;
        if (out) {
            if (buf_append(p, st, &out, 1) < 0)
                return -1;
            i += 2;
        } else {
            if (buf_append(p, st, "\\", 1) < 0)
                return -1;
            i += 1;
        }
    }
    return 0;
}

static const struct span K_ARGV = SPAN_LIT("argv"), K_PIPELINE = SPAN_LIT("pipeline");

/* Fills r from one complete command. */
static void emit_command(const struct parser *p, struct record *r, struct span cmd)
{
    const struct shell_ctx *ctx = p->ctx;
    r->kind = KIND_SHELL;
    struct span user = (ctx && ctx->user && ctx->user[0]) ? span_cstr(ctx->user)
                                                          : user_from_path(r->path);
    if (user.len)
        record_set_str(r, RK_USER, user);
    record_set_str(r, RK_COMMAND, cmd);

    struct span words[SHELL_MAX_WORDS], cmds[SHELL_MAX_COMMANDS];
    size_t nw;
    size_t nc = shell_split(cmd, words, SHELL_MAX_WORDS, &nw, cmds, SHELL_MAX_COMMANDS);
    bool sudo = false;
    struct span argv0 = shell_argv0(words, nw, NULL, &sudo);
    if (argv0.len)
        record_set_str(r, RK_ARGV0, argv0);
    if (record_open(r, K_ARGV, FT_ARRAY) >= 0) {
        for (size_t i = 0; i < nw; i++) {
            struct span w = words[i];
            if (!shell_word_is_plain(w)) {
                char *out = record_alloc(r, w.len);
                if (!out)
                    break;
                w = span_make(out, shell_unquote(w, out, w.len));
            }
            if (record_add_str(r, SPAN_NULL, w) < 0)
                break;
        }
        record_close(r);
    }

    /* uses_sudo: any command of the chain runs under sudo */
    if (record_open(r, K_PIPELINE, FT_ARRAY) >= 0) {
        for (size_t i = 0; i < nc; i++)
            if (record_add_str(r, SPAN_NULL, cmds[i]) < 0)
                break;
        record_close(r);
    }
    for (size_t i = 1; i < nc && !sudo; i++) {
        struct span cw[8];
        size_t n = shell_split_words(cmds[i], cw, 8, NULL);
        bool s = false;
        shell_argv0(cw, n, NULL, &s);
        sudo = s;
    }
    record_set_bool(r, RK_USES_SUDO, sudo);
}

/* Emits what state holds (a zsh or fish command) into r; empties the state.
 * The text is copied to the arena, since state may be refilled right away. */
static enum parse_result emit_held(const struct parser *p, struct shell_state *st,
                                   struct record *r)
{
    if (st->held == HELD_NONE)
        return PARSE_SKIP;
    struct span cmd = record_copy(r, st->buf ? st->buf : "", st->len);
    if (st->held_has_ts) {
        r->ts = st->held_ts;
        r->ts_from_line = true;
    }
    if (st->held_truncated)
        r->truncated = true;
    st->held = HELD_NONE;
    st->len = 0;
    st->held_truncated = st->held_has_ts = false;
    emit_command(p, r, cmd);
    return PARSE_OK;
}

static void hold(struct shell_state *st, enum held what, bool has_ts, int64_t ts)
{
    st->held = (uint8_t)what;
    st->len = 0;
    st->held_truncated = false;
    st->held_has_ts = has_ts;
    st->held_ts = ts;
}

static enum parse_result shell_parse(const struct parser *p, void *state, struct record *r,
                                     struct span line)
{
    struct shell_state *st = state;
    int64_t ts;
    struct span cmd;
    if (line.len && line.p[line.len - 1] == '\r')
        line.len--;

    /* zsh: a held command continues while its lines end in a backslash */
    if (st->held == HELD_ZSH) {
        bool more = ends_with_backslash(line);
        if (buf_append(p, st, "\n", 1) < 0 ||
            buf_append(p, st, line.p, more ? line.len - 1 : line.len) < 0)
            goto nomem;
        if (more)
            return PARSE_PENDING;
        return emit_held(p, st, r);
    }

    /* fish: "- cmd: ..." then "  when: N", "  paths:", "    - ..." */
    if (line.len >= 7 && memcmp(line.p, "- cmd: ", 7) == 0) {
        enum parse_result res = emit_held(p, st, r);   /* a previous one without when: */
        hold(st, HELD_FISH, false, 0);
        if (fish_unescape_append(p, st, span_from(line, 7)) < 0)
            goto nomem;
        return res == PARSE_OK ? PARSE_OK : PARSE_PENDING;
    }
    if (st->held == HELD_FISH) {
        if (line.len >= 8 && memcmp(line.p, "  when: ", 8) == 0 &&
            epoch_secs(span_from(line, 8), &ts)) {
            st->held_ts = ts;
            st->held_has_ts = true;
            return emit_held(p, st, r);
        }
        if (line.len >= 2 && line.p[0] == ' ' && line.p[1] == ' ')
            return PARSE_PENDING;      /* paths: and its items */
        if (line.len == 0)
            return PARSE_SKIP;
        /* A foreign line inside a fish file (corruption, a hand edit): ship
         * the held command now and hold this line in its place, so nothing
         * is lost and each call still emits at most one record. */
        enum parse_result res = emit_held(p, st, r);
        hold(st, HELD_FISH, false, 0);
        if (buf_append(p, st, line.p, line.len) < 0)
            goto nomem;
        return res;
    }
    if (line.len >= 2 && line.p[0] == ' ' && line.p[1] == ' ' && line.len >= 8 &&
        (memcmp(line.p, "  when: ", 8) == 0 || memcmp(line.p, "  paths:", 8) == 0))
        return PARSE_SKIP;             /* fish metadata whose cmd was flushed */
    if (line.len >= 6 && memcmp(line.p, "    - ", 6) == 0)
        return PARSE_SKIP;

    /* bash HISTTIMEFORMAT: "#1764150000" alone on its line */
    if (line.len >= 2 && line.p[0] == '#' && epoch_secs(span_from(line, 1), &ts)) {
        st->bash_ts = ts;
        st->has_bash_ts = true;
        return PARSE_PENDING;
    }

    /* zsh extended history */
    if (zsh_prefix(line, &ts, &cmd)) {
        if (ends_with_backslash(cmd)) {
            hold(st, HELD_ZSH, true, ts);
            if (buf_append(p, st, cmd.p, cmd.len - 1) < 0)
                goto nomem;
            return PARSE_PENDING;
        }
        r->ts = ts;
        r->ts_from_line = true;
        emit_command(p, r, cmd);
        return PARSE_OK;
    }

    /* bash, plain or after a "#epoch" line */
    bool blank = true;
    for (size_t i = 0; i < line.len && blank; i++)
        blank = line.p[i] == ' ' || line.p[i] == '\t';
    if (blank)
        return PARSE_SKIP;
    if (st->has_bash_ts) {
        r->ts = st->bash_ts;
        r->ts_from_line = true;
        st->has_bash_ts = false;
    }
    emit_command(p, r, line);
    return PARSE_OK;

nomem:
    hold(st, HELD_NONE, false, 0);
    r->kind = KIND_SHELL;
    r->parse_error = "shell: out of memory for a multi-line command";
    return PARSE_MALFORMED;
}

static enum parse_result shell_flush(const struct parser *p, void *state, struct record *r)
{
    return emit_held(p, state, r);
}

static void shell_state_fini(const struct parser *p, void *state)
{
    (void)p;
    struct shell_state *st = state;
    free(st->buf);
    st->buf = NULL;
    st->len = st->cap = 0;
    st->held = HELD_NONE;
}

const struct parser_plugin parser_shell = {
    .name = "shell",
    .options = shell_options,
    .ctx_size = sizeof(struct shell_ctx),
    .state_size = sizeof(struct shell_state),
    .parse = shell_parse,
    .flush = shell_flush,
    .state_fini = shell_state_fini,
};
