# Dockerfile - dtask images: `runtime` (default: dtask-master, dtask-worker, dtask) and `web` (the test web server).
#
#   docker build -t dtask .                      # master, worker and CLI in one small image
#   docker build -t dtask-web --target web .     # dt_httpd.py serving scripts/sample-site on :8080
#
# Stages are in build order, so the classic builder (which runs every stage before the target)
# never does work twice. Only Debian bookworm packages are used, as on a bare-metal install.

# --- base: Debian with the apt sources every later stage installs from -------------------------
FROM debian:bookworm-slim AS base
# Every image and stage built here carries this key, so old ones can be found and pruned.
LABEL dtask.image="base"

# Optional apt sources override: a machine whose Debian mirror differs from the image's puts its own
# apt sources (*.sources, *.list) in .apt-sources/ of the build context (tests/compose/run does).
# .dockerignore always exists, so this COPY does not fail when the directory does not.
COPY .dockerignore .apt-source[s] /tmp/dtask-apt/
RUN set -eu; \
    if [ -n "$(find /tmp/dtask-apt -maxdepth 1 -type f \( -name '*.sources' -o -name '*.list' \))" ]; then \
      rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*; \
      find /tmp/dtask-apt -maxdepth 1 -type f \( -name '*.sources' -o -name '*.list' \) \
        -exec cp {} /etc/apt/sources.list.d/ \; ; \
    fi; \
    rm -rf /tmp/dtask-apt

# --- build: compile the three programs --------------------------------------------------------
FROM base AS build
LABEL dtask.image="build"

RUN set -eu; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      gcc libc6-dev make cmake pkg-config \
      libzmq3-dev libczmq-dev libmsgpack-dev libcurl4-openssl-dev libsqlite3-dev libjansson-dev \
      libmicrohttpd-dev libsodium-dev libxml2-dev libidn2-dev libssl-dev zlib1g-dev; \
    rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Only what the build reads, so editing docs or scripts does not rebuild.
COPY CMakeLists.txt ./
COPY common/ common/
COPY proto/ proto/
COPY master/ master/
COPY worker/ worker/
COPY cli/ cli/
COPY tests/ tests/
COPY bench/ bench/
RUN cmake -S /src -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    && cmake --build /build -j"$(nproc)" --target dtask-master dtask-worker dtask \
    && strip --strip-debug /build/bin/dtask-master /build/bin/dtask-worker /build/bin/dtask

# --- web: the test HTTP server and the sample site (used by docker-compose.yml's `web`) ------------
FROM base AS web
LABEL dtask.image="web"

RUN set -eu; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3; \
    rm -rf /var/lib/apt/lists/*; \
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin dtask

# The repository's layout is kept, so httpd_bind.py finds dt_httpd.py in ../http.
COPY tests/http/dt_httpd.py /opt/dtask/tests/http/
COPY tests/compose/httpd_bind.py /opt/dtask/tests/compose/
COPY scripts/sample-site/ /srv/sample-site/
USER dtask
EXPOSE 8080
# 0.0.0.0 inside the container: reachable on the compose network only (no port is published).
CMD ["python3", "/opt/dtask/tests/compose/httpd_bind.py", "--host", "0.0.0.0", "--port", "8080", \
     "--root", "/srv/sample-site", "--quiet"]

# --- runtime: the three programs and their shared libraries only ----------------------------------
FROM base AS runtime
LABEL dtask.image="runtime"

RUN set -eu; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libzmq5 libczmq4 libmsgpackc2 libcurl4 libsqlite3-0 libjansson4 libmicrohttpd12 \
      libsodium23 libxml2 libidn2-0 libssl3 zlib1g ca-certificates; \
    rm -rf /var/lib/apt/lists/*; \
    useradd --system --user-group --home-dir /var/lib/dtask --shell /usr/sbin/nologin dtask; \
    install -d -o dtask -g dtask -m 0750 /var/lib/dtask; \
    install -d -m 0755 /etc/dtask /etc/dtask/keys; \
    install -d -o dtask -g dtask -m 0700 /etc/dtask/keys/master /etc/dtask/keys/worker /etc/dtask/keys/client

COPY --from=build /build/bin/dtask-master /build/bin/dtask-worker /build/bin/dtask /usr/local/bin/
# Every program fails at once here if a runtime library is missing from the list above.
RUN dtask-master --version && dtask-worker --version && dtask --version

USER dtask
WORKDIR /var/lib/dtask
# The master's port: workers and clients connect here.
EXPOSE 5555
# The master's durable store (with --data /var/lib/dtask); the named volume keeps this image's
# ownership (dtask), so the master can write it without running as root. The same goes for the key
# directories under /etc/dtask/keys, which docker-compose.yml mounts as one volume per role.
VOLUME ["/var/lib/dtask"]
CMD ["dtask", "--help"]
