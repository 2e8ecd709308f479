/*
 * hpcvirt-kernels: the fixed workloads of the isolation–performance continuum benchmark. The same
 * static binary runs natively on the host, in a container and in every guest, so the only thing
 * that differs between two runs is where it runs.
 *
 *   hpcvirt-kernels cpu [ITERATIONS]        integer (xorshift, multiply) and floating-point
 *                                           (multiply-add, divide) dependency chain
 *   hpcvirt-kernels mem [MIB] [REPS]        STREAM triad a = b + q*c over three arrays of MIB MiB each
 *   hpcvirt-kernels syscall [CALLS]         getppid() through syscall(2), never cached by libc
 *   hpcvirt-kernels fileio DIR [MIB]        write MIB MiB in 64 KiB blocks to a new file in DIR, fsync,
 *                                           read it back, unlink it
 *
 * Each timed mode prints exactly one line on stdout:
 *
 *   kernel=MODE work=N unit=UNIT seconds=S checksum=HEX16
 *
 * timed with clock_gettime(CLOCK_MONOTONIC) around the work only; the checksum depends on every
 * step, so the compiler cannot drop the work. Exit status 0, or 2 with a message on stderr for bad
 * arguments, 1 when a system call fails.
 *
 * Build: gcc -static -O2 -Wall -Wextra -o hpcvirt-kernels hpcvirt-kernels.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void result(const char *mode, unsigned long long work, const char *unit, double seconds, uint64_t sum)
{
    printf("kernel=%s work=%llu unit=%s seconds=%.6f checksum=%016llx\n", mode, work, unit, seconds,
           (unsigned long long)sum);
}

/* One step of a 64-bit mix (xor-shift-multiply): every input bit reaches every output bit. */
static uint64_t mix(uint64_t sum, uint64_t v)
{
    sum ^= v;
    sum ^= sum >> 29;
    return sum * 0xbf58476d1ce4e5b9ULL;
}

static long arg(int argc, char **argv, int i, long def, long min, long max)
{
    if (argc <= i) return def;
    char *end;
    errno = 0;
    long v = strtol(argv[i], &end, 10);
    if (errno || *end || v < min || v > max) {
        fprintf(stderr, "hpcvirt-kernels: argument %d '%s' must be a number %ld..%ld\n", i, argv[i], min, max);
        exit(2);
    }
    return v;
}

static int cpu(long n)
{
    uint64_t x = 0x9e3779b97f4a7c15ULL, acc = 0;
    double f = 1.0, g = 0.5;
    double t0 = now();
    for (long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        acc = acc * 0x100000001b3ULL + (x >> 11);
        f = f * 0.9999999 + (double)(x & 0xffff) * 1e-6;
        g = g + f / (1.0 + g * 1e-3);
    }
    double t = now() - t0;
    uint64_t fb, gb;
    memcpy(&fb, &f, 8);
    memcpy(&gb, &g, 8);
    result("cpu", (unsigned long long)n, "iterations", t, acc ^ fb ^ (gb << 1));
    return 0;
}

static int mem(long mib, long reps)
{
    size_t n = (size_t)mib * 1024 * 1024 / sizeof(double);
    double *a = malloc(n * sizeof(double)), *b = malloc(n * sizeof(double)), *c = malloc(n * sizeof(double));
    if (!a || !b || !c) {
        fprintf(stderr, "hpcvirt-kernels: cannot allocate 3 x %ld MiB\n", mib);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        a[i] = 0;
        b[i] = (double)(i & 1023);
        c[i] = (double)((i * 7) & 1023);
    }
    double q = 3.0;
    double t0 = now();
    for (long r = 0; r < reps; r++) {
        for (size_t i = 0; i < n; i++) a[i] = b[i] + q * c[i];
        b[r % n] += 1.0; /* each repetition differs, so none can be skipped */
    }
    double t = now() - t0;
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i += 4096 / sizeof(double)) {
        uint64_t v;
        memcpy(&v, &a[i], 8);
        sum = mix(sum, v);
    }
    result("mem", (unsigned long long)(3 * n * sizeof(double) * (size_t)reps), "bytes", t, sum);
    return 0;
}

static int sys(long calls)
{
    uint64_t sum = 0;
    double t0 = now();
    for (long i = 0; i < calls; i++) sum = mix(sum, (uint64_t)syscall(SYS_getppid) + (uint64_t)i);
    double t = now() - t0;
    result("syscall", (unsigned long long)calls, "calls", t, sum);
    return 0;
}

static int fileio(const char *dir, long mib)
{
    enum { BLOCK = 64 * 1024 };
    static unsigned char buf[BLOCK];
    char path[4096];
    if (snprintf(path, sizeof path, "%s/hpcvirt-kernels.%ld", dir, (long)getpid()) >= (int)sizeof path) {
        fprintf(stderr, "hpcvirt-kernels: directory name too long\n");
        return 2;
    }
    long blocks = mib * (1024 * 1024 / BLOCK);
    uint64_t sum = 0;
    double t0 = now();
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (fd < 0) {
        fprintf(stderr, "hpcvirt-kernels: open %s: %s\n", path, strerror(errno));
        return 1;
    }
    for (long b = 0; b < blocks; b++) {
        for (int i = 0; i < BLOCK; i += 512) buf[i] = (unsigned char)(b + i / 512);
        if (write(fd, buf, BLOCK) != BLOCK) {
            fprintf(stderr, "hpcvirt-kernels: write %s: %s\n", path, strerror(errno));
            close(fd);
            unlink(path);
            return 1;
        }
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fprintf(stderr, "hpcvirt-kernels: fsync %s: %s\n", path, strerror(errno));
        unlink(path);
        return 1;
    }
    fd = open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "hpcvirt-kernels: reopen %s: %s\n", path, strerror(errno));
        unlink(path);
        return 1;
    }
    ssize_t got;
    while ((got = read(fd, buf, BLOCK)) > 0) {
        for (ssize_t i = 0; i < got; i += 512) sum = mix(sum, buf[i]);
    }
    close(fd);
    unlink(path);
    double t = now() - t0;
    if (got < 0) {
        fprintf(stderr, "hpcvirt-kernels: read %s failed\n", path);
        return 1;
    }
    result("fileio", (unsigned long long)(2 * blocks * (long)BLOCK), "bytes", t, sum);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "cpu") == 0) return cpu(arg(argc, argv, 2, 40000000L, 1, 100000000000L));
    if (strcmp(mode, "mem") == 0) return mem(arg(argc, argv, 2, 8, 1, 1024), arg(argc, argv, 3, 128, 1, 1000000));
    if (strcmp(mode, "syscall") == 0) return sys(arg(argc, argv, 2, 2000000L, 1, 100000000000L));
    if (strcmp(mode, "fileio") == 0 && argc > 2) return fileio(argv[2], arg(argc, argv, 3, 64, 1, 65536));
    fprintf(stderr, "usage: hpcvirt-kernels cpu [ITERATIONS] | mem [MIB] [REPS] | syscall [CALLS] | fileio DIR [MIB]\n");
    return 2;
}
