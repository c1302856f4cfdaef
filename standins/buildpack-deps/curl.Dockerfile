# Stand-in for buildpack-deps:bookworm-curl (docker-library/buildpack-deps,
# debian/bookworm/curl). The real one is FROM debian:bookworm (not slim), so the
# slim image's dpkg path-excludes are dropped first: packages installed from
# here on keep their docs and man pages, as in the real image.
ARG BASE=debian:bookworm-slim
FROM ${BASE}
RUN set -eux; \
	rm -f /etc/dpkg/dpkg.cfg.d/docker; \
	apt-get update; \
	apt-get install -y --no-install-recommends \
		ca-certificates \
		curl \
		gnupg \
		netbase \
		sq \
		wget \
	; \
	rm -rf /var/lib/apt/lists/*
