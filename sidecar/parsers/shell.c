/* shell.c - placeholder until the shell parser lands: ships every line raw. */
#include "sidecar/parsers/parser.h"

static enum parse_result shell_parse(const struct parser *p, void *state, struct record *r,
                                    struct span line)
{
    (void)p; (void)state; (void)line;
    r->kind = KIND_RAW;
    return PARSE_OK;
}

const struct parser_plugin parser_shell = {
    .name = "shell",
    .parse = shell_parse,
};
