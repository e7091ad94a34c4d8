/* gossipd.h: the membership role's state, shared by gossipd.c (pools, members, joins, leave,
 * user events) and keyring_ops.c (`consul keyring` across the cluster). */
#ifndef GOSSIPD_GOSSIPD_H
#define GOSSIPD_GOSSIPD_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "event_log.h"
#include "json.h"
#include "keyring.h"
#include "members.h"
#include "pool.h"

struct rpc_req;
struct rpc_server;
struct rpc_client;
struct waiter;
struct leave_req;
struct keyring_wait;

struct gossipd {
	struct config cfg;
	struct ev_loop *loop;
	struct rpc_server *server;
	struct rpc_client *check;     /* checkd: our services, for user events' service filter */
	struct keyring keyring;       /* both pools encrypt with it */
	char *keyring_path;           /* data_dir/serf/local.keyring; NULL in -dev */
	struct pool *lan, *wan;       /* wan: servers only */
	struct members self;          /* our own row: the tags Consul sets */
	uint64_t members_version;     /* moves on every member change: MEMBERS' blocking index */
	struct event_log events;
	struct waiter *waiters;       /* blocking MEMBERS / EVENT_LIST */
	bool leaving;
	bool left;                    /* our leave has spread (or timed out) */
	bool exit_after_leave;        /* a stop signal asked for a leave: exit once it is done */
	int pools_leaving;
	struct leave_req *leave_reqs;
	ev_timer leave_timer;
	char *snapshot_path;          /* data_dir/serf/local.snapshot; NULL in -dev */
	ev_timer snapshot_timer;
	ev_timer retry_timer;
	int retry_attempts;
	ev_signal sigterm, sigint;
	struct keyring_wait *keyring_waits;
};

enum gossipd_change { GOSSIPD_MEMBERS_CHANGED, GOSSIPD_EVENTS_CHANGED };
/* Answers the blocking queries the change concerns. */
void gossipd_wake(struct gossipd *g, enum gossipd_change what);
void gossipd_save_snapshot(struct gossipd *g);

/* keyring_ops.c */
/* Reads data_dir/serf/local.keyring, or installs -encrypt (and writes the file). Exits on a
 * bad key. */
void keyring_ops_load(struct gossipd *g);
/* Builds our LAN tags: Consul's, plus "kr", the fingerprints of our keys (primary first), so
 * every member can count who holds which key. Caller frees *tags. Returns the count. */
int keyring_ops_tags(struct gossipd *g, struct swim_tag **tags, char **kr_value);
/* The KEYRING op. */
void keyring_ops_request(struct gossipd *g, struct rpc_req *req, yajl_val args);
/* An internal user event ("_"-prefixed name) carrying a keyring change. */
void keyring_ops_event(struct gossipd *g, const struct swim_update *u);
/* Member tags changed: pending keyring changes may now be complete. */
void keyring_ops_member_changed(struct gossipd *g);

#endif
