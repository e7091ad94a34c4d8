/* tls_lazy.c: see tls_lazy.h. */
#include "tls_lazy.h"

#include <dlfcn.h>
#include <stdbool.h>

#include "common/log.h"

const struct tls_api *tls_api(void)
{
	static struct tls_api api;
	static bool tried, loaded;
	if (tried)
		return loaded ? &api : NULL;
	tried = true;
	void *h = dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		log_warnx("HTTPS checks: cannot load libssl.so.3: %s", dlerror());
		return NULL;
	}
	/* dlsym on libssl's handle also finds the libcrypto functions it depends on. */
#define TLS_API_LOAD(ret, name, args)                                                              \
	if (!(*(void **)&api.name = dlsym(h, #name))) {                                            \
		log_warnx("HTTPS checks: libssl.so.3 lacks %s", #name);                            \
		return NULL;                                                                       \
	}
	TLS_API_FUNCS(TLS_API_LOAD)
#undef TLS_API_LOAD
	loaded = true;
	return &api;
}
