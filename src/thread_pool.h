/*
 * Persistent pthreads pool (libavutil/slicethread shape): workers sleep on a
 * condition variable between runs; the caller runs jobs too; the next job is
 * taken with an atomic counter; the first negative job result is returned.
 */
#ifndef LUTSR_THREAD_POOL_H
#define LUTSR_THREAD_POOL_H

typedef struct LutsrPool LutsrPool;

/* job: 0..njobs-1; thread: 0..threads-1, distinct among concurrently running
 * jobs (0 is the caller), so it can index per-thread scratch. */
typedef int (*LutsrJobFn)(void *arg, int job, int thread);

/* threads >= 1 (1 = no worker threads: the caller does everything).
 * Returns 0, LUTSR_ERR_NOMEM or LUTSR_ERR_THREAD. */
int lutsr_pool_create(LutsrPool **out, int threads);

/* Joins the workers, frees, sets *p to NULL. NULL-safe. */
void lutsr_pool_free(LutsrPool **p);

/* Runs fn for every job and waits for all of them. Not reentrant: one run
 * per pool at a time. Returns 0 or the first negative value a job returned
 * (the remaining jobs still run, so the output is always fully written). */
int lutsr_pool_run(LutsrPool *p, LutsrJobFn fn, void *arg, int njobs);

int lutsr_pool_threads(const LutsrPool *p);

#endif /* LUTSR_THREAD_POOL_H */
