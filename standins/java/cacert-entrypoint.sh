#!/usr/bin/env bash
# Stand-in for adoptium/containers' /__cacert_entrypoint.sh: with
# USE_SYSTEM_CA_CERTS set, import the system CA store and the certificates
# mounted at /certificates into the JVM's truststore; then run the command.
set -e

JRE_CACERTS_PATH=$JAVA_HOME/lib/security/cacerts

if [ -n "${USE_SYSTEM_CA_CERTS:-}" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		if [ -d /certificates ] && [ -n "$(ls -A /certificates 2>/dev/null)" ]; then
			cp -La /certificates/* /usr/local/share/ca-certificates/
		fi
		update-ca-certificates
	fi
	if [ ! -w "$JRE_CACERTS_PATH" ]; then
		tmp=$(mktemp)
		cp "$JRE_CACERTS_PATH" "$tmp"
		JRE_CACERTS_PATH=$tmp
		export JAVA_TOOL_OPTIONS="${JAVA_TOOL_OPTIONS:-} -Djavax.net.ssl.trustStore=$JRE_CACERTS_PATH -Djavax.net.ssl.trustStorePassword=changeit"
	fi
	store=$(mktemp)
	trust extract --overwrite --format=java-cacerts --filter=ca-anchors --purpose=server-auth "$store" >/dev/null
	keytool -importkeystore -destkeystore "$JRE_CACERTS_PATH" -srckeystore "$store" \
		-srcstorepass changeit -deststorepass changeit -noprompt >/dev/null
	rm -f "$store"
fi

export JRE_CACERTS_PATH

exec "$@"
