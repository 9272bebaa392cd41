/* <sys/uio.h> on Windows: struct iovec and writev() are in
 * common/compat_win.h. */
