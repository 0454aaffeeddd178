# redis_memory_exporter on debian:bookworm-slim, built with the same dependency script as
# the README. Configuration: REDIS_ADDR, REDIS_USER, REDIS_PASSWORD or REDIS_PASSWORD_FILE,
# and flags after the image name (docker run IMAGE --sampler.keys-per-second=100).
FROM debian:bookworm-slim AS build
WORKDIR /src
COPY deploy/install-deps.sh deploy/install-deps.sh
RUN bash deploy/install-deps.sh build && rm -rf /var/lib/apt/lists/*
COPY CMakeLists.txt ./
COPY include include
COPY src src
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DRME_TESTS=OFF \
 && cmake --build build -j"$(nproc)" \
 && strip build/redis_memory_exporter

FROM debian:bookworm-slim
COPY deploy/install-deps.sh /tmp/install-deps.sh
RUN bash /tmp/install-deps.sh runtime && rm -rf /var/lib/apt/lists/* /tmp/install-deps.sh \
 && useradd --system --uid 65532 --no-create-home --shell /usr/sbin/nologin exporter
COPY --from=build /src/build/redis_memory_exporter /usr/local/bin/redis_memory_exporter
USER 65532:65532
EXPOSE 39121
ENV REDIS_ADDR=redis://localhost:6379
# Transparent huge pages for malloc's heap: see deploy/systemd/redis_memory_exporter.service.
ENV GLIBC_TUNABLES=glibc.malloc.hugetlb=1
# No curl in the image: the exporter's own port is checked with bash's /dev/tcp.
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/39121 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q '^ok' <&3"]
ENTRYPOINT ["/usr/local/bin/redis_memory_exporter", "--web.listen-address=:39121"]
