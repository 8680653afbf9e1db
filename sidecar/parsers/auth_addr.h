/* auth_addr.h - is this span a remote address a daemon would write? Used by
 * the auth parser to accept an address only at the position sshd, PAM or
 * dropbear put it, and only when it is one. */
#ifndef VIGIL_AUTH_ADDR_H
#define VIGIL_AUTH_ADDR_H

#include <stdbool.h>

#include "sidecar/span.h"

/* Dotted quad, 1-3 digits a part, each <= 255 (leading zeros kept as written). */
bool auth_addr_ipv4(struct span s);
/* RFC 4291 text form (inet_pton), with an optional %zone of [A-Za-z0-9_.-]. */
bool auth_addr_ipv6(struct span s);
/* A DNS name: labels of letters, digits, '-' and '_' (1-63 bytes, not
 * starting or ending with '-'), dots between, 253 bytes at most, and not all
 * digits and dots (that would be a malformed IPv4 address). */
bool auth_addr_hostname(struct span s);
/* "::ffff:1.2.3.4" -> "1.2.3.4"; anything else unchanged. */
struct span auth_addr_unmap(struct span s);

#endif
