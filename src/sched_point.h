/* SPDX-License-Identifier: MIT */
/* Superseded by check_hooks.h, the one checker seam; kept only so that
 * tests/fuzz/fuzz_vmmu.c (built outside meson) still compiles. */
#include "check_hooks.h"
