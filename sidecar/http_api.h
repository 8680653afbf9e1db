/* http_api.h - service.http: GET /healthz, /metrics (Prometheus text) and
 * /alerts (recent alerts as JSON), served by libevent's evhttp on the loop.
 * Read-only: nothing here changes the pipeline. */
#ifndef VIGIL_HTTP_API_H
#define VIGIL_HTTP_API_H

#include <stdint.h>

struct vigil;
struct evbuffer;

/* Binds service.http.listen ("127.0.0.1:2020", port 0 = any). 0, or -1
 * after logging. */
int http_api_start(struct vigil *vg, const char *listen);
/* The bound port (for tests that listen on port 0). */
int http_api_port(const struct vigil *vg);
void http_api_free(struct vigil *vg);

/* The bodies, exposed for unit tests. health returns the HTTP status. */
int http_api_health(struct vigil *vg, struct evbuffer *out);
void http_api_metrics(struct vigil *vg, struct evbuffer *out);
void http_api_alerts(struct vigil *vg, uint64_t since, unsigned limit, struct evbuffer *out);

#endif
