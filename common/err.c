/* err.c: text for error codes. */
#include "common/err.h"

/* Return a static description of error code r. */
const char *
err_str(int r)
{
	static const char *const text[] = {
		"success",
		"out of memory",
		"invalid argument",
		"input too short",
		"unexpected trailing data",
		"length over limit",
		"malformed frame",
		"cryptographic check failed",
		"bad protocol message",
		"system error",
		"bad configuration",
		"not found",
		"message not allowed in this state",
		"timed out",
		"connection closed",
		"permission denied",
		"not supported",
		"media codec error",
	};

	if (r > 0 || r < ERR_MIN)
		return "unknown error";
	return text[-r];
}
