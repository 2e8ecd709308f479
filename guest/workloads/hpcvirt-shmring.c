/*
 * hpcvirt-shmring: a producer/consumer ring over an enclave shared-memory link. Runs in the guest.
 *
 * The link is a QEMU ivshmem-plain PCI device (vendor 0x1af4, device 0x1110); its BAR 2 is the
 * host segment both enclaves map. The program finds the device through sysfs (the one whose
 * memory size matches, or the first), enables it, maps resource2 and then either produces or
 * consumes COUNT messages:
 *
 *   hpcvirt-shmring produce COUNT [SECONDS]
 *   hpcvirt-shmring consume COUNT [SECONDS]
 *
 * Layout: a 64-byte header {magic, slots, head, tail} followed by SLOTS 64-byte messages
 * {seq, sum, payload[48]}. head and tail only grow; slot = counter % SLOTS. Every message carries
 * its sequence number and an FNV-1a checksum over the sequence number and the payload, so the
 * consumer tells a corrupt message (bad checksum) from a lost or repeated one (bad sequence).
 * Output, one line: "produced N from S" or "consumed N from S good G badsum B badseq Q".
 * Exit 0 when every message arrived intact, 1 on a bad message, 2 on timeout, 3 on setup errors,
 * 4 when the daemon marked the link dead (the other end failed; policy isolate): the line then
 * ends in "peer dead".
 *
 * Build: gcc -static -O2 -Wall -Wextra -o hpcvirt-shmring hpcvirt-shmring.c
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x6870637673686d31ULL /* "hpcvshm1" */
#define DEAD 0x6461656476637068ULL  /* "hpcvdead" in memory order: the daemon marked the link dead */
#define PAYLOAD 48

struct header {
    uint64_t magic;
    uint64_t slots;
    uint64_t head;
    uint64_t tail;
    uint64_t pad[4];
};

struct message {
    uint64_t seq;
    uint64_t sum;
    uint8_t payload[PAYLOAD];
};

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static uint64_t fnv1a(uint64_t seq, const uint8_t *p)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int i = 0; i < 8; i++) {
        h = (h ^ ((seq >> (8 * i)) & 0xff)) * 0x100000001b3ULL;
    }
    for (int i = 0; i < PAYLOAD; i++) {
        h = (h ^ p[i]) * 0x100000001b3ULL;
    }
    return h;
}

static int read_hex(const char *path, unsigned *out)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    int ok = fscanf(f, "%x", out) == 1;
    fclose(f);
    return ok ? 0 : -1;
}

/* The resource2 path of the first ivshmem device, or NULL. */
static char *find_device(void)
{
    static char path[512];
    DIR *d = opendir("/sys/bus/pci/devices");
    if (!d) {
        return NULL;
    }
    struct dirent *e;
    char *found = NULL;
    while ((e = readdir(d)) != NULL && !found) {
        if (e->d_name[0] == '.') {
            continue;
        }
        unsigned vendor = 0, device = 0;
        char p[512];
        snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/vendor", e->d_name);
        if (read_hex(p, &vendor) != 0) {
            continue;
        }
        snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/device", e->d_name);
        if (read_hex(p, &device) != 0) {
            continue;
        }
        if (vendor == 0x1af4 && device == 0x1110) {
            snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/enable", e->d_name);
            int fd = open(p, O_WRONLY);
            if (fd >= 0) {
                if (write(fd, "1", 1) < 0) {
                    /* already enabled, or not needed */
                }
                close(fd);
            }
            snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/resource2", e->d_name);
            found = path;
        }
    }
    closedir(d);
    return found;
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "produce") != 0 && strcmp(argv[1], "consume") != 0)) {
        fprintf(stderr, "usage: hpcvirt-shmring produce|consume COUNT [SECONDS]\n");
        return 3;
    }
    int produce = strcmp(argv[1], "produce") == 0;
    uint64_t count = strtoull(argv[2], NULL, 10);
    long limit_ms = (argc > 3 ? atol(argv[3]) : 60) * 1000L;
    char *res = find_device();
    if (!res) {
        fprintf(stderr, "no ivshmem device (1af4:1110) in /sys/bus/pci/devices\n");
        return 3;
    }
    int fd = open(res, O_RDWR | O_SYNC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < 4096) {
        fprintf(stderr, "cannot open %s\n", res);
        return 3;
    }
    uint8_t *base = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        perror("mmap");
        return 3;
    }
    volatile struct header *h = (volatile struct header *) base;
    struct message *ring = (struct message *) (base + sizeof(struct header));
    uint64_t slots = (st.st_size - sizeof(struct header)) / sizeof(struct message);
    long deadline = now_ms() + limit_ms;
    if (produce && h->magic != MAGIC) {
        h->slots = slots;
        h->head = 0;
        h->tail = 0;
        __atomic_store_n(&h->magic, MAGIC, __ATOMIC_SEQ_CST);
    }
    while (__atomic_load_n(&h->magic, __ATOMIC_SEQ_CST) != MAGIC) {
        if (__atomic_load_n(&h->magic, __ATOMIC_SEQ_CST) == DEAD) {
            printf("%s 0 from 0 peer dead\n", produce ? "produced" : "consumed");
            return 4;
        }
        if (now_ms() > deadline) {
            printf("timeout waiting for the producer\n");
            return 2;
        }
        usleep(1000);
    }
    slots = h->slots;
    if (produce) {
        uint64_t start = __atomic_load_n(&h->head, __ATOMIC_SEQ_CST);
        for (uint64_t i = 0; i < count; i++) {
            uint64_t seq = start + i;
            while (seq - __atomic_load_n(&h->tail, __ATOMIC_SEQ_CST) >= slots) {
                if (__atomic_load_n(&h->magic, __ATOMIC_SEQ_CST) == DEAD) {
                    printf("produced %llu from %llu peer dead\n", (unsigned long long) i, (unsigned long long) start);
                    return 4;
                }
                if (now_ms() > deadline) {
                    printf("produced %llu from %llu timeout\n", (unsigned long long) i, (unsigned long long) start);
                    return 2;
                }
                usleep(100);
            }
            struct message *m = &ring[seq % slots];
            for (int j = 0; j < PAYLOAD; j++) {
                m->payload[j] = (uint8_t) (seq * 31 + j * 7);
            }
            m->seq = seq;
            m->sum = fnv1a(seq, m->payload);
            __atomic_store_n(&h->head, seq + 1, __ATOMIC_SEQ_CST);
        }
        printf("produced %llu from %llu\n", (unsigned long long) count, (unsigned long long) start);
        return 0;
    }
    uint64_t start = __atomic_load_n(&h->tail, __ATOMIC_SEQ_CST);
    uint64_t good = 0, badsum = 0, badseq = 0;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t seq = start + i;
        while (__atomic_load_n(&h->head, __ATOMIC_SEQ_CST) <= seq) {
            if (__atomic_load_n(&h->magic, __ATOMIC_SEQ_CST) == DEAD) {
                printf("consumed %llu from %llu good %llu badsum %llu badseq %llu peer dead\n", (unsigned long long) i,
                        (unsigned long long) start, (unsigned long long) good, (unsigned long long) badsum,
                        (unsigned long long) badseq);
                return 4;
            }
            if (now_ms() > deadline) {
                printf("consumed %llu from %llu good %llu badsum %llu badseq %llu timeout\n", (unsigned long long) i,
                        (unsigned long long) start, (unsigned long long) good, (unsigned long long) badsum,
                        (unsigned long long) badseq);
                return 2;
            }
            usleep(100);
        }
        struct message copy;
        memcpy(&copy, &ring[seq % slots], sizeof copy);
        if (copy.seq != seq) {
            badseq++;
        } else if (copy.sum != fnv1a(copy.seq, copy.payload)) {
            badsum++;
        } else {
            good++;
        }
        __atomic_store_n(&h->tail, seq + 1, __ATOMIC_SEQ_CST);
    }
    printf("consumed %llu from %llu good %llu badsum %llu badseq %llu\n", (unsigned long long) count,
            (unsigned long long) start, (unsigned long long) good, (unsigned long long) badsum, (unsigned long long) badseq);
    return badsum || badseq ? 1 : 0;
}
