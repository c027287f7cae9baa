/*
 * query.c — session queries (the admin listener's /sessions): the main
 * thread writes one request into the pool (under rl_lock), pokes every
 * worker, and waits; each worker answers between two events of its loop,
 * copying its allocations (or ending the ones asked) under the same lock.
 * The request stays in the pool: a worker that answers after the asker
 * gave up finds no buffer and nothing to end.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "relay/worker_priv.h"

/* A worker's loop turns at least once a second. */
#define QUERY_WAIT_MS 2000

void worker_query(struct worker *w)
{
	struct worker_pool *p = w->pool;
	struct pool_query *q = &p->q;
	uint64_t now = clock_mono_ms();
	size_t t, ulen;
	const char *user;

	if (atomic_load(&p->q_seq) == w->q_seq)
		return;
	pthread_mutex_lock(&p->rl_lock);
	user = q->any_user ? NULL : q->user;
	ulen = strlen(q->user);
	if (q->kill && q->out) {
		if (user && ulen)
			q->total +=
			    turn_sessions_kill_user(w->srv, user, ulen, now);
		else if (turn_session_kill(w->srv, q->id, now) == 0)
			q->total++;
	} else if (q->out) {
		t = turn_sessions_list(w->srv, user, ulen, q->out + q->n,
				       q->max - q->n, now);
		q->total += t;
		q->n += t < q->max - q->n ? t : q->max - q->n;
	}
	w->q_seq = atomic_load(&p->q_seq);
	pthread_cond_broadcast(&p->rl_cond);
	pthread_mutex_unlock(&p->rl_lock);
}

static bool has_answered(const struct worker *w, uint64_t seq)
{
	return w->q_seq == seq;
}

/* Publish *q, wait for the workers, and take back what they said.
 * Returns 0 or ETIMEDOUT. */
static int ask(struct worker_pool *p, struct pool_query *q)
{
	struct timespec dl;
	unsigned first = 0, late;
	uint64_t seq;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += QUERY_WAIT_MS / 1000;
	dl.tv_nsec += (QUERY_WAIT_MS % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->rl_lock);
	p->q = *q;
	seq = atomic_load(&p->q_seq) + 1;
	atomic_store(&p->q_seq, seq);
	pthread_mutex_unlock(&p->rl_lock);
	pool_poke(p);
	pthread_mutex_lock(&p->rl_lock);
	late = pool_wait_locked(p, has_answered, seq, &dl, &first);
	*q = p->q;
	/* a late worker finds nothing to fill and nothing to end */
	p->q.out = NULL;
	p->q.kill = false;
	pthread_mutex_unlock(&p->rl_lock);
	if (late)
		log_warn("session query: %u of %u workers (worker %u first) "
			 "did not answer within %d ms",
			 late, p->n, first, QUERY_WAIT_MS);
	return late ? ETIMEDOUT : 0;
}

/* The user filter: NULL is every user; a longer name matches nobody. */
static int set_user(struct pool_query *q, const char *user)
{
	size_t n = user ? strlen(user) : 0;

	q->any_user = !user;
	if (n > TURN_SESSION_USER_MAX)
		return EINVAL;
	memcpy(q->user, user ? user : "", n + 1);
	return 0;
}

int worker_pool_sessions(struct worker_pool *p, const char *user,
			 struct turn_session *out, size_t max, size_t *listed,
			 size_t *total)
{
	struct pool_query q;
	int rc;

	*listed = *total = 0;
	memset(&q, 0, sizeof(q));
	if (!p || !out || set_user(&q, user))
		return EINVAL;
	q.out = out;
	q.max = max;
	rc = ask(p, &q);
	*listed = q.n;
	*total = q.total;
	return rc;
}

int worker_pool_kill(struct worker_pool *p, uint64_t id, const char *user,
		     size_t *killed)
{
	struct turn_session none;
	struct pool_query q;
	int rc;

	*killed = 0;
	memset(&q, 0, sizeof(q));
	if (!p || (user && !*user) || set_user(&q, user))
		return EINVAL;
	q.kill = true;
	q.any_user = false;
	q.id = id;
	q.out = &none; /* not NULL: the asker is still waiting */
	rc = ask(p, &q);
	*killed = q.total;
	return rc;
}
