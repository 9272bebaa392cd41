/*
 * rdv_conf.c: fills struct rdv_conf from the options and the store. Kept
 * apart from rendezvous.c so that programs using the module without
 * config/store (tests, fuzzers) do not link them.
 */
#include <string.h>

#include "common/config.h"
#include "common/store.h"
#include "server/rendezvous/rendezvous.h"

/* Fill conf from c and st; see rendezvous.h. */
void
rdv_conf_from(struct rdv_conf *conf, const struct cfg *c,
    const struct store *st)
{
	const char *uuid = store_uuid(st);

	memset(conf, 0, sizeof *conf);
	conf->server = cfg_get(c, "custom-rendezvous-server");
	conf->relay = cfg_get(c, "relay-server");
	conf->key = cfg_get(c, "key");
	conf->id = store_id(st);
	conf->uuid = (const uint8_t *)uuid;
	conf->uuid_len = strlen(uuid);
	conf->pk = store_sign_pk(st);
}
