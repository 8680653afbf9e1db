/* healthcheck.h - `vigil --healthcheck`: asks a running vigil's
 * GET /healthz (service.http.listen of the config) and exits 0 on 200.
 * For container HEALTHCHECKs on images without curl. */
#ifndef VIGIL_HEALTHCHECK_H
#define VIGIL_HEALTHCHECK_H

/* Returns 0 when the answer is 200, 1 otherwise (reason on stderr). */
int healthcheck_run(const char *listen, int timeout_ms);

#endif
