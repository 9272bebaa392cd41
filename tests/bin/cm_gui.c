/*
 * cm_gui.c: runs the connection manager (--cm) or the main window (no
 * argument) against the IPC folder in $CDESK_IPC_DIR, so the GUI tests can
 * drive them before ui/main.c wires the modes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm/cm.h"
#include "common/config.h"
#include "ui/ui.h"

int main(int, char **);

int
main(int argc, char **argv)
{
	struct cfg_paths paths;

	memset(&paths, 0, sizeof paths);
	paths.run_dir = getenv("CDESK_IPC_DIR");
	if (paths.run_dir == NULL) {
		fprintf(stderr, "cm_gui: set CDESK_IPC_DIR\n");
		return 2;
	}
	if (argc > 1 && strcmp(argv[1], "--cm") == 0)
		return cm_main(argc, argv, &paths);
	return ui_main(argc, argv, &paths);
}
