/* match.h - small text tools shared by the detectors: case-insensitive globs
 * over '|'-separated alternatives, look-alike domain comparison, secret
 * masking of command lines and the event-time clock of a detector.
 * Everything works on spans (log text is never NUL-terminated) and is pure:
 * no allocation, no logging. */
#ifndef VIGIL_MATCH_H
#define VIGIL_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sidecar/span.h"

/* Glob ('*' any run, '?' one byte) of s against one of the '|'-separated
 * patterns in alts ("curl|wget|*.pem"); case-sensitive (Unix commands and
 * paths are), except a pattern starting with '~' ("~powershell").
 * NULL alts matches all. */
bool match_glob_any(const char *alts, struct span s);
bool match_glob(const char *pat, size_t plen, struct span s);

/* A pattern list cut once into its alternatives, each with what rejects most
 * words without running the glob: literals compare by length, globs by their
 * shortest match and fixed first and last bytes. Same results as
 * match_glob_any. */
struct glob_alt {
    const char *p;             /* into alts, a leading '~' included */
    uint16_t len, min;         /* pattern bytes; shortest matching word */
    uint8_t kind, first, last; /* first/last: fixed bytes (lower case for ~), 0 = any */
};
/* Compiles alts (borrowed: must outlive out) into out; returns the number of
 * alternatives, 0 for NULL, or -1 when cap is too small. */
int match_compile(const char *alts, struct glob_alt *out, size_t cap);
bool match_alts(const struct glob_alt *alt, size_t n, struct span s);
/* match_glob_any for a string constant: its compiled form is kept, by address,
 * for the life of the process (detectors' thread only). Never pass a buffer. */
bool match_glob_const(const char *alts, struct span s);
/* Case-insensitive: does s contain needle (a C string)? */
bool match_contains(struct span s, const char *needle);
bool match_ieq(struct span s, const char *lit);

/* Damerau-Levenshtein distance of a and b, both cut at 63 bytes; returns a
 * value > max as soon as the distance is known to exceed max. */
unsigned match_edit_distance(struct span a, struct span b, unsigned max);
/* Writes the homoglyph skeleton of s (lowercase; 0->o 1->l 3->e 5->s rn->m
 * vv->w) into out (cap bytes, NUL-terminated); returns its length. */
size_t match_skeleton(struct span s, char *out, size_t cap);
/* The registrable part of a host name ("eu.api.paypal.com" -> "paypal.com"),
 * naive: the last two labels, three when the second-to-last is short
 * ("co.uk"). A trailing dot is dropped. */
struct span match_domain(struct span host);
/* The first label of a registrable domain ("paypal.com" -> "paypal"). */
struct span match_label(struct span domain);

/* Copies line into out (cap bytes, NUL-terminated) with secrets replaced by
 * "****": values of NAME=... where NAME looks like a secret, --password=...,
 * the word after -p/--password/--token style flags of tools known to take a
 * password there, user:pass@ in URLs, secret query parameters, bearer tokens,
 * well-known key shapes (AKIA..., ghp_..., xoxb-...) and, after "invalid
 * user" (sshd), a name that is not shaped like a login name (a password typed
 * at the prompt). Returns the length
 * written. */
size_t mask_secrets(struct span line, char *out, size_t cap);

/* "23:40" (UTC) of an event time in ns; out holds at least 6 bytes. */
void match_hhmm(int64_t ns, char out[6]);

#endif
