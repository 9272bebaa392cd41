/*
 * awake_win.c: the wake lock of option keep-awake-during-incoming-sessions
 * on Windows (awake.h): the service asks the power manager to keep the
 * system and the display on (SetThreadExecutionState with ES_CONTINUOUS)
 * while a remote session is live, as logind's inhibitor does on Linux.
 * The state belongs to the thread that set it: the server's loop.
 */
#include <windows.h>

#include <stdlib.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "server/awake.h"

struct awake {
	int	held;
	int	warned;
};

/* A wake lock not held yet (base unused: the call is immediate). */
struct awake *
awake_new(struct event_base *base)
{
	(void)base;
	return xcalloc(1, sizeof(struct awake));
}

/* Release the lock if held and free. */
void
awake_free(struct awake *a)
{
	if (a == NULL)
		return;
	awake_want(a, 0);
	free(a);
}

/* Take (want 1) or give back (want 0) the lock. */
void
awake_want(struct awake *a, int want)
{
	EXECUTION_STATE st = ES_CONTINUOUS;

	if (a == NULL || a->held == want)
		return;
	if (want)
		st |= ES_SYSTEM_REQUIRED | ES_DISPLAY_REQUIRED;
	if (SetThreadExecutionState(st) == 0) {
		if (!a->warned)
			log_warn("wake lock: SetThreadExecutionState failed "
			    "(error %lu)", GetLastError());
		a->warned = 1;
		return;
	}
	a->held = want;
}

/* 1 while the lock is held. */
int
awake_held(const struct awake *a)
{
	return a != NULL && a->held;
}
