/*
 * hpcvirt-checksum: a workload with a known answer, for soft-error campaigns. Runs in the guest.
 *
 * Fills a 256 KiB buffer with a fixed pseudo-random pattern, locks it in RAM, prints the
 * guest-physical address of its first 4 KiB page ("phys 0x..."), waits until the file GO exists
 * (so that the host can flip bits in the buffer first), then runs ROUNDS rounds of an
 * iterative checksum (a small matrix-vector style mixing kernel) over the buffer and prints
 * "result <hex> ms <elapsed>". Every step (xor, rotate, multiply by an odd number) is a bijection of the
 * accumulator, so a flipped bit in the buffer gives a different result (silent data corruption)
 * except with negligible probability; a flip elsewhere that is never read gives the golden result.
 *
 *   hpcvirt-checksum ROUNDS [GO]      GO defaults to /tmp/hpcvirt-go; "-" means do not wait
 *
 * Build: gcc -static -O2 -Wall -Wextra -o hpcvirt-checksum hpcvirt-checksum.c
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define WORDS (256 * 1024 / 8)

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Guest-physical address of the page holding p, from /proc/self/pagemap (needs root). */
static uint64_t phys_of(void *p)
{
    long page = sysconf(_SC_PAGESIZE);
    int fd = open("/proc/self/pagemap", O_RDONLY);
    if (fd < 0) return 0;
    uint64_t entry = 0;
    off_t off = (off_t)((uintptr_t)p / (uintptr_t)page) * 8;
    if (pread(fd, &entry, 8, off) != 8) entry = 0;
    close(fd);
    if (!(entry & (1ULL << 63))) return 0;
    return (entry & ((1ULL << 55) - 1)) * (uint64_t)page + (uintptr_t)p % (uintptr_t)page;
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 200;
    const char *go = argc > 2 ? argv[2] : "/tmp/hpcvirt-go";
    setvbuf(stdout, NULL, _IONBF, 0);
    uint64_t *buf = aligned_alloc(4096, WORDS * 8);
    if (!buf) return 1;
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (long i = 0; i < WORDS; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        buf[i] = x;
    }
    mlock(buf, WORDS * 8);
    printf("phys 0x%llx\n", (unsigned long long)phys_of(buf));
    if (strcmp(go, "-") != 0) {
        while (access(go, F_OK) != 0) usleep(10000);
    }
    long t0 = now_ms();
    uint64_t acc = 0;
    for (long r = 0; r < rounds; r++) {
        for (long i = 0; i < WORDS; i++) {
            uint64_t v = acc ^ buf[i];
            /* the rotation carries high bits down: without it a flip in bit 62/63 of a word stays in the
               top bits and cancels out over an even number of rounds (a masked, "benign" flip) */
            acc = ((v << 5) | (v >> 59)) * 0x100000001B3ULL + (uint64_t)r;
        }
    }
    printf("result %016llx ms %ld\n", (unsigned long long)acc, now_ms() - t0);
    return 0;
}
