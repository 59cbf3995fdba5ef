# syntax=docker/dockerfile:1

# --- Build -----------------------------------------------------------------------------
FROM rust:1.89-bookworm AS builder
WORKDIR /src
# Queries are checked against the committed .sqlx/ data; no database during the build.
ENV SQLX_OFFLINE=true
COPY . .
# The registry and target directories live in BuildKit caches, so a rebuild after a
# source change recompiles Prospector, not its dependencies. The binary is copied out of
# the cache inside the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
    && cp target/release/prospector /usr/local/bin/prospector

# --- Run -------------------------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 prospector \
    && useradd --system --uid 10001 --gid prospector --home-dir /app --shell /usr/sbin/nologin prospector
COPY --from=builder /usr/local/bin/prospector /usr/local/bin/prospector
# Templates are compiled in; static files are served from ./static. Both stay root-owned:
# the app only reads them.
COPY static/ /app/static/
WORKDIR /app
USER prospector
# Inside a container the loopback address is unreachable from outside.
ENV PROSPECTOR_ADDR=0.0.0.0:3000
EXPOSE 3000
CMD ["prospector", "serve"]
