/*
 * fuzz_config.c: libFuzzer target for the config parser. Parses the input
 * as a config file, twice into one set (the second pass checks layering
 * and that a file never collides with itself), reads every option back,
 * and checks each value the parse accepted passes cfg_check.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * Set once the defaults have been checked: an unset option's value does
 * not depend on the input, and looking every option up again per input
 * (a strcmp scan each, traced by libFuzzer) cost most of the run time.
 */
static int defaults_checked;

/* Every effective value must be a string that cfg_check accepts. */
static void
check_cb(const char *key, const char *value, int is_set, void *arg)
{
	const struct cfg *c = arg;
	char *cause = NULL;

	if (!is_set && defaults_checked)
		return;
	if (value == NULL || strcmp(cfg_get(c, key), value) != 0)
		abort();
	if (is_set && cfg_known(key) && cfg_check(key, value, &cause) != 0)
		abort();
	free(cause);
	(void)cfg_bool(c, key);
	(void)cfg_int(c, key);
}

/* Parse (data, size) as config text. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg *c;
	char *text, *cause = NULL, *warnings = NULL;
	int r;

	if (size > 65536)
		return 0;
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	c = cfg_new();
	r = cfg_parse_string(c, text, "fuzz", &cause, &warnings);
	if ((r == 0) != (cause == NULL) || (r != 0 && warnings != NULL))
		abort();
	free(cause);
	free(warnings);
	cause = warnings = NULL;
	if (r == 0) {
		/* The same text again on top: a new file, so no duplicates. */
		if (cfg_parse_string(c, text, "fuzz2", &cause, &warnings) != 0)
			abort();
		free(warnings);
		cfg_each(c, check_cb, c);
		defaults_checked = 1;
	}
	cfg_free(c);
	free(text);
	return 0;
}
