/* file.c - placeholder until the file output lands: accepts nothing. */
#include "outputs/output.h"

static int file_init(struct output *out)
{
    (void)out;
    return -1;
}

const struct output_plugin output_file = {
    .name = "file",
    .init = file_init,
};
