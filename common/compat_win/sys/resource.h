/* <sys/resource.h> on Windows: all of it is in common/compat_win.h. */
