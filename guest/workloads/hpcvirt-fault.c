/*
 * hpcvirt-fault: E-Zone 4 (guest user) faults for hpcvirt campaigns. Runs in the guest.
 *
 *   hpcvirt-fault segv      write through a NULL pointer (SIGSEGV, exit 139)
 *   hpcvirt-fault abort     abort() (SIGABRT, exit 134)
 *   hpcvirt-fault oom       allocate and touch memory until the kernel's OOM killer ends us
 *   hpcvirt-fault busy S    spin on the CPU for S seconds (0 = forever), then exit 0
 *
 * Build: gcc -static -O2 -Wall -Wextra -o hpcvirt-fault hpcvirt-fault.c
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile int *volatile null_ptr;
static volatile unsigned long sink;

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: hpcvirt-fault segv|abort|oom|busy SECONDS\n");
        return 2;
    }
    const char *m = argv[1];
    setvbuf(stdout, NULL, _IONBF, 0);
    if (!strcmp(m, "segv")) {
        printf("hpcvirt-fault: segv\n");
        *null_ptr = 1;
    } else if (!strcmp(m, "abort")) {
        printf("hpcvirt-fault: abort\n");
        abort();
    } else if (!strcmp(m, "oom")) {
        /* make sure the OOM killer picks us and not the agent */
        FILE *f = fopen("/proc/self/oom_score_adj", "w");
        if (f) {
            fputs("1000\n", f);
            fclose(f);
        }
        printf("hpcvirt-fault: oom\n");
        for (unsigned long mib = 0;; mib++) {
            char *p = malloc(1 << 20);
            if (!p) {
                printf("hpcvirt-fault: malloc failed after %lu MiB\n", mib);
                return 1;
            }
            memset(p, (int)(mib & 0xff) | 1, 1 << 20);
        }
    } else if (!strcmp(m, "busy")) {
        long secs = argc > 2 ? atol(argv[2]) : 0;
        long end = now_ms() + secs * 1000L;
        printf("hpcvirt-fault: busy %lds\n", secs);
        while (secs == 0 || now_ms() < end) {
            sink++;
        }
        return 0;
    }
    fprintf(stderr, "hpcvirt-fault: unknown fault '%s'\n", m);
    return 2;
}
