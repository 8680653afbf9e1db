/* stdout.c - the `stdout` output: batches written to standard output, for
 * humans and `kubectl logs` (format json or text) or for a pipe into another
 * tool (msgpack). The write is synchronous: a full pipe blocks this output
 * (poll until writable), which is the backpressure a pipe asks for. */
#include "outputs/output.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

static const struct conf_option stdout_options[] = { { 0 } };

static int stdout_init(struct output *out)
{
    (void)out;
    return 0;
}

static void stdout_flush(struct output *out, struct batch *b)
{
    const unsigned char *p = b->data;
    size_t left = b->len;
    while (left) {
        ssize_t n = write(STDOUT_FILENO, p, left);
        if (n > 0) {
            p += n;
            left -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = { .fd = STDOUT_FILENO, .events = POLLOUT };
            poll(&pfd, 1, 1000);
            continue;
        }
        /* part of the batch may be out already: the retry repeats it whole */
        output_error(out, "write(stdout): %s", n < 0 ? strerror(errno) : "nothing written");
        output_done(out, b, OUTPUT_RETRY);
        return;
    }
    output_done(out, b, OUTPUT_OK);
}

static void stdout_destination(const void *ctx, char *dst, size_t cap)
{
    (void)ctx;
    snprintf(dst, cap, "stdout");
}

const struct output_plugin output_stdout = {
    .name = "stdout",
    .options = stdout_options,
    .ctx_size = 0,
    .default_format = OUTPUT_FORMAT_JSON,
    .default_compression = OUTPUT_COMPRESS_NONE,
    .compressions = (1u << OUTPUT_COMPRESS_NONE) | (1u << OUTPUT_COMPRESS_LZ4),
    .destination = stdout_destination,
    .init = stdout_init,
    .flush = stdout_flush,
};
