/* tcp.c - placeholder until the tcp output lands: accepts nothing. */
#include "outputs/output.h"

static int tcp_init(struct output *out)
{
    (void)out;
    return -1;
}

const struct output_plugin output_tcp = {
    .name = "tcp",
    .init = tcp_init,
};
