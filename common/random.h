/* random.h: bytes from the kernel's CSPRNG, for keys, nonces, IDs and seeds. */
#ifndef COMMON_RANDOM_H
#define COMMON_RANDOM_H

#include <stddef.h>

/* Fills buf with len random bytes (getrandom, blocking until the pool is seeded). 0 or -errno. */
int random_bytes(void *buf, size_t len);

#endif
