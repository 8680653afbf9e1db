/* none.c - `parser: none`: ship each line as it is, with no fields.
 * For a pure shipper (or measuring the framing cost) nothing is looked at:
 * the record is the line ("message"), its read time and KIND_RAW. */
#include "sidecar/parsers/parser.h"

static enum parse_result none_parse(const struct parser *p, void *state, struct record *r,
                                    struct span line)
{
    (void)p;
    (void)state;
    (void)r;
    (void)line;
    return PARSE_OK;
}

const struct parser_plugin parser_none = {
    .name = "none",
    .parse = none_parse,
};
