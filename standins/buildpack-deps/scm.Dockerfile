# Stand-in for buildpack-deps:bookworm-scm (debian/bookworm/scm upstream).
ARG BASE=stagesplit-standin/buildpack-deps:bookworm-curl
FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends \
		git \
		git-lfs \
		mercurial \
		openssh-client \
		subversion \
		\
		procps \
	&& rm -rf /var/lib/apt/lists/*
