/*
 * hpcvirt-noise: fixed-work-quantum timing (OS noise) and a CPU hog for the noisy neighbour. Runs in the guest.
 *
 *   hpcvirt-noise quanta COUNT WORK   time COUNT quanta of WORK iterations of a fixed integer loop each
 *   hpcvirt-noise spin SECONDS        burn a CPU for SECONDS
 *
 * quanta prints one line "quanta N work W min_ns A median_ns B p99_ns C max_ns D" (p99 = the
 * ceil(0.99 N)-th smallest). Every quantum does the same work, so any spread is noise: the host
 * scheduler, other threads of QEMU, interrupts, the guest's own timer.
 * Exit 0, or 3 on bad arguments.
 *
 * Build: gcc -static -O2 -Wall -Wextra -o hpcvirt-noise hpcvirt-noise.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

/* A fixed amount of dependent integer work the compiler cannot drop. */
static uint64_t work(uint64_t iters, uint64_t x)
{
    for (uint64_t i = 0; i < iters; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        x ^= x >> 29;
    }
    return x;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "spin") == 0) {
        long seconds = atol(argv[2]);
        uint64_t end = now_ns() + (uint64_t) (seconds > 0 ? seconds : 0) * 1000000000ULL;
        volatile uint64_t sink = 0;
        while (now_ns() < end) {
            sink = work(100000, sink);
        }
        printf("spun %ld s\n", seconds);
        return 0;
    }
    if (argc != 4 || strcmp(argv[1], "quanta") != 0 || atol(argv[2]) <= 0 || atol(argv[3]) <= 0) {
        fprintf(stderr, "usage: hpcvirt-noise quanta COUNT WORK | spin SECONDS\n");
        return 3;
    }
    uint64_t n = (uint64_t) atol(argv[2]);
    uint64_t iters = (uint64_t) atol(argv[3]);
    uint64_t *t = malloc(sizeof(uint64_t) * n);
    if (!t) {
        fprintf(stderr, "out of memory\n");
        return 3;
    }
    volatile uint64_t sink = 1;
    sink = work(iters, sink); /* warm-up quantum, not counted */
    for (uint64_t i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        sink = work(iters, sink);
        t[i] = now_ns() - t0;
    }
    qsort(t, n, sizeof t[0], cmp_u64);
    uint64_t k = (n * 99 + 99) / 100;
    printf("quanta %llu work %llu min_ns %llu median_ns %llu p99_ns %llu max_ns %llu\n", (unsigned long long) n,
            (unsigned long long) iters, (unsigned long long) t[0], (unsigned long long) t[n / 2],
            (unsigned long long) t[k - 1], (unsigned long long) t[n - 1]);
    return 0;
}
