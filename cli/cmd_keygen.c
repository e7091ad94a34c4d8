/* cmd_keygen.c: `consul keygen`: a fresh 32-byte gossip encryption key, base64 encoded, in the
 * form -encrypt and `consul keyring -install` take. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "cli.h"
#include "random.h"

static const char keygen_usage[] = "Usage: consul keygen\n\n"
				   "  Prints a new random 32-byte key, base64 encoded, for encrypting the\n"
				   "  agents' gossip traffic (the agent's -encrypt option).\n";

int cmd_keygen(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *v;
		if (cli_flag(argv[i], "help", &v) || cli_flag(argv[i], "h", &v)) {
			fputs(keygen_usage, stdout);
			return 0;
		}
		if (argv[i][0] == '-')
			return cli_bad_flag(argv[i], keygen_usage);
	}
	unsigned char key[32];
	int rc = random_bytes(key, sizeof key);
	if (rc < 0) {
		fprintf(stderr, "Error reading random data: %s\n", strerror(-rc));
		return 1;
	}
	struct buf out;
	buf_init(&out);
	if (base64_encode(&out, key, sizeof key) < 0) {
		fprintf(stderr, "Error: out of memory\n");
		return 1;
	}
	explicit_bzero(key, sizeof key);
	printf("%s\n", out.data);
	explicit_bzero(out.data, out.len);
	buf_free(&out);
	return 0;
}
