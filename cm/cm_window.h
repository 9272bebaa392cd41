/*
 * cm_window.h: the connection manager's window. It holds one CmPage per
 * connection in a stack with a sidebar and shows the server's state. It
 * never takes keyboard focus by itself (HOST.md §3.4: a remote peer's
 * keys would reach it): it is mapped with focus-on-map off and brought
 * back with cm_window_reveal. While sessions run or wait it cannot be
 * closed away: closing asks "Minimize" or "Disconnect"; signal
 * "disconnect-all" (no arguments) is emitted when the user chooses to end
 * every session, and the window then closes.
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
/* Marks page in the sidebar (needs attention) until it is shown. */
void		 cm_window_flag_page(CmWindow *, CmPage *);
void		 cm_window_update_title(CmWindow *, CmPage *);
/* Shows text in the warning bar; NULL hides it. */
void		 cm_window_set_status(CmWindow *, const char *text);
void		 cm_window_set_notice(CmWindow *, const char *text);
/* Number of pages whose session still runs or waits. */
int		 cm_window_live_count(CmWindow *);
/* The page on show, or NULL. */
CmPage		*cm_window_visible_page(CmWindow *);
/*
 * Shows, restores and raises the window without taking focus; urgent
 * sets the urgency hint until the window is focused.
 */
void		 cm_window_reveal(CmWindow *, gboolean urgent);
/* Keeps the window above others (TRUE while a request waits). */
void		 cm_window_set_above(CmWindow *, gboolean);
/* Asks the window manager to minimize the window. */
void		 cm_window_minimize(CmWindow *);
/* TRUE when the window has focus or the local pointer is over it. */
gboolean	 cm_window_in_use(CmWindow *);

G_END_DECLS

#endif
