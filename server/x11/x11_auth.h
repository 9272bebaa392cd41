/*
 * x11_auth.h: the X authority of the display the server shares. When the
 * desktop session changes, the server names the session's display and X
 * authority file (x11_auth_set); every X connection the services open
 * (x11_connect: capture, input, clipboard, cursor) then presents that
 * display's cookie. A root service under systemd has no $XAUTHORITY of its
 * own, and a user's X server refuses a client without the user's cookie.
 *
 * The file is read once, on the main loop, as the session source found it
 * (session.h: never a file another user can write), and again here without
 * following a symlink, only when it is a regular file owned by root, the
 * session's user or us, with one link. Only MIT-MAGIC-COOKIE-1 entries of
 * a local display are used. The cookie stays in memory, wiped on change.
 */
#ifndef CDESK_X11_AUTH_H
#define CDESK_X11_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include <xcb/xcb.h>

#define X11_AUTH_FILE_MAX	(64 * 1024)	/* bytes read of a file */
#define X11_AUTH_NAME_MAX	64
#define X11_AUTH_DATA_MAX	256

/* One authorization entry: the protocol name and its data. */
struct x11_cookie {
	char		 name[X11_AUTH_NAME_MAX];
	size_t		 name_len;
	uint8_t		 data[X11_AUTH_DATA_MAX];
	size_t		 data_len;
};

/*
 * From now on, connections to display (borrowed, copied; a local ":N")
 * present the MIT-MAGIC-COOKIE-1 that the X authority file path (borrowed)
 * holds for it; uid is the session's user, the file's allowed owner besides
 * root and us. display or path NULL forgets the cookie (connections then
 * authorize as xcb does by itself, from $XAUTHORITY). Returns 0, or
 * ERR_DENIED (not a regular file, a link, or another owner's; logged),
 * ERR_IO (cannot be read), ERR_INVAL (malformed) or ERR_NOTFOUND (no
 * cookie for display): then connections go without one. Main loop only.
 */
int	x11_auth_set(const char *display, const char *path, long uid);

/*
 * Connects to display (borrowed; NULL: $DISPLAY) presenting the cookie
 * x11_auth_set read for it, else as xcb_connect() does; *screen (may be
 * NULL) as xcb_connect. Never NULL: check xcb_connection_has_error();
 * caller disconnects. Any thread.
 */
xcb_connection_t *x11_connect(const char *display, int *screen);

/*
 * Finds the MIT-MAGIC-COOKIE-1 of local display number num in the
 * Xauthority file bytes buf (len, borrowed): an entry of family Local
 * whose address is host, or of family Wild, whose number is num's (or
 * empty). Fills *out. Returns 0, ERR_NOTFOUND, or ERR_INVAL when the bytes
 * are not an Xauthority file (lengths past the end). Pure; for
 * x11_auth_set and tests.
 */
int	x11_auth_parse(const uint8_t *buf, size_t len, const char *host,
	    int num, struct x11_cookie *out);

/*
 * Appends one MIT-MAGIC-COOKIE-1 entry for display number num (-1: every
 * display; family Local on host, or Wild with host NULL) to *buf (*len
 * bytes; realloc'd, caller frees). For the headless display's X authority
 * and tests.
 */
void	x11_auth_append(uint8_t **buf, size_t *len, const char *host, int num,
	    const uint8_t *cookie, size_t cookie_len);

/* The display number of a local display (":N[.S]", "unix:N[.S]"), or -1. */
int	x11_auth_number(const char *display);

#endif
