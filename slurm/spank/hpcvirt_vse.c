/*
 * hpcvirt_vse: a SPANK plugin that adds --vse=FILE to sbatch, salloc and srun.
 *
 * At submission (allocator context: sbatch/salloc; local context: srun) the option's value is
 * resolved to an absolute path, which must name a readable regular file, else the submission is
 * refused on the user's terminal. The path is put into the job control environment as
 * HPCVIRT_VSE, which Slurm passes to the node Prolog and Epilog as SPANK_HPCVIRT_VSE.
 * Validating and deploying the environment itself is hpcvirt's work, not this plugin's.
 *
 * Build: gcc -shared -fPIC -o hpcvirt_vse.so hpcvirt_vse.c   (headers from libslurm-dev)
 * Use:   a line "required /path/to/hpcvirt_vse.so" in plugstack.conf
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <slurm/spank.h>

SPANK_PLUGIN(hpcvirt_vse, 1);

/* the value of --vse, absolute; empty when the option was not given */
static char vse_path[PATH_MAX];

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
    (void) ac;
    (void) av;
    /* registering here (not through a spank_options table) also reaches sbatch and salloc */
    if (spank_option_register(sp, &vse_opt) != ESPANK_SUCCESS) {
        slurm_error("hpcvirt_vse: cannot register --vse");
        return -1;
    }
    return 0;
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
