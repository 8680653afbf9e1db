/* registry.c - every parser, by the name `inputs[].parser` uses. */
#include "sidecar/parsers/parser.h"

#include <string.h>

extern const struct parser_plugin parser_auth, parser_shell, parser_json, parser_logfmt,
    parser_syslog, parser_plain, parser_cri, parser_docker, parser_none;

const struct parser_plugin *const parser_plugins[] = {
    &parser_auth, &parser_shell, &parser_json, &parser_logfmt, &parser_syslog, &parser_plain,
    &parser_cri, &parser_docker, &parser_none,
    NULL
};

const struct parser_plugin *parser_plugin_find(const char *name)
{
    for (size_t i = 0; parser_plugins[i]; i++)
        if (strcmp(parser_plugins[i]->name, name) == 0)
            return parser_plugins[i];
    return NULL;
}
