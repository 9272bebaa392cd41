/*
 * test_perm.c: the permission table against the protocols it stands for:
 * every PermissionInfo number once, each name an ipc Login flag at the
 * offset the table says, each default a known option; access-mode over
 * the enable-* options.
 */
#include <stdio.h>
#include <string.h>

#include "common/config.h"
#include "common/perm.h"
#include "message.pb-c.h"
#include "tests/tst.h"

int main(void);

/* Names, options and wire numbers are unique; names are found back. */
static void
test_unique(void)
{
	int p, q;

	for (p = 0; p < PERM_MAX; p++) {
		ASSERT_INT_EQ(perm_find(perm_get(p)->name), p);
		ASSERT_TRUE(cfg_known(perm_get(p)->option));
		for (q = p + 1; q < PERM_MAX; q++) {
			ASSERT_TRUE(strcmp(perm_get(p)->name,
			    perm_get(q)->name) != 0);
			ASSERT_TRUE(strcmp(perm_get(p)->option,
			    perm_get(q)->option) != 0);
			ASSERT_INT_NE(perm_get(p)->wire, perm_get(q)->wire);
		}
	}
	ASSERT_INT_EQ(perm_find("keyboard"), PERM_KEYBOARD);
	ASSERT_INT_EQ(perm_find("privacy_mode"), PERM_PRIVACY_MODE);
	ASSERT_INT_EQ(perm_find("Keyboard"), -1);
	ASSERT_INT_EQ(perm_find(""), -1);
}

/* Every value of PermissionInfo.Permission has exactly one row. */
static void
test_wire(void)
{
	const ProtobufCEnumDescriptor *d =
	    &hbb__permission_info__permission__descriptor;
	unsigned i;
	int p, n;

	ASSERT_INT_EQ(d->n_values, PERM_MAX);
	for (i = 0; i < d->n_values; i++) {
		n = 0;
		for (p = 0; p < PERM_MAX; p++)
			if (perm_get(p)->wire == d->values[i].value)
				n++;
		ASSERT_INT_EQ(n, 1);
	}
	ASSERT_INT_EQ(perm_get(PERM_KEYBOARD)->wire, 0);
	ASSERT_INT_EQ(perm_get(PERM_CLIPBOARD)->wire, 2);
	ASSERT_INT_EQ(perm_get(PERM_PRIVACY_MODE)->wire, 8);
}

/* Each name is a bool field of ipc Login at the table's offset. */
static void
test_login_flags(void)
{
	const ProtobufCFieldDescriptor *f;
	Ipc__Login m = IPC__LOGIN__INIT;
	int p, q;

	for (p = 0; p < PERM_MAX; p++) {
		f = protobuf_c_message_descriptor_get_field_by_name(
		    &ipc__login__descriptor, perm_get(p)->name);
		ASSERT_TRUE(f != NULL);
		ASSERT_INT_EQ(f->type, PROTOBUF_C_TYPE_BOOL);
		ASSERT_INT_EQ(f->offset, perm_get(p)->login_flag);
	}
	m.block_input = 1;
	m.privacy_mode = 1;
	for (q = 0; q < PERM_MAX; q++)
		ASSERT_INT_EQ(perm_login_get(&m, q),
		    q == PERM_BLOCK_INPUT || q == PERM_PRIVACY_MODE);
}

/* The check box's label is its accessible name plus a mnemonic. */
static void
test_labels(void)
{
	char plain[64];
	const char *s;
	size_t n;
	int p;

	for (p = 0; p < PERM_MAX; p++) {
		ASSERT_TRUE(strchr(perm_get(p)->label, '_') != NULL);
		for (s = perm_get(p)->label, n = 0; *s != '\0' &&
		    n < sizeof plain - 1; s++)
			if (*s != '_')
				plain[n++] = *s;
		plain[n] = '\0';
		ASSERT_STR_EQ(plain, perm_get(p)->a11y);
		ASSERT_TRUE(*perm_get(p)->tooltip != '\0');
	}
	ASSERT_STR_EQ(perm_get(PERM_KEYBOARD)->a11y, "Keyboard");
}

/* A config of text (the caller frees it). */
static struct cfg *
perm_cfg(const char *text)
{
	struct cfg *c = cfg_new();
	char *cause = NULL;

	if (cfg_parse_string(c, text, "t.conf", &cause, NULL) != 0)
		TST_FAIL("parse failed: %s", cause);
	return c;
}

/*
 * access-mode: full turns every permission and session kind on, view
 * every one off, custom (and unset) leaves each to its own option.
 */
static void
test_access_mode(void)
{
	static const char *const kinds[] = { "enable-camera",
	    "enable-terminal", "enable-tunnel", "enable-file-transfer" };
	static const char *const base = "[options]\nenable-keyboard = N\n"
	    "enable-audio = Y\nenable-tunnel = N\n";
	struct cfg *c;
	char text[256];
	size_t i;
	int p, m;

	for (m = 0; m < 4; m++) {
		snprintf(text, sizeof text, "%saccess-mode = %s\n", base,
		    m == 0 ? "full" : m == 1 ? "view" : m == 2 ? "custom" : "");
		c = perm_cfg(text);
		for (p = 0; p < PERM_MAX; p++)
			ASSERT_INT_EQ(perm_option_on(c, perm_get(p)->option),
			    m == 0 ? 1 : m == 1 ? 0 : p != PERM_KEYBOARD);
		for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
			ASSERT_INT_EQ(perm_option_on(c, kinds[i]),
			    m == 0 ? 1 : m == 1 ? 0 :
			    strcmp(kinds[i], "enable-tunnel") != 0);
		cfg_free(c);
	}
}

/* Runs the tests. */
int
main(void)
{
	TST_RUN(test_unique);
	TST_RUN(test_wire);
	TST_RUN(test_login_flags);
	TST_RUN(test_labels);
	TST_RUN(test_access_mode);
	return 0;
}
