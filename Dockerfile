# syntax=docker/dockerfile:1
#
# phananh in a container: built with the Go toolchain, run from distroless
# as a non-root user. `docker build -t phananh .`; see docker-compose.yml for
# the three-node JetStream cluster with two replicas, and docs/operations.md.

# ---- build -----------------------------------------------------------------
# The Go version must be at least go.mod's `go` line (deploy tests check it).
FROM golang:1.26 AS build
WORKDIR /src

# Modules first, in a layer of their own: it is rebuilt only when go.mod or
# go.sum change, not on every source edit.
COPY go.mod go.sum ./
RUN go mod download && go mod verify

COPY . .
# A static binary (no cgo: distroless/static has no libc), with no local
# paths in it (-trimpath). The build cache mount only speeds rebuilds up.
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/phananh ./cmd/phananh \
 && mkdir -p /out/data

# ---- run -------------------------------------------------------------------
# distroless static, nonroot variant: no shell, no package manager, uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/phananh /phananh
# The data directory belongs to the non-root user (the image has no shell to
# chown it at run time).
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532

# Embedded mode (no --nats-url) keeps the JetStream files in /data. The
# embedded NATS listens on all interfaces inside the container so an operator
# container (nats-box) can inspect it; it has no authentication, so publish
# port 4222 only on a trusted network. With --nats-url nothing is embedded
# and /data stays empty.
ENV PHANANH_DATA=/data \
    PHANANH_HTTP=:8080 \
    PHANANH_NATS_LISTEN=0.0.0.0:4222
VOLUME ["/data"]
EXPOSE 8080 4222

# No curl here: the binary asks its own /readyz (200 once the stream exists
# and the read models caught up).
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["/phananh", "healthcheck", "--url", "http://127.0.0.1:8080/readyz", "--timeout", "3s"]

ENTRYPOINT ["/phananh"]
CMD ["serve"]
