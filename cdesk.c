/*
 * cdesk.c: the front door (as tmux.c is tmux's). Parses the command line
 * and hands over to one mode per run: the server (server/), the connection
 * manager (cm/), the main window (ui/) or a command-line verb, which talks
 * to a running server over the IPC (ipc/) or works on the files itself.
 *
 * Built twice on Linux: `cdesk` without the windows (CDESK_NO_GUI) and
 * `cdesk-gui` with them, which `cdesk` execs for --cm and the main window
 * (gui_exec). So the server, the process that runs for days, never maps
 * GTK and the libraries behind it (docs/ARCHITECTURE.md).
 *
 *	cdesk [--config DIR] [-v] --server
 *	cdesk [-v] --helper	(started by the server in the session)
 *	cdesk [--config DIR] --get-id | --status | --get-temp-password
 *	cdesk [--config DIR] --password NEW|-
 *	cdesk [--config DIR] --option KEY [VALUE]
 *	cdesk [--config DIR] --2fa setup | enable CODE | disable | status
 *	cdesk [--config DIR] --2fa trusted | untrust KEY|ID|--all
 *	cdesk --version | --help
 *
 * Exit status: 0 done, 1 failed (config, state or I/O), 2 wrong usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "common/err.h"
#include "common/log.h"
#include "common/store.h"
#include "common/totp.h"
#include "common/xmalloc.h"
#include "ipc/ipc.h"
#if !defined(CDESK_NO_GUI) || defined(_WIN32)
#include "cm/cm.h"
#include "ui/ui.h"
#endif
#include "server/rendezvous/rendezvous.h"
#include "server/sysinfo.h"
#include "server/helper/helper.h"
#include "server/server.h"
#ifdef _WIN32
#include "server/win/service_win.h"
#include "server/win/term_conpty.h"
#endif

#define EXIT_USAGE	2

enum mode {
	M_NONE,
	M_SERVER,
	M_CM,
	M_HELPER,
	M_GET_ID,
	M_STATUS,
	M_TEMP_PASSWORD,
	M_PASSWORD,
	M_OPTION,
	M_2FA,
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
	    "  --get-temp-password    print the running host's one-time "
	    "password\n"
	    "  --password NEW         set the permanent password (at least 6 "
	    "characters)\n"
	    "  --password -           the same, reading it from stdin (one "
	    "line; not in ps)\n"
	    "  --option KEY           print the effective value of an option\n"
	    "  --option KEY VALUE     set an option (\"\" removes it): a user "
	    "sets it in\n"
	    "                         their own file through the running host; "
	    "root (no\n"
	    "                         --config) edits the admin's file %s,\n"
	    "                         which the host re-reads and whose keys "
	    "no one else\n"
	    "                         may change\n"
	    "  --2fa setup            draw a 2FA secret: prints it and its "
	    "otpauth:// URI\n"
	    "  --2fa enable CODE      turn 2FA on once CODE from the "
	    "authenticator is right\n"
	    "  --2fa disable          turn 2FA off (forgets trusted devices)\n"
	    "  --2fa status           on or off, trusted devices\n"
	    "  --2fa trusted          list the trusted devices (key, ID, name, "
	    "platform, since)\n"
	    "  --2fa untrust KEY|ID   forget a trusted device (--all: every "
	    "one)\n"
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
	    CFG_SYSTEM_CONF, CFG_SYSTEM_CONF);
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

/* --2fa's verb and its argument, from argv[*i + 1]. */
static int
parse_2fa(struct args *a, int argc, char **argv, int *i)
{
	static const char verbs[] = "--2fa needs setup, enable CODE, "
	    "disable, status, trusted or untrust KEY|ID|--all";

	if (*i + 1 >= argc)
		return usage_error(verbs, NULL);
	a->arg1 = argv[++*i];
	if (strcmp(a->arg1, "enable") == 0 ||
	    strcmp(a->arg1, "untrust") == 0) {
		if (*i + 1 >= argc)
			return usage_error(*a->arg1 == 'e' ? "--2fa enable "
			    "needs the CODE" : "--2fa untrust needs a KEY, an "
			    "ID or --all", NULL);
		a->arg2 = argv[++*i];
	} else if (strcmp(a->arg1, "setup") != 0 &&
	    strcmp(a->arg1, "disable") != 0 &&
	    strcmp(a->arg1, "status") != 0 &&
	    strcmp(a->arg1, "trusted") != 0)
		return usage_error(verbs, a->arg1);
	return 0;
}

/* Parse argv into a; returns 0 or the usage exit status. */
static int
parse_args(int argc, char **argv, struct args *a)
{
	const char *s;
	int i, r;

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
		} else if (strcmp(s, "--get-temp-password") == 0) {
			if (set_mode(a, M_TEMP_PASSWORD) != 0)
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
		} else if (strcmp(s, "--2fa") == 0) {
			if (set_mode(a, M_2FA) != 0)
				goto twice;
			if ((r = parse_2fa(a, argc, argv, &i)) != 0)
				return r;
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
 * Sends req to the running server and waits at most 3 s for its answer.
 * Returns ERR_NOTFOUND when no server listens (nothing printed), else 0
 * with *reply set (ipc_data_free), or 1 with the failure printed (what:
 * the verb).
 */
static int
ipc_ask(const struct cfg_paths *paths, const char *what, const Ipc__Data *req,
    Ipc__Data **reply)
{
	char *cause = NULL;
	int r;

	r = ipc_request(ipc_find_dir(paths->run_dir), "cli", req, reply, 3000,
	    &cause);
	if (r == ERR_NOTFOUND) {
		free(cause);
		return r;
	}
	if (r != 0)
		return fail(what, cause, r);
	return 0;
}

/*
 * Sends req to a running server and waits for its Result. Returns
 * ERR_NOTFOUND when no server listens (the caller then works on the files
 * itself), else the server's answer: 0, or 1 with the failure printed.
 */
static int
ipc_call(const struct cfg_paths *paths, const Ipc__Data *req)
{
	Ipc__Data *reply = NULL;
	int r;

	if ((r = ipc_ask(paths, "server", req, &reply)) != 0)
		return r;
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

/*
 * Asks the running server for its Status. Returns 0 with *reply set, or
 * the exit status with the failure printed ("not running" on stdout).
 */
static int
ipc_status(const struct cfg_paths *paths, const char *what,
    Ipc__Data **reply)
{
	Ipc__Data req = IPC__DATA__INIT;
	Ipc__StatusGet sg = IPC__STATUS_GET__INIT;
	int r;

	req.union_case = IPC__DATA__UNION_STATUS_GET;
	req.status_get = &sg;
	if ((r = ipc_ask(paths, what, &req, reply)) == ERR_NOTFOUND) {
		printf("not running\n");
		return 1;
	}
	if (r != 0)
		return r;
	if ((*reply)->union_case != IPC__DATA__UNION_STATUS) {
		ipc_data_free(*reply);
		*reply = NULL;
		return fail(what, NULL, ERR_PROTO);
	}
	return 0;
}

/* --status: ask the running server for its registration state. */
static int
cmd_status(const struct cfg_paths *paths)
{
	Ipc__Data *reply = NULL;
	int r;

	if ((r = ipc_status(paths, "--status", &reply)) != 0)
		return r;
	printf("%s\n", reply->status->rendezvous);
	/* Why the desk cannot be shared (a Wayland session), if it cannot. */
	if (*reply->status->desk_notice != '\0')
		printf("%s\n", reply->status->desk_notice);
	ipc_data_free(reply);
	return 0;
}

/*
 * --get-temp-password: the running server's one-time password. The server
 * lets only root, its own uid and the desk's user ask (as the main window
 * does); it prints it to the log never, to its stdout only on a terminal.
 */
static int
cmd_temp_password(const struct cfg_paths *paths)
{
	Ipc__Data *reply = NULL;
	int r;

	if ((r = ipc_status(paths, "--get-temp-password", &reply)) != 0)
		return r;
	if (*reply->status->temp_password == '\0') {
		ipc_data_free(reply);
		return fail("--get-temp-password", xstrdup("no one-time "
		    "password (verification-method is "
		    "use-permanent-password)"), ERR_NOTFOUND);
	}
	printf("%s\n", reply->status->temp_password);
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

/*
 * Reads one line from stdin into buf (len bytes) without its newline:
 * `--password -`, so the password need not be on the command line. On a
 * terminal it asks without echo. Returns 0, or 1 with the failure printed.
 */
static int
read_password(char *buf, size_t len)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO), echo_off = 0;
	size_t n;
	char *got;

	if (tty) {
		fprintf(stderr, "New password: ");
		if (tcgetattr(STDIN_FILENO, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			echo_off = tcsetattr(STDIN_FILENO, TCSAFLUSH,
			    &quiet) == 0;
		}
	}
	got = fgets(buf, (int)len, stdin);
	if (echo_off)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	if (tty)
		fprintf(stderr, "\n");
	if (got == NULL)
		return fail("--password -", xstrdup("no password on stdin"),
		    ERR_EOF);
	n = strcspn(buf, "\n");
	if (buf[n] != '\n' && !feof(stdin)) {
		explicit_bzero(buf, len);
		return fail("--password -", xstrdup("the line is too long "
		    "for a password"), ERR_TOOBIG);
	}
	buf[n] = '\0';
	/* A file written on Windows ends its line with CR LF. */
	if (n > 0 && buf[n - 1] == '\r')
		buf[n - 1] = '\0';
	return 0;
}

/* --password NEW (or - for stdin): set the permanent password. */
static int
cmd_password(const struct cfg_paths *paths, const char *arg)
{
	Ipc__Data req = IPC__DATA__INIT;
	Ipc__SetPermanentPassword sp = IPC__SET_PERMANENT_PASSWORD__INIT;
	struct store *s;
	char buf[IPC_NAME_MAX + 2], *cause;
	const char *pw = arg;
	int r;

	if (strcmp(arg, "-") == 0) {
		if (read_password(buf, sizeof buf) != 0)
			return 1;
		pw = buf;
	}
	/* A running server owns the state: ask it, so it takes effect. */
	sp.password = (char *)pw;
	req.union_case = IPC__DATA__UNION_SET_PERMANENT_PASSWORD;
	req.set_permanent_password = &sp;
	if ((r = ipc_call(paths, &req)) != ERR_NOTFOUND) {
		if (r == 0)
			printf("Done!\n");
		goto out;
	}
	if ((r = store_open(&s, paths->state_dir, &cause)) != 0) {
		r = fail(NULL, cause, r);
		goto out;
	}
	r = store_set_password(s, pw, &cause);
	store_free(s);
	if (r != 0) {
		r = fail(NULL, cause, r);
		goto out;
	}
	printf("Done!\n");
 out:
	explicit_bzero(buf, sizeof buf);
	return r;
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
	if (cfg_locked(c, key) != NULL)
		fprintf(stderr, "cdesk: note: set by the administrator in %s\n",
		    cfg_locked(c, key));
	cfg_free(c);
	return 0;
}

/*
 * Root's --option KEY VALUE: edit the admin's file (the service only reads
 * it), then ask a running server for KEY, which makes it re-read the
 * files, and say so if it still shows something else.
 */
static int
option_set_admin(const struct cfg_paths *paths, const char *key,
    const char *value)
{
	Ipc__Data req = IPC__DATA__INIT, *reply = NULL;
	Ipc__OptionsGet og = IPC__OPTIONS_GET__INIT;
	struct cfg *c;
	char *cause, *warnings, *k = (char *)key;
	int r;

	if ((r = cfg_set_file(paths->sys_conf, key, value, &cause)) != 0)
		return fail(NULL, cause, r);
	if (cfg_load(&c, paths, &cause, &warnings) != 0)
		return fail("saved, but the config does not load", cause,
		    ERR_CONFIG);
	free(warnings);
	og.keys = &k;
	og.n_keys = 1;
	req.union_case = IPC__DATA__UNION_OPTIONS_GET;
	req.options_get = &og;
	if ((r = ipc_ask(paths, "server", &req, &reply)) == 0) {
		if (reply->union_case != IPC__DATA__UNION_OPTIONS ||
		    reply->options->n_options != 1 ||
		    strcmp(reply->options->options[0]->value,
		    cfg_get(c, key)) != 0)
			fprintf(stderr, "cdesk: note: saved in %s, but the "
			    "running server did not take it (see its log)\n",
			    paths->sys_conf);
		ipc_data_free(reply);
	}
	cfg_free(c);
	/* No server is fine: it reads the file when it starts. */
	return r == ERR_NOTFOUND ? 0 : r;
}

/*
 * --option KEY VALUE without a server: store in the user's file, unless
 * the admin's file sets KEY. A config that does not load is repaired here
 * as well, so the lock is checked only when it loads.
 */
static int
option_set_file(const struct cfg_paths *paths, const char *key,
    const char *value)
{
	struct cfg *c;
	char *cause, *warnings;
	const char *def = cfg_default(key);
	int r;

	if (cfg_load(&c, paths, &cause, &warnings) == 0) {
		free(warnings);
		if (cfg_locked(c, key) != NULL) {
			xasprintf(&cause, "option '%s' is set by the "
			    "administrator in %s and cannot be changed here",
			    key, cfg_locked(c, key));
			cfg_free(c);
			return fail(NULL, cause, ERR_DENIED);
		}
		cfg_free(c);
	} else
		free(cause);
	if ((r = cfg_set_file_mode(paths->conf, key, value, paths->conf_mode,
	    &cause)) != 0)
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

/* --option KEY VALUE: check, then store where the caller's role says. */
static int
cmd_option_set(const struct cfg_paths *paths, const char *key,
    const char *value)
{
	Ipc__Data req = IPC__DATA__INIT;
	Ipc__OptionsSet os = IPC__OPTIONS_SET__INIT;
	Ipc__OptionEntry e = IPC__OPTION_ENTRY__INIT, *ep = &e;
	char *cause, *esc;
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
	if (paths->admin)
		return option_set_admin(paths, key, value);
	/* A running server writes the file and applies it at once. */
	e.key = (char *)key;
	e.value = (char *)value;
	os.n_options = 1;
	os.options = &ep;
	req.union_case = IPC__DATA__UNION_OPTIONS_SET;
	req.options_set = &os;
	if ((r = ipc_call(paths, &req)) != ERR_NOTFOUND)
		return r;
	return option_set_file(paths, key, value);
}

/* Print a 2FA state: the drawn secret and its URI, or on/off. */
static void
tfa_print(int enabled, int pending, unsigned trusted, const char *secret,
    const char *uri)
{
	if (*secret != '\0') {
		printf("secret: %s\nuri: %s\n", secret, uri);
		printf("Add it to an authenticator app, then: cdesk --2fa "
		    "enable CODE\n");
		return;
	}
	printf("2FA %s\n", enabled ? "on" : "off");
	if (enabled)
		printf("trusted devices: %u\n", trusted);
	if (pending)
		printf("a new secret waits for its first code\n");
}

/*
 * Prints the trusted devices as upstream's dialog lists them; the strings
 * are the peers' own, so escaped.
 */
static void
tfa_print_trusted(const struct store_trusted_info *d, size_t n)
{
	char when[32], *f[3];
	struct tm tm;
	time_t t;
	size_t i, k;

	if (n == 0) {
		printf("no trusted devices\n");
		return;
	}
	printf("%-12s  %-12s  %-20s  %-10s  %s\n", "KEY", "ID", "NAME",
	    "PLATFORM", "SINCE");
	for (i = 0; i < n; i++) {
		t = (time_t)(d[i].time_ms / 1000);
		if (localtime_r(&t, &tm) == NULL ||
		    strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm) == 0)
			snprintf(when, sizeof when, "?");
		f[0] = log_escape(*d[i].id ? d[i].id : "-", 64);
		f[1] = log_escape(*d[i].name ? d[i].name : "-", 128);
		f[2] = log_escape(*d[i].platform ? d[i].platform : "-", 64);
		printf("%-12s  %-12s  %-20s  %-10s  %s\n", d[i].key, f[0], f[1],
		    f[2], when);
		for (k = 0; k < 3; k++)
			free(f[k]);
	}
}

/* --2fa trusted / untrust on the state file. */
static int
tfa_file_trusted(struct store *s, const char *verb, const char *which,
    char **cause)
{
	struct store_trusted_info d[STORE_TRUSTED_MAX];
	int r;

	if (strcmp(verb, "trusted") == 0) {
		tfa_print_trusted(d, store_trusted_list(s,
		    (int64_t)time(NULL) * 1000, d, STORE_TRUSTED_MAX));
		return 0;
	}
	r = strcmp(which, "--all") == 0 ? store_trusted_clear(s, cause) :
	    store_trusted_remove(s, which, cause);
	if (r == 0)
		printf("%s\n", strcmp(which, "--all") == 0 ? "every trusted "
		    "device forgotten" : "trusted device forgotten");
	return r;
}

/* --2fa without a server: work on the state file. */
static int
tfa_file(const struct cfg_paths *paths, const char *verb, const char *code)
{
	struct store *s;
	const uint8_t *sec;
	char b32[TOTP_B32_MAX + 1], *uri = NULL, *cause;
	size_t len;
	int r = 0, on, pending;

	if ((r = store_open(&s, paths->state_dir, &cause)) != 0)
		return fail(NULL, cause, r);
	if (strcmp(verb, "trusted") == 0 || strcmp(verb, "untrust") == 0) {
		r = tfa_file_trusted(s, verb, code, &cause);
		store_free(s);
		return r != 0 ? fail(NULL, cause, r) : 0;
	}
	if (strcmp(verb, "setup") == 0)
		r = store_totp_setup(s, &cause);
	else if (strcmp(verb, "enable") == 0)
		r = store_totp_enable(s, code, (int64_t)time(NULL), &cause);
	else if (strcmp(verb, "disable") == 0)
		r = store_totp_disable(s, &cause);
	if (r != 0) {
		store_free(s);
		return fail(NULL, cause, r);
	}
	on = store_totp(s, &len) != NULL;
	pending = (sec = store_totp_pending(s, &len)) != NULL;
	b32[0] = '\0';
	if (strcmp(verb, "setup") == 0) {
		totp_b32_encode(sec, len, b32, sizeof b32);
		uri = totp_uri(sec, len, store_id(s));
	}
	if (strcmp(verb, "setup") == 0 || strcmp(verb, "status") == 0)
		tfa_print(on, pending, (unsigned)store_trusted_count(s,
		    (int64_t)time(NULL) * 1000), b32, uri != NULL ? uri : "");
	else
		printf("2FA %s\n", on ? "on" : "off");
	free(uri);
	store_free(s);
	return 0;
}

/* Prints the trusted devices of a server's TwoFaState. */
static void
tfa_print_state_trusted(const Ipc__TwoFaState *st)
{
	struct store_trusted_info d[STORE_TRUSTED_MAX];
	size_t i;

	memset(d, 0, sizeof d);
	for (i = 0; i < st->n_devices && i < STORE_TRUSTED_MAX; i++) {
		snprintf(d[i].key, sizeof d[i].key, "%s", st->devices[i]->key);
		snprintf(d[i].id, sizeof d[i].id, "%s", st->devices[i]->id);
		snprintf(d[i].name, sizeof d[i].name, "%s",
		    st->devices[i]->name);
		snprintf(d[i].platform, sizeof d[i].platform, "%s",
		    st->devices[i]->platform);
		d[i].time_ms = st->devices[i]->time_ms;
	}
	tfa_print_trusted(d, i);
}

/* --2fa untrust KEY|ID|--all: through the running server, else the file. */
static int
tfa_untrust(const struct cfg_paths *paths, const char *which)
{
	Ipc__Data req = IPC__DATA__INIT;
	Ipc__TwoFaUntrust un = IPC__TWO_FA_UNTRUST__INIT;
	int r;

	un.all = strcmp(which, "--all") == 0;
	un.which = un.all ? (char *)"" : (char *)which;
	req.union_case = IPC__DATA__UNION_TWO_FA_UNTRUST;
	req.two_fa_untrust = &un;
	if ((r = ipc_call(paths, &req)) == ERR_NOTFOUND)
		return tfa_file(paths, "untrust", which);
	if (r == 0)
		printf("%s\n", un.all ? "every trusted device forgotten" :
		    "trusted device forgotten");
	return r;
}

/* --2fa VERB [CODE]: through the running server, else on the files. */
static int
cmd_2fa(const struct cfg_paths *paths, const char *verb, const char *code)
{
	Ipc__Data req = IPC__DATA__INIT, *reply = NULL;
	Ipc__TwoFaSetup su = IPC__TWO_FA_SETUP__INIT;
	Ipc__TwoFaEnable en = IPC__TWO_FA_ENABLE__INIT;
	Ipc__TwoFaDisable di = IPC__TWO_FA_DISABLE__INIT;
	Ipc__TwoFaGet ge = IPC__TWO_FA_GET__INIT;
	const Ipc__TwoFaState *st;
	int r;

	if (strcmp(verb, "untrust") == 0)
		return tfa_untrust(paths, code);
	if (strcmp(verb, "enable") == 0 || strcmp(verb, "disable") == 0) {
		if (*verb == 'e') {
			en.code = (char *)code;
			req.union_case = IPC__DATA__UNION_TWO_FA_ENABLE;
			req.two_fa_enable = &en;
		} else {
			req.union_case = IPC__DATA__UNION_TWO_FA_DISABLE;
			req.two_fa_disable = &di;
		}
		if ((r = ipc_call(paths, &req)) == ERR_NOTFOUND)
			return tfa_file(paths, verb, code);
		if (r == 0)
			printf("2FA %s\n", *verb == 'e' ? "on" : "off");
		return r;
	}
	if (*verb == 's' && verb[1] == 'e') {
		req.union_case = IPC__DATA__UNION_TWO_FA_SETUP;
		req.two_fa_setup = &su;
	} else {
		req.union_case = IPC__DATA__UNION_TWO_FA_GET;
		req.two_fa_get = &ge;
	}
	if ((r = ipc_ask(paths, "server", &req, &reply)) == ERR_NOTFOUND)
		return tfa_file(paths, verb, code);
	if (r != 0)
		return r;
	if (reply->union_case == IPC__DATA__UNION_RESULT) {
		r = fail("server", *reply->result->text ?
		    xstrdup(reply->result->text) : NULL, reply->result->code);
	} else if (reply->union_case != IPC__DATA__UNION_TWO_FA_STATE)
		r = fail("server", NULL, ERR_PROTO);
	else if (strcmp(verb, "trusted") == 0)
		tfa_print_state_trusted(reply->two_fa_state);
	else {
		st = reply->two_fa_state;
		tfa_print(st->enabled, st->pending, st->trusted_devices,
		    st->secret, st->uri);
	}
	ipc_data_free(reply);
	return r;
}

#if defined(CDESK_NO_GUI) && !defined(_WIN32)
#ifndef CDESK_LIBEXEC
#define CDESK_LIBEXEC	"/usr/lib/cdesk"
#endif
/*
 * Runs the same command line in cdesk-gui: the one next to this binary
 * (the build folder), else the installed one; returns only on failure.
 */
static int
gui_exec(char **argv)
{
	char *self, *slash, *path;

	self = sysinfo_self_exe();
	if ((slash = strrchr(self, '/')) != NULL) {
		*slash = '\0';
		xasprintf(&path, "%s/cdesk-gui", self);
		if (access(path, X_OK) == 0)
			execv(path, argv);
		free(path);
	}
	free(self);
	execv(CDESK_LIBEXEC "/cdesk-gui", argv);
	fprintf(stderr, "cdesk: cannot run %s/cdesk-gui: %s\n",
	    CDESK_LIBEXEC, strerror(errno));
	return 1;
}
#endif

/* Parse the command line and run one mode. */
int
main(int argc, char **argv)
{
	struct args a;
	struct cfg_paths paths;
	char *cause;
	int r, level;

	log_set_ident("cdesk");
#ifdef _WIN32
	/* In a terminal's pseudoconsole (server/win/term_conpty.c). */
	if (argc == 2 && strcmp(argv[1], TERM_CONPTY_VERB) == 0)
		return term_conpty_shell_main();
#endif
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
#if defined(CDESK_NO_GUI) && !defined(_WIN32)
	case M_NONE:
	case M_CM:
		r = gui_exec(argv);
		break;
#else
	/* GTK in cdesk-gui; on Windows the native Win32 windows
	 * (ui/win/ui_win32.c, cm/win/cm_win32.c). */
	case M_NONE:
		r = ui_main(argc, argv, &paths);
		break;
	case M_CM:
		r = cm_main(argc, argv, &paths);
		break;
#endif
	case M_SERVER:
#ifdef _WIN32
		/* As the service "cdesk" when the service manager asks. */
		r = service_win_main(&paths, a.verbose);
#else
		r = server_main(&paths, a.verbose);
#endif
		break;
	case M_GET_ID:
		r = cmd_get_id(&paths);
		break;
	case M_STATUS:
		r = cmd_status(&paths);
		break;
	case M_TEMP_PASSWORD:
		r = cmd_temp_password(&paths);
		break;
	case M_PASSWORD:
		r = cmd_password(&paths, a.arg1);
		break;
	case M_2FA:
		r = cmd_2fa(&paths, a.arg1, a.arg2);
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
