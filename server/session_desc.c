/*
 * session_desc.c: a struct session itself: made empty, copied, freed and
 * described for the log (session.h). Shared by every platform; the
 * session sources (session_src.c; server/win/session_win.c) fill it.
 */
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "server/session.h"

static const char *const session_class_names[] = {
	"unknown", "user", "greeter", "other",
};
static const char *const session_type_names[] = {
	"unknown", "x11", "wayland", "tty", "other",
};
static const char *const session_how_names[] = {
	"none", "logind", "X server peer", "headless", "console",
};

/* Name of a session class. */
const char *
session_class_name(enum session_class c)
{
	if ((size_t)c >= sizeof session_class_names /
	    sizeof session_class_names[0])
		return "?";
	return session_class_names[c];
}

/* Name of a session type. */
const char *
session_type_name(enum session_type t)
{
	if ((size_t)t >= sizeof session_type_names /
	    sizeof session_type_names[0])
		return "?";
	return session_type_names[t];
}

/* Name of the way a session was found. */
const char *
session_how_name(enum session_how h)
{
	if ((size_t)h >= sizeof session_how_names /
	    sizeof session_how_names[0])
		return "?";
	return session_how_names[h];
}

/* One line about s for the log. */
char *
session_describe(const struct session *s)
{
	char *who, *what = NULL, *where = NULL, *out;

	if (s->uid == SESSION_UID_NONE)
		who = xstrdup("nobody");
	else
		xasprintf(&who, "uid %ld (%s)", s->uid,
		    s->name != NULL ? s->name : "no passwd entry");
	if (s->id != NULL)
		xasprintf(&what, ": %s %s session %s%s%s%s", session_type_name(
		    s->type), session_class_name(s->class), s->id,
		    s->seat != NULL ? " at " : "",
		    s->seat != NULL ? s->seat : "",
		    s->remote ? " (remote)" : "");
	if (s->display != NULL && s->xpid > 0)
		xasprintf(&where, ", display %s served by pid %ld",
		    s->display, s->xpid);
	else if (s->display != NULL)
		xasprintf(&where, ", display %s (no X server we accept)",
		    s->display);
	xasprintf(&out, "%s%s%s (%s)", who, what != NULL ? what : "",
	    where != NULL ? where : "", session_how_name(s->how));
	free(who);
	free(what);
	free(where);
	return out;
}

/* Start empty. */
void
session_init(struct session *s)
{
	memset(s, 0, sizeof *s);
	s->uid = SESSION_UID_NONE;
	s->gid = -1;
}

/* Free the strings and start empty again. */
void
session_fini(struct session *s)
{
	free(s->display);
	free(s->xauthority);
	free(s->runtime_dir);
	free(s->dbus);
	free(s->wayland);
	free(s->id);
	free(s->name);
	free(s->seat);
	session_init(s);
}

/* Copy of s, or NULL for NULL. */
static char *
session_strdup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* Replace dst with a copy of src. */
void
session_copy(struct session *dst, const struct session *src)
{
	struct session tmp;

	/* Copy first: src may share strings with dst's old value. */
	tmp = *src;
	tmp.display = session_strdup(src->display);
	tmp.xauthority = session_strdup(src->xauthority);
	tmp.runtime_dir = session_strdup(src->runtime_dir);
	tmp.dbus = session_strdup(src->dbus);
	tmp.wayland = session_strdup(src->wayland);
	tmp.id = session_strdup(src->id);
	tmp.name = session_strdup(src->name);
	tmp.seat = session_strdup(src->seat);
	session_fini(dst);
	*dst = tmp;
}
