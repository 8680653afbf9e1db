/* http_client.h - the HTTP client pieces shared by the outputs that POST
 * (http, otlp): a libevent evhttp connection, over an OpenSSL bufferevent
 * (outputs/tls.c) for https; the transport error of a failed request as
 * text; the target of a URL; request header checks; Retry-After. A connection whose SSL object
 * closed cannot be reused: callers replace it (close callback -> stale). */
#ifndef VIGIL_HTTP_CLIENT_H
#define VIGIL_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <event2/http.h>

struct output;
struct evdns_base;
struct tls_conf;
typedef struct ssl_ctx_st SSL_CTX;

/* A new connection to host:port, TLS when ssl_ctx is not NULL (SNI and
 * name check per tls), with timeout_ms for connect, send and reply, no
 * automatic retries, bounded reply headers and body, and closecb(arg) when
 * it closes. NULL after logging through out. */
struct evhttp_connection *http_client_connect(struct output *out, SSL_CTX *ssl_ctx,
                                              const struct tls_conf *tls,
                                              struct evdns_base *dns, const char *host,
                                              int port, int64_t timeout_ms,
                                              void (*closecb)(struct evhttp_connection *, void *),
                                              void *arg);

/* Writes why a request on conn failed into buf (cap bytes): the evhttp
 * error, then the TLS or socket reason when there is one. conn may be NULL. */
void http_client_error_text(struct evhttp_connection *conn, enum evhttp_request_error e,
                            char *buf, size_t cap);

/* Where a URL points: host, port (the scheme's default when absent), https,
 * the Host header and the path. `key` names the option in messages ("http:
 * url", "otlp: endpoint"). With base, the URL is a base URL: no query or
 * fragment, and the path comes back without trailing '/' (possibly ""), for
 * the caller to append to; otherwise the path keeps its query and is "/" when
 * empty. Credentials in a URL are refused (they would end up in logs).
 * host and path are malloc'd; 0, or -1 after logging through out. */
int http_client_parse_url(struct output *out, const char *key, const char *url, bool base,
                          bool *https, int *port, char **host, char **path, char *host_header,
                          size_t host_header_cap);

/* A header name is a token; a value may not break the header block. */
bool http_client_header_ok(const char *k, const char *v);

/* Seconds a Retry-After value asks for: delay-seconds or an HTTP-date
 * (RFC 9110 10.2.3: IMF-fixdate, RFC 850, asctime) relative to now, capped
 * at max_s; -1 when v is NULL or unreadable. */
long http_client_retry_after(const char *v, time_t now, long max_s);

#endif
