# hybrid-AVIC for KVM on AMD: the series in patches/, and the harness that
# applies it to Debian's linux-source-5.10, builds it and tests it on an
# emulated AMD EPYC host. `make help` lists the targets.

SHELL := /bin/sh
H := harness

.PHONY: help run check check-full fresh-check check-fixes deps base tree retree export build kernel selftests emulator \
	boot test series-check check-base cross-check cross-suite real-guests bench deb clean distclean

help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)

## run           fetch, apply, build, boot the emulated AMD host, show AVIC at work
run: deps build
	@sh $(H)/run.sh

## check         every test; ends with "N passed, N failed, N skipped"
check: deps
	@sh $(H)/check.sh

## check-full    make check with the slow selftests, the AVIC tests under x-avic-partial-ipi, the stress test at scale, 6.12's whole suite and check-fixes (not in CI)
check-full: deps
	@sh $(H)/check.sh full

## fresh-check   make run and make check in a new debootstrap'ed Debian 12 root (not in CI)
fresh-check:
	@sh $(H)/fresh-check.sh

## check-fixes   each fix's test fails without the fix and passes with the series (FIXES="16 2?")
check-fixes: deps build
	@sh $(H)/check-fixes.sh build/run/fixes/counts "$(FIXES)"

## deps          install missing Debian packages (apt-get)
deps:
	@sh $(H)/deps.sh

## base          fetch and verify the pinned linux-source-5.10 .deb
base: deps
	@sh $(H)/fetch-base.sh

## tree          build/linux: pristine base + patches/ (git am)
tree: base
	@sh $(H)/tree.sh

## retree        drop build/linux and create it again from patches/
retree: base
	rm -rf build/linux
	@sh $(H)/tree.sh

## export        regenerate patches/ from the commits in build/linux
export:
	@sh $(H)/export.sh

## build         the kernel and the KVM selftests of build/linux
build: tree
	@sh $(H)/build.sh all

kernel selftests emulator: tree
	@sh $(H)/build.sh $@

## test          boot the emulated host and run the selftests (AVIC=1 or 0, NESTED, TESTS, TEST_ARGS, REPEAT)
AVIC ?= 1
test: deps build
	@sh $(H)/boot.sh $(AVIC) build/run/avic$(AVIC)

## series-check  apply, checkpatch --strict, cover letter, every prefix builds (built in, as modules)
series-check: deps build
	@sh $(H)/series-check.sh build/run/series/counts

## check-base    the series' new selftests must fail on the base (build/base-check)
check-base: deps kernel selftests
	@sh $(H)/check-base.sh build/run/base/counts

## cross-check   Debian's 6.12 KVM must pass its own xapic selftests on the emulated host
cross-check: deps
	@sh $(H)/cross-check.sh build/run/cross/counts

## cross-suite   Debian's 6.12 runs its whole x86_64 KVM selftest suite on the emulated host
cross-suite: deps
	@sh $(H)/cross-check.sh build/run/cross-suite/counts suite

## real-guests   Debian's Linux under Debian's QEMU in the emulated host, avic=1 and avic=0
real-guests: deps build
	@env NESTED=0 LABEL=avic=1,real-guests MUST_RUN=realguest/ NEED_AVIC=1 REAL_GUESTS=1 TESTS='realguest/*' TEST_TIMEOUT=1200 \
		sh $(H)/boot.sh 1 build/run/realguest1
	@env NESTED=0 LABEL=avic=0,real-guests MUST_RUN=realguest/ REAL_GUESTS=1 TESTS='realguest/*' TEST_TIMEOUT=1200 \
		sh $(H)/boot.sh 0 build/run/realguest0

## bench         VM exits, injections and host instructions per interrupt: avic=0, the series, 6.12 (docs/bench.md)
bench: deps build
	@sh $(H)/deps.sh gnuplot-nox
	@sh $(H)/bench.sh build/run/bench

## deb           installable linux-image .deb with Debian's 5.10 config (real AMD hosts)
deb: deps tree
	@sh $(H)/deps.sh kmod
	@sh $(H)/deb.sh

clean:
	rm -rf build/kernel build/selftests build/run build/check-fixes build/fresh build/series-check build/base-check \
		build/cross-6.12/kernel build/cross-6.12/selftests

## distclean     also drop build/linux (keep your commits: make export first)
distclean:
	rm -rf build
