/*
 * hpcvirt-agent: the guest side of the hpcvirt guest channel.
 *
 * Runs in the guest as a child of /init (which respawns it). Talks to the host over the
 * virtio-serial port named "org.hpcvirt.agent" with a line protocol described in
 * docs/guest-channel.md. In a container (no virtio, no kernel command line of its own) the
 * environment says how instead: HPCVIRT_AGENT_SOCKET is a Unix socket path the agent listens
 * on (one host connection at a time; the host connects as it does to QEMU's socket),
 * HPCVIRT_HB_MS the heartbeat interval and HPCVIRT_BOOT_ID this boot's identity (the host's
 * boot id would not change when the container restarts). Single-threaded: one poll() loop over the port and the output
 * pipes of running commands, woken at least every 10 ms (the memory-continuity tick).
 *
 * The host side may disconnect and reconnect at any time (restore, migration, daemon
 * restart). While it is away, writes fail with EAGAIN and poll reports POLLHUP; the agent
 * then stops polling the port (POLLHUP would make poll return at once, forever), drops
 * whatever it would have sent, keeps counting, and sends HELLO again when the host is back.
 *
 * Build: gcc -static -O2 -Wall -Wextra -o hpcvirt-agent hpcvirt-agent.c
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define AGENT_VERSION "0.1"
#define PORT_NAME "org.hpcvirt.agent"
#define MAX_IN_LINE 4096          /* host -> guest line limit, newline excluded */
#define MAX_OUT_LINE 70000        /* guest -> host limit the host accepts (RESULT) */
#define OUT_QUEUE_CAP (256 * 1024)
#define MAX_OUTPUT (48 * 1024)    /* captured stdout+stderr per command */
#define MAX_JOBS 4
#define MAX_ARGS 256              /* EXECV: most arguments, program included */
#define TICK_MS 10
#define MEM_BYTES (1024 * 1024)
#define GRACE_AFTER_EXIT_MS 100   /* wait for the pipe's EOF after the command exited */

struct job {
    int active;
    unsigned long long id;
    pid_t pid;
    int out_fd;                   /* -1 once EOF was seen */
    int exited;
    int status;
    int timed_out;
    int64_t start_ms;
    int64_t deadline_ms;
    int64_t exited_ms;
    size_t len;
    int trunc;
    char buf[MAX_OUTPUT];
};

static int port_fd = -1;
static int listen_fd = -1;         /* socket mode (HPCVIRT_AGENT_SOCKET): port_fd is the accepted connection */
static int host_up;                /* host side connected, as far as we know */
static char boot_id[64] = "unknown";
static long hb_interval_ms = 500;
static unsigned long long hb_seq;  /* heartbeats generated, sent or not */
static uint64_t counter_shadow;
static uint64_t *mem;              /* mem[0] holds the counter; the rest holds the pattern */
static int mem_bad;

static char outq[OUT_QUEUE_CAP];
static size_t outq_len;

static char inbuf[MAX_IN_LINE + 1];
static size_t in_len;
static int in_discarding;          /* skipping the rest of an oversize line */

static struct job jobs[MAX_JOBS];

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void logmsg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("hpcvirt-agent: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---------- base64 (standard alphabet, padded, no newlines) ---------- */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t b64_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = B64[v >> 18 & 63];
        out[o++] = B64[v >> 12 & 63];
        out[o++] = B64[v >> 6 & 63];
        out[o++] = B64[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = B64[v >> 18 & 63];
        out[o++] = B64[v >> 12 & 63];
        out[o++] = i + 1 < n ? B64[v >> 6 & 63] : '=';
        out[o++] = '=';
    }
    out[o] = 0;
    return o;
}

static int b64_val(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Strict decode; returns decoded length or -1. out must hold n/4*3+1 bytes. */
static long b64_decode(const char *in, size_t n, unsigned char *out)
{
    if (n % 4 != 0) return -1;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            char c = in[i + k];
            if (c == '=') {
                if (i + 4 != n || k < 2) return -1;
                pad++;
                v[k] = 0;
            } else {
                if (pad) return -1;
                v[k] = b64_val(c);
                if (v[k] < 0) return -1;
            }
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        out[o++] = w >> 16 & 0xff;
        if (pad < 2) out[o++] = w >> 8 & 0xff;
        if (pad < 1) out[o++] = w & 0xff;
    }
    out[o] = 0;
    return (long)o;
}

/* ---------- output: whole lines into a bounded queue, never blocking ---------- */

static void set_host_down(void)
{
    if (host_up) logmsg("host disconnected");
    host_up = 0;
    /* A line cut in half would reach the next host as garbage; the reconnect sends "\n" first. */
    outq_len = 0;
    /* Socket mode: this connection is over; the next host is accepted from listen_fd. */
    if (listen_fd >= 0 && port_fd >= 0) {
        close(port_fd);
        port_fd = -1;
    }
}

static void flush_out(void)
{
    while (host_up && outq_len > 0) {
        ssize_t w = write(port_fd, outq, outq_len);
        if (w > 0) {
            memmove(outq, outq + w, outq_len - (size_t)w);
            outq_len -= (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else {
            /* EAGAIN: queue full or host gone. The poll check tells which; keep the data for now. */
            return;
        }
    }
}

/* Queue one complete line (text without '\n'); dropped if the host is away or the queue is full. */
static void send_line(const char *text, size_t n)
{
    if (!host_up) return;
    if (n + 1 > MAX_OUT_LINE || outq_len + n + 1 > sizeof outq) {
        logmsg("dropping %zu-byte line (queue %zu)", n + 1, outq_len);
        return;
    }
    memcpy(outq + outq_len, text, n);
    outq[outq_len + n] = '\n';
    outq_len += n + 1;
    flush_out();
}

static void sendf(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line) return;
    send_line(line, (size_t)n);
}

static void send_err(unsigned long long id, const char *msg)
{
    char enc[256];
    size_t n = strlen(msg);
    if (n > 180) n = 180;
    b64_encode((const unsigned char *)msg, n, enc);
    sendf("ERR id=%llu msg=%s", id, enc);
}

static void send_hello(void)
{
    sendf("HELLO v=1 agent=%s boot=%s hb=%ld", AGENT_VERSION, boot_id, hb_interval_ms);
}

/* ---------- host connection state ---------- */

static int find_port(char *path, size_t pathlen)
{
    DIR *d = opendir("/sys/class/virtio-ports");
    if (!d) return -1;
    struct dirent *e;
    int found = -1;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char p[512], name[128];
        snprintf(p, sizeof p, "/sys/class/virtio-ports/%s/name", e->d_name);
        FILE *f = fopen(p, "r");
        if (!f) continue;
        if (fgets(name, sizeof name, f)) {
            name[strcspn(name, "\n")] = 0;
            if (strcmp(name, PORT_NAME) == 0) {
                snprintf(path, pathlen, "/dev/%s", e->d_name);
                found = 0;
            }
        }
        fclose(f);
        if (found == 0) break;
    }
    closedir(d);
    return found;
}

/* Zero-timeout poll of the port alone: is the host there? Handles the HELLO on (re)connect. */
static void check_host(void)
{
    if (listen_fd >= 0) {
        if (port_fd >= 0) {
            struct pollfd q = {.fd = port_fd, .events = POLLOUT};
            if (poll(&q, 1, 0) > 0 && (q.revents & (POLLHUP | POLLERR))) set_host_down();
            if (port_fd >= 0) return;
        }
        int c = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) return; /* EAGAIN: nobody is connecting */
        port_fd = c;
        host_up = 1;
        logmsg("host connected");
        send_line("", 0);
        send_hello();
        return;
    }
    struct pollfd p = {.fd = port_fd, .events = POLLOUT};
    int r = poll(&p, 1, 0);
    if (r < 0) return;
    int up = !(p.revents & (POLLHUP | POLLERR));
    if (up && !host_up) {
        host_up = 1;
        logmsg("host connected");
        send_line("", 0); /* terminates any fragment of a line the previous host did not get */
        send_hello();
    } else if (!up && host_up) {
        set_host_down();
    }
}

/* ---------- memory continuity ---------- */

static uint64_t seed_from_boot_id(void)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const char *p = boot_id; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ULL;
    }
    return h ? h : 1;
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static void mem_fill(void)
{
    uint64_t s = seed_from_boot_id();
    for (size_t i = 1; i < MEM_BYTES / 8; i++) mem[i] = xorshift(&s);
    mem[0] = 0;
}

static void mem_verify(void)
{
    uint64_t s = seed_from_boot_id();
    for (size_t i = 1; i < MEM_BYTES / 8; i++) {
        if (mem[i] != xorshift(&s)) {
            mem_bad = 1; /* sticky: a corruption seen once is reported in every later heartbeat */
            return;
        }
    }
    if (mem[0] != counter_shadow) mem_bad = 1;
}

static void tick(void)
{
    /* The counter lives in the buffer; a shadow copy detects a flipped counter word. */
    if (mem[0] != counter_shadow) mem_bad = 1;
    counter_shadow++;
    mem[0] = counter_shadow;
}

/* ---------- /proc readers ---------- */

static int read_file(const char *path, char *buf, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t r = read(fd, buf, n - 1);
    close(fd);
    if (r < 0) return -1;
    buf[r] = 0;
    return 0;
}

/* Start of PID 1 after host boot, in ms (field 22 of /proc/1/stat), or 0 if unreadable. */
static long long pid1_start_ms(void)
{
    char b[1024];
    if (read_file("/proc/1/stat", b, sizeof b) < 0) return 0;
    char *p = strrchr(b, ')');
    if (!p) return 0;
    p += 2; /* field 3 */
    for (int field = 3; field < 22 && p; field++) {
        p = strchr(p, ' ');
        if (p) p++;
    }
    if (!p) return 0;
    return (long long)(strtod(p, NULL) * 1000.0 / (double)sysconf(_SC_CLK_TCK));
}

/* The guest's uptime; in a container /proc/uptime is the host's, so it counts from the container's PID 1. */
static long long uptime_ms(void)
{
    char b[128];
    if (read_file("/proc/uptime", b, sizeof b) < 0) return 0;
    long long up = (long long)(strtod(b, NULL) * 1000.0);
    if (listen_fd >= 0) {
        static long long started = -1;
        if (started < 0) started = pid1_start_ms();
        if (started > 0 && started <= up) up -= started;
    }
    return up;
}

static double loadavg1(void)
{
    char b[128];
    if (read_file("/proc/loadavg", b, sizeof b) < 0) return 0;
    return strtod(b, NULL);
}

static void read_config(void)
{
    char b[4096];
    const char *env_boot = getenv("HPCVIRT_BOOT_ID");
    const char *env_hb = getenv("HPCVIRT_HB_MS");
    if (env_boot && *env_boot) {
        snprintf(boot_id, sizeof boot_id, "%s", env_boot);
    } else if (read_file("/proc/sys/kernel/random/boot_id", b, 64) == 0) {
        b[strcspn(b, "\n")] = 0;
        b[sizeof boot_id - 1] = 0;
        memcpy(boot_id, b, sizeof boot_id);
    }
    if (env_hb) {
        char *end;
        long v = strtol(env_hb, &end, 10);
        if (*env_hb && *end == 0 && v >= 50 && v <= 60000) hb_interval_ms = v;
        else logmsg("ignoring bad HPCVIRT_HB_MS=%s", env_hb);
        return;
    }
    if (read_file("/proc/cmdline", b, sizeof b) == 0) {
        char *save = NULL;
        for (char *t = strtok_r(b, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
            if (strncmp(t, "hpcvirt.hb=", 11) == 0) {
                char *end;
                long v = strtol(t + 11, &end, 10);
                if (*end == 0 && v >= 50 && v <= 60000) hb_interval_ms = v;
                else logmsg("ignoring bad %s", t);
            }
        }
    }
}

static void heartbeat(void)
{
    hb_seq++;
    mem_verify();
    sendf("HB seq=%llu up=%lld load=%.2f counter=%llu mem=%s", hb_seq, uptime_ms(), loadavg1(),
          (unsigned long long)counter_shadow, mem_bad ? "bad" : "ok");
}

/* ---------- commands ---------- */

static void job_finish(struct job *j)
{
    int rc;
    if (j->timed_out) rc = 137;
    else if (WIFEXITED(j->status)) rc = WEXITSTATUS(j->status);
    else if (WIFSIGNALED(j->status)) rc = 128 + WTERMSIG(j->status);
    else rc = 255;
    if (j->out_fd >= 0) {
        close(j->out_fd);
        j->out_fd = -1;
    }
    static char line[MAX_OUTPUT / 3 * 4 + 256];
    int n = snprintf(line, sizeof line, "RESULT id=%llu rc=%d out=", j->id, rc);
    n += (int)b64_encode((unsigned char *)j->buf, j->len, line + n);
    n += snprintf(line + n, sizeof line - (size_t)n, " trunc=%d ms=%lld", j->trunc,
                  (long long)(now_ms() - j->start_ms));
    send_line(line, (size_t)n);
    j->active = 0;
}

/*
 * Runs the program file (or, if file is NULL, argv[0] looked up in PATH like execvp) with argv
 * (NULL-terminated) in its own process group; stdin is /dev/null, stdout and stderr go into one pipe.
 * If the program cannot be run, its output says why and the status is 127 (not found) or 126.
 */
static void start_job(unsigned long long id, long timeout_ms, const char *file, char *const argv[])
{
    struct job *j = NULL;
    for (int i = 0; i < MAX_JOBS; i++) {
        if (!jobs[i].active) {
            j = &jobs[i];
            break;
        }
    }
    if (!j) {
        send_err(id, "busy: 4 commands running");
        return;
    }
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        send_err(id, "pipe failed");
        return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        send_err(id, "fork failed");
        return;
    }
    if (pid == 0) {
        setpgid(0, 0);
        signal(SIGPIPE, SIG_DFL);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, 0);
        dup2(pfd[1], 1);
        dup2(pfd[1], 2);
        if (file) execv(file, argv);
        else execvp(argv[0], argv);
        int e = errno;
        dprintf(2, "hpcvirt-agent: cannot run '%.200s': %s\n", file ? file : argv[0], strerror(e));
        _exit(e == ENOENT || e == ENOTDIR ? 127 : 126);
    }
    setpgid(pid, pid); /* also in the parent: no race with an early kill */
    close(pfd[1]);
    fcntl(pfd[0], F_SETFL, O_NONBLOCK);
    memset(j, 0, offsetof(struct job, buf));
    j->active = 1;
    j->id = id;
    j->pid = pid;
    j->out_fd = pfd[0];
    j->start_ms = now_ms();
    j->deadline_ms = j->start_ms + timeout_ms;
}

static void job_read(struct job *j)
{
    char tmp[4096];
    for (;;) {
        ssize_t r = read(j->out_fd, tmp, sizeof tmp);
        if (r > 0) {
            size_t room = MAX_OUTPUT - j->len;
            size_t take = (size_t)r < room ? (size_t)r : room;
            memcpy(j->buf + j->len, tmp, take);
            j->len += take;
            if (take < (size_t)r) j->trunc = 1;
        } else if (r == 0) {
            close(j->out_fd);
            j->out_fd = -1;
            return;
        } else {
            if (errno == EINTR) continue;
            return; /* EAGAIN */
        }
    }
}

static void reap(void)
{
    for (;;) {
        int st;
        pid_t p = waitpid(-1, &st, WNOHANG);
        if (p <= 0) return;
        for (int i = 0; i < MAX_JOBS; i++) {
            if (jobs[i].active && !jobs[i].exited && jobs[i].pid == p) {
                jobs[i].exited = 1;
                jobs[i].status = st;
                jobs[i].exited_ms = now_ms();
            }
        }
    }
}

static void check_jobs(int64_t now)
{
    for (int i = 0; i < MAX_JOBS; i++) {
        struct job *j = &jobs[i];
        if (!j->active) continue;
        if (!j->exited && !j->timed_out && now >= j->deadline_ms) {
            kill(-j->pid, SIGKILL);
            j->timed_out = 1;
        }
        /* A background process may keep the pipe open: stop waiting for EOF shortly after exit. */
        if (j->exited && (j->out_fd < 0 || now - j->exited_ms >= GRACE_AFTER_EXIT_MS)) {
            if (j->out_fd >= 0) job_read(j);
            job_finish(j);
        }
    }
}

/* ---------- host -> guest requests ---------- */

/* Parses an unsigned decimal of at most 18 digits; -1 on error. */
static long long parse_num(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 18) return -1;
    long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

#define MAX_FIELDS 8

/*
 * Decodes the EXECV argv field: base64 items separated by ',' (an empty item is an empty argument).
 * Writes the NUL-terminated arguments into buf (cap bytes) and pointers to them into argv (room for
 * MAX_ARGS + 1). Returns the number of arguments, or -1 with *why set.
 */
static int decode_argv(const char *s, char *buf, size_t cap, char **argv, const char **why)
{
    int argc = 0;
    size_t used = 0;
    const char *p = s;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (argc == MAX_ARGS) {
            *why = "argv: more than 256 arguments";
            return -1;
        }
        /* b64_decode writes at most n/4*3 bytes plus a NUL */
        if (n % 4 != 0 || n / 4 * 3 + 1 > cap - used) {
            *why = "argv: an argument is not valid base64";
            return -1;
        }
        long dn = b64_decode(p, n, (unsigned char *)buf + used);
        if (dn < 0) {
            *why = "argv: an argument is not valid base64";
            return -1;
        }
        if (memchr(buf + used, 0, (size_t)dn)) {
            *why = "argv: NUL byte in an argument";
            return -1;
        }
        argv[argc++] = buf + used;
        used += (size_t)dn + 1;
        if (!comma) break;
        p = comma + 1;
    }
    argv[argc] = NULL;
    if (argv[0][0] == 0) {
        *why = "argv: the program name is empty";
        return -1;
    }
    return argc;
}

static void handle_line(char *line)
{
    char *tok[MAX_FIELDS + 1];
    int nt = 0;
    char *save = NULL;
    for (char *t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        if (nt == MAX_FIELDS + 1) {
            send_err(0, "too many fields");
            return;
        }
        tok[nt++] = t;
    }
    if (nt == 0) return; /* empty line: ignored */
    const char *verb = tok[0];
    const char *id_s = NULL, *timeout_s = NULL, *cmd_s = NULL, *ms_s = NULL, *argv_s = NULL;
    for (int i = 1; i < nt; i++) {
        char *eq = strchr(tok[i], '=');
        if (!eq) {
            send_err(0, "field without '='");
            return;
        }
        *eq = 0;
        const char *k = tok[i], *v = eq + 1;
        if (strcmp(k, "id") == 0) id_s = v;
        else if (strcmp(k, "timeout") == 0) timeout_s = v;
        else if (strcmp(k, "cmd") == 0) cmd_s = v;
        else if (strcmp(k, "ms") == 0) ms_s = v;
        else if (strcmp(k, "argv") == 0) argv_s = v;
        /* unknown keys are ignored, for forward compatibility */
    }
    long long id = id_s ? parse_num(id_s) : -1;
    unsigned long long eid = id > 0 ? (unsigned long long)id : 0;

    if (strcmp(verb, "PING") == 0) {
        if (id <= 0) send_err(0, "PING needs id");
        else sendf("PONG id=%lld", id);
    } else if (strcmp(verb, "COUNTER") == 0) {
        if (id <= 0) send_err(0, "COUNTER needs id");
        else sendf("COUNTER id=%lld value=%llu seq=%llu boot=%s", id, (unsigned long long)counter_shadow,
                   hb_seq, boot_id);
    } else if (strcmp(verb, "EXEC") == 0) {
        long long to = timeout_s ? parse_num(timeout_s) : -1;
        if (id <= 0 || to <= 0 || to > 86400000LL || !cmd_s) {
            send_err(eid, "EXEC needs id, timeout=1..86400000 and cmd");
            return;
        }
        static unsigned char cmd[MAX_IN_LINE];
        size_t n = strlen(cmd_s);
        long dn = n / 4 * 3 < sizeof cmd ? b64_decode(cmd_s, n, cmd) : -1;
        if (dn <= 0 || memchr(cmd, 0, (size_t)dn)) {
            send_err(eid, "cmd is not valid base64 of a non-empty command");
            return;
        }
        char *sh_argv[] = {"sh", "-c", (char *)cmd, NULL};
        start_job(eid, (long)to, "/bin/sh", sh_argv);
    } else if (strcmp(verb, "EXECV") == 0) {
        long long to = timeout_s ? parse_num(timeout_s) : -1;
        if (id <= 0 || to <= 0 || to > 86400000LL || !argv_s) {
            send_err(eid, "EXECV needs id, timeout=1..86400000 and argv");
            return;
        }
        /* Decoded arguments are shorter than their base64 (3/4), plus one NUL each. */
        static char args[MAX_IN_LINE + MAX_ARGS + 1];
        static char *argv[MAX_ARGS + 1];
        const char *why = "argv: invalid";
        if (decode_argv(argv_s, args, sizeof args, argv, &why) < 0) {
            send_err(eid, why);
            return;
        }
        start_job(eid, (long)to, NULL, argv);
    } else if (strcmp(verb, "INTERVAL") == 0) {
        long long ms = ms_s ? parse_num(ms_s) : -1;
        if (ms < 50 || ms > 60000) send_err(eid, "INTERVAL needs ms=50..60000");
        else hb_interval_ms = (long)ms;
    } else if (strcmp(verb, "HELLO") == 0) {
        /* The host greets on connect: QEMU may close and reopen the port between two of our
         * checks, so POLLHUP alone can miss a reconnect. Answer as on a detected reconnect. */
        send_line("", 0);
        send_hello();
    } else if (strcmp(verb, "SHUTDOWN") == 0) {
        logmsg("shutdown requested");
        sync();
        /* In a container PID 1 is the init script, which ends the container on SIGTERM; a
         * container has no CAP_SYS_BOOT to power anything off. */
        if (listen_fd >= 0) kill(1, SIGTERM);
        else reboot(RB_POWER_OFF);
        send_err(eid, "poweroff failed");
    } else {
        send_err(eid, "unknown verb");
    }
}

static void read_port(void)
{
    char tmp[4096];
    for (;;) {
        ssize_t r = read(port_fd, tmp, sizeof tmp);
        if (r == 0) {
            set_host_down(); /* EOF: the host side closed */
            return;
        }
        if (r < 0) {
            if (errno == EINTR) continue;
            return;
        }
        for (ssize_t i = 0; i < r; i++) {
            char c = tmp[i];
            if (c == '\n') {
                if (in_discarding) {
                    in_discarding = 0;
                    send_err(0, "line too long");
                } else {
                    inbuf[in_len] = 0;
                    /* Reject NUL bytes and other control characters inside a line. */
                    int ok = 1;
                    for (size_t k = 0; k < in_len; k++) {
                        unsigned char u = (unsigned char)inbuf[k];
                        if (u < 0x20 && u != '\r' && u != '\t') ok = 0;
                    }
                    if (in_len && inbuf[in_len - 1] == '\r') inbuf[--in_len] = 0;
                    if (ok) handle_line(inbuf);
                    else send_err(0, "control character in line");
                }
                in_len = 0;
            } else if (!in_discarding) {
                if (in_len == MAX_IN_LINE) {
                    in_discarding = 1;
                    in_len = 0;
                } else {
                    inbuf[in_len++] = c;
                }
            }
        }
    }
}

/* ---------- main loop ---------- */

static int listen_on(const char *sock_path);
static int open_port(char *path, size_t pathlen);
static void run_loop(void) __attribute__((noreturn));

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    /* Orphans of commands come to us rather than to /init: we reap them in the loop. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    read_config();

    mem = malloc(MEM_BYTES);
    if (!mem) {
        logmsg("cannot allocate memory buffer");
        return 1;
    }
    mem_fill();

    char path[300];
    const char *sock_path = getenv("HPCVIRT_AGENT_SOCKET");
    if (sock_path && *sock_path) {
        if (listen_on(sock_path) < 0) return 1;
        logmsg("listening on %s, heartbeat every %ld ms", sock_path, hb_interval_ms);
    } else if (open_port(path, sizeof path) < 0) {
        return 1;
    }
    run_loop();
}

/* Socket mode: listen on a Unix socket (replacing a stale one); the host connects to it. */
static int listen_on(const char *sock_path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(sock_path) >= sizeof a.sun_path) {
        logmsg("socket path too long: %s", sock_path);
        return -1;
    }
    strcpy(a.sun_path, sock_path);
    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd < 0) {
        logmsg("socket: %s", strerror(errno));
        return -1;
    }
    unlink(sock_path);
    if (bind(listen_fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(listen_fd, 4) < 0) {
        logmsg("cannot listen on %s: %s", sock_path, strerror(errno));
        return -1;
    }
    chmod(sock_path, 0600);
    return 0;
}

/* VM mode: find and open the virtio-serial port, waiting up to 10 s for it to appear. */
static int open_port(char *path, size_t pathlen)
{
    int64_t give_up = now_ms() + 10000;
    while (find_port(path, pathlen) < 0) {
        if (now_ms() > give_up) {
            logmsg("no virtio port named %s", PORT_NAME);
            return -1;
        }
        usleep(50000);
    }
    for (;;) {
        port_fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (port_fd >= 0) break;
        if (now_ms() > give_up) {
            logmsg("cannot open %s: %s", path, strerror(errno));
            return -1;
        }
        usleep(50000);
    }
    logmsg("using %s, heartbeat every %ld ms", path, hb_interval_ms);
    return 0;
}

static void run_loop(void)
{
    int64_t next_tick = now_ms() + TICK_MS;
    int64_t next_hb = now_ms();
    for (;;) {
        check_host();
        struct pollfd pf[2 + MAX_JOBS];
        struct job *pj[2 + MAX_JOBS];
        int n = 0;
        int listen_slot = -1;
        if (host_up) {
            pf[n].fd = port_fd;
            pf[n].events = POLLIN | (outq_len ? POLLOUT : 0);
            pj[n++] = NULL;
        } else if (listen_fd >= 0) {
            /* woken by a connecting host; check_host accepts it at the top of the loop */
            listen_slot = n;
            pf[n].fd = listen_fd;
            pf[n].events = POLLIN;
            pj[n++] = NULL;
        }
        for (int i = 0; i < MAX_JOBS; i++) {
            if (jobs[i].active && jobs[i].out_fd >= 0) {
                pf[n].fd = jobs[i].out_fd;
                pf[n].events = POLLIN;
                pj[n++] = &jobs[i];
            }
        }
        int64_t now = now_ms();
        int timeout = next_tick > now ? (int)(next_tick - now) : 0;
        int r = poll(pf, (nfds_t)n, timeout);
        if (r < 0 && errno != EINTR) {
            logmsg("poll: %s", strerror(errno));
            usleep(TICK_MS * 1000);
        }
        for (int i = 0; r > 0 && i < n; i++) {
            if (!pf[i].revents || i == listen_slot) continue;
            if (pj[i]) {
                job_read(pj[i]);
            } else if (pf[i].revents & (POLLHUP | POLLERR)) {
                set_host_down();
            } else {
                if (pf[i].revents & POLLOUT) flush_out();
                if (pf[i].revents & POLLIN) read_port();
            }
        }
        reap();
        now = now_ms();
        check_jobs(now);
        if (now >= next_tick) {
            tick();
            next_tick += TICK_MS;
            if (next_tick < now) next_tick = now + TICK_MS; /* after a pause: no burst of ticks */
        }
        if (now >= next_hb) {
            heartbeat();
            next_hb += hb_interval_ms;
            if (next_hb < now) next_hb = now + hb_interval_ms;
        }
        flush_out();
    }
}
