/*
 * hpcvirt-shmring: a producer/consumer ring over an enclave shared-memory link. Runs in the guest.
 *
 * The link is a QEMU ivshmem-plain PCI device (vendor 0x1af4, device 0x1110); its BAR 2 is the
 * host segment both enclaves map. The program finds the device through sysfs (the one whose
 * memory size matches, or the first), enables it, maps resource2 and then either produces or
 * consumes COUNT messages:
 *
 *   hpcvirt-shmring produce COUNT [SECONDS [timed|batch]]
 *   hpcvirt-shmring consume COUNT [SECONDS [timed]]
 *   hpcvirt-shmring ping COUNT [SECONDS]
 *   hpcvirt-shmring pong COUNT [SECONDS]
 *
 * With HPCVIRT_SHMRING_FILE set, the program maps that file (e.g. a /dev/shm segment) instead of
 * the device, so the very same code runs between two host processes (the native limit).
 * With HPCVIRT_SHMRING_TCP=[ADDR]:PORT set, the same messages go through one TCP connection
 * instead (ping/pong with TCP_NODELAY, streams with Nagle's coalescing, as a bulk sender
 * would): with ADDR the program connects (retrying until SECONDS pass), without
 * it listens on PORT and takes one connection, so either end may start first. ping/pong then
 * exchange one checked message per round trip (timed from after the connection is up);
 * produce writes COUNT messages with one write() each ("produce COUNT SECONDS batch": 1024
 * messages, 64 KiB, per write()), consume reads them (up to 64 KiB per
 * read), checks each and, with "timed", times from the first byte to the last message. Output
 * and exit codes are the same as over shared memory.
 * "timed" appends " in US us" to the consumer's line: the microseconds from the first message
 * seen to the last one consumed. "check" appends " undetected U": the messages that passed both
 * checks (sequence number and checksum) but whose payload is not the one the producer writes
 * (the payload is a known function of the sequence number), i.e. corruption the checksum missed;
 * any such message makes the exit code 1. ping/pong time COUNT round trips of one checked message each
 * (ping writes slot 0 and waits, busy-polling, for pong's checked copy in slot 1), after pong
 * said it is polling, so start-up is not timed; ping must start first or within SECONDS; it prints
 * "pinged N good G min_ns A median_ns B p99_ns C max_ns D" (exit 1 if a reply was bad).
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
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x6870637673686d31ULL /* "hpcvshm1" */
#define DEAD 0x6461656476637068ULL  /* "hpcvdead" in memory order: the daemon marked the link dead */
#define PINGMAGIC 0x6870637670696e67ULL /* "hpcvping" */
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

static void fill(struct message *m, uint64_t seq)
{
    for (int j = 0; j < PAYLOAD; j++) {
        m->payload[j] = (uint8_t) (seq * 31 + j * 7);
    }
    m->seq = seq;
    m->sum = fnv1a(seq, m->payload);
}

/* Whether m's payload is the one fill() writes for m's sequence number. */
static int expected(const struct message *m)
{
    for (int j = 0; j < PAYLOAD; j++) {
        if (m->payload[j] != (uint8_t) (m->seq * 31 + j * 7)) {
            return 0;
        }
    }
    return 1;
}

/*
 * Round trips: pad[0] counts pings written to slot 0, pad[1] replies written to slot 1. ping
 * resets both and then sets PINGMAGIC; pong waits for it. Both sides busy-poll.
 */
static int pingpong(volatile struct header *h, struct message *ring, int ping, uint64_t count, long deadline)
{
    volatile uint64_t *sent = &h->pad[0];
    volatile uint64_t *replied = &h->pad[1];
    volatile uint64_t *ready = &h->pad[2];
    if (ping) {
        __atomic_store_n(&h->magic, 0, __ATOMIC_SEQ_CST);
        *sent = 0;
        *replied = 0;
        *ready = 0;
        __atomic_store_n(&h->magic, PINGMAGIC, __ATOMIC_SEQ_CST);
        /* pong's start-up is not a round trip: wait until it says it is polling */
        while (__atomic_load_n(ready, __ATOMIC_SEQ_CST) != 1) {
            if (now_ms() > deadline) {
                printf("pinged 0 timeout waiting for pong\n");
                return 2;
            }
        }
        uint64_t *rtt = malloc(sizeof(uint64_t) * (count ? count : 1));
        uint64_t good = 0;
        for (uint64_t i = 0; i < count; i++) {
            uint64_t t0 = now_ns();
            fill(&ring[0], i);
            __atomic_store_n(sent, i + 1, __ATOMIC_SEQ_CST);
            unsigned spins = 0;
            while (__atomic_load_n(replied, __ATOMIC_SEQ_CST) != i + 1) {
                if ((++spins & 0xffff) == 0 && now_ms() > deadline) {
                    printf("pinged %llu timeout\n", (unsigned long long) i);
                    return 2;
                }
            }
            rtt[i] = now_ns() - t0;
            struct message copy;
            memcpy(&copy, &ring[1], sizeof copy);
            if (copy.seq == i && copy.sum == fnv1a(copy.seq, copy.payload)) {
                good++;
            }
        }
        if (count == 0) {
            printf("pinged 0\n");
            return 0;
        }
        qsort(rtt, count, sizeof rtt[0], cmp_u64);
        uint64_t p99 = rtt[(count * 99 + 99) / 100 - 1 < count ? (count * 99 + 99) / 100 - 1 : count - 1];
        printf("pinged %llu good %llu min_ns %llu median_ns %llu p99_ns %llu max_ns %llu\n", (unsigned long long) count,
                (unsigned long long) good, (unsigned long long) rtt[0], (unsigned long long) rtt[count / 2],
                (unsigned long long) p99, (unsigned long long) rtt[count - 1]);
        return good == count ? 0 : 1;
    }
    while (__atomic_load_n(&h->magic, __ATOMIC_SEQ_CST) != PINGMAGIC) {
        if (now_ms() > deadline) {
            printf("timeout waiting for ping\n");
            return 2;
        }
        usleep(100);
    }
    /* a stale PINGMAGIC from an earlier run: ping resets the counters and clears ready first */
    while (__atomic_load_n(sent, __ATOMIC_SEQ_CST) != 0 || __atomic_load_n(ready, __ATOMIC_SEQ_CST) != 0) {
        if (now_ms() > deadline) {
            printf("timeout waiting for ping\n");
            return 2;
        }
        usleep(100);
    }
    __atomic_store_n(ready, 1, __ATOMIC_SEQ_CST);
    uint64_t bad = 0;
    for (uint64_t i = 0; i < count; i++) {
        unsigned spins = 0;
        while (__atomic_load_n(sent, __ATOMIC_SEQ_CST) != i + 1) {
            if ((++spins & 0xffff) == 0 && now_ms() > deadline) {
                printf("ponged %llu timeout\n", (unsigned long long) i);
                return 2;
            }
        }
        struct message copy;
        memcpy(&copy, &ring[0], sizeof copy);
        if (copy.seq != i || copy.sum != fnv1a(copy.seq, copy.payload)) {
            bad++;
        }
        memcpy(&ring[1], &copy, sizeof copy);
        __atomic_store_n(replied, i + 1, __ATOMIC_SEQ_CST);
    }
    printf("ponged %llu bad %llu\n", (unsigned long long) count, (unsigned long long) bad);
    return bad ? 1 : 0;
}

/* The connected socket for spec "[ADDR]:PORT" (see above), TCP_NODELAY if nodelay, or -1 after a message on stderr. */
static int tcp_open(const char *spec, long deadline, int nodelay)
{
    const char *colon = strrchr(spec, ':');
    if (!colon || atoi(colon + 1) <= 0 || atoi(colon + 1) > 65535) {
        fprintf(stderr, "HPCVIRT_SHMRING_TCP '%s' is not [ADDR]:PORT\n", spec);
        return -1;
    }
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t) atoi(colon + 1));
    char host[64];
    size_t hl = (size_t) (colon - spec);
    if (hl >= sizeof host) {
        fprintf(stderr, "HPCVIRT_SHMRING_TCP '%s': address too long\n", spec);
        return -1;
    }
    memcpy(host, spec, hl);
    host[hl] = 0;
    int one = 1;
    if (hl == 0) {
        int l = socket(AF_INET, SOCK_STREAM, 0);
        a.sin_addr.s_addr = htonl(INADDR_ANY);
        if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 || bind(l, (struct sockaddr *) &a, sizeof a) != 0 || listen(l, 1) != 0) {
            perror("listen");
            return -1;
        }
        int c = -1;
        while (c < 0) {
            struct timeval tv = {1, 0};
            fd_set r;
            FD_ZERO(&r);
            FD_SET(l, &r);
            if (select(l + 1, &r, NULL, NULL, &tv) > 0) {
                c = accept(l, NULL, NULL);
            }
            if (c < 0 && now_ms() > deadline) {
                fprintf(stderr, "no connection on port %d in time\n", atoi(colon + 1));
                close(l);
                return -1;
            }
        }
        close(l);
        if (nodelay) {
            setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        return c;
    }
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        fprintf(stderr, "HPCVIRT_SHMRING_TCP '%s': '%s' is not an IPv4 address\n", spec, host);
        return -1;
    }
    for (;;) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (c >= 0 && connect(c, (struct sockaddr *) &a, sizeof a) == 0) {
            if (nodelay) {
                setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            }
            return c;
        }
        int e = errno;
        if (c >= 0) {
            close(c);
        }
        if (now_ms() > deadline) {
            fprintf(stderr, "cannot connect to %s: %s\n", spec, strerror(e));
            return -1;
        }
        usleep(20000);
    }
}

/* Reads exactly n bytes; 0 on success, -1 on end of stream or error. */
static int read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *) buf + got, n - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return -1;
        }
        got += (size_t) r;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
    size_t put = 0;
    while (put < n) {
        ssize_t w = write(fd, (const char *) buf + put, n - put);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        put += (size_t) w;
    }
    return 0;
}

/* The four modes over TCP (see the top of the file); same output and exit codes. */
static int over_tcp(const char *spec, int produce, int ping, int pong, int timed, int check, int batch, uint64_t count,
        long deadline)
{
    int fd = tcp_open(spec, deadline, ping || pong);
    if (fd < 0) {
        return 3;
    }
    /* a stalled peer must not hang us past the deadline */
    long left = deadline - now_ms();
    struct timeval tv = {left > 1000 ? left / 1000 : 1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct message m;
    if (ping) {
        uint64_t *rtt = malloc(sizeof(uint64_t) * (count ? count : 1));
        uint64_t good = 0;
        for (uint64_t i = 0; i < count; i++) {
            uint64_t t0 = now_ns();
            fill(&m, i);
            if (write_full(fd, &m, sizeof m) != 0 || read_full(fd, &m, sizeof m) != 0) {
                printf("pinged %llu timeout\n", (unsigned long long) i);
                return 2;
            }
            rtt[i] = now_ns() - t0;
            if (m.seq == i && m.sum == fnv1a(m.seq, m.payload)) {
                good++;
            }
        }
        if (count == 0) {
            printf("pinged 0\n");
            return 0;
        }
        qsort(rtt, count, sizeof rtt[0], cmp_u64);
        uint64_t p99 = rtt[(count * 99 + 99) / 100 - 1 < count ? (count * 99 + 99) / 100 - 1 : count - 1];
        printf("pinged %llu good %llu min_ns %llu median_ns %llu p99_ns %llu max_ns %llu\n", (unsigned long long) count,
                (unsigned long long) good, (unsigned long long) rtt[0], (unsigned long long) rtt[count / 2],
                (unsigned long long) p99, (unsigned long long) rtt[count - 1]);
        return good == count ? 0 : 1;
    }
    if (pong) {
        uint64_t bad = 0;
        for (uint64_t i = 0; i < count; i++) {
            if (read_full(fd, &m, sizeof m) != 0) {
                printf("ponged %llu timeout\n", (unsigned long long) i);
                return 2;
            }
            if (m.seq != i || m.sum != fnv1a(m.seq, m.payload)) {
                bad++;
            }
            if (write_full(fd, &m, sizeof m) != 0) {
                printf("ponged %llu timeout\n", (unsigned long long) i);
                return 2;
            }
        }
        printf("ponged %llu bad %llu\n", (unsigned long long) count, (unsigned long long) bad);
        return bad ? 1 : 0;
    }
    if (produce) {
        /* "batch": 1024 messages (64 KiB) per write() instead of one */
        static struct message out[1024];
        uint64_t per = batch ? 1024 : 1;
        for (uint64_t i = 0; i < count; i += per) {
            uint64_t n = count - i < per ? count - i : per;
            for (uint64_t k = 0; k < n; k++) {
                fill(&out[k], i + k);
            }
            if (write_full(fd, out, n * sizeof out[0]) != 0) {
                printf("produced %llu from 0 timeout\n", (unsigned long long) i);
                return 2;
            }
        }
        /* wait for the consumer to close: every message is read when this returns */
        char c;
        while (read(fd, &c, 1) > 0) {
        }
        printf("produced %llu from 0\n", (unsigned long long) count);
        return 0;
    }
    static uint8_t buf[65536];
    size_t have = 0, at = 0; /* unread bytes buf[at, at + have) */
    uint64_t good = 0, badsum = 0, badseq = 0, undetected = 0, first_ns = 0;
    for (uint64_t i = 0; i < count; i++) {
        if (have < sizeof m && at > 0) {
            memmove(buf, buf + at, have);
            at = 0;
        }
        while (have < sizeof m) {
            ssize_t r = read(fd, buf + have, sizeof buf - have);
            if (r < 0 && errno == EINTR) {
                continue;
            }
            if (r <= 0) {
                printf("consumed %llu from 0 good %llu badsum %llu badseq %llu timeout\n", (unsigned long long) i,
                        (unsigned long long) good, (unsigned long long) badsum, (unsigned long long) badseq);
                return 2;
            }
            if (first_ns == 0) {
                first_ns = now_ns();
            }
            have += (size_t) r;
        }
        memcpy(&m, buf + at, sizeof m);
        at += sizeof m;
        have -= sizeof m;
        if (m.seq != i) {
            badseq++;
        } else if (m.sum != fnv1a(m.seq, m.payload)) {
            badsum++;
        } else if (check && !expected(&m)) {
            undetected++;
        } else {
            good++;
        }
    }
    uint64_t end_ns = now_ns();
    close(fd);
    printf("consumed %llu from 0 good %llu badsum %llu badseq %llu", (unsigned long long) count, (unsigned long long) good,
            (unsigned long long) badsum, (unsigned long long) badseq);
    if (timed) {
        printf(" in %llu us", (unsigned long long) ((end_ns - first_ns) / 1000));
    }
    if (check) {
        printf(" undetected %llu", (unsigned long long) undetected);
    }
    printf("\n");
    return badsum || badseq || undetected ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "produce") != 0 && strcmp(argv[1], "consume") != 0 && strcmp(argv[1], "ping") != 0
            && strcmp(argv[1], "pong") != 0)) {
        fprintf(stderr, "usage: hpcvirt-shmring produce|consume|ping|pong COUNT [SECONDS [timed]]\n");
        return 3;
    }
    int produce = strcmp(argv[1], "produce") == 0;
    int ping = strcmp(argv[1], "ping") == 0;
    int pong = strcmp(argv[1], "pong") == 0;
    int timed = argc > 4 && strcmp(argv[4], "timed") == 0;
    int check = argc > 4 && strcmp(argv[4], "check") == 0;
    uint64_t count = strtoull(argv[2], NULL, 10);
    long limit_ms = (argc > 3 ? atol(argv[3]) : 60) * 1000L;
    long deadline = now_ms() + limit_ms;
    char *tcp = getenv("HPCVIRT_SHMRING_TCP");
    if (tcp && *tcp) {
        int batch = argc > 4 && strcmp(argv[4], "batch") == 0;
        return over_tcp(tcp, produce, ping, pong, timed, check, batch, count, deadline);
    }
    char *res = getenv("HPCVIRT_SHMRING_FILE");
    if (!res || !*res) {
        res = find_device();
    }
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
    if (ping || pong) {
        return pingpong(h, ring, ping, count, deadline);
    }
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
    uint64_t good = 0, badsum = 0, badseq = 0, undetected = 0;
    uint64_t first_ns = 0;
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
        if (i == 0) {
            first_ns = now_ns();
        }
        struct message copy;
        memcpy(&copy, &ring[seq % slots], sizeof copy);
        if (copy.seq != seq) {
            badseq++;
        } else if (copy.sum != fnv1a(copy.seq, copy.payload)) {
            badsum++;
        } else if (check && !expected(&copy)) {
            undetected++;
        } else {
            good++;
        }
        __atomic_store_n(&h->tail, seq + 1, __ATOMIC_SEQ_CST);
    }
    printf("consumed %llu from %llu good %llu badsum %llu badseq %llu", (unsigned long long) count,
            (unsigned long long) start, (unsigned long long) good, (unsigned long long) badsum, (unsigned long long) badseq);
    if (timed) {
        printf(" in %llu us", (unsigned long long) ((now_ns() - first_ns) / 1000));
    }
    if (check) {
        printf(" undetected %llu", (unsigned long long) undetected);
    }
    printf("\n");
    return badsum || badseq || undetected ? 1 : 0;
}
