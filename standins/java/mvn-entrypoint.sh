#!/bin/sh -eu
# Stand-in for the maven image's mvn-entrypoint.sh: seed $MAVEN_CONFIG
# (~/.m2) from /usr/share/maven/ref without overwriting what is there, then
# run the command.

ref=/usr/share/maven/ref
conf=${MAVEN_CONFIG:-/root/.m2}
log=$conf/copy_reference_file.log

if mkdir -p "$conf/repository" && touch "$log" >/dev/null 2>&1; then
	echo "--- Copying files to $conf at $(date)" >>"$log"
	(cd "$ref" && find . -type f) | while IFS= read -r f; do
		if [ ! -e "$conf/$f" ] || [ -e "$ref/$f.override" ]; then
			mkdir -p "$conf/$(dirname "$f")"
			cp -v "$ref/$f" "$conf/$f" >>"$log"
		fi
	done
	echo >>"$log"
else
	echo "Can not write to $log. Wrong volume permissions? Carrying on ..."
fi
unset MAVEN_CONFIG

exec "$@"
