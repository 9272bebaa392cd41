/*
 * display_win.c: the display calls the connection makes for a peer's
 * "change resolution" on Windows. It is not built yet
 * (ChangeDisplaySettingsEx in the user's session), so a change is refused
 * with a reason the peer sees. (Following the remote cursor and window
 * goes through the cursor service: cursor_win.c.)
 */
#include <stdlib.h>

#include "common/err.h"
#include "common/xmalloc.h"
#include "server/x11/x11_randr.h"

/* Changing a monitor's mode is not built for Windows yet. */
int
x11_randr_set(const char *x_display, const char *name, int w, int h,
    char **cause)
{
	(void)x_display;
	(void)w;
	(void)h;
	if (cause != NULL)
		xasprintf(cause, "changing the resolution of %s is not "
		    "supported on Windows yet", name);
	return ERR_UNSUPP;
}

/* Nothing was changed, so nothing to restore. */
int
x11_randr_restore(const char *x_display)
{
	(void)x_display;
	return 0;
}
