/*
 * config.h: options (key/value, RustDesk's names where one exists) and the
 * paths of config and state. Files are INI, parsed with inih:
 *
 *	[options]
 *	direct-server = Y
 *
 * The admin's system file (/etc/cdesk/cdesk.conf) wins over the user's.
 */
#ifndef CDESK_CONFIG_H
#define CDESK_CONFIG_H

struct cfg_paths {
	char	*conf;		/* file --option writes (owned) */
	char	*sys_conf;	/* admin file that wins, or NULL (owned) */
	char	*state_dir;	/* ID, keys, password hash (owned) */
	char	*run_dir;	/* IPC socket folder (owned) */
};

/*
 * Fills paths: with dir (--config DIR) everything is in DIR and no system
 * file is read; else root uses /etc/cdesk/cdesk.conf and /var/lib/cdesk, a
 * user $XDG_CONFIG_HOME/cdesk (or ~/.config/cdesk) for both, with
 * /etc/cdesk/cdesk.conf as the system file. Returns 0 or ERR_*, with *cause
 * set (caller frees).
 */
int	cfg_paths_init(struct cfg_paths *, const char *dir, char **cause);
void	cfg_paths_fini(struct cfg_paths *);

struct cfg;

/* An empty option set (every option at its default). Never NULL. */
struct cfg	*cfg_new(void);
void		 cfg_free(struct cfg *);
/*
 * Loads the user file, then the system file over it. A missing file counts
 * as empty. A bad line or a bad value of a known option fails with
 * ERR_CONFIG and *cause = "FILE:LINE: key 'KEY': what is wrong" (caller
 * frees). Unknown keys are kept and reported as warnings in *warnings
 * (newline-separated, caller frees; NULL when none).
 */
int	cfg_load(struct cfg **out, const struct cfg_paths *, char **cause,
	    char **warnings);
/* Parses INI text named name (for messages) into c; same rules. */
int	cfg_parse_string(struct cfg *c, const char *text, const char *name,
	    char **cause, char **warnings);

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
/* Checks value for key without storing: ERR_CONFIG + *cause if bad. */
int		 cfg_check(const char *key, const char *value, char **cause);
/* 1 if key is an option cdesk knows. */
int		 cfg_known(const char *key);
/*
 * Rewrites file path with key set to value (NULL or "" removes it), keeping
 * every other line; written to a temporary name, fsynced and renamed.
 */
int		 cfg_set_file(const char *path, const char *key,
		    const char *value, char **cause);
/* Calls cb for every known option (effective value) in name order, then
 * for unknown keys that are set. */
typedef void	 cfg_each_cb(const char *key, const char *value, int is_set,
		    void *arg);
void		 cfg_each(const struct cfg *, cfg_each_cb *, void *arg);

#endif
