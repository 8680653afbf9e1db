/* healthcheck.c - a minimal blocking HTTP/1.0 GET of /healthz (healthcheck.h).
 * Blocking is fine here: this runs as its own short-lived process. */
#include "sidecar/healthcheck.h"

#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int healthcheck_run(const char *listen, int timeout_ms)
{
    char host[256], port[16];
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof(host) ||
        strlen(colon + 1) >= sizeof(port)) {
        fprintf(stderr, "healthcheck: service.http.listen is not set (HOST:PORT)\n");
        return 1;
    }
    size_t hl = (size_t)(colon - listen);
    const char *h = listen;
    if (listen[0] == '[' && hl >= 2 && listen[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    memcpy(host, h, hl);
    host[hl] = 0;
    snprintf(port, sizeof(port), "%s", colon + 1);
    if (strcmp(host, "0.0.0.0") == 0)
        snprintf(host, sizeof(host), "127.0.0.1");
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
    if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai) {
        fprintf(stderr, "healthcheck: cannot resolve %s\n", listen);
        return 1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc = 1;
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        fprintf(stderr, "healthcheck: cannot connect to %s\n", listen);
        goto out;
    }
    static const char req[] = "GET /healthz HTTP/1.0\r\nHost: vigil\r\n\r\n";
    if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
        goto out;
    char buf[1024];
    size_t got = 0;
    struct pollfd p = { .fd = fd, .events = POLLIN };
    while (got < sizeof(buf) - 1 && poll(&p, 1, timeout_ms) > 0) {
        ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    buf[got] = 0;
    int status = 0;
    if (sscanf(buf, "HTTP/%*s %d", &status) == 1 && status == 200) {
        rc = 0;
    } else {
        char *body = strstr(buf, "\r\n\r\n");
        fprintf(stderr, "healthcheck: %d %s", status, body ? body + 4 : "(no answer)\n");
    }
out:
    if (fd >= 0)
        close(fd);
    freeaddrinfo(ai);
    return rc;
}
