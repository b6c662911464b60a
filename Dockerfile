# Cable's container image: cable-server, cable-gateway and cable-service in
# one image; the command picks one (the Helm chart in helm/cable runs
# cable-gateway and cable-service).
#
#   docker build -t cable:0.1.0 .                      # the runtime image
#   docker build --target test -t cable:0.1.0-test .   # the helm test image
#   docker run --rm -p 8080:8080 cable:0.1.0           # cable-server, in memory
#
# The runtime stage holds the three binaries, the Debian packages of the
# shared libraries they link, and nothing else; it runs as uid 10001 and
# writes nothing, so a read-only root filesystem works. The ctest test
# image_runtime_libraries (tests/helm/image_libs_test.py) reads
# RUNTIME_LIBRARIES below and fails unless every library that ldd lists for
# the three binaries comes from those packages or their dependencies: keep
# it one ARG, package names only.

# --- build: Debian's toolchain and libraries, a Release build ----------------
FROM debian:bookworm-slim AS build
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
COPY scripts/install-deps scripts/install-deps
RUN scripts/install-deps && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
 && cmake --build /build --target cable-server cable-gateway cable-service \
 && install -D -m 0755 -t /out/bin \
      /build/gateway/all_in_one/cable-server \
      /build/gateway/cable_gateway/cable-gateway \
      /build/service/cable_service/cable-service \
 && mkdir -p /out/python \
 && protoc -Iproto --python_out=/out/python --grpc_python_out=/out/python \
      --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin \
      cable/v1/publisher.proto

# --- test: what the chart's helm test Pod runs (files/roundtrip.py) ----------
FROM debian:bookworm-slim AS test
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-grpcio \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/python /opt/cable/python
ENV PYTHONPATH=/opt/cable/python
USER 10001:10001

# --- runtime: the default target ---------------------------------------------
FROM debian:bookworm-slim AS runtime
# The packages whose libraries the binaries link (apt brings what those
# depend on). ca-certificates: system roots for --nats_tls without a CA.
ARG RUNTIME_LIBRARIES="\
 libgrpc++1.51 \
 libprotobuf32 \
 libnats3.4 \
 libjwt0 \
 libprometheus-cpp-pull1.0 \
 libsimdjson14 \
 libspdlog1.10 \
"
ARG RUNTIME_OTHER="ca-certificates"
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ${RUNTIME_LIBRARIES} ${RUNTIME_OTHER} \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 cable \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin cable
COPY --from=build /out/bin/ /usr/local/bin/
USER 10001:10001
# HTTP/WebSocket, Publisher gRPC, internal gRPC, cable-service's /metrics.
EXPOSE 8080 50051 50052 9464
CMD ["cable-server"]
