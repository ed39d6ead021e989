# Multi-stage build of the `territoires` binary.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p territoires \
 && cp target/release/territoires /territoires

FROM debian:bookworm-slim
# ca-certificates: HTTPS for the optional SYNC_ALERT_WEBHOOK.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /data territoires \
 && mkdir -p /data/inbox \
 && chown -R territoires /data
COPY --from=build /territoires /usr/local/bin/territoires
USER territoires
WORKDIR /data
ENV BIND_ADDR=0.0.0.0:8080 \
    SYNC_DROP_DIR=/data/inbox \
    RUST_LOG=info
EXPOSE 8080
ENTRYPOINT ["territoires"]
CMD ["serve"]
