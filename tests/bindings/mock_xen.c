/*
 * LD_PRELOAD mock of the few libxenctrl / libxenstore / libxl entry points
 * that libxl_ctx_alloc and our host-info path need, so libxl contexts can
 * be opened on a machine without Xen.  Compiled by tests/bindings/xlmock.py
 * at test time.  Anything that really makes a hypercall or a Xenstore
 * request still fails (or crashes): tests only use the JSON functions and
 * the calls mocked here (xc_cputopoinfo / xc_numainfo describe a
 * one-socket host: 8 cpus with 2 threads a core and an offline slot,
 * node 0 with 16 GiB and a memoryless node 1).
 */
#define LIBXL_API_VERSION 0x041400
#include <string.h>
#include <libxl.h>

/* Distinct dummy handles; libxl only stores and passes them back. */
static char fake_xch[64], fake_xsh[64];

void *xc_interface_open(void *logger, void *dombuild_logger,
                        unsigned open_flags)
{
    (void)logger; (void)dombuild_logger; (void)open_flags;
    return fake_xch;
}

int xc_interface_close(void *xch) { (void)xch; return 0; }

void *xs_open(unsigned long flags) { (void)flags; return fake_xsh; }

void xs_close(void *xsh) { (void)xsh; }

int xc_get_max_cpus(void *xch) { (void)xch; return 8; }

int xc_get_max_nodes(void *xch) { (void)xch; return 1; }

static libxl_version_info mock_version = {
    .xen_version_major = 4,
    .xen_version_minor = 17,
    .xen_version_extra = ".7-mock",
    .compiler = "gcc (Mock 12.2.0)",
    .compile_by = "mockbuilder",
    .compile_domain = "mock.example",
    .compile_date = "Mon Jan  1 00:00:00 UTC 2024",
    .capabilities = "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_64",
    .changeset = "mock-changeset",
    .virt_start = 0xffff800000000000UL,
    .pagesize = 4096,
    .commandline = "dom0_mem=2048M,max:2048M mock=1",
    .build_id = "0123456789abcdef",
};

const libxl_version_info *libxl_get_version_info(libxl_ctx *ctx)
{
    (void)ctx;
    return &mock_version;
}

int libxl_get_physinfo(libxl_ctx *ctx, libxl_physinfo *p)
{
    (void)ctx;
    p->threads_per_core = 2;
    p->cores_per_socket = 4;
    p->max_cpu_id = 7;
    p->nr_cpus = 8;
    p->cpu_khz = 2400000;
    p->total_pages = 4194304;      /* 16 GiB */
    p->free_pages = 1048576;       /*  4 GiB */
    p->scrub_pages = 256;
    p->nr_nodes = 1;
    p->hw_cap[0] = 0xbfebfbff;
    p->hw_cap[1] = 0x2c100800;
    p->cap_hvm = 1;
    p->cap_pv = 1;
    p->cap_hvm_directio = 1;
    p->cap_hap = 1;
    p->cap_shadow = 1;
    p->cap_gnttab_v1 = 1;
    return 0;
}

int libxl_get_scheduler(libxl_ctx *ctx)
{
    (void)ctx;
    return LIBXL_SCHEDULER_CREDIT2;
}

/* Xen's sysctl topology records (public/sysctl.h), as libxl reads them. */
struct mock_cputopo { uint32_t core, socket, node; };
struct mock_meminfo { uint64_t memsize, memfree; };
#define MOCK_INVALID (~0U)
#define MOCK_CPU_SLOTS 9          /* cpus 0-7 online, slot 8 offline */
#define MOCK_NODES 2              /* node 1 has no memory */

int xc_cputopoinfo(void *xch, unsigned *max_cpus, struct mock_cputopo *t)
{
    unsigned i;
    (void)xch;
    if (t) {
        for (i = 0; i < MOCK_CPU_SLOTS && i < *max_cpus; i++) {
            t[i].core = i < 8 ? i / 2 : MOCK_INVALID;
            t[i].socket = i < 8 ? 0 : MOCK_INVALID;
            t[i].node = i < 8 ? 0 : MOCK_INVALID;
        }
    }
    *max_cpus = MOCK_CPU_SLOTS;
    return 0;
}

int xc_numainfo(void *xch, unsigned *max_nodes, struct mock_meminfo *m,
                uint32_t *distance)
{
    unsigned i, j;
    (void)xch;
    if (m && distance) {
        for (i = 0; i < MOCK_NODES && i < *max_nodes; i++) {
            m[i].memsize = i ? MOCK_INVALID : 16ULL << 30;
            m[i].memfree = i ? MOCK_INVALID : 4ULL << 30;
            for (j = 0; j < MOCK_NODES; j++)
                distance[i * MOCK_NODES + j] = i == j ? 10 : 20;
        }
    }
    *max_nodes = MOCK_NODES;
    return 0;
}
