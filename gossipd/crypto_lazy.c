/* crypto_lazy.c: see crypto_lazy.h. */
#include "crypto_lazy.h"

#include <dlfcn.h>
#include <stdbool.h>

#include "log.h"

const struct crypto_api *crypto_api(void)
{
	static struct crypto_api api;
	static bool tried, loaded;
	if (tried)
		return loaded ? &api : NULL;
	tried = true;
	void *h = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		log_warnx("gossip encryption: cannot load libcrypto.so.3: %s", dlerror());
		return NULL;
	}
#define CRYPTO_API_LOAD(ret, name, args)                                                           \
	if (!(*(void **)&api.name = dlsym(h, #name))) {                                            \
		log_warnx("gossip encryption: libcrypto.so.3 lacks %s", #name);                    \
		return NULL;                                                                       \
	}
	CRYPTO_API_FUNCS(CRYPTO_API_LOAD)
#undef CRYPTO_API_LOAD
	loaded = true;
	return &api;
}
