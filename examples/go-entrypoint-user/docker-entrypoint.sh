#!/bin/sh
# Started as root: make the data directory the app's, then drop to it.
set -e
if [ "$(id -u)" = "0" ]; then
	mkdir -p "$DATA_DIR"
	chown -R notes:notes "$DATA_DIR"
	exec gosu notes "$@"
fi
exec "$@"
