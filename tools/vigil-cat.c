/* vigil-cat - prints vigil batches as JSON lines.
 * Reads files of concatenated batches (LZ4 frames of msgpack content, or
 * plain msgpack, or gzip members of either; wire version 1 entries or
 * version 2 columnar maps, the same JSON for both: what the file output
 * writes, a TCP capture, an HTTP body) or stdin ("-"), and prints one {"tag","time","record"} object per
 * event. A damaged frame is reported on stderr and skipped; the exit status
 * says whether anything was. The decoding itself is outputs/batch_read.c. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outputs/batch_read.h"
#include "outputs/gzip.h"
#include "sidecar/escape.h"
#include "sidecar/timestamp.h"
#include "sidecar/log.h"

struct cat {
    const char *tag_glob;
    bool has_since, has_until, count_only;
    int64_t since, until;
    uint64_t printed;
    const char *name;          /* current input, for messages */
    struct buf line;
    bool write_failed;
};

static int on_entry(void *arg, const struct batch_entry *e)
{
    struct cat *c = arg;
    if (c->has_since && e->ts < c->since)
        return 0;
    if (c->has_until && e->ts >= c->until)
        return 0;
    if (c->tag_glob) {
        char tag[TAG_MAX_BYTES + 1];
        if (e->tag.len > TAG_MAX_BYTES || memchr(e->tag.p, 0, e->tag.len))
            return 0;
        memcpy(tag, e->tag.p, e->tag.len);
        tag[e->tag.len] = 0;
        if (fnmatch(c->tag_glob, tag, 0) != 0)
            return 0;
    }
    c->printed++;
    if (c->count_only)
        return 0;
    c->line.len = 0;
    if (batch_entry_to_json(&c->line, e) < 0 || buf_append(&c->line, "\n", 1) < 0) {
        fprintf(stderr, "vigil-cat: out of memory\n");
        return 1;
    }
    if (fwrite(c->line.p, 1, c->line.len, stdout) != c->line.len) {
        c->write_failed = true;
        return 1;
    }
    return 0;
}

static void on_error(void *arg, uint64_t off, const char *why)
{
    const struct cat *c = arg;
    char name[512];
    log_escape(name, sizeof(name), c->name, strlen(c->name), 0);
    fprintf(stderr, "vigil-cat: %s: offset %llu: %s, skipped\n", name, (unsigned long long)off, why);
}

/* Reads all of fd (stdin, pipes) into b. */
static int slurp(int fd, struct buf *b)
{
    for (;;) {
        if (buf_reserve(b, 1 << 20) < 0)
            return -1;
        ssize_t n = read(fd, b->p + b->len, b->cap - b->len);
        if (n == 0)
            return 0;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        b->len += (size_t)n;
    }
}

/* Returns 0 clean, 1 damaged, 2 unreadable. */
static int cat_one(struct cat *c, const char *path)
{
    c->name = path;
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "vigil-cat: open(\"%s\"): %s\n", path, strerror(errno));
        return 2;
    }
    struct stat st;
    void *map = MAP_FAILED;
    struct buf all = { 0 };
    const void *data;
    size_t len;
    int rc;
    if (fd != STDIN_FILENO && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map != MAP_FAILED) {
        data = map;
        len = (size_t)st.st_size;
    } else {
        if (slurp(fd, &all) < 0) {
            fprintf(stderr, "vigil-cat: read(\"%s\"): %s\n", path, strerror(errno));
            rc = 2;
            goto out;
        }
        data = all.p;
        len = all.len;
    }
    struct buf plain = { 0 };
    int zrc = 0;
    if (gzip_is(data, len)) {
        /* the file output's compression: gzip: one member per batch */
        zrc = gzip_inflate_all(data, len, &plain, (size_t)1 << 34);
        if (zrc == 1)
            on_error(c, 0, "gzip stream damaged or cut short");
        data = plain.p;
        len = plain.len;
    }
    rc = zrc < 0 ? -1 : batch_read(data, len, on_entry, on_error, c, NULL);
    if (rc == 0 && zrc == 1)
        rc = 1;
    buf_free(&plain);
    if (rc < 0) {
        fprintf(stderr, "vigil-cat: %s: out of memory\n", path);
        rc = 2;
    }
out:
    if (map != MAP_FAILED)
        munmap(map, (size_t)st.st_size);
    buf_free(&all);
    if (fd != STDIN_FILENO)
        close(fd);
    return rc;
}

static void usage(FILE *f)
{
    fputs("usage: vigil-cat [--tag GLOB] [--since TIME] [--until TIME] [--count] FILE...|-\n"
          "Prints vigil batches (LZ4 frames of msgpack, or plain msgpack, also gzipped; wire\n"
          "version 1 [tag, time, record] entries or version 2 maps, docs/wire-format.md)\n"
          "as JSON lines {\"tag\",\"time\",\"record\"}.\n"
          "  --tag GLOB     only events whose tag matches (fnmatch)\n"
          "  --since TIME   only events at or after TIME (RFC 3339, e.g. 2024-05-01T10:00:00Z)\n"
          "  --until TIME   only events before TIME\n"
          "  --count        print only the number of matching events\n"
          "Damaged frames are reported on stderr and skipped.\n"
          "Exit: 0 all decoded, 1 something was damaged and skipped, 2 usage or I/O error.\n",
          f);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "tag", required_argument, NULL, 't' }, { "since", required_argument, NULL, 's' },
        { "until", required_argument, NULL, 'u' }, { "count", no_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' }, { 0 }
    };
    struct cat c = { 0 };
    int o;
    while ((o = getopt_long(argc, argv, "t:s:u:ch", opts, NULL)) != -1) {
        switch (o) {
        case 't': c.tag_glob = optarg; break;
        case 's':
        case 'u':
            if (ts_parse_rfc3339_str(optarg, o == 's' ? &c.since : &c.until) < 0) {
                fprintf(stderr, "vigil-cat: --%s: expected an RFC 3339 time, got \"%s\"\n",
                        o == 's' ? "since" : "until", optarg);
                return 2;
            }
            if (o == 's')
                c.has_since = true;
            else
                c.has_until = true;
            break;
        case 'c': c.count_only = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    int worst = 0;
    for (int i = optind; i < argc && !c.write_failed; i++) {
        int rc = cat_one(&c, argv[i]);
        if (rc > worst)
            worst = rc;
    }
    if (c.count_only)
        printf("%llu\n", (unsigned long long)c.printed);
    buf_free(&c.line);
    if (fflush(stdout) != 0 || c.write_failed) {
        fprintf(stderr, "vigil-cat: write: %s\n", strerror(errno));
        return 2;
    }
    return worst;
}
