/*
 * Thread pool: every job runs exactly once per run, thread indices are in
 * range and never shared by concurrent jobs, the first error is returned,
 * and the pool is reusable and shuts down cleanly.
 */
#include <stdatomic.h>
#include <string.h>

#include "test_util.h"
#include "thread_pool.h"

#define MAX_JOBS 1000

typedef struct Run {
    atomic_int count[MAX_JOBS];
    atomic_int busy[16];
    atomic_int bad;
    int threads;
    int fail_job;
} Run;

static int job_fn(void *arg, int job, int thread)
{
    Run *r = arg;
    if (thread < 0 || thread >= r->threads || atomic_fetch_add(&r->busy[thread], 1) != 0)
        atomic_store(&r->bad, 1);
    atomic_fetch_add(&r->count[job], 1);
    volatile unsigned spin = 0;
    for (int i = 0; i < (job % 7) * 200; i++)
        spin += (unsigned)i;
    if (thread >= 0 && thread < r->threads)
        atomic_fetch_sub(&r->busy[thread], 1);
    return job == r->fail_job ? -(1000 + job) : 0;
}

int main(void)
{
    static Run run;
    for (int threads = 1; threads <= 5; threads++) {
        LutsrPool *p = NULL;
        REQUIRE_OK(lutsr_pool_create(&p, threads));
        REQUIRE_CMP(lutsr_pool_threads(p), ==, threads);
        for (int iter = 0; iter < 50; iter++) {
            int njobs = 1 + (iter * 37) % MAX_JOBS;
            memset(&run, 0, sizeof(run));
            run.threads = threads;
            run.fail_job = iter % 3 == 0 ? njobs / 2 : -1;
            int ret = lutsr_pool_run(p, job_fn, &run, njobs);
            if (run.fail_job >= 0)
                REQUIRE_CMP(ret, ==, -(1000 + run.fail_job));
            else
                REQUIRE_CMP(ret, ==, 0);
            REQUIRE_CMP(atomic_load(&run.bad), ==, 0);
            for (int j = 0; j < njobs; j++)
                REQUIRE_CMP(atomic_load(&run.count[j]), ==, 1);
            for (int j = njobs; j < MAX_JOBS; j++)
                REQUIRE_CMP(atomic_load(&run.count[j]), ==, 0);
        }
        REQUIRE_CMP(lutsr_pool_run(p, job_fn, &run, 0), ==, 0);
        lutsr_pool_free(&p);
        REQUIRE(p == NULL);
        lutsr_pool_free(&p);
    }
    LutsrPool *p = (LutsrPool *)&run;
    REQUIRE_CMP(lutsr_pool_create(&p, 0), ==, LUTSR_ERR_INVALID_ARG);
    REQUIRE(p == NULL);
    printf("thread pool: OK\n");
    return 0;
}
