/*
 * ipc_glib.h: the client side of the IPC for GTK programs (cm/, ui/). The
 * socket is watched with g_unix_fd_add(); reads and writes never block the
 * main loop. Messages arrive decoded and checked through callbacks. The
 * interface is ipc/ipc_client.h, which the Windows CM's adapter
 * (ipc/ipc_wmsg.c) implements on the window message loop.
 */
#ifndef CDESK_IPC_GLIB_H
#define CDESK_IPC_GLIB_H

#include "ipc/ipc_client.h"

#endif
