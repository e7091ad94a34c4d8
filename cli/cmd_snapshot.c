/* cmd_snapshot.c: `consul snapshot save | restore | inspect`: the state of the servers saved
 * to a file through GET /v1/snapshot, put back through PUT /v1/snapshot, and a file's metadata
 * printed as Consul's inspect prints it. Files are checked (common/snapshot_file.h) before
 * they are written or sent, so a corrupt one never reaches the servers. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fileio.h"
#include "json.h"
#include "snapshot_file.h"

int cmd_snapshot(int argc, char **argv);

static const char snapshot_usage[] =
	"Usage: consul snapshot <subcommand> [options] [args]\n\n"
	"  Saves, restores and inspects snapshots of the state of the Consul servers\n"
	"  (key/value entries and the catalog), for disaster recovery.\n\n"
	"Subcommands:\n"
	"    inspect    Displays information about a Consul snapshot file\n"
	"    restore    Restores snapshot of Consul server state\n"
	"    save       Saves snapshot of Consul server state\n";

static const char save_usage[] = "Usage: consul snapshot save [options] FILE\n\n"
				 "  Saves an atomic, point-in-time snapshot of the servers' state to FILE.\n\n"
				 "  -stale             Let any server answer (when there is no leader)\n"
				 "  -http-addr=<addr>  The agent's HTTP address (CONSUL_HTTP_ADDR)\n";

static const char restore_usage[] = "Usage: consul snapshot restore [options] FILE\n\n"
				    "  Restores the servers' state from the snapshot in FILE.\n\n"
				    "  -http-addr=<addr>  The agent's HTTP address (CONSUL_HTTP_ADDR)\n";

static const char inspect_usage[] = "Usage: consul snapshot inspect [options] FILE\n\n"
				    "  Displays information about the snapshot in FILE.\n";

/* Reads a whole file. Returns 0, or -errno. */
static int read_file(const char *path, struct buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (buf_reserve(out, 65536) < 0) {
			close(fd);
			return -ENOMEM;
		}
		ssize_t n = read(fd, out->data + out->len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
	}
	close(fd);
	return 0;
}

/* Parses the flags of one subcommand; sets *file to its one argument. Returns -1 to go on, or
 * the exit code. */
/* Reads and verifies a snapshot file into data (meta and state point into it). Returns 0, or
 * 1 after printing why, with data freed. `doing` names the command in the error. */
static int load_snapshot_file(const char *file, const char *doing, struct buf *data, struct snapshot_meta *meta,
			      const char **state, size_t *state_len)
{
	buf_init(data);
	int frc = read_file(file, data);
	if (frc < 0) {
		fprintf(stderr, "Error opening snapshot file: open %s: %s\n", file, strerror(-frc));
		buf_free(data);
		return 1;
	}
	char err[256];
	if (snapshot_file_decode((const uint8_t *)data->data, data->len, meta, state, state_len, err, sizeof err) < 0) {
		fprintf(stderr, "Error %s snapshot: %s\n", doing, err);
		buf_free(data);
		return 1;
	}
	return 0;
}

/* http is NULL for the command that reads only a local file (inspect). */
static int parse_args(int argc, char **argv, const char *usage, struct cli_http *http, const char **file)
{
	const char *v;
	bool ok;
	int nargs = 0;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] != '-' || !strcmp(argv[i], "-")) {
			if (nargs++ == 0)
				*file = argv[i];
		} else if (http && cli_common_flag(argc, argv, &i, http, &ok)) {
			if (!ok)
				return 1;
		} else if (cli_flag(argv[i], "h", &v) || cli_flag(argv[i], "help", &v)) {
			fputs(usage, stdout);
			return 0;
		} else {
			return cli_bad_flag(argv[i], usage);
		}
	}
	if (nargs == 0) {
		fprintf(stderr, "Missing FILE argument\n");
		return 1;
	}
	if (nargs > 1) {
		fprintf(stderr, "Too many arguments (expected 1, got %d)\n", nargs);
		return 1;
	}
	return -1;
}

static int snapshot_save(int argc, char **argv)
{
	struct cli_http http = CLI_HTTP_SERVER;
	const char *file = NULL;
	int rc = parse_args(argc, argv, save_usage, &http, &file);
	if (rc >= 0)
		return rc;
	struct api api;
	struct api_response r;
	if (cli_api(&api, &http))
		return 1;
	if (api_request(&api, "GET", "/v1/snapshot", NULL, 0, &r) < 0) {
		fprintf(stderr, "Error saving snapshot: %s\n", api.error);
		return 1;
	}
	if (r.status != 200) {
		rc = cli_http_error("saving snapshot", &r);
		api_response_free(&r);
		return rc;
	}
	/* Verified before it replaces anything: a bad transfer leaves FILE as it was. */
	struct snapshot_meta meta;
	const char *state;
	size_t state_len;
	char err[256];
	if (snapshot_file_decode((const uint8_t *)r.body.data, r.body.len, &meta, &state, &state_len, err,
				 sizeof err) < 0) {
		fprintf(stderr, "Error verifying snapshot file: %s\n", err);
		api_response_free(&r);
		return 1;
	}
	int wrc = file_write_atomic(file, r.body.data, r.body.len);
	api_response_free(&r);
	if (wrc < 0) {
		fprintf(stderr, "Error writing snapshot file %s: %s\n", file, strerror(-wrc));
		return 1;
	}
	printf("Saved and verified snapshot to index %" PRIu64 "\n", meta.index);
	return 0;
}

static int snapshot_restore(int argc, char **argv)
{
	struct cli_http http = CLI_HTTP_SERVER;
	const char *file = NULL;
	int rc = parse_args(argc, argv, restore_usage, &http, &file);
	if (rc >= 0)
		return rc;
	struct buf data;
	struct snapshot_meta meta;
	const char *state;
	size_t state_len;
	if (load_snapshot_file(file, "restoring", &data, &meta, &state, &state_len))
		return 1;
	struct api api;
	struct api_response r;
	if (cli_api(&api, &http)) {
		buf_free(&data);
		return 1;
	}
	if (api_request(&api, "PUT", "/v1/snapshot", data.data, data.len, &r) < 0) {
		fprintf(stderr, "Error restoring snapshot: %s\n", api.error);
		buf_free(&data);
		return 1;
	}
	buf_free(&data);
	rc = r.status == 200 ? (printf("Restored snapshot\n"), 0) : cli_http_error("restoring snapshot", &r);
	api_response_free(&r);
	return rc;
}

/* Consul's sizes: bytes below 1 KB, else one decimal and the unit. */
static void human_size(uint64_t n, char *out, size_t len)
{
	if (n < 1024)
		snprintf(out, len, "%" PRIu64 "B", n);
	else if (n < 1024 * 1024)
		snprintf(out, len, "%.1fKB", (double)n / 1024);
	else
		snprintf(out, len, "%.1fMB", (double)n / (1024 * 1024));
}

/* Count and encoded size of the entries of one array of the state. */
static void tally(yajl_val arr, uint64_t *count, uint64_t *bytes)
{
	struct buf b;
	buf_init(&b);
	*count = json_arr_len(arr);
	*bytes = 0;
	for (size_t i = 0; i < *count; i++) {
		struct jw w;
		buf_reset(&b);
		jw_init(&w, &b);
		jw_value(&w, json_arr_at(arr, i));
		jw_free(&w);
		*bytes += b.len;
	}
	buf_free(&b);
}

static void print_inspect(const struct snapshot_meta *meta, const char *state, size_t state_len)
{
	char id[80];
	snapshot_file_id(meta, id, sizeof id);
	printf("%-13s%s\n", "ID", id);
	printf("%-13s%" PRIu64 "\n", "Size", meta->size);
	printf("%-13s%" PRIu64 "\n", "Index", meta->index);
	printf("%-13s%" PRIu64 "\n", "Term", meta->term);
	printf("%-13s%" PRIu32 "\n", "Version", meta->version);
	char err[128];
	yajl_val v = json_parse(state, state_len, err, sizeof err);
	if (!v)
		return;
	static const struct {
		const char *type, *field;
	} kinds[] = {{"Register", "Nodes"}, {"KVS", "KV"}};
	printf("\n\n %-28s%-11s%-11s\n %-28s%-11s%-11s\n", "Type", "Count", "Size", "----", "----", "----");
	uint64_t total = 0;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		uint64_t count, bytes;
		char size[32], cnt[24];
		tally(json_get(v, kinds[i].field), &count, &bytes);
		total += bytes;
		human_size(bytes, size, sizeof size);
		snprintf(cnt, sizeof cnt, "%" PRIu64, count);
		printf(" %-28s%-11s%-11s\n", kinds[i].type, cnt, size);
	}
	char tsize[32];
	human_size(total, tsize, sizeof tsize);
	printf(" %-28s%-11s%-11s\n %-28s%-11s%s\n", "----", "----", "----", "Total", "", tsize);
	yajl_tree_free(v);
}

static int snapshot_inspect(int argc, char **argv)
{
	const char *file = NULL;
	int rc = parse_args(argc, argv, inspect_usage, NULL, &file);
	if (rc >= 0)
		return rc;
	struct buf data;
	struct snapshot_meta meta;
	const char *state;
	size_t state_len;
	if (load_snapshot_file(file, "inspecting", &data, &meta, &state, &state_len))
		return 1;
	print_inspect(&meta, state, state_len);
	buf_free(&data);
	return 0;
}

int cmd_snapshot(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "-help") || !strcmp(argv[1], "--help")) {
		fputs(snapshot_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 1 : 0;
	}
	if (!strcmp(argv[1], "save"))
		return snapshot_save(argc - 1, argv + 1);
	if (!strcmp(argv[1], "restore"))
		return snapshot_restore(argc - 1, argv + 1);
	if (!strcmp(argv[1], "inspect"))
		return snapshot_inspect(argc - 1, argv + 1);
	fprintf(stderr, "consul snapshot: unknown subcommand \"%s\"\n", argv[1]);
	fputs(snapshot_usage, stderr);
	return 1;
}
