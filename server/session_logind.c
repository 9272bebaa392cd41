/*
 * session_logind.c: the session source's logind backend: the active
 * session of seat0 over logind's D-Bus API (sd-bus), followed through its
 * signals (the seat's ActiveSession, the session's own properties,
 * SessionNew/SessionRemoved, logind coming and going). The bus's fd runs on
 * the server's libevent loop; only the probe and the first query at start
 * are synchronous (short calls, bounded by LOGIND_CALL_TIMEOUT_US). The
 * system bus's address comes from DBUS_SYSTEM_BUS_ADDRESS when set.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <systemd/sd-bus.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/sdev.h"
#include "server/session_int.h"

/* How long logind may take to answer Reboot. */
#define LOGIND_REBOOT_TIMEOUT_US	(2 * 1000 * 1000)

#define LOGIND_NAME		"org.freedesktop.login1"
#define LOGIND_PATH		"/org/freedesktop/login1"
#define LOGIND_MANAGER		"org.freedesktop.login1.Manager"
#define LOGIND_SEAT		"org.freedesktop.login1.Seat"
#define LOGIND_SESSION		"org.freedesktop.login1.Session"
#define LOGIND_SEAT0		"/org/freedesktop/login1/seat/seat0"
#define LOGIND_SESSIONS		"/org/freedesktop/login1/session"
#define DBUS_PROPS		"org.freedesktop.DBus.Properties"
#define LOGIND_CALL_TIMEOUT_US	(2 * 1000 * 1000)
#define LOGIND_RETRY_S		5	/* reconnect to a lost bus */

/* Owned, except src and base (borrowed; NULL for one query). */
struct logind {
	struct session_source	*src;
	struct event_base	*base;
	sd_bus			*bus;		/* NULL while lost */
	struct event		*io;		/* the bus's fd */
	struct event		*timer;		/* sd-bus's timeout */
	struct event		*retry;		/* reconnecting */
	sd_bus_slot		*call;		/* the query in flight */
	char			*path;		/* the active session */
	char			*last_err;	/* last failure logged */
};

/* Properties whose change matters (the seat's, then a session's). */
static const char *const logind_seat_keys[] = { "ActiveSession", NULL };
static const char *const logind_session_keys[] = {
	"Active", "Class", "Type", "Display", "Name", "User", "State",
	"Remote", "Leader", NULL
};

static void	logind_arm(struct logind *);
static void	logind_refresh(void *);
static void	logind_io_cb(evutil_socket_t, short, void *);

/* Log a failed logind call once (until another failure or a success). */
static void
logind_failed(struct logind *l, const char *what, const sd_bus_error *e,
    int r)
{
	char *line;

	xasprintf(&line, "logind: %s: %s", what, e != NULL &&
	    sd_bus_error_is_set(e) ? e->message : strerror(-r));
	if (l->last_err != NULL && strcmp(l->last_err, line) == 0) {
		free(line);
		return;
	}
	log_warn("session: %s", line);
	free(l->last_err);
	l->last_err = line;
}

/* 1 when reply m is an error (logged once). */
static int
logind_reply_failed(struct logind *l, sd_bus_message *m, const char *what)
{
	if (!sd_bus_message_is_method_error(m, NULL))
		return 0;
	logind_failed(l, what, sd_bus_message_get_error(m),
	    sd_bus_message_get_errno(m));
	return 1;
}

/* The object path of seat0's active session from a Get reply (NULL: none). */
static int
logind_parse_seat(sd_bus_message *m, char **path)
{
	const char *id, *obj;

	*path = NULL;
	if (sd_bus_message_read(m, "v", "(so)", &id, &obj) < 0)
		return ERR_PROTO;
	if (*id != '\0' && strcmp(obj, "/") != 0)
		*path = xstrdup(obj);
	return 0;
}

/* Replace *dst with a copy of s, or NULL when s is empty. */
static void
logind_set(char **dst, const char *s)
{
	free(*dst);
	*dst = *s != '\0' ? xstrdup(s) : NULL;
}

/* logind's Class as ours. */
static enum session_class
logind_class(const char *c)
{
	if (strcmp(c, "user") == 0)
		return SESSION_CLASS_USER;
	if (strcmp(c, "greeter") == 0)
		return SESSION_CLASS_GREETER;
	return *c != '\0' ? SESSION_CLASS_OTHER : SESSION_CLASS_UNKNOWN;
}

/* logind's Type as ours. */
static enum session_type
logind_type(const char *t)
{
	if (strcmp(t, "x11") == 0)
		return SESSION_TYPE_X11;
	if (strcmp(t, "wayland") == 0)
		return SESSION_TYPE_WAYLAND;
	if (strcmp(t, "tty") == 0)
		return SESSION_TYPE_TTY;
	return *t != '\0' ? SESSION_TYPE_OTHER : SESSION_TYPE_UNKNOWN;
}

/* Read the value of property key (m at the variant) into s. */
static int
logind_prop(sd_bus_message *m, const char *key, struct session *s,
    int *active)
{
	const char *str, *obj;
	uint32_t u;
	int b, r;

	if (strcmp(key, "User") == 0) {
		if ((r = sd_bus_message_read(m, "v", "(uo)", &u, &obj)) >= 0)
			s->uid = (long)u;
	} else if (strcmp(key, "Leader") == 0) {
		if ((r = sd_bus_message_read(m, "v", "u", &u)) >= 0)
			s->leader = (long)u;
	} else if (strcmp(key, "Active") == 0) {
		if ((r = sd_bus_message_read(m, "v", "b", &b)) >= 0)
			*active = b;
	} else if (strcmp(key, "Remote") == 0) {
		if ((r = sd_bus_message_read(m, "v", "b", &b)) >= 0)
			s->remote = b;
	} else if (strcmp(key, "Seat") == 0) {
		if ((r = sd_bus_message_read(m, "v", "(so)", &str, &obj)) >= 0)
			logind_set(&s->seat, str);
	} else if (strcmp(key, "Id") == 0 || strcmp(key, "Name") == 0 ||
	    strcmp(key, "Display") == 0 || strcmp(key, "Class") == 0 ||
	    strcmp(key, "Type") == 0) {
		if ((r = sd_bus_message_read(m, "v", "s", &str)) < 0)
			return r;
		if (strcmp(key, "Id") == 0)
			logind_set(&s->id, str);
		else if (strcmp(key, "Name") == 0)
			logind_set(&s->name, str);
		else if (strcmp(key, "Display") == 0)
			logind_set(&s->display, str);
		else if (strcmp(key, "Class") == 0)
			s->class = logind_class(str);
		else
			s->type = logind_type(str);
	} else
		r = sd_bus_message_skip(m, "v");
	return r;
}

/*
 * Fill s from a session's GetAll reply. A session that is not active
 * (seat0 switching over) is nobody's until it is.
 */
static int
logind_parse_session(sd_bus_message *m, struct session *s)
{
	const char *key;
	int active = 0, r;

	if (sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
		return ERR_PROTO;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		if (sd_bus_message_read(m, "s", &key) < 0 ||
		    logind_prop(m, key, s, &active) < 0 ||
		    sd_bus_message_exit_container(m) < 0)
			return ERR_PROTO;
	}
	if (r < 0 || sd_bus_message_exit_container(m) < 0)
		return ERR_PROTO;
	if (s->seat == NULL)
		s->seat = xstrdup("seat0");
	if (!active)
		s->uid = SESSION_UID_NONE;
	return 0;
}

/* Start a raw logind session: nobody at seat0 yet. */
static void
logind_raw(struct session *s)
{
	s->how = SESSION_HOW_LOGIND;
	s->seat = xstrdup("seat0");
}

/* The raw session now, with synchronous calls (at start only). */
static void
logind_query(void *state, struct session *s)
{
	struct logind *l = state;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	char *path = NULL;
	int r;

	logind_raw(s);
	if (l->bus == NULL)
		return;
	r = sd_bus_call_method(l->bus, LOGIND_NAME, LOGIND_SEAT0, DBUS_PROPS,
	    "Get", &e, &m, "ss", LOGIND_SEAT, "ActiveSession");
	if (r < 0 || logind_parse_seat(m, &path) != 0) {
		logind_failed(l, "seat0", &e, r < 0 ? r : -EBADMSG);
		goto out;
	}
	if (path == NULL)
		goto out;
	m = sd_bus_message_unref(m);
	r = sd_bus_call_method(l->bus, LOGIND_NAME, path, DBUS_PROPS,
	    "GetAll", &e, &m, "s", LOGIND_SESSION);
	if (r < 0 || logind_parse_session(m, s) != 0) {
		logind_failed(l, path, &e, r < 0 ? r : -EBADMSG);
		session_fini(s);
		logind_raw(s);
	}
out:
	free(l->path);
	l->path = path;
	sd_bus_message_unref(m);
	sd_bus_error_free(&e);
}

/* Report that nobody is at seat0 (as far as we can tell). */
static void
logind_report_nobody(struct logind *l)
{
	struct session raw;

	session_init(&raw);
	logind_raw(&raw);
	session_source_report(l->src, &raw);
}

/* The active session's properties arrived: report them. */
static int
logind_session_cb(sd_bus_message *m, void *arg, sd_bus_error *ret)
{
	struct logind *l = arg;
	struct session raw;

	(void)ret;
	l->call = sd_bus_slot_unref(l->call);
	session_init(&raw);
	logind_raw(&raw);
	if (logind_reply_failed(l, m, l->path))
		goto out;
	if (logind_parse_session(m, &raw) != 0) {
		logind_failed(l, l->path, NULL, -EBADMSG);
		session_fini(&raw);
		logind_raw(&raw);
		goto out;
	}
	/* Answered: the next failure is news again. */
	free(l->last_err);
	l->last_err = NULL;
out:
	session_source_report(l->src, &raw);
	return 0;
}

/* seat0's active session arrived: ask for its properties. */
static int
logind_seat_cb(sd_bus_message *m, void *arg, sd_bus_error *ret)
{
	struct logind *l = arg;
	char *path = NULL;
	int r;

	(void)ret;
	l->call = sd_bus_slot_unref(l->call);
	if (logind_reply_failed(l, m, "seat0"))
		goto nobody;
	if (logind_parse_seat(m, &path) != 0) {
		logind_failed(l, "seat0", NULL, -EBADMSG);
		goto nobody;
	}
	free(l->path);
	if ((l->path = path) == NULL)
		goto nobody;
	r = sd_bus_call_method_async(l->bus, &l->call, LOGIND_NAME, path,
	    DBUS_PROPS, "GetAll", logind_session_cb, l, "s", LOGIND_SESSION);
	if (r >= 0)
		return 0;
	logind_failed(l, path, NULL, r);
nobody:
	logind_report_nobody(l);
	return 0;
}

/* Ask again, dropping a query in flight (its answer may be stale). */
static void
logind_refresh(void *state)
{
	struct logind *l = state;
	int r;

	if (l->bus == NULL)
		return;
	l->call = sd_bus_slot_unref(l->call);
	r = sd_bus_call_method_async(l->bus, &l->call, LOGIND_NAME,
	    LOGIND_SEAT0, DBUS_PROPS, "Get", logind_seat_cb, l, "ss",
	    LOGIND_SEAT, "ActiveSession");
	if (r < 0)
		logind_failed(l, "seat0", NULL, r);
	logind_arm(l);
}

/* 1 when key is one of keys. */
static int
logind_key_in(const char *key, const char *const *keys)
{
	for (; *keys != NULL; keys++) {
		if (strcmp(key, *keys) == 0)
			return 1;
	}
	return 0;
}

/*
 * 1 when a PropertiesChanged signal names one of keys, changed or
 * invalidated (or cannot be read: then look again to be safe).
 */
static int
logind_props_matter(sd_bus_message *m, const char *const *keys)
{
	const char *iface, *key;
	int r;

	if (sd_bus_message_read(m, "s", &iface) < 0 ||
	    sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
		return 1;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		if (sd_bus_message_read(m, "s", &key) < 0)
			return 1;
		if (logind_key_in(key, keys))
			return 1;
		if (sd_bus_message_skip(m, "v") < 0 ||
		    sd_bus_message_exit_container(m) < 0)
			return 1;
	}
	if (r < 0 || sd_bus_message_exit_container(m) < 0 ||
	    sd_bus_message_enter_container(m, 'a', "s") < 0)
		return 1;
	while ((r = sd_bus_message_read(m, "s", &key)) > 0) {
		if (logind_key_in(key, keys))
			return 1;
	}
	return r < 0;
}

/* A session came or went, or logind itself did: look again. */
static int
logind_changed_cb(sd_bus_message *m, void *arg, sd_bus_error *ret)
{
	(void)m;
	(void)ret;
	logind_refresh(arg);
	return 0;
}

/* seat0's properties changed: look again if its active session did. */
static int
logind_seat_changed_cb(sd_bus_message *m, void *arg, sd_bus_error *ret)
{
	(void)ret;
	if (logind_props_matter(m, logind_seat_keys))
		logind_refresh(arg);
	return 0;
}

/* A session's properties changed: look again if it is ours and it matters. */
static int
logind_session_changed_cb(sd_bus_message *m, void *arg, sd_bus_error *ret)
{
	struct logind *l = arg;
	const char *path = sd_bus_message_get_path(m);

	(void)ret;
	if (l->path != NULL && path != NULL && strcmp(path, l->path) == 0 &&
	    logind_props_matter(m, logind_session_keys))
		logind_refresh(l);
	return 0;
}

/* The bus answered an AddMatch: log a refusal (we would miss changes). */
static int
logind_match_cb(sd_bus_message *m, void *arg, sd_bus_error *ret)
{
	(void)ret;
	logind_reply_failed(arg, m, "subscribing to changes");
	return 0;
}

/* Subscribe to what changes seat0's active session. Returns 0 or ERR_IO. */
static int
logind_subscribe(struct logind *l)
{
	static const char *const rules[] = {
		"type='signal',sender='" LOGIND_NAME "',interface='"
		    DBUS_PROPS "',member='PropertiesChanged',path_namespace='"
		    LOGIND_SESSIONS "'",
		"type='signal',sender='org.freedesktop.DBus',path="
		    "'/org/freedesktop/DBus',interface='org.freedesktop.DBus',"
		    "member='NameOwnerChanged',arg0='" LOGIND_NAME "'",
	};
	int r;

	if ((r = sd_bus_match_signal_async(l->bus, NULL, LOGIND_NAME,
	    LOGIND_SEAT0, DBUS_PROPS, "PropertiesChanged",
	    logind_seat_changed_cb, logind_match_cb, l)) < 0 ||
	    (r = sd_bus_match_signal_async(l->bus, NULL, LOGIND_NAME,
	    LOGIND_PATH, LOGIND_MANAGER, "SessionNew", logind_changed_cb,
	    logind_match_cb, l)) < 0 ||
	    (r = sd_bus_match_signal_async(l->bus, NULL, LOGIND_NAME,
	    LOGIND_PATH, LOGIND_MANAGER, "SessionRemoved", logind_changed_cb,
	    logind_match_cb, l)) < 0 ||
	    (r = sd_bus_add_match_async(l->bus, NULL, rules[0],
	    logind_session_changed_cb, logind_match_cb, l)) < 0 ||
	    (r = sd_bus_add_match_async(l->bus, NULL, rules[1],
	    logind_changed_cb, logind_match_cb, l)) < 0) {
		logind_failed(l, "subscribing to changes", NULL, r);
		return ERR_IO;
	}
	return 0;
}

/* Watch the bus's fd and timeout as sd-bus asks now. */
static void
logind_arm(struct logind *l)
{
	if (l->bus != NULL && l->io != NULL)
		sdev_arm(l->bus, l->base, l->io, l->timer, logind_io_cb, l);
}

/* Drop the bus and everything on it. */
static void
logind_close_bus(struct logind *l)
{
	l->call = sd_bus_slot_unref(l->call);
	if (l->io != NULL)
		event_free(l->io);
	if (l->timer != NULL)
		event_free(l->timer);
	l->io = l->timer = NULL;
	/* Close without flushing: never block the loop on the bus. */
	l->bus = sd_bus_close_unref(l->bus);
	free(l->path);
	l->path = NULL;
}

/* The bus connection failed: nobody's session, and try again later. */
static void
logind_lost(struct logind *l, int r)
{
	struct timeval tv = { LOGIND_RETRY_S, 0 };

	log_warn("session: logind: the system bus connection was lost (%s); "
	    "nobody's session until it is back", strerror(-r));
	logind_close_bus(l);
	logind_report_nobody(l);
	evtimer_add(l->retry, &tv);
}

/* Let sd-bus read, write, time out and dispatch; then watch again. */
static void
logind_process(struct logind *l)
{
	int r;

	while ((r = sd_bus_process(l->bus, NULL)) > 0)
		;
	if (r < 0) {
		logind_lost(l, r);
		return;
	}
	logind_arm(l);
}

/* The bus's fd is ready. */
static void
logind_io_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	logind_process(arg);
}

/* sd-bus's timeout came (a call timed out, or queued messages wait). */
static void
logind_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	logind_process(arg);
}

/* Connect to the system bus. Returns 0 or a negative errno. */
static int
logind_connect(struct logind *l)
{
	int r;

	if ((r = sd_bus_open_system(&l->bus)) < 0) {
		l->bus = NULL;
		return r;
	}
	(void)sd_bus_set_method_call_timeout(l->bus, LOGIND_CALL_TIMEOUT_US);
	return 0;
}

/* Whether logind owns its name on the bus: 0, 1 (no), or a negative errno. */
static int
logind_probe(struct logind *l)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	int has = 0, r;

	r = sd_bus_call_method(l->bus, "org.freedesktop.DBus",
	    "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner",
	    &e, &m, "s", LOGIND_NAME);
	if (r >= 0 && (r = sd_bus_message_read(m, "b", &has)) >= 0)
		r = has ? 0 : 1;
	sd_bus_message_unref(m);
	sd_bus_error_free(&e);
	return r;
}

/* Subscribe and put the bus on the loop. Returns 0 or ERR_IO (logged). */
static int
logind_watch(struct logind *l)
{
	l->io = event_new(l->base, sd_bus_get_fd(l->bus), EV_READ,
	    logind_io_cb, l);
	l->timer = evtimer_new(l->base, logind_timer_cb, l);
	if (l->io == NULL || l->timer == NULL)
		fatal("libevent: cannot watch the system bus");
	return logind_subscribe(l);
}

/* Reconnect to a lost system bus. */
static void
logind_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv = { LOGIND_RETRY_S, 0 };
	struct logind *l = arg;

	(void)fd;
	(void)what;
	if (logind_connect(l) != 0 || logind_watch(l) != 0) {
		logind_close_bus(l);
		evtimer_add(l->retry, &tv);
		return;
	}
	log_info("session: logind: back on the system bus");
	logind_refresh(l);
}

/* Stop and free. */
static void
logind_free(void *state)
{
	struct logind *l = state;

	logind_close_bus(l);
	if (l->retry != NULL)
		event_free(l->retry);
	free(l->last_err);
	free(l);
}

/* Open when logind is on the system bus; else ERR_NOTFOUND. */
static int
logind_open(struct event_base *base, struct session_source *src,
    void **state)
{
	struct logind *l;
	int r;

	*state = NULL;
	l = xcalloc(1, sizeof *l);
	l->src = src;
	l->base = base;
	if ((r = logind_connect(l)) != 0) {
		if (base != NULL)
			log_info("session: no system bus (%s), so no logind",
			    strerror(-r));
		logind_free(l);
		return ERR_NOTFOUND;
	}
	if ((r = logind_probe(l)) != 0) {
		if (base != NULL)
			log_info("session: no logind on the system bus (%s)",
			    r > 0 ? "nobody owns " LOGIND_NAME : strerror(-r));
		logind_free(l);
		return ERR_NOTFOUND;
	}
	if (base != NULL) {
		l->retry = evtimer_new(base, logind_retry_cb, l);
		if (l->retry == NULL)
			fatal("libevent: cannot add the logind retry");
		/* Without signals, changes are still seen by the X check. */
		(void)logind_watch(l);
	}
	*state = l;
	return 0;
}

/* The raw session now (synchronous), then back on the loop. */
static void
logind_query_now(void *state, struct session *s)
{
	struct logind *l = state;

	logind_query(l, s);
	/* The calls may have queued signals: let the loop see them. */
	logind_arm(l);
}

const struct session_backend session_logind_backend = {
	.name = "logind (seat0)",
	.open = logind_open,
	.query = logind_query_now,
	.refresh = logind_refresh,
	.free = logind_free,
};

/*
 * Calls method of logind's Manager on the system bus
 * (DBUS_SYSTEM_BUS_ADDRESS when set), as root may without asking anyone,
 * with the string argument str, or with the boolean flag when str is NULL.
 * Returns 0, or ERR_IO with *why (free it) saying what logind said.
 */
static int
logind_manager_call(const char *method, const char *str, int flag,
    char **why)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus *bus = NULL;
	int r;

	if ((r = sd_bus_open_system(&bus)) >= 0) {
		sd_bus_set_method_call_timeout(bus, LOGIND_REBOOT_TIMEOUT_US);
		if (str != NULL)
			r = sd_bus_call_method(bus, LOGIND_NAME, LOGIND_PATH,
			    LOGIND_MANAGER, method, &e, NULL, "s", str);
		else
			r = sd_bus_call_method(bus, LOGIND_NAME, LOGIND_PATH,
			    LOGIND_MANAGER, method, &e, NULL, "b", flag);
	}
	if (r < 0)
		xasprintf(why, "%s", sd_bus_error_is_set(&e) ? e.message :
		    strerror(-r));
	sd_bus_error_free(&e);
	sd_bus_flush_close_unref(bus);
	return r < 0 ? ERR_IO : 0;
}

/* Reboot through logind, not interactive (session.h). */
int
session_reboot(char **why)
{
	return logind_manager_call("Reboot", NULL, 0, why);
}

/* Lock session id through logind (session.h). */
int
session_lock(const char *id, char **why)
{
	return logind_manager_call("LockSession", id, 0, why);
}
