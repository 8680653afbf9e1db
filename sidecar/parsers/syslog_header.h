/* syslog_header.h - the prefix of a syslog line, whichever dialect wrote it:
 * RFC 3164 ("Nov 26 10:00:01 web-1 sshd[123]: msg"), RFC 3339 / ISO 8601 with
 * fraction and offset (Debian 12 rsyslog: "2026-11-26T10:00:01.123456+01:00
 * web-1 sshd[123]: msg"), RFC 5424 ("<34>1 2026-11-26T10:00:01Z web-1 sshd
 * 123 ID47 [sd] msg"), journalctl -o short-iso ("2026-11-26T10:00:01+0100
 * web-1 sshd[123]: msg"), each optionally behind a "<PRI>"; and journald's
 * other shapes: no time ("web-1 sshd[123]: msg"), short-precise, short-full
 * ("Thu 2026-11-26 10:00:01 CET web-1 ...") and -o json (see below). */
#ifndef VIGIL_SYSLOG_HEADER_H
#define VIGIL_SYSLOG_HEADER_H

#include <stdbool.h>
#include <stdint.h>

#include "sidecar/span.h"

struct syslog_header {
    int64_t ts;          /* ns; valid when has_ts */
    bool has_ts;
    int pri;             /* -1 when absent */
    struct span host;    /* empty when absent */
    struct span app;     /* program name ("sshd"), empty when absent */
    struct span pid;     /* digits, empty when absent */
    struct span msgid;   /* RFC 5424 only */
    struct span sd;      /* RFC 5424 structured data, "-" or "[...]" */
    struct span msg;     /* the rest: the message itself */
};

/* Parses line's header; ref_ns supplies the year for RFC 3164. Returns false
 * when the line has no recognisable header (h->msg is then the whole line). */
bool syslog_header_parse(struct span line, int64_t ref_ns, struct syslog_header *h);

/* journalctl -o json: one export object per line. Fills h from MESSAGE (its
 * raw contents: *msg_esc says whether they hold JSON escapes, which the
 * caller undoes into its own memory), SYSLOG_IDENTIFIER (else _COMM), _PID
 * (else SYSLOG_PID), _HOSTNAME and __REALTIME_TIMESTAMP. Returns false when
 * the line is not such an object or has no MESSAGE string. */
bool syslog_header_journal_json(struct span line, struct syslog_header *h, bool *msg_esc);

#endif
