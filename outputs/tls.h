/* tls.h - the `tls:` section shared by the network outputs, and the OpenSSL
 * client plumbing behind it. Security defaults: the peer certificate and its
 * host name are verified unless `verify: false`, and nothing older than
 * TLS 1.2 is negotiated. Secrets never reach a log line: errors name files
 * and OpenSSL's reason, never key material. */
#ifndef VIGIL_OUTPUTS_TLS_H
#define VIGIL_OUTPUTS_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/option.h"

struct output;
struct event_base;
struct bufferevent;
typedef struct ssl_ctx_st SSL_CTX;

enum tls_version { TLS_VERSION_1_2, TLS_VERSION_1_3 };

struct tls_conf {
    bool enabled;
    char *ca_file;          /* PEM bundle; NULL = the system's default paths */
    char *cert_file;        /* client certificate (mutual TLS), NULL = none */
    char *key_file;         /* its private key; required with cert_file */
    bool verify;            /* check the chain and the host name (default true) */
    char *server_name;      /* name sent as SNI and checked; NULL = the host option */
    int min_version;        /* enum tls_version (default 1.2) */
};

/* Rows for a CONF_SECTION `tls` whose offset points at a struct tls_conf. */
extern const struct conf_option tls_options[];

/* Builds a client SSL_CTX from c: TLS_client_method, min version, CA file,
 * client certificate, SSL_OP_IGNORE_UNEXPECTED_EOF (OpenSSL 3 reports a peer
 * close without close_notify as an error otherwise). Returns a new context
 * (free with SSL_CTX_free) or NULL after logging why through out. */
SSL_CTX *tls_ctx_new(struct output *out, const struct tls_conf *c);

/* A new unconnected bufferevent doing the client side of TLS over a socket
 * bufferevent: SNI and host-name check set for c->server_name, else host.
 * Connect it with bufferevent_socket_connect*; BEV_EVENT_CONNECTED arrives
 * after the handshake. Options: BEV_OPT_CLOSE_ON_FREE|BEV_OPT_DEFER_CALLBACKS.
 * Returns NULL after logging. */
struct bufferevent *tls_bufferevent_new(struct output *out, struct event_base *base,
                                        SSL_CTX *ctx, const struct tls_conf *c,
                                        const char *host);

/* Writes into buf (cap bytes, NUL-terminated) why a TLS bufferevent failed:
 * the certificate verification result when it is not X509_V_OK, then the
 * queued OpenSSL errors (skipping libevent's spurious trailing one), else
 * errno's text. Safe for a plain socket bufferevent too. Returns buf. */
const char *tls_error_text(struct bufferevent *bev, char *buf, size_t cap);

#endif
