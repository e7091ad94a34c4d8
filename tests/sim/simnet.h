/* simnet.h: a deterministic virtual cluster for the SWIM core: N members (each a struct swim),
 * a virtual clock, one event queue (deliveries and timer ticks, ordered by time then insertion),
 * and a virtual network with loss, delay and jitter (hence reordering), partitions, crashes and
 * restarts. Everything random comes from the seed, so a failing seed replays exactly.
 *
 *   struct sim *sim = sim_new(100, seed, &net);
 *   sim_join_all(sim, 0, 1000);           // everyone joins through member 0 within 1 s
 *   sim_run_until(sim, sim->now + 5000);   // advance virtual time
 *   sim_crash(sim, 7); sim_partition(sim, 3, 1); sim_heal(sim); sim_restart(sim, 7);
 *   sim_free(sim);
 */
#ifndef TESTS_SIM_SIMNET_H
#define TESTS_SIM_SIMNET_H

#include <stdbool.h>
#include <stdint.h>

#include "swim.h"

struct sim_net {
	uint32_t loss_permille;     /* UDP packets lost, per thousand (TCP is lossless but slower) */
	uint32_t delay_ms;          /* one-way base latency */
	uint32_t jitter_ms;         /* plus uniform [0, jitter) */
	uint32_t tcp_extra_ms;      /* extra latency on the reliable path (handshake) */
	bool tcp_fallback;          /* passed into every member's config */
};

struct sim_member {
	struct swim *s;
	char name[32];
	struct swim_addr addr;
	bool crashed;               /* stopped: no ticks, packets to it dropped */
	int group;                  /* partition group: packets cross only within a group */
	uint64_t scheduled_tick;    /* time of its pending tick event, UINT64_MAX if none */
	uint64_t failed_false;      /* FAILED events about it while it was healthy and reachable */
	uint64_t failed_seen;       /* FAILED events about it, from anyone */
	uint64_t left_seen;         /* LEAVE events about it, from others */
	uint64_t user_events;       /* user events delivered to it */
	uint64_t received;          /* packets delivered to it */
	uint32_t restarts;
};

struct sim_ev;

struct sim {
	struct sim_member *m;
	int n;
	uint64_t now;
	uint64_t seed;
	struct swim_rng rng;        /* the network's randomness (each member has its own) */
	struct sim_net net;
	struct swim_config cfg;
	struct sim_ev *heap;
	size_t nheap, capheap;
	uint64_t next_seq;
	struct swim_out out;
	bool trace;                 /* SIM_TRACE set: print every member event */
	uint64_t packets, packets_lost, packets_dropped;
	uint64_t false_positives;   /* FAILED about a healthy member not cut off from the observer */
};

struct sim *sim_new(int n, uint64_t seed, const struct sim_net *net);
void sim_free(struct sim *sim);
/* Schedules member i to join through member `via` at time at_ms. */
void sim_join_at(struct sim *sim, int i, int via, uint64_t at_ms);
/* Every member but `via` joins through it at a random time in [now, now + spread_ms). Returns
 * the time of the last join. */
uint64_t sim_join_all(struct sim *sim, int via, uint32_t spread_ms);
void sim_run_until(struct sim *sim, uint64_t t_ms);
/* After calling member i's core directly with sim->out: send its output, arm its timer. */
void sim_flush(struct sim *sim, int i);
void sim_crash(struct sim *sim, int i);
/* A fresh process with the same name and address (incarnation 1), joining through via. */
void sim_restart(struct sim *sim, int i, int via);
void sim_partition(struct sim *sim, int i, int group);
void sim_heal(struct sim *sim);
int sim_member_index(const struct sim *sim, const char *name);
/* Members not crashed. */
int sim_live(const struct sim *sim);
/* Whether every live member sees every other live member alive (and nobody suspect). */
bool sim_converged(const struct sim *sim);
/* Whether every live member (other than x) sees member x in state st. */
bool sim_all_see(const struct sim *sim, int x, enum swim_state st);
/* Whether every live member in group g sees every live member outside it as st, and vice versa. */
bool sim_sides_see(const struct sim *sim, enum swim_state st);

/* Prints (stderr) a few members' views that keep the cluster from converging. */
void sim_explain(const struct sim *sim);

#endif
