# ros: see README.md. `make run` boots the OS in QEMU, `make test` runs every test.
SHELL := /bin/bash
VERSION ?= $(shell cat VERSION)
BUILD   ?= build
CACHE   ?= $(BUILD)/cache
SPEC    ?= images/os.yaml
COMMIT  := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
DATE    := $(shell TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null || echo unknown)
PKG     := github.com/ros-os/ros/internal/buildinfo
LDFLAGS := -s -w -buildid= -X $(PKG).Version=$(VERSION) -X $(PKG).Commit=$(COMMIT) -X $(PKG).Date=$(DATE)
export CGO_ENABLED := 0

.PHONY: all deps ros image iso cloud-images disk run test unit-test qemu-test testsum bench peer bench-peer fault push clean
all: image

deps:
	@hack/deps.sh

# The ros binary, and its initramfs build (early boot only, smaller).
ros:
	go build -trimpath -ldflags '$(LDFLAGS)' -o $(BUILD)/ros ./cmd/ros
	go build -trimpath -tags initramfs -ldflags '$(LDFLAGS)' -o $(BUILD)/ros-initramfs ./cmd/ros

# Builds build/os/{vmlinuz,initrd,rootfs.squashfs} and the OCI image
# build/oci (tag = VERSION), signed. `make image VERSION=1.2.3` builds any
# version. KEY=cosign.key signs with your key (password in COSIGN_PASSWORD)
# and the OS trusts TRUST (default: the .pub beside KEY) for its upgrades;
# without KEY, a throwaway test key in build/keys (made once, shared by
# every build of this checkout).
TESTKEY := build/keys/test
SIGNKEY  = $(if $(KEY),$(KEY),$(TESTKEY).key)
TRUST   ?= $(if $(KEY),$(KEY:.key=.pub),$(TESTKEY).pub)
image: deps ros
	@if [ -z '$(KEY)' ]; then \
	  [ -f $(TESTKEY).key ] || COSIGN_PASSWORD= go run ./images/mkimage keygen $(TESTKEY) >/dev/null; \
	  echo "make: no KEY given: signing with the throwaway test key $(TESTKEY).key (make image KEY=cosign.key to sign with yours)"; fi
	go run ./images/mkimage build --version '$(VERSION)' --spec $(SPEC) --ros $(BUILD)/ros --init $(BUILD)/ros-initramfs \
	  --cache $(CACHE) --out $(BUILD)/os --oci $(BUILD)/oci $(foreach k,$(TRUST),--trust $(k))
	$(if $(KEY),,COSIGN_PASSWORD= )go run ./images/mkimage sign --key $(SIGNKEY) oci-layout:$(BUILD)/oci:$(VERSION)

# The live medium: build/ros-VERSION.iso, for a CD or written raw to a USB
# stick; it boots ros live and installs the image it carries offline.
ISO := $(BUILD)/ros-$(VERSION).iso
iso: image
	go run ./images/mkimage iso --image oci-layout:$(BUILD)/oci:$(VERSION) --out $(ISO)

# Cloud and VM images: an installed 4 GiB disk, slot a written, as qcow2
# and as raw .img.xz. STATE grows to the disk's size at the first boot;
# the cloud-config comes from a NoCloud drive or ros.cloud_config.
CLOUD := $(BUILD)/ros-$(VERSION)
cloud-images: image
	rm -f $(CLOUD).img $(CLOUD).img.xz $(CLOUD).qcow2
	$(BUILD)/ros install --device $(CLOUD).img --size 4G --image oci-layout:$(BUILD)/oci:$(VERSION) $(foreach k,$(TRUST),--trust $(k))
	qemu-img convert -c -f raw -O qcow2 $(CLOUD).img $(CLOUD).qcow2
	xz -T2 -3 $(CLOUD).img

# A fresh 4 GiB disk image with the built OS installed by `ros install`;
# the developer image logs in on the serial console by itself (ros.autologin).
disk: image
	rm -f $(BUILD)/disk.img
	$(BUILD)/ros install --device $(BUILD)/disk.img --size 4G --image oci-layout:$(BUILD)/oci:$(VERSION) --append ros.autologin \
	  $(foreach k,$(TRUST),--trust $(k))

run: disk
	hack/run-qemu.sh $(BUILD)/disk.img

# The ok/FAIL line of each package and the output of failed and skipped
# tests; all of it, as go test -v prints it, in build/unit-test.log; then
# the count of passed, failed and skipped tests (hack/testsum).
unit-test: deps testsum
	go vet ./...
	set -o pipefail; go test -json ./... | $(BUILD)/testsum -name 'unit tests' -log $(BUILD)/unit-test.log
	go test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 20s ./internal/config/

# The QEMU boot tests: they boot what `make image` built. Progress lines while
# they run; then the whole output of each failed or skipped test, and the count.
qemu-test: image testsum
	go test -tags e2e -count=1 -timeout 75m -v ./test/... 2>&1 | tee $(BUILD)/qemu-test.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|\s+\S+_test.go)'; rc=$${PIPESTATUS[0]}; \
	  go tool test2json < $(BUILD)/qemu-test.log | $(BUILD)/testsum -name 'qemu tests' || rc=1; exit $$rc

testsum:
	go build -o $(BUILD)/testsum ./hack/testsum

test: unit-test qemu-test

# The long matrices, not part of make test: ROS_FAULT_CUTS power cuts
# (default 20) of one machine at points drawn at random from the printed seed
# (ROS_FAULT_SEED=N repeats a draw), the rollback of new slots broken in
# each way a boot fails, a full STATE, and a second full build that must give
# make image's digest (reproducible builds). Hours, not minutes.
fault: image testsum
	set -o pipefail; go test -tags e2e,fault -count=1 -timeout 4h -v -run '^(TestPowerCutDraw|TestRollbackMatrix|TestFullState|TestBuildIsReproducible)$$' ./test/ 2>&1 | tee $(BUILD)/fault.log | \
	  grep -E '^(=== RUN|--- |PASS|FAIL|ok|TestPowerCutDraw:|\s+\S+_test.go)'

bench: image peer
	go test -tags e2e -run '^$$' -bench . -benchtime 1x -count=1 -timeout 90m ./test/...

# The boot benchmark's peer (issue 16): a stock Debian 13 + systemd +
# docker.io from debootstrap, cached in build/peer. bench-peer boots it and
# ros alternately and prints both and the ratios.
peer: deps
	@hack/peer.sh $(BUILD)/peer

bench-peer: image peer
	go test -tags e2e -run '^$$' -bench '^BenchmarkBootPeer$$' -benchtime 1x -count=1 -timeout 40m -v ./test/

# make push REF=localhost:5000/ros/os:0.1.0 [INSECURE=1] [KEY=cosign.key]:
# the image and its signatures (make image signed it).
push: image
	go run ./images/mkimage push --from oci-layout:$(BUILD)/oci:$(VERSION) $(if $(INSECURE),--insecure) '$(REF)'

clean:
	rm -rf $(BUILD)/os $(BUILD)/oci $(BUILD)/ros $(BUILD)/disk.img $(BUILD)/testsum
