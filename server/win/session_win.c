/*
 * session_win.c: whose desktop, on Windows (session.h). The session is the
 * console's terminal-services session: as the service (LocalSystem) the
 * active console session, otherwise the session this process runs in.
 * Its uid is the session id (as struct ipc_cred.uid is on Windows), its
 * name the user logged in there, its display "console" (the capture,
 * input and clipboard tables of this folder take any name). The source
 * looks again every few seconds and reports a change (a user switch, a
 * log-off). Programs are started in the session: as the service through
 * the session user's token (WTSQueryUserToken, CreateProcessAsUser on the
 * interactive desktop, with the user's own environment), otherwise as
 * ourselves. A display of our own
 * (option headless-user) is a Linux thing: there is always a console.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <userenv.h>
#include <wtsapi32.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "server/session.h"
#include "server/win/session_win.h"

/* Seconds between two looks at the console session. */
#define SESSION_WIN_CHECK_S	2

struct session_source {
	struct event_base	*base;	/* borrowed */
	struct event		*check;	/* owned */
	struct session		 now;
	session_change_cb	*cb;
	void			*arg;
};

/* The session id to share: the console's as LocalSystem, else ours. */
static DWORD
session_win_id(void)
{
	DWORD id = 0;

	if (geteuid() == 0)
		return WTSGetActiveConsoleSessionId();
	if (!ProcessIdToSessionId(GetCurrentProcessId(), &id))
		return 0xFFFFFFFF;
	return id;
}

/* The user name logged in to session id, in a new string, or NULL. */
static char *
session_win_user(DWORD id)
{
	char *buf = NULL, name[256], *out = NULL;
	DWORD len = 0;

	if (WTSQuerySessionInformationA(WTS_CURRENT_SERVER_HANDLE, id,
	    WTSUserName, &buf, &len) && buf != NULL && buf[0] != '\0')
		out = xstrdup(buf);
	if (buf != NULL)
		WTSFreeMemory(buf);
	if (out == NULL && geteuid() != 0) {
		len = sizeof name;
		if (GetUserNameA(name, &len))
			out = xstrdup(name);
	}
	return out;
}

/* Fill s with the session on the console now. */
void
session_current(struct session *s)
{
	DWORD id = session_win_id();
	char *user;

	session_fini(s);
	if (id == 0xFFFFFFFF || (user = session_win_user(id)) == NULL)
		return;		/* nobody logged in */
	s->uid = (long)id;
	s->name = user;
	xasprintf(&s->id, "%lu", (unsigned long)id);
	s->seat = xstrdup("console");
	s->display = xstrdup("console");
	s->class = SESSION_CLASS_USER;
	s->type = SESSION_TYPE_OTHER;
	s->how = SESSION_HOW_CONSOLE;
}

/* Whether two sessions differ in what the server follows. */
static int
session_win_differs(const struct session *a, const struct session *b)
{
	if (a->uid != b->uid)
		return 1;
	if ((a->name == NULL) != (b->name == NULL))
		return 1;
	return a->name != NULL && strcmp(a->name, b->name) != 0;
}

/* The timer: look at the console again; report a change. */
static void
session_win_check_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session_source *src = arg;
	struct session s;

	(void)fd;
	(void)what;
	session_init(&s);
	session_current(&s);
	if (session_win_differs(&s, &src->now)) {
		session_copy(&src->now, &s);
		src->cb(&src->now, src->arg);
	}
	session_fini(&s);
}

/* Start following the console session. */
struct session_source *
session_source_new(struct event_base *base, session_change_cb *cb, void *arg)
{
	struct session_source *src = xcalloc(1, sizeof *src);
	struct timeval tv = { SESSION_WIN_CHECK_S, 0 };

	src->base = base;
	src->cb = cb;
	src->arg = arg;
	session_init(&src->now);
	session_current(&src->now);
	src->check = event_new(base, -1, EV_PERSIST, session_win_check_cb,
	    src);
	if (src->check != NULL)
		event_add(src->check, &tv);
	return src;
}

/* The session now. */
const struct session *
session_source_get(const struct session_source *src)
{
	return &src->now;
}

/* Windows always has a console session: a headless display is not
 * needed (said once when the option is set). */
void
session_source_set_headless(struct session_source *src, const char *user,
    const char *run_dir)
{
	(void)src;
	(void)run_dir;
	if (user != NULL && *user != '\0')
		log_info("session: option headless-user has no effect on "
		    "Windows (the console session is shared)");
}

/* Stop following and free. */
void
session_source_free(struct session_source *src)
{
	if (src == NULL)
		return;
	if (src->check != NULL)
		event_free(src->check);
	session_fini(&src->now);
	free(src);
}

/* Append arg to the command line *cl, quoted as CommandLineToArgvW
 * reads it back. */
void
session_win_quote(char **cl, const char *arg)
{
	size_t n = strlen(*cl), cap = n + strlen(arg) * 2 + 4;
	char *p, *o;
	size_t bs;

	*cl = xreallocarray(*cl, cap, 1);
	o = *cl + n;
	if (n > 0)
		*o++ = ' ';
	*o++ = '"';
	for (p = (char *)arg; *p != '\0'; p++) {
		for (bs = 0; *p == '\\'; p++)
			bs++;
		if (*p == '\0' || *p == '"')
			bs *= 2;
		while (bs-- > 0)
			*o++ = '\\';
		if (*p == '\0')
			break;
		if (*p == '"')
			*o++ = '\\';
		*o++ = *p;
	}
	*o++ = '"';
	*o = '\0';
}

/* Our environment plus env ("NAME=value", NULL-terminated), as the block
 * CreateProcess takes; caller frees. */
static char *
session_win_env(char *const env[])
{
	char *mine = GetEnvironmentStringsA(), *p, *out;
	size_t len = 0, extra = 0, off;
	int i;

	for (p = mine; p != NULL && *p != '\0'; p += strlen(p) + 1)
		len += strlen(p) + 1;
	for (i = 0; env != NULL && env[i] != NULL; i++)
		extra += strlen(env[i]) + 1;
	out = xmalloc(len + extra + 1);
	if (mine != NULL)
		memcpy(out, mine, len);
	off = len;
	for (i = 0; env != NULL && env[i] != NULL; i++) {
		memcpy(out + off, env[i], strlen(env[i]) + 1);
		off += strlen(env[i]) + 1;
	}
	out[off] = '\0';
	if (mine != NULL)
		FreeEnvironmentStringsA(mine);
	return out;
}

/*
 * The session user's own environment (CreateEnvironmentBlock: their
 * profile, APPDATA, TEMP; not the service's) plus env, as the Unicode
 * block CreateProcessAsUser takes; caller frees. NULL when the user's
 * cannot be had.
 */
static wchar_t *
session_win_user_env(HANDLE tok, char *const env[])
{
	wchar_t *blk = NULL, *p, *out;
	size_t len, extra = 0, off;
	int i, n;

	if (!CreateEnvironmentBlock((void **)&blk, tok, FALSE) || blk == NULL)
		return NULL;
	for (p = blk; *p != L'\0'; p += wcslen(p) + 1)
		;
	len = (size_t)(p - blk);
	for (i = 0; env != NULL && env[i] != NULL; i++)
		extra += (size_t)MultiByteToWideChar(CP_UTF8, 0, env[i], -1,
		    NULL, 0);
	out = xcalloc(len + extra + 1, sizeof *out);
	memcpy(out, blk, len * sizeof *out);
	off = len;
	for (i = 0; env != NULL && env[i] != NULL; i++) {
		n = MultiByteToWideChar(CP_UTF8, 0, env[i], -1, out + off,
		    (int)(len + extra + 1 - off));
		if (n > 0)
			off += (size_t)n;
	}
	out[off] = L'\0';
	DestroyEnvironmentBlock(blk);
	return out;
}

/* Windows has no per-process limit on open handles to hand down. */
void
session_child_nofile(unsigned long soft)
{
	(void)soft;
}

/* Start a command line in the session (session_win.h). */
int
session_win_start(const struct session *s, const char *what,
    const char *app, const char *cl, char *const env[], DWORD flags,
    STARTUPINFOA *si, PROCESS_INFORMATION *pi)
{
	HANDLE tok = NULL;
	char *block, *line = xstrdup(cl);
	wchar_t *wblock;
	int ok;

	if (geteuid() == 0 && s->uid == SESSION_UID_NONE) {
		log_warn("%s: nobody is logged in: not started", what);
		free(line);
		return ERR_DENIED;
	}
	if (geteuid() == 0 && !WTSQueryUserToken((ULONG)s->uid, &tok)) {
		log_warn("%s: no token of session %ld (error %lu)", what,
		    s->uid, GetLastError());
		free(line);
		return ERR_DENIED;
	}
	block = session_win_env(env);
	/* As the user: their environment, not the service's. */
	wblock = tok != NULL ? session_win_user_env(tok, env) : NULL;
	if (si->lpDesktop == NULL)
		si->lpDesktop = (char *)"winsta0\\default";
	if (tok != NULL)
		ok = CreateProcessAsUserA(tok, app, line, NULL, NULL, FALSE,
		    flags | (wblock != NULL ? CREATE_UNICODE_ENVIRONMENT : 0),
		    wblock != NULL ? (void *)wblock : (void *)block, NULL, si,
		    pi);
	else
		ok = CreateProcessA(app, line, NULL, NULL, FALSE, flags, block,
		    NULL, si, pi);
	if (!ok)
		log_warn("%s: cannot start %s (error %lu)", what, app,
		    GetLastError());
	else
		log_info("%s: started pid %lu in session %ld", what,
		    pi->dwProcessId, s->uid);
	if (tok != NULL)
		CloseHandle(tok);
	free(wblock);
	free(block);
	free(line);
	return ok ? 0 : ERR_IO;
}

/* Start argv in the session (see the top of this file). */
int
session_spawn(const struct session *s, const char *what, char *const argv[],
    char *const env[], pid_t *pid)
{
	STARTUPINFOA si;
	PROCESS_INFORMATION pi;
	char *cl = xstrdup("");
	int i, r;

	for (i = 0; argv[i] != NULL; i++)
		session_win_quote(&cl, argv[i]);
	memset(&si, 0, sizeof si);
	si.cb = sizeof si;
	r = session_win_start(s, what, argv[0], cl, env, CREATE_NO_WINDOW,
	    &si, &pi);
	if (r == 0) {
		*pid = (pid_t)pi.dwProcessId;
		CloseHandle(pi.hThread);
		CloseHandle(pi.hProcess);
	}
	free(cl);
	return r;
}

/* Reboot (HOST.md §5.11) with the shutdown privilege the service has. */
int
session_reboot(char **why)
{
	TOKEN_PRIVILEGES tp;
	HANDLE tok;

	if (OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES |
	    TOKEN_QUERY, &tok)) {
		memset(&tp, 0, sizeof tp);
		tp.PrivilegeCount = 1;
		tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
		if (LookupPrivilegeValueA(NULL, SE_SHUTDOWN_NAME,
		    &tp.Privileges[0].Luid))
			AdjustTokenPrivileges(tok, FALSE, &tp, 0, NULL, NULL);
		CloseHandle(tok);
	}
	if (InitiateSystemShutdownExA(NULL, NULL, 0, TRUE, TRUE,
	    SHTDN_REASON_MAJOR_OTHER | SHTDN_REASON_FLAG_PLANNED))
		return 0;
	xasprintf(why, "InitiateSystemShutdownEx failed (error %lu)",
	    GetLastError());
	return ERR_IO;
}

/*
 * Lock session id: the service has no way to lock another session's
 * desktop (LockWorkStation works only from inside it), so say so.
 */
int
session_lock(const char *id, char **why)
{
	xasprintf(why, "locking session %s is not supported on Windows yet",
	    id);
	return ERR_UNSUPP;
}
