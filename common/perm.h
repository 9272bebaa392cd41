/*
 * perm.h: the permissions a peer connection holds (PROTOCOL.md §9.5,
 * HOST.md §3.5), in one table: the name the IPC uses (SwitchPermission),
 * the option giving the default, the number PermissionInfo carries on the
 * wire, the flag of ipc Login, and the CM's check box. The server, the CM
 * and anything else that lists permissions walk this table, so a new
 * permission is one new row.
 */
#ifndef CDESK_PERM_H
#define CDESK_PERM_H

#include <stddef.h>

#include "ipc.pb-c.h"

struct cfg;

/* Also the bit order of permission sets (PERM_BIT). */
enum perm {
	PERM_KEYBOARD,
	PERM_CLIPBOARD,
	PERM_AUDIO,
	PERM_FILE,
	PERM_RESTART,
	PERM_RECORDING,
	PERM_BLOCK_INPUT,
	PERM_PRIVACY_MODE,
	PERM_MAX
};

/* A permission's bit in a set of granted permissions. */
#define PERM_BIT(p)	(1u << (p))

/* One permission; every string is static. */
struct perm_info {
	const char	*name;		/* IPC SwitchPermission.name */
	const char	*option;	/* config option with the default */
	int		 wire;		/* Hbb PermissionInfo.permission */
	size_t		 login_flag;	/* offset of its flag in Ipc__Login */
	const char	*label;		/* CM check box, with its mnemonic */
	const char	*a11y;		/* accessible name (tests find it so) */
	const char	*tooltip;	/* also the accessible description */
};

/* The row of permission p (p < PERM_MAX). */
const struct perm_info	*perm_get(enum perm p);
/* The permission called name, or -1 for an unknown name. */
int			 perm_find(const char *name);
/* Permission p's flag in an ipc Login (p < PERM_MAX). */
int			 perm_login_get(const Ipc__Login *, enum perm p);
/* Sets permission p's flag in an ipc Login to on (0 or 1). */
void			 perm_login_set(Ipc__Login *, enum perm p, int on);
/*
 * Whether the enable-* option of a permission or of a kind of session is
 * on as option access-mode says (HOST.md §7.4): "full" turns every one
 * on, "view" every one off (the peer gets the picture and nothing else),
 * anything else leaves each to its own option.
 */
int			 perm_option_on(const struct cfg *, const char *option);

#endif
