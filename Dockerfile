# Multi-stage: build the self-contained executable with Bun, then ship it FROM scratch with only the
# glibc files `ldd` names. scripts/scratch-check assembles the same root in a directory and runs it.
FROM debian:12-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm git ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json bun.lock ./
RUN npm install -g bun@1.4.5 && bun install --frozen-lockfile
COPY . .
RUN bun run build \
 && mkdir -p /rootfs/data /rootfs/tmp /rootfs/etc \
 && for lib in $(ldd dist/auth | grep -Eo '/[^ ]+'); do mkdir -p /rootfs$(dirname $lib) && cp -L $lib /rootfs$lib; done \
 && cp dist/auth /rootfs/auth \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ca-certificates.crt \
 && echo 'nonroot:x:65532:65532::/data:/auth' > /rootfs/etc/passwd \
 && chown 65532:65532 /rootfs/data && chmod 1777 /rootfs/tmp

FROM scratch
COPY --from=build /rootfs/ /
USER 65532:65532
ENV DATA_DIR=/data HOST=0.0.0.0 PORT=8080 SSL_CERT_FILE=/etc/ca-certificates.crt
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s CMD ["/auth", "healthcheck"]
ENTRYPOINT ["/auth"]
CMD ["server"]
