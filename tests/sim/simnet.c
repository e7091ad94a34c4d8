/* simnet.c: the virtual cluster driving the SWIM core. */
#include "simnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ev_kind { EV_TICK, EV_DELIVER, EV_JOIN };

struct sim_pkt {
	int from;
	struct swim_addr from_addr;
	struct swim_msg msg;
};

struct sim_ev {
	uint64_t time, seq;
	int node;
	int arg;           /* EV_JOIN: member to join through */
	enum ev_kind kind;
	struct sim_pkt *pkt;
};

static void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (!p) {
		fprintf(stderr, "sim: out of memory\n");
		abort();
	}
	return p;
}

/* ------------------------------------------------------------------ event heap */

static bool ev_before(const struct sim_ev *a, const struct sim_ev *b)
{
	return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void heap_push(struct sim *sim, struct sim_ev ev)
{
	if (sim->nheap == sim->capheap) {
		sim->capheap = sim->capheap ? sim->capheap * 2 : 1024;
		sim->heap = realloc(sim->heap, sim->capheap * sizeof *sim->heap);
		if (!sim->heap)
			abort();
	}
	ev.seq = sim->next_seq++;
	size_t i = sim->nheap++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!ev_before(&ev, &sim->heap[parent]))
			break;
		sim->heap[i] = sim->heap[parent];
		i = parent;
	}
	sim->heap[i] = ev;
}

static struct sim_ev heap_pop(struct sim *sim)
{
	struct sim_ev top = sim->heap[0], last = sim->heap[--sim->nheap];
	size_t i = 0, n = sim->nheap;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && ev_before(&sim->heap[c + 1], &sim->heap[c]))
			c++;
		if (!ev_before(&sim->heap[c], &last))
			break;
		sim->heap[i] = sim->heap[c];
		i = c;
	}
	if (n)
		sim->heap[i] = last;
	return top;
}

/* ------------------------------------------------------------------ members */

static const struct swim_tag sim_tags[] = {
	{"acls", "0"}, {"build", "1.17.0:consul-c"}, {"dc", "dc1"},
	{"id", "6f3c2a9e-1b7d-4c55-9a0e-2d8b7f4e1c03"}, {"role", "node"}, {"segment", ""},
	{"vsn", "2"}, {"vsn_max", "3"}, {"vsn_min", "2"},
};

static void member_boot(struct sim *sim, int i)
{
	struct sim_member *m = &sim->m[i];
	uint64_t seed = sim->seed * 1000003u + (uint64_t)i * 7919u + m->restarts * 104729u;
	m->s = swim_new(&sim->cfg, m->name, m->addr.host, m->addr.port, 1, sim_tags,
			sizeof sim_tags / sizeof sim_tags[0], seed);
	if (!m->s) {
		fprintf(stderr, "sim: swim_new failed\n");
		abort();
	}
	m->crashed = false;
	m->scheduled_tick = UINT64_MAX;
}

int sim_member_index(const struct sim *sim, const char *name)
{
	if (strncmp(name, "node-", 5))
		return -1;
	int i = atoi(name + 5);
	return i >= 0 && i < sim->n ? i : -1;
}

static int addr_index(const struct sim *sim, const struct swim_addr *a)
{
	unsigned x, y, z;
	if (sscanf(a->host, "10.%u.%u.%u", &x, &y, &z) != 3)
		return -1;
	int i = (int)((x << 16) | (y << 8) | z);
	return i < sim->n && a->port == 8301 ? i : -1;
}

struct sim *sim_new(int n, uint64_t seed, const struct sim_net *net)
{
	struct sim *sim = calloc(1, sizeof *sim);
	if (!sim)
		abort();
	sim->n = n;
	sim->seed = seed;
	sim->net = *net;
	swim_rng_seed(&sim->rng, seed ^ 0x5eed5eedULL);
	swim_config_lan(&sim->cfg);
	sim->cfg.tcp_fallback = net->tcp_fallback;
	swim_out_init(&sim->out);
	sim->trace = getenv("SIM_TRACE") != NULL;
	sim->m = calloc((size_t)n, sizeof *sim->m);
	if (!sim->m)
		abort();
	for (int i = 0; i < n; i++) {
		struct sim_member *m = &sim->m[i];
		snprintf(m->name, sizeof m->name, "node-%d", i);
		snprintf(m->addr.host, sizeof m->addr.host, "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		m->addr.port = 8301;
		member_boot(sim, i);
	}
	return sim;
}

void sim_free(struct sim *sim)
{
	for (size_t i = 0; i < sim->nheap; i++) {
		if (sim->heap[i].pkt) {
			swim_msg_free(&sim->heap[i].pkt->msg);
			free(sim->heap[i].pkt);
		}
	}
	free(sim->heap);
	for (int i = 0; i < sim->n; i++)
		swim_free(sim->m[i].s);
	free(sim->m);
	swim_out_free(&sim->out);
	free(sim);
}

/* ------------------------------------------------------------------ network */

static bool reachable(const struct sim *sim, int a, int b)
{
	return !sim->m[b].crashed && sim->m[a].group == sim->m[b].group;
}

static void observe(struct sim *sim, int i, const struct swim_event *ev)
{
	static const char *const names[] = {"?", "join", "leave", "failed", "update", "reap", "user"};
	if (sim->trace)
		printf("t=%llu.%03llu %s: %s %s inc=%u\n", (unsigned long long)sim->now / 1000,
		       (unsigned long long)sim->now % 1000, sim->m[i].name, names[ev->type],
		       ev->type == SWIM_EV_USER ? ev->update->event_name : ev->update->node, ev->incarnation);
	if (ev->type == SWIM_EV_USER) {
		sim->m[i].user_events++;
		return;
	}
	int x = sim_member_index(sim, ev->update->node);
	if (x < 0 || x == i)
		return;
	if (ev->type == SWIM_EV_FAILED) {
		sim->m[x].failed_seen++;
		if (reachable(sim, i, x) && !sim->m[x].crashed) {
			sim->m[x].failed_false++;
			sim->false_positives++;
		}
	} else if (ev->type == SWIM_EV_LEAVE) {
		sim->m[x].left_seen++;
	}
}

static void reschedule(struct sim *sim, int i)
{
	struct sim_member *m = &sim->m[i];
	if (m->crashed)
		return;
	uint64_t d = swim_next_deadline(m->s);
	if (d < sim->now)
		d = sim->now;
	if (d == m->scheduled_tick)
		return;
	m->scheduled_tick = d;
	heap_push(sim, (struct sim_ev){.time = d, .node = i, .kind = EV_TICK});
}

/* Sends what member i's last call produced, reports its events, and arms its next tick. */
void sim_flush(struct sim *sim, int i)
{
	struct swim_out *o = &sim->out;
	for (size_t k = 0; k < o->nevents; k++)
		observe(sim, i, &o->events[k]);
	for (size_t k = 0; k < o->nsends; k++) {
		struct swim_send *snd = &o->sends[k];
		int to = addr_index(sim, &snd->to);
		sim->packets++;
		if (to < 0) {
			sim->packets_dropped++;
			continue;
		}
		if (!snd->reliable && swim_rng_below(&sim->rng, 1000) < sim->net.loss_permille) {
			sim->packets_lost++;
			continue;
		}
		uint64_t delay = sim->net.delay_ms + (sim->net.jitter_ms ? swim_rng_below(&sim->rng, sim->net.jitter_ms) : 0);
		if (snd->reliable)
			delay += sim->net.tcp_extra_ms;
		struct sim_pkt *p = xmalloc(sizeof *p);
		p->from = i;
		p->from_addr = sim->m[i].addr;
		swim_msg_move(&p->msg, &snd->msg);
		p->msg.reliable = snd->reliable;
		heap_push(sim, (struct sim_ev){.time = sim->now + delay, .node = to, .kind = EV_DELIVER, .pkt = p});
	}
	swim_out_clear(o);
	reschedule(sim, i);
}

static void deliver(struct sim *sim, const struct sim_ev *ev)
{
	struct sim_pkt *p = ev->pkt;
	if (reachable(sim, p->from, ev->node)) {
		sim->m[ev->node].received++;
		swim_recv(sim->m[ev->node].s, sim->now, &p->from_addr, &p->msg, &sim->out);
		sim_flush(sim, ev->node);
	} else {
		sim->packets_dropped++;
	}
	swim_msg_free(&p->msg);
	free(p);
}

void sim_run_until(struct sim *sim, uint64_t t_ms)
{
	while (sim->nheap && sim->heap[0].time <= t_ms) {
		struct sim_ev ev = heap_pop(sim);
		sim->now = ev.time;
		struct sim_member *m = &sim->m[ev.node];
		switch (ev.kind) {
		case EV_TICK:
			if (m->crashed || ev.time != m->scheduled_tick)
				break;  /* superseded */
			m->scheduled_tick = UINT64_MAX;
			swim_tick(m->s, sim->now, &sim->out);
			sim_flush(sim, ev.node);
			break;
		case EV_DELIVER:
			deliver(sim, &ev);
			break;
		case EV_JOIN:
			if (!m->crashed) {
				swim_join(m->s, sim->now, &sim->m[ev.arg].addr, 1, &sim->out);
				sim_flush(sim, ev.node);
			}
			break;
		}
	}
	sim->now = t_ms;
}

void sim_join_at(struct sim *sim, int i, int via, uint64_t at_ms)
{
	heap_push(sim, (struct sim_ev){.time = at_ms, .node = i, .arg = via, .kind = EV_JOIN});
}

uint64_t sim_join_all(struct sim *sim, int via, uint32_t spread_ms)
{
	uint64_t last = sim->now;
	/* the seed member starts ticking at once */
	swim_tick(sim->m[via].s, sim->now, &sim->out);
	sim_flush(sim, via);
	for (int i = 0; i < sim->n; i++)
		if (i != via) {
			uint64_t at = sim->now + (spread_ms ? swim_rng_below(&sim->rng, spread_ms) : 0);
			sim_join_at(sim, i, via, at);
			last = at > last ? at : last;
		}
	return last;
}

void sim_crash(struct sim *sim, int i)
{
	sim->m[i].crashed = true;
	sim->m[i].scheduled_tick = UINT64_MAX;
}

void sim_restart(struct sim *sim, int i, int via)
{
	struct sim_member *m = &sim->m[i];
	swim_free(m->s);
	m->restarts++;
	member_boot(sim, i);
	swim_join(m->s, sim->now, &sim->m[via].addr, 1, &sim->out);
	sim_flush(sim, i);
}

void sim_partition(struct sim *sim, int i, int group)
{
	sim->m[i].group = group;
}

void sim_heal(struct sim *sim)
{
	for (int i = 0; i < sim->n; i++)
		sim->m[i].group = 0;
}

int sim_live(const struct sim *sim)
{
	int live = 0;
	for (int i = 0; i < sim->n; i++)
		live += !sim->m[i].crashed;
	return live;
}

bool sim_converged(const struct sim *sim)
{
	size_t live = (size_t)sim_live(sim);
	for (int i = 0; i < sim->n; i++) {
		const struct sim_member *m = &sim->m[i];
		if (m->crashed)
			continue;
		if (swim_count(m->s, SWIM_ALIVE) != live || swim_count(m->s, SWIM_SUSPECT) != 0)
			return false;
	}
	/* the counts match; make sure they count the right members */
	for (int i = 0; i < sim->n; i++) {
		if (sim->m[i].crashed)
			continue;
		for (int j = 0; j < sim->n; j++) {
			struct swim_member_info info;
			if (!sim->m[j].crashed &&
			    (swim_member_find(sim->m[i].s, sim->m[j].name, &info) < 0 || info.state != SWIM_ALIVE))
				return false;
		}
		if (sim->n > 200)
			break;  /* one full check is enough at scale; the counts cover the rest */
	}
	return true;
}

bool sim_all_see(const struct sim *sim, int x, enum swim_state st)
{
	for (int i = 0; i < sim->n; i++) {
		struct swim_member_info info;
		if (i == x || sim->m[i].crashed)
			continue;
		if (swim_member_find(sim->m[i].s, sim->m[x].name, &info) < 0 || info.state != st)
			return false;
	}
	return true;
}

bool sim_sides_see(const struct sim *sim, enum swim_state st)
{
	for (int i = 0; i < sim->n; i++) {
		if (sim->m[i].crashed)
			continue;
		for (int j = 0; j < sim->n; j++) {
			struct swim_member_info info;
			if (sim->m[j].crashed || sim->m[j].group == sim->m[i].group)
				continue;
			if (swim_member_find(sim->m[i].s, sim->m[j].name, &info) < 0 || info.state != st)
				return false;
		}
	}
	return true;
}

void sim_explain(const struct sim *sim)
{
	int shown = 0;
	for (int i = 0; i < sim->n && shown < 5; i++) {
		if (sim->m[i].crashed)
			continue;
		for (int j = 0; j < sim->n && shown < 5; j++) {
			struct swim_member_info info;
			if (sim->m[j].crashed)
				continue;
			if (swim_member_find(sim->m[i].s, sim->m[j].name, &info) < 0) {
				fprintf(stderr, "  %s does not know %s\n", sim->m[i].name, sim->m[j].name);
				shown++;
			} else if (info.state != SWIM_ALIVE) {
				fprintf(stderr, "  %s sees %s %s inc %u since t=%llu ms\n", sim->m[i].name, sim->m[j].name,
					swim_state_name(info.state), info.incarnation,
					(unsigned long long)info.state_change_ms);
				shown++;
			}
		}
	}
}
