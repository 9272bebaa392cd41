/*
 * ipc_perm: switch a permission of a live connection the way the CM does
 * (Data.SwitchPermission from role "cm" over the server's socket), for
 * tests of the server side of the toggles.
 *
 *   ipc_perm RUN_DIR CONN_ID NAME 0|1
 */
#include <stdio.h>
#include <stdlib.h>

#include "common/err.h"
#include "ipc/ipc.h"

int main(int, char **);

/* Send one SwitchPermission and wait for the server's first answer. */
int
main(int argc, char **argv)
{
	Ipc__Data req = IPC__DATA__INIT, *reply = NULL;
	Ipc__SwitchPermission sp = IPC__SWITCH_PERMISSION__INIT;
	int r;

	if (argc != 5) {
		fprintf(stderr, "usage: ipc_perm RUN_DIR CONN_ID NAME 0|1\n");
		return 2;
	}
	sp.conn_id = atoi(argv[2]);
	sp.name = argv[3];
	sp.enabled = atoi(argv[4]) != 0;
	req.union_case = IPC__DATA__UNION_SWITCH_PERMISSION;
	req.switch_permission = &sp;
	/* A CM that attaches is sent the state of every connection first:
	 * that answer means the request was read in order after Hello. */
	if ((r = ipc_request(argv[1], "cm", &req, &reply, 3000, NULL)) != 0) {
		fprintf(stderr, "ipc_perm: %s\n", err_str(r));
		return 1;
	}
	ipc_data_free(reply);
	return 0;
}
