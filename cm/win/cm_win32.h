/*
 * cm_win32.h: the Windows connection manager's window (cm_win32.c): its
 * class name and the control ids, which are stable so that tools and
 * tests (tests/win/cm_drive.c) find controls by id. Every control also
 * has an accessible name: its own text, or for a list and the edit boxes
 * the label placed right before it (what screen readers read).
 */
#ifndef CDESK_CM_WIN32_H
#define CDESK_CM_WIN32_H

#define CM_WIN_CLASS		L"cdeskCM"

#define CM_ID_LIST_LABEL	1000	/* "Connections" */
#define CM_ID_LIST		1001	/* one line per connection */
#define CM_ID_STATUS		1002	/* the server's state, the desk notice */
#define CM_ID_DETAILS		1003	/* name, ID, address, session type */
#define CM_ID_WARNING		1004	/* "not encrypted" */
#define CM_ID_NOTE		1005	/* e.g. a refused click */
#define CM_ID_ACCEPT		1010
#define CM_ID_DISMISS		1011
#define CM_ID_DISCONNECT	1012
#define CM_ID_VOICE_LABEL	1013	/* the voice call's state */
#define CM_ID_VOICE_ACCEPT	1014	/* "Accept voice call" */
#define CM_ID_VOICE_DISMISS	1015	/* "Dismiss voice call" */
#define CM_ID_VOICE_STOP	1016	/* "Stop voice call" */
#define CM_ID_PERM		1020	/* + enum perm (common/perm.h) */
#define CM_ID_CHAT_LABEL	1040	/* "Chat history" */
#define CM_ID_CHAT		1041	/* read-only history */
#define CM_ID_ENTRY_LABEL	1042	/* "Message" */
#define CM_ID_ENTRY		1043
#define CM_ID_SEND		1044

#endif
