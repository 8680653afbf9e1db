/* forward.c - placeholder until the forward output lands: accepts nothing. */
#include "outputs/output.h"

static int forward_init(struct output *out)
{
    (void)out;
    return -1;
}

const struct output_plugin output_forward = {
    .name = "forward",
    .init = forward_init,
};
