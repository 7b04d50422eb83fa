/* main.c — entry point of the `rert` binary; everything else is in the command tables. */
#include "cli/cli.h"

int main(int argc, char **argv) { return cli_main(argc, argv); }
