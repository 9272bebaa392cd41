/* err.h: error codes shared by every module. */
#ifndef CDESK_ERR_H
#define CDESK_ERR_H

/*
 * Functions return 0 on success or one of these negative codes; err_str()
 * turns a code into text for a log line. Never renumber: logs and tests
 * compare them.
 */
#define ERR_OK		0
#define ERR_NOMEM	-1	/* allocation failed */
#define ERR_INVAL	-2	/* invalid argument or value */
#define ERR_SHORT	-3	/* input ended early */
#define ERR_TRAILING	-4	/* bytes left over after parsing */
#define ERR_TOOBIG	-5	/* a length over its limit */
#define ERR_FRAME	-6	/* malformed frame header */
#define ERR_CRYPTO	-7	/* signature, box or secretbox failed */
#define ERR_PROTO	-8	/* protobuf did not unpack, or wrong message */
#define ERR_IO		-9	/* system call failed; see errno */
#define ERR_CONFIG	-10	/* bad configuration */
#define ERR_NOTFOUND	-11	/* no such thing */
#define ERR_STATE	-12	/* message not allowed in this state */
#define ERR_TIMEOUT	-13	/* timer expired */
#define ERR_EOF		-14	/* peer closed */
#define ERR_DENIED	-15	/* not permitted */
#define ERR_UNSUPP	-16	/* not supported here */
#define ERR_CODEC	-17	/* media library error */
#define ERR_MIN		-17

/* Returns a static string describing r (never NULL). */
const char	*err_str(int r);

#endif
