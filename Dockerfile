# syntax=docker/dockerfile:1

# renoflow: one static binary, subcommands worker | server | migrate | healthcheck
# (built with -tags nodev: the embedded dev stack stays out of the production image).
#   docker build -t renoflow:local .
#   docker run --rm renoflow:local server

# ---- build ------------------------------------------------------------------
# Go 1.26.8 as go.mod requires; GOTOOLCHAIN=local so the build never fetches another toolchain.
FROM golang:1.26.8 AS build
ENV GOTOOLCHAIN=local
WORKDIR /src

# Modules first, so that source edits reuse the download layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -tags nodev -o /renoflow ./cmd/renoflow

# ---- runtime ----------------------------------------------------------------
# Static distroless: CA certificates and tzdata (time.LoadLocation) but no shell, curl or
# wget, so container health checks run `/renoflow healthcheck`.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /renoflow /renoflow
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/renoflow"]
CMD ["server"]
