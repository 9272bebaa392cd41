/*
 * cdesk.c: the front door (as tmux.c is tmux's). Parses the command line
 * and hands over to one mode per run: the server (server/), the connection
 * manager (cm/), the main window (ui/) or a command-line verb, which talks
 * to a running server over the IPC (ipc/) or works on the files itself.
 *
 *
 *	cdesk [--config DIR] [-v] --server
 *	cdesk [-v] --helper	(started by the server in the session)
 *	cdesk [--config DIR] --get-id
 *	cdesk [--config DIR] --password NEW
 *	cdesk [--config DIR] --option KEY [VALUE]
 *	cdesk --version | --help
 *
 * Exit status: 0 done, 1 failed (config, state or I/O), 2 wrong usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/err.h"
#include "common/log.h"
#include "common/store.h"
#include "common/xmalloc.h"
#include "cm/cm.h"
#include "ipc/ipc.h"
#include "ui/ui.h"
#include "server/rendezvous/rendezvous.h"
#include "server/helper/helper.h"
#include "server/server.h"

#define EXIT_USAGE	2

enum mode {
	M_NONE,
	M_SERVER,
	M_CM,
	M_HELPER,
	M_GET_ID,
	M_STATUS,
	M_PASSWORD,
	M_OPTION,
	M_VERSION,
	M_HELP,
};

struct args {
	enum mode	 mode;
	const char	*config;	/* --config DIR, or NULL (borrowed) */
	int		 verbose;	/* number of -v */
	const char	*arg1;		/* NEW or KEY (borrowed) */
	const char	*arg2;		/* VALUE, or NULL (borrowed) */
};

int main(int, char **);

/* Print one option name and its default for --help. */
static void
help_option_cb(const char *key, const char *value, int is_set, void *arg)
{
	FILE *f = arg;

	(void)is_set;
	fprintf(f, "  %-38s default \"%s\"\n", key, value);
}

/* Print the usage text to f. */
static void
usage(FILE *f)
{
	struct cfg *c;

	fprintf(f,
	    "usage: cdesk [--config DIR] [-v] [MODE]\n"
	    "modes (none: the main window):\n"
	    "  --server               run the host (until SIGTERM)\n"
	    "  --get-id               print this host's ID\n"
	    "  --status               registration state of the running host:\n"
	    "                         registered, connecting or error: ...\n"
	    "  --password NEW         set the permanent password (at least 6 "
	    "characters)\n"
	    "  --option KEY           print the effective value of an option\n"
	    "  --option KEY VALUE     set an option in the config file (\"\" "
	    "removes it)\n"
	    "  --cm                   the connection manager window (the "
	    "server starts it)\n"
	    "  --helper               serve file transfers on descriptor 3 "
	    "(the server starts it)\n"
	    "  --version              print the version\n"
	    "  --help                 print this text\n"
	    "flags:\n"
	    "  --config DIR           keep config, state and sockets in DIR\n"
	    "  -v                     more log output (repeat for more)\n"
	    "options (file section [options], system file %s wins):\n",
	    CFG_SYSTEM_CONF);
	c = cfg_new();
	cfg_each(c, help_option_cb, f);
	cfg_free(c);
}

/* Complain about usage on stderr and return the usage exit status. */
static int
usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "cdesk: %s%s%s\n", what, arg != NULL ? ": " : "",
	    arg != NULL ? arg : "");
	fprintf(stderr, "Try 'cdesk --help'.\n");
	return EXIT_USAGE;
}

/* Set the mode once; 0, or -1 if a mode was already given. */
static int
set_mode(struct args *a, enum mode m)
{
	if (a->mode != M_NONE)
		return -1;
	a->mode = m;
	return 0;
}

/* Parse argv into a; returns 0 or the usage exit status. */
static int
parse_args(int argc, char **argv, struct args *a)
{
	const char *s;
	int i;

	memset(a, 0, sizeof *a);
	for (i = 1; i < argc; i++) {
		s = argv[i];
		if (strcmp(s, "--config") == 0) {
			if (i + 1 >= argc)
				return usage_error("--config needs a folder",
				    NULL);
			if (a->config != NULL)
				return usage_error("--config given twice",
				    NULL);
			a->config = argv[++i];
		} else if (strncmp(s, "--config=", 9) == 0) {
			if (a->config != NULL)
				return usage_error("--config given twice",
				    NULL);
			a->config = s + 9;
		} else if (strcmp(s, "-v") == 0 ||
		    strcmp(s, "--verbose") == 0) {
			a->verbose++;
		} else if (strcmp(s, "--server") == 0) {
			if (set_mode(a, M_SERVER) != 0)
				goto twice;
		} else if (strcmp(s, "--cm") == 0) {
			if (set_mode(a, M_CM) != 0)
				goto twice;
		} else if (strcmp(s, "--helper") == 0) {
			if (set_mode(a, M_HELPER) != 0)
				goto twice;
		} else if (strcmp(s, "--get-id") == 0) {
			if (set_mode(a, M_GET_ID) != 0)
				goto twice;
		} else if (strcmp(s, "--status") == 0) {
			if (set_mode(a, M_STATUS) != 0)
				goto twice;
		} else if (strcmp(s, "--version") == 0) {
			if (set_mode(a, M_VERSION) != 0)
				goto twice;
		} else if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
			if (set_mode(a, M_HELP) != 0)
				goto twice;
		} else if (strcmp(s, "--password") == 0) {
			if (set_mode(a, M_PASSWORD) != 0)
				goto twice;
			if (i + 1 >= argc)
				return usage_error("--password needs the new "
				    "password", NULL);
			a->arg1 = argv[++i];
		} else if (strcmp(s, "--option") == 0) {
			if (set_mode(a, M_OPTION) != 0)
				goto twice;
			if (i + 1 >= argc)
				return usage_error("--option needs a KEY",
				    NULL);
			a->arg1 = argv[++i];
			/* An optional VALUE, which may be "" (remove). */
			if (i + 1 < argc && (argv[i + 1][0] != '-' ||
			    argv[i + 1][1] == '\0' ||
			    (argv[i + 1][1] >= '0' && argv[i + 1][1] <= '9')))
				a->arg2 = argv[++i];
		} else
			return usage_error("unknown argument", s);
	}
	return 0;
twice:
	return usage_error("give only one mode", s);
}

/* Print the cause of a failure and return 1. */
static int
fail(const char *what, char *cause, int r)
{
	fprintf(stderr, "cdesk: %s%s%s\n", what != NULL ? what : "",
	    what != NULL ? ": " : "", cause != NULL ? cause : err_str(r));
	free(cause);
	return 1;
}

/* Print warnings (newline-separated) to stderr and free them. */
static void
print_warnings(char *warnings)
{
	char *line, *p = warnings;

	if (warnings == NULL)
		return;
	while ((line = strsep(&p, "\n")) != NULL)
		fprintf(stderr, "cdesk: warning: %s\n", line);
	free(warnings);
}

/*
 * Sends req to a running server and waits for its Result. Returns
 * ERR_NOTFOUND when no server listens (the caller then works on the files
 * itself), else the server's answer: 0, or the failure printed.
 */
static int
ipc_call(const struct cfg_paths *paths, const Ipc__Data *req)
{
	Ipc__Data *reply = NULL;
	int r;

	r = ipc_request(ipc_find_dir(paths->run_dir), "cli", req, &reply,
	    3000);
	if (r == ERR_NOTFOUND)
		return r;
	if (r != 0)
		return fail("server", NULL, r);
	if (reply->union_case != IPC__DATA__UNION_RESULT) {
		ipc_data_free(reply);
		return fail("server", NULL, ERR_PROTO);
	}
	if ((r = reply->result->code) != 0)
		fprintf(stderr, "cdesk: %s\n", *reply->result->text ?
		    reply->result->text : err_str(r));
	ipc_data_free(reply);
	return r != 0 ? 1 : 0;
}

/* --status: ask the running server for its registration state. */
static int
cmd_status(const struct cfg_paths *paths)
{
	Ipc__Data req = IPC__DATA__INIT, *reply = NULL;
	Ipc__StatusGet sg = IPC__STATUS_GET__INIT;
	int r;

	req.union_case = IPC__DATA__UNION_STATUS_GET;
	req.status_get = &sg;
	r = ipc_request(ipc_find_dir(paths->run_dir), "cli", &req, &reply,
	    3000);
	if (r == ERR_NOTFOUND) {
		printf("not running\n");
		return 1;
	}
	if (r != 0)
		return fail("--status", NULL, r);
	if (reply->union_case != IPC__DATA__UNION_STATUS) {
		ipc_data_free(reply);
		return fail("--status", NULL, ERR_PROTO);
	}
	printf("%s\n", reply->status->rendezvous);
	ipc_data_free(reply);
	return 0;
}

/* --get-id: print the ID, creating the state on first use. */
static int
cmd_get_id(const struct cfg_paths *paths)
{
	struct store *s;
	char *cause;
	int r;

	if ((r = store_open(&s, paths->state_dir, &cause)) != 0)
		return fail(NULL, cause, r);
	printf("%s\n", store_id(s));
	store_free(s);
	return 0;
}

/* --password NEW: set the permanent password. */
static int
cmd_password(const struct cfg_paths *paths, const char *pw)
{
	Ipc__Data req = IPC__DATA__INIT;
	Ipc__SetPermanentPassword sp = IPC__SET_PERMANENT_PASSWORD__INIT;
	struct store *s;
	char *cause;
	int r;

	/* A running server owns the state: ask it, so it takes effect. */
	sp.password = (char *)pw;
	req.union_case = IPC__DATA__UNION_SET_PERMANENT_PASSWORD;
	req.set_permanent_password = &sp;
	if ((r = ipc_call(paths, &req)) != ERR_NOTFOUND) {
		if (r == 0)
			printf("Done!\n");
		return r;
	}
	if ((r = store_open(&s, paths->state_dir, &cause)) != 0)
		return fail(NULL, cause, r);
	r = store_set_password(s, pw, &cause);
	store_free(s);
	if (r != 0)
		return fail(NULL, cause, r);
	printf("Done!\n");
	return 0;
}

/* --option KEY: print the effective value. */
static int
cmd_option_get(const struct cfg_paths *paths, const char *key)
{
	struct cfg *c;
	char *cause, *warnings;
	int r;

	if ((r = cfg_load(&c, paths, &cause, &warnings)) != 0)
		return fail(NULL, cause, r);
	print_warnings(warnings);
	if (!cfg_known(key) && *cfg_get(c, key) == '\0') {
		cfg_free(c);
		return fail(NULL, xstrdup("unknown option (see cdesk --help)"),
		    ERR_NOTFOUND);
	}
	printf("%s\n", cfg_get(c, key));
	cfg_free(c);
	return 0;
}

/* --option KEY VALUE: check and store in the writable file. */
static int
cmd_option_set(const struct cfg_paths *paths, const char *key,
    const char *value)
{
	struct cfg *c;
	char *cause, *warnings, *esc;
	const char *def;
	int r;

	if (!cfg_known(key)) {
		esc = log_escape(key, 64);
		xasprintf(&cause, "key '%s': unknown option (see cdesk --help)",
		    esc);
		free(esc);
		return fail(NULL, cause, ERR_CONFIG);
	}
	/* A value equal to the default is stored as unset (HOST.md 7.2). */
	if ((def = cfg_default(key)) != NULL && strcmp(value, def) == 0)
		value = "";
	if (*value != '\0' && (r = cfg_check(key, value, &cause)) != 0)
		return fail(NULL, cause, r);
	{
		Ipc__Data req = IPC__DATA__INIT;
		Ipc__OptionsSet os = IPC__OPTIONS_SET__INIT;
		Ipc__OptionEntry e = IPC__OPTION_ENTRY__INIT, *ep = &e;

		/* A running server writes the file and applies it at once. */
		e.key = (char *)key;
		e.value = (char *)value;
		os.n_options = 1;
		os.options = &ep;
		req.union_case = IPC__DATA__UNION_OPTIONS_SET;
		req.options_set = &os;
		if ((r = ipc_call(paths, &req)) != ERR_NOTFOUND)
			return r;
	}
	if ((r = cfg_set_file(paths->conf, key, value, &cause)) != 0)
		return fail(NULL, cause, r);
	/* Tell the user when the admin's file overrides what was set. */
	if (cfg_load(&c, paths, &cause, &warnings) != 0)
		return fail("saved, but the config does not load", cause,
		    ERR_CONFIG);
	free(warnings);
	if (strcmp(cfg_get(c, key), value[0] != '\0' ? value : def) != 0)
		fprintf(stderr, "cdesk: note: %s sets '%s', which wins\n",
		    paths->sys_conf != NULL ? paths->sys_conf : "another file",
		    key);
	cfg_free(c);
	return 0;
}

/* Parse the command line and run one mode. */
int
main(int argc, char **argv)
{
	struct args a;
	struct cfg_paths paths;
	char *cause;
	int r, level;

	log_set_ident("cdesk");
	if ((r = parse_args(argc, argv, &a)) != 0)
		return r;
	level = LOG_INFO + a.verbose;
	log_set_level(level > LOG_TRACE ? LOG_TRACE : (enum log_level)level);
	switch (a.mode) {
	case M_HELP:
		usage(stdout);
		return 0;
	case M_VERSION:
		printf("cdesk %s\n", CDESK_VERSION);
		return 0;
	case M_HELPER:
		/* The server's socketpair end (server/fsh.c); no files of
		 * ours are read: the helper only serves the peers. */
		return helper_main(3, a.verbose);
	default:
		break;
	}
	if ((r = cfg_paths_init(&paths, a.config, &cause)) != 0)
		return fail(NULL, cause, r);
	switch (a.mode) {
	case M_NONE:
		r = ui_main(argc, argv, &paths);
		break;
	case M_CM:
		r = cm_main(argc, argv, &paths);
		break;
	case M_SERVER:
		r = server_main(&paths, a.verbose);
		break;
	case M_GET_ID:
		r = cmd_get_id(&paths);
		break;
	case M_STATUS:
		r = cmd_status(&paths);
		break;
	case M_PASSWORD:
		r = cmd_password(&paths, a.arg1);
		break;
	case M_OPTION:
		if (a.arg2 == NULL)
			r = cmd_option_get(&paths, a.arg1);
		else
			r = cmd_option_set(&paths, a.arg1, a.arg2);
		break;
	default:
		r = EXIT_USAGE;
		break;
	}
	cfg_paths_fini(&paths);
	return r;
}
