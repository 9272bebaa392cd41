/* gui_res.c: registers the generated GResource bundle (manual mode). */
#include <gio/gio.h>

#include "gui/gui_res.h"

/* Made by glib-compile-resources --c-name cdesk (see the Makefile). */
void	cdesk_register_resource(void);

/* Register the bundle with GIO once. */
void
gui_res_register(void)
{
	static gboolean done;

	if (done)
		return;
	cdesk_register_resource();
	done = TRUE;
}
