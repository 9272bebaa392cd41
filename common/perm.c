/*
 * perm.c: the table of permissions (perm.h). The wire numbers come from
 * message.proto's PermissionInfo.Permission; the names are HOST.md §3.5's.
 */
#include <string.h>

#include "common/config.h"
#include "common/perm.h"
#include "message.pb-c.h"

/* In enum perm order. */
static const struct perm_info perm_table[PERM_MAX] = {
	[PERM_KEYBOARD] = {
		"keyboard", "enable-keyboard",
		HBB__PERMISSION_INFO__PERMISSION__Keyboard,
		offsetof(Ipc__Login, keyboard),
		"_Keyboard", "Keyboard",
		"Let the peer type and use the mouse" },
	[PERM_CLIPBOARD] = {
		"clipboard", "enable-clipboard",
		HBB__PERMISSION_INFO__PERMISSION__Clipboard,
		offsetof(Ipc__Login, clipboard),
		"C_lipboard", "Clipboard",
		"Share the clipboard with the peer" },
	[PERM_AUDIO] = {
		"audio", "enable-audio",
		HBB__PERMISSION_INFO__PERMISSION__Audio,
		offsetof(Ipc__Login, audio),
		"_Audio", "Audio",
		"Send this computer's sound to the peer" },
	[PERM_FILE] = {
		"file", "enable-file-transfer",
		HBB__PERMISSION_INFO__PERMISSION__File,
		offsetof(Ipc__Login, file),
		"_File copy and paste", "File copy and paste",
		"Let the peer copy and paste files" },
	[PERM_RESTART] = {
		"restart", "enable-remote-restart",
		HBB__PERMISSION_INFO__PERMISSION__Restart,
		offsetof(Ipc__Login, restart),
		"_Restart", "Restart",
		"Let the peer restart this computer" },
	[PERM_RECORDING] = {
		"recording", "enable-record-session",
		HBB__PERMISSION_INFO__PERMISSION__Recording,
		offsetof(Ipc__Login, recording),
		"Re_cording", "Recording",
		"Let the peer record the session" },
	[PERM_BLOCK_INPUT] = {
		"block_input", "enable-block-input",
		HBB__PERMISSION_INFO__PERMISSION__BlockInput,
		offsetof(Ipc__Login, block_input),
		"_Block input", "Block input",
		"Let the peer block this computer's keyboard and mouse" },
	[PERM_PRIVACY_MODE] = {
		"privacy_mode", "enable-privacy-mode",
		HBB__PERMISSION_INFO__PERMISSION__PrivacyMode,
		offsetof(Ipc__Login, privacy_mode),
		"_Privacy mode", "Privacy mode",
		"Let the peer turn on privacy mode" },
};

/* The row of permission p. */
const struct perm_info *
perm_get(enum perm p)
{
	return &perm_table[p];
}

/* The permission called name, or -1. */
int
perm_find(const char *name)
{
	int p;

	for (p = 0; p < PERM_MAX; p++)
		if (strcmp(perm_table[p].name, name) == 0)
			return p;
	return -1;
}

/* Permission p's flag in an ipc Login. */
int
perm_login_get(const Ipc__Login *m, enum perm p)
{
	const protobuf_c_boolean *f = (const protobuf_c_boolean *)
	    ((const char *)m + perm_table[p].login_flag);

	return *f != 0;
}

/* Set permission p's flag in an ipc Login. */
void
perm_login_set(Ipc__Login *m, enum perm p, int on)
{
	protobuf_c_boolean *f = (protobuf_c_boolean *)
	    ((char *)m + perm_table[p].login_flag);

	*f = on != 0;
}

/* An enable-* option under access-mode. */
int
perm_option_on(const struct cfg *c, const char *option)
{
	const char *mode = cfg_get(c, "access-mode");

	if (strcmp(mode, "full") == 0)
		return 1;
	if (strcmp(mode, "view") == 0)
		return 0;
	return cfg_bool(c, option);
}
