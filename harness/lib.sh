# Shared settings and helpers for the harness scripts (POSIX sh).
# Sourced, not run.

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/hybrid-avic
build=${BUILD:-$top/build}

# The pinned base: Debian's linux-source-5.10 from bullseye-security.
# Override with BASE_VERSION=... BASE_SHA256=... (see README.md).
BASE_PKG=linux-source-5.10
BASE_VERSION=${BASE_VERSION:-5.10.262-1}
BASE_SHA256=${BASE_SHA256:-4f01148344ca9e5c1c9743ab4a084cf61c437548f803443ccc044602278b52bc}
BASE_SUITE=bullseye-security

tree=$build/linux            # git work tree: pristine base + series
kobj=$build/kernel           # kernel build output (O=)
kst=$build/selftests         # KVM selftests build output

jobs=${JOBS:-$(($(nproc) + 1))}
# The KVM selftests' compiler. 5.10's steal_time calls pthread_yield(),
# which Debian 12's glibc deprecates: not this series' warning to show.
selftests_cc="ccache gcc -Wno-deprecated-declarations"

msg() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Private apt configuration: never touches /etc/apt.
aptdir=$cache/apt
apt_opts() {
	echo "-o Dir::Etc::sourcelist=$aptdir/sources.list -o Dir::Etc::sourceparts=-" \
	     "-o Dir::State::lists=$aptdir/lists -o Dir::Cache=$aptdir/cache" \
	     "-o Dir::State::status=/var/lib/dpkg/status -o APT::Sandbox::User=root"
}
apt_private_setup() {
	mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
	k=/usr/share/keyrings/debian-archive-keyring.gpg
	cat > "$aptdir/sources.list.new" <<EOT
deb [signed-by=$k] http://deb.debian.org/debian-security $BASE_SUITE main
deb [signed-by=$k] http://deb.debian.org/debian bookworm-backports main
deb [signed-by=$k] http://deb.debian.org/debian bookworm main
deb-src [signed-by=$k] http://deb.debian.org/debian bookworm main
deb-src [signed-by=$k] http://deb.debian.org/debian bookworm-updates main
deb-src [signed-by=$k] http://deb.debian.org/debian-security bookworm-security main
EOT
	mv "$aptdir/sources.list.new" "$aptdir/sources.list"
	# shellcheck disable=SC2046
	apt-get -q $(apt_opts) update >"$aptdir/update.log" 2>&1 ||
		die "apt-get update of the private apt config failed; see $aptdir/update.log"
}

# fetch_deb PKG VERSION SHA256 [SUITE]: download a pinned .deb into the
# cache through the private apt config, check it, and print its path.
# SUITE (default $BASE_SUITE) only names where it comes from in messages.
fetch_deb() {
	suite=${4:-$BASE_SUITE}
	f=$(ls "$cache/${1}_${2}_"*.deb 2>/dev/null | head -n 1)
	if [ -n "$f" ] && ! echo "$3  $f" | sha256sum -c --status; then
		msg "cached $f is corrupted; fetching it again"
		rm -f "$f"; f=
	fi
	if [ -z "$f" ]; then
		msg "fetching $1 $2 ($suite)"
		apt_private_setup
		(cd "$cache" && apt-get -q $(apt_opts) download "$1=$2" >"$aptdir/download.log" 2>&1) ||
			die "$1 $2 is not served by $suite any more (see $aptdir/download.log).
Pick a served version with: apt-cache $(apt_opts) policy $1
then pin that version and its .deb's sha256 (BASE_VERSION/BASE_SHA256 in harness/lib.sh,
CONFIG_SHA256 in harness/deb.sh, CROSS_VERSION/CROSS_SHA256 in harness/cross-check.sh,
GUEST_PKG/GUEST_VERSION/GUEST_SHA256 in harness/real-guest.sh;
all can be overridden from the environment)."
		f=$(ls "$cache/${1}_${2}_"*.deb)
		echo "$3  $f" | sha256sum -c --status || {
			got=$(sha256sum "$f" | cut -d' ' -f1)
			rm -f "$f"
			die "sha256 of $1 $2 is $got, expected $3.
If Debian really rebuilt it, pin the new sum (BASE_SHA256, CONFIG_SHA256, CROSS_SHA256 or GUEST_SHA256)."
		}
	fi
	echo "$f"
}

# Fail early instead of half-way through a build.
need_disk() { # MiB path
	mkdir -p "$2"
	avail=$(df -Pm "$2" | awk 'NR == 2 { print $4 }')
	[ "$avail" -ge "$1" ] ||
		die "only ${avail} MiB free under $2; need ${1} MiB (free space or set XDG_CACHE_HOME/BUILD elsewhere)"
}

# cpu_s FILE: cpu= the CPU seconds (user + sys) of this shell's waited-for
# children, from the "times" builtin. Not in $(...): a subshell's count
# starts from zero.
cpu_s() {
	times > "$1"
	cpu=$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); c += t[1] * 60 + t[2] } }
		END { printf "%d\n", c }' "$1")
}

# kbuild_env BASEDIR: ccache for kernel builds under BASEDIR, and
# reproducible banners, which keep ccache hits across trees and rebuilds.
# Depend mode takes the headers from the compiler's -MD output instead of
# running the preprocessor: a cold kernel build costs 6% more CPU than
# without ccache, not 28% (mm/ of the emulated host's kernel, 2026-12-03).
kbuild_env() {
	export CCACHE_DIR="$cache/ccache" CCACHE_BASEDIR="$1" CCACHE_MAXSIZE=5G CCACHE_DEPEND=1 \
	       KBUILD_BUILD_TIMESTAMP='2000-01-01' KBUILD_BUILD_USER=hybrid-avic \
	       KBUILD_BUILD_HOST=emulated-epyc
}

# scratch_tree DIR BRANCH: DIR is a clone of the pristine base, on a new
# BRANCH at base. The clone is reused, so that builds stay incremental.
scratch_tree() {
	if ! git -C "$1" rev-parse -q --verify base >/dev/null 2>&1; then
		rm -rf "$1"
		git clone -q -b base "$cache/base-$BASE_VERSION.git" "$1"
	fi
	git -C "$1" am --abort >/dev/null 2>&1 || true
	git -C "$1" checkout -q -f base
	git -C "$1" clean -q -fdx
	git -C "$1" branch -q -D "$2" >/dev/null 2>&1 || true
	git -C "$1" checkout -q -b "$2"
}

# inputs_stamp: one hash of what the tests depend on in this repository
# (the series, the emulator, the harness, the tests, the configs; not the
# Markdown files, nor emulator/upstream, the generic fixes ported for
# posting), with uncommitted and untracked changes; empty outside a git
# checkout. make check-full keeps a part, and check-fixes a row, that
# passed with the same stamp (KEEP_STAMP).
inputs_stamp() {
	(
		cd "$top" && git rev-parse -q --verify HEAD >/dev/null 2>&1 || exit 0
		set -- Makefile patches emulator harness tests config bench ':!*.md' ':!emulator/upstream'
		{ git ls-files -s -- "$@"; git diff HEAD -- "$@"
		  git ls-files -z -o --exclude-standard -- "$@" | xargs -0r sha1sum; } | sha1sum | cut -c1-40
	)
}
