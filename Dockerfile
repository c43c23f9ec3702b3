# Sieve in a container: the same build as scripts/build.sh (release profile: an optimised server and
# the small, precompressed browser bundle under hashed names; see scripts/lib.sh), then a small
# runtime image running as a non-root user with its data on a volume.
#   docker build -t sieve .
#   docker run -p 3000:3000 -v sieve-data:/data sieve

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
ENV SIEVE_PROFILE=release SIEVE_BUNDLE=release CARGO_TARGET_DIR=/src/target SIEVE_CACHE=/opt/sieve-cache
RUN bash scripts/build.sh

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates bubblewrap \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin sieve \
 && install -d -o sieve -g sieve -m 700 /data
COPY --from=build /src/target/release/sieve /usr/local/bin/sieve
COPY --from=build /src/target/site /opt/sieve/site
ENV SIEVE_DATA_DIR=/data SIEVE_SITE_ROOT=/opt/sieve/site SIEVE_ADDR=0.0.0.0:3000
USER sieve
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/3000"]
CMD ["sieve", "serve"]
