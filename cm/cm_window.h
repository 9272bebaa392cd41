/*
 * cm_window.h: the connection manager's window. It holds one CmPage per
 * connection in a stack with a sidebar, shows the server's state, and asks
 * before closing while sessions run. Signal "disconnect-all" (no arguments)
 * is emitted when the user confirms closing with live sessions.
 */
#ifndef CDESK_CM_WINDOW_H
#define CDESK_CM_WINDOW_H

#include <gtk/gtk.h>

#include "cm/cm_page.h"

G_BEGIN_DECLS

#define CM_TYPE_WINDOW (cm_window_get_type())
G_DECLARE_FINAL_TYPE(CmWindow, cm_window, CM, WINDOW, GtkApplicationWindow)

CmWindow	*cm_window_new(GtkApplication *);
/* Adds page (the window takes a reference) and keeps its title current. */
void		 cm_window_add_page(CmWindow *, CmPage *);
void		 cm_window_remove_page(CmWindow *, CmPage *);
void		 cm_window_show_page(CmWindow *, CmPage *);
void		 cm_window_update_title(CmWindow *, CmPage *);
/* Shows text in the warning bar; NULL hides it. */
void		 cm_window_set_status(CmWindow *, const char *text);
/* Number of pages whose session still runs or waits. */
int		 cm_window_live_count(CmWindow *);

G_END_DECLS

#endif
