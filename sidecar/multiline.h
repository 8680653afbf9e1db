/* multiline.h - `multiline:` of an input: consecutive lines joined into one
 * event, so a stack trace is one record. A rule (a preset of one runtime, or
 * start / continue regexes, or indentation) says whether a line continues
 * the pending event; the event is emitted when a line does not, when it
 * would pass max_lines or max_bytes, at the timeout, or at the end of the
 * source. Plain files are joined by the pipeline before parsing; cri and
 * docker join per stream after partial lines (sidecar/parsers/container.c).
 *
 * The caller's step for each line:
 *     if (ev->held && !multiline_continues(ml, ev, line)) { emit multiline_text(ev); multiline_reset(ev); }
 *     multiline_append(ml, ev, line, start_offset, truncated);
 * The text of an emitted event stays valid until the next emission (two
 * buffers alternate), long enough for the record that borrows it. */
#ifndef VIGIL_MULTILINE_H
#define VIGIL_MULTILINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "sidecar/span.h"

struct multiline;

/* One pending event (per source, or per stream of a container log). */
struct ml_event {
    char *buf[2];                /* max_bytes each, malloc'd on first use */
    unsigned cur;                /* buffer being filled */
    size_t len;
    unsigned nlines;
    bool held, cut;
    uint64_t start_off;          /* source offset before its first line */
    int64_t ts;                  /* the first line's time (container logs) */
    bool has_ts;
    /* what the presets look back at */
    bool traceback, chain, last_indented, go_panic;
};

/* NULL with *off set when c enables nothing; NULL with err filled on a bad
 * regex or a preset combined with start/continue/indent. */
struct multiline *multiline_new(const struct multiline_conf *c, bool *off, char *err, size_t errlen);
void multiline_free(struct multiline *ml);
/* 0 when c is valid (config checks), else -1 with the reason in err. */
int multiline_check(const struct multiline_conf *c, char *err, size_t errlen);
int64_t multiline_timeout_ms(const struct multiline *ml);
size_t multiline_max_bytes(const struct multiline *ml);

/* True when line belongs to the held event (rule, max_lines and max_bytes). */
bool multiline_continues(const struct multiline *ml, const struct ml_event *ev, struct span line);
/* Appends line (cut to what is left of max_bytes, then ev->cut is set).
 * start_off is the source offset before the line (kept when ev was empty).
 * -1 when the buffer cannot be allocated (the line is then not held). */
int multiline_append(const struct multiline *ml, struct ml_event *ev, struct span line, uint64_t start_off,
                     bool truncated);
/* The held event's text, lines joined by '\n'. */
struct span multiline_text(const struct ml_event *ev);
/* Empties ev after its text was emitted (switches buffers). */
void multiline_reset(struct ml_event *ev);
void multiline_event_fini(struct ml_event *ev);

#endif
