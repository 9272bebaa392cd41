/*
 * ui_win32.h: the Windows main window's class name and control ids
 * (ui_win32.c), stable so that tools and tests (tests/win/cm_drive.c)
 * find controls by id. Every control has an accessible name: its own
 * text, or for a value, an edit box or a list the label made right
 * before it (what screen readers read).
 */
#ifndef CDESK_UI_WIN32_H
#define CDESK_UI_WIN32_H

#define UI_WIN_CLASS		L"cdeskMain"
/* Labels on the left, values from this x on (client pixels). */
#define UI_WIN_COL		160

#define UI_ID_ID_LABEL		2000	/* "ID" */
#define UI_ID_ID		2001	/* this host's ID */
#define UI_ID_OTP_LABEL		2002	/* "One-time password" */
#define UI_ID_OTP		2003	/* dots until Show */
#define UI_ID_SHOW		2004	/* push-like check box "Show" */
#define UI_ID_COPY		2005
#define UI_ID_REFRESH		2006
#define UI_ID_PERM_LABEL	2010	/* "Permanent password" */
#define UI_ID_PERM		2011	/* password edit box */
#define UI_ID_PERM_SET		2012	/* "Set" */
#define UI_ID_APPROVE_LABEL	2020	/* "Approve with" */
#define UI_ID_APPROVE		2021	/* drop-down (ui_core_choices) */
#define UI_ID_VERIFY_LABEL	2022	/* "Verification method" */
#define UI_ID_VERIFY		2023
#define UI_ID_DIRECT		2030	/* check box "Direct access" */
#define UI_ID_PORT_LABEL	2031	/* "Port" */
#define UI_ID_PORT		2032	/* sent on leaving it, on Enter */
#define UI_ID_RDV_LABEL		2040	/* "Rendezvous server" */
#define UI_ID_RDV		2041
#define UI_ID_KEY_LABEL		2042	/* "Key" */
#define UI_ID_KEY		2043
#define UI_ID_APPLY		2044	/* sends the server and key */
#define UI_ID_STATUS_LABEL	2050	/* "Service" */
#define UI_ID_STATUS		2051	/* running or why not; message */
#define UI_ID_LOCKED		2052	/* the admin's note, or empty */
/* The two-factor section (ui_win32_tfa.c); the secret's rows show after
 * Set up, the devices' while there are any. */
#define UI_ID_TFA_LABEL		2060	/* "Two-factor" */
#define UI_ID_TFA_STATE		2061	/* on (N trusted devices), off */
#define UI_ID_TFA_SETUP		2062	/* "Set up": a new secret */
#define UI_ID_TFA_DISABLE	2063	/* "Turn off" */
#define UI_ID_TFA_SECRET_LABEL	2064	/* "Secret" */
#define UI_ID_TFA_SECRET	2065	/* base32, to type into an app */
#define UI_ID_TFA_URI_LABEL	2066	/* "Authenticator URI" */
#define UI_ID_TFA_URI		2067	/* read-only otpauth:// URI */
#define UI_ID_TFA_CODE_LABEL	2068	/* "Code" */
#define UI_ID_TFA_CODE		2069	/* six digits */
#define UI_ID_TFA_ENABLE	2070	/* enabled with six digits typed */
#define UI_ID_TFA_NOTE		2071	/* why enabling failed */
#define UI_ID_TFA_DEVICES_LABEL	2072	/* "Trusted devices" */
#define UI_ID_TFA_DEVICES	2073	/* one line per device */
#define UI_ID_TFA_REMOVE	2074	/* forgets the chosen device */
#define UI_ID_TFA_REMOVE_ALL	2075

#endif
