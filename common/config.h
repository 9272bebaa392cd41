/*
 * config.h: options (key/value, RustDesk's names where one exists) and the
 * paths of config and state. Files are INI, parsed with inih:
 *
 *	[options]
 *	direct-server = Y
 *
 * Two layers: the user's file, then the admin's over it. The admin's
 * file (/etc/cdesk/cdesk.conf) wins, and a key it sets is locked: the
 * server refuses to change it over the IPC (cfg_locked). The root
 * service only reads the admin's file; what the desktop user sets goes
 * into a file of the service's own under /var/lib/cdesk.
 */
#ifndef CDESK_CONFIG_H
#define CDESK_CONFIG_H

#include <sys/types.h>
#include <stddef.h>

/* The admin's file; root's --option writes it. */
#define CFG_SYSTEM_CONF	"/etc/cdesk/cdesk.conf"
/* The root service's file for what the desktop user sets over the IPC. */
#define CFG_SERVICE_CONF	"/var/lib/cdesk/user.conf"
/* The admin's file inside a --config DIR (tests; read, never written). */
#define CFG_DIR_ADMIN	"admin.conf"
/* Longest "key = value" line cfg_set_file writes (inih's line limit). */
#define CFG_LINE_MAX	196

struct cfg_paths {
	char	*conf;		/* the user's layer: what OptionsSet and a
				 * user's --option write (owned) */
	mode_t	 conf_mode;	/* conf is written with this mode */
	char	*sys_conf;	/* the admin's layer: wins, locks its keys;
				 * or NULL (owned) */
	int	 admin;		/* 1: --option KEY VALUE writes sys_conf */
	char	*state_dir;	/* ID, keys, password hash (owned) */
	char	*run_dir;	/* IPC socket folder (owned) */
};

/*
 * Fills paths:
 * - with dir (--config DIR): conf DIR/cdesk.conf (0644), sys_conf
 *   DIR/admin.conf (read when it exists; nothing writes it), state and
 *   run_dir DIR;
 * - root: conf /var/lib/cdesk/user.conf (0600), sys_conf
 *   /etc/cdesk/cdesk.conf, which root's --option writes (admin 1), state
 *   /var/lib/cdesk, run_dir /run/cdesk;
 * - a user: $XDG_CONFIG_HOME/cdesk (or ~/.config/cdesk) for conf (0644)
 *   and state, /etc/cdesk/cdesk.conf as sys_conf, and
 *   $XDG_RUNTIME_DIR/cdesk (or /tmp/cdesk-UID, which the server makes
 *   0700 and refuses when another user made it) as run_dir.
 * Creates nothing. Returns 0 or ERR_*, with *cause set (caller frees).
 * cfg_paths_fini frees the strings.
 */
int	cfg_paths_init(struct cfg_paths *, const char *dir, char **cause);
void	cfg_paths_fini(struct cfg_paths *);

struct cfg;

/*
 * A line reader for inih's ini_parse_stream over a NUL-terminated text
 * (config and state files): it counts lines, drops leading blanks (so inih
 * never takes a line as a continuation), and stops at a line longer than
 * inih's buffer, noting its number in toolong.
 */
struct cfg_reader {
	const char	*text;		/* borrowed */
	size_t		 pos;
	int		 lineno;	/* line returned last */
	int		 toolong;	/* line of an over-long line, or 0 */
};
/* The ini_reader callback; stream is a struct cfg_reader. */
char	*cfg_reader_line(char *str, int num, void *stream);

/* An empty option set (every option at its default). Never NULL. */
struct cfg	*cfg_new(void);
void		 cfg_free(struct cfg *);
/*
 * Loads the user file, then the system (admin) file over it; every key
 * the system file sets is locked (cfg_locked). A missing file counts
 * as empty. A bad line or a bad value of a known option fails with
 * ERR_CONFIG and *cause = "FILE:LINE: key 'KEY': what is wrong" (caller
 * frees). Unknown keys are kept and reported as warnings in *warnings
 * (newline-separated, caller frees; NULL when none).
 */
int	cfg_load(struct cfg **out, const struct cfg_paths *, char **cause,
	    char **warnings);
/*
 * Parses INI text named name (for messages) into c as one more file: its
 * values win over those already in c, a key set twice within text is an
 * error. Lines are limited to CFG_LINE_MAX characters; leading blanks are
 * ignored (no continuation lines). Same *cause and *warnings as cfg_load
 * (warnings may be NULL). On error c may hold part of the text.
 */
int	cfg_parse_string(struct cfg *c, const char *text, const char *name,
	    char **cause, char **warnings);

/*
 * The admin's file that sets key (borrowed, valid while c lives), or NULL
 * when key is not locked and the user may change it.
 */
const char	*cfg_locked(const struct cfg *, const char *key);
/* Effective value of key: set value, else the default, else "". Borrowed,
 * valid until c changes. Never NULL. */
const char	*cfg_get(const struct cfg *, const char *key);
/* Truth rule of HOST.md §7.3 applied to cfg_get(). */
int		 cfg_bool(const struct cfg *, const char *key);
/* Integer value of an integer option (the default when unset). */
long		 cfg_int(const struct cfg *, const char *key);
/* Sets key in memory (value NULL or "" removes it). Returns 0 or ERR_*. */
int		 cfg_set(struct cfg *, const char *key, const char *value,
		    char **cause);
/*
 * Checks value for key without storing: ERR_CONFIG + *cause ("key 'KEY':
 * what is wrong", caller frees) if bad. An unknown key passes when its
 * name is sane; "" and NULL always pass (they mean unset).
 */
int		 cfg_check(const char *key, const char *value, char **cause);
/* 1 if key is an option cdesk knows. */
int		 cfg_known(const char *key);
/* Default of a known key (static), or NULL for an unknown key. */
const char	*cfg_default(const char *key);
/*
 * Rewrites file path with key set to value (NULL or "" removes it) in its
 * [options] section, keeping every other line and comment; the value is
 * checked first (cfg_check, and it must read back unchanged). Creates the
 * parent folder (0755); the file is written with mode 0644 to a temporary
 * name, fsynced and renamed. Returns 0 or ERR_* with *cause (caller frees).
 */
int		 cfg_set_file(const char *path, const char *key,
		    const char *value, char **cause);
/* cfg_set_file, writing the file with mode instead of 0644. */
int		 cfg_set_file_mode(const char *path, const char *key,
		    const char *value, mode_t mode, char **cause);
/*
 * Creates folder path and missing parents: path itself gets mode, parents
 * 0755. An existing folder is left as it is. Returns 0 or ERR_IO + *cause.
 */
int		 cfg_mkdirs(const char *path, mode_t mode, char **cause);
/*
 * Writes len bytes to path safely: a temporary file in the same folder
 * with mode, fsynced, then renamed over path (no_replace: linked, failing
 * with ERR_STATE if path already exists), then the folder fsynced.
 * Returns 0 or ERR_* with *cause (caller frees).
 */
int		 cfg_write_atomic(const char *path, const char *data,
		    size_t len, mode_t mode, int no_replace, char **cause);
/* Calls cb for every known option (effective value; is_set 0 when it is
 * the default) in name order, then for unknown keys that are set. */
typedef void	 cfg_each_cb(const char *key, const char *value, int is_set,
		    void *arg);
void		 cfg_each(const struct cfg *, cfg_each_cb *, void *arg);

#endif
