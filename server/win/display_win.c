/*
 * display_win.c: the display calls the connection makes for a peer's
 * "change resolution" and "follow remote cursor / window" on Windows.
 * Neither is built yet (ChangeDisplaySettingsEx in the user's session, and
 * a cursor service: svc_win.c), so a change is refused with a reason the
 * peer sees, and following is never switched on.
 */
#include <stdlib.h>

#include "common/err.h"
#include "common/xmalloc.h"
#include "server/svc/svc_cursor.h"
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

/* No cursor service: nobody is followed. */
void
svc_cursor_set_follow(struct svc_cursor *sc, uint32_t conn_id,
    svc_cursor_follow_cb *cb)
{
	(void)sc;
	(void)conn_id;
	(void)cb;
}
