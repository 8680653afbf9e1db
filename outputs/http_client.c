/* http_client.c - the HTTP client pieces of http_client.h. */
#include "outputs/http_client.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>

#include "outputs/output.h"
#include "outputs/tls.h"
#include "sidecar/log.h"
#include "sidecar/vigil.h"

#define HTTP_CLIENT_REPLY_HEADERS_MAX (64u * 1024)
#define HTTP_CLIENT_REPLY_BODY_MAX (1024u * 1024)

struct evhttp_connection *http_client_connect(struct output *out, SSL_CTX *ssl_ctx,
                                              const struct tls_conf *tls,
                                              struct evdns_base *dns, const char *host,
                                              int port, int64_t timeout_ms,
                                              void (*closecb)(struct evhttp_connection *, void *),
                                              void *arg)
{
    struct event_base *base = out->vg->base;
    struct bufferevent *bev = NULL;
    if (ssl_ctx) {
        bev = tls_bufferevent_new(out, base, ssl_ctx, tls, host);
        if (!bev)
            return NULL;
    }
    struct evhttp_connection *conn =
        evhttp_connection_base_bufferevent_new(base, dns, bev, host, (unsigned short)port);
    if (!conn) {
        if (bev)
            bufferevent_free(bev);
        output_log(out, LOG_ERROR, "%s: cannot create a connection", out->plugin->name);
        return NULL;
    }
    struct timeval tv = { (time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000 };
    evhttp_connection_set_timeout_tv(conn, &tv);
    evhttp_connection_set_retries(conn, 0);
    evhttp_connection_set_max_headers_size(conn, HTTP_CLIENT_REPLY_HEADERS_MAX);
    evhttp_connection_set_max_body_size(conn, HTTP_CLIENT_REPLY_BODY_MAX);
    evhttp_connection_set_closecb(conn, closecb, arg);
    return conn;
}

static const char *http_client_error_name(enum evhttp_request_error e)
{
    switch (e) {
    case EVREQ_HTTP_TIMEOUT:        return "timed out";
    case EVREQ_HTTP_EOF:            return "connection closed";
    case EVREQ_HTTP_INVALID_HEADER: return "invalid reply header";
    case EVREQ_HTTP_BUFFER_ERROR:   return "buffer error";
    case EVREQ_HTTP_REQUEST_CANCEL: return "request cancelled";
    case EVREQ_HTTP_DATA_TOO_LONG:  return "reply too long";
    }
    return "error";
}

void http_client_error_text(struct evhttp_connection *conn, enum evhttp_request_error e,
                            char *buf, size_t cap)
{
    char why[200];
    why[0] = '\0';
    if (conn) {
        struct bufferevent *bev = evhttp_connection_get_bufferevent(conn);
        if (bev)
            tls_error_text(bev, why, sizeof(why));
    }
    bool say = why[0] && strcmp(why, "connection closed") != 0;
    snprintf(buf, cap, "%s%s%s", http_client_error_name(e), say ? ": " : "", say ? why : "");
}

bool http_client_header_ok(const char *k, const char *v)
{
    if (!k[0])
        return false;
    for (const char *p = k; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("!#$%&'*+-.^_`|~", *p))
            return false;
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\t')
            return false;
    return true;
}

long http_client_retry_after(const char *v, time_t now, long max_s)
{
    if (!v)
        return -1;
    while (*v == ' ')
        v++;
    long s;
    if (isdigit((unsigned char)*v)) {
        char *end;
        s = strtol(v, &end, 10);
        while (*end == ' ')
            end++;
        if (*end || s < 0)
            return -1;
    } else {
        static const char *const forms[] = { "%a, %d %b %Y %H:%M:%S GMT",
                                             "%A, %d-%b-%y %H:%M:%S GMT",
                                             "%a %b %e %H:%M:%S %Y" };
        struct tm tm;
        const char *end = NULL;
        for (size_t i = 0; i < sizeof(forms) / sizeof(*forms) && !(end && !*end); i++) {
            memset(&tm, 0, sizeof(tm));
            end = strptime(v, forms[i], &tm);
        }
        if (!end || *end)
            return -1;
        time_t at = timegm(&tm);
        if (at == (time_t)-1)
            return -1;
        s = at > now ? (long)(at - now) : 0;
    }
    return s > max_s ? max_s : s;
}

int http_client_parse_url(struct output *out, const char *key, const char *url, bool base,
                          bool *https, int *port, char **host_out, char **path_out,
                          char *host_header, size_t host_header_cap)
{
    struct evhttp_uri *u = evhttp_uri_parse(url);
    int rc = -1;
    if (!u) {
        output_log(out, LOG_ERROR, "%s \"%s\" is not a valid URL", key, url);
        return -1;
    }
    const char *scheme = evhttp_uri_get_scheme(u);
    const char *host = evhttp_uri_get_host(u);
    const char *path = evhttp_uri_get_path(u);
    const char *query = evhttp_uri_get_query(u);
    if (!scheme || (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)) {
        output_log(out, LOG_ERROR, "%s \"%s\": scheme must be http or https", key, url);
        goto done;
    }
    if (!host || !host[0]) {
        output_log(out, LOG_ERROR, "%s \"%s\" has no host", key, url);
        goto done;
    }
    if (evhttp_uri_get_userinfo(u)) {
        output_log(out, LOG_ERROR, "%s: put credentials in headers (Authorization), not in the URL",
                   key);
        goto done;
    }
    if (base && (query || evhttp_uri_get_fragment(u))) {
        output_log(out, LOG_ERROR, "%s is a base URL: no query or fragment", key);
        goto done;
    }
    *https = strcasecmp(scheme, "https") == 0;
    *port = evhttp_uri_get_port(u);
    bool default_port = *port < 0;
    if (default_port)
        *port = *https ? 443 : 80;
    size_t pl = path ? strlen(path) : 0;
    if (base)
        while (pl && path[pl - 1] == '/')
            pl--;   /* "http://collector:4318/" + "/v1/logs" */
    size_t cap = (pl ? pl : 1) + (query ? strlen(query) + 1 : 0) + 1;
    *host_out = strdup(host);
    *path_out = malloc(cap);
    if (!*host_out || !*path_out) {
        output_log(out, LOG_ERROR, "%s: out of memory", key);
        goto done;
    }
    const char *p0 = pl ? path : base ? "" : "/";
    snprintf(*path_out, cap, "%.*s%s%s", pl ? (int)pl : (int)strlen(p0), p0, query ? "?" : "",
             query ? query : "");
    bool v6 = strchr(host, ':') != NULL;
    if (default_port)
        snprintf(host_header, host_header_cap, v6 ? "[%s]" : "%s", host);
    else
        snprintf(host_header, host_header_cap, v6 ? "[%s]:%d" : "%s:%d", host, *port);
    rc = 0;
done:
    evhttp_uri_free(u);
    return rc;
}
