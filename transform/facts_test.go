package transform

import "testing"

func TestPurgesBuildPackages(t *testing.T) {
	for _, tc := range []struct {
		script string
		want   bool
	}{
		{"apt-get install -y gcc libpq-dev && make && apt-get purge -y gcc libpq-dev", true},
		{"apt-get install -y build-essential libpq-dev wget && wget -O /tmp/x u && apt-get purge -y wget", false},
		{"apt-get install -y build-essential libpq-dev && apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false", false},
		{"apt-get install -y gcc libpq-dev && apt-get purge -y gcc", false}, // the headers stay
		{"savedAptMark=\"$(apt-mark showmanual)\" && apt-get install -y gcc-12 libssl-dev && make && apt-mark auto '.*' > /dev/null && apt-mark manual $savedAptMark && apt-get purge -y --auto-remove", true},
		{"apt-get install -y gcc && apt-mark auto gcc && apt-get autoremove -y", true},
		{"apt-get install -y gcc && apt-mark auto gcc && apt-mark manual gcc && apt-get autoremove -y", false},
		{"apk add --virtual .build-deps gcc musl-dev && apk del .build-deps", true},
		{"apk add -t TMP build-base openssl-dev && apk add nodejs npm && apk del TMP", true},
		{"apk add curl git && apk del curl git", false}, // no compiler or headers
		{"apk add $deps && apk del $deps", true},
		{"apt-get install -y curl && apt-get purge -y curl", false},
	} {
		cmds, err := ParseScript(tc.script, "/")
		if err != nil {
			t.Fatal(err)
		}
		if got := purgesBuildPackages(cmds); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.script, got, tc.want)
		}
	}
}
