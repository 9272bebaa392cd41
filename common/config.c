/*
 * config.c: the option table, INI parsing (inih), layering of the user and
 * system files, safe rewriting of one key, and the paths of config and
 * state.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>
#include <sodium.h>

#include "common/config.h"
#include "common/dest.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"

#define CFG_SECTION	"options"
#define CFG_FILE_MAX	(1024 * 1024)	/* larger config files are refused */

enum opt_type {
	T_BOOL,		/* "Y", "N" or "" */
	T_ENUM,		/* one of choices, or "" */
	T_INT,		/* decimal in [min, max], or "" */
	T_STR,		/* any printable text */
	T_IPLIST,	/* comma-separated IPs and CIDRs */
	T_IDLIST,	/* comma-separated ID patterns with * and ? */
	T_HOST,		/* host or host:port */
	T_KEY,		/* base64 of a 32-byte public key */
	T_DESTLIST,	/* comma-separated destinations (common/dest.h) */
};

struct opt {
	const char	*name;
	enum opt_type	 type;
	const char	*def;		/* default value */
	const char	*choices;	/* T_ENUM: comma-separated */
	long		 min, max;	/* T_INT */
};

/* Known options, sorted by name (cfg_each walks them in this order). */
static const struct opt opts[] = {
	{ "access-mode", T_ENUM, "", "full,view,custom", 0, 0 },
	{ "allow-auto-disconnect", T_BOOL, "N", NULL, 0, 0 },
	{ "allow-hide-cm", T_BOOL, "N", NULL, 0, 0 },
	{ "allow-numeric-one-time-password", T_BOOL, "N", NULL, 0, 0 },
	{ "allow-only-conn-window-open", T_BOOL, "N", NULL, 0, 0 },
	{ "allow-remote-cm-modification", T_BOOL, "N", NULL, 0, 0 },
	{ "allow-remote-config-modification", T_BOOL, "N", NULL, 0, 0 },
	{ "approve-mode", T_ENUM, "", "password,click,both", 0, 0 },
	{ "approve-timeout", T_INT, "120", NULL, 5, 3600 },
	{ "audio-input", T_STR, "", NULL, 0, 0 },
	{ "auto-disconnect-timeout", T_INT, "10", NULL, 1, 1440 },
	{ "custom-rendezvous-server", T_HOST, "", NULL, 0, 0 },
	{ "direct-access-port", T_INT, "21118", NULL, 1, 65535 },
	{ "direct-server", T_BOOL, "N", NULL, 0, 0 },
	{ "enable-abr", T_BOOL, "Y", NULL, 0, 0 },
	{ "enable-audio", T_BOOL, "Y", NULL, 0, 0 },
	{ "enable-block-input", T_BOOL, "Y", NULL, 0, 0 },
	{ "enable-camera", T_BOOL, "Y", NULL, 0, 0 },
	{ "enable-clipboard", T_BOOL, "Y", NULL, 0, 0 },
	{ "enable-file-transfer", T_BOOL, "Y", NULL, 0, 0 },
	{ "enable-keyboard", T_BOOL, "Y", NULL, 0, 0 },
	{ "enable-lan-discovery", T_BOOL, "Y", NULL, 0, 0 },
	{ "enable-perm-change-in-accept-window", T_BOOL, "Y", NULL, 0, 0 },
	{ "enable-privacy-mode", T_BOOL, "Y", NULL, 0, 0 },
	{ "enable-record-session", T_BOOL, "Y", NULL, 0, 0 },
	{ "enable-remote-restart", T_BOOL, "Y", NULL, 0, 0 },
	{ "enable-terminal", T_BOOL, "Y", NULL, 0, 0 },
	{ "enable-trusted-devices", T_BOOL, "Y", NULL, 0, 0 },
	{ "enable-tunnel", T_BOOL, "Y", NULL, 0, 0 },
	{ "headless-user", T_STR, "", NULL, 0, 0 },
	{ "id-whitelist", T_IDLIST, "", NULL, 0, 0 },
	{ "idle-timeout", T_INT, "30", NULL, 1, 3600 },
	{ "keep-awake-during-incoming-sessions", T_BOOL, "N", NULL, 0, 0 },
	{ "key", T_KEY, "", NULL, 0, 0 },
	{ "one-way-clipboard-redirection", T_BOOL, "N", NULL, 0, 0 },
	{ "one-way-file-transfer", T_BOOL, "N", NULL, 0, 0 },
	{ "refuse-unencrypted", T_BOOL, "N", NULL, 0, 0 },
	{ "relay-server", T_HOST, "", NULL, 0, 0 },
	{ "stop-service", T_BOOL, "N", NULL, 0, 0 },
	{ "temporary-password-length", T_ENUM, "6", "6,8,10", 0, 0 },
	{ "tunnel-destinations", T_DESTLIST, "", NULL, 0, 0 },
	{ "verification-method", T_ENUM, "",
	    "use-temporary-password,use-permanent-password,use-both-passwords",
	    0, 0 },
	{ "whitelist", T_IPLIST, "", NULL, 0, 0 },
};
#define NOPTS	(sizeof opts / sizeof opts[0])

/* An option that is set but not in the table (kept, reported). */
struct cfg_extra {
	char	*key;	/* owned */
	char	*value;	/* owned */
	int	 gen;	/* file that set it */
};

struct cfg {
	char			*val[NOPTS];	/* owned; NULL = unset */
	int			 gen[NOPTS];	/* file that set it, 0 = none */
	unsigned char		 locked[NOPTS];	/* the admin's file set it */
	char			*admin;		/* owned: that file's name */
	struct cfg_extra	*extra;		/* owned array */
	size_t			 nextra;
	int			 gen_next;	/* number for the next file */
};

/* State of one ini_parse_stream over a text. */
struct parse_ctx {
	struct cfg	*c;
	const char	*name;		/* file name for messages (borrowed) */
	struct cfg_reader rd;
	int		 gen;
	int		 admin;		/* the admin's file: lock its keys */
	int		 err_line;	/* first handler error, or 0 */
	char		*err;		/* its message (owned) */
	char		*warn;		/* newline-separated (owned) */
};

/*
 * Find the table entry of key, or NULL. The table is sorted by name (byte
 * order; test_config checks it), so a binary search: the server looks
 * options up on every login and permission check.
 */
static const struct opt *
opt_find(const char *key)
{
	size_t lo = 0, hi = NOPTS, mid;
	int d;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((d = strcmp(key, opts[mid].name)) == 0)
			return &opts[mid];
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Return a new message "expected ..., got 'value'" (value escaped). */
static char *
bad_value(const char *what, const char *value)
{
	char *esc, *msg;

	esc = log_escape(value, 64);
	xasprintf(&msg, "expected %s, got '%s'", what, esc);
	free(esc);
	return msg;
}

/* Return 1 if s is a whole decimal number in [min, max], storing it. */
static int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return 0;
	*out = v;
	return 1;
}

/* Return 1 if s (len bytes) is an IP address or a CIDR block. */
static int
check_ip_entry(const char *s, size_t len)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	unsigned char addr[16];
	long bits = 0;
	int v6;

	if (len == 0 || len >= sizeof buf)
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	v6 = strchr(buf, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, addr) != 1)
		return 0;
	if (slash != NULL && !parse_long(slash, 0, v6 ? 128 : 32, &bits))
		return 0;
	return 1;
}

/* Return 1 if s (len bytes) is a host name or address, with optional port. */
static int
check_host(const char *s, size_t len)
{
	char buf[300], *port = NULL, *end;
	unsigned char addr[16];
	long p;
	size_t i;

	if (len == 0 || len >= sizeof buf)
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (buf[0] == '[') {
		/* [v6] or [v6]:port */
		if ((end = strchr(buf, ']')) == NULL)
			return 0;
		*end = '\0';
		if (inet_pton(AF_INET6, buf + 1, addr) != 1)
			return 0;
		if (end[1] == '\0')
			return 1;
		if (end[1] != ':')
			return 0;
		return parse_long(end + 2, 1, 65535, &p);
	}
	if ((end = strchr(buf, ':')) != NULL && strchr(end + 1, ':') != NULL)
		return inet_pton(AF_INET6, buf, addr) == 1;	/* bare v6 */
	if (end != NULL) {
		*end = '\0';
		port = end + 1;
		if (!parse_long(port, 1, 65535, &p))
			return 0;
	}
	if (buf[0] == '\0' || strlen(buf) > 253 || buf[0] == '-' ||
	    buf[0] == '.')
		return 0;
	for (i = 0; buf[i] != '\0'; i++) {
		char ch = buf[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_'))
			return 0;
	}
	return 1;
}

/* Return 1 if s (len bytes) is a usable ID pattern. */
static int
check_id_entry(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 64)
		return 0;
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    ch == '*' || ch == '?' || ch == '@' || ch == '.'))
			return 0;
	}
	return 1;
}

/*
 * Check a comma-separated list with check_entry; trim spaces around
 * entries when trim is set. Returns NULL or a new message.
 */
static char *
check_list(const char *value, int trim, int (*check_entry)(const char *,
    size_t), const char *what)
{
	const char *p = value, *comma, *end;
	char *entry, *esc, *msg;

	for (;;) {
		comma = strchr(p, ',');
		end = comma != NULL ? comma : p + strlen(p);
		if (trim) {
			while (p < end && *p == ' ')
				p++;
			while (end > p && end[-1] == ' ')
				end--;
		}
		if (!check_entry(p, (size_t)(end - p))) {
			entry = xstrndup(p, (size_t)(end - p));
			esc = log_escape(entry, 64);
			if (*entry == '\0')
				msg = xstrdup("empty entry in the list");
			else
				xasprintf(&msg, "entry '%s' is not %s", esc,
				    what);
			free(esc);
			free(entry);
			return msg;
		}
		if (comma == NULL)
			return NULL;
		p = comma + 1;
	}
}

/* Return 1 if value is in the comma-separated choices. */
static int
enum_has(const char *choices, const char *value)
{
	size_t n = strlen(value);
	const char *p = choices;

	if (strchr(value, ',') != NULL)
		return 0;
	for (;;) {
		if (strncmp(p, value, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
		if ((p = strchr(p, ',')) == NULL)
			return 0;
		p++;
	}
}

/*
 * Check value against option o (o NULL: any text). "" always passes (it
 * means unset). Returns NULL or a new message saying what is wrong.
 */
static char *
opt_check(const struct opt *o, const char *value)
{
	unsigned char key[32];
	const char *end, *p;
	size_t len;
	long v;
	char *what, *msg;

	for (p = value; *p != '\0'; p++) {
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			return xstrdup("control characters are not allowed");
	}
	if (*value == '\0' || o == NULL)
		return NULL;
	switch (o->type) {
	case T_BOOL:
		if (strcmp(value, "Y") != 0 && strcmp(value, "N") != 0)
			return bad_value("Y or N", value);
		break;
	case T_ENUM:
		if (!enum_has(o->choices, value)) {
			xasprintf(&what, "one of %s", o->choices);
			msg = bad_value(what, value);
			free(what);
			return msg;
		}
		break;
	case T_INT:
		if (!parse_long(value, o->min, o->max, &v)) {
			xasprintf(&what, "an integer from %ld to %ld", o->min,
			    o->max);
			msg = bad_value(what, value);
			free(what);
			return msg;
		}
		break;
	case T_STR:
		break;
	case T_IPLIST:
		return check_list(value, 0, check_ip_entry,
		    "an IP address or CIDR block (no spaces)");
	case T_IDLIST:
		return check_list(value, 1, check_id_entry,
		    "an ID pattern (letters, digits, - _ . @ * ?)");
	case T_DESTLIST:
		return check_list(value, 1, dest_entry_ok,
		    "a destination like host:22, 10.0.0.0/8:1-1024 or [::1]:*");
	case T_HOST:
		if (!check_host(value, strlen(value)))
			return bad_value("host or host:port", value);
		break;
	case T_KEY:
		if (sodium_base642bin(key, sizeof key, value, strlen(value),
		    NULL, &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    len != sizeof key || *end != '\0')
			return bad_value("the server's public key (base64 of "
			    "32 bytes)", value);
		break;
	}
	return NULL;
}

/* Allocate an empty option set. */
struct cfg *
cfg_new(void)
{
	struct cfg *c = xcalloc(1, sizeof *c);

	c->gen_next = 1;
	return c;
}

/* Free c and every value it holds. */
void
cfg_free(struct cfg *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < NOPTS; i++)
		free(c->val[i]);
	free(c->admin);
	for (i = 0; i < c->nextra; i++) {
		free(c->extra[i].key);
		free(c->extra[i].value);
	}
	free(c->extra);
	free(c);
}

/* Find the extra entry of key, or NULL. */
static struct cfg_extra *
extra_find(const struct cfg *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->nextra; i++)
		if (strcmp(c->extra[i].key, key) == 0)
			return &c->extra[i];
	return NULL;
}

/* Store value ("" removes) for key without checking it; gen marks the file. */
static void
cfg_store(struct cfg *c, const char *key, const char *value, int gen)
{
	const struct opt *o;
	struct cfg_extra *e;
	size_t i;

	if ((o = opt_find(key)) != NULL) {
		i = (size_t)(o - opts);
		free(c->val[i]);
		c->val[i] = *value != '\0' ? xstrdup(value) : NULL;
		c->gen[i] = gen;
		return;
	}
	if ((e = extra_find(c, key)) != NULL) {
		if (*value != '\0') {
			free(e->value);
			e->value = xstrdup(value);
			e->gen = gen;
			return;
		}
		free(e->key);
		free(e->value);
		*e = c->extra[--c->nextra];
		return;
	}
	if (*value == '\0')
		return;
	c->extra = xreallocarray(c->extra, c->nextra + 1, sizeof *c->extra);
	e = &c->extra[c->nextra++];
	e->key = xstrdup(key);
	e->value = xstrdup(value);
	e->gen = gen;
}

/* Return the file number that last set key, or 0. */
static int
cfg_gen(const struct cfg *c, const char *key)
{
	const struct opt *o;
	const struct cfg_extra *e;

	if ((o = opt_find(key)) != NULL)
		return c->val[o - opts] != NULL ? c->gen[o - opts] : 0;
	if ((e = extra_find(c, key)) != NULL)
		return e->gen;
	return 0;
}

/* Next line for inih: see struct cfg_reader in config.h. */
char *
cfg_reader_line(char *str, int num, void *stream)
{
	struct cfg_reader *rd = stream;
	const char *p = rd->text + rd->pos;
	size_t n, skip;

	if (*p == '\0' || rd->toolong)
		return NULL;
	n = strcspn(p, "\n");
	rd->lineno++;
	rd->pos += n + (p[n] == '\n');
	skip = strspn(p, " \t");
	if (skip > n)
		skip = n;
	p += skip;
	n -= skip;
	/* inih wants room for "\r\n\0" beyond the longest line. */
	if (num < 4 || n + 3 > (size_t)num) {
		rd->toolong = rd->lineno;
		return NULL;
	}
	memcpy(str, p, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

/* Record the first handler error of a parse: "key 'KEY': msg". */
static int
parse_fail(struct parse_ctx *ctx, const char *key, char *msg)
{
	char *esc;

	if (ctx->err == NULL) {
		esc = log_escape(key, 64);
		xasprintf(&ctx->err, "key '%s': %s", esc, msg);
		free(esc);
		ctx->err_line = ctx->rd.lineno;
	}
	free(msg);
	return 0;
}

/* inih handler: check one key = value of the current file and store it. */
static int
parse_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct parse_ctx *ctx = user;
	const struct opt *o;
	char *msg, *esc, *w;
	if (*section == '\0')
		return parse_fail(ctx, name, xstrdup("outside the [options] "
		    "section"));
	if (strcmp(section, CFG_SECTION) != 0) {
		esc = log_escape(section, 64);
		xasprintf(&msg, "in section [%s]; only [options] is allowed",
		    esc);
		free(esc);
		return parse_fail(ctx, name, msg);
	}
	if (cfg_gen(ctx->c, name) == ctx->gen)
		return parse_fail(ctx, name, xstrdup("set more than once"));
	o = opt_find(name);
	if ((msg = opt_check(o, value)) != NULL)
		return parse_fail(ctx, name, msg);
	if (o == NULL) {
		esc = log_escape(name, 64);
		xasprintf(&w, "%s%s%s:%d: key '%s': unknown option (ignored)",
		    ctx->warn != NULL ? ctx->warn : "",
		    ctx->warn != NULL ? "\n" : "", ctx->name, ctx->rd.lineno, esc);
		free(esc);
		free(ctx->warn);
		ctx->warn = w;
	}
	cfg_store(ctx->c, name, value, ctx->gen);
	/* Even "key =" locks: the admin chose the default. */
	if (ctx->admin && o != NULL)
		ctx->c->locked[o - opts] = 1;
	return 1;
}

/* Parse text into c as one file, the admin's when admin is set. */
static int
parse_text(struct cfg *c, const char *text, const char *name, int admin,
    char **cause, char **warnings)
{
	struct parse_ctx ctx;
	int r, line;

	*cause = NULL;
	if (warnings != NULL)
		*warnings = NULL;
	memset(&ctx, 0, sizeof ctx);
	ctx.c = c;
	ctx.name = name;
	ctx.admin = admin;
	ctx.rd.text = text;
	ctx.gen = c->gen_next++;
	r = ini_parse_stream(cfg_reader_line, &ctx.rd, parse_handler, &ctx);
	if (r < 0) {
		free(ctx.err);
		free(ctx.warn);
		xasprintf(cause, "%s: out of memory", name);
		return ERR_NOMEM;
	}
	/* Report whichever problem comes first in the file. */
	line = ctx.err != NULL ? ctx.err_line : 0;
	if (ctx.rd.toolong != 0 && (line == 0 || ctx.rd.toolong < line) &&
	    (r == 0 || ctx.rd.toolong < r)) {
		xasprintf(cause, "%s:%d: line too long", name, ctx.rd.toolong);
	} else if (r > 0 && (line == 0 || r < line)) {
		xasprintf(cause, "%s:%d: expected 'key = value' or a [section]",
		    name, r);
	} else if (ctx.err != NULL)
		xasprintf(cause, "%s:%d: %s", name, line, ctx.err);
	free(ctx.err);
	if (*cause != NULL) {
		free(ctx.warn);
		return ERR_CONFIG;
	}
	if (warnings != NULL)
		*warnings = ctx.warn;
	else
		free(ctx.warn);
	return 0;
}

/* Parse text into c as one more file; see config.h. */
int
cfg_parse_string(struct cfg *c, const char *text, const char *name,
    char **cause, char **warnings)
{
	return parse_text(c, text, name, 0, cause, warnings);
}

/*
 * Read file path (at most CFG_FILE_MAX bytes) into a new NUL-terminated
 * string. A missing file gives ERR_NOTFOUND without a cause.
 */
static int
read_text(const char *path, char **out, char **cause)
{
	FILE *f;
	char *buf = NULL;
	size_t n;

	*out = NULL;
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return ERR_NOTFOUND;
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return ERR_IO;
	}
	buf = xmalloc(CFG_FILE_MAX + 1);
	n = fread(buf, 1, CFG_FILE_MAX + 1, f);
	if (ferror(f)) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (n > CFG_FILE_MAX) {
		xasprintf(cause, "%s: file too large", path);
		goto fail;
	}
	if (memchr(buf, '\0', n) != NULL) {
		xasprintf(cause, "%s: contains a NUL byte", path);
		goto fail;
	}
	buf[n] = '\0';
	fclose(f);
	*out = buf;
	return 0;
fail:
	fclose(f);
	free(buf);
	return ERR_IO;
}

/* Append more (newline-separated) to *all, freeing more. */
static void
join_warnings(char **all, char *more)
{
	char *w;

	if (more == NULL)
		return;
	if (*all == NULL) {
		*all = more;
		return;
	}
	xasprintf(&w, "%s\n%s", *all, more);
	free(*all);
	free(more);
	*all = w;
}

/* Parse file path into c if it exists (the admin's file: admin set). */
static int
load_file(struct cfg *c, const char *path, int admin, char **cause,
    char **warnings)
{
	char *text, *w = NULL;
	int r;

	if ((r = read_text(path, &text, cause)) != 0)
		return r == ERR_NOTFOUND ? 0 : r;
	if (admin) {
		free(c->admin);
		c->admin = xstrdup(path);
	}
	r = parse_text(c, text, path, admin, cause, &w);
	free(text);
	join_warnings(warnings, w);
	return r;
}

/* Load the user file, then the system file over it. */
int
cfg_load(struct cfg **out, const struct cfg_paths *paths, char **cause,
    char **warnings)
{
	struct cfg *c;
	int r;

	*out = NULL;
	*cause = NULL;
	if (warnings != NULL)
		*warnings = NULL;
	c = cfg_new();
	if ((r = load_file(c, paths->conf, 0, cause, warnings)) != 0 ||
	    (paths->sys_conf != NULL &&
	    (r = load_file(c, paths->sys_conf, 1, cause, warnings)) != 0)) {
		cfg_free(c);
		if (warnings != NULL) {
			free(*warnings);
			*warnings = NULL;
		}
		return r;
	}
	*out = c;
	return 0;
}

/* Return the admin's file if it sets key, else NULL. */
const char *
cfg_locked(const struct cfg *c, const char *key)
{
	const struct opt *o = opt_find(key);

	if (o == NULL || !c->locked[o - opts])
		return NULL;
	return c->admin != NULL ? c->admin : "the admin's file";
}

/* Return the effective value of key. */
const char *
cfg_get(const struct cfg *c, const char *key)
{
	const struct opt *o;
	const struct cfg_extra *e;

	if ((o = opt_find(key)) != NULL)
		return c->val[o - opts] != NULL ? c->val[o - opts] : o->def;
	if ((e = extra_find(c, key)) != NULL)
		return e->value;
	return "";
}

/* Apply the truth rule (HOST.md 7.3) to the effective value of key. */
int
cfg_bool(const struct cfg *c, const char *key)
{
	const char *v = cfg_get(c, key);

	if (strncmp(key, "enable-", 7) == 0)
		return strcmp(v, "N") != 0;
	if (strncmp(key, "allow-", 6) == 0 || strcmp(key, "stop-service") == 0 ||
	    strcmp(key, "direct-server") == 0 ||
	    strcmp(key, "force-always-relay") == 0)
		return strcmp(v, "Y") == 0;
	return strcmp(v, "N") != 0;
}

/* Return the integer value of key (its default when unset or bad). */
long
cfg_int(const struct cfg *c, const char *key)
{
	const struct opt *o = opt_find(key);
	long v;

	if (parse_long(cfg_get(c, key), LONG_MIN, LONG_MAX, &v))
		return v;
	if (o != NULL && parse_long(o->def, LONG_MIN, LONG_MAX, &v))
		return v;
	return 0;
}

/* Return 1 if key is a non-empty run of letters, digits, '-', '_', '.'. */
static int
key_ok(const char *key)
{
	const char *p;

	if (*key == '\0' || strlen(key) > 64)
		return 0;
	for (p = key; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.'))
			return 0;
	return 1;
}

/* Check key and value; see config.h. */
int
cfg_check(const char *key, const char *value, char **cause)
{
	char *msg, *esc;

	*cause = NULL;
	esc = log_escape(key, 64);
	if (!key_ok(key)) {
		xasprintf(cause, "key '%s': not a valid option name", esc);
		free(esc);
		return ERR_CONFIG;
	}
	if (value != NULL && (msg = opt_check(opt_find(key), value)) != NULL) {
		xasprintf(cause, "key '%s': %s", esc, msg);
		free(msg);
		free(esc);
		return ERR_CONFIG;
	}
	free(esc);
	return 0;
}

/* Set key in memory after checking it. */
int
cfg_set(struct cfg *c, const char *key, const char *value, char **cause)
{
	int r;

	if (value == NULL)
		value = "";
	if ((r = cfg_check(key, value, cause)) != 0)
		return r;
	cfg_store(c, key, value, 0);
	return 0;
}

/* Return 1 if key is in the option table. */
int
cfg_known(const char *key)
{
	return opt_find(key) != NULL;
}

/* Call cb for every known option, then every unknown key that is set. */
void
cfg_each(const struct cfg *c, cfg_each_cb *cb, void *arg)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		cb(opts[i].name, cfg_get(c, opts[i].name), c->val[i] != NULL,
		    arg);
	for (i = 0; i < c->nextra; i++)
		cb(c->extra[i].key, c->extra[i].value, 1, arg);
}

/* Return the default of a known key, or NULL. */
const char *
cfg_default(const char *key)
{
	const struct opt *o = opt_find(key);

	return o != NULL ? o->def : NULL;
}

/* Create path and its missing parents; new folders get mode. */
int
cfg_mkdirs(const char *path, mode_t mode, char **cause)
{
	char *p, *s;
	struct stat st;

	*cause = NULL;
	p = xstrdup(path);
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		if (s[-1] != '/') {
			char was = *s;

			*s = '\0';
			/* Parents other than the last get the usual 0755. */
			if (mkdir(p, was == '\0' ? mode : 0755) != 0 &&
			    errno != EEXIST) {
				xasprintf(cause, "%s: %s", p, strerror(errno));
				free(p);
				return ERR_IO;
			}
			*s = was;
		}
		if (*s == '\0')
			break;
	}
	if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
		xasprintf(cause, "%s: not a folder", p);
		free(p);
		return ERR_IO;
	}
	free(p);
	return 0;
}

/* Write len bytes to fd, retrying short writes. */
static int
write_all(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, data, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write data to path atomically; see config.h. */
int
cfg_write_atomic(const char *path, const char *data, size_t len,
    mode_t mode, int no_replace, char **cause)
{
	char *tmp = NULL, *dir = NULL, *slash;
	int fd = -1, dfd, r = ERR_IO;

	*cause = NULL;
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) == NULL) {
		free(dir);
		dir = xstrdup(".");
	} else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	xasprintf(&tmp, "%s.tmp.XXXXXX", path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 ||
	    fsync(fd) != 0) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (no_replace) {
		/* link() fails if path exists: never clobber a first copy. */
		if (link(tmp, path) != 0) {
			r = errno == EEXIST ? ERR_STATE : ERR_IO;
			xasprintf(cause, "%s: %s", path, strerror(errno));
			goto out;
		}
	} else if (rename(tmp, path) != 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto out;
	} else {
		free(tmp);
		tmp = NULL;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	free(dir);
	return r;
}

/* Return the section name if line is a [section] line, in a new string. */
static char *
line_section(const char *line, size_t len)
{
	const char *p = line, *end = line + len, *close;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p != '[')
		return NULL;
	if ((close = memchr(p, ']', (size_t)(end - p))) == NULL)
		return NULL;
	return xstrndup(p + 1, (size_t)(close - p - 1));
}

/* Return 1 if line (len bytes) is "key = ..." or "key: ..." for key. */
static int
line_is_key(const char *line, size_t len, const char *key)
{
	const char *p = line, *end = line + len, *sep;
	size_t klen = strlen(key);

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p == ';' || *p == '#')
		return 0;
	sep = p;
	while (sep < end && *sep != '=' && *sep != ':')
		sep++;
	if (sep == end)
		return 0;
	while (sep > p && (sep[-1] == ' ' || sep[-1] == '\t'))
		sep--;
	return (size_t)(sep - p) == klen && memcmp(p, key, klen) == 0;
}

/* Append len bytes to the growing string *buf of length *n. */
static void
append(char **buf, size_t *n, const char *s, size_t len)
{
	*buf = xreallocarray(*buf, *n + len + 1, 1);
	memcpy(*buf + *n, s, len);
	*n += len;
	(*buf)[*n] = '\0';
}

/*
 * Return a copy of text with key set to value in [options] (removed when
 * value is ""): the first line of key is replaced, later ones dropped, and
 * a new key goes after the last line of the first [options] section (a new
 * section at the end when there is none).
 */
static char *
edit_text(const char *text, const char *key, const char *value)
{
	char *out = NULL, *sect, *newline = NULL;
	const char *p = text, *eol;
	size_t n = 0, len, insert_at = 0;
	int in_opts = 0, seen_opts = 0, done = 0, opts_open = 0, is_sect;

	if (*value != '\0')
		xasprintf(&newline, "%s = %s\n", key, value);
	out = xstrdup("");
	while (*p != '\0') {
		eol = strchr(p, '\n');
		len = eol != NULL ? (size_t)(eol - p) : strlen(p);
		is_sect = 0;
		if ((sect = line_section(p, len)) != NULL) {
			is_sect = 1;
			in_opts = strcmp(sect, CFG_SECTION) == 0;
			if (opts_open && !in_opts)
				opts_open = 0;	/* the first section ended */
			if (in_opts && !seen_opts) {
				seen_opts = opts_open = 1;
				insert_at = n + len + 1;
			}
			free(sect);
		} else if (in_opts && line_is_key(p, len, key)) {
			if (!done && newline != NULL)
				append(&out, &n, newline, strlen(newline));
			done = 1;
			if (opts_open)
				insert_at = n;
			p += len + (eol != NULL);
			continue;
		}
		append(&out, &n, p, len);
		append(&out, &n, "\n", 1);
		if (opts_open && !is_sect) {
			const char *q = p;

			while (q < p + len && (*q == ' ' || *q == '\t'))
				q++;
			if (q < p + len)
				insert_at = n;	/* after the last non-blank */
		}
		p += len + (eol != NULL);
	}
	if (!done && newline != NULL) {
		if (seen_opts) {
			char *rest = xstrdup(out + insert_at);

			n = insert_at;
			out[n] = '\0';
			append(&out, &n, newline, strlen(newline));
			append(&out, &n, rest, strlen(rest));
			free(rest);
		} else {
			if (n > 0)
				append(&out, &n, "\n", 1);
			append(&out, &n, "[" CFG_SECTION "]\n",
			    strlen("[" CFG_SECTION "]\n"));
			append(&out, &n, newline, strlen(newline));
		}
	}
	free(newline);
	return out;
}

/* Rewrite path with key set to value, mode 0644; see config.h. */
int
cfg_set_file(const char *path, const char *key, const char *value,
    char **cause)
{
	return cfg_set_file_mode(path, key, value, 0644, cause);
}

/* Rewrite path with key set to value; see config.h. */
int
cfg_set_file_mode(const char *path, const char *key, const char *value,
    mode_t mode, char **cause)
{
	char *text = NULL, *out = NULL, *dir, *slash, *esc;
	size_t vlen;
	int r;

	*cause = NULL;
	if (value == NULL)
		value = "";
	if ((r = cfg_check(key, value, cause)) != 0)
		return r;
	/* The value must read back unchanged: inih strips and cuts. */
	vlen = strlen(value);
	esc = log_escape(key, 64);
	if (vlen > 0 && (value[0] == ' ' || value[0] == '\t' ||
	    value[vlen - 1] == ' ' || value[vlen - 1] == '\t')) {
		xasprintf(cause, "key '%s': leading or trailing blanks are "
		    "not allowed", esc);
		r = ERR_CONFIG;
	} else if (strstr(value, " ;") != NULL ||
	    strstr(value, "\t;") != NULL) {
		xasprintf(cause, "key '%s': a ';' after a blank would start a "
		    "comment", esc);
		r = ERR_CONFIG;
	} else if (strlen(key) + vlen + 3 > CFG_LINE_MAX) {
		xasprintf(cause, "key '%s': value too long (the line must be "
		    "at most %d characters)", esc, CFG_LINE_MAX);
		r = ERR_CONFIG;
	}
	free(esc);
	if (r != 0)
		return r;

	if ((r = read_text(path, &text, cause)) == ERR_NOTFOUND) {
		text = xstrdup("");
		r = 0;
	}
	if (r != 0)
		return r;
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		r = cfg_mkdirs(dir, 0755, cause);
	}
	free(dir);
	if (r == 0) {
		out = edit_text(text, key, value);
		r = cfg_write_atomic(path, out, strlen(out), mode, 0, cause);
	}
	free(out);
	free(text);
	return r;
}

/* Return a new "base/cdesk" for the user's config base, or NULL. */
static char *
user_config_dir(char **cause)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	struct passwd *pw;
	char *dir;

	if (xdg != NULL && xdg[0] == '/') {
		xasprintf(&dir, "%s/cdesk", xdg);
		return dir;
	}
	if (home == NULL || home[0] != '/') {
		if ((pw = getpwuid(getuid())) == NULL || pw->pw_dir == NULL ||
		    pw->pw_dir[0] != '/') {
			*cause = xstrdup("cannot find the home folder (set "
			    "HOME or XDG_CONFIG_HOME)");
			return NULL;
		}
		home = pw->pw_dir;
	}
	xasprintf(&dir, "%s/.config/cdesk", home);
	return dir;
}

#ifdef _WIN32
/*
 * Windows: the service (LocalSystem) keeps everything in ProgramData's
 * cdesk folder (its ACL: compat_mkdir), a user in their local AppData's;
 * the same files as on Linux, with '/' as Windows also reads it.
 */
static int
cfg_paths_win(struct cfg_paths *paths, char **cause)
{
	const char *base = getenv(geteuid() == 0 ? "ProgramData" :
	    "LOCALAPPDATA");
	char *dir, *s;

	if (base == NULL || *base == '\0') {
		xasprintf(cause, "%s is not set", geteuid() == 0 ?
		    "ProgramData" : "LOCALAPPDATA");
		return ERR_CONFIG;
	}
	xasprintf(&dir, "%s/cdesk", base);
	for (s = dir; *s != '\0'; s++)
		if (*s == '\\')
			*s = '/';
	paths->admin = geteuid() == 0;
	if (paths->admin) {
		paths->conf_mode = 0600;
		xasprintf(&paths->conf, "%s/user.conf", dir);
		xasprintf(&paths->sys_conf, "%s/cdesk.conf", dir);
	} else {
		xasprintf(&paths->conf, "%s/cdesk.conf", dir);
		xasprintf(&paths->sys_conf, "%s/cdesk/cdesk.conf",
		    getenv("ProgramData") != NULL ? getenv("ProgramData") :
		    "C:/ProgramData");
	}
	xasprintf(&paths->run_dir, "%s/run", dir);
	paths->state_dir = dir;
	return 0;
}
#endif

/* Fill paths for dir, root or a user; see config.h. */
int
cfg_paths_init(struct cfg_paths *paths, const char *dir, char **cause)
{
	const char *rt;
	char *base;

	memset(paths, 0, sizeof *paths);
	*cause = NULL;
	paths->conf_mode = 0644;
	if (dir != NULL) {
		if (*dir == '\0') {
			*cause = xstrdup("empty --config folder");
			return ERR_CONFIG;
		}
		xasprintf(&paths->conf, "%s/cdesk.conf", dir);
		xasprintf(&paths->sys_conf, "%s/" CFG_DIR_ADMIN, dir);
		paths->state_dir = xstrdup(dir);
		paths->run_dir = xstrdup(dir);
		return 0;
	}
#ifdef _WIN32
	return cfg_paths_win(paths, cause);
#endif
	if (geteuid() == 0) {
		/* The admin's file is only read by the service. */
		paths->conf = xstrdup(CFG_SERVICE_CONF);
		paths->conf_mode = 0600;
		paths->sys_conf = xstrdup(CFG_SYSTEM_CONF);
		paths->admin = 1;
		paths->state_dir = xstrdup("/var/lib/cdesk");
		paths->run_dir = xstrdup("/run/cdesk");
		return 0;
	}
	if ((base = user_config_dir(cause)) == NULL)
		return ERR_CONFIG;
	xasprintf(&paths->conf, "%s/cdesk.conf", base);
	paths->sys_conf = xstrdup(CFG_SYSTEM_CONF);
	paths->state_dir = base;
	if ((rt = getenv("XDG_RUNTIME_DIR")) != NULL && rt[0] == '/')
		xasprintf(&paths->run_dir, "%s/cdesk", rt);
	else
		xasprintf(&paths->run_dir, "/tmp/cdesk-%lu",
		    (unsigned long)getuid());
	return 0;
}

/* Free the strings of paths. */
void
cfg_paths_fini(struct cfg_paths *paths)
{
	free(paths->conf);
	free(paths->sys_conf);
	free(paths->state_dir);
	free(paths->run_dir);
	memset(paths, 0, sizeof *paths);
}
