# SPDX-License-Identifier: MIT
# A thin wrapper around Meson.  `make` builds into build/; `make run` runs the
# main job; `make check` runs every test (release, ASan+UBSan, TSan builds).
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_TSAN ?= build-tsan
MESON_OPTS ?=

.PHONY: all deps run check check-release check-asan check-tsan clean install

all: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	@sh scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

$(BUILD_ASAN)/build.ninja:
	meson setup $(BUILD_ASAN) -Db_sanitize=address,undefined -Db_lundef=false $(MESON_OPTS)

$(BUILD_TSAN)/build.ninja:
	meson setup $(BUILD_TSAN) -Db_sanitize=thread -Db_lundef=false $(MESON_OPTS)

run: all
	./$(BUILD)/tools/vmmu/vmmu run

check:
	@sh scripts/deps.sh --check
	@sh scripts/check.sh

install: all
	meson install -C $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_TSAN)
