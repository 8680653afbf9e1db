/* stdout.c - placeholder until the stdout output lands: accepts nothing. */
#include "outputs/output.h"

static int stdout_init(struct output *out)
{
    (void)out;
    return -1;
}

const struct output_plugin output_stdout = {
    .name = "stdout",
    .init = stdout_init,
};
