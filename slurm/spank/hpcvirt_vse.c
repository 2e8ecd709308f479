/*
 * hpcvirt_vse: a SPANK plugin that adds --vse=FILE to sbatch, salloc and srun.
 *
 * At submission (allocator context: sbatch/salloc; local context: srun) the option's value is
 * resolved to an absolute path, which must name a readable regular file, else the submission is
 * refused on the user's terminal. With the plugin argument check=PROGRAM (the hpcvirt CLI), the
 * file is then checked and merged with the centre's policy at submission by running
 * "PROGRAM vse explain FILE" (with "--partition P" when SBATCH_PARTITION or SLURM_JOB_PARTITION
 * names one): its error goes to the user's terminal and the job is not queued ("hpcvirt submit",
 * which has checked the file already, says so with HPCVIRT_VSE_CHECKED=FILE). The path is put
 * into the job control environment as HPCVIRT_VSE, which Slurm passes to the node Prolog and
 * Epilog as SPANK_HPCVIRT_VSE. Deploying the environment is hpcvirt's work, not this plugin's.
 *
 * Build: gcc -shared -fPIC -o hpcvirt_vse.so hpcvirt_vse.c   (headers from libslurm-dev)
 * Use:   a line "required /path/to/hpcvirt_vse.so check=/usr/local/bin/hpcvirt" in plugstack.conf
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <slurm/spank.h>

SPANK_PLUGIN(hpcvirt_vse, 1);

/* the value of --vse, absolute; empty when the option was not given */
static char vse_path[PATH_MAX];
/* the checker given as plugin argument check=PROGRAM; empty: no check at submission */
static char checker[PATH_MAX];

static int vse_option(int val, const char *optarg, int remote);

static struct spank_option vse_opt = {
    "vse", "FILE",
    "Run the job in the hpcvirt virtual system environment described by FILE (YAML)",
    1, 0, vse_option,
};

static int vse_option(int val, const char *optarg, int remote)
{
    char resolved[PATH_MAX];
    struct stat st;

    (void) val;
    if (optarg == NULL || optarg[0] == '\0') {
        slurm_error("--vse: a file name is needed");
        return -1;
    }
    if (remote) {
        /* on the node the value is already the resolved path of the submission */
        strncpy(vse_path, optarg, sizeof(vse_path) - 1);
        return 0;
    }
    if (realpath(optarg, resolved) == NULL) {
        slurm_error("--vse: %s: %s", optarg, strerror(errno));
        return -1;
    }
    if (stat(resolved, &st) != 0 || !S_ISREG(st.st_mode) || access(resolved, R_OK) != 0) {
        slurm_error("--vse: %s is not a readable file", optarg);
        return -1;
    }
    strncpy(vse_path, resolved, sizeof(vse_path) - 1);
    return 0;
}

int slurm_spank_init(spank_t sp, int ac, char **av)
{
    int i;

    for (i = 0; i < ac; i++) {
        if (strncmp(av[i], "check=", 6) == 0 && av[i][6] != '\0') {
            strncpy(checker, av[i] + 6, sizeof(checker) - 1);
        } else {
            slurm_error("hpcvirt_vse: unknown plugin argument '%s' (known: check=PROGRAM)", av[i]);
            return -1;
        }
    }
    /* registering here (not through a spank_options table) also reaches sbatch and salloc */
    if (spank_option_register(sp, &vse_opt) != ESPANK_SUCCESS) {
        slurm_error("hpcvirt_vse: cannot register --vse");
        return -1;
    }
    return 0;
}

/* runs "checker vse explain FILE [--partition P]" with its output hidden and its errors on the
 * user's terminal; 0 when it accepts the file */
static int check_at_submission(void)
{
    const char *partition = getenv("SBATCH_PARTITION");
    pid_t pid;
    int status;

    const char *checked = getenv("HPCVIRT_VSE_CHECKED");
    char resolved[PATH_MAX];

    if (checker[0] == '\0') {
        return 0;
    }
    /* hpcvirt submit has just checked this very file (with the partition sbatch will use) */
    if (checked != NULL && realpath(checked, resolved) != NULL && strcmp(resolved, vse_path) == 0) {
        return 0;
    }
    if (partition == NULL || partition[0] == '\0') {
        partition = getenv("SLURM_JOB_PARTITION");
    }
    pid = fork();
    if (pid < 0) {
        slurm_error("--vse: cannot run %s to check %s: %s", checker, vse_path, strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, STDOUT_FILENO);
        }
        if (partition != NULL && partition[0] != '\0') {
            execl(checker, checker, "vse", "explain", vse_path, "--partition", partition, (char *) NULL);
        } else {
            execl(checker, checker, "vse", "explain", vse_path, (char *) NULL);
        }
        fprintf(stderr, "--vse: cannot run %s: %s\n", checker, strerror(errno));
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            slurm_error("--vse: waiting for %s: %s", checker, strerror(errno));
            return -1;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        return 0;
    }
    slurm_error("--vse: %s refused by the centre's policy (see above); the job is not submitted", vse_path);
    return -1;
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
    spank_err_t rc;

    (void) ac;
    (void) av;
    if (vse_path[0] == '\0') {
        return 0;
    }
    switch (spank_context()) {
    case S_CTX_ALLOCATOR:
    case S_CTX_LOCAL:
        if (check_at_submission() != 0) {
            return -1;
        }
        rc = spank_job_control_setenv(sp, "HPCVIRT_VSE", vse_path, 1);
        if (rc != ESPANK_SUCCESS) {
            slurm_error("--vse: cannot pass %s to the job's prolog: %s", vse_path, spank_strerror(rc));
            return -1;
        }
        return 0;
    default:
        return 0;
    }
}
