/* http.c - placeholder until the http output lands: accepts nothing. */
#include "outputs/output.h"

static int http_init(struct output *out)
{
    (void)out;
    return -1;
}

const struct output_plugin output_http = {
    .name = "http",
    .init = http_init,
};
