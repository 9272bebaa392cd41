/* gui_res.h: the GResource bundle of the cm/ and ui/ templates (gui/ is
 * the one place both GTK front ends may use). */
#ifndef CDESK_GUI_RES_H
#define CDESK_GUI_RES_H

/* Registers the compiled templates once; safe to call again. */
void	gui_res_register(void);

#endif
