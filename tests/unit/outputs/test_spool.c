/* test_spool.c - the disk buffer: order, restart, damaged tail, cap, modes. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "outputs/batch.h"
#include "outputs/spool.h"
#include "sidecar/fsutil.h"
#include "sidecar/log.h"

static char root[64], dir[128];

static void setup(void)
{
    log_threshold = LOG_OFF;
    strcpy(root, "/tmp/vigil-spool-XXXXXX");
    cr_assert(mkdtemp(root));
    snprintf(dir, sizeof(dir), "%s/buffer/out", root);
}

static void teardown(void)
{
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    system(cmd);
}

TestSuite(spool, .init = setup, .fini = teardown);

/* A batch whose payload is "batch-<i>" padded to len bytes. */
static struct batch *mk(int i, size_t len)
{
    char tmp[4096];
    memset(tmp, 'x', sizeof(tmp));
    snprintf(tmp, sizeof(tmp), "batch-%d", i);
    return batch_new_copy(tmp, len, (uint32_t)i, OUTPUT_FORMAT_MSGPACK, OUTPUT_COMPRESS_LZ4);
}

static int id_of(const struct batch *b)
{
    cr_assert(b);
    return atoi((const char *)b->data + 6);
}

static void append(struct spool *s, int i)
{
    struct batch *b = mk(i, 100);
    cr_assert_eq(spool_append(s, b), 0);
    batch_free(b);
}

static int pop_id(struct spool *s)
{
    struct batch *b = spool_peek(s);
    int id = id_of(b);
    cr_assert_eq(b->n_events, (uint32_t)id);
    cr_assert_eq(b->compression, OUTPUT_COMPRESS_LZ4);
    batch_free(b);
    cr_assert_eq(spool_pop(s), id);
    return id;
}

Test(spool, append_peek_pop_in_order)
{
    struct spool *s = spool_open(dir, 1 << 20, true, "t");
    cr_assert(s);
    for (int i = 1; i <= 5; i++)
        append(s, i);
    cr_assert_eq(spool_count(s), 5);
    cr_assert_eq(spool_bytes(s), 5 * (100 + SPOOL_RECORD_HEADER));
    for (int i = 1; i <= 5; i++)
        cr_assert_eq(pop_id(s), i);
    cr_assert_eq(spool_count(s), 0);
    cr_assert_eq(spool_bytes(s), 0);
    cr_assert_null(spool_peek(s));
    cr_assert_eq(spool_pop(s), -1);
    spool_close(s);
}

Test(spool, restart_resumes_after_what_was_delivered)
{
    struct spool *s = spool_open(dir, 1 << 20, true, "t");
    for (int i = 1; i <= 5; i++)
        append(s, i);
    cr_assert_eq(pop_id(s), 1);
    cr_assert_eq(pop_id(s), 2);
    spool_close(s);

    s = spool_open(dir, 1 << 20, true, "t");
    cr_assert(s);
    cr_assert_eq(spool_count(s), 3);
    cr_assert_eq(spool_bytes(s), 3 * (100 + SPOOL_RECORD_HEADER));
    append(s, 6);
    for (int i = 3; i <= 6; i++)
        cr_assert_eq(pop_id(s), i);
    spool_close(s);

    s = spool_open(dir, 1 << 20, true, "t");
    cr_assert_eq(spool_count(s), 0);
    spool_close(s);
}

static char *only_segment(char *out, size_t cap)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d)))
        if (strncmp(de->d_name, "seg-", 4) == 0) {
            snprintf(out, cap, "%s/%s", dir, de->d_name);
            n++;
        }
    closedir(d);
    cr_assert_eq(n, 1);
    return out;
}

Test(spool, torn_tail_is_cut_at_restart)
{
    struct spool *s = spool_open(dir, 1 << 20, true, "t");
    for (int i = 1; i <= 3; i++)
        append(s, i);
    spool_close(s);
    /* a crash in the middle of the fourth write */
    char seg[512];
    only_segment(seg, sizeof(seg));
    int fd = open(seg, O_WRONLY | O_APPEND);
    cr_assert_eq(write(fd, "VGB1\x64\x00\x00\x00garbage", 15), 15);
    close(fd);

    s = spool_open(dir, 1 << 20, true, "t");
    cr_assert(s);
    cr_assert_eq(spool_count(s), 3);
    append(s, 4);
    for (int i = 1; i <= 4; i++)
        cr_assert_eq(pop_id(s), i);
    spool_close(s);
}

Test(spool, damaged_record_is_never_returned)
{
    struct spool *s = spool_open(dir, 1 << 20, true, "t");
    for (int i = 1; i <= 3; i++)
        append(s, i);
    spool_close(s);
    char seg[512];
    only_segment(seg, sizeof(seg));
    /* flip a payload byte of record 2 */
    int fd = open(seg, O_RDWR);
    off_t at = (off_t)(100 + SPOOL_RECORD_HEADER + SPOOL_RECORD_HEADER + 50);
    char c;
    cr_assert_eq(pread(fd, &c, 1, at), 1);
    c ^= 0x20;
    cr_assert_eq(pwrite(fd, &c, 1, at), 1);
    close(fd);

    s = spool_open(dir, 1 << 20, true, "t");
    cr_assert(s);
    /* the newest segment is checked at open: cut before record 2 */
    cr_assert_eq(spool_count(s), 1);
    cr_assert_eq(pop_id(s), 1);
    cr_assert_null(spool_peek(s));
    spool_close(s);
}

Test(spool, cap_refuses_what_does_not_fit)
{
    struct spool *s = spool_open(dir, 3 * (100 + SPOOL_RECORD_HEADER), true, "t");
    for (int i = 1; i <= 3; i++)
        append(s, i);
    struct batch *b = mk(4, 100);
    cr_assert_not(spool_fits(s, b->len));
    cr_assert_eq(spool_append(s, b), 1);
    cr_assert_eq(spool_count(s), 3);
    cr_assert_eq(pop_id(s), 1);
    cr_assert(spool_fits(s, b->len));
    cr_assert_eq(spool_append(s, b), 0);
    batch_free(b);
    for (int i = 2; i <= 4; i++)
        cr_assert_eq(pop_id(s), i);
    spool_close(s);
}

Test(spool, private_modes)
{
    struct spool *s = spool_open(dir, 1 << 20, true, "t");
    append(s, 1);
    struct stat st;
    cr_assert_eq(stat(dir, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0700);
    char seg[512];
    only_segment(seg, sizeof(seg));
    cr_assert_eq(stat(seg, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    pop_id(s);
    char pos[512];
    snprintf(pos, sizeof(pos), "%s/read.pos", dir);
    cr_assert_eq(stat(pos, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    spool_close(s);
}

static int count_segments(void)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d)))
        n += strncmp(de->d_name, "seg-", 4) == 0;
    closedir(d);
    return n;
}

/* A big batch "batch-<i>" of len bytes. */
static struct batch *big(int i, size_t len)
{
    struct batch *b = mk(i, 64);
    unsigned char *p = calloc(1, len);
    memcpy(p, b->data, 64);
    free(b->data);
    b->data = p;
    b->len = len;
    return b;
}

Test(spool, segments_rotate_and_are_deleted_once_read)
{
    size_t len = SPOOL_SEGMENT_BYTES / 2 + 1;
    struct spool *s = spool_open(dir, 1ull << 30, true, "t");
    for (int i = 1; i <= 4; i++) {
        struct batch *b = big(i, len);
        cr_assert_eq(spool_append(s, b), 0);
        batch_free(b);
    }
    /* a segment is closed once it holds SPOOL_SEGMENT_BYTES: 2 records each */
    cr_assert_eq(count_segments(), 2);
    cr_assert_eq(pop_id(s), 1);
    cr_assert_eq(pop_id(s), 2);
    cr_assert_eq(count_segments(), 1);
    spool_close(s);
    s = spool_open(dir, 1ull << 30, true, "t");
    cr_assert_eq(spool_count(s), 2);
    cr_assert_eq(pop_id(s), 3);
    spool_close(s);
    s = spool_open(dir, 1ull << 30, true, "t");
    cr_assert_eq(spool_count(s), 1);
    cr_assert_eq(pop_id(s), 4);
    spool_close(s);
}

Test(spool, damage_in_an_older_segment_skips_to_the_next)
{
    size_t len = SPOOL_SEGMENT_BYTES / 2 + 1;
    struct spool *s = spool_open(dir, 1ull << 30, true, "t");
    for (int i = 1; i <= 3; i++) {
        struct batch *b = big(i, len);
        cr_assert_eq(spool_append(s, b), 0);
        batch_free(b);
    }
    spool_close(s);
    /* flip a byte in record 1, in the first (older) segment */
    char seg[512];
    snprintf(seg, sizeof(seg), "%s/seg-%020d.vgb", dir, 1);
    int fd = open(seg, O_RDWR);
    cr_assert_geq(fd, 0);
    char c = 1;
    cr_assert_eq(pwrite(fd, &c, 1, 1000), 1);
    close(fd);
    s = spool_open(dir, 1ull << 30, true, "t");
    cr_assert_eq(spool_count(s), 3);      /* older segments are checked when read */
    cr_assert_eq(pop_id(s), 3);           /* 1 and 2 lost with their segment, 3 intact */
    cr_assert_eq(spool_count(s), 0);
    spool_close(s);
}

/* buffer.fsync batch: a batch counts as kept only once fdatasync succeeded.
 * A failed fdatasync is a failed append: nothing kept, the segment cut back,
 * counted; the same batch appended again is kept once. */
Test(spool, failed_fdatasync_is_a_failed_append)
{
    struct spool *s = spool_open(dir, 1 << 20, true, "t");
    cr_assert(s);
    append(s, 1);
    struct batch *b = mk(2, 100);
    fs_fault_syncs = 1;
    cr_assert_eq(spool_append(s, b), -1);
    cr_assert_eq(fs_fault_syncs, 0);
    cr_assert_eq(spool_count(s), 1);
    cr_assert_eq(spool_write_errors(s), 1);
    cr_assert_eq(spool_bytes(s), SPOOL_RECORD_HEADER + 100);
    cr_assert_eq(spool_append(s, b), 0);
    batch_free(b);
    spool_close(s);
    /* what a restart finds: 1 and 2, once each */
    s = spool_open(dir, 1 << 20, true, "t");
    cr_assert(s);
    cr_assert_eq(spool_count(s), 2);
    cr_assert_eq(pop_id(s), 1);
    cr_assert_eq(pop_id(s), 2);
    cr_assert_eq(spool_count(s), 0);
    spool_close(s);
}

/* buffer.fsync never: no fdatasync at all (the fault is not consumed). */
Test(spool, fsync_never_does_not_sync)
{
    struct spool *s = spool_open(dir, 1 << 20, false, "t");
    cr_assert(s);
    fs_fault_syncs = 1;
    append(s, 1);
    cr_assert_eq(fs_fault_syncs, 1);
    fs_fault_syncs = 0;
    spool_close(s);
}

/* Files planted in the buffer folder: a symlink at read.pos.tmp or at a
 * segment never has its target written or truncated. */
Test(spool, planted_symlinks_do_not_clobber_their_targets)
{
    char victim[200], path[300];
    snprintf(victim, sizeof(victim), "%s/victim", root);
    FILE *v = fopen(victim, "w");
    cr_assert(v);
    fputs("precious and not a spool record\n", v);
    fclose(v);
    struct spool *s = spool_open(dir, 1 << 20, true, "t");
    cr_assert(s);
    append(s, 1);
    append(s, 2);
    snprintf(path, sizeof(path), "%s/read.pos.tmp", dir);
    cr_assert_eq(symlink(victim, path), 0);
    cr_assert_eq(pop_id(s), 1);     /* rewrites read.pos through read.pos.tmp */
    spool_close(s);
    /* a segment named after the next number, pointing at the victim */
    snprintf(path, sizeof(path), "%s/seg-%020d.vgb", dir, 2);
    cr_assert_eq(symlink(victim, path), 0);
    s = spool_open(dir, 1 << 20, true, "t");
    cr_assert(s);
    cr_assert_eq(spool_count(s), 1);
    cr_assert_eq(pop_id(s), 2);
    spool_close(s);
    struct stat st;
    cr_assert_eq(stat(victim, &st), 0);
    cr_assert_eq(st.st_size, (off_t)strlen("precious and not a spool record\n"));
    char got[64] = { 0 };
    v = fopen(victim, "r");
    cr_assert(fgets(got, sizeof(got), v));
    fclose(v);
    cr_assert_str_eq(got, "precious and not a spool record\n");
}
