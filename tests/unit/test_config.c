/* test_config.c: option table, parsing, layering and file rewriting. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/err.h"
#include "tests/tst.h"

int main(void);

static char tmpdir[256];

/* Write text to dir/name. */
static void
put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ASSERT_TRUE(f != NULL);
	fputs(text, f);
	fclose(f);
}

/* Return the content of path in a new string. */
static char *
get_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	ASSERT_TRUE(f != NULL);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Parse text into a new cfg, expecting success; returns it. */
static struct cfg *
parse_ok(const char *text, char **warnings)
{
	struct cfg *c = cfg_new();
	char *cause = NULL;
	int r;

	r = cfg_parse_string(c, text, "t.conf", &cause, warnings);
	if (r != 0)
		TST_FAIL("parse failed: %s", cause);
	ASSERT_TRUE(cause == NULL);
	return c;
}

/* Parse text expecting ERR_CONFIG with a cause containing want. */
static void
parse_bad(const char *text, const char *want)
{
	struct cfg *c = cfg_new();
	char *cause = NULL, *warnings = NULL;
	int r;

	r = cfg_parse_string(c, text, "t.conf", &cause, &warnings);
	ASSERT_INT_EQ(r, ERR_CONFIG);
	ASSERT_TRUE(cause != NULL);
	if (strstr(cause, want) == NULL)
		TST_FAIL("cause '%s' lacks '%s'", cause, want);
	ASSERT_TRUE(warnings == NULL);
	free(cause);
	cfg_free(c);
}

/* Defaults of every kind, and the table is sorted. */
static void
test_defaults(void)
{
	struct cfg *c = cfg_new();

	ASSERT_STR_EQ(cfg_get(c, "approve-mode"), "");
	ASSERT_STR_EQ(cfg_get(c, "direct-access-port"), "21118");
	ASSERT_INT_EQ(cfg_int(c, "direct-access-port"), 21118);
	ASSERT_INT_EQ(cfg_int(c, "idle-timeout"), 30);
	ASSERT_INT_EQ(cfg_int(c, "temporary-password-length"), 6);
	ASSERT_INT_EQ(cfg_int(c, "auto-disconnect-timeout"), 10);
	ASSERT_STR_EQ(cfg_get(c, "no-such-option"), "");
	ASSERT_TRUE(cfg_known("enable-keyboard"));
	ASSERT_TRUE(!cfg_known("no-such-option"));
	ASSERT_STR_EQ(cfg_default("direct-server"), "N");
	ASSERT_TRUE(cfg_default("no-such-option") == NULL);
	cfg_free(c);
}

struct each_state {
	char	prev[64];
	int	count;
	int	set;
	int	extra_seen;
};

/* Check name order of known options and count calls. */
static void
each_cb(const char *key, const char *value, int is_set, void *arg)
{
	struct each_state *st = arg;

	ASSERT_TRUE(value != NULL);
	if (strcmp(key, "zz-unknown") == 0) {
		st->extra_seen = 1;
		ASSERT_INT_EQ(is_set, 1);
		ASSERT_STR_EQ(value, "1");
		return;
	}
	ASSERT_INT_EQ(st->extra_seen, 0);	/* unknown keys come last */
	if (st->prev[0] != '\0' && strcmp(st->prev, key) >= 0)
		TST_FAIL("option table not sorted at %s", key);
	ASSERT_TRUE(cfg_known(key));	/* the lookup is a binary search */
	snprintf(st->prev, sizeof st->prev, "%s", key);
	st->count++;
	st->set += is_set;
}

/* cfg_each walks known options in order, then unknown ones. */
static void
test_each(void)
{
	struct each_state st;
	char *w = NULL;
	struct cfg *c = parse_ok("[options]\ndirect-server = Y\n"
	    "zz-unknown = 1\n", &w);

	memset(&st, 0, sizeof st);
	cfg_each(c, each_cb, &st);
	ASSERT_INT_GE(st.count, 30);
	ASSERT_INT_EQ(st.set, 1);
	ASSERT_INT_EQ(st.extra_seen, 1);
	free(w);
	cfg_free(c);
}

/* The truth rule of HOST.md 7.3. */
static void
test_truth(void)
{
	struct cfg *c = cfg_new();
	char *cause = NULL;

	/* Defaults: enable-* on, allow-* and direct-server off. */
	ASSERT_INT_EQ(cfg_bool(c, "enable-keyboard"), 1);
	ASSERT_INT_EQ(cfg_bool(c, "allow-auto-disconnect"), 0);
	ASSERT_INT_EQ(cfg_bool(c, "direct-server"), 0);
	ASSERT_INT_EQ(cfg_bool(c, "stop-service"), 0);
	ASSERT_INT_EQ(cfg_bool(c, "force-always-relay"), 0);
	/* Unknown non-prefixed keys: true unless N. */
	ASSERT_INT_EQ(cfg_bool(c, "zz-other"), 1);
	ASSERT_INT_EQ(cfg_set(c, "zz-other", "N", &cause), 0);
	ASSERT_INT_EQ(cfg_bool(c, "zz-other"), 0);
	ASSERT_INT_EQ(cfg_set(c, "enable-keyboard", "N", &cause), 0);
	ASSERT_INT_EQ(cfg_bool(c, "enable-keyboard"), 0);
	ASSERT_INT_EQ(cfg_set(c, "enable-keyboard", "", &cause), 0);
	ASSERT_INT_EQ(cfg_bool(c, "enable-keyboard"), 1);
	ASSERT_INT_EQ(cfg_set(c, "direct-server", "Y", &cause), 0);
	ASSERT_INT_EQ(cfg_bool(c, "direct-server"), 1);
	ASSERT_INT_EQ(cfg_set(c, "allow-auto-disconnect", "Y", &cause), 0);
	ASSERT_INT_EQ(cfg_bool(c, "allow-auto-disconnect"), 1);
	/* Booleans take only Y, N or "". */
	ASSERT_INT_EQ(cfg_set(c, "direct-server", "yes", &cause), ERR_CONFIG);
	ASSERT_TRUE(strstr(cause, "key 'direct-server'") != NULL);
	free(cause);
	ASSERT_INT_EQ(cfg_bool(c, "direct-server"), 1);	/* unchanged */
	cfg_free(c);
}

/* Values of every type, good and bad. */
static void
test_check(void)
{
	static const char *const good[][2] = {
		{ "approve-mode", "password" }, { "approve-mode", "click" },
		{ "approve-mode", "both" }, { "approve-mode", "" },
		{ "verification-method", "use-permanent-password" },
		{ "temporary-password-length", "10" },
		{ "direct-access-port", "1" }, { "direct-access-port", "65535" },
		{ "idle-timeout", "3600" },
		{ "whitelist", "10.0.0.0/8,192.168.1.5,::1,2001:db8::/32" },
		{ "whitelist", "0.0.0.0" },
		{ "id-whitelist", "123456789, abc*, ?12345" },
		{ "custom-rendezvous-server", "rs.example.com" },
		{ "custom-rendezvous-server", "10.1.2.3:21116" },
		{ "relay-server", "[2001:db8::1]:21117" },
		{ "key", "OeVuKk5nlHiXp+APNn0Y3pC1Iwpwn44JGqrQCsWqmBw=" },
		{ "audio-input", "Monitor of Built-in Audio" },
		{ "tunnel-destinations", "10.0.0.0/8:*, localhost:3389" },
		{ "tunnel-destinations", "[::1]:22,*.lan:1-1024" },
		{ "some-unknown", "anything at all" },
	};
	static const char *const bad[][3] = {
		{ "approve-mode", "never", "one of password,click,both" },
		{ "temporary-password-length", "7", "one of 6,8,10" },
		{ "approve-mode", "password,click", "one of" },
		{ "approve-mode", "pass", "one of" },
		{ "direct-access-port", "0", "from 1 to 65535" },
		{ "direct-access-port", "65536", "from 1 to 65535" },
		{ "direct-access-port", "12ab", "integer" },
		{ "direct-access-port", "-5", "integer" },
		{ "idle-timeout", "3601", "from 1 to 3600" },
		{ "whitelist", "10.0.0.0/33", "entry '10.0.0.0/33'" },
		{ "whitelist", "1.2.3.4, 5.6.7.8", "entry ' 5.6.7.8'" },
		{ "whitelist", "1.2.3.4,,5.6.7.8", "empty entry" },
		{ "whitelist", "example.com", "not an IP address" },
		{ "id-whitelist", "a b", "ID pattern" },
		{ "custom-rendezvous-server", "rs.example.com:99999", "host" },
		{ "custom-rendezvous-server", "http://x", "host" },
		{ "key", "abc", "public key" },
		{ "direct-server", "true", "Y or N" },
		{ "audio-input", "a\nb", "control characters" },
		{ "tunnel-destinations", "db.lan:5432,a b",
		    "entry 'a b' is not a destination" },
		{ "tunnel-destinations", "host:0", "entry 'host:0'" },
		{ "bad key!", "x", "not a valid option name" },
	};
	char *cause;
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		cause = NULL;
		if (cfg_check(good[i][0], good[i][1], &cause) != 0)
			TST_FAIL("%s=%s refused: %s", good[i][0], good[i][1],
			    cause);
		ASSERT_TRUE(cause == NULL);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ASSERT_INT_EQ(cfg_check(bad[i][0], bad[i][1], &cause),
		    ERR_CONFIG);
		if (strstr(cause, bad[i][2]) == NULL)
			TST_FAIL("%s=%s: cause '%s' lacks '%s'", bad[i][0],
			    bad[i][1], cause, bad[i][2]);
		free(cause);
	}
}

/* Parsing: values, comments, errors with file:line and key, warnings. */
static void
test_parse(void)
{
	struct cfg *c;
	char *w = NULL;

	c = parse_ok("; comment\n# another\n\n[options]\n"
	    "approve-mode = click\r\n  enable-audio=N\n"
	    "whitelist = 10.0.0.0/8 ; inline comment\n", &w);
	ASSERT_TRUE(w == NULL);
	ASSERT_STR_EQ(cfg_get(c, "approve-mode"), "click");
	ASSERT_INT_EQ(cfg_bool(c, "enable-audio"), 0);
	ASSERT_STR_EQ(cfg_get(c, "whitelist"), "10.0.0.0/8");
	cfg_free(c);

	c = parse_ok("[options]\ndirect-server = Y\nfuture-thing = 1\n", &w);
	ASSERT_TRUE(w != NULL);
	ASSERT_TRUE(strstr(w, "t.conf:3: key 'future-thing': unknown option")
	    != NULL);
	ASSERT_STR_EQ(cfg_get(c, "future-thing"), "1");
	free(w);
	cfg_free(c);

	parse_bad("[options]\n\ndirect-access-port = 0\n",
	    "t.conf:3: key 'direct-access-port': expected an integer");
	parse_bad("[options]\nenable-audio = maybe\n",
	    "t.conf:2: key 'enable-audio': expected Y or N, got 'maybe'");
	parse_bad("direct-server = Y\n", "t.conf:1: key 'direct-server': "
	    "outside the [options] section");
	parse_bad("[other]\nx = 1\n", "t.conf:2: key 'x': in section [other]");
	parse_bad("[options]\nthis line has no equals\n", "t.conf:2: expected");
	parse_bad("[options]\ndirect-server = Y\ndirect-server = N\n",
	    "t.conf:3: key 'direct-server': set more than once");
	parse_bad("[options]\nwhitelist = 1.2.3.4\n  5.6.7.8\n",
	    "t.conf:3: expected 'key = value'");
	/* The first error in the file wins. */
	parse_bad("[options]\nbad line\ndirect-access-port = 0\n",
	    "t.conf:2: expected");
	parse_bad("[options]\ndirect-access-port = 0\nbad line\n",
	    "t.conf:2: key 'direct-access-port'");
}

/* A line over inih's limit is an error, not a silently cut value. */
static void
test_long_line(void)
{
	char text[600];

	snprintf(text, sizeof text, "[options]\naudio-input = %0500d\n", 0);
	parse_bad(text, "t.conf:2: line too long");
}

/* cfg_load: missing files are empty; the system file wins. */
static void
test_layering(void)
{
	struct cfg_paths p;
	struct cfg *c;
	char *cause = NULL, *w = NULL;

	memset(&p, 0, sizeof p);
	p.conf = malloc(300);
	p.sys_conf = malloc(300);
	snprintf(p.conf, 300, "%s/user.conf", tmpdir);
	snprintf(p.sys_conf, 300, "%s/sys.conf", tmpdir);

	ASSERT_INT_EQ(cfg_load(&c, &p, &cause, &w), 0);
	ASSERT_STR_EQ(cfg_get(c, "approve-mode"), "");
	cfg_free(c);

	put_file(p.conf, "[options]\napprove-mode = click\n"
	    "direct-access-port = 1000\nmine = 1\n");
	put_file(p.sys_conf, "[options]\napprove-mode = password\n"
	    "theirs = 2\n");
	ASSERT_INT_EQ(cfg_load(&c, &p, &cause, &w), 0);
	ASSERT_STR_EQ(cfg_get(c, "approve-mode"), "password");
	ASSERT_INT_EQ(cfg_int(c, "direct-access-port"), 1000);
	ASSERT_TRUE(w != NULL);
	ASSERT_TRUE(strstr(w, "user.conf:4: key 'mine'") != NULL);
	ASSERT_TRUE(strstr(w, "sys.conf:3: key 'theirs'") != NULL);
	free(w);
	cfg_free(c);

	/* An error in either file names that file. */
	put_file(p.sys_conf, "[options]\n\nidle-timeout = 0\n");
	ASSERT_INT_EQ(cfg_load(&c, &p, &cause, &w), ERR_CONFIG);
	ASSERT_TRUE(c == NULL);
	ASSERT_TRUE(w == NULL);
	ASSERT_TRUE(strstr(cause, "sys.conf:3: key 'idle-timeout'") != NULL);
	free(cause);
	unlink(p.conf);
	unlink(p.sys_conf);
	cfg_paths_fini(&p);
}

/* The admin's file locks the keys it sets, even to the default. */
static void
test_locked(void)
{
	struct cfg_paths p;
	struct cfg *c;
	char *cause = NULL, *w = NULL;

	memset(&p, 0, sizeof p);
	p.conf = malloc(300);
	p.sys_conf = malloc(300);
	snprintf(p.conf, 300, "%s/user.conf", tmpdir);
	snprintf(p.sys_conf, 300, "%s/admin.conf", tmpdir);

	/* No admin file: nothing is locked. */
	put_file(p.conf, "[options]\napprove-mode = click\n");
	ASSERT_INT_EQ(cfg_load(&c, &p, &cause, &w), 0);
	ASSERT_TRUE(cfg_locked(c, "approve-mode") == NULL);
	cfg_free(c);

	put_file(p.sys_conf, "[options]\napprove-mode = password\n"
	    "enable-audio =\nfuture-key = 1\n");
	ASSERT_INT_EQ(cfg_load(&c, &p, &cause, &w), 0);
	free(w);
	ASSERT_STR_EQ(cfg_get(c, "approve-mode"), "password");
	ASSERT_STR_EQ(cfg_locked(c, "approve-mode"), p.sys_conf);
	ASSERT_STR_EQ(cfg_locked(c, "enable-audio"), p.sys_conf);
	ASSERT_TRUE(cfg_locked(c, "direct-server") == NULL);
	ASSERT_TRUE(cfg_locked(c, "future-key") == NULL);
	ASSERT_TRUE(cfg_locked(c, "no-such-key") == NULL);
	cfg_free(c);

	/* The user's file locks nothing, and text parsing neither. */
	c = cfg_new();
	ASSERT_INT_EQ(cfg_parse_string(c, "[options]\napprove-mode = click\n",
	    "t.conf", &cause, NULL), 0);
	ASSERT_TRUE(cfg_locked(c, "approve-mode") == NULL);
	cfg_free(c);
	unlink(p.conf);
	unlink(p.sys_conf);
	cfg_paths_fini(&p);
}

/* cfg_set_file_mode writes the mode asked for (the service's 0600). */
static void
test_set_file_mode(void)
{
	char path[300], *cause = NULL, *text;
	struct stat st;

	snprintf(path, sizeof path, "%s/svc.conf", tmpdir);
	ASSERT_INT_EQ(cfg_set_file_mode(path, "direct-server", "Y", 0600,
	    &cause), 0);
	ASSERT_INT_EQ(stat(path, &st), 0);
	ASSERT_INT_EQ(st.st_mode & 0777, 0600);
	ASSERT_INT_EQ(cfg_set_file_mode(path, "approve-mode", "click", 0600,
	    &cause), 0);
	ASSERT_INT_EQ(stat(path, &st), 0);
	ASSERT_INT_EQ(st.st_mode & 0777, 0600);
	text = get_file(path);
	ASSERT_STR_EQ(text, "[options]\ndirect-server = Y\n"
	    "approve-mode = click\n");
	free(text);
	unlink(path);
}

/* Count the entries of tmpdir whose name starts with prefix. */
static int
count_files(const char *prefix)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	int n = 0;

	ASSERT_TRUE(d != NULL);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

/* cfg_set_file keeps other lines and comments, replaces, removes. */
static void
test_set_file(void)
{
	char path[300], sub[300], *text, *cause = NULL;
	struct stat st;
	struct cfg *c;

	snprintf(path, sizeof path, "%s/edit.conf", tmpdir);
	put_file(path, "# admin notes\n[options]\n; port below\n"
	    "direct-access-port = 1000\nenable-audio = N\n\n"
	    "[options]\ndirect-access-port: 2000\n");
	ASSERT_INT_EQ(cfg_set_file(path, "direct-access-port", "3000",
	    &cause), 0);
	text = get_file(path);
	ASSERT_STR_EQ(text, "# admin notes\n[options]\n; port below\n"
	    "direct-access-port = 3000\nenable-audio = N\n\n[options]\n");
	free(text);
	ASSERT_INT_EQ(stat(path, &st), 0);
	ASSERT_INT_EQ(st.st_mode & 0777, 0644);
	ASSERT_INT_EQ(count_files("edit.conf."), 0);	/* no temp left */

	/* A new key goes at the end of the first [options] section. */
	ASSERT_INT_EQ(cfg_set_file(path, "approve-mode", "click", &cause), 0);
	text = get_file(path);
	ASSERT_STR_EQ(text, "# admin notes\n[options]\n; port below\n"
	    "direct-access-port = 3000\nenable-audio = N\n"
	    "approve-mode = click\n\n[options]\n");
	free(text);

	/* Removing. */
	ASSERT_INT_EQ(cfg_set_file(path, "enable-audio", "", &cause), 0);
	ASSERT_INT_EQ(cfg_set_file(path, "direct-access-port", NULL, &cause),
	    0);
	text = get_file(path);
	ASSERT_STR_EQ(text, "# admin notes\n[options]\n; port below\n"
	    "approve-mode = click\n\n[options]\n");
	free(text);

	/* Bad values leave the file alone. */
	ASSERT_INT_EQ(cfg_set_file(path, "approve-mode", "never", &cause),
	    ERR_CONFIG);
	ASSERT_TRUE(strstr(cause, "key 'approve-mode'") != NULL);
	free(cause);
	ASSERT_INT_EQ(cfg_set_file(path, "audio-input", "a ; b", &cause),
	    ERR_CONFIG);
	free(cause);
	ASSERT_INT_EQ(cfg_set_file(path, "audio-input", " a", &cause),
	    ERR_CONFIG);
	free(cause);
	text = get_file(path);
	ASSERT_STR_EQ(text, "# admin notes\n[options]\n; port below\n"
	    "approve-mode = click\n\n[options]\n");
	free(text);

	/* A file without [options], and a missing folder. */
	put_file(path, "# only a comment");
	ASSERT_INT_EQ(cfg_set_file(path, "direct-server", "Y", &cause), 0);
	text = get_file(path);
	ASSERT_STR_EQ(text, "# only a comment\n\n[options]\n"
	    "direct-server = Y\n");
	free(text);
	snprintf(sub, sizeof sub, "%s/a/b/new.conf", tmpdir);
	ASSERT_INT_EQ(cfg_set_file(sub, "direct-server", "Y", &cause), 0);
	text = get_file(sub);
	ASSERT_STR_EQ(text, "[options]\ndirect-server = Y\n");
	free(text);

	/* What it writes reads back. */
	c = cfg_new();
	text = get_file(path);
	ASSERT_INT_EQ(cfg_parse_string(c, text, path, &cause, NULL), 0);
	ASSERT_INT_EQ(cfg_bool(c, "direct-server"), 1);
	free(text);
	cfg_free(c);
	unlink(sub);
	snprintf(sub, sizeof sub, "%s/a/b", tmpdir);
	rmdir(sub);
	snprintf(sub, sizeof sub, "%s/a", tmpdir);
	rmdir(sub);
	unlink(path);
}

/* Paths of a user (not root): XDG folders, then HOME and /tmp. */
static void
user_paths(void)
{
	struct cfg_paths p;
	char *cause = NULL, want[64];

	setenv("XDG_CONFIG_HOME", "/h/cfg", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/5", 1);
	ASSERT_INT_EQ(cfg_paths_init(&p, NULL, &cause), 0);
	ASSERT_STR_EQ(p.conf, "/h/cfg/cdesk/cdesk.conf");
	ASSERT_INT_EQ(p.conf_mode, 0644);
	ASSERT_INT_EQ(p.admin, 0);
	ASSERT_STR_EQ(p.sys_conf, CFG_SYSTEM_CONF);
	ASSERT_STR_EQ(p.state_dir, "/h/cfg/cdesk");
	ASSERT_STR_EQ(p.run_dir, "/run/user/5/cdesk");
	cfg_paths_fini(&p);

	/* A relative XDG_CONFIG_HOME is ignored, as the XDG spec says. */
	setenv("XDG_CONFIG_HOME", "relative", 1);
	unsetenv("XDG_RUNTIME_DIR");
	setenv("HOME", "/home/u", 1);
	ASSERT_INT_EQ(cfg_paths_init(&p, NULL, &cause), 0);
	ASSERT_STR_EQ(p.conf, "/home/u/.config/cdesk/cdesk.conf");
	ASSERT_STR_EQ(p.state_dir, "/home/u/.config/cdesk");
	snprintf(want, sizeof want, "/tmp/cdesk-%lu", (unsigned long)getuid());
	ASSERT_STR_EQ(p.run_dir, want);
	cfg_paths_fini(&p);
}

/* Paths for --config DIR, for root, and for a user. */
static void
test_paths(void)
{
	struct cfg_paths p;
	char *cause = NULL;
	pid_t pid;
	int status;

	ASSERT_INT_EQ(cfg_paths_init(&p, "/x/y", &cause), 0);
	ASSERT_STR_EQ(p.conf, "/x/y/cdesk.conf");
	ASSERT_INT_EQ(p.conf_mode, 0644);
	/* The installed layout's admin file, in the folder (issue 11). */
	ASSERT_STR_EQ(p.sys_conf, "/x/y/admin.conf");
	ASSERT_INT_EQ(p.admin, 0);
	ASSERT_STR_EQ(p.state_dir, "/x/y");
	ASSERT_STR_EQ(p.run_dir, "/x/y");
	cfg_paths_fini(&p);
	ASSERT_INT_EQ(cfg_paths_init(&p, "", &cause), ERR_CONFIG);
	free(cause);

	if (geteuid() != 0) {
		user_paths();
		return;
	}
	/* Root: the service reads the admin's file and writes its own
	 * (issue 11); root's --option writes the admin's. */
	ASSERT_INT_EQ(cfg_paths_init(&p, NULL, &cause), 0);
	ASSERT_STR_EQ(p.conf, "/var/lib/cdesk/user.conf");
	ASSERT_INT_EQ(p.conf_mode, 0600);
	ASSERT_STR_EQ(p.sys_conf, CFG_SYSTEM_CONF);
	ASSERT_INT_EQ(p.admin, 1);
	ASSERT_STR_EQ(p.state_dir, "/var/lib/cdesk");
	ASSERT_STR_EQ(p.run_dir, "/run/cdesk");
	cfg_paths_fini(&p);
	/* As root, check a user's paths in a child that drops to nobody. */
	if ((pid = fork()) == 0) {
		if (setresgid(65534, 65534, 65534) != 0 ||
		    setresuid(65534, 65534, 65534) != 0)
			_exit(3);
		user_paths();
		_exit(0);
	}
	ASSERT_TRUE(pid > 0);
	ASSERT_INT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_INT_EQ(WEXITSTATUS(status), 0);
}

/* Run every config test in a temporary folder. */
int
main(void)
{
	const char *base = getenv("WORK") != NULL ? getenv("WORK") : "/tmp";

	snprintf(tmpdir, sizeof tmpdir, "%s/test_config.XXXXXX", base);
	ASSERT_TRUE(mkdtemp(tmpdir) != NULL);
	TST_RUN(test_defaults);
	TST_RUN(test_each);
	TST_RUN(test_truth);
	TST_RUN(test_check);
	TST_RUN(test_parse);
	TST_RUN(test_long_line);
	TST_RUN(test_layering);
	TST_RUN(test_set_file);
	TST_RUN(test_locked);
	TST_RUN(test_set_file_mode);
	TST_RUN(test_paths);
	rmdir(tmpdir);
	return 0;
}
