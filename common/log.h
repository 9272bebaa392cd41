/* log.h: one sink for every log line, with levels and a file:line tag. */
#ifndef CDESK_LOG_H
#define CDESK_LOG_H

#include <stddef.h>
#include <stdint.h>

enum log_level {
	LOG_PANIC = 0,	/* logs, then aborts */
	LOG_ERROR,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
	LOG_TRACE,	/* compiled out under NDEBUG */
};

/* Sets the most verbose level that is printed (default LOG_INFO). */
void	log_set_level(enum log_level);
enum log_level log_get_level(void);
/* Prefix for every line, e.g. "server" (borrowed; must outlive logging). */
void	log_set_ident(const char *);

/*
 * Sends every line to the file at path from now on, instead of stderr
 * (a service has no stderr): opened for appending, created 0600, and
 * rotated as the audit log is once it passes max_size bytes (path.1 up
 * to path.keep, the oldest dropped). Lines from several threads never
 * mix. Returns 0, or ERR_IO with *cause set (caller frees; lines keep
 * going to stderr).
 */
int	log_to_file(const char *path, uint64_t max_size, int keep,
	    char **cause);
/* Closes the file: lines go to stderr again. */
void	log_to_stderr(void);

void	log_write(enum log_level, const char *file, int line,
	    const char *func, int r, const char *fmt, ...)
	    __attribute__((format(__printf__, 6, 7)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(__printf__, 1, 2), noreturn));

/*
 * Escapes a peer-supplied string for logging: printable ASCII is kept, the
 * rest becomes \xNN, and the result is cut at max bytes of input. Returns a
 * new string; caller frees.
 */
char	*log_escape(const char *s, size_t max);

/*
 * Returns 1 when a line under this limiter may be printed: at most burst
 * lines per interval seconds; *suppressed counts the rest.
 */
struct log_ratelimit {
	long	 window;	/* start of the current window, seconds */
	int	 count;		/* lines printed in the window */
	int	 suppressed;	/* lines dropped since the last print */
};
int	log_ratelimit_ok(struct log_ratelimit *, int interval, int burst);

#define LOG_(lvl, r, ...) do {						\
	if ((lvl) <= log_get_level())					\
		log_write((lvl), __FILE__, __LINE__, __func__, (r),	\
		    __VA_ARGS__);					\
} while (0)

#define log_error(...)		LOG_(LOG_ERROR, 1, __VA_ARGS__)
#define log_warn(...)		LOG_(LOG_WARN, 1, __VA_ARGS__)
#define log_info(...)		LOG_(LOG_INFO, 1, __VA_ARGS__)
#define log_debug(...)		LOG_(LOG_DEBUG, 1, __VA_ARGS__)
/* _r variants append err_str(r). */
#define log_error_r(r, ...)	LOG_(LOG_ERROR, (r), __VA_ARGS__)
#define log_warn_r(r, ...)	LOG_(LOG_WARN, (r), __VA_ARGS__)
#define log_info_r(r, ...)	LOG_(LOG_INFO, (r), __VA_ARGS__)
#define log_debug_r(r, ...)	LOG_(LOG_DEBUG, (r), __VA_ARGS__)
#ifdef NDEBUG
#define log_trace(...)		do { } while (0)
#else
#define log_trace(...)		LOG_(LOG_TRACE, 1, __VA_ARGS__)
#endif

#endif
