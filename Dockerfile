# vigil as a container: built on Debian 12, run as an unprivileged user with a
# read-only root filesystem (every write goes under /var/lib/vigil).
FROM debian:bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkgconf \
      libevent-dev libmsgpack-dev liblz4-dev libfyaml-dev libssl-dev zlib1g-dev \
      librdkafka-dev libnats-dev libprotobuf-c-dev protobuf-c-compiler libsystemd-dev libpcre2-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make -j"$(nproc)" PREFIX=/usr all && make install DESTDIR=/out PREFIX=/usr

FROM debian:bookworm-slim
# Runtime libraries only; tests/integration/40_image.sh checks that this list
# covers every library build/vigil and its modules (/usr/lib/vigil) link against.
# A module's libraries (librdkafka, libnats, OpenSSL, protobuf-c, libsystemd)
# are mapped only when the configuration names that output or input;
# libpcre2-8 is opened by the first Sigma rule with a regex.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libevent-core-2.1-7 libevent-extra-2.1-7 libevent-openssl-2.1-7 libevent-pthreads-2.1-7 libmsgpackc2 liblz4-1 \
      libfyaml0 libssl3 zlib1g librdkafka1 libnats3.4 libprotobuf-c1 libsystemd0 libpcre2-8-0 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/vigil --shell /usr/sbin/nologin vigil \
 && install -d -o vigil -g vigil -m 0700 /var/lib/vigil
COPY --from=build /out/ /
USER 10001:10001
VOLUME ["/var/lib/vigil"]
EXPOSE 2020
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s CMD ["/usr/bin/vigil", "--healthcheck", "-c", "/etc/vigil/vigil.yaml"]
ENTRYPOINT ["/usr/bin/vigil"]
CMD ["-c", "/etc/vigil/vigil.yaml"]
