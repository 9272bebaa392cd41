/*
 * audit.h: the audit log (docs/audit.md): one JSON object per line per
 * event (sessions starting and ending, permission changes and who made
 * them, every file moved or changed by a peer), appended to
 * STATE_DIR/audit.log, a file only its owner (root, installed) can read.
 * When it passes its size bound it is rotated to audit.log.1 (and .1 to
 * .2, ..., up to AUDIT_KEEP files).
 *
 * An event is built field by field and written with one write(2):
 *
 *	struct audit_rec *e = audit_begin(a, "session_start");
 *	audit_str(e, "peer_id", id);
 *	audit_bool(e, "encrypted", 1);
 *	audit_end(e);
 */
#ifndef CDESK_AUDIT_H
#define CDESK_AUDIT_H

#include <stdint.h>

#define AUDIT_FILE	"audit.log"
#define AUDIT_MAX_SIZE	(8u * 1024 * 1024)	/* bytes before a rotation */
#define AUDIT_KEEP	4			/* rotated files kept */

struct audit;
struct audit_rec;

/*
 * Opens (creates, mode 0600) dir/AUDIT_FILE for appending, rotating at
 * max_size bytes (0: AUDIT_MAX_SIZE). Returns the log, or NULL (logged)
 * when it cannot be opened: the server goes on without one.
 */
struct audit	*audit_open(const char *dir, uint64_t max_size);
/* Closes the log. NULL is fine. */
void		 audit_free(struct audit *);

/*
 * Starts an event: {"time": "<UTC ISO 8601 with ms>", "event": event}.
 * a may be NULL (then every call on the record does nothing). Never NULL
 * for a non-NULL a; audit_end writes and frees it.
 */
struct audit_rec *audit_begin(struct audit *a, const char *event);
/* Adds "key": "value" (escaped; bytes that are not UTF-8 as \u00XX). */
void		 audit_str(struct audit_rec *, const char *key,
		    const char *value);
void		 audit_int(struct audit_rec *, const char *key, int64_t v);
void		 audit_uint(struct audit_rec *, const char *key, uint64_t v);
void		 audit_bool(struct audit_rec *, const char *key, int v);
/* Closes the object, appends the line (rotating first if it would pass
 * the bound) and frees the record. NULL is fine. */
void		 audit_end(struct audit_rec *);

/*
 * JSON string escaping as the log does it, for tests: s escaped (without
 * the quotes) in a new string (caller frees).
 */
char		*audit_escape(const char *s);

#endif
