#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "lutsr/lutsr.h"
#include "thread_pool.h"

typedef struct Worker {
    LutsrPool *pool;
    pthread_t tid;
    int index;
} Worker;

struct LutsrPool {
    int threads;            /* including the caller */
    Worker *workers;        /* threads - 1 of them */
    int started;            /* workers actually created */

    pthread_mutex_t lock;
    pthread_cond_t wake;    /* workers wait here for a new generation */
    pthread_cond_t done;    /* the caller waits here for active == 0 */
    unsigned generation;    /* bumped for each run; guarded by lock */
    int active;             /* workers still inside the current run */
    int quit;

    /* The current run (written by the caller before the generation bump). */
    LutsrJobFn fn;
    void *arg;
    int njobs;
    atomic_int next_job;
    atomic_int first_error;
};

static void run_jobs(LutsrPool *p, int thread)
{
    for (;;) {
        int job = atomic_fetch_add(&p->next_job, 1);
        if (job >= p->njobs)
            break;
        int r = p->fn(p->arg, job, thread);
        if (r < 0) {
            int expected = 0;
            atomic_compare_exchange_strong(&p->first_error, &expected, r);
        }
    }
}

static void *worker_main(void *opaque)
{
    Worker *w = opaque;
    LutsrPool *p = w->pool;
    unsigned seen = 0;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->quit && p->generation == seen)
            pthread_cond_wait(&p->wake, &p->lock);
        if (p->quit)
            break;
        seen = p->generation;
        pthread_mutex_unlock(&p->lock);

        run_jobs(p, w->index);

        pthread_mutex_lock(&p->lock);
        if (--p->active == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int lutsr_pool_create(LutsrPool **out, int threads)
{
    *out = NULL;
    if (threads < 1)
        return LUTSR_ERR_INVALID_ARG;
    LutsrPool *p = calloc(1, sizeof(*p));
    if (!p)
        return LUTSR_ERR_NOMEM;
    p->threads = threads;
    atomic_init(&p->next_job, 0);
    atomic_init(&p->first_error, 0);
    if (pthread_mutex_init(&p->lock, NULL)) {
        free(p);
        return LUTSR_ERR_THREAD;
    }
    if (pthread_cond_init(&p->wake, NULL)) {
        pthread_mutex_destroy(&p->lock);
        free(p);
        return LUTSR_ERR_THREAD;
    }
    if (pthread_cond_init(&p->done, NULL)) {
        pthread_cond_destroy(&p->wake);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return LUTSR_ERR_THREAD;
    }
    if (threads > 1) {
        p->workers = calloc((size_t)threads - 1, sizeof(*p->workers));
        if (!p->workers) {
            lutsr_pool_free(&p);
            return LUTSR_ERR_NOMEM;
        }
        for (int i = 0; i < threads - 1; i++) {
            p->workers[i].pool = p;
            p->workers[i].index = i + 1;
            if (pthread_create(&p->workers[i].tid, NULL, worker_main, &p->workers[i])) {
                lutsr_pool_free(&p);
                return LUTSR_ERR_THREAD;
            }
            p->started++;
        }
    }
    *out = p;
    return 0;
}

void lutsr_pool_free(LutsrPool **pp)
{
    LutsrPool *p = pp ? *pp : NULL;
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->quit = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->started; i++)
        pthread_join(p->workers[i].tid, NULL);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p->workers);
    free(p);
    *pp = NULL;
}

int lutsr_pool_run(LutsrPool *p, LutsrJobFn fn, void *arg, int njobs)
{
    if (njobs <= 0)
        return 0;
    p->fn = fn;
    p->arg = arg;
    p->njobs = njobs;
    atomic_store(&p->next_job, 0);
    atomic_store(&p->first_error, 0);

    /* Wake workers only when there is more than one job for them to share. */
    int helpers = p->started < njobs - 1 ? p->started : njobs - 1;
    if (helpers > 0) {
        pthread_mutex_lock(&p->lock);
        p->active = p->started;
        p->generation++;
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->lock);
    }

    run_jobs(p, 0);

    if (helpers > 0) {
        pthread_mutex_lock(&p->lock);
        while (p->active > 0)
            pthread_cond_wait(&p->done, &p->lock);
        pthread_mutex_unlock(&p->lock);
    }
    return atomic_load(&p->first_error);
}

int lutsr_pool_threads(const LutsrPool *p)
{
    return p->threads;
}
