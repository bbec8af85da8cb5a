/* SPDX-License-Identifier: MIT */
/*
 * The entry points of the vmmu fuzz target (fuzz_vmmu.c) that the
 * standalone driver (standalone.c) uses when libFuzzer is absent.
 */
#ifndef VMMU_FUZZ_H
#define VMMU_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry points (the target defines both). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Print the operation trace of the input being run (once). */
void fuzz_vmmu_print_trace(void);

/* The input being run, for a crash handler that saves it. */
void fuzz_vmmu_current_input(const uint8_t **data, size_t *size);

#endif /* VMMU_FUZZ_H */
