/*
 * ipc_opt: set one option the way the main window ("ui") or the command
 * line ("cli") does (Data.OptionsSet over the server's socket), and print
 * the server's Result: "RESULT <code> <text>". For tests of what the
 * server lets each one change, and when.
 *
 *   ipc_opt RUN_DIR ui|cli KEY VALUE
 */
#include <stdio.h>

#include "common/err.h"
#include "ipc/ipc.h"

int main(int, char **);

/* Send one OptionsSet and print the answer. */
int
main(int argc, char **argv)
{
	Ipc__Data req = IPC__DATA__INIT, *reply = NULL;
	Ipc__OptionsSet os = IPC__OPTIONS_SET__INIT;
	Ipc__OptionEntry e = IPC__OPTION_ENTRY__INIT, *ep = &e;
	int r;

	if (argc != 5) {
		fprintf(stderr, "usage: ipc_opt RUN_DIR ui|cli KEY VALUE\n");
		return 2;
	}
	e.key = argv[3];
	e.value = argv[4];
	os.n_options = 1;
	os.options = &ep;
	req.union_case = IPC__DATA__UNION_OPTIONS_SET;
	req.options_set = &os;
	if ((r = ipc_request(argv[1], argv[2], &req, &reply, 3000,
	    NULL)) != 0) {
		fprintf(stderr, "ipc_opt: %s\n", err_str(r));
		return 1;
	}
	if (reply->union_case != IPC__DATA__UNION_RESULT) {
		fprintf(stderr, "ipc_opt: answer %d\n", (int)reply->union_case);
		ipc_data_free(reply);
		return 1;
	}
	printf("RESULT %d %s\n", (int)reply->result->code,
	    reply->result->text);
	ipc_data_free(reply);
	return 0;
}
