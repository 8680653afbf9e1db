/* tls.c - client TLS for the network outputs (tcp, http, forward).
 * One SSL_CTX per output instance, built at init; one SSL per connection,
 * wrapped in a libevent OpenSSL bufferevent. The host name is checked by
 * OpenSSL itself (SSL_set1_host) during the handshake, so a wrong name fails
 * the handshake just like an untrusted chain: BEV_EVENT_ERROR, with the
 * reason in SSL_get_verify_result. */
#include "outputs/tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "outputs/output.h"
#include "sidecar/log.h"

static const char *const tls_version_names[] = { "1.2", "1.3", NULL };

const struct conf_option tls_options[] = {
    { "enabled", CONF_BOOL, "false", offsetof(struct tls_conf, enabled), 0, 0,
      "Wrap the connection in TLS" },
    { "ca_file", CONF_STR, NULL, offsetof(struct tls_conf, ca_file), 0, 0,
      "PEM file of trusted CAs (default: the system's)" },
    { "cert_file", CONF_STR, NULL, offsetof(struct tls_conf, cert_file), 0, 0,
      "Client certificate (PEM) for mutual TLS" },
    { "key_file", CONF_STR, NULL, offsetof(struct tls_conf, key_file), 0, 0,
      "Private key (PEM) of cert_file" },
    { "verify", CONF_BOOL, "true", offsetof(struct tls_conf, verify), 0, 0,
      "Verify the server certificate chain and host name" },
    { "server_name", CONF_STR, NULL, offsetof(struct tls_conf, server_name), 0, 0,
      "Name for SNI and the certificate check (default: host)" },
    { "min_version", CONF_ENUM, "1.2", offsetof(struct tls_conf, min_version), 0, 0,
      "Lowest protocol version accepted: 1.2 or 1.3", tls_version_names },
    { 0 }
};

/* Appends OpenSSL's queued errors to buf at *used. */
static void tls_append(char *buf, size_t cap, size_t *used, const char *s)
{
    if (*used >= cap - 1)
        return;
    int n = snprintf(buf + *used, cap - *used, "%s%s", *used ? "; " : "", s);
    if (n > 0)
        *used = (size_t)n >= cap - *used ? cap - 1 : *used + (size_t)n;
}

static void tls_drain_errors(char *buf, size_t cap, size_t *used)
{
    unsigned long e;
    char one[256];
    while ((e = ERR_get_error()) != 0) {
        ERR_error_string_n(e, one, sizeof(one));
        tls_append(buf, cap, used, one);
    }
}

SSL_CTX *tls_ctx_new(struct output *out, const struct tls_conf *c)
{
    char err[512];
    size_t used = 0;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    err[0] = '\0';
    if (!ctx) {
        tls_drain_errors(err, sizeof(err), &used);
        output_log(out, LOG_ERROR, "tls: SSL_CTX_new: %s", err);
        return NULL;
    }
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION |
                                 SSL_OP_NO_RENEGOTIATION);
    int min = c->min_version == TLS_VERSION_1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
    if (!SSL_CTX_set_min_proto_version(ctx, min)) {
        tls_drain_errors(err, sizeof(err), &used);
        output_log(out, LOG_ERROR, "tls: min_version: %s", err);
        goto fail;
    }
    SSL_CTX_set_verify(ctx, c->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
    if (c->ca_file && c->ca_file[0]) {
        if (SSL_CTX_load_verify_locations(ctx, c->ca_file, NULL) != 1) {
            tls_drain_errors(err, sizeof(err), &used);
            output_log(out, LOG_ERROR, "tls: ca_file \"%s\": %s", c->ca_file, err);
            goto fail;
        }
    } else if (c->verify && SSL_CTX_set_default_verify_paths(ctx) != 1) {
        tls_drain_errors(err, sizeof(err), &used);
        output_log(out, LOG_ERROR, "tls: system CA paths: %s", err);
        goto fail;
    }
    if ((c->cert_file && c->cert_file[0]) != (c->key_file && c->key_file[0])) {
        output_log(out, LOG_ERROR, "tls: cert_file and key_file go together");
        goto fail;
    }
    if (c->cert_file && c->cert_file[0]) {
        if (SSL_CTX_use_certificate_chain_file(ctx, c->cert_file) != 1) {
            tls_drain_errors(err, sizeof(err), &used);
            output_log(out, LOG_ERROR, "tls: cert_file \"%s\": %s", c->cert_file, err);
            goto fail;
        }
        /* The key file's content is secret: only its name is ever logged. */
        if (SSL_CTX_use_PrivateKey_file(ctx, c->key_file, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(ctx) != 1) {
            tls_drain_errors(err, sizeof(err), &used);
            output_log(out, LOG_ERROR, "tls: key_file \"%s\": %s", c->key_file, err);
            goto fail;
        }
    }
    if (!c->verify)
        output_log(out, LOG_WARN, "tls: verify is off: the server is not authenticated");
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

struct bufferevent *tls_bufferevent_new(struct output *out, struct event_base *base,
                                        SSL_CTX *ctx, const struct tls_conf *c,
                                        const char *host)
{
    const char *name = c->server_name && c->server_name[0] ? c->server_name : host;
    struct bufferevent *bev = NULL;
    SSL *ssl = SSL_new(ctx);
    if (!ssl) {
        output_log(out, LOG_ERROR, "tls: SSL_new failed");
        return NULL;
    }
    /* SNI only carries DNS names; an IP literal is still checked (IP SAN). */
    unsigned char ip[16];
    bool is_ip = evutil_inet_pton(AF_INET, name, ip) == 1 ||
                 evutil_inet_pton(AF_INET6, name, ip) == 1;
    if (!is_ip && !SSL_set_tlsext_host_name(ssl, name)) {
        output_log(out, LOG_ERROR, "tls: cannot set SNI \"%s\"", name);
        goto fail;
    }
    if (c->verify && SSL_set1_host(ssl, name) != 1) {
        output_log(out, LOG_ERROR, "tls: cannot set host name \"%s\" to check", name);
        goto fail;
    }
    bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
                                         BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    if (!bev) {
        output_log(out, LOG_ERROR, "tls: bufferevent_openssl_socket_new failed");
        goto fail;
    }
    return bev;         /* the bufferevent owns ssl now (SSL_free on free) */
fail:
    SSL_free(ssl);
    return NULL;
}

const char *tls_error_text(struct bufferevent *bev, char *buf, size_t cap)
{
    size_t used = 0;
    int saved = EVUTIL_SOCKET_ERROR();
    buf[0] = '\0';
    SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
    if (ssl) {
        long v = SSL_get_verify_result(ssl);
        if (v != X509_V_OK) {
            char one[200];
            snprintf(one, sizeof(one), "certificate verify failed: %s (%ld)",
                     X509_verify_cert_error_string(v), v);
            tls_append(buf, cap, &used, one);
        }
        unsigned long e;
        while ((e = bufferevent_get_openssl_error(bev)) != 0) {
            /* libevent queues a bare "error:00000001" after the real one. */
            if (ERR_GET_REASON(e) == 1 && ERR_GET_LIB(e) == 0)
                continue;
            char one[256];
            ERR_error_string_n(e, one, sizeof(one));
            tls_append(buf, cap, &used, one);
        }
    }
    if (used == 0)
        tls_append(buf, cap, &used, saved ? evutil_socket_error_to_string(saved)
                                          : "connection closed");
    return buf;
}
