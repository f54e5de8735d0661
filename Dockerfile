# medic: build with the Rust toolchain, run on a slim Debian as a non-root user.
#   docker build -t medic .
#   docker run -p 8080:8080 medic            # embedded defaults: SQLite, demo cluster, dry-run
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs rustfmt.toml ./
COPY src ./src
COPY migrations ./migrations
COPY config ./config
RUN cargo build --release --locked && strip target/release/medic

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/medic --create-home medic
COPY --from=build /src/target/release/medic /usr/local/bin/medic
COPY config /etc/medic/examples
USER 10001
WORKDIR /var/lib/medic
EXPOSE 8080
ENTRYPOINT ["medic"]
CMD ["serve", "--listen", "0.0.0.0:8080", "--data-dir", "/var/lib/medic"]
