// SPDX-License-Identifier: MIT
#include <stdio.h>
#include "cmd.h"
void cmd_replay_usage(void) { printf("usage: vmmu replay FILE\n"); }
int cmd_replay(int argc, char **argv) { (void)argc; (void)argv; return CMD_FAIL; }
